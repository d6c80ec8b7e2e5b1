/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The statistics the benchmarks report over their rounds: median and minimum.
 */
#ifndef TESTS_BENCHMARKS_BENCH_STATS_HPP
#define TESTS_BENCHMARKS_BENCH_STATS_HPP

#include <algorithm>
#include <cstddef>
#include <vector>

namespace voicekit::bench {

/* The middle value; the mean of the two middle ones for an even count. */
inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

inline double minimum(const std::vector<double> &values) {
  return *std::min_element(values.begin(), values.end());
}

} /* namespace voicekit::bench */

#endif /* TESTS_BENCHMARKS_BENCH_STATS_HPP */

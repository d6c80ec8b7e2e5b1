/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The voice-activity core as the benchmarks run it: an analyzer on mono S16
 * in 10 ms frames.
 */
#ifndef TESTS_BENCHMARKS_BENCH_VAD_HPP
#define TESTS_BENCHMARKS_BENCH_VAD_HPP

#include <gst/vad/vad.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace voicekit::bench {

/* Configures `analyzer` for mono S16 at `rate` in 10 ms frames; a benchmark
 * that cannot exits with the reason. */
inline void configure_or_exit(voicekit::vad::FrameAnalyzer &analyzer, int rate) {
  voicekit::vad::AudioFormat format;
  format.rate = rate;
  std::string error;
  if (!analyzer.configure(format, 10, &error)) {
    std::fprintf(stderr, "configure: %s\n", error.c_str());
    std::exit(1);
  }
}

} /* namespace voicekit::bench */

#endif /* TESTS_BENCHMARKS_BENCH_VAD_HPP */

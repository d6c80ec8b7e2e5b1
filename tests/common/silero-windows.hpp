/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Silero's streaming input, as its wrapper feeds the model: each window of
 * `n` new samples preceded by the previous window's last `context` samples
 * (zeros before the first). What the ONNX Runtime scripts read
 * (tests/silero/ort.mjs), shared by the parity test and the benchmark.
 */
#ifndef TESTS_COMMON_SILERO_WINDOWS_HPP
#define TESTS_COMMON_SILERO_WINDOWS_HPP

#include <cstddef>
#include <vector>

namespace voicekit::testing {

inline std::vector<float> windows_with_context(const std::vector<float> &signal, std::size_t n,
                                               std::size_t context) {
  std::vector<float> windows;
  std::vector<float> previous(context, 0.0f);
  for (std::size_t i = 0; i + n <= signal.size(); i += n) {
    windows.insert(windows.end(), previous.begin(), previous.end());
    windows.insert(windows.end(), signal.begin() + static_cast<long>(i),
                   signal.begin() + static_cast<long>(i + n));
    previous.assign(signal.begin() + static_cast<long>(i + n - context),
                    signal.begin() + static_cast<long>(i + n));
  }
  return windows;
}

} /* namespace voicekit::testing */

#endif /* TESTS_COMMON_SILERO_WINDOWS_HPP */

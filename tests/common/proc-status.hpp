/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * One number from /proc/self/status (VmRSS in KiB, Threads), for the
 * benchmarks that report memory and threads. -1 when it cannot be read.
 */
#ifndef TESTS_COMMON_PROC_STATUS_HPP
#define TESTS_COMMON_PROC_STATUS_HPP

#include <cstdlib>
#include <fstream>
#include <string>

namespace voicekit::testing {

inline long proc_status_field(const char *field) {
  std::ifstream status("/proc/self/status");
  const std::string prefix = std::string(field) + ":";
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(prefix, 0) == 0)
      return std::atol(line.c_str() + prefix.size());
  return -1;
}

inline long vm_rss_kib() {
  return proc_status_field("VmRSS");
}

} /* namespace voicekit::testing */

#endif /* TESTS_COMMON_PROC_STATUS_HPP */

/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Reply numbers: see numbers.hpp.
 */
#include "numbers.hpp"

#include <algorithm>

namespace voicekit::reply {

uint64_t ReplyNumbers::of_utterance(uint64_t detector_number) {
  if (open_number_ != 0 && detector_number == open_detector_number_)
    return open_number_;
  const uint64_t number = std::max(detector_number + base_, last_ + 1);
  base_ = number - detector_number;
  last_ = number;
  open_detector_number_ = detector_number;
  open_number_ = number;
  return number;
}

void ReplyNumbers::detector_restarts() {
  base_ = last_;
  open_number_ = 0;
}

uint64_t ReplyNumbers::for_greeting() {
  if (!greeted_) {
    greeted_ = true;
    return 0;
  }
  base_++;
  return ++last_;
}

} /* namespace voicekit::reply */

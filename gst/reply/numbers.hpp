/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Reply numbers for replyonpause: turns the turn detector's utterance numbers,
 * which restart at 1, into numbers never given twice in an element's life.
 * Plain C++: no GStreamer types.
 */
#ifndef GST_REPLY_NUMBERS_HPP
#define GST_REPLY_NUMBERS_HPP

#include <cstdint>

namespace voicekit::reply {

/* A handler names its reply by number (push-reply), so a number is never
 * given twice: a stale handler of a flushed or interrupted reply cannot feed
 * a newer one. Utterances keep the detector's numbers, shifted once the
 * detector counts from 1 again (a flush, a new stream, a restart); the first
 * greeting is 0, a later one takes the next number and shifts the utterances
 * after it by one. One thread at a time (the element's streaming thread); it
 * outlives the detector's restarts. */
class ReplyNumbers {
public:
  /* The number of the detector's utterance `detector_number`. Its speech-start
   * and its pause get the same number, even if a greeting came between them. */
  uint64_t of_utterance(uint64_t detector_number);

  /* The detector counts from 1 again: later utterances continue after the
   * highest number given. */
  void detector_restarts();

  /* The number of a greeting: 0 the first time, then the next number. */
  uint64_t for_greeting();

  /* Highest number given so far (0 before any). */
  uint64_t last() const { return last_; }

private:
  uint64_t base_ = 0; /* added to the detector's numbers */
  uint64_t last_ = 0;
  bool greeted_ = false;
  /* The utterance numbered last, so its pause keeps the number its
   * speech-start got. open_number_ 0: none. */
  uint64_t open_detector_number_ = 0;
  uint64_t open_number_ = 0;
};

} /* namespace voicekit::reply */

#endif /* GST_REPLY_NUMBERS_HPP */

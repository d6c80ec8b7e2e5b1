/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Utterance collection for replyonpause: keeps a short history of the input
 * (pre-roll) so an utterance can start at its onset, which the turn detector
 * reports after the fact, and bounds what one utterance may hold.
 * Plain C++: no GStreamer types. Times are running times in nanoseconds.
 */
#ifndef GST_REPLY_COLLECTOR_HPP
#define GST_REPLY_COLLECTOR_HPP

#include <cstddef>
#include <cstdint>
#include <vector>

namespace voicekit::reply {

struct Utterance {
  uint64_t start_ns = 0;     /* running time of the first frame */
  std::vector<uint8_t> data; /* interleaved frames, input format */
  bool truncated = false;    /* the utterance was longer than the limit */
};

class UtteranceCollector {
public:
  /* `rate` frames per second of `bytes_per_frame` bytes each. Keeps at least
   * `preroll_ns` of audio before an utterance begins; an utterance holds at
   * most `max_ns` (what comes later is dropped and `truncated` set). */
  void configure(int rate, int bytes_per_frame, uint64_t preroll_ns, uint64_t max_ns);
  void set_limits(uint64_t preroll_ns, uint64_t max_ns);
  bool configured() const { return rate_ > 0; }

  /* Audio starting at running time `start_ns`, `frames` whole frames, in
   * stream order. A jump in time (a gap, a new segment) restarts the history. */
  void push(uint64_t start_ns, const uint8_t *data, std::size_t frames);

  /* Opens an utterance at `onset_ns`: the history from there on joins it. */
  void begin(uint64_t onset_ns);
  bool collecting() const { return collecting_; }
  /* Running time the utterance (or the history) reaches. */
  uint64_t end_ns() const;

  /* Closes the utterance at `end_ns` (later audio is left out) and returns it.
   * Without begin() (a pause whose speech-start was not seen) it is taken from
   * the history starting at `onset_ns`. */
  Utterance finish(uint64_t onset_ns, uint64_t end_ns);

  /* Drops an open utterance (interrupted, ignored) and the history. */
  void reset();

  /* Bytes held now (history and open utterance), for tests and benchmarks. */
  std::size_t bytes_held() const { return history_.size() + utterance_.data.size(); }

private:
  uint64_t frames_to_ns(uint64_t frames) const;
  uint64_t ns_to_frames(uint64_t ns) const;
  void trim_history(uint64_t keep_frames);

  int rate_ = 0;
  std::size_t bpf_ = 0;
  uint64_t preroll_frames_ = 0;
  uint64_t max_frames_ = 0;

  std::vector<uint8_t> history_; /* frames from history_start_ns_ on */
  uint64_t history_start_ns_ = 0;
  bool collecting_ = false;
  Utterance utterance_;
};

} /* namespace voicekit::reply */

#endif /* GST_REPLY_COLLECTOR_HPP */

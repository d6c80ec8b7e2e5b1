/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Utterance collection: see collector.hpp.
 */
#include "collector.hpp"

#include <algorithm>
#include <cstdint>

namespace voicekit::reply {

namespace {
constexpr uint64_t kNsPerSecond = 1000000000ULL;
/* Two timestamps this close (in frames) are the same instant: rounding of
 * upstream timestamps must not read as a gap. */
constexpr uint64_t kJitterFrames = 2;

/* a + b, saturating at the largest 64-bit time instead of wrapping around (a
 * hostile segment base or timestamp near 2^64 ns). */
uint64_t add_time(uint64_t a, uint64_t b) {
  return b <= UINT64_MAX - a ? a + b : UINT64_MAX;
}
} /* namespace */

void UtteranceCollector::configure(int rate, int bytes_per_frame, uint64_t preroll_ns,
                                   uint64_t max_ns) {
  rate_ = rate;
  bpf_ = static_cast<std::size_t>(bytes_per_frame);
  set_limits(preroll_ns, max_ns);
  reset();
}

void UtteranceCollector::set_limits(uint64_t preroll_ns, uint64_t max_ns) {
  preroll_frames_ = ns_to_frames(preroll_ns);
  max_frames_ = std::max<uint64_t>(1, ns_to_frames(max_ns));
}

uint64_t UtteranceCollector::frames_to_ns(uint64_t frames) const {
  if (rate_ <= 0)
    return 0;
  const auto rate = static_cast<uint64_t>(rate_);
  return frames / rate * kNsPerSecond + frames % rate * kNsPerSecond / rate;
}

uint64_t UtteranceCollector::ns_to_frames(uint64_t ns) const {
  if (rate_ <= 0)
    return 0;
  const auto rate = static_cast<uint64_t>(rate_);
  /* rounded to the nearest frame, without overflow for any 64-bit time */
  return ns / kNsPerSecond * rate + (ns % kNsPerSecond * rate + kNsPerSecond / 2) / kNsPerSecond;
}

uint64_t UtteranceCollector::end_ns() const {
  if (collecting_)
    return add_time(utterance_.start_ns,
                    frames_to_ns(utterance_.data.size() / std::max<std::size_t>(bpf_, 1)));
  return add_time(history_start_ns_,
                  frames_to_ns(history_.size() / std::max<std::size_t>(bpf_, 1)));
}

void UtteranceCollector::trim_history(uint64_t keep_frames) {
  /* Keep the last keep_frames; erase in large steps (amortised O(1) per byte). */
  const uint64_t held = history_.size() / bpf_;
  if (held <= 2 * keep_frames + kJitterFrames)
    return;
  const uint64_t drop = held - keep_frames;
  history_.erase(history_.begin(), history_.begin() + static_cast<std::ptrdiff_t>(drop * bpf_));
  history_start_ns_ = add_time(history_start_ns_, frames_to_ns(drop));
}

void UtteranceCollector::push(uint64_t start_ns, const uint8_t *data, std::size_t frames) {
  if (rate_ <= 0 || frames == 0)
    return;
  const std::size_t bytes = frames * bpf_;
  if (collecting_) {
    const uint64_t held = utterance_.data.size() / bpf_;
    const uint64_t room = max_frames_ > held ? max_frames_ - held : 0;
    const uint64_t take = std::min<uint64_t>(room, frames);
    utterance_.data.insert(utterance_.data.end(), data, data + take * bpf_);
    if (take < frames)
      utterance_.truncated = true;
    return;
  }
  const uint64_t expected = end_ns();
  const uint64_t jitter = frames_to_ns(kJitterFrames);
  if (history_.empty() || add_time(start_ns, jitter) < expected ||
      start_ns > add_time(expected, jitter)) {
    history_.clear();
    history_start_ns_ = start_ns;
  }
  history_.insert(history_.end(), data, data + bytes);
  /* The turn detector decides after the buffer that completed the decision:
   * the onset may lie a whole buffer plus the pre-roll back. */
  trim_history(preroll_frames_ + frames);
}

void UtteranceCollector::begin(uint64_t onset_ns) {
  if (collecting_ || rate_ <= 0)
    return;
  const uint64_t held = history_.size() / bpf_;
  const uint64_t skip =
      onset_ns > history_start_ns_ ? std::min(held, ns_to_frames(onset_ns - history_start_ns_)) : 0;
  const uint64_t take = std::min<uint64_t>(held - skip, max_frames_);
  utterance_.start_ns = add_time(history_start_ns_, frames_to_ns(skip));
  utterance_.truncated = take < held - skip;
  utterance_.data.assign(history_.begin() + static_cast<std::ptrdiff_t>(skip * bpf_),
                         history_.begin() + static_cast<std::ptrdiff_t>((skip + take) * bpf_));
  history_.clear();
  collecting_ = true;
}

Utterance UtteranceCollector::finish(uint64_t onset_ns, uint64_t end_ns) {
  if (!collecting_)
    begin(onset_ns);
  Utterance done = std::move(utterance_);
  utterance_ = Utterance{};
  collecting_ = false;
  history_.clear();
  if (bpf_ > 0 && end_ns > done.start_ns) {
    const uint64_t keep = ns_to_frames(end_ns - done.start_ns);
    if (keep * bpf_ < done.data.size())
      done.data.resize(keep * bpf_);
  } else if (end_ns <= done.start_ns) {
    done.data.clear();
  }
  return done;
}

void UtteranceCollector::reset() {
  history_.clear();
  history_start_ns_ = 0;
  collecting_ = false;
  utterance_ = Utterance{};
}

} /* namespace voicekit::reply */

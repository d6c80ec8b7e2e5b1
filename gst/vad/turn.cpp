/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Turn state machine: see turn.hpp.
 */
#include "turn.hpp"

#include <algorithm>
#include <cmath>

namespace voicekit::vad {

namespace {
/* Time between two instants; 0 if the timeline went backwards (it should not:
 * callers feed running time, but a bad stream must not make a wrap-around). */
inline std::uint64_t since(std::uint64_t now, std::uint64_t then) {
  return now > then ? now - then : 0;
}
} /* namespace */

TurnEvent TurnDetector::pause(std::uint64_t decision_ns, std::uint64_t speech_end_ns, bool forced) {
  TurnEvent event{};
  event.kind = TurnEvent::Kind::kPause;
  event.utterance = utterance_;
  event.decision_ns = decision_ns;
  event.speech_start_ns = speech_start_ns_;
  event.speech_end_ns = speech_end_ns;
  event.forced = forced;
  last_end_ns_ = speech_end_ns;
  state_ = TurnState::kQuiet;
  return event;
}

std::optional<TurnEvent> TurnDetector::push(float probability, std::uint64_t start_ns,
                                            std::uint64_t end_ns) {
  if (std::isnan(probability))
    probability = 0.0f;
  const std::uint64_t duration = since(end_ns, start_ns);
  const bool speech = probability >= config_.threshold;
  const bool silence = probability < config_.end_threshold;

  switch (state_) {
  case TurnState::kQuiet:
    if (!speech)
      return std::nullopt;
    state_ = TurnState::kStarting;
    onset_ns_ = start_ns;
    speech_run_ns_ = 0;
    [[fallthrough]];
  case TurnState::kStarting:
    if (silence) {
      state_ = TurnState::kQuiet; /* a blip, not an utterance */
      return std::nullopt;
    }
    if (speech)
      speech_run_ns_ += duration;
    if (speech_run_ns_ < config_.min_speech_ns)
      return std::nullopt;
    state_ = TurnState::kSpeaking;
    utterance_++;
    {
      const std::uint64_t padded =
          onset_ns_ > config_.speech_pad_ns ? onset_ns_ - config_.speech_pad_ns : 0;
      speech_start_ns_ = std::max(padded, std::min(last_end_ns_, onset_ns_));
    }
    return TurnEvent{TurnEvent::Kind::kSpeechStart, utterance_, end_ns, speech_start_ns_, 0, false};
  case TurnState::kSpeaking:
    if (config_.max_speech_ns != 0 && since(end_ns, onset_ns_) >= config_.max_speech_ns)
      return pause(end_ns, end_ns, true);
    if (silence) {
      state_ = TurnState::kStopping;
      silence_start_ns_ = start_ns;
      if (duration >= config_.min_silence_ns)
        return pause(end_ns, silence_start_ns_, false);
    }
    return std::nullopt;
  case TurnState::kStopping:
    if (speech) {
      state_ = TurnState::kSpeaking; /* a short gap inside the turn */
      if (config_.max_speech_ns != 0 && since(end_ns, onset_ns_) >= config_.max_speech_ns)
        return pause(end_ns, end_ns, true);
      return std::nullopt;
    }
    if (since(end_ns, silence_start_ns_) >= config_.min_silence_ns)
      return pause(end_ns, silence_start_ns_, false);
    if (config_.max_speech_ns != 0 && since(end_ns, onset_ns_) >= config_.max_speech_ns)
      return pause(end_ns, silence_start_ns_, true);
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<TurnEvent> TurnDetector::finish(std::uint64_t end_ns) {
  if (state_ == TurnState::kSpeaking)
    return pause(end_ns, end_ns, true);
  if (state_ == TurnState::kStopping)
    return pause(end_ns, silence_start_ns_, true);
  state_ = TurnState::kQuiet;
  return std::nullopt;
}

void TurnDetector::reset() {
  state_ = TurnState::kQuiet;
  utterance_ = 0;
  onset_ns_ = speech_run_ns_ = silence_start_ns_ = last_end_ns_ = speech_start_ns_ = 0;
}

} /* namespace voicekit::vad */

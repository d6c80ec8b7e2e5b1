/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Turn state machine on per-frame speech probabilities: quiet, starting,
 * speaking, stopping. No GStreamer types; times are nanoseconds on a timeline
 * that only moves forward (the element uses running time).
 */
#ifndef GST_VAD_TURN_HPP
#define GST_VAD_TURN_HPP

#include <cstdint>
#include <optional>

namespace voicekit::vad {

constexpr std::uint64_t kMillisecond = 1000000ull;

/* Defaults chosen with tools/vad-eval for the built-in engine
 * (docs/pausedetect-eval.md): a low end threshold keeps weak speech in the
 * turn without keeping noise in it; 40 ms of speech start an utterance. */
struct TurnConfig {
  float threshold = 0.5f;     /* probability at or above which a frame is speech */
  float end_threshold = 0.1f; /* below this, a frame is silence (hysteresis) */
  std::uint64_t min_speech_ns = 40 * kMillisecond;   /* speech needed to start */
  std::uint64_t min_silence_ns = 500 * kMillisecond; /* silence that makes a pause */
  std::uint64_t speech_pad_ns = 300 * kMillisecond;  /* audio before onset that belongs */
  std::uint64_t max_speech_ns = 0;                   /* forces a pause; 0 = none */
};

enum class TurnState { kQuiet, kStarting, kSpeaking, kStopping };

struct TurnEvent {
  enum class Kind { kSpeechStart, kPause };
  Kind kind;
  std::uint64_t utterance;       /* 1, 2, ... per stream */
  std::uint64_t decision_ns;     /* end of the frame that triggered the decision */
  std::uint64_t speech_start_ns; /* estimated onset minus speech pad (not before 0 or
                                    the previous utterance's end) */
  std::uint64_t speech_end_ns;   /* pause only: estimated offset */
  bool forced;                   /* pause forced by max_speech_ns, or by finish() */
};

class TurnDetector {
public:
  explicit TurnDetector(const TurnConfig &config = TurnConfig()) : config_(config) {}

  /* New settings apply from the next frame; a running utterance keeps going. */
  void set_config(const TurnConfig &config) { config_ = config; }
  const TurnConfig &config() const { return config_; }

  /* One frame [start_ns, end_ns) with its probability. NaN counts as 0. */
  std::optional<TurnEvent> push(float probability, std::uint64_t start_ns, std::uint64_t end_ns);
  /* End of stream at end_ns: a pause if an utterance is open. */
  std::optional<TurnEvent> finish(std::uint64_t end_ns);
  /* Back to quiet, utterance count back to 0 (a flush). */
  void reset();

  TurnState state() const { return state_; }
  std::uint64_t utterances() const { return utterance_; }

private:
  TurnEvent pause(std::uint64_t decision_ns, std::uint64_t speech_end_ns, bool forced);

  TurnConfig config_;
  TurnState state_ = TurnState::kQuiet;
  std::uint64_t utterance_ = 0;
  std::uint64_t onset_ns_ = 0;         /* first speech frame of the candidate/utterance */
  std::uint64_t speech_run_ns_ = 0;    /* speech accumulated while starting */
  std::uint64_t silence_start_ns_ = 0; /* first silent frame while stopping */
  std::uint64_t last_end_ns_ = 0;      /* end of the previous utterance */
  std::uint64_t speech_start_ns_ = 0;  /* reported start of the open utterance */
};

} /* namespace voicekit::vad */

#endif /* GST_VAD_TURN_HPP */

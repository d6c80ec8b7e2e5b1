/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * vad-eval scoring: one TurnDetector over a detector's frames, then the
 * decisions matched against the corpus's true turns.
 *
 * Notation, per true turn i: s_i = its first speech sample, e_i = the end of
 * its last segment, s_{i+1} = the next turn's start (for the last turn: the
 * end of the stream). An utterance u of the detector has a speech-start
 * decision a_u (end of the frame that confirmed it), a reported start r_u
 * (TurnEvent::speech_start_ns, onset minus speech pad) and a pause decision
 * p_u (absent if still open at the end of the stream; the pause finish()
 * forces there does not count as a decision). tol = 100 ms.
 *
 *  - The utterance that ends turn i: the first u with a_u < e_i + tol and
 *    p_u >= e_i (open at the true end; tol lets a start confirmed just after
 *    a short last word count).
 *  - Turn end detected: that u exists and p_u < s_{i+1}. Latency = p_u - e_i.
 *  - Missed turn: otherwise. "merged": that u exists but pauses at or after
 *    s_{i+1} or never (the turn runs into the next one); "early": no u is
 *    open at e_i but one overlapped the turn (it paused inside the turn and
 *    the rest of the turn was not heard as speech); "undetected": no u
 *    overlaps [s_i, e_i) at all.
 *  - False pause: every pause decision that is not a detected turn end:
 *    "in turn" if p_u falls in some [s_i, e_i) (a short gap or mid-speech),
 *    "in gap" otherwise (an utterance the noise started between turns, or a
 *    second one after the turn end).
 *  - Start of turn i: the first u with p_u > s_i (or open) and a_u < e_i + tol.
 *    If a_u >= s_i, speech-start latency = a_u - s_i; if a_u < s_i the
 *    utterance was already open when the turn started ("open before").
 *    Onset lost = max(0, r_u - s_i) for every turn that has such a u.
 *  - Frames: a frame is true speech when at least half of it lies inside a
 *    segment (short pauses inside a segment count as speech); recall = speech
 *    frames with probability >= threshold, false alarm = other frames that are.
 */
#ifndef TOOLS_EVAL_SCORE_HPP
#define TOOLS_EVAL_SCORE_HPP

#include "detectors.hpp"

#include "gst/vad/turn.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace voicekit::eval {

constexpr std::uint64_t kStartToleranceNs = 100000000ull;

struct Utterance {
  std::uint64_t start_decision_ns = 0;
  std::uint64_t reported_start_ns = 0;
  std::uint64_t pause_decision_ns = 0;
  std::uint64_t reported_end_ns = 0;
  bool closed = false; /* a real pause decision (not finish()) */
};

std::vector<Utterance> run_turn_detector(const std::vector<Frame> &frames,
                                         const vad::TurnConfig &config,
                                         std::uint64_t stream_end_ns);

struct TruthSpan {
  std::uint64_t start_ns;
  std::uint64_t end_ns;
};

struct Truth {
  std::vector<TruthSpan> turns;
  std::vector<TruthSpan> segments; /* sorted */
  std::uint64_t end_ns = 0;
};

struct Score {
  int turns = 0;
  int detected_ends = 0;
  int missed_merged = 0;
  int missed_early = 0;
  int missed_undetected = 0;
  int false_in_turn = 0;
  int false_in_gap = 0;
  int open_before = 0;
  std::vector<double> end_latency_ms;
  std::vector<double> start_latency_ms;
  std::vector<double> onset_lost_ms;
  std::uint64_t speech_frames = 0, speech_hits = 0;
  std::uint64_t other_frames = 0, other_hits = 0;

  int missed() const { return missed_merged + missed_early + missed_undetected; }
  int false_pauses() const { return false_in_turn + false_in_gap; }
  void add(const Score &other);
};

/* `log`, when given, receives one line per error (missed turn, false pause). */
Score score_utterances(const std::vector<Utterance> &utterances, const std::vector<Frame> &frames,
                       const Truth &truth, float threshold, std::vector<std::string> *log);

/* Linear interpolation between closest ranks; NaN when empty. */
double quantile(std::vector<double> values, double q);

} /* namespace voicekit::eval */

#endif /* TOOLS_EVAL_SCORE_HPP */

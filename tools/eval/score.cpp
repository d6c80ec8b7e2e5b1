/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * vad-eval scoring: see score.hpp for the definitions.
 */
#include "score.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace voicekit::eval {

namespace {

double to_ms(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

std::string at(std::uint64_t ns) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", static_cast<double>(ns) / 1e9);
  return text;
}

} /* namespace */

std::vector<Utterance> run_turn_detector(const std::vector<Frame> &frames,
                                         const vad::TurnConfig &config,
                                         std::uint64_t stream_end_ns) {
  vad::TurnDetector detector(config);
  std::vector<Utterance> utterances;
  auto take = [&](const vad::TurnEvent &event, bool real) {
    if (event.kind == vad::TurnEvent::Kind::kSpeechStart) {
      Utterance u;
      u.start_decision_ns = event.decision_ns;
      u.reported_start_ns = event.speech_start_ns;
      utterances.push_back(u);
    } else if (!utterances.empty()) {
      Utterance &u = utterances.back();
      u.pause_decision_ns = event.decision_ns;
      u.reported_end_ns = event.speech_end_ns;
      u.closed = real;
    }
  };
  for (const Frame &f : frames)
    if (auto event = detector.push(f.probability, f.start_ns, f.end_ns))
      take(*event, true);
  if (auto event = detector.finish(stream_end_ns))
    take(*event, false);
  return utterances;
}

void Score::add(const Score &o) {
  turns += o.turns;
  detected_ends += o.detected_ends;
  missed_merged += o.missed_merged;
  missed_early += o.missed_early;
  missed_undetected += o.missed_undetected;
  false_in_turn += o.false_in_turn;
  false_in_gap += o.false_in_gap;
  open_before += o.open_before;
  end_latency_ms.insert(end_latency_ms.end(), o.end_latency_ms.begin(), o.end_latency_ms.end());
  start_latency_ms.insert(start_latency_ms.end(), o.start_latency_ms.begin(),
                          o.start_latency_ms.end());
  onset_lost_ms.insert(onset_lost_ms.end(), o.onset_lost_ms.begin(), o.onset_lost_ms.end());
  speech_frames += o.speech_frames;
  speech_hits += o.speech_hits;
  other_frames += o.other_frames;
  other_hits += o.other_hits;
}

double quantile(std::vector<double> values, double q) {
  if (values.empty())
    return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double rank = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(rank));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (rank - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

Score score_utterances(const std::vector<Utterance> &utterances, const std::vector<Frame> &frames,
                       const Truth &truth, float threshold, std::vector<std::string> *log) {
  Score score;
  const std::uint64_t tol = kStartToleranceNs;
  const std::uint64_t never = std::numeric_limits<std::uint64_t>::max();
  /* Pause time for overlap tests: an utterance still open (or closed only by
   * finish()) lasts forever. */
  auto pause_of = [&](const Utterance &u) { return u.closed ? u.pause_decision_ns : never; };
  std::vector<bool> matched(utterances.size(), false);
  auto note = [&](const std::string &line) {
    if (log != nullptr)
      log->push_back(line);
  };

  for (std::size_t i = 0; i < truth.turns.size(); i++) {
    const std::uint64_t s = truth.turns[i].start_ns;
    const std::uint64_t e = truth.turns[i].end_ns;
    const std::uint64_t next = i + 1 < truth.turns.size() ? truth.turns[i + 1].start_ns : never;
    score.turns++;

    /* Start. */
    for (const Utterance &u : utterances) {
      if (pause_of(u) > s && u.start_decision_ns < e + tol) {
        if (u.start_decision_ns < s)
          score.open_before++;
        else
          score.start_latency_ms.push_back(to_ms(u.start_decision_ns - s));
        score.onset_lost_ms.push_back(to_ms(u.reported_start_ns > s ? u.reported_start_ns - s : 0));
        break;
      }
    }

    /* End. */
    std::size_t ending = utterances.size();
    for (std::size_t k = 0; k < utterances.size(); k++) {
      if (utterances[k].start_decision_ns < e + tol && pause_of(utterances[k]) >= e) {
        ending = k;
        break;
      }
    }
    const std::string turn_name =
        "turn " + std::to_string(i + 1) + " [" + at(s) + ", " + at(e) + "]";
    if (ending < utterances.size() && pause_of(utterances[ending]) < next) {
      matched[ending] = true;
      score.detected_ends++;
      score.end_latency_ms.push_back(to_ms(utterances[ending].pause_decision_ns - e));
    } else if (ending < utterances.size()) {
      score.missed_merged++;
      note(turn_name + ": missed, merged (utterance from " +
           at(utterances[ending].start_decision_ns) + " pauses " +
           (utterances[ending].closed ? "at " + at(utterances[ending].pause_decision_ns)
                                      : std::string("never")) +
           ")");
    } else {
      bool overlapped = false;
      for (const Utterance &u : utterances)
        overlapped = overlapped || (u.start_decision_ns < e + tol && pause_of(u) > s);
      if (overlapped) {
        score.missed_early++;
        note(turn_name + ": missed, ended early (no utterance open at its end)");
      } else {
        score.missed_undetected++;
        note(turn_name + ": missed, undetected");
      }
    }
  }

  for (std::size_t k = 0; k < utterances.size(); k++) {
    const Utterance &u = utterances[k];
    if (!u.closed || matched[k])
      continue;
    std::size_t inside = truth.turns.size();
    for (std::size_t i = 0; i < truth.turns.size(); i++)
      if (u.pause_decision_ns >= truth.turns[i].start_ns &&
          u.pause_decision_ns < truth.turns[i].end_ns)
        inside = i;
    std::string where = "in gap";
    if (inside < truth.turns.size()) {
      score.false_in_turn++;
      where = "in turn " + std::to_string(inside + 1) + ", " +
              std::to_string((truth.turns[inside].end_ns - u.pause_decision_ns) / 1000000) +
              " ms before its end, ";
      /* Does the silence the detector heard cover a short gap of the turn? */
      std::string kind = "inside a segment";
      for (std::size_t j = 0; j + 1 < truth.segments.size(); j++) {
        const std::uint64_t gap_start = truth.segments[j].end_ns;
        const std::uint64_t gap_end = truth.segments[j + 1].start_ns;
        if (gap_start >= truth.turns[inside].start_ns && gap_end <= truth.turns[inside].end_ns &&
            gap_end > u.reported_end_ns && gap_start < u.pause_decision_ns) {
          kind =
              "across a " + std::to_string((gap_end - gap_start) / 1000000) +
              " ms gap, speech heard as silence " +
              std::to_string((gap_start > u.reported_end_ns ? gap_start - u.reported_end_ns : 0) /
                             1000000) +
              " ms before and " +
              std::to_string((u.pause_decision_ns > gap_end ? u.pause_decision_ns - gap_end : 0) /
                             1000000) +
              " ms after it";
          break;
        }
      }
      where += kind;
    } else {
      score.false_in_gap++;
    }
    note("false pause " + where + ": decided at " + at(u.pause_decision_ns) + " (utterance " +
         at(u.start_decision_ns) + ", silence from " + at(u.reported_end_ns) + ")");
  }

  /* Frames. */
  std::size_t seg = 0;
  for (const Frame &f : frames) {
    while (seg < truth.segments.size() && truth.segments[seg].end_ns <= f.start_ns)
      seg++;
    std::uint64_t overlap = 0;
    for (std::size_t j = seg; j < truth.segments.size() && truth.segments[j].start_ns < f.end_ns;
         j++) {
      const std::uint64_t lo = std::max(f.start_ns, truth.segments[j].start_ns);
      const std::uint64_t hi = std::min(f.end_ns, truth.segments[j].end_ns);
      if (hi > lo)
        overlap += hi - lo;
    }
    const bool is_speech = 2 * overlap >= f.end_ns - f.start_ns;
    const bool said = f.probability >= threshold;
    if (is_speech) {
      score.speech_frames++;
      score.speech_hits += said ? 1 : 0;
    } else {
      score.other_frames++;
      score.other_hits += said ? 1 : 0;
    }
  }
  return score;
}

} /* namespace voicekit::eval */

/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Unit tests of the turn state machine (gst/vad/turn.hpp).
 */
#include <gst/vad/turn.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using voicekit::vad::kMillisecond;
using voicekit::vad::TurnConfig;
using voicekit::vad::TurnDetector;
using voicekit::vad::TurnEvent;
using voicekit::vad::TurnState;

namespace {

constexpr std::uint64_t kFrame = 10 * kMillisecond;

/* Feeds `duration` of frames at one probability; collects events. */
struct Feeder {
  TurnDetector detector;
  std::uint64_t now = 0;
  std::vector<TurnEvent> events;

  explicit Feeder(const TurnConfig &config) : detector(config) {}

  void feed(float probability, std::uint64_t duration) {
    for (std::uint64_t t = 0; t < duration; t += kFrame) {
      if (auto event = detector.push(probability, now, now + kFrame))
        events.push_back(*event);
      now += kFrame;
    }
  }
};

/* Explicit values, not the tuned defaults: these tests are about the rule. */
TurnConfig base_config() {
  TurnConfig config;
  config.threshold = 0.5f;
  config.end_threshold = 0.35f;
  config.min_speech_ns = 60 * kMillisecond;
  config.min_silence_ns = 500 * kMillisecond;
  config.speech_pad_ns = 300 * kMillisecond;
  return config;
}

TurnConfig config_without_pad() {
  TurnConfig config = base_config();
  config.speech_pad_ns = 0;
  return config;
}

} /* namespace */

TEST(Turn, SilenceMakesNoEvents) {
  Feeder feeder(base_config());
  feeder.feed(0.0f, 5000 * kMillisecond);
  feeder.feed(0.45f, 5000 * kMillisecond); /* between the thresholds: not speech */
  EXPECT_TRUE(feeder.events.empty());
  EXPECT_EQ(feeder.detector.state(), TurnState::kQuiet);
}

TEST(Turn, SpeechThenSilenceGivesStartAndPauseAtTheRightTimes) {
  TurnConfig config = base_config();
  config.min_speech_ns = 60 * kMillisecond;
  config.speech_pad_ns = 300 * kMillisecond;
  Feeder feeder(config);
  feeder.feed(0.0f, 1000 * kMillisecond);
  feeder.feed(0.9f, 800 * kMillisecond); /* speech from 1.0 s to 1.8 s */
  feeder.feed(0.0f, 1000 * kMillisecond);
  ASSERT_EQ(feeder.events.size(), 2u);
  const TurnEvent &start = feeder.events[0];
  EXPECT_EQ(start.kind, TurnEvent::Kind::kSpeechStart);
  EXPECT_EQ(start.utterance, 1u);
  EXPECT_EQ(start.decision_ns, 1060 * kMillisecond);    /* onset + min speech */
  EXPECT_EQ(start.speech_start_ns, 700 * kMillisecond); /* onset - pad */
  const TurnEvent &pause = feeder.events[1];
  EXPECT_EQ(pause.kind, TurnEvent::Kind::kPause);
  EXPECT_EQ(pause.utterance, 1u);
  EXPECT_EQ(pause.speech_end_ns, 1800 * kMillisecond);
  EXPECT_EQ(pause.decision_ns, 2300 * kMillisecond); /* offset + min silence, exactly */
  EXPECT_EQ(pause.speech_start_ns, 700 * kMillisecond);
  EXPECT_FALSE(pause.forced);
}

TEST(Turn, PadNeverReachesBeforeZeroOrThePreviousUtterance) {
  TurnConfig config = base_config();
  config.speech_pad_ns = 500 * kMillisecond;
  Feeder feeder(config);
  feeder.feed(0.9f, 300 * kMillisecond); /* speech at 0 */
  feeder.feed(0.0f, 600 * kMillisecond); /* pause; utterance ends at 300 ms */
  feeder.feed(0.9f, 300 * kMillisecond); /* onset at 900 ms, pad would reach 400 ms */
  ASSERT_GE(feeder.events.size(), 3u);
  EXPECT_EQ(feeder.events[0].speech_start_ns, 0u);
  EXPECT_EQ(feeder.events[2].kind, TurnEvent::Kind::kSpeechStart);
  EXPECT_EQ(feeder.events[2].utterance, 2u);
  EXPECT_EQ(feeder.events[2].speech_start_ns, 400 * kMillisecond);

  TurnConfig long_pad = config;
  long_pad.speech_pad_ns = 600 * kMillisecond;
  Feeder close(long_pad);
  close.feed(0.9f, 300 * kMillisecond);
  close.feed(0.0f, 510 * kMillisecond); /* utterance ends at 300 ms, pause at 800 ms */
  close.feed(0.9f, 300 * kMillisecond); /* onset 810 ms: the pad would reach 210 ms */
  ASSERT_EQ(close.events.size(), 3u);
  EXPECT_EQ(close.events[2].speech_start_ns, 300 * kMillisecond);
}

TEST(Turn, ShortGapsStayInsideTheTurn) {
  Feeder feeder(config_without_pad());
  feeder.feed(0.9f, 400 * kMillisecond);
  feeder.feed(0.0f, 490 * kMillisecond); /* just under min silence */
  feeder.feed(0.9f, 400 * kMillisecond);
  feeder.feed(0.0f, 300 * kMillisecond);
  feeder.feed(0.9f, 400 * kMillisecond);
  feeder.feed(0.0f, 600 * kMillisecond);
  ASSERT_EQ(feeder.events.size(), 2u);
  EXPECT_EQ(feeder.events[1].kind, TurnEvent::Kind::kPause);
  EXPECT_EQ(feeder.events[1].speech_end_ns, 1990 * kMillisecond);
}

TEST(Turn, BlipsShorterThanMinSpeechDoNotStart) {
  TurnConfig config = base_config();
  config.min_speech_ns = 100 * kMillisecond;
  Feeder feeder(config);
  for (int i = 0; i < 20; i++) {
    feeder.feed(0.9f, 90 * kMillisecond);
    feeder.feed(0.0f, 200 * kMillisecond);
  }
  EXPECT_TRUE(feeder.events.empty());
  feeder.feed(0.9f, 100 * kMillisecond);
  ASSERT_EQ(feeder.events.size(), 1u);
  EXPECT_EQ(feeder.events[0].kind, TurnEvent::Kind::kSpeechStart);
}

TEST(Turn, HysteresisBetweenThresholds) {
  Feeder feeder(config_without_pad());
  feeder.feed(0.9f, 200 * kMillisecond);
  /* 0.4 is below threshold 0.5 but above end threshold 0.35: still speaking */
  feeder.feed(0.4f, 2000 * kMillisecond);
  ASSERT_EQ(feeder.events.size(), 1u);
  EXPECT_EQ(feeder.detector.state(), TurnState::kSpeaking);
  feeder.feed(0.3f, 500 * kMillisecond);
  ASSERT_EQ(feeder.events.size(), 2u);
  EXPECT_EQ(feeder.events[1].speech_end_ns, 2200 * kMillisecond);
}

TEST(Turn, MaxSpeechForcesAPauseAndSpeechGoesOnAsANewUtterance) {
  TurnConfig config = config_without_pad();
  config.max_speech_ns = 1000 * kMillisecond;
  Feeder feeder(config);
  feeder.feed(0.9f, 2500 * kMillisecond);
  ASSERT_GE(feeder.events.size(), 4u);
  EXPECT_EQ(feeder.events[1].kind, TurnEvent::Kind::kPause);
  EXPECT_TRUE(feeder.events[1].forced);
  EXPECT_EQ(feeder.events[1].decision_ns, 1000 * kMillisecond);
  EXPECT_EQ(feeder.events[2].kind, TurnEvent::Kind::kSpeechStart);
  EXPECT_EQ(feeder.events[2].utterance, 2u);
}

TEST(Turn, FinishClosesAnOpenUtterance) {
  Feeder feeder(config_without_pad());
  feeder.feed(0.9f, 300 * kMillisecond);
  auto pause = feeder.detector.finish(feeder.now);
  ASSERT_TRUE(pause);
  EXPECT_EQ(pause->kind, TurnEvent::Kind::kPause);
  EXPECT_TRUE(pause->forced);
  EXPECT_EQ(pause->speech_end_ns, 300 * kMillisecond);
  EXPECT_FALSE(feeder.detector.finish(feeder.now)); /* nothing open any more */

  Feeder stopping(config_without_pad());
  stopping.feed(0.9f, 300 * kMillisecond);
  stopping.feed(0.0f, 200 * kMillisecond);
  auto late = stopping.detector.finish(stopping.now);
  ASSERT_TRUE(late);
  EXPECT_EQ(late->speech_end_ns, 300 * kMillisecond);
}

TEST(Turn, ResetStartsCountingAgain) {
  Feeder feeder(base_config());
  feeder.feed(0.9f, 300 * kMillisecond);
  feeder.feed(0.0f, 600 * kMillisecond);
  feeder.detector.reset();
  feeder.events.clear();
  feeder.feed(0.9f, 300 * kMillisecond);
  ASSERT_EQ(feeder.events.size(), 1u);
  EXPECT_EQ(feeder.events[0].utterance, 1u);
}

TEST(Turn, NanCountsAsSilence) {
  Feeder feeder(config_without_pad());
  feeder.feed(std::nanf(""), 1000 * kMillisecond);
  EXPECT_TRUE(feeder.events.empty());
  feeder.feed(0.9f, 300 * kMillisecond);
  feeder.feed(std::nanf(""), 600 * kMillisecond);
  ASSERT_EQ(feeder.events.size(), 2u);
  EXPECT_EQ(feeder.events[1].kind, TurnEvent::Kind::kPause);
}

TEST(Turn, ConfigChangesApplyFromTheNextFrame) {
  Feeder feeder(config_without_pad());
  feeder.feed(0.9f, 300 * kMillisecond);
  TurnConfig longer = config_without_pad();
  longer.min_silence_ns = 1000 * kMillisecond;
  feeder.detector.set_config(longer);
  feeder.feed(0.0f, 900 * kMillisecond);
  EXPECT_EQ(feeder.events.size(), 1u); /* 900 ms < 1 s: no pause yet */
  feeder.feed(0.0f, 200 * kMillisecond);
  ASSERT_EQ(feeder.events.size(), 2u);
  EXPECT_EQ(feeder.events[1].decision_ns, 1300 * kMillisecond);
}

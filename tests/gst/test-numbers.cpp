/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Unit tests of replyonpause's reply numbering (gst/reply/numbers.hpp): the
 * detector's numbers kept while they can be, continued past its restarts,
 * greetings, and no number ever given twice.
 */
#include <gst/reply/numbers.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>

using voicekit::reply::ReplyNumbers;

namespace {

TEST(ReplyNumbers, KeepsTheDetectorsNumbers) {
  ReplyNumbers numbers;
  EXPECT_EQ(numbers.last(), 0u);
  EXPECT_EQ(numbers.of_utterance(1), 1u); /* speech-start */
  EXPECT_EQ(numbers.of_utterance(1), 1u); /* its pause */
  EXPECT_EQ(numbers.of_utterance(2), 2u);
  EXPECT_EQ(numbers.of_utterance(2), 2u);
  EXPECT_EQ(numbers.last(), 2u);
}

TEST(ReplyNumbers, APauseWithoutSpeechStartGetsItsNumber) {
  ReplyNumbers numbers;
  EXPECT_EQ(numbers.of_utterance(3), 3u);
  EXPECT_EQ(numbers.of_utterance(4), 4u);
}

TEST(ReplyNumbers, ContinuesPastDetectorRestarts) {
  ReplyNumbers numbers;
  EXPECT_EQ(numbers.of_utterance(1), 1u);
  EXPECT_EQ(numbers.of_utterance(2), 2u);
  numbers.detector_restarts();
  EXPECT_EQ(numbers.of_utterance(1), 3u);
  EXPECT_EQ(numbers.of_utterance(1), 3u);
  EXPECT_EQ(numbers.of_utterance(2), 4u);
  numbers.detector_restarts();
  numbers.detector_restarts(); /* twice in a row: no number is skipped */
  EXPECT_EQ(numbers.of_utterance(1), 5u);
}

TEST(ReplyNumbers, RestartBeforeAnyUtterance) {
  ReplyNumbers numbers;
  numbers.detector_restarts();
  EXPECT_EQ(numbers.of_utterance(1), 1u);
}

/* A restart the element did not see (numbers going back): still no repeat. */
TEST(ReplyNumbers, NumbersGoingBackAreNotRepeated) {
  ReplyNumbers numbers;
  EXPECT_EQ(numbers.of_utterance(1), 1u);
  EXPECT_EQ(numbers.of_utterance(2), 2u);
  EXPECT_EQ(numbers.of_utterance(1), 3u);
  EXPECT_EQ(numbers.of_utterance(2), 4u);
}

TEST(ReplyNumbers, FirstGreetingIsZeroLaterOnesShiftTheUtterances) {
  ReplyNumbers numbers;
  EXPECT_EQ(numbers.for_greeting(), 0u);
  EXPECT_EQ(numbers.of_utterance(1), 1u);
  EXPECT_EQ(numbers.of_utterance(1), 1u);
  EXPECT_EQ(numbers.for_greeting(), 2u);
  EXPECT_EQ(numbers.of_utterance(2), 3u);
  EXPECT_EQ(numbers.for_greeting(), 4u);
  EXPECT_EQ(numbers.of_utterance(3), 5u);
  EXPECT_EQ(numbers.last(), 5u);
}

/* After a greeting the detector's numbers are shifted by one, even where
 * the detector skips numbers. */
TEST(ReplyNumbers, GreetingShiftsTheDetectorsNumbers) {
  ReplyNumbers numbers;
  EXPECT_EQ(numbers.for_greeting(), 0u); /* the first one shifts nothing */
  EXPECT_EQ(numbers.of_utterance(1), 1u);
  EXPECT_EQ(numbers.of_utterance(5), 5u);
  EXPECT_EQ(numbers.for_greeting(), 6u);
  EXPECT_EQ(numbers.of_utterance(9), 10u);
}

/* A greeting between an utterance's speech-start and its pause: the pause
 * keeps the speech-start's number, the next utterance comes after both. */
TEST(ReplyNumbers, GreetingMidUtteranceKeepsItsNumber) {
  ReplyNumbers numbers;
  EXPECT_EQ(numbers.for_greeting(), 0u);
  EXPECT_EQ(numbers.of_utterance(1), 1u);
  EXPECT_EQ(numbers.for_greeting(), 2u);
  EXPECT_EQ(numbers.of_utterance(1), 1u);
  EXPECT_EQ(numbers.of_utterance(2), 3u);
}

/* Random runs of what the detector and the sessions do: every number given
 * to a new utterance or a greeting is new, and an utterance's speech-start
 * and pause agree. */
TEST(ReplyNumbers, NeverGivesANumberTwice) {
  std::mt19937 random(12345);
  for (int run = 0; run < 200; run++) {
    ReplyNumbers numbers;
    std::set<uint64_t> given;
    uint64_t detector = 0; /* the detector's last utterance number */
    for (int step = 0; step < 200; step++) {
      switch (random() % 4) {
      case 0: { /* an utterance: speech-start (maybe unseen), then its pause */
        detector++;
        const bool speech_start_seen = random() % 4 != 0;
        uint64_t first = 0;
        if (speech_start_seen) {
          first = numbers.of_utterance(detector);
          ASSERT_TRUE(given.insert(first).second) << "run " << run << " step " << step;
          if (random() % 3 == 0) { /* a new session's greeting in between */
            const uint64_t greeting = numbers.for_greeting();
            ASSERT_TRUE(given.insert(greeting).second) << "run " << run << " step " << step;
          }
        }
        const uint64_t pause = numbers.of_utterance(detector);
        if (speech_start_seen)
          ASSERT_EQ(pause, first) << "run " << run << " step " << step;
        else
          ASSERT_TRUE(given.insert(pause).second) << "run " << run << " step " << step;
        ASSERT_EQ(numbers.last(), *given.rbegin());
        break;
      }
      case 1: /* a flush, a new stream, a restart */
        numbers.detector_restarts();
        detector = 0;
        break;
      case 2: { /* a new session */
        const uint64_t greeting = numbers.for_greeting();
        ASSERT_TRUE(given.insert(greeting).second) << "run " << run << " step " << step;
        break;
      }
      default: /* the detector skips numbers (utterances too short to report) */
        detector += random() % 3;
        break;
      }
    }
  }
}

} /* namespace */

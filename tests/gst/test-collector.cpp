/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Unit tests of the utterance collector (pre-roll, bounds, trimming).
 */
#include <gst/reply/collector.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

using voicekit::reply::Utterance;
using voicekit::reply::UtteranceCollector;

namespace {

constexpr int kRate = 1000; /* 1 frame per ms: times read as frame numbers */
constexpr uint64_t kMs = 1000000;

/* 2-byte frames holding their own frame number, `count` frames from `first`. */
std::vector<uint8_t> frames_from(uint64_t first, size_t count) {
  std::vector<uint8_t> data;
  for (size_t i = 0; i < count; i++) {
    const auto value = static_cast<uint16_t>(first + i);
    data.push_back(static_cast<uint8_t>(value & 0xff));
    data.push_back(static_cast<uint8_t>(value >> 8));
  }
  return data;
}

uint16_t frame_at(const Utterance &u, size_t index) {
  return static_cast<uint16_t>(u.data[2 * index] | (u.data[2 * index + 1] << 8));
}

/* 2-byte frames at kRate; `preroll_ms` of history kept before an onset,
 * utterances of at most `max_ms`. */
void configure(UtteranceCollector &c, uint64_t preroll_ms = 300, uint64_t max_ms = 10000) {
  c.configure(kRate, 2, preroll_ms * kMs, max_ms * kMs);
}

/* Pushes [from, to) ms in 20 ms buffers. */
void feed(UtteranceCollector &c, uint64_t from, uint64_t to, size_t span = 20) {
  for (uint64_t t = from; t < to; t += span) {
    const auto data = frames_from(t, span);
    c.push(t * kMs, data.data(), span);
  }
}

} /* namespace */

TEST(Collector, UtteranceStartsAtTheOnsetFromThePreroll) {
  UtteranceCollector c;
  configure(c);
  feed(c, 0, 1000);
  c.begin(800 * kMs); /* the detector decided at 1000 ms about an onset at 800 ms */
  EXPECT_TRUE(c.collecting());
  feed(c, 1000, 1600);
  const Utterance u = c.finish(0, 1500 * kMs);
  EXPECT_FALSE(c.collecting());
  EXPECT_EQ(u.start_ns, 800 * kMs);
  ASSERT_EQ(u.data.size(), 700u * 2);
  for (size_t i = 0; i < 700; i++)
    ASSERT_EQ(frame_at(u, i), 800 + i);
  EXPECT_FALSE(u.truncated);
}

TEST(Collector, OnsetBeforeThePrerollStartsAtTheOldestKeptFrame) {
  UtteranceCollector c;
  configure(c);
  feed(c, 0, 2000);
  c.begin(100 * kMs);
  const Utterance u = c.finish(0, 2000 * kMs);
  /* at least the pre-roll plus the last buffer is kept, never more than twice */
  EXPECT_GE(u.data.size() / 2, 320u);
  EXPECT_LE(u.data.size() / 2, 2u * 320 + 2);
  EXPECT_EQ(frame_at(u, 0), u.start_ns / kMs);
  EXPECT_EQ(frame_at(u, u.data.size() / 2 - 1), 1999);
}

TEST(Collector, OneBigBufferKeepsItsWholeLength) {
  /* A 3 s buffer: the decision comes after it, about an onset inside it. */
  UtteranceCollector c;
  configure(c);
  const auto data = frames_from(0, 3000);
  c.push(0, data.data(), 3000);
  c.begin(200 * kMs);
  const Utterance u = c.finish(0, 2750 * kMs);
  EXPECT_EQ(u.start_ns, 200 * kMs);
  EXPECT_EQ(u.data.size(), 2550u * 2);
  EXPECT_EQ(frame_at(u, 0), 200);
}

TEST(Collector, MaxDurationTruncates) {
  UtteranceCollector c;
  configure(c, 300, 500);
  feed(c, 0, 200);
  c.begin(0);
  feed(c, 200, 3000);
  const Utterance u = c.finish(0, 3000 * kMs);
  EXPECT_TRUE(u.truncated);
  EXPECT_EQ(u.data.size(), 500u * 2);
  EXPECT_EQ(frame_at(u, 499), 499);
}

TEST(Collector, FinishWithoutBeginUsesTheHistory) {
  UtteranceCollector c;
  configure(c, 1000);
  feed(c, 0, 1000);
  const Utterance u = c.finish(600 * kMs, 900 * kMs);
  EXPECT_EQ(u.start_ns, 600 * kMs);
  EXPECT_EQ(u.data.size(), 300u * 2);
}

TEST(Collector, AGapRestartsTheHistory) {
  UtteranceCollector c;
  configure(c, 1000);
  feed(c, 0, 500);
  feed(c, 5000, 5200); /* a jump: older audio is not the onset's */
  c.begin(0);
  const Utterance u = c.finish(0, 5200 * kMs);
  EXPECT_EQ(u.start_ns, 5000 * kMs);
  EXPECT_EQ(u.data.size(), 200u * 2);
}

TEST(Collector, ResetDropsEverythingAndMemoryStaysBounded) {
  UtteranceCollector c;
  configure(c);
  feed(c, 0, 100000); /* 100 s without speech */
  EXPECT_LE(c.bytes_held(), (2u * 320 + 2) * 2);
  c.begin(99900 * kMs);
  feed(c, 100000, 101000);
  c.reset();
  EXPECT_FALSE(c.collecting());
  EXPECT_EQ(c.bytes_held(), 0u);
  const Utterance u = c.finish(0, 0);
  EXPECT_TRUE(u.data.empty());
}

TEST(Collector, EndBeforeStartGivesNothing) {
  UtteranceCollector c;
  configure(c);
  feed(c, 0, 1000);
  c.begin(900 * kMs);
  const Utterance u = c.finish(0, 800 * kMs);
  EXPECT_TRUE(u.data.empty());
}

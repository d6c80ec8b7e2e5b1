/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Unit tests of the voice-activity core (gst/vad/vad.hpp): formats, framing,
 * bad samples, and the built-in engine on real speech.
 */
#include <gst/vad/turn.hpp>
#include <gst/vad/vad.hpp>

#include "../common/speech.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

using namespace voicekit::vad;
using voicekit::testing::two_turns;

namespace {

FrameAnalyzer make_analyzer(const AudioFormat &format, int frame_ms = 10) {
  FrameAnalyzer analyzer(make_builtin_engine());
  std::string error;
  EXPECT_TRUE(analyzer.configure(format, frame_ms, &error)) << error;
  return analyzer;
}

AudioFormat mono_s16(int rate) {
  AudioFormat format;
  format.rate = rate;
  return format;
}

/* Every frame's probability: `frames` frames of `samples` (interleaved, in
 * `format`) pushed at once into a new analyzer. */
template <typename Sample>
std::vector<float> probabilities_of(const AudioFormat &format, const std::vector<Sample> &samples,
                                    std::size_t frames) {
  FrameAnalyzer analyzer = make_analyzer(format);
  std::vector<float> probabilities;
  analyzer.push(samples.data(), frames,
                [&](const FrameResult &f) { probabilities.push_back(f.probability); });
  return probabilities;
}

/* Runs samples through analyzer + turn rule; returns the events. */
template <typename Sample>
std::vector<TurnEvent> detect(FrameAnalyzer &analyzer, const std::vector<Sample> &samples,
                              std::size_t chunk, int rate, bool finish = true) {
  TurnDetector turn;
  std::vector<TurnEvent> events;
  const std::size_t channels = static_cast<std::size_t>(analyzer.format().channels);
  const std::size_t frames = samples.size() / channels;
  for (std::size_t done = 0; done < frames; done += chunk) {
    const std::size_t count = std::min(chunk, frames - done);
    analyzer.push(samples.data() + done * channels, count, [&](const FrameResult &frame) {
      const std::uint64_t end = frame.end_sample * 1000000000ull / static_cast<std::uint64_t>(rate);
      const std::uint64_t start = (frame.end_sample - frame.frame_samples) * 1000000000ull /
                                  static_cast<std::uint64_t>(rate);
      if (auto event = turn.push(frame.probability, start, end))
        events.push_back(*event);
    });
  }
  if (finish) {
    const std::uint64_t end =
        analyzer.samples_fed() * 1000000000ull / static_cast<std::uint64_t>(rate);
    if (auto event = turn.finish(end))
      events.push_back(*event);
  }
  return events;
}

void expect_two_clean_turns(const std::vector<TurnEvent> &events, int rate_for_message) {
  ASSERT_EQ(events.size(), 4u) << "at " << rate_for_message << " Hz";
  EXPECT_EQ(events[0].kind, TurnEvent::Kind::kSpeechStart);
  EXPECT_EQ(events[1].kind, TurnEvent::Kind::kPause);
  EXPECT_FALSE(events[1].forced);
  EXPECT_EQ(events[2].kind, TurnEvent::Kind::kSpeechStart);
  EXPECT_EQ(events[3].kind, TurnEvent::Kind::kPause);
  EXPECT_FALSE(events[3].forced);
}

} /* namespace */

TEST(FrameAnalyzer, RefusesFormatsItCannotAnalyse) {
  FrameAnalyzer analyzer(make_builtin_engine());
  std::string error;
  EXPECT_FALSE(analyzer.configure(mono_s16(7999), 10, &error));
  EXPECT_NE(error.find("7999"), std::string::npos);
  EXPECT_FALSE(analyzer.configure(mono_s16(48001), 10, &error));
  AudioFormat three = mono_s16(16000);
  three.channels = 3;
  EXPECT_FALSE(analyzer.configure(three, 10, &error));
  EXPECT_NE(error.find("3 channels"), std::string::npos);
  EXPECT_FALSE(analyzer.configure(mono_s16(16000), 9, &error));
  EXPECT_FALSE(analyzer.configure(mono_s16(16000), 33, &error));
  EXPECT_FALSE(analyzer.configured());
  EXPECT_TRUE(analyzer.configure(mono_s16(8000), 32, &error));
  EXPECT_EQ(analyzer.frame_samples(), 256u);
}

TEST(FrameAnalyzer, PushBeforeConfigureDoesNothing) {
  FrameAnalyzer analyzer(make_builtin_engine());
  const std::int16_t samples[4] = {1, 2, 3, 4};
  int frames = 0;
  analyzer.push(samples, 4, [&](const FrameResult &) { frames++; });
  analyzer.push_silence(1000, [&](const FrameResult &) { frames++; });
  EXPECT_EQ(frames, 0);
}

TEST(FrameAnalyzer, FramesAnyChunkingTheSameWay) {
  const std::vector<std::int16_t> speech = two_turns(16000);
  const std::vector<float> whole = probabilities_of(mono_s16(16000), speech, speech.size());

  /* one sample at a time */
  std::vector<float> single;
  std::vector<std::uint64_t> ends;
  FrameAnalyzer two = make_analyzer(mono_s16(16000));
  for (std::size_t i = 0; i < speech.size(); i++)
    two.push(&speech[i], 1, [&](const FrameResult &f) {
      single.push_back(f.probability);
      ends.push_back(f.end_sample);
    });
  ASSERT_EQ(whole.size(), speech.size() / 160);
  ASSERT_EQ(single, whole);
  for (std::size_t i = 0; i < ends.size(); i++)
    ASSERT_EQ(ends[i], (i + 1) * 160);
  EXPECT_EQ(two.samples_fed(), speech.size());
}

TEST(BuiltinEngine, FindsTwoTurnsInRealSpeechAtEveryRate) {
  for (int rate : {8000, 16000, 22050, 32000, 44100, 48000}) {
    const std::vector<std::int16_t> speech = two_turns(rate);
    FrameAnalyzer analyzer = make_analyzer(mono_s16(rate));
    expect_two_clean_turns(detect(analyzer, speech, 480, rate), rate);
  }
}

TEST(BuiltinEngine, FrameLengthsFrom10To32Ms) {
  const std::vector<std::int16_t> speech = two_turns(16000);
  for (int frame_ms : {10, 16, 20, 30, 32}) {
    FrameAnalyzer analyzer = make_analyzer(mono_s16(16000), frame_ms);
    expect_two_clean_turns(detect(analyzer, speech, 333, 16000), frame_ms);
  }
}

TEST(BuiltinEngine, StereoAndFloatSeeWhatMonoS16Sees) {
  const std::vector<std::int16_t> speech = two_turns(16000);
  const std::vector<float> mono = probabilities_of(mono_s16(16000), speech, speech.size());

  std::vector<float> as_float(speech.size());
  std::vector<std::int16_t> stereo(speech.size() * 2);
  for (std::size_t i = 0; i < speech.size(); i++) {
    as_float[i] = static_cast<float>(speech[i]) / 32768.0f;
    stereo[2 * i] = stereo[2 * i + 1] = speech[i];
  }
  AudioFormat f32 = mono_s16(16000);
  f32.sample_format = SampleFormat::kF32;
  EXPECT_EQ(probabilities_of(f32, as_float, as_float.size()), mono);

  AudioFormat two_channels = mono_s16(16000);
  two_channels.channels = 2;
  EXPECT_EQ(probabilities_of(two_channels, stereo, speech.size()), mono);
}

TEST(BuiltinEngine, NanAndInfAreSilenceAndDoNotPoisonTheState) {
  AudioFormat f32 = mono_s16(16000);
  f32.sample_format = SampleFormat::kF32;
  FrameAnalyzer analyzer = make_analyzer(f32);
  std::vector<float> garbage(16000 * 2);
  for (std::size_t i = 0; i < garbage.size(); i++)
    garbage[i] = (i % 3 == 0)   ? std::numeric_limits<float>::quiet_NaN()
                 : (i % 3 == 1) ? std::numeric_limits<float>::infinity()
                                : -std::numeric_limits<float>::infinity();
  std::vector<float> probabilities;
  analyzer.push(garbage.data(), garbage.size(),
                [&](const FrameResult &f) { probabilities.push_back(f.probability); });
  for (float p : probabilities) {
    ASSERT_TRUE(std::isfinite(p));
    ASSERT_LT(p, 0.5f);
  }
  /* then real speech is still found */
  const std::vector<std::int16_t> speech = two_turns(16000);
  std::vector<float> as_float(speech.size());
  for (std::size_t i = 0; i < speech.size(); i++)
    as_float[i] = static_cast<float>(speech[i]) / 32768.0f;
  expect_two_clean_turns(detect(analyzer, as_float, 160, 16000), 16000);
}

TEST(BuiltinEngine, SteadyNoiseIsNotSpeech) {
  std::mt19937 random(7);
  std::normal_distribution<float> noise(0.0f, 0.05f); /* about -26 dBFS */
  std::vector<float> samples(16000 * 10);
  for (float &s : samples)
    s = noise(random);
  AudioFormat f32 = mono_s16(16000);
  f32.sample_format = SampleFormat::kF32;
  FrameAnalyzer analyzer = make_analyzer(f32);
  EXPECT_TRUE(detect(analyzer, samples, 160, 16000).empty());
}

/* A noise that gets 20 dB louder at once (a fan switched on) is taken for
 * speech only until the noise estimate catches up: within two seconds. */
TEST(BuiltinEngine, FollowsANoiseThatGetsLouder) {
  std::mt19937 random(3);
  std::normal_distribution<float> quiet(0.0f, 0.003f), loud(0.0f, 0.03f);
  std::vector<float> samples;
  for (int i = 0; i < 16000 * 5; i++)
    samples.push_back(quiet(random));
  for (int i = 0; i < 16000 * 10; i++)
    samples.push_back(loud(random));
  AudioFormat f32 = mono_s16(16000);
  f32.sample_format = SampleFormat::kF32;
  FrameAnalyzer analyzer = make_analyzer(f32);
  const std::vector<TurnEvent> events = detect(analyzer, samples, 160, 16000, false);
  ASSERT_LE(events.size(), 2u);
  if (!events.empty()) {
    ASSERT_EQ(events.size(), 2u) << "the noise step never stopped counting as speech";
    EXPECT_EQ(events[1].kind, TurnEvent::Kind::kPause);
    EXPECT_LT(events[1].speech_end_ns, 7000000000ull); /* step at 5 s */
  }
}

TEST(BuiltinEngine, LevelDoesNotMatter) {
  /* the same speech 30 dB quieter gives the same decisions */
  const std::vector<std::int16_t> speech = two_turns(16000);
  std::vector<float> loud(speech.size()), quiet(speech.size());
  for (std::size_t i = 0; i < speech.size(); i++) {
    loud[i] = static_cast<float>(speech[i]) / 32768.0f;
    quiet[i] = loud[i] * 0.0316f;
  }
  AudioFormat f32 = mono_s16(16000);
  f32.sample_format = SampleFormat::kF32;
  FrameAnalyzer a = make_analyzer(f32), b = make_analyzer(f32);
  const std::vector<TurnEvent> from_loud = detect(a, loud, 160, 16000);
  const std::vector<TurnEvent> from_quiet = detect(b, quiet, 160, 16000);
  ASSERT_EQ(from_loud.size(), from_quiet.size());
  for (std::size_t i = 0; i < from_loud.size(); i++)
    EXPECT_NEAR(static_cast<double>(from_loud[i].decision_ns),
                static_cast<double>(from_quiet[i].decision_ns), 20e6);
}

TEST(BuiltinEngine, ResetForgetsThePartialFrame) {
  const std::vector<std::int16_t> speech = two_turns(16000);
  FrameAnalyzer analyzer = make_analyzer(mono_s16(16000));
  analyzer.push(speech.data(), 100, [](const FrameResult &) {});
  EXPECT_EQ(analyzer.samples_fed(), 100u);
  analyzer.reset();
  EXPECT_EQ(analyzer.samples_fed(), 0u);
  expect_two_clean_turns(detect(analyzer, speech, 160, 16000), 16000);
}

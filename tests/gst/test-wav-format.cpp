/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Unit tests of the raw audio format <-> WAV format mapping and of whole WAV
 * files (gst/reply/wav-format.hpp): every format WAV carries round-trips,
 * the others are refused, and a file reads back as what was written.
 */
#include <gst/reply/wav-format.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

using namespace voicekit::reply;

namespace {

const WavSampleFormat kAllFormats[] = {WavSampleFormat::kU8, WavSampleFormat::kS16,
                                       WavSampleFormat::kS24, WavSampleFormat::kS32,
                                       WavSampleFormat::kF32};

TEST(WavFormatMapping, EveryWavFormatRoundTripsThroughItsName) {
  for (WavSampleFormat format : kAllFormats) {
    const std::optional<WavSampleFormat> back =
        wav_sample_format_of_name(wav_sample_format_name(format));
    ASSERT_TRUE(back.has_value()) << wav_sample_format_name(format);
    EXPECT_EQ(*back, format) << wav_sample_format_name(format);
  }
}

TEST(WavFormatMapping, GStreamerNames) {
  EXPECT_EQ(wav_sample_format_of_name("U8"), WavSampleFormat::kU8);
  EXPECT_EQ(wav_sample_format_of_name("S16LE"), WavSampleFormat::kS16);
  EXPECT_EQ(wav_sample_format_of_name("S24LE"), WavSampleFormat::kS24);
  EXPECT_EQ(wav_sample_format_of_name("S32LE"), WavSampleFormat::kS32);
  EXPECT_EQ(wav_sample_format_of_name("F32LE"), WavSampleFormat::kF32);
}

TEST(WavFormatMapping, FormatsWavDoesNotCarry) {
  for (const char *name : {"", "S16BE", "s16le", "S8", "U16LE", "S24_32LE", "S24BE", "F32BE",
                           "F64LE", "S16LE ", "UNKNOWN"})
    EXPECT_FALSE(wav_sample_format_of_name(name).has_value()) << "'" << name << "'";
}

TEST(WavFormatMapping, FormatOfRateAndChannels) {
  const std::optional<WavFormat> format = wav_format_of("F32LE", 24000, 2);
  ASSERT_TRUE(format.has_value());
  EXPECT_EQ(format->format, WavSampleFormat::kF32);
  EXPECT_EQ(format->rate, 24000);
  EXPECT_EQ(format->channels, 2);
  EXPECT_EQ(format->bytes_per_frame(), 8);

  EXPECT_TRUE(wav_format_of("S16LE", 1, 1).has_value());
  EXPECT_TRUE(wav_format_of("S16LE", kWavMaxRate, kWavMaxChannels).has_value());
  EXPECT_FALSE(wav_format_of("S16LE", 0, 1).has_value());
  EXPECT_FALSE(wav_format_of("S16LE", -16000, 1).has_value());
  EXPECT_FALSE(wav_format_of("S16LE", kWavMaxRate + 1, 1).has_value());
  EXPECT_FALSE(wav_format_of("S16LE", 16000, 0).has_value());
  EXPECT_FALSE(wav_format_of("S16LE", 16000, kWavMaxChannels + 1).has_value());
  EXPECT_FALSE(wav_format_of("S16BE", 16000, 1).has_value());
}

/* A file written by wav_file() reads back, in one piece, as its format and
 * its bytes. */
TEST(WavFile, ReadsBackAsWritten) {
  for (WavSampleFormat sample_format : kAllFormats) {
    for (int channels : {1, 2, 5}) {
      const std::optional<WavFormat> format =
          wav_format_of(wav_sample_format_name(sample_format), 16000, channels);
      ASSERT_TRUE(format.has_value());
      std::vector<uint8_t> audio(static_cast<std::size_t>(format->bytes_per_frame()) * 321);
      for (std::size_t i = 0; i < audio.size(); i++)
        audio[i] = static_cast<uint8_t>(i * 7 + 3);
      const std::vector<uint8_t> file = wav_file(*format, audio.data(), audio.size());
      ASSERT_EQ(file.size(), 44 + audio.size());
      EXPECT_EQ(file[40] | file[41] << 8 | file[42] << 16 | file[43] << 24,
                static_cast<int>(audio.size()))
          << "the data chunk declares its size";

      WavReader reader;
      EXPECT_EQ(reader.feed(file.data(), file.size()), WavReader::Status::kDone);
      ASSERT_TRUE(reader.has_format());
      EXPECT_EQ(reader.format().format, sample_format);
      EXPECT_EQ(reader.format().rate, 16000);
      EXPECT_EQ(reader.format().channels, channels);
      EXPECT_EQ(reader.take_audio(), audio);
      std::string why;
      EXPECT_TRUE(reader.finish(&why)) << why;
    }
  }
}

TEST(WavFile, EmptyAudio) {
  const std::optional<WavFormat> format = wav_format_of("S16LE", 8000, 1);
  ASSERT_TRUE(format.has_value());
  const std::vector<uint8_t> file = wav_file(*format, nullptr, 0);
  ASSERT_EQ(file.size(), 44u);
  WavReader reader;
  reader.feed(file.data(), file.size());
  std::string why;
  EXPECT_TRUE(reader.finish(&why)) << why;
  EXPECT_TRUE(reader.take_audio().empty());
}

} /* namespace */

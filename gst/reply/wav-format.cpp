/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Raw audio formats <-> WAV formats, and whole WAV files: see wav-format.hpp.
 */
#include "wav-format.hpp"

#include <algorithm>

namespace voicekit::reply {

namespace {

constexpr WavSampleFormat kAllSampleFormats[] = {WavSampleFormat::kU8, WavSampleFormat::kS16,
                                                 WavSampleFormat::kS24, WavSampleFormat::kS32,
                                                 WavSampleFormat::kF32};

constexpr uint32_t kUnknownLength = 0xFFFFFFFFu;

} /* namespace */

std::optional<WavSampleFormat> wav_sample_format_of_name(std::string_view name) {
  for (WavSampleFormat format : kAllSampleFormats)
    if (name == wav_sample_format_name(format))
      return format;
  return std::nullopt;
}

std::optional<WavFormat> wav_format_of(std::string_view name, int rate, int channels) {
  const std::optional<WavSampleFormat> sample_format = wav_sample_format_of_name(name);
  if (!sample_format || rate < 1 || rate > kWavMaxRate || channels < 1 ||
      channels > kWavMaxChannels)
    return std::nullopt;
  WavFormat format;
  format.rate = rate;
  format.channels = channels;
  format.format = *sample_format;
  return format;
}

std::vector<uint8_t> wav_file(const WavFormat &format, const uint8_t *data, std::size_t size) {
  const uint32_t declared = size >= kUnknownLength ? kUnknownLength : static_cast<uint32_t>(size);
  std::vector<uint8_t> file = wav_header(format, declared);
  const std::size_t header = file.size();
  file.resize(header + size);
  if (size > 0)
    std::copy(data, data + size, file.begin() + static_cast<std::ptrdiff_t>(header));
  return file;
}

} /* namespace voicekit::reply */

/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Raw audio formats <-> WAV formats for replyonpause's command handler, in
 * plain terms (GStreamer's format names such as "S16LE", a rate, a channel
 * count), and a whole WAV file of raw audio. No GStreamer types: the plugin's
 * element-util.hpp maps these to caps.
 */
#ifndef GST_REPLY_WAV_FORMAT_HPP
#define GST_REPLY_WAV_FORMAT_HPP

#include "wav.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace voicekit::reply {

/* The WAV sample format of a raw audio format named as GStreamer names it
 * (wav_sample_format_name() gives the names back): "U8", "S16LE", "S24LE"
 * (packed, 3 bytes), "S32LE", "F32LE". Anything else (big endian, 24 bits in
 * 4 bytes, 64-bit float, ...) has none. */
std::optional<WavSampleFormat> wav_sample_format_of_name(std::string_view name);

/* The WAV format of interleaved raw audio `name` at `rate` frames per second
 * and `channels` channels; none when WAV cannot carry it (see above, rate
 * 1..kWavMaxRate, channels 1..kWavMaxChannels). */
std::optional<WavFormat> wav_format_of(std::string_view name, int rate, int channels);

/* A whole WAV file: the canonical header for `size` bytes, then the bytes at
 * `data`. Audio of 4 GiB or more is declared of unknown length (0xFFFFFFFF),
 * which WavReader reads to the end of the stream. */
std::vector<uint8_t> wav_file(const WavFormat &format, const uint8_t *data, std::size_t size);

} /* namespace voicekit::reply */

#endif /* GST_REPLY_WAV_FORMAT_HPP */

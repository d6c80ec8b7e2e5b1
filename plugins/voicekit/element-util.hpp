/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Small helpers the voicekit elements share: the voice audio caps, time
 * conversions, the session of a buffer, property installation, buffers of
 * vectors, and raw audio <-> WAV formats. Plugin-internal.
 */
#ifndef PLUGINS_VOICEKIT_ELEMENT_UTIL_HPP
#define PLUGINS_VOICEKIT_ELEMENT_UTIL_HPP

#include <gst/audio/audio.h>
#include <gst/gst.h>
#include <gst/reply/wav-format.hpp>
#include <gst/voicekit/session.h>

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

/* The audio the voice elements take and make: S16LE or F32LE, interleaved,
 * 8 to 48 kHz, mono or stereo. */
#define VOICEKIT_VOICE_AUDIO_CAPS                                                                  \
  "audio/x-raw, format = (string) { S16LE, F32LE }, layout = (string) interleaved, "               \
  "rate = (int) [ 8000, 48000 ], channels = (int) [ 1, 2 ]"

namespace voicekit::element {

/* Stream time of a running time, for reports; a time before the current
 * segment (an onset padded back past its start) is reported at its start. */
inline GstClockTime stream_time_of(const GstSegment &segment, GstClockTime running) {
  guint64 position = 0;
  if (gst_segment_position_from_running_time_full(&segment, GST_FORMAT_TIME, running, &position) <=
      0)
    position = segment.start;
  guint64 stream = 0;
  return gst_segment_to_stream_time_full(&segment, GST_FORMAT_TIME, position, &stream) > 0 ? stream
                                                                                           : 0;
}

/* Running time of a buffer timestamp `pts`; a time before the segment's start
 * counts as 0. */
inline GstClockTime running_time_of(const GstSegment &segment, GstClockTime pts) {
  guint64 running = 0;
  return gst_segment_to_running_time_full(&segment, GST_FORMAT_TIME, pts, &running) > 0 ? running
                                                                                        : 0;
}

/* Running time of a stream time (as pausedetect reports onsets); NONE for
 * NONE, 0 for a time before the segment. */
inline GstClockTime running_time_of_stream_time(const GstSegment &segment, GstClockTime stream) {
  if (!GST_CLOCK_TIME_IS_VALID(stream))
    return GST_CLOCK_TIME_NONE;
  guint64 position = 0;
  if (gst_segment_position_from_stream_time_full(&segment, GST_FORMAT_TIME, stream, &position) <= 0)
    return 0;
  return running_time_of(segment, position);
}

/* a + b for clock times, saturating at the largest valid one instead of
 * wrapping around (or reaching GST_CLOCK_TIME_NONE); NONE if either is. */
inline GstClockTime time_add(GstClockTime a, GstClockTime b) {
  if (!GST_CLOCK_TIME_IS_VALID(a) || !GST_CLOCK_TIME_IS_VALID(b))
    return GST_CLOCK_TIME_NONE;
  constexpr GstClockTime kLast = GST_CLOCK_TIME_NONE - 1;
  return b <= kLast - a ? a + b : kLast;
}

/* |a - b| for clock times. */
inline GstClockTime time_distance(GstClockTime a, GstClockTime b) {
  return a > b ? a - b : b - a;
}

/* Running time of a buffer timestamp `pts`, like running_time_of(), but a
 * segment base near G_MAXUINT64 saturates instead of wrapping around, and a
 * time before the segment's start counts back from its base (down to 0). */
inline GstClockTime running_time_saturated(const GstSegment &segment, GstClockTime pts) {
  GstSegment unbased = segment;
  unbased.base = 0;
  guint64 offset = 0;
  const gint sign = gst_segment_to_running_time_full(&unbased, GST_FORMAT_TIME, pts, &offset);
  if (sign > 0)
    return time_add(segment.base, offset);
  if (sign < 0)
    return segment.base > offset ? segment.base - offset : 0;
  return 0;
}

/* The session of `buffer` (its meta), else of the pad's sticky event; a
 * reference, or nullptr. */
inline GstVoiceKitSessionContext *session_of(GstPad *sinkpad, GstBuffer *buffer) {
  GstVoiceKitSessionContext *context =
      buffer != nullptr ? gst_voicekit_buffer_get_session_context(buffer) : nullptr;
  if (context != nullptr)
    return gst_voicekit_session_context_ref(context);
  return gst_voicekit_pad_get_session_context(sinkpad);
}

/* Flags of a property the application may change at any time. */
constexpr GParamFlags kPlayingFlags = static_cast<GParamFlags>(
    G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

/* A guint64 nanosecond property, writable while PLAYING. */
inline void install_time_property(GObjectClass *gobject_class, guint id, const char *name,
                                  const char *nick, const char *blurb, guint64 min, guint64 max,
                                  guint64 default_value) {
  g_object_class_install_property(
      gobject_class, id,
      g_param_spec_uint64(name, nick, blurb, min, max, default_value, kPlayingFlags));
}

/* A boolean property, writable while PLAYING. */
inline void install_bool_property(GObjectClass *gobject_class, guint id, const char *name,
                                  const char *nick, const char *blurb, gboolean default_value) {
  g_object_class_install_property(
      gobject_class, id, g_param_spec_boolean(name, nick, blurb, default_value, kPlayingFlags));
}

/* A read-only buffer owning `bytes` (moved, not copied). */
inline GstBuffer *buffer_of_vector(std::vector<uint8_t> &&bytes) {
  const gsize size = bytes.size();
  auto *owned = new std::vector<uint8_t>(std::move(bytes));
  return gst_buffer_new_wrapped_full(
      GST_MEMORY_FLAG_READONLY, owned->data(), size, 0, size, owned,
      [](gpointer data) { delete static_cast<std::vector<uint8_t> *>(data); });
}

/* Caps of the raw audio a WAV stream of `format` carries. */
inline GstCaps *caps_of_wav(const reply::WavFormat &format) {
  GstAudioInfo info;
  gst_audio_info_set_format(
      &info, gst_audio_format_from_string(reply::wav_sample_format_name(format.format)),
      format.rate, format.channels, nullptr);
  return gst_audio_info_to_caps(&info);
}

/* The WAV format carrying interleaved audio of `info`; none when WAV cannot
 * (see reply::wav_format_of()). */
inline std::optional<reply::WavFormat> wav_format_of(const GstAudioInfo &info) {
  if (GST_AUDIO_INFO_LAYOUT(&info) != GST_AUDIO_LAYOUT_INTERLEAVED)
    return std::nullopt;
  return reply::wav_format_of(GST_AUDIO_INFO_NAME(&info), GST_AUDIO_INFO_RATE(&info),
                              GST_AUDIO_INFO_CHANNELS(&info));
}

} /* namespace voicekit::element */

#endif /* PLUGINS_VOICEKIT_ELEMENT_UTIL_HPP */

/* Small helpers the voicekit elements share: time conversions for reports,
 * the session of a buffer, property installation. Plugin-internal. */
#ifndef VOICEKIT_ELEMENT_UTIL_HPP
#define VOICEKIT_ELEMENT_UTIL_HPP

#include <gst/gst.h>
#include <gst/voicekit/session.h>

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

/* The session of `buffer` (its meta), else of the pad's sticky event; a
 * reference, or nullptr. */
inline GstVoiceKitSessionContext *session_of(GstPad *sinkpad, GstBuffer *buffer) {
  GstVoiceKitSessionContext *context =
      buffer != nullptr ? gst_voicekit_buffer_get_session_context(buffer) : nullptr;
  if (context != nullptr)
    return gst_voicekit_session_context_ref(context);
  return gst_voicekit_pad_get_session_context(sinkpad);
}

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

} // namespace voicekit::element

#endif

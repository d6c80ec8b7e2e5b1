/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Turn events: see turn-event.h.
 */
#include "turn-event.h"

namespace {

/* The session's fields on an event structure: its "webrtc-id" and the
 * "context" itself; nothing without a session. */
void set_session_fields(GstStructure *structure, GstVoiceKitSessionContext *context) {
  if (context != nullptr)
    gst_structure_set(structure, "webrtc-id", G_TYPE_STRING,
                      gst_voicekit_session_context_get_webrtc_id(context), "context",
                      GST_TYPE_VOICEKIT_SESSION_CONTEXT, context, nullptr);
}

/* The structure of a custom downstream (not sticky) event named `name`;
 * nullptr for any other event. */
const GstStructure *downstream_structure(GstEvent *event, const gchar *name) {
  if (GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_DOWNSTREAM || !gst_event_has_name(event, name))
    return nullptr;
  return gst_event_get_structure(event);
}

/* The fields a parse function was asked for (out not nullptr): a guint64,
 * `fallback` when it is missing, and the session (a new reference, nullptr
 * without one). */
void read_uint64(const GstStructure *structure, const char *field, guint64 fallback, guint64 *out) {
  if (out == nullptr)
    return;
  guint64 value = fallback;
  *out = gst_structure_get_uint64(structure, field, &value) ? value : fallback;
}

void read_context(const GstStructure *structure, GstVoiceKitSessionContext **context) {
  if (context == nullptr)
    return;
  *context = nullptr;
  if (gst_structure_has_field_typed(structure, "context", GST_TYPE_VOICEKIT_SESSION_CONTEXT))
    gst_structure_get(structure, "context", GST_TYPE_VOICEKIT_SESSION_CONTEXT, context, nullptr);
}

} /* namespace */

const gchar *gst_voicekit_turn_event_type_to_string(GstVoiceKitTurnEventType type) {
  return type == GST_VOICEKIT_TURN_EVENT_PAUSE ? "pause" : "speech-start";
}

GstStructure *gst_voicekit_turn_structure_new(const gchar *name, GstVoiceKitTurnEventType type,
                                              guint64 utterance, GstClockTime running_time,
                                              GstClockTime stream_time, GstClockTime speech_start,
                                              GstClockTime speech_end,
                                              GstVoiceKitSessionContext *context) {
  GstStructure *structure = gst_structure_new(
      name, "event", G_TYPE_STRING, gst_voicekit_turn_event_type_to_string(type), "utterance",
      G_TYPE_UINT64, utterance, "running-time", G_TYPE_UINT64, running_time, "stream-time",
      G_TYPE_UINT64, stream_time, "speech-start", G_TYPE_UINT64, speech_start, nullptr);
  if (type == GST_VOICEKIT_TURN_EVENT_PAUSE)
    gst_structure_set(structure, "speech-end", G_TYPE_UINT64, speech_end, nullptr);
  set_session_fields(structure, context);
  return structure;
}

GstEvent *gst_voicekit_event_new_turn(GstVoiceKitTurnEventType type, guint64 utterance,
                                      GstClockTime running_time, GstClockTime stream_time,
                                      GstClockTime speech_start, GstClockTime speech_end,
                                      GstVoiceKitSessionContext *context) {
  return gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM,
                              gst_voicekit_turn_structure_new(GST_VOICEKIT_TURN_EVENT_NAME, type,
                                                              utterance, running_time, stream_time,
                                                              speech_start, speech_end, context));
}

gboolean gst_voicekit_event_parse_turn(GstEvent *event, GstVoiceKitTurnEventType *type,
                                       guint64 *utterance, GstClockTime *running_time,
                                       GstClockTime *stream_time, GstClockTime *speech_start,
                                       GstClockTime *speech_end,
                                       GstVoiceKitSessionContext **context) {
  g_return_val_if_fail(GST_IS_EVENT(event), FALSE);
  const GstStructure *structure = downstream_structure(event, GST_VOICEKIT_TURN_EVENT_NAME);
  if (structure == nullptr)
    return FALSE;
  const gchar *kind = gst_structure_get_string(structure, "event");
  if (type != nullptr)
    *type = g_strcmp0(kind, "pause") == 0 ? GST_VOICEKIT_TURN_EVENT_PAUSE
                                          : GST_VOICEKIT_TURN_EVENT_SPEECH_START;
  read_uint64(structure, "utterance", 0, utterance);
  read_uint64(structure, "running-time", GST_CLOCK_TIME_NONE, running_time);
  read_uint64(structure, "stream-time", GST_CLOCK_TIME_NONE, stream_time);
  read_uint64(structure, "speech-start", GST_CLOCK_TIME_NONE, speech_start);
  read_uint64(structure, "speech-end", GST_CLOCK_TIME_NONE, speech_end);
  read_context(structure, context);
  return TRUE;
}

GstEvent *gst_voicekit_event_new_turn_detector(const gchar *engine, GstClockTime min_speech,
                                               GstClockTime min_silence, GstClockTime speech_pad,
                                               GstClockTime frame_duration) {
  return gst_event_new_custom(
      GST_EVENT_CUSTOM_DOWNSTREAM_STICKY,
      gst_structure_new(GST_VOICEKIT_TURN_DETECTOR_EVENT_NAME, "engine", G_TYPE_STRING,
                        engine != nullptr ? engine : "", "min-speech-duration", G_TYPE_UINT64,
                        min_speech, "min-silence-duration", G_TYPE_UINT64, min_silence,
                        "speech-pad", G_TYPE_UINT64, speech_pad, "frame-duration", G_TYPE_UINT64,
                        frame_duration, nullptr));
}

GstStructure *gst_voicekit_pad_get_turn_detector(GstPad *pad) {
  g_return_val_if_fail(GST_IS_PAD(pad), nullptr);
  /* Custom sticky events are stored per structure name: walk them all. */
  for (guint index = 0;; ++index) {
    GstEvent *event = gst_pad_get_sticky_event(pad, GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, index);
    if (event == nullptr)
      return nullptr;
    if (gst_event_has_name(event, GST_VOICEKIT_TURN_DETECTOR_EVENT_NAME)) {
      GstStructure *copy = gst_structure_copy(gst_event_get_structure(event));
      gst_event_unref(event);
      return copy;
    }
    gst_event_unref(event);
  }
}

GstEvent *gst_voicekit_event_new_utterance(GstVoiceKitUtteranceEventType type, guint64 utterance,
                                           GstVoiceKitSessionContext *context) {
  GstStructure *structure =
      gst_structure_new(GST_VOICEKIT_UTTERANCE_EVENT_NAME, "event", G_TYPE_STRING,
                        type == GST_VOICEKIT_UTTERANCE_EVENT_END ? "end" : "start", "utterance",
                        G_TYPE_UINT64, utterance, nullptr);
  set_session_fields(structure, context);
  return gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM, structure);
}

gboolean gst_voicekit_event_parse_utterance(GstEvent *event, GstVoiceKitUtteranceEventType *type,
                                            guint64 *utterance,
                                            GstVoiceKitSessionContext **context) {
  g_return_val_if_fail(GST_IS_EVENT(event), FALSE);
  const GstStructure *structure = downstream_structure(event, GST_VOICEKIT_UTTERANCE_EVENT_NAME);
  if (structure == nullptr)
    return FALSE;
  if (type != nullptr)
    *type = g_strcmp0(gst_structure_get_string(structure, "event"), "end") == 0
                ? GST_VOICEKIT_UTTERANCE_EVENT_END
                : GST_VOICEKIT_UTTERANCE_EVENT_START;
  read_uint64(structure, "utterance", 0, utterance);
  read_context(structure, context);
  return TRUE;
}

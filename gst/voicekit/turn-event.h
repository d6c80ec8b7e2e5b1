/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Turn events: what pausedetect decides, as serialized downstream events any
 * element can act on in stream order.
 */
#ifndef GST_VOICEKIT_TURN_EVENT_H
#define GST_VOICEKIT_TURN_EVENT_H

#include <gst/voicekit/session.h>
#include <gst/voicekit/voicekit-enumtypes.h>

G_BEGIN_DECLS

/**
 * GST_VOICEKIT_TURN_EVENT_NAME:
 *
 * Structure name of the custom downstream (serialized, not sticky) turn event.
 *
 * Since: 0.2
 */
#define GST_VOICEKIT_TURN_EVENT_NAME "GstVoiceKitTurn"

/**
 * GstVoiceKitTurnEventType:
 * @GST_VOICEKIT_TURN_EVENT_SPEECH_START: the user started speaking (an utterance opened)
 * @GST_VOICEKIT_TURN_EVENT_PAUSE: the user paused (the utterance ended)
 *
 * Since: 0.2
 */
typedef enum /*< underscore_name=gst_voicekit_turn_event_type >*/ {
  GST_VOICEKIT_TURN_EVENT_SPEECH_START = 0,
  GST_VOICEKIT_TURN_EVENT_PAUSE = 1,
} GstVoiceKitTurnEventType;

/**
 * gst_voicekit_turn_event_type_to_string:
 * @type: a turn event type
 *
 * Returns: "speech-start" or "pause".
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
const gchar *gst_voicekit_turn_event_type_to_string(GstVoiceKitTurnEventType type);

/**
 * gst_voicekit_turn_structure_new:
 * @name: the structure name (%GST_VOICEKIT_TURN_EVENT_NAME for events, "pausedetect"
 *   for element messages)
 * @type: what happened
 * @utterance: utterance number, from 1 in each stream
 * @running_time: running time of the decision (end of the audio that triggered it), ns
 * @stream_time: stream time of the decision, ns
 * @speech_start: stream time of the estimated onset (speech pad included), ns
 * @speech_end: stream time of the estimated offset, ns; ignored for speech-start
 * @context: (nullable): the session the audio belongs to
 *
 * The one field layout shared by the event and the element message:
 * "event" (string: "speech-start" or "pause"), "utterance" (guint64),
 * "running-time", "stream-time", "speech-start" (guint64 ns), "speech-end"
 * (guint64 ns, pause only), and with a session "webrtc-id" (string) and
 * "context" (#GstVoiceKitSessionContext).
 *
 * Returns: (transfer full): a new structure.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GstStructure *gst_voicekit_turn_structure_new(const gchar *name, GstVoiceKitTurnEventType type,
                                              guint64 utterance, GstClockTime running_time,
                                              GstClockTime stream_time, GstClockTime speech_start,
                                              GstClockTime speech_end,
                                              GstVoiceKitSessionContext *context);

/**
 * gst_voicekit_event_new_turn:
 * @type: what happened
 * @utterance: utterance number, from 1 in each stream
 * @running_time: running time of the decision, ns
 * @stream_time: stream time of the decision, ns
 * @speech_start: stream time of the estimated onset, ns
 * @speech_end: stream time of the estimated offset, ns (pause only)
 * @context: (nullable): the session the audio belongs to
 *
 * Returns: (transfer full): a serialized custom downstream event named
 * %GST_VOICEKIT_TURN_EVENT_NAME with the fields of gst_voicekit_turn_structure_new().
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GstEvent *gst_voicekit_event_new_turn(GstVoiceKitTurnEventType type, guint64 utterance,
                                      GstClockTime running_time, GstClockTime stream_time,
                                      GstClockTime speech_start, GstClockTime speech_end,
                                      GstVoiceKitSessionContext *context);

/**
 * gst_voicekit_event_parse_turn:
 * @event: an event
 * @type: (out) (optional): what happened
 * @utterance: (out) (optional): utterance number
 * @running_time: (out) (optional): running time of the decision
 * @stream_time: (out) (optional): stream time of the decision
 * @speech_start: (out) (optional): stream time of the onset
 * @speech_end: (out) (optional): stream time of the offset (%GST_CLOCK_TIME_NONE
 *   for speech-start)
 * @context: (out) (optional) (nullable) (transfer full): the session, if any
 *
 * Returns: %TRUE when @event is a turn event (outputs set), %FALSE otherwise.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
gboolean gst_voicekit_event_parse_turn(GstEvent *event, GstVoiceKitTurnEventType *type,
                                       guint64 *utterance, GstClockTime *running_time,
                                       GstClockTime *stream_time, GstClockTime *speech_start,
                                       GstClockTime *speech_end,
                                       GstVoiceKitSessionContext **context);

/**
 * GST_VOICEKIT_TURN_DETECTOR_EVENT_NAME:
 *
 * Structure name of the custom downstream sticky event a turn detector
 * (pausedetect) sends before its first buffer and again when its settings
 * change. Elements that act on turn events (replyonpause) check for it to
 * know a detector is upstream, and read its timing from it.
 *
 * Since: 0.2
 */
#define GST_VOICEKIT_TURN_DETECTOR_EVENT_NAME "GstVoiceKitTurnDetector"

/**
 * gst_voicekit_event_new_turn_detector:
 * @engine: name of the voice-activity engine
 * @min_speech: speech needed to open an utterance, ns
 * @min_silence: silence needed to end one (the pause), ns
 * @speech_pad: audio reported before the onset, ns
 * @frame_duration: analysis frame length, ns
 *
 * Fields: "engine" (string), "min-speech-duration", "min-silence-duration",
 * "speech-pad", "frame-duration" (guint64 ns).
 *
 * Returns: (transfer full): a sticky custom downstream event named
 * %GST_VOICEKIT_TURN_DETECTOR_EVENT_NAME.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GstEvent *gst_voicekit_event_new_turn_detector(const gchar *engine, GstClockTime min_speech,
                                               GstClockTime min_silence, GstClockTime speech_pad,
                                               GstClockTime frame_duration);

/**
 * gst_voicekit_pad_get_turn_detector:
 * @pad: a sink pad
 *
 * Returns: (transfer full) (nullable): a copy of the fields of the turn
 * detector event stored on @pad (see gst_voicekit_event_new_turn_detector()), or
 * %NULL when no turn detector is upstream of @pad.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GstStructure *gst_voicekit_pad_get_turn_detector(GstPad *pad);

/**
 * GST_VOICEKIT_UTTERANCE_EVENT_NAME:
 *
 * Structure name of the serialized custom downstream events that bracket one
 * utterance (or one reply) on a stream: "start" before its first buffer,
 * "end" after its last.
 *
 * Since: 0.2
 */
#define GST_VOICEKIT_UTTERANCE_EVENT_NAME "GstVoiceKitUtterance"

/**
 * GstVoiceKitUtteranceEventType:
 * @GST_VOICEKIT_UTTERANCE_EVENT_START: the utterance's audio follows
 * @GST_VOICEKIT_UTTERANCE_EVENT_END: the utterance's audio is complete
 *
 * Since: 0.2
 */
typedef enum /*< underscore_name=gst_voicekit_utterance_event_type >*/ {
  GST_VOICEKIT_UTTERANCE_EVENT_START = 0,
  GST_VOICEKIT_UTTERANCE_EVENT_END = 1,
} GstVoiceKitUtteranceEventType;

/**
 * gst_voicekit_event_new_utterance:
 * @type: start or end
 * @utterance: utterance number
 * @context: (nullable): the session the utterance belongs to
 *
 * Fields: "event" (string: "start" or "end"), "utterance" (guint64), and
 * with a session "webrtc-id" (string) and "context" (#GstVoiceKitSessionContext).
 *
 * Returns: (transfer full): a serialized custom downstream event named
 * %GST_VOICEKIT_UTTERANCE_EVENT_NAME.
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
GstEvent *gst_voicekit_event_new_utterance(GstVoiceKitUtteranceEventType type, guint64 utterance,
                                           GstVoiceKitSessionContext *context);

/**
 * gst_voicekit_event_parse_utterance:
 * @event: an event
 * @type: (out) (optional): start or end
 * @utterance: (out) (optional): utterance number
 * @context: (out) (optional) (nullable) (transfer full): the session, if any
 *
 * Returns: %TRUE when @event is an utterance event (outputs set).
 *
 * Since: 0.2
 */
GST_VOICEKIT_API
gboolean gst_voicekit_event_parse_utterance(GstEvent *event, GstVoiceKitUtteranceEventType *type,
                                            guint64 *utterance,
                                            GstVoiceKitSessionContext **context);

G_END_DECLS

#endif /* GST_VOICEKIT_TURN_EVENT_H */

/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * replyonpause: the GObject, its pads, properties, signals and state changes.
 * The work is done by its parts: reply-input.cpp (utterances and turns),
 * reply-output.cpp (the output stream), reply-registry.cpp (the reply in
 * flight between threads), reply-handler*.cpp (one file per handler kind).
 */
/**
 * SECTION:element-replyonpause
 * @title: replyonpause
 *
 * Turns utterances into streamed replies: collects what the user says, hands
 * it to a handler when the user pauses, and streams the handler's reply back,
 * cut at once when the user speaks over it. The GStreamer counterpart of
 * FastRTC's ReplyOnPause. It sits after `pausedetect` and consumes its turn
 * events.
 *
 * Pads:
 * - `sink` (always): `audio/x-raw` S16LE or F32LE, interleaved, 8 to 48 kHz,
 *   1 or 2 channels, with pausedetect's events. Without a pausedetect
 *   upstream (its sticky "GstVoiceKitTurnDetector" event) the first buffer
 *   fails with an error saying so.
 * - `src` (always): the reply stream, `audio/x-raw` S16LE or F32LE, 8 to
 *   48 kHz, 1 or 2 channels, in whatever downstream negotiates (the input's
 *   format when downstream accepts it). Continuous: one output span per input
 *   span, timestamped on the input's running time (a fresh TIME segment),
 *   reply audio from the pause onwards, silence between replies (GAP events
 *   with `send-gaps`); no buffer is longer than one second. The handler's
 *   audio is converted (format, rate, channels) as needed.
 * - `utterance_src` (request, `handler=pads`): each utterance as buffers
 *   carrying the session meta, bracketed by "GstVoiceKitUtterance" events
 *   (gst_voicekit_event_parse_utterance(): "start", "end"), from a worker thread.
 * - `reply_sink` (request, `handler=pads`): the reply, any raw interleaved
 *   audio. The reply ends at the "end" utterance event coming back (elements
 *   pass custom events on) or fails at `handler-timeout`.
 *
 * Properties (all writable in every state; durations in nanoseconds):
 * `handler` (echo), `command` (NULL), `handler-timeout` (30 s),
 * `can-interrupt` (TRUE), `max-utterance-duration` (60 s), `send-gaps`
 * (FALSE), `post-messages` (TRUE), `max-gap` (5 s), `max-reply-buffer`
 * (5 s). Each is described where it is installed.
 *
 * Each utterance runs from its onset (pausedetect's `speech-start`, its
 * speech pad included; a pre-roll sized from pausedetect's settings keeps
 * that audio) to the pause decision, at most `max-utterance-duration`. At the
 * pause the handler (`handler`) gets it as a #GstSample (the input caps, one
 * buffer carrying the session meta, an info structure with `utterance`,
 * `webrtc-id`, `truncated`), with the utterance's session context current
 * (gst_voicekit_session_context_get_current()) for the whole call:
 * - `echo` (default): the reply is the utterance.
 * - `signals`: the `utterance` signal, from a worker thread (never the
 *   streaming thread). Reply with the `push-reply` action (any thread, any
 *   number of chunks, each plays as soon as it arrives), then `end-reply`, or
 *   `fail-reply` with a reason.
 * - `command`: runs `command` (split like a shell line, run without a shell)
 *   per utterance: utterance as WAV on stdin, `WEBRTC_ID` and `UTTERANCE` in
 *   the environment (the id never appears on a command line), reply as WAV
 *   on stdout, streamed as it comes.
 * - `pads`: handler elements on the request pads.
 *
 * Replies end when the handler says so; one that does not end within
 * `handler-timeout` of the pause, fails, or gives no or broken audio posts
 * `handler-error` and an element warning, and the next utterance works.
 *
 * Interruption (`can-interrupt`, default TRUE): at the `speech-start` of a
 * user speaking during a reply (or while its handler still works), the reply
 * stops within one output buffer, its pending audio is dropped, the handler
 * is told to stop (`reply-stop` signal for application code, SIGTERM for a
 * command, a flush on `utterance_src` for handler elements) and nothing of it
 * plays afterwards. With `can-interrupt=FALSE` user audio during a reply is
 * ignored (not queued for the next turn) until the reply's last sample has
 * left.
 *
 * Greeting: at the start of each session (a new webrtc-id on the input) the
 * `greeting` signal is emitted from a worker thread, with the session
 * current, and the number to reply with (0 for the element's first greeting);
 * a handler returning TRUE replies with `push-reply` and `end-reply`.
 *
 * Numbers: a reply is named by its utterance number, never given twice in
 * the element's life, so a late handler of a flushed or interrupted reply
 * cannot feed a newer one. They are pausedetect's numbers, continued past
 * its restarts (FLUSH, a new stream, a state change) and shifted by one after
 * each greeting but the first.
 *
 * Timing: in a live pipeline silence fills the output while a handler works,
 * and the reply starts with the next output span once audio is there; the
 * first reply span is pushed at once, up to one input buffer ahead. When the
 * pipeline is not live (files), output waits for the handler, so the output
 * is the same sample for sample on every run. EOS waits for the reply in
 * flight (at most `handler-timeout`); FLUSH drops everything. A jump in the
 * input's running time (a timestamp, a segment, a GAP) beyond `max-gap`
 * forward, or back by more than 40 ms, is a discontinuity: the output goes on
 * from where it stands (never back in time), its next buffer marked DISCONT,
 * nothing filled. A
 * state change (downstream flushing) is never reported as an error.
 *
 * Bounds: a reply holds at most `max-reply-buffer` of audio queued ahead of
 * what plays; beyond it the handler waits (a command's stdout is not read,
 * `push-reply` blocks, a `reply_sink` chain blocks) until the output has
 * played some, or the reply is stopped. That wait does not count against
 * `handler-timeout`.
 *
 * Messages, element messages named `replyonpause` (unless `post-messages`
 * is FALSE), all with `event` (string), `webrtc-id` (string, when the audio
 * has a session), `utterance` (guint64; a greeting's number for it), `running-time`
 * and `stream-time` (guint64 ns):
 * - "utterance": an utterance went to the handler (at the pause); also
 *   `duration` (guint64 ns) and `truncated` (boolean);
 * - "reply-start": the first reply sample was pushed (at its running time);
 *   also `latency` (guint64 ns, wall clock from the pause decision reaching
 *   this element to that push);
 * - "reply-end": the last reply sample was pushed (at its end);
 * - "reply-interrupted": the user spoke over the reply (at the speech-start);
 * - "handler-error": the handler failed; also `error` (string).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=speech.wav ! wavparse ! audioconvert ! audioresample ! \
 *     sessiontag webrtc-id=caller-1 ! pausedetect ! replyonpause ! wavenc ! \
 *     filesink location=reply.wav
 * gst-launch-1.0 -m autoaudiosrc ! audioconvert ! audioresample ! sessiontag ! pausedetect ! \
 *     replyonpause name=r handler=pads ! audioconvert ! autoaudiosink \
 *     r.utterance_src ! queue ! audioconvert ! pitch pitch=1.5 ! r.reply_sink
 * ]|
 */
#include "gstreplyonpause.h"

#include "element-util.hpp"
#include "reply-handler.hpp"
#include "reply-input.hpp"
#include "reply-output.hpp"
#include "reply-registry.hpp"
#include "reply.hpp"

#include <gst/voicekit/voicekit.h>

GST_DEBUG_CATEGORY(gst_voicekit_reply_on_pause_debug);
#define GST_CAT_DEFAULT gst_voicekit_reply_on_pause_debug

using namespace voicekit::replyonpause;
namespace element = voicekit::element;

#define REPLY_AUDIO_CAPS "audio/x-raw, layout = (string) interleaved"

enum {
  PROP_0,
  PROP_HANDLER,
  PROP_COMMAND,
  PROP_HANDLER_TIMEOUT,
  PROP_CAN_INTERRUPT,
  PROP_MAX_UTTERANCE_DURATION,
  PROP_SEND_GAPS,
  PROP_POST_MESSAGES,
  PROP_MAX_GAP,
  PROP_MAX_REPLY_BUFFER,
};

enum {
  SIGNAL_UTTERANCE,
  SIGNAL_GREETING,
  SIGNAL_REPLY_STOP,
  SIGNAL_PUSH_REPLY,
  SIGNAL_END_REPLY,
  SIGNAL_FAIL_REPLY,
  LAST_SIGNAL,
};
static guint signals[LAST_SIGNAL];

/* The element's parts, made in init and dropped in finalize. */
struct ReplyOnPauseParts {
  ReplyOnPauseParts(GstElement *element, GstPad *sinkpad, GstPad *srcpad)
      : registry(element), host{element,
                                sinkpad,
                                &registry,
                                signals[SIGNAL_UTTERANCE],
                                signals[SIGNAL_GREETING],
                                signals[SIGNAL_REPLY_STOP]},
        handlers(host), output(element, srcpad, registry), input(host, handlers, output) {}

  ReplyRegistry registry;
  const ReplyHost host;
  ReplyHandlers handlers;
  ReplyOutput output;
  ReplyInput input;
};

/* Locks: `settings_lock` guards `settings`, nothing else: the properties
 * write it, everyone else copies it once per call (snapshot()). The
 * registry's lock guards the reply in flight (reply-registry.hpp), the pads
 * handler's lock its request pads and their streams (reply-handler-pads.cpp).
 * The input and output parts belong to the streaming thread of `sink`, and to
 * state changes while it is stopped: no lock. */
struct _GstVoiceKitReplyOnPause {
  GstElement parent;
  GstPad *sinkpad;
  GstPad *srcpad;

  GMutex settings_lock;
  Settings *settings;
  ReplyOnPauseParts *parts;
};

G_DEFINE_TYPE(GstVoiceKitReplyOnPause, gst_voicekit_reply_on_pause, GST_TYPE_ELEMENT)
GST_ELEMENT_REGISTER_DEFINE(replyonpause, "replyonpause", GST_RANK_NONE,
                            GST_TYPE_VOICEKIT_REPLY_ON_PAUSE)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(VOICEKIT_VOICE_AUDIO_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(VOICEKIT_VOICE_AUDIO_CAPS));
static GstStaticPadTemplate utterance_src_template = GST_STATIC_PAD_TEMPLATE(
    "utterance_src", GST_PAD_SRC, GST_PAD_REQUEST, GST_STATIC_CAPS(VOICEKIT_VOICE_AUDIO_CAPS));
static GstStaticPadTemplate reply_sink_template = GST_STATIC_PAD_TEMPLATE(
    "reply_sink", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS(REPLY_AUDIO_CAPS));

GType gst_voicekit_reply_on_pause_handler_get_type(void) {
  static GType type = 0;
  if (g_once_init_enter(&type)) {
    GType registered =
        g_enum_register_static("GstVoiceKitReplyOnPauseHandler", ReplyHandlers::enum_values());
    g_once_init_leave(&type, registered);
  }
  return type;
}

static Settings snapshot(GstVoiceKitReplyOnPause *self) {
  g_mutex_lock(&self->settings_lock);
  Settings settings = *self->settings;
  g_mutex_unlock(&self->settings_lock);
  return settings;
}

/* ---- action signals (any thread) --------------------------------------------- */

static gboolean action_push_reply(GstVoiceKitReplyOnPause *self, guint64 utterance,
                                  GstSample *sample) {
  return self->parts->registry.queue_audio(utterance, sample);
}

static gboolean action_end_reply(GstVoiceKitReplyOnPause *self, guint64 utterance) {
  return self->parts->registry.end(utterance);
}

static gboolean action_fail_reply(GstVoiceKitReplyOnPause *self, guint64 utterance,
                                  const gchar *message) {
  return self->parts->registry.fail(utterance, message != nullptr ? message : "");
}

/* ---- sink and src pads -------------------------------------------------------- */

static GstFlowReturn gst_voicekit_reply_on_pause_chain(GstPad *, GstObject *parent,
                                                       GstBuffer *buffer) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(parent);
  return self->parts->input.chain(buffer, snapshot(self));
}

static gboolean gst_voicekit_reply_on_pause_sink_event(GstPad *pad, GstObject *parent,
                                                       GstEvent *event) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(parent);
  ReplyInput &input = self->parts->input;
  const Settings settings = snapshot(self);
  GstFlowReturn flow = GST_FLOW_OK;
  if (input.turn_event(event, settings, &flow)) {
    gst_event_unref(event);
    return flow == GST_FLOW_OK || flow == GST_FLOW_FLUSHING;
  }
  switch (GST_EVENT_TYPE(event)) {
  case GST_EVENT_CAPS: {
    GstCaps *caps;
    gst_event_parse_caps(event, &caps);
    const bool ok = input.set_caps(caps, settings);
    gst_event_unref(event);
    return ok;
  }
  case GST_EVENT_SEGMENT: {
    GstSegment segment;
    gst_event_copy_segment(event, &segment);
    gst_event_unref(event);
    return input.set_segment(segment); /* the output has its own segment */
  }
  case GST_EVENT_CUSTOM_DOWNSTREAM_STICKY:
    if (gst_event_has_name(event, GST_VOICEKIT_TURN_DETECTOR_EVENT_NAME)) {
      gst_event_unref(event);
      input.detector_changed();
      return TRUE;
    }
    break;
  case GST_EVENT_GAP:
    if (!input.has_caps())
      break;
    flow = input.gap(event, settings);
    gst_event_unref(event);
    return flow == GST_FLOW_OK || flow == GST_FLOW_FLUSHING;
  case GST_EVENT_EOS:
    input.eos(settings);
    break;
  case GST_EVENT_FLUSH_START:
    self->parts->registry.set_flushing(true);
    break;
  case GST_EVENT_FLUSH_STOP:
    input.flush_stop();
    self->parts->registry.set_flushing(false);
    break;
  case GST_EVENT_STREAM_START:
    input.stream_start();
    break;
  default:
    break;
  }
  return gst_pad_event_default(pad, parent, event);
}

static gboolean gst_voicekit_reply_on_pause_src_query(GstPad *pad, GstObject *parent,
                                                      GstQuery *query) {
  if (GST_QUERY_TYPE(query) == GST_QUERY_CAPS) {
    /* Any format the template allows: replies are converted. */
    GstCaps *filter;
    gst_query_parse_caps(query, &filter);
    GstCaps *caps = gst_pad_get_pad_template_caps(pad);
    if (filter != nullptr) {
      GstCaps *filtered = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
      gst_caps_unref(caps);
      caps = filtered;
    }
    gst_query_set_caps_result(query, caps);
    gst_caps_unref(caps);
    return TRUE;
  }
  return gst_pad_query_default(pad, parent, query);
}

static GstIterator *gst_voicekit_reply_on_pause_iterate_internal_links(GstPad *pad,
                                                                       GstObject *parent) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(parent);
  /* Only the main path: queries must not loop through the handler branch. */
  GstPad *other = pad == self->sinkpad  ? self->srcpad
                  : pad == self->srcpad ? self->sinkpad
                                        : nullptr;
  if (other == nullptr)
    return nullptr;
  GValue value = G_VALUE_INIT;
  g_value_init(&value, GST_TYPE_PAD);
  g_value_set_object(&value, other);
  GstIterator *it = gst_iterator_new_single(GST_TYPE_PAD, &value);
  g_value_unset(&value);
  return it;
}

/* ---- request pads and states --------------------------------------------------- */

static GstPad *gst_voicekit_reply_on_pause_request_new_pad(GstElement *element,
                                                           GstPadTemplate *templ, const gchar *,
                                                           const GstCaps *) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(element);
  for (const auto &handler : self->parts->handlers.all())
    if (GstPad *pad = handler->request_pad(templ))
      return pad;
  return nullptr;
}

static void gst_voicekit_reply_on_pause_release_pad(GstElement *element, GstPad *pad) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(element);
  for (const auto &handler : self->parts->handlers.all())
    if (handler->release_pad(pad))
      return;
}

static GstStateChangeReturn gst_voicekit_reply_on_pause_change_state(GstElement *element,
                                                                     GstStateChange transition) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(element);
  ReplyOnPauseParts &parts = *self->parts;
  switch (transition) {
  case GST_STATE_CHANGE_READY_TO_PAUSED:
    parts.registry.set_flushing(false);
    parts.input.start();
    for (const auto &handler : parts.handlers.all())
      handler->streaming_starts();
    break;
  case GST_STATE_CHANGE_PAUSED_TO_READY:
    /* Wake a streaming thread waiting for a handler before the pads stop. */
    parts.registry.set_flushing(true);
    parts.registry.cancel_current();
    break;
  default:
    break;
  }
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_voicekit_reply_on_pause_parent_class)
                                 ->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    parts.input.stop();
    for (const auto &handler : parts.handlers.all())
      handler->streaming_stopped();
  }
  return ret;
}

/* ---- properties ------------------------------------------------------------- */

static void gst_voicekit_reply_on_pause_set_property(GObject *object, guint prop_id,
                                                     const GValue *value, GParamSpec *pspec) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(object);
  g_mutex_lock(&self->settings_lock);
  Settings &settings = *self->settings;
  switch (prop_id) {
  case PROP_HANDLER:
    settings.handler = static_cast<GstVoiceKitReplyOnPauseHandler>(g_value_get_enum(value));
    break;
  case PROP_COMMAND: {
    const gchar *command = g_value_get_string(value);
    settings.command = command != nullptr ? command : "";
    break;
  }
  case PROP_HANDLER_TIMEOUT:
    settings.handler_timeout = g_value_get_uint64(value);
    break;
  case PROP_CAN_INTERRUPT:
    settings.can_interrupt = g_value_get_boolean(value);
    break;
  case PROP_MAX_UTTERANCE_DURATION:
    settings.max_utterance = g_value_get_uint64(value);
    break;
  case PROP_SEND_GAPS:
    settings.send_gaps = g_value_get_boolean(value);
    break;
  case PROP_POST_MESSAGES:
    settings.post_messages = g_value_get_boolean(value);
    break;
  case PROP_MAX_GAP:
    settings.max_gap = g_value_get_uint64(value);
    break;
  case PROP_MAX_REPLY_BUFFER:
    settings.max_reply_buffer = g_value_get_uint64(value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  g_mutex_unlock(&self->settings_lock);
}

static void gst_voicekit_reply_on_pause_get_property(GObject *object, guint prop_id, GValue *value,
                                                     GParamSpec *pspec) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(object);
  const Settings settings = snapshot(self);
  switch (prop_id) {
  case PROP_HANDLER:
    g_value_set_enum(value, settings.handler);
    break;
  case PROP_COMMAND:
    g_value_set_string(value, settings.command.empty() ? nullptr : settings.command.c_str());
    break;
  case PROP_HANDLER_TIMEOUT:
    g_value_set_uint64(value, settings.handler_timeout);
    break;
  case PROP_CAN_INTERRUPT:
    g_value_set_boolean(value, settings.can_interrupt);
    break;
  case PROP_MAX_UTTERANCE_DURATION:
    g_value_set_uint64(value, settings.max_utterance);
    break;
  case PROP_SEND_GAPS:
    g_value_set_boolean(value, settings.send_gaps);
    break;
  case PROP_POST_MESSAGES:
    g_value_set_boolean(value, settings.post_messages);
    break;
  case PROP_MAX_GAP:
    g_value_set_uint64(value, settings.max_gap);
    break;
  case PROP_MAX_REPLY_BUFFER:
    g_value_set_uint64(value, settings.max_reply_buffer);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
}

/* ---- life cycle ------------------------------------------------------------- */

static void gst_voicekit_reply_on_pause_finalize(GObject *object) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(object);
  delete self->parts;
  delete self->settings;
  g_mutex_clear(&self->settings_lock);
  G_OBJECT_CLASS(gst_voicekit_reply_on_pause_parent_class)->finalize(object);
}

static void gst_voicekit_reply_on_pause_init(GstVoiceKitReplyOnPause *self) {
  g_mutex_init(&self->settings_lock);
  self->settings = new Settings();

  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_voicekit_reply_on_pause_chain));
  gst_pad_set_event_function(self->sinkpad,
                             GST_DEBUG_FUNCPTR(gst_voicekit_reply_on_pause_sink_event));
  gst_pad_set_iterate_internal_links_function(
      self->sinkpad, GST_DEBUG_FUNCPTR(gst_voicekit_reply_on_pause_iterate_internal_links));
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_query_function(self->srcpad,
                             GST_DEBUG_FUNCPTR(gst_voicekit_reply_on_pause_src_query));
  gst_pad_set_iterate_internal_links_function(
      self->srcpad, GST_DEBUG_FUNCPTR(gst_voicekit_reply_on_pause_iterate_internal_links));
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);

  self->parts = new ReplyOnPauseParts(GST_ELEMENT(self), self->sinkpad, self->srcpad);
}

static void install_properties(GObjectClass *gobject_class) {
  /**
   * GstVoiceKitReplyOnPause:handler:
   *
   * Who answers an utterance: `echo` (the utterance itself), `signals`
   * (application code: the #GstVoiceKitReplyOnPause::utterance signal, then
   * the push-reply / end-reply / fail-reply actions), `command` (the program
   * in #GstVoiceKitReplyOnPause:command, per utterance, WAV in and out) or
   * `pads` (handler elements linked to the `utterance_src` and `reply_sink`
   * request pads). A change applies from the next utterance.
   *
   * Since: 0.2
   */
  g_object_class_install_property(
      gobject_class, PROP_HANDLER,
      g_param_spec_enum(
          "handler", "Handler", "Who answers each utterance, from the next one (default echo)",
          GST_TYPE_VOICEKIT_REPLY_ON_PAUSE_HANDLER, DEFAULT_HANDLER, element::kPlayingFlags));
  /**
   * GstVoiceKitReplyOnPause:command:
   *
   * Program and arguments for `handler=command`, split like a shell line
   * (g_shell_parse_argv()) but run without a shell, in its own process
   * group, under a reaper process: nothing it starts (in any session)
   * outlives its call. It gets the utterance as a WAV file on stdin and
   * `WEBRTC_ID` and `UTTERANCE` in its environment (the id never goes on a
   * command line), and writes the reply as a WAV stream on stdout, played as
   * it comes. The reply is complete when the WAV's declared data length has
   * come, or when the program has exited (what it left holding stdout gets
   * 1 s, then is killed). A non-zero exit, no or broken WAV, or exceeding
   * #GstVoiceKitReplyOnPause:handler-timeout is a `handler-error`; an
   * interruption or timeout sends SIGTERM to everything it started, SIGKILL
   * 200 ms later. Default NULL: none (the reply fails).
   *
   * Since: 0.2
   */
  g_object_class_install_property(
      gobject_class, PROP_COMMAND,
      g_param_spec_string("command", "Command",
                          "Program and arguments for handler=command, no shell (default none)",
                          nullptr, element::kPlayingFlags));
  /**
   * GstVoiceKitReplyOnPause:handler-timeout:
   *
   * Time in nanoseconds from the pause a handler has to end its reply
   * (end-reply, the command's exit, the end event on `reply_sink`). A reply
   * not ended by then is stopped and `handler-error` posted. EOS waits for
   * the reply in flight at most this long. Default 30 s.
   *
   * Since: 0.2
   */
  element::install_time_property(gobject_class, PROP_HANDLER_TIMEOUT, "handler-timeout",
                                 "Handler timeout",
                                 "Time (ns) from the pause to end a reply (default 30 s)",
                                 10 * GST_MSECOND, 3600 * GST_SECOND, DEFAULT_HANDLER_TIMEOUT);
  /**
   * GstVoiceKitReplyOnPause:can-interrupt:
   *
   * TRUE: the user speaking during a reply (or while its handler still
   * works) stops it at their `speech-start`, within one output buffer; its
   * pending audio is dropped and its handler told to stop. FALSE: what the
   * user says during a reply is ignored (not queued for the next turn) until
   * the reply's last sample has left. Default TRUE.
   *
   * Since: 0.2
   */
  element::install_bool_property(
      gobject_class, PROP_CAN_INTERRUPT, "can-interrupt", "Can interrupt",
      "User speech stops a reply; FALSE: that speech is ignored (default TRUE)",
      DEFAULT_CAN_INTERRUPT);
  /**
   * GstVoiceKitReplyOnPause:max-utterance-duration:
   *
   * Longest utterance kept, in nanoseconds; audio beyond it is dropped and
   * the utterance marked `truncated` (in its sample's info and the
   * "utterance" message). A change applies from the next utterance. Default
   * 60 s.
   *
   * Since: 0.2
   */
  element::install_time_property(
      gobject_class, PROP_MAX_UTTERANCE_DURATION, "max-utterance-duration",
      "Max utterance duration", "Longest utterance kept (ns), the rest dropped (default 60 s)",
      100 * GST_MSECOND, 3600 * GST_SECOND, DEFAULT_MAX_UTTERANCE_DURATION);
  /**
   * GstVoiceKitReplyOnPause:send-gaps:
   *
   * Between replies send GAP events instead of silent buffers (a reply
   * still streams as buffers). Default FALSE.
   *
   * Since: 0.2
   */
  element::install_bool_property(
      gobject_class, PROP_SEND_GAPS, "send-gaps", "Send GAP events",
      "GAP events instead of silent buffers between replies (default FALSE)", DEFAULT_SEND_GAPS);
  /**
   * GstVoiceKitReplyOnPause:post-messages:
   *
   * Post the `replyonpause` element messages (utterance, reply-start,
   * reply-end, reply-interrupted, handler-error) on the bus. Default TRUE.
   *
   * Since: 0.2
   */
  element::install_bool_property(
      gobject_class, PROP_POST_MESSAGES, "post-messages", "Post messages",
      "Post replyonpause element messages (default TRUE)", DEFAULT_POST_MESSAGES);
  /**
   * GstVoiceKitReplyOnPause:max-gap:
   *
   * Longest jump forward in the input's running time, in nanoseconds, that
   * the output fills (silence, or GAP events with send-gaps). A longer one
   * (a timestamp or segment jump, a GAP event longer than this), or a jump
   * back by more than 40 ms, is a discontinuity: the output goes on from where
   * it stands (never back in time), its next buffer marked DISCONT, and fills
   * nothing.
   * Default 5 s.
   *
   * Since: 0.2
   */
  element::install_time_property(gobject_class, PROP_MAX_GAP, "max-gap", "Max gap",
                                 "Longest input jump (ns) filled; longer: a discontinuity "
                                 "(default 5 s)",
                                 10 * GST_MSECOND, 3600 * GST_SECOND, DEFAULT_MAX_GAP);
  /**
   * GstVoiceKitReplyOnPause:max-reply-buffer:
   *
   * Reply audio, in nanoseconds, queued ahead of what plays before its
   * handler is held back: a command's stdout is not read, `push-reply`
   * blocks its caller (and returns FALSE if the reply is stopped meanwhile:
   * interruption, flush, state change), a `reply_sink` chain blocks, until
   * the output has played some. The wait does not count against
   * #GstVoiceKitReplyOnPause:handler-timeout. A change applies from the next
   * reply. Default 5 s.
   *
   * Since: 0.2
   */
  element::install_time_property(gobject_class, PROP_MAX_REPLY_BUFFER, "max-reply-buffer",
                                 "Max reply buffer",
                                 "Reply audio (ns) queued ahead of playing before its handler "
                                 "waits (default 5 s)",
                                 100 * GST_MSECOND, 3600 * GST_SECOND, DEFAULT_MAX_REPLY_BUFFER);
}

static void install_signals(GstVoiceKitReplyOnPauseClass *klass) {
  const GType type = G_TYPE_FROM_CLASS(klass);
  const auto action = static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION);
  /**
   * GstVoiceKitReplyOnPause::utterance:
   * @element: the element
   * @utterance: the utterance number (the one to reply with)
   * @sample: the utterance: the input caps, one buffer with the session meta,
   *   an info structure with `utterance`, `webrtc-id` and `truncated`
   *
   * handler=signals: the user paused. Emitted from a worker thread (never the
   * streaming thread) with the utterance's session current. Reply with
   * push-reply (any thread, any number of chunks, each plays as soon as it
   * arrives) and end-reply, or fail-reply.
   *
   * Since: 0.2
   */
  signals[SIGNAL_UTTERANCE] =
      g_signal_new("utterance", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE,
                   2, G_TYPE_UINT64, GST_TYPE_SAMPLE);
  /**
   * GstVoiceKitReplyOnPause::greeting:
   * @element: the element
   * @context: the session that starts
   * @utterance: the number to reply with (0 for the element's first greeting)
   *
   * A session starts (a new webrtc-id on the input). Emitted from a worker
   * thread with the session current, whatever the handler.
   *
   * Returns: TRUE to greet: then push-reply and end-reply with @utterance.
   *
   * Since: 0.2
   */
  signals[SIGNAL_GREETING] = g_signal_new(
      "greeting", type, G_SIGNAL_RUN_LAST, 0, g_signal_accumulator_true_handled, nullptr, nullptr,
      G_TYPE_BOOLEAN, 2, GST_TYPE_VOICEKIT_SESSION_CONTEXT, G_TYPE_UINT64);
  /**
   * GstVoiceKitReplyOnPause::reply-stop:
   * @element: the element
   * @utterance: the reply to stop
   *
   * The reply to @utterance was interrupted, flushed, failed or stopped: the
   * handler should stop producing it (its audio is dropped). Emitted from the
   * streaming thread (from the thread changing the state at PAUSED->READY);
   * keep the handler short, for example set a flag the producing thread
   * reads.
   *
   * Since: 0.2
   */
  signals[SIGNAL_REPLY_STOP] = g_signal_new("reply-stop", type, G_SIGNAL_RUN_LAST, 0, nullptr,
                                            nullptr, nullptr, G_TYPE_NONE, 1, G_TYPE_UINT64);
  /**
   * GstVoiceKitReplyOnPause::push-reply:
   * @element: the element
   * @utterance: the utterance replied to (a greeting's number for it)
   * @sample: reply audio: raw interleaved audio caps (any format, rate and
   *   channels: converted) and a buffer
   *
   * Action: queues a chunk of the reply; it plays as soon as possible. Any
   * thread. While #GstVoiceKitReplyOnPause:max-reply-buffer or more of the
   * reply waits to play, blocks the calling thread until the output has
   * played some (never on the streaming thread, which does not wait).
   *
   * Returns: FALSE when that reply takes no more audio (interrupted, ended,
   * failed, not current, also when that happens while it waits) or the audio
   * is broken (the reply then fails).
   *
   * Since: 0.2
   */
  signals[SIGNAL_PUSH_REPLY] = g_signal_new_class_handler(
      "push-reply", type, action, G_CALLBACK(action_push_reply), nullptr, nullptr, nullptr,
      G_TYPE_BOOLEAN, 2, G_TYPE_UINT64, GST_TYPE_SAMPLE);
  /**
   * GstVoiceKitReplyOnPause::end-reply:
   * @element: the element
   * @utterance: the utterance replied to
   *
   * Action: the reply is complete; it ends once its last sample has left.
   * Any thread.
   *
   * Returns: FALSE when the reply was not open.
   *
   * Since: 0.2
   */
  signals[SIGNAL_END_REPLY] =
      g_signal_new_class_handler("end-reply", type, action, G_CALLBACK(action_end_reply), nullptr,
                                 nullptr, nullptr, G_TYPE_BOOLEAN, 1, G_TYPE_UINT64);
  /**
   * GstVoiceKitReplyOnPause::fail-reply:
   * @element: the element
   * @utterance: the utterance replied to
   * @message: why (NULL or empty: a generic reason)
   *
   * Action: the handler failed; the element posts `handler-error` with
   * @message and an element warning. Any thread.
   *
   * Returns: FALSE when the reply was not open.
   *
   * Since: 0.2
   */
  signals[SIGNAL_FAIL_REPLY] =
      g_signal_new_class_handler("fail-reply", type, action, G_CALLBACK(action_fail_reply), nullptr,
                                 nullptr, nullptr, G_TYPE_BOOLEAN, 2, G_TYPE_UINT64, G_TYPE_STRING);
}

static void gst_voicekit_reply_on_pause_class_init(GstVoiceKitReplyOnPauseClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(gst_voicekit_reply_on_pause_debug, "replyonpause", 0,
                          "voicekit: utterances to handlers, replies back");

  gobject_class->set_property = gst_voicekit_reply_on_pause_set_property;
  gobject_class->get_property = gst_voicekit_reply_on_pause_get_property;
  gobject_class->finalize = gst_voicekit_reply_on_pause_finalize;
  install_properties(gobject_class);
  install_signals(klass);

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_add_static_pad_template(element_class, &utterance_src_template);
  gst_element_class_add_static_pad_template(element_class, &reply_sink_template);
  gst_element_class_set_static_metadata(
      element_class, "Reply on pause", "Filter/Audio",
      "Hands each utterance to a handler when the user pauses and streams the reply back; "
      "the user speaking stops a reply at once",
      VOICEKIT_AUTHOR);
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_voicekit_reply_on_pause_change_state);
  element_class->request_new_pad = GST_DEBUG_FUNCPTR(gst_voicekit_reply_on_pause_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR(gst_voicekit_reply_on_pause_release_pad);
  gst_type_mark_as_plugin_api(GST_TYPE_VOICEKIT_REPLY_ON_PAUSE_HANDLER,
                              static_cast<GstPluginAPIFlags>(0));
}

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
 * flight (at most `handler-timeout`); FLUSH drops everything.
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

#include <gio/gio.h>
#include <gst/audio/audio.h>
#include <gst/reply/collector.hpp>
#include <gst/reply/command.hpp>
#include <gst/reply/wav.hpp>
#include <gst/voicekit/session-scope.hpp>
#include <gst/voicekit/voicekit.h>

#include "element-util.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstring>
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

GST_DEBUG_CATEGORY_STATIC(reply_on_pause_debug);
#define GST_CAT_DEFAULT reply_on_pause_debug

namespace reply = voicekit::reply;
namespace element = voicekit::element;
using element::stream_time_of;

#define REPLY_ON_PAUSE_CAPS                                                                        \
  "audio/x-raw, format = (string) { S16LE, F32LE }, layout = (string) interleaved, "               \
  "rate = (int) [ 8000, 48000 ], channels = (int) [ 1, 2 ]"
#define REPLY_AUDIO_CAPS "audio/x-raw, layout = (string) interleaved"

constexpr GstVoiceKitReplyOnPauseHandler DEFAULT_HANDLER = GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_ECHO;
constexpr guint64 DEFAULT_HANDLER_TIMEOUT = 30 * GST_SECOND;
constexpr guint64 DEFAULT_MAX_UTTERANCE_DURATION = 60 * GST_SECOND;
constexpr gboolean DEFAULT_CAN_INTERRUPT = TRUE;
constexpr gboolean DEFAULT_SEND_GAPS = FALSE;
constexpr gboolean DEFAULT_POST_MESSAGES = TRUE;
/* Pre-roll before pausedetect's settings are known, and on top of them. */
constexpr GstClockTime DEFAULT_PREROLL = GST_SECOND;
constexpr GstClockTime PREROLL_MARGIN = 200 * GST_MSECOND;
/* Longest output buffer (a big input buffer, a long GAP, a long reply). */
constexpr GstClockTime MAX_OUTPUT_BUFFER = GST_SECOND;
/* Output span when the input gives no duration to mirror. */
constexpr GstClockTime DEFAULT_SPAN = 20 * GST_MSECOND;
/* A reply chunk over this is refused as broken (one push of ten minutes). */
constexpr gsize MAX_CHUNK_BYTES = 10 * 60 * 48000 * 8 * 4;
/* A command's stdout over this is refused (an hour of 48 kHz stereo S16). */
constexpr guint64 MAX_COMMAND_OUTPUT = 3600ULL * 48000 * 4;
/* How long an interruption waits for the handler branch to take a flush. */
constexpr gint64 FLUSH_WAIT_US = 500 * G_TIME_SPAN_MILLISECOND;
/* Time a command gets between SIGTERM and SIGKILL. */
constexpr std::chrono::milliseconds COMMAND_GRACE{200};

enum {
  PROP_0,
  PROP_HANDLER,
  PROP_COMMAND,
  PROP_HANDLER_TIMEOUT,
  PROP_CAN_INTERRUPT,
  PROP_MAX_UTTERANCE_DURATION,
  PROP_SEND_GAPS,
  PROP_POST_MESSAGES,
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

/* One reply in flight. The streaming thread, the worker running the handler
 * and whoever pushes reply audio share it through a shared_ptr; the fields
 * above the line are guarded by the element's `lock`, the ones below belong
 * to the streaming thread. */
struct Reply {
  guint64 utterance = 0; /* 0: the greeting */
  GstVoiceKitReplyOnPauseHandler kind = DEFAULT_HANDLER;
  gboolean greeting = FALSE;
  GstVoiceKitSessionContext *context = nullptr;
  GCancellable *cancellable = g_cancellable_new(); /* wakes the worker to stop */
  gint64 deadline_us = 0;                          /* monotonic */
  gint64 decided_us = 0;                           /* monotonic, the pause decision */

  /* guarded by lock */
  std::deque<GstSample *> chunks; /* reply audio not yet converted */
  gboolean ended = FALSE;         /* the handler finished its reply */
  gboolean failed = FALSE;        /* the handler failed: `error` says why */
  gboolean cancelled = FALSE;     /* interrupted, flushed, stopped */
  gboolean got_audio = FALSE;
  std::string error;

  /* streaming thread */
  GstAudioConverter *converter = nullptr;
  GstAudioInfo converter_in;
  gboolean started = FALSE;                        /* first sample pushed */
  GstClockTime played_until = GST_CLOCK_TIME_NONE; /* end of the last sample pushed */
  std::vector<guint8> converted;
  gsize converted_read = 0;

  ~Reply() {
    for (GstSample *sample : chunks)
      gst_sample_unref(sample);
    if (converter != nullptr)
      gst_audio_converter_free(converter);
    if (context != nullptr)
      gst_voicekit_session_context_unref(context);
    g_object_unref(cancellable);
  }
};
using ReplyPtr = std::shared_ptr<Reply>;

/* Copied by the streaming thread when it needs them; guarded by
 * settings_lock. */
struct ReplyOnPauseSettings {
  GstVoiceKitReplyOnPauseHandler handler = DEFAULT_HANDLER;
  std::string command;
  guint64 handler_timeout = DEFAULT_HANDLER_TIMEOUT;
  gboolean can_interrupt = DEFAULT_CAN_INTERRUPT;
  guint64 max_utterance = DEFAULT_MAX_UTTERANCE_DURATION;
  gboolean send_gaps = DEFAULT_SEND_GAPS;
  gboolean post_messages = DEFAULT_POST_MESSAGES;
};

/* Owned by the streaming thread of `sink` (chain and serialized events);
 * reset while streaming is stopped. No lock. */
struct ReplyOnPauseState {
  gboolean has_caps = FALSE;
  GstAudioInfo in_info;
  GstSegment segment;
  reply::UtteranceCollector collector;
  gboolean detector_seen = FALSE;
  GstClockTime preroll = DEFAULT_PREROLL;    /* from pausedetect's settings */
  GstClockTime in_end = GST_CLOCK_TIME_NONE; /* running time the input reached */
  GstClockTime span = DEFAULT_SPAN;          /* duration of the last input span */
  guint64 ignored_utterance = 0;             /* spoken during a reply: dropped */
  std::string session_id;                    /* whose audio this is */
  GstVoiceKitSessionContext *session = nullptr;
  gboolean live = FALSE;
  gboolean live_known = FALSE;

  gboolean out_negotiated = FALSE;
  gboolean need_segment = TRUE;
  GstAudioInfo out_info;
  GstClockTime out_base = GST_CLOCK_TIME_NONE; /* running time of output sample 0 */
  guint64 out_samples = 0;

  ~ReplyOnPauseState() {
    if (session != nullptr)
      gst_voicekit_session_context_unref(session);
  }
};

/* The pads handler's request pads. Guarded by the object lock for the
 * pointers; `need_stream_start`/`need_segment`/`caps` by push_lock, which
 * whoever pushes on utterance_src holds (a worker, or a flush), and others
 * only ask for a change through the atomics `restart`/`need_flush_stop`; the
 * reply_sink fields by `lock`. push_lock, not the pad's stream lock: a
 * handler branch that blocks and ignores flushes must not block the
 * deactivation of utterance_src (a state change to NULL). */
struct HandlerPads {
  GMutex push_lock;
  HandlerPads() { g_mutex_init(&push_lock); }
  ~HandlerPads() { g_mutex_clear(&push_lock); }
  GstPad *utterance_src = nullptr;
  GstPad *reply_sink = nullptr;
  gboolean need_stream_start = TRUE;
  gboolean need_segment = TRUE;
  gint need_flush_stop = FALSE; /* atomic: a flush whose stop is pending */
  gint restart = FALSE;         /* atomic: send stream-start, caps, segment anew */
  GstCaps *caps = nullptr;
  gboolean reply_info_valid = FALSE;
  GstAudioInfo reply_info;
  gboolean reply_saw_start = FALSE; /* bracket events come back on reply_sink */
  guint64 reply_utterance = 0;
};

/* Reply numbers. A handler names its reply by number (push-reply), so a
 * number is never given twice in the element's life: a stale handler of a
 * flushed or interrupted reply cannot feed a newer one. Utterances keep
 * pausedetect's numbers, shifted by `base` once pausedetect counts from 1
 * again (FLUSH, a new stream, a restart); the first greeting is 0, a later one
 * takes the next number and shifts the utterances after it by one.
 * Streaming thread only; survives state changes. */
struct ReplyNumbers {
  guint64 base = 0;
  guint64 last = 0; /* highest number given */
  gboolean greeted = FALSE;
  /* The utterance numbered last: its pause keeps the number its
   * speech-start got, even if a greeting shifted `base` in between. */
  guint64 open_detector_number = 0;
  guint64 open_number = 0;

  guint64 of_utterance(guint64 detector_number) {
    if (open_number != 0 && detector_number == open_detector_number)
      return open_number;
    const guint64 number = std::max(detector_number + base, last + 1);
    base = number - detector_number;
    last = number;
    open_detector_number = detector_number;
    open_number = number;
    return number;
  }
  void detector_restarts() {
    base = last;
    open_number = 0;
  }
  guint64 for_greeting() {
    if (!greeted) {
      greeted = TRUE;
      return 0;
    }
    base++;
    return ++last;
  }
};

struct _GstVoiceKitReplyOnPause {
  GstElement parent;
  GstPad *sinkpad;
  GstPad *srcpad;

  GMutex settings_lock;
  ReplyOnPauseSettings *settings;
  ReplyOnPauseState *state;

  /* lock guards `reply`, `flushing`, the Reply fields marked so and
   * handler_pads' reply_sink fields; cond signals a change of any of them. */
  GMutex lock;
  GCond cond;
  ReplyPtr *reply; /* the reply the output plays or waits for, or empty */
  gboolean flushing;
  HandlerPads *handler_pads;
  ReplyNumbers *numbers;
};

G_DEFINE_TYPE(GstVoiceKitReplyOnPause, gst_voicekit_reply_on_pause, GST_TYPE_ELEMENT)
GST_ELEMENT_REGISTER_DEFINE(replyonpause, "replyonpause", GST_RANK_NONE,
                            GST_TYPE_VOICEKIT_REPLY_ON_PAUSE)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(REPLY_ON_PAUSE_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(REPLY_ON_PAUSE_CAPS));
static GstStaticPadTemplate utterance_src_template = GST_STATIC_PAD_TEMPLATE(
    "utterance_src", GST_PAD_SRC, GST_PAD_REQUEST, GST_STATIC_CAPS(REPLY_ON_PAUSE_CAPS));
static GstStaticPadTemplate reply_sink_template = GST_STATIC_PAD_TEMPLATE(
    "reply_sink", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS(REPLY_AUDIO_CAPS));

/* Workers run handlers off the streaming thread. Shared by all instances;
 * threads are created as needed and reused. */
static GThreadPool *reply_workers;

GType gst_voicekit_reply_on_pause_handler_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_ECHO, "The reply is the utterance itself", "echo"},
      {GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_SIGNALS,
       "Application code: the utterance signal, replies with push-reply/end-reply", "signals"},
      {GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_COMMAND, "Runs `command` per utterance, WAV in and out",
       "command"},
      {GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_PADS,
       "Handler elements on the utterance_src and reply_sink request pads", "pads"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) {
    GType registered = g_enum_register_static("GstVoiceKitReplyOnPauseHandler", values);
    g_once_init_leave(&type, registered);
  }
  return type;
}

/* ---- time and messages ------------------------------------------------------ */

/* Running time of a stream time reported by pausedetect. */
static GstClockTime running_time_of_stream_time(const GstSegment &segment, GstClockTime stream) {
  if (!GST_CLOCK_TIME_IS_VALID(stream))
    return GST_CLOCK_TIME_NONE;
  guint64 position = 0;
  if (gst_segment_position_from_stream_time_full(&segment, GST_FORMAT_TIME, stream, &position) <= 0)
    return 0;
  guint64 running = 0;
  return gst_segment_to_running_time_full(&segment, GST_FORMAT_TIME, position, &running) > 0
             ? running
             : 0;
}

static gboolean post_messages_enabled(GstVoiceKitReplyOnPause *self) {
  g_mutex_lock(&self->settings_lock);
  const gboolean post = self->settings->post_messages;
  g_mutex_unlock(&self->settings_lock);
  return post;
}

/* Posts a `replyonpause` message; `extra` fields (name, type, value, ...,
 * nullptr) are appended. */
static void post_reply_message(GstVoiceKitReplyOnPause *self, const char *event, guint64 utterance,
                               GstVoiceKitSessionContext *context, GstClockTime running_time,
                               const char *first_extra, ...) {
  if (!post_messages_enabled(self))
    return;
  GstStructure *structure =
      gst_structure_new("replyonpause", "event", G_TYPE_STRING, event, "utterance", G_TYPE_UINT64,
                        utterance, "running-time", G_TYPE_UINT64, running_time, "stream-time",
                        G_TYPE_UINT64, stream_time_of(self->state->segment, running_time), nullptr);
  if (context != nullptr)
    gst_structure_set(structure, "webrtc-id", G_TYPE_STRING,
                      gst_voicekit_session_context_get_webrtc_id(context), nullptr);
  if (first_extra != nullptr) {
    va_list args;
    va_start(args, first_extra);
    gst_structure_set_valist(structure, first_extra, args);
    va_end(args);
  }
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), structure));
}

/* ---- replies ---------------------------------------------------------------- */

static ReplyPtr current_reply_locked(GstVoiceKitReplyOnPause *self) {
  return *self->reply;
}

static ReplyPtr current_reply(GstVoiceKitReplyOnPause *self) {
  g_mutex_lock(&self->lock);
  ReplyPtr reply = *self->reply;
  g_mutex_unlock(&self->lock);
  return reply;
}

/* The reply `utterance` if it is the current one and still takes audio. */
static ReplyPtr open_reply_locked(GstVoiceKitReplyOnPause *self, guint64 utterance) {
  const ReplyPtr &reply = *self->reply;
  if (!reply || reply->utterance != utterance || reply->ended || reply->failed || reply->cancelled)
    return nullptr;
  return reply;
}

static void fail_reply_locked(GstVoiceKitReplyOnPause *self, Reply &reply, const std::string &why) {
  if (reply.failed || reply.cancelled)
    return;
  reply.failed = TRUE;
  reply.error = why;
  g_cond_broadcast(&self->cond);
}

/* Validates reply audio and queues it. FALSE when the reply does not take
 * audio (not current, ended, interrupted); broken audio fails the reply. */
static gboolean queue_reply_audio(GstVoiceKitReplyOnPause *self, guint64 utterance,
                                  GstSample *sample) {
  GstAudioInfo info;
  std::string why;
  GstCaps *caps = sample != nullptr ? gst_sample_get_caps(sample) : nullptr;
  GstBuffer *buffer = sample != nullptr ? gst_sample_get_buffer(sample) : nullptr;
  if (sample == nullptr || caps == nullptr || buffer == nullptr)
    why = "reply audio without caps or buffer";
  else if (!gst_audio_info_from_caps(&info, caps) ||
           GST_AUDIO_INFO_LAYOUT(&info) != GST_AUDIO_LAYOUT_INTERLEAVED)
    why = "reply caps are not interleaved raw audio";
  else if (GST_AUDIO_INFO_RATE(&info) < 1000 || GST_AUDIO_INFO_RATE(&info) > 384000 ||
           GST_AUDIO_INFO_CHANNELS(&info) > 8)
    why = "reply audio rate or channel count out of range";
  else if (gst_buffer_get_size(buffer) % static_cast<gsize>(GST_AUDIO_INFO_BPF(&info)) != 0)
    why = "reply buffer is not a whole number of audio frames";
  else if (gst_buffer_get_size(buffer) > MAX_CHUNK_BYTES)
    why = "reply buffer too large";

  g_mutex_lock(&self->lock);
  ReplyPtr reply = open_reply_locked(self, utterance);
  if (!reply) {
    g_mutex_unlock(&self->lock);
    GST_DEBUG_OBJECT(self, "reply audio for utterance %" G_GUINT64_FORMAT " dropped: not current",
                     utterance);
    return FALSE;
  }
  if (!why.empty()) {
    fail_reply_locked(self, *reply, why);
    g_mutex_unlock(&self->lock);
    return FALSE;
  }
  if (gst_buffer_get_size(buffer) > 0) {
    reply->chunks.push_back(gst_sample_ref(sample));
    reply->got_audio = TRUE;
    g_cond_broadcast(&self->cond);
  }
  g_mutex_unlock(&self->lock);
  return TRUE;
}

static gboolean end_reply(GstVoiceKitReplyOnPause *self, guint64 utterance) {
  g_mutex_lock(&self->lock);
  ReplyPtr reply = open_reply_locked(self, utterance);
  if (reply) {
    reply->ended = TRUE;
    g_cond_broadcast(&self->cond);
  }
  g_mutex_unlock(&self->lock);
  return reply != nullptr;
}

static gboolean fail_reply(GstVoiceKitReplyOnPause *self, guint64 utterance, const char *message) {
  g_mutex_lock(&self->lock);
  ReplyPtr reply = open_reply_locked(self, utterance);
  if (reply)
    fail_reply_locked(self, *reply,
                      message != nullptr && *message != '\0' ? message
                                                             : "the handler reported a failure");
  g_mutex_unlock(&self->lock);
  return reply != nullptr;
}

/* Action signal handlers: any thread. */
static gboolean action_push_reply(GstVoiceKitReplyOnPause *self, guint64 utterance,
                                  GstSample *sample) {
  return queue_reply_audio(self, utterance, sample);
}
static gboolean action_end_reply(GstVoiceKitReplyOnPause *self, guint64 utterance) {
  return end_reply(self, utterance);
}
static gboolean action_fail_reply(GstVoiceKitReplyOnPause *self, guint64 utterance,
                                  const gchar *message) {
  return fail_reply(self, utterance, message);
}

static void flush_handler_pads(GstVoiceKitReplyOnPause *self);

/* Stops `reply` for good: the output drops it, its handler is told to stop.
 * Any thread but never with `lock` held. */
static void cancel_reply(GstVoiceKitReplyOnPause *self, const ReplyPtr &reply) {
  g_mutex_lock(&self->lock);
  const gboolean was_cancelled = reply->cancelled;
  reply->cancelled = TRUE;
  if (*self->reply == reply)
    self->reply->reset();
  g_cond_broadcast(&self->cond);
  g_mutex_unlock(&self->lock);
  if (was_cancelled)
    return;
  g_cancellable_cancel(reply->cancellable);
  GST_DEBUG_OBJECT(self, "stopping the reply to utterance %" G_GUINT64_FORMAT, reply->utterance);
  if (reply->kind == GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_SIGNALS || reply->greeting)
    g_signal_emit(self, signals[SIGNAL_REPLY_STOP], 0, reply->utterance);
  else if (reply->kind == GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_PADS)
    flush_handler_pads(self);
}

static void cancel_current_reply(GstVoiceKitReplyOnPause *self) {
  if (ReplyPtr reply = current_reply(self))
    cancel_reply(self, reply);
}

/* ---- handler workers -------------------------------------------------------- */

struct HandlerTask {
  GstVoiceKitReplyOnPause *self; /* a reference */
  ReplyPtr reply;
  GstSample *utterance = nullptr; /* nullptr for the greeting */
};

static std::vector<guint8> wav_of_sample(GstSample *sample) {
  GstAudioInfo info;
  gst_audio_info_from_caps(&info, gst_sample_get_caps(sample));
  reply::WavFormat format;
  format.rate = GST_AUDIO_INFO_RATE(&info);
  format.channels = GST_AUDIO_INFO_CHANNELS(&info);
  format.format = GST_AUDIO_INFO_FORMAT(&info) == GST_AUDIO_FORMAT_F32LE
                      ? reply::WavSampleFormat::kF32
                      : reply::WavSampleFormat::kS16;
  GstBuffer *buffer = gst_sample_get_buffer(sample);
  const gsize size = gst_buffer_get_size(buffer);
  std::vector<guint8> wav = reply::wav_header(format, static_cast<uint32_t>(size));
  wav.resize(wav.size() + size);
  gst_buffer_extract(buffer, 0, wav.data() + wav.size() - size, size);
  return wav;
}

static GstCaps *caps_of_wav(const reply::WavFormat &format) {
  GstAudioFormat audio_format = GST_AUDIO_FORMAT_S16LE;
  switch (format.format) {
  case reply::WavSampleFormat::kU8:
    audio_format = GST_AUDIO_FORMAT_U8;
    break;
  case reply::WavSampleFormat::kS16:
    audio_format = GST_AUDIO_FORMAT_S16LE;
    break;
  case reply::WavSampleFormat::kS24:
    audio_format = GST_AUDIO_FORMAT_S24LE;
    break;
  case reply::WavSampleFormat::kS32:
    audio_format = GST_AUDIO_FORMAT_S32LE;
    break;
  case reply::WavSampleFormat::kF32:
    audio_format = GST_AUDIO_FORMAT_F32LE;
    break;
  }
  GstAudioInfo info;
  gst_audio_info_set_format(&info, audio_format, format.rate, format.channels, nullptr);
  return gst_audio_info_to_caps(&info);
}

static void run_command(GstVoiceKitReplyOnPause *self, const ReplyPtr &reply,
                        GstSample *utterance) {
  g_mutex_lock(&self->settings_lock);
  const std::string command_line = self->settings->command;
  g_mutex_unlock(&self->settings_lock);

  gchar **argv_c = nullptr;
  GError *error = nullptr;
  if (command_line.empty() || !g_shell_parse_argv(command_line.c_str(), nullptr, &argv_c, &error)) {
    std::string why = "handler=command needs a `command`";
    if (error != nullptr) {
      why = std::string("cannot split `command`: ") + error->message;
      g_error_free(error);
    }
    fail_reply(self, reply->utterance, why.c_str());
    return;
  }
  std::vector<std::string> argv(argv_c, argv_c + g_strv_length(argv_c));
  g_strfreev(argv_c);
  std::vector<std::pair<std::string, std::string>> env = {
      {"UTTERANCE", std::to_string(reply->utterance)}};
  if (reply->context != nullptr)
    env.emplace_back("WEBRTC_ID", gst_voicekit_session_context_get_webrtc_id(reply->context));

  reply::Command command;
  std::string why;
  if (!command.start(argv, env, &why)) {
    fail_reply(self, reply->utterance, ("cannot run `" + argv[0] + "`: " + why).c_str());
    return;
  }
  GST_DEBUG_OBJECT(self, "utterance %" G_GUINT64_FORMAT ": started `%s` (pid %d)", reply->utterance,
                   argv[0].c_str(), command.pid());

  reply::WavReader reader;
  GstCaps *caps = nullptr;
  std::string output_error;
  auto on_output = [&](const uint8_t *data, size_t size) -> bool {
    if (reader.feed(data, size) == reply::WavReader::Status::kError) {
      output_error = "the reply on stdout is not WAV audio: " + reader.error();
      return false;
    }
    if (reader.audio_bytes_total() > MAX_COMMAND_OUTPUT) {
      output_error = "the reply on stdout is too long";
      return false;
    }
    if (!reader.has_format())
      return true;
    std::vector<uint8_t> audio = reader.take_audio();
    if (audio.empty())
      return true;
    if (caps == nullptr)
      caps = caps_of_wav(reader.format());
    const gsize size_bytes = audio.size();
    auto *moved = new std::vector<uint8_t>(std::move(audio));
    GstBuffer *buffer = gst_buffer_new_wrapped_full(
        GST_MEMORY_FLAG_READONLY, moved->data(), size_bytes, 0, size_bytes, moved,
        [](gpointer data) { delete static_cast<std::vector<uint8_t> *>(data); });
    GstSample *sample = gst_sample_new(buffer, caps, nullptr, nullptr);
    gst_buffer_unref(buffer);
    /* FALSE: interrupted or failed meanwhile; stop reading */
    const gboolean queued = queue_reply_audio(self, reply->utterance, sample);
    gst_sample_unref(sample);
    return queued != FALSE;
  };

  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::microseconds(std::max<gint64>(0, reply->deadline_us - g_get_monotonic_time()));
  const std::vector<guint8> input = wav_of_sample(utterance);
  const reply::Command::Outcome outcome =
      command.run(input, on_output, deadline, g_cancellable_get_fd(reply->cancellable));
  g_cancellable_release_fd(reply->cancellable);
  if (caps != nullptr)
    gst_caps_unref(caps);

  switch (outcome) {
  case reply::Command::Outcome::kExited: {
    const int status = command.exit_status();
    std::string wav_error;
    if (status != 0) {
      std::string tail = command.stderr_tail();
      g_strstrip(tail.data());
      fail_reply(self, reply->utterance,
                 ("`" + argv[0] + "` exited with status " + std::to_string(status) +
                  (tail.c_str()[0] != '\0' ? ": " + std::string(tail.c_str()) : ""))
                     .c_str());
    } else if (!reader.finish(&wav_error)) {
      fail_reply(self, reply->utterance,
                 ("the reply on stdout is not WAV audio: " + wav_error).c_str());
    } else {
      end_reply(self, reply->utterance);
    }
    break;
  }
  case reply::Command::Outcome::kTimedOut:
    command.terminate(COMMAND_GRACE);
    fail_reply(self, reply->utterance, ("`" + argv[0] + "` timed out").c_str());
    break;
  case reply::Command::Outcome::kOutputRefused:
    command.terminate(COMMAND_GRACE);
    if (!output_error.empty())
      fail_reply(self, reply->utterance, output_error.c_str());
    break;
  case reply::Command::Outcome::kCancelled:
    /* interrupted: SIGTERM, nothing to report */
    command.terminate(COMMAND_GRACE);
    break;
  }
}

/* Pushes the utterance out of `utterance_src`, bracketed by start and end
 * events; the reply comes back on `reply_sink`. */
static void push_to_handler_pads(GstVoiceKitReplyOnPause *self, const ReplyPtr &reply,
                                 GstSample *utterance) {
  GST_OBJECT_LOCK(self);
  GstPad *pad = self->handler_pads->utterance_src != nullptr
                    ? GST_PAD(gst_object_ref(self->handler_pads->utterance_src))
                    : nullptr;
  GST_OBJECT_UNLOCK(self);
  if (pad == nullptr || !gst_pad_is_linked(pad)) {
    fail_reply(self, reply->utterance, "handler=pads needs a linked utterance_src pad");
    if (pad != nullptr)
      gst_object_unref(pad);
    return;
  }
  HandlerPads &pads = *self->handler_pads;
  GstCaps *caps = gst_sample_get_caps(utterance);
  GstBuffer *buffer = gst_sample_get_buffer(utterance);
  GstFlowReturn ret = GST_FLOW_OK;
  g_mutex_lock(&self->handler_pads->push_lock);
  if (g_cancellable_is_cancelled(reply->cancellable)) {
    g_mutex_unlock(&self->handler_pads->push_lock);
    gst_object_unref(pad);
    return;
  }
  if (g_atomic_int_compare_and_exchange(&pads.restart, TRUE, FALSE)) {
    /* a new stream on utterance_src (a start, a new pad): all of it again */
    pads.need_stream_start = TRUE;
    pads.need_segment = TRUE;
    gst_caps_replace(&pads.caps, nullptr);
  }
  if (g_atomic_int_compare_and_exchange(&pads.need_flush_stop, TRUE, FALSE)) {
    gst_pad_push_event(pad, gst_event_new_flush_stop(FALSE));
    pads.need_segment = TRUE;
  }
  /* Each sticky event counts as sent only when the pad took it (a flushing
   * pad drops it): else the next utterance sends it again. */
  if (pads.need_stream_start) {
    /* gst_pad_create_stream_id() wants one sink pad; we have two. Derive
     * the id from the input's, as it would. */
    gchar *upstream = gst_pad_get_stream_id(self->sinkpad);
    gchar *stream_id = upstream != nullptr
                           ? g_strconcat(upstream, "/utterances", nullptr)
                           : g_strdup_printf("%08x%08x/utterances", g_random_int(), g_random_int());
    pads.need_stream_start = !gst_pad_push_event(pad, gst_event_new_stream_start(stream_id));
    g_free(stream_id);
    g_free(upstream);
  }
  if ((pads.caps == nullptr || !gst_caps_is_equal(pads.caps, caps)) &&
      gst_pad_push_event(pad, gst_event_new_caps(caps)))
    gst_caps_replace(&pads.caps, caps);
  if (pads.need_segment) {
    GstSegment segment;
    gst_segment_init(&segment, GST_FORMAT_TIME);
    pads.need_segment = !gst_pad_push_event(pad, gst_event_new_segment(&segment));
  }
  gst_pad_push_event(pad, gst_voicekit_event_new_utterance(GST_VOICEKIT_UTTERANCE_EVENT_START,
                                                           reply->utterance, reply->context));
  ret = gst_pad_push(pad, gst_buffer_ref(buffer));
  if (ret == GST_FLOW_OK)
    gst_pad_push_event(pad, gst_voicekit_event_new_utterance(GST_VOICEKIT_UTTERANCE_EVENT_END,
                                                             reply->utterance, reply->context));
  g_mutex_unlock(&self->handler_pads->push_lock);
  gst_object_unref(pad);
  if (ret != GST_FLOW_OK && !g_cancellable_is_cancelled(reply->cancellable))
    fail_reply(self, reply->utterance,
               (std::string("utterance_src: ") + gst_flow_get_name(ret)).c_str());
}

static void run_handler(gpointer data, gpointer) {
  auto *task = static_cast<HandlerTask *>(data);
  GstVoiceKitReplyOnPause *self = task->self;
  const ReplyPtr &reply = task->reply;
  {
    /* The utterance's session is current for the whole call. */
    voicekit::SessionScope scope(reply->context);
    if (reply->greeting) {
      gboolean will_reply = FALSE;
      g_signal_emit(self, signals[SIGNAL_GREETING], 0, reply->context, reply->utterance,
                    &will_reply);
      if (!will_reply)
        end_reply(self, reply->utterance);
    } else if (!g_cancellable_is_cancelled(reply->cancellable)) {
      switch (reply->kind) {
      case GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_SIGNALS:
        if (!g_signal_has_handler_pending(self, signals[SIGNAL_UTTERANCE], 0, FALSE))
          fail_reply(self, reply->utterance,
                     "handler=signals but no application code is connected to `utterance`");
        else
          g_signal_emit(self, signals[SIGNAL_UTTERANCE], 0, reply->utterance, task->utterance);
        break;
      case GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_COMMAND:
        run_command(self, reply, task->utterance);
        break;
      case GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_PADS:
        push_to_handler_pads(self, reply, task->utterance);
        break;
      case GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_ECHO:
        break;
      }
    }
  }
  if (task->utterance != nullptr)
    gst_sample_unref(task->utterance);
  gst_object_unref(self);
  delete task;
}

static void start_worker(GstVoiceKitReplyOnPause *self, const ReplyPtr &reply,
                         GstSample *utterance) {
  auto *task = new HandlerTask{GST_VOICEKIT_REPLY_ON_PAUSE(gst_object_ref(self)), reply,
                               utterance != nullptr ? gst_sample_ref(utterance) : nullptr};
  GError *error = nullptr;
  if (!g_thread_pool_push(reply_workers, task, &error)) {
    fail_reply(self, reply->utterance,
               std::string("cannot start a handler thread: ").append(error->message).c_str());
    g_error_free(error);
    if (task->utterance != nullptr)
      gst_sample_unref(task->utterance);
    gst_object_unref(self);
    delete task;
  }
}

/* ---- handler pads ----------------------------------------------------------- */

/* Drops what the handler elements still hold: flush utterance_src's branch.
 * The reply_sink side drops the flush (it never reaches the output). */
static void flush_handler_pads(GstVoiceKitReplyOnPause *self) {
  GST_OBJECT_LOCK(self);
  GstPad *pad = self->handler_pads->utterance_src != nullptr
                    ? GST_PAD(gst_object_ref(self->handler_pads->utterance_src))
                    : nullptr;
  GST_OBJECT_UNLOCK(self);
  if (pad == nullptr)
    return;
  gst_pad_push_event(pad, gst_event_new_flush_start());
  /* The worker's push returns FLUSHING and lets the stream lock go. A
   * branch that ignores the flush must not hang us: after a while the next
   * worker ends the flush instead. */
  const gint64 give_up = g_get_monotonic_time() + FLUSH_WAIT_US;
  gboolean locked = FALSE;
  while (!(locked = g_mutex_trylock(&self->handler_pads->push_lock)) &&
         g_get_monotonic_time() < give_up)
    g_usleep(1000);
  if (locked) {
    gst_pad_push_event(pad, gst_event_new_flush_stop(FALSE));
    self->handler_pads->need_segment = TRUE;
    g_mutex_unlock(&self->handler_pads->push_lock);
  } else {
    GST_WARNING_OBJECT(pad, "the handler branch holds its stream; flush-stop left to later");
    g_atomic_int_set(&self->handler_pads->need_flush_stop, TRUE);
  }
  gst_object_unref(pad);
}

static GstFlowReturn gst_voicekit_reply_on_pause_reply_chain(GstPad *, GstObject *parent,
                                                             GstBuffer *buffer) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(parent);
  HandlerPads &pads = *self->handler_pads;
  g_mutex_lock(&self->lock);
  ReplyPtr reply = current_reply_locked(self);
  const gboolean takes = reply && reply->kind == GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_PADS &&
                         !reply->greeting &&
                         (!pads.reply_saw_start || pads.reply_utterance == reply->utterance);
  const gboolean has_info = pads.reply_info_valid;
  GstAudioInfo info = pads.reply_info;
  g_mutex_unlock(&self->lock);
  if (!has_info) {
    gst_buffer_unref(buffer);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("No audio format on reply_sink"),
                      ("the handler elements sent a buffer before caps"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (takes) {
    GstCaps *caps = gst_audio_info_to_caps(&info);
    GstSample *sample = gst_sample_new(buffer, caps, nullptr, nullptr);
    queue_reply_audio(self, reply->utterance, sample);
    gst_sample_unref(sample);
    gst_caps_unref(caps);
  } else {
    GST_LOG_OBJECT(self, "reply_sink: no reply takes this buffer; dropped");
  }
  gst_buffer_unref(buffer);
  return GST_FLOW_OK;
}

static gboolean gst_voicekit_reply_on_pause_reply_event(GstPad *pad, GstObject *parent,
                                                        GstEvent *event) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(parent);
  HandlerPads &pads = *self->handler_pads;
  gboolean ok = TRUE;
  GstVoiceKitUtteranceEventType type;
  guint64 utterance = 0;
  if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
    GstCaps *caps;
    gst_event_parse_caps(event, &caps);
    GstAudioInfo info;
    ok = gst_audio_info_from_caps(&info, caps);
    g_mutex_lock(&self->lock);
    pads.reply_info_valid = ok;
    if (ok)
      pads.reply_info = info;
    g_mutex_unlock(&self->lock);
  } else if (gst_voicekit_event_parse_utterance(event, &type, &utterance, nullptr)) {
    if (type == GST_VOICEKIT_UTTERANCE_EVENT_START) {
      g_mutex_lock(&self->lock);
      pads.reply_saw_start = TRUE;
      pads.reply_utterance = utterance;
      g_mutex_unlock(&self->lock);
    } else {
      end_reply(self, utterance);
    }
  } else if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) {
    GST_INFO_OBJECT(pad, "the handler elements ended their stream");
  }
  /* Nothing from the handler branch goes further: the output is ours. */
  gst_event_unref(event);
  return ok;
}

static GstPad *gst_voicekit_reply_on_pause_request_new_pad(GstElement *element,
                                                           GstPadTemplate *templ, const gchar *,
                                                           const GstCaps *) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(element);
  const gboolean is_src = GST_PAD_TEMPLATE_DIRECTION(templ) == GST_PAD_SRC;
  GST_OBJECT_LOCK(self);
  GstPad *&slot = is_src ? self->handler_pads->utterance_src : self->handler_pads->reply_sink;
  if (slot != nullptr) {
    GST_OBJECT_UNLOCK(self);
    GST_WARNING_OBJECT(self, "there is one %s pad at most", GST_PAD_TEMPLATE_NAME_TEMPLATE(templ));
    return nullptr;
  }
  GstPad *pad = gst_pad_new_from_template(templ, GST_PAD_TEMPLATE_NAME_TEMPLATE(templ));
  slot = pad;
  GST_OBJECT_UNLOCK(self);
  if (is_src) {
    g_atomic_int_set(&self->handler_pads->restart, TRUE);
  } else {
    gst_pad_set_chain_function(pad, GST_DEBUG_FUNCPTR(gst_voicekit_reply_on_pause_reply_chain));
    gst_pad_set_event_function(pad, GST_DEBUG_FUNCPTR(gst_voicekit_reply_on_pause_reply_event));
  }
  if (GST_STATE(element) >= GST_STATE_PAUSED || GST_STATE_PENDING(element) >= GST_STATE_PAUSED)
    gst_pad_set_active(pad, TRUE);
  gst_element_add_pad(element, pad);
  return pad;
}

static void gst_voicekit_reply_on_pause_release_pad(GstElement *element, GstPad *pad) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(element);
  GST_OBJECT_LOCK(self);
  if (self->handler_pads->utterance_src == pad)
    self->handler_pads->utterance_src = nullptr;
  if (self->handler_pads->reply_sink == pad)
    self->handler_pads->reply_sink = nullptr;
  GST_OBJECT_UNLOCK(self);
  gst_pad_set_active(pad, FALSE);
  gst_element_remove_pad(element, pad);
}

/* ---- output ----------------------------------------------------------------- */

static GstClockTime out_position(const ReplyOnPauseState &state) {
  return state.out_base + gst_util_uint64_scale_int(state.out_samples, GST_SECOND,
                                                    GST_AUDIO_INFO_RATE(&state.out_info));
}

static gboolean negotiate_output(GstVoiceKitReplyOnPause *self) {
  ReplyOnPauseState &state = *self->state;
  GstCaps *template_caps = gst_pad_get_pad_template_caps(self->srcpad);
  GstCaps *peer = gst_pad_peer_query_caps(self->srcpad, template_caps);
  gst_caps_unref(template_caps);
  GstCaps *input = gst_audio_info_to_caps(&state.in_info);
  GstCaps *caps = nullptr;
  if (gst_caps_can_intersect(peer, input)) {
    caps = gst_caps_ref(input);
  } else if (!gst_caps_is_empty(peer)) {
    caps = gst_caps_make_writable(gst_caps_ref(peer));
    caps = gst_caps_truncate(caps);
    GstStructure *structure = gst_caps_get_structure(caps, 0);
    gst_structure_fixate_field_nearest_int(structure, "rate", GST_AUDIO_INFO_RATE(&state.in_info));
    gst_structure_fixate_field_nearest_int(structure, "channels",
                                           GST_AUDIO_INFO_CHANNELS(&state.in_info));
    gst_structure_fixate_field_string(structure, "format", GST_AUDIO_INFO_NAME(&state.in_info));
    caps = gst_caps_fixate(caps);
  }
  gst_caps_unref(input);
  GstAudioInfo info;
  const gboolean ok = caps != nullptr && gst_audio_info_from_caps(&info, caps) &&
                      gst_pad_push_event(self->srcpad, gst_event_new_caps(caps));
  if (!ok) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Downstream accepts no audio replyonpause makes"),
                      ("downstream caps %" GST_PTR_FORMAT
                       "; replyonpause makes " REPLY_ON_PAUSE_CAPS,
                       static_cast<void *>(peer)));
  } else {
    GST_INFO_OBJECT(self, "replies leave as %" GST_PTR_FORMAT, static_cast<void *>(caps));
    if (state.out_negotiated && state.out_base != GST_CLOCK_TIME_NONE) {
      /* Keep the output timeline: count samples in the new rate from here. */
      state.out_base = out_position(state);
      state.out_samples = 0;
    }
    if (state.out_negotiated && !gst_audio_info_is_equal(&info, &state.out_info)) {
      /* Audio of a reply in flight already converted to the old format is
       * dropped; what the handler sends from now on is converted anew. */
      if (ReplyPtr reply = current_reply(self)) {
        GST_WARNING_OBJECT(self, "output format changed during a reply: converted audio dropped");
        reply->converted.clear();
        reply->converted_read = 0;
        if (reply->converter != nullptr)
          gst_audio_converter_free(reply->converter);
        reply->converter = nullptr;
      }
    }
    state.out_info = info;
    state.out_negotiated = TRUE;
  }
  if (caps != nullptr)
    gst_caps_unref(caps);
  gst_caps_unref(peer);
  return ok;
}

/* Output samples from the current position up to running time `until`. */
static guint64 samples_until(const ReplyOnPauseState &state, GstClockTime until) {
  if (until <= state.out_base)
    return 0;
  const guint64 target = gst_util_uint64_scale_int_round(
      until - state.out_base, GST_AUDIO_INFO_RATE(&state.out_info), GST_SECOND);
  return target > state.out_samples ? target - state.out_samples : 0;
}

/* Converts the reply's queued chunks into the output format (streaming
 * thread, without `lock`). */
static gboolean convert_reply(GstVoiceKitReplyOnPause *self, Reply &reply) {
  const GstAudioInfo &out = self->state->out_info;
  g_mutex_lock(&self->lock);
  std::deque<GstSample *> chunks;
  chunks.swap(reply.chunks);
  g_mutex_unlock(&self->lock);
  gboolean ok = TRUE;
  for (GstSample *sample : chunks) {
    GstAudioInfo info;
    GstBuffer *buffer = gst_sample_get_buffer(sample);
    gst_audio_info_from_caps(&info, gst_sample_get_caps(sample));
    if (reply.converted_read > 0 && reply.converted_read >= reply.converted.size() / 2) {
      /* what has played goes: memory follows what is left to play */
      reply.converted.erase(reply.converted.begin(),
                            reply.converted.begin() +
                                static_cast<std::ptrdiff_t>(reply.converted_read));
      reply.converted_read = 0;
    }
    GstMapInfo map;
    if (!ok || !gst_buffer_map(buffer, &map, GST_MAP_READ)) {
      ok = FALSE;
      gst_sample_unref(sample);
      continue;
    }
    const gsize in_frames = map.size / static_cast<gsize>(GST_AUDIO_INFO_BPF(&info));
    if (gst_audio_info_is_equal(&info, &out)) {
      reply.converted.insert(reply.converted.end(), map.data, map.data + map.size);
    } else {
      if (reply.converter == nullptr || !gst_audio_info_is_equal(&info, &reply.converter_in)) {
        if (reply.converter != nullptr)
          gst_audio_converter_free(reply.converter);
        reply.converter = gst_audio_converter_new(GST_AUDIO_CONVERTER_FLAG_NONE, &info,
                                                  const_cast<GstAudioInfo *>(&out), nullptr);
        reply.converter_in = info;
      }
      if (reply.converter == nullptr) {
        ok = FALSE;
      } else {
        const gsize out_frames = gst_audio_converter_get_out_frames(reply.converter, in_frames);
        const gsize offset = reply.converted.size();
        reply.converted.resize(offset + out_frames * static_cast<gsize>(GST_AUDIO_INFO_BPF(&out)));
        gpointer in_planes[1] = {map.data};
        gpointer out_planes[1] = {reply.converted.data() + offset};
        ok = gst_audio_converter_samples(reply.converter, GST_AUDIO_CONVERTER_FLAG_NONE, in_planes,
                                         in_frames, out_planes, out_frames);
      }
    }
    gst_buffer_unmap(buffer, &map);
    gst_sample_unref(sample);
  }
  return ok;
}

/* The resampler holds back a few samples: push silence through it to get
 * the reply's last samples out. */
static void drain_converter(GstVoiceKitReplyOnPause *self, Reply &reply) {
  if (reply.converter == nullptr)
    return;
  const gsize latency = gst_audio_converter_get_max_latency(reply.converter);
  if (latency > 0) {
    const gsize out_frames = gst_audio_converter_get_out_frames(reply.converter, latency);
    const gsize bpf = static_cast<gsize>(GST_AUDIO_INFO_BPF(&self->state->out_info));
    const gsize offset = reply.converted.size();
    reply.converted.resize(offset + out_frames * bpf);
    gpointer out_planes[1] = {reply.converted.data() + offset};
    gst_audio_converter_samples(reply.converter, GST_AUDIO_CONVERTER_FLAG_NONE, nullptr, latency,
                                out_planes, out_frames);
  }
  gst_audio_converter_free(reply.converter);
  reply.converter = nullptr;
}

static GstBuffer *output_buffer(GstVoiceKitReplyOnPause *self, const Reply *reply,
                                guint64 reply_frames, guint64 frames) {
  ReplyOnPauseState &state = *self->state;
  const gsize bpf = static_cast<gsize>(GST_AUDIO_INFO_BPF(&state.out_info));
  GstBuffer *buffer = gst_buffer_new_allocate(nullptr, frames * bpf, nullptr);
  GstMapInfo map;
  gst_buffer_map(buffer, &map, GST_MAP_WRITE);
  if (reply_frames > 0)
    memcpy(map.data, reply->converted.data() + reply->converted_read, reply_frames * bpf);
  if (reply_frames < frames)
    gst_audio_format_info_fill_silence(state.out_info.finfo, map.data + reply_frames * bpf,
                                       (frames - reply_frames) * bpf);
  gst_buffer_unmap(buffer, &map);
  const GstClockTime start = out_position(state);
  const GstClockTime end =
      state.out_base + gst_util_uint64_scale_int(state.out_samples + frames, GST_SECOND,
                                                 GST_AUDIO_INFO_RATE(&state.out_info));
  GST_BUFFER_PTS(buffer) = start;
  GST_BUFFER_DURATION(buffer) = end - start;
  GST_BUFFER_OFFSET(buffer) = state.out_samples;
  GST_BUFFER_OFFSET_END(buffer) = state.out_samples + frames;
  GstVoiceKitSessionContext *context =
      reply != nullptr && reply_frames > 0 ? reply->context : state.session;
  if (context != nullptr)
    gst_voicekit_buffer_set_session_context(buffer, context);
  return buffer;
}

static void ensure_output_segment(GstVoiceKitReplyOnPause *self) {
  ReplyOnPauseState &state = *self->state;
  if (!state.need_segment)
    return;
  /* Output timestamps are running times: a plain segment from 0. */
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  gst_pad_push_event(self->srcpad, gst_event_new_segment(&segment));
  state.need_segment = FALSE;
}

/* Reports and clears a failed or timed-out reply. */
static void handle_failure(GstVoiceKitReplyOnPause *self, const ReplyPtr &reply,
                           const std::string &why) {
  GST_ELEMENT_WARNING(self, STREAM, FAILED, ("Reply handler failed"),
                      ("utterance %" G_GUINT64_FORMAT ": %s", reply->utterance, why.c_str()));
  post_reply_message(self, "handler-error", reply->utterance, reply->context,
                     self->state->in_end != GST_CLOCK_TIME_NONE ? self->state->in_end
                                                                : out_position(*self->state),
                     "error", G_TYPE_STRING, why.c_str(), nullptr);
  cancel_reply(self, reply);
}

enum class Drive {
  kInput, /* up to the input position (a span of reply ahead of it) */
  kDrain, /* EOS: the whole reply in flight */
};

/* Produces output up to where the input stands: the current reply's audio
 * when it has some, silence otherwise. Streaming thread. */
static GstFlowReturn drive_output(GstVoiceKitReplyOnPause *self, Drive mode) {
  ReplyOnPauseState &state = *self->state;
  if (state.in_end == GST_CLOCK_TIME_NONE)
    return GST_FLOW_OK;
  if (!state.out_negotiated || gst_pad_check_reconfigure(self->srcpad)) {
    if (!negotiate_output(self)) {
      gst_pad_mark_reconfigure(self->srcpad);
      return GST_FLOW_NOT_NEGOTIATED;
    }
  }
  if (state.out_base == GST_CLOCK_TIME_NONE) {
    state.out_base = state.in_end > state.span ? state.in_end - state.span : 0;
    state.out_samples = 0;
  }
  ensure_output_segment(self);
  g_mutex_lock(&self->settings_lock);
  const gboolean send_gaps = self->settings->send_gaps;
  g_mutex_unlock(&self->settings_lock);
  const gsize bpf = static_cast<gsize>(GST_AUDIO_INFO_BPF(&state.out_info));
  const guint64 max_buffer_frames = gst_util_uint64_scale_int(
      MAX_OUTPUT_BUFFER, GST_AUDIO_INFO_RATE(&state.out_info), GST_SECOND);
  const guint64 span_frames = std::max<guint64>(
      1, gst_util_uint64_scale_int(state.span, GST_AUDIO_INFO_RATE(&state.out_info), GST_SECOND));

  GstFlowReturn ret = GST_FLOW_OK;
  while (ret == GST_FLOW_OK) {
    g_mutex_lock(&self->lock);
    if (self->flushing) {
      g_mutex_unlock(&self->lock);
      return GST_FLOW_FLUSHING;
    }
    ReplyPtr reply = current_reply_locked(self);
    gboolean pending_chunks = reply && !reply->chunks.empty();
    const gboolean ended = reply && reply->ended && !pending_chunks;
    const gboolean failed = reply && reply->failed;
    const std::string error = failed ? reply->error : std::string();
    const gboolean timed_out =
        reply && !reply->ended && !failed && g_get_monotonic_time() >= reply->deadline_us;
    g_mutex_unlock(&self->lock);
    if (failed || timed_out) {
      handle_failure(self, reply, failed ? error : std::string("no reply within handler-timeout"));
      continue;
    }
    if (reply && pending_chunks && !convert_reply(self, *reply)) {
      handle_failure(self, reply, "cannot convert the reply audio");
      continue;
    }
    if (reply && ended && reply->converter != nullptr)
      drain_converter(self, *reply);
    const guint64 available = reply ? (reply->converted.size() - reply->converted_read) / bpf : 0;

    /* How far to go: the input's position; a span ahead of it while a reply
     * has audio (or, not live, is awaited), so the first reply span leaves
     * at once; past the input's end at EOS until the reply is over. */
    guint64 frames = samples_until(state, state.in_end);
    if (reply && (available > 0 || !state.live || mode == Drive::kDrain))
      frames = samples_until(state, state.in_end + state.span);
    if (reply && mode == Drive::kDrain && frames == 0)
      frames = span_frames;
    if (reply && ended && available < frames)
      frames = available;

    if (reply && ended && available == 0) {
      /* The last sample has left: the reply is over. */
      if (reply->started) {
        post_reply_message(self, "reply-end", reply->utterance, reply->context, reply->played_until,
                           nullptr);
      } else if (!reply->greeting) {
        handle_failure(self, reply, "the handler's reply has no audio");
        continue;
      }
      g_mutex_lock(&self->lock);
      if (*self->reply == reply)
        self->reply->reset();
      g_mutex_unlock(&self->lock);
      continue;
    }
    if (frames == 0)
      break;
    if (reply && available < frames && !ended && (!state.live || mode == Drive::kDrain)) {
      /* Not live (or at EOS): the output waits for the handler, so it is the
       * same on every run. Woken by reply audio, its end or failure, a flush
       * or the deadline (then reported as a timeout above). */
      g_mutex_lock(&self->lock);
      if (!self->flushing && reply->chunks.empty() && !reply->ended && !reply->failed &&
          !reply->cancelled)
        g_cond_wait_until(&self->cond, &self->lock, reply->deadline_us);
      g_mutex_unlock(&self->lock);
      continue;
    }
    /* long spans (a big input buffer, a GAP) in pieces of at most a second */
    frames = std::min(frames, max_buffer_frames);
    const guint64 reply_frames = reply ? std::min(available, frames) : 0;

    if (reply_frames > 0 && !reply->started) {
      reply->started = TRUE;
      const guint64 latency =
          static_cast<guint64>(std::max<gint64>(0, g_get_monotonic_time() - reply->decided_us)) *
          GST_USECOND;
      post_reply_message(self, "reply-start", reply->utterance, reply->context, out_position(state),
                         "latency", G_TYPE_UINT64, latency, nullptr);
    }
    const GstClockTime span_start = out_position(state);
    if (reply_frames == 0 && send_gaps) {
      state.out_samples += frames;
      gst_pad_push_event(self->srcpad,
                         gst_event_new_gap(span_start, out_position(state) - span_start));
      continue;
    }
    GstBuffer *buffer = output_buffer(self, reply.get(), reply_frames, frames);
    if (reply_frames > 0) {
      reply->converted_read += reply_frames * bpf;
      reply->played_until =
          state.out_base + gst_util_uint64_scale_int(state.out_samples + reply_frames, GST_SECOND,
                                                     GST_AUDIO_INFO_RATE(&state.out_info));
    }
    state.out_samples += frames;
    ret = gst_pad_push(self->srcpad, buffer);
  }
  return ret;
}

/* ---- input ------------------------------------------------------------------ */

static void check_liveness(GstVoiceKitReplyOnPause *self) {
  ReplyOnPauseState &state = *self->state;
  if (state.live_known)
    return;
  GstQuery *query = gst_query_new_latency();
  gboolean live = FALSE;
  if (gst_pad_peer_query(self->sinkpad, query))
    gst_query_parse_latency(query, &live, nullptr, nullptr);
  gst_query_unref(query);
  state.live = live;
  state.live_known = TRUE;
  GST_INFO_OBJECT(self, "upstream is %s",
                  live ? "live: silence fills while handlers work"
                       : "not live: the output waits for handlers");
}

/* Sizes the pre-roll from pausedetect's settings. */
static void read_detector(GstVoiceKitReplyOnPause *self) {
  ReplyOnPauseState &state = *self->state;
  GstStructure *detector = gst_voicekit_pad_get_turn_detector(self->sinkpad);
  state.detector_seen = detector != nullptr;
  if (detector == nullptr)
    return;
  guint64 pad = 0, min_speech = 0, frame = 0;
  gst_structure_get_uint64(detector, "speech-pad", &pad);
  gst_structure_get_uint64(detector, "min-speech-duration", &min_speech);
  gst_structure_get_uint64(detector, "frame-duration", &frame);
  gst_structure_free(detector);
  g_mutex_lock(&self->settings_lock);
  const guint64 max_utterance = self->settings->max_utterance;
  g_mutex_unlock(&self->settings_lock);
  state.preroll = pad + min_speech + 2 * frame + PREROLL_MARGIN;
  state.collector.set_limits(state.preroll, max_utterance);
}

static GstVoiceKitSessionContext *session_of(GstVoiceKitReplyOnPause *self, GstBuffer *buffer) {
  return element::session_of(self->sinkpad, buffer);
}

/* A new webrtc-id on the input: a reply to the previous session stops, and
 * the application may greet the new one. */
static void update_session(GstVoiceKitReplyOnPause *self, GstVoiceKitSessionContext *context) {
  ReplyOnPauseState &state = *self->state;
  if (context == nullptr)
    return;
  const char *id = gst_voicekit_session_context_get_webrtc_id(context);
  if (state.session != nullptr && state.session_id == id)
    return;
  const gboolean first = state.session == nullptr;
  if (state.session != nullptr)
    gst_voicekit_session_context_unref(state.session);
  state.session = gst_voicekit_session_context_ref(context);
  state.session_id = id;
  GST_INFO_OBJECT(self, "session %s starts", id);
  if (!first)
    cancel_current_reply(self);
  if (!g_signal_has_handler_pending(self, signals[SIGNAL_GREETING], 0, FALSE))
    return;
  auto greeting = std::make_shared<Reply>();
  greeting->greeting = TRUE;
  greeting->utterance = self->numbers->for_greeting();
  greeting->kind = GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_SIGNALS;
  greeting->context = gst_voicekit_session_context_ref(context);
  g_mutex_lock(&self->settings_lock);
  greeting->deadline_us =
      g_get_monotonic_time() + static_cast<gint64>(self->settings->handler_timeout / GST_USECOND);
  g_mutex_unlock(&self->settings_lock);
  greeting->decided_us = g_get_monotonic_time();
  g_mutex_lock(&self->lock);
  ReplyPtr previous = *self->reply;
  *self->reply = greeting;
  g_mutex_unlock(&self->lock);
  if (previous)
    cancel_reply(self, previous);
  start_worker(self, greeting, nullptr);
}

static GstSample *utterance_sample(GstVoiceKitReplyOnPause *self, guint64 number,
                                   reply::Utterance &utterance,
                                   GstVoiceKitSessionContext *context) {
  ReplyOnPauseState &state = *self->state;
  const gsize size = utterance.data.size();
  auto *moved = new std::vector<uint8_t>(std::move(utterance.data));
  GstBuffer *buffer = gst_buffer_new_wrapped_full(
      GST_MEMORY_FLAG_READONLY, moved->data(), size, 0, size, moved,
      [](gpointer data) { delete static_cast<std::vector<uint8_t> *>(data); });
  GST_BUFFER_PTS(buffer) = utterance.start_ns;
  GST_BUFFER_DURATION(buffer) =
      gst_util_uint64_scale_int(size / static_cast<gsize>(GST_AUDIO_INFO_BPF(&state.in_info)),
                                GST_SECOND, GST_AUDIO_INFO_RATE(&state.in_info));
  if (context != nullptr)
    gst_voicekit_buffer_set_session_context(buffer, context);
  GstCaps *caps = gst_audio_info_to_caps(&state.in_info);
  GstStructure *info = gst_structure_new("utterance", "utterance", G_TYPE_UINT64, number,
                                         "truncated", G_TYPE_BOOLEAN, utterance.truncated, nullptr);
  if (context != nullptr)
    gst_structure_set(info, "webrtc-id", G_TYPE_STRING,
                      gst_voicekit_session_context_get_webrtc_id(context), nullptr);
  GstSample *sample = gst_sample_new(buffer, caps, nullptr, info);
  gst_caps_unref(caps);
  gst_buffer_unref(buffer);
  return sample;
}

/* The user paused: the utterance goes to the handler. */
static GstFlowReturn on_pause(GstVoiceKitReplyOnPause *self, guint64 number, GstClockTime decision,
                              GstClockTime onset, GstVoiceKitSessionContext *event_context) {
  const gint64 decided_us = g_get_monotonic_time(); /* the pause reached us */
  ReplyOnPauseState &state = *self->state;
  if (state.ignored_utterance != 0 && number == state.ignored_utterance) {
    GST_DEBUG_OBJECT(self, "utterance %" G_GUINT64_FORMAT " came during a reply: ignored", number);
    state.ignored_utterance = 0;
    state.collector.reset();
    return GST_FLOW_OK;
  }
  if (ReplyPtr busy = current_reply(self)) {
    /* A reply (a greeting) still plays and this utterance's speech-start
     * came before it: the usual rule applies now. */
    g_mutex_lock(&self->settings_lock);
    const gboolean can_interrupt = self->settings->can_interrupt;
    g_mutex_unlock(&self->settings_lock);
    if (!can_interrupt) {
      GST_DEBUG_OBJECT(self, "utterance %" G_GUINT64_FORMAT " ended during a reply: ignored",
                       number);
      state.collector.reset();
      return GST_FLOW_OK;
    }
    cancel_reply(self, busy);
    post_reply_message(self, "reply-interrupted", busy->utterance, busy->context, decision,
                       nullptr);
  }
  reply::Utterance utterance = state.collector.finish(onset, decision);
  if (utterance.data.empty()) {
    GST_DEBUG_OBJECT(self, "utterance %" G_GUINT64_FORMAT " has no audio here", number);
    return GST_FLOW_OK;
  }
  GstVoiceKitSessionContext *context = event_context != nullptr
                                           ? gst_voicekit_session_context_ref(event_context)
                                           : session_of(self, nullptr);
  const gboolean truncated = utterance.truncated;
  GstSample *sample = utterance_sample(self, number, utterance, context);
  const GstClockTime duration = GST_BUFFER_DURATION(gst_sample_get_buffer(sample));

  auto reply = std::make_shared<Reply>();
  reply->utterance = number;
  reply->context = context; /* takes the reference */
  reply->decided_us = decided_us;
  g_mutex_lock(&self->settings_lock);
  reply->kind = self->settings->handler;
  reply->deadline_us =
      reply->decided_us + static_cast<gint64>(self->settings->handler_timeout / GST_USECOND);
  g_mutex_unlock(&self->settings_lock);
  GST_DEBUG_OBJECT(self, "utterance %" G_GUINT64_FORMAT ": %" GST_TIME_FORMAT " to the handler",
                   number, GST_TIME_ARGS(duration));
  post_reply_message(self, "utterance", number, context, decision, "duration", G_TYPE_UINT64,
                     duration, "truncated", G_TYPE_BOOLEAN, truncated, nullptr);

  if (reply->kind == GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_ECHO) {
    reply->chunks.push_back(gst_sample_ref(sample));
    reply->got_audio = TRUE;
    reply->ended = TRUE;
  }
  g_mutex_lock(&self->lock);
  *self->reply = reply;
  g_mutex_unlock(&self->lock);
  if (reply->kind != GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_ECHO)
    start_worker(self, reply, sample);
  gst_sample_unref(sample);
  return drive_output(self, Drive::kInput);
}

/* The user started speaking: a reply in flight stops (or, with
 * can-interrupt=false, this utterance is ignored). */
static void on_speech_start(GstVoiceKitReplyOnPause *self, guint64 number, GstClockTime decision,
                            GstClockTime onset) {
  ReplyOnPauseState &state = *self->state;
  if (ReplyPtr reply = current_reply(self)) {
    g_mutex_lock(&self->settings_lock);
    const gboolean can_interrupt = self->settings->can_interrupt;
    g_mutex_unlock(&self->settings_lock);
    if (!can_interrupt) {
      GST_DEBUG_OBJECT(self, "utterance %" G_GUINT64_FORMAT " during a reply: ignored", number);
      state.ignored_utterance = number;
      return;
    }
    GST_DEBUG_OBJECT(self,
                     "utterance %" G_GUINT64_FORMAT " interrupts the reply to %" G_GUINT64_FORMAT,
                     number, reply->utterance);
    cancel_reply(self, reply);
    post_reply_message(self, "reply-interrupted", reply->utterance, reply->context, decision,
                       nullptr);
  }
  state.ignored_utterance = 0;
  /* max-utterance-duration may have changed while PLAYING: from this one on */
  g_mutex_lock(&self->settings_lock);
  const guint64 max_utterance = self->settings->max_utterance;
  g_mutex_unlock(&self->settings_lock);
  state.collector.set_limits(state.preroll, max_utterance);
  state.collector.begin(onset);
}

static gboolean handle_turn_event(GstVoiceKitReplyOnPause *self, GstEvent *event,
                                  GstFlowReturn *ret) {
  ReplyOnPauseState &state = *self->state;
  GstVoiceKitTurnEventType type;
  guint64 number = 0;
  GstClockTime decision, onset_stream, end_stream;
  GstVoiceKitSessionContext *context = nullptr;
  if (!gst_voicekit_event_parse_turn(event, &type, &number, &decision, nullptr, &onset_stream,
                                     &end_stream, &context))
    return FALSE;
  *ret = GST_FLOW_OK;
  number = self->numbers->of_utterance(number);
  if (state.has_caps) {
    const GstClockTime onset = running_time_of_stream_time(state.segment, onset_stream);
    if (type == GST_VOICEKIT_TURN_EVENT_SPEECH_START)
      on_speech_start(self, number, decision, onset);
    else
      *ret = on_pause(self, number, decision, onset, context);
  }
  if (context != nullptr)
    gst_voicekit_session_context_unref(context);
  return TRUE;
}

static GstFlowReturn gst_voicekit_reply_on_pause_chain(GstPad *, GstObject *parent,
                                                       GstBuffer *buffer) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(parent);
  ReplyOnPauseState &state = *self->state;
  if (!state.has_caps) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("No audio format was negotiated"),
                      ("replyonpause needs " REPLY_ON_PAUSE_CAPS));
    gst_buffer_unref(buffer);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (!state.detector_seen) {
    read_detector(self);
    if (!state.detector_seen) {
      GST_ELEMENT_ERROR(self, CORE, FAILED, ("replyonpause needs pausedetect upstream"),
                        ("no turn detector event (" GST_VOICEKIT_TURN_DETECTOR_EVENT_NAME
                         ") came before the first buffer: link `pausedetect ! replyonpause`"));
      gst_buffer_unref(buffer);
      return GST_FLOW_ERROR;
    }
  }
  check_liveness(self);

  const gsize bpf = static_cast<gsize>(GST_AUDIO_INFO_BPF(&state.in_info));
  const gsize frames = gst_buffer_get_size(buffer) / bpf;
  const GstClockTime duration =
      gst_util_uint64_scale_int(frames, GST_SECOND, GST_AUDIO_INFO_RATE(&state.in_info));
  GstClockTime start = GST_CLOCK_TIME_NONE;
  if (GST_BUFFER_PTS_IS_VALID(buffer)) {
    guint64 running = 0;
    start = gst_segment_to_running_time_full(&state.segment, GST_FORMAT_TIME,
                                             GST_BUFFER_PTS(buffer), &running) > 0
                ? running
                : 0;
  } else {
    start = state.in_end != GST_CLOCK_TIME_NONE ? state.in_end : 0;
  }

  GstVoiceKitSessionContext *context = session_of(self, buffer);
  update_session(self, context);
  if (context != nullptr)
    gst_voicekit_session_context_unref(context);

  if (state.ignored_utterance == 0 || state.collector.collecting()) {
    GstMapInfo map;
    if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
      state.collector.push(start, map.data, frames);
      gst_buffer_unmap(buffer, &map);
    }
  }
  gst_buffer_unref(buffer);
  if (duration > 0)
    state.span = duration;
  if (state.in_end == GST_CLOCK_TIME_NONE || start + duration > state.in_end)
    state.in_end = start + duration;
  return drive_output(self, Drive::kInput);
}

static gboolean set_input_caps(GstVoiceKitReplyOnPause *self, GstCaps *caps) {
  ReplyOnPauseState &state = *self->state;
  GstAudioInfo info;
  if (!gst_audio_info_from_caps(&info, caps)) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Cannot take this audio format"),
                      ("caps %" GST_PTR_FORMAT "; replyonpause needs " REPLY_ON_PAUSE_CAPS,
                       static_cast<void *>(caps)));
    return FALSE;
  }
  if (state.has_caps && gst_audio_info_is_equal(&info, &state.in_info))
    return TRUE;
  /* A new input format: an utterance being collected cannot continue. */
  state.in_info = info;
  state.has_caps = TRUE;
  g_mutex_lock(&self->settings_lock);
  const guint64 max_utterance = self->settings->max_utterance;
  g_mutex_unlock(&self->settings_lock);
  state.collector.configure(GST_AUDIO_INFO_RATE(&info), GST_AUDIO_INFO_BPF(&info), state.preroll,
                            max_utterance);
  state.detector_seen = FALSE;
  /* Prefer the new input format for the output, if downstream takes it. */
  if (state.out_negotiated)
    gst_pad_mark_reconfigure(self->srcpad);
  return TRUE;
}

static void reset_streaming(GstVoiceKitReplyOnPause *self) {
  ReplyOnPauseState &state = *self->state;
  cancel_current_reply(self);
  state.collector.reset();
  state.in_end = GST_CLOCK_TIME_NONE;
  state.out_base = GST_CLOCK_TIME_NONE;
  state.out_samples = 0;
  state.ignored_utterance = 0;
  state.need_segment = TRUE;
  state.live_known = FALSE;
  gst_segment_init(&state.segment, GST_FORMAT_TIME);
}

static gboolean gst_voicekit_reply_on_pause_sink_event(GstPad *pad, GstObject *parent,
                                                       GstEvent *event) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(parent);
  ReplyOnPauseState &state = *self->state;
  GstFlowReturn flow = GST_FLOW_OK;
  if (handle_turn_event(self, event, &flow)) {
    gst_event_unref(event);
    return flow == GST_FLOW_OK || flow == GST_FLOW_FLUSHING;
  }
  switch (GST_EVENT_TYPE(event)) {
  case GST_EVENT_CAPS: {
    GstCaps *caps;
    gst_event_parse_caps(event, &caps);
    const gboolean ok = set_input_caps(self, caps);
    gst_event_unref(event);
    return ok;
  }
  case GST_EVENT_SEGMENT: {
    GstSegment segment;
    gst_event_copy_segment(event, &segment);
    gst_event_unref(event);
    if (segment.format != GST_FORMAT_TIME) {
      GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Need a segment in TIME format"),
                        ("got a %s segment", gst_format_get_name(segment.format)));
      return FALSE;
    }
    state.segment = segment;
    return TRUE; /* the output has its own segment */
  }
  case GST_EVENT_CUSTOM_DOWNSTREAM_STICKY:
    if (gst_event_has_name(event, GST_VOICEKIT_TURN_DETECTOR_EVENT_NAME)) {
      gst_event_unref(event);
      state.detector_seen = FALSE; /* read again before the next buffer */
      return TRUE;
    }
    break;
  case GST_EVENT_GAP: {
    if (!state.has_caps)
      break;
    GstClockTime timestamp, duration;
    gst_event_parse_gap(event, &timestamp, &duration);
    gst_event_unref(event);
    if (GST_CLOCK_TIME_IS_VALID(timestamp) && GST_CLOCK_TIME_IS_VALID(duration)) {
      guint64 running = 0;
      if (gst_segment_to_running_time_full(&state.segment, GST_FORMAT_TIME, timestamp + duration,
                                           &running) > 0 &&
          (state.in_end == GST_CLOCK_TIME_NONE || running > state.in_end))
        state.in_end = running;
    }
    flow = drive_output(self, Drive::kInput);
    return flow == GST_FLOW_OK || flow == GST_FLOW_FLUSHING;
  }
  case GST_EVENT_EOS:
    /* The reply in flight plays out first (bounded by handler-timeout). */
    if (current_reply(self) && state.has_caps)
      drive_output(self, Drive::kDrain);
    break;
  case GST_EVENT_FLUSH_START:
    g_mutex_lock(&self->lock);
    self->flushing = TRUE;
    g_cond_broadcast(&self->cond);
    g_mutex_unlock(&self->lock);
    break;
  case GST_EVENT_FLUSH_STOP:
    reset_streaming(self);
    self->numbers->detector_restarts();
    g_mutex_lock(&self->lock);
    self->flushing = FALSE;
    g_mutex_unlock(&self->lock);
    break;
  case GST_EVENT_STREAM_START:
    state.collector.reset();
    self->numbers->detector_restarts();
    break;
  default:
    break;
  }
  return gst_pad_event_default(pad, parent, event);
}

static gboolean gst_voicekit_reply_on_pause_src_query(GstPad *pad, GstObject *parent,
                                                      GstQuery *query) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(parent);
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
  return gst_pad_query_default(pad, GST_OBJECT(self), query);
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

static GstStateChangeReturn gst_voicekit_reply_on_pause_change_state(GstElement *element,
                                                                     GstStateChange transition) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(element);
  switch (transition) {
  case GST_STATE_CHANGE_READY_TO_PAUSED:
    g_mutex_lock(&self->lock);
    self->flushing = FALSE;
    g_mutex_unlock(&self->lock);
    reset_streaming(self);
    self->numbers->detector_restarts();
    self->state->detector_seen = FALSE;
    g_atomic_int_set(&self->handler_pads->restart, TRUE);
    break;
  case GST_STATE_CHANGE_PAUSED_TO_READY:
    /* Wake a streaming thread waiting for a handler before the pads stop. */
    g_mutex_lock(&self->lock);
    self->flushing = TRUE;
    g_cond_broadcast(&self->cond);
    g_mutex_unlock(&self->lock);
    cancel_current_reply(self);
    break;
  default:
    break;
  }
  GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_voicekit_reply_on_pause_parent_class)
                                 ->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    ReplyOnPauseState &state = *self->state;
    reset_streaming(self);
    state.has_caps = FALSE;
    state.out_negotiated = FALSE;
    state.detector_seen = FALSE;
    state.session_id.clear();
    if (state.session != nullptr)
      gst_voicekit_session_context_unref(state.session);
    state.session = nullptr;
    g_mutex_lock(&self->lock);
    self->handler_pads->reply_info_valid = FALSE;
    self->handler_pads->reply_saw_start = FALSE;
    g_mutex_unlock(&self->lock);
  }
  return ret;
}

/* ---- properties ------------------------------------------------------------- */

static void gst_voicekit_reply_on_pause_set_property(GObject *object, guint prop_id,
                                                     const GValue *value, GParamSpec *pspec) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(object);
  g_mutex_lock(&self->settings_lock);
  ReplyOnPauseSettings &settings = *self->settings;
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
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  g_mutex_unlock(&self->settings_lock);
}

static void gst_voicekit_reply_on_pause_get_property(GObject *object, guint prop_id, GValue *value,
                                                     GParamSpec *pspec) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(object);
  g_mutex_lock(&self->settings_lock);
  const ReplyOnPauseSettings &settings = *self->settings;
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
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    break;
  }
  g_mutex_unlock(&self->settings_lock);
}

/* ---- life cycle ------------------------------------------------------------- */

static void gst_voicekit_reply_on_pause_finalize(GObject *object) {
  GstVoiceKitReplyOnPause *self = GST_VOICEKIT_REPLY_ON_PAUSE(object);
  delete self->reply;
  gst_caps_replace(&self->handler_pads->caps, nullptr);
  delete self->handler_pads;
  delete self->numbers;
  delete self->state;
  delete self->settings;
  g_mutex_clear(&self->settings_lock);
  g_mutex_clear(&self->lock);
  g_cond_clear(&self->cond);
  G_OBJECT_CLASS(gst_voicekit_reply_on_pause_parent_class)->finalize(object);
}

static void gst_voicekit_reply_on_pause_init(GstVoiceKitReplyOnPause *self) {
  g_mutex_init(&self->settings_lock);
  g_mutex_init(&self->lock);
  g_cond_init(&self->cond);
  self->settings = new ReplyOnPauseSettings();
  self->state = new ReplyOnPauseState();
  self->reply = new ReplyPtr();
  self->handler_pads = new HandlerPads();
  self->numbers = new ReplyNumbers();
  self->flushing = TRUE;
  gst_segment_init(&self->state->segment, GST_FORMAT_TIME);

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
}

static void gst_voicekit_reply_on_pause_class_init(GstVoiceKitReplyOnPauseClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(reply_on_pause_debug, "replyonpause", 0,
                          "voicekit: utterances to handlers, replies back");
  reply_workers = g_thread_pool_new(run_handler, nullptr, -1, FALSE, nullptr);

  gobject_class->set_property = gst_voicekit_reply_on_pause_set_property;
  gobject_class->get_property = gst_voicekit_reply_on_pause_get_property;
  gobject_class->finalize = gst_voicekit_reply_on_pause_finalize;

  const GParamFlags mutable_flags = element::kPlayingFlags;
  g_object_class_install_property(
      gobject_class, PROP_HANDLER,
      g_param_spec_enum("handler", "Handler",
                        "Who answers an utterance: echo (the utterance itself), signals "
                        "(application code), command (a program per utterance, WAV in and out), "
                        "pads (handler elements on the request pads). Applies from the next "
                        "utterance",
                        GST_TYPE_VOICEKIT_REPLY_ON_PAUSE_HANDLER, DEFAULT_HANDLER, mutable_flags));
  g_object_class_install_property(
      gobject_class, PROP_COMMAND,
      g_param_spec_string("command", "Command",
                          "Program and arguments for handler=command, split like a shell line "
                          "but run without a shell. Gets the utterance as WAV on stdin, "
                          "WEBRTC_ID and UTTERANCE in its environment; writes the reply as WAV "
                          "on stdout",
                          nullptr, mutable_flags));
  element::install_time_property(
      gobject_class, PROP_HANDLER_TIMEOUT, "handler-timeout", "Handler timeout",
      "Time (ns) from the pause a handler has to end its reply; then it is "
      "stopped and handler-error posted",
      10 * GST_MSECOND, 3600 * GST_SECOND, DEFAULT_HANDLER_TIMEOUT);
  element::install_bool_property(
      gobject_class, PROP_CAN_INTERRUPT, "can-interrupt", "Can interrupt",
      "The user speaking during a reply stops it at once; when FALSE, what "
      "the user says during a reply is ignored",
      DEFAULT_CAN_INTERRUPT);
  element::install_time_property(gobject_class, PROP_MAX_UTTERANCE_DURATION,
                                 "max-utterance-duration", "Max utterance duration",
                                 "Longest utterance kept (ns); audio beyond it is dropped and the "
                                 "utterance marked truncated",
                                 100 * GST_MSECOND, 3600 * GST_SECOND,
                                 DEFAULT_MAX_UTTERANCE_DURATION);
  element::install_bool_property(gobject_class, PROP_SEND_GAPS, "send-gaps", "Send GAP events",
                                 "Between replies send GAP events instead of silent buffers",
                                 DEFAULT_SEND_GAPS);
  element::install_bool_property(gobject_class, PROP_POST_MESSAGES, "post-messages",
                                 "Post messages", "Post replyonpause element messages",
                                 DEFAULT_POST_MESSAGES);

  /**
   * GstVoiceKitReplyOnPause::utterance:
   * @element: the element
   * @utterance: the utterance number (from pausedetect)
   * @sample: the utterance: caps and one buffer with the session meta
   *
   * handler=signals: the user paused. Emitted from a worker thread with the
   * utterance's session current. Reply with push-reply and end-reply.
   */
  signals[SIGNAL_UTTERANCE] =
      g_signal_new("utterance", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                   nullptr, G_TYPE_NONE, 2, G_TYPE_UINT64, GST_TYPE_SAMPLE);
  /**
   * GstVoiceKitReplyOnPause::greeting:
   * @element: the element
   * @context: the session that starts
   *
   * @utterance: the number to reply with (0 for the element's first greeting)
   *
   * A session starts. Emitted from a worker thread with the session current.
   * Return TRUE to greet: push-reply and end-reply with @utterance.
   */
  signals[SIGNAL_GREETING] = g_signal_new(
      "greeting", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, g_signal_accumulator_true_handled,
      nullptr, nullptr, G_TYPE_BOOLEAN, 2, GST_TYPE_VOICEKIT_SESSION_CONTEXT, G_TYPE_UINT64);
  /**
   * GstVoiceKitReplyOnPause::reply-stop:
   * @element: the element
   * @utterance: the reply to stop
   *
   * The reply to @utterance was interrupted, flushed or stopped: the handler
   * should stop producing it (its audio is dropped). Emitted from the
   * streaming thread (from the thread changing the state at PAUSED->READY);
   * keep the handler short.
   */
  signals[SIGNAL_REPLY_STOP] =
      g_signal_new("reply-stop", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                   nullptr, G_TYPE_NONE, 1, G_TYPE_UINT64);
  /**
   * GstVoiceKitReplyOnPause::push-reply:
   * @element: the element
   * @utterance: the utterance replied to (0: the greeting)
   * @sample: reply audio: raw interleaved audio caps and a buffer
   *
   * Action: queues a chunk of the reply; it plays as soon as possible. Any
   * thread. Returns: FALSE when that reply takes no more audio (interrupted,
   * ended, failed) or the audio is broken (the reply then fails).
   */
  signals[SIGNAL_PUSH_REPLY] = g_signal_new_class_handler(
      "push-reply", G_TYPE_FROM_CLASS(klass),
      static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION), G_CALLBACK(action_push_reply),
      nullptr, nullptr, nullptr, G_TYPE_BOOLEAN, 2, G_TYPE_UINT64, GST_TYPE_SAMPLE);
  /**
   * GstVoiceKitReplyOnPause::end-reply:
   * @element: the element
   * @utterance: the utterance replied to
   *
   * Action: the reply is complete. Returns: FALSE when it was not open.
   */
  signals[SIGNAL_END_REPLY] = g_signal_new_class_handler(
      "end-reply", G_TYPE_FROM_CLASS(klass),
      static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION), G_CALLBACK(action_end_reply),
      nullptr, nullptr, nullptr, G_TYPE_BOOLEAN, 1, G_TYPE_UINT64);
  /**
   * GstVoiceKitReplyOnPause::fail-reply:
   * @element: the element
   * @utterance: the utterance replied to
   * @message: why
   *
   * Action: the handler failed; posts handler-error with @message.
   */
  signals[SIGNAL_FAIL_REPLY] = g_signal_new_class_handler(
      "fail-reply", G_TYPE_FROM_CLASS(klass),
      static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION), G_CALLBACK(action_fail_reply),
      nullptr, nullptr, nullptr, G_TYPE_BOOLEAN, 2, G_TYPE_UINT64, G_TYPE_STRING);

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_add_static_pad_template(element_class, &utterance_src_template);
  gst_element_class_add_static_pad_template(element_class, &reply_sink_template);
  gst_element_class_set_static_metadata(
      element_class, "Reply on pause", "Filter/Audio",
      "Hands each utterance to a handler when the user pauses and streams the reply back; "
      "the user speaking stops a reply at once",
      "gst-voicekit developers");
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_voicekit_reply_on_pause_change_state);
  element_class->request_new_pad = GST_DEBUG_FUNCPTR(gst_voicekit_reply_on_pause_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR(gst_voicekit_reply_on_pause_release_pad);
  gst_type_mark_as_plugin_api(GST_TYPE_VOICEKIT_REPLY_ON_PAUSE_HANDLER,
                              static_cast<GstPluginAPIFlags>(0));
}

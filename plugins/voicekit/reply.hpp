/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * What the parts of replyonpause share: the element's settings (copied once
 * per call), one reply in flight, and the `replyonpause` bus messages.
 */
#ifndef PLUGINS_VOICEKIT_REPLY_HPP
#define PLUGINS_VOICEKIT_REPLY_HPP

#include "gstreplyonpause.h"

#include <gio/gio.h>
#include <gst/gst.h>
#include <gst/voicekit/session.h>

#include <deque>
#include <memory>
#include <string>

GST_DEBUG_CATEGORY_EXTERN(gst_voicekit_reply_on_pause_debug);

namespace voicekit::replyonpause {

constexpr GstVoiceKitReplyOnPauseHandler DEFAULT_HANDLER = GST_VOICEKIT_REPLY_ON_PAUSE_HANDLER_ECHO;
constexpr guint64 DEFAULT_HANDLER_TIMEOUT = 30 * GST_SECOND;
constexpr guint64 DEFAULT_MAX_UTTERANCE_DURATION = 60 * GST_SECOND;
constexpr bool DEFAULT_CAN_INTERRUPT = true;
constexpr bool DEFAULT_SEND_GAPS = false;
constexpr bool DEFAULT_POST_MESSAGES = true;
/* A jump in the input's running time beyond this is a discontinuity, never
 * filled (a few seconds past any gap worth filling with silence). */
constexpr guint64 DEFAULT_MAX_GAP = 5 * GST_SECOND;
/* Reply audio queued beyond this makes its producer wait (backpressure). */
constexpr guint64 DEFAULT_MAX_REPLY_BUFFER = 5 * GST_SECOND;

/* The element's properties. The element keeps one copy behind its settings
 * lock; everyone else works on a snapshot taken once per call (a buffer, an
 * event, a handler run). */
struct Settings {
  GstVoiceKitReplyOnPauseHandler handler = DEFAULT_HANDLER;
  std::string command; /* empty: none */
  guint64 handler_timeout = DEFAULT_HANDLER_TIMEOUT;
  bool can_interrupt = DEFAULT_CAN_INTERRUPT;
  guint64 max_utterance = DEFAULT_MAX_UTTERANCE_DURATION;
  bool send_gaps = DEFAULT_SEND_GAPS;
  bool post_messages = DEFAULT_POST_MESSAGES;
  guint64 max_gap = DEFAULT_MAX_GAP;
  guint64 max_reply_buffer = DEFAULT_MAX_REPLY_BUFFER;
};

struct SampleUnref {
  void operator()(GstSample *sample) const { gst_sample_unref(sample); }
};
using SamplePtr = std::unique_ptr<GstSample, SampleUnref>;

class ReplyHandler;

/* A chunk of reply audio and how long it plays. */
struct ReplyChunk {
  SamplePtr sample;
  guint64 duration; /* ns */
};

/* One reply in flight (to an utterance, or a greeting). Shared through a
 * ReplyPtr by the streaming thread, the worker running its handler and
 * whoever pushes reply audio. The fields above the line are set before it is
 * shared and never change; the ones below are guarded by the ReplyRegistry's
 * lock. */
struct Reply {
  Reply() = default;
  Reply(const Reply &) = delete;
  Reply &operator=(const Reply &) = delete;
  ~Reply();

  guint64 utterance = 0; /* its number: the one push-reply names */
  bool greeting = false;
  ReplyHandler *handler = nullptr;                 /* who produces it; lives in the element */
  GstVoiceKitSessionContext *context = nullptr;    /* a reference, or nullptr */
  GCancellable *cancellable = g_cancellable_new(); /* wakes the worker to stop */
  gint64 decided_us = 0;                           /* monotonic: the pause reached the element */
  guint64 max_buffer = DEFAULT_MAX_REPLY_BUFFER;   /* ns of audio queued before producers wait */

  /* ---- guarded by the registry's lock ---- */
  /* monotonic: handler-timeout from the pause, moved later by the time its
   * producers waited for the queue to drain (backpressure) */
  gint64 deadline_us = 0;
  std::deque<ReplyChunk> chunks; /* reply audio not yet taken by the output */
  guint64 queued = 0;            /* ns of audio in `chunks` */
  guint waiting = 0;             /* producers waiting for room */
  gint64 waiting_since_us = 0;   /* when the first of them started waiting */
  bool ended = false;            /* the handler finished its reply */
  bool failed = false;           /* the handler failed: `error` says why */
  bool cancelled = false;        /* interrupted, flushed, stopped, failed */
  std::string error;
};
using ReplyPtr = std::shared_ptr<Reply>;

/* How long `sample` (raw audio) plays, in ns; 0 when its caps do not say. */
guint64 duration_of(GstSample *sample);

/* Appends `sample` to `reply`'s audio: under the registry's lock, or before
 * the reply is shared. */
void append_chunk(Reply &reply, GstSample *sample);

/* A new reply to `utterance` for `handler`, its deadline handler-timeout after
 * `decided_us`, its queue bounded by max-reply-buffer. Takes the reference
 * `context`. */
ReplyPtr make_reply(guint64 utterance, ReplyHandler *handler, GstVoiceKitSessionContext *context,
                    gint64 decided_us, const Settings &settings);

/* Posts a `replyonpause` element message (unless post-messages is off):
 * `event`, `utterance`, `webrtc-id` of `context` (when there is one),
 * `running-time` and its `stream-time` in `segment`, then the `extra` fields
 * (name, type, value, ..., nullptr). */
void post_message(GstElement *element, const Settings &settings, const GstSegment &segment,
                  const char *event, guint64 utterance, GstVoiceKitSessionContext *context,
                  GstClockTime running_time, const char *first_extra, ...);

} /* namespace voicekit::replyonpause */

#endif /* PLUGINS_VOICEKIT_REPLY_HPP */

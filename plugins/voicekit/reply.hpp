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
};

struct SampleUnref {
  void operator()(GstSample *sample) const { gst_sample_unref(sample); }
};
using SamplePtr = std::unique_ptr<GstSample, SampleUnref>;

class ReplyHandler;

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
  gint64 deadline_us = 0;                          /* monotonic: handler-timeout from the pause */
  gint64 decided_us = 0;                           /* monotonic: the pause reached the element */

  /* ---- guarded by the registry's lock ---- */
  std::deque<SamplePtr> chunks; /* reply audio not yet taken by the output */
  bool ended = false;           /* the handler finished its reply */
  bool failed = false;          /* the handler failed: `error` says why */
  bool cancelled = false;       /* interrupted, flushed, stopped, failed */
  std::string error;
};
using ReplyPtr = std::shared_ptr<Reply>;

/* A new reply to `utterance` for `handler`, its deadline handler-timeout after
 * `decided_us`. Takes the reference `context`. */
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

/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The one interface every handler kind of replyonpause implements (echo,
 * signals, command, pads, and the greeting), the table that registers the
 * kinds, and the worker threads that run them.
 */
#ifndef PLUGINS_VOICEKIT_REPLY_HANDLER_HPP
#define PLUGINS_VOICEKIT_REPLY_HANDLER_HPP

#include "reply-registry.hpp"
#include "reply.hpp"

#include <gst/gst.h>

#include <memory>
#include <vector>

namespace voicekit::replyonpause {

/* What a handler may use of the element. The element owns the handlers, so
 * none of these is a reference. */
struct ReplyHost {
  GstElement *element;
  GstPad *sinkpad;
  ReplyRegistry *registry;
  /* the element's signals */
  guint utterance_signal;
  guint greeting_signal;
  guint reply_stop_signal;
};

/* A handler kind: produces the reply to an utterance, from the worker thread
 * the element gives it, through host.registry (queue_audio, end, fail). One
 * instance per element and kind, alive as long as the element. */
class ReplyHandler {
public:
  explicit ReplyHandler(const ReplyHost &host) : host_(host) {}
  virtual ~ReplyHandler() = default;
  ReplyHandler(const ReplyHandler &) = delete;
  ReplyHandler &operator=(const ReplyHandler &) = delete;

  /* The streaming thread, at the pause, before `reply` is shared: a handler
   * that needs no thread answers here. True when run() must be called. */
  virtual bool prepare(Reply &reply, GstSample *utterance);

  /* A worker thread, with the reply's session current, for the reply to
   * `utterance` (nullptr for a greeting). Returns when the handler has
   * handed its reply over (it may end it later). Not called for a reply
   * stopped before its worker started, a greeting excepted. */
  virtual void run(const ReplyPtr &reply, GstSample *utterance, const Settings &settings) = 0;

  /* `reply` was stopped (interrupted, flushed, failed, the element stops):
   * whoever produces it should stop. Any thread, no lock held; once per
   * reply. The reply's cancellable is already cancelled. */
  virtual void stop(const ReplyPtr &reply);

  /* Request pads (a handler made of pipeline elements). nullptr: not this
   * handler's template. */
  virtual GstPad *request_pad(GstPadTemplate *templ);
  /* True when `pad` was this handler's (it is then released). */
  virtual bool release_pad(GstPad *pad);

  /* The element goes READY->PAUSED, or PAUSED->READY (after its pads are
   * deactivated). */
  virtual void streaming_starts() {}
  virtual void streaming_stopped() {}

protected:
  const ReplyHost host_;
};

/* Every handler of an element: one per kind of the `handler` property, and
 * the greeting's. */
class ReplyHandlers {
public:
  explicit ReplyHandlers(const ReplyHost &host);

  ReplyHandler &of_kind(GstVoiceKitReplyOnPauseHandler kind);
  ReplyHandler &greeting() { return *greeting_; }
  const std::vector<std::unique_ptr<ReplyHandler>> &all() const { return all_; }

  /* The values of GstVoiceKitReplyOnPauseHandler, from the table of kinds. */
  static const GEnumValue *enum_values();

private:
  std::vector<std::unique_ptr<ReplyHandler>> all_; /* by kind, then the greeting's */
  ReplyHandler *greeting_ = nullptr;
};

/* Runs reply->handler->run() on a worker thread (a pool shared by every
 * element, growing as needed), with the reply's session current; a reply
 * that cannot get a thread fails. `utterance` may be nullptr (a greeting). */
void start_worker(const ReplyHost &host, const ReplyPtr &reply, GstSample *utterance,
                  const Settings &settings);

/* The handler kinds, one file each (reply-handler-<kind>.cpp). */
std::unique_ptr<ReplyHandler> make_echo_handler(const ReplyHost &host);
std::unique_ptr<ReplyHandler> make_signals_handler(const ReplyHost &host);
std::unique_ptr<ReplyHandler> make_greeting_handler(const ReplyHost &host);
std::unique_ptr<ReplyHandler> make_command_handler(const ReplyHost &host);
std::unique_ptr<ReplyHandler> make_pads_handler(const ReplyHost &host);

} /* namespace voicekit::replyonpause */

#endif /* PLUGINS_VOICEKIT_REPLY_HANDLER_HPP */

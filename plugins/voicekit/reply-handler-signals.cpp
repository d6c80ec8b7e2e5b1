/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * handler=signals and the greeting: application code answers through the
 * element's signals (`utterance`, `greeting`) and action signals
 * (`push-reply`, `end-reply`, `fail-reply`); `reply-stop` tells it to stop.
 */
#include "reply-handler.hpp"

namespace voicekit::replyonpause {

namespace {

/* What both tell the application when a reply stops. */
class SignalsHandlerBase : public ReplyHandler {
public:
  using ReplyHandler::ReplyHandler;

  void stop(const ReplyPtr &reply) override {
    g_signal_emit(host_.element, host_.reply_stop_signal, 0, reply->utterance);
  }
};

class SignalsHandler final : public SignalsHandlerBase {
public:
  using SignalsHandlerBase::SignalsHandlerBase;

  void run(const ReplyPtr &reply, GstSample *utterance, const Settings &) override {
    if (!g_signal_has_handler_pending(host_.element, host_.utterance_signal, 0, FALSE)) {
      host_.registry->fail(reply->utterance,
                           "handler=signals but no application code is connected to `utterance`");
      return;
    }
    g_signal_emit(host_.element, host_.utterance_signal, 0, reply->utterance, utterance);
  }
};

/* A session starts: the application may greet it (whatever `handler` is). */
class GreetingHandler final : public SignalsHandlerBase {
public:
  using SignalsHandlerBase::SignalsHandlerBase;

  void run(const ReplyPtr &reply, GstSample *, const Settings &) override {
    gboolean will_reply = FALSE;
    g_signal_emit(host_.element, host_.greeting_signal, 0, reply->context, reply->utterance,
                  &will_reply);
    if (!will_reply)
      host_.registry->end(reply->utterance);
  }
};

} /* namespace */

std::unique_ptr<ReplyHandler> make_signals_handler(const ReplyHost &host) {
  return std::make_unique<SignalsHandler>(host);
}

std::unique_ptr<ReplyHandler> make_greeting_handler(const ReplyHost &host) {
  return std::make_unique<GreetingHandler>(host);
}

} /* namespace voicekit::replyonpause */

/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * handler=echo: the reply is the utterance itself, answered at the pause on
 * the streaming thread (no worker).
 */
#include "reply-handler.hpp"

namespace voicekit::replyonpause {

namespace {

class EchoHandler final : public ReplyHandler {
public:
  using ReplyHandler::ReplyHandler;

  bool prepare(Reply &reply, GstSample *utterance) override {
    append_chunk(reply, utterance); /* not shared yet: no lock */
    reply.ended = true;
    return false;
  }

  void run(const ReplyPtr &, GstSample *, const Settings &) override {}
};

} /* namespace */

std::unique_ptr<ReplyHandler> make_echo_handler(const ReplyHost &host) {
  return std::make_unique<EchoHandler>(host);
}

} /* namespace voicekit::replyonpause */

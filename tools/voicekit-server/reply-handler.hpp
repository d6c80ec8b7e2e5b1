/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Which handler a session's replyonpause runs: echo, a command, or the spoken
 * handler (spoken.hpp) wired to replyonpause's `utterance` and `reply-stop`
 * signals.
 */
#ifndef TOOLS_VOICEKIT_SERVER_REPLY_HANDLER_HPP
#define TOOLS_VOICEKIT_SERVER_REPLY_HANDLER_HPP

#include "call.hpp"

#include <gst/gst.h>

#include <functional>
#include <string>

namespace voicekit::server {

/* Gets the spoken handler's transcript of utterance `utterance`, on one of
 * replyonpause's worker threads (never the main thread). */
using TranscriptSink = std::function<void(guint64 utterance, const std::string &text)>;

/* Sets `reply` (a replyonpause) up for `config.handler`: "spoken" (with
 * `config.transcriber`, each transcript to `on_transcript`), "command" (with
 * `config.command`), anything else echo. Call before the pipeline plays; what
 * it connects lives as long as `reply`. */
void set_reply_handler(GstElement *reply, const CallConfig &config, TranscriptSink on_transcript);

} /* namespace voicekit::server */

#endif /* TOOLS_VOICEKIT_SERVER_REPLY_HANDLER_HPP */

/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The shape of one voicekit-server session's pipeline: its elements, their
 * settings from the CallConfig, and every link, the two into webrtcbin included.
 */
#ifndef TOOLS_VOICEKIT_SERVER_SESSION_PIPELINE_HPP
#define TOOLS_VOICEKIT_SERVER_SESSION_PIPELINE_HPP

#include "call.hpp"

#include <gst/gst.h>

#include <string>

namespace voicekit::server {

/* Makes the pipeline "session-<webrtc_id>", in NULL:
 *
 *   webrtcbin(webrtc) ~ rtpopusdepay ! opusdec ! audioconvert ! audioresample
 *     ! S16LE 16 kHz mono ! sessiontag(tag) ! pausedetect(detect) ! replyonpause(reply)
 *     ! audioconvert ! audioresample ! opusenc ! rtpopuspay ! appsink
 *   appsrc ! capsfilter ~ webrtcbin
 *
 * sessiontag carries `webrtc_id`; pausedetect and webrtcbin's jitter buffer
 * are set from `config` (replyonpause's handler is not: reply-handler.hpp).
 * The first audio pad webrtcbin adds is linked to the depayloader by itself;
 * the reply is linked into webrtcbin by link_reply_stream(). Elements the
 * caller reaches by name: "webrtc", "tag", "reply". nullptr with `error` set
 * when an element is missing. */
GstElement *make_session_pipeline(const CallConfig &config, const std::string &webrtc_id,
                                  std::string &error);

/* Sends the reply stream into webrtcbin with the payload type the client
 * offered for Opus. False when webrtcbin refuses the link. */
bool link_reply_stream(GstElement *pipeline, GstElement *webrtc, unsigned opus_payload);

/* Pipelines made by make_session_pipeline() and not yet finalized. */
int session_pipelines_alive();

} /* namespace voicekit::server */

#endif /* TOOLS_VOICEKIT_SERVER_SESSION_PIPELINE_HPP */

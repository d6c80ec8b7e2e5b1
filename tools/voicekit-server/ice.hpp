/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Where a session's ICE gathers: on one configured address only, over UDP,
 * without STUN or TURN (webrtcbin's libnice agent).
 */
#ifndef TOOLS_VOICEKIT_SERVER_ICE_HPP
#define TOOLS_VOICEKIT_SERVER_ICE_HPP

#include <gst/gst.h>

#include <string>

namespace voicekit::server {

/* Makes `webrtc`'s ICE agent gather on `address` alone (127.0.0.1 by default):
 * no interface enumeration, no TCP candidates. False with `error` set when
 * libnice does not take the address. Call before the pipeline plays. */
bool restrict_ice_to_address(GstElement *webrtc, const std::string &address, std::string &error);

} /* namespace voicekit::server */

#endif /* TOOLS_VOICEKIT_SERVER_ICE_HPP */

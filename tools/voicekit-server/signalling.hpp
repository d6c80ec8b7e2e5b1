/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The signalling protocol of voicekit-server (docs/server.md): parsing what a
 * client sends and writing what the server answers. GLib and json-glib only, no
 * GStreamer, so it is unit-tested and fuzzed on its own.
 */
#ifndef TOOLS_VOICEKIT_SERVER_SIGNALLING_HPP
#define TOOLS_VOICEKIT_SERVER_SIGNALLING_HPP

#include <glib.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace voicekit::server {

enum class MessageKind { Hello, Offer, Candidate, Report, Bye };

struct ClientMessage {
  MessageKind kind = MessageKind::Bye;
  std::string webrtc_id; /* hello: as sent, checked by check_webrtc_id() */
  std::string sdp;       /* offer */
  std::string candidate; /* candidate: empty marks the end of candidates */
  unsigned mline_index = 0;
  std::string report; /* report: the object as JSON, "type" removed */
};

struct SignallingError {
  std::string code;    /* docs/server.md: bad-json, bad-message, invalid-id, ... */
  std::string message; /* for people */
};

/* Largest text frame the server reads; longer frames are refused by the
 * WebSocket layer (libsoup's max-incoming-payload-size) before they reach the
 * parser. libsoup 3.2 (Debian 12) does not bound a message sent in many
 * fragments: the parser refuses it, but only after it was buffered. */
constexpr std::size_t kMaxMessageBytes = 64 * 1024;

/* Parses one text frame. On failure returns false and fills `error` with
 * bad-json (not JSON, or not an object) or bad-message (unknown type, missing
 * or mistyped field). Never throws. */
bool parse_client_message(std::string_view text, ClientMessage &out, SignallingError &error);

/* The server's rule for a client-made webrtc_id: the library's
 * (gst_voicekit_session_id_is_valid: non-empty, at most 256 bytes, UTF-8, no control
 * characters) and, because the id is also shown and logged, no white space at
 * either end. */
bool check_webrtc_id(std::string_view id, SignallingError &error);

/* Most m-lines an offer may have (of them, one audio): each unbundled one
 * costs webrtcbin a transport of its own. */
constexpr unsigned kMaxOfferMedia = 3;

/* The audio m-line of an SDP offer and its Opus payload type. */
struct OfferAudio {
  unsigned mline_index = 0;
  unsigned opus_payload = 0;
};
/* Checks that `sdp` is an SDP session with one audio m-line offering
 * opus/48000, at most kMaxOfferMedia m-lines in all, no NUL, and nothing
 * webrtcbin (GStreamer 1.22) asserts on or misreads (docs/server.md lists
 * what is refused: an SSRC of 0 or malformed a=ssrc lines, a carriage return
 * inside a line, an ICE candidate that is not an IP address (see
 * check_ice_candidate()), ...); fills `audio`, or `error` (bad-sdp) with the reason. */
bool find_opus_offer(std::string_view sdp, OfferAudio &audio, SignallingError &error);

/* An ICE candidate ("candidate:..." or "a=candidate:...", from an offer or
 * trickled) webrtcbin can take without harm: its connection address, when it
 * has one, is an IPv4 or IPv6 address. A host name (Chromium's mDNS
 * "<uuid>.local") makes GStreamer 1.22.0 resolve it in a task that outlives a
 * session closed meanwhile: the session's ICE agent, its thread and sockets
 * are never freed, and a late end of gathering then dereferences a freed
 * transport (SIGSEGV; tests/fuzz/fuzz-webrtc-sdp.cpp). False with `error`
 * (bad-sdp) otherwise. This server's ICE runs on 127.0.0.1 only, where no
 * .local name resolves anyway. */
bool check_ice_candidate(std::string_view candidate, SignallingError &error);

/* Builds one JSON object, field by field, and writes it compactly. */
class JsonWriter {
public:
  JsonWriter();
  ~JsonWriter();
  JsonWriter(const JsonWriter &) = delete;
  JsonWriter &operator=(const JsonWriter &) = delete;

  JsonWriter &str(const char *key, std::string_view value);
  JsonWriter &integer(const char *key, std::int64_t value);
  JsonWriter &number(const char *key, double value);
  JsonWriter &boolean(const char *key, bool value);
  JsonWriter &null(const char *key);
  /* Adds the members of a JSON object text (a client's report), skipping
   * `type` and any key already set here. Ignores text that is not an object. */
  JsonWriter &merge(std::string_view object_json);
  std::string text() const;

private:
  struct Impl;
  Impl *impl_;
};

std::string error_message(const SignallingError &error, bool fatal);

} /* namespace voicekit::server */

#endif /* TOOLS_VOICEKIT_SERVER_SIGNALLING_HPP */

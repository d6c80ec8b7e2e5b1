/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * libFuzzer target: the voice server's signalling parser and writer
 * (tools/voicekit-server/signalling.hpp), GLib and json-glib only.
 *
 * The whole input is one WebSocket text frame: parse_client_message() reads
 * it, and check_webrtc_id(), find_opus_offer() and JsonWriter::merge() read it
 * raw as well (they see client text too: an id, an SDP, a report). Each
 * message parsed is checked and written back:
 * - a refusal has a documented code and a message;
 * - a hello's id passes check_webrtc_id() only if the library accepts it and
 *   it has no NUL and no white space at either end;
 * - an offer's Opus payload type is 0..127 on an audio m-line that exists;
 * - a candidate's m-line index is 0..255, its text has no NUL;
 * - what the server writes (error_message(), a JsonWriter with a report
 *   merged in) is always JSON that parses back to the same values: strings
 *   (id, SDP, candidate), reports (as JSON values) and numbers survive the
 *   round trip unchanged (infinities and NaN become null).
 */
#include "fuzz-glib.hpp"
#include "fuzz-input.hpp"

#include "signalling.hpp"

#include <gst/voicekit/session.h>
#include <json-glib/json-glib.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>

using namespace voicekit::server;

namespace {

/* The writer's text parsed back: must be a JSON object. Returns its parser
 * (the caller unrefs), so the members can be read. */
JsonParser *parse_object(const std::string &text) {
  JsonParser *parser = json_parser_new();
  GError *error = nullptr;
  const bool ok =
      json_parser_load_from_data(parser, text.data(), static_cast<gssize>(text.size()), &error);
  if (!ok)
    std::fprintf(stderr, "not JSON (%s): %s\n", error != nullptr ? error->message : "?",
                 text.c_str());
  FUZZ_CHECK(ok);
  JsonNode *root = json_parser_get_root(parser);
  FUZZ_CHECK(root != nullptr && JSON_NODE_HOLDS_OBJECT(root));
  return parser;
}

bool known_code(const std::string &code) {
  return code == "bad-json" || code == "bad-message" || code == "invalid-id" || code == "bad-sdp";
}

void check_error(const SignallingError &error) {
  FUZZ_CHECK(known_code(error.code));
  FUZZ_CHECK(!error.message.empty());
  /* What the client is sent: JSON, with the code as given. */
  const std::string text = error_message(error, true);
  JsonParser *parser = parse_object(text);
  JsonObject *object = json_node_get_object(json_parser_get_root(parser));
  FUZZ_CHECK(g_strcmp0(json_object_get_string_member_with_default(object, "type", ""), "error") ==
             0);
  FUZZ_CHECK(error.code == json_object_get_string_member_with_default(object, "code", ""));
  g_object_unref(parser);
}

/* A string the writer can carry unchanged: UTF-8 without NUL (json-glib
 * strings are C strings; the writer makes text valid UTF-8). */
bool writable(const std::string &text) {
  return text.find('\0') == std::string::npos &&
         g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr);
}

/* A message as the server's own writer would encode it, parsed back. */
ClientMessage reparse(const std::string &text, MessageKind kind) {
  ClientMessage again;
  SignallingError error;
  const bool ok = parse_client_message(text, again, error);
  if (!ok)
    std::fprintf(stderr, "written message refused (%s): %s\n", error.message.c_str(), text.c_str());
  FUZZ_CHECK(ok);
  FUZZ_CHECK(again.kind == kind);
  return again;
}

void check_id(std::string_view id) {
  SignallingError error;
  if (!check_webrtc_id(id, error)) {
    FUZZ_CHECK(error.code == "invalid-id");
    check_error(error);
    return;
  }
  const std::string copy(id);
  FUZZ_CHECK(copy.find('\0') == std::string::npos);
  FUZZ_CHECK(gst_voicekit_session_id_is_valid(copy.c_str(), nullptr));
  FUZZ_CHECK(!std::isspace(static_cast<unsigned char>(copy.front())) &&
             !std::isspace(static_cast<unsigned char>(copy.back())));
}

void check_offer(std::string_view sdp) {
  OfferAudio audio;
  SignallingError error;
  if (!find_opus_offer(sdp, audio, error)) {
    FUZZ_CHECK(error.code == "bad-sdp");
    check_error(error);
    return;
  }
  FUZZ_CHECK(audio.opus_payload <= 127);
  FUZZ_CHECK(sdp.find('\0') == std::string_view::npos);
  /* The first line is "v=0" (empty lines are skipped: a lenient reading), and
   * the m-line index names an m-line of the offer. */
  unsigned mlines = 0;
  bool first = true;
  for (std::size_t at = 0; at < sdp.size();) {
    const std::size_t end = std::min(sdp.find('\n', at), sdp.size());
    std::string_view line = sdp.substr(at, end - at);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    at = end + 1;
    if (line.empty())
      continue;
    if (first)
      FUZZ_CHECK(line == "v=0");
    first = false;
    if (line.substr(0, 2) == "m=")
      mlines++;
  }
  FUZZ_CHECK(audio.mline_index < mlines);
}

void check_merge(std::string_view report) {
  /* Whatever the text, the writer's output is a JSON object whose own
   * fields win over the merged ones. */
  const std::string text = JsonWriter().str("type", "report").integer("n", 1).merge(report).text();
  JsonParser *parser = parse_object(text);
  JsonObject *object = json_node_get_object(json_parser_get_root(parser));
  FUZZ_CHECK(g_strcmp0(json_object_get_string_member_with_default(object, "type", ""), "report") ==
             0);
  FUZZ_CHECK(json_object_get_int_member_with_default(object, "n", 0) == 1);
  g_object_unref(parser);
}

} /* namespace */

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  voicekit::fuzz::trap_on_critical();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);

  ClientMessage message;
  SignallingError error;
  const bool ok = parse_client_message(text, message, error);
  {
    /* Same text, same answer. */
    ClientMessage again;
    SignallingError again_error;
    FUZZ_CHECK(parse_client_message(text, again, again_error) == ok);
    FUZZ_CHECK(!ok || (again.kind == message.kind && again.webrtc_id == message.webrtc_id &&
                       again.sdp == message.sdp && again.candidate == message.candidate &&
                       again.report == message.report));
    FUZZ_CHECK(ok || again_error.code == error.code);
  }
  if (!ok) {
    FUZZ_CHECK(error.code == "bad-json" || error.code == "bad-message");
    check_error(error);
  } else {
    switch (message.kind) {
    case MessageKind::Hello:
      check_id(message.webrtc_id);
      if (writable(message.webrtc_id))
        FUZZ_CHECK(
            reparse(JsonWriter().str("type", "hello").str("webrtc_id", message.webrtc_id).text(),
                    MessageKind::Hello)
                .webrtc_id == message.webrtc_id);
      break;
    case MessageKind::Offer:
      check_offer(message.sdp);
      if (writable(message.sdp))
        FUZZ_CHECK(reparse(JsonWriter().str("type", "offer").str("sdp", message.sdp).text(),
                           MessageKind::Offer)
                       .sdp == message.sdp);
      break;
    case MessageKind::Candidate: {
      FUZZ_CHECK(message.mline_index <= 255);
      FUZZ_CHECK(message.candidate.find('\0') == std::string::npos);
      if (writable(message.candidate)) {
        const ClientMessage again = reparse(JsonWriter()
                                                .str("type", "candidate")
                                                .str("candidate", message.candidate)
                                                .integer("sdpMLineIndex", message.mline_index)
                                                .text(),
                                            MessageKind::Candidate);
        FUZZ_CHECK(again.candidate == message.candidate &&
                   again.mline_index == message.mline_index);
      }
      break;
    }
    case MessageKind::Report: {
      /* The report is an object's text; written back (merged after "type")
       * and parsed again, it is the same text. */
      check_merge(message.report);
      const std::string written = JsonWriter().str("type", "report").merge(message.report).text();
      const ClientMessage again = reparse(written, MessageKind::Report);
      /* The same JSON value; member order may differ (json-glib's iterator
       * walks a hash table). */
      JsonParser *before = parse_object(message.report);
      JsonParser *after = parse_object(again.report);
      const bool same = json_node_equal(json_parser_get_root(before), json_parser_get_root(after));
      if (!same)
        std::fprintf(stderr, "report changed:\n  %s\n  %s\n", message.report.c_str(),
                     again.report.c_str());
      FUZZ_CHECK(same);
      g_object_unref(after);
      g_object_unref(before);
      break;
    }
    case MessageKind::Bye:
      break;
    }
  }

  /* The raw text as an id, an SDP and a report. */
  check_id(text);
  check_offer(text);
  check_merge(text);

  /* The first 8 bytes as a double (any, NaN and infinities included), as the
   * server writes the numbers of bus messages: the text stays JSON. */
  if (size >= sizeof(double)) {
    double value;
    std::memcpy(&value, data, sizeof value);
    JsonParser *parser = parse_object(JsonWriter().number("x", value).text());
    JsonNode *x = json_object_get_member(json_node_get_object(json_parser_get_root(parser)), "x");
    FUZZ_CHECK(x != nullptr);
    if (std::isfinite(value))
      FUZZ_CHECK(json_node_get_double(x) == value);
    g_object_unref(parser);
  }
  return 0;
}

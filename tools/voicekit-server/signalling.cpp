/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Parses what voicekit-server's clients send and writes what it answers
 * (signalling.hpp).
 */
#include "signalling.hpp"

#include <gst/voicekit/session.h>
#include <json-glib/json-glib.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <vector>

namespace voicekit::server {

namespace {

bool fail(SignallingError &error, const char *code, std::string message) {
  error.code = code;
  error.message = std::move(message);
  return false;
}

/* json-glib hands strings back as C strings, so an escaped NUL (\u0000)
 * would silently cut a string short ("hello\u0000junk" read as "hello"). The
 * text is parsed with every such escape turned into a noncharacter that stands
 * for it, and the NULs are put back into the std::strings, where the checks
 * see them. */
constexpr std::string_view kNulEscape = "\\u0000";
constexpr std::string_view kNulStandIn = "\\uFDD0"; /* U+FDD0, a noncharacter */
constexpr std::string_view kNulStandInUtf8 = "\xEF\xB7\x90";

/* The text with escaped NULs replaced; `had_nul` tells whether there were any. */
std::string mark_nuls(std::string_view text, bool &had_nul) {
  std::string out(text);
  had_nul = false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] != '\\')
      continue;
    if (out.compare(i, kNulEscape.size(), kNulEscape) == 0) {
      out.replace(i, kNulEscape.size(), kNulStandIn);
      had_nul = true;
    }
    ++i; /* skip the escaped character (a second backslash included) */
  }
  return out;
}

void restore_nuls(std::string &value) {
  for (std::size_t at = value.find(kNulStandInUtf8); at != std::string::npos;
       at = value.find(kNulStandInUtf8, at + 1))
    value.replace(at, kNulStandInUtf8.size(), 1, '\0');
}

/* json_to_string(), made to always give JSON. json-glib 1.6 (Debian 12)
 * writes a double as "%.17g" and appends ".0" when that has no '.': 1e20
 * comes out as "1e+20.0" and an overflowing 1e400 as "inf.0"; and it reads a
 * lone surrogate escape ("\ud83d") into bytes that are not UTF-8 and writes
 * them back raw. Neither is JSON, so a client report holding one was dropped
 * whole by merge() or logged as invalid JSON (found by
 * tests/fuzz/fuzz-signalling.cpp). The text is repaired: outside strings the
 * ".0" after an exponent goes and an infinity or NaN becomes null; invalid
 * UTF-8 (only ever inside strings) becomes U+FFFD. */
std::string to_json_text(JsonNode *node) {
  gchar *generated = json_to_string(node, FALSE);
  const std::string_view in(generated);
  std::string out;
  out.reserve(in.size());
  bool in_string = false;
  for (std::size_t i = 0; i < in.size();) {
    const char c = in[i];
    if (in_string || c == '"') {
      out += c;
      ++i;
      if (in_string && c == '\\' && i < in.size())
        out += in[i++];
      else if (c == '"')
        in_string = !in_string;
      continue;
    }
    if (c != '-' && c != 'i' && c != 'n' && !std::isdigit(static_cast<unsigned char>(c))) {
      out += c;
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < in.size() && (std::isalnum(static_cast<unsigned char>(in[end])) ||
                               in[end] == '.' || in[end] == '+' || in[end] == '-'))
      ++end;
    std::string_view token = in.substr(i, end - i);
    if (token != "null" && (token.find("inf") != std::string_view::npos ||
                            token.find("nan") != std::string_view::npos))
      token = "null";
    else if (token.size() > 2 && token.find_first_of("eE") != std::string_view::npos &&
             token.substr(token.size() - 2) == ".0")
      token.remove_suffix(2);
    out += token;
    i = end;
  }
  g_free(generated);
  if (!g_utf8_validate(out.data(), static_cast<gssize>(out.size()), nullptr)) {
    gchar *valid = g_utf8_make_valid(out.data(), static_cast<gssize>(out.size()));
    out = valid;
    g_free(valid);
  }
  return out;
}

/* A string member, or false with bad-message naming it. */
bool string_member(JsonObject *object, const char *type, const char *key, std::string &out,
                   SignallingError &error, bool had_nul) {
  JsonNode *node = json_object_get_member(object, key);
  if (node == nullptr || JSON_NODE_TYPE(node) != JSON_NODE_VALUE ||
      json_node_get_value_type(node) != G_TYPE_STRING)
    return fail(error, "bad-message",
                std::string("a \"") + type + "\" message needs the string field \"" + key + "\"");
  out = json_node_get_string(node);
  if (had_nul)
    restore_nuls(out);
  return true;
}

} /* namespace */

bool parse_client_message(std::string_view text, ClientMessage &out, SignallingError &error) {
  if (text.size() > kMaxMessageBytes)
    return fail(error, "bad-message",
                "message longer than " + std::to_string(kMaxMessageBytes) + " bytes");
  if (text.find('\0') != std::string_view::npos)
    return fail(error, "bad-json", "not JSON: a NUL byte in the text");
  bool had_nul = false;
  const std::string marked = mark_nuls(text, had_nul);
  JsonParser *parser = json_parser_new_immutable();
  GError *parse_error = nullptr;
  if (!json_parser_load_from_data(parser, marked.data(), static_cast<gssize>(marked.size()),
                                  &parse_error)) {
    std::string reason = parse_error != nullptr ? parse_error->message : "unknown error";
    g_clear_error(&parse_error);
    g_object_unref(parser);
    return fail(error, "bad-json", "not JSON: " + reason);
  }
  JsonNode *root = json_parser_get_root(parser);
  if (root == nullptr || !JSON_NODE_HOLDS_OBJECT(root)) {
    g_object_unref(parser);
    return fail(error, "bad-json", "a message must be a JSON object");
  }
  JsonObject *object = json_node_get_object(root);
  std::string type;
  bool ok = string_member(object, "any", "type", type, error, had_nul);
  out = ClientMessage{};
  if (!ok) {
    error.message = "a message needs the string field \"type\"";
  } else if (type == "hello") {
    out.kind = MessageKind::Hello;
    ok = string_member(object, "hello", "webrtc_id", out.webrtc_id, error, had_nul);
  } else if (type == "offer") {
    out.kind = MessageKind::Offer;
    ok = string_member(object, "offer", "sdp", out.sdp, error, had_nul);
  } else if (type == "candidate") {
    out.kind = MessageKind::Candidate;
    JsonNode *candidate = json_object_get_member(object, "candidate");
    if (candidate != nullptr && JSON_NODE_HOLDS_NULL(candidate)) {
      out.candidate.clear(); /* null, like "", ends the candidates */
    } else {
      ok = string_member(object, "candidate", "candidate", out.candidate, error, had_nul);
      if (ok && out.candidate.find('\0') != std::string::npos)
        ok = fail(error, "bad-message", "the candidate contains a NUL character");
    }
    JsonNode *index = json_object_get_member(object, "sdpMLineIndex");
    if (ok && index != nullptr && !JSON_NODE_HOLDS_NULL(index)) {
      if (JSON_NODE_TYPE(index) != JSON_NODE_VALUE ||
          json_node_get_value_type(index) != G_TYPE_INT64 || json_node_get_int(index) < 0 ||
          json_node_get_int(index) > 255)
        ok = fail(error, "bad-message", "\"sdpMLineIndex\" must be an integer from 0 to 255");
      else
        out.mline_index = static_cast<unsigned>(json_node_get_int(index));
    }
  } else if (type == "report") {
    out.kind = MessageKind::Report;
    JsonObject *copy = json_object_new();
    JsonObjectIter iter;
    const gchar *key = nullptr;
    JsonNode *member = nullptr;
    json_object_iter_init(&iter, object);
    while (json_object_iter_next(&iter, &key, &member))
      if (g_strcmp0(key, "type") != 0)
        json_object_set_member(copy, key, json_node_copy(member));
    JsonNode *node = json_node_init_object(json_node_alloc(), copy);
    out.report = to_json_text(node);
    json_node_unref(node);
    json_object_unref(copy);
  } else if (type == "bye") {
    out.kind = MessageKind::Bye;
  } else {
    std::string shown = type;
    for (char &c : shown)
      if (c == '\0')
        c = '?';
    ok = fail(error, "bad-message",
              "unknown message type \"" + shown + "\"" +
                  (type.find('\0') != std::string::npos ? " (it contains a NUL character)" : ""));
  }
  g_object_unref(parser);
  return ok;
}

bool check_webrtc_id(std::string_view id, SignallingError &error) {
  if (id.find('\0') != std::string_view::npos)
    return fail(error, "invalid-id", "webrtc_id contains a NUL character");
  const std::string copy(id);
  GError *reason = nullptr;
  if (!gst_voicekit_session_id_is_valid(copy.c_str(), &reason)) {
    std::string message = reason->message;
    g_error_free(reason);
    return fail(error, "invalid-id", message);
  }
  const gunichar first = g_utf8_get_char(copy.c_str());
  const gunichar last =
      g_utf8_get_char(g_utf8_find_prev_char(copy.c_str(), copy.c_str() + copy.size()));
  if (g_unichar_isspace(first) || g_unichar_isspace(last) ||
      g_unichar_type(first) == G_UNICODE_SPACE_SEPARATOR ||
      g_unichar_type(last) == G_UNICODE_SPACE_SEPARATOR)
    return fail(error, "invalid-id", "webrtc_id starts or ends with white space");
  return true;
}

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

/* An attribute line ("a=<key>:<value>" or "a=<key>") read the way GStreamer's
 * SDP parser reads it (gst_sdp_message_parse_buffer(), which webrtcbin's
 * offer comes from): white space after "a=" is skipped, the key runs to the
 * first ':', the value is the rest. */
struct Attribute {
  std::string_view key;
  std::string_view value;
};
bool read_attribute(std::string_view line, Attribute &attribute) {
  if (!starts_with(line, "a="))
    return false;
  std::string_view rest = line.substr(2);
  while (!rest.empty() && g_ascii_isspace(rest.front()))
    rest.remove_prefix(1);
  const std::size_t colon = rest.find(':');
  attribute.key = rest.substr(0, colon);
  attribute.value = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
  return true;
}

/* A decimal number of 1 to `max_digits` digits. */
template <typename Number>
bool decimal(std::string_view text, std::size_t max_digits, Number &value) {
  if (text.empty() || text.size() > max_digits)
    return false;
  value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return true;
}

/* A decimal number of 1 to 10 digits, up to 2^32 - 1 (an SSRC). */
bool decimal_u32(std::string_view text, std::uint64_t &value) {
  return decimal(text, 10, value) && value <= G_MAXUINT32;
}

/* Words separated by ASCII white space, as GStreamer reads an m= line. */
std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while (at < text.size()) {
    while (at < text.size() && g_ascii_isspace(text[at]))
      at++;
    std::size_t end = at;
    while (end < text.size() && !g_ascii_isspace(text[end]))
      end++;
    if (end > at)
      out.push_back(text.substr(at, end - at));
    at = end;
  }
  return out;
}

/* "a=ssrc:<ssrc> <attribute>[:<value>]" (RFC 5576). webrtcbin reads the SSRC
 * with sscanf("%u") and asserts when it is 0
 * (transport_stream_add_ssrc_map_item: assertion 'ssrc != 0' failed); "-1",
 * "4294967296" or " 7" would wrap to another SSRC, or 0, or be read from
 * uninitialised memory. */
bool check_ssrc(std::string_view line, std::string_view value, SignallingError &error) {
  const std::size_t space = value.find(' ');
  std::uint64_t ssrc = 0;
  if (space == std::string_view::npos || space + 1 >= value.size() ||
      !decimal_u32(value.substr(0, space), ssrc))
    return fail(error, "bad-sdp",
                "the offer has an a=ssrc line that is not \"a=ssrc:<1 to 4294967295> "
                "<attribute>\": \"" +
                    std::string(line.substr(0, 60)) + "\"");
  if (ssrc == 0)
    return fail(error, "bad-sdp", "the offer has an a=ssrc line with the SSRC 0");
  return true;
}

/* One m-line and its attributes, as webrtcbin's answer needs them. */
struct MediaSection {
  std::vector<std::string_view> m; /* media, port, proto, formats... */
  unsigned directions = 0;         /* a=sendrecv, sendonly, recvonly, inactive */
  bool fingerprint = false;        /* an a=fingerprint of its own */
  std::vector<std::string_view> mids;
  std::string_view sctp_port; /* a=sctp-port value */
  std::vector<std::string_view> sctpmaps;
  std::vector<std::string_view> rtpmaps; /* a=rtpmap values, in order */
};

/* The number sscanf("%d") reads at the start of `text` (white space, a sign,
 * digits), as GStreamer picks the a=rtpmap of a payload type; nullopt-like
 * false when it reads none. `uncertain` when it has more digits than an int
 * surely holds. */
bool scanned_int(std::string_view text, long &value, bool &uncertain) {
  std::size_t at = 0;
  while (at < text.size() && g_ascii_isspace(text[at]))
    at++;
  bool negative = false;
  if (at < text.size() && (text[at] == '+' || text[at] == '-'))
    negative = text[at++] == '-';
  const std::size_t digits = at;
  value = 0;
  uncertain = false;
  while (at < text.size() && g_ascii_isdigit(text[at])) {
    if (at - digits >= 9)
      uncertain = true;
    else
      value = value * 10 + (text[at] - '0');
    at++;
  }
  if (negative)
    value = -value;
  return at > digits;
}

/* GStreamer's static payload types that have a clock rate
 * (gst_rtp_payload_info_for_pt()): usable without an a=rtpmap. */
bool static_payload_type(unsigned pt) {
  return pt == 0 || (pt >= 3 && pt <= 18) || pt == 25 || pt == 26 || pt == 28 ||
         (pt >= 31 && pt <= 34);
}

/* Whether webrtcbin surely makes caps of the format (its
 * gst_sdp_media_get_caps_from_media()): a payload type 0-127 whose a=rtpmap
 * (the first one whose number is that type, as GStreamer picks it) reads
 * "<pt> <name>/<clock rate>[/...]", or a static type without an a=rtpmap.
 * When unsure, false: the offer is refused rather than risked. */
bool usable_format(const MediaSection &section, std::string_view format) {
  unsigned pt = 0;
  if (format.empty() || format.size() > 3)
    return false;
  for (char c : format) {
    if (!g_ascii_isdigit(c))
      return false;
    pt = pt * 10 + static_cast<unsigned>(c - '0');
  }
  if (pt > 127)
    return false;
  for (std::string_view map : section.rtpmaps) {
    long number = 0;
    bool uncertain = false;
    if (!scanned_int(map, number, uncertain))
      continue;
    if (uncertain)
      return false;
    if (number != static_cast<long>(pt))
      continue;
    /* The one GStreamer reads: it must say plainly "<pt> <name>/<rate>[/...]". */
    const std::size_t space = map.find(' ');
    if (space == std::string_view::npos || map.substr(0, space) != format)
      return false;
    const std::string_view encoding = map.substr(space + 1);
    const std::size_t slash = encoding.find('/');
    if (slash == 0 || slash == std::string_view::npos ||
        encoding.substr(0, slash).find(' ') != std::string_view::npos)
      return false;
    const std::size_t rate_end = encoding.find('/', slash + 1);
    const std::string_view rate =
        encoding.substr(slash + 1, rate_end == std::string_view::npos ? std::string_view::npos
                                                                      : rate_end - slash - 1);
    std::uint64_t clock_rate = 0;
    return decimal_u32(rate, clock_rate) && clock_rate > 0 && clock_rate <= G_MAXINT;
  }
  return static_payload_type(pt);
}

/* An SCTP port as webrtcbin takes it (it returns -1, "no port", for what
 * does not fit). */
bool sctp_port_number(std::string_view text, std::uint64_t &port) {
  return decimal_u32(text, port) && port <= 65535;
}

/* Why webrtcbin would reject the m-line in its answer, or "". */
std::string rejection(const MediaSection &section) {
  const std::string_view media = section.m.empty() ? std::string_view() : section.m[0];
  if (media == "audio" || media == "video") {
    if (section.directions != 1)
      return "has " + std::to_string(section.directions) +
             " direction attributes (a=sendrecv, sendonly, recvonly or inactive), not one";
    for (std::size_t format = 3; format < section.m.size(); format++)
      if (usable_format(section, section.m[format]))
        return "";
    return "has no format webrtcbin can read (a payload type 0-127 with an a=rtpmap "
           "\"<pt> <name>/<rate>\", or a static one)";
  }
  if (media != "application")
    return "is \"" + std::string(media.substr(0, 20)) +
           "\", not audio, video or application (data channels)";
  if (section.m.size() != 4)
    return "(application) has more or less than one format";
  const std::string_view format = section.m[3];
  std::uint64_t port = 0;
  if (format == "webrtc-datachannel")
    return sctp_port_number(section.sctp_port, port) ? "" : "(application) has no a=sctp-port";
  if (!sctp_port_number(format, port))
    return "(application) has neither webrtc-datachannel nor an SCTP port";
  for (std::string_view map : section.sctpmaps) {
    std::uint64_t mapped = 0;
    if (decimal_u32(map.substr(0, map.find(' ')), mapped) && mapped == port)
      return "";
  }
  return "(application) has no a=sctpmap for its port";
}

/* webrtcbin answers an m-line it rejects with a copy of the offer's (port 0)
 * and then refuses that answer as its own local description when the copy
 * carries the client's a=fingerprint ("Fingerprint in media 1 differs from
 * previous fingerprint"): the session would end without an answer. It
 * rejects audio and video without exactly one direction attribute (none,
 * which RFC 3264 reads as sendrecv, included) or without a format it can
 * read, media other than audio, video and application, and data channels it
 * cannot read. */
bool check_section(const MediaSection &section, unsigned index, SignallingError &error) {
  if (!section.fingerprint)
    return true; /* rejected or not, webrtcbin's answer stands */
  const std::string why = rejection(section);
  if (why.empty())
    return true;
  return fail(error, "bad-sdp",
              "the offer's m-line " + std::to_string(index) + " " + why +
                  ": webrtcbin cannot answer it");
}

/* The rules that keep webrtcbin (GStreamer 1.22) from asserting on, or
 * misreading, an offer that otherwise looks sound (docs/server.md, bad-sdp).
 * Each was found by tests/fuzz/fuzz-webrtc-sdp.cpp or the hostile-client test;
 * each has a unit test in tests/webrtc/test-signalling.cpp. */
bool check_for_webrtcbin(const std::vector<std::string_view> &lines, SignallingError &error) {
  std::vector<MediaSection> sections;
  for (std::string_view line : lines) {
    /* GStreamer ends a line at a CR as well as at an LF and drops the rest
     * up to the LF: webrtcbin would read other lines than the checks did
     * ("a=mid:0\rx" is a second "a=mid:0" to it). */
    if (line.find('\r') != std::string_view::npos)
      return fail(error, "bad-sdp", "the offer has a carriage return inside a line");
    /* GStreamer copies SDP text into caps fields (encoding names, fmtp
     * parameters), which must be UTF-8 ("Trying to set string on structure
     * field 'encoding-name', but string is not valid UTF-8"). A JSON string
     * can carry other bytes: json-glib reads a lone surrogate escape
     * ("\udc80") into them. */
    if (!g_utf8_validate(line.data(), static_cast<gssize>(line.size()), nullptr))
      return fail(error, "bad-sdp", "the offer is not valid UTF-8");
    if (starts_with(line, "m=")) {
      sections.push_back(MediaSection{words(line.substr(2))});
      continue;
    }
    Attribute attribute;
    if (!read_attribute(line, attribute))
      continue;
    /* webrtcbin hands each a=candidate to libnice, which resolves a .local
     * name (check_ice_candidate()). */
    if (attribute.key == "candidate" &&
        !check_ice_candidate(std::string("candidate:") + std::string(attribute.value), error))
      return false;
    if (attribute.key == "ssrc" && !check_ssrc(line, attribute.value, error))
      return false;
    if (sections.empty())
      continue;
    MediaSection &section = sections.back();
    if (attribute.key == "sendrecv" || attribute.key == "sendonly" || attribute.key == "recvonly" ||
        attribute.key == "inactive")
      section.directions++;
    else if (attribute.key == "fingerprint")
      section.fingerprint = true;
    else if (attribute.key == "mid")
      section.mids.push_back(attribute.value);
    else if (attribute.key == "sctp-port" && section.sctp_port.empty())
      section.sctp_port = attribute.value;
    else if (attribute.key == "sctpmap")
      section.sctpmaps.push_back(attribute.value);
    else if (attribute.key == "rtpmap")
      section.rtpmaps.push_back(attribute.value);
  }
  /* A mid names one m-line (RFC 8843): webrtcbin reads the first a=mid of
   * each and, given two m-lines of one mid, ties both to one transceiver,
   * then refuses its own answer ("transceiver direction changes are not
   * implemented"). */
  std::vector<std::string_view> mids;
  for (std::size_t index = 0; index < sections.size(); index++) {
    const MediaSection &section = sections[index];
    if (section.mids.size() > 1)
      return fail(error, "bad-sdp",
                  "the offer's m-line " + std::to_string(index) + " has more than one a=mid");
    if (!section.mids.empty()) {
      if (std::find(mids.begin(), mids.end(), section.mids[0]) != mids.end())
        return fail(error, "bad-sdp",
                    "two of the offer's m-lines have the mid \"" +
                        std::string(section.mids[0].substr(0, 40)) + "\"");
      mids.push_back(section.mids[0]);
    }
    if (!check_section(section, static_cast<unsigned>(index), error))
      return false;
  }
  return true;
}

/* A decimal number of at most three digits (a payload type is 0-127). */
bool small_number(std::string_view text, unsigned &value) {
  return decimal(text, 3, value);
}

} /* namespace */

bool check_ice_candidate(std::string_view candidate, SignallingError &error) {
  if (starts_with(candidate, "a="))
    candidate.remove_prefix(2);
  /* As GStreamer reads it (gst_webrtc_nice_add_candidate()): fields split at
   * single spaces, the fifth is the connection address. */
  std::size_t at = 0;
  for (int field = 0; field < 4 && at != std::string_view::npos; field++) {
    at = candidate.find(' ', at);
    if (at != std::string_view::npos)
      at++;
  }
  if (at == std::string_view::npos)
    return true; /* too few fields: libnice drops it */
  const std::string address(candidate.substr(at, candidate.find(' ', at) - at));
  if (!g_hostname_is_ip_address(address.c_str()))
    return fail(error, "bad-sdp",
                "an ICE candidate names the host \"" + address.substr(0, 60) +
                    "\" (an mDNS .local name?); candidates must be IP addresses");
  return true;
}

bool find_opus_offer(std::string_view sdp, OfferAudio &audio, SignallingError &error) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < sdp.size()) {
    std::size_t end = sdp.find('\n', start);
    if (end == std::string_view::npos)
      end = sdp.size();
    std::string_view line = sdp.substr(start, end - start);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (!line.empty())
      lines.push_back(line);
    start = end + 1;
  }
  if (sdp.find('\0') != std::string_view::npos)
    return fail(error, "bad-sdp", "the offer contains a NUL character");
  if (lines.empty() || lines.front() != "v=0")
    return fail(error, "bad-sdp", "the offer is not an SDP session description (no \"v=0\")");
  for (std::string_view line : lines)
    if (line.size() < 2 || line[1] != '=' || !std::islower(static_cast<unsigned char>(line[0])))
      return fail(error, "bad-sdp",
                  "the offer has a line that is not \"<letter>=<value>\": \"" +
                      std::string(line.substr(0, 40)) + "\"");
  if (!check_for_webrtcbin(lines, error))
    return false;
  /* webrtcbin makes a transport (sockets, threads) per m-line that is not
   * bundled: one offer must not cost more than a voice session needs. */
  unsigned medias = 0;
  unsigned audios = 0;
  for (std::string_view line : lines)
    if (starts_with(line, "m=")) {
      ++medias;
      audios += starts_with(line, "m=audio ");
    }
  if (medias > kMaxOfferMedia)
    return fail(error, "bad-sdp",
                "the offer has " + std::to_string(medias) + " m-lines; at most " +
                    std::to_string(kMaxOfferMedia) + " are accepted (one audio)");
  if (audios > 1)
    return fail(error, "bad-sdp",
                "the offer has " + std::to_string(audios) + " audio m-lines; one is accepted");
  int mline = -1;
  bool in_audio = false;
  bool saw_audio = false;
  for (std::string_view line : lines) {
    if (starts_with(line, "m=")) {
      ++mline;
      in_audio = starts_with(line, "m=audio ");
      saw_audio = saw_audio || in_audio;
      continue;
    }
    if (!in_audio || !starts_with(line, "a=rtpmap:"))
      continue;
    std::string_view rest = line.substr(9);
    const std::size_t space = rest.find(' ');
    unsigned payload = 0;
    if (space == std::string_view::npos || !small_number(rest.substr(0, space), payload) ||
        payload > 127)
      continue;
    std::string_view encoding = rest.substr(space + 1);
    if (encoding.size() >= 10 && iequals(encoding.substr(0, 10), "opus/48000")) {
      audio.mline_index = static_cast<unsigned>(mline);
      audio.opus_payload = payload;
      return true;
    }
  }
  return fail(error, "bad-sdp",
              saw_audio ? "the offer's audio has no opus/48000 codec"
                        : "the offer has no audio m-line");
}

struct JsonWriter::Impl {
  ::JsonObject *object = json_object_new();
};

JsonWriter::JsonWriter() : impl_(new Impl) {}
JsonWriter::~JsonWriter() {
  json_object_unref(impl_->object);
  delete impl_;
}

JsonWriter &JsonWriter::str(const char *key, std::string_view value) {
  const std::string copy(value);
  /* json-glib writes strings as given; keep the output valid UTF-8. */
  gchar *valid = g_utf8_make_valid(copy.c_str(), static_cast<gssize>(copy.size()));
  json_object_set_string_member(impl_->object, key, valid);
  g_free(valid);
  return *this;
}
JsonWriter &JsonWriter::integer(const char *key, std::int64_t value) {
  json_object_set_int_member(impl_->object, key, value);
  return *this;
}
JsonWriter &JsonWriter::number(const char *key, double value) {
  json_object_set_double_member(impl_->object, key, value);
  return *this;
}
JsonWriter &JsonWriter::boolean(const char *key, bool value) {
  json_object_set_boolean_member(impl_->object, key, value);
  return *this;
}
JsonWriter &JsonWriter::null(const char *key) {
  json_object_set_null_member(impl_->object, key);
  return *this;
}

JsonWriter &JsonWriter::merge(std::string_view object_json) {
  JsonParser *parser = json_parser_new_immutable();
  if (json_parser_load_from_data(parser, object_json.data(),
                                 static_cast<gssize>(object_json.size()), nullptr)) {
    JsonNode *root = json_parser_get_root(parser);
    if (root != nullptr && JSON_NODE_HOLDS_OBJECT(root)) {
      JsonObjectIter iter;
      const gchar *key = nullptr;
      JsonNode *member = nullptr;
      json_object_iter_init(&iter, json_node_get_object(root));
      while (json_object_iter_next(&iter, &key, &member))
        if (g_strcmp0(key, "type") != 0 && !json_object_has_member(impl_->object, key))
          json_object_set_member(impl_->object, key, json_node_copy(member));
    }
  }
  g_object_unref(parser);
  return *this;
}

std::string JsonWriter::text() const {
  JsonNode *node = json_node_init_object(json_node_alloc(), impl_->object);
  std::string result = to_json_text(node);
  json_node_unref(node);
  return result;
}

std::string error_message(const SignallingError &error, bool fatal) {
  return JsonWriter()
      .str("type", "error")
      .str("code", error.code)
      .str("message", error.message)
      .boolean("fatal", fatal)
      .text();
}

} /* namespace voicekit::server */

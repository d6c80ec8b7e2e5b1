/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The signalling protocol's parser and writer (tools/voicekit-server/
 * signalling.hpp), without a server: every message kind, every error code the
 * parser gives, ids, SDP offers (and what of them webrtcbin cannot take).
 */
#include "signalling.hpp"

#include "../fuzz/webrtc-offers.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

using namespace voicekit::server;

namespace {

SignallingError parse_error(const std::string &text) {
  ClientMessage message;
  SignallingError error;
  EXPECT_FALSE(parse_client_message(text, message, error)) << text;
  return error;
}

ClientMessage parse_ok(const std::string &text) {
  ClientMessage message;
  SignallingError error;
  EXPECT_TRUE(parse_client_message(text, message, error)) << text << ": " << error.message;
  return message;
}

const char *const kOffer = "v=0\r\n"
                           "o=- 1 2 IN IP4 127.0.0.1\r\n"
                           "s=-\r\n"
                           "t=0 0\r\n"
                           "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                           "a=rtpmap:96 VP8/90000\r\n"
                           "m=audio 9 UDP/TLS/RTP/SAVPF 0 111\r\n"
                           "a=rtpmap:0 PCMU/8000\r\n"
                           "a=rtpmap:111 opus/48000/2\r\n";

/* A real offer (tests/fuzz/webrtc-offers.hpp) with CRLF line ends, as sent
 * (lines that have them already keep them). */
std::string crlf(std::string_view offer) {
  std::string out;
  for (char c : offer) {
    if (c == '\n' && (out.empty() || out.back() != '\r'))
      out += '\r';
    out += c;
  }
  return out;
}

/* `offer` with `line` inserted after the first line that starts with `after`
 * (its n-th such line with `nth`). */
std::string with_line(std::string_view offer, std::string_view after, const std::string &line,
                      int nth = 1) {
  std::string text = crlf(offer);
  std::size_t at = 0;
  for (int seen = 0; seen < nth; seen++) {
    at = text.find("\r\n" + std::string(after), at);
    if (at == std::string::npos)
      return "(no line " + std::string(after) + ")";
    at += 2;
  }
  at = text.find("\r\n", at) + 2;
  return text.insert(at, line + "\r\n");
}

/* `offer` with the first line that starts with `prefix` (n-th with `nth`)
 * replaced by `line` (removed when empty). */
std::string replace_line(std::string_view offer, std::string_view prefix, const std::string &line,
                         int nth = 1) {
  std::string text = crlf(offer);
  std::size_t at = 0;
  for (int seen = 0; seen < nth; seen++) {
    at = text.find("\r\n" + std::string(prefix), at);
    if (at == std::string::npos)
      return "(no line " + std::string(prefix) + ")";
    at += 2;
  }
  const std::size_t end = text.find("\r\n", at) + 2;
  return text.replace(at, end - at, line.empty() ? "" : line + "\r\n");
}

/* The reason find_opus_offer() gives, "" when it accepts the offer. */
std::string refusal(const std::string &sdp) {
  OfferAudio audio;
  SignallingError error;
  if (find_opus_offer(sdp, audio, error))
    return "";
  EXPECT_EQ(error.code, "bad-sdp");
  EXPECT_FALSE(error.message.empty());
  return error.message;
}

} /* namespace */

TEST(Signalling, ParsesEveryKind) {
  ClientMessage hello = parse_ok(R"({"type":"hello","webrtc_id":"abc123"})");
  EXPECT_EQ(hello.kind, MessageKind::Hello);
  EXPECT_EQ(hello.webrtc_id, "abc123");
  ClientMessage offer = parse_ok(R"({"type":"offer","sdp":"v=0\r\n"})");
  EXPECT_EQ(offer.kind, MessageKind::Offer);
  EXPECT_EQ(offer.sdp, "v=0\r\n");
  ClientMessage candidate =
      parse_ok(R"({"type":"candidate","candidate":"candidate:1 1 UDP 1 127.0.0.1 5000 typ host",)"
               R"("sdpMLineIndex":2})");
  EXPECT_EQ(candidate.kind, MessageKind::Candidate);
  EXPECT_EQ(candidate.mline_index, 2u);
  EXPECT_EQ(candidate.candidate.rfind("candidate:1", 0), 0u);
  EXPECT_TRUE(parse_ok(R"({"type":"candidate","candidate":null})").candidate.empty());
  EXPECT_TRUE(parse_ok(R"({"type":"candidate","candidate":""})").candidate.empty());
  ClientMessage report = parse_ok(R"({"type":"report","played_ms":420,"x":{"y":[1,2]}})");
  EXPECT_EQ(report.kind, MessageKind::Report);
  EXPECT_EQ(report.report, R"({"played_ms":420,"x":{"y":[1,2]}})");
  EXPECT_EQ(parse_ok(R"({"type":"bye"})").kind, MessageKind::Bye);
}

TEST(Signalling, RefusesMalformedMessages) {
  EXPECT_EQ(parse_error("").code, "bad-json");
  EXPECT_EQ(parse_error("hello").code, "bad-json");
  EXPECT_EQ(parse_error("{\"type\":").code, "bad-json");
  EXPECT_EQ(parse_error("[1,2]").code, "bad-json");
  EXPECT_EQ(parse_error("\"hello\"").code, "bad-json");
  EXPECT_EQ(parse_error("{}").code, "bad-message");
  EXPECT_EQ(parse_error(R"({"type":7})").code, "bad-message");
  EXPECT_EQ(parse_error(R"({"type":"dance"})").code, "bad-message");
  EXPECT_EQ(parse_error(R"({"type":"hello"})").code, "bad-message");
  EXPECT_EQ(parse_error(R"({"type":"hello","webrtc_id":12})").code, "bad-message");
  EXPECT_EQ(parse_error(R"({"type":"offer","sdp":null})").code, "bad-message");
  EXPECT_EQ(parse_error(R"({"type":"candidate","candidate":"c","sdpMLineIndex":-1})").code,
            "bad-message");
  EXPECT_EQ(parse_error(R"({"type":"candidate","candidate":"c","sdpMLineIndex":"0"})").code,
            "bad-message");
  EXPECT_EQ(parse_error(R"({"type":"candidate","candidate":"c","sdpMLineIndex":1.5})").code,
            "bad-message");
  EXPECT_EQ(parse_error(std::string(kMaxMessageBytes + 1, ' ')).code, "bad-message");
  /* An escaped NUL does not cut a string short: the checks see it. */
  EXPECT_EQ(parse_error(R"({"type":"hello\u0000junk","webrtc_id":"a"})").code, "bad-message");
  EXPECT_EQ(parse_error(R"({"type":"candidate","candidate":"c\u0000d"})").code, "bad-message");
  EXPECT_EQ(parse_error(std::string("{\"type\":\"bye\"}\0", 15)).code, "bad-json");
  ClientMessage nul_id = parse_ok(R"({"type":"hello","webrtc_id":"nul\u0000tail"})");
  EXPECT_EQ(nul_id.webrtc_id, std::string("nul\0tail", 8));
  SignallingError nul_error;
  EXPECT_FALSE(check_webrtc_id(nul_id.webrtc_id, nul_error));
  EXPECT_EQ(nul_error.code, "invalid-id");
  /* An escaped backslash before "u0000" is text, not a NUL. */
  EXPECT_EQ(parse_ok(R"({"type":"hello","webrtc_id":"a\\u0000"})").webrtc_id, "a\\u0000");
  /* The message names what is wrong. */
  EXPECT_NE(parse_error(R"({"type":"dance"})").message.find("dance"), std::string::npos);
}

TEST(Signalling, ChecksIds) {
  SignallingError error;
  EXPECT_TRUE(check_webrtc_id("k2v9q1x7", error));
  EXPECT_TRUE(check_webrtc_id("caller 42", error));
  EXPECT_TRUE(check_webrtc_id("séance-€", error));
  EXPECT_FALSE(check_webrtc_id("\u00a0nbsp", error)); /* no-break space */
  EXPECT_FALSE(check_webrtc_id("ideographic\u3000", error));
  for (const std::string &bad :
       {std::string(""), std::string("tab\there"), std::string("nl\n"), std::string(257, 'a'),
        std::string("\xff\xfe"), std::string(" lead"), std::string("trail "),
        std::string("nul\0x", 5)}) {
    SignallingError refused;
    EXPECT_FALSE(check_webrtc_id(bad, refused)) << bad;
    EXPECT_EQ(refused.code, "invalid-id");
    EXPECT_FALSE(refused.message.empty());
  }
  EXPECT_TRUE(check_webrtc_id(std::string(256, 'a'), error));
}

TEST(Signalling, FindsTheOpusAudio) {
  OfferAudio audio;
  SignallingError error;
  ASSERT_TRUE(find_opus_offer(kOffer, audio, error)) << error.message;
  EXPECT_EQ(audio.mline_index, 1u);
  EXPECT_EQ(audio.opus_payload, 111u);
  /* LF line ends and upper case work too. */
  ASSERT_TRUE(
      find_opus_offer("v=0\nm=audio 9 RTP/AVP 96\na=rtpmap:96 OPUS/48000/2\n", audio, error));
  EXPECT_EQ(audio.opus_payload, 96u);

  const std::pair<const char *, const char *> bad[] = {
      {"", "v=0"},
      {"v=0 garbage", "v=0"},
      {"hello\r\nworld", "v=0"},
      {"v=0\r\nthis is not sdp\r\n", "not"},
      {"v=0\r\nm=video 9 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n", "no audio"},
      {"v=0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", "no opus"},
      {"v=0\r\nm=audio 9 RTP/AVP 300\r\na=rtpmap:300 opus/48000/2\r\n", "no opus"},
      {"v=0\r\nm=video 9 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n", "no audio"},
  };
  SignallingError nul_error;
  const char with_nul[] = "v=0\r\nm=audio 9 RTP/AVP 96\0\r\na=rtpmap:96 opus/48000/2\r\n";
  EXPECT_FALSE(find_opus_offer(std::string(with_nul, sizeof with_nul - 1), audio, nul_error));
  EXPECT_NE(nul_error.message.find("NUL"), std::string::npos);
  for (const auto &[sdp, reason] : bad) {
    SignallingError refused;
    EXPECT_FALSE(find_opus_offer(sdp, audio, refused)) << sdp;
    EXPECT_EQ(refused.code, "bad-sdp");
    EXPECT_NE(refused.message.find(reason), std::string::npos) << refused.message;
  }
}

/* The real offers of the clients the server is tested with pass. */
TEST(Signalling, AcceptsRealOffers) {
  for (const char *offer : voicekit::fuzz::kRealOffers) {
    OfferAudio audio;
    SignallingError error;
    EXPECT_TRUE(find_opus_offer(crlf(offer), audio, error)) << error.message << "\n" << offer;
    EXPECT_EQ(audio.mline_index, 0u);
  }
}

/* Each rule that keeps an offer from webrtcbin (GStreamer 1.22), in an
 * otherwise real offer: what tests/fuzz/fuzz-webrtc-sdp.cpp found. */
TEST(Signalling, RefusesSsrcZero) {
  using voicekit::fuzz::kAiortcOffer;
  using voicekit::fuzz::kChromiumAudioOffer;
  /* webrtcbin: "transport_stream_add_ssrc_map_item: assertion 'ssrc != 0'
   * failed" (issue 13, finding 8). */
  EXPECT_NE(refusal(with_line(kAiortcOffer, "a=rtcp-mux", "a=ssrc:0 cname:x")).find("SSRC 0"),
            std::string::npos);
  EXPECT_NE(refusal(replace_line(kChromiumAudioOffer, "a=ssrc:", "a=ssrc:0 cname:Ew1PKB19")), "");
  /* What sscanf("%u") would wrap to another SSRC (or 0), or not read. */
  for (const char *odd : {"a=ssrc:4294967296 cname:x", "a=ssrc:-1 cname:x", "a=ssrc:+5 cname:x",
                          "a=ssrc: 7 cname:x", "a=ssrc:7", "a=ssrc:7 ", "a=ssrc:abc cname:x",
                          "a=ssrc:00000000000 cname:x", "a= ssrc:0 cname:x"})
    EXPECT_NE(refusal(with_line(kAiortcOffer, "a=rtcp-mux", odd)), "") << odd;
  for (const char *fine : {"a=ssrc:4294967295 cname:x", "a=ssrc:1 msid:a b", "a=ssrc:007 x",
                           "a=ssrcx:0 cname:x", "a=x-ssrc:0 cname:x"})
    EXPECT_EQ(refusal(with_line(kAiortcOffer, "a=rtcp-mux", fine)), "") << fine;
}

TEST(Signalling, RefusesCarriageReturnInsideALine) {
  /* GStreamer's parser ends the line at the CR: it reads "a=mid:0" twice
   * where the checks would see two mids (webrtcbin then refuses its own
   * answer). */
  EXPECT_NE(
      refusal(replace_line(voicekit::fuzz::kChromiumAudioVideoDataOffer, "a=mid:1", "a=mid:0\rx"))
          .find("carriage return"),
      std::string::npos);
}

TEST(Signalling, RefusesInvalidUtf8) {
  using voicekit::fuzz::kChromiumAudioOffer;
  /* GStreamer: "Trying to set string on structure field 'encoding-name', but
   * string is not valid UTF-8" (a g_warning). */
  EXPECT_NE(refusal(replace_line(kChromiumAudioOffer, "a=rtpmap:63",
                                 "a=rtpmap:63 r\xed\xb2\x80"
                                 "d/48000/2"))
                .find("UTF-8"),
            std::string::npos);
  /* The same bytes as the server gets them: json-glib reads a lone surrogate
   * escape into them. */
  ClientMessage offer = parse_ok(R"({"type":"offer","sdp":"v=0\r\na=x:\udc80\r\n"})");
  EXPECT_NE(refusal(offer.sdp).find("UTF-8"), std::string::npos) << offer.sdp;
  EXPECT_EQ(refusal(with_line(kChromiumAudioOffer, "a=mid:0", "a=x-label:caf\xc3\xa9")), "");
}

TEST(Signalling, RefusesHostNameCandidates) {
  using voicekit::fuzz::kAiortcOffer;
  /* Chromium's mDNS candidates: webrtcbin's ICE agent resolves the name in a
   * task that outlives the session (agent, thread, sockets leak; a late end
   * of gathering then crashes). */
  const std::string mdns = "a=candidate:1 1 udp 2113937151 "
                           "75a55491-08b7-4374-ba5f-64024d798060.local 55612 typ host";
  EXPECT_NE(refusal(with_line(kAiortcOffer, "a=rtcp-mux", mdns)).find(".local"), std::string::npos);
  EXPECT_NE(refusal(with_line(kAiortcOffer, "a=rtcp-mux",
                              "a=candidate:1 1 udp 1 host.example 9 typ host")),
            "");
  for (const char *fine :
       {"a=candidate:1 1 udp 2113937151 192.0.2.2 57075 typ host",
        "a=candidate:2 1 udp 2113942271 fd00::2 44716 typ host", "a=candidate:3 1 udp 1 127.0.0.1",
        "a=candidate:4 1 udp", "a=end-of-candidates"})
    EXPECT_EQ(refusal(with_line(kAiortcOffer, "a=rtcp-mux", fine)), "") << fine;

  /* Trickled candidates, with or without "a=". */
  SignallingError error;
  EXPECT_FALSE(check_ice_candidate("candidate:1 1 udp 2113937151 abc.local 5000 typ host", error));
  EXPECT_EQ(error.code, "bad-sdp");
  EXPECT_FALSE(
      check_ice_candidate("a=candidate:1 1 udp 2113937151 abc.local 5000 typ host", error));
  EXPECT_TRUE(check_ice_candidate("candidate:1 1 udp 2113937151 127.0.0.1 5000 typ host", error));
  EXPECT_TRUE(check_ice_candidate("candidate:1 1 UDP 1 ::1 5000 typ host", error));
  EXPECT_TRUE(check_ice_candidate("", error));
}

TEST(Signalling, RefusesMediaWebrtcbinCannotAnswer) {
  using voicekit::fuzz::kChromiumAudioVideoDataOffer;
  /* webrtcbin answers an m-line it rejects with the offer's own, client
   * fingerprint included, then refuses that answer: no answer at all. */
  const std::pair<std::string, std::string> bad[] = {
      {replace_line(kChromiumAudioVideoDataOffer, "a=sendrecv", "", 2), "m-line 1"},
      {with_line(kChromiumAudioVideoDataOffer, "a=sendrecv", "a=recvonly", 2), "m-line 1"},
      {replace_line(kChromiumAudioVideoDataOffer, "a=sendrecv", "", 1), "m-line 0"},
      {replace_line(kChromiumAudioVideoDataOffer, "m=video", "m=text 9 UDP/TLS/RTP/SAVPF 96"),
       "text"},
      /* No format webrtcbin makes caps of ("Could not create caps for media"):
       * 35 is neither static nor mapped, 96 maps to no clock rate, 200 is no
       * payload type. */
      {replace_line(kChromiumAudioVideoDataOffer, "m=video", "m=video 9 UDP/TLS/RTP/SAVPF 35 200"),
       "no format"},
      {replace_line(
           replace_line(kChromiumAudioVideoDataOffer, "m=video", "m=video 9 UDP/TLS/RTP/SAVPF 96"),
           "a=rtpmap:96", "a=rtpmap:96 VP8"),
       "no format"},
      {replace_line(kChromiumAudioVideoDataOffer, "m=application",
                    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel 5000"),
       "m-line 2"},
      {replace_line(kChromiumAudioVideoDataOffer, "a=sctp-port", ""), "sctp-port"},
      {replace_line(kChromiumAudioVideoDataOffer, "m=application",
                    "m=application 9 DTLS/SCTP 5000"),
       "sctpmap"},
  };
  for (const auto &[sdp, reason] : bad)
    EXPECT_NE(refusal(sdp).find(reason), std::string::npos) << reason << ": " << refusal(sdp);
  /* The older data channel form, and any direction, are taken. */
  EXPECT_EQ(refusal(with_line(replace_line(kChromiumAudioVideoDataOffer, "m=application",
                                           "m=application 9 DTLS/SCTP 5000"),
                              "a=mid:2", "a=sctpmap:5000 webrtc-datachannel 1024")),
            "");
  /* A static payload type needs no a=rtpmap. */
  EXPECT_EQ(refusal(replace_line(kChromiumAudioVideoDataOffer, "m=video",
                                 "m=video 9 UDP/TLS/RTP/SAVPF 35 26")),
            "");
  for (const char *direction : {"a=sendonly", "a=recvonly", "a=inactive"})
    EXPECT_EQ(refusal(replace_line(kChromiumAudioVideoDataOffer, "a=sendrecv", direction, 2)), "")
        << direction;
  /* Without a fingerprint of its own the m-line's rejection does no harm:
   * the short offers above (FindsTheOpusAudio) stay accepted. */
  EXPECT_EQ(refusal(replace_line(replace_line(kChromiumAudioVideoDataOffer, "a=sendrecv", "", 2),
                                 "a=fingerprint", "", 2)),
            "");
}

TEST(Signalling, RefusesDuplicateMids) {
  using voicekit::fuzz::kChromiumAudioVideoDataOffer;
  /* webrtcbin ties both m-lines to one transceiver, then refuses its own
   * answer ("transceiver direction changes are not implemented"). */
  EXPECT_NE(refusal(with_line(kChromiumAudioVideoDataOffer, "a=mid:0", "a=mid:1")).find("a=mid"),
            std::string::npos);
  EXPECT_NE(refusal(replace_line(kChromiumAudioVideoDataOffer, "a=mid:2", "a=mid:1")).find("\"1\""),
            std::string::npos);
  EXPECT_EQ(refusal(replace_line(kChromiumAudioVideoDataOffer, "a=mid:2", "a=mid:data")), "");
}

TEST(Signalling, WritesJson) {
  EXPECT_EQ(JsonWriter().str("type", "welcome").integer("n", 3).boolean("b", true).text(),
            R"({"type":"welcome","n":3,"b":true})");
  /* Invalid UTF-8 never reaches a client: it is replaced. */
  const std::string text = JsonWriter()
                               .str("s", "a\xff"
                                         "b")
                               .text();
  EXPECT_TRUE(g_utf8_validate(text.c_str(), -1, nullptr)) << text;
  EXPECT_EQ(JsonWriter().str("type", "client-report").merge(R"({"type":"x","ms":5})").text(),
            R"({"type":"client-report","ms":5})");
  EXPECT_EQ(JsonWriter().str("a", "1").merge("not json").merge("[1]").text(), R"({"a":"1"})");
  EXPECT_EQ(error_message({"duplicate-id", "taken"}, true),
            R"({"type":"error","code":"duplicate-id","message":"taken","fatal":true})");
}

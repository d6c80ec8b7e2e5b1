/* The signalling protocol's parser and writer (tools/voicekit-server/
 * signalling.hpp), without a server: every message kind, every error code the
 * parser gives, ids, SDP offers. */
#include "signalling.hpp"

#include <gtest/gtest.h>

#include <string>

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

} // namespace

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

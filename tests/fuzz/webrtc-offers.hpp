/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Real WebRTC offers, as captured from the clients voicekit-server serves: the
 * known-good bases that tests/fuzz/fuzz-webrtc-sdp.cpp mutates line by line.
 */
#ifndef TESTS_FUZZ_WEBRTC_OFFERS_HPP
#define TESTS_FUZZ_WEBRTC_OFFERS_HPP

namespace voicekit::fuzz {

/* Each offer as its client wrote it (lines end in CRLF there; here in LF, the
 * fuzz target splits on LF and writes CRLF back):
 * - aiortc 1.4.0 (Debian 12's python3-aiortc, as tests/webrtc/peer.py uses it):
 *   one sendrecv audio transceiver, ICE on 127.0.0.1, candidates included;
 * - Chromium 156 headless (Debian 12's chromium), a WebAudio track added with
 *   addTrack(): one audio m-line, no candidates gathered (trickle);
 * - the same Chromium with a canvas video track and a data channel too: audio,
 *   video (ssrc-group FID, rtx, red, ulpfec) and SCTP, bundled, with IPv4 and
 *   IPv6 host candidates (mDNS names off, as tests/webrtc/test-browser.py runs
 *   Chromium: the server refuses .local candidates): the most the server
 *   accepts (3 m-lines). */
inline constexpr const char *kAiortcOffer = R"(v=0
o=- 4005391402 4005391402 IN IP4 0.0.0.0
s=-
t=0 0
a=group:BUNDLE 0
a=msid-semantic:WMS *
m=audio 33427 UDP/TLS/RTP/SAVPF 96 0 8
c=IN IP4 127.0.0.1
a=sendrecv
a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=mid:0
a=msid:bbb9ef61-50fd-41b4-bed7-5f7798fa7167 b62c0f41-86cb-4a99-870d-d4b55f318aaa
a=rtcp:9 IN IP4 0.0.0.0
a=rtcp-mux
a=ssrc:3265522784 cname:f9c34b11-44c1-4412-ba00-74830f59892e
a=rtpmap:96 opus/48000/2
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=candidate:16572de626da4e5384a0ce2d0d93678a 1 udp 2130706431 127.0.0.1 33427 typ host
a=end-of-candidates
a=ice-ufrag:6jDy
a=ice-pwd:u9DtVNZaDecv5LbtMmjRFZ
a=fingerprint:sha-256 02:BC:05:0A:A4:DE:08:B4:01:0B:9C:79:68:41:D2:38:4D:8D:0E:37:4E:84:F2:59:A8:2A:79:58:7D:85:90:28
a=setup:actpass
)";
inline constexpr const char *kChromiumAudioOffer = R"(v=0
o=- 4917835888641308418 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
a=extmap-allow-mixed
a=msid-semantic: WMS e757a651-9589-464d-a9e5-06f0e30c2244
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:WWmM
a=ice-pwd:czDMm8fvOKm7T6zSHWXf/CRg
a=ice-options:trickle
a=fingerprint:sha-256 44:E0:E3:33:ED:CA:C1:14:6D:AC:CF:CF:AD:B6:8A:66:DF:02:AC:90:5C:2E:F0:0D:21:F6:CE:06:A5:9A:2B:15
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=sendrecv
a=msid:e757a651-9589-464d-a9e5-06f0e30c2244 88a752bb-5c29-420d-91cc-a6ca7646fb9a
a=rtcp-mux
a=rtcp-rsize
a=rtcp-xr:rcvr-rtt=all
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:1616476862 cname:Ew1PKB19tGceSExj
a=ssrc:1616476862 msid:e757a651-9589-464d-a9e5-06f0e30c2244 88a752bb-5c29-420d-91cc-a6ca7646fb9a
)";
inline constexpr const char *kChromiumAudioVideoDataOffer = R"(v=0
o=- 1016275366902160702 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1 2
a=extmap-allow-mixed
a=msid-semantic: WMS 68096af4-b127-4015-8a2c-767f74bb97a6 f994e99a-872d-40c5-99eb-a438e00c850f
m=audio 57075 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 192.0.2.2
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:943050849 1 udp 2113937151 192.0.2.2 57075 typ host generation 0 network-cost 999
a=candidate:4082307457 1 udp 2113942271 fd00::2 44716 typ host generation 0 network-cost 999
a=ice-ufrag:qLWX
a=ice-pwd:+66KQG27Hq+CneTanjt/2GAm
a=ice-options:trickle
a=fingerprint:sha-256 C6:FB:70:B1:92:38:5E:E3:9C:37:FA:9B:D5:82:98:05:28:CF:67:FB:66:37:AA:5B:BF:11:3F:5F:DF:DF:65:EF
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=sendrecv
a=msid:68096af4-b127-4015-8a2c-767f74bb97a6 66e4cd2a-b907-45f5-bca4-3290c92b74d3
a=rtcp-mux
a=rtcp-rsize
a=rtcp-xr:rcvr-rtt=all
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:820238525 cname:T4EOj7rD4x/JlZoj
a=ssrc:820238525 msid:68096af4-b127-4015-8a2c-767f74bb97a6 66e4cd2a-b907-45f5-bca4-3290c92b74d3
m=video 51383 UDP/TLS/RTP/SAVPF 96 97 102 103 104 107 108 109 114 115 116 117 39 40 45 46 98 99 100 101 118 119 120
c=IN IP4 192.0.2.2
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:943050849 1 udp 2113937151 192.0.2.2 51383 typ host generation 0 network-cost 999
a=candidate:4082307457 1 udp 2113942271 fd00::2 36691 typ host generation 0 network-cost 999
a=ice-ufrag:qLWX
a=ice-pwd:+66KQG27Hq+CneTanjt/2GAm
a=ice-options:trickle
a=fingerprint:sha-256 C6:FB:70:B1:92:38:5E:E3:9C:37:FA:9B:D5:82:98:05:28:CF:67:FB:66:37:AA:5B:BF:11:3F:5F:DF:DF:65:EF
a=setup:actpass
a=mid:1
a=extmap:14 urn:ietf:params:rtp-hdrext:toffset
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:13 urn:3gpp:video-orientation
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay
a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type
a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing
a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id
a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id
a=sendrecv
a=msid:f994e99a-872d-40c5-99eb-a438e00c850f 69f0051e-4b1a-491c-ae19-1bb76f9ade59
a=rtcp-mux
a=rtcp-rsize
a=rtcp-xr:rcvr-rtt=all
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 transport-cc
a=rtcp-fb:96 ccm fir
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=rtpmap:102 H264/90000
a=rtcp-fb:102 goog-remb
a=rtcp-fb:102 transport-cc
a=rtcp-fb:102 ccm fir
a=rtcp-fb:102 nack
a=rtcp-fb:102 nack pli
a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
a=rtpmap:103 rtx/90000
a=fmtp:103 apt=102
a=rtpmap:104 H264/90000
a=rtcp-fb:104 goog-remb
a=rtcp-fb:104 transport-cc
a=rtcp-fb:104 ccm fir
a=rtcp-fb:104 nack
a=rtcp-fb:104 nack pli
a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f
a=rtpmap:107 rtx/90000
a=fmtp:107 apt=104
a=rtpmap:108 H264/90000
a=rtcp-fb:108 goog-remb
a=rtcp-fb:108 transport-cc
a=rtcp-fb:108 ccm fir
a=rtcp-fb:108 nack
a=rtcp-fb:108 nack pli
a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
a=rtpmap:109 rtx/90000
a=fmtp:109 apt=108
a=rtpmap:114 H264/90000
a=rtcp-fb:114 goog-remb
a=rtcp-fb:114 transport-cc
a=rtcp-fb:114 ccm fir
a=rtcp-fb:114 nack
a=rtcp-fb:114 nack pli
a=fmtp:114 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f
a=rtpmap:115 rtx/90000
a=fmtp:115 apt=114
a=rtpmap:116 H264/90000
a=rtcp-fb:116 goog-remb
a=rtcp-fb:116 transport-cc
a=rtcp-fb:116 ccm fir
a=rtcp-fb:116 nack
a=rtcp-fb:116 nack pli
a=fmtp:116 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f
a=rtpmap:117 rtx/90000
a=fmtp:117 apt=116
a=rtpmap:39 H264/90000
a=rtcp-fb:39 goog-remb
a=rtcp-fb:39 transport-cc
a=rtcp-fb:39 ccm fir
a=rtcp-fb:39 nack
a=rtcp-fb:39 nack pli
a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f
a=rtpmap:40 rtx/90000
a=fmtp:40 apt=39
a=rtpmap:45 AV1/90000
a=rtcp-fb:45 goog-remb
a=rtcp-fb:45 transport-cc
a=rtcp-fb:45 ccm fir
a=rtcp-fb:45 nack
a=rtcp-fb:45 nack pli
a=fmtp:45 level-idx=5;profile=0;tier=0
a=rtpmap:46 rtx/90000
a=fmtp:46 apt=45
a=rtpmap:98 VP9/90000
a=rtcp-fb:98 goog-remb
a=rtcp-fb:98 transport-cc
a=rtcp-fb:98 ccm fir
a=rtcp-fb:98 nack
a=rtcp-fb:98 nack pli
a=fmtp:98 profile-id=0
a=rtpmap:99 rtx/90000
a=fmtp:99 apt=98
a=rtpmap:100 VP9/90000
a=rtcp-fb:100 goog-remb
a=rtcp-fb:100 transport-cc
a=rtcp-fb:100 ccm fir
a=rtcp-fb:100 nack
a=rtcp-fb:100 nack pli
a=fmtp:100 profile-id=2
a=rtpmap:101 rtx/90000
a=fmtp:101 apt=100
a=rtpmap:118 red/90000
a=rtpmap:119 rtx/90000
a=fmtp:119 apt=118
a=rtpmap:120 ulpfec/90000
a=ssrc-group:FID 163872854 2926400513
a=ssrc:163872854 cname:T4EOj7rD4x/JlZoj
a=ssrc:163872854 msid:f994e99a-872d-40c5-99eb-a438e00c850f 69f0051e-4b1a-491c-ae19-1bb76f9ade59
a=ssrc:2926400513 cname:T4EOj7rD4x/JlZoj
a=ssrc:2926400513 msid:f994e99a-872d-40c5-99eb-a438e00c850f 69f0051e-4b1a-491c-ae19-1bb76f9ade59
m=application 34026 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 192.0.2.2
a=candidate:943050849 1 udp 2113937151 192.0.2.2 34026 typ host generation 0 network-cost 999
a=candidate:4082307457 1 udp 2113942271 fd00::2 40514 typ host generation 0 network-cost 999
a=ice-ufrag:qLWX
a=ice-pwd:+66KQG27Hq+CneTanjt/2GAm
a=ice-options:trickle
a=fingerprint:sha-256 C6:FB:70:B1:92:38:5E:E3:9C:37:FA:9B:D5:82:98:05:28:CF:67:FB:66:37:AA:5B:BF:11:3F:5F:DF:DF:65:EF
a=setup:actpass
a=mid:2
a=sctp-port:5000
a=max-message-size:262144
)";

inline constexpr const char *kRealOffers[] = {kAiortcOffer, kChromiumAudioOffer,
                                              kChromiumAudioVideoDataOffer};

} /* namespace voicekit::fuzz */

#endif /* TESTS_FUZZ_WEBRTC_OFFERS_HPP */

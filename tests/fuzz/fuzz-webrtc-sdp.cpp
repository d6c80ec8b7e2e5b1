/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * libFuzzer target: an SDP offer through voicekit-server's own checks and, when
 * they accept it, through a webrtcbin set up as the server sets up a session's;
 * a GLib or GStreamer critical or warning on the way, or a session not freed,
 * is a finding.
 */

/* The input becomes one offer, in one of two ways (its first byte says which):
 * - even first byte (plain SDP text starts with 'v', 0x76): the whole input is
 *   the offer's text, as a client would send it in {"type":"offer","sdp":...};
 * - odd first byte: the next byte picks a real offer (webrtc-offers.hpp:
 *   aiortc, Chromium audio, Chromium audio + video + data), then edits follow
 *   until the input ends, each `op` byte, `line` byte, text up to '\n':
 *     op % 6 = 0 replace the line, 1 insert the text before it, 2 delete it,
 *              3 append the text to it, 4 replace what follows its first ':'
 *              (or its '=') with the text, 5 duplicate it with the text
 *              appended to the copy;
 *     line % (lines + 1) is the line (the last value: after the last line);
 *   at most 32 edits; the lines are written back with CRLF.
 *   So every mutation starts from an offer webrtcbin takes, and one edit is
 *   one odd attribute in an otherwise normal offer (a=ssrc:0 cname:x).
 *
 * The offer then goes the server's way (tools/voicekit-server/call.cpp,
 * Call::handle_offer): find_opus_offer() (signalling.cpp), then
 * gst_sdp_message_new_from_text() with at least one m-line. A refusal there is
 * the server's bad-sdp: fine, nothing reaches webrtcbin. An accepted offer
 * goes to a fresh pipeline built like the server's session
 * (session-pipeline.cpp): webrtcbin bundle-policy=max-bundle latency=40, ICE
 * restricted to 127.0.0.1 by the server's own restrict_ice_to_address()
 * (ice.cpp; UPnP off besides, see disable_upnp()), PLAYING, then the reply
 * stream's appsrc ! capsfilter linked to webrtcbin with the offer's Opus
 * payload type (the request pad makes the transceiver the reply goes out on,
 * as link_reply_stream() does), then set-remote-description, create-answer
 * and set-local-description, each waited for, then NULL at once, as when the
 * client leaves. webrtcbin may refuse the offer (the server answers bad-sdp
 * then); an offer it accepts must get an answer that sets as the local
 * description.
 *
 * Findings: any g_log() critical, warning or error (any domain, any thread:
 * webrtcbin's g_return_if_fail()s, GLib-GObject's warnings), a crash, an
 * accepted offer without an answer, an error message on the pipeline's bus,
 * and anything of a session left after NULL (the pipeline still referenced,
 * webrtcbin or its ICE agent alive: threads and sockets leaking across
 * sessions). GStreamer's debug log is not a finding (webrtcbin notes there
 * what it ignores in an offer); with VOICEKIT_FUZZ_VERBOSE=1 its warnings are
 * printed, with each input's way through and webrtcbin's answer. It is the
 * fuzzer's guide into webrtcbin, though: the file and line of each debug line
 * webrtcbin's categories write are coverage counters (g_webrtc_paths).
 * Each input gets its own pipeline, set to NULL and freed before the next. */
#include "fuzz-input.hpp"
#include "webrtc-offers.hpp"

#include "ice.hpp"
#include "session-pipeline.hpp"
#include "signalling.hpp"

#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace voicekit::server;

namespace {

bool g_verbose = false;

/* Traps, so libFuzzer keeps the input (and the replay test dies). */
[[noreturn]] void finding(const std::string &what) {
  std::fprintf(stderr, "finding: %s\n", what.c_str());
  __builtin_trap();
}

/* "CRITICAL in GLib-GObject: ..." */
std::string log_line(GLogLevelFlags level, const char *domain, const char *message) {
  return std::string((level & G_LOG_LEVEL_WARNING) != 0 ? "WARNING" : "CRITICAL") + " in " +
         (domain != nullptr ? domain : "(no domain)") + ": " + (message != nullptr ? message : "");
}

/* g_log() from any thread: criticals, warnings and errors are findings. Not
 * g_log_set_always_fatal(): GLib would raise SIGTRAP through its own abort
 * path, which libFuzzer does not catch, and the input would be lost. */
void log_handler(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer) {
  if ((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) != 0)
    finding(log_line(level, domain, message));
  if (g_verbose)
    g_log_default_handler(domain, level, message, nullptr);
}

/* The same for structured logging (g_log_structured(), G_LOG_USE_STRUCTURED
 * code), which bypasses the handler above. */
GLogWriterOutput log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                            gpointer) {
  const char *domain = nullptr;
  const char *message = nullptr;
  for (gsize i = 0; i < n_fields; i++) {
    if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0)
      domain = static_cast<const char *>(fields[i].value);
    else if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
      message = static_cast<const char *>(fields[i].value);
  }
  if ((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) != 0)
    finding(log_line(level, domain, message));
  return g_verbose ? g_log_writer_default(level, fields, n_fields, nullptr) : G_LOG_WRITER_HANDLED;
}

/* Which of webrtcbin's debug lines (file and line: the code paths it took)
 * an input reached, as libFuzzer's extra coverage counters. GStreamer is not
 * built for coverage, so without them the fuzzer would see only our checks
 * and never learn which offers take webrtcbin somewhere new. */
constexpr std::size_t kWebrtcPaths = 4096;
__attribute__((used, section("__libfuzzer_extra_counters")))
std::uint8_t g_webrtc_paths[kWebrtcPaths];

/* GStreamer's debug log (thresholds in LLVMFuzzerInitialize(): DEBUG for
 * webrtcbin's categories, WARNING for the rest). Not findings: webrtcbin
 * notes there what it ignores in an offer ("did not find compatible
 * transceiver"), libnice's resolver its failures; what would hurt the server
 * is a g_log() message (above) or an error on the bus (through_webrtcbin()).
 * WARNING and ERROR lines are printed with VOICEKIT_FUZZ_VERBOSE=1. */
void gst_log(GstDebugCategory *category, GstDebugLevel level, const gchar *file, const gchar *,
             gint line, GObject *, GstDebugMessage *message, gpointer) {
  const guint path = g_str_hash(file) * 31u + static_cast<guint>(line);
  std::uint8_t &counter = g_webrtc_paths[path % kWebrtcPaths];
  counter = static_cast<std::uint8_t>(counter + 1);
  if (g_verbose && level <= GST_LEVEL_WARNING)
    std::fprintf(stderr, "  gst %s %s: %s\n", gst_debug_level_get_name(level),
                 gst_debug_category_get_name(category), gst_debug_message_get(message));
}

/* ---- the offer -------------------------------------------------------------- */

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos)
      end = text.size();
    std::string_view line = text.substr(at, end - at);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    lines.emplace_back(line);
    at = end + 1;
  }
  return lines;
}

constexpr unsigned kMaxEdits = 32;

/* A real offer with the input's edits (layout above). */
std::string mutated_offer(voicekit::fuzz::Input &input) {
  constexpr std::size_t bases = sizeof voicekit::fuzz::kRealOffers / sizeof(const char *);
  std::vector<std::string> lines = split_lines(voicekit::fuzz::kRealOffers[input.byte() % bases]);
  for (unsigned edit = 0; edit < kMaxEdits && !input.empty(); edit++) {
    const unsigned op = input.byte() % 6;
    const std::size_t line = input.byte() % (lines.size() + 1);
    const std::string text = input.until('\n');
    const bool exists = line < lines.size();
    switch (op) {
    case 0:
      if (exists)
        lines[line] = text;
      else
        lines.push_back(text);
      break;
    case 1:
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(line), text);
      break;
    case 2:
      if (exists)
        lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(line));
      break;
    case 3:
      if (exists)
        lines[line] += text;
      break;
    case 4:
      if (exists) {
        std::size_t cut = lines[line].find(':');
        if (cut == std::string::npos)
          cut = lines[line].find('=');
        lines[line] =
            (cut == std::string::npos ? lines[line] : lines[line].substr(0, cut + 1)) + text;
      }
      break;
    default:
      if (exists)
        lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(line) + 1, lines[line] + text);
      break;
    }
  }
  std::string sdp;
  for (const std::string &line : lines)
    sdp += line + "\r\n";
  return sdp;
}

/* The server's checks of an offer, in Call::handle_offer()'s order. True when
 * the server would hand the offer to webrtcbin; `message` then owns the
 * parsed SDP. */
bool server_accepts(const std::string &sdp, OfferAudio &audio, GstSDPMessage **message) {
  SignallingError error;
  if (!find_opus_offer(sdp, audio, error)) {
    FUZZ_CHECK(error.code == "bad-sdp" && !error.message.empty());
    if (g_verbose)
      std::fprintf(stderr, "  refused by find_opus_offer(): %s\n", error.message.c_str());
    return false;
  }
  FUZZ_CHECK(audio.opus_payload <= 127);
  *message = nullptr;
  gst_sdp_message_new_from_text(sdp.c_str(), message);
  if (*message == nullptr || gst_sdp_message_medias_len(*message) == 0) {
    if (*message != nullptr)
      gst_sdp_message_free(*message);
    if (g_verbose)
      std::fprintf(stderr, "  refused: does not parse as SDP\n");
    return false;
  }
  return true;
}

/* ---- webrtcbin -------------------------------------------------------------- */

/* Not the server's setting: libnice's agent probes the LAN for a UPnP
 * gateway by default (a thread per agent, multicast on every interface, and
 * gupnp's g_warning when a port is taken), which tools/voicekit-server/ice.cpp
 * does not switch off yet. Off here, so a finding is about the offer. */
void disable_upnp(GstElement *webrtc) {
  GstObject *ice = nullptr;
  g_object_get(webrtc, "ice-agent", &ice, nullptr);
  GObject *agent = nullptr;
  g_object_get(ice, "agent", &agent, nullptr);
  g_object_set(agent, "upnp", FALSE, nullptr);
  g_object_unref(agent);
  gst_object_unref(ice);
}

/* The error of a replied promise, "" when it succeeded; waits. */
std::string promise_error(GstPromise *promise, const GstStructure **reply) {
  const GstPromiseResult result = gst_promise_wait(promise);
  *reply = nullptr;
  if (result != GST_PROMISE_RESULT_REPLIED)
    return "no reply (promise result " + std::to_string(result) + ")";
  *reply = gst_promise_get_reply(promise);
  if (*reply != nullptr && gst_structure_has_field(*reply, "error")) {
    GError *error = nullptr;
    gst_structure_get(*reply, "error", G_TYPE_ERROR, &error, nullptr);
    std::string text = error != nullptr ? error->message : "unknown error";
    g_clear_error(&error);
    return text;
  }
  return "";
}

/* The part of the server's session pipeline (session-pipeline.cpp) that
 * webrtcbin sees: itself with the server's properties, and the reply stream
 * linked into it by the server's own link_reply_stream() (it sets the
 * payloader's pt: an unlinked rtpopuspay stands for it). The decoding chain after webrtcbin is left
 * out: its source pads come only with media, which never flows here. */
constexpr const char *kPipeline = "webrtcbin name=webrtc bundle-policy=max-bundle latency=40 "
                                  "appsrc name=replyin format=time is-live=true do-timestamp=false "
                                  "! capsfilter name=paycaps rtpopuspay name=pay";

/* Takes `message`. */
void negotiate(GstElement *webrtc, GstSDPMessage *message) {
  const GstStructure *reply = nullptr;
  GstWebRTCSessionDescription *offer =
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, message);
  GstPromise *remote_set = gst_promise_new();
  g_signal_emit_by_name(webrtc, "set-remote-description", offer, remote_set);
  gst_webrtc_session_description_free(offer);
  const std::string refused = promise_error(remote_set, &reply);
  gst_promise_unref(remote_set);
  if (!refused.empty()) {
    /* The server answers bad-sdp ("webrtcbin refused the offer"). */
    if (g_verbose)
      std::fprintf(stderr, "  webrtcbin refused the offer: %s\n", refused.c_str());
    return;
  }

  GstPromise *answered = gst_promise_new();
  g_signal_emit_by_name(webrtc, "create-answer", nullptr, answered);
  const std::string no_answer = promise_error(answered, &reply);
  GstWebRTCSessionDescription *answer = nullptr;
  if (no_answer.empty() && reply != nullptr)
    gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, nullptr);
  gst_promise_unref(answered);
  if (answer == nullptr)
    finding("webrtcbin made no answer to an offer it accepted: " + no_answer);

  if (g_verbose) {
    gchar *text = gst_sdp_message_as_text(answer->sdp);
    std::fprintf(stderr, "  answered:\n%s", text);
    g_free(text);
  }
  GstPromise *local_set = gst_promise_new();
  g_signal_emit_by_name(webrtc, "set-local-description", answer, local_set);
  const std::string local_refused = promise_error(local_set, &reply);
  gst_promise_unref(local_set);
  if (!local_refused.empty())
    finding("webrtcbin refused its own answer: " + local_refused);
  gst_webrtc_session_description_free(answer);
}

/* Takes `message`. */
void through_webrtcbin(GstSDPMessage *message, unsigned opus_payload) {
  GError *parse_error = nullptr;
  GstElement *pipeline =
      gst_parse_launch_full(kPipeline, nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &parse_error);
  if (pipeline == nullptr || parse_error != nullptr)
    finding(std::string("cannot build the pipeline: ") +
            (parse_error != nullptr ? parse_error->message : "unknown error"));
  GstElement *webrtc = gst_bin_get_by_name(GST_BIN(pipeline), "webrtc");
  std::string error;
  if (!restrict_ice_to_address(webrtc, "127.0.0.1", error))
    finding(error);
  disable_upnp(webrtc);
  /* Weak references: webrtcbin and its ICE agent (a thread, a libnice agent
   * and its sockets) must be gone with the pipeline. */
  GWeakRef webrtc_alive;
  GWeakRef ice_alive;
  g_weak_ref_init(&webrtc_alive, webrtc);
  GstObject *ice = nullptr;
  g_object_get(webrtc, "ice-agent", &ice, nullptr);
  g_weak_ref_init(&ice_alive, ice);
  gst_object_unref(ice);

  const gint64 start_us = g_get_monotonic_time();
  FUZZ_CHECK(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  FUZZ_CHECK(voicekit::server::link_reply_stream(pipeline, webrtc, opus_payload));
  negotiate(webrtc, message);
  const gint64 negotiated_us = g_get_monotonic_time();
  /* As the server does when the client leaves: NULL at once, whatever ICE
   * and DTLS are doing. */
  FUZZ_CHECK(gst_element_set_state(pipeline, GST_STATE_NULL) == GST_STATE_CHANGE_SUCCESS);
  if (g_verbose)
    std::fprintf(stderr, "  negotiation %.1f ms, NULL %.1f ms\n",
                 static_cast<double>(negotiated_us - start_us) / 1e3,
                 static_cast<double>(g_get_monotonic_time() - negotiated_us) / 1e3);

  /* An error on the bus would end the server's session with "pipeline
   * error" instead of an answer or bad-sdp. */
  GstBus *bus = gst_element_get_bus(pipeline);
  if (GstMessage *bus_error = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
    GError *reason = nullptr;
    gst_message_parse_error(bus_error, &reason, nullptr);
    finding(std::string("an error on the bus from ") + GST_OBJECT_NAME(GST_MESSAGE_SRC(bus_error)) +
            ": " + (reason != nullptr ? reason->message : "?"));
  }
  gst_object_unref(bus);

  gst_object_unref(webrtc);
  /* Nothing else holds the pipeline once it is in NULL: it is freed here,
   * before the next input. */
  FUZZ_CHECK(GST_OBJECT_REFCOUNT_VALUE(pipeline) == 1);
  gst_object_unref(pipeline);
  GObject *webrtc_left = static_cast<GObject *>(g_weak_ref_get(&webrtc_alive));
  FUZZ_CHECK(webrtc_left == nullptr);
  if (GObject *ice_left = static_cast<GObject *>(g_weak_ref_get(&ice_alive))) {
    /* GStreamer 1.22.0 keeps the agent when a remote candidate's host name
     * (mDNS, .local) is still being resolved: its GTask returns to
     * webrtcbin's thread, gone by then, and never frees. */
    finding("webrtcbin's ICE agent outlived its pipeline (" +
            std::to_string(ice_left->ref_count - 1) + " references left)");
  }
  g_weak_ref_clear(&ice_alive);
  g_weak_ref_clear(&webrtc_alive);
}

} /* namespace */

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  g_verbose = g_strcmp0(g_getenv("VOICEKIT_FUZZ_VERBOSE"), "1") == 0;
  g_log_set_writer_func(log_writer, nullptr, nullptr);
  g_log_set_default_handler(log_handler, nullptr);
  gst_init(nullptr, nullptr);
  /* The functions, not gstinfo.h's macros of the same names (their pointer
   * comparison is not ISO C++); NULL names the default log function. */
  (gst_debug_remove_log_function)(nullptr);
  (gst_debug_add_log_function)(gst_log, nullptr, nullptr);
  gst_debug_set_threshold_from_string("*:WARNING,webrtc*:DEBUG,dtls*:DEBUG,nice*:DEBUG", TRUE);
  GstElementFactory *webrtcbin = gst_element_factory_find("webrtcbin");
  if (webrtcbin == nullptr) {
    std::fprintf(stderr, "no webrtcbin (gstreamer1.0-plugins-bad, gstreamer1.0-nice)\n");
    std::exit(1);
  }
  gst_object_unref(webrtcbin);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  voicekit::fuzz::Input input(data, size);
  const bool mutate = size > 0 && (data[0] & 1) != 0;
  std::string sdp;
  if (mutate) {
    input.byte();
    sdp = mutated_offer(input);
  } else {
    sdp.assign(reinterpret_cast<const char *>(data), size);
  }
  if (g_verbose)
    std::fprintf(stderr, "offer (%s, %zu bytes)\n", mutate ? "mutated" : "as is", sdp.size());

  OfferAudio audio;
  GstSDPMessage *message = nullptr;
  if (!server_accepts(sdp, audio, &message))
    return 0;
  through_webrtcbin(message, audio.opus_payload); /* takes the message */
  return 0;
}

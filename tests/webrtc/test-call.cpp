/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * In process: a client webrtcbin and a server session (voicekit::server::Call)
 * negotiate over loopback; real speech goes through Opus, webrtcbin, sessiontag,
 * pausedetect and replyonpause (echo) and back. Asserts the session's events
 * name its webrtc_id and that the echo arrives at the client as audio.
 * Runs inside tests/webrtc/netns-run (loopback only; ICE on 127.0.0.1).
 */
#include "call.hpp"
#include "signalling.hpp"

#include "../common/speech.hpp"
#include "../../tools/build-tree-plugin.hpp"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <gtest/gtest.h>
#include <json-glib/json-glib.h>
#include <nice/agent.h>

#include <cmath>
#include <string>
#include <vector>

using voicekit::server::Call;
using voicekit::server::CallConfig;

namespace {

constexpr int kRate = 16000;

/* A JSON member as text ("" when absent). */
std::string member(const std::string &json, const char *key) {
  JsonParser *parser = json_parser_new();
  std::string value;
  if (json_parser_load_from_data(parser, json.c_str(), -1, nullptr)) {
    JsonObject *object = json_node_get_object(json_parser_get_root(parser));
    if (json_object_has_member(object, key)) {
      JsonNode *node = json_object_get_member(object, key);
      if (json_node_get_value_type(node) == G_TYPE_STRING)
        value = json_node_get_string(node);
      else if (json_node_get_value_type(node) == G_TYPE_INT64)
        value = std::to_string(json_node_get_int(node));
      else if (json_node_get_value_type(node) == G_TYPE_DOUBLE)
        value = std::to_string(json_node_get_double(node));
    }
  }
  g_object_unref(parser);
  return value;
}

void restrict_ice(GstElement *webrtc) {
  GstWebRTCICE *ice = nullptr;
  g_object_get(webrtc, "ice-agent", &ice, nullptr);
  ASSERT_NE(ice, nullptr);
  g_object_set(ice, "ice-tcp", FALSE, nullptr);
  NiceAgent *agent = nullptr;
  g_object_get(ice, "agent", &agent, nullptr);
  NiceAddress address;
  nice_address_init(&address);
  ASSERT_TRUE(nice_address_set_from_string(&address, "127.0.0.1"));
  ASSERT_TRUE(nice_agent_add_local_address(agent, &address));
  g_object_unref(agent);
  gst_object_unref(ice);
}

struct Client {
  GstElement *pipeline = nullptr;
  GstElement *webrtc = nullptr;
  GstElement *sink = nullptr;
  Call *call = nullptr;
  std::vector<std::string> events;
  std::vector<std::string> failures;
  std::vector<std::int16_t> received; /* 16 kHz mono */
  GMainLoop *loop = nullptr;
  int replies_wanted = 0;
};

/* What the client sends: two utterances of real speech, each followed by
 * 1.5 s of silence, then 4 s more silence. */
std::vector<std::int16_t> client_audio(std::vector<std::size_t> &speech_ends) {
  const std::vector<std::int16_t> speech = voicekit::testing::load_raw_s16("goforward.raw");
  std::vector<std::int16_t> audio;
  for (int i = 0; i < 2; ++i) {
    audio.insert(audio.end(), speech.begin(), speech.end());
    speech_ends.push_back(audio.size());
    audio.insert(audio.end(), kRate * 3 / 2, 0);
  }
  /* A client keeps sending while it listens: replyonpause's output is
   * clocked by its input, so the echo plays out while silence comes in. */
  audio.insert(audio.end(), kRate * 4, 0);
  return audio;
}

double rms(const std::int16_t *samples, std::size_t n) {
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i)
    sum += static_cast<double>(samples[i]) * samples[i];
  return n > 0 ? std::sqrt(sum / static_cast<double>(n)) : 0.0;
}

struct Outcome {
  std::vector<std::string> events;
  std::vector<std::string> failures;
  std::vector<std::int16_t> received; /* what the client decoded, 16 kHz mono */
};

/* One client and one session in this process; returns when `replies`
 * reply-end or reply-interrupted events came (and half a second more), or after 30 s. */
void run_call(const CallConfig &config, const std::string &webrtc_id, int replies,
              Outcome &outcome) {
  Client client;
  client.replies_wanted = replies;
  client.loop = g_main_loop_new(nullptr, FALSE);
  GError *error = nullptr;
  client.pipeline = gst_parse_launch(
      "appsrc name=src format=time is-live=false "
      "caps=audio/x-raw,format=S16LE,rate=16000,channels=1,layout=interleaved "
      "! identity sync=true ! audioconvert ! audioresample ! opusenc frame-size=20 "
      "! rtpopuspay pt=111 ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111 "
      "! webrtcbin name=client bundle-policy=max-bundle latency=40 "
      "rtpopusdepay name=depay ! opusdec ! audioconvert ! audioresample "
      "! audio/x-raw,format=S16LE,rate=16000,channels=1 ! appsink name=sink sync=false",
      &error);
  ASSERT_EQ(error, nullptr) << error->message;
  client.webrtc = gst_bin_get_by_name(GST_BIN(client.pipeline), "client");
  client.sink = gst_bin_get_by_name(GST_BIN(client.pipeline), "sink");
  restrict_ice(client.webrtc);

  std::vector<std::size_t> speech_ends;
  const std::vector<std::int16_t> audio = client_audio(speech_ends);
  GstElement *src = gst_bin_get_by_name(GST_BIN(client.pipeline), "src");
  const std::size_t chunk = kRate / 50;
  for (std::size_t at = 0; at < audio.size(); at += chunk) {
    const std::size_t n = std::min(chunk, audio.size() - at);
    GstBuffer *buffer = gst_buffer_new_memdup(audio.data() + at, n * 2);
    GST_BUFFER_PTS(buffer) = gst_util_uint64_scale(at, GST_SECOND, kRate);
    GST_BUFFER_DURATION(buffer) = gst_util_uint64_scale(n, GST_SECOND, kRate);
    ASSERT_EQ(gst_app_src_push_buffer(GST_APP_SRC(src), buffer), GST_FLOW_OK);
  }
  gst_app_src_end_of_stream(GST_APP_SRC(src));
  gst_object_unref(src);

  /* The reply: every sample the client decodes. */
  GstAppSinkCallbacks sink_callbacks = {};
  sink_callbacks.new_sample = [](GstAppSink *sink, gpointer data) {
    auto *c = static_cast<Client *>(data);
    GstSample *sample = gst_app_sink_pull_sample(sink);
    GstMapInfo map;
    GstBuffer *buffer = gst_sample_get_buffer(sample);
    if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
      const auto *samples = reinterpret_cast<const std::int16_t *>(map.data);
      GST_OBJECT_LOCK(c->sink);
      c->received.insert(c->received.end(), samples, samples + map.size / 2);
      GST_OBJECT_UNLOCK(c->sink);
      gst_buffer_unmap(buffer, &map);
    }
    gst_sample_unref(sample);
    return GST_FLOW_OK;
  };
  gst_app_sink_set_callbacks(GST_APP_SINK(client.sink), &sink_callbacks, &client, nullptr);

  g_signal_connect(client.webrtc, "pad-added",
                   G_CALLBACK(+[](GstElement *webrtc, GstPad *pad, gpointer data) {
                     auto *c = static_cast<Client *>(data);
                     if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
                       return;
                     GstElement *depay = gst_bin_get_by_name(GST_BIN(c->pipeline), "depay");
                     GstPad *sink = gst_element_get_static_pad(depay, "sink");
                     gst_pad_link(pad, sink);
                     gst_object_unref(sink);
                     gst_object_unref(depay);
                   }),
                   &client);

  /* The server's session. */
  Call::Callbacks callbacks;
  callbacks.send = [&client](const std::string &json) {
    const std::string type = member(json, "type");
    if (type == "answer") {
      GstSDPMessage *sdp = nullptr;
      gst_sdp_message_new_from_text(member(json, "sdp").c_str(), &sdp);
      GstWebRTCSessionDescription *answer =
          gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
      g_signal_emit_by_name(client.webrtc, "set-remote-description", answer, nullptr);
      gst_webrtc_session_description_free(answer);
    } else if (type == "candidate" && !member(json, "candidate").empty()) {
      g_signal_emit_by_name(client.webrtc, "add-ice-candidate",
                            static_cast<guint>(std::stoul(member(json, "sdpMLineIndex"))),
                            member(json, "candidate").c_str());
    }
  };
  callbacks.event = [&client](const std::string &json) {
    client.events.push_back(json);
    int ends = 0;
    for (const std::string &event : client.events)
      ends +=
          member(event, "event") == "reply-end" || member(event, "event") == "reply-interrupted";
    if (ends == client.replies_wanted) /* all sent: let the last packets arrive */
      g_timeout_add(
          500,
          [](gpointer loop) -> gboolean {
            g_main_loop_quit(static_cast<GMainLoop *>(loop));
            return G_SOURCE_REMOVE;
          },
          client.loop);
  };
  callbacks.failed = [&client](const std::string &reason) {
    client.failures.push_back(reason);
    g_main_loop_quit(client.loop);
  };
  std::string create_error;
  std::unique_ptr<Call> call = Call::create(config, webrtc_id, std::move(callbacks), create_error);
  ASSERT_TRUE(call) << create_error;
  client.call = call.get();

  /* Client candidates trickle to the session, on the main thread. */
  g_signal_connect(client.webrtc, "on-ice-candidate",
                   G_CALLBACK(+[](GstElement *, guint mline, gchar *candidate, gpointer data) {
                     struct Job {
                       Client *client;
                       guint mline;
                       std::string candidate;
                     };
                     g_idle_add_full(
                         G_PRIORITY_DEFAULT,
                         [](gpointer job_data) -> gboolean {
                           auto *job = static_cast<Job *>(job_data);
                           job->client->call->add_remote_candidate(job->mline, job->candidate);
                           return G_SOURCE_REMOVE;
                         },
                         new Job{static_cast<Client *>(data), mline, candidate},
                         [](gpointer job) { delete static_cast<Job *>(job); });
                   }),
                   &client);

  /* The client offers; the offer goes to the session on the main thread. */
  g_signal_connect(
      client.webrtc, "on-negotiation-needed", G_CALLBACK(+[](GstElement *webrtc, gpointer data) {
        GstPromise *promise = gst_promise_new_with_change_func(
            [](GstPromise *promise, gpointer data) {
              auto *c = static_cast<Client *>(data);
              GstWebRTCSessionDescription *offer = nullptr;
              gst_structure_get(gst_promise_get_reply(promise), "offer",
                                GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, nullptr);
              g_signal_emit_by_name(c->webrtc, "set-local-description", offer, nullptr);
              gchar *text = gst_sdp_message_as_text(offer->sdp);
              gst_webrtc_session_description_free(offer);
              struct Job {
                Client *client;
                std::string sdp;
              };
              g_idle_add_full(
                  G_PRIORITY_DEFAULT,
                  [](gpointer job_data) -> gboolean {
                    auto *job = static_cast<Job *>(job_data);
                    voicekit::server::SignallingError error;
                    if (!job->client->call->handle_offer(job->sdp, error))
                      job->client->failures.push_back(error.code + ": " + error.message);
                    return G_SOURCE_REMOVE;
                  },
                  new Job{c, text}, [](gpointer job) { delete static_cast<Job *>(job); });
              g_free(text);
            },
            data, nullptr);
        g_signal_emit_by_name(webrtc, "create-offer", nullptr, promise);
        gst_promise_unref(promise);
      }),
      &client);

  ASSERT_NE(gst_element_set_state(client.pipeline, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  /* Speech plays in real time (two utterances, about 6 s); the echo of the
   * second one ends a second or so after. */
  const guint give_up = g_timeout_add_seconds(
      30,
      [](gpointer loop) -> gboolean {
        g_main_loop_quit(static_cast<GMainLoop *>(loop));
        return G_SOURCE_REMOVE;
      },
      client.loop);
  g_main_loop_run(client.loop);
  g_source_remove(give_up);

  call.reset();
  gst_element_set_state(client.pipeline, GST_STATE_NULL);
  outcome.events = client.events;
  outcome.failures = client.failures;
  outcome.received = client.received;
  gst_object_unref(client.webrtc);
  gst_object_unref(client.sink);
  gst_object_unref(client.pipeline);
  g_main_loop_unref(client.loop);
}

int count_events(const Outcome &outcome, const std::string &id, const char *name) {
  int n = 0;
  for (const std::string &event : outcome.events) {
    EXPECT_EQ(member(event, "webrtc_id"), id) << event;
    n += member(event, "event") == name;
  }
  return n;
}

} /* namespace */

TEST(Call, EchoThroughTwoWebrtcbins) {
  CallConfig config;
  config.engine = "builtin";
  Outcome outcome;
  run_call(config, "in-process-1", 2, outcome);
  EXPECT_TRUE(outcome.failures.empty()) << outcome.failures.front();

  EXPECT_EQ(count_events(outcome, "in-process-1", "connected"), 1);
  EXPECT_EQ(count_events(outcome, "in-process-1", "speech-start"), 2);
  EXPECT_EQ(count_events(outcome, "in-process-1", "pause"), 2);
  EXPECT_EQ(count_events(outcome, "in-process-1", "reply-start"), 2);
  EXPECT_EQ(count_events(outcome, "in-process-1", "reply-end"), 2);

  /* The echo came back as audio: compare the loudness of what arrived with
   * the speech sent (Opus twice and a resampler: level, not samples). */
  const std::vector<std::int16_t> &received = outcome.received;
  const std::vector<std::int16_t> speech = voicekit::testing::load_raw_s16("goforward.raw");
  const double sent_level = rms(speech.data(), speech.size());
  auto loud_ms = [sent_level](const std::vector<std::int16_t> &samples) {
    std::size_t ms = 0;
    for (std::size_t at = 0; at + 160 <= samples.size(); at += 160)
      ms += rms(samples.data() + at, 160) > sent_level * 0.1 ? 10 : 0;
    return ms;
  };
  const std::size_t sent_loud = loud_ms(speech);
  const std::size_t received_loud = loud_ms(received);
  std::printf("received %.2f s, %zu ms of it loud; each utterance sent has %zu ms loud\n",
              received.size() / double(kRate), received_loud, sent_loud);
  /* Both echoes, give or take what Opus and resampling do to the level; and
   * not much more (the reply is the echo, nothing else). */
  EXPECT_GT(received_loud, sent_loud * 2 * 7 / 10);
  EXPECT_LT(received_loud, sent_loud * 2 * 12 / 10);
  EXPECT_EQ(Call::pipelines_alive(), 0);
}

/* The spoken handler: pocketsphinx hears "go forward ten meters", espeak-ng
 * answers "You said ..."; the transcript is an event of the session and the
 * spoken answer arrives at the client. */
TEST(Call, SpokenAnswer) {
  CallConfig config;
  config.engine = "builtin";
  config.handler = "spoken";
  config.transcriber = std::make_shared<voicekit::server::Transcriber>();
  Outcome outcome;
  run_call(config, "in-process-spoken", 2, outcome);
  EXPECT_TRUE(outcome.failures.empty()) << outcome.failures.front();
  /* The second utterance starts 1.5 s after the first: it may cut the
   * first answer (barge-in), and the answer to it plays to its end. */
  EXPECT_EQ(count_events(outcome, "in-process-spoken", "reply-end") +
                count_events(outcome, "in-process-spoken", "reply-interrupted"),
            2);
  EXPECT_EQ(count_events(outcome, "in-process-spoken", "reply-start"), 2);
  EXPECT_EQ(count_events(outcome, "in-process-spoken", "handler-error"), 0);
  std::vector<std::string> transcripts;
  for (const std::string &event : outcome.events)
    if (member(event, "event") == "transcript")
      transcripts.push_back(member(event, "text"));
  ASSERT_EQ(transcripts.size(), 2u);
  for (const std::string &text : transcripts) {
    std::printf("transcript: \"%s\"\n", text.c_str());
    EXPECT_NE(text.find("forward"), std::string::npos) << text;
  }
  /* About a second and a half of espeak-ng per answer came back. */
  std::size_t loud_ms = 0;
  for (std::size_t at = 0; at + 160 <= outcome.received.size(); at += 160)
    loud_ms += rms(outcome.received.data() + at, 160) > 300 ? 10 : 0;
  std::printf("received %zu ms of loud audio\n", loud_ms);
  EXPECT_GT(loud_ms, 1000u);
  EXPECT_EQ(Call::pipelines_alive(), 0);
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  if (!voicekit::load_build_tree_plugin("test-call"))
    return 1;
  testing::InitGoogleTest(&argc, argv);
  const int status = RUN_ALL_TESTS();
  /* Under the leaks tracer (GST_TRACERS=leaks, tests/webrtc/meson.build),
   * gst_deinit() logs an "object-alive" record for each GstObject and
   * GstMiniObject still alive, then warns "Leaks detected". Any of them fails
   * the test, but one: dtlsdec (gst-plugins-bad) keeps every GstDtlsAgent it
   * makes in a static cache for the life of the process, by design. Any other
   * warning or critical during gst_deinit() fails it too. */
  static std::vector<std::string> leaked;
  static bool warned = false;
  gst_debug_set_threshold_for_name("GST_TRACER", GST_LEVEL_TRACE);
  (gst_debug_add_log_function)(/* the function, not the macro (C casts) */
                               [](GstDebugCategory *category, GstDebugLevel, const gchar *,
                                  const gchar *, gint, GObject *, GstDebugMessage *message,
                                  gpointer) {
                                 const gchar *text = gst_debug_message_get(message);
                                 if (g_strcmp0(gst_debug_category_get_name(category),
                                               "GST_TRACER") == 0 &&
                                     text && g_str_has_prefix(text, "object-alive,") &&
                                     !g_str_has_prefix(
                                         text, "object-alive, type-name=(string)GstDtlsAgent,"))
                                   leaked.emplace_back(text);
                               },
                               nullptr, nullptr);
  g_log_set_default_handler(
      [](const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer) {
        if ((level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) &&
            !g_str_has_prefix(message, "Leaks detected"))
          warned = true;
        g_log_default_handler(domain, level, message, nullptr);
      },
      nullptr);
  gst_deinit();
  for (const std::string &record : leaked)
    std::fprintf(stderr, "test-call: leaked: %s\n", record.c_str());
  if (!leaked.empty() || warned) {
    std::fprintf(stderr, "test-call: %zu object(s) leaked, %s warning at gst_deinit(): FAIL\n",
                 leaked.size(), warned ? "a" : "no");
    return 1;
  }
  return status;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * 100 sessions in one process: replyonpause handler=signals under load.
 *
 * Each session is its own pipeline
 *   appsrc ! sessiontag webrtc-id=s<N> ! pausedetect ! replyonpause handler=signals ! appsink
 * fed (not live) with real speech in two turns (pocketsphinx-testdata's
 * goforward.raw, 1.5 s apart). All 100 play at the same time. The `utterance`
 * handler, run by the element's worker threads, checks whose utterance it
 * got (current context, the sample's buffer meta and info), then replies in
 * four chunks with small random sleeps between them: even sessions from the
 * handler's own thread, odd ones from a thread the handler starts (push-reply
 * and end-reply are allowed from any thread).
 *
 * The reply chunks are in the output's format (16 kHz mono S16), so they
 * reach the appsink sample for sample, and each sample value names its
 * session, utterance and chunk: any audio crossing sessions shows. Checked,
 * with every mismatch counted (and the first ones described):
 *   - every utterance delivered: current-context webrtc-id == the sample's
 *     buffer meta id == its info's webrtc-id == the pipeline's id; the
 *     handler runs off the pipeline's streaming thread;
 *   - every output buffer carries the pipeline's id (meta); every reply
 *     sample on an appsink belongs to that pipeline's session;
 *   - every replyonpause message carries the pipeline's id; per session:
 *     utterance, reply-start, reply-end for utterances 1 and 2, in order;
 *   - every session got both replies, whole (4 x 40 ms each, exactly).
 */
/* The standard headers first: check.h defines a `fail` macro that breaks
 * <ios> (std::basic_ios::fail) when it comes before it. */
#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gst/audio/audio.h>
#include <gst/check/gstcheck.h>
#include <gst/voicekit/voicekit.h>

#include "../common/speech.hpp"

namespace {

constexpr int kSessions = 100;
constexpr int kRate = 16000;
constexpr guint kSpanFrames = kRate / 50;  /* 20 ms input buffers */
constexpr int kChunks = 4;                 /* reply chunks per utterance */
constexpr guint kChunkFrames = kRate / 25; /* 40 ms each */
constexpr guint64 kUtterances = 2;
constexpr const char *kCaps = "audio/x-raw,format=S16LE,layout=interleaved,rate=16000,channels=1";

/* The sample value of reply chunk `chunk` to utterance `utterance` of
 * session `index`: unique per (session, utterance, chunk), never 0. */
gint16 marker(int index, guint64 utterance, int chunk) {
  return static_cast<gint16>(1000 + index * 20 + static_cast<int>(utterance) * kChunks + chunk);
}

struct Marker {
  int index = -1;
  guint64 utterance = 0;
  int chunk = -1;
};

Marker decode(gint16 value) {
  Marker m;
  const int v = value - 1000;
  if (v < 0)
    return m;
  m.index = v / 20;
  const int rest = v % 20;
  m.utterance = static_cast<guint64>(rest / kChunks);
  m.chunk = rest % kChunks;
  return m;
}

std::atomic<int> mismatches{0};
std::atomic<int> in_flight{0};
std::atomic<int> max_in_flight{0};
std::mutex problems_mutex;
std::vector<std::string> problems; /* the first mismatches, described */

void mismatch(const std::string &what) {
  mismatches++;
  std::lock_guard<std::mutex> lock(problems_mutex);
  if (problems.size() < 20)
    problems.push_back(what);
}

struct Message {
  std::string event;
  guint64 utterance = 0;
  std::string webrtc_id;
};

struct Session {
  int index = 0;
  std::string id;
  GstElement *pipeline = nullptr;
  GstElement *reply = nullptr; /* borrowed from the pipeline */

  std::mutex mutex;
  std::set<std::thread::id> streaming_threads;
  std::vector<guint64> handled; /* utterances the handler got */
  std::vector<std::thread> pushers;
  int push_refused = 0;
  int end_refused = 0;
  int reply_stops = 0;

  /* appsink: the streaming thread only, read after EOS */
  guint64 out_buffers = 0;
  guint64 reply_buffers = 0;
  std::map<guint64, guint64> reply_frames; /* per utterance */
  std::vector<Message> messages;
  std::vector<std::string> errors;
  bool eos = false;
};

std::string or_empty(const gchar *text) {
  return text != nullptr ? text : "";
}

GstPadProbeReturn on_streaming(GstPad *, GstPadProbeInfo *, gpointer data) {
  auto *session = static_cast<Session *>(data);
  std::lock_guard<std::mutex> lock(session->mutex);
  session->streaming_threads.insert(std::this_thread::get_id());
  return GST_PAD_PROBE_OK;
}

/* Sends the reply: kChunks chunks with 0 to 3 ms between them. */
void send_reply(Session *session, GstElement *element, guint64 utterance, bool check_current) {
  std::mt19937 random(static_cast<unsigned>(session->index * 7919 + utterance));
  std::uniform_int_distribution<int> sleep_us(0, 3000);
  GstCaps *caps = gst_caps_from_string(kCaps);
  int refused = 0;
  for (int chunk = 0; chunk < kChunks; chunk++) {
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us(random)));
    if (check_current) {
      GstVoiceKitSessionContext *current = gst_voicekit_session_context_get_current();
      const std::string id =
          current != nullptr ? gst_voicekit_session_context_get_webrtc_id(current) : "(none)";
      if (current != nullptr)
        gst_voicekit_session_context_unref(current);
      if (id != session->id)
        mismatch(session->id + ": current context during the reply is " + id);
    }
    GstBuffer *buffer = gst_buffer_new_allocate(nullptr, kChunkFrames * 2, nullptr);
    GstMapInfo map;
    gst_buffer_map(buffer, &map, GST_MAP_WRITE);
    std::fill_n(reinterpret_cast<gint16 *>(map.data), kChunkFrames,
                marker(session->index, utterance, chunk));
    gst_buffer_unmap(buffer, &map);
    GstSample *sample = gst_sample_new(buffer, caps, nullptr, nullptr);
    gst_buffer_unref(buffer);
    gboolean ok = FALSE;
    g_signal_emit_by_name(element, "push-reply", utterance, sample, &ok);
    gst_sample_unref(sample);
    if (!ok)
      refused++;
  }
  gst_caps_unref(caps);
  gboolean ended = FALSE;
  g_signal_emit_by_name(element, "end-reply", utterance, &ended);
  std::lock_guard<std::mutex> lock(session->mutex);
  session->push_refused += refused;
  if (!ended)
    session->end_refused++;
}

/* The `utterance` signal: a worker thread of the element. */
void on_utterance(GstElement *element, guint64 utterance, GstSample *sample, gpointer data) {
  auto *session = static_cast<Session *>(data);
  const int now = ++in_flight;
  int seen = max_in_flight.load();
  while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
  }

  GstVoiceKitSessionContext *current = gst_voicekit_session_context_get_current();
  const std::string current_id =
      current != nullptr ? gst_voicekit_session_context_get_webrtc_id(current) : "(none)";
  if (current != nullptr)
    gst_voicekit_session_context_unref(current);
  GstBuffer *buffer = gst_sample_get_buffer(sample);
  const std::string meta_id =
      buffer != nullptr ? or_empty(gst_voicekit_buffer_get_webrtc_id(buffer)) : "(no buffer)";
  const GstStructure *info = gst_sample_get_info(sample);
  const std::string info_id =
      info != nullptr ? or_empty(gst_structure_get_string(info, "webrtc-id")) : "(no info)";
  if (current_id != session->id || meta_id != session->id || info_id != session->id)
    mismatch(session->id + " utterance " + std::to_string(utterance) + ": current " + current_id +
             ", buffer meta " + meta_id + ", info " + info_id);
  {
    std::lock_guard<std::mutex> lock(session->mutex);
    session->handled.push_back(utterance);
    if (session->streaming_threads.count(std::this_thread::get_id()) > 0)
      mismatch(session->id + ": the handler runs on the streaming thread");
  }

  if (session->index % 2 == 0) {
    send_reply(session, element, utterance, true);
  } else {
    GstElement *ref = GST_ELEMENT(gst_object_ref(element));
    std::lock_guard<std::mutex> lock(session->mutex);
    session->pushers.emplace_back([session, ref, utterance] {
      send_reply(session, ref, utterance, false);
      gst_object_unref(ref);
    });
  }
  in_flight--;
}

void on_reply_stop(GstElement *, guint64 utterance, gpointer data) {
  auto *session = static_cast<Session *>(data);
  std::lock_guard<std::mutex> lock(session->mutex);
  session->reply_stops++;
  mismatch(session->id + ": reply-stop for utterance " + std::to_string(utterance));
}

GstFlowReturn on_new_sample(GstElement *appsink, gpointer data) {
  auto *session = static_cast<Session *>(data);
  GstSample *sample = nullptr;
  g_signal_emit_by_name(appsink, "pull-sample", &sample);
  if (sample == nullptr)
    return GST_FLOW_ERROR;
  GstBuffer *buffer = gst_sample_get_buffer(sample);
  session->out_buffers++;
  const std::string id = or_empty(gst_voicekit_buffer_get_webrtc_id(buffer));
  if (id != session->id)
    mismatch(session->id + ": output buffer with webrtc-id '" + id + "'");
  GstMapInfo map;
  if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    const auto *samples = reinterpret_cast<const gint16 *>(map.data);
    bool has_reply = false;
    int foreign = 0;
    for (gsize i = 0; i < map.size / 2; i++) {
      if (samples[i] == 0)
        continue;
      has_reply = true;
      const Marker m = decode(samples[i]);
      if (m.index == session->index && m.utterance >= 1 && m.utterance <= kUtterances)
        session->reply_frames[m.utterance]++;
      else
        foreign++;
    }
    gst_buffer_unmap(buffer, &map);
    if (has_reply)
      session->reply_buffers++;
    if (foreign > 0)
      mismatch(session->id + ": " + std::to_string(foreign) +
               " output samples not from its own replies");
  }
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

/* One bus message; true at EOS or an error. */
bool take_message(Session &session, GstMessage *message) {
  bool done = false;
  switch (GST_MESSAGE_TYPE(message)) {
  case GST_MESSAGE_EOS:
    session.eos = true;
    done = true;
    break;
  case GST_MESSAGE_ERROR:
  case GST_MESSAGE_WARNING: {
    GError *error = nullptr;
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR)
      gst_message_parse_error(message, &error, nullptr);
    else
      gst_message_parse_warning(message, &error, nullptr);
    session.errors.push_back(error->message);
    g_error_free(error);
    done = GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR;
    break;
  }
  case GST_MESSAGE_ELEMENT: {
    const GstStructure *s = gst_message_get_structure(message);
    if (gst_structure_has_name(s, "replyonpause")) {
      Message m;
      m.event = or_empty(gst_structure_get_string(s, "event"));
      gst_structure_get_uint64(s, "utterance", &m.utterance);
      m.webrtc_id = or_empty(gst_structure_get_string(s, "webrtc-id"));
      if (m.webrtc_id != session.id)
        mismatch(session.id + ": " + m.event + " message with webrtc-id '" + m.webrtc_id + "'");
      session.messages.push_back(m);
    }
    break;
  }
  default:
    break;
  }
  return done;
}

/* Real speech, two turns, in 20 ms buffers (shared read-only memory). */
std::vector<GstBuffer *> speech_buffers() {
  const std::vector<gint16> samples = voicekit::testing::two_turns(kRate);
  std::vector<GstBuffer *> buffers;
  for (std::size_t done = 0; done < samples.size(); done += kSpanFrames) {
    const std::size_t count = std::min<std::size_t>(kSpanFrames, samples.size() - done);
    GstBuffer *buffer = gst_buffer_new_memdup(samples.data() + done, count * sizeof(gint16));
    GST_BUFFER_PTS(buffer) = gst_util_uint64_scale_int(done, GST_SECOND, kRate);
    GST_BUFFER_DURATION(buffer) = gst_util_uint64_scale_int(count, GST_SECOND, kRate);
    buffers.push_back(buffer);
  }
  return buffers;
}

void on_finalized(gpointer data, GObject *) {
  static_cast<std::atomic<int> *>(data)->fetch_sub(1);
}

} /* namespace */

GST_START_TEST(test_hundred_concurrent_sessions) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<GstBuffer *> input = speech_buffers();
  std::vector<std::unique_ptr<Session>> sessions;
  std::atomic<int> alive{0}; /* replyonpause instances not yet finalized */

  for (int n = 0; n < kSessions; n++) {
    auto session = std::make_unique<Session>();
    session->index = n;
    session->id = "s" + std::to_string(n);
    gchar *description = g_strdup_printf(
        "appsrc name=src format=time max-bytes=0 block=false caps=%s ! "
        "sessiontag webrtc-id=%s ! pausedetect ! replyonpause name=reply handler=signals ! "
        "appsink name=sink sync=false emit-signals=true caps=%s",
        kCaps, session->id.c_str(), kCaps);
    GError *error = nullptr;
    session->pipeline = gst_parse_launch(description, &error);
    g_free(description);
    fail_unless(session->pipeline != nullptr && error == nullptr, "pipeline: %s",
                error != nullptr ? error->message : "?");
    session->reply = gst_bin_get_by_name(GST_BIN(session->pipeline), "reply");
    alive++;
    g_object_weak_ref(G_OBJECT(session->reply), on_finalized, &alive);
    g_signal_connect(session->reply, "utterance", G_CALLBACK(on_utterance), session.get());
    g_signal_connect(session->reply, "reply-stop", G_CALLBACK(on_reply_stop), session.get());
    GstPad *sinkpad = gst_element_get_static_pad(session->reply, "sink");
    gst_pad_add_probe(sinkpad,
                      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                                   GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                      on_streaming, session.get(), nullptr);
    gst_object_unref(sinkpad);
    gst_object_unref(session->reply); /* the pipeline keeps it */
    GstElement *sink = gst_bin_get_by_name(GST_BIN(session->pipeline), "sink");
    g_signal_connect(sink, "new-sample", G_CALLBACK(on_new_sample), session.get());
    gst_object_unref(sink);

    /* not live: the whole input queued before PLAYING */
    GstElement *src = gst_bin_get_by_name(GST_BIN(session->pipeline), "src");
    for (GstBuffer *buffer : input) {
      GstBuffer *copy = gst_buffer_copy(buffer); /* shares the memory */
      GstFlowReturn ret = GST_FLOW_ERROR;
      g_signal_emit_by_name(src, "push-buffer", copy, &ret);
      gst_buffer_unref(copy);
      fail_unless_equals_int(ret, GST_FLOW_OK);
    }
    GstFlowReturn ret = GST_FLOW_ERROR;
    g_signal_emit_by_name(src, "end-of-stream", &ret);
    gst_object_unref(src);
    sessions.push_back(std::move(session));
  }
  for (GstBuffer *buffer : input)
    gst_buffer_unref(buffer);

  for (auto &session : sessions)
    fail_unless_equals_int(gst_element_set_state(session->pipeline, GST_STATE_PLAYING),
                           GST_STATE_CHANGE_ASYNC);

  /* All play at once; collect each one's messages up to its EOS. */
  const gint64 deadline = g_get_monotonic_time() + 120 * G_TIME_SPAN_SECOND;
  for (auto &session : sessions) {
    GstBus *bus = gst_element_get_bus(session->pipeline);
    const auto types = static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR |
                                                   GST_MESSAGE_WARNING | GST_MESSAGE_ELEMENT);
    bool done = false;
    while (!done) {
      const gint64 left = deadline - g_get_monotonic_time();
      GstMessage *message =
          gst_bus_timed_pop_filtered(bus, left > 0 ? left * GST_USECOND : 0, types);
      if (message == nullptr) {
        session->errors.push_back("no EOS in time");
        break;
      }
      done = take_message(*session, message);
      gst_message_unref(message);
    }
    gst_object_unref(bus);
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  for (auto &session : sessions) {
    fail_unless_equals_int(gst_element_set_state(session->pipeline, GST_STATE_NULL),
                           GST_STATE_CHANGE_SUCCESS);
    std::vector<std::thread> pushers;
    {
      std::lock_guard<std::mutex> lock(session->mutex);
      pushers.swap(session->pushers);
    }
    for (std::thread &pusher : pushers)
      pusher.join();
    gst_object_unref(session->pipeline);
  }
  /* Workers drop their element reference after the handler returns. */
  for (int i = 0; i < 500 && alive.load() > 0; i++)
    g_usleep(10000);
  fail_unless_equals_int(alive.load(), 0);

  /* every session, every reply */
  int sessions_ok = 0;
  int reported = 0;
  const std::vector<std::string> expected_events = {"utterance:1", "reply-start:1", "reply-end:1",
                                                    "utterance:2", "reply-start:2", "reply-end:2"};
  for (auto &session : sessions) {
    std::vector<std::string> events;
    for (const Message &m : session->messages)
      events.push_back(m.event + ":" + std::to_string(m.utterance));
    std::vector<guint64> handled = session->handled;
    std::sort(handled.begin(), handled.end());
    const bool ok = session->eos && session->errors.empty() && events == expected_events &&
                    handled == std::vector<guint64>{1, 2} && session->push_refused == 0 &&
                    session->end_refused == 0 && session->reply_stops == 0 &&
                    session->reply_frames[1] == kChunks * kChunkFrames &&
                    session->reply_frames[2] == kChunks * kChunkFrames &&
                    session->reply_buffers > 0;
    if (ok) {
      sessions_ok++;
    } else {
      std::string what = session->id + ":";
      for (const std::string &e : events)
        what += " " + e;
      what += " | handled " + std::to_string(handled.size()) + ", reply frames " +
              std::to_string(session->reply_frames[1]) + "/" +
              std::to_string(session->reply_frames[2]) + ", refused " +
              std::to_string(session->push_refused) + "/" + std::to_string(session->end_refused);
      for (const std::string &e : session->errors)
        what += " | " + e;
      if (reported++ < 5)
        g_printerr("incomplete: %s\n", what.c_str());
    }
  }
  for (const std::string &p : problems)
    g_printerr("mismatch: %s\n", p.c_str());
  g_printerr("%d sessions, %d complete, %d mismatches, up to %d handlers at once, %.2f s\n",
             kSessions, sessions_ok, mismatches.load(), max_in_flight.load(), elapsed);

  fail_unless_equals_int(mismatches.load(), 0);
  fail_unless_equals_int(sessions_ok, kSessions);
  fail_unless(max_in_flight.load() >= 2, "handlers never ran concurrently");
}
GST_END_TEST;

static Suite *replyonpause_sessions_suite(void) {
  Suite *s = suite_create("replyonpause-sessions");
  TCase *tc = tcase_create("sessions");
  suite_add_tcase(s, tc);
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, test_hundred_concurrent_sessions);
  return s;
}

GST_CHECK_MAIN(replyonpause_sessions);

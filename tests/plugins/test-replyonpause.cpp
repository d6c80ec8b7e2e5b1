/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * gst-check tests of the replyonpause element's normal behaviour: what each
 * handler gets and what comes out, messages, timing, interruption, greeting,
 * gaps, format conversion and properties. (Faults — failing or hanging
 * handlers, EOS, FLUSH — live in test-replyonpause-faults.cpp.)
 */
/* Standard headers first: gst-check defines `fail`. */
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>
#include <glib/gstdio.h>
#include <unistd.h>

#include "../common/reply-input.hpp"
#include "../common/session-checks.hpp"
#include "../common/speech.hpp"

#include <gst/audio/audio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/voicekit/voicekit.h>

using namespace voicekit::testing;

/* ---- time ------------------------------------------------------------------- */

constexpr GstClockTime kMs = GST_MSECOND;

/* Output sample index of a running time (output sample 0 is at running
 * time 0 in these tests: the first input buffer starts at 0), rounded: at
 * 24 kHz a sample is not a whole number of nanoseconds. */
static guint64 frame_at(GstClockTime time, int rate = kReplyRate) {
  return gst_util_uint64_scale_int_round(time, rate, GST_SECOND);
}

/* ---- messages --------------------------------------------------------------- */

struct ReplyMessage {
  std::string event;
  guint64 utterance = 0;
  guint64 running_time = GST_CLOCK_TIME_NONE;
  guint64 stream_time = GST_CLOCK_TIME_NONE;
  std::string webrtc_id; /* "" without the field */
  bool has_utterance = false;
  bool has_latency = false;
  guint64 latency = 0;
  bool has_duration = false;
  guint64 duration = 0;
  bool has_truncated = false;
  gboolean truncated = FALSE;
  std::string error;
  std::string key() const { return event + ":" + std::to_string(utterance); }
};

static ReplyMessage reply_message_from(const GstStructure *s) {
  ReplyMessage m;
  const gchar *event = gst_structure_get_string(s, "event");
  m.event = event != nullptr ? event : "";
  m.has_utterance = gst_structure_get_uint64(s, "utterance", &m.utterance);
  fail_unless(gst_structure_get_uint64(s, "running-time", &m.running_time), "%s: no running-time",
              m.event.c_str());
  fail_unless(gst_structure_get_uint64(s, "stream-time", &m.stream_time), "%s: no stream-time",
              m.event.c_str());
  const gchar *id = gst_structure_get_string(s, "webrtc-id");
  m.webrtc_id = id != nullptr ? id : "";
  m.has_latency = gst_structure_get_uint64(s, "latency", &m.latency);
  m.has_duration = gst_structure_get_uint64(s, "duration", &m.duration);
  m.has_truncated = gst_structure_get_boolean(s, "truncated", &m.truncated);
  const gchar *error = gst_structure_get_string(s, "error");
  m.error = error != nullptr ? error : "";
  return m;
}

static std::vector<std::string> keys_of(const std::vector<ReplyMessage> &messages) {
  std::vector<std::string> keys;
  for (const ReplyMessage &m : messages)
    keys.push_back(m.key());
  return keys;
}

static std::string joined(const std::vector<std::string> &items) {
  std::string text;
  for (const std::string &item : items)
    text += (text.empty() ? "" : " ") + item;
  return text;
}

/* A handler branch looping back into replyonpause (utterance_src ... !
 * reply_sink) is a cycle in the bin's graph: GstBin says so with a
 * g_warning at each state change, which gst-check would make fatal. */
static gboolean count_loop_warning(const gchar *, GLogLevelFlags, const gchar *, gpointer data) {
  g_atomic_int_inc(static_cast<gint *>(data));
  return TRUE; /* discard */
}
static void allow_bin_loop_warning(gint *count) {
  gst_check_add_log_filter("GStreamer", G_LOG_LEVEL_WARNING,
                           g_regex_new("loop detected in the graph of bin", GRegexCompileFlags(0),
                                       GRegexMatchFlags(0), nullptr),
                           count_loop_warning, count, nullptr);
}

static void expect_keys(const std::vector<ReplyMessage> &messages,
                        const std::vector<std::string> &expected) {
  const std::vector<std::string> got = keys_of(messages);
  fail_unless(got == expected, "replyonpause messages: got [%s], expected [%s]",
              joined(got).c_str(), joined(expected).c_str());
}

/* ---- samples ------------------------------------------------------------------ */

static void expect_samples(const std::vector<gint16> &out, guint64 from, guint64 count,
                           const std::function<gint16(guint64)> &expected, const char *what,
                           int tolerance = 0) {
  fail_unless(out.size() >= from + count,
              "%s: the output has %zu samples, needs %" G_GUINT64_FORMAT, what, out.size(),
              from + count);
  for (guint64 i = 0; i < count; i++) {
    const int want = expected(i);
    if (std::abs(out[from + i] - want) > tolerance)
      fail("%s: output sample %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT
           " into the span) is %d, expected %d",
           what, from + i, i, out[from + i], want);
  }
}

static void expect_silence(const std::vector<gint16> &out, guint64 from, guint64 count,
                           const char *what) {
  expect_samples(
      out, from, count, [](guint64) { return gint16(0); }, what);
}

/* The utterance as it came in, from input frame `first_input_frame` on. */
static void expect_utterance(const std::vector<gint16> &out, guint64 from, guint64 count,
                             guint64 first_input_frame, const char *what) {
  expect_samples(
      out, from, count, [&](guint64 i) { return input_sample(first_input_frame + i); }, what);
}

static guint64 count_value(const std::vector<gint16> &out, gint16 value, guint64 from = 0,
                           guint64 to = G_MAXUINT64) {
  guint64 n = 0;
  for (guint64 i = from; i < std::min<guint64>(to, out.size()); i++)
    n += out[i] == value;
  return n;
}

static gint64 first_index_of(const std::vector<gint16> &out, gint16 value) {
  for (gsize i = 0; i < out.size(); i++)
    if (out[i] == value)
      return static_cast<gint64>(i);
  return -1;
}

static GstSample *s16_sample(const std::vector<gint16> &samples, int rate = kReplyRate,
                             int channels = 1) {
  GstBuffer *buffer = gst_buffer_new_memdup(samples.data(), samples.size() * sizeof(gint16));
  GstAudioInfo info;
  gst_audio_info_set_format(&info, GST_AUDIO_FORMAT_S16LE, rate, channels, nullptr);
  GstCaps *caps = gst_audio_info_to_caps(&info);
  GstSample *sample = gst_sample_new(buffer, caps, nullptr, nullptr);
  gst_caps_unref(caps);
  gst_buffer_unref(buffer);
  return sample;
}

static GstSample *f32_sample(const std::vector<float> &samples, int rate, int channels) {
  GstBuffer *buffer = gst_buffer_new_memdup(samples.data(), samples.size() * sizeof(float));
  GstAudioInfo info;
  gst_audio_info_set_format(&info, GST_AUDIO_FORMAT_F32LE, rate, channels, nullptr);
  GstCaps *caps = gst_audio_info_to_caps(&info);
  GstSample *sample = gst_sample_new(buffer, caps, nullptr, nullptr);
  gst_caps_unref(caps);
  gst_buffer_unref(buffer);
  return sample;
}

static std::vector<gint16> samples_of(GstBuffer *buffer) {
  std::vector<gint16> samples(gst_buffer_get_size(buffer) / 2);
  gst_buffer_extract(buffer, 0, samples.data(), samples.size() * 2);
  return samples;
}

/* ---- the element's action signals ------------------------------------------- */

static gboolean push_reply(GstElement *element, guint64 utterance, GstSample *sample) {
  gboolean ok = FALSE;
  g_signal_emit_by_name(element, "push-reply", utterance, sample, &ok);
  return ok;
}

static gboolean push_reply_values(GstElement *element, guint64 utterance,
                                  const std::vector<gint16> &samples) {
  GstSample *sample = s16_sample(samples);
  const gboolean ok = push_reply(element, utterance, sample);
  gst_sample_unref(sample);
  return ok;
}

static gboolean end_reply(GstElement *element, guint64 utterance) {
  gboolean ok = FALSE;
  g_signal_emit_by_name(element, "end-reply", utterance, &ok);
  return ok;
}

/* Signal handlers as std::function (declare them before the Rig so they
 * outlive the element). */
using UtteranceFn = std::function<void(GstElement *, guint64, GstSample *)>;
using GreetingFn = std::function<gboolean(GstElement *, GstVoiceKitSessionContext *, guint64)>;
using StopFn = std::function<void(GstElement *, guint64)>;

static void on_utterance(GstElement *element, guint64 utterance, GstSample *sample, gpointer data) {
  (*static_cast<UtteranceFn *>(data))(element, utterance, sample);
}
static gboolean on_greeting(GstElement *element, GstVoiceKitSessionContext *context, guint64 number,
                            gpointer data) {
  return (*static_cast<GreetingFn *>(data))(element, context, number);
}
static void on_reply_stop(GstElement *element, guint64 utterance, gpointer data) {
  (*static_cast<StopFn *>(data))(element, utterance);
}

static std::string current_webrtc_id() {
  GstVoiceKitSessionContext *current = gst_voicekit_session_context_get_current();
  if (current == nullptr)
    return "";
  std::string id = gst_voicekit_session_context_get_webrtc_id(current);
  gst_voicekit_session_context_unref(current);
  return id;
}

/* A flag another thread sets, with a bounded wait. */
struct Gate {
  std::mutex mutex;
  std::condition_variable cond;
  bool open = false;
  void release() {
    std::lock_guard<std::mutex> lock(mutex);
    open = true;
    cond.notify_all();
  }
  bool wait(int timeout_ms = 10000) {
    std::unique_lock<std::mutex> lock(mutex);
    return cond.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return open; });
  }
  bool is_open() {
    std::lock_guard<std::mutex> lock(mutex);
    return open;
  }
};

/* ---- the rig: a ReplyInput with the replyonpause inside, a bus, the output ---- */

static GstElement *find_reply_element(GstElement *element) {
  if (!GST_IS_BIN(element))
    return GST_ELEMENT(gst_object_ref(element));
  GstIterator *it = gst_bin_iterate_recurse(GST_BIN(element));
  GstElement *found = nullptr;
  GValue item = G_VALUE_INIT;
  while (found == nullptr && gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    auto *child = GST_ELEMENT(g_value_get_object(&item));
    GstElementFactory *factory = gst_element_get_factory(child);
    if (factory != nullptr &&
        g_str_equal(gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(factory)), "replyonpause"))
      found = GST_ELEMENT(gst_object_ref(child));
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  fail_unless(found != nullptr, "no replyonpause in the harness");
  return found;
}

/* Waits for an object's finalization: handler threads hold the element a
 * little after a reply; the leaks tracer must not see it alive at exit. */
class FinalizeWatch {
public:
  void watch(gpointer object) { g_object_weak_ref(G_OBJECT(object), &FinalizeWatch::notify, this); }
  void wait(int timeout_ms = 5000) {
    std::unique_lock<std::mutex> lock(mutex_);
    fail_unless(
        cond_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return done_; }),
        "replyonpause was not finalized after the harness was torn down");
  }

private:
  static void notify(gpointer data, GObject *) {
    auto *self = static_cast<FinalizeWatch *>(data);
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->done_ = true;
    self->cond_.notify_all();
  }
  std::mutex mutex_;
  std::condition_variable cond_;
  bool done_ = false;
};

struct Rig {
  std::unique_ptr<ReplyInput> in;
  GstElement *reply = nullptr; /* the replyonpause (a reference) */
  GstBus *bus = nullptr;
  ReplyOutput out;
  std::vector<ReplyMessage> messages;
  std::vector<std::string> errors; /* error messages: message + debug */
  FinalizeWatch finalized;

  explicit Rig(const char *description, bool live = false, const char *webrtc_id = "caller-1",
               GstCaps *out_caps = nullptr)
      : in(std::make_unique<ReplyInput>(description, live, webrtc_id, out_caps)) {
    reply = find_reply_element(in->element());
    finalized.watch(reply);
    bus = gst_bus_new();
    gst_element_set_bus(in->element(), bus);
  }
  ~Rig() { finish(); }
  Rig(const Rig &) = delete;
  Rig &operator=(const Rig &) = delete;

  GstHarness *h() const { return in->h; }

  void pop_messages() {
    GstMessage *message;
    while ((message = gst_bus_pop(bus)) != nullptr) {
      if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ELEMENT) {
        const GstStructure *s = gst_message_get_structure(message);
        if (gst_structure_has_name(s, "replyonpause"))
          messages.push_back(reply_message_from(s));
      } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
        GError *error = nullptr;
        gchar *debug = nullptr;
        gst_message_parse_error(message, &error, &debug);
        errors.push_back(std::string(error->message) + " | " + (debug != nullptr ? debug : ""));
        g_error_free(error);
        g_free(debug);
      }
      gst_message_unref(message);
    }
  }
  /* Output buffers and messages so far. */
  void collect() {
    out.pull_all(in->h);
    pop_messages();
  }
  bool has_message(const std::string &key) const {
    for (const ReplyMessage &m : messages)
      if (m.key() == key)
        return true;
    return false;
  }
  const ReplyMessage &message(const std::string &key) const {
    for (const ReplyMessage &m : messages)
      if (m.key() == key)
        return m;
    fail("no %s message", key.c_str());
    return messages.front();
  }

  /* Live tests: pushes one span at a time (handlers work meanwhile) until
   * `done` holds; FALSE when it did not within `max_spans`. */
  bool pump_until(const std::function<bool()> &done, guint max_spans = 500) {
    for (guint i = 0; i < max_spans; i++) {
      collect();
      if (done())
        return true;
      fail_unless_equals_int(in->push_spans(1), GST_FLOW_OK);
      g_usleep(2000);
    }
    collect();
    return done();
  }

  /* Tears the harness down (the element stops); call finalized.wait() after
   * releasing anything else holding the element. No test here expects an
   * error message. */
  void teardown() {
    if (!in)
      return;
    collect();
    fail_unless(errors.empty(), "error message: %s", errors.empty() ? "" : errors[0].c_str());
    gst_element_set_bus(in->element(), nullptr);
    gst_bus_set_flushing(bus, TRUE);
    gst_object_unref(bus);
    gst_object_unref(reply);
    in.reset();
  }
  void finish() {
    if (!in)
      return;
    teardown();
    finalized.wait();
  }
};

/* ---- scripts ------------------------------------------------------------------ */

constexpr GstClockTime kOnset1 = 100 * kMs;
constexpr GstClockTime kPause1 = 1000 * kMs;
constexpr GstClockTime kOnset2 = 2200 * kMs;
constexpr GstClockTime kPause2 = 3100 * kMs;
constexpr GstClockTime kUtterance = 900 * kMs; /* onset to pause */
constexpr GstClockTime kOneTurnEnd = 2200 * kMs;
constexpr GstClockTime kTwoTurnsEnd = 4300 * kMs;

/* 100 ms lead-in; turn 1 (onset 100 ms, 400 ms "speech", pause decided at
 * 1000 ms); 1.2 s; turn 2 (onset 2200 ms, pause at 3100 ms); 1.2 s. */
static void play_two_turns(ReplyInput &in, guint turns = 2) {
  fail_unless_equals_int(in.push_spans(5), GST_FLOW_OK);
  fail_unless_equals_uint64(in.turn(1), kOnset1);
  fail_unless_equals_int(in.push_spans(60), GST_FLOW_OK);
  if (turns < 2)
    return;
  fail_unless_equals_uint64(in.turn(2), kOnset2);
  fail_unless_equals_int(in.push_spans(60), GST_FLOW_OK);
}

/* Output of play_two_turns() with each utterance played back from its pause;
 * `transform` maps an input sample to the expected output one. */
static void expect_two_turn_replies(const std::vector<gint16> &out, guint turns = 2,
                                    const std::function<gint16(gint16)> &transform = {},
                                    int tolerance = 0) {
  const guint64 length = frame_at(kUtterance);
  auto expected = [&](guint64 begin) {
    return [&, begin](guint64 i) {
      const gint16 in = input_sample(begin + i);
      return transform ? transform(in) : in;
    };
  };
  expect_silence(out, 0, frame_at(kPause1), "before reply 1");
  expect_samples(out, frame_at(kPause1), length, expected(frame_at(kOnset1)), "reply 1", tolerance);
  if (turns < 2) {
    expect_silence(out, frame_at(kPause1) + length,
                   frame_at(kOneTurnEnd) - frame_at(kPause1) - length, "after reply 1");
    return;
  }
  expect_silence(out, frame_at(kPause1) + length, frame_at(kPause2) - frame_at(kPause1) - length,
                 "between the replies");
  expect_samples(out, frame_at(kPause2), length, expected(frame_at(kOnset2)), "reply 2", tolerance);
  expect_silence(out, frame_at(kPause2) + length,
                 frame_at(kTwoTurnsEnd) - frame_at(kPause2) - length, "after reply 2");
}

/* Two turns through `description`; the samples out. */
static std::vector<gint16> run_two_turns(const char *description,
                                         const std::function<void(GstElement *)> &configure = {},
                                         std::vector<ReplyMessage> *messages = nullptr,
                                         guint turns = 2) {
  Rig rig(description);
  if (configure)
    configure(rig.reply);
  play_two_turns(*rig.in, turns);
  rig.collect();
  if (messages != nullptr)
    *messages = rig.messages;
  std::vector<gint16> samples = rig.out.samples;
  rig.finish();
  return samples;
}

/* ==== 1. echo ================================================================== */

GST_START_TEST(test_echo_two_turns) {
  Rig rig("replyonpause handler=echo");
  play_two_turns(*rig.in);
  rig.collect();

  /* silence, the utterance sample for sample from its onset, silence, ... */
  expect_two_turn_replies(rig.out.samples);
  fail_unless(rig.out.samples.size() >= frame_at(kTwoTurnsEnd), "only %zu output samples",
              rig.out.samples.size());

  /* continuous, timestamped on the input's running time, session meta */
  fail_unless(!rig.out.buffer_pts.empty());
  fail_unless_equals_uint64(rig.out.buffer_pts.front(), 0);
  for (gsize i = 1; i < rig.out.buffer_pts.size(); i++)
    fail_unless(rig.out.buffer_pts[i] > rig.out.buffer_pts[i - 1], "buffer %zu goes back", i);
  for (gsize i = 0; i < rig.out.buffer_ids.size(); i++)
    fail_unless(rig.out.buffer_ids[i] == "caller-1", "buffer %zu has webrtc-id '%s'", i,
                rig.out.buffer_ids[i].c_str());

  /* messages, in order, with their fields */
  expect_keys(rig.messages, {"utterance:1", "reply-start:1", "reply-end:1", "utterance:2",
                             "reply-start:2", "reply-end:2"});
  const GstClockTime pauses[] = {kPause1, kPause2};
  for (int turn = 0; turn < 2; turn++) {
    const ReplyMessage &utterance = rig.messages[turn * 3];
    const ReplyMessage &start = rig.messages[turn * 3 + 1];
    const ReplyMessage &end = rig.messages[turn * 3 + 2];
    for (const ReplyMessage *m : {&utterance, &start, &end}) {
      fail_unless(m->has_utterance, "%s has no utterance field", m->key().c_str());
      fail_unless(m->webrtc_id == "caller-1", "%s: webrtc-id '%s'", m->key().c_str(),
                  m->webrtc_id.c_str());
      fail_unless_equals_uint64(m->stream_time, m->running_time); /* segment from 0 */
    }
    fail_unless_equals_uint64(utterance.running_time, pauses[turn]);
    fail_unless(utterance.has_duration && utterance.has_truncated);
    fail_unless_equals_uint64(utterance.duration, kUtterance);
    fail_if(utterance.truncated);
    /* the reply's first sample is at the pause in the output */
    fail_unless_equals_uint64(start.running_time, pauses[turn]);
    fail_unless(start.has_latency, "reply-start has no latency");
    fail_unless(start.latency < GST_SECOND, "echo latency %" GST_TIME_FORMAT,
                GST_TIME_ARGS(start.latency));
    fail_unless_equals_uint64(end.running_time, pauses[turn] + kUtterance);
  }
}
GST_END_TEST;

/* ==== 2. determinism =========================================================== */

GST_START_TEST(test_echo_deterministic) {
  const std::vector<gint16> run1 = run_two_turns("replyonpause handler=echo");
  const std::vector<gint16> run2 = run_two_turns("replyonpause handler=echo");
  fail_unless_equals_uint64(run1.size(), run2.size());
  fail_unless(run1 == run2, "two runs of the same input differ");
  expect_two_turn_replies(run1);
}
GST_END_TEST;

/* handler=signals replying from its worker thread in several chunks, with
 * sleeps between them: not live, the output waits, so it is the same every
 * run (and the same as echo, the chunks being the utterance). */
GST_START_TEST(test_signals_chunks_deterministic) {
  UtteranceFn chunked = [](GstElement *element, guint64 utterance, GstSample *sample) {
    GstBuffer *buffer = gst_sample_get_buffer(sample);
    const gsize size = gst_buffer_get_size(buffer);
    const gsize chunks[] = {100 * 2, 1000 * 2, 37 * 2, 2001 * 2};
    gsize offset = 0;
    for (gsize i = 0; offset < size; i++) {
      const gsize length =
          i < G_N_ELEMENTS(chunks) ? std::min(chunks[i], size - offset) : size - offset;
      GstBuffer *part = gst_buffer_copy_region(buffer, GST_BUFFER_COPY_MEMORY, offset, length);
      GstSample *chunk = gst_sample_new(part, gst_sample_get_caps(sample), nullptr, nullptr);
      push_reply(element, utterance, chunk);
      gst_sample_unref(chunk);
      gst_buffer_unref(part);
      offset += length;
      g_usleep(3000);
    }
    end_reply(element, utterance);
  };
  auto connect = [&](GstElement *element) {
    g_signal_connect(element, "utterance", G_CALLBACK(on_utterance), &chunked);
  };
  std::vector<ReplyMessage> messages;
  const std::vector<gint16> run1 =
      run_two_turns("replyonpause handler=signals handler-timeout=10000000000", connect, &messages);
  const std::vector<gint16> run2 =
      run_two_turns("replyonpause handler=signals handler-timeout=10000000000", connect);
  expect_keys(messages, {"utterance:1", "reply-start:1", "reply-end:1", "utterance:2",
                         "reply-start:2", "reply-end:2"});
  fail_unless_equals_uint64(run1.size(), run2.size());
  fail_unless(run1 == run2, "two runs of the same input differ");
  expect_two_turn_replies(run1);
  const std::vector<gint16> echo = run_two_turns("replyonpause handler=echo");
  fail_unless(run1 == echo, "the chunked reply differs from echo");
}
GST_END_TEST;

/* ==== 3. handler=signals from C ================================================ */

struct UtteranceSeen {
  std::mutex mutex;
  int calls = 0;
  GThread *thread = nullptr;
  std::string current_id;
  GstCaps *caps = nullptr;
  bool has_buffer_list = false;
  gsize size = 0;
  std::vector<gint16> samples;
  guint metas = 0;
  std::string buffer_id;
  guint64 info_utterance = 0;
  std::string info_id;
  gboolean info_truncated = TRUE;
  bool has_info = false;
  gboolean push_other = TRUE, push_greeting_number = TRUE, push_own = FALSE, end_own = FALSE,
           push_after_end = TRUE, end_twice = TRUE;
  ~UtteranceSeen() {
    if (caps != nullptr)
      gst_caps_unref(caps);
  }
};

GST_START_TEST(test_signals_thread_session_sample) {
  UtteranceSeen seen;
  UtteranceFn handler = [&](GstElement *element, guint64 utterance, GstSample *sample) {
    std::lock_guard<std::mutex> lock(seen.mutex);
    seen.calls++;
    seen.thread = g_thread_self();
    seen.current_id = current_webrtc_id();
    gst_caps_replace(&seen.caps, gst_sample_get_caps(sample));
    seen.has_buffer_list = gst_sample_get_buffer_list(sample) != nullptr;
    GstBuffer *buffer = gst_sample_get_buffer(sample);
    if (buffer != nullptr) {
      seen.size = gst_buffer_get_size(buffer);
      seen.samples = samples_of(buffer);
      seen.metas = count_session_metas(buffer);
      const gchar *id = gst_voicekit_buffer_get_webrtc_id(buffer);
      seen.buffer_id = id != nullptr ? id : "";
    }
    const GstStructure *info = gst_sample_get_info(sample);
    if (info != nullptr) {
      seen.has_info = true;
      gst_structure_get_uint64(info, "utterance", &seen.info_utterance);
      const gchar *id = gst_structure_get_string(info, "webrtc-id");
      seen.info_id = id != nullptr ? id : "";
      gst_structure_get_boolean(info, "truncated", &seen.info_truncated);
    }
    /* another utterance's number, or the greeting's, is refused */
    seen.push_other = push_reply(element, utterance + 1, sample);
    seen.push_greeting_number = push_reply(element, 0, sample);
    seen.push_own = push_reply(element, utterance, sample);
    seen.end_own = end_reply(element, utterance);
    seen.push_after_end = push_reply(element, utterance, sample);
    seen.end_twice = end_reply(element, utterance);
  };
  Rig rig("replyonpause handler=signals handler-timeout=10000000000");
  g_signal_connect(rig.reply, "utterance", G_CALLBACK(on_utterance), &handler);
  play_two_turns(*rig.in, 1);
  rig.collect();

  std::lock_guard<std::mutex> lock(seen.mutex);
  fail_unless_equals_int(seen.calls, 1);
  fail_unless(seen.thread != nullptr && seen.thread != g_thread_self(),
              "utterance was emitted on the streaming thread");
  fail_unless(seen.current_id == "caller-1", "current context in the handler: '%s'",
              seen.current_id.c_str());
  GstCaps *input_caps = mono_s16_caps();
  fail_unless(seen.caps != nullptr && gst_caps_is_equal(seen.caps, input_caps),
              "sample caps %" GST_PTR_FORMAT " differ from the input caps %" GST_PTR_FORMAT,
              static_cast<void *>(seen.caps), static_cast<void *>(input_caps));
  gst_caps_unref(input_caps);
  fail_if(seen.has_buffer_list);
  fail_unless_equals_uint64(seen.size, frame_at(kUtterance) * 2);
  fail_unless_equals_int(seen.metas, 1);
  fail_unless(seen.buffer_id == "caller-1", "sample buffer webrtc-id '%s'", seen.buffer_id.c_str());
  expect_utterance(seen.samples, 0, frame_at(kUtterance), frame_at(kOnset1), "utterance sample");
  fail_unless(seen.has_info, "the sample has no info structure");
  fail_unless_equals_uint64(seen.info_utterance, 1);
  fail_unless(seen.info_id == "caller-1", "info webrtc-id '%s'", seen.info_id.c_str());
  fail_if(seen.info_truncated);

  fail_if(seen.push_other, "push-reply with another utterance number was accepted");
  fail_if(seen.push_greeting_number, "push-reply with utterance 0 was accepted");
  fail_unless(seen.push_own);
  fail_unless(seen.end_own);
  fail_if(seen.push_after_end, "push-reply after end-reply was accepted");
  fail_if(seen.end_twice, "end-reply twice returned TRUE");

  expect_keys(rig.messages, {"utterance:1", "reply-start:1", "reply-end:1"});
  expect_two_turn_replies(rig.out.samples, 1);
  fail_unless_equals_uint64(rig.message("reply-end:1").running_time, kPause1 + kUtterance);
}
GST_END_TEST;

/* Live: the first chunk plays before the handler pushes its last one (the
 * handler waits until the test has pulled reply samples). */
GST_START_TEST(test_signals_streaming_live) {
  Gate released;
  std::atomic<bool> pushed_last{false};
  std::atomic<int> first_ok{-1}, last_ok{-1}, end_ok{-1};
  UtteranceFn handler = [&](GstElement *element, guint64 utterance, GstSample *) {
    first_ok = push_reply_values(element, utterance, std::vector<gint16>(3200, 1111));
    if (!released.wait())
      return;
    pushed_last = true;
    last_ok = push_reply_values(element, utterance, std::vector<gint16>(3200, 2222));
    end_ok = end_reply(element, utterance);
  };
  Rig rig("replyonpause handler=signals handler-timeout=20000000000", true);
  g_signal_connect(rig.reply, "utterance", G_CALLBACK(on_utterance), &handler);
  fail_unless_equals_int(rig.in->push_spans(5), GST_FLOW_OK);
  rig.in->turn(1);
  const bool first_played =
      rig.pump_until([&] { return count_value(rig.out.samples, 1111) >= 320; });
  const bool last_was_pushed = pushed_last;
  released.release();
  fail_unless(first_played, "the first reply chunk did not play while the handler worked");
  fail_if(last_was_pushed);
  fail_unless_equals_int(first_ok, TRUE);

  fail_unless(rig.pump_until([&] { return rig.has_message("reply-end:1"); }),
              "no reply-end after end-reply");
  rig.collect();
  fail_unless_equals_int(last_ok, TRUE);
  fail_unless_equals_int(end_ok, TRUE);
  /* live: silence while the handler works, then every sample of the reply */
  expect_silence(rig.out.samples, 0, frame_at(kPause1), "before the reply");
  fail_unless_equals_uint64(count_value(rig.out.samples, 1111), 3200);
  fail_unless_equals_uint64(count_value(rig.out.samples, 2222), 3200);
  const gint64 begin = first_index_of(rig.out.samples, 1111);
  const gint64 last = first_index_of(rig.out.samples, 2222);
  fail_unless(begin >= 0 && last > begin);
  expect_samples(
      rig.out.samples, begin, 3200, [](guint64) { return gint16(1111); }, "first chunk");
  expect_samples(
      rig.out.samples, last, 3200, [](guint64) { return gint16(2222); }, "last chunk");
  expect_keys(rig.messages, {"utterance:1", "reply-start:1", "reply-end:1"});
  fail_unless_equals_uint64(rig.message("reply-start:1").running_time,
                            gst_util_uint64_scale_int(begin, GST_SECOND, kReplyRate));
  fail_unless_equals_uint64(rig.message("reply-end:1").running_time,
                            gst_util_uint64_scale_int(last + 3200, GST_SECOND, kReplyRate));
}
GST_END_TEST;

/* Live, the handler ends its reply a while after its last audio played:
 * reply-end is still "at its end", the end of the last reply sample. */
GST_START_TEST(test_signals_reply_end_at_last_sample_live) {
  Gate released;
  std::atomic<int> end_ok{-1};
  UtteranceFn handler = [&](GstElement *element, guint64 utterance, GstSample *) {
    push_reply_values(element, utterance, std::vector<gint16>(1600, 1234));
    if (released.wait())
      end_ok = end_reply(element, utterance);
  };
  Rig rig("replyonpause handler=signals handler-timeout=20000000000", true);
  g_signal_connect(rig.reply, "utterance", G_CALLBACK(on_utterance), &handler);
  fail_unless_equals_int(rig.in->push_spans(5), GST_FLOW_OK);
  rig.in->turn(1);
  const bool played = rig.pump_until([&] { return count_value(rig.out.samples, 1234) == 1600; });
  fail_unless_equals_int(rig.in->push_spans(10), GST_FLOW_OK); /* 200 ms of nothing */
  released.release();
  fail_unless(played, "the reply did not play");
  fail_unless(rig.pump_until([&] { return rig.has_message("reply-end:1"); }), "no reply-end");
  fail_unless_equals_int(end_ok, TRUE);
  const gint64 begin = first_index_of(rig.out.samples, 1234);
  fail_unless_equals_uint64(rig.message("reply-start:1").running_time,
                            gst_util_uint64_scale_int(begin, GST_SECOND, kReplyRate));
  fail_unless(rig.message("reply-end:1").running_time ==
                  gst_util_uint64_scale_int(begin + 1600, GST_SECOND, kReplyRate),
              "reply-end at %" GST_TIME_FORMAT ", the last reply sample ends at %" GST_TIME_FORMAT,
              GST_TIME_ARGS(rig.message("reply-end:1").running_time),
              GST_TIME_ARGS(gst_util_uint64_scale_int(begin + 1600, GST_SECOND, kReplyRate)));
}
GST_END_TEST;

/* ==== 4. formats =============================================================== */

static std::vector<float> sine(guint frames, int rate, int channels, double frequency,
                               double amplitude) {
  std::vector<float> samples(static_cast<gsize>(frames) * channels);
  for (guint i = 0; i < frames; i++)
    for (int c = 0; c < channels; c++)
      samples[static_cast<gsize>(i) * channels + c] =
          static_cast<float>(amplitude * std::sin(2 * G_PI * frequency * i / rate));
  return samples;
}

/* The handler answers in FastRTC's default format, 24 kHz F32 stereo; the
 * output stays S16 16 kHz mono. */
GST_START_TEST(test_reply_converted_to_output_format) {
  const guint frames = 12000; /* 0.5 s at 24 kHz */
  UtteranceFn handler = [&](GstElement *element, guint64 utterance, GstSample *) {
    const std::vector<float> tone = sine(frames, 24000, 2, 440.0, 0.5);
    const guint parts[] = {5000, 4000, 3000};
    guint offset = 0;
    for (guint part : parts) {
      std::vector<float> chunk(tone.begin() + offset * 2, tone.begin() + (offset + part) * 2);
      GstSample *sample = f32_sample(chunk, 24000, 2);
      push_reply(element, utterance, sample);
      gst_sample_unref(sample);
      offset += part;
    }
    end_reply(element, utterance);
  };
  Rig rig("replyonpause handler=signals handler-timeout=10000000000");
  g_signal_connect(rig.reply, "utterance", G_CALLBACK(on_utterance), &handler);
  play_two_turns(*rig.in, 1);
  rig.collect();
  expect_keys(rig.messages, {"utterance:1", "reply-start:1", "reply-end:1"});

  GstCaps *caps = gst_pad_get_current_caps(rig.h()->sinkpad);
  GstCaps *input_caps = mono_s16_caps();
  fail_unless(gst_caps_is_equal(caps, input_caps), "output caps %" GST_PTR_FORMAT,
              static_cast<void *>(caps));
  gst_caps_unref(input_caps);
  gst_caps_unref(caps);

  const guint64 start = frame_at(rig.message("reply-start:1").running_time);
  const guint64 end = frame_at(rig.message("reply-end:1").running_time);
  fail_unless_equals_uint64(start, frame_at(kPause1));
  fail_unless(end > start + 7980 && end < start + 8020,
              "%" G_GUINT64_FORMAT " reply samples for 0.5 s at 16 kHz", end - start);
  expect_silence(rig.out.samples, 0, start, "before the reply");
  expect_silence(rig.out.samples, end, rig.out.samples.size() - end, "after the reply");
  /* the tone: amplitude 0.5 (RMS 0.354 of full scale), 440 Hz */
  double energy = 0;
  guint crossings = 0;
  const guint64 from = start + 100, to = end - 100;
  for (guint64 i = from; i < to; i++) {
    energy += static_cast<double>(rig.out.samples[i]) * rig.out.samples[i];
    if (i > from && (rig.out.samples[i] >= 0) != (rig.out.samples[i - 1] >= 0))
      crossings++;
  }
  const double rms = std::sqrt(energy / static_cast<double>(to - from));
  fail_unless(std::fabs(rms - 0.5 * 32767 / std::sqrt(2.0)) < 600, "reply RMS %.0f", rms);
  const double expected_crossings = 2 * 440.0 * static_cast<double>(to - from) / kReplyRate;
  fail_unless(std::fabs(crossings - expected_crossings) <= 4, "%u zero crossings, expected %.0f",
              crossings, expected_crossings);
}
GST_END_TEST;

/* Downstream wants 24 kHz F32 stereo: the output is that, and the echo is
 * converted to it. */
GST_START_TEST(test_output_caps_from_downstream) {
  GstCaps *wanted =
      gst_caps_from_string("audio/x-raw, format=(string)F32LE, rate=(int)24000, channels=(int)2, "
                           "layout=(string)interleaved");
  Rig rig("replyonpause", false, "caller-1", gst_caps_ref(wanted));
  play_two_turns(*rig.in, 1);
  GstCaps *caps = gst_pad_get_current_caps(rig.h()->sinkpad);
  fail_unless(caps != nullptr && gst_caps_is_equal(caps, wanted),
              "output caps %" GST_PTR_FORMAT ", downstream asked for %" GST_PTR_FORMAT,
              static_cast<void *>(caps), static_cast<void *>(wanted));
  gst_caps_unref(caps);
  gst_caps_unref(wanted);

  std::vector<float> out;
  GstBuffer *buffer;
  guint buffers = 0;
  while ((buffer = gst_harness_try_pull(rig.h())) != nullptr) {
    const gsize floats = gst_buffer_get_size(buffer) / sizeof(float);
    out.resize(out.size() + floats);
    gst_buffer_extract(buffer, 0, out.data() + out.size() - floats, floats * sizeof(float));
    fail_unless(gst_voicekit_buffer_get_webrtc_id(buffer) != nullptr);
    gst_buffer_unref(buffer);
    buffers++;
  }
  rig.pop_messages();
  expect_keys(rig.messages, {"utterance:1", "reply-start:1", "reply-end:1"});
  const gsize frames = out.size() / 2;
  fail_unless(frames >= frame_at(2100 * kMs, 24000), "%zu output frames", frames);
  const guint64 start = frame_at(rig.message("reply-start:1").running_time, 24000);
  const guint64 end = frame_at(rig.message("reply-end:1").running_time, 24000);
  fail_unless_equals_uint64(start, frame_at(kPause1, 24000));
  fail_unless(end + 20 > start + 21600 && end < start + 21600 + 20,
              "%" G_GUINT64_FORMAT " reply frames for 900 ms at 24 kHz", end - start);
  for (gsize i = 0; i < frames; i++) {
    fail_unless(out[2 * i] == out[2 * i + 1], "frame %zu: left %f, right %f", i, out[2 * i],
                out[2 * i + 1]);
    if (i < start || i >= end)
      fail_unless(out[2 * i] == 0.0f, "frame %zu outside the reply is %f", i, out[2 * i]);
  }
  /* the input ramp (1 per input frame), resampled: 2/3 of an input frame per
   * output frame */
  for (guint64 i = 200; i < end - start - 200; i++) {
    const double input_frame = static_cast<double>(frame_at(kOnset1)) + i * 2.0 / 3.0;
    const double expected = (1 + input_frame) / 32768.0;
    fail_unless(std::fabs(out[2 * (start + i)] - expected) < 4 / 32768.0,
                "reply frame %" G_GUINT64_FORMAT " is %f, expected %f", i, out[2 * (start + i)],
                expected);
  }
}
GST_END_TEST;

/* ==== 5. handler=command ====================================================== */

GST_START_TEST(test_command_cat_equals_echo) {
  std::vector<ReplyMessage> messages;
  const std::vector<gint16> echo = run_two_turns("replyonpause handler=echo");
  const std::vector<gint16> cat =
      run_two_turns("replyonpause handler=command command=cat", {}, &messages);
  expect_keys(messages, {"utterance:1", "reply-start:1", "reply-end:1", "utterance:2",
                         "reply-start:2", "reply-end:2"});
  fail_unless_equals_uint64(cat.size(), echo.size());
  fail_unless(cat == echo, "`cat` as the handler differs from echo");
}
GST_END_TEST;

static void set_command(GstElement *element, const char *command) {
  g_object_set(element, "handler", 2 /* command */, "command", command, nullptr);
}

GST_START_TEST(test_command_environment) {
  /* the id and number come in the environment; the argv is ours alone */
  const char *checks = "sh -c 'case \"$0 $*\" in *caller-1*) exit 3;; esac; "
                       "test \"$WEBRTC_ID\" = caller-1 && test \"$UTTERANCE\" = 1 && exec cat' "
                       "replier";
  std::vector<ReplyMessage> messages;
  const std::vector<gint16> out = run_two_turns(
      "replyonpause", [&](GstElement *element) { set_command(element, checks); }, &messages, 1);
  expect_keys(messages, {"utterance:1", "reply-start:1", "reply-end:1"});
  expect_two_turn_replies(out, 1);

  /* the check can fail: another id makes the command fail, nothing plays */
  const char *wrong = "sh -c 'test \"$WEBRTC_ID\" = somebody-else && exec cat'";
  const std::vector<gint16> refused = run_two_turns(
      "replyonpause", [&](GstElement *element) { set_command(element, wrong); }, &messages, 1);
  expect_keys(messages, {"utterance:1", "handler-error:1"});
  fail_unless(messages[1].error.find("status 1") != std::string::npos, "handler-error: %s",
              messages[1].error.c_str());
  expect_silence(refused, 0, frame_at(2100 * kMs), "no reply");
}
GST_END_TEST;

/* ==== 6. handler=pads ========================================================= */

/* What crosses utterance_src, in order. */
struct PadLog {
  std::mutex mutex;
  std::vector<std::string> items;
  GThread *buffer_thread = nullptr;
};

static GstPadProbeReturn log_pad_data(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *log = static_cast<PadLog *>(data);
  std::lock_guard<std::mutex> lock(log->mutex);
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER) {
    log->items.push_back("buffer");
    log->buffer_thread = g_thread_self();
  } else if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
    GstVoiceKitUtteranceEventType type;
    guint64 utterance = 0;
    GstVoiceKitSessionContext *context = nullptr;
    if (gst_voicekit_event_parse_utterance(event, &type, &utterance, &context)) {
      log->items.push_back(
          std::string(type == GST_VOICEKIT_UTTERANCE_EVENT_START ? "start" : "end") + ":" +
          std::to_string(utterance) + ":" +
          (context != nullptr ? gst_voicekit_session_context_get_webrtc_id(context) : ""));
      if (context != nullptr)
        gst_voicekit_session_context_unref(context);
    }
  }
  return GST_PAD_PROBE_OK;
}

/* Handler elements played by two more harnesses on the request pads. */
GST_START_TEST(test_pads_harnesses_live) {
  Rig rig("replyonpause handler=pads handler-timeout=20000000000", true);
  GstHarness *utterances = gst_harness_new_with_element(rig.reply, nullptr, "utterance_src");
  GstHarness *replies = gst_harness_new_with_element(rig.reply, "reply_sink", nullptr);
  GstPad *utterance_src = gst_element_get_static_pad(rig.reply, "utterance_src");
  fail_unless(utterance_src != nullptr);
  PadLog log;
  gst_pad_add_probe(
      utterance_src,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      log_pad_data, &log, nullptr);
  gst_object_unref(utterance_src);

  fail_unless_equals_int(rig.in->push_spans(5), GST_FLOW_OK);
  rig.in->turn(1);
  /* the utterance, from a worker thread */
  GstBuffer *buffer = gst_harness_pull(utterances);
  fail_unless(buffer != nullptr, "nothing on utterance_src");
  fail_unless_equals_uint64(gst_buffer_get_size(buffer), frame_at(kUtterance) * 2);
  fail_unless_equals_int(count_session_metas(buffer), 1);
  fail_unless_equals_string(gst_voicekit_buffer_get_webrtc_id(buffer), "caller-1");
  const std::vector<gint16> utterance = samples_of(buffer);
  gst_buffer_unref(buffer);
  expect_utterance(utterance, 0, utterance.size(), frame_at(kOnset1), "utterance_src");
  bool saw_end = false;
  for (int i = 0; i < 10 && !saw_end; i++) {
    GstEvent *event = gst_harness_pull_event(utterances);
    fail_unless(event != nullptr, "no end event on utterance_src");
    GstVoiceKitUtteranceEventType type;
    saw_end = gst_voicekit_event_parse_utterance(event, &type, nullptr, nullptr) &&
              type == GST_VOICEKIT_UTTERANCE_EVENT_END;
    gst_event_unref(event);
  }
  fail_unless(saw_end);
  {
    std::lock_guard<std::mutex> lock(log.mutex);
    const std::vector<std::string> expected = {"start:1:caller-1", "buffer", "end:1:caller-1"};
    fail_unless(log.items == expected, "utterance_src carried [%s]", joined(log.items).c_str());
    fail_unless(log.buffer_thread != g_thread_self(), "utterance pushed from the streaming thread");
  }
  /* live: silence while the handler elements work */
  rig.collect();
  expect_silence(rig.out.samples, 0, rig.out.samples.size(), "while the handler works");
  fail_unless_equals_int(count_value(rig.out.samples, 4321), 0);

  /* the reply comes back on reply_sink, between start and end */
  gst_harness_set_src_caps(replies, mono_s16_caps());
  fail_unless(gst_harness_push_event(
      replies, gst_voicekit_event_new_utterance(GST_VOICEKIT_UTTERANCE_EVENT_START, 1, nullptr)));
  const std::vector<gint16> answer(6400, 4321);
  fail_unless_equals_int(
      gst_harness_push(replies, gst_buffer_new_memdup(answer.data(), answer.size() * 2)),
      GST_FLOW_OK);
  fail_unless(rig.pump_until([&] { return count_value(rig.out.samples, 4321) > 0; }),
              "the reply pushed into reply_sink does not play");
  fail_unless(rig.pump_until([&] { return count_value(rig.out.samples, 4321) == 6400; }),
              "the reply does not play out");
  fail_if(rig.has_message("reply-end:1"), "reply-end before the end event");
  fail_unless(gst_harness_push_event(
      replies, gst_voicekit_event_new_utterance(GST_VOICEKIT_UTTERANCE_EVENT_END, 1, nullptr)));
  fail_unless(rig.pump_until([&] { return rig.has_message("reply-end:1"); }),
              "the end event does not end the reply");
  expect_keys(rig.messages, {"utterance:1", "reply-start:1", "reply-end:1"});
  const gint64 begin = first_index_of(rig.out.samples, 4321);
  fail_unless_equals_uint64(rig.message("reply-start:1").running_time,
                            gst_util_uint64_scale_int(begin, GST_SECOND, kReplyRate));
  expect_samples(
      rig.out.samples, begin, 6400, [](guint64) { return gint16(4321); }, "reply");

  rig.teardown();
  gst_harness_teardown(utterances);
  gst_harness_teardown(replies);
  rig.finalized.wait();
}
GST_END_TEST;

/* A real handler branch in the same bin: audioconvert ! volume volume=0.5. */
GST_START_TEST(test_pads_branch_in_bin) {
  gint loop_warnings = 0;
  allow_bin_loop_warning(&loop_warnings);
  std::vector<ReplyMessage> messages;
  const std::vector<gint16> out =
      run_two_turns("replyonpause name=r handler=pads r.utterance_src ! audioconvert ! "
                    "volume volume=0.5 ! r.reply_sink",
                    {}, &messages);
  expect_keys(messages, {"utterance:1", "reply-start:1", "reply-end:1", "utterance:2",
                         "reply-start:2", "reply-end:2"});
  expect_two_turn_replies(
      out, 2, [](gint16 in) { return static_cast<gint16>(in / 2); }, 1);
  gst_check_clear_log_filter();
}
GST_END_TEST;

struct Handoffs {
  std::mutex mutex;
  std::vector<gint16> samples;
};

static void on_handoff(GstElement *, GstBuffer *buffer, GstPad *, gpointer data) {
  auto *handoffs = static_cast<Handoffs *>(data);
  std::lock_guard<std::mutex> lock(handoffs->mutex);
  const std::vector<gint16> samples = samples_of(buffer);
  handoffs->samples.insert(handoffs->samples.end(), samples.begin(), samples.end());
}

static std::string write_wav(const std::vector<gint16> &samples, int rate) {
  gchar *name = g_strdup_printf("reply-test-%d.wav", static_cast<int>(getpid()));
  gchar *path = g_build_filename(g_get_tmp_dir(), name, nullptr);
  std::string result = path;
  g_free(name);
  g_free(path);
  std::FILE *file = std::fopen(result.c_str(), "wb");
  fail_unless(file != nullptr, "cannot write %s", result.c_str());
  auto u32 = [&](guint32 v) {
    const guint32 le = GUINT32_TO_LE(v);
    std::fwrite(&le, 4, 1, file);
  };
  auto u16 = [&](guint16 v) {
    const guint16 le = GUINT16_TO_LE(v);
    std::fwrite(&le, 2, 1, file);
  };
  const guint32 bytes = static_cast<guint32>(samples.size() * 2);
  std::fwrite("RIFF", 1, 4, file);
  u32(36 + bytes);
  std::fwrite("WAVEfmt ", 1, 8, file);
  u32(16);
  u16(1);
  u16(1);
  u32(static_cast<guint32>(rate));
  u32(static_cast<guint32>(rate * 2));
  u16(2);
  u16(16);
  std::fwrite("data", 1, 4, file);
  u32(bytes);
  std::fwrite(samples.data(), 2, samples.size(), file);
  std::fclose(file);
  return result;
}

/* One launch line with a loop, real speech through pausedetect. */
GST_START_TEST(test_pads_pipeline_with_pausedetect) {
  gint loop_warnings = 0;
  allow_bin_loop_warning(&loop_warnings);
  const std::vector<gint16> speech = two_turns(kReplyRate, 5.0);
  const std::string wav = write_wav(speech, kReplyRate);
  gchar *description = g_strdup_printf(
      "filesrc location=\"%s\" ! wavparse ! pausedetect ! "
      "replyonpause name=r handler=pads ! fakesink name=out signal-handoffs=true sync=false "
      "r.utterance_src ! queue ! audioconvert ! volume volume=0.5 ! r.reply_sink",
      wav.c_str());
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(description, &error);
  g_free(description);
  if (pipeline == nullptr || error != nullptr)
    g_remove(wav.c_str());
  fail_unless(pipeline != nullptr && error == nullptr, "launch: %s",
              error != nullptr ? error->message : "?");
  Handoffs handoffs;
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  g_signal_connect(sink, "handoff", G_CALLBACK(on_handoff), &handoffs);
  gst_object_unref(sink);
  GstElement *reply = gst_bin_get_by_name(GST_BIN(pipeline), "r");
  FinalizeWatch finalized;
  finalized.watch(reply);
  gst_object_unref(reply);

  fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  GstBus *bus = gst_element_get_bus(pipeline);
  std::vector<ReplyMessage> messages;
  std::vector<GstClockTime> onsets; /* pausedetect's pauses: speech-start */
  bool eos = false;
  std::string failure;
  while (!eos && failure.empty()) {
    GstMessage *message = gst_bus_timed_pop(bus, 30 * GST_SECOND);
    if (message == nullptr) {
      failure = "timed out";
      break;
    }
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS) {
      eos = true;
    } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
      GError *err = nullptr;
      gst_message_parse_error(message, &err, nullptr);
      failure = err->message;
      g_error_free(err);
    } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ELEMENT) {
      const GstStructure *s = gst_message_get_structure(message);
      if (gst_structure_has_name(s, "replyonpause")) {
        messages.push_back(reply_message_from(s));
      } else if (gst_structure_has_name(s, "pausedetect") &&
                 g_strcmp0(gst_structure_get_string(s, "event"), "pause") == 0) {
        guint64 onset = 0;
        fail_unless(gst_structure_get_uint64(s, "speech-start", &onset));
        onsets.push_back(onset);
      }
    }
    gst_message_unref(message);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  g_remove(wav.c_str());
  finalized.wait();
  gst_check_clear_log_filter();
  fail_unless(failure.empty(), "pipeline: %s", failure.c_str());

  expect_keys(messages, {"utterance:1", "reply-start:1", "reply-end:1", "utterance:2",
                         "reply-start:2", "reply-end:2"});
  fail_unless_equals_int(onsets.size(), 2);
  std::lock_guard<std::mutex> lock(handoffs.mutex);
  const std::vector<gint16> &out = handoffs.samples;
  fail_unless(out.size() >= speech.size(), "%zu output samples for %zu input samples", out.size(),
              speech.size());
  guint64 previous_end = 0;
  for (int turn = 0; turn < 2; turn++) {
    const ReplyMessage &utterance = messages[turn * 3];
    const ReplyMessage &start = messages[turn * 3 + 1];
    const ReplyMessage &end = messages[turn * 3 + 2];
    const guint64 length = frame_at(utterance.duration);
    fail_unless(length > frame_at(1500 * kMs), "utterance %d: %" GST_TIME_FORMAT, turn + 1,
                GST_TIME_ARGS(utterance.duration));
    /* the reply starts with the first output after the pause: the output
     * already reached the end of the input buffer that held the decision */
    fail_unless(start.running_time >= utterance.running_time &&
                    start.running_time <= utterance.running_time + 200 * kMs,
                "utterance %d: pause at %" GST_TIME_FORMAT ", reply-start at %" GST_TIME_FORMAT,
                turn + 1, GST_TIME_ARGS(utterance.running_time), GST_TIME_ARGS(start.running_time));
    fail_unless_equals_uint64(frame_at(end.running_time) - frame_at(start.running_time), length);
    const guint64 from = frame_at(start.running_time);
    const guint64 input = frame_at(onsets[turn]);
    expect_silence(out, previous_end, from - previous_end, "between replies");
    expect_samples(
        out, from, length, [&](guint64 i) { return static_cast<gint16>(speech[input + i] / 2); },
        "reply at half volume", 1);
    previous_end = from + length;
  }
  expect_silence(out, previous_end, out.size() - previous_end, "after the replies");
}
GST_END_TEST;

/* ==== 7. interruption ========================================================= */

/* 100 ms lead-in, a 2.5 s utterance (onset 100 ms, pause at 2600 ms), so
 * that its echo plays for a while. */
constexpr GstClockTime kLongPause = 2600 * kMs;
constexpr GstClockTime kLongUtterance = 2500 * kMs;

static void play_long_turn(ReplyInput &in) {
  fail_unless_equals_int(in.push_spans(5), GST_FLOW_OK);
  fail_unless_equals_uint64(in.turn(1, 2000, 500), kOnset1);
  fail_unless_equals_uint64(in.now(), kLongPause);
}

GST_START_TEST(test_interrupt_echo_live) {
  Rig rig("replyonpause handler=echo", true);
  play_long_turn(*rig.in);
  fail_unless_equals_int(rig.in->push_spans(25), GST_FLOW_OK); /* the reply plays 500 ms */
  const GstClockTime onset2 = rig.in->now();
  fail_unless_equals_int(rig.in->push_spans(3), GST_FLOW_OK);
  rig.collect();
  const gsize before = rig.out.samples.size();
  const gsize buffers_before = rig.out.buffer_pts.size();
  const GstClockTime decision = rig.in->now();
  fail_unless(rig.in->speech_start(2, onset2));
  fail_unless_equals_int(rig.in->push_spans(17), GST_FLOW_OK);
  const GstClockTime offset2 = rig.in->now();
  fail_unless_equals_int(rig.in->push_spans(25), GST_FLOW_OK);
  const GstClockTime pause2 = rig.in->now();
  fail_unless(rig.in->pause(2, onset2, offset2));
  fail_unless_equals_int(rig.in->push_spans(60), GST_FLOW_OK);
  rig.collect();

  /* the reply played from the pause up to the speech-start, within a span */
  const std::vector<gint16> &out = rig.out.samples;
  const guint64 reply_from = frame_at(kLongPause);
  guint64 played = 0;
  while (reply_from + played < out.size() && played < frame_at(kLongUtterance) &&
         out[reply_from + played] == input_sample(frame_at(kOnset1) + played))
    played++;
  fail_unless(reply_from + played >= frame_at(decision) &&
                  reply_from + played <= frame_at(decision + kSpan),
              "the reply stopped at %" G_GUINT64_FORMAT
              ", the speech-start was at %" G_GUINT64_FORMAT,
              reply_from + played, frame_at(decision));
  fail_unless(buffers_before < rig.out.buffer_pts.size());
  /* the first buffer after the speech-start, and all later output up to
   * the next reply, is silence */
  fail_unless_equals_uint64(before, reply_from + played);
  expect_silence(out, reply_from + played, frame_at(pause2) - reply_from - played,
                 "after the interruption");
  expect_utterance(out, frame_at(pause2), frame_at(pause2 - onset2), frame_at(onset2),
                   "the reply to utterance 2");
  expect_silence(out, frame_at(pause2) + frame_at(pause2 - onset2),
                 out.size() - frame_at(pause2) - frame_at(pause2 - onset2), "after reply 2");

  expect_keys(rig.messages, {"utterance:1", "reply-start:1", "reply-interrupted:1", "utterance:2",
                             "reply-start:2", "reply-end:2"});
  fail_unless_equals_uint64(rig.message("reply-interrupted:1").running_time, decision);
  fail_unless(rig.message("reply-interrupted:1").webrtc_id == "caller-1");
  fail_unless_equals_uint64(rig.message("reply-start:2").running_time, pause2);
  fail_unless_equals_uint64(rig.message("reply-end:2").running_time, pause2 + (pause2 - onset2));
}
GST_END_TEST;

GST_START_TEST(test_interrupt_signals_live) {
  std::mutex mutex;
  std::vector<guint64> stops;
  std::vector<GThread *> stop_threads;
  std::atomic<int> pushed_1{-1};
  UtteranceFn handler = [&](GstElement *element, guint64 utterance, GstSample *) {
    if (utterance == 1) {
      pushed_1 = push_reply_values(element, 1, std::vector<gint16>(32000, 1000)); /* 2 s */
    } else {
      push_reply_values(element, utterance, std::vector<gint16>(4800, 2000));
      end_reply(element, utterance);
    }
  };
  StopFn stop = [&](GstElement *, guint64 utterance) {
    std::lock_guard<std::mutex> lock(mutex);
    stops.push_back(utterance);
    stop_threads.push_back(g_thread_self());
  };
  Rig rig("replyonpause handler=signals handler-timeout=20000000000", true);
  g_signal_connect(rig.reply, "utterance", G_CALLBACK(on_utterance), &handler);
  g_signal_connect(rig.reply, "reply-stop", G_CALLBACK(on_reply_stop), &stop);
  fail_unless_equals_int(rig.in->push_spans(5), GST_FLOW_OK);
  rig.in->turn(1);
  fail_unless(rig.pump_until([&] { return count_value(rig.out.samples, 1000) > 0; }),
              "the reply does not play");
  fail_unless_equals_int(pushed_1, TRUE);
  fail_unless_equals_int(rig.in->push_spans(10), GST_FLOW_OK);
  const GstClockTime onset2 = rig.in->now();
  fail_unless_equals_int(rig.in->push_spans(3), GST_FLOW_OK);
  rig.collect();
  const gsize before = rig.out.samples.size();
  const GstClockTime decision = rig.in->now();
  fail_unless(rig.in->speech_start(2, onset2));
  {
    std::lock_guard<std::mutex> lock(mutex);
    fail_unless(stops == std::vector<guint64>{1}, "reply-stop emitted %zu times", stops.size());
    fail_unless(stop_threads[0] == g_thread_self(), "reply-stop not on the streaming thread");
  }
  /* the interrupted reply takes nothing more */
  fail_if(push_reply_values(rig.reply, 1, std::vector<gint16>(8000, 5000)),
          "push-reply accepted after reply-stop");
  fail_if(end_reply(rig.reply, 1), "end-reply accepted after reply-stop");
  fail_unless_equals_int(rig.in->push_spans(17), GST_FLOW_OK);
  const GstClockTime offset2 = rig.in->now();
  fail_unless_equals_int(rig.in->push_spans(25), GST_FLOW_OK);
  fail_unless(rig.in->pause(2, onset2, offset2));
  fail_unless(rig.pump_until([&] { return rig.has_message("reply-end:2"); }),
              "no reply to utterance 2");
  fail_unless_equals_int(rig.in->push_spans(10), GST_FLOW_OK);
  rig.collect();

  const std::vector<gint16> &out = rig.out.samples;
  /* reply 1 ended within a span of the speech-start, nothing of it after */
  const gint64 begin = first_index_of(out, 1000);
  const guint64 played = count_value(out, 1000);
  fail_unless(begin > 0 && count_value(out, 1000, begin, begin + played) == played,
              "reply 1 is not contiguous");
  fail_unless_equals_uint64(count_value(out, 1000, before), 0);
  fail_unless(static_cast<guint64>(begin) + played >= frame_at(decision) - frame_at(kSpan) &&
                  static_cast<guint64>(begin) + played <= frame_at(decision + kSpan),
              "reply 1 stopped at %" G_GUINT64_FORMAT
              ", the speech-start was at %" G_GUINT64_FORMAT,
              begin + played, frame_at(decision));
  fail_unless_equals_uint64(count_value(out, 5000), 0);
  /* the first buffer after the speech-start is silence */
  expect_silence(out, before, frame_at(kSpan), "the buffer after the speech-start");
  fail_unless_equals_uint64(count_value(out, 2000), 4800);
  fail_unless(first_index_of(out, 2000) > static_cast<gint64>(before));

  expect_keys(rig.messages, {"utterance:1", "reply-start:1", "reply-interrupted:1", "utterance:2",
                             "reply-start:2", "reply-end:2"});
  fail_unless_equals_uint64(rig.message("reply-interrupted:1").running_time, decision);
  std::lock_guard<std::mutex> lock(mutex);
  fail_unless_equals_int(stops.size(), 1);
}
GST_END_TEST;

/* ==== 8. can-interrupt=false =================================================== */

GST_START_TEST(test_no_interrupt) {
  Rig rig("replyonpause handler=echo can-interrupt=false");
  play_long_turn(*rig.in); /* reply 1 plays 2600..5100 ms */
  fail_unless_equals_int(rig.in->push_spans(10), GST_FLOW_OK);
  /* utterance 2 starts during the reply and pauses after it ended */
  const GstClockTime onset2 = rig.in->now();
  fail_unless_equals_int(rig.in->push_spans(3), GST_FLOW_OK);
  fail_unless(rig.in->speech_start(2, onset2));
  fail_unless_equals_int(rig.in->push_spans(97), GST_FLOW_OK);
  const GstClockTime offset2 = rig.in->now();
  fail_unless_equals_int(rig.in->push_spans(25), GST_FLOW_OK);
  fail_unless(rig.in->now() > kLongPause + kLongUtterance);
  fail_unless(rig.in->pause(2, onset2, offset2));
  fail_unless_equals_int(rig.in->push_spans(10), GST_FLOW_OK);
  /* utterance 3, after the reply: answered */
  const GstClockTime onset3 = rig.in->turn(3);
  const GstClockTime pause3 = rig.in->now();
  fail_unless_equals_int(rig.in->push_spans(60), GST_FLOW_OK);
  rig.collect();

  const std::vector<gint16> &out = rig.out.samples;
  expect_silence(out, 0, frame_at(kLongPause), "before reply 1");
  expect_utterance(out, frame_at(kLongPause), frame_at(kLongUtterance), frame_at(kOnset1),
                   "the whole reply 1");
  const guint64 end1 = frame_at(kLongPause + kLongUtterance);
  expect_silence(out, end1, frame_at(pause3) - end1, "nothing for utterance 2");
  expect_utterance(out, frame_at(pause3), frame_at(pause3 - onset3), frame_at(onset3), "reply 3");
  const guint64 end3 = frame_at(pause3) + frame_at(pause3 - onset3);
  expect_silence(out, end3, out.size() - end3, "after reply 3");

  expect_keys(rig.messages, {"utterance:1", "reply-start:1", "reply-end:1", "utterance:3",
                             "reply-start:3", "reply-end:3"});
  fail_unless_equals_uint64(rig.message("reply-end:1").running_time, kLongPause + kLongUtterance);
  fail_unless_equals_uint64(rig.message("utterance:3").duration, pause3 - onset3);
}
GST_END_TEST;

/* ==== 9. greeting ============================================================= */

struct Greetings {
  std::mutex mutex;
  std::vector<std::string> context_ids, current_ids;
  std::vector<GThread *> threads;
  std::vector<int> pushed, ended, other_number;
  std::vector<guint64> numbers;
};

GST_START_TEST(test_greeting) {
  Greetings seen;
  GreetingFn greet = [&](GstElement *element, GstVoiceKitSessionContext *context,
                         guint64 number) -> gboolean {
    const std::string id =
        context != nullptr ? gst_voicekit_session_context_get_webrtc_id(context) : "";
    const gint16 value = id == "caller-2" ? 888 : 777;
    const gboolean other = push_reply_values(element, number + 1, std::vector<gint16>(160, value));
    const gboolean pushed = push_reply_values(element, number, std::vector<gint16>(4800, value));
    const gboolean ended = end_reply(element, number);
    std::lock_guard<std::mutex> lock(seen.mutex);
    seen.context_ids.push_back(id);
    seen.current_ids.push_back(current_webrtc_id());
    seen.threads.push_back(g_thread_self());
    seen.pushed.push_back(pushed);
    seen.ended.push_back(ended);
    seen.other_number.push_back(other);
    seen.numbers.push_back(number);
    return TRUE;
  };
  Rig rig("replyonpause handler=echo");
  g_signal_connect(rig.reply, "greeting", G_CALLBACK(on_greeting), &greet);
  fail_unless_equals_int(rig.in->push_spans(50), GST_FLOW_OK);
  rig.in->set_session("caller-2");
  fail_unless_equals_int(rig.in->push_spans(50), GST_FLOW_OK);
  rig.collect();

  {
    std::lock_guard<std::mutex> lock(seen.mutex);
    const std::vector<std::string> ids = {"caller-1", "caller-2"};
    fail_unless(seen.context_ids == ids, "greeted [%s]", joined(seen.context_ids).c_str());
    fail_unless(seen.current_ids == ids, "current contexts [%s]", joined(seen.current_ids).c_str());
    for (gsize i = 0; i < seen.threads.size(); i++) {
      fail_unless(seen.threads[i] != g_thread_self(), "greeting on the streaming thread");
      fail_unless(seen.pushed[i] && seen.ended[i]);
      fail_if(seen.other_number[i], "push-reply for another number accepted during a greeting");
    }
  }
  const std::vector<gint16> &out = rig.out.samples;
  expect_samples(
      out, 0, 4800, [](guint64) { return gint16(777); }, "greeting 1");
  expect_silence(out, 4800, frame_at(1000 * kMs) - 4800, "after greeting 1");
  expect_samples(
      out, frame_at(1000 * kMs), 4800, [](guint64) { return gint16(888); }, "greeting 2");
  expect_silence(out, frame_at(1000 * kMs) + 4800, frame_at(2000 * kMs) - frame_at(1300 * kMs),
                 "after greeting 2");
  for (gsize i = 0; i < rig.out.buffer_pts.size(); i++) {
    const char *expected = rig.out.buffer_pts[i] < 1000 * kMs ? "caller-1" : "caller-2";
    fail_unless(rig.out.buffer_ids[i] == expected, "buffer at %" GST_TIME_FORMAT " has id '%s'",
                GST_TIME_ARGS(rig.out.buffer_pts[i]), rig.out.buffer_ids[i].c_str());
  }
  /* the first greeting is 0; the next one gets a number never used before */
  fail_unless(seen.numbers == std::vector<guint64>({0, 1}));
  expect_keys(rig.messages, {"reply-start:0", "reply-end:0", "reply-start:1", "reply-end:1"});
  const GstClockTime times[] = {0, 300 * kMs, 1000 * kMs, 1300 * kMs};
  const char *ids[] = {"caller-1", "caller-1", "caller-2", "caller-2"};
  for (int i = 0; i < 4; i++) {
    fail_unless_equals_uint64(rig.messages[i].running_time, times[i]);
    fail_unless(rig.messages[i].webrtc_id == ids[i], "message %d: webrtc-id '%s'", i,
                rig.messages[i].webrtc_id.c_str());
  }
}
GST_END_TEST;

GST_START_TEST(test_no_greeting_handler) {
  Rig rig("replyonpause handler=echo");
  fail_unless_equals_int(rig.in->push_spans(50), GST_FLOW_OK);
  rig.in->set_session("caller-2");
  fail_unless_equals_int(rig.in->push_spans(50), GST_FLOW_OK);
  rig.collect();
  expect_keys(rig.messages, {});
  expect_silence(rig.out.samples, 0, frame_at(2000 * kMs), "no greeting");
  fail_unless_equals_uint64(rig.out.samples.size(), frame_at(2000 * kMs));

  /* a handler that declines greets nobody */
  GreetingFn decline = [](GstElement *, GstVoiceKitSessionContext *, guint64) -> gboolean {
    return FALSE;
  };
  Rig declined("replyonpause handler=echo");
  g_signal_connect(declined.reply, "greeting", G_CALLBACK(on_greeting), &decline);
  fail_unless_equals_int(declined.in->push_spans(50), GST_FLOW_OK);
  declined.collect();
  expect_keys(declined.messages, {});
  expect_silence(declined.out.samples, 0, frame_at(1000 * kMs), "declined greeting");
}
GST_END_TEST;

/* ==== 10. gaps ================================================================= */

struct Span {
  GstClockTime start, duration;
  bool gap;
};

/* Buffers and GAP events out of the harness, by time. */
static std::vector<Span> pull_spans(GstHarness *h, std::vector<gint16> *samples) {
  std::vector<Span> spans;
  GstBuffer *buffer;
  while ((buffer = gst_harness_try_pull(h)) != nullptr) {
    spans.push_back({GST_BUFFER_PTS(buffer), GST_BUFFER_DURATION(buffer), false});
    const std::vector<gint16> s = samples_of(buffer);
    samples->insert(samples->end(), s.begin(), s.end());
    gst_buffer_unref(buffer);
  }
  GstEvent *event;
  while ((event = gst_harness_try_pull_event(h)) != nullptr) {
    if (GST_EVENT_TYPE(event) == GST_EVENT_GAP) {
      GstClockTime timestamp, duration;
      gst_event_parse_gap(event, &timestamp, &duration);
      spans.push_back({timestamp, duration, true});
    }
    gst_event_unref(event);
  }
  std::sort(spans.begin(), spans.end(),
            [](const Span &a, const Span &b) { return a.start < b.start; });
  return spans;
}

static void expect_contiguous(const std::vector<Span> &spans, GstClockTime end) {
  GstClockTime position = 0;
  for (const Span &span : spans) {
    fail_unless_equals_uint64(span.start, position);
    position += span.duration;
  }
  fail_unless(position >= end, "output ends at %" GST_TIME_FORMAT, GST_TIME_ARGS(position));
}

GST_START_TEST(test_send_gaps) {
  Rig rig("replyonpause handler=echo send-gaps=true");
  play_two_turns(*rig.in, 1);
  std::vector<gint16> samples;
  const std::vector<Span> spans = pull_spans(rig.h(), &samples);
  rig.pop_messages();
  expect_keys(rig.messages, {"utterance:1", "reply-start:1", "reply-end:1"});
  expect_contiguous(spans, 2100 * kMs);
  guint gaps = 0, buffers = 0;
  for (const Span &span : spans) {
    if (span.gap) {
      gaps++;
      fail_unless(span.start + span.duration <= kPause1 || span.start >= kPause1 + kUtterance,
                  "GAP at %" GST_TIME_FORMAT " during the reply", GST_TIME_ARGS(span.start));
    } else {
      buffers++;
      fail_unless(span.start >= kPause1 && span.start + span.duration <= kPause1 + kUtterance,
                  "buffer at %" GST_TIME_FORMAT " outside the reply", GST_TIME_ARGS(span.start));
    }
  }
  fail_unless(gaps >= 50 + 10, "%u GAP events", gaps); /* one per input span of silence */
  fail_unless(buffers >= 40 && buffers <= 50, "%u buffers for 900 ms of reply", buffers);
  /* buffers are the reply and nothing else */
  fail_unless_equals_uint64(samples.size(), frame_at(kUtterance));
  expect_utterance(samples, 0, samples.size(), frame_at(kOnset1), "the reply buffers");
}
GST_END_TEST;

/* Long silence (a 2 s input GAP, a 1.5 s input buffer) leaves in pieces of
 * at most one second: silent buffers, or GAP events with send-gaps. */
static std::vector<Span> long_silence(const char *description, std::vector<gint16> *samples) {
  Rig rig(description);
  fail_unless_equals_int(rig.in->push_spans(5), GST_FLOW_OK);
  fail_unless(gst_harness_push_event(rig.h(), gst_event_new_gap(rig.in->now(), 2 * GST_SECOND)));
  rig.in->frames += frame_at(2 * GST_SECOND);
  fail_unless_equals_int(rig.in->push_spans(5), GST_FLOW_OK);
  GstBuffer *long_buffer = gst_buffer_new_allocate(nullptr, frame_at(1500 * kMs) * 2, nullptr);
  gst_buffer_memset(long_buffer, 0, 0, frame_at(1500 * kMs) * 2);
  GST_BUFFER_PTS(long_buffer) = rig.in->now();
  GST_BUFFER_DURATION(long_buffer) = 1500 * kMs;
  fail_unless_equals_int(gst_harness_push(rig.h(), long_buffer), GST_FLOW_OK);
  rig.in->frames += frame_at(1500 * kMs);
  fail_unless_equals_int(rig.in->push_spans(5), GST_FLOW_OK);
  const std::vector<Span> spans = pull_spans(rig.h(), samples);
  for (const Span &span : spans)
    GST_INFO("%s %" GST_TIME_FORMAT " +%" GST_TIME_FORMAT, span.gap ? "GAP" : "buffer",
             GST_TIME_ARGS(span.start), GST_TIME_ARGS(span.duration));
  expect_contiguous(spans, 3800 * kMs);
  for (const Span &span : spans)
    fail_unless(span.duration <= GST_SECOND, "a %" GST_TIME_FORMAT " %s at %" GST_TIME_FORMAT,
                GST_TIME_ARGS(span.duration), span.gap ? "GAP" : "buffer",
                GST_TIME_ARGS(span.start));
  return spans;
}

GST_START_TEST(test_long_silence_in_pieces) {
  std::vector<gint16> samples;
  const std::vector<Span> buffers = long_silence("replyonpause handler=echo", &samples);
  for (const Span &span : buffers)
    fail_unless(!span.gap, "a GAP event at %" GST_TIME_FORMAT " without send-gaps",
                GST_TIME_ARGS(span.start));
  /* 15 spans, 2 s of GAP in two seconds, 1.5 s in a second and a half */
  fail_unless_equals_int(buffers.size(), 15 + 2 + 2);
  fail_unless_equals_uint64(samples.size(), frame_at(3800 * kMs));
  expect_silence(samples, 0, samples.size(), "silence");

  samples.clear();
  const std::vector<Span> gaps = long_silence("replyonpause handler=echo send-gaps=true", &samples);
  for (const Span &span : gaps)
    fail_unless(span.gap, "a buffer at %" GST_TIME_FORMAT " with send-gaps",
                GST_TIME_ARGS(span.start));
  fail_unless_equals_int(gaps.size(), 15 + 2 + 2);
  fail_unless_equals_uint64(samples.size(), 0);
}
GST_END_TEST;

/* ==== 11. bad input ============================================================ */

GST_START_TEST(test_without_pausedetect) {
  GstHarness *h = gst_harness_new("replyonpause");
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  gst_harness_set_src_caps(h, mono_s16_caps());
  GstBuffer *buffer = gst_buffer_new_allocate(nullptr, kSpanFrames * 2, nullptr);
  gst_buffer_memset(buffer, 0, 0, kSpanFrames * 2);
  GST_BUFFER_PTS(buffer) = 0;
  GST_BUFFER_DURATION(buffer) = kSpan;
  fail_unless_equals_int(gst_harness_push(h, buffer), GST_FLOW_ERROR);
  GstMessage *message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  fail_unless(message != nullptr, "no error message");
  GError *error = nullptr;
  gchar *debug = nullptr;
  gst_message_parse_error(message, &error, &debug);
  fail_unless(strstr(error->message, "pausedetect") != nullptr, "error: %s", error->message);
  g_error_free(error);
  g_free(debug);
  gst_message_unref(message);
  fail_unless(gst_harness_try_pull(h) == nullptr);
  gst_element_set_bus(h->element, nullptr);
  gst_bus_set_flushing(bus, TRUE);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}
GST_END_TEST;

static void expect_refused(const char *caps_text) {
  GstHarness *h = gst_harness_new("replyonpause");
  GstCaps *caps = gst_caps_from_string(caps_text);
  GstPad *sinkpad = gst_element_get_static_pad(h->element, "sink");
  fail_if(gst_pad_query_accept_caps(sinkpad, caps), "accepts %s", caps_text);
  gst_harness_set_src_caps(h, caps);
  GstCaps *current = gst_pad_get_current_caps(sinkpad);
  fail_unless(current == nullptr, "took %s", caps_text);
  gst_object_unref(sinkpad);
  GstBuffer *buffer = gst_buffer_new_allocate(nullptr, 960, nullptr);
  gst_buffer_memset(buffer, 0, 0, 960);
  GST_BUFFER_PTS(buffer) = 0;
  fail_unless_equals_int(gst_harness_push(h, buffer), GST_FLOW_NOT_NEGOTIATED);
  fail_unless(gst_harness_try_pull(h) == nullptr);
  gst_harness_teardown(h);
}

static void expect_accepted(const char *caps_text) {
  GstHarness *h = gst_harness_new("replyonpause");
  GstCaps *caps = gst_caps_from_string(caps_text);
  GstPad *sinkpad = gst_element_get_static_pad(h->element, "sink");
  fail_unless(gst_pad_query_accept_caps(sinkpad, caps), "refuses %s", caps_text);
  gst_caps_unref(caps);
  gst_object_unref(sinkpad);
  gst_harness_teardown(h);
}

GST_START_TEST(test_wrong_caps_refused) {
  expect_refused("audio/x-raw, format=S24LE, rate=16000, channels=1, layout=interleaved");
  expect_refused("audio/x-raw, format=S16LE, rate=16000, channels=1, layout=non-interleaved");
  expect_refused("audio/x-raw, format=S16LE, rate=96000, channels=1, layout=interleaved");
  expect_refused("audio/x-raw, format=S16LE, rate=16000, channels=3, layout=interleaved");
  expect_refused("video/x-raw, format=I420, width=64, height=48, framerate=25/1");
  expect_accepted("audio/x-raw, format=S16LE, rate=8000, channels=1, layout=interleaved");
  expect_accepted("audio/x-raw, format=F32LE, rate=48000, channels=2, layout=interleaved");
}
GST_END_TEST;

/* ==== 12. max-utterance-duration =============================================== */

GST_START_TEST(test_max_utterance_duration) {
  UtteranceSeen seen;
  UtteranceFn handler = [&](GstElement *element, guint64 utterance, GstSample *sample) {
    {
      std::lock_guard<std::mutex> lock(seen.mutex);
      seen.calls++;
      seen.samples = samples_of(gst_sample_get_buffer(sample));
      const GstStructure *info = gst_sample_get_info(sample);
      seen.has_info = info != nullptr;
      if (info != nullptr)
        gst_structure_get_boolean(info, "truncated", &seen.info_truncated);
    }
    push_reply(element, utterance, sample);
    end_reply(element, utterance);
  };
  seen.info_truncated = FALSE;
  Rig rig("replyonpause handler=signals max-utterance-duration=500000000 "
          "handler-timeout=10000000000");
  g_signal_connect(rig.reply, "utterance", G_CALLBACK(on_utterance), &handler);
  play_long_turn(*rig.in); /* a 2.5 s utterance */
  fail_unless_equals_int(rig.in->push_spans(50), GST_FLOW_OK);
  rig.collect();
  {
    std::lock_guard<std::mutex> lock(seen.mutex);
    fail_unless_equals_int(seen.calls, 1);
    fail_unless_equals_uint64(seen.samples.size(), frame_at(500 * kMs));
    expect_utterance(seen.samples, 0, seen.samples.size(), frame_at(kOnset1),
                     "the first 500 ms of the utterance");
    fail_unless(seen.has_info && seen.info_truncated, "the sample is not marked truncated");
  }
  expect_keys(rig.messages, {"utterance:1", "reply-start:1", "reply-end:1"});
  const ReplyMessage &utterance = rig.message("utterance:1");
  fail_unless(utterance.has_truncated && utterance.truncated, "utterance message not truncated");
  fail_unless_equals_uint64(utterance.duration, 500 * kMs);
  expect_utterance(rig.out.samples, frame_at(kLongPause), frame_at(500 * kMs), frame_at(kOnset1),
                   "the truncated reply");
  expect_silence(rig.out.samples, frame_at(kLongPause + 500 * kMs),
                 rig.out.samples.size() - frame_at(kLongPause + 500 * kMs), "after the reply");
}
GST_END_TEST;

/* ==== 13. properties =========================================================== */

static GParamSpec *find_property(GstElement *element, const char *name) {
  GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(element), name);
  fail_unless(spec != nullptr, "no property %s", name);
  return spec;
}

static void expect_time_range(GstElement *element, const char *name, guint64 min, guint64 max,
                              guint64 def) {
  GParamSpec *spec = find_property(element, name);
  fail_unless(G_IS_PARAM_SPEC_UINT64(spec), "%s is not a guint64", name);
  GParamSpecUInt64 *range = G_PARAM_SPEC_UINT64(spec);
  fail_unless_equals_uint64(range->minimum, min);
  fail_unless_equals_uint64(range->maximum, max);
  fail_unless_equals_uint64(range->default_value, def);
  guint64 value = 0;
  g_object_get(element, name, &value, nullptr);
  fail_unless_equals_uint64(value, def);
  g_object_set(element, name, min, nullptr);
  g_object_get(element, name, &value, nullptr);
  fail_unless_equals_uint64(value, min);
  g_object_set(element, name, max, nullptr);
  g_object_get(element, name, &value, nullptr);
  fail_unless_equals_uint64(value, max);
}

static void expect_bool(GstElement *element, const char *name, gboolean def) {
  GParamSpec *spec = find_property(element, name);
  fail_unless(G_IS_PARAM_SPEC_BOOLEAN(spec), "%s is not a boolean", name);
  fail_unless_equals_int(G_PARAM_SPEC_BOOLEAN(spec)->default_value, def);
  gboolean value = !def;
  g_object_get(element, name, &value, nullptr);
  fail_unless_equals_int(value, def);
  g_object_set(element, name, !def, nullptr);
  g_object_get(element, name, &value, nullptr);
  fail_unless_equals_int(value, !def);
}

GST_START_TEST(test_properties) {
  GstElement *element = gst_element_factory_make("replyonpause", nullptr);
  fail_unless(element != nullptr);
  for (const char *name : {"handler", "command", "handler-timeout", "can-interrupt",
                           "max-utterance-duration", "send-gaps", "post-messages"}) {
    GParamSpec *spec = find_property(element, name);
    fail_unless((spec->flags & G_PARAM_READWRITE) == G_PARAM_READWRITE, "%s not read-write", name);
    fail_unless(spec->flags & GST_PARAM_MUTABLE_PLAYING, "%s not changeable while playing", name);
  }
  /* handler: an enum with echo by default */
  GParamSpec *handler = find_property(element, "handler");
  fail_unless(G_IS_PARAM_SPEC_ENUM(handler));
  GEnumClass *handlers = G_PARAM_SPEC_ENUM(handler)->enum_class;
  const char *nicks[] = {"echo", "signals", "command", "pads"};
  for (int i = 0; i < 4; i++) {
    GEnumValue *value = g_enum_get_value(handlers, i);
    fail_unless(value != nullptr && g_str_equal(value->value_nick, nicks[i]), "handler %d", i);
  }
  fail_unless_equals_int(handlers->n_values, 4);
  fail_unless_equals_int(G_PARAM_SPEC_ENUM(handler)->default_value, 0);
  gint kind = -1;
  g_object_get(element, "handler", &kind, nullptr);
  fail_unless_equals_int(kind, 0);
  gst_util_set_object_arg(G_OBJECT(element), "handler", "pads");
  g_object_get(element, "handler", &kind, nullptr);
  fail_unless_equals_int(kind, 3);
  /* command: none by default */
  gchar *command = nullptr;
  g_object_get(element, "command", &command, nullptr);
  fail_unless(command == nullptr, "command defaults to '%s'", command);
  g_object_set(element, "command", "sh -c 'cat'", nullptr);
  g_object_get(element, "command", &command, nullptr);
  fail_unless_equals_string(command, "sh -c 'cat'");
  g_free(command);
  g_object_set(element, "command", nullptr, nullptr);
  g_object_get(element, "command", &command, nullptr);
  fail_unless(command == nullptr);

  expect_time_range(element, "handler-timeout", 10 * GST_MSECOND, 3600 * GST_SECOND,
                    30 * GST_SECOND);
  expect_time_range(element, "max-utterance-duration", 100 * GST_MSECOND, 3600 * GST_SECOND,
                    60 * GST_SECOND);
  expect_bool(element, "can-interrupt", TRUE);
  expect_bool(element, "send-gaps", FALSE);
  expect_bool(element, "post-messages", TRUE);

  /* the signals */
  for (const char *name :
       {"utterance", "greeting", "reply-stop", "push-reply", "end-reply", "fail-reply"})
    fail_unless(g_signal_lookup(name, G_OBJECT_TYPE(element)) != 0, "no %s signal", name);
  gst_object_unref(element);
}
GST_END_TEST;

GST_START_TEST(test_post_messages_false) {
  Rig rig("replyonpause handler=echo post-messages=false");
  play_two_turns(*rig.in);
  rig.collect();
  expect_keys(rig.messages, {});
  expect_two_turn_replies(rig.out.samples); /* replies still play */
  /* and switching it on at run time posts again */
  g_object_set(rig.reply, "post-messages", TRUE, nullptr);
  rig.in->turn(3);
  fail_unless_equals_int(rig.in->push_spans(60), GST_FLOW_OK);
  rig.collect();
  expect_keys(rig.messages, {"utterance:3", "reply-start:3", "reply-end:3"});
}
GST_END_TEST;

/* ==== review regressions ======================================================= */

/* A greeting that comes while an utterance is open (a new session) must not
 * take that utterance's number, nor may the utterance take the greeting's. */
GST_START_TEST(test_greeting_mid_utterance_keeps_numbers_unique) {
  std::mutex mutex;
  std::vector<guint64> greetings;
  GreetingFn greet = [&](GstElement *, GstVoiceKitSessionContext *, guint64 number) -> gboolean {
    std::lock_guard<std::mutex> lock(mutex);
    greetings.push_back(number);
    return FALSE; /* no greeting audio: only the numbering matters here */
  };
  Rig rig("replyonpause handler=echo");
  g_signal_connect(rig.reply, "greeting", G_CALLBACK(on_greeting), &greet);
  fail_unless_equals_int(rig.in->push_spans(5), GST_FLOW_OK);
  const GstClockTime onset = rig.in->now();
  fail_unless_equals_int(rig.in->push_spans(3), GST_FLOW_OK);
  fail_unless(rig.in->speech_start(1, onset));
  fail_unless_equals_int(rig.in->push_spans(10), GST_FLOW_OK);
  rig.in->set_session("caller-2"); /* a greeting while utterance 1 is open */
  fail_unless_equals_int(rig.in->push_spans(10), GST_FLOW_OK);
  fail_unless(rig.in->pause(1, onset, rig.in->now()));
  fail_unless_equals_int(rig.in->push_spans(60), GST_FLOW_OK);
  rig.in->turn(2);
  fail_unless_equals_int(rig.in->push_spans(60), GST_FLOW_OK);
  rig.collect();
  std::vector<guint64> numbers;
  {
    std::lock_guard<std::mutex> lock(mutex);
    numbers = greetings;
  }
  for (const ReplyMessage &m : rig.messages)
    if (m.event == "utterance")
      numbers.push_back(m.utterance);
  fail_unless_equals_int(numbers.size(), 4); /* two greetings, two utterances */
  std::vector<guint64> sorted = numbers;
  std::sort(sorted.begin(), sorted.end());
  fail_unless(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end(),
              "a number was given twice: [%s]",
              [&] {
                std::vector<std::string> text;
                for (guint64 n : numbers)
                  text.push_back(std::to_string(n));
                return joined(text);
              }()
                  .c_str());
}
GST_END_TEST;

/* Huge input buffers: reply buffers too are cut to at most one second. */
GST_START_TEST(test_reply_buffers_at_most_a_second) {
  Rig rig("replyonpause handler=echo", true /* live */);
  auto push_big = [&](guint seconds) {
    const guint frames = seconds * kReplyRate;
    GstBuffer *buffer = gst_buffer_new_allocate(nullptr, frames * 2, nullptr);
    GstMapInfo map;
    gst_buffer_map(buffer, &map, GST_MAP_WRITE);
    auto *samples = reinterpret_cast<gint16 *>(map.data);
    for (guint n = 0; n < frames; n++)
      samples[n] = input_sample(rig.in->frames + n);
    gst_buffer_unmap(buffer, &map);
    GST_BUFFER_PTS(buffer) = rig.in->now();
    GST_BUFFER_DURATION(buffer) = seconds * GST_SECOND;
    rig.in->frames += frames;
    fail_unless_equals_int(gst_harness_push(rig.h(), buffer), GST_FLOW_OK);
  };
  push_big(3);
  fail_unless(rig.in->speech_start(1, 0));
  push_big(3);
  fail_unless(rig.in->pause(1, 0, rig.in->now()));
  push_big(3);
  push_big(3);
  push_big(3);
  GstBuffer *buffer;
  guint buffers = 0;
  while ((buffer = gst_harness_try_pull(rig.h())) != nullptr) {
    fail_unless(GST_BUFFER_DURATION(buffer) <= GST_SECOND, "an output buffer of %" GST_TIME_FORMAT,
                GST_TIME_ARGS(GST_BUFFER_DURATION(buffer)));
    buffers++;
    gst_buffer_unref(buffer);
  }
  fail_unless(buffers >= 15, "%u output buffers for 15 s", buffers);
  rig.collect();
  fail_unless(rig.has_message("reply-start:1"));
}
GST_END_TEST;

static Suite *replyonpause_suite(void) {
  Suite *s = suite_create("replyonpause");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_echo_two_turns);
  tcase_add_test(tc, test_echo_deterministic);
  tcase_add_test(tc, test_signals_chunks_deterministic);
  tcase_add_test(tc, test_signals_thread_session_sample);
  tcase_add_test(tc, test_signals_streaming_live);
  tcase_add_test(tc, test_signals_reply_end_at_last_sample_live);
  tcase_add_test(tc, test_reply_converted_to_output_format);
  tcase_add_test(tc, test_output_caps_from_downstream);
  tcase_add_test(tc, test_command_cat_equals_echo);
  tcase_add_test(tc, test_command_environment);
  tcase_add_test(tc, test_pads_harnesses_live);
  tcase_add_test(tc, test_pads_branch_in_bin);
  tcase_add_test(tc, test_pads_pipeline_with_pausedetect);
  tcase_add_test(tc, test_interrupt_echo_live);
  tcase_add_test(tc, test_interrupt_signals_live);
  tcase_add_test(tc, test_no_interrupt);
  tcase_add_test(tc, test_greeting);
  tcase_add_test(tc, test_greeting_mid_utterance_keeps_numbers_unique);
  tcase_add_test(tc, test_reply_buffers_at_most_a_second);
  tcase_add_test(tc, test_no_greeting_handler);
  tcase_add_test(tc, test_send_gaps);
  tcase_add_test(tc, test_long_silence_in_pieces);
  tcase_add_test(tc, test_without_pausedetect);
  tcase_add_test(tc, test_wrong_caps_refused);
  tcase_add_test(tc, test_max_utterance_duration);
  tcase_add_test(tc, test_properties);
  tcase_add_test(tc, test_post_messages_false);
  return s;
}

GST_CHECK_MAIN(replyonpause);

/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * gst-check tests of replyonpause's failure paths: handlers of every kind
 * that fail, hang or give no or broken audio; state changes to NULL while a
 * handler runs; EOS and FLUSH during a reply; state changes at any moment;
 * a session change during a reply; and a hostile client's attacks (issue
 * 13): timestamp and segment jumps, state cycles while buffers flow, command
 * handlers that leave processes behind or hold stdout, and handlers that
 * write far faster than real time.
 */
/* Standard headers first: gst-check's `fail` macro breaks std::basic_ios. */
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/proc-status.hpp"
#include "../common/reply-input.hpp"

using namespace voicekit::testing;

constexpr guint64 kTurnFrames = 900 * kReplyRate / 1000; /* a default turn(): 400 + 500 ms */
constexpr guint kChunkFrames = kReplyRate / 10;          /* 100 ms reply chunks */

static gint64 ms_since(gint64 start_us) {
  return (g_get_monotonic_time() - start_us) / 1000;
}

/* Reply audio of the handler's call `call` (1, 2, ...): a negative value,
 * which no input sample (input_sample() > 0) and no silence has. */
static gint16 reply_value(guint call) {
  return static_cast<gint16>(-1000 - static_cast<gint>(call));
}

static GstSample *reply_sample(guint frames, gint16 value) {
  GstBuffer *buffer = gst_buffer_new_allocate(nullptr, frames * 2, nullptr);
  GstMapInfo map;
  gst_buffer_map(buffer, &map, GST_MAP_WRITE);
  auto *samples = reinterpret_cast<gint16 *>(map.data);
  for (guint i = 0; i < frames; i++)
    samples[i] = value;
  gst_buffer_unmap(buffer, &map);
  GstCaps *caps = mono_s16_caps();
  GstSample *sample = gst_sample_new(buffer, caps, nullptr, nullptr);
  gst_caps_unref(caps);
  gst_buffer_unref(buffer);
  return sample;
}

static guint64 frame_of(GstClockTime running_time) {
  return gst_util_uint64_scale(running_time, kReplyRate, GST_SECOND);
}

/* ---- bus ------------------------------------------------------------------ */

/* Everything the element posted, in order. */
struct BusLog {
  std::vector<GstStructure *> replies; /* replyonpause messages */
  std::vector<std::string> warnings;   /* "message | debug" */
  std::vector<std::string> errors;

  BusLog() = default;
  BusLog(const BusLog &) = delete;
  BusLog &operator=(const BusLog &) = delete;
  ~BusLog() {
    for (GstStructure *s : replies)
      gst_structure_free(s);
  }

  void drain(GstBus *bus) {
    GstMessage *message;
    while ((message = gst_bus_pop(bus)) != nullptr) {
      if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ELEMENT) {
        const GstStructure *s = gst_message_get_structure(message);
        if (gst_structure_has_name(s, "replyonpause"))
          replies.push_back(gst_structure_copy(s));
      } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_WARNING ||
                 GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
        GError *error = nullptr;
        gchar *debug = nullptr;
        if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_WARNING)
          gst_message_parse_warning(message, &error, &debug);
        else
          gst_message_parse_error(message, &error, &debug);
        std::string text = std::string(error->message) + " | " + (debug != nullptr ? debug : "");
        (GST_MESSAGE_TYPE(message) == GST_MESSAGE_WARNING ? warnings : errors).push_back(text);
        g_error_free(error);
        g_free(debug);
      }
      gst_message_unref(message);
    }
  }

  static guint64 utterance_of(const GstStructure *s) {
    guint64 utterance = G_MAXUINT64;
    gst_structure_get_uint64(s, "utterance", &utterance);
    return utterance;
  }

  /* The last `event` message for `utterance`, or nullptr. */
  const GstStructure *find(const char *event, guint64 utterance) const {
    for (auto it = replies.rbegin(); it != replies.rend(); ++it) {
      if (g_strcmp0(gst_structure_get_string(*it, "event"), event) == 0 &&
          utterance_of(*it) == utterance)
        return *it;
    }
    return nullptr;
  }

  guint count(const char *event) const {
    guint n = 0;
    for (GstStructure *s : replies)
      n += g_strcmp0(gst_structure_get_string(s, "event"), event) == 0;
    return n;
  }

  std::string summary() const {
    std::string text;
    for (GstStructure *s : replies) {
      text += text.empty() ? "" : ", ";
      text +=
          std::string(gst_structure_get_string(s, "event")) + ":" + std::to_string(utterance_of(s));
      if (const gchar *error = gst_structure_get_string(s, "error"))
        text += std::string(" (") + error + ")";
    }
    return text.empty() ? "(none)" : text;
  }
};

static void on_finalized(gpointer data, GObject *) {
  g_atomic_int_set(static_cast<gint *>(data), 1);
}

/* A ReplyInput with a bus. teardown() (also from the destructor) checks that
 * the element is finalized soon after the harness lets go of it: a worker
 * still holding it after its handler returned is a leak, and the leaks tracer
 * must not see objects a worker frees after the test ended. */
struct Fixture {
  std::unique_ptr<ReplyInput> in;
  GstElement *element = nullptr; /* the replyonpause in `in`'s bin */
  GstBus *bus = nullptr;
  BusLog log;

  explicit Fixture(const char *description, bool live = false) {
    in = std::make_unique<ReplyInput>(description, live);
    /* gst_harness_new_parse() wraps the element in a bin */
    GstElement *bin = in->element();
    fail_unless(GST_IS_BIN(bin) && GST_BIN_NUMCHILDREN(bin) == 1);
    element = GST_ELEMENT(GST_BIN_CHILDREN(bin)->data);
    fail_unless_equals_string(G_OBJECT_TYPE_NAME(element), "GstVoiceKitReplyOnPause");
    bus = gst_bus_new();
    gst_element_set_bus(bin, bus);
  }
  Fixture(const Fixture &) = delete;
  Fixture &operator=(const Fixture &) = delete;
  ~Fixture() { teardown(); }

  void drain() { log.drain(bus); }

  void teardown() {
    if (!in)
      return;
    drain(); /* messages hold references to the element */
    gst_element_set_bus(in->element(), nullptr);
    /* Not freed if the element lives on: the weak reference still points here. */
    auto *finalized = new gint(0);
    g_object_weak_ref(G_OBJECT(element), on_finalized, finalized);
    in.reset();
    const gint64 start = g_get_monotonic_time();
    while (!g_atomic_int_get(finalized) && ms_since(start) < 3000)
      g_usleep(2000);
    fail_unless(g_atomic_int_get(finalized), "the element was not finalized 3 s after teardown");
    delete finalized;
    element = nullptr;
    /* Whatever the last worker frees after dropping the element. */
    g_usleep(20000);
    gst_object_unref(bus);
    bus = nullptr;
  }
};

static const GstStructure *expect_handler_error(Fixture &fx, guint64 utterance,
                                                const char *mentions,
                                                const char *webrtc_id = "caller-1") {
  fx.drain();
  const GstStructure *s = fx.log.find("handler-error", utterance);
  fail_unless(s != nullptr, "no handler-error for utterance %" G_GUINT64_FORMAT "; messages: %s",
              utterance, fx.log.summary().c_str());
  const gchar *error = gst_structure_get_string(s, "error");
  fail_unless(error != nullptr && *error != '\0', "handler-error without `error`");
  fail_unless(strstr(error, mentions) != nullptr, "handler-error `%s` does not mention `%s`", error,
              mentions);
  fail_unless_equals_string(gst_structure_get_string(s, "webrtc-id"), webrtc_id);
  fail_unless(gst_structure_has_field_typed(s, "running-time", G_TYPE_UINT64));
  fail_unless(gst_structure_has_field_typed(s, "stream-time", G_TYPE_UINT64));
  /* and an element warning saying the same */
  const std::string said = "utterance " + std::to_string(utterance) + ": " + error;
  bool warned = false;
  for (const std::string &warning : fx.log.warnings)
    warned = warned || warning.find(said) != std::string::npos;
  fail_unless(warned, "no element warning with `%s`", said.c_str());
  return s;
}

static void expect_no_handler_error(Fixture &fx, guint64 utterance) {
  fx.drain();
  fail_unless(fx.log.find("handler-error", utterance) == nullptr,
              "unexpected handler-error for utterance %" G_GUINT64_FORMAT "; messages: %s",
              utterance, fx.log.summary().c_str());
}

/* ---- output checks -------------------------------------------------------- */

static guint64 count_value(const std::vector<gint16> &samples, gint16 value, std::size_t from = 0) {
  guint64 n = 0;
  for (std::size_t i = from; i < samples.size(); i++)
    n += samples[i] == value;
  return n;
}

/* The reply of handler call `call` played whole: `frames` samples, in one run. */
static void expect_reply(const ReplyOutput &out, guint call, guint64 frames) {
  const gint16 value = reply_value(call);
  const guint64 n = count_value(out.samples, value);
  fail_unless(n == frames,
              "reply of call %u: %" G_GUINT64_FORMAT " samples out, expected %" G_GUINT64_FORMAT,
              call, n, frames);
  std::size_t first = 0;
  while (out.samples[first] != value)
    first++;
  for (std::size_t i = first; i < first + frames; i++) {
    if (out.samples[i] != value)
      fail("reply of call %u is not one run: sample %zu is %d", call, i, out.samples[i]);
  }
}

/* Not live: the reply to a turn (pause at input frame `pause_frame`, onset at
 * `onset_frame`) is that utterance, played from output frame `pause_frame`. */
static void expect_echo(const ReplyOutput &out, guint64 pause_frame, guint64 onset_frame,
                        guint64 frames = kTurnFrames) {
  fail_unless(out.samples.size() >= pause_frame + frames,
              "only %zu output samples, the echo needs %" G_GUINT64_FORMAT, out.samples.size(),
              pause_frame + frames);
  for (guint64 i = 0; i < frames; i++) {
    if (out.samples[pause_frame + i] != input_sample(onset_frame + i))
      fail("echo sample %" G_GUINT64_FORMAT " (output frame %" G_GUINT64_FORMAT ") is %d, "
           "expected %d",
           i, pause_frame + i, out.samples[pause_frame + i], input_sample(onset_frame + i));
  }
}

/* ---- a signals handler ------------------------------------------------------ */

enum class Act {
  kReply,      /* two chunks, end-reply */
  kFail,       /* fail-reply */
  kNothing,    /* returns without replying */
  kEndOnly,    /* end-reply without audio */
  kBadCaps,    /* push-reply with video caps */
  kBadSize,    /* push-reply with half a frame */
  kNoCaps,     /* push-reply with a sample without caps */
  kBlock,      /* waits for release(), then push-reply */
  kDelayed,    /* after 300 ms five chunks, end-reply */
  kChunkNoEnd, /* one chunk, never ends */
  kHold,       /* one chunk, waits for release(), one more chunk, end-reply */
  kLong,       /* one chunk of 2 s, end-reply */
  kFlood,      /* 100 ms chunks as fast as push-reply takes them, at most 60 s */
};

/* The `utterance` and `reply-stop` signals. Declare it before the Fixture so
 * it outlives the element. */
struct Handler {
  GstElement *element = nullptr;
  GMutex lock;
  GCond cond;
  Act act = Act::kReply;                          /* for calls past `plan` */
  std::vector<Act> plan;                          /* per call, from the first */
  guint calls = 0;                                /* started */
  std::vector<guint> returned;                    /* calls that returned */
  guint release_upto = 0;                         /* calls up to this one may go on */
  std::vector<guint64> utterances;                /* per call */
  std::vector<std::string> sessions;              /* current webrtc-id per call */
  std::vector<std::vector<gint16>> audio;         /* the utterance per call */
  std::vector<std::pair<guint, gboolean>> pushes; /* (call, push-reply result) */
  std::vector<guint64> stops;                     /* reply-stop */

  Handler() {
    g_mutex_init(&lock);
    g_cond_init(&cond);
  }
  Handler(const Handler &) = delete;
  Handler &operator=(const Handler &) = delete;
  ~Handler() {
    g_mutex_clear(&lock);
    g_cond_clear(&cond);
  }

  void attach(GstElement *e);

  void set_act(Act a) {
    g_mutex_lock(&lock);
    act = a;
    g_mutex_unlock(&lock);
  }
  void release(guint upto) {
    g_mutex_lock(&lock);
    release_upto = upto;
    g_cond_broadcast(&cond);
    g_mutex_unlock(&lock);
  }
  bool wait(const std::function<bool()> &done, gint64 timeout_ms = 3000) {
    const gint64 end = g_get_monotonic_time() + timeout_ms * 1000;
    g_mutex_lock(&lock);
    bool ok = done();
    while (!ok && g_cond_wait_until(&cond, &lock, end))
      ok = done();
    ok = done();
    g_mutex_unlock(&lock);
    return ok;
  }
  bool wait_calls(guint n) {
    return wait([&] { return calls >= n; });
  }
  /* Call `call` (0: none) returned. */
  bool wait_returned(guint call) {
    return wait([&] {
      return call == 0 || std::find(returned.begin(), returned.end(), call) != returned.end();
    });
  }
  template <typename T> T locked(const std::function<T()> &get) {
    g_mutex_lock(&lock);
    T value = get();
    g_mutex_unlock(&lock);
    return value;
  }
  std::vector<std::pair<guint, gboolean>> pushes_of(guint call) {
    return locked<std::vector<std::pair<guint, gboolean>>>([&] {
      std::vector<std::pair<guint, gboolean>> of;
      for (auto &p : pushes)
        if (p.first == call)
          of.push_back(p);
      return of;
    });
  }
  /* The utterance number call `call` got. */
  guint64 utterance_of(guint call) {
    return locked<guint64>([&] {
      fail_unless(call >= 1 && call <= utterances.size(), "no call %u", call);
      return utterances[call - 1];
    });
  }
  bool stopped(guint64 utterance) {
    return locked<bool>([&] {
      for (guint64 u : stops)
        if (u == utterance)
          return true;
      return false;
    });
  }

  gboolean push(guint call, guint64 utterance, GstSample *sample) {
    gboolean ok = FALSE;
    g_signal_emit_by_name(element, "push-reply", utterance, sample, &ok);
    if (sample != nullptr)
      gst_sample_unref(sample);
    g_mutex_lock(&lock);
    pushes.emplace_back(call, ok);
    g_cond_broadcast(&cond);
    g_mutex_unlock(&lock);
    return ok;
  }
  gboolean end(guint64 utterance) {
    gboolean ok = FALSE;
    g_signal_emit_by_name(element, "end-reply", utterance, &ok);
    return ok;
  }
  gboolean fail_reply(guint64 utterance, const char *why) {
    gboolean ok = FALSE;
    g_signal_emit_by_name(element, "fail-reply", utterance, why, &ok);
    return ok;
  }
  void wait_release(guint call) {
    g_mutex_lock(&lock);
    while (release_upto < call)
      g_cond_wait(&cond, &lock);
    g_mutex_unlock(&lock);
  }
};

static void on_utterance(GstElement *, guint64 utterance, GstSample *sample, Handler *h) {
  g_mutex_lock(&h->lock);
  const guint call = ++h->calls;
  const Act act = call <= h->plan.size() ? h->plan[call - 1] : h->act;
  h->utterances.push_back(utterance);
  GstVoiceKitSessionContext *current = gst_voicekit_session_context_get_current();
  h->sessions.push_back(current != nullptr ? gst_voicekit_session_context_get_webrtc_id(current)
                                           : "");
  if (current != nullptr)
    gst_voicekit_session_context_unref(current);
  std::vector<gint16> audio;
  GstMapInfo map;
  if (sample != nullptr && gst_buffer_map(gst_sample_get_buffer(sample), &map, GST_MAP_READ)) {
    const auto *data = reinterpret_cast<const gint16 *>(map.data);
    audio.assign(data, data + map.size / 2);
    gst_buffer_unmap(gst_sample_get_buffer(sample), &map);
  }
  h->audio.push_back(std::move(audio));
  g_cond_broadcast(&h->cond);
  g_mutex_unlock(&h->lock);

  const gint16 value = reply_value(call);
  switch (act) {
  case Act::kReply:
    h->push(call, utterance, reply_sample(kChunkFrames, value));
    h->push(call, utterance, reply_sample(kChunkFrames, value));
    h->end(utterance);
    break;
  case Act::kFail:
    h->fail_reply(utterance, "the model exploded");
    break;
  case Act::kNothing:
    break;
  case Act::kEndOnly:
    h->end(utterance);
    break;
  case Act::kBadCaps: {
    GstCaps *caps = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "RGB", "width",
                                        G_TYPE_INT, 16, "height", G_TYPE_INT, 10, nullptr);
    GstBuffer *buffer = gst_buffer_new_allocate(nullptr, 480, nullptr);
    GstSample *sample = gst_sample_new(buffer, caps, nullptr, nullptr);
    gst_buffer_unref(buffer);
    gst_caps_unref(caps);
    h->push(call, utterance, sample);
    break;
  }
  case Act::kBadSize: {
    GstCaps *caps = mono_s16_caps();
    GstBuffer *buffer = gst_buffer_new_allocate(nullptr, 3, nullptr);
    gst_buffer_memset(buffer, 0, 0x55, 3);
    GstSample *sample = gst_sample_new(buffer, caps, nullptr, nullptr);
    gst_buffer_unref(buffer);
    gst_caps_unref(caps);
    h->push(call, utterance, sample);
    break;
  }
  case Act::kNoCaps: {
    GstBuffer *buffer = gst_buffer_new_allocate(nullptr, kChunkFrames * 2, nullptr);
    GstSample *sample = gst_sample_new(buffer, nullptr, nullptr, nullptr);
    gst_buffer_unref(buffer);
    h->push(call, utterance, sample);
    break;
  }
  case Act::kBlock:
    h->wait_release(call);
    h->push(call, utterance, reply_sample(kChunkFrames, value));
    break;
  case Act::kDelayed:
    g_usleep(300 * 1000);
    for (int i = 0; i < 5; i++)
      h->push(call, utterance, reply_sample(kChunkFrames, value));
    h->end(utterance);
    break;
  case Act::kChunkNoEnd:
    h->push(call, utterance, reply_sample(kChunkFrames, value));
    break;
  case Act::kHold:
    h->push(call, utterance, reply_sample(kReplyRate, value)); /* 1 s */
    h->wait_release(call);
    h->push(call, utterance, reply_sample(kChunkFrames, value));
    h->end(utterance);
    break;
  case Act::kLong:
    h->push(call, utterance, reply_sample(2 * kReplyRate, value));
    h->end(utterance);
    break;
  case Act::kFlood:
    for (int i = 0; i < 600; i++)
      if (!h->push(call, utterance, reply_sample(kChunkFrames, value)))
        break;
    break;
  }
  g_mutex_lock(&h->lock);
  h->returned.push_back(call);
  g_cond_broadcast(&h->cond);
  g_mutex_unlock(&h->lock);
}

static void on_reply_stop(GstElement *, guint64 utterance, Handler *h) {
  g_mutex_lock(&h->lock);
  h->stops.push_back(utterance);
  g_cond_broadcast(&h->cond);
  g_mutex_unlock(&h->lock);
}

void Handler::attach(GstElement *e) {
  element = e;
  g_signal_connect(e, "utterance", G_CALLBACK(on_utterance), this);
  g_signal_connect(e, "reply-stop", G_CALLBACK(on_reply_stop), this);
}

/* ---- a handler branch for handler=pads ------------------------------------ */

/* utterance_src -> [sink  Branch  src] -> reply_sink. Loops the utterance back
 * as the reply, or drops it (never replies); block() holds the utterance in a
 * blocking probe, as a busy branch does. Declare it before the Fixture. */
struct Branch {
  GstPad *sink = nullptr;
  GstPad *src = nullptr;
  /* kDrop: never replies; kNoAudio: ends without audio; kStuck: the chain
   * blocks, deaf to flushes, until release() */
  enum Mode { kLoopback, kDrop, kNoAudio, kStuck };
  std::atomic<int> mode{kLoopback};
  gulong probe = 0;
  gint blocked = 0;
  GMutex lock;
  GCond cond;
  bool released = false;

  Branch() {
    g_mutex_init(&lock);
    g_cond_init(&cond);
  }
  Branch(const Branch &) = delete;
  Branch &operator=(const Branch &) = delete;
  ~Branch() {
    release();
    g_mutex_clear(&lock);
    g_cond_clear(&cond);
    if (sink == nullptr)
      return;
    if (probe != 0)
      gst_pad_remove_probe(sink, probe);
    gst_pad_set_active(sink, FALSE);
    gst_pad_set_active(src, FALSE);
    gst_object_unref(sink);
    gst_object_unref(src);
  }

  static Branch *of(GstPad *pad) { return static_cast<Branch *>(gst_pad_get_element_private(pad)); }

  static GstFlowReturn chain(GstPad *pad, GstObject *, GstBuffer *buffer) {
    Branch *b = of(pad);
    if (b->mode == kLoopback)
      return gst_pad_push(b->src, buffer);
    if (b->mode == kStuck) {
      g_mutex_lock(&b->lock);
      g_atomic_int_set(&b->blocked, 1);
      while (!b->released)
        g_cond_wait(&b->cond, &b->lock);
      g_mutex_unlock(&b->lock);
    }
    gst_buffer_unref(buffer);
    return GST_FLOW_OK;
  }

  void release() {
    g_mutex_lock(&lock);
    released = true;
    g_cond_broadcast(&cond);
    g_mutex_unlock(&lock);
  }
  /* Waits up to `timeout_ms` for release(). */
  void wait_released(gint64 timeout_ms) {
    const gint64 end = g_get_monotonic_time() + timeout_ms * 1000;
    g_mutex_lock(&lock);
    while (!released && g_cond_wait_until(&cond, &lock, end)) {
    }
    g_mutex_unlock(&lock);
  }

  static gboolean event(GstPad *pad, GstObject *, GstEvent *event) {
    Branch *b = of(pad);
    if (b->mode == kDrop && gst_event_has_name(event, GST_VOICEKIT_UTTERANCE_EVENT_NAME)) {
      gst_event_unref(event);
      return TRUE;
    }
    return gst_pad_push_event(b->src, event);
  }

  static GstPadProbeReturn on_block(GstPad *, GstPadProbeInfo *, gpointer data) {
    g_atomic_int_set(&static_cast<Branch *>(data)->blocked, 1);
    return GST_PAD_PROBE_OK; /* stay blocked until removed or flushed */
  }

  /* Requests both handler pads of `element` and links them through here. */
  void attach(GstElement *element) {
    sink = gst_pad_new("branch_sink", GST_PAD_SINK);
    src = gst_pad_new("branch_src", GST_PAD_SRC);
    gst_pad_set_element_private(sink, this);
    gst_pad_set_chain_function(sink, chain);
    gst_pad_set_event_function(sink, event);
    fail_unless(gst_pad_set_active(sink, TRUE));
    fail_unless(gst_pad_set_active(src, TRUE));
    GstPad *utterance_src = gst_element_request_pad_simple(element, "utterance_src");
    GstPad *reply_sink = gst_element_request_pad_simple(element, "reply_sink");
    fail_unless(utterance_src != nullptr && reply_sink != nullptr);
    fail_unless_equals_int(gst_pad_link(utterance_src, sink), GST_PAD_LINK_OK);
    fail_unless_equals_int(gst_pad_link(src, reply_sink), GST_PAD_LINK_OK);
    gst_object_unref(utterance_src);
    gst_object_unref(reply_sink);
  }

  void block() {
    probe = gst_pad_add_probe(
        sink, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER),
        on_block, this, nullptr);
  }
};

/* ---- child processes ---------------------------------------------------- */

/* Processes whose command line is exactly `command` (arguments joined by
 * spaces). Zombies have none. */
static std::vector<long> processes_running(const std::string &command) {
  std::vector<long> pids;
  DIR *proc = opendir("/proc");
  fail_unless(proc != nullptr);
  while (struct dirent *entry = readdir(proc)) {
    char *end = nullptr;
    const long pid = strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || pid <= 0)
      continue;
    gchar *path = g_strdup_printf("/proc/%ld/cmdline", pid);
    gchar *contents = nullptr;
    gsize length = 0;
    if (g_file_get_contents(path, &contents, &length, nullptr)) {
      std::string line(contents, length);
      for (char &c : line)
        c = c == '\0' ? ' ' : c;
      while (!line.empty() && line.back() == ' ')
        line.pop_back();
      if (line == command)
        pids.push_back(pid);
      g_free(contents);
    }
    g_free(path);
  }
  closedir(proc);
  return pids;
}

/* A `sleep` command line no other process runs: this test process's id. */
static std::string unique_sleep() {
  return "sleep 30." + std::to_string(getpid());
}

/* Waits up to `timeout_ms` for `command` to be running (or gone). */
static bool wait_for_process(const std::string &command, bool running, gint64 timeout_ms) {
  const gint64 start = g_get_monotonic_time();
  for (;;) {
    if (processes_running(command).empty() != running)
      return true;
    if (ms_since(start) > timeout_ms)
      return false;
    g_usleep(5000);
  }
}

/* ======================================================================== */
/* 1. signals                                                               */
/* ======================================================================== */

/* A good reply (Act::kReply) to the next turn, not live: all of it plays, no
 * handler-error. */
static void expect_next_utterance_works(Fixture &fx, Handler &h, ReplyOutput &out,
                                        guint64 utterance, guint call) {
  fx.in->turn(utterance);
  fx.in->push_spans(20);
  out.pull_all(fx.in->h);
  fail_unless(h.wait_returned(call));
  expect_reply(out, call, 2 * kChunkFrames);
  expect_no_handler_error(fx, utterance);
  fail_unless(fx.log.find("reply-start", utterance) != nullptr, "no reply-start:%" G_GUINT64_FORMAT,
              utterance);
  fail_unless(fx.log.find("reply-end", utterance) != nullptr, "no reply-end:%" G_GUINT64_FORMAT,
              utterance);
}

GST_START_TEST(test_signals_fail_reply_posts_handler_error) {
  Handler h;
  Fixture fx("replyonpause handler=signals");
  h.attach(fx.element);
  h.plan = {Act::kFail};
  ReplyOutput out;
  fx.in->push_spans(5);
  fx.in->turn(1);
  fx.in->push_spans(10);
  out.pull_all(fx.in->h);
  fail_unless(h.wait_returned(1));
  fail_unless_equals_string(h.sessions[0].c_str(), "caller-1");
  expect_handler_error(fx, 1, "the model exploded");
  fail_unless_equals_string(gst_structure_get_string(fx.log.find("handler-error", 1), "error"),
                            "the model exploded");
  fail_unless(fx.log.find("reply-start", 1) == nullptr);
  fail_unless(fx.log.errors.empty(), "element error: %s", fx.log.errors[0].c_str());
  /* nothing played */
  fail_unless_equals_uint64(count_value(out.samples, reply_value(1)), 0);
  expect_next_utterance_works(fx, h, out, 2, 2);
}
GST_END_TEST;

GST_START_TEST(test_signals_no_reply_times_out) {
  Handler h;
  Fixture fx("replyonpause handler=signals handler-timeout=200000000");
  h.attach(fx.element);
  h.plan = {Act::kNothing};
  ReplyOutput out;
  fx.in->push_spans(5);
  const gint64 start = g_get_monotonic_time();
  fx.in->turn(1); /* not live: the pause waits for the handler */
  const gint64 waited = ms_since(start);
  fail_unless(waited >= 150 && waited < 1000, "the pause returned after %" G_GINT64_FORMAT " ms",
              waited);
  fx.in->push_spans(5);
  out.pull_all(fx.in->h);
  expect_handler_error(fx, 1, "handler-timeout");
  /* the element told the handler to stop */
  fail_unless(h.wait([&] { return !h.stops.empty(); }), "no reply-stop after the timeout");
  expect_next_utterance_works(fx, h, out, 2, 2);

  /* a handler that hangs in the signal itself */
  h.set_act(Act::kBlock);
  const gint64 hang = g_get_monotonic_time();
  fx.in->turn(3);
  const gint64 hung = ms_since(hang);
  fail_unless(hung >= 150 && hung < 1000, "the pause returned after %" G_GINT64_FORMAT " ms", hung);
  fx.in->push_spans(5);
  out.pull_all(fx.in->h);
  expect_handler_error(fx, 3, "handler-timeout");
  fail_unless(h.stopped(3), "no reply-stop for the hanging handler");
  /* the next utterance works while that handler still hangs */
  h.set_act(Act::kReply);
  expect_next_utterance_works(fx, h, out, 4, 4);
  h.release(3);
  fail_unless(h.wait_returned(3));
  auto late = h.pushes_of(3);
  fail_unless(late.size() == 1 && !late[0].second, "the hung handler's late push was taken");
  fx.in->push_spans(20);
  out.pull_all(fx.in->h);
  fail_unless_equals_uint64(count_value(out.samples, reply_value(3)), 0);
}
GST_END_TEST;

GST_START_TEST(test_signals_end_without_audio) {
  Handler h;
  Fixture fx("replyonpause handler=signals");
  h.attach(fx.element);
  h.plan = {Act::kEndOnly};
  ReplyOutput out;
  fx.in->push_spans(5);
  fx.in->turn(1);
  fx.in->push_spans(5);
  out.pull_all(fx.in->h);
  expect_handler_error(fx, 1, "no audio");
  fail_unless(fx.log.find("reply-end", 1) == nullptr);
  expect_next_utterance_works(fx, h, out, 2, 2);
}
GST_END_TEST;

GST_START_TEST(test_signals_broken_audio) {
  Handler h;
  Fixture fx("replyonpause handler=signals");
  h.attach(fx.element);
  h.plan = {Act::kBadCaps, Act::kReply, Act::kBadSize, Act::kReply, Act::kNoCaps, Act::kReply};
  const char *reasons[] = {"not interleaved raw audio", "not a whole number of audio frames",
                           "without caps"};
  ReplyOutput out;
  fx.in->push_spans(5);
  for (guint i = 0; i < 3; i++) {
    const guint bad = 2 * i + 1;
    fx.in->turn(bad);
    fx.in->push_spans(5);
    fail_unless(h.wait_returned(bad));
    auto pushes = h.pushes_of(bad);
    fail_unless_equals_int(pushes.size(), 1);
    fail_unless(!pushes[0].second, "push-reply of broken audio (%s) returned TRUE", reasons[i]);
    expect_handler_error(fx, bad, reasons[i]);
    expect_next_utterance_works(fx, h, out, bad + 1, bad + 1);
    for (auto &p : h.pushes_of(bad + 1))
      fail_unless(p.second);
  }
  fail_unless(fx.log.errors.empty(), "element error: %s", fx.log.errors[0].c_str());
}
GST_END_TEST;

/* ======================================================================== */
/* 2. command                                                               */
/* ======================================================================== */

struct CommandCase {
  const char *command;
  const char *mentions;
};

GST_START_TEST(test_command_failures) {
  const CommandCase cases[] = {
      {"sh -c 'cat >/dev/null; exit 3'", "status 3"},
      {"sh -c 'cat >/dev/null; echo oops >&2; exit 1'", "oops"},
      {"sh -c 'echo oops >&2; exit 1'", "oops"},
      {"sh -c 'cat >/dev/null; echo garbage'", "not WAV"},
      {"sh -c 'cat >/dev/null'", "not WAV"},
      /* a valid WAV header (16 kHz mono S16) and no samples */
      {R"(sh -c 'cat >/dev/null; printf "RIFF\044\000\000\000WAVEfmt )"
       R"(\020\000\000\000\001\000\001\000\200\076\000\000\000\175\000\000)"
       R"(\002\000\020\000data\000\000\000\000"')",
       "no audio"},
      /* the header promises more than comes */
      {"head -c 44", "not WAV"},
      {"/nonexistent/prog", "/nonexistent/prog"},
      {"", "command"},
  };
  Fixture fx("replyonpause handler=command");
  ReplyOutput out;
  fx.in->push_spans(5);
  guint64 utterance = 0;
  for (const CommandCase &c : cases) {
    g_object_set(fx.element, "command", c.command, nullptr);
    const guint64 bad = ++utterance;
    fx.in->turn(bad);
    fx.in->push_spans(5);
    out.pull_all(fx.in->h);
    const GstStructure *s = expect_handler_error(fx, bad, c.mentions);
    GST_INFO("`%s`: %s", c.command, gst_structure_get_string(s, "error"));
    fail_unless(fx.log.find("reply-start", bad) == nullptr, "`%s` played something", c.command);
    /* the next utterance, with a working command */
    g_object_set(fx.element, "command", "cat", nullptr);
    const guint64 good = ++utterance;
    const guint64 onset_frame = frame_of(fx.in->turn(good));
    const guint64 pause_frame = fx.in->frames;
    fx.in->push_spans(50);
    out.pull_all(fx.in->h);
    expect_no_handler_error(fx, good);
    fail_unless(fx.log.find("reply-end", good) != nullptr, "after `%s`: no reply-end; %s",
                c.command, fx.log.summary().c_str());
    expect_echo(out, pause_frame, onset_frame);
  }
}
GST_END_TEST;

GST_START_TEST(test_command_timeout_kills_the_child) {
  const std::string marker = unique_sleep();
  fail_unless(processes_running(marker).empty(), "`%s` already runs", marker.c_str());
  Fixture fx("replyonpause handler=command handler-timeout=300000000");
  g_object_set(fx.element, "command", marker.c_str(), nullptr);
  ReplyOutput out;
  fx.in->push_spans(5);
  /* The pause waits for the handler (not live): push it from a thread and
   * watch the child meanwhile. */
  const gint64 start = g_get_monotonic_time();
  std::thread pusher([&] { fx.in->turn(1); });
  const bool started = wait_for_process(marker, true, 1000);
  pusher.join();
  const gint64 waited = ms_since(start);
  fail_unless(started, "`%s` never ran", marker.c_str());
  fail_unless(waited >= 250 && waited < 1000, "the pause returned after %" G_GINT64_FORMAT " ms",
              waited);
  expect_handler_error(fx, 1, "time");
  fail_unless(wait_for_process(marker, false, 1000 - std::min<gint64>(ms_since(start), 700)),
              "`%s` still runs %" G_GINT64_FORMAT " ms after the pause", marker.c_str(),
              ms_since(start));
  /* the next utterance works */
  g_object_set(fx.element, "command", "cat", nullptr);
  const guint64 onset_frame = frame_of(fx.in->turn(2));
  const guint64 pause_frame = fx.in->frames;
  fx.in->push_spans(50);
  out.pull_all(fx.in->h);
  expect_no_handler_error(fx, 2);
  expect_echo(out, pause_frame, onset_frame);
}
GST_END_TEST;

/* ======================================================================== */
/* 3. pads                                                                  */
/* ======================================================================== */

GST_START_TEST(test_pads_failures) {
  Branch branch;
  Fixture fx("replyonpause handler=pads handler-timeout=200000000");
  ReplyOutput out;
  fx.in->push_spans(5);
  /* no utterance_src pad */
  fx.in->turn(1);
  fx.in->push_spans(5);
  out.pull_all(fx.in->h);
  expect_handler_error(fx, 1, "utterance_src");

  /* a branch that loops the utterance back: the next utterance works */
  branch.attach(fx.element);
  guint64 onset_frame = frame_of(fx.in->turn(2));
  guint64 pause_frame = fx.in->frames;
  fx.in->push_spans(50);
  out.pull_all(fx.in->h);
  expect_no_handler_error(fx, 2);
  expect_echo(out, pause_frame, onset_frame);

  /* a branch that never sends the reply back */
  branch.mode = Branch::kDrop;
  const gint64 start = g_get_monotonic_time();
  fx.in->turn(3);
  const gint64 waited = ms_since(start);
  fail_unless(waited >= 150 && waited < 1000, "the pause returned after %" G_GINT64_FORMAT " ms",
              waited);
  fx.in->push_spans(5);
  out.pull_all(fx.in->h);
  expect_handler_error(fx, 3, "handler-timeout");

  /* and back: works again */
  branch.mode = Branch::kLoopback;
  onset_frame = frame_of(fx.in->turn(4));
  pause_frame = fx.in->frames;
  fx.in->push_spans(50);
  out.pull_all(fx.in->h);
  expect_no_handler_error(fx, 4);
  expect_echo(out, pause_frame, onset_frame);

  /* a branch that ends the reply without audio */
  branch.mode = Branch::kNoAudio;
  fx.in->turn(5);
  fx.in->push_spans(5);
  out.pull_all(fx.in->h);
  expect_handler_error(fx, 5, "no audio");

  branch.mode = Branch::kLoopback;
  onset_frame = frame_of(fx.in->turn(6));
  pause_frame = fx.in->frames;
  fx.in->push_spans(50);
  out.pull_all(fx.in->h);
  expect_no_handler_error(fx, 6);
  expect_echo(out, pause_frame, onset_frame);
  fx.teardown();
}
GST_END_TEST;

/* ======================================================================== */
/* 4. NULL while a handler runs                                             */
/* ======================================================================== */

struct StateChange {
  GstElement *element;
  GstState state;
  GstStateChangeReturn ret = GST_STATE_CHANGE_FAILURE;
  gint done = 0;
};

static gpointer change_state(gpointer data) {
  auto *change = static_cast<StateChange *>(data);
  change->ret = gst_element_set_state(change->element, change->state);
  g_atomic_int_set(&change->done, 1);
  return nullptr;
}

/* gst_element_set_state() from another thread: fails if it takes 1 s or
 * more, and calls it a deadlock (leaving that thread stuck) after 5 s. */
static GstStateChangeReturn set_state_timed(GstElement *element, GstState state) {
  auto *change = new StateChange{element, state}; /* leaked if stuck */
  const gint64 start = g_get_monotonic_time();
  GThread *thread = g_thread_new("set-state", change_state, change);
  while (!g_atomic_int_get(&change->done) && ms_since(start) < 5000)
    g_usleep(500);
  const gint64 took = ms_since(start);
  if (!g_atomic_int_get(&change->done))
    fail("the state change to %s did not return within 5 s: deadlock",
         gst_element_state_get_name(state));
  g_thread_join(thread);
  fail_unless(took < 1000, "the state change to %s took %" G_GINT64_FORMAT " ms",
              gst_element_state_get_name(state), took);
  const GstStateChangeReturn ret = change->ret;
  delete change;
  return ret;
}

static void set_null_within_a_second(GstElement *element) {
  fail_unless_equals_int(set_state_timed(element, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
}

GST_START_TEST(test_null_while_signals_handler_runs) {
  Handler h;
  Fixture fx("replyonpause handler=signals", true);
  h.attach(fx.element);
  h.plan = {Act::kBlock};
  fx.in->push_spans(5);
  fx.in->turn(1);
  fail_unless(h.wait_calls(1), "the handler was not called");
  set_null_within_a_second(fx.element);
  fail_unless(h.stopped(1), "no reply-stop for the stopped reply");
  h.release(1);
  fail_unless(h.wait_returned(1));
  auto pushes = h.pushes_of(1);
  fail_unless_equals_int(pushes.size(), 1);
  fail_unless(!pushes[0].second, "push-reply after the state change to NULL returned TRUE");
  fx.teardown();
}
GST_END_TEST;

GST_START_TEST(test_null_while_command_runs) {
  const std::string marker = unique_sleep();
  fail_unless(processes_running(marker).empty(), "`%s` already runs", marker.c_str());
  Fixture fx("replyonpause handler=command", true);
  g_object_set(fx.element, "command", marker.c_str(), nullptr);
  fx.in->push_spans(5);
  fx.in->turn(1);
  fail_unless(wait_for_process(marker, true, 2000), "`%s` never ran", marker.c_str());
  set_null_within_a_second(fx.element);
  fail_unless(wait_for_process(marker, false, 1000), "`%s` still runs 1 s after NULL",
              marker.c_str());
  fx.teardown();
}
GST_END_TEST;

GST_START_TEST(test_null_while_pads_branch_blocks) {
  Branch branch;
  Fixture fx("replyonpause handler=pads", true);
  branch.attach(fx.element);
  branch.block();
  fx.in->push_spans(5);
  fx.in->turn(1);
  const gint64 start = g_get_monotonic_time();
  while (!g_atomic_int_get(&branch.blocked) && ms_since(start) < 2000)
    g_usleep(2000);
  fail_unless(g_atomic_int_get(&branch.blocked), "the utterance never reached the branch");
  set_null_within_a_second(fx.element);
  fx.teardown();
}
GST_END_TEST;

/* A branch deaf to flushes (its chain blocks until released): the element
 * gives it 500 ms to take the flush; the state change must still return
 * within 1 s. The branch is let go after 3 s whatever happens. */
GST_START_TEST(test_null_while_pads_branch_ignores_the_flush) {
  Branch branch;
  Fixture fx("replyonpause handler=pads", true);
  branch.attach(fx.element);
  branch.mode = Branch::kStuck;
  fx.in->push_spans(5);
  fx.in->turn(1);
  const gint64 start = g_get_monotonic_time();
  while (!g_atomic_int_get(&branch.blocked) && ms_since(start) < 2000)
    g_usleep(2000);
  fail_unless(g_atomic_int_get(&branch.blocked), "the utterance never reached the branch");
  std::thread safety([&] {
    branch.wait_released(3000);
    branch.release();
  });
  const gint64 t0 = g_get_monotonic_time();
  const GstStateChangeReturn ret = gst_element_set_state(fx.element, GST_STATE_NULL);
  const gint64 took = ms_since(t0);
  branch.release();
  safety.join();
  fail_unless_equals_int(ret, GST_STATE_CHANGE_SUCCESS);
  fail_unless(took < 1000,
              "the state change to NULL took %" G_GINT64_FORMAT " ms (the branch was let go "
              "after 3000 ms)",
              took);
  fx.teardown();
}
GST_END_TEST;

/* ======================================================================== */
/* 5. EOS waits for the reply in flight                                     */
/* ======================================================================== */

/* What left the element's src pad, in order: 'B' buffers (with the number of
 * reply samples, not silence, in them) and 'E' for EOS. */
struct SrcLog {
  GMutex lock;
  std::vector<std::pair<char, guint64>> items;
  SrcLog() { g_mutex_init(&lock); }
  SrcLog(const SrcLog &) = delete;
  SrcLog &operator=(const SrcLog &) = delete;
  ~SrcLog() { g_mutex_clear(&lock); }

  static GstPadProbeReturn probe(GstPad *, GstPadProbeInfo *info, gpointer data) {
    auto *log = static_cast<SrcLog *>(data);
    std::pair<char, guint64> item{0, 0};
    if (GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
        (info->type & GST_PAD_PROBE_TYPE_BUFFER) && buffer != nullptr) {
      GstMapInfo map;
      gst_buffer_map(buffer, &map, GST_MAP_READ);
      const auto *samples = reinterpret_cast<const gint16 *>(map.data);
      guint64 reply = 0;
      for (gsize i = 0; i < map.size / 2; i++)
        reply += samples[i] != 0;
      gst_buffer_unmap(buffer, &map);
      item = {'B', reply};
    } else if ((info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) &&
               GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS) {
      item = {'E', 0};
    }
    if (item.first != 0) {
      g_mutex_lock(&log->lock);
      log->items.push_back(item);
      g_mutex_unlock(&log->lock);
    }
    return GST_PAD_PROBE_OK;
  }

  void attach(GstElement *element) {
    GstPad *src = gst_element_get_static_pad(element, "src");
    gst_pad_add_probe(src,
                      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                                   GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                      probe, this, nullptr);
    gst_object_unref(src);
  }

  /* Reply samples before EOS; fails unless EOS came, once, and last. */
  guint64 reply_before_eos() {
    g_mutex_lock(&lock);
    guint64 reply = 0;
    std::size_t eos_at = items.size();
    for (std::size_t i = 0; i < items.size(); i++) {
      if (items[i].first == 'E' && eos_at == items.size())
        eos_at = i;
      else if (items[i].first == 'B' && eos_at == items.size())
        reply += items[i].second;
    }
    const std::size_t n = items.size();
    g_mutex_unlock(&lock);
    fail_unless(eos_at < n, "no EOS left the element");
    fail_unless(eos_at == n - 1, "%zu items after EOS", n - 1 - eos_at);
    return reply;
  }
};

static bool harness_got_eos(GstHarness *h) {
  bool eos = false;
  GstEvent *event;
  while ((event = gst_harness_try_pull_event(h)) != nullptr) {
    eos = eos || GST_EVENT_TYPE(event) == GST_EVENT_EOS;
    gst_event_unref(event);
  }
  return eos;
}

GST_START_TEST(test_eos_waits_for_the_reply) {
  for (bool live : {false, true}) {
    SrcLog src;
    Handler h;
    Fixture fx("replyonpause handler=signals", live);
    h.attach(fx.element);
    src.attach(fx.element);
    h.plan = {Act::kDelayed}; /* 300 ms, then 5 chunks of 100 ms */
    fx.in->push_spans(5);
    const gint64 start = g_get_monotonic_time();
    fx.in->turn(1);
    fail_unless(gst_harness_push_event(fx.in->h, gst_event_new_eos()));
    const gint64 waited = ms_since(start);
    fail_unless(waited >= 250 && waited < 2000,
                "live=%d: EOS passed %" G_GINT64_FORMAT " ms after the pause", live, waited);
    fail_unless(h.wait_returned(1));
    fail_unless(harness_got_eos(fx.in->h), "live=%d: no EOS downstream", live);
    const guint64 reply = src.reply_before_eos();
    fail_unless(reply == 5 * kChunkFrames,
                "live=%d: %" G_GUINT64_FORMAT " reply samples before EOS, expected %u", live, reply,
                5 * kChunkFrames);
    ReplyOutput out;
    out.pull_all(fx.in->h);
    expect_reply(out, 1, 5 * kChunkFrames);
    expect_no_handler_error(fx, 1);
    fail_unless(fx.log.find("reply-end", 1) != nullptr, "live=%d: no reply-end: %s", live,
                fx.log.summary().c_str());
  }
}
GST_END_TEST;

GST_START_TEST(test_eos_waits_for_a_command_reply) {
  SrcLog src;
  Fixture fx("replyonpause handler=command", true);
  g_object_set(fx.element, "command", "sh -c 'sleep 0.3; cat'", nullptr);
  src.attach(fx.element);
  fx.in->push_spans(5);
  const gint64 start = g_get_monotonic_time();
  fx.in->turn(1);
  fail_unless(gst_harness_push_event(fx.in->h, gst_event_new_eos()));
  const gint64 waited = ms_since(start);
  fail_unless(waited >= 250 && waited < 2000, "EOS passed %" G_GINT64_FORMAT " ms after the pause",
              waited);
  fail_unless(harness_got_eos(fx.in->h), "no EOS downstream");
  const guint64 reply = src.reply_before_eos();
  fail_unless(reply == kTurnFrames,
              "%" G_GUINT64_FORMAT " reply samples before EOS, expected %" G_GUINT64_FORMAT, reply,
              kTurnFrames);
  expect_no_handler_error(fx, 1);
  fail_unless(fx.log.find("reply-end", 1) != nullptr, "%s", fx.log.summary().c_str());
}
GST_END_TEST;

GST_START_TEST(test_eos_with_an_unended_reply_times_out) {
  SrcLog src;
  Handler h;
  Fixture fx("replyonpause handler=signals handler-timeout=300000000", true);
  h.attach(fx.element);
  src.attach(fx.element);
  h.plan = {Act::kChunkNoEnd};
  fx.in->push_spans(5);
  const gint64 start = g_get_monotonic_time();
  fx.in->turn(1);
  fail_unless(h.wait_returned(1));
  fail_unless(gst_harness_push_event(fx.in->h, gst_event_new_eos()));
  const gint64 waited = ms_since(start);
  fail_unless(waited >= 250 && waited < 1000, "EOS passed %" G_GINT64_FORMAT " ms after the pause",
              waited);
  fail_unless(harness_got_eos(fx.in->h), "no EOS downstream");
  const guint64 reply = src.reply_before_eos();
  fail_unless(reply == kChunkFrames, "%" G_GUINT64_FORMAT " reply samples before EOS, expected %u",
              reply, kChunkFrames);
  expect_handler_error(fx, 1, "handler-timeout");
}
GST_END_TEST;

/* ======================================================================== */
/* 6. FLUSH drops everything                                                */
/* ======================================================================== */

static void flush(ReplyInput &in) {
  fail_unless(gst_harness_push_event(in.h, gst_event_new_flush_start()));
  fail_unless(gst_harness_push_event(in.h, gst_event_new_flush_stop(TRUE)));
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  fail_unless(gst_harness_push_event(in.h, gst_event_new_segment(&segment)));
}

GST_START_TEST(test_flush_drops_the_echo_reply) {
  Fixture fx("replyonpause handler=echo", true);
  ReplyOutput before, after;
  fx.in->push_spans(5);
  fx.in->turn(1);
  fx.in->push_spans(10); /* 200 ms of the 900 ms reply */
  before.pull_all(fx.in->h);
  const guint64 played = before.samples.size() - count_value(before.samples, 0);
  fail_unless(played > 0 && played < kTurnFrames, "%" G_GUINT64_FORMAT " reply samples played",
              played);
  flush(*fx.in);
  fx.in->push_spans(60);
  after.pull_all(fx.in->h);
  fail_unless(!after.samples.empty());
  const guint64 leaked = after.samples.size() - count_value(after.samples, 0);
  fail_unless(leaked == 0, "%" G_GUINT64_FORMAT " reply samples after the flush", leaked);
  fx.drain();
  fail_unless(fx.log.find("reply-end", 1) == nullptr, "the flushed reply ended: %s",
              fx.log.summary().c_str());
  /* a new utterance works */
  ReplyOutput again;
  const guint64 onset_frame = frame_of(fx.in->turn(1));
  fx.in->push_spans(60);
  again.pull_all(fx.in->h);
  std::size_t reply_at = 0;
  while (reply_at < again.samples.size() && again.samples[reply_at] == 0)
    reply_at++;
  fail_unless(reply_at < again.samples.size(), "no reply after the flush");
  const int reply_sample_0 = again.samples[reply_at];
  fail_unless_equals_int(reply_sample_0, input_sample(onset_frame));
  fail_unless_equals_uint64(again.samples.size() - count_value(again.samples, 0), kTurnFrames);
  fx.drain();
  /* its number: the last "utterance" message's */
  const GstStructure *last = nullptr;
  for (GstStructure *m : fx.log.replies)
    if (g_str_equal(gst_structure_get_string(m, "event"), "utterance"))
      last = m;
  fail_unless(last != nullptr);
  const guint64 number = BusLog::utterance_of(last);
  fail_unless(fx.log.find("reply-end", number) != nullptr, "%s", fx.log.summary().c_str());
  expect_no_handler_error(fx, number);
}
GST_END_TEST;

/* The handler of a flushed reply is told to stop, and cannot add to it. */
GST_START_TEST(test_flush_stops_the_signals_handler) {
  Handler h;
  Fixture fx("replyonpause handler=signals", true);
  h.attach(fx.element);
  h.plan = {Act::kHold, Act::kReply};
  ReplyOutput before, after;
  fx.in->push_spans(5);
  fx.in->turn(1);
  fail_unless(h.wait([&] { return !h.pushes.empty(); }), "no first chunk");
  fx.in->push_spans(5);
  before.pull_all(fx.in->h);
  fail_unless(count_value(before.samples, reply_value(1)) > 0, "the reply did not start");
  flush(*fx.in);
  fail_unless(h.stopped(1), "no reply-stop at the flush");
  h.release(1);
  fail_unless(h.wait_returned(1));
  auto pushes = h.pushes_of(1);
  fail_unless_equals_int(pushes.size(), 2);
  fail_unless(pushes[0].second);
  fail_unless(!pushes[1].second, "push-reply after the flush returned TRUE");
  fx.in->push_spans(60);
  after.pull_all(fx.in->h);
  fail_unless_equals_uint64(count_value(after.samples, reply_value(1)), 0);
  fail_unless_equals_uint64(after.samples.size() - count_value(after.samples, 0), 0);
  /* the next utterance works (pausedetect counts from 1 again) */
  fx.in->turn(1);
  fail_unless(h.wait_returned(2));
  fx.in->push_spans(30);
  after.pull_all(fx.in->h);
  fail_unless_equals_uint64(count_value(after.samples, reply_value(1)), 0);
  expect_reply(after, 2, 2 * kChunkFrames);
  expect_no_handler_error(fx, h.utterance_of(2));
  fail_unless(fx.log.find("reply-end", h.utterance_of(2)) != nullptr, "%s",
              fx.log.summary().c_str());
}
GST_END_TEST;

/* pausedetect counts utterances from 1 again after a flush or a restart:
 * the handler of the dropped utterance 1, still busy, must not feed (or end)
 * the reply to the new utterance 1. `restart` drops the first reply. */
static void check_stale_handler(const std::function<void(Fixture &)> &restart) {
  Handler h;
  Fixture fx("replyonpause handler=signals", true);
  h.attach(fx.element);
  h.plan = {Act::kHold, Act::kHold};
  ReplyOutput out;
  fx.in->push_spans(5);
  fx.in->turn(1);
  fail_unless(h.wait([&] { return h.pushes.size() >= 1; }), "no first chunk");
  fx.in->push_spans(5);
  ReplyOutput before;
  before.pull_all(fx.in->h);
  fail_unless(count_value(before.samples, reply_value(1)) > 0, "the first reply did not start");
  restart(fx);
  fail_unless(h.stopped(1), "no reply-stop for the dropped reply");
  fx.in->push_spans(5);
  /* the new utterance 1: its handler (call 2) is holding too */
  fx.in->turn(1);
  fail_unless(h.wait([&] { return h.pushes.size() >= 2; }), "no first chunk of the new reply");
  GST_INFO("utterance numbers: %" G_GUINT64_FORMAT " before, %" G_GUINT64_FORMAT " after",
           h.utterance_of(1), h.utterance_of(2));
  /* the old handler wakes up and goes on with its (dropped) reply: one more
   * chunk and end-reply */
  h.release(1);
  fail_unless(h.wait_returned(1));
  fx.in->push_spans(20);
  out.pull_all(fx.in->h);
  h.release(2);
  fail_unless(h.wait_returned(2));
  fx.in->push_spans(80);
  out.pull_all(fx.in->h);
  const auto old_pushes = h.pushes_of(1);
  const auto new_pushes = h.pushes_of(2);
  fail_unless_equals_int(old_pushes.size(), 2);
  fail_unless_equals_int(new_pushes.size(), 2);
  fail_unless(old_pushes[0].second && new_pushes[0].second);
  std::string problems;
  if (old_pushes[1].second)
    problems += "push-reply for the dropped utterance 1 returned TRUE; ";
  if (const guint64 stale = count_value(out.samples, reply_value(1)); stale > 0)
    problems += std::to_string(stale) + " samples of the dropped reply played afterwards; ";
  if (!new_pushes[1].second)
    problems += "the new reply refused its second chunk (the stale end-reply ended it); ";
  const guint64 played = count_value(out.samples, reply_value(2));
  if (played != kReplyRate + kChunkFrames)
    problems += "the new reply played " + std::to_string(played) + " of " +
                std::to_string(kReplyRate + kChunkFrames) + " samples; ";
  fx.drain();
  if (fx.log.find("handler-error", 1) != nullptr)
    problems += "handler-error: " + fx.log.summary();
  fail_unless(problems.empty(), "%s", problems.c_str());
}

GST_START_TEST(test_flush_stale_handler_cannot_feed_the_next_reply) {
  check_stale_handler([](Fixture &fx) { flush(*fx.in); });
}
GST_END_TEST;

GST_START_TEST(test_flush_drops_the_utterance_being_collected) {
  Handler h;
  Fixture fx("replyonpause handler=signals", true);
  h.attach(fx.element);
  h.set_act(Act::kReply);
  ReplyOutput out;
  fx.in->push_spans(5);
  const GstClockTime onset = fx.in->now();
  fx.in->push_spans(3);
  fail_unless(fx.in->speech_start(1, onset));
  fx.in->push_spans(15);
  const guint64 flush_frame = fx.in->frames;
  flush(*fx.in);
  fx.in->push_spans(10);
  const GstClockTime offset = fx.in->now();
  fx.in->push_spans(10);
  fail_unless(fx.in->pause(1, onset, offset));
  fx.in->push_spans(5);
  fail_unless(flush_frame < 30000); /* input_sample() values are frame + 1 here */
  fx.drain();
  if (fx.log.count("utterance") > 0) {
    fail_unless(h.wait_calls(1), "an utterance message but no handler call");
    const auto audio = h.locked<std::vector<gint16>>([&] { return h.audio[0]; });
    for (std::size_t i = 0; i < audio.size(); i++) {
      if (audio[i] > 0 && static_cast<guint64>(audio[i]) <= flush_frame)
        fail("the utterance after the flush holds pre-flush audio (sample %zu: input frame %d)", i,
             audio[i] - 1);
    }
  }
  fail_unless(h.wait_returned(h.locked<guint>([&] { return h.calls; })));
  /* the next utterance works */
  const guint next = h.locked<guint>([&] { return h.calls; }) + 1;
  fx.in->turn(2);
  fail_unless(h.wait_returned(next));
  fx.in->push_spans(30);
  out.pull_all(fx.in->h);
  expect_reply(out, next, 2 * kChunkFrames);
  expect_no_handler_error(fx, h.utterance_of(next));
}
GST_END_TEST;

/* ======================================================================== */
/* 7. state changes at any moment                                           */
/* ======================================================================== */

struct Chaos {
  GMutex lock;
  std::vector<std::thread> repliers;
  guint calls = 0;
  guint seed = 0;
  std::atomic<guint> accepted{0};
  Chaos() { g_mutex_init(&lock); }
  Chaos(const Chaos &) = delete;
  Chaos &operator=(const Chaos &) = delete;
  ~Chaos() {
    join();
    g_mutex_clear(&lock);
  }
  void join() {
    g_mutex_lock(&lock);
    std::vector<std::thread> threads;
    threads.swap(repliers);
    g_mutex_unlock(&lock);
    for (std::thread &t : threads)
      t.join();
  }
};

/* Replies from another thread at random times: chunks, then end, fail or
 * nothing. Holds a reference to the element. */
static void chaos_reply(GstElement *element, guint64 utterance, guint seed, Chaos *chaos) {
  std::mt19937 rng(seed);
  g_usleep((rng() % 80) * 1000);
  const guint chunks = rng() % 4;
  for (guint i = 0; i < chunks; i++) {
    gboolean ok = FALSE;
    GstSample *sample = reply_sample(1 + rng() % 3200, reply_value(1));
    g_signal_emit_by_name(element, "push-reply", utterance, sample, &ok);
    gst_sample_unref(sample);
    if (ok)
      chaos->accepted++;
    g_usleep((rng() % 30) * 1000);
  }
  gboolean ok = FALSE;
  switch (rng() % 4) {
  case 0:
  case 1:
    g_signal_emit_by_name(element, "end-reply", utterance, &ok);
    break;
  case 2:
    g_signal_emit_by_name(element, "fail-reply", utterance, "chaos", &ok);
    break;
  default:
    break;
  }
  gst_object_unref(element);
}

static void on_chaos_utterance(GstElement *element, guint64 utterance, GstSample *, Chaos *chaos) {
  g_mutex_lock(&chaos->lock);
  const guint seed = chaos->seed * 1000 + ++chaos->calls;
  chaos->repliers.emplace_back(chaos_reply, GST_ELEMENT(gst_object_ref(element)), utterance, seed,
                               chaos);
  g_mutex_unlock(&chaos->lock);
}

/* What an upstream sends again after the element lost its sticky events. */
static void resend_stream(ReplyInput &in, const char *webrtc_id) {
  gst_harness_push_event(in.h, gst_event_new_stream_start("chaos"));
  GstCaps *caps = mono_s16_caps();
  gst_harness_push_event(in.h, gst_event_new_caps(caps));
  gst_caps_unref(caps);
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  gst_harness_push_event(in.h, gst_event_new_segment(&segment));
  gst_harness_push_event(
      in.h, gst_voicekit_event_new_turn_detector("test", 40 * GST_MSECOND, 500 * GST_MSECOND,
                                                 300 * GST_MSECOND, 10 * GST_MSECOND));
  GstVoiceKitSessionContext *context = gst_voicekit_session_context_new(webrtc_id, nullptr);
  gst_harness_push_event(in.h, gst_voicekit_event_new_session(context));
  gst_voicekit_session_context_unref(context);
}

GST_START_TEST(test_restart_stale_handler_cannot_feed_the_next_reply) {
  check_stale_handler([](Fixture &fx) {
    set_null_within_a_second(fx.element);
    fail_unless_equals_int(set_state_timed(fx.element, GST_STATE_PLAYING),
                           GST_STATE_CHANGE_SUCCESS);
    resend_stream(*fx.in, "caller-1");
  });
}
GST_END_TEST;

/* After the chaos, from NULL: a fresh stream and an echo reply work. */
static void expect_still_works(Fixture &fx, guint iteration) {
  fail_unless(set_state_timed(fx.element, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  /* The harness's sink pad may be left flushing by a flush-start whose
   * flush-stop found the element stopped: flush the whole chain (the
   * flush-start is refused where it is still flushing). */
  gst_harness_push_event(fx.in->h, gst_event_new_flush_start());
  fail_unless(gst_harness_push_event(fx.in->h, gst_event_new_flush_stop(TRUE)));
  resend_stream(*fx.in, "caller-9");
  gst_util_set_object_arg(G_OBJECT(fx.element), "handler", "echo");
  GstBuffer *buffer;
  while ((buffer = gst_harness_try_pull(fx.in->h)) != nullptr)
    gst_buffer_unref(buffer);
  ReplyOutput out;
  fail_unless_equals_int(fx.in->push_spans(5), GST_FLOW_OK);
  fx.in->turn(1000); /* a number no chaos handler replies to */
  fx.in->push_spans(60);
  out.pull_all(fx.in->h);
  const guint64 played = out.samples.size() - count_value(out.samples, 0);
  fail_unless(played == kTurnFrames,
              "iteration %u: afterwards an echo played %" G_GUINT64_FORMAT " samples", iteration,
              played);
}

/* Random input, turns, flushes, EOS and session changes until `stop`; copes
 * with whatever the element's state makes the pushes return. */
static void chaos_push(ReplyInput *in, guint seed, std::atomic<bool> *stop) {
  std::mt19937 rng(seed);
  guint64 utterance = 1;
  const char *session = "caller-1";
  while (!*stop) {
    GstFlowReturn ret = GST_FLOW_OK;
    switch (rng() % 14) {
    case 0:
    case 1:
    case 2:
    case 3:
      ret = in->push_spans(1 + rng() % 8);
      break;
    case 4:
    case 5:
    case 6: {
      const GstClockTime onset = in->now();
      ret = in->push_spans(3);
      in->speech_start(utterance, onset);
      in->push_spans(rng() % 20);
      const GstClockTime offset = in->now();
      in->push_spans(1 + rng() % 15);
      in->pause(utterance, onset, offset);
      utterance++;
      break;
    }
    case 7:
      in->speech_start(utterance, in->now());
      break;
    case 8:
      resend_stream(*in, session);
      break;
    case 9:
      gst_harness_push_event(in->h, gst_event_new_flush_start());
      gst_harness_push_event(in->h, gst_event_new_flush_stop(TRUE));
      resend_stream(*in, session);
      utterance = 1;
      break;
    case 10:
      if (rng() % 3 == 0)
        gst_harness_push_event(in->h, gst_event_new_eos());
      break;
    case 11: {
      session = rng() % 2 ? "caller-1" : "caller-2";
      GstVoiceKitSessionContext *context = gst_voicekit_session_context_new(session, nullptr);
      gst_harness_push_event(in->h, gst_voicekit_event_new_session(context));
      gst_voicekit_session_context_unref(context);
      break;
    }
    default:
      g_usleep((rng() % 3) * 1000);
      break;
    }
    if (ret == GST_FLOW_EOS) {
      gst_harness_push_event(in->h, gst_event_new_flush_start());
      gst_harness_push_event(in->h, gst_event_new_flush_stop(TRUE));
      utterance = 1;
    }
    if (ret != GST_FLOW_OK) {
      resend_stream(*in, session);
      g_usleep(1000);
    }
    /* keep memory flat */
    GstBuffer *buffer;
    while ((buffer = gst_harness_try_pull(in->h)) != nullptr)
      gst_buffer_unref(buffer);
    GstEvent *event;
    while ((event = gst_harness_try_pull_event(in->h)) != nullptr)
      gst_event_unref(event);
  }
}

GST_START_TEST(test_state_changes_at_any_moment) {
  const gint64 start = g_get_monotonic_time();
  guint calls = 0, accepted = 0;
  for (guint iteration = 0; iteration < 20; iteration++) {
    std::mt19937 rng(4242 + iteration);
    Chaos chaos;
    chaos.seed = iteration;
    {
      Fixture fx("replyonpause handler=signals handler-timeout=300000000", iteration % 2 == 0);
      g_signal_connect(fx.element, "utterance", G_CALLBACK(on_chaos_utterance), &chaos);
      std::atomic<bool> stop{false};
      std::thread pusher(chaos_push, fx.in.get(), 7000 + iteration, &stop);
      const GstState states[] = {GST_STATE_NULL, GST_STATE_READY, GST_STATE_PAUSED,
                                 GST_STATE_PLAYING, GST_STATE_PLAYING};
      for (int change = 0; change < 8; change++) {
        g_usleep((rng() % 40) * 1000);
        GST_INFO("iteration %u, change %d", iteration, change);
        set_state_timed(fx.element, states[rng() % 5]);
      }
      set_state_timed(fx.element, GST_STATE_PLAYING);
      g_usleep((rng() % 40) * 1000);
      stop = true;
      pusher.join();
      set_null_within_a_second(fx.element);
      expect_still_works(fx, iteration);
      set_null_within_a_second(fx.element);
      fx.teardown();
    }
    chaos.join();
    calls += chaos.calls;
    accepted += chaos.accepted;
    fail_unless(ms_since(start) < 20000, "20 s passed after %u iterations", iteration + 1);
  }
  GST_INFO("%u handler calls, %u chunks accepted", calls, accepted);
  fail_unless(calls > 0 && accepted > 0, "the handler never ran (%u calls, %u chunks)", calls,
              accepted);
}
GST_END_TEST;

/* ======================================================================== */
/* 8. a session change during a reply                                       */
/* ======================================================================== */

GST_START_TEST(test_session_change_stops_the_reply) {
  for (const char *handler : {"echo", "signals"}) {
    Handler h;
    gchar *description = g_strdup_printf("replyonpause handler=%s", handler);
    Fixture fx(description, true);
    g_free(description);
    const bool signals = g_str_equal(handler, "signals");
    if (signals) {
      h.attach(fx.element);
      h.plan = {Act::kLong}; /* 2 s */
    }
    ReplyOutput before, after;
    fx.in->push_spans(5);
    fx.in->turn(1);
    if (signals)
      fail_unless(h.wait_returned(1));
    fx.in->push_spans(10);
    before.pull_all(fx.in->h);
    std::size_t reply_buffers = 0;
    for (std::size_t i = 0; i < before.buffer_ids.size(); i++)
      fail_unless_equals_string(before.buffer_ids[i].c_str(), "caller-1");
    const guint64 played = before.samples.size() - count_value(before.samples, 0);
    fail_unless(played > 0, "%s: the reply did not start", handler);
    fx.in->set_session("caller-2");
    fx.in->push_spans(120);
    after.pull_all(fx.in->h);
    fail_unless(!after.samples.empty());
    const guint64 later = after.samples.size() - count_value(after.samples, 0);
    for (const std::string &id : after.buffer_ids)
      reply_buffers += id == "caller-1";
    fail_unless(later == 0 && reply_buffers == 0,
                "%s: after the session change %" G_GUINT64_FORMAT
                " reply samples, %zu buffers of caller-1",
                handler, later, reply_buffers);
    if (signals)
      fail_unless(h.stopped(1), "no reply-stop at the session change");
    fx.drain();
    fail_unless(fx.log.find("reply-end", 1) == nullptr, "%s: the old reply ended: %s", handler,
                fx.log.summary().c_str());
    fx.teardown();
  }
}
GST_END_TEST;

/* ======================================================================== */
/* 9. a hostile client (issue 13)                                           */
/* ======================================================================== */

/* What leaves the src pad, counted and dropped there (a runaway fill must
 * not eat the machine's memory): buffers, DISCONT flags, and samples equal
 * to `value` (when not 0). */
struct SrcCounter {
  std::atomic<guint64> buffers{0};
  std::atomic<guint64> disconts{0};
  std::atomic<guint64> value_samples{0};
  std::atomic<guint64> backwards{0}; /* buffers that start before the last one ended */
  GstClockTime last_end = GST_CLOCK_TIME_NONE;
  gint16 value = 0;
  GstPad *pad = nullptr;
  gulong probe = 0;

  SrcCounter() = default;
  SrcCounter(const SrcCounter &) = delete;
  SrcCounter &operator=(const SrcCounter &) = delete;
  ~SrcCounter() { detach(); }

  static GstPadProbeReturn on_buffer(GstPad *, GstPadProbeInfo *info, gpointer data) {
    auto *self = static_cast<SrcCounter *>(data);
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    self->buffers++;
    if (GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DISCONT))
      self->disconts++;
    if (GST_BUFFER_PTS_IS_VALID(buffer)) {
      if (GST_CLOCK_TIME_IS_VALID(self->last_end) && GST_BUFFER_PTS(buffer) < self->last_end)
        self->backwards++;
      self->last_end = GST_BUFFER_PTS(buffer) +
                       (GST_BUFFER_DURATION_IS_VALID(buffer) ? GST_BUFFER_DURATION(buffer) : 0);
    }
    if (self->value != 0) {
      GstMapInfo map;
      gst_buffer_map(buffer, &map, GST_MAP_READ);
      const auto *samples = reinterpret_cast<const gint16 *>(map.data);
      guint64 n = 0;
      for (gsize i = 0; i < map.size / 2; i++)
        n += samples[i] == self->value;
      gst_buffer_unmap(buffer, &map);
      self->value_samples += n;
    }
    return GST_PAD_PROBE_DROP;
  }
  void attach(GstElement *element) {
    pad = gst_element_get_static_pad(element, "src");
    probe = gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, this, nullptr);
  }
  void detach() {
    if (pad == nullptr)
      return;
    gst_pad_remove_probe(pad, probe);
    gst_object_unref(pad);
    pad = nullptr;
  }
};

/* Processes (not this one) whose environment, when they were started, held
 * `entry` ("NAME=value"): what a handler starts inherits it, in whatever
 * session or process group. Zombies do not count. */
static std::vector<long> processes_with_env(const std::string &entry) {
  std::vector<long> pids;
  DIR *proc = opendir("/proc");
  fail_unless(proc != nullptr);
  while (struct dirent *item = readdir(proc)) {
    char *end = nullptr;
    const long pid = strtol(item->d_name, &end, 10);
    if (end == item->d_name || *end != '\0' || pid == getpid())
      continue;
    gchar *path = g_strdup_printf("/proc/%ld/environ", pid);
    gchar *contents = nullptr;
    gsize length = 0;
    bool found = false;
    if (g_file_get_contents(path, &contents, &length, nullptr)) {
      for (gsize at = 0; at < length && !found; at += strlen(contents + at) + 1)
        found = entry == contents + at;
      g_free(contents);
    }
    g_free(path);
    if (!found)
      continue;
    path = g_strdup_printf("/proc/%ld/stat", pid);
    if (g_file_get_contents(path, &contents, &length, nullptr)) {
      const gchar *paren = strrchr(contents, ')');
      if (paren != nullptr && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X')
        pids.push_back(pid);
      g_free(contents);
    }
    g_free(path);
  }
  closedir(proc);
  return pids;
}

/* Handler scripts, written at run time in a temporary directory. */
struct Scripts {
  std::string dir;
  std::vector<std::string> files;
  Scripts() {
    char name[] = "/tmp/voicekit-faults-XXXXXX";
    fail_unless(mkdtemp(name) != nullptr);
    dir = name;
  }
  Scripts(const Scripts &) = delete;
  Scripts &operator=(const Scripts &) = delete;
  ~Scripts() {
    for (const std::string &file : files)
      unlink(file.c_str());
    rmdir(dir.c_str());
  }
  std::string write(const char *name, const char *body) {
    const std::string path = dir + "/" + name;
    fail_unless(g_file_set_contents(path.c_str(), body, -1, nullptr));
    fail_unless(chmod(path.c_str(), 0755) == 0);
    files.push_back(path);
    return path;
  }
};

/* A marker in this process's environment, inherited by every handler. */
struct EnvMarker {
  std::string entry;
  explicit EnvMarker(const char *what) {
    const std::string value = std::string(what) + "-" + std::to_string(getpid());
    g_setenv("VOICEKIT_FAULTS_MARK", value.c_str(), TRUE);
    entry = "VOICEKIT_FAULTS_MARK=" + value;
  }
  ~EnvMarker() { g_unsetenv("VOICEKIT_FAULTS_MARK"); }
  EnvMarker(const EnvMarker &) = delete;
  EnvMarker &operator=(const EnvMarker &) = delete;
};

/* ---- 6. timestamp and segment jumps ---------------------------------------- */

enum class Jump { kPtsNearMax, kBaseNearMax, kBaseMillion, kBackwards, kGapNearMax };

static const char *jump_name(Jump jump) {
  switch (jump) {
  case Jump::kPtsNearMax:
    return "a buffer stamped near G_MAXUINT64";
  case Jump::kBaseNearMax:
    return "a segment base near G_MAXUINT64";
  case Jump::kBaseMillion:
    return "a segment base of 10^6 s";
  case Jump::kBackwards:
    return "a segment 1000 s back";
  case Jump::kGapNearMax:
    return "a GAP lasting until G_MAXUINT64";
  }
  return "";
}

static void push_segment(ReplyInput &in, guint64 base) {
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  segment.base = base;
  fail_unless(gst_harness_push_event(in.h, gst_event_new_segment(&segment)));
}

/* The jump, then `spans` input spans as usual. Runs on its own thread: no
 * check here. */
static void jump_and_go_on(ReplyInput &in, Jump jump, guint spans) {
  switch (jump) {
  case Jump::kPtsNearMax: {
    GstBuffer *buffer = gst_buffer_new_allocate(nullptr, kSpanFrames * 2, nullptr);
    gst_buffer_memset(buffer, 0, 0x11, kSpanFrames * 2);
    GST_BUFFER_PTS(buffer) = G_MAXUINT64 - GST_SECOND;
    GST_BUFFER_DURATION(buffer) = kSpan;
    gst_harness_push(in.h, buffer);
    break;
  }
  case Jump::kBaseNearMax:
  case Jump::kBaseMillion:
  case Jump::kBackwards: {
    GstSegment segment;
    gst_segment_init(&segment, GST_FORMAT_TIME);
    segment.base = jump == Jump::kBaseNearMax   ? G_MAXUINT64 - 100 * GST_SECOND
                   : jump == Jump::kBaseMillion ? 1000000 * GST_SECOND
                                                : 0;
    gst_harness_push_event(in.h, gst_event_new_segment(&segment));
    break;
  }
  case Jump::kGapNearMax:
    gst_harness_push_event(in.h, gst_event_new_gap(in.now(), G_MAXUINT64 - in.now() - 1));
    break;
  }
  in.push_spans(spans);
}

/* A jump in the input's running time beyond max-gap is a discontinuity: the
 * output re-bases, marks DISCONT and fills nothing; it never fills the jump
 * with silence (5.4 million one-second buffers in 20 s for a PTS near
 * G_MAXUINT64, the streaming thread stuck). After the jump the output
 * mirrors the input again, span for span, going on from where it stood. */
GST_START_TEST(test_timestamp_jumps_are_discontinuities) {
  const Jump jumps[] = {Jump::kPtsNearMax, Jump::kBaseNearMax, Jump::kBaseMillion, Jump::kBackwards,
                        Jump::kGapNearMax};
  constexpr guint kAfter = 10;
  for (bool live : {false, true}) {
    for (Jump jump : jumps) {
      Fixture fx("replyonpause handler=echo", live);
      SrcCounter src;
      src.attach(fx.element);
      if (jump == Jump::kBackwards)
        push_segment(*fx.in, 1000 * GST_SECOND);
      fail_unless_equals_int(fx.in->push_spans(10), GST_FLOW_OK);
      const guint64 before = src.buffers, disconts_before = src.disconts;
      std::atomic<bool> done{false};
      std::thread pusher([&] {
        jump_and_go_on(*fx.in, jump, kAfter);
        done = true;
      });
      const gint64 start = g_get_monotonic_time();
      while (!done && ms_since(start) < 1000)
        g_usleep(1000);
      if (!done) /* the pusher stays stuck: this forked test process ends here */
        fail("live=%d, %s: the streaming thread still works 1 s later (%" G_GUINT64_FORMAT
             " buffers out so far)",
             live, jump_name(jump), src.buffers - before);
      pusher.join();
      const guint64 out = src.buffers - before;
      const guint64 in_spans = kAfter + (jump == Jump::kPtsNearMax ? 1 : 0);
      GST_INFO("live=%d, %s: %" G_GUINT64_FORMAT " buffers out for %" G_GUINT64_FORMAT
               " spans in, %" G_GUINT64_FORMAT " DISCONT",
               live, jump_name(jump), out, in_spans, src.disconts - disconts_before);
      fail_unless(out + 1 >= in_spans && out <= in_spans + 3,
                  "live=%d, %s: %" G_GUINT64_FORMAT " buffers out for %" G_GUINT64_FORMAT
                  " spans in",
                  live, jump_name(jump), out, in_spans);
      fail_unless(src.disconts > disconts_before, "live=%d, %s: no DISCONT buffer", live,
                  jump_name(jump));
      /* The output goes on from where it stands: never back in time (an RTP
       * payloader downstream would wrap its timestamps). */
      fail_unless_equals_uint64(src.backwards.load(), 0);
      fx.drain();
      fail_unless(fx.log.errors.empty(), "live=%d, %s: element error: %s", live, jump_name(jump),
                  fx.log.errors[0].c_str());
      src.detach();
      fx.teardown();
    }
  }
}
GST_END_TEST;

/* ---- 9. state changes while buffers flow post no error --------------------- */

/* Downstream flushing (a state change) is not an error: 1000 state cycles at
 * random moments while a live source pushes, and not one ERROR message
 * (before: "Downstream accepts no audio replyonpause makes", about 3 in 150
 * cycles, when the caps event met a flushing pad). */
GST_START_TEST(test_state_cycles_post_no_error) {
  GError *error = nullptr;
  GstElement *pipeline =
      gst_parse_launch("audiotestsrc is-live=true samplesperbuffer=160 ! "
                       "audio/x-raw,format=S16LE,rate=16000,channels=1 ! pausedetect ! "
                       "replyonpause ! fakesink sync=false",
                       &error);
  fail_unless(pipeline != nullptr, "%s", error != nullptr ? error->message : "");
  GstBus *bus = gst_element_get_bus(pipeline);
  std::mt19937 rng(1313);
  guint errors = 0;
  std::string first_error;
  auto pop_all = [&] {
    GstMessage *message;
    while ((message = gst_bus_pop(bus)) != nullptr) {
      if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
        GError *e = nullptr;
        gchar *debug = nullptr;
        gst_message_parse_error(message, &e, &debug);
        if (errors++ == 0)
          first_error = std::string(GST_MESSAGE_SRC_NAME(message)) + ": " + e->message + " | " +
                        (debug != nullptr ? debug : "");
        g_error_free(e);
        g_free(debug);
      }
      gst_message_unref(message);
    }
  };
  const gint64 start = g_get_monotonic_time();
  constexpr int kCycles = 1000;
  for (int cycle = 0; cycle < kCycles; cycle++) {
    fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE,
                "cycle %d: PLAYING failed (%u errors so far; the first: %s)", cycle, errors,
                first_error.c_str());
    g_usleep(rng() % 12000);
    /* PLAYING -> PAUSED -> READY, and on to NULL every other time */
    gst_element_set_state(pipeline, rng() % 2 == 0 ? GST_STATE_NULL : GST_STATE_READY);
    pop_all();
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  pop_all();
  const gint64 took = ms_since(start);
  GST_INFO("%d state cycles in %" G_GINT64_FORMAT " ms, %u errors", kCycles, took, errors);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  fail_unless(errors == 0, "%u ERROR messages in %d state cycles; the first: %s", errors, kCycles,
              first_error.c_str());
  fail_unless(took < 60000, "%d state cycles took %" G_GINT64_FORMAT " ms", kCycles, took);
}
GST_END_TEST;

/* ---- 10a. command handlers leave nothing behind ---------------------------- */

/* Answers like cat (the utterance back) and leaves `sleep 100` running in a
 * new session (setsid: out of its process group), holding its stdout open
 * when $1 is "hold". */
static const char *kLeftoverScript = R"(#!/bin/sh
pidfile="$0.pid.$$"
if [ "$1" = hold ]; then
  setsid sh -c 'echo $$ > "$0"; exec sleep 100' "$pidfile" </dev/null 2>/dev/null &
else
  setsid sh -c 'echo $$ > "$0"; exec sleep 100' "$pidfile" </dev/null >/dev/null 2>&1 &
fi
while [ ! -s "$pidfile" ]; do sleep 0.01; done
rm -f "$pidfile"
exec cat
)";

GST_START_TEST(test_command_leaves_nothing_behind) {
  EnvMarker marker("leftover");
  Scripts scripts;
  const std::string script = scripts.write("leftover.sh", kLeftoverScript);
  Fixture fx("replyonpause handler=command handler-timeout=5000000000");
  ReplyOutput out;
  fx.in->push_spans(5);
  guint64 utterance = 0;
  for (const char *mode : {"detach", "hold"}) {
    const std::string command = script + " " + mode;
    g_object_set(fx.element, "command", command.c_str(), nullptr);
    const guint64 n = ++utterance;
    const gint64 start = g_get_monotonic_time();
    const guint64 onset_frame = frame_of(fx.in->turn(n));
    const guint64 pause_frame = fx.in->frames;
    fx.in->push_spans(60);
    out.pull_all(fx.in->h);
    const gint64 took = ms_since(start);
    expect_no_handler_error(fx, n);
    fail_unless(fx.log.find("reply-end", n) != nullptr, "%s: no reply-end: %s", mode,
                fx.log.summary().c_str());
    expect_echo(out, pause_frame, onset_frame);
    fail_unless(took < 3000, "%s: the turn and its reply took %" G_GINT64_FORMAT " ms", mode, took);
    /* the reply ended: its call is over, and nothing of it runs */
    const std::vector<long> left = processes_with_env(marker.entry);
    fail_unless(left.empty(), "%s: %zu processes of the handler outlived its call (pid %ld)", mode,
                left.size(), left.empty() ? 0L : left[0]);
  }
}
GST_END_TEST;

/* ---- 10b. replies faster than real time are not buffered without bound ----- */

/* Writes 600 MB of WAV (16 kHz mono S16, 5.5 hours of the constant "y\n",
 * 2681) as fast as it can. */
#if defined(__SANITIZE_ADDRESS__)
/* Under AddressSanitizer the flood is 100 MB (600 MB takes longer than the
 * test's timeout there) and the memory bound counts ASan's quarantine (256 MiB
 * by default) and padding: the sanitizer run looks for memory errors on this
 * path; the normal build checks the bound with the full 600 MB. */
static const char *kFloodScript = R"(#!/bin/sh
cat >/dev/null
printf 'RIFF\044\000\100\006WAVEfmt \020\000\000\000\001\000\001\000\200\076\000\000\000\175\000\000\002\000\020\000data\000\000\100\006'
yes | head -c 104857600
)";
constexpr guint64 kFloodSamples = 104857600 / 2;
constexpr long kMaxGrowthKib = (100 + 256 + 144) * 1024;
#else
static const char *kFloodScript = R"(#!/bin/sh
cat >/dev/null
printf 'RIFF\044\000\200\045WAVEfmt \020\000\000\000\001\000\001\000\200\076\000\000\000\175\000\000\002\000\020\000data\000\000\200\045'
yes | head -c 629145600
)";
constexpr guint64 kFloodSamples = 629145600 / 2;
constexpr long kMaxGrowthKib = 100 * 1024;
#endif
constexpr gint16 kFloodValue = 0x0a79;

GST_START_TEST(test_command_flood_is_bounded_live) {
  EnvMarker marker("flood-live");
  Scripts scripts;
  const std::string script = scripts.write("flood.sh", kFloodScript);
  Fixture fx("replyonpause handler=command handler-timeout=3600000000000", true);
  g_object_set(fx.element, "command", script.c_str(), nullptr);
  ReplyOutput out;
  fx.in->push_spans(5);
  out.pull_all(fx.in->h);
  const long rss_before = vm_rss_kib();
  long rss_max = rss_before;
  fx.in->turn(1);
  /* 3 s of input at real time */
  const gint64 start = g_get_monotonic_time();
  for (guint i = 0; i < 150; i++) {
    const gint64 due = start + (i + 1) * 20 * G_TIME_SPAN_MILLISECOND;
    const gint64 now = g_get_monotonic_time();
    if (due > now)
      g_usleep(static_cast<gulong>(due - now));
    fx.in->push_spans(1);
    out.pull_all(fx.in->h);
    rss_max = std::max(rss_max, vm_rss_kib());
  }
  GST_INFO("resident memory %ld KiB before, at most %ld KiB while the reply plays", rss_before,
           rss_max);
  /* it plays at real time, continuous: from its first sample on, every
   * output sample is the reply's */
  std::size_t first = 0;
  while (first < out.samples.size() && out.samples[first] != kFloodValue)
    first++;
  fail_unless(first < out.samples.size(), "the reply never played");
  const guint64 played = count_value(out.samples, kFloodValue, first);
  fail_unless(played == out.samples.size() - first,
              "%" G_GUINT64_FORMAT " samples after the reply started are not the reply's",
              out.samples.size() - first - played);
  fail_unless(played > 2 * kReplyRate, "only %" G_GUINT64_FORMAT " reply samples played", played);
  fail_unless(rss_max - rss_before < kMaxGrowthKib,
              "resident memory grew by %ld MiB while a handler flooded its stdout",
              (rss_max - rss_before) / 1024);
  /* NULL during it: prompt, and nothing of the handler left */
  fail_unless(!processes_with_env(marker.entry).empty(), "the handler is not running any more");
  set_null_within_a_second(fx.element);
  const gint64 stopped = g_get_monotonic_time();
  while (!processes_with_env(marker.entry).empty() && ms_since(stopped) < 1000)
    g_usleep(5000);
  fail_unless(processes_with_env(marker.entry).empty(), "the handler runs 1 s after NULL");
}
GST_END_TEST;

GST_START_TEST(test_command_flood_is_bounded_not_live) {
  EnvMarker marker("flood");
  Scripts scripts;
  const std::string script = scripts.write("flood.sh", kFloodScript);
  Fixture fx("replyonpause handler=command handler-timeout=600000000000");
  g_object_set(fx.element, "command", script.c_str(), nullptr);
  SrcCounter src;
  src.value = kFloodValue;
  src.attach(fx.element);
  fx.in->push_spans(5);
  const long rss_before = vm_rss_kib();
  std::atomic<long> rss_max{rss_before};
  std::atomic<bool> stop{false};
  std::thread sampler([&] {
    while (!stop) {
      rss_max = std::max<long>(rss_max, vm_rss_kib());
      g_usleep(20000);
    }
  });
  const gint64 start = g_get_monotonic_time();
  fx.in->turn(1);
  /* EOS waits for the whole reply: all 600 MB leave before it */
  fail_unless(gst_harness_push_event(fx.in->h, gst_event_new_eos()));
  stop = true;
  sampler.join();
  const gint64 took = ms_since(start);
  GST_INFO("600 MB in %" G_GINT64_FORMAT " ms; resident memory %ld KiB before, at most %ld KiB",
           took, rss_before, rss_max.load());
  fail_unless(src.value_samples == kFloodSamples,
              "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " reply samples arrived",
              src.value_samples.load(), kFloodSamples);
  fail_unless(rss_max - rss_before < kMaxGrowthKib,
              "resident memory grew by %ld MiB while a handler flooded its stdout",
              (rss_max - rss_before) / 1024);
  expect_no_handler_error(fx, 1);
  fail_unless(fx.log.find("reply-end", 1) != nullptr, "%s", fx.log.summary().c_str());
  fail_unless(processes_with_env(marker.entry).empty(), "the handler outlived its reply");
  src.detach();
}
GST_END_TEST;

/* push-reply from application code blocks while more than max-reply-buffer
 * of the reply waits to play (returning TRUE once it is queued), and returns
 * FALSE at once when the reply is stopped meanwhile (NULL here). */
GST_START_TEST(test_push_reply_waits_for_room) {
  struct Case {
    const char *description;
    guint64 bound_ms;
  };
  for (const Case &c : {Case{"replyonpause handler=signals", 5000},
                        Case{"replyonpause handler=signals max-reply-buffer=1000000000", 1000}}) {
    Handler h;
    Fixture fx(c.description, true);
    h.attach(fx.element);
    h.plan = {Act::kFlood};
    ReplyOutput out;
    fx.in->push_spans(5);
    fx.in->turn(1);
    auto accepted = [&] {
      guint n = 0;
      for (const auto &p : h.pushes_of(1))
        n += p.second;
      return n;
    };
    /* until the handler is held back: nothing more taken for 300 ms */
    auto settled = [&] {
      guint last = accepted();
      gint64 since = g_get_monotonic_time();
      const gint64 start = since;
      while (ms_since(since) < 300 && ms_since(start) < 5000) {
        g_usleep(20 * 1000);
        if (const guint now = accepted(); now != last) {
          last = now;
          since = g_get_monotonic_time();
        }
      }
      return last;
    };
    /* what is queued (the bound, and one chunk over it) and what the output
     * holds to play next (up to one second and a chunk) */
    const guint at_rest = settled();
    const guint most = static_cast<guint>(c.bound_ms / 100 + 1 + 10 + 1 + 1);
    fail_unless(at_rest >= c.bound_ms / 100 && at_rest <= most,
                "%s: %u chunks of 100 ms taken while nothing played (expected %" G_GUINT64_FORMAT
                " to %u)",
                c.description, at_rest, c.bound_ms / 100, most);
    fail_unless(h.locked<bool>([&] { return h.returned.empty(); }), "%s: the handler returned",
                c.description);
    /* one second plays: about ten more chunks go in, and up to a second
     * more that the output takes to hold ahead of what it plays */
    fx.in->push_spans(50);
    out.pull_all(fx.in->h);
    const guint later = settled();
    GST_INFO("%s: %u chunks taken while nothing played, %u more while 1 s played", c.description,
             at_rest, later - at_rest);
    fail_unless(later >= at_rest + 8 && later <= at_rest + 10 + 11 + 2,
                "%s: %u chunks taken while 1 s played", c.description, later - at_rest);
    expect_reply(out, 1, count_value(out.samples, reply_value(1)));
    /* NULL: the blocked push returns FALSE at once */
    set_null_within_a_second(fx.element);
    const gint64 stopped = g_get_monotonic_time();
    fail_unless(h.wait_returned(1), "%s: the handler is still blocked", c.description);
    fail_unless(ms_since(stopped) < 1000,
                "%s: push-reply returned %" G_GINT64_FORMAT " ms after NULL", c.description,
                ms_since(stopped));
    const auto pushes = h.pushes_of(1);
    fail_unless(!pushes.back().second, "%s: the last push-reply returned TRUE", c.description);
    fx.teardown();
  }
}
GST_END_TEST;

static Suite *replyonpause_faults_suite(void) {
  Suite *s = suite_create("replyonpause-faults");

  TCase *handlers = tcase_create("failing-handlers");
  suite_add_tcase(s, handlers);
  tcase_set_timeout(handlers, 60);
  tcase_add_test(handlers, test_signals_fail_reply_posts_handler_error);
  tcase_add_test(handlers, test_signals_no_reply_times_out);
  tcase_add_test(handlers, test_signals_end_without_audio);
  tcase_add_test(handlers, test_signals_broken_audio);
  tcase_add_test(handlers, test_command_failures);
  tcase_add_test(handlers, test_command_timeout_kills_the_child);
  tcase_add_test(handlers, test_pads_failures);

  TCase *stopping = tcase_create("stopping");
  suite_add_tcase(s, stopping);
  tcase_set_timeout(stopping, 60);
  tcase_add_test(stopping, test_null_while_signals_handler_runs);
  tcase_add_test(stopping, test_null_while_command_runs);
  tcase_add_test(stopping, test_null_while_pads_branch_blocks);
  tcase_add_test(stopping, test_null_while_pads_branch_ignores_the_flush);
  tcase_add_test(stopping, test_eos_waits_for_the_reply);
  tcase_add_test(stopping, test_eos_waits_for_a_command_reply);
  tcase_add_test(stopping, test_eos_with_an_unended_reply_times_out);
  tcase_add_test(stopping, test_flush_drops_the_echo_reply);
  tcase_add_test(stopping, test_flush_stops_the_signals_handler);
  tcase_add_test(stopping, test_flush_stale_handler_cannot_feed_the_next_reply);
  tcase_add_test(stopping, test_restart_stale_handler_cannot_feed_the_next_reply);
  tcase_add_test(stopping, test_flush_drops_the_utterance_being_collected);
  tcase_add_test(stopping, test_session_change_stops_the_reply);

  TCase *chaos = tcase_create("chaos");
  suite_add_tcase(s, chaos);
  tcase_set_timeout(chaos, 60);
  tcase_add_test(chaos, test_state_changes_at_any_moment);

  TCase *hostile = tcase_create("hostile-client");
  suite_add_tcase(s, hostile);
  tcase_set_timeout(hostile, 120);
  tcase_add_test(hostile, test_timestamp_jumps_are_discontinuities);
  tcase_add_test(hostile, test_state_cycles_post_no_error);
  tcase_add_test(hostile, test_command_leaves_nothing_behind);
  tcase_add_test(hostile, test_command_flood_is_bounded_live);
  tcase_add_test(hostile, test_command_flood_is_bounded_not_live);
  tcase_add_test(hostile, test_push_reply_waits_for_room);
  return s;
}

GST_CHECK_MAIN(replyonpause_faults);

/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * bench-load: how many live sessions one process holds in real time.
 *
 * Each session is its own pipeline:
 *
 *   appsrc is-live=true format=time ! sessiontag webrtc-id=load-<i> !
 *       pausedetect engine=<E> ! replyonpause handler=echo !
 *       fakesink sync=false
 *
 * fed 16 kHz mono S16 in 20 ms buffers of real speech with turns: Debian's
 * pocketsphinx-testdata goforward.raw ("go forward ten meters", 2.8 s) after
 * 3.5 s of silence, looped, with a +-1 LSB dither; each session starts at
 * its own place in that loop and its own millisecond within the 20 ms
 * period, so turns and buffers of different sessions do not line up. A few
 * pacing threads (--pacers, default 2) push each session's buffer n when its
 * 20 ms of "capture" are over: at base + (n + 1) * 20 ms on the system clock
 * (CLOCK_MONOTONIC), where base is the session pipeline's base time (set by
 * us, the pipelines' clock is the system clock), and the buffer's PTS is
 * n * 20 ms. That is a live source paced in real time, as webrtcbin's would
 * be; each appsrc has its own streaming thread, as a real source would.
 *
 * Falling behind, precisely. A buffer is due when its last sample has been
 * captured: base + PTS + duration. Lateness of an output buffer = the clock
 * when it reaches fakesink's sink pad (pad probe) minus its due time
 * (replyonpause timestamps its output on the input's running time, one
 * output span per input span). A sampler (every 250 ms) also takes, per
 * session, the lateness so far of the next buffer not yet out (clock minus
 * base minus the end of the last output minus 20 ms), which catches a
 * stalled session, and appsrc's queue (current-level-bytes / 640 bytes). A
 * run of N sessions is HELD when, during the measured window (after a
 * settling time that lets start-up backlog drain), no buffer was later than
 * --late-ms (100 ms), no appsrc queue held more than --queue-buffers (5
 * buffers, 100 ms), every session produced output and no pipeline posted an
 * error. Otherwise it fell behind.
 *
 * Figures per run, over the measured window: process CPU (getrusage, all
 * threads) per wall second in % of one core, that divided by N ("CPU per
 * session"), VmRSS (/proc/self/status) at the end, its growth since before
 * the first session divided by N ("memory per session", the shared Silero
 * weights included), the worst lateness, buffers later than the threshold,
 * the largest source queue, utterances and replies seen (bus messages,
 * taken and dropped in a sync handler), and the CPU the rest of the machine
 * used in the window (/proc/stat minus ours), to tell a disturbed run.
 *
 * --feed direct (a diagnosis, not the benchmark): no appsrc and no
 * streaming thread per session; the pacing threads push each buffer
 * themselves through a pad of ours linked to sessiontag (after
 * stream-start, caps and segment; the pad answers the latency query as a
 * live source), so the whole chain runs in the pacing threads. It shows
 * what the elements cost without one thread wake-up per buffer and session.
 *
 * Every run is a fresh child process (this program with --run N), so each
 * memory figure starts from the same clean process. The parent, for each
 * engine: runs the steps (--steps, default 50,100,200,...) for --hold
 * seconds (10) each until one falls behind; narrows the gap between the
 * highest held and the first failed step by halving it (--refine, 2
 * times, while the gap is above 10% of N); then runs the highest held N
 * again for --confirm seconds (60); if that does not hold, the next lower
 * held N, and so on. It prints a Markdown table and writes every run as a
 * CSV row to --csv PATH (plot: tests/benchmarks/plot-load.py).
 *
 * Silero needs the v5 model: --model PATH, else $VOICEKIT_SILERO_MODEL_V5,
 * else ~/.cache/gst-voicekit/models/silero_vad_v5.onnx (scripts/test
 * fetches it); without it the silero engine is skipped with a note.
 *
 * Usage: bench-load [--engines builtin,silero] [--steps 50,100,...] [--hold S]
 *                   [--confirm S] [--settle S] [--refine K] [--csv PATH]
 *                   [--pacers K] [--late-ms MS] [--queue-buffers B] [--model PATH]
 *                   [--feed appsrc|direct]
 *        bench-load --run N --engine E [--hold S] [--settle S] ...  (one run)
 * Exit code 0 when every engine held at least its first step, 1 otherwise
 * or on a failed check, 2 on bad arguments.
 */
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include "../../tools/build-tree-plugin.hpp"
#include "../../tools/comma-list.hpp"
#include "../common/proc-status.hpp"
#include "../common/speech.hpp"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kRate = 16000;
constexpr guint kSpanFrames = kRate / 50; /* 20 ms */
constexpr gsize kSpanBytes = kSpanFrames * sizeof(gint16);
constexpr GstClockTime kSpan = 20 * GST_MSECOND;
constexpr double kGapSeconds = 3.5;
constexpr const char *kCaps = "audio/x-raw,format=S16LE,layout=interleaved,rate=16000,channels=1";

struct Options {
  std::vector<std::string> engines{"builtin", "silero"};
  std::vector<int> steps{50,   100,  200,  300,  400,  500,  600,  800, 1000,
                         1200, 1400, 1600, 2000, 2400, 2800, 3200, 4000};
  double hold = 10;
  double confirm = 60;
  double settle = 5;
  int refine = 2;
  int pacers = 2;
  double late_ms = 100;
  int queue_buffers = 5;
  bool direct = false; /* --feed direct */
  std::string csv;
  std::string model;
  /* child mode */
  int run = 0;
  std::string engine;
};

using voicekit::testing::vm_rss_kib;

int thread_count() {
  return static_cast<int>(voicekit::testing::proc_status_field("Threads"));
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

/* Jiffies of the whole machine (first line of /proc/stat, summed over CPUs):
 * busy at normal priority (user, system, irq, softirq, steal), niced (user
 * time of processes with a positive nice value: fuzzers under nice 19 yield
 * to us), and the total. */
struct Jiffies {
  double busy = 0, niced = 0, total = 0;
};

Jiffies machine_jiffies() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  stat >> cpu;
  Jiffies j;
  for (int i = 0; i < 8; i++) { /* guest time is already in user */
    double value = 0;
    if (!(stat >> value))
      break;
    j.total += value;
    if (i == 1)
      j.niced += value;
    else if (i != 3 && i != 4) /* idle, iowait */
      j.busy += value;
  }
  return j;
}

std::string default_model() {
  if (const char *env = std::getenv("VOICEKIT_SILERO_MODEL_V5"))
    return env;
  const char *home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "") +
         "/.cache/gst-voicekit/models/silero_vad_v5.onnx";
}

/* ---- one run: N sessions in this process ------------------------------------ */

/* One turn (3.5 s silence, then the speech), dithered, in 20 ms buffers. */
std::vector<GstBuffer *> turn_buffers() {
  const std::vector<gint16> turn = voicekit::testing::dithered_turn(kGapSeconds, kSpanFrames);
  std::vector<GstBuffer *> buffers;
  for (std::size_t done = 0; done < turn.size(); done += kSpanFrames)
    buffers.push_back(gst_buffer_new_memdup(turn.data() + done, kSpanBytes));
  return buffers;
}

/* Start of the measured window on the system clock; GST_CLOCK_TIME_NONE
 * (the largest value) until the settling time is over. */
std::atomic<GstClockTime> window_start{GST_CLOCK_TIME_NONE};
GstClock *system_clock = nullptr;

struct Session {
  int index = 0;
  GstElement *pipeline = nullptr;
  GstElement *src = nullptr; /* appsrc, or nullptr with --feed direct */
  GstPad *feed = nullptr;    /* --feed direct: our pad, linked to sessiontag */
  GstClockTime base = 0;     /* system clock time of running time 0 */
  std::size_t offset = 0;    /* where in the turn loop this session starts */
  guint64 next = 0;          /* next buffer number (its pacer only) */

  std::atomic<GstClockTime> out_end{0}; /* running time at the end of the last output */
  std::atomic<gint64> max_late{INT64_MIN};
  std::atomic<guint64> late_buffers{0};
  std::atomic<guint64> out_buffers{0}; /* in the window */
  std::atomic<int> utterances{0}, replies{0}, reply_ends{0}, interrupted{0}, errors{0};
};

void atomic_max(std::atomic<gint64> &target, gint64 value) {
  gint64 seen = target.load(std::memory_order_relaxed);
  while (value > seen && !target.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

GstClockTime late_threshold = 100 * GST_MSECOND;

GstPadProbeReturn on_sink_buffer(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *session = static_cast<Session *>(data);
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  const GstClockTime now = gst_clock_get_time(system_clock);
  if (!GST_BUFFER_PTS_IS_VALID(buffer))
    return GST_PAD_PROBE_OK;
  const GstClockTime end =
      GST_BUFFER_PTS(buffer) +
      (GST_BUFFER_DURATION_IS_VALID(buffer) ? GST_BUFFER_DURATION(buffer) : kSpan);
  if (end > session->out_end.load(std::memory_order_relaxed))
    session->out_end.store(end, std::memory_order_relaxed);
  if (now < window_start.load(std::memory_order_relaxed))
    return GST_PAD_PROBE_OK;
  const gint64 late = GST_CLOCK_DIFF(session->base + end, now);
  atomic_max(session->max_late, late);
  session->out_buffers.fetch_add(1, std::memory_order_relaxed);
  if (late > static_cast<gint64>(late_threshold))
    session->late_buffers.fetch_add(1, std::memory_order_relaxed);
  return GST_PAD_PROBE_OK;
}

/* Bus sync handler (the posting thread): counts, then drops every message,
 * as an application consuming them would. */
GstBusSyncReply on_bus(GstBus *, GstMessage *message, gpointer data) {
  auto *session = static_cast<Session *>(data);
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    if (session->errors.fetch_add(1) == 0) {
      GError *error = nullptr;
      gst_message_parse_error(message, &error, nullptr);
      std::fprintf(stderr, "session %d: error: %s\n", session->index, error->message);
      g_error_free(error);
    }
  } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ELEMENT) {
    const GstStructure *s = gst_message_get_structure(message);
    if (gst_structure_has_name(s, "replyonpause")) {
      const char *event = gst_structure_get_string(s, "event");
      if (event != nullptr && std::strcmp(event, "utterance") == 0)
        session->utterances++;
      else if (event != nullptr && std::strcmp(event, "reply-start") == 0)
        session->replies++;
      else if (event != nullptr && std::strcmp(event, "reply-end") == 0)
        session->reply_ends++;
      else if (event != nullptr && std::strcmp(event, "reply-interrupted") == 0)
        session->interrupted++;
    }
  }
  gst_message_unref(message); /* GST_BUS_DROP leaves that to the handler */
  return GST_BUS_DROP;
}

GstElement *make(const char *factory) {
  GstElement *element = gst_element_factory_make(factory, nullptr);
  if (element == nullptr) {
    std::fprintf(stderr, "no element %s (GST_PLUGIN_PATH=build/plugins?)\n", factory);
    std::exit(1);
  }
  return element;
}

/* --feed direct: the feed pad answers the latency query as a live source
 * whose buffers are 20 ms long would (replyonpause asks). */
gboolean on_feed_query(GstPad *pad, GstObject *parent, GstQuery *query) {
  if (GST_QUERY_TYPE(query) == GST_QUERY_LATENCY) {
    gst_query_set_latency(query, TRUE, kSpan, kSpan);
    return TRUE;
  }
  return gst_pad_query_default(pad, parent, query);
}

/* --feed direct: the events a source sends before its first buffer. */
void start_feed(Session &session) {
  gchar *stream_id = g_strdup_printf("load-%d", session.index);
  gst_pad_push_event(session.feed, gst_event_new_stream_start(stream_id));
  g_free(stream_id);
  GstCaps *caps = gst_caps_from_string(kCaps);
  gst_pad_push_event(session.feed, gst_event_new_caps(caps));
  gst_caps_unref(caps);
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  gst_pad_push_event(session.feed, gst_event_new_segment(&segment));
}

std::unique_ptr<Session> make_session(int index, const std::string &engine,
                                      const std::string &model, bool direct) {
  auto session = std::make_unique<Session>();
  session->index = index;
  session->pipeline = gst_pipeline_new(nullptr);
  GstElement *src = direct ? nullptr : make("appsrc");
  GstElement *tag = make("sessiontag");
  GstElement *detect = make("pausedetect");
  GstElement *reply = make("replyonpause");
  GstElement *sink = make("fakesink");
  if (!direct) {
    GstCaps *caps = gst_caps_from_string(kCaps);
    g_object_set(src, "caps", caps, "format", GST_FORMAT_TIME, "is-live", TRUE, "block", FALSE,
                 nullptr);
    gst_caps_unref(caps);
  }
  const std::string id = "load-" + std::to_string(index);
  g_object_set(tag, "webrtc-id", id.c_str(), nullptr);
  gst_util_set_object_arg(G_OBJECT(detect), "engine", engine.c_str());
  if (engine == "silero")
    g_object_set(detect, "model-path", model.c_str(), nullptr);
  gst_util_set_object_arg(G_OBJECT(reply), "handler", "echo");
  g_object_set(sink, "sync", FALSE, "async", FALSE, "enable-last-sample", FALSE, nullptr);
  gst_bin_add_many(GST_BIN(session->pipeline), tag, detect, reply, sink, nullptr);
  bool linked = gst_element_link_many(tag, detect, reply, sink, nullptr);
  if (direct) {
    session->feed = gst_pad_new("feed", GST_PAD_SRC);
    gst_pad_set_query_function(session->feed, on_feed_query);
    GstPad *tag_sink = gst_element_get_static_pad(tag, "sink");
    linked = linked && gst_pad_link(session->feed, tag_sink) == GST_PAD_LINK_OK;
    gst_object_unref(tag_sink);
    gst_pad_set_active(session->feed, TRUE);
  } else {
    gst_bin_add(GST_BIN(session->pipeline), src);
    linked = linked && gst_element_link(src, tag);
    session->src = GST_ELEMENT(gst_object_ref(src));
  }
  if (!linked) {
    std::fprintf(stderr, "cannot link session %d\n", index);
    std::exit(1);
  }
  GstPad *pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_sink_buffer, session.get(), nullptr);
  gst_object_unref(pad);
  GstBus *bus = gst_element_get_bus(session->pipeline);
  gst_bus_set_sync_handler(bus, on_bus, session.get(), nullptr);
  gst_object_unref(bus);
  gst_pipeline_use_clock(GST_PIPELINE(session->pipeline), system_clock);
  /* we set the base time: running time 0 is `base` on the system clock */
  gst_element_set_start_time(session->pipeline, GST_CLOCK_TIME_NONE);
  return session;
}

void sleep_until(GstClockTime when) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(when / GST_SECOND);
  ts.tv_nsec = static_cast<long>(when % GST_SECOND);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

struct Pacer {
  std::vector<Session *> sessions;
  const std::vector<GstBuffer *> *turn = nullptr;
  std::atomic<bool> *running = nullptr;
  gint64 max_push_late = 0; /* in the window */
  std::thread thread;

  void loop() {
    using Due = std::pair<GstClockTime, Session *>;
    auto later = [](const Due &a, const Due &b) { return a.first > b.first; };
    std::priority_queue<Due, std::vector<Due>, decltype(later)> heap(later);
    for (Session *session : sessions)
      heap.emplace(session->base + kSpan, session);
    const std::size_t length = turn->size();
    while (running->load(std::memory_order_relaxed) && !heap.empty()) {
      const GstClockTime due = heap.top().first;
      GstClockTime now = gst_clock_get_time(system_clock);
      if (due > now) {
        sleep_until(due);
        continue;
      }
      /* everything due by now, oldest first */
      while (!heap.empty() && heap.top().first <= now && running->load(std::memory_order_relaxed)) {
        Session *session = heap.top().second;
        const GstClockTime session_due = heap.top().first;
        heap.pop();
        if (now >= window_start.load(std::memory_order_relaxed))
          max_push_late = std::max(max_push_late, GST_CLOCK_DIFF(session_due, now));
        const guint64 n = session->next++;
        GstBuffer *buffer = gst_buffer_copy((*turn)[(session->offset + n) % length]);
        GST_BUFFER_PTS(buffer) = n * kSpan;
        GST_BUFFER_DURATION(buffer) = kSpan;
        if (session->feed != nullptr) {
          /* the whole chain runs here, in the pacer's thread */
          if (n == 0)
            start_feed(*session);
          gst_pad_push(session->feed, buffer);
          now = gst_clock_get_time(system_clock);
        } else {
          gst_app_src_push_buffer(GST_APP_SRC(session->src), buffer);
        }
        heap.emplace(session_due + kSpan, session);
      }
    }
  }
};

struct RunResult {
  std::string engine;
  int n = 0;
  double window = 0;
  double cpu_percent = 0;
  double rss_mib = 0, rss_growth_mib = 0, mem_per_session_kib = 0;
  double max_late_ms = 0, max_push_late_ms = 0;
  guint64 late_buffers = 0, out_buffers = 0;
  int max_queue = 0;
  int silent_sessions = 0; /* no output in the window */
  int errors = 0, utterances = 0, replies = 0, reply_ends = 0, interrupted = 0;
  int threads = 0;
  double other_percent = 0; /* other processes at normal priority */
  double niced_percent = 0; /* niced processes (they yield to us) */
  double create_s = 0;
  bool held = false;
};

std::string result_line(const RunResult &r) {
  char line[1024];
  std::snprintf(line, sizeof line,
                "RESULT engine=%s n=%d window=%.1f cpu=%.2f rss=%.1f growth=%.2f "
                "mem_per_session=%.2f max_late=%.2f push_late=%.2f late_buffers=%" G_GUINT64_FORMAT
                " out_buffers=%" G_GUINT64_FORMAT " max_queue=%d silent=%d errors=%d "
                "utterances=%d replies=%d reply_ends=%d interrupted=%d threads=%d other=%.1f "
                "niced=%.1f create=%.2f held=%d",
                r.engine.c_str(), r.n, r.window, r.cpu_percent, r.rss_mib, r.rss_growth_mib,
                r.mem_per_session_kib, r.max_late_ms, r.max_push_late_ms, r.late_buffers,
                r.out_buffers, r.max_queue, r.silent_sessions, r.errors, r.utterances, r.replies,
                r.reply_ends, r.interrupted, r.threads, r.other_percent, r.niced_percent,
                r.create_s, r.held ? 1 : 0);
  return line;
}

bool parse_result(const std::string &text, RunResult *r) {
  const std::size_t at = text.rfind("RESULT ");
  if (at == std::string::npos)
    return false;
  std::istringstream in(text.substr(at + 7));
  std::map<std::string, std::string> values;
  std::string pair;
  while (in >> pair) {
    const std::size_t eq = pair.find('=');
    if (eq != std::string::npos)
      values[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  auto number = [&](const char *key) { return std::atof(values[key].c_str()); };
  r->engine = values["engine"];
  r->n = static_cast<int>(number("n"));
  r->window = number("window");
  r->cpu_percent = number("cpu");
  r->rss_mib = number("rss");
  r->rss_growth_mib = number("growth");
  r->mem_per_session_kib = number("mem_per_session");
  r->max_late_ms = number("max_late");
  r->max_push_late_ms = number("push_late");
  r->late_buffers = static_cast<guint64>(number("late_buffers"));
  r->out_buffers = static_cast<guint64>(number("out_buffers"));
  r->max_queue = static_cast<int>(number("max_queue"));
  r->silent_sessions = static_cast<int>(number("silent"));
  r->errors = static_cast<int>(number("errors"));
  r->utterances = static_cast<int>(number("utterances"));
  r->replies = static_cast<int>(number("replies"));
  r->reply_ends = static_cast<int>(number("reply_ends"));
  r->interrupted = static_cast<int>(number("interrupted"));
  r->threads = static_cast<int>(number("threads"));
  r->other_percent = number("other");
  r->niced_percent = number("niced");
  r->create_s = number("create");
  r->held = values["held"] == "1";
  return values.count("held") == 1;
}

/* N sessions, `settle` s, then a `hold` s window; prints a RESULT line. */
RunResult run_sessions(const Options &options) {
  const int n = options.run;
  RunResult result;
  result.engine = options.engine;
  result.n = n;
  late_threshold = static_cast<GstClockTime>(options.late_ms * GST_MSECOND);
  const std::vector<GstBuffer *> turn = turn_buffers();
  const long rss_before = vm_rss_kib();

  /* build every session (PAUSED: a live source sends nothing yet) */
  const double create_start = g_get_monotonic_time() / 1e6;
  std::vector<std::unique_ptr<Session>> sessions;
  for (int i = 0; i < n; i++) {
    sessions.push_back(make_session(i, options.engine, options.model, options.direct));
    Session &session = *sessions.back();
    session.offset = static_cast<std::size_t>(i) * 7919u % turn.size();
    if (gst_element_set_state(session.pipeline, GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE) {
      std::fprintf(stderr, "session %d cannot start (engine %s)\n", i, options.engine.c_str());
      std::exit(1);
    }
  }
  /* then all to PLAYING with base times spread over the 20 ms period */
  const GstClockTime base0 = gst_clock_get_time(system_clock) / GST_MSECOND * GST_MSECOND +
                             200 * GST_MSECOND + static_cast<GstClockTime>(n) * 20 * GST_USECOND;
  for (auto &session : sessions) {
    session->base = base0 + static_cast<GstClockTime>(session->index * 7 % 20) * GST_MSECOND;
    gst_element_set_base_time(session->pipeline, session->base);
    if (gst_element_set_state(session->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
      std::fprintf(stderr, "session %d cannot play\n", session->index);
      std::exit(1);
    }
  }
  result.create_s = g_get_monotonic_time() / 1e6 - create_start;

  std::atomic<bool> running{true};
  std::vector<std::unique_ptr<Pacer>> pacers;
  for (int k = 0; k < options.pacers; k++) {
    pacers.push_back(std::make_unique<Pacer>());
    pacers.back()->turn = &turn;
    pacers.back()->running = &running;
  }
  for (auto &session : sessions)
    pacers[static_cast<std::size_t>(session->index % options.pacers)]->sessions.push_back(
        session.get());
  for (auto &pacer : pacers)
    pacer->thread = std::thread([p = pacer.get()] { p->loop(); });

  /* settle, then the measured window */
  sleep_until(base0 + static_cast<GstClockTime>(options.settle * GST_SECOND));
  const GstClockTime start = gst_clock_get_time(system_clock);
  const double cpu_start = process_cpu_seconds();
  const auto machine_start = machine_jiffies();
  std::vector<int> utterances_start, replies_start, ends_start, interrupted_start;
  for (auto &session : sessions) {
    utterances_start.push_back(session->utterances.load());
    replies_start.push_back(session->replies.load());
    ends_start.push_back(session->reply_ends.load());
    interrupted_start.push_back(session->interrupted.load());
  }
  window_start.store(start);
  const GstClockTime end = start + static_cast<GstClockTime>(options.hold * GST_SECOND);
  gint64 max_stall = INT64_MIN;
  int max_queue = 0;
  for (GstClockTime tick = start + 250 * GST_MSECOND; tick <= end; tick += 250 * GST_MSECOND) {
    sleep_until(tick);
    const GstClockTime now = gst_clock_get_time(system_clock);
    for (auto &session : sessions) {
      const GstClockTime out_end = session->out_end.load(std::memory_order_relaxed);
      max_stall = std::max(max_stall, GST_CLOCK_DIFF(session->base + out_end + kSpan, now));
      if (session->src != nullptr) {
        const guint64 bytes = gst_app_src_get_current_level_bytes(GST_APP_SRC(session->src));
        max_queue = std::max(max_queue, static_cast<int>(bytes / kSpanBytes));
      }
    }
  }
  const double wall = static_cast<double>(gst_clock_get_time(system_clock) - start) / GST_SECOND;
  const double cpu = process_cpu_seconds() - cpu_start;
  const auto machine_end = machine_jiffies();
  const long rss_after = vm_rss_kib();
  result.threads = thread_count();
  window_start.store(GST_CLOCK_TIME_NONE);

  gint64 max_late = max_stall;
  for (std::size_t i = 0; i < sessions.size(); i++) {
    Session &session = *sessions[i];
    max_late = std::max(max_late, session.max_late.load());
    result.late_buffers += session.late_buffers.load();
    result.out_buffers += session.out_buffers.load();
    if (session.out_buffers.load() == 0)
      result.silent_sessions++;
    result.errors += session.errors.load();
    result.utterances += session.utterances.load() - utterances_start[i];
    result.replies += session.replies.load() - replies_start[i];
    result.reply_ends += session.reply_ends.load() - ends_start[i];
    result.interrupted += session.interrupted.load() - interrupted_start[i];
  }
  gint64 push_late = 0;
  for (auto &pacer : pacers)
    push_late = std::max(push_late, pacer->max_push_late); /* read after the window: racy but
                                                              only informative */
  result.window = wall;
  result.cpu_percent = 100.0 * cpu / wall;
  result.rss_mib = rss_after / 1024.0;
  result.rss_growth_mib = (rss_after - rss_before) / 1024.0;
  result.mem_per_session_kib = static_cast<double>(rss_after - rss_before) / n;
  result.max_late_ms = static_cast<double>(max_late) / GST_MSECOND;
  result.max_push_late_ms = static_cast<double>(push_late) / GST_MSECOND;
  result.max_queue = max_queue;
  const double machine_total = machine_end.total - machine_start.total;
  const double ncpu = static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN));
  /* jiffies are summed over CPUs: part / total * ncpu * 100 = % of one core */
  if (machine_total > 0) {
    const double busy = 100.0 * (machine_end.busy - machine_start.busy) / machine_total * ncpu;
    result.other_percent = std::max(0.0, busy - result.cpu_percent);
    result.niced_percent = 100.0 * (machine_end.niced - machine_start.niced) / machine_total * ncpu;
  }
  result.held = result.late_buffers == 0 && max_late <= static_cast<gint64>(late_threshold) &&
                max_queue <= options.queue_buffers && result.silent_sessions == 0 &&
                result.errors == 0;

  running.store(false);
  for (auto &pacer : pacers)
    pacer->thread.join();
  for (auto &session : sessions) {
    gst_element_set_state(session->pipeline, GST_STATE_NULL);
    if (session->src != nullptr)
      gst_object_unref(session->src);
    if (session->feed != nullptr) {
      gst_pad_set_active(session->feed, FALSE);
      gst_object_unref(session->feed);
    }
    gst_object_unref(session->pipeline);
  }
  for (GstBuffer *buffer : turn)
    gst_buffer_unref(buffer);
  return result;
}

/* ---- the parent: steps, refinement, confirmation ------------------------------ */

std::vector<std::string> child_arguments(const Options &options, const std::string &engine, int n,
                                         double hold) {
  char number[64];
  gchar *self = g_file_read_link("/proc/self/exe", nullptr);
  std::vector<std::string> args{self != nullptr ? self : "/proc/self/exe", "--run",
                                std::to_string(n), "--engine", engine};
  g_free(self);
  std::snprintf(number, sizeof number, "%g", hold);
  args.insert(args.end(), {"--hold", number});
  std::snprintf(number, sizeof number, "%g", options.settle);
  args.insert(args.end(), {"--settle", number});
  args.insert(args.end(), {"--pacers", std::to_string(options.pacers)});
  std::snprintf(number, sizeof number, "%g", options.late_ms);
  args.insert(args.end(), {"--late-ms", number});
  args.insert(args.end(), {"--queue-buffers", std::to_string(options.queue_buffers)});
  if (options.direct)
    args.insert(args.end(), {"--feed", "direct"});
  if (engine == "silero")
    args.insert(args.end(), {"--model", options.model});
  return args;
}

bool spawn_run(const Options &options, const std::string &engine, int n, double hold,
               RunResult *result) {
  std::vector<std::string> args = child_arguments(options, engine, n, hold);
  std::vector<char *> argv;
  for (std::string &arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  gchar *out = nullptr;
  gint status = 0;
  GError *error = nullptr;
  const bool spawned = g_spawn_sync(nullptr, argv.data(), nullptr, G_SPAWN_DEFAULT, nullptr,
                                    nullptr, &out, nullptr, &status, &error);
  if (!spawned) {
    std::fprintf(stderr, "cannot run a child: %s\n", error->message);
    g_error_free(error);
    return false;
  }
  const std::string text = out != nullptr ? out : "";
  g_free(out);
  if (!g_spawn_check_wait_status(status, nullptr) || !parse_result(text, result)) {
    std::fprintf(stderr, "run %s N=%d failed (status %d)\n", engine.c_str(), n, status);
    return false;
  }
  return true;
}

struct Row {
  std::string phase;
  RunResult r;
};

void print_row(const Row &row) {
  const RunResult &r = row.r;
  std::printf("| %s | %s | %d | %.0f | %.1f | %.3f | %.1f | %.1f | %.2f | %" G_GUINT64_FORMAT
              " | %d | %d/%d | %.0f | %.0f | %s |\n",
              r.engine.c_str(), row.phase.c_str(), r.n, r.window, r.cpu_percent,
              r.cpu_percent / r.n, r.rss_mib, r.mem_per_session_kib, r.max_late_ms, r.late_buffers,
              r.max_queue, r.replies, r.utterances, r.other_percent, r.niced_percent,
              r.held ? "yes" : "no");
  std::fflush(stdout);
}

void write_csv(const std::string &path, const std::vector<Row> &rows) {
  std::FILE *file = std::fopen(path.c_str(), "w");
  if (file == nullptr) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    return;
  }
  std::fprintf(file, "engine,phase,n,window_s,cpu_percent,cpu_percent_per_session,"
                     "cpu_ms_per_session_s,rss_mib,rss_growth_mib,mem_per_session_kib,"
                     "max_late_ms,late_buffers,max_queue_buffers,max_push_late_ms,utterances,"
                     "replies,reply_ends,interrupted,threads,other_load_percent,niced_load_percent,"
                     "create_s,held\n");
  for (const Row &row : rows) {
    const RunResult &r = row.r;
    std::fprintf(file,
                 "%s,%s,%d,%.1f,%.2f,%.4f,%.4f,%.1f,%.2f,%.2f,%.2f,%" G_GUINT64_FORMAT
                 ",%d,%.2f,%d,%d,%d,%d,%d,%.1f,%.1f,%.2f,%s\n",
                 r.engine.c_str(), row.phase.c_str(), r.n, r.window, r.cpu_percent,
                 r.cpu_percent / r.n, 10.0 * r.cpu_percent / r.n, r.rss_mib, r.rss_growth_mib,
                 r.mem_per_session_kib, r.max_late_ms, r.late_buffers, r.max_queue,
                 r.max_push_late_ms, r.utterances, r.replies, r.reply_ends, r.interrupted,
                 r.threads, r.other_percent, r.niced_percent, r.create_s, r.held ? "yes" : "no");
  }
  std::fclose(file);
}

int run_parent(Options options) {
  std::vector<Row> rows;
  std::vector<std::pair<std::string, int>> best; /* engine, confirmed N (0: none) */
  std::printf("Held: for the whole window no buffer reached the sink more than %.0f ms after "
              "its due time (capture end), no appsrc queue above %d buffers, every session "
              "produced output, no error.\n\n",
              options.late_ms, options.queue_buffers);
  std::printf(
      "| engine | phase | N | window s | CPU %% | CPU %%/session | RSS MiB | KiB/session "
      "| max late ms | late bufs | max queue | replies/utterances | other load %% | niced load "
      "%% | held |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
      "---: | ---: | ---: | ---: | --- |\n");
  std::fflush(stdout);
  bool all_ok = true;
  for (const std::string &engine : options.engines) {
    if (engine == "silero" && !g_file_test(options.model.c_str(), G_FILE_TEST_EXISTS)) {
      std::printf("| silero | skipped: no model at %s | | | | | | | | | | | | | |\n",
                  options.model.c_str());
      continue;
    }
    std::vector<int> held;
    int failed = 0;
    auto step = [&](const char *phase, int n, double hold) {
      Row row{phase, {}};
      if (!spawn_run(options, engine, n, hold, &row.r)) {
        row.r.engine = engine;
        row.r.n = n;
        row.r.held = false;
        all_ok = false;
      }
      print_row(row);
      rows.push_back(row);
      if (!options.csv.empty())
        write_csv(options.csv, rows);
      return row.r.held;
    };
    for (int n : options.steps) {
      if (step("ramp", n, options.hold)) {
        held.push_back(n);
      } else {
        failed = n;
        break;
      }
    }
    for (int k = 0; k < options.refine && failed > 0; k++) {
      const int low = held.empty() ? 0 : *std::max_element(held.begin(), held.end());
      if (failed - low <= std::max(10, low / 10))
        break;
      const int middle = (low + failed) / 2 / 10 * 10;
      if (middle <= low)
        break;
      if (step("refine", middle, options.hold))
        held.push_back(middle);
      else
        failed = middle;
    }
    std::sort(held.rbegin(), held.rend());
    int confirmed = 0;
    for (std::size_t i = 0; i < held.size() && i < 3 && confirmed == 0; i++)
      if (step("confirm", held[i], options.confirm))
        confirmed = held[i];
    best.emplace_back(engine, confirmed);
    if (confirmed == 0)
      all_ok = false;
  }
  std::printf("\n");
  for (const auto &[engine, n] : best) {
    if (n == 0) {
      std::printf("%s: no N held for %.0f s\n", engine.c_str(), options.confirm);
      continue;
    }
    for (const Row &row : rows)
      if (row.phase == "confirm" && row.r.engine == engine && row.r.n == n)
        std::printf("%s: highest N held for %.0f s: %d; CPU %.1f%% of one core, %.3f%% "
                    "(%.3f ms/s) per session; RSS %.1f MiB, %.1f KiB per session; worst "
                    "lateness %.1f ms\n",
                    engine.c_str(), row.r.window, n, row.r.cpu_percent, row.r.cpu_percent / n,
                    10.0 * row.r.cpu_percent / n, row.r.rss_mib, row.r.mem_per_session_kib,
                    row.r.max_late_ms);
  }
  if (!options.csv.empty())
    std::printf("\nCSV: %s\n", options.csv.c_str());
  return all_ok ? 0 : 1;
}

/* A number option: its name, where it goes, and its least value. */
template <typename T> struct NumberOption {
  const char *name;
  T *value;
  T min;
};

} /* namespace */

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  Options options;
  options.model = default_model();
  const NumberOption<double> numbers[] = {{"--hold", &options.hold, 1},
                                          {"--confirm", &options.confirm, 1},
                                          {"--settle", &options.settle, 0.5},
                                          {"--late-ms", &options.late_ms, 1}};
  const NumberOption<int> integers[] = {{"--refine", &options.refine, 0},
                                        {"--pacers", &options.pacers, 1},
                                        {"--queue-buffers", &options.queue_buffers, 1},
                                        {"--run", &options.run, 1}};
  bool ok = true;
  for (int i = 1; i < argc && ok; i++) {
    const std::string arg = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : nullptr;
    auto number = [&](double *out, double min) {
      ok = value != nullptr && (*out = std::atof(value)) >= min;
      i++;
    };
    auto integer = [&](int *out, int min) {
      ok = value != nullptr && (*out = std::atoi(value)) >= min;
      i++;
    };
    auto text = [&](std::string *out) {
      ok = value != nullptr;
      if (ok)
        *out = value;
      i++;
    };
    auto named = [&](const auto &table) {
      return std::find_if(std::begin(table), std::end(table),
                          [&](const auto &option) { return arg == option.name; });
    };
    if (const auto n = named(numbers); n != std::end(numbers)) {
      number(n->value, n->min);
    } else if (const auto k = named(integers); k != std::end(integers)) {
      integer(k->value, k->min);
    } else if (arg == "--engines") {
      std::string list;
      text(&list);
      options.engines = voicekit::comma_list(list);
      for (const std::string &engine : options.engines)
        ok = ok && (engine == "builtin" || engine == "silero");
    } else if (arg == "--steps") {
      std::string list;
      text(&list);
      options.steps.clear();
      for (const std::string &item : voicekit::comma_list(list))
        options.steps.push_back(std::atoi(item.c_str()));
      ok = ok && !options.steps.empty() &&
           std::all_of(options.steps.begin(), options.steps.end(), [](int n) { return n > 0; });
    } else if (arg == "--feed") {
      std::string feed;
      text(&feed);
      ok = ok && (feed == "appsrc" || feed == "direct");
      options.direct = feed == "direct";
    } else if (arg == "--csv") {
      text(&options.csv);
    } else if (arg == "--model") {
      text(&options.model);
    } else if (arg == "--engine") {
      text(&options.engine);
      ok = ok && (options.engine == "builtin" || options.engine == "silero");
    } else {
      ok = false;
    }
  }
  if (!ok || (options.run > 0 && options.engine.empty())) {
    std::printf("usage: %s [--engines builtin,silero] [--steps 50,100,...] [--hold S] "
                "[--confirm S] [--settle S] [--refine K] [--csv PATH] [--pacers K] "
                "[--late-ms MS] [--queue-buffers B] [--model PATH] [--feed appsrc|direct]\n"
                "       %s --run N --engine builtin|silero [--hold S] [--settle S] ...\n",
                argv[0], argv[0]);
    return 2;
  }
  /* this build tree's plugin, with or without GST_PLUGIN_PATH */
  voicekit::load_build_tree_plugin("bench-load");
  if (options.run == 0) {
    gchar *version = gst_version_string();
    std::string command;
    for (int i = 0; i < argc; i++)
      command += std::string(i > 0 ? " " : "") + argv[i];
    std::printf("# bench-load\n\ncommand: %s\n%s, %u CPUs\n\n", command.c_str(), version,
                std::thread::hardware_concurrency());
    g_free(version);
    return run_parent(options);
  }

  /* one run, in this (child) process */
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max; /* a bus per pipeline holds descriptors */
    setrlimit(RLIMIT_NOFILE, &files);
  }
  system_clock = gst_system_clock_obtain();
  {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    const GstClockTime mono =
        static_cast<GstClockTime>(ts.tv_sec) * GST_SECOND + static_cast<GstClockTime>(ts.tv_nsec);
    if (std::llabs(GST_CLOCK_DIFF(mono, gst_clock_get_time(system_clock))) >
        static_cast<gint64>(GST_MSECOND)) {
      std::fprintf(stderr, "the system clock is not CLOCK_MONOTONIC\n");
      return 1;
    }
  }
  const RunResult result = run_sessions(options);
  std::fprintf(stderr,
               "  %s N=%d: cpu %.1f%%, rss %.1f MiB (+%.1f), max late %.2f ms, pushes late up to "
               "%.2f ms, queue %d, %d threads, created in %.2f s, %d replies / %d utterances "
               "(%d ended, %d interrupted), other load %.0f%%, niced %.0f%%: %s\n",
               result.engine.c_str(), result.n, result.cpu_percent, result.rss_mib,
               result.rss_growth_mib, result.max_late_ms, result.max_push_late_ms, result.max_queue,
               result.threads, result.create_s, result.replies, result.utterances,
               result.reply_ends, result.interrupted, result.other_percent, result.niced_percent,
               result.held ? "held" : "FELL BEHIND");
  std::printf("%s\n", result_line(result).c_str());
  gst_object_unref(system_clock);
  return 0;
}

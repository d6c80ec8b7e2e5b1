/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * bench-replyonpause: how soon replyonpause answers, and whether one long
 * session makes it grow.
 *
 * Input: real speech (Debian's pocketsphinx-testdata goforward.raw, "go
 * forward ten meters", 2.6 s, 16 kHz mono S16) in turns: `gap` of silence,
 * then the speech, over and over; a +-1 LSB dither on the whole signal, so
 * every span of input, hence of an echoed reply, has non-zero samples while
 * replyonpause's own silence is exact zeros. 20 ms buffers.
 *
 *   appsrc ! sessiontag webrtc-id=bench ! pausedetect ! replyonpause handler=echo !
 *       fakesink sync=false
 *
 * (a) Latency, handler=echo, two ways:
 *   - the `latency` field of every reply-start message (the element's own
 *     figure: wall clock from the pause decision reaching the element to the
 *     first reply sample pushed);
 *   - pad probes, independently of the element's bookkeeping: wall time from
 *     the pause turn event ("GstVoiceKitTurn", event=pause) arriving at
 *     replyonpause's sink pad to the first buffer with reply samples (any
 *     non-zero sample) leaving its src pad.
 *   In a live-paced pipeline (appsrc is-live=true, a feeder thread pushing
 *   each 20 ms buffer when its 20 ms of "capture" are over; several sessions
 *   at once, each its own pipeline) and in a non-live one (appsrc fed on
 *   need-data, as fast as the pipeline goes). Median, p95 and max in ms;
 *   target at most 5 ms.
 *
 * (b) Memory: `--memory-utterances` utterances in a row through one session
 *   (not live, the input made on need-data from one turn's buffers, so the
 *   input itself does not grow), VmRSS from /proc/self/status every 50
 *   utterances (at the "utterance" message); growth from the sample after
 *   the first 100 utterances (warm-up) to the end; target at most 1 MiB.
 *   Also the malloc heap in use (mallinfo2), which page reuse does not hide.
 *   Run with handler=echo, then with handler=signals (a C handler on the
 *   element's worker threads pushing the utterance back: the same reply, the
 *   worker and action-signal paths).
 *
 * Exit code 1 when a pipeline fails or a check does (every utterance must get
 * a reply-start and, in the memory runs, a reply-end), 2 on bad arguments;
 * the targets are reported, not enforced (figures depend on the machine).
 *
 * pausedetect runs `--engine` (builtin, silero or auto, the default: silero
 * when its model file is there); each table names the engine in use.
 * The soak of docs/load.md: --no-live --memory-utterances 10000, per engine.
 *
 * Usage: bench-replyonpause [--utterances N] [--live-utterances N]
 *                           [--live-sessions S] [--memory-utterances N] [--no-live]
 *                           [--engine builtin|silero|auto]
 */
#include <gst/gst.h>
#include <gst/voicekit/voicekit.h>

#include "../common/proc-status.hpp"
#include "../common/speech.hpp"

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kRate = 16000;
constexpr guint kSpanFrames = kRate / 50; /* 20 ms */
constexpr GstClockTime kSpan = 20 * GST_MSECOND;
constexpr double kTargetLatencyMs = 5.0;
constexpr double kTargetGrowthKiB = 1024.0;
constexpr int kRssEvery = 50;
constexpr int kWarmup = 100;
/* Silence before each turn's speech: short for the latency runs (the next
 * turn interrupts the echo, which does not matter there), longer than the
 * echo for the memory runs (every reply plays whole). */
constexpr double kLatencyGap = 1.2;
constexpr double kMemoryGap = 3.2;
constexpr const char *kCaps = "audio/x-raw,format=S16LE,layout=interleaved,rate=16000,channels=1";

struct Options {
  int utterances = 500;         /* non-live latency run */
  int live_utterances = 20;     /* per live session */
  int live_sessions = 4;        /* live pipelines at once */
  int memory_utterances = 1000; /* per memory run */
  bool live = true;
  std::string engine = "auto";
};

std::string engine_option = "auto"; /* pausedetect's `engine` in every run */

/* One turn: `gap_s` of silence, then the speech; dithered; 20 ms buffers
 * with PTS from 0 (shifted per turn when pushed). */
std::vector<GstBuffer *> turn_buffers(double gap_s) {
  const std::vector<gint16> turn = voicekit::testing::dithered_turn(gap_s, kSpanFrames);
  std::vector<GstBuffer *> buffers;
  for (std::size_t done = 0; done < turn.size(); done += kSpanFrames) {
    GstBuffer *buffer = gst_buffer_new_memdup(turn.data() + done, kSpanFrames * sizeof(gint16));
    GST_BUFFER_PTS(buffer) = gst_util_uint64_scale_int(done, GST_SECOND, kRate);
    GST_BUFFER_DURATION(buffer) = kSpan;
    buffers.push_back(buffer);
  }
  return buffers;
}

using voicekit::testing::vm_rss_kib;

double heap_kib() {
  return static_cast<double>(mallinfo2().uordblks) / 1024.0;
}

struct Summary {
  double median = 0, p95 = 0, max = 0;
  std::size_t count = 0;
};

Summary summarize(std::vector<double> values) {
  Summary s;
  s.count = values.size();
  if (values.empty())
    return s;
  std::sort(values.begin(), values.end());
  s.median = values.size() % 2 == 1
                 ? values[values.size() / 2]
                 : (values[values.size() / 2 - 1] + values[values.size() / 2]) / 2;
  const std::size_t p95 = static_cast<std::size_t>(std::ceil(0.95 * values.size())) - 1;
  s.p95 = values[std::min(p95, values.size() - 1)];
  s.max = values.back();
  return s;
}

/* ---- one session's pipeline ------------------------------------------------- */

struct Run {
  GstElement *pipeline = nullptr;
  GstElement *src = nullptr;
  GstElement *reply = nullptr;
  GstElement *detect = nullptr;
  const std::vector<GstBuffer *> *turn = nullptr;
  int turns = 0;
  int tail_buffers = 0; /* silence after the last turn: one gap */
  int next_buffer = 0;  /* need-data feeding: buffers pushed so far */

  std::mutex mutex;
  /* bus (sync handler, streaming thread) */
  std::vector<double> message_latency_ms;
  int utterances = 0, starts = 0, ends = 0, interrupted = 0, handler_errors = 0;
  std::vector<std::pair<int, long>> rss;    /* (utterances so far, VmRSS KiB) */
  std::vector<std::pair<int, double>> heap; /* (utterances so far, heap KiB) */
  bool sample_memory = false;
  /* probes (streaming thread) */
  bool awaiting = false;
  Clock::time_point pause_at;
  std::vector<double> probe_latency_ms;
  int probe_missed = 0; /* a pause whose reply never left */
  std::string error;
};

void take_bus_message(Run *run, GstMessage *message) {
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_WARNING) {
    GError *error = nullptr;
    gst_message_parse_warning(message, &error, nullptr);
    std::fprintf(stderr, "warning: %s\n", error->message);
    g_error_free(error);
    return;
  }
  const GstStructure *s = gst_message_get_structure(message);
  if (!gst_structure_has_name(s, "replyonpause"))
    return;
  const std::string event = gst_structure_get_string(s, "event");
  std::lock_guard<std::mutex> lock(run->mutex);
  if (event == "utterance") {
    run->utterances++;
    if (run->sample_memory && run->utterances % kRssEvery == 0) {
      run->rss.emplace_back(run->utterances, vm_rss_kib());
      run->heap.emplace_back(run->utterances, heap_kib());
    }
  } else if (event == "reply-start") {
    run->starts++;
    guint64 latency = 0;
    gst_structure_get_uint64(s, "latency", &latency);
    run->message_latency_ms.push_back(static_cast<double>(latency) / 1e6);
  } else if (event == "reply-end") {
    run->ends++;
  } else if (event == "reply-interrupted") {
    run->interrupted++;
  } else if (event == "handler-error") {
    run->handler_errors++;
  }
}

/* Bus sync handler (the posting thread): element messages and warnings are
 * taken here and dropped, EOS and errors go on to the bus. */
GstBusSyncReply on_bus(GstBus *, GstMessage *message, gpointer data) {
  if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ELEMENT &&
      GST_MESSAGE_TYPE(message) != GST_MESSAGE_WARNING)
    return GST_BUS_PASS;
  take_bus_message(static_cast<Run *>(data), message);
  gst_message_unref(message); /* GST_BUS_DROP leaves that to the handler */
  return GST_BUS_DROP;
}

GstPadProbeReturn on_sink_event(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *run = static_cast<Run *>(data);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
  GstVoiceKitTurnEventType type;
  if (gst_event_has_name(event, GST_VOICEKIT_TURN_EVENT_NAME) &&
      gst_voicekit_event_parse_turn(event, &type, nullptr, nullptr, nullptr, nullptr, nullptr,
                                    nullptr) &&
      type == GST_VOICEKIT_TURN_EVENT_PAUSE) {
    const auto now = Clock::now();
    std::lock_guard<std::mutex> lock(run->mutex);
    if (run->awaiting)
      run->probe_missed++;
    run->awaiting = true;
    run->pause_at = now;
  }
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn on_src_buffer(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *run = static_cast<Run *>(data);
  const auto now = Clock::now();
  {
    std::lock_guard<std::mutex> lock(run->mutex);
    if (!run->awaiting)
      return GST_PAD_PROBE_OK;
  }
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  GstMapInfo map;
  bool reply = false;
  if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    const auto *samples = reinterpret_cast<const gint16 *>(map.data);
    for (gsize i = 0; i < map.size / 2 && !reply; i++)
      reply = samples[i] != 0;
    gst_buffer_unmap(buffer, &map);
  }
  if (reply) {
    std::lock_guard<std::mutex> lock(run->mutex);
    run->probe_latency_ms.push_back(
        std::chrono::duration<double, std::milli>(now - run->pause_at).count());
    run->awaiting = false;
  }
  return GST_PAD_PROBE_OK;
}

/* Pushes buffer `index` of the whole input (turn after turn). */
GstFlowReturn push_input(Run &run, int index) {
  const std::vector<GstBuffer *> &turn = *run.turn;
  const int turn_index = index / static_cast<int>(turn.size());
  GstBuffer *buffer = gst_buffer_copy(turn[index % turn.size()]); /* shares the memory */
  GST_BUFFER_PTS(buffer) += static_cast<GstClockTime>(turn_index) * turn.size() * kSpan;
  GstFlowReturn ret = GST_FLOW_OK;
  g_signal_emit_by_name(run.src, "push-buffer", buffer, &ret);
  gst_buffer_unref(buffer);
  return ret;
}

int total_buffers(const Run &run) {
  /* the turns, then one more gap so the last reply plays out */
  return run.turns * static_cast<int>(run.turn->size()) + run.tail_buffers;
}

void on_need_data(GstElement *, guint, gpointer data) {
  auto *run = static_cast<Run *>(data);
  const int total = total_buffers(*run);
  for (int i = 0; i < 50 && run->next_buffer < total; i++)
    push_input(*run, run->next_buffer++);
  if (run->next_buffer >= total) {
    GstFlowReturn ret;
    g_signal_emit_by_name(run->src, "end-of-stream", &ret);
  }
}

/* handler=signals: the reply is the utterance, pushed back from the worker. */
void on_utterance(GstElement *element, guint64 utterance, GstSample *sample, gpointer) {
  gboolean ok = FALSE;
  g_signal_emit_by_name(element, "push-reply", utterance, sample, &ok);
  g_signal_emit_by_name(element, "end-reply", utterance, &ok);
}

std::unique_ptr<Run> make_run(const std::vector<GstBuffer *> &turn, double gap_s, int turns,
                              bool live, const char *handler, const char *webrtc_id) {
  auto run = std::make_unique<Run>();
  run->turn = &turn;
  run->turns = turns;
  run->tail_buffers = static_cast<int>(gap_s * GST_SECOND / kSpan);
  gchar *description = g_strdup_printf(
      "appsrc name=src format=time is-live=%s max-bytes=%u block=false caps=%s ! "
      "sessiontag webrtc-id=%s ! pausedetect name=detect engine=%s ! replyonpause name=reply "
      "handler=%s ! fakesink sync=false",
      live ? "true" : "false", live ? 0u : 64000u, kCaps, webrtc_id, engine_option.c_str(),
      handler);
  GError *error = nullptr;
  run->pipeline = gst_parse_launch(description, &error);
  g_free(description);
  if (run->pipeline == nullptr || error != nullptr) {
    std::fprintf(stderr, "pipeline: %s\n", error != nullptr ? error->message : "?");
    std::exit(1);
  }
  run->src = gst_bin_get_by_name(GST_BIN(run->pipeline), "src");
  run->reply = gst_bin_get_by_name(GST_BIN(run->pipeline), "reply");
  run->detect = gst_bin_get_by_name(GST_BIN(run->pipeline), "detect");
  if (std::strcmp(handler, "signals") == 0)
    g_signal_connect(run->reply, "utterance", G_CALLBACK(on_utterance), nullptr);
  GstPad *sink = gst_element_get_static_pad(run->reply, "sink");
  gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_sink_event, run.get(), nullptr);
  gst_object_unref(sink);
  GstPad *src = gst_element_get_static_pad(run->reply, "src");
  gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, on_src_buffer, run.get(), nullptr);
  gst_object_unref(src);
  GstBus *bus = gst_element_get_bus(run->pipeline);
  gst_bus_set_sync_handler(bus, on_bus, run.get(), nullptr);
  gst_object_unref(bus);
  if (!live)
    g_signal_connect(run->src, "need-data", G_CALLBACK(on_need_data), run.get());
  return run;
}

/* Waits for EOS; false on an error or after `timeout_s`. */
bool wait_eos(Run &run, double timeout_s) {
  GstBus *bus = gst_element_get_bus(run.pipeline);
  GstMessage *message =
      gst_bus_timed_pop_filtered(bus, static_cast<GstClockTime>(timeout_s * GST_SECOND),
                                 static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  gst_object_unref(bus);
  bool ok = message != nullptr && GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS;
  if (message == nullptr) {
    run.error = "no EOS in time";
  } else if (!ok) {
    GError *error = nullptr;
    gst_message_parse_error(message, &error, nullptr);
    run.error = error->message;
    g_error_free(error);
  }
  if (message != nullptr)
    gst_message_unref(message);
  return ok;
}

/* pausedetect's `engine-in-use` (set from PAUSED on). */
std::string engine_in_use(Run &run) {
  gchar *engine = nullptr;
  g_object_get(run.detect, "engine-in-use", &engine, nullptr);
  std::string out = engine != nullptr ? engine : "?";
  g_free(engine);
  return out;
}

void free_run(Run &run) {
  gst_element_set_state(run.pipeline, GST_STATE_NULL);
  gst_object_unref(run.src);
  gst_object_unref(run.reply);
  gst_object_unref(run.detect);
  gst_object_unref(run.pipeline);
}

bool upstream_is_live(Run &run) {
  GstPad *sink = gst_element_get_static_pad(run.reply, "sink");
  GstQuery *query = gst_query_new_latency();
  gboolean live = FALSE;
  if (gst_pad_peer_query(sink, query))
    gst_query_parse_latency(query, &live, nullptr, nullptr);
  gst_query_unref(query);
  gst_object_unref(sink);
  return live != FALSE;
}

void print_latency(const char *what, const std::vector<double> &message_ms,
                   const std::vector<double> &probe_ms) {
  const Summary m = summarize(message_ms);
  const Summary p = summarize(probe_ms);
  std::printf("| %s | reply-start `latency` | %zu | %.3f | %.3f | %.3f |\n", what, m.count,
              m.median, m.p95, m.max);
  std::printf("| %s | probes: pause event at sink -> first reply buffer leaves src | %zu | %.3f | "
              "%.3f | %.3f |\n",
              what, p.count, p.median, p.p95, p.max);
}

bool check_replies(const char *what, Run &run, int expected, bool need_ends) {
  std::lock_guard<std::mutex> lock(run.mutex);
  const bool ok = run.error.empty() && run.utterances == expected && run.starts == expected &&
                  (!need_ends || run.ends == expected) && run.handler_errors == 0 &&
                  run.probe_latency_ms.size() == static_cast<std::size_t>(expected) &&
                  run.probe_missed == 0;
  if (!ok)
    std::fprintf(stderr,
                 "%s: expected %d utterances with replies; got %d utterances, %d reply-start, "
                 "%d reply-end, %d interrupted, %d handler-error, %zu probe latencies, %d "
                 "missed%s%s\n",
                 what, expected, run.utterances, run.starts, run.ends, run.interrupted,
                 run.handler_errors, run.probe_latency_ms.size(), run.probe_missed,
                 run.error.empty() ? "" : "; ", run.error.c_str());
  return ok;
}

/* ---- (a) latency -------------------------------------------------------------- */

bool latency_not_live(const Options &options) {
  const std::vector<GstBuffer *> turn = turn_buffers(kLatencyGap);
  auto run = make_run(turn, kLatencyGap, options.utterances, false, "echo", "bench");
  const auto start = Clock::now();
  gst_element_set_state(run->pipeline, GST_STATE_PLAYING);
  const bool eos = wait_eos(*run, 600);
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const bool live = upstream_is_live(*run);
  free_run(*run);
  for (GstBuffer *buffer : turn)
    gst_buffer_unref(buffer);
  const bool ok = eos && !live && check_replies("not live", *run, options.utterances, false);
  print_latency("not live", run->message_latency_ms, run->probe_latency_ms);
  std::printf("|  | (%d utterances of 1.2 s silence + 2.6 s speech, %.2f s wall, upstream live: "
              "%s, %d replies interrupted by the next turn) | | | | |\n",
              options.utterances, wall, live ? "yes" : "no", run->interrupted);
  return ok;
}

bool latency_live(const Options &options) {
  const std::vector<GstBuffer *> turn = turn_buffers(kLatencyGap);
  std::vector<std::unique_ptr<Run>> runs;
  for (int i = 0; i < options.live_sessions; i++) {
    const std::string id = "live-" + std::to_string(i);
    runs.push_back(make_run(turn, kLatencyGap, options.live_utterances, true, "echo", id.c_str()));
  }
  for (auto &run : runs) {
    gst_element_set_state(run->pipeline, GST_STATE_PLAYING);
    gst_element_get_state(run->pipeline, nullptr, nullptr, 5 * GST_SECOND);
  }
  /* Feeders: buffer n leaves when its 20 ms of capture are over; sessions
   * start 20 ms / S apart so their buffers do not all arrive together. */
  std::vector<std::thread> feeders;
  const auto start = Clock::now();
  for (std::size_t i = 0; i < runs.size(); i++) {
    feeders.emplace_back([&, i] {
      Run &run = *runs[i];
      const auto t0 = start + std::chrono::microseconds(20000 * i / runs.size());
      const int total = total_buffers(run);
      for (int n = 0; n < total; n++) {
        std::this_thread::sleep_until(t0 + std::chrono::milliseconds(20 * (n + 1)));
        if (push_input(run, n) != GST_FLOW_OK)
          break;
      }
      GstFlowReturn ret;
      g_signal_emit_by_name(run.src, "end-of-stream", &ret);
    });
  }
  for (std::thread &feeder : feeders)
    feeder.join();
  bool ok = true;
  std::vector<double> message_ms, probe_ms;
  int interrupted = 0;
  bool all_live = true;
  for (auto &run : runs) {
    ok = wait_eos(*run, 30) && ok;
    all_live = upstream_is_live(*run) && all_live;
    free_run(*run);
    ok = check_replies("live", *run, options.live_utterances, false) && ok;
    message_ms.insert(message_ms.end(), run->message_latency_ms.begin(),
                      run->message_latency_ms.end());
    probe_ms.insert(probe_ms.end(), run->probe_latency_ms.begin(), run->probe_latency_ms.end());
    interrupted += run->interrupted;
  }
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  for (GstBuffer *buffer : turn)
    gst_buffer_unref(buffer);
  print_latency("live-paced", message_ms, probe_ms);
  std::printf("|  | (%d sessions at once x %d utterances, real time, %.1f s wall, upstream live: "
              "%s, %d replies interrupted by the next turn) | | | | |\n",
              options.live_sessions, options.live_utterances, wall, all_live ? "yes" : "no",
              interrupted);
  return ok && all_live;
}

/* ---- (b) memory --------------------------------------------------------------- */

bool memory(const Options &options, const char *handler) {
  /* the gap leaves room for the whole echo: no interruptions */
  const std::vector<GstBuffer *> turn = turn_buffers(kMemoryGap);
  auto run = make_run(turn, kMemoryGap, options.memory_utterances, false, handler, "bench-memory");
  run->sample_memory = true;
  /* The run's own records, sized and written now: growing them later would
   * count as the element's growth (10,000 latencies are 2 x 80 KB). */
  const std::size_t n = static_cast<std::size_t>(options.memory_utterances);
  auto presize = [](auto &records, std::size_t size) {
    records.resize(size);
    records.clear(); /* keeps the capacity, its pages touched */
  };
  presize(run->message_latency_ms, n + 1);
  presize(run->probe_latency_ms, n + 1);
  presize(run->rss, n / kRssEvery + 1);
  presize(run->heap, n / kRssEvery + 1);
  const long rss_before = vm_rss_kib();
  const auto start = Clock::now();
  gst_element_set_state(run->pipeline, GST_STATE_PLAYING);
  const bool eos = wait_eos(*run, 1200);
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const std::string engine = engine_in_use(*run);
  free_run(*run);
  for (GstBuffer *buffer : turn)
    gst_buffer_unref(buffer);
  const bool ok = eos && check_replies(handler, *run, options.memory_utterances, true);

  std::printf("\n### memory, handler=%s, engine %s: %d utterances in one session (3.2 s "
              "silence + 2.6 s speech each, not live, %.2f s wall)\n\n",
              handler, engine.c_str(), options.memory_utterances, wall);
  std::printf("VmRSS before PLAYING: %ld KiB\n\n| utterances | VmRSS (KiB) | malloc heap in use "
              "(KiB) |\n| ---: | ---: | ---: |\n",
              rss_before);
  long at_warmup = -1, last = -1, high = 0;
  double heap_warmup = 0, heap_last = 0;
  for (std::size_t i = 0; i < run->rss.size(); i++) {
    std::printf("| %d | %ld | %.0f |\n", run->rss[i].first, run->rss[i].second,
                run->heap[i].second);
    if (run->rss[i].first == kWarmup) {
      at_warmup = run->rss[i].second;
      heap_warmup = run->heap[i].second;
    }
    if (run->rss[i].first > kWarmup)
      high = std::max(high, run->rss[i].second);
    last = run->rss[i].second;
    heap_last = run->heap[i].second;
  }
  if (at_warmup >= 0) {
    std::printf(
        "\nhandler=%s, engine %s: VmRSS growth after warm-up (utterance %d -> %d): %+ld KiB "
        "(highest sample after warm-up %+ld KiB); malloc heap in use %+.0f KiB; target "
        "<= %.0f KiB: %s\n",
        handler, engine.c_str(), kWarmup, run->rss.back().first, last - at_warmup, high - at_warmup,
        heap_last - heap_warmup, kTargetGrowthKiB,
        static_cast<double>(last - at_warmup) <= kTargetGrowthKiB ? "met" : "NOT met");
  }
  return ok;
}

} /* namespace */

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  Options options;
  for (int i = 1; i < argc; i++) {
    auto number = [&](int *out) {
      if (i + 1 >= argc)
        return false;
      *out = std::atoi(argv[++i]);
      return *out > 0;
    };
    bool ok = true;
    if (std::strcmp(argv[i], "--utterances") == 0)
      ok = number(&options.utterances);
    else if (std::strcmp(argv[i], "--live-utterances") == 0)
      ok = number(&options.live_utterances);
    else if (std::strcmp(argv[i], "--live-sessions") == 0)
      ok = number(&options.live_sessions);
    else if (std::strcmp(argv[i], "--memory-utterances") == 0)
      ok = number(&options.memory_utterances);
    else if (std::strcmp(argv[i], "--no-live") == 0)
      options.live = false;
    else if (std::strcmp(argv[i], "--engine") == 0 && i + 1 < argc) {
      options.engine = argv[++i];
      ok = options.engine == "builtin" || options.engine == "silero" || options.engine == "auto";
    } else
      ok = false;
    if (!ok) {
      std::printf("usage: %s [--utterances N] [--live-utterances N] [--live-sessions S] "
                  "[--memory-utterances N] [--no-live] [--engine builtin|silero|auto]\n",
                  argv[0]);
      return std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0 ? 0 : 2;
    }
  }
#ifdef VOICEKIT_PLUGIN_FILE
  /* this build tree's plugin, with or without GST_PLUGIN_PATH */
  if (GstPlugin *plugin = gst_plugin_load_file(VOICEKIT_PLUGIN_FILE, nullptr))
    gst_object_unref(plugin);
#endif
  GstElementFactory *factory = gst_element_factory_find("replyonpause");
  if (factory == nullptr) {
    std::fprintf(stderr, "needs replyonpause (GST_PLUGIN_PATH=build/plugins)\n");
    return 1;
  }
  gst_object_unref(factory);
  std::string command;
  for (int i = 0; i < argc; i++)
    command += std::string(i > 0 ? " " : "") + argv[i];
  gchar *version = gst_version_string();
  std::printf("# bench-replyonpause\n\ncommand: %s\n%s, %u CPUs\n\n", command.c_str(), version,
              std::thread::hardware_concurrency());
  g_free(version);

  engine_option = options.engine;
  bool ok = true;
  std::printf("pausedetect engine=%s\n\n", options.engine.c_str());
  std::printf("### latency, handler=echo (ms; target <= %.0f ms)\n\n| pipeline | measure | "
              "replies | median | p95 | max |\n| --- | --- | ---: | ---: | ---: | ---: |\n",
              kTargetLatencyMs);
  if (options.live)
    ok = latency_live(options) && ok;
  ok = latency_not_live(options) && ok;
  ok = memory(options, "echo") && ok;
  ok = memory(options, "signals") && ok;
  if (!ok)
    std::printf("\nA check failed (see stderr): these figures are not a valid run.\n");
  gst_deinit(); /* GST_TRACERS=leaks reports here */
  return ok ? 0 : 1;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * bench-sessiontag: what `sessiontag` costs per buffer.
 *
 * Runs one non-live pipeline with four different middle elements:
 *
 *   audiotestsrc wave=silence num-buffers=N ! audio/x-raw,S16LE,48000,mono
 *       ! [nothing | valve | identity | sessiontag webrtc-id=bench]
 *       ! fakesink sync=false
 *
 * and measures the wall time from PLAYING to EOS (pipelines are built once and
 * prerolled before every run: setup is not measured). In ns per buffer:
 *
 *   - "st-identity": sessiontag minus identity, the figure the target (at most
 *     150 ns added per buffer) is about;
 *   - "st-valve": sessiontag minus valve, a do-nothing element (its chain
 *     function only pushes): what tagging itself costs;
 *   - "st-none": sessiontag minus the pipeline without a middle element: what
 *     putting sessiontag into a pipeline costs, the extra element hop included.
 *
 * Shared virtual machines change speed every few hundred milliseconds, by up
 * to 1.7x (other tenants). Hence short runs, many rounds, and each round runs
 * the variants forwards then backwards (ABCDDCBA) and averages the two runs of
 * each: the variants of one round see the same machine. The per-round figures,
 * their medians (per-round differences for the "st-" columns) and the minimums
 * (the best case, the most reproducible figure on a busy machine) are printed.
 *
 * Every sessiontag run is checked after EOS, outside the measured time: the
 * last buffer fakesink kept (last-sample, enabled on every variant alike) must
 * carry a session meta with webrtc-id "bench", the sticky session event on
 * fakesink's pad must name "bench" too, and fakesink must have rendered N
 * buffers; the other variants must have rendered N buffers without a meta.
 * Exit code 1 when a check fails or a pipeline errors, 2 on bad arguments, 0
 * otherwise: the target is reported, not enforced (timings depend on the
 * machine).
 *
 * Usage: bench-sessiontag [--buffers N] [--rounds R] [--samples S]
 */
#include <gst/gst.h>
#include <gst/voicekit/session.h>

#include "../../tools/build-tree-plugin.hpp"
#include "../../tools/gst-main.hpp"
#include "bench-stats.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr double kTargetAddedNs = 150.0;
constexpr const char *kWebrtcId = "bench";

struct Options {
  guint64 buffers = 20000;
  guint rounds = 50;
  guint samples_per_buffer = 960; /* 20 ms at 48 kHz */
};

enum Variant { kNone, kValve, kIdentity, kSessionTag, kVariantCount };

const char *const kVariantNames[kVariantCount] = {"none", "valve", "identity", "sessiontag"};
const char *const kVariantElements[kVariantCount] = {"", "valve ! ", "identity ! ",
                                                     "sessiontag webrtc-id=bench ! "};

/* ---- command line ------------------------------------------------------------- */

bool parse_count(const char *text, guint64 minimum, guint64 maximum, guint64 *out) {
  if (text == nullptr)
    return false;
  gchar *end = nullptr;
  const guint64 value = g_ascii_strtoull(text, &end, 10);
  if (end == text || *end != '\0' || value < minimum || value > maximum)
    return false;
  *out = value;
  return true;
}

void print_usage(FILE *to) {
  std::fprintf(to, "Usage: bench-sessiontag [--buffers N] [--rounds R] [--samples S]\n"
                   "\n"
                   "Cost per buffer of sessiontag next to identity (and valve, and no element), "
                   "in ns.\n"
                   "  --buffers N  buffers per run (default 20000)\n"
                   "  --rounds R   measured rounds; each runs every variant twice (default 50)\n"
                   "  --samples S  samples per buffer, 48 kHz mono S16 (default 960 = 20 ms)\n");
}

/* Returns -1 to run, or the exit code to leave with. */
int parse_options(int argc, char **argv, Options *options) {
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (std::strcmp(arg, "--help") == 0 || std::strcmp(arg, "-h") == 0) {
      print_usage(stdout);
      return 0;
    }
    const char *value = i + 1 < argc ? argv[i + 1] : nullptr;
    guint64 number = 0;
    if (std::strcmp(arg, "--buffers") == 0 && parse_count(value, 2, G_MAXINT32, &number)) {
      options->buffers = number;
    } else if (std::strcmp(arg, "--rounds") == 0 && parse_count(value, 1, 10000, &number)) {
      options->rounds = static_cast<guint>(number);
    } else if (std::strcmp(arg, "--samples") == 0 && parse_count(value, 1, 48000, &number)) {
      options->samples_per_buffer = static_cast<guint>(number);
    } else {
      std::fprintf(stderr, "bench-sessiontag: bad argument '%s%s%s'\n\n", arg,
                   value != nullptr ? " " : "", value != nullptr ? value : "");
      print_usage(stderr);
      return 2;
    }
    i++; /* every option takes a value */
  }
  return -1;
}

/* Prefers the plugin of this build tree over an installed one. Returns the
 * file sessiontag comes from, or an empty string when there is none. */
std::string ensure_sessiontag() {
  voicekit::load_build_tree_plugin("bench-sessiontag"); /* else an installed one, if any */
  std::string file;
  GstElementFactory *factory = gst_element_factory_find("sessiontag");
  if (factory == nullptr)
    return file;
  GstPlugin *plugin = gst_plugin_feature_get_plugin(GST_PLUGIN_FEATURE(factory));
  if (plugin != nullptr) {
    const gchar *filename = gst_plugin_get_filename(plugin);
    file = filename != nullptr ? filename : "(static)";
    gst_object_unref(plugin);
  }
  gst_object_unref(factory);
  return file;
}

/* ---- one variant ---------------------------------------------------------------- */

/* One variant's pipeline, built once and run again and again. */
struct Bench {
  Variant variant = kNone;
  GstElement *pipeline = nullptr;
  GstElement *sink = nullptr;
  GstBus *bus = nullptr;
};

bool bench_init(Bench *bench, Variant variant, const Options &options) {
  bench->variant = variant;
  gchar *description =
      g_strdup_printf("audiotestsrc wave=silence is-live=false num-buffers=%" G_GUINT64_FORMAT
                      " samplesperbuffer=%u ! audio/x-raw,format=S16LE,rate=48000,channels=1 ! "
                      "%sfakesink name=sink sync=false enable-last-sample=true",
                      options.buffers, options.samples_per_buffer, kVariantElements[variant]);
  GError *error = nullptr;
  bench->pipeline = gst_parse_launch(description, &error);
  g_free(description);
  if (bench->pipeline == nullptr || error != nullptr) {
    std::fprintf(stderr, "bench-sessiontag: %s: cannot build pipeline: %s\n",
                 kVariantNames[variant], error != nullptr ? error->message : "unknown error");
    g_clear_error(&error);
    return false;
  }
  bench->sink = gst_bin_get_by_name(GST_BIN(bench->pipeline), "sink");
  bench->bus = gst_element_get_bus(bench->pipeline);
  return true;
}

void bench_clear(Bench *bench) {
  if (bench->pipeline != nullptr)
    gst_element_set_state(bench->pipeline, GST_STATE_NULL);
  g_clear_pointer(&bench->bus, gst_object_unref);
  g_clear_pointer(&bench->sink, gst_object_unref);
  g_clear_pointer(&bench->pipeline, gst_object_unref);
}

/* The checks made after EOS, outside the measured time. */
bool bench_check(const Bench &bench, const Options &options) {
  const char *name = kVariantNames[bench.variant];
  bool ok = true;

  GstStructure *stats = nullptr;
  g_object_get(bench.sink, "stats", &stats, nullptr);
  guint64 rendered = 0;
  if (stats == nullptr || !gst_structure_get_uint64(stats, "rendered", &rendered) ||
      rendered != options.buffers) {
    std::fprintf(stderr,
                 "bench-sessiontag: %s: fakesink rendered %" G_GUINT64_FORMAT
                 " buffers, expected %" G_GUINT64_FORMAT "\n",
                 name, rendered, options.buffers);
    ok = false;
  }
  if (stats != nullptr)
    gst_structure_free(stats);

  const bool want_tag = bench.variant == kSessionTag;
  GstSample *sample = nullptr;
  g_object_get(bench.sink, "last-sample", &sample, nullptr);
  GstBuffer *buffer = sample != nullptr ? gst_sample_get_buffer(sample) : nullptr;
  const gchar *buffer_id = buffer != nullptr ? gst_voicekit_buffer_get_webrtc_id(buffer) : nullptr;
  if (buffer == nullptr) {
    std::fprintf(stderr, "bench-sessiontag: %s: fakesink kept no last buffer\n", name);
    ok = false;
  } else if (want_tag && g_strcmp0(buffer_id, kWebrtcId) != 0) {
    std::fprintf(stderr, "bench-sessiontag: %s: last buffer has webrtc-id '%s', expected '%s'\n",
                 name, buffer_id != nullptr ? buffer_id : "(no session meta)", kWebrtcId);
    ok = false;
  } else if (!want_tag && buffer_id != nullptr) {
    std::fprintf(stderr, "bench-sessiontag: %s: untagged pipeline produced webrtc-id '%s'\n", name,
                 buffer_id);
    ok = false;
  }
  if (sample != nullptr)
    gst_sample_unref(sample);

  if (want_tag) {
    GstPad *pad = gst_element_get_static_pad(bench.sink, "sink");
    GstVoiceKitSessionContext *context = gst_voicekit_pad_get_session_context(pad);
    const gchar *sticky_id =
        context != nullptr ? gst_voicekit_session_context_get_webrtc_id(context) : nullptr;
    if (g_strcmp0(sticky_id, kWebrtcId) != 0) {
      std::fprintf(stderr, "bench-sessiontag: %s: sticky session event on fakesink names '%s'\n",
                   name, sticky_id != nullptr ? sticky_id : "(none)");
      ok = false;
    }
    if (context != nullptr)
      gst_voicekit_session_context_unref(context);
    gst_object_unref(pad);
  }
  return ok;
}

/* Runs the pipeline from its start to EOS; returns ns per buffer, or a
 * negative number on failure. Only PLAYING to EOS is measured. */
double bench_run(Bench *bench, const Options &options) {
  const char *name = kVariantNames[bench->variant];
  GstElement *pipeline = bench->pipeline;
  gst_element_set_state(pipeline, GST_STATE_READY);
  gst_bus_set_flushing(bench->bus, TRUE); /* forget the previous run's messages */
  gst_bus_set_flushing(bench->bus, FALSE);
  if (gst_element_set_state(pipeline, GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE ||
      gst_element_get_state(pipeline, nullptr, nullptr, GST_CLOCK_TIME_NONE) !=
          GST_STATE_CHANGE_SUCCESS) {
    std::fprintf(stderr, "bench-sessiontag: %s: pipeline did not preroll\n", name);
    return -1.0;
  }

  const auto start = std::chrono::steady_clock::now();
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstMessage *message =
      gst_bus_timed_pop_filtered(bench->bus, GST_CLOCK_TIME_NONE,
                                 static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  const auto end = std::chrono::steady_clock::now();

  double ns_per_buffer = std::chrono::duration<double, std::nano>(end - start).count() /
                         static_cast<double>(options.buffers);
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    GError *error = nullptr;
    gst_message_parse_error(message, &error, nullptr);
    std::fprintf(stderr, "bench-sessiontag: %s: %s\n", name, error->message);
    g_error_free(error);
    ns_per_buffer = -1.0;
  } else if (!bench_check(*bench, options)) {
    ns_per_buffer = -1.0;
  }
  gst_message_unref(message);
  return ns_per_buffer;
}

/* ---- statistics and report -------------------------------------------------------- */

using voicekit::bench::median;
using voicekit::bench::minimum;

void print_row(const char *label, const double ns[kVariantCount], const double added[3]) {
  std::printf("%-7s", label);
  for (int v = 0; v < kVariantCount; v++)
    std::printf(" %10.1f", ns[v]);
  for (int d = 0; d < 3; d++)
    std::printf(" %+11.1f", added[d]);
  std::printf("\n");
}

int run_main(int argc, char **argv) {
  Options options;
  const int exit_code = parse_options(argc, argv, &options);
  if (exit_code >= 0)
    return exit_code;

  const std::string plugin_file = ensure_sessiontag();
  if (plugin_file.empty()) {
    std::fprintf(stderr, "bench-sessiontag: no sessiontag element; build the plugin or set "
                         "GST_PLUGIN_PATH to the directory holding libgstvoicekit.so\n");
    return 1;
  }

  std::printf("bench-sessiontag: %" G_GUINT64_FORMAT " buffers of %u samples (%.3g ms at 48 kHz "
              "mono S16) per run, %u rounds after 1 warm-up round\n",
              options.buffers, options.samples_per_buffer,
              1000.0 * options.samples_per_buffer / 48000.0, options.rounds);
  std::printf("pipeline: audiotestsrc wave=silence ! caps ! [none | valve | identity | sessiontag "
              "webrtc-id=bench] ! fakesink sync=false\n");
  std::printf("sessiontag from: %s\n\n", plugin_file.c_str());

  Bench benches[kVariantCount];
  bool ok = true;
  for (int v = 0; v < kVariantCount; v++)
    ok = bench_init(&benches[v], static_cast<Variant>(v), options) && ok;

  std::vector<double> times[kVariantCount];
  std::vector<double> added[3]; /* sessiontag minus identity, valve, none */
  const Variant references[3] = {kIdentity, kValve, kNone};
  if (ok) {
    std::printf("ns per buffer\n%-7s %10s %10s %10s %10s %11s %11s %11s\n", "round", "none",
                "valve", "identity", "sessiontag", "st-identity", "st-valve", "st-none");
  }
  for (guint round = 0; ok && round <= options.rounds; round++) {
    /* Round 0 warms caches and allocators up: not counted. */
    double ns[kVariantCount] = {};
    for (int step = 0; ok && step < 2 * kVariantCount; step++) {
      const int v = step < kVariantCount ? step : 2 * kVariantCount - 1 - step;
      const double run = bench_run(&benches[v], options);
      ok = run >= 0.0;
      ns[v] += run / 2.0;
    }
    if (!ok || round == 0)
      continue;
    double round_added[3];
    for (int v = 0; v < kVariantCount; v++)
      times[v].push_back(ns[v]);
    for (int d = 0; d < 3; d++) {
      round_added[d] = ns[kSessionTag] - ns[references[d]];
      added[d].push_back(round_added[d]);
    }
    char label[16];
    g_snprintf(label, sizeof label, "%u", round);
    print_row(label, ns, round_added);
    std::fflush(stdout);
  }

  for (auto &bench : benches)
    bench_clear(&bench);
  if (!ok) {
    std::fprintf(stderr, "bench-sessiontag: FAILED, see above\n");
    return 1;
  }

  double medians[kVariantCount], mins[kVariantCount], added_median[3], added_min[3];
  for (int v = 0; v < kVariantCount; v++) {
    medians[v] = median(times[v]);
    mins[v] = minimum(times[v]);
  }
  for (int d = 0; d < 3; d++) {
    added_median[d] = median(added[d]);
    added_min[d] = mins[kSessionTag] - mins[references[d]];
  }
  print_row("median", medians, added_median);
  print_row("min", mins, added_min);
  std::printf("(\"st-\" columns: sessiontag minus the other variant; median row: median of the "
              "per-round differences; min row: difference of the minimums)\n\n");

  std::printf("sessiontag vs identity: %+.1f ns per buffer (median), %+.1f (min); ratio %.3f "
              "(medians), %.3f (mins)\n",
              added_median[0], added_min[0], medians[kSessionTag] / medians[kIdentity],
              mins[kSessionTag] / mins[kIdentity]);
  std::printf("sessiontag vs valve:    %+.1f ns per buffer (median), %+.1f (min)\n",
              added_median[1], added_min[1]);
  std::printf("sessiontag vs none:     %+.1f ns per buffer (median), %+.1f (min); identity vs "
              "none: %+.1f (min)\n",
              added_median[2], added_min[2], mins[kIdentity] - mins[kNone]);
  std::printf("target, at most %.0f ns added per buffer vs identity: %s\n", kTargetAddedNs,
              added_median[0] <= kTargetAddedNs ? "met" : "NOT met");
  std::printf("checks: every run rendered %" G_GUINT64_FORMAT
              " buffers; sessiontag's last buffer had webrtc-id '%s' and fakesink's sticky "
              "session event named '%s'; no other variant had a session meta\n",
              options.buffers, kWebrtcId, kWebrtcId);
  return 0;
}

} /* namespace */

int main(int argc, char **argv) {
  return voicekit::gst_main(argc, argv, run_main);
}

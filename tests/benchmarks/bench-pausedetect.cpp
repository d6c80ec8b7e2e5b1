/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * bench-pausedetect: how fast and how small pausedetect is, against
 * webrtcdsp's voice detection in the same run.
 *
 * Prints, for 16 and 48 kHz mono S16 speech (Debian's pocketsphinx-testdata,
 * resampled), in 20 ms buffers:
 *   - the voice-activity core alone (FrameAnalyzer + built-in engine + turn
 *     rule), in times real time on one thread;
 *   - the element in a pipeline (appsrc ! pausedetect ! fakesink) and
 *     webrtcdsp (voice-detection=true, echo-cancel=false, other processing
 *     off) in the same pipeline shape, alternated over rounds; medians.
 * And the heap memory one configured pausedetect instance costs (malloc
 * statistics over many instances, minus the same for sessiontag, a bare
 * element with two pads).
 *
 * Usage: bench-pausedetect [--seconds S] [--rounds R]
 */
#include <gst/gst.h>
#include <gst/vad/turn.hpp>
#include <gst/vad/vad.hpp>

#include "../../tools/build-tree-plugin.hpp"
#include "../common/speech.hpp"
#include "bench-stats.hpp"
#include "bench-vad.hpp"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

using voicekit::bench::median;

double core_realtime_factor(const std::vector<gint16> &samples, int rate) {
  namespace vad = voicekit::vad;
  vad::FrameAnalyzer analyzer(vad::make_builtin_engine());
  voicekit::bench::configure_or_exit(analyzer, rate);
  vad::TurnDetector turn;
  std::size_t decisions = 0;
  const std::size_t chunk = static_cast<std::size_t>(rate / 50);
  const auto start = Clock::now();
  for (std::size_t done = 0; done < samples.size(); done += chunk) {
    const std::size_t count = std::min(chunk, samples.size() - done);
    analyzer.push(samples.data() + done, count, [&](const vad::FrameResult &frame) {
      const std::uint64_t end = frame.end_sample * 1000000000ull / static_cast<unsigned>(rate);
      if (turn.push(frame.probability, end - 10000000ull, end))
        decisions++;
    });
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (decisions == 0) {
    std::fprintf(stderr, "the core found no turn in the speech: not a valid run\n");
    std::exit(1);
  }
  return (static_cast<double>(samples.size()) / rate) / elapsed;
}

/* Wall time of appsrc ! <analyser> ! fakesink over pre-made 20 ms buffers. */
double pipeline_realtime_factor(const std::vector<gint16> &samples, int rate,
                                const char *analyser) {
  gchar *description = g_strdup_printf(
      "appsrc name=src format=time caps=audio/x-raw,format=S16LE,layout=interleaved,rate=%d,"
      "channels=1 max-bytes=0 block=false ! %s ! fakesink sync=false",
      rate, analyser);
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(description, &error);
  g_free(description);
  if (pipeline == nullptr || error != nullptr) {
    std::fprintf(stderr, "pipeline: %s\n", error != nullptr ? error->message : "?");
    std::exit(1);
  }
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  const std::size_t chunk = static_cast<std::size_t>(rate / 50);
  /* queue every buffer first: the timed part is the analysis only */
  for (std::size_t done = 0; done < samples.size(); done += chunk) {
    const std::size_t count = std::min(chunk, samples.size() - done);
    GstBuffer *buffer = gst_buffer_new_memdup(samples.data() + done, count * sizeof(gint16));
    GST_BUFFER_PTS(buffer) = gst_util_uint64_scale_int(done, GST_SECOND, rate);
    GST_BUFFER_DURATION(buffer) = gst_util_uint64_scale_int(count, GST_SECOND, rate);
    GstFlowReturn ret;
    g_signal_emit_by_name(src, "push-buffer", buffer, &ret);
    gst_buffer_unref(buffer);
  }
  GstFlowReturn ret;
  g_signal_emit_by_name(src, "end-of-stream", &ret);
  const auto start = Clock::now();
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *message = gst_bus_timed_pop_filtered(
      bus, GST_CLOCK_TIME_NONE, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    GError *err = nullptr;
    gst_message_parse_error(message, &err, nullptr);
    std::fprintf(stderr, "%s: %s\n", analyser, err->message);
    std::exit(1);
  }
  gst_message_unref(message);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(src);
  gst_object_unref(pipeline);
  return (static_cast<double>(samples.size()) / rate) / elapsed;
}

/* Heap bytes per instance of `factory`, configured for 48 kHz stereo F32
 * (the largest frame) and brought to PAUSED. */
double heap_per_instance(const char *factory, int count) {
  std::vector<GstElement *> pipelines;
  malloc_trim(0);
  const std::size_t before = mallinfo2().uordblks;
  for (int i = 0; i < count; i++) {
    gchar *description =
        g_strdup_printf("appsrc name=src format=time "
                        "caps=audio/x-raw,format=F32LE,layout=interleaved,rate=48000,channels=2 "
                        "! %s ! fakesink",
                        factory);
    GstElement *pipeline = gst_parse_launch(description, nullptr);
    g_free(description);
    gst_element_set_state(pipeline, GST_STATE_PAUSED);
    /* one buffer through, so caps are set and the analysis state exists */
    GstElement *src = GST_ELEMENT(gst_bin_get_by_name(GST_BIN(pipeline), "src"));
    GstBuffer *buffer = gst_buffer_new_allocate(nullptr, 960 * 2 * sizeof(float), nullptr);
    gst_buffer_memset(buffer, 0, 0, 960 * 2 * sizeof(float));
    GstFlowReturn ret;
    g_signal_emit_by_name(src, "push-buffer", buffer, &ret);
    gst_buffer_unref(buffer);
    gst_object_unref(src);
    gst_element_get_state(pipeline, nullptr, nullptr, 5 * GST_SECOND);
    pipelines.push_back(pipeline);
  }
  const std::size_t after = mallinfo2().uordblks;
  for (GstElement *pipeline : pipelines) {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
  }
  return static_cast<double>(after - before) / count;
}

} /* namespace */

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  double seconds = 120.0;
  int rounds = 5;
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
      seconds = std::atof(argv[++i]);
    else if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
      rounds = std::atoi(argv[++i]);
    else {
      std::printf("usage: %s [--seconds S] [--rounds R]\n", argv[0]);
      return argv[i][1] == '-' && argv[i][2] == 'h' ? 0 : 2;
    }
  }
  /* this build tree's plugin, with or without GST_PLUGIN_PATH */
  voicekit::load_build_tree_plugin("bench-pausedetect");
  if (gst_element_factory_find("pausedetect") == nullptr ||
      gst_element_factory_find("webrtcdsp") == nullptr) {
    std::fprintf(stderr, "needs pausedetect (GST_PLUGIN_PATH=build/plugins) and webrtcdsp "
                         "(gstreamer1.0-plugins-bad)\n");
    return 1;
  }
  const char *webrtcdsp = "webrtcdsp echo-cancel=false high-pass-filter=false "
                          "noise-suppression=false gain-control=false "
                          "voice-detection=true";
  std::printf("# pausedetect throughput, %.0f s of speech per run, 20 ms buffers, %d rounds\n",
              seconds, rounds);
  std::printf("| rate | core (x real time) | pausedetect element | webrtcdsp VAD | element / "
              "webrtcdsp |\n|---|---|---|---|---|\n");
  for (int rate : {16000, 48000}) {
    const std::vector<gint16> samples = voicekit::testing::two_turns_for(rate, seconds);
    std::vector<double> core, element, dsp;
    for (int round = 0; round < rounds; round++) {
      core.push_back(core_realtime_factor(samples, rate));
      element.push_back(pipeline_realtime_factor(samples, rate, "pausedetect"));
      dsp.push_back(pipeline_realtime_factor(samples, rate, webrtcdsp));
    }
    std::printf("| %d Hz | %.0f | %.0f | %.0f | %.2f |\n", rate, median(core), median(element),
                median(dsp), median(element) / median(dsp));
  }
  const int instances = 200;
  const double detector = heap_per_instance("pausedetect frame-duration=32000000", instances);
  const double bare = heap_per_instance("sessiontag", instances);
  std::printf("\n# heap per configured instance (48 kHz stereo F32, PAUSED, %d instances)\n",
              instances);
  std::printf("pausedetect: %.0f bytes; sessiontag (bare element, two pads): %.0f bytes; "
              "pausedetect beyond a bare element: %.0f bytes (%.1f KiB)\n",
              detector, bare, detector - bare, (detector - bare) / 1024.0);
  return 0;
}

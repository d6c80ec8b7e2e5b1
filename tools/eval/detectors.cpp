/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * vad-eval detectors: see detectors.hpp.
 */
#include "detectors.hpp"

#include "gst/vad/engines.hpp"
#include "gst/vad/vad.hpp"

#include <gst/gst.h>

#include <algorithm>
#include <functional>
#include <mutex>
#include <utility>

namespace voicekit::eval {

namespace {

bool fail(std::string *error, const std::string &why) {
  if (error != nullptr)
    *error = why;
  return false;
}

/* Runs `description` (an appsrc named "src" first, non-live) on `audio`,
 * pushed as buffers of `buffer_samples` with exact timestamps, until EOS.
 * `setup` runs on the pipeline before PLAYING (probes, bus handlers). */
bool run_pipeline(const std::string &description, const std::vector<std::int16_t> &audio, int rate,
                  std::size_t buffer_samples, const std::function<void(GstElement *)> &setup,
                  std::string *error) {
  GError *parse_error = nullptr;
  GstElement *pipeline = gst_parse_launch(description.c_str(), &parse_error);
  if (parse_error != nullptr) {
    const std::string why = "pipeline \"" + description + "\": " + parse_error->message;
    g_error_free(parse_error);
    if (pipeline != nullptr)
      gst_object_unref(pipeline);
    return fail(error, why);
  }
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  GstCaps *caps = gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "S16LE", "rate",
                                      G_TYPE_INT, rate, "channels", G_TYPE_INT, 1, "layout",
                                      G_TYPE_STRING, "interleaved", nullptr);
  /* Unlimited queue, never blocks: a pipeline error cannot hang the pusher. */
  g_object_set(src, "caps", caps, "format", GST_FORMAT_TIME, "max-bytes", static_cast<guint64>(0),
               "block", FALSE, nullptr);
  gst_caps_unref(caps);
  setup(pipeline);

  GstBus *bus = gst_element_get_bus(pipeline);
  bool ok = true;
  std::string why;
  auto bus_error = [&](GstMessage *message) {
    GError *err = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error(message, &err, &debug);
    why = std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(message))) + ": " + err->message +
          (debug != nullptr ? std::string(" (") + debug + ")" : std::string());
    g_error_free(err);
    g_free(debug);
  };
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    ok = false;
    why = "cannot start \"" + description + "\"";
    if (GstMessage *m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
      bus_error(m);
      gst_message_unref(m);
    }
  }
  for (std::size_t offset = 0; ok && offset < audio.size(); offset += buffer_samples) {
    const std::size_t count = std::min(buffer_samples, audio.size() - offset);
    GstBuffer *buffer = gst_buffer_new_memdup(audio.data() + offset, count * sizeof(std::int16_t));
    const GstClockTime pts = gst_util_uint64_scale_int(offset, GST_SECOND, rate);
    GST_BUFFER_PTS(buffer) = pts;
    GST_BUFFER_DURATION(buffer) = gst_util_uint64_scale_int(offset + count, GST_SECOND, rate) - pts;
    GST_BUFFER_OFFSET(buffer) = offset;
    GST_BUFFER_OFFSET_END(buffer) = offset + count;
    GstFlowReturn flow = GST_FLOW_OK;
    g_signal_emit_by_name(src, "push-buffer", buffer, &flow);
    gst_buffer_unref(buffer);
    if (flow != GST_FLOW_OK) {
      ok = false;
      why = std::string("appsrc refused a buffer: ") + gst_flow_get_name(flow);
    }
  }
  if (ok) {
    GstFlowReturn flow = GST_FLOW_OK;
    g_signal_emit_by_name(src, "end-of-stream", &flow);
    GstMessage *message = gst_bus_timed_pop_filtered(
        bus, 600 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    if (message == nullptr) {
      ok = false;
      why = "no EOS after 600 s";
    } else {
      if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
        ok = false;
        bus_error(message);
      }
      gst_message_unref(message);
    }
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(src);
  gst_object_unref(pipeline);
  if (!ok)
    return fail(error, why);
  return true;
}

constexpr std::uint64_t kTenMs = 10000000ull;

} /* namespace */

std::string missing_element(const char *factory) {
  GstElementFactory *f = gst_element_factory_find(factory);
  if (f != nullptr) {
    gst_object_unref(f);
    return {};
  }
  return std::string("GStreamer element ") + factory +
         " not found (Debian package gstreamer1.0-plugins-bad)";
}

namespace {

bool run_engine(std::unique_ptr<vad::Engine> engine, const std::vector<std::int16_t> &audio,
                int rate, int frame_ms, std::vector<Frame> *frames, std::string *error) {
  vad::FrameAnalyzer analyzer(std::move(engine));
  vad::AudioFormat format;
  format.rate = rate;
  format.channels = 1;
  format.sample_format = vad::SampleFormat::kS16;
  if (!analyzer.configure(format, frame_ms, error))
    return false;
  frames->clear();
  frames->reserve(audio.size() / analyzer.frame_samples() + 1);
  analyzer.push(audio.data(), audio.size(), [&](const vad::FrameResult &r) {
    const std::uint64_t end = r.end_sample * 1000000000ull / static_cast<std::uint64_t>(rate);
    const std::uint64_t start =
        (r.end_sample - r.frame_samples) * 1000000000ull / static_cast<std::uint64_t>(rate);
    frames->push_back({start, end, r.probability});
  });
  return true;
}

} /* namespace */

bool run_builtin(const std::vector<std::int16_t> &audio, int rate, int frame_ms,
                 std::vector<Frame> *frames, std::string *error) {
  return run_engine(vad::make_builtin_engine(), audio, rate, frame_ms, frames, error);
}

bool run_silero(const std::vector<std::int16_t> &audio, int rate, int frame_ms,
                const std::string &model_path, std::vector<Frame> *frames, std::string *error) {
  vad::EngineSelection selection = vad::select_engine(vad::EngineChoice::kSilero, model_path);
  if (!selection.engine)
    return fail(error, selection.error);
  return run_engine(std::move(selection.engine), audio, rate, frame_ms, frames, error);
}

bool run_webrtcdsp(const std::vector<std::int16_t> &audio, int rate, const std::string &likelihood,
                   std::vector<Frame> *frames, std::string *error) {
  const std::string missing = missing_element("webrtcdsp");
  if (!missing.empty())
    return fail(error, missing);
  struct Flips {
    std::mutex lock;
    std::vector<std::pair<std::uint64_t, bool>> list; /* stream time, has voice */
  } flips;
  const std::string description =
      "appsrc name=src ! audioconvert ! audioresample ! webrtcdsp name=dsp echo-cancel=false "
      "high-pass-filter=false noise-suppression=false gain-control=false voice-detection=true "
      "voice-detection-frame-size-ms=10 voice-detection-likelihood=" +
      likelihood + " ! fakesink sync=false";
  auto setup = [&](GstElement *pipeline) {
    GstBus *bus = gst_element_get_bus(pipeline);
    /* Synchronous: called in the streaming thread as webrtcdsp posts, so the
     * flips are recorded in order and none is lost. */
    gst_bus_set_sync_handler(
        bus,
        +[](GstBus *, GstMessage *message, gpointer data) -> GstBusSyncReply {
          if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ELEMENT)
            return GST_BUS_PASS;
          const GstStructure *s = gst_message_get_structure(message);
          guint64 time = 0;
          gboolean voice = FALSE;
          if (s == nullptr || !gst_structure_has_name(s, "voice-activity") ||
              !gst_structure_get_uint64(s, "stream-time", &time) ||
              !gst_structure_get_boolean(s, "stream-has-voice", &voice))
            return GST_BUS_PASS;
          auto *f = static_cast<Flips *>(data);
          std::lock_guard<std::mutex> hold(f->lock);
          f->list.emplace_back(time, voice != FALSE);
          gst_message_unref(message);
          return GST_BUS_DROP;
        },
        &flips, nullptr);
    gst_object_unref(bus);
  };
  if (!run_pipeline(description, audio, rate, static_cast<std::size_t>(rate / 100), setup, error))
    return false;

  std::lock_guard<std::mutex> hold(flips.lock);
  const std::size_t count = audio.size() / static_cast<std::size_t>(rate / 100);
  frames->assign(count, Frame{0, 0, 0.0f});
  bool voice = false; /* webrtcdsp starts without voice and posts flips only */
  std::size_t next = 0;
  for (std::size_t k = 0; k < count; k++) {
    const std::uint64_t start = k * kTenMs;
    while (next < flips.list.size() && flips.list[next].first <= start)
      voice = flips.list[next++].second;
    (*frames)[k] = {start, start + kTenMs, voice ? 1.0f : 0.0f};
  }
  return true;
}

bool run_removesilence(const std::vector<std::int16_t> &audio, int rate, int threshold_db,
                       std::vector<Frame> *frames, std::string *error) {
  const std::string missing = missing_element("removesilence");
  if (!missing.empty())
    return fail(error, missing);
  const std::size_t count = audio.size() / static_cast<std::size_t>(rate / 100);
  struct Passed {
    std::mutex lock;
    std::vector<std::uint8_t> frames;
  } passed;
  passed.frames.assign(count, 0);
  const std::string description = "appsrc name=src ! removesilence name=rs remove=true threshold=" +
                                  std::to_string(threshold_db) + " ! fakesink sync=false";
  auto setup = [&](GstElement *pipeline) {
    GstElement *rs = gst_bin_get_by_name(GST_BIN(pipeline), "rs");
    GstPad *pad = gst_element_get_static_pad(rs, "src");
    gst_pad_add_probe(
        pad, GST_PAD_PROBE_TYPE_BUFFER,
        +[](GstPad *, GstPadProbeInfo *info, gpointer data) -> GstPadProbeReturn {
          GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
          auto *p = static_cast<Passed *>(data);
          if (GST_BUFFER_PTS_IS_VALID(buffer)) {
            const std::size_t k = static_cast<std::size_t>(GST_BUFFER_PTS(buffer) / kTenMs);
            std::lock_guard<std::mutex> hold(p->lock);
            if (k < p->frames.size())
              p->frames[k] = 1;
          }
          return GST_PAD_PROBE_OK;
        },
        &passed, nullptr);
    gst_object_unref(pad);
    gst_object_unref(rs);
  };
  if (!run_pipeline(description, audio, rate, static_cast<std::size_t>(rate / 100), setup, error))
    return false;
  std::lock_guard<std::mutex> hold(passed.lock);
  frames->assign(count, Frame{0, 0, 0.0f});
  for (std::size_t k = 0; k < count; k++)
    (*frames)[k] = {k * kTenMs, (k + 1) * kTenMs, passed.frames[k] != 0 ? 1.0f : 0.0f};
  return true;
}

} /* namespace voicekit::eval */

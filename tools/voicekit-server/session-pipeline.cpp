/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Builds and links one session's pipeline (session-pipeline.hpp): parsing,
 * element settings, the client's audio into the depayloader, and the reply's
 * RTP bridged from an appsink to an appsrc in front of webrtcbin.
 */
#include "session-pipeline.hpp"

#include "session-log.hpp"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include <atomic>

#define GST_CAT_DEFAULT voicekit::server::session_debug

namespace voicekit::server {

namespace {

std::atomic<int> g_pipelines_alive{0};

/* Everything but the two links to webrtcbin, which wait for the offer (the
 * payload type) and for webrtcbin's source pad. The reply's RTP crosses from
 * an appsink to an appsrc: linked straight back into webrtcbin, the chain
 * would make a loop in the bin's graph (webrtcbin feeding itself), which
 * GstBin cannot sort and warns about at every state change. Audio is analysed
 * at 16 kHz mono: all pausedetect's engines need, and a third of the work of
 * 48 kHz. */
constexpr const char *kSessionPipeline =
    "webrtcbin name=webrtc bundle-policy=max-bundle "
    "rtpopusdepay name=depay ! opusdec plc=true ! audioconvert ! audioresample "
    "! audio/x-raw,format=S16LE,rate=16000,channels=1 ! sessiontag name=tag "
    "! pausedetect name=detect ! replyonpause name=reply "
    "! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1 "
    "! opusenc audio-type=voice frame-size=20 ! rtpopuspay name=pay "
    "! appsink name=replyout sync=false async=false enable-last-sample=false "
    "appsrc name=replyin format=time is-live=true do-timestamp=false "
    "! capsfilter name=paycaps";

/* appsink "replyout" -> appsrc "replyin", on replyout's streaming thread. */
GstFlowReturn forward_reply_rtp(GstAppSink *sink, gpointer reply_in) {
  GstSample *sample = gst_app_sink_pull_sample(sink);
  if (sample == nullptr)
    return GST_FLOW_FLUSHING;
  GstFlowReturn flow =
      gst_app_src_push_buffer(GST_APP_SRC(reply_in), gst_buffer_ref(gst_sample_get_buffer(sample)));
  gst_sample_unref(sample);
  /* Before the offer links the appsrc, or while it flushes, the reply is
   * dropped; the session goes on. */
  return flow == GST_FLOW_FLUSHING || flow == GST_FLOW_NOT_LINKED ? GST_FLOW_OK : flow;
}

void bridge_reply_rtp(GstElement *pipeline) {
  GstElement *reply_out = gst_bin_get_by_name(GST_BIN(pipeline), "replyout");
  GstElement *reply_in = gst_bin_get_by_name(GST_BIN(pipeline), "replyin");
  GstAppSinkCallbacks bridge = {};
  bridge.new_sample = forward_reply_rtp;
  gst_app_sink_set_callbacks(GST_APP_SINK(reply_out), &bridge, gst_object_ref(reply_in),
                             [](gpointer data) { gst_object_unref(data); });
  gst_object_unref(reply_out);
  gst_object_unref(reply_in);
}

/* webrtcbin's "pad-added", on the streaming thread that adds the pad (the
 * rest of the chain is already playing): the client's first audio stream goes
 * to the depayloader. */
void link_client_audio(GstElement *webrtc, GstPad *pad, gpointer) {
  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
    return;
  GstElement *pipeline = GST_ELEMENT(gst_element_get_parent(webrtc));
  if (pipeline == nullptr)
    return;
  GstElement *depay = gst_bin_get_by_name(GST_BIN(pipeline), "depay");
  GstPad *sink = gst_element_get_static_pad(depay, "sink");
  if (gst_pad_is_linked(sink) || gst_pad_link(pad, sink) != GST_PAD_LINK_OK) {
    /* A second stream, or not Opus: consume it so webrtcbin never blocks on
     * an unlinked pad. */
    GstElement *sink_element = gst_element_factory_make("fakesink", nullptr);
    g_object_set(sink_element, "async", FALSE, "sync", FALSE, nullptr);
    gst_bin_add(GST_BIN(pipeline), sink_element);
    gst_element_sync_state_with_parent(sink_element);
    GstPad *fake_sink = gst_element_get_static_pad(sink_element, "sink");
    gst_pad_link(pad, fake_sink);
    gst_object_unref(fake_sink);
    GST_WARNING_OBJECT(webrtc, "an extra stream %s is discarded", GST_PAD_NAME(pad));
  }
  gst_object_unref(sink);
  gst_object_unref(depay);
  gst_object_unref(pipeline);
}

} /* namespace */

int session_pipelines_alive() {
  return g_pipelines_alive.load();
}

GstElement *make_session_pipeline(const CallConfig &config, const std::string &webrtc_id,
                                  std::string &error) {
  GError *parse_error = nullptr;
  GstElement *pipeline =
      gst_parse_launch_full(kSessionPipeline, nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &parse_error);
  if (pipeline == nullptr || parse_error != nullptr) {
    error = std::string("cannot build the session pipeline: ") +
            (parse_error != nullptr ? parse_error->message : "unknown error");
    g_clear_error(&parse_error);
    if (pipeline != nullptr)
      gst_object_unref(pipeline);
    return nullptr;
  }
  g_pipelines_alive.fetch_add(1);
  g_object_weak_ref(
      G_OBJECT(pipeline), [](gpointer, GObject *) { g_pipelines_alive.fetch_sub(1); }, nullptr);
  gst_object_set_name(GST_OBJECT(pipeline), ("session-" + webrtc_id).c_str());

  GstElement *tag = gst_bin_get_by_name(GST_BIN(pipeline), "tag");
  g_object_set(tag, "webrtc-id", webrtc_id.c_str(), nullptr);
  gst_object_unref(tag);
  GstElement *detect = gst_bin_get_by_name(GST_BIN(pipeline), "detect");
  gst_util_set_object_arg(G_OBJECT(detect), "engine", config.engine.c_str());
  g_object_set(detect, "min-silence-duration",
               static_cast<guint64>(config.min_silence_ms) * GST_MSECOND, "speech-pad",
               static_cast<guint64>(config.speech_pad_ms) * GST_MSECOND, nullptr);
  gst_object_unref(detect);

  bridge_reply_rtp(pipeline);

  GstElement *webrtc = gst_bin_get_by_name(GST_BIN(pipeline), "webrtc");
  g_object_set(webrtc, "latency", config.jitter_latency_ms, nullptr);
  g_signal_connect(webrtc, "pad-added", G_CALLBACK(link_client_audio), nullptr);
  gst_object_unref(webrtc);
  return pipeline;
}

bool link_reply_stream(GstElement *pipeline, GstElement *webrtc, unsigned opus_payload) {
  GstElement *pay = gst_bin_get_by_name(GST_BIN(pipeline), "pay");
  GstElement *paycaps = gst_bin_get_by_name(GST_BIN(pipeline), "paycaps");
  GstElement *reply_in = gst_bin_get_by_name(GST_BIN(pipeline), "replyin");
  g_object_set(pay, "pt", opus_payload, nullptr);
  GstCaps *caps =
      gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "audio", "encoding-name",
                          G_TYPE_STRING, "OPUS", "clock-rate", G_TYPE_INT, 48000, "payload",
                          G_TYPE_INT, static_cast<int>(opus_payload), nullptr);
  g_object_set(paycaps, "caps", caps, nullptr);
  gst_app_src_set_caps(GST_APP_SRC(reply_in), caps);
  gst_object_unref(reply_in);
  gst_caps_unref(caps);
  const bool linked = gst_element_link(paycaps, webrtc);
  gst_object_unref(pay);
  gst_object_unref(paycaps);
  return linked;
}

} /* namespace voicekit::server */

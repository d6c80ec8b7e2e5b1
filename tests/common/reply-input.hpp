/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Drives replyonpause by hand in a GstHarness: the turn detector's sticky
 * event, a session, audio spans and turn events at chosen running times, as
 * pausedetect would send them. Shared by the replyonpause tests.
 */
#ifndef TESTS_COMMON_REPLY_INPUT_HPP
#define TESTS_COMMON_REPLY_INPUT_HPP

#include <gst/audio/audio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/voicekit/voicekit.h>

#include <cstdint>
#include <string>
#include <vector>

namespace voicekit::testing {

constexpr int kReplyRate = 16000;
constexpr GstClockTime kSpan = 20 * GST_MSECOND; /* one input buffer */
constexpr guint kSpanFrames = kReplyRate / 50;

inline GstCaps *mono_s16_caps(int rate = kReplyRate) {
  return gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "S16LE", "rate", G_TYPE_INT,
                             rate, "channels", G_TYPE_INT, 1, "layout", G_TYPE_STRING,
                             "interleaved", nullptr);
}

/* The sample value of input frame `frame`: distinct and predictable, so a
 * test can tell which input frame an output sample came from. Never 0. */
inline gint16 input_sample(guint64 frame) {
  return static_cast<gint16>(1 + static_cast<gint16>(frame % 30000));
}

struct ReplyInput {
  GstHarness *h = nullptr;
  guint64 frames = 0; /* input frames pushed so far (time = frames / rate) */

  /* A harness around `element` (a gst_parse_launch description such as
   * "replyonpause handler=echo"), with S16LE mono 16 kHz on the input and
   * `out_caps` (nullptr: the same) accepted on the output. Not live unless
   * `live`. Sends the detector event and, with `webrtc_id`, a session. */
  explicit ReplyInput(const char *element, bool live = false, const char *webrtc_id = "caller-1",
                      GstCaps *out_caps = nullptr) {
    h = gst_harness_new_parse(element);
    gst_harness_set_live(h, live);
    GstCaps *caps = mono_s16_caps();
    gst_harness_set_src_caps(h, gst_caps_ref(caps));
    gst_harness_set_sink_caps(h, out_caps != nullptr ? out_caps : gst_caps_ref(caps));
    gst_caps_unref(caps);
    fail_unless(gst_harness_push_event(
        h, gst_voicekit_event_new_turn_detector("test", 40 * GST_MSECOND, 500 * GST_MSECOND,
                                                300 * GST_MSECOND, 10 * GST_MSECOND)));
    if (webrtc_id != nullptr)
      set_session(webrtc_id);
  }
  ~ReplyInput() { gst_harness_teardown(h); }
  ReplyInput(const ReplyInput &) = delete;
  ReplyInput &operator=(const ReplyInput &) = delete;

  GstElement *element() const { return h->element; }
  GstClockTime now() const { return gst_util_uint64_scale_int(frames, GST_SECOND, kReplyRate); }

  void set_session(const char *webrtc_id) {
    GstVoiceKitSessionContext *context = gst_voicekit_session_context_new(webrtc_id, nullptr);
    fail_unless(context != nullptr);
    fail_unless(gst_harness_push_event(h, gst_voicekit_event_new_session(context)));
    gst_voicekit_session_context_unref(context);
  }

  /* `spans` input buffers of 20 ms, samples from input_sample(); returns the
   * last push's flow. */
  GstFlowReturn push_spans(guint spans) {
    GstFlowReturn ret = GST_FLOW_OK;
    for (guint i = 0; i < spans && ret == GST_FLOW_OK; i++) {
      GstBuffer *buffer = gst_buffer_new_allocate(nullptr, kSpanFrames * 2, nullptr);
      GstMapInfo map;
      gst_buffer_map(buffer, &map, GST_MAP_WRITE);
      auto *samples = reinterpret_cast<gint16 *>(map.data);
      for (guint n = 0; n < kSpanFrames; n++)
        samples[n] = input_sample(frames + n);
      gst_buffer_unmap(buffer, &map);
      GST_BUFFER_PTS(buffer) = now();
      GST_BUFFER_DURATION(buffer) = kSpan;
      frames += kSpanFrames;
      ret = gst_harness_push(h, buffer);
    }
    return ret;
  }

  /* pausedetect's events, at the current input position (the end of the
   * audio that completed the decision). */
  gboolean speech_start(guint64 utterance, GstClockTime onset) {
    return gst_harness_push_event(
        h, gst_voicekit_event_new_turn(GST_VOICEKIT_TURN_EVENT_SPEECH_START, utterance, now(),
                                       now(), onset, GST_CLOCK_TIME_NONE, nullptr));
  }
  gboolean pause(guint64 utterance, GstClockTime onset, GstClockTime offset) {
    return gst_harness_push_event(h, gst_voicekit_event_new_turn(GST_VOICEKIT_TURN_EVENT_PAUSE,
                                                                 utterance, now(), now(), onset,
                                                                 offset, nullptr));
  }

  /* A whole turn: `speech_ms` of "speech" (speech-start after 60 ms of it,
   * onset at its beginning), then `silence_ms` and the pause. Returns the
   * running time of the onset. */
  GstClockTime turn(guint64 utterance, guint speech_ms = 400, guint silence_ms = 500) {
    const GstClockTime onset = now();
    push_spans(3);
    fail_unless(speech_start(utterance, onset));
    push_spans(speech_ms / 20 - 3);
    const GstClockTime offset = now();
    push_spans(silence_ms / 20);
    fail_unless(pause(utterance, onset, offset));
    return onset;
  }
};

/* Every output buffer so far, concatenated: S16 mono samples and their
 * webrtc-ids (one entry per buffer). */
struct ReplyOutput {
  std::vector<gint16> samples;
  std::vector<std::string> buffer_ids;
  std::vector<GstClockTime> buffer_pts;

  void pull_all(GstHarness *h) {
    GstBuffer *buffer;
    while ((buffer = gst_harness_try_pull(h)) != nullptr) {
      GstMapInfo map;
      fail_unless(gst_buffer_map(buffer, &map, GST_MAP_READ));
      const auto *data = reinterpret_cast<const gint16 *>(map.data);
      samples.insert(samples.end(), data, data + map.size / 2);
      gst_buffer_unmap(buffer, &map);
      const gchar *id = gst_voicekit_buffer_get_webrtc_id(buffer);
      buffer_ids.push_back(id != nullptr ? id : "");
      buffer_pts.push_back(GST_BUFFER_PTS(buffer));
      gst_buffer_unref(buffer);
    }
  }
};

/* The replyonpause messages on `bus`, in order, as "event:utterance". */
inline std::vector<std::string> pop_reply_events(GstBus *bus,
                                                 std::vector<GstStructure *> *keep = nullptr) {
  std::vector<std::string> events;
  GstMessage *message;
  while ((message = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT)) != nullptr) {
    const GstStructure *s = gst_message_get_structure(message);
    if (gst_structure_has_name(s, "replyonpause")) {
      guint64 utterance = 0;
      gst_structure_get_uint64(s, "utterance", &utterance);
      events.push_back(std::string(gst_structure_get_string(s, "event")) + ":" +
                       std::to_string(utterance));
      if (keep != nullptr)
        keep->push_back(gst_structure_copy(s));
    }
    gst_message_unref(message);
  }
  return events;
}

} /* namespace voicekit::testing */

#endif /* TESTS_COMMON_REPLY_INPUT_HPP */

/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * gst-check tests of the pausedetect element: the message and event
 * contract, every property, and bad input.
 */
#include <gst/audio/audio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <gst/voicekit/voicekit.h>

#include "../common/speech.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using voicekit::testing::two_turns;

static std::string caps_string(int rate, const char *format = "S16LE", int channels = 1) {
  gchar *text = g_strdup_printf("audio/x-raw,format=%s,rate=%d,channels=%d,layout=interleaved",
                                format, rate, channels);
  std::string caps(text);
  g_free(text);
  return caps;
}

/* One decision as the element reported it. */
struct Decision {
  std::string event;
  guint64 utterance = 0;
  guint64 running_time = 0;
  guint64 stream_time = 0;
  guint64 speech_start = 0;
  guint64 speech_end = GST_CLOCK_TIME_NONE;
  std::string webrtc_id;
};

static Decision decision_from(const GstStructure *s) {
  Decision d;
  d.event = gst_structure_get_string(s, "event");
  fail_unless(gst_structure_get_uint64(s, "utterance", &d.utterance));
  fail_unless(gst_structure_get_uint64(s, "running-time", &d.running_time));
  fail_unless(gst_structure_get_uint64(s, "stream-time", &d.stream_time));
  fail_unless(gst_structure_get_uint64(s, "speech-start", &d.speech_start));
  if (d.event == "pause")
    fail_unless(gst_structure_get_uint64(s, "speech-end", &d.speech_end));
  else
    fail_if(gst_structure_has_field(s, "speech-end"));
  const gchar *id = gst_structure_get_string(s, "webrtc-id");
  d.webrtc_id = id != nullptr ? id : "";
  return d;
}

static std::vector<Decision> pop_messages(GstBus *bus) {
  std::vector<Decision> decisions;
  GstMessage *message;
  while ((message = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT)) != nullptr) {
    const GstStructure *s = gst_message_get_structure(message);
    if (gst_structure_has_name(s, "pausedetect"))
      decisions.push_back(decision_from(s));
    gst_message_unref(message);
  }
  return decisions;
}

/* Harness events, in order: turn events as decisions. */
static std::vector<Decision> pull_turn_events(GstHarness *h) {
  std::vector<Decision> decisions;
  GstEvent *event;
  while ((event = gst_harness_try_pull_event(h)) != nullptr) {
    if (gst_event_has_name(event, GST_VOICEKIT_TURN_EVENT_NAME)) {
      fail_unless(GST_EVENT_TYPE(event) == GST_EVENT_CUSTOM_DOWNSTREAM);
      decisions.push_back(decision_from(gst_event_get_structure(event)));
    }
    gst_event_unref(event);
  }
  return decisions;
}

struct Detector {
  GstElement *element;
  GstBus *bus;
  GstHarness *h;

  explicit Detector(const char *properties = "", int rate = 16000, const char *format = "S16LE",
                    int channels = 1) {
    gchar *description = g_strdup_printf("pausedetect %s", properties);
    element = gst_parse_launch(description, nullptr);
    g_free(description);
    fail_unless(element != nullptr);
    bus = gst_bus_new();
    gst_element_set_bus(element, bus);
    h = gst_harness_new_with_element(element, "sink", "src");
    gst_harness_set_src_caps_str(h, caps_string(rate, format, channels).c_str());
  }
  ~Detector() {
    gst_harness_teardown(h);
    gst_element_set_bus(element, nullptr);
    gst_object_unref(bus);
    gst_object_unref(element);
  }
};

/* Pushes S16 samples in buffers of `chunk` samples, timestamped from `start`. */
static void push_samples(GstHarness *h, const std::vector<gint16> &samples, int rate,
                         std::size_t chunk, bool timestamps = true, GstClockTime start = 0) {
  for (std::size_t done = 0; done < samples.size(); done += chunk) {
    const std::size_t count = std::min(chunk, samples.size() - done);
    GstBuffer *buffer = gst_buffer_new_memdup(samples.data() + done, count * sizeof(gint16));
    if (timestamps) {
      GST_BUFFER_PTS(buffer) = start + gst_util_uint64_scale_int(done, GST_SECOND, rate);
      GST_BUFFER_DURATION(buffer) = gst_util_uint64_scale_int(count, GST_SECOND, rate);
    }
    fail_unless_equals_int(gst_harness_push(h, buffer), GST_FLOW_OK);
  }
}

/* Pushes two_turns(16000), the stream most tests start with, in 20 ms
 * buffers from time 0; returns what it pushed. */
static std::vector<gint16> push_two_turns(GstHarness *h) {
  std::vector<gint16> speech = two_turns(16000);
  push_samples(h, speech, 16000, 320);
  return speech;
}

static void expect_two_turns(const std::vector<Decision> &d) {
  fail_unless_equals_int(d.size(), 4);
  const char *kinds[] = {"speech-start", "pause", "speech-start", "pause"};
  const guint64 utterances[] = {1, 1, 2, 2};
  for (int i = 0; i < 4; i++) {
    fail_unless_equals_string(d[i].event.c_str(), kinds[i]);
    fail_unless_equals_uint64(d[i].utterance, utterances[i]);
  }
  for (const Decision &x : d)
    fail_unless(x.speech_start <= x.stream_time);
  fail_unless(d[1].speech_start < d[1].speech_end && d[1].speech_end < d[1].stream_time);
  fail_unless(d[1].stream_time < d[2].stream_time);
}

GST_START_TEST(test_messages_and_events_on_real_speech) {
  Detector det("min-silence-duration=500000000");
  const std::vector<gint16> speech = push_two_turns(det.h);
  gst_harness_push_event(det.h, gst_event_new_eos());

  const std::vector<Decision> messages = pop_messages(det.bus);
  expect_two_turns(messages);
  /* the pause comes min-silence-duration (plus at most a frame) after the offset */
  for (int i : {1, 3}) {
    const guint64 wait = messages[i].stream_time - messages[i].speech_end;
    fail_unless(wait >= 500 * GST_MSECOND && wait <= 510 * GST_MSECOND,
                "pause %" G_GUINT64_FORMAT " ns after the offset", wait);
  }
  /* the first voice starts near 2.0 s (1.5 s of silence, then the
   * recording's own 0.5 s lead-in); speech-pad (300 ms) reaches back before it */
  fail_unless(messages[0].speech_start > 1500 * GST_MSECOND &&
                  messages[0].speech_start < 2000 * GST_MSECOND,
              "onset at %" GST_TIME_FORMAT, GST_TIME_ARGS(messages[0].speech_start));
  /* no segment offset here: running time == stream time */
  for (const Decision &m : messages)
    fail_unless_equals_uint64(m.running_time, m.stream_time);

  const std::vector<Decision> events = pull_turn_events(det.h);
  fail_unless_equals_int(events.size(), messages.size());
  for (std::size_t i = 0; i < events.size(); i++) {
    fail_unless_equals_string(events[i].event.c_str(), messages[i].event.c_str());
    fail_unless_equals_uint64(events[i].stream_time, messages[i].stream_time);
    fail_unless_equals_uint64(events[i].speech_start, messages[i].speech_start);
    fail_unless_equals_uint64(events[i].speech_end, messages[i].speech_end);
  }
}
GST_END_TEST;

/* Events come after the buffer that completed the decision, never before. */
struct OrderCheck {
  GstClockTime audio_end = 0; /* end of the audio pushed so far */
  int turn_events = 0;
  int early = 0;
};

static GstPadProbeReturn check_order(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *check = static_cast<OrderCheck *>(data);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    check->audio_end = GST_BUFFER_PTS(buffer) + GST_BUFFER_DURATION(buffer);
  } else {
    GstClockTime stream_time;
    if (gst_voicekit_event_parse_turn(GST_PAD_PROBE_INFO_EVENT(info), nullptr, nullptr, nullptr,
                                      &stream_time, nullptr, nullptr, nullptr)) {
      check->turn_events++;
      if (stream_time > check->audio_end)
        check->early++;
    }
  }
  return GST_PAD_PROBE_OK;
}

GST_START_TEST(test_event_follows_its_buffer) {
  Detector det;
  OrderCheck check;
  GstPad *srcpad = gst_element_get_static_pad(det.element, "src");
  gst_pad_add_probe(
      srcpad,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      check_order, &check, nullptr);
  gst_object_unref(srcpad);
  /* 100 ms buffers: a decision lands inside a buffer, not at its end */
  push_samples(det.h, two_turns(16000), 16000, 1600);
  fail_unless_equals_int(check.turn_events, 4);
  fail_unless_equals_int(check.early, 0);
}
GST_END_TEST;

GST_START_TEST(test_passthrough_keeps_samples_and_metas) {
  GstHarness *h = gst_harness_new_parse("sessiontag webrtc-id=keep ! pausedetect");
  gst_harness_set_src_caps_str(h, caps_string(16000).c_str());
  const std::vector<gint16> speech = two_turns(16000);
  for (std::size_t i = 0; i + 480 <= speech.size(); i += 480) {
    GstBuffer *in = gst_buffer_new_memdup(speech.data() + i, 480 * sizeof(gint16));
    GstMemory *memory = gst_buffer_peek_memory(in, 0);
    GstBuffer *out = gst_harness_push_and_pull(h, in);
    fail_unless(gst_buffer_peek_memory(out, 0) == memory);
    fail_unless(gst_buffer_memcmp(out, 0, speech.data() + i, 480 * sizeof(gint16)) == 0);
    fail_unless_equals_string(gst_voicekit_buffer_get_webrtc_id(out), "keep");
    gst_buffer_unref(out);
  }
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_webrtc_id_from_the_session) {
  GstHarness *h = gst_harness_new_parse("sessiontag webrtc-id=who-speaks ! pausedetect");
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  gst_harness_set_src_caps_str(h, caps_string(16000).c_str());
  push_samples(h, two_turns(16000), 16000, 160);
  const std::vector<Decision> messages = pop_messages(bus);
  fail_unless_equals_int(messages.size(), 4);
  for (const Decision &m : messages)
    fail_unless_equals_string(m.webrtc_id.c_str(), "who-speaks");
  /* the event carries the context itself, too */
  GstEvent *event;
  int with_context = 0;
  while ((event = gst_harness_try_pull_event(h)) != nullptr) {
    GstVoiceKitSessionContext *context = nullptr;
    if (gst_voicekit_event_parse_turn(event, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                      &context) &&
        context != nullptr) {
      fail_unless_equals_string(gst_voicekit_session_context_get_webrtc_id(context), "who-speaks");
      gst_voicekit_session_context_unref(context);
      with_context++;
    }
    gst_event_unref(event);
  }
  fail_unless_equals_int(with_context, 4);
  /* messages on the bus hold the elements: flush them before teardown */
  gst_bus_set_flushing(bus, TRUE);
  gst_element_set_bus(h->element, nullptr);
  gst_harness_teardown(h);
  gst_object_unref(bus);
}
GST_END_TEST;

GST_START_TEST(test_no_session_no_webrtc_id) {
  Detector det;
  push_samples(det.h, two_turns(16000), 16000, 160);
  const std::vector<Decision> messages = pop_messages(det.bus);
  fail_unless_equals_int(messages.size(), 4);
  for (const Decision &m : messages)
    fail_unless(m.webrtc_id.empty());
}
GST_END_TEST;

GST_START_TEST(test_segment_gives_running_and_stream_time) {
  Detector det;
  /* stream times start at 10 s; running time at 0 */
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  segment.start = 10 * GST_SECOND;
  segment.time = 10 * GST_SECOND;
  gst_harness_push_event(det.h, gst_event_new_segment(&segment));
  push_samples(det.h, two_turns(16000), 16000, 320, true, 10 * GST_SECOND);
  const std::vector<Decision> messages = pop_messages(det.bus);
  expect_two_turns(messages);
  for (const Decision &m : messages) {
    fail_unless(m.stream_time > 10 * GST_SECOND);
    fail_unless_equals_uint64(m.stream_time - m.running_time, 10 * GST_SECOND);
    fail_unless(m.speech_start >= 10 * GST_SECOND);
  }
}
GST_END_TEST;

GST_START_TEST(test_eos_during_speech_posts_pause_first) {
  Detector det;
  const std::vector<gint16> speech = two_turns(16000);
  /* cut in the middle of the second utterance (its voice runs 6.3 s to 8.0 s) */
  const std::vector<gint16> cut(speech.begin(), speech.begin() + 16000 * 7);
  push_samples(det.h, cut, 16000, 320);
  fail_unless_equals_int(pop_messages(det.bus).size(), 3);
  gst_harness_push_event(det.h, gst_event_new_eos());
  const std::vector<Decision> last = pop_messages(det.bus);
  fail_unless_equals_int(last.size(), 1);
  fail_unless_equals_string(last[0].event.c_str(), "pause");
  fail_unless_equals_uint64(last[0].utterance, 2);
  /* and its event went downstream before EOS */
  GstEvent *event;
  bool saw_pause = false, saw_eos_after = false;
  while ((event = gst_harness_try_pull_event(det.h)) != nullptr) {
    GstVoiceKitTurnEventType type;
    guint64 utterance;
    if (gst_voicekit_event_parse_turn(event, &type, &utterance, nullptr, nullptr, nullptr, nullptr,
                                      nullptr) &&
        type == GST_VOICEKIT_TURN_EVENT_PAUSE && utterance == 2)
      saw_pause = true;
    if (GST_EVENT_TYPE(event) == GST_EVENT_EOS)
      saw_eos_after = saw_pause;
    gst_event_unref(event);
  }
  fail_unless(saw_eos_after);
}
GST_END_TEST;

GST_START_TEST(test_flush_resets) {
  Detector det;
  const std::vector<gint16> speech = push_two_turns(det.h);
  fail_unless_equals_int(pop_messages(det.bus).size(), 4);
  /* flush in the middle of nothing, then the same audio again: utterance 1 again */
  gst_harness_push_event(det.h, gst_event_new_flush_start());
  gst_harness_push_event(det.h, gst_event_new_flush_stop(TRUE));
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  gst_harness_push_event(det.h, gst_event_new_segment(&segment));
  push_samples(det.h, speech, 16000, 320);
  std::vector<Decision> again = pop_messages(det.bus);
  expect_two_turns(again);
  /* a flush in the middle of an utterance drops it: no pause for it */
  const std::vector<gint16> half(speech.begin(), speech.begin() + 16000 * 3);
  push_samples(det.h, half, 16000, 320);
  fail_unless_equals_int(pop_messages(det.bus).size(), 1); /* speech-start */
  gst_harness_push_event(det.h, gst_event_new_flush_start());
  gst_harness_push_event(det.h, gst_event_new_flush_stop(TRUE));
  gst_harness_push_event(det.h, gst_event_new_segment(&segment));
  std::vector<gint16> silence(16000 * 2, 0);
  push_samples(det.h, silence, 16000, 320);
  fail_unless_equals_int(pop_messages(det.bus).size(), 0);
}
GST_END_TEST;

GST_START_TEST(test_post_messages_false_keeps_events) {
  Detector det("post-messages=false");
  push_two_turns(det.h);
  fail_unless_equals_int(pop_messages(det.bus).size(), 0);
  expect_two_turns(pull_turn_events(det.h));
}
GST_END_TEST;

GST_START_TEST(test_properties_round_trip_and_apply_while_playing) {
  Detector det;
  g_object_set(det.element, "threshold", 0.6f, "end-threshold", 0.2f, "min-speech-duration",
               G_GUINT64_CONSTANT(90000000), "speech-pad", G_GUINT64_CONSTANT(100000000),
               "max-speech-duration", G_GUINT64_CONSTANT(0), nullptr);
  gfloat threshold, end_threshold;
  guint64 min_speech, pad, max_speech, min_silence;
  guint64 frame; /* ns, as every duration */
  gchar *engine;
  gboolean post;
  g_object_get(det.element, "threshold", &threshold, "end-threshold", &end_threshold,
               "min-speech-duration", &min_speech, "speech-pad", &pad, "max-speech-duration",
               &max_speech, "min-silence-duration", &min_silence, "frame-duration", &frame,
               "engine-in-use", &engine, "post-messages", &post, nullptr);
  fail_unless(std::fabs(threshold - 0.6f) < 1e-6f);
  fail_unless(std::fabs(end_threshold - 0.2f) < 1e-6f);
  fail_unless_equals_uint64(min_speech, 90 * GST_MSECOND);
  fail_unless_equals_uint64(pad, 100 * GST_MSECOND);
  fail_unless_equals_uint64(max_speech, 0);
  fail_unless_equals_uint64(min_silence, 500 * GST_MSECOND);
  fail_unless_equals_uint64(frame, 10 * GST_MSECOND); /* builtin's, in effect */
  fail_unless_equals_string(engine, "builtin");
  fail_unless(post);
  g_free(engine);

  /* min-silence-duration 3 s set while PLAYING: the 2.6 s between the two
   * voices no longer ends the first turn, only EOS does. */
  g_object_set(det.element, "min-silence-duration", 3 * GST_SECOND, nullptr);
  push_two_turns(det.h);
  gst_harness_push_event(det.h, gst_event_new_eos());
  std::vector<Decision> messages = pop_messages(det.bus);
  fail_unless_equals_int(messages.size(), 2);
  fail_unless_equals_string(messages[1].event.c_str(), "pause");
}
GST_END_TEST;

GST_START_TEST(test_speech_pad_shifts_the_onset) {
  guint64 starts[2];
  const guint64 pads[2] = {0, 400 * GST_MSECOND};
  for (int i = 0; i < 2; i++) {
    gchar *properties = g_strdup_printf("speech-pad=%" G_GUINT64_FORMAT, pads[i]);
    Detector det(properties);
    g_free(properties);
    push_two_turns(det.h);
    std::vector<Decision> messages = pop_messages(det.bus);
    fail_unless(messages.size() >= 1);
    starts[i] = messages[0].speech_start;
  }
  fail_unless_equals_uint64(starts[0] - starts[1], 400 * GST_MSECOND);
}
GST_END_TEST;

GST_START_TEST(test_max_speech_duration_forces_pauses) {
  Detector det("max-speech-duration=300000000");
  push_two_turns(det.h);
  std::vector<Decision> messages = pop_messages(det.bus);
  int pauses = 0;
  for (const Decision &m : messages)
    if (m.event == "pause") {
      pauses++;
      fail_unless(m.speech_end - m.speech_start <= 300 * GST_MSECOND + 300 * GST_MSECOND);
    }
  fail_unless(pauses > 2, "only %d pauses", pauses);
}
GST_END_TEST;

GST_START_TEST(test_frame_duration_and_thresholds_change_decisions) {
  /* 32 ms frames still find both turns */
  {
    Detector det("frame-duration=32000000");
    push_two_turns(det.h);
    expect_two_turns(pop_messages(det.bus));
  }
  /* in noise (about 10 dB SNR), a stricter threshold finds less speech: the
   * first utterance starts later */
  std::vector<gint16> noisy = two_turns(16000);
  std::mt19937 random(11);
  std::normal_distribution<float> noise(0.0f, 800.0f);
  for (gint16 &sample : noisy)
    sample = static_cast<gint16>(std::clamp(sample + noise(random), -32768.0f, 32767.0f));
  guint64 decided[2];
  const char *strictness[2] = {"threshold=0.5", "threshold=0.99 end-threshold=0.9"};
  for (int i = 0; i < 2; i++) {
    Detector det(strictness[i]);
    push_samples(det.h, noisy, 16000, 320);
    std::vector<Decision> messages = pop_messages(det.bus);
    fail_unless(!messages.empty());
    decided[i] = messages[0].stream_time;
  }
  fail_unless(decided[1] > decided[0], "strict %" GST_TIME_FORMAT " vs %" GST_TIME_FORMAT,
              GST_TIME_ARGS(decided[1]), GST_TIME_ARGS(decided[0]));
  /* a long min-speech-duration: nothing starts */
  {
    Detector det("min-speech-duration=5000000000");
    push_two_turns(det.h);
    fail_unless_equals_int(pop_messages(det.bus).size(), 0);
  }
}
GST_END_TEST;

/* ---- bad input -------------------------------------------------------------- */

GST_START_TEST(test_nan_and_inf_are_silence) {
  Detector det("", 16000, "F32LE");
  std::vector<float> garbage(16000 * 3);
  for (std::size_t i = 0; i < garbage.size(); i++)
    garbage[i] =
        i % 2 ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  GstBuffer *buffer = gst_buffer_new_memdup(garbage.data(), garbage.size() * sizeof(float));
  fail_unless_equals_int(gst_harness_push(det.h, buffer), GST_FLOW_OK);
  fail_unless_equals_int(pop_messages(det.bus).size(), 0);
  /* then speech is still detected */
  const std::vector<gint16> speech = two_turns(16000);
  std::vector<float> as_float(speech.size());
  for (std::size_t i = 0; i < speech.size(); i++)
    as_float[i] = speech[i] / 32768.0f;
  buffer = gst_buffer_new_memdup(as_float.data(), as_float.size() * sizeof(float));
  fail_unless_equals_int(gst_harness_push(det.h, buffer), GST_FLOW_OK);
  expect_two_turns(pop_messages(det.bus));
}
GST_END_TEST;

GST_START_TEST(test_one_sample_and_ten_second_buffers) {
  std::vector<gint16> speech = two_turns(16000);
  std::vector<Decision> reference;
  {
    Detector det;
    push_samples(det.h, speech, 16000, speech.size()); /* ~10 s in one buffer */
    reference = pop_messages(det.bus);
    expect_two_turns(reference);
  }
  {
    Detector det;
    push_samples(det.h, speech, 16000, 1);
    std::vector<Decision> tiny = pop_messages(det.bus);
    expect_two_turns(tiny);
    for (std::size_t i = 0; i < tiny.size(); i++)
      fail_unless_equals_uint64(tiny[i].stream_time, reference[i].stream_time);
  }
}
GST_END_TEST;

GST_START_TEST(test_missing_timestamps_come_from_sample_counts) {
  std::vector<gint16> speech = two_turns(16000);
  std::vector<Decision> timed, untimed;
  {
    Detector det;
    push_samples(det.h, speech, 16000, 320, true);
    timed = pop_messages(det.bus);
  }
  {
    Detector det;
    push_samples(det.h, speech, 16000, 320, false);
    untimed = pop_messages(det.bus);
  }
  expect_two_turns(untimed);
  for (std::size_t i = 0; i < timed.size(); i++) {
    fail_unless_equals_uint64(untimed[i].stream_time, timed[i].stream_time);
    fail_unless_equals_uint64(untimed[i].speech_start, timed[i].speech_start);
  }
}
GST_END_TEST;

GST_START_TEST(test_gap_events_count_as_silence) {
  Detector det;
  const std::vector<gint16> whole = voicekit::testing::load_raw_s16("goforward.raw");
  /* the first 2 s: the voice (from 0.5 s) is still going when the GAP comes */
  const std::vector<gint16> speech(whole.begin(), whole.begin() + 32000);
  push_samples(det.h, speech, 16000, 320);
  const GstClockTime end = gst_util_uint64_scale_int(speech.size(), GST_SECOND, 16000);
  fail_unless_equals_int(pop_messages(det.bus).size(), 1); /* speech-start */
  /* one second of GAP: the silence after the speech makes the pause */
  gst_harness_push_event(det.h, gst_event_new_gap(end, GST_SECOND));
  std::vector<Decision> messages = pop_messages(det.bus);
  fail_unless_equals_int(messages.size(), 1);
  fail_unless_equals_string(messages[0].event.c_str(), "pause");
  fail_unless(messages[0].stream_time <= end + GST_SECOND);
  /* the GAP itself went on downstream */
  bool gap_forwarded = false;
  GstEvent *event;
  while ((event = gst_harness_try_pull_event(det.h)) != nullptr) {
    gap_forwarded |= GST_EVENT_TYPE(event) == GST_EVENT_GAP;
    gst_event_unref(event);
  }
  fail_unless(gap_forwarded);
}
GST_END_TEST;

GST_START_TEST(test_rate_change_mid_stream) {
  Detector det;
  const std::vector<gint16> at16 = push_two_turns(det.h);
  expect_two_turns(pop_messages(det.bus));
  const GstClockTime offset = gst_util_uint64_scale_int(at16.size(), GST_SECOND, 16000);
  gst_harness_set_src_caps_str(det.h, caps_string(48000, "S16LE", 2).c_str());
  const std::vector<gint16> at48 = two_turns(48000);
  std::vector<gint16> stereo(at48.size() * 2);
  for (std::size_t i = 0; i < at48.size(); i++)
    stereo[2 * i] = stereo[2 * i + 1] = at48[i];
  for (std::size_t done = 0; done < at48.size(); done += 960) {
    const std::size_t count = std::min<std::size_t>(960, at48.size() - done);
    GstBuffer *buffer = gst_buffer_new_memdup(stereo.data() + 2 * done, count * 4);
    GST_BUFFER_PTS(buffer) = offset + gst_util_uint64_scale_int(done, GST_SECOND, 48000);
    fail_unless_equals_int(gst_harness_push(det.h, buffer), GST_FLOW_OK);
  }
  std::vector<Decision> after = pop_messages(det.bus);
  fail_unless_equals_int(after.size(), 4);
  fail_unless_equals_uint64(after[0].utterance, 3); /* same stream: counting goes on */
  fail_unless(after[0].stream_time > offset);
}
GST_END_TEST;

GST_START_TEST(test_non_audio_caps_fail_to_link) {
  const char *refused[] = {"video/x-raw,format=I420", "audio/x-raw,format=S32LE",
                           "audio/x-raw,format=S16LE,rate=96000",
                           "audio/x-raw,format=S16LE,channels=6", "audio/x-opus"};
  for (const char *caps_text : refused) {
    GstElement *filter = gst_element_factory_make("capsfilter", nullptr);
    GstCaps *caps = gst_caps_from_string(caps_text);
    g_object_set(filter, "caps", caps, nullptr);
    gst_caps_unref(caps);
    GstElement *detector = gst_element_factory_make("pausedetect", nullptr);
    GstElement *bin = gst_bin_new(nullptr);
    gst_bin_add_many(GST_BIN(bin), filter, detector, nullptr);
    fail_if(gst_element_link(filter, detector), "%s linked", caps_text);
    gst_object_unref(bin);
  }
}
GST_END_TEST;

GST_START_TEST(test_buffer_without_caps_is_refused_with_an_error) {
  GstElement *element = gst_element_factory_make("pausedetect", nullptr);
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(element, bus);
  GstHarness *h = gst_harness_new_with_element(element, "sink", "src");
  /* straight into the sink pad: a stream, but no caps ever came */
  GstPad *sinkpad = gst_element_get_static_pad(element, "sink");
  fail_unless(gst_pad_send_event(sinkpad, gst_event_new_stream_start("no-caps")));
  /* GStreamer itself warns about data before a segment: expected here */
  GstCheckLogFilter *filter = gst_check_add_log_filter(
      "GStreamer", G_LOG_LEVEL_WARNING,
      g_regex_new("before segment event", (GRegexCompileFlags)0, (GRegexMatchFlags)0, nullptr),
      nullptr, nullptr, nullptr);
  GstBuffer *buffer = gst_buffer_new_allocate(nullptr, 320, nullptr);
  fail_unless_equals_int(gst_pad_chain(sinkpad, buffer), GST_FLOW_NOT_NEGOTIATED);
  gst_check_remove_log_filter(filter);
  gst_object_unref(sinkpad);
  GstMessage *message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  fail_unless(message != nullptr);
  GError *error = nullptr;
  gchar *debug = nullptr;
  gst_message_parse_error(message, &error, &debug);
  fail_unless(g_error_matches(error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION));
  fail_unless(strstr(debug, "S16LE") != nullptr, "%s", debug); /* says what it accepts */
  g_error_free(error);
  g_free(debug);
  gst_message_unref(message);
  /* video caps are refused too */
  gst_harness_set_src_caps_str(h, "video/x-raw,format=I420,width=16,height=16,framerate=1/1");
  buffer = gst_buffer_new_allocate(nullptr, 384, nullptr);
  fail_unless_equals_int(gst_harness_push(h, buffer), GST_FLOW_NOT_NEGOTIATED);
  gst_harness_teardown(h);
  gst_element_set_bus(element, nullptr);
  gst_object_unref(bus);
  gst_object_unref(element);
}
GST_END_TEST;

GST_START_TEST(test_odd_sized_buffers) {
  Detector det;
  const std::vector<gint16> speech = two_turns(16000);
  /* 3-byte buffers: never a whole number of 2-byte frames; analysed in
   * whole frames, nothing crashes, data still flows */
  const guint8 *bytes = reinterpret_cast<const guint8 *>(speech.data());
  for (std::size_t i = 0; i + 3 <= 3000; i += 3) {
    GstBuffer *buffer = gst_buffer_new_memdup(bytes + i, 3);
    fail_unless_equals_int(gst_harness_push(det.h, buffer), GST_FLOW_OK);
  }
  fail_unless_equals_int(gst_harness_buffers_received(det.h), 1000);
}
GST_END_TEST;

GST_START_TEST(test_state_changes_any_time) {
  Detector det;
  const std::vector<gint16> speech = two_turns(16000);
  std::vector<gint16> half(speech.begin(), speech.begin() + speech.size() / 2);
  for (int round = 0; round < 3; round++) {
    push_samples(det.h, half, 16000, 320);
    gst_element_set_state(det.element, GST_STATE_READY);
    gst_element_set_state(det.element, GST_STATE_NULL);
    gst_harness_play(det.h);
    gst_harness_set_src_caps_str(det.h, caps_string(16000).c_str());
  }
  pop_messages(det.bus);
  push_samples(det.h, speech, 16000, 320);
  std::vector<Decision> messages = pop_messages(det.bus);
  expect_two_turns(messages);
}
GST_END_TEST;

/* ---- streams that change under the detector (from a code review) -------- */

static std::vector<Decision> reference_decisions(const std::vector<gint16> &speech) {
  Detector det;
  push_samples(det.h, speech, 16000, 160);
  gst_harness_push_event(det.h, gst_event_new_eos());
  return pop_messages(det.bus);
}

GST_START_TEST(test_same_caps_again_changes_nothing) {
  const std::vector<gint16> speech = two_turns(16000);
  const std::vector<Decision> reference = reference_decisions(speech);
  Detector det;
  const std::size_t half = 16000 * 3; /* inside the first utterance */
  push_samples(det.h, std::vector<gint16>(speech.begin(), speech.begin() + half), 16000, 160);
  gst_harness_set_src_caps_str(det.h, caps_string(16000).c_str()); /* identical caps */
  push_samples(det.h, std::vector<gint16>(speech.begin() + half, speech.end()), 16000, 160, true,
               gst_util_uint64_scale_int(half, GST_SECOND, 16000));
  gst_harness_push_event(det.h, gst_event_new_eos());
  const std::vector<Decision> messages = pop_messages(det.bus);
  fail_unless_equals_int(messages.size(), reference.size());
  for (std::size_t i = 0; i < messages.size(); i++) {
    fail_unless_equals_uint64(messages[i].stream_time, reference[i].stream_time);
    fail_unless_equals_uint64(messages[i].speech_end, reference[i].speech_end);
  }
}
GST_END_TEST;

/* A new segment in the middle of an utterance restarts timestamps at 0 but
 * continues running time: the turn goes on, decided on running time. */
GST_START_TEST(test_new_segment_mid_utterance_keeps_the_turn) {
  const std::vector<gint16> speech = voicekit::testing::load_raw_s16("goforward.raw");
  std::vector<gint16> padded(speech);
  padded.resize(speech.size() + 16000, 0); /* a second of silence after it */
  const std::vector<Decision> reference = reference_decisions(padded);
  fail_unless_equals_int(reference.size(), 2);

  Detector det("max-speech-duration=10000000000");
  const std::size_t cut = 32000; /* 2 s in: the voice (0.5 s to 2.2 s) is going on */
  push_samples(det.h, std::vector<gint16>(padded.begin(), padded.begin() + cut), 16000, 160);
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  segment.base = 2 * GST_SECOND; /* running time continues, timestamps restart */
  gst_harness_push_event(det.h, gst_event_new_segment(&segment));
  push_samples(det.h, std::vector<gint16>(padded.begin() + cut, padded.end()), 16000, 160);
  const std::vector<Decision> messages = pop_messages(det.bus);
  fail_unless_equals_int(messages.size(), 2);
  fail_unless_equals_string(messages[1].event.c_str(), "pause");
  /* same decision on the running-time axis as without the new segment */
  fail_unless(messages[1].running_time + 10 * GST_MSECOND >= reference[1].running_time &&
                  messages[1].running_time <= reference[1].running_time + 10 * GST_MSECOND,
              "pause at %" GST_TIME_FORMAT ", expected %" GST_TIME_FORMAT,
              GST_TIME_ARGS(messages[1].running_time), GST_TIME_ARGS(reference[1].running_time));
}
GST_END_TEST;

/* Speech right at a segment's start, padded back past it: speech-start is
 * reported at the segment's start, never as GST_CLOCK_TIME_NONE. */
GST_START_TEST(test_onset_padded_past_segment_start_is_clamped) {
  Detector det("speech-pad=1000000000");
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  segment.start = 10 * GST_SECOND;
  segment.time = 10 * GST_SECOND;
  gst_harness_push_event(det.h, gst_event_new_segment(&segment));
  push_samples(det.h, voicekit::testing::load_raw_s16("goforward.raw"), 16000, 160, true,
               10 * GST_SECOND);
  gst_harness_push_event(det.h, gst_event_new_eos());
  const std::vector<Decision> messages = pop_messages(det.bus);
  fail_unless(messages.size() >= 2);
  for (const Decision &m : messages) {
    fail_unless_equals_uint64(m.speech_start, 10 * GST_SECOND);
    fail_unless(m.stream_time > 10 * GST_SECOND && m.stream_time < 20 * GST_SECOND);
  }
}
GST_END_TEST;

GST_START_TEST(test_new_stream_closes_the_open_utterance) {
  Detector det;
  const std::vector<gint16> speech = voicekit::testing::load_raw_s16("goforward.raw");
  push_samples(det.h, std::vector<gint16>(speech.begin(), speech.begin() + 32000), 16000, 160);
  fail_unless_equals_int(pop_messages(det.bus).size(), 1); /* speech-start */
  gst_harness_push_event(det.h, gst_event_new_stream_start("next-track"));
  const std::vector<Decision> closing = pop_messages(det.bus);
  fail_unless_equals_int(closing.size(), 1);
  fail_unless_equals_string(closing[0].event.c_str(), "pause");
}
GST_END_TEST;

GST_START_TEST(test_huge_gap_returns_at_once) {
  Detector det;
  push_samples(det.h, voicekit::testing::load_raw_s16("goforward.raw"), 16000, 160);
  pop_messages(det.bus);
  const gint64 before = g_get_monotonic_time();
  gst_harness_push_event(det.h, gst_event_new_gap(3 * GST_SECOND, 1000 * 3600 * GST_SECOND));
  const gint64 took_us = g_get_monotonic_time() - before;
  fail_unless(took_us < 2 * G_USEC_PER_SEC, "a 1000-hour GAP took %" G_GINT64_FORMAT " us",
              took_us);
  /* and the timeline continues after it */
  std::vector<gint16> again = voicekit::testing::load_raw_s16("goforward.raw");
  const GstClockTime after_gap = 3 * GST_SECOND + 1000 * 3600 * GST_SECOND;
  push_samples(det.h, again, 16000, 160, false);
  const std::vector<Decision> messages = pop_messages(det.bus);
  fail_unless(!messages.empty());
  fail_unless(messages[0].stream_time > after_gap);
}
GST_END_TEST;

GST_START_TEST(test_non_time_segment_is_refused_and_the_old_one_kept) {
  Detector det;
  GstSegment bytes;
  gst_segment_init(&bytes, GST_FORMAT_BYTES);
  GstPad *sinkpad = gst_element_get_static_pad(det.element, "sink");
  fail_if(gst_pad_send_event(sinkpad, gst_event_new_segment(&bytes)));
  gst_object_unref(sinkpad);
  GstMessage *error = gst_bus_pop_filtered(det.bus, GST_MESSAGE_ERROR);
  fail_unless(error != nullptr);
  gst_message_unref(error);
  /* the TIME segment from before still applies: decisions as usual, no criticals */
  push_two_turns(det.h);
  expect_two_turns(pop_messages(det.bus));
}
GST_END_TEST;

/* ---- units: every duration is in nanoseconds ------------------------------- */

/* What a newcomer writes: milliseconds (or seconds) where nanoseconds go,
 * and what was meant. */
struct UnitMistake {
  const char *property;
  const char *written;
  guint64 meant;
};
static const UnitMistake kUnitMistakes[] = {
    {"min-silence-duration", "500", 500 * GST_MSECOND},
    {"min-speech-duration", "40", 40 * GST_MSECOND},
    {"speech-pad", "300", 300 * GST_MSECOND},
    {"max-speech-duration", "30", 30 * GST_SECOND},
    {"frame-duration", "20", 20 * GST_MSECOND},
};

static gboolean count_log(const gchar *, GLogLevelFlags, const gchar *, gpointer count) {
  (*static_cast<int *>(count))++;
  return TRUE; /* expected: not a failure */
}

static guint64 uint64_property(GstElement *element, const char *name) {
  guint64 value = 0;
  g_object_get(element, name, &value, nullptr);
  return value;
}

/* A value in the wrong unit gets GLib's out-of-range warning and the
 * property keeps its value, whichever way it is set: g_object_set(),
 * gst_util_set_object_arg() (gst-launch, the Python bindings' strings),
 * gst_parse_launch(). The meant value, in nanoseconds, is taken. */
GST_START_TEST(test_durations_in_another_unit_are_refused) {
  for (const UnitMistake &mistake : kUnitMistakes) {
    int warnings = 0;
    gchar *pattern = g_strdup_printf("\"%s\" of type 'guint64' is invalid or out of range for "
                                     "property '%s'",
                                     mistake.written, mistake.property);
    GstCheckLogFilter *filter = gst_check_add_log_filter(
        "GLib-GObject", G_LOG_LEVEL_WARNING,
        g_regex_new(pattern, G_REGEX_OPTIMIZE, static_cast<GRegexMatchFlags>(0), nullptr),
        count_log, &warnings, nullptr);
    g_free(pattern);

    GstElement *element = gst_element_factory_make("pausedetect", nullptr);
    const guint64 before = uint64_property(element, mistake.property);
    g_object_set(element, mistake.property,
                 static_cast<guint64>(g_ascii_strtoull(mistake.written, nullptr, 10)), nullptr);
    fail_unless_equals_int(warnings, 1);
    fail_unless_equals_uint64(uint64_property(element, mistake.property), before);
    gst_util_set_object_arg(G_OBJECT(element), mistake.property, mistake.written);
    fail_unless_equals_int(warnings, 2);
    fail_unless_equals_uint64(uint64_property(element, mistake.property), before);
    g_object_set(element, mistake.property, mistake.meant, nullptr);
    fail_unless_equals_uint64(uint64_property(element, mistake.property), mistake.meant);
    fail_unless_equals_int(warnings, 2);
    gst_object_unref(element);

    gchar *description = g_strdup_printf("pausedetect %s=%s", mistake.property, mistake.written);
    GError *error = nullptr;
    element = gst_parse_launch(description, &error);
    g_free(description);
    fail_unless(element != nullptr && error == nullptr);
    fail_unless_equals_int(warnings, 3);
    fail_unless_equals_uint64(uint64_property(element, mistake.property), before);
    gst_object_unref(element);
    gst_check_remove_log_filter(filter);
  }
}
GST_END_TEST;

/* 0 means "none" (speech-pad, max-speech-duration) or "the engine's"
 * (frame-duration), and the ends of every range are taken. */
GST_START_TEST(test_duration_ranges_keep_their_meaningful_values) {
  GstElement *element = gst_element_factory_make("pausedetect", nullptr);
  const std::pair<const char *, guint64> accepted[] = {
      {"speech-pad", 0},
      {"speech-pad", 10 * GST_MSECOND},
      {"speech-pad", 5 * GST_SECOND},
      {"max-speech-duration", 0},
      {"max-speech-duration", 100 * GST_MSECOND},
      {"max-speech-duration", G_MAXUINT64},
      {"frame-duration", 0},
      {"frame-duration", 10 * GST_MSECOND},
      {"frame-duration", 32 * GST_MSECOND},
      {"min-silence-duration", 10 * GST_MSECOND},
      {"min-silence-duration", 60 * GST_SECOND},
      {"min-speech-duration", 10 * GST_MSECOND},
      {"min-speech-duration", 10 * GST_SECOND},
  };
  for (const auto &[property, value] : accepted) {
    g_object_set(element, property, value, nullptr);
    fail_unless_equals_uint64(uint64_property(element, property), value);
  }
  /* above the ranges: refused too */
  int warnings = 0;
  GstCheckLogFilter *filter = gst_check_add_log_filter(
      "GLib-GObject", G_LOG_LEVEL_WARNING,
      g_regex_new("out of range for property", static_cast<GRegexCompileFlags>(0),
                  static_cast<GRegexMatchFlags>(0), nullptr),
      count_log, &warnings, nullptr);
  g_object_set(element, "frame-duration", 33 * GST_MSECOND, "speech-pad", 5 * GST_SECOND + 1,
               nullptr);
  fail_unless_equals_int(warnings, 2);
  fail_unless_equals_uint64(uint64_property(element, "frame-duration"), 32 * GST_MSECOND);
  fail_unless_equals_uint64(uint64_property(element, "speech-pad"), 5 * GST_SECOND);
  gst_check_remove_log_filter(filter);
  gst_object_unref(element);
}
GST_END_TEST;

/* The fields of the detector event stored on the harness's sink pad. */
struct DetectorEvent {
  std::string engine;
  guint64 frame_duration = 0;
};

static DetectorEvent detector_event(GstHarness *h) {
  GstStructure *fields = gst_voicekit_pad_get_turn_detector(h->sinkpad);
  fail_unless(fields != nullptr, "no GstVoiceKitTurnDetector event downstream");
  DetectorEvent event;
  event.engine = gst_structure_get_string(fields, "engine");
  fail_unless(gst_structure_get_uint64(fields, "frame-duration", &event.frame_duration));
  gst_structure_free(fields);
  return event;
}

/* end-threshold and frame-duration default to "the engine's" (-1, 0: what
 * gst-inspect shows) and read as the values in effect once the engine is
 * chosen; the detector event downstream says the same. */
static void expect_in_effect(const char *properties, const char *engine, gfloat end_threshold,
                             guint64 frame) {
  Detector det(properties);
  push_samples(det.h, std::vector<gint16>(1600, 0), 16000, 320);
  gfloat end = 0;
  guint64 frame_duration = 0;
  g_object_get(det.element, "end-threshold", &end, "frame-duration", &frame_duration, nullptr);
  fail_unless(std::fabs(end - end_threshold) < 1e-6f, "%s: end-threshold %f", properties, end);
  fail_unless_equals_uint64(frame_duration, frame);
  const DetectorEvent event = detector_event(det.h);
  fail_unless_equals_string(event.engine.c_str(), engine);
  fail_unless_equals_uint64(event.frame_duration, frame);
}

GST_START_TEST(test_engine_defaults_read_as_the_values_in_effect) {
  GstElement *fresh = gst_element_factory_make("pausedetect", nullptr);
  gfloat end_threshold = 0;
  guint64 frame = 1;
  g_object_get(fresh, "end-threshold", &end_threshold, "frame-duration", &frame, nullptr);
  fail_unless(end_threshold == -1.0f, "end-threshold %f before the start", end_threshold);
  fail_unless_equals_uint64(frame, 0);
  gst_object_unref(fresh);

  /* builtin (the tests' VOICEKIT_SILERO_MODEL names no file) */
  expect_in_effect("", "builtin", 0.1f, 10 * GST_MSECOND);
  expect_in_effect("frame-duration=20000000 end-threshold=0.3", "builtin", 0.3f, 20 * GST_MSECOND);
  const std::string silero =
      "engine=silero model-path=" + std::string(g_getenv("VOICEKIT_SILERO_MODEL_V5") != nullptr
                                                    ? g_getenv("VOICEKIT_SILERO_MODEL_V5")
                                                    : "(VOICEKIT_SILERO_MODEL_V5 is unset)");
  expect_in_effect(silero.c_str(), "silero", 0.35f, 32 * GST_MSECOND);
  expect_in_effect((silero + " frame-duration=10000000").c_str(), "silero", 0.35f,
                   10 * GST_MSECOND);
}
GST_END_TEST;

/* Properties set from another thread while buffers flow: no crash, no
 * torn settings (end-threshold above threshold is used as threshold), and
 * every decision still well formed. */
struct Hammer {
  GstElement *element;
  gint stop = 0;
  int sets = 0;
};

static gpointer hammer_properties(gpointer data) {
  auto *hammer = static_cast<Hammer *>(data);
  while (!g_atomic_int_get(&hammer->stop)) {
    const int i = hammer->sets++;
    g_object_set(
        hammer->element, "threshold", (i % 2) ? 0.5f : 0.7f, "end-threshold", (i % 3) ? 0.1f : 0.9f,
        "min-silence-duration", static_cast<guint64>((i % 4 + 2) * 100 * GST_MSECOND), "speech-pad",
        static_cast<guint64>((i % 5) * 100 * GST_MSECOND), "post-messages", i % 7 != 0, nullptr);
    g_usleep(100);
  }
  return nullptr;
}

GST_START_TEST(test_properties_change_while_streaming) {
  Detector det;
  Hammer hammer{det.element};
  GThread *thread = g_thread_new("hammer", hammer_properties, &hammer);
  const std::vector<gint16> speech = two_turns(16000);
  for (int round = 0; round < 5; round++)
    push_samples(det.h, speech, 16000, 160, true,
                 gst_util_uint64_scale_int(round * speech.size(), GST_SECOND, 16000));
  g_atomic_int_set(&hammer.stop, 1);
  g_thread_join(thread);
  fail_unless(hammer.sets > 10, "only %d property changes", hammer.sets);
  const std::vector<Decision> events = pull_turn_events(det.h);
  fail_unless(!events.empty());
  guint64 last_time = 0;
  for (std::size_t i = 0; i < events.size(); i++) {
    const Decision &d = events[i];
    fail_unless(d.event == (i % 2 == 0 ? "speech-start" : "pause"), "event %zu is %s", i,
                d.event.c_str());
    fail_unless_equals_uint64(d.utterance, i / 2 + 1);
    fail_unless(d.stream_time >= last_time);
    fail_unless(d.speech_start <= d.stream_time);
    last_time = d.stream_time;
  }
}
GST_END_TEST;

/* ---- the silero engine ------------------------------------------------------ */

/* The model files scripts/common.sh fetches; CI always has them, so a missing
 * variable fails the test instead of skipping it. */
static std::string model_from_env(const char *variable) {
  const gchar *path = g_getenv(variable);
  fail_unless(path != nullptr && g_file_test(path, G_FILE_TEST_IS_REGULAR),
              "%s does not name the Silero model (run ./scripts/test, which fetches it)", variable);
  return path;
}

static std::string engine_in_use(GstElement *element) {
  gchar *name = nullptr;
  g_object_get(element, "engine-in-use", &name, nullptr);
  std::string result = name != nullptr ? name : "";
  g_free(name);
  return result;
}

GST_START_TEST(test_silero_finds_both_turns) {
  for (const char *variable : {"VOICEKIT_SILERO_MODEL_V5", "VOICEKIT_SILERO_MODEL_V6"}) {
    for (int rate : {16000, 48000, 8000}) {
      const std::string properties = "engine=silero model-path=" + model_from_env(variable);
      Detector det(properties.c_str(), rate);
      fail_unless(engine_in_use(det.element) == "silero", "engine in use: %s",
                  engine_in_use(det.element).c_str());
      /* Silero's own end rule: threshold - 0.15 */
      gfloat end_threshold = 0;
      g_object_get(det.element, "end-threshold", &end_threshold, nullptr);
      fail_unless(std::fabs(end_threshold - 0.35f) < 1e-6f, "end-threshold %f", end_threshold);
      push_samples(det.h, two_turns(rate), rate, static_cast<std::size_t>(rate / 50));
      gst_harness_push_event(det.h, gst_event_new_eos());
      const std::vector<Decision> messages = pop_messages(det.bus);
      expect_two_turns(messages);
      fail_unless(messages[0].speech_start > 1500 * GST_MSECOND &&
                      messages[0].speech_start < 2100 * GST_MSECOND,
                  "%s at %d Hz: onset at %" GST_TIME_FORMAT, variable, rate,
                  GST_TIME_ARGS(messages[0].speech_start));
    }
  }
}
GST_END_TEST;

/* The debug text of the error that fails READY->PAUSED of "pausedetect
 * `properties`". */
static std::string state_change_error(const char *properties) {
  gchar *description = g_strdup_printf("pausedetect %s", properties);
  GstElement *element = gst_parse_launch(description, nullptr);
  g_free(description);
  fail_unless(element != nullptr);
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(element, bus);
  fail_unless_equals_int(gst_element_set_state(element, GST_STATE_PAUSED),
                         GST_STATE_CHANGE_FAILURE);
  GstMessage *message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  fail_unless(message != nullptr, "no error message for pausedetect %s", properties);
  GError *error = nullptr;
  gchar *debug = nullptr;
  gst_message_parse_error(message, &error, &debug);
  const std::string text = debug != nullptr ? debug : "";
  g_error_free(error);
  g_free(debug);
  gst_message_unref(message);
  gst_element_set_state(element, GST_STATE_NULL);
  gst_element_set_bus(element, nullptr);
  gst_object_unref(bus);
  gst_object_unref(element);
  return text;
}

/* A broken model fails READY->PAUSED with an error naming the file. */
static void expect_model_error(const std::string &model, const char *expected_words) {
  gchar *properties = g_strdup_printf("engine=silero model-path=\"%s\"", model.c_str());
  const std::string debug = state_change_error(properties);
  g_free(properties);
  fail_unless(debug.find(model) != std::string::npos, "the error does not name %s: %s",
              model.c_str(), debug.c_str());
  fail_unless(debug.find(expected_words) != std::string::npos || expected_words[0] == '\0',
              "the error for %s does not say '%s': %s", model.c_str(), expected_words,
              debug.c_str());
}

GST_START_TEST(test_silero_bad_model_files_fail_the_state_change) {
  const std::string model = model_from_env("VOICEKIT_SILERO_MODEL_V5");
  gchar *contents = nullptr;
  gsize size = 0;
  fail_unless(g_file_get_contents(model.c_str(), &contents, &size, nullptr));
  gchar *dir = g_dir_make_tmp("pausedetect-XXXXXX", nullptr);
  const std::string truncated = std::string(dir) + "/truncated.onnx";
  const std::string garbage = std::string(dir) + "/garbage.onnx";
  const std::string empty = std::string(dir) + "/empty.onnx";
  fail_unless(
      g_file_set_contents(truncated.c_str(), contents, static_cast<gssize>(size / 2), nullptr));
  std::string noise(4096, '\0');
  for (std::size_t i = 0; i < noise.size(); i++)
    noise[i] = static_cast<char>((i * 2654435761u) >> 13);
  fail_unless(g_file_set_contents(garbage.c_str(), noise.data(), static_cast<gssize>(noise.size()),
                                  nullptr));
  fail_unless(g_file_set_contents(empty.c_str(), "", 0, nullptr));
  expect_model_error(std::string(dir) + "/missing.onnx", "");
  /* Silero v4 (its graph and weights differ): the wrong version */
  expect_model_error(model_from_env("VOICEKIT_SILERO_MODEL_V4"), "not a Silero VAD v5/v6 model");
  expect_model_error(truncated, "");
  expect_model_error(garbage, "");
  expect_model_error(empty, "");
  for (const std::string &file : {truncated, garbage, empty})
    g_unlink(file.c_str());
  g_rmdir(dir);
  g_free(dir);
  g_free(contents);
}
GST_END_TEST;

GST_START_TEST(test_auto_picks_silero_only_when_the_model_is_there) {
  const std::string model = model_from_env("VOICEKIT_SILERO_MODEL_V5");
  const std::string saved =
      g_getenv("VOICEKIT_SILERO_MODEL") ? g_getenv("VOICEKIT_SILERO_MODEL") : "";
  g_setenv("VOICEKIT_SILERO_MODEL", model.c_str(), TRUE);
  {
    Detector det;
    fail_unless(engine_in_use(det.element) == "silero", "engine in use: %s",
                engine_in_use(det.element).c_str());
  }
  g_setenv("VOICEKIT_SILERO_MODEL", "/nonexistent/silero_vad.onnx", TRUE);
  {
    Detector det;
    fail_unless(engine_in_use(det.element) == "builtin", "engine in use: %s",
                engine_in_use(det.element).c_str());
    gfloat end_threshold = 0;
    g_object_get(det.element, "end-threshold", &end_threshold, nullptr);
    fail_unless(std::fabs(end_threshold - 0.1f) < 1e-6f);
  }
  {
    /* an explicit model-path wins over the variable */
    const std::string properties = "model-path=" + model;
    Detector det(properties.c_str());
    fail_unless(engine_in_use(det.element) == "silero", "engine in use: %s",
                engine_in_use(det.element).c_str());
  }
  {
    Detector det("engine=builtin");
    fail_unless(engine_in_use(det.element) == "builtin", "engine in use: %s",
                engine_in_use(det.element).c_str());
  }
  if (saved.empty())
    g_unsetenv("VOICEKIT_SILERO_MODEL");
  else
    g_setenv("VOICEKIT_SILERO_MODEL", saved.c_str(), TRUE);
}
GST_END_TEST;

/* Sets environment variables for a scope, and puts them back after it. */
class ScopedEnvironment {
public:
  ~ScopedEnvironment() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second)
        g_setenv(it->first.c_str(), it->second->c_str(), TRUE);
      else
        g_unsetenv(it->first.c_str());
    }
  }
  void set(const char *name, const std::string &value) {
    save(name);
    g_setenv(name, value.c_str(), TRUE);
  }
  void unset(const char *name) {
    save(name);
    g_unsetenv(name);
  }

private:
  void save(const char *name) {
    const gchar *value = g_getenv(name);
    saved_.emplace_back(name, value != nullptr ? std::optional<std::string>(value) : std::nullopt);
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

static std::string engine_announced(const char *properties = "") {
  Detector det(properties);
  push_samples(det.h, std::vector<gint16>(1600, 0), 16000, 320);
  const std::string engine = engine_in_use(det.element);
  const std::string announced = detector_event(det.h).engine; /* outlives the macro's strcmp */
  fail_unless_equals_string(announced.c_str(), engine.c_str());
  return engine;
}

/* The engine announced, kept in a variable: the macro's strcmp runs after the
 * statement that would make a temporary string (ASan: stack-use-after-scope). */
#define EXPECT_ENGINE(expected)                                                                    \
  do {                                                                                             \
    const std::string announced_engine = engine_announced();                                       \
    fail_unless_equals_string(announced_engine.c_str(), expected);                                 \
  } while (0)

/* engine=auto does not depend on whose home directory the process has: a
 * service account with an empty home gets Silero through the environment
 * (or the data directory: tests/gst/test-engines.cpp); the user's cache is
 * the last place searched; a variable naming a missing file means no Silero
 * (the search stops there) and, for engine=silero, an error naming it. */
GST_START_TEST(test_auto_chooses_the_same_engine_under_any_home) {
  const std::string model = model_from_env("VOICEKIT_SILERO_MODEL_V5");
  gchar *empty_home = g_dir_make_tmp("pausedetect-home-XXXXXX", nullptr);
  gchar *user_home = g_dir_make_tmp("pausedetect-home-XXXXXX", nullptr);
  const std::string cache = std::string(user_home) + "/.cache/gst-voicekit/models";
  fail_unless(g_mkdir_with_parents(cache.c_str(), 0700) == 0);
  const std::string cached = cache + "/silero_vad.onnx";
  fail_unless(symlink(model.c_str(), cached.c_str()) == 0);
  const std::string missing = std::string(empty_home) + "/missing.onnx";
  {
    ScopedEnvironment environment;
    environment.unset("XDG_CACHE_HOME");
    environment.set("HOME", empty_home);
    environment.set("VOICEKIT_SILERO_MODEL", model);
    EXPECT_ENGINE("silero");

    environment.set("HOME", user_home);
    environment.unset("VOICEKIT_SILERO_MODEL");
    EXPECT_ENGINE("silero");

    environment.set("VOICEKIT_SILERO_MODEL", missing);
    EXPECT_ENGINE("builtin");
    const std::string error = state_change_error("engine=silero");
    fail_unless(error.find(missing + " (VOICEKIT_SILERO_MODEL") != std::string::npos,
                "the error does not name %s from VOICEKIT_SILERO_MODEL: %s", missing.c_str(),
                error.c_str());
  }
  g_unlink(cached.c_str());
  for (const char *dir : {"/.cache/gst-voicekit/models", "/.cache/gst-voicekit", "/.cache", ""})
    g_rmdir((std::string(user_home) + dir).c_str());
  g_rmdir(empty_home);
  g_free(empty_home);
  g_free(user_home);
}
GST_END_TEST;

GST_START_TEST(test_engine_change_while_playing_is_refused) {
  Detector det("engine=builtin");
  push_samples(det.h, std::vector<gint16>(1600, 0), 16000, 320);
  g_object_set(det.element, "engine", 2 /* silero */, "model-path", "/elsewhere.onnx", nullptr);
  GstMessage *warning = gst_bus_pop_filtered(det.bus, GST_MESSAGE_WARNING);
  fail_unless(warning != nullptr, "no warning for a refused engine change");
  gst_message_unref(warning);
  gint engine = -1;
  gchar *path = nullptr;
  g_object_get(det.element, "engine", &engine, "model-path", &path, nullptr);
  fail_unless_equals_int(engine, 1 /* builtin */);
  fail_unless(path == nullptr, "model-path changed to %s", path);
  fail_unless(engine_in_use(det.element) == "builtin", "engine in use: %s",
              engine_in_use(det.element).c_str());
  /* decisions go on with the engine that runs */
  push_samples(det.h, two_turns(16000), 16000, 320, true, 100 * GST_MSECOND);
  gst_harness_push_event(det.h, gst_event_new_eos());
  expect_two_turns(pop_messages(det.bus));
}
GST_END_TEST;

static Suite *pausedetect_suite(void) {
  Suite *suite = suite_create("pausedetect");
  TCase *contract = tcase_create("contract");
  suite_add_tcase(suite, contract);
  tcase_set_timeout(contract, 120);
  tcase_add_test(contract, test_messages_and_events_on_real_speech);
  tcase_add_test(contract, test_event_follows_its_buffer);
  tcase_add_test(contract, test_passthrough_keeps_samples_and_metas);
  tcase_add_test(contract, test_webrtc_id_from_the_session);
  tcase_add_test(contract, test_no_session_no_webrtc_id);
  tcase_add_test(contract, test_segment_gives_running_and_stream_time);
  tcase_add_test(contract, test_eos_during_speech_posts_pause_first);
  tcase_add_test(contract, test_flush_resets);

  TCase *properties = tcase_create("properties");
  suite_add_tcase(suite, properties);
  tcase_set_timeout(properties, 120);
  tcase_add_test(properties, test_post_messages_false_keeps_events);
  tcase_add_test(properties, test_properties_round_trip_and_apply_while_playing);
  tcase_add_test(properties, test_speech_pad_shifts_the_onset);
  tcase_add_test(properties, test_max_speech_duration_forces_pauses);
  tcase_add_test(properties, test_frame_duration_and_thresholds_change_decisions);
  tcase_add_test(properties, test_properties_change_while_streaming);
  tcase_add_test(properties, test_durations_in_another_unit_are_refused);
  tcase_add_test(properties, test_duration_ranges_keep_their_meaningful_values);

  TCase *bad = tcase_create("bad-input");
  suite_add_tcase(suite, bad);
  tcase_set_timeout(bad, 120);
  tcase_add_test(bad, test_nan_and_inf_are_silence);
  tcase_add_test(bad, test_one_sample_and_ten_second_buffers);
  tcase_add_test(bad, test_missing_timestamps_come_from_sample_counts);
  tcase_add_test(bad, test_gap_events_count_as_silence);
  tcase_add_test(bad, test_rate_change_mid_stream);
  tcase_add_test(bad, test_non_audio_caps_fail_to_link);
  tcase_add_test(bad, test_buffer_without_caps_is_refused_with_an_error);
  tcase_add_test(bad, test_odd_sized_buffers);
  tcase_add_test(bad, test_state_changes_any_time);
  tcase_add_test(bad, test_same_caps_again_changes_nothing);
  tcase_add_test(bad, test_new_segment_mid_utterance_keeps_the_turn);
  tcase_add_test(bad, test_onset_padded_past_segment_start_is_clamped);
  tcase_add_test(bad, test_new_stream_closes_the_open_utterance);
  tcase_add_test(bad, test_huge_gap_returns_at_once);
  tcase_add_test(bad, test_non_time_segment_is_refused_and_the_old_one_kept);

  TCase *silero = tcase_create("silero");
  suite_add_tcase(suite, silero);
  tcase_set_timeout(silero, 120);
  tcase_add_test(silero, test_silero_finds_both_turns);
  tcase_add_test(silero, test_silero_bad_model_files_fail_the_state_change);
  tcase_add_test(silero, test_auto_picks_silero_only_when_the_model_is_there);
  tcase_add_test(silero, test_engine_change_while_playing_is_refused);
  tcase_add_test(silero, test_engine_defaults_read_as_the_values_in_effect);
  tcase_add_test(silero, test_auto_chooses_the_same_engine_under_any_home);
  return suite;
}

GST_CHECK_MAIN(pausedetect);

/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * replyonpause's input side: utterances, turns, sessions. See reply-input.hpp.
 */
#include "reply-input.hpp"

#include "element-util.hpp"

#include <gst/voicekit/voicekit.h>

#include <algorithm>

#define GST_CAT_DEFAULT gst_voicekit_reply_on_pause_debug

namespace voicekit::replyonpause {

/* Pre-roll before pausedetect's settings are known, and on top of them. */
constexpr GstClockTime DEFAULT_PREROLL = GST_SECOND;
constexpr GstClockTime PREROLL_MARGIN = 200 * GST_MSECOND;
/* Output span when the input gives no duration to mirror. */
constexpr GstClockTime DEFAULT_SPAN = 20 * GST_MSECOND;
/* Input overlapping what came before by up to this (timestamp jitter) is
 * absorbed; further back is a discontinuity (audiobasesink's default
 * alignment threshold). */
constexpr GstClockTime MAX_OVERLAP = 40 * GST_MSECOND;

ReplyInput::ReplyInput(const ReplyHost &host, ReplyHandlers &handlers, ReplyOutput &output)
    : host_(host), handlers_(handlers), output_(output), preroll_(DEFAULT_PREROLL),
      span_(DEFAULT_SPAN) {
  gst_audio_info_init(&info_);
  gst_segment_init(&segment_, GST_FORMAT_TIME);
}

ReplyInput::~ReplyInput() {
  if (session_ != nullptr)
    gst_voicekit_session_context_unref(session_);
}

InputPosition ReplyInput::position() const {
  return InputPosition{&info_, &segment_, end_, span_, live_, session_};
}

/* ---- format, liveness, detector ---------------------------------------------- */

bool ReplyInput::set_caps(GstCaps *caps, const Settings &settings) {
  GstAudioInfo info;
  if (!gst_audio_info_from_caps(&info, caps)) {
    GST_ELEMENT_ERROR(host_.element, CORE, NEGOTIATION, ("Cannot take this audio format"),
                      ("caps %" GST_PTR_FORMAT "; replyonpause needs " VOICEKIT_VOICE_AUDIO_CAPS,
                       static_cast<void *>(caps)));
    return false;
  }
  if (has_caps_ && gst_audio_info_is_equal(&info, &info_))
    return true;
  /* A new input format: an utterance being collected cannot continue. */
  info_ = info;
  has_caps_ = true;
  collector_.configure(GST_AUDIO_INFO_RATE(&info), GST_AUDIO_INFO_BPF(&info), preroll_,
                       settings.max_utterance);
  detector_seen_ = false;
  output_.input_format_changed();
  return true;
}

bool ReplyInput::set_segment(const GstSegment &segment) {
  if (segment.format != GST_FORMAT_TIME) {
    GST_ELEMENT_ERROR(host_.element, CORE, NEGOTIATION, ("Need a segment in TIME format"),
                      ("got a %s segment", gst_format_get_name(segment.format)));
    return false;
  }
  segment_ = segment;
  return true;
}

void ReplyInput::check_liveness() {
  if (live_known_)
    return;
  GstQuery *query = gst_query_new_latency();
  gboolean live = FALSE;
  if (gst_pad_peer_query(host_.sinkpad, query))
    gst_query_parse_latency(query, &live, nullptr, nullptr);
  gst_query_unref(query);
  live_ = live;
  live_known_ = true;
  GST_INFO_OBJECT(host_.element, "upstream is %s",
                  live ? "live: silence fills while handlers work"
                       : "not live: the output waits for handlers");
}

/* Sizes the pre-roll from pausedetect's settings. */
void ReplyInput::read_detector(const Settings &settings) {
  GstStructure *detector = gst_voicekit_pad_get_turn_detector(host_.sinkpad);
  detector_seen_ = detector != nullptr;
  if (detector == nullptr)
    return;
  guint64 pad = 0, min_speech = 0, frame = 0;
  gst_structure_get_uint64(detector, "speech-pad", &pad);
  gst_structure_get_uint64(detector, "min-speech-duration", &min_speech);
  gst_structure_get_uint64(detector, "frame-duration", &frame);
  gst_structure_free(detector);
  preroll_ = pad + min_speech + 2 * frame + PREROLL_MARGIN;
  collector_.set_limits(preroll_, settings.max_utterance);
}

/* ---- audio ------------------------------------------------------------------ */

GstFlowReturn ReplyInput::chain(GstBuffer *buffer, const Settings &settings) {
  if (!has_caps_) {
    GST_ELEMENT_ERROR(host_.element, CORE, NEGOTIATION, ("No audio format was negotiated"),
                      ("replyonpause needs " VOICEKIT_VOICE_AUDIO_CAPS));
    gst_buffer_unref(buffer);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (!detector_seen_) {
    read_detector(settings);
    if (!detector_seen_) {
      GST_ELEMENT_ERROR(host_.element, CORE, FAILED, ("replyonpause needs pausedetect upstream"),
                        ("no turn detector event (" GST_VOICEKIT_TURN_DETECTOR_EVENT_NAME
                         ") came before the first buffer: link `pausedetect ! replyonpause`"));
      gst_buffer_unref(buffer);
      return GST_FLOW_ERROR;
    }
  }
  check_liveness();

  const gsize frames = gst_buffer_get_size(buffer) / static_cast<gsize>(GST_AUDIO_INFO_BPF(&info_));
  const GstClockTime duration =
      gst_util_uint64_scale_int(frames, GST_SECOND, GST_AUDIO_INFO_RATE(&info_));
  const GstClockTime start = GST_BUFFER_PTS_IS_VALID(buffer)
                                 ? element::running_time_saturated(segment_, GST_BUFFER_PTS(buffer))
                                 : (end_ != GST_CLOCK_TIME_NONE ? end_ : 0);

  GstVoiceKitSessionContext *context = element::session_of(host_.sinkpad, buffer);
  update_session(context, settings);
  if (context != nullptr)
    gst_voicekit_session_context_unref(context);

  if (ignored_utterance_ == 0 || collector_.collecting()) {
    GstMapInfo map;
    if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
      collector_.push(start, map.data, frames);
      gst_buffer_unmap(buffer, &map);
    }
  }
  gst_buffer_unref(buffer);
  if (duration > 0)
    span_ = duration;
  advance(start, element::time_add(start, duration), false, settings);
  return output_.drive(Drive::kInput, position(), settings);
}

/* The output fills silence up to where the input stands, and a hostile or
 * broken timeline (a timestamp or segment base near G_MAXUINT64, a base of a
 * million seconds) would make that almost forever: a jump forward beyond
 * max-gap, or back beyond MAX_OVERLAP, is a discontinuity instead. So is a
 * GAP longer than max-gap. */
void ReplyInput::advance(GstClockTime start, GstClockTime end, bool gap, const Settings &settings) {
  if (end_ != GST_CLOCK_TIME_NONE && ((start > end_ && start - end_ > settings.max_gap) ||
                                      (start < end_ && end_ - start > MAX_OVERLAP))) {
    GST_WARNING_OBJECT(host_.element,
                       "input timeline jumps by %s%" GST_TIME_FORMAT " (max-gap %" GST_TIME_FORMAT
                       "): a discontinuity, nothing filled",
                       start < end_ ? "-" : "+", GST_TIME_ARGS(element::time_distance(start, end_)),
                       GST_TIME_ARGS(settings.max_gap));
    output_.discontinuity(start);
    end_ = start;
  }
  if (gap && end > start && end - start > settings.max_gap) {
    GST_WARNING_OBJECT(host_.element,
                       "a GAP of %" GST_TIME_FORMAT " (max-gap %" GST_TIME_FORMAT
                       "): a discontinuity, nothing filled",
                       GST_TIME_ARGS(end - start), GST_TIME_ARGS(settings.max_gap));
    output_.discontinuity(end);
  }
  if (end_ == GST_CLOCK_TIME_NONE || end > end_)
    end_ = end;
}

GstFlowReturn ReplyInput::gap(GstEvent *event, const Settings &settings) {
  GstClockTime timestamp, duration;
  gst_event_parse_gap(event, &timestamp, &duration);
  if (GST_CLOCK_TIME_IS_VALID(timestamp) && GST_CLOCK_TIME_IS_VALID(duration)) {
    const GstClockTime start = element::running_time_saturated(segment_, timestamp);
    const GstClockTime end =
        element::running_time_saturated(segment_, element::time_add(timestamp, duration));
    advance(start, std::max(start, end), true, settings);
  }
  return output_.drive(Drive::kInput, position(), settings);
}

void ReplyInput::eos(const Settings &settings) {
  if (host_.registry->current() && has_caps_)
    output_.drive(Drive::kDrain, position(), settings);
}

/* ---- sessions ----------------------------------------------------------------- */

/* A new webrtc-id on the input: a reply to the previous session stops, and
 * the application may greet the new one. */
void ReplyInput::update_session(GstVoiceKitSessionContext *context, const Settings &settings) {
  if (context == nullptr)
    return;
  const char *id = gst_voicekit_session_context_get_webrtc_id(context);
  if (session_ != nullptr && session_id_ == id)
    return;
  const bool first = session_ == nullptr;
  if (session_ != nullptr)
    gst_voicekit_session_context_unref(session_);
  session_ = gst_voicekit_session_context_ref(context);
  session_id_ = id;
  GST_INFO_OBJECT(host_.element, "session %s starts", id);
  if (!first)
    host_.registry->cancel_current();
  if (!g_signal_has_handler_pending(host_.element, host_.greeting_signal, 0, FALSE))
    return;
  ReplyPtr greeting =
      make_reply(numbers_.for_greeting(), &handlers_.greeting(),
                 gst_voicekit_session_context_ref(context), g_get_monotonic_time(), settings);
  greeting->greeting = true;
  if (ReplyPtr previous = host_.registry->replace(greeting))
    host_.registry->cancel(previous);
  start_worker(host_, greeting, nullptr, settings);
}

/* ---- turns -------------------------------------------------------------------- */

bool ReplyInput::turn_event(GstEvent *event, const Settings &settings, GstFlowReturn *ret) {
  GstVoiceKitTurnEventType type;
  guint64 number = 0;
  GstClockTime decision, onset_stream, end_stream;
  GstVoiceKitSessionContext *context = nullptr;
  if (!gst_voicekit_event_parse_turn(event, &type, &number, &decision, nullptr, &onset_stream,
                                     &end_stream, &context))
    return false;
  *ret = GST_FLOW_OK;
  number = numbers_.of_utterance(number);
  if (has_caps_) {
    const GstClockTime onset = element::running_time_of_stream_time(segment_, onset_stream);
    if (type == GST_VOICEKIT_TURN_EVENT_SPEECH_START)
      on_speech_start(number, decision, onset, settings);
    else
      *ret = on_pause(number, decision, onset, context, settings);
  }
  if (context != nullptr)
    gst_voicekit_session_context_unref(context);
  return true;
}

void ReplyInput::interrupt(const ReplyPtr &reply, GstClockTime decision, const Settings &settings) {
  host_.registry->cancel(reply);
  post_message(host_.element, settings, segment_, "reply-interrupted", reply->utterance,
               reply->context, decision, nullptr);
}

/* The user started speaking: a reply in flight stops (or, with
 * can-interrupt=false, this utterance is ignored). */
void ReplyInput::on_speech_start(guint64 number, GstClockTime decision, GstClockTime onset,
                                 const Settings &settings) {
  if (ReplyPtr reply = host_.registry->current()) {
    if (!settings.can_interrupt) {
      GST_DEBUG_OBJECT(host_.element, "utterance %" G_GUINT64_FORMAT " during a reply: ignored",
                       number);
      ignored_utterance_ = number;
      return;
    }
    GST_DEBUG_OBJECT(host_.element,
                     "utterance %" G_GUINT64_FORMAT " interrupts the reply to %" G_GUINT64_FORMAT,
                     number, reply->utterance);
    interrupt(reply, decision, settings);
  }
  ignored_utterance_ = 0;
  /* max-utterance-duration may have changed while PLAYING: from this one on */
  collector_.set_limits(preroll_, settings.max_utterance);
  collector_.begin(onset);
}

GstSample *ReplyInput::utterance_sample(guint64 number, reply::Utterance &utterance,
                                        GstVoiceKitSessionContext *context) const {
  const GstClockTime start = utterance.start_ns;
  GstBuffer *buffer = element::buffer_of_vector(std::move(utterance.data));
  GST_BUFFER_PTS(buffer) = start;
  GST_BUFFER_DURATION(buffer) = gst_util_uint64_scale_int(
      gst_buffer_get_size(buffer) / static_cast<gsize>(GST_AUDIO_INFO_BPF(&info_)), GST_SECOND,
      GST_AUDIO_INFO_RATE(&info_));
  if (context != nullptr)
    gst_voicekit_buffer_set_session_context(buffer, context);
  GstCaps *caps = gst_audio_info_to_caps(&info_);
  GstStructure *info = gst_structure_new("utterance", "utterance", G_TYPE_UINT64, number,
                                         "truncated", G_TYPE_BOOLEAN, utterance.truncated, nullptr);
  if (context != nullptr)
    gst_structure_set(info, "webrtc-id", G_TYPE_STRING,
                      gst_voicekit_session_context_get_webrtc_id(context), nullptr);
  GstSample *sample = gst_sample_new(buffer, caps, nullptr, info);
  gst_caps_unref(caps);
  gst_buffer_unref(buffer);
  return sample;
}

/* The user paused: the utterance goes to the handler. */
GstFlowReturn ReplyInput::on_pause(guint64 number, GstClockTime decision, GstClockTime onset,
                                   GstVoiceKitSessionContext *event_context,
                                   const Settings &settings) {
  const gint64 decided_us = g_get_monotonic_time(); /* the pause reached us */
  if (ignored_utterance_ != 0 && number == ignored_utterance_) {
    GST_DEBUG_OBJECT(host_.element, "utterance %" G_GUINT64_FORMAT " came during a reply: ignored",
                     number);
    ignored_utterance_ = 0;
    collector_.reset();
    return GST_FLOW_OK;
  }
  if (ReplyPtr busy = host_.registry->current()) {
    /* A reply (a greeting) still plays and this utterance's speech-start
     * came before it: the usual rule applies now. */
    if (!settings.can_interrupt) {
      GST_DEBUG_OBJECT(host_.element,
                       "utterance %" G_GUINT64_FORMAT " ended during a reply: ignored", number);
      collector_.reset();
      return GST_FLOW_OK;
    }
    interrupt(busy, decision, settings);
  }
  reply::Utterance utterance = collector_.finish(onset, decision);
  if (utterance.data.empty()) {
    GST_DEBUG_OBJECT(host_.element, "utterance %" G_GUINT64_FORMAT " has no audio here", number);
    return GST_FLOW_OK;
  }
  GstVoiceKitSessionContext *context = event_context != nullptr
                                           ? gst_voicekit_session_context_ref(event_context)
                                           : element::session_of(host_.sinkpad, nullptr);
  const bool truncated = utterance.truncated;
  GstSample *sample = utterance_sample(number, utterance, context);
  const GstClockTime duration = GST_BUFFER_DURATION(gst_sample_get_buffer(sample));

  ReplyHandler &handler = handlers_.of_kind(settings.handler);
  ReplyPtr reply = make_reply(number, &handler, context, decided_us, settings);
  GST_DEBUG_OBJECT(host_.element,
                   "utterance %" G_GUINT64_FORMAT ": %" GST_TIME_FORMAT " to the handler", number,
                   GST_TIME_ARGS(duration));
  post_message(host_.element, settings, segment_, "utterance", number, context, decision,
               "duration", G_TYPE_UINT64, duration, "truncated", G_TYPE_BOOLEAN,
               static_cast<gboolean>(truncated), nullptr);

  const bool needs_worker = handler.prepare(*reply, sample);
  if (ReplyPtr previous = host_.registry->replace(reply))
    host_.registry->cancel(previous);
  if (needs_worker)
    start_worker(host_, reply, sample, settings);
  gst_sample_unref(sample);
  return output_.drive(Drive::kInput, position(), settings);
}

/* ---- restarts ----------------------------------------------------------------- */

void ReplyInput::reset_streaming() {
  host_.registry->cancel_current();
  collector_.reset();
  end_ = GST_CLOCK_TIME_NONE;
  ignored_utterance_ = 0;
  live_known_ = false;
  gst_segment_init(&segment_, GST_FORMAT_TIME);
  output_.restart();
}

void ReplyInput::stream_start() {
  collector_.reset();
  numbers_.detector_restarts();
}

void ReplyInput::flush_stop() {
  reset_streaming();
  numbers_.detector_restarts();
}

void ReplyInput::start() {
  reset_streaming();
  numbers_.detector_restarts();
  detector_seen_ = false;
}

void ReplyInput::stop() {
  reset_streaming();
  output_.stop();
  has_caps_ = false;
  detector_seen_ = false;
  session_id_.clear();
  if (session_ != nullptr)
    gst_voicekit_session_context_unref(session_);
  session_ = nullptr;
}

} /* namespace voicekit::replyonpause */

/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * replyonpause's input side: collects utterances from the input audio,
 * follows pausedetect's turn events and the session, and starts replies
 * (handing each utterance to its handler, stopping a reply the user speaks
 * over, greeting a new session). Streaming thread of `sink` only.
 */
#ifndef PLUGINS_VOICEKIT_REPLY_INPUT_HPP
#define PLUGINS_VOICEKIT_REPLY_INPUT_HPP

#include "reply-handler.hpp"
#include "reply-output.hpp"
#include "reply.hpp"

#include <gst/audio/audio.h>
#include <gst/gst.h>
#include <gst/reply/collector.hpp>
#include <gst/reply/numbers.hpp>

#include <string>

namespace voicekit::replyonpause {

class ReplyInput {
public:
  ReplyInput(const ReplyHost &host, ReplyHandlers &handlers, ReplyOutput &output);
  ~ReplyInput();
  ReplyInput(const ReplyInput &) = delete;
  ReplyInput &operator=(const ReplyInput &) = delete;

  /* Input audio: collected, and the output follows it. */
  GstFlowReturn chain(GstBuffer *buffer, const Settings &settings);

  bool has_caps() const { return has_caps_; }

  /* Serialized events of `sink`. Each returns false on an error it posted. */
  bool set_caps(GstCaps *caps, const Settings &settings);
  bool set_segment(const GstSegment &segment);
  /* False when `event` is no turn event; else *ret is the output's flow. */
  bool turn_event(GstEvent *event, const Settings &settings, GstFlowReturn *ret);
  GstFlowReturn gap(GstEvent *event, const Settings &settings);
  /* The reply in flight plays out first (bounded by handler-timeout). */
  void eos(const Settings &settings);
  /* pausedetect's settings changed: read again before the next buffer. */
  void detector_changed() { detector_seen_ = false; }
  /* The detector counts from 1 again. */
  void stream_start();
  void flush_stop();

  /* READY->PAUSED, and PAUSED->READY (once the pads stopped). */
  void start();
  void stop();

private:
  InputPosition position() const;
  /* The input reached [start, end) (a buffer, or a GAP when `gap`): moves
   * end_, or starts the output again where a jump makes it discontinuous. */
  void advance(GstClockTime start, GstClockTime end, bool gap, const Settings &settings);
  void reset_streaming();
  void check_liveness();
  void read_detector(const Settings &settings);
  void update_session(GstVoiceKitSessionContext *context, const Settings &settings);
  GstSample *utterance_sample(guint64 number, reply::Utterance &utterance,
                              GstVoiceKitSessionContext *context) const;
  void on_speech_start(guint64 number, GstClockTime decision, GstClockTime onset,
                       const Settings &settings);
  GstFlowReturn on_pause(guint64 number, GstClockTime decision, GstClockTime onset,
                         GstVoiceKitSessionContext *event_context, const Settings &settings);
  /* Stops the current reply the user speaks over (at `decision`). */
  void interrupt(const ReplyPtr &reply, GstClockTime decision, const Settings &settings);

  const ReplyHost host_;
  ReplyHandlers &handlers_;
  ReplyOutput &output_;

  bool has_caps_ = false;
  GstAudioInfo info_;
  GstSegment segment_;
  reply::UtteranceCollector collector_;
  reply::ReplyNumbers numbers_; /* survives state changes */
  bool detector_seen_ = false;
  GstClockTime preroll_;                   /* from pausedetect's settings */
  GstClockTime end_ = GST_CLOCK_TIME_NONE; /* running time the input reached */
  GstClockTime span_;                      /* duration of the last input span */
  guint64 ignored_utterance_ = 0;          /* spoken during a reply: dropped */
  std::string session_id_;                 /* whose audio this is */
  GstVoiceKitSessionContext *session_ = nullptr;
  bool live_ = false;
  bool live_known_ = false;
};

} /* namespace voicekit::replyonpause */

#endif /* PLUGINS_VOICEKIT_REPLY_INPUT_HPP */

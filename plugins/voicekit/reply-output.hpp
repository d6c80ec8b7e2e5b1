/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * replyonpause's output: one continuous stream on `src`, clocked by the
 * input, in the format downstream negotiates. Plays the current reply's audio
 * (converted as it comes) and fills with silence or GAP events in between;
 * posts reply-start, reply-end and handler-error. Streaming thread only.
 */
#ifndef PLUGINS_VOICEKIT_REPLY_OUTPUT_HPP
#define PLUGINS_VOICEKIT_REPLY_OUTPUT_HPP

#include "reply-registry.hpp"
#include "reply.hpp"

#include <gst/audio/audio.h>
#include <gst/gst.h>

#include <deque>
#include <string>
#include <vector>

namespace voicekit::replyonpause {

/* Where the input stands: what the output follows. */
struct InputPosition {
  const GstAudioInfo *info;           /* the input's format: the output prefers it */
  const GstSegment *segment;          /* the input's, for the messages' stream times */
  GstClockTime end;                   /* running time the input reached; NONE before any */
  GstClockTime span;                  /* duration of the last input span */
  bool live;                          /* silence fills while a handler works */
  GstVoiceKitSessionContext *session; /* the input's session, for silence; or nullptr */
};

/* A reply's audio in the output format: converted from the handler's chunks
 * as they come, read as it plays. */
class ConvertedAudio {
public:
  ConvertedAudio() = default;
  ~ConvertedAudio();
  ConvertedAudio(const ConvertedAudio &) = delete;
  ConvertedAudio &operator=(const ConvertedAudio &) = delete;

  /* Converts `chunks` into `out`; false when one cannot be converted. */
  bool append(const std::deque<SamplePtr> &chunks, const GstAudioInfo &out);
  /* The reply has ended: gets out the samples the resampler holds back. */
  void drain(const GstAudioInfo &out);
  /* Forgets everything (a new reply, a new output format). */
  void clear();

  guint64 frames(gsize bpf) const { return (data_.size() - read_) / bpf; }
  const guint8 *next() const { return data_.data() + read_; }
  void consume(gsize bytes) { read_ += bytes; }

private:
  GstAudioConverter *converter_ = nullptr; /* when the chunks' format is not `out` */
  GstAudioInfo converter_in_;
  std::vector<guint8> data_; /* converted, from the first sample not played yet... */
  gsize read_ = 0;           /* ...at this offset */
};

enum class Drive {
  kInput, /* up to the input's position (a span of reply ahead of it) */
  kDrain, /* EOS: the whole reply in flight */
};

class ReplyOutput {
public:
  ReplyOutput(GstElement *element, GstPad *srcpad, ReplyRegistry &registry);
  ReplyOutput(const ReplyOutput &) = delete;
  ReplyOutput &operator=(const ReplyOutput &) = delete;

  /* Produces output up to where the input stands: the current reply's audio
   * when it has some, silence otherwise; with kDrain until the reply in
   * flight is over. */
  GstFlowReturn drive(Drive mode, const InputPosition &input, const Settings &settings);

  /* The input format changed: the output prefers it if downstream takes it. */
  void input_format_changed();
  /* The input's timeline jumped (beyond max-gap, or back) to running time
   * `at`: the output goes on from where it stands (input `at` is the output's
   * current position from now on), nothing filled, its next buffer DISCONT. */
  void discontinuity(GstClockTime at);
  /* A new timeline (FLUSH, READY->PAUSED): a new segment, from the input's
   * next position. */
  void restart();
  /* PAUSED->READY: also forgets the negotiated format. */
  void stop();

private:
  /* OK, FLUSHING (downstream or src flushing: a state change, not an error)
   * or NOT_NEGOTIATED (posted as an error). */
  GstFlowReturn negotiate(const GstAudioInfo &input);
  GstFlowReturn ensure_segment();
  GstClockTime position() const;
  GstClockTime time_of(guint64 samples) const;
  guint64 samples_until(GstClockTime until) const;
  GstBuffer *make_buffer(const Reply *reply, guint64 reply_frames, guint64 frames,
                         GstVoiceKitSessionContext *silence_session);
  /* The reply the output plays from now on (empty: none). */
  void follow(const ReplyPtr &reply);
  void fail(const ReplyPtr &reply, const std::string &why, const InputPosition &input,
            const Settings &settings);

  GstElement *element_;
  GstPad *srcpad_;
  ReplyRegistry &registry_;

  bool negotiated_ = false;
  bool need_segment_ = true;
  GstAudioInfo info_;                       /* the output format, once negotiated */
  GstClockTime base_ = GST_CLOCK_TIME_NONE; /* running time of output sample 0 */
  guint64 samples_ = 0;                     /* output samples since base_ */
  bool discont_ = false;                    /* mark the next buffer DISCONT */
  /* The output's timeline follows the input's through one anchor pair: input
   * running time in_anchor_ is output running time out_anchor_. A jump of the
   * input moves the anchors so that the output goes on from where it stands:
   * never backwards (downstream, RTP timestamps), never a fill. */
  GstClockTime in_anchor_ = 0;
  GstClockTime out_anchor_ = 0;
  GstClockTime output_time_of(GstClockTime input_time) const;

  /* the reply playing */
  ReplyPtr playing_;
  ConvertedAudio audio_;
  bool started_ = false;                            /* its first sample was pushed */
  GstClockTime played_until_ = GST_CLOCK_TIME_NONE; /* end of its last sample pushed */
};

} /* namespace voicekit::replyonpause */

#endif /* PLUGINS_VOICEKIT_REPLY_OUTPUT_HPP */

/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * replyonpause's output timeline and reply conversion: see reply-output.hpp.
 */
#include "reply-output.hpp"

#include "element-util.hpp"

#include <gst/voicekit/voicekit.h>

#include <algorithm>
#include <cstring>

#define GST_CAT_DEFAULT gst_voicekit_reply_on_pause_debug

namespace voicekit::replyonpause {

/* Longest output buffer (a big input buffer, a long GAP, a long reply). */
constexpr GstClockTime MAX_OUTPUT_BUFFER = GST_SECOND;
/* Reply audio the output takes from the registry ahead of playing it: one
 * buffer's worth (and a span). The rest stays queued there, where it holds
 * the handler back (max-reply-buffer). */
constexpr GstClockTime OUTPUT_HOLD = MAX_OUTPUT_BUFFER;

/* ---- ConvertedAudio --------------------------------------------------------- */

ConvertedAudio::~ConvertedAudio() {
  clear();
}

bool ConvertedAudio::append(const std::deque<SamplePtr> &chunks, const GstAudioInfo &out) {
  for (const SamplePtr &sample : chunks) {
    if (read_ > 0 && read_ >= data_.size() / 2) {
      /* what has played goes: memory follows what is left to play */
      data_.erase(data_.begin(), data_.begin() + static_cast<std::ptrdiff_t>(read_));
      read_ = 0;
    }
    GstAudioInfo info;
    GstBuffer *buffer = gst_sample_get_buffer(sample.get());
    GstMapInfo map;
    if (!gst_audio_info_from_caps(&info, gst_sample_get_caps(sample.get())) ||
        !gst_buffer_map(buffer, &map, GST_MAP_READ))
      return false;
    bool ok = true;
    if (gst_audio_info_is_equal(&info, &out)) {
      data_.insert(data_.end(), map.data, map.data + map.size);
    } else {
      if (converter_ == nullptr || !gst_audio_info_is_equal(&info, &converter_in_)) {
        if (converter_ != nullptr)
          gst_audio_converter_free(converter_);
        converter_ = gst_audio_converter_new(GST_AUDIO_CONVERTER_FLAG_NONE, &info,
                                             const_cast<GstAudioInfo *>(&out), nullptr);
        converter_in_ = info;
      }
      if (converter_ == nullptr) {
        ok = false;
      } else {
        const gsize in_frames = map.size / static_cast<gsize>(GST_AUDIO_INFO_BPF(&info));
        const gsize out_frames = gst_audio_converter_get_out_frames(converter_, in_frames);
        const gsize offset = data_.size();
        data_.resize(offset + out_frames * static_cast<gsize>(GST_AUDIO_INFO_BPF(&out)));
        gpointer in_planes[1] = {map.data};
        gpointer out_planes[1] = {data_.data() + offset};
        ok = gst_audio_converter_samples(converter_, GST_AUDIO_CONVERTER_FLAG_NONE, in_planes,
                                         in_frames, out_planes, out_frames);
      }
    }
    gst_buffer_unmap(buffer, &map);
    if (!ok)
      return false;
  }
  return true;
}

void ConvertedAudio::drain(const GstAudioInfo &out) {
  if (converter_ == nullptr)
    return;
  /* The resampler holds back a few samples: push silence through it. */
  const gsize latency = gst_audio_converter_get_max_latency(converter_);
  if (latency > 0) {
    const gsize out_frames = gst_audio_converter_get_out_frames(converter_, latency);
    const gsize offset = data_.size();
    data_.resize(offset + out_frames * static_cast<gsize>(GST_AUDIO_INFO_BPF(&out)));
    gpointer out_planes[1] = {data_.data() + offset};
    gst_audio_converter_samples(converter_, GST_AUDIO_CONVERTER_FLAG_NONE, nullptr, latency,
                                out_planes, out_frames);
  }
  gst_audio_converter_free(converter_);
  converter_ = nullptr;
}

void ConvertedAudio::clear() {
  if (converter_ != nullptr)
    gst_audio_converter_free(converter_);
  converter_ = nullptr;
  data_.clear();
  read_ = 0;
}

/* ---- ReplyOutput: format and timeline --------------------------------------- */

ReplyOutput::ReplyOutput(GstElement *element, GstPad *srcpad, ReplyRegistry &registry)
    : element_(element), srcpad_(srcpad), registry_(registry) {
  gst_audio_info_init(&info_);
}

GstClockTime ReplyOutput::time_of(guint64 samples) const {
  return element::time_add(
      base_, gst_util_uint64_scale_int(samples, GST_SECOND, GST_AUDIO_INFO_RATE(&info_)));
}

GstClockTime ReplyOutput::position() const {
  return time_of(samples_);
}

/* Output samples from the current position up to running time `until`. */
guint64 ReplyOutput::samples_until(GstClockTime until) const {
  if (until <= base_)
    return 0;
  const guint64 target =
      gst_util_uint64_scale_int_round(until - base_, GST_AUDIO_INFO_RATE(&info_), GST_SECOND);
  return target > samples_ ? target - samples_ : 0;
}

/* The input's format when downstream takes it, else what downstream takes
 * nearest to it. */
GstFlowReturn ReplyOutput::negotiate(const GstAudioInfo &input) {
  GstCaps *template_caps = gst_pad_get_pad_template_caps(srcpad_);
  GstCaps *peer = gst_pad_peer_query_caps(srcpad_, template_caps);
  gst_caps_unref(template_caps);
  GstCaps *input_caps = gst_audio_info_to_caps(&input);
  GstCaps *caps = nullptr;
  if (gst_caps_can_intersect(peer, input_caps)) {
    caps = gst_caps_ref(input_caps);
  } else if (!gst_caps_is_empty(peer)) {
    caps = gst_caps_truncate(gst_caps_make_writable(gst_caps_ref(peer)));
    GstStructure *structure = gst_caps_get_structure(caps, 0);
    gst_structure_fixate_field_nearest_int(structure, "rate", GST_AUDIO_INFO_RATE(&input));
    gst_structure_fixate_field_nearest_int(structure, "channels", GST_AUDIO_INFO_CHANNELS(&input));
    gst_structure_fixate_field_string(structure, "format", GST_AUDIO_INFO_NAME(&input));
    caps = gst_caps_fixate(caps);
  }
  gst_caps_unref(input_caps);
  GstAudioInfo info;
  const bool ok = caps != nullptr && gst_audio_info_from_caps(&info, caps) &&
                  gst_pad_push_event(srcpad_, gst_event_new_caps(caps));
  /* A caps event refused because the src pad is flushing (a state change
   * deactivating it under the streaming thread) is no negotiation error. */
  const bool flushing = !ok && caps != nullptr && GST_PAD_IS_FLUSHING(srcpad_);
  if (flushing) {
    GST_DEBUG_OBJECT(element_, "not negotiated: the src pad is flushing");
  } else if (!ok) {
    GST_ELEMENT_ERROR(
        element_, CORE, NEGOTIATION, ("Downstream accepts no audio replyonpause makes"),
        ("downstream caps %" GST_PTR_FORMAT "; replyonpause makes " VOICEKIT_VOICE_AUDIO_CAPS,
         static_cast<void *>(peer)));
  } else {
    GST_INFO_OBJECT(element_, "replies leave as %" GST_PTR_FORMAT, static_cast<void *>(caps));
    if (negotiated_ && base_ != GST_CLOCK_TIME_NONE) {
      /* Keep the output timeline: count samples in the new rate from here. */
      base_ = position();
      samples_ = 0;
    }
    if (negotiated_ && !gst_audio_info_is_equal(&info, &info_)) {
      /* Audio of a reply in flight already converted to the old format is
       * dropped; what the handler sends from now on is converted anew. */
      if (ReplyPtr reply = registry_.current()) {
        GST_WARNING_OBJECT(element_, "output format changed during a reply: converted audio "
                                     "dropped");
        follow(reply);
        audio_.clear();
      }
    }
    info_ = info;
    negotiated_ = true;
  }
  if (caps != nullptr)
    gst_caps_unref(caps);
  gst_caps_unref(peer);
  return ok ? GST_FLOW_OK : flushing ? GST_FLOW_FLUSHING : GST_FLOW_NOT_NEGOTIATED;
}

GstFlowReturn ReplyOutput::ensure_segment() {
  if (!need_segment_)
    return GST_FLOW_OK;
  /* Output timestamps are running times: a plain segment from 0. */
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  if (!gst_pad_push_event(srcpad_, gst_event_new_segment(&segment)))
    return GST_PAD_IS_FLUSHING(srcpad_) ? GST_FLOW_FLUSHING : GST_FLOW_ERROR;
  need_segment_ = false;
  return GST_FLOW_OK;
}

void ReplyOutput::input_format_changed() {
  if (negotiated_)
    gst_pad_mark_reconfigure(srcpad_);
}

GstClockTime ReplyOutput::output_time_of(GstClockTime input_time) const {
  if (input_time >= in_anchor_)
    return element::time_add(out_anchor_, input_time - in_anchor_);
  const GstClockTime before = in_anchor_ - input_time;
  return before < out_anchor_ ? out_anchor_ - before : 0;
}

void ReplyOutput::discontinuity(GstClockTime at) {
  if (base_ == GST_CLOCK_TIME_NONE)
    return; /* nothing out yet: the output starts where the input is */
  in_anchor_ = at;
  out_anchor_ = position();
  discont_ = true;
}

void ReplyOutput::restart() {
  in_anchor_ = 0;
  out_anchor_ = 0;
  base_ = GST_CLOCK_TIME_NONE;
  samples_ = 0;
  discont_ = false;
  need_segment_ = true;
  follow(nullptr);
}

void ReplyOutput::stop() {
  restart();
  negotiated_ = false;
}

/* `frames` of output from the current position: `reply_frames` of the
 * reply's audio, then silence. */
GstBuffer *ReplyOutput::make_buffer(const Reply *reply, guint64 reply_frames, guint64 frames,
                                    GstVoiceKitSessionContext *silence_session) {
  const gsize bpf = static_cast<gsize>(GST_AUDIO_INFO_BPF(&info_));
  GstBuffer *buffer = gst_buffer_new_allocate(nullptr, frames * bpf, nullptr);
  GstMapInfo map;
  gst_buffer_map(buffer, &map, GST_MAP_WRITE);
  if (reply_frames > 0)
    memcpy(map.data, audio_.next(), reply_frames * bpf);
  if (reply_frames < frames)
    gst_audio_format_info_fill_silence(info_.finfo, map.data + reply_frames * bpf,
                                       (frames - reply_frames) * bpf);
  gst_buffer_unmap(buffer, &map);
  const GstClockTime start = position();
  GST_BUFFER_PTS(buffer) = start;
  GST_BUFFER_DURATION(buffer) = time_of(samples_ + frames) - start;
  GST_BUFFER_OFFSET(buffer) = samples_;
  GST_BUFFER_OFFSET_END(buffer) = samples_ + frames;
  if (discont_) {
    GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
    discont_ = false;
  }
  GstVoiceKitSessionContext *context =
      reply != nullptr && reply_frames > 0 ? reply->context : silence_session;
  if (context != nullptr)
    gst_voicekit_buffer_set_session_context(buffer, context);
  return buffer;
}

/* ---- ReplyOutput: playing replies ------------------------------------------- */

void ReplyOutput::follow(const ReplyPtr &reply) {
  if (reply == playing_)
    return;
  playing_ = reply;
  audio_.clear();
  started_ = false;
  played_until_ = GST_CLOCK_TIME_NONE;
}

/* Reports and stops a failed or timed-out reply. */
void ReplyOutput::fail(const ReplyPtr &reply, const std::string &why, const InputPosition &input,
                       const Settings &settings) {
  GST_ELEMENT_WARNING(element_, STREAM, FAILED, ("Reply handler failed"),
                      ("utterance %" G_GUINT64_FORMAT ": %s", reply->utterance, why.c_str()));
  post_message(element_, settings, *input.segment, "handler-error", reply->utterance,
               reply->context, input.end != GST_CLOCK_TIME_NONE ? input.end : position(), "error",
               G_TYPE_STRING, why.c_str(), nullptr);
  registry_.cancel(reply);
  follow(nullptr);
}

GstFlowReturn ReplyOutput::drive(Drive mode, const InputPosition &input, const Settings &settings) {
  if (input.end == GST_CLOCK_TIME_NONE)
    return GST_FLOW_OK;
  const GstClockTime input_end = output_time_of(input.end); /* on the output's timeline */
  if (!negotiated_ || gst_pad_check_reconfigure(srcpad_)) {
    const GstFlowReturn negotiated = negotiate(*input.info);
    if (negotiated != GST_FLOW_OK) {
      gst_pad_mark_reconfigure(srcpad_);
      return negotiated;
    }
  }
  if (base_ == GST_CLOCK_TIME_NONE) {
    base_ = input_end > input.span ? input_end - input.span : 0;
    samples_ = 0;
  }
  if (const GstFlowReturn segment = ensure_segment(); segment != GST_FLOW_OK)
    return segment;
  const gint rate = GST_AUDIO_INFO_RATE(&info_);
  const gsize bpf = static_cast<gsize>(GST_AUDIO_INFO_BPF(&info_));
  const guint64 max_buffer_frames = gst_util_uint64_scale_int(MAX_OUTPUT_BUFFER, rate, GST_SECOND);
  const guint64 span_frames =
      std::max<guint64>(1, gst_util_uint64_scale_int(input.span, rate, GST_SECOND));

  GstFlowReturn ret = GST_FLOW_OK;
  while (ret == GST_FLOW_OK) {
    const guint64 held = gst_util_uint64_scale_int(audio_.frames(bpf), GST_SECOND, rate);
    const ReplyRegistry::Progress progress =
        registry_.take_progress(playing_.get(), held, element::time_add(OUTPUT_HOLD, input.span));
    if (progress.flushing)
      return GST_FLOW_FLUSHING;
    const ReplyPtr &reply = progress.reply;
    follow(reply);
    if (progress.failed || progress.timed_out) {
      fail(reply, progress.failed ? progress.error : "no reply within handler-timeout", input,
           settings);
      continue;
    }
    if (!progress.chunks.empty() && !audio_.append(progress.chunks, info_)) {
      fail(reply, "cannot convert the reply audio", input, settings);
      continue;
    }
    if (progress.ended)
      audio_.drain(info_);
    const guint64 available = reply ? audio_.frames(bpf) : 0;

    /* How far to go: the input's position; a span ahead of it while a reply
     * has audio (or, not live, is awaited), so the first reply span leaves
     * at once; past the input's end at EOS until the reply is over. */
    guint64 frames = samples_until(input_end);
    if (reply && (available > 0 || !input.live || mode == Drive::kDrain))
      frames = samples_until(element::time_add(input_end, input.span));
    if (reply && mode == Drive::kDrain && frames == 0)
      frames = span_frames;
    if (progress.ended && available < frames)
      frames = available;

    if (progress.ended && available == 0) {
      /* The last sample has left: the reply is over. */
      if (started_) {
        post_message(element_, settings, *input.segment, "reply-end", reply->utterance,
                     reply->context, played_until_, nullptr);
      } else if (!reply->greeting) {
        fail(reply, "the handler's reply has no audio", input, settings);
        continue;
      }
      registry_.clear(reply);
      follow(nullptr);
      continue;
    }
    if (frames == 0)
      break;
    if (reply && available < frames && !progress.ended && (!input.live || mode == Drive::kDrain)) {
      /* Not live (or at EOS): the output waits for the handler, so it is the
       * same on every run. Woken by reply audio, its end or failure, a flush
       * or the deadline (then reported as a timeout above). */
      registry_.wait_for_progress(reply);
      continue;
    }
    /* long spans (a big input buffer, a GAP) in pieces of at most a second */
    frames = std::min(frames, max_buffer_frames);
    const guint64 reply_frames = reply ? std::min(available, frames) : 0;

    if (reply_frames > 0 && !started_) {
      started_ = true;
      const guint64 latency =
          static_cast<guint64>(std::max<gint64>(0, g_get_monotonic_time() - reply->decided_us)) *
          GST_USECOND;
      post_message(element_, settings, *input.segment, "reply-start", reply->utterance,
                   reply->context, position(), "latency", G_TYPE_UINT64, latency, nullptr);
    }
    const GstClockTime span_start = position();
    if (reply_frames == 0 && settings.send_gaps) {
      samples_ += frames;
      gst_pad_push_event(srcpad_, gst_event_new_gap(span_start, position() - span_start));
      continue;
    }
    GstBuffer *buffer = make_buffer(reply.get(), reply_frames, frames, input.session);
    if (reply_frames > 0) {
      audio_.consume(reply_frames * bpf);
      played_until_ = time_of(samples_ + reply_frames);
    }
    samples_ += frames;
    ret = gst_pad_push(srcpad_, buffer);
  }
  return ret;
}

} /* namespace voicekit::replyonpause */

/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The current reply and its hand-over between threads: see reply-registry.hpp.
 */
#include "reply-registry.hpp"

#include "reply-handler.hpp"

#include <gst/audio/audio.h>

#define GST_CAT_DEFAULT gst_voicekit_reply_on_pause_debug

namespace voicekit::replyonpause {

/* A reply chunk over this is refused as broken (one push of ten minutes). */
constexpr gsize MAX_CHUNK_BYTES = 10 * 60 * 48000 * 8 * 4;

ReplyRegistry::ReplyRegistry(GstElement *element) : element_(element) {
  g_mutex_init(&lock_);
  g_cond_init(&cond_);
}

ReplyRegistry::~ReplyRegistry() {
  current_.reset();
  g_cond_clear(&cond_);
  g_mutex_clear(&lock_);
}

ReplyPtr ReplyRegistry::current() {
  g_mutex_lock(&lock_);
  ReplyPtr reply = current_;
  g_mutex_unlock(&lock_);
  return reply;
}

ReplyPtr ReplyRegistry::replace(ReplyPtr reply) {
  g_mutex_lock(&lock_);
  ReplyPtr previous = std::move(current_);
  current_ = std::move(reply);
  g_cond_broadcast(&cond_);
  g_mutex_unlock(&lock_);
  return previous;
}

void ReplyRegistry::clear(const ReplyPtr &reply) {
  g_mutex_lock(&lock_);
  if (current_ == reply)
    current_.reset();
  g_mutex_unlock(&lock_);
}

/* The reply `utterance` if it is the current one and still takes audio. */
ReplyPtr ReplyRegistry::open_locked(guint64 utterance) {
  if (!current_ || current_->utterance != utterance || current_->ended || current_->failed ||
      current_->cancelled)
    return nullptr;
  return current_;
}

void ReplyRegistry::fail_locked(Reply &reply, const std::string &why) {
  if (reply.failed || reply.cancelled)
    return;
  reply.failed = true;
  reply.error = why;
  g_cond_broadcast(&cond_);
}

/* Why `sample` cannot be reply audio, or empty. */
static std::string why_broken(GstSample *sample) {
  GstCaps *caps = sample != nullptr ? gst_sample_get_caps(sample) : nullptr;
  GstBuffer *buffer = sample != nullptr ? gst_sample_get_buffer(sample) : nullptr;
  GstAudioInfo info;
  if (sample == nullptr || caps == nullptr || buffer == nullptr)
    return "reply audio without caps or buffer";
  if (!gst_audio_info_from_caps(&info, caps) ||
      GST_AUDIO_INFO_LAYOUT(&info) != GST_AUDIO_LAYOUT_INTERLEAVED)
    return "reply caps are not interleaved raw audio";
  if (GST_AUDIO_INFO_RATE(&info) < 1000 || GST_AUDIO_INFO_RATE(&info) > 384000 ||
      GST_AUDIO_INFO_CHANNELS(&info) > 8)
    return "reply audio rate or channel count out of range";
  if (gst_buffer_get_size(buffer) % static_cast<gsize>(GST_AUDIO_INFO_BPF(&info)) != 0)
    return "reply buffer is not a whole number of audio frames";
  if (gst_buffer_get_size(buffer) > MAX_CHUNK_BYTES)
    return "reply buffer too large";
  return {};
}

bool ReplyRegistry::queue_audio(guint64 utterance, GstSample *sample) {
  const std::string why = why_broken(sample);
  g_mutex_lock(&lock_);
  ReplyPtr reply = open_locked(utterance);
  if (reply && why.empty() && g_thread_self() != streaming_thread_) {
    /* Room first: the output takes audio as it plays it. Woken by it, and by
     * whatever closes the reply (interruption, flush, NULL, a failure). */
    while (reply && reply->queued >= reply->max_buffer) {
      if (reply->waiting++ == 0)
        reply->waiting_since_us = g_get_monotonic_time();
      g_cond_wait(&cond_, &lock_);
      if (--reply->waiting == 0) /* the wait does not count against handler-timeout */
        reply->deadline_us += g_get_monotonic_time() - reply->waiting_since_us;
      reply = open_locked(utterance);
    }
  }
  if (!reply) {
    g_mutex_unlock(&lock_);
    GST_DEBUG_OBJECT(element_,
                     "reply audio for utterance %" G_GUINT64_FORMAT " dropped: not current",
                     utterance);
    return false;
  }
  if (!why.empty()) {
    fail_locked(*reply, why);
    g_mutex_unlock(&lock_);
    return false;
  }
  if (gst_buffer_get_size(gst_sample_get_buffer(sample)) > 0) {
    append_chunk(*reply, sample);
    g_cond_broadcast(&cond_);
  }
  g_mutex_unlock(&lock_);
  return true;
}

bool ReplyRegistry::end(guint64 utterance) {
  g_mutex_lock(&lock_);
  ReplyPtr reply = open_locked(utterance);
  if (reply) {
    reply->ended = true;
    g_cond_broadcast(&cond_);
  }
  g_mutex_unlock(&lock_);
  return reply != nullptr;
}

bool ReplyRegistry::fail(guint64 utterance, const std::string &why) {
  g_mutex_lock(&lock_);
  ReplyPtr reply = open_locked(utterance);
  if (reply)
    fail_locked(*reply, why.empty() ? "the handler reported a failure" : why);
  g_mutex_unlock(&lock_);
  return reply != nullptr;
}

void ReplyRegistry::cancel(const ReplyPtr &reply) {
  g_mutex_lock(&lock_);
  const bool was_cancelled = reply->cancelled;
  reply->cancelled = true;
  if (current_ == reply)
    current_.reset();
  g_cond_broadcast(&cond_);
  g_mutex_unlock(&lock_);
  if (was_cancelled)
    return;
  g_cancellable_cancel(reply->cancellable);
  GST_DEBUG_OBJECT(element_, "stopping the reply to utterance %" G_GUINT64_FORMAT,
                   reply->utterance);
  reply->handler->stop(reply);
}

void ReplyRegistry::cancel_current() {
  if (ReplyPtr reply = current())
    cancel(reply);
}

void ReplyRegistry::set_flushing(bool flushing) {
  g_mutex_lock(&lock_);
  flushing_ = flushing;
  g_cond_broadcast(&cond_);
  g_mutex_unlock(&lock_);
}

gint64 ReplyRegistry::deadline_of(const ReplyPtr &reply) {
  g_mutex_lock(&lock_);
  const gint64 deadline = reply->deadline_us;
  g_mutex_unlock(&lock_);
  return deadline;
}

ReplyRegistry::Progress ReplyRegistry::take_progress(const Reply *playing, guint64 held,
                                                     guint64 hold) {
  Progress progress;
  g_mutex_lock(&lock_);
  streaming_thread_ = g_thread_self();
  progress.flushing = flushing_;
  progress.reply = current_;
  if (Reply *reply = current_.get(); reply != nullptr && !flushing_) {
    guint64 taken = reply == playing ? held : 0;
    while (!reply->chunks.empty() && taken < hold) {
      ReplyChunk &chunk = reply->chunks.front();
      taken += chunk.duration;
      reply->queued -= chunk.duration;
      progress.chunks.push_back(std::move(chunk.sample));
      reply->chunks.pop_front();
    }
    if (!progress.chunks.empty())
      g_cond_broadcast(&cond_); /* room for a waiting producer */
    progress.ended = reply->ended && reply->chunks.empty();
    progress.failed = reply->failed;
    progress.error = reply->error;
    /* A producer waiting for room is not late: the output holds it back. */
    progress.timed_out = !reply->ended && !reply->failed && reply->waiting == 0 &&
                         g_get_monotonic_time() >= reply->deadline_us;
  }
  g_mutex_unlock(&lock_);
  return progress;
}

void ReplyRegistry::wait_for_progress(const ReplyPtr &reply) {
  g_mutex_lock(&lock_);
  if (!flushing_ && reply->chunks.empty() && !reply->ended && !reply->failed && !reply->cancelled)
    g_cond_wait_until(&cond_, &lock_, reply->deadline_us);
  g_mutex_unlock(&lock_);
}

} /* namespace voicekit::replyonpause */

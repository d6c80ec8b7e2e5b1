/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The reply the output plays or waits for, and its hand-over between the
 * threads: handlers queue audio, end or fail it (push-reply, end-reply,
 * fail-reply); the streaming thread takes the audio, waits for it, and stops
 * the reply.
 */
#ifndef PLUGINS_VOICEKIT_REPLY_REGISTRY_HPP
#define PLUGINS_VOICEKIT_REPLY_REGISTRY_HPP

#include "reply.hpp"

#include <gst/gst.h>

#include <deque>
#include <string>

namespace voicekit::replyonpause {

/* `lock_` guards the current reply, `flushing_` and the fields of every Reply
 * marked so; `cond_` is signalled at each change of them. It is never held
 * while calling out (a handler, a pad, a signal). Every method may be called
 * from any thread. */
class ReplyRegistry {
public:
  explicit ReplyRegistry(GstElement *element);
  ~ReplyRegistry();
  ReplyRegistry(const ReplyRegistry &) = delete;
  ReplyRegistry &operator=(const ReplyRegistry &) = delete;

  /* The current reply, or empty. */
  ReplyPtr current();
  /* `reply` becomes the current one; returns the one it replaces. */
  ReplyPtr replace(ReplyPtr reply);
  /* `reply` is over: no longer current (if it still was). */
  void clear(const ReplyPtr &reply);

  /* Validates reply audio and queues it for the output. False when reply
   * `utterance` takes no audio (not current, ended, failed, stopped); broken
   * audio fails the reply. */
  bool queue_audio(guint64 utterance, GstSample *sample);
  /* The handler of `utterance` finished its reply. False when it was not
   * open. */
  bool end(guint64 utterance);
  /* The handler of `utterance` failed (`why`, or a generic reason when
   * empty). False when the reply was not open. */
  bool fail(guint64 utterance, const std::string &why);

  /* Stops `reply` for good: the output drops it and its handler is told to
   * stop (once). */
  void cancel(const ReplyPtr &reply);
  void cancel_current();

  /* While flushing the output produces nothing and waits for nothing. */
  void set_flushing(bool flushing);

  /* What the output needs to know of the current reply, read at once. */
  struct Progress {
    bool flushing = false;
    ReplyPtr reply;               /* the current reply, or empty */
    std::deque<SamplePtr> chunks; /* its audio since the last look, taken */
    bool ended = false;           /* it ended, and had no audio left to take */
    bool failed = false;
    std::string error; /* why it failed */
    bool timed_out = false;
  };
  Progress take_progress();

  /* Waits until `reply` gets audio, ends, fails or stops, a flush starts, or
   * its deadline passes, whichever comes first. */
  void wait_for_progress(const ReplyPtr &reply);

private:
  ReplyPtr open_locked(guint64 utterance);
  void fail_locked(Reply &reply, const std::string &why);

  GstElement *element_; /* for logs; the registry lives in it */
  GMutex lock_;
  GCond cond_;
  ReplyPtr current_;
  bool flushing_ = true;
};

} /* namespace voicekit::replyonpause */

#endif /* PLUGINS_VOICEKIT_REPLY_REGISTRY_HPP */

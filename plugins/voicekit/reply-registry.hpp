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

/* `lock_` guards the current reply, `flushing_`, `streaming_thread_` and the
 * fields of every Reply marked so; `cond_` is signalled at each change of
 * them. It is never held while calling out (a handler, a pad, a signal).
 * Every method may be called from any thread.
 *
 * Backpressure: a reply's queue holds at most its max-reply-buffer of audio
 * (and the chunk that crossed it); queue_audio() waits for room, and the
 * output takes audio as it needs it, so a handler writing faster than real
 * time is held back instead of buffered without bound. */
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

  /* Validates reply audio and queues it for the output. While the reply's
   * queue holds max-reply-buffer or more, waits for the output to play some
   * (the wait does not count against handler-timeout); never on the
   * streaming thread, which would wait for itself. False when reply
   * `utterance` takes no audio (not current, ended, failed, stopped, also
   * when that happens during the wait); broken audio fails the reply. */
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

  /* The deadline of `reply` (handler-timeout from the pause, moved by its
   * producers' waits for room), monotonic microseconds. */
  gint64 deadline_of(const ReplyPtr &reply);

  /* What the output needs to know of the current reply, read at once. */
  struct Progress {
    bool flushing = false;
    ReplyPtr reply;               /* the current reply, or empty */
    std::deque<SamplePtr> chunks; /* its audio taken now, in order */
    bool ended = false;           /* it ended, and had no audio left to take */
    bool failed = false;
    std::string error; /* why it failed */
    bool timed_out = false;
  };
  /* From the streaming thread: takes chunks of the current reply's audio
   * until the output holds `hold` ns of it, counting the `held` ns it has of
   * `playing` when that is the current reply. */
  Progress take_progress(const Reply *playing, guint64 held, guint64 hold);

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
  GThread *streaming_thread_ = nullptr; /* the last to take progress */
};

} /* namespace voicekit::replyonpause */

#endif /* PLUGINS_VOICEKIT_REPLY_REGISTRY_HPP */

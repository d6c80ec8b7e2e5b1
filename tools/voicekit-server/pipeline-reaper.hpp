/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Session teardown off the main loop: a thread that takes a session's
 * pipeline once nothing of the session refers to it any more, sets it to
 * NULL (which joins its streaming threads) and frees it. Ending many sessions
 * at once then costs the main loop almost nothing.
 */
#ifndef TOOLS_VOICEKIT_SERVER_PIPELINE_REAPER_HPP
#define TOOLS_VOICEKIT_SERVER_PIPELINE_REAPER_HPP

#include <gst/gst.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace voicekit::server {

class PipelineReaper {
public:
  PipelineReaper();
  /* Stops and frees every pipeline handed over, then ends the thread. */
  ~PipelineReaper();
  PipelineReaper(const PipelineReaper &) = delete;
  PipelineReaper &operator=(const PipelineReaper &) = delete;

  /* Takes the caller's reference to `pipeline`. Its bus watch and signal
   * handlers must be gone (or harmless) already: they may run meanwhile on
   * this thread. */
  void take(GstElement *pipeline);
  /* Pipelines handed over and not yet freed. */
  std::size_t pending() const;

private:
  void run();

  mutable std::mutex lock_;
  std::condition_variable wake_;
  std::deque<GstElement *> queue_;
  std::size_t busy_ = 0; /* being stopped now */
  bool stop_ = false;
  std::thread thread_;
};

} /* namespace voicekit::server */

#endif /* TOOLS_VOICEKIT_SERVER_PIPELINE_REAPER_HPP */

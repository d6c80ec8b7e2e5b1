/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The teardown thread of voicekit-server's sessions (pipeline-reaper.hpp).
 */
#include "pipeline-reaper.hpp"

#include <pthread.h>

namespace voicekit::server {

PipelineReaper::PipelineReaper() : thread_([this] { run(); }) {}

PipelineReaper::~PipelineReaper() {
  {
    std::lock_guard<std::mutex> guard(lock_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void PipelineReaper::take(GstElement *pipeline) {
  {
    std::lock_guard<std::mutex> guard(lock_);
    queue_.push_back(pipeline);
  }
  wake_.notify_one();
}

std::size_t PipelineReaper::pending() const {
  std::lock_guard<std::mutex> guard(lock_);
  return queue_.size() + busy_;
}

void PipelineReaper::run() {
  pthread_setname_np(pthread_self(), "vk-teardown");
  std::unique_lock<std::mutex> guard(lock_);
  for (;;) {
    wake_.wait(guard, [this] { return !queue_.empty() || stop_; });
    if (queue_.empty())
      return; /* stop, and every pipeline freed */
    GstElement *pipeline = queue_.front();
    queue_.pop_front();
    ++busy_;
    guard.unlock();
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
    guard.lock();
    --busy_;
  }
}

} /* namespace voicekit::server */

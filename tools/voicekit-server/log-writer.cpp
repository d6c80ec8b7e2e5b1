/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * voicekit-server's stdout writer thread (log-writer.hpp).
 */
#include "log-writer.hpp"

#include <chrono>
#include <pthread.h>

namespace voicekit::server {

LogWriter::LogWriter(std::FILE *out, std::function<std::string(unsigned long long)> dropped_line)
    : queue_(std::make_shared<Queue>()) {
  thread_ = std::thread(run, queue_, out, std::move(dropped_line));
}

LogWriter::~LogWriter() {
  std::unique_lock<std::mutex> guard(queue_->lock);
  queue_->stop = true;
  queue_->wake.notify_one();
  const bool done = queue_->drained.wait_for(guard, std::chrono::milliseconds(kDrainMs), [this] {
    return queue_->lines.empty() && !queue_->writing;
  });
  guard.unlock();
  if (done)
    thread_.join();
  else
    thread_.detach(); /* blocked in a write: it holds its own share of the queue */
}

void LogWriter::write(std::string line) {
  std::lock_guard<std::mutex> guard(queue_->lock);
  if (queue_->lines.size() >= kMaxLines || queue_->bytes + line.size() + 1 > kMaxBytes) {
    ++queue_->dropped;
    ++queue_->dropped_pending;
    return;
  }
  queue_->bytes += line.size() + 1;
  queue_->lines.push_back(std::move(line));
  queue_->wake.notify_one();
}

unsigned long long LogWriter::dropped() const {
  std::lock_guard<std::mutex> guard(queue_->lock);
  return queue_->dropped;
}

void LogWriter::run(std::shared_ptr<Queue> queue, std::FILE *out,
                    std::function<std::string(unsigned long long)> dropped_line) {
  pthread_setname_np(pthread_self(), "vk-log");
  std::unique_lock<std::mutex> guard(queue->lock);
  for (;;) {
    queue->wake.wait(guard, [&] { return !queue->lines.empty() || queue->stop; });
    if (queue->lines.empty()) {
      queue->drained.notify_all();
      return; /* stop, and everything written */
    }
    std::deque<std::string> batch;
    batch.swap(queue->lines);
    queue->bytes = 0;
    const unsigned long long dropped = queue->dropped_pending;
    queue->dropped_pending = 0;
    queue->writing = true;
    guard.unlock();
    for (const std::string &line : batch) {
      std::fputs(line.c_str(), out);
      std::fputc('\n', out);
    }
    if (dropped > 0) {
      const std::string said = dropped_line(dropped);
      if (!said.empty()) {
        std::fputs(said.c_str(), out);
        std::fputc('\n', out);
      }
    }
    std::fflush(out);
    guard.lock();
    queue->writing = false;
    if (queue->lines.empty())
      queue->drained.notify_all();
  }
}

} /* namespace voicekit::server */

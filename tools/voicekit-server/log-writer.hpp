/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * voicekit-server's stdout: log lines go through a bounded queue to a writer
 * thread, so a slow or blocked stdout never blocks the main loop. Lines that
 * find the queue full are dropped and counted, and the count is written when
 * there is room again.
 */
#ifndef TOOLS_VOICEKIT_SERVER_LOG_WRITER_HPP
#define TOOLS_VOICEKIT_SERVER_LOG_WRITER_HPP

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace voicekit::server {

class LogWriter {
public:
  /* `dropped_line(n)`: the line that says n lines were dropped. */
  LogWriter(std::FILE *out, std::function<std::string(unsigned long long)> dropped_line);
  /* Writes what is queued, for at most kDrainMs; a stdout blocked longer
   * than that is left to the thread, detached. */
  ~LogWriter();
  LogWriter(const LogWriter &) = delete;
  LogWriter &operator=(const LogWriter &) = delete;

  /* Queues `line` (without its newline); drops it when the queue is full. */
  void write(std::string line);
  /* Lines dropped so far. */
  unsigned long long dropped() const;

  static constexpr std::size_t kMaxLines = 4096;
  static constexpr std::size_t kMaxBytes = 4 * 1024 * 1024;
  static constexpr int kDrainMs = 2000;

private:
  /* Shared with the thread, which may outlive the writer (see above). */
  struct Queue {
    std::mutex lock;
    std::condition_variable wake;    /* lines queued, or stop */
    std::condition_variable drained; /* the queue became empty */
    std::deque<std::string> lines;
    std::size_t bytes = 0;
    unsigned long long dropped = 0;         /* in all */
    unsigned long long dropped_pending = 0; /* not yet said */
    bool writing = false;
    bool stop = false;
  };
  static void run(std::shared_ptr<Queue> queue, std::FILE *out,
                  std::function<std::string(unsigned long long)> dropped_line);

  std::shared_ptr<Queue> queue_;
  std::thread thread_;
};

} /* namespace voicekit::server */

#endif /* TOOLS_VOICEKIT_SERVER_LOG_WRITER_HPP */

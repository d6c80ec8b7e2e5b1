/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * A child process for replyonpause's command handler, in plain POSIX (no
 * GLib): runs a program without a shell, writes the utterance to its stdin
 * while streaming its stdout to a callback, with a deadline and
 * cancellation, in a kill scope nothing it starts escapes.
 *
 * The kill scope: the program runs under a reaper process of its own
 * (reaper.hpp), a child subreaper, so whatever the program starts stays
 * reachable even in a new session (setsid) or process group; when the call
 * is over (run() returns kExited or kCompleted, terminate(), the destructor)
 * every process left is killed and reaped. The program is in its own process
 * group (its pid) for terminate()'s SIGTERM. Its stdin, stdout and stderr
 * are pipes; no other descriptor of this process is inherited; its signal
 * mask is empty and no signal is ignored, whatever this process does. This
 * process is left as it was: it does not become a subreaper, and its signal
 * mask is only touched by the calling thread, and restored.
 *
 * One Command is used by one thread at a time; different Commands may run
 * concurrently in any number of threads (no global state).
 */
#ifndef GST_REPLY_COMMAND_HPP
#define GST_REPLY_COMMAND_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace voicekit::reply {

class Command {
public:
  Command();
  /* Terminates (SIGTERM, then SIGKILL after a short grace) a child still
   * running, and whatever it started. */
  ~Command();
  Command(const Command &) = delete;
  Command &operator=(const Command &) = delete;

  /* argv[0] is looked up in this process's PATH (unless it holds a '/'), as
   * execvp() does; no shell. `env` entries (name, value) are added to, or
   * override, this process's environment. False with the reason in *why (may
   * be null) if the program cannot be run: not found, not executable, bad
   * arguments, already started. */
  bool start(const std::vector<std::string> &argv,
             const std::vector<std::pair<std::string, std::string>> &env, std::string *why);

  enum class Outcome {
    kExited,        /* the child exited and its output ended: see exit_status() */
    kTimedOut,      /* the deadline passed */
    kCancelled,     /* cancel_fd became readable */
    kOutputRefused, /* on_output returned kStop (false) */
    kCompleted,     /* on_output said kComplete and the child did not exit within
                       kExitLinger: it was killed */
  };

  /* What on_output says after a piece of output. */
  enum class Take {
    kMore,     /* go on */
    kComplete, /* all the output expected has arrived (a WAV whose data length
                  is reached): the call ends when the child exits, at most
                  kExitLinger later; later output is read and discarded */
    kStop,     /* stop now: kOutputRefused */
  };
  using OutputSink = std::function<Take(const uint8_t *, std::size_t)>;

  /* Writes `input` to the child's stdin (then closes it) while reading its
   * stdout and stderr, in one poll() loop: no deadlock whatever the sizes. A
   * child that exits or closes stdin without reading all of it is not an
   * error (and raises no SIGPIPE in this process). on_output(data, size)
   * gets each piece of stdout as it arrives (if empty, stdout is
   * discarded). It may block to hold the output back (backpressure): the
   * time it takes does not count, the deadline and the lingers move later by
   * as long.
   *
   * Returns kExited once the child has exited and its stdout has ended, or,
   * if something it left behind still holds stdout, kExitLinger after its
   * exit (output arriving meanwhile still reaches on_output), or at once
   * after kComplete. Then, as after kCompleted, every process the child
   * started has been killed and reaped: nothing outlives the call. Returns
   * kTimedOut at `deadline` (time_point::max() for none), kCancelled when
   * `cancel_fd` (an eventfd or pipe, -1 for none; not read, so it stays
   * readable) becomes readable, kOutputRefused on kStop: then the child and
   * what it started still run: call terminate(). Meant to be called once
   * per start(). */
  Outcome run(const std::vector<uint8_t> &input, const OutputSink &on_output,
              std::chrono::steady_clock::time_point deadline, int cancel_fd);
  /* The same with a sink answering true (kMore) or false (kStop). */
  Outcome run(const std::vector<uint8_t> &input,
              const std::function<bool(const uint8_t *, std::size_t)> &on_output,
              std::chrono::steady_clock::time_point deadline, int cancel_fd);

  /* SIGTERM to the child's process group and to every process it left
   * behind (in any session), wait up to `grace` for all of them to end,
   * then SIGKILL to whatever is left; everything is reaped. Nothing to do
   * once the call is over. Safe to call twice. */
  void terminate(std::chrono::milliseconds grace);

  /* Started, and not exited yet. */
  bool running() const;
  /* Once the child exited: its exit code, or 128 + the signal number if a
   * signal killed it; -1 before. */
  int exit_status() const { return exit_status_; }
  /* The last 4 KiB the child wrote to stderr (read in run()'s loop). */
  std::string stderr_tail() const { return stderr_tail_; }
  /* The child's process id (also its process group id), -1 before start(). */
  int pid() const { return pid_; }

  static constexpr std::size_t kStderrTailBytes = 4096;
  /* How long stdout may stay open after the child exited (what it started
   * writing late), and how long the child has to exit after kComplete. */
  static constexpr std::chrono::milliseconds kExitLinger{1000};

private:
  /* Reads the reaper's messages; with `wait_ms` >= 0 waits that long for
   * one first. False once the reaper is gone. */
  bool read_messages(int wait_ms) const;
  /* Ends the call: everything left is killed and reaped, the reaper too. */
  void finish();
  void close_pipes();

  int pid_ = -1;          /* the child */
  int reaper_pid_ = -1;   /* its reaper, our own child */
  int channel_fd_ = -1;   /* to and from the reaper */
  bool finished_ = false; /* the reaper is gone: nothing of the call runs */
  mutable bool exited_ = false;
  mutable bool idle_ = false; /* after a terminate request: nothing runs any more */
  mutable bool reaper_gone_ = false;
  mutable int exit_status_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::string stderr_tail_;
};

} /* namespace voicekit::reply */

#endif /* GST_REPLY_COMMAND_HPP */

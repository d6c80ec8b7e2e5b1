// A child process for replyonpause's command handler, in plain POSIX (no
// GLib): runs a program without a shell, writes the utterance to its stdin
// while streaming its stdout to a callback, with a deadline and cancellation.
//
// The child runs in its own process group, so terminate() also reaches what it
// started (`sh -c '...; sleep 100'`). Its stdin, stdout and stderr are pipes;
// no other descriptor of this process is inherited; its signal mask is empty
// and common signals (SIGPIPE, SIGTERM, SIGINT, ...) have their default action
// whatever this process does with them.
//
// One Command is used by one thread at a time; different Commands may run
// concurrently in any number of threads (no global state: only the calling
// thread's signal mask is touched, and restored, during run()).
#pragma once

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
  // Terminates (SIGTERM, then SIGKILL after a short grace) and reaps a child
  // still running.
  ~Command();
  Command(const Command &) = delete;
  Command &operator=(const Command &) = delete;

  // argv[0] is looked up in this process's PATH (unless it holds a '/'), as
  // execvp() does; no shell. `env` entries (name, value) are added to, or
  // override, this process's environment. False with the reason in *why (may be null) if the
  // program cannot be run: not found, not executable, bad arguments, already started.
  bool start(const std::vector<std::string> &argv,
             const std::vector<std::pair<std::string, std::string>> &env, std::string *why);

  enum class Outcome {
    kExited,        // stdout closed and the child exited: see exit_status()
    kTimedOut,      // the deadline passed
    kCancelled,     // cancel_fd became readable
    kOutputRefused, // on_output returned false
  };

  // Writes `input` to the child's stdin (then closes it) while reading its
  // stdout and stderr, in one poll() loop: no deadlock whatever the sizes. A
  // child that exits or closes stdin without reading all of it is not an
  // error (and raises no SIGPIPE in this process). on_output(data, size) gets
  // each piece of stdout as it arrives (if empty, stdout is discarded);
  // returning false stops (kOutputRefused).
  // Returns when stdout is closed AND the child has exited (kExited), at
  // `deadline` (kTimedOut; time_point::max() for none), or when `cancel_fd`
  // (an eventfd or pipe, -1 for none; not read, so it stays readable) becomes
  // readable (kCancelled). Except after kExited the child (or what it left
  // behind holding stdout) is still running: call terminate(). At kExited,
  // whatever the child left running in its process group is killed (SIGKILL)
  // and the child reaped: nothing outlives the call. Meant to be called once
  // per start().
  Outcome run(const std::vector<uint8_t> &input,
              const std::function<bool(const uint8_t *, std::size_t)> &on_output,
              std::chrono::steady_clock::time_point deadline, int cancel_fd);

  // SIGTERM to the child's process group, wait up to `grace` for the child to
  // exit (if it has exited already, leaving others in its group, wait
  // `grace`), then SIGKILL to the group (for the child, or what it started and
  // left behind); always reaps the child. Nothing to do if it was already
  // reaped. Safe to call twice.
  void terminate(std::chrono::milliseconds grace);

  // Started and not reaped, and not exited yet.
  bool running() const;
  // Once reaped: the exit code, or 128 + the signal number if a signal killed
  // it; -1 before.
  int exit_status() const { return exit_status_; }
  // The last 4 KiB the child wrote to stderr (read in run()'s loop).
  std::string stderr_tail() const { return stderr_tail_; }
  // The child's process id (also its process group id), -1 before start().
  int pid() const { return pid_; }

  static constexpr std::size_t kStderrTailBytes = 4096;

private:
  bool reap(bool block);
  bool note_exit();
  void close_pipes();

  int pid_ = -1;
  int pidfd_ = -1; // readable once the child exited (Linux >= 5.3), else -1
  // The child exited: it stays a zombie (not reaped) until terminate() or the
  // end of run(), so its pid, which is its process group's id, cannot be
  // reused while anything it started may still be in that group.
  bool exited_ = false;
  bool reaped_ = false;
  int exit_status_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::string stderr_tail_;
};

} // namespace voicekit::reply

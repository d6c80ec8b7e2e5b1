/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * A child process with piped stdin, stdout and stderr, run in a kill scope
 * (reaper.cpp): the I/O loop, the deadline, cancellation and termination.
 * See command.hpp.
 */
#include "command.hpp"

#include "reaper.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <system_error>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

namespace voicekit::reply {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadChunk = 64 * 1024;
/* What run() still reads from stderr, and from a stdout held open, once the
 * child is done (a leftover may keep writing forever). */
constexpr std::size_t kFinalDrain = 1024 * 1024;
constexpr std::chrono::milliseconds kDestructorGrace(500);

/* Thread-safe (strerror is not guaranteed to be). */
std::string errno_text(int err) {
  return std::generic_category().message(err);
}

void close_fd(int &fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

/* Moves descriptors 0, 1 or 2 of `fds` above 2 (close-on-exec): if this
 * process runs with a standard descriptor closed, a pipe end could land there
 * and the child's dup2 to 0, 1 and 2 would overwrite one pipe end with
 * another. */
bool lift_pair(int fds[2], int *err) {
  for (int i = 0; i < 2; i++) {
    if (fds[i] > 2)
      continue;
    const int moved = ::fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
    if (moved < 0) {
      *err = errno;
      close_fd(fds[0]);
      close_fd(fds[1]);
      return false;
    }
    ::close(fds[i]);
    fds[i] = moved;
  }
  return true;
}

/* Close-on-exec from the start: a concurrent spawn in another thread cannot
 * leak them into its child, which would keep our child's stdout open and hide
 * its end of stream. */
bool make_pipe(int fds[2], int *err) {
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    *err = errno;
    return false;
  }
  return lift_pair(fds, err);
}

/* The reaper's channel: packets keep each message whole, and a send to a
 * reaper that died raises no SIGPIPE (MSG_NOSIGNAL). */
bool make_channel(int fds[2], int *err) {
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    *err = errno;
    return false;
  }
  return lift_pair(fds, err);
}

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0)
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

bool has_nul(const std::string &text) {
  return text.find('\0') != std::string::npos;
}

/* Writing to a pipe whose reader is gone (a child that exits, or closes its
 * stdin, without reading all the input) raises SIGPIPE, whose default action
 * kills the whole process. Changing its disposition would be process-wide
 * (and race with other threads and the application), and pipes have no
 * MSG_NOSIGNAL. So, for the duration of run(), SIGPIPE is blocked in the
 * calling thread only: the kernel sends the SIGPIPE of a failed write to the
 * writing thread, where it stays pending while write() reports EPIPE. Before
 * the mask is restored, that pending SIGPIPE is consumed with a zero-timeout
 * sigtimedwait(), unless one was already pending before (then it was not
 * ours, and the one we raised merged with it: leave it to its owner). This is
 * the technique of OpenSSL's and curl's "sigpipe" helpers. */
class SigpipeBlock {
public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeBlock() {
    if (raised_ && !was_pending_) {
      const struct timespec zero = {0, 0};
      while (sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock &) = delete;
  SigpipeBlock &operator=(const SigpipeBlock &) = delete;

  void raised() { raised_ = true; } /* a write failed with EPIPE */

private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
  bool raised_ = false;
};

/* 0 if `path` is an executable regular file, else the errno exec would give. */
int check_executable(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return errno;
  if (!S_ISREG(st.st_mode))
    return EACCES;
  if (::access(path.c_str(), X_OK) != 0)
    return errno;
  return 0;
}

/* The program execvp() would run for `name`: itself if it holds a '/', else
 * the first executable `dir/name` along PATH (unset: /bin:/usr/bin; an empty
 * element is the current directory). Empty with *err set if there is none:
 * EACCES if one was found but cannot be executed, else ENOENT. The reaper
 * then execs a path: no lookup (and no allocation) after its fork. */
std::string resolve_program(const std::string &name, int *err) {
  if (name.find('/') != std::string::npos) {
    *err = check_executable(name);
    return *err == 0 ? name : std::string();
  }
  const char *env_path = ::getenv("PATH");
  const std::string path = env_path != nullptr ? env_path : "/bin:/usr/bin";
  bool denied = false;
  std::size_t begin = 0;
  for (;;) {
    const std::size_t end = std::min(path.find(':', begin), path.size());
    const std::string dir = path.substr(begin, end - begin);
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    const int result = check_executable(candidate);
    if (result == 0) {
      *err = 0;
      return candidate;
    }
    denied = denied || result == EACCES;
    if (end == path.size())
      break;
    begin = end + 1;
  }
  *err = denied ? EACCES : ENOENT;
  return std::string();
}

/* Milliseconds from now until `when` for poll(), rounded up; -1 for max(). */
int ms_until(Clock::time_point when, Clock::time_point now) {
  if (when == Clock::time_point::max())
    return -1;
  if (when <= now)
    return 0;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(when - now).count();
  return static_cast<int>(std::min<decltype(left)>(left, INT_MAX));
}

/* `when` moved later by `by` (max() stays max()). */
void postpone(Clock::time_point &when, Clock::duration by) {
  if (when != Clock::time_point::max())
    when = by < Clock::time_point::max() - when ? when + by : Clock::time_point::max();
}

} /* namespace */

Command::Command() = default;

Command::~Command() {
  if (reaper_pid_ > 0 && !finished_)
    terminate(kDestructorGrace);
  close_pipes();
  close_fd(channel_fd_);
}

void Command::close_pipes() {
  close_fd(stdin_fd_);
  close_fd(stdout_fd_);
  close_fd(stderr_fd_);
}

bool Command::start(const std::vector<std::string> &argv,
                    const std::vector<std::pair<std::string, std::string>> &env, std::string *why) {
  auto refuse = [&](const std::string &reason) {
    if (why != nullptr)
      *why = reason;
    return false;
  };
  if (reaper_pid_ != -1)
    return refuse("command already started");
  if (argv.empty() || argv[0].empty())
    return refuse("no program to run");
  for (const auto &arg : argv) {
    if (has_nul(arg))
      return refuse("argument of '" + argv[0] + "' contains a NUL byte");
  }

  int error = 0;
  const std::string program = resolve_program(argv[0], &error);
  if (program.empty())
    return refuse("cannot run '" + argv[0] + "': " + errno_text(error));

  /* The environment: this process's, minus the names `env` sets, plus `env`
   * (a name given twice: the last value wins). */
  std::vector<std::string> env_strings;
  std::vector<std::string> names;
  for (auto it = env.rbegin(); it != env.rend(); ++it) {
    const std::string &name = it->first;
    if (name.empty() || name.find('=') != std::string::npos || has_nul(name) || has_nul(it->second))
      return refuse("invalid environment variable name or value: '" + name + "'");
    if (std::find(names.begin(), names.end(), name) != names.end())
      continue;
    names.push_back(name);
    env_strings.push_back(name + "=" + it->second);
  }
  for (char **entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string text(*entry);
    const std::string name = text.substr(0, text.find('='));
    if (std::find(names.begin(), names.end(), name) == names.end())
      env_strings.push_back(text);
  }
  std::vector<char *> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto &entry : env_strings)
    envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::vector<std::string> args(argv);
  std::vector<char *> argp;
  argp.reserve(args.size() + 1);
  for (auto &arg : args)
    argp.push_back(arg.data());
  argp.push_back(nullptr);

  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, channel[2] = {-1, -1};
  if (!make_pipe(in, &error) || !make_pipe(out, &error) || !make_pipe(err, &error) ||
      !make_channel(channel, &error)) {
    for (int *fds : {in, out, err, channel}) {
      close_fd(fds[0]);
      close_fd(fds[1]);
    }
    return refuse("cannot create pipes: " + errno_text(error));
  }

  /* argv[0] stays the name as given. */
  const reaper::Launch launch = {program.c_str(), argp.data(), envp.data(), in[0],
                                 out[1],          err[1],      channel[1]};
  const int reaper = reaper::fork_reaper(launch);
  const int fork_error = errno;
  close_fd(in[0]);
  close_fd(out[1]);
  close_fd(err[1]);
  close_fd(channel[1]);
  stdin_fd_ = in[1];
  stdout_fd_ = out[0];
  stderr_fd_ = err[0];
  channel_fd_ = channel[0];
  if (reaper < 0) {
    close_pipes();
    close_fd(channel_fd_);
    return refuse("cannot run '" + argv[0] + "': " + errno_text(fork_error));
  }
  reaper_pid_ = reaper;

  /* The first message says whether the program runs. */
  reaper::Message first = {0, 0};
  ssize_t got;
  do {
    got = ::recv(channel_fd_, &first, sizeof first, 0);
  } while (got < 0 && errno == EINTR);
  if (got != static_cast<ssize_t>(sizeof first) || first.kind != reaper::kStarted) {
    finish();
    close_pipes();
    const int reason = got == static_cast<ssize_t>(sizeof first) ? first.value : ECHILD;
    return refuse("cannot run '" + argv[0] + "': " + errno_text(reason));
  }
  pid_ = first.value;
  set_nonblocking(stdin_fd_);
  set_nonblocking(stdout_fd_);
  set_nonblocking(stderr_fd_);
  set_nonblocking(channel_fd_);
  return true;
}

bool Command::read_messages(int wait_ms) const {
  if (channel_fd_ < 0 || reaper_gone_)
    return false;
  if (wait_ms >= 0) {
    struct pollfd fd = {channel_fd_, POLLIN, 0};
    while (::poll(&fd, 1, wait_ms) < 0 && errno == EINTR) {
    }
  }
  for (;;) {
    reaper::Message message = {0, 0};
    const ssize_t got = ::recv(channel_fd_, &message, sizeof message, MSG_DONTWAIT);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return true;
    if (got != static_cast<ssize_t>(sizeof message)) {
      /* end of the channel: the reaper is gone (finished, or killed) */
      reaper_gone_ = true;
      exited_ = true;
      return false;
    }
    if (message.kind == reaper::kExited) {
      exited_ = true;
      exit_status_ = message.value;
    } else if (message.kind == reaper::kIdle) {
      idle_ = true;
    }
  }
}

void Command::finish() {
  if (reaper_pid_ <= 0 || finished_)
    return;
  const char request = reaper::kFinish;
  ::send(channel_fd_, &request, 1, MSG_NOSIGNAL);
  /* Its last messages (the child's exit, when it is reaped now), then the
   * end of the channel when the reaper exits. */
  while (read_messages(-1)) {
    struct pollfd fd = {channel_fd_, POLLIN, 0};
    while (::poll(&fd, 1, -1) < 0 && errno == EINTR) {
    }
  }
  int status = 0;
  while (::waitpid(reaper_pid_, &status, 0) < 0 && errno == EINTR) {
  }
  finished_ = true;
  exited_ = true;
  close_fd(channel_fd_);
}

bool Command::running() const {
  if (pid_ <= 0 || finished_)
    return false;
  read_messages(-2);
  return !exited_;
}

Command::Outcome Command::run(const std::vector<uint8_t> &input,
                              const std::function<bool(const uint8_t *, std::size_t)> &on_output,
                              Clock::time_point deadline, int cancel_fd) {
  OutputSink sink;
  if (on_output)
    sink = [&on_output](const uint8_t *data, std::size_t size) {
      return on_output(data, size) ? Take::kMore : Take::kStop;
    };
  return run(input, sink, deadline, cancel_fd);
}

Command::Outcome Command::run(const std::vector<uint8_t> &input, const OutputSink &on_output,
                              Clock::time_point deadline, int cancel_fd) {
  SigpipeBlock sigpipe;
  std::vector<uint8_t> buffer(kReadChunk);
  std::size_t written = 0;
  if (input.empty())
    close_fd(stdin_fd_);
  bool complete = false;
  Clock::time_point linger_until = Clock::time_point::max();   /* stdout after the exit */
  Clock::time_point complete_until = Clock::time_point::max(); /* the exit after kComplete */

  auto keep_stderr = [&](const uint8_t *data, std::size_t size) {
    stderr_tail_.append(reinterpret_cast<const char *>(data), size);
    if (stderr_tail_.size() > kStderrTailBytes)
      stderr_tail_.erase(0, stderr_tail_.size() - kStderrTailBytes);
  };
  /* One read; false at end of stream or on an error (the descriptor is closed). */
  auto read_some = [&](int &fd, ssize_t *got) {
    ssize_t n;
    do {
      n = ::read(fd, buffer.data(), buffer.size());
    } while (n < 0 && errno == EINTR);
    *got = n;
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
      close_fd(fd);
      return false;
    }
    return true;
  };
  /* A piece of stdout to the caller; false on kStop. Time spent there does
   * not count (backpressure). */
  auto deliver = [&](const uint8_t *data, std::size_t size) {
    if (complete || !on_output)
      return true;
    const auto before = Clock::now();
    const Take take = on_output(data, size);
    const auto spent = Clock::now() - before;
    postpone(deadline, spent);
    postpone(linger_until, spent);
    postpone(complete_until, spent);
    if (take == Take::kComplete)
      complete = true;
    return take != Take::kStop;
  };
  /* What is there to read now, up to kFinalDrain: false on kStop. */
  auto drain = [&](int &fd, bool is_stdout) {
    std::size_t drained = 0;
    ssize_t n = 0;
    while (fd >= 0 && drained < kFinalDrain && read_some(fd, &n) && n > 0) {
      drained += static_cast<std::size_t>(n);
      if (!is_stdout)
        keep_stderr(buffer.data(), static_cast<std::size_t>(n));
      else if (!deliver(buffer.data(), static_cast<std::size_t>(n)))
        return false;
    }
    return true;
  };

  for (;;) {
    auto now = Clock::now();
    if (exited_ && linger_until == Clock::time_point::max())
      linger_until = now + kExitLinger;
    if (complete && complete_until == Clock::time_point::max())
      complete_until = now + kExitLinger;
    if (exited_ && (stdout_fd_ < 0 || complete || now >= linger_until)) {
      /* Done. Output still held open by a leftover: what is there now. */
      close_fd(stdin_fd_);
      if (!drain(stdout_fd_, true))
        return Outcome::kOutputRefused;
      drain(stderr_fd_, false);
      finish();
      close_pipes();
      return Outcome::kExited;
    }
    if (complete && now >= complete_until) {
      drain(stderr_fd_, false);
      finish();
      close_pipes();
      return Outcome::kCompleted;
    }
    if (deadline != Clock::time_point::max() && now >= deadline)
      return Outcome::kTimedOut;
    const int timeout =
        ms_until(std::min({deadline, exited_ ? linger_until : Clock::time_point::max(),
                           complete ? complete_until : Clock::time_point::max()}),
                 now);

    struct pollfd fds[5];
    nfds_t count = 0;
    int cancel_at = -1, stdin_at = -1, stdout_at = -1, stderr_at = -1, channel_at = -1;
    auto watch = [&](int fd, short events, int *at) {
      if (fd < 0)
        return;
      *at = static_cast<int>(count);
      fds[count++] = {fd, events, 0};
    };
    watch(cancel_fd, POLLIN, &cancel_at);
    watch(stdin_fd_, POLLOUT, &stdin_at);
    watch(stdout_fd_, POLLIN, &stdout_at);
    watch(stderr_fd_, POLLIN, &stderr_at);
    watch(exited_ ? -1 : channel_fd_, POLLIN, &channel_at);

    const int ready = ::poll(fds, count, timeout);
    if (ready < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      /* EFAULT/EINVAL cannot happen with these arguments: give up as at the
       * deadline, the caller terminates the child. */
      return Outcome::kTimedOut;
    }
    if (ready == 0)
      continue; /* a deadline or a linger: checked at the top */
    auto fired = [&](int at) { return at >= 0 && fds[at].revents != 0; };

    /* A cancel_fd that is not open (POLLNVAL) cancels too: better than
     * running on unstoppable. */
    if (fired(cancel_at))
      return Outcome::kCancelled;

    if (fired(stdin_at)) {
      ssize_t n;
      do {
        n = ::write(stdin_fd_, input.data() + written, input.size() - written);
      } while (n < 0 && errno == EINTR);
      if (n > 0) {
        written += static_cast<std::size_t>(n);
        if (written == input.size())
          close_fd(stdin_fd_);
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        /* EPIPE: the child does not read its input (any more). Not an error. */
        if (errno == EPIPE)
          sigpipe.raised();
        close_fd(stdin_fd_);
      }
    }

    if (fired(stdout_at)) {
      ssize_t n = 0;
      if (read_some(stdout_fd_, &n) && n > 0 &&
          !deliver(buffer.data(), static_cast<std::size_t>(n)))
        return Outcome::kOutputRefused;
    }

    if (fired(stderr_at)) {
      ssize_t n = 0;
      if (read_some(stderr_fd_, &n) && n > 0)
        keep_stderr(buffer.data(), static_cast<std::size_t>(n));
    }

    if (fired(channel_at))
      read_messages(-2);
  }
}

void Command::terminate(std::chrono::milliseconds grace) {
  if (reaper_pid_ <= 0 || finished_) {
    close_pipes();
    return;
  }
  /* SIGTERM to the child's group and to every process reparented to the
   * reaper; then wait for the reaper to say nothing runs any more, at most
   * `grace`; finish() kills what is left. */
  idle_ = false;
  const char request = reaper::kTerminate;
  if (::send(channel_fd_, &request, 1, MSG_NOSIGNAL) == 1) {
    const auto until = Clock::now() + grace;
    for (;;) {
      const auto now = Clock::now();
      if ((idle_ && exited_) || reaper_gone_ || now >= until)
        break;
      read_messages(ms_until(until, now));
    }
  }
  finish();
  close_pipes();
}

} /* namespace voicekit::reply */

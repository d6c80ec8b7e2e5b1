// Child process with piped stdin/stdout/stderr: see command.hpp.
#include "command.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <system_error>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

namespace voicekit::reply {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadChunk = 64 * 1024;
// Without a pidfd (kernel < 5.3) the child's exit is polled this often.
constexpr int kExitPollMs = 10;
// What run() still reads from stderr once the child is done (a grandchild may
// keep writing to it forever).
constexpr std::size_t kFinalStderrDrain = 1024 * 1024;
constexpr std::chrono::milliseconds kDestructorGrace(500);

// Thread-safe (strerror is not guaranteed to be).
std::string errno_text(int err) {
  return std::generic_category().message(err);
}

void close_fd(int &fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

// A close-on-exec pipe whose ends are not 0, 1 or 2: if this process runs with
// a standard descriptor closed, a pipe end could land there and the child's
// dup2 to 0, 1 and 2 would overwrite one pipe end with another.
bool make_pipe(int fds[2], int *err) {
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    *err = errno;
    return false;
  }
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

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0)
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

bool has_nul(const std::string &text) {
  return text.find('\0') != std::string::npos;
}

// Writing to a pipe whose reader is gone (a child that exits, or closes its
// stdin, without reading all the input) raises SIGPIPE, whose default action
// kills the whole process. Changing its disposition would be process-wide
// (and race with other threads and the application), and pipes have no
// MSG_NOSIGNAL. So, for the duration of run(), SIGPIPE is blocked in the
// calling thread only: the kernel sends the SIGPIPE of a failed write to the
// writing thread, where it stays pending while write() reports EPIPE. Before
// the mask is restored, that pending SIGPIPE is consumed with a zero-timeout
// sigtimedwait(), unless one was already pending before (then it was not
// ours, and the one we raised merged with it: leave it to its owner). This is
// the technique of OpenSSL's and curl's "sigpipe" helpers.
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

  void raised() { raised_ = true; } // a write failed with EPIPE

private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
  bool raised_ = false;
};

// 0 if `path` is an executable regular file, else the errno exec would give.
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

// The program execvp() would run for `name`: itself if it holds a '/', else
// the first executable `dir/name` along PATH (unset: /bin:/usr/bin; an empty
// element is the current directory). Empty with *err set if there is none:
// EACCES if one was found but cannot be executed, else ENOENT.
//
// glibc's posix_spawnp reports exec failures itself, but only where its
// CLONE_VFORK child shares memory with the parent: under valgrind or
// qemu-user the spawn "succeeds" and the child exits 127. Resolving first
// gives the same clear reason everywhere; the spawn still reports the rest
// (a file that is not a valid executable, a race with its removal).
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

int pidfd_open(int pid) {
#ifdef SYS_pidfd_open
  // Always close-on-exec. ENOSYS on kernels before 5.3 (or under an old
  // valgrind): the caller falls back to polling waitpid().
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

} // namespace

Command::Command() = default;

Command::~Command() {
  if (pid_ > 0 && !reaped_)
    terminate(kDestructorGrace);
  close_pipes();
  close_fd(pidfd_);
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
  if (pid_ != -1)
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

  // The environment: this process's, minus the names `env` sets, plus `env`
  // (a name given twice: the last value wins).
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

  // Pipes are close-on-exec from the start (pipe2): a concurrent spawn in
  // another thread cannot leak them into its child, which would keep our
  // child's stdout open and hide its end of stream.
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  if (!make_pipe(in, &error) || !make_pipe(out, &error) || !make_pipe(err, &error)) {
    for (int *fds : {in, out, err}) {
      close_fd(fds[0]);
      close_fd(fds[1]);
    }
    return refuse("cannot create pipes: " + errno_text(error));
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears close-on-exec on 0, 1 and 2 (the pipe ends are never 0..2).
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // Descriptors the application (or a library) opened without close-on-exec
  // must not reach the child either.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group (its id is the child's pid): terminate() signals the
  // group, so what the child starts goes too.
  posix_spawnattr_setpgroup(&attr, 0);
  // The calling thread may block signals (run() blocks SIGPIPE; GStreamer
  // and applications block others) and the process may ignore some (Python
  // ignores SIGPIPE): the child starts with none blocked and every signal at
  // its default action, as from a shell.
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t all;
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(
      &attr,
      static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));

  // posix_spawn reports a failed exec (ENOEXEC, ...) as its return value: the
  // child does not exist then. argv[0] stays the name as given.
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, program.c_str(), &actions, &attr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close_fd(in[0]);
  close_fd(out[1]);
  close_fd(err[1]);
  if (rc != 0) {
    close_fd(in[1]);
    close_fd(out[0]);
    close_fd(err[0]);
    return refuse("cannot run '" + argv[0] + "': " + errno_text(rc));
  }

  pid_ = pid;
  stdin_fd_ = in[1];
  stdout_fd_ = out[0];
  stderr_fd_ = err[0];
  set_nonblocking(stdin_fd_);
  set_nonblocking(stdout_fd_);
  set_nonblocking(stderr_fd_);
  // Race-free: the child is not reaped yet, so the pid is still ours.
  pidfd_ = pidfd_open(pid_);
  return true;
}

bool Command::reap(bool block) {
  if (pid_ <= 0 || reaped_)
    return reaped_;
  int status = 0;
  pid_t got;
  do {
    got = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (got < 0 && errno == EINTR);
  if (got == 0)
    return false;
  reaped_ = true; // also on ECHILD: someone else reaped it (SIGCHLD ignored)
  if (got == pid_) {
    if (WIFEXITED(status))
      exit_status_ = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
      exit_status_ = 128 + WTERMSIG(status);
  }
  close_fd(pidfd_);
  return true;
}

bool Command::note_exit() {
  if (pid_ <= 0 || reaped_ || exited_)
    return true;
  siginfo_t info = {};
  // WNOWAIT: the zombie keeps the pid (and group id) reserved until reaped.
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno == ECHILD)
      exited_ = reaped_ = true; // someone else reaped it (SIGCHLD ignored)
    return exited_;
  }
  exited_ = info.si_pid != 0;
  return exited_;
}

bool Command::running() const {
  if (pid_ <= 0 || reaped_)
    return false;
  siginfo_t info = {};
  // WNOWAIT: look without reaping (this is const).
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0)
    return false;
  return info.si_pid == 0;
}

Command::Outcome Command::run(const std::vector<uint8_t> &input,
                              const std::function<bool(const uint8_t *, std::size_t)> &on_output,
                              Clock::time_point deadline, int cancel_fd) {
  SigpipeBlock sigpipe;
  std::vector<uint8_t> buffer(kReadChunk);
  std::size_t written = 0;
  if (input.empty())
    close_fd(stdin_fd_);

  auto keep_stderr = [&](const uint8_t *data, std::size_t size) {
    stderr_tail_.append(reinterpret_cast<const char *>(data), size);
    if (stderr_tail_.size() > kStderrTailBytes)
      stderr_tail_.erase(0, stderr_tail_.size() - kStderrTailBytes);
  };
  // One read; false at end of stream or on an error (the descriptor is closed).
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

  for (;;) {
    if (pidfd_ < 0)
      note_exit();
    if (stdout_fd_ < 0 && (exited_ || pid_ <= 0)) {
      close_fd(stdin_fd_);
      std::size_t drained = 0;
      ssize_t n = 0;
      while (stderr_fd_ >= 0 && drained < kFinalStderrDrain && read_some(stderr_fd_, &n) && n > 0) {
        keep_stderr(buffer.data(), static_cast<std::size_t>(n));
        drained += static_cast<std::size_t>(n);
      }
      // Done: nothing the child started may outlive the call (a daemon it
      // left behind, not holding stdout). Its group id is still reserved by
      // the unreaped child, so this reaches only its group.
      if (pid_ > 0 && !reaped_)
        ::kill(-pid_, SIGKILL);
      reap(true);
      return Outcome::kExited;
    }

    int timeout = -1;
    if (deadline != Clock::time_point::max()) {
      const auto now = Clock::now();
      if (now >= deadline)
        return Outcome::kTimedOut;
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
      timeout = static_cast<int>(std::min<decltype(left)>(left, INT_MAX));
    }
    if (pidfd_ < 0 && !exited_)
      timeout = timeout < 0 ? kExitPollMs : std::min(timeout, kExitPollMs);

    struct pollfd fds[5];
    nfds_t count = 0;
    int cancel_at = -1, stdin_at = -1, stdout_at = -1, stderr_at = -1, pidfd_at = -1;
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
    watch(exited_ ? -1 : pidfd_, POLLIN, &pidfd_at);

    const int ready = ::poll(fds, count, timeout);
    if (ready < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      // EFAULT/EINVAL cannot happen with these arguments: give up as at the
      // deadline, the caller terminates the child.
      return Outcome::kTimedOut;
    }
    if (ready == 0)
      continue; // deadline or exit poll: checked at the top
    auto fired = [&](int at) { return at >= 0 && fds[at].revents != 0; };

    // A cancel_fd that is not open (POLLNVAL) cancels too: better than
    // running on unstoppable.
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
        // EPIPE: the child does not read its input (any more). Not an error.
        if (errno == EPIPE)
          sigpipe.raised();
        close_fd(stdin_fd_);
      }
    }

    if (fired(stdout_at)) {
      ssize_t n = 0;
      if (read_some(stdout_fd_, &n) && n > 0 && on_output &&
          !on_output(buffer.data(), static_cast<std::size_t>(n)))
        return Outcome::kOutputRefused;
    }

    if (fired(stderr_at)) {
      ssize_t n = 0;
      if (read_some(stderr_fd_, &n) && n > 0)
        keep_stderr(buffer.data(), static_cast<std::size_t>(n));
    }

    if (fired(pidfd_at))
      note_exit();
  }
}

void Command::terminate(std::chrono::milliseconds grace) {
  if (pid_ <= 0 || reaped_) {
    close_pipes();
    return;
  }
  // Until the child is reaped its pid, hence its process group id, cannot be
  // reused: signalling -pid_ cannot hit an unrelated process. If the child
  // left the group (setsid), signal it directly.
  auto signal_all = [&](int sig) {
    if (::kill(-pid_, sig) != 0)
      ::kill(pid_, sig);
  };
  note_exit();
  const bool had_exited = exited_;
  signal_all(SIGTERM);

  const auto until = Clock::now() + grace;
  if (had_exited) {
    // Only what the child left behind can still run: give it the grace
    // period (its exit cannot be watched: the zombie stays in the group).
    const auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(grace);
    struct timespec pause = {static_cast<time_t>(wait.count() / 1000000000),
                             static_cast<long>(wait.count() % 1000000000)};
    while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
    }
  }
  for (; !had_exited;) {
    const auto now = Clock::now();
    if (now >= until)
      break;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
    if (pidfd_ >= 0) {
      struct pollfd fd = {pidfd_, POLLIN, 0};
      const int ready = ::poll(&fd, 1, static_cast<int>(std::min<decltype(left)>(left, INT_MAX)));
      if (ready > 0)
        break;
      if (ready < 0 && errno != EINTR)
        break;
    } else {
      siginfo_t info = {};
      if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
          info.si_pid != 0)
        break;
      const struct timespec pause = {0, 5 * 1000 * 1000};
      nanosleep(&pause, nullptr);
    }
  }
  // The child has exited (still a zombie, so the group id is still ours) or
  // ignored SIGTERM for the whole grace period: SIGKILL the group, which also
  // ends anything it started that outlived it or ignores SIGTERM.
  signal_all(SIGKILL);
  reap(true);
  close_pipes();
}

} // namespace voicekit::reply

/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The reaper process of one command: see reaper.hpp. Everything below the
 * fork makes raw system calls only (async-signal-safe, no sanitizer
 * instrumentation), on memory prepared before the fork.
 */
#include "reaper.hpp"

#include <cerrno>
#include <csignal>
#include <cstddef>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Code that runs in the forked reaper (or the program before exec): no
 * sanitizer runtime call, which could take a lock another thread of the
 * parent held at the fork. */
#define REAPER_CODE __attribute__((no_sanitize("address", "thread", "undefined")))

namespace voicekit::reply::reaper {

namespace {

/* The kernel's sigset_t is 64 bits. */
constexpr long kKernelSigsetBytes = 8;
/* finish(): a child that survives SIGKILL this long (uninterruptible sleep)
 * is left to init: the reaper does not hang the caller. */
constexpr int kFinishRounds = 100;
constexpr int kFinishRoundMs = 50;

/* ---- raw system calls ------------------------------------------------------- */

REAPER_CODE long sys_read(int fd, void *data, std::size_t size) {
  long n;
  do {
    n = syscall(SYS_read, fd, data, size);
  } while (n < 0 && errno == EINTR);
  return n;
}

REAPER_CODE void sys_write(int fd, const void *data, std::size_t size) {
  long n;
  do {
    n = syscall(SYS_write, fd, data, size);
  } while (n < 0 && errno == EINTR);
}

REAPER_CODE void sys_close(int fd) {
  syscall(SYS_close, fd);
}

REAPER_CODE int sys_open(const char *path, int flags) {
  return static_cast<int>(syscall(SYS_openat, AT_FDCWD, path, flags, 0));
}

REAPER_CODE int sys_wait(int pid, int *status, int options) {
  long got;
  do {
    got = syscall(SYS_wait4, pid, status, options, nullptr);
  } while (got < 0 && errno == EINTR);
  return static_cast<int>(got);
}

REAPER_CODE void sys_kill(int pid, int sig) {
  syscall(SYS_kill, pid, sig);
}

/* poll() for `timeout_ms` (-1: no limit). */
REAPER_CODE int sys_poll(struct pollfd *fds, unsigned count, int timeout_ms) {
  struct timespec timeout = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
  long ready;
  do {
    ready = syscall(SYS_ppoll, fds, count, timeout_ms < 0 ? nullptr : &timeout, nullptr,
                    kKernelSigsetBytes);
  } while (ready < 0 && errno == EINTR);
  return static_cast<int>(ready);
}

[[noreturn]] REAPER_CODE void sys_exit(int code) {
  for (;;)
    syscall(SYS_exit_group, code);
}

REAPER_CODE int do_fork() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  return _Fork(); /* async-signal-safe: no atfork handlers */
#else
  return fork();
#endif
}

/* ---- small helpers, no allocation ------------------------------------------- */

REAPER_CODE void send(int channel, Kind kind, int value) {
  const Message message = {kind, value};
  sys_write(channel, &message, sizeof message);
}

REAPER_CODE int status_code(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

/* Writes `value` in decimal at `out`; returns the end. */
REAPER_CODE char *put_number(char *out, long value) {
  char digits[24];
  int count = 0;
  do {
    digits[count++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  while (count > 0)
    *out++ = digits[--count];
  return out;
}

REAPER_CODE char *put_text(char *out, const char *text) {
  while (*text != '\0')
    *out++ = *text++;
  return out;
}

/* Closes descriptors `from` to `last` (~0U: to the end). */
REAPER_CODE void close_range_of(unsigned from, unsigned last) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, from, last, 0) == 0)
    return;
#endif
  /* no close_range (kernel < 5.9): one by one, up to the descriptor limit */
  struct rlimit limit = {1024, 1024};
  syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, nullptr, &limit);
  const rlim_t end = limit.rlim_cur < (1u << 20) ? limit.rlim_cur : (1u << 20);
  for (rlim_t fd = from; fd < end && fd <= last; fd++)
    sys_close(static_cast<int>(fd));
}

/* Closes every descriptor from 3 on but the `keep` ones (all above 2). */
REAPER_CODE void close_others(const int *keep, int count) {
  int sorted[8];
  for (int i = 0; i < count; i++) { /* insertion sort */
    int j = i;
    while (j > 0 && sorted[j - 1] > keep[i]) {
      sorted[j] = sorted[j - 1];
      j--;
    }
    sorted[j] = keep[i];
  }
  unsigned from = 3;
  for (int i = 0; i < count; i++) {
    const auto fd = static_cast<unsigned>(sorted[i]);
    if (fd > from)
      close_range_of(from, fd - 1);
    if (fd + 1 > from)
      from = fd + 1;
  }
  close_range_of(from, ~0U);
}

/* Sends `sig` to every child of this process (the program and the orphans
 * reparented here); returns how many there were, or -1 if /proc cannot say. */
REAPER_CODE int signal_children(int self, int sig) {
  char path[64];
  char *end = put_text(path, "/proc/");
  end = put_number(end, self);
  end = put_text(end, "/task/");
  end = put_number(end, self);
  end = put_text(end, "/children");
  *end = '\0';
  const int fd = sys_open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  int count = 0;
  long pid = 0;
  bool in_number = false;
  char buffer[512];
  for (;;) {
    const long n = sys_read(fd, buffer, sizeof buffer);
    if (n <= 0)
      break;
    for (long i = 0; i < n; i++) {
      const char c = buffer[i];
      if (c >= '0' && c <= '9') {
        pid = pid * 10 + (c - '0');
        in_number = true;
      } else if (in_number) {
        sys_kill(static_cast<int>(pid), sig);
        count++;
        pid = 0;
        in_number = false;
      }
    }
  }
  if (in_number) {
    sys_kill(static_cast<int>(pid), sig);
    count++;
  }
  sys_close(fd);
  return count;
}

/* Reaps every child that has exited, reporting the program's exit. True
 * while children remain. */
REAPER_CODE bool reap_exited(int program, int channel) {
  for (;;) {
    int status = 0;
    const int got = sys_wait(-1, &status, WNOHANG | __WALL);
    if (got > 0) {
      if (got == program)
        send(channel, kExited, status_code(status));
      continue;
    }
    return got == 0; /* -1 (ECHILD): no child at all */
  }
}

REAPER_CODE void drain_signalfd(int fd) {
  struct signalfd_siginfo info[4];
  while (sys_read(fd, info, sizeof info) > 0) {
  }
}

/* SIGKILL to everything left, until nothing is: each child killed hands its
 * own children over to us when it dies (we are their subreaper). */
[[noreturn]] REAPER_CODE void finish(int self, int program, int channel, int sigchld) {
  for (int round = 0; round < kFinishRounds; round++) {
    if (signal_children(self, SIGKILL) < 0)
      sys_kill(-program, SIGKILL); /* no /proc: at least the program's group */
    if (!reap_exited(program, channel))
      break;
    struct pollfd fd = {sigchld, POLLIN, 0};
    sys_poll(&fd, 1, kFinishRoundMs);
    drain_signalfd(sigchld);
  }
  sys_exit(0);
}

/* The program: its stdio on the pipes, its own process group, default
 * signals, then exec. On failure the errno goes to `exec_error`. */
[[noreturn]] REAPER_CODE void exec_program(const Launch &launch, int exec_error) {
  syscall(SYS_dup3, launch.stdin_fd, STDIN_FILENO, 0);
  syscall(SYS_dup3, launch.stdout_fd, STDOUT_FILENO, 0);
  syscall(SYS_dup3, launch.stderr_fd, STDERR_FILENO, 0);
  syscall(SYS_setpgid, 0, 0);
  /* Ignored signals stay ignored across exec (Python ignores SIGPIPE): back
   * to their default, as from a shell. Handled ones are reset by exec. */
  struct sigaction default_action = {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) {
    struct sigaction current = {};
    if (sigaction(sig, nullptr, &current) == 0 && current.sa_handler == SIG_IGN)
      sigaction(sig, &default_action, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, kKernelSigsetBytes);
  syscall(SYS_execve, launch.program, launch.argv, launch.envp);
  const int error = errno;
  sys_write(exec_error, &error, sizeof error);
  sys_exit(127);
}

[[noreturn]] REAPER_CODE void reaper_main(const Launch &launch) {
  const int channel = launch.channel_fd;
  /* Its own process group: what the caller's terminal or group receives
   * does not reach it (every signal is blocked here anyway). */
  syscall(SYS_setpgid, 0, 0);
  syscall(SYS_prctl, PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L);
  /* A caller ignoring SIGCHLD would have children reaped by the kernel, and
   * no exit status. */
  struct sigaction default_action = {};
  default_action.sa_handler = SIG_DFL;
  sigaction(SIGCHLD, &default_action, nullptr);

  /* Nothing of the caller's stays open here: not its stdout (a test runner
   * waits for its end), not its sockets. */
  const int null_fd = sys_open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd <= 2 && null_fd >= 0; fd++)
    syscall(SYS_dup3, null_fd, fd, 0);
  const int keep[] = {launch.stdin_fd, launch.stdout_fd, launch.stderr_fd, channel};
  close_others(keep, 4);

  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  const int sigchld = static_cast<int>(
      syscall(SYS_signalfd4, -1, &chld, kKernelSigsetBytes, SFD_CLOEXEC | SFD_NONBLOCK));
  int exec_pipe[2] = {-1, -1};
  if (sigchld < 0 || syscall(SYS_pipe2, exec_pipe, O_CLOEXEC) != 0) {
    send(channel, kExecFailed, errno);
    sys_exit(0);
  }
  const int program = do_fork();
  if (program == 0)
    exec_program(launch, exec_pipe[1]);
  const int fork_error = errno;
  sys_close(exec_pipe[1]);
  sys_close(launch.stdin_fd);
  sys_close(launch.stdout_fd);
  sys_close(launch.stderr_fd);
  if (program < 0) {
    send(channel, kExecFailed, fork_error);
    sys_exit(0);
  }
  int exec_error = 0;
  if (sys_read(exec_pipe[0], &exec_error, sizeof exec_error) ==
      static_cast<long>(sizeof exec_error)) {
    int status = 0;
    sys_wait(program, &status, 0);
    send(channel, kExecFailed, exec_error);
    sys_exit(0);
  }
  sys_close(exec_pipe[0]);
  send(channel, kStarted, program);

  const int self = static_cast<int>(syscall(SYS_getpid));
  bool terminating = false;
  for (;;) {
    struct pollfd fds[2] = {{channel, POLLIN, 0}, {sigchld, POLLIN, 0}};
    if (sys_poll(fds, 2, -1) < 0)
      finish(self, program, channel, sigchld);
    if (fds[1].revents != 0) {
      drain_signalfd(sigchld);
      if (!reap_exited(program, channel) && terminating)
        send(channel, kIdle, 0);
    }
    if (fds[0].revents != 0) {
      char request = 0;
      if (sys_read(channel, &request, 1) != 1 || request != kTerminate)
        finish(self, program, channel, sigchld);
      terminating = true;
      sys_kill(-program, SIGTERM);
      signal_children(self, SIGTERM);
      if (!reap_exited(program, channel))
        send(channel, kIdle, 0);
    }
  }
}

} /* namespace */

int fork_reaper(const Launch &launch) {
  /* Every signal blocked across the fork: no handler of the caller may run
   * in the reaper. The caller's mask is restored at once. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  const int pid = do_fork();
  if (pid == 0)
    reaper_main(launch);
  const int error = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = error;
  return pid;
}

} /* namespace voicekit::reply::reaper */

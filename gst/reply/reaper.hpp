/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * The kill scope of one command: a small intermediate process (the reaper)
 * that makes itself a child subreaper, starts the program, and at the end of
 * the call kills every process the program left behind, whatever its session
 * or process group. Plain POSIX and Linux; used by command.cpp only.
 */
#ifndef GST_REPLY_REAPER_HPP
#define GST_REPLY_REAPER_HPP

#include <cstdint>

namespace voicekit::reply::reaper {

/* Why a reaper and not a process group: a program that calls setsid() (or
 * setpgid()) leaves the group, and killing the group misses it. Orphans are
 * reparented to the nearest child subreaper among their ancestors whatever
 * their session or group, so everything the program starts stays reachable
 * from the reaper. The calling process is left as it was: it does not
 * become a subreaper (prctl(PR_SET_CHILD_SUBREAPER) is process-wide), its
 * signal mask and dispositions do not change.
 *
 * The reaper is a fork() of a possibly multithreaded process that never
 * calls exec: from the fork on it makes raw system calls only (no malloc, no
 * lock, no stdio), on data prepared before the fork. */

/* What the reaper needs, all prepared before the fork. */
struct Launch {
  const char *program; /* the resolved path, as for execve() */
  char *const *argv;   /* NULL-terminated */
  char *const *envp;   /* NULL-terminated */
  int stdin_fd;        /* the program's stdin, stdout, stderr: pipe ends */
  int stdout_fd;       /* above 2, close-on-exec */
  int stderr_fd;
  int channel_fd; /* the reaper's end of a SOCK_SEQPACKET socketpair */
};

/* Forks the reaper, which starts the program (its pid is then the program's
 * process group id too). Returns the reaper's pid, or -1 with errno set. The
 * first message on the channel says whether the program started. */
int fork_reaper(const Launch &launch);

/* Messages from the reaper, one per packet. */
struct Message {
  int32_t kind;
  int32_t value;
};
enum Kind : int32_t {
  kStarted = 1,    /* value: the program's pid */
  kExecFailed = 2, /* value: the errno of fork or exec; the reaper then exits */
  kExited = 3,     /* value: the program's exit code, or 128 + the signal that killed it */
  kIdle = 4,       /* after kTerminate: nothing the program started runs any more */
};

/* Requests to the reaper, one byte each. End of the channel (the caller
 * closed it, or died) means kFinish. */
constexpr char kTerminate = 'T'; /* SIGTERM to the program's group and every child */
constexpr char kFinish = 'K';    /* SIGKILL to everything left, reap it all, exit */

} /* namespace voicekit::reply::reaper */

#endif /* GST_REPLY_REAPER_HPP */

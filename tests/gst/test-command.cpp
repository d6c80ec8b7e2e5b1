/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Copyright (C) 2026 The gst-voicekit authors
 *
 * Unit tests of the child process runner (gst/reply/command.hpp): large
 * input and output without deadlock, environment, exit status, stderr,
 * deadline, cancellation, process-group termination, SIGPIPE, streaming,
 * several commands at once, and its kill scope: nothing a command starts
 * outlives the call, whatever its session. Uses sh, setsid, cat, sleep, true
 * and head.
 */
#include <gst/reply/command.hpp>
#include <gst/reply/wav.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace voicekit::reply;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

using Bytes = std::vector<uint8_t>;
using Env = std::vector<std::pair<std::string, std::string>>;

/* Long enough never to trigger on a loaded machine, short enough that a hang
 * fails the test instead of blocking the suite. */
constexpr auto kSafety = std::chrono::seconds(20);

Bytes pattern(std::size_t size, uint32_t seed = 1) {
  Bytes out(size);
  std::mt19937 random(seed);
  for (auto &byte : out)
    byte = static_cast<uint8_t>(random());
  return out;
}

struct Result {
  Command::Outcome outcome;
  std::string out;
  double seconds; /* how long run() took */
};

Result run(Command &command, const Bytes &input = {}, Clock::duration limit = kSafety,
           int cancel_fd = -1) {
  Result result;
  const auto start = Clock::now();
  result.outcome = command.run(
      input,
      [&](const uint8_t *data, std::size_t size) {
        result.out.append(reinterpret_cast<const char *>(data), size);
        return true;
      },
      start + limit, cancel_fd);
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

void start_ok(Command &command, const std::vector<std::string> &argv, const Env &env = {}) {
  std::string why;
  ASSERT_TRUE(command.start(argv, env, &why)) << why;
  ASSERT_GT(command.pid(), 0);
}

/* Gone, or a zombie waiting for whoever adopted it (init may be slow to reap,
 * or not reap at all in a container). */
bool process_gone(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text))
    return true;
  const auto paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() || text[paren + 2] == 'Z' ||
         text[paren + 2] == 'X';
}

bool wait_gone(int pid, milliseconds limit) {
  const auto until = Clock::now() + limit;
  while (!process_gone(pid)) {
    if (Clock::now() > until)
      return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

bool sigpipe_pending() {
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}

bool sigpipe_blocked() {
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return sigismember(&mask, SIGPIPE) == 1;
}

/* Processes (not this one) whose initial environment holds `entry`
 * ("NAME=value"): every process a command starts inherits it, whatever its
 * session or process group. */
std::vector<int> processes_with_env(const std::string &entry) {
  std::vector<int> found;
  DIR *proc = opendir("/proc");
  if (proc == nullptr)
    return found;
  while (struct dirent *item = readdir(proc)) {
    char *end = nullptr;
    const long pid = std::strtol(item->d_name, &end, 10);
    if (end == item->d_name || *end != '\0' || pid == getpid())
      continue;
    std::ifstream environ_file("/proc/" + std::to_string(pid) + "/environ");
    std::string text((std::istreambuf_iterator<char>(environ_file)),
                     std::istreambuf_iterator<char>());
    std::size_t at = 0;
    while (at < text.size()) {
      const std::size_t next = text.find('\0', at);
      const std::string one = text.substr(at, next == std::string::npos ? next : next - at);
      if (one == entry && !process_gone(static_cast<int>(pid)))
        found.push_back(static_cast<int>(pid));
      if (next == std::string::npos)
        break;
      at = next + 1;
    }
  }
  closedir(proc);
  return found;
}

/* The children of the calling thread (what fork() made here and nobody
 * reaped yet). */
std::string children_of_this_thread() {
  std::ifstream file("/proc/self/task/" + std::to_string(gettid()) + "/children");
  std::string text;
  std::getline(file, text);
  return text;
}

/* A file in a fresh directory under /tmp, removed with it. */
struct TempFile {
  std::string dir;
  std::string path;
  TempFile() {
    char name[] = "/tmp/voicekit-command-XXXXXX";
    dir = mkdtemp(name) != nullptr ? name : "/tmp";
    path = dir + "/pid";
  }
  ~TempFile() {
    unlink(path.c_str());
    rmdir(dir.c_str());
  }
  int read_pid() const {
    std::ifstream file(path);
    int pid = -1;
    file >> pid;
    return pid;
  }
};

/* A handler that starts `sleep 100` in a new session (setsid: out of its
 * process group), waits until it runs (its pid in $PIDFILE), then writes
 * "reply". With `hold_stdout` the sleep keeps the handler's stdout open. */
std::vector<std::string> leave_new_session(bool hold_stdout) {
  const std::string redirect =
      hold_stdout ? "</dev/null 2>/dev/null" : "</dev/null >/dev/null 2>&1";
  return {"sh", "-c",
          "setsid sh -c 'echo $$ > \"$PIDFILE\"; exec sleep 100' " + redirect +
              " & while [ ! -s \"$PIDFILE\" ]; do sleep 0.01; done; printf reply"};
}

#define EXPECT_CONTAINS(text, part)                                                                \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "in: " << (text)

} /* namespace */

TEST(Command, CatRoundTripTenMegabytes) {
  /* Far more than a pipe holds both ways: writing all the input before
   * reading would deadlock. */
  const Bytes input = pattern(10 * 1024 * 1024);
  Command command;
  start_ok(command, {"cat"});
  const Result result = run(command, input);
  EXPECT_EQ(result.outcome, Command::Outcome::kExited);
  EXPECT_EQ(command.exit_status(), 0);
  ASSERT_EQ(result.out.size(), input.size());
  EXPECT_TRUE(std::equal(input.begin(), input.end(), result.out.begin(),
                         [](uint8_t a, char b) { return a == static_cast<uint8_t>(b); }));
  EXPECT_FALSE(command.running());
}

TEST(Command, EmptyInputClosesStdin) {
  Command command;
  start_ok(command, {"cat"});
  const Result result = run(command);
  EXPECT_EQ(result.outcome, Command::Outcome::kExited);
  EXPECT_EQ(result.out, "");
  EXPECT_LT(result.seconds, 5.0);
}

TEST(Command, EnvironmentReachesTheChildNotItsArgv) {
  /* Shell metacharacters in the value: no shell ever parses it. */
  const std::string id = "caller-42 $(touch /tmp/voicekit-pwned) `id` \"'; exit 9";
  ASSERT_EQ(setenv("VOICEKIT_TEST_INHERITED", "from-parent", 1), 0);
  ASSERT_EQ(setenv("VOICEKIT_TEST_OVERRIDDEN", "from-parent", 1), 0);
  Command command;
  start_ok(command,
           {"sh", "-c",
            "printf '%s\\n' \"$WEBRTC_ID\" \"$UTTERANCE\" \"$VOICEKIT_TEST_INHERITED\" "
            "\"$VOICEKIT_TEST_OVERRIDDEN\"; tr '\\000' ' ' < /proc/$$/cmdline"},
           {{"WEBRTC_ID", id},
            {"UTTERANCE", "7"},
            {"VOICEKIT_TEST_OVERRIDDEN", "first"},
            {"VOICEKIT_TEST_OVERRIDDEN", "from-command"}});
  const Result result = run(command);
  unsetenv("VOICEKIT_TEST_INHERITED");
  unsetenv("VOICEKIT_TEST_OVERRIDDEN");
  ASSERT_EQ(result.outcome, Command::Outcome::kExited);
  EXPECT_EQ(command.exit_status(), 0) << command.stderr_tail();
  std::istringstream lines(result.out);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, id);
  std::getline(lines, line);
  EXPECT_EQ(line, "7");
  std::getline(lines, line);
  EXPECT_EQ(line, "from-parent");
  std::getline(lines, line);
  EXPECT_EQ(line, "from-command"); /* overridden; the last of two entries wins */
  std::getline(lines, line);
  EXPECT_CONTAINS(line, "sh -c"); /* the child's own command line ... */
  EXPECT_EQ(line.find("caller-42"), std::string::npos) << line; /* ... without the value */
  EXPECT_NE(access("/tmp/voicekit-pwned", F_OK), 0);
}

TEST(Command, InvalidEnvironmentRefused) {
  Command command;
  std::string why;
  EXPECT_FALSE(command.start({"true"}, {{"A=B", "x"}}, &why));
  EXPECT_CONTAINS(why, "environment");
  EXPECT_FALSE(command.start({"true"}, {{"", "x"}}, &why));
  EXPECT_EQ(command.pid(), -1);
}

TEST(Command, ExitStatus) {
  struct Case {
    std::vector<std::string> argv;
    int status;
  };
  for (const Case &c : {Case{{"sh", "-c", "exit 3"}, 3}, Case{{"true"}, 0}, Case{{"false"}, 1},
                        Case{{"sh", "-c", "kill -KILL $$"}, 128 + SIGKILL}}) {
    SCOPED_TRACE(c.argv.back());
    Command command;
    start_ok(command, c.argv);
    EXPECT_EQ(command.exit_status(), -1);
    EXPECT_EQ(run(command).outcome, Command::Outcome::kExited);
    EXPECT_EQ(command.exit_status(), c.status);
    EXPECT_FALSE(command.running());
  }
}

TEST(Command, StderrTail) {
  Command command;
  start_ok(command, {"sh", "-c", "echo oops >&2; echo fine; exit 1"});
  const Result result = run(command);
  EXPECT_EQ(result.outcome, Command::Outcome::kExited);
  EXPECT_EQ(result.out, "fine\n");
  EXPECT_EQ(command.stderr_tail(), "oops\n");
  EXPECT_EQ(command.exit_status(), 1);

  /* 100 kB of stderr (more than a pipe holds: must be read while running),
   * only the last 4 KiB kept. */
  Command loud;
  start_ok(loud, {"sh", "-c", "head -c 100000 /dev/zero | tr '\\000' x >&2; printf END >&2"});
  EXPECT_EQ(run(loud).outcome, Command::Outcome::kExited);
  const std::string tail = loud.stderr_tail();
  ASSERT_EQ(tail.size(), Command::kStderrTailBytes);
  EXPECT_EQ(tail.substr(tail.size() - 4), "xEND");
  EXPECT_EQ(tail.find_first_not_of('x'), tail.size() - 3);
}

TEST(Command, MissingProgramFailsStart) {
  Command command;
  std::string why;
  EXPECT_FALSE(command.start({"voicekit-no-such-program"}, {}, &why));
  EXPECT_CONTAINS(why, "voicekit-no-such-program");
  EXPECT_CONTAINS(why, "No such file");
  EXPECT_EQ(command.pid(), -1);
  EXPECT_FALSE(command.running());

  Command by_path;
  EXPECT_FALSE(by_path.start({"/nonexistent/dir/program"}, {}, &why));
  EXPECT_CONTAINS(why, "No such file");

  Command not_executable;
  EXPECT_FALSE(not_executable.start({"/etc/passwd"}, {}, &why));
  EXPECT_CONTAINS(why, "Permission denied");

  Command empty;
  EXPECT_FALSE(empty.start({}, {}, &why));
  EXPECT_FALSE(why.empty());
}

TEST(Command, StartTwiceRefused) {
  Command command;
  start_ok(command, {"true"});
  std::string why;
  EXPECT_FALSE(command.start({"true"}, {}, &why));
  EXPECT_CONTAINS(why, "already");
  EXPECT_EQ(run(command).outcome, Command::Outcome::kExited);
}

TEST(Command, DeadlineThenTerminate) {
  Command command;
  start_ok(command, {"sleep", "30"});
  const Result result = run(command, {}, milliseconds(200));
  EXPECT_EQ(result.outcome, Command::Outcome::kTimedOut);
  EXPECT_GE(result.seconds, 0.195);
  EXPECT_LT(result.seconds, 0.4);
  EXPECT_TRUE(command.running()); /* not killed by run() */
  const int pid = command.pid();
  EXPECT_EQ(kill(pid, 0), 0);

  const auto before = Clock::now();
  command.terminate(milliseconds(2000));
  EXPECT_LT(Clock::now() - before, milliseconds(1000)); /* sleep dies on SIGTERM */
  EXPECT_FALSE(command.running());
  EXPECT_EQ(command.exit_status(), 128 + SIGTERM);
  EXPECT_EQ(kill(pid, 0), -1);         /* reaped: no zombie left */
  command.terminate(milliseconds(10)); /* twice: harmless */
  EXPECT_EQ(command.exit_status(), 128 + SIGTERM);
}

TEST(Command, TerminateReachesGrandchildren) {
  /* sh starts sleep in the background and waits: terminate() must end both. */
  Command command;
  start_ok(command, {"sh", "-c", "sleep 30 & echo $!; wait"});
  std::string out;
  const auto outcome = command.run(
      {},
      [&](const uint8_t *data, std::size_t size) {
        out.append(reinterpret_cast<const char *>(data), size);
        return out.find('\n') == std::string::npos; /* stop once the pid arrived */
      },
      Clock::now() + kSafety, -1);
  ASSERT_EQ(outcome, Command::Outcome::kOutputRefused);
  const int grandchild = std::atoi(out.c_str());
  ASSERT_GT(grandchild, 0) << out;
  const int group = command.pid();
  EXPECT_EQ(getpgid(grandchild), group); /* same process group as the child */
  EXPECT_EQ(kill(-group, 0), 0);

  command.terminate(milliseconds(2000));
  EXPECT_FALSE(command.running());
  EXPECT_TRUE(wait_gone(grandchild, milliseconds(2000)));
  const int rc = kill(-group, 0);
  const int error = errno;
  EXPECT_TRUE((rc == -1 && error == ESRCH) || process_gone(grandchild)) << "group still alive";
}

TEST(Command, TerminateKillsWhatIgnoresSigterm) {
  /* Both the shell and its background sleep ignore SIGTERM: after the grace
   * period SIGKILL must reach the whole group. */
  Command command;
  start_ok(command, {"sh", "-c", "trap '' TERM; sleep 30 & echo $!; wait"});
  std::string out;
  command.run(
      {},
      [&](const uint8_t *data, std::size_t size) {
        out.append(reinterpret_cast<const char *>(data), size);
        return out.find('\n') == std::string::npos;
      },
      Clock::now() + kSafety, -1);
  const int grandchild = std::atoi(out.c_str());
  ASSERT_GT(grandchild, 0) << out;
  const auto before = Clock::now();
  command.terminate(milliseconds(200));
  const auto took = Clock::now() - before;
  EXPECT_GE(took, milliseconds(190)); /* waited for the grace period */
  EXPECT_LT(took, milliseconds(1500));
  EXPECT_EQ(command.exit_status(), 128 + SIGKILL);
  EXPECT_TRUE(wait_gone(grandchild, milliseconds(2000)));
}

TEST(Command, CancelFdStopsRunPromptly) {
  const int cancel = eventfd(0, EFD_CLOEXEC);
  ASSERT_GE(cancel, 0);
  Command command;
  start_ok(command, {"sleep", "30"});
  std::thread canceller([cancel] {
    std::this_thread::sleep_for(milliseconds(100));
    const uint64_t one = 1;
    EXPECT_EQ(write(cancel, &one, sizeof one), static_cast<ssize_t>(sizeof one));
  });
  const Result result = run(command, {}, kSafety, cancel);
  canceller.join();
  EXPECT_EQ(result.outcome, Command::Outcome::kCancelled);
  EXPECT_GE(result.seconds, 0.09);
  EXPECT_LT(result.seconds, 0.5);
  EXPECT_TRUE(command.running());
  command.terminate(milliseconds(1000));
  EXPECT_EQ(command.exit_status(), 128 + SIGTERM);

  /* Already signalled (a pipe this time): returns at once. */
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  Command second;
  start_ok(second, {"sleep", "30"});
  const Result now = run(second, pattern(1024), kSafety, fds[0]);
  EXPECT_EQ(now.outcome, Command::Outcome::kCancelled);
  EXPECT_LT(now.seconds, 0.2);
  close(fds[0]);
  close(fds[1]);
  close(cancel);
  /* second's destructor terminates and reaps sleep */
}

TEST(Command, ChildNotReadingStdinRaisesNoSigpipe) {
  /* With SIGPIPE at its default action, a write to a pipe nobody reads kills
   * this process unless run() handles it: the test would crash. */
  ASSERT_NE(signal(SIGPIPE, SIG_DFL), SIG_ERR);
  ASSERT_FALSE(sigpipe_blocked());
  const Bytes input = pattern(10 * 1024 * 1024);
  for (const char *program : {"true", "head"}) {
    SCOPED_TRACE(program);
    Command command;
    if (std::string(program) == "head")
      start_ok(command, {"head", "-c", "10"}); /* reads a little, then exits */
    else
      start_ok(command, {program});
    const Result result = run(command, input);
    EXPECT_EQ(result.outcome, Command::Outcome::kExited);
    EXPECT_EQ(command.exit_status(), 0);
    if (std::string(program) == "head") {
      EXPECT_EQ(result.out.size(), 10u);
    }
    EXPECT_FALSE(sigpipe_blocked()); /* mask restored */
    EXPECT_FALSE(sigpipe_pending()); /* nothing left to fire later */
  }

  /* A caller that blocks SIGPIPE itself keeps it blocked, with no SIGPIPE of
   * ours left pending. */
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  Command command;
  start_ok(command, {"true"});
  EXPECT_EQ(run(command, input).outcome, Command::Outcome::kExited);
  EXPECT_TRUE(sigpipe_blocked());
  EXPECT_FALSE(sigpipe_pending());
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

TEST(Command, ChildStartsWithDefaultSignals) {
  /* This thread blocks SIGTERM and the process ignores SIGPIPE (as Python
   * does): the child must get neither. */
  const auto previous = signal(SIGPIPE, SIG_IGN);
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &old);
  Command command;
  /* The child itself reads its status (a shell reading it from another process
   * can catch the shell blocking all signals around a fork). */
  start_ok(command, {"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"});
  const Result result = run(command);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  signal(SIGPIPE, previous);
  EXPECT_EQ(result.outcome, Command::Outcome::kExited);
  EXPECT_CONTAINS(result.out, "SigBlk:\t0000000000000000");
  /* Standard signals only: glibc's posix_spawn leaves its two internal
   * real-time signals (32, 33) ignored in the child, whatever we ask. */
  const auto at = result.out.find("SigIgn:\t");
  ASSERT_NE(at, std::string::npos) << result.out;
  const unsigned long long ignored = std::stoull(result.out.substr(at + 8, 16), nullptr, 16);
  EXPECT_EQ(ignored & 0x7FFFFFFFull, 0u) << result.out;
}

TEST(Command, NoInheritedDescriptors) {
  int leaky[2];
  ASSERT_EQ(pipe(leaky), 0); /* deliberately without close-on-exec */
  Command command;
  const std::string fd = std::to_string(leaky[1]);
  start_ok(command, {"sh", "-c", "test -e /proc/$$/fd/" + fd + " && echo leaked || echo closed"});
  const Result result = run(command);
  close(leaky[0]);
  close(leaky[1]);
  EXPECT_EQ(result.out, "closed\n");
}

TEST(Command, PipesDoNotLeakIntoOtherChildren) {
  /* Another part of the process spawns a program without closing
   * descriptors (as system() does). If it inherited the write end of cat's
   * stdin, cat would not see the end of its input until that program ends. */
  Command command;
  start_ok(command, {"cat"});
  pid_t other = -1;
  char sleep_name[] = "sleep", seconds[] = "5";
  char *const argv[] = {sleep_name, seconds, nullptr};
  ASSERT_EQ(posix_spawnp(&other, "sleep", nullptr, nullptr, argv, environ), 0);
  const Result result = run(command, pattern(100), std::chrono::seconds(3));
  kill(other, SIGKILL);
  waitpid(other, nullptr, 0);
  EXPECT_EQ(result.outcome, Command::Outcome::kExited);
  EXPECT_EQ(result.out.size(), 100u);
  EXPECT_LT(result.seconds, 1.0);
}

TEST(Command, OutputStreamsBeforeTheChildExits) {
  Command command;
  start_ok(command, {"sh", "-c", "printf a; sleep 1; printf b"});
  const auto start = Clock::now();
  double first = -1;
  std::string out;
  const auto outcome = command.run(
      {},
      [&](const uint8_t *data, std::size_t size) {
        if (first < 0)
          first = std::chrono::duration<double>(Clock::now() - start).count();
        out.append(reinterpret_cast<const char *>(data), size);
        return true;
      },
      start + kSafety, -1);
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_EQ(outcome, Command::Outcome::kExited);
  EXPECT_EQ(out, "ab");
  EXPECT_GE(first, 0.0);
  EXPECT_LT(first, 0.5);  /* "a" arrived while the child slept */
  EXPECT_GE(total, 0.95); /* and run() waited for the end */
}

TEST(Command, OutputRefusedStopsRun) {
  Command command;
  start_ok(command, {"sh", "-c", "printf abc; sleep 30"});
  int calls = 0;
  const auto start = Clock::now();
  const auto outcome = command.run(
      {},
      [&](const uint8_t *, std::size_t) {
        calls++;
        return false;
      },
      start + kSafety, -1);
  EXPECT_EQ(outcome, Command::Outcome::kOutputRefused);
  EXPECT_EQ(calls, 1);
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
  EXPECT_TRUE(command.running());
  command.terminate(milliseconds(1000));
  EXPECT_FALSE(command.running());
}

TEST(Command, WaitsForExitAndForEndOfOutput) {
  /* stdout closed early, the child still running: run() waits for the exit. */
  Command closes;
  start_ok(closes, {"sh", "-c", "exec >&-; sleep 0.3; exit 4"});
  Result result = run(closes);
  EXPECT_EQ(result.outcome, Command::Outcome::kExited);
  EXPECT_GE(result.seconds, 0.25);
  EXPECT_EQ(closes.exit_status(), 4);

  /* The child exits at once, a grandchild holds stdout and writes later:
   * run() reads until the end of the output. */
  Command orphan;
  start_ok(orphan, {"sh", "-c", "(sleep 0.3; printf late) & printf early"});
  result = run(orphan);
  EXPECT_EQ(result.outcome, Command::Outcome::kExited);
  EXPECT_EQ(result.out, "earlylate");
  EXPECT_EQ(orphan.exit_status(), 0);
}

TEST(Command, TerminateReachesWhatOutlivesTheChild) {
  /* The child exits at once; what it left behind ignores SIGTERM and holds
   * stdout, so run() never sees the end of the output. terminate() must still
   * reach it through the process group (the exited child is not reaped
   * before, so the group id stays reserved). */
  Command command;
  start_ok(command, {"sh", "-c", "(trap '' TERM; exec sleep 30) & echo $!; exit 0"});
  std::string out;
  const auto outcome = command.run(
      {},
      [&](const uint8_t *data, std::size_t size) {
        out.append(reinterpret_cast<const char *>(data), size);
        return true;
      },
      Clock::now() + milliseconds(500), -1);
  ASSERT_EQ(outcome, Command::Outcome::kTimedOut);
  const int orphan = std::atoi(out.c_str());
  ASSERT_GT(orphan, 0) << out;
  EXPECT_FALSE(command.running()); /* the child itself has exited */
  const auto start = Clock::now();
  command.terminate(milliseconds(200));
  EXPECT_TRUE(wait_gone(orphan, milliseconds(2000)));
  EXPECT_LT(Clock::now() - start, milliseconds(1500));
  EXPECT_EQ(command.exit_status(), 0);
}

TEST(Command, NothingOutlivesACompletedCall) {
  /* A child that leaves a process behind (not holding stdout) and exits:
   * run() ends with kExited and the leftover is gone. */
  Command command;
  start_ok(command, {"sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!"});
  const Result result = run(command);
  EXPECT_EQ(result.outcome, Command::Outcome::kExited);
  const int leftover = std::atoi(result.out.c_str());
  ASSERT_GT(leftover, 0) << result.out;
  EXPECT_TRUE(wait_gone(leftover, milliseconds(2000)));
  EXPECT_EQ(command.exit_status(), 0);
}

TEST(Command, DestructorTerminatesAndReaps) {
  int pid = -1;
  const auto start = Clock::now();
  {
    Command command;
    start_ok(command, {"sleep", "30"});
    pid = command.pid();
    EXPECT_EQ(run(command, {}, milliseconds(50)).outcome, Command::Outcome::kTimedOut);
  }
  EXPECT_LT(Clock::now() - start, milliseconds(1500));
  const int rc = kill(pid, 0);
  const int error = errno;
  EXPECT_EQ(rc, -1); /* killed and reaped */
  EXPECT_EQ(error, ESRCH);
}

TEST(Command, ManyAtOnce) {
  /* Different commands in different threads: each gets its own input back
   * and its own environment. */
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int i = 0; i < kThreads; i++) {
    threads.emplace_back([i, &good] {
      const Bytes input =
          pattern(1024 * 1024 + static_cast<std::size_t>(i), static_cast<uint32_t>(i));
      Command command;
      std::string why;
      if (!command.start({"sh", "-c", "printf '%s:' \"$WEBRTC_ID\"; cat"},
                         {{"WEBRTC_ID", "session-" + std::to_string(i)}}, &why)) {
        ADD_FAILURE() << why;
        return;
      }
      std::string out;
      const auto outcome = command.run(
          input,
          [&](const uint8_t *data, std::size_t size) {
            out.append(reinterpret_cast<const char *>(data), size);
            return true;
          },
          Clock::now() + kSafety, -1);
      const std::string prefix = "session-" + std::to_string(i) + ":";
      if (outcome == Command::Outcome::kExited && command.exit_status() == 0 &&
          out.compare(0, prefix.size(), prefix) == 0 &&
          out.size() == prefix.size() + input.size() &&
          std::equal(input.begin(), input.end(), out.begin() + static_cast<long>(prefix.size()),
                     [](uint8_t a, char b) { return a == static_cast<uint8_t>(b); }))
        good++;
    });
  }
  for (auto &thread : threads)
    thread.join();
  EXPECT_EQ(good.load(), kThreads);
}

TEST(Command, WavReplyThroughAPipe) {
  /* A reply as replyonpause reads it: WAV from a child's stdout, parsed as it
   * arrives. cat echoes a WAV the test writes. */
  WavFormat format;
  format.rate = 16000;
  format.channels = 1;
  const Bytes audio = pattern(32000, 5);
  Bytes input = wav_header(format, static_cast<uint32_t>(audio.size()));
  input.insert(input.end(), audio.begin(), audio.end());
  Command command;
  start_ok(command, {"cat"});
  WavReader reader;
  Bytes parsed;
  const auto outcome = command.run(
      input,
      [&](const uint8_t *data, std::size_t size) {
        if (reader.feed(data, size) == WavReader::Status::kError)
          return false;
        const Bytes chunk = reader.take_audio();
        parsed.insert(parsed.end(), chunk.begin(), chunk.end());
        return true;
      },
      Clock::now() + kSafety, -1);
  EXPECT_EQ(outcome, Command::Outcome::kExited);
  std::string why;
  EXPECT_TRUE(reader.finish(&why)) << why;
  EXPECT_EQ(parsed, audio);
}

TEST(Command, SoxWavOnAPipe) {
  /* sox cannot seek back on a pipe: its header has a placeholder length. */
  if (system("command -v sox >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "sox not installed";
  Command command;
  start_ok(command, {"sox", "-n", "-r", "16000", "-c", "2", "-b", "24", "-t", "wav", "-", "synth",
                     "0.5", "sine", "440"});
  WavReader reader;
  std::size_t audio = 0;
  const auto outcome = command.run(
      {},
      [&](const uint8_t *data, std::size_t size) {
        reader.feed(data, size);
        audio += reader.take_audio().size();
        return true;
      },
      Clock::now() + kSafety, -1);
  EXPECT_EQ(outcome, Command::Outcome::kExited);
  EXPECT_EQ(command.exit_status(), 0) << command.stderr_tail();
  std::string why;
  EXPECT_TRUE(reader.finish(&why)) << why;
  EXPECT_EQ(audio, 8000u * 6);
}

/* ---- the kill scope: nothing a command starts outlives the call ---------- */

TEST(Command, NothingOutlivesTheCallNotEvenANewSession) {
  /* setsid leaves the process group (and session) the command was started
   * in: killing the group misses it. The call must still end it. */
  const std::string entry = "VOICEKIT_COMMAND_TEST=new-session-" + std::to_string(getpid());
  TempFile pidfile;
  Command command;
  start_ok(
      command, leave_new_session(false),
      {{"PIDFILE", pidfile.path}, {"VOICEKIT_COMMAND_TEST", entry.substr(entry.find('=') + 1)}});
  const Result result = run(command, {}, std::chrono::seconds(10));
  EXPECT_EQ(result.outcome, Command::Outcome::kExited);
  EXPECT_EQ(result.out, "reply");
  EXPECT_EQ(command.exit_status(), 0) << command.stderr_tail();
  const int leftover = pidfile.read_pid();
  ASSERT_GT(leftover, 0);
  /* when run() returns, not later */
  EXPECT_TRUE(process_gone(leftover)) << "the setsid sleep (pid " << leftover << ") survived";
  EXPECT_TRUE(processes_with_env(entry).empty());
  EXPECT_EQ(children_of_this_thread(), "");
}

TEST(Command, GrandchildHoldingStdoutDoesNotHoldTheCall) {
  /* The command writes its reply and exits; what it left in a new session
   * keeps its stdout open. The call is complete when the command has exited
   * (a short linger for late output), not at the deadline, and the leftover
   * is killed. */
  const std::string entry = "VOICEKIT_COMMAND_TEST=holds-stdout-" + std::to_string(getpid());
  TempFile pidfile;
  Command command;
  start_ok(
      command, leave_new_session(true),
      {{"PIDFILE", pidfile.path}, {"VOICEKIT_COMMAND_TEST", entry.substr(entry.find('=') + 1)}});
  const Result result = run(command, {}, std::chrono::seconds(8));
  EXPECT_EQ(result.outcome, Command::Outcome::kExited);
  EXPECT_EQ(result.out, "reply");
  EXPECT_EQ(command.exit_status(), 0) << command.stderr_tail();
  EXPECT_LT(result.seconds, 3.0);
  const int leftover = pidfile.read_pid();
  ASSERT_GT(leftover, 0);
  EXPECT_TRUE(process_gone(leftover)) << "the setsid sleep (pid " << leftover << ") survived";
  EXPECT_TRUE(processes_with_env(entry).empty());
  EXPECT_EQ(children_of_this_thread(), "");
}

TEST(Command, TerminateReachesANewSession) {
  /* Interrupted (cancelled) while what it started in a new session runs:
   * terminate() ends that too. */
  const std::string entry = "VOICEKIT_COMMAND_TEST=terminate-" + std::to_string(getpid());
  TempFile pidfile;
  Command command;
  start_ok(
      command,
      {"sh", "-c",
       "setsid sh -c 'trap \"\" TERM; echo $$ > \"$PIDFILE\"; exec sleep 100' </dev/null "
       ">/dev/null 2>&1 & while [ ! -s \"$PIDFILE\" ]; do sleep 0.01; done; printf x; "
       "sleep 100"},
      {{"PIDFILE", pidfile.path}, {"VOICEKIT_COMMAND_TEST", entry.substr(entry.find('=') + 1)}});
  std::string out;
  const auto outcome = command.run(
      {},
      [&](const uint8_t *data, std::size_t size) {
        out.append(reinterpret_cast<const char *>(data), size);
        return false;
      },
      Clock::now() + kSafety, -1);
  ASSERT_EQ(outcome, Command::Outcome::kOutputRefused);
  const int leftover = pidfile.read_pid();
  ASSERT_GT(leftover, 0);
  const auto before = Clock::now();
  command.terminate(milliseconds(200));
  EXPECT_LT(Clock::now() - before, milliseconds(1500));
  EXPECT_TRUE(process_gone(leftover)) << "the setsid sleep (pid " << leftover << ") survived";
  EXPECT_TRUE(processes_with_env(entry).empty());
  EXPECT_EQ(children_of_this_thread(), "");
}

TEST(Command, TimeInOnOutputDoesNotCountAgainstTheDeadline) {
  /* A caller holding the output back (replyonpause waiting for the reply it
   * queued to play) does not make the command time out: the deadline moves
   * by as long as on_output took. */
  Command command;
  start_ok(command, {"sh", "-c", "printf a; sleep 0.3; printf b"});
  std::string out;
  const auto start = Clock::now();
  const auto outcome = command.run(
      {},
      [&](const uint8_t *data, std::size_t size) {
        if (out.empty())
          std::this_thread::sleep_for(milliseconds(700));
        out.append(reinterpret_cast<const char *>(data), size);
        return true;
      },
      start + milliseconds(500), -1);
  EXPECT_EQ(outcome, Command::Outcome::kExited);
  EXPECT_EQ(out, "ab");
  EXPECT_EQ(command.exit_status(), 0);
}

TEST(Command, TheHostProcessIsLeftAsItWas) {
  /* The kill scope lives in a process of its own: this process does not
   * become a subreaper, keeps its signal mask and dispositions, and has no
   * child left once the call is over. */
  sigset_t mask_before, mask_after;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask_before);
  struct sigaction chld_before = {}, chld_after = {};
  sigaction(SIGCHLD, nullptr, &chld_before);
  Command command;
  start_ok(command, {"sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!"});
  EXPECT_EQ(run(command).outcome, Command::Outcome::kExited);
  int subreaper = -1;
  ASSERT_EQ(prctl(PR_GET_CHILD_SUBREAPER, &subreaper, 0, 0, 0), 0);
  EXPECT_EQ(subreaper, 0);
  pthread_sigmask(SIG_BLOCK, nullptr, &mask_after);
  for (int sig = 1; sig < 32; sig++)
    EXPECT_EQ(sigismember(&mask_before, sig), sigismember(&mask_after, sig)) << "signal " << sig;
  sigaction(SIGCHLD, nullptr, &chld_after);
  EXPECT_EQ(chld_before.sa_handler, chld_after.sa_handler);
  EXPECT_EQ(children_of_this_thread(), "");
}

TEST(Command, CompleteOutputEndsTheCall) {
  /* The caller has all it expects (a WAV whose data length has arrived): the
   * call ends when the child exits, even if a leftover holds stdout, and at
   * most kExitLinger later if the child does not exit; later output is
   * discarded. */
  const std::string entry = "VOICEKIT_COMMAND_TEST=complete-" + std::to_string(getpid());
  const std::string value = entry.substr(entry.find('=') + 1);
  {
    /* exits at once, a leftover in a new session holds stdout and writes on */
    Command command;
    start_ok(command,
             {"sh", "-c",
              "setsid sh -c 'while :; do printf more; sleep 0.05; done' </dev/null & printf done"},
             {{"VOICEKIT_COMMAND_TEST", value}});
    std::string out;
    const auto start = Clock::now();
    const auto outcome = command.run(
        {},
        [&](const uint8_t *data, std::size_t size) {
          out.append(reinterpret_cast<const char *>(data), size);
          return out.find("done") != std::string::npos ? Command::Take::kComplete
                                                       : Command::Take::kMore;
        },
        start + kSafety, -1);
    EXPECT_EQ(outcome, Command::Outcome::kExited);
    EXPECT_CONTAINS(out, "done");
    EXPECT_EQ(command.exit_status(), 0);
    EXPECT_LT(Clock::now() - start, milliseconds(900)); /* no linger: complete */
    EXPECT_TRUE(processes_with_env(entry).empty());
  }
  {
    /* does not exit after its complete output: killed kExitLinger later */
    Command command;
    start_ok(command, {"sh", "-c", "printf done; exec sleep 100"},
             {{"VOICEKIT_COMMAND_TEST", value}});
    const auto start = Clock::now();
    const auto outcome = command.run(
        {}, [&](const uint8_t *, std::size_t) { return Command::Take::kComplete; }, start + kSafety,
        -1);
    const auto took = Clock::now() - start;
    EXPECT_EQ(outcome, Command::Outcome::kCompleted);
    EXPECT_GE(took, Command::kExitLinger - milliseconds(50));
    EXPECT_LT(took, Command::kExitLinger + milliseconds(1000));
    EXPECT_FALSE(command.running());
    EXPECT_TRUE(processes_with_env(entry).empty());
    EXPECT_EQ(children_of_this_thread(), "");
  }
}

TEST(Command, NoDescriptorLeftWhateverTheOutcome) {
  /* Pipes, the reaper's channel: every way a call can end gives them back. */
  auto open_fds = [] {
    int count = 0;
    if (DIR *dir = opendir("/proc/self/fd")) {
      while (readdir(dir) != nullptr)
        count++;
      closedir(dir);
    }
    return count;
  };
  const int before = open_fds();
  for (int round = 0; round < 3; round++) {
    {
      Command exited;
      start_ok(exited, {"cat"});
      EXPECT_EQ(run(exited, pattern(1000)).outcome, Command::Outcome::kExited);
    }
    {
      Command timed_out;
      start_ok(timed_out, {"sleep", "30"});
      EXPECT_EQ(run(timed_out, {}, milliseconds(20)).outcome, Command::Outcome::kTimedOut);
      timed_out.terminate(milliseconds(200));
    }
    {
      Command refused;
      start_ok(refused, {"sh", "-c", "printf x; sleep 30"});
      EXPECT_EQ(
          refused.run(
              {}, [](const uint8_t *, std::size_t) { return false; }, Clock::now() + kSafety, -1),
          Command::Outcome::kOutputRefused);
      /* no terminate(): the destructor's */
    }
    {
      Command completed;
      start_ok(completed, {"sh", "-c", "printf x; exec sleep 30"});
      EXPECT_EQ(completed.run(
                    {}, [](const uint8_t *, std::size_t) { return Command::Take::kComplete; },
                    Clock::now() + kSafety, -1),
                Command::Outcome::kCompleted);
    }
    {
      Command missing;
      std::string why;
      EXPECT_FALSE(missing.start({"/etc/passwd"}, {}, &why));
      Command not_exec;
      EXPECT_FALSE(not_exec.start({"/dev/null"}, {}, &why));
    }
  }
  EXPECT_EQ(open_fds(), before);
  EXPECT_EQ(children_of_this_thread(), "");
}

# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
"""voicekit-server under chaos: handlers that crash, hang or answer garbage,
peers that vanish, and 100 connects and disconnects, all while one good session
keeps talking, in ONE server.

The server runs `--handler command` with tests/webrtc/handlers/chaos-dispatch.sh,
which reads each session's plan from its id ("<name>:<action>,<action>,...",
one action per utterance; no ':' means echo), so good and faulty sessions
share the server. A good peer (echo), in a process of its own so that the
chaos peers' work does not delay its frames, speaks goforward.raw at three
speeds for the whole run; each of its replies must correlate best with the
utterance it follows, within the latency bound of test-aiortc-echo.py
(min-silence + 1000 ms); latencies and correlations are reported per phase.

(A) handler faults, one peer each, concurrently:
    crash      segv / echo / abort / exit 3 with a message / echo
    garbage    not WAV, a 4 GiB LIST chunk, 0 channels, a cut fmt chunk, a
               data chunk shorter than declared, nothing, 1 Hz; then echo
    slow       1.5 s before the reply; a trickled reply; echo (no errors)
    hangtime   a handler that ignores SIGTERM (and its child too) until
               replyonpause's handler-timeout (30 s): handler-error, both
               processes SIGKILLed; then echo
    hangint    the same hang, interrupted by the next utterance (SIGTERM, then
               SIGKILL 200 ms later); echo; a hang after a partial reply, then
               the peer says bye: the session closes, the processes go
    orphan     a handler that answers, exits 0 and leaves a background child
               holding stdout (ignoring SIGTERM); the next utterance comes
               during the reply: the child must be gone within KILL_MAX_S of
               the reply's start (the call ends when the handler exits, and
               what it left behind is killed: issue 13)
    orphantime the same handler with time to finish: its reply is complete
               (the whole echo and reply-end, no handler-error: it was a
               timeout before issue 13), and the child is gone just as soon
    Faults give handler-error for that utterance, the next utterance of the
    session is answered, no handler process outlives its reply.
(B) peers that vanish, concurrently with (A): a peer process SIGKILLed during
    its reply, one SIGKILLed while its handler hangs, a peer whose media stops
    without a bye (bye media-timeout after --media-timeout), websockets closed
    right after hello (cleanly, and by a TCP abort), right after the offer,
    after the answer before ICE, and a hello followed by nothing
    (connect-timeout).
(C) --cycles (100) connects and disconnects, --batch at a time: hello then
    close; a full WebRTC connect then bye; a full connect then an abrupt close.
    Afterwards the good session is the only one, and descriptors and threads
    are back to what they were with it alone; the server's RSS growth per
    cycle is reported and bounded.
Finally the good peer says bye: sessions 0, calls_alive 0, descriptors back
to the baseline from before the first session, threads at most the baseline
+ 2 (GStreamer's system clock thread and one idle GLib pool thread, see
test-server-faults.py), no handler process left (found by WEBRTC_ID in
/proc/*/environ, by parent pid, by the process groups the dispatcher logged).

usage: netns-run /usr/bin/python3 test-server-chaos.py SERVER [--cycles 100]
       [--batch 4] [SERVER OPTIONS]
"""

import asyncio
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import websockets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402
from peer import SR, thread_names  # noqa: E402
from aiortc import RTCConfiguration, RTCPeerConnection  # noqa: E402

# `--good-peer WS_URL ID N MIN_SILENCE_S`: the good peer, run by the test in a
# process of its own (the chaos peers' work in this process must not delay its
# frames or timestamps); on a line on stdin it prints its analysis as JSON.
GOOD_CHILD = None
if sys.argv[1:2] == ["--good-peer"]:
    GOOD_CHILD = sys.argv[2:]
    sys.argv = sys.argv[:1] + ["(good peer)"]

ap = peer.server_test_arguments()
ap.add_argument("--cycles", type=int, default=100)
ap.add_argument("--batch", type=int, default=4)
ap.add_argument("--rss-max-kib-per-cycle", type=float, default=160.0)
args = peer.parse_server_test_arguments(ap)  # unknown options go to the server

HERE = os.path.dirname(os.path.abspath(__file__))
DISPATCH = os.path.join(HERE, "handlers", "chaos-dispatch.sh")
TAG = f"chaos{os.getpid()}"  # in every webrtc id of this run
MEDIA_TIMEOUT = 3
HANDLER_TIMEOUT_S = 30  # replyonpause's default handler-timeout (the server keeps it)
CONNECT_TIMEOUT_S = 15  # the server's: no audio 15 s after hello
LOOSE_MS = 1000  # good replies: latency < min-silence + LOOSE_MS (as test-aiortc-echo)
KILL_MAX_S = 2.0  # a handler's processes must be gone this soon after it is stopped
SHORT_GAP = 3.0  # silence after an utterance whose handler fails at once
# The plans count utterances, so an utterance must not split in two. On this
# shared 2-core machine a peer's event loop can stall for half a second (other
# jobs), which sends its frames late; the server's 40 ms jitter buffer drops
# them and the hole looks like a pause. 800 ms of silence make a pause here
# (the server's default is 500); the latency bound is relative to it.
DEFAULT_MIN_SILENCE_MS = 800
if GOOD_CHILD is None:
    _log = tempfile.NamedTemporaryFile(prefix="chaos-handlers-", suffix=".log", delete=False)
    CHAOS_LOG = _log.name
    _log.close()
    os.environ["CHAOS_LOG"] = CHAOS_LOG  # the server's handlers inherit it
else:
    CHAOS_LOG = os.environ.get("CHAOS_LOG", "/nonexistent")

PROBLEMS = []
SUMMARY = []
STALLS = [0.0]  # the good peer's process's longest event loop stall (s)


def problem(msg):
    PROBLEMS.append(msg)
    print(f"  PROBLEM: {msg}", flush=True)


def note(section, msg):
    SUMMARY.append((section, msg))
    print(f"  [{section}] {msg}", flush=True)


# --- processes -------------------------------------------------------------------
_server_pid = [-1]


def _stat(pid):
    """(state, ppid, pgid, comm) of a process, None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    comm = s[s.index("(") + 1 : s.rindex(")")]
    rest = s[s.rindex(")") + 2 :].split()
    return rest[0], int(rest[1]), int(rest[2]), comm


def _env(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            raw = f.read()
    except OSError:
        return {}
    out = {}
    for kv in raw.split(b"\0"):
        if kv.startswith(b"WEBRTC_ID=") or kv.startswith(b"UTTERANCE="):
            k, v = kv.split(b"=", 1)
            out[k.decode()] = v.decode("utf-8", "replace")
    return out


def logged_runs():
    """pid of each handler run (its process group) -> (action, utterance, webrtc id)."""
    out = {}
    try:
        with open(CHAOS_LOG, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.rstrip("\n").split(" ", 3)
                if len(parts) == 4 and parts[0].isdigit():
                    out[int(parts[0])] = (parts[1], parts[2], parts[3])
    except OSError:
        pass
    return out


_scan = [0.0, []]


def handler_procs(webrtc_id=None, utterance=None, max_age=0.04):
    """Processes of this run's handlers: WEBRTC_ID with TAG in their environment,
    or children of the server (zombies too), or members of a process group a
    handler run started. One /proc scan serves the callers of the next 40 ms."""
    if time.monotonic() - _scan[0] > max_age:
        _scan[1] = _scan_procs()
        _scan[0] = time.monotonic()
    return [p for p in _scan[1]
            if (webrtc_id is None or p["id"] == webrtc_id) and (utterance is None or str(p["utt"]) == str(utterance))]


def _scan_procs():
    runs = logged_runs()
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        pid = int(d)
        st = _stat(pid)
        if st is None:
            continue
        state, ppid, pgid, comm = st
        env = _env(pid)
        wid, utt = env.get("WEBRTC_ID"), env.get("UTTERANCE")
        mine = (wid is not None and TAG in wid) or pgid in runs or (ppid == _server_pid[0] and pid != _server_pid[0])
        if not mine or comm.startswith("gst-plugin-scan"):
            continue
        if pgid in runs and (wid is None or utt is None):
            utt, wid = runs[pgid][1], runs[pgid][2]
        out.append({"pid": pid, "ppid": ppid, "pgid": pgid, "state": state, "comm": comm, "id": wid, "utt": utt})
    return out


def describe(procs):
    return ", ".join(f"{p['comm']}[{p['pid']}] ppid {p['ppid']} pgid {p['pgid']} {p['state']} utt {p['utt']}"
                     for p in procs) or "none"


def kill_leftovers():
    for p in handler_procs(max_age=0):
        try:
            os.kill(p["pid"], signal.SIGKILL)
        except OSError:
            pass


_orig_kill_all = peer.kill_all_children


def _kill_all():
    # handlers run in process groups of their own: the server's death does not end them
    for f in (kill_leftovers, _orig_kill_all, kill_leftovers):
        try:
            f()
        except Exception:  # noqa: BLE001
            pass


if GOOD_CHILD is None:  # (the good peer's process leaves the handlers to the test)
    peer.kill_all_children = _kill_all  # run_test, its watchdog and the signal handler call it


def alive(procs):
    """Without the zombies that are not the server's: a process killed with its
    group whose parent died first is reparented to init, which reaps it when it
    gets round to it (this container's init takes a second or two). A zombie
    child of the server is kept: the server must reap its children."""
    return [p for p in procs if p["state"] != "Z" or p["ppid"] == _server_pid[0]]


async def gone_within(pred_procs, t_from, limit, step=0.05):
    """Polls until pred_procs() is empty (zombies of init's aside); returns
    seconds from t_from, or None (still there `limit` s after t_from)."""
    while True:
        if not alive(pred_procs()):
            return time.monotonic() - t_from
        if time.monotonic() - t_from > limit:
            return None
        await asyncio.sleep(step)


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


async def wait_stats(srv, t0, limit_s, conditions):
    """Polls /stats until every condition holds or limit_s has passed since t0.
    conditions(stats) -> {name: bool}. Returns the last stats, the last
    conditions and {name: seconds after t0 when it first held}."""
    first = {}
    while True:
        st = await srv.stats()
        now = time.monotonic() - t0
        conds = conditions(st)
        for k, v in conds.items():
            if v and k not in first:
                first[k] = now
        if all(conds.values()) or now > limit_s:
            return st, conds, first
        await asyncio.sleep(0.05)


def back_to(st, sessions, base, label=""):
    """wait_stats conditions of a server back to `sessions` sessions (calls,
    connections) with no more descriptors than in base and at most 2 threads
    more (GStreamer's system clock thread and one idle GLib pool thread)."""
    return {
        f"sessions {sessions}": st["sessions"] == sessions,
        f"calls_alive {sessions}": st["calls_alive"] == sessions,
        f"connections {sessions}": st.get("connections", sessions) == sessions,
        f"fds <= {label}{base['fds']}": st["fds"] <= base["fds"],
        f"threads <= {label}{base['threads']} + 2": st["threads"] <= base["threads"] + 2,
    }


async def quiet_stats(srv, n=5, period=0.1):
    """/stats sampled n times; threads and fds as their minimum (a handler run
    of the good session adds a thread and pipes for a few ms)."""
    samples = []
    for _ in range(n):
        samples.append(await srv.stats())
        await asyncio.sleep(period)
    st = dict(samples[-1])
    st["threads"] = min(s["threads"] for s in samples)
    st["fds"] = min(s["fds"] for s in samples)
    return st


# --- server lines ----------------------------------------------------------------
def session_lines(srv, wid, state):
    with srv.cond:
        lines = list(srv.lines)
    return [(t, o) for t, o in lines
            if o.get("type") == "session" and o.get("state") == state and o.get("webrtc_id") == wid]


async def wait_closed(srv, wid, timeout):
    """(time the closed line was read, the line), or (None, None)."""
    end = time.monotonic() + timeout
    while True:
        c = session_lines(srv, wid, "closed")
        if c:
            return c[0]
        if time.monotonic() > end or not srv.alive():
            return None, None
        await asyncio.sleep(0.02)


async def wait_line(srv, pred, timeout):
    end = time.monotonic() + timeout
    while True:
        with srv.cond:
            for t, o in srv.lines:
                if pred(o):
                    return t, o
        if time.monotonic() > end or not srv.alive():
            return None, None
        await asyncio.sleep(0.02)


# --- signals ---------------------------------------------------------------------
V = None  # the variants
MIN_SIL = 0.5


def normal_gap(vi):
    """Silence after an utterance for its echo to play, plus a margin."""
    return MIN_SIL + len(V[vi][1]) / SR + 1.5


def build(steps, lead=1.0, tail=0.0):
    """steps: [(variant, silence after in s)]. (int16 signal, [(variant, first, last sample)])."""
    parts = [np.zeros(int(lead * SR))]
    pos = len(parts[0])
    utts = []
    for vi, gap in steps:
        x = V[vi][1]
        utts.append((vi, pos, pos + len(x) - 1))
        g = np.zeros(int(gap * SR))
        parts += [x, g]
        pos += len(x) + len(g)
    parts.append(np.zeros(int(tail * SR)))
    return peer.to_int16(np.concatenate(parts)), utts


def analyse(p, utts, ks):
    """For utterances ks (indexes in utts): the first received audio above
    -30 dB of the utterance's peak after its last sample, before the next
    utterance starts: latency (ms) and correlation with each variant."""
    audio, starts, arrivals = p.recv_timeline()
    out = {}
    for k in ks:
        vi, a, b = utts[k]
        x = V[vi][1]
        t_end = p.track.sample_time(b)
        r = {"k": k, "variant": vi, "t_end": t_end, "reply": False}
        out[k] = r
        if t_end is None:
            continue
        t_next = p.track.sample_time(utts[k + 1][1]) if k + 1 < len(utts) else None
        thr = 10 ** (-30 / 20) * peer.block_rms(x, SR // 100).max()
        s0 = peer.recv_first_sample_after(starts, arrivals, t_end)
        onset = peer.first_active(audio, s0, thr) if s0 is not None else None
        if onset is None:
            continue
        t_reply = peer.recv_sample_time(starts, arrivals, onset)
        if t_next is not None and t_reply > t_next:
            continue
        win = audio[max(0, onset - SR // 4) : onset + len(x) + SR // 4]
        corr = [peer.ncc(v[1], win)[0] for v in V]
        r.update(reply=True, latency=(t_reply - t_end) * 1000, corr=corr, best=int(np.argmax(corr)),
                 own=corr[vi])
    return out


def echo_ok(r):
    return r["reply"] and r["best"] == r["variant"] and r["own"] >= args.ncc_min


def fmt_echo(r):
    if not r["reply"]:
        return "NO reply"
    return (f"echo ncc {r['own']:.3f} (best {V[r['best']][0]}), latency {r['latency']:.0f} ms")


def events_for(p, name, utt):
    return [(t, m) for t, m in p.events if m.get("event") == name and m.get("utterance") == utt]


def foreign_events(p):
    return [m for _, m in p.events if m.get("webrtc_id") != p.webrtc_id]


# --- (A) handler faults ----------------------------------------------------------
EXPECT_ERR = {  # action -> what its handler-error must say (documented: stderr lines)
    "crash.exit": "deliberate failure",
}


async def plan_session(srv, name, steps, extra=None, tail=1.0, ends_itself=False):
    """A peer whose id carries the plan (one action per step: (action, variant,
    gap)); plays it all; `extra(p, utts, wid)` runs alongside. Then checks:
    fault actions got handler-error, echo/slow ones a correct reply, and
    closes with bye (ends_itself: `extra` has sent the bye)."""
    section = f"A {name}"
    plan = ",".join(a for a, _, _ in steps)
    wid = f"{name}-{TAG}:{plan}"
    sig, utts = build([(vi, gap) for _, vi, gap in steps], tail=tail)
    p = peer.VoicePeer(srv.ws_url, wid, sig, name=name)
    try:
        await p.connect(timeout=20)
        task = asyncio.create_task(extra(p, utts, wid)) if extra else None
        try:
            await p.wait_sent(utts[-1][2] + 1, slack=10)
            if task:
                await task
        finally:
            if task and not task.done():
                task.cancel()
        if not ends_itself:  # the last utterance's reply
            await p.wait_sent(len(sig), slack=10)
        res = analyse(p, utts, range(len(utts)))
        n_pauses = len(p.event_list("pause"))
        if n_pauses > len(utts):
            problem(f"{name}: the server found {n_pauses} utterances where {len(utts)} were spoken (an utterance "
                    f"split by a hole in the audio, a stalled sender?); the plan's actions shifted")
        for k, (action, vi, gap) in enumerate(steps):
            utt = k + 1
            errs = events_for(p, "handler-error", utt)
            r = res[k]
            if action == "echo" or action.startswith("slow.") or (action == "hang.orphan" and
                                                                    gap > HANDLER_TIMEOUT_S):
                rs = events_for(p, "reply-start", utt)
                lat = f", reply-start latency_ms {rs[0][1].get('latency_ms')}" if rs else ""
                note(section, f"utt {utt} {action}: {fmt_echo(r)}{lat}"
                     + (f"; handler-error {errs[0][1].get('error')!r}" if errs else ""))
                if errs:
                    problem(f"{name}: utterance {utt} ({action}) got handler-error {errs[0][1].get('error')!r}")
                if not echo_ok(r):
                    problem(f"{name}: utterance {utt} ({action}): {fmt_echo(r)}; want its echo "
                            f"(ncc >= {args.ncc_min})")
                if not events_for(p, "reply-end", utt):
                    problem(f"{name}: utterance {utt} ({action}): no reply-end")
            elif action.startswith(("crash.", "garbage.")) or (action in ("hang.silent", "hang.partial")
                                                                and gap > HANDLER_TIMEOUT_S):
                if not errs:
                    problem(f"{name}: utterance {utt} ({action}): no handler-error "
                            f"(events {[m.get('event') for m in p.event_list() if m.get('utterance') == utt]})")
                    continue
                t_err, m = errs[0]
                t_pause = events_for(p, "pause", utt)
                after = f" {t_err - t_pause[0][0]:.2f} s after the pause" if t_pause else ""
                note(section, f"utt {utt} {action}: handler-error{after}: {m.get('error')!r}")
                want = EXPECT_ERR.get(action)
                if want and want not in str(m.get("error")):
                    problem(f"{name}: utterance {utt} ({action}): handler-error {m.get('error')!r} "
                            f"lacks the handler's stderr ({want!r})")
        bad = foreign_events(p)
        if bad:
            problem(f"{name}: events of other sessions on its socket: {bad[:2]}")
        if p.errors or p.bye or (p.closed and not ends_itself):
            problem(f"{name}: disturbed: errors {p.errors}, bye {p.bye}, closed {p.closed}")
    finally:
        t_bye = getattr(p, "chaos_bye_at", None) or time.monotonic()
        await p.close()
    t_c, c = await wait_closed(srv, wid, 5)
    left = await gone_within(lambda: handler_procs(wid), t_bye, KILL_MAX_S)
    if c is None:
        problem(f"{name}: no session closed line 5 s after its bye")
    else:
        note(section, f"bye -> closed ({c.get('reason')}) in {t_c - t_bye:.2f} s; handler processes: "
                      f"{'none' if left is not None else describe(alive(handler_procs(wid)))}")
        if c.get("reason") != "client-bye":
            problem(f"{name}: closed with reason {c.get('reason')!r}, want client-bye")
    if left is None:
        leftover = alive(handler_procs(wid))
        problem(f"{name}: handler processes {KILL_MAX_S} s after the session closed: {describe(leftover)}; "
                f"the test kills them (so that the later checks see other leaks)")
        for x in leftover:
            try:
                os.kill(x["pid"], signal.SIGKILL)
            except OSError:
                pass
    return p


async def watch_killed(p, wid, utt, section, what, trigger, limit=KILL_MAX_S, must_see=True):
    """Waits for the handler of utterance utt to run, then for trigger() (a
    coroutine returning the moment it should be stopped), then checks its
    processes are gone within limit. must_see=False: a handler that may be
    over before a /proc scan sees it (its reply then proves it ran)."""
    t0 = time.monotonic()
    while not alive(handler_procs(wid, utt)):
        if not must_see and events_for(p, "reply-start", utt):
            break
        if time.monotonic() - t0 > 20 or p.closed:
            problem(f"{section}: the handler of utterance {utt} never ran")
            return
        await asyncio.sleep(0.05)
    if must_see:
        await asyncio.sleep(0.3)  # its whole process tree
    running = alive(handler_procs(wid, utt))
    t_stop = await trigger()
    if t_stop is None:
        problem(f"{section}: utterance {utt}: {what} did not happen")
        return
    dt = await gone_within(lambda: handler_procs(wid, utt), t_stop, limit)
    if dt is None:
        left = alive(handler_procs(wid, utt))
        problem(f"{section}: utterance {utt}: handler processes still alive {limit} s after {what}: "
                f"{describe(left)} (running before: {describe(running)})")
    else:
        note(section, f"utt {utt}: {len(running)} handler processes ({', '.join(r['comm'] for r in running)}), "
                      f"all gone {dt:.2f} s after {what}")


def event_trigger(p, name, utt, delay=0.0):
    async def trig():
        end = time.monotonic() + HANDLER_TIMEOUT_S + 15
        while not events_for(p, name, utt):
            if time.monotonic() > end:
                return None
            await asyncio.sleep(0.02)
        t = events_for(p, name, utt)[0][0]
        if delay:
            await asyncio.sleep(delay)
        return t
    return trig


async def part_a(srv):
    crash = plan_session(srv, "crash", [
        ("crash.segv", 0, SHORT_GAP), ("echo", 1, normal_gap(1)), ("crash.abort", 2, SHORT_GAP),
        ("crash.exit", 0, SHORT_GAP), ("echo", 1, normal_gap(1))])
    garbage = plan_session(srv, "garbage", [
        ("garbage.notwav", 1, SHORT_GAP), ("garbage.hugechunk", 1, SHORT_GAP), ("garbage.badfmt", 1, SHORT_GAP),
        ("garbage.truncated", 1, SHORT_GAP), ("garbage.shortdata", 1, SHORT_GAP), ("garbage.empty", 1, SHORT_GAP),
        ("garbage.rate1", 1, SHORT_GAP), ("echo", 0, normal_gap(0))])
    slow = plan_session(srv, "slow", [
        ("slow.start", 0, normal_gap(0) + 3.0), ("slow.trickle", 1, normal_gap(1) + 1.5), ("echo", 2, normal_gap(2))])

    async def hangtime_extra(p, utts, wid):
        await watch_killed(p, wid, 1, "A hangtime", "the handler-error (handler-timeout)",
                           event_trigger(p, "handler-error", 1))
        t = events_for(p, "handler-error", 1)
        tp = events_for(p, "pause", 1)
        if t and tp:
            note("A hangtime", f"utt 1: handler-error {t[0][0] - tp[0][0]:.2f} s after the pause "
                               f"(handler-timeout {HANDLER_TIMEOUT_S} s)")

    hangtime = plan_session(srv, "hangtime", [("hang.silent", 0, HANDLER_TIMEOUT_S + 3.5), ("echo", 1, normal_gap(1))],
                            extra=hangtime_extra)

    async def hangint_extra(p, utts, wid):
        # utterance 2 interrupts the hung handler of utterance 1
        await watch_killed(p, wid, 1, "A hangint", "the next utterance's speech-start (interruption)",
                           event_trigger(p, "speech-start", 2))
        # utterance 3: hang after a partial reply; then the peer leaves (bye)
        await watch_killed(p, wid, 3, "A hangint", "the peer's bye while the handler hangs",
                           bye_after_reply_start(p, 3))

    def bye_after_reply_start(p, utt):
        async def trig():
            end = time.monotonic() + 20
            while not events_for(p, "reply-start", utt):
                if time.monotonic() > end:
                    return None
                await asyncio.sleep(0.02)
            await asyncio.sleep(1.0)
            t = p.chaos_bye_at = time.monotonic()
            await p.send({"type": "bye"})
            return t
        return trig

    # The peer's bye goes during utterance 3's hang; its signal has time to spare.
    hangint = plan_session(srv, "hangint", [
        ("hang.silent", 0, SHORT_GAP), ("echo", 1, normal_gap(1)), ("hang.partial", 2, 0.0)],
        extra=hangint_extra, tail=0.0, ends_itself=True)

    # The handler exits at once; what it leaves is killed when the call ends,
    # within kExitLinger (1 s) of its exit: long before the reply has played.
    async def orphan_extra(p, utts, wid):
        await watch_killed(p, wid, 1, "A orphan", "the reply's start (the handler has exited)",
                           event_trigger(p, "reply-start", 1), must_see=False)

    orphan = plan_session(srv, "orphan", [("hang.orphan", 0, normal_gap(0) - 0.5), ("echo", 1, normal_gap(1))],
                          extra=orphan_extra)

    async def orphantime_extra(p, utts, wid):
        await watch_killed(p, wid, 1, "A orphantime", "the reply's start (the handler has exited)",
                           event_trigger(p, "reply-start", 1), must_see=False)

    # the same handler with time enough for replyonpause's handler-timeout: the
    # reply is complete (checked by plan_session as an echo), no timeout
    orphantime = plan_session(srv, "orphantime", [("hang.orphan", 2, HANDLER_TIMEOUT_S + 3.5),
                                                  ("echo", 0, normal_gap(0))], extra=orphantime_extra)
    await gather_checked("A", crash=crash, garbage=garbage, slow=slow, hangtime=hangtime, hangint=hangint,
                         orphan=orphan, orphantime=orphantime)


async def gather_checked(part, **coros):
    """Runs the scenarios concurrently; one that fails with an exception is a
    problem, the others run to their end (none is left running)."""
    res = await asyncio.gather(*coros.values(), return_exceptions=True)
    for name, r in zip(coros, res):
        if isinstance(r, peer.TestFailure):
            problem(f"{part} {name}: {r}")
        elif isinstance(r, BaseException):
            problem(f"{part} {name}: unexpected {type(r).__name__}: {r}")


# --- (B) vanishing peers ---------------------------------------------------------
def spawn_child(srv, wid):
    out = tempfile.TemporaryFile()
    child = peer.spawn([sys.executable, os.path.join(HERE, "peer.py"), "child", srv.base_url, wid],
                       stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return child, out


async def child_killed(srv, name, wid, when, section):
    """A child peer; SIGKILLed once when() says so; its session must close
    (disconnected) and leave no handler process."""
    child, out = spawn_child(srv, wid)
    t0 = time.monotonic()
    ok = await when(wid, child)
    if not ok:
        out.seek(0)
        problem(f"{section}: the child peer never reached the point to kill it "
                f"(exit {child.poll()}); its output: {out.read().decode('utf-8', 'replace')[-800:]}")
        return
    running = alive(handler_procs(wid))
    os.killpg(child.pid, signal.SIGKILL)
    t_kill = time.monotonic()
    child.wait(5)
    t_c, c = await wait_closed(srv, wid, 5)
    dt = await gone_within(lambda: handler_procs(wid), t_kill, KILL_MAX_S + 1)
    if c is None:
        problem(f"{section}: no session closed line 5 s after the peer was SIGKILLed")
    else:
        note(section, f"SIGKILL {t_kill - t0:.1f} s after spawn -> closed ({c.get('reason')}) in "
                      f"{t_c - t_kill:.2f} s; handler processes before the kill: {len(running)}, "
                      f"{'all gone %.2f s after the kill' % dt if dt is not None else 'LEFT: ' + describe(alive(handler_procs(wid)))}")
        if c.get("reason") != "disconnected":
            problem(f"{section}: closed with reason {c.get('reason')!r}, want disconnected")
    if dt is None:
        problem(f"{section}: handler processes left after the session closed: {describe(alive(handler_procs(wid)))}")


async def b_kill_mid_reply(srv):
    async def when(wid, child):
        t, _ = await wait_line(srv, lambda o: o.get("webrtc_id") == wid and o.get("event") == "reply-start", 25)
        if t is None:
            return False
        await asyncio.sleep(0.3)
        return True
    await child_killed(srv, "killreply", f"killreply-{TAG}", when, "B peer SIGKILLed mid-reply")


async def b_kill_while_hung(srv):
    async def when(wid, child):
        end = time.monotonic() + 25
        while not alive(handler_procs(wid)):
            if time.monotonic() > end or child.poll() is not None:
                return False
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        return True
    await child_killed(srv, "killhung", f"killhung-{TAG}:hang.silent", when, "B peer SIGKILLed while its handler hangs")


class StallTrack(peer.SignalTrack):
    """A SignalTrack whose frames stop for good at stall(): no more RTP, the
    websocket stays open."""

    def __init__(self, signal):
        super().__init__(signal)
        self.stalled_at = None

    async def recv(self):
        if self.stalled_at is not None:
            await asyncio.get_running_loop().create_future()  # never; cancelled at close
        return await super().recv()

    def stall(self):
        self.stalled_at = time.monotonic()


async def b_media_stall(srv):
    section = "B media stops, websocket open"
    wid = f"stall-{TAG}"
    sig, utts = build([(0, normal_gap(0))], tail=30.0)
    p = peer.VoicePeer(srv.ws_url, wid, sig, name="stall")
    p.track = StallTrack(sig)
    p.signal = p.track.signal
    try:
        await p.connect(timeout=20)
        await p.wait_event("reply-end", 1, timeout=20)
        await asyncio.sleep(0.3)
        r = analyse(p, utts, [0])[0]
        p.track.stall()
        t_last = p.track.frame_times[-1]
        end = time.monotonic() + MEDIA_TIMEOUT + 8
        while p.bye is None and not p.closed and time.monotonic() < end:
            await asyncio.sleep(0.02)
        t_bye = time.monotonic()
        t_c, c = await wait_closed(srv, wid, 3)
        dt = t_bye - t_last
        end = time.monotonic() + 3
        while not p.closed and time.monotonic() < end:
            await asyncio.sleep(0.02)
        note(section, f"echo before the stall: {fmt_echo(r)}; last frame sent -> bye {p.bye} after {dt:.2f} s "
                      f"(--media-timeout {MEDIA_TIMEOUT}); closed line: {c and c.get('reason')}; websocket "
                      f"{'closed by the server %.2f s after the bye' % (time.monotonic() - t_bye) if p.closed else 'OPEN'}")
        if not p.bye or p.bye.get("reason") != "media-timeout":
            problem(f"{section}: no bye media-timeout within {MEDIA_TIMEOUT + 8} s of the stall (bye {p.bye})")
        elif not (MEDIA_TIMEOUT - 0.5 <= dt <= MEDIA_TIMEOUT + 2.5):
            problem(f"{section}: bye media-timeout {dt:.2f} s after the last frame (--media-timeout {MEDIA_TIMEOUT})")
        if c is None or c.get("reason") != "media-timeout":
            problem(f"{section}: session closed line {c}")
        if not p.closed:
            problem(f"{section}: the server did not close the websocket 3 s after its bye")
    finally:
        await p.close(send_bye=False)


async def make_offer():
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(peer.SignalTrack(np.zeros(SR, np.int16)))
    await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


async def raw_hello(srv, wid, timeout=10):
    ws = await websockets.connect(srv.ws_url, open_timeout=timeout, max_size=None)
    await ws.send(json.dumps({"type": "hello", "webrtc_id": wid}))
    m = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    if m.get("type") != "welcome":
        await ws.close()
        raise peer.TestFailure(f"{wid}: got {m} instead of welcome")
    return ws


async def b_raw(srv, kind):
    section = f"B websocket {kind}"
    wid = f"raw{kind.replace(' ', '')}-{TAG}"
    pc = None
    try:
        ws = await raw_hello(srv, wid)
        if kind == "closed after hello":
            t0 = time.monotonic()
            await ws.close()
        elif kind == "aborted after hello":
            t0 = time.monotonic()
            ws.transport.abort()
        elif kind == "closed after offer":
            pc, sdp = await make_offer()
            await ws.send(json.dumps({"type": "offer", "sdp": sdp}))
            t0 = time.monotonic()
            await ws.close()
        elif kind == "closed after answer":
            pc, sdp = await make_offer()
            await ws.send(json.dumps({"type": "offer", "sdp": sdp}))
            while True:
                m = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if m.get("type") == "answer":
                    break
            t0 = time.monotonic()
            await ws.close()
        elif kind == "idle after hello":
            t0 = time.monotonic()
            bye = None
            try:
                while True:
                    m = json.loads(await asyncio.wait_for(ws.recv(), CONNECT_TIMEOUT_S + 5))
                    if m.get("type") == "bye":
                        bye = m
            except (websockets.ConnectionClosed, asyncio.TimeoutError):
                pass
            t_b = time.monotonic()
            note(section, f"bye {bye} {t_b - t0:.1f} s after the welcome (connect timeout {CONNECT_TIMEOUT_S} s)")
            if not bye or bye.get("reason") != "connect-timeout":
                problem(f"{section}: want bye connect-timeout, got {bye}")
        t_c, c = await wait_closed(srv, wid, 5)
        if c is None:
            problem(f"{section}: no session closed line 5 s later")
            return
        want = "connect-timeout" if kind == "idle after hello" else "disconnected"
        note(section, f"-> closed ({c.get('reason')}) {t_c - t0:.2f} s later")
        if c.get("reason") != want:
            problem(f"{section}: closed with reason {c.get('reason')!r}, want {want}")
    finally:
        if pc is not None:
            await pc.close()


async def part_b(srv):
    kinds = ("closed after hello", "aborted after hello", "closed after offer", "closed after answer",
             "idle after hello")
    await gather_checked("B", killreply=b_kill_mid_reply(srv), killhung=b_kill_while_hung(srv),
                         stall=b_media_stall(srv), **{k: b_raw(srv, k) for k in kinds})


# --- (C) connect/disconnect cycles ----------------------------------------------
SILENCE = None


async def cycle(srv, i, kind, results):
    wid = f"cycle{i}-{TAG}"
    t0 = time.monotonic()
    err = None
    p = None
    try:
        if kind == "hello":
            ws = await raw_hello(srv, wid, timeout=20)
            await ws.close()
        else:
            p = peer.VoicePeer(srv.ws_url, wid, SILENCE, name=wid)
            await p.connect(timeout=20)
            t, _ = await wait_line(srv, lambda o: o.get("webrtc_id") == wid and o.get("event") == "connected", 10)
            if t is None:
                err = "no connected event"
            if kind == "bye":
                await p.close()
            else:
                p.ws.transport.abort()
                await p.close(send_bye=False)
    except Exception as e:  # noqa: BLE001
        err = f"{type(e).__name__}: {e}"
        if p is not None:
            try:
                await p.close(send_bye=False)
            except Exception:  # noqa: BLE001
                pass
    results.append((i, kind, wid, time.monotonic() - t0, err))


async def part_c(srv, good_id):
    section = "C cycles"
    kinds = ["hello", "bye", "abrupt"]
    results = []
    samples = []
    stop = asyncio.Event()

    async def sampler():
        while not stop.is_set():
            try:
                samples.append(await srv.stats())
            except Exception:  # noqa: BLE001
                pass
            await asyncio.sleep(0.25)

    st0 = await quiet_stats(srv)
    rss0 = rss_kib(srv.proc.pid)
    names0 = thread_names(srv.proc.pid)
    note(section, f"before: stats {st0}, RSS {rss0} KiB")
    samp = asyncio.create_task(sampler())
    t0 = time.monotonic()
    for b in range(0, args.cycles, args.batch):
        await asyncio.gather(*(cycle(srv, i, kinds[i % 3], results)
                               for i in range(b, min(args.cycles, b + args.batch))))
        if not srv.alive():
            problem(f"{section}: the server exited ({srv.proc.returncode}) during the cycles")
            break
    t1 = time.monotonic()
    stop.set()
    await samp
    failed = [r for r in results if r[4]]
    by_kind = {k: [r[3] for r in results if r[1] == k] for k in kinds}
    note(section, f"{len(results)} cycles ({', '.join(f'{len(v)} {k}' for k, v in by_kind.items())}) in "
                  f"{t1 - t0:.1f} s, {args.batch} at a time; per cycle median "
                  + ", ".join(f"{k} {peer.median(v) * 1000:.0f} ms" for k, v in by_kind.items() if v)
                  + f"; max during: sessions {max(s['sessions'] for s in samples) if samples else '?'}, "
                  f"threads {max(s['threads'] for s in samples) if samples else '?'}, "
                  f"fds {max(s['fds'] for s in samples) if samples else '?'}")
    for r in failed[:5]:
        problem(f"{section}: cycle {r[0]} ({r[1]}) failed: {r[4]}")
    if len(failed) > 5:
        problem(f"{section}: {len(failed)} cycles failed in all")
    # every session opened and closed once, with the reason its end calls for
    want = {"hello": "disconnected", "bye": "client-bye", "abrupt": "disconnected"}
    end = time.monotonic() + 10
    while True:
        missing = [r for r in results if not session_lines(srv, r[2], "closed")]
        if not missing or time.monotonic() > end:
            break
        await asyncio.sleep(0.05)
    reasons = {}
    for i, kind, wid, _, _ in results:
        o, c = session_lines(srv, wid, "open"), session_lines(srv, wid, "closed")
        key = (kind, c[0][1].get("reason") if c else "NOT CLOSED")
        reasons[key] = reasons.get(key, 0) + 1
        if len(o) != 1 or len(c) != 1:
            problem(f"{section}: {wid} ({kind}): {len(o)} open and {len(c)} closed lines")
        elif c[0][1].get("reason") != want[kind]:
            problem(f"{section}: {wid} ({kind}) closed with {c[0][1].get('reason')!r}, want {want[kind]}")
    note(section, "close reasons: " + ", ".join(f"{k[0]}->{k[1]} x{v}" for k, v in sorted(reasons.items())))
    # back to the good session alone
    st, conds, first = await wait_stats(srv, t1, 10, lambda st: back_to(st, 1, st0))
    rss1 = rss_kib(srv.proc.pid)
    note(section, "after the last cycle: " + "; ".join(
        f"{k} {'after %.2f s' % first[k] if k in first else 'NOT within 10 s'}" for k in conds) + f"; stats {st}")
    for k in conds:
        if k not in first:
            problem(f"{section}: {k} not reached within 10 s of the last cycle: stats {st}, "
                    f"threads {thread_names(srv.proc.pid)} (before {names0})")
    per = (rss1 - rss0) / max(1, len(results))
    note(section, f"server RSS {rss0} KiB -> {rss1} KiB over {len(results)} cycles: {rss1 - rss0:+d} KiB, "
                  f"{per:+.1f} KiB per cycle (bound {args.rss_max_kib_per_cycle:.0f})")
    if per > args.rss_max_kib_per_cycle:
        problem(f"{section}: RSS grew {per:.1f} KiB per cycle (> {args.rss_max_kib_per_cycle:.0f})")
    left = alive(handler_procs())
    gl = [x for x in left if x["id"] != good_id]
    if gl:
        problem(f"{section}: handler processes other than the good session's: {describe(gl)}")
    return t0, t1, rss0, rss1


# --- the good peer, in a process of its own ----------------------------------------
def good_signal(n):
    return build([(k % 3, normal_gap(k % 3)) for k in range(n)])


async def good_child_main(ws_url, wid, n, min_sil):
    """Runs in the child: the good peer; on a line on stdin prints the analysis
    of its completed utterances (one JSON line), on a second one says bye."""
    global V, MIN_SIL
    V = peer.goforward_at_speeds()
    MIN_SIL = min_sil
    sig, utts = good_signal(n)
    p = peer.VoicePeer(ws_url, wid, sig, name="good")
    lag = peer.LoopLag()
    await p.connect(timeout=20)
    loop = asyncio.get_running_loop()
    print(json.dumps({"type": "connected"}), flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    now = time.monotonic()
    done = [k for k, (vi, a, b) in enumerate(utts)
            if p.track.sample_time(b) is not None and p.track.sample_time(b) + MIN_SIL + len(V[vi][1]) / SR + 1.0 < now]
    res = analyse(p, utts, done)
    out = []
    for k in done:
        r = res[k]
        out.append({key: (float(v) if isinstance(v, (np.floating, float)) else
                          [float(c) for c in v] if key == "corr" else v) for key, v in r.items()})
    print(json.dumps({"type": "result", "utts": out, "events": [m for _, m in p.events], "errors": p.errors,
                      "bye": p.bye, "closed": p.closed, "lag": lag.summary(),
                      "lag_max": max(lag.lags) if lag.lags else 0.0,
                      "rtp_fallbacks": p.rtp_fallbacks}), flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    lag.stop()
    await p.close()
    print(json.dumps({"type": "closed"}), flush=True)


class GoodChild:
    """The test's side of the good peer's process. Its events are followed on
    the server's stdout."""

    def __init__(self, srv, wid, n):
        self.srv, self.webrtc_id = srv, wid
        self.err = tempfile.TemporaryFile()
        self.proc = peer.spawn([sys.executable, os.path.abspath(__file__), "--good-peer", srv.ws_url, wid, str(n),
                                str(MIN_SIL)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err)
        self.msgs = []

    def _stderr_tail(self):
        self.err.seek(0)
        return self.err.read().decode("utf-8", "replace")[-1500:]

    async def _next(self, mtype, timeout):
        loop = asyncio.get_running_loop()
        end = time.monotonic() + timeout
        while True:
            try:
                line = await asyncio.wait_for(loop.run_in_executor(None, self.proc.stdout.readline),
                                              max(0.1, end - time.monotonic()))
            except asyncio.TimeoutError:
                line = None
            if not line:
                peer.fail(f"the good peer process gave no {mtype} (exit {self.proc.poll()}); "
                          f"its stderr: {self._stderr_tail()}")
            try:
                m = json.loads(line)
            except ValueError:
                continue
            if m.get("type") == mtype:
                return m

    async def wait_connected(self):
        await self._next("connected", 30)

    def replies(self):
        return len(self.srv.events(self.webrtc_id, lambda o: o.get("event") == "reply-end"))

    async def wait_replies(self, n, timeout):
        end = time.monotonic() + timeout
        while self.replies() < n:
            if time.monotonic() > end:
                peer.fail(f"good: {n} reply-end events not within {timeout} s (got {self.replies()})")
            await asyncio.sleep(0.05)

    async def finish(self):
        self.proc.stdin.write(b"result\n")
        self.proc.stdin.flush()
        return await self._next("result", 30)

    async def close(self):
        self.proc.stdin.write(b"bye\n")
        self.proc.stdin.flush()
        await self._next("closed", 15)
        await asyncio.get_running_loop().run_in_executor(None, self.proc.wait, 10)


# --- main ------------------------------------------------------------------------
async def main():
    global V, SILENCE, MIN_SIL
    t_start = time.monotonic()
    V = peer.goforward_at_speeds()
    SILENCE = np.zeros(SR * 30, np.int16)
    user = shlex.split(args.server_args)
    srv_args = ["--handler", "command", "--command", f"/bin/sh {DISPATCH}", "--media-timeout", str(MEDIA_TIMEOUT),
                "--max-sessions", "32"] + user
    if peer.server_arg(user, "--min-silence-ms", None) is None:
        srv_args += ["--min-silence-ms", str(DEFAULT_MIN_SILENCE_MS)]
    MIN_SIL = int(peer.server_arg(srv_args, "--min-silence-ms", 500)) / 1000
    srv = peer.Server(args.server, srv_args)
    _server_pid[0] = srv.proc.pid
    print(f"server: {' '.join(srv.argv)} (pid {srv.proc.pid}); handler runs logged in {CHAOS_LOG}")
    await asyncio.sleep(0.5)
    base = await quiet_stats(srv)
    base_names = thread_names(srv.proc.pid)
    rss_base = rss_kib(srv.proc.pid)
    note("server", f"baseline: stats {base}, threads {base_names}, RSS {rss_base} KiB")
    lag = peer.LoopLag()

    # the good session: talks for the whole run, from a process of its own
    good_id = f"good-{TAG}"
    good = GoodChild(srv, good_id, 36)  # about 220 s of signal: more than the run
    await good.wait_connected()
    phases = []
    t_q = time.monotonic()
    await good.wait_replies(2, timeout=30)
    await asyncio.sleep(0.5)
    alone = await quiet_stats(srv)
    names_alone = thread_names(srv.proc.pid)
    note("server", f"good session alone (2 replies): stats {alone}, threads {names_alone}")
    phases.append(("quiet", t_q, time.monotonic()))

    print("\n(A) handler faults and (B) vanishing peers, concurrently")
    max_stats = {}
    stop = asyncio.Event()

    async def sampler():
        while not stop.is_set():
            try:
                st = await srv.stats()
                for k in ("sessions", "calls_alive", "threads", "fds"):
                    max_stats[k] = max(max_stats.get(k, 0), st[k])
            except Exception:  # noqa: BLE001
                pass
            await asyncio.sleep(0.5)

    samp = asyncio.create_task(sampler())
    t_ab = time.monotonic()
    res = await asyncio.gather(part_a(srv), part_b(srv), return_exceptions=True)
    stop.set()
    await samp
    for r in res:
        if isinstance(r, BaseException):
            if isinstance(r, peer.TestFailure):
                problem(str(r))
            else:
                problem(f"unexpected {type(r).__name__}: {r}")
    t_ab1 = time.monotonic()
    phases.append(("A+B chaos", t_ab, t_ab1))
    note("server", f"A+B took {t_ab1 - t_ab:.1f} s; max during: {max_stats}; alive: {srv.alive()}")
    if not srv.alive():
        fail_now(srv, f"the server exited ({srv.proc.returncode}) during A+B")
    st, ok = await settle(srv, 1, 5)
    note("server", f"after A+B: stats {st}")
    if not ok:
        problem(f"after A+B: /stats {st}, want only the good session")

    print(f"\n(C) {args.cycles} connects and disconnects")
    c0, c1, rss0, rss1 = await part_c(srv, good_id)
    phases.append(("C cycles", c0, c1))

    # the good session: one more reply after everything, then its analysis
    await good.wait_replies(good.replies() + 1, timeout=15)
    await asyncio.sleep(0.3)
    gres = await good.finish()
    STALLS[0] = max(STALLS[0], gres.get("lag_max", 0.0))
    print("\ngood session")
    lat_by_phase = {}
    for r in gres["utts"]:
        ph = next((n for n, a, b in phases if a <= r["t_end"] <= b), "between")
        lat_by_phase.setdefault(ph, []).append(r)
        if not echo_ok(r):
            problem(f"good: utterance {r['k'] + 1} ({ph}): {fmt_echo(r)}"
                    + (f"; ncc {['%.3f' % c for c in r['corr']]}" if r["reply"] else ""))
        elif r["latency"] >= MIN_SIL * 1000 + LOOSE_MS:
            problem(f"good: utterance {r['k'] + 1} ({ph}): latency {r['latency']:.0f} ms >= min-silence + {LOOSE_MS} ms")
    for ph, rs in lat_by_phase.items():
        ok = [r for r in rs if r["reply"]]
        lats = [r["latency"] for r in ok]
        owns = [r["own"] for r in ok]
        others = [max(c for i, c in enumerate(r["corr"]) if i != r["variant"]) for r in ok]
        note("good", f"{ph}: {len(rs)} utterances, {len(ok)} echoed; latency median {peer.median(lats):.0f} ms "
                     f"(min-silence + {peer.median(lats) - MIN_SIL * 1000:.0f}), "
                     f"max {max(lats) if lats else float('nan'):.0f} ms; ncc own min {min(owns) if owns else 0:.3f} "
                     f"median {peer.median(owns):.3f}, best other max {max(others) if others else 0:.3f}")
    names = [m.get("event") for m in gres["events"]]
    for bad in ("handler-error", "reply-interrupted"):
        if bad in names:
            problem(f"good: {names.count(bad)} {bad} event(s)")
    foreign = [m for m in gres["events"] if m.get("webrtc_id") != good_id]
    if foreign:
        problem(f"good: events of other sessions: {foreign[:2]}")
    if gres["errors"] or gres["bye"] or gres["closed"]:
        problem(f"good: disturbed: errors {gres['errors']}, bye {gres['bye']}, closed {gres['closed']}")
    note("good", f"{len(gres['utts'])} utterances analysed, {names.count('reply-end')} reply-end, "
                 f"{names.count('handler-error')} handler-error, {names.count('reply-interrupted')} reply-interrupted; "
                 f"its process's event loop lag: {gres['lag']}")

    # the good session leaves: everything back to the baseline
    print("\nfinal")
    t_bye = time.monotonic()
    await good.close()
    st, conds, first = await wait_stats(srv, t_bye, 20, lambda st: {
        **back_to(st, 0, base, "baseline "),
        "no handler process": not alive(handler_procs()),
    })
    names_end = thread_names(srv.proc.pid)
    note("final", "after the good session's bye: " + "; ".join(
        f"{k} {'after %.2f s' % first[k] if k in first else 'NOT within 20 s'}" for k in conds))
    note("final", f"stats {st}; threads {names_end} (baseline {base_names}); RSS {rss_kib(srv.proc.pid)} KiB "
                  f"(baseline {rss_base} KiB)")
    for k in conds:
        if k not in first:
            extra = f"; left: {describe(alive(handler_procs()))}" if k == "no handler process" else ""
            problem(f"final: {k} not reached within 20 s of the good session's bye: stats {st}{extra}")
    lag.stop()
    note("test", f"this process's event loop lag: {lag.summary()}")
    with srv.cond:
        n_lines = len(srv.lines)
    srv_alive = srv.alive()
    rc = srv.stop()
    try:
        with open(srv.log.name, "rb") as f:
            log = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        log = []
    crit = peer.unexplained_criticals(log)  # all but GStreamer's known race (peer.py)
    note("server", f"alive until stopped: {srv_alive}; exit status after SIGTERM {rc}; {n_lines} JSON lines; "
                   f"stderr {len(log)} lines, {len(crit)} CRITICAL, {sum('WARN' in x for x in log)} WARN, "
                   f"{sum('ERROR' in x for x in log)} ERROR")
    if not srv_alive:
        problem("the server was not alive at the end")
    for x in crit[:3]:
        problem(f"server stderr: {x}")
    runs = logged_runs()
    note("test", f"{len(runs)} handler runs; total {time.monotonic() - t_start:.1f} s")

    print("\n==== summary ====")
    order = ["server", "A", "B", "C", "good", "final", "test"]
    for sec, msg in sorted(SUMMARY, key=lambda x: (order.index(x[0].split()[0]), x[0])):
        print(f"[{sec}] {msg}")
    stall = max(max(lag.lags) if lag.lags else 0.0, STALLS[0])
    if PROBLEMS and stall > 0.75 * MIN_SIL:  # (with the 40 ms jitter buffer, a hole near min-silence)
        PROBLEMS.append(f"(note: event loops of the test's peers stalled up to {stall * 1000:.0f} ms, "
                        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: stalls near "
                        f"min-silence put holes in the sent audio, which can split utterances and shift "
                        f"the plans; rerun on a quieter machine before blaming the server)")
    if PROBLEMS:
        peer.fail(f"{len(PROBLEMS)} problem(s):\n  " + "\n  ".join(PROBLEMS))
    try:
        os.unlink(CHAOS_LOG)
    except OSError:
        pass


def fail_now(srv, msg):
    problem(msg)
    peer.fail(f"{len(PROBLEMS)} problem(s):\n  " + "\n  ".join(PROBLEMS))


async def settle(srv, n, timeout):
    end = time.monotonic() + timeout
    while True:
        st = await srv.stats()
        if st["sessions"] == n and st["calls_alive"] == n:
            return st, True
        if time.monotonic() > end:
            return st, False
        await asyncio.sleep(0.05)


if GOOD_CHILD is not None:
    peer.run_test("good peer", lambda: good_child_main(GOOD_CHILD[0], GOOD_CHILD[1], int(GOOD_CHILD[2]),
                                                       float(GOOD_CHILD[3])), watchdog_s=280.0)
else:
    peer.run_test("test-server-chaos", main, watchdog_s=230.0)

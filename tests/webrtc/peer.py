# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
"""Shared helpers for the voicekit-server WebRTC tests (run with /usr/bin/python3).

- Server: starts `voicekit-server --port 0 --events-json ...` in its own process
  group, reads the listening line, collects the JSON lines of its stdout in a
  thread, reads /stats, and is always killed at exit.
- VoicePeer: an aiortc peer that speaks the signalling protocol of
  docs/server.md over `websockets`, sends a mono 48 kHz int16 signal paced in
  real time (20 ms frames, then silence), and records when each frame was sent
  and when each received frame's RTP packet arrived.
- Signal helpers (speech file, espeak-ng, resampling, trimming) and analysis
  helpers (normalised cross-correlation, onset detection).

Timing model (all times are time.monotonic()):
- sent sample i (frame k = i // 960, offset j = i % 960) is taken as captured at
  frame_time[k] - (959 - j) / 48000: a frame is handed to the encoder when its
  last sample has been "captured", as from a real-time microphone.
- received sample s (stream position, from the RTP timestamp) is taken as played
  at arrival(packet) + (s - frame_start) / 48000: the frame plays as soon as its
  RTP packet arrives, so aiortc's own jitter buffer (it holds 4 packets back) is
  not counted.

Can also be run as a script (used by test-server-faults.py for a peer in a
child process):
  peer.py child BASE_URL WEBRTC_ID
prints one JSON line per event it receives, runs until killed.
"""

import argparse
import asyncio
import atexit
import fractions
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import numpy as np

# --- ICE restricted to 127.0.0.1 -------------------------------------------
# aioice leaves 127.0.0.1 out of its host candidates; in the test network
# namespace loopback is the only interface, and ICE must use 127.0.0.1 only.
import aioice.ice

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"] if use_ipv4 else []

import av  # noqa: E402
import websockets  # noqa: E402
from aiortc import (  # noqa: E402
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError  # noqa: E402
from aiortc.rtcrtpreceiver import RTCRtpReceiver  # noqa: E402
from aiortc.sdp import candidate_from_sdp  # noqa: E402

SR = 48000
FRAME = 960  # 20 ms
SPEECH_FILE = "/usr/share/pocketsphinx/test/data/goforward.raw"

# --- RTP arrival hook ------------------------------------------------------
_orig_handle_rtp = RTCRtpReceiver._handle_rtp_packet


async def _handle_rtp_hooked(self, packet, arrival_time_ms):
    cb = getattr(self, "_vk_on_rtp", None)
    if cb is not None:
        cb(packet)
    return await _orig_handle_rtp(self, packet, arrival_time_ms)


RTCRtpReceiver._handle_rtp_packet = _handle_rtp_hooked

# --- process cleanup -------------------------------------------------------
_children = []  # Popen objects, each the leader of its own process group


def _kill_group(p, term_wait=3.0):
    if p.poll() is not None:
        try:
            os.killpg(p.pid, signal.SIGKILL)  # stragglers in its group, if any
        except (ProcessLookupError, PermissionError):
            pass
        return
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        p.wait(term_wait)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        p.wait(3)
    except subprocess.TimeoutExpired:
        pass


def kill_all_children():
    while _children:
        _kill_group(_children.pop())


atexit.register(kill_all_children)


def _on_signal(signum, frame):
    kill_all_children()
    os._exit(1)


for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    try:
        signal.signal(_s, _on_signal)
    except (ValueError, OSError):
        pass


def spawn(argv, **kw):
    """Popen in a new process group, killed at exit."""
    p = subprocess.Popen(argv, start_new_session=True, **kw)
    _children.append(p)
    return p


class TestFailure(Exception):
    pass


def fail(msg):
    raise TestFailure(msg)


def _loop_exception_handler(loop, context):
    # aioice 0.8 retries a STUN transaction whose future is already done after
    # the connection has moved on; harmless, but it prints a traceback.
    exc = context.get("exception")
    if isinstance(exc, asyncio.InvalidStateError) and "Transaction" in repr(context.get("handle")):
        return
    loop.default_exception_handler(context)


async def _with_handler(coro_fn):
    asyncio.get_running_loop().set_exception_handler(_loop_exception_handler)
    return await coro_fn()


def server_test_arguments():
    """The argument parser every server test starts from: the server binary,
    --server-args "..." and --ncc-min (the correlation a reply must reach with
    the utterance it answers). A test adds its own options, then calls
    parse_server_test_arguments()."""
    ap = argparse.ArgumentParser()
    ap.add_argument("server")
    ap.add_argument("--server-args", default="")
    ap.add_argument("--ncc-min", type=float, default=0.5)
    return ap


def parse_server_test_arguments(ap):
    """Parses the command line with ap; options ap does not know go to the
    server: they are appended, quoted, to args.server_args."""
    args, extra = ap.parse_known_args()
    args.server_args = " ".join([args.server_args] + [shlex.quote(a) for a in extra]).strip()
    return args


def server_arg(argv, name, default):
    """Value of option `name` in a server argument list (`--x V` or `--x=V`)."""
    for i, a in enumerate(argv):
        if a == name and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return default


def _say(msg):
    try:
        print(msg, flush=True)
    except Exception:  # noqa: BLE001  (a closed stdout must not keep the test alive)
        pass


def run_test(name, coro_fn, watchdog_s=170.0):
    """Runs the async test; prints PASS/FAIL; exits 0 or 1; kills children.
    A watchdog ends a test that hangs (FAIL) after watchdog_s."""
    t0 = time.monotonic()
    code = 1

    def watchdog():
        _say(f"\n{name}: FAIL: still running after {watchdog_s:.0f} s (watchdog)")
        for s in list(Server.instances):
            s.dump_log_tail()
        kill_all_children()
        os._exit(1)

    wd = threading.Timer(watchdog_s, watchdog)
    wd.daemon = True
    wd.start()
    try:
        try:
            asyncio.run(_with_handler(coro_fn))
            code = 0
        except TestFailure as e:
            _say(f"\n{name}: FAIL: {e}")
        except BaseException as e:  # noqa: BLE001
            import traceback

            try:
                traceback.print_exc()
            except Exception:  # noqa: BLE001
                pass
            _say(f"\n{name}: FAIL: unexpected {type(e).__name__}: {e}")
        if code == 0:
            # A passing test also needs a server that shut down cleanly: exit
            # status 0 on SIGTERM (within 3 s), no GLib/GStreamer CRITICAL or
            # sanitizer report in its stderr.
            for srv in list(Server.instances):
                problem = srv.shutdown_problem()
                if problem:
                    _say(f"\n{name}: FAIL: {problem}")
                    code = 1
        for s in list(Server.instances):
            if code != 0:
                s.dump_log_tail()
        kill_all_children()
        if code == 0:
            for s in list(Server.instances):
                try:
                    os.unlink(s.log.name)
                except OSError:
                    pass
            _say(f"\n{name}: PASS ({time.monotonic() - t0:.1f} s)")
        else:
            _say(f"{name}: total {time.monotonic() - t0:.1f} s")
    finally:
        try:
            kill_all_children()
            sys.stdout.flush()
        except BaseException:  # noqa: BLE001
            pass
        os._exit(code)


# --- the server's stderr ----------------------------------------------------
# A race inside GStreamer 1.22 itself, seen once in about twenty chaos runs
# (under ASan): an element of webrtcbin's RTP session with several sink pads
# makes an RTCP stream-start before it has an upstream stream id, so
# gst_pad_create_stream_id() refuses (numsinkpads > 1) and the two calls after it
# get NULL. Not our code (no element of ours makes stream ids that way); the
# session goes on. These three lines, in that order, are not counted; any other
# CRITICAL is.
KNOWN_GST_RACE = (
    "gst_pad_create_stream_id_internal: assertion 'parent->numsinkpads <= 1' failed",
    "gst_event_new_stream_start: assertion 'stream_id != NULL' failed",
    "gst_pad_push_event: assertion 'GST_IS_EVENT (event)' failed",
)


def unexplained_criticals(lines):
    """The CRITICAL lines of a log, but for the known GStreamer race above."""
    crit = [x for x in lines if "CRITICAL" in x]
    out = []
    i = 0
    while i < len(crit):
        if KNOWN_GST_RACE[0] in crit[i]:
            i += 1
            for follow in KNOWN_GST_RACE[1:]:
                if i < len(crit) and follow in crit[i]:
                    i += 1
            continue
        out.append(crit[i])
        i += 1
    return out


# --- the server process, seen through /proc -----------------------------------
def _proc_counts(pid, folder, describe):
    """{describe(/proc/PID/FOLDER/ENTRY): count} over a folder's entries; an
    entry that goes away while it is read (OSError) is not counted."""
    out = {}
    try:
        for entry in os.listdir(f"/proc/{pid}/{folder}"):
            try:
                key = describe(f"/proc/{pid}/{folder}/{entry}")
            except OSError:
                continue
            out[key] = out.get(key, 0) + 1
    except OSError:
        pass
    return out


def _thread_name(task):
    with open(f"{task}/comm") as f:
        return f.read().strip()


def _fd_target(fd):
    t = os.readlink(fd)
    return t.split("[")[0] if ":[" in t else t


def thread_names(pid):
    """{thread name: count} of a process (its /proc/PID/task/*/comm)."""
    return _proc_counts(pid, "task", _thread_name)


def fd_targets(pid):
    """{what a descriptor points at (socket, pipe, file): count} of a process."""
    return _proc_counts(pid, "fd", _fd_target)


# --- the server ------------------------------------------------------------
class Server:
    instances = []

    def __init__(self, binary, args=(), start_timeout=20.0):
        self.binary = binary
        self.args = list(args)
        self.lines = []  # (monotonic time, dict) of every JSON line
        self.other_lines = []  # non-JSON stdout lines
        self.cond = threading.Condition()
        self.log = tempfile.NamedTemporaryFile(prefix="voicekit-server-", suffix=".log", delete=False)
        argv = [binary, "--port", "0", "--events-json"] + self.args
        self.argv = argv
        self.proc = spawn(argv, stdout=subprocess.PIPE, stderr=self.log, stdin=subprocess.DEVNULL)
        Server.instances.append(self)
        first = self._read_first_line(start_timeout)
        m = re.match(r"voicekit-server: listening on http://([0-9.]+):(\d+)/\s*$", first)
        if not m:
            self.dump_log_tail()
            fail(f"server's first stdout line is not the listening line: {first!r}")
        self.host, self.port = m.group(1), int(m.group(2))
        self.base_url = f"http://{self.host}:{self.port}"
        self.ws_url = f"ws://{self.host}:{self.port}/ws"
        self.thread = threading.Thread(target=self._collect, daemon=True)
        self.thread.start()

    def _read_first_line(self, timeout):
        box = []

        def rd():
            box.append(self.proc.stdout.readline())

        t = threading.Thread(target=rd, daemon=True)
        t.start()
        t.join(timeout)
        if not box:
            self.dump_log_tail()
            fail(f"server printed no line within {timeout} s: {' '.join(self.argv)}")
        line = box[0].decode("utf-8", "replace")
        if not line:
            self.proc.wait(5)
            self.dump_log_tail()
            fail(f"server exited ({self.proc.returncode}) before its listening line")
        return line

    def _collect(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            now = time.monotonic()
            try:
                obj = json.loads(line)
            except ValueError:
                obj = None
            with self.cond:
                if isinstance(obj, dict):
                    self.lines.append((now, obj))
                else:
                    self.other_lines.append((now, line))
                self.cond.notify_all()

    def events(self, webrtc_id=None, pred=None):
        with self.cond:
            out = list(self.lines)
        return [
            o
            for _, o in out
            if (webrtc_id is None or o.get("webrtc_id") == webrtc_id) and (pred is None or pred(o))
        ]

    async def wait_event(self, pred, timeout, what="event"):
        end = time.monotonic() + timeout
        while True:
            with self.cond:
                for _, o in self.lines:
                    if pred(o):
                        return o
            if time.monotonic() > end:
                fail(f"timed out after {timeout} s waiting for {what} on the server's stdout")
            if self.proc.poll() is not None:
                fail(f"server exited with {self.proc.returncode} while waiting for {what}")
            await asyncio.sleep(0.02)

    def stats_sync(self, timeout=5.0):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(self.base_url + "/stats", timeout=timeout) as r:
            body = r.read()
        return json.loads(body)

    async def stats(self):
        return await asyncio.get_running_loop().run_in_executor(None, self.stats_sync)

    async def wait_no_sessions(self, timeout):
        """Polls /stats until sessions and calls_alive are both 0. Returns the
        last stats and whether they got there within timeout seconds."""
        end = time.monotonic() + timeout
        while True:
            st = await self.stats()
            if st.get("sessions") == 0 and st.get("calls_alive") == 0:
                return st, True
            if time.monotonic() > end:
                return st, False
            await asyncio.sleep(0.1)

    def http_get(self, path, timeout=5.0):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(self.base_url + path, timeout=timeout) as r:
            return r.status, r.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        _kill_group(self.proc)
        if self.proc in _children:
            _children.remove(self.proc)
        self.thread.join(2)
        return self.proc.returncode

    def shutdown_problem(self):
        """Stops the server (if running) and says what went wrong at its end."""
        rc = self.stop()
        if rc != 0:
            return f"the server exited with status {rc} (SIGTERM, then SIGKILL after 3 s)"
        try:
            with open(self.log.name, errors="replace") as f:
                text = f.read()
        except OSError:
            return None
        crit = unexplained_criticals(text.splitlines())
        if crit:
            return f"the server's stderr has a CRITICAL: {crit[0][:200]}"
        for marker in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"):
            if marker in text:
                line = next(l for l in text.splitlines() if marker in l)
                return f"the server's stderr has {marker!r}: {line[:200]}"
        return None

    def dump_log_tail(self, n=40):
        try:
            return self._dump_log_tail(n)
        except Exception:  # noqa: BLE001
            pass

    def _dump_log_tail(self, n):
        try:
            self.log.flush()
            with open(self.log.name, "rb") as f:
                data = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return
        if data:
            print(f"--- last {min(n, len(data))} lines of the server's stderr ({self.log.name}) ---")
            for line in data[-n:]:
                print("  " + line)
            print("---")


# --- the peer --------------------------------------------------------------
class SignalTrack(MediaStreamTrack):
    """Plays `signal` (int16 mono 48 kHz) in real-time 20 ms frames, then silence."""

    kind = "audio"

    def __init__(self, signal):
        super().__init__()
        self.signal = np.ascontiguousarray(signal, dtype=np.int16)
        self.k = 0
        self.t0 = None
        self.frame_times = []  # monotonic time frame k was handed to the encoder
        self.time_base = fractions.Fraction(1, SR)

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self.t0 is None:
            # frame k is due when its last sample has been "captured"
            self.t0 = now - FRAME / SR
        due = self.t0 + (self.k + 1) * FRAME / SR
        if due > now:
            await asyncio.sleep(due - now)
        a = self.k * FRAME
        seg = self.signal[a : a + FRAME]
        if len(seg) < FRAME:
            seg = np.concatenate([seg, np.zeros(FRAME - len(seg), np.int16)])
        frame = av.AudioFrame.from_ndarray(seg.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SR
        frame.pts = a
        frame.time_base = self.time_base
        self.frame_times.append(time.monotonic())
        self.k += 1
        return frame

    def sample_time(self, i):
        """Capture time of sample i of the signal (None if not sent yet)."""
        k, j = divmod(int(i), FRAME)
        if k >= len(self.frame_times):
            return None
        return self.frame_times[k] - (FRAME - 1 - j) / SR

    def samples_sent(self):
        return len(self.frame_times) * FRAME


def frame_to_mono48k(frame):
    arr = frame.to_ndarray()
    ch = len(frame.layout.channels)
    if frame.format.is_planar:
        x = arr.astype(np.float64).mean(axis=0)
    else:
        x = arr.reshape(-1, ch).astype(np.float64).mean(axis=1)
    name = frame.format.name
    if name.startswith("flt") or name.startswith("dbl"):
        x = x * 32767.0
    elif name.startswith("s32"):
        x = x / 65536.0
    if frame.sample_rate != SR:
        x = resample(x, frame.sample_rate, SR)
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


class VoicePeer:
    """An aiortc peer of voicekit-server."""

    def __init__(self, ws_url, webrtc_id, signal, name=None):
        self.ws_url = ws_url
        self.webrtc_id = webrtc_id
        self.name = name or webrtc_id
        self.track = SignalTrack(signal)
        self.signal = self.track.signal
        self.ws = None
        self.pc = None
        self.welcome = None
        self.answer = None
        self.events = []  # (monotonic time, msg) of the "event" messages
        self.errors = []  # "error" messages
        self.messages = []  # every message received, in order
        self.bye = None
        self.closed = False
        self.close_code = None
        self.connected_at = None
        self.recv_frames = []  # (pts, packet arrival, frame time, int16 mono)
        self.rtp_arrival = {}  # mapped RTP timestamp -> first arrival time
        self._rtp_origin = None
        self.rtp_fallbacks = 0
        self._pending_candidates = []
        self._remote_set = False
        self._welcome_fut = None
        self._answer_fut = None
        self._tasks = []

    # signalling
    async def send(self, obj):
        await self.ws.send(json.dumps(obj))

    async def _read_loop(self):
        try:
            async for raw in self.ws:
                now = time.monotonic()
                try:
                    msg = json.loads(raw)
                except ValueError:
                    self.messages.append({"type": "(not json)", "raw": raw})
                    continue
                self.messages.append(msg)
                t = msg.get("type")
                if t == "welcome":
                    if not self._welcome_fut.done():
                        self._welcome_fut.set_result(msg)
                elif t == "answer":
                    if not self._answer_fut.done():
                        self._answer_fut.set_result(msg)
                elif t == "candidate":
                    if self._remote_set:
                        await self._add_candidate(msg)
                    else:
                        self._pending_candidates.append(msg)
                elif t == "event":
                    self.events.append((now, msg))
                elif t == "error":
                    self.errors.append(msg)
                    for f in (self._welcome_fut, self._answer_fut):
                        if f is not None and not f.done():
                            f.set_exception(TestFailure(f"{self.name}: server error {msg}"))
                elif t == "bye":
                    self.bye = msg
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed = True
            self.close_code = self.ws.close_code
            for f in (self._welcome_fut, self._answer_fut):
                if f is not None and not f.done():
                    f.set_exception(TestFailure(f"{self.name}: websocket closed (code {self.ws.close_code})"))

    async def _add_candidate(self, msg):
        c = msg.get("candidate", "")
        try:
            if not c:
                for tr in self.pc.getTransceivers():
                    await tr.receiver.transport.transport.addRemoteCandidate(None)
                return
            if c.startswith("candidate:"):
                c = c[len("candidate:") :]
            cand = candidate_from_sdp(c)
            idx = msg.get("sdpMLineIndex", 0) or 0
            trs = self.pc.getTransceivers()
            cand.sdpMLineIndex = idx
            cand.sdpMid = msg.get("sdpMid") or (trs[idx].mid if idx < len(trs) else None)
            await self.pc.addIceCandidate(cand)
        except Exception as e:  # noqa: BLE001
            print(f"{self.name}: could not add candidate {msg}: {e}", flush=True)

    def _on_rtp(self, packet):
        now = time.monotonic()
        if self._rtp_origin is None:
            self._rtp_origin = packet.timestamp
        ts = (packet.timestamp - self._rtp_origin) & 0xFFFFFFFF
        self.rtp_arrival.setdefault(ts, now)

    async def _recv_loop(self, track):
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                break
            now = time.monotonic()
            arr = self.rtp_arrival.get(frame.pts)
            if arr is None:
                arr = now
                self.rtp_fallbacks += 1
            self.recv_frames.append((frame.pts, arr, now, frame_to_mono48k(frame)))

    async def connect(self, timeout=15.0):
        loop = asyncio.get_running_loop()
        self._welcome_fut = loop.create_future()
        self._answer_fut = loop.create_future()
        self.ws = await websockets.connect(self.ws_url, max_size=None, open_timeout=timeout)
        self._tasks.append(asyncio.create_task(self._read_loop()))
        await self.send({"type": "hello", "webrtc_id": self.webrtc_id})
        self.welcome = await asyncio.wait_for(self._welcome_fut, timeout)
        if self.welcome.get("webrtc_id") != self.webrtc_id:
            fail(f"{self.name}: welcome carries webrtc_id {self.welcome.get('webrtc_id')!r}")
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))

        @self.pc.on("track")
        def on_track(track):
            if track.kind == "audio":
                self._tasks.append(asyncio.create_task(self._recv_loop(track)))

        self.pc.addTrack(self.track)
        for tr in self.pc.getTransceivers():
            tr.receiver._vk_on_rtp = self._on_rtp
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.send({"type": "offer", "sdp": self.pc.localDescription.sdp})
        ans = await asyncio.wait_for(self._answer_fut, timeout)
        self.answer = ans
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=ans["sdp"], type="answer"))
        self._remote_set = True
        for c in self._pending_candidates:
            await self._add_candidate(c)
        self._pending_candidates = []
        end = time.monotonic() + timeout
        while self.pc.connectionState != "connected":
            if self.pc.connectionState in ("failed", "closed"):
                fail(f"{self.name}: peer connection {self.pc.connectionState}")
            if time.monotonic() > end:
                fail(f"{self.name}: not connected after {timeout} s (ICE {self.pc.iceConnectionState})")
            await asyncio.sleep(0.02)
        self.connected_at = time.monotonic()

    async def close(self, send_bye=True):
        if send_bye and self.ws is not None and not self.closed:
            try:
                await self.send({"type": "bye"})
            except Exception:  # noqa: BLE001
                pass
        if self.pc is not None:
            try:
                await asyncio.wait_for(self.pc.close(), 5)
            except Exception:  # noqa: BLE001
                pass
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 3)
            except Exception:  # noqa: BLE001
                pass
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # waiting on signalled events
    def event_list(self, name=None):
        return [m for _, m in self.events if name is None or m.get("event") == name]

    async def wait_event(self, name, count=1, timeout=10.0):
        end = time.monotonic() + timeout
        while len(self.event_list(name)) < count:
            if time.monotonic() > end:
                fail(f"{self.name}: {count} {name} event(s) not received within {timeout} s "
                     f"(got {len(self.event_list(name))}; events {[m.get('event') for m in self.event_list()]})")
            if self.closed:
                fail(f"{self.name}: websocket closed while waiting for {name} (bye {self.bye})")
            await asyncio.sleep(0.02)

    async def wait_sent(self, n_samples, slack=5.0):
        """Waits until the first n_samples of the signal have been sent."""
        end = time.monotonic() + n_samples / SR + slack
        while self.track.samples_sent() < n_samples:
            if time.monotonic() > end:
                fail(f"{self.name}: only {self.track.samples_sent()} of {n_samples} samples sent")
            await asyncio.sleep(0.02)

    # received audio
    def recv_timeline(self):
        """(audio int16 by stream position, frame starts, frame arrival times)."""
        if not self.recv_frames:
            return np.zeros(0, np.int16), np.zeros(0, np.int64), np.zeros(0)
        frames = sorted(self.recv_frames, key=lambda f: f[0])
        last = frames[-1][0] + len(frames[-1][3])
        audio = np.zeros(last, np.int16)
        starts = np.array([f[0] for f in frames], np.int64)
        arrivals = np.array([f[1] for f in frames], np.float64)
        for pts, _, _, x in frames:
            audio[pts : pts + len(x)] = x
        return audio, starts, arrivals


# --- signals ---------------------------------------------------------------
def resample(x, sr_in, sr_out):
    x = np.asarray(x, dtype=np.float64)
    if sr_in == sr_out or len(x) == 0:
        return x
    n_out = int(round(len(x) * sr_out / sr_in))
    t_out = np.arange(n_out) * (sr_in / sr_out)
    return np.interp(t_out, np.arange(len(x)), x)


def to_int16(x):
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def block_rms(x, block):
    n = len(x) // block
    if n == 0:
        return np.zeros(0)
    b = np.asarray(x[: n * block], dtype=np.float64).reshape(n, block)
    return np.sqrt((b * b).mean(axis=1))


def trim_speech(x, sr=SR, rel_db=-16.0, fade_ms=10.0):
    """Cuts x (float) to its speech (10 ms blocks above peak+rel_db, and above
    4x the noise floor) and fades both ends: the result starts and ends with
    speech, so its last sample is the last speech sample."""
    block = sr // 100
    r = block_rms(x, block)
    floor = np.percentile(r, 10)
    thr = max(r.max() * 10 ** (rel_db / 20), 4 * floor)
    active = np.nonzero(r > thr)[0]
    a, b = active[0] * block, (active[-1] + 1) * block
    y = np.asarray(x[a:b], dtype=np.float64).copy()
    nf = int(sr * fade_ms / 1000)
    ramp = np.linspace(0, 1, nf)
    y[:nf] *= ramp
    y[-nf:] *= ramp[::-1]
    return y


def normalise(x, peak=16000.0):
    x = np.asarray(x, dtype=np.float64)
    m = np.abs(x).max()
    return x * (peak / m) if m > 0 else x


def load_goforward_48k():
    raw = np.fromfile(SPEECH_FILE, dtype="<i2").astype(np.float64)
    return resample(raw, 16000, SR)


def goforward_at_speeds(prefix="", speeds=(1.0, 1.25, 0.85)):
    """goforward.raw at each speed (resampled, so faster is also higher),
    trimmed to its speech and normalised: [(prefix + "x1.25", signal), ...]."""
    base = load_goforward_48k()
    out = []
    for speed in speeds:
        x = resample(base, SR * speed, SR) if speed != 1.0 else base
        out.append((f"{prefix}x{speed:.2f}", normalise(trim_speech(x))))
    return out


def espeak(text, voice="en", pitch=50, speed=160, amplitude=100):
    out = subprocess.run(
        ["espeak-ng", "--stdout", "-v", voice, "-p", str(pitch), "-s", str(speed), "-a", str(amplitude), text],
        check=True,
        capture_output=True,
        timeout=30,
    ).stdout
    # a WAV file: find the "data" chunk
    import io
    import wave

    with wave.open(io.BytesIO(out)) as w:
        sr = w.getframerate()
        n = w.getnframes()
        data = w.readframes(n)
        if n == 0 or len(data) == 0:
            # espeak-ng on stdout may leave the sizes at 0: data follows the header
            idx = out.find(b"data")
            data = out[idx + 8 :]
    x = np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.float64)
    return resample(x, sr, SR)


# --- analysis --------------------------------------------------------------
DECIM = 3  # correlations are computed at 16 kHz


def decimate(x, f=DECIM):
    x = np.asarray(x, dtype=np.float64)
    n = len(x) // f
    return x[: n * f].reshape(n, f).mean(axis=1)


def ncc(template, x):
    """Max over lags of the normalised cross-correlation of template against
    windows of x (both decimated to 16 kHz). Returns (value, lag in 48 kHz
    samples). Windows with little energy are ignored."""
    t = decimate(template)
    y = decimate(x)
    L = len(t)
    if L == 0 or len(y) == 0:
        return 0.0, 0
    if len(y) < L:
        y = np.concatenate([y, np.zeros(L - len(y))])
    t = t - t.mean()
    tn = np.sqrt((t * t).sum())
    nfft = 1
    while nfft < len(y) + L:
        nfft *= 2
    c = np.fft.irfft(np.fft.rfft(y, nfft) * np.conj(np.fft.rfft(t, nfft)), nfft)[: len(y) - L + 1]
    cs = np.concatenate([[0.0], np.cumsum(y * y)])
    e = cs[L:] - cs[: len(y) - L + 1]
    e = np.maximum(e, 0)
    ok = e > 0.01 * tn * tn
    if not ok.any():
        return 0.0, 0
    v = np.where(ok, c / (tn * np.sqrt(np.where(ok, e, 1.0))), -1.0)
    i = int(np.argmax(v))
    return float(v[i]), i * DECIM


def first_active(audio, start, thr, block=240):
    """Index of the first sample at or after `start` that begins a 5 ms block
    with RMS above thr (None if none)."""
    start = max(0, int(start))
    seg = audio[start:]
    r = block_rms(seg, block)
    idx = np.nonzero(r > thr)[0]
    if len(idx) == 0:
        return None
    b = idx[0]
    # refine inside the block: first sample whose magnitude exceeds thr
    lo = max(0, (b - 1) * block)
    sub = np.abs(seg[lo : (b + 1) * block].astype(np.float64))
    k = np.nonzero(sub > thr)[0]
    return start + lo + (int(k[0]) if len(k) else block)


def recv_sample_time(starts, arrivals, s):
    """Time received stream sample s was played (frame arrival + offset)."""
    i = int(np.searchsorted(starts, s, side="right")) - 1
    if i < 0:
        return None
    return arrivals[i] + (s - starts[i]) / SR


def recv_first_sample_after(starts, arrivals, t):
    """Stream position of the first received frame that arrived after time t."""
    idx = np.nonzero(arrivals > t)[0]
    if len(idx) == 0:
        return None
    return int(starts[idx[0]])


class LoopLag:
    """Measures how late the event loop wakes up (a busy test process delays the
    timestamps it takes, so this bounds its own share of measured latencies)."""

    def __init__(self, period=0.01):
        self.period = period
        self.lags = []
        self.task = asyncio.create_task(self._run())

    async def _run(self):
        while True:
            t = time.monotonic()
            await asyncio.sleep(self.period)
            self.lags.append(time.monotonic() - t - self.period)

    def stop(self):
        self.task.cancel()

    def summary(self):
        if not self.lags:
            return "no samples"
        a = np.array(self.lags) * 1000
        return (f"median {np.median(a):.1f} ms, p99 {np.percentile(a, 99):.1f} ms, max {a.max():.1f} ms "
                f"over {len(a)} wake-ups")


def median(xs):
    return float(np.median(xs)) if len(xs) else float("nan")


# --- child mode (test-server-faults.py) ------------------------------------
async def _child_main(base_url, webrtc_id):
    speech = normalise(trim_speech(load_goforward_48k()))
    sig = np.concatenate([np.zeros(SR), speech, np.zeros(SR * 60)])
    ws_url = base_url.replace("http://", "ws://").rstrip("/") + "/ws"
    p = VoicePeer(ws_url, webrtc_id, to_int16(sig), name="child")
    await p.connect()
    print(json.dumps({"type": "connected"}), flush=True)
    seen = 0
    while True:
        while seen < len(p.events):
            print(json.dumps(p.events[seen][1]), flush=True)
            seen += 1
        await asyncio.sleep(0.02)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "child":
        asyncio.run(_with_handler(lambda: _child_main(sys.argv[2], sys.argv[3])))
    else:
        print(__doc__)
        sys.exit(2)

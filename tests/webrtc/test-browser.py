#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
"""End-to-end browser test of voicekit-server.

Run inside a network namespace with only loopback up:

    tests/webrtc/netns-run /usr/bin/python3 tests/webrtc/test-browser.py \
        build/tools/voicekit-server/voicekit-server

A headless Chromium opens the server's page with ?autostart=1. Its fake
microphone plays a recording of speech ("go forward ten meters", from Debian's
pocketsphinx-testdata) followed by silence, in a loop. The server (default
handler: echo) must report speech-start, pause and reply-start for the page's
session, and the page must report - measured by a WebAudio analyser on the
remote track, not by byte counters - that the reply was actually played.

Exit status 0: pass; 1: fail (the reason is printed). Nothing is skipped: a
missing Chromium or server is a failure.
"""

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import wave

CHROMIUM = "/usr/bin/chromium"
SPEECH_RAW = "/usr/share/pocketsphinx/test/data/goforward.raw"  # 16 kHz s16le mono
SPEECH_RATE = 16000
SILENCE_S = 2.0
STARTUP_TIMEOUT_S = 15.0    # server's first stdout line
TIMEOUT_S = 60.0            # from Chromium's start to a pass
MIN_PLAYED_MS = 300         # reply audio the page must have heard
MIN_MAX_RMS = 0.02          # loudest 43 ms of the reply (the page's audible threshold is 0.01)
REQUIRED_EVENTS = ("speech-start", "pause", "reply-start")
EARLY_AUDIO_MS = 200        # audible ms a report may show before the page got a reply-start

T0 = time.monotonic()


def now():
    return time.monotonic() - T0


def say(msg):
    print(f"[{now():6.2f}s] {msg}", flush=True)


class Failure(Exception):
    pass


def make_wav(path):
    with open(SPEECH_RAW, "rb") as f:
        speech = f.read()
    if len(speech) < SPEECH_RATE:  # < 0.5 s: not the file we expect
        raise Failure(f"{SPEECH_RAW} is too short ({len(speech)} bytes)")
    silence = bytes(2 * int(SPEECH_RATE * SILENCE_S))
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SPEECH_RATE)
        w.writeframes(speech + silence)
    return (len(speech) + len(silence)) / 2 / SPEECH_RATE


def start_reader(stream, q):
    def run():
        for line in iter(stream.readline, b""):
            q.put(line.decode("utf-8", "replace").rstrip("\n"))
        q.put(None)  # EOF
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def kill_group(proc, name, term_wait=3.0):
    """SIGTERM the process group, then SIGKILL what is left."""
    if proc is None:
        return
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        pgid = None
    if pgid is not None:
        try:
            os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=term_wait)
    except subprocess.TimeoutExpired:
        say(f"{name} did not exit on SIGTERM within {term_wait:.0f} s: SIGKILL")
    if pgid is not None:
        try:
            os.killpg(pgid, signal.SIGKILL)  # stragglers of the group (Chromium's helpers)
        except ProcessLookupError:
            pass
        # Wait until the group is gone (its orphans are reaped by init).
        end = time.monotonic() + 5
        while time.monotonic() < end:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            say(f"{name}'s process group {pgid} still exists after SIGKILL")
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        say(f"{name} (pid {proc.pid}) still alive after SIGKILL")


def tail(path, n=40):
    try:
        with open(path, "r", errors="replace") as f:
            lines = f.readlines()
    except OSError:
        return "(no log)"
    return "".join(lines[-n:]) or "(empty)"


class State:
    def __init__(self):
        self.page_id = None
        self.opened = []            # webrtc_ids of sessions opened
        self.closed = {}            # webrtc_id -> reason
        self.refused = []
        self.events = []            # (t, record)
        self.counts = {}            # page's event name -> count
        self.foreign = []           # records that carry another (or no) webrtc_id
        self.reports = 0
        self.last_report = None
        self.best_report = None     # the report with the most played_ms
        self.latencies = []
        self.first_reply_start = None
        self.first_audible_report = None
        self.other_lines = []
        self.early_audio = None     # a report with audio played before any reply-start
        self.passed_at = None

    def feed(self, line):
        try:
            rec = json.loads(line)
        except ValueError:
            self.other_lines.append(line)
            say(f"server: {line}")
            return
        if not isinstance(rec, dict):
            self.other_lines.append(line)
            return
        typ = rec.get("type")
        wid = rec.get("webrtc_id")
        if typ == "session":
            if rec.get("state") == "open":
                self.opened.append(wid)
                if self.page_id is None:
                    self.page_id = wid
                    say(f"session open: webrtc_id={wid}")
                else:
                    say(f"another session opened: webrtc_id={wid}")
            elif rec.get("state") == "closed":
                self.closed[wid] = rec.get("reason")
                say(f"session closed: webrtc_id={wid} reason={rec.get('reason')}")
            return
        if typ == "refused":
            self.refused.append(rec)
            say(f"server refused a session: {line}")
            return
        if typ == "event":
            name = rec.get("event")
            if self.page_id is None or wid != self.page_id:
                self.foreign.append(rec)
                say(f"event with a foreign webrtc_id: {line}")
                return
            self.events.append((now(), rec))
            self.counts[name] = self.counts.get(name, 0) + 1
            extra = ""
            if name == "reply-start":
                lat = rec.get("latency_ms")
                if isinstance(lat, (int, float)):
                    self.latencies.append(lat)
                    extra = f" latency_ms={lat}"
                if self.first_reply_start is None:
                    self.first_reply_start = now()
            if name == "transcript":
                extra = f" text={rec.get('text')!r}"
            utt = rec.get("utterance")
            say(f"event {name}" + (f" utterance={utt}" if utt is not None else "") + extra)
            return
        if typ == "client-report":
            if self.page_id is None or wid != self.page_id:
                self.foreign.append(rec)
                say(f"client-report with a foreign webrtc_id: {line}")
                return
            self.reports += 1
            self.last_report = rec
            pm = rec.get("played_ms")
            if isinstance(pm, (int, float)) and (
                    self.best_report is None or pm >= self.best_report.get("played_ms", 0)):
                self.best_report = rec
            seen = rec.get("events_seen")
            if (isinstance(pm, (int, float)) and pm > EARLY_AUDIO_MS and isinstance(seen, dict)
                    and not seen.get("reply-start") and self.early_audio is None):
                self.early_audio = rec
                say(f"page played audio before any reply-start reached it: {json.dumps(rec)}")
            if isinstance(pm, (int, float)) and pm > 0 and self.first_audible_report is None:
                self.first_audible_report = now()
                say(f"page hears the reply: {json.dumps(rec)}")
            return
        self.other_lines.append(line)

    def missing(self):
        """What still lacks for a pass (empty list: pass)."""
        miss = []
        if self.page_id is None:
            miss.append("no session opened")
            return miss
        for name in REQUIRED_EVENTS:
            if not self.counts.get(name):
                miss.append(f"no {name} event")
        seen = (self.last_report or {}).get("events_seen")
        if not isinstance(seen, dict) or not all(seen.get(n) for n in REQUIRED_EVENTS):
            miss.append(f"the page's reports do not show it received {', '.join(REQUIRED_EVENTS)}"
                        f" (events_seen {seen})")
        r = self.best_report
        if r is None:
            miss.append("no client-report with played_ms")
        else:
            pm, mr = r.get("played_ms", 0), r.get("max_rms", 0)
            if not isinstance(pm, (int, float)) or pm < MIN_PLAYED_MS:
                miss.append(f"page played only {pm} ms of reply audio (need >= {MIN_PLAYED_MS})")
            if not isinstance(mr, (int, float)) or mr < MIN_MAX_RMS:
                miss.append(f"reply max_rms {mr} < {MIN_MAX_RMS}")
        return miss

    def hard_failure(self):
        if self.foreign:
            return f"{len(self.foreign)} record(s) carry another webrtc_id than the page's {self.page_id}"
        if len(set(self.opened)) > 1:
            return f"more than one session opened: {self.opened}"
        if self.early_audio is not None:
            return (f"the page played {self.early_audio.get('played_ms')} ms of audio before it"
                    " received any reply-start: the server sends something that is not a reply")
        if self.refused:
            return f"server refused the page: {self.refused[0]}"
        if self.page_id is not None and self.page_id in self.closed:
            return f"the page's session closed early: reason {self.closed[self.page_id]}"
        return None


def main():
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} PATH-TO-voicekit-server", file=sys.stderr)
        return 2
    server_bin = os.path.abspath(sys.argv[1])

    def on_term(signum, frame):
        raise Failure(f"killed by signal {signum}")
    signal.signal(signal.SIGTERM, on_term)  # a harness's timeout still cleans up
    tmp = tempfile.mkdtemp(prefix="voicekit-browser-")
    server = chromium = None
    st = State()
    result = None
    try:
        if not (os.path.isfile(server_bin) and os.access(server_bin, os.X_OK)):
            raise Failure(f"server binary {server_bin} missing or not executable")
        if not os.access(CHROMIUM, os.X_OK):
            raise Failure(f"{CHROMIUM} missing (apt-get install chromium)")
        if not os.path.isfile(SPEECH_RAW):
            raise Failure(f"{SPEECH_RAW} missing (apt-get install pocketsphinx-testdata)")

        wav = os.path.join(tmp, "speech.wav")
        dur = make_wav(wav)
        say(f"fake microphone: {wav} ({dur:.2f} s: speech then {SILENCE_S:.0f} s silence, looped)")

        server_log = os.path.join(tmp, "server.stderr")
        with open(server_log, "wb") as err:
            server = subprocess.Popen(
                [server_bin, "--port", "0", "--events-json"],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                start_new_session=True)
        q = queue.Queue()
        start_reader(server.stdout, q)
        try:
            first = q.get(timeout=STARTUP_TIMEOUT_S)
        except queue.Empty:
            raise Failure(f"server printed nothing in {STARTUP_TIMEOUT_S:.0f} s")
        prefix = "voicekit-server: listening on "
        if first is None:
            raise Failure(f"server exited before printing {prefix!r}... (status {server.wait()})")
        if not first.startswith(prefix):
            raise Failure(f"server's first line is {first!r}, expected {prefix!r}...")
        base = first[len(prefix):].strip()
        if not base.startswith("http://") or not base.endswith("/"):
            raise Failure(f"unexpected listening URL {base!r}")
        url = base + "?autostart=1"
        say(f"server listening: {base}")

        profile = os.path.join(tmp, "profile")
        os.mkdir(profile)
        chromium_log = os.path.join(tmp, "chromium.log")
        args = [
            CHROMIUM,
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}",
            "--allow-loopback-in-peer-connection",
            "--autoplay-policy=no-user-gesture-required",
            "--disable-features=WebRtcHideLocalIpsWithMdns",
            "--enable-logging=stderr",  # the page's console lands in the log, for diagnosis
            url,
        ]
        with open(chromium_log, "wb") as log:
            chromium = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        say(f"chromium started (pid {chromium.pid}): {url}")

        deadline = now() + TIMEOUT_S
        server_eof = False
        while True:
            try:
                line = q.get(timeout=0.2)
            except queue.Empty:
                line = ""
            if line is None:
                server_eof = True
            elif line:
                st.feed(line)
            hard = st.hard_failure()
            if hard:
                raise Failure(hard)
            if not st.missing():
                st.passed_at = now()
                say("all criteria met")
                break
            if server_eof or server.poll() is not None:
                raise Failure(f"server exited (status {server.wait()})")
            if chromium.poll() is not None:
                raise Failure(f"chromium exited (status {chromium.returncode})")
            if now() > deadline:
                raise Failure(f"timeout ({TIMEOUT_S:.0f} s): " + "; ".join(st.missing()))
        # Drain what is already printed, so a foreign id just behind the pass is caught.
        time.sleep(0.3)
        while True:
            try:
                line = q.get_nowait()
            except queue.Empty:
                break
            if line:
                st.feed(line)
        hard = st.hard_failure()
        if hard:
            raise Failure(hard)
        result = None
    except Failure as e:
        result = str(e)
    finally:
        kill_group(chromium, "chromium")
        kill_group(server, "voicekit-server")

    print()
    print("==== test-browser summary ====")
    print(f"page webrtc_id:     {st.page_id}")
    print(f"events seen:        {json.dumps(st.counts, sort_keys=True)}")
    lat = ", ".join(f"{x:g}" for x in st.latencies) or "none"
    print(f"reply latency_ms:   {lat} (server's reply-start)")
    r = st.best_report
    if r is not None:
        print(f"page measured:      played_ms={r.get('played_ms')} max_rms={r.get('max_rms')}"
              f" audible_bursts={r.get('audible_bursts')} first_audible_ms={r.get('first_audible_ms')}"
              f" ice_state={r.get('ice_state')}")
        print(f"page events_seen:   {json.dumps(r.get('events_seen'), sort_keys=True)}")
    else:
        print("page measured:      no client-report")
    print(f"client reports:     {st.reports}")
    if st.first_reply_start is not None:
        print(f"first reply-start:  {st.first_reply_start:.2f} s after the test start")
    if st.passed_at is not None:
        print(f"criteria met:       {st.passed_at:.2f} s after the test start")
    print(f"total time:         {now():.2f} s")
    if result is None:
        print("PASS")
        shutil.rmtree(tmp, ignore_errors=True)
        return 0
    print(f"FAIL: {result}")
    p = os.path.join(tmp, "server.stderr")
    if os.path.exists(p):
        print("---- last lines of the server's stderr ----")
        print(tail(p, 25).rstrip())
    p = os.path.join(tmp, "chromium.log")
    if os.path.exists(p):
        with open(p, errors="replace") as f:
            lines = f.readlines()
        page = [ln for ln in lines if '"voicekit: ' in ln or ":CONSOLE" in ln and "chrome:" not in ln]
        print("---- the page's console (last 40) ----")
        print("".join(page[-40:]).rstrip() or "(nothing)")
        print("---- last lines of Chromium's log ----")
        print("".join(ln for ln in lines[-15:] if not ln.startswith("ALSA lib")).rstrip())
    shutil.rmtree(tmp, ignore_errors=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())

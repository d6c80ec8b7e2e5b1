# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
"""20 aiortc peers at once against voicekit-server's echo handler.

Each peer sends a different utterance (espeak-ng, its own text, voice, pitch and
speed); checks every peer gets its echo, that each reply correlates best with
its own utterance (not another peer's), and that every event a peer sees
carries its own webrtc_id. Prints a table.

usage: netns-run /usr/bin/python3 test-aiortc-many.py SERVER [--peers 20]
       [--ncc-min 0.5] [SERVER OPTIONS]
Options the test does not know are passed to the server (also --server-args "...").
"""

import asyncio
import os
import shlex
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402
from peer import SR, fail  # noqa: E402

ap = peer.server_test_arguments()
ap.add_argument("--peers", type=int, default=20)
args = peer.parse_server_test_arguments(ap)  # unknown options go to the server

TEXTS = [
    "the quick brown fox jumps over the lazy dog",
    "seven silver swans swim south in summer",
    "please call stella and ask her to bring these things",
    "a bright yellow kite flew above the harbour",
    "turn left at the old mill and follow the river",
    "my phone number ends in four two nine",
    "the weather tomorrow will be cold and windy",
    "we ordered pizza with mushrooms and olives",
    "the train to glasgow leaves at half past ten",
    "nobody expected the concert to sell out so fast",
    "open the window and let the fresh air in",
    "twelve green bottles standing on the wall",
    "how much wood would a woodchuck chuck",
    "the library closes early on sundays",
    "remember to water the tomatoes every evening",
    "an elephant never forgets a friendly face",
    "she sells sea shells by the sea shore",
    "the committee will vote on thursday morning",
    "my favourite colour is a deep ocean blue",
    "jupiter is the largest planet in our solar system",
    "bake the bread for forty minutes at two hundred degrees",
    "the cat slept all afternoon in the sun",
    "i would like a cup of tea with milk please",
    "the museum has a famous collection of clocks",
]
VOICES = ["en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp"]
VARIANTS = ["m1", "m3", "f1", "f2", "m4", "f3", "m2", "f4"]


def make_utterance(i):
    text = TEXTS[i % len(TEXTS)]
    voice = f"{VOICES[i % len(VOICES)]}+{VARIANTS[i % len(VARIANTS)]}"
    pitch = 25 + (i * 37) % 55
    speed = 150 + (i * 23) % 60
    x = peer.espeak(text, voice=voice, pitch=pitch, speed=speed)
    return f"{voice} p{pitch} s{speed}", peer.normalise(peer.trim_speech(x))


async def main():
    t_start = time.monotonic()
    n = args.peers
    utts = [make_utterance(i) for i in range(n)]
    lens = [len(x) / SR for _, x in utts]
    print(f"{n} utterances from espeak-ng, {min(lens):.2f}-{max(lens):.2f} s "
          f"(made in {time.monotonic() - t_start:.1f} s)")
    # distinguishability of the sent audio itself
    cross = []
    for i in range(n):
        for j in range(n):
            if i != j:
                cross.append(peer.ncc(utts[i][1], utts[j][1])[0])
    print(f"sent utterances against each other: max ncc {max(cross):.3f}")

    sargs = shlex.split(args.server_args)
    if peer.server_arg(sargs, "--max-sessions", None) is None:
        sargs += ["--max-sessions", str(max(20, n))]
    min_silence_ms = int(peer.server_arg(sargs, "--min-silence-ms", 500))
    srv = peer.Server(args.server, sargs)
    base_stats = await srv.stats()
    print(f"server: {' '.join(srv.argv)} on port {srv.port}; stats {base_stats}")

    peers = []
    plan = []  # (first, last sample) of the utterance in each peer's signal
    for i, (label, x) in enumerate(utts):
        lead = int((1.0 + 0.1 * i) * SR)  # staggered, overlapping utterances
        tail = int((min_silence_ms / 1000 + 2.0) * SR) + len(x)
        sig = peer.to_int16(np.concatenate([np.zeros(lead), x, np.zeros(tail)]))
        plan.append((lead, lead + len(x) - 1))
        peers.append(peer.VoicePeer(srv.ws_url, f"many-{os.getpid()}-{i:02d}", sig, name=f"peer{i:02d}"))

    lag = peer.LoopLag()
    t0 = time.monotonic()
    await asyncio.gather(*(p.connect(timeout=30) for p in peers))
    print(f"{n} peers connected in {time.monotonic() - t0:.1f} s")
    st = await srv.stats()
    print(f"stats with {n} peers: {st}")
    if st.get("sessions") != n or st.get("calls_alive") != n:
        fail(f"/stats with {n} peers connected: {st}")

    await asyncio.gather(*(p.wait_sent(len(p.signal)) for p in peers))
    await asyncio.gather(*(p.wait_event("reply-end", 1, timeout=10) for p in peers), return_exceptions=True)
    await asyncio.sleep(0.3)
    t_media = time.monotonic() - t0

    problems = []
    rows = []
    lat = []
    owns = []
    for i, p in enumerate(peers):
        wid = p.webrtc_id
        names = [m.get("event") for m in p.event_list()]
        foreign = [m for m in p.event_list() if m.get("webrtc_id") != wid]
        if foreign:
            problems.append(f"{p.name}: events with another id on its socket: {foreign[:2]}")
        srv_foreign = [m for m in srv.events(wid)]  # events filed under wid
        srv_names = [m.get("event") for m in srv_foreign if m.get("type") == "event"]
        for name in ("speech-start", "pause", "reply-start", "reply-end"):
            if names.count(name) != 1:
                problems.append(f"{p.name}: {names.count(name)} {name} events (want 1): {names}")
            if srv_names.count(name) != 1:
                problems.append(f"{p.name}: server stdout has {srv_names.count(name)} {name} events for its id")
        a, b = plan[i]
        x = utts[i][1]
        audio, starts, arrivals = p.recv_timeline()
        thr = 10 ** (-30 / 20) * peer.block_rms(x, SR // 100).max()
        t_end = p.track.sample_time(b)
        s0 = peer.recv_first_sample_after(starts, arrivals, t_end)
        onset = peer.first_active(audio, s0, thr) if s0 is not None else None
        if onset is None:
            problems.append(f"{p.name}: no reply audio")
            rows.append((i, p, None, None, None, None, names))
            continue
        latency = (peer.recv_sample_time(starts, arrivals, onset) - t_end) * 1000
        lat.append(latency)
        win = audio[max(0, onset - int(0.25 * SR)) : onset + len(x) + int(0.25 * SR)]
        corr = np.array([peer.ncc(u[1], win)[0] for u in utts])
        best = int(np.argmax(corr))
        other = float(np.max(np.delete(corr, i)))
        owns.append(corr[i])
        if best != i:
            problems.append(f"{p.name}: reply correlates best with peer{best:02d}'s audio ({corr[best]:.3f}) "
                            f"not its own ({corr[i]:.3f})")
        elif corr[i] < args.ncc_min:
            problems.append(f"{p.name}: reply correlation with its own audio {corr[i]:.3f} < {args.ncc_min}")
        rows.append((i, p, latency, corr[i], other, best, names))

    print()
    print(f"{'peer':<7} {'voice':<26} {'utt s':>5} {'latency ms':>10} {'own ncc':>7} {'best other':>10} "
          f"{'server ms':>9} events")
    for i, p, latency, own, other, best, names in rows:
        slat = [m.get("latency_ms") for m in p.event_list("reply-start")]
        ev = ",".join(sorted(set(names)))
        if latency is None:
            print(f"{p.name:<7} {utts[i][0]:<26} {lens[i]:5.2f} {'-':>10} {'-':>7} {'-':>10} {'-':>9} {ev}")
        else:
            print(f"{p.name:<7} {utts[i][0]:<26} {lens[i]:5.2f} {latency:10.1f} {own:7.3f} {other:10.3f} "
                  f"{str(slat[0]) if slat and slat[0] is not None else '-':>9} {ev}")
    print()
    if lat:
        print(f"latency over {len(lat)} peers: median {peer.median(lat):.1f} ms, max {max(lat):.1f} ms "
              f"(min-silence {min_silence_ms} ms)")
        print(f"own-audio correlation: min {min(owns):.3f}, median {peer.median(owns):.3f}; "
              f"best other-peer correlation: max {max(r[4] for r in rows if r[4] is not None):.3f}")
        if max(lat) >= min_silence_ms + 1000:
            problems.append(f"latency max {max(lat):.0f} ms >= min-silence + 1000 ms")
    print(f"media phase {t_media:.1f} s; this process's event loop lag: {lag.summary()}")
    lag.stop()
    try:
        with open(f"/proc/{srv.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tck = os.sysconf("SC_CLK_TCK")
        srv_cpu = (int(fields[11]) + int(fields[12])) / tck
        me = os.times()
        wall = time.monotonic() - t_start
        print(f"CPU over {wall:.1f} s: server {srv_cpu:.1f} s ({srv_cpu / wall * 100:.0f}% of one core), "
              f"this test process {me.user + me.system:.1f} s ({(me.user + me.system) / wall * 100:.0f}%); "
              f"{os.cpu_count()} cores")
    except (OSError, IndexError, ValueError):
        pass

    await asyncio.gather(*(p.close() for p in peers))
    t_wait = time.monotonic()
    st, gone = await srv.wait_no_sessions(10)
    if not gone:
        problems.append(f"/stats 10 s after all peers left: {st}")
    print(f"stats after all peers left ({time.monotonic() - t_wait:.1f} s): {st}")
    # threads and fds: how many stay once the sessions are gone (reported)
    t_left = time.monotonic()
    th_seen = []
    while time.monotonic() - t_left < 5.0:
        st = await srv.stats()
        th_seen.append((time.monotonic() - t_left, st.get("threads"), st.get("fds"), st.get("connections")))
        if st.get("threads", 1 << 30) <= base_stats["threads"] and st.get("fds", 1 << 30) <= base_stats["fds"]:
            break
        await asyncio.sleep(0.25)
    names = peer.thread_names(srv.proc.pid)
    print("threads/fds/connections after the peers left: " +
          ", ".join(f"{t:.1f} s: {th}/{fd}/{c}" for t, th, fd, c in th_seen[:: max(1, len(th_seen) // 6)] + th_seen[-1:]))
    print(f"server threads by name {time.monotonic() - t_left:.1f} s after the peers left "
          f"(baseline {base_stats['threads']}): {names}")
    if st.get("fds", 0) > base_stats["fds"]:
        problems.append(f"fds {st.get('fds')} > baseline {base_stats['fds']} 5 s after all peers left")
    print(f"run time {time.monotonic() - t_start:.1f} s")
    if problems:
        fail(f"{len(problems)} problem(s):\n  " + "\n  ".join(problems))


peer.run_test("test-aiortc-many", main)

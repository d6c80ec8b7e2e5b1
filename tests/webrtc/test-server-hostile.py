# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
#
# voicekit-server against hostile clients, each attack at full size and
# bounded in time (issue 13). Each part starts a fresh server and checks the
# limit that must stop the attack, then that a real client still gets in:
#
#  fds        ~1,100 idle TCP connects exhaust a server held at 1024 descriptors;
#             once they are closed, a real client is served at once. The server
#             raised its soft descriptor limit to the hard one at start. Then
#             descriptors really run out (the server's soft limit at the lowest
#             one it does not use, every connection busy): each new client is
#             answered 503 at once, the server does not spin, and serves again
#             as soon as descriptors are back.
#  ping       100,000 pings (12.5 MB) on one WebSocket that never reads: /stats
#             and a new client's hello answer within 200 ms throughout; the
#             flooder is closed (control-frame-flood).
#  ping-live  a live session speaks twice; flooders keep coming during its
#             second utterance: its pause event comes at most 200 ms later
#             (from the end of speech) than the first one's.
#  deflate    permessage-deflate bombs (one message in forty 61 KB fragments, each
#             inflating to 60 MB, no hello): RSS stays under 200 MB. The same
#             forty fragments uncompressed: cut off past 64 KiB
#             (message-too-large).
#  bodies     four POST / of 256 MB, a POST /ws, a chunked POST, PUT /stats,
#             DELETE /, a GET with a 256 MB body, a chunked GET /stats: each
#             refused when its headers arrive (405 with Allow, 413), RSS under
#             200 MB; GET and HEAD still served.
#  holding    100 WebSockets that never say hello from 127.0.0.2, sessions that
#             say hello and never offer from 127.0.0.3: a real client from
#             127.0.0.1 gets in; the hello'd sessions end at the offer deadline.
#  host       DNS rebinding: Host attacker.example with a matching Origin is
#             refused before any session (421, forbidden-host), also for the page
#             and /stats; --allowed-host admits a named host.
#  reports    a client's report flood: what reaches stdout is bounded and the
#             main loop keeps answering; a client's few small reports are logged.
#  teardown   60 sessions, 4 of them aiortc peers with audio flowing, end at
#             their time limit: /stats answers within 500 ms meanwhile, and no
#             session's teardown holds the server's main loop more than 5 ms.
#
# usage: netns-run /usr/bin/python3 test-server-hostile.py SERVER [PART...]
#        [--rss-max-mib N]   (default 200; under a sanitizer the RSS is mostly
#                             the sanitizer's own)

import asyncio
import base64
import json
import os
import random
import resource
import socket
import struct
import sys
import time
import urllib.error
import urllib.request
import zlib

import numpy as np
import websockets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402
from peer import fail  # noqa: E402

SERVER = sys.argv[1]
_args = sys.argv[2:]
RSS_LIMIT_KIB = 200 * 1024
if "--rss-max-mib" in _args:
    _at = _args.index("--rss-max-mib")
    RSS_LIMIT_KIB = int(_args[_at + 1]) * 1024
    del _args[_at:_at + 2]
PARTS = _args or ["fds", "ping", "ping-live", "deflate", "bodies", "holding", "host", "reports", "teardown"]
RESPONSIVE_S = 0.200


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def nofile_limits(pid):
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                fields = line.split()
                return int(fields[3]), int(fields[4])
    fail(f"no descriptor limit in /proc/{pid}/limits")


def cpu_seconds(pid):
    """CPU time (user + system) a process has used, all its threads."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_stderr(srv):
    srv.log.flush()
    with open(srv.log.name, errors="replace") as f:
        return f.read()


def refusals(srv, code):
    """The server's "refused" log lines with this code."""
    return srv.events(pred=lambda o: o.get("type") == "refused" and o.get("code") == code)


def http_status(srv, path, timeout=3.0):
    """Status of GET path (an HTTP error's status too); None when no answer."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(srv.base_url + path, timeout=timeout) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def timed_stats(srv, timeout=5.0):
    """Seconds /stats takes to answer (a stalled main loop shows here)."""
    t0 = time.monotonic()
    srv.stats_sync(timeout)
    return time.monotonic() - t0


def raw_connect(srv, source="127.0.0.1", timeout=5.0):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    sock.settimeout(timeout)
    sock.connect((srv.host, srv.port))
    return sock


def upgrade_request(srv, host=None, origin=None, extensions=None):
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET /ws HTTP/1.1", f"Host: {host or f'{srv.host}:{srv.port}'}",
             "Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
             "Sec-WebSocket-Version: 13"]
    if origin:
        lines.append(f"Origin: {origin}")
    if extensions:
        lines.append(f"Sec-WebSocket-Extensions: {extensions}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_headers(sock, limit=65536):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
        if len(data) > limit:
            break
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest


def ws_upgrade(srv, source="127.0.0.1", **kw):
    sock = raw_connect(srv, source)
    sock.sendall(upgrade_request(srv, **kw))
    head, rest = read_headers(sock)
    return sock, head, rest


def frame(opcode, payload, fin=True, rsv1=False):
    """A masked client frame."""
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", first, 0x80 | n)
    elif n < 65536:
        header = struct.pack("!BBH", first, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", first, 0x80 | 127, n)
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) if n < 4096 else \
        (int.from_bytes(payload, "big") ^ int.from_bytes((mask * (n // 4 + 1))[:n], "big")).to_bytes(n, "big")
    return header + mask + masked


async def hello_round_trip(srv, webrtc_id, source=None, timeout=5.0):
    """Seconds from connect to welcome for a real client; fails on a refusal."""
    t0 = time.monotonic()
    kw = {"open_timeout": timeout, "compression": None}
    if source:
        kw["sock"] = raw_connect(srv, source)
    async with websockets.connect(srv.ws_url, **kw) as ws:
        await ws.send(json.dumps({"type": "hello", "webrtc_id": webrtc_id}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if reply.get("type") != "welcome":
            fail(f"a real client ({webrtc_id}) was refused: {reply}")
        elapsed = time.monotonic() - t0
        await ws.send(json.dumps({"type": "bye"}))
    return elapsed


def start(args=()):
    return peer.Server(SERVER, list(args))


# --- fds ------------------------------------------------------------------------
async def part_fds():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # The server must raise its own soft limit: start it under 1024 (hard kept).
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
    try:
        srv = start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    srv_soft, srv_hard = nofile_limits(srv.proc.pid)
    print(f"  fds: the server started under soft 1024 runs with {srv_soft}/{srv_hard}")
    if srv_soft != srv_hard:
        fail(f"fds: the server did not raise its descriptor soft limit to the hard one "
             f"({srv_soft} of {srv_hard})")
    # Now hold it at 1024 for good, as on a host whose hard limit is 1024.
    resource.prlimit(srv.proc.pid, resource.RLIMIT_NOFILE, (1024, 1024))
    attackers = []
    for _ in range(1100):
        try:
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex((srv.host, srv.port))
            attackers.append(sock)
        except OSError:
            break
    await asyncio.sleep(2.0)
    during = srv.stats_sync(10) if srv.alive() else None
    print(f"  fds: {len(attackers)} idle connects; /stats meanwhile: {during}")
    for sock in attackers:
        sock.close()
    t0 = time.monotonic()
    deadline = t0 + 5.0
    while True:
        try:
            await hello_round_trip(srv, f"fds-real-{os.getpid()}", timeout=2.0)
            break
        except Exception as e:  # noqa: BLE001
            if time.monotonic() > deadline:
                fail(f"fds: no real client served within 5 s of the attackers leaving: {e}")
            await asyncio.sleep(0.2)
    print(f"  fds: a real client was welcomed {time.monotonic() - t0:.2f} s after the attackers left")
    if srv.stats_sync()["fds"] > 64:
        fail(f"fds: descriptors not released: {srv.stats_sync()}")
    await fds_exhausted()


async def fds_exhausted():
    """Descriptors really run out: nothing idle for the server to close."""
    srv = start()
    pid = srv.proc.pid
    busy = [ws_upgrade(srv)[0] for _ in range(4)]  # upgraded, not idle
    used = {int(fd) for fd in os.listdir(f"/proc/{pid}/fd")}
    lowest_free = next(n for n in range(len(used) + 1) if n not in used)
    soft, hard = nofile_limits(pid)
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (lowest_free, hard))
    try:
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        statuses = []
        while time.monotonic() - t0 < 2.0:  # a steady stream of clients meanwhile
            statuses.append(http_status(srv, "/stats"))
            await asyncio.sleep(0.02)
        cpu = (cpu_seconds(pid) - cpu0) / (time.monotonic() - t0)
    finally:
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
    answered = sum(1 for st in statuses if st == 503)
    print(f"  fds: soft limit {lowest_free} (every descriptor below in use): {answered} of "
          f"{len(statuses)} clients answered 503 at once ({set(statuses)}); server CPU "
          f"{cpu * 100:.0f} % of a core meanwhile")
    if answered != len(statuses):
        fail(f"fds: clients not answered 503 while descriptors were exhausted: {statuses}")
    if cpu > 0.5:
        fail(f"fds: the server spun while descriptors were exhausted ({cpu * 100:.0f} % of a core)")
    if "descriptors exhausted" not in server_stderr(srv):
        fail("fds: the server did not log the exhaustion")
    took = await hello_round_trip(srv, "fds-after-exhaustion")
    st = srv.stats_sync()
    print(f"  fds: descriptors back: a real client welcomed in {took * 1000:.0f} ms; "
          f"refused_connections {st['refused_connections']}")
    if st["refused_connections"] < len(statuses):
        fail(f"fds: /stats does not count the refused connections: {st}")
    for sock in busy:
        sock.close()


# --- ping -----------------------------------------------------------------------
async def part_ping():
    srv = start()
    sock, head, _ = ws_upgrade(srv)
    if " 101 " not in head.split("\r\n")[0]:
        fail(f"ping: no upgrade: {head.splitlines()[0]}")
    ping = frame(0x9, b"p" * 119)  # 125 bytes on the wire
    batch = ping * 1000
    sock.setblocking(False)
    sent = 0
    worst = 0.0
    worst_hello = 0.0
    closed = False
    t0 = time.monotonic()
    next_probe = t0
    view = memoryview(b"")
    while sent < 100_000 and time.monotonic() - t0 < 30:
        if not view:
            view = memoryview(batch)
        try:
            n = sock.send(view)
            view = view[n:]
            if not view:
                sent += 1000
        except BlockingIOError:
            await asyncio.sleep(0.005)
        except OSError:
            closed = True
            break
        if time.monotonic() >= next_probe:
            worst = max(worst, await asyncio.get_running_loop().run_in_executor(None, timed_stats, srv))
            worst_hello = max(worst_hello, await hello_round_trip(srv, f"ping-real-{random.random()}"))
            next_probe = time.monotonic() + 0.25
        await asyncio.sleep(0)
    print(f"  ping: {sent} pings sent in {time.monotonic() - t0:.1f} s "
          f"({'the server closed the flooder' if closed else 'the flooder still open'}); "
          f"/stats took at most {worst * 1000:.0f} ms, a hello at most {worst_hello * 1000:.0f} ms")
    for _ in range(20):
        worst = max(worst, timed_stats(srv))
        await asyncio.sleep(0.05)
    if worst > RESPONSIVE_S or worst_hello > RESPONSIVE_S:
        fail(f"ping: the main loop stalled during the flood (/stats {worst * 1000:.0f} ms, "
             f"hello {worst_hello * 1000:.0f} ms; at most {RESPONSIVE_S * 1000:.0f} ms)")
    if not closed:
        # The server must have given up on a client that floods and never reads.
        try:
            sock.setblocking(True)
            sock.settimeout(3)
            sock.sendall(batch)
            fail("ping: the flooding connection is still served")
        except OSError:
            pass
    sock.close()
    if rss_kib(srv.proc.pid) > RSS_LIMIT_KIB:
        fail(f"ping: RSS {rss_kib(srv.proc.pid)} KiB")
    await srv.wait_event(lambda o: o.get("type") == "refused" and
                         o.get("code") == "control-frame-flood", 5, "the flooder's refusal")
    print(f"  ping: the server says: {refusals(srv, 'control-frame-flood')[0]}")


# --- ping-live -------------------------------------------------------------------
async def part_ping_live():
    """A live session speaks twice; during its second utterance flooders keep
    coming (each cut off, the next one right behind it). Its pause event must
    come at most RESPONSIVE_S later, counted from the end of its speech, than
    the first utterance's, which had no flood."""
    import numpy as np
    srv = start()
    speech = peer.goforward_at_speeds(speeds=(1.0,))[0][1]
    gap = np.zeros(int(2.5 * peer.SR))
    signal = np.concatenate([gap[: peer.SR // 2], speech, gap, speech, gap]).astype(np.int16)
    ends = [peer.SR // 2 + len(speech), peer.SR // 2 + 2 * len(speech) + len(gap)]
    p = peer.VoicePeer(srv.ws_url, "ping-live", signal)
    await p.connect(timeout=20)
    await p.wait_event("pause", 1, timeout=15)
    flooders = 0
    ping_batch = frame(0x9, b"p" * 119) * 1000
    second_start = ends[1] - len(speech)
    await p.wait_sent(second_start, slack=10)
    # Four flooders at a time, each kept sending pings until the server cuts it
    # off, then replaced: the attack lasts the whole utterance.
    open_flooders = []
    while len(p.event_list("pause")) < 2 and p.track.samples_sent() < len(signal):
        while len(open_flooders) < 4:
            try:
                sock, head, _ = ws_upgrade(srv)
                sock.setblocking(False)
                open_flooders.append(sock)
                flooders += 1
            except OSError:
                break
        for sock in list(open_flooders):
            try:
                sock.send(ping_batch)
            except BlockingIOError:
                pass
            except OSError:  # cut off: the next one takes its place
                sock.close()
                open_flooders.remove(sock)
        await asyncio.sleep(0.005)
    for sock in open_flooders:
        sock.close()
    await p.wait_event("pause", 2, timeout=10)
    pauses = [t for t, m in p.events if m.get("event") == "pause"]
    delays = [pauses[k] - p.track.sample_time(ends[k]) for k in range(2)]
    print(f"  ping-live: pause {delays[0] * 1000:.0f} ms after the end of speech without a flood, "
          f"{delays[1] * 1000:.0f} ms during {flooders} flooders")
    await p.close()
    if delays[1] > delays[0] + RESPONSIVE_S:
        fail(f"ping-live: the live session's pause came {(delays[1] - delays[0]) * 1000:.0f} ms "
             f"later during the flood (at most {RESPONSIVE_S * 1000:.0f} ms)")
    if flooders < 5:
        fail(f"ping-live: only {flooders} flooders ran during the second utterance")


# --- deflate --------------------------------------------------------------------
async def part_deflate():
    srv = start()
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    # Ends on a sync flush (byte-aligned, no final block) and refers to nothing
    # before it, so copies of it continue one deflate stream.
    piece = bomb.compress(b"\0" * (60 * 1024 * 1024)) + bomb.flush(zlib.Z_SYNC_FLUSH)
    print(f"  deflate: each fragment is {len(piece)} bytes that inflate to 60 MB")
    peak = 0
    negotiated = 0
    for attempt in range(2):
        try:
            sock, head, _ = ws_upgrade(srv, extensions="permessage-deflate; client_max_window_bits")
        except OSError:
            continue
        if "permessage-deflate" in head.lower():
            negotiated += 1
        # One text message in forty fragments, no hello: 2.4 MB up, 2.4 GB inflated.
        for i in range(40):
            last = i == 39
            data = piece[:-4] if last else piece
            try:
                sock.sendall(frame(0x1 if i == 0 else 0x0, data, fin=last, rsv1=(i == 0)))
            except OSError:
                break
            peak = max(peak, rss_kib(srv.proc.pid))
        await asyncio.sleep(0.5)
        peak = max(peak, rss_kib(srv.proc.pid))
        sock.close()
    await asyncio.sleep(1.0)
    peak = max(peak, rss_kib(srv.proc.pid))
    print(f"  deflate: extension accepted {negotiated}/2 times; peak RSS {peak} KiB")
    if negotiated:
        fail("deflate: the server accepted permessage-deflate")
    if peak > RSS_LIMIT_KIB:
        fail(f"deflate: RSS reached {peak} KiB (limit {RSS_LIMIT_KIB})")
    # The same message uncompressed: forty fragments of 61 KB, 2.4 MB in all.
    sock, head, _ = ws_upgrade(srv)
    sent = 0
    for i in range(40):
        try:
            sock.sendall(frame(0x1 if i == 0 else 0x0, piece, fin=i == 39))
            sent += 1
        except OSError:
            break
    sock.close()
    await srv.wait_event(lambda o: o.get("type") == "refused" and
                         o.get("code") == "message-too-large", 5, "the fragments' refusal")
    print(f"  deflate: a message in uncompressed fragments was cut off after {sent} of 40 "
          f"fragments were sent (message-too-large)")
    await hello_round_trip(srv, "deflate-real")


# --- bodies ---------------------------------------------------------------------
def send_body(srv, request_head, total, chunked=False):
    """Sends headers then up to `total` body bytes; returns (status line, bytes sent)."""
    sock = raw_connect(srv)
    sock.sendall(request_head)
    sock.setblocking(False)
    chunk = b"x" * 65536
    if chunked:
        chunk = b"10000\r\n" + chunk + b"\r\n"
    sent = 0
    answer = b""
    stalled_since = None
    t0 = time.monotonic()
    while sent < total and time.monotonic() - t0 < 20:
        try:
            answer += sock.recv(4096)
            if answer:
                break
        except BlockingIOError:
            pass
        except OSError:
            break
        try:
            sent += sock.send(chunk)
            stalled_since = None
        except BlockingIOError:
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > 3:
                break
            time.sleep(0.002)
        except OSError:
            break
    sock.setblocking(True)
    sock.settimeout(3)
    try:
        while b"\r\n" not in answer:
            more = sock.recv(4096)
            if not more:
                break
            answer += more
    except OSError:
        pass
    sock.close()
    return answer.split(b"\r\n")[0].decode("latin-1"), sent


async def part_bodies():
    srv = start()
    big = 256 * 1024 * 1024
    hostport = f"{srv.host}:{srv.port}"
    cases = [(f"POST / HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: {big}\r\n\r\n", big, False)] * 4
    cases += [
        (f"POST /ws HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: {big}\r\n\r\n", big, False),
        (f"POST /stats HTTP/1.1\r\nHost: {hostport}\r\nTransfer-Encoding: chunked\r\n\r\n", big, True),
        (f"PUT /stats HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: 10\r\n\r\n", 10, False),
        (f"DELETE / HTTP/1.1\r\nHost: {hostport}\r\n\r\n", 0, False),
        (f"GET / HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: {big}\r\n\r\n", big, False),
        (f"GET /stats HTTP/1.1\r\nHost: {hostport}\r\nTransfer-Encoding: chunked\r\n\r\n", big, True),
    ]
    loop = asyncio.get_running_loop()
    results = await asyncio.gather(*[
        loop.run_in_executor(None, send_body, srv, head.encode(), total, chunked)
        for head, total, chunked in cases])
    peak = rss_kib(srv.proc.pid)
    for (head, _, _), (status, sent) in zip(cases, results):
        print(f"  bodies: {head.splitlines()[0]:<24} -> {status!r} after {sent / 1e6:.1f} MB")
        code = status.split(" ")[1] if status.count(" ") >= 1 else ""
        if code not in ("405", "413", "411", "400"):
            fail(f"bodies: {head.splitlines()[0]} got {status!r}, not a refusal")
    print(f"  bodies: RSS {peak} KiB")
    if peak > RSS_LIMIT_KIB:
        fail(f"bodies: RSS reached {peak} KiB (limit {RSS_LIMIT_KIB})")
    # A 405 says what is allowed.
    sock = raw_connect(srv)
    sock.sendall(f"OPTIONS /stats HTTP/1.1\r\nHost: {hostport}\r\n\r\n".encode())
    head, _ = read_headers(sock)
    sock.close()
    allow = [line for line in head.split("\r\n") if line.lower().startswith("allow:")]
    print(f"  bodies: OPTIONS /stats -> {head.splitlines()[0]!r}, {allow}")
    if " 405 " not in head.split("\r\n")[0] or allow != ["Allow: GET, HEAD"]:
        fail(f"bodies: OPTIONS /stats: {head!r}")
    # The documented methods still work.
    status, _ = srv.http_get("/stats")
    if status != 200:
        fail(f"bodies: GET /stats gives {status}")
    sock = raw_connect(srv)
    sock.sendall(f"HEAD / HTTP/1.1\r\nHost: {hostport}\r\n\r\n".encode())
    head, _ = read_headers(sock)
    sock.close()
    if " 200 " not in head.split("\r\n")[0]:
        fail(f"bodies: HEAD / gives {head.splitlines()[0]!r}")


# --- holding --------------------------------------------------------------------
async def part_holding():
    srv = start(["--max-sessions", "8", "--offer-timeout", "3"])
    idle = []
    refused = 0
    upgraded = 0
    for _ in range(100):
        try:
            sock, head, _ = ws_upgrade(srv, source="127.0.0.2")
            idle.append(sock)
            upgraded += " 101 " in head.split("\r\n")[0]
        except OSError:
            refused += 1
    print(f"  holding: 127.0.0.2 holds {upgraded} idle WebSockets; {100 - upgraded - refused} were "
          f"answered 503 (/stats: {srv.stats_sync()})")
    if upgraded >= 8 * 4 + 16:
        fail(f"holding: one address holds {upgraded} connections, every one there is")
    hello_socks = []
    for i in range(8):
        try:
            ws = await websockets.connect(srv.ws_url, sock=raw_connect(srv, "127.0.0.3"),
                                          compression=None, open_timeout=3)
            await ws.send(json.dumps({"type": "hello", "webrtc_id": f"holder-{i}"}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), 3))
            hello_socks.append((ws, reply.get("type") == "welcome"))
        except Exception:  # noqa: BLE001
            refused += 1
    welcomed = sum(1 for _, ok in hello_socks if ok)
    if welcomed >= 8:
        fail("holding: one address holds every session")
    if not refusals(srv, "too-many-sessions-from-address"):
        fail("holding: no hello was refused with too-many-sessions-from-address")
    print(f"  holding: 100 idle sockets and 8 silent hellos tried from two addresses: "
          f"{welcomed} hellos welcomed, {refused} connects failed")
    took = await hello_round_trip(srv, "holding-real", source="127.0.0.1")
    print(f"  holding: a real client from 127.0.0.1 was welcomed in {took * 1000:.0f} ms")
    # Hello'd sessions with no offer end at the offer deadline.
    t0 = time.monotonic()
    while srv.stats_sync()["sessions"] > 0 and time.monotonic() - t0 < 8:
        await asyncio.sleep(0.2)
    left = srv.stats_sync()["sessions"]
    print(f"  holding: sessions without an offer after {time.monotonic() - t0:.1f} s: {left}")
    if left:
        fail(f"holding: {left} hello'd sessions outlived the offer deadline")
    reasons = {o.get("reason") for o in srv.events(pred=lambda o: o.get("type") == "session" and
                                                   o.get("state") == "closed" and
                                                   o.get("webrtc_id", "").startswith("holder-"))}
    if reasons != {"connect-timeout"}:  # at the offer deadline, well before the 15 s to audio
        fail(f"holding: the silent sessions closed with {reasons}, not connect-timeout")
    for sock in idle:
        sock.close()
    for ws, _ in hello_socks:
        await ws.close()


# --- host -----------------------------------------------------------------------
async def part_host():
    srv = start(["--allowed-host", "voice.example"])
    evil = f"attacker.example:{srv.port}"
    sock, head, rest = ws_upgrade(srv, host=evil, origin=f"http://{evil}")
    status = head.split("\r\n")[0]
    if " 101 " in status:
        sock.sendall(frame(0x1, json.dumps({"type": "hello", "webrtc_id": "rebind"}).encode()))
        sock.settimeout(3)
        data = rest
        try:
            while len(data) < 2 or len(data) < 2 + (data[1] & 0x7F):
                more = sock.recv(4096)
                if not more:
                    break
                data += more
        except OSError:
            pass
        text = data[2:2 + (data[1] & 0x7F)].decode("utf-8", "replace") if len(data) >= 2 else ""
        if "welcome" in text:
            fail(f"host: a rebinding page (Host {evil}) got a session: {text}")
        print(f"  host: Host {evil} upgraded and was then refused: {text[:120]}")
    else:
        print(f"  host: Host {evil} refused at the upgrade: {status}")
    sock.close()
    # The page itself under a foreign Host.
    page = raw_connect(srv)
    page.sendall(f"GET / HTTP/1.1\r\nHost: {evil}\r\n\r\n".encode())
    head, _ = read_headers(page)
    page.close()
    if " 200 " in head.split("\r\n")[0]:
        fail(f"host: GET / with Host {evil} was served")
    # /stats under a foreign Host: 421 and the signalling code.
    page = raw_connect(srv)
    page.sendall(f"GET /stats HTTP/1.1\r\nHost: {evil}\r\n\r\n".encode())
    head, body = read_headers(page)
    page.settimeout(3)
    try:
        while True:
            more = page.recv(4096)
            if not more:
                break
            body += more
    except OSError:
        pass
    page.close()
    print(f"  host: GET /stats with Host {evil}: {head.splitlines()[0]!r} {body[:160]!r}")
    if " 421 " not in head.split("\r\n")[0] or json.loads(body).get("code") != "forbidden-host":
        fail(f"host: GET /stats with Host {evil}: {head!r} {body!r}")
    # The loopback names of a server on loopback are its own.
    sock, head, _ = ws_upgrade(srv, host=f"localhost:{srv.port}",
                               origin=f"http://localhost:{srv.port}")
    sock.close()
    if " 101 " not in head.split("\r\n")[0]:
        fail(f"host: Host localhost was refused: {head.splitlines()[0]}")
    # A host on the allow-list, with its own origin, is served.
    sock, head, _ = ws_upgrade(srv, host=f"voice.example:{srv.port}",
                               origin=f"https://voice.example:{srv.port}")
    if " 101 " not in head.split("\r\n")[0]:
        fail(f"host: the allowed host was refused: {head.splitlines()[0]}")
    sock.close()
    await hello_round_trip(srv, "host-real")


# --- reports --------------------------------------------------------------------
async def part_reports():
    srv = start()
    before = sum(len(json.dumps(o)) for _, o in srv.lines)
    # A client's few small reports, as the page sends them, are logged.
    async with websockets.connect(srv.ws_url, compression=None) as ws:
        await ws.send(json.dumps({"type": "hello", "webrtc_id": "reporter-calm"}))
        await ws.recv()
        for i in range(5):
            await ws.send(json.dumps({"type": "report", "n": i, "played_ms": 100 * i}))
            await asyncio.sleep(0.25)
    await srv.wait_event(lambda o: o.get("type") == "client-report" and o.get("n") == 4, 5,
                         "the calm client's last report")
    calm = srv.events("reporter-calm", lambda o: o.get("type") == "client-report")
    if len(calm) != 5:
        fail(f"reports: {len(calm)} of a calm client's 5 reports were logged")
    before = sum(len(json.dumps(o)) for _, o in srv.lines)
    async with websockets.connect(srv.ws_url, compression=None) as ws:
        await ws.send(json.dumps({"type": "hello", "webrtc_id": "reporter"}))
        await ws.recv()
        blob = "r" * 60000
        t0 = time.monotonic()
        worst = 0.0
        for i in range(2000):
            await ws.send(json.dumps({"type": "report", "n": i, "blob": blob}))
            if i % 200 == 0:
                worst = max(worst, await asyncio.get_running_loop().run_in_executor(
                    None, timed_stats, srv))
        sent_s = time.monotonic() - t0
    await asyncio.sleep(1.0)
    with srv.cond:
        reports = [o for _, o in srv.lines
                   if o.get("type") == "client-report" and o.get("webrtc_id") == "reporter"]
        volume = sum(len(json.dumps(o)) for _, o in srv.lines) - before
    print(f"  reports: 2000 reports of 60 KB sent in {sent_s:.1f} s; {len(reports)} reached stdout "
          f"({volume / 1e6:.2f} MB); /stats took at most {worst * 1000:.0f} ms")
    if volume > 2 * 1024 * 1024:
        fail(f"reports: {volume} bytes of client reports reached stdout")
    if worst > RESPONSIVE_S:
        fail(f"reports: /stats took {worst * 1000:.0f} ms during the flood")


# --- teardown -------------------------------------------------------------------
TEARDOWN_MEDIA_PEERS = 4  # aiortc peers with audio flowing (ICE, DTLS, Opus both ways)
TEARDOWN_SESSIONS = 60  # in all: the media peers plus hello'd sessions
TEARDOWN_TIME_LIMIT_S = 8


def probe_stats_until(srv, done, limit_s):
    """/stats round trips, one every 20 ms, until done(stats) or limit_s."""
    times = []
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        t0 = time.monotonic()
        st = srv.stats_sync()
        times.append(time.monotonic() - t0)
        if done(st):
            break
        time.sleep(0.02)
    return times


async def hello_session(srv, source, webrtc_id):
    ws = await websockets.connect(srv.ws_url, sock=raw_connect(srv, source), compression=None)
    await ws.send(json.dumps({"type": "hello", "webrtc_id": webrtc_id}))
    reply = json.loads(await ws.recv())
    if reply.get("type") != "welcome":
        fail(f"teardown: {webrtc_id} refused: {reply}")
    return ws


async def part_teardown():
    # Every session ends at its time limit: the ones that said hello in the
    # same second end in the same main-loop iteration (GLib runs seconds
    # timeouts together), as when many sessions end at once under overload.
    srv = start(["--max-sessions", "80", "--time-limit", str(TEARDOWN_TIME_LIMIT_S)])
    speech = peer.normalise(peer.trim_speech(peer.load_goforward_48k()))
    signal = peer.to_int16(np.concatenate([np.zeros(peer.SR // 2), speech, np.zeros(peer.SR * 60)]))
    media = [peer.VoicePeer(srv.ws_url, f"teardown-media-{i}", signal, name=f"media{i}")
             for i in range(TEARDOWN_MEDIA_PEERS)]
    t0 = time.monotonic()
    # Spread over addresses (4 each): per-address limits allow it.
    results = await asyncio.gather(
        *(p.connect(timeout=TEARDOWN_TIME_LIMIT_S - 2) for p in media),
        *(hello_session(srv, f"127.0.1.{i // 4 + 1}", f"teardown-{i}")
          for i in range(TEARDOWN_SESSIONS - len(media))))
    sockets = results[len(media):]
    # Every media session is live: its audio went through pausedetect.
    await asyncio.gather(*(p.wait_event("speech-start", 1, timeout=TEARDOWN_TIME_LIMIT_S - 1)
                           for p in media))
    before = srv.stats_sync()
    print(f"  teardown: {time.monotonic() - t0:.1f} s after the first hello: {before}")
    if before["sessions"] != TEARDOWN_SESSIONS or before["calls_alive"] != TEARDOWN_SESSIONS:
        fail(f"teardown: {TEARDOWN_SESSIONS} sessions expected: {before}")
    times = await asyncio.get_running_loop().run_in_executor(
        None, probe_stats_until, srv, lambda st: st["calls_alive"] == 0, TEARDOWN_TIME_LIMIT_S + 5)
    gone = time.monotonic() - t0
    await asyncio.gather(*[ws.close() for ws in sockets], *[p.close() for p in media])
    byes = sum(1 for p in media if p.bye and p.bye.get("reason") == "time-limit")
    print(f"  teardown: {len(media)} media sessions ({byes} got bye time-limit) and {len(sockets)} "
          f"hello'd ones ended at their time limit: /stats took at most {max(times) * 1000:.0f} ms "
          f"meanwhile (median {sorted(times)[len(times) // 2] * 1000:.0f} ms, {len(times)} probes); "
          f"every pipeline gone {gone:.1f} s after the first hello")
    if byes != len(media):
        fail(f"teardown: the media sessions did not end at the time limit: {[p.bye for p in media]}")
    if max(times) > 0.5:
        fail(f"teardown: /stats took {max(times) * 1000:.0f} ms while sessions ended")
    after = srv.stats_sync()
    if after["calls_alive"]:
        fail(f"teardown: pipelines left: {after}")
    held_ms = after["teardown_us_max"] / 1000
    print(f"  teardown: the longest any session's teardown held the main loop: {held_ms:.2f} ms")
    if held_ms > 5:
        fail(f"teardown: a session's teardown held the main loop {held_ms:.1f} ms")


async def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    for part in PARTS:
        print(f"== {part}", flush=True)
        t0 = time.monotonic()
        await globals()[f"part_{part.replace('-', '_')}"]()
        print(f"  {part}: {time.monotonic() - t0:.1f} s", flush=True)
        for srv in list(peer.Server.instances):
            problem = srv.shutdown_problem()
            if problem:
                fail(f"{part}: {problem}")
            peer.Server.instances.remove(srv)


if __name__ == "__main__":
    peer.run_test("webrtc-server-hostile", main, watchdog_s=400)

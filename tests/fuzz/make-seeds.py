#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
"""Writes the synthetic seeds of the fuzz targets, into tests/fuzz/<target>-seeds/
(the inputs merged in after fuzzing, named by their hash, are left alone):

- silero-model: small ONNX-shaped protobufs (a model, a graph, If nodes with
  then/else subgraphs, Constant nodes with tensors named like Silero's weights
  but with tiny or wrong shapes, raw and float data, odd wire types). No real
  weights.
- vad: headers in fuzz-vad.cpp's layout (formats, engines, turn settings,
  chunking, gaps, flushes, format changes; the resampler alone) followed by
  synthetic audio: noise, a harmonic tone that the engines take for speech,
  NaN and Inf in float samples.
- session: webrtc-ids (valid and not), fields strings in gst-launch's and
  Python's forms, structures named like our events with right and wrong
  field types.
- signalling: client messages of every kind, malformed ones, escaped NULs,
  SDP offers, reports.

Run from anywhere: tests/fuzz/make-seeds.py [TARGET...] (default: all)."""
import math
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def key(field, wire):
    return varint(field << 3 | wire)


def ld(field, payload):
    return key(field, 2) + varint(len(payload)) + payload


def vi(field, n):
    return key(field, 0) + varint(n)


def tensor(name, dims, floats=None, raw=True, dtype=1):
    t = b"".join(vi(1, d) for d in dims) + vi(2, dtype) + ld(8, name.encode())
    values = floats if floats is not None else [0.5] * max(1, min(64, _prod(dims)))
    if raw:
        t += ld(9, struct.pack("<%df" % len(values), *values))
    else:
        t += ld(4, struct.pack("<%df" % len(values), *values))  # packed float_data
    return t


def _prod(dims):
    p = 1
    for d in dims:
        p *= d
    return p


def attr_tensor(name, t):
    return ld(1, name.encode()) + ld(5, t) + vi(20, 4)


def attr_graph(name, g):
    return ld(1, name.encode()) + ld(6, g) + vi(20, 5)


def node(op, inputs=(), outputs=(), attrs=()):
    n = b"".join(ld(1, i.encode()) for i in inputs)
    n += b"".join(ld(2, o.encode()) for o in outputs)
    n += ld(4, op.encode())
    n += b"".join(ld(5, a) for a in attrs)
    return n


def constant(name, dims, **kw):
    return ld(1, node("Constant", outputs=[name], attrs=[attr_tensor("value", tensor(name, dims, **kw))]))


def graph(nodes=b"", inits=()):
    return nodes + b"".join(ld(5, t) for t in inits) + ld(2, b"g")


def model(g):
    return vi(1, 8) + ld(2, b"seed") + ld(7, g) + ld(8, vi(2, 16))


WEIGHTS16 = [
    ("stft.forward_basis_buffer", [258, 1, 256]),
    ("encoder.0.reparam_conv.weight", [128, 129, 3]),
    ("encoder.0.reparam_conv.bias", [128]),
    ("decoder.rnn.weight_ih", [512, 128]),
    ("decoder.decoder.2.weight", [1, 128, 1]),
    ("decoder.decoder.2.bias", [1]),
]


def branch(weights, shrink=True, raw=True):
    nodes = b""
    for name, dims in weights:
        d = [min(x, 2) for x in dims] if shrink else dims
        nodes += constant(name, d, raw=raw)
    return graph(nodes)


def if_model(then_g, else_g):
    n = node("If", inputs=["c"], outputs=["o", "s"],
             attrs=[attr_graph("then_branch", then_g), attr_graph("else_branch", else_g)])
    return model(graph(ld(1, n)))


def silero_model_seeds():
    return {
        "empty-model": model(b""),
        "graph-no-nodes": model(graph()),
        "if-small-weights": if_model(branch(WEIGHTS16), branch(WEIGHTS16)),
        "if-float-data": if_model(branch(WEIGHTS16, raw=False), branch(WEIGHTS16[:2])),
        "initializers": model(graph(inits=[tensor(n, [min(x, 2) for x in d]) for n, d in WEIGHTS16])),
        "wrong-dtype": model(graph(ld(1, node("Constant", outputs=["w"], attrs=[attr_tensor(
            "value", tensor("decoder.decoder.2.bias", [1], dtype=7))])))),
        "nested-if": if_model(if_model(branch(WEIGHTS16[:1]), graph()), graph()),
        "huge-length": vi(1, 8) + key(7, 2) + varint(1 << 40) + b"\x00" * 8,
        "bad-wire-type": vi(1, 8) + key(7, 3) + b"\x00" * 4,
        "truncated-varint": vi(1, 8) + b"\xff\xff\xff",
        "dims-overflow": model(graph(ld(1, node("Constant", outputs=["w"], attrs=[attr_tensor(
            "value", b"".join(vi(1, 1 << 31) for _ in range(4)) + vi(2, 1) + ld(8, b"decoder.rnn.weight_ih"))])))),
    }


# ---- vad --------------------------------------------------------------------
# Indices into fuzz-vad.cpp's kRates.
RATE = {8000: 0, 11025: 1, 12000: 2, 16000: 3, 22050: 4, 24000: 5, 32000: 6, 44100: 7,
        48000: 8, 7999: 9, 48001: 10, 0: 11, -16000: 12, 96000: 13, 8001: 14, 47999: 15}
F32, STEREO, BAD_CHANNELS, SILERO, RESTART = 1, 2, 4, 8, 16


def rate_sel(rate):
    if rate in RATE:
        return bytes([RATE[rate]])
    return bytes([200]) + struct.pack("<H", rate - 8000)  # any rate in range


def frame_ms(ms):
    return bytes([ms - 8])


def turn(threshold=127, end=25, min_speech=10, min_silence=25, pad=37, max_speech=0):
    """Bytes: thresholds in 1/254 (255 = NaN), durations in 4, 8, 8, 20 ms steps
    (255 = never)."""
    return bytes([threshold, end, min_speech, min_silence, pad, max_speech])


def vad_header(rate=16000, fmt=0, ms=20, turn_bytes=None, chunks=(160, 37, 255, 1), scale=1,
               gaps=0, flush_at=255, reconfigure_at=255, second=(16000, 0, 20), second_turn=None):
    return (bytes([0]) + rate_sel(rate) + bytes([fmt]) + frame_ms(ms) + (turn_bytes or turn()) +
            bytes(chunks) + bytes([scale - 1, gaps, flush_at, reconfigure_at]) +
            rate_sel(second[0]) + bytes([second[1]]) + frame_ms(second[2]) +
            (second_turn or turn()))


def speechlike(rate, seconds_noise=0.1, seconds_tone=0.25, seconds_after=0.3, seed=1):
    """Quiet noise, a 150 Hz pulse train with harmonics (speech band), noise."""
    rng = random.Random(seed)
    out = []
    for i in range(int(rate * seconds_noise)):
        out.append(rng.gauss(0, 0.003))
    for i in range(int(rate * seconds_tone)):
        t = i / rate
        v = sum(math.sin(2 * math.pi * 150 * k * t) / k for k in range(1, 12))
        out.append(0.25 * v * (0.6 + 0.4 * math.sin(2 * math.pi * 4 * t)) + rng.gauss(0, 0.003))
    for i in range(int(rate * seconds_after)):
        out.append(rng.gauss(0, 0.003))
    return out


def s16(samples, channels=1):
    return b"".join(struct.pack("<h", max(-32768, min(32767, int(v * 32767)))) * channels
                    for v in samples)


def f32(samples, channels=1, specials=False):
    data = []
    for i, v in enumerate(samples):
        if specials and i % 97 == 0:
            v = (float("nan"), float("inf"), float("-inf"), 1e30)[(i // 97) % 4]
        data.append(struct.pack("<f", v) * channels)
    return b"".join(data)


def resampler_header(from_sel, to_sel, max_chunk, loud=False):
    return bytes([7, from_sel, to_sel]) + struct.pack("<H", max_chunk) + bytes([1 if loud else 0])


def resampler_chunks(samples, sizes):
    """A control byte (length = byte * 17 % (max_chunk + 9)) before each chunk."""
    out, data, at = b"", s16(samples), 0
    for control in sizes:
        if control == 0xFF:
            out += bytes([0xFF])
            continue
        n = control * 17 * 2
        out += bytes([control]) + data[at:at + n]
        at += n
    return out


def vad_seeds():
    noise_tone_8k = speechlike(8000)
    return {
        # The built-in engine: speech onset, then pauses through GAPs of silence.
        "builtin-s16-8k-speech": vad_header(8000, 0, 20, chunks=(80, 80, 160, 40), gaps=0x61)
        + s16(noise_tone_8k),
        "builtin-s16-16k-10ms": vad_header(16000, 0, 10, chunks=(255, 13, 64, 200))
        + s16(speechlike(16000, 0.05, 0.2, 0.2, seed=2)),
        "builtin-f32-16k-stereo-nan": vad_header(16000, F32 | STEREO, 30, chunks=(100, 1, 0, 255))
        + f32(speechlike(16000, 0.02, 0.08, 0.02, seed=3), 2, specials=True),
        "builtin-f32-48k-max-speech": vad_header(48000, F32, 32, turn(max_speech=5), chunks=(250, 250, 250, 250),
                                                 scale=2) + f32(speechlike(48000, 0.0, 0.08, 0.0, seed=4)),
        "builtin-flush-restart": vad_header(16000, RESTART, 20, chunks=(200, 200, 200, 200), flush_at=1,
                                            gaps=0x92) + s16(speechlike(16000, 0.05, 0.15, 0.1, seed=5)),
        "builtin-nan-thresholds": vad_header(22050, 0, 25, turn(255, 255, 0, 0, 0, 0))
        + s16(speechlike(22050, 0.01, 0.1, 0.05, seed=6)),
        "builtin-never-durations": vad_header(11025, STEREO, 16, turn(10, 200, 255, 255, 255, 255))
        + s16(speechlike(11025, 0.01, 0.1, 0.05, seed=7), 2),
        "builtin-odd-rate-8017": vad_header(8017, 0, 23, gaps=0x31)
        + s16(speechlike(8017, 0.02, 0.2, 0.1, seed=8)),
        "invalid-rate-then-16k": vad_header(0, 0, 20, reconfigure_at=0, second=(16000, F32, 20))
        + f32(speechlike(16000, 0.02, 0.1, 0.02, seed=9)),
        "invalid-channels-frame": vad_header(16000, BAD_CHANNELS, 33, reconfigure_at=1, second=(96000, 0, 9))
        + s16(speechlike(16000, 0.02, 0.05, 0.02, seed=10)),
        "reconfigure-44k-to-8k": vad_header(44100, F32, 20, chunks=(200, 200, 200, 200), reconfigure_at=1,
                                            second=(8000, 0, 32), second_turn=turn(60, 10, 2, 5, 0, 3))
        + f32(speechlike(44100, 0.01, 0.05, 0.0, seed=11)),
        # The Silero engine (when a model is loaded; else the built-in one).
        "silero-s16-16k": vad_header(16000, SILERO, 32, chunks=(255, 255, 100, 7), scale=2, gaps=0x42)
        + s16(speechlike(16000, 0.05, 0.25, 0.1, seed=12)),
        "silero-s16-8k": vad_header(8000, SILERO, 20, gaps=0x51) + s16(noise_tone_8k),
        "silero-f32-48k-stereo": vad_header(48000, SILERO | F32 | STEREO, 32, chunks=(255, 255, 255, 255))
        + f32(speechlike(48000, 0.005, 0.02, 0.0, seed=13), 2, specials=True),
        "silero-24k-to-12k": vad_header(24000, SILERO, 10, reconfigure_at=2, second=(12000, SILERO | F32, 31))
        + s16(speechlike(24000, 0.02, 0.1, 0.0, seed=14)),
        # The resampler alone.
        "resampler-44k-16k": resampler_header(4, 1, 1024)
        + resampler_chunks(speechlike(44100, 0.0, 0.08, 0.0), (60, 3, 0, 60, 0xFF, 60)),
        "resampler-odd": bytes([7, 200]) + struct.pack("<H", 1) + bytes([200]) + struct.pack("<H", 39999)
        + struct.pack("<H", 7) + bytes([1]) + resampler_chunks(speechlike(8001, 0, 0.05, 0), (1, 2, 0, 1, 1)),
        "resampler-passthrough": resampler_header(1, 1, 300) + resampler_chunks(speechlike(16000, 0, 0.02, 0), (10, 20)),
        # An empty first chunk: process(nullptr, 0, out) once reached memcpy()
        # with a null source (undefined; UBSan reports it).
        "resampler-empty-chunk": resampler_header(0, 1, 64) + resampler_chunks(speechlike(8000, 0, 0.01, 0), (0, 3)),
        "resampler-empty-chunk-passthrough": resampler_header(1, 1, 64)
        + resampler_chunks(speechlike(16000, 0, 0.01, 0), (0, 3)),
    }


# ---- session ----------------------------------------------------------------
def session_input(control, numbers, *strings):
    return bytes(control) + b"".join(struct.pack("<Q", n) for n in numbers) + b"\0".join(strings)


def session_seeds():
    times = (1700000000000000, 2 * 10**9, 3 * 10**9, 10**9)
    # control[i]: bits 0-2 rename (1 session, 2 turn, 3 utterance, 4 detector),
    # bits 3-4 context (1 real, 2 NULL, 3 string), bits 5-7 event type.
    return {
        "valid-id-fields": session_input([0x09, 0x0A, 0x0B, 0x2C], times, b"abc123", b"session,user=alice",
                                         b"builtin",
                                         b"GstVoiceKitTurn, event=(string)pause, utterance=(guint64)3, "
                                         b"running-time=(guint64)1000, speech-end=(guint64)5",
                                         b"GstVoiceKitUtterance, event=(string)end, utterance=(guint64)2",
                                         b"GstVoiceKitSession, webrtc-id=(string)x, created-us=(gint64)1",
                                         b"GstVoiceKitTurnDetector, engine=(string)silero, "
                                         b"min-speech-duration=(guint64)40000000"),
        "python-fields": session_input([0x81, 0x12, 0x33, 0x04], times, b"\xc3\xa9t\xc3\xa9-\xe2\x82\xac",
                                       b"session, user=(string)\"a b\", n=(int)5, f=(double)1.5, "
                                       b"l={1,2,3}, a=<1,2>, r=[1,5], fr=(fraction)1/3",
                                       b"silero", b"GstVoiceKitSession, context=(string)abc",
                                       b"GstVoiceKitTurn, event=(int)1, utterance=(string)x, running-time=(gint64)-5"),
        "quoted-fields": session_input([0x01, 0x02, 0x03, 0x04], times, b"id with spaces",
                                       b"\"session\\,\\ user\\=alice\"", b"",
                                       b"GstVoiceKitTurn, event=(string)speech-start",
                                       b"GstVoiceKitUtterance, utterance=(guint64)18446744073709551615"),
        "nested-fields": session_input([0x11, 0x19, 0x1A, 0x1B], times, b"n",
                                       b"s, inner=(structure)\"t\\,\\ a\\=1\\;\", "
                                       b"caps=(GstCaps)\"audio/x-raw\\,\\ rate\\=16000\"",
                                       b"e", b"GstVoiceKitSession, context=(GstVoiceKitSessionContext)NULL",
                                       b"x, y=(boolean)true"),
        "invalid-empty-id": session_input([0, 0, 0, 0], times, b"", b"session", b""),
        "invalid-control-id": session_input([0x10, 0x10, 0x10, 0x10], times, b"a\x01b", b"s, a=1", b"x",
                                            b"GstVoiceKitSession", b"GstVoiceKitTurn"),
        "invalid-long-id": session_input([0x0C, 0, 0, 0], times, b"x" * 257, b"", b""),
        "max-length-id": session_input([0xFF, 0xFF, 0xFF, 0xFF], times, b"y" * 256, b"session;", b"z",
                                       b"GstVoiceKitTurnDetector"),
        "invalid-utf8-id": session_input([0x0A, 0, 0, 0], times, b"\xff\xfe", b"session,\xff=1", b"\xff"),
        # Failed parses of nested lists (GStreamer leaks there: tests/fuzz/lsan.supp),
        # at the deepest nesting the harness parses and one deeper (skipped).
        "deep-nesting": session_input([0x09, 0x02, 0x03, 0x01], times, b"deep", b"s, b=" + b"{" * 12 + b"1,",
                                      b"e", b"s, a=" + b"{" * 12 + b"1,(int)x", b"t, a=" + b"<" * 13 + b"1>",
                                      b"GstVoiceKitTurn, l=" + b"{" * 12 + b"1" + b"}" * 12),
        "bad-fields": session_input([0, 0, 0, 0], times, b"ok", b"session,,,=", b"",
                                    b"GstVoiceKitTurn, event=", b"a, b=(GstVoiceKitSessionContext)x"),
    }


# ---- signalling -------------------------------------------------------------
OFFER = ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
         "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"
         "m=audio 9 UDP/TLS/RTP/SAVPF 0 111\r\na=rtpmap:0 PCMU/8000\r\n"
         "a=rtpmap:111 opus/48000/2\r\n")


def json_string(text):
    import json
    return json.dumps(text)


def signalling_seeds():
    return {
        "hello": b'{"type":"hello","webrtc_id":"abc123"}',
        "hello-unicode": r'{"type":"hello","webrtc_id":"\u00e9t\u00e9 \ud83d\ude00"}'.encode(),
        "hello-nul": b'{"type":"hello","webrtc_id":"ab\\u0000cd"}',
        "hello-space": b'{"type":"hello","webrtc_id":" abc "}',
        "hello-standin": b'{"type":"hello","webrtc_id":"\\uFDD0x","note":"\\u0000"}',
        "offer": ('{"type":"offer","sdp":%s}' % json_string(OFFER)).encode(),
        "offer-no-opus": ('{"type":"offer","sdp":%s}' % json_string("v=0\r\nm=audio 9 RTP/AVP 0\r\n"
                                                                     "a=rtpmap:0 PCMU/8000\r\n")).encode(),
        "candidate": b'{"type":"candidate","candidate":"candidate:1 1 UDP 1 127.0.0.1 5000 typ host",'
                     b'"sdpMLineIndex":2}',
        "candidate-null": b'{"type":"candidate","candidate":null,"sdpMLineIndex":null}',
        "candidate-bad-index": b'{"type":"candidate","candidate":"c","sdpMLineIndex":256}',
        "report": b'{"type":"report","played_ms":420,"x":{"y":[1,2,null,true,1.5e3]},"s":"\\u0000"}',
        "report-numbers": b'{"type":"report","a":-0,"b":1e308,"c":9223372036854775807,"d":-1.25e-300}',
        "report-duplicate": b'{"type":"report","a":1,"a":2,"type":"report"}',
        "bye": b'{"type":"bye"}',
        "unknown-type": b'{"type":"da\\u0000nce"}',
        "not-object": b'[1,2,{"type":"bye"}]',
        "truncated": b'{"type":"hello","webrtc_id":"ab',
        # json-glib 1.6 wrote these numbers as "1e+20.0" and "inf.0" (not JSON),
        # and a lone surrogate as bytes that are not UTF-8: the whole report was
        # lost, or logged as invalid JSON.
        "report-exponent": b'{"type":"report","big":1e20,"huge":1e400,"neg":-1e400,"small":1e-400}',
        "report-lone-surrogate": b'{"type":"report","s":"a \\ud83d00"}',
        # The first 8 bytes are also read as a double for JsonWriter::number().
        "number-inf": struct.pack("<d", float("inf")) + b'{"type":"bye"}',
        "number-nan": struct.pack("<d", float("nan")) + b'{"type":"bye"}',
        "number-1e20": struct.pack("<d", 1e20) + b'{"type":"bye"}',
        "raw-sdp": OFFER.encode(),
        # Empty lines are skipped, before "v=0" too.
        "raw-sdp-leading-blank-lines": b"\n\r\n" + OFFER.encode(),
        "raw-id": b"abc-123_XYZ",
    }


TARGETS = {
    "silero-model": silero_model_seeds,
    "vad": vad_seeds,
    "session": session_seeds,
    "signalling": signalling_seeds,
}


def main():
    for target in sys.argv[1:] or list(TARGETS):
        out = os.path.join(HERE, target + "-seeds")
        os.makedirs(out, exist_ok=True)
        seeds = TARGETS[target]()
        for name, data in seeds.items():
            with open(os.path.join(out, name + ".seed"), "wb") as f:
                f.write(data)
        print("%d seeds in %s (%d bytes)" % (len(seeds), out, sum(len(d) for d in seeds.values())))


if __name__ == "__main__":
    main()

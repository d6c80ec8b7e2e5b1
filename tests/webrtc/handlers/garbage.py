#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
"""A handler that answers garbage instead of a usable WAV stream (then exits 0,
so only the output is wrong). Reads its input (a WAV) first. Modes:
  notwav     text and random bytes
  hugechunk  a RIFF/WAVE header, then a LIST chunk declaring 0xFFFFFFF0 bytes
  badfmt     a fmt chunk with 0 channels
  truncated  the stream ends inside the fmt chunk
  shortdata  RIFF and data sizes declaring 0x10000000 bytes of audio, of which
             0.25 s come
  empty      nothing at all
  rate1      a valid header saying 1 Hz, with 64 KiB of audio (32768 s at 1 Hz)
"""
import os
import struct
import sys

mode = sys.argv[1] if len(sys.argv) > 1 else "notwav"
data = sys.stdin.buffer.read()
audio = data[44:]
out = sys.stdout.buffer


def fmt_chunk(channels=1, rate=16000, bits=16):
    align = channels * bits // 8
    return b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * align, align, bits)


def riff(size=0xFFFFFFFF):
    return b"RIFF" + struct.pack("<I", size) + b"WAVE"


if mode == "notwav":
    out.write(b"this is not a WAV stream, just text and random bytes\n" + os.urandom(4096))
elif mode == "hugechunk":
    out.write(riff(0xFFFFFFF8) + b"LIST" + struct.pack("<I", 0xFFFFFFF0) + os.urandom(8192))
elif mode == "badfmt":
    out.write(riff() + fmt_chunk(channels=0) + b"data" + struct.pack("<I", len(audio)) + audio)
elif mode == "truncated":
    out.write((riff() + fmt_chunk())[:22])
elif mode == "shortdata":
    out.write(riff(36 + 0x10000000) + fmt_chunk() + b"data" + struct.pack("<I", 0x10000000) + audio[:8000])
elif mode == "empty":
    pass
elif mode == "rate1":
    out.write(riff() + fmt_chunk(rate=1) + b"data" + struct.pack("<I", 65536) + (audio * 2)[:65536])
else:
    sys.stderr.write(f"garbage.py: unknown mode {mode!r}\n")
    sys.exit(2)
out.flush()

#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
"""A slow but valid handler: answers the echo of its input (a WAV), late.
  start    nothing for 1.5 s, then the whole reply at once
  trickle  the header after 0.3 s, then the audio in 0.1 s pieces at 1.25x
           real time (the reply plays while it is produced)
"""
import sys
import time

mode = sys.argv[1] if len(sys.argv) > 1 else "start"
data = sys.stdin.buffer.read()
out = sys.stdout.buffer
if mode == "start":
    time.sleep(1.5)
    out.write(data)
elif mode == "trickle":
    time.sleep(0.3)
    header, audio = data[:44], data[44:]
    out.write(header)
    out.flush()
    rate = int.from_bytes(data[24:28], "little") or 16000
    align = int.from_bytes(data[32:34], "little") or 2
    step = rate * align // 10  # 0.1 s
    for i in range(0, len(audio), step):
        out.write(audio[i : i + step])
        out.flush()
        time.sleep(0.08)
else:
    sys.stderr.write(f"slow.py: unknown mode {mode!r}\n")
    sys.exit(2)
out.flush()

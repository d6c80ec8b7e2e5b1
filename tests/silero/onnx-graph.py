#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copyright (C) 2026 The gst-voicekit authors
"""Prints an ONNX model's graph: every node (op, inputs, outputs, attributes),
subgraphs indented, the values of small constants (ints, and floats up to 16)
and the shapes of the others. No onnx package needed: a plain protobuf walk.

    tests/silero/onnx-graph.py MODEL.onnx [--short]

--short drops the If_0_then/else_branch__Inline_0_ prefixes (T_/E_). This is
how the computation gst/vad/silero.cpp hard-codes was read off Silero's
graphs (reflect pad amount, conv strides and pads, slices, LSTM gate order,
ReduceMean), and how to check a new Silero release against it."""
import struct
import sys


def varint(b, i):
    r = s = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return r, i


def fields(b):
    i, out = 0, []
    while i < len(b):
        k, i = varint(b, i)
        f, t = k >> 3, k & 7
        if t == 0:
            v, i = varint(b, i)
        elif t == 1:
            v, i = b[i:i + 8], i + 8
        elif t == 5:
            v, i = b[i:i + 4], i + 4
        elif t == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise ValueError("wire type %d" % t)
        out.append((f, t, v))
    return out


def text(v):
    return v.decode("utf8", "replace")


def packed_varints(t, v):
    if t == 0:
        return [v]
    out, j = [], 0
    while j < len(v):
        d, j = varint(v, j)
        out.append(d)
    return out


def tensor(b):
    dims, name, dtype, raw, ints = [], "", 0, b"", []
    for f, t, v in fields(b):
        if f == 1:
            dims += packed_varints(t, v)
        elif f == 2:
            dtype = v
        elif f == 8:
            name = text(v)
        elif f == 9:
            raw = v
        elif f == 7:
            ints += packed_varints(t, v)
    values = None
    if dtype == 7:
        values = list(struct.unpack("<%dq" % (len(raw) // 8), raw)) if raw else [
            x - (1 << 64) if x >= 1 << 63 else x for x in ints]
    elif dtype == 1 and len(raw) <= 64:
        values = [round(x, 6) for x in struct.unpack("<%df" % (len(raw) // 4), raw)]
    return "%s%s dtype=%d%s" % (name + " " if name else "", dims, dtype,
                                 " = %s" % values if values is not None else "")


def graph(b, indent, short):
    def name(x):
        x = text(x)
        if short:
            x = x.replace("If_0_else_branch__Inline_0_", "E").replace(
                "If_0_then_branch__Inline_0_", "T")
        return x

    for f, t, v in fields(b):
        if f == 1:
            ins, outs, op, attrs, subs = [], [], "", [], []
            for ff, tt, vv in fields(v):
                if ff == 1:
                    ins.append(name(vv))
                elif ff == 2:
                    outs.append(name(vv))
                elif ff == 4:
                    op = text(vv)
                elif ff == 5:
                    aname, ints = "", []
                    for fa, ta, va in fields(vv):
                        if fa == 1:
                            aname = text(va)
                    for fa, ta, va in fields(vv):
                        if fa == 2:
                            attrs.append("%s=%g" % (aname, struct.unpack("<f", va)[0]))
                        elif fa == 3:
                            attrs.append("%s=%d" % (aname, va))
                        elif fa == 4:
                            attrs.append("%s=%s" % (aname, text(va)))
                        elif fa == 5:
                            attrs.append("%s=(%s)" % (aname, tensor(va)))
                        elif fa == 6:
                            subs.append((aname, va))
                        elif fa == 8:
                            ints += packed_varints(ta, va)
                    if ints:
                        attrs.append("%s=%s" % (aname, ints))
            print("%s%s %s -> %s %s" % (indent, op, ins, outs, " ".join(attrs)))
            for aname, sub in subs:
                print("%s  %s:" % (indent, aname))
                graph(sub, indent + "    ", short)
        elif f == 5:
            print("%sINITIALIZER %s" % (indent, tensor(v)))
        elif f in (11, 12):
            print("%s%s %s" % (indent, "INPUT" if f == 11 else "OUTPUT",
                               [text(vv) for ff, tt, vv in fields(v) if ff == 1]))


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    data = open(sys.argv[1], "rb").read()
    for f, t, v in fields(data):
        if f == 7:
            graph(v, "", "--short" in sys.argv)
        elif f == 8:
            print("OPSET", [(ff, text(vv) if tt == 2 else vv) for ff, tt, vv in fields(v)])


main()

#!/usr/bin/env python3
"""Writes the seed corpus of fuzz-silero-model: small ONNX-shaped protobufs
(a model, a graph, If nodes with then/else subgraphs, Constant nodes with
tensors named like Silero's weights but with tiny or wrong shapes, raw and
float data, odd wire types). Synthetic: no real weights. Run from the repo
root: tests/fuzz/make-seeds.py"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "silero-model-seeds")


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


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {
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
    for name, data in seeds.items():
        with open(os.path.join(OUT, name + ".seed"), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(seeds), OUT))


if __name__ == "__main__":
    main()

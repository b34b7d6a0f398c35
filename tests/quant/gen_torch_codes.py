#!/usr/bin/env python3
"""gen_torch_codes.py - expected int8/uint8 LeakyReLU codes from PyTorch 1.13, for test_quant.

Writes (stdout) one record per line:
  T dtype scale zp out_scale out_zp slope BODY TAIL
      BODY: 512 hex digits, the output byte of each input byte 0..255 (qint8 codes as
      their two's-complement byte) through PyTorch's vector path (a contiguous tensor of
      the 256 codes: four whole 64-element blocks); TAIL: the same through the scalar
      path (a stride-2 view, which PyTorch's TensorIterator walks with its basic loop),
      written as "=" when equal to BODY or as "byte:code,..." (hex) where it differs.
  P dtype scale zp out_scale out_zp slope LAYOUT R C W INPUT OUTPUT
      one real call: LAYOUT is contig (1 x C tensor, out=), inplace (1 x C, leaky_relu_),
      rows (R x C base, x[:, :W], out=), step (R x C base, x[:, ::2], out=) or trans
      (R x C base, x.t(), out=); INPUT is the base's codes, OUTPUT the result's codes in
      its own row-major order (hex bytes).
Run with torch.set_num_threads(1) semantics; the single-thread split is what the C
library reproduces.  Usage: gen_torch_codes.py [--random N] [--seed S] > file
"""
import argparse
import sys

import numpy as np
import torch
import torch.nn.quantized.functional as qF

torch.set_num_threads(1)
QU8, QS8 = torch.quint8, torch.qint8
NAME = {QU8: "quint8", QS8: "qint8"}


def qtensor(codes, dt, scale, zp):
    raw = torch.tensor(np.asarray(codes), dtype=torch.uint8 if dt == QU8 else torch.int8)
    return torch._make_per_tensor_quantized_tensor(raw, scale, zp)


def all_codes(dt):
    return np.arange(256) if dt == QU8 else np.arange(-128, 128)


def as_bytes(a):
    return np.asarray(a, dtype=np.int64).astype(np.uint8)


def tables(dt, s, zp, os_, ozp, slope):
    codes = all_codes(dt)
    body = qF.leaky_relu(qtensor(codes, dt, s, zp), slope, scale=os_, zero_point=ozp)
    two = qtensor(np.repeat(codes, 2), dt, s, zp)[::2]
    tail = qF.leaky_relu(two, slope, scale=os_, zero_point=ozp)
    bt = np.zeros(256, np.uint8)
    tt = np.zeros(256, np.uint8)
    bt[as_bytes(codes)] = as_bytes(body.int_repr().numpy())
    tt[as_bytes(codes)] = as_bytes(tail.int_repr().numpy())
    return bt, tt


def head(dt, s, zp, os_, ozp, slope):
    return "%s %r %d %r %d %r" % (NAME[dt], s, zp, os_, ozp, slope)


def t_record(dt, s, zp, os_, ozp, slope):
    bt, tt = tables(dt, s, zp, os_, ozp, slope)
    d = np.nonzero(bt != tt)[0]
    tail = "=" if len(d) == 0 else ",".join("%02x:%02x" % (i, tt[i]) for i in d)
    return "T %s %s %s" % (head(dt, s, zp, os_, ozp, slope), bytes(bt).hex(), tail), len(d)


def p_record(dt, s, zp, os_, ozp, slope, layout, r, c, w, rng):
    codes = all_codes(dt)
    base = rng.choice(codes, size=r * c)
    x = qtensor(base, dt, s, zp).reshape(r, c)
    if layout == "inplace":
        y = x.clone()
        qF.leaky_relu(y, slope, inplace=True)
    else:
        v = {"contig": x, "rows": x[:, :w], "step": x[:, ::2], "trans": x.t()}[layout]
        y = qF.leaky_relu(v, slope, scale=os_, zero_point=ozp)
    out = as_bytes(y.contiguous().int_repr().numpy().ravel())
    return "P %s %s %d %d %d %s %s" % (head(dt, s, zp, os_, ozp, slope), layout, r, c, w,
                                       bytes(as_bytes(base)).hex(), bytes(out).hex())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--random", type=int, default=60, help="extra random parameter sets")
    ap.add_argument("--seed", type=int, default=2024)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    out = sys.stdout
    out.write("# expected codes from PyTorch %s (tests/quant/gen_torch_codes.py)\n"
              % torch.__version__)
    grid_in = {QU8: [(0.1, 128), (0.0123, 77), (1 / 3, 0), (0.05, 255), (2.5, 3)],
               QS8: [(0.1, 0), (0.0123, -50), (0.007, 127), (0.5, -128), (1 / 7, 9)]}
    slopes = [0.01, 0.2, -0.5, 0.0, 1.7, 1e-20]
    diffs = []
    for dt in (QU8, QS8):
        lo = 0 if dt == QU8 else -128
        for s, zp in grid_in[dt]:
            for os_, ozp in [(s, zp), (0.05, lo + 100), (0.37, lo + 200)]:
                for slope in slopes:
                    line, nd = t_record(dt, s, zp, os_, ozp, slope)
                    out.write(line + "\n")
                    diffs.append((nd, (dt, s, zp, os_, ozp, slope)))
    # extremes the library accepts: infinite slopes, huge ratios (int32 wrap, overflow)
    for p in [(QU8, 0.1, 100, 0.1, 100, float("inf")), (QS8, 0.1, 3, 0.1, -100, float("-inf")),
              (QU8, 1e10, 100, 1e-10, 255, 0.5), (QU8, 1e10, 100, 1e-10, 0, 0.5),
              (QS8, 1e10, 0, 1e-10, -5, 0.5), (QS8, 1e30, 0, 1e-30, 127, -0.5),
              (QU8, 3e38, 100, 1.2e-38, 100, 1.0), (QS8, 1.5e-38, -7, 3e38, 7, -3e38)]:
        out.write(t_record(*p)[0] + "\n")
    # random parameter sets, kept only if the two paths disagree somewhere
    kept = 0
    while kept < a.random:
        dt = QU8 if rng.integers(2) else QS8
        lo = 0 if dt == QU8 else -128
        s = float(rng.uniform(1e-3, 1.0))
        zp = int(rng.integers(lo, lo + 256))
        if rng.integers(2):
            os_, ozp = s, zp
        else:
            os_, ozp = float(rng.uniform(1e-3, 1.0)), int(rng.integers(lo, lo + 256))
        slope = float(rng.choice([rng.uniform(-1, 1), 0.01, 0.1, 0.2]))
        line, nd = t_record(dt, s, zp, os_, ozp, slope)
        if nd:
            out.write(line + "\n")
            diffs.append((nd, (dt, s, zp, os_, ozp, slope)))
            kept += 1
    # positions and layouts, on the parameter sets where the two paths differ most
    diffs.sort(key=lambda d: -d[0])
    same = [p for nd, p in diffs if p[1] == p[3] and p[2] == p[4]][:2]
    other = [p for nd, p in diffs if not (p[1] == p[3] and p[2] == p[4])][:2]
    for p in same + other:
        for n in (1, 63, 64, 65, 127, 128, 129, 1000):
            out.write(p_record(*p, "contig", 1, n, n, rng) + "\n")
        out.write(p_record(*p, "rows", 7, 150, 100, rng) + "\n")
        out.write(p_record(*p, "step", 4, 150, 75, rng) + "\n")
        out.write(p_record(*p, "trans", 70, 40, 70, rng) + "\n")
        if p in same:
            for n in (63, 129, 1000):
                out.write(p_record(*p, "inplace", 1, n, n, rng) + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""bench_python.py - `make bench-python`: the Python package against PyTorch and NumPy.

Every case times lrelu and its PyTorch counterpart in the same process, alternating
them round by round (the machine is shared: a slow period hits both), 1 thread each.
Each round times a batch of calls and keeps the time per call; the table gives the
median and the best round of each, and the ratio of the medians.  The issue's targets
are checked on the medians.

Environment: BENCH_ROUNDS (default 15), BENCH_QUICK=1 (fewer rounds), BENCH_CLOCK=thread
(time the one-thread cases by the thread's CPU time instead of the wall clock: on a
machine shared with other jobs, the time the thread waited for a core drops out, the
time it ran slower for sharing the caches and memory does not; the two-thread case is
always timed by the wall clock).
"""
import os
import statistics
import sys
import threading
import time

import numpy as np
import torch
import torch.nn.functional as F

import lrelu
import lrelu.torch as lt

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5" if os.environ.get("BENCH_QUICK") else "15"))
CLOCK = os.environ.get("BENCH_CLOCK", "wall")
if CLOCK not in ("wall", "thread"):
    sys.exit("bench_python.py: BENCH_CLOCK must be 'wall' or 'thread', not %r" % CLOCK)
clock = time.thread_time_ns if CLOCK == "thread" else time.perf_counter_ns


def per_call(fn, n):
    t0 = clock()
    for _ in range(n):
        fn()
    return (clock() - t0) / n


def compare(cases, batch):
    """cases: {name: fn}.  Alternates the cases each round; returns {name: [ns per call]}."""
    for fn in cases.values():  # warm-up: caches, allocator, lazy imports
        per_call(fn, max(1, batch // 4))
    res = {k: [] for k in cases}
    for r in range(ROUNDS):
        names = list(cases) if r % 2 == 0 else list(cases)[::-1]
        for k in names:
            res[k].append(per_call(cases[k], batch))
    return res


def fmt(ns):
    return "%.0f ns" % ns if ns < 10000 else "%.1f us" % (ns / 1000)


rows = []


def report(title, res, ours, theirs, want, note=""):
    """want: the lowest acceptable ratio theirs/ours (>= 1 means lrelu must be faster)."""
    mo, mt = statistics.median(res[ours]), statistics.median(res[theirs])
    ratio = mt / mo
    ok = ratio >= want
    rows.append((title, ok))
    print("%-58s %10s (best %8s) | %-24s %10s (best %8s) | x%.2f  target x%.2f %s %s" % (
        title + ": " + ours, fmt(mo), fmt(min(res[ours])), theirs, fmt(mt), fmt(min(res[theirs])),
        ratio, want, "ok" if ok else "MISSED", note))
    return ratio


class Floor(torch.autograd.Function):
    """An autograd.Function that does nothing: the cost of the mechanism by itself."""

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return g


def main():
    torch.set_num_threads(1)
    lrelu.set_num_threads(1)
    print("lrelu %s, PyTorch %s, NumPy %s, Python %s; 1 thread; %d alternating rounds; "
          "median (best); %s clock; load average %s" % (
              lrelu.__version__, torch.__version__, np.__version__, sys.version.split()[0], ROUNDS,
              CLOCK, " ".join("%.2f" % v for v in os.getloadavg())))
    s = 0.2
    # ---- 64 elements ----
    xn = np.random.default_rng(0).standard_normal(64).astype(np.float32)
    yn = np.empty_like(xn)
    xt = torch.from_numpy(xn.copy())
    yt = torch.empty_like(xt)
    lr, fl, nl = lrelu.leaky_relu, F.leaky_relu, torch._C._nn.leaky_relu
    res = compare({"lrelu ndarray out=": lambda: lr(xn, s, out=yn),
                   "F.leaky_relu(t, s)": lambda: fl(xt, s),
                   "lrelu ndarray": lambda: lr(xn, s),
                   "np.copyto": lambda: np.copyto(yn, xn)}, 20000)
    report("64 f32 NumPy with out= vs F.leaky_relu", res, "lrelu ndarray out=", "F.leaky_relu(t, s)", 4.0,
           "(new array: %s; np.copyto %s)" % (fmt(statistics.median(res["lrelu ndarray"])),
                                              fmt(statistics.median(res["np.copyto"]))))
    res = compare({"lrelu tensor out=": lambda: lr(xt, s, out=yt),
                   "leaky_relu(t, s, out=y)": lambda: nl(xt, s, out=yt),
                   "t.copy_(t)": lambda: yt.copy_(yt)}, 20000)
    report("64 f32 tensor with out= (version bump included)", res, "lrelu tensor out=",
           "leaky_relu(t, s, out=y)", 1.0, "(the bump, t.copy_(t): %s)" % fmt(statistics.median(res["t.copy_(t)"])))
    ml, mt = lt.LeakyReLU(s), torch.nn.LeakyReLU(s)
    with torch.no_grad():
        res = compare({"lrelu.torch.LeakyReLU": lambda: ml(xt), "nn.LeakyReLU": lambda: mt(xt)}, 20000)
    report("64 f32 module under no_grad", res, "lrelu.torch.LeakyReLU", "nn.LeakyReLU", 1.0)
    xg = xt.clone().requires_grad_()
    res = compare({"lrelu.torch.LeakyReLU": lambda: ml(xg), "nn.LeakyReLU": lambda: mt(xg),
                   "Function floor": lambda: Floor.apply(xg)}, 10000)
    report("64 f32 module forward with autograd", res, "lrelu.torch.LeakyReLU", "nn.LeakyReLU", 1 / 2.5,
           "(an empty autograd.Function: %s)" % fmt(statistics.median(res["Function floor"])))
    g64 = torch.ones(64)
    res = compare({"lrelu.torch.LeakyReLU": lambda: ml(xg).backward(g64),
                   "nn.LeakyReLU": lambda: mt(xg).backward(g64),
                   "Function floor": lambda: Floor.apply(xg).backward(g64)}, 5000)
    report("64 f32 module forward+backward", res, "lrelu.torch.LeakyReLU", "nn.LeakyReLU", 1 / 2.5,
           "(empty Function fwd+bwd: %s)" % fmt(statistics.median(res["Function floor"])))

    # ---- 1M elements ----
    n = 1 << 20
    xn = np.random.default_rng(1).standard_normal(n).astype(np.float32)
    yn = np.empty_like(xn)
    xt = torch.from_numpy(xn.copy())
    res = compare({"lrelu ndarray": lambda: lr(xn, s), "F.leaky_relu": lambda: fl(xt, s),
                   "lrelu tensor": lambda: lr(xt, s), "np.copyto": lambda: np.copyto(yn, xn)}, 20)
    cp = "(np.copyto %s)" % fmt(statistics.median(res["np.copyto"]))
    report("1M f32 out of place, NumPy (allocation included)", res, "lrelu ndarray", "F.leaky_relu", 1.0, cp)
    report("1M f32 out of place, tensor (allocation included)", res, "lrelu tensor", "F.leaky_relu", 1.0)
    # In place, alternating slopes 0.5 and 2: the values come back exactly each pair of
    # calls, so that no run drifts into subnormals.
    an, at, bt = xn.copy(), xt.clone(), xt.clone()
    state = {"a": 0, "b": 0, "c": 0}

    def flip(key):
        state[key] ^= 1
        return 2.0 if state[key] else 0.5

    # (The floor of an in-place kernel, the same bytes read and written with no
    # arithmetic, is kbench's copy-loop-inplace: no Python call reaches it.)
    res = compare({"lrelu ndarray inplace": lambda: lr(an, flip("a"), inplace=True),
                   "F.leaky_relu_": lambda: F.leaky_relu_(bt, flip("b")),
                   "lrelu tensor inplace": lambda: lr(at, flip("c"), inplace=True)}, 20)
    report("1M f32 in place, NumPy", res, "lrelu ndarray inplace", "F.leaky_relu_", 1.3)
    report("1M f32 in place, tensor (version bump included)", res, "lrelu tensor inplace", "F.leaky_relu_", 1.3)
    xg = xt.clone().requires_grad_()
    g = torch.ones(n)
    res = compare({"lrelu.torch.LeakyReLU": lambda: ml(xg).backward(g),
                   "nn.LeakyReLU": lambda: mt(xg).backward(g),
                   "Function floor": lambda: Floor.apply(xg).backward(g),
                   "lrelu backward": lambda: lrelu.leaky_relu_backward(g, xt, s),
                   "leaky_relu_backward": lambda: torch.ops.aten.leaky_relu_backward(g, xt, s, False)}, 10)
    report("1M f32 module forward+backward", res, "lrelu.torch.LeakyReLU", "nn.LeakyReLU", 1.0,
           "(empty Function fwd+bwd %s; the backward alone: lrelu %s, PyTorch %s)" % (
               fmt(statistics.median(res["Function floor"])), fmt(statistics.median(res["lrelu backward"])),
               fmt(statistics.median(res["leaky_relu_backward"]))))

    # ---- two Python threads, each on its own 1M array, the library single-threaded ----
    xs = [np.random.default_rng(i).standard_normal(n).astype(np.float32) for i in range(2)]
    ys = [np.empty_like(x) for x in xs]
    calls = 200

    def loop(i):
        for _ in range(calls):
            lr(xs[i], s, out=ys[i])

    def one():
        t0 = time.perf_counter_ns()
        loop(0)
        return (time.perf_counter_ns() - t0) / calls

    def two():
        ts = [threading.Thread(target=loop, args=(i,)) for i in range(2)]
        t0 = time.perf_counter_ns()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return (time.perf_counter_ns() - t0) / (2 * calls)  # per call, both threads' calls

    res = {"1 thread": [], "2 threads": []}
    one(), two()
    for r in range(max(3, ROUNDS // 3)):
        for k, f in ((("1 thread", one), ("2 threads", two)) if r % 2 == 0 else
                     (("2 threads", two), ("1 thread", one))):
            res[k].append(f())
    report("2 Python threads x 1M f32 (throughput, per call)", res, "2 threads", "1 thread", 1.3)

    missed = [t for t, ok in rows if not ok]
    print("targets: %d of %d met%s; load average at the end %s" % (
        len(rows) - len(missed), len(rows), "; missed: " + "; ".join(missed) if missed else "",
        " ".join("%.2f" % v for v in os.getloadavg())))


if __name__ == "__main__":
    main()

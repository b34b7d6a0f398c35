#!/usr/bin/env python3
"""bench.py - PyTorch and NumPy LeakyReLU rows for the benchmark TSV (appended to bench.c's).

Same method as bench.c: inputs allocated and written before timing, a warm-up, then
the median of batches of calls; GB/s counts bytes read + written (2 * n * itemsize).
Each library's call overhead is measured on a 1-element tensor and printed.
  torch:  torch._C._nn.leaky_relu(x, s, out=y) (what F.leaky_relu calls, without the
          output allocation) and torch._C._nn.leaky_relu_(x, s) in place, 1 and all
          threads (torch.set_num_threads); float32, bfloat16, float64 (PyTorch 1.13 has
          no float16 LeakyReLU on the CPU).
  numpy:  np.where(x > 0, x, x * s): three temporaries per call, as users write it;
          one thread, out of place only; float32, float64, float16 (no bfloat16).
Environment: BENCH_QUICK=1, BENCH_MAX=elements, BENCH_THREADS=n (as bench.c).
"""
import os
import sys
import time

QUICK = os.environ.get("BENCH_QUICK", "0") not in ("", "0")
SIZES = [64, 1024, 16384, 262144, 4194304] if QUICK else \
    [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]
if os.environ.get("BENCH_MAX"):
    cap = int(os.environ["BENCH_MAX"])
    SIZES = [n for n in SIZES if n <= cap] or SIZES[:1]
BATCH_NS = 100e3 if QUICK else 300e3
BUDGET_NS = 40e6 if QUICK else 250e6
SLOPES = (0.01, 100.0)  # in place alternates, as bench.c does


def measure(fn):
    """Median seconds per call of fn(k) (k alternates 0/1)."""
    fn(0)
    t0 = time.perf_counter_ns()
    fn(1)
    one = max(time.perf_counter_ns() - t0, 1)
    reps = max(1, min(1000000, int(BATCH_NS / one)))
    reps += reps & 1 if reps > 1 else 0
    for r in range(reps):
        fn(r & 1)
    samples = int(BUDGET_NS / (one * reps))
    samples = max(3 if QUICK else 5, min(11 if QUICK else 41, samples))
    if one > 1e9:  # NumPy at 64M: seconds per call (page faults of its temporaries)
        samples = 3
    v = []
    for _ in range(samples):
        t0 = time.perf_counter_ns()
        for r in range(reps):
            fn(r & 1)
        v.append((time.perf_counter_ns() - t0) / reps)
    v.sort()
    return v[len(v) // 2]


def emit(out, impl, dtype, mode, threads, n, itemsize, ns):
    b = 2.0 * n * itemsize
    out.write("%s\t%s\t%s\t%d\t%d\t%.2f\t%.3f\t%.0f\t-\n" % (impl, dtype, mode, threads, n, ns, b / ns, b))
    out.flush()


def bench_torch(out, all_threads):
    try:
        import torch
    except ImportError:
        print("bench.py: PyTorch not installed (python3-torch): skipped")
        return
    print("PyTorch %s" % torch.__version__)
    leaky, leaky_ = torch._C._nn.leaky_relu, torch._C._nn.leaky_relu_
    dtypes = [("float32", torch.float32), ("bfloat16", torch.bfloat16), ("float64", torch.float64)]
    print("  float16: PyTorch 1.13 has no CPU LeakyReLU for float16: skipped")
    t1 = torch.ones(1)
    torch.set_num_threads(1)
    ov = measure(lambda k: leaky(t1, 0.01))
    print("  call overhead (1 element, F.leaky_relu path, allocating): %.0f ns" % ov)
    for name, dt in dtypes:
        for threads in sorted({1, all_threads}):
            torch.set_num_threads(threads)
            for mode in ("out", "inplace"):
                line = []
                for n in SIZES:
                    x = (torch.rand(n, dtype=torch.float32) * 8 - 4).to(dt)
                    if mode == "out":
                        y = torch.empty_like(x)
                        y.fill_(0)
                        ns = measure(lambda k: leaky(x, 0.01, out=y))
                    else:
                        ns = measure(lambda k: leaky_(x, SLOPES[k]))
                    emit(out, "torch", name, mode, threads, n, x.element_size(), ns)
                    line.append("%d:%.0fns" % (n, ns))
                    del x
                print("  torch %s %s %d thr: %s" % (name, mode, threads, " ".join(line)))
    torch.set_num_threads(all_threads)


def bench_numpy(out):
    try:
        import numpy as np
    except ImportError:
        print("bench.py: NumPy not installed (python3-numpy): skipped")
        return
    print("NumPy %s" % np.__version__)
    print("  bfloat16: NumPy has no bfloat16: skipped; in place: np.where has none: skipped")
    x1 = np.ones(1, np.float32)
    ov = measure(lambda k: np.where(x1 > 0, x1, x1 * np.float32(0.01)))
    print("  call overhead (1 element, np.where(x > 0, x, x * s)): %.0f ns" % ov)
    rng = np.random.default_rng(1)
    for name, dt in (("float32", np.float32), ("float64", np.float64), ("float16", np.float16)):
        s = dt(0.01)
        line = []
        for n in SIZES:
            if dt is np.float16 and n > 4194304:
                continue  # NumPy float16 arithmetic is software: keep the run short
            x = (rng.random(n, dtype=np.float32) * 8 - 4).astype(dt)
            ns = measure(lambda k: np.where(x > 0, x, x * s))
            emit(out, "numpy", name, "out", 1, n, x.itemsize, ns)
            line.append("%d:%.0fns" % (n, ns))
            del x
        print("  numpy %s out 1 thr: %s" % (name, " ".join(line)))


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "build/bench/bench.tsv"
    all_threads = int(os.environ.get("BENCH_THREADS", "0")) or len(os.sched_getaffinity(0))
    with open(path, "a") as out:
        bench_torch(out, all_threads)
        bench_numpy(out)
    print("bench.py: rows appended to %s" % path)


if __name__ == "__main__":
    main()

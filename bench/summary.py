#!/usr/bin/env python3
"""summary.py - the benchmark TSV as Markdown: a table per case and issue 5's targets, met or not.

Usage: bench/summary.py build/bench/bench.tsv
A ratio is the peer's time / lrelu's time for the same bytes in the same run (above 1:
lrelu is faster).  Rows other programs append (other dtypes, other impls) are listed
in the tables when they share a case with lrelu, and otherwise ignored.
"""
import sys
from collections import defaultdict


def load(path):
    rows = {}
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            v = dict(zip(header, line.rstrip("\n").split("\t")))
            try:
                key = (v["impl"], v["dtype"], v["mode"], int(v["threads"]), int(v["n"]))
                rows[key] = (float(v["ns"]), float(v["gbps"]), v.get("isa", "-"))
            except (KeyError, ValueError):
                continue
    return rows


def fmt_n(n):
    for unit, div in (("M", 1 << 20), ("K", 1 << 10)):
        if n >= div and n % div == 0:
            return "%d%s" % (n // div, unit)
    return str(n)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "build/bench/bench.tsv"
    rows = load(path)
    ns = lambda i, d, m, t, n: rows.get((i, d, m, t, n), (None,))[0]
    isa = next((v[2] for k, v in rows.items() if k[0] == "lrelu"), "?")
    all_t = max([k[3] for k in rows if k[0] == "lrelu"] or [1])

    cases = defaultdict(set)
    impls = defaultdict(set)
    for (i, d, m, t, n) in rows:
        if i == "lrelu":
            cases[(d, m, t)].add(n)
    for (i, d, m, t, n) in rows:
        if (d, m, t) in cases and i != "lrelu":
            impls[(d, m, t)].add(i)
    order = ["lrelu_tensor", "memcpy", "copy_loop", "plain_c", "onednn", "xnnpack", "torch", "numpy"]

    print("## Results (ISA %s, %s)\n" % (isa, path))
    print("Ratios: peer time / lrelu time (above 1: lrelu faster); lrelu_tensor in ns.\n")
    for (d, m, t) in sorted(cases, key=lambda c: (["float32", "bfloat16", "float16", "float64"].index(c[0])
                                                  if c[0] in ("float32", "bfloat16", "float16", "float64") else 9,
                                                  c[1] != "out", c[2])):
        peers = sorted(impls[(d, m, t)], key=lambda i: order.index(i) if i in order else 99)
        if t > 1:
            peers = [p for p in peers if p != "lrelu_1thr"] + ["lrelu 1 thread"]
        print("### %s, %s, %d thread%s\n" % (d, "out of place" if m == "out" else "in place", t,
                                            "s" if t > 1 else ""))
        print("| elements | lrelu ns | GB/s | " + " | ".join(peers) + " |")
        print("|---:|---:|---:|" + "---:|" * len(peers))
        for n in sorted(cases[(d, m, t)]):
            mine, gb, _ = rows[("lrelu", d, m, t, n)]
            cells = []
            for p in peers:
                if p == "lrelu 1 thread":  # measured in the same round, else the 1-thread table
                    other = ns("lrelu_1thr", d, m, t, n) or ns("lrelu", d, m, 1, n)
                else:
                    other = ns(p, d, m, t, n)
                if other is None:
                    cells.append("-")
                elif p == "lrelu_tensor":
                    cells.append("%.1f" % other)
                else:
                    cells.append("%.2f" % (other / mine))
            print("| %s | %.1f | %.1f | %s |" % (fmt_n(n), mine, gb, " | ".join(cells)))
        print()

    # ---- targets of issue 5 --------------------------------------------------------
    print("## Targets (float32 and 1 thread unless said)\n")
    print("| target | measured | met |")
    print("|---|---:|:---:|")

    def ratio(peer_list, d, m, t, n, base="lrelu"):
        mine = ns(base, d, m, t, n)
        times = [ns(p, d, m, t, n) for p in peer_list]
        times = [x for x in times if x is not None]
        if mine is None or not times:
            return None
        return min(times) / mine  # the faster peer

    def line(text, value, want, higher=True, unit="x"):
        if value is None:
            print("| %s | not measured | - |" % text)
            return
        ok = value >= want if higher else value <= want
        print("| %s | %.2f%s | %s |" % (text, value, unit, "yes" if ok else "no"))

    big = max([n for (i, d, m, t, n) in rows if i == "lrelu"] or [0])
    B = fmt_n(big)
    line("%s out of place >= 1.0x faster of memcpy, copy loop" % B,
         ratio(["memcpy", "copy_loop"], "float32", "out", 1, big), 1.0)
    line("%s out of place >= 1.1x faster of oneDNN, XNNPACK" % B,
         ratio(["onednn", "xnnpack"], "float32", "out", 1, big), 1.1)
    line("%s in place >= 0.95x in-place copy loop" % B,
         ratio(["copy_loop"], "float32", "inplace", 1, big), 0.95)
    for n in (1024, 16384):
        line("%s >= 1.2x faster of oneDNN, XNNPACK" % fmt_n(n),
             ratio(["onednn", "xnnpack"], "float32", "out", 1, n), 1.2)
    line("256K >= 1.0x memcpy", ratio(["memcpy"], "float32", "out", 1, 262144), 1.0)
    r1, r2 = ratio(["onednn"], "float32", "out", 1, 262144), ratio(["xnnpack"], "float32", "out", 1, 262144)
    line("256K >= 1.0x both peers", None if r1 is None or r2 is None else min(r1, r2), 1.0)
    line("64 elements, flat API <= 10 ns", ns("lrelu", "float32", "out", 1, 64), 10.0, False, " ns")
    line("64 elements, tensor API <= 25 ns", ns("lrelu_tensor", "float32", "out", 1, 64), 25.0, False, " ns")
    for d in ("bfloat16", "float16"):
        a, b = ns("lrelu", d, "out", 1, big), ns("lrelu", "float32", "out", 1, big)
        line("%s %s >= 1.8x float32's elements/s" % (d, B), None if a is None or b is None else b / a, 1.8)
    line("bfloat16 16K >= 1.2x oneDNN bf16", ratio(["onednn"], "bfloat16", "out", 1, 16384), 1.2)
    line("float16 16K >= 1.2x XNNPACK f16", ratio(["xnnpack"], "float16", "out", 1, 16384), 1.2)
    if all_t > 1:
        for n in sorted({4194304, big}):
            line("%d threads, %s >= 1.0x faster of oneDNN, XNNPACK (%d threads)" % (all_t, fmt_n(n), all_t),
                 ratio(["onednn", "xnnpack"], "float32", "out", all_t, n), 1.0)
        # Calls that move at most LRELU_PAR_MIN_BYTES (src/internal.h: 16 MiB read +
        # written, the 16-bit types counted double: lrelu_par_weight) never reach the
        # pool: with any thread count they run the same code, so their two rows differ
        # only by the run's noise, reported apart.
        par_min = 16 << 20
        # bytes per element as the threshold counts them (16-bit types doubled)
        counted_size = {"float32": 4, "float64": 8, "bfloat16": 4, "float16": 4}
        worst = {True: None, False: None}
        for (i, d, m, t, n) in rows:
            if i == "lrelu" and t == all_t:
                one = ns("lrelu_1thr", d, m, t, n) or ns("lrelu", d, m, 1, n)
                if one is not None:
                    r = one / rows[(i, d, m, t, n)][0]
                    pooled = 2 * n * counted_size.get(d, 4) > par_min
                    if worst[pooled] is None or r < worst[pooled][0]:
                        worst[pooled] = (r, d, m, n)
        w = worst[True]
        if w is not None:
            line("%d threads never slower than 1 thread, above 16 MiB per call (worst: %s %s %s)"
                 % (all_t, w[1], w[2], fmt_n(w[3])), w[0], 0.95)
        w = worst[False]
        if w is not None:
            line("%d threads never slower than 1 thread, up to 16 MiB: the same code (worst: %s %s %s)"
                 % (all_t, w[1], w[2], fmt_n(w[3])), w[0], 0.95)
    print("\n(\"never slower\" counts as met above 0.95x: below that the difference is larger than "
          "the run-to-run noise of a 1-thread row.  Up to 16 MiB per call (read + written; "
          "bfloat16 and float16 count double) no "
          "call reaches the pool whatever the thread count, so there the two rows time the "
          "same code and any difference is the run's noise.)")

    over = []
    for p in ("torch", "numpy"):
        v = ns(p, "float32", "out", 1, 64)
        if v is not None:
            over.append("%s %.0f ns" % (p, v))
    if over:
        print("\nCall overhead, float32, 64 elements, 1 thread: " + ", ".join(over) + ".")


if __name__ == "__main__":
    main()

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


def load_gap(path):
    """The gap mode's rows (bench.c, BENCH_GAP_MS): (impl, dtype, mode, threads, n) ->
    (wall ns, CPU ns) per loop iteration, and the median call's own ns (None in a file
    written before the bench timed calls)."""
    rows = {}
    try:
        f = open(path)
    except OSError:
        return rows
    with f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            v = dict(zip(header, line.rstrip("\n").split("\t")))
            try:
                rows[(v["impl"], v["dtype"], v["mode"], int(v["threads"]), int(v["n"]))] = (
                    float(v["wall_ns"]), float(v["cpu_ns"]),
                    float(v["call_ns"]) if "call_ns" in v else None)
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
        calib = [rows.get(("calibration", w, "compute", 2, 0), (None, None))[1] for w in ("start", "end")]
        counts = all(c is not None and c >= 1.8 for c in calib)
        print("| calibration: a compute-bound loop on 2 threads vs 1 (start, end) | %s | %s |"
              % (", ".join("-" if c is None else "%.2fx" % c for c in calib),
                 "counts" if counts else "does NOT count"))
        tag = "" if counts else " (run not calibrated)"
        # issue 15: back to back, 2 threads, float32 and bfloat16, out of place and in place
        for d in ("float32", "bfloat16"):
            for m in ("out", "inplace"):
                for n in sorted(k[4] for k in rows if k[0] == "lrelu" and k[1:4] == (d, m, all_t)):
                    if n < 262144:
                        continue
                    mine = ns("lrelu", d, m, all_t, n)
                    one = ns("lrelu_1thr", d, m, all_t, n) or ns("lrelu", d, m, 1, n)
                    want1 = 1.3 if n >= 4194304 else 1.0
                    line("%d threads %s %s %s >= 1.0x faster peer (%d threads)%s"
                         % (all_t, d, m, fmt_n(n), all_t, tag),
                         ratio(["onednn", "xnnpack"], d, m, all_t, n), 1.0)
                    line("%d threads %s %s %s >= %.1fx lrelu 1 thread%s"
                         % (all_t, d, m, fmt_n(n), want1, tag),
                         None if one is None or mine is None else one / mine, want1)
    print("\n(Issue 15: a 2-thread row counts only from runs whose calibration loop scaled "
          ">= 1.8x at the start and at the end.)")

    gap = load_gap(path + ".gap")
    if gap:
        print("\n## Other work between calls (ms per loop iteration: wall, process CPU; "
              "then the call alone, us)\n")
        print("| dtype | mode | elements | lrelu 1 thread | lrelu %d threads | oneDNN | XNNPACK | 2 thr / 1 thr | faster peer / lrelu | call alone: 1 thr / 2 thr |" % all_t)
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for (d, m, n) in sorted({(k[1], k[2], k[4]) for k in gap}, key=lambda c: (c[0], c[1] != "out", c[2])):
            cell = lambda i, t: gap.get((i, d, m, t, n))
            one, mine = cell("lrelu", 1), cell("lrelu", all_t)
            peers = [cell("onednn", all_t), cell("xnnpack", all_t)]
            fmt = lambda v: "-" if v is None else "%.3f, %.3f%s" % (
                v[0] / 1e6, v[1] / 1e6, "" if v[2] is None else "; %.0f us" % (v[2] / 1e3))
            pw = [p[0] for p in peers if p is not None]
            alone = ("-" if one is None or mine is None or one[2] is None or not mine[2]
                     else "%.2f" % (one[2] / mine[2]))
            print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                d, m, fmt_n(n), fmt(one), fmt(mine), fmt(peers[0]), fmt(peers[1]),
                "-" if one is None or mine is None else "%.2f" % (one[0] / mine[0]),
                "-" if not pw or mine is None else "%.2f" % (min(pw) / mine[0]), alone))

    over = []
    for p in ("torch", "numpy"):
        v = ns(p, "float32", "out", 1, 64)
        if v is not None:
            over.append("%s %.0f ns" % (p, v))
    if over:
        print("\nCall overhead, float32, 64 elements, 1 thread: " + ", ".join(over) + ".")


if __name__ == "__main__":
    main()

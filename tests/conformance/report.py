#!/usr/bin/python3
"""report.py - measures every number of docs/semantics.md by running the library.

    /usr/bin/python3 tests/conformance/report.py      (LRELU_LIB= to use another build)

Prints Markdown: difference counts between the semantics (all 16-bit patterns, a fixed
seeded sample of float32/float64 values), PyTorch 1.13 against >= 2.1 for float16 (the
1.13 side run through the real PyTorch), and the edge-case table.  The counts are
lrelu's own outputs compared bit for bit; run.py is what checks that those outputs are
the frameworks' (MindSpore's side read from source, not run).
"""

import os
import subprocess
import sys
import tempfile

import numpy as np

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lreluffi as L  # noqa: E402

NAMES = {L.TORCH: "PyTorch", L.MINDSPORE: "MindSpore", L.ONNX: "ONNX", L.TENSORFLOW: "TensorFlow",
         L.JAX: "JAX", L.ONNXRUNTIME: "ONNX Runtime"}
ALL16 = np.arange(1 << 16, dtype=np.uint16)
NEG_F16 = np.arange(0x8001, 0xFC00, dtype=np.uint16)   # 31,743 negative finite halves
NEG_BF16 = np.arange(0x8001, 0xFF80, dtype=np.uint16)  # 32,639 negative finite bfloat16
RNG = np.random.default_rng(7)
N_RANDOM = 1_000_000


def neg_random(dtype_name):
    """N_RANDOM negative finite values, log-uniform over the normal range."""
    if dtype_name == "float32":
        e = RNG.uniform(-37, 38, N_RANDOM)
        return -(10.0 ** e).astype(np.float32)
    e = RNG.uniform(-307, 308, N_RANDOM)
    return -(10.0 ** e)


def fwd(fw, s, x, dt):
    st, y = L.forward(fw, s, x, dt)
    assert st == L.OK, L.last_error()
    return L.bits(y)


def differ(fa, fb, s, x, dt, sb=None):
    a = fwd(fa, s, x, dt)
    b = fwd(fb, s if sb is None else sb, x, dt)
    return int(np.count_nonzero(a != b))


def fmt(n):
    return "{:,}".format(n)


def forward_counts():
    print("### Forward: values whose bits differ from PyTorch's\n")
    print("Negative finite inputs only (31,743 float16, 32,639 bfloat16, %s random "
          "float32/float64); same slope value given to both.\n" % fmt(N_RANDOM))
    print("| slope | dtype | MindSpore | ONNX | TensorFlow |")
    print("|---|---|---|---|---|")
    f32 = neg_random("float32")
    f64 = neg_random("float64")
    for s in (0.2, 0.01, 0.1, 0.25, -0.5, 1.5):
        for dt, x in (("float16", NEG_F16), ("bfloat16", NEG_BF16), ("float32", f32),
                      ("float64", f64)):
            row = [differ(L.TORCH, fw, s, x, dt) for fw in (L.MINDSPORE, L.ONNX, L.TENSORFLOW)]
            print("| %r | %s | %s |" % (s, dt, " | ".join("%s of %s" % (fmt(c), fmt(x.size))
                                                          for c in row)))
    print()


def all_patterns_counts():
    print("### Forward over all 65,536 bit patterns (every sign, zero, subnormal, inf, NaN)\n")
    print("| slope | dtype | PyTorch vs MindSpore | of which negative finite | zeros | "
          "NaN patterns | infinities |")
    print("|---|---|---|---|---|---|---|")
    for s in (0.2, 0.01, -0.5, 0.0):
        for dt in ("float16", "bfloat16"):
            a = fwd(L.TORCH, s, ALL16, dt)
            b = fwd(L.MINDSPORE, s, ALL16, dt)
            d = a != b
            mag = ALL16 & 0x7FFF
            inf = 0x7C00 if dt == "float16" else 0x7F80
            neg_fin = (ALL16 >= 0x8001) & (mag < inf)
            zero = mag == 0
            nan = mag > inf
            isinf = mag == inf
            print("| %r | %s | %s | %s | %s | %s | %s |" % (
                s, dt, fmt(int(d.sum())), fmt(int((d & neg_fin).sum())), fmt(int((d & zero).sum())),
                fmt(int((d & nan).sum())), fmt(int((d & isinf).sum()))))
    print()


def backward_counts():
    print("### Backward (dL/dy = 1): values whose gradient bits differ from PyTorch's\n")
    print("| slope | dtype | MindSpore | where | TensorFlow |")
    print("|---|---|---|---|---|")
    for s in (0.2, 0.01, -0.5, 1.5):
        for dt in ("float16", "bfloat16"):
            one = np.full(ALL16.size, 0x3C00 if dt == "float16" else 0x3F80, dtype=np.uint16)
            st, a = L.backward(L.TORCH, s, one, ALL16, dt)
            st, b = L.backward(L.MINDSPORE, s, one, ALL16, dt)
            st, t = L.backward(L.TENSORFLOW, s, one, ALL16, dt)
            d = a != b
            mag = ALL16 & 0x7FFF
            inf = 0x7C00 if dt == "float16" else 0x7F80
            kinds = []
            for name, m in (("zeros", mag == 0), ("inf", mag == inf), ("NaN", mag > inf),
                            ("finite", (mag != 0) & (mag < inf))):
                if (d & m).sum():
                    kinds.append("%s %s" % (fmt(int((d & m).sum())), name))
            print("| %r | %s | %s of 65,536 | %s | %s of 65,536 |" % (
                s, dt, fmt(int(d.sum())), ", ".join(kinds), fmt(int((a != t).sum()))))
    print()


def torch_113_vs_21():
    """PyTorch 1.13 has no float16 LeakyReLU on CPU; the usual workaround is to compute in
    float32 and cast back.  That is run here through the real PyTorch and compared with
    lrelu's float16 (PyTorch >= 2.1's rule)."""
    import torch
    import torch.nn.functional as F
    print("### PyTorch 1.13 vs >= 2.1 for float16\n")
    try:
        F.leaky_relu(torch.ones(2, dtype=torch.half), 0.2)
        refused = "accepted"
    except RuntimeError as e:
        refused = str(e)
    print("PyTorch 1.13.1 on CPU: `%s`.\n" % refused)
    print("| slope | 1.13 workaround `F.leaky_relu(x.float(), s).half()` vs lrelu (>= 2.1 rule) "
          "| half-precision slope `x * half(s)` vs >= 2.1 rule |")
    print("|---|---|---|")
    xt = torch.from_numpy(ALL16.view(np.int16).copy()).view(torch.half)
    for s in (0.2, 0.01, 0.1, 1 / 3, -0.5):
        w = F.leaky_relu(xt.float(), s).half().view(torch.int16).numpy().view(np.uint16)
        ours = fwd(L.TORCH, s, ALL16, "float16")
        nan = L.is_nan_bits(ours, "float16")
        same_nan = nan & L.is_nan_bits(w, "float16")
        d = int(np.count_nonzero((w != ours) & ~same_nan))
        dn = int(np.count_nonzero((w != ours) & same_nan))
        half = differ(L.TORCH, L.ONNX, s, NEG_F16, "float16")
        print("| %r | %s of 65,536 (plus %s NaN patterns whose payload bits differ) | "
              "%s of 31,743 negative finite |" % (s, fmt(d), fmt(dn), fmt(half)))
    print()


def show(dt, b):
    if isinstance(b, str):
        return b
    if dt == "float32":
        v = np.array([b], np.uint32).view(np.float32)[0]
        return "%s (0x%08x)" % (repr(float(v)) if v == v else "nan", b)
    if dt == "float64":
        v = np.array([b], np.uint64).view(np.float64)[0]
        return "%r" % float(v)
    if dt == "float16":
        v = np.array([b], np.uint16).view(np.float16)[0]
        return "%s (0x%04x)" % (repr(float(v)) if v == v else "nan", b)
    return "0x%04x" % b


def one(fw, s, xbits, dt):
    store = {"float32": np.uint32, "float64": np.uint64, "float16": np.uint16,
             "bfloat16": np.uint16}[dt]
    x = np.array([xbits], dtype=store)
    if dt in ("float32", "float64"):
        x = x.view(L.DTYPES[dt][1])
    st, y = L.forward(fw, s, x, dt)
    if st != L.OK:
        return "refused (%s)" % {L.ERR_SLOPE: "slope overflow"}.get(st, st)
    return show(dt, int(L.bits(y)[0]))


def edge_table():
    print("### Edge cases (reference section 9), float32 unless stated\n")
    print("| case | x | slope | PyTorch | MindSpore | ONNX | TensorFlow |")
    print("|---|---|---|---|---|---|---|")
    f = lambda v: int(np.array([v], np.float32).view(np.uint32)[0])  # noqa: E731
    h = lambda v: int(np.array([v], np.float16).view(np.uint16)[0])  # noqa: E731
    d = lambda v: int(np.array([v], np.float64).view(np.uint64)[0])  # noqa: E731
    rows = [
        ("quiet NaN input", "float32", 0x7FC00000, 0.2),
        ("signalling NaN input", "float32", 0x7F800001, 0.2),
        ("negative NaN input", "float32", 0xFFC00001, 0.2),
        ("-0.0, negative slope", "float32", f(-0.0), -0.5),
        ("+0.0, negative slope", "float32", f(0.0), -0.5),
        ("-0.0, positive slope", "float32", f(-0.0), 0.2),
        ("-inf, slope 0", "float32", f(-np.inf), 0.0),
        ("+inf, slope 0", "float32", f(np.inf), 0.0),
        ("NaN slope", "float32", f(-1.0), float("nan")),
        ("NaN slope", "float32", f(0.0), float("nan")),
        ("NaN slope", "float32", f(2.0), float("nan")),
        ("slope > 1", "float32", f(-2.0), 1.5),
        ("slope > 1", "float32", f(2.0), 1.5),
        ("huge slope (above FLT_MAX)", "float32", f(-1.0), 1e39),
        ("huge slope (above FLT_MAX)", "float32", f(0.0), 1e39),
        ("slope +inf", "float32", f(0.0), float("inf")),
        ("slope +inf", "float32", f(-1.0), float("inf")),
        ("slope too big for half", "float16", h(-1e-4), 7e4),
        ("slope too big for half", "float16", h(0.0), 7e4),
        ("float16 rounding", "float16", h(-3.0), 0.2),
        ("float16 underflow", "float16", 0x8032, 0.01),
        ("float64 slope", "float64", d(-1.0), 0.2),
        ("bfloat16 NaN", "bfloat16", 0x7F81, 0.2),
    ]
    for name, dt, xb, s in rows:
        xs = show(dt, xb) if dt != "float64" else show(dt, xb)
        cells = [one(fw, s, xb, dt) for fw in (L.TORCH, L.MINDSPORE, L.ONNX, L.TENSORFLOW)]
        print("| %s%s | %s | %r | %s |" % (name, "" if dt == "float32" else " (%s)" % dt, xs, s,
                                          " | ".join(cells)))
    print()
    print("Backward at the kink (dL/dy = 1, float32): ")
    print()
    print("| x | slope | PyTorch | MindSpore | TensorFlow |")
    print("|---|---|---|---|---|")
    for xv, s in ((0.0, 0.2), (-0.0, 0.2), (float("inf"), 0.2), (float("nan"), 0.2), (0.0, 1.5),
                  (-1.0, 0.2), (2.0, 0.2)):
        x = np.array([xv], np.float32)
        g = np.ones(1, np.float32)
        cells = []
        for fw in (L.TORCH, L.MINDSPORE, L.TENSORFLOW):
            st, dx = L.backward(fw, s, g, x, "float32")
            cells.append(repr(float(dx[0])))
        print("| %r | %r | %s |" % (xv, s, " | ".join(cells)))
    print()


def worked_example():
    print("### Worked example\n")
    x16 = np.array([-3.0, -1.0, -0.0, 2.5, -2.98e-6, -65504.0], dtype=np.float16)
    xb = x16.view(np.uint16)
    print("float16 x = %s, slope 0.2:\n" % [float(v) for v in x16])
    print("| x | PyTorch (>= 2.1) | MindSpore | ONNX | TensorFlow |")
    print("|---|---|---|---|---|")
    for i in range(x16.size):
        cells = [one(fw, 0.2, int(xb[i]), "float16")
                 for fw in (L.TORCH, L.MINDSPORE, L.ONNX, L.TENSORFLOW)]
        print("| %r | %s |" % (float(x16[i]), " | ".join(cells)))
    print()


def command_crosscheck():
    exe = os.environ.get("LRELU_CMD") or os.path.join(L.ROOT, "build", "lrelu")
    if not os.access(exe, os.X_OK):
        print("(build/lrelu not built: `lrelu diff` cross-check skipped)\n")
        return
    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, "neg.npy")
        np.save(p, NEG_F16.view(np.float16))
        out = subprocess.run([exe, "diff", "--alpha", "0.2", p], capture_output=True,
                             text=True).stdout.splitlines()[0]
    print("Cross-check with the command: `lrelu diff --alpha 0.2 neg_f16.npy` (the 31,743 "
          "negative finite halves) prints:\n\n    %s\n" % out)


def jax_ort_counts():
    """§9: JAX and ONNX Runtime (read from source) against the others."""
    print("### JAX and ONNX Runtime: values whose bits differ\n")
    print("| slope | dtype | inputs | JAX vs PyTorch | JAX vs ONNX | JAX vs TensorFlow | "
          "JAX vs MindSpore |")
    print("|---|---|---|---:|---:|---:|---:|")
    for s in (0.01, 0.2, -0.5, 1.5):
        for dt, x, what in (("bfloat16", ALL16, "all 65,536 patterns"),
                            ("float16", ALL16, "all 65,536 patterns"),
                            ("float32", neg_random("float32"), "1M negative")):
            row = [differ(L.JAX, fw, s, x, dt) for fw in (L.TORCH, L.ONNX, L.TENSORFLOW, L.MINDSPORE)]
            print("| %g | %s | %s | %s |" % (s, dt, what, " | ".join(fmt(n) for n in row)))
    f32 = ALL16.astype(np.uint32) << 16  # every bfloat16 pattern widened: all float32 classes
    x = f32.view(np.float32)
    print("\nONNX Runtime vs JAX, float32, the 65,536 float32 values with a bfloat16 pattern "
          "(every class: zeros, subnormals, infinities, quiet and signalling NaNs):\n")
    for s in (0.01, 0.2, -0.5):
        print("- slope %g: ONNX Runtime vs JAX %s, vs ONNX %s, vs PyTorch %s" % (
            s, fmt(differ(L.ONNXRUNTIME, L.JAX, s, x, "float32")),
            fmt(differ(L.ONNXRUNTIME, L.ONNX, s, x, "float32")),
            fmt(differ(L.ONNXRUNTIME, L.TORCH, s, x, "float32"))))
    x64 = neg_random("float64")
    print("- float64, 1M negative values, slope 0.2: JAX (double slope) vs PyTorch %s, "
          "JAX vs ONNX (float slope) %s" % (fmt(differ(L.JAX, L.TORCH, 0.2, x64, "float64")),
                                            fmt(differ(L.JAX, L.ONNX, 0.2, x64, "float64"))))
    g = np.ones(1 << 16, dtype=np.uint16)
    for dt, one in (("bfloat16", 0x3F80), ("float16", 0x3C00)):
        g[:] = one
        st, a = L.backward(L.JAX, 0.2, g, ALL16, dt)
        st, b = L.backward(L.TORCH, 0.2, g, ALL16, dt)
        print("- backward, %s, all patterns, dy = 1, slope 0.2: JAX vs PyTorch %s "
              "(the two zeros)" % (dt, fmt(int(np.count_nonzero(L.bits(a) != L.bits(b))))))
    print()


def main():
    print("<!-- produced by: /usr/bin/python3 tests/conformance/report.py -->\n")
    forward_counts()
    all_patterns_counts()
    backward_counts()
    torch_113_vs_21()
    edge_table()
    worked_example()
    command_crosscheck()
    jax_ort_counts()


if __name__ == "__main__":
    main()

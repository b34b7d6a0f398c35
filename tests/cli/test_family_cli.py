#!/usr/bin/python3
# test_family_cli.py - `lrelu --op rrelu|prelu` and `lrelu diff --op rrelu|prelu` end to
# end against Debian's PyTorch 1.13: RReLU eval and training (seeds, dtypes, specials,
# noise file, Fortran and big-endian files), PReLU forward and backward (weights from a
# literal, a .npy, an .npz member; one and C channels; layouts), every refusal with its
# exit status and nothing left on disk, also with the second outputs' temporary files
# named (the knobs build) and a signal or an error arriving after they were created.
# Usage: test_family_cli.py path/to/lrelu [path/to/lrelu-knobs]
import io
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check  # noqa: E402
import checks  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

LRELU = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/lrelu")
KNOBS = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "build/tests/lrelu-knobs")
TMP = tempfile.mkdtemp(prefix="lrelu-family-test-")
SPECIALS = [-1.5, 2.0, -0.0, 0.0, float("nan"), float("-inf"), float("inf"), -3e-39, 1e-3,
            -7.25, 100.0, -1e30]


def run(args):
    p = subprocess.run([LRELU] + [str(a) for a in args], capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode(errors="replace")


def path(name):
    return os.path.join(TMP, name)


def to_np(t):
    """A tensor as the array the command reads and writes (bfloat16 as <u2 bits)."""
    if t.dtype == torch.bfloat16:
        return t.detach().contiguous().view(torch.int16).numpy().view(np.uint16)
    return t.detach().numpy()


def bits(a):
    a = np.ascontiguousarray(a)
    return a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.itemsize]).tolist()


def same(a, b, any_nan):
    """Bits equal; with any_nan, a NaN also equals any NaN (PyTorch's bfloat16 NaN bits
    depend on the element's position, and a sum's NaN on its order)."""
    if not any_nan:
        return bits(a) == bits(b)
    fa = np.asarray(a, dtype=np.uint16).astype(np.uint32) << 16 if np.asarray(a).dtype == np.uint16 else a
    fb = np.asarray(b, dtype=np.uint16).astype(np.uint32) << 16 if np.asarray(b).dtype == np.uint16 else b
    if np.asarray(a).dtype == np.uint16:
        fa, fb = np.asarray(fa).view(np.float32), np.asarray(fb).view(np.float32)
    fa, fb = np.ascontiguousarray(fa).ravel(), np.ascontiguousarray(fb).ravel()
    nan = np.isnan(fa) & np.isnan(fb)
    return fa.shape == fb.shape and bits(fa[~nan]) == bits(fb[~nan])


def save(name, t, fortran=False, big=False):
    a = to_np(t)
    if fortran:
        a = np.asfortranarray(a)
    if big:
        a = a.astype(a.dtype.newbyteorder(">"))
    np.save(path(name), a)
    return path(name)


def dtype_args(dt):
    return ["--dtype", "bfloat16"] if dt == torch.bfloat16 else []


def leftovers():
    return sorted(f for f in os.listdir(TMP) if f.startswith("."))


DTYPES = [torch.float32, torch.float64, torch.bfloat16]

# ---- RReLU eval: F.rrelu(training=False), forward and gradient -------------------------
for dt in DTYPES:
    for lo, up in [(None, None), (0.1, 0.3), (0.2, 0.2), (-0.5, 2.0)]:
        x = torch.tensor(SPECIALS, dtype=dt)
        a = [] if lo is None else ["--lower", lo, "--upper", up]
        L, U = (1 / 8, 1 / 3) if lo is None else (lo, up)
        xp = save("x.npy", x)
        rc, out, err = run(["--op", "rrelu"] + a + dtype_args(dt) + [xp, path("y.npy")])
        want = F.rrelu(x, L, U, training=False)
        check(rc == 0 and bits(np.load(path("y.npy"))) == bits(to_np(want)),
              "rrelu eval %s %s %s: %s" % (dt, lo, up, err))
        xg = x.clone().requires_grad_()
        gy = torch.linspace(-2, 3, len(SPECIALS)).to(dt)
        F.rrelu(xg, L, U, training=False).backward(gy)
        gp = save("g.npy", gy)
        rc, out, err = run(["--op", "rrelu", "--grad", gp] + a + dtype_args(dt) +
                           [xp, path("dx.npy")])
        check(rc == 0 and bits(np.load(path("dx.npy"))) == bits(to_np(xg.grad)),
              "rrelu eval backward %s %s: %s" % (dt, lo, err))

# printed, and a literal in float64 (the double midpoint kept)
rc, out, err = run(["--op", "rrelu", "--dtype", "float64", "[-1.0, 2.0]"])
check(rc == 0 and out == "[-0.22916667  2.        ]\n", "rrelu eval printed: %r %s" % (out, err))
rc, out, err = run(["--op", "rrelu", "--dtype", "float64", "--bits", "-1.0"])
want = np.array([F.rrelu(torch.tensor([-1.0], dtype=torch.float64), training=False).item()])
check(rc == 0 and out.strip() == "0x%016x" % want.view(np.uint64)[0], "float64 midpoint: " + out)

# ---- RReLU training: torch.manual_seed(S), then the module in training ----------------


def torch_train(x, seed, lo=1 / 8, up=1 / 3, gy=None):
    torch.manual_seed(seed)
    noise = torch.empty_like(x)
    xg = x.clone().requires_grad_()
    y = torch.ops.aten.rrelu_with_noise(xg, noise, lo, up, True)
    after = torch.rand(3)
    g = None
    if gy is not None:
        y.backward(gy)
        g = xg.grad
    return y.detach(), noise, g, after


for dt in DTYPES:
    for seed in [0, 42, 2 ** 32 + 5, -1, 2 ** 64 - 1, -2 ** 63]:
        x = torch.tensor(SPECIALS * 3, dtype=dt)
        y, noise, _, _ = torch_train(x, seed)
        xp = save("x.npy", x)
        for f in ("y.npy", "n.npy"):
            if os.path.exists(path(f)):
                os.unlink(path(f))
        rc, out, err = run(["--op", "rrelu", "--train", "--seed", seed, "--noise",
                            path("n.npy")] + dtype_args(dt) + [xp, path("y.npy")])
        ok = rc == 0 and bits(np.load(path("y.npy"))) == bits(to_np(y)) and \
            bits(np.load(path("n.npy"))) == bits(to_np(noise))
        check(ok, "rrelu train %s seed %d: %s" % (dt, seed, err))

# backward draws the same noise again: grad * noise as autograd gives it
for dt in DTYPES:
    x = torch.tensor(SPECIALS * 2, dtype=dt)
    gy = torch.linspace(-3, 3, x.numel()).to(dt)
    _, noise, gx, _ = torch_train(x, 7, 0.1, 0.9, gy)
    rc, out, err = run(["--op", "rrelu", "--train", "--seed", 7, "--lower", 0.1, "--upper",
                        0.9, "--grad", save("g.npy", gy)] + dtype_args(dt) +
                       [save("x.npy", x), path("dx.npy")])
    check(rc == 0 and bits(np.load(path("dx.npy"))) == bits(to_np(gx)),
          "rrelu train backward %s: %s" % (dt, err))

# Fortran order (drawn in C order, computed whole), big-endian, a chunk boundary (2M
# float32 elements: the generator carried across the command's 4 MiB chunks)
torch.manual_seed(3)
x2 = torch.randn(5, 7)
y2, n2, _, _ = torch_train(x2, 11)
rc, out, err = run(["--op", "rrelu", "--train", "--seed", 11, "--noise", path("n.npy"),
                    save("xf.npy", x2, fortran=True), path("y.npy")])
yf = np.load(path("y.npy"))
check(rc == 0 and yf.flags.f_contiguous and bits(yf) == bits(y2.numpy()) and
      bits(np.load(path("n.npy"))) == bits(n2.numpy()), "rrelu train Fortran: " + err)
rc, out, err = run(["--op", "rrelu", "--train", "--seed", 11, save("xb.npy", x2, big=True),
                    path("yb.npy")])
yb = np.load(path("yb.npy"))
check(rc == 0 and yb.dtype.byteorder == ">" and bits(yb.astype("<f4")) == bits(y2.numpy()),
      "rrelu train big-endian: " + err)
xl = torch.randn(2 ** 20 + 3)
yl, nl, _, _ = torch_train(xl, 5)
rc, out, err = run(["--op", "rrelu", "--train", "--seed", 5, save("xl.npy", xl), path("yl.npy")])
check(rc == 0 and np.array_equal(np.load(path("yl.npy")).view(np.uint32),
                                 yl.numpy().view(np.uint32)), "rrelu train across chunks")

# printed: the result, and the noise still written
rc, out, err = run(["--op", "rrelu", "--train", "--seed", 0, "--noise", path("np.npy"),
                    "[-1.0, 2.0, -3.0, 0.0]"])
y, noise, _, _ = torch_train(torch.tensor([-1.0, 2.0, -3.0, 0.0]), 0)
check(rc == 0 and out == str(y.numpy()) + "\n" and
      bits(np.load(path("np.npy"))) == bits(noise.numpy()), "rrelu printed + noise: " + out + err)

# ---- RReLU refusals: both sides of each boundary -------------------------------------
rc, _, err = run(["--op", "rrelu", "--lower", 0.3, "--upper", 0.3, "-1.0"])
check(rc == 0, "lower == upper accepted: " + err)
up = np.nextafter(0.3, 0)
rc, _, err = run(["--op", "rrelu", "--lower", 0.3, "--upper", repr(float(up)), "-1.0"])
check(rc == 2 and "Lower bound should be less than or equal to the upper bound" in err,
      "lower one ulp above upper refused: " + err)
for lo, up in [("nan", "0.3"), ("0.1", "nan")]:
    for tr in ([], ["--train", "--seed", "0"]):
        rc, _, err = run(["--op", "rrelu", "--lower", lo, "--upper", up] + tr + ["1.0"])
        check(rc == 2 and "Lower bound" in err, "NaN bound %s %s %s: %s" % (lo, up, tr, err))
for seed, ok in [(2 ** 64 - 1, True), (2 ** 64, False), (-2 ** 63, True), (-2 ** 63 - 1, False),
                 ("1.5", False), ("", False), ("0x10", False), ("-", False)]:
    rc, _, err = run(["--op", "rrelu", "--train", "--seed", seed, "-1.0"])
    check((rc == 0) == ok and (ok or (rc == 2 and "--seed" in err)), "seed %r: %s" % (seed, err))
for args, what in [
        (["--op", "rrelu", "--train", "1.0"], "--train needs --seed"),
        (["--op", "rrelu", "--seed", "1", "1.0"], "add --train"),
        (["--op", "rrelu", "--noise", path("n2.npy"), "1.0"], "add --train"),
        (["--op", "rrelu", "--negative-slope", "0.1", "1.0"], "--lower and --upper"),
        (["--op", "rrelu", "--weight", "1.0", "1.0"], "--weight belongs to --op prelu"),
        (["--op", "rrelu", "-f", "mindspore", "1.0"], "no eval mode"),
        (["--op", "rrelu", "-f", "onnx", "1.0"], "only PyTorch's RReLU"),
        (["--lower", "0.1", "1.0"], "--lower belongs to --op rrelu"),
        (["--train", "1.0"], "--train belongs to --op rrelu"),
        (["--seed", "1", "1.0"], "--seed belongs to --op rrelu --train"),
        (["--op", "relu", "1.0"], "not one of leaky_relu, rrelu, prelu"),
        (["--op", "rrelu", "--train", "--seed", "1", "--noise", "-", "1.0"], "needs a file name"),
        (["--op", "rrelu", "--from-result", "--grad", "1.0", "1.0"], "--from-result"),
]:
    rc, _, err = run(args)
    check(rc == 2 and what in err, "refused %s: %s" % (args, err))
rc, _, err = run(["--op", "rrelu", "--train", "--seed", "1", "--noise", path("n3.npy"), "--dtype",
                  "float16", "-1.0", path("y3.npy")])
check(rc != 0 and not os.path.exists(path("n3.npy")) and not os.path.exists(path("y3.npy")) and
      not leftovers(), "float16 refused, no output nor noise left: " + err)
# An infinite range: PyTorch refuses it only where an element draws.
rc, out, _ = run(["--op", "rrelu", "--train", "--seed", "1", "--lower", "inf", "--upper", "inf",
                  "1.0"])
check(rc == 0 and out.strip() == "1.0", "infinite bounds, no draw: " + out)
rc, out, err = run(["--op", "rrelu", "--train", "--seed", "1", "--lower", "inf", "--upper", "inf",
                    "-1.0"])
check(rc != 0 and out == "" and "Expected to - from <= std::numeric_limits<T>::max()" in err,
      "infinite bounds with a draw refused as PyTorch refuses them: %d %r" % (rc, err))

# ---- PReLU ---------------------------------------------------------------------------
torch.manual_seed(1)
cases = [((7,), 1), ((4, 3), 1), ((4, 3), 3), ((2, 3, 4, 5), 3), ((2, 3, 4, 5), 1), ((2, 1), 1)]
for dt in DTYPES:
    for shape, nw in cases:
        for fortran in (False, True):
            x = torch.randn(*shape).to(dt)
            k = min(4, x.numel())
            x.view(-1)[:k] = torch.tensor([0.0, -0.0, float("nan"), float("-inf")][:k]).to(dt)
            w = (torch.rand(nw) - 0.5).to(dt)
            w.view(-1)[0] = -0.75
            gy = torch.randn(*shape).to(dt)
            xg, wg = x.clone().requires_grad_(), w.clone().requires_grad_()
            y = F.prelu(xg, wg)
            y.backward(gy)
            xp = save("x.npy", x, fortran)
            wp = save("w.npy", w)
            rc, _, err = run(["--op", "prelu", "--weight", wp] + dtype_args(dt) +
                             [xp, path("y.npy")])
            got = np.load(path("y.npy")) if rc == 0 else None
            check(rc == 0 and same(got, to_np(y), dt == torch.bfloat16) and
                  (got.flags.f_contiguous if fortran else got.flags.c_contiguous),
                  "prelu %s %s w%d F%d: %s" % (dt, shape, nw, fortran, err))
            rc, _, err = run(["--op", "prelu", "--weight", wp, "--grad",
                              save("g.npy", gy, fortran), "--grad-weight", path("gw.npy")] +
                             dtype_args(dt) + [xp, path("dx.npy")])
            check(rc == 0 and same(np.load(path("dx.npy")), to_np(xg.grad), dt == torch.bfloat16),
                  "prelu grad_input %s %s w%d F%d: %s" % (dt, shape, nw, fortran, err))
            # dL/dweight: the exact sum of PyTorch's rounded products, rounded once
            xs = x.double().reshape(shape[0], shape[1] if len(shape) > 1 else 1, -1) \
                if len(shape) > 1 else x.double().reshape(1, 1, -1)
            gs = gy.double().reshape(xs.shape)
            prod = torch.where(xs > 0, torch.zeros_like(xs), (x * gy).double().reshape(xs.shape))
            if nw == 1:
                want = [math.fsum(prod.flatten().tolist())]
            else:
                want = [math.fsum(prod[:, c].flatten().tolist()) for c in range(nw)]
            want = torch.tensor(want, dtype=torch.float64).to(dt)
            gw = np.load(path("gw.npy")) if rc == 0 else None
            check(rc == 0 and gw.shape == (nw,) and same(gw, to_np(want), True),
                  "prelu grad_weight %s %s w%d F%d: %s %s" % (dt, shape, nw, fortran, gw, want))

# the weight: default 0.25, a literal in INPUT's dtype, an .npz member, a 0-d array
x = torch.tensor([[-1.0, 2.0, -3.0], [4.0, -5.0, 0.5]], dtype=torch.float64)
xp = save("x64.npy", x)
rc, _, err = run(["--op", "prelu", xp, path("y.npy")])
check(rc == 0 and bits(np.load(path("y.npy"))) == bits(F.prelu(x, torch.tensor([0.25], dtype=torch.float64)).numpy()),
      "prelu default weight 0.25: " + err)
rc, _, err = run(["--op", "prelu", "--weight", "[0.1, 0.2, 0.3]", xp, path("y.npy")])
w = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)
check(rc == 0 and bits(np.load(path("y.npy"))) == bits(F.prelu(x, w).numpy()),
      "prelu literal weight in float64: " + err)
np.savez(path("wz.npz"), prelu=w.numpy(), other=np.zeros(2))
rc, _, err = run(["--op", "prelu", "--weight", path("wz.npz") + ":prelu", xp, path("y.npy")])
check(rc == 0 and bits(np.load(path("y.npy"))) == bits(F.prelu(x, w).numpy()),
      "prelu weight from an .npz member: " + err)
np.save(path("w0.npy"), np.array(0.5))
rc, _, err = run(["--op", "prelu", "--weight", path("w0.npy"), xp, path("y.npy")])
check(rc == 0 and bits(np.load(path("y.npy"))) == bits(F.prelu(x, torch.tensor(0.5, dtype=torch.float64)).numpy()),
      "prelu 0-d weight: " + err)
# the weight gradient keeps a big-endian weight's byte order
wb = np.array([0.1, 0.2, 0.3], dtype=">f8")
np.save(path("wb.npy"), wb)
rc, _, err = run(["--op", "prelu", "--weight", path("wb.npy"), "--grad", xp, "--grad-weight",
                  path("gwb.npy"), xp, path("dx.npy")])
rc2, _, err2 = run(["--op", "prelu", "--weight", "[0.1, 0.2, 0.3]", "--grad", xp,
                    "--grad-weight", path("gwl.npy"), xp, path("dx.npy")])
gwb = np.load(path("gwb.npy")) if rc == 0 else None
check(rc == 0 and rc2 == 0 and gwb.dtype.str == ">f8" and
      gwb.astype("<f8").tolist() == np.load(path("gwl.npy")).tolist(),
      "grad_weight keeps the weight's byte order, same values: " + err + err2)

# streamed in chunks of whole (C, inner) blocks: more than one 4 MiB chunk, C and
# Fortran order, forward and input gradient; and a block larger than a chunk
for shape in [(8, 3, 256, 256), (1, 2, 1024, 1100)]:
    for fortran in (False, True):
        x = torch.randn(*shape)
        gy = torch.randn(*shape)
        w = torch.tensor([0.1, -0.3, 0.7][:shape[1]])
        xg = x.clone().requires_grad_()
        y = F.prelu(xg, w)
        y.backward(gy)
        xp, gp = save("xs.npy", x, fortran), save("gs.npy", gy, fortran)
        wl = "[" + ", ".join(repr(float(v)) for v in w.tolist()) + "]"
        rc, _, err = run(["--op", "prelu", "--weight", wl, xp, path("ys.npy")])
        check(rc == 0 and np.array_equal(np.load(path("ys.npy")).view(np.uint32),
                                         y.detach().numpy().view(np.uint32)),
              "prelu streamed %s F%d: %s" % (shape, fortran, err))
        rc, _, err = run(["--op", "prelu", "--weight", wl, "--grad", gp, xp, path("ys.npy")])
        check(rc == 0 and np.array_equal(np.load(path("ys.npy")).view(np.uint32),
                                         xg.grad.numpy().view(np.uint32)),
              "prelu grad_input streamed %s F%d: %s" % (shape, fortran, err))

# dL/dweight has the same bits whatever --threads (PyTorch's own sum does not)
xt = torch.randn(64, 4, 64, 64)
np.save(path("xt.npy"), xt.numpy())
np.save(path("gt.npy"), torch.randn(64, 4, 64, 64).numpy())
gws = []
for n in (1, 2, 4, 8):
    rc, _, err = run(["--op", "prelu", "--threads", n, "--weight", "[0.1, 0.2, 0.3, 0.4]",
                      "--grad", path("gt.npy"), "--grad-weight", path("gwt.npy"), path("xt.npy"),
                      path("dxt.npy")])
    gws.append(bits(np.load(path("gwt.npy"))) if rc == 0 else err)
check(all(g == gws[0] for g in gws) and len(gws[0]) == 4, "grad_weight for 1..8 threads: %s" % gws)

# a bfloat16 input takes a float32 weight file (PyTorch 1.13's mixed dtypes, where the
# library has them): dL/dweight then in the weight's dtype
xb = torch.randn(4, 3).bfloat16()
gb = torch.randn(4, 3).bfloat16()
wf = torch.tensor([0.1, -0.3, 0.7])
np.save(path("wf.npy"), wf.numpy())
xg, wg = xb.clone().requires_grad_(), wf.clone().requires_grad_()
F.prelu(xg, wg).backward(gb)
rc, _, err = run(["--op", "prelu", "--dtype", "bfloat16", "--weight", path("wf.npy"), "--grad",
                  save("gb.npy", gb), "--grad-weight", path("gwf.npy"), save("xb.npy", xb),
                  path("dxb.npy")])
if rc == 0:
    gwf = np.load(path("gwf.npy"))
    check(gwf.dtype == np.float32 and bits(np.load(path("dxb.npy"))) == bits(to_np(xg.grad)),
          "bfloat16 input, float32 weight: %s %s" % (gwf, wg.grad))
else:
    check(rc == 1 and "dtype" in err, "bfloat16 input, float32 weight refused: " + err)

# ---- PReLU refusals: each with nothing left behind -------------------------------------
for f in os.listdir(TMP):
    if f in ("y.npy", "gw.npy", "dx.npy"):
        os.unlink(path(f))
x32 = save("x32.npy", torch.tensor([[-1.0, 2.0, -3.0], [4.0, -5.0, 0.5]]))
np.save(path("w64.npy"), np.array([0.1, 0.2, 0.3]))
for args, rcw, what in [
        (["--weight", "[0.1, 0.2]", x32], 1, "Found parameter numbers = 2 and channel size = 3"),
        (["--weight", "[0.1, 0.2, 0.3, 0.4]", x32], 1, "parameter numbers = 4"),
        (["--weight", "[0.1, 0.2, 0.3, 0.4]", "[-1.0, 2.0, 3.0, 4.0]"], 1,
         "Found parameter numbers = 4 and channel size = 1."),
        (["--weight", path("w64.npy"), x32], 1, "dtype"),
        (["--weight", "[[0.1, 0.2, 0.3]]", x32], 1, "weight"),
        (["--dtype", "float16", "[-1.0]"], 1, "Half"),
        (["--weight", path("missing.npy"), x32], 1, "cannot open"),
        (["--inplace", x32], 2, "no in-place form"),
        (["--negative-slope", "0.1", x32], 2, "takes --weight"),
        (["--lower", "0.1", x32], 2, "--lower belongs to --op rrelu"),
        (["--grad-weight", path("gw.npy"), x32], 2, "needs --grad"),
        (["--grad", x32, "--grad-weight", "-", x32], 2, "needs a file name"),
        (["--grad", x32, "--grad-weight", x32, x32], 2, "would replace INPUT"),
        (["--weight", "", x32], 2, "empty name"),
]:
    rc, _, err = run(["--op", "prelu"] + args + [path("y.npy")])
    check(rc == rcw and what in err and not os.path.exists(path("y.npy")) and
          not os.path.exists(path("gw.npy")) and not leftovers(),
          "prelu refused %s: rc %d %s" % (args, rc, err))
rc, out, err = run(["--op", "prelu", "-1.0"])
check(rc == 0 and out == "-0.25\n", "prelu on a 0-d input, as PyTorch: " + out + err)
rc, _, err = run(["--weight", "0.5", "1.0"])
check(rc == 2 and "--weight belongs to --op prelu" in err, "--weight without --op: " + err)
rc, _, err = run(["--op", "prelu", "-f", "onnx", x32])
check(rc == 2 and "onnx" in err and "not implemented" in err, "prelu -f onnx: " + err)

# ---- whole .npz archives ----------------------------------------------------------------
a1, a2 = torch.randn(3, 4), torch.randn(5, 4)
np.savez(path("in.npz"), a=a1.numpy(), b=a2.numpy())
rc, _, err = run(["--op", "prelu", "--weight", "[0.1, 0.2, 0.3, 0.4]", path("in.npz"), path("out.npz")])
w4 = torch.tensor([0.1, 0.2, 0.3, 0.4])
z = np.load(path("out.npz")) if rc == 0 else None
check(rc == 0 and bits(z["a"]) == bits(F.prelu(a1, w4).numpy()) and
      bits(z["b"]) == bits(F.prelu(a2, w4).numpy()), "prelu on every member: " + err)
rc, _, err = run(["--op", "rrelu", "--train", "--seed", "4", path("in.npz"), path("out.npz")])
torch.manual_seed(4)
ya, yb = F.rrelu(a1, training=True), F.rrelu(a2, training=True)
z = np.load(path("out.npz")) if rc == 0 else None
check(rc == 0 and bits(z["a"]) == bits(ya.numpy()) and bits(z["b"]) == bits(yb.numpy()),
      "rrelu train: one generator through the members in order: " + err)
rc, _, err = run(["--op", "rrelu", "--train", "--seed", "4", "--noise", path("n.npy"),
                  path("in.npz"), path("out2.npz")])
check(rc == 2 and "pick one array" in err and not os.path.exists(path("out2.npz")),
      "--noise with a whole archive: " + err)

# ---- lrelu diff --op ---------------------------------------------------------------------
rc, out, err = run(["diff", "--op", "rrelu", "[-1.0, 2.0, -0.5]"])
check(rc == 1 and "no eval mode" in out and "0.2291666716337204 in float32" in out and
      out.endswith("[-0.22916667  2.         -0.11458334]\n"), "diff rrelu text: " + out + err)
rc, out, err = run(["diff", "--op", "rrelu", "--json", "--lower", "0.1", "--upper", "0.3",
                    "--dtype", "float64", "[-1.0, 2.0]"])
j = json.loads(out) if rc == 1 else {}
check(rc == 1 and j.get("comparable") is False and j.get("torch_eval_slope") == 0.2 and
      j.get("elements") == 2 and j.get("lower") == 0.1, "diff rrelu json: " + out + err)
rc, out, err = run(["diff", "--op", "rrelu", "--from", "mindspore", "--to", "torch", "--grad",
                    "[1.0, 1.0]", "[-1.0, 2.0]"])
check(rc == 1 and "backward" in out and out.endswith("[0.22916667 1.        ]\n"),
      "diff rrelu backward: " + out + err)
for args, what in [
        (["--op", "rrelu", "--from", "torch", "--to", "onnx", "1.0"], "compare torch with mindspore"),
        (["--op", "rrelu", "a.npy", "b.npy"], "without --op"),
        (["--op", "rrelu", "--alpha", "0.1", "1.0"], "slope options"),
        (["--op", "rrelu", "--weight", "1.0", "1.0"], "--weight belongs"),
        (["--op", "rrelu", "--lower", "0.5", "--upper", "0.1", "1.0"], "Lower bound"),
        (["--op", "prelu", "--from", "torch", "--to", "torch", "1.0"], "nothing to compare"),
        (["--op", "prelu", "--from", "torch", "--to", "onnx", "[1.0]"], "not implemented"),
        (["--op", "prelu", path("in.npz")], "whole archive"),
        (["--lower", "0.1", "1.0"], "--lower belongs to --op rrelu"),
]:
    rc, out, err = run(["diff"] + args)
    check(rc == 2 and what in err, "diff refused %s: %s" % (args, err))

# diff --op prelu torch vs mindspore: where the library has MindSpore's PReLU, the counts
# and indices against MindSpore's rule (x < 0 ? w * x : x, so +-0 is kept) computed here;
# until then, the library's refusal, said as such.
xs = np.array([[-1.0, 2.0, 0.0], [-0.0, 0.0, -0.0], [np.nan, -3.0, 1e-3]], dtype=np.float32)
np.save(path("xd.npy"), xs)
w3 = np.array([0.5, -0.25, -0.75], dtype=np.float32)
rc, out, err = run(["--op", "prelu", "-f", "mindspore", "--weight", "[1.0]", "[1.0]"])
rc, out, err = run(["diff", "--op", "prelu", "--json", "--weight", "[0.5, -0.25, -0.75]",
                    path("xd.npy")])
if rc == 2:
    check("not implemented for framework mindspore" in err, "diff prelu, no MindSpore: " + err)
else:
    t = F.prelu(torch.from_numpy(xs), torch.from_numpy(w3)).numpy()
    m = np.where(xs < 0, xs * w3, xs).astype(np.float32)
    differ = np.flatnonzero(t.view(np.uint32) != m.view(np.uint32))
    j = json.loads(out)
    check(rc == 1 and j["op"] == "prelu" and j["differ"] == len(differ) and
          j["indices"] == differ.tolist() and j["causes"]["signed_zero"] == len(differ),
          "diff prelu torch vs mindspore: %s %s" % (out, differ))
    rc, out, err = run(["diff", "--op", "prelu", "--weight", "[0.5, -0.25, -0.75]",
                        path("xd.npy")])
    check(rc == 1 and "(0, 2)  x = 0.0 (0x00000000)  torch: -0.0 (0x80000000)  mindspore: 0.0"
          in out, "diff prelu lines show x: " + out)

# ---- the second outputs' temporary files: every one removed on an error or a signal ----
d = path("two")
os.mkdir(d)
named = dict(os.environ, LRELU_TEST_NO_TMPFILE="1")
for exe, env, how in ((KNOBS, named, "named"), (LRELU, None, "unnamed")):
    # an error after both files were opened: the data ends early
    hdr = io.BytesIO()
    np.lib.format.write_array_header_1_0(hdr, {"descr": "<f4", "fortran_order": False,
                                              "shape": (2,)})
    hdr = hdr.getvalue()
    p = subprocess.run([exe, "--op", "rrelu", "--train", "--seed", "1", "--noise",
                        os.path.join(d, "n.npy"), "-", os.path.join(d, "y.npy")],
                       input=hdr + b"\0\0\x80\xbf", capture_output=True, env=env)
    check(p.returncode == 1 and b"truncated data" in p.stderr and os.listdir(d) == [],
          "error after opening (%s): %s %s" % (how, os.listdir(d), p.stderr))
    # a signal while the data is awaited, both files open
    p = subprocess.Popen([exe, "--op", "prelu", "--grad", "[1.0, 1.0]", "--grad-weight",
                          os.path.join(d, "gw.npy"), "--weight", "[0.5]", "-",
                          os.path.join(d, "y.npy")], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    p.stdin.write(hdr)
    p.stdin.flush()
    for _ in range(1000):
        if how == "unnamed" or len(os.listdir(d)) == 2:
            break
        time.sleep(0.01)
    seen = sorted(os.listdir(d))
    time.sleep(0.2)
    p.send_signal(signal.SIGTERM)
    p.communicate()
    check(p.returncode == -signal.SIGTERM and os.listdir(d) == [] and
          (how == "unnamed" or len(seen) == 2),
          "SIGTERM with two outputs open (%s): %s, saw %s, left %s" % (how, p.returncode, seen,
                                                                     os.listdir(d)))
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))

sys.exit(checks.summary("test_family_cli"))

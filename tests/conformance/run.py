#!/usr/bin/python3
"""run.py - lrelu against the real PyTorch, bit for bit, and against the other frameworks'
rules (tests/conformance/models.py).

    /usr/bin/python3 tests/conformance/run.py           (make test runs it)
    LRELU_LIB=/path/to/liblrelu.so /usr/bin/python3 tests/conformance/run.py

PyTorch (Debian's 1.13.1, CPU) is run: float32, float64 and bfloat16, forward and
autograd backward, out of place and in place.  float16 LeakyReLU does not exist on CPU
in 1.13, so float16 is checked against PyTorch >= 2.1's rule computed in NumPy.
MindSpore is NOT run: its 2.8 rules are read from its source and written in NumPy in
models.py (its bfloat16 rule is our extrapolation of the same slope cast).  ONNX
LeakyRelu-16 and TensorFlow 2 are checked against their stated formulas and the ONNX
node test cases shipped with python3-onnx.

NaN rule: float32/float64 NaN outputs must have PyTorch's exact bits, except where the
multiply saw two NaNs (input or gradient, and slope), where any NaN is right (PyTorch's
own choice depends on the SIMD lane).  PyTorch's bfloat16 NaN bits depend on the
element's position (0xFFFF in its vector body, 0x7FC0 in its scalar tail), so against
PyTorch bfloat16 a NaN must only be a NaN; lrelu writes sign | 0x7FC0 | the top payload
bits (src/fp16.h), which the model checks check exactly.

Closing line: "conformance: N passed, M failed" (one check = one array compared bit for
bit); the number of values compared is printed before it.
"""

import os
import sys
import time

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lreluffi as L  # noqa: E402
import models as M  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(1)
RNG = np.random.default_rng(20240613)
NAN = float("nan")
INF = float("inf")
FLT_MAX = float(np.finfo(np.float32).max)

# The slopes of the brief: usual ones, zero, negative, one, above one, tiny, huge, NaN.
SLOPES = [0.01, 0.2, 0.1, 1 / 3, 0.0, -0.0, -0.5, 1.0, 1.5, 100.0,
          1e-30, 1e-45, 5e-324, -1e-30, 1e30, 3e38, -3e38, INF, -INF, NAN]
# Finite slopes a float cannot hold: PyTorch refuses them for float32/bfloat16.
OVERFLOW_SLOPES = [1e39, -1e39, float(np.nextafter(FLT_MAX, INF)), 1e300]


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.values = 0
        self.shown = 0

    def ok(self, cond, label, detail=""):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL %s %s" % (label, detail))
        return cond

    def compare(self, label, got, exp, dtype_name, nan_any=None, nan_only=False, inputs=None,
                alts=()):
        """Bit-for-bit compare.  nan_any: positions where any NaN is right; nan_only:
        every NaN of exp only needs a NaN (PyTorch bfloat16); alts: other arrays whose
        bits are also right, element by element."""
        gb = L.bits(np.asarray(got)).ravel()
        eb = L.bits(np.asarray(exp)).ravel()
        if gb.shape != eb.shape:
            return self.ok(False, label, "shape %s vs %s" % (gb.shape, eb.shape))
        self.values += gb.size
        eq = gb == eb
        for alt in alts:
            eq |= gb == L.bits(np.asarray(alt)).ravel()
        if nan_only or nan_any is not None:
            gnan = L.is_nan_bits(L.bits(np.asarray(got)).ravel() if dtype_name in
                                 ("float16", "bfloat16") else np.asarray(got).ravel(), dtype_name)
            enan = L.is_nan_bits(L.bits(np.asarray(exp)).ravel() if dtype_name in
                                 ("float16", "bfloat16") else np.asarray(exp).ravel(), dtype_name)
            if nan_only:
                eq = np.where(enan, gnan, eq)
            if nan_any is not None:
                eq |= np.asarray(nan_any).ravel() & enan & gnan
        bad = np.flatnonzero(~eq)
        if bad.size == 0:
            self.passed += 1
            return True
        self.failed += 1
        w = gb.dtype.itemsize * 2
        print("FAIL %s: %d of %d values differ" % (label, bad.size, gb.size))
        ib = None if inputs is None else L.bits(np.ascontiguousarray(inputs)).ravel()
        for i in bad[:4]:
            src = "" if ib is None else " x=0x%0*x" % (w, int(ib[i]))
            print("    [%d]%s got 0x%0*x expected 0x%0*x" % (i, src, w, int(gb[i]), w, int(eb[i])))
        return False


C = Checks()


# ---- inputs -----------------------------------------------------------------------------

def specials(dtype_name):
    if dtype_name == "float32":
        b = [0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000,
             0x7F800001, 0xFF800001, 0x7FC00001, 0x7FFFFFFF, 0xFFFFFFFF, 0x7FA5A5A5, 0xFFB00000,
             0x00000001, 0x80000001, 0x007FFFFF, 0x807FFFFF, 0x00400000, 0x80400000,
             0x00800000, 0x80800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x3F800000, 0xBF800000,
             0x3F800001, 0xBF7FFFFF, 0x34000000, 0xB4000000, 0x0DA24260, 0x8DA24260]
        return np.array(b, dtype=np.uint32).view(np.float32)
    b = [0, 1 << 63, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000,
         0xFFF8000000000000, 0x7FF0000000000001, 0xFFF0000000000001, 0x7FF8000000000001,
         0x7FFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0x7FF4A5A5A5A5A5A5, 1, (1 << 63) | 1,
         0x000FFFFFFFFFFFFF, 0x800FFFFFFFFFFFFF, 0x0010000000000000, 0x8010000000000000,
         0x7FEFFFFFFFFFFFFF, 0xFFEFFFFFFFFFFFFF, 0x3FF0000000000000, 0xBFF0000000000000,
         0x3810000000000000, 0xB810000000000000, 0x36A0000000000000, 0xB6A0000000000000,
         0x47EFFFFFE0000000, 0xC7EFFFFFE0000000, 0x47EFFFFFF0000000, 0xC7F0000000000000]
    return np.array(b, dtype=np.uint64).view(np.float64)


def random_values(dtype_name, n):
    """Half random bit patterns (every exponent, NaNs, subnormals), half ordinary values."""
    if dtype_name == "float32":
        a = RNG.integers(0, 1 << 32, n // 2, dtype=np.uint64).astype(np.uint32).view(np.float32)
        b = (RNG.standard_normal(n - n // 2) * 10.0 ** RNG.integers(-8, 9, n - n // 2)).astype(np.float32)
    else:
        a = RNG.integers(0, 1 << 63, n // 2, dtype=np.uint64)
        a = (a | (RNG.integers(0, 2, n // 2, dtype=np.uint64) << np.uint64(63))).view(np.float64)
        b = RNG.standard_normal(n - n // 2) * 10.0 ** RNG.integers(-30, 31, n - n // 2)
    return np.concatenate([specials(dtype_name), a, b])


ALL16 = np.arange(1 << 16, dtype=np.uint16)
PERM16 = RNG.permutation(ALL16).astype(np.uint16)


# ---- PyTorch ------------------------------------------------------------------------------

def to_torch(a, dtype_name):
    if dtype_name == "bfloat16":
        return torch.from_numpy(a.view(np.int16).copy()).view(torch.bfloat16)
    return torch.from_numpy(a.copy())


def from_torch(t, dtype_name):
    t = t.detach().contiguous()
    if dtype_name == "bfloat16":
        return t.view(torch.int16).numpy().view(np.uint16).copy()
    return t.numpy().copy()


def torch_forward(x, slope, dtype_name, inplace=False):
    t = to_torch(x, dtype_name)
    if inplace:
        F.leaky_relu_(t, slope)
        return from_torch(t, dtype_name)
    return from_torch(F.leaky_relu(t, slope), dtype_name)


def torch_backward(g, x, slope, dtype_name, inplace=False):
    """Autograd's x.grad for y = leaky_relu(x) (or the in-place form) and dL/dy = g."""
    leaf = to_torch(x, dtype_name).requires_grad_()
    if inplace:
        y = leaf.clone()
        F.leaky_relu_(y, slope)
    else:
        y = F.leaky_relu(leaf, slope)
    y.backward(to_torch(g, dtype_name))
    return from_torch(leaf.grad, dtype_name)


def torch_refuses(fn):
    try:
        fn()
        return None
    except RuntimeError as e:
        return str(e)


def both_nan(a, slope, dtype_name):
    """Where the product had two NaN operands (a NaN value and a NaN slope)."""
    if slope == slope:
        return None
    if dtype_name in ("float16", "bfloat16"):
        return L.is_nan_bits(a, dtype_name)
    return np.isnan(a)


# ---- sections -------------------------------------------------------------------------------

def passthrough_alts(g, a, exp, dtype_name):
    """PyTorch's float32/float64 backward passes a signalling-NaN gradient through
    unchanged in its scalar tail (a > 0 ? g : g*s) but quiets it in its vector body
    (g * 1.0): where a > 0 and g is NaN, both g and g quieted are PyTorch's bits.  lrelu
    passes g through, as the scalar rule says."""
    if dtype_name not in ("float32", "float64"):
        return ()
    quiet = np.uint32(0x00400000) if dtype_name == "float32" else np.uint64(0x0008000000000000)
    where = np.isnan(g) & (a > 0)
    gq = (L.bits(g) | quiet).view(g.dtype)
    return (np.where(where, g, exp), np.where(where, gq, exp))


def check_torch_dtype(dtype_name, x, g, tag, slopes=SLOPES):
    """Forward/backward, out of place/in place, tensor and flat entry points vs PyTorch."""
    nan_only = dtype_name == "bfloat16"
    for s in slopes:
        lab = "torch %s %s slope=%r" % (dtype_name, tag, s)
        exp = torch_forward(x, s, dtype_name)
        st, y = L.forward(L.TORCH, s, x, dtype_name)
        C.ok(st == L.OK, lab + " forward status", L.last_error())
        C.compare(lab + " forward", y, exp, dtype_name, both_nan(x, s, dtype_name), nan_only, x)
        exp_ip = torch_forward(x, s, dtype_name, inplace=True)
        xi = x.copy()
        st, _ = L.forward(L.TORCH, s, xi, dtype_name, inplace=True)
        C.ok(st == L.OK, lab + " in-place status", L.last_error())
        C.compare(lab + " in-place forward", xi, exp_ip, dtype_name,
                  both_nan(x, s, dtype_name), nan_only, x)
        if dtype_name != "float64" or abs(s) <= FLT_MAX or s != s:
            st, yf = L.flat_forward(dtype_name, x, s)
            C.ok(st == L.OK, lab + " flat status", L.last_error())
            C.compare(lab + " flat forward", yf, exp, dtype_name,
                      both_nan(x, s, dtype_name), nan_only, x)
        # Backward from the input.
        expg = torch_backward(g, x, s, dtype_name)
        st, dx = L.backward(L.TORCH, s, g, x, dtype_name)
        C.ok(st == L.OK, lab + " backward status", L.last_error())
        alts = passthrough_alts(g, x, expg, dtype_name)
        C.compare(lab + " backward", dx, expg, dtype_name, both_nan(g, s, dtype_name), nan_only, x,
                  alts)
        st, dxf = L.flat_backward(dtype_name, g, x, s)
        C.compare(lab + " flat backward", dxf, expg, dtype_name,
                  both_nan(g, s, dtype_name), nan_only, x, alts)
        # Backward from the in-place result: allowed for slope >= 0 (also -0.0), refused
        # for a negative or NaN slope, in both.
        refused = torch_refuses(lambda: torch_backward(g, x, s, dtype_name, inplace=True))
        st, dxi = L.backward(L.TORCH, s, g, xi, dtype_name, self_is_result=True)
        if refused is not None:
            C.ok("In-place leakyReLu backward" in refused and st == L.ERR_INPLACE,
                 lab + " in-place backward refused by both", "(lrelu status %d)" % st)
        else:
            expgi = torch_backward(g, x, s, dtype_name, inplace=True)
            C.ok(st == L.OK, lab + " in-place backward status", L.last_error())
            C.compare(lab + " in-place backward", dxi, expgi, dtype_name,
                      both_nan(g, s, dtype_name), nan_only, x,
                      passthrough_alts(g, xi, expgi, dtype_name))


def check_bf16_nan_rule():
    """lrelu's own bfloat16 NaN bits (PyTorch's depend on position): a NaN input comes out
    as sign | 0x7FC0 | its top payload bits, i.e. the input with the quiet bit set."""
    nan = L.is_nan_bits(ALL16, "bfloat16")
    for s in (0.2, -0.5, 0.0):
        st, y = L.forward(L.TORCH, s, ALL16, "bfloat16")
        C.compare("bfloat16 NaN rule slope=%r" % s, y[nan], ALL16[nan] | 0x0040, "bfloat16",
                  inputs=ALL16[nan])


def check_float16_torch_rule(slopes=SLOPES, tag="all patterns"):
    """float16: PyTorch 1.13 refuses it on CPU; lrelu follows >= 2.1 (float slope, float
    product rounded to half), checked against that rule in NumPy."""
    x, g = ALL16, PERM16
    for s in slopes:
        lab = "torch float16 %s slope=%r" % (tag, s)
        exp = M.torch_f16_forward(x, s)
        st, y = L.forward(L.TORCH, s, x, "float16")
        C.ok(st == L.OK, lab + " status", L.last_error())
        C.compare(lab + " forward", y, exp, "float16", both_nan(x, s, "float16"), False, x)
        st, yf = L.flat_forward("float16", x, s)
        C.compare(lab + " flat forward", yf, exp, "float16", both_nan(x, s, "float16"), False, x)
        xi = x.copy()
        L.forward(L.TORCH, s, xi, "float16", inplace=True)
        C.compare(lab + " in-place forward", xi, exp, "float16", both_nan(x, s, "float16"), False, x)
        # The same rule through the real PyTorch 1.13: compute in float32, round with
        # torch's .half() (NaN payloads are torch's own there: any NaN).
        xt = torch.from_numpy(x.view(np.int16).copy()).view(torch.half)
        gt = torch.from_numpy(g.view(np.int16).copy()).view(torch.half)
        ref = F.leaky_relu(xt.float(), s).half().view(torch.int16).numpy().view(np.uint16)
        C.compare(lab + " forward = PyTorch float32 then .half()", y, ref, "float16", None, True, x)
        leaf = xt.float().requires_grad_()
        F.leaky_relu(leaf, s).backward(gt.float())
        refg = leaf.grad.half().view(torch.int16).numpy().view(np.uint16)
        expg = M.torch_f16_backward(g, x, s)
        st, dx = L.backward(L.TORCH, s, g, x, "float16")
        C.compare(lab + " backward = PyTorch float32 then .half()", dx, refg, "float16", None, True, x)
        C.compare(lab + " backward", dx, expg, "float16", both_nan(g, s, "float16"), False, x)
        st, dxf = L.flat_backward("float16", g, x, s)
        C.compare(lab + " flat backward", dxf, expg, "float16", both_nan(g, s, "float16"), False, x)
        st, dxi = L.backward(L.TORCH, s, g, xi, "float16", self_is_result=True)
        if s >= 0:
            C.compare(lab + " in-place backward", dxi, M.torch_f16_backward(g, xi, s), "float16",
                      both_nan(g, s, "float16"), False, x)
        else:
            C.ok(st == L.ERR_INPLACE, lab + " in-place backward refused", "(status %d)" % st)


def check_refusals():
    # float16 does not exist in PyTorch 1.13 on CPU (lrelu follows >= 2.1).
    r = torch_refuses(lambda: F.leaky_relu(torch.ones(3, dtype=torch.half)))
    C.ok(r is not None and "Half" in r, "torch 1.13 has no float16 CPU LeakyReLU", str(r))
    # A finite slope a float cannot hold.
    for dtype_name in ("float32", "bfloat16", "float16", "float64"):
        x = np.zeros(4, dtype=L.DTYPES[dtype_name][1])
        for s in OVERFLOW_SLOPES:
            lab = "torch %s slope=%r" % (dtype_name, s)
            st, _ = L.forward(L.TORCH, s, x, dtype_name)
            stb, _ = L.backward(L.TORCH, s, x, x, dtype_name)
            if dtype_name == "float16":  # PyTorch >= 2.1 reads negval_.to<float>() too
                C.ok(st == L.ERR_SLOPE and stb == L.ERR_SLOPE, lab + " refused", "(%d %d)" % (st, stb))
                continue
            rf = torch_refuses(lambda: torch_forward(x, s, dtype_name))
            rb = torch_refuses(lambda: torch_backward(x, x, s, dtype_name))
            if rf is None:
                C.ok(st == L.OK and stb == L.OK and rb is None, lab + " accepted by both",
                     "(%d %d)" % (st, stb))
            else:
                C.ok("without overflow" in rf and rb is not None and st == L.ERR_SLOPE and
                     stb == L.ERR_SLOPE, lab + " refused by both", "(%d %d)" % (st, stb))
                C.ok("without overflow" in L.last_error(), lab + " message", L.last_error())
    # Memory overlap: an expanded (stride 0) tensor written in place.
    for dtype_name in ("float32", "bfloat16"):
        base = np.zeros(1, dtype=L.DTYPES[dtype_name][1])
        r = torch_refuses(lambda: F.leaky_relu_(to_torch(base, dtype_name).expand(4), 0.2))
        v = L.View(base, dtype_name, shape=(4,), strides=(0,))
        st = L.LIB.lrelu_forward(L.TORCH, 0.2, v.ref, None)
        C.ok(r is not None and st == L.ERR_OVERLAP and r in L.last_error(),
             "torch %s in-place on an expanded tensor refused by both" % dtype_name, L.last_error())
        # Partial overlap of input and output: x = base[1:], y = base[:-1].
        base = np.arange(10, dtype=np.float32).astype(L.DTYPES[dtype_name][1])
        tb = to_torch(base, dtype_name)
        r = torch_refuses(lambda: torch._C._nn.leaky_relu(tb[1:], 0.2, out=tb[:-1]))
        vx = L.View(base, dtype_name, data=base.ctypes.data + base.itemsize, shape=(9,))
        vy = L.View(base, dtype_name, shape=(9,))
        st = L.LIB.lrelu_forward(L.TORCH, 0.2, vx.ref, vy.ref)
        C.ok(r is not None and st == L.ERR_OVERLAP and r in L.last_error(),
             "torch %s partial overlap refused by both" % dtype_name, L.last_error())
    # The in-place backward rule, with PyTorch's own autograd tests' values.
    a = np.array([-2.0, 0.0, 2.0], dtype=np.float32)
    g = np.ones(3, dtype=np.float32)
    y = a.copy()
    L.forward(L.TORCH, 0.0, y, "float32", inplace=True)
    st, dx = L.backward(L.TORCH, 0.0, g, y, "float32", self_is_result=True)
    C.ok(st == L.OK and dx.tolist() == [0.0, 0.0, 1.0], "in-place slope 0 backward", str(dx))
    # Module repr is torch's repr.
    for s in [0.01, 0.2, 1 / 3, 0.0, -0.5, 1.0, 100.0, 1e-20, 1e16, 1e30, 12345.678, INF, NAN]:
        for inplace in (False, True):
            exp = repr(torch.nn.LeakyReLU(s, inplace))
            got = L.module_repr(L.TORCH, s, inplace)
            C.ok(got == exp, "repr torch slope=%r inplace=%s" % (s, inplace), "%r vs %r" % (got, exp))


def check_layouts():
    """0-d to 8-d, permuted, sliced (also negative steps), against PyTorch on a copy."""
    for dtype_name in ("float32", "float64", "bfloat16", "float16"):
        store = L.DTYPES[dtype_name][1]
        for ndim in range(0, 9):
            for trial in range(3):
                shape = tuple(int(v) for v in RNG.integers(1, 5 if ndim > 4 else 7, ndim))
                if trial == 2 and ndim > 0:
                    shape = shape[:-1] + (0,)  # an empty tensor
                steps = [int(v) for v in RNG.choice([1, 2, -1, -2, 3], ndim)]
                big = tuple(n * abs(k) + 1 for n, k in zip(shape, steps))
                slope = [0.2, -0.5, 0.01][trial]

                def view_of(buf):
                    v = buf
                    for d, k in enumerate(steps):
                        idx = [slice(None)] * ndim
                        idx[d] = slice(None, None, k)
                        v = v[tuple(idx)]
                        idx[d] = slice(0, shape[d])
                        v = v[tuple(idx)]
                    return v

                perm = tuple(int(v) for v in RNG.permutation(ndim))
                if dtype_name == "bfloat16":
                    raw = L.f32_to_bf16(np.asarray(RNG.standard_normal(big), np.float32))
                    raw = raw.reshape(big)
                elif dtype_name == "float16":
                    raw = np.asarray(RNG.standard_normal(big)).astype(np.float16).view(np.uint16)
                else:
                    raw = np.asarray(RNG.standard_normal(big)).astype(store)
                xbuf = raw.copy()
                x = view_of(xbuf).transpose(perm) if ndim else xbuf.reshape(())
                # y: another buffer, every other element, in the transposed layout.
                xs = x.shape
                fill = 12345 if store == np.uint16 else -7.0
                ybig = tuple(2 * n + 1 for n in reversed(xs))
                ybuf = np.full(ybig, fill, dtype=store)

                def yview(buf):
                    v = buf[tuple(slice(0, 2 * n, 2) for n in reversed(xs)) + (Ellipsis,)]
                    return v.T

                y = yview(ybuf)
                lab = "torch %s %d-d shape %s steps %s perm %s slope %r" % (
                    dtype_name, ndim, shape, steps, perm, slope)
                xc = np.array(x, order="C")
                exp = (M.torch_f16_forward(xc, slope) if dtype_name == "float16"
                       else torch_forward(xc, slope, dtype_name))
                vx = L.View(x, dtype_name)
                vy = L.View(y, dtype_name)
                st = L.LIB.lrelu_forward(L.TORCH, slope, vx.ref, vy.ref)
                C.ok(st == L.OK, lab + " status", L.last_error())
                C.compare(lab + " strided forward", np.array(y), exp, dtype_name,
                          None, dtype_name == "bfloat16")
                # Nothing outside y's elements was written.
                ymask = np.ones(ybig, dtype=bool)
                yview(ymask)[...] = False
                C.ok(bool(np.all(ybuf[ymask] == fill)), lab + " no stray writes")
                mask = np.ones(big, dtype=bool)
                view_of(mask)[...] = False
                # In place on the strided view; only x's elements change.
                xi_buf = raw.copy()
                xi = view_of(xi_buf).transpose(perm) if ndim else xi_buf.reshape(())
                vxi = L.View(xi, dtype_name)
                st = L.LIB.lrelu_forward(L.TORCH, slope, vxi.ref, None)
                C.compare(lab + " strided in-place", np.array(xi), exp, dtype_name,
                          None, dtype_name == "bfloat16")
                C.ok(bool(np.all(L.bits(xi_buf[mask]) == L.bits(raw[mask]))),
                     lab + " in-place leaves the rest")
                # Backward with strided g, saved and dx.
                gc = np.asarray(RNG.standard_normal(xs)).astype(np.float32)
                if dtype_name == "bfloat16":
                    gc = L.f32_to_bf16(gc).reshape(xs)
                elif dtype_name == "float16":
                    gc = gc.astype(np.float16).view(np.uint16)
                else:
                    gc = gc.astype(store)
                gbuf = np.zeros(tuple(2 * n for n in xs), dtype=store)
                g = gbuf[tuple(slice(None, None, 2) for _ in xs) + (Ellipsis,)]
                g[...] = gc
                expg = (M.torch_f16_backward(gc, xc, slope) if dtype_name == "float16"
                        else torch_backward(gc, xc, slope, dtype_name))
                dxbuf = np.zeros(tuple(reversed(xs)), dtype=store)
                dx = dxbuf.T
                vg, vs, vd = L.View(g, dtype_name), L.View(x, dtype_name), L.View(dx, dtype_name)
                st = L.LIB.lrelu_backward(L.TORCH, slope, vg.ref, vs.ref, False, vd.ref)
                C.ok(st == L.OK, lab + " backward status", L.last_error())
                C.compare(lab + " strided backward", np.array(dx), expg, dtype_name,
                          None, dtype_name == "bfloat16")


def check_expanded():
    """torch.expand'ed inputs (a zero stride, inner or outer, beside a positive or a
    negative one), forward and backward, on every ISA, against PyTorch on the same
    expanded tensor.  PyTorch has no negative strides: there the expected values come
    from the contiguous copy, which holds the same elements."""
    cases = [((2, 1), (2, 3), False), ((1, 3), (2, 3), False), ((5, 1), (5, 70), False),
             ((1, 70), (9, 70), False), ((2, 1), (2, 3), True), ((1, 3), (2, 3), True),
             ((1, 70), (9, 70), True), ((3, 1, 4), (3, 5, 4), False)]
    for isa in L.available_isas():
        L.LIB.lrelu_set_isa(isa)
        for dtype_name in ("float32", "float64", "bfloat16"):
            store = L.DTYPES[dtype_name][1]
            for small, big, flip in cases:
                n = int(np.prod(small))
                if store == np.uint16:
                    raw = RNG.choice(ALL16, n).astype(np.uint16).reshape(small)
                else:
                    raw = random_values(dtype_name, n + 64)[-n:].reshape(small)
                base = raw[::-1] if flip else raw  # a negative stride on the kept axis
                x = np.broadcast_to(base, big)
                lab = "torch isa=%s %s expand %s -> %s%s" % (L.ISA_NAMES[isa], dtype_name, small,
                                                          big, " flipped" if flip else "")
                if flip:
                    exp = torch_forward(np.array(x), 0.2, dtype_name)
                else:
                    t = to_torch(raw, dtype_name).expand(*big)
                    C.ok(t.stride() == tuple(s // raw.itemsize for s in x.strides),
                         lab + " strides as torch's", "%s vs %s" % (t.stride(), x.strides))
                    exp = from_torch(F.leaky_relu(t, 0.2), dtype_name)
                y = np.zeros(big, dtype=store)
                st = L.LIB.lrelu_forward(L.TORCH, 0.2, L.View(x, dtype_name).ref,
                                         L.View(y, dtype_name).ref)
                C.ok(st == L.OK, lab + " status", L.last_error())
                C.compare(lab + " forward", y, exp, dtype_name, None, dtype_name == "bfloat16")
                # backward with the expanded tensor as saved input, then as grad_output
                other = np.array(RNG.permutation(np.array(x).ravel()).reshape(big))
                for name, g, a in (("saved", other, x), ("grad_output", x, other)):
                    expg = torch_backward(np.array(g), np.array(a), 0.2, dtype_name)
                    dx = np.zeros(big, dtype=store)
                    st = L.LIB.lrelu_backward(L.TORCH, 0.2, L.View(g, dtype_name).ref,
                                              L.View(a, dtype_name).ref, False,
                                              L.View(dx, dtype_name).ref)
                    C.ok(st == L.OK, lab + " backward status", L.last_error())
                    C.compare(lab + " backward, expanded " + name, dx, expg, dtype_name, None,
                              dtype_name == "bfloat16", np.array(a),
                              passthrough_alts(np.array(g), np.array(a), expg, dtype_name))
    L.LIB.lrelu_set_isa(L.ISA_AUTO)


def check_mindspore_zero_tie():
    """MindSpore's backward where s*x ties with x: x = -0.0 and +0.0 (equal whatever the
    slope's sign), on every ISA, every dtype, slopes of both signs and above one."""
    zeros = {"float32": np.array([0.0, -0.0] * 40, np.float32),
             "float64": np.array([0.0, -0.0] * 40, np.float64),
             "float16": np.array([0x0000, 0x8000] * 40, np.uint16),
             "bfloat16": np.array([0x0000, 0x8000] * 40, np.uint16)}
    for isa in L.available_isas():
        L.LIB.lrelu_set_isa(isa)
        for dtype_name, x in zeros.items():
            if x.dtype == np.uint16:
                g = RNG.choice(ALL16, x.size).astype(np.uint16)
            else:
                g = random_values(dtype_name, x.size + 64)[-x.size:]
            for a in (0.2, -0.5, 1.5, -2.0, 0.0):
                lab = "mindspore isa=%s %s alpha=%r backward at +-0" % (L.ISA_NAMES[isa], dtype_name, a)
                st, dx = L.backward(L.MINDSPORE, a, g, x, dtype_name)
                C.ok(st == L.OK, lab + " status", L.last_error())
                exp, nan_any = M.mindspore_backward(g, x, a, dtype_name, nan_mask=True)
                C.compare(lab, dx, exp, dtype_name, nan_any, inputs=x)
    L.LIB.lrelu_set_isa(L.ISA_AUTO)


def check_aliasing():
    """Backward writing over its own gradient or saved input (allowed: full overlap), and
    a partially overlapping grad_input (refused by both)."""
    for dtype_name in ("float32", "float64", "bfloat16"):
        store = L.DTYPES[dtype_name][1]
        if store == np.uint16:
            x, g = RNG.choice(ALL16, 5000).astype(np.uint16), RNG.choice(ALL16, 5000).astype(np.uint16)
        else:
            x, g = random_values(dtype_name, 5000), random_values(dtype_name, 5000)
            g = g[:x.size]
        for s in (0.2, -0.5):
            exp = torch_backward(g, x, s, dtype_name)
            alts = passthrough_alts(g, x, exp, dtype_name)
            for name in ("grad_output", "saved"):
                gg, xx = g.copy(), x.copy()
                out = gg if name == "grad_output" else xx
                vg, vx, vo = L.View(gg, dtype_name), L.View(xx, dtype_name), L.View(out, dtype_name)
                st = L.LIB.lrelu_backward(L.TORCH, s, vg.ref, vx.ref, False, vo.ref)
                C.ok(st == L.OK, "backward %s into %s status" % (dtype_name, name), L.last_error())
                C.compare("torch %s slope=%r backward written over %s" % (dtype_name, s, name), out, exp,
                          dtype_name, None, dtype_name == "bfloat16", x, alts)
        # grad_input = buf[:-1] while grad_output = buf[1:]
        buf = np.zeros(11, dtype=store)
        tb = to_torch(buf, dtype_name)
        r = torch_refuses(lambda: torch.ops.aten.leaky_relu_backward.grad_input(
            tb[1:], to_torch(buf[1:], dtype_name), 0.2, False, grad_input=tb[:-1]))
        vg = L.View(buf, dtype_name, data=buf.ctypes.data + buf.itemsize, shape=(10,))
        vx = L.View(buf[1:].copy(), dtype_name)
        vd = L.View(buf, dtype_name, shape=(10,))
        st = L.LIB.lrelu_backward(L.TORCH, 0.2, vg.ref, vx.ref, False, vd.ref)
        C.ok(r is not None and "unsupported operation" in r and st == L.ERR_OVERLAP,
             "torch %s backward partial overlap refused by both" % dtype_name,
             "(torch: %s; lrelu %d)" % (r, st))


def check_sizes():
    """Every size up to 80 and around every SIMD width, aligned and misaligned."""
    sizes = list(range(0, 81)) + [n + d for n in (127, 128, 255, 256, 511, 512, 1024, 4096, 32768)
                                   for d in (-1, 0, 1)]
    for dtype_name in ("float32", "float64", "bfloat16", "float16"):
        store = L.DTYPES[dtype_name][1]
        if store == np.uint16:
            pool = RNG.choice(ALL16, 40000).astype(np.uint16)
            gpool = RNG.choice(ALL16, 40000).astype(np.uint16)
        else:
            pool = random_values(dtype_name, 40000)
            gpool = random_values(dtype_name, 40000)
        for slope in (0.2, -0.5):
            for off in (0, 1):
                got, exp, gotb, expb, xs, gs = [], [], [], [], [], []
                for n in sizes:
                    buf = np.zeros(n + off, dtype=store)
                    x = buf[off:]
                    x[:] = pool[:n]
                    g = gpool[:n].copy()
                    st, y = L.forward(L.TORCH, slope, x, dtype_name)
                    st2, dx = L.backward(L.TORCH, slope, g, x, dtype_name)
                    if st or st2:
                        C.ok(False, "sizes %s n=%d status" % (dtype_name, n), L.last_error())
                    got.append(y)
                    gotb.append(dx)
                    xs.append(x.copy())
                    gs.append(g)
                    if dtype_name == "float16":
                        exp.append(M.torch_f16_forward(x, slope))
                        expb.append(M.torch_f16_backward(g, x, slope))
                    else:
                        exp.append(torch_forward(x.copy(), slope, dtype_name))
                        expb.append(torch_backward(g, x.copy(), slope, dtype_name))
                lab = "torch %s sizes 0..32769 offset %d slope %r" % (dtype_name, off, slope)
                cat = np.concatenate
                C.compare(lab + " forward", cat(got), cat(exp), dtype_name, None,
                          dtype_name == "bfloat16", cat(xs))
                C.compare(lab + " backward", cat(gotb), cat(expb), dtype_name, None,
                          dtype_name == "bfloat16", cat(xs),
                          passthrough_alts(cat(gs), cat(xs), cat(expb), dtype_name))


# ---- MindSpore, ONNX, TensorFlow -------------------------------------------------------------

MS_ALPHAS = [0.2, 0.01, 0.1, 1 / 3, 0.0, -0.5, 1.0, 1.5, 100.0, 1e-30, 1e30, 1e39, INF, -INF, NAN]


def check_mindspore():
    """MindSpore 2.8, read from source, not run (models.py)."""
    for dtype_name in ("float16", "bfloat16", "float32", "float64"):
        if dtype_name in ("float16", "bfloat16"):
            x, g, alphas = ALL16, PERM16, MS_ALPHAS
        else:
            x = random_values(dtype_name, 200000)
            g = RNG.permutation(random_values(dtype_name, 200000))
            alphas = MS_ALPHAS
        for a in alphas:
            lab = "mindspore %s alpha=%r" % (dtype_name, a)
            st, y = L.forward(L.MINDSPORE, a, x, dtype_name)
            C.ok(st == L.OK, lab + " status", L.last_error())
            C.compare(lab + " forward", y, M.mindspore_forward(x, a, dtype_name), dtype_name,
                      inputs=x)
            st, dx = L.backward(L.MINDSPORE, a, g, x, dtype_name)
            C.ok(st == L.OK, lab + " backward status", L.last_error())
            exp, nan_any = M.mindspore_backward(g, x, a, dtype_name, nan_mask=True)
            C.compare(lab + " backward", dx, exp, dtype_name, nan_any, inputs=x)
    # No in-place forward in MindSpore, so no gradient from the result and no inplace flag.
    z = np.zeros(2, dtype=np.float32)
    st, _ = L.backward(L.MINDSPORE, 0.2, z, z, "float32", self_is_result=True)
    C.ok(st == L.ERR_INPLACE, "mindspore backward from the result refused", "(%d)" % st)
    C.ok(L.module_repr(L.MINDSPORE, 0.2, True) is None, "mindspore has no inplace parameter")
    C.ok(L.module_repr(L.MINDSPORE, 0.2, False) == "LeakyReLU<>", "mindspore repr")
    C.ok(L.LIB.lrelu_default_slope(L.MINDSPORE) == 0.2 and L.LIB.lrelu_default_slope(L.TORCH) == 0.01,
         "default slopes 0.2 (mindspore) and 0.01 (torch)")


SEED_OUTPUT = "[[-0.2  4.  -1.6]\n [ 2.  -1.   9. ]]"


def check_seed_examples():
    """The two examples of MindSpore's API-mapping page for torch.nn.LeakyReLU, verbatim:
    PyTorch's side run, MindSpore's side through lrelu (MindSpore itself is not run)."""
    data = [[-1.0, 4.0, -8.0], [2.0, -5.0, 9.0]]
    # Example 1, PyTorch: m = nn.LeakyReLU(0.2); float64 input; output .to(torch.float32)
    m = torch.nn.LeakyReLU(0.2)
    inputs = torch.tensor(data, dtype=float)
    output = m(inputs).to(torch.float32).detach().numpy()
    C.ok(str(output) == SEED_OUTPUT, "seed example 1 torch prints", repr(str(output)))
    x64 = np.array(data, dtype=np.float64)
    st, y = L.forward(L.TORCH, 0.2, x64, "float64")
    C.compare("seed example 1 torch via lrelu", y.astype(np.float32), output, "float32")
    C.ok(str(y.astype(np.float32)) == SEED_OUTPUT, "seed example 1 lrelu torch prints")
    # Example 1, MindSpore: x = Tensor(data).astype('float32'); m = nn.LeakyReLU(); m(x)
    mod = L.Module()
    C.ok(L.LIB.lrelu_module_init(L.ctypes.byref(mod), L.MINDSPORE,
                                 L.LIB.lrelu_default_slope(L.MINDSPORE), False) == L.OK,
         "seed example 1 mindspore module")
    x = np.array(data, dtype=np.float32)
    y = np.empty_like(x)
    vx, vy = L.View(x, "float32"), L.View(y, "float32")
    st = L.LIB.lrelu_module_forward(L.ctypes.byref(mod), vx.ref, vy.ref)
    C.ok(st == L.OK and str(y) == SEED_OUTPUT, "seed example 1 mindspore prints", repr(str(y)))
    C.compare("seed example 1 mindspore model", y, M.mindspore_forward(x, 0.2, "float32"), "float32")
    # Example 2, PyTorch: m = nn.LeakyReLU(0.2, inplace=True); output = m(inputs)
    m = torch.nn.LeakyReLU(0.2, inplace=True)
    inputs = torch.tensor(data, dtype=torch.float32)
    m(inputs)
    C.ok(str(inputs.detach().numpy()) == SEED_OUTPUT, "seed example 2 torch in place prints")
    tmod = L.Module()
    L.LIB.lrelu_module_init(L.ctypes.byref(tmod), L.TORCH, 0.2, True)
    xi = np.array(data, dtype=np.float32)
    vxi = L.View(xi, "float32")
    st = L.LIB.lrelu_module_forward(L.ctypes.byref(tmod), vxi.ref, None)
    C.ok(st == L.OK and str(xi) == SEED_OUTPUT, "seed example 2 lrelu in place prints", repr(str(xi)))
    C.compare("seed example 2 torch in place via lrelu", xi, inputs.numpy(), "float32")
    # Example 2, MindSpore: x = m(x) (no inplace parameter; the output is assigned back).
    x = np.array(data, dtype=np.float32)
    vx = L.View(x, "float32")
    st = L.LIB.lrelu_module_forward(L.ctypes.byref(mod), vx.ref, vx.ref)
    C.ok(st == L.OK and str(x) == SEED_OUTPUT, "seed example 2 mindspore x = m(x) prints", repr(str(x)))


ONNX_ALPHAS = [0.01, 0.1, 0.2, 1 / 3, 0.0, -0.5, 1.0, 1.5, 100.0, 1e-30, 1e30, 1e39, INF, NAN]


def onnx_node_cases():
    """The LeakyRelu node test cases of python3-onnx, collected by replacing `expect`."""
    import onnx
    from onnx import helper, numpy_helper
    from onnx.backend.test.case.node import leakyrelu as case
    cases = []

    def expect(node, inputs, outputs, name, **kw):
        cases.append((node, inputs, outputs, name))

    saved = case.expect
    case.expect = expect
    np.random.seed(0)
    try:
        case.LeakyRelu.export()
        case.LeakyRelu.export_leakyrelu_default()
    finally:
        case.expect = saved
    out = []
    for node, inputs, outputs, name in cases:
        alpha = 0.01  # the schema default of LeakyRelu
        for at in node.attribute:
            if at.name == "alpha":
                alpha = helper.get_attribute_value(at)
        # Through the stored test-data form: TensorProto (input_0.pb / output_0.pb).
        x = numpy_helper.to_array(onnx.TensorProto.FromString(
            numpy_helper.from_array(inputs[0]).SerializeToString()))
        y = numpy_helper.to_array(onnx.TensorProto.FromString(
            numpy_helper.from_array(outputs[0]).SerializeToString()))
        out.append((name, alpha, x, y))
    return out


def check_onnx():
    names = []
    for name, alpha, x, y in onnx_node_cases():
        names.append(name)
        st, got = L.forward(L.ONNX, alpha, np.ascontiguousarray(x), "float32")
        C.ok(st == L.OK, "onnx %s status" % name, L.last_error())
        C.compare("onnx node test %s (alpha %r, shape %s)" % (name, alpha, x.shape), got, y, "float32",
                  inputs=x)
    C.ok(sorted(names) == ["test_leakyrelu", "test_leakyrelu_default", "test_leakyrelu_example"],
         "onnx node test cases found", str(names))
    for dtype_name in ("float16", "bfloat16", "float32", "float64"):
        x = ALL16 if dtype_name in ("float16", "bfloat16") else random_values(dtype_name, 200000)
        for a in ONNX_ALPHAS:
            st, y = L.forward(L.ONNX, a, x, dtype_name)
            exp, nan_any = M.onnx_forward(x, a, dtype_name, nan_mask=True)
            C.compare("onnx %s alpha=%r forward" % (dtype_name, a), y, exp, dtype_name, nan_any,
                      inputs=x)
    z = np.zeros(2, dtype=np.float32)
    st, _ = L.backward(L.ONNX, 0.01, z, z, "float32")
    C.ok(st == L.ERR_UNSUPPORTED, "onnx defines no gradient", "(%d)" % st)


def check_tensorflow():
    for dtype_name in ("float16", "bfloat16", "float32", "float64"):
        if dtype_name in ("float16", "bfloat16"):
            x, g = ALL16, PERM16
        else:
            x = random_values(dtype_name, 200000)
            g = RNG.permutation(random_values(dtype_name, 200000))
        for a in ONNX_ALPHAS:
            lab = "tensorflow %s alpha=%r" % (dtype_name, a)
            st, y = L.forward(L.TENSORFLOW, a, x, dtype_name)
            exp, nan_any = M.tensorflow_forward(x, a, dtype_name, nan_mask=True)
            C.compare(lab + " forward", y, exp, dtype_name, nan_any, inputs=x)
            st, dx = L.backward(L.TENSORFLOW, a, g, x, dtype_name)
            exp, nan_any = M.tensorflow_backward(g, x, a, dtype_name, nan_mask=True)
            C.compare(lab + " backward", dx, exp, dtype_name, nan_any, inputs=x)


def check_jax_onnxruntime():
    """The formulas read from JAX's and ONNX Runtime's source (models.py), every ISA."""
    isas = L.available_isas()
    for isa in isas:
        L.LIB.lrelu_set_isa(isa)
        tag = "isa=%s" % L.ISA_NAMES[isa]
        for dtype_name in ("float16", "bfloat16", "float32", "float64"):
            if dtype_name in ("float16", "bfloat16"):
                x, g = ALL16, PERM16
            else:
                x = np.concatenate([specials(dtype_name)] * 3 + [random_values(dtype_name, 20000)])
                g = RNG.permutation(x)
            for a in ONNX_ALPHAS:
                lab = "jax %s %s slope=%r" % (tag, dtype_name, a)
                st, y = L.forward(L.JAX, a, x, dtype_name)
                exp, nan_any = M.jax_forward(x, a, dtype_name, nan_mask=True)
                C.compare(lab + " forward", y, exp, dtype_name, nan_any, inputs=x)
                st, dx = L.backward(L.JAX, a, g, x, dtype_name)
                exp_b, nan_b = M.jax_backward(g, x, a, dtype_name, nan_mask=True)
                C.compare(lab + " backward", dx, exp_b, dtype_name, nan_b, inputs=x)
                st, y = L.forward(L.ONNXRUNTIME, a, x, dtype_name)
                if dtype_name == "float32":
                    C.compare("onnxruntime %s float32 alpha=%r forward" % (tag, a), y, exp,
                              dtype_name, nan_any, inputs=x)
                else:
                    C.ok(st == L.ERR_DTYPE, "onnxruntime %s %s refused" % (tag, dtype_name),
                         "(%d) %s" % (st, L.last_error()))
    L.LIB.lrelu_set_isa(L.ISA_AUTO)
    z = np.zeros(2, dtype=np.float32)
    st, _ = L.backward(L.ONNXRUNTIME, 0.01, z, z, "float32")
    C.ok(st == L.ERR_UNSUPPORTED, "onnxruntime has no gradient", "(%d)" % st)


# ---- every ISA ----------------------------------------------------------------------------

def check_each_isa():
    """The 16-bit sweeps and the float specials again on every ISA this machine has."""
    isas = L.available_isas()
    print("conformance: ISAs available: %s" % ", ".join(L.ISA_NAMES[i] for i in isas))
    slopes = [0.2, 0.01, -0.5, 0.0, 1.5, NAN]
    for isa in isas:
        if L.LIB.lrelu_set_isa(isa) != L.OK:
            C.ok(False, "set ISA %s" % L.ISA_NAMES[isa], L.last_error())
            continue
        tag = "isa=%s" % L.ISA_NAMES[isa]
        check_torch_dtype("bfloat16", ALL16, PERM16, tag, slopes)
        check_float16_torch_rule(slopes, tag)
        for dtype_name in ("float32", "float64"):
            x = np.concatenate([specials(dtype_name)] * 3 + [random_values(dtype_name, 3000)])
            check_torch_dtype(dtype_name, x, RNG.permutation(x), tag, slopes)
        for dtype_name in ("float16", "bfloat16"):
            for a in (0.2, 1.5, 0.0):
                st, y = L.forward(L.MINDSPORE, a, ALL16, dtype_name)
                C.compare("mindspore %s %s alpha=%r forward" % (tag, dtype_name, a), y,
                          M.mindspore_forward(ALL16, a, dtype_name), dtype_name, inputs=ALL16)
                st, dx = L.backward(L.MINDSPORE, a, PERM16, ALL16, dtype_name)
                exp, nan_any = M.mindspore_backward(PERM16, ALL16, a, dtype_name, nan_mask=True)
                C.compare("mindspore %s %s alpha=%r backward" % (tag, dtype_name, a), dx,
                          exp, dtype_name, nan_any, inputs=ALL16)
                st, y = L.forward(L.ONNX, a, ALL16, dtype_name)
                C.compare("onnx %s %s alpha=%r forward" % (tag, dtype_name, a), y,
                          M.onnx_forward(ALL16, a, dtype_name), dtype_name, inputs=ALL16)
    L.LIB.lrelu_set_isa(L.ISA_AUTO)


# ---- the command -----------------------------------------------------------------------------

def check_command():
    """build/lrelu on .npy files, against PyTorch and the models (skipped if not built)."""
    exe = os.environ.get("LRELU_CMD") or os.path.join(L.ROOT, "build", "lrelu")
    if not os.access(exe, os.X_OK):
        print("conformance: SKIPPED the command checks: %s is not built" % exe)
        return
    import cli_checks
    cli_checks.run(exe, C, torch_forward, torch_backward, specials, random_values, passthrough_alts)


def main():
    # A library that hangs (a thread-pool deadlock) must fail the suite, not stall CI.
    import faulthandler
    faulthandler.dump_traceback_later(900, exit=True)
    t0 = time.time()
    print("conformance: library %s" % L.lib_path())
    print("conformance: torch %s, numpy %s" % (torch.__version__, np.__version__))
    sections = [
        ("float32 vs PyTorch", lambda: check_torch_dtype(
            "float32", random_values("float32", 1 << 21), random_values("float32", 1 << 21),
            "2M values")),
        ("float64 vs PyTorch", lambda: check_torch_dtype(
            "float64", random_values("float64", 1 << 20), random_values("float64", 1 << 20),
            "1M values")),
        ("bfloat16 vs PyTorch", lambda: (check_torch_dtype("bfloat16", ALL16, PERM16, "all patterns"),
                                         check_bf16_nan_rule())),
        ("float16 vs PyTorch >= 2.1 rule", check_float16_torch_rule),
        ("refusals", check_refusals),
        ("layouts", check_layouts),
        ("sizes", check_sizes),
        ("aliasing", check_aliasing),
        ("expanded inputs", check_expanded),
        ("MindSpore (from source)", check_mindspore),
        ("MindSpore tie at +-0, every ISA", check_mindspore_zero_tie),
        ("seed examples", check_seed_examples),
        ("ONNX", check_onnx),
        ("TensorFlow", check_tensorflow),
        ("JAX and ONNX Runtime (from source)", check_jax_onnxruntime),
        ("every ISA", check_each_isa),
        ("command", check_command),
    ]
    only = sys.argv[1:]
    for name, fn in sections:
        if only and not any(o.lower() in name.lower() for o in only):
            continue
        t = time.time()
        f0 = C.failed
        fn()
        print("conformance: %-32s %s (%.1f s)" % (name, "ok" if C.failed == f0 else "FAILED",
                                                  time.time() - t))
    print("conformance: %d values compared bit for bit in %.0f s" % (C.values, time.time() - t0))
    print("conformance: %d passed, %d failed" % (C.passed, C.failed))
    return 1 if C.failed else 0


if __name__ == "__main__":
    sys.exit(main())

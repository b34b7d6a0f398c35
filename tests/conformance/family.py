#!/usr/bin/python3
"""family.py - RReLU and PReLU of the library against the real PyTorch (1.13), bit for bit.

    /usr/bin/python3 tests/conformance/family.py   (make test runs it; LRELU_LIB as run.py)

RReLU: eval mode (forward and gradient), training mode from torch.manual_seed: output,
noise, gradient (grad * noise) and the generator state afterwards (the library's state
put back into PyTorch with torch.set_rng_state gives the torch.rand(5) PyTorch gives
after its own RReLU), seeds 0, 42 and 2**32 + 5, with NaN, +-0, -inf inputs.
PReLU: forward, input gradient and weight gradient over shapes and layouts, the
refusals and their messages.  Closing line: "family: N passed, M failed".
"""

import ctypes
import os
import struct
import sys

import numpy as np

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lreluffi as L  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

LIB = L.LIB
T = ctypes.POINTER(L.Tensor)
MT_N = 624


class Generator(ctypes.Structure):
    _fields_ = [("seed", ctypes.c_uint64), ("left", ctypes.c_int32), ("next", ctypes.c_uint32),
                ("state", ctypes.c_uint32 * MT_N)]


G = ctypes.POINTER(Generator)
SIGS = {
    "lrelu_generator_seed": (ctypes.c_int, [G, ctypes.c_uint64]),
    "lrelu_generator_check": (ctypes.c_int, [G]),
    "lrelu_rrelu_eval": (ctypes.c_int, [ctypes.c_double, ctypes.c_double, T, T]),
    "lrelu_rrelu_eval_backward": (ctypes.c_int, [ctypes.c_double, ctypes.c_double, T, T, T]),
    "lrelu_rrelu_train": (ctypes.c_int, [G, ctypes.c_double, ctypes.c_double, T, T, T]),
    "lrelu_rrelu_train_backward": (ctypes.c_int, [T, T, T]),
}
for _n, (_r, _a) in SIGS.items():
    _f = getattr(LIB, _n)
    _f.restype, _f.argtypes = _r, _a
HAVE_PRELU = hasattr(LIB, "lrelu_prelu_forward")
if HAVE_PRELU:
    LIB.lrelu_prelu_forward.restype = ctypes.c_int
    LIB.lrelu_prelu_forward.argtypes = [ctypes.c_int, T, T, T]
    LIB.lrelu_prelu_backward.restype = ctypes.c_int
    LIB.lrelu_prelu_backward.argtypes = [ctypes.c_int, T, T, T, T, T]

TDT = {"float32": torch.float32, "float64": torch.float64, "bfloat16": torch.bfloat16}
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        if failed <= 40:
            print("FAIL:", what)


def to_np(t, dn):
    t = t.detach().contiguous()
    if dn == "bfloat16":
        return t.view(torch.int16).numpy().view(np.uint16).copy()
    return t.numpy().copy()


def same_bits(a, b):
    return a.shape == b.shape and np.array_equal(L.bits(a), L.bits(b))


# ---- the generator state: torch.get_rng_state() <-> lrelu_generator -------------------

def gen_from_torch():
    s = torch.get_rng_state().numpy().tobytes()
    g = Generator()
    g.seed, g.left, _seeded, nxt = struct.unpack_from("<QiiQ", s, 0)
    g.next = nxt
    g.state[:] = [v & 0xFFFFFFFF for v in struct.unpack_from("<%dQ" % MT_N, s, 24)]
    return g


def gen_to_torch(g):
    s = bytearray(torch.get_rng_state().numpy().tobytes())
    struct.pack_into("<QiiQ", s, 0, g.seed, g.left, 1, g.next)
    struct.pack_into("<%dQ" % MT_N, s, 24, *g.state)
    torch.set_rng_state(torch.tensor(list(s), dtype=torch.uint8))


def rrelu_inputs(dn, seed):
    rs = np.random.RandomState(seed % 2**32)
    v = rs.standard_normal(1000) * 3
    v[:7] = [np.nan, 0.0, -0.0, -np.inf, np.inf, -1e-30, 1e30]
    v[500:503] = [np.nan, -0.0, 0.0]
    return torch.tensor(v, dtype=torch.float64).to(TDT[dn])


def view(a, dn):
    return L.View(a, dn)


def test_rrelu_train():
    bounds = [(1 / 8, 1 / 3), (0.1, 0.3), (-0.5, 0.7), (0.25, 0.25), (0.3, 1.9)]
    for dn in TDT:
        for seed in (0, 42, 2**32 + 5):
            for lo, hi in bounds:
                x = rrelu_inputs(dn, seed)
                # PyTorch
                torch.manual_seed(seed)
                xt = x.clone().requires_grad_(dn != "bfloat16" or True)
                noise_t = torch.empty_like(x)
                yt = torch.ops.aten.rrelu_with_noise(xt, noise_t, lo, hi, True)
                gt = torch.randn(x.shape, dtype=torch.float64).to(x.dtype)
                yt.backward(gt)
                after_t = torch.rand(5, dtype=torch.float64)
                # PyTorch's functional form too: same output as the aten op above
                torch.manual_seed(seed)
                yf = F.rrelu(x, lo, hi, training=True)
                check(same_bits(to_np(yf, dn), to_np(yt, dn)), "F.rrelu == aten op %s" % dn)
                # lrelu, seeded on its own
                g = Generator()
                LIB.lrelu_generator_seed(ctypes.byref(g), seed)
                xn = to_np(x, dn)
                yn, nn = np.empty_like(xn), np.empty_like(xn)
                st = LIB.lrelu_rrelu_train(ctypes.byref(g), lo, hi, view(xn, dn).ref,
                                           view(yn, dn).ref, view(nn, dn).ref)
                what = "rrelu train %s seed %d [%g, %g]" % (dn, seed, lo, hi)
                check(st == 0, what + " status %d %s" % (st, L.last_error()))
                check(same_bits(yn, to_np(yt, dn)), what + " output")
                check(same_bits(nn, to_np(noise_t, dn)), what + " noise")
                gn = to_np(gt, dn)
                dxn = np.empty_like(xn)
                st = LIB.lrelu_rrelu_train_backward(view(gn, dn).ref, view(nn, dn).ref,
                                                    view(dxn, dn).ref)
                check(st == 0 and same_bits(dxn, to_np(xt.grad, dn)), what + " gradient")
                # the state afterwards: PyTorch's (after randn for the gradient) vs ours
                torch.manual_seed(seed)
                torch.ops.aten.rrelu_with_noise(x.clone(), torch.empty_like(x), lo, hi, True)
                want = torch.rand(5, dtype=torch.float64)
                gen_to_torch(g)
                got = torch.rand(5, dtype=torch.float64)
                check(torch.equal(want, got), what + " generator state afterwards")
                # and the other way: PyTorch's state read into lrelu continues its stream
                torch.manual_seed(seed)
                torch.rand(3)
                g2 = gen_from_torch()
                yt2 = F.rrelu(x, lo, hi, training=True)
                y2 = np.empty_like(xn)
                n2 = np.empty_like(xn)
                LIB.lrelu_rrelu_train(ctypes.byref(g2), lo, hi, view(xn, dn).ref,
                                      view(y2, dn).ref, view(n2, dn).ref)
                check(same_bits(y2, to_np(yt2, dn)), what + " from a used torch state")
                del after_t
        # in place and strided (a transposed 2-D view walks in logical order)
        torch.manual_seed(7)
        x = rrelu_inputs(dn, 7).reshape(25, 40)
        want = F.rrelu(x.t().contiguous(), 0.1, 0.3, training=True)
        g = Generator()
        LIB.lrelu_generator_seed(ctypes.byref(g), 7)
        xn = to_np(x, dn)
        xv = L.View(xn, dn, shape=(40, 25), strides=(1, 40))
        nn = np.empty((40, 25), xn.dtype)
        st = LIB.lrelu_rrelu_train(ctypes.byref(g), 0.1, 0.3, xv.ref, None, view(nn, dn).ref)
        check(st == 0 and same_bits(np.ascontiguousarray(xn.T), to_np(want, dn)),
              "rrelu train in place, transposed %s" % dn)


def test_rrelu_eval():
    for dn in TDT:
        for lo, hi in [(1 / 8, 1 / 3), (0.1, 0.3), (-0.5, 0.7), (0.2, 0.2), (3.0, 3.5)]:
            x = rrelu_inputs(dn, 3)
            xt = x.clone().requires_grad_()
            yt = F.rrelu(xt, lo, hi, training=False)
            gt = torch.randn(x.shape, dtype=torch.float64).to(x.dtype)
            yt.backward(gt)
            xn = to_np(x, dn)
            yn = np.empty_like(xn)
            st = LIB.lrelu_rrelu_eval(lo, hi, view(xn, dn).ref, view(yn, dn).ref)
            ok = st == 0 and same_bits(yn, to_np(yt, dn))
            if dn == "bfloat16" and st == 0:  # PyTorch's bfloat16 NaN bits depend on position
                a, b = yn, to_np(yt, dn)
                nan = L.is_nan_bits(b, dn)
                ok = np.array_equal(a[~nan], b[~nan]) and L.is_nan_bits(a[nan], dn).all()
            check(ok, "rrelu eval %s [%g, %g]" % (dn, lo, hi))
            dxn, gn = np.empty_like(xn), to_np(gt, dn)
            st = LIB.lrelu_rrelu_eval_backward(lo, hi, view(gn, dn).ref,
                                               view(xn, dn).ref, view(dxn, dn).ref)
            check(st == 0 and same_bits(dxn, to_np(xt.grad, dn)),
                  "rrelu eval gradient %s [%g, %g]" % (dn, lo, hi))


def test_rrelu_refusals():
    x = np.array([-1.0], np.float32)
    y = np.empty_like(x)
    nz = np.empty_like(x)
    g = Generator()
    LIB.lrelu_generator_seed(ctypes.byref(g), 0)
    for lo, hi in [(0.5, 0.1), (float("nan"), 0.1), (0.1, float("nan"))]:
        try:
            F.rrelu(torch.tensor([-1.0]), lo, hi, training=True)
            msg = None
        except RuntimeError as e:
            msg = str(e)
        st = LIB.lrelu_rrelu_train(ctypes.byref(g), lo, hi, view(x, "float32").ref,
                                   view(y, "float32").ref, view(nz, "float32").ref)
        check(st == L.ERR_SLOPE and msg is not None and L.last_error() in msg,
              "bounds [%g, %g]: %r vs %r" % (lo, hi, L.last_error(), msg))
        st = LIB.lrelu_rrelu_eval(lo, hi, view(x, "float32").ref, view(y, "float32").ref)
        check(st == L.ERR_SLOPE, "eval bounds [%g, %g]" % (lo, hi))
    # a range wider than a double holds (or an infinite bound): refused only where an
    # element draws, for every dtype; the same range with nothing drawing runs
    inf = float("inf")
    for dn, dt in (("float32", torch.float32), ("float64", torch.float64),
                   ("bfloat16", torch.bfloat16)):
        for lo, hi in [(-inf, 0.0), (inf, inf), (0.0, inf), (-1.7e38, 1.7e38),
                       (-8.9e307, 8.9e307), (-9e307, 9e307)]:
            for vals in ([-1.0, 2.0], [2.0, float("nan")]):
                xt = torch.tensor(vals, dtype=dt)
                try:
                    F.rrelu(xt, lo, hi, training=True)
                    msg = None
                except RuntimeError as e:
                    msg = str(e)
                xa = to_np(xt, dn)
                ya, na = xa.copy(), xa.copy()
                vx, vy, vn = view(xa, dn), view(ya, dn), view(na, dn)
                st = LIB.lrelu_rrelu_train(ctypes.byref(g), lo, hi, vx.ref, vy.ref, vn.ref)
                check((st == 0) == (msg is None) and (msg is None or msg == L.last_error()),
                      "%s range [%g, %g] on %s: %d %r vs %r" % (dn, lo, hi, vals, st,
                                                                L.last_error(), msg))
    h = np.array([0xBC00], np.uint16)
    for train in (True, False):
        try:
            F.rrelu(torch.tensor([-1.0], dtype=torch.half), 0.1, 0.3, training=train)
            msg = None
        except RuntimeError as e:
            msg = str(e)
        if train:
            st = LIB.lrelu_rrelu_train(ctypes.byref(g), 0.1, 0.3, view(h, "float16").ref, None,
                                       view(h.copy(), "float16").ref)
        else:
            st = LIB.lrelu_rrelu_eval(0.1, 0.3, view(h, "float16").ref, None)
        check(st == L.ERR_DTYPE and msg == L.last_error(),
              "float16 refused (training %s): %r vs %r" % (train, L.last_error(), msg))
    bad = Generator()
    LIB.lrelu_generator_seed(ctypes.byref(bad), 0)
    before = bytes(bad)
    for left, nxt, ok in [(0, 0, False), (625, 0, False), (1, 0, True), (624, 1, True),
                          (624, 2, False), (2, 623, True), (2, 624, False)]:
        bad.left, bad.next = left, nxt
        st = LIB.lrelu_generator_check(ctypes.byref(bad))
        check((st == 0) == ok, "generator left %d next %d" % (left, nxt))
    bad.left, bad.next = 0, 0
    before = bytes(bad)
    st = LIB.lrelu_rrelu_train(ctypes.byref(bad), 0.1, 0.3, view(x, "float32").ref,
                               view(y, "float32").ref, view(nz, "float32").ref)
    check(st == L.ERR_ARG and bytes(bad) == before, "bad generator refused, untouched")
    # noise overlapping the input
    xx = np.array([-1.0, -2.0], np.float32)
    st = LIB.lrelu_rrelu_train(ctypes.byref(g), 0.1, 0.3, view(xx, "float32").ref, None,
                               view(xx, "float32").ref)
    check(st == L.ERR_OVERLAP, "noise == x refused")


test_rrelu_eval()
test_rrelu_train()
test_rrelu_refusals()
if HAVE_PRELU:
    import family_prelu  # noqa: E402
    family_prelu.run(sys.modules[__name__])
print("family: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)

"""family_prelu.py - PReLU against PyTorch 1.13 (run by family.py, which passes itself in)."""

import math

import numpy as np
import torch
import torch.nn.functional as F

import lreluffi as L


def collector_fsum(x, g, dn, nc):
    """The exact sum of PyTorch's collector per channel (x > 0 ? 0 : x*g in the dtype),
    rounded once to the dtype."""
    xt, gt = x.double(), g.double()
    c = torch.where(xt > 0, torch.zeros_like(xt), (x * g).double())
    if nc == 1:
        parts = [c.reshape(-1)]
    else:
        parts = [c.select(1, k).reshape(-1) for k in range(nc)]
    out = [math.fsum(p.tolist()) for p in parts]
    return torch.tensor(out, dtype=torch.float64)


def run(m):
    lib, check, to_np, same_bits = m.LIB, m.check, m.to_np, m.same_bits
    shapes = [((37,), 1), ((5, 7), 1), ((5, 7), 7), ((2, 3, 5, 9), 3), ((2, 3, 5, 9), 1),
              ((3, 16, 4, 4), 16), ((2, 1, 3, 3), 1), ((), 1), ((4, 0, 3), 0)]
    for dn in m.TDT:
        for shape, nc in shapes:
            for layout in ("first", "last"):
                if layout == "last" and len(shape) != 4:
                    continue
                gen = torch.Generator().manual_seed(11)
                x = (torch.randn(shape, generator=gen, dtype=torch.float64) * 4).to(m.TDT[dn])
                if x.numel() > 8:
                    flat = x.view(-1)
                    flat[:6] = torch.tensor([float("nan"), 0.0, -0.0, float("-inf"),
                                             float("inf"), -1e-30]).to(x.dtype)
                w = (torch.randn(max(nc, 0), generator=gen, dtype=torch.float64)).to(x.dtype)
                if nc > 1:
                    w[0] = -0.5
                if layout == "last":
                    x = x.contiguous(memory_format=torch.channels_last)
                gout = torch.randn(shape, generator=gen, dtype=torch.float64).to(x.dtype)
                if layout == "last":
                    gout = gout.contiguous(memory_format=torch.channels_last)
                xt, wt = x.clone().requires_grad_(), w.clone().requires_grad_()
                if layout == "last":
                    xt = x.detach().clone(memory_format=torch.channels_last).requires_grad_()
                yt = F.prelu(xt, wt)
                yt.backward(gout)
                what = "prelu %s %s %s C=%d" % (dn, shape, layout, nc)
                # lrelu on the same memory layout
                def np_of(t):
                    a = to_np(t, dn)
                    if layout == "last":
                        a = np.ascontiguousarray(a.transpose(0, 2, 3, 1))
                    return a
                def lview(a):
                    if layout != "last":
                        return L.View(a, dn)
                    n_, h_, w_, c_ = a.shape
                    return L.View(a, dn, shape=(n_, c_, h_, w_),
                                  strides=(h_ * w_ * c_, 1, w_ * c_, c_))
                xn, gn, wn = np_of(x), np_of(gout), to_np(w, dn)
                yn, dxn, dwn = np.empty_like(xn), np.empty_like(xn), np.empty_like(wn)
                vx, vy, vw, vg, vd, vdw = lview(xn), lview(yn), L.View(wn, dn), lview(gn), \
                    lview(dxn), L.View(dwn, dn)
                st = lib.lrelu_prelu_forward(0, vx.ref, vw.ref, vy.ref)
                want = np_of(yt)
                ok = st == 0
                if ok and dn == "bfloat16":
                    nan = L.is_nan_bits(want, dn)
                    ok = np.array_equal(yn[~nan], want[~nan]) and L.is_nan_bits(yn[nan], dn).all()
                elif ok:
                    ok = same_bits(yn, want)
                check(ok, what + " forward (%d %s)" % (st, L.last_error()))
                st = lib.lrelu_prelu_backward(0, vg.ref, vx.ref, vw.ref, vd.ref, vdw.ref)
                check(st == 0 and same_bits(dxn, np_of(xt.grad)), what + " input gradient")
                # the weight gradient: the collector's exact sum rounded once
                exact = collector_fsum(x, gout, dn, nc).to(x.dtype)
                ex = to_np(exact, dn)
                nan = L.is_nan_bits(ex, dn) if dn == "bfloat16" else np.isnan(ex)
                ok = (st == 0 and np.array_equal(L.bits(dwn)[~nan], L.bits(ex)[~nan]) and
                      L.is_nan_bits(dwn[nan], dn).all())  # a NaN sum: any NaN
                check(ok,
                      what + " weight gradient %s vs exact %s" % (dwn, to_np(exact, dn)))
                # the same bits for every thread count and ISA
                for isa in L.available_isas():
                    for nt in (1, 2, 3, 8):
                        lib.lrelu_set_isa(isa)
                        lib.lrelu_set_num_threads(nt)
                        dw2 = np.empty_like(wn)
                        vdw2 = L.View(dw2, dn)
                        lib.lrelu_prelu_backward(0, vg.ref, vx.ref, vw.ref, None, vdw2.ref)
                        check(same_bits(dw2, dwn), what + " weight gradient isa %d threads %d"
                              % (isa, nt))
                lib.lrelu_set_isa(L.ISA_AUTO)
                lib.lrelu_set_num_threads(0)
    # the refusals, message for message
    def torch_msg(f):
        try:
            f()
        except RuntimeError as e:
            return str(e)
        return None
    cases = [
        ((3,), (4,), torch.float32, torch.float32),
        ((2, 3), (2,), torch.float32, torch.float32),
        ((2, 3), (3,), torch.float32, torch.float64),
        ((2, 3), (3,), torch.float64, torch.float32),
        ((2, 3), (3, 1), torch.float32, torch.float32),
        ((), (2,), torch.float32, torch.float32),
        ((2, 3), (3,), torch.half, torch.half),
    ]
    for xs, ws, xd, wd in cases:
        xt, wt = torch.ones(xs, dtype=xd), torch.ones(ws, dtype=wd)
        msg = torch_msg(lambda: F.prelu(xt, wt))
        dname = {torch.float32: "float32", torch.float64: "float64", torch.half: "float16"}
        xa = np.ones(xs, dtype=np.uint16 if xd == torch.half else xd.__reduce__()[1][0]
                     if False else {torch.float32: np.float32, torch.float64: np.float64,
                                    torch.half: np.uint16}[xd])
        wa = np.ones(ws, dtype={torch.float32: np.float32, torch.float64: np.float64,
                                torch.half: np.uint16}[wd])
        ya = np.empty_like(xa)
        vx, vw, vy = L.View(xa, dname[xd]), L.View(wa, dname[wd]), L.View(ya, dname[xd])
        st = lib.lrelu_prelu_forward(0, vx.ref, vw.ref, vy.ref)
        check(st != 0 and msg is not None and L.last_error() == msg,
              "prelu refusal %s %s: %r vs %r" % (xs, ws, L.last_error(), msg))
    # -0.0 with a negative weight gives +0.0
    xa, wa = np.array([-0.0], np.float32), np.array([-0.5], np.float32)
    ya = np.empty_like(xa)
    vx, vw, vy = L.View(xa, "float32"), L.View(wa, "float32"), L.View(ya, "float32")
    lib.lrelu_prelu_forward(0, vx.ref, vw.ref, vy.ref)
    check(L.bits(ya)[0] == 0, "prelu(-0.0, -0.5) is +0.0")
    # y overlapping x by one element (but not the same elements) is refused; adjacent is not
    buf = np.zeros(9, np.float32)
    wa = np.array([0.25], np.float32)
    vw = L.View(wa, "float32")
    a = L.View(buf, "float32", data=buf.ctypes.data, shape=(4,), strides=(1,))
    b = L.View(buf, "float32", data=buf.ctypes.data + 12, shape=(4,), strides=(1,))
    c = L.View(buf, "float32", data=buf.ctypes.data + 16, shape=(4,), strides=(1,))
    check(lib.lrelu_prelu_forward(0, a.ref, vw.ref, b.ref) == L.ERR_OVERLAP, "overlap by one refused")
    check(lib.lrelu_prelu_forward(0, a.ref, vw.ref, c.ref) == 0, "adjacent accepted")
    check(lib.lrelu_prelu_forward(0, a.ref, vw.ref, a.ref) == 0, "in place accepted")
    run_mixed(m)
    run_mindspore(m)


# ---- PyTorch 1.13's mixed dtypes ------------------------------------------------------

_TNAME = {torch.float32: "float32", torch.float64: "float64", torch.bfloat16: "bfloat16",
          torch.half: "float16"}


def _np_of(t):
    """A tensor's memory as lrelu takes it (16-bit types as their bits)."""
    t = t.detach().contiguous()
    if t.dtype in (torch.bfloat16, torch.half):
        return t.view(torch.int16).numpy().view(np.uint16).copy()
    return t.numpy().copy()


def run_mixed(m):
    """A bfloat16 x runs with a weight of any float dtype (PyTorch copies it to bfloat16
    through float: one rounding of the product, the weight itself rounded first);
    every other mismatch is refused.  Checked against the real PyTorch."""
    lib, check, same_bits = m.LIB, m.check, m.same_bits
    gen = torch.Generator().manual_seed(5)
    x = (torch.randn(3, 4, 5, generator=gen, dtype=torch.float64) * 3).to(torch.bfloat16)
    x.view(-1)[:5] = torch.tensor([float("nan"), 0.0, -0.0, float("-inf"), -1.0])
    g = torch.randn(3, 4, 5, generator=gen, dtype=torch.float64).to(torch.bfloat16)
    # 1 + 2^-8 + 2^-30: float rounds it to the bfloat16 tie 1 + 2^-8, which then goes
    # to even (1.0); a direct rounding would give 1 + 2^-7.  1 + 2^-9 (float16) and
    # 0.1 need a rounding to bfloat16 too.
    w64 = torch.tensor([1 + 2 ** -8 + 2 ** -30, -(1 + 2 ** -9), 0.1, -0.3], dtype=torch.float64)
    for wd in (torch.float32, torch.float64, torch.half):
        for nc in (4, 1):
            w = w64[:nc].to(wd)
            what = "prelu mixed bfloat16 x, %s weight C=%d" % (_TNAME[wd], nc)
            xt, wt = x.clone().requires_grad_(), w.clone().requires_grad_()
            yt = F.prelu(xt, wt)
            yt.backward(g)
            xn, gn, wn = _np_of(x), _np_of(g), _np_of(w)
            yn, dxn, dwn = np.empty_like(xn), np.empty_like(xn), np.empty_like(wn)
            vx, vg, vw = L.View(xn, "bfloat16"), L.View(gn, "bfloat16"), L.View(wn, _TNAME[wd])
            vy, vd, vdw = L.View(yn, "bfloat16"), L.View(dxn, "bfloat16"), L.View(dwn, _TNAME[wd])
            st = lib.lrelu_prelu_forward(0, vx.ref, vw.ref, vy.ref)
            want = _np_of(yt)
            nan = L.is_nan_bits(want, "bfloat16")
            check(st == 0 and yt.dtype == torch.bfloat16 and
                  np.array_equal(yn[~nan], want[~nan]) and L.is_nan_bits(yn[nan], "bfloat16").all(),
                  what + " forward (%d %s)" % (st, L.last_error()))
            st = lib.lrelu_prelu_backward(0, vg.ref, vx.ref, vw.ref, vd.ref, vdw.ref)
            want = _np_of(xt.grad)
            nan = L.is_nan_bits(want, "bfloat16")
            check(st == 0 and np.array_equal(dxn[~nan], want[~nan]),
                  what + " input gradient (%d %s)" % (st, L.last_error()))
            # PyTorch's weight gradient: its bfloat16 sum cast to the weight's dtype;
            # lrelu's: the exact sum rounded once to bfloat16, then cast the same way
            exact = collector_fsum(x, g, "bfloat16", nc).to(torch.bfloat16).to(wd)
            ex = _np_of(exact)
            nan = np.isnan(exact.numpy())  # a NaN sum: any NaN
            check(wt.grad.dtype == wd and
                  torch.equal(torch.isnan(wt.grad), torch.isnan(exact)) and
                  torch.equal(wt.grad[~wt.grad.isnan()].to(torch.bfloat16).to(wd),
                              wt.grad[~wt.grad.isnan()]) and
                  np.array_equal(L.bits(dwn)[~nan], L.bits(ex)[~nan]) and
                  np.isnan(dwn.view(np.float16) if wd == torch.half else dwn)[nan].all(),
                  what + " weight gradient %s vs %s (PyTorch %s)" % (dwn, _np_of(exact), wt.grad))

    # the refusals, in PyTorch's order (weight rank, channel count, dtype, Half)
    cases = [
        ((3,), (4,), torch.float32, torch.float32),
        ((2, 3), (2,), torch.float32, torch.float32),
        ((2, 3), (3,), torch.float32, torch.float64),
        ((2, 3), (3,), torch.float64, torch.float32),
        ((2, 3), (3,), torch.float32, torch.bfloat16),
        ((2, 3), (3,), torch.float32, torch.half),
        ((2, 3), (3,), torch.half, torch.float32),
        ((2, 3), (3,), torch.half, torch.bfloat16),
        ((2, 3), (4,), torch.half, torch.float32),
        ((2, 3), (4,), torch.float32, torch.float64),
        ((2, 3), (3, 1), torch.float32, torch.float64),
        ((2, 3), (1, 3), torch.bfloat16, torch.float32),
        ((2, 3), (4,), torch.bfloat16, torch.float32),
        ((0, 3), (3,), torch.float32, torch.float64),
        ((), (2,), torch.float32, torch.float64),
        ((), (2,), torch.bfloat16, torch.float32),
        ((2, 3), (3,), torch.half, torch.half),
    ]
    for xs, ws, xd, wd in cases:
        xt, wt = torch.ones(xs, dtype=xd), torch.ones(ws, dtype=wd)
        try:
            F.prelu(xt, wt)
            msg = None
        except RuntimeError as e:
            msg = str(e)
        xa, wa = _np_of(xt), _np_of(wt)
        ya = np.empty_like(xa)
        vx, vw, vy = L.View(xa, _TNAME[xd]), L.View(wa, _TNAME[wd]), L.View(ya, _TNAME[xd])
        st = lib.lrelu_prelu_forward(0, vx.ref, vw.ref, vy.ref)
        check(st != 0 and msg is not None and L.last_error() == msg,
              "prelu refusal %s %s %s %s: %r vs %r" % (xs, ws, xd, wd, L.last_error(), msg))
    # and what it accepts: an empty bfloat16 x with a float32 weight, a 0-d weight
    for xs, ws in (((0, 3), (3,)), ((2, 3), ())):
        xt, wt = torch.ones(xs, dtype=torch.bfloat16), torch.full(ws, -0.5)
        want = _np_of(F.prelu(xt, wt))
        xa, wa = _np_of(xt), _np_of(wt)
        ya = np.empty_like(xa)
        vx, vw, vy = L.View(xa, "bfloat16"), L.View(wa, "float32"), L.View(ya, "bfloat16")
        st = lib.lrelu_prelu_forward(0, vx.ref, vw.ref, vy.ref)
        check(st == 0 and same_bits(ya, want), "prelu bfloat16 %s with float32 %s accepted" % (xs, ws))


# ---- MindSpore 2.8: a scalar model of its CPU kernels (MindSpore is not installable) ----

def _ms_f16(v):
    """MindSpore's Float16(float): IEEE rounding, a NaN written as sign | 0x7E00."""
    v = np.float32(v)
    if np.isnan(v):
        return np.uint16(0xFE00 if (np.float32(v).view(np.uint32) >> 31) else 0x7E00)
    return np.float16(v).view(np.uint16)


def _ms_model(dn, x, w, g):
    """PReluCpuKernelMod and PReLUGradCpuKernelMod as read, element by element in flat
    order: y = x < 0 ? w*x : x; dx = x <= 0 ? w*dy : dy; dw[c] = float sum of x*dy over
    x < 0.  Arrays in the dtype's storage (float16 as bits)."""
    f16 = dn == "float16"
    ld = (lambda b: np.uint16(b).view(np.float16).astype(np.float32)) if f16 else np.float32

    def mul(a, b):
        p = np.float32(a) * np.float32(b)
        return ld(_ms_f16(p)) if f16 else p

    def st(v):
        return _ms_f16(v) if f16 else np.float32(v)
    xf, gf = x.reshape(-1), g.reshape(-1)
    nc = w.size
    per = 1 if x.ndim == 0 else (x.size if x.ndim == 1 else x.size // (x.shape[0] * x.shape[1]))
    y, dx = xf.copy(), gf.copy()
    acc = [np.float32(0)] * nc
    with np.errstate(all="ignore"):
        for i in range(xf.size):
            c = 0 if nc == 1 else (i // per) % nc
            xv, gv, wv = ld(xf[i]), ld(gf[i]), ld(w[c])
            if xv < 0:
                y[i] = st(mul(wv, xv))
                acc[c] = np.float32(acc[c] + mul(xv, gv))
            if xv <= 0:
                dx[i] = st(mul(wv, gv))
    dw = np.array([st(a) for a in acc], dtype=w.dtype)
    return y.reshape(x.shape), dx.reshape(x.shape), dw


def run_mindspore(m):
    lib, check, same_bits = m.LIB, m.check, m.same_bits
    rng = np.random.default_rng(3)
    specials = [np.nan, 0.0, -0.0, -np.inf, np.inf, -1e-30, -65504.0, 3.0, -2.5]
    for dn, npt in (("float32", np.float32), ("float16", np.float16)):
        store = np.uint16 if dn == "float16" else np.float32
        for shape, nc, layout in (((37,), 1, "first"), ((5, 7), 7, "first"), ((5, 7), 1, "first"),
                                  ((2, 3, 5, 9), 3, "first"), ((2, 3, 5, 9), 3, "last"),
                                  ((2, 3, 5, 9), 1, "last"), ((), 1, "first"),
                                  ((2, 3, 0), 3, "first")):
            xv = np.asarray(rng.standard_normal(shape) * 3).astype(npt)
            if xv.size > 9:
                xv.reshape(-1)[:9] = np.array(specials, np.float64).astype(npt)
            gv = np.asarray(rng.standard_normal(shape)).astype(npt)
            if gv.size > 9:
                gv.reshape(-1)[9] = np.inf  # at x = -0.0's neighbour: -0*inf must stay out
                gv.reshape(-1)[2] = np.inf  # x = -0.0: not summed (x < 0 is false)
            wv = rng.standard_normal(nc).astype(npt)
            if nc > 1:
                wv[0] = -0.5
            xs = xv.view(store) if dn == "float16" else xv
            gs = gv.view(store) if dn == "float16" else gv
            ws = wv.view(store) if dn == "float16" else wv
            if nc > 2 and dn == "float16":
                ws[2] = 0x7D01  # a NaN weight with a payload: MindSpore's products are 0x7E00
            ym, dxm, dwm = _ms_model(dn, xs, ws, gs)
            what = "mindspore prelu %s %s %s C=%d" % (dn, shape, layout, nc)

            def lay(a):
                return np.ascontiguousarray(a.transpose(0, 2, 3, 1)) if layout == "last" else a.copy()

            def view(a):
                if layout != "last":
                    return L.View(a, dn)
                n_, h_, w_, c_ = a.shape
                return L.View(a, dn, shape=(n_, c_, h_, w_), strides=(h_ * w_ * c_, 1, w_ * c_, c_))
            xn, gn = lay(xs), lay(gs)
            yn, dxn, dwn = np.empty_like(xn), np.empty_like(xn), np.empty_like(ws)
            vx, vg, vw, vy, vd, vdw = view(xn), view(gn), L.View(ws, dn), view(yn), view(dxn), \
                L.View(dwn, dn)
            st = lib.lrelu_prelu_forward(1, vx.ref, vw.ref, vy.ref)
            check(st == 0 and same_bits(yn, lay(ym)), what + " forward (%d %s)" % (st, L.last_error()))
            st = lib.lrelu_prelu_backward(1, vg.ref, vx.ref, vw.ref, vd.ref, vdw.ref)
            check(st == 0 and same_bits(dxn, lay(dxm)) and same_bits(dwn, dwm),
                  what + " backward (%d %s) dw %s vs %s" % (st, L.last_error(), dwn, dwm))
            # in place: y over x, dx over grad_output
            xi, gi = xn.copy(), gn.copy()
            vxi, vgi = view(xi), view(gi)
            st = lib.lrelu_prelu_forward(1, vxi.ref, vw.ref, vxi.ref)
            check(st == 0 and same_bits(xi, lay(ym)), what + " forward in place")
            st = lib.lrelu_prelu_backward(1, vgi.ref, vx.ref, vw.ref, vgi.ref, None)
            check(st == 0 and same_bits(gi, lay(dxm)), what + " input gradient in place")
            for isa in L.available_isas():
                for nt in (1, 3):
                    lib.lrelu_set_isa(isa)
                    lib.lrelu_set_num_threads(nt)
                    y2 = np.empty_like(xn)
                    st = lib.lrelu_prelu_forward(1, vx.ref, vw.ref, view(y2).ref)
                    check(st == 0 and same_bits(y2, lay(ym)), what + " isa %d threads %d" % (isa, nt))
            lib.lrelu_set_isa(L.ISA_AUTO)
            lib.lrelu_set_num_threads(0)

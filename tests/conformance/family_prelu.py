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

"""diff_torch.py - lrelu_diff on real PyTorch 1.13 outputs, its counts checked with NumPy.

PyTorch's own forward and autograd results (float32, float64, bfloat16) are handed to
lrelu_diff as side A, against the library's rules as side B (computed by the diff
itself): against PyTorch's rule they must agree except in NaN payloads (PyTorch's
bfloat16 NaN bits depend on the element's position), and against MindSpore's rule the
counts (elements that differ, each value-only cause, the largest ULP distance, the mask)
must be what NumPy counts on the bits.  Run by `make test-diff-torch`.
"""

import ctypes
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "conformance"))
import lreluffi as ffi  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check  # noqa: E402
import checks  # noqa: E402

LIB = ffi.LIB
NCAUSES = 9


class Options(ctypes.Structure):
    _fields_ = [("dtype", ctypes.c_int), ("from_", ctypes.c_int), ("to", ctypes.c_int),
                ("from_slope", ctypes.c_double), ("to_slope", ctypes.c_double),
                ("backward", ctypes.c_bool), ("indices", ctypes.POINTER(ctypes.c_uint64)),
                ("index_capacity", ctypes.c_size_t)]


class Report(ctypes.Structure):
    _fields_ = [("elements", ctypes.c_uint64), ("differ", ctypes.c_uint64),
                ("causes", ctypes.c_uint64 * NCAUSES), ("numeric", ctypes.c_uint64),
                ("max_ulp", ctypes.c_uint64), ("max_abs", ctypes.c_double),
                ("max_rel", ctypes.c_double), ("attributed", ctypes.c_uint64),
                ("match", (ctypes.c_uint64 * 2) * 2), ("neither", ctypes.c_uint64 * 2),
                ("nindices", ctypes.c_size_t)]


P = ctypes.c_void_p
LIB.lrelu_diff_run.restype = ctypes.c_int
LIB.lrelu_diff_run.argtypes = [ctypes.POINTER(Options), P, P, P, P, ctypes.c_size_t, P,
                               ctypes.POINTER(Report)]
LIB.lrelu_diff_cause_name.restype = ctypes.c_char_p
LIB.lrelu_diff_cause_name.argtypes = [ctypes.c_int, ctypes.c_bool]
CAUSES = [LIB.lrelu_diff_cause_name(k, False).decode() for k in range(NCAUSES)]


def diff(dtype_name, fr, to, slope, a, x, g=None, backward=False):
    """Side A given (a), side B computed from the `to` rule; returns (report, mask)."""
    dt = ffi.DTYPES[dtype_name][0]
    idx = (ctypes.c_uint64 * 16)()
    o = Options(dt, fr, to, slope, slope, backward, idx, 16)
    r = Report()
    mask = np.empty(x.size, np.uint8)
    ptr = (lambda v: None if v is None else v.ctypes.data)
    st = LIB.lrelu_diff_run(ctypes.byref(o), ptr(a), None, ptr(x), ptr(g), x.size,
                            mask.ctypes.data, ctypes.byref(r))
    assert st == 0, ffi.last_error()
    return r, mask.astype(bool), list(idx)[:r.nindices]


def to_torch(arr, dtype_name):
    if dtype_name == "bfloat16":
        return torch.from_numpy(arr.view(np.int16).copy()).view(torch.bfloat16)
    return torch.from_numpy(arr.copy())


def from_torch(t, dtype_name):
    if dtype_name == "bfloat16":
        return t.detach().view(torch.int16).numpy().view(np.uint16).copy()
    return t.detach().numpy().copy()


def numpy_counts(a, b, dtype_name):
    """Elements that differ, the value-only causes, and the largest ULP distance, on bits."""
    ab, bb = ffi.bits(a), ffi.bits(b)
    width = ab.dtype.itemsize * 8
    ab = ab.astype(np.uint64)
    bb = bb.astype(np.uint64)
    sign = np.uint64(1) << np.uint64(width - 1)
    ma, mb = ab & (sign - np.uint64(1)), bb & (sign - np.uint64(1))
    inf = {"float32": 0x7F800000, "float64": 0x7FF0000000000000, "bfloat16": 0x7F80}[dtype_name]
    inf = np.uint64(inf)
    an, bn = ma > inf, mb > inf
    d = ab != bb
    out = {
        "differ": int(d.sum()),
        "nan_payload": int((d & an & bn).sum()),
        "inf_vs_nan": int((d & an & ~bn & (mb == inf)).sum() + (d & bn & ~an & (ma == inf)).sum()),
        "nan_vs_number": int((d & an & ~bn & (mb != inf)).sum() + (d & bn & ~an & (ma != inf)).sum()),
        "signed_zero": int((d & (ma == 0) & (mb == 0)).sum()),
    }
    num = d & ~an & ~bn & ~((ma == 0) & (mb == 0))
    same_sign = (ab & sign) == (bb & sign)
    ulp = np.where(same_sign, np.where(ma > mb, ma - mb, mb - ma), ma + mb)
    out["numeric"] = int(num.sum())
    out["max_ulp"] = int(ulp[num].max()) if num.any() else 0
    out["mask"] = d
    return out


def inputs(dtype_name, rng):
    if dtype_name == "bfloat16":
        return np.arange(65536, dtype=np.uint32).astype(np.uint16)
    np_t = np.float32 if dtype_name == "float32" else np.float64
    sp = np.array([0.0, -0.0, 1.0, -1.0, -3.0, np.inf, -np.inf, np.nan, -np.nan, 1e-40, -1e-40,
                   np.finfo(np_t).max, -np.finfo(np_t).max, np.finfo(np_t).tiny], np_t)
    r = (rng.standard_normal(20000) * np.exp(rng.uniform(-30, 30, 20000))).astype(np_t)
    return np.concatenate([sp, r])


def lib_rule(fw, slope, x, g, dtype_name):
    """The library's result for fw's rule (backward where g is given)."""
    if g is not None:
        return ffi.backward(fw, slope, g, x, dtype_name)[1]
    return ffi.forward(fw, slope, x, dtype_name)[1]


def run_case(dtype_name, slope, backward, rng):
    x = inputs(dtype_name, rng)
    tx = to_torch(x, dtype_name)
    g = None
    if backward:
        gf = rng.standard_normal(x.size).astype(np.float32)
        tg = torch.from_numpy(gf).to(tx.dtype)
        g = from_torch(tg, dtype_name)
        tx.requires_grad_(True)
        F.leaky_relu(tx, slope).backward(tg)
        a = from_torch(tx.grad, dtype_name)
    else:
        a = from_torch(F.leaky_relu(tx, slope), dtype_name)
    what = "%s %s slope %g" % (dtype_name, "backward" if backward else "forward", slope)

    # Against PyTorch's rule: only NaN payloads may differ, and the dump follows the rule.
    r, mask, _ = diff(dtype_name, ffi.TORCH, ffi.TORCH, slope, a, x, g, backward)
    want = numpy_counts(a, lib_rule(ffi.TORCH, slope, x, g, dtype_name), dtype_name)
    check(r.differ == want["differ"] == want["nan_payload"] == r.causes[CAUSES.index("nan_payload")],
          "%s: PyTorch vs the library's PyTorch rule: differ %d, NumPy %s" % (what, r.differ, want))
    check(r.neither[0] == 0 and r.match[0][0] == x.size, "%s: PyTorch's dump matches its rule" % what)
    check(np.array_equal(mask, want["mask"]), "%s: mask (torch)" % what)

    # Against MindSpore's rule: the counts NumPy makes on the bits.
    r, mask, idx = diff(dtype_name, ffi.TORCH, ffi.MINDSPORE, slope, a, x, g, backward)
    want = numpy_counts(a, lib_rule(ffi.MINDSPORE, slope, x, g, dtype_name), dtype_name)
    got = {k: r.causes[CAUSES.index(k)] for k in ("nan_payload", "inf_vs_nan", "nan_vs_number",
                                                  "signed_zero")}
    got.update(differ=r.differ, numeric=r.numeric, max_ulp=r.max_ulp)
    check(all(got[k] == want[k] for k in got), "%s: vs MindSpore %s, NumPy %s" % (
        what, got, {k: want[k] for k in got}))
    check(sum(r.causes) == r.differ and r.causes[CAUSES.index("other")] == 0,
          "%s: causes add up, none unexplained: %s" % (what, list(r.causes)))
    check(r.neither[0] == 0 and r.neither[1] == 0, "%s: both sides follow a rule" % what)
    check(np.array_equal(mask, want["mask"]), "%s: mask (mindspore)" % what)
    check(idx == list(np.flatnonzero(want["mask"])[:16]), "%s: indices" % what)
    return r


def main():
    rng = np.random.default_rng(13)
    for dtype_name in ("float32", "float64", "bfloat16"):
        for slope in (0.2, 0.01, -0.5, 0.0):
            for backward in (False, True):
                r = run_case(dtype_name, slope, backward, rng)
                print("%-8s %-8s slope %-5g differ %6d  %s" % (
                    dtype_name, "backward" if backward else "forward", slope, r.differ,
                    ", ".join("%s %d" % (CAUSES[k], r.causes[k]) for k in range(NCAUSES)
                              if r.causes[k])))
    return checks.summary("diff_torch")


if __name__ == "__main__":
    sys.exit(main())

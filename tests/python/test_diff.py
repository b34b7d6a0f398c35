"""lrelu.diff / lrelu.diff_arrays: bit for bit against an independent NumPy comparison of
the two sides, field for field against the command's `lrelu diff --json` on the same data
(one implementation: the library's lrelu_diff), every layout, dtype, framework pair, the
slopes' rules, gradients, two given arrays with attribution, and the refusals."""
import inspect
import json
import math
import os
import pickle
import subprocess

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lrelu
from conftest import ROOT, specials

LRELU = os.path.abspath(os.environ.get("LRELU", os.path.join(ROOT, "build", "lrelu")))
CAUSES = ["nan_vs_number", "inf_vs_nan", "nan_payload", "signed_zero", "gradient_tie",
          "double_rounding", "slope_rounding", "different_slopes", "other"]
FRAMEWORKS = ["torch", "mindspore", "onnx", "tensorflow"]
DTYPES = ["float32", "float64", "float16", "bfloat16"]
WIDTH = {"float32": 32, "float64": 64, "float16": 16, "bfloat16": 16}
INF_BITS = {"float32": 0x7F800000, "float64": 0x7FF0000000000000, "float16": 0x7C00,
            "bfloat16": 0x7F80}
UINT = {16: np.uint16, 32: np.uint32, 64: np.uint64}
CHUNK = 1 << 16  # the extension's gathering chunk (DIFF_CHUNK)


# ---- data ------------------------------------------------------------------------------

def make(dtype, values):
    """An array of dtype (bfloat16: uint16 bit patterns, rounded as the library rounds)."""
    v = np.asarray(values, np.float64)
    if dtype == "bfloat16":
        return torch.from_numpy(v.astype(np.float32)).to(torch.bfloat16).view(torch.int16) \
            .numpy().view(np.uint16).copy()
    with np.errstate(over="ignore"):
        return v.astype(dtype)


def values(dtype, rng, n=3000):
    v = np.concatenate([specials(np.float64), rng.standard_normal(n) * 10.0 ** rng.integers(-3, 3, n),
                        -np.arange(1, 200, dtype=np.float64) / 7])
    return make(dtype, v)


def kw_dtype(dtype):
    return {"dtype": "bfloat16"} if dtype == "bfloat16" else {}


def side(x, fw, slope, dtype, grad=None):
    """One side's result through the library's rule (tested against PyTorch elsewhere)."""
    if grad is None:
        return lrelu.leaky_relu(x, slope, framework=fw, **kw_dtype(dtype))
    return lrelu.leaky_relu_backward(grad, x, slope, framework=fw, **kw_dtype(dtype))


# ---- the independent comparison ----------------------------------------------------------

def as_bits(a, dtype):
    if isinstance(a, torch.Tensor):
        a = a.detach().contiguous()
        a = a.view(torch.int16).numpy() if a.dtype in (torch.bfloat16, torch.float16) else a.numpy()
    a = np.ascontiguousarray(a)
    return a.view(UINT[WIDTH[dtype]]).astype(np.uint64).ravel()


def bit_values(b, dtype):
    u = b.astype(UINT[WIDTH[dtype]])
    if dtype == "bfloat16":
        return (u.astype(np.uint32) << np.uint32(16)).view(np.float32).astype(np.float64)
    return u.view(dtype).astype(np.float64)


def expected(a, b, dtype):
    """What differs, the value-only causes and the measures, from the two sides' bits."""
    ab, bb = as_bits(a, dtype), as_bits(b, dtype)
    sign = np.uint64(1) << np.uint64(WIDTH[dtype] - 1)
    inf = np.uint64(INF_BITS[dtype])
    ma, mb = ab & (sign - np.uint64(1)), bb & (sign - np.uint64(1))
    an, bn = ma > inf, mb > inf
    d = ab != bb
    zero = (ma == 0) & (mb == 0)
    num = d & ~an & ~bn & ~zero
    want = {"elements": ab.size, "differ": int(d.sum()),
            "indices": [int(i) for i in np.flatnonzero(d)[:1000]], "mask": d,
            "nan_payload": int((d & an & bn).sum()),
            "inf_vs_nan": int((d & (an ^ bn) & (np.where(an, mb, ma) == inf)).sum()),
            "nan_vs_number": int((d & (an ^ bn) & (np.where(an, mb, ma) != inf)).sum()),
            "signed_zero": int((d & zero).sum()),
            "max_ulp": None, "max_abs": None, "max_rel": None}
    if num.any():
        ulp = np.where((ab & sign) == (bb & sign), np.where(ma > mb, ma - mb, mb - ma), ma + mb)
        va, vb = bit_values(ab[num], dtype), bit_values(bb[num], dtype)
        with np.errstate(all="ignore"):
            infs = np.isinf(va) | np.isinf(vb)
            m = np.maximum(np.abs(va), np.abs(vb))
            diff = np.abs(va - vb)
            rel = np.where(np.isinf(diff), np.abs(va / m - vb / m), diff / m)
            absd = np.where(infs, np.inf, diff)
            rel = np.where(infs, np.where(np.isinf(va) & np.isinf(vb), 2.0, 1.0), rel)
        want.update(max_ulp=int(ulp[num].max()), max_abs=float(absd.max()), max_rel=float(rel.max()))
    return want


def check(r, want):
    """The DiffResult against the independent comparison, bit for bit."""
    assert isinstance(r, lrelu.DiffResult)
    assert r.elements == want["elements"]
    assert r.differ == want["differ"], (r.differ, want["differ"])
    mask = r.mask.numpy() if isinstance(r.mask, torch.Tensor) else r.mask
    assert mask.dtype == np.bool_ and mask.shape == tuple(r.shape)
    assert np.array_equal(mask.ravel(), want["mask"])
    assert r.indices == want["indices"]
    assert list(r.causes) == CAUSES and sum(r.causes.values()) == r.differ
    for k in ("nan_payload", "inf_vs_nan", "nan_vs_number", "signed_zero"):
        assert r.causes[k] == want[k], (k, r.causes[k], want[k])
    for k in ("max_ulp", "max_abs", "max_rel"):
        got = getattr(r, k)
        assert (got is None) == (want[k] is None), (k, got, want[k])
        if got is not None:  # the same double, not approximately
            assert type(got) is (int if k == "max_ulp" else float)
            assert got == want[k], (k, got, want[k])


# ---- the command ----------------------------------------------------------------------

def save(tmp_path, name, a):
    p = str(tmp_path / name)
    np.save(p, a)
    return p


def command(args, tmp_path=None):
    """`lrelu diff --json ARGS` (with --mask when tmp_path is given): (status, JSON, mask)."""
    assert os.path.exists(LRELU), "the command %s is not built (make %s)" % (LRELU, LRELU)
    extra = ["--mask", str(tmp_path / "mask.npy")] if tmp_path is not None else []
    p = subprocess.run([LRELU, "diff", "--json"] + extra + list(args), capture_output=True, text=True)
    assert p.returncode in (0, 1), (p.returncode, p.stderr)
    mask = np.load(str(tmp_path / "mask.npy")) if tmp_path is not None else None
    return p.returncode, json.loads(p.stdout), mask


def same_as_command(r, args, tmp_path):
    """Every field of r equals the command's JSON (and mask file) on the same data."""
    rc, j, mask = command(args, tmp_path)
    j.pop("a", None), j.pop("b", None)  # the files' names
    for k in ("from_slope", "to_slope"):
        if j[k] == "nan":
            j[k] = float("nan")
    d = r.as_dict()
    assert sorted(d) == sorted(j), (sorted(d), sorted(j))
    for k in j:
        if k in ("from_slope", "to_slope") and math.isnan(j[k]):
            assert math.isnan(d[k]), k
        else:
            assert d[k] == j[k] and type(d[k]) is type(j[k]), (k, d[k], j[k])
    assert rc == (1 if r.differ else 0)
    m = r.mask.numpy() if isinstance(r.mask, torch.Tensor) else r.mask
    assert mask.dtype == np.bool_ and mask.shape == m.shape and np.array_equal(mask, m)


def slope_args(**slopes):
    args = []
    for k, v in slopes.items():
        args += ["--" + k.replace("_", "-"), repr(v)]
    return args


# ---- two rules on x, against NumPy ----------------------------------------------------------

SLOPE_CASES = [
    {},                                          # none: both 0.2
    {"negative_slope": 0.01, "alpha": 0.2},      # the default-slope mistake
    {"negative_slope": 0.1},                     # one alone: both sides
    {"negative_slope": float("nan"), "alpha": float("nan")},
    {"negative_slope": -0.5, "alpha": -0.5},
    {"negative_slope": 1.5, "alpha": 1.5},       # MindSpore's min branch
    {"from_slope": 0.4095221164490599, "to_slope": 0.4095221164490599},
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("slopes", SLOPE_CASES, ids=lambda s: repr(s))
def test_rules_against_numpy(dtype, slopes, rng):
    x = values(dtype, rng)
    r = lrelu.diff(x, **slopes, **kw_dtype(dtype))
    sf = slopes.get("from_slope", slopes.get("negative_slope", slopes.get("alpha", 0.2)))
    st = slopes.get("to_slope", slopes.get("alpha", slopes.get("negative_slope", 0.2)))
    check(r, expected(side(x, "torch", sf, dtype), side(x, "mindspore", st, dtype), dtype))
    assert (r.from_, r.to, r.dtype, r.backward, r.shape) == ("torch", "mindspore", dtype, False, x.shape)
    assert np.array_equal([r.from_slope, r.to_slope], [sf, st], equal_nan=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("slope", [0.01, 0.2, 1.5, -0.25])
def test_real_pytorch_against_a_numpy_mindspore(dtype, slope, rng):
    """Side A from PyTorch itself, side B MindSpore's rule written in NumPy: no library
    rule involved in what the comparison is checked against."""
    x = values(dtype, rng)
    a = F.leaky_relu(torch.from_numpy(x), slope).numpy()
    s = np.float32(slope).astype(dtype)  # MindSpore: (T)(float)alpha
    with np.errstate(all="ignore"):
        p = x * s
        b = np.where(p < x, p, x) if slope > 1 else np.where(p > x, p, x)
    want = expected(a, b, dtype)
    r = lrelu.diff(x, negative_slope=slope, alpha=slope)
    check(r, want)
    r2 = lrelu.diff_arrays(a, b, x=x, negative_slope=slope, alpha=slope)
    check(r2, want)
    assert r2.causes == r.causes
    assert r2.neither == {"a": 0, "b": 0}
    n = x.size
    assert r2.match["a"]["from"] == n and r2.match["b"]["to"] == n
    assert r2.match["a"]["to"] == r2.match["b"]["from"] == n - r.differ + r.causes["nan_payload"]


@pytest.mark.parametrize("slope", [0.1, 0.2, -0.5])
def test_real_pytorch_bfloat16_every_pattern(slope):
    """PyTorch's own bfloat16 output (its NaN bits depend on the element's position)
    follows PyTorch's rule everywhere: a NaN matches any NaN in the attribution."""
    bits16 = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    t = torch.from_numpy(bits16.view(np.int16)).view(torch.bfloat16)
    a = F.leaky_relu(t, slope)
    b = lrelu.leaky_relu(t, slope, framework="mindspore")
    r = lrelu.diff_arrays(a, b, x=t, negative_slope=slope, alpha=slope)
    assert r.neither == {"a": 0, "b": 0} and r.match["a"]["from"] == 65536
    check(r, expected(a, b, "bfloat16"))
    assert r.causes["other"] == 0


def test_known_counts_every_float16_pattern():
    # docs/semantics.md's counts: torch vs mindspore at 0.2 on all 65536 patterns
    x = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)
    r = lrelu.diff(x)
    assert (r.differ, r.causes["nan_payload"], r.causes["slope_rounding"], r.max_ulp) == \
        (11227, 1022, 10205, 1)
    assert r.causes["other"] == 0 and len(r.indices) == 1000


def test_default_and_single_slopes(rng):
    x = values("float32", rng, 500)
    r = lrelu.diff(x)
    assert r.from_slope == r.to_slope == 0.2  # as the command: none given, both 0.2
    assert r.as_dict() == lrelu.diff(x, negative_slope=0.2, alpha=0.2).as_dict()
    for name in ("negative_slope", "alpha", "from_slope", "to_slope"):
        r = lrelu.diff(x, **{name: 0.25})
        assert r.from_slope == r.to_slope == 0.25, name
        check(r, expected(side(x, "torch", 0.25, "float32"), side(x, "mindspore", 0.25, "float32"),
                          "float32"))
    # None is "not given"
    assert lrelu.diff(x, negative_slope=None, alpha=0.3).from_slope == 0.3
    r = lrelu.diff(x, from_="mindspore", to="onnx", from_slope=0.2, to_slope=0.01)
    assert (r.from_slope, r.to_slope) == (0.2, 0.01) and r.causes["different_slopes"] > 0
    r = lrelu.diff(x, from_="onnx", to="torch", negative_slope=0.01, alpha=0.3)
    assert (r.from_slope, r.to_slope) == (0.3, 0.01)  # negative_slope: the torch side


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_framework_pair(dtype, rng):
    x = values(dtype, rng, 1000)
    g = make(dtype, rng.standard_normal(x.size))
    for f in FRAMEWORKS:
        for t in FRAMEWORKS:
            if f == t:
                with pytest.raises(lrelu.Error, match="nothing to compare"):
                    lrelu.diff(x, from_=f, to=t, **kw_dtype(dtype))
                r = lrelu.diff(x, from_=f, to=t, from_slope=0.01, to_slope=0.2, **kw_dtype(dtype))
                assert r.differ > 0 and r.causes["different_slopes"] == r.differ - \
                    r.causes["signed_zero"] - r.causes["nan_payload"] - r.causes["nan_vs_number"] - \
                    r.causes["inf_vs_nan"]
                continue
            r = lrelu.diff(x, from_=f, to=t, from_slope=0.1, to_slope=0.1, **kw_dtype(dtype))
            assert (r.from_, r.to) == (f, t)
            check(r, expected(side(x, f, 0.1, dtype), side(x, t, 0.1, dtype), dtype))
            assert r.causes["other"] == 0  # between two rules every difference is named
            if "onnx" in (f, t):
                with pytest.raises(lrelu.Error, match="ONNX"):
                    lrelu.diff(x, from_=f, to=t, grad=g, **kw_dtype(dtype))
                continue
            r = lrelu.diff(x, from_=f, to=t, grad=g, **kw_dtype(dtype))
            assert r.backward and r.from_slope == 0.2
            check(r, expected(side(x, f, 0.2, dtype, g), side(x, t, 0.2, dtype, g), dtype))
            assert r.causes["other"] == 0


def test_framework_aliases():
    x = np.array([-1.0, 2.0], np.float32)
    r = lrelu.diff(x, from_="pytorch", to="tf")
    assert (r.from_, r.to) == ("torch", "tensorflow")


def test_gradient_tie():
    x = np.array([0.0, -0.0, -1.0, 2.0, np.inf], np.float32)
    g = np.ones_like(x)
    r = lrelu.diff(x, grad=g)
    # PyTorch: dy*s at x = +-0 (and dy at +inf); MindSpore's max(s*x, x) ties there
    # (s*inf == inf) and splits the gradient: dy/2 + (dy/2)*s
    assert r.differ == 3 and r.causes["gradient_tie"] == 3 and r.indices == [0, 1, 4]
    check(r, expected(side(x, "torch", 0.2, "float32", g), side(x, "mindspore", 0.2, "float32", g),
                      "float32"))


# ---- two given arrays ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_two_arrays_attribution(dtype, rng):
    x = values(dtype, rng, 2000)
    a = side(x, "torch", 0.1, dtype)
    b = side(x, "mindspore", 0.1, dtype).copy()
    # a port bug at 12 elements: values neither rule gives there
    bad = rng.choice(np.flatnonzero(np.isfinite(bit_values(as_bits(x, dtype), dtype))), 12,
                     replace=False)
    bv = b.view(UINT[WIDTH[dtype]])
    bv.ravel()[bad] ^= np.array(1 << (WIDTH[dtype] - 2), bv.dtype)  # an exponent bit
    want = expected(a, b, dtype)
    r = lrelu.diff_arrays(a, b, x=x, negative_slope=0.1, alpha=0.1, **kw_dtype(dtype))
    check(r, want)
    assert r.neither == {"a": 0, "b": 12}
    assert r.match["a"]["from"] == x.size and r.match["b"]["to"] == x.size - 12
    assert r.causes["other"] >= 12 - (want["nan_vs_number"] + want["inf_vs_nan"])
    # without x: the same differences, nothing attributed, pairs of numbers are "other"
    r0 = lrelu.diff_arrays(a, b, negative_slope=0.1, alpha=0.1, **kw_dtype(dtype))
    check(r0, want)
    assert r0.match is None and r0.neither is None
    assert r0.causes["other"] == want["differ"] - sum(
        want[k] for k in ("nan_payload", "inf_vs_nan", "nan_vs_number", "signed_zero"))
    # a against itself
    r1 = lrelu.diff_arrays(a, a, x=x, negative_slope=0.1, alpha=0.1, **kw_dtype(dtype))
    assert r1.differ == 0 and r1.max_ulp is None and not r1.mask.any()


def test_two_arrays_gradients(rng):
    x = values("float32", rng, 500)
    g = rng.standard_normal(x.size).astype(np.float32)
    a, b = side(x, "torch", 0.2, "float32", g), side(x, "mindspore", 0.2, "float32", g)
    r = lrelu.diff_arrays(a, b, x=x, grad=g)
    assert r.backward and r.neither == {"a": 0, "b": 0} and r.causes["gradient_tie"] == r.differ - \
        r.causes["nan_payload"] - r.causes["nan_vs_number"] - r.causes["signed_zero"] - \
        r.causes["inf_vs_nan"] - r.causes["slope_rounding"]
    check(r, expected(a, b, "float32"))
    # the forward rules would not explain these values
    assert lrelu.diff_arrays(a, b, x=x).neither != {"a": 0, "b": 0}
    with pytest.raises(lrelu.Error, match="grad: with two arrays a and b it needs x"):
        lrelu.diff_arrays(a, b, grad=g)


def test_two_arrays_mixed_kinds(rng):
    """A PyTorch output (tensor) against a MindSpore dump (NumPy array)."""
    x = values("float32", rng, 300)
    a = F.leaky_relu(torch.from_numpy(x), 0.01)
    b = side(x, "mindspore", 0.2, "float32")
    r = lrelu.diff_arrays(a, b, x=torch.from_numpy(x), negative_slope=0.01, alpha=0.2)
    assert isinstance(r.mask, torch.Tensor) and r.mask.dtype == torch.bool
    check(r, expected(a, b, "float32"))
    assert r.neither == {"a": 0, "b": 0}
    r2 = lrelu.diff_arrays(b, a, x=x, from_="mindspore", to="torch", negative_slope=0.01, alpha=0.2)
    assert isinstance(r2.mask, np.ndarray) and r2.as_dict()["causes"] == r.as_dict()["causes"]


# ---- the same answers as the command ---------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_same_as_command_rules(dtype, rng, tmp_path):
    x = values(dtype, rng, 2500)
    xp = save(tmp_path, "x.npy", x)
    dt = ["--dtype", "bfloat16"] if dtype == "bfloat16" else []
    cases = SLOPE_CASES + [{"alpha": 0.3}, {"to_slope": 0.05, "negative_slope": 0.01}]
    for slopes in cases:
        same_as_command(lrelu.diff(x, **slopes, **kw_dtype(dtype)), dt + slope_args(**slopes) + [xp],
                        tmp_path)
    for f in FRAMEWORKS:
        for t in FRAMEWORKS:
            if f != t:
                same_as_command(lrelu.diff(x, from_=f, to=t, **kw_dtype(dtype)),
                                dt + ["--from", f, "--to", t, xp], tmp_path)
    g = make(dtype, rng.standard_normal(x.size))
    gp = save(tmp_path, "g.npy", g)
    for f, t in [("torch", "mindspore"), ("mindspore", "tensorflow"), ("tensorflow", "torch")]:
        slopes = {"from_slope": 0.01, "to_slope": 0.2}
        same_as_command(lrelu.diff(x, from_=f, to=t, grad=g, **slopes, **kw_dtype(dtype)),
                        dt + ["--from", f, "--to", t, "--grad", gp] + slope_args(**slopes) + [xp],
                        tmp_path)


@pytest.mark.parametrize("dtype", DTYPES)
def test_same_as_command_two_arrays(dtype, rng, tmp_path):
    x = values(dtype, rng, 2500)
    a = side(x, "torch", 0.01, dtype)
    b = side(x, "mindspore", 0.2, dtype).copy()
    b.view(UINT[WIDTH[dtype]]).ravel()[[5, 77, 1000]] ^= np.array(3, UINT[WIDTH[dtype]])
    ap, bp, xp = save(tmp_path, "a.npy", a), save(tmp_path, "b.npy", b), save(tmp_path, "x.npy", x)
    dt = ["--dtype", "bfloat16"] if dtype == "bfloat16" else []
    k = kw_dtype(dtype)
    same_as_command(lrelu.diff_arrays(a, b, **k), dt + [ap, bp], tmp_path)
    same_as_command(lrelu.diff_arrays(a, b, x=x, negative_slope=0.01, alpha=0.2, **k),
                    dt + ["--negative-slope", "0.01", "--alpha", "0.2", "--input", xp, ap, bp], tmp_path)
    same_as_command(lrelu.diff_arrays(a, b, x=x, **k), dt + ["--input", xp, ap, bp], tmp_path)
    g = make(dtype, rng.standard_normal(x.size))
    ga, gb = side(x, "torch", 0.2, dtype, g), side(x, "mindspore", 0.2, dtype, g)
    gp, gap, gbp = save(tmp_path, "g.npy", g), save(tmp_path, "ga.npy", ga), save(tmp_path, "gb.npy", gb)
    same_as_command(lrelu.diff_arrays(ga, gb, x=x, grad=g, **k),
                    dt + ["--input", xp, "--grad", gp, gap, gbp], tmp_path)


def test_same_as_command_layouts(rng, tmp_path):
    """A Fortran-ordered file and array: indices and mask in C order on both sides; more
    differences than the index cap; NaN slopes (JSON "nan")."""
    x = np.asfortranarray(values("float32", rng, 3000)[:3200].reshape(40, 80))
    xp = save(tmp_path, "xf.npy", x)
    r = lrelu.diff(x, negative_slope=0.01, alpha=0.2)
    assert r.differ > 1000 and len(r.indices) == 1000
    same_as_command(r, ["--negative-slope", "0.01", "--alpha", "0.2", xp], tmp_path)
    same_as_command(lrelu.diff(x, negative_slope=float("nan"), alpha=float("nan")),
                    ["--negative-slope", "nan", "--alpha", "nan", xp], tmp_path)
    h = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16).reshape(256, 256)
    same_as_command(lrelu.diff(h), [save(tmp_path, "h.npy", h)], tmp_path)
    z = np.float64(-0.5).reshape(())  # 0-d
    same_as_command(lrelu.diff(z, negative_slope=0.1, alpha=0.3), ["--negative-slope", "0.1", "--alpha",
                    "0.3", save(tmp_path, "z.npy", z)], tmp_path)
    e = np.zeros((3, 0), np.float32)
    same_as_command(lrelu.diff(e), [save(tmp_path, "e.npy", e)], tmp_path)


def test_messages_as_the_command(tmp_path):
    """The slope refusals are the library's lrelu_diff_slopes messages, in the names each
    side uses (keywords here, --options there)."""
    xp = save(tmp_path, "x.npy", np.array([-1.0, 2.0], np.float32))
    cases = [({"negative_slope": 0.1, "from_slope": 0.2}, ["--negative-slope", "0.1", "--from-slope", "0.2"]),
             ({"from_": "mindspore", "to": "onnx", "negative_slope": 0.1, "alpha": 0.2},
              ["--from", "mindspore", "--to", "onnx", "--negative-slope", "0.1", "--alpha", "0.2"]),
             ({"from_": "torch", "to": "torch", "negative_slope": 0.1, "alpha": 0.2},
              ["--from", "torch", "--to", "torch", "--negative-slope", "0.1", "--alpha", "0.2"]),
             ({"from_": "onnx", "to": "tf", "from_slope": 0.1, "alpha": 0.2},
              ["--from", "onnx", "--to", "tf", "--from-slope", "0.1", "--alpha", "0.2"]),
             ({"to": "torch"}, ["--to", "torch"])]
    for kw, args in cases:
        with pytest.raises(lrelu.Error) as e:
            lrelu.diff(np.array([-1.0, 2.0], np.float32), **kw)
        p = subprocess.run([LRELU, "diff"] + args + [xp], capture_output=True, text=True)
        assert p.returncode == 2
        msg = str(e.value)
        for name in ("negative_slope", "from_slope", "to_slope", "alpha"):
            msg = msg.replace(name, "--" + name.replace("_", "-"))
        msg = msg.replace("from_ and to", "--from and --to")
        assert p.stderr.strip() == "lrelu: diff: %s (see lrelu --help)" % msg, (p.stderr, msg)


# ---- layouts and chunks ---------------------------------------------------------------------

def layouts(rng):
    base = values("float32", rng, 6000)[:6000]
    yield "transposed", base.reshape(60, 100).T
    yield "negative", base[::-1]
    yield "step", base[::3]
    yield "broadcast", np.broadcast_to(base[:50], (7, 50))
    yield "fortran", np.asfortranarray(base.reshape(30, 200))
    yield "0-d", base[5:6].reshape(())
    yield "0-d view", base.reshape(60, 100)[3, 4]
    yield "empty", base[:0].reshape(0, 4)
    yield "4-d mixed", base.reshape(10, 6, 10, 10)[::-2, :, ::3].transpose(2, 0, 3, 1)
    raw = np.empty(4 * 500 + 1, np.uint8)[1:].view(np.float32)  # misaligned
    raw[:] = base[:500]
    yield "misaligned", raw


def test_layouts_equal_contiguous(rng):
    for name, x in layouts(rng):
        x = np.asarray(x)
        c = x.copy(order="C")  # (np.ascontiguousarray makes a 0-d array 1-d)
        for kw in ({"negative_slope": 0.01, "alpha": 0.2}, {"grad": np.ones_like(c)}):
            want = lrelu.diff(c, **kw)
            got = lrelu.diff(x, **kw)
            assert got.as_dict() == want.as_dict(), name
            assert np.array_equal(got.mask, want.mask) and got.mask.shape == x.shape, name
            check(got, expected(side(c, "torch", want.from_slope, "float32", kw.get("grad")),
                                side(c, "mindspore", want.to_slope, "float32", kw.get("grad")),
                                "float32"))
        # grad and the dumps in layouts other than x's: the same values, the same report
        g = rng.standard_normal(c.shape).astype(np.float32)
        g_other = np.asfortranarray(g) if g.ndim > 1 else g[::-1].copy()[::-1] if g.ndim else g
        want = lrelu.diff(c, grad=g)
        assert lrelu.diff(x, grad=g_other).as_dict() == want.as_dict(), name
        a, b = side(c, "torch", 0.2, "float32", g), side(c, "mindspore", 0.2, "float32", g)
        b_other = np.asfortranarray(b) if b.ndim > 1 else b[::-1].copy()[::-1] if b.ndim else b
        got = lrelu.diff_arrays(a, b_other, x=x, grad=g_other)
        assert got.neither == {"a": 0, "b": 0} and got.differ == want.differ, name
        assert got.causes == want.causes and got.indices == want.indices, name


@pytest.mark.parametrize("n", [CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 3])
def test_chunk_boundaries(n, rng):
    """Differences at the edges of the gathering chunks, contiguous and strided: every
    index and mask entry in place."""
    x = np.abs(rng.standard_normal(n)).astype(np.float32) + 1  # positive: no difference
    where = sorted({0, 1, CHUNK - 2, CHUNK - 1, CHUNK, CHUNK + 1, n - 2, n - 1} & set(range(n)))
    x[where] = -x[where]
    want = [i for i in where]
    for arr in (x, x[::-1].copy()[::-1], np.repeat(x, 2)[::2]):
        r = lrelu.diff(arr, negative_slope=0.01, alpha=0.2)
        assert r.differ == len(where) and r.indices == want
        assert np.array_equal(np.flatnonzero(r.mask), want)
    big = np.ascontiguousarray(np.tile(x[:, None], (1, 2)).T)  # (2, n): strided transposed view
    r = lrelu.diff(big.T, negative_slope=0.01, alpha=0.2)
    assert r.differ == 2 * len(where)
    assert r.indices == sorted([2 * i for i in where] + [2 * i + 1 for i in where])[:1000]


# ---- tensors and dtypes ------------------------------------------------------------------------

@pytest.mark.parametrize("tdtype", [torch.float32, torch.float64, torch.bfloat16, torch.float16])
def test_tensors(tdtype, rng):
    name = str(tdtype).split(".")[1]
    x = values(name, rng, 1500)
    t = torch.from_numpy(x.view(np.int16)).view(torch.bfloat16) if name == "bfloat16" else \
        torch.from_numpy(x)
    r = lrelu.diff(t, negative_slope=0.01, alpha=0.2)
    assert isinstance(r.mask, torch.Tensor) and r.mask.dtype == torch.bool and r.mask.shape == t.shape
    assert r.dtype == name
    want = lrelu.diff(x, negative_slope=0.01, alpha=0.2, **kw_dtype(name))
    assert r.as_dict() == want.as_dict() and np.array_equal(r.mask.numpy(), want.mask)
    check(r, expected(side(x, "torch", 0.01, name), side(x, "mindspore", 0.2, name), name))
    # non-contiguous, requires_grad: read, never written
    t2 = t[:1500].reshape(30, 50).t()
    t2 = t2.detach().clone().requires_grad_()
    v = t2._version
    r2 = lrelu.diff(t2, grad=torch.ones_like(t2))
    assert r2.shape == (50, 30) and t2._version == v and r2.backward
    c = t2.detach().contiguous()
    assert r2.as_dict() == lrelu.diff(c, grad=torch.ones_like(c)).as_dict()
    if name == "bfloat16":  # int16 storage as PyTorch exports it, and uint16
        assert lrelu.diff(x.view(np.int16), negative_slope=0.01, alpha=0.2,
                          dtype="bfloat16").as_dict() == want.as_dict()


# ---- refusals ------------------------------------------------------------------------------

def test_bad_input():
    x = np.array([-1.0, 2.0], np.float32)
    cases = [
        (lambda: lrelu.diff(x, from_="torch", to="torch"), lrelu.Error,
         "from_ and to are both torch with one slope: nothing to compare"),
        (lambda: lrelu.diff(x, to="pytorch"), lrelu.Error, "nothing to compare"),
        (lambda: lrelu.diff(x, from_="caffe"), lrelu.Error, "from_: 'caffe' is not one of"),
        (lambda: lrelu.diff(x, to="caffe"), lrelu.Error, "to: 'caffe' is not one of"),
        (lambda: lrelu.diff(x, from_=1), TypeError, "from_ must be a str"),
        (lambda: lrelu.diff(x, alpha="0.2"), TypeError, "alpha must be a real number"),
        (lambda: lrelu.diff(x, to_slope=[0.2]), TypeError, "to_slope must be a real number"),
        (lambda: lrelu.diff(x, negative_slope=0.1, from_slope=0.2), lrelu.Error,
         "from_slope (0.2) and negative_slope (0.1) both set the from side (torch)"),
        (lambda: lrelu.diff(x, from_="mindspore", to="onnx", negative_slope=0.1, alpha=0.3),
         lrelu.Error, "negative_slope sets the torch side"),
        (lambda: lrelu.diff(x, from_="onnx", to="mindspore", alpha=0.1, from_slope=0.2), lrelu.Error,
         "both set the from side"),
        (lambda: lrelu.diff(x, negative_slope=1e39), lrelu.Error, "without overflow"),
        (lambda: lrelu.diff(x, to="onnx", grad=x), lrelu.Error, "ONNX"),
        (lambda: lrelu.diff(x, grad=x[:1]), lrelu.Error, "grad: shape (1,) does not match x's shape (2,)"),
        (lambda: lrelu.diff(x, grad=x.astype(np.float64)), lrelu.Error, "grad: dtype float64 does not match"),
        (lambda: lrelu.diff_arrays(x, x[:1]), lrelu.Error, "b: shape (1,) does not match a's"),
        (lambda: lrelu.diff_arrays(x, x.astype(np.float16)), lrelu.Error, "b: dtype float16"),
        (lambda: lrelu.diff_arrays(x, x, x=x[:1]), lrelu.Error, "x: shape (1,) does not match a's"),
        (lambda: lrelu.diff_arrays(x, x, grad=x), lrelu.Error, "needs x"),
        (lambda: lrelu.diff(np.array([1, 2], np.int8)), lrelu.Error, "format 'b'"),
        (lambda: lrelu.diff(np.array([1, 2], np.uint16)), lrelu.Error, "dtype='bfloat16'"),
        (lambda: lrelu.diff(x.astype(">f4")), lrelu.Error, "byte order"),
        (lambda: lrelu.diff(x, dtype="bfloat16"), lrelu.Error, "dtype='bfloat16' does not match"),
        (lambda: lrelu.diff(x, dtype="int8"), lrelu.Error, "dtype: 'int8' is not one of"),
        (lambda: lrelu.diff([1.0, 2.0]), TypeError, "x must be a NumPy array or a PyTorch tensor"),
        (lambda: lrelu.diff(None), TypeError, "x must be a NumPy array or a PyTorch tensor, not NoneType"),
        (lambda: lrelu.diff(x, grad=[1.0, 1.0]), TypeError, "grad must be a NumPy array"),
        (lambda: lrelu.diff_arrays(None, x), TypeError, "a must be a NumPy array"),
        (lambda: lrelu.diff_arrays(x, None, x=None), TypeError, "b must be a NumPy array"),
        (lambda: lrelu.diff(torch.quantize_per_tensor(torch.tensor([1.0]), 0.1, 0, torch.qint8)),
         lrelu.Error, "diff compares float results"),
        (lambda: lrelu.diff(x, 0.1), TypeError, "takes at most 1 positional argument"),
        (lambda: lrelu.diff_arrays(x, x, x), TypeError, "takes at most 2 positional arguments"),
        (lambda: lrelu.diff(), TypeError, "missing required argument 'x'"),
        (lambda: lrelu.diff_arrays(x), TypeError, "missing required argument 'b'"),
        (lambda: lrelu.diff(x, framework="torch"), TypeError, "unexpected keyword argument 'framework'"),
        (lambda: lrelu.diff(x=x, from_slope=0.1, **{"from": "torch"}), TypeError, "'from'"),
    ]
    for call, exc, text in cases:
        with pytest.raises(exc) as e:
            call()
        assert text in str(e.value), (text, str(e.value))
    assert issubclass(lrelu.Error, RuntimeError)


# ---- the object ----------------------------------------------------------------------------

def test_result_object():
    x = np.array([-1.0, 0.0, 2.0, -3.0], np.float32)
    r = lrelu.diff(x, negative_slope=0.01, alpha=0.2)
    assert repr(r).startswith("DiffResult(torch vs mindspore, from_slope=0.01, to_slope=0.2, "
                              "float32, shape=(4,), elements=4, differ=2, max_ulp=")
    assert "causes={'different_slopes': 2}" in repr(r) and "indices=[0, 3]" in repr(r)
    with pytest.raises(AttributeError):
        r.differ = 0
    assert repr(lrelu.diff(x)) == ("DiffResult(torch vs mindspore, slope=0.2, float32, shape=(4,), "
                                   "elements=4, differ=0)")
    assert json.loads(json.dumps(r.as_dict())) == r.as_dict()  # JSON-ready as the command's
    for obj in (r, lrelu.diff_arrays(torch.from_numpy(x), x, x=x)):  # Dask returns them pickled
        p = pickle.loads(pickle.dumps(obj))
        assert type(p) is lrelu.DiffResult and p.as_dict() == obj.as_dict() and repr(p) == repr(obj)
        assert type(p.mask) is type(obj.mask) and (p.mask == obj.mask).all()
    assert str(inspect.signature(lrelu.diff)) == (
        "(x, *, negative_slope=None, alpha=None, from_slope=None, to_slope=None, from_='torch', "
        "to='mindspore', grad=None, dtype=None)")
    assert str(inspect.signature(lrelu.diff_arrays)) == (
        "(a, b, *, x=None, negative_slope=None, alpha=None, from_slope=None, to_slope=None, "
        "from_='torch', to='mindspore', grad=None, dtype=None)")
    assert "lrelu_diff" in lrelu.diff.__doc__ and len(lrelu.diff_arrays.__doc__) > 200
    assert "mask" in lrelu.DiffResult.__doc__


def test_jax_sides():
    """JAX's parameter is negative_slope, and its x >= 0 splits the gradient's tie at
    x = +-0 from PyTorch's x > 0: a named cause, not "other"."""
    x = np.array([0.0, -0.0, 1.0, -1.0, 2.5], np.float32)
    g = np.ones_like(x)
    r = lrelu.diff(x, from_="torch", to="jax", negative_slope=0.2, grad=g)
    assert r.differ == 2 and r.causes["gradient_tie"] == 2, r
    assert list(np.flatnonzero(r.mask)) == [0, 1]
    assert r.causes["other"] == 0
    r = lrelu.diff(x, from_="jax", to="mindspore", negative_slope=0.1, alpha=0.2)
    assert (r.from_slope, r.to_slope) == (0.1, 0.2), r
    with pytest.raises(lrelu.Error, match="negative_slope sets the torch side"):
        lrelu.diff(x, from_="mindspore", to="onnx", negative_slope=0.1, alpha=0.3)

#!/usr/bin/python3
# test_diff_cli.py - `lrelu diff` end to end: two rules and two dumps, JSON counts checked
# against an independent NumPy computation on the bits, every exit status, the mask file,
# the indices (C order, capped, --all), slopes per side, backward, attribution of real
# PyTorch dumps.  Usage: test_diff_cli.py path/to/lrelu
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check  # noqa: E402
import checks  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the checks that need it are counted as failed
    torch = None

LRELU = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/lrelu")
TMP = tempfile.mkdtemp(prefix="lrelu-diff-test-")

CAUSES = ["nan_vs_number", "inf_vs_nan", "nan_payload", "signed_zero", "gradient_tie",
          "double_rounding", "slope_rounding", "different_slopes", "other"]
UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}
INF_BITS = {"float32": 0x7F800000, "float64": 0x7FF0000000000000, "float16": 0x7C00,
            "bfloat16": 0x7F80}


def run(args):
    p = subprocess.run([LRELU] + list(args), capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode(errors="replace")


def path(name):
    return os.path.join(TMP, name)


def save(name, a):
    p = path(name)
    np.save(p, a)
    return p


def load(p):
    """np.load, or None (a failed check, not a crash) for a missing or broken file."""
    try:
        return np.load(p)
    except (OSError, ValueError) as e:
        check(False, "%s: %s" % (p, e))
        return None


def diff_json(args):
    rc, out, err = run(["diff", "--json"] + list(args))
    try:
        return rc, json.loads(out), err
    except ValueError:
        return rc, None, err + out


def bits(a, dtype_name):
    a = np.ascontiguousarray(a)
    if dtype_name == "bfloat16":
        return a.view(np.uint16).astype(np.uint64)
    return a.view(UINT[a.dtype.itemsize]).astype(np.uint64)


def numpy_report(a, b, dtype_name):
    """What differs and the value-only causes, from the bits (C order), independently."""
    ab, bb = bits(a, dtype_name).ravel(), bits(b, dtype_name).ravel()
    width = {"float32": 32, "float64": 64, "float16": 16, "bfloat16": 16}[dtype_name]
    sign = np.uint64(1) << np.uint64(width - 1)
    ma, mb = ab & (sign - np.uint64(1)), bb & (sign - np.uint64(1))
    inf = np.uint64(INF_BITS[dtype_name])
    an, bn = ma > inf, mb > inf
    d = ab != bb
    num = d & ~an & ~bn & ~((ma == 0) & (mb == 0))
    ulp = np.where((ab & sign) == (bb & sign), np.where(ma > mb, ma - mb, mb - ma), ma + mb)
    return {
        "differ": int(d.sum()),
        "nan_payload": int((d & an & bn).sum()),
        "inf_vs_nan": int((d & (an ^ bn) & (np.where(an, mb, ma) == inf)).sum()),
        "nan_vs_number": int((d & (an ^ bn) & (np.where(an, mb, ma) != inf)).sum()),
        "signed_zero": int((d & (ma == 0) & (mb == 0)).sum()),
        "max_ulp": int(ulp[num].max()) if num.any() else None,
        "indices": [int(i) for i in np.flatnonzero(d)],
        "mask": d.reshape(np.shape(a)),
    }


def check_counts(j, want, what, limit=1000):
    check(j is not None, "%s: JSON parses" % what)
    if j is None:
        return
    for k in ("differ", "max_ulp"):
        check(j[k] == want[k], "%s: %s %r, NumPy %r" % (what, k, j[k], want[k]))
    for k in ("nan_payload", "inf_vs_nan", "nan_vs_number", "signed_zero"):
        check(j["causes"][k] == want[k], "%s: %s %r, NumPy %r" % (what, k, j["causes"][k], want[k]))
    check(sorted(j["causes"]) == sorted(CAUSES) and sum(j["causes"].values()) == j["differ"],
          "%s: every cause, adding up: %r" % (what, j["causes"]))
    check(j["indices"] == want["indices"][:limit], "%s: indices" % what)
    check(j["elements"] == want["mask"].size, "%s: elements" % what)


# ---- exit statuses ---------------------------------------------------------------------

def test_exit_status():
    rc, out, err = run(["diff", "[-1.5, 3.0, -0.1]"])
    check(rc == 0 and "0 differ" in out, "identical: exit 0: %d %s" % (rc, out))
    rc, out, err = run(["diff", "--dtype", "float64", "[-1.5, 3.0, -0.1]"])
    check(rc == 1 and "2 differ" in out, "different: exit 1: %d %s" % (rc, out))
    a = save("a.npy", np.array([1.0, -2.0], np.float32))
    b = save("b.npy", np.array([1.0, -2.0, 3.0], np.float32))
    c = save("c.npy", np.array([1.0, -2.0], np.float64))
    q = save("q.npy", np.array([1, 2], np.int8))
    trouble = [
        (["diff"], "INPUT"),
        (["diff", a, b], "shape"),
        (["diff", a, c], "float64"),
        (["diff", a, path("missing.npy")], "missing.npy"),
        (["diff", "--from", "torch", "--to", "torch", a], "nothing to compare"),
        (["diff", "--to", "torch", a], "nothing to compare"),
        (["diff", q], "compares float results; this holds int8 codes"),
        (["diff", "--negative-slope", "0.1", "--from-slope", "0.2", a], "both set"),
        (["diff", "--from", "mindspore", "--to", "onnx", "--negative-slope", "0.1", "--alpha",
          "0.2", a], "--negative-slope"),
        (["diff", "--input", a, a], "--input"),
        (["diff", "--grad", a, a, a], "--input"),
        (["diff", "--from", "onnx", "--to", "torch", "--grad", "[1.0, 1.0]", a], "ONNX"),
        (["diff", "--mask", "-", a], "--mask"),
        (["diff", a, a, a], "unexpected"),
        (["diff", "--bogus", a], "unknown option"),
        (["diff", "--negative-slope", "1e39", a], "overflow"),
    ]
    for args, needle in trouble:
        rc, out, err = run(args)
        check(rc == 2 and needle in err and err.startswith("lrelu: ") and out == "",
              "trouble %r: exit %d, %r" % (args, rc, err))
    # the boundary of the refusal: one framework, two slopes is a comparison
    rc, out, err = run(["diff", "--from", "torch", "--to", "torch", "--from-slope", "0.01",
                        "--to-slope", "0.2", a])
    check(rc == 1 and "different slopes 1" in out, "torch vs torch, two slopes: %d %s %s" % (
        rc, out, err))
    rc, out, err = run(["diff", a, a])
    check(rc == 0 and "0 differ" in out, "a file against itself: %d %s" % (rc, out))


# ---- two rules on one input --------------------------------------------------------------

def test_rules():
    # The example: NaN slope; PyTorch gives NaN, MindSpore -1.0 and 0.0.
    rc, j, err = diff_json(["--negative-slope", "nan", "--alpha", "nan", "[-1.0, 0.0, 2.0]"])
    check(rc == 1 and j and j["differ"] == 2 and j["causes"]["nan_vs_number"] == 2 and
          j["max_ulp"] is None and j["max_abs"] is None and j["max_rel"] is None,
          "NaN slopes: %r %s" % (j, err))
    # every float16 pattern, torch vs mindspore at 0.2: the counts of docs/semantics.md
    h = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)
    x = save("h.npy", h)
    rc, j, err = diff_json([x])
    torch_side = None
    check(rc == 1 and j and j["differ"] == 11227 and j["causes"]["nan_payload"] == 1022 and
          j["causes"]["slope_rounding"] == 10205 and j["max_ulp"] == 1 and
          j["from"] == "torch" and j["to"] == "mindspore" and j["from_slope"] == 0.2 and
          j["dtype"] == "float16" and len(j["indices"]) == 1000,
          "float16 all patterns: %r" % (j and {k: j[k] for k in j if k != "indices"}))
    # the same through the library's rules on files, counted by NumPy
    a, b = path("h_t.npy"), path("h_m.npy")
    run(["-f", "torch", "--negative-slope", "0.2", x, a])
    run(["-f", "mindspore", "--alpha", "0.2", x, b])
    want = numpy_report(np.load(a), np.load(b), "float16")
    check_counts(j, want, "float16 rules")
    # two slopes: PyTorch's default against MindSpore's, on negative values
    xs = save("neg.npy", -np.arange(1, 3001, dtype=np.float64) / 7)
    rc, j, err = diff_json(["--negative-slope", "0.01", "--alpha", "0.2", xs])
    check(rc == 1 and j and j["differ"] == 3000 and j["causes"]["different_slopes"] == 3000 and
          j["from_slope"] == 0.01 and j["to_slope"] == 0.2 and len(j["indices"]) == 1000 and
          j["indices"] == list(range(1000)), "two slopes: %r" % (j and j["causes"]))
    rc, j, err = diff_json(["--all", "--negative-slope", "0.01", "--alpha", "0.2", xs])
    check(j and j["indices"] == list(range(3000)), "--all gives every index")
    # MindSpore against ONNX needs two alphas: --from-slope / --to-slope
    rc, j, err = diff_json(["--from", "mindspore", "--to", "onnx", "--from-slope", "0.2",
                            "--to-slope", "0.01", xs])
    check(rc == 1 and j and j["from_slope"] == 0.2 and j["to_slope"] == 0.01 and
          j["causes"]["different_slopes"] == 3000, "from/to slopes: %r" % (j and j["causes"]))
    # one slope alone applies to both sides, whatever its name
    for opt in ("--negative-slope", "--alpha", "--from-slope", "--to-slope"):
        rc, j, err = diff_json([opt, "0.25", xs])
        check(rc == 0 and j and j["from_slope"] == j["to_slope"] == 0.25 and j["differ"] == 0,
              "%s alone: %r %s" % (opt, j, err))
    # backward: the gradient at x = 0
    rc, j, err = diff_json(["--grad", "[1.0, 1.0, 1.0]", "[0.0, -1.0, 2.0]"])
    check(rc == 1 and j and j["backward"] and j["differ"] == 1 and
          j["causes"]["gradient_tie"] == 1 and j["indices"] == [0], "backward tie: %r" % j)
    rc, out, err = run(["diff", "--grad", "[1.0, 1.0, 1.0]", "[0.0, -1.0, 2.0]"])
    check(rc == 1 and "gradient tie at zero 1" in out and "backward" in out,
          "backward text: %s" % out)


# ---- two dumps ------------------------------------------------------------------------------

def test_dumps():
    rng = np.random.default_rng(13)
    x = rng.standard_normal((3, 5, 7)).astype(np.float32) * 4
    x[0, 0, :3] = [0.0, -0.0, np.nan]
    xp = save("x.npy", x)
    ms = path("ms.npy")
    rc, _, err = run(["-f", "mindspore", "--alpha", "0.1", xp, ms])
    check(rc == 0, "mindspore rule to a file: %s" % err)
    if torch is None:
        check(False, "PyTorch is needed for the dump tests")
        return
    # a real model: Conv2d + LeakyReLU(0.1), its activation dumped in float32 and float64
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 4, 3)
    act = torch.nn.LeakyReLU(0.1)
    img = torch.randn(2, 3, 9, 9)
    for dt, tdt in (("float32", torch.float32), ("float64", torch.float64)):
        with torch.no_grad():
            pre = conv.to(tdt)(img.to(tdt))
            out = act(pre)
        xp2, tp, mp = save("pre_%s.npy" % dt, pre.numpy()), save("t_%s.npy" % dt, out.numpy()), \
            path("m_%s.npy" % dt)
        run(["-f", "mindspore", "--alpha", "0.1", xp2, mp])
        rc, j, err = diff_json(["--negative-slope", "0.1", "--alpha", "0.1", "--input", xp2, tp,
                                mp, "--mask", path("mask_%s.npy" % dt)])
        want = numpy_report(np.load(tp), np.load(mp), dt)
        check_counts(j, want, "PyTorch %s dump vs MindSpore rule" % dt)
        check(rc == (1 if want["differ"] else 0), "%s dump: exit %d" % (dt, rc))
        if j:
            check(j["neither"] == {"a": 0, "b": 0} and j["match"]["a"]["from"] == want["mask"].size
                  and j["match"]["b"]["to"] == want["mask"].size and j["a"] == tp,
                  "%s: A is PyTorch's rule, B MindSpore's: %r" % (dt, j.get("match")))
            check(j["causes"]["other"] == 0, "%s: nothing unexplained" % dt)
        m = load(path("mask_%s.npy" % dt))
        check(m is not None and m.dtype == np.bool_ and m.shape == pre.shape and np.array_equal(m, want["mask"]),
              "%s: mask file" % dt)
        rc, out, err = run(["diff", "--negative-slope", "0.1", "--alpha", "0.1", "--input", xp2,
                            tp, mp])
        # float32 at 0.1: the rules agree (docs/semantics.md §2); float64: they do not
        if dt == "float64":
            check("A is PyTorch's rule, B is MindSpore's rule" in out,
                  "%s: attribution text: %s" % (dt, out))
        else:
            check("A and B follow both rules" in out, "%s: attribution text: %s" % (dt, out))
    # float16: PyTorch 1.13 has no float16 LeakyReLU on the CPU; ported code computes in
    # float32 and rounds (.half()), which is the >= 2.1 rule the library's torch side
    # follows, NaN payloads aside (docs/semantics.md §4)
    with torch.no_grad():
        pre16 = conv.to(torch.float32)(img).half()
        out16 = act(pre16.float()).half()
    xp16, tp16, mp16 = save("pre_f16.npy", pre16.numpy()), save("t_f16.npy", out16.numpy()), \
        path("m_f16.npy")
    run(["-f", "mindspore", "--alpha", "0.1", xp16, mp16])
    rc, j, err = diff_json(["--negative-slope", "0.1", "--alpha", "0.1", "--input", xp16, tp16,
                            mp16])
    want = numpy_report(np.load(tp16), np.load(mp16), "float16")
    check_counts(j, want, "PyTorch float16 dump vs MindSpore rule")
    check(rc == 1 and j and j["neither"] == {"a": 0, "b": 0} and
          j["causes"]["slope_rounding"] + j["causes"]["double_rounding"] == want["differ"],
          "float16: both follow their rules, the slope's rounding: %r" % (j and j["causes"]))
    # a port with a bug: B wrong at 12 elements
    t = np.load(path("t_float32.npy"))
    bad = np.load(path("m_float32.npy"))
    flat = bad.reshape(-1)
    hit = np.flatnonzero(flat > 0)[:12]
    flat[hit] = np.nextafter(flat[hit], np.float32(0))
    bp = save("bad.npy", bad)
    rc, j, err = diff_json(["--negative-slope", "0.1", "--alpha", "0.1", "--input",
                            path("pre_float32.npy"), path("t_float32.npy"), bp])
    check(rc == 1 and j and j["neither"]["b"] == 12 and j["neither"]["a"] == 0 and
          j["causes"]["other"] == 12, "a port's bug: %r" % ((j and (j["neither"], j["causes"])),))
    rc, out, err = run(["diff", "--negative-slope", "0.1", "--alpha", "0.1", "--input",
                        path("pre_float32.npy"), path("t_float32.npy"), bp])
    check("A follows both rules, B matches neither rule at 12 elements" in out,
          "neither in text: %s" % out)
    # without --input: the value-only causes, the rest "other"
    rc, j, err = diff_json([path("t_float32.npy"), bp])
    check(rc == 1 and j and j["differ"] == numpy_report(t, bad, "float32")["differ"] and
          "neither" not in j, "dumps without input: %r" % j)
    # bfloat16, as PyTorch 1.13 exports it (int16 view), every pattern
    xb = torch.arange(65536, dtype=torch.int32).to(torch.int16).view(torch.bfloat16)
    yb = F.leaky_relu(xb, 0.2)
    pb = save("xb.npy", xb.view(torch.int16).numpy().view(np.uint16))
    tb = save("tb.npy", yb.view(torch.int16).numpy().view(np.uint16))
    rc, j, err = diff_json(["--dtype", "bfloat16", "--from", "torch", "--to", "torch",
                            "--from-slope", "0.2", "--to-slope", "0.2000001", "--input", pb, tb,
                            tb])
    check(rc == 0 and j and j["differ"] == 0, "bfloat16 dump against itself: %r %s" % (j, err))
    mb = path("mb.npy")
    run(["--dtype", "bfloat16", "-f", "mindspore", "--alpha", "0.2", pb, mb])
    rc, j, err = diff_json(["--dtype", "bfloat16", "--alpha", "0.2", "--negative-slope", "0.2",
                            "--input", pb, tb, mb])
    want = numpy_report(np.load(tb), np.load(mb), "bfloat16")
    check_counts(j, want, "bfloat16 PyTorch dump vs MindSpore rule")
    check(j and j["neither"]["a"] == 0 and j["causes"]["slope_rounding"] == 6551,
          "bfloat16: PyTorch's NaN bits still follow its rule: %r" % (j and j["neither"]))


# ---- layout, the mask, atomicity ----------------------------------------------------------

def test_layout():
    x = np.array([[-1.5, 2.0, -4.0], [-0.1, -3.0, 5.0]], order="F")
    xp = save("f.npy", x)
    rc, j, err = diff_json([xp])
    want = np.flatnonzero((x < 0).ravel())
    check(j and j["indices"] == [int(i) for i in want] and j["shape"] == [2, 3],
          "Fortran order: C-order indices %r, want %r" % (j and j["indices"], want))
    # over the cap, Fortran order: still the first 1000 in C order
    big = np.asfortranarray(-np.arange(1, 2401, dtype=np.float64).reshape(40, 60) / 3)
    bp = save("bigf.npy", big)
    rc, j, err = diff_json([bp])
    check(j and j["indices"] == list(range(1000)), "Fortran order, capped: first %r" % (
        j and j["indices"][:5]))
    mp = path("m.npy")
    rc, j, err = diff_json(["--mask", mp, xp])
    m = load(mp)
    check(rc == 1 and m is not None and m.dtype == np.bool_ and m.shape == (2, 3) and
          np.array_equal(m, x < 0), "mask of a Fortran array: %r" % m)
    before = sorted(os.listdir(TMP))
    rc, out, err = run(["diff", "--mask", path("never.npy"), xp, path("missing.npy")])
    check(rc == 2 and sorted(os.listdir(TMP)) == before, "no mask file left on trouble")
    # the mask never replaces an array diff reads (directly or through a link), nor
    # goes to standard output or to an empty name
    data = open(xp, "rb").read()
    os.symlink(xp, path("link.npy"))
    for m in (xp, path("link.npy"), "-", ""):
        before = sorted(os.listdir(TMP))
        rc, out, err = run(["diff", "--mask", m, xp])
        check(rc == 2 and "--mask" in err and open(xp, "rb").read() == data and
              sorted(os.listdir(TMP)) == before, "--mask %r refused: %d %s" % (m, rc, err))
    c = save("c2.npy", np.ascontiguousarray(x))
    rc, out, err = run(["diff", xp, c])
    check(rc == 2 and "order" in err, "A and B in different orders: %d %s" % (rc, err))
    # big-endian against little-endian: the same values compare equal
    e = save("be.npy", x.astype(">f8"))
    rc, out, err = run(["diff", xp, e])
    check(rc == 0, "byte orders: %d %s %s" % (rc, out, err))


def test_chunks():
    """Arrays larger than one chunk (the command reads a few MiB at a time): counts, the
    mask and the C-order indices across the chunk boundaries, also in Fortran order."""
    rng = np.random.default_rng(5)
    for order in ("C", "F"):
        x = np.asarray(rng.standard_normal((1500, 2000)), dtype=np.float16, order=order)
        xp = save("chunk_%s.npy" % order, x)
        a, b, mp = path("ct_%s.npy" % order), path("cm_%s.npy" % order), path("cmask.npy")
        run(["-f", "torch", "--negative-slope", "0.2", xp, a])
        run(["-f", "mindspore", "--alpha", "0.2", xp, b])
        rc, j, err = diff_json(["--mask", mp, xp])
        want = numpy_report(np.load(a), np.load(b), "float16")
        check_counts(j, want, "two chunks, %s order" % order)
        m = load(mp)
        check(m is not None and m.shape == x.shape and np.array_equal(m, want["mask"]) and
              m.flags.f_contiguous == (order == "F"), "two chunks, %s order: mask" % order)
        rc, j, err = diff_json(["--input", xp, a, b])
        check_counts(j, want, "two chunks, dumps, %s order" % order)


# ---- whole .npz archives, member by member ------------------------------------------------

def member_runs(keys, operands, extra=()):
    """{KEY: the JSON of one run on ARCHIVE:KEY for every operand}."""
    out = {}
    for k in keys:
        args = list(extra)
        for o in operands:
            if o.startswith("--"):
                args.append(o)
            else:
                args.append(o + ":" + k if o.endswith(".npz") else o)
        rc, j, err = diff_json(args)
        check(j is not None, "member run %s: %s" % (k, err))
        out[k] = j
    return out


def test_archives():
    rng = np.random.default_rng(13)
    x = rng.standard_normal(300).astype(np.float32)
    y = rng.standard_normal((4, 5)).astype(np.float64)
    h = rng.standard_normal(7).astype(np.float16)
    a_path, b_path, same_path = path("a.npz"), path("b.npz"), path("same.npz")
    np.savez(a_path, x=x, y=y, h=h)
    np.savez_compressed(same_path, x=x, y=y, h=h)  # the same arrays, deflated
    xb = x.copy()
    xb.view(np.uint32)[[3, 100, 299]] ^= 1           # three elements one ULP off
    xb[7] = -x[7] if x[7] == 0 else xb[7]
    yb = y.copy()
    yb[1, 2] = np.nan
    np.savez_compressed(b_path, x=xb, y=yb, h=h)

    # Identical archives (one stored, one deflated): exit 0, every member, no keys aside.
    rc, j, err = diff_json([a_path, same_path])
    check(rc == 0 and j is not None, "identical archives: exit 0 (%d %s)" % (rc, err))
    if j is not None:
        check(list(j["members"]) == ["x", "y", "h"], "identical: members in A's order")
        check(j["differ"] == 0 and j["elements"] == 327 and j["only_in_a"] == [] and
              j["only_in_b"] == [], "identical: totals %r" % {k: j[k] for k in j if k != "members"})
    rc, out, err = run(["diff", a_path, same_path])
    check(rc == 0 and "total: 3 members compared, 0 differ, 0 of 327 elements differ" in out,
          "identical: text total (%d %r)" % (rc, out[-200:]))

    # One member differs: each member's JSON is what a run on A.npz:KEY B.npz:KEY gives,
    # the counts NumPy's, the totals their sums.
    rc, j, err = diff_json([a_path, b_path])
    check(rc == 1 and j is not None, "one member differs: exit 1 (%d %s)" % (rc, err))
    if j is not None:
        per = member_runs(["x", "y", "h"], [a_path, b_path])
        check(j["members"] == per, "members' JSON equals the per-member runs")
        check_counts(j["members"]["x"], numpy_report(x, xb, "float32"), "archive member x")
        check_counts(j["members"]["y"], numpy_report(y, yb, "float64"), "archive member y")
        check(j["differ"] == sum(m["differ"] for m in per.values()) and
              j["elements"] == sum(m["elements"] for m in per.values()) and j["differ"] == 4,
              "totals: differ %r elements %r" % (j["differ"], j["elements"]))
    rc, out, err = run(["diff", a_path, b_path])
    parts = [run(["diff", a_path + ":" + k, b_path + ":" + k])[1] for k in ("x", "y", "h")]
    want = "".join("%s:\n%s" % (k, t) for k, t in zip(("x", "y", "h"), parts))
    check(rc == 1 and out.startswith(want), "text: each member's report after KEY:")
    check(out[len(want):] == "total: 3 members compared, 2 differ, 4 of 327 elements differ; "
          "0 keys only in A, 0 only in B\n", "text: total line %r" % out[len(want):])

    # Keys on one side only: listed, and a difference (exit 1) though the shared agree.
    c_path, d_path = path("c.npz"), path("d.npz")
    np.savez(c_path, x=x, onlya=h, y=y)
    np.savez(d_path, onlyb=h, y=y, x=x, onlyb2=x)
    rc, j, err = diff_json([c_path, d_path])
    check(rc == 1 and j is not None, "keys on one side: exit 1 (%d %s)" % (rc, err))
    if j is not None:
        check(list(j["members"]) == ["x", "y"] and j["only_in_a"] == ["onlya"] and
              j["only_in_b"] == ["onlyb", "onlyb2"] and j["differ"] == 0,
              "keys on one side: %r" % {k: j[k] for k in j if k != "members"})
    rc, out, err = run(["diff", c_path, d_path])
    check(rc == 1 and "only in A (%s): onlya\n" % c_path in out and
          "only in B (%s): onlyb\n" % d_path in out and
          out.endswith("total: 2 members compared, 0 differ, 0 of 320 elements differ; "
                       "1 key only in A, 2 only in B\n"), "keys on one side: text %r" % out)
    rc, j, err = diff_json([d_path, c_path])
    check(rc == 1 and j is not None and j["only_in_a"] == ["onlyb", "onlyb2"] and
          j["only_in_b"] == ["onlya"], "keys on one side, swapped")
    e_path = path("empty.npz")
    np.savez(e_path)
    rc, j, err = diff_json([e_path, e_path])
    check(rc == 0 and j == {"members": {}, "only_in_a": [], "only_in_b": [], "differ": 0,
                            "elements": 0}, "two empty archives: %r %s" % (j, err))
    rc, j, err = diff_json([e_path, c_path])
    check(rc == 1 and j is not None and j["only_in_b"] == ["x", "onlya", "y"],
          "empty vs full: every key only in B")

    # Two rules on each member, forward and backward, and two dumps with --input: each
    # member as its own run.
    xs = np.array([-1.0, -0.0, 0.0, 2.0, -3.5, np.nan], np.float32)
    g = np.ones(6, np.float32)
    i_path, g_path = path("in.npz"), path("grad.npz")
    np.savez(i_path, p=xs, q=-xs[::-1].copy())
    np.savez(g_path, q=g, p=g * 2)  # another order: paired by key
    rc, j, err = diff_json([i_path])
    check(rc == 0 and j is not None and j["members"] == member_runs(["p", "q"], [i_path]),
          "two rules per member, agreeing: exit 0 (%d %s)" % (rc, err))
    rc, j, err = diff_json(["--from-slope", "0.2", "--to-slope", "0.1", i_path])
    check(rc == 1 and j is not None and j["differ"] == 3 and
          j["members"] == member_runs(["p", "q"], [i_path],
                                      ["--from-slope", "0.2", "--to-slope", "0.1"]),
          "two rules per member: as the per-member runs (%d %s)" % (rc, err))
    check(j is not None and "only_in_a" in j and j["only_in_a"] == [] == j["only_in_b"],
          "one archive: the key lists are there, empty")
    rc, j, err = diff_json(["--grad", g_path, i_path])
    check(rc == 1 and j is not None and
          j["members"] == member_runs(["p", "q"], ["--grad", g_path, i_path]) and
          all(m["backward"] for m in j["members"].values()),
          "backward per member (%d %s)" % (rc, err))
    rc, j, err = diff_json(["--from", "torch", "--to", "torch", "--from-slope", "0.2",
                            "--to-slope", "0.2", i_path])
    check(rc == 2, "archives keep the option checks (%d)" % rc)
    rc, j, err = diff_json(["--input", a_path, a_path, b_path])
    check(rc == 1 and j is not None and
          j["members"] == member_runs(["x", "y", "h"], ["--input", a_path, a_path, b_path]),
          "--input archive: as the per-member runs (%d %s)" % (rc, err))
    rc, out, err = run(["diff", "--input", c_path, a_path, b_path])
    check(rc == 2 and "no array 'h'" in err and out == "",
          "--input archive without a compared key: trouble before any report (%d %r)" % (rc, err))
    rc, out, err = run(["diff", "--grad", c_path, i_path])
    check(rc == 2 and "no array 'p'" in err, "GRAD archive without a key: exit 2 (%r)" % err)
    f_path = path("f.npz")
    np.savez(f_path, x=x[:299], y=y, h=h)
    rc, out, err = run(["diff", a_path, f_path])
    check(rc == 2 and "shape" in err, "a member's shape differs: exit 2 (%r)" % err)

    # A whole archive with a plain operand, and --mask with archives: usage errors.
    npy = save("plain.npy", x)
    for args, what in (([a_path, npy], "A.npz B.npy"), ([npy, a_path], "A.npy B.npz"),
                       ([a_path, b_path + ":x"], "A.npz B.npz:x"),
                       (["--input", npy, a_path, b_path], "--input .npy with archives"),
                       (["--input", i_path, npy, npy], "--input .npz with .npy dumps"),
                       (["--grad", "[1.0]", i_path], "literal GRAD with an archive"),
                       (["--grad", g_path, "[1.0]"], "GRAD archive with a literal")):
        rc, out, err = run(["diff"] + args)
        check(rc == 2 and "whole .npz archive" in err and "ARCHIVE.npz:NAME" in err and
              out == "", "mixed operands refused: %s (%d %r)" % (what, rc, err))
    m_path = path("mask.npz")
    rc, out, err = run(["diff", "--mask", m_path, a_path, b_path])
    check(rc == 2 and "--mask" in err and "ARCHIVE.npz:NAME" in err and
          not os.path.exists(m_path), "--mask with archives refused (%d %r)" % (rc, err))
    rc, out, err = run(["diff", a_path + ":x", b_path + ":x"])
    check(rc == 1, "members named on both sides still a plain diff (%d %s)" % (rc, err))


def test_help():
    rc, out, err = run(["--help"])
    for opt in ("--from", "--to", "--from-slope", "--to-slope", "--negative-slope", "--alpha",
                "--dtype", "--grad", "--input", "--json", "--mask", "--all", "--threads"):
        check(rc == 0 and opt in out.split("lrelu diff", 1)[-1], "--help lists %s for diff" % opt)
    check("0 identical" in out or "identical" in out, "--help gives diff's exit statuses")


def main():
    try:
        test_exit_status()
        test_rules()
        test_dumps()
        test_layout()
        test_chunks()
        test_archives()
        test_help()
    finally:
        subprocess.run(["rm", "-rf", TMP])
    return checks.summary("cli-diff")


if __name__ == "__main__":
    sys.exit(main())

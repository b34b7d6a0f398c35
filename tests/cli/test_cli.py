#!/usr/bin/python3
# test_cli.py - end-to-end tests of the lrelu command: printing and .npy round trips
# against NumPy and PyTorch, every option, every error (exit status, message, files
# left on disk), atomic replacement, the seed demo.  Usage: test_cli.py path/to/lrelu
import hashlib
import io
import os
import stat
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check  # noqa: E402
import checks  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the oracle checks that need it are skipped, and counted as failed
    torch = None

LRELU = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/lrelu")
HERE = os.path.dirname(os.path.abspath(__file__))


def run(args, stdin=None, shell=False, cwd=None):
    cmd = args if shell else [LRELU] + list(args)
    p = subprocess.run(cmd, input=stdin, capture_output=True, shell=shell, cwd=cwd)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


TMP = tempfile.mkdtemp(prefix="lrelu-cli-test-")


def path(name):
    return os.path.join(TMP, name)


def save(name, a, version=None, raw_header=None):
    p = path(name)
    with open(p, "wb") as f:
        if version:
            np.lib.format.write_array(f, a, version=version)
        else:
            np.lib.format.write_array(f, a)
    return p


def digest(p):
    with open(p, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def listing():
    return sorted(os.listdir(TMP))


def bits_equal(a, b):
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape or a.dtype.itemsize != b.dtype.itemsize:
        return False
    u = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize]
    return np.array_equal(np.ascontiguousarray(a).view(u), np.ascontiguousarray(b).view(u))


# ---- oracles -------------------------------------------------------------------------

def torch_forward(x, slope):
    """PyTorch 1.13 CPU; float16 is computed in float32 and rounded (PyTorch >= 2.1)."""
    x = np.asarray(x)
    x = x.astype(x.dtype.newbyteorder("="))
    if x.dtype == np.float16:
        xf = x.astype(np.float32)
        p = (xf * np.float32(slope)).astype(np.float16)
        return np.where(xf > 0, x, p)
    t = torch.from_numpy(np.ascontiguousarray(x))
    return F.leaky_relu(t, slope).numpy()


def mindspore_forward(x, alpha):
    x = np.asarray(x)
    if x.dtype == np.float16:
        xf = x.astype(np.float32)
        p = (xf * np.float32(alpha)).astype(np.float16)
    else:
        s = x.dtype.type(np.float32(alpha))
        p = x * s
    with np.errstate(invalid="ignore"):
        take = p > x if alpha <= 1 else p < x
    return np.where(take, p, x)


def onnx_forward(x, alpha):
    x = np.asarray(x)
    s = x.dtype.type(np.float32(alpha))
    return np.where(x < 0, x * s, x)


def tf_forward(x, alpha):
    x = np.asarray(x)
    s = x.dtype.type(np.float32(alpha))
    return np.where(x > 0, x, x * s)


def jax_forward(x, slope):
    """jax.nn.leaky_relu as read from its source: where(x >= 0, x, s * x), the Python
    float a float32 first (JAX's default mode), then x's dtype; float64 keeps it."""
    x = np.asarray(x)
    s = x.dtype.type(slope) if x.dtype == np.float64 else x.dtype.type(np.float32(slope))
    return np.where(x >= 0, x, x * s)


# ---- 1. printing against NumPy --------------------------------------------------------

def print_cases(rng):
    cases = []
    specials = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.1, 1e-5, 1e8, 65504,
                1e-7, 3.14159, 1e20, 1e-30, 0.5, 100.0, 1234.5, 99999999.0, 0.0001]
    for dt in (np.float32, np.float64, np.float16):
        with np.errstate(all="ignore"):
            for v in (1.5, -0.0, np.nan, np.inf, 1e-5, 1e16, 123456789.0, 0.0001):
                cases.append(np.array(v, dt))
            cases.append(np.array([[-1.0, 4.0, -8.0], [2.0, -5.0, 9.0]], dt))
            cases.append(np.array(specials, dt))
            cases.append(np.array([np.nan, -np.inf], dt))
            cases.append(np.zeros((0, 3), dt))
            cases.append(np.zeros((2, 0, 3), dt))
            for _ in range(25):
                nd = int(rng.integers(1, 5))
                shape = tuple(int(s) for s in rng.integers(1, 6, size=nd))
                mode = int(rng.integers(0, 5))
                if mode == 0:
                    a = rng.standard_normal(shape)
                elif mode == 1:
                    a = rng.standard_normal(shape) * 10.0 ** int(rng.integers(-12, 12))
                elif mode == 2:
                    a = np.exp(rng.uniform(-30, 30, shape)) * rng.choice([-1, 1], shape)
                elif mode == 3:
                    a = rng.integers(-100, 100, shape).astype(float) / rng.choice([1, 2, 4, 10, 3])
                else:
                    a = rng.choice(specials, shape)
                cases.append(a.astype(dt))
            for shape in [(1001,), (2000,), (10, 200), (3, 4, 100), (7, 7, 7, 7), (40, 30)]:
                cases.append((rng.standard_normal(shape) * 3).astype(dt))
            cases.append(np.arange(2000, dtype=dt).reshape(2, 10, 100))
    cases.append(rng.integers(0, 2**32, 100, dtype=np.uint64).astype(np.uint32).view(np.float32))
    cases.append(rng.integers(0, 2**63, 100, dtype=np.uint64).view(np.float64))
    cases.append(rng.integers(0, 2**16, 200).astype(np.uint16).view(np.float16))
    return cases


def test_printing():
    rng = np.random.default_rng(7)
    for i, a in enumerate(print_cases(rng)):
        # negative_slope 1: y = x bit for bit (x * 1 keeps -0.0 and NaN), so the text is
        # NumPy's print of the input itself.
        p = save("p%d.npy" % i, a)
        rc, out, err = run(["--negative-slope", "1", p])
        want = str(a) + "\n"
        check(rc == 0 and out.decode() == want,
              "print %s %s:\nwant %r\ngot  %r %s" % (a.dtype, a.shape, want, out, err))
        os.unlink(p)
    # Fortran order and big-endian print the same values.
    a = np.asfortranarray(np.arange(12, dtype=">f8").reshape(3, 4) - 5.5)
    p = save("pf.npy", a)
    rc, out, err = run(["--negative-slope", "1", p])
    check(out.decode() == str(a) + "\n", "print fortran big-endian: %r" % out)
    # Summarised arrays keep only the displayed elements while streaming: any order.
    for a in (np.asfortranarray(rng.standard_normal((20, 30, 40)).astype(">f4")),
              np.asfortranarray(rng.standard_normal((1000, 2))),
              rng.standard_normal((7, 1001)), np.ones((2,) * 11, np.float16)):
        p = save("ps.npy", a)
        rc, out, err = run(["--negative-slope", "1", p])
        check(rc == 0 and out.decode() == str(a) + "\n", "print summarised %s %s %s" %
              (a.shape, a.dtype, "F" if a.flags.f_contiguous else "C"))
    # bfloat16 prints as float32 holding the same values.
    b = np.array([0x3f80, 0xbe4d, 0x7fc0, 0xff80, 0x0001, 0x4049], dtype="<u2")
    p = save("pb.npy", b)
    rc, out, err = run(["--dtype", "bfloat16", "--negative-slope", "1", p])
    f = (b.astype(np.uint32) << 16).view(np.float32)
    check(rc == 0 and out.decode() == str(f) + "\n", "print bfloat16: %r %s" % (out, err))


# ---- 2. results and round trips --------------------------------------------------------

def load(p):
    with open(p, "rb") as f:
        major, minor = np.lib.format.read_magic(f)
        return np.load(p), (major, minor)


def test_roundtrips():
    rng = np.random.default_rng(11)
    base = rng.standard_normal((5, 7)) * 3
    base[0, :5] = [0.0, -0.0, np.inf, -np.inf, np.nan]
    for descr in ["<f4", ">f4", "<f8", ">f8", "<f2", ">f2"]:
        for order in ("C", "F"):
            for version in [(1, 0), (2, 0), (3, 0)]:
                with np.errstate(all="ignore"):
                    a = np.array(base, dtype=descr, order=order)
                p = save("in.npy", a, version=version)
                o = path("out.npy")
                rc, out, err = run([p, o, "--negative-slope", "0.2"])
                check(rc == 0, "roundtrip %s %s %s rc %d %s" % (descr, order, version, rc, err))
                if rc != 0:
                    continue
                y, ver = load(o)
                check(ver == version, "version kept %s -> %s" % (version, ver))
                check(y.dtype.str == a.dtype.str, "descr kept %s -> %s" % (a.dtype.str, y.dtype.str))
                check(y.flags.f_contiguous == (order == "F"), "order kept %s" % order)
                if torch is not None:
                    want = torch_forward(a, 0.2)
                    check(bits_equal(y.astype(y.dtype.newbyteorder("=")), want),
                          "torch bits %s %s" % (descr, order))
    # Every framework, float32 and float64, against its formula.
    x32 = (rng.standard_normal(1000) * 10).astype(np.float32)
    x32[:6] = [0.0, -0.0, np.inf, -np.inf, np.nan, -1e-45]
    for dt in (np.float32, np.float64):
        x = x32.astype(dt)
        p = save("fw.npy", x)
        o = path("fw_out.npy")
        for fw, opt, val, fn in [("mindspore", "--alpha", 0.3, mindspore_forward),
                                 ("mindspore", "--alpha", 1.7, mindspore_forward),
                                 ("onnx", "--alpha", 0.1, onnx_forward),
                                 ("tensorflow", "--alpha", 0.2, tf_forward)]:
            rc, out, err = run(["-f", fw, opt, str(val), p, o])
            check(rc == 0, "%s rc %d %s" % (fw, rc, err))
            if rc == 0:
                with np.errstate(all="ignore"):
                    want = fn(x, val)
                y = np.load(o)
                # NaN payloads: compare NaN-ness, bits elsewhere.
                nan = np.isnan(want)
                check(np.array_equal(np.isnan(y), nan) and bits_equal(y[~nan], want[~nan]),
                      "%s %s alpha %s bits" % (fw, dt.__name__, val))
        # Defaults: MindSpore alpha 0.2, ONNX 0.01, TensorFlow 0.2, PyTorch 0.01.
        for fw, fn, dflt in [("mindspore", mindspore_forward, 0.2), ("onnx", onnx_forward, 0.01),
                             ("tensorflow", tf_forward, 0.2)]:
            rc, out, err = run(["--framework=" + fw, p, o])
            with np.errstate(all="ignore"):
                want = fn(x, dflt)
            y = np.load(o)
            nan = np.isnan(want)
            check(rc == 0 and bits_equal(y[~nan], want[~nan]), "%s default slope" % fw)
        if torch is not None:
            rc, out, err = run([p, o])
            check(rc == 0 and bits_equal(np.load(o)[6:], torch_forward(x, 0.01)[6:]),
                  "torch default slope")
    # The aliases name the same framework as its own name (defaults tell them apart:
    # TensorFlow 0.2, ONNX 0.01, PyTorch 0.01 with the torch-only parameter name).
    lit = "[-2.0, -0.0, 3.0]"
    for alias, name, opt in [("tf", "tensorflow", "--alpha"), ("pytorch", "torch", "--negative-slope")]:
        for args in ([], [opt, "0.3"]):
            want = run(["-f", name] + args + [lit])
            got = run(["-f", alias] + args + [lit])
            check(want[0] == 0 and got == want, "-f %s %s is -f %s: %r %r" % (alias, args, name, got, want))
    rc, out, err = run(["-f", "tf", "--inplace", lit])
    check(rc == 2 and "TensorFlow's LeakyReLU has no in-place form" in err, "tf title: %s" % err)
    rc, out, err = run(["diff", "--from", "tf", "--to", "pytorch", lit])
    check(rc == 0 and out.decode().startswith("tensorflow vs torch,"), "diff aliases: %r" % out)
    rc, out, err = run(["--framework", "caffe", lit])
    check(rc == 2 and "--framework: 'caffe' is not one of torch, mindspore, onnx, tensorflow, jax, onnxruntime "
          in err, "framework list: %s" % err)
    # Literals: every --dtype, printing and writing.
    lit = "[[-1.0, 4.0, -8.0], [2.0, -5.0, 9.0]]"
    for dt in ("float32", "float64", "float16", "bfloat16"):
        o = path("lit.npy")
        rc, out, err = run(["--dtype", dt, "--negative-slope", "0.2", lit, o])
        check(rc == 0, "literal --dtype %s: %s" % (dt, err))
        if rc == 0:
            y = np.load(o)
            if dt == "bfloat16":
                check(y.dtype.str == "<u2", "bfloat16 literal written as <u2")
                y = (y.astype(np.uint32) << 16).view(np.float32)
            ref = np.array([[-0.2, 4, -1.6], [2, -1, 9]])
            check(np.allclose(y.astype(np.float64), ref, rtol=1e-2), "literal %s values" % dt)
    # float16 literals round through float32, as torch.tensor(..., dtype=float16) does.
    d = 1 + 2 ** -11 + 2 ** -40
    rc, out, err = run(["--dtype", "float16", "--negative-slope", "1", "[%r]" % d, "-"])
    y = np.load(io.BytesIO(out)) if rc == 0 else None
    if torch is not None:
        want = torch.tensor([d], dtype=torch.float16).numpy()
        check(y is not None and bits_equal(y, want), "float16 literal rounding as torch")
    rc, out, err = run(["--dtype", "float64", "--negative-slope", "0.2", lit])
    check(out == b"[[-0.2  4.  -1.6]\n [ 2.  -1.   9. ]]\n", "float64 literal print %r" % out)
    want = (str(np.float32(-2.5) * np.float32(0.01)) + "\n").encode()
    rc, out, err = run(["-2.5"])
    check(rc == 0 and out == want, "bare negative number literal %r" % out)
    rc, out, err = run(["--", "-2.5"])
    check(rc == 0 and out == want, "literal after -- %r" % out)
    rc, out, err = run(["[]"])
    check(rc == 0 and out == b"[]\n", "empty literal")
    rc, out, err = run(["[[1e-3, -1e-3], [-1e10, 5]]", "--negative-slope", "0.5"])
    want = str(np.array([[1e-3, -5e-4], [-5e9, 5]], np.float32)) + "\n"
    check(out.decode() == want, "literal exp-format print %r" % out)
    # A file named like a literal is reached through ./
    a = np.array([-4.0, 4.0], np.float32)
    save("[x].npy", a)
    rc, out, err = run(["./[x].npy"], cwd=TMP)
    check(rc == 0 and out == b"[-0.04  4.  ]\n", "./[x].npy is a path: %r %s" % (out, err))
    os.unlink(path("[x].npy"))
    # 0-d and empty files.
    for a in (np.array(-3.0, np.float32), np.zeros((0,), np.float64), np.zeros((3, 0), ">f4")):
        p = save("e.npy", a)
        o = path("e_out.npy")
        rc, out, err = run([p, o])
        y = np.load(o) if rc == 0 else None
        check(rc == 0 and y.shape == a.shape and y.dtype == a.dtype, "0-d/empty %s" % (a.shape,))
    # bfloat16 from '<u2' and '|V2' with --dtype bfloat16 (output keeps the descr).
    bits = np.array([0x3f80, 0xbf80, 0xc120, 0x7fc0, 0x8000, 0x0001], dtype="<u2")
    for descr in ("<u2", "|V2", ">u2"):
        arr = bits.astype(">u2") if descr == ">u2" else bits
        if descr == "|V2":
            arr = bits.view("|V2")
        p = save("bf.npy", arr)
        o = path("bf_out.npy")
        rc, out, err = run(["--dtype", "bfloat16", "--negative-slope", "0.5", p, o])
        check(rc == 0, "bfloat16 %s rc %d %s" % (descr, rc, err))
        if rc == 0:
            y = np.load(o)
            check(y.dtype.str == arr.dtype.str, "bfloat16 descr kept %s" % descr)
            yb = y.view("<u2") if descr == "|V2" else y.astype("<u2")
            if torch is not None:
                t = torch.from_numpy(bits.astype(np.int16)).view(torch.bfloat16)
                want = F.leaky_relu(t, 0.5).view(torch.int16).numpy().astype(np.uint16)
                check(np.array_equal(yb, want), "bfloat16 %s bits vs torch" % descr)
    # Streaming: several chunks, stdin to stdout, threads.
    big = (rng.standard_normal(3_000_001) * 5).astype(np.float32)
    p = save("big.npy", big)
    o = path("big_out.npy")
    rc, out, err = run([p, o, "--negative-slope", "0.125", "--threads", "3"])
    check(rc == 0, "big file rc %d %s" % (rc, err))
    if torch is not None and rc == 0:
        check(bits_equal(np.load(o), torch_forward(big, 0.125)), "big file bits")
    with open(p, "rb") as f:
        data = f.read()
    rc, out, err = run(["--negative-slope", "0.125", "-", "-"], stdin=data)
    check(rc == 0 and out == open(o, "rb").read(), "stdin to stdout equals file output")
    rc, out, err = run(["--negative-slope", "1", "-"], stdin=open(save("s.npy", big[:10]), "rb").read())
    check(rc == 0 and out.decode() == str(big[:10]) + "\n", "stdin printed")
    rc, out, err = run(["[1.0, -2.0]", "-"])
    y = np.load(io.BytesIO(out)) if rc == 0 else None
    check(y is not None and y.dtype == np.float32 and list(y) == [1.0, np.float32(-2.0) * np.float32(0.01)],
          "literal to stdout")
    for name in ("big.npy", "big_out.npy"):
        os.unlink(path(name))


def test_grad():
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((4, 5)) * 3).astype(np.float32)
    x[0, :3] = [0.0, -0.0, np.inf]
    g = rng.standard_normal((4, 5)).astype(np.float32)
    px, pg, o = save("gx.npy", x), save("gg.npy", g), path("gd.npy")
    rc, out, err = run(["--grad", pg, "--negative-slope", "0.3", px, o])
    check(rc == 0, "grad rc %d %s" % (rc, err))
    if torch is not None and rc == 0:
        t = torch.from_numpy(x.copy()).requires_grad_()
        F.leaky_relu(t, 0.3).backward(torch.from_numpy(g))
        check(bits_equal(np.load(o), t.grad.numpy()), "grad bits vs torch autograd")
    rc, out, err = run(["--grad", pg, "-f", "mindspore", px, o])
    check(rc == 0, "mindspore grad rc %d %s" % (rc, err))
    os.unlink(o)
    rc, out, err = run(["--grad", pg, "-f", "onnx", px, o])
    check(rc == 1 and "gradient" in err.lower() or "unsupported" in err.lower(),
          "onnx has no gradient: %s" % err)
    check(not os.path.exists(o), "no output after onnx grad failure")
    # GRAD on standard input; a stream with bytes after the data is refused.
    with open(pg, "rb") as f:
        gdata = f.read()
    ref = path("gref.npy")
    run(["--grad", pg, "--negative-slope", "0.3", px, ref])
    rc, out, err = run(["--grad", "-", "--negative-slope", "0.3", px, "-"], stdin=gdata)
    check(rc == 0 and out == open(ref, "rb").read(), "grad from stdin equals grad from file")
    rc, out, err = run(["--grad", "-", px], stdin=gdata + b"xx")
    check(rc == 1 and "bytes after the data" in err, "grad stream too long: %s" % err)
    # Literal gradient and printing.
    rc, out, err = run(["--grad", "[1.0, 1.0]", "--negative-slope", "0.5", "[-1.0, 2.0]"])
    check(rc == 0 and out == b"[0.5 1. ]\n", "literal grad printed %r %s" % (out, err))


def test_quantized():
    x = np.array([-128, -5, 0, 3, 127], dtype=np.int8)
    p = save("q.npy", x)
    before = listing()
    rc, out, err = run([p, path("q_out.npy")])
    check(rc == 2 and "--scale" in err and "--zero-point" in err and "int8" in err,
          "int8 without qparams: %d %s" % (rc, err))
    rc, out, err = run([p, "--scale", "0.1"])
    check(rc == 2 and "--zero-point" in err, "int8 without zero point: %s" % err)
    check(listing() == before, "no files after quant usage errors")
    # Codes print as NumPy prints an int8/uint8 array (slope 1 keeps every code).
    rng = np.random.default_rng(9)
    for a in (rng.integers(-128, 128, (5, 40)).astype(np.int8),
              rng.integers(0, 256, (3000,)).astype(np.uint8), np.array(-5, np.int8)):
        p = save("qp.npy", a)
        rc, out, err = run(["--scale", "1", "--zero-point", "0", "--negative-slope", "1", p])
        check(rc == 0 and out.decode() == str(a) + "\n", "quantized codes print %s: %r %s"
              % (a.shape, out[:80], err))
    for dt, qdt, zp in ((np.int8, "qint8", 2), (np.uint8, "quint8", 130)):
        codes = np.array([0, 1, 100, 127, 200 % 256, 255], dtype=np.uint8).astype(dt) \
            if dt == np.uint8 else np.array([-128, -5, 0, 3, 127, 1], dtype=np.int8)
        p = save("q.npy", codes)
        o = path("q_out.npy")
        rc, out, err = run([p, o, "--scale", "0.25", "--zero-point", str(zp),
                            "--negative-slope", "0.2"])
        if rc != 0:
            check(rc == 1 and ("unsupported" in err.lower() or "quant" in err.lower()),
                  "quantized %s: %d %s" % (qdt, rc, err))
            continue
        y = np.load(o)
        check(y.dtype == codes.dtype and y.shape == codes.shape, "quantized %s dtype kept" % qdt)
        if torch is not None:
            q = torch._make_per_tensor_quantized_tensor(torch.from_numpy(codes.copy()), 0.25, zp)
            want = F.leaky_relu(q, 0.2).int_repr().numpy()
            check(np.array_equal(y, want), "quantized %s codes vs torch: %s %s" % (qdt, y, want))
        rc, out, err = run([p, o, "--scale", "0.25", "--zero-point", str(zp),
                            "--out-scale", "0.5", "--out-zero-point", str(zp)])
        check(rc == 0, "quantized out qparams rc %d %s" % (rc, err))
        if torch is not None and rc == 0:
            import torch.ao.nn.quantized.functional as qF
            q = torch._make_per_tensor_quantized_tensor(torch.from_numpy(codes.copy()), 0.25, zp)
            want = qF.leaky_relu(q, 0.01, scale=0.5, zero_point=zp).int_repr().numpy()
            check(np.array_equal(np.load(o), want), "quantized out qparams vs torch")
        rc, out, err = run([p, "--scale", "0.25", "--zero-point", str(zp)])
        check(rc == 0 and out.decode().startswith("["), "quantized printed %r" % out)


# ---- 3. in place, atomicity ------------------------------------------------------------

def test_inplace():
    a = np.array([[-1.0, 4.0, -8.0], [2.0, -5.0, 9.0]], np.float32)
    p = save("ip.npy", a)
    os.chmod(p, 0o640)
    rc, out, err = run(["--inplace", "--negative-slope", "0.2", p])
    check(rc == 0 and out == b"", "inplace rc %d %s" % (rc, err))
    y = np.load(p)
    check(str(y) == "[[-0.2  4.  -1.6]\n [ 2.  -1.   9. ]]", "inplace result %s" % y)
    check(stat.S_IMODE(os.stat(p).st_mode) == 0o640, "inplace keeps permissions")
    # A symlink: the target is replaced, the link stays a link.
    os.makedirs(path("real"), exist_ok=True)
    t = save("real/t.npy", a)
    os.chmod(t, 0o600)
    link = path("link.npy")
    os.symlink(os.path.join("real", "t.npy"), link)
    rc, out, err = run(["--inplace", "--negative-slope", "0.5", link])
    check(rc == 0, "inplace via symlink rc %d %s" % (rc, err))
    check(os.path.islink(link), "symlink still a link")
    check(np.load(t)[0, 0] == np.float32(-0.5), "symlink target replaced")
    check(stat.S_IMODE(os.stat(t).st_mode) == 0o600, "symlink target keeps permissions")
    check(sorted(os.listdir(path("real"))) == ["t.npy"], "no temporary left in target dir")
    os.unlink(link)
    # OUTPUT may be INPUT itself (MindSpore's x = m(x)).
    p2 = save("same.npy", a)
    rc, out, err = run(["-f", "mindspore", p2, p2])
    check(rc == 0 and np.load(p2)[0, 0] == np.float32(-1.0) * np.float32(0.2),
          "OUTPUT == INPUT works")
    # Literal with --inplace prints (the seed's example 2).
    rc, out, err = run(["--inplace", "--negative-slope", "0.2", "[[-1.0, 4.0, -8.0], [2.0, -5.0, 9.0]]"])
    check(rc == 0 and out == b"[[-0.2  4.  -1.6]\n [ 2.  -1.   9. ]]\n", "inplace literal prints")


def test_signal():
    """SIGTERM while the input stream stalls: the temporary file goes, nothing is left."""
    b = io.BytesIO()
    np.save(b, np.zeros(1 << 20, np.float32))
    data = b.getvalue()
    o = path("sig_out.npy")
    before = listing()
    p = subprocess.Popen([LRELU, "-", o], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdin.write(data[: len(data) // 2])
    p.stdin.flush()
    tmp = []
    for _ in range(1000):  # wait for the event (the output file open), at most 10 s
        # An unnamed O_TMPFILE file or a named temporary one, in OUTPUT's directory.
        fds = "/proc/%d/fd" % p.pid
        tmp = [l for l in (os.readlink(os.path.join(fds, f)) for f in os.listdir(fds))
               if l.startswith(TMP + "/")]
        if tmp:
            break
        time.sleep(0.01)
    check(len(tmp) == 1, "output file open next to OUTPUT while streaming: %s" % tmp)
    p.terminate()
    p.wait()
    p.stdin.close()
    p.stdout.close()
    p.stderr.close()
    check(p.returncode == -15, "killed by SIGTERM: %s" % p.returncode)
    check(listing() == before, "nothing left after SIGTERM: %s" % listing())


def expect_error(args, code, needles, what, stdin=None, shell=False, protect=(), cwd=None):
    """Runs, checks exit status and message, and that the directory and INPUTs are untouched."""
    before = listing()
    sums = {p: digest(p) for p in protect}
    rc, out, err = run(args, stdin=stdin, shell=shell, cwd=cwd)
    lines = [l for l in err.splitlines() if l]
    check(rc == code, "%s: exit %d, want %d (%s)" % (what, rc, code, err.strip()))
    check(len(lines) == 1 and lines[0].startswith("lrelu: "),
          "%s: one 'lrelu: ' line on stderr, got %r" % (what, err))
    for n in needles:
        check(n.lower() in err.lower(), "%s: message lacks %r: %s" % (what, n, err.strip()))
    check(listing() == before, "%s: files changed: %s -> %s" % (what, before, listing()))
    for p, s in sums.items():
        check(digest(p) == s, "%s: %s modified" % (what, p))
    return rc, out, err


def raw_npy(name, header, data=b"", version=1, hlen=None):
    h = header.encode("latin1")
    plen = 10 if version == 1 else 12
    total = (plen + len(h) + 1 + 63) // 64 * 64
    h = h + b" " * (total - plen - len(h) - 1) + b"\n"
    n = len(h) if hlen is None else hlen
    pre = b"\x93NUMPY" + bytes([version, 0])
    pre += n.to_bytes(2 if version == 1 else 4, "little")
    with open(path(name), "wb") as f:
        f.write(pre + h + data)
    return path(name)


def test_errors():
    good = save("good.npy", np.arange(6, dtype=np.float32).reshape(2, 3) - 3)
    out = path("never.npy")
    G = [good]
    expect_error([path("missing.npy"), out], 1, ["missing.npy", "No such file"], "missing file")
    os.makedirs(path("adir"), exist_ok=True)
    expect_error([path("adir"), out], 1, ["adir", "directory"], "directory input")
    if os.path.exists("/proc/self/mem"):  # a file that opens but cannot be read (EIO)
        expect_error(["/proc/self/mem", out], 1, ["/proc/self/mem", "read error"],
                     "unreadable file")
    with open(path("text.npy"), "w") as f:
        f.write("hello, this is not numpy\n")
    expect_error([path("text.npy"), out], 1, ["text.npy", "not a .npy"], "not npy")
    open(path("empty.npy"), "wb").close()
    expect_error([path("empty.npy"), out], 1, ["empty.npy", "empty"], "empty file")
    with open(good, "rb") as f:
        gb = f.read()
    with open(path("trunc_h.npy"), "wb") as f:
        f.write(gb[:40])
    expect_error([path("trunc_h.npy"), out], 1, ["trunc_h.npy", "truncated"], "truncated header")
    with open(path("trunc_d.npy"), "wb") as f:
        f.write(gb[:-5])
    expect_error([path("trunc_d.npy"), out], 1, ["trunc_d.npy", "truncated data"], "truncated data")
    expect_error(["-", "-"], 1, ["standard input", "truncated"], "truncated stream", stdin=gb[:-5])
    with open(path("long.npy"), "wb") as f:
        f.write(gb + b"\0\0\0\0")
    expect_error([path("long.npy"), out], 1, ["long.npy", "disagrees"], "file larger than shape")
    hd = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
    expect_error([raw_npy("bighdr.npy", hd, b"", version=2, hlen=70000), out], 1,
                 ["bighdr.npy", "oversized"], "oversized header")
    expect_error([raw_npy("hugehdr.npy", hd, b"", version=2, hlen=0xFFFFFFF0), out], 1,
                 ["hugehdr.npy", "oversized"], "4 GiB header length")
    expect_error([raw_npy("shorthdr.npy", hd, b"", version=1, hlen=1000), out], 1,
                 ["shorthdr.npy", "truncated"], "header longer than file")
    expect_error([raw_npy("mal.npy", "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }"), out],
                 1, ["mal.npy", "malformed"], "malformed header")
    expect_error([raw_npy("mal2.npy", "{'descr': '<f4', 'shape': (2,), }"), out],
                 1, ["mal2.npy", "malformed"], "header missing a key")
    expect_error([raw_npy("ver.npy", hd, version=4), out], 1, ["ver.npy", "version"], "version 4")
    expect_error([raw_npy("obj.npy", "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
                          b"\0" * 16), out], 1, ["obj.npy", "object"], "object dtype")
    expect_error([raw_npy("st.npy", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }",
                          b"\0" * 8), out], 1, ["st.npy", "structured"], "structured dtype")
    expect_error([save("i4.npy", np.zeros(3, np.int32)), out], 1, ["i4.npy", "<i4"], "int32 dtype")
    expect_error([save("u2.npy", np.zeros(3, np.uint16)), out], 1, ["u2.npy", "--dtype bfloat16"],
                 "uint16 without --dtype bfloat16")
    expect_error([raw_npy("ovf.npy", "{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (4294967296, 4294967296, 16), }"), out], 1,
                 ["ovf.npy", "overflow"], "shape overflow")
    expect_error([raw_npy("ovf2.npy", "{'descr': '<f8', 'fortran_order': False, "
                          "'shape': (1152921504606846976, 9), }"), out], 1,
                 ["ovf2.npy", "overflow"], "byte size overflow")
    expect_error([raw_npy("huge.npy", "{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (1000000000, 1000), }"), out], 1,
                 ["huge.npy", "truncated"], "shape larger than file, nothing allocated")
    expect_error([raw_npy("dims.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                          "1, " * 17 + "), }", b"\0" * 4), out], 1, ["dims.npy", "dimensions"],
                 "too many dimensions")
    # GRAD mismatches.
    g1 = save("g_shape.npy", np.zeros((3, 2), np.float32))
    expect_error(["--grad", g1, good, out], 1, ["g_shape.npy", "shape"], "grad shape", protect=G)
    g2 = save("g_dtype.npy", np.zeros((2, 3), np.float64))
    expect_error(["--grad", g2, good, out], 1, ["g_dtype.npy", "dtype"], "grad dtype", protect=G)
    expect_error(["--grad", path("nog.npy"), good, out], 1, ["nog.npy"], "grad missing", protect=G)
    # Literals.
    for lit, what in [("[1, 2", "expected ','"), ("[", "unexpected end"), ("[[1, 2], [3]]", "different lengths"),
                      ("[1, [2]]", "different depths"), ("[1 2]", "expected ','"),
                      ("[abc]", "expected a number"), ("[1] x", "after the literal")]:
        expect_error([lit], 2, ["malformed literal", what], "literal %r" % lit)
    # Unwritable OUTPUT, OUTPUT a directory.
    expect_error([good, path("nodir/out.npy")], 1, ["nodir", "No such file"], "unwritable output",
                 protect=G)
    expect_error([good, path("adir")], 1, ["adir", "directory"], "output is a directory", protect=G)
    # A full disk: RLIMIT_FSIZE makes the write fail midway; nothing may be left.
    big = save("fsz.npy", np.zeros(1 << 20, np.float32))
    G2 = [good, big]
    lim = "ulimit -f 64; exec %s %s %s" % (LRELU, big, path("fsz_out.npy"))
    expect_error(lim, 1, ["fsz_out.npy", "File too large"], "full disk (ulimit -f)", shell=True,
                 protect=G2)
    lim = "ulimit -f 64; exec %s --inplace %s" % (LRELU, big)
    expect_error(lim, 1, ["fsz.npy", "File too large"], "full disk in place", shell=True,
                 protect=G2)
    # A stream that fails midway: standard output closed early.
    p = subprocess.run(["bash", "-c", "%s %s - | head -c 100 > /dev/null; exit ${PIPESTATUS[0]}"
                        % (LRELU, big)], capture_output=True)
    check(p.returncode == 1 and b"standard output" in p.stderr and b"midway" in p.stderr,
          "broken stdout: %d %r" % (p.returncode, p.stderr))
    p = subprocess.run(["bash", "-c", "%s %s - > /dev/full" % (LRELU, good)], capture_output=True)
    check(p.returncode == 1 and b"standard output" in p.stderr, "stdout to /dev/full: %r" % p.stderr)
    os.unlink(big)
    # Usage errors.
    U = [
        (["--alpha", "0.2", good], ["PyTorch calls it negative_slope"], "alpha with torch"),
        (["-f", "mindspore", "--negative-slope", "0.2", good], ["MindSpore calls it alpha"],
         "negative-slope with mindspore"),
        (["-f", "onnx", "--negative-slope", "0.2", good], ["ONNX calls it alpha"], "ns with onnx"),
        (["-f", "mindspore", "--inplace", good], ["no in-place form", "assign the output"],
         "inplace with mindspore"),
        (["-f", "tensorflow", "--inplace", good], ["no in-place form"], "inplace with tf"),
        (["--inplace", good, out], ["give no OUTPUT"], "inplace with OUTPUT"),
        (["--inplace", "-"], ["standard input"], "inplace stdin"),
        ([], ["INPUT missing"], "no INPUT"),
        ([good, out, "extra"], ["unexpected argument"], "too many args"),
        (["--bogus", good], ["unknown option"], "unknown option"),
        (["-f", "caffe", good], ["not one of"], "bad framework"),
        (["-f"], ["needs a value"], "missing value"),
        (["--negative-slope", "abc", good], ["not a number"], "bad slope"),
        (["--dtype", "int8", "[1]"], ["not one of"], "bad dtype"),
        (["--dtype", "float64", good], ["converts literals only"], "dtype mismatch on file"),
        (["--threads", "-1", good], ["integer"], "bad threads"),
        (["--scale", "0.1", "--zero-point", "0", good], ["int8/uint8"], "scale on float"),
        (["--from", "torch", good], ["lrelu diff"], "--from outside diff"),
        (["diff", "--inplace", good], ["not an option of lrelu diff"], "diff --inplace"),
        (["diff", "--negative-slope", "0.1", "--from-slope", "0.2", good], ["both set"],
         "diff: two slopes for one side"),
        (["diff"], ["INPUT missing"], "diff no input"),
        (["demo", "x"], ["no arguments"], "demo args"),
    ]
    for args, needles, what in U:
        expect_error(args, 2, needles, what, protect=G)
    # LRELU_NUM_THREADS: the command refuses what the library would silently replace by
    # the CPU count; 1 and 1024 are the bounds, both accepted
    for v in ("abc", "0", "-2", "7x", "", " 3", "1025", "99999999999999999999"):
        expect_error("LRELU_NUM_THREADS='%s' %s --threads 0 %s" % (v, LRELU, good), 2,
                     ["LRELU_NUM_THREADS"], "LRELU_NUM_THREADS=%r" % v, shell=True, protect=G)
    for v in ("1", "1024"):
        rc, out, err = run("LRELU_NUM_THREADS=%s %s --threads 0 %s" % (v, LRELU, good), shell=True)
        check(rc == 0, "LRELU_NUM_THREADS=%s: rc %d %s" % (v, rc, err))
    # Library refusals are data errors (exit 1), e.g. a slope float32 cannot hold.
    expect_error(["--negative-slope", "1e300", good, out], 1, ["good.npy"], "slope overflow",
                 protect=G)


# ---- 4. demo, diff, help, version -------------------------------------------------------

SEED_OUTPUT = "[[-0.2  4.  -1.6]\n [ 2.  -1.   9. ]]\n"


def test_demo_diff_help():
    rc, out, err = run(["demo"])
    text = out.decode()
    check(rc == 0, "demo rc")
    blocks = text.split("# Example")[1:]
    check(len(blocks) == 4, "demo prints four examples")
    for b, (ex, fw) in zip(blocks, [("1", "PyTorch"), ("1", "MindSpore"), ("2", "PyTorch"),
                                     ("2", "MindSpore")]):
        title, _, body = b.partition("\n")
        check(title.startswith(" %s, %s" % (ex, fw)), "demo title %r" % title)
        check(body == SEED_OUTPUT, "demo %s %s output %r" % (ex, fw, body))
    rc, out, err = run(["diff", "--dtype", "float64", "[-1.5, 3.0, -0.1, 0.0]"])
    t = out.decode()
    check(rc == 1 and "4 elements: 2 differ" in t and "ULP" in t, "diff report: %s" % t)
    check("(0,)" in t and "0xbfd3333333333334" in t and "0xbfd3333338000000" in t,
          "diff lists index and bit patterns: %s" % t)
    rc, out, err = run(["diff", "[-1.5, 3.0, -0.1]"])
    check(rc == 0 and "3 elements: 0 differ" in out.decode(), "diff float32 agrees: %s" % out)
    rc, out, err = run(["diff", "--from", "torch", "--to", "onnx", "--alpha", "-0.5",
                        "[0.0, 1.0, -2.0]"])
    check(rc == 1 and "torch vs onnx" in out.decode() and "1 differ" in out.decode(),
          "diff torch vs onnx on +0.0, slope < 0: %s" % out)
    p = save("d.npy", np.array([[-1.5, 2.0], [-0.1, -3.0]], ">f8", order="F"))
    rc, out, err = run(["diff", p])
    check(rc == 1 and "(1, 0)" in out.decode(), "diff file index in Fortran order: %s" % out)
    rc, out, err = run(["--help"])
    check(rc == 0 and b"usage: lrelu" in out and b"--negative-slope" in out, "help")
    rc, out, err = run(["--version"])
    check(rc == 0 and out.startswith(b"lrelu "), "version")


def test_corpus():
    """The kept fuzz corpus through the whole command: a clean exit status, never a crash,
    and an error is one line."""
    root = os.path.join(HERE, "..", "..", "fuzz", "corpus")
    for sub in ("npy", "literal"):
        d = os.path.join(root, sub)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            with open(os.path.join(d, name), "rb") as f:
                data = f.read()
            if sub == "npy":
                rc, out, err = run(["-"], stdin=data)
            else:
                if b"\0" in data:
                    continue
                rc, out, err = run(["--", data.decode("latin1")])
            ok = rc == 0 or (rc in (1, 2) and len(err.strip().splitlines()) == 1)
            check(ok, "corpus %s/%s: exit %d %r" % (sub, name, rc, err[-300:]))


def test_jax_ort():
    """-f jax and -f onnxruntime (alias ort): bits against the formulas read from their
    source, their parameter names, ONNX Runtime's float32-only kernel, gradients."""
    rng = np.random.default_rng(16)
    x32 = (rng.standard_normal(2000) * 10).astype(np.float32)
    x32[:8] = [0.0, -0.0, np.inf, -np.inf, np.nan, -1e-45, 1e-45, -np.nan]
    o = path("jo_out.npy")
    for dt in (np.float32, np.float64, np.float16):
        p = save("jo.npy", x32.astype(dt))
        x = np.load(p)
        for args, slope in (([], 0.01), (["--negative-slope", "-0.5"], -0.5),
                            (["--negative-slope", "1.5"], 1.5), (["--negative-slope", "0.1"], 0.1)):
            rc, out, err = run(["-f", "jax"] + args + [p, o])
            with np.errstate(all="ignore"):
                want = jax_forward(x, slope)
            y = np.load(o) if rc == 0 else None
            nan = np.isnan(want)
            check(rc == 0 and np.array_equal(np.isnan(y), nan) and bits_equal(y[~nan], want[~nan]),
                  "jax %s %s: rc %d %s" % (dt.__name__, args, rc, err))
            rc, out, err = run(["-f", "onnxruntime"] + [a.replace("negative-slope", "alpha") for a in args] + [p, o])
            if dt == np.float32:
                y = np.load(o) if rc == 0 else None
                check(rc == 0 and np.array_equal(np.isnan(y), nan) and bits_equal(y[~nan], want[~nan]),
                      "onnxruntime float32 %s: rc %d %s" % (args, rc, err))
            else:
                check(rc == 1 and "registered for tensor(float) only: for %s" % np.dtype(dt).name in err
                      and len(err.strip().splitlines()) == 1, "onnxruntime %s refused: %d %s" % (dt.__name__, rc, err))
    # -0.0 kept with a negative slope, where PyTorch's x > 0 gives +0.0
    rc, out, err = run(["-f", "jax", "--negative-slope", "-0.5", "--bits", "[-0.0, -2.0]"])
    check(rc == 0 and out.decode().split() == ["[0x80000000", "0x3f800000]"], "jax -0.0 bits: %r %s" % (out, err))
    rc, out, err = run(["--negative-slope", "-0.5", "--bits", "[-0.0]"])
    check(rc == 0 and out.decode().split() == ["[0x00000000]"], "torch -0.0 bits: %r" % out)
    # a signalling NaN: JAX/ORT multiply it (quieted), ONNX's x < 0 keeps it
    snan = save("snan.npy", np.array([0x7F800001, 0xFF800123], dtype=np.uint32).view(np.float32))
    for fw, want in (("jax", [0x7FC00001, 0xFFC00123]), ("ort", [0x7FC00001, 0xFFC00123]),
                     ("onnx", [0x7F800001, 0xFF800123])):
        rc, out, err = run(["-f", fw, snan, o])
        check(rc == 0 and np.load(o).view(np.uint32).tolist() == want, "%s sNaN: %s" % (fw, err))
    # the alias, the parameter names, the defaults (both 0.01)
    lit = "[-2.0, -0.0, 3.0]"
    for args in ([], ["--alpha", "0.3"]):
        want = run(["-f", "onnxruntime"] + args + [lit])
        check(want[0] == 0 and run(["-f", "ort"] + args + [lit]) == want, "-f ort %s" % args)
    check(run(["-f", "jax", lit])[1] == run(["-f", "torch", lit])[1] == b"[-0.02 -0.    3.  ]\n"
          and run(["-f", "ort", lit])[1] == b"[-0.02 -0.    3.  ]\n", "defaults 0.01: %r" % (run(["-f", "jax", lit]),))
    expect_error(["-f", "jax", "--alpha", "0.2", lit], 2, ["--alpha is not a JAX parameter"], "jax --alpha")
    expect_error(["-f", "ort", "--negative-slope", "0.2", lit], 2, ["ONNX Runtime calls it alpha"], "ort --negative-slope")
    expect_error(["-f", "jax", "--inplace", lit], 2, ["JAX's LeakyReLU has no in-place form"], "jax --inplace")
    expect_error(["-f", "onnxruntime", "--grad", "[1.0, 1.0, 1.0]", lit], 1, ["inference kernel"], "ort --grad")
    expect_error(["-f", "JAX", lit], 2, ["'JAX' is not one of torch, mindspore, onnx, tensorflow, jax, onnxruntime"],
                 "JAX upper case")
    # JAX's gradient: x >= 0 ? g : s*g, so 1 at +-0 (PyTorch: the slope)
    rc, out, err = run(["-f", "jax", "--negative-slope", "0.25", "--grad", "[4.0, 4.0, 4.0, 4.0]",
                        "[0.0, -0.0, -1.0, nan]"])
    check(rc == 0 and out == b"[4. 4. 1. 1.]\n", "jax gradient: %r %s" % (out, err))
    rc, out, err = run(["--negative-slope", "0.25", "--grad", "[4.0, 4.0]", "[0.0, -0.0]"])
    check(rc == 0 and out == b"[1. 1.]\n", "torch gradient at 0: %r" % out)
    # diff knows them; --help names them
    rc, out, err = run(["diff", "--from", "torch", "--to", "jax", "--negative-slope", "-0.5", "[-0.0, 1.0, -2.0]"])
    check(rc == 1 and out.decode().startswith("torch vs jax, slope -0.5, float32, 3 elements: 1 differ"),
          "diff torch jax: %r %s" % (out, err))
    rc, out, err = run(["diff", "--from", "onnx", "--to", "ort", snan])
    check(rc == 1 and b"2 differ" in out.split(b"\n")[0], "diff onnx ort on sNaN: %r %s" % (out, err))
    rc, out, err = run(["--help"])
    check(rc == 0 and b"torch|mindspore|onnx|tensorflow|jax|onnxruntime" in out, "--help lists jax, onnxruntime")


def test_threads():
    """--threads N reaches the library's pool: after the first 4 MiB chunk is computed
    (its result read back while the rest of the input is still held back) the process
    has N threads, the caller and N - 1 workers; with --threads 1 (the default) only
    its own.  Seen in /proc (Linux), not timed."""
    if not os.path.isdir("/proc/self/task"):
        print("cli: threads: no /proc/self/task here; skipped")
        return
    import threading
    x = np.linspace(-1, 1, 3 << 20, dtype=np.float32)  # three 4 MiB chunks
    buf = io.BytesIO()
    np.save(buf, x)
    data = buf.getvalue()
    hdr = len(data) - x.nbytes
    first = hdr + (4 << 20)
    want = data[:hdr] + np.where(x > 0, x, x * np.float32(0.01)).astype(np.float32).tobytes()
    for t, args in ((1, []), (1, ["--threads", "1"]), (2, ["--threads", "2"]),
                    (3, ["--threads", "3"])):
        p = subprocess.Popen([LRELU] + args + ["-", "-"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, bufsize=0)
        feeder = threading.Thread(target=p.stdin.write, args=(data[:first],))
        feeder.start()
        out = b""
        while len(out) < first:
            b = p.stdout.read(1 << 16)
            if not b:
                break
            out += b
        tasks = len(os.listdir("/proc/%d/task" % p.pid))
        feeder.join()
        rest, _ = p.communicate(data[first:], timeout=120)
        out += rest
        rc = p.returncode
        check(rc == 0 and tasks == t and out == want,
              "%s: rc %d, %d thread(s) after the first chunk (want %d), output %s" %
              (" ".join(args) or "no --threads", rc, tasks, t,
               "right" if out == want else "wrong"))


def main():
    try:
        test_printing()
        test_roundtrips()
        test_grad()
        test_quantized()
        test_inplace()
        test_signal()
        test_errors()
        test_threads()
        test_demo_diff_help()
        test_jax_ort()
        test_corpus()
    finally:
        subprocess.run(["rm", "-rf", TMP])
    return checks.summary("cli")


if __name__ == "__main__":
    sys.exit(main())

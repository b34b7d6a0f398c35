#!/usr/bin/python3
# test_edges.py - the lrelu command's edges: print options against NumPy, --bits,
# --from-result against PyTorch, slopes read as Python's float(), names checked before
# the work, signals (inherited ignored ones, every terminating one, SIGKILL and the
# unnamed output file), memory on a pipe, standard input not at offset 0, --help and
# the manual page.
# Usage: test_edges.py path/to/lrelu path/to/lrelu-knobs
#   lrelu-knobs: the command built with LRELU_TEST_KNOBS (LRELU_TEST_NO_TMPFILE=1 takes
#   the named temporary file path where the file system has O_TMPFILE).
import io
import os
import re
import resource
import signal
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
except ImportError:  # the checks that need it count as failed
    torch = None

LRELU = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/lrelu")
KNOBS = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "build/tests/lrelu-knobs")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ASAN = bool(os.environ.get("LRELU_TEST_ASAN"))
TMP = tempfile.mkdtemp(prefix="lrelu-edges-test-")


def run(args, stdin=None, exe=None, env=None):
    p = subprocess.run([exe or LRELU] + list(args), input=stdin, capture_output=True,
                       env=env)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def path(name):
    return os.path.join(TMP, name)


def save(name, a):
    np.save(path(name), a, allow_pickle=False)
    return path(name)


def npy_bytes(a):
    b = io.BytesIO()
    np.save(b, a, allow_pickle=False)
    return b.getvalue()


def listing(d=TMP):
    return sorted(os.listdir(d))


def bits_equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype.itemsize != b.dtype.itemsize:
        return False
    u = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize]
    return np.array_equal(np.ascontiguousarray(a).view(u), np.ascontiguousarray(b).view(u))


def bf16_values(u):
    """bfloat16 bit patterns (uint16) as the float32 values they hold."""
    return (np.asarray(u).astype(np.uint32) << 16).view(np.float32)


# ---- printing options against NumPy ----------------------------------------------------

def numpy_print(a, precision=8, threshold=1000, bits=False):
    """What the command prints for the array a (the result, as np.load gives it)."""
    old = np.get_printoptions()
    try:
        if bits:
            u = a.view({1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize])
            w = 2 * a.dtype.itemsize
            return np.array2string(u, threshold=threshold,
                                   formatter={"int": lambda v: "0x%0*x" % (w, v)}) + "\n"
        np.set_printoptions(precision=precision, threshold=threshold)
        return str(a) + "\n"
    finally:
        np.set_printoptions(**old)


def print_arrays(rng):
    """(name, array, extra command options, how np.load's result maps to what prints)."""
    specials = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.1, 1e-5, 1e8, 65504,
                3.14159, 0.5, 100.0, 1234.5, 0.0001, 2.5, 0.125, 1 / 3]
    out = []
    with np.errstate(all="ignore"):
        for dt in (np.float32, np.float64, np.float16):
            out.append(("specials", np.array(specials, dt)))
            out.append(("normal", (rng.standard_normal((5, 7)) * 3).astype(dt)))
            out.append(("wide", (rng.standard_normal((4, 6)) * 10.0 ** rng.integers(-6, 9, (4, 6))).astype(dt)))
            out.append(("halves", (np.arange(-8, 8) / 4 + 0.125).astype(dt)))
            out.append(("0-d", np.array(-2.675, dt)))
            out.append(("empty", np.zeros((2, 0), dt)))
    return out


def test_print_options():
    rng = np.random.default_rng(13)
    cases = print_arrays(rng)
    q = np.arange(-60, 60, dtype=np.int8).reshape(8, 15)
    for name, a in cases:
        p = save("po.npy", a)
        o = path("po_out.npy")
        rc, _, err = run([p, o])
        if rc != 0:
            check(False, "forward %s %s: %s" % (name, a.dtype, err))
            continue
        r = np.load(o)
        for prec in range(0, 18):
            rc, out, err = run(["--precision", str(prec), p])
            want = numpy_print(r, precision=prec)
            check(rc == 0 and out.decode() == want,
                  "--precision %d %s %s:\n%s\nwant\n%s" % (prec, name, a.dtype, out.decode(), want))
    # bfloat16: prints as the float32 array of its values.
    u = (np.array([-3.0, -1.0, -0.0, 0.1, 1.5, 3.25, 1e-5, 1e8, np.inf, np.nan], np.float32)
         .view(np.uint32) >> 16).astype(np.uint16)
    p = save("pb.npy", u)
    rc, _, err = run(["--dtype", "bfloat16", p, path("pb_out.npy")])
    r = np.load(path("pb_out.npy"))
    for prec in (0, 1, 3, 8, 17):
        rc, out, err = run(["--dtype", "bfloat16", "--precision", str(prec), p])
        check(rc == 0 and out.decode() == numpy_print(bf16_values(r), precision=prec),
              "bfloat16 --precision %d: %r" % (prec, out))
    # Precision past any float's digits: NumPy still pads to the longest shortest form.
    a = np.array([1 / 3, -2 / 3, 1e-3], np.float64)
    p = save("pl.npy", a)
    run([p, path("pl_out.npy")])
    r = np.load(path("pl_out.npy"))
    for prec in (17, 18, 1000000):
        rc, out, err = run(["--precision", str(prec), p])
        check(rc == 0 and out.decode() == numpy_print(r, precision=prec),
              "--precision %d: %r" % (prec, out))

    # Thresholds around the size (56 elements), every dtype.
    base = rng.standard_normal((7, 8)) * 4
    for dt in (np.float32, np.float64, np.float16):
        p = save("pt.npy", base.astype(dt))
        run([p, path("pt_out.npy")])
        r = np.load(path("pt_out.npy"))
        for th in (0, 1, 55, 56, 57, 1000):
            rc, out, err = run(["--threshold", str(th), p])
            want = numpy_print(r, threshold=th)
            check(rc == 0 and out.decode() == want, "--threshold %d %s:\n%s\nwant\n%s"
                  % (th, r.dtype, out.decode(), want))
        rc, out, _ = run(["--threshold", "all", p])
        check(out.decode() == numpy_print(r, threshold=sys.maxsize), "--threshold all %s" % dt)
    # Quantized codes (int8), thresholds around 120 elements.
    p = save("pq.npy", q)
    qo = ["--scale", "0.5", "--zero-point", "0"]
    run(qo + [p, path("pq_out.npy")])
    r = np.load(path("pq_out.npy"))
    for th in (119, 120, 121):
        rc, out, err = run(qo + ["--threshold", str(th), p])
        check(rc == 0 and out.decode() == numpy_print(r, threshold=th), "int8 --threshold %d" % th)
    # A large array printed whole (threshold=sys.maxsize): 3000 elements, Fortran order.
    big = np.asfortranarray((rng.standard_normal((30, 100)) * 100).astype(np.float32))
    p = save("pbig.npy", big)
    run([p, path("pbig_out.npy")])
    r = np.load(path("pbig_out.npy"))
    for th in ("all", "2999", "3000"):
        rc, out, err = run(["--threshold", th, p])
        want = numpy_print(r, threshold=sys.maxsize if th == "all" else int(th))
        check(rc == 0 and out.decode() == want, "Fortran order --threshold %s" % th)

    # --bits: every dtype, summarised or not, 0-d, empty.
    for name, a in cases:
        p = save("pbits.npy", a)
        run([p, path("pbits_out.npy")])
        r = np.load(path("pbits_out.npy"))
        rc, out, err = run(["--bits", p])
        want = numpy_print(r, bits=True)
        check(rc == 0 and out.decode() == want,
              "--bits %s %s:\n%s\nwant\n%s" % (name, a.dtype, out.decode(), want))
    for th in (55, 56):
        p = save("pt.npy", base.astype(np.float64))
        run([p, path("pt_out.npy")])
        r = np.load(path("pt_out.npy"))
        rc, out, _ = run(["--bits", "--threshold", str(th), p])
        check(out.decode() == numpy_print(r, threshold=th, bits=True), "--bits --threshold %d" % th)
    rc, out, _ = run(["--bits", "--dtype", "bfloat16", path("pb.npy")])
    r = np.load(path("pb_out.npy"))
    check(rc == 0 and out.decode() == numpy_print(r, bits=True), "--bits bfloat16: %r" % out)
    rc, out, _ = run(qo + ["--bits", path("pq.npy")])
    r = np.load(path("pq_out.npy"))
    check(rc == 0 and out.decode() == numpy_print(r, bits=True), "--bits int8")
    rc, out, _ = run(["--bits", "--negative-slope", "0.1", "[-1.0, 2.0, nan]"])
    check(out == b"[0xbdcccccd 0x40000000 0x7fc00000]\n", "--bits literal: %r" % out)

    # Errors: each option's range, both sides; printing options with OUTPUT.
    for args, code in [(["--precision", "0"], 0), (["--precision", "-1"], 2),
                       (["--precision", "1000001"], 2), (["--precision", "x"], 2),
                       (["--precision", "1.5"], 2), (["--threshold", "0"], 0),
                       (["--threshold", "-1"], 2), (["--threshold", "ALL"], 2),
                       (["--threshold", "9223372036854775807"], 0),
                       (["--threshold", "9223372036854775808"], 2),
                       (["--bits"], 0), (["--bits=1"], 2), (["--precision"], 2)]:
        rc, out, err = run(args + ["[1.0, -2.0]"])
        check(rc == code, "%s: exit %d, want %d (%s)" % (args, rc, code, err))
    p = save("pe.npy", np.ones(3, np.float32))
    for opt in (["--precision", "3"], ["--threshold", "5"], ["--bits"]):
        rc, out, err = run(opt + [p, path("pe_out.npy")])
        check(rc == 2 and "printing" in err and not os.path.exists(path("pe_out.npy")),
              "%s with OUTPUT refused: %d %s" % (opt, rc, err))
        rc, out, err = run(["diff"] + opt + [p])
        check(rc == 2 and "not an option of lrelu diff" in err, "diff %s refused" % opt)


# ---- --inplace with --grad, --from-result -------------------------------------------------

def torch_grad_after_inplace(x, g, slope):
    """dL/dx of LeakyReLU(slope, inplace=True) on a copy of x, and its result; or the
    RuntimeError's message."""
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    y = xt.clone()
    try:
        z = torch.nn.LeakyReLU(slope, inplace=True)(y)
        z.backward(torch.from_numpy(g.copy()))
    except RuntimeError as e:
        return None, None, str(e)
    return z.detach().numpy(), xt.grad.numpy(), None


def test_from_result():
    x = np.array([-3.0, -1.0, -0.0, 0.0, 1e-30, 2.0, -np.inf, np.inf, np.nan, -1e-40], np.float32)
    g = np.array([1.0, -2.0, 3.0, 0.5, 1.0, 7.0, 1.0, 1.0, 1.0, 4.0], np.float32)
    # --inplace with --grad: refused, INPUT untouched (it printed [-0.1 1.] before).
    p = save("ig.npy", x)
    before = open(p, "rb").read()
    rc, out, err = run(["--grad", save("igg.npy", g), "--inplace", p])
    check(rc == 2 and "--inplace with --grad" in err and open(p, "rb").read() == before,
          "--inplace --grad refused: %d %s" % (rc, err))
    rc, out, err = run(["--grad", "[1.0,1.0]", "--inplace", "--negative-slope", "-0.1",
                        "[-1.0, 2.0]"])
    check(rc == 2 and out == b"", "--inplace --grad literal refused: %d %r" % (rc, out))
    rc, out, err = run(["--grad", "[1.0,1.0]", "[-1.0, 2.0]"])
    check(rc == 0, "--grad without --inplace still works")
    if torch is None:
        check(False, "torch missing: --from-result not checked against PyTorch")
        return
    for dt in (np.float32, np.float64):
        for slope in (0.0, -0.0, 0.01, 0.2, 1.0, 3.5, -0.1, -1e-300, float("nan")):
            xs, gs = x.astype(dt), g.astype(dt)
            y, want, msg = torch_grad_after_inplace(xs, gs, slope)
            yin = y if y is not None else xs
            rc, out, err = run(["--grad", save("fr_g.npy", gs), "--from-result",
                                "--negative-slope", repr(slope), save("fr_y.npy", yin),
                                path("fr_out.npy")])
            if msg is None:
                ok = rc == 0 and bits_equal(np.load(path("fr_out.npy")), want)
                check(ok, "--from-result %s slope %r: %d %s" % (dt.__name__, slope, rc, err))
            else:
                # PyTorch's message, whole (the library adds the slope after it).
                check(rc == 2 and msg in err and not os.path.exists(path("fr_out.npy")),
                      "--from-result %s slope %r refused as PyTorch: %d %s / %s"
                      % (dt.__name__, slope, rc, err, msg))
            if os.path.exists(path("fr_out.npy")):
                os.unlink(path("fr_out.npy"))
    # Without --from-result the saved tensor is the input: different at x < 0.
    y, want, _ = torch_grad_after_inplace(x, g, 0.2)
    rc, out, err = run(["--grad", save("fr_g.npy", g), "--negative-slope", "0.2",
                        save("fr_x.npy", x), path("fr_out.npy")])
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    F.leaky_relu(xt, 0.2).backward(torch.from_numpy(g.copy()))
    check(rc == 0 and bits_equal(np.load(path("fr_out.npy")), xt.grad.numpy()),
          "--grad from the input is PyTorch's out-of-place backward")
    for args, what in [(["--from-result", "[1.0]"], "needs --grad"),
                       (["-f", "mindspore", "--grad", "[1.0]", "--from-result", "[1.0]"],
                        "no in-place forward"),
                       (["--from-result=1", "--grad", "[1.0]", "[1.0]"], "takes no value")]:
        rc, out, err = run(args)
        check(rc == 2 and what in err, "%s: %d %s" % (args, rc, err))


# ---- slopes read as Python's float(), other messages --------------------------------------

def test_messages():
    x = np.array([-2.0, -0.0, 3.0], np.float32)
    p = save("m.npy", x)
    for text in ["1e400", "-1e400", "1e39", "inf", "-Infinity", "1e-400", "0.5 ", " 0.5",
                 "\t0.5\n", " 0.5 ", "0.5 x", "0x1p-1", "", " ", "nan", "+1.", ".5",
                 "1e", "1_0", "0.5\x00"[:-1] + "\v"]:
        try:
            v = float(text)
        except ValueError:
            v = None
        if "_" in text:
            v = None  # digit separators: literals have none, and neither do slopes
        rc, out, err = run(["--negative-slope", text, p, path("m_out.npy")])
        if v is None:
            check(rc == 2 and "is not a number" in err, "slope %r refused: %d %s" % (text, rc, err))
            continue
        if torch is None:
            check(False, "torch missing")
            continue
        for dt in (np.float64, np.float32):
            xd = x.astype(dt)
            rc, out, err = run(["--negative-slope", text, save("m.npy", xd), path("m_out.npy")])
            try:
                want = F.leaky_relu(torch.from_numpy(xd), v).numpy()
            except RuntimeError as e:  # a float32 slope out of float32's range
                check(rc == 1 and str(e) in err, "slope %r refused as PyTorch: %d %s"
                      % (text, rc, err))
                continue
            check(rc == 0 and bits_equal(np.load(path("m_out.npy")), want),
                  "slope %r as float() reads it, %s: %d %s" % (text, dt.__name__, rc, err))
    # --threads: the range stated is the range accepted.
    for n, code in [("0", 0), ("1024", 0), ("1025", 2), ("-1", 2)]:
        rc, out, err = run(["--threads", n, "[1.0]"])
        check(rc == code, "--threads %s: exit %d %s" % (n, rc, err))
        if code:
            check("[0, 1024]" in err, "--threads range stated: %s" % err)
    # lrelu diff: int8 data is refused as diff's own limit (not by asking for --scale,
    # which diff does not take); a NaN slope given twice is one slope.
    q = save("q.npy", np.array([1, -2], np.int8))
    rc, out, err = run(["diff", q])
    check(rc == 2 and "compares float results" in err and "--scale" not in err, "diff int8: %d %s" % (rc, err))
    rc, out, err = run(["--scale", "0.5", "--zero-point", "0", q])
    check(rc == 0, "the main command still takes int8 with --scale: %s" % err)
    rc, out, err = run(["diff", "--negative-slope", "nan", "--alpha", "nan", "[-1.0, 0.0, 2.0]"])
    check(rc in (0, 1) and err == "", "diff nan nan is one slope: %d %s" % (rc, err))
    # Empty names: usage errors, nothing written.
    before = listing()
    for args, what in [([""], "INPUT is an empty name"), (["diff", ""], "INPUT is an empty name"),
                       ([p, ""], "OUTPUT is an empty name"),
                       (["--grad", "", p], "GRAD is an empty name"),
                       (["--grad=", p, path("e_out.npy")], "GRAD is an empty name")]:
        rc, out, err = run(args)
        check(rc == 2 and what in err and listing() == before, "%s: %d %s" % (args, rc, err))


# ---- OUTPUT names checked before the work ---------------------------------------------------

def stalled(args, exe=None):
    """Runs with standard input a pipe that gives a header and no data, left open: a
    command that checks its OUTPUT first exits without waiting for the data."""
    hdr = npy_bytes(np.zeros(1 << 20, np.float32))[:128]
    p = subprocess.Popen([exe or LRELU] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdin.write(hdr)
    p.stdin.flush()
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass
    rc = p.poll()
    p.kill()
    p.wait()
    err = p.stderr.read().decode(errors="replace")
    for f in (p.stdin, p.stdout, p.stderr):
        f.close()
    return rc, err


def test_output_names():
    name_max = os.pathconf(TMP, "PC_NAME_MAX")
    p = save("n.npy", np.array([-1.0, 2.0], np.float32))
    before = listing()
    for args, code, what in [
            ([path("n" * (name_max - 4) + ".npy")], 0, ""),
            ([path("n" * (name_max - 3) + ".npy")], 1, "file name too long"),
            ([path("nodir/o.npy")], 1, "No such file"),
            ([path("n.npy") + "/o.npy"], 1, "not a directory"),
            ([path("o.npy") + "/"], 1, "names a directory")]:
        rc, out, err = run([p] + args)
        check(rc == code and what in err, "OUTPUT %s: %d %s" % (args[0][-20:], rc, err))
        if code == 0:
            os.unlink(args[0])
        check(listing() == before, "nothing left: %s" % listing())
    # Found before the data is read: exits while standard input is still open.
    for out, what in [(path("n" * (name_max - 3) + ".npy"), "too long"),
                      (path("nodir/o.npy"), "No such file")]:
        rc, err = stalled(["-", out])
        check(rc == 1 and what in err, "%s found before the work: %s %s" % (what, rc, err))
    rc, err = stalled(["-", path("fine.npy")])
    check(rc is None, "a good OUTPUT waits for the data: %s %s" % (rc, err))
    check(listing() == before, "nothing left after the stalled runs: %s" % listing())


# ---- signals -----------------------------------------------------------------------------

CHUNK = 4 << 20
BIG = np.arange(3 * CHUNK // 4, dtype=np.float32) - 1e6  # three chunks


def no_core():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def start_stream(out, exe, ignore=(), env=None):
    """Starts `lrelu - OUT` fed more than one chunk of BIG; returns once the output file
    is open with the first chunk written (or after 20 s)."""
    def pre():
        no_core()
        for s in ignore:
            signal.signal(s, signal.SIG_IGN)
    data = npy_bytes(BIG)
    p = subprocess.Popen([exe, "-", out], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, preexec_fn=pre, env=env)
    p.stdin.write(data[: len(data) // 2])
    p.stdin.flush()
    d = os.path.dirname(out)
    fds = "/proc/%d/fd" % p.pid
    for _ in range(2000):
        try:
            for f in os.listdir(fds):
                link = os.readlink(os.path.join(fds, f))
                if link.startswith(d + "/") and os.stat(os.path.join(fds, f)).st_size >= CHUNK:
                    return p, data, link
        except OSError:
            pass
        time.sleep(0.01)
    return p, data, None


def finish(p, data=None):
    try:
        if data is not None:
            p.stdin.write(data[len(data) // 2:])
        p.stdin.close()
    except BrokenPipeError:
        pass
    p.wait()
    err = p.stderr.read().decode(errors="replace")
    p.stdout.close()
    p.stderr.close()
    return p.returncode, err


def test_signals():
    d = path("sig")
    os.mkdir(d)
    out = os.path.join(d, "out.npy")
    named = dict(os.environ, LRELU_TEST_NO_TMPFILE="1")
    want = np.where(BIG > 0, BIG, BIG * np.float32(0.01))
    # SIGKILL while writing: the unnamed file leaves nothing; the named fallback leaves
    # its temporary file (the window O_TMPFILE closes), which shows the check can fail.
    p, data, link = start_stream(out, LRELU)
    check(link is not None and "(deleted)" in link, "O_TMPFILE output file: %s" % link)
    p.kill()
    rc, _ = finish(p)
    check(rc == -9 and listing(d) == [], "SIGKILL on the unnamed file leaves nothing: %s %s"
          % (rc, listing(d)))
    p, data, link = start_stream(out, KNOBS, env=named)
    check(link is not None and "/.out.npy.lrelu-" in link, "named fallback: %s" % link)
    p.kill()
    finish(p)
    left = listing(d)
    check(len(left) == 1 and left[0].startswith(".out.npy.lrelu-"),
          "SIGKILL on the named fallback leaves its temporary file: %s" % left)
    for f in left:
        os.unlink(os.path.join(d, f))
    # Every terminating signal removes the named temporary file and kills with itself.
    sigs = [signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGUSR1,
            signal.SIGUSR2, signal.SIGALRM, signal.SIGVTALRM, signal.SIGPROF, signal.SIGXCPU,
            signal.SIGPWR, signal.SIGRTMIN, signal.SIGRTMAX]
    for s in sigs:
        for exe, env, how in ((KNOBS, named, "named"), (LRELU, None, "unnamed")):
            p, data, link = start_stream(out, exe, env=env)
            p.send_signal(s)
            rc, err = finish(p)
            check(rc == -s and listing(d) == [], "%s (%s): exit %s, left %s %s"
                  % (signal.Signals(s).name, how, rc, listing(d), err[-200:]))
            for f in listing(d):
                os.unlink(os.path.join(d, f))
    # The temporary name is recorded for cleanup only once the file is ours: a name
    # taken by another file, and a signal while we try it, leave that file alone.
    other = os.path.join(d, ".out.npy.lrelu-000000000000")
    open(other, "w").write("someone else's")
    taken = dict(named, LRELU_TEST_TMP_NAME=os.path.basename(other))
    rc, _, err = run(["[1.0]", out], exe=KNOBS, env=dict(taken, LRELU_TEST_SIGNAL_IN_CREATE="1"))
    check(rc == -signal.SIGTERM and os.path.exists(other) and open(other).read() == "someone else's",
          "a signal while creating the temporary file: %s %s" % (rc, listing(d)))
    rc, _, err = run(["[1.0]", out], exe=KNOBS, env=taken)
    check(rc == 1 and "File exists" in err and listing(d) == [os.path.basename(other)],
          "a taken temporary name: %s %s" % (rc, err))
    if os.path.exists(other):
        os.unlink(other)
    rc, _, err = run(["[1.0]", out], exe=KNOBS, env=taken)
    check(rc == 0 and listing(d) == ["out.npy"], "the name once free: %s %s" % (rc, err))
    for f in listing(d):
        os.unlink(os.path.join(d, f))
    # Signals ignored at start stay ignored (nohup, a script's background job): the run
    # completes; not ignored, the same signal ends it.
    for s in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGUSR1):
        for exe, env in ((LRELU, None), (KNOBS, named)):
            p, data, link = start_stream(out, exe, ignore=(s,), env=env)
            p.send_signal(s)
            time.sleep(0.05)
            rc, err = finish(p, data)
            ok = rc == 0 and os.path.exists(out) and bits_equal(np.load(out), want)
            check(ok and listing(d) == ["out.npy"], "%s ignored at start: exit %s %s %s"
                  % (signal.Signals(s).name, rc, listing(d), err[-200:]))
            if os.path.exists(out):
                os.unlink(out)
    r = subprocess.run("nohup %s - %s < %s >/dev/null 2>&1 & pid=$!; sleep 0.2; kill -HUP $pid; "
                       "wait $pid; echo $?" % (LRELU, out, save("nh.npy", BIG[:1000])),
                       shell=True, capture_output=True, cwd=d)
    check(r.stdout.strip() == b"0", "nohup lrelu survives SIGHUP: %r" % r.stdout)
    for f in listing(d):
        os.unlink(os.path.join(d, f))


# ---- memory on a pipe; standard input not at offset 0 ---------------------------------------

RSS_WRAP = r"""
import resource, subprocess, sys
data = sys.stdin.buffer.read()
p = subprocess.run(sys.argv[1:], input=data, capture_output=True)
sys.stdout.write("%d %d\n" % (p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
"""


def peak_rss_kib(args, stdin):
    r = subprocess.run([sys.executable, "-c", RSS_WRAP, LRELU] + args, input=stdin,
                       capture_output=True)
    rc, kib = r.stdout.split()
    return int(rc), int(kib)


def test_pipe_memory():
    # A header that announces 4^12 float32 elements (64 MiB), all of which print()
    # would show: the memory must follow the data that arrives.
    a = np.lib.format.header_data_from_array_1_0(np.zeros(1, np.float32))
    a["shape"] = (4,) * 12
    b = io.BytesIO()
    np.lib.format.write_array_header_1_0(b, a)
    hdr = b.getvalue()
    check(len(hdr) == 128, "header is 128 bytes")
    rc0, none = peak_rss_kib(["-"], hdr)
    check(rc0 == 1, "truncated pipe refused: %d" % rc0)
    part = hdr + np.ones(12 << 20 >> 2, np.float32).tobytes()  # 12 MiB of the 64
    rc1, some = peak_rss_kib(["-"], part)
    check(rc1 == 1, "truncated pipe refused: %d" % rc1)
    # Bounds: the chunk buffers and the program (more under ASan), never the 64 MiB the
    # header announces; and the 12 MiB that arrived are kept (they are all shown).
    limit = 160 << 10 if ASAN else 48 << 10
    check(none < limit, "peak RSS with the header only: %d KiB (limit %d)" % (none, limit))
    check(some > none + (8 << 10), "memory follows the data: %d KiB vs %d KiB" % (some, none))
    # A file says the same, checked against its size first.
    p = path("hdr.npy")
    open(p, "wb").write(hdr)
    rc, out, err = run([p])
    check(rc == 1 and "truncated data" in err, "file with the header only: %s" % err)


def test_stdin_offset():
    a1 = np.array([1.0, -2.0], np.float32)
    a2 = np.array([[-4.0, 8.0, -16.0]], np.float64)
    both = npy_bytes(a1) + npy_bytes(a2)
    n1 = len(npy_bytes(a1))
    p = path("two.npy")
    open(p, "wb").write(both)
    want = np.where(a2 > 0, a2, a2 * 0.01)
    for skip, code in [(n1, 0), (n1 - 1, 1), (n1 + 1, 1), (0, 1)]:
        r = subprocess.run("{ head -c %d >/dev/null; %s - -; } < %s" % (skip, LRELU, p),
                           shell=True, capture_output=True)
        if code == 0:
            ok = r.returncode == 0 and bits_equal(np.load(io.BytesIO(r.stdout)), want)
            check(ok, "stdin at offset %d: %d %r" % (skip, r.returncode, r.stderr))
        else:
            check(r.returncode == code, "stdin at offset %d refused: %d" % (skip, r.returncode))
    # The first array alone, standard input at offset 0 of a file that holds only it.
    open(path("one.npy"), "wb").write(npy_bytes(a1))
    r = subprocess.run("%s - - < %s" % (LRELU, path("one.npy")), shell=True, capture_output=True)
    check(r.returncode == 0 and bits_equal(np.load(io.BytesIO(r.stdout)),
                                           np.where(a1 > 0, a1, a1 * np.float32(0.01))),
          "stdin at offset 0")


# ---- --help and the manual page -------------------------------------------------------

MAIN_OPTS = ["--framework", "--negative-slope", "--alpha", "--inplace", "--dtype", "--grad",
             "--from-result", "--threads", "--scale", "--zero-point", "--out-scale",
             "--out-zero-point", "--precision", "--threshold", "--bits", "--help", "--version"]
DIFF_OPTS = ["--from", "--to", "--negative-slope", "--alpha", "--dtype", "--threads",
             "--from-slope", "--to-slope", "--grad", "--input", "--mask"]
DIFF_FLAGS = ["--json", "--all"]


def test_help_man():
    rc, out, err = run(["--help"])
    text = out.decode()
    check(rc == 0, "--help exit 0")
    for o in MAIN_OPTS:
        check(o in text, "--help lists %s" % o)
    diff_part = text[text.index("lrelu diff compares"):]
    for o in DIFF_OPTS:
        check(o in diff_part, "--help lists diff's %s" % o)
        if o == "--mask":  # any name is a good value: write it where the test's files go
            rc, out, err = run(["diff", o + "=" + path("help_mask.npy"), "[1.0]"])
            check(rc in (0, 1) and err == "", "diff accepts %s: %s" % (o, err))
            continue
        rc, out, err = run(["diff", o + "=x", "[1.0]"])
        check(rc == 2 and "option" not in err, "diff accepts %s: %s" % (o, err))
    for o in DIFF_FLAGS:
        check(o in diff_part, "--help lists diff's %s" % o)
        rc, out, err = run(["diff", o, "[1.0]"])
        check(rc == 0 and err == "", "diff accepts %s: %d %s" % (o, rc, err))
        rc, out, err = run([o, "[1.0]"])
        check(rc == 2 and "belongs to lrelu diff" in err and "--framework" not in err,
              "the main command names %s as diff's: %s" % (o, err))
    check("works wherever a file is named" in text, "--help says literals work where a file is named")
    # Every option --help shows is one the command knows.
    for o in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", text))):
        rc, out, err = run([o])
        check("unknown option" not in err, "--help shows %s, which the command knows" % o)
    man = os.path.join(ROOT, "docs", "lrelu.1")
    env = dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="", LC_ALL="C.UTF-8")
    r = subprocess.run(["man", "--warnings", "-l", man], capture_output=True, env=env)
    page = r.stdout.decode(errors="replace")
    check(r.returncode == 0 and r.stderr == b"", "man -l lrelu.1: %d %r" % (r.returncode, r.stderr[:300]))
    plain = re.sub(r".\x08", "", page)
    for o in MAIN_OPTS + DIFF_OPTS + DIFF_FLAGS + ["EXIT STATUS", "SIGNALS", "O_TMPFILE", "lrelu diff",
                                      "lrelu demo", "EXAMPLES", "threshold=sys.maxsize"]:
        check(o in plain, "man page names %s" % o)
    for o in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", plain))):
        check(o in text or o == "--opt", "man page's %s is in --help" % o)
    if not ASAN:
        dest = path("inst")
        r = subprocess.run(["make", "-s", "-C", ROOT, "install", "DESTDIR=" + dest,
                            "PREFIX=/usr"], capture_output=True)
        inst = os.path.join(dest, "usr/share/man/man1/lrelu.1")
        check(r.returncode == 0 and os.path.exists(inst) and
              open(inst, "rb").read() == open(man, "rb").read(),
              "make install puts lrelu.1 in share/man/man1: %r" % r.stderr[-300:])


def main():
    tests = [test_print_options, test_from_result, test_messages, test_output_names,
             test_signals, test_pipe_memory, test_stdin_offset, test_help_man]
    only = sys.argv[3:]  # names of tests to run (all by default)
    try:
        for t in tests:
            if not only or t.__name__ in only:
                t()
    finally:
        subprocess.run(["rm", "-rf", TMP])
    return checks.summary("cli edges")


if __name__ == "__main__":
    sys.exit(main())

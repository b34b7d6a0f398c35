"""cli_checks.py - the lrelu command on .npy files, against the library and the frameworks.

Each run writes x.npy (and g.npy for backward), runs the command, and compares the
output file bit for bit with (a) the library called directly and (b) PyTorch run in
this process (float32/float64/bfloat16) or the models of models.py (float16 and the
other frameworks; MindSpore's side read from source, not run).
"""

import os
import re
import shutil
import subprocess
import tempfile

import numpy as np

import lreluffi as L
import models as M

NAN = float("nan")
SEED_OUTPUT = "[[-0.2  4.  -1.6]\n [ 2.  -1.   9. ]]"


def run(exe, C, torch_forward, torch_backward, specials, random_values, passthrough_alts):
    tmp = tempfile.mkdtemp(prefix="lrelu-conformance-")
    try:
        _run(exe, tmp, C, torch_forward, torch_backward, specials, random_values, passthrough_alts)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _cmd(exe, *args):
    p = subprocess.run([exe] + [str(a) for a in args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def _run(exe, tmp, C, torch_forward, torch_backward, specials, random_values, passthrough_alts):
    rng = np.random.default_rng(99)
    xp, gp, yp = (os.path.join(tmp, n) for n in ("x.npy", "g.npy", "y.npy"))
    all16 = np.arange(1 << 16, dtype=np.uint16)
    for dt in ("float32", "float64", "float16", "bfloat16"):
        if dt in ("float16", "bfloat16"):
            x = all16
            g = rng.permutation(all16).astype(np.uint16)
        else:
            x = np.concatenate([specials(dt), random_values(dt, 100000)])
            g = rng.permutation(x)
        # float16 files hold '<f2'; bfloat16 files hold the bit patterns as '<u2'.
        np.save(xp, x.view(np.float16) if dt == "float16" else x)
        np.save(gp, g.view(np.float16) if dt == "float16" else g)
        dflag = ["--dtype", "bfloat16"] if dt == "bfloat16" else []

        def load(path):
            a = np.load(path)
            return a.view(np.uint16) if dt == "float16" else a

        for fw_name, fw in sorted(L.FRAMEWORKS.items(), key=lambda kv: kv[1]):
            pflag = "--negative-slope" if fw in (L.TORCH, L.JAX) else "--alpha"
            np.save(xp, x.view(np.float16) if dt == "float16" else x)  # --inplace rewrote it
            for s in (0.2, 0.01, -0.5, 0.0, 1.5, NAN):
                lab = "command -f %s %s %s %r" % (fw_name, dt, pflag, s)
                rc, out, err = _cmd(exe, "-f", fw_name, pflag, repr(s), *dflag, xp, yp)
                if fw == L.ONNXRUNTIME and dt != "float32":
                    C.ok(rc == 1 and "tensor(float) only" in err, lab + " refused (exit 1)", err.strip())
                    continue
                if not C.ok(rc == 0, lab + " exit 0", err.strip()):
                    continue
                y = load(yp)
                st, ylib = L.forward(fw, s, x, dt)
                C.compare(lab + " forward = library", y, ylib, dt, inputs=x)
                if fw == L.TORCH and dt != "float16":
                    exp = torch_forward(x, s, dt)
                    nan_any = (L.is_nan_bits(x, dt) if dt == "bfloat16" else np.isnan(x)) \
                        if s != s else None
                    C.compare(lab + " forward = PyTorch", y, exp, dt, nan_any, dt == "bfloat16", x)
                elif fw == L.TORCH:
                    C.compare(lab + " forward = PyTorch >= 2.1 rule", y,
                              M.torch_f16_forward(x, s), dt, L.is_nan_bits(x, dt) if s != s else None,
                              inputs=x)
                elif fw == L.MINDSPORE:
                    C.compare(lab + " forward = MindSpore model", y, M.mindspore_forward(x, s, dt), dt,
                              inputs=x)
                # Backward through --grad.
                rc, out, err = _cmd(exe, "-f", fw_name, pflag, repr(s), *dflag, "--grad", gp, xp, yp)
                if fw in (L.ONNX, L.ONNXRUNTIME):
                    C.ok(rc == 1 and "gradient" in err, lab + " backward refused (exit 1)", err.strip())
                    continue
                if not C.ok(rc == 0, lab + " backward exit 0", err.strip()):
                    continue
                dx = load(yp)
                st, dlib = L.backward(fw, s, g, x, dt)
                C.compare(lab + " backward = library", dx, dlib, dt, inputs=x)
                if fw == L.TORCH and dt != "float16":
                    exp = torch_backward(g, x, s, dt)
                    nan_any = (L.is_nan_bits(g, dt) if dt == "bfloat16" else np.isnan(g)) \
                        if s != s else None
                    C.compare(lab + " backward = PyTorch", dx, exp, dt, nan_any, dt == "bfloat16", x,
                              passthrough_alts(g, x, exp, dt))
            if fw == L.TORCH:
                for s in (0.2, 0.0, -0.5):
                    np.save(xp, x.view(np.float16) if dt == "float16" else x)
                    rc, out, err = _cmd(exe, "--inplace", "--negative-slope", repr(s), *dflag, xp)
                    if not C.ok(rc == 0, "command --inplace %s %r exit 0" % (dt, s), err.strip()):
                        continue
                    st, ylib = L.forward(L.TORCH, s, x, dt)
                    C.compare("command --inplace %s %r = library" % (dt, s), load(xp), ylib, dt,
                              inputs=x)
        # lrelu diff counts the same elements as the library does, and exits as cmp does
        # (0 identical, 1 different).
        np.save(xp, x.view(np.float16) if dt == "float16" else x)
        for a, b in (("torch", "mindspore"), ("torch", "onnx"), ("torch", "tensorflow"),
                     ("mindspore", "onnx"), ("torch", "jax"), ("onnx", "jax")):
            rc, out, err = _cmd(exe, "diff", "--from", a, "--to", b, "--alpha"
                                if a != "torch" else "--negative-slope", "0.2", *dflag, xp)
            m = re.search(r"(\d+) elements: (\d+) differ", out)
            ya = L.bits(L.forward(L.FRAMEWORKS[a], 0.2, x, dt)[1])
            yb = L.bits(L.forward(L.FRAMEWORKS[b], 0.2, x, dt)[1])
            want = int(np.count_nonzero(ya != yb))
            C.ok(rc == (1 if want else 0) and m is not None and int(m.group(1)) == x.size and
                 int(m.group(2)) == want,
                 "lrelu diff %s %s vs %s counts %d" % (dt, a, b, want), out.splitlines()[:1])
    # Layouts the command reads: Fortran order and big-endian data.
    x = rng.standard_normal((7, 5)).astype(np.float32)
    for arr, name in ((np.asfortranarray(x), "Fortran order"), (x.astype(">f4"), "big-endian")):
        np.save(xp, arr)
        rc, out, err = _cmd(exe, "--negative-slope", "0.2", xp, yp)
        y = np.load(yp)
        exp = torch_forward(np.ascontiguousarray(x), 0.2, "float32")
        C.ok(rc == 0 and y.shape == x.shape and y.dtype == arr.dtype, "command %s keeps the layout" % name)
        C.compare("command %s = PyTorch" % name, np.ascontiguousarray(y.astype(np.float32)), exp,
                  "float32")
    # Refusals and the seed page's output.
    np.save(xp, x)
    rc, out, err = _cmd(exe, "--negative-slope", "1e39", xp, yp)
    C.ok(rc == 1 and "overflow" in err, "command refuses a float32 slope above FLT_MAX", err.strip())
    rc, out, err = _cmd(exe, "-f", "mindspore", "--inplace", xp)
    C.ok(rc == 2, "command refuses --inplace for MindSpore", err.strip())
    rc, out, err = _cmd(exe, "--alpha", "0.2", xp)
    C.ok(rc == 2, "command refuses --alpha for PyTorch", err.strip())
    rc, out, err = _cmd(exe, "--negative-slope", "0.2", "[[-1.0, 4.0, -8.0], [2.0, -5.0, 9.0]]")
    C.ok(rc == 0 and out.strip() == SEED_OUTPUT, "command prints the seed's PyTorch output", out)
    rc, out, err = _cmd(exe, "-f", "mindspore", "[[-1.0, 4.0, -8.0], [2.0, -5.0, 9.0]]")
    C.ok(rc == 0 and out.strip() == SEED_OUTPUT, "command prints the seed's MindSpore output", out)
    rc, out, err = _cmd(exe, "demo")
    C.ok(rc == 0 and out.count(SEED_OUTPUT) == 4, "command demo prints the seed's four outputs", out)

#!/usr/bin/python3
# test_npz.py - the command on .npz archives against NumPy and PyTorch: one member, every
# member, printing, output read back by numpy.load bit for bit, compression kept, a real
# PyTorch model's dumps (float32/float16/bfloat16), bfloat16 saved as int16, PyTorch .pt
# files and other zips refused with what to do, damaged and hostile archives refused with
# nothing written.  Usage: test_npz.py path/to/lrelu [path/to/lrelu-zip64]
import io
import os
import stat
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check  # noqa: E402
import checks  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the PyTorch checks are then counted as failed
    torch = None

LRELU = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/lrelu")
# The command built with every ZIP64 field written (mk/cli.mk: lrelu-zip64).
LRELU64 = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None


def run(args, stdin=None):
    p = subprocess.run([LRELU] + list(args), input=stdin, capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


TMP = tempfile.mkdtemp(prefix="lrelu-npz-test-")


def path(name):
    return os.path.join(TMP, name)


def listing():
    return sorted(os.listdir(TMP))


def bits_equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype.itemsize != b.dtype.itemsize:
        return False
    a = a.astype(a.dtype.newbyteorder("="))
    b = b.astype(b.dtype.newbyteorder("="))
    u = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize]
    return np.array_equal(np.ascontiguousarray(a).view(u), np.ascontiguousarray(b).view(u))


def torch_forward(x, slope):
    """PyTorch 1.13 on the CPU; float16 (which it does not implement there) in float32,
    rounded, as PyTorch >= 2.1 computes it."""
    x = np.array(x, order="C")
    x = x.astype(x.dtype.newbyteorder("="))
    if x.dtype == np.float16:
        return F.leaky_relu(torch.from_numpy(x.astype(np.float32)), slope).half().numpy()
    return F.leaky_relu(torch.from_numpy(x), slope).numpy()


def expect_error(args, code, needles, what, stdin=None, protect=()):
    """Exit status, one 'lrelu: ' line holding each needle, no file created or changed."""
    before = listing()
    sums = {p: open(p, "rb").read() for p in protect}
    rc, out, err = run(args, stdin=stdin)
    lines = [l for l in err.splitlines() if l]
    check(rc == code, "%s: exit %d, want %d (%s)" % (what, rc, code, err.strip()))
    check(len(lines) == 1 and lines[0].startswith("lrelu: "),
          "%s: one 'lrelu: ' line on stderr, got %r" % (what, err))
    for n in needles:
        check(n.lower() in err.lower(), "%s: message lacks %r: %s" % (what, n, err.strip()))
    check(listing() == before, "%s: files changed: %s -> %s" % (what, before, listing()))
    for p, s in sums.items():
        check(open(p, "rb").read() == s, "%s: %s modified" % (what, p))
    return err


def npy_bytes(a):
    b = io.BytesIO()
    np.lib.format.write_array(b, a)
    return b.getvalue()


def deflate_raw(data):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def build_zip(members, zip64=False, count=None):
    """A zip archive from members (dicts: name, data; optional method, flags, and
    overrides of what the headers say: crc, csize, usize, comp (the bytes stored), lcrc,
    lcsize, lusize (the local header's), off (the central entry's offset))."""
    out, cd = bytearray(), bytearray()
    for m in members:
        name = m["name"].encode()
        raw = m["data"]
        method = m.get("method", 0)
        comp = m.get("comp", raw if method == 0 else deflate_raw(raw))
        crc = m.get("crc", zlib.crc32(raw))
        usize = m.get("usize", len(raw))
        csize = m.get("csize", len(comp))
        flags = m.get("flags", 0)
        off = m.get("off", len(out))
        lx = struct.pack("<HHQQ", 1, 16, m.get("lusize", usize), m.get("lcsize", csize))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0x21,
                           m.get("lcrc", crc), m.get("lcsize", csize) & 0xFFFFFFFF,
                           m.get("lusize", usize) & 0xFFFFFFFF, len(name), len(lx))
        out += name + lx + comp
        if zip64:
            cx = struct.pack("<HHQQQ", 1, 24, usize, csize, off)
            cu = cc = coff = 0xFFFFFFFF
        else:
            cx, cu, cc, coff = b"", usize, csize, off
        cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x314, 20, flags, method, 0,
                          0x21, crc, cc, cu, len(name), len(cx), 0, 0, 0, 0o600 << 16, coff)
        cd += name + cx
    dir_off = len(out)
    out += cd
    n = len(members) if count is None else count
    if zip64:
        e64 = len(out)
        out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, len(cd), dir_off)
        out += struct.pack("<IIQI", 0x07064B50, 0, e64, 1)
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                           0xFFFFFFFF, 0)
    else:
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(cd), dir_off, 0)
    return bytes(out)


def write(name, data):
    with open(path(name), "wb") as f:
        f.write(data)
    return path(name)


def methods(p):
    with zipfile.ZipFile(p) as z:
        return [i.compress_type for i in z.infolist()]


# ---- 1. reading and writing archives as NumPy writes them ----------------------------------

def arrays(rng):
    a = {
        "conv1": rng.standard_normal((2, 3, 4)).astype(np.float32),
        "fc": rng.standard_normal(7),
        "half": (rng.standard_normal(9) * 5).astype(np.float16),
        "big_endian": rng.standard_normal((3, 2)).astype(">f4"),
        "fortran": np.asfortranarray(rng.standard_normal((3, 4))),
        "scalar": np.float32(-2.5),
        "empty": np.zeros((0, 3), np.float32),
        "a:b": np.array([-1.0, 0.0, -0.0, np.inf, -np.inf, np.nan], np.float32),
    }
    return a


def test_archives():
    rng = np.random.default_rng(13)
    src = arrays(rng)
    for comp, saver in ((False, np.savez), (True, np.savez_compressed)):
        tag = "compressed" if comp else "stored"
        p = path("in_%s.npz" % tag)
        saver(p, **src)
        # Every member, to an .npz: numpy.load reads it back bit for bit, same names, same
        # order, same dtype/order, compressed as the input was.
        out = path("out_%s.npz" % tag)
        rc, _, err = run(["--negative-slope", "0.1", p, out])
        check(rc == 0, "%s: all members: exit %d %s" % (tag, rc, err))
        z = np.load(out)
        check(z.files == list(src), "%s: names %s" % (tag, z.files))
        for k, a in src.items():
            y = z[k]
            check(y.dtype == a.dtype and y.shape == a.shape and
                  y.flags.f_contiguous == a.flags.f_contiguous or a.ndim < 2,
                  "%s %s: dtype/shape/order %s %s" % (tag, k, y.dtype, y.shape))
            check(bits_equal(y, torch_forward(a, 0.1)), "%s %s: bits" % (tag, k))
        check(methods(out) == [8 if comp else 0] * len(src),
              "%s: methods %s" % (tag, methods(out)))
        with zipfile.ZipFile(out) as zz:
            check(zz.testzip() is None, "%s: zipfile's CRC check" % tag)
        # One member, to a .npy file, to standard output and printed.
        for k in ("conv1", "a:b", "scalar"):
            o1 = path("one.npy")
            rc, _, err = run(["--negative-slope", "0.1", "%s:%s" % (p, k), o1])
            check(rc == 0 and bits_equal(np.load(o1), torch_forward(src[k], 0.1)),
                  "%s: member %s to .npy: %s" % (tag, k, err))
            rc, so, err = run(["--negative-slope", "0.1", "%s:%s" % (p, k), "-"])
            check(rc == 0 and so == open(o1, "rb").read(), "%s: member %s to -" % (tag, k))
            os.unlink(o1)
            rc, so, err = run(["--negative-slope", "1", "%s:%s" % (p, k)])
            check(rc == 0 and so.decode() == str(src[k]) + "\n",
                  "%s: member %s printed: %r" % (tag, k, so))
        # Printed whole: "KEY:" then the array, as `for k in z.files: print(k + ":");
        # print(z[k])` shows it.
        rc, so, err = run(["--negative-slope", "1", p])
        want = "".join("%s:\n%s\n" % (k, a) for k, a in src.items())
        check(rc == 0 and so.decode() == want, "%s: printed:\n%s\nwant\n%s" % (tag, so.decode(),
                                                                              want))
        # Slope 1 keeps every bit: the output is numpy's own file, byte for byte.
        rc, _, err = run(["--negative-slope", "1", p, out])
        check(rc == 0 and open(out, "rb").read() == open(p, "rb").read(),
              "%s: slope 1 gives numpy.savez's bytes" % tag)
        # In place over the archive, its permissions kept.
        q = path("inplace_%s.npz" % tag)
        saver(q, **src)
        os.chmod(q, 0o640)
        rc, _, err = run(["--inplace", "--negative-slope", "0.1", q])
        z = np.load(q)
        check(rc == 0 and all(bits_equal(z[k], torch_forward(a, 0.1)) for k, a in src.items()),
              "%s: --inplace: %s" % (tag, err))
        check(stat.S_IMODE(os.stat(q).st_mode) == 0o640, "%s: --inplace keeps the mode" % tag)
        check(methods(q) == [8 if comp else 0] * len(src), "%s: --inplace keeps deflate" % tag)
        for f in (out, q):
            os.unlink(f)
    # MindSpore's rule on the whole archive, and OUTPUT naming INPUT.
    p = path("in_stored.npz")
    rc, _, err = run(["-f", "mindspore", p, p])
    z = np.load(p)
    x = src["conv1"]
    want = np.where(x * np.float32(0.2) > x, x * np.float32(0.2), x)
    check(rc == 0 and bits_equal(z["conv1"], want), "mindspore, OUTPUT = INPUT: %s" % err)
    # An empty archive: nothing printed, an empty archive written.
    e = path("empty.npz")
    np.savez(e)
    rc, so, err = run([e])
    check(rc == 0 and so == b"", "empty archive printed: %d %r %s" % (rc, so, err))
    rc, _, err = run([e, path("empty_out.npz")])
    check(rc == 0 and np.load(path("empty_out.npz")).files == [], "empty archive written")
    # Written through a pipe, zipfile puts sizes in data descriptors after the data.
    b = io.BytesIO()

    class Pipe(io.RawIOBase):
        def writable(self):
            return True

        def write(self, d):
            b.write(d)
            return len(d)

    with zipfile.ZipFile(Pipe(), "w", zipfile.ZIP_DEFLATED) as zz:
        with zz.open("x.npy", "w") as f:
            np.lib.format.write_array(f, src["fc"])
    d = write("descriptor.npz", b.getvalue())
    check(zipfile.ZipFile(d).infolist()[0].flag_bits & 8, "data descriptor archive made")
    rc, _, err = run(["--negative-slope", "0.1", d, path("d_out.npz")])
    check(rc == 0 and bits_equal(np.load(path("d_out.npz"))["x"], torch_forward(src["fc"], 0.1)),
          "data descriptors: %s" % err)
    # ZIP64 fields in the central directory and ZIP64 end records (as NumPy writes them
    # beyond 2 GiB), read as zipfile reads them.
    ms = [{"name": "a.npy", "data": npy_bytes(src["conv1"]), "method": 8},
          {"name": "b.npy", "data": npy_bytes(src["fc"])}]
    p64 = write("zip64.npz", build_zip(ms, zip64=True))
    zl = np.load(p64)
    check(bits_equal(zl["a"], src["conv1"]) and bits_equal(zl["b"], src["fc"]),
          "crafted ZIP64 archive is valid for numpy.load")
    rc, _, err = run(["--negative-slope", "0.1", p64, path("z64_out.npz")])
    z = np.load(path("z64_out.npz"))
    check(rc == 0 and bits_equal(z["a"], torch_forward(src["conv1"], 0.1)) and
          bits_equal(z["b"], torch_forward(src["fc"], 0.1)), "ZIP64 archive: %s" % err)
    check(methods(path("z64_out.npz")) == [8, 8], "mixed methods: output deflated")
    # Every ZIP64 field written (sizes and offsets in the central directory, the ZIP64
    # end records), read back by zipfile and numpy.load.
    if LRELU64:
        for tag in ("stored", "compressed"):
            o64 = path("w64_%s.npz" % tag)
            p = subprocess.run([LRELU64, "--negative-slope", "0.1", path("in_%s.npz" % tag),
                                o64], capture_output=True)
            ok = p.returncode == 0
            if ok:
                raw = open(o64, "rb").read()
                with zipfile.ZipFile(o64) as zz:
                    ok = zz.testzip() is None and b"PK\x06\x06" in raw
                    ok = ok and all(len(i.extra) >= 12 for i in zz.infolist()[1:])
                z = np.load(o64)
                plain = path("w32.npz")
                rc = run(["--negative-slope", "0.1", path("in_%s.npz" % tag), plain])[0]
                ok = ok and rc == 0
                ok = ok and z.files == list(src) and all(
                    bits_equal(z[k], np.load(plain)[k]) for k in src)
                r2 = run(["--negative-slope", "1", o64, path("w64_back.npz")])
                ok = ok and r2[0] == 0 and all(bits_equal(np.load(path("w64_back.npz"))[k],
                                                          z[k]) for k in src)
            check(ok, "ZIP64 fields written (%s): %s" % (tag, p.stderr))
    else:
        check(False, "the ZIP64 test build was not given")
    # lrelu diff and --grad take one member like a .npy file.
    rc, so, err = run(["diff", "%s:conv1" % path("in_compressed.npz")])
    check(rc in (0, 1) and b"elements" in so, "diff on a member: %d %r %s" % (rc, so, err))
    dy = {k: np.array(rng.standard_normal(np.shape(a)) * 2, dtype=np.asarray(a).dtype,
                      order="F" if np.asarray(a).flags.f_contiguous else "C")
          for k, a in src.items() if np.asarray(a).dtype != np.float16}
    xs = {k: src[k] for k in dy}
    np.savez(path("x.npz"), **xs)
    np.savez_compressed(path("dy.npz"), **dy)
    rc, _, err = run(["--grad", path("dy.npz"), "--negative-slope", "0.1", path("x.npz"),
                      path("dx.npz")])
    ok = rc == 0
    if ok and torch is not None:
        z = np.load(path("dx.npz"))
        for k in xs:
            x = np.asarray(xs[k]).astype(np.asarray(xs[k]).dtype.newbyteorder("="))
            t = torch.from_numpy(np.array(x, order="C")).requires_grad_()
            F.leaky_relu(t, 0.1).backward(torch.from_numpy(np.array(
                np.asarray(dy[k]).astype(x.dtype), order="C")))
            ok = ok and bits_equal(z[k], t.grad.numpy())
    check(ok and torch is not None, "--grad DY.npz X.npz DX.npz against PyTorch: %s" % err)
    rc, _, err = run(["--grad", "%s:fc" % path("dy.npz"), "%s:fc" % path("x.npz"), "-"])
    check(rc == 0, "--grad with members: %s" % err)


# ---- 2. a real PyTorch model's dumps ------------------------------------------------------

def test_pytorch_model():
    if torch is None:
        check(False, "PyTorch missing")
        return
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.LeakyReLU(0.1))
    x = torch.randn(2, 3, 9, 9) * 4
    with torch.no_grad():
        pre32 = model[0](x)
        out32 = model(x)
        mb = model.to(torch.bfloat16)
        preb = mb[0](x.bfloat16())
        outb = mb(x.bfloat16())
    pre16 = pre32.half()
    # float16: PyTorch 1.13 has no CPU LeakyReLU for it; its float32 kernel, rounded.
    out16 = F.leaky_relu(pre16.float(), 0.1).half()
    pre = {"f32": pre32.numpy(), "f16": pre16.numpy(), "bf16": preb.view(torch.int16).numpy()}
    ref = {"f32": out32.numpy(), "f16": out16.numpy(), "bf16": outb.view(torch.int16).numpy()}
    check(pre["bf16"].dtype.str == "<i2", "bfloat16 dumps as <i2 from PyTorch 1.13")
    for saver in (np.savez, np.savez_compressed):
        p = path("model.npz")
        saver(p, **pre)
        rc, _, err = run(["--dtype", "bfloat16", "--negative-slope", "0.1", "%s:bf16" % p,
                          path("bf16.npy")])
        y = np.load(path("bf16.npy")) if rc == 0 else None
        check(rc == 0 and y.dtype.str == "<i2" and bits_equal(y, ref["bf16"]),
              "model bfloat16 member vs PyTorch: %s" % err)
        for k in ("f32", "f16"):
            rc, _, err = run(["--negative-slope", "0.1", "%s:%s" % (p, k), path("o.npy")])
            check(rc == 0 and bits_equal(np.load(path("o.npy")), ref[k]),
                  "model %s member vs PyTorch: %s" % (k, err))
        # The whole archive in one run: --dtype bfloat16 reads its 2-byte integer member
        # as bfloat16, the float members as what they are.
        rc, _, err = run(["--negative-slope", "0.1", p, path("all.npz")])
        check(rc == 1 and "--dtype bfloat16" in err and not os.path.exists(path("all.npz")),
              "mixed archive without --dtype: refused with the way out: %s" % err)
        rc, _, err = run(["--dtype", "bfloat16", "--negative-slope", "0.1", p, path("all.npz")])
        z = np.load(path("all.npz")) if rc == 0 else {}
        check(rc == 0 and all(bits_equal(z[k], ref[k]) for k in ref) and
              z["bf16"].dtype.str == "<i2", "mixed archive with --dtype bfloat16: %s" % err)
        os.unlink(path("all.npz"))
    np.savez(path("model_f32.npz"), conv=pre["f32"])
    rc, _, err = run(["--negative-slope", "0.1", path("model_f32.npz"), path("m_out.npz")])
    check(rc == 0 and bits_equal(np.load(path("m_out.npz"))["conv"], ref["f32"]),
          "model float32 archive vs PyTorch: %s" % err)
    # bfloat16 saved as int16, either byte order.
    for descr in ("<i2", ">i2"):
        p = path("bf.npy")
        np.save(p, pre["bf16"].astype(descr))
        rc, _, err = run(["--dtype", "bfloat16", "--negative-slope", "0.1", p, path("bo.npy")])
        y = np.load(path("bo.npy")) if rc == 0 else None
        check(rc == 0 and y.dtype.str == descr and bits_equal(y, ref["bf16"]),
              "bfloat16 as %s: %s" % (descr, err))
        expect_error([p, path("bo2.npy")], 1, ["int16", "--dtype bfloat16"],
                     "%s without --dtype" % descr)
        os.unlink(path("bo.npy"))
    # --dtype float32 on int16 data: the same way out.
    expect_error(["--dtype", "float32", p, path("bo2.npy")], 1, ["int16", "--dtype bfloat16"],
                 "int16 with --dtype float32")


# ---- 3. what is not an .npz ------------------------------------------------------------------

def test_not_npz():
    src = {"w": np.arange(4, dtype=np.float32) - 2}
    good = path("good.npz")
    np.savez(good, **src)
    out = path("never.npz")
    if torch is not None:
        pt = path("model.pt")
        torch.save(torch.nn.Conv2d(1, 1, 1).state_dict(), pt)
        expect_error([pt, out], 1, ["PyTorch", "numpy.save", "numpy.savez"], ".pt refused")
        expect_error(["%s:weight" % pt, out], 1, ["PyTorch", "numpy.savez"], ".pt:NAME refused")
        pl = path("legacy.pt")
        torch.save(torch.ones(2), pl, _use_new_zipfile_serialization=False)
        expect_error([pl, out], 1, ["pickle", "numpy.save"], "legacy .pt refused")
    else:
        check(False, "PyTorch missing")
    z = path("other.zip")
    with zipfile.ZipFile(z, "w") as zz:
        zz.writestr("notes.txt", "hello")
    expect_error([z, out], 1, ["not an .npz", "notes.txt", "numpy.savez"], "other zip refused")
    expect_error([good + ":", out], 2, ["no array name", "w"], "empty NAME")
    expect_error([good + ":nope", out], 1, ["no array 'nope'", "w"], "missing member")
    expect_error([good, "-"], 2, ["standard output"], "whole archive to -")
    expect_error(["-"], 1, ["standard input", "file name"], ".npz on stdin",
                 stdin=open(good, "rb").read())
    expect_error(["--grad", good, "[1.0]"], 2, [":NAME"],
                 "whole archive where one array is wanted")
    expect_error(["diff", good, "[1.0]"], 2, [":NAME", "whole .npz archive"],
                 "diff: whole archive beside a literal")
    expect_error(["--inplace", good + ":w"], 2, ["--inplace", "whole archive"],
                 "--inplace on one member")
    expect_error(["--grad", "[1.0]", good, out], 2, ["GRAD", ".npz"], "GRAD not an archive")
    np.savez(path("g2.npz"), v=np.ones(4, np.float32))
    expect_error(["--grad", path("g2.npz"), good, out], 1, ["no array"], "GRAD other names")
    npy = path("plain.npy")
    np.save(npy, src["w"])
    expect_error([npy + ":w", out], 1, ["not an .npz"], ".npy:NAME")
    # Names numpy.savez can write but that could be taken for paths are refused.
    for key in ("a/b", "..", "../x"):
        p = write("name.npz", build_zip([{"name": key + ".npy", "data": npy_bytes(src["w"])}]))
        expect_error([p, out], 1, ["'/'", "'..'"], "member name %r" % key)
    p = write("txt.npz", build_zip([{"name": "x.npy", "data": b"plain text, not numpy"}]))
    expect_error([p + ":x", out], 1, ["not a .npy array"], "member without the .npy magic")


# ---- 4. damaged and hostile archives ------------------------------------------------------

def test_hostile():
    w = np.arange(-8, 8, dtype=np.float32)
    data = npy_bytes(w)
    out = path("never.npz")
    outy = path("never.npy")

    def refuse(blob, needles, what, member=None):
        p = write("h.npz", blob)
        args = [p + (":" + member if member else ""), outy if member else out]
        expect_error(args, 1, needles, what, protect=[p])
        os.unlink(p)

    def accept(blob, what):
        p = write("h.npz", blob)
        rc, _, err = run(["--negative-slope", "0.1", p, out])
        check(rc == 0, "%s: accepted: %s" % (what, err))
        for f in (p, out):
            if os.path.exists(f):
                os.unlink(f)

    one = [{"name": "w.npy", "data": data}]
    accept(build_zip(one), "hand-made archive")
    # Bad CRC: flipped data bit, or a recorded CRC off by one (stored and deflated); the
    # damaged bytes are never written.
    bad = bytearray(build_zip(one))
    bad[len(bad) // 4] ^= 0x10
    refuse(bytes(bad), ["CRC-32 mismatch"], "stored data bit flipped")
    crc = zlib.crc32(data) ^ 1
    refuse(build_zip([dict(one[0], crc=crc)]), ["CRC-32 mismatch"], "CRC off (stored)")
    refuse(build_zip([dict(one[0], crc=crc, method=8)]), ["CRC-32 mismatch"], "CRC off (deflated)")
    refuse(build_zip([dict(one[0], crc=crc, method=8)]), ["CRC-32 mismatch"],
           "CRC off (deflated), one member", member="w")
    comp = bytearray(deflate_raw(data))
    comp[len(comp) // 2] ^= 0xFF
    refuse(build_zip([dict(one[0], method=8, comp=bytes(comp))]), ["w.npy"],
           "corrupt deflate stream")
    # Sizes that lie: the local header against the central directory, the member against
    # its .npy header, the deflate stream against the declared size (both ways).
    refuse(build_zip([dict(one[0], lusize=len(data) + 1)]), ["disagrees"], "local size lies")
    refuse(build_zip([dict(one[0], lcrc=1)]), ["disagrees"], "local CRC lies")
    big = npy_bytes(np.zeros(10**6, np.float32))
    refuse(build_zip([dict(one[0], method=8, comp=deflate_raw(big))]),
           ["more than the", "declared"], "zip bomb: inflates past the declared size")
    refuse(build_zip([dict(one[0], method=8, usize=len(data) + 4,
                           crc=zlib.crc32(data + b"\0" * 4))]),
           ["ends after"], "deflate stream shorter than declared")
    shape_lie = npy_bytes(w)[:128].replace(b"(16,)", b"(99,)") + w.tobytes()
    refuse(build_zip([{"name": "w.npy", "data": shape_lie, "method": 8}]),
           ["shape needs 396 bytes", "holds 64"], "the .npy header's shape lies")
    # Deflate's ratio bound: at 1032:1 the sizes pass (the data then fails), above not.
    c = len(deflate_raw(data))
    for usize, ratio_msg in ((c * 1032 + 1031, False), (c * 1032 + 1032, True)):
        p = write("r.npz", build_zip([dict(one[0], method=8, usize=usize)]))
        rc, _, err = run([p, out])
        check(rc == 1 and ("cannot inflate" in err) == ratio_msg and not os.path.exists(out),
              "ratio bound at %d (c=%d): %s" % (usize, c, err))
    # Encrypted members, other methods.
    refuse(build_zip([dict(one[0], flags=1)]), ["encrypted"], "encrypted member")
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_BZIP2) as zz:
        zz.writestr("w.npy", data)
    refuse(b.getvalue(), ["method 12", "bzip2", "stored and deflate"], "bzip2 member")
    # Overlapping members: a second entry pointing into the first member's data (the
    # overlap zip bomb), by exactly one byte; adjacent members are fine.
    inner = build_zip([{"name": "b.npy", "data": data}])
    inner_len = inner.index(b"PK\x01\x02")  # b's local header and data
    outer_data = npy_bytes(np.zeros(0, np.float32))
    a_local = 30 + len("a.npy") + 20
    nested = [{"name": "a.npy", "data": outer_data + inner[:inner_len], "usize":
               len(outer_data) + inner_len},
              {"name": "b.npy", "data": data, "off": a_local + len(outer_data)}]
    blob = bytearray(build_zip(nested))
    # b's central entry points into a's data, where a valid local header for b sits; the
    # bytes after a (b's own copy) are left unreferenced.
    refuse(bytes(blob), ["overlap"], "member inside another member")
    two = [{"name": "a.npy", "data": data}, {"name": "b.npy", "data": data}]
    accept(build_zip(two), "two adjacent members")
    a_end = a_local + len(data)
    over = build_zip([dict(two[0]), dict(two[1], off=a_end - 1)])
    refuse(over, ["b.npy", "no local header"], "second entry one byte early")
    # a's sizes (local and central, with the CRC of those bytes) claim one byte more than
    # it has: that byte is b's signature.
    blob = bytearray(build_zip([two[0], two[1]]))
    crc1 = zlib.crc32(data + b"P")
    n = len(data)
    blob[14:26] = struct.pack("<III", crc1, n + 1, n + 1)
    blob[30 + 5 + 4:30 + 5 + 20] = struct.pack("<QQ", n + 1, n + 1)
    cdo = blob.index(b"PK\x01\x02")
    blob[cdo + 16:cdo + 28] = struct.pack("<III", crc1, n + 1, n + 1)
    refuse(bytes(blob), ["overlap", "a.npy", "b.npy"], "members overlapping by one byte")
    # Duplicate names; counts and sizes the directory cannot hold.
    refuse(build_zip([one[0], one[0]]), ["appears twice"], "duplicate member")
    refuse(build_zip(one, zip64=True, count=65537), ["too many members", "65537"],
           "65537 members")
    refuse(build_zip(one, zip64=True, count=65536), ["cannot fit"], "65536 members claimed")
    refuse(build_zip(one, count=2), ["cannot fit"], "2 members claimed, 1 there")
    blob = build_zip(one)
    refuse(blob[:-40], ["no end of central directory"], "truncated archive")
    refuse(blob[:len(blob) // 2], ["no end of central directory"], "half an archive")
    refuse(blob + b"junk", ["no end of central directory"], "bytes after the end record")
    refuse(b"PK\x03\x04" + b"\0" * 100, ["no end of central directory"], "a zip's first bytes only")
    # A directory larger than the bound is refused before it is read; at the bound it is
    # read (and found empty of entries).
    lim = 16 << 20
    for size, needle in ((lim + 1, "too large"), (lim, "after its 0 entries")):
        blob = b"PK\x03\x04" + b"\0" * (size - 4) + struct.pack(
            "<IHHHHIIH", 0x06054B50, 0, 0, 0, 0, size, 0, 0)
        refuse(blob, [needle], "central directory of %d bytes" % size)
    # ZIP64 end records that disagree or point outside.
    blob = bytearray(build_zip(one, zip64=True))
    accept(bytes(blob), "ZIP64 archive")
    loc = blob.rindex(b"PK\x06\x07")
    bad = bytearray(blob)
    bad[loc + 8:loc + 16] = struct.pack("<Q", len(blob) * 2)
    refuse(bytes(bad), ["ZIP64"], "ZIP64 locator outside the file")
    bad = bytearray(blob)
    e = bad.rindex(b"PK\x05\x06")
    bad[e + 8:e + 12] = struct.pack("<HH", 3, 3)
    refuse(bytes(bad), ["disagree"], "end records disagree")


# ---- 5. memory stays bounded ------------------------------------------------------------

def test_memory():
    # 64 MiB of zeros deflate to 64 KiB: inflating it whole would show in the peak.
    p = path("zeros.npz")
    np.savez_compressed(p, z=np.zeros(16 << 20, np.float32), x=np.ones(5, np.float32))
    # A child's peak resident size includes its parent's at the fork, so the command is
    # started from a small Python without site packages, not from this one.
    measure = ("import os, sys\npid = os.fork()\nif pid == 0:\n    os.execv(sys.argv[1], "
               "sys.argv[1:])\n_, st, ru = os.wait4(pid, 0)\nprint(ru.ru_maxrss)\n"
               "sys.exit(os.waitstatus_to_exitcode(st))")
    for args in ([p, path("zeros_out.npz")], [p + ":z", path("zeros_out.npy")]):
        r = subprocess.run([sys.executable, "-S", "-c", measure, LRELU] + args,
                           capture_output=True)
        peak = int(r.stdout) if r.stdout.strip().isdigit() else -1
        check(r.returncode == 0, "64 MiB member %s: %s" % (args[0], r.stderr))
        # Two 4 MiB chunks, inflate's and deflate's state, the program, the parent's
        # share: far below the 64 MiB a member inflated whole would take.
        check(0 < peak < 32 * 1024, "64 MiB member %s: peak %d KiB" % (args[0], peak))
    check(np.load(path("zeros_out.npy")).shape == (16 << 20,), "64 MiB member alone")
    with zipfile.ZipFile(path("zeros_out.npz")) as zz:
        check(zz.testzip() is None and methods(path("zeros_out.npz")) == [8, 8],
              "64 MiB member written deflated and sound")
    z = np.load(path("zeros_out.npz"))
    check(z["z"].shape == (16 << 20,) and not z["z"].any(), "64 MiB member read back")


def test_corpus():
    """The fuzz corpus through the whole command: a clean exit, an error in one line."""
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fuzz", "corpus",
                     "npz")
    for name in sorted(os.listdir(d)):
        p = write("corpus.npz", open(os.path.join(d, name), "rb").read())
        for args in ([p], [p, path("corpus_out.npz")], [p + ":x"]):
            rc, _, err = run(args)
            ok = rc == 0 or (rc in (1, 2) and len(err.strip().splitlines()) == 1)
            check(ok, "corpus %s %s: exit %d %r" % (name, args[1:], rc, err[-300:]))
        for f in (p, path("corpus_out.npz")):
            if os.path.exists(f):
                os.unlink(f)


def main():
    try:
        for t in (test_archives, test_pytorch_model, test_not_npz, test_hostile, test_memory,
                  test_corpus):
            try:
                t()
            except Exception as e:  # a missing output file, say: counted, the rest run
                check(False, "%s raised %r" % (t.__name__, e))
    finally:
        subprocess.run(["rm", "-rf", TMP])
    return checks.summary("npz")


if __name__ == "__main__":
    sys.exit(main())

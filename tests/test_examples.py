#!/usr/bin/env python3
"""test_examples.py - the seed page's printed outputs, character for character, and the README's tour.

Usage: test_examples.py BUILD_DIR
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check  # noqa: E402
import checks  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"


def run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)


def seed_blocks(text):
    """The arrays the seed page prints: commented '# [[...' lines after each print()."""
    blocks, cur = [], []
    for line in text.splitlines():
        m = re.match(r"^# (\[\[.*|\s\[.*)$", line)
        if m:
            cur.append(m.group(1))
            if m.group(1).endswith("]]"):
                blocks.append("\n".join(cur))
                cur = []
    return blocks


# 1. The seed program's output is the golden file, byte for byte.
r = run(os.path.join(BUILD, "examples", "seed"))
check(r.returncode == 0, "examples/seed exits 0: " + r.stderr)
with open(os.path.join(ROOT, "tests", "golden", "seed.txt")) as f:
    golden = f.read()
check(r.stdout == golden, "examples/seed output equals tests/golden/seed.txt:\n" + r.stdout)

# 2. Every array it prints is the seed page's printed text, character for character.
page = os.path.join(ROOT, "..", "shared", "seed", "leakyrelu-api-mapping.md")
if os.path.exists(page):
    with open(page, encoding="utf-8") as f:
        want = seed_blocks(f.read())
    check(len(want) == 4, "the seed page prints four arrays (found %d)" % len(want))
else:  # the page travels beside the repository; the golden file holds the same text
    want = ["[[-0.2  4.  -1.6]\n [ 2.  -1.   9. ]]"] * 4
    print("note: seed page not found beside the repository; using its text from the golden file")
got = re.findall(r"^(\[\[.*\n \[.*\]\])$", r.stdout, re.M)
check(len(got) == 4, "four arrays printed (got %d)" % len(got))
for i, (g, w) in enumerate(zip(got, want)):
    check(g == w, "array %d: %r != seed's %r" % (i, g, w))

# 3. The README's API tour is examples/tour.c verbatim, and it runs.
with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
    readme = f.read()
with open(os.path.join(ROOT, "examples", "tour.c")) as f:
    tour = f.read()
blocks = re.findall(r"```c\n(.*?)```", readme, re.S)
check(any(b == tour for b in blocks), "README.md contains examples/tour.c verbatim in a ```c block")
r = run(os.path.join(BUILD, "examples", "tour"))
check(r.returncode == 0, "examples/tour exits 0")
with open(os.path.join(ROOT, "tests", "golden", "tour.txt")) as f:
    check(r.stdout == f.read(), "examples/tour output equals tests/golden/tour.txt:\n" + r.stdout)

# 4. make install: header, both libraries with a versioned soname, lrelu.pc, the command;
#    the tour compiles against the installed copy through pkg-config and runs.
import shutil
import tempfile

stage = tempfile.mkdtemp(prefix="lrelu-install-")
try:
    prefix = "/opt/lrelu"
    r = run("make", "--no-print-directory", "-s", "install", "BUILD=" + BUILD, "PREFIX=" + prefix,
            "DESTDIR=" + stage)
    check(r.returncode == 0, "make install: " + r.stderr)
    root = stage + prefix
    for p in ["include/lrelu.h", "lib/liblrelu.a", "lib/liblrelu.so", "lib/liblrelu.so.0",
              "lib/pkgconfig/lrelu.pc", "bin/lrelu"]:
        check(os.path.exists(os.path.join(root, p)), "installed " + p)
    r = run("objdump", "-p", os.path.join(root, "lib", "liblrelu.so"))
    check("SONAME               liblrelu.so.0" in r.stdout, "soname liblrelu.so.0")
    r = run("nm", "-D", "--defined-only", os.path.join(root, "lib", "liblrelu.so"))
    syms = [l.split()[-1] for l in r.stdout.splitlines() if l.strip()]
    check(syms and all(s.startswith("lrelu_") for s in syms),
          "the shared library exports only lrelu_* symbols: %s" % [s for s in syms if not s.startswith("lrelu_")])
    # the .pc names the real prefix; point pkg-config at the staged copy
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(root, "lib", "pkgconfig"),
               PKG_CONFIG_SYSROOT_DIR=stage)
    pc = subprocess.run(["pkg-config", "--cflags", "--libs", "lrelu"], capture_output=True, text=True, env=env)
    check(pc.returncode == 0, "pkg-config lrelu: " + pc.stderr)
    exe = os.path.join(stage, "tour")
    r = subprocess.run(["cc", "-std=c11", os.path.join(ROOT, "examples", "tour.c"), "-o", exe] + pc.stdout.split(),
                       capture_output=True, text=True)
    check(r.returncode == 0, "tour builds against the installed library: " + r.stderr)
    r = subprocess.run([exe], capture_output=True, text=True,
                       env=dict(os.environ, LD_LIBRARY_PATH=os.path.join(root, "lib")))
    with open(os.path.join(ROOT, "tests", "golden", "tour.txt")) as f:
        check(r.returncode == 0 and r.stdout == f.read(), "installed tour runs: " + r.stdout + r.stderr)
finally:
    shutil.rmtree(stage)

sys.exit(checks.summary("examples"))

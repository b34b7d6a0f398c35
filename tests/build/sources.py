#!/usr/bin/env python3
"""sources.py - the Makefile and the CMake mirror compile the same sources.

Reads what each CMake target compiles from CMake's file API (the build folder must have
been configured with the query .cmake/api/v1/query/codemodel-v2, as `make test-cmake`
does) and the Makefile's lists through `make print-VAR`, and compares: the library (both
builds of it), the command, the seed example, the set of C test programs.

Usage: sources.py CMAKE_BUILD_DIR ["MAKE COMMAND"]
"""
import glob
import json
import os
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = sys.argv[1]
MAKE = shlex.split(sys.argv[2]) if len(sys.argv) > 2 else ["make", "-s", "--no-print-directory"]
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def make_list(var):
    out = subprocess.run(MAKE + ["print-" + var], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.split()


def cmake_targets():
    """{target name: set of compiled source paths, relative to the top of the tree}"""
    reply = os.path.join(ROOT, BUILD, ".cmake", "api", "v1", "reply")
    index = sorted(glob.glob(os.path.join(reply, "index-*.json")))
    if not index:
        sys.exit("sources.py: no CMake file-API reply in %s (configure with the codemodel-v2 query)" % reply)
    with open(index[-1]) as f:
        model = json.load(f)["reply"]["codemodel-v2"]["jsonFile"]
    with open(os.path.join(reply, model)) as f:
        config = json.load(f)["configurations"][0]
    targets = {}
    for t in config["targets"]:
        with open(os.path.join(reply, t["jsonFile"])) as f:
            srcs = json.load(f).get("sources", [])
        targets[t["name"]] = {s["path"] for s in srcs if "compileGroupIndex" in s}
    return targets


def same(what, make_srcs, cmake_srcs):
    make_srcs, cmake_srcs = set(make_srcs), set(cmake_srcs)
    check(make_srcs == cmake_srcs,
          "%s: only in the Makefile %s, only in CMake %s"
          % (what, sorted(make_srcs - cmake_srcs), sorted(cmake_srcs - make_srcs)))


cm = cmake_targets()
lib = make_list("LIB_SRCS")
check(len(lib) > 0, "the Makefile's LIB_SRCS is not empty")
same("library (lrelu_objects vs LIB_SRCS)", lib, cm.get("lrelu_objects", ()))
same("test-support library (lrelu_test_objects vs LIB_SRCS)", lib, cm.get("lrelu_test_objects", ()))
same("command (lrelu_cli vs CLI_SRCS)", make_list("CLI_SRCS"), cm.get("lrelu_cli", ()))
same("seed example (lrelu_seed vs SEED_SRCS)", make_list("SEED_SRCS"), cm.get("lrelu_seed", ()))
tests = {os.path.basename(p) for p in make_list("TEST_PROGS")}
same("C test programs (CMake's LRELU_TESTS vs TEST_PROGS)", tests,
     {n for n in cm if n.startswith("test_")})
for t in sorted(tests & set(cm)):
    same(t, ["tests/%s.c" % t], cm[t])
print("sources: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)

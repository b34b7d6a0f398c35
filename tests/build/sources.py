#!/usr/bin/env python3
"""sources.py - the Makefile and the CMake mirror compile the same sources.

Reads what each CMake target compiles from CMake's file API (the build folder must have
been configured with the query .cmake/api/v1/query/codemodel-v2, as `make test-cmake`
does) and the Makefile's lists through `make print-VAR`, and compares: the library (both
builds of it), the command, the seed example, the set of C test programs.  Also that, in
both builds, LRELU_TEST_SUPPORT is defined for the test-support library and the tests,
and for nothing that is installed (the Makefile's side read from `make -n -B`).

Usage: sources.py CMAKE_BUILD_DIR ["MAKE COMMAND"]
"""
import glob
import json
import os
import re
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check  # noqa: E402
import checks  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = sys.argv[1]
MAKE = shlex.split(sys.argv[2]) if len(sys.argv) > 2 else ["make", "-s", "--no-print-directory"]


def make_list(var):
    out = subprocess.run(MAKE + ["print-" + var], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.split()


def cmake_targets():
    """{target name: (set of compiled source paths relative to the top of the tree,
    set of macros defined in all its compile groups)}"""
    reply = os.path.join(ROOT, BUILD, ".cmake", "api", "v1", "reply")
    index = sorted(glob.glob(os.path.join(reply, "index-*.json")))
    if not index:
        sys.exit("sources.py: no CMake file-API reply in %s (configure with the codemodel-v2 query)" % reply)
    with open(index[-1]) as f:
        model = json.load(f)["reply"]["codemodel-v2"]["jsonFile"]
    with open(os.path.join(reply, model)) as f:
        config = json.load(f)["configurations"][0]
    targets, defines = {}, {}
    for t in config["targets"]:
        with open(os.path.join(reply, t["jsonFile"])) as f:
            target = json.load(f)
        targets[t["name"]] = {s["path"] for s in target.get("sources", []) if "compileGroupIndex" in s}
        groups = [{d["define"] for d in g.get("defines", [])} for g in target.get("compileGroups", [])]
        defines[t["name"]] = set.intersection(*groups) if groups else set()
    return targets, defines


def same(what, make_srcs, cmake_srcs):
    make_srcs, cmake_srcs = set(make_srcs), set(cmake_srcs)
    check(make_srcs == cmake_srcs,
          "%s: only in the Makefile %s, only in CMake %s"
          % (what, sorted(make_srcs - cmake_srcs), sorted(cmake_srcs - make_srcs)))


cm, defs = cmake_targets()
lib = make_list("LIB_SRCS")
check(len(lib) > 0, "the Makefile's LIB_SRCS is not empty")
same("library (lrelu_objects vs LIB_SRCS)", lib, cm.get("lrelu_objects", ()))
same("test-support library (lrelu_test_objects vs LIB_SRCS)", lib, cm.get("lrelu_test_objects", ()))
same("command (lrelu_cli vs CLI_SRCS)", make_list("CLI_SRCS"), cm.get("lrelu_cli", ()))
same("seed example (lrelu_seed vs examples/seed.c + SEED_SRCS)", ["examples/seed.c"] + make_list("SEED_SRCS"),
     cm.get("lrelu_seed", ()))
tests = {os.path.basename(p) for p in make_list("TEST_PROGS")}
same("C test programs (CMake's LRELU_TESTS vs TEST_PROGS)", tests,
     {n for n in cm if n.startswith("test_")})
for t in sorted(tests & set(cm)):
    same(t, ["tests/%s.c" % t], cm[t])
for t in ["lrelu_test_objects"] + sorted(tests & set(cm)):
    check("LRELU_TEST_SUPPORT" in defs.get(t, ()), "%s is compiled with LRELU_TEST_SUPPORT" % t)
for t in ("lrelu_objects", "lrelu_cli", "lrelu_seed", "lrelu_tour"):
    check(t in defs and "LRELU_TEST_SUPPORT" not in defs[t], "%s is compiled without LRELU_TEST_SUPPORT" % t)
# The Makefile: what `make -n -B` would run to build the shipped libraries, the command,
# the examples and the C tests; each compiler command is judged by the file it writes.
names = ["STATIC", "SHARED", "PROGRAMS", "EXAMPLES", "TEST_PROGS"]
goals = [g for n in names for g in make_list(n)]
dry = subprocess.run(MAKE + ["-n", "-B"] + goals, cwd=ROOT, capture_output=True, text=True,
                     check=True).stdout.splitlines()
test_lib_objs = set(make_list("TEST_LIB_OBJS"))
test_progs = set(make_list("TEST_PROGS"))
seen = {"test": 0, "shipped": 0}
for line in dry:
    m = re.search(r" -o (\S+)", line)
    if not m or "-c" not in line.split() and not re.search(r"\.c\b", line):
        continue
    out = m.group(1)
    has = "-DLRELU_TEST_SUPPORT" in line.split()
    if out in test_lib_objs or out in test_progs:
        seen["test"] += 1
        check(has, "make: %s is compiled with -DLRELU_TEST_SUPPORT" % out)
    else:
        seen["shipped"] += 1
        check(not has, "make: %s is compiled without -DLRELU_TEST_SUPPORT" % out)
check(seen["test"] == len(test_lib_objs) + len(test_progs),
      "make: every test-support object and test program compiled (%d)" % seen["test"])
check(seen["shipped"] >= len(lib) + 1, "make: the shipped objects and programs compiled (%d)" % seen["shipped"])
sys.exit(checks.summary("sources"))

"""setup.py - the lrelu extension for pip: the library is built by the project's Makefile.

The library's objects are compiled by `make build/liblrelu.a` with the project's flags
(C11, -ffp-contract=off, -fPIC), not with the flags this Python was built with, so that
results cannot depend on them; the extension links that archive statically and exports
only PyInit__lrelu (python/lrelu/_lrelu.map).  setuptools' build folders go under
build/python-setuptools, not into the source tree.
"""
import os
import re
import subprocess

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join("build", "python-setuptools")
STATIC = os.path.join("build", "liblrelu.a")


def version():
    with open(os.path.join(ROOT, "include", "lrelu.h")) as f:
        return re.search(r'#define LRELU_VERSION_STRING "([^"]+)"', f.read()).group(1)


class BuildExt(build_ext):
    def run(self):
        subprocess.check_call(["make", "-C", ROOT, "--no-print-directory", STATIC])
        super().run()


ext = Extension(
    "lrelu._lrelu",
    sources=["python/lrelu/_lrelu.c"],
    include_dirs=["include"],
    extra_compile_args=["-std=c11", "-ffp-contract=off", "-fvisibility=hidden"],
    extra_objects=[STATIC],
    extra_link_args=["-Wl,--version-script=python/lrelu/_lrelu.map"],
    libraries=["pthread", "m"],
    depends=["include/lrelu.h", "python/lrelu/_lrelu.map", STATIC],
)

os.makedirs(os.path.join(ROOT, BUILD), exist_ok=True)
setup(
    version=version(),
    ext_modules=[ext],
    cmdclass={"build_ext": BuildExt},
    options={"build": {"build_base": BUILD}, "egg_info": {"egg_base": BUILD}},
)

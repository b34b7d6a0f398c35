"""The package as installed: its files, the extension's exports, the stubs, the docs."""
import ast
import inspect
import os
import re
import subprocess
import sys
import sysconfig

import pytest

import lrelu
from conftest import ROOT

PKG = os.path.dirname(lrelu.__file__)


def test_installed_package_is_tested():
    if sys.prefix == sys.base_prefix:
        pytest.skip("not run from a venv (make test-python runs from one)")
    assert os.path.realpath(PKG).startswith(os.path.realpath(sys.prefix)), PKG


def test_extension_exports_only_its_init():
    ext = [f for f in os.listdir(PKG) if f.startswith("_lrelu") and f.endswith(".so")]
    assert len(ext) == 1
    r = subprocess.run(["nm", "-D", "--defined-only", os.path.join(PKG, ext[0])],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("nm: " + r.stderr)
    syms = [l.split()[-1] for l in r.stdout.splitlines() if l.strip()]
    assert syms == ["PyInit__lrelu"]


def test_no_build_output_in_the_source_tree():
    for d, _, files in os.walk(os.path.join(ROOT, "python")):
        assert not d.endswith(".egg-info"), d
        assert not [f for f in files if f.endswith(".so")], (d, files)


def test_version_is_the_headers():
    with open(os.path.join(ROOT, "include", "lrelu.h")) as f:
        v = re.search(r'#define LRELU_VERSION_STRING "([^"]+)"', f.read()).group(1)
    assert lrelu.__version__ == v


def test_error_class():
    assert issubclass(lrelu.Error, ValueError) and issubclass(lrelu.Error, RuntimeError)
    assert lrelu.Error.__module__ == "lrelu"


def test_signatures_and_help():
    sig = inspect.signature(lrelu.leaky_relu)
    assert str(sig) == "(x, negative_slope=None, *, framework='torch', dtype=None, out=None, inplace=False)"
    sig = inspect.signature(lrelu.leaky_relu_backward)
    assert str(sig) == ("(grad, x, negative_slope=None, *, framework='torch', dtype=None, out=None, "
                        "x_is_result=False)")
    for f in (lrelu.leaky_relu, lrelu.leaky_relu_backward, lrelu.set_num_threads, lrelu.get_num_threads):
        assert len(f.__doc__) > 40


def stub_names(path):
    tree = ast.parse(open(path).read())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.AnnAssign,)):
            names.add(node.target.id)
    return names


@pytest.mark.parametrize("module,stub", [("lrelu", "__init__.pyi"), ("lrelu.torch", "torch.pyi"),
                                         ("lrelu.mindspore", "mindspore/__init__.pyi"),
                                         ("lrelu.mindspore.nn", "mindspore/nn.pyi")])
def test_stubs_cover_the_public_names(module, stub):
    mod = __import__(module, fromlist=["x"])
    path = os.path.join(PKG, stub)
    assert os.path.exists(path)
    public = set(getattr(mod, "__all__", [])) - {"dtype"}
    assert public - stub_names(path) == set()
    assert os.path.exists(os.path.join(PKG, "py.typed"))


def test_make_python_in_tree_build():
    """make python builds what PYTHONPATH=build/python needs (README says so)."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        assert "PYTHONPATH=build/python" in f.read()

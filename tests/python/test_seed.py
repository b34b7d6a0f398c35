"""examples/seed.py prints the seed page's outputs character for character; the
lrelu.mindspore stand-in behaves as the part of MindSpore it stands for."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import lrelu
import lrelu.mindspore as mindspore
import lrelu.mindspore.nn as msnn
from lrelu.mindspore import Tensor
from conftest import ROOT, assert_same_bits

PAGE = os.path.join(ROOT, "..", "shared", "seed", "leakyrelu-api-mapping.md")
SEED_ARRAY = "[[-0.2  4.  -1.6]\n [ 2.  -1.   9. ]]"


def page_outputs():
    """The arrays the page prints: the commented lines after each print()."""
    if not os.path.exists(PAGE):  # the page travels beside the repository
        return None
    blocks, cur = [], []
    with open(PAGE, encoding="utf-8") as f:
        for line in f.read().splitlines():
            m = re.match(r"^# (\[\[.*|\s\[.*)$", line)
            if m:
                cur.append(m.group(1))
                if m.group(1).endswith("]]"):
                    blocks.append("\n".join(cur))
                    cur = []
    return blocks


def test_seed_example_prints_the_page():
    r = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "seed.py")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    want = page_outputs()
    if want is None:
        want = [SEED_ARRAY] * 4
    assert len(want) == 4
    assert r.stdout == "".join(w + "\n" for w in want)
    # the same arrays as the C example's golden output
    with open(os.path.join(ROOT, "tests", "golden", "seed.txt")) as f:
        golden = re.findall(r"^(\[\[.*\n \[.*\]\])$", f.read(), re.M)
    assert r.stdout == "".join(g + "\n" for g in golden)


def test_seed_example_is_the_page_code():
    """Only import lines differ from the page's code blocks."""
    if not os.path.exists(PAGE):
        pytest.skip("seed page not beside the repository")
    with open(PAGE, encoding="utf-8") as f:
        page = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    with open(os.path.join(ROOT, "examples", "seed.py"), encoding="utf-8") as f:
        ours = f.read()

    def code(text):
        return [l for l in text.splitlines() if l.strip() and not l.startswith("#")
                and not l.startswith("import") and not l.startswith("from")]

    assert code(ours) == code("".join(page))


def test_tensor_standin():
    x = Tensor([[-1.0, 4.0, -8.0], [2.0, -5.0, 9.0]])
    assert x.dtype == mindspore.float32 and repr(x.dtype) == "Float32"
    assert x.shape == (2, 3)
    assert str(x) == str(np.array([[-1.0, 4.0, -8.0], [2.0, -5.0, 9.0]], np.float32))
    assert x.asnumpy().dtype == np.float32
    d = x.astype(mindspore.float64)
    assert d.dtype == mindspore.float64 and d.asnumpy().dtype == np.float64
    assert x.astype("float16").dtype == mindspore.float16
    assert Tensor(np.zeros(3)).dtype == mindspore.float64  # an ndarray keeps its dtype
    assert Tensor([1.0], dtype=mindspore.float16).dtype == mindspore.float16
    y = msnn.LeakyReLU()(x)
    assert str(y) == SEED_ARRAY
    assert repr(y).startswith("Tensor(shape=[2, 3], dtype=Float32, value=\n[[-0.2")
    with pytest.raises(TypeError):
        Tensor(["a"])


def test_standin_numerics():
    x = np.array([-3.0, -1.0, 0.0, 2.5, -65504.0], np.float16)
    y = msnn.LeakyReLU()(Tensor(x))
    assert y.dtype == mindspore.float16
    # MindSpore: the slope cast to half, one rounding (docs/semantics.md section 6)
    assert_same_bits(y.asnumpy(), np.array([-0.599609375, -0.199951171875, 0.0, 2.5, -13096.0], np.float16))
    assert_same_bits(y.asnumpy(), lrelu.leaky_relu(x, 0.2, framework="mindspore"))
    b = Tensor([-3.0, 1.5], dtype=mindspore.bfloat16)
    assert b.dtype == mindspore.bfloat16 and repr(b.dtype) == "BFloat16"
    yb = msnn.LeakyReLU(0.5)(b)
    assert yb.dtype == mindspore.bfloat16
    assert_same_bits(yb.asnumpy(), np.array([-1.5, 1.5], np.float32))
    # float16 values are bfloat16 values only where they fit its 8 bits of precision
    assert_same_bits(Tensor(np.array([-3.0, 0.5], np.float32)).astype("bfloat16").asnumpy(),
                     np.array([-3.0, 0.5], np.float32))


def test_standin_module():
    m = msnn.LeakyReLU()
    assert repr(m) == "LeakyReLU<>" and m.alpha == 0.2
    with pytest.raises(TypeError, match="assign the output to the input instead"):
        msnn.LeakyReLU(inplace=True)
    for bad in ("0.2", None, True):
        with pytest.raises(TypeError, match="alpha"):
            msnn.LeakyReLU(bad)
    with pytest.raises(TypeError):
        m(np.zeros(3, np.float32))

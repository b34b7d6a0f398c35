"""framework='jax' and 'onnxruntime' (alias 'ort'): bits against the formulas read from their
source, written here with NumPy/PyTorch arithmetic; refusals; gradients; emulate()."""
import numpy as np
import pytest
import torch
from torch import nn

import lrelu
import lrelu.torch as lt
from conftest import assert_same_bits, specials

SLOPES = [0.01, 0.2, -0.5, 0.0, 1.5, 0.1, float("nan"), float("inf")]


def values(dtype, rng, n=2000):
    x = np.concatenate([specials(np.float64), rng.standard_normal(n) * 10.0 ** rng.integers(-6, 6, n)])
    with np.errstate(over="ignore"):
        return x.astype(dtype)


def jax_slope(slope, dtype):
    """JAX's weak Python float: float32 in the default mode, then the array's dtype;
    a double under jax_enable_x64, the only mode with float64 arrays."""
    return np.float64(slope) if dtype == np.float64 else np.float32(slope)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("slope", SLOPES)
def test_jax_numpy(dtype, slope, rng):
    x = values(dtype, rng)
    s = dtype(jax_slope(slope, dtype))
    with np.errstate(all="ignore"):
        want = np.where(x >= 0, x, x * s)  # float16 products: NumPy rounds once, as JAX
    got = lrelu.leaky_relu(x, slope, framework="jax")
    assert_same_bits(got, want, np.dtype(dtype).name, nan_any=slope != slope)
    if dtype == np.float32:
        assert_same_bits(lrelu.leaky_relu(x, slope, framework="onnxruntime"), want, "float32",
                         nan_any=slope != slope)
        assert_same_bits(lrelu.leaky_relu(x, slope, framework="ort"), want, "float32",
                         nan_any=slope != slope)


@pytest.mark.parametrize("slope", [0.01, 0.2, -0.5, 1.5])
def test_jax_bfloat16_one_rounding(slope):
    x = torch.arange(-32768, 32768, dtype=torch.int32).to(torch.int16).view(torch.bfloat16)
    s = torch.tensor(float(np.float32(slope))).to(torch.bfloat16)  # the slope as a bfloat16
    want = torch.where(x >= 0, x, x * s)  # PyTorch's bfloat16 mul rounds once
    got = lrelu.leaky_relu(x, slope, framework="jax")
    assert_same_bits(got, want, "bfloat16", nan_any=True)
    # PyTorch's own leaky_relu rounds twice: JAX and PyTorch differ somewhere
    assert not torch.equal(got.view(torch.int16), torch.nn.functional.leaky_relu(x, slope).view(torch.int16))


def test_zero_and_nan_edges():
    x = np.array([0.0, -0.0, np.nan, -np.inf, np.inf, -2.0], dtype=np.float32)
    y = lrelu.leaky_relu(x, -0.5, framework="jax")
    assert np.signbit(y[1]) and y[1] == 0, "-0.0 kept"
    assert np.signbit(lrelu.leaky_relu(x, -0.5)[1]) == False, "PyTorch: s * -0.0 = +0.0"
    snan = np.array([0x7F800001], dtype=np.uint32).view(np.float32)
    for fw in ("jax", "onnxruntime"):
        assert lrelu.leaky_relu(snan, 0.01, framework=fw).view(np.uint32)[0] == 0x7FC00001
    assert lrelu.leaky_relu(snan, 0.01, framework="onnx").view(np.uint32)[0] == 0x7F800001


@pytest.mark.parametrize("dtype", [np.float64, np.float16])
def test_onnxruntime_float32_only(dtype):
    x = np.zeros(3, dtype=dtype)
    with pytest.raises(lrelu.Error, match=r"registered for tensor\(float\) only: for %s" % np.dtype(dtype).name):
        lrelu.leaky_relu(x, framework="onnxruntime")
    with pytest.raises(lrelu.Error, match="bfloat16"):
        lrelu.leaky_relu(torch.zeros(3, dtype=torch.bfloat16), framework="ort")


def test_defaults_and_names(rng):
    x = values(np.float32, rng, 100)
    for fw in ("jax", "onnxruntime", "ort"):
        assert_same_bits(lrelu.leaky_relu(x, framework=fw), lrelu.leaky_relu(x, 0.01, framework=fw))
    for bad in ("JAX", "onnx_runtime", "jax\0", "ORT"):
        with pytest.raises(lrelu.Error, match="is not one of .*'jax', 'onnxruntime'"):
            lrelu.leaky_relu(x, framework=bad)


def test_gradients():
    x = np.array([0.0, -0.0, -1.0, 1.0, np.nan, -np.inf], dtype=np.float32)
    g = np.full(6, 4.0, dtype=np.float32)
    got = lrelu.leaky_relu_backward(g, x, 0.25, framework="jax")
    assert_same_bits(got, np.array([4.0, 4.0, 1.0, 4.0, 1.0, 1.0], dtype=np.float32))
    # autograd on a tensor: the gradient at 0 is 1 (PyTorch's: the slope)
    t = torch.tensor([0.0, -0.0, -3.0, 2.0], requires_grad=True)
    lrelu.leaky_relu(t, 0.25, framework="jax").sum().backward()
    assert t.grad.tolist() == [1.0, 1.0, 0.25, 1.0]
    with pytest.raises(lrelu.Error, match="inference kernel"):
        lrelu.leaky_relu_backward(g, x, 0.25, framework="onnxruntime")
    with pytest.raises(lrelu.Error, match="no in-place form"):
        lrelu.leaky_relu_backward(g, x, 0.25, framework="jax", x_is_result=True)


def test_emulate():
    m = nn.Sequential(nn.Linear(3, 3), nn.LeakyReLU(0.2))
    x = torch.randn(5, 3)
    lt.emulate(m, "jax")
    assert repr(m[1]) == "leaky_relu(negative_slope=0.2)"
    assert_same_bits(m[1](x), lrelu.leaky_relu(x, 0.2, framework="jax"))
    xg = x.clone().requires_grad_()
    m(xg).sum().backward()
    assert xg.grad is not None
    lt.emulate(m, "onnxruntime")
    assert repr(m[1]) == "LeakyRelu(alpha=0.2)"
    assert_same_bits(m[1](x), lrelu.leaky_relu(x, 0.2, framework="onnxruntime"))
    back = lt.emulate(m, "torch")
    assert isinstance(back[1], lt.LeakyReLU) and back[1].negative_slope == 0.2

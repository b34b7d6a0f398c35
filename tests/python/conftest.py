"""Shared helpers for the Python package's tests."""
import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def bits(a):
    """The bit patterns of an array or tensor, as an unsigned integer NumPy array."""
    try:
        import torch
        if isinstance(a, torch.Tensor):
            a = a.detach()
            if a.is_quantized:
                return a.int_repr().numpy().copy()
            if a.dtype in (torch.bfloat16, torch.float16):
                return a.contiguous().view(torch.int16).numpy().view(np.uint16).copy()
            a = a.contiguous().numpy()
    except ImportError:
        pass
    a = np.ascontiguousarray(a)
    return a.view({1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize])


def isnan_bits(b, dtype):
    """NaN positions of a bit-pattern array of the given dtype name."""
    if dtype == "float16":
        return np.isnan(b.view(np.float16))
    if dtype == "bfloat16":
        return ((b & 0x7F80) == 0x7F80) & ((b & 0x7F) != 0)
    return np.isnan(b.view(np.float32 if dtype == "float32" else np.float64))


def assert_same_bits(got, want, dtype=None, nan_any=False):
    """Bit for bit; with nan_any, a NaN where the reference has a NaN is enough."""
    g, w = bits(got), bits(want)
    assert g.shape == w.shape, (g.shape, w.shape)
    if nan_any:
        both = isnan_bits(g, dtype) & isnan_bits(w, dtype)
        g, w = np.where(both, 0, g), np.where(both, 0, w)
    bad = np.flatnonzero(g.ravel() != w.ravel())
    assert bad.size == 0, "%d elements differ, first at %d: %#x != %#x" % (
        bad.size, bad[0], g.ravel()[bad[0]], w.ravel()[bad[0]])


def specials(dtype=np.float32):
    v = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 3.0, -3.0, np.inf, -np.inf, np.nan, -np.nan,
         1e-30, -1e-30, 1e-40, -1e-40, 3e38, -3e38, 1e-45, -1e-45]
    with np.errstate(over="ignore"):
        return np.array(v, dtype=dtype)


@pytest.fixture(scope="session")
def rng():
    return np.random.default_rng(12)


@pytest.fixture(autouse=True)
def _one_thread():
    import lrelu
    yield
    lrelu.set_num_threads(0)


needs_torch = pytest.mark.skipif("torch" not in sys.modules and
                                 __import__("importlib").util.find_spec("torch") is None,
                                 reason="PyTorch is not installed")

"""lrelu.leaky_relu / leaky_relu_backward on NumPy arrays: every dtype, layout and refusal."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lrelu
from conftest import assert_same_bits, bits, specials

SLOPES = [0.01, 0.2, -0.5, 0.0, 1.5, float("nan")]


def values(dtype, rng, n=4099):
    x = np.concatenate([specials(np.float64), rng.standard_normal(n) * 10.0 ** rng.integers(-8, 8, n)])
    with np.errstate(over="ignore"):
        return x.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("slope", SLOPES)
def test_float_against_torch(dtype, slope, rng):
    x = values(dtype, rng)
    want = F.leaky_relu(torch.from_numpy(x), slope).numpy()
    got = lrelu.leaky_relu(x, slope)
    assert type(got) is np.ndarray and got.dtype == dtype
    # Where both the input and the slope are NaN PyTorch's bits depend on the SIMD lane.
    assert_same_bits(got, want, np.dtype(dtype).name, nan_any=slope != slope)


@pytest.mark.parametrize("slope", [0.2, 0.01, -0.5])
@pytest.mark.parametrize("container", [np.uint16, np.int16])
def test_bfloat16_every_pattern(slope, container):
    x = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(container)
    want = F.leaky_relu(torch.from_numpy(x.view(np.int16)).view(torch.bfloat16), slope)
    got = lrelu.leaky_relu(x, slope, dtype="bfloat16")
    assert got.dtype == container
    # PyTorch's bfloat16 NaN bits depend on the element's position (docs/semantics.md).
    assert_same_bits(got.view(np.uint16), want, "bfloat16", nan_any=True)


@pytest.mark.parametrize("slope", [0.2, 0.01, -0.5, 1e-3])
def test_float16_every_pattern(slope):
    # PyTorch >= 2.1: float(x) * float(slope), rounded to half (1.13 refuses float16).
    x = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)
    xf = x.astype(np.float32)
    with np.errstate(all="ignore"):
        want = np.where(xf > 0, xf, xf * np.float32(slope)).astype(np.float16)
    got = lrelu.leaky_relu(x, slope)
    assert got.dtype == np.float16
    assert_same_bits(got, want)
    assert_same_bits(lrelu.leaky_relu(x.view(np.uint16), slope, dtype="float16"), want)


def test_default_slope_is_the_frameworks(rng):
    x = values(np.float32, rng, 100)
    for fw, s in [("torch", 0.01), ("onnx", 0.01), ("mindspore", 0.2), ("tensorflow", 0.2)]:
        assert_same_bits(lrelu.leaky_relu(x, framework=fw), lrelu.leaky_relu(x, s, framework=fw))
        assert_same_bits(lrelu.leaky_relu(x, None, framework=fw), lrelu.leaky_relu(x, s, framework=fw))
    assert not np.array_equal(lrelu.leaky_relu(x, framework="mindspore"), lrelu.leaky_relu(x))


def test_mindspore_float64_slope_goes_through_float32():
    x = np.array([-1.0, -8.0, 2.0])
    got = lrelu.leaky_relu(x, 0.2, framework="mindspore")
    s = np.float64(np.float32(0.2))
    assert_same_bits(got, np.array([-1.0 * s, -8.0 * s, 2.0]))
    assert_same_bits(lrelu.leaky_relu(x, 0.2), np.array([-1.0 * 0.2, -8.0 * 0.2, 2.0]))


LAYOUTS = {
    "C": lambda a: a,
    "F": lambda a: np.asfortranarray(a),
    "transposed": lambda a: a.T,
    "negative": lambda a: a[::-1, ::-2],
    "sliced": lambda a: a[1:, 3:17:3],
    "broadcast": lambda a: np.broadcast_to(a[:1], a.shape),
    "0-d": lambda a: a[2, 5],
    "0-d array": lambda a: np.array(a[2, 5]),
    "empty": lambda a: a[:0],
    "empty 3-d": lambda a: a.reshape(6, 2, 21)[:, :0, :],
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_layouts_zero_copy(layout, dtype, rng):
    base = (rng.standard_normal((12, 21)) * 4).astype(dtype)
    x = LAYOUTS[layout](base)
    before = base.copy()
    want = lrelu.leaky_relu(np.ascontiguousarray(x), 0.2)
    got = lrelu.leaky_relu(x, 0.2)
    assert np.shape(got) == np.shape(x) and got.dtype == dtype
    assert_same_bits(got, want)
    assert_same_bits(base, before)  # the input is only read
    out = np.full(np.shape(x), 7, dtype)
    assert lrelu.leaky_relu(x, 0.2, out=out) is out
    assert_same_bits(out, want)
    if np.ndim(x) and x.flags.writeable:
        assert lrelu.leaky_relu(x, 0.2, inplace=True) is x
        assert_same_bits(x, want)


def test_out_strided_and_negative(rng):
    x = rng.standard_normal((8, 9)).astype(np.float32)
    big = np.zeros((16, 20), np.float32)
    out = big[::-2, 1::2][:, :9]
    lrelu.leaky_relu(x, 0.1, out=out)
    assert_same_bits(out, lrelu.leaky_relu(x, 0.1))
    assert np.count_nonzero(big) == np.count_nonzero(out)  # nothing outside out was written


def test_inplace_writes_x_only(rng):
    x = rng.standard_normal(1000).astype(np.float32)
    want = lrelu.leaky_relu(x, 0.3)
    y = x.copy()
    assert lrelu.leaky_relu(y, 0.3, inplace=True) is y
    assert_same_bits(y, want)


def test_big_endian_refused():
    x = np.array([-1.0, 2.0], dtype=">f4")
    with pytest.raises(lrelu.Error, match="byte order"):
        lrelu.leaky_relu(x)
    with pytest.raises(lrelu.Error, match="byte order"):
        lrelu.leaky_relu(np.array([-1.0, 2.0], np.float32), out=np.empty(2, ">f4"))
    # the same values in native order are computed
    assert_same_bits(lrelu.leaky_relu(x.astype("=f4")), np.array([-0.01, 2.0], np.float32))


def test_refusals(rng):
    x = np.array([-1.0, 2.0, -3.0], np.float32)
    ro = x.copy()
    ro.flags.writeable = False
    with pytest.raises(lrelu.Error, match="x: the array is read-only"):
        lrelu.leaky_relu(ro, inplace=True)
    with pytest.raises(lrelu.Error, match="out: the array is read-only"):
        lrelu.leaky_relu(x, out=ro)
    assert_same_bits(ro, x)
    with pytest.raises(lrelu.Error, match=r"out: shape \(2,\) does not match x's shape \(3,\)"):
        lrelu.leaky_relu(x, out=np.empty(2, np.float32))
    with pytest.raises(lrelu.Error, match="out: dtype float64 does not match x's dtype float32"):
        lrelu.leaky_relu(x, out=np.empty(3, np.float64))
    with pytest.raises(lrelu.Error, match="x: an array of format 'l'|x: an array of format 'q'"):
        lrelu.leaky_relu(np.arange(3))
    with pytest.raises(lrelu.Error, match="x: a uint16 array: pass dtype='bfloat16'"):
        lrelu.leaky_relu(np.zeros(3, np.uint16))
    with pytest.raises(lrelu.Error, match="dtype='bfloat16' does not match"):
        lrelu.leaky_relu(x, dtype="bfloat16")
    with pytest.raises(lrelu.Error, match="dtype: 'int8' is not one of"):
        lrelu.leaky_relu(x, dtype="int8")
    with pytest.raises(lrelu.Error, match="framework: 'caffe' is not one of"):
        lrelu.leaky_relu(x, framework="caffe")
    with pytest.raises(lrelu.Error, match="out: cannot be given with inplace=True"):
        lrelu.leaky_relu(x, out=np.empty(3, np.float32), inplace=True)
    rec = np.zeros(4, dtype=[("a", np.float32), ("b", np.int8)])
    with pytest.raises(lrelu.Error):
        lrelu.leaky_relu(rec)
    with pytest.raises(lrelu.Error, match="overlap|single memory location"):
        lrelu.leaky_relu(np.ones(4, np.float32), out=np.lib.stride_tricks.as_strided(
            np.zeros(1, np.float32), (4,), (0,)))
    with pytest.raises(lrelu.Error, match="overlap|memory location"):
        z = np.zeros(10, np.float32)
        lrelu.leaky_relu(z[1:], out=z[:-1])
    # adjacent but not overlapping: accepted
    z = np.array([-1, -2, -3, -4, 5, 6, 7, 8], np.float32)
    lrelu.leaky_relu(z[:4], 0.5, out=z[4:])
    assert_same_bits(z[4:], np.array([-0.5, -1, -1.5, -2], np.float32))
    # a slope float32 cannot hold: PyTorch's refusal
    with pytest.raises(lrelu.Error, match="cannot be converted to type float"):
        lrelu.leaky_relu(x, 1e39)
    assert isinstance(lrelu.Error("m"), ValueError) and isinstance(lrelu.Error("m"), RuntimeError)


def test_type_errors():
    x = np.zeros(3, np.float32)
    for bad in ([1.0, 2.0], 1.0, "x", None):
        with pytest.raises(TypeError, match="x must be a NumPy array or a PyTorch tensor"):
            lrelu.leaky_relu(bad)
    with pytest.raises(TypeError, match="negative_slope must be a real number"):
        lrelu.leaky_relu(x, "0.2")
    with pytest.raises(TypeError, match="framework must be a str"):
        lrelu.leaky_relu(x, framework=1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'alpha'"):
        lrelu.leaky_relu(x, alpha=0.2)
    with pytest.raises(TypeError, match="at most 2 positional"):
        lrelu.leaky_relu(x, 0.2, "torch")
    with pytest.raises(TypeError, match="multiple values"):
        lrelu.leaky_relu(x, 0.2, negative_slope=0.1)
    with pytest.raises(TypeError, match="missing required argument 'x'"):
        lrelu.leaky_relu()
    with pytest.raises(TypeError, match="out must be a NumPy array like x"):
        lrelu.leaky_relu(x, out=torch.zeros(3))


def test_slope_kinds():
    x = np.array([-2.0], np.float32)
    for s in (1, np.float32(0.5), np.float64(0.5), True):
        assert lrelu.leaky_relu(x, s)[0] == np.float32(-2.0) * np.float32(float(s))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("slope", [0.2, -0.5, 0.0])
def test_backward_against_torch(dtype, slope, rng):
    x = values(dtype, rng, 1000)
    g = rng.standard_normal(x.size).astype(dtype)
    t = torch.from_numpy(x.copy()).requires_grad_()
    F.leaky_relu(t, slope).backward(torch.from_numpy(g))
    assert_same_bits(lrelu.leaky_relu_backward(g, x, slope), t.grad)
    out = np.empty_like(g)
    assert lrelu.leaky_relu_backward(g, x, slope, out=out) is out
    assert_same_bits(out, t.grad)
    g2 = g.copy()
    lrelu.leaky_relu_backward(g2, x, slope, out=g2)  # dx may be dy itself
    assert_same_bits(g2, t.grad)


def test_backward_from_result_and_refusals(rng):
    x = np.array([-2.0, 0.0, 3.0], np.float32)
    g = np.ones(3, np.float32)
    y = lrelu.leaky_relu(x, 0.2)
    assert_same_bits(lrelu.leaky_relu_backward(g, y, 0.2, x_is_result=True),
                     lrelu.leaky_relu_backward(g, x, 0.2))
    with pytest.raises(lrelu.Error, match="In-place leakyReLu backward calculation is triggered "
                                          "with a negative slope"):
        lrelu.leaky_relu_backward(g, y, -0.2, x_is_result=True)
    with pytest.raises(lrelu.Error, match="ONNX LeakyRelu defines no gradient"):
        lrelu.leaky_relu_backward(g, x, framework="onnx")
    with pytest.raises(lrelu.Error, match=r"grad: shape \(2,\) does not match x's shape \(3,\)"):
        lrelu.leaky_relu_backward(g[:2], x)


def test_mindspore_backward_ties():
    # MindSpore 2.8's autodiff of max(s*x, x): ties (x = +-0, +inf) split dy in half,
    # NaN gives both branches all of dy.
    x = np.array([-2.0, 0.0, -0.0, 3.0, np.inf, np.nan], np.float32)
    g = np.ones(6, np.float32)
    s = np.float32(0.2)
    half = np.float32(0.5)
    want = np.array([s, half + half * s, half + half * s, 1, half + half * s, 1 + s], np.float32)
    assert_same_bits(lrelu.leaky_relu_backward(g, x, 0.2, framework="mindspore"), want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_misaligned_arrays(dtype, rng):
    """Data not aligned to its elements (pickle protocol 5 frames, as Dask's workers get
    them) goes through an aligned copy or temporary: right results, right targets."""
    size = np.dtype(dtype).itemsize
    n = 37

    def misaligned(values):
        raw = np.zeros(n * size + 1, np.uint8)
        a = raw[1:].view(dtype)
        a[...] = values
        assert a.ctypes.data % size != 0
        return a

    x = (rng.standard_normal(n) * 3).astype(dtype)
    g = rng.standard_normal(n).astype(dtype)
    want = lrelu.leaky_relu(x, 0.2)
    xm = misaligned(x)
    assert_same_bits(lrelu.leaky_relu(xm, 0.2), want)
    out = misaligned(0)
    assert lrelu.leaky_relu(x, 0.2, out=out) is out
    assert_same_bits(out, want)
    out2 = misaligned(0)
    lrelu.leaky_relu(xm, 0.2, out=out2)
    assert_same_bits(out2, want)
    assert lrelu.leaky_relu(xm, 0.2, inplace=True) is xm
    assert_same_bits(xm, want)
    gm, xm = misaligned(g), misaligned(x)
    wantg = lrelu.leaky_relu_backward(g, x, 0.2)
    assert_same_bits(lrelu.leaky_relu_backward(gm, xm, 0.2), wantg)
    outg = misaligned(0)
    assert lrelu.leaky_relu_backward(gm, xm, 0.2, out=outg) is outg
    assert_same_bits(outg, wantg)
    assert_same_bits(gm, g)  # inputs untouched
    assert_same_bits(xm, x)

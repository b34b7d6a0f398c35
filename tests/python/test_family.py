"""lrelu.torch.RReLU / PReLU and lrelu.rrelu / prelu against PyTorch 1.13, bit for bit."""
import numpy as np
import pytest

import lrelu

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

import lrelu.torch as LT  # noqa: E402

DTYPES = [torch.float32, torch.float64, torch.bfloat16]


def bits(t):
    t = t.detach().contiguous()
    return t.view(torch.int16) if t.dtype == torch.bfloat16 else t.view(
        torch.int32 if t.dtype == torch.float32 else torch.int64)


def inputs(dt, n=300):
    x = (torch.randn(n, dtype=torch.float64, generator=torch.Generator().manual_seed(5)) * 2).to(dt)
    x[:4] = torch.tensor([float("nan"), -0.0, 0.0, float("-inf")]).to(dt)
    return x


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("seed", [0, 42, 2**32 + 5])
def test_rrelu_module_training_and_the_stream_after_it(dt, seed):
    x = inputs(dt)
    torch.manual_seed(seed)
    xa = x.clone().requires_grad_()
    ya = torch.nn.RReLU(0.1, 0.3)(xa)
    ya.backward(torch.ones_like(ya))
    after_a = torch.rand(5)
    torch.manual_seed(seed)
    xb = x.clone().requires_grad_()
    yb = LT.RReLU(0.1, 0.3)(xb)
    yb.backward(torch.ones_like(yb))
    after_b = torch.rand(5)
    nan = ya.isnan()
    assert torch.equal(bits(ya)[~nan], bits(yb)[~nan]) and yb.isnan()[nan].all()
    assert torch.equal(bits(xa.grad), bits(xb.grad))
    assert torch.equal(after_a, after_b)


def test_rrelu_inplace_and_eval():
    torch.manual_seed(3)
    want = F.rrelu(inputs(torch.float32), 0.2, 0.4, training=True)
    torch.manual_seed(3)
    x = inputs(torch.float32)
    got = LT.rrelu(x, 0.2, 0.4, training=True, inplace=True)
    assert got.data_ptr() == x.data_ptr() and torch.equal(bits(got)[1:], bits(want)[1:])
    m = LT.RReLU()
    m.eval()
    x = inputs(torch.float64)
    assert torch.equal(bits(m(x))[1:], bits(F.rrelu(x))[1:])
    with pytest.raises(lrelu.Error, match="Lower bound should be less than or equal"):
        LT.rrelu(x, 0.5, 0.1, training=True)


def test_reprs():
    assert repr(LT.RReLU()) == repr(torch.nn.RReLU())
    assert repr(LT.RReLU(0.1, 0.3, True)) == repr(torch.nn.RReLU(0.1, 0.3, True))
    assert repr(LT.PReLU(3, 0.1)) == repr(torch.nn.PReLU(3, 0.1))


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("last", [False, True])
def test_prelu_module(dt, last):
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64).to(dt)
    if last:
        x = x.contiguous(memory_format=torch.channels_last)
    a, b = torch.nn.PReLU(3).to(dt), LT.PReLU(3).to(dt)
    with torch.no_grad():
        a.weight.copy_(torch.tensor([0.25, -0.5, 2.0]))
        b.weight.copy_(a.weight)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ya, yb = a(xa), b(xb)
    g = torch.randn(ya.shape, dtype=torch.float64).to(dt)
    ya.backward(g)
    yb.backward(g)
    assert torch.equal(bits(ya), bits(yb)) and torch.equal(bits(xa.grad), bits(xb.grad))
    tol = {torch.float32: 1e-4, torch.float64: 1e-12, torch.bfloat16: 0.1}[dt]
    assert torch.allclose(a.weight.grad.double(), b.weight.grad.double(), rtol=tol, atol=tol)


def test_prelu_refusal():
    with pytest.raises(lrelu.Error, match="Found parameter numbers = 4 and channel size = 1."):
        LT.prelu(torch.ones(3), torch.ones(4))


def test_numpy_forms():
    g = lrelu.Generator(0)
    x = np.array([-1.0, 2.0, -0.0], np.float32)
    y, noise = lrelu.rrelu(x, training=True, generator=g)
    torch.manual_seed(0)
    n_t = torch.empty(3)
    y_t = torch.ops.aten.rrelu_with_noise(torch.from_numpy(x), n_t, 1 / 8, 1 / 3, True)
    assert np.array_equal(y.view(np.uint32), y_t.numpy().view(np.uint32))
    assert np.array_equal(noise, n_t.numpy())
    dx = lrelu.rrelu_backward(np.ones(3, np.float32), noise)
    assert np.array_equal(dx, noise)
    assert np.array_equal(lrelu.rrelu(x), F.rrelu(torch.from_numpy(x)).numpy())
    w = np.array([0.5, -0.25], np.float32)
    xx = np.array([[-1.0, -2.0], [3.0, -0.0]], np.float32)
    assert np.array_equal(lrelu.prelu(xx, w), F.prelu(torch.from_numpy(xx), torch.from_numpy(w)).numpy())
    dx, dw = lrelu.prelu_backward(np.ones_like(xx), xx, w)
    assert np.array_equal(dw, np.array([-1.0, -2.0], np.float32))
    with pytest.raises(TypeError):
        lrelu.rrelu(x, training=True)


def test_emulate_torch_swaps_rrelu_and_prelu():
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.PReLU(), torch.nn.RReLU(0.1, 0.2))
    w = model[1].weight
    x = torch.randn(5, 4)
    torch.manual_seed(9)
    want = model(x)
    after_want = torch.rand(3)
    LT.emulate(model, "torch")
    assert isinstance(model[1], LT.PReLU) and model[1].weight is w and isinstance(model[2], LT.RReLU)
    assert repr(model[2]) == "RReLU(lower=0.1, upper=0.2)"
    torch.manual_seed(9)
    got = model(x)
    assert torch.equal(bits(want), bits(got)) and torch.equal(after_want, torch.rand(3))


@pytest.mark.parametrize("wd", [torch.float32, torch.float64, torch.float16])
def test_prelu_bfloat16_input_with_a_weight_of_another_dtype(wd):
    """PyTorch 1.13 runs a bfloat16 x with any float weight (copied to bfloat16 through
    float); the weight's gradient comes back in the weight's dtype."""
    x = inputs(torch.bfloat16, 60).reshape(3, 4, 5)
    w = torch.tensor([1 + 2 ** -8 + 2 ** -30, -(1 + 2 ** -9), 0.1, -0.3], dtype=torch.float64).to(wd)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    wa, wb = w.clone().requires_grad_(), w.clone().requires_grad_()
    ya, yb = F.prelu(xa, wa), LT.prelu(xb, wb)
    g = torch.randn(ya.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    g = g.to(torch.bfloat16)
    ya.backward(g)
    yb.backward(g)
    nan = ya.isnan()
    assert torch.equal(bits(ya)[~nan], bits(yb)[~nan]) and bool(yb[nan].isnan().all())
    nan = xa.grad.isnan()
    assert torch.equal(bits(xa.grad)[~nan], bits(xb.grad)[~nan])
    assert wb.grad.dtype == wd
    ok = ~wa.grad.isnan()
    assert torch.allclose(wa.grad[ok].double(), wb.grad[ok].double(), rtol=0.02, atol=0.1)
    with pytest.raises(lrelu.Error, match="^Found dtype Double but expected Float$"):
        LT.prelu(torch.ones(2, 4), torch.ones(4, dtype=torch.float64))


def _ms_model(x, w, g):
    """MindSpore's CPU PReLU / PReLUGrad on float32, element by element in C order."""
    nc = w.size
    per = x.size if x.ndim < 2 else x.size // (x.shape[0] * x.shape[1])
    xf, gf = x.reshape(-1), g.reshape(-1)
    y, dx, acc = xf.copy(), gf.copy(), [np.float32(0)] * nc
    with np.errstate(all="ignore"):
        for i in range(xf.size):
            c = 0 if nc == 1 else (i // per) % nc
            if xf[i] < 0:
                y[i] = w[c] * xf[i]
                acc[c] = np.float32(acc[c] + xf[i] * gf[i])
            if xf[i] <= 0:
                dx[i] = w[c] * gf[i]
    return y.reshape(x.shape), dx.reshape(x.shape), np.array(acc, np.float32)


@pytest.mark.parametrize("nc", [1, 3])
def test_prelu_mindspore_numpy(nc):
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((2, 3, 4)) * 3).astype(np.float32)
    x.reshape(-1)[:5] = [np.nan, -0.0, 0.0, -np.inf, -1e-30]
    g = rng.standard_normal(x.shape).astype(np.float32)
    w = np.array([0.25, -0.5, 2.0], np.float32)[:nc]
    ym, dxm, dwm = _ms_model(x, w, g)
    y = lrelu.prelu(x, w, framework="mindspore")
    dx, dw = lrelu.prelu_backward(g, x, w, framework="mindspore")
    for a, b in ((y, ym), (dx, dxm), (dw, dwm)):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))
    with pytest.raises(lrelu.Error, match=r"must be a type of \{Tensor\[Float16\], Tensor\[Float32\]\}"):
        lrelu.prelu(x.astype(np.float64), w.astype(np.float64), framework="mindspore")
    with pytest.raises(lrelu.Error, match="is not one of"):
        lrelu.prelu(x, w, framework="caffe")


def test_mindspore_nn_prelu():
    import lrelu.mindspore as ms
    import lrelu.mindspore.nn as nn
    x = np.array([[[-1.0, 0.5], [-0.0, np.nan]], [[-2.0, 3.0], [-4.0, 1.0]]], np.float32)
    m = nn.PReLU(2, [0.1, -0.5])
    y = m(ms.Tensor(x))
    assert y.dtype is ms.float32 and repr(m) == "PReLU<>"
    w = np.array([0.1, -0.5], np.float32)
    assert np.array_equal(y.asnumpy().view(np.uint32), _ms_model(x, w, x)[0].view(np.uint32))
    # the float32 parameter cast to float16, the product rounded once
    y16 = nn.PReLU()(ms.Tensor(x).astype(ms.float16))
    want = np.where(x < 0, (np.float32(np.float16(0.25)) * x).astype(np.float16), x.astype(np.float16))
    assert y16.dtype is ms.float16 and np.array_equal(y16.asnumpy().view(np.uint16), want.view(np.uint16))
    with pytest.raises(TypeError, match=r"but got Tensor\[Float64\]"):
        nn.PReLU()(ms.Tensor(x).astype(ms.float64))
    with pytest.raises(TypeError, match=r"but got Tensor\[BFloat16\]"):
        nn.PReLU()(ms.Tensor(x).astype(ms.bfloat16))
    with pytest.raises(ValueError, match=r"number of channels: 2, but got \[3\]"):
        nn.PReLU(3)(ms.Tensor(x))
    with pytest.raises(ValueError):
        nn.PReLU(0)
    with pytest.raises(ValueError):
        nn.PReLU(2, [0.1])
    with pytest.raises(TypeError):
        nn.PReLU(1, 1)

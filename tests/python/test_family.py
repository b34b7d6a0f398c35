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

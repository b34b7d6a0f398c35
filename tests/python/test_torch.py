"""lrelu.leaky_relu on PyTorch tensors against the real PyTorch: bits, layouts, autograd,
version counters, quantized codes and refusals."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lrelu
from conftest import assert_same_bits, bits, specials

DTYPES = [torch.float32, torch.float64, torch.bfloat16]


def sample(dtype, n=1031, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.cat([torch.from_numpy(specials(np.float64)),
                   torch.randn(n, generator=g, dtype=torch.float64) * 100])
    return x.to(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("slope", [0.01, 0.2, -0.5, 0.0, 1.5])
def test_forward_bits(dtype, slope):
    x = sample(dtype)
    got = lrelu.leaky_relu(x, slope)
    assert isinstance(got, torch.Tensor) and got.dtype == dtype
    assert_same_bits(got, F.leaky_relu(x, slope), str(dtype)[6:], nan_any=dtype == torch.bfloat16)


def test_bfloat16_every_pattern_tensor():
    x = torch.arange(65536, dtype=torch.int32).to(torch.int16).view(torch.bfloat16)
    for s in (0.2, 0.01, -0.5):
        assert_same_bits(lrelu.leaky_relu(x, s), F.leaky_relu(x, s), "bfloat16", nan_any=True)


def test_float16_tensor_follows_torch_2_1():
    x = torch.arange(65536, dtype=torch.int32).to(torch.int16).view(torch.float16)
    for s in (0.2, 0.01):
        # PyTorch 1.13 refuses float16 on the CPU; 2.1's rule is the float computation
        # rounded to half once (its .half() may drop NaN payloads: any NaN there).
        want = F.leaky_relu(x.float(), s).half()
        assert_same_bits(lrelu.leaky_relu(x, s), want, "float16", nan_any=True)


LAYOUTS = {
    "transposed": lambda t: t.t(),
    "sliced": lambda t: t[1:, 2:19:3],
    "expanded": lambda t: t[:1].expand(7, -1),
    "0-d": lambda t: t[2, 3],
    "empty": lambda t: t[:, :0],
    "channels_last": lambda t: t.reshape(2, 3, 4, 7).contiguous(memory_format=torch.channels_last),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("dtype", DTYPES)
def test_layouts(layout, dtype):
    base = (torch.randn(12, 14) * 3).to(dtype)
    x = LAYOUTS[layout](base)
    before = base.clone()
    got = lrelu.leaky_relu(x, 0.2)
    want = F.leaky_relu(x, 0.2)
    assert got.shape == want.shape and (x.numel() < 2 or got.stride() == want.stride())
    assert_same_bits(got, want)
    assert_same_bits(base, before)
    out = torch.full(x.shape, 5.0, dtype=dtype)
    assert lrelu.leaky_relu(x, 0.2, out=out) is out
    assert_same_bits(out, want)


def test_inplace_and_views():
    x = torch.randn(6, 8)
    want = F.leaky_relu(x, 0.2)
    y = x.clone()
    view = y[:, ::2]
    v0 = y._version
    assert lrelu.leaky_relu(view, 0.2, inplace=True) is view
    assert y._version > v0  # a view shares its base's counter
    assert_same_bits(y[:, ::2], want[:, ::2])
    assert_same_bits(y[:, 1::2], x[:, 1::2])
    # the self-overlapping expanded tensor cannot be written in place (PyTorch refuses too)
    e = torch.zeros(1, 4).expand(3, 4)
    with pytest.raises(RuntimeError):
        F.leaky_relu(e, 0.2, inplace=True)
    with pytest.raises(RuntimeError):
        lrelu.leaky_relu(e, 0.2, inplace=True)


def test_out_bumps_version_and_autograd_sees_it():
    # mul saves x for its backward; overwriting x through lrelu must be noticed.
    w = torch.randn(5, requires_grad=True)
    x = torch.randn(5)
    y = w * x
    v = x._version
    lrelu.leaky_relu(torch.randn(5), 0.2, out=x)
    assert x._version > v
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    w2 = torch.randn(5, requires_grad=True)
    x2 = torch.randn(5)
    y2 = w2 * x2
    lrelu.leaky_relu(x2, 0.2, inplace=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y2.sum().backward()


def test_version_bumped_once_as_pytorch():
    # PyTorch's own out= and in-place ops bump the counter exactly once; so does lrelu,
    # through libtorch's own bump on the PyTorch this is built and tested with.
    x = torch.randn(7)
    for call, ref in ((lambda t: lrelu.leaky_relu(x, 0.2, out=t), lambda t: torch._C._nn.leaky_relu(x, 0.2, out=t)),
                      (lambda t: lrelu.leaky_relu(t, 0.2, inplace=True), lambda t: F.leaky_relu_(t, 0.2))):
        for grad_mode in (torch.enable_grad, torch.no_grad, torch.inference_mode):
            a, b = torch.randn(7), torch.randn(7)  # normal tensors, also in inference mode
            va, vb = a._version, b._version
            with grad_mode():
                call(a)
                ref(b)
                assert a._version - va == b._version - vb == 1
    if torch.__version__.startswith("1.13"):
        assert lrelu._lrelu._bump_path() == "libtorch"


def test_inference_tensor_targets_as_pytorch():
    x = torch.randn(6)
    with torch.inference_mode():
        inf, inf2 = torch.empty(6), torch.empty(6)
    for write in (lambda t: lrelu.leaky_relu(x, 0.2, out=t), lambda t: lrelu.leaky_relu(t, 0.2, inplace=True),
                  lambda t: torch._C._nn.leaky_relu(x, 0.2, out=t)):
        with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside InferenceMode"):
            write(inf)
    with torch.inference_mode():  # allowed there, as in PyTorch
        assert lrelu.leaky_relu(x, 0.2, out=inf) is inf
        torch._C._nn.leaky_relu(x, 0.2, out=inf2)
    assert_same_bits(inf, inf2)


def test_refusals_as_pytorch():
    leaf = torch.randn(4, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        F.leaky_relu(leaf, 0.2, inplace=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        lrelu.leaky_relu(leaf, 0.2, inplace=True)
    with torch.no_grad():  # allowed there, as in PyTorch
        lrelu.leaky_relu(leaf, 0.2, inplace=True)
    out = torch.empty(4, requires_grad=True)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        lrelu.leaky_relu(torch.randn(4), out=out)
    with pytest.raises(lrelu.Error, match="don't support automatic differentiation"):
        lrelu.leaky_relu(torch.randn(4, requires_grad=True), out=torch.empty(4))
    with torch.inference_mode():
        inf = torch.randn(4)
    with pytest.raises(RuntimeError, match="[Ii]nference"):
        lrelu.leaky_relu(inf, 0.2, inplace=True)
    with pytest.raises(RuntimeError, match="cannot be converted to type float"):
        F.leaky_relu(torch.randn(3), 1e39)
    with pytest.raises(RuntimeError, match="cannot be converted to type float"):
        lrelu.leaky_relu(torch.randn(3), 1e39)


def _inplace_targets():
    """(name, target, owner) for the in-place writes PyTorch refuses with grad mode on."""
    leaf = torch.tensor([-1.0, 2.0, -3.0], requires_grad=True)
    yield "leaf", leaf, leaf
    leaf = torch.tensor([-1.0, 2.0, -3.0], requires_grad=True)
    yield "view of a leaf", leaf[:2], leaf
    leaf = torch.tensor([-1.0, 2.0, -3.0], requires_grad=True)
    with torch.no_grad():
        view = leaf[:2]
    yield "view made under no_grad", view, leaf
    y = torch.tensor([[-1.0, 2.0, -3.0]], requires_grad=True) * 1
    yield "one of several views", y.unbind(0)[0], y


@pytest.mark.parametrize("case", range(4))
def test_inplace_refused_before_writing_as_pytorch(case):
    # PyTorch's check runs before anything is written; an autograd Function's own checks
    # come after its forward and pass a view of a leaf.
    got = []
    for write in (lambda t: lrelu.leaky_relu(t, 0.2, inplace=True), lambda t: F.leaky_relu_(t, 0.2)):
        name, target, owner = list(_inplace_targets())[case]
        before, v = owner.detach().clone(), owner._version
        with pytest.raises(RuntimeError) as e:
            write(target)
        assert owner._version == v, name
        assert (owner.grad_fn is None) if owner.is_leaf else owner.grad_fn.name() == "MulBackward0", name
        assert_same_bits(owner.detach(), before)
        got.append(str(e.value))
    assert got[0] == got[1]


def test_errors_name_the_argument():
    with pytest.raises(lrelu.Error, match="x: a tensor on device 'meta'"):
        lrelu.leaky_relu(torch.empty(3, device="meta"))
    with pytest.raises(lrelu.Error, match="x: dtype torch.int64 is not supported"):
        lrelu.leaky_relu(torch.arange(3))
    with pytest.raises(lrelu.Error, match="x: a tensor of layout torch.sparse_coo"):
        lrelu.leaky_relu(torch.eye(3).to_sparse())
    with pytest.raises(lrelu.Error, match=r"out: shape \(4,\) does not match x's shape \(3,\)"):
        lrelu.leaky_relu(torch.randn(3), out=torch.empty(4))
    with pytest.raises(lrelu.Error, match="out: dtype float64 does not match x's dtype float32"):
        lrelu.leaky_relu(torch.randn(3), out=torch.empty(3, dtype=torch.float64))
    with pytest.raises(TypeError, match="out must be a torch.Tensor like x"):
        lrelu.leaky_relu(torch.randn(3), out=np.empty(3, np.float32))
    with pytest.raises(lrelu.Error, match="dtype='bfloat16' does not match the tensor's dtype"):
        lrelu.leaky_relu(torch.randn(3), dtype="bfloat16")
    assert lrelu.leaky_relu(torch.randn(3, dtype=torch.bfloat16), dtype=torch.bfloat16).dtype == torch.bfloat16


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("slope", [0.2, -0.5, 0.0])
def test_autograd_bits(dtype, slope):
    x = sample(dtype, 257, seed=3)
    g = sample(dtype, 257, seed=4)
    a = x.clone().requires_grad_()
    b = x.clone().requires_grad_()
    F.leaky_relu(a, slope).backward(g)
    y = lrelu.leaky_relu(b, slope)
    assert y.requires_grad and y.grad_fn is not None
    y.backward(g)
    # PyTorch passes a signalling-NaN gradient through unchanged in its scalar tail but
    # quiets it in its vector body: any NaN there.
    assert_same_bits(b.grad, a.grad, str(dtype)[6:], nan_any=True)


@pytest.mark.parametrize("slope", [0.2, 0.0])
def test_backward_after_inplace(slope):
    x = torch.randn(300)
    a = x.clone().requires_grad_()
    b = x.clone().requires_grad_()
    g = torch.randn(300)
    F.leaky_relu(a * 1, slope, inplace=True).backward(g)
    ya = lrelu.leaky_relu(b * 1, slope, inplace=True)
    ya.backward(g)
    assert_same_bits(b.grad, a.grad)


def test_backward_after_inplace_negative_slope_refused():
    for f in (lambda t: F.leaky_relu(t, -0.2, inplace=True), lambda t: lrelu.leaky_relu(t, -0.2, inplace=True),
              lambda t: F.leaky_relu(t, float("nan"), inplace=True),
              lambda t: lrelu.leaky_relu(t, float("nan"), inplace=True)):
        x = torch.randn(5, requires_grad=True)
        y = f(x * 1)
        with pytest.raises(RuntimeError, match="In-place leakyReLu backward calculation is "
                                               "triggered with a negative slope"):
            y.sum().backward()


def test_double_backward_matches():
    x = torch.randn(50, dtype=torch.float64)
    res = []
    for f in (lambda t: F.leaky_relu(t, 0.3), lambda t: lrelu.leaky_relu(t, 0.3)):
        a = x.clone().requires_grad_()
        y = f(a * a)
        (g,) = torch.autograd.grad(y.sum(), a, create_graph=True)
        (gg,) = torch.autograd.grad((g * g).sum(), a)
        res.append((g.detach(), gg))
    assert_same_bits(res[1][0], res[0][0])
    assert_same_bits(res[1][1], res[0][1])
    assert torch.autograd.gradcheck(lambda t: lrelu.leaky_relu(t, 0.3), (x[:8].clone().requires_grad_(),))
    assert torch.autograd.gradgradcheck(lambda t: lrelu.leaky_relu(t, 0.3), (x[:8].clone().requires_grad_(),))


def test_no_grad_and_backward_function():
    x = torch.randn(10, requires_grad=True)
    with torch.no_grad():
        y = lrelu.leaky_relu(x, 0.2)
    assert y.grad_fn is None and not y.requires_grad
    g = torch.randn(10)
    a = x.detach().clone().requires_grad_()
    F.leaky_relu(a, 0.2).backward(g)
    assert_same_bits(lrelu.leaky_relu_backward(g, x.detach(), 0.2), a.grad)
    dx = lrelu.leaky_relu_backward(g, x, 0.2)  # x requires grad: a differentiable gradient
    assert_same_bits(dx.detach(), a.grad)


QSHAPES = {"63": (63,), "64": (64,), "65": (65,), "130": (130,), "2-d": (5, 70)}


@pytest.mark.parametrize("qdtype", [torch.quint8, torch.qint8])
@pytest.mark.parametrize("shape", list(QSHAPES))
@pytest.mark.parametrize("slope", [0.2, -0.5, 0.01])
def test_quantized_codes(qdtype, shape, slope):
    g = torch.Generator().manual_seed(7)
    zp = 77 if qdtype == torch.quint8 else -5
    q = torch.quantize_per_tensor(torch.randn(QSHAPES[shape], generator=g) * 2, 0.0123, zp, qdtype)
    views = [q] + ([q.t(), q[:, ::2], q[:, 3:60]] if q.dim() == 2 else [q[::2], q[1:]])
    for v in views:
        want = F.leaky_relu(v, slope)
        got = lrelu.leaky_relu(v, slope)
        assert got.dtype == qdtype and got.q_scale() == want.q_scale() and \
            got.q_zero_point() == want.q_zero_point()
        assert_same_bits(got, want)
        a, b = v.clone(), v.clone()
        torch._C._nn.leaky_relu_(a, slope)
        assert lrelu.leaky_relu(b, slope, inplace=True) is b
        assert_same_bits(b, a)
        out = torch._empty_affine_quantized(v.shape, scale=0.02, zero_point=zp + 3, dtype=qdtype)
        outw = torch._empty_affine_quantized(v.shape, scale=0.02, zero_point=zp + 3, dtype=qdtype)
        torch._C._nn.leaky_relu(v, slope, out=outw)
        lrelu.leaky_relu(v, slope, out=out)
        assert_same_bits(out, outw)


def test_quantized_channels_last():
    q = torch.quantize_per_tensor(torch.randn(2, 3, 5, 70), 0.05, 100, torch.quint8)
    q = q.contiguous(memory_format=torch.channels_last)
    want = F.leaky_relu(q, 0.2)
    got = lrelu.leaky_relu(q, 0.2)
    assert got.stride() == want.stride()
    assert_same_bits(got, want)


def test_quantized_refusals():
    q = torch.quantize_per_tensor(torch.randn(5), 0.1, 10, torch.quint8)
    with pytest.raises(lrelu.Error, match="quint8"):
        lrelu.leaky_relu(q, 0.2, framework="mindspore")
    with pytest.raises(lrelu.Error, match="quantization scheme"):
        lrelu.leaky_relu(torch.quantize_per_channel(torch.randn(2, 3), torch.tensor([0.1, 0.2]),
                                                    torch.tensor([1, 2]), 0, torch.quint8))

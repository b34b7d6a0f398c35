"""lrelu.torch: LeakyReLU against torch.nn.LeakyReLU, MindSporeLeakyReLU against MindSpore's
rules written out in NumPy, emulate() on a small real model."""
import copy
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import lrelu
import lrelu.torch as lt
from conftest import assert_same_bits, specials


@pytest.mark.parametrize("args", [(), (0.2,), (0.2, True), (1,), (1e-20, False), (float("nan"),),
                                  (-0.5, True), (1e16,)])
def test_repr_is_pytorchs(args):
    assert repr(lt.LeakyReLU(*args)) == repr(nn.LeakyReLU(*args))
    assert str(nn.Sequential(lt.LeakyReLU(*args))) == str(nn.Sequential(nn.LeakyReLU(*args)))


def test_is_a_torch_module():
    m = lt.LeakyReLU(0.3, inplace=True)
    assert isinstance(m, nn.LeakyReLU) and m.negative_slope == 0.3 and m.inplace
    assert lt.LeakyReLU().negative_slope == 0.01


def run_pair(make, dtype, inplace, slope, twice=False):
    x = (torch.randn(4, 33, generator=torch.Generator().manual_seed(1)) * 10).to(dtype)
    g = torch.randn(4, 33, generator=torch.Generator().manual_seed(2)).to(dtype)
    outs = []
    for m in (nn.LeakyReLU(slope, inplace), make(slope, inplace)):
        a = x.clone().requires_grad_()
        h = a * 1  # not a leaf, so in place is allowed
        y = m(h)
        if twice:
            y = m(y) + m(h * 2)
        y.backward(g)
        outs.append((y.detach(), a.grad))
    return outs


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("slope", [0.01, 0.2, 0.0])
def test_module_forward_backward(dtype, inplace, slope):
    (yt, gt), (yl, gl) = run_pair(lt.LeakyReLU, dtype, inplace, slope)
    assert_same_bits(yl, yt, str(dtype)[6:], nan_any=True)
    assert_same_bits(gl, gt, str(dtype)[6:], nan_any=True)


def test_module_used_twice_in_one_graph():
    (yt, gt), (yl, gl) = run_pair(lt.LeakyReLU, torch.float32, False, 0.2, twice=True)
    assert_same_bits(yl, yt)
    assert_same_bits(gl, gt)
    # In place, the second use overwrites what the first saved: both refuse the backward.
    for make in (nn.LeakyReLU, lt.LeakyReLU):
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            run_pair(lambda s, i: make(s, i), torch.float32, True, 0.2, twice=True)


def test_module_float16():
    x = torch.arange(65536, dtype=torch.int32).to(torch.int16).view(torch.float16)
    x = x[~torch.isnan(x)]
    g = torch.ones_like(x) * 0.3
    a = x.clone().requires_grad_()
    y = lt.LeakyReLU(0.2)(a)
    y.backward(g)
    assert_same_bits(y.detach(), F.leaky_relu(x.float(), 0.2).half())
    want = torch.where(x.float() > 0, g.float(), g.float() * 0.2).half()
    assert_same_bits(a.grad, want)


def test_module_inplace_refusals():
    leaf = torch.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        lt.LeakyReLU(0.2, inplace=True)(leaf)
    y = lt.LeakyReLU(-0.2, inplace=True)(leaf * 1)
    with pytest.raises(RuntimeError, match="In-place leakyReLu backward calculation is triggered"):
        y.sum().backward()


def test_module_no_grad():
    x = torch.randn(8, requires_grad=True)
    with torch.no_grad():
        y = lt.LeakyReLU(0.2)(x)
        z = nn.LeakyReLU(0.2)(x)
    assert y.grad_fn is None and not y.requires_grad
    assert_same_bits(y, z)


def test_functional_forms():
    x = torch.randn(20)
    assert_same_bits(lt.leaky_relu(x), F.leaky_relu(x))
    assert_same_bits(lt.leaky_relu(x, 0.3), F.leaky_relu(x, 0.3))
    a, b = x.clone(), x.clone()
    assert lt.leaky_relu_(a, 0.3) is a
    F.leaky_relu_(b, 0.3)
    assert_same_bits(a, b)
    c = x.clone()
    assert lt.leaky_relu(c, 0.3, inplace=True) is c
    assert_same_bits(c, b)


# ---- MindSpore: its rules written out independently (float32) --------------------------

def ms_forward(x, alpha):
    s = np.float32(alpha)
    with np.errstate(all="ignore"):
        p = x * s
    return np.where(p < x if alpha > 1 else p > x, p, x)


def ms_backward(g, x, alpha):
    s = np.float32(alpha)
    with np.errstate(all="ignore"):
        p = x * s
    lhs_wins, rhs_wins = (p < x, p > x) if alpha > 1 else (p > x, p < x)
    tie = p == x
    half = g * np.float32(0.5)
    g_l = np.where(lhs_wins, g, np.where(rhs_wins, 0, np.where(tie, half, g))).astype(np.float32)
    g_r = np.where(lhs_wins, 0, np.where(rhs_wins, g, np.where(tie, half, g))).astype(np.float32)
    with np.errstate(all="ignore"):
        return g_r + g_l * s


@pytest.mark.parametrize("alpha", [0.2, 0.01, 1.5, -0.5, 0.0])
def test_mindspore_module(alpha):
    x = np.concatenate([specials(), np.random.default_rng(3).standard_normal(300).astype(np.float32)])
    g = np.random.default_rng(4).standard_normal(x.size).astype(np.float32)
    m = lt.MindSporeLeakyReLU(alpha)
    t = torch.from_numpy(x.copy()).requires_grad_()
    y = m(t)
    y.backward(torch.from_numpy(g))
    assert_same_bits(y.detach(), ms_forward(x, alpha))
    assert_same_bits(t.grad, ms_backward(g, x, alpha))
    assert m.alpha == alpha


def test_mindspore_module_interface():
    assert repr(lt.MindSporeLeakyReLU()) == "LeakyReLU<>"
    assert repr(lt.MindSporeLeakyReLU(0.5)) == "LeakyReLU<>"
    assert lt.MindSporeLeakyReLU().alpha == 0.2
    with pytest.raises(TypeError, match=r"no 'inplace' parameter; assign the output to the input "
                                        r"instead \(x = m\(x\)\)"):
        lt.MindSporeLeakyReLU(0.2, inplace=True)
    for bad in ("0.2", None, True, [0.2], np.float32(0.2)):
        with pytest.raises(TypeError, match="alpha"):
            lt.MindSporeLeakyReLU(bad)
    lt.MindSporeLeakyReLU(1)  # MindSpore's validator takes an int as well
    with pytest.raises(TypeError):
        lt.MindSporeLeakyReLU(alpha=0.2, negative_slope=0.1)


# ---- emulate on a small real model ------------------------------------------------------

class Net(nn.Module):
    def __init__(self, inplace=False):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.act = nn.LeakyReLU(0.2, inplace=inplace)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 6 * 6, 5), nn.LeakyReLU())

    def forward(self, x):
        return self.head(self.act(self.conv(x)))


def run_net(net, x):
    net.zero_grad()
    xx = x.clone().requires_grad_()
    y = net(xx)
    y.backward(torch.linspace(-1, 1, y.numel()).reshape(y.shape))
    return y.detach(), xx.grad, [p.grad.clone() for p in net.parameters()]


@pytest.mark.parametrize("inplace", [False, True])
def test_emulate_torch_is_bit_identical(inplace):
    torch.manual_seed(0)
    net = Net(inplace)
    x = torch.randn(2, 3, 8, 8)
    ref = run_net(net, x)
    em = lt.emulate(copy.deepcopy(net), "torch")
    assert isinstance(em.act, lt.LeakyReLU) and isinstance(em.head[2], lt.LeakyReLU)
    assert em.act.inplace == inplace and em.head[2].negative_slope == 0.01
    assert str(em) == str(net)
    got = run_net(em, x)
    assert_same_bits(got[0], ref[0])
    assert_same_bits(got[1], ref[1])
    for a, b in zip(got[2], ref[2]):
        assert_same_bits(a, b)


@pytest.mark.parametrize("inplace", [False, True])
def test_emulate_mindspore_equals_the_librarys_results(inplace):
    torch.manual_seed(0)
    net = Net(inplace)
    x = torch.randn(2, 3, 8, 8)
    em = lt.emulate(copy.deepcopy(net), framework="mindspore")
    assert isinstance(em.act, lt.MindSporeLeakyReLU) and em.act.alpha == 0.2
    assert isinstance(em.head[2], lt.MindSporeLeakyReLU) and em.head[2].alpha == 0.01
    assert "LeakyReLU<>" in str(em)
    seen = {}

    def keep(name):
        def hook(mod, inp, out):
            seen[name] = (inp[0].detach().clone(), out)
            out.register_hook(lambda g: seen.__setitem__(name + ".grad", g.detach().clone()))
        return hook

    em.act.register_forward_hook(keep("act"))
    em.head[2].register_forward_hook(keep("head"))
    y, gx, gp = run_net(em, x)
    for name, alpha in (("act", 0.2), ("head", 0.01)):
        a, out = seen[name]
        assert_same_bits(out.detach(), lrelu.leaky_relu(a, alpha, framework="mindspore"))
    assert_same_bits(y, seen["head"][1].detach())
    # the gradient that reached the conv output is MindSpore's backward of the captured one
    conv_out = seen["act"][0]
    want = lrelu.leaky_relu_backward(seen["act.grad"], conv_out, 0.2, framework="mindspore")
    xx = x.clone().requires_grad_()
    c = em.conv(xx)
    c.retain_grad()
    out = em.head(em.act(c))
    out.backward(torch.linspace(-1, 1, out.numel()).reshape(out.shape))
    assert_same_bits(c.grad, want)
    # float32, finite activations, 0 <= slope <= 1: the two frameworks' forward bits agree
    ref = run_net(net, x)
    assert_same_bits(y, ref[0])
    # back to PyTorch's numerics, the in-place flag restored
    back = lt.emulate(em, "torch")
    assert isinstance(back.act, lt.LeakyReLU) and back.act.inplace == inplace
    assert_same_bits(run_net(back, x)[0], ref[0])


def test_emulate_other_frameworks_and_errors():
    m = nn.Sequential(nn.Linear(3, 3), nn.LeakyReLU(0.2))
    lt.emulate(m, "onnx")
    assert repr(m[1]) == "LeakyRelu(alpha=0.2)"
    x = torch.randn(4, 3)
    assert_same_bits(m[1](x), lrelu.leaky_relu(x, 0.2, framework="onnx"))
    lt.emulate(m, "tensorflow")
    assert repr(m[1]) == "leaky_relu(alpha=0.2)"
    assert isinstance(lt.emulate(nn.LeakyReLU(0.3), "mindspore"), lt.MindSporeLeakyReLU)
    with pytest.raises(lrelu.Error, match="framework: 'caffe'"):
        lt.emulate(m, "caffe")
    with pytest.raises(TypeError):
        lt.emulate(object(), "torch")


def test_import_lrelu_does_not_import_torch():
    import subprocess
    r = subprocess.run([sys.executable, "-c", "import sys, lrelu, numpy; "
                        "lrelu.leaky_relu(numpy.zeros(3, numpy.float32)); "
                        "print('torch' in sys.modules)"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


@pytest.mark.parametrize("alpha", [0.2, 0.01, 1.5])
def test_mindspore_module_float16(alpha):
    # MindSpore: the slope cast to half, the exact product rounded once (NumPy's float16
    # multiply), max(s*x, x) on the halves (min for alpha > 1).
    x = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)
    x = x[~np.isnan(x)]
    s = np.float16(np.float32(alpha))
    with np.errstate(all="ignore"):
        p = x * s
    want = np.where(p < x if alpha > 1 else p > x, p, x)
    got = lt.MindSporeLeakyReLU(alpha)(torch.from_numpy(x.copy()))
    assert got.dtype == torch.float16
    assert_same_bits(got, want)
    torch_rule = F.leaky_relu(torch.from_numpy(x).float(), alpha).half()
    if alpha != 1.5:  # 1.5 is a half: the two rules agree there
        assert not torch.equal(got, torch_rule)

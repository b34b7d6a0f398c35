"""lrelu.torch: PyTorch modules and functions with lrelu's numerics, autograd included.

LeakyReLU is a drop-in torch.nn.LeakyReLU (same bits, forward and backward);
MindSporeLeakyReLU gives mindspore.nn.LeakyReLU's bits inside a PyTorch model;
emulate(model, framework) swaps them into an existing model.  Importing this module
imports torch.
"""
import torch
from torch import nn

from . import _lrelu, _msargs
from ._lrelu import Error

__all__ = ["LeakyReLU", "MindSporeLeakyReLU", "emulate", "leaky_relu", "leaky_relu_",
           "RReLU", "PReLU", "rrelu", "prelu"]

_leaky_relu = _lrelu.leaky_relu
_forward_into = _lrelu._forward_into
_backward_into = _lrelu._backward_into
_leaky_relu_backward = _lrelu.leaky_relu_backward
_NAMES = ("torch", "mindspore", "onnx", "tensorflow", "jax", "onnxruntime")  # by lrelu_framework code


class LreluLeakyRelu(torch.autograd.Function):
    """y = LeakyReLU(x) with the library's forward and backward (framework given by code)."""

    @staticmethod
    def forward(ctx, x, fw, slope, inplace):
        if inplace:
            _forward_into(x, None, fw, slope)
            ctx.mark_dirty(x)
            y = x
        else:
            y = _leaky_relu(x, slope, framework=_NAMES[fw])
        # After an in-place forward only the result is left to take the gradient from
        # (PyTorch's leaky_relu_ derivative: self_is_result).
        ctx.save_for_backward(y if inplace else x)
        ctx.fw, ctx.slope, ctx.inplace = fw, slope, inplace
        return y

    @staticmethod
    def backward(ctx, dy):
        saved, = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: a differentiable gradient
            dx = LreluLeakyReluGrad.apply(dy, saved, ctx.fw, ctx.slope, ctx.inplace)
        else:
            dx = _leaky_relu_backward(dy, saved, ctx.slope, framework=_NAMES[ctx.fw],
                                      x_is_result=ctx.inplace)
        return dx, None, None, None


class LreluLeakyReluGrad(torch.autograd.Function):
    """dx = LeakyReLU'(x) * dy, differentiable again (for gradient penalties and the like).

    As PyTorch's derivative of leaky_relu_backward: linear in dy through the same rule,
    zero with respect to x."""

    @staticmethod
    def forward(ctx, dy, saved, fw, slope, is_result):
        dx = torch.empty_like(saved)
        _backward_into(dy, saved, dx, fw, slope, is_result)
        ctx.save_for_backward(saved)
        ctx.fw, ctx.slope = fw, slope
        return dx

    @staticmethod
    def backward(ctx, ddx):
        saved, = ctx.saved_tensors
        ddy = dsaved = None
        if ctx.needs_input_grad[0]:
            ddy = LreluLeakyReluGrad.apply(ddx, saved, ctx.fw, ctx.slope, False)
        if ctx.needs_input_grad[1]:
            dsaved = torch.zeros_like(saved)
        return ddy, dsaved, None, None, None


def _suggested_format(x):
    """PyTorch's suggest_memory_format(): channels-last strides keep channels-last."""
    if x.dim() == 4 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last):
        return torch.channels_last
    if x.dim() == 5 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last_3d):
        return torch.channels_last_3d
    return torch.contiguous_format


def _quantized_prepare(x):
    """The (input, output) pair PyTorch's out-of-place quantized leaky_relu computes on:
    x made contiguous in its suggested memory format, and a new tensor with x's
    quantization in that format.  Its codes depend on that layout (docs/quantized.md)."""
    fmt = _suggested_format(x)
    xc = x.contiguous(memory_format=fmt)
    y = torch._empty_affine_quantized(x.shape, scale=x.q_scale(), zero_point=x.q_zero_point(),
                                      dtype=x.dtype, memory_format=fmt)
    return xc, y


class LeakyReLU(nn.LeakyReLU):
    """torch.nn.LeakyReLU(negative_slope=0.01, inplace=False) computed by lrelu.

    The same bits as torch.nn.LeakyReLU forward and backward for float32, float64,
    bfloat16 and float16 (PyTorch >= 2.1's rule; 1.13 refuses float16 on the CPU),
    quantized tensors as torch's F.leaky_relu, in place included, with the same repr."""

    def forward(self, input):
        return _leaky_relu(input, self.negative_slope, inplace=self.inplace)


class MindSporeLeakyReLU(nn.Module):
    """mindspore.nn.LeakyReLU(alpha=0.2) inside a PyTorch model: MindSpore 2.8's bits.

    The slope is cast to float32 and then to the tensor's dtype, the result is
    max(s*x, x) (min for alpha > 1), and the gradient splits at ties (x = 0, +inf) as
    MindSpore's autodiff does.  There is no `inplace`: assign the output instead."""

    def __init__(self, alpha=0.2, **kwargs):
        super().__init__()
        _msargs.check("MindSporeLeakyReLU", alpha, kwargs)
        self.alpha = alpha

    def forward(self, x):
        return _leaky_relu(x, self.alpha, framework="mindspore")

    def __repr__(self):
        return _lrelu._module_repr(1, float(self.alpha), False)


class _Emulated(nn.Module):
    """ONNX's, TensorFlow's, JAX's or ONNX Runtime's LeakyReLU in a PyTorch model (what
    emulate() puts in); `alpha` holds the slope (JAX's negative_slope)."""

    def __init__(self, framework, slope):
        super().__init__()
        self.framework = framework
        self.alpha = slope

    def forward(self, x):
        return _leaky_relu(x, self.alpha, framework=self.framework)

    def __repr__(self):
        return _lrelu._module_repr(_lrelu._framework_code(self.framework), float(self.alpha), False)


def _replacement(mod, fw):
    """The module that computes `mod` (a LeakyReLU of any kind) with framework fw."""
    if isinstance(mod, nn.LeakyReLU):
        slope, inplace = mod.negative_slope, mod.inplace
    else:
        slope, inplace = mod.alpha, getattr(mod, "_torch_inplace", False)
    if fw == "torch":
        return LeakyReLU(slope, inplace)
    # MindSpore's gradient cannot be rebuilt from an in-place result: out of place.
    new = MindSporeLeakyReLU(alpha=slope) if fw == "mindspore" else _Emulated(fw, slope)
    new._torch_inplace = inplace
    return new


def emulate(model, framework="mindspore"):
    """Replace every torch.nn.LeakyReLU(s) in `model` by `framework`'s numerics, slope s.

    framework: 'mindspore' (MindSporeLeakyReLU(alpha=s), out of place even for an
    inplace=True module), 'torch' (lrelu.torch.LeakyReLU(s, inplace): PyTorch's own
    bits), 'onnx', 'tensorflow', 'jax' or 'onnxruntime' (float32 only; 'onnx' and
    'onnxruntime' have no gradient).  Modules that emulate() put in earlier are replaced
    too, so a model can be switched back and forth.  The model is changed in place and
    returned (a LeakyReLU passed as the model itself is returned replaced).  Calls of
    F.leaky_relu inside a forward() are not modules and are not replaced.  With
    framework='torch', torch.nn.RReLU and torch.nn.PReLU are replaced by lrelu.torch's
    (the other frameworks leave them as they are)."""
    fw = _NAMES[_lrelu._framework_code(framework)]
    kinds = (nn.LeakyReLU, MindSporeLeakyReLU, _Emulated)
    if isinstance(model, kinds):
        return _replacement(model, fw)
    if not isinstance(model, nn.Module):
        raise TypeError("model must be a torch.nn.Module, not %s" % type(model).__name__)
    for parent in list(model.modules()):
        for name, child in list(parent._modules.items()):
            if isinstance(child, kinds):
                parent._modules[name] = _replacement(child, fw)
            elif fw == "torch" and isinstance(child, (nn.RReLU, nn.PReLU)):
                parent._modules[name] = _family_replacement(child)
    return model


def _family_replacement(mod):
    """lrelu's RReLU / PReLU in place of torch's (the PReLU keeps the same Parameter, so
    an optimizer holding it goes on training it)."""
    if isinstance(mod, (RReLU, PReLU)):
        return mod
    if isinstance(mod, nn.RReLU):
        new = RReLU(mod.lower, mod.upper, mod.inplace)
    else:
        new = PReLU.__new__(PReLU)
        nn.Module.__init__(new)
        new.num_parameters, new.init = mod.num_parameters, getattr(mod, "init", 0.25)
        new.weight = mod.weight
    new.train(mod.training)
    return new


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """torch.nn.functional.leaky_relu computed by lrelu (the same bits, autograd included)."""
    return _leaky_relu(input, negative_slope, inplace=inplace)


def leaky_relu_(input, negative_slope=0.01):
    """torch.nn.functional.leaky_relu_ (in place) computed by lrelu."""
    return _leaky_relu(input, negative_slope, inplace=True)


# ---- RReLU and PReLU ------------------------------------------------------------------

import struct as _struct  # noqa: E402

_MT_N = 624
_GEN = _struct.Struct("<QiI%dI" % _MT_N)  # lrelu_generator (include/lrelu.h)
_TORCH_STATE_BYTES = 5056  # torch.get_rng_state() of the CPU generator in 1.13


def _gen_take():
    """PyTorch's default CPU generator as an lrelu_generator, and its raw state.

    The raw state (1.13) starts with the legacy THGeneratorState: the seed (uint64),
    left (int32), seeded (int32), next (uint64), then the 624 state words as uint64;
    the normal-distribution cache after them is kept as it is."""
    raw = torch.get_rng_state()
    b = raw.numpy().tobytes()
    if len(b) != _TORCH_STATE_BYTES:
        raise Error("torch.get_rng_state(): %d bytes, expected %d (PyTorch 1.13's layout)"
                    % (len(b), _TORCH_STATE_BYTES))
    seed, left, _seeded, nxt = _struct.unpack_from("<QiiQ", b, 0)
    words = _struct.unpack_from("<%dQ" % _MT_N, b, 24)
    return b, bytearray(_GEN.pack(seed, left, nxt, *(w & 0xFFFFFFFF for w in words)))


def _gen_put(b, g):
    seed, left, nxt, *words = _GEN.unpack(bytes(g))
    b = bytearray(b)
    _struct.pack_into("<QiiQ", b, 0, seed, left, 1, nxt)
    _struct.pack_into("<%dQ" % _MT_N, b, 24, *words)
    torch.set_rng_state(torch.frombuffer(b, dtype=torch.uint8))


class LreluRReLU(torch.autograd.Function):
    """RReLU with the library's kernels; training draws from PyTorch's CPU generator."""

    @staticmethod
    def forward(ctx, x, lower, upper, training, inplace):
        y = x if inplace else torch.empty_like(x)
        if training:
            noise = torch.empty_like(x, memory_format=torch.contiguous_format)
            b, g = _gen_take()
            _lrelu._rrelu_train_into(g, lower, upper, x, None if inplace else y, noise)
            _gen_put(b, g)
            ctx.save_for_backward(noise)
        else:
            _lrelu._rrelu_eval_into(lower, upper, x, None if inplace else y)
            ctx.save_for_backward(y if inplace else x)
        if inplace:
            ctx.mark_dirty(x)
        ctx.training, ctx.inplace, ctx.slope = training, inplace, (lower + upper) / 2
        return y

    @staticmethod
    def backward(ctx, dy):
        saved, = ctx.saved_tensors
        dx = torch.empty_like(saved)
        if ctx.training:
            _lrelu._rrelu_train_backward_into(dy, saved, dx)
        else:
            _backward_into(dy, saved, dx, 0, ctx.slope, ctx.inplace)
        return dx, None, None, None, None


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """torch.nn.functional.rrelu computed by lrelu: the same bits, autograd included.

    In training the slopes are drawn from PyTorch's default CPU generator, which is
    advanced exactly as F.rrelu advances it (read with torch.get_rng_state and written
    back with torch.set_rng_state: not atomic against other threads drawing from it)."""
    if inplace and input.requires_grad and torch.is_grad_enabled():
        # PyTorch refuses some in-place writes (a leaf, a view of one) before anything is
        # written; the Function's own checks would come after its forward wrote input.
        _lrelu._inplace_check(input)
    return LreluRReLU.apply(input, float(lower), float(upper), bool(training), bool(inplace))


class RReLU(nn.RReLU):
    """torch.nn.RReLU(lower=1/8, upper=1/3, inplace=False) computed by lrelu (same repr)."""

    def forward(self, input):
        return rrelu(input, self.lower, self.upper, self.training, self.inplace)


class LreluPReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight):
        y = torch.empty_like(x)
        _lrelu._prelu_forward_into(x, weight.detach(), y)
        ctx.save_for_backward(x, weight)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, weight = ctx.saved_tensors
        dx = torch.empty_like(x) if ctx.needs_input_grad[0] else None
        dw = torch.empty_like(weight) if ctx.needs_input_grad[1] else None
        _lrelu._prelu_backward_into(dy, x.detach(), weight.detach(), dx, dw)
        return dx, dw


def prelu(input, weight):
    """torch.nn.functional.prelu computed by lrelu: forward and input gradient bit for bit;
    the weight gradient summed accurately in one fixed order (the same bits for any
    thread count, unlike PyTorch's; docs/semantics.md)."""
    return LreluPReLU.apply(input, weight)


class PReLU(nn.PReLU):
    """torch.nn.PReLU(num_parameters=1, init=0.25) computed by lrelu (same repr, weight)."""

    def forward(self, input):
        return prelu(input, self.weight)

"""RReLU and PReLU on NumPy arrays (and CPU tensors), PyTorch 1.13's bits: see lrelu.rrelu."""
import numpy as np

from . import _lrelu


def _like(a):
    """An uninitialized array or tensor of a's kind, dtype and shape (torch not imported)."""
    return np.empty_like(a) if isinstance(a, np.ndarray) else a.new_empty(a.shape)


class Generator:
    """PyTorch's CPU random generator (MT19937) seeded as torch.manual_seed(seed) seeds it.

    lrelu.rrelu(..., training=True, generator=g) draws from it and advances it exactly as
    PyTorch's F.rrelu advances its own."""

    def __init__(self, seed):
        self._state = _lrelu._rrelu_seed(int(seed))

    def __repr__(self):
        return "lrelu.Generator(seed=%d)" % int.from_bytes(self._state[:8], "little")


def rrelu(x, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """torch.nn.functional.rrelu's bits on a NumPy array or CPU tensor (bfloat16 as uint16).

    Eval (training=False): leaky_relu at the slope (lower + upper) / 2; returns y.
    Training: each x <= 0 gets a slope drawn from `generator` (an lrelu.Generator);
    returns (y, noise), noise holding the slopes (1 where x > 0 or NaN)."""
    y = _like(x)
    if not training:
        _lrelu._rrelu_eval_into(float(lower), float(upper), x, y)
        return y
    if not isinstance(generator, Generator):
        raise TypeError("rrelu(training=True) needs generator=lrelu.Generator(seed)")
    noise = _like(x)
    _lrelu._rrelu_train_into(generator._state, float(lower), float(upper), x, y, noise)
    return y, noise


def rrelu_backward(grad, noise):
    """The training-mode gradient: grad * noise in the dtype (PyTorch's)."""
    dx = _like(grad)
    _lrelu._rrelu_train_backward_into(grad, noise, dx)
    return dx


def prelu(x, weight, framework="torch"):
    """PReLU's bits as `framework` computes it, c along axis 1 (a 0-d or 1-D x is one
    channel):

    - 'torch' (F.prelu, 1.13): x > 0 ? x : weight[c] * x; float32, float64, bfloat16
      tensors; a bfloat16 x takes a weight of another float dtype (rounded to bfloat16
      through float, as PyTorch copies it);
    - 'mindspore' (ops.PReLU, 2.8, CPU kernel): x < 0 ? weight[c] * x : x; float16 or
      float32, weight 1-D of x's dtype."""
    y = _like(x)
    _lrelu._prelu_forward_into(x, weight, y, framework)
    return y


def prelu_backward(grad, x, weight, framework="torch"):
    """(grad_input, grad_weight), grad_weight in weight's dtype.  'torch': PyTorch's input
    gradient bit for bit; the weight gradient summed in double in one fixed order and
    rounded once (the same bits for every thread count).  'mindspore': PReLUGrad's CPU
    kernel, x <= 0 ? weight[c] * grad : grad, and the weight gradient accumulated in
    float over x < 0 in C order, as MindSpore does on one thread."""
    dx, dw = _like(x), _like(weight)
    _lrelu._prelu_backward_into(grad, x, weight, dx, dw, framework)
    return dx, dw

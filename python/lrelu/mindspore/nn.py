"""lrelu.mindspore.nn: mindspore.nn.LeakyReLU and PReLU with MindSpore 2.8's numerics."""
import numpy as np

from .. import _lrelu, _msargs
from . import Tensor, bfloat16, float16, float32

__all__ = ["LeakyReLU", "PReLU"]


class LeakyReLU:
    """mindspore.nn.LeakyReLU(alpha=0.2): y = max(s*x, x) (min for alpha > 1) with the slope
    cast to float32 and then to x's dtype.  No `inplace`: assign the output, x = m(x)."""

    def __init__(self, alpha=0.2, **kwargs):
        _msargs.check("LeakyReLU", alpha, kwargs)
        self.alpha = alpha

    def __call__(self, x):
        if not isinstance(x, Tensor):
            raise TypeError("For 'LeakyReLU', the input must be a Tensor, but got %s"
                            % type(x).__name__)
        dt = "bfloat16" if x.dtype.name == "bfloat16" else None
        y = _lrelu.leaky_relu(x._data, self.alpha, framework="mindspore", dtype=dt)
        return Tensor._wrap(y, x.dtype)

    construct = __call__

    def __repr__(self):
        return _lrelu._module_repr(1, float(self.alpha), False)


class PReLU:
    """mindspore.nn.PReLU(channel=1, w=0.25): y = x < 0 ? w[c] * x : x, c along axis 1
    (a 0-d or 1-D x is one channel), by MindSpore 2.8's CPU kernel: the parameter w
    (float32 unless given as a float16 Tensor) cast to x's dtype, float16 or float32.
    Forward only, as the rest of this stand-in; lrelu.prelu_backward(...,
    framework='mindspore') gives PReLUGrad's bits."""

    def __init__(self, channel=1, w=0.25):
        if isinstance(channel, bool) or not isinstance(channel, int):
            raise TypeError("For 'PReLU', the type of 'channel' should be 'int', but got '%r' "
                            "with type '%s'." % (channel, type(channel).__name__))
        if channel <= 0:
            raise ValueError("For 'PReLU', the 'channel' must be a positive int, but got %d."
                             % channel)
        if isinstance(w, (float, np.float32)):
            w = Tensor(np.full((channel,), w, np.float32))
        elif isinstance(w, list):
            if len(w) != channel:
                raise ValueError("For 'PReLU', the length of 'w' must be equal to the 'channel' "
                                 "when the 'w' is a list, but got the length of 'w': %d, the "
                                 "'channel': %d." % (len(w), channel))
            for i in w:
                if not isinstance(i, (float, np.float32)):
                    raise ValueError("For 'PReLU', all elements in 'w' must be float when the "
                                     "'w' is a list, but got %s." % (i,))
            w = Tensor(np.array(w, np.float32))
        elif isinstance(w, Tensor):
            if w.dtype not in (float16, float32):
                raise ValueError("For 'PReLU', the dtype of 'w' must be float16 or float32 when "
                                 "the 'w' is a tensor, but got %s." % w.dtype)
            if len(w.shape) != 1 or w.shape[0] != channel:
                raise ValueError("For 'PReLU', the dimension of 'w' must be 1, and the elements "
                                 "number should be equal to the 'channel' when the 'w' is a "
                                 "tensor, but got 'w' shape %s, the 'channel' %d."
                                 % (tuple(w.shape), channel))
        else:
            raise TypeError("For 'PReLU', the 'w' only supported float, list and tensor, but "
                            "got %s." % type(w).__name__)
        self.w = w

    def __call__(self, x):
        if not isinstance(x, Tensor):
            raise TypeError("For 'PReLU', the input must be a Tensor, but got %s"
                            % type(x).__name__)
        if x.dtype is bfloat16:
            raise TypeError("For primitive[PReLU], the input argument[x] must be a type of "
                            "{Tensor[Float16], Tensor[Float32]}, but got Tensor[BFloat16].")
        w = self.w.astype(x.dtype)  # F.cast(self.w, x.dtype)
        y = np.empty_like(x._data)
        try:
            _lrelu._prelu_forward_into(x._data, w._data, y, "mindspore")
        except _lrelu.Error as e:
            msg = str(e)
            raise (TypeError if msg.startswith("For primitive[") else ValueError)(msg) from None
        return Tensor._wrap(y, x.dtype)

    construct = __call__

    def __repr__(self):
        return "PReLU<>"

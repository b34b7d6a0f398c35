"""lrelu.mindspore.nn: mindspore.nn.LeakyReLU with MindSpore 2.8's numerics."""
from .. import _lrelu, _msargs
from . import Tensor

__all__ = ["LeakyReLU"]


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

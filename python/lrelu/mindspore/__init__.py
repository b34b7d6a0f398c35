"""lrelu.mindspore: a stand-in for the part of MindSpore that its LeakyReLU examples use.

Tensor (from a list or a NumPy array; astype, asnumpy, shape, dtype, printed as
MindSpore prints it), the dtypes float16, float32, float64 and bfloat16, and
lrelu.mindspore.nn.LeakyReLU and PReLU with MindSpore 2.8's numerics.  No more of MindSpore than
that: it is a test bench for this operator, so that MindSpore's code runs unchanged
but for its import lines:

    import lrelu.mindspore as mindspore
    from lrelu.mindspore import Tensor
    import lrelu.mindspore.nn as nn
"""
import numpy as np

from .. import _lrelu

__all__ = ["Tensor", "float16", "float32", "float64", "bfloat16", "dtype"]


class dtype:
    """A MindSpore dtype (prints as MindSpore does: Float32)."""

    __slots__ = ("name", "_title", "_np")

    def __init__(self, name, title, np_dtype):
        self.name, self._title, self._np = name, title, np_dtype

    def __repr__(self):
        return self._title

    __str__ = __repr__


float16 = dtype("float16", "Float16", np.dtype(np.float16))
float32 = dtype("float32", "Float32", np.dtype(np.float32))
float64 = dtype("float64", "Float64", np.dtype(np.float64))
# bfloat16 has no NumPy dtype: its elements are kept as their bits in uint16.
bfloat16 = dtype("bfloat16", "BFloat16", np.dtype(np.uint16))
_DTYPES = {d.name: d for d in (float16, float32, float64, bfloat16)}


def _as_dtype(value):
    if isinstance(value, dtype):
        return value
    name = value if isinstance(value, str) else getattr(np.dtype(value), "name", None)
    try:
        return _DTYPES[name]
    except KeyError:
        raise TypeError("dtype %r is not one of float16, float32, float64, bfloat16 "
                        "(the stand-in's dtypes)" % (value,)) from None


def _bf16_to_f32(bits):
    out = np.empty(bits.shape, np.float32)
    _lrelu._bf16(np.ascontiguousarray(bits), out, False)
    return out


def _f32_to_bf16(values):
    out = np.empty(values.shape, np.uint16)
    _lrelu._bf16(np.ascontiguousarray(values, np.float32), out, True)
    return out


class Tensor:
    """mindspore.Tensor(input_data, dtype=None) for floating-point data.

    A list of Python floats becomes float32, as in MindSpore; a NumPy array keeps its
    dtype.  print() shows the values as NumPy prints them, which is MindSpore's format."""

    def __init__(self, input_data, dtype=None):
        if isinstance(input_data, Tensor):
            input_data = input_data.asnumpy()
        if dtype is not None:
            dt = _as_dtype(dtype)
            arr = np.array(input_data)
            self._data = _f32_to_bf16(arr) if dt is bfloat16 else arr.astype(dt._np)
            self._dtype = dt
            return
        arr = np.array(input_data)
        if not isinstance(input_data, np.ndarray) and arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        if arr.dtype.name not in ("float16", "float32", "float64"):
            raise TypeError("the stand-in Tensor holds float16, float32, float64 or bfloat16 "
                            "data, not %s" % arr.dtype)
        self._data = arr
        self._dtype = _DTYPES[arr.dtype.name]

    @classmethod
    def _wrap(cls, data, dt):
        t = cls.__new__(cls)
        t._data, t._dtype = data, dt
        return t

    @property
    def shape(self):
        return self._data.shape

    @property
    def dtype(self):
        return self._dtype

    def astype(self, dtype):
        dt = _as_dtype(dtype)
        if dt is self._dtype:
            return Tensor._wrap(self._data.copy(), dt)
        if dt is bfloat16:
            return Tensor._wrap(_f32_to_bf16(self._data.astype(np.float32)), dt)
        return Tensor._wrap(self.asnumpy().astype(dt._np), dt)

    def asnumpy(self):
        """The values as a NumPy array (bfloat16 as float32, which holds each exactly)."""
        if self._dtype is bfloat16:
            return _bf16_to_f32(self._data)
        return self._data

    def __str__(self):
        return str(self.asnumpy())

    def __repr__(self):
        return "Tensor(shape=%s, dtype=%s, value=\n%s)" % (list(self.shape), self._dtype, self)

    def __len__(self):
        return len(self._data)

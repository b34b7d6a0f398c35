"""lreluffi.py - the library through ctypes: tensors, flat entry points, bit helpers.

The library is build/liblrelu.so of this tree, or the file named by the environment
variable LRELU_LIB (used to point the suite at a deliberately wrong build and watch it
fail).  Everything here moves bits; no value is ever converted on the Python side
except through NumPy's exact casts.
"""

import ctypes
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# enum values of include/lrelu.h
OK, ERR_ARG, ERR_DTYPE, ERR_SHAPE, ERR_OVERLAP, ERR_SLOPE, ERR_INPLACE, ERR_UNSUPPORTED = range(8)
FLOAT32, FLOAT64, BFLOAT16, FLOAT16 = 0, 1, 2, 3
TORCH, MINDSPORE, ONNX, TENSORFLOW, JAX, ONNXRUNTIME = 0, 1, 2, 3, 4, 5
FRAMEWORKS = {"torch": TORCH, "mindspore": MINDSPORE, "onnx": ONNX, "tensorflow": TENSORFLOW,
              "jax": JAX, "onnxruntime": ONNXRUNTIME}
ISA_NAMES = {0: "scalar", 1: "sse2", 2: "avx2", 3: "avx512", 4: "neon"}
ISA_AUTO = -1

# dtype name -> (lrelu dtype, NumPy storage dtype)
DTYPES = {
    "float32": (FLOAT32, np.float32),
    "float64": (FLOAT64, np.float64),
    "bfloat16": (BFLOAT16, np.uint16),
    "float16": (FLOAT16, np.uint16),
}


class Tensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("dtype", ctypes.c_int),
        ("ndim", ctypes.c_int),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("scale", ctypes.c_double),
        ("zero_point", ctypes.c_int32),
    ]


class Module(ctypes.Structure):
    _fields_ = [("framework", ctypes.c_int), ("slope", ctypes.c_double), ("inplace", ctypes.c_bool)]


def lib_path():
    return os.environ.get("LRELU_LIB") or os.path.join(ROOT, "build", "liblrelu.so")


def load():
    lib = ctypes.CDLL(lib_path())
    P = ctypes.c_void_p
    T = ctypes.POINTER(Tensor)
    sigs = {
        "lrelu_forward": (ctypes.c_int, [ctypes.c_int, ctypes.c_double, T, T]),
        "lrelu_backward": (ctypes.c_int, [ctypes.c_int, ctypes.c_double, T, T, ctypes.c_bool, T]),
        "lrelu_f32": (ctypes.c_int, [P, P, ctypes.c_size_t, ctypes.c_float]),
        "lrelu_f64": (ctypes.c_int, [P, P, ctypes.c_size_t, ctypes.c_double]),
        "lrelu_bf16": (ctypes.c_int, [P, P, ctypes.c_size_t, ctypes.c_float]),
        "lrelu_f16": (ctypes.c_int, [P, P, ctypes.c_size_t, ctypes.c_float]),
        "lrelu_f32_backward": (ctypes.c_int, [P, P, P, ctypes.c_size_t, ctypes.c_float]),
        "lrelu_f64_backward": (ctypes.c_int, [P, P, P, ctypes.c_size_t, ctypes.c_double]),
        "lrelu_bf16_backward": (ctypes.c_int, [P, P, P, ctypes.c_size_t, ctypes.c_float]),
        "lrelu_f16_backward": (ctypes.c_int, [P, P, P, ctypes.c_size_t, ctypes.c_float]),
        "lrelu_last_error": (ctypes.c_char_p, []),
        "lrelu_set_isa": (ctypes.c_int, [ctypes.c_int]),
        "lrelu_get_isa": (ctypes.c_int, []),
        "lrelu_isa_available": (ctypes.c_bool, [ctypes.c_int]),
        "lrelu_module_init": (ctypes.c_int, [ctypes.POINTER(Module), ctypes.c_int, ctypes.c_double,
                                             ctypes.c_bool]),
        "lrelu_module_forward": (ctypes.c_int, [ctypes.POINTER(Module), T, T]),
        "lrelu_module_repr": (ctypes.c_size_t, [ctypes.POINTER(Module), ctypes.c_char_p,
                                                ctypes.c_size_t]),
        "lrelu_default_slope": (ctypes.c_double, [ctypes.c_int]),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args
    return lib


LIB = load()


def last_error():
    return LIB.lrelu_last_error().decode()


def available_isas():
    return [i for i in sorted(ISA_NAMES) if LIB.lrelu_isa_available(i)]


# ---- tensors ----------------------------------------------------------------------

class View:
    """An lrelu_tensor describing NumPy memory (keeps its shape/stride arrays alive)."""

    def __init__(self, arr, dtype_name, data=None, shape=None, strides=None):
        dt, store = DTYPES[dtype_name]
        assert arr.dtype == store, (arr.dtype, store)
        shape = arr.shape if shape is None else shape
        if strides is None:
            strides = tuple(s // arr.itemsize for s in arr.strides)
        self.arr = arr
        self.shape = (ctypes.c_int64 * max(len(shape), 1))(*shape)
        self.strides = (ctypes.c_int64 * max(len(strides), 1))(*strides)
        self.t = Tensor(data if data is not None else arr.ctypes.data, dt, len(shape),
                        self.shape, self.strides, 0.0, 0)

    @property
    def ref(self):
        return ctypes.byref(self.t)


def forward(fw, slope, x, dtype_name, out=None, inplace=False):
    """y = lrelu(x) out of place (new array, or `out`) or in place (x is overwritten).
    Returns (status, y)."""
    vx = View(x, dtype_name)
    if inplace:
        st = LIB.lrelu_forward(fw, slope, vx.ref, None)
        return st, x
    y = np.empty_like(x) if out is None else out
    vy = View(y, dtype_name)
    st = LIB.lrelu_forward(fw, slope, vx.ref, vy.ref)
    return st, y


def backward(fw, slope, g, saved, dtype_name, self_is_result=False):
    dx = np.empty_like(saved)
    vg, vs, vd = View(g, dtype_name), View(saved, dtype_name), View(dx, dtype_name)
    st = LIB.lrelu_backward(fw, slope, vg.ref, vs.ref, self_is_result, vd.ref)
    return st, dx


FLAT = {"float32": "f32", "float64": "f64", "bfloat16": "bf16", "float16": "f16"}


def flat_forward(dtype_name, x, slope):
    y = np.empty_like(x)
    st = getattr(LIB, "lrelu_" + FLAT[dtype_name])(x.ctypes.data, y.ctypes.data, x.size, slope)
    return st, y


def flat_backward(dtype_name, g, a, slope):
    dx = np.empty_like(a)
    st = getattr(LIB, "lrelu_%s_backward" % FLAT[dtype_name])(g.ctypes.data, a.ctypes.data,
                                                              dx.ctypes.data, a.size, slope)
    return st, dx


def module_repr(fw, slope, inplace):
    m = Module()
    st = LIB.lrelu_module_init(ctypes.byref(m), fw, slope, inplace)
    if st != OK:
        return None
    buf = ctypes.create_string_buffer(256)
    LIB.lrelu_module_repr(ctypes.byref(m), buf, 256)
    return buf.value.decode()


# ---- bit helpers --------------------------------------------------------------------

def bits(a):
    """The raw bit patterns of a float array (uint16 arrays are bits already)."""
    a = np.ascontiguousarray(a)
    if a.dtype == np.float32:
        return a.view(np.uint32)
    if a.dtype == np.float64:
        return a.view(np.uint64)
    if a.dtype == np.float16:
        return a.view(np.uint16)
    return a


def bf16_to_f32(b):
    return (b.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16(f):
    """float32 -> bfloat16, round to nearest even; NaN: sign, quiet bit, top payload bits
    (the rule lrelu documents; PyTorch's own NaN bits depend on position)."""
    u = np.ascontiguousarray(f, dtype=np.float32).view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = (u & 0x7FFFFFFF) > 0x7F800000
    r[nan] = ((u[nan] >> 16) | 0x40).astype(np.uint16)
    return r


def is_nan_bits(b, dtype_name):
    if dtype_name == "bfloat16":
        return (b & 0x7FFF) > 0x7F80
    if dtype_name == "float16":
        return (b & 0x7FFF) > 0x7C00
    return np.isnan(b)

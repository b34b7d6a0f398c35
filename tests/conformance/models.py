"""models.py - each framework's LeakyReLU rule written independently in NumPy.

These are the expected values for everything the suite cannot run:
  * PyTorch float16 (1.13 has no float16 LeakyReLU on CPU; >= 2.1 computes it in float
    with a float slope and rounds the float product to half: two roundings);
  * MindSpore 2.8 (cannot be installed here: READ FROM SOURCE, NOT RUN).  Its rules as
    read from mindspore/ops/function/nn_func.py (ops.leaky_relu), the CPU Maximum and
    Minimum kernels and frontend/expander/grad/grad_math_ops.cc (MinimumMaximumGrad):
      s  = Cast(float32(alpha), T)                 the slope goes through float32 first
      y  = alpha > 1 ? Minimum(s*x, x) : Maximum(s*x, x)   (decided on the Python scalar)
      Maximum(a, b) = a > b ? a : b,  Minimum(a, b) = a < b ? a : b
      backward: autodiff of Mul and Maximum/Minimum; on a tie (s*x == x) each side gets
      dout/2 (in T), on NaN (no comparison true) each side gets all of dout;
      dx = g_rhs + g_lhs * s, every operation in T.
    MindSpore's bfloat16 rule is our extrapolation of the same cast (a bfloat16 slope,
    float arithmetic rounded to bfloat16), not something read for bfloat16 specifically;
  * ONNX LeakyRelu opset 16 (function body): y = x < 0 ? CastLike(alpha, x) * x : x,
    alpha a FLOAT attribute;
  * TensorFlow 2 tf.nn.leaky_relu: y = x > 0 ? x : x * (T)alpha, LeakyReluGrad
    dx = x > 0 ? g : g * (T)alpha.

Arithmetic "in T": float32/float64 are NumPy's own; float16 uses NumPy's float16
(each operation done in float and rounded to half, as Eigen::half does); bfloat16 is
kept as uint16 bits, computed in float32 and rounded to nearest even.

Arrays are the storage form: float32/float64 arrays, uint16 bits for the 16-bit types.
"""

import numpy as np

from lreluffi import bf16_to_f32, f32_to_bf16


def f32_of(v):
    """Python float -> float32 with IEEE overflow to infinity (numpy.float32(v))."""
    with np.errstate(over="ignore"):
        return np.array(v, dtype=np.float64).astype(np.float32)[()]


class Arith:
    """Operations of one dtype on storage arrays."""

    def __init__(self, name):
        self.name = name

    def widen(self, a):
        """Values as float32 (16-bit) or the array itself."""
        if self.name == "float16":
            return a.view(np.float16).astype(np.float32)
        if self.name == "bfloat16":
            return bf16_to_f32(a)
        return a

    def narrow(self, f):
        """float32 values -> storage (16-bit: one round to nearest even)."""
        if self.name == "float16":
            with np.errstate(over="ignore"):
                return np.ascontiguousarray(f, dtype=np.float32).astype(np.float16).view(np.uint16)
        if self.name == "bfloat16":
            return f32_to_bf16(f)
        return f

    def cast_slope(self, alpha):
        """Cast(float32(alpha), T), as a storage scalar array of one element."""
        s = f32_of(alpha)
        if self.name == "float64":
            return np.array([s], dtype=np.float64)
        return self.narrow(np.array([s], dtype=np.float32))

    def mul(self, a, b):
        with np.errstate(all="ignore"):
            if self.name in ("float16", "bfloat16"):
                return self.narrow(self.widen(a) * self.widen(b))
            return a * b

    def add(self, a, b):
        with np.errstate(all="ignore"):
            if self.name in ("float16", "bfloat16"):
                return self.narrow(self.widen(a) + self.widen(b))
            return a + b

    def zeros(self, n):
        return np.zeros(n, dtype=np.uint16 if self.name in ("float16", "bfloat16") else self.name)


# ---- PyTorch float16 (>= 2.1 CPU; 1.13 refuses) --------------------------------------

def torch_f16_forward(x, slope):
    """x > 0 ? x : half(float(x) * float(slope)): the float product rounded to float, then
    to half."""
    A = Arith("float16")
    xf = A.widen(x)
    with np.errstate(all="ignore"):
        p = A.narrow(xf * f32_of(slope))
    return np.where(xf > 0, x, p)


def torch_f16_backward(g, a, slope):
    A = Arith("float16")
    with np.errstate(all="ignore"):
        p = A.narrow(A.widen(g) * f32_of(slope))
    return np.where(A.widen(a) > 0, g, p)


def torch_f16_forward_half_slope(x, slope):
    """What a half-precision slope would give (one rounding of x * half(slope)); not
    PyTorch's rule, kept to count where it differs."""
    A = Arith("float16")
    s = A.widen(A.cast_slope(slope))
    xf = A.widen(x)
    with np.errstate(all="ignore"):
        p = A.narrow(xf * s)
    return np.where(xf > 0, x, p)


# ---- MindSpore 2.8 (read from source, not run) ----------------------------------------

def nan2(A, a, b):
    """Where an operation of T met two NaN operands: which of them comes out is the
    compiled code's operand order (and PyTorch's own varies by SIMD lane), so any NaN
    is right there."""
    return L_isnan(A, a) & L_isnan(A, b)


def L_isnan(A, a):
    return np.isnan(A.widen(a))


def mindspore_forward(x, alpha, dtype_name):
    A = Arith(dtype_name)
    s = A.cast_slope(alpha)
    p = A.mul(x, s)
    pv, xv = A.widen(p), A.widen(x)
    take_p = (pv < xv) if alpha > 1 else (pv > xv)
    return np.where(take_p, p, x)


def mindspore_backward(g, x, alpha, dtype_name, nan_mask=False):
    A = Arith(dtype_name)
    s = A.cast_slope(alpha)
    p = A.mul(x, s)
    pv, xv = A.widen(p), A.widen(x)
    gt, lt, eq = pv > xv, pv < xv, pv == xv
    lhs_wins, rhs_wins = (lt, gt) if alpha > 1 else (gt, lt)
    half = A.mul(g, A.narrow(np.array([0.5], dtype=np.float32)) if A.name in
                 ("float16", "bfloat16") else np.array([0.5], dtype=A.name))
    zero = A.zeros(x.size).reshape(x.shape)
    # Neither wins nor ties: a NaN compare; each side keeps all of dout.
    g_lhs = np.where(lhs_wins, g, np.where(rhs_wins, zero, np.where(eq, half, g)))
    g_rhs = np.where(lhs_wins, zero, np.where(rhs_wins, g, np.where(eq, half, g)))
    t = A.mul(g_lhs, s)
    dx = A.add(g_rhs, t)
    if nan_mask:
        return dx, nan2(A, g_lhs, s) | nan2(A, g_rhs, t)
    return dx


# ---- ONNX LeakyRelu-16 and TensorFlow 2 ------------------------------------------------

def onnx_forward(x, alpha, dtype_name, nan_mask=False):
    A = Arith(dtype_name)
    p = A.mul(x, A.cast_slope(alpha))
    y = np.where(A.widen(x) < 0, p, x)
    return (y, nan2(A, x, A.cast_slope(alpha))) if nan_mask else y


def tensorflow_forward(x, alpha, dtype_name, nan_mask=False):
    A = Arith(dtype_name)
    p = A.mul(x, A.cast_slope(alpha))
    y = np.where(A.widen(x) > 0, x, p)
    return (y, nan2(A, x, A.cast_slope(alpha))) if nan_mask else y


# ---- JAX and ONNX Runtime's CPU kernel (read from source) -------------------------------
# jax.nn.leaky_relu: where(x >= 0, x, negative_slope * x); the Python float becomes a
# float32 (JAX's default mode) and then x's dtype, or stays a double for float64 (only
# under jax_enable_x64).  ONNX Runtime: (x >= 0).select(x, (T)alpha * x), T = float.

def _jax_slope(A, slope):
    if A.name == "float64":
        return np.array([slope], dtype=np.float64)
    return A.cast_slope(slope)


def _ge_select(f, x, slope, dtype_name, nan_mask):
    """x >= 0 ? f : s * f, f being x (forward) or the gradient (backward)."""
    A = Arith(dtype_name)
    s = _jax_slope(A, slope)
    p = A.mul(f, s)
    with np.errstate(invalid="ignore"):
        y = np.where(A.widen(x) >= 0, f, p)
    return (y, nan2(A, f, s)) if nan_mask else y


def jax_forward(x, slope, dtype_name, nan_mask=False):
    return _ge_select(x, x, slope, dtype_name, nan_mask)


def jax_backward(g, x, slope, dtype_name, nan_mask=False):
    """The derivative of where(x >= 0, x, s*x): where's select of the tangents g, s*g."""
    return _ge_select(g, x, slope, dtype_name, nan_mask)


def tensorflow_backward(g, x, alpha, dtype_name, nan_mask=False):
    A = Arith(dtype_name)
    p = A.mul(g, A.cast_slope(alpha))
    dx = np.where(A.widen(x) > 0, g, p)
    return (dx, nan2(A, g, A.cast_slope(alpha))) if nan_mask else dx

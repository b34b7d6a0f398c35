/* lrelu.h - the one public header of liblrelu: LeakyReLU exactly as PyTorch and MindSpore compute it */
#ifndef LRELU_H
#define LRELU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(LRELU_STATIC_ONLY)
#  define LRELUAPI __attribute__((visibility("default")))
#else
#  define LRELUAPI
#endif

/*
 * Overview
 * --------
 * y = x > 0 ? x : slope * x, bit for bit as a given framework computes it.
 * The frameworks agree on the formula and disagree on the bits: in which dtype the
 * slope is rounded, how many times a 16-bit result is rounded, and what happens to
 * NaN, -0.0 and -inf (see docs/semantics.md).  Every entry point therefore names the
 * framework whose bits it reproduces.
 *
 * Thread safety: every function may be called from many threads at once.  The only
 * global state is the ISA choice, the thread count and the per-thread error message.
 * Floating-point environment: results never depend on the caller's rounding mode,
 * on flush-to-zero / denormals-are-zero or on unmasked exceptions; the library saves
 * and restores the control register around its work, or (small float calls on
 * AVX-512) uses arithmetic that does not consult it.  The library never aborts, exits or prints.  It allocates
 * only for its thread pool (on the first call large enough to use it) and to verify
 * an irregular strided output layout; a failed allocation is LRELU_ERR_NOMEM, or a
 * serial run for the pool.
 */

#define LRELU_VERSION_MAJOR 0
#define LRELU_VERSION_MINOR 1
#define LRELU_VERSION_PATCH 0
#define LRELU_VERSION_STRING "0.1.0"

/* The library's version string, e.g. "0.1.0". */
LRELUAPI const char *lrelu_version(void);

/* ---------------------------------------------------------------------------------
 * Status codes.  Every function that can fail returns one; LRELU_OK is 0.  On failure
 * lrelu_last_error() returns a sentence naming the argument and value at fault.
 * ------------------------------------------------------------------------------- */
typedef enum lrelu_status {
	LRELU_OK = 0,
	LRELU_ERR_ARG = 1,         /* invalid argument: NULL pointer, bad rank, negative dimension */
	LRELU_ERR_DTYPE = 2,       /* unknown dtype, or a dtype the operation does not support */
	LRELU_ERR_SHAPE = 3,       /* shapes differ, or a size or byte extent overflows */
	LRELU_ERR_OVERLAP = 4,     /* output overlaps an input partially, or overlaps itself */
	LRELU_ERR_SLOPE = 5,       /* a slope the framework refuses (e.g. float overflow) */
	LRELU_ERR_INPLACE = 6,     /* an in-place form the framework refuses */
	LRELU_ERR_UNSUPPORTED = 7, /* the framework does not define it (ONNX backward), ISA absent */
	LRELU_ERR_NOMEM = 8,       /* a temporary allocation failed */
	LRELU_ERR_QPARAM = 9       /* invalid quantization parameters */
} lrelu_status;

/* A short constant description of a status ("invalid argument", ...). Never NULL. */
LRELUAPI const char *lrelu_status_str(lrelu_status status);

/* The message of the last failing call made by this thread, or "" if none failed.
 * The pointer stays valid until this thread's next call into the library. */
LRELUAPI const char *lrelu_last_error(void);

/* ---------------------------------------------------------------------------------
 * Element types.  The 16-bit float types travel as their bit patterns in uint16_t.
 * ------------------------------------------------------------------------------- */
typedef enum lrelu_dtype {
	LRELU_FLOAT32 = 0,
	LRELU_FLOAT64 = 1,
	LRELU_BFLOAT16 = 2,
	LRELU_FLOAT16 = 3,
	LRELU_QINT8 = 4,   /* per-tensor affine int8 (torch.qint8): real = (q - zero_point) * scale */
	LRELU_QUINT8 = 5   /* per-tensor affine uint8 (torch.quint8) */
} lrelu_dtype;

/* Size in bytes of one element (0 for an unknown dtype). */
LRELUAPI size_t lrelu_dtype_size(lrelu_dtype dtype);
/* "float32", "float64", "bfloat16", "float16", "qint8", "quint8"; "?" if unknown. */
LRELUAPI const char *lrelu_dtype_name(lrelu_dtype dtype);

/* Exact conversions: round to nearest even, subnormals kept, overflow to infinity,
 * NaN stays NaN (sign and the top payload bits kept, quiet bit set). */
LRELUAPI float lrelu_bf16_to_f32(uint16_t bits);
LRELUAPI uint16_t lrelu_f32_to_bf16(float value);
LRELUAPI float lrelu_f16_to_f32(uint16_t bits);
LRELUAPI uint16_t lrelu_f32_to_f16(float value);

/* ---------------------------------------------------------------------------------
 * Frameworks: whose bits to reproduce.
 * ------------------------------------------------------------------------------- */
typedef enum lrelu_framework {
	/* torch.nn.LeakyReLU / F.leaky_relu (PyTorch 1.13, CPU): y = x > 0 ? x : x * s.
	 * s is rounded to float for float32/bfloat16/float16 and kept double for float64;
	 * 16-bit inputs are computed in float32 and rounded once more at the end. */
	LRELU_TORCH = 0,
	/* mindspore.nn.LeakyReLU / ops.leaky_relu (MindSpore 2.8, CPU, read from source):
	 * s = (T)(float)alpha, y = alpha > 1 ? min(s*x, x) : max(s*x, x),
	 * max(a,b) = a > b ? a : b, min(a,b) = a < b ? a : b. */
	LRELU_MINDSPORE = 1,
	/* ONNX LeakyRelu (opset 16): y = x < 0 ? s*x : x with s = CastLike((float)alpha, x). */
	LRELU_ONNX = 2,
	/* TensorFlow 2 tf.nn.leaky_relu: y = x > 0 ? x : x * s with s = (T)(float)alpha. */
	LRELU_TENSORFLOW = 3,
	/* jax.nn.leaky_relu (read from source, not run): y = x >= 0 ? x : s * x, so -0.0 is
	 * kept and a NaN x gives s * x.  s is the Python float as JAX's default (32-bit)
	 * mode makes it: (T)(float)slope for float32/bfloat16/float16, one rounding of
	 * the 16-bit product; float64 (jax_enable_x64) keeps the double.  Gradient
	 * dx = x >= 0 ? dy : s * dy (1 at x = 0); no in-place form. */
	LRELU_JAX = 4,
	/* ONNX Runtime's CPU LeakyRelu kernel (read from source, not run):
	 * y = x >= 0 ? x : (float)alpha * x, float32 only (the other dtypes have no CPU
	 * kernel and are LRELU_ERR_DTYPE); no gradient (an inference kernel). */
	LRELU_ONNXRUNTIME = 5
} lrelu_framework;

#define LRELU_TORCH_DEFAULT_SLOPE 0.01      /* torch.nn.LeakyReLU(negative_slope=0.01) */
#define LRELU_MINDSPORE_DEFAULT_ALPHA 0.2   /* mindspore.nn.LeakyReLU(alpha=0.2), <= 2.8 */
#define LRELU_ONNX_DEFAULT_ALPHA 0.01       /* ONNX LeakyRelu alpha attribute */
#define LRELU_TENSORFLOW_DEFAULT_ALPHA 0.2  /* tf.nn.leaky_relu(alpha=0.2) */
#define LRELU_JAX_DEFAULT_SLOPE 0.01        /* jax.nn.leaky_relu(negative_slope=0.01) */
#define LRELU_ONNXRUNTIME_DEFAULT_ALPHA 0.01 /* onnxruntime LeakyRelu alpha attribute */

/* "torch", "mindspore", "onnx", "tensorflow", "jax", "onnxruntime"; "?" if unknown. */
LRELUAPI const char *lrelu_framework_name(lrelu_framework fw);
/* The framework a name stands for: "torch", "mindspore", "onnx", "tensorflow", "jax",
 * "onnxruntime" (the names lrelu_framework_name returns) and the aliases "pytorch"
 * (LRELU_TORCH), "tf" (LRELU_TENSORFLOW) and "ort" (LRELU_ONNXRUNTIME), compared
 * case-sensitively.  Sets *out and returns LRELU_OK;
 * returns LRELU_ERR_ARG for any other name, or NULL name or out, with a message
 * listing the valid names (*out untouched).  Thread-safe. */
LRELUAPI lrelu_status lrelu_framework_from_name(const char *name, lrelu_framework *out);
/* The framework's default slope (0.01, 0.2, 0.01, 0.2, 0.01, 0.01); NaN if unknown. */
LRELUAPI double lrelu_default_slope(lrelu_framework fw);

/* ---------------------------------------------------------------------------------
 * Flat contiguous entry points, PyTorch semantics.  x == y is in place; any other
 * overlap between x[0..n) and y[0..n) is LRELU_ERR_OVERLAP.  NULL is allowed only
 * when n == 0.  lrelu_f32 and lrelu_bf16 refuse nothing (the slope is already a
 * float); lrelu_f16 follows PyTorch >= 2.1 (1.13 has no float16 LeakyReLU on CPU).
 * ------------------------------------------------------------------------------- */
LRELUAPI lrelu_status lrelu_f32(const float *x, float *y, size_t n, float negative_slope);
LRELUAPI lrelu_status lrelu_f64(const double *x, double *y, size_t n, double negative_slope);
LRELUAPI lrelu_status lrelu_bf16(const uint16_t *x, uint16_t *y, size_t n, float negative_slope);
LRELUAPI lrelu_status lrelu_f16(const uint16_t *x, uint16_t *y, size_t n, float negative_slope);

/* Flat backward, PyTorch semantics: dx[i] = a[i] > 0 ? dy[i] : dy[i] * s, where a is
 * the forward input (or the forward result after an in-place forward with s >= 0).
 * dx may alias dy or a exactly. */
LRELUAPI lrelu_status lrelu_f32_backward(const float *dy, const float *a, float *dx, size_t n,
                                         float negative_slope);
LRELUAPI lrelu_status lrelu_f64_backward(const double *dy, const double *a, double *dx, size_t n,
                                         double negative_slope);
LRELUAPI lrelu_status lrelu_bf16_backward(const uint16_t *dy, const uint16_t *a, uint16_t *dx,
                                          size_t n, float negative_slope);
LRELUAPI lrelu_status lrelu_f16_backward(const uint16_t *dy, const uint16_t *a, uint16_t *dx,
                                         size_t n, float negative_slope);

/* ---------------------------------------------------------------------------------
 * Tensors: any rank up to LRELU_MAX_DIMS, int64 shape, int64 strides counted in
 * elements (any sign, NULL for C-contiguous).  A 0-d tensor (ndim 0) has one element.
 * `data` points at the element of index (0, ..., 0).  Inputs are only read.
 * ------------------------------------------------------------------------------- */
#define LRELU_MAX_DIMS 16

typedef struct lrelu_tensor {
	void *data;
	lrelu_dtype dtype;
	int ndim;
	const int64_t *shape;   /* ndim entries, each >= 0; may be NULL when ndim == 0 */
	const int64_t *strides; /* ndim entries in elements, or NULL for C-contiguous */
	double scale;           /* LRELU_QINT8 / LRELU_QUINT8 only: scale > 0, finite */
	int32_t zero_point;     /* LRELU_QINT8 / LRELU_QUINT8 only: in the code range */
} lrelu_tensor;

/* A tensor with the given fields and no quantization parameters. */
static inline lrelu_tensor lrelu_tensor_make(void *data, lrelu_dtype dtype, int ndim,
                                             const int64_t *shape, const int64_t *strides)
{
	lrelu_tensor t;
	t.data = data;
	t.dtype = dtype;
	t.ndim = ndim;
	t.shape = shape;
	t.strides = strides;
	t.scale = 0.0;
	t.zero_point = 0;
	return t;
}

/* Forward: y = LeakyReLU(x) with fw's semantics and slope (negative_slope or alpha).
 * x and y must have the same dtype and shape.  y == NULL, or y describing exactly
 * x's elements (same data, same layout), computes in place; this is PyTorch's
 * leaky_relu_ and MindSpore's `x = m(x)`.  Partial overlap of y with x, or a y that
 * overlaps itself (a zero stride over more than one element), is LRELU_ERR_OVERLAP
 * with PyTorch's message.  Quantized tensors: y's scale and zero_point are the output
 * quantization (give y x's to get torch.ao.nn.quantized.functional.leaky_relu). */
LRELUAPI lrelu_status lrelu_forward(lrelu_framework fw, double slope, const lrelu_tensor *x,
                                    const lrelu_tensor *y);

/* Backward: grad_input = dL/dx given grad_output = dL/dy.
 * `saved` is the forward input x, or (self_is_result) the forward result after an
 * in-place forward; PyTorch refuses the latter when slope < 0 or is NaN, and
 * MindSpore has no in-place forward so it refuses it always.  grad_input may be the
 * same tensor as grad_output or saved (full overlap); partial overlap is an error.
 * LRELU_MINDSPORE follows MindSpore 2.8's autodiff of max(s*x, x): at ties (x = +-0,
 * x = +inf) each branch gets dy/2, so dx = dy/2 + (dy/2)*s; at NaN both get dy.
 * LRELU_ONNX and LRELU_ONNXRUNTIME have no gradient: LRELU_ERR_UNSUPPORTED. */
LRELUAPI lrelu_status lrelu_backward(lrelu_framework fw, double slope,
                                     const lrelu_tensor *grad_output, const lrelu_tensor *saved,
                                     bool self_is_result, const lrelu_tensor *grad_input);

/* ---------------------------------------------------------------------------------
 * Module layer: the two classes of the seed page, with their parameter names and
 * defaults.  A module is a plain value; it holds no resources.
 * ------------------------------------------------------------------------------- */
typedef struct lrelu_module {
	lrelu_framework framework;
	double slope;  /* negative_slope (PyTorch) or alpha (MindSpore, ONNX, TensorFlow) */
	bool inplace;  /* PyTorch only */
} lrelu_module;

/* torch.nn.LeakyReLU(negative_slope, inplace).  Pass LRELU_TORCH_DEFAULT_SLOPE for the
 * default.  Any double is accepted at construction, as PyTorch does; a slope the
 * dtype refuses fails at forward time, as in PyTorch. */
LRELUAPI lrelu_status lrelu_module_torch(lrelu_module *m, double negative_slope, bool inplace);

/* mindspore.nn.LeakyReLU(alpha).  Pass LRELU_MINDSPORE_DEFAULT_ALPHA for the default. */
LRELUAPI lrelu_status lrelu_module_mindspore(lrelu_module *m, double alpha);

/* Generic constructor.  inplace is accepted only for LRELU_TORCH: MindSpore (and the
 * others) have no such parameter; the error says to assign the output instead. */
LRELUAPI lrelu_status lrelu_module_init(lrelu_module *m, lrelu_framework fw, double slope,
                                        bool inplace);

/* Apply: as lrelu_forward.  An in-place module writes into x (y must be NULL or x's
 * elements); otherwise y is required (it may be x itself: the assignment `x = m(x)`). */
LRELUAPI lrelu_status lrelu_module_forward(const lrelu_module *m, const lrelu_tensor *x,
                                           const lrelu_tensor *y);

/* Backward through the module: saved is the input, or the result for an in-place
 * module (PyTorch's rules about negative slopes apply). */
LRELUAPI lrelu_status lrelu_module_backward(const lrelu_module *m, const lrelu_tensor *grad_output,
                                            const lrelu_tensor *saved,
                                            const lrelu_tensor *grad_input);

/* The module as the framework prints it, snprintf-style (returns the length the full
 * text needs; writes at most size bytes including the terminating NUL):
 *   PyTorch:    LeakyReLU(negative_slope=0.01)  /  LeakyReLU(negative_slope=0.2, inplace=True)
 *               with the slope as Python's repr of the float (0.01, 1e-20, 1e+16, nan)
 *   MindSpore:  LeakyReLU<>
 *   ONNX:       LeakyRelu(alpha=0.01)    TensorFlow: leaky_relu(alpha=0.2)
 *   JAX:        leaky_relu(negative_slope=0.01)    ONNX Runtime: LeakyRelu(alpha=0.01) */
LRELUAPI size_t lrelu_module_repr(const lrelu_module *m, char *buf, size_t size);

/* Python's repr() of a double (shortest round-trip digits), snprintf-style. */
LRELUAPI size_t lrelu_format_pyfloat(double value, char *buf, size_t size);

/* ---------------------------------------------------------------------------------
 * CPU dispatch.  The best ISA is chosen once (CPUID and XGETBV); the environment
 * variable LRELU_ISA=scalar|sse2|avx2|avx512|neon caps it at start-up.  Every ISA
 * gives the same bits; forcing one is for tests and benchmarks.
 * ------------------------------------------------------------------------------- */
typedef enum lrelu_isa {
	LRELU_ISA_AUTO = -1,
	LRELU_ISA_SCALAR = 0,
	LRELU_ISA_SSE2 = 1,
	LRELU_ISA_AVX2 = 2,   /* AVX2 + FMA + F16C */
	LRELU_ISA_AVX512 = 3, /* AVX-512 F/BW/VL (+BF16 where present) */
	LRELU_ISA_NEON = 4
} lrelu_isa;

/* Use `isa` from now on (all threads); LRELU_ISA_AUTO returns to the best available.
 * LRELU_ERR_UNSUPPORTED if this CPU or build lacks it. */
LRELUAPI lrelu_status lrelu_set_isa(lrelu_isa isa);
/* The ISA whose kernels run now. */
LRELUAPI lrelu_isa lrelu_get_isa(void);
/* Whether this CPU and build can run `isa`. */
LRELUAPI bool lrelu_isa_available(lrelu_isa isa);
/* "scalar", "sse2", "avx2", "avx512", "neon"; "auto" or "?" otherwise. */
LRELUAPI const char *lrelu_isa_name(lrelu_isa isa);

/* ---------------------------------------------------------------------------------
 * Threads.  Large tensors are split into contiguous chunks over a small pool;
 * results are identical for any thread count.  0 = automatic (LRELU_NUM_THREADS, or
 * the number of CPUs).  1 = never start a thread.  A count below 0 or above 1024 is
 * LRELU_ERR_ARG.  Calls that move at most 16 MiB (read + written; 8 MiB for bfloat16
 * and float16) never use threads.
 * ------------------------------------------------------------------------------- */
LRELUAPI lrelu_status lrelu_set_num_threads(int n);
LRELUAPI int lrelu_get_num_threads(void);

/* An application's own parallel-for (OpenMP, TBB, a job system) used instead of the
 * pool for large calls.  It must call task(task_arg, begin, end) on disjoint ranges
 * that cover [0, n) exactly once, each begin a multiple of grain, from any threads,
 * and return only after every such call has returned.  The library enters the IEEE
 * floating-point environment inside each task.  Small calls, and every call while the
 * thread count is 1, stay serial without it.  fn == NULL restores the pool; a call
 * already running keeps the callback it started with. */
typedef void (*lrelu_range_task)(void *task_arg, size_t begin, size_t end);
typedef void (*lrelu_parallel_for_fn)(void *user, size_t n, size_t grain,
                                      lrelu_range_task task, void *task_arg);
LRELUAPI void lrelu_set_parallel_for(lrelu_parallel_for_fn fn, void *user);

#ifdef __cplusplus
}
#endif
#endif /* LRELU_H */

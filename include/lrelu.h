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
 * LRELU_ERR_ARG.  Calls that move at most 1 MiB (read + written; 512 KiB for bfloat16
 * and float16) never use threads.  After a pooled call the workers spin for 20 ms (a
 * call in that time starts at once, as with oneDNN's and XNNPACK's pools), then wake
 * every 250 us for 50 ms, then sleep until a call wakes them: an idle process uses no
 * CPU.  A call under 4 MiB that finds them past their spin runs on the calling thread.
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

/* ---------------------------------------------------------------------------------
 * Diff: where two LeakyReLU results differ in their bits, and why.
 *
 * Compares two arrays of one float dtype element by element: A (the "from" side)
 * and B (the "to" side).  Each side is either given (a dump of a framework's output)
 * or computed here from its rule (framework and slope) on the input x; with x given,
 * the report also says which rule each given side matches.  Forward compares
 * LeakyReLU(x); backward (with grad = dL/dy) compares dL/dx, each rule taking its
 * gradient from the input x.  The causes, their tests and their order are in
 * docs/semantics.md, section 8 ("Why two results differ").
 *
 * Use: lrelu_diff_init once, lrelu_diff_add for each consecutive chunk of the flat
 * (C-order) arrays, lrelu_diff_finish for the report; or lrelu_diff_run for a whole
 * array at once.  Elements are in host byte order, any alignment; the 16-bit types
 * travel as their bit patterns in uint16_t.  Nothing is allocated: the state is a
 * plain value in the caller's memory, and the index list is the caller's buffer.
 * Thread safety: a state belongs to one thread at a time; separate states may be
 * used concurrently.
 * ------------------------------------------------------------------------------- */

/* Why an element differs.  The tests run in this order and the first that holds
 * names the element, so the counts add up to `differ`.  The first four look at the
 * two values only.  The others need the input x (and grad, backward) and apply where
 * the two values are the two rules' results: without x, or where a given side
 * follows neither rule, a difference between two numbers is LRELU_DIFF_OTHER. */
typedef enum lrelu_diff_cause {
	LRELU_DIFF_NAN_NUMBER = 0,       /* one side NaN, the other a finite number */
	LRELU_DIFF_INF_NAN = 1,          /* one side NaN, the other an infinity */
	LRELU_DIFF_NAN_PAYLOAD = 2,      /* both NaN, different sign or payload bits */
	LRELU_DIFF_SIGNED_ZERO = 3,      /* +0.0 against -0.0 */
	LRELU_DIFF_GRADIENT_TIE = 4,     /* backward, one side MindSpore, at an x where its
	                                    max/min picks no branch (x = +-0, a tie at
	                                    +-inf, NaN): the gradient is split or doubled;
	                                    or x = +-0 between JAX's x >= 0 and x > 0 */
	LRELU_DIFF_DOUBLE_ROUNDING = 5,  /* 16-bit: the product rounded to float and then to
	                                    the 16-bit type; rounded once it would agree */
	LRELU_DIFF_SLOPE_ROUNDING = 6,   /* one slope, rounded to different types (float
	                                    vs float16, double vs float) */
	LRELU_DIFF_DIFFERENT_SLOPES = 7, /* the two sides' slopes are different numbers */
	LRELU_DIFF_OTHER = 8,            /* none of the above */
	LRELU_DIFF_CAUSES = 9
} lrelu_diff_cause;

/* A cause's key ("nan_vs_number", "inf_vs_nan", "nan_payload", "signed_zero",
 * "gradient_tie", "double_rounding", "slope_rounding", "different_slopes", "other"),
 * or its label for people ("NaN vs number", ...) when label is true; "?" if unknown. */
LRELUAPI const char *lrelu_diff_cause_name(lrelu_diff_cause cause, bool label);

typedef struct lrelu_diff_options {
	lrelu_dtype dtype;          /* float32, float64, bfloat16 or float16 */
	lrelu_framework from, to;   /* the rules of side A and side B */
	double from_slope;          /* each framework's own parameter (negative_slope or */
	double to_slope;            /* alpha), rounded as that framework rounds it */
	bool backward;              /* compare dL/dx; lrelu_diff_add then needs grad */
	uint64_t *indices;          /* receives the flat indices of the first */
	size_t index_capacity;      /* index_capacity differing elements; NULL, 0: none */
} lrelu_diff_options;

typedef struct lrelu_diff_report {
	uint64_t elements;                  /* elements compared */
	uint64_t differ;                    /* elements whose bits differ (NaN payloads too) */
	uint64_t causes[LRELU_DIFF_CAUSES]; /* differ, split by lrelu_diff_cause */
	uint64_t numeric;   /* differing pairs of numbers, a +-0 pair excepted: the three
	                       measures below are taken over these */
	uint64_t max_ulp;   /* largest distance in representable values (+-inf is one past
	                       the largest finite value); 0 when numeric == 0 */
	double max_abs;     /* largest |a - b| (computed in double; inf with an infinity) */
	double max_rel;     /* largest |a - b| / max(|a|, |b|), in [0, 2]; a pair with an
	                       infinity counts as its limit (1, or 2 for -inf vs +inf).
	                       Both NaN when numeric == 0. */
	/* Attribution, counted only over elements given with x (attributed tells how
	 * many): match[s][r] counts the elements where side s (0 = A, 1 = B) equals rule r
	 * (0 = from, 1 = to), and neither[s] those where it equals neither.  "Equals" is
	 * the same bits, or both NaN: where a framework's NaN bits are not fixed (PyTorch's
	 * bfloat16, see docs/semantics.md) any NaN matches. */
	uint64_t attributed;
	uint64_t match[2][2];
	uint64_t neither[2];
	size_t nindices;    /* entries written to options.indices: min(differ, capacity) */
} lrelu_diff_report;

/* The slope both sides take when none is given (the command's documented default). */
#define LRELU_DIFF_DEFAULT_SLOPE 0.2

/*
 * The two sides' slopes from the slope options a user gave (NULL: not given), as the
 * command's `lrelu diff` and the Python package's lrelu.diff read them:
 *   from_slope, to_slope   set side A (from) and side B (to);
 *   negative_slope         sets every side whose framework is LRELU_TORCH;
 *   alpha                  sets every other side;
 *   exactly one given      applies to both sides, whatever its name;
 *   none given             both sides take LRELU_DIFF_DEFAULT_SLOPE.
 * LRELU_ERR_ARG (the message names the options by these parameter names) when two
 * options set one side to different values (NaN equals NaN here), when an option
 * reaches no side (negative_slope with neither side PyTorch, alpha with both), or
 * when a side is left without a slope; LRELU_ERR_ARG for a NULL output or an unknown
 * framework.  Nothing is written on failure.
 */
LRELUAPI lrelu_status lrelu_diff_slopes(lrelu_framework from, lrelu_framework to,
                                        const double *negative_slope, const double *alpha,
                                        const double *from_slope, const double *to_slope,
                                        double *from_out, double *to_out);

/* The running comparison.  Treat as opaque; it holds no resources. */
typedef struct lrelu_diff {
	lrelu_diff_options opt;
	lrelu_diff_report rep;
	uint32_t magic;
} lrelu_diff;

/* Start a comparison.  Both rules must be ones this library computes for the dtype,
 * even for two given arrays without x (the slopes are part of what is compared):
 * LRELU_ERR_DTYPE for a quantized or unknown dtype, LRELU_ERR_ARG for an unknown
 * framework or indices == NULL with index_capacity > 0, LRELU_ERR_SLOPE for a slope
 * PyTorch refuses for the dtype (beyond FLT_MAX), LRELU_ERR_UNSUPPORTED for ONNX
 * backward.  from == to is allowed (with equal slopes, computed sides never differ;
 * two dumps may still be checked against one rule). */
LRELUAPI lrelu_status lrelu_diff_init(lrelu_diff *d, const lrelu_diff_options *opt);

/* Compare the next n elements.  a and b are side A's and side B's values; NULL
 * computes that side from its rule on x (and grad).  x is the input (may be NULL
 * only when a and b are both given: then nothing is attributed).  grad is dL/dy,
 * required with backward whenever x is given, ignored otherwise.  mask, if not
 * NULL, receives n bytes: 1 where the bits differ, 0 where they are equal.  Indices
 * count from the first element of the first chunk.  The inputs may alias each
 * other; mask must not overlap them.  LRELU_ERR_ARG for an uninitialized state or a
 * NULL that is not allowed.  A failing call adds nothing to the state (mask and the
 * index buffer past report.nindices may have been written). */
LRELUAPI lrelu_status lrelu_diff_add(lrelu_diff *d, const void *a, const void *b,
                                     const void *x, const void *grad, size_t n, uint8_t *mask);

/* The report of everything added so far.  The state stays usable (add more, finish
 * again).  LRELU_ERR_ARG if d was not initialized or report is NULL. */
LRELUAPI lrelu_status lrelu_diff_finish(const lrelu_diff *d, lrelu_diff_report *report);

/* init + one add + finish: the whole-array form. */
LRELUAPI lrelu_status lrelu_diff_run(const lrelu_diff_options *opt, const void *a,
                                     const void *b, const void *x, const void *grad, size_t n,
                                     uint8_t *mask, lrelu_diff_report *report);

/* ---------------------------------------------------------------------------------
 * The LeakyReLU family: RReLU and PReLU, PyTorch 1.13 semantics (CPU; PReLU: MindSpore too).
 * ------------------------------------------------------------------------------- */

/* PyTorch's CPU generator: MT19937 as torch.manual_seed seeds it and as its CPU
 * kernels advance it.  The fields are those torch.get_rng_state() carries (its bytes
 * 0..7: seed, 8..11: left, 16..23: next, 24..5015: state[i] as uint64), so a state
 * can travel to and from PyTorch.  A plain value: copy it to fork a stream.  One
 * generator must not be used by two threads at once. */
#define LRELU_MT19937_N 624
typedef struct lrelu_generator {
	uint64_t seed;                     /* the seed it was seeded with (torch.initial_seed()) */
	int32_t left;                      /* 1..624; outputs before the next twist, plus one */
	uint32_t next;                     /* index of the next state word; left + next <= 625 */
	uint32_t state[LRELU_MT19937_N];
} lrelu_generator;

/* Seeds g as torch.manual_seed(seed) seeds PyTorch's CPU generator (only the low 32
 * bits feed MT19937; the whole seed is kept in g->seed).  LRELU_ERR_ARG if g is NULL. */
LRELUAPI lrelu_status lrelu_generator_seed(lrelu_generator *g, uint64_t seed);
/* LRELU_OK if g holds a state the generator can advance from (left in 1..624 and
 * left + next <= 625), else LRELU_ERR_ARG naming the field at fault. */
LRELUAPI lrelu_status lrelu_generator_check(const lrelu_generator *g);
/* The next 32-bit output (PyTorch's mt19937 operator()), for tests and for callers
 * that share the stream.  LRELU_ERR_ARG on a NULL or invalid generator. */
LRELUAPI lrelu_status lrelu_generator_next_u32(lrelu_generator *g, uint32_t *out);

#define LRELU_RRELU_DEFAULT_LOWER (1.0 / 8.0) /* torch.nn.RReLU(lower=1/8, upper=1/3) */
#define LRELU_RRELU_DEFAULT_UPPER (1.0 / 3.0)

/* RReLU in eval mode (torch.nn.RReLU in eval, F.rrelu(training=False)): leaky_relu
 * with the slope (lower + upper) / 2 computed in double, then rounded as
 * lrelu_forward(LRELU_TORCH) rounds it.  lower <= upper is required, as PyTorch
 * requires it (a NaN bound fails too): LRELU_ERR_SLOPE with PyTorch's message.  float16
 * is refused (LRELU_ERR_DTYPE) as PyTorch 1.13 refuses it; quantized dtypes too.  y as
 * in lrelu_forward (NULL: in place). */
LRELUAPI lrelu_status lrelu_rrelu_eval(double lower, double upper, const lrelu_tensor *x,
                                       const lrelu_tensor *y);
/* Its gradient: lrelu_backward(LRELU_TORCH) at the same slope (x = 0 takes the slope). */
LRELUAPI lrelu_status lrelu_rrelu_eval_backward(double lower, double upper,
                                                const lrelu_tensor *grad_output,
                                                const lrelu_tensor *x,
                                                const lrelu_tensor *grad_input);

/* RReLU in training mode, bit for bit with PyTorch given the same generator state:
 * in the logical (C) order of x's elements, each x <= 0 (+-0 and -inf included; NaN
 * not) draws r: two 32-bit outputs a, b; u = (b | (a & 0x1fffff) << 32) * 2^-53;
 * r = (T)(u * (hi - lo) + lo) in double, lo and hi being lower and upper first rounded
 * to the dtype T; then y = x * r in T and noise = r; every other element gets y = x
 * and noise = 1.  g advances by two outputs per draw.  x, y (NULL or x's elements: in
 * place) and noise: same dtype (float32, float64, bfloat16) and shape, any strides;
 * noise must not overlap x or y.  Not threaded: the draws are sequential, as PyTorch's.
 * A range PyTorch's draw refuses (hi - lo above DBL_MAX, e.g. an infinite bound) is
 * LRELU_ERR_SLOPE with PyTorch's message, and only when some element draws, as there.
 * On any error nothing is written and g is unchanged. */
LRELUAPI lrelu_status lrelu_rrelu_train(lrelu_generator *g, double lower, double upper,
                                        const lrelu_tensor *x, const lrelu_tensor *y,
                                        const lrelu_tensor *noise);
/* Its gradient, PyTorch's grad_output * noise in the dtype (also when lower == upper:
 * a NaN input then gets the gradient unchanged). grad_input may be grad_output or noise. */
LRELUAPI lrelu_status lrelu_rrelu_train_backward(const lrelu_tensor *grad_output,
                                                 const lrelu_tensor *noise,
                                                 const lrelu_tensor *grad_input);

/* PReLU, torch.nn.PReLU(num_parameters=1, init=0.25) / F.prelu (PyTorch 1.13):
 * y = x > 0 ? x : w[c] * x in the dtype (so -0.0 with a negative weight gives +0.0),
 * c the index along dimension 1 (a tensor of rank 0 or 1 is one channel).  weight: 0-d
 * or 1-D, x's dtype, 1 element (for every channel) or one per channel; a bfloat16 x
 * takes a float32, float64 or float16 weight too, rounded to bfloat16 through float as
 * PyTorch copies it.  Otherwise PyTorch's refusals and messages, in its order ("prelu:
 * Expected `weight` to be a scalar or 1D tensor, but got ndim = 2", "Not allow zero-dim
 * input tensor.", "Mismatch of parameter numbers and input channel size. Found parameter
 * numbers = 4 and channel size = 1.", "Found dtype Double but expected Float",
 * "\"prelu_cpu\" not implemented for 'Half'").  float32, float64, bfloat16; float16 and
 * the quantized types LRELU_ERR_DTYPE as in 1.13.  x and y: same shape, any strides
 * (channels-first and channels-last alike); y == x's elements is in place, any other
 * overlap LRELU_ERR_OVERLAP.
 * fw LRELU_MINDSPORE: mindspore.nn.PReLU(channel=1, w=0.25) / ops.PReLU (MindSpore 2.8,
 * its CPU kernel): y = x < 0 ? w[c] * x : x (-0.0 and NaN unchanged); float16 or
 * float32, weight 1-D of x's dtype (nn.PReLU casts its float32 parameter), 1 or C
 * elements; x.shape[0] * x.shape[1] == 0 refused as MindSpore refuses it.  Any other
 * framework: LRELU_ERR_UNSUPPORTED. */
LRELUAPI lrelu_status lrelu_prelu_forward(lrelu_framework fw, const lrelu_tensor *x,
                                          const lrelu_tensor *weight, const lrelu_tensor *y);
/* PReLU's gradients given grad_output (x's shape and dtype):
 *   grad_input[i] = x > 0 ? g : w[c] * g, bit for bit with PyTorch;
 *   grad_weight[c] = the sum over channel c of (x > 0 ? 0 : x * g), the products
 *     rounded to the dtype as PyTorch rounds them, summed in one fixed order in double
 *     with compensation and rounded once to x's dtype, then cast to the weight's (as
 *     autograd casts it): identical for every thread count and ISA.  PyTorch's own sum
 *     depends on its thread count (docs/semantics.md gives the distance).
 * fw LRELU_MINDSPORE (PReLUGrad's CPU kernel): grad_input = x <= 0 ? w[c] * g : g;
 *   grad_weight[c] = the products x * g over x < 0, accumulated in float in the
 *   elements' C order (MindSpore's order on one thread), rounded to the dtype.
 * Either output may be NULL (not computed).  grad_weight has weight's shape and dtype
 * and must not overlap anything else; grad_input may be grad_output or x (same
 * elements). */
LRELUAPI lrelu_status lrelu_prelu_backward(lrelu_framework fw, const lrelu_tensor *grad_output,
                                           const lrelu_tensor *x,
                                           const lrelu_tensor *weight,
                                           const lrelu_tensor *grad_input,
                                           const lrelu_tensor *grad_weight);

#ifdef __cplusplus
}
#endif
#endif /* LRELU_H */

/* internal.h - declarations shared by the library's layers: kernel contract, tables, errors */
#ifndef LRELU_INTERNAL_H
#define LRELU_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "lrelu.h"

#if defined(__GNUC__)
#  define LRELU_HIDDEN __attribute__((visibility("hidden")))
#  define LRELU_ALWAYS_INLINE inline __attribute__((always_inline))
#  define LRELU_NOINLINE __attribute__((noinline))
#else
#  define LRELU_HIDDEN
#  define LRELU_ALWAYS_INLINE inline
#  define LRELU_NOINLINE
#endif

/* lrelu_dtype_size for the library's own use: inline, where the exported function
 * would be a call through the PLT in the shared library (it counts at 64 elements). */
static inline size_t lrelu_esize(lrelu_dtype dt)
{
	switch (dt) {
	case LRELU_FLOAT32:
		return 4;
	case LRELU_FLOAT64:
		return 8;
	case LRELU_BFLOAT16:
	case LRELU_FLOAT16:
		return 2;
	case LRELU_QINT8:
	case LRELU_QUINT8:
		return 1;
	}
	return 0;
}

/* The last lrelu_framework value: range checks of framework codes use it, so that a new
 * framework is one edit here. */
#define LRELU_FRAMEWORK_LAST LRELU_ONNXRUNTIME

/*
 * Forward rules.  Each framework's forward is one of these predicates applied to the
 * product p = s * x, where p is computed in the tensor's arithmetic type:
 *   float32: float product; float64: double product;
 *   bfloat16/float16: x widened to float, float product, then rounded to the 16-bit
 *   type (once more, after the float rounding; with a slope that is itself a 16-bit
 *   value the float product is exact, so the 16-bit rounding is the only one).
 * The slope value in the parameters already carries the framework's slope rounding.
 */
enum lrelu_rule {
	RULE_GT = 0,  /* y = x > 0 ? x : p              PyTorch, TensorFlow */
	RULE_LT = 1,  /* y = x < 0 ? p : x              ONNX (opset 16 function body) */
	RULE_MAX = 2, /* y = p > x ? p : x              MindSpore, alpha <= 1 (or NaN) */
	RULE_MIN = 3, /* y = p < x ? p : x              MindSpore, alpha > 1 */
	RULE_GE = 4,  /* y = x >= 0 ? x : p             JAX, ONNX Runtime's CPU kernel */
	RULE_COUNT = 5
};

/* Backward rules (a is the saved input or result, g the incoming gradient). */
enum lrelu_brule {
	BRULE_GT = 0,  /* dx = a > 0 ? g : g*s                          PyTorch, TensorFlow */
	BRULE_MAX = 1, /* MindSpore autodiff of max(s*a, a): see ref.c  MindSpore, alpha <= 1 */
	BRULE_MIN = 2, /* MindSpore autodiff of min(s*a, a)             MindSpore, alpha > 1 */
	BRULE_GE = 3,  /* dx = a >= 0 ? g : g*s                         JAX */
	BRULE_COUNT = 4
};

/* Float element types with kernels (index into the tables). */
enum { KT_F32 = 0, KT_F64 = 1, KT_BF16 = 2, KT_F16 = 3, KT_COUNT = 4 };

/* Parameters prepared once per call by semantics.c, read by every kernel. */
struct lrelu_kparams {
	float s32;  /* slope for float32 and the 16-bit types (value as float) */
	double s64; /* slope for float64 */
	/* quantized: the two code tables (vector body / scalar tail), see quant.c */
	const uint8_t *qtab_body;
	const uint8_t *qtab_tail;
	/* out-of-place forward kernels stream their stores (non-temporal); set by the
	 * runner from the whole call (lrelu_nt_wanted), so a thread's chunk streams too */
	int nt;
};

/* Kernel contract: n elements; x == y (and dx == g or dx == a) is legal; kernels never
 * validate, never read or write past n, and accept any alignment. */
typedef void (*lrelu_fwd_fn)(size_t n, const void *x, void *y, const struct lrelu_kparams *p);
typedef void (*lrelu_bwd_fn)(size_t n, const void *a, const void *g, void *dx,
                             const struct lrelu_kparams *p);

/*
 * PReLU (src/prelu.c): a slope per channel.  The operand is rows of `inner` contiguous
 * elements, row r being channel (c0 + r) % C, whose slope is w[that channel]; w holds
 * C values in the operand's dtype.  Channels-first is inner = H * W; channels-last is
 * inner = 1 (one element per row, the channel cycling along the row of C).  The rule
 * and its rounding are those of the LeakyReLU kernels with that slope (p's slope
 * fields are unused; p->nt as for them).  x == y (dx == g, dx == a) is legal.  The
 * SIMD tables have the compare rules (RULE_GT, RULE_LT, RULE_GE; BRULE_GT, BRULE_GE)
 * and NULL for the others; the scalar table has every rule.
 */
typedef void (*lrelu_pfwd_fn)(size_t rows, size_t inner, size_t C, size_t c0, const void *x,
                              void *y, const void *w, const struct lrelu_kparams *p);
typedef void (*lrelu_pbwd_fn)(size_t rows, size_t inner, size_t C, size_t c0, const void *a,
                              const void *g, void *dx, const void *w,
                              const struct lrelu_kparams *p);

/* The forward for small calls made without the floating-point environment guard
 * (fpenv.h): exact whatever the caller's MXCSR holds, for the inputs it accepts; it
 * returns how many leading elements it wrote (n, or where it met a value it cannot
 * vouch for, and wrote nothing from there on).  Float types only: KT_F32, KT_F64. */
typedef size_t (*lrelu_fwdx_fn)(size_t n, const void *x, void *y, const struct lrelu_kparams *p);

/*
 * Quantized (qint8 / quint8) forward: a byte-table lookup (src/kernels/q8lut.h).  body
 * and tail are the same lookup applied to lrelu_kparams.qtab_body and .qtab_tail;
 * tele says it reads the tables' shuffle rows; needs, the CPU features (cpu.h bits) it
 * needs beyond those of its table, 0 for none.  The builders fill the tables.
 */
struct lrelu_q8params;
typedef void (*lrelu_q8build_fn)(const struct lrelu_q8params *q, uint8_t *body, uint8_t *tail);
struct lrelu_q8kernel {
	const char *name;
	lrelu_fwd_fn body, tail;
	int tele;
	unsigned needs;
};
struct lrelu_q8builder {
	lrelu_q8build_fn build;
	unsigned needs;
};

/* One table per ISA.  q8 and q8build list the choices best first, the last one
 * needing nothing (dispatch.c, lrelu_q8_choose). */
struct lrelu_kernels {
	lrelu_isa isa;
	lrelu_fwd_fn fwd[KT_COUNT][RULE_COUNT];
	lrelu_bwd_fn bwd[KT_COUNT][BRULE_COUNT];
	lrelu_fwdx_fn fwdx[2][RULE_COUNT]; /* all NULL where the ISA has none */
	struct lrelu_q8kernel q8[2];
	struct lrelu_q8builder q8build[2];
	lrelu_pfwd_fn pfwd[KT_COUNT][RULE_COUNT];
	lrelu_pbwd_fn pbwd[KT_COUNT][BRULE_COUNT];
};

/* ref.c: the scalar reference, the specification every other kernel must match. */
LRELU_HIDDEN extern const struct lrelu_kernels lrelu_kernels_scalar;

/* dispatch.c: the table in use (never NULL); chosen once, overridable.  Inline, since
 * every call reads it: one atomic load once the choice is made. */
LRELU_HIDDEN extern _Atomic(const struct lrelu_kernels *) lrelu_active_table;
LRELU_HIDDEN const struct lrelu_kernels *lrelu_init_active_kernels(void);
static inline const struct lrelu_kernels *lrelu_active_kernels(void)
{
	const struct lrelu_kernels *k =
		atomic_load_explicit(&lrelu_active_table, memory_order_acquire);
	return k != NULL ? k : lrelu_init_active_kernels();
}
/* The table of a given ISA if this CPU and build have it, else NULL. */
LRELU_HIDDEN const struct lrelu_kernels *lrelu_kernels_for(lrelu_isa isa);
/* The quantized lookup and table builder of table k that this CPU runs. */
LRELU_HIDDEN const struct lrelu_q8kernel *lrelu_q8_choose(const struct lrelu_kernels *k,
                                                         lrelu_q8build_fn *build);

/* error.c: record a failure for lrelu_last_error() and return its status. */
LRELU_HIDDEN lrelu_status lrelu_fail(lrelu_status st, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* PyTorch's overlap messages, kept verbatim. */
#define LRELU_MSG_SELF_OVERLAP                                                          \
	"unsupported operation: more than one element of the written-to tensor refers to " \
	"a single memory location. Please clone() the tensor before performing the operation."
#define LRELU_MSG_PARTIAL_OVERLAP                                                      \
	"unsupported operation: some elements of the input tensor and the written-to "    \
	"tensor refer to a single memory location. Please clone() the tensor before "      \
	"performing the operation."

/* One operand's shape, strides and data pointer: ndim in range, no negative dimension,
 * the element count and every byte offset within int64, data non-NULL when there are
 * elements.  Sets *numel; the message names the operand as name. */
LRELU_HIDDEN lrelu_status lrelu_check_tensor(const lrelu_tensor *t, const char *name,
                                             size_t esize, int64_t *numel);

/* tensor.c: the element-wise walk over up to three strided operands. */
struct lrelu_walk {
	int nops;                 /* 2 (forward: y, x) or 3 (backward: dx, a, g); ops[0] is written */
	const char *const *names; /* operand names for messages, e.g. {"y", "x"} */
	lrelu_fwd_fn fwd;         /* forward, contiguous runs */
	/* Forward kernel for the elements PyTorch sends through its scalar loop: the last
	 * (run length mod body_block) elements of each contiguous run, and every element of
	 * a run that is not contiguous.  Float kernels give the same bits everywhere, so for
	 * them fwd_tail == fwd and body_block == 0; the quantized kernels differ. */
	lrelu_fwd_fn fwd_tail;
	size_t body_block;
	lrelu_bwd_fn bwd;         /* backward (nops == 3) */
	lrelu_fwdx_fn fwdx;       /* forward without the FP guard for small dense calls, or NULL */
	const struct lrelu_kparams *params;
};
/* Validates the operands (dtype, shape, strides, overflow, overlap) and runs the walk,
 * threaded above the size threshold, under the floating-point environment guard
 * (fpenv.h) except where fwdx finishes a small call alone.  Returns a status (message
 * recorded). */
LRELU_HIDDEN lrelu_status lrelu_run_elementwise(const struct lrelu_walk *w,
                                                const lrelu_tensor *const *ops);
/* tensor.c: the dense runner, shared by the flat entry points and dense tensors.
 * Operands of n contiguous elements of dt: ptr[0] written, ptr[1] the input (x or the
 * saved tensor), ptr[2] the gradient (backward); each written one the same as or
 * disjoint from the others (the caller checked, lrelu_partial_overlap).  done: how many
 * leading elements lrelu_fwdx_try already wrote.  Decides the non-temporal stores, and
 * runs under the FP guard, threaded above the size threshold. */
LRELU_HIDDEN lrelu_status lrelu_run_dense(const struct lrelu_walk *w, lrelu_dtype dt,
                                          char *const *ptr, size_t n, size_t done);

/* Calls that move at most this many bytes (read + written) run on the calling thread;
 * above it every call with more than one thread uses the pool (threads.c: the reasons;
 * docs/performance.md: the measurements; overridable at build time to measure it:
 * make bench-threshold). */
#ifndef LRELU_PAR_MIN_BYTES
#define LRELU_PAR_MIN_BYTES ((size_t)1 << 20)
#endif
/* The least a pooled call's chunk moves (bytes read + written; threads.c, struct cut). */
#ifndef LRELU_PAR_CHUNK_BYTES
#define LRELU_PAR_CHUNK_BYTES ((size_t)128 << 10)
#endif
/* How long the pool's workers spin after a job before they nap (threads.c). */
#ifndef LRELU_SPIN_NS
#define LRELU_SPIN_NS 20000000
#endif
/* After the spin a worker naps: it sleeps in slices of LRELU_NAP_SLICE_NS that end by
 * themselves, for LRELU_NAP_NS in all, then sleeps until woken (threads.c). */
#ifndef LRELU_NAP_NS
#define LRELU_NAP_NS 50000000
#endif
#ifndef LRELU_NAP_SLICE_NS
#define LRELU_NAP_SLICE_NS 250000
#endif
/* A call that finds a worker napping wakes it (a system call) only if it moves at
 * least this many bytes (read + written, times lrelu_par_weight); a smaller call runs
 * on the caller alone, and the napper that finds it spins for the next (threads.c). */
#ifndef LRELU_WAKE_MIN_BYTES
#define LRELU_WAKE_MIN_BYTES ((size_t)4 << 20)
#endif

/* threads.c: run fn(arg, begin, end) over [0, n) split into contiguous chunks whose
 * boundaries are multiples of `align` elements; serial below the size threshold.
 * bytes_per_elem is what the threshold and the chunking see: bytes read + written,
 * times lrelu_par_weight. */
typedef void (*lrelu_range_fn)(void *arg, size_t begin, size_t end);
/* The 16-bit float kernels convert every element and move fewer bytes per second than
 * float32's in the caches, so their calls count double against the thread threshold:
 * a bfloat16 call takes as long as a float32 call of two to three times its bytes
 * (docs/performance.md). */
static inline size_t lrelu_par_weight(lrelu_dtype dt)
{
	return dt == LRELU_BFLOAT16 || dt == LRELU_FLOAT16 ? 2 : 1;
}
LRELU_HIDDEN void lrelu_parallel_for(size_t n, size_t align, size_t bytes_per_elem,
                                     lrelu_range_fn fn, void *arg);
/* The align, in rows of row_bytes contiguous bytes, that cuts a run of such rows on
 * whole 4 KiB pages (as the dense runner's element align does): no page or cache line
 * is written by two threads. */
static inline size_t lrelu_par_rows_align(size_t row_bytes)
{
	size_t g = 4096;
	while (row_bytes % g != 0)
		g >>= 1;
	return 4096 / g;
}

/* Small forward calls try the ISA's fwdx kernel before entering the floating-point
 * environment guard: reading MXCSR waits for the floating-point work in flight, a
 * large part of a 64-element call; from a few hundred bytes on, fwdx's per-block check
 * costs more than that (docs/kernels.md, docs/performance.md). */
#ifndef LRELU_FWDX_MAX_BYTES
#define LRELU_FWDX_MAX_BYTES 512
#endif

/* x == y exactly (in place), or disjoint: 0; any other overlap of the bytes: 1. */
static inline int lrelu_partial_overlap(const void *x, const void *y, size_t bytes)
{
	uintptr_t a = (uintptr_t)x, b = (uintptr_t)y;
	return a != b && a < b + bytes && b < a + bytes;
}

/* The first step of a small dense forward, inlined into its callers: fwdx (where the
 * ISA has one) up to the cut-off.  Returns how many leading elements it finished; the
 * caller returns if that is all of them, else hands the rest to lrelu_run_dense. */
static LRELU_ALWAYS_INLINE size_t lrelu_fwdx_try(lrelu_fwdx_fn fx, size_t n, size_t esize,
                                                const void *x, void *y,
                                                const struct lrelu_kparams *p)
{
	if (fx == NULL || n * esize > LRELU_FWDX_MAX_BYTES)
		return 0;
	return fx(n, x, y, p);
}

/* The flat entry points (PyTorch semantics) receive the slope as a float (a double for
 * float64): nothing there can be refused, the value is the slope, the rule is x > 0.
 * This is lrelu_prepare_forward(LRELU_TORCH, ...) for that case, without its checks,
 * and without a conversion between float and double (see api.c). */
static inline void lrelu_torch_flat_params(float s32, double s64, struct lrelu_kparams *p)
{
	p->s32 = s32;
	p->s64 = s64;
	p->qtab_body = p->qtab_tail = NULL;
	p->nt = 0;
}

/*
 * Out-of-place forward calls use non-temporal stores (x86) when their contiguous runs
 * hold at least lrelu_nt_rule(LLC) bytes per operand: the larger of LRELU_NT_BYTES and
 * the last-level cache's size over LRELU_NT_LLC_DIV.  Below it the next layer finds y
 * in the cache, where streaming y to memory would send that read to DRAM; above it x
 * and y no longer stay in the cache together, and streaming saves the read for
 * ownership of y's lines.  12 MiB per operand is where streaming began to win with a
 * private 32 MiB L3.  With a 260 MiB L3 that a virtual machine shares with other
 * guests, a call followed by a read of y was 1.09-1.28x slower streamed at 16 MiB and
 * 1.05-1.39x faster from 32 MiB (docs/kernels.md, `make bench-chain`).  Decided in one
 * place, lrelu_nt_wanted (tensor.c), for the whole call: the runner sets
 * lrelu_kparams.nt, so every thread's chunk of a large call streams, and the kernels
 * read only that flag.
 */
#ifndef LRELU_NT_BYTES
#define LRELU_NT_BYTES ((size_t)12 << 20)
#endif
#ifndef LRELU_NT_LLC_DIV
#define LRELU_NT_LLC_DIV 10
#endif
/* The threshold for a last-level cache of llc bytes (0: unknown). */
LRELU_HIDDEN size_t lrelu_nt_rule(size_t llc);
/* Whether an out-of-place forward with this many bytes per operand streams its stores. */
LRELU_HIDDEN int lrelu_nt_wanted(size_t bytes);

/*
 * Test support (as libdeflate's TEST_SUPPORT): the library the tests link is built with
 * -DLRELU_TEST_SUPPORT, and then these tuning values are variables the tests may move
 * (set them only while no other thread is inside the library).  The shipped library
 * has constants in their place, so there is no writable knob to trip over.
 */
#ifdef LRELU_TEST_SUPPORT
/* tensor.c: 0 (the default) keeps lrelu_nt_rule, any other value is the threshold in
 * bytes per operand; and the count of calls that chose non-temporal stores */
LRELU_HIDDEN extern size_t lrelu_nt_bytes;
LRELU_HIDDEN extern _Atomic uint64_t lrelu_nt_calls;
LRELU_HIDDEN extern size_t lrelu_par_min_bytes; /* threads.c */
LRELU_HIDDEN extern _Atomic uint64_t lrelu_spin_ns; /* threads.c: read by spinning workers */
/* threads.c: the nap (in all, and each slice) and the least bytes of a call that wakes a
 * napping worker; futex wakes of workers so far */
LRELU_HIDDEN extern _Atomic uint64_t lrelu_nap_ns, lrelu_nap_slice_ns;
LRELU_HIDDEN extern size_t lrelu_wake_min_bytes;
LRELU_HIDDEN extern _Atomic uint64_t lrelu_par_wakes;
/* threads.c: jobs handed to the pool so far; a function every thread calls with each
 * chunk it claims (begin, end, align) */
LRELU_HIDDEN extern _Atomic uint64_t lrelu_par_pooled;
LRELU_HIDDEN extern void (*_Atomic lrelu_par_chunk_hook)(size_t begin, size_t end, size_t align);
/* threads.c: the pool's workers by what they do.  The pool's counters count a worker from
 * just before its last check to just after its wait; a job may have woken it already, so
 * the tests wait on the per-worker fields, which say which job the worker has seen. */
struct lrelu_par_census {
	int workers;             /* all of them */
	int sleepers, nappers;   /* the pool's counters of sleepers and nappers */
	int asleep_seen_last;    /* asleep until woken, having seen the last job */
	int napping_seen_last;   /* napping, having seen the last job */
	int napping_before_last; /* napping, having seen the job before (the last left them be) */
	int awake;               /* spinning or running a job */
};
LRELU_HIDDEN int lrelu_par_census(struct lrelu_par_census *c);
/* threads.c: k > 0 cuts every pooled call into k equal chunks per thread (the cut
 * before struct cut), for bench/handoff.c's side-by-side measurement; 0: the real cut */
LRELU_HIDDEN extern int lrelu_par_equal_chunks;
#else
#define lrelu_par_min_bytes LRELU_PAR_MIN_BYTES
#endif

/* semantics.c: prepare kernel parameters for a float dtype. */
LRELU_HIDDEN lrelu_status lrelu_prepare_forward(lrelu_framework fw, double slope, lrelu_dtype dt,
                                                struct lrelu_kparams *p, enum lrelu_rule *rule);
LRELU_HIDDEN lrelu_status lrelu_prepare_backward(lrelu_framework fw, double slope, lrelu_dtype dt,
                                                 int self_is_result, struct lrelu_kparams *p,
                                                 enum lrelu_brule *rule);

/* semantics.c: the framework rules for a quantized forward (PyTorch only; the slopes
 * it refuses). */
LRELU_HIDDEN lrelu_status lrelu_quant_rules(lrelu_framework fw, double slope, lrelu_dtype dt);

/* quant.c: prepare a forward on LRELU_QINT8 / LRELU_QUINT8 tensors: the rules above,
 * the quantization parameters, the code tables in p (built or reused), and the lookup
 * kernel of table k.  The walk then runs *kern's body and tail. */
LRELU_HIDDEN lrelu_status lrelu_prepare_quant(lrelu_framework fw, double slope,
                                              const lrelu_tensor *x, const lrelu_tensor *y,
                                              const struct lrelu_kernels *k,
                                              struct lrelu_kparams *p,
                                              const struct lrelu_q8kernel **kern);

#endif /* LRELU_INTERNAL_H */

/* ref.c - the scalar reference kernels: this file *is* the specification of every rule */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fp16.h"
#include "internal.h"
#include "kernels/q8lut.h"

/*
 * One element of each rule, per arithmetic type.  The SIMD kernels in kernels/ must
 * give exactly these bits for every input (they are tested against this file on every
 * ISA the machine has).
 *
 * Forward, with p = s * x rounded to the tensor's type:
 *   RULE_GT   x > 0 ? x : p      -0.0, +0.0 and NaN take p: NaN comes out quieted,
 *                                -inf * 0 is NaN (PyTorch, TensorFlow).
 *   RULE_LT   x < 0 ? p : x      zeros and NaN come out as x, unchanged (ONNX).
 *   RULE_MAX  p > x ? p : x      MindSpore's CPU Maximum(lhs = s*x, rhs = x): when the
 *   RULE_MIN  p < x ? p : x      compare is false (a tie or a NaN) the result is x.
 *   RULE_GE   x >= 0 ? x : p     zeros come out as x (-0.0 kept), NaN takes p, quieted
 *                                (JAX's where(x >= 0, x, s*x), ONNX Runtime's CPU
 *                                kernel): RULE_LT's bits except for NaN inputs.
 * For bfloat16/float16 the product is formed in float from the widened x and the
 * slope's float value, then rounded to the 16-bit type.  With PyTorch's float slope
 * that is two roundings (float, then 16-bit), exactly as its CPU kernel does; with a
 * slope that is itself a 16-bit value (MindSpore, ONNX, TensorFlow) the float product
 * is exact and the 16-bit rounding is the only one, as in those frameworks.
 */

/*
 * The product is kept a separate value, opaque to the optimizer: clang folds
 * `c ? x : x*s` into `x * (c ? 1 : s)`, which is the same number except that it quiets
 * a signalling NaN that the rule must pass through unchanged.  The barrier emits no
 * instruction.
 */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__SSE2_MATH__))
#  define OPAQUE(v) __asm__("" : "+x"(v))
#elif defined(__GNUC__) && defined(__aarch64__)
#  define OPAQUE(v) __asm__("" : "+w"(v))
#elif defined(__GNUC__)
#  define OPAQUE(v) __asm__("" : "+m"(v))
#else
#  define OPAQUE(v) ((void)0)
#endif

/* float and double: the same rules in the tensor's own arithmetic type. */
#define DEFINE_FWD1(name, T)                                                             \
	static inline T name##_fwd(int rule, T x, T s)                                       \
	{                                                                                    \
		T p = x * s;                                                                     \
		OPAQUE(p);                                                                       \
		switch (rule) {                                                                  \
		case RULE_GT:                                                                    \
			return x > (T)0 ? x : p;                                                     \
		case RULE_LT:                                                                    \
			return x < (T)0 ? p : x;                                                     \
		case RULE_MAX:                                                                   \
			return p > x ? p : x;                                                        \
		case RULE_GE:                                                                    \
			return x >= (T)0 ? x : p;                                                    \
		default:                                                                         \
			return p < x ? p : x;                                                        \
		}                                                                                \
	}
DEFINE_FWD1(f32, float)
DEFINE_FWD1(f64, double)

/* 16-bit: `to` widens exactly, `from` rounds to nearest even. */
typedef float (*widen_fn)(uint16_t);
typedef uint16_t (*narrow_fn)(float);

static inline uint16_t h_fwd(int rule, uint16_t h, float s, widen_fn to, narrow_fn from)
{
	float x = to(h);
	uint16_t p = from(x * s);
	float pf = to(p);
	switch (rule) {
	case RULE_GT:
		return x > 0.0f ? h : p;
	case RULE_LT:
		return x < 0.0f ? p : h;
	case RULE_MAX:
		return pf > x ? p : h;
	case RULE_GE:
		return x >= 0.0f ? h : p;
	default:
		return pf < x ? p : h;
	}
}

/*
 * Backward.
 *   BRULE_GT: dx = a > 0 ? g : g * s   (PyTorch, TensorFlow; a is the input, or the
 *             result after an in-place forward; the gradient at 0 is the slope).
 *   BRULE_GE: dx = a >= 0 ? g : g * s  (JAX: the derivative of where(x >= 0, x, s*x)
 *             is where's select applied to the branches' tangents g and s*g; the
 *             gradient at +-0 is g, at NaN s*g).
 *   BRULE_MAX / BRULE_MIN: MindSpore 2.8 has no LeakyReLU gradient on this path; its
 *             autodiff composes Maximum (or Minimum) and Mul.  Read from its source
 *             (frontend/expander/grad/grad_math_ops.cc, MinimumMaximumGrad), not run:
 *               lhs = s*x, rhs = x, half = g / 2 (in the tensor's type),
 *               the winner of the compare gets g, the loser +0;
 *               a tie (lhs == rhs: x = +-0, x = +inf) gives each side half;
 *               unordered (NaN) gives each side all of g (Equal, Less and Greater are
 *               all false there, so neither select zeroes it);
 *               dx = g_rhs + g_lhs * s   (Mul's gradient, then the two uses summed),
 *             every operation rounded to the tensor's type.  So at x = 0 MindSpore's
 *             gradient is (1 + s)/2 * g where PyTorch's is s * g.
 */
enum { SIDE_LHS, SIDE_RHS, SIDE_TIE, SIDE_NAN };

/* Which side of max(lhs, rhs) / min(lhs, rhs) wins. */
static inline int ms_side(int brule, int gt, int lt, int eq)
{
	if (eq)
		return SIDE_TIE;
	if (brule == BRULE_MAX)
		return gt ? SIDE_LHS : lt ? SIDE_RHS : SIDE_NAN;
	return lt ? SIDE_LHS : gt ? SIDE_RHS : SIDE_NAN;
}

#define DEFINE_BWD1(name, T)                                                             \
	static inline T name##_bwd(int brule, T a, T g, T s)                                 \
	{                                                                                    \
		T p, gl, gr;                                                                     \
		if (brule == BRULE_GT || brule == BRULE_GE) {                                    \
			p = g * s;                                                                   \
			OPAQUE(p);                                                                   \
			if (brule == BRULE_GE)                                                       \
				return a >= (T)0 ? g : p;                                                \
			return a > (T)0 ? g : p;                                                     \
		}                                                                                \
		p = a * s;                                                                       \
		switch (ms_side(brule, p > a, p < a, p == a)) {                                  \
		case SIDE_LHS:                                                                   \
			gl = g, gr = (T)0;                                                           \
			break;                                                                       \
		case SIDE_RHS:                                                                   \
			gl = (T)0, gr = g;                                                           \
			break;                                                                       \
		case SIDE_TIE:                                                                   \
			gl = gr = g * (T)0.5;                                                        \
			break;                                                                       \
		default:                                                                         \
			gl = gr = g;                                                                 \
			break;                                                                       \
		}                                                                                \
		return gr + gl * s;                                                              \
	}
DEFINE_BWD1(f32, float)
DEFINE_BWD1(f64, double)

static inline uint16_t h_bwd(int brule, uint16_t ah, uint16_t gh, float s, widen_fn to,
                             narrow_fn from)
{
	float a = to(ah), g = to(gh), p, gl, gr;
	if (brule == BRULE_GT)
		return a > 0.0f ? gh : from(g * s);
	if (brule == BRULE_GE)
		return a >= 0.0f ? gh : from(g * s);
	p = to(from(a * s));
	switch (ms_side(brule, p > a, p < a, p == a)) {
	case SIDE_LHS:
		gl = g, gr = 0.0f;
		break;
	case SIDE_RHS:
		gl = 0.0f, gr = g;
		break;
	case SIDE_TIE:
		gl = gr = to(from(g * 0.5f));
		break;
	default:
		gl = gr = g;
		break;
	}
	return from(gr + to(from(gl * s)));
}

/* ---- the loops ---------------------------------------------------------------- */

/* Element access through memcpy: tensors may be misaligned (a .npy payload, a packed
 * struct), and compilers turn these into plain loads and stores. */
#define DEFINE_ACCESS(name, T)                                                           \
	static inline T ld_##name(const void *p, size_t i)                                   \
	{                                                                                    \
		T v;                                                                             \
		memcpy(&v, (const char *)p + i * sizeof(T), sizeof(T));                          \
		return v;                                                                        \
	}                                                                                    \
	static inline void st_##name(void *p, size_t i, T v)                                 \
	{                                                                                    \
		memcpy((char *)p + i * sizeof(T), &v, sizeof(T));                                \
	}
DEFINE_ACCESS(f32, float)
DEFINE_ACCESS(f64, double)
DEFINE_ACCESS(u16, uint16_t)

#define DEFINE_FWD_LOOPS(rule, name)                                                      \
	static void lrelu_f32_fwd_##name##__scalar(size_t n, const void *x, void *y,        \
	                                           const struct lrelu_kparams *p)           \
	{                                                                                    \
		for (size_t i = 0; i < n; i++)                                                   \
			st_f32(y, i, f32_fwd(rule, ld_f32(x, i), p->s32));                           \
	}                                                                                    \
	static void lrelu_f64_fwd_##name##__scalar(size_t n, const void *x, void *y,        \
	                                           const struct lrelu_kparams *p)           \
	{                                                                                    \
		for (size_t i = 0; i < n; i++)                                                   \
			st_f64(y, i, f64_fwd(rule, ld_f64(x, i), p->s64));                           \
	}                                                                                    \
	static void lrelu_bf16_fwd_##name##__scalar(size_t n, const void *x, void *y,       \
	                                            const struct lrelu_kparams *p)          \
	{                                                                                    \
		for (size_t i = 0; i < n; i++)                                                   \
			st_u16(y, i, h_fwd(rule, ld_u16(x, i), p->s32, lrelu_bf2f, lrelu_f2bf));     \
	}                                                                                    \
	static void lrelu_f16_fwd_##name##__scalar(size_t n, const void *x, void *y,        \
	                                           const struct lrelu_kparams *p)           \
	{                                                                                    \
		for (size_t i = 0; i < n; i++)                                                   \
			st_u16(y, i, h_fwd(rule, ld_u16(x, i), p->s32, lrelu_h2f, lrelu_f2h));       \
	}

DEFINE_FWD_LOOPS(RULE_GT, gt)
DEFINE_FWD_LOOPS(RULE_LT, lt)
DEFINE_FWD_LOOPS(RULE_MAX, max)
DEFINE_FWD_LOOPS(RULE_MIN, min)
DEFINE_FWD_LOOPS(RULE_GE, ge)

#define DEFINE_BWD_LOOPS(brule, name)                                                     \
	static void lrelu_f32_bwd_##name##__scalar(size_t n, const void *a, const void *g,  \
	                                           void *dx, const struct lrelu_kparams *p) \
	{                                                                                    \
		for (size_t i = 0; i < n; i++)                                                   \
			st_f32(dx, i, f32_bwd(brule, ld_f32(a, i), ld_f32(g, i), p->s32));           \
	}                                                                                    \
	static void lrelu_f64_bwd_##name##__scalar(size_t n, const void *a, const void *g,  \
	                                           void *dx, const struct lrelu_kparams *p) \
	{                                                                                    \
		for (size_t i = 0; i < n; i++)                                                   \
			st_f64(dx, i, f64_bwd(brule, ld_f64(a, i), ld_f64(g, i), p->s64));           \
	}                                                                                    \
	static void lrelu_bf16_bwd_##name##__scalar(size_t n, const void *a, const void *g, \
	                                            void *dx, const struct lrelu_kparams *p) \
	{                                                                                    \
		for (size_t i = 0; i < n; i++)                                                   \
			st_u16(dx, i, h_bwd(brule, ld_u16(a, i), ld_u16(g, i), p->s32, lrelu_bf2f,   \
			                    lrelu_f2bf));                                            \
	}                                                                                    \
	static void lrelu_f16_bwd_##name##__scalar(size_t n, const void *a, const void *g,  \
	                                           void *dx, const struct lrelu_kparams *p) \
	{                                                                                    \
		for (size_t i = 0; i < n; i++)                                                   \
			st_u16(dx, i, h_bwd(brule, ld_u16(a, i), ld_u16(g, i), p->s32, lrelu_h2f,    \
			                    lrelu_f2h));                                             \
	}

DEFINE_BWD_LOOPS(BRULE_GT, gt)
DEFINE_BWD_LOOPS(BRULE_MAX, max)
DEFINE_BWD_LOOPS(BRULE_MIN, min)
DEFINE_BWD_LOOPS(BRULE_GE, ge)

/*
 * PReLU: the rules above with a slope per channel (internal.h, lrelu_pfwd_fn): element
 * i of row r takes w[(c0 + r) % C], widened exactly to the arithmetic type.  `ch`
 * walks the channel without a division per row.
 */
#define DEFINE_PRELU_LOOPS(t, rule, name, ST, E, ld, st, one, sw)                         \
	static void lrelu_##t##_pfwd_##name##__scalar(size_t rows, size_t inner, size_t C,   \
	                                              size_t c0, const void *x, void *y,     \
	                                              const void *w,                         \
	                                              const struct lrelu_kparams *p)         \
	{                                                                                    \
		size_t ch = c0, k = 0;                                                           \
		(void)p;                                                                         \
		for (size_t r = 0; r < rows; r++) {                                              \
			ST s = sw(ld(w, ch));                                                        \
			for (size_t i = 0; i < inner; i++, k++)                                      \
				st(y, k, one##_fwd_x(rule, ld(x, k), s));                                \
			if (++ch == C)                                                               \
				ch = 0;                                                                  \
		}                                                                                \
	}
#define DEFINE_PRELU_BLOOPS(t, brule, name, ST, E, ld, st, one, sw)                       \
	static void lrelu_##t##_pbwd_##name##__scalar(size_t rows, size_t inner, size_t C,   \
	                                              size_t c0, const void *a, const void *g, \
	                                              void *dx, const void *w,               \
	                                              const struct lrelu_kparams *p)         \
	{                                                                                    \
		size_t ch = c0, k = 0;                                                           \
		(void)p;                                                                         \
		for (size_t r = 0; r < rows; r++) {                                              \
			ST s = sw(ld(w, ch));                                                        \
			for (size_t i = 0; i < inner; i++, k++)                                      \
				st(dx, k, one##_bwd_x(brule, ld(a, k), ld(g, k), s));                    \
			if (++ch == C)                                                               \
				ch = 0;                                                                  \
		}                                                                                \
	}
static inline float f32_fwd_x(int rule, float x, float s) { return f32_fwd(rule, x, s); }
static inline double f64_fwd_x(int rule, double x, double s) { return f64_fwd(rule, x, s); }
static inline uint16_t bf_fwd_x(int rule, uint16_t x, float s)
{
	return h_fwd(rule, x, s, lrelu_bf2f, lrelu_f2bf);
}
static inline uint16_t hf_fwd_x(int rule, uint16_t x, float s)
{
	return h_fwd(rule, x, s, lrelu_h2f, lrelu_f2h);
}
static inline float f32_bwd_x(int b, float a, float g, float s) { return f32_bwd(b, a, g, s); }
static inline double f64_bwd_x(int b, double a, double g, double s)
{
	return f64_bwd(b, a, g, s);
}
static inline uint16_t bf_bwd_x(int b, uint16_t a, uint16_t g, float s)
{
	return h_bwd(b, a, g, s, lrelu_bf2f, lrelu_f2bf);
}
static inline uint16_t hf_bwd_x(int b, uint16_t a, uint16_t g, float s)
{
	return h_bwd(b, a, g, s, lrelu_h2f, lrelu_f2h);
}
static inline float same_f(float v) { return v; }
static inline double same_d(double v) { return v; }
#define DEFINE_PRELU_ALL(rule, name)                                                      \
	DEFINE_PRELU_LOOPS(f32, rule, name, float, float, ld_f32, st_f32, f32, same_f)       \
	DEFINE_PRELU_LOOPS(f64, rule, name, double, double, ld_f64, st_f64, f64, same_d)     \
	DEFINE_PRELU_LOOPS(bf16, rule, name, float, uint16_t, ld_u16, st_u16, bf, lrelu_bf2f) \
	DEFINE_PRELU_LOOPS(f16, rule, name, float, uint16_t, ld_u16, st_u16, hf, lrelu_h2f)
#define DEFINE_PRELU_BALL(brule, name)                                                    \
	DEFINE_PRELU_BLOOPS(f32, brule, name, float, float, ld_f32, st_f32, f32, same_f)     \
	DEFINE_PRELU_BLOOPS(f64, brule, name, double, double, ld_f64, st_f64, f64, same_d)   \
	DEFINE_PRELU_BLOOPS(bf16, brule, name, float, uint16_t, ld_u16, st_u16, bf, lrelu_bf2f) \
	DEFINE_PRELU_BLOOPS(f16, brule, name, float, uint16_t, ld_u16, st_u16, hf, lrelu_h2f)
DEFINE_PRELU_ALL(RULE_GT, gt)
DEFINE_PRELU_ALL(RULE_LT, lt)
DEFINE_PRELU_ALL(RULE_MAX, max)
DEFINE_PRELU_ALL(RULE_MIN, min)
DEFINE_PRELU_ALL(RULE_GE, ge)
DEFINE_PRELU_BALL(BRULE_GT, gt)
DEFINE_PRELU_BALL(BRULE_MAX, max)
DEFINE_PRELU_BALL(BRULE_MIN, min)
DEFINE_PRELU_BALL(BRULE_GE, ge)

/* ---- quantized: the code tables ------------------------------------------------ */

/*
 * PyTorch 1.13 (CPU, AVX2 build) computes quantized LeakyReLU in two ways, chosen by
 * the element's position (see docs/quantized.md):
 *
 *   vector body  (whole 64-element blocks of a contiguous run)
 *     dx = fmaf(s, (float)q, s * -(float)zp)          Vectorized<q>::dequantize
 *     y  = dx * (dx > 0 ? 1 : slope)
 *     t  = min(y * (1.0f / so), 2147483520.0f)         NaN becomes the bound
 *     r  = cvtps2dq(t) + zo   (ties to even; below -2^31 gives INT32_MIN; int32 wraps)
 *     code = clamp(r, qmin, qmax)                      QuantizeAvx2
 *   scalar tail  (the rest of a contiguous run, every element of a strided one)
 *     dx = (float)(((float)q - (float)zp) * (double)s) dequantize_val
 *     y  = dx > 0 ? dx : dx * slope
 *     v  = (float)zo + nearbyintf(y * (1.0f / so))     quantize_val (no FBGEMM)
 *     code = clamp((int64_t)v, qmin, qmax)   ((int64_t) of NaN or out of range is
 *                                             INT64_MIN on x86, so it clamps to qmin)
 * with s, so the input and output scales as float and slope as float.  The two agree
 * on all but a few codes per thousand parameter sets; both are reproduced exactly, once
 * per code, into two tables that the kernels apply.
 */

/* Round to nearest, ties to even, whatever the compiler knows about rint: below 2^23
 * adding and subtracting 2^23 rounds in the (default, see fpenv.h) rounding mode. */
static float rne(float t)
{
	float a = fabsf(t);
	if (!(a < 0x1p23f))
		return t; /* already an integer, or inf / NaN */
	a = (a + 0x1p23f) - 0x1p23f;
	return copysignf(a, t);
}

static int clamp_code(int64_t r, int64_t qmin, int64_t qmax)
{
	return (int)(r < qmin ? qmin : r > qmax ? qmax : r);
}

/* Output byte of each input byte, through PyTorch's vector path. */
static void build_body(const struct lrelu_q8params *q, uint8_t *tab)
{
	const int64_t qmin = q->dtype == LRELU_QINT8 ? -128 : 0, qmax = qmin + 255;
	const float s = (float)q->scale, inv = 1.0f / (float)q->out_scale, ng = (float)q->slope;
	const float premul = s * -(float)q->zp;
	for (int64_t c = qmin; c <= qmax; c++) {
		float dx = fmaf(s, (float)c, premul);
		float y = dx * (dx > 0.0f ? 1.0f : ng);
		float t = y * inv;
		int64_t r;
		t = t < 2147483520.0f ? t : 2147483520.0f; /* _mm256_min_ps(t, bound) */
		r = t < -2147483648.0f ? INT32_MIN : (int64_t)rne(t);
		r += q->out_zp; /* _mm256_add_epi32 wraps */
		if (r > INT32_MAX)
			r -= (int64_t)1 << 32;
		else if (r < INT32_MIN)
			r += (int64_t)1 << 32;
		tab[(uint8_t)c] = (uint8_t)clamp_code(r, qmin, qmax);
	}
}

/* Output byte of each input byte, through PyTorch's scalar path. */
static void build_tail(const struct lrelu_q8params *q, uint8_t *tab)
{
	const int64_t qmin = q->dtype == LRELU_QINT8 ? -128 : 0, qmax = qmin + 255;
	const float s = (float)q->scale, inv = 1.0f / (float)q->out_scale, ng = (float)q->slope;
	for (int64_t c = qmin; c <= qmax; c++) {
		float dx = (float)((double)((float)c - (float)q->zp) * (double)s);
		float y = dx > 0.0f ? dx : dx * ng;
		float v = (float)q->out_zp + rne(y * inv);
		int64_t r = isnan(v) || fabsf(v) >= 0x1p63f ? INT64_MIN : (int64_t)v;
		tab[(uint8_t)c] = (uint8_t)clamp_code(r, qmin, qmax);
	}
}

void lrelu_q8build__scalar(const struct lrelu_q8params *q, uint8_t *body, uint8_t *tail)
{
	build_body(q, body);
	build_tail(q, tail);
}

#define FWD_ROW(t) { lrelu_##t##_fwd_gt__scalar, lrelu_##t##_fwd_lt__scalar, \
                     lrelu_##t##_fwd_max__scalar, lrelu_##t##_fwd_min__scalar, \
                     lrelu_##t##_fwd_ge__scalar }
#define BWD_ROW(t) { lrelu_##t##_bwd_gt__scalar, lrelu_##t##_bwd_max__scalar, \
                     lrelu_##t##_bwd_min__scalar, lrelu_##t##_bwd_ge__scalar }

#define PFWD_ROW(t) { lrelu_##t##_pfwd_gt__scalar, lrelu_##t##_pfwd_lt__scalar, \
                      lrelu_##t##_pfwd_max__scalar, lrelu_##t##_pfwd_min__scalar, \
                      lrelu_##t##_pfwd_ge__scalar }
#define PBWD_ROW(t) { lrelu_##t##_pbwd_gt__scalar, lrelu_##t##_pbwd_max__scalar, \
                      lrelu_##t##_pbwd_min__scalar, lrelu_##t##_pbwd_ge__scalar }

const struct lrelu_kernels lrelu_kernels_scalar = {
	LRELU_ISA_SCALAR,
	{ FWD_ROW(f32), FWD_ROW(f64), FWD_ROW(bf16), FWD_ROW(f16) },
	{ BWD_ROW(f32), BWD_ROW(f64), BWD_ROW(bf16), BWD_ROW(f16) },
	{ { NULL } }, /* no fwdx: the C arithmetic obeys MXCSR */
	{ LRELU_Q8_KERNEL(scalar, 0, 0) },
	{ { lrelu_q8build__scalar, 0 } },
	{ PFWD_ROW(f32), PFWD_ROW(f64), PFWD_ROW(bf16), PFWD_ROW(f16) },
	{ PBWD_ROW(f32), PBWD_ROW(f64), PBWD_ROW(bf16), PBWD_ROW(f16) },
};

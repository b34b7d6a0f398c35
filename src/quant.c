/* quant.c - int8 / uint8 LeakyReLU with PyTorch's exact codes (table lookup) */
#include <float.h>
#include <math.h>
#include <string.h>

#include "fpenv.h"
#include "internal.h"
#include "kernels/q8lut.h"

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

/* ---- validation -------------------------------------------------------------------- */

static lrelu_status check_qparams(const char *name, const lrelu_tensor *t)
{
	const int32_t qmin = t->dtype == LRELU_QINT8 ? -128 : 0, qmax = qmin + 255;
	/* PyTorch takes any double and computes with it as float: 0, negative, NaN or
	 * infinite scales (and ones that become 0, subnormal or inf as float) give
	 * meaningless codes there, so they are refused here. */
	if (!(t->scale >= FLT_MIN && t->scale <= FLT_MAX))
		return lrelu_fail(LRELU_ERR_QPARAM,
		                  "%s: scale %.17g is not a positive finite number in float range "
		                  "[%.9g, %.9g]", name, t->scale, (double)FLT_MIN, (double)FLT_MAX);
	if (t->zero_point < qmin || t->zero_point > qmax)
		return lrelu_fail(LRELU_ERR_QPARAM, "%s: zero_point %ld is outside the %s range %ld..%ld",
		                  name, (long)t->zero_point, lrelu_dtype_name(t->dtype), (long)qmin,
		                  (long)qmax);
	return LRELU_OK;
}

static lrelu_status check_all(lrelu_framework fw, double slope, const lrelu_tensor *x,
                              const lrelu_tensor *y)
{
	lrelu_status st;
	if (fw != LRELU_TORCH)
		return lrelu_fail(LRELU_ERR_DTYPE,
		                  "quantized (%s) LeakyReLU follows PyTorch only; framework %s has "
		                  "no such operator here (use LRELU_TORCH)",
		                  lrelu_dtype_name(x->dtype), lrelu_framework_name(fw));
	if (y->dtype != x->dtype)
		return lrelu_fail(LRELU_ERR_DTYPE, "Found dtype %s for y but expected %s (the dtype of x)",
		                  lrelu_dtype_name(y->dtype), lrelu_dtype_name(x->dtype));
	if (isnan(slope))
		return lrelu_fail(LRELU_ERR_QPARAM,
		                  "negative_slope is NaN: PyTorch turns every code at or below the "
		                  "zero point into qmax or qmin depending on position");
	if (isfinite(slope) && fabs(slope) > FLT_MAX)
		return lrelu_fail(LRELU_ERR_SLOPE,
		                  "value cannot be converted to type float without overflow "
		                  "(negative_slope=%.17g, dtype %s)",
		                  slope, lrelu_dtype_name(x->dtype));
	st = check_qparams("x", x);
	if (st == LRELU_OK && y != x)
		st = check_qparams("y", y);
	return st;
}

/* ---- kernel choice ----------------------------------------------------------------- */

#ifdef LRELU_Q8LUT_X86
static int cpu_has(int feature)
{
	__builtin_cpu_init();
	switch (feature) {
	case 0:
		return __builtin_cpu_supports("ssse3");
	case 1:
		return __builtin_cpu_supports("avx2");
	case 2:
		return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
	case 4:
		return __builtin_cpu_supports("fma");
	default:
		return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
		       __builtin_cpu_supports("avx512vbmi");
	}
}
#endif

size_t lrelu_q8lut_variants(struct lrelu_q8lut_variant *out, size_t max)
{
	struct lrelu_q8lut_variant all[] = {
		{ "scalar", lrelu_q8lut__scalar, LRELU_ISA_SCALAR, 1 },
#ifdef LRELU_Q8LUT_X86
		{ "ssse3", lrelu_q8lut__ssse3_u16, LRELU_ISA_SSE2, cpu_has(0) },
		{ "avx2", lrelu_q8lut__avx2_u32, LRELU_ISA_AVX2, cpu_has(1) },
		{ "avx512bw", lrelu_q8lut__avx512bw_u64, LRELU_ISA_AVX512, cpu_has(2) },
		{ "avx512vbmi", lrelu_q8lut__avx512vbmi_u128, LRELU_ISA_AVX512, cpu_has(3) },
#endif
#ifdef LRELU_Q8LUT_NEON
		{ "neon", lrelu_q8lut__neon_u32, LRELU_ISA_NEON, 1 },
#endif
	};
	size_t n = sizeof all / sizeof all[0];
	for (size_t i = 0; i < n && i < max; i++)
		out[i] = all[i];
	return n < max ? n : max;
}

/* The walk's kernels take lrelu_kparams; one body / tail pair per table kernel. */
#define Q8_WRAPPERS(name, fn)                                                            \
	static void q8_body_##name(size_t n, const void *x, void *y,                         \
	                           const struct lrelu_kparams *p)                            \
	{                                                                                    \
		fn(n, x, y, (const struct lrelu_q8tab *)(const void *)p->qtab_body);             \
	}                                                                                    \
	static void q8_tail_##name(size_t n, const void *x, void *y,                         \
	                           const struct lrelu_kparams *p)                            \
	{                                                                                    \
		fn(n, x, y, (const struct lrelu_q8tab *)(const void *)p->qtab_tail);             \
	}

Q8_WRAPPERS(scalar, lrelu_q8lut__scalar)
#ifdef LRELU_Q8LUT_X86
Q8_WRAPPERS(avx2, lrelu_q8lut__avx2_u32)
Q8_WRAPPERS(avx512bw, lrelu_q8lut__avx512bw_u64)
Q8_WRAPPERS(avx512vbmi, lrelu_q8lut__avx512vbmi_u128)
#endif
#ifdef LRELU_Q8LUT_NEON
Q8_WRAPPERS(neon, lrelu_q8lut__neon_u32)
#endif

/*
 * The best kernel the CPU has, capped by the library's ISA choice (lrelu_set_isa,
 * LRELU_ISA).  A build whose dispatch has no SIMD float tables reports "scalar" for
 * every CPU; the cap would then only slow the lookup down, so it is ignored.
 */
static void choose(struct lrelu_walk *w, lrelu_q8build_fn *build, int *tele)
{
	lrelu_isa cap = lrelu_get_isa();
	if (!lrelu_isa_available(LRELU_ISA_SSE2) && !lrelu_isa_available(LRELU_ISA_AVX2) &&
	    !lrelu_isa_available(LRELU_ISA_AVX512) && !lrelu_isa_available(LRELU_ISA_NEON))
		cap = LRELU_ISA_AUTO;
	w->fwd = q8_body_scalar;
	w->fwd_tail = q8_tail_scalar;
	*build = lrelu_q8build__scalar;
	*tele = 0;
#ifdef LRELU_Q8LUT_X86
	if (cap == LRELU_ISA_NEON)
		return;
	/* PyTorch's own AVX2 arithmetic builds the tables 8 codes at a time. */
	if ((cap == LRELU_ISA_AUTO || cap >= LRELU_ISA_AVX2) && cpu_has(1) && cpu_has(4))
		*build = lrelu_q8build__avx2;
#define TRY(name, isa, feat, rows)                                                       \
	if ((cap == LRELU_ISA_AUTO || cap >= (isa)) && cpu_has(feat)) {                      \
		w->fwd = q8_body_##name;                                                         \
		w->fwd_tail = q8_tail_##name;                                                    \
		*tele = rows;                                                                    \
		return;                                                                          \
	}
	TRY(avx512vbmi, LRELU_ISA_AVX512, 3, 0)
	TRY(avx512bw, LRELU_ISA_AVX512, 2, 1)
	TRY(avx2, LRELU_ISA_AVX2, 1, 1)
	/* The SSSE3 kernel (16 pshufb per 16 bytes) measures slower than the scalar lookup,
	 * so the SSE2 level keeps the scalar one; the kernel stays for tests and benches. */
#undef TRY
#endif
#ifdef LRELU_Q8LUT_NEON
	if (cap == LRELU_ISA_AUTO || cap == LRELU_ISA_NEON) {
		w->fwd = q8_body_neon;
		w->fwd_tail = q8_tail_neon;
	}
#endif
}

/* ---- the call ---------------------------------------------------------------------- */

/* Repeated calls with the same parameters (a network's few LeakyReLU layers, a
 * benchmark) reuse the tables of this thread's recent calls: QCACHE entries, replaced
 * in turn.  Worker threads only read the caller's entry, which stays put until the
 * call returns. */
#define QCACHE 4
struct qentry {
	int valid, tele; /* tele: the shuffle rows are filled too */
	struct lrelu_q8params key;
	struct lrelu_q8tab body, tail;
};
static _Thread_local struct qentry cache[QCACHE];
static _Thread_local unsigned cache_next;

static int same_params(const struct lrelu_q8params *a, const struct lrelu_q8params *b)
{
	return a->dtype == b->dtype && a->zp == b->zp && a->out_zp == b->out_zp &&
	       memcmp(&a->scale, &b->scale, sizeof a->scale) == 0 &&
	       memcmp(&a->out_scale, &b->out_scale, sizeof a->out_scale) == 0 &&
	       memcmp(&a->slope, &b->slope, sizeof a->slope) == 0;
}

lrelu_status lrelu_quant_forward(lrelu_framework fw, double slope, const lrelu_tensor *x,
                                 const lrelu_tensor *y)
{
	static const char *const names[] = { "y", "x" };
	struct lrelu_kparams prm;
	struct lrelu_walk w;
	struct lrelu_q8params key;
	lrelu_q8build_fn build;
	int tele;
	struct qentry *e;
	const lrelu_tensor *ops[2];
	lrelu_fpenv env;
	lrelu_status st;

	if (y == NULL)
		y = x;
	st = check_all(fw, slope, x, y);
	if (st != LRELU_OK)
		return st;
	memset(&key, 0, sizeof key);
	key.dtype = x->dtype;
	key.scale = x->scale;
	key.zp = x->zero_point;
	key.out_scale = y->scale;
	key.out_zp = y->zero_point;
	key.slope = slope;

	memset(&w, 0, sizeof w);
	choose(&w, &build, &tele);
	lrelu_fpenv_enter(&env);
	for (e = cache; e < cache + QCACHE; e++)
		if (e->valid && same_params(&e->key, &key))
			break;
	if (e == cache + QCACHE) {
		e = &cache[cache_next++ % QCACHE];
		build(&key, e->body.plain, e->tail.plain);
		e->key = key;
		e->valid = 1;
		e->tele = 0;
	}
	if (tele && !e->tele) {
		lrelu_q8tab_finish(&e->body);
		lrelu_q8tab_finish(&e->tail);
		e->tele = 1;
	}
	memset(&prm, 0, sizeof prm);
	prm.qtab_body = e->body.plain;
	prm.qtab_tail = e->tail.plain;
	w.nops = 2;
	w.names = names;
	w.body_block = 64; /* 2 x Vectorized<quint8>::size() in PyTorch's AVX2 build */
	w.params = &prm;
	ops[0] = y;
	ops[1] = x;
	st = lrelu_run_elementwise(&w, ops);
	lrelu_fpenv_leave(&env);
	return st;
}

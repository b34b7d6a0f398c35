/* quant.c - int8 / uint8 LeakyReLU: the prepare step (parameters, code tables, kernel) */
#include <float.h>
#include <string.h>

#include "cpu.h"
#include "fpenv.h"
#include "internal.h"
#include "kernels/q8lut.h"

/*
 * PyTorch computes quantized LeakyReLU in two ways, chosen by the element's position
 * (its vector body and its scalar tail, see ref.c and docs/quantized.md).  An 8-bit
 * input has 256 codes, so both are computed once per parameter set into two tables
 * (ref.c is the specification; the tables' builders and lookup kernels come from the
 * ISA's kernel table, dispatch.c), and the walk applies them: body_block elements at a
 * time through the body table, the rest through the tail table.
 */

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

size_t lrelu_q8lut_variants(struct lrelu_q8lut_variant *out, size_t max)
{
	unsigned f = lrelu_cpu_features();
	struct lrelu_q8lut_variant all[] = {
		{ "scalar", lrelu_q8lut__scalar, LRELU_ISA_SCALAR, 1 },
#ifdef LRELU_Q8LUT_X86
		{ "ssse3", lrelu_q8lut__ssse3_u16, LRELU_ISA_SSE2, (f & LRELU_CPU_SSSE3) != 0 },
		{ "avx2", lrelu_q8lut__avx2_u32, LRELU_ISA_AVX2, (f & LRELU_CPU_AVX2) != 0 },
		{ "avx512bw", lrelu_q8lut__avx512bw_u64, LRELU_ISA_AVX512, (f & LRELU_CPU_AVX512) != 0 },
		{ "avx512vbmi", lrelu_q8lut__avx512vbmi_u128, LRELU_ISA_AVX512,
		  (f & LRELU_CPU_AVX512) && (f & LRELU_CPU_AVX512VBMI) },
#endif
#ifdef LRELU_Q8LUT_NEON
		{ "neon", lrelu_q8lut__neon_u32, LRELU_ISA_NEON, (f & LRELU_CPU_NEON) != 0 },
#endif
	};
	size_t n = sizeof all / sizeof all[0];
	(void)f;
	for (size_t i = 0; i < n && i < max; i++)
		out[i] = all[i];
	return n < max ? n : max;
}

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

lrelu_status lrelu_prepare_quant(lrelu_framework fw, double slope, const lrelu_tensor *x,
                                 const lrelu_tensor *y, const struct lrelu_kernels *k,
                                 struct lrelu_kparams *p, const struct lrelu_q8kernel **kern)
{
	struct lrelu_q8params key;
	lrelu_q8build_fn build;
	struct qentry *e;
	lrelu_status st = lrelu_quant_rules(fw, slope, x->dtype);
	if (st == LRELU_OK)
		st = check_qparams("x", x);
	/* y of another dtype: the walk's validation words that error */
	if (st == LRELU_OK && y != x && y->dtype == x->dtype)
		st = check_qparams("y", y);
	if (st != LRELU_OK)
		return st;
	memset(&key, 0, sizeof key);
	key.dtype = x->dtype;
	key.scale = x->scale;
	key.zp = x->zero_point;
	key.out_scale = y->scale;
	key.out_zp = y->zero_point;
	key.slope = slope;

	*kern = lrelu_q8_choose(k, &build);
	for (e = cache; e < cache + QCACHE; e++)
		if (e->valid && same_params(&e->key, &key))
			break;
	if (e == cache + QCACHE) {
		lrelu_fpenv env;
		e = &cache[cache_next++ % QCACHE];
		lrelu_fpenv_enter(&env); /* the builders compute in float */
		build(&key, e->body.plain, e->tail.plain);
		lrelu_fpenv_leave(&env);
		e->key = key;
		e->valid = 1;
		e->tele = 0;
	}
	if ((*kern)->tele && !e->tele) {
		lrelu_q8tab_finish(&e->body);
		lrelu_q8tab_finish(&e->tail);
		e->tele = 1;
	}
	memset(p, 0, sizeof *p);
	p->qtab_body = e->body.plain;
	p->qtab_tail = e->tail.plain;
	return LRELU_OK;
}

/* oracle.h - an independent, deliberately plain implementation of every rule, for the tests */
#ifndef LRELU_ORACLE_H
#define LRELU_ORACLE_H

/*
 * Nothing here shares code with the library.  Values are decoded with ldexp(), rounded
 * to the 16-bit formats by a binary search over the bit patterns (positive patterns are
 * ordered like their values), and products are formed exactly in double (a product of
 * two floats has at most 48 significant bits) before the one rounding the rule asks
 * for.  The tests compare the library's bits with these bits.
 */

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lrelu.h"

enum { O_F32, O_F64, O_BF16, O_F16 };

/* ---- 16-bit formats ------------------------------------------------------------ */

struct o_fmt {
	int mant;           /* stored mantissa bits: 10 (half) or 7 (bfloat16) */
	int ebits;          /* exponent bits: 5 or 8 */
	uint16_t inf;       /* 0x7C00 or 0x7F80 */
	uint16_t quiet;     /* quiet bit: 0x0200 or 0x0040 */
};

static const struct o_fmt o_half = { 10, 5, 0x7C00, 0x0200 };
static const struct o_fmt o_bf = { 7, 8, 0x7F80, 0x0040 };

static inline int o_isnan16(const struct o_fmt *f, uint16_t h)
{
	return (h & 0x7FFF) > f->inf;
}

/* The value of a non-NaN pattern; the infinity pattern decodes as infinity. */
static inline double o_val16(const struct o_fmt *f, uint16_t h)
{
	int bias = (1 << (f->ebits - 1)) - 1;
	int e = (h & 0x7FFF) >> f->mant;
	int m = h & ((1 << f->mant) - 1);
	double v;
	if (e == (1 << f->ebits) - 1)
		v = INFINITY;
	else if (e == 0)
		v = ldexp((double)m, 1 - bias - f->mant);
	else
		v = ldexp((double)(m + (1 << f->mant)), e - bias - f->mant);
	return (h & 0x8000) ? -v : v;
}

/* Round a non-NaN double to the nearest pattern, ties to the even pattern; beyond the
 * largest finite value the infinity pattern stands for the next power of two, which is
 * IEEE's overflow rule. */
static inline uint16_t o_round16(const struct o_fmt *f, double v)
{
	uint16_t sign = signbit(v) ? 0x8000 : 0;
	double a = fabs(v);
	int lo = 0, hi = f->inf; /* val(lo) <= a < val(hi), with val(inf) = 2^(emax+1) */
	int bias = (1 << (f->ebits - 1)) - 1;
	double top = ldexp(1.0, bias + 1);
	if (isinf(a) || a >= top)
		return (uint16_t)(sign | f->inf);
	while (hi - lo > 1) {
		int mid = (lo + hi) / 2;
		if (o_val16(f, (uint16_t)mid) <= a)
			lo = mid;
		else
			hi = mid;
	}
	double dl = a - o_val16(f, (uint16_t)lo);
	double dh = (hi == f->inf ? top : o_val16(f, (uint16_t)hi)) - a;
	if (dl == 0)
		return (uint16_t)(sign | lo);
	if (dl < dh || (dl == dh && (lo & 1) == 0))
		return (uint16_t)(sign | lo);
	return (uint16_t)(sign | hi);
}

/* ---- float32 / float64 helpers -------------------------------------------------- */

static inline uint32_t o_bits32(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}

static inline uint64_t o_bits64(double d)
{
	uint64_t u;
	memcpy(&u, &d, 8);
	return u;
}

/* ---- the four types, seen as values -------------------------------------------- */

/* Patterns travel as uint64_t whatever the type. */
static inline int o_isnan(int dt, uint64_t b)
{
	switch (dt) {
	case O_F32:
		return (b & 0x7FFFFFFFu) > 0x7F800000u;
	case O_F64:
		return (b & 0x7FFFFFFFFFFFFFFFull) > 0x7FF0000000000000ull;
	case O_BF16:
		return o_isnan16(&o_bf, (uint16_t)b);
	default:
		return o_isnan16(&o_half, (uint16_t)b);
	}
}

static inline uint64_t o_quiet(int dt, uint64_t b)
{
	switch (dt) {
	case O_F32:
		return b | 0x00400000u;
	case O_F64:
		return b | (1ull << 51);
	case O_BF16:
		return b | o_bf.quiet;
	default:
		return b | o_half.quiet;
	}
}

/* The quiet positive NaN the C macro NAN becomes in each type. */
static inline uint64_t o_default_nan(int dt)
{
	switch (dt) {
	case O_F32:
		return 0x7FC00000u;
	case O_F64:
		return 0x7FF8000000000000ull;
	case O_BF16:
		return 0x7FC0;
	default:
		return 0x7E00;
	}
}

static inline double o_decode(int dt, uint64_t b)
{
	float f;
	double d;
	if (o_isnan(dt, b))
		return NAN;
	switch (dt) {
	case O_F32: {
		uint32_t u = (uint32_t)b;
		memcpy(&f, &u, 4);
		return f;
	}
	case O_F64:
		memcpy(&d, &b, 8);
		return d;
	case O_BF16:
		return o_val16(&o_bf, (uint16_t)b);
	default:
		return o_val16(&o_half, (uint16_t)b);
	}
}

/* Round a non-NaN value to the type.  Products reach here exact (16-bit and float32
 * operands) or already rounded by the double multiply (float64). */
static inline uint64_t o_round(int dt, double v)
{
	switch (dt) {
	case O_F32:
		return o_bits32((float)v);
	case O_F64:
		return o_bits64(v);
	case O_BF16:
		return o_round16(&o_bf, v);
	default:
		return o_round16(&o_half, v);
	}
}

/* ---- expectations ---------------------------------------------------------------- */

/*
 * An expectation is either exact bits, or "any NaN": a NaN made by an invalid
 * operation (-inf * 0) or reached with two NaN operands has hardware-dependent bits,
 * in the frameworks too.  A lone NaN operand must come out quieted (rules that
 * multiply) or untouched (rules that select x).
 */
struct o_exp {
	uint64_t bits;
	int any_nan;
};

static inline struct o_exp o_exact(uint64_t b)
{
	struct o_exp e = { b, 0 };
	return e;
}

static inline struct o_exp o_anynan(void)
{
	struct o_exp e = { 0, 1 };
	return e;
}

static inline int o_match(int dt, struct o_exp e, uint64_t got)
{
	if (e.any_nan)
		return o_isnan(dt, got);
	return e.bits == got;
}

/* The slope each framework multiplies by, as a double holding its exact value. */
static inline double o_slope(lrelu_framework fw, int dt, double slope)
{
	double sf;
	if (fw == LRELU_TORCH)
		return dt == O_F64 ? slope : (double)(float)slope;
	/* JAX's weak Python float: float64 arrays need jax_enable_x64, where it is a double */
	if (fw == LRELU_JAX && dt == O_F64)
		return slope;
	if (isnan(slope))
		return slope;
	/* float32 first (alpha is a float), overflowing to infinity */
	sf = fabs(slope) >= 0x1.ffffffp127 ? (slope > 0 ? INFINITY : -INFINITY) : (double)(float)slope;
	if (dt == O_BF16)
		return o_val16(&o_bf, o_round16(&o_bf, sf));
	if (dt == O_F16)
		return o_val16(&o_half, o_round16(&o_half, sf));
	return sf;
}

/* x*s rounded as the type's arithmetic does: exact product, one float rounding (a
 * no-op for 16-bit slopes), then the type's rounding.  NaN stays NaN. */
static inline double o_mul(int dt, double x, double s, uint64_t *bits)
{
	double p = x * s;
	if (isnan(p))
		return NAN;
	if (dt != O_F64)
		p = (double)(float)p;
	*bits = o_round(dt, p);
	return o_decode(dt, *bits);
}

/* Expected product bits when the product is NaN: a lone NaN slope (the C NAN macro,
 * positive and quiet, in every test) comes through as the type's quiet NaN;
 * anything else is any NaN. */
static inline struct o_exp o_nan_product(int dt, double x, double s)
{
	if (isnan(s) && !isnan(x))
		return o_exact(o_default_nan(dt));
	return o_anynan();
}

/* x*s rounded once to a 16-bit type from the exact product (a what-if of the diff's
 * tests: PyTorch's float slope without the float rounding); o_mul for the others. */
static inline double o_mul_once(int dt, double x, double s, uint64_t *bits)
{
	double p = x * s;
	if (dt != O_BF16 && dt != O_F16)
		return o_mul(dt, x, s, bits);
	if (isnan(p))
		return NAN;
	*bits = o_round(dt, p);
	return o_decode(dt, *bits);
}

/* The rules with the slope's value s given: fw's predicate (ms_min: MindSpore's
 * Minimum, its alpha > 1), and the product rounded as o_mul, or (once) o_mul_once.
 * o_fwd and o_bwd are these with the framework's own slope. */
static inline struct o_exp o_fwd_at(int dt, lrelu_framework fw, int ms_min, double s,
                                    uint64_t xb, int once)
{
	double x = o_decode(dt, xb), pv;
	uint64_t pb = 0;
	int xnan = o_isnan(dt, xb);
	pv = once ? o_mul_once(dt, x, s, &pb) : o_mul(dt, x, s, &pb);
	switch (fw) {
	case LRELU_TORCH:
	case LRELU_TENSORFLOW:
		if (x > 0)
			return o_exact(xb);
		if (xnan)
			return isnan(s) ? o_anynan() : o_exact(o_quiet(dt, xb));
		return isnan(pv) ? o_nan_product(dt, x, s) : o_exact(pb);
	case LRELU_ONNX:
		if (!(x < 0))
			return o_exact(xb);
		return isnan(pv) ? o_nan_product(dt, x, s) : o_exact(pb);
	case LRELU_JAX:
	case LRELU_ONNXRUNTIME: /* where(x >= 0, x, s*x): zeros kept, NaN multiplied */
		if (x >= 0)
			return o_exact(xb);
		if (xnan)
			return isnan(s) ? o_anynan() : o_exact(o_quiet(dt, xb));
		return isnan(pv) ? o_nan_product(dt, x, s) : o_exact(pb);
	default: /* MindSpore: a false compare (tie or NaN) keeps x */
		if (ms_min)
			return o_exact(pv < x ? pb : xb);
		return o_exact(pv > x ? pb : xb);
	}
}

static inline struct o_exp o_fwd(int dt, lrelu_framework fw, double slope, uint64_t xb)
{
	return o_fwd_at(dt, fw, slope > 1, o_slope(fw, dt, slope), xb, 0);
}

static inline struct o_exp o_bwd_at(int dt, lrelu_framework fw, int ms_min, double s,
                                    uint64_t ab, uint64_t gb, int once)
{
	double a = o_decode(dt, ab), g = o_decode(dt, gb), pv, gl, gr, t, sum;
	uint64_t pb = 0, tb = 0;
	int gnan = o_isnan(dt, gb);
	if (fw != LRELU_MINDSPORE) {
		if (fw == LRELU_JAX ? a >= 0 : a > 0)
			return o_exact(gb);
		if (gnan)
			return isnan(s) ? o_anynan() : o_exact(o_quiet(dt, gb));
		pv = once ? o_mul_once(dt, g, s, &pb) : o_mul(dt, g, s, &pb);
		return isnan(pv) ? o_nan_product(dt, g, s) : o_exact(pb);
	}
	/* MindSpore: lhs = s*a against rhs = a; tie -> halves; NaN -> both full. */
	if (gnan || isnan(s))
		return o_anynan();
	pv = o_mul(dt, a, s, &pb);
	if (pv == a) {
		uint64_t hb = o_round(dt, g * 0.5);
		gl = gr = o_decode(dt, hb);
	} else if (ms_min ? pv < a : pv > a) {
		gl = g, gr = 0;
	} else if (ms_min ? pv > a : pv < a) {
		gl = 0, gr = g;
	} else {
		gl = gr = g;
	}
	t = o_mul(dt, gl, s, &tb);
	if (isnan(t))
		return o_anynan();
	sum = gr + t;
	if (isnan(sum))
		return o_anynan();
	if (dt != O_F64)
		sum = (double)(float)sum; /* 16-bit sums are formed in float */
	return o_exact(o_round(dt, sum));
}

static inline struct o_exp o_bwd(int dt, lrelu_framework fw, double slope, uint64_t ab,
                                 uint64_t gb)
{
	return o_bwd_at(dt, fw, slope > 1, o_slope(fw, dt, slope), ab, gb, 0);
}

#endif /* LRELU_ORACLE_H */

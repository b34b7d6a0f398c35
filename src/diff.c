/* diff.c - lrelu_diff: where two LeakyReLU results differ in their bits, and why */
#include <math.h>
#include <string.h>

#include "fp16.h"
#include "fpenv.h"
#include "internal.h"

/*
 * An element is compared on its bits.  A differing element gets one cause, the first
 * of lrelu_diff_cause's tests that holds (docs/semantics.md, "Why two results
 * differ").  The first four look at the two values only.  The others reason about
 * the two rules at that element's input x: they apply when the two values are the
 * two rules' results (in either order), and each asks whether changing one thing in
 * one rule (its product rounded once, its slope value) makes it give the other
 * rule's result.  Those single-element "what if" evaluations run through the scalar
 * reference kernels (ref.c) with the changed parameters, so they share every
 * predicate and rounding with the library itself.
 *
 * The bulk of the work (the computed sides, block by block) goes through the public
 * lrelu_forward / lrelu_backward.  Blocks are small and on the stack: diff allocates
 * nothing, so a caller streaming a file holds only its own chunk.
 */

#define DIFF_MAGIC 0x6c726466u /* "lrdf": set by lrelu_diff_init */
#define BLOCK 512               /* elements per block of computed results */

static const char *const cause_keys[LRELU_DIFF_CAUSES] = {
	"nan_vs_number", "inf_vs_nan",   "nan_payload",      "signed_zero", "gradient_tie",
	"double_rounding", "slope_rounding", "different_slopes", "other",
};

static const char *const cause_labels[LRELU_DIFF_CAUSES] = {
	"NaN vs number",
	"infinity vs NaN",
	"NaN payload",
	"signed zero",
	"gradient tie at zero",
	"product rounded twice vs once",
	"slope rounded in another dtype",
	"different slopes",
	"other",
};

const char *lrelu_diff_cause_name(lrelu_diff_cause cause, bool label)
{
	if ((unsigned)cause >= LRELU_DIFF_CAUSES)
		return "?";
	return label ? cause_labels[cause] : cause_keys[cause];
}

/* ---- one side's rule ------------------------------------------------------------ */

struct side {
	lrelu_framework fw;
	double param;
	struct lrelu_kparams p; /* the slope as this side's framework rounds it */
	int rule;               /* enum lrelu_rule, or enum lrelu_brule (backward) */
	int alt_rule;           /* this framework's rule at the other side's parameter */
};

struct ctx {
	lrelu_dtype dt;
	int kt;
	size_t esz;
	bool bwd;
	bool same_param; /* one slope number on both sides (NaN counts as one number) */
	struct side s[2];
};

/* The kernel tables' type index is the dtype's value for the float dtypes. */
_Static_assert(KT_F32 == (int)LRELU_FLOAT32 && KT_F64 == (int)LRELU_FLOAT64 &&
               KT_BF16 == (int)LRELU_BFLOAT16 && KT_F16 == (int)LRELU_FLOAT16,
               "kernel table index = float dtype");

static lrelu_status prepare_side(lrelu_framework fw, double slope, lrelu_dtype dt, bool bwd,
                                 struct lrelu_kparams *p, int *rule)
{
	lrelu_status st;
	if (bwd) {
		enum lrelu_brule r;
		st = lrelu_prepare_backward(fw, slope, dt, 0, p, &r);
		*rule = (int)r;
	} else {
		enum lrelu_rule r;
		st = lrelu_prepare_forward(fw, slope, dt, p, &r);
		*rule = (int)r;
	}
	return st;
}

static lrelu_status check_options(const lrelu_diff_options *o)
{
	if (o == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "diff options pointer is NULL");
	switch (o->dtype) {
	case LRELU_FLOAT32:
	case LRELU_FLOAT64:
	case LRELU_BFLOAT16:
	case LRELU_FLOAT16:
		break;
	case LRELU_QINT8:
	case LRELU_QUINT8:
		return lrelu_fail(LRELU_ERR_DTYPE,
		                  "diff compares float results; dtype %s holds quantized codes",
		                  lrelu_dtype_name(o->dtype));
	default:
		return lrelu_fail(LRELU_ERR_DTYPE, "unknown dtype %d", (int)o->dtype);
	}
	if ((unsigned)o->from > (unsigned)LRELU_FRAMEWORK_LAST)
		return lrelu_fail(LRELU_ERR_ARG, "unknown framework %d (from)", (int)o->from);
	if ((unsigned)o->to > (unsigned)LRELU_FRAMEWORK_LAST)
		return lrelu_fail(LRELU_ERR_ARG, "unknown framework %d (to)", (int)o->to);
	if (o->indices == NULL && o->index_capacity > 0)
		return lrelu_fail(LRELU_ERR_ARG, "indices is NULL with index_capacity %zu",
		                  o->index_capacity);
	return LRELU_OK;
}

/* Everything lrelu_diff_add needs from the options; every check was made at init. */
static lrelu_status make_ctx(const lrelu_diff_options *o, struct ctx *c)
{
	const lrelu_framework fw[2] = { o->from, o->to };
	const double sl[2] = { o->from_slope, o->to_slope };
	c->dt = o->dtype;
	c->kt = (int)o->dtype;
	c->esz = lrelu_esize(o->dtype);
	c->bwd = o->backward;
	c->same_param = sl[0] == sl[1] || (isnan(sl[0]) && isnan(sl[1]));
	for (int i = 0; i < 2; i++) {
		struct side *s = &c->s[i];
		lrelu_status st = prepare_side(fw[i], sl[i], o->dtype, o->backward, &s->p, &s->rule);
		if (st != LRELU_OK)
			return st;
		s->fw = fw[i];
		s->param = sl[i];
		s->alt_rule = s->rule;
		/* Only MindSpore's rule depends on the slope (alpha > 1 takes Minimum), and
		 * its preparation never refuses one. */
		if (fw[i] == LRELU_MINDSPORE) {
			struct lrelu_kparams unused;
			prepare_side(fw[i], sl[1 - i], o->dtype, o->backward, &unused, &s->alt_rule);
		}
	}
	return LRELU_OK;
}

/* ---- elements as bits ----------------------------------------------------------- */

static inline uint64_t ld(const void *p, size_t i, size_t esz)
{
	const char *q = (const char *)p + i * esz;
	switch (esz) {
	case 2: {
		uint16_t v;
		memcpy(&v, q, 2);
		return v;
	}
	case 4: {
		uint32_t v;
		memcpy(&v, q, 4);
		return v;
	}
	default: {
		uint64_t v;
		memcpy(&v, q, 8);
		return v;
	}
	}
}

static inline void st(void *p, size_t i, size_t esz, uint64_t b)
{
	char *q = (char *)p + i * esz;
	if (esz == 2) {
		uint16_t v = (uint16_t)b;
		memcpy(q, &v, 2);
	} else if (esz == 4) {
		uint32_t v = (uint32_t)b;
		memcpy(q, &v, 4);
	} else {
		memcpy(q, &b, 8);
	}
}

/* The sign bit, and the infinity pattern without it, per dtype. */
static inline uint64_t sign_bit(lrelu_dtype dt)
{
	return dt == LRELU_FLOAT64 ? 1ull << 63 : dt == LRELU_FLOAT32 ? 1ull << 31 : 1ull << 15;
}

static inline uint64_t inf_bits(lrelu_dtype dt)
{
	switch (dt) {
	case LRELU_FLOAT64:
		return 0x7FF0000000000000ull;
	case LRELU_FLOAT32:
		return 0x7F800000u;
	case LRELU_BFLOAT16:
		return 0x7F80u;
	default:
		return 0x7C00u;
	}
}

static inline uint64_t mag(lrelu_dtype dt, uint64_t b)
{
	return b & (sign_bit(dt) - 1);
}

static inline bool is_nan(lrelu_dtype dt, uint64_t b)
{
	return mag(dt, b) > inf_bits(dt);
}

/* The exact value of a pattern (a NaN gives a NaN). */
static double value(lrelu_dtype dt, uint64_t b)
{
	switch (dt) {
	case LRELU_FLOAT64: {
		double d;
		memcpy(&d, &b, 8);
		return d;
	}
	case LRELU_FLOAT32:
		return lrelu_f2d(lrelu_bits_f32((uint32_t)b));
	case LRELU_BFLOAT16:
		return lrelu_f2d(lrelu_bf2f((uint16_t)b));
	default:
		return lrelu_f2d(lrelu_h2f((uint16_t)b));
	}
}

/* Equal for attribution: the same bits, or both NaN. */
static inline bool same(lrelu_dtype dt, uint64_t a, uint64_t b)
{
	return a == b || (is_nan(dt, a) && is_nan(dt, b));
}

/* ---- single-element "what if" evaluations --------------------------------------- */

/* The rule `rule` with the slope in `p`, at one element, through the reference
 * kernels.  g is used backward only. */
static uint64_t eval(const struct ctx *c, int rule, const struct lrelu_kparams *p, uint64_t x,
                     uint64_t g)
{
	unsigned char xb[8], gb[8], yb[8];
	st(xb, 0, c->esz, x);
	st(gb, 0, c->esz, g);
	if (c->bwd)
		lrelu_kernels_scalar.bwd[c->kt][rule](1, xb, gb, yb, p);
	else
		lrelu_kernels_scalar.fwd[c->kt][rule](1, xb, yb, p);
	return ld(yb, 0, c->esz);
}

/* A double (not NaN) rounded once to a 16-bit format (mant stored mantissa bits,
 * exponent bias, infinity pattern), to nearest even, overflowing to infinity.  The
 * products it rounds (a 16-bit value times a float) are exact in double. */
static uint16_t round_once16(double v, int mant, int bias, uint16_t inf)
{
	uint64_t u = lrelu_f64_bits(v), a = u & 0x7FFFFFFFFFFFFFFFull;
	uint16_t sign = (uint16_t)((u >> 48) & 0x8000u);
	if (a >= 0x7FF0000000000000ull)
		return (uint16_t)(sign | inf);
	if (a == 0)
		return sign;
	int e = (int)(a >> 52);
	uint64_t m = a & 0x000FFFFFFFFFFFFFull, q;
	if (e != 0)
		m |= 1ull << 52;
	else
		e = 1;
	int ex = e - 1023, emin = 1 - bias;             /* value = m * 2^(ex - 52) */
	int sh = (ex > emin ? ex : emin) - mant - (ex - 52); /* bits below the quantum */
	if (sh >= 64) {
		q = 0; /* below half the smallest subnormal */
	} else {
		uint64_t rem = m & ((1ull << sh) - 1), half = 1ull << (sh - 1);
		q = m >> sh;
		q += rem > half || (rem == half && (q & 1));
	}
	/* A normal result's q carries the implicit bit (and any carry) into the exponent. */
	uint64_t bits = ex >= emin ? ((uint64_t)(ex + bias - 1) << mant) + q : q;
	return (uint16_t)(sign | (bits >= inf ? inf : bits));
}

static uint64_t round_once(lrelu_dtype dt, double v)
{
	return dt == LRELU_BFLOAT16 ? round_once16(v, 7, 127, 0x7F80u)
	                            : round_once16(v, 10, 15, 0x7C00u);
}

/*
 * The side's rule with its product rounded once from the exact product.  Only a float
 * slope on a 16-bit type rounds twice (to float, then to the 16-bit type): that is
 * PyTorch's rule, x > 0 ? x : x*s (backward a > 0 ? g : g*s).  The other rules round
 * their slope to the 16-bit type first, and two 16-bit values multiply exactly in
 * float.  Where the predicate keeps x (or g), or the product is NaN (a NaN x forward),
 * nothing changes.
 */
static uint64_t eval_once(const struct ctx *c, const struct side *s, uint64_t x, uint64_t g)
{
	uint64_t r = eval(c, s->rule, &s->p, x, g), f = c->bwd ? g : x;
	_Static_assert((int)RULE_GT == (int)BRULE_GT, "one test for both directions");
	if ((c->dt != LRELU_BFLOAT16 && c->dt != LRELU_FLOAT16) || s->rule != RULE_GT ||
	    value(c->dt, x) > 0)
		return r;
	double p = value(c->dt, f) * lrelu_f2d(s->p.s32); /* exact: 11 + 24 bits at most */
	return isnan(p) ? r : round_once(c->dt, p);
}

/* Whether MindSpore's compare of s*x against x picks no branch at x (a tie, or NaN:
 * unordered), with s*x rounded to the dtype as its Mul does. */
static bool ms_unpicked(const struct ctx *c, const struct side *s, uint64_t x)
{
	double xv = value(c->dt, x), pv;
	switch (c->dt) {
	case LRELU_FLOAT64:
		pv = xv * s->p.s64;
		break;
	case LRELU_FLOAT32:
		pv = lrelu_f2d((float)xv * s->p.s32);
		break;
	case LRELU_BFLOAT16:
		pv = lrelu_f2d(lrelu_bf2f(lrelu_f2bf((float)xv * s->p.s32)));
		break;
	default:
		pv = lrelu_f2d(lrelu_h2f(lrelu_f2h((float)xv * s->p.s32)));
		break;
	}
	return !(pv > xv) && !(pv < xv);
}

/* The cause of a difference between the rules' results ra (side A) and rb (side B)
 * at input x (and gradient g), ra != rb. */
static lrelu_diff_cause rule_cause(const struct ctx *c, uint64_t x, uint64_t g, uint64_t ra,
                                   uint64_t rb)
{
	const struct side *A = &c->s[0], *B = &c->s[1];
	bool ms_a = A->fw == LRELU_MINDSPORE, ms_b = B->fw == LRELU_MINDSPORE;
	if (c->bwd && ms_a != ms_b && ms_unpicked(c, ms_a ? A : B, x))
		return LRELU_DIFF_GRADIENT_TIE;
	/* x >= 0 (JAX) and x > 0 (PyTorch, TensorFlow) split the tie at x = +-0 apart. */
	if (c->bwd && value(c->dt, x) == 0 && (A->rule == BRULE_GE) != (B->rule == BRULE_GE))
		return LRELU_DIFF_GRADIENT_TIE;
	if (c->dt == LRELU_BFLOAT16 || c->dt == LRELU_FLOAT16) {
		uint64_t oa = eval_once(c, A, x, g), ob = eval_once(c, B, x, g);
		if ((oa != ra && oa == rb) || (ob != rb && ob == ra))
			return LRELU_DIFF_DOUBLE_ROUNDING;
	}
	if (c->same_param) {
		if (eval(c, A->rule, &B->p, x, g) == rb || eval(c, B->rule, &A->p, x, g) == ra)
			return LRELU_DIFF_SLOPE_ROUNDING;
	} else if (eval(c, A->alt_rule, &B->p, x, g) == rb ||
	           eval(c, B->alt_rule, &A->p, x, g) == ra) {
		return LRELU_DIFF_DIFFERENT_SLOPES;
	}
	return LRELU_DIFF_OTHER;
}

/* ---- slopes from the user's options ---------------------------------------------- */

static bool same_slope(double a, double b)
{
	return a == b || (isnan(a) && isnan(b));
}

/* The frameworks whose parameter is named negative_slope (PyTorch, JAX); the others
 * call it alpha. */
static bool takes_negative_slope(lrelu_framework fw)
{
	return fw == LRELU_TORCH || fw == LRELU_JAX;
}

lrelu_status lrelu_diff_slopes(lrelu_framework from, lrelu_framework to,
                               const double *negative_slope, const double *alpha,
                               const double *from_slope, const double *to_slope,
                               double *from_out, double *to_out)
{
	const lrelu_framework fw[2] = { from, to };
	const double *given[4] = { from_slope, to_slope, negative_slope, alpha };
	static const char *const names[4] = { "from_slope", "to_slope", "negative_slope", "alpha" };
	const char *by[2] = { NULL, NULL };
	double s[2] = { 0, 0 };
	int ngiven = 0, last = -1;

	if (from_out == NULL || to_out == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "slope output pointer is NULL");
	for (int i = 0; i < 2; i++)
		if ((unsigned)fw[i] > (unsigned)LRELU_FRAMEWORK_LAST)
			return lrelu_fail(LRELU_ERR_ARG, "unknown framework %d (%s)", (int)fw[i],
			                  i ? "to" : "from");
	for (int k = 0; k < 4; k++)
		if (given[k] != NULL)
			ngiven++, last = k;
	if (ngiven <= 1) {
		*from_out = *to_out = ngiven ? *given[last] : LRELU_DIFF_DEFAULT_SLOPE;
		return LRELU_OK;
	}
	for (int k = 0; k < 4; k++) {
		int reached = 0;
		if (given[k] == NULL)
			continue;
		for (int i = 0; i < 2; i++) {
			bool hit = k < 2 ? k == i : takes_negative_slope(fw[i]) == (k == 2);
			if (!hit)
				continue;
			reached++;
			if (by[i] != NULL && !same_slope(s[i], *given[k])) {
				char v0[40], v1[40];
				lrelu_format_pyfloat(s[i], v0, sizeof v0);
				lrelu_format_pyfloat(*given[k], v1, sizeof v1);
				return lrelu_fail(LRELU_ERR_ARG, "%s (%s) and %s (%s) both set the %s side (%s)",
				                  by[i], v0, names[k], v1, i ? "to" : "from",
				                  lrelu_framework_name(fw[i]));
			}
			by[i] = names[k];
			s[i] = *given[k];
		}
		if (!reached)
			return lrelu_fail(LRELU_ERR_ARG,
			                  k == 2 ? "negative_slope sets the torch side (or jax's), and "
			                           "neither side is torch or jax (%s vs %s): use "
			                           "from_slope / to_slope"
			                         : "alpha sets a side that is not torch or jax, and both "
			                           "sides are (%s vs %s): use from_slope / to_slope",
			                  lrelu_framework_name(from), lrelu_framework_name(to));
	}
	for (int i = 0; i < 2; i++)
		if (by[i] == NULL)
			return lrelu_fail(LRELU_ERR_ARG, "no slope for the %s side (%s): give %s or %s",
			                  i ? "to" : "from", lrelu_framework_name(fw[i]),
			                  i ? "to_slope" : "from_slope",
			                  takes_negative_slope(fw[i]) ? "negative_slope" : "alpha");
	*from_out = s[0];
	*to_out = s[1];
	return LRELU_OK;
}

/* ---- the public functions -------------------------------------------------------- */

lrelu_status lrelu_diff_init(lrelu_diff *d, const lrelu_diff_options *opt)
{
	struct ctx c;
	lrelu_status st;
	if (d == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "diff state pointer is NULL");
	st = check_options(opt);
	if (st != LRELU_OK)
		return st;
	st = make_ctx(opt, &c);
	if (st != LRELU_OK)
		return st;
	memset(d, 0, sizeof *d);
	d->opt = *opt;
	d->rep.max_abs = d->rep.max_rel = NAN;
	d->magic = DIFF_MAGIC;
	return LRELU_OK;
}

/* One side computed from its rule over n elements (n <= BLOCK). */
static lrelu_status compute(const struct ctx *c, int side, const void *x, const void *g,
                            void *y, size_t n)
{
	int64_t shape[1] = { (int64_t)n };
	lrelu_tensor tx = lrelu_tensor_make((void *)(uintptr_t)x, c->dt, 1, shape, NULL);
	lrelu_tensor ty = lrelu_tensor_make(y, c->dt, 1, shape, NULL);
	if (c->bwd) {
		lrelu_tensor tg = lrelu_tensor_make((void *)(uintptr_t)g, c->dt, 1, shape, NULL);
		return lrelu_backward(c->s[side].fw, c->s[side].param, &tg, &tx, false, &ty);
	}
	return lrelu_forward(c->s[side].fw, c->s[side].param, &tx, &ty);
}

static void measure(lrelu_dtype dt, uint64_t a, uint64_t b, lrelu_diff_report *r)
{
	uint64_t sb = sign_bit(dt), ma = mag(dt, a), mb = mag(dt, b);
	uint64_t ulp = (a & sb) == (b & sb) ? (ma > mb ? ma - mb : mb - ma) : ma + mb;
	double av = value(dt, a), bv = value(dt, b), ab, rel;
	if (isinf(av) || isinf(bv)) {
		ab = INFINITY;
		rel = isinf(av) && isinf(bv) ? 2.0 : 1.0; /* the limits of the ratio */
	} else {
		double m = fmax(fabs(av), fabs(bv)); /* > 0: a +-0 pair is not measured */
		ab = fabs(av - bv);
		/* float64 values of opposite signs near DBL_MAX overflow the difference; the
		 * quotients, each in [-1, 1], do not */
		rel = isinf(ab) ? fabs(av / m - bv / m) : ab / m;
	}
	r->numeric++;
	if (ulp > r->max_ulp)
		r->max_ulp = ulp;
	if (!(ab <= r->max_abs)) /* NaN until the first pair */
		r->max_abs = ab;
	if (!(rel <= r->max_rel))
		r->max_rel = rel;
}

static lrelu_diff_cause value_cause(lrelu_dtype dt, uint64_t a, uint64_t b)
{
	bool an = is_nan(dt, a), bn = is_nan(dt, b);
	if (an && bn)
		return LRELU_DIFF_NAN_PAYLOAD;
	if (an || bn)
		return mag(dt, an ? b : a) == inf_bits(dt) ? LRELU_DIFF_INF_NAN : LRELU_DIFF_NAN_NUMBER;
	if (mag(dt, a) == 0 && mag(dt, b) == 0)
		return LRELU_DIFF_SIGNED_ZERO;
	return LRELU_DIFF_CAUSES; /* two numbers that differ */
}

lrelu_status lrelu_diff_add(lrelu_diff *d, const void *a, const void *b, const void *x,
                            const void *grad, size_t n, uint8_t *mask)
{
	struct ctx c;
	lrelu_status stt;
	lrelu_fpenv env;
	unsigned char ra[BLOCK * 8], rb[BLOCK * 8];
	if (d == NULL || d->magic != DIFF_MAGIC)
		return lrelu_fail(LRELU_ERR_ARG, "diff state %s", d == NULL ? "pointer is NULL"
		                                                           : "was not initialized");
	if (n == 0)
		return LRELU_OK;
	if (x == NULL && (a == NULL || b == NULL))
		return lrelu_fail(LRELU_ERR_ARG, "x is NULL but side %s is to be computed from its rule",
		                  a == NULL ? "a" : "b");
	if (x != NULL && d->opt.backward && grad == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "grad is NULL in a backward diff with x given");
	stt = make_ctx(&d->opt, &c);
	if (stt != LRELU_OK)
		return stt;

	/* Accumulate into a copy: a failure leaves the state as it was. */
	lrelu_diff_report r = d->rep;
	const size_t esz = c.esz;
	const bool attribute = x != NULL;
	lrelu_fpenv_enter(&env);
	for (size_t off = 0; off < n; off += BLOCK) {
		size_t m = n - off < BLOCK ? n - off : BLOCK;
		const char *xs = attribute ? (const char *)x + off * esz : NULL;
		const char *gs = attribute && c.bwd ? (const char *)grad + off * esz : NULL;
		const char *as = a ? (const char *)a + off * esz : NULL;
		const char *bs = b ? (const char *)b + off * esz : NULL;
		if (attribute) {
			stt = compute(&c, 0, xs, gs, ra, m);
			if (stt == LRELU_OK)
				stt = compute(&c, 1, xs, gs, rb, m);
			if (stt != LRELU_OK)
				break;
		}
		/* Identical blocks (the common case) skip the element loop. */
		const void *pa = as ? (const void *)as : ra, *pb = bs ? (const void *)bs : rb;
		if (memcmp(pa, pb, m * esz) == 0 &&
		    (!attribute || (memcmp(ra, rb, m * esz) == 0 &&
		                    (pa == ra || memcmp(pa, ra, m * esz) == 0)))) {
			if (attribute) {
				r.match[0][0] += m, r.match[0][1] += m;
				r.match[1][0] += m, r.match[1][1] += m;
			}
			if (mask)
				memset(mask + off, 0, m);
			continue;
		}
		for (size_t i = 0; i < m; i++) {
			uint64_t va = as ? ld(as, i, esz) : ld(ra, i, esz);
			uint64_t vb = bs ? ld(bs, i, esz) : ld(rb, i, esz);
			uint64_t xa = 0, xb = 0, xv = 0, gv = 0;
			if (attribute) {
				xa = ld(ra, i, esz), xb = ld(rb, i, esz);
				xv = ld(xs, i, esz);
				gv = gs ? ld(gs, i, esz) : 0;
				bool a0 = same(c.dt, va, xa), a1 = same(c.dt, va, xb);
				bool b0 = same(c.dt, vb, xa), b1 = same(c.dt, vb, xb);
				r.match[0][0] += a0, r.match[0][1] += a1, r.neither[0] += !a0 && !a1;
				r.match[1][0] += b0, r.match[1][1] += b1, r.neither[1] += !b0 && !b1;
			}
			if (va == vb) {
				if (mask)
					mask[off + i] = 0;
				continue;
			}
			if (mask)
				mask[off + i] = 1;
			if (r.nindices < d->opt.index_capacity)
				d->opt.indices[r.nindices++] = r.elements + off + i;
			r.differ++;
			lrelu_diff_cause cause = value_cause(c.dt, va, vb);
			if (cause == LRELU_DIFF_CAUSES) {
				measure(c.dt, va, vb, &r);
				/* The rules explain the pair only if it is the rules' pair. */
				if (attribute && ((va == xa && vb == xb) || (va == xb && vb == xa)))
					cause = rule_cause(&c, xv, gv, xa, xb);
				else
					cause = LRELU_DIFF_OTHER;
			}
			r.causes[cause]++;
		}
	}
	lrelu_fpenv_leave(&env);
	if (stt != LRELU_OK)
		return stt;
	r.elements += n;
	if (attribute)
		r.attributed += n;
	d->rep = r;
	return LRELU_OK;
}

lrelu_status lrelu_diff_finish(const lrelu_diff *d, lrelu_diff_report *report)
{
	if (d == NULL || d->magic != DIFF_MAGIC)
		return lrelu_fail(LRELU_ERR_ARG, "diff state %s", d == NULL ? "pointer is NULL"
		                                                           : "was not initialized");
	if (report == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "report pointer is NULL");
	*report = d->rep;
	return LRELU_OK;
}

lrelu_status lrelu_diff_run(const lrelu_diff_options *opt, const void *a, const void *b,
                            const void *x, const void *grad, size_t n, uint8_t *mask,
                            lrelu_diff_report *report)
{
	lrelu_diff d;
	lrelu_status st;
	if (report == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "report pointer is NULL");
	st = lrelu_diff_init(&d, opt);
	if (st == LRELU_OK)
		st = lrelu_diff_add(&d, a, b, x, grad, n, mask);
	if (st == LRELU_OK)
		st = lrelu_diff_finish(&d, report);
	return st;
}

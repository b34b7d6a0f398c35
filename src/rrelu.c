/* rrelu.c - RReLU: eval as LeakyReLU at the midpoint, training with PyTorch's MT19937 stream */
#include <float.h>
#include <math.h>
#include <stdbool.h>

#include "family.h"
#include "fp16.h"
#include "fpenv.h"

/*
 * The generator is PyTorch 1.13's at::mt19937 (ATen/core/MT19937RNGEngine.h): the
 * reference MT19937 with PyTorch's seeding (state[0] = the seed's low 32 bits) and its
 * bookkeeping of `left` and `next`, which is what torch.get_rng_state() exposes; keeping
 * the same fields, not just the same outputs, is what lets a state go back to PyTorch.
 */
#define MT_M 397
#define MT_MATRIX_A 0x9908b0dfu
#define MT_UMASK 0x80000000u
#define MT_LMASK 0x7fffffffu

static uint32_t twist(uint32_t u, uint32_t v)
{
	return (((u & MT_UMASK) | (v & MT_LMASK)) >> 1) ^ ((v & 1u) ? MT_MATRIX_A : 0u);
}

static void next_state(lrelu_generator *g)
{
	uint32_t *p = g->state;
	int j;
	g->left = LRELU_MT19937_N;
	g->next = 0;
	for (j = LRELU_MT19937_N - MT_M + 1; --j; p++)
		*p = p[MT_M] ^ twist(p[0], p[1]);
	for (j = MT_M; --j; p++)
		*p = p[MT_M - LRELU_MT19937_N] ^ twist(p[0], p[1]);
	*p = p[MT_M - LRELU_MT19937_N] ^ twist(p[0], g->state[0]);
}

/*
 * The generator's bookkeeping in locals while a loop draws (through g, every store to
 * the tensors could alias it and force reloads); written back when the loop ends.
 */
struct mt_local {
	lrelu_generator *g;
	int32_t left;
	uint32_t next;
};

static inline uint32_t mt_local_next(struct mt_local *m)
{
	uint32_t y;
	if (--m->left == 0) {
		next_state(m->g);
		m->left = LRELU_MT19937_N;
		m->next = 0;
	}
	y = m->g->state[m->next++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680u;
	y ^= (y << 15) & 0xefc60000u;
	y ^= y >> 18;
	return y;
}

static uint32_t mt_next(lrelu_generator *g)
{
	struct mt_local m = { g, g->left, g->next };
	uint32_t y = mt_local_next(&m);
	g->left = m.left;
	g->next = m.next;
	return y;
}

lrelu_status lrelu_generator_seed(lrelu_generator *g, uint64_t seed)
{
	if (g == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "generator is NULL");
	g->seed = seed;
	g->state[0] = (uint32_t)seed;
	for (uint32_t j = 1; j < LRELU_MT19937_N; j++)
		g->state[j] = 1812433253u * (g->state[j - 1] ^ (g->state[j - 1] >> 30)) + j;
	g->left = 1;
	g->next = 0;
	return LRELU_OK;
}

lrelu_status lrelu_generator_check(const lrelu_generator *g)
{
	if (g == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "generator is NULL");
	if (g->left < 1 || g->left > LRELU_MT19937_N)
		return lrelu_fail(LRELU_ERR_ARG, "generator: left = %ld is outside 1..%d",
		                  (long)g->left, LRELU_MT19937_N);
	/* The left - 1 outputs before the next twist read state[next .. next + left - 2]. */
	if (g->next > (uint32_t)(LRELU_MT19937_N + 1 - g->left))
		return lrelu_fail(LRELU_ERR_ARG,
		                  "generator: next = %lu with left = %ld would read past the state "
		                  "(left + next must be at most %d)",
		                  (unsigned long)g->next, (long)g->left, LRELU_MT19937_N + 1);
	return LRELU_OK;
}

lrelu_status lrelu_generator_next_u32(lrelu_generator *g, uint32_t *out)
{
	lrelu_status st = lrelu_generator_check(g);
	if (st != LRELU_OK)
		return st;
	if (out == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "out is NULL");
	*out = mt_next(g);
	return LRELU_OK;
}

/* PyTorch checks lower <= upper before anything else, in eval and training alike; the
 * comparison is false for a NaN bound, which is therefore refused with the same words. */
static lrelu_status check_bounds(double lower, double upper)
{
	if (!(lower <= upper))
		return lrelu_fail(LRELU_ERR_SLOPE,
		                  "Lower bound should be less than or equal to the upper bound");
	return LRELU_OK;
}

/* float16 and the quantized types: PyTorch 1.13's leaky_relu refuses them for RReLU. */
static lrelu_status check_eval_dtype(const lrelu_tensor *x)
{
	int64_t n;
	if (x == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "input tensor x is NULL");
	if (x->dtype == LRELU_FLOAT16 || x->dtype == LRELU_QINT8 || x->dtype == LRELU_QUINT8)
		return lrelu_fam_check(x, "x", "leaky_relu_cpu", &n);
	return LRELU_OK;
}

lrelu_status lrelu_rrelu_eval(double lower, double upper, const lrelu_tensor *x,
                              const lrelu_tensor *y)
{
	lrelu_status st = check_bounds(lower, upper);
	if (st == LRELU_OK)
		st = check_eval_dtype(x);
	if (st != LRELU_OK)
		return st;
	return lrelu_forward(LRELU_TORCH, (lower + upper) / 2, x, y);
}

lrelu_status lrelu_rrelu_eval_backward(double lower, double upper, const lrelu_tensor *grad_output,
                                       const lrelu_tensor *x, const lrelu_tensor *grad_input)
{
	lrelu_status st = check_bounds(lower, upper);
	if (st == LRELU_OK)
		st = check_eval_dtype(x);
	if (st != LRELU_OK)
		return st;
	return lrelu_backward(LRELU_TORCH, (lower + upper) / 2, grad_output, x, false, grad_input);
}

/* A bound as Scalar::to<T>() gives it: out of T's range is an error, as in PyTorch. */
static lrelu_status round_bound(double v, lrelu_dtype dt, double *out)
{
	if (dt == LRELU_FLOAT64) {
		*out = v;
		return LRELU_OK;
	}
	float f = lrelu_d2f(v);
	if (dt == LRELU_BFLOAT16)
		f = lrelu_bf2f(lrelu_f2bf(f));
	if (isinf(f) && !isinf(v))
		return lrelu_fail(LRELU_ERR_SLOPE, "value cannot be converted to type %s without overflow",
		                  dt == LRELU_BFLOAT16 ? "at::BFloat16" : "float");
	*out = lrelu_f2d(f);
	return LRELU_OK;
}

/* The draw of at::uniform_real_distribution<double>(lo, hi): random64() is the first
 * output in the high half, the second in the low half; its low 53 bits make u. */
static inline double draw(struct mt_local *m, double lo, double hi)
{
	uint64_t a = mt_local_next(m), b = mt_local_next(m);
	uint64_t bits = ((a << 32) | b) & ((1ull << 53) - 1);
	return (double)bits * 0x1p-53 * (hi - lo) + lo;
}

/* One element of each dtype: x <= 0 draws r and gets y = x * r, noise r; any other
 * element (NaN included) y = x, noise 1. */
static inline void elem_f32(struct mt_local *m, double lo, double hi, const float *x, float *y,
                            float *r)
{
	float v = *x, s = 1.0f;
	if (v <= 0)
		s = (float)draw(m, lo, hi), v *= s;
	*y = v;
	*r = s;
}

static inline void elem_f64(struct mt_local *m, double lo, double hi, const double *x, double *y,
                            double *r)
{
	double v = *x, s = 1.0;
	if (v <= 0)
		s = draw(m, lo, hi), v *= s;
	*y = v;
	*r = s;
}

/* bfloat16: the double draw reaches at::BFloat16 through float (two roundings, as
 * PyTorch's conversion does); the product is a float product rounded once. */
static inline void elem_bf16(struct mt_local *m, double lo, double hi, const uint16_t *x,
                             uint16_t *y, uint16_t *r)
{
	uint16_t xb = *x, sb = 0x3F80u;
	float v = lrelu_bf2f(xb);
	if (v <= 0) {
		sb = lrelu_f2bf((float)draw(m, lo, hi));
		xb = lrelu_f2bf(v * lrelu_bf2f(sb));
	}
	*y = xb;
	*r = sb;
}

/*
 * The walk in the logical order of x: a plain index when x, y and noise are all
 * C-contiguous (the usual case), else the family's iterator (it: y, x, noise).
 */
#define TRAIN_WALK(ELEM, T)                                                                   \
	do {                                                                                  \
		const T *x_ = xv;                                                             \
		T *y_ = yv, *r_ = rv;                                                         \
		if (it == NULL) {                                                             \
			for (int64_t i = 0; i < n; i++)                                       \
				ELEM(m, lo, hi, &x_[i], &y_[i], &r_[i]);                      \
		} else {                                                                      \
			for (int64_t i = 0; i < n; i++) {                                     \
				ELEM(m, lo, hi, &x_[it->off[1]], &y_[it->off[0]], &r_[it->off[2]]); \
				lrelu_fam_iter_next(it);                                      \
			}                                                                     \
		}                                                                             \
	} while (0)

static void train(struct mt_local *m, double lo, double hi, lrelu_dtype dt,
                  struct lrelu_fam_iter *it, int64_t n, const void *xv, void *yv, void *rv)
{
	if (dt == LRELU_FLOAT32)
		TRAIN_WALK(elem_f32, float);
	else if (dt == LRELU_FLOAT64)
		TRAIN_WALK(elem_f64, double);
	else
		TRAIN_WALK(elem_bf16, uint16_t);
}

/* PyTorch builds at::uniform_real_distribution<double>(lo, hi) for each element that
 * draws, and its constructor requires hi - lo <= DBL_MAX (false for an infinite bound
 * and for a range wider than a double holds).  So such a range is refused only if
 * some element would draw: x <= 0, NaN excluded.  Scanned before anything is
 * written, and only for such a range. */
static bool any_draw(const lrelu_tensor *x, int64_t n)
{
	struct lrelu_fam_iter it;
	const lrelu_tensor *ops[1] = { x };
	lrelu_fam_iter_init(&it, 1, ops);
	for (int64_t i = 0; i < n; i++) {
		const char *p = x->data;
		double v = x->dtype == LRELU_FLOAT32   ? lrelu_f2d(((const float *)p)[it.off[0]])
		           : x->dtype == LRELU_FLOAT64 ? ((const double *)p)[it.off[0]]
		                                       : lrelu_f2d(lrelu_bf2f(((const uint16_t *)p)[it.off[0]]));
		if (v <= 0)
			return true;
		lrelu_fam_iter_next(&it);
	}
	return false;
}

lrelu_status lrelu_rrelu_train(lrelu_generator *g, double lower, double upper,
                               const lrelu_tensor *x, const lrelu_tensor *y,
                               const lrelu_tensor *noise)
{
	const char *op = "rrelu_with_noise_out_cpu";
	const lrelu_tensor *ops[3];
	struct lrelu_fam_iter it, *walk = NULL;
	struct mt_local m;
	int64_t n, k;
	double lo, hi;
	lrelu_fpenv env;
	lrelu_status st;

	if ((st = lrelu_generator_check(g)) != LRELU_OK || (st = check_bounds(lower, upper)) != LRELU_OK)
		return st;
	if (y == NULL)
		y = x;
	if ((st = lrelu_fam_check(x, "x", op, &n)) != LRELU_OK ||
	    (st = lrelu_fam_check(y, "y", op, &k)) != LRELU_OK ||
	    (st = lrelu_fam_check(noise, "noise", op, &k)) != LRELU_OK ||
	    (st = lrelu_fam_same(x, "x", y, "y")) != LRELU_OK ||
	    (st = lrelu_fam_same(x, "x", noise, "noise")) != LRELU_OK ||
	    (st = lrelu_fam_overlap(y, "y", x, 1)) != LRELU_OK ||
	    (st = lrelu_fam_overlap(noise, "noise", x, 0)) != LRELU_OK ||
	    (st = lrelu_fam_overlap(noise, "noise", y, 0)) != LRELU_OK)
		return st;
	if ((st = round_bound(lower, x->dtype, &lo)) != LRELU_OK ||
	    (st = round_bound(upper, x->dtype, &hi)) != LRELU_OK)
		return st;
	if (n == 0)
		return LRELU_OK;
	if (!(hi - lo <= DBL_MAX) && any_draw(x, n))
		return lrelu_fail(LRELU_ERR_SLOPE,
		                  "Expected to - from <= std::numeric_limits<T>::max() to be true, but "
		                  "got false.  (Could this error message be improved?  If so, please "
		                  "report an enhancement request to PyTorch.)");
	m = (struct mt_local){ g, g->left, g->next };
	if (!(lrelu_fam_dense_in(x, NULL) && lrelu_fam_dense_in(y, NULL) &&
	      lrelu_fam_dense_in(noise, NULL))) {
		ops[0] = y;
		ops[1] = x;
		ops[2] = noise;
		lrelu_fam_iter_init(&it, 3, ops);
		walk = &it;
	}
	lrelu_fpenv_enter(&env);
	train(&m, lo, hi, x->dtype, walk, n, x->data, y->data, noise->data);
	lrelu_fpenv_leave(&env);
	g->left = m.left;
	g->next = m.next;
	return LRELU_OK;
}

lrelu_status lrelu_rrelu_train_backward(const lrelu_tensor *grad_output, const lrelu_tensor *noise,
                                        const lrelu_tensor *grad_input)
{
	const char *op = "mul_cpu";
	const lrelu_tensor *ops[3];
	struct lrelu_fam_iter it;
	int64_t n, m;
	lrelu_fpenv env;
	lrelu_status st;

	if ((st = lrelu_fam_check(grad_output, "grad_output", op, &n)) != LRELU_OK ||
	    (st = lrelu_fam_check(noise, "noise", op, &m)) != LRELU_OK ||
	    (st = lrelu_fam_check(grad_input, "grad_input", op, &m)) != LRELU_OK ||
	    (st = lrelu_fam_same(grad_output, "grad_output", noise, "noise")) != LRELU_OK ||
	    (st = lrelu_fam_same(grad_output, "grad_output", grad_input, "grad_input")) != LRELU_OK ||
	    (st = lrelu_fam_overlap(grad_input, "grad_input", grad_output, 1)) != LRELU_OK ||
	    (st = lrelu_fam_overlap(grad_input, "grad_input", noise, 1)) != LRELU_OK)
		return st;
	if (n == 0)
		return LRELU_OK;
	ops[0] = grad_input;
	ops[1] = grad_output;
	ops[2] = noise;
	lrelu_fam_iter_init(&it, 3, ops);
	lrelu_fpenv_enter(&env);
	for (int64_t i = 0; i < n; i++) {
		switch (grad_output->dtype) {
		case LRELU_FLOAT32:
			((float *)grad_input->data)[it.off[0]] =
				((const float *)grad_output->data)[it.off[1]] *
				((const float *)noise->data)[it.off[2]];
			break;
		case LRELU_FLOAT64:
			((double *)grad_input->data)[it.off[0]] =
				((const double *)grad_output->data)[it.off[1]] *
				((const double *)noise->data)[it.off[2]];
			break;
		default:
			((uint16_t *)grad_input->data)[it.off[0]] = lrelu_f2bf(
				lrelu_bf2f(((const uint16_t *)grad_output->data)[it.off[1]]) *
				lrelu_bf2f(((const uint16_t *)noise->data)[it.off[2]]));
			break;
		}
		lrelu_fam_iter_next(&it);
	}
	lrelu_fpenv_leave(&env);
	return LRELU_OK;
}

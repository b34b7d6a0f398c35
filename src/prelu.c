/* prelu.c - PReLU (PyTorch 1.13): LeakyReLU per channel, its two gradients */
#include <math.h>
#include <string.h>

#include "family.h"
#include "fp16.h"
#include "fpenv.h"

/*
 * PyTorch's forward is x > 0 ? x : w[c] * x with w in the tensor's dtype, and its input
 * gradient x > 0 ? g : w[c] * g: LeakyReLU's rule and rounding (bfloat16: a float
 * product of two bfloat16 values is exact, so the rounding to bfloat16 is the only
 * one) with the slope w[c].  Dense operands in either layout go to the ISA's PReLU
 * kernels (below); any other strides make each channel one lrelu_forward /
 * lrelu_backward call on the channel's elements, with the LeakyReLU path's layout
 * handling.  The channel is dimension 1; a tensor of rank below 2 is one channel.
 */

static const char *torch_name(lrelu_dtype dt)
{
	return dt == LRELU_FLOAT32 ? "Float" : dt == LRELU_FLOAT64 ? "Double" : "BFloat16";
}

static double weight_at(const lrelu_tensor *w, int64_t c)
{
	int64_t s = w->ndim == 1 && w->strides != NULL ? w->strides[0] : 1;
	switch (w->dtype) {
	case LRELU_FLOAT32:
		return lrelu_f2d(((const float *)w->data)[c * s]);
	case LRELU_FLOAT64:
		return ((const double *)w->data)[c * s];
	default:
		return lrelu_f2d(lrelu_bf2f(((const uint16_t *)w->data)[c * s]));
	}
}

/* The frameworks whose PReLU is implemented here. */
static lrelu_status prelu_framework(lrelu_framework fw)
{
	if (fw == LRELU_TORCH)
		return LRELU_OK;
	if ((unsigned)fw > LRELU_FRAMEWORK_LAST)
		return lrelu_fail(LRELU_ERR_ARG, "prelu: unknown framework %d", (int)fw);
	return lrelu_fail(LRELU_ERR_UNSUPPORTED, "prelu: not implemented for framework %s",
	                  lrelu_framework_name(fw));
}

/* Checks x and weight as PyTorch does, in its order; *channels: how many slopes are
 * used (1: one for all elements). */
static lrelu_status check_prelu(const lrelu_tensor *x, const lrelu_tensor *w, int64_t *numel,
                                int64_t *channels)
{
	int64_t nw, csize;
	lrelu_status st;
	if ((st = lrelu_fam_check(x, "x", "prelu_cpu", numel)) != LRELU_OK ||
	    (st = lrelu_fam_check(w, "weight", "prelu_cpu", &nw)) != LRELU_OK)
		return st;
	if (w->ndim > 1)
		return lrelu_fail(LRELU_ERR_SHAPE,
		                  "prelu: Expected `weight` to be a scalar or 1D tensor, but got ndim = %d",
		                  w->ndim);
	if (w->dtype != x->dtype)
		return lrelu_fail(LRELU_ERR_DTYPE, "Found dtype %s but expected %s", torch_name(w->dtype),
		                  torch_name(x->dtype));
	if (nw != 1) {
		if (x->ndim == 0)
			return lrelu_fail(LRELU_ERR_SHAPE, "Not allow zero-dim input tensor.");
		csize = x->ndim >= 2 ? x->shape[1] : 1;
		if (nw != csize)
			return lrelu_fail(LRELU_ERR_SHAPE,
			                  "Mismatch of parameter numbers and input channel size. Found "
			                  "parameter numbers = %lld and channel size = %lld.",
			                  (long long)nw, (long long)csize);
	}
	*channels = nw;
	return LRELU_OK;
}

/* The elements of channel c of t: dimension 1 dropped, data moved to the channel. */
struct chan_view {
	lrelu_tensor t;
	int64_t shape[LRELU_MAX_DIMS], strides[LRELU_MAX_DIMS];
};

static void chan_init(struct chan_view *v, const lrelu_tensor *t)
{
	int k = 0;
	for (int d = 0; d < t->ndim; d++) {
		if (d == 1)
			continue;
		v->shape[k] = t->shape[d];
		v->strides[k++] = lrelu_fam_stride(t, d);
	}
	v->t = lrelu_tensor_make(t->data, t->dtype, k, v->shape, v->strides);
}

static const lrelu_tensor *chan_at(struct chan_view *v, const lrelu_tensor *t, int64_t c)
{
	v->t.data = (char *)t->data + c * lrelu_fam_stride(t, 1) * (int64_t)lrelu_esize(t->dtype);
	return &v->t;
}

/*
 * The fast paths: dense operands in channels-first order (rows of H * W elements, one
 * slope each) or channels-last order (rows of C elements, a slope per element), run by
 * the ISA's PReLU kernels (internal.h, lrelu_pfwd_fn) and split over the thread pool in
 * whole rows.  Per-channel lrelu_forward calls would pay a call's checks per run (often
 * a few hundred elements) and, channels-last, walk every run with stride C.
 */
struct prelu_job {
	const char *a, *g; /* forward: x; backward: x and grad_output */
	char *y;           /* y or grad_input */
	const void *w;     /* nw contiguous slopes in the operands' dtype */
	size_t C, inner;   /* the kernels' geometry: row r is channel r % C, inner elements */
	size_t unit;       /* rows per unit of the split: 1 (channels-first) or C */
	size_t es;
	struct lrelu_kparams p;
	lrelu_pfwd_fn fwd;
	lrelu_pbwd_fn bwd;
};

static void prelu_rows(void *arg, size_t begin, size_t end)
{
	const struct prelu_job *j = arg;
	size_t r0 = begin * j->unit, rows = (end - begin) * j->unit;
	size_t off = r0 * j->inner * j->es;
	lrelu_fpenv env;
	lrelu_fpenv_enter(&env);
	if (j->fwd != NULL)
		j->fwd(rows, j->inner, j->C, r0 % j->C, j->a + off, j->y + off, j->w, &j->p);
	else
		j->bwd(rows, j->inner, j->C, r0 % j->C, j->a + off, j->g + off, j->y + off, j->w, &j->p);
	lrelu_fpenv_leave(&env);
}

/* Whether t is dense with its dimensions in the order perm (outermost first). */
static int dense_in(const lrelu_tensor *t, const int *perm)
{
	int64_t want = 1;
	for (int k = t->ndim - 1; k >= 0; k--) {
		int d = perm[k];
		if (t->shape[d] != 1 && lrelu_fam_stride(t, d) != want)
			return 0;
		want *= t->shape[d];
	}
	return 1;
}

static int kt_of(lrelu_dtype dt)
{
	return dt == LRELU_FLOAT32 ? KT_F32
	       : dt == LRELU_FLOAT64 ? KT_F64
	       : dt == LRELU_BFLOAT16 ? KT_BF16 : KT_F16;
}

/* The geometry of ops[0..nops) if all are dense in one of the two layouts (the same
 * one): 1 and j's C, inner and unit set, and *units the count of units; else 0. */
static int prelu_layout(const lrelu_tensor *const *ops, int nops, int64_t nw,
                        struct prelu_job *j, size_t *units)
{
	const lrelu_tensor *x = ops[0];
	int perm[LRELU_MAX_DIMS], k = 0, ok = 1;
	int64_t n = 1;
	for (int d = 0; d < x->ndim; d++)
		n *= x->shape[d];
	if (x->ndim < 2 || n == 0)
		return 0;
	for (int d = 0; d < x->ndim; d++)
		perm[d] = d;
	for (int i = 0; i < nops; i++)
		ok = ok && dense_in(ops[i], perm);
	if (ok) {
		j->C = (size_t)x->shape[1];
		j->inner = (size_t)(n / (x->shape[0] * x->shape[1]));
		j->unit = 1;
		*units = (size_t)n / j->inner;
	} else {
		perm[k++] = 0;
		for (int d = 2; d < x->ndim; d++)
			perm[k++] = d;
		perm[k] = 1;
		ok = 1;
		for (int i = 0; i < nops; i++)
			ok = ok && dense_in(ops[i], perm);
		if (!ok)
			return 0;
		j->C = (size_t)x->shape[1];
		j->inner = 1;
		j->unit = j->C;
		*units = (size_t)n / j->C;
	}
	if (nw == 1) /* one slope: every row is channel 0 of 1 */
		j->C = 1;
	return 1;
}

static void prelu_run(struct prelu_job *j, lrelu_dtype dt, size_t units, int in_place)
{
	size_t bytes = j->unit * j->inner * j->es * (j->fwd != NULL ? 2 : 3) * lrelu_par_weight(dt);
	lrelu_parallel_for(units, 1, bytes, lrelu_par_kind(dt, j->fwd == NULL, in_place), prelu_rows,
	                   j);
}

/* The operands' geometry and pointers into j: 0 if they are in neither dense layout. */
static int prelu_job_init(struct prelu_job *j, const lrelu_tensor *const *ops, int nops,
                          const void *w, int64_t nw, size_t *units)
{
	if (!prelu_layout(ops, nops, nw, j, units))
		return 0;
	j->a = ops[0]->data;
	j->g = nops == 3 ? ops[1]->data : NULL;
	j->y = ops[nops - 1]->data;
	j->w = w;
	j->es = lrelu_esize(ops[0]->dtype);
	lrelu_torch_flat_params(0.0f, 0.0, &j->p);
	j->fwd = NULL;
	j->bwd = NULL;
	return 1;
}

int lrelu_prelu_dense_forward(enum lrelu_rule rule, const lrelu_tensor *x, const void *w,
                              int64_t nw, const lrelu_tensor *y)
{
	const lrelu_tensor *ops[2] = { x, y };
	struct prelu_job j;
	size_t units;
	int kt = kt_of(x->dtype);
	if (!prelu_job_init(&j, ops, 2, w, nw, &units))
		return 0;
	j.p.nt = x->data != y->data && units * j.unit * j.inner * j.es >= lrelu_nt_bytes;
	j.fwd = lrelu_active_kernels()->pfwd[kt][rule];
	if (j.fwd == NULL)
		j.fwd = lrelu_kernels_scalar.pfwd[kt][rule];
	prelu_run(&j, x->dtype, units, x->data == y->data);
	return 1;
}

int lrelu_prelu_dense_backward(enum lrelu_brule brule, const lrelu_tensor *g,
                               const lrelu_tensor *x, const void *w, int64_t nw,
                               const lrelu_tensor *dx)
{
	const lrelu_tensor *ops[3] = { x, g, dx };
	struct prelu_job j;
	size_t units;
	int kt = kt_of(x->dtype);
	if (!prelu_job_init(&j, ops, 3, w, nw, &units))
		return 0;
	j.bwd = lrelu_active_kernels()->pbwd[kt][brule];
	if (j.bwd == NULL)
		j.bwd = lrelu_kernels_scalar.pbwd[kt][brule];
	prelu_run(&j, x->dtype, units, dx->data == x->data || dx->data == g->data);
	return 1;
}

/* PyTorch's weight as the kernels take it: contiguous (a 1-D weight of stride 1, or one
 * value); NULL where it is strided, which the per-channel calls handle. */
static const void *dense_weight(const lrelu_tensor *w, int64_t nw)
{
	return nw > 1 && w->ndim == 1 && lrelu_fam_stride(w, 0) != 1 ? NULL : w->data;
}

lrelu_status lrelu_prelu_forward(lrelu_framework fw, const lrelu_tensor *x,
                                 const lrelu_tensor *weight, const lrelu_tensor *y)
{
	struct chan_view vx, vy;
	int64_t n = 0, m, nc = 0;
	lrelu_status st;
	if ((st = prelu_framework(fw)) != LRELU_OK ||
	    (st = check_prelu(x, weight, &n, &nc)) != LRELU_OK ||
	    (st = lrelu_fam_check(y, "y", "prelu_cpu", &m)) != LRELU_OK ||
	    (st = lrelu_fam_same(x, "x", y, "y")) != LRELU_OK ||
	    (st = lrelu_fam_overlap(y, "y", x, 1)) != LRELU_OK)
		return st;
	if (nc == 1)
		return lrelu_forward(LRELU_TORCH, weight_at(weight, 0), x, y);
	if (dense_weight(weight, nc) != NULL &&
	    lrelu_prelu_dense_forward(RULE_GT, x, dense_weight(weight, nc), nc, y))
		return LRELU_OK;
	chan_init(&vx, x);
	chan_init(&vy, y);
	for (int64_t c = 0; c < nc; c++) {
		st = lrelu_forward(LRELU_TORCH, weight_at(weight, c), chan_at(&vx, x, c), chan_at(&vy, y, c));
		if (st != LRELU_OK)
			return st;
	}
	return LRELU_OK;
}

/*
 * The weight gradient: PyTorch sums the collector x > 0 ? 0 : x * g (the product in
 * the dtype) over each channel with at::sum, whose order, and so whose bits, follow
 * its thread count and vector width.  Here each channel's collector is summed in one
 * fixed order (C order of the channel's elements) in double, with a compensation term
 * (Neumaier) so that float64 gets the same care, and the total is rounded once to the
 * dtype: the same bits for any thread count and any ISA, and closer to the exact sum
 * than PyTorch's float accumulators.
 */
struct wsum {
	double s, c;
};

static void wsum_add(struct wsum *a, double v)
{
	double t = a->s + v;
	if (fabs(a->s) >= fabs(v))
		a->c += (a->s - t) + v;
	else
		a->c += (v - t) + a->s;
	a->s = t;
}

/* double -> bfloat16 rounded once: to float by round-to-odd (float keeps 16 more bits
 * than bfloat16, so the second rounding then sees the right sticky bit). */
static uint16_t d2bf_once(double d)
{
	float f = (float)d;
	if (isfinite(d) && (double)f != d && (lrelu_f32_bits(f) & 1u) == 0) {
		uint32_t u = lrelu_f32_bits(f);
		/* one unit toward d: up in magnitude if |f| < |d|, else down */
		u = fabs((double)f) < fabs(d) ? u + 1 : u - 1;
		f = lrelu_bits_f32(u);
	}
	return lrelu_f2bf(f);
}

static void weight_grad_channel(const lrelu_tensor *g, const lrelu_tensor *x, double *sum)
{
	const lrelu_tensor *ops[2] = { x, g };
	struct lrelu_fam_iter it;
	struct wsum a = { 0.0, 0.0 };
	int64_t n = 1;
	for (int d = 0; d < x->ndim; d++)
		n *= x->shape[d];
	lrelu_fam_iter_init(&it, 2, ops);
	for (int64_t i = 0; i < n; i++) {
		double p;
		switch (x->dtype) {
		case LRELU_FLOAT32: {
			float xv = ((const float *)x->data)[it.off[0]];
			p = xv > 0 ? 0.0 : (double)(xv * ((const float *)g->data)[it.off[1]]);
			break;
		}
		case LRELU_FLOAT64: {
			double xv = ((const double *)x->data)[it.off[0]];
			p = xv > 0 ? 0.0 : xv * ((const double *)g->data)[it.off[1]];
			break;
		}
		default: {
			float xv = lrelu_bf2f(((const uint16_t *)x->data)[it.off[0]]);
			float gv = lrelu_bf2f(((const uint16_t *)g->data)[it.off[1]]);
			p = xv > 0 ? 0.0 : (double)lrelu_bf2f(lrelu_f2bf(xv * gv));
			break;
		}
		}
		wsum_add(&a, p);
		lrelu_fam_iter_next(&it);
	}
	/* inf - inf in the running sum leaves NaN in c; the sum itself says what it is */
	*sum = isfinite(a.s) ? a.s + a.c : a.s;
}

static void store_weight(const lrelu_tensor *w, int64_t c, double v)
{
	int64_t s = w->ndim == 1 && w->strides != NULL ? w->strides[0] : 1;
	switch (w->dtype) {
	case LRELU_FLOAT32:
		((float *)w->data)[c * s] = (float)v;
		break;
	case LRELU_FLOAT64:
		((double *)w->data)[c * s] = v;
		break;
	default:
		((uint16_t *)w->data)[c * s] = d2bf_once(v);
		break;
	}
}

lrelu_status lrelu_prelu_backward(lrelu_framework fw, const lrelu_tensor *grad_output,
                                  const lrelu_tensor *x,
                                  const lrelu_tensor *weight, const lrelu_tensor *grad_input,
                                  const lrelu_tensor *grad_weight)
{
	struct chan_view vg, vx, vd;
	int64_t n = 0, m, nc = 0;
	lrelu_status st;
	if ((st = prelu_framework(fw)) != LRELU_OK ||
	    (st = check_prelu(x, weight, &n, &nc)) != LRELU_OK ||
	    (st = lrelu_fam_check(grad_output, "grad_output", "prelu_cpu", &m)) != LRELU_OK ||
	    (st = lrelu_fam_same(x, "x", grad_output, "grad_output")) != LRELU_OK)
		return st;
	if (grad_input != NULL &&
	    ((st = lrelu_fam_check(grad_input, "grad_input", "prelu_cpu", &m)) != LRELU_OK ||
	     (st = lrelu_fam_same(x, "x", grad_input, "grad_input")) != LRELU_OK ||
	     (st = lrelu_fam_overlap(grad_input, "grad_input", x, 1)) != LRELU_OK ||
	     (st = lrelu_fam_overlap(grad_input, "grad_input", grad_output, 1)) != LRELU_OK))
		return st;
	if (grad_weight != NULL) {
		if ((st = lrelu_fam_check(grad_weight, "grad_weight", "prelu_cpu", &m)) != LRELU_OK ||
		    (st = lrelu_fam_same(weight, "weight", grad_weight, "grad_weight")) != LRELU_OK ||
		    (st = lrelu_fam_overlap(grad_weight, "grad_weight", weight, 0)) != LRELU_OK ||
		    (st = lrelu_fam_overlap(grad_weight, "grad_weight", x, 0)) != LRELU_OK ||
		    (st = lrelu_fam_overlap(grad_weight, "grad_weight", grad_output, 0)) != LRELU_OK)
			return st;
		if (grad_input != NULL &&
		    (st = lrelu_fam_overlap(grad_weight, "grad_weight", grad_input, 0)) != LRELU_OK)
			return st;
	}
	/* The weight gradient first: grad_input may be written over x or grad_output. */
	if (grad_weight != NULL) {
		lrelu_fpenv env;
		double sum;
		chan_init(&vg, grad_output);
		chan_init(&vx, x);
		lrelu_fpenv_enter(&env);
		for (int64_t c = 0; c < nc; c++) {
			if (nc == 1)
				weight_grad_channel(grad_output, x, &sum);
			else
				weight_grad_channel(chan_at(&vg, grad_output, c), chan_at(&vx, x, c), &sum);
			store_weight(grad_weight, c, sum);
		}
		lrelu_fpenv_leave(&env);
	}
	if (grad_input == NULL)
		return LRELU_OK;
	if (nc == 1)
		return lrelu_backward(LRELU_TORCH, weight_at(weight, 0), grad_output, x, false, grad_input);
	if (dense_weight(weight, nc) != NULL &&
	    lrelu_prelu_dense_backward(BRULE_GT, grad_output, x, dense_weight(weight, nc), nc,
	                               grad_input))
		return LRELU_OK;
	chan_init(&vg, grad_output);
	chan_init(&vx, x);
	chan_init(&vd, grad_input);
	for (int64_t c = 0; c < nc; c++) {
		st = lrelu_backward(LRELU_TORCH, weight_at(weight, c), chan_at(&vg, grad_output, c),
		                    chan_at(&vx, x, c), false, chan_at(&vd, grad_input, c));
		if (st != LRELU_OK)
			return st;
	}
	return LRELU_OK;
}

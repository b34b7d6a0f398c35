/* prelu.c - PReLU (PyTorch 1.13, MindSpore 2.8): LeakyReLU per channel, its two gradients */
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
	switch (dt) {
	case LRELU_FLOAT32:
		return "Float";
	case LRELU_FLOAT64:
		return "Double";
	case LRELU_BFLOAT16:
		return "BFloat16";
	case LRELU_FLOAT16:
		return "Half";
	case LRELU_QINT8:
		return "QInt8";
	default:
		return "QUInt8";
	}
}

/* float -> float16 with the NaN rule of the two conversions PReLU meets: c10::Half's
 * (autograd casting a gradient to a float16 weight) and MindSpore's Float16 (its every
 * float16 product): a NaN becomes sign | 0x7E00, its payload dropped; otherwise the
 * IEEE rounding of lrelu_f2h. */
static uint16_t f2h_nan_canon(float f)
{
	uint32_t u = lrelu_f32_bits(f);
	if ((u & 0x7FFFFFFFu) > 0x7F800000u)
		return (uint16_t)(((u >> 16) & 0x8000u) | 0x7E00u);
	return lrelu_f2h(f);
}

/* Element c of a 0-d or 1-D weight, as a double. */
static double weight_raw(const lrelu_tensor *w, int64_t c)
{
	int64_t s = w->ndim == 1 && w->strides != NULL ? w->strides[0] : 1;
	switch (w->dtype) {
	case LRELU_FLOAT32:
		return lrelu_f2d(((const float *)w->data)[c * s]);
	case LRELU_FLOAT64:
		return ((const double *)w->data)[c * s];
	case LRELU_FLOAT16:
		return lrelu_f2d(lrelu_h2f(((const uint16_t *)w->data)[c * s]));
	default:
		return lrelu_f2d(lrelu_bf2f(((const uint16_t *)w->data)[c * s]));
	}
}

/* The slope of channel c in x's dtype.  PyTorch 1.13 copies a weight of another dtype
 * to bfloat16 first when x is bfloat16 (the only mixed case it runs): Tensor.copy_
 * goes through float, so a float64 weight is rounded twice (to float, then bfloat16)
 * and the product then has PyTorch's one bfloat16 rounding. */
static double weight_at(const lrelu_tensor *x, const lrelu_tensor *w, int64_t c)
{
	double v = weight_raw(w, c);
	if (x->dtype == LRELU_BFLOAT16 && w->dtype != LRELU_BFLOAT16)
		v = lrelu_f2d(lrelu_bf2f(lrelu_f2bf(lrelu_d2f(v))));
	return v;
}

/* ---- The framework rules: which frameworks, which checks, in their order ---------- */

static lrelu_status prelu_framework(lrelu_framework fw)
{
	if (fw == LRELU_TORCH || fw == LRELU_MINDSPORE)
		return LRELU_OK;
	if ((unsigned)fw > LRELU_FRAMEWORK_LAST)
		return lrelu_fail(LRELU_ERR_ARG, "prelu: unknown framework %d", (int)fw);
	return lrelu_fail(LRELU_ERR_UNSUPPORTED, "prelu: not implemented for framework %s",
	                  lrelu_framework_name(fw));
}

/* Shape, strides and data of an operand of any known dtype (the dtype rules follow). */
static lrelu_status check_operand(const lrelu_tensor *t, const char *name, int64_t *numel)
{
	if (t == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "%s is NULL", name);
	if (lrelu_esize(t->dtype) == 0)
		return lrelu_fail(LRELU_ERR_DTYPE, "%s: unknown dtype %d", name, (int)t->dtype);
	return lrelu_check_tensor(t, name, lrelu_esize(t->dtype), numel);
}

/*
 * PyTorch 1.13, in its order: F.prelu's weight rank; prelu_cpu's channel count (a
 * weight of more than one element needs a channel dimension); then TensorIterator's
 * dtype check, which a bfloat16 x never meets (the weight was copied to bfloat16,
 * whatever its floating dtype); last the dispatch, which refuses float16.  Quantized
 * PReLU (PyTorch's own kernel) is not implemented here.
 */
static lrelu_status check_torch(const lrelu_tensor *x, const lrelu_tensor *w, int64_t nw)
{
	int64_t csize;
	if (w->ndim > 1)
		return lrelu_fail(LRELU_ERR_SHAPE,
		                  "prelu: Expected `weight` to be a scalar or 1D tensor, but got ndim = %d",
		                  w->ndim);
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
	if (x->dtype == LRELU_QINT8 || x->dtype == LRELU_QUINT8)
		return lrelu_fail(LRELU_ERR_DTYPE,
		                  "prelu: a quantized input (%s) is not implemented here (PyTorch 1.13 "
		                  "runs quantized PReLU with a kernel of its own)",
		                  torch_name(x->dtype));
	if (x->dtype == LRELU_BFLOAT16 && (w->dtype == LRELU_QINT8 || w->dtype == LRELU_QUINT8))
		return lrelu_fail(LRELU_ERR_DTYPE,
		                  "prelu: a quantized weight (%s) cannot be copied to the input's "
		                  "BFloat16 (PyTorch: Could not run 'aten::q_zero_point' with "
		                  "arguments from the 'CPU' backend)",
		                  torch_name(w->dtype));
	if (x->dtype != LRELU_BFLOAT16 && w->dtype != x->dtype)
		return lrelu_fail(LRELU_ERR_DTYPE, "Found dtype %s but expected %s", torch_name(w->dtype),
		                  torch_name(x->dtype));
	if (x->dtype != LRELU_FLOAT32 && x->dtype != LRELU_FLOAT64 && x->dtype != LRELU_BFLOAT16)
		return lrelu_fail(LRELU_ERR_DTYPE, "\"prelu_cpu\" not implemented for '%s'",
		                  torch_name(x->dtype));
	return LRELU_OK;
}

static const char *ms_name(lrelu_dtype dt)
{
	return dt == LRELU_FLOAT16 ? "Float16" : dt == LRELU_FLOAT32 ? "Float32"
	     : dt == LRELU_FLOAT64 ? "Float64" : dt == LRELU_BFLOAT16 ? "BFloat16"
	     : dt == LRELU_QINT8 ? "Int8" : "UInt8";
}

/*
 * MindSpore 2.8 (ops.PReLU, which nn.PReLU calls with its weight cast to x's dtype):
 * the infer step's dtype and weight-rank checks, then the CPU kernels' Resize
 * (PReluCpuKernelMod, PReLUGradCpuKernelMod): a 1-D weight of 1 or C elements, C =
 * x.shape[1] for rank >= 2 and 1 below, and shape[0] * shape[1] != 0.  The kernels
 * are registered for (float16, float16) and (float32, float32) alone.
 */
static lrelu_status check_mindspore(const lrelu_tensor *x, const lrelu_tensor *w, int64_t nw)
{
	static const char *const names[2] = { "x", "weight" };
	const lrelu_tensor *t[2] = { x, w };
	int64_t csize = x->ndim >= 2 ? x->shape[1] : 1;
	for (int k = 0; k < 2; k++)
		if (t[k]->dtype != LRELU_FLOAT16 && t[k]->dtype != LRELU_FLOAT32)
			return lrelu_fail(LRELU_ERR_DTYPE,
			                  "For primitive[PReLU], the input argument[%s] must be a type of "
			                  "{Tensor[Float16], Tensor[Float32]}, but got Tensor[%s].",
			                  names[k], ms_name(t[k]->dtype));
	if (w->ndim > 1)
		return lrelu_fail(LRELU_ERR_SHAPE,
		                  "The dimension of 'weight' must be less than or equal to 1");
	if (w->dtype != x->dtype)
		return lrelu_fail(LRELU_ERR_DTYPE,
		                  "For 'PReLU', it does not support this kernel data type: x %s with "
		                  "weight %s (the CPU kernel takes one dtype for both; nn.PReLU casts "
		                  "its weight to x's dtype)",
		                  ms_name(x->dtype), ms_name(w->dtype));
	if (w->ndim != 1)
		return lrelu_fail(LRELU_ERR_SHAPE, "The dimension of 'weight' must be 1");
	if (nw != 1 && nw != csize)
		return lrelu_fail(LRELU_ERR_SHAPE,
		                  "For 'Prelu', the length of 'weight' must be equal to number of "
		                  "channels: %lld, but got [%lld].",
		                  (long long)csize, (long long)nw);
	if (x->ndim >= 2 && x->shape[0] * x->shape[1] == 0)
		return lrelu_fail(LRELU_ERR_SHAPE,
		                  "The input shape cannot be 0. (MindSpore's CPU PReLU kernel "
		                  "refuses x.shape[0] * x.shape[1] == 0: \"The The input shape cannot "
		                  "be 0. is zero.\")");
	return LRELU_OK;
}

/* x and weight checked as fw checks them; *channels: how many slopes are used (1: one
 * for all elements). */
static lrelu_status check_prelu(lrelu_framework fw, const lrelu_tensor *x, const lrelu_tensor *w,
                                int64_t *numel, int64_t *channels)
{
	int64_t nw;
	lrelu_status st;
	if ((st = prelu_framework(fw)) != LRELU_OK || (st = check_operand(x, "x", numel)) != LRELU_OK ||
	    (st = check_operand(w, "weight", &nw)) != LRELU_OK)
		return st;
	st = fw == LRELU_MINDSPORE ? check_mindspore(x, w, nw) : check_torch(x, w, nw);
	*channels = nw;
	return st;
}

/* Another operand of x's dtype and shape (y, grad_output, grad_input). */
static lrelu_status check_like_x(const lrelu_tensor *t, const char *name, const lrelu_tensor *x)
{
	int64_t m;
	lrelu_status st = check_operand(t, name, &m);
	return st != LRELU_OK ? st : lrelu_fam_same(x, "x", t, name);
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
		ok = ok && lrelu_fam_dense_in(ops[i], perm);
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
			ok = ok && lrelu_fam_dense_in(ops[i], perm);
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

static void prelu_run(struct prelu_job *j, lrelu_dtype dt, size_t units)
{
	size_t bytes = j->unit * j->inner * j->es * (j->fwd != NULL ? 2 : 3) * lrelu_par_weight(dt);
	lrelu_parallel_for(units, lrelu_par_rows_align(j->unit * j->inner * j->es), bytes, prelu_rows,
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
	j.p.nt = x->data != y->data && lrelu_nt_wanted(units * j.unit * j.inner * j.es);
	j.fwd = lrelu_active_kernels()->pfwd[kt][rule];
	if (j.fwd == NULL)
		j.fwd = lrelu_kernels_scalar.pfwd[kt][rule];
	prelu_run(&j, x->dtype, units);
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
	prelu_run(&j, x->dtype, units);
	return 1;
}

/* PyTorch's weight as the kernels take it: contiguous (a 1-D weight of stride 1, or one
 * value); NULL where it is strided, which the per-channel calls handle. */
static const void *dense_weight(const lrelu_tensor *w, int64_t nw)
{
	return nw > 1 && w->ndim == 1 && lrelu_fam_stride(w, 0) != 1 ? NULL : w->data;
}

/*
 * MindSpore 2.8's CPU kernels, read from source (docs/semantics.md):
 * PReluCpuKernelMod: y = x < 0 ? w * x : x, so -0.0 and NaN pass unchanged;
 * PReLUGradCpuKernelMod: dx = x <= 0 ? w * dy : dy (x = +-0 takes the weight, a NaN x
 * passes dy), and for x < 0 alone dw[c] += (float)(x * dy), a float accumulator fed in
 * the elements' flat order, rounded to the dtype at the end (0 when nothing is added).
 * Products are in the dtype: a float16 one is the float product (exact) rounded once by
 * MindSpore's Float16, which writes any NaN as sign | 0x7E00.  The forward is ONNX's
 * LeakyReLU rule at the slope w[c] (x < 0, float slope cast to the dtype), so each
 * channel is an lrelu_forward(LRELU_ONNX) call but for a float16 NaN weight, whose
 * product the LeakyReLU kernels round keeping the payload.
 */
static float ms_load(const lrelu_tensor *t, int64_t off)
{
	if (t->dtype == LRELU_FLOAT16)
		return lrelu_h2f(((const uint16_t *)t->data)[off]);
	return ((const float *)t->data)[off];
}

static float ms_mul(lrelu_dtype dt, float a, float b)
{
	float p = a * b;
	return dt == LRELU_FLOAT16 ? lrelu_h2f(f2h_nan_canon(p)) : p;
}

/* t[off] = v, or the bits of src[soff] unchanged (v's value, NaN payload kept). */
static void ms_store(const lrelu_tensor *t, int64_t off, float v, const lrelu_tensor *src,
                     int64_t soff)
{
	if (t->dtype == LRELU_FLOAT32)
		((float *)t->data)[off] = v;
	else
		((uint16_t *)t->data)[off] =
			src != NULL ? ((const uint16_t *)src->data)[soff] : f2h_nan_canon(v);
}

static void ms_forward_scalar(const lrelu_tensor *x, const lrelu_tensor *y, float w)
{
	const lrelu_tensor *ops[2] = { x, y };
	struct lrelu_fam_iter it;
	int64_t n = 1;
	lrelu_fpenv env;
	for (int d = 0; d < x->ndim; d++)
		n *= x->shape[d];
	lrelu_fam_iter_init(&it, 2, ops);
	lrelu_fpenv_enter(&env);
	for (int64_t i = 0; i < n; i++) {
		float v = ms_load(x, it.off[0]);
		if (v < 0)
			ms_store(y, it.off[1], ms_mul(x->dtype, w, v), NULL, 0);
		else
			ms_store(y, it.off[1], v, x, it.off[0]);
		lrelu_fam_iter_next(&it);
	}
	lrelu_fpenv_leave(&env);
}

/* One channel's (or the whole tensor's) backward: dx if wanted, and the float
 * accumulator of the weight gradient. */
static float ms_backward_channel(const lrelu_tensor *g, const lrelu_tensor *x,
                                 const lrelu_tensor *dx, float w)
{
	const lrelu_tensor *ops[3] = { x, g, dx };
	struct lrelu_fam_iter it;
	float acc = 0.0f;
	int64_t n = 1;
	for (int d = 0; d < x->ndim; d++)
		n *= x->shape[d];
	lrelu_fam_iter_init(&it, dx != NULL ? 3 : 2, ops);
	for (int64_t i = 0; i < n; i++) {
		float xv = ms_load(x, it.off[0]), gv = ms_load(g, it.off[1]);
		if (xv < 0)
			acc += ms_mul(x->dtype, xv, gv);
		if (dx != NULL) {
			if (xv <= 0)
				ms_store(dx, it.off[2], ms_mul(x->dtype, w, gv), NULL, 0);
			else
				ms_store(dx, it.off[2], gv, g, it.off[1]);
		}
		lrelu_fam_iter_next(&it);
	}
	return acc;
}

static lrelu_status ms_forward(const lrelu_tensor *x, const lrelu_tensor *w, const lrelu_tensor *y,
                               int64_t nc)
{
	struct chan_view vx, vy;
	chan_init(&vx, x);
	chan_init(&vy, y);
	for (int64_t c = 0; c < nc; c++) {
		const lrelu_tensor *xc = nc == 1 ? x : chan_at(&vx, x, c);
		const lrelu_tensor *yc = nc == 1 ? y : chan_at(&vy, y, c);
		double wc = weight_raw(w, c);
		lrelu_status st;
		if (x->dtype == LRELU_FLOAT16 && isnan(wc)) {
			ms_forward_scalar(xc, yc, lrelu_d2f(wc));
			continue;
		}
		if ((st = lrelu_forward(LRELU_ONNX, wc, xc, yc)) != LRELU_OK)
			return st;
	}
	return LRELU_OK;
}

static void ms_backward(const lrelu_tensor *g, const lrelu_tensor *x, const lrelu_tensor *w,
                        const lrelu_tensor *dx, const lrelu_tensor *dw, int64_t nc)
{
	struct chan_view vg, vx, vd;
	lrelu_fpenv env;
	chan_init(&vg, g);
	chan_init(&vx, x);
	if (dx != NULL)
		chan_init(&vd, dx);
	lrelu_fpenv_enter(&env);
	for (int64_t c = 0; c < nc; c++) {
		float acc = ms_backward_channel(nc == 1 ? g : chan_at(&vg, g, c), nc == 1 ? x : chan_at(&vx, x, c),
		                                dx == NULL ? NULL : nc == 1 ? dx : chan_at(&vd, dx, c),
		                                lrelu_d2f(weight_raw(w, c)));
		if (dw != NULL)
			ms_store(dw, c * lrelu_fam_stride(dw, 0), acc, NULL, 0);
	}
	lrelu_fpenv_leave(&env);
}

lrelu_status lrelu_prelu_forward(lrelu_framework fw, const lrelu_tensor *x,
                                 const lrelu_tensor *weight, const lrelu_tensor *y)
{
	struct chan_view vx, vy;
	int64_t n = 0, nc = 0;
	lrelu_status st;
	if ((st = check_prelu(fw, x, weight, &n, &nc)) != LRELU_OK ||
	    (st = check_like_x(y, "y", x)) != LRELU_OK ||
	    (st = lrelu_fam_overlap(y, "y", x, 1)) != LRELU_OK)
		return st;
	if (fw == LRELU_MINDSPORE)
		return ms_forward(x, weight, y, nc);
	if (nc == 1)
		return lrelu_forward(LRELU_TORCH, weight_at(x, weight, 0), x, y);
	if (weight->dtype == x->dtype && dense_weight(weight, nc) != NULL &&
	    lrelu_prelu_dense_forward(RULE_GT, x, dense_weight(weight, nc), nc, y))
		return LRELU_OK;
	chan_init(&vx, x);
	chan_init(&vy, y);
	for (int64_t c = 0; c < nc; c++) {
		st = lrelu_forward(LRELU_TORCH, weight_at(x, weight, c), chan_at(&vx, x, c), chan_at(&vy, y, c));
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

/* The sum rounded once to x's dtype, then stored in the weight's: autograd casts the
 * bfloat16 gradient of a mixed-dtype PReLU to the weight's dtype (to float16 by
 * c10::Half's conversion). */
static void store_weight(const lrelu_tensor *w, lrelu_dtype xdt, int64_t c, double v)
{
	int64_t s = w->ndim == 1 && w->strides != NULL ? w->strides[0] : 1;
	if (xdt == LRELU_BFLOAT16)
		v = lrelu_f2d(lrelu_bf2f(d2bf_once(v)));
	switch (w->dtype) {
	case LRELU_FLOAT32:
		((float *)w->data)[c * s] = lrelu_d2f(v);
		break;
	case LRELU_FLOAT64:
		((double *)w->data)[c * s] = v;
		break;
	case LRELU_FLOAT16:
		((uint16_t *)w->data)[c * s] = f2h_nan_canon(lrelu_d2f(v));
		break;
	default:
		((uint16_t *)w->data)[c * s] = lrelu_f2bf(lrelu_d2f(v));
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
	if ((st = check_prelu(fw, x, weight, &n, &nc)) != LRELU_OK ||
	    (st = check_like_x(grad_output, "grad_output", x)) != LRELU_OK)
		return st;
	if (grad_input != NULL &&
	    ((st = check_like_x(grad_input, "grad_input", x)) != LRELU_OK ||
	     (st = lrelu_fam_overlap(grad_input, "grad_input", x, 1)) != LRELU_OK ||
	     (st = lrelu_fam_overlap(grad_input, "grad_input", grad_output, 1)) != LRELU_OK))
		return st;
	if (grad_weight != NULL) {
		if ((st = check_operand(grad_weight, "grad_weight", &m)) != LRELU_OK ||
		    (st = lrelu_fam_same(weight, "weight", grad_weight, "grad_weight")) != LRELU_OK ||
		    (st = lrelu_fam_overlap(grad_weight, "grad_weight", weight, 0)) != LRELU_OK ||
		    (st = lrelu_fam_overlap(grad_weight, "grad_weight", x, 0)) != LRELU_OK ||
		    (st = lrelu_fam_overlap(grad_weight, "grad_weight", grad_output, 0)) != LRELU_OK)
			return st;
		if (grad_input != NULL &&
		    (st = lrelu_fam_overlap(grad_weight, "grad_weight", grad_input, 0)) != LRELU_OK)
			return st;
	}
	if (fw == LRELU_MINDSPORE) {
		ms_backward(grad_output, x, weight, grad_input, grad_weight, nc);
		return LRELU_OK;
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
			store_weight(grad_weight, x->dtype, c, sum);
		}
		lrelu_fpenv_leave(&env);
	}
	if (grad_input == NULL)
		return LRELU_OK;
	if (nc == 1)
		return lrelu_backward(LRELU_TORCH, weight_at(x, weight, 0), grad_output, x, false, grad_input);
	if (weight->dtype == x->dtype && dense_weight(weight, nc) != NULL &&
	    lrelu_prelu_dense_backward(BRULE_GT, grad_output, x, dense_weight(weight, nc), nc,
	                               grad_input))
		return LRELU_OK;
	chan_init(&vg, grad_output);
	chan_init(&vx, x);
	chan_init(&vd, grad_input);
	for (int64_t c = 0; c < nc; c++) {
		st = lrelu_backward(LRELU_TORCH, weight_at(x, weight, c), chan_at(&vg, grad_output, c),
		                    chan_at(&vx, x, c), false, chan_at(&vd, grad_input, c));
		if (st != LRELU_OK)
			return st;
	}
	return LRELU_OK;
}

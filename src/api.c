/* api.c - public entry points: flat buffers, tensors, version, dtype sizes, conversions */
#include <stdint.h>

#include "fp16.h"
#include "fpenv.h"
#include "internal.h"

const char *lrelu_version(void)
{
	return LRELU_VERSION_STRING;
}

size_t lrelu_dtype_size(lrelu_dtype dt)
{
	return lrelu_esize(dt);
}

float lrelu_bf16_to_f32(uint16_t bits)
{
	return lrelu_bf2f(bits);
}

uint16_t lrelu_f32_to_bf16(float value)
{
	return lrelu_f2bf(value);
}

float lrelu_f16_to_f32(uint16_t bits)
{
	return lrelu_h2f(bits);
}

uint16_t lrelu_f32_to_f16(float value)
{
	return lrelu_f2h(value);
}

static int kt_of(lrelu_dtype dt)
{
	switch (dt) {
	case LRELU_FLOAT64:
		return KT_F64;
	case LRELU_BFLOAT16:
		return KT_BF16;
	case LRELU_FLOAT16:
		return KT_F16;
	default:
		return KT_F32;
	}
}

/* ---- flat buffers ---------------------------------------------------------------- */

/* Everything but the small forward calls that fwdx finishes: the dense runner.
 * Arguments already checked; out of line, so that a small call does not pay for it. */
static LRELU_NOINLINE lrelu_status flat_run(lrelu_dtype dt, const void *a, const void *g,
                                            void *y, size_t n, size_t done,
                                            const struct lrelu_kparams *prm)
{
	const struct lrelu_kernels *k = lrelu_active_kernels();
	struct lrelu_walk w = { 0 };
	char *ptr[3];
	w.nops = g != NULL ? 3 : 2;
	if (g != NULL)
		w.bwd = k->bwd[kt_of(dt)][BRULE_GT];
	else
		w.fwd = w.fwd_tail = k->fwd[kt_of(dt)][RULE_GT];
	w.params = prm;
	ptr[0] = y;
	ptr[1] = (char *)(uintptr_t)a;
	ptr[2] = (char *)(uintptr_t)g;
	return lrelu_run_dense(&w, dt, ptr, n, done);
}

/*
 * Inlined into each entry point, so that dt is a constant: a 64-element call is
 * checks, one fwdx kernel and a return (the rest lives in flat_run).  The slope
 * arrives as the float (s32) or double (s64) the caller passed: converting one into
 * the other would already obey the caller's DAZ/FTZ, outside any guard.
 */
static LRELU_ALWAYS_INLINE lrelu_status flat(lrelu_dtype dt, const void *a, const void *g,
                                             void *y, size_t n, float s32, double s64)
{
	size_t es = lrelu_esize(dt), done = 0;
	int backward = g != NULL;
	struct lrelu_kparams prm;

	if (n == 0)
		return LRELU_OK;
	if (a == NULL || y == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "%s is NULL with n = %zu",
		                  a == NULL ? (backward ? "a" : "x") : (backward ? "dx" : "y"), n);
	if (n > SIZE_MAX / es / 4)
		return lrelu_fail(LRELU_ERR_SHAPE, "n = %zu elements overflows the address range", n);
	if (lrelu_partial_overlap(a, y, n * es) || (backward && lrelu_partial_overlap(g, y, n * es)))
		return lrelu_fail(LRELU_ERR_OVERLAP, LRELU_MSG_PARTIAL_OVERLAP);

	lrelu_torch_flat_params(s32, s64, &prm);
	if (!backward && (dt == LRELU_FLOAT32 || dt == LRELU_FLOAT64)) {
		done = lrelu_fwdx_try(lrelu_active_kernels()->fwdx[kt_of(dt)][RULE_GT], n, es, a, y,
		                      &prm);
		if (done == n)
			return LRELU_OK;
	}
	return flat_run(dt, a, g, y, n, done, &prm);
}

lrelu_status lrelu_f32(const float *x, float *y, size_t n, float s)
{
	return flat(LRELU_FLOAT32, x, NULL, y, n, s, 0.0);
}

lrelu_status lrelu_f64(const double *x, double *y, size_t n, double s)
{
	return flat(LRELU_FLOAT64, x, NULL, y, n, 0.0f, s);
}

lrelu_status lrelu_bf16(const uint16_t *x, uint16_t *y, size_t n, float s)
{
	return flat(LRELU_BFLOAT16, x, NULL, y, n, s, 0.0);
}

lrelu_status lrelu_f16(const uint16_t *x, uint16_t *y, size_t n, float s)
{
	return flat(LRELU_FLOAT16, x, NULL, y, n, s, 0.0);
}

/* Backward: the kernels take (a, g); dy plays g. */
lrelu_status lrelu_f32_backward(const float *dy, const float *a, float *dx, size_t n, float s)
{
	if (n != 0 && dy == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "dy is NULL with n = %zu", n);
	return flat(LRELU_FLOAT32, a, dy, dx, n, s, 0.0);
}

lrelu_status lrelu_f64_backward(const double *dy, const double *a, double *dx, size_t n, double s)
{
	if (n != 0 && dy == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "dy is NULL with n = %zu", n);
	return flat(LRELU_FLOAT64, a, dy, dx, n, 0.0f, s);
}

lrelu_status lrelu_bf16_backward(const uint16_t *dy, const uint16_t *a, uint16_t *dx, size_t n,
                                 float s)
{
	if (n != 0 && dy == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "dy is NULL with n = %zu", n);
	return flat(LRELU_BFLOAT16, a, dy, dx, n, s, 0.0);
}

lrelu_status lrelu_f16_backward(const uint16_t *dy, const uint16_t *a, uint16_t *dx, size_t n,
                                float s)
{
	if (n != 0 && dy == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "dy is NULL with n = %zu", n);
	return flat(LRELU_FLOAT16, a, dy, dx, n, s, 0.0);
}

/* ---- tensors ---------------------------------------------------------------------- */

static const char *const fwd_names[] = { "y", "x" };
/* In place (y NULL or x itself): both operands are the caller's x. */
static const char *const fwd_inplace_names[] = { "x", "x" };
static const char *const bwd_names[] = { "grad_input", "saved", "grad_output" };

lrelu_status lrelu_forward(lrelu_framework fw, double slope, const lrelu_tensor *x,
                           const lrelu_tensor *y)
{
	struct lrelu_kparams prm;
	struct lrelu_walk w = { 0 };
	const lrelu_tensor *ops[2];
	enum lrelu_rule rule;
	const struct lrelu_kernels *k;
	lrelu_status st;

	if (x == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "input tensor x is NULL");
	if (y == NULL)
		y = x;
	k = lrelu_active_kernels();
	if (x->dtype == LRELU_QINT8 || x->dtype == LRELU_QUINT8) {
		const struct lrelu_q8kernel *q8;
		st = lrelu_prepare_quant(fw, slope, x, y, k, &prm, &q8);
		if (st != LRELU_OK)
			return st;
		w.fwd = q8->body;
		w.fwd_tail = q8->tail;
		w.body_block = 64; /* 2 x Vectorized<quint8>::size() in PyTorch's AVX2 build */
	} else {
		st = lrelu_prepare_forward(fw, slope, x->dtype, &prm, &rule);
		if (st != LRELU_OK)
			return st;
		w.fwd = w.fwd_tail = k->fwd[kt_of(x->dtype)][rule];
		if (x->dtype == LRELU_FLOAT32 || x->dtype == LRELU_FLOAT64)
			w.fwdx = k->fwdx[kt_of(x->dtype)][rule];
	}
	w.nops = 2;
	w.names = y == x ? fwd_inplace_names : fwd_names;
	w.params = &prm;
	ops[0] = y;
	ops[1] = x;
	return lrelu_run_elementwise(&w, ops);
}

lrelu_status lrelu_backward(lrelu_framework fw, double slope, const lrelu_tensor *grad_output,
                            const lrelu_tensor *saved, bool self_is_result,
                            const lrelu_tensor *grad_input)
{
	struct lrelu_kparams prm;
	struct lrelu_walk w = { 0 };
	const lrelu_tensor *ops[3];
	enum lrelu_brule rule;
	lrelu_status st;

	if (grad_output == NULL || saved == NULL || grad_input == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "%s tensor is NULL",
		                  grad_output == NULL ? "grad_output" : saved == NULL ? "saved" : "grad_input");
	st = lrelu_prepare_backward(fw, slope, saved->dtype, self_is_result, &prm, &rule);
	if (st != LRELU_OK)
		return st;
	w.nops = 3;
	w.names = bwd_names;
	w.bwd = lrelu_active_kernels()->bwd[kt_of(saved->dtype)][rule];
	w.params = &prm;
	ops[0] = grad_input;
	ops[1] = saved;
	ops[2] = grad_output;
	return lrelu_run_elementwise(&w, ops);
}

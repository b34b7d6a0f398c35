/* family.c - operand checks and the strided walk shared by RReLU and PReLU */
#include <string.h>

#include "family.h"

static const char *torch_dtype_name(lrelu_dtype dt)
{
	switch (dt) {
	case LRELU_FLOAT16:
		return "Half";
	case LRELU_QINT8:
		return "QInt8";
	case LRELU_QUINT8:
		return "QUInt8";
	default:
		return "?";
	}
}

lrelu_status lrelu_fam_check(const lrelu_tensor *t, const char *name, const char *op,
                             int64_t *numel)
{
	if (t == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "%s is NULL", name);
	if (t->dtype != LRELU_FLOAT32 && t->dtype != LRELU_FLOAT64 && t->dtype != LRELU_BFLOAT16) {
		if (lrelu_esize(t->dtype) == 0)
			return lrelu_fail(LRELU_ERR_DTYPE, "%s: unknown dtype %d", name, (int)t->dtype);
		return lrelu_fail(LRELU_ERR_DTYPE, "\"%s\" not implemented for '%s'", op,
		                  torch_dtype_name(t->dtype));
	}
	return lrelu_check_tensor(t, name, lrelu_esize(t->dtype), numel);
}

lrelu_status lrelu_fam_same(const lrelu_tensor *a, const char *an, const lrelu_tensor *b,
                            const char *bn)
{
	int same = a->ndim == b->ndim;
	if (b->dtype != a->dtype)
		return lrelu_fail(LRELU_ERR_DTYPE, "Found dtype %s for %s but expected %s (the dtype of %s)",
		                  lrelu_dtype_name(b->dtype), bn, lrelu_dtype_name(a->dtype), an);
	for (int d = 0; same && d < a->ndim; d++)
		same = a->shape[d] == b->shape[d];
	if (!same)
		return lrelu_fail(LRELU_ERR_SHAPE, "%s and %s have different shapes", bn, an);
	return LRELU_OK;
}

int64_t lrelu_fam_stride(const lrelu_tensor *t, int d)
{
	if (t->strides != NULL)
		return t->strides[d];
	int64_t s = 1;
	for (int e = d + 1; e < t->ndim; e++)
		s *= t->shape[e];
	return s;
}

int lrelu_fam_dense_in(const lrelu_tensor *t, const int *perm)
{
	int64_t want = 1;
	for (int k = t->ndim - 1; k >= 0; k--) {
		int d = perm != NULL ? perm[k] : k;
		if (t->shape[d] != 1 && lrelu_fam_stride(t, d) != want)
			return 0;
		want *= t->shape[d];
	}
	return 1;
}

/* The bytes [lo, hi) the tensor's elements span; lo == hi when it has none. */
static void span(const lrelu_tensor *t, uintptr_t *lo, uintptr_t *hi)
{
	int64_t neg = 0, pos = 0, es = (int64_t)lrelu_esize(t->dtype);
	for (int d = 0; d < t->ndim; d++) {
		if (t->shape[d] == 0) {
			*lo = *hi = (uintptr_t)t->data;
			return;
		}
		int64_t s = lrelu_fam_stride(t, d) * (t->shape[d] - 1);
		if (s < 0)
			neg += s;
		else
			pos += s;
	}
	*lo = (uintptr_t)t->data + (uintptr_t)(neg * es);
	*hi = (uintptr_t)t->data + (uintptr_t)((pos + 1) * es);
}

int lrelu_fam_same_elements(const lrelu_tensor *a, const lrelu_tensor *b)
{
	if (a->data != b->data || a->ndim != b->ndim)
		return 0;
	for (int d = 0; d < a->ndim; d++)
		if (a->shape[d] != b->shape[d] || (a->shape[d] > 1 && lrelu_fam_stride(a, d) != lrelu_fam_stride(b, d)))
			return 0;
	return 1;
}

lrelu_status lrelu_fam_overlap(const lrelu_tensor *w, const char *wn, const lrelu_tensor *r,
                               int same_ok)
{
	uintptr_t wl, wh, rl, rh;
	int64_t n = 1;
	for (int d = 0; d < w->ndim; d++)
		n *= w->shape[d];
	for (int d = 0; n > 1 && d < w->ndim; d++)
		if (w->shape[d] > 1 && lrelu_fam_stride(w, d) == 0)
			return lrelu_fail(LRELU_ERR_OVERLAP, "%s: " LRELU_MSG_SELF_OVERLAP, wn);
	if (n == 0)
		return LRELU_OK;
	if (same_ok && lrelu_fam_same_elements(w, r))
		return LRELU_OK;
	span(w, &wl, &wh);
	span(r, &rl, &rh);
	if (wl < rh && rl < wh)
		return lrelu_fail(LRELU_ERR_OVERLAP, "%s: " LRELU_MSG_PARTIAL_OVERLAP, wn);
	return LRELU_OK;
}

void lrelu_fam_iter_init(struct lrelu_fam_iter *it, int nops, const lrelu_tensor *const *ops)
{
	memset(it, 0, sizeof *it);
	it->ndim = ops[0]->ndim;
	it->nops = nops;
	for (int d = 0; d < it->ndim; d++) {
		it->shape[d] = ops[0]->shape[d];
		for (int k = 0; k < nops; k++)
			it->stride[k][d] = lrelu_fam_stride(ops[k], d);
	}
}

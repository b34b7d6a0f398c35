/* family.h - what RReLU and PReLU (rrelu.c, prelu.c) share: operand checks and a strided walk */
#ifndef LRELU_FAMILY_H
#define LRELU_FAMILY_H

#include "internal.h"

/* The checks every operand gets: ndim, shape, a float dtype PyTorch 1.13 runs these
 * ops on (float16 refused with PyTorch's message naming `op`), sizes that fit.  *numel
 * receives the element count. */
LRELU_HIDDEN lrelu_status lrelu_fam_check(const lrelu_tensor *t, const char *name, const char *op,
                                          int64_t *numel);
/* b has a's dtype and shape (messages name both). */
LRELU_HIDDEN lrelu_status lrelu_fam_same(const lrelu_tensor *a, const char *an,
                                         const lrelu_tensor *b, const char *bn);
/* A written operand w against a read one r: the same elements (same data and strides;
 * allowed only if same_ok) or byte ranges apart; anything else is LRELU_ERR_OVERLAP.
 * A written operand that repeats an element (a zero stride over more than one) too. */
LRELU_HIDDEN lrelu_status lrelu_fam_overlap(const lrelu_tensor *w, const char *wn,
                                            const lrelu_tensor *r, int same_ok);
LRELU_HIDDEN int lrelu_fam_same_elements(const lrelu_tensor *a, const lrelu_tensor *b);
/* The stride of dimension d in elements (C-contiguous ones where strides is NULL). */
LRELU_HIDDEN int64_t lrelu_fam_stride(const lrelu_tensor *t, int d);
/* Whether t's elements are contiguous when its dimensions are walked in the order
 * perm[0], ..., perm[ndim - 1] (last fastest); perm NULL: C order. */
LRELU_HIDDEN int lrelu_fam_dense_in(const lrelu_tensor *t, const int *perm);

/* Logical (C) order over up to three operands of one shape: off[k] is the element
 * offset of operand k at the current index. */
struct lrelu_fam_iter {
	int ndim, nops;
	int64_t shape[LRELU_MAX_DIMS], idx[LRELU_MAX_DIMS];
	int64_t stride[3][LRELU_MAX_DIMS];
	int64_t off[3];
};
LRELU_HIDDEN void lrelu_fam_iter_init(struct lrelu_fam_iter *it, int nops,
                                      const lrelu_tensor *const *ops);
/* Moves to the next element in C order (call numel - 1 times). */
static inline void lrelu_fam_iter_next(struct lrelu_fam_iter *it)
{
	for (int d = it->ndim - 1; d >= 0; d--) {
		if (++it->idx[d] < it->shape[d]) {
			for (int k = 0; k < it->nops; k++)
				it->off[k] += it->stride[k][d];
			return;
		}
		it->idx[d] = 0;
		for (int k = 0; k < it->nops; k++)
			it->off[k] -= it->stride[k][d] * (it->shape[d] - 1);
	}
}

/*
 * PReLU through the ISA's per-channel kernels (prelu.c; internal.h, lrelu_pfwd_fn), for
 * any framework's checks in front: the operands (x and y; x, g and dx) all dense in
 * channels-first or all in channels-last order, channel dimension 1, rank 2 or more,
 * else 0 is returned and nothing is done (the caller walks them itself).  w: nw
 * contiguous slopes in x's dtype, nw == 1 (one for every channel) or x's channel
 * count; rule: the LeakyReLU rule the framework's PReLU applies per element.  Threads
 * and the floating-point environment as lrelu_forward.  1: done.  The caller has
 * checked dtypes, shapes and overlaps.
 */
LRELU_HIDDEN int lrelu_prelu_dense_forward(enum lrelu_rule rule, const lrelu_tensor *x,
                                           const void *w, int64_t nw, const lrelu_tensor *y);
LRELU_HIDDEN int lrelu_prelu_dense_backward(enum lrelu_brule brule, const lrelu_tensor *g,
                                            const lrelu_tensor *x, const void *w, int64_t nw,
                                            const lrelu_tensor *dx);

#endif /* LRELU_FAMILY_H */

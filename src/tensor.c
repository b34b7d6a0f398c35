/* tensor.c - shape and stride checks, overlap checks, collapse to contiguous runs, the walk */
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "fpenv.h"
#include "internal.h"

/*
 * The walk never decides a bit of any result: it only moves elements between strided
 * memory and the kernels.  Contiguous runs go straight to the kernel; runs with any
 * other inner stride are gathered into a small buffer, computed, and scattered, so the
 * same kernel (and so the same bits) serves every layout.
 */

#ifdef LRELU_TEST_SUPPORT
size_t lrelu_nt_bytes; /* internal.h: 0, the rule */
_Atomic uint64_t lrelu_nt_calls;
#endif

size_t lrelu_nt_rule(size_t llc)
{
	size_t t = llc / LRELU_NT_LLC_DIV;
	return t > LRELU_NT_BYTES ? t : LRELU_NT_BYTES;
}

/* The floor is compared first: calls below it never ask for the cache's size. */
int lrelu_nt_wanted(size_t bytes)
{
	int nt;
#ifdef LRELU_TEST_SUPPORT
	if (lrelu_nt_bytes != 0)
		nt = bytes >= lrelu_nt_bytes;
	else
#endif
		nt = bytes >= LRELU_NT_BYTES && bytes >= lrelu_nt_rule(lrelu_cpu_llc_bytes());
#ifdef LRELU_TEST_SUPPORT
	if (nt)
		atomic_fetch_add(&lrelu_nt_calls, 1);
#endif
	return nt;
}

#define MAXOPS 3
#define GATHER 256 /* elements per gathered block: 3 x 256 x 8 bytes on the stack */

struct plan {
	int nops;
	int ndim;                      /* >= 1 after collapsing */
	size_t esize;
	int64_t shape[LRELU_MAX_DIMS]; /* outermost first */
	int64_t st[MAXOPS][LRELU_MAX_DIMS]; /* byte strides */
	char *base[MAXOPS];
	int inner_contig;              /* every operand has inner byte stride == esize */
	const struct lrelu_walk *w;
};

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

/* ---- validation ------------------------------------------------------------------ */

lrelu_status lrelu_check_tensor(const lrelu_tensor *t, const char *name, size_t esize,
                                int64_t *numel)
{
	int64_t n = 1;
	int zero = 0;
	if (t->ndim < 0 || t->ndim > LRELU_MAX_DIMS)
		return lrelu_fail(LRELU_ERR_ARG, "%s: ndim %d is outside 0..%d", name, t->ndim,
		                  LRELU_MAX_DIMS);
	if (t->ndim > 0 && t->shape == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "%s: shape is NULL with ndim %d", name, t->ndim);
	for (int d = 0; d < t->ndim; d++) {
		if (t->shape[d] < 0)
			return lrelu_fail(LRELU_ERR_ARG, "%s: dimension %d is negative (%lld)", name, d,
			                  (long long)t->shape[d]);
		if (t->shape[d] == 0)
			zero = 1;
	}
	for (int d = 0; d < t->ndim && !zero; d++) {
		int64_t bytes;
		if (__builtin_mul_overflow(n, t->shape[d], &n) ||
		    __builtin_mul_overflow(n, (int64_t)esize, &bytes))
			return lrelu_fail(LRELU_ERR_SHAPE,
			                  "%s: the number of elements overflows (dimension %d = %lld)",
			                  name, d, (long long)t->shape[d]);
	}
	if (zero)
		n = 0;
	if (n > 0 && t->data == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "%s: data is NULL for %lld elements", name,
		                  (long long)n);
	if (t->strides != NULL && n > 0) {
		/* Every byte offset must fit: |stride| * (size - 1) * esize, summed. */
		int64_t span = 0, s;
		for (int d = 0; d < t->ndim; d++) {
			if (t->strides[d] == INT64_MIN ||
			    __builtin_mul_overflow(abs64(t->strides[d]), t->shape[d] - 1, &s) ||
			    __builtin_mul_overflow(s, (int64_t)esize, &s) ||
			    __builtin_add_overflow(span, s, &span))
				return lrelu_fail(LRELU_ERR_SHAPE,
				                  "%s: stride %lld of dimension %d overflows the address range",
				                  name, (long long)t->strides[d], d);
		}
	}
	*numel = n;
	return LRELU_OK;
}

static int64_t stride_of(const lrelu_tensor *t, int d)
{
	int64_t s = 1;
	if (t->strides != NULL)
		return t->strides[d];
	for (int k = t->ndim - 1; k > d; k--)
		s *= t->shape[k];
	return s;
}

/* Byte range [lo, hi) that t's elements occupy. */
static void byte_range(const lrelu_tensor *t, size_t esize, uintptr_t *lo, uintptr_t *hi)
{
	int64_t neg = 0, pos = 0;
	for (int d = 0; d < t->ndim; d++) {
		int64_t s = stride_of(t, d) * (t->shape[d] - 1);
		if (s < 0)
			neg += s;
		else
			pos += s;
	}
	*lo = (uintptr_t)t->data + (uintptr_t)(neg * (int64_t)esize);
	*hi = (uintptr_t)t->data + (uintptr_t)(pos * (int64_t)esize) + esize;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/*
 * Does the written tensor reach any element twice?  Sorting the dimensions by |stride|
 * and checking that each stride clears the extent of the smaller ones proves "no" for
 * every ordinary layout (contiguous, transposed, sliced, flipped).  A zero stride over
 * more than one element is "yes" (PyTorch's case).  Anything else is decided exactly by
 * listing the offsets, up to a size past which we refuse rather than guess.
 */
#define EXACT_SELF_OVERLAP_LIMIT (1 << 22)
static lrelu_status check_self_overlap(const lrelu_tensor *t, const char *name, int64_t numel)
{
	int64_t st[LRELU_MAX_DIMS], sz[LRELU_MAX_DIMS], extent = 1;
	int nd = 0, ok = 1;
	for (int d = 0; d < t->ndim; d++) {
		if (t->shape[d] <= 1)
			continue;
		if (stride_of(t, d) == 0)
			return lrelu_fail(LRELU_ERR_OVERLAP, "%s: " LRELU_MSG_SELF_OVERLAP, name);
		/* insertion by |stride| */
		int k = nd++;
		while (k > 0 && st[k - 1] > abs64(stride_of(t, d))) {
			st[k] = st[k - 1];
			sz[k] = sz[k - 1];
			k--;
		}
		st[k] = abs64(stride_of(t, d));
		sz[k] = t->shape[d];
	}
	for (int k = 0; k < nd && ok; k++) {
		if (st[k] < extent)
			ok = 0;
		extent += st[k] * (sz[k] - 1);
	}
	if (ok)
		return LRELU_OK;
	if (numel > EXACT_SELF_OVERLAP_LIMIT)
		return lrelu_fail(LRELU_ERR_OVERLAP,
		                  "%s: strides too irregular to prove that no two elements share "
		                  "memory (%lld elements); copy it to a regular layout first",
		                  name, (long long)numel);
	int64_t *off = malloc((size_t)numel * sizeof *off);
	int64_t idx[LRELU_MAX_DIMS] = { 0 };
	if (off == NULL)
		return lrelu_fail(LRELU_ERR_NOMEM, "%s: no memory to check the layout for overlap", name);
	for (int64_t i = 0; i < numel; i++) {
		int64_t o = 0;
		for (int d = 0; d < t->ndim; d++)
			o += idx[d] * stride_of(t, d);
		off[i] = o;
		for (int d = t->ndim - 1; d >= 0; d--) {
			if (++idx[d] < t->shape[d])
				break;
			idx[d] = 0;
		}
	}
	qsort(off, (size_t)numel, sizeof *off, cmp_i64);
	for (int64_t i = 1; i < numel && ok == 0; i++)
		if (off[i] == off[i - 1])
			ok = -1;
	free(off);
	if (ok == -1)
		return lrelu_fail(LRELU_ERR_OVERLAP, "%s: " LRELU_MSG_SELF_OVERLAP, name);
	return LRELU_OK;
}

/* Same elements in the same places: the in-place case. */
static int same_layout(const lrelu_tensor *a, const lrelu_tensor *b)
{
	if (a->data != b->data)
		return 0;
	for (int d = 0; d < a->ndim; d++)
		if (a->shape[d] > 1 && stride_of(a, d) != stride_of(b, d))
			return 0;
	return 1;
}

/* C-contiguous: no strides given, or the strides a C-contiguous tensor has (dimensions
 * of size 1 may carry any stride). */
static int dense(const lrelu_tensor *t)
{
	int64_t expect = 1;
	if (t->strides == NULL)
		return 1;
	for (int d = t->ndim - 1; d >= 0; d--) {
		if (t->shape[d] != 1 && t->strides[d] != expect)
			return 0;
		expect *= t->shape[d];
	}
	return 1;
}

/* ---- planning --------------------------------------------------------------------- */

static void make_plan(struct plan *p, const lrelu_tensor *const *ops, int nops, size_t esize)
{
	const lrelu_tensor *t0 = ops[0];
	int nd = 0;
	p->nops = nops;
	p->esize = esize;
	for (int k = 0; k < nops; k++)
		p->base[k] = ops[k]->data;
	/* Keep dimensions of size > 1, ordered by the output's |stride|, largest outermost
	 * (a transposed tensor becomes a plain one).  Stable, so ties keep their order. */
	for (int d = 0; d < t0->ndim; d++) {
		if (t0->shape[d] == 1)
			continue;
		int k = nd++;
		int64_t key = abs64(stride_of(t0, d));
		while (k > 0 && abs64(p->st[0][k - 1]) < key) {
			p->shape[k] = p->shape[k - 1];
			for (int o = 0; o < nops; o++)
				p->st[o][k] = p->st[o][k - 1];
			k--;
		}
		p->shape[k] = t0->shape[d];
		for (int o = 0; o < nops; o++)
			p->st[o][k] = stride_of(ops[o], d);
	}
	if (nd == 0) { /* a single element */
		nd = 1;
		p->shape[0] = 1;
		for (int o = 0; o < nops; o++)
			p->st[o][0] = 1;
	}
	/* Walk the output forwards: flip every dimension where its stride is negative,
	 * for all operands at once (element i still meets element i). */
	for (int d = 0; d < nd; d++) {
		if (p->st[0][d] >= 0)
			continue;
		for (int o = 0; o < nops; o++) {
			p->base[o] += p->st[o][d] * (p->shape[d] - 1) * (int64_t)esize;
			p->st[o][d] = -p->st[o][d];
		}
	}
	/* Merge a dimension into the next inner one wherever every operand allows it. */
	int out = 0;
	for (int d = 1; d < nd; d++) {
		int merge = 1;
		for (int o = 0; o < nops; o++)
			if (p->st[o][out] != p->st[o][d] * p->shape[d])
				merge = 0;
		if (merge) {
			p->shape[out] *= p->shape[d];
			for (int o = 0; o < nops; o++)
				p->st[o][out] = p->st[o][d];
		} else {
			out++;
			p->shape[out] = p->shape[d];
			for (int o = 0; o < nops; o++)
				p->st[o][out] = p->st[o][d];
		}
	}
	p->ndim = out + 1;
	p->inner_contig = 1;
	for (int o = 0; o < nops; o++) {
		for (int d = 0; d < p->ndim; d++)
			p->st[o][d] *= (int64_t)esize;
		if (p->st[o][p->ndim - 1] != (int64_t)esize)
			p->inner_contig = 0;
	}
}

/* ---- execution -------------------------------------------------------------------- */

static void call_fwd(const struct plan *p, lrelu_fwd_fn fn, size_t n, char *y, const char *x)
{
	fn(n, x, y, p->w->params);
}

/* A contiguous stretch [j0, j1) of a run of length len: the body / tail split. */
static void run_contig(const struct plan *p, char *const *ptr, int64_t j0, int64_t j1, int64_t len)
{
	const struct lrelu_walk *w = p->w;
	size_t es = p->esize;
	if (p->nops == 3) {
		w->bwd((size_t)(j1 - j0), ptr[1] + j0 * (int64_t)es, ptr[2] + j0 * (int64_t)es,
		       ptr[0] + j0 * (int64_t)es, w->params);
		return;
	}
	int64_t body = w->body_block ? len - len % (int64_t)w->body_block : len;
	if (j0 < body) {
		int64_t e = j1 < body ? j1 : body;
		call_fwd(p, w->fwd, (size_t)(e - j0), ptr[0] + j0 * (int64_t)es, ptr[1] + j0 * (int64_t)es);
		j0 = e;
	}
	if (j0 < j1)
		call_fwd(p, w->fwd_tail, (size_t)(j1 - j0), ptr[0] + j0 * (int64_t)es,
		         ptr[1] + j0 * (int64_t)es);
}

/* A strided stretch: gather, compute, scatter, GATHER elements at a time. */
static void run_gather(const struct plan *p, char **ptr, int64_t j0, int64_t j1)
{
	_Alignas(64) unsigned char buf[MAXOPS][GATHER * 8];
	const struct lrelu_walk *w = p->w;
	size_t es = p->esize;
	int in = p->ndim - 1;
	while (j0 < j1) {
		size_t n = (size_t)(j1 - j0 < GATHER ? j1 - j0 : GATHER);
		for (int o = 1; o < p->nops; o++) {
			const char *src = ptr[o] + j0 * p->st[o][in];
			for (size_t i = 0; i < n; i++)
				memcpy(buf[o] + i * es, src + (int64_t)i * p->st[o][in], es);
		}
		if (p->nops == 3)
			w->bwd(n, buf[1], buf[2], buf[0], w->params);
		else
			w->fwd_tail(n, buf[1], buf[0], w->params);
		char *dst = ptr[0] + j0 * p->st[0][in];
		for (size_t i = 0; i < n; i++)
			memcpy(dst + (int64_t)i * p->st[0][in], buf[0] + i * es, es);
		j0 += (int64_t)n;
	}
}

/* Elements [begin, end) in the plan's (row-major) order. */
static void walk_range(void *arg, size_t begin, size_t end)
{
	const struct plan *p = arg;
	int in = p->ndim - 1;
	int64_t len = p->shape[in];
	int64_t idx[LRELU_MAX_DIMS];
	int64_t pos = (int64_t)begin, j0 = 0;
	if (in == 0 && p->inner_contig) { /* one contiguous run: the common case */
		run_contig(p, p->base, (int64_t)begin, (int64_t)end, len);
		return;
	}
	/* multi-index of `begin` over the outer dimensions (no divisions for the first
	 * chunk: they would cost more than a small call's whole computation) */
	if (pos == 0) {
		for (int d = 0; d < in; d++)
			idx[d] = 0;
	} else {
		int64_t rest = pos / len;
		for (int d = in - 1; d >= 0; d--) {
			idx[d] = rest % p->shape[d];
			rest /= p->shape[d];
		}
		j0 = pos % len;
	}
	while (pos < (int64_t)end) {
		char *ptr[MAXOPS];
		int64_t j1 = len;
		if ((int64_t)end - pos < j1 - j0)
			j1 = j0 + ((int64_t)end - pos);
		for (int o = 0; o < p->nops; o++) {
			ptr[o] = p->base[o];
			for (int d = 0; d < in; d++)
				ptr[o] += idx[d] * p->st[o][d];
		}
		if (p->inner_contig)
			run_contig(p, ptr, j0, j1, len);
		else
			run_gather(p, ptr, j0, j1);
		pos += j1 - j0;
		j0 = 0;
		for (int d = in - 1; d >= 0; d--) {
			if (++idx[d] < p->shape[d])
				break;
			idx[d] = 0;
		}
	}
}

/* Every operand's checks (lrelu_check_tensor), the same dtype and the same shape. */
static lrelu_status validate(const struct lrelu_walk *w, const lrelu_tensor *const *ops,
                             size_t esize, int64_t *numel)
{
	const lrelu_tensor *t0 = ops[0];
	int64_t n;
	lrelu_status st;
	for (int k = 0; k < w->nops; k++) {
		const lrelu_tensor *t = ops[k];
		if (t->dtype != t0->dtype)
			return lrelu_fail(LRELU_ERR_DTYPE, "Found dtype %s for %s but expected %s (the dtype of %s)",
			                  lrelu_dtype_name(t->dtype), w->names[k],
			                  lrelu_dtype_name(t0->dtype), w->names[0]);
		st = lrelu_check_tensor(t, w->names[k], esize, k == 0 ? numel : &n);
		if (st != LRELU_OK)
			return st;
		if (k == 0)
			continue;
		int same = t->ndim == t0->ndim;
		for (int d = 0; same && d < t->ndim; d++)
			same = t->shape[d] == t0->shape[d];
		if (!same)
			return lrelu_fail(LRELU_ERR_SHAPE, "%s and %s have different shapes", w->names[k],
			                  w->names[0]);
	}
	return LRELU_OK;
}

/*
 * The usual call, checked in one pass: no strides anywhere, one dtype, one shape (the
 * same array or equal entries), no negative dimension, no overflow, no NULL data.
 * Returns the element count (> 0), or -1 for anything else, which validate() then
 * examines and words the error for.  Same verdicts, a fraction of the time, which
 * counts in a 64-element call.
 */
static int64_t quick_dense(const struct lrelu_walk *w, const lrelu_tensor *const *ops,
                           size_t esize)
{
	const lrelu_tensor *t0 = ops[0];
	int64_t n = 1, bytes;
	if (t0->ndim < 0 || t0->ndim > LRELU_MAX_DIMS || (t0->ndim > 0 && t0->shape == NULL))
		return -1;
	for (int k = 0; k < w->nops; k++) {
		const lrelu_tensor *t = ops[k];
		if (t->strides != NULL || t->data == NULL || t->dtype != t0->dtype ||
		    t->ndim != t0->ndim)
			return -1;
		if (t->shape != t0->shape)
			for (int d = 0; d < t0->ndim; d++)
				if (t->shape == NULL || t->shape[d] != t0->shape[d])
					return -1;
	}
	for (int d = 0; d < t0->ndim; d++)
		if (t0->shape[d] <= 0 || __builtin_mul_overflow(n, t0->shape[d], &n))
			return -1;
	if (__builtin_mul_overflow(n, (int64_t)esize, &bytes))
		return -1;
	return n;
}

/* The walk's parameters with the non-temporal stores asked for, where the call writes
 * out of place and its contiguous runs are long enough (lrelu_nt_wanted, which PReLU's
 * runner asks too).  Returns w itself otherwise. */
static const struct lrelu_walk *with_nt(const struct lrelu_walk *w, const struct plan *p,
                                        struct lrelu_walk *wnt, struct lrelu_kparams *prm_nt)
{
	if (w->nops != 2 || p->base[0] == p->base[1] || !p->inner_contig ||
	    !lrelu_nt_wanted((size_t)p->shape[p->ndim - 1] * p->esize))
		return w;
	*wnt = *w;
	*prm_nt = *w->params;
	prm_nt->nt = 1;
	wnt->params = prm_nt;
	return wnt;
}

/* The plan's elements, threaded above the size threshold, under the FP guard. */
static lrelu_status run_plan(struct plan *p, const struct lrelu_walk *w, lrelu_dtype dt,
                             size_t numel)
{
	struct lrelu_walk wnt;
	struct lrelu_kparams prm_nt;
	lrelu_fpenv env;
	p->w = with_nt(w, p, &wnt, &prm_nt);
	lrelu_fpenv_enter(&env);
	/* contiguous operands: chunks of whole 4 KiB pages, so that no page or cache line
	 * of an operand that starts on one (as large allocations do) is written by two
	 * threads */
	lrelu_parallel_for(numel, 4096 / p->esize,
	                   p->esize * (size_t)w->nops * lrelu_par_weight(dt), walk_range, p);
	lrelu_fpenv_leave(&env);
	return LRELU_OK;
}

lrelu_status lrelu_run_dense(const struct lrelu_walk *w, lrelu_dtype dt, char *const *ptr,
                             size_t n, size_t done)
{
	/* one contiguous run over every operand: a one-dimensional plan */
	struct plan p;
	p.nops = w->nops;
	p.ndim = 1;
	p.esize = lrelu_esize(dt);
	p.inner_contig = 1;
	for (int k = 0; k < w->nops; k++) {
		p.base[k] = ptr[k] + done * p.esize; /* what fwdx finished */
		p.st[k][0] = (int64_t)p.esize;
	}
	p.shape[0] = (int64_t)(n - done);
	return run_plan(&p, w, dt, n - done);
}

/* Everything after the small dense forward: validation and its messages, overlap,
 * the runners.  Out of line, so that the small call does not pay for its frame.
 * numel is quick_dense's verdict; done, what fwdx already finished of a dense call. */
static LRELU_NOINLINE lrelu_status run_general(const struct lrelu_walk *w,
                                               const lrelu_tensor *const *ops, size_t esize,
                                               int64_t numel, size_t done)
{
	const lrelu_tensor *t0 = ops[0];
	lrelu_status st;
	struct plan p;

	if (numel < 0) {
		st = validate(w, ops, esize, &numel);
		if (st != LRELU_OK)
			return st;
	}
	if (numel == 0)
		return LRELU_OK;

	int all_dense = 1;
	for (int k = 0; k < w->nops; k++)
		all_dense &= dense(ops[k]);
	if (!all_dense) {
		st = check_self_overlap(t0, w->names[0], numel);
		if (st != LRELU_OK)
			return st;
	}
	for (int k = 1; k < w->nops; k++) {
		uintptr_t lo0, hi0, lo, hi;
		if (all_dense) {
			if (!lrelu_partial_overlap(t0->data, ops[k]->data, (size_t)numel * esize))
				continue;
		} else {
			if (ops[k]->data == t0->data && same_layout(t0, ops[k]))
				continue; /* in place */
			byte_range(t0, esize, &lo0, &hi0);
			byte_range(ops[k], esize, &lo, &hi);
			if (hi <= lo0 || hi0 <= lo)
				continue;
		}
		return lrelu_fail(LRELU_ERR_OVERLAP, "%s and %s: " LRELU_MSG_PARTIAL_OVERLAP,
		                  w->names[k], w->names[0]);
	}

	if (all_dense) {
		char *ptr[MAXOPS];
		for (int k = 0; k < w->nops; k++)
			ptr[k] = ops[k]->data;
		return lrelu_run_dense(w, t0->dtype, ptr, (size_t)numel, done);
	}
	make_plan(&p, ops, w->nops, esize);
	return run_plan(&p, w, t0->dtype, (size_t)numel);
}

lrelu_status lrelu_run_elementwise(const struct lrelu_walk *w, const lrelu_tensor *const *ops)
{
	size_t esize, done = 0;
	int64_t numel;

	for (int k = 0; k < w->nops; k++)
		if (ops[k] == NULL)
			return lrelu_fail(LRELU_ERR_ARG, "tensor %s is NULL", w->names[k]);
	esize = lrelu_esize(ops[0]->dtype);
	if (esize == 0)
		return lrelu_fail(LRELU_ERR_DTYPE, "%s: unknown dtype %d", w->names[0],
		                  (int)ops[0]->dtype);
	numel = quick_dense(w, ops, esize);
	/* A small dense forward, in place or disjoint (else the checks below word the
	 * error): no guard needed unless fwdx meets a subnormal; then the general path
	 * goes on from where it stopped. */
	if (numel > 0 && w->fwdx != NULL &&
	    !lrelu_partial_overlap(ops[0]->data, ops[1]->data, (size_t)numel * esize)) {
		done = lrelu_fwdx_try(w->fwdx, (size_t)numel, esize, ops[1]->data, ops[0]->data,
		                      w->params);
		if (done == (size_t)numel)
			return LRELU_OK;
	}
	return run_general(w, ops, esize, numel, done);
}

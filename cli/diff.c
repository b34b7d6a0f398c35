/* diff.c - lrelu diff: two rules on one INPUT, or two dumps A B, compared bit for bit by
 * the library's lrelu_diff: counts by cause, largest differences, indices, a mask */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "literal.h"
#include "npyprint.h"
#include "npz.h"

/*
 * Everything that decides what differs and why is the library's (lrelu_diff_*), shared
 * with the Python package; this file reads the arrays in chunks, hands them over, and
 * reports.  Exit status as cmp and diff: 0 identical, 1 different, 2 trouble (a usage
 * error, bad data, I/O).
 */

enum { DIFF_SAME = 0, DIFF_DIFFERENT = 1, DIFF_TROUBLE = 2 };
enum { SHOW = 8, INDEX_CAP = 1000 };

static uint64_t load_bits(const unsigned char *p, size_t isz)
{
	uint64_t v = 0;
	if (isz == 2) {
		uint16_t u;
		memcpy(&u, p, 2);
		v = u;
	} else if (isz == 4) {
		uint32_t u;
		memcpy(&u, p, 4);
		v = u;
	} else {
		memcpy(&v, p, 8);
	}
	return v;
}

static double bits_value(uint64_t b, lrelu_dtype dt)
{
	switch (dt) {
	case LRELU_FLOAT64: {
		double d;
		memcpy(&d, &b, 8);
		return d;
	}
	case LRELU_FLOAT32: {
		uint32_t u = (uint32_t)b;
		float f;
		memcpy(&f, &u, 4);
		return f;
	}
	case LRELU_BFLOAT16:
		return lrelu_bf16_to_f32((uint16_t)b);
	default:
		return lrelu_f16_to_f32((uint16_t)b);
	}
}

static void value_text(char *buf, size_t n, uint64_t b, lrelu_dtype dt, size_t isz)
{
	char v[64];
	npyprint_scalar(v, sizeof v, bits_value(b, dt), dt == LRELU_BFLOAT16 ? LRELU_FLOAT32 : dt);
	snprintf(buf, n, "%s (0x%0*llx)", v, (int)(isz * 2), (unsigned long long)b);
}

/* The multi-index of the element at position `pos` of the file's order. */
static void unravel(uint64_t pos, const struct npy_info *in, int64_t *idx)
{
	int nd = in->ndim;
	if (in->fortran)
		for (int d = 0; d < nd; d++) {
			idx[d] = (int64_t)(pos % (uint64_t)in->shape[d]);
			pos /= (uint64_t)in->shape[d];
		}
	else
		for (int d = nd - 1; d >= 0; d--) {
			idx[d] = (int64_t)(pos % (uint64_t)in->shape[d]);
			pos /= (uint64_t)in->shape[d];
		}
}

/* The flat C-order index (NumPy's ravel_multi_index) of position pos. */
static uint64_t c_index(uint64_t pos, const struct npy_info *in)
{
	int64_t idx[LRELU_MAX_DIMS];
	uint64_t f = 0;
	if (!in->fortran || in->ndim < 2)
		return pos;
	unravel(pos, in, idx);
	for (int d = 0; d < in->ndim; d++)
		f = f * (uint64_t)in->shape[d] + (uint64_t)idx[d];
	return f;
}

static void index_text(char *buf, size_t n, uint64_t pos, const struct npy_info *in)
{
	int64_t idx[LRELU_MAX_DIMS];
	int nd = in->ndim;
	unravel(pos, in, idx);
	size_t k = (size_t)snprintf(buf, n, "(");
	for (int d = 0; d < nd && k < n; d++)
		k += (size_t)snprintf(buf + k, n - k, "%lld%s", (long long)idx[d],
		                      nd == 1 ? "," : d + 1 < nd ? ", " : "");
	if (k < n)
		snprintf(buf + k, n - k, ")");
}

/* ---- the indices that differ, in C order ------------------------------------------- */

/*
 * The first INDEX_CAP differing elements in C order (or all, --all).  A C-ordered file
 * streams in that order, so its first differences are the first ones; a Fortran-ordered
 * one does not, so its indices go through a max-heap that keeps the smallest INDEX_CAP
 * seen (or, with --all, are all kept and sorted at the end).
 */
struct indices {
	uint64_t *v;
	size_t n, cap;
	bool all, heap;
};

static void idx_push_all(struct indices *s, uint64_t i)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		uint64_t *v = realloc(s->v, s->cap * sizeof *v);
		if (!v)
			data_error("out of memory (%zu indices)", s->cap);
		s->v = v;
	}
	s->v[s->n++] = i;
}

static void heap_down(uint64_t *v, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < n && v[l] > v[m])
			m = l;
		if (l + 1 < n && v[l + 1] > v[m])
			m = l + 1;
		if (m == i)
			return;
		uint64_t t = v[i];
		v[i] = v[m];
		v[m] = t;
		i = m;
	}
}

static void idx_push_heap(struct indices *s, uint64_t i)
{
	if (s->n < INDEX_CAP) {
		size_t k = s->n++;
		s->v[k] = i;
		while (k > 0 && s->v[(k - 1) / 2] < s->v[k]) {
			uint64_t t = s->v[k];
			s->v[k] = s->v[(k - 1) / 2];
			s->v[(k - 1) / 2] = t;
			k = (k - 1) / 2;
		}
	} else if (i < s->v[0]) {
		s->v[0] = i;
		heap_down(s->v, s->n, 0);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* ---- the arrays -------------------------------------------------------------------- */

/* b must hold the data of the same shape, order and dtype as a. */
static void check_like(const struct array *a, const char *ar, const struct array *b,
                       const char *br)
{
	bool same = b->info.ndim == a->info.ndim;
	for (int i = 0; same && i < a->info.ndim; i++)
		same = b->info.shape[i] == a->info.shape[i];
	if (b->dtype != a->dtype)
		data_error("%s: %s holds %s, %s %s", b->src.name, br, lrelu_dtype_name(b->dtype), ar,
		           lrelu_dtype_name(a->dtype));
	if (!same)
		data_error("%s: %s's shape differs from %s's", b->src.name, br, ar);
	if (b->info.fortran != a->info.fortran && a->info.ndim > 1)
		data_error("%s: %s is stored in %s order, %s in %s order (save both with "
		           "numpy.ascontiguousarray)", b->src.name, br,
		           b->info.fortran ? "Fortran" : "C", ar, a->info.fortran ? "Fortran" : "C");
}

static void read_chunk(struct array *a, unsigned char *buf, size_t n)
{
	size_t isz = a->info.itemsize;
	if (src_read(&a->src, buf, n * isz) != n * isz)
		data_error("%s: truncated data", a->src.name);
	if (a->info.swap)
		swap_bytes(buf, n, isz);
}

/* A JSON number; a NaN as null_nan: null for a measure that has no value, "nan" for a
 * slope, which may be one. */
static void print_double(FILE *f, double v, const char *null_nan)
{
	char s[64];
	if (isnan(v))
		fputs(null_nan, f);
	else if (isinf(v))
		fputs(v > 0 ? "1e999" : "-1e999", f); /* JSON has no infinity; this reads as one */
	else {
		lrelu_format_pyfloat(v, s, sizeof s);
		fputs(s, f);
	}
}

static void print_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

struct diff_run {
	const struct opts *o;
	lrelu_diff_options opt;
	lrelu_diff_report rep;
	struct array arrs[4];        /* what diff_one compares, in command-line order */
	int na;
	struct array *a, *b, *x, *g; /* a, b: the dumps (NULL: computed); x, g: input, dL/dy */
	const struct array *shape;   /* the array whose shape and order the report uses */
	struct indices idx;
	char lines[SHOW][512];
	int nshow;
	/* --op prelu: both sides computed here as given arrays a and b (the library's
	 * causes then come from the two values alone) and named by their frameworks. */
	const char *op;
	const unsigned char *op_x; /* --op prelu: INPUT (host order), shown in each line */
};

static void report_json(const struct diff_run *r)
{
	const lrelu_diff_report *p = &r->rep;
	const struct npy_info *in = &r->shape->info;
	printf("{\"elements\": %llu, \"differ\": %llu, \"causes\": {",
	       (unsigned long long)p->elements, (unsigned long long)p->differ);
	for (int k = 0; k < LRELU_DIFF_CAUSES; k++)
		printf("%s\"%s\": %llu", k ? ", " : "", lrelu_diff_cause_name((lrelu_diff_cause)k, false),
		       (unsigned long long)p->causes[k]);
	printf("}, \"max_ulp\": ");
	if (p->numeric)
		printf("%llu", (unsigned long long)p->max_ulp);
	else
		printf("null");
	printf(", \"max_abs\": ");
	print_double(stdout, p->numeric ? p->max_abs : NAN, "null");
	printf(", \"max_rel\": ");
	print_double(stdout, p->numeric ? p->max_rel : NAN, "null");
	printf(", \"from\": \"%s\", \"to\": \"%s\"",
	       lrelu_framework_name(r->opt.from), lrelu_framework_name(r->opt.to));
	if (r->op) {
		printf(", \"op\": \"%s\"", r->op);
	} else {
		printf(", \"from_slope\": ");
		print_double(stdout, r->opt.from_slope, "\"nan\"");
		printf(", \"to_slope\": ");
		print_double(stdout, r->opt.to_slope, "\"nan\"");
	}
	printf(", \"dtype\": \"%s\", \"backward\": %s, \"shape\": [", lrelu_dtype_name(r->opt.dtype),
	       r->opt.backward ? "true" : "false");
	for (int d = 0; d < in->ndim; d++)
		printf("%s%lld", d ? ", " : "", (long long)in->shape[d]);
	printf("]");
	if (r->a && !r->op) {
		printf(", \"a\": ");
		print_json_string(stdout, r->a->src.name);
		printf(", \"b\": ");
		print_json_string(stdout, r->b->src.name);
	}
	if (r->a && r->x) {
		printf(", \"match\": {\"a\": {\"from\": %llu, \"to\": %llu}, \"b\": {\"from\": %llu, "
		       "\"to\": %llu}}, \"neither\": {\"a\": %llu, \"b\": %llu}",
		       (unsigned long long)p->match[0][0], (unsigned long long)p->match[0][1],
		       (unsigned long long)p->match[1][0], (unsigned long long)p->match[1][1],
		       (unsigned long long)p->neither[0], (unsigned long long)p->neither[1]);
	}
	printf(", \"indices\": [");
	for (size_t i = 0; i < r->idx.n; i++)
		printf("%s%llu", i ? ", " : "", (unsigned long long)r->idx.v[i]);
	printf("]}");
}

/* What side s (0: A, 1: B) follows over the attributed elements: "is PyTorch's rule",
 * "matches neither rule at 12 elements", ... */
static void side_text(const struct diff_run *r, int s, char *buf, size_t size)
{
	const lrelu_diff_report *p = &r->rep;
	const char *fw[2] = { fw_title(r->opt.from), fw_title(r->opt.to) };
	uint64_t n = p->attributed;
	if (p->match[s][0] == n && p->match[s][1] == n)
		snprintf(buf, size, "follows both rules");
	else if (p->match[s][s] == n || p->match[s][1 - s] == n)
		snprintf(buf, size, "is %s's rule", fw[p->match[s][s] == n ? s : 1 - s]);
	else if (p->neither[s])
		snprintf(buf, size, "matches neither rule at %llu element%s",
		         (unsigned long long)p->neither[s], p->neither[s] == 1 ? "" : "s");
	else
		snprintf(buf, size, "is %s's rule at %llu elements and %s's at the other %llu", fw[0],
		         (unsigned long long)p->match[s][0], fw[1],
		         (unsigned long long)(n - p->match[s][0]));
}

static void report_text(const struct diff_run *r)
{
	const lrelu_diff_report *p = &r->rep;
	char s0[64], s1[64];
	lrelu_format_pyfloat(r->opt.from_slope, s0, sizeof s0);
	lrelu_format_pyfloat(r->opt.to_slope, s1, sizeof s1);
	if (r->op)
		printf("%s, %s vs %s, ", r->op, lrelu_framework_name(r->opt.from),
		       lrelu_framework_name(r->opt.to));
	else if (r->a)
		printf("A %s vs B %s, ", r->a->src.name, r->b->src.name);
	if (!r->op && (!r->a || r->x)) {
		if (strcmp(s0, s1) == 0)
			printf("%s vs %s, slope %s, ", lrelu_framework_name(r->opt.from),
			       lrelu_framework_name(r->opt.to), s0);
		else
			printf("%s (slope %s) vs %s (slope %s), ", lrelu_framework_name(r->opt.from), s0,
			       lrelu_framework_name(r->opt.to), s1);
	}
	printf("%s%s, %llu elements: %llu differ", lrelu_dtype_name(r->opt.dtype),
	       r->opt.backward ? " backward" : "", (unsigned long long)p->elements,
	       (unsigned long long)p->differ);
	if (p->numeric)
		printf("; largest difference %llu ULP%s", (unsigned long long)p->max_ulp,
		       p->max_ulp == 1 ? "" : "s");
	printf("\n");
	if (p->numeric)
		printf("  largest absolute difference %.6g, relative %.6g\n", p->max_abs, p->max_rel);
	if (p->differ) {
		printf("  by cause:");
		for (int k = 0, first = 1; k < LRELU_DIFF_CAUSES; k++)
			if (p->causes[k]) {
				printf("%s %s %llu", first ? "" : ",",
				       lrelu_diff_cause_name((lrelu_diff_cause)k, true),
				       (unsigned long long)p->causes[k]);
				first = 0;
			}
		printf("\n");
	}
	if (r->a && r->x) {
		char ta[128], tb[128];
		side_text(r, 0, ta, sizeof ta);
		side_text(r, 1, tb, sizeof tb);
		if (strcmp(ta, "follows both rules") == 0 && strcmp(ta, tb) == 0)
			printf("  A and B follow both rules (they agree on this input)\n");
		else
			printf("  A %s, B %s\n", ta, tb);
	}
	if (r->nshow)
		printf("first differences (index, %sboth values):\n", r->x || r->op_x ? "input, " : "");
	for (int i = 0; i < r->nshow; i++)
		printf("%s\n", r->lines[i]);
}

/* One display line for the element at position pos of this chunk (offset i). */
static void show_line(struct diff_run *r, uint64_t pos, const unsigned char *xb,
                      const unsigned char *gb, const unsigned char *ab, const unsigned char *bb,
                      size_t i)
{
	size_t isz = lrelu_dtype_size(r->opt.dtype);
	unsigned char va[8], vb[8];
	char is[160], xs[96], as[96], bs[96];
	const char *na = r->a && !r->op ? "A" : lrelu_framework_name(r->opt.from);
	const char *nb = r->b && !r->op ? "B" : lrelu_framework_name(r->opt.to);
	/* A computed side: its one element again, through the command's own path. */
	struct job j = {.o = r->o, .x = r->x, .g = r->g};
	unsigned char x1[8], g1[8];
	if (!xb && r->op_x) {
		memcpy(x1, r->op_x + pos * isz, isz); /* shown only: both sides are given */
		value_text(xs, sizeof xs, load_bits(x1, isz), r->opt.dtype, isz);
	}
	if (xb) {
		memcpy(x1, xb + i * isz, isz);
		if (gb)
			memcpy(g1, gb + i * isz, isz);
	}
	if (ab)
		memcpy(va, ab + i * isz, isz);
	else {
		j.fw = r->opt.from, j.slope = r->opt.from_slope;
		compute_chunk(&j, x1, gb ? g1 : NULL, va, 1, "INPUT");
	}
	if (bb)
		memcpy(vb, bb + i * isz, isz);
	else {
		j.fw = r->opt.to, j.slope = r->opt.to_slope;
		compute_chunk(&j, x1, gb ? g1 : NULL, vb, 1, "INPUT");
	}
	index_text(is, sizeof is, pos, &r->shape->info);
	value_text(as, sizeof as, load_bits(va, isz), r->opt.dtype, isz);
	value_text(bs, sizeof bs, load_bits(vb, isz), r->opt.dtype, isz);
	if (xb || r->op_x) {
		if (xb)
			value_text(xs, sizeof xs, load_bits(x1, isz), r->opt.dtype, isz);
		snprintf(r->lines[r->nshow++], sizeof r->lines[0], "  %s  x = %s  %s: %s  %s: %s", is,
		         xs, na, as, nb, bs);
	} else {
		snprintf(r->lines[r->nshow++], sizeof r->lines[0], "  %s  %s: %s  %s: %s", is, na, as,
		         nb, bs);
	}
}

/* msg with the library's parameter names (negative_slope, ...), which the Python package
 * shares, spelled as the command's options (--negative-slope, ...). */
static void option_names(const char *msg, char *out, size_t size)
{
	static const char *const names[] = { "negative_slope", "from_slope", "to_slope", "alpha" };
	size_t k = 0;
	while (*msg && k + 1 < size) {
		size_t len = 0;
		for (size_t i = 0; i < sizeof names / sizeof names[0] && !len; i++)
			if (strncmp(msg, names[i], strlen(names[i])) == 0)
				len = strlen(names[i]);
		if (len && k + len + 3 < size) {
			out[k++] = '-', out[k++] = '-';
			for (size_t i = 0; i < len; i++)
				out[k++] = msg[i] == '_' ? '-' : msg[i];
			msg += len;
		} else {
			out[k++] = *msg++;
		}
	}
	out[k] = '\0';
}

static void lib_error(const char *what, lrelu_status st)
{
	if (st == LRELU_ERR_SLOPE || st == LRELU_ERR_UNSUPPORTED || st == LRELU_ERR_DTYPE)
		usage_error("diff: %s", lrelu_last_error());
	data_error("diff: %s: %s", what, lrelu_last_error());
}

/* Compares the set of arrays r->arrs (r->a, r->b, r->x, r->g point into it), read to
 * their end, into r->rep, r->idx and r->lines; with --mask, writes the mask. */
static void diff_one(struct diff_run *r)
{
	const struct opts *o = r->o;
	struct array *arrs = r->arrs;
	int na = r->na;
	if (r->a) {
		check_like(r->a, "A", r->b, "B");
		if (r->x)
			check_like(r->a, "A", r->x, "INPUT");
	}
	if (r->g)
		check_like(r->x, "INPUT", r->g, "GRAD");
	r->shape = r->a ? r->a : r->x;
	const struct array *ref = r->shape;

	bool c_order = !ref->info.fortran || ref->info.ndim < 2;
	free(r->idx.v);
	memset(&r->idx, 0, sizeof r->idx);
	memset(&r->rep, 0, sizeof r->rep);
	r->nshow = 0;
	r->idx.all = o->all;
	r->idx.heap = !c_order && !o->all;
	if (!o->all) {
		r->idx.cap = INDEX_CAP;
		r->idx.v = xmalloc(INDEX_CAP * sizeof *r->idx.v);
	}
	r->opt.dtype = ref->dtype;
	r->opt.backward = r->g != NULL;
	r->opt.indices = NULL;
	r->opt.index_capacity = 0;
	if (c_order && !o->all) {
		r->opt.indices = r->idx.v;
		r->opt.index_capacity = INDEX_CAP;
	}
	lrelu_diff d;
	lrelu_status s = lrelu_diff_init(&d, &r->opt);
	if (s != LRELU_OK)
		lib_error("options", s);

	/* The mask: a bool array of the same shape and order, written atomically. */
	struct target t;
	int mfd = -1;
	struct sink mk = {.fd = -1};
	if (o->mask) {
		unsigned char hdr[NPY_MAX_HEADER + NPY_PREFIX_MAX];
		struct npy_info mi = ref->info;
		snprintf(mi.descr, sizeof mi.descr, "|b1");
		mi.itemsize = 1;
		size_t hn = npy_format_header(&mi, hdr, sizeof hdr);
		if (hn == 0)
			data_error("%s: header too long for format version %d.0", o->mask, mi.major);
		resolve_target(o->mask, &t);
		struct stat ms;
		if (t.exists && stat(t.path, &ms) == 0)
			for (int k = 0; k < na; k++)
				if (arrs[k].src.fd >= 0 && arrs[k].src.st.st_dev == ms.st_dev &&
				    arrs[k].src.st.st_ino == ms.st_ino)
					usage_error("diff: --mask %s would replace %s, which diff reads", o->mask,
					            arrs[k].src.name);
		mfd = open_tmp(&t);
		mk.fd = mfd;
		mk.name = t.path;
		sink_write(&mk, hdr, hn);
	}

	/* Up to four arrays and the mask share the main command's data bound, 2 chunks. */
	size_t isz = ref->info.itemsize, per = 2 * CHUNK_BYTES / ((size_t)na * isz + 1);
	uint64_t total = ref->info.count, pos = 0;
	unsigned char *buf[4] = { NULL, NULL, NULL, NULL };
	for (int k = 0; k < na; k++)
		buf[k] = xmalloc(per * isz);
	uint8_t *mask = xmalloc(per);
	while (pos < total) {
		size_t n = total - pos < per ? (size_t)(total - pos) : per;
		for (int k = 0; k < na; k++)
			read_chunk(&arrs[k], buf[k], n);
		const unsigned char *ab = r->a ? buf[r->a - arrs] : NULL;
		const unsigned char *bb = r->b ? buf[r->b - arrs] : NULL;
		const unsigned char *xb = r->x ? buf[r->x - arrs] : NULL;
		const unsigned char *gb = r->g ? buf[r->g - arrs] : NULL;
		s = lrelu_diff_add(&d, ab, bb, xb, gb, n, mask);
		if (s != LRELU_OK)
			lib_error(ref->src.name, s);
		if (mfd >= 0)
			sink_write(&mk, mask, n);
		for (size_t i = 0; i < n; i++) {
			if (!mask[i])
				continue;
			if (r->nshow < SHOW)
				show_line(r, pos + i, xb, gb, ab, bb, i);
			if (o->all)
				idx_push_all(&r->idx, c_index(pos + i, &ref->info));
			else if (r->idx.heap)
				idx_push_heap(&r->idx, c_index(pos + i, &ref->info));
			else if (r->nshow >= SHOW)
				break; /* the library keeps the indices */
		}
		pos += n;
	}
	for (int k = 0; k < na; k++)
		free(buf[k]);
	free(mask);
	if (lrelu_diff_finish(&d, &r->rep) != LRELU_OK)
		lib_error("report", LRELU_ERR_ARG);
	if (c_order && !o->all)
		r->idx.n = r->rep.nindices;
	else if (r->idx.n > 1)
		qsort(r->idx.v, r->idx.n, sizeof *r->idx.v, cmp_u64);
	if (mfd >= 0)
		commit_tmp(mfd, &t);
}

/* Points r->a, r->b, r->x, r->g at the arrays in r->arrs, in command-line order. */
static void assign_roles(struct diff_run *r, bool dumps)
{
	int k = 0;
	r->a = r->b = r->x = r->g = NULL;
	if (dumps) {
		r->a = &r->arrs[k++];
		r->b = &r->arrs[k++];
	}
	if (!dumps || r->o->input)
		r->x = &r->arrs[k++];
	if (r->o->grad)
		r->g = &r->arrs[k++];
	r->na = k;
}

/* Which of the operands are whole .npz archives (opened into z): all or none, else a
 * usage error.  ARCHIVE:NAME is one array, as a .npy file is. */
static bool open_archives(int n, const char *const *spec, const char *const *role,
                          struct npz *z)
{
	bool is[4];
	int whole = 0, plain = -1, arch = -1;
	for (int k = 0; k < n; k++) {
		const char *name = NULL;
		is[k] = strcmp(spec[k], "-") != 0 && !literal_looks_like(spec[k]) &&
		        npz_open(spec[k], &z[k], &name);
		if (is[k] && name) {
			npz_close(&z[k]);
			is[k] = false;
		}
		whole += is[k];
		if (is[k] && arch < 0)
			arch = k;
		if (!is[k] && plain < 0)
			plain = k;
	}
	if (whole > 0 && whole < n)
		usage_error("diff: %s %s is a whole .npz archive but %s %s is not; give every "
		            "operand as a whole archive (compared member by member), or one member "
		            "of each as ARCHIVE.npz:NAME", role[arch], spec[arch], role[plain],
		            spec[plain]);
	return whole > 0;
}

/* The archives member by member: each key of the first archive (A, or INPUT) that B
 * holds too, compared by diff_one and reported after a "KEY:" line (in JSON, as one
 * member of "members"); keys on one side only are listed and count as a difference. */
static int diff_archives(struct diff_run *r, struct npz *z, bool dumps)
{
	const struct opts *o = r->o;
	struct npz *za = &z[0], *zb = dumps ? &z[1] : NULL;
	struct npz *zx = dumps ? (o->input ? &z[2] : NULL) : &z[0];
	struct npz *zg = o->grad ? &z[(dumps ? 2 : 1) + (dumps && o->input)] : NULL;
	/* Every key compared must be in INPUT and GRAD: checked before any report. */
	for (size_t i = 0; i < za->count; i++) {
		if (zb && npz_index(zb, za->keys[i]) == SIZE_MAX)
			continue;
		if (zx)
			npz_find(zx, za->keys[i]);
		if (zg)
			npz_find(zg, za->keys[i]);
	}
	uint64_t members = 0, members_differ = 0, differ = 0, elements = 0;
	size_t only_a = 0, only_b = 0;
	if (o->json)
		printf("{\"members\": {");
	for (size_t i = 0; i < za->count; i++) {
		const char *key = za->keys[i];
		size_t ib = zb ? npz_index(zb, key) : SIZE_MAX;
		if (zb && ib == SIZE_MAX) {
			only_a++;
			continue;
		}
		assign_roles(r, dumps);
		if (dumps) {
			npz_whole_member(za, i, o, r->a);
			npz_whole_member(zb, ib, o, r->b);
		}
		if (zx)
			npz_whole_member(zx, npz_find(zx, key), o, r->x);
		if (zg)
			npz_whole_member(zg, npz_find(zg, key), o, r->g);
		diff_one(r);
		if (o->json) {
			printf("%s", members ? ", " : "");
			print_json_string(stdout, key);
			printf(": ");
			report_json(r);
		} else {
			printf("%s:\n", key);
			report_text(r);
		}
		members++;
		members_differ += r->rep.differ != 0;
		differ += r->rep.differ;
		elements += r->rep.elements;
		for (int k = 0; k < r->na; k++)
			npz_member_free(&r->arrs[k]);
	}
	if (zb)
		for (size_t i = 0; i < zb->count; i++)
			only_b += npz_index(za, zb->keys[i]) == SIZE_MAX;
	/* The keys on one side only, in that archive's order. */
	for (int side = 0; side < 2 && zb; side++) {
		struct npz *p = side ? zb : za, *q = side ? za : zb;
		if (o->json)
			printf(side ? ", \"only_in_b\": [" : "}, \"only_in_a\": [");
		for (size_t i = 0, n = 0; i < p->count; i++)
			if (npz_index(q, p->keys[i]) == SIZE_MAX) {
				if (o->json) {
					printf("%s", n++ ? ", " : "");
					print_json_string(stdout, p->keys[i]);
				} else {
					printf("only in %c (%s): %s\n", side ? 'B' : 'A', p->path, p->keys[i]);
				}
			}
		if (o->json)
			printf("]");
	}
	if (o->json) {
		if (!zb)
			printf("}, \"only_in_a\": [], \"only_in_b\": []");
		printf(", \"differ\": %llu, \"elements\": %llu}\n", (unsigned long long)differ,
		       (unsigned long long)elements);
	} else {
		printf("total: %llu member%s compared, %llu differ%s, %llu of %llu elements differ",
		       (unsigned long long)members, members == 1 ? "" : "s",
		       (unsigned long long)members_differ, members_differ == 1 ? "s" : "",
		       (unsigned long long)differ, (unsigned long long)elements);
		if (zb)
			printf("; %zu key%s only in A, %zu only in B", only_a, only_a == 1 ? "" : "s",
			       only_b);
		printf("\n");
	}
	if (fflush(stdout) != 0)
		data_error("standard output: write error: %s", strerror(errno));
	free(r->idx.v);
	return differ || only_a || only_b ? DIFF_DIFFERENT : DIFF_SAME;
}

/* ---- --op rrelu, --op prelu ------------------------------------------------------- */

/* RReLU: MindSpore's has no eval mode, so there is nothing to compare bit for bit; say
 * so, and show what PyTorch's eval mode gives on INPUT. */
static int diff_rrelu(struct diff_run *r, lrelu_framework from, lrelu_framework to)
{
	struct opts *o = (struct opts *)r->o;
	bool pair = (from == LRELU_TORCH && to == LRELU_MINDSPORE) ||
	            (from == LRELU_MINDSPORE && to == LRELU_TORCH);
	if (!pair)
		usage_error("diff --op rrelu: lrelu knows PyTorch's RReLU and MindSpore's (which "
		            "it cannot reproduce); compare torch with mindspore");
	if (o->mask)
		usage_error("diff --op rrelu: --mask: MindSpore's RReLU is random, so no element "
		            "can be said to agree");
	struct array x, g;
	open_array(o->pos[0], o, "INPUT", &x);
	struct opts po = *o;
	po.fw = LRELU_TORCH;
	po.diff = false;
	struct job j = {.o = &po, .fw = LRELU_TORCH, .x = &x};
	job_setup(&j, &po, NULL);
	job_load(&j, &x);
	if (o->grad) {
		open_array(o->grad, o, "GRAD", &g);
		check_grad(&x, &g);
		j.g = &g;
	}
	double mid = (j.lower + j.upper) / 2;
	char lo[40], up[40], ms[40], mf[40];
	lrelu_format_pyfloat(j.lower, lo, sizeof lo);
	lrelu_format_pyfloat(j.upper, up, sizeof up);
	lrelu_format_pyfloat(mid, ms, sizeof ms);
	/* PyTorch rounds the midpoint to float for every dtype but float64. */
	lrelu_format_pyfloat(x.dtype == LRELU_FLOAT64 ? mid : (double)(float)mid, mf, sizeof mf);
	if (o->json) {
		printf("{\"op\": \"rrelu\", \"from\": \"%s\", \"to\": \"%s\", \"lower\": %s, "
		       "\"upper\": %s, \"dtype\": \"%s\", \"backward\": %s, \"elements\": %llu, "
		       "\"comparable\": false, \"reason\": \"mindspore_rrelu_has_no_eval_mode\", "
		       "\"torch_eval_slope\": %s}\n", lrelu_framework_name(from),
		       lrelu_framework_name(to), lo, up, lrelu_dtype_name(x.dtype),
		       o->grad ? "true" : "false", (unsigned long long)x.info.count, mf);
	} else {
		printf("rrelu, %s vs %s, lower %s, upper %s, %s%s, %llu elements: not comparable "
		       "bit for bit\n", lrelu_framework_name(from), lrelu_framework_name(to), lo, up,
		       lrelu_dtype_name(x.dtype), o->grad ? " backward" : "",
		       (unsigned long long)x.info.count);
		printf("  MindSpore's nn.RReLU has no eval mode: in training and in eval alike it "
		       "multiplies each x < 0\n  by a slope drawn uniformly from [lower, upper], "
		       "from a random stream lrelu cannot\n  reproduce.  PyTorch's eval mode "
		       "(model.eval(), F.rrelu(training=False)) is LeakyReLU\n  at (lower + upper) "
		       "/ 2 = %s (%s in %s); it gives%s:\n", ms, mf, lrelu_dtype_name(x.dtype),
		       o->grad ? " the gradient" : "");
		if (fflush(stdout) != 0)
			data_error("standard output: write error: %s", strerror(errno));
		print_streamed(&j);
	}
	if (fflush(stdout) != 0)
		data_error("standard output: write error: %s", strerror(errno));
	free(x.owned);
	return DIFF_DIFFERENT;
}

/* Reads all of a into a new buffer, in host byte order. */
static unsigned char *read_all(struct array *a)
{
	unsigned char *buf = xmalloc((size_t)a->info.data_bytes);
	read_chunk(a, buf, (size_t)a->info.count);
	return buf;
}

/* PReLU: each framework's PReLU through the library's lrelu_prelu_forward(fw, ...) (or
 * its backward), the two results then compared as two given arrays. */
static int diff_prelu(struct diff_run *r, lrelu_framework from, lrelu_framework to)
{
	const struct opts *o = r->o;
	if (from == to)
		usage_error("diff --op prelu: --from and --to are both %s: nothing to compare",
		            lrelu_framework_name(from));
	struct array x, g;
	open_array(o->pos[0], o, "INPUT", &x);
	struct opts po = *o;
	po.diff = false;
	struct job j = {.o = &po, .x = &x};
	job_setup(&j, &po, NULL);
	job_load(&j, &x);
	j.whole = true; /* both sides computed on the array in memory */
	unsigned char *xb = read_all(&x), *gb = NULL;
	if (o->grad) {
		open_array(o->grad, o, "GRAD", &g);
		check_grad(&x, &g);
		j.g = &g;
		gb = read_all(&g);
	}
	size_t nb = (size_t)x.info.data_bytes;
	unsigned char *side[2] = {xmalloc(nb), xmalloc(nb)};
	lrelu_framework fw[2] = {from, to};
	for (int s = 0; s < 2; s++) {
		j.fw = fw[s];
		compute_chunk(&j, xb, gb, side[s], (size_t)x.info.count, x.src.name);
		struct array *a = &r->arrs[s];
		memset(a, 0, sizeof *a);
		a->info = x.info;
		a->info.swap = false;
		a->dtype = x.dtype;
		a->src.fd = -1;
		a->src.name = lrelu_framework_name(fw[s]);
		a->src.mem = side[s];
		a->src.mem_len = nb;
		a->owned = side[s];
	}
	r->na = 2;
	r->a = &r->arrs[0], r->b = &r->arrs[1], r->x = r->g = NULL;
	r->op = "prelu";
	r->op_x = xb;
	r->opt.from = from, r->opt.to = to;
	/* The slopes take no part in comparing two given arrays; any one the rules take. */
	r->opt.from_slope = r->opt.to_slope = 0.25;
	diff_one(r);
	if (o->json)
		report_json(r);
	else
		report_text(r);
	if (o->json)
		printf("\n");
	if (fflush(stdout) != 0)
		data_error("standard output: write error: %s", strerror(errno));
	free(side[0]);
	free(side[1]);
	free(xb);
	free(gb);
	free(x.owned);
	free(r->idx.v);
	return r->rep.differ ? DIFF_DIFFERENT : DIFF_SAME;
}

static int diff_family(struct diff_run *r, lrelu_framework from, lrelu_framework to,
                       bool dumps)
{
	const struct opts *o = r->o;
	const char *op = o->op == OP_RRELU ? "rrelu" : "prelu";
	if (dumps)
		usage_error("diff --op %s compares two frameworks' %s on one INPUT; two dumps A B "
		            "are compared without --op (their values alone)", op, op);
	if (o->have_ns || o->have_alpha || o->have_from_slope || o->have_to_slope)
		usage_error("diff --op %s: the slope options are LeakyReLU's; --op %s takes %s", op,
		            op, o->op == OP_RRELU ? "--lower and --upper" : "--weight");
	const char *spec[2] = {o->pos[0], o->grad};
	for (int k = 0; k < 2; k++) {
		struct npz z;
		const char *member;
		if (spec[k] && strcmp(spec[k], "-") != 0 && !literal_looks_like(spec[k]) &&
		    npz_open(spec[k], &z, &member)) {
			if (!member)
				usage_error("diff --op %s: %s is a whole archive: pick one member as "
				            "ARCHIVE.npz:NAME", op, spec[k]);
			npz_close(&z);
		}
	}
	set_threads(o);
	return o->op == OP_RRELU ? diff_rrelu(r, from, to) : diff_prelu(r, from, to);
}

int cmd_diff(struct opts *o)
{
	struct diff_run r;
	memset(&r, 0, sizeof r);
	r.o = o;
	data_exit_status = DIFF_TROUBLE;
	if (o->npos < 1)
		usage_error("diff: INPUT missing (or give two arrays A B)");
	bool dumps = o->npos == 2;
	if (o->input && !dumps)
		usage_error("diff: --input names the input of two arrays A B; with one array, it "
		            "is the input");
	if (dumps && o->grad && !o->input)
		usage_error("diff: --grad with two arrays A B needs --input (the forward input the "
		            "gradients were taken at)");
	if (o->mask && (strcmp(o->mask, "-") == 0 || *o->mask == '\0'))
		usage_error("diff: --mask needs a file name (standard output carries the report)");
	lrelu_framework from = o->have_from ? o->from : LRELU_TORCH;
	lrelu_framework to = o->have_to ? o->to : LRELU_MINDSPORE;
	if (o->op != OP_LEAKY_RELU)
		return diff_family(&r, from, to, dumps);
	if (o->have_lower || o->have_upper || o->weight)
		usage_error("diff: %s belongs to --op %s", o->weight ? "--weight" : o->have_lower
		            ? "--lower" : "--upper", o->weight ? "prelu" : "rrelu");
	double sf, st;
	if (lrelu_diff_slopes(from, to, o->have_ns ? &o->ns : NULL, o->have_alpha ? &o->alpha : NULL,
	                      o->have_from_slope ? &o->from_slope : NULL,
	                      o->have_to_slope ? &o->to_slope : NULL, &sf, &st) != LRELU_OK) {
		char msg[512];
		option_names(lrelu_last_error(), msg, sizeof msg);
		usage_error("diff: %s", msg);
	}
	if (from == to && (sf == st || (isnan(sf) && isnan(st))))
		usage_error("diff: --from and --to are both %s with one slope: nothing to compare",
		            lrelu_framework_name(from));
	set_threads(o);
	r.opt.from = from, r.opt.to = to;
	r.opt.from_slope = sf, r.opt.to_slope = st;

	/* The operands in command-line order, as assign_roles places them. */
	const char *spec[4], *role[4];
	int n = 0;
	if (dumps) {
		spec[n] = o->pos[0], role[n++] = "A";
		spec[n] = o->pos[1], role[n++] = "B";
	}
	if (!dumps || o->input)
		spec[n] = dumps ? o->input : o->pos[0], role[n++] = "INPUT";
	if (o->grad)
		spec[n] = o->grad, role[n++] = "GRAD";
	struct npz z[4];
	if (open_archives(n, spec, role, z)) {
		if (o->mask)
			usage_error("diff: --mask with whole .npz archives: pick one member as "
			            "ARCHIVE.npz:NAME to write its mask");
		int status = diff_archives(&r, z, dumps);
		for (int k = 0; k < n; k++)
			npz_close(&z[k]);
		return status;
	}

	if (dumps && strcmp(o->pos[0], "-") == 0 && strcmp(o->pos[1], "-") == 0)
		usage_error("diff: A and B cannot both be standard input");
	assign_roles(&r, dumps);
	for (int k = 0; k < n; k++)
		open_array(spec[k], o, role[k], &r.arrs[k]);
	diff_one(&r);
	if (o->json)
		report_json(&r);
	else
		report_text(&r);
	if (o->json)
		printf("\n");
	if (fflush(stdout) != 0)
		data_error("standard output: write error: %s", strerror(errno));
	for (int k = 0; k < r.na; k++)
		free(r.arrs[k].owned);
	free(r.idx.v);
	return r.rep.differ ? DIFF_DIFFERENT : DIFF_SAME;
}

/* npyprint.c - NumPy 1.24 print(arr) for float and 8-bit integer tensors: FloatingFormat
 * padding and scientific switch, _formatArray wrapping and summarisation (the digits
 * come from fmtfloat.c) */
#include "npyprint.h"
#include "fmtfloat.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* NumPy's default print options. */
enum { NP_PRECISION = 8, NP_LINEWIDTH = 75, NP_THRESHOLD = 1000, NP_EDGEITEMS = 3 };

/* ---- element access ----------------------------------------------------------------- */

/* The kind of array NumPy would hold: f16, f32, f64, or 8-bit integers. */
enum pkind { PK_F16, PK_F32, PK_F64, PK_I8, PK_U8 };

struct elem {
	struct fparts f; /* float kinds */
	double v;        /* the value, for the magnitude tests */
	long iv;         /* integer kinds */
};

static struct elem load(const lrelu_tensor *t, int64_t off)
{
	struct elem e;
	memset(&e, 0, sizeof e);
	const unsigned char *p = (const unsigned char *)t->data;
	switch (t->dtype) {
	case LRELU_FLOAT64: {
		uint64_t b;
		memcpy(&b, p + off * 8, 8);
		memcpy(&e.v, &b, 8);
		e.f = fmt_decompose(b, 11, 52);
		break;
	}
	case LRELU_FLOAT32: {
		uint32_t b;
		float x;
		memcpy(&b, p + off * 4, 4);
		memcpy(&x, &b, 4);
		e.v = x;
		e.f = fmt_decompose(b, 8, 23);
		break;
	}
	case LRELU_BFLOAT16: {
		uint16_t b;
		memcpy(&b, p + off * 2, 2);
		e.v = lrelu_bf16_to_f32(b);
		e.f = fmt_decompose((uint32_t)b << 16, 8, 23);
		break;
	}
	case LRELU_FLOAT16: {
		uint16_t b;
		memcpy(&b, p + off * 2, 2);
		e.v = lrelu_f16_to_f32(b);
		e.f = fmt_decompose(b, 5, 10);
		break;
	}
	case LRELU_QINT8:
		e.iv = (int8_t)p[off];
		break;
	case LRELU_QUINT8:
		e.iv = p[off];
		break;
	}
	return e;
}

static enum pkind kind_of(lrelu_dtype dt)
{
	switch (dt) {
	case LRELU_FLOAT64:
		return PK_F64;
	case LRELU_FLOAT16:
		return PK_F16;
	case LRELU_QINT8:
		return PK_I8;
	case LRELU_QUINT8:
		return PK_U8;
	default:
		return PK_F32;
	}
}

/* ---- FloatingFormat ------------------------------------------------------------------- */

struct ffmt {
	enum pkind kind;
	bool exp_format;
	int precision, min_digits, pad_left, pad_right, exp_size;
	enum trim trim;
	int int_width; /* integer kinds */
};

static void format_elem(struct sbuf *out, const struct ffmt *ff, const struct elem *e)
{
	if (ff->kind == PK_I8 || ff->kind == PK_U8) {
		char tmp[16];
		int n = snprintf(tmp, sizeof tmp, "%ld", e->iv);
		out->n = 0;
		for (int i = n; i < ff->int_width; i++)
			fmt_putc(out, ' ');
		for (int i = 0; i < n; i++)
			fmt_putc(out, tmp[i]);
		return;
	}
	if (e->f.kind != 0) {
		const char *s = e->f.kind == 2 ? "nan" : e->f.neg ? "-inf" : "inf";
		int len = (int)strlen(s), width = ff->pad_left + ff->pad_right + 1;
		out->n = 0;
		for (int i = len; i < width; i++)
			fmt_putc(out, ' ');
		for (int i = 0; i < len; i++)
			fmt_putc(out, s[i]);
		return;
	}
	if (ff->exp_format)
		fmt_scientific(out, &e->f, ff->precision, ff->min_digits, ff->trim, ff->pad_left,
		               ff->exp_size);
	else
		fmt_positional(out, &e->f, ff->precision, ff->min_digits, ff->trim, ff->pad_left,
		               ff->pad_right);
}

/* max/min in the array's dtype, as NumPy divides two scalars of that dtype. */
static double ratio_in_dtype(enum pkind k, double mx, double mn)
{
	if (k == PK_F64)
		return mx / mn;
	float r = (float)mx / (float)mn;
	if (k == PK_F16)
		return lrelu_f16_to_f32(lrelu_f32_to_f16(r));
	return r;
}

static void fill_format(struct ffmt *ff, const struct elem *v, size_t n)
{
	memset(ff, 0, sizeof *ff);
	if (ff->kind == PK_I8 || ff->kind == PK_U8)
		return;
	bool any_finite = false, any_nonfinite = false, any_neginf = false, any_nz = false;
	double mx = 0, mn = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].f.kind != 0) {
			any_nonfinite = true;
			if (v[i].f.kind == 1 && v[i].f.neg)
				any_neginf = true;
			continue;
		}
		any_finite = true;
		double a = fabs(v[i].v);
		if (a == 0)
			continue;
		if (!any_nz || a > mx)
			mx = a;
		if (!any_nz || a < mn)
			mn = a;
		any_nz = true;
	}
	ff->precision = NP_PRECISION;
	if (any_nz && (mx >= 1e8 || mn < 0.0001 || ratio_in_dtype(ff->kind, mx, mn) > 1000.))
		ff->exp_format = true;
	if (!any_finite) {
		ff->pad_left = 0;
		ff->pad_right = 0;
		ff->trim = TRIM_ZEROS;
		ff->exp_size = -1;
		ff->min_digits = -1;
	} else if (ff->exp_format) {
		int maxfrac = 0, maxint = 0, maxexp = 0;
		struct sbuf s;
		for (size_t i = 0; i < n; i++) {
			if (v[i].f.kind != 0)
				continue;
			fmt_scientific(&s, &v[i].f, NP_PRECISION, -1, TRIM_ZEROS, -1, -1);
			char *dot = strchr(s.s, '.'), *ep = strchr(s.s, 'e');
			int ni = (int)(dot - s.s), nf = (int)(ep - dot - 1);
			int ne = (int)strlen(ep + 2);
			if (ni > maxint)
				maxint = ni;
			if (nf > maxfrac)
				maxfrac = nf;
			if (ne > maxexp)
				maxexp = ne;
		}
		ff->exp_size = maxexp;
		ff->trim = TRIM_NONE;
		ff->precision = maxfrac;
		ff->min_digits = maxfrac;
		ff->pad_left = maxint;
		ff->pad_right = ff->exp_size + 2 + ff->precision;
	} else {
		int maxfrac = 0, maxint = 0;
		struct sbuf s;
		for (size_t i = 0; i < n; i++) {
			if (v[i].f.kind != 0)
				continue;
			fmt_positional(&s, &v[i].f, NP_PRECISION, -1, TRIM_ZEROS, -1, -1);
			char *dot = strchr(s.s, '.');
			int ni = (int)(dot - s.s), nf = (int)strlen(dot + 1);
			if (ni > maxint)
				maxint = ni;
			if (nf > maxfrac)
				maxfrac = nf;
		}
		ff->pad_left = maxint;
		ff->pad_right = maxfrac;
		ff->exp_size = -1;
		ff->trim = TRIM_ZEROS;
		ff->min_digits = 0;
	}
	if (any_nonfinite) {
		int offset = ff->pad_right + 1;
		int nanlen = 3, inflen = 3 + (any_neginf ? 1 : 0);
		if (nanlen - offset > ff->pad_left)
			ff->pad_left = nanlen - offset;
		if (inflen - offset > ff->pad_left)
			ff->pad_left = inflen - offset;
	}
}

/* ---- str() of a scalar ---------------------------------------------------------------- */

int npyprint_scalar(char *buf, size_t size, double value, lrelu_dtype dtype)
{
	struct fparts f;
	uint64_t b64;
	if (dtype == LRELU_FLOAT64) {
		memcpy(&b64, &value, 8);
		f = fmt_decompose(b64, 11, 52);
	} else if (dtype == LRELU_FLOAT16) {
		f = fmt_decompose(lrelu_f32_to_f16((float)value), 5, 10);
	} else {
		float x = (float)value;
		uint32_t b32;
		memcpy(&b32, &x, 4);
		f = fmt_decompose(b32, 8, 23);
	}
	struct sbuf s;
	fmt_scalar(&s, &f, value);
	return snprintf(buf, size, "%s", s.s);
}

/* ---- _formatArray ----------------------------------------------------------------------- */

struct dstr {
	char *s;
	size_t n, cap;
	bool oom;
};

static void ds_add(struct dstr *d, const char *s, size_t n)
{
	if (d->oom)
		return;
	if (d->n + n + 1 > d->cap) {
		size_t cap = d->cap ? d->cap : 256;
		while (cap < d->n + n + 1)
			cap *= 2;
		char *p = realloc(d->s, cap);
		if (!p) {
			d->oom = true;
			return;
		}
		d->s = p;
		d->cap = cap;
	}
	memcpy(d->s + d->n, s, n);
	d->n += n;
	d->s[d->n] = '\0';
}

static void ds_puts(struct dstr *d, const char *s)
{
	ds_add(d, s, strlen(s));
}

static void ds_spaces(struct dstr *d, int n)
{
	for (int i = 0; i < n; i++)
		ds_add(d, " ", 1);
}

struct layout {
	int ndim;
	const int64_t *shape;
	bool summary;
	/* The displayed elements, formatted, in C order of the displayed index set. */
	char **words;
	size_t next;
};

/* Number of displayed entries along an axis. */
static int64_t shown(const struct layout *L, int axis)
{
	int64_t n = L->shape[axis];
	return (L->summary && n > 2 * NP_EDGEITEMS) ? 2 * NP_EDGEITEMS : n;
}

/* _extendLine: wrap before word if the line would pass width (unless that cannot help). */
static void extend_line(struct dstr *s, struct dstr *line, const char *word, int width,
                        int indent)
{
	bool wrap = (int)(line->n + strlen(word)) > width;
	if ((int)line->n <= indent)
		wrap = false;
	if (wrap) {
		size_t n = line->n;
		while (n > 0 && line->s[n - 1] == ' ')
			n--;
		ds_add(s, line->s, n);
		ds_puts(s, "\n");
		line->n = 0;
		ds_spaces(line, indent);
	}
	ds_puts(line, word);
}

/* recurser(index, hanging_indent, curr_width); the result is appended to out. */
static void recurse(struct layout *L, int axis, int indent, int width, struct dstr *out)
{
	if (axis == L->ndim) {
		ds_puts(out, L->words[L->next++]);
		return;
	}
	int axes_left = L->ndim - axis;
	int64_t len = L->shape[axis], cnt = shown(L, axis);
	bool summary = cnt < len;
	struct dstr s = {0};
	if (axes_left == 1) {
		int elem_width = width - 1;
		struct dstr line = {0};
		ds_spaces(&line, indent);
		for (int64_t i = 0; i < cnt; i++) {
			if (summary && i == NP_EDGEITEMS) {
				extend_line(&s, &line, "...", elem_width, indent);
				ds_puts(&line, " ");
			}
			extend_line(&s, &line, L->words[L->next++], elem_width, indent);
			if (i + 1 < cnt)
				ds_puts(&line, " ");
		}
		ds_add(&s, line.s, line.n);
		if (line.oom)
			s.oom = true;
		free(line.s);
	} else {
		char sep[LRELU_MAX_DIMS + 1];
		int nsep = axes_left - 1;
		memset(sep, '\n', (size_t)nsep);
		sep[nsep] = '\0';
		for (int64_t i = 0; i < cnt; i++) {
			if (summary && i == NP_EDGEITEMS) {
				ds_spaces(&s, indent);
				ds_puts(&s, "...");
				ds_puts(&s, sep);
			}
			ds_spaces(&s, indent);
			recurse(L, axis + 1, indent + 1, width - 1, &s);
			if (i + 1 < cnt)
				ds_puts(&s, sep);
		}
	}
	ds_puts(out, "[");
	if (s.n >= (size_t)indent)
		ds_add(out, s.s + indent, s.n - (size_t)indent);
	ds_puts(out, "]");
	if (s.oom)
		out->oom = true;
	free(s.s);
}

/* Visits the displayed elements in order, calling fn with each element offset. */
static int visit(int nd, const int64_t *shape, const int64_t *strides, bool summary,
                 int (*fn)(void *ctx, int64_t off), void *ctx)
{
	int64_t idx[LRELU_MAX_DIMS] = {0};
	for (;;) {
		int64_t off = 0;
		for (int d = 0; d < nd; d++)
			off += idx[d] * strides[d];
		if (fn(ctx, off))
			return -1;
		int d = nd - 1;
		for (; d >= 0; d--) {
			int64_t n = shape[d];
			bool cut = summary && n > 2 * NP_EDGEITEMS;
			idx[d]++;
			if (cut && idx[d] == NP_EDGEITEMS)
				idx[d] = n - NP_EDGEITEMS;
			if (idx[d] < n)
				break;
			idx[d] = 0;
		}
		if (d < 0)
			return 0;
	}
}

struct collect {
	const lrelu_tensor *t;
	struct elem *v;
	size_t n;
};

static int collect_one(void *ctx, int64_t off)
{
	struct collect *c = ctx;
	c->v[c->n++] = load(c->t, off);
	return 0;
}

/* Whether print() summarises shape (more than NP_THRESHOLD elements), and whether it
 * is empty; the product saturates, so any shape is safe. */
static void size_class(int ndim, const int64_t *shape, bool *summary, bool *empty)
{
	uint64_t size = 1;
	*empty = false;
	for (int d = 0; d < ndim; d++) {
		if (shape[d] <= 0)
			*empty = true;
		else if (size <= NP_THRESHOLD)
			size *= (uint64_t)shape[d];
	}
	*summary = !*empty && size > NP_THRESHOLD;
}

bool npyprint_summarises(int ndim, const int64_t *shape)
{
	bool summary, empty;
	size_class(ndim, shape, &summary, &empty);
	return summary;
}

int npyprint_visit_shown(int ndim, const int64_t *shape, const int64_t *strides,
                         int (*fn)(void *ctx, int64_t off), void *ctx)
{
	bool summary, empty;
	size_class(ndim, shape, &summary, &empty);
	return empty ? 0 : visit(ndim, shape, strides, summary, fn, ctx);
}

size_t npyprint_shown_count(int ndim, const int64_t *shape)
{
	bool summary, empty;
	size_class(ndim, shape, &summary, &empty);
	if (empty)
		return 0;
	size_t count = 1;
	for (int d = 0; d < ndim; d++) {
		int64_t n = shape[d];
		count *= (size_t)((summary && n > 2 * NP_EDGEITEMS) ? 2 * NP_EDGEITEMS : n);
	}
	return count;
}

/* compact: t->data holds only the displayed elements, in order (npyprint_shown). */
static int print_impl(FILE *out, const lrelu_tensor *t, bool compact)
{
	int64_t strides[LRELU_MAX_DIMS];
	int64_t step = 1;
	if (t->ndim < 0 || t->ndim > LRELU_MAX_DIMS) {
		errno = EINVAL;
		return -1;
	}
	for (int d = t->ndim - 1; d >= 0; d--) {
		strides[d] = t->strides ? t->strides[d] : step;
		step *= t->shape[d] > 0 ? t->shape[d] : 1;
	}
	bool summary, empty;
	size_class(t->ndim, t->shape, &summary, &empty);
	enum pkind kind = kind_of(t->dtype);

	if (t->ndim == 0) {
		struct elem e = load(t, 0);
		if (kind == PK_I8 || kind == PK_U8) {
			if (fprintf(out, "%ld\n", e.iv) < 0)
				return -1;
		} else {
			struct sbuf s;
			fmt_scalar(&s, &e.f, e.v);
			if (fprintf(out, "%s\n", s.s) < 0)
				return -1;
		}
		return ferror(out) ? -1 : 0;
	}
	if (empty) {
		if (fputs("[]\n", out) < 0)
			return -1;
		return ferror(out) ? -1 : 0;
	}

	size_t count = npyprint_shown_count(t->ndim, t->shape);
	struct collect c = {t, malloc(count * sizeof(struct elem)), 0};
	char **words = calloc(count, sizeof(char *));
	int rc = -1;
	if (!c.v || !words)
		goto done;
	if (compact)
		for (size_t i = 0; i < count; i++)
			c.v[c.n++] = load(t, (int64_t)i);
	else
		visit(t->ndim, t->shape, strides, summary, collect_one, &c);

	struct ffmt ff;
	ff.kind = kind;
	fill_format(&ff, c.v, count);
	ff.kind = kind;
	if (kind == PK_I8 || kind == PK_U8) {
		long mx = c.v[0].iv, mn = c.v[0].iv;
		for (size_t i = 0; i < count; i++) {
			if (c.v[i].iv > mx)
				mx = c.v[i].iv;
			if (c.v[i].iv < mn)
				mn = c.v[i].iv;
		}
		char a[16], b[16];
		int la = snprintf(a, sizeof a, "%ld", mx), lb = snprintf(b, sizeof b, "%ld", mn);
		ff.int_width = la > lb ? la : lb;
	}
	for (size_t i = 0; i < count; i++) {
		struct sbuf s;
		format_elem(&s, &ff, &c.v[i]);
		words[i] = strdup(s.s);
		if (!words[i])
			goto done;
	}
	struct layout L = {t->ndim, t->shape, summary, words, 0};
	struct dstr text = {0};
	recurse(&L, 0, 1, NP_LINEWIDTH, &text);
	if (!text.oom) {
		ds_puts(&text, "\n");
		rc = fputs(text.s, out) < 0 || ferror(out) ? -1 : 0;
	}
	free(text.s);
done:
	if (words)
		for (size_t i = 0; i < count; i++)
			free(words[i]);
	free(words);
	free(c.v);
	if (rc != 0 && errno == 0)
		errno = ENOMEM;
	return rc;
}

int npyprint_tensor(FILE *out, const lrelu_tensor *t)
{
	return print_impl(out, t, false);
}

int npyprint_shown(FILE *out, const lrelu_tensor *t)
{
	return print_impl(out, t, true);
}

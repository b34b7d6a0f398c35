/* npyprint.c - NumPy 1.24 print(arr) for float and 8-bit integer tensors: Dragon4 digits,
 * FloatingFormat padding and scientific switch, _formatArray wrapping and summarisation */
#include "npyprint.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* NumPy's default print options. */
enum { NP_PRECISION = 8, NP_LINEWIDTH = 75, NP_THRESHOLD = 1000, NP_EDGEITEMS = 3 };

/* ---- exact big integers, enough for every float64 (about 1130 bits) ---------------- */

enum { BIG_BLOCKS = 48 };

typedef struct big {
	int len; /* blocks in use; no leading zero block */
	uint32_t b[BIG_BLOCKS];
} big;

static void big_set(big *r, uint64_t v)
{
	r->len = 0;
	while (v) {
		r->b[r->len++] = (uint32_t)v;
		v >>= 32;
	}
}

static void big_trim(big *r)
{
	while (r->len > 0 && r->b[r->len - 1] == 0)
		r->len--;
}

static void big_shl(big *r, int n)
{
	int words = n / 32, bits = n % 32;
	if (r->len == 0 || n == 0)
		return;
	int len = r->len + words + 1;
	for (int i = len - 1; i >= 0; i--) {
		int src = i - words;
		uint32_t hi = (src >= 0 && src < r->len) ? r->b[src] : 0;
		uint32_t lo = (src - 1 >= 0 && src - 1 < r->len) ? r->b[src - 1] : 0;
		r->b[i] = bits ? (hi << bits) | (lo >> (32 - bits)) : hi;
	}
	r->len = len;
	big_trim(r);
}

static void big_pow2(big *r, int n)
{
	big_set(r, 1);
	big_shl(r, n);
}

static void big_mul_small(big *r, uint32_t m)
{
	uint64_t carry = 0;
	for (int i = 0; i < r->len; i++) {
		uint64_t p = (uint64_t)r->b[i] * m + carry;
		r->b[i] = (uint32_t)p;
		carry = p >> 32;
	}
	if (carry)
		r->b[r->len++] = (uint32_t)carry;
}

static void big_mul_pow10(big *r, int k)
{
	for (; k >= 9; k -= 9)
		big_mul_small(r, 1000000000u);
	static const uint32_t p10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
	                                100000000};
	if (k > 0)
		big_mul_small(r, p10[k]);
}

static int big_cmp(const big *a, const big *b)
{
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	for (int i = a->len - 1; i >= 0; i--)
		if (a->b[i] != b->b[i])
			return a->b[i] < b->b[i] ? -1 : 1;
	return 0;
}

static void big_add(big *r, const big *a, const big *b)
{
	const big *l = a->len >= b->len ? a : b, *s = a->len >= b->len ? b : a;
	uint64_t carry = 0;
	int len = l->len;
	for (int i = 0; i < len; i++) {
		uint64_t t = (uint64_t)l->b[i] + (i < s->len ? s->b[i] : 0) + carry;
		r->b[i] = (uint32_t)t;
		carry = t >> 32;
	}
	r->len = len;
	if (carry)
		r->b[r->len++] = (uint32_t)carry;
}

/* a -= b, with a >= b. */
static void big_sub(big *a, const big *b)
{
	int64_t borrow = 0;
	for (int i = 0; i < a->len; i++) {
		int64_t t = (int64_t)a->b[i] - (i < b->len ? b->b[i] : 0) - borrow;
		borrow = t < 0;
		a->b[i] = (uint32_t)(t + (borrow ? ((int64_t)1 << 32) : 0));
	}
	big_trim(a);
}

/* ---- Dragon4 (Steele & White / Burger & Dybvig), with NumPy's cut-off rules ---------- */

/* A finite value as mantissa * 2^exponent. */
struct fparts {
	uint64_t mant;
	int exp;
	int mbit;     /* index of the highest set mantissa bit */
	bool unequal; /* the gap above is twice the gap below (a power of two) */
	bool neg;
	int kind;     /* 0 finite, 1 inf, 2 nan */
};

static struct fparts decompose(uint64_t bits, int ebits, int mbits)
{
	struct fparts f;
	int bias = (1 << (ebits - 1)) - 1;
	uint64_t mmask = ((uint64_t)1 << mbits) - 1;
	uint64_t e = (bits >> mbits) & ((1u << ebits) - 1);
	uint64_t m = bits & mmask;
	f.neg = (bits >> (mbits + ebits)) & 1;
	f.kind = 0;
	if (e == (1u << ebits) - 1u) {
		f.kind = m ? 2 : 1;
		f.mant = 0;
		f.exp = 0;
		f.mbit = 0;
		f.unequal = false;
		return f;
	}
	if (e != 0) {
		f.mant = m | ((uint64_t)1 << mbits);
		f.exp = (int)e - bias - mbits;
		f.mbit = mbits;
		f.unequal = e != 1 && m == 0;
	} else {
		f.mant = m;
		f.exp = 1 - bias - mbits;
		f.mbit = 0;
		for (int i = 0; i < 64; i++)
			if (m >> i & 1)
				f.mbit = i;
		f.unequal = false;
	}
	return f;
}

enum cutoff { CUT_TOTAL, CUT_FRACTION };

/* Writes the digits of mant * 2^exp into out (no NUL) and the decimal exponent of the
 * first digit into *out_exp; returns the digit count.  Unique (shortest) digits, but
 * at most cut_max and at least cut_min (counted as total digits or as digits after
 * the point; -1 = no bound); the last digit is rounded half to even. */
static int dragon4(const struct fparts *f, enum cutoff mode, int cut_max, int cut_min,
                   char *out, int *out_exp)
{
	big value, scale, mlow, mhigh, tmp;
	bool even = (f->mant & 1) == 0;
	if (f->mant == 0) {
		out[0] = '0';
		*out_exp = 0;
		return 1;
	}
	big_set(&value, f->mant);
	if (f->unequal) {
		if (f->exp > 0) {
			big_shl(&value, f->exp + 2);
			big_set(&scale, 4);
			big_pow2(&mlow, f->exp);
		} else {
			big_shl(&value, 2);
			big_pow2(&scale, -f->exp + 2);
			big_set(&mlow, 1);
		}
	} else {
		if (f->exp > 0) {
			big_shl(&value, f->exp + 1);
			big_set(&scale, 2);
			big_pow2(&mlow, f->exp);
		} else {
			big_shl(&value, 1);
			big_pow2(&scale, -f->exp + 1);
			big_set(&mlow, 1);
		}
	}
	/* An estimate of floor(log10(v)) + 1 that is right or one too small. */
	int k = (int)ceil((double)(f->mbit + f->exp) * 0.30102999566398119521 - 0.69);
	if (cut_max >= 0 && mode == CUT_FRACTION && k <= -cut_max)
		k = -cut_max + 1;
	if (k > 0) {
		big_mul_pow10(&scale, k);
	} else if (k < 0) {
		big_mul_pow10(&value, -k);
		big_mul_pow10(&mlow, -k);
	}
	if (big_cmp(&value, &scale) >= 0) {
		k++;
	} else {
		big_mul_small(&value, 10);
		big_mul_small(&mlow, 10);
	}
	mhigh = mlow;
	if (f->unequal)
		big_shl(&mhigh, 1);

	int cut_max_exp = k - 400;
	if (cut_max >= 0) {
		int want = mode == CUT_TOTAL ? k - cut_max : -cut_max;
		if (want > cut_max_exp)
			cut_max_exp = want;
	}
	int cut_min_exp = k;
	if (cut_min >= 0) {
		int want = mode == CUT_TOTAL ? k - cut_min : -cut_min;
		if (want < cut_min_exp)
			cut_min_exp = want;
	}
	*out_exp = k - 1;

	int n = 0;
	unsigned digit;
	bool low, high;
	for (;;) {
		k--;
		digit = 0;
		while (big_cmp(&value, &scale) >= 0) {
			big_sub(&value, &scale);
			digit++;
		}
		big_add(&tmp, &value, &mhigh);
		int c = big_cmp(&value, &mlow);
		low = even ? c <= 0 : c < 0;
		c = big_cmp(&tmp, &scale);
		high = even ? c >= 0 : c > 0;
		if (((low || high) && k <= cut_min_exp) || k == cut_max_exp)
			break;
		out[n++] = (char)('0' + digit);
		big_mul_small(&value, 10);
		big_mul_small(&mlow, 10);
		mhigh = mlow;
		if (f->unequal)
			big_shl(&mhigh, 1);
	}
	bool down = low;
	if (low == high) {
		big_shl(&value, 1);
		int c = big_cmp(&value, &scale);
		down = c < 0;
		if (c == 0)
			down = (digit & 1) == 0;
	}
	if (down) {
		out[n++] = (char)('0' + digit);
	} else if (digit < 9) {
		out[n++] = (char)('0' + digit + 1);
	} else {
		/* Carry into the earlier nines; past the first digit the exponent grows. */
		for (;;) {
			if (n == 0) {
				out[n++] = '1';
				*out_exp += 1;
				break;
			}
			n--;
			if (out[n] != '9') {
				out[n]++;
				n++;
				break;
			}
		}
	}
	return n;
}

/* ---- Format_positional / Format_scientific, the subset print() uses ----------------- */

enum trim { TRIM_NONE, TRIM_ZEROS, TRIM_ONE_ZERO, TRIM_DPT_ZEROS };

struct sbuf {
	char s[1200];
	int n;
};

static void sb_putc(struct sbuf *b, char c)
{
	if (b->n < (int)sizeof b->s - 1)
		b->s[b->n++] = c;
	b->s[b->n] = '\0';
}

/* Positional text with precision digits after the point at most (-1: unique). */
static void fmt_positional(struct sbuf *out, const struct fparts *f, int precision,
                           int min_digits, enum trim trim, int pad_left, int pad_right)
{
	char d[800];
	int e, nd = dragon4(f, CUT_FRACTION, precision, min_digits, d, &e);
	char whole[400], frac[800];
	int nw = 0, nf = 0;
	if (e >= 0) {
		for (int i = 0; i <= e; i++)
			whole[nw++] = i < nd ? d[i] : '0';
		for (int i = e + 1; i < nd; i++)
			frac[nf++] = d[i];
	} else {
		whole[nw++] = '0';
		for (int i = 0; i < -(e + 1); i++)
			frac[nf++] = '0';
		for (int i = 0; i < nd; i++)
			frac[nf++] = d[i];
	}
	if (trim == TRIM_NONE && min_digits > nf)
		while (nf < min_digits)
			frac[nf++] = '0';
	if (precision >= 0 && trim != TRIM_NONE)
		while (nf > 0 && frac[nf - 1] == '0')
			nf--;
	if (trim == TRIM_ONE_ZERO && nf == 0)
		frac[nf++] = '0';
	int has_sign = f->neg;
	out->n = 0;
	for (int i = nw + has_sign; i < pad_left; i++)
		sb_putc(out, ' ');
	if (has_sign)
		sb_putc(out, '-');
	for (int i = 0; i < nw; i++)
		sb_putc(out, whole[i]);
	if (!(trim == TRIM_DPT_ZEROS && nf == 0))
		sb_putc(out, '.');
	for (int i = 0; i < nf; i++)
		sb_putc(out, frac[i]);
	if (pad_right >= nf) {
		if (trim == TRIM_DPT_ZEROS && nf == 0)
			sb_putc(out, ' ');
		for (int i = nf; i < pad_right; i++)
			sb_putc(out, ' ');
	}
}

/* Scientific text d.ddde+XX with precision digits after the point at most. */
static void fmt_scientific(struct sbuf *out, const struct fparts *f, int precision,
                           int min_digits, enum trim trim, int pad_left, int exp_digits)
{
	char d[800];
	int e;
	int nd = dragon4(f, CUT_TOTAL, precision < 0 ? -1 : precision + 1,
	                 min_digits < 0 ? -1 : min_digits + 1, d, &e);
	int nf = nd - 1;
	char *frac = d + 1;
	if (trim == TRIM_NONE && min_digits > nf)
		while (nf < min_digits)
			frac[nf++] = '0';
	if (precision >= 0 && trim != TRIM_NONE)
		while (nf > 0 && frac[nf - 1] == '0')
			nf--;
	if (trim == TRIM_ONE_ZERO && nf == 0)
		frac[nf++] = '0';
	out->n = 0;
	for (int i = 1 + f->neg; i < pad_left; i++)
		sb_putc(out, ' ');
	if (f->neg)
		sb_putc(out, '-');
	sb_putc(out, d[0]);
	if (!(trim == TRIM_DPT_ZEROS && nf == 0))
		sb_putc(out, '.');
	for (int i = 0; i < nf; i++)
		sb_putc(out, frac[i]);
	sb_putc(out, 'e');
	sb_putc(out, e < 0 ? '-' : '+');
	unsigned ue = (unsigned)(e < 0 ? -e : e);
	char ed[8];
	int ne = 0;
	do {
		ed[ne++] = (char)('0' + ue % 10);
		ue /= 10;
	} while (ue);
	if (exp_digits < 0)
		exp_digits = 2;
	for (int i = ne; i < exp_digits; i++)
		sb_putc(out, '0');
	while (ne > 0)
		sb_putc(out, ed[--ne]);
}

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
		e.f = decompose(b, 11, 52);
		break;
	}
	case LRELU_FLOAT32: {
		uint32_t b;
		float x;
		memcpy(&b, p + off * 4, 4);
		memcpy(&x, &b, 4);
		e.v = x;
		e.f = decompose(b, 8, 23);
		break;
	}
	case LRELU_BFLOAT16: {
		uint16_t b;
		memcpy(&b, p + off * 2, 2);
		e.v = lrelu_bf16_to_f32(b);
		e.f = decompose((uint32_t)b << 16, 8, 23);
		break;
	}
	case LRELU_FLOAT16: {
		uint16_t b;
		memcpy(&b, p + off * 2, 2);
		e.v = lrelu_f16_to_f32(b);
		e.f = decompose(b, 5, 10);
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
			sb_putc(out, ' ');
		for (int i = 0; i < n; i++)
			sb_putc(out, tmp[i]);
		return;
	}
	if (e->f.kind != 0) {
		const char *s = e->f.kind == 2 ? "nan" : e->f.neg ? "-inf" : "inf";
		int len = (int)strlen(s), width = ff->pad_left + ff->pad_right + 1;
		out->n = 0;
		for (int i = len; i < width; i++)
			sb_putc(out, ' ');
		for (int i = 0; i < len; i++)
			sb_putc(out, s[i]);
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

static void scalar_text(struct sbuf *out, const struct fparts *f, double v)
{
	if (f->kind != 0) {
		out->n = 0;
		const char *s = f->kind == 2 ? "nan" : f->neg ? "-inf" : "inf";
		while (*s)
			sb_putc(out, *s++);
		return;
	}
	double a = fabs(v);
	if (a == 0 || (a >= 1e-4 && a < 1e16))
		fmt_positional(out, f, -1, -1, TRIM_ONE_ZERO, -1, -1);
	else
		fmt_scientific(out, f, -1, -1, TRIM_DPT_ZEROS, -1, -1);
}

int npyprint_scalar(char *buf, size_t size, double value, lrelu_dtype dtype)
{
	struct fparts f;
	uint64_t b64;
	if (dtype == LRELU_FLOAT64) {
		memcpy(&b64, &value, 8);
		f = decompose(b64, 11, 52);
	} else if (dtype == LRELU_FLOAT16) {
		f = decompose(lrelu_f32_to_f16((float)value), 5, 10);
	} else {
		float x = (float)value;
		uint32_t b32;
		memcpy(&b32, &x, 4);
		f = decompose(b32, 8, 23);
	}
	struct sbuf s;
	scalar_text(&s, &f, value);
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
static int visit(const lrelu_tensor *t, const int64_t *strides, bool summary,
                 int (*fn)(void *ctx, int64_t off), void *ctx)
{
	int nd = t->ndim;
	int64_t idx[LRELU_MAX_DIMS] = {0};
	for (;;) {
		int64_t off = 0;
		for (int d = 0; d < nd; d++)
			off += idx[d] * strides[d];
		if (fn(ctx, off))
			return -1;
		int d = nd - 1;
		for (; d >= 0; d--) {
			int64_t n = t->shape[d];
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
			scalar_text(&s, &e.f, e.v);
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
		visit(t, strides, summary, collect_one, &c);

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

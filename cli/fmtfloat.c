/* fmtfloat.c - exact float-to-decimal text as NumPy 1.24 writes it: Dragon4 with NumPy's
 * cut-off rules, Format_positional / Format_scientific, and str() of a scalar */
#include "fmtfloat.h"

#include <math.h>

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

struct fparts fmt_decompose(uint64_t bits, int ebits, int mbits)
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
	/* value / scale is the number; mlow / scale half the gap below it.  Both are scaled
	 * by 2 (by 4 where the gap above is twice the gap below) so that the margins are
	 * whole numbers. */
	int sh = f->unequal ? 2 : 1;
	big_set(&value, f->mant);
	if (f->exp > 0) {
		big_shl(&value, f->exp + sh);
		big_set(&scale, 1u << sh);
		big_pow2(&mlow, f->exp);
	} else {
		big_shl(&value, sh);
		big_pow2(&scale, -f->exp + sh);
		big_set(&mlow, 1);
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

void fmt_putc(struct sbuf *b, char c)
{
	if (b->n < (int)sizeof b->s - 1)
		b->s[b->n++] = c;
	b->s[b->n] = '\0';
}

/* The digits after the point, nf of them, padded with zeros to min_digits or trimmed
 * as trim says (trailing zeros go only where precision is bounded); returns the count. */
static int trim_fraction(char *frac, int nf, int precision, int min_digits, enum trim trim)
{
	if (trim == TRIM_NONE && min_digits > nf)
		while (nf < min_digits)
			frac[nf++] = '0';
	if (precision >= 0 && trim != TRIM_NONE)
		while (nf > 0 && frac[nf - 1] == '0')
			nf--;
	if (trim == TRIM_ONE_ZERO && nf == 0)
		frac[nf++] = '0';
	return nf;
}

void fmt_positional(struct sbuf *out, const struct fparts *f, int precision,
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
	nf = trim_fraction(frac, nf, precision, min_digits, trim);
	int has_sign = f->neg;
	out->n = 0;
	for (int i = nw + has_sign; i < pad_left; i++)
		fmt_putc(out, ' ');
	if (has_sign)
		fmt_putc(out, '-');
	for (int i = 0; i < nw; i++)
		fmt_putc(out, whole[i]);
	if (!(trim == TRIM_DPT_ZEROS && nf == 0))
		fmt_putc(out, '.');
	for (int i = 0; i < nf; i++)
		fmt_putc(out, frac[i]);
	if (pad_right >= nf) {
		if (trim == TRIM_DPT_ZEROS && nf == 0)
			fmt_putc(out, ' ');
		for (int i = nf; i < pad_right; i++)
			fmt_putc(out, ' ');
	}
}

void fmt_scientific(struct sbuf *out, const struct fparts *f, int precision,
                    int min_digits, enum trim trim, int pad_left, int exp_digits)
{
	char d[800];
	int e;
	int nd = dragon4(f, CUT_TOTAL, precision < 0 ? -1 : precision + 1,
	                 min_digits < 0 ? -1 : min_digits + 1, d, &e);
	int nf = nd - 1;
	char *frac = d + 1;
	nf = trim_fraction(frac, nf, precision, min_digits, trim);
	out->n = 0;
	for (int i = 1 + f->neg; i < pad_left; i++)
		fmt_putc(out, ' ');
	if (f->neg)
		fmt_putc(out, '-');
	fmt_putc(out, d[0]);
	if (!(trim == TRIM_DPT_ZEROS && nf == 0))
		fmt_putc(out, '.');
	for (int i = 0; i < nf; i++)
		fmt_putc(out, frac[i]);
	fmt_putc(out, 'e');
	fmt_putc(out, e < 0 ? '-' : '+');
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
		fmt_putc(out, '0');
	while (ne > 0)
		fmt_putc(out, ed[--ne]);
}

/* ---- str() of a scalar ---------------------------------------------------------------- */

/* Python's repr switch: positional for 1e-4 <= |v| < 1e16 (and zero), else scientific. */
void fmt_scalar(struct sbuf *out, const struct fparts *f, double v)
{
	if (f->kind != 0) {
		out->n = 0;
		const char *s = f->kind == 2 ? "nan" : f->neg ? "-inf" : "inf";
		while (*s)
			fmt_putc(out, *s++);
		return;
	}
	double a = fabs(v);
	if (a == 0 || (a >= 1e-4 && a < 1e16))
		fmt_positional(out, f, -1, -1, TRIM_ONE_ZERO, -1, -1);
	else
		fmt_scientific(out, f, -1, -1, TRIM_DPT_ZEROS, -1, -1);
}

/* literal.c - a strict parser for array literals typed on the command line */
#include "literal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct lp {
	const char *s, *p;
	struct literal *lit;
	size_t cap;
	int depth_seen; /* depth of the first number (or innermost empty list), -1 unknown */
	int64_t lens[LRELU_MAX_DIMS]; /* row length per depth, -1 until first closed */
	char *err;
	size_t errsz;
};

static int lp_fail(struct lp *l, const char *what)
{
	snprintf(l->err, l->errsz, "malformed literal at offset %ld: %s", (long)(l->p - l->s),
	         what);
	return -1;
}

static void ws(struct lp *l)
{
	while (*l->p == ' ' || *l->p == '\t' || *l->p == '\n' || *l->p == '\r')
		l->p++;
}

/* Length of the number at s (Python float syntax, plus nan/inf), 0 if none. */
static size_t number_len(const char *s)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	static const char *const words[] = {"nan", "inf", "infinity"};
	for (int i = 2; i >= 0; i--) {
		size_t n = strlen(words[i]);
		if (strncasecmp(p, words[i], n) == 0)
			return (size_t)(p - s) + n;
	}
	const char *q = p;
	while (*q >= '0' && *q <= '9')
		q++;
	size_t intd = (size_t)(q - p);
	size_t fracd = 0;
	if (*q == '.') {
		q++;
		const char *f = q;
		while (*q >= '0' && *q <= '9')
			q++;
		fracd = (size_t)(q - f);
	}
	if (intd + fracd == 0)
		return 0;
	if (*q == 'e' || *q == 'E') {
		const char *e = q + 1;
		if (*e == '+' || *e == '-')
			e++;
		if (*e >= '0' && *e <= '9') {
			while (*e >= '0' && *e <= '9')
				e++;
			q = e;
		}
	}
	return (size_t)(q - s);
}

static int push(struct lp *l, const char *text, size_t n)
{
	struct literal *lit = l->lit;
	char buf[128];
	if (lit->count >= LITERAL_MAX_ELEMS)
		return lp_fail(l, "too many elements");
	if (n >= sizeof buf)
		return lp_fail(l, "number too long");
	memcpy(buf, text, n);
	buf[n] = '\0';
	if (lit->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		double *v = realloc(lit->values, cap * sizeof *v);
		if (!v)
			return lp_fail(l, "out of memory");
		lit->values = v;
		float *f = realloc(lit->values32, cap * sizeof *f);
		if (!f)
			return lp_fail(l, "out of memory");
		lit->values32 = f;
		l->cap = cap;
	}
	lit->values[lit->count] = strtod(buf, NULL);
	lit->values32[lit->count] = strtof(buf, NULL);
	lit->count++;
	return 0;
}

/* One value at depth d: a number or a list. */
static int value(struct lp *l, int d)
{
	ws(l);
	if (*l->p == '[') {
		if (d >= LRELU_MAX_DIMS)
			return lp_fail(l, "too deeply nested");
		l->p++;
		int64_t n = 0;
		ws(l);
		while (*l->p != ']') {
			if (value(l, d + 1) != 0)
				return -1;
			n++;
			ws(l);
			if (*l->p == ',') {
				l->p++;
				ws(l);
			} else if (*l->p != ']') {
				return lp_fail(l, "expected ',' or ']'");
			}
		}
		if (n == 0) {
			/* An empty list is a leaf at this depth + 1. */
			if (l->depth_seen < 0)
				l->depth_seen = d + 1;
			else if (l->depth_seen != d + 1)
				return lp_fail(l, "rows of different depths");
		}
		if (l->lens[d] < 0)
			l->lens[d] = n;
		else if (l->lens[d] != n)
			return lp_fail(l, "rows of different lengths");
		l->p++;
		return 0;
	}
	size_t n = number_len(l->p);
	if (n == 0)
		return lp_fail(l, *l->p ? "expected a number or '['" : "unexpected end");
	if (l->depth_seen < 0)
		l->depth_seen = d;
	else if (l->depth_seen != d)
		return lp_fail(l, "rows of different depths");
	if (push(l, l->p, n) != 0)
		return -1;
	l->p += n;
	return 0;
}

int literal_number(const char *s, double *v)
{
	/* Python strips the ASCII whitespace str.isspace() knows. */
	static const char blanks[] = " \t\n\r\v\f";
	s += strspn(s, blanks);
	size_t n = number_len(s);
	if (n == 0 || s[n + strspn(s + n, blanks)] != '\0')
		return -1;
	*v = strtod(s, NULL); /* it reads exactly the n characters number_len accepted */
	return 0;
}

bool literal_looks_like(const char *s)
{
	if (s[0] == '[')
		return true;
	size_t n = number_len(s);
	return n > 0 && s[n] == '\0';
}

int literal_parse(const char *s, struct literal *lit, char *err, size_t errsz)
{
	struct lp l;
	memset(lit, 0, sizeof *lit);
	memset(&l, 0, sizeof l);
	l.s = l.p = s;
	l.lit = lit;
	l.depth_seen = -1;
	l.err = err;
	l.errsz = errsz;
	for (int i = 0; i < LRELU_MAX_DIMS; i++)
		l.lens[i] = -1;
	if (value(&l, 0) != 0)
		goto bad;
	ws(&l);
	if (*l.p != '\0') {
		lp_fail(&l, "text after the literal");
		goto bad;
	}
	lit->ndim = l.depth_seen;
	for (int i = 0; i < lit->ndim; i++)
		lit->shape[i] = l.lens[i];
	return 0;
bad:
	literal_free(lit);
	return -1;
}

void literal_convert(const struct literal *lit, lrelu_dtype dtype, void *out)
{
	for (size_t i = 0; i < lit->count; i++) {
		switch (dtype) {
		case LRELU_FLOAT64:
			((double *)out)[i] = lit->values[i];
			break;
		case LRELU_FLOAT32:
			((float *)out)[i] = lit->values32[i];
			break;
		case LRELU_FLOAT16:
			((uint16_t *)out)[i] = lrelu_f32_to_f16(lit->values32[i]);
			break;
		case LRELU_BFLOAT16:
			((uint16_t *)out)[i] = lrelu_f32_to_bf16(lit->values32[i]);
			break;
		default:
			break;
		}
	}
}

void literal_free(struct literal *lit)
{
	free(lit->values);
	free(lit->values32);
	lit->values = NULL;
	lit->values32 = NULL;
	lit->count = 0;
}

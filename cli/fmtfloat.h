/* fmtfloat.h - exact float-to-decimal text as NumPy 1.24 writes it (Dragon4 digits,
 * positional and scientific forms); the engine under npyprint.c's array layout */
#ifndef LRELU_FMTFLOAT_H
#define LRELU_FMTFLOAT_H

#include <stdbool.h>
#include <stdint.h>

/* A float as mantissa * 2^exponent, or an infinity or NaN (any width: 16, 32, 64 bits). */
struct fparts {
	uint64_t mant;
	int exp;
	int mbit;     /* index of the highest set mantissa bit */
	bool unequal; /* the gap above is twice the gap below (a power of two) */
	bool neg;
	int kind;     /* 0 finite, 1 inf, 2 nan */
};

/* NumPy's trim modes: 'k' keep, '.' trim zeros, '0' keep one zero, '-' drop the point. */
enum trim { TRIM_NONE, TRIM_ZEROS, TRIM_ONE_ZERO, TRIM_DPT_ZEROS };

/* A text buffer long enough for any float64 written positionally with every digit;
 * always NUL-terminated. */
struct sbuf {
	char s[1200];
	int n;
};

/* Splits the bit pattern of an IEEE binary float with ebits exponent and mbits mantissa
 * bits (5/10 float16, 8/23 float32 and bfloat16 shifted left 16, 11/52 float64). */
struct fparts fmt_decompose(uint64_t bits, int ebits, int mbits);

/* Appends c (dropped if b is full). */
void fmt_putc(struct sbuf *b, char c);

/*
 * NumPy's Format_positional / Format_scientific for a finite f, replacing out's text:
 * precision digits after the point at most (-1: the shortest digits that round-trip),
 * at least min_digits (-1: no minimum), trimmed as trim says, padded on the left to
 * pad_left characters before the point and (positional) on the right to pad_right after
 * it; exp_digits is the exponent's minimum width (-1: 2).  Digits are exact, the last
 * one rounded half to even.
 */
void fmt_positional(struct sbuf *out, const struct fparts *f, int precision,
                    int min_digits, enum trim trim, int pad_left, int pad_right);
void fmt_scientific(struct sbuf *out, const struct fparts *f, int precision,
                    int min_digits, enum trim trim, int pad_left, int exp_digits);

/* str() of a NumPy scalar holding f (whose value is v): "0.2", "1e-05", "-0.0", "nan". */
void fmt_scalar(struct sbuf *out, const struct fparts *f, double v);

#endif

/* literal.h - array literals such as '[[-1.0, 4.0], [2.0, -5.0]]' or '3.5' */
#ifndef LRELU_LITERAL_H
#define LRELU_LITERAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrelu.h"

/* Literals with more elements than this are refused (they are typed on a command line). */
#define LITERAL_MAX_ELEMS (1u << 24)

struct literal {
	int ndim;
	int64_t shape[LRELU_MAX_DIMS];
	size_t count;
	double *values;  /* count values in C order, each text rounded to double (malloc'd) */
	float *values32; /* the same texts rounded directly to float (malloc'd) */
};

/* Whether s reads as a literal: it starts with '[' or is one number. */
bool literal_looks_like(const char *s);

/* Reads s as Python's float() does: one number (the syntax of literal numbers), with
 * blanks around it allowed; a magnitude too large is an infinity, one too small a zero.
 * Returns 0 and sets *v, or -1. */
int literal_number(const char *s, double *v);

/* Parses s: nested lists of numbers (Python syntax, trailing commas allowed; nan, inf,
 * -inf accepted), all rows of one length.  Returns 0, or -1 with a message naming the
 * position in err. */
int literal_parse(const char *s, struct literal *lit, char *err, size_t errsz);

/* Converts the values to dtype (float types only) into out (count elements): each
 * number's text is rounded once, to the dtype (float32 and float64 directly from the
 * text, float16/bfloat16 from the float32 value). */
void literal_convert(const struct literal *lit, lrelu_dtype dtype, void *out);

void literal_free(struct literal *lit);

#endif

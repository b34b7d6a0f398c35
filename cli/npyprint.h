/* npyprint.h - print a tensor exactly as NumPy 1.24's print(arr) shows it */
#ifndef LRELU_NPYPRINT_H
#define LRELU_NPYPRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lrelu.h"

/*
 * Writes t as NumPy 1.24 prints an array with the default print options
 * (precision 8, floatmode 'maxprec', linewidth 75, threshold 1000, edgeitems 3),
 * followed by a newline.  float32, float64 and float16 print as arrays of that
 * dtype; bfloat16 prints as a float32 array holding the same values; qint8/quint8
 * print their integer codes as an int8/uint8 array.  A 0-d tensor prints as
 * str() of the scalar, an empty one as "[]".  strides NULL means C order.
 * Returns 0, or -1 on a write error or an allocation failure (errno is set).
 */
int npyprint_tensor(FILE *out, const lrelu_tensor *t);

/* The print options the command sets (numpy.set_printoptions' names): digits after the
 * point (precision; 8 by default), the size above which print() summarises
 * (threshold; 1000), and bits: print each element's stored bit pattern in hex, as
 * numpy.array2string(a.view(np.uintN), formatter={'int': lambda v: '0x%0Nx' % v})
 * shows it, N = twice the element size (precision has no effect then). */
struct npyprint_opts {
	int precision;
	uint64_t threshold;
	bool bits;
};

extern const struct npyprint_opts npyprint_defaults;

/* npyprint_tensor with other print options. */
int npyprint_tensor_opts(FILE *out, const lrelu_tensor *t, const struct npyprint_opts *o);

/* Whether print() summarises an array of this shape (more than threshold elements). */
bool npyprint_summarises(int ndim, const int64_t *shape, uint64_t threshold);

/*
 * The number of elements print() displays for a shape: all of them up to threshold,
 * above it the first and last 3 along every axis longer than 6 (0 for an empty shape, 1
 * for 0-d; SIZE_MAX where the count does not fit).
 */
size_t npyprint_shown_count(int ndim, const int64_t *shape, uint64_t threshold);

/* Along an axis of length n (of an array print() summarises, or not), the number of
 * indices displayed, and where the gap starts: shown are [0, gap) and
 * [n - (shown - gap), n); gap == n where nothing is left out. */
int64_t npyprint_axis_shown(int64_t n, bool summary);
int64_t npyprint_axis_gap(int64_t n, bool summary);

/*
 * As npyprint_tensor_opts for an array too large to hold: t->shape is the array's
 * shape, and t->data holds only the npyprint_shown_count() displayed elements,
 * contiguous, in C order of their indices (t->strides is ignored).
 */
int npyprint_shown(FILE *out, const lrelu_tensor *t, const struct npyprint_opts *o);

/*
 * The text of one value as str() of a NumPy scalar of that dtype shows it
 * (shortest round-trip digits: "0.2", "1e-05", "-0.0", "nan").  dtype is
 * LRELU_FLOAT32, LRELU_FLOAT64 or LRELU_FLOAT16 (value must be representable).
 * Writes at most size bytes including the NUL; returns the length.
 */
int npyprint_scalar(char *buf, size_t size, double value, lrelu_dtype dtype);

#endif

/* npyprint.h - print a tensor exactly as NumPy 1.24's print(arr) shows it */
#ifndef LRELU_NPYPRINT_H
#define LRELU_NPYPRINT_H

#include <stdbool.h>
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

/*
 * The number of elements print() displays for a shape: all of them up to 1000, above
 * that the first and last 3 along every axis longer than 6 (0 for an empty shape, 1
 * for 0-d).
 */
size_t npyprint_shown_count(int ndim, const int64_t *shape);

/* Whether print() summarises an array of this shape (more than 1000 elements). */
bool npyprint_summarises(int ndim, const int64_t *shape);

/*
 * Calls fn(ctx, offset) for each of the npyprint_shown_count() elements print()
 * displays, in display order, offset being the sum of index * strides[d]: what a caller
 * that streams an array too large to hold keeps for npyprint_shown().  Stops when fn
 * returns non-zero, and returns -1 then; 0 otherwise.
 */
int npyprint_visit_shown(int ndim, const int64_t *shape, const int64_t *strides,
                         int (*fn)(void *ctx, int64_t off), void *ctx);

/*
 * As npyprint_tensor for an array too large to hold: t->shape is the array's shape,
 * and t->data holds only the npyprint_shown_count() displayed elements, contiguous, in
 * C order of their indices (t->strides is ignored).
 */
int npyprint_shown(FILE *out, const lrelu_tensor *t);

/*
 * The text of one value as str() of a NumPy scalar of that dtype shows it
 * (shortest round-trip digits: "0.2", "1e-05", "-0.0", "nan").  dtype is
 * LRELU_FLOAT32, LRELU_FLOAT64 or LRELU_FLOAT16 (value must be representable).
 * Writes at most size bytes including the NUL; returns the length.
 */
int npyprint_scalar(char *buf, size_t size, double value, lrelu_dtype dtype);

#endif

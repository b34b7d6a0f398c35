/* baseline.h - the benchmark's yardsticks, compiled separately with -O3 -march=native */
#ifndef LRELU_BENCH_BASELINE_H
#define LRELU_BENCH_BASELINE_H

#include <stddef.h>
#include <stdint.h>

/* Copies `bytes` bytes with a loop the compiler cannot turn into memcpy; src == dst
 * is allowed (an in-place read and write of every byte). */
void base_copy(const void *src, void *dst, size_t bytes);
/* y = x > 0 ? x : x * s, the loop a user would write (x == y allowed). */
void base_lrelu_f32(const float *x, float *y, size_t n, float s);
void base_lrelu_f64(const double *x, double *y, size_t n, double s);
void base_lrelu_bf16(const uint16_t *x, uint16_t *y, size_t n, float s);
void base_lrelu_f16(const uint16_t *x, uint16_t *y, size_t n, float s);
/* Whether base_lrelu_f16 exists (the compiler has _Float16). */
int base_have_f16(void);

#endif

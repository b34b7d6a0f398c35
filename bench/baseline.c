/* baseline.c - the benchmark's yardsticks: a copy loop and plain C LeakyReLU loops (-O3 -march=native) */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "baseline.h"

/*
 * Built as its own object with -O3 -march=native -fno-tree-loop-distribute-patterns:
 * what a user gets from writing the loop by hand.  The copy loop moves 64-byte blocks
 * through vector registers; the empty asm on each block makes the value opaque, so
 * the compiler can neither turn the loop into a memcpy call nor drop the stores of an
 * in-place copy (y == x), and the loop stays the plain load/store limit of this core.
 */

typedef float vblock __attribute__((vector_size(32), aligned(1), may_alias));

#if defined(__x86_64__) || defined(__i386__)
#define OPAQUE(v) __asm__("" : "+x"(v))
#elif defined(__aarch64__)
#define OPAQUE(v) __asm__("" : "+w"(v))
#else
#define OPAQUE(v) __asm__ __volatile__("" : : : "memory")
#endif

void base_copy(const void *src, void *dst, size_t bytes)
{
	const char *s = src;
	char *d = dst;
	size_t i = 0;
	for (; i + 64 <= bytes; i += 64) {
		vblock a, b;
		memcpy(&a, s + i, 32);
		memcpy(&b, s + i + 32, 32);
		OPAQUE(a);
		OPAQUE(b);
		memcpy(d + i, &a, 32);
		memcpy(d + i + 32, &b, 32);
	}
	for (; i < bytes; i++) {
		char c = s[i];
		__asm__("" : "+r"(c));
		d[i] = c;
	}
}

void base_lrelu_f32(const float *x, float *y, size_t n, float s)
{
	for (size_t i = 0; i < n; i++)
		y[i] = x[i] > 0 ? x[i] : x[i] * s;
}

void base_lrelu_f64(const double *x, double *y, size_t n, double s)
{
	for (size_t i = 0; i < n; i++)
		y[i] = x[i] > 0 ? x[i] : x[i] * s;
}

/* bfloat16 by integer arithmetic: widen by a shift, round to nearest even on the way
 * back (NaN ignored: a yardstick, not a reference). */
void base_lrelu_bf16(const uint16_t *x, uint16_t *y, size_t n, float s)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t u = (uint32_t)x[i] << 16, r;
		float f;
		memcpy(&f, &u, 4);
		f = f > 0 ? f : f * s;
		memcpy(&r, &f, 4);
		y[i] = (uint16_t)((r + 0x7FFF + ((r >> 16) & 1)) >> 16);
	}
}

#if defined(__FLT16_MAX__)
__extension__ typedef _Float16 half;
void base_lrelu_f16(const uint16_t *x, uint16_t *y, size_t n, float s)
{
	const half *hx = (const half *)(const void *)x;
	half *hy = (half *)(void *)y;
	for (size_t i = 0; i < n; i++) {
		float f = (float)hx[i];
		hy[i] = (half)(f > 0 ? f : f * s);
	}
}
#else
void base_lrelu_f16(const uint16_t *x, uint16_t *y, size_t n, float s)
{
	(void)x;
	(void)y;
	(void)n;
	(void)s;
}
#endif

int base_have_f16(void)
{
#if defined(__FLT16_MAX__)
	return 1;
#else
	return 0;
#endif
}

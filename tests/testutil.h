/* testutil.h - a tiny assertion helper for the plain-C tests */
#ifndef LRELU_TESTUTIL_H
#define LRELU_TESTUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lrelu.h"

static long tu_passed, tu_failed;

/* Each CHECK is one counted assertion; a failure prints where and why, and the run
 * goes on so that one mistake shows all its consequences. */
#define CHECK(cond, ...)                                                     \
	do {                                                                     \
		if (cond) {                                                          \
			tu_passed++;                                                     \
		} else {                                                             \
			tu_failed++;                                                     \
			if (tu_failed <= 50) {                                           \
				fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__,       \
				        __LINE__, #cond);                                    \
				fprintf(stderr, __VA_ARGS__);                                \
				fputc('\n', stderr);                                         \
			}                                                                \
		}                                                                    \
	} while (0)

/* xorshift64*: deterministic test data, so a failure reproduces.  Each test keeps its
 * own state (and seed). */
static inline uint64_t tu_xorshift(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 2685821657736338717ull;
}

/* Special values per type, as bit patterns: zeros, subnormals (smallest, largest, in
 * between), the normal extremes, infinities, NaNs with payloads (quiet and signalling,
 * both signs), ordinary values, and values next to 16-bit rounding boundaries.  One
 * list for every test. */
static const uint32_t tu_special32[] = {
	0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007FFFFF, 0x807FFFFF, 0x00800000,
	0x80800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000,
	0x7FC12345, 0xFFC54321, 0x7F800001, 0xFF800001, 0x7FA00000, 0x3F800000, 0xBF800000,
	0xC0400000, 0x3E4CCCCD, 0xBE4CCCCD, 0x00400000, 0x80400000, 0x0C000000, 0x8C000000,
	0xFFD00001, 0xFFA5A5A5, 0x3F000000, 0xBF000000, 0x3C23D70A, 0xBC23D70A, 0x477FF000,
	0xC77FF000, 0x477FEFFF, 0x38800000, 0xB87FFFFF, 0x33000000, 0xB3000001, 0x3F808000,
	0xBF818000, 0x3F807FFF, 0x3F80C000, 0x0040A000, 0x80408000,
};
static const uint64_t tu_special64[] = {
	0x0000000000000000ull, 0x8000000000000000ull, 0x0000000000000001ull,
	0x8000000000000001ull, 0x000FFFFFFFFFFFFFull, 0x800FFFFFFFFFFFFFull,
	0x0010000000000000ull, 0x8010000000000000ull, 0x7FEFFFFFFFFFFFFFull,
	0xFFEFFFFFFFFFFFFFull, 0x7FF0000000000000ull, 0xFFF0000000000000ull,
	0x7FF8000000000000ull, 0xFFF8000000000000ull, 0x7FF8000000012345ull,
	0xFFF8000000054321ull, 0x7FF0000000000001ull, 0xFFF4000000000000ull,
	0x3FF0000000000000ull, 0xBFF0000000000000ull, 0xC008000000000000ull,
	0xBFC999999999999Aull, 0x0001000000000000ull, 0x8001000000000000ull,
	0x7FF8123456789ABCull, 0x3F847AE147AE147Bull, 0xBFE0000000000000ull,
	0x4000000000000000ull, 0xC010000000000000ull,
};
static const uint16_t tu_special_f16[] = {
	0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x83FF, 0x0400, 0x8400,
	0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7E00, 0xFE00, 0x7E55, 0xFD01,
	0x7C01, 0xFC01, 0x3C00, 0xBC00, 0xC200,
};
static const uint16_t tu_special_bf16[] = {
	0x0000, 0x8000, 0x0001, 0x8001, 0x007F, 0x807F, 0x0080, 0x8080,
	0x7F7F, 0xFF7F, 0x7F80, 0xFF80, 0x7FC0, 0xFFC0, 0x7FD5, 0xFFC1,
	0x7F81, 0xFF81, 0x3F80, 0xBF80, 0xC040,
};
#define TU_COUNT(a) (sizeof(a) / sizeof(a)[0])

/* The flat entry point of a float dtype (PyTorch semantics), forward and backward. */
static inline lrelu_status tu_flat_fwd(lrelu_dtype dt, const void *x, void *y, size_t n,
                                       double s)
{
	switch (dt) {
	case LRELU_FLOAT32:
		return lrelu_f32(x, y, n, (float)s);
	case LRELU_FLOAT64:
		return lrelu_f64(x, y, n, s);
	case LRELU_BFLOAT16:
		return lrelu_bf16(x, y, n, (float)s);
	default:
		return lrelu_f16(x, y, n, (float)s);
	}
}

static inline lrelu_status tu_flat_bwd(lrelu_dtype dt, const void *dy, const void *a, void *dx,
                                       size_t n, double s)
{
	switch (dt) {
	case LRELU_FLOAT32:
		return lrelu_f32_backward(dy, a, dx, n, (float)s);
	case LRELU_FLOAT64:
		return lrelu_f64_backward(dy, a, dx, n, s);
	case LRELU_BFLOAT16:
		return lrelu_bf16_backward(dy, a, dx, n, (float)s);
	default:
		return lrelu_f16_backward(dy, a, dx, n, (float)s);
	}
}

/* The closing line tests/run.sh totals. */
static inline int tu_finish(const char *suite)
{
	printf("%s: %ld passed, %ld failed\n", suite, tu_passed, tu_failed);
	return tu_failed == 0 ? 0 : 1;
}

#endif

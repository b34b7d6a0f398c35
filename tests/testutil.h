/* testutil.h - a tiny assertion helper for the plain-C tests */
#ifndef LRELU_TESTUTIL_H
#define LRELU_TESTUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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

/* The closing line tests/run.sh totals. */
static inline int tu_finish(const char *suite)
{
	printf("%s: %ld passed, %ld failed\n", suite, tu_passed, tu_failed);
	return tu_failed == 0 ? 0 : 1;
}

#endif

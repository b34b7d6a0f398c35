/* testutil.h - a tiny assertion helper for the plain-C tests */
#ifndef LRELU_TESTUTIL_H
#define LRELU_TESTUTIL_H

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

/* The closing line tests/run.sh totals. */
static inline int tu_finish(const char *suite)
{
	printf("%s: %ld passed, %ld failed\n", suite, tu_passed, tu_failed);
	return tu_failed == 0 ? 0 : 1;
}

#endif

/* benchutil.h - the clock and the median shared by the benchmark programs */
#ifndef LRELU_BENCHUTIL_H
#define LRELU_BENCHUTIL_H

#include <time.h>

/* Monotonic nanoseconds. */
static inline double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* qsort comparator for the medians of timed batches. */
static inline int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

#endif

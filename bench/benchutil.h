/* benchutil.h - the clock, the median and the 2-thread calibration shared by the benchmark programs */
#ifndef LRELU_BENCHUTIL_H
#define LRELU_BENCHUTIL_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
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

/* The median of v[0..n) (sorts v). */
static inline double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof v[0], cmp_d);
	return v[n / 2];
}

/* A new order of the k implementations in order[] (a Fisher-Yates shuffle driven by
 * *seed, an xorshift state: every run of the bench uses the same orders). */
static inline void shuffle_order(int *order, int k, uint64_t *seed)
{
	for (int j = 0; j < k; j++)
		order[j] = j;
	for (int j = k - 1; j > 0; j--) {
		*seed ^= *seed << 13;
		*seed ^= *seed >> 7;
		*seed ^= *seed << 17;
		int r = (int)(*seed % (uint64_t)(j + 1)), t = order[j];
		order[j] = order[r];
		order[r] = t;
	}
}

/* ---- waiting for thread pools to stop spinning ------------------------------------ */

#ifdef RUSAGE_THREAD
/* CPU seconds used by the process's other threads so far. */
static inline double other_threads_cpu(void)
{
	struct rusage all, me;
	if (getrusage(RUSAGE_SELF, &all) != 0 || getrusage(RUSAGE_THREAD, &me) != 0)
		return 0.0;
	return (double)(all.ru_utime.tv_sec + all.ru_stime.tv_sec - me.ru_utime.tv_sec -
	                me.ru_stime.tv_sec) +
	       (double)(all.ru_utime.tv_usec + all.ru_stime.tv_usec - me.ru_utime.tv_usec -
	                me.ru_stime.tv_usec) * 1e-6;
}
#endif

/*
 * After a batch that used a thread pool, wait (5 ms at a time, at most 200 ms) until
 * the process's other threads stop using CPU.  Pools spin after their calls before they
 * sleep: XNNPACK's pthreadpool for tens of milliseconds, OpenMP's for milliseconds,
 * lrelu's for 20 ms (LRELU_SPIN_NS); on 2 vCPUs a spinning worker takes the second CPU from whatever
 * runs next, so without this the implementation timed after XNNPACK would pay for
 * XNNPACK's spinning.  Call it outside the timed region.
 */
static inline void wait_other_threads_idle(void)
{
#ifdef RUSAGE_THREAD
	/* Busy, not asleep (a sleeping vCPU would wake slower for the next batch), in
	 * windows of 5 ms: the kernel adds a running thread's time to the totals only at
	 * its scheduler ticks (4 ms at Debian's HZ=250), so a shorter window can miss a
	 * thread that spins the whole time. */
	for (int k = 0; k < 40; k++) {
		double before = other_threads_cpu(), t = now_ns();
		while (now_ns() - t < 5e6)
			;
		if (other_threads_cpu() - before < 5e-4)
			return;
	}
#endif
}

/* ---- calibration: does the host run two threads at once? ----------------------------- */

/*
 * A compute-bound loop (a dependent xorshift chain: no memory traffic) timed on one
 * thread, then on two threads at once, each doing the same work.  2 x T1 / T2 is what
 * the second vCPU gives: about 2 when the host runs both vCPUs on separate cores, about
 * 1 when they share one (SMT siblings, or one core time-sliced).  Measured at the start
 * and the end of a run; a 2-thread figure counts only from runs where both scaled at
 * least 1.8x (bench/summary.py).
 */
static inline void compute_loop(uint64_t iters)
{
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (uint64_t i = 0; i < iters; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	static volatile uint64_t sink; /* keeps the loop */
	sink = x;
	(void)sink;
}

static inline void *compute_thread(void *arg)
{
	compute_loop(*(const uint64_t *)arg);
	return NULL;
}

/* One trial: 2 x T1 / T2 for `iters` iterations per thread. */
static inline double calib_trial(uint64_t iters)
{
	pthread_t t;
	double t0 = now_ns();
	compute_loop(iters);
	double t1 = now_ns() - t0;
	t0 = now_ns();
	if (pthread_create(&t, NULL, compute_thread, &iters) != 0)
		return 0.0;
	compute_loop(iters);
	pthread_join(t, NULL);
	return 2.0 * t1 / (now_ns() - t0);
}

/* The median of five trials of ~30 ms each. */
static inline double calibrate(const char *when)
{
	double v[5];
	uint64_t iters = 0;
	for (uint64_t k = 1 << 16;; k *= 2) { /* about 30 ms on one thread */
		double t0 = now_ns();
		compute_loop(k);
		if (now_ns() - t0 > 15e6 || k >= (uint64_t)1 << 34) {
			iters = 2 * k;
			break;
		}
	}
	for (int i = 0; i < 5; i++)
		v[i] = calib_trial(iters);
	qsort(v, 5, sizeof v[0], cmp_d);
	printf("calibration (%s): a compute-bound loop ran %.2fx faster on 2 threads than on 1 "
	       "(median of 5: %.2f-%.2f)\n", when, v[2], v[0], v[4]);
	return v[2];
}

#endif

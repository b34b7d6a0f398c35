/* wakeup.c - what waking a sleeping worker costs (the FUTEX_WAKE call, the time until the woken thread runs), and what an idle pool burns */
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "lrelu.h"

/*
 * The pool's workers sleep on a futex after their spin (src/threads.c).  Here one thread
 * sleeps on a futex word, the main thread sleeps `gap` (so that the idle vCPU may halt,
 * as between a model's calls), then stores a new value, reads the clock, wakes it and
 * reads the clock again; the woken thread reads the clock when it runs.  Reported:
 * medians and 90th percentiles over TRIALS of the FUTEX_WAKE call (the caller's cost)
 * and of the store-to-running latency (what a sleeping worker adds to a call).
 * Then, with `idle_s` > 0: lrelu's pool with 2 threads after 100 calls of 4M float32
 * elements, the process's CPU time over idle_s seconds after the last call (the workers
 * spin LRELU_SPIN_NS, then sleep: near zero).
 * Usage: wakeup [gap_us [idle_s]]   (defaults 5000, 0)
 */
#define TRIALS 201
static atomic_uint word;
static _Atomic double woke_at;

static void *sleeper(void *arg)
{
	(void)arg;
	for (unsigned seen = 0;; ) {
		while (atomic_load(&word) == seen)
			syscall(SYS_futex, (void *)&word, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
		seen = atomic_load(&word);
		atomic_store(&woke_at, now_ns());
		if (seen == TRIALS)
			return NULL;
	}
}

int main(int argc, char **argv)
{
	long gap_us = argc > 1 ? atol(argv[1]) : 5000;
	double wake[TRIALS], lat[TRIALS];
	pthread_t t;
	if (pthread_create(&t, NULL, sleeper, NULL) != 0)
		return 1;
	for (unsigned i = 0; i < TRIALS; i++) {
		struct timespec g = { gap_us / 1000000, gap_us % 1000000 * 1000 };
		nanosleep(&g, NULL);
		atomic_store(&woke_at, 0.0);
		double t0 = now_ns();
		atomic_store(&word, i + 1);
		syscall(SYS_futex, (void *)&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		double t1 = now_ns();
		double w;
		while ((w = atomic_load(&woke_at)) == 0.0)
			;
		wake[i] = t1 - t0;
		lat[i] = w - t0;
	}
	pthread_join(t, NULL);
	int idle_s = argc > 2 ? atoi(argv[2]) : 0;
	if (idle_s > 0) {
		size_t n = (size_t)4 << 20;
		float *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y);
		if (x == NULL || y == NULL)
			return 1;
		lrelu_set_num_threads(2);
		for (int i = 0; i < 100; i++)
			lrelu_f32(x, y, n, 0.01f);
		struct timespec c0, c1, s = { idle_s, 0 };
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
		nanosleep(&s, NULL);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
		printf("idle: the process used %.3f ms of CPU in the %d s after its last call "
		       "(2 threads)\n", ((double)(c1.tv_sec - c0.tv_sec) * 1e9 +
		                        (double)(c1.tv_nsec - c0.tv_nsec)) / 1e6, idle_s);
		free(x);
		free(y);
	}
	qsort(wake, TRIALS, sizeof wake[0], cmp_d);
	qsort(lat, TRIALS, sizeof lat[0], cmp_d);
	printf("gap %ld us, %d trials: FUTEX_WAKE call median %.1f us (p90 %.1f); "
	       "store to woken thread running median %.1f us (p90 %.1f, max %.1f)\n",
	       gap_us, TRIALS, wake[TRIALS / 2] / 1e3, wake[TRIALS * 9 / 10] / 1e3,
	       lat[TRIALS / 2] / 1e3, lat[TRIALS * 9 / 10] / 1e3, lat[TRIALS - 1] / 1e3);
	return 0;
}

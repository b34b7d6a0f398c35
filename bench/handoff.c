/* handoff.c - the thread pool's hand-off on its own: what a pooled call costs beyond its work, the cut against equal chunks side by side, and the first calls after idle, also chunk by chunk */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_XNNPACK
#include <xnnpack.h>
#endif

#include "benchutil.h"
#include "internal.h"
#include "lrelu.h"

/*
 * Built against the test-support library (`make bench-handoff`): it reaches the pool
 * through lrelu_parallel_for, watches chunks through lrelu_par_chunk_hook, and switches
 * between the pool's cut (threads.c, struct cut) and the cut before it, 8 equal chunks
 * per thread (lrelu_par_equal_chunks), in one process.  2 threads throughout.
 *
 * 1. Empty pooled calls: lrelu_parallel_for over n elements moving 8 bytes each (float32
 *    out of place) with a range function that does nothing.  What remains is the
 *    hand-off: publishing the job, claiming every chunk (the caller takes them all
 *    before a spinning worker gets one), the count of finished chunks, returning.
 * 2. The worker's reaction: a range function that works 20 us per chunk; the time from
 *    the call's start to the worker's first chunk (its spin sees the job) and how the
 *    chunks split.
 * 3. The two cuts side by side: lrelu_f32 out of place and in place, rounds of batches
 *    of ~2 ms, each round running both cuts (the order alternating), medians and the
 *    ratio (equal chunks' time / the cut's time: above 1, the cut is faster).
 * 4. The first calls after idle: the calling thread computes for `gap` ms (past the
 *    worker's spin it naps or sleeps, and its vCPU may halt), then makes 12 calls of 1M float32
 *    out of place; medians over 30 repetitions of the 1st, 2nd and 3rd call and of the
 *    7th-12th.  With XNNPACK's pthreadpool the same, where it is installed.
 * 5. Calls that each follow 5 ms of compute on the calling thread (as in bench.c's
 *    BENCH_GAP_MS loops): the call alone as shipped (the worker still spins), with a
 *    1 ms spin (the worker naps: a call below LRELU_WAKE_MIN_BYTES runs on the caller,
 *    a larger one wakes it), with a 1 ms spin and every call waking it, and on 1
 *    thread, in a shuffled order with the idle wait between batches.
 * 6. The first calls after idle, chunk by chunk: 10 ms of compute on the calling thread
 *    (the worker asleep), then 3 calls of 1M float32 out of place; for each call, when
 *    the caller and the worker began their first chunk (the caller's start is what its
 *    FUTEX_WAKE of the sleeping worker took) and when the call returned.
 * Usage: handoff [rounds]   (default 41)
 */

#define NSIZES 3
static const size_t sizes[NSIZES] = { 262144, 1048576, 4194304 };

static void nothing(void *arg, size_t begin, size_t end)
{
	(void)arg;
	(void)begin;
	(void)end;
}

/* ---- 2: who runs which chunk, and when ---------------------------------------------- */
static pthread_t caller;
static double call_start;
static _Atomic double caller_first, worker_first; /* 0: no chunk yet */
static atomic_uint caller_chunks, worker_chunks;

static void watch(size_t begin, size_t end, size_t align)
{
	(void)begin;
	(void)end;
	(void)align;
	double none = 0.0;
	if (pthread_equal(pthread_self(), caller)) {
		atomic_compare_exchange_strong(&caller_first, &none, now_ns() - call_start);
		atomic_fetch_add(&caller_chunks, 1);
	} else {
		atomic_compare_exchange_strong(&worker_first, &none, now_ns() - call_start);
		atomic_fetch_add(&worker_chunks, 1);
	}
}

static void work_20us(void *arg, size_t begin, size_t end)
{
	(void)arg;
	(void)begin;
	(void)end;
	double t = now_ns();
	while (now_ns() - t < 20e3)
		;
}

static void empty_calls(void)
{
	enum { CALLS = 2001 };
	static double t[CALLS];
	printf("\n1. empty pooled calls (the hand-off alone), ns per call, median of %d\n", CALLS);
	printf("  elements  chunks: cut  ns      equal-8  ns\n");
	for (int s = 0; s < NSIZES; s++) {
		double ns[2];
		unsigned chunks[2];
		for (int k = 0; k < 2; k++) {
			lrelu_par_equal_chunks = k ? 8 : 0;
			atomic_store(&caller_chunks, 0);
			atomic_store(&worker_chunks, 0);
			caller = pthread_self();
			atomic_store(&lrelu_par_chunk_hook, watch);
			lrelu_parallel_for(sizes[s], 1024, 8, nothing, NULL);
			atomic_store(&lrelu_par_chunk_hook, NULL);
			chunks[k] = atomic_load(&caller_chunks) + atomic_load(&worker_chunks);
			for (int i = 0; i < CALLS; i++) {
				double t0 = now_ns();
				lrelu_parallel_for(sizes[s], 1024, 8, nothing, NULL);
				t[i] = now_ns() - t0;
			}
			ns[k] = median(t, CALLS);
		}
		printf("%10zu  %11u  %6.0f  %7u  %6.0f\n", sizes[s], chunks[0], ns[0], chunks[1], ns[1]);
	}
	lrelu_par_equal_chunks = 0;
}

static void reaction(void)
{
	enum { CALLS = 401 };
	static double first[CALLS];
	int m = 0;
	unsigned cc = 0, wc = 0;
	caller = pthread_self();
	atomic_store(&lrelu_par_chunk_hook, watch);
	for (int i = 0; i < CALLS; i++) {
		atomic_store(&worker_first, 0.0);
		atomic_store(&caller_chunks, 0);
		atomic_store(&worker_chunks, 0);
		call_start = now_ns();
		lrelu_parallel_for(sizes[1], 1024, 8, work_20us, NULL);
		double f = atomic_load(&worker_first);
		if (f > 0)
			first[m++] = f;
		cc += atomic_load(&caller_chunks);
		wc += atomic_load(&worker_chunks);
	}
	atomic_store(&lrelu_par_chunk_hook, NULL);
	printf("\n2. chunks of 20 us, 1M elements: the worker took part in %d of %d calls, its first "
	       "chunk began %.0f ns (median) after the call; chunks per call: caller %.1f, worker %.1f\n",
	       m, CALLS, m > 0 ? median(first, m) : 0.0, (double)cc / CALLS, (double)wc / CALLS);
}

/* ---- 3: the cut against equal chunks -------------------------------------------------- */
static void side_by_side(float *x, float *y, int rounds)
{
	static double v[2][201];
	if (rounds > 201)
		rounds = 201;
	printf("\n3. lrelu_f32, 2 threads, %d rounds of ~2 ms batches: ns per call (median), "
	       "equal-8 / cut\n", rounds);
	printf("  elements  mode      cut        equal-8    ratio   worker's chunks per call: cut, "
	       "equal-8\n");
	for (int s = 0; s < NSIZES; s++)
		for (int inplace = 0; inplace < 2; inplace++) {
			size_t n = sizes[s];
			float *out = inplace ? x : y;
			double one = now_ns();
			lrelu_f32(x, out, n, 0.01f);
			one = now_ns() - one;
			int reps = (int)(2e6 / (one > 1.0 ? one : 1.0));
			reps = reps < 4 ? 4 : reps & ~1; /* in place: as many calls with each slope */
			unsigned wc[2] = { 0, 0 };
			caller = pthread_self();
			atomic_store(&lrelu_par_chunk_hook, watch);
			for (int r = 0; r < rounds; r++)
				for (int j = 0; j < 2; j++) {
					int k = (r & 1) ? 1 - j : j;
					lrelu_par_equal_chunks = k ? 8 : 0;
					lrelu_f32(x, out, n, 0.01f); /* the first call after a switch: untimed */
					atomic_store(&worker_chunks, 0);
					double t0 = now_ns();
					for (int q = 0; q < reps; q++)
						lrelu_f32(x, out, n, inplace && (q & 1) ? 100.0f : 0.01f);
					v[k][r] = (now_ns() - t0) / reps;
					wc[k] += atomic_load(&worker_chunks);
				}
			atomic_store(&lrelu_par_chunk_hook, NULL);
			double a = median(v[0], rounds), b = median(v[1], rounds);
			printf("%10zu  %-8s %9.0f  %9.0f  %6.3f  %5.2f  %5.2f\n", n, inplace ? "in place" : "out",
			       a, b, b / a, (double)wc[0] / rounds / reps, (double)wc[1] / rounds / reps);
		}
	lrelu_par_equal_chunks = 0;
}

/* ---- 4: after idle -------------------------------------------------------------------- */
#define AFTER_REPS 30
#define AFTER_CALLS 12
struct after {
	double call[AFTER_CALLS][AFTER_REPS];
};

static void busy_ms(double ms)
{
	double t = now_ns();
	while (now_ns() - t < ms * 1e6)
		;
}

static void report_after(const char *who, double gap, struct after *a)
{
	double steady[AFTER_REPS * 6];
	int m = 0;
	for (int c = 6; c < AFTER_CALLS; c++)
		for (int r = 0; r < AFTER_REPS; r++)
			steady[m++] = a->call[c][r];
	printf("  %-8s %6.0f  %8.0f  %8.0f  %8.0f  %8.0f\n", who, gap,
	       median(a->call[0], AFTER_REPS) / 1e3, median(a->call[1], AFTER_REPS) / 1e3,
	       median(a->call[2], AFTER_REPS) / 1e3, median(steady, m) / 1e3);
}

#ifdef HAVE_XNNPACK
static pthreadpool_t xn_pool;
static xnn_operator_t xn_op;
#endif

static void after_idle(float *x, float *y)
{
	static const double gaps[] = { 0.0, 1.0, 5.0, 20.0, 100.0 };
	static struct after a;
	const size_t n = sizes[1];
	printf("\n4. the first calls after idle: 1M float32 out of place, us (median of %d)\n",
	       AFTER_REPS);
	printf("  who      gap ms    1st call  2nd call  3rd call  7th-12th\n");
	for (size_t g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
		for (int who = 0; who < 3; who++) {
#ifdef HAVE_XNNPACK
			if (who == 2 && xn_op == NULL)
				continue;
#else
			if (who == 2)
				continue;
#endif
			lrelu_set_num_threads(who == 1 ? 1 : 2);
			for (int r = 0; r < AFTER_REPS; r++) {
				busy_ms(gaps[g]);
				for (int c = 0; c < AFTER_CALLS; c++) {
					double t0 = now_ns();
					if (who < 2) {
						lrelu_f32(x, y, n, 0.01f);
					} else {
#ifdef HAVE_XNNPACK
						xnn_setup_leaky_relu_nc_f32(xn_op, n, x, y, xn_pool);
						xnn_run_operator(xn_op, xn_pool);
#endif
					}
					a.call[c][r] = now_ns() - t0;
				}
			}
			report_after(who == 0 ? "lrelu" : who == 1 ? "lrelu 1t" : "XNNPACK", gaps[g], &a);
		}
	}
	lrelu_set_num_threads(2);
}

/* ---- 5: calls that each follow 5 ms of other work: the spin, the nap, the wake ------- */
static void cold_calls(float *x, float *y, int rounds)
{
	enum { PER = 20, WAYS = 4 };
	static const size_t cold_sizes[] = { 262144, 524288, 1048576, 4194304 };
	static double v[WAYS][201 * PER];
	const size_t wake_saved = lrelu_wake_min_bytes;
	const uint64_t spin_saved = lrelu_spin_ns;
	uint64_t seed = 0x9E3779B97F4A7C15ull;
	if (rounds > 201)
		rounds = 201;
	printf("\n5. one call after each 5 ms of compute, us per call (median of %d): as shipped "
	       "(spin %.0f ms;\n   a napping worker woken from %zu MiB moved), spin 1 ms, spin 1 ms "
	       "and every napper woken, 1 thread\n", rounds * PER, (double)LRELU_SPIN_NS / 1e6,
	       (size_t)LRELU_WAKE_MIN_BYTES >> 20);
	printf("  elements  mode      shipped  spin 1   woken    1 thread\n");
	for (int s = 0; s < 4; s++)
		for (int inplace = 0; inplace < 2; inplace++) {
			size_t n = cold_sizes[s];
			float *out = inplace ? x : y;
			for (int r = 0; r < rounds; r++) {
				int order[WAYS];
				shuffle_order(order, WAYS, &seed);
				for (int j = 0; j < WAYS; j++) {
					int k = order[j];
					lrelu_spin_ns = k == 0 ? spin_saved : 1000000;
					lrelu_wake_min_bytes = k == 2 ? 0 : wake_saved;
					lrelu_set_num_threads(k == 3 ? 1 : 2);
					for (int q = 0; q < PER; q++) {
						busy_ms(5.0);
						double t0 = now_ns();
						lrelu_f32(x, out, n, inplace && (q & 1) ? 100.0f : 0.01f);
						v[k][r * PER + q] = now_ns() - t0;
					}
					wait_other_threads_idle(); /* no spin carried into the next way */
				}
			}
			printf("%10zu  %-8s %7.1f  %7.1f  %7.1f  %7.1f\n", n, inplace ? "in place" : "out",
			       median(v[0], rounds * PER) / 1e3, median(v[1], rounds * PER) / 1e3,
			       median(v[2], rounds * PER) / 1e3, median(v[3], rounds * PER) / 1e3);
		}
	lrelu_wake_min_bytes = wake_saved;
	lrelu_spin_ns = spin_saved;
	lrelu_set_num_threads(2);
}

/* ---- 6: the first calls after idle, chunk by chunk ---------------------------------- */
static void first_calls_watched(float *x, float *y)
{
	enum { REPS = 31, CALLS = 3 };
	static double total[CALLS][REPS], cf[CALLS][REPS], wf[CALLS][REPS];
	int nw[CALLS] = { 0 };
	const size_t n = sizes[1];
	lrelu_set_num_threads(2);
	caller = pthread_self();
	atomic_store(&lrelu_par_chunk_hook, watch);
	for (int r = 0; r < REPS; r++) {
		busy_ms(10.0);
		for (int c = 0; c < CALLS; c++) {
			atomic_store(&caller_first, 0.0);
			atomic_store(&worker_first, 0.0);
			call_start = now_ns();
			lrelu_f32(x, y, n, 0.01f);
			total[c][r] = now_ns() - call_start;
			cf[c][r] = atomic_load(&caller_first);
			double w = atomic_load(&worker_first);
			if (w > 0)
				wf[c][nw[c]++] = w;
		}
	}
	atomic_store(&lrelu_par_chunk_hook, NULL);
	printf("\n6. the first calls after 10 ms of compute, chunk by chunk: 1M float32 out of place, "
	       "us after the call began (median of %d, [min-max])\n", REPS);
	printf("  call  caller's 1st chunk   worker's 1st chunk (calls)   call returned\n");
	for (int c = 0; c < CALLS; c++) {
		double w = nw[c] > 0 ? median(wf[c], nw[c]) : 0.0;
		double wlo = nw[c] > 0 ? wf[c][0] : 0.0, whi = nw[c] > 0 ? wf[c][nw[c] - 1] : 0.0;
		double a = median(cf[c], REPS), t = median(total[c], REPS);
		printf("  %4d  %6.1f [%.1f-%.1f]   %6.1f [%.1f-%.1f] (%2d)   %6.1f [%.1f-%.1f]\n", c + 1,
		       a / 1e3, cf[c][0] / 1e3, cf[c][REPS - 1] / 1e3, w / 1e3, wlo / 1e3, whi / 1e3,
		       nw[c], t / 1e3, total[c][0] / 1e3, total[c][REPS - 1] / 1e3);
	}
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 41;
	size_t nmax = sizes[NSIZES - 1];
	float *x = aligned_alloc(1 << 21, nmax * sizeof(float) + (1 << 21));
	float *y0 = aligned_alloc(1 << 21, nmax * sizeof(float) + (1 << 21));
	if (x == NULL || y0 == NULL || rounds < 1) {
		fprintf(stderr, "handoff: out of memory (or rounds < 1)\n");
		return 1;
	}
	float *y = y0 + 512; /* 2 KiB apart modulo 4 KiB, as bench.c places them */
	for (size_t i = 0; i < nmax; i++) {
		x[i] = (float)((int)(i % 2001) - 1000) * 0.37f;
		y[i] = 0.0f;
	}
	printf("lrelu %s, ISA %s, 2 threads; the pool's cut against 8 equal chunks per thread\n",
	       lrelu_version(), lrelu_isa_name(lrelu_get_isa()));
	double c0 = calibrate("start");
	lrelu_set_num_threads(2);
	empty_calls();
	reaction();
	side_by_side(x, y, rounds);
	cold_calls(x, y, rounds / 4 > 0 ? rounds / 4 : 1);
	first_calls_watched(x, y);
	/* XNNPACK's pool only now: its threads must not run beside the sections above */
#ifdef HAVE_XNNPACK
	if (xnn_initialize(NULL) == xnn_status_success && (xn_pool = pthreadpool_create(2)) != NULL &&
	    xnn_create_leaky_relu_nc_f32(1, 1, 1, 0.01f, 0, &xn_op) != xnn_status_success)
		xn_op = NULL;
#endif
	after_idle(x, y);
	double c1 = calibrate("end");
	printf("2-thread figures count only if both calibrations are >= 1.80: %s\n",
	       c0 >= 1.8 && c1 >= 1.8 ? "they do" : "they do NOT");
#ifdef HAVE_XNNPACK
	if (xn_op != NULL)
		xnn_delete_operator(xn_op);
	if (xn_pool != NULL)
		pthreadpool_destroy(xn_pool);
#endif
	free(x);
	free(y0);
	return 0;
}

/* test_threads.c - the thread pool: same bits for every thread count, many callers, FP environment */

/* The test knobs (lrelu_par_min_bytes, lrelu_spin_ns, lrelu_nt_bytes): the library
 * this links must be built with -DLRELU_TEST_SUPPORT too (internal.h). */
#ifndef LRELU_TEST_SUPPORT
#define LRELU_TEST_SUPPORT 1
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cpu.h"
#include "internal.h"
#include "lrelu.h"
#include "testutil.h"

/*
 * Nothing here depends on timing: a result is compared bit for bit with the result of
 * the same call made with one thread, and the pool's chunking is checked through a
 * callback that records which thread ran which range.  A watchdog alarm turns a
 * deadlock into a failure instead of a hang.
 */

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

/* Large enough for every dtype to cross the pool's size threshold, which main() lowers
 * to 2 MiB read + written (float16/bfloat16 out of place: 4 bytes per element) so that
 * the pool is exercised on data that stays small under sanitizers and qemu.  `light`: smaller
 * sizes and fewer rounds under ThreadSanitizer and under qemu-user (LRELU_TEST_QEMU),
 * which run 10-50 times slower. */
static int light;
#define BIG (light ? (size_t)600000 + 77 : ((size_t)1 << 21) + 77)
#define MAXT 8

/* ---- FP environment helpers ------------------------------------------------------ */
#if defined(__x86_64__) || (defined(__i386__) && defined(__SSE2__))
#include <xmmintrin.h>
#define HAVE_FTZ 1
static unsigned long fp_get(void)
{
	return _mm_getcsr();
}
static void fp_set(unsigned long v)
{
	_mm_setcsr((unsigned int)v);
}
#define FTZ_BITS 0x8040ul /* FTZ | DAZ */
#elif defined(__aarch64__)
#define HAVE_FTZ 1
static unsigned long fp_get(void)
{
	uint64_t v;
	__asm__ __volatile__("mrs %0, fpcr" : "=r"(v));
	return (unsigned long)v;
}
static void fp_set(unsigned long v)
{
	uint64_t w = v;
	__asm__ __volatile__("msr fpcr, %0" : : "r"(w));
}
#define FTZ_BITS (1ul << 24) /* FZ */
#else
#define HAVE_FTZ 0
static unsigned long fp_get(void)
{
	return 0;
}
static void fp_set(unsigned long v)
{
	(void)v;
}
#define FTZ_BITS 0ul
#endif

/* ---- data ------------------------------------------------------------------------ */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Random bit patterns (every class: NaN, inf, subnormals, +-0) mixed with ordinary
 * values of both signs, so both branches of every rule run in every chunk. */
static void fill(void *buf, size_t bytes)
{
	unsigned char *b = buf;
	for (size_t i = 0; i < bytes; i += 8) {
		uint64_t r = next_rand();
		if ((r & 3) != 0) /* mostly small exponents: many subnormals in every dtype */
			r &= 0x80FF80FF80FF80FFull | (r >> 60 << 56);
		memcpy(b + i, &r, bytes - i < 8 ? bytes - i : 8);
	}
}

static const lrelu_dtype dtypes[] = { LRELU_FLOAT32, LRELU_FLOAT64, LRELU_BFLOAT16,
                                      LRELU_FLOAT16 };

static lrelu_status flat_fwd(lrelu_dtype dt, const void *x, void *y, size_t n)
{
	return tu_flat_fwd(dt, x, y, n, 0.01);
}

static lrelu_status flat_bwd(lrelu_dtype dt, const void *dy, const void *a, void *dx, size_t n)
{
	return tu_flat_bwd(dt, dy, a, dx, n, 0.01);
}

/* ---- the chunking, seen through lrelu_parallel_for ----------------------------------- */
struct rec {
	pthread_mutex_t mu;
	size_t count;
	size_t b[1024], e[1024];
	pthread_t tid[1024];
	int env_dirty;       /* a chunk ran with FTZ/DAZ set */
	int poison;          /* set FTZ/DAZ in the worker and leave it set */
	int barrier;         /* hold each thread's first chunk until this many threads have one */
	int barrier_s;       /* ... or this many seconds have passed */
	int distinct;
	pthread_t seen[MAXT + 1];
	pthread_t caller;
	int worker_sleep_ms; /* a worker sleeps this long in each chunk it runs */
};

static void rec_range(void *arg, size_t begin, size_t end)
{
	struct rec *r = arg;
	int on_worker = !pthread_equal(pthread_self(), r->caller);
	unsigned long env = fp_get();
	pthread_mutex_lock(&r->mu);
	if (r->count < 1024) {
		r->b[r->count] = begin;
		r->e[r->count] = end;
		r->tid[r->count] = pthread_self();
	}
	r->count++;
	if (on_worker && (env & FTZ_BITS) != 0)
		r->env_dirty = 1;
	int first = 1;
	for (int i = 0; i < r->distinct; i++)
		if (pthread_equal(r->seen[i], pthread_self()))
			first = 0;
	if (first && r->distinct <= MAXT)
		r->seen[r->distinct++] = pthread_self();
	pthread_mutex_unlock(&r->mu);
	/* Threads claim chunks as they come, so how many threads get one depends on timing;
	 * holding each thread's first chunk until `barrier` threads have one makes it
	 * deterministic (a pool that never starts its workers fails after the time-out,
	 * which only a machine stalled for 20 s could reach otherwise). */
	if (first && r->barrier > 1) {
		struct timespec t0, t;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (;;) {
			pthread_mutex_lock(&r->mu);
			int d = r->distinct;
			pthread_mutex_unlock(&r->mu);
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (d >= r->barrier || t.tv_sec - t0.tv_sec >= r->barrier_s)
				break;
			sched_yield();
		}
	}
	if (on_worker && r->poison)
		fp_set(env | FTZ_BITS);
	if (on_worker && r->worker_sleep_ms > 0)
		usleep((useconds_t)r->worker_sleep_ms * 1000);
}

/* Runs parallel_for and checks that the chunks tile [0, n) in order of their begin,
 * that inner boundaries are multiples of align, and returns the distinct threads. */
static int check_chunks(size_t n, size_t align, size_t bpe, struct rec *r, const char *what)
{
	r->count = 0;
	r->env_dirty = 0;
	r->distinct = 0;
	r->caller = pthread_self();
	lrelu_parallel_for(n, align, bpe, rec_range, r);
	size_t cnt = r->count < 1024 ? r->count : 1024;
	CHECK(r->count >= 1 && r->count <= 1024, "%s: %zu chunks", what, r->count);
	/* sort by begin (few entries) */
	for (size_t i = 1; i < cnt; i++)
		for (size_t j = i; j > 0 && r->b[j - 1] > r->b[j]; j--) {
			size_t tb = r->b[j], te = r->e[j];
			pthread_t tt = r->tid[j];
			r->b[j] = r->b[j - 1];
			r->e[j] = r->e[j - 1];
			r->tid[j] = r->tid[j - 1];
			r->b[j - 1] = tb;
			r->e[j - 1] = te;
			r->tid[j - 1] = tt;
		}
	size_t pos = 0;
	int ok = 1;
	for (size_t i = 0; i < cnt; i++) {
		if (r->b[i] != pos || r->e[i] <= r->b[i] || (r->e[i] != n && r->e[i] % align != 0))
			ok = 0;
		pos = r->e[i];
	}
	CHECK(ok && pos == n, "%s: chunks do not tile [0, %zu) at multiples of %zu", what, n, align);
	int distinct = 0;
	for (size_t i = 0; i < cnt; i++) {
		int seen = 0;
		for (size_t j = 0; j < i; j++)
			seen |= pthread_equal(r->tid[i], r->tid[j]);
		distinct += !seen;
	}
	return distinct;
}

static void test_chunking(void)
{
	struct rec r;
	size_t nt_saved = lrelu_nt_bytes;
	/* Calls big enough for non-temporal stores get chunks at least that big; here
	 * the count of chunks should depend on the thread count only. */
	lrelu_nt_bytes = SIZE_MAX;
	memset(&r, 0, sizeof r);
	r.barrier_s = 20;
	pthread_mutex_init(&r.mu, NULL);

	/* The first pool is created by a caller with FTZ/DAZ set: the workers inherit it,
	 * and must still run their chunks in the IEEE environment. */
	unsigned long saved = fp_get();
	fp_set(saved | FTZ_BITS);
	lrelu_set_num_threads(4);
	r.barrier = 4;
	int d = check_chunks((size_t)1 << 22, 64, 8, &r, "4 threads, FTZ caller");
	CHECK(d == 4, "4 threads: %d distinct threads ran chunks", d);
	CHECK(r.env_dirty == 0, "a worker ran a chunk with FTZ/DAZ set (inherited)");
	fp_set(saved);

	/* A task that leaves FTZ set in a worker must not leak it into the next task. */
	r.barrier = 0;
	r.poison = 1;
	check_chunks((size_t)1 << 22, 64, 8, &r, "poison");
	r.poison = 0;
	check_chunks((size_t)1 << 22, 64, 8, &r, "after poison");
	CHECK(r.env_dirty == 0, "a worker kept FTZ/DAZ from a previous task");

	for (int t = 1; t <= MAXT; t++) {
		char what[64];
		lrelu_set_num_threads(t);
		snprintf(what, sizeof what, "%d threads", t);
		r.barrier = t;
		d = check_chunks(((size_t)1 << 22) + 5, 64, 8, &r, what);
		CHECK(d == t, "%d threads: %d distinct threads ran chunks", t, d);
		r.barrier = 0;
		/* odd alignment, size not a multiple of it */
		check_chunks(((size_t)1 << 21) + 3, 48, 8, &r, what);
		/* small calls never leave the caller's thread */
		d = check_chunks(64, 64, 8, &r, "64 elements");
		CHECK(d == 1 && r.count == 1 && pthread_equal(r.tid[0], pthread_self()),
		      "64 elements: %zu chunks on %d threads", r.count, d);
		d = check_chunks(1000, 1, 12, &r, "1000 elements");
		CHECK(d == 1 && r.count == 1, "1000 elements: %zu chunks", r.count);
	}
	/* Lowered after the pool grew to 7 workers: only 2 threads may take part.  Each
	 * thread's first chunk waits a second for a third thread, which must not come. */
	lrelu_set_num_threads(2);
	r.barrier = 3;
	r.barrier_s = 1;
	d = check_chunks((size_t)1 << 22, 64, 8, &r, "8 then 2 threads");
	CHECK(d == 2, "pool of 8 set to 2 threads: %d distinct threads ran chunks", d);
	r.barrier = 0;
	r.barrier_s = 20;
	/* fewer alignment units than threads: one chunk per unit at most */
	lrelu_set_num_threads(8);
	check_chunks(3 * 4096 + 1, 4096, 1024, &r, "4 units");
	CHECK(r.count <= 4, "4 alignment units split into %zu chunks", r.count);

	/* A call large enough for non-temporal stores is still cut like any other (the
	 * kernels stream per call, lrelu_kparams.nt, not per chunk): with them from 1 MiB
	 * per operand, a 16 MiB call runs as several chunks on several threads. */
	lrelu_nt_bytes = (size_t)1 << 20;
	r.barrier = 2; /* both threads hold a chunk at once, or 20 s pass */
	d = check_chunks((size_t)1 << 21, 64, 8, &r, "NT-sized call");
	r.barrier = 0;
	CHECK(r.count >= 8 && d >= 2, "NT-sized call: %zu chunks on %d threads", r.count, d);
	lrelu_nt_bytes = nt_saved;
	pthread_mutex_destroy(&r.mu);
}

/* Waits (up to `seconds`) until all the pool's workers are in one state: asleep until woken,
 * or napping, having seen the last job; napping on the job before it (the last job, too
 * small to wake them, left them be); or awake (spinning or running a job).  The pool may
 * have more workers than the 2-thread calls use: they sit those out, and see each job
 * all the same.  Not the pool's counters of sleepers and nappers: a worker woken by the
 * last job, not yet run, still counts there (a worker seen "napping" that way would then
 * spin and join the next call). */
enum worker_state { ASLEEP, NAPPING, NAPPING_BEFORE_LAST, AWAKE };
static int wait_worker_state(enum worker_state want, int seconds)
{
	for (int i = 0; i < seconds * 1000; i++) {
		struct lrelu_par_census c;
		if (lrelu_par_census(&c) == 0 && c.workers >= 1 &&
		    c.workers == (want == ASLEEP    ? c.asleep_seen_last
		                  : want == NAPPING ? c.napping_seen_last
		                  : want == NAPPING_BEFORE_LAST ? c.napping_before_last
		                                                : c.awake))
			return 1;
		usleep(1000);
	}
	return 0;
}

/* The pool's policy (threads.c): a call uses it exactly when it moves more than the
 * threshold, and the same call always takes the same path, whatever the calls before
 * it cost; workers asleep after their spin still take part; idle workers sleep. */
static void test_policy(void)
{
	struct rec r;
	const size_t min = lrelu_par_min_bytes;
	uint64_t spin_saved = lrelu_spin_ns;
	memset(&r, 0, sizeof r);
	pthread_mutex_init(&r.mu, NULL);
	r.barrier_s = 20;
	lrelu_set_num_threads(2);

	/* the threshold, both sides: min bytes (8 per element) on one thread in one piece,
	 * one element more on both threads (each holds its first chunk until the other has
	 * one: a pool that stays serial fails here after 20 s) */
	check_chunks(min / 8, 64, 8, &r, "at the threshold");
	CHECK(r.count == 1 && pthread_equal(r.tid[0], r.caller),
	      "a call of exactly the threshold ran as %zu chunk(s)", r.count);
	r.barrier = 2;
	int d = check_chunks(min / 8 + 1, 64, 8, &r, "one element above");
	CHECK(d == 2, "one element above the threshold: %d thread(s)", d);

	/* A worker held up 50 ms in every chunk it runs, then the same call again: it
	 * still uses both threads and cuts the same chunks (no timing history). */
	size_t n = min / 2, b0[1024], e0[1024], c0;
	d = check_chunks(n, 64, 8, &r, "first");
	c0 = r.count < 1024 ? r.count : 1024;
	memcpy(b0, r.b, c0 * sizeof b0[0]);
	memcpy(e0, r.e, c0 * sizeof e0[0]);
	CHECK(d == 2 && c0 > 2, "first call: %zu chunks on %d thread(s)", c0, d);
	r.worker_sleep_ms = 50;
	for (int i = 0; i < 3; i++)
		check_chunks(n, 64, 8, &r, "held-up worker");
	r.worker_sleep_ms = 0;
	for (int i = 0; i < 3; i++) {
		d = check_chunks(n, 64, 8, &r, "after held-up calls");
		CHECK(d == 2 && r.count == c0 && memcmp(r.b, b0, c0 * sizeof b0[0]) == 0 &&
		      memcmp(r.e, e0, c0 * sizeof e0[0]) == 0,
		      "after held-up calls: %zu chunks on %d thread(s), not the first call's %zu",
		      r.count, d, c0);
	}

	/* Workers that sleep at once (no spin, no nap) and a caller that sleeps waiting for
	 * them (the futex paths): still both threads, every time, and nothing lost. */
	uint64_t nap_saved = lrelu_nap_ns;
	lrelu_spin_ns = 0;
	lrelu_nap_ns = 0;
	for (int i = 0; i < 20; i++) {
		r.worker_sleep_ms = i % 4 == 0 ? 2 : 0;
		d = check_chunks(n + (size_t)i, 64, 8, &r, "no spin");
		CHECK(d == 2, "no spin, call %d: %d thread(s)", i, d);
		if (d != 2)
			break; /* a lost wake-up: each call would wait out the barrier */
	}
	r.worker_sleep_ms = 0;
	lrelu_spin_ns = spin_saved;
	lrelu_nap_ns = nap_saved;

	/* Idle: after their spin and nap every worker sleeps, seen through the pool's own count of
	 * sleepers rather than CPU time.  All 8 threads run a chunk of the last call (the
	 * barrier), so every worker spins after it: with a 3 s spin none sleeps right
	 * after the call; then each must fall asleep (a worker that spins on for ever
	 * fails after 30 s). */
	lrelu_set_num_threads(MAXT);
	r.barrier = MAXT;
	lrelu_spin_ns = 3000000000u;
	d = check_chunks((size_t)1 << 22, 64, 8, &r, "last call");
	struct lrelu_par_census c;
	lrelu_par_census(&c);
	CHECK(d == MAXT && c.workers == MAXT - 1 && c.awake == c.workers && c.sleepers == 0,
	      "right after a call on %d threads with a 3 s spin: %d of %d workers awake, %d asleep",
	      d, c.awake, c.workers, c.sleepers);
	lrelu_spin_ns = spin_saved;
	int slept = wait_worker_state(ASLEEP, 30);
	lrelu_par_census(&c);
	CHECK(slept && c.sleepers == c.workers && c.nappers == 0,
	      "30 s after the last call: %d of %d workers asleep, %d napping", c.asleep_seen_last,
	      c.workers, c.nappers);
	r.barrier = 0;
	lrelu_set_num_threads(2);
	pthread_mutex_destroy(&r.mu);
}

/* Futex wakes of workers since the count was w0. */
static unsigned long long wakes_since(uint64_t w0)
{
	return (unsigned long long)(atomic_load(&lrelu_par_wakes) - w0);
}

/* The wake-up rule (threads.c): a call wakes a worker asleep until woken whatever its
 * size, and a napping worker only from lrelu_wake_min_bytes up; a smaller call runs on
 * the caller alone, and the napper that finds it spins, so the next call finds it
 * awake.  Observed through the count of futex wakes, the threads that ran chunks, and
 * a barrier that holds the caller's first chunk until the worker has one (a worker
 * that nothing wakes fails it after 20 s). */
static void test_wake_rule(void)
{
	struct rec r;
	const uint64_t spin_saved = lrelu_spin_ns, nap_saved = lrelu_nap_ns,
	               slice_saved = lrelu_nap_slice_ns;
	const size_t wake_saved = lrelu_wake_min_bytes, min = lrelu_par_min_bytes;
	uint64_t w0;
	int d;
	memset(&r, 0, sizeof r);
	pthread_mutex_init(&r.mu, NULL);
	r.barrier_s = 20;
	lrelu_set_num_threads(2);
	lrelu_spin_ns = 0;
	lrelu_wake_min_bytes = 4 * min; /* 8 bytes per element below: min / 2 elements */

	/* A napper whose slice outlasts the test: one element below the threshold no wake,
	 * and the caller runs every chunk; at the threshold one wake, and the worker takes
	 * part. */
	lrelu_nap_ns = lrelu_nap_slice_ns = 600000000000u;
	check_chunks(min, 64, 8, &r, "start the worker");
	CHECK(wait_worker_state(NAPPING, 20), "the worker does not nap");
	w0 = atomic_load(&lrelu_par_wakes);
	d = check_chunks(min / 2 - 1, 64, 8, &r, "below the wake threshold");
	CHECK(wakes_since(w0) == 0 && r.count >= 2 && d == 1,
	      "one element below the wake threshold: %llu wake(s), %zu chunk(s) on %d thread(s)",
	      wakes_since(w0), r.count, d);
	CHECK(wait_worker_state(NAPPING_BEFORE_LAST, 20), "the worker does not nap on");
	w0 = atomic_load(&lrelu_par_wakes);
	r.barrier = 2;
	d = check_chunks(min / 2, 64, 8, &r, "at the wake threshold");
	CHECK(wakes_since(w0) == 1 && d == 2,
	      "at the wake threshold: %llu wake(s), %d thread(s)",
	      wakes_since(w0), d);

	/* A napper with 1 ms slices: a small call, not woken, runs on the caller alone; the
	 * napper finds it when its slice ends and spins (a 600 s spin here: until the next
	 * job), so the next small call has both threads without a wake. */
	lrelu_nap_slice_ns = 1000000;
	r.barrier = 0;
	check_chunks(min, 64, 8, &r, "shorter slices");
	CHECK(wait_worker_state(NAPPING, 20), "the worker does not nap with 1 ms slices");
	lrelu_spin_ns = 600000000000u;
	w0 = atomic_load(&lrelu_par_wakes);
	r.barrier = 2; /* the caller holds its first chunk 2 s: a napper that joined would show */
	r.barrier_s = 2;
	d = check_chunks(min / 2 - 1, 64, 8, &r, "small call, napper");
	r.barrier_s = 20;
	r.barrier = 0;
	CHECK(wakes_since(w0) == 0 && d == 1,
	      "a small call and a napper: %llu wake(s), %d thread(s)",
	      wakes_since(w0), d);
	/* the napper looks within 1 ms, then spins */
	CHECK(wait_worker_state(AWAKE, 20), "after a small call the napper does not spin");
	r.barrier = 2;
	d = check_chunks(min / 2 - 1, 64, 8, &r, "small call, spinning worker");
	CHECK(wakes_since(w0) == 0 && d == 2,
	      "the next small call: %llu wake(s), %d thread(s)",
	      wakes_since(w0), d);
	lrelu_spin_ns = 0;
	check_chunks(min, 64, 8, &r, "end the spin"); /* the spinning worker's job: spin 0 next */

	/* A worker past its nap: the smallest pooled call wakes it. */
	lrelu_nap_ns = 0;
	check_chunks(min, 64, 8, &r, "no nap");
	CHECK(wait_worker_state(ASLEEP, 20), "the worker does not sleep without a nap");
	w0 = atomic_load(&lrelu_par_wakes);
	d = check_chunks(min / 8 + 1, 64, 8, &r, "a sleeper, smallest pooled call");
	CHECK(wakes_since(w0) == 1 && d == 2,
	      "a sleeper and the smallest pooled call: %llu wake(s), %d thread(s)",
	      wakes_since(w0), d);

	r.barrier = 0;
	lrelu_spin_ns = spin_saved;
	lrelu_nap_ns = nap_saved;
	lrelu_nap_slice_ns = slice_saved;
	lrelu_wake_min_bytes = wake_saved;
	pthread_mutex_destroy(&r.mu);
}

/* ---- the library's own callers, seen through the pool's test hooks ------------------ */

#define HOOK_MAX 4096
static pthread_mutex_t hook_mu = PTHREAD_MUTEX_INITIALIZER;
static size_t hook_count, hook_align, hook_b[HOOK_MAX], hook_e[HOOK_MAX];

static void hook_rec(size_t begin, size_t end, size_t align)
{
	pthread_mutex_lock(&hook_mu);
	if (hook_count < HOOK_MAX) {
		hook_b[hook_count] = begin;
		hook_e[hook_count] = end;
	}
	hook_count++;
	hook_align = align;
	pthread_mutex_unlock(&hook_mu);
}

/* Records the chunks of the calls until hook_stop; returns the pooled-job count. */
static uint64_t hook_start(void)
{
	hook_count = 0;
	hook_align = 0;
	atomic_store(&lrelu_par_chunk_hook, hook_rec);
	return atomic_load(&lrelu_par_pooled);
}

/* Stops recording, sorts the chunks by begin and returns the jobs pooled since `since`
 * (every chunk has run when the call returns: the caller waits for them). */
static uint64_t hook_stop(uint64_t since)
{
	atomic_store(&lrelu_par_chunk_hook, NULL);
	size_t cnt = hook_count < HOOK_MAX ? hook_count : HOOK_MAX;
	for (size_t i = 1; i < cnt; i++)
		for (size_t j = i; j > 0 && hook_b[j - 1] > hook_b[j]; j--) {
			size_t tb = hook_b[j], te = hook_e[j];
			hook_b[j] = hook_b[j - 1];
			hook_e[j] = hook_e[j - 1];
			hook_b[j - 1] = tb;
			hook_e[j - 1] = te;
		}
	return atomic_load(&lrelu_par_pooled) - since;
}

/* The recorded chunks tile [0, n) units, and every inner edge is `unit_bytes` times a
 * unit index that falls on a 4 KiB page of a page-aligned operand. */
static int edges_on_pages(size_t n, size_t unit_bytes)
{
	size_t pos = 0;
	if (hook_count < 2 || hook_count > HOOK_MAX)
		return 0;
	for (size_t i = 0; i < hook_count; i++) {
		if (hook_b[i] != pos || hook_e[i] <= pos)
			return 0;
		if (hook_e[i] != n && hook_e[i] * unit_bytes % 4096 != 0)
			return 0;
		pos = hook_e[i];
	}
	return pos == n;
}

static void *page_alloc(size_t bytes)
{
	void *p = aligned_alloc(4096, (bytes + 4095) & ~(size_t)4095);
	CHECK(p != NULL, "aligned_alloc(%zu)", bytes);
	if (p != NULL)
		fill(p, bytes);
	return p;
}

/* Every chunk the dense runner and PReLU hand the pool starts and ends on a 4 KiB page
 * of every operand (so on whole cache lines too): no page or line is written by two
 * threads.  Forward out of place and in place, backward, every float dtype. */
static void test_page_edges(void)
{
	const size_t n = BIG;
	lrelu_set_num_threads(3);
	for (size_t k = 0; k < sizeof dtypes / sizeof dtypes[0]; k++) {
		lrelu_dtype dt = dtypes[k];
		size_t es = lrelu_dtype_size(dt);
		unsigned char *x = page_alloc(n * es), *g = page_alloc(n * es), *y = page_alloc(n * es);
		for (int how = 0; x && g && y && how < 3; how++) {
			static const char *const hows[] = { "forward", "in place", "backward" };
			uint64_t since = hook_start();
			lrelu_status st = how == 0 ? flat_fwd(dt, x, y, n)
			                  : how == 1 ? flat_fwd(dt, y, y, n)
			                             : flat_bwd(dt, g, x, y, n);
			uint64_t pooled = hook_stop(since);
			CHECK(st == LRELU_OK && pooled == 1 && hook_align * es == 4096 &&
			              edges_on_pages(n, es),
			      "%s %s: %zu chunks of a %zu-element align, pooled %llu time(s), not all on "
			      "4 KiB pages", lrelu_dtype_name(dt), hows[how], hook_count, hook_align,
			      (unsigned long long)pooled);
		}
		free(x);
		free(g);
		free(y);
	}
	/* PReLU channels-first cuts rows of H * W elements: 9 x 9 float32 rows of 324 bytes
	 * need 1024 of them to end on a page (324 = 4 * 81); 256 x 16 rows move 2.5 MiB,
	 * above the tests' 2 MiB threshold under sanitizers too */
	{
		int64_t shape[4] = { 256, 16, 9, 9 }, wshape[1] = { 16 };
		size_t rows = (size_t)shape[0] * 16, cnt = rows * 81;
		float *x = page_alloc(cnt * 4), *y = page_alloc(cnt * 4), w[16];
		for (int c = 0; c < 16; c++)
			w[c] = 0.01f * (float)(c + 1);
		if (x != NULL && y != NULL) {
			lrelu_tensor xt = lrelu_tensor_make(x, LRELU_FLOAT32, 4, shape, NULL);
			lrelu_tensor yt = lrelu_tensor_make(y, LRELU_FLOAT32, 4, shape, NULL);
			lrelu_tensor wt = lrelu_tensor_make(w, LRELU_FLOAT32, 1, wshape, NULL);
			uint64_t since = hook_start();
			lrelu_status st = lrelu_prelu_forward(LRELU_TORCH, &xt, &wt, &yt);
			uint64_t pooled = hook_stop(since);
			CHECK(st == LRELU_OK && pooled == 1 && hook_align == 1024 &&
			              edges_on_pages(rows, 324),
			      "PReLU 9x9 rows: %zu chunks of a %zu-row align, pooled %llu time(s), not all "
			      "on 4 KiB pages", hook_count, hook_align, (unsigned long long)pooled);
		}
		free(x);
		free(y);
	}
}

/* The size threshold through the library's own calls, counted by the pool (no
 * timing): one element below it and exactly at it the call runs on the caller's
 * thread, one element above it goes to the pool; and the same call made twice takes
 * the same path and the same chunks.  Bytes per element as the callers count them:
 * read + written, 16-bit floats double (lrelu_par_weight). */
static void test_threshold(void)
{
	static const struct {
		lrelu_dtype dt;
		int how; /* 0 forward, 1 in place, 2 backward */
		size_t bpe;
	} cases[] = {
		{ LRELU_FLOAT32, 0, 8 },  { LRELU_FLOAT32, 1, 8 },  { LRELU_FLOAT32, 2, 12 },
		{ LRELU_FLOAT64, 0, 16 }, { LRELU_BFLOAT16, 0, 8 }, { LRELU_BFLOAT16, 2, 12 },
		{ LRELU_FLOAT16, 1, 8 },
	};
	const size_t nmax = lrelu_par_min_bytes / 8 + 1;
	unsigned char *x = page_alloc(nmax * 8), *g = page_alloc(nmax * 8), *y = page_alloc(nmax * 8);
	static size_t b0[HOOK_MAX], e0[HOOK_MAX];
	lrelu_set_num_threads(2);
	for (size_t k = 0; x && g && y && k < sizeof cases / sizeof cases[0]; k++) {
		lrelu_dtype dt = cases[k].dt;
		size_t at = lrelu_par_min_bytes / cases[k].bpe, c0 = 0;
		for (size_t n = at - 1; n <= at + 1; n++)
			for (int twice = 0; twice < 2; twice++) {
				uint64_t since = hook_start();
				lrelu_status st = cases[k].how == 0 ? flat_fwd(dt, x, y, n)
				                  : cases[k].how == 1 ? flat_fwd(dt, y, y, n)
				                                      : flat_bwd(dt, g, x, y, n);
				uint64_t pooled = hook_stop(since);
				uint64_t want = n > at;
				CHECK(st == LRELU_OK && pooled == want,
				      "%s kind %d, %zu elements (threshold at %zu), call %d: pooled %llu time(s)",
				      lrelu_dtype_name(dt), cases[k].how, n, at, twice + 1,
				      (unsigned long long)pooled);
				if (!want)
					continue;
				size_t cnt = hook_count < HOOK_MAX ? hook_count : HOOK_MAX;
				if (twice == 0) {
					c0 = cnt;
					memcpy(b0, hook_b, cnt * sizeof b0[0]);
					memcpy(e0, hook_e, cnt * sizeof e0[0]);
				} else {
					CHECK(cnt == c0 && cnt > 1 && memcmp(b0, hook_b, cnt * sizeof b0[0]) == 0 &&
					              memcmp(e0, hook_e, cnt * sizeof e0[0]) == 0,
					      "%s kind %d, %zu elements: the second call cut %zu chunks, the first %zu "
					      "(or other edges)", lrelu_dtype_name(dt), cases[k].how, n, cnt, c0);
				}
			}
	}
	free(x);
	free(g);
	free(y);
}

/* The buffers of one case: x (xbytes), g, ref, bref and y (bytes each), x and g
 * filled.  Returns 0 (after a failed CHECK) if memory ran out. */
struct bufs {
	unsigned char *x, *g, *ref, *bref, *y;
};
static int bufs_alloc(struct bufs *b, size_t xbytes, size_t bytes)
{
	b->x = malloc(xbytes);
	b->g = malloc(bytes);
	b->ref = malloc(bytes);
	b->bref = malloc(bytes);
	b->y = malloc(bytes);
	CHECK(b->x && b->g && b->ref && b->bref && b->y, "allocation");
	if (!(b->x && b->g && b->ref && b->bref && b->y))
		return 0;
	fill(b->x, xbytes);
	fill(b->g, bytes);
	return 1;
}
static void bufs_free(struct bufs *b)
{
	free(b->x);
	free(b->g);
	free(b->ref);
	free(b->bref);
	free(b->y);
}

/* bufs_alloc for BIG elements of dt, with the one-thread results of the flat forward
 * (ref) and backward (bref) that every thread count must reproduce. */
static int bufs_flat(struct bufs *b, lrelu_dtype dt)
{
	size_t bytes = BIG * lrelu_dtype_size(dt);
	if (!bufs_alloc(b, bytes, bytes))
		return 0;
	lrelu_set_num_threads(1);
	CHECK(flat_fwd(dt, b->x, b->ref, BIG) == LRELU_OK, "%s forward", lrelu_dtype_name(dt));
	CHECK(flat_bwd(dt, b->g, b->x, b->bref, BIG) == LRELU_OK, "%s backward",
	      lrelu_dtype_name(dt));
	return 1;
}

/* ---- bit identity for thread counts 1..8 ------------------------------------------- */

static void test_identity_flat(void)
{
	for (size_t k = 0; k < sizeof dtypes / sizeof dtypes[0]; k++) {
		lrelu_dtype dt = dtypes[k];
		size_t es = lrelu_dtype_size(dt), n = BIG, bytes = n * es;
		struct bufs b;
		if (!bufs_flat(&b, dt))
			return;
		unsigned char *x = b.x, *g = b.g, *ref = b.ref, *bref = b.bref, *y = b.y;
		for (int t = 2; t <= MAXT; t++) {
			lrelu_set_num_threads(t);
			memset(y, 0xA5, bytes);
			flat_fwd(dt, x, y, n);
			CHECK(memcmp(y, ref, bytes) == 0, "flat %s forward, %d threads", lrelu_dtype_name(dt), t);
			memcpy(y, x, bytes);
			flat_fwd(dt, y, y, n); /* in place */
			CHECK(memcmp(y, ref, bytes) == 0, "flat %s forward in place, %d threads",
			      lrelu_dtype_name(dt), t);
			memset(y, 0xA5, bytes);
			flat_bwd(dt, g, x, y, n);
			CHECK(memcmp(y, bref, bytes) == 0, "flat %s backward, %d threads",
			      lrelu_dtype_name(dt), t);
			memcpy(y, g, bytes);
			flat_bwd(dt, y, x, y, n); /* dx aliases dy */
			CHECK(memcmp(y, bref, bytes) == 0, "flat %s backward dx = dy, %d threads",
			      lrelu_dtype_name(dt), t);
		}
		bufs_free(&b);
	}
}

/* Strided tensors: x every other element of a wider buffer (gather path), rows that
 * chunks cut in the middle, a transposed grad_output; both frameworks' rules. */
static void test_identity_tensor(void)
{
	const int64_t rows = light ? 777 : 1027, cols = light ? 1023 : 2045;
	const int64_t shape[2] = { rows, cols };
	const int64_t xs[2] = { 2 * cols, 2 };  /* every other element */
	const int64_t ts[2] = { 1, rows };      /* column-major */
	const size_t n = (size_t)(rows * cols);
	static const lrelu_framework fws[] = { LRELU_TORCH, LRELU_MINDSPORE };

	for (size_t k = 0; k < sizeof dtypes / sizeof dtypes[0]; k++) {
		lrelu_dtype dt = dtypes[k];
		size_t es = lrelu_dtype_size(dt), bytes = n * es;
		struct bufs b;
		if (!bufs_alloc(&b, 2 * bytes, bytes))
			return;
		unsigned char *x = b.x, *g = b.g, *ref = b.ref, *iref = b.bref, *y = b.y;
		for (size_t f = 0; f < 2; f++) {
			double slope = f == 0 ? 0.01 : 0.2;
			lrelu_tensor tx = lrelu_tensor_make(x, dt, 2, shape, xs);
			lrelu_tensor ty = lrelu_tensor_make(y, dt, 2, shape, NULL);
			lrelu_tensor tg = lrelu_tensor_make(g, dt, 2, shape, ts);
			lrelu_tensor tc = lrelu_tensor_make(y, dt, 2, shape, NULL);
			for (int t = 1; t <= MAXT; t++) {
				lrelu_set_num_threads(t);
				/* forward, strided x -> contiguous y */
				memset(y, 0x5A, bytes);
				CHECK(lrelu_forward(fws[f], slope, &tx, &ty) == LRELU_OK, "tensor forward: %s",
				      lrelu_last_error());
				if (t == 1)
					memcpy(ref, y, bytes);
				else
					CHECK(memcmp(y, ref, bytes) == 0, "tensor %s %s forward, %d threads",
					      lrelu_framework_name(fws[f]), lrelu_dtype_name(dt), t);
				/* forward in place on the contiguous result */
				CHECK(lrelu_forward(fws[f], slope, &tc, NULL) == LRELU_OK, "in place: %s",
				      lrelu_last_error());
				if (t == 1)
					memcpy(iref, y, bytes);
				else
					CHECK(memcmp(y, iref, bytes) == 0, "tensor %s %s in place, %d threads",
					      lrelu_framework_name(fws[f]), lrelu_dtype_name(dt), t);
			}
			for (int t = 1; t <= MAXT; t++) {
				lrelu_set_num_threads(t);
				/* backward: saved strided, grad_output transposed, grad_input contiguous */
				memset(y, 0x5A, bytes);
				CHECK(lrelu_backward(fws[f], slope, &tg, &tx, false, &ty) == LRELU_OK,
				      "tensor backward: %s", lrelu_last_error());
				if (t == 1)
					memcpy(ref, y, bytes);
				else
					CHECK(memcmp(y, ref, bytes) == 0, "tensor %s %s backward, %d threads",
					      lrelu_framework_name(fws[f]), lrelu_dtype_name(dt), t);
			}
		}
		bufs_free(&b);
	}
}

/* FTZ/DAZ in the caller: the result must still be the IEEE one, with the pool. */
static void test_ftz_caller(void)
{
	if (!HAVE_FTZ)
		return;
	for (size_t k = 0; k < sizeof dtypes / sizeof dtypes[0]; k++) {
		lrelu_dtype dt = dtypes[k];
		size_t es = lrelu_dtype_size(dt), n = BIG, bytes = n * es;
		struct bufs b;
		if (!bufs_flat(&b, dt))
			return;
		unsigned char *x = b.x, *ref = b.ref, *y = b.y;
		unsigned long saved = fp_get();
		for (int t = 1; t <= 4; t++) {
			lrelu_set_num_threads(t);
			fp_set(saved | FTZ_BITS);
			flat_fwd(dt, x, y, n);
			unsigned long after = fp_get();
			fp_set(saved);
			CHECK(after == (saved | FTZ_BITS), "the caller's FTZ/DAZ was not restored");
			CHECK(memcmp(y, ref, bytes) == 0, "%s with FTZ/DAZ in the caller, %d threads",
			      lrelu_dtype_name(dt), t);
		}
		bufs_free(&b);
	}
}

/* ---- many caller threads at once ------------------------------------------------------ */
struct caller {
	pthread_t tid;
	int id;
	size_t n;
	float *x, *y, *ref;
	int bad;
};

static void *caller_main(void *arg)
{
	struct caller *c = arg;
	int iters = light ? 4 : 12;
	for (int i = 0; i < iters; i++) {
		memset(c->y, 0, c->n * sizeof(float));
		if (lrelu_f32(c->x, c->y, c->n, 0.01f) != LRELU_OK)
			c->bad++;
		else if (memcmp(c->y, c->ref, c->n * sizeof(float)) != 0)
			c->bad++;
		/* one caller keeps changing the thread count under the others */
		if (c->id == 0 && lrelu_set_num_threads(1 + i % 4) != LRELU_OK)
			c->bad++;
		if (lrelu_get_num_threads() < 1)
			c->bad++;
		/* a small call: never touches the pool */
		if (lrelu_f32(c->x, c->y, 64, 0.01f) != LRELU_OK)
			c->bad++;
	}
	return NULL;
}

static void test_many_callers(void)
{
	enum { NC = 8 };
	struct caller c[NC];
	size_t n = light ? (size_t)300000 + 3 : (size_t)700000 + 3;
	lrelu_set_num_threads(1);
	for (int i = 0; i < NC; i++) {
		c[i].id = i;
		c[i].n = n + (size_t)i * 64;
		c[i].x = malloc(c[i].n * sizeof(float));
		c[i].y = malloc(c[i].n * sizeof(float));
		c[i].ref = malloc(c[i].n * sizeof(float));
		c[i].bad = 0;
		CHECK(c[i].x && c[i].y && c[i].ref, "allocation");
		if (!(c[i].x && c[i].y && c[i].ref))
			return;
		fill(c[i].x, c[i].n * sizeof(float));
		lrelu_f32(c[i].x, c[i].ref, c[i].n, 0.01f);
	}
	lrelu_set_num_threads(4);
	int started = 0;
	for (int i = 0; i < NC; i++)
		if (pthread_create(&c[i].tid, NULL, caller_main, &c[i]) == 0)
			started = i + 1;
		else
			break;
	CHECK(started == NC, "started %d caller threads", started);
	for (int i = 0; i < started; i++) {
		pthread_join(c[i].tid, NULL);
		CHECK(c[i].bad == 0, "caller %d: %d wrong results", i, c[i].bad);
	}
	for (int i = 0; i < NC; i++) {
		free(c[i].x);
		free(c[i].y);
		free(c[i].ref);
	}
}

/* ---- an application's parallel-for (lrelu_set_parallel_for) ----------------------------- */
struct upart {
	pthread_t tid;
	lrelu_range_task task;
	void *task_arg;
	size_t b, e;
};

static int upfor_calls, upfor_bad_grain;
static size_t upfor_grain;

static void *upart_main(void *arg)
{
	struct upart *u = arg;
	/* the application's threads run with FTZ/DAZ: the library must not care */
	fp_set(fp_get() | FTZ_BITS);
	u->task(u->task_arg, u->b, u->e);
	return NULL;
}

/* Five grain-aligned parts, four on fresh threads (one more range is out of bounds
 * and must be ignored); the caller's part runs last.  `user` counts the calls. */
static void user_pfor(void *user, size_t n, size_t grain, lrelu_range_task task, void *task_arg)
{
	enum { K = 5 };
	struct upart u[K];
	size_t units = (n + grain - 1) / grain;
	(*(int *)user)++;
	upfor_grain = grain;
	if (grain == 0)
		upfor_bad_grain++;
	for (int k = 0; k < K; k++) {
		u[k].task = task;
		u[k].task_arg = task_arg;
		u[k].b = units * (size_t)k / K * grain;
		u[k].e = k == K - 1 ? n : units * (size_t)(k + 1) / K * grain;
	}
	int started[K] = { 0 };
	for (int k = 1; k < K; k++)
		started[k] = pthread_create(&u[k].tid, NULL, upart_main, &u[k]) == 0;
	task(task_arg, n, n + 100); /* outside [0, n): dropped */
	for (int k = 1; k < K; k++)
		if (!started[k])
			task(task_arg, u[k].b, u[k].e);
	task(task_arg, u[0].b, u[0].e);
	for (int k = 1; k < K; k++)
		if (started[k])
			pthread_join(u[k].tid, NULL);
}

static void test_user_parallel_for(void)
{
	for (size_t k = 0; k < sizeof dtypes / sizeof dtypes[0]; k++) {
		lrelu_dtype dt = dtypes[k];
		size_t es = lrelu_dtype_size(dt), n = BIG, bytes = n * es;
		struct bufs b;
		if (!bufs_flat(&b, dt))
			return;
		unsigned char *x = b.x, *g = b.g, *ref = b.ref, *bref = b.bref, *y = b.y;

		lrelu_set_parallel_for(user_pfor, &upfor_calls);
		upfor_calls = 0;
		flat_fwd(dt, x, y, n); /* 1 thread: serial, the callback is not called */
		CHECK(upfor_calls == 0, "callback called with 1 thread");
		lrelu_set_num_threads(4);
		memset(y, 0, bytes);
		flat_fwd(dt, x, y, n);
		CHECK(upfor_calls == 1, "%s: callback called %d times", lrelu_dtype_name(dt), upfor_calls);
		CHECK(memcmp(y, ref, bytes) == 0, "%s forward through the callback", lrelu_dtype_name(dt));
		/* the pieces are whole 4 KiB pages of every contiguous operand */
		CHECK(upfor_grain * es == 4096, "%s: grain of %zu elements", lrelu_dtype_name(dt),
		      upfor_grain);
		memset(y, 0, bytes);
		flat_bwd(dt, g, x, y, n);
		CHECK(memcmp(y, bref, bytes) == 0, "%s backward through the callback", lrelu_dtype_name(dt));
		int64_t shape[2] = { 7, (int64_t)(n / 7) };
		lrelu_tensor tx = lrelu_tensor_make(x, dt, 2, shape, NULL);
		lrelu_tensor ty = lrelu_tensor_make(y, dt, 2, shape, NULL);
		memset(y, 0, bytes);
		CHECK(lrelu_forward(LRELU_TORCH, 0.01, &tx, &ty) == LRELU_OK, "tensor forward");
		CHECK(memcmp(y, ref, (size_t)(shape[0] * shape[1]) * es) == 0,
		      "%s tensor forward through the callback", lrelu_dtype_name(dt));
		int before = upfor_calls;
		flat_fwd(dt, x, y, 64);
		CHECK(upfor_calls == before, "callback called for 64 elements");

		lrelu_set_parallel_for(NULL, &upfor_calls);
		before = upfor_calls;
		memset(y, 0, bytes);
		flat_fwd(dt, x, y, n);
		CHECK(upfor_calls == before && memcmp(y, ref, bytes) == 0, "NULL restores the pool");
		bufs_free(&b);
	}
	CHECK(upfor_bad_grain == 0, "grain 0 passed to the callback");
}

/* ---- the thread-count API ------------------------------------------------------------- */

static int cpus_expected(void)
{
	int c = 0;
#if defined(CPU_COUNT)
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		c = CPU_COUNT(&set);
#endif
	if (c <= 0)
		c = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (c <= 0)
		c = 1;
	return c > 64 ? 64 : c;
}

/* LRELU_NUM_THREADS is read once, so each value is tried in a fresh child process
 * (forked before this process has any thread or has read the variable). */
static void test_env(void)
{
	static const struct { const char *value; int want; } cases[] = {
		{ "3", 3 }, { "1", 1 }, { "0", -1 }, { "-2", -1 }, { "abc", -1 }, { "7x", -1 },
		{ "", -1 }, { "100000", -1 }, { NULL, -1 },
	};
	int cpus = cpus_expected();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int want = cases[i].want < 0 ? cpus : cases[i].want;
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			if (cases[i].value != NULL)
				setenv("LRELU_NUM_THREADS", cases[i].value, 1);
			else
				unsetenv("LRELU_NUM_THREADS");
			_exit(lrelu_get_num_threads() & 0xFF);
		}
		int status = 0;
		CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status),
		      "child for LRELU_NUM_THREADS=%s", cases[i].value ? cases[i].value : "(unset)");
		CHECK(WEXITSTATUS(status) == (want & 0xFF), "LRELU_NUM_THREADS=%s gives %d, want %d",
		      cases[i].value ? cases[i].value : "(unset)", WEXITSTATUS(status), want);
	}
}

static void test_api(void)
{
	CHECK(lrelu_set_num_threads(-1) == LRELU_ERR_ARG, "set_num_threads(-1)");
	CHECK(strstr(lrelu_last_error(), "-1") != NULL, "message names the value: %s",
	      lrelu_last_error());
	CHECK(lrelu_set_num_threads(100000) == LRELU_ERR_ARG, "set_num_threads(100000)");
	CHECK(strstr(lrelu_last_error(), "100000") != NULL, "message names the value: %s",
	      lrelu_last_error());
	CHECK(lrelu_set_num_threads(5) == LRELU_OK && lrelu_get_num_threads() == 5, "set 5");
	CHECK(lrelu_set_num_threads(-7) == LRELU_ERR_ARG && lrelu_get_num_threads() == 5,
	      "a refused count leaves the setting alone");
	unsetenv("LRELU_NUM_THREADS");
	CHECK(lrelu_set_num_threads(0) == LRELU_OK, "set 0");
	CHECK(lrelu_get_num_threads() >= 1, "automatic count %d", lrelu_get_num_threads());
	CHECK(lrelu_set_num_threads(1) == LRELU_OK && lrelu_get_num_threads() == 1, "set 1");
}

/* A child of a process with a running pool gets a working library (a new pool). */
static void test_fork(void)
{
	if (UNDER_TSAN)
		return; /* ThreadSanitizer does not support threads started after fork */
	if (getenv("LRELU_TEST_QEMU") != NULL) {
		printf("test_threads: fork with a running pool skipped (qemu-user cannot fork a "
		       "process that has threads)\n");
		return;
	}
	size_t n = BIG;
	float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float)),
	      *ref = malloc(n * sizeof(float));
	CHECK(x && y && ref, "allocation");
	if (!(x && y && ref))
		return;
	fill(x, n * sizeof(float));
	lrelu_set_num_threads(1);
	lrelu_f32(x, ref, n, 0.01f);
	lrelu_set_num_threads(3);
	lrelu_f32(x, y, n, 0.01f); /* the pool exists now */
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		memset(y, 0, n * sizeof(float));
		lrelu_f32(x, y, n, 0.01f);
		_exit(memcmp(y, ref, n * sizeof(float)) == 0 ? 0 : 1);
	}
	int status = 0;
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "forked child's threaded call");
	free(x);
	free(y);
	free(ref);
}

/* How a pooled call is cut (threads.c, struct cut), edge by edge: each thread's first
 * chunk is 7/8 of its share (the caller's at the front, the workers' at the back), the
 * middle eighth is cut into one small chunk per thread at most, each moving at least
 * LRELU_PAR_CHUNK_BYTES; a call with fewer than 2 such pieces or 16 units per thread is
 * cut into equal chunks.  Both sides of both limits.  Edges in units of `align`; the
 * last chunk ends at n whatever its unit edge says. */
static void expect_cut(int threads, size_t n, size_t align, size_t bpe, const size_t *units,
                       size_t count, const char *what)
{
	struct rec r;
	memset(&r, 0, sizeof r);
	pthread_mutex_init(&r.mu, NULL);
	lrelu_set_num_threads(threads);
	check_chunks(n, align, bpe, &r, what);
	int ok = r.count == count;
	for (size_t i = 0; ok && i < count; i++) {
		size_t e = i + 1 == count ? n : units[i + 1] * align;
		ok = r.b[i] == units[i] * align && r.e[i] == e;
	}
	CHECK(ok, "%s: %zu chunks, want %zu (first [%zu, %zu), want [%zu, %zu))", what, r.count,
	      count, r.b[0], r.e[0], units[0] * align, count > 1 ? units[1] * align : n);
	pthread_mutex_destroy(&r.mu);
}

static void test_cut(void)
{
	const size_t min_saved = lrelu_par_min_bytes, piece = LRELU_PAR_CHUNK_BYTES;
	CHECK(piece == (size_t)128 << 10, "LRELU_PAR_CHUNK_BYTES %zu: the edges below assume 128 KiB",
	      piece);
	lrelu_par_min_bytes = (size_t)256 << 10;
	/* 2 threads, 65536 units of 64 (32 MiB moved): big chunks of 28672 units, the middle
	 * 8192 in 2 */
	static const size_t two[] = { 0, 28672, 32768, 36864 };
	expect_cut(2, (size_t)1 << 22, 64, 8, two, 4, "2 threads, 4M elements");
	/* 3 threads, 65537 units (the last one 5 elements): 19114 each, the middle 8195 in 3 */
	static const size_t three[] = { 0, 19114, 21845, 24577, 27309, 46423 };
	expect_cut(3, ((size_t)1 << 22) + 5, 64, 8, three, 6, "3 threads, 4M + 5 elements");
	/* 2 threads, 4 pieces of 128 KiB moved: big chunks of 448 of 1024 units, one small
	 * chunk; one element less (3 pieces): 3 equal chunks */
	static const size_t at_pieces[] = { 0, 448, 576 }, below_pieces[] = { 0, 341, 682 };
	expect_cut(2, 65536, 64, 8, at_pieces, 3, "2 threads, 4 pieces");
	expect_cut(2, 65535, 64, 8, below_pieces, 3, "2 threads, 4 pieces less 8 bytes");
	/* 2 threads, 32 units of 4096 (16 per thread): big chunks of 14, one small chunk of
	 * 4; 31 units: 7 equal chunks (pieces of 128 KiB) */
	static const size_t at_units[] = { 0, 14, 18 }, below_units[] = { 0, 4, 8, 13, 17, 22, 26 };
	expect_cut(2, 32 * 4096, 4096, 8, at_units, 3, "2 threads, 32 units");
	expect_cut(2, 31 * 4096, 4096, 8, below_units, 7, "2 threads, 31 units");
	lrelu_par_min_bytes = min_saved;
	lrelu_set_num_threads(2);
}

/* Which thread runs which chunk: the caller claims from the front, the workers from the
 * back, so with two threads each core gets the same part of the operands call after
 * call.  Whoever wins a race, the caller's chunks are the first ones in order and a lone
 * worker's the last ones in reverse order. */
#define ENDS_MAX 256
static pthread_t ends_caller;
static pthread_mutex_t ends_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ends_cv = PTHREAD_COND_INITIALIZER;
static size_t ends_n[2], ends_b[2][ENDS_MAX], ends_e[2][ENDS_MAX];

static void ends_rec(size_t begin, size_t end, size_t align)
{
	(void)align;
	int w = !pthread_equal(pthread_self(), ends_caller);
	pthread_mutex_lock(&ends_mu);
	if (ends_n[w] < ENDS_MAX) {
		ends_b[w][ends_n[w]] = begin;
		ends_e[w][ends_n[w]] = end;
	}
	ends_n[w]++;
	if (w) {
		pthread_cond_signal(&ends_cv);
	} else if (ends_n[0] == 1 && ends_n[1] == 0) {
		/* Hold the caller's first chunk until the worker has claimed one (at most 10 s,
		 * which only a stalled machine reaches: then the call simply runs alone), so that
		 * every call has both ends to check however loaded the machine is. */
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_sec += 10;
		while (ends_n[1] == 0 && pthread_cond_timedwait(&ends_cv, &ends_mu, &t) == 0)
			;
	}
	pthread_mutex_unlock(&ends_mu);
}

static void test_claim_ends(void)
{
	const size_t n = (size_t)1 << 20;
	float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
	int worker_ran = 0;
	fill(x, n * sizeof *x);
	lrelu_set_num_threads(2);
	ends_caller = pthread_self();
	for (int rep = 0; rep < 20; rep++) {
		ends_n[0] = ends_n[1] = 0;
		atomic_store(&lrelu_par_chunk_hook, ends_rec);
		lrelu_f32(x, y, n, 0.01f);
		atomic_store(&lrelu_par_chunk_hook, NULL);
		int ok = ends_n[0] <= ENDS_MAX && ends_n[1] <= ENDS_MAX && ends_n[0] + ends_n[1] >= 2;
		size_t pos = 0;
		for (size_t i = 0; ok && i < ends_n[0]; i++) { /* the caller: front, ascending */
			ok = ends_b[0][i] == pos;
			pos = ends_e[0][i];
		}
		size_t top = n;
		for (size_t i = 0; ok && i < ends_n[1]; i++) { /* the worker: back, descending */
			ok = ends_e[1][i] == top;
			top = ends_b[1][i];
		}
		CHECK(ok && pos == top, "call %d: caller's chunks a prefix in order (%zu), worker's a "
		      "suffix in reverse (%zu), meeting at %zu / %zu", rep, ends_n[0], ends_n[1], pos, top);
		worker_ran += ends_n[1] > 0;
	}
	CHECK(worker_ran > 0, "the worker took part in none of 20 calls");
	free(x);
	free(y);
}

/* Non-temporal stores (internal.h): lrelu_nt_rule on both sides of each of its edges,
 * and real out-of-place calls one element below and at this machine's threshold
 * (counted by the test-support library's lrelu_nt_calls), with the same bits. */
static void test_nt_rule(void)
{
	const size_t floor_ = LRELU_NT_BYTES, div = LRELU_NT_LLC_DIV, mib = (size_t)1 << 20;
	size_t saved = lrelu_nt_bytes, thr, n;
	CHECK(lrelu_nt_rule(0) == floor_, "unknown cache: %zu", lrelu_nt_rule(0));
	CHECK(lrelu_nt_rule(32 * mib) == floor_, "32 MiB cache: %zu", lrelu_nt_rule(32 * mib));
	CHECK(lrelu_nt_rule(floor_ * div + div - 1) == floor_, "cache just below the edge");
	CHECK(lrelu_nt_rule(floor_ * div + div) == floor_ + 1, "cache at the edge + 1 byte each");
	CHECK(lrelu_nt_rule(260 * mib) == 26 * mib, "260 MiB cache: %zu", lrelu_nt_rule(260 * mib));
	lrelu_nt_bytes = 0; /* the rule, as shipped */
	thr = lrelu_nt_rule(lrelu_cpu_llc_bytes());
	CHECK(!lrelu_nt_wanted(floor_ - 1) && !lrelu_nt_wanted(thr - 1) && lrelu_nt_wanted(thr),
	      "lrelu_nt_wanted around %zu bytes", thr);
	n = (thr + 3) / 4; /* the fewest float32 elements that reach it */
	if (thr > ((size_t)512 << 20)) {
		printf("test_threads: threshold %zu bytes: no calls that large here\n", thr);
		lrelu_nt_bytes = saved;
		return;
	}
	/* PReLU's rows of 2 below: (thr + 7) / 8 of them, at most n + 1 elements */
	float *x = malloc((n + 1) * sizeof *x), *y = malloc(n * sizeof *y);
	float *y1 = malloc((n + 1) * sizeof *y1);
	CHECK(x != NULL && y != NULL && y1 != NULL, "out of memory");
	if (x == NULL || y == NULL || y1 == NULL)
		goto out;
	for (size_t i = 0; i <= n; i++)
		x[i] = (float)((int)(i % 1999) - 999) * 0.37f;
	lrelu_set_num_threads(2);
	uint64_t c0 = lrelu_nt_calls;
	CHECK(lrelu_f32(x, y1, n - 1, 0.01f) == LRELU_OK, "below");
	CHECK(lrelu_nt_calls == c0, "%zu float32 elements (one below %zu bytes) streamed", n - 1, thr);
	CHECK(lrelu_f32(x, y, n, 0.01f) == LRELU_OK, "at");
	CHECK(lrelu_nt_calls == c0 + 1, "%zu float32 elements (%zu bytes) did not stream", n, thr);
	CHECK(memcmp(y, y1, (n - 1) * sizeof *y) == 0, "streamed and ordinary stores differ");
	memcpy(y1, x, n * sizeof *x);
	CHECK(lrelu_f32(y1, y1, n, 0.01f) == LRELU_OK, "in place");
	CHECK(lrelu_nt_calls == c0 + 1, "an in-place call streamed");
	CHECK(memcmp(y, y1, n * sizeof *y) == 0, "in place differs");
	/* PReLU's runner with a weight per channel (one weight is LeakyReLU's path): x of
	 * m rows of 2 channels, the fewest rows that reach the threshold and one fewer */
	size_t m = (thr + 7) / 8; /* 2 * m <= n + 1 */
	int64_t shape[2] = { (int64_t)m, 2 }, two[1] = { 2 };
	float w[2] = { 0.01f, 0.25f };
	lrelu_tensor wt = lrelu_tensor_make(w, LRELU_FLOAT32, 1, two, NULL);
	lrelu_tensor xt = lrelu_tensor_make(x, LRELU_FLOAT32, 2, shape, NULL);
	lrelu_tensor yt = lrelu_tensor_make(y1, LRELU_FLOAT32, 2, shape, NULL);
	CHECK(lrelu_prelu_forward(LRELU_TORCH, &xt, &wt, &yt) == LRELU_OK, "prelu at");
	CHECK(lrelu_nt_calls == c0 + 2, "PReLU of %zu rows (%zu bytes) did not stream", m, thr);
	shape[0]--;
	xt = lrelu_tensor_make(x, LRELU_FLOAT32, 2, shape, NULL);
	yt = lrelu_tensor_make(y1, LRELU_FLOAT32, 2, shape, NULL);
	CHECK(lrelu_prelu_forward(LRELU_TORCH, &xt, &wt, &yt) == LRELU_OK, "prelu below");
	CHECK(lrelu_nt_calls == c0 + 2, "PReLU one row below %zu bytes streamed", thr);
out:
	free(x);
	free(y);
	free(y1);
	lrelu_nt_bytes = saved;
}

int main(void)
{
	light = UNDER_TSAN || getenv("LRELU_TEST_QEMU") != NULL;
	alarm(light ? 600 : 300); /* a deadlock fails the test instead of hanging it */
	CHECK(lrelu_par_min_bytes == LRELU_PAR_MIN_BYTES, "default threshold %zu", lrelu_par_min_bytes);
	lrelu_par_min_bytes = (size_t)2 << 20; /* see BIG */
	/* Every pooled call wakes a napping worker: the tests that hold a call until both
	 * threads have a chunk must not depend on whether the worker still spun when the
	 * call came (test_wake_rule sets its own threshold). */
	CHECK(lrelu_wake_min_bytes == LRELU_WAKE_MIN_BYTES, "default wake threshold %zu",
	      lrelu_wake_min_bytes);
	lrelu_wake_min_bytes = 0;
	test_env();
	test_api();
	test_chunking();
	test_nt_rule();
	test_policy();
	test_wake_rule();
	test_page_edges();
	test_cut();
	test_claim_ends();
	test_threshold();
	test_identity_flat();
	test_identity_tensor();
	test_ftz_caller();
	test_many_callers();
	test_user_parallel_for();
	test_fork();
	printf("test_threads: ISA %s, threads exercised 1..%d%s\n", lrelu_isa_name(lrelu_get_isa()),
	       MAXT, UNDER_TSAN ? " (ThreadSanitizer)" : "");
	return tu_finish("test_threads");
}

/* threads.c - a small pthread pool: parallel_for over contiguous chunks above a size threshold */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fpenv.h"
#include "internal.h"

/*
 * Design
 * ------
 * LeakyReLU is memory-bound, so a second thread pays where the call is long enough to
 * hide what handing it work costs.  Up to lrelu_par_min_bytes (bytes read + written,
 * the 16-bit float types counted double, lrelu_par_weight) lrelu_parallel_for is a
 * multiply, a compare and a tail call: no atomic, no lock, no thread ever started.
 * Above it every call with more than one thread uses the pool.  Whether it does, and
 * how it cuts the call, depends only on the call's size, dtype, kind and the thread
 * count: never on timings, so the same calls take the same path in every process.
 *
 * The pool holds up to (threads - 1) workers and the calling thread works too.  A job
 * is cut into more chunks than threads, each a whole number of 4 KiB pages of every
 * operand (the caller's `align`), and the threads claim chunks one at a time until none
 * is left: a worker that wakes late (or not at all, on a loaded machine) finds the work
 * done by the caller, so a pooled call never waits for a worker that has not started;
 * it waits only for a chunk a worker holds.  Each thread's first chunk is most of its
 * share and the rest are small (struct cut): few claims, and an even finish.  The
 * caller claims from the front, the workers from the back: with two threads each call
 * gives each core the same part of the operands as the call before (what fits in its
 * L2 stays there, as with the static split of oneDNN's and XNNPACK's pools; a
 * first-come split hands the halves out at random and moves them between the cores'
 * caches).  The claims live in one 64-bit word with the job's generation,
 * (generation << 32) | (front << 16) | back, chunks [front, back) unclaimed, so a claim
 * is one compare-and-swap that fails for a job that is no longer current.  A thread
 * reads the job's other fields only while it holds a claimed, unfinished chunk, and
 * the caller returns only when every chunk is finished, so those plain fields are never
 * read while the next job writes them.
 *
 * Between jobs a worker spins for LRELU_SPIN_NS, 20 ms (a deadline on the monotonic
 * clock, not a count of pause instructions, whose length varies tenfold between CPUs),
 * so that calls in a stream, and calls with a model's other layers between them, find
 * it awake: a worker woken from sleep starts late and on a cold CPU, and with 5 ms of
 * other work between calls the 1 ms spin this replaced left lrelu's 2-thread calls of
 * 1M-4M float32 elements 10-35 % slower than XNNPACK's, whose pool spins through such
 * gaps (oneDNN's and XNNPACK's spin 15-30 ms; the CPU this costs is in
 * docs/performance.md).  Then it naps for LRELU_NAP_NS: it sleeps on a futex
 * (a condition variable where there is none) in slices of LRELU_NAP_SLICE_NS that end by
 * themselves, looking for a job after each.  Then it sleeps until woken, and an idle
 * process uses no CPU.  A call wakes a sleeping worker always, and a napping one only if
 * it moves at least LRELU_WAKE_MIN_BYTES.  A smaller call runs on the caller alone
 * while the worker naps: the napper that finds it when its slice ends leaves it and
 * spins, so the calls that follow (a stream) find it awake.  The reason is what
 * waking costs where a worker's CPU has gone idle: on a 2-vCPU guest the caller's
 * FUTEX_WAKE took 12-33 us and the worker started 50-145 us after it
 * (docs/performance.md), later than a serial call of 256K float32 elements (88 us)
 * would have ended, so a woken worker only made such a call slower; and a worker that
 * joins a call late can make it slower still, holding the big chunk at the back while
 * the caller, done with the rest, waits for it.  A call into a spinning pool makes no
 * system call.  Whether a call uses the pool and how it is cut do not depend on any of
 * this: only which thread runs which chunk does.
 *
 * Many caller threads: one job runs at a time.  A caller that finds the pool busy runs
 * its call serially instead of queueing: the pool's threads are already using the
 * memory bandwidth that the waiting caller would have wanted, and not waiting can never
 * deadlock (a callback that calls back into the library, fork, signal handlers).
 *
 * Workers run every chunk in the IEEE floating-point environment (fpenv.h): a worker may
 * have been created by a thread with FTZ/DAZ set, and the caller's own environment is
 * not theirs.  Workers block all signals, so asynchronous signals go to the
 * application's threads.  At exit (or dlclose of the shared library) a destructor
 * stops and joins the workers and frees the pool, so leak checkers stay quiet and no
 * thread runs unmapped code.  After fork the child forgets the parent's pool (its
 * threads do not exist there) and creates a new one on demand.
 */

#ifdef LRELU_TEST_SUPPORT
/* Bytes read + written up to which a call never uses threads (LRELU_PAR_MIN_BYTES in
 * internal.h): the tests lower it to exercise the pool on smaller data. */
size_t lrelu_par_min_bytes = LRELU_PAR_MIN_BYTES;
/* How long workers spin after a job (and a caller for the workers' last chunks). */
_Atomic uint64_t lrelu_spin_ns = LRELU_SPIN_NS;
/* The nap after the spin, in all and each slice; the least a call moves that wakes a
 * napping worker; and the futex wakes of workers so far (the tests count them). */
_Atomic uint64_t lrelu_nap_ns = LRELU_NAP_NS, lrelu_nap_slice_ns = LRELU_NAP_SLICE_NS;
size_t lrelu_wake_min_bytes = LRELU_WAKE_MIN_BYTES;
_Atomic uint64_t lrelu_par_wakes;
/* What the tests observe instead of timings: jobs handed to the pool, and each chunk
 * as a thread claims it. */
_Atomic uint64_t lrelu_par_pooled;
void (*_Atomic lrelu_par_chunk_hook)(size_t begin, size_t end, size_t align);
/* k > 0: k equal chunks per thread instead of struct cut (bench/handoff.c) */
int lrelu_par_equal_chunks;
#else
#define lrelu_spin_ns ((uint64_t)LRELU_SPIN_NS)
#define lrelu_nap_ns ((uint64_t)LRELU_NAP_NS)
#define lrelu_nap_slice_ns ((uint64_t)LRELU_NAP_SLICE_NS)
#define lrelu_wake_min_bytes LRELU_WAKE_MIN_BYTES
#endif

static uint64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Chunks move at least PAR_CHUNK_BYTES each (so a medium call uses fewer threads than
 * the pool has, and a claim's compare-and-swap is a small part of each chunk); how a
 * job is cut is described at struct cut. */
#define PAR_CHUNK_BYTES ((size_t)(LRELU_PAR_CHUNK_BYTES))
/* Upper bound on an explicit or environment thread count. */
#define MAX_THREADS 1024
/* Automatic thread counts stop here: more threads than this cannot speed up a
 * memory-bound loop and would only cost start-up time and memory. */
#define AUTO_MAX_THREADS 64

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	_mm_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/*
 * Sleeping and waking on a 32-bit word: a futex on Linux (one system call to wake, none
 * when nobody sleeps), elsewhere one mutex and condition variable shared by every word
 * (sleeps are rare and short there, and a spurious wake-up only costs a check).
 * word_wait returns when *a differs from `v` (or spuriously); word_wait_for also when
 * `ns` nanoseconds have passed; word_wake wakes every thread waiting on `a`.
 */
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
static void word_wait(atomic_uint *a, unsigned v)
{
	syscall(SYS_futex, (void *)a, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}
static void word_wait_for(atomic_uint *a, unsigned v, uint64_t ns)
{
	struct timespec t = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
	syscall(SYS_futex, (void *)a, FUTEX_WAIT_PRIVATE, v, &t, NULL, 0);
}
static void word_wake(atomic_uint *a)
{
	syscall(SYS_futex, (void *)a, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}
#else
static pthread_mutex_t word_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t word_cv = PTHREAD_COND_INITIALIZER;
static void word_wait(atomic_uint *a, unsigned v)
{
	pthread_mutex_lock(&word_mu);
	if (atomic_load(a) == v)
		pthread_cond_wait(&word_cv, &word_mu);
	pthread_mutex_unlock(&word_mu);
}
static void word_wait_for(atomic_uint *a, unsigned v, uint64_t ns)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t); /* the condition variable's default clock */
	ns += (uint64_t)t.tv_nsec;
	t.tv_sec += (time_t)(ns / 1000000000u);
	t.tv_nsec = (long)(ns % 1000000000u);
	pthread_mutex_lock(&word_mu);
	if (atomic_load(a) == v)
		pthread_cond_timedwait(&word_cv, &word_mu, &t);
	pthread_mutex_unlock(&word_mu);
}
static void word_wake(atomic_uint *a)
{
	(void)a;
	pthread_mutex_lock(&word_mu);
	pthread_cond_broadcast(&word_cv);
	pthread_mutex_unlock(&word_mu);
}
#endif

/* Spins until *a != v or the spin time is over; returns the last value seen.  The
 * clock is read every 64 pauses only: a read costs tens of nanoseconds. */
static unsigned spin_while_eq(atomic_uint *a, unsigned v, const atomic_int *stop)
{
	uint64_t deadline = 0;
	unsigned cur;
	for (unsigned i = 0;; i++) {
		cur = atomic_load_explicit(a, memory_order_acquire);
		if (cur != v || (stop != NULL && atomic_load_explicit(stop, memory_order_relaxed)))
			return cur;
		if (i % 64 == 0) {
			uint64_t t = mono_ns();
			if (deadline == 0)
				deadline = t + lrelu_spin_ns;
			else if (t >= deadline)
				return cur;
		}
		cpu_relax();
	}
}

/*
 * How a job is cut: a function of its size in units of `align`, the bytes it moves and
 * the thread count alone.  Each thread's first claim is a big chunk of 7/8 of its
 * share, the caller's at the front and the workers' at the back; the eighth left in
 * the middle is cut into `small` chunks (one per thread at most, each at least
 * PAR_CHUNK_BYTES) that whoever is free takes.  So in the usual case a thread makes
 * two claims, and the threads still finish within a small chunk of each other.  Every
 * claim and every finished chunk moves a cache line both threads write from one core
 * to the other; with 8 equal chunks per thread those transfers cost 2-10% of a call of
 * 256K-1M elements on two threads (docs/performance.md).  A call with less than two
 * PAR_CHUNK_BYTES per thread, or fewer than 16 units per thread, gets equal chunks
 * (big = 0).  Chunk numbers: [0] the caller's big chunk, then the small ones from the
 * front, then the workers' big ones; with big = 0 only the small ones.
 */
struct cut {
	size_t big;      /* units in each thread's big chunk, or 0 */
	size_t mid;      /* units between the caller's big chunk and the workers' */
	unsigned small;  /* chunks the middle is cut into */
	unsigned chunks; /* all chunks: small, plus one per thread with big */
};

struct worker {
	pthread_t tid;
	struct pool *pool;
	uint32_t start_gen; /* the generation when it was created: every later one is new */
	int index;          /* 1..nworkers; takes part in jobs with more than index threads */
#ifdef LRELU_TEST_SUPPORT
	/* WAIT_NAP or WAIT_SLEEP << 32 | the generation it waits on, 0 otherwise: the tests
	 * tell a worker that waits having seen the last job from one that a job has woken but
	 * that has not yet run (the pool's counters still count it) */
	_Atomic uint64_t waiting;
#endif
};
#ifdef LRELU_TEST_SUPPORT
enum { WAIT_NAP = 1, WAIT_SLEEP = 2 };
#define SET_WAITING(w, kind, gen) \
	atomic_store_explicit(&(w)->waiting, (uint64_t)(kind) << 32 | (gen), memory_order_relaxed)
#else
#define SET_WAITING(w, kind, gen) ((void)(w))
#endif

struct pool {
	_Atomic uint64_t claim; /* (generation << 32) | (front << 16) | back: [front, back) left */
	atomic_uint gen;        /* the generation alone: the word sleeping workers wait on */
	atomic_uint sleepers;   /* workers asleep or about to sleep on `gen` until woken */
	atomic_uint nappers;    /* workers napping on `gen` (waits that end by themselves) */
	atomic_uint solo_gen;   /* the last job that leaves nappers be: a napper skips it */
	atomic_int stop;
	char pad1[64];          /* the caller's finished count apart from the job's words */
	atomic_uint finished;   /* chunks of the current job finished: the caller waits on it */
	atomic_int caller_waiting;
	atomic_int threads;     /* threads the current job may use (the pool may have more) */
	int nworkers, cap;
	struct worker *workers;
	/* the current job, written by the caller before publishing `claim` */
	lrelu_range_fn fn;
	void *arg;
	size_t n, align;
	struct cut cut;
};

#define GEN_OF(w) ((uint32_t)((w) >> 32))

static atomic_int requested;     /* lrelu_set_num_threads value; 0 = automatic */
static atomic_int auto_threads;  /* resolved automatic count, 0 until first needed */
static atomic_int busy;          /* a job owns the pool (or the pool is being changed) */
static struct pool *the_pool;    /* read and written only while holding `busy` */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* lrelu_set_parallel_for: the pair is read and written under a mutex (only large
 * calls read it, so the lock costs nothing that matters). */
static pthread_mutex_t user_mu = PTHREAD_MUTEX_INITIALIZER;
static lrelu_parallel_for_fn user_pfor;
static void *user_arg;

static int count_cpus(void)
{
#if defined(__linux__) && defined(CPU_COUNT)
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0) {
		int c = CPU_COUNT(&set);
		if (c > 0)
			return c;
	}
#endif
	long c = sysconf(_SC_NPROCESSORS_ONLN);
	return c > 0 ? (c > INT_MAX ? INT_MAX : (int)c) : 1;
}

/* LRELU_NUM_THREADS if it is a whole number in 1..MAX_THREADS, else the CPU count.
 * Read once: the environment is not thread-safe to read while others may set it. */
static int resolve_auto(void)
{
	int n = atomic_load_explicit(&auto_threads, memory_order_relaxed);
	if (n > 0)
		return n;
	const char *env = getenv("LRELU_NUM_THREADS");
	n = 0;
	if (env != NULL && *env != '\0') {
		char *end;
		errno = 0;
		long v = strtol(env, &end, 10);
		if (errno == 0 && *end == '\0' && v >= 1 && v <= MAX_THREADS)
			n = (int)v;
	}
	if (n == 0) {
		n = count_cpus();
		if (n > AUTO_MAX_THREADS)
			n = AUTO_MAX_THREADS;
	}
	atomic_store_explicit(&auto_threads, n, memory_order_relaxed);
	return n;
}

lrelu_status lrelu_set_num_threads(int n)
{
	if (n < 0)
		return lrelu_fail(LRELU_ERR_ARG, "thread count %d is negative (0 = automatic)", n);
	if (n > MAX_THREADS)
		return lrelu_fail(LRELU_ERR_ARG, "thread count %d exceeds the maximum %d", n,
		                  MAX_THREADS);
	atomic_store_explicit(&requested, n, memory_order_relaxed);
	return LRELU_OK;
}

int lrelu_get_num_threads(void)
{
	int n = atomic_load_explicit(&requested, memory_order_relaxed);
	return n > 0 ? n : resolve_auto();
}

/* The cut of a call of n elements (units of align) moving `bytes`, on `threads`
 * threads; chunks < 2 means serial. */
static struct cut cut_of(size_t n, size_t align, size_t bytes, int threads)
{
	struct cut k = { 0, 0, 0, 0 };
	size_t t = (size_t)threads, units = (n + align - 1) / align, pieces = bytes / PAR_CHUNK_BYTES;
	int big = pieces >= 2 * t && units >= 16 * t;
#ifdef LRELU_TEST_SUPPORT
	if (lrelu_par_equal_chunks > 0) { /* the equal cut, at most this many per thread */
		big = 0;
		if (pieces > t * (size_t)lrelu_par_equal_chunks)
			pieces = t * (size_t)lrelu_par_equal_chunks;
	}
#endif
	if (big) {
		size_t small = pieces / 8; /* the middle eighth, in PAR_CHUNK_BYTES */
		k.big = units / t * 7 / 8;
		k.mid = units - t * k.big;
		k.small = (unsigned)(small < 1 ? 1 : small > t ? t : small);
		k.chunks = (unsigned)t + k.small;
	} else {
		size_t c = pieces < units ? pieces : units; /* < 2t, but for the test knob */
		k.mid = units;
		k.small = k.chunks = (unsigned)(c < 0xFFFF ? c : 0xFFFF);
	}
	return k;
}

/* i/parts of `total`, rounded down, without overflow */
static size_t part_of(size_t total, size_t parts, size_t i)
{
	return total / parts * i + total % parts * i / parts;
}

/* Chunk c's elements [*b, *e): unit edges times align, the last one n. */
static void chunk_bounds(const struct cut *k, size_t n, size_t align, unsigned c, size_t *b,
                         size_t *e)
{
	size_t f = k->big != 0, ub, ue; /* f: the caller's big chunk comes first */
	if (c < f) {
		ub = 0;
		ue = k->big;
	} else if (c < f + k->small) {
		ub = f * k->big + part_of(k->mid, k->small, c - f);
		ue = f * k->big + part_of(k->mid, k->small, c - f + 1);
	} else {
		ub = f * k->big + k->mid + (c - f - k->small) * k->big;
		ue = ub + k->big;
	}
	*b = ub * align < n ? ub * align : n;
	*e = ue * align < n ? ue * align : n;
}

/* Claims and runs chunks of generation `gen` until none is left, from the front (the
 * caller) or the back (the workers).  Returns whether this thread finished the job's
 * last chunk. */
static int run_chunks(struct pool *p, uint32_t gen, int from_front)
{
	uint64_t w = atomic_load_explicit(&p->claim, memory_order_acquire);
	int last = 0;
	for (;;) {
		unsigned front = (unsigned)(w >> 16 & 0xFFFF), back = (unsigned)(w & 0xFFFF), next;
		if (GEN_OF(w) != gen || front >= back)
			return last;
		next = from_front ? front : back - 1;
		if (!atomic_compare_exchange_weak_explicit(&p->claim, &w,
		                                           from_front ? w + (1u << 16) : w - 1,
		                                           memory_order_acquire, memory_order_acquire))
			continue;
		/* chunk `next` is ours: the job's fields stay valid until we finish it */
		size_t b, e;
		unsigned chunks = p->cut.chunks;
		chunk_bounds(&p->cut, p->n, p->align, next, &b, &e);
#ifdef LRELU_TEST_SUPPORT
		void (*hook)(size_t, size_t, size_t) = atomic_load(&lrelu_par_chunk_hook);
		if (hook != NULL && b < e)
			hook(b, e, p->align);
#endif
		if (b < e)
			p->fn(p->arg, b, e);
		/* sequentially consistent: a caller about to sleep sees it, or is woken */
		last = atomic_fetch_add(&p->finished, 1) + 1 == chunks;
		w = atomic_load_explicit(&p->claim, memory_order_acquire);
	}
}

/* A worker's nap after its spin: waits of a slice each on `gen` until it moves, the
 * pool stops or the nap is over; returns the last generation seen.  `nappers` is
 * announced before the first check as `sleepers` is below, so a caller that wakes
 * nappers never misses one; a caller that does not is found by the next check. */
static uint32_t nap(struct worker *w, struct pool *p, uint32_t seen)
{
	uint64_t end = mono_ns() + lrelu_nap_ns;
	uint32_t gen;
	atomic_fetch_add(&p->nappers, 1);
	SET_WAITING(w, WAIT_NAP, seen);
	for (;;) {
		gen = atomic_load(&p->gen);
		if (gen != seen || atomic_load(&p->stop))
			break;
		uint64_t t = mono_ns();
		if (t >= end)
			break;
		word_wait_for(&p->gen, seen, end - t < lrelu_nap_slice_ns ? end - t : lrelu_nap_slice_ns);
	}
	SET_WAITING(w, 0, 0);
	atomic_fetch_sub(&p->nappers, 1);
	return atomic_load_explicit(&p->gen, memory_order_acquire);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;
	uint32_t seen = w->start_gen; /* not a fresh load: the first job may be out already */

	for (;;) {
		uint32_t gen = spin_while_eq(&p->gen, seen, &p->stop);
		if (gen == seen && !atomic_load_explicit(&p->stop, memory_order_relaxed)) {
			gen = nap(w, p, seen);
			/* a job too small to wake a napper is the caller's: spin for the next */
			if (gen != seen && atomic_load_explicit(&p->solo_gen, memory_order_relaxed) == gen) {
				seen = gen;
				continue;
			}
		}
		while (gen == seen && !atomic_load_explicit(&p->stop, memory_order_relaxed)) {
			/* Announce the sleep before the last check (both sequentially consistent,
			 * as the caller's store of `gen` and load of `sleepers`): either the
			 * caller sees a sleeper and wakes it, or this load sees the new job. */
			atomic_fetch_add(&p->sleepers, 1);
			SET_WAITING(w, WAIT_SLEEP, seen);
			gen = atomic_load(&p->gen);
			if (gen == seen && !atomic_load(&p->stop))
				word_wait(&p->gen, seen);
			SET_WAITING(w, 0, 0);
			atomic_fetch_sub(&p->sleepers, 1);
			gen = atomic_load_explicit(&p->gen, memory_order_acquire);
		}
		if (gen == seen)
			break; /* stop, and no job left unseen */
		seen = gen;
		/* A pool grown for more threads than the current setting: the extra workers sit
		 * out.  (A value from a newer job only makes the claims below fail.) */
		if (w->index >= atomic_load_explicit(&p->threads, memory_order_relaxed))
			continue;
		lrelu_fpenv env;
		lrelu_fpenv_enter(&env);
		int last = run_chunks(p, gen, 0);
		lrelu_fpenv_leave(&env);
		if (last && atomic_load(&p->caller_waiting))
			word_wake(&p->finished);
	}
	return NULL;
}

/* Stops and joins every worker, then frees the pool.  Caller holds `busy`. */
static void pool_destroy(struct pool *p)
{
	if (p == NULL)
		return;
	atomic_store(&p->stop, 1);
	atomic_fetch_add(&p->gen, 1); /* a sleeper's futex compares this word */
	word_wake(&p->gen);
	for (int i = 0; i < p->nworkers; i++)
		pthread_join(p->workers[i].tid, NULL);
	free(p->workers);
	free(p);
}

/* The child of a fork has none of the parent's threads: forget the pool (its memory
 * is the parent's copy; it cannot be joined, so it is dropped) and the busy flag. */
static void after_fork_child(void)
{
	the_pool = NULL;
	atomic_store_explicit(&busy, 0, memory_order_relaxed);
}

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, after_fork_child);
}

/* A pool with at least `want` workers if possible (fewer if thread creation fails;
 * NULL if none).  Caller holds `busy`, so no job is running. */
static struct pool *pool_get(int want)
{
	struct pool *p = the_pool;
	if (p == NULL) {
		pthread_once(&atfork_once, register_atfork);
		p = calloc(1, sizeof *p);
		if (p == NULL)
			return NULL;
		the_pool = p;
	}
	if (p->nworkers >= want)
		return p;
	if (want > p->cap) {
		/* Running workers point into the array, so it cannot be reallocated under
		 * them: a pool that must grow beyond its array is rebuilt (rare: only when
		 * the thread count is raised). */
		if (p->nworkers > 0) {
			the_pool = NULL;
			pool_destroy(p);
			return pool_get(want);
		}
		struct worker *ws = calloc((size_t)want, sizeof *ws);
		if (ws == NULL)
			return p->nworkers > 0 ? p : NULL;
		free(p->workers);
		p->workers = ws;
		p->cap = want;
	}
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (p->nworkers < want) {
		struct worker *w = &p->workers[p->nworkers];
		w->pool = p;
		w->start_gen = atomic_load_explicit(&p->gen, memory_order_relaxed);
		w->index = p->nworkers + 1;
		if (pthread_create(&w->tid, NULL, worker_main, w) != 0)
			break;
		p->nworkers++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return p->nworkers > 0 ? p : NULL;
}

struct user_task {
	lrelu_range_fn fn;
	void *arg;
	size_t n;
};

/* What an application's parallel-for calls: its threads' FP environment is theirs,
 * and a range outside [0, n) is dropped rather than trusted. */
static void user_task_run(void *task_arg, size_t begin, size_t end)
{
	const struct user_task *t = task_arg;
	lrelu_fpenv env;
	if (begin >= end || end > t->n)
		return;
	lrelu_fpenv_enter(&env);
	t->fn(t->arg, begin, end);
	lrelu_fpenv_leave(&env);
}

void lrelu_set_parallel_for(lrelu_parallel_for_fn fn, void *user)
{
	pthread_mutex_lock(&user_mu);
	user_pfor = fn;
	user_arg = fn != NULL ? user : NULL;
	pthread_mutex_unlock(&user_mu);
}

/* The threaded path, out of line so that the small-call path stays a compare and a
 * tail call (no stack frame, no division). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void parallel_for_big(size_t n, size_t align, size_t bytes, lrelu_range_fn fn, void *arg)
{
	struct cut cut;
	int threads;
	struct pool *p;
	lrelu_parallel_for_fn upfor;
	void *uarg;

	if (align == 0)
		align = 1;
	threads = lrelu_get_num_threads();
	if (threads <= 1)
		goto serial;
	pthread_mutex_lock(&user_mu);
	upfor = user_pfor;
	uarg = user_arg;
	pthread_mutex_unlock(&user_mu);
	if (upfor != NULL) {
		struct user_task t = { fn, arg, n };
		upfor(uarg, n, align, user_task_run, &t);
		return;
	}
	cut = cut_of(n, align, bytes, threads);
	if (cut.chunks <= 1)
		goto serial;
	if (atomic_exchange_explicit(&busy, 1, memory_order_acquire) != 0)
		goto serial; /* another caller's job runs: see the design note */
	p = pool_get(threads - 1);
	if (p == NULL) {
		atomic_store_explicit(&busy, 0, memory_order_release);
		goto serial;
	}
	/* (Non-temporal stores are chosen for the call as a whole, lrelu_kparams.nt, so
	 * cutting a large call into chunks does not turn them off.) */
	if (threads > p->nworkers + 1) { /* fewer workers than asked could start */
		threads = p->nworkers + 1;
		cut = cut_of(n, align, bytes, threads);
	}

	p->fn = fn;
	p->arg = arg;
	p->n = n;
	p->align = align;
	p->cut = cut;
	atomic_store_explicit(&p->finished, 0, memory_order_relaxed);
	atomic_store_explicit(&p->threads, threads, memory_order_relaxed);
#ifdef LRELU_TEST_SUPPORT
	atomic_fetch_add(&lrelu_par_pooled, 1);
#endif
	uint32_t gen = atomic_load_explicit(&p->gen, memory_order_relaxed) + 1;
	/* the design note: why a small call lets nappers be */
	int wake_nappers = bytes >= lrelu_wake_min_bytes;
	if (!wake_nappers)
		atomic_store_explicit(&p->solo_gen, gen, memory_order_relaxed);
	atomic_store_explicit(&p->claim, (uint64_t)gen << 32 | (uint64_t)cut.chunks, memory_order_release);
	/* sequentially consistent, against the worker's announcement of its sleep or nap */
	atomic_store(&p->gen, gen);
	if (atomic_load(&p->sleepers) != 0 || (wake_nappers && atomic_load(&p->nappers) != 0)) {
		word_wake(&p->gen);
#ifdef LRELU_TEST_SUPPORT
		atomic_fetch_add(&lrelu_par_wakes, 1);
#endif
	}

	run_chunks(p, gen, 1);

	/* The caller is out of chunks: wait for those the workers hold, spinning first
	 * (a chunk takes microseconds), then asleep (a worker preempted holding one). */
	for (unsigned f = atomic_load_explicit(&p->finished, memory_order_acquire); f != cut.chunks;) {
		unsigned g = spin_while_eq(&p->finished, f, NULL);
		if (g == f) {
			/* sequentially consistent, against the worker's count and its load */
			atomic_store(&p->caller_waiting, 1);
			g = atomic_load(&p->finished);
			if (g != cut.chunks)
				word_wait(&p->finished, g);
			atomic_store(&p->caller_waiting, 0);
			g = atomic_load_explicit(&p->finished, memory_order_acquire);
		}
		f = g;
	}
	atomic_store_explicit(&busy, 0, memory_order_release);
	return;

serial:
	fn(arg, 0, n);
}

void lrelu_parallel_for(size_t n, size_t align, size_t bytes_per_elem, lrelu_range_fn fn,
                        void *arg)
{
	size_t bytes;
#if defined(__GNUC__)
	if (__builtin_mul_overflow(n, bytes_per_elem, &bytes))
		bytes = SIZE_MAX;
#else
	bytes = bytes_per_elem != 0 && n > SIZE_MAX / bytes_per_elem ? SIZE_MAX : n * bytes_per_elem;
#endif
	if (bytes <= lrelu_par_min_bytes) {
		if (n != 0)
			fn(arg, 0, n);
		return;
	}
	parallel_for_big(n, align, bytes, fn, arg);
}

#ifdef LRELU_TEST_SUPPORT
/* The pool's workers by what they do (struct lrelu_par_census); -1 when there is no pool
 * or a job holds it: the tests check that workers stop spinning and napping, and which
 * job a napper has seen, without measuring CPU time. */
int lrelu_par_census(struct lrelu_par_census *c)
{
	memset(c, 0, sizeof *c);
	if (atomic_exchange_explicit(&busy, 1, memory_order_acquire) != 0)
		return -1;
	struct pool *p = the_pool;
	if (p != NULL) {
		uint32_t gen = atomic_load(&p->gen);
		c->workers = p->nworkers;
		c->sleepers = (int)atomic_load(&p->sleepers);
		c->nappers = (int)atomic_load(&p->nappers);
		for (int i = 0; i < p->nworkers; i++) {
			uint64_t v = atomic_load_explicit(&p->workers[i].waiting, memory_order_relaxed);
			int seen_last = (uint32_t)v == gen;
			switch (v >> 32) {
			case WAIT_SLEEP: c->asleep_seen_last += seen_last; break;
			case WAIT_NAP:
				c->napping_seen_last += seen_last;
				c->napping_before_last += (uint32_t)v + 1 == gen;
				break;
			default: c->awake++; break;
			}
		}
	}
	atomic_store_explicit(&busy, 0, memory_order_release);
	return p != NULL ? 0 : -1;
}
#endif

#if defined(__GNUC__)
/* Join the workers before exit or dlclose.  If a job is running in another thread at
 * that moment the pool is left alone: joining could wait on that job forever.  `busy`
 * stays set, so calls made later in the exit sequence run serially and start nothing. */
__attribute__((destructor)) static void pool_at_exit(void)
{
	if (atomic_exchange_explicit(&busy, 1, memory_order_acquire) != 0)
		return;
	pool_destroy(the_pool);
	the_pool = NULL;
}
#endif

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
 * LeakyReLU is memory-bound, so threads only pay where one core cannot saturate the
 * memory system or its own caches.  Up to lrelu_par_min_bytes (bytes read + written by the
 * call) lrelu_parallel_for is a multiply, a compare and a tail call: no atomic, no
 * lock, no thread ever started.  Why 16 MiB (docs/performance.md, make bench-threshold):
 * in a quiet hot loop 2 threads win from much smaller calls, but a cold call (workers
 * asleep) below it ran slower with 2 threads on a virtual machine (the hypervisor wakes
 * the idle vCPU late), and slower again with another process spinning on the second
 * vCPU: below 16 MiB a serial call takes about as long as those costs.  Above it the
 * tuning below guards against the second.  The
 * callers count the 16-bit float types' bytes double (lrelu_par_weight): their calls
 * take two to three times as long per byte.
 *
 * The pool holds up to (threads - 1) workers and the calling thread works too.  A job
 * is cut into more chunks than threads, and every thread claims chunks one at a time
 * from a shared counter until none is left: on a loaded machine a worker that wakes
 * late (or not at all) finds the work done by the others, so a threaded call is never
 * much slower than a serial one.  The counter lives in one 64-bit word together with
 * the job's generation and chunk count, (generation << 32) | (chunks << 16) | next,
 * so a claim is one compare-and-swap that fails for a job that is no longer current.
 * A thread reads the job's other fields only while it holds a claimed, unfinished
 * chunk, and the caller returns only when every chunk is finished, so those plain
 * fields are never read while the next job writes them.
 *
 * Many caller threads: one job runs at a time.  A caller that finds the pool busy runs
 * its call serially instead of queueing: the pool's threads are already saturating
 * the memory bandwidth that the waiting caller would have wanted, and not waiting can
 * never deadlock (a callback that calls back into the library, fork, signal handlers).
 *
 * Workers spin briefly after each job, so back-to-back large calls do not pay a
 * futex wake-up each, then sleep on a condition variable.  They run every chunk in the
 * IEEE floating-point environment (fpenv.h): a worker may have been created by a
 * thread with FTZ/DAZ set, and the caller's own environment is not theirs.
 * Workers block all signals, so asynchronous signals go to the application's threads.
 *
 * At exit (or dlclose of the shared library) a destructor stops and joins the workers
 * and frees the pool, so leak checkers stay quiet and no thread runs unmapped code.
 * After fork the child forgets the parent's pool (its threads do not exist there)
 * and creates a new one on demand.
 */

#ifdef LRELU_TEST_SUPPORT
/* Bytes read + written up to which a call never uses threads (LRELU_PAR_MIN_BYTES in
 * internal.h): the tests lower it to exercise the pool on smaller data. */
size_t lrelu_par_min_bytes = LRELU_PAR_MIN_BYTES;
#endif

/*
 * Above the threshold each call times itself, and a size class (the bytes rounded
 * down to a power of two) uses the pool only while the pool has been measured faster
 * than one thread there (docs/performance.md).  On a quiet machine that is always.
 * But where other threads compete for the cores (another library's pool spinning
 * after its calls, a busy application) the worker shares a core with them: a worker
 * preempted while it holds a chunk keeps the caller waiting for a time slice, one at
 * half speed keeps the gain below the cost, and the same calls ran slower than on one
 * thread.  So every
 * class keeps running averages of the time per byte of its serial and its pooled
 * calls.  The pool needs to be 3 % faster to be used; then one call in TUNE_SAMPLE
 * runs serially to keep the serial figure current, and the pooled call after it is
 * not recorded (a serial call longer than the workers' spin lets them fall asleep).
 * Otherwise calls run serially and two in TUNE_SAMPLE << backoff try the pool (the
 * first wakes the workers, the second is measured); each such probe that loses again
 * doubles that interval (up to 64 times), since a probe can cost a time slice.
 *
 * A class starts by taking TUNE_START samples of each, in turns of three calls
 * (warm-up, measured pool, serial), and keeps the least of each until it has them
 * all.  One sample of each decided too much: on a virtual machine one large call varies
 * a lot from the next (DRAM shared with other guests), and a class decided on one
 * pooled call that happened to be slow stayed serial until its first probe, 64 calls
 * later, though 2 threads were faster on average (docs/performance.md, "Figures behind
 * the code's comments").  The least of three is robust to one such call either way,
 * while a pool
 * that is really slower (a competitor on the other core) is slow in all three.
 *
 * It is a heuristic on timing: the results never depend on it.  A class is a size
 * and a kind (lrelu_par_kind: dtype, in place or not, forward or backward): calls of
 * one size but another kind run at other speeds, and sharing a class would mix their
 * timings.
 */
#define TUNE_SAMPLE 64u
#define TUNE_BACKOFF_MAX 6u
#define TUNE_START 3u
struct tune {
	_Atomic uint32_t ser, pool; /* ns per byte in 2^-16 units, averaged; 0: not yet */
	atomic_uint nser, npool;    /* samples taken, counted up to TUNE_START */
	atomic_uint calls, backoff;
};
static struct tune tunes[LRELU_PAR_KINDS][64];

#ifdef LRELU_TEST_SUPPORT
/* For the tests: tuning on or off (off: every call above the threshold is pooled). */
int lrelu_par_adapt = 1;
#endif

static uint64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static struct tune *tune_of(size_t bytes, unsigned kind)
{
	return &tunes[kind % LRELU_PAR_KINDS][63 - __builtin_clzll((unsigned long long)bytes | 1)];
}

/* How a call of `bytes` (above the threshold) runs: TUNE_SERIAL or TUNE_POOL (timed
 * and recorded), or TUNE_WARM: pooled but not recorded, because it wakes workers that
 * serial calls let fall asleep, and a wake-up (on a virtual machine as long as a whole
 * mid-sized call) is not what the pool
 * costs in a stream of pooled calls.  So the pool is measured, first and in every
 * probe, on the second of two pooled calls. */
int lrelu_par_choose(size_t bytes, unsigned kind)
{
	struct tune *z = tune_of(bytes, kind);
	unsigned k = atomic_fetch_add_explicit(&z->calls, 1, memory_order_relaxed);
	uint32_t ser, pool;
	unsigned every;
	if (!lrelu_par_adapt)
		return TUNE_POOL;
	if (atomic_load_explicit(&z->npool, memory_order_relaxed) < TUNE_START ||
	    atomic_load_explicit(&z->nser, memory_order_relaxed) < TUNE_START) {
		/* the start: warm-up, measured pool, serial, in turns */
		unsigned r = k % 3;
		return r == 0 ? TUNE_WARM : r == 1 ? TUNE_POOL : TUNE_SERIAL;
	}
	ser = atomic_load_explicit(&z->ser, memory_order_relaxed);
	pool = atomic_load_explicit(&z->pool, memory_order_relaxed);
	if ((uint64_t)pool + pool / 32 <= ser) {
		/* the serial sample may outlast the workers' spin: the pooled call after it
		 * wakes them and is not recorded either */
		unsigned r = k % TUNE_SAMPLE;
		return r == TUNE_SAMPLE - 1 ? TUNE_SERIAL : r == 0 ? TUNE_WARM : TUNE_POOL;
	}
	every = TUNE_SAMPLE << atomic_load_explicit(&z->backoff, memory_order_relaxed);
	return k % every == every - 2 ? TUNE_WARM : k % every == every - 1 ? TUNE_POOL : TUNE_SERIAL;
}

/*
 * The running average of a class's ns per byte, robust to one bad call: a sample
 * above twice the average counts as twice the average (a time slice lost by one short
 * pooled call would otherwise put the class on one thread for hundreds of calls), and
 * a sample below the average weighs 1/2 instead of 1/4, so that a
 * probe that wins brings a stale figure down within a few probes.  A pool that is
 * really slower still crosses the serial figure within four calls.
 */
static void average(_Atomic uint32_t *a, uint32_t v)
{
	uint64_t old = atomic_load_explicit(a, memory_order_relaxed), avg;
	if (old == 0)
		avg = v;
	else if (v < old)
		avg = old - (old - v) / 2;
	else
		avg = old + ((v < 2 * old ? v : 2 * old) - old) / 4;
	atomic_store_explicit(a, avg > UINT32_MAX ? UINT32_MAX : (uint32_t)avg, memory_order_relaxed);
}

/* A sample: during the start the least so far (returns 1), then the running average
 * (returns 0). */
static int sample(_Atomic uint32_t *a, atomic_uint *count, uint32_t v)
{
	unsigned c = atomic_load_explicit(count, memory_order_relaxed);
	if (c >= TUNE_START) {
		average(a, v);
		return 0;
	}
	uint32_t old = atomic_load_explicit(a, memory_order_relaxed);
	if (c == 0 || v < old)
		atomic_store_explicit(a, v, memory_order_relaxed);
	atomic_store_explicit(count, c + 1, memory_order_relaxed);
	return 1;
}

/* A call of `bytes` took `ns`, pooled or serial. */
void lrelu_par_record(size_t bytes, unsigned kind, int pooled, uint64_t ns)
{
	struct tune *z = tune_of(bytes, kind);
	uint64_t v = (ns << 16) / (bytes != 0 ? bytes : 1);
	uint32_t v32 = v == 0 ? 1 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	if (!lrelu_par_adapt)
		return;
	if (!pooled) {
		sample(&z->ser, &z->nser, v32);
		return;
	}
	if (sample(&z->pool, &z->npool, v32))
		return; /* the start has no probes to space out */
	uint32_t ser = atomic_load_explicit(&z->ser, memory_order_relaxed);
	uint32_t pool = atomic_load_explicit(&z->pool, memory_order_relaxed);
	unsigned b = atomic_load_explicit(&z->backoff, memory_order_relaxed);
	/* lost, and still losing on average: the next probe waits twice as long */
	if (ser != 0 && v32 > ser && pool > ser) {
		if (b < TUNE_BACKOFF_MAX)
			atomic_store_explicit(&z->backoff, b + 1, memory_order_relaxed);
	} else {
		atomic_store_explicit(&z->backoff, 0, memory_order_relaxed);
	}
}

/* For the tests: forget every measurement. */
void lrelu_par_tune_reset(void)
{
	for (size_t i = 0; i < sizeof tunes / sizeof tunes[0][0]; i++) {
		struct tune *z = &tunes[0][0] + i;
		atomic_store_explicit(&z->ser, 0, memory_order_relaxed);
		atomic_store_explicit(&z->pool, 0, memory_order_relaxed);
		atomic_store_explicit(&z->nser, 0, memory_order_relaxed);
		atomic_store_explicit(&z->npool, 0, memory_order_relaxed);
		atomic_store_explicit(&z->calls, 0, memory_order_relaxed);
		atomic_store_explicit(&z->backoff, 0, memory_order_relaxed);
	}
}

/* Chunks: up to CHUNKS_PER_THREAD per thread, each at least PAR_CHUNK_BYTES (so a
 * medium call uses fewer threads than the pool has). */
#define CHUNKS_PER_THREAD 8
#ifndef LRELU_PAR_CHUNK_BYTES
#define LRELU_PAR_CHUNK_BYTES ((size_t)128 << 10)
#endif
#define PAR_CHUNK_BYTES ((size_t)(LRELU_PAR_CHUNK_BYTES))
/* Upper bound on an explicit or environment thread count. */
#define MAX_THREADS 1024
/* Automatic thread counts stop here: more threads than this cannot speed up a
 * memory-bound loop and would only cost start-up time and memory. */
#define AUTO_MAX_THREADS 64
/* Spin iterations before sleeping (each a pause instruction, whose length varies by CPU). */
#define SPIN_ITERS 4000
/* The longest a warm-up call waits for sleeping workers to wake (longer than a wake-up
 * on the virtual machines measured). */
#define WARM_WAIT_ITERS 20000

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	_mm_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

struct worker {
	pthread_t tid;
	struct pool *pool;
	uint32_t start_gen; /* the generation when it was created: every later one is new */
	int index;          /* 1..nworkers; takes part in jobs with more than index threads */
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t wake; /* workers wait here for a new generation */
	pthread_cond_t done; /* the caller waits here for finished == chunks */
	_Atomic uint64_t claim; /* (generation << 32) | (chunks << 16) | next chunk */
	atomic_uint finished;   /* chunks of the current job finished */
	atomic_int threads;     /* threads the current job may use (the pool may have more) */
	atomic_int stop;
	atomic_int sleepers;  /* workers waiting on `wake` (changed under mu; read lock-free
	                       * by a warm-up call waiting for the workers to be awake) */
	int caller_waiting;   /* the caller waits on `done` (under mu) */
	int nworkers, cap;
	struct worker *workers;
	/* the current job, written by the caller before publishing `claim` */
	lrelu_range_fn fn;
	void *arg;
	size_t n, align;
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

/* Chunk c of `chunks` over [0, n): boundaries rounded down to multiples of align. */
static void chunk_bounds(size_t n, size_t align, int chunks, int c, size_t *b, size_t *e)
{
	size_t units = (n + align - 1) / align;
	size_t ub = units / (size_t)chunks * (size_t)c + units % (size_t)chunks * (size_t)c / (size_t)chunks;
	size_t ue = units / (size_t)chunks * (size_t)(c + 1) +
	            units % (size_t)chunks * (size_t)(c + 1) / (size_t)chunks;
	*b = ub * align < n ? ub * align : n;
	*e = ue * align < n ? ue * align : n;
}

/* Claims and runs chunks of generation `gen` until none is left.  Returns whether
 * this thread finished the job's last chunk. */
static int run_chunks(struct pool *p, uint32_t gen)
{
	uint64_t w = atomic_load_explicit(&p->claim, memory_order_acquire);
	int last = 0;
	for (;;) {
		unsigned next = (unsigned)(w & 0xFFFF), chunks = (unsigned)(w >> 16 & 0xFFFF);
		if (GEN_OF(w) != gen || next >= chunks)
			return last;
		if (!atomic_compare_exchange_weak_explicit(&p->claim, &w, w + 1, memory_order_acquire,
		                                           memory_order_acquire))
			continue;
		/* chunk `next` is ours: the job's fields stay valid until we finish it */
		size_t b, e;
		chunk_bounds(p->n, p->align, (int)chunks, (int)next, &b, &e);
		if (b < e)
			p->fn(p->arg, b, e);
		last = atomic_fetch_add_explicit(&p->finished, 1, memory_order_acq_rel) + 1 == chunks;
		w = atomic_load_explicit(&p->claim, memory_order_acquire);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;
	uint32_t seen = w->start_gen; /* not a fresh load: the first job may be out already */

	for (;;) {
		uint32_t gen = GEN_OF(atomic_load_explicit(&p->claim, memory_order_acquire));
		for (int i = 0; gen == seen && i < SPIN_ITERS; i++) {
			if (atomic_load_explicit(&p->stop, memory_order_relaxed))
				break;
			cpu_relax();
			gen = GEN_OF(atomic_load_explicit(&p->claim, memory_order_acquire));
		}
		if (gen == seen) {
			pthread_mutex_lock(&p->mu);
			atomic_fetch_add_explicit(&p->sleepers, 1, memory_order_relaxed);
			while ((gen = GEN_OF(atomic_load_explicit(&p->claim, memory_order_acquire))) == seen &&
			       !atomic_load_explicit(&p->stop, memory_order_relaxed))
				pthread_cond_wait(&p->wake, &p->mu);
			atomic_fetch_sub_explicit(&p->sleepers, 1, memory_order_relaxed);
			pthread_mutex_unlock(&p->mu);
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
		int last = run_chunks(p, gen);
		lrelu_fpenv_leave(&env);
		if (last) {
			pthread_mutex_lock(&p->mu);
			if (p->caller_waiting)
				pthread_cond_signal(&p->done);
			pthread_mutex_unlock(&p->mu);
		}
	}
	return NULL;
}

/* Stops and joins every worker, then frees the pool.  Caller holds `busy`. */
static void pool_destroy(struct pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	atomic_store_explicit(&p->stop, 1, memory_order_relaxed);
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nworkers; i++)
		pthread_join(p->workers[i].tid, NULL);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->mu);
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
		if (pthread_mutex_init(&p->mu, NULL) != 0) {
			free(p);
			return NULL;
		}
		if (pthread_cond_init(&p->wake, NULL) != 0) {
			pthread_mutex_destroy(&p->mu);
			free(p);
			return NULL;
		}
		if (pthread_cond_init(&p->done, NULL) != 0) {
			pthread_cond_destroy(&p->wake);
			pthread_mutex_destroy(&p->mu);
			free(p);
			return NULL;
		}
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
		w->start_gen = GEN_OF(atomic_load_explicit(&p->claim, memory_order_relaxed));
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
static void parallel_for_big(size_t n, size_t align, size_t bytes, unsigned kind,
                             lrelu_range_fn fn, void *arg)
{
	size_t units, chunks;
	int threads;
	struct pool *p;
	uint64_t t_start;
	int how;
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
	how = lrelu_par_choose(bytes, kind);
	if (how == TUNE_SERIAL) {
		t_start = mono_ns();
		fn(arg, 0, n);
		lrelu_par_record(bytes, kind, 0, mono_ns() - t_start);
		return;
	}
	if (atomic_exchange_explicit(&busy, 1, memory_order_acquire) != 0)
		goto serial; /* another caller's job runs: see the design note */
	p = pool_get(threads - 1);
	if (p == NULL) {
		atomic_store_explicit(&busy, 0, memory_order_release);
		goto serial;
	}
	if (threads > p->nworkers + 1)
		threads = p->nworkers + 1;
	/* (Non-temporal stores are chosen for the call as a whole, lrelu_kparams.nt, so
	 * cutting a large call into chunks does not turn them off.) */
	chunks = (size_t)threads * CHUNKS_PER_THREAD;
	if (bytes / PAR_CHUNK_BYTES < chunks)
		chunks = bytes / PAR_CHUNK_BYTES;
	units = (n + align - 1) / align;
	if (units < chunks)
		chunks = units;
	if (chunks > 0xFFFF)
		chunks = 0xFFFF;
	if (chunks <= 1) {
		atomic_store_explicit(&busy, 0, memory_order_release);
		goto serial;
	}

	t_start = mono_ns();
	p->fn = fn;
	p->arg = arg;
	p->n = n;
	p->align = align;
	atomic_store_explicit(&p->finished, 0, memory_order_relaxed);
	atomic_store_explicit(&p->threads, threads, memory_order_relaxed);
	uint32_t gen = GEN_OF(atomic_load_explicit(&p->claim, memory_order_relaxed)) + 1;
	pthread_mutex_lock(&p->mu);
	atomic_store_explicit(&p->claim, (uint64_t)gen << 32 | (uint64_t)chunks << 16,
	                      memory_order_release);
	if (atomic_load_explicit(&p->sleepers, memory_order_relaxed) > 0)
		pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->mu);

	run_chunks(p, gen);

	for (int i = 0; i < SPIN_ITERS; i++) {
		if (atomic_load_explicit(&p->finished, memory_order_acquire) == chunks)
			break;
		cpu_relax();
	}
	if (atomic_load_explicit(&p->finished, memory_order_acquire) != chunks) {
		pthread_mutex_lock(&p->mu);
		p->caller_waiting = 1;
		while (atomic_load_explicit(&p->finished, memory_order_acquire) != chunks)
			pthread_cond_wait(&p->done, &p->mu);
		p->caller_waiting = 0;
		pthread_mutex_unlock(&p->mu);
	}
	if (how == TUNE_WARM) {
		/* A warm-up call is there to wake the workers, but waking a sleeping one can take
		 * as long as a whole call in the caches (docs/performance.md): the caller may have done the work alone by then, and the measured call
		 * after it would meet workers still waking (and lose).  So it waits, a bounded
		 * time, until none sleeps. */
		for (int i = 0; i < WARM_WAIT_ITERS; i++) {
			if (atomic_load_explicit(&p->sleepers, memory_order_relaxed) == 0)
				break;
			cpu_relax();
		}
	}
	atomic_store_explicit(&busy, 0, memory_order_release);
	if (how == TUNE_POOL)
		lrelu_par_record(bytes, kind, 1, mono_ns() - t_start);
	return;

serial:
	fn(arg, 0, n);
}

void lrelu_parallel_for(size_t n, size_t align, size_t bytes_per_elem, unsigned kind,
                        lrelu_range_fn fn, void *arg)
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
	parallel_for_big(n, align, bytes, kind, fn, arg);
}

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

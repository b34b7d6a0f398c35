/* threads.c - a small pthread pool: parallel_for over contiguous chunks above a size threshold */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fpenv.h"
#include "internal.h"

/*
 * Design
 * ------
 * LeakyReLU is memory-bound, so threads only pay where one core cannot saturate the
 * memory system, i.e. for tensors far larger than the caches.  Below PAR_MIN_BYTES
 * (bytes read + written by the call) lrelu_parallel_for is one compare and a direct
 * call: no atomic, no lock, no thread ever started.  The threshold and the minimum
 * work per thread were measured with bench/ (docs/performance.md): waking a sleeping
 * worker costs 10-50 us on a virtual machine, which a 1 MiB call (~50 us) barely
 * repays.
 *
 * The pool holds up to (threads - 1) workers; the calling thread runs chunk 0 itself.
 * A job is published as one 64-bit word, (generation << 16) | chunks, so that a worker
 * learns from a single atomic load both that there is a new job and whether it takes
 * part; the job's other fields are read only by participants, and the caller does not
 * return (or publish the next job) before every participant has finished.
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

/* Bytes read + written below which a call never uses threads. */
#define PAR_MIN_BYTES ((size_t)1 << 20)
/* Minimum bytes per thread: a medium call uses fewer threads than the pool has. */
#define PAR_BYTES_PER_THREAD ((size_t)512 << 10)
/* Upper bound on an explicit or environment thread count. */
#define MAX_THREADS 1024
/* Automatic thread counts stop here: more threads than this cannot speed up a
 * memory-bound loop and would only cost start-up time and memory. */
#define AUTO_MAX_THREADS 64
/* Spin iterations before sleeping (each a pause instruction, ~10-100 ns). */
#define SPIN_ITERS 4000

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
	int index;         /* 1-based: chunk number this worker runs */
	uint64_t start_job; /* the job word when it was created: every later one is new */
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t wake; /* workers wait here for a new job word */
	pthread_cond_t done; /* the caller waits here for pending == 0 */
	_Atomic uint64_t job; /* (generation << 16) | chunks; 0 before the first job */
	atomic_int pending;   /* participants that have not finished the current job */
	atomic_int stop;
	int sleepers;         /* workers waiting on `wake` (under mu) */
	int caller_waiting;   /* the caller waits on `done` (under mu) */
	int nworkers, cap;
	struct worker *workers;
	/* the current job, written by the caller before publishing `job` */
	lrelu_range_fn fn;
	void *arg;
	size_t n, align;
};

static atomic_int requested;     /* lrelu_set_num_threads value; 0 = automatic */
static atomic_int auto_threads;  /* resolved automatic count, 0 until first needed */
static atomic_int busy;          /* a job owns the pool (or the pool is being changed) */
static struct pool *the_pool;    /* read and written only while holding `busy` */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

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

static void run_chunk(struct pool *p, int chunks, int c)
{
	size_t b, e;
	chunk_bounds(p->n, p->align, chunks, c, &b, &e);
	if (b < e)
		p->fn(p->arg, b, e);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;
	uint64_t seen = w->start_job; /* not a fresh load: the first job may be out already */

	for (;;) {
		uint64_t job = atomic_load_explicit(&p->job, memory_order_acquire);
		for (int i = 0; job == seen && i < SPIN_ITERS; i++) {
			if (atomic_load_explicit(&p->stop, memory_order_relaxed))
				break;
			cpu_relax();
			job = atomic_load_explicit(&p->job, memory_order_acquire);
		}
		if (job == seen) {
			pthread_mutex_lock(&p->mu);
			p->sleepers++;
			while ((job = atomic_load_explicit(&p->job, memory_order_acquire)) == seen &&
			       !atomic_load_explicit(&p->stop, memory_order_relaxed))
				pthread_cond_wait(&p->wake, &p->mu);
			p->sleepers--;
			pthread_mutex_unlock(&p->mu);
		}
		if (job == seen)
			break; /* stop, and no job left unseen */
		seen = job;
		int chunks = (int)(job & 0xFFFF);
		if (w->index >= chunks)
			continue;
		lrelu_fpenv env;
		lrelu_fpenv_enter(&env);
		run_chunk(p, chunks, w->index);
		lrelu_fpenv_leave(&env);
		if (atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel) == 1) {
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
		w->index = p->nworkers + 1;
		w->start_job = atomic_load_explicit(&p->job, memory_order_relaxed);
		if (pthread_create(&w->tid, NULL, worker_main, w) != 0)
			break;
		p->nworkers++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return p->nworkers > 0 ? p : NULL;
}

void lrelu_parallel_for(size_t n, size_t align, size_t bytes_per_elem, lrelu_range_fn fn,
                        void *arg)
{
	size_t bytes;
	int threads, chunks;
	struct pool *p;

	if (n == 0)
		return;
	if (align == 0)
		align = 1;
	if (bytes_per_elem == 0)
		bytes_per_elem = 1;
	bytes = n > SIZE_MAX / bytes_per_elem ? SIZE_MAX : n * bytes_per_elem;
	if (bytes < PAR_MIN_BYTES)
		goto serial;
	threads = lrelu_get_num_threads();
	if (threads <= 1)
		goto serial;
	chunks = threads;
	if (bytes / PAR_BYTES_PER_THREAD < (size_t)chunks)
		chunks = (int)(bytes / PAR_BYTES_PER_THREAD);
	if ((n + align - 1) / align < (size_t)chunks)
		chunks = (int)((n + align - 1) / align);
	if (chunks <= 1)
		goto serial;
	if (atomic_exchange_explicit(&busy, 1, memory_order_acquire) != 0)
		goto serial; /* another caller's job runs: see the design note */
	p = pool_get(chunks - 1);
	if (p == NULL) {
		atomic_store_explicit(&busy, 0, memory_order_release);
		goto serial;
	}
	if (chunks > p->nworkers + 1)
		chunks = p->nworkers + 1;

	p->fn = fn;
	p->arg = arg;
	p->n = n;
	p->align = align;
	atomic_store_explicit(&p->pending, chunks - 1, memory_order_relaxed);
	{
		uint64_t gen = (atomic_load_explicit(&p->job, memory_order_relaxed) >> 16) + 1;
		pthread_mutex_lock(&p->mu);
		atomic_store_explicit(&p->job, (gen << 16) | (uint64_t)chunks, memory_order_release);
		if (p->sleepers > 0)
			pthread_cond_broadcast(&p->wake);
		pthread_mutex_unlock(&p->mu);
	}

	run_chunk(p, chunks, 0);

	for (int i = 0; i < SPIN_ITERS; i++) {
		if (atomic_load_explicit(&p->pending, memory_order_acquire) == 0)
			break;
		cpu_relax();
	}
	if (atomic_load_explicit(&p->pending, memory_order_acquire) != 0) {
		pthread_mutex_lock(&p->mu);
		p->caller_waiting = 1;
		while (atomic_load_explicit(&p->pending, memory_order_acquire) != 0)
			pthread_cond_wait(&p->done, &p->mu);
		p->caller_waiting = 0;
		pthread_mutex_unlock(&p->mu);
	}
	atomic_store_explicit(&busy, 0, memory_order_release);
	return;

serial:
	fn(arg, 0, n);
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

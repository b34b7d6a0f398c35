/* bench.c - lrelu against memcpy, a copy loop, a plain C loop, oneDNN and XNNPACK, L1 to DRAM */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "baseline.h"
#include "lrelu.h"

#ifdef HAVE_DNNL
#include <dnnl.h>
void omp_set_num_threads(int n); /* libgomp: oneDNN's thread count (Debian builds it with OpenMP) */
#endif
#ifdef HAVE_XNNPACK
#include <xnnpack.h>
#endif

/*
 * Method.  Buffers are allocated once at the largest size and every page is written
 * before any timing (a first touch costs microseconds per page on a virtual machine).
 * They are 2 MiB aligned, and out-of-place y starts 2 KiB into its buffer: with x and
 * y at the same offset modulo 4 KiB, the next call's loads from x match the last
 * call's stores to y in the 12 address bits the CPU compares first, and small calls
 * slowed down in some processes and not in others (64 float32 elements, 10 processes
 * each: lrelu 6.8-14.3 ns and memcpy 4.3-5.3 ns at equal offsets, lrelu 6.8-9.9 ns and
 * memcpy 4.3 ns with the skew).  Small buffers from malloc are rarely 4 KiB-aligned
 * alike.
 * For each size, dtype, mode and thread count every implementation runs a warm-up,
 * then `samples` timed batches of `reps` calls (reps chosen so a batch lasts about
 * batch_ns; with threads, the same reps for every implementation, see measure_all);
 * the figure is the median batch's time per call.  The implementations take turns
 * batch by batch (in a new order each round) on the same buffers in the same process,
 * so ratios compare like with like even though absolute figures drift on a shared
 * machine.
 * Sizes up to 4096 elements are measured three times 150 ms apart, on each CPU in
 * turn, and the quietest pass (least total time of all implementations) is kept
 * (measure_small_or_large).
 *
 * GB/s counts bytes read + written: 2 * n * sizeof(element) for forward, in place or
 * not.  A ratio "x memcpy" is memcpy's time / lrelu's time: above 1, lrelu is faster.
 *
 * In place, every call alternates the slope between 0.01 and 100, so that negative
 * values come back instead of shrinking to subnormals and then zeros after a few dozen
 * calls (the peers get two operators, one per slope).
 *
 * Environment: BENCH_QUICK=1 (fewer sizes, shorter batches), BENCH_TSV=path (default
 * build/bench/bench.tsv), BENCH_MAX=elements (largest size), BENCH_SIZES=n,n,...
 * (increasing), BENCH_DTYPES=float32,bfloat16,... (a subset), BENCH_HUGEPAGES=1
 * (madvise the buffers for transparent huge pages), BENCH_THREADS=n ("all" threads),
 * BENCH_GAP_MS=ms (the loops with other work between calls, below).
 */

enum impl {
	I_LRELU,   /* flat API: lrelu_f32 ... */
	I_TENSOR,  /* tensor API: lrelu_forward, 1-d contiguous */
	I_MEMCPY,
	I_COPY,    /* copy loop, bench/baseline.c */
	I_PLAIN,   /* plain C LeakyReLU loop, bench/baseline.c */
	I_DNNL,
	I_XNN,
	I_LRELU1,  /* lrelu with 1 thread, in the thread rows */
	I_COUNT
};
static const char *const impl_name[I_COUNT] = { "lrelu", "lrelu_tensor", "memcpy", "copy_loop",
                                                "plain_c", "onednn", "xnnpack", "lrelu_1thr" };

static const lrelu_dtype dtypes[] = { LRELU_FLOAT32, LRELU_BFLOAT16, LRELU_FLOAT16,
                                      LRELU_FLOAT64 };
static const float slopes[2] = { 0.01f, 100.0f };

struct cfg {
	lrelu_dtype dt;
	int inplace;
	int threads;
	size_t n, es;
	void *x, *y; /* y == x in place */
	unsigned calls;
#ifdef HAVE_DNNL
	dnnl_primitive_t dn_prim[2];
	dnnl_memory_t dn_src, dn_dst;
	int dn_ok;
#endif
#ifdef HAVE_XNNPACK
	xnn_operator_t xn_op[2];
	pthreadpool_t xn_pool;
	int xn_ok;
#endif
};

#ifdef HAVE_DNNL
static dnnl_engine_t dn_engine;
static dnnl_stream_t dn_stream;
#endif
#ifdef HAVE_XNNPACK
static int xn_ready;
#endif

#include "benchutil.h"

/* ---- peers ---------------------------------------------------------------------- */

#ifdef HAVE_DNNL
static int dnnl_dtype(lrelu_dtype dt, dnnl_data_type_t *out)
{
	switch (dt) {
	case LRELU_FLOAT32:
		*out = dnnl_f32;
		return 1;
	case LRELU_BFLOAT16:
		*out = dnnl_bf16;
		return 1;
	default:
		return 0; /* oneDNN's CPU eltwise has no f64, and f16 only on AVX512-FP16 */
	}
}

static void dnnl_setup(struct cfg *c)
{
	dnnl_data_type_t dt;
	dnnl_dims_t dims = { (dnnl_dim_t)c->n };
	c->dn_ok = 0;
	if (dn_engine == NULL || !dnnl_dtype(c->dt, &dt))
		return;
	omp_set_num_threads(c->threads);
#if DNNL_VERSION_MAJOR >= 3
	dnnl_memory_desc_t md;
	if (dnnl_memory_desc_create_with_tag(&md, 1, dims, dt, dnnl_a) != dnnl_success)
		return;
	for (int k = 0; k < 2; k++) {
		dnnl_primitive_desc_t pd;
		c->dn_prim[k] = NULL;
		if (k == 1 && !c->inplace)
			break;
		if (dnnl_eltwise_forward_primitive_desc_create(&pd, dn_engine, dnnl_forward_inference,
		                                               dnnl_eltwise_relu, md, md, slopes[k], 0.f,
		                                               NULL) != dnnl_success)
			goto out;
		if (dnnl_primitive_create(&c->dn_prim[k], pd) != dnnl_success)
			c->dn_prim[k] = NULL;
		dnnl_primitive_desc_destroy(pd);
		if (c->dn_prim[k] == NULL)
			goto out;
	}
	if (dnnl_memory_create(&c->dn_src, md, dn_engine, c->x) == dnnl_success &&
	    dnnl_memory_create(&c->dn_dst, md, dn_engine, c->y) == dnnl_success)
		c->dn_ok = 1;
out:
	dnnl_memory_desc_destroy(md);
#else
	dnnl_memory_desc_t md;
	if (dnnl_memory_desc_init_by_tag(&md, 1, dims, dt, dnnl_a) != dnnl_success)
		return;
	for (int k = 0; k < 2; k++) {
		dnnl_eltwise_desc_t ed;
		dnnl_primitive_desc_t pd;
		c->dn_prim[k] = NULL;
		if (k == 1 && !c->inplace)
			break;
		if (dnnl_eltwise_forward_desc_init(&ed, dnnl_forward_inference, dnnl_eltwise_relu, &md,
		                                   slopes[k], 0.f) != dnnl_success ||
		    dnnl_primitive_desc_create(&pd, &ed, NULL, dn_engine, NULL) != dnnl_success)
			return;
		if (dnnl_primitive_create(&c->dn_prim[k], pd) != dnnl_success)
			c->dn_prim[k] = NULL;
		dnnl_primitive_desc_destroy(pd);
		if (c->dn_prim[k] == NULL)
			return;
	}
	if (dnnl_memory_create(&c->dn_src, &md, dn_engine, c->x) == dnnl_success &&
	    dnnl_memory_create(&c->dn_dst, &md, dn_engine, c->y) == dnnl_success)
		c->dn_ok = 1;
#endif
}

static void dnnl_teardown(struct cfg *c)
{
	for (int k = 0; k < 2; k++)
		if (c->dn_prim[k] != NULL)
			dnnl_primitive_destroy(c->dn_prim[k]);
	if (c->dn_src != NULL)
		dnnl_memory_destroy(c->dn_src);
	if (c->dn_dst != NULL)
		dnnl_memory_destroy(c->dn_dst);
	c->dn_prim[0] = c->dn_prim[1] = NULL;
	c->dn_src = c->dn_dst = NULL;
	c->dn_ok = 0;
}

static int dnnl_run(struct cfg *c, int k)
{
	dnnl_exec_arg_t args[2] = { { DNNL_ARG_SRC, c->dn_src }, { DNNL_ARG_DST, c->dn_dst } };
	if (dnnl_primitive_execute(c->dn_prim[k], dn_stream, 2, args) != dnnl_success)
		return 1;
	return dnnl_stream_wait(dn_stream) != dnnl_success;
}
#endif

#ifdef HAVE_XNNPACK
static void xnn_setup_cfg(struct cfg *c)
{
	c->xn_ok = 0;
	c->xn_pool = NULL;
	if (!xn_ready || (c->dt != LRELU_FLOAT32 && c->dt != LRELU_FLOAT16))
		return;
	if (c->threads > 1 && (c->xn_pool = pthreadpool_create((size_t)c->threads)) == NULL)
		return;
	for (int k = 0; k < 2; k++) {
		enum xnn_status st;
		c->xn_op[k] = NULL;
		if (k == 1 && !c->inplace)
			break;
		if (c->dt == LRELU_FLOAT32)
			st = xnn_create_leaky_relu_nc_f32(1, 1, 1, slopes[k], 0, &c->xn_op[k]);
		else
			st = xnn_create_leaky_relu_nc_f16(1, 1, 1, slopes[k], 0, &c->xn_op[k]);
		if (st != xnn_status_success) {
			c->xn_op[k] = NULL;
			return;
		}
	}
	c->xn_ok = 1;
}

static void xnn_teardown(struct cfg *c)
{
	for (int k = 0; k < 2; k++)
		if (c->xn_op[k] != NULL)
			xnn_delete_operator(c->xn_op[k]);
	c->xn_op[0] = c->xn_op[1] = NULL;
	if (c->xn_pool != NULL)
		pthreadpool_destroy(c->xn_pool);
	c->xn_pool = NULL;
	c->xn_ok = 0;
}

/* setup + run: what a caller with a new tensor pays (the operator is reused) */
static int xnn_run(struct cfg *c, int k)
{
	enum xnn_status st;
	if (c->dt == LRELU_FLOAT32)
		st = xnn_setup_leaky_relu_nc_f32(c->xn_op[k], c->n, c->x, c->y, c->xn_pool);
	else
		st = xnn_setup_leaky_relu_nc_f16(c->xn_op[k], c->n, c->x, c->y, c->xn_pool);
	if (st != xnn_status_success)
		return 1;
	return xnn_run_operator(c->xn_op[k], c->xn_pool) != xnn_status_success;
}
#endif

/* ---- one call ------------------------------------------------------------------------ */

static int available(const struct cfg *c, enum impl i)
{
	switch (i) {
	case I_LRELU:
		return 1;
	case I_LRELU1:
		return c->threads > 1;
	case I_TENSOR:
	case I_PLAIN:
		if (i == I_PLAIN && c->dt == LRELU_FLOAT16 && !base_have_f16())
			return 0;
		return c->threads == 1;
	case I_MEMCPY:
		return c->threads == 1 && !c->inplace; /* memcpy(p, p) is undefined */
	case I_COPY:
		return c->threads == 1;
	case I_DNNL:
#ifdef HAVE_DNNL
		return c->dn_ok;
#else
		return 0;
#endif
	case I_XNN:
#ifdef HAVE_XNNPACK
		return c->xn_ok;
#else
		return 0;
#endif
	default:
		return 0;
	}
}

static int call(struct cfg *c, enum impl i)
{
	int k = c->inplace ? (int)(c->calls++ & 1) : 0;
	float s = slopes[k];
	switch (i) {
	case I_LRELU:
	case I_LRELU1:
		switch (c->dt) {
		case LRELU_FLOAT32:
			return lrelu_f32(c->x, c->y, c->n, s);
		case LRELU_BFLOAT16:
			return lrelu_bf16(c->x, c->y, c->n, s);
		case LRELU_FLOAT16:
			return lrelu_f16(c->x, c->y, c->n, s);
		default:
			return lrelu_f64(c->x, c->y, c->n, s);
		}
	case I_TENSOR: {
		int64_t shape = (int64_t)c->n;
		lrelu_tensor tx = lrelu_tensor_make(c->x, c->dt, 1, &shape, NULL);
		lrelu_tensor ty = lrelu_tensor_make(c->y, c->dt, 1, &shape, NULL);
		return lrelu_forward(LRELU_TORCH, s, &tx, &ty);
	}
	case I_MEMCPY:
		memcpy(c->y, c->x, c->n * c->es);
		return 0;
	case I_COPY:
		base_copy(c->x, c->y, c->n * c->es);
		return 0;
	case I_PLAIN:
		switch (c->dt) {
		case LRELU_FLOAT32:
			base_lrelu_f32(c->x, c->y, c->n, s);
			break;
		case LRELU_BFLOAT16:
			base_lrelu_bf16(c->x, c->y, c->n, s);
			break;
		case LRELU_FLOAT16:
			base_lrelu_f16(c->x, c->y, c->n, s);
			break;
		default:
			base_lrelu_f64(c->x, c->y, c->n, s);
		}
		return 0;
#ifdef HAVE_DNNL
	case I_DNNL:
		return dnnl_run(c, k);
#endif
#ifdef HAVE_XNNPACK
	case I_XNN:
		return xnn_run(c, k);
#endif
	default:
		return 1;
	}
}

/* ---- timing ------------------------------------------------------------------------ */

static int quick;
static double batch_ns, impl_budget_ns;

/* After calls of implementation i: wait for the pool's threads to go idle, if it used
 * one (lrelu with 1 thread and the single-threaded yardsticks do not). */
static void wait_if_pooled(const struct cfg *c, enum impl i)
{
	if (c->threads > 1 && (i == I_DNNL || i == I_XNN || i == I_LRELU))
		wait_other_threads_idle();
}

/* One batch of reps calls; ns per call.  I_LRELU1 is lrelu with 1 thread. */
static double batch(struct cfg *c, enum impl i, int reps)
{
	double t0;
	if (i == I_LRELU1)
		lrelu_set_num_threads(1);
	t0 = now_ns();
	for (int r = 0; r < reps; r++)
		call(c, i);
	t0 = (now_ns() - t0) / reps;
	if (i == I_LRELU1)
		lrelu_set_num_threads(c->threads);
	wait_if_pooled(c, i);
	return t0;
}

/* How long a batch lasts with threads (the fastest implementation's; see measure_all). */
#define THREAD_BATCH_NS 10e6

/* The time of one warm call of implementation i: the median of 5 calls in a row. */
static double warm_call_ns(struct cfg *c, enum impl i)
{
	double t[5];
	if (i == I_LRELU1)
		lrelu_set_num_threads(1);
	for (int k = 0; k < 5; k++) {
		double t0 = now_ns();
		call(c, i);
		t[k] = now_ns() - t0;
	}
	if (i == I_LRELU1)
		lrelu_set_num_threads(c->threads);
	wait_if_pooled(c, i);
	qsort(t, 5, sizeof t[0], cmp_d);
	return t[2] < 1.0 ? 1.0 : t[2];
}

/*
 * Median ns per call of every implementation with avail[i] set (ns[i] < 0 if its
 * first call failed).  The implementations take turns batch by batch, so that a
 * drift of the machine (other processes, frequency) hits them all alike.
 *
 * With threads every batch starts after an idle wait (the pools asleep), so it carries
 * what a pool pays to start (waking a worker, the data where another pool's split left
 * it) spread over its calls.  Every implementation within 4x of the fastest gets the
 * same number of calls per batch, enough for THREAD_BATCH_NS of the fastest one, so
 * each spreads its start over as many calls, and the rows measure calls back to back
 * (the first calls after idle are what the gap loops measure).  Batches of ~2 ms each,
 * their counts set by one timed call, spread one implementation's start over 3
 * calls and another's over 13: at 1M float32 out of place lrelu measured 0.86x XNNPACK
 * in one process and 1.02x in another.
 */
static void measure_all(struct cfg *c, const int *avail, double *ns)
{
	static double v[I_COUNT][41];
	int reps[I_COUNT], samples;
	double round_ns = 0, one[I_COUNT], fastest = 0;

	for (int i = 0; i < I_COUNT; i++) {
		ns[i] = -1.0;
		reps[i] = 0;
		one[i] = 0.0; /* stays 0 where it is not measured */
		if (!avail[i])
			continue;
		c->calls = 0;
		if (i == I_LRELU1)
			lrelu_set_num_threads(1);
		int bad = call(c, (enum impl)i) != 0;
		if (i == I_LRELU1)
			lrelu_set_num_threads(c->threads);
		if (bad)
			continue;
		one[i] = warm_call_ns(c, (enum impl)i);
		fastest = fastest == 0 || one[i] < fastest ? one[i] : fastest;
	}
	for (int i = 0; i < I_COUNT; i++) {
		if (one[i] == 0.0)
			continue;
		if (c->threads > 1 && !quick)
			/* one many times slower (a pool woken by each of 64 elements' calls)
			 * gets its own count: at its ratio the start matters not, and 45,000 of
			 * its calls would take minutes */
			reps[i] = (int)(THREAD_BATCH_NS / (one[i] <= 4 * fastest ? fastest : one[i]));
		else
			reps[i] = (int)(batch_ns / one[i]);
		reps[i] = reps[i] < 1 ? 1 : reps[i] > 1000000 ? 1000000 : reps[i];
		if (reps[i] > 1 && (reps[i] & 1))
			reps[i]++; /* in place: as many calls with each slope */
		/* warm-up: about one batch (caches, branch predictors, the pools' threads) */
		round_ns += batch(c, (enum impl)i, reps[i]) * reps[i];
	}
	samples = (int)(impl_budget_ns / (round_ns > 1 ? round_ns : 1));
	if (samples > (quick ? 11 : 41))
		samples = quick ? 11 : 41;
	if (samples < (quick ? 3 : 5))
		samples = quick ? 3 : 5;
	/* with threads every round waits for the pools to stop spinning (~50 ms), and
	 * its batches last THREAD_BATCH_NS: 15 rounds, whatever the budget says */
	if (c->threads > 1 && !quick)
		samples = 15;
	/* Each round runs the implementations in a new order, so each follows the others
	 * about equally often: what the batch before leaves falls on all alike.  It
	 * matters: its data in one core's cache when it ran on one thread, or split between
	 * the cores as another pool split it; y's lines dirty in the cache when it stored
	 * normally, which a non-temporal store must first write back (4M float32 out of
	 * place, one thread: lrelu took 1.45 ms after XNNPACK, its tensor-API row 0.91 ms
	 * after lrelu).  In a fixed order, or one merely rotated, each had the same
	 * predecessor every round. */
	uint64_t seed = 0x9E3779B97F4A7C15ull;
	for (int s = 0; s < samples; s++) {
		int order[I_COUNT];
		shuffle_order(order, I_COUNT, &seed);
		for (int j = 0; j < I_COUNT; j++) {
			int i = order[j];
			if (reps[i] > 0)
				v[i][s] = batch(c, (enum impl)i, reps[i]);
		}
	}
	for (int i = 0; i < I_COUNT; i++)
		if (reps[i] > 0) {
			qsort(v[i], (size_t)samples, sizeof v[i][0], cmp_d);
			ns[i] = v[i][samples / 2];
		}
}

/*
 * Small sizes are measured in SMALL_PASSES passes 150 ms apart, each on the next CPU
 * the process may use (the calling thread pinned for the pass), and the pass with the
 * least total time over all implementations is kept, whole.  On this kind of virtual
 * machine one vCPU sometimes runs 1.5-2x slower for seconds (every implementation at
 * once, memcpy included: host contention; a process pinned to that vCPU was slow in 4
 * runs of 4, on the other in 2 of 4).  One such episode would set the absolute
 * nanoseconds of a row (the 64-element targets are absolute); keeping a pass whole
 * keeps the ratios within it fair.  Only on one thread: a thread a pool creates while
 * the caller is pinned inherits the one CPU and keeps it (oneDNN's OpenMP team, made
 * by its first 2-thread call at 64 elements, then ran later calls on one vCPU: 16K
 * float32 took ~108 us against 2.4 us unpinned, 256K right after 64 ~200 us against
 * 18 us).
 */
#define SMALL_MAX_ELEMS 4096
#define SMALL_PASSES 3
static void measure_small_or_large(struct cfg *c, const int *avail, double *ns)
{
	double tmp[I_COUNT], best = -1.0;
	int passes = c->n <= SMALL_MAX_ELEMS && !quick && c->threads == 1 ? SMALL_PASSES : 1;
#ifdef __linux__
	cpu_set_t all;
	int ncpu = 0, cpus[CPU_SETSIZE];
	if (passes > 1 && sched_getaffinity(0, sizeof all, &all) == 0)
		for (int k = 0; k < CPU_SETSIZE; k++)
			if (CPU_ISSET(k, &all))
				cpus[ncpu++] = k;
#endif
	for (int p = 0; p < passes; p++) {
		double total = 0.0;
		if (p > 0) {
			struct timespec pause = { 0, 150000000 };
			nanosleep(&pause, NULL);
		}
#ifdef __linux__
		/* each pass on the next CPU: the slow episodes belong to one vCPU at a time */
		if (ncpu > 1) {
			cpu_set_t one;
			CPU_ZERO(&one);
			CPU_SET(cpus[p % ncpu], &one);
			sched_setaffinity(0, sizeof one, &one);
		}
#endif
		measure_all(c, avail, tmp);
		for (int i = 0; i < I_COUNT; i++)
			if (tmp[i] > 0)
				total += tmp[i];
		if (best < 0 || total < best) {
			best = total;
			memcpy(ns, tmp, sizeof tmp);
		}
	}
#ifdef __linux__
	if (ncpu > 1)
		sched_setaffinity(0, sizeof all, &all);
#endif
}

/* ---- data ------------------------------------------------------------------------------ */

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static float next_val(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	/* values in (-4, 4), half negative */
	return (float)((double)(rng >> 11) * (8.0 / 9007199254740992.0) - 4.0);
}

/* Fills the first n elements of buf with dt values in (-4, 4). */
static void fill(void *buf, lrelu_dtype dt, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		float f = next_val();
		switch (dt) {
		case LRELU_FLOAT32:
			((float *)buf)[i] = f;
			break;
		case LRELU_FLOAT64:
			((double *)buf)[i] = f;
			break;
		case LRELU_BFLOAT16:
			((uint16_t *)buf)[i] = lrelu_f32_to_bf16(f);
			break;
		default:
			((uint16_t *)buf)[i] = lrelu_f32_to_f16(f);
		}
	}
}

/* Where out-of-place y starts in its buffer, modulo 4 KiB away from x (see Method). */
#define Y_SKEW 2048

static void *alloc_touched(size_t bytes, int huge)
{
	void *p = NULL;
	if (posix_memalign(&p, (size_t)2 << 20, bytes) != 0)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (huge)
		madvise(p, bytes, MADV_HUGEPAGE);
#else
	(void)huge;
#endif
	memset(p, 0, bytes); /* every page faulted in before any timing */
	return p;
}

/* BENCH_DTYPES (a comma-separated list, NULL or empty: all) names dt: whole names only,
 * "float16" is not in "bfloat16". */
static int dtype_wanted(const char *only, lrelu_dtype dt)
{
	const char *name = lrelu_dtype_name(dt);
	size_t len = strlen(name);
	if (only == NULL || *only == '\0')
		return 1;
	for (const char *q = only; q != NULL; q = strchr(q, ','), q = q != NULL ? q + 1 : NULL)
		if (strncmp(q, name, len) == 0 && (q[len] == ',' || q[len] == '\0'))
			return 1;
	return 0;
}

/* ---- one case: its buffers and the peers' operators ---------------------------------- */

/* A case of n elements of dt (in place: in z, a copy of x), the peers' operators made
 * for it, and which implementations can run it. */
static void case_open(struct cfg *c, lrelu_dtype dt, int inplace, int threads, size_t n, void *x,
                      void *y, void *z, int *avail)
{
	memset(c, 0, sizeof *c);
	c->dt = dt;
	c->inplace = inplace;
	c->threads = threads;
	c->n = n;
	c->es = lrelu_dtype_size(dt);
	c->x = inplace ? z : x;
	c->y = inplace ? z : y;
	if (inplace)
		memcpy(z, x, n * c->es);
#ifdef HAVE_DNNL
	dnnl_setup(c);
#endif
#ifdef HAVE_XNNPACK
	xnn_setup_cfg(c);
#endif
	for (int i = 0; i < I_COUNT; i++)
		avail[i] = available(c, (enum impl)i);
}

static void case_close(struct cfg *c)
{
#ifdef HAVE_DNNL
	dnnl_teardown(c);
#endif
#ifdef HAVE_XNNPACK
	xnn_teardown(c);
#endif
	(void)c;
}

/* ---- other work between calls ----------------------------------------------------------- */

/*
 * BENCH_GAP_MS=5: each size also runs as a loop in which every call follows ~5 ms of
 * single-threaded compute work on the calling thread (a model's other layers), timing
 * the whole loop and the process's CPU time, for lrelu on 1 and on N threads and the
 * peers on N.  The implementations take turns loop by loop, in a new order each round;
 * the figures are medians of GAP_ROUNDS loops.  A pool that sleeps pays a wake-up per
 * call; one that spins through the gap burns the second CPU (the CPU time column).
 * The spin after a loop's last call is not counted (1/GAP_CALLS of the loop).  Each
 * call is also timed on its own (the median of the loops' calls): the other work's
 * time moves by a few percent from loop to loop with the host, more than a wake-up
 * costs, and the call's own time shows what the loop's total hides.
 */
#define GAP_CALLS 20
/* Smaller calls never reach lrelu's pool (1 MiB moved): nothing to compare there. */
#define GAP_MIN_ELEMS 65536
#define GAP_ROUNDS 5
static uint64_t gap_iters;
static FILE *gap_tsv;

static double cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void gap_setup(double ms)
{
	uint64_t k = 1 << 16;
	double t = 0;
	for (;; k *= 2) {
		double t0 = now_ns();
		compute_loop(k);
		t = now_ns() - t0;
		if (t > 5e6 || k >= (uint64_t)1 << 34)
			break;
	}
	for (int i = 0; i < 4; i++) { /* the least of five: the loop's time when not preempted */
		double t0 = now_ns();
		compute_loop(k);
		t0 = now_ns() - t0;
		t = t0 < t ? t0 : t;
	}
	gap_iters = (uint64_t)((double)k * ms * 1e6 / t);
}

static void gap_case(struct cfg *c, const int *avail)
{
	static const enum impl impls[] = { I_LRELU1, I_LRELU, I_DNNL, I_XNN };
	double wall[4][GAP_ROUNDS], cpu[4][GAP_ROUNDS];
	static double calls[4][GAP_ROUNDS * GAP_CALLS];
	int n = 0;
	uint64_t seed = 0x9E3779B97F4A7C15ull;
	for (int r = 0; r < GAP_ROUNDS; r++) {
		int order[4];
		shuffle_order(order, 4, &seed); /* as in measure_all: no fixed predecessor */
		for (int j = 0; j < 4; j++) {
			int k = order[j];
			enum impl i = impls[k];
			if (!avail[i])
				continue;
			if (i == I_LRELU1)
				lrelu_set_num_threads(1);
			call(c, i); /* warm: its pool exists, its pages are mapped */
			double w0 = now_ns(), c0 = cpu_ns();
			for (int q = 0; q < GAP_CALLS; q++) {
				compute_loop(gap_iters);
				double t0 = now_ns();
				call(c, i);
				calls[k][r * GAP_CALLS + q] = now_ns() - t0;
			}
			wall[k][r] = (now_ns() - w0) / GAP_CALLS;
			cpu[k][r] = (cpu_ns() - c0) / GAP_CALLS;
			if (i == I_LRELU1)
				lrelu_set_num_threads(c->threads);
			wait_other_threads_idle();
			n++;
		}
	}
	if (n == 0)
		return;
	printf("%10zu", c->n);
	for (int k = 0; k < 4; k++) {
		enum impl i = impls[k];
		if (!avail[i]) {
			printf(" %30s", "-");
			continue;
		}
		qsort(wall[k], GAP_ROUNDS, sizeof wall[k][0], cmp_d);
		qsort(cpu[k], GAP_ROUNDS, sizeof cpu[k][0], cmp_d);
		double w = wall[k][GAP_ROUNDS / 2], u = cpu[k][GAP_ROUNDS / 2];
		double one = median(calls[k], GAP_ROUNDS * GAP_CALLS);
		printf(" %8.3f ms %6.3f cpu %7.0f us", w / 1e6, u / 1e6, one / 1e3);
		fprintf(gap_tsv, "%s\t%s\t%s\t%d\t%zu\t%.0f\t%.0f\t%.0f\t%.0f\n",
		        i == I_LRELU1 ? "lrelu" : impl_name[i], lrelu_dtype_name(c->dt),
		        c->inplace ? "inplace" : "out", i == I_LRELU1 ? 1 : c->threads, c->n, w, u,
		        (double)GAP_CALLS, one);
	}
	printf("\n");
	fflush(stdout);
}

/* The gap mode's tables: every dtype, out of place and in place, every size. */
static void run_gap(const size_t *sizes, size_t nsizes, const char *only, void *x, void *y,
                    void *z, int threads, double ms)
{
	for (size_t d = 0; d < sizeof dtypes / sizeof dtypes[0]; d++) {
		lrelu_dtype dt = dtypes[d];
		if (!dtype_wanted(only, dt))
			continue;
		fill(x, dt, sizes[nsizes - 1]);
		for (int inplace = 0; inplace < 2; inplace++) {
			printf("\n%s, %s, %.1f ms of other work before each call: ms per loop "
			       "iteration (wall, process CPU) and the call alone (median)\n"
			       "%10s %30s %30s %30s %30s\n",
			       lrelu_dtype_name(dt), inplace ? "in place" : "out of place", ms,
			       "elements", "lrelu 1 thread", "lrelu N threads", "onednn N", "xnnpack N");
			lrelu_set_num_threads(threads);
			for (size_t si = 0; si < nsizes; si++) {
				struct cfg c;
				int avail[I_COUNT];
				if (sizes[si] < GAP_MIN_ELEMS)
					continue;
				case_open(&c, dt, inplace, threads, sizes[si], x, y, z, avail);
				gap_case(&c, avail);
				case_close(&c);
			}
		}
	}
	fclose(gap_tsv);
}

/* ---- main -------------------------------------------------------------------------------- */

static FILE *tsv;

static void emit(const struct cfg *c, enum impl i, double ns)
{
	double bytes = 2.0 * (double)c->n * (double)c->es;
	fprintf(tsv, "%s\t%s\t%s\t%d\t%zu\t%.2f\t%.3f\t%.0f\t%s\n", impl_name[i], lrelu_dtype_name(c->dt),
	        c->inplace ? "inplace" : "out", c->threads, c->n, ns, bytes / ns, bytes,
	        lrelu_isa_name(lrelu_get_isa()));
}

int main(void)
{
	static const size_t sizes_full[] = { 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576,
	                                     4194304, 16777216, 67108864 };
	static const size_t sizes_quick[] = { 64, 1024, 16384, 262144, 4194304 };
	const char *env;
	const size_t *sizes;
	size_t nsizes, maxn = 0;
	int all_threads;

	env = getenv("BENCH_QUICK");
	quick = env != NULL && *env != '\0' && strcmp(env, "0") != 0;
	sizes = quick ? sizes_quick : sizes_full;
	nsizes = quick ? sizeof sizes_quick / sizeof sizes_quick[0]
	               : sizeof sizes_full / sizeof sizes_full[0];
	env = getenv("BENCH_MAX");
	if (env != NULL && *env != '\0') {
		size_t cap = (size_t)strtoull(env, NULL, 10);
		while (nsizes > 1 && sizes[nsizes - 1] > cap)
			nsizes--;
	}
	static size_t sizes_env[32];
	env = getenv("BENCH_SIZES"); /* e.g. 1024,67108864 */
	if (env != NULL && *env != '\0') {
		char *end;
		nsizes = 0;
		for (const char *q = env; *q != '\0' && nsizes < 32; q = *end ? end + 1 : end) {
			size_t v = (size_t)strtoull(q, &end, 10);
			if (end == q)
				break;
			if (v > 0 && (nsizes == 0 || v > sizes_env[nsizes - 1]))
				sizes_env[nsizes++] = v;
		}
		if (nsizes == 0) {
			fprintf(stderr, "bench: BENCH_SIZES=%s: want increasing element counts\n", env);
			return 1;
		}
		sizes = sizes_env;
	}
	maxn = sizes[nsizes - 1];
	const char *only = getenv("BENCH_DTYPES"); /* e.g. float32,bfloat16 */
	batch_ns = quick ? 100e3 : 300e3;
	impl_budget_ns = quick ? 40e6 : 250e6;

	lrelu_set_num_threads(0);
	all_threads = lrelu_get_num_threads();
	env = getenv("BENCH_THREADS");
	if (env != NULL && atoi(env) > 0)
		all_threads = atoi(env);

	env = getenv("BENCH_TSV");
	const char *path = env != NULL && *env != '\0' ? env : "build/bench/bench.tsv";
	tsv = fopen(path, "w");
	if (tsv == NULL) {
		fprintf(stderr, "bench: cannot write %s: %s\n", path, strerror(errno));
		return 1;
	}
	fprintf(tsv, "impl\tdtype\tmode\tthreads\tn\tns\tgbps\tbytes\tisa\n");

	env = getenv("BENCH_HUGEPAGES");
	int huge = env != NULL && atoi(env) > 0;
	/* y starts Y_SKEW bytes into its buffer: see Method */
	void *x = alloc_touched(maxn * 8, huge), *ybuf = alloc_touched(maxn * 8 + Y_SKEW, huge);
	void *z = alloc_touched(maxn * 8, huge);
	void *y = ybuf == NULL ? NULL : (char *)ybuf + Y_SKEW;
	if (x == NULL || y == NULL || z == NULL) {
		fprintf(stderr, "bench: cannot allocate 3 x %zu bytes\n", maxn * 8);
		return 1;
	}

#ifdef HAVE_DNNL
	if (dnnl_engine_create(&dn_engine, dnnl_cpu, 0) != dnnl_success ||
	    dnnl_stream_create(&dn_stream, dn_engine, dnnl_stream_default_flags) != dnnl_success) {
		printf("oneDNN: engine or stream creation failed: skipped\n");
		dn_engine = NULL;
	}
#else
	printf("oneDNN: not installed (Debian libdnnl-dev): skipped\n");
#endif
#ifdef HAVE_XNNPACK
	xn_ready = xnn_initialize(NULL) == xnn_status_success;
	if (!xn_ready)
		printf("XNNPACK: xnn_initialize failed (unsupported CPU?): skipped\n");
#else
	printf("XNNPACK: not installed (Debian libxnnpack-dev): skipped\n");
#endif

	printf("lrelu %s, ISA %s, %d threads = \"all\"; %s; median ns per call; GB/s = bytes read + written; "
	       "xPEER = PEER's time / lrelu's time (above 1: lrelu is faster)\n",
	       lrelu_version(), lrelu_isa_name(lrelu_get_isa()), all_threads,
	       quick ? "quick mode" : "full run");
	printf("TSV: %s\n", path);
	double calib_start = all_threads > 1 ? calibrate("start") : 0.0;
	env = getenv("BENCH_GAP_MS");
	double gap_ms = env != NULL ? atof(env) : 0.0;
	if (gap_ms > 0 && all_threads > 1) {
		char gpath[4096];
		snprintf(gpath, sizeof gpath, "%s.gap", path);
		gap_tsv = fopen(gpath, "w");
		if (gap_tsv == NULL) {
			fprintf(stderr, "bench: cannot write %s: %s\n", gpath, strerror(errno));
			return 1;
		}
		fprintf(gap_tsv, "impl\tdtype\tmode\tthreads\tn\twall_ns\tcpu_ns\tcalls\tcall_ns\n");
		gap_setup(gap_ms);
		printf("gap mode: %.1f ms of compute work before each call (%s)\n", gap_ms, gpath);
	}

	for (size_t d = 0; d < sizeof dtypes / sizeof dtypes[0]; d++) {
		lrelu_dtype dt = dtypes[d];
		size_t es = lrelu_dtype_size(dt);
		if (!dtype_wanted(only, dt))
			continue;
		fill(x, dt, maxn);
		for (int inplace = 0; inplace < 2; inplace++) {
			for (int th = 0; th < 2; th++) {
				int threads = th == 0 ? 1 : all_threads;
				if (th == 1 && all_threads <= 1)
					continue;
				printf("\n%s, %s, %d thread%s\n", lrelu_dtype_name(dt),
				       inplace ? "in place" : "out of place", threads, threads > 1 ? "s" : "");
				printf("%10s %11s %8s", "elements", "lrelu ns", "GB/s");
				for (int i = I_TENSOR; i < I_COUNT; i++)
					if (i != I_LRELU1 || threads > 1)
						printf(" %12s", impl_name[i]);
				printf("\n");
				lrelu_set_num_threads(threads);
				for (size_t si = 0; si < nsizes; si++) {
					struct cfg c;
					double ns[I_COUNT];
					int avail[I_COUNT];
					case_open(&c, dt, inplace, threads, sizes[si], x, y, z, avail);
					measure_small_or_large(&c, avail, ns);
					for (int i = 0; i < I_COUNT; i++)
						if (ns[i] > 0)
							emit(&c, (enum impl)i, ns[i]);
					case_close(&c);
					if (ns[I_LRELU] <= 0) {
						printf("%10zu  lrelu failed: %s\n", c.n, lrelu_last_error());
						continue;
					}
					printf("%10zu %11.1f %8.2f", c.n, ns[I_LRELU],
					       2.0 * (double)c.n * (double)es / ns[I_LRELU]);
					for (int i = I_TENSOR; i < I_COUNT; i++) {
						if (i == I_LRELU1 && threads == 1)
							continue;
						if (ns[i] > 0 && i == I_TENSOR)
							printf(" %10.1fns", ns[i]);
						else if (ns[i] > 0)
							printf(" %11.2fx", ns[i] / ns[I_LRELU]);
						else
							printf(" %12s", "-");
					}
					printf("\n");
					fflush(stdout);
				}
			}
		}
	}
	if (gap_tsv != NULL)
		run_gap(sizes, nsizes, only, x, y, z, all_threads, gap_ms);
	if (all_threads > 1) {
		double calib_end = calibrate("end");
		/* impl "calibration": dtype start|end, gbps = the scaling */
		fprintf(tsv, "calibration\tstart\tcompute\t2\t0\t0\t%.3f\t0\t-\n", calib_start);
		fprintf(tsv, "calibration\tend\tcompute\t2\t0\t0\t%.3f\t0\t-\n", calib_end);
		printf("2-thread rows count only if both calibrations are >= 1.80: %s\n",
		       calib_start >= 1.8 && calib_end >= 1.8 ? "they do" : "they do NOT");
	}
	lrelu_set_num_threads(0);
#ifdef HAVE_DNNL
	if (dn_engine != NULL) {
		dnnl_stream_destroy(dn_stream);
		dnnl_engine_destroy(dn_engine);
	}
#endif
#ifdef HAVE_XNNPACK
	if (xn_ready)
		xnn_deinitialize();
#endif
	fclose(tsv);
	free(x);
	free(z);
	free(ybuf);
	return 0;
}

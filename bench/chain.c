/* chain.c - non-temporal stores or not: calls back to back, and calls whose output the next layer reads */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_XNNPACK
#include <xnnpack.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <emmintrin.h>
#endif

#include "benchutil.h"
#include "cpu.h"
#include "internal.h"
#include "lrelu.h"

/*
 * Built against the test-support library (`make bench-chain`), whose lrelu_nt_bytes
 * moves the threshold of the non-temporal stores (internal.h, lrelu_nt_rule): 0 keeps
 * the library's rule, 1 streams every out-of-place call, SIZE_MAX none.
 *
 * float32 out of place, 1 and 2 threads, each size and thread count on its own:
 * - "loop": calls back to back on the same x and y, as `make bench` times them.  A
 *   streamed y goes to memory, and the next call's x may still be in the cache.
 * - "chain": each call followed by a read of the whole of y on the calling thread, as
 *   the next layer of a model reads its input.  A streamed y has to come back from
 *   DRAM; an ordinary one may still be in the cache.
 * lrelu as shipped (lrelu_nt_rule), lrelu always streaming, lrelu never streaming, and
 * XNNPACK (ordinary stores) where it is installed, on a pthreadpool of as many threads,
 * take turns in a new order each round: with a fixed order, lrelu's ordinary stores,
 * always timed right after its streamed ones, measured up to 1.6x slower than lrelu as
 * shipped, which ran the same code.  Each batch is the same number of calls (~20 ms of
 * lrelu's) after two untimed ones; on 2 threads it starts once the last batch's pool
 * has stopped spinning (XNNPACK's spins for tens of milliseconds and took the second
 * vCPU from the batch after it: lrelu's 1M loop measured 1.8x slower there).  Medians
 * of the rounds.  The calibration loop runs at the start and the end: a 2-thread
 * figure counts only where both scaled at least 1.8x.
 *
 * Usage: chain [sizes...]   (default 1M 4M 8M 16M 64M elements)
 */

#define ROUNDS 15
#define NIMPL 4

static float *x, *y;
static size_t n;
static int threads;
static volatile uint64_t sink;
#ifdef HAVE_XNNPACK
static xnn_operator_t xop;
static pthreadpool_t xpool[3];
#endif

/* The next layer: reads every byte of y once, at the speed the memory gives (xor of
 * 16-byte words, four streams, so that no add latency bounds it). */
static void read_y(void)
{
	const char *p = (const char *)y;
	size_t bytes = n * sizeof(float), i = 0;
#if defined(__x86_64__) || defined(__i386__)
	__m128i a = _mm_setzero_si128(), b = a, c = a, d = a;
	for (; i + 64 <= bytes; i += 64) {
		a = _mm_xor_si128(a, _mm_loadu_si128((const __m128i *)(const void *)(p + i)));
		b = _mm_xor_si128(b, _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16)));
		c = _mm_xor_si128(c, _mm_loadu_si128((const __m128i *)(const void *)(p + i + 32)));
		d = _mm_xor_si128(d, _mm_loadu_si128((const __m128i *)(const void *)(p + i + 48)));
	}
	a = _mm_xor_si128(_mm_xor_si128(a, b), _mm_xor_si128(c, d));
	uint64_t w[2];
	memcpy(w, &a, sizeof w);
	uint64_t s = w[0] ^ w[1];
#else
	uint64_t s = 0;
#endif
	for (; i + 8 <= bytes; i += 8) {
		uint64_t v;
		memcpy(&v, p + i, 8);
		s ^= v;
	}
	sink = s;
}

static void run_lrelu(size_t knob)
{
	lrelu_nt_bytes = knob;
	lrelu_f32(x, y, n, 0.01f);
	lrelu_nt_bytes = 0;
}

static void run(int impl, int chain)
{
	switch (impl) {
	case 0: run_lrelu(0); break;
	case 1: run_lrelu(1); break;
	case 2: run_lrelu(SIZE_MAX); break;
	default:
#ifdef HAVE_XNNPACK
		xnn_setup_leaky_relu_nc_f32(xop, n, x, y, xpool[threads]);
		xnn_run_operator(xop, xpool[threads]);
#endif
		break;
	}
	if (chain)
		read_y();
}

static const char *const names[NIMPL] = { "lrelu", "lrelu streamed", "lrelu ordinary",
	                                      "XNNPACK" };

/* One size and thread count: medians in ns per call (with the read, for chain). */
static void measure(int chain, double med[NIMPL])
{
	static double v[NIMPL][ROUNDS];
	static uint64_t seed = 0x2545F4914F6CDD1Dull;
	int nimpl = NIMPL, reps;
#ifndef HAVE_XNNPACK
	nimpl = NIMPL - 1;
#endif
	for (int i = 0; i < 3; i++)
		run(0, chain);
	double t0 = now_ns();
	run(0, chain);
	reps = (int)(20e6 / (now_ns() - t0 + 1.0)) + 1;
	if (reps < 3)
		reps = 3;
	for (int r = 0; r < ROUNDS; r++) {
		int order[NIMPL];
		shuffle_order(order, nimpl, &seed);
		for (int j = 0; j < nimpl; j++) {
			int k = order[j];
			run(k, chain);
			run(k, chain);
			t0 = now_ns();
			for (int q = 0; q < reps; q++)
				run(k, chain);
			v[k][r] = (now_ns() - t0) / reps;
			if (threads > 1) /* its pool's spinning must not slow the next batch */
				wait_other_threads_idle();
		}
	}
	for (int k = 0; k < NIMPL; k++)
		med[k] = k < nimpl ? median(v[k], ROUNDS) : 0.0;
}

int main(int argc, char **argv)
{
	static const size_t dflt[] = { 1u << 20, 4u << 20, 8u << 20, 16u << 20, 64u << 20 };
	size_t sizes[16], nsizes = 0, maxn = 0;
	for (int i = 1; i < argc && nsizes < 16; i++)
		sizes[nsizes++] = strtoull(argv[i], NULL, 0);
	if (nsizes == 0)
		for (size_t i = 0; i < sizeof dflt / sizeof dflt[0]; i++)
			sizes[nsizes++] = dflt[i];
	for (size_t i = 0; i < nsizes; i++)
		maxn = sizes[i] > maxn ? sizes[i] : maxn;
	x = aligned_alloc(1 << 21, maxn * 4 + (1 << 21));
	float *y0 = aligned_alloc(1 << 21, maxn * 4 + (1 << 21));
	if (x == NULL || y0 == NULL) {
		fprintf(stderr, "chain: out of memory\n");
		return 1;
	}
	y = y0 + 512; /* 2 KiB into its buffer, as in bench.c */
	memset(y0, 0, maxn * 4 + (1 << 21));
	for (size_t i = 0; i < maxn; i++)
		x[i] = (float)((int)(i % 2001) - 1000) * 0.37f;
#ifdef HAVE_XNNPACK
	if (xnn_initialize(NULL) != xnn_status_success ||
	    xnn_create_leaky_relu_nc_f32(1, 1, 1, 0.01f, 0, &xop) != xnn_status_success) {
		fprintf(stderr, "chain: XNNPACK failed to start\n");
		return 1;
	}
	xpool[1] = NULL; /* XNNPACK's one thread: the caller */
	xpool[2] = pthreadpool_create(2);
#endif
	double c0 = calibrate("start");
	size_t llc = lrelu_cpu_llc_bytes();
	printf("last-level cache %.1f MiB: lrelu streams from %.1f MiB per operand\n",
	       (double)llc / 1048576.0, (double)lrelu_nt_rule(llc) / 1048576.0);
	printf("\nfloat32 out of place, us per call (chain: the call and a read of y); "
	       "median of %d rounds\n\n", ROUNDS);
	printf("| elements | MiB per operand | threads | pattern | lrelu streams |");
	for (int k = 0; k < NIMPL; k++)
		printf(" %s |", names[k]);
	printf(" ordinary / streamed |\n|---:|---:|---:|---|---|---:|---:|---:|---:|---:|\n");
	for (size_t s = 0; s < nsizes; s++)
		for (threads = 1; threads <= 2; threads++)
			for (int chain = 0; chain <= 1; chain++) {
				double med[NIMPL];
				n = sizes[s];
				lrelu_set_num_threads(threads);
				measure(chain, med);
				printf("| %zu | %.0f | %d | %s | %s |", n, (double)(n * 4) / 1048576.0,
				       threads, chain ? "chain" : "loop",
				       lrelu_nt_wanted(n * 4) ? "yes" : "no");
				for (int k = 0; k < NIMPL; k++)
					printf(med[k] > 0 ? " %.1f |" : " - |", med[k] / 1e3);
				printf(" %.2f |\n", med[2] / med[1]);
				fflush(stdout);
			}
	double c1 = calibrate("end");
	printf("2-thread rows count only if both calibrations are >= 1.80: %s\n",
	       c0 >= 1.8 && c1 >= 1.8 ? "they do" : "they do NOT");
	return 0;
}

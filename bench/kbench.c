/* kbench.c - kernel microbenchmark: one kernel, ordinary vs non-temporal stores, vs copies */
/*
 * Not a test and not `make bench` (that one compares lrelu with its peers): this one
 * calls the kernel tables directly, to decide where non-temporal stores and prefetch
 * pay off.  Usage: kbench [isa ...] (default: every ISA this machine runs) with the
 * environment KB_SIZES="1024 16384 ..." (float32 elements) and KB_DTYPE=f32|bf16|f64.
 * Prints one line per (size, variant): ns per call (best and median of the samples)
 * and GB/s counted as bytes read + written; copy-loop-inplace (the copy loop with y = x)
 * is the floor of an in-place kernel: the same bytes moved, no arithmetic.
 * KB_YOFF=bytes offsets y from its page (x and y both page-aligned alias every load
 * with a store in the 4 KiB store buffer address check).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "kernels/kernels.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* A 32-byte vector copy loop, which no compiler turns into a memcpy call. */
typedef uint32_t v8u __attribute__((vector_size(32), aligned(4)));
#if defined(__x86_64__)
__attribute__((target("avx2")))
#endif
static void copy_loop(size_t n, const void *x, void *y, const struct lrelu_kparams *p)
{
	const v8u *a = x;
	v8u *b = y;
	(void)p;
	for (size_t i = 0; i < n / 8; i++)
		b[i] = a[i];
}

static size_t g_bytes; /* memcpy size for the current dtype */
static void do_memcpy(size_t n, const void *x, void *y, const struct lrelu_kparams *p)
{
	(void)n;
	(void)p;
	memcpy(y, x, g_bytes);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Best and median seconds per call over `samples` samples of `reps` calls each. */
static void timeit(lrelu_fwd_fn fn, size_t n, const void *x, void *y,
                   const struct lrelu_kparams *p, size_t traffic, double *best, double *med)
{
	enum { SAMPLES = 15 };
	double t[SAMPLES];
	size_t reps, calls = 0;
	double t0 = now(), one;
	(void)traffic;
	do { /* warm up for 2 ms, and learn the time of one call */
		fn(n, x, y, p);
		calls++;
	} while (now() - t0 < 2e-3);
	one = (now() - t0) / (double)calls;
	reps = (size_t)(2e-3 / one) + 1; /* samples of about 2 ms */
	for (int s = 0; s < SAMPLES; s++) {
		double a = now();
		for (size_t r = 0; r < reps; r++)
			fn(n, x, y, p);
		t[s] = (now() - a) / (double)reps;
	}
	qsort(t, SAMPLES, sizeof t[0], cmp_d);
	*best = t[0];
	*med = t[SAMPLES / 2];
}

int main(int argc, char **argv)
{
	static const lrelu_isa all[] = { LRELU_ISA_AVX512, LRELU_ISA_AVX2, LRELU_ISA_SSE2,
	                                 LRELU_ISA_NEON };
	const char *sz = getenv("KB_SIZES"), *dt = getenv("KB_DTYPE"), *yo = getenv("KB_YOFF");
	size_t yoff = yo ? strtoull(yo, NULL, 10) : 0; /* bytes: y = page + yoff */
	size_t sizes[32], nsizes = 0, maxn = 0;
	int kt = KT_F32;
	size_t es = 4;
	struct lrelu_kparams p;
	memset(&p, 0, sizeof p);
	p.s32 = 0.01f;
	p.s64 = 0.01;
	if (dt && strcmp(dt, "bf16") == 0)
		kt = KT_BF16, es = 2;
	else if (dt && strcmp(dt, "f64") == 0)
		kt = KT_F64, es = 8;
	if (sz == NULL)
		sz = "1024 16384 262144 1048576 4194304 16777216 67108864";
	for (char *e; *sz && nsizes < 32; sz = e) {
		size_t v = strtoull(sz, &e, 10);
		if (e == sz)
			break;
		sizes[nsizes++] = v;
		if (v > maxn)
			maxn = v;
	}
	char *x = aligned_alloc(4096, maxn * es + 4096), *y = aligned_alloc(4096, maxn * es + 4096);
	if (x == NULL || y == NULL)
		return 1;
	/* touch every page before timing: a first touch costs far more than the kernel */
	memset(y, 0, maxn * es + 4096);
	/* ordinary values in [-1, 1), half of them negative: subnormal operands would
	 * measure the CPU's microcode assists, not the kernel */
	for (size_t i = 0; i < maxn + 4096 / es; i++) {
		uint32_t h = (uint32_t)(i * 2654435761u);
		float v = (float)((int32_t)h) / 2147483648.0f;
		double d = v;
		uint16_t b;
		memcpy(&h, &v, 4);
		b = (uint16_t)(h >> 16);
		if (es == 4)
			memcpy(x + 4 * i, &v, 4);
		else if (es == 8)
			memcpy(x + 8 * i, &d, 8);
		else
			memcpy(x + 2 * i, &b, 2);
	}
	printf("%-8s %-10s %-20s %12s %12s %8s\n", "isa", "n", "variant", "best_ns", "median_ns",
	       "GB/s");
	for (size_t ii = 0; ii < sizeof all / sizeof all[0]; ii++) {
		const struct lrelu_kernels *k = lrelu_kernels_for(all[ii]);
		int wanted = argc < 2;
		for (int a = 1; a < argc; a++)
			wanted |= strcmp(argv[a], lrelu_isa_name(all[ii])) == 0;
		if (k == NULL || !wanted)
			continue;
		for (size_t si = 0; si < nsizes; si++) {
			size_t n = sizes[si], bytes = n * es;
			static const struct {
				const char *name;
				int kind; /* 0 copy loop, 1 memcpy, 2 in place, 3 out, 4 out NT, 5 copy loop in place */
			} v[] = { { "copy-loop", 0 }, { "memcpy", 1 }, { "inplace", 2 },
			          { "out", 3 },       { "out-nt", 4 }, { "copy-loop-inplace", 5 } };
			g_bytes = bytes;
			for (size_t vi = 0; vi < sizeof v / sizeof v[0]; vi++) {
				lrelu_fwd_fn fn = v[vi].kind == 0 || v[vi].kind == 5 ? copy_loop
				                  : v[vi].kind == 1 ? do_memcpy
				                                    : k->fwd[kt][RULE_GT];
				double best, med;
				size_t nn = v[vi].kind == 0 || v[vi].kind == 5 ? bytes / 4 : n;
				p.nt = v[vi].kind == 4;
				timeit(fn, nn, x, v[vi].kind == 2 || v[vi].kind == 5 ? x : y + yoff, &p, 2 * bytes,
				       &best, &med);
				printf("%-8s %-10zu %-20s %12.1f %12.1f %8.2f\n", lrelu_isa_name(all[ii]), n,
				       v[vi].name, best * 1e9, med * 1e9, 2.0 * (double)bytes / med * 1e-9);
				fflush(stdout);
			}
		}
	}
	free(x);
	free(y);
	return 0;
}

/*
 * copylimit.c - `make bench-copylimit`: how fast can any copy of n float32 go here?
 *
 * The 16K and 256K targets ask lrelu to beat peers that already run at a plain copy's
 * speed.  This program times every way of copying we know of on x86-64 -- glibc's
 * memcpy, `rep movsb`, 512-bit and 256-bit load/store loops, the 512-bit loop with
 * software prefetch at several distances, the 512-bit loop with non-temporal stores --
 * next to lrelu_f32 on the same buffers.  If none of them is faster than lrelu, no
 * LeakyReLU that reads x and writes y can be faster either: it moves the same bytes.
 *
 * Method: as bench.c (buffers touched first, 2 MiB aligned), best of 21 batches of
 * about 2 ms per variant (each after one untimed call), variants taking turns.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lrelu.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void copy_memcpy(float *y, const float *x, size_t n)
{
	memcpy(y, x, n * sizeof *x);
}

static void lrelu_flat(float *y, const float *x, size_t n)
{
	lrelu_f32(x, y, n, 0.01f);
}

#ifdef HAVE_X86
static void copy_movsb(float *y, const float *x, size_t n)
{
	size_t bytes = n * sizeof *x;
	__asm__ volatile("rep movsb" : "+D"(y), "+S"(x), "+c"(bytes) : : "memory");
}

/* The 512-bit loop, one body for its three variants: each caller passes constants,
 * so that after inlining none of them tests anything in the loop. */
__attribute__((target("avx512f"), always_inline)) static inline void
copy512_body(float *y, const float *x, size_t n, size_t pf, int nt)
{
	for (size_t i = 0; i < n; i += 64) {
		if (pf != 0)
			for (size_t k = 0; k < 64; k += 16)
				_mm_prefetch((const char *)(x + i + pf + k), _MM_HINT_T0);
		__m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
		__m512 c = _mm512_loadu_ps(x + i + 32), d = _mm512_loadu_ps(x + i + 48);
		if (nt) {
			_mm512_stream_ps(y + i, a);
			_mm512_stream_ps(y + i + 16, b);
			_mm512_stream_ps(y + i + 32, c);
			_mm512_stream_ps(y + i + 48, d);
		} else {
			_mm512_storeu_ps(y + i, a);
			_mm512_storeu_ps(y + i + 16, b);
			_mm512_storeu_ps(y + i + 32, c);
			_mm512_storeu_ps(y + i + 48, d);
		}
	}
	if (nt)
		_mm_sfence();
}

__attribute__((target("avx512f"))) static void copy512(float *y, const float *x, size_t n)
{
	copy512_body(y, x, n, 0, 0);
}

__attribute__((target("avx512f"))) static void copy512_pf256(float *y, const float *x, size_t n)
{
	copy512_body(y, x, n, 256, 0);
}

__attribute__((target("avx512f"))) static void copy512_pf1024(float *y, const float *x, size_t n)
{
	copy512_body(y, x, n, 1024, 0);
}

__attribute__((target("avx512f"))) static void copy512_pf4096(float *y, const float *x, size_t n)
{
	copy512_body(y, x, n, 4096, 0);
}

__attribute__((target("avx512f"))) static void copy512_nt(float *y, const float *x, size_t n)
{
	copy512_body(y, x, n, 0, 1);
}

__attribute__((target("avx2"))) static void copy256(float *y, const float *x, size_t n)
{
	for (size_t i = 0; i < n; i += 32) {
		__m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
		__m256 c = _mm256_loadu_ps(x + i + 16), d = _mm256_loadu_ps(x + i + 24);
		_mm256_storeu_ps(y + i, a);
		_mm256_storeu_ps(y + i + 8, b);
		_mm256_storeu_ps(y + i + 16, c);
		_mm256_storeu_ps(y + i + 24, d);
	}
}
#endif

struct variant {
	const char *name;
	void (*fn)(float *, const float *, size_t);
	int needs_avx512;
};

static const struct variant variants[] = {
	{ "lrelu_f32", lrelu_flat, 0 },
	{ "memcpy", copy_memcpy, 0 },
#ifdef HAVE_X86
	{ "rep movsb", copy_movsb, 0 },
	{ "copy 256-bit", copy256, 0 },
	{ "copy 512-bit", copy512, 1 },
	{ "copy 512 pf+256", copy512_pf256, 1 },
	{ "copy 512 pf+1024", copy512_pf1024, 1 },
	{ "copy 512 pf+4096", copy512_pf4096, 1 },
	{ "copy 512 nt", copy512_nt, 1 },
#endif
};
#define NV (sizeof variants / sizeof variants[0])

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 1024, 16384, 262144 };
	size_t maxn = 262144 + 8192;
	float *x = NULL, *y = NULL;
	int have512 = 0;
	(void)argc;
	(void)argv;
#ifdef HAVE_X86
	__builtin_cpu_init();
	have512 = __builtin_cpu_supports("avx512f");
	if (!__builtin_cpu_supports("avx2")) {
		fprintf(stderr, "bench-copylimit: this CPU has no AVX2\n");
		return 1;
	}
#endif
	if (posix_memalign((void **)&x, (size_t)2 << 20, maxn * sizeof *x) != 0 ||
	    posix_memalign((void **)&y, (size_t)2 << 20, maxn * sizeof *y) != 0) {
		fprintf(stderr, "bench-copylimit: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < maxn; i++)
		x[i] = (float)((int)(i % 7) - 3), y[i] = 0.0f;

	printf("float32, out of place, 1 thread; best of 21 batches; ns per call (GB/s read + written)\n");
	for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
		size_t n = sizes[si];
		double best[NV];
		int reps = (int)(2e6 / ((double)n * 0.1 + 10.0));
		for (size_t v = 0; v < NV; v++)
			best[v] = 1e30;
		for (int round = 0; round < 21; round++)
			for (size_t v = 0; v < NV; v++) {
				double t;
				if (variants[v].needs_avx512 && !have512)
					continue;
				/* one untimed call first: the variant before may have left y out of
				 * the caches (the non-temporal one does) */
				variants[v].fn(y, x, n);
				t = now_ns();
				for (int r = 0; r < reps; r++) {
					variants[v].fn(y, x, n);
					__asm__ volatile("" : : "r"(y) : "memory");
				}
				t = (now_ns() - t) / reps;
				if (t < best[v])
					best[v] = t;
			}
		printf("\n%zu elements (%zu KiB per operand)\n", n, n * sizeof(float) / 1024);
		for (size_t v = 0; v < NV; v++)
			if (best[v] < 1e30)
				printf("  %-18s %10.1f ns  %6.1f GB/s  %5.2fx lrelu's time\n", variants[v].name,
				       best[v], 2.0 * (double)n * sizeof(float) / best[v], best[v] / best[0]);
	}
	free(x);
	free(y);
	return 0;
}

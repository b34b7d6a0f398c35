/* narrow_exhaustive.c - every ISA's float -> bfloat16/float16 rounding vs fp16.h, all 2^32 floats */
/*
 * Proof by enumeration that each SIMD rounding (integer SIMD on SSE2/AVX-512/NEON,
 * F16C's vcvtps2ph, AVX512-BF16's vcvtneps2bf16 with its subnormal fix-up, NEON's
 * fcvtn) equals lrelu_f2bf / lrelu_f2h for every input, NaN payloads included.
 * Build and run: make narrow-exhaustive (every ISA this machine runs), or
 * build/tools/narrow_exhaustive [isa ...] (about a minute per conversion).  Prints one line
 * per conversion; exit status 1 on any difference.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cpu.h"
#include "fp16.h"
#include "internal.h"
#include "kernels/kernels.h"

enum { CHUNK = 1 << 20 };
static float in[CHUNK];
static uint16_t got[CHUNK];

static int sweep(const char *isa, const char *what, lrelu_fwd_fn fn, int f16)
{
	uint64_t bad = 0;
	uint32_t first = 0;
	struct lrelu_kparams p;
	memset(&p, 0, sizeof p);
	for (uint64_t base = 0; base < (1ull << 32); base += CHUNK) {
		for (uint32_t i = 0; i < CHUNK; i++)
			in[i] = lrelu_bits_f32((uint32_t)base + i);
		fn(CHUNK, in, got, &p);
		for (uint32_t i = 0; i < CHUNK; i++) {
			uint16_t want = f16 ? lrelu_f2h(in[i]) : lrelu_f2bf(in[i]);
			if (got[i] != want && bad++ == 0)
				first = (uint32_t)base + i;
		}
	}
	printf("%-11s %-8s 4294967296 floats, %llu differ", isa, what, (unsigned long long)bad);
	if (bad)
		printf(" (first 0x%08x)", first);
	printf("\n");
	fflush(stdout);
	return bad != 0;
}

int main(int argc, char **argv)
{
	const struct lrelu_narrow_fns *list[5];
	unsigned f = lrelu_cpu_features();
	int n = 0, fail = 0;
	(void)f;
#ifdef LRELU_HAVE_SSE2
	if (f & LRELU_CPU_SSE2)
		list[n++] = &lrelu_narrow_sse2;
#endif
#ifdef LRELU_HAVE_AVX2
	if ((f & LRELU_CPU_AVX2) && (f & LRELU_CPU_F16C))
		list[n++] = &lrelu_narrow_avx2;
#endif
#ifdef LRELU_HAVE_AVX512
	if ((f & LRELU_CPU_AVX512) && (f & LRELU_CPU_F16C))
		list[n++] = &lrelu_narrow_avx512;
#endif
#ifdef LRELU_HAVE_AVX512BF16
	if ((f & LRELU_CPU_AVX512) && (f & LRELU_CPU_AVX512BF16))
		list[n++] = &lrelu_narrow_avx512bf16;
#endif
#ifdef LRELU_HAVE_NEON
	list[n++] = &lrelu_narrow_neon;
#endif
	for (int i = 0; i < n; i++) {
		int wanted = argc < 2;
		for (int a = 1; a < argc; a++)
			wanted |= strcmp(argv[a], list[i]->name) == 0;
		if (!wanted)
			continue;
		if (list[i]->to_bf16)
			fail |= sweep(list[i]->name, "bfloat16", list[i]->to_bf16, 0);
		if (list[i]->to_f16)
			fail |= sweep(list[i]->name, "float16", list[i]->to_f16, 1);
	}
	return fail;
}

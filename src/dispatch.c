/* dispatch.c - one kernel table per ISA, the best chosen once, overridable for tests */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "internal.h"
#include "kernels/kernels.h"

/*
 * The table pointer is read on every call and written by lrelu_set_isa() or by the
 * first call that finds it unset; an atomic pointer makes both safe from any thread.
 * Choosing twice concurrently is harmless: both choose the same table.
 */
_Atomic(const struct lrelu_kernels *) lrelu_active_table;

/*
 * A table is returned only when the build has it (the compiler could target the ISA)
 * and the CPU and OS run it (cpu.c).  AVX-512 prefers the table that rounds bfloat16
 * with vcvtneps2bf16 where the CPU has AVX512_BF16, and keeps the float16 forward at
 * 512 bits except on AMD Zen 4, where 256-bit conversions are faster; all give the
 * same bits.
 */
const struct lrelu_kernels *lrelu_kernels_for(lrelu_isa isa)
{
	unsigned f = lrelu_cpu_features();
	(void)f;
	switch (isa) {
	case LRELU_ISA_SCALAR:
		return &lrelu_kernels_scalar;
#ifdef LRELU_HAVE_SSE2
	case LRELU_ISA_SSE2:
		return (f & LRELU_CPU_SSE2) ? &lrelu_kernels_sse2 : NULL;
#endif
#ifdef LRELU_HAVE_AVX2
	case LRELU_ISA_AVX2:
		return (f & LRELU_CPU_AVX2) && (f & LRELU_CPU_F16C) ? &lrelu_kernels_avx2 : NULL;
#endif
#ifdef LRELU_HAVE_AVX512
	case LRELU_ISA_AVX512:
		/* AVX2 too: the table borrows an AVX2 kernel (float16, x86-avx512.c) */
		if (!(f & LRELU_CPU_AVX512) || !(f & LRELU_CPU_F16C) || !(f & LRELU_CPU_AVX2))
			return NULL;
#  ifdef LRELU_HAVE_AVX512BF16
		if (f & LRELU_CPU_AVX512BF16)
			return (f & LRELU_CPU_ZEN4) ? &lrelu_kernels_avx512bf16
			                            : &lrelu_kernels_avx512bf16_zmmf16;
#  endif
		return (f & LRELU_CPU_ZEN4) ? &lrelu_kernels_avx512 : &lrelu_kernels_avx512_zmmf16;
#endif
#ifdef LRELU_HAVE_NEON
	case LRELU_ISA_NEON:
		return (f & LRELU_CPU_NEON) ? &lrelu_kernels_neon : NULL;
#endif
	default:
		return NULL;
	}
}

/* The first entry whose needs this CPU meets; each list ends with one needing nothing. */
const struct lrelu_q8kernel *lrelu_q8_choose(const struct lrelu_kernels *k,
                                            lrelu_q8build_fn *build)
{
	unsigned f = lrelu_cpu_features();
	size_t i = 0, b = 0;
	while (k->q8[i].needs & ~f)
		i++;
	while (k->q8build[b].needs & ~f)
		b++;
	*build = k->q8build[b].build;
	return &k->q8[i];
}

bool lrelu_isa_available(lrelu_isa isa)
{
	return lrelu_kernels_for(isa) != NULL;
}

const char *lrelu_isa_name(lrelu_isa isa)
{
	switch (isa) {
	case LRELU_ISA_AUTO:
		return "auto";
	case LRELU_ISA_SCALAR:
		return "scalar";
	case LRELU_ISA_SSE2:
		return "sse2";
	case LRELU_ISA_AVX2:
		return "avx2";
	case LRELU_ISA_AVX512:
		return "avx512";
	case LRELU_ISA_NEON:
		return "neon";
	}
	return "?";
}

/* The best table, capped by LRELU_ISA if set to a known name. */
static const struct lrelu_kernels *choose_best(void)
{
	static const lrelu_isa order[] = { LRELU_ISA_AVX512, LRELU_ISA_AVX2, LRELU_ISA_SSE2,
	                                   LRELU_ISA_NEON, LRELU_ISA_SCALAR };
	const char *env = getenv("LRELU_ISA");
	int capped = env != NULL && *env != '\0';
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		const struct lrelu_kernels *k;
		if (capped && strcmp(env, lrelu_isa_name(order[i])) != 0)
			continue;
		capped = 0; /* from the named ISA downwards */
		k = lrelu_kernels_for(order[i]);
		if (k != NULL)
			return k;
	}
	return &lrelu_kernels_scalar;
}

const struct lrelu_kernels *lrelu_init_active_kernels(void)
{
	const struct lrelu_kernels *k = choose_best();
	atomic_store_explicit(&lrelu_active_table, k, memory_order_release);
	return k;
}

lrelu_status lrelu_set_isa(lrelu_isa isa)
{
	const struct lrelu_kernels *k;
	if (isa == LRELU_ISA_AUTO) {
		atomic_store_explicit(&lrelu_active_table, choose_best(), memory_order_release);
		return LRELU_OK;
	}
	k = lrelu_kernels_for(isa);
	if (k == NULL)
		return lrelu_fail(LRELU_ERR_UNSUPPORTED, "ISA %s is not available on this CPU or build",
		                  lrelu_isa_name(isa));
	atomic_store_explicit(&lrelu_active_table, k, memory_order_release);
	return LRELU_OK;
}

lrelu_isa lrelu_get_isa(void)
{
	return lrelu_active_kernels()->isa;
}

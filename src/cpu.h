/* cpu.h - the CPU features the kernels need, as the CPU *and* the OS report them */
#ifndef LRELU_CPU_H
#define LRELU_CPU_H

#include "internal.h"

/* Feature bits.  An x86 vector feature is reported only when the OS also saves the
 * registers it uses (XGETBV), so a set bit means "this code may run here". */
enum {
	LRELU_CPU_SSE2 = 1u << 0,
	LRELU_CPU_AVX2 = 1u << 1,       /* AVX + AVX2, YMM state enabled by the OS */
	LRELU_CPU_F16C = 1u << 2,
	LRELU_CPU_FMA = 1u << 3,        /* reported, never used: a fused multiply-add changes bits */
	LRELU_CPU_AVX512 = 1u << 4,     /* AVX-512 F + BW + VL, ZMM and opmask state enabled */
	LRELU_CPU_AVX512BF16 = 1u << 5, /* AVX512_BF16 (vcvtneps2bf16) + AVX512DQ, with LRELU_CPU_AVX512 */
	LRELU_CPU_NEON = 1u << 6,       /* AArch64 Advanced SIMD (always present there) */
	LRELU_CPU_SSSE3 = 1u << 7,      /* pshufb (the SSSE3 byte-lookup kernel, tests only) */
	LRELU_CPU_AVX512VBMI = 1u << 8, /* AVX512_VBMI (vpermi2b), with LRELU_CPU_AVX512 */
	/* AMD Zen 4 (family 19h), which runs 512-bit operations as two 256-bit halves: there
	 * the float16 forward is faster with 256-bit conversions (dispatch.c) */
	LRELU_CPU_ZEN4 = 1u << 9
};

/* The features of this machine, detected on the first call; safe from any thread. */
LRELU_HIDDEN unsigned lrelu_cpu_features(void);

/* The size of the last-level data cache in bytes (L3, or L2 where there is no L3) as
 * the C library reports it, read on the first call; 0 where it does not say. */
LRELU_HIDDEN size_t lrelu_cpu_llc_bytes(void);

#endif /* LRELU_CPU_H */

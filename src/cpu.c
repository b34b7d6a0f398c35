/* cpu.c - CPU feature detection: CPUID for what the CPU has, XGETBV for what the OS saves */
#include <stdatomic.h>
#include <unistd.h>

#include "cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static void cpuid(unsigned leaf, unsigned sub, unsigned r[4])
{
	__cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}

/*
 * CPUID says what the silicon can do; XGETBV(0) says which register files the OS
 * saves on a context switch.  A kernel using YMM or ZMM registers on an OS that does
 * not save them would see its registers corrupted by other processes, so both must
 * agree (and XGETBV itself exists only when CPUID reports OSXSAVE).
 */
static unsigned long long xgetbv0(void)
{
	unsigned lo, hi;
	__asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((unsigned long long)hi << 32) | lo;
}

static unsigned detect(void)
{
	unsigned r[4], max, f = 0, ecx1, ebx7 = 0, ecx7 = 0, eax71 = 0, family, amd;
	unsigned long long xcr0 = 0;

	cpuid(0, 0, r);
	max = r[0];
	if (max < 1)
		return 0;
	/* "AuthenticAMD" in EBX, EDX, ECX */
	amd = r[1] == 0x68747541u && r[3] == 0x69746E65u && r[2] == 0x444D4163u;
	cpuid(1, 0, r);
	ecx1 = r[2];
	/* family = base family (bits 8-11), plus extended family (20-27) when base is 0xF */
	family = (r[0] >> 8 & 0xF) == 0xF ? 0xF + (r[0] >> 20 & 0xFF) : r[0] >> 8 & 0xF;
	if (r[3] & (1u << 26))
		f |= LRELU_CPU_SSE2;
	if (ecx1 & (1u << 9))
		f |= LRELU_CPU_SSSE3;
	if (max >= 7) {
		cpuid(7, 0, r);
		ebx7 = r[1];
		ecx7 = r[2];
		if (r[0] >= 1) { /* highest sub-leaf of leaf 7 */
			cpuid(7, 1, r);
			eax71 = r[0];
		}
	}
	if (ecx1 & (1u << 27)) /* OSXSAVE: XGETBV is usable */
		xcr0 = xgetbv0();
	/* XCR0 bits: 1 SSE, 2 AVX (upper YMM), 5 opmask, 6 ZMM0-15 upper, 7 ZMM16-31 */
	if ((xcr0 & 0x6) == 0x6 && (ecx1 & (1u << 28)) && (ebx7 & (1u << 5))) {
		f |= LRELU_CPU_AVX2;
		if (ecx1 & (1u << 29))
			f |= LRELU_CPU_F16C;
		if (ecx1 & (1u << 12))
			f |= LRELU_CPU_FMA;
		if ((xcr0 & 0xE6) == 0xE6 && (ebx7 & (1u << 16)) && (ebx7 & (1u << 30)) &&
		    (ebx7 & (1u << 31))) {
			f |= LRELU_CPU_AVX512;
			/* the BF16 table also uses AVX512DQ's vfpclassps (every BF16 CPU has DQ) */
			if ((eax71 & (1u << 5)) && (ebx7 & (1u << 17)))
				f |= LRELU_CPU_AVX512BF16;
			if (ecx7 & (1u << 1))
				f |= LRELU_CPU_AVX512VBMI;
			if (amd && family == 0x19)
				f |= LRELU_CPU_ZEN4;
		}
	}
	return f;
}
#elif defined(__aarch64__)
static unsigned detect(void)
{
	return LRELU_CPU_NEON; /* Advanced SIMD and half-precision conversions are baseline */
}
#else
static unsigned detect(void)
{
	return 0;
}
#endif

/* Bit 31 marks "detected"; racing first calls compute and store the same value. */
#define DETECTED (1u << 31)
static atomic_uint features;

unsigned lrelu_cpu_features(void)
{
	unsigned f = atomic_load_explicit(&features, memory_order_relaxed);
	if (!(f & DETECTED)) {
		f = detect() | DETECTED;
		atomic_store_explicit(&features, f, memory_order_relaxed);
	}
	return f & ~DETECTED;
}

/*
 * glibc answers from the CPUID cache leaves it read at start-up (Intel's leaf 4, AMD's
 * 0x8000001D), so this costs no system call; other C libraries may not define the
 * names, and AArch64's glibc answers 0.  In a virtual machine it is what the host
 * shows the guest: often the whole socket's L3, which other guests share.
 */
static size_t llc_detect(void)
{
	long b = 0;
#ifdef _SC_LEVEL3_CACHE_SIZE
	b = sysconf(_SC_LEVEL3_CACHE_SIZE);
#endif
#ifdef _SC_LEVEL2_CACHE_SIZE
	if (b <= 0)
		b = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
	return b > 0 ? (size_t)b : 0;
}

/* SIZE_MAX marks "not read yet" (no cache is that big); racing first calls store the
 * same value. */
static _Atomic size_t llc = SIZE_MAX;

size_t lrelu_cpu_llc_bytes(void)
{
	size_t b = atomic_load_explicit(&llc, memory_order_relaxed);
	if (b == SIZE_MAX) {
		b = llc_detect();
		atomic_store_explicit(&llc, b, memory_order_relaxed);
	}
	return b;
}

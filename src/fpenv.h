/* fpenv.h - make each call independent of the caller's FTZ/DAZ, rounding mode and traps */
#ifndef LRELU_FPENV_H
#define LRELU_FPENV_H

/*
 * Inference engines often run with flush-to-zero and denormals-are-zero set, and some
 * programs change the rounding mode or unmask exceptions.  Any of those changes the
 * bits of x * s (or raises SIGFPE on a NaN), so every public entry point switches to
 * the IEEE default for the duration of the call and restores the caller's register;
 * it is only written when it differs.  Reading it costs a few nanoseconds (on x86
 * stmxcsr waits for the floating-point work in flight), so small float calls first
 * try the fwdx kernels, which need no guard (docs/kernels.md).
 */
#if defined(__x86_64__) || (defined(__i386__) && defined(__SSE2__))
#include <xmmintrin.h>
typedef struct { unsigned int saved, changed; } lrelu_fpenv;
/* MXCSR: FTZ (bit 15), DAZ (bit 6) and RC (bits 13-14) cleared, all six exceptions masked. */
#define LRELU_MXCSR_CLEAR 0xE040u
#define LRELU_MXCSR_MASKS 0x1F80u
static inline void lrelu_fpenv_enter(lrelu_fpenv *e)
{
	unsigned int c = _mm_getcsr();
	unsigned int want = (c & ~LRELU_MXCSR_CLEAR) | LRELU_MXCSR_MASKS;
	e->saved = c;
	e->changed = want != c;
	if (e->changed)
		_mm_setcsr(want);
}
static inline void lrelu_fpenv_leave(const lrelu_fpenv *e)
{
	if (e->changed)
		_mm_setcsr(e->saved);
}
#elif defined(__aarch64__)
#include <stdint.h>
typedef struct { uint64_t saved, changed; } lrelu_fpenv;
/* FPCR: DN (25, default NaN would drop payloads), FZ (24), RMode (22-23), FZ16 (19),
 * trap enables (8-12, 15), and the FEAT_AFP bits NEP/AH/FIZ (0-2). */
#define LRELU_FPCR_CLEAR ((1ull << 25) | (1ull << 24) | (3ull << 22) | (1ull << 19) | 0x9F00ull | 0x7ull)
static inline void lrelu_fpenv_enter(lrelu_fpenv *e)
{
	uint64_t c, want;
	__asm__ __volatile__("mrs %0, fpcr" : "=r"(c));
	want = c & ~LRELU_FPCR_CLEAR;
	e->saved = c;
	e->changed = want != c;
	if (e->changed)
		__asm__ __volatile__("msr fpcr, %0" : : "r"(want));
}
static inline void lrelu_fpenv_leave(const lrelu_fpenv *e)
{
	if (e->changed)
		__asm__ __volatile__("msr fpcr, %0" : : "r"(e->saved));
}
#else
#include <fenv.h>
typedef struct { int saved, changed; } lrelu_fpenv;
static inline void lrelu_fpenv_enter(lrelu_fpenv *e)
{
	e->saved = fegetround();
	e->changed = e->saved != FE_TONEAREST;
	if (e->changed)
		fesetround(FE_TONEAREST);
}
static inline void lrelu_fpenv_leave(const lrelu_fpenv *e)
{
	if (e->changed)
		fesetround(e->saved);
}
#endif

#endif /* LRELU_FPENV_H */

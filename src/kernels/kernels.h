/* kernels.h - what every ISA file shares: includes, the inline attribute, the tables */
#ifndef LRELU_KERNELS_H
#define LRELU_KERNELS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cpu.h"
#include "internal.h"
#include "q8lut.h"

/* Helpers must be inlined into the kernels, which carry the ISA's target; a call
 * across targets would not compile (or would lose the constant rule). */
#define LK_INLINE inline __attribute__((always_inline))

/*
 * The kernel tables, one per ISA.  Each is defined only where the compiler can build
 * it (x86 files on x86, NEON on AArch64, AVX512-BF16 with a compiler that knows the
 * instruction); dispatch.c checks the LRELU_HAVE_* macros below and the CPU.
 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#  define LRELU_HAVE_SSE2 1
#  define LRELU_HAVE_AVX2 1
#  define LRELU_HAVE_AVX512 1
#  if (defined(__clang__) && __clang_major__ >= 9) || \
      (!defined(__clang__) && __GNUC__ >= 10)
#    define LRELU_HAVE_AVX512BF16 1
#  endif
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
#  define LRELU_HAVE_NEON 1
#endif

LRELU_HIDDEN extern const struct lrelu_kernels lrelu_kernels_sse2;
LRELU_HIDDEN extern const struct lrelu_kernels lrelu_kernels_avx2;
LRELU_HIDDEN extern const struct lrelu_kernels lrelu_kernels_avx512;
LRELU_HIDDEN extern const struct lrelu_kernels lrelu_kernels_avx512bf16;
LRELU_HIDDEN extern const struct lrelu_kernels lrelu_kernels_neon;

/* Each ISA's 16-bit rounding on its own (n floats in, n patterns out), so that tests
 * and tools/narrow_exhaustive.c can check it against fp16.h over every float.  `name` as in the
 * "isa: exercised" lines (avx512bf16 is the AVX-512 table using vcvtneps2bf16). */
struct lrelu_narrow_fns {
	const char *name;
	lrelu_fwd_fn to_bf16, to_f16;
};
LRELU_HIDDEN extern const struct lrelu_narrow_fns lrelu_narrow_sse2, lrelu_narrow_avx2,
	lrelu_narrow_avx512, lrelu_narrow_avx512bf16, lrelu_narrow_neon;

/*
 * Out of place, with y a little above x modulo 4 KiB (0 < (y - x) mod 4096 < 1024, as
 * two heap buffers often are): a load from x then has the same low 12 address bits as
 * a store to y issued a few blocks before, and the CPU's early store-to-load check,
 * which compares only those bits, holds the load until the store is done (a
 * measurable slowdown of mid-sized calls, docs/performance.md; memcpy avoids it the
 * same way).  The forward loop then runs its blocks from the top down, which turns the
 * distance around.
 */
static inline int lk_store_ahead(const void *x, const void *y)
{
	size_t d = ((uintptr_t)y - (uintptr_t)x) & 4095;
	return d != 0 && d < 1024;
}

/* Whether an x86 forward kernel streams its stores: out of place, and the runner asked
 * for it (lrelu_kparams.nt, decided from the whole call: internal.h, LRELU_NT_BYTES). */
static inline int lk_stream(const void *x, const void *y, int nt)
{
	return x != y && nt;
}

/*
 * X_load_n / X_store_n (the first r < VL lanes) for the ISAs without masked loads and
 * stores (SSE2, AVX2, NEON): through a small buffer, so that the vector never touches
 * memory past n (AVX2's vmaskmov would do, but is slow for stores on some CPUs).  X is
 * the family prefix (f, d, h), E the element, V the vector type, B the buffer's length
 * (at least one X_load); X_load and X_store must be defined before.
 */
#define LK_BUFFERED_TAIL(X, E, V, B)                                                       \
	static LK_INLINE V X##_load_n(const E *p, size_t r)                                    \
	{                                                                                      \
		E b[B] = { 0 };                                                                    \
		memcpy(b, p, r * sizeof *p);                                                       \
		return X##_load(b);                                                                \
	}                                                                                      \
	static LK_INLINE void X##_store_n(E *p, V v, size_t r)                                 \
	{                                                                                      \
		E b[B];                                                                            \
		X##_store(b, v);                                                                   \
		memcpy(p, b, r * sizeof *p);                                                       \
	}

/* The table rows of one ISA, in the order of enum lrelu_rule / lrelu_brule. */
#define LK_FWD_ROW(t, isa, u)                                                              \
	{ lrelu_##t##_fwd_gt__##isa##_##u, lrelu_##t##_fwd_lt__##isa##_##u,                    \
	  lrelu_##t##_fwd_max__##isa##_##u, lrelu_##t##_fwd_min__##isa##_##u,                   \
	  lrelu_##t##_fwd_ge__##isa##_##u }
#define LK_BWD_ROW(t, isa, u)                                                              \
	{ lrelu_##t##_bwd_gt__##isa##_##u, lrelu_##t##_bwd_max__##isa##_##u,                   \
	  lrelu_##t##_bwd_min__##isa##_##u, lrelu_##t##_bwd_ge__##isa##_##u }

#define LK_FWDX_ROW(t, isa, u)                                                             \
	{ lrelu_##t##_fwdx_gt__##isa##_##u, lrelu_##t##_fwdx_lt__##isa##_##u,                  \
	  lrelu_##t##_fwdx_max__##isa##_##u, lrelu_##t##_fwdx_min__##isa##_##u,                 \
	  lrelu_##t##_fwdx_ge__##isa##_##u }
#define LK_DECLARE_FWDX(t, isa, u)                                                         \
	LRELU_HIDDEN size_t lrelu_##t##_fwdx_gt__##isa##_##u(size_t, const void *, void *,     \
	                                                     const struct lrelu_kparams *);    \
	LRELU_HIDDEN size_t lrelu_##t##_fwdx_lt__##isa##_##u(size_t, const void *, void *,     \
	                                                     const struct lrelu_kparams *);    \
	LRELU_HIDDEN size_t lrelu_##t##_fwdx_max__##isa##_##u(size_t, const void *, void *,    \
	                                                      const struct lrelu_kparams *);   \
	LRELU_HIDDEN size_t lrelu_##t##_fwdx_min__##isa##_##u(size_t, const void *, void *,    \
	                                                      const struct lrelu_kparams *);   \
	LRELU_HIDDEN size_t lrelu_##t##_fwdx_ge__##isa##_##u(size_t, const void *, void *,     \
	                                                     const struct lrelu_kparams *)

/* Prototypes of one ISA's kernels for one dtype (shared between two tables). */
#define LK_DECLARE_ROWS(t, isa, u)                                                         \
	LRELU_HIDDEN void lrelu_##t##_fwd_gt__##isa##_##u(size_t, const void *, void *,        \
	                                                  const struct lrelu_kparams *);       \
	LRELU_HIDDEN void lrelu_##t##_fwd_lt__##isa##_##u(size_t, const void *, void *,        \
	                                                  const struct lrelu_kparams *);       \
	LRELU_HIDDEN void lrelu_##t##_fwd_max__##isa##_##u(size_t, const void *, void *,       \
	                                                   const struct lrelu_kparams *);      \
	LRELU_HIDDEN void lrelu_##t##_fwd_min__##isa##_##u(size_t, const void *, void *,       \
	                                                   const struct lrelu_kparams *);      \
	LRELU_HIDDEN void lrelu_##t##_fwd_ge__##isa##_##u(size_t, const void *, void *,        \
	                                                  const struct lrelu_kparams *);       \
	LRELU_HIDDEN void lrelu_##t##_bwd_gt__##isa##_##u(size_t, const void *, const void *,  \
	                                                  void *, const struct lrelu_kparams *); \
	LRELU_HIDDEN void lrelu_##t##_bwd_max__##isa##_##u(size_t, const void *, const void *, \
	                                                   void *, const struct lrelu_kparams *); \
	LRELU_HIDDEN void lrelu_##t##_bwd_min__##isa##_##u(size_t, const void *, const void *, \
	                                                   void *, const struct lrelu_kparams *); \
	LRELU_HIDDEN void lrelu_##t##_bwd_ge__##isa##_##u(size_t, const void *, const void *,  \
	                                                  void *, const struct lrelu_kparams *)

/* The quantized table builders: PyTorch's own AVX2+FMA arithmetic builds the tables 8
 * codes at a time where the CPU has FMA; the scalar builder everywhere else. */
#define LK_Q8BUILD_SCALAR { { lrelu_q8build__scalar, 0 } }
#define LK_Q8BUILD_AVX2 { { lrelu_q8build__avx2, LRELU_CPU_FMA }, { lrelu_q8build__scalar, 0 } }

/* Target selection for a whole file, without global -m flags (GCC and clang). */
#if defined(__clang__)
#  define LK_TARGET_PUSH_(s) _Pragma(#s)
#  define LK_TARGET_PUSH(t) LK_TARGET_PUSH_(clang attribute push(__attribute__((target(t))), apply_to = function))
#  define LK_TARGET_POP() _Pragma("clang attribute pop")
#else
#  define LK_TARGET_PUSH_(s) _Pragma(#s)
#  define LK_TARGET_PUSH(t) _Pragma("GCC push_options") LK_TARGET_PUSH_(GCC target(t))
#  define LK_TARGET_POP() _Pragma("GCC pop_options")
#endif

#endif /* LRELU_KERNELS_H */

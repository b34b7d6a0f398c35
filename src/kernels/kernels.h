/* kernels.h - what every ISA file shares: includes, the inline attribute, the tables */
#ifndef LRELU_KERNELS_H
#define LRELU_KERNELS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cpu.h"
#include "fp16.h"
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
/* The same two with the float16 forward at 512 bits (x86-avx512.c) */
LRELU_HIDDEN extern const struct lrelu_kernels lrelu_kernels_avx512_zmmf16;
LRELU_HIDDEN extern const struct lrelu_kernels lrelu_kernels_avx512bf16_zmmf16;
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
 * for it (lrelu_kparams.nt, decided from the whole call: internal.h, lrelu_nt_wanted). */
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

#define LK_PFWD_ROW(t, isa, u)                                                             \
	{ lrelu_##t##_pfwd_gt__##isa##_##u, lrelu_##t##_pfwd_lt__##isa##_##u, NULL, NULL,      \
	  lrelu_##t##_pfwd_ge__##isa##_##u }
#define LK_PBWD_ROW(t, isa, u)                                                             \
	{ lrelu_##t##_pbwd_gt__##isa##_##u, NULL, NULL, lrelu_##t##_pbwd_ge__##isa##_##u }
#define LK_DECLARE_PFWD1(t, name, isa, u)                                                  \
	LRELU_HIDDEN void lrelu_##t##_pfwd_##name##__##isa##_##u(                              \
		size_t, size_t, size_t, size_t, const void *, void *, const void *,                \
		const struct lrelu_kparams *)
#define LK_DECLARE_PBWD1(t, name, isa, u)                                                  \
	LRELU_HIDDEN void lrelu_##t##_pbwd_##name##__##isa##_##u(                              \
		size_t, size_t, size_t, size_t, const void *, const void *, void *, const void *,  \
		const struct lrelu_kparams *)
/* PReLU kernels of one ISA for one dtype (shared between two tables). */
#define LK_DECLARE_PRELU(t, isa, u)                                                        \
	LK_DECLARE_PFWD1(t, gt, isa, u);                                                       \
	LK_DECLARE_PFWD1(t, lt, isa, u);                                                       \
	LK_DECLARE_PFWD1(t, ge, isa, u);                                                       \
	LK_DECLARE_PBWD1(t, gt, isa, u);                                                       \
	LK_DECLARE_PBWD1(t, ge, isa, u)

/* A PReLU slope in the arithmetic type: the scalar widening of each conversion family
 * (template.h, LK_CV), and the scalar type of each compute family (LK_C). */
#define bf_widen1 lrelu_bf2f
#define bfne_widen1 lrelu_bf2f
#define hf_widen1 lrelu_h2f
typedef float lk_scalar_f;
typedef double lk_scalar_d;
/* Lane numbers, for PReLU's slope vectors that straddle two rows. */
static const float lk_iota_f[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const double lk_iota_d[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
/* Their bits, the pattern of infinity and the sign bit, for PReLU's slope check. */
static inline uint64_t lk_bits_f(float v) { return lrelu_f32_bits(v); }
static inline uint64_t lk_bits_d(double v) { return lrelu_f64_bits(v); }
#define lk_inf_f 0x7F800000ull
#define lk_inf_d 0x7FF0000000000000ull
#define lk_sign_f 0x80000000ull
#define lk_sign_d 0x8000000000000000ull

/* PReLU's slope pattern (template.h, pfwd): at most this many bytes of slopes, one per
 * element of a period of the operand, are laid out on the stack. */
#define LK_PERIOD_BYTES 16384

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

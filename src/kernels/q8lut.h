/* q8lut.h - 256-entry byte-table kernels for quantized LeakyReLU, one per ISA */
#ifndef LRELU_Q8LUT_H
#define LRELU_Q8LUT_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#  define LRELU_Q8LUT_X86 1
#endif
#if defined(__aarch64__)
#  define LRELU_Q8LUT_NEON 1
#endif

/*
 * An 8-bit input has 256 codes, so quant.c computes every output code once per call
 * (with PyTorch's exact float arithmetic) and the kernels only look bytes up.
 *
 * plain[b]  the output byte for input byte b (qint8 codes as their two's-complement
 *           byte, so the same kernels serve int8 and uint8).
 * tele      the same table rearranged for 16-entry shuffles (pshufb): rows 0..7 cover
 *           inputs 0..127, rows 8..15 inputs 128..255, each row XORed with the next row
 *           of its half (row 7 and row 15 kept as they are) and stored twice (32 bytes)
 *           so an AVX2 register loads it directly.  A lookup then needs no compare:
 *           with idx = x saturating-plus 16*(7-i), pshufb row i gives 0 for every x
 *           at or above 16*(i+1) (bit 7 of idx set), so XORing rows i..7 telescopes to
 *           the plain entry.  The upper half does the same with x ^ 0x80, whose lower
 *           half saturates to zero in every row.
 */
struct lrelu_q8tab {
	_Alignas(64) uint8_t plain[256];
	_Alignas(64) uint8_t tele[16][32];
};

/* The parameters of one call (the tables' cache key). */
struct lrelu_q8params {
	lrelu_dtype dtype; /* LRELU_QINT8 or LRELU_QUINT8 */
	double scale, out_scale;
	int32_t zp, out_zp;
	double slope;
};

/* Fill the vector-body and scalar-path tables (plain[] only); every builder gives the
 * same bytes as the scalar one in ref.c, which is the specification.  (The type,
 * lrelu_q8build_fn, is in internal.h.) */
LRELU_HIDDEN void lrelu_q8build__scalar(const struct lrelu_q8params *q, uint8_t *body,
                                        uint8_t *tail);
#ifdef LRELU_Q8LUT_X86
LRELU_HIDDEN void lrelu_q8build__avx2(const struct lrelu_q8params *q, uint8_t *body,
                                      uint8_t *tail);
#endif

typedef void (*lrelu_q8lut_fn)(size_t n, const uint8_t *x, uint8_t *y,
                               const struct lrelu_q8tab *t);

/* Fills t->tele from t->plain. */
LRELU_HIDDEN void lrelu_q8tab_finish(struct lrelu_q8tab *t);

/* The kernels (x == y is legal; any alignment; exactly n bytes read and written). */
typedef void lrelu_q8lut_kernel(size_t n, const uint8_t *x, uint8_t *y,
                                const struct lrelu_q8tab *t);
LRELU_HIDDEN lrelu_q8lut_kernel lrelu_q8lut__scalar;
#ifdef LRELU_Q8LUT_X86
LRELU_HIDDEN lrelu_q8lut_kernel lrelu_q8lut__ssse3_u16;
LRELU_HIDDEN lrelu_q8lut_kernel lrelu_q8lut__avx2_u32;
LRELU_HIDDEN lrelu_q8lut_kernel lrelu_q8lut__avx512bw_u64;
LRELU_HIDDEN lrelu_q8lut_kernel lrelu_q8lut__avx512vbmi_u128;
#endif
#ifdef LRELU_Q8LUT_NEON
LRELU_HIDDEN lrelu_q8lut_kernel lrelu_q8lut__neon_u32;
#endif

/*
 * The walk's forward kernels over one lookup kernel: body on lrelu_kparams.qtab_body,
 * tail on .qtab_tail (both struct lrelu_q8tab).  Each kernel file defines its pair with
 * LRELU_Q8_WRAPPERS; the ISA tables name them with LRELU_Q8_KERNEL.
 */
#define LRELU_Q8_WRAPPERS(name, fn)                                                      \
	void lrelu_q8_body__##name(size_t n, const void *x, void *y,                         \
	                           const struct lrelu_kparams *p)                            \
	{                                                                                    \
		fn(n, x, y, (const struct lrelu_q8tab *)(const void *)p->qtab_body);             \
	}                                                                                    \
	void lrelu_q8_tail__##name(size_t n, const void *x, void *y,                         \
	                           const struct lrelu_kparams *p)                            \
	{                                                                                    \
		fn(n, x, y, (const struct lrelu_q8tab *)(const void *)p->qtab_tail);             \
	}
#define LRELU_Q8_DECLARE(name)                                                           \
	LRELU_HIDDEN void lrelu_q8_body__##name(size_t, const void *, void *,                \
	                                        const struct lrelu_kparams *);               \
	LRELU_HIDDEN void lrelu_q8_tail__##name(size_t, const void *, void *,                \
	                                        const struct lrelu_kparams *)
/* A table entry: name, the pair, whether it reads the shuffle rows, what it needs. */
#define LRELU_Q8_KERNEL(name, tele, needs)                                               \
	{ #name, lrelu_q8_body__##name, lrelu_q8_tail__##name, tele, needs }
LRELU_Q8_DECLARE(scalar);
#ifdef LRELU_Q8LUT_X86
LRELU_Q8_DECLARE(avx2);
LRELU_Q8_DECLARE(avx512bw);
LRELU_Q8_DECLARE(avx512vbmi);
#endif
#ifdef LRELU_Q8LUT_NEON
LRELU_Q8_DECLARE(neon);
#endif

/* Every kernel this build has, for tests and benchmarks. */
struct lrelu_q8lut_variant {
	const char *name;
	lrelu_q8lut_fn fn;
	lrelu_isa isa;    /* the library ISA it belongs to (scalar, sse2, avx2, avx512, neon) */
	int available;    /* this CPU can run it */
};
/* Fills out[] (at most max entries) and returns the count; scalar comes first. */
LRELU_HIDDEN size_t lrelu_q8lut_variants(struct lrelu_q8lut_variant *out, size_t max);

#endif /* LRELU_Q8LUT_H */

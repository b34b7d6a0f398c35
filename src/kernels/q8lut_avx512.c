/* q8lut_avx512.c - byte-table lookup: vpermi2b (AVX-512 VBMI) and vpshufb (AVX-512 BW) */
#include "q8lut.h"

#ifdef LRELU_Q8LUT_X86
#include <immintrin.h>

#define TARGET_BW __attribute__((target("avx512f,avx512bw")))
#define TARGET_VBMI __attribute__((target("avx512f,avx512bw,avx512vbmi")))

/* Two vpermi2b give entries 0..127 and 128..255 (each reads index bits 0..6); bit 7
 * of the input picks one of them.  The tail is a masked load and store, so nothing
 * past n is touched. */
TARGET_VBMI static inline __m512i lut64_vbmi(__m512i x, __m512i t0, __m512i t1, __m512i t2,
                                             __m512i t3)
{
	__m512i lo = _mm512_permutex2var_epi8(t0, x, t1);
	__m512i hi = _mm512_permutex2var_epi8(t2, x, t3);
	return _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), lo, hi);
}

TARGET_VBMI void lrelu_q8lut__avx512vbmi_u128(size_t n, const uint8_t *x, uint8_t *y,
                                              const struct lrelu_q8tab *t)
{
	const __m512i t0 = _mm512_load_si512(t->plain), t1 = _mm512_load_si512(t->plain + 64);
	const __m512i t2 = _mm512_load_si512(t->plain + 128), t3 = _mm512_load_si512(t->plain + 192);
	size_t i = 0;
	for (; i + 128 <= n; i += 128) {
		__m512i v0 = _mm512_loadu_si512(x + i), v1 = _mm512_loadu_si512(x + i + 64);
		_mm512_storeu_si512(y + i, lut64_vbmi(v0, t0, t1, t2, t3));
		_mm512_storeu_si512(y + i + 64, lut64_vbmi(v1, t0, t1, t2, t3));
	}
	while (i < n) {
		size_t k = n - i < 64 ? n - i : 64;
		__mmask64 m = k == 64 ? ~(__mmask64)0 : (((__mmask64)1 << k) - 1);
		__m512i v = _mm512_maskz_loadu_epi8(m, x + i);
		_mm512_mask_storeu_epi8(y + i, m, lut64_vbmi(v, t0, t1, t2, t3));
		i += k;
	}
}

TARGET_BW static inline __m512i lut64_bw(__m512i x, const struct lrelu_q8tab *t)
{
	const __m512i step = _mm512_set1_epi8(16);
	__m512i lo = x, hi = _mm512_xor_si512(x, _mm512_set1_epi8((char)0x80));
	__m512i acc = _mm512_setzero_si512();
	for (int r = 7; r >= 0; r--) {
		__m512i ra = _mm512_broadcast_i64x4(_mm256_load_si256((const __m256i *)t->tele[r]));
		__m512i rb = _mm512_broadcast_i64x4(_mm256_load_si256((const __m256i *)t->tele[8 + r]));
		__m512i a = _mm512_shuffle_epi8(ra, lo);
		__m512i b = _mm512_shuffle_epi8(rb, hi);
		acc = _mm512_ternarylogic_epi32(acc, a, b, 0x96); /* acc ^ a ^ b */
		lo = _mm512_adds_epu8(lo, step);
		hi = _mm512_adds_epu8(hi, step);
	}
	return acc;
}

TARGET_BW void lrelu_q8lut__avx512bw_u64(size_t n, const uint8_t *x, uint8_t *y,
                                         const struct lrelu_q8tab *t)
{
	size_t i = 0;
	while (i < n) {
		size_t k = n - i < 64 ? n - i : 64;
		__mmask64 m = k == 64 ? ~(__mmask64)0 : (((__mmask64)1 << k) - 1);
		__m512i v = _mm512_maskz_loadu_epi8(m, x + i);
		_mm512_mask_storeu_epi8(y + i, m, lut64_bw(v, t));
		i += k;
	}
}

LRELU_Q8_WRAPPERS(avx512vbmi, lrelu_q8lut__avx512vbmi_u128)
LRELU_Q8_WRAPPERS(avx512bw, lrelu_q8lut__avx512bw_u64)
#endif

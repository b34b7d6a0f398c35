/* q8lut_ssse3.c - byte-table lookup with 16 pshufb per 16 bytes (SSSE3) */
#include "q8lut.h"

#ifdef LRELU_Q8LUT_X86
#include <immintrin.h>

#define TARGET __attribute__((target("ssse3")))

/* 256-entry lookup of 16 bytes; see q8lut.h for the telescoped rows. */
TARGET static inline __m128i lut16(__m128i x, const struct lrelu_q8tab *t)
{
	const __m128i step = _mm_set1_epi8(16);
	__m128i lo = x, hi = _mm_xor_si128(x, _mm_set1_epi8((char)0x80));
	__m128i acc = _mm_setzero_si128();
	for (int r = 7; r >= 0; r--) {
		acc = _mm_xor_si128(acc, _mm_shuffle_epi8(_mm_load_si128((const __m128i *)t->tele[r]), lo));
		acc = _mm_xor_si128(acc,
		                    _mm_shuffle_epi8(_mm_load_si128((const __m128i *)t->tele[8 + r]), hi));
		lo = _mm_adds_epu8(lo, step);
		hi = _mm_adds_epu8(hi, step);
	}
	return acc;
}

TARGET void lrelu_q8lut__ssse3_u16(size_t n, const uint8_t *x, uint8_t *y,
                                   const struct lrelu_q8tab *t)
{
	size_t i = 0;
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(x + i));
		_mm_storeu_si128((__m128i *)(y + i), lut16(v, t));
	}
	if (i < n)
		lrelu_q8lut__scalar(n - i, x + i, y + i, t);
}
#endif

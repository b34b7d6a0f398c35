/* q8lut_avx2.c - byte-table lookup with 16 vpshufb per 32 bytes (AVX2) */
#include "q8lut.h"

#ifdef LRELU_Q8LUT_X86
#include <immintrin.h>

#define TARGET __attribute__((target("avx2")))

/* 256-entry lookup of 32 bytes; the rows are stored twice, one copy per lane. */
TARGET static inline __m256i lut32(__m256i x, const struct lrelu_q8tab *t)
{
	const __m256i step = _mm256_set1_epi8(16);
	__m256i lo = x, hi = _mm256_xor_si256(x, _mm256_set1_epi8((char)0x80));
	__m256i acc = _mm256_setzero_si256();
	for (int r = 7; r >= 0; r--) {
		__m256i a = _mm256_shuffle_epi8(_mm256_load_si256((const __m256i *)t->tele[r]), lo);
		__m256i b = _mm256_shuffle_epi8(_mm256_load_si256((const __m256i *)t->tele[8 + r]), hi);
		acc = _mm256_xor_si256(acc, _mm256_xor_si256(a, b));
		lo = _mm256_adds_epu8(lo, step);
		hi = _mm256_adds_epu8(hi, step);
	}
	return acc;
}

TARGET void lrelu_q8lut__avx2_u32(size_t n, const uint8_t *x, uint8_t *y,
                                  const struct lrelu_q8tab *t)
{
	size_t i = 0;
	for (; i + 64 <= n; i += 64) {
		__m256i v0 = _mm256_loadu_si256((const __m256i *)(x + i));
		__m256i v1 = _mm256_loadu_si256((const __m256i *)(x + i + 32));
		_mm256_storeu_si256((__m256i *)(y + i), lut32(v0, t));
		_mm256_storeu_si256((__m256i *)(y + i + 32), lut32(v1, t));
	}
	for (; i + 32 <= n; i += 32) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(x + i));
		_mm256_storeu_si256((__m256i *)(y + i), lut32(v, t));
	}
	if (i < n)
		lrelu_q8lut__scalar(n - i, x + i, y + i, t);
}
#endif

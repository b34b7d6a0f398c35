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

/* Two vectors interleaved, written out so that nothing spills to the stack. */
TARGET static inline void lut32x2(__m256i *v0, __m256i *v1, const struct lrelu_q8tab *t)
{
	const __m256i step = _mm256_set1_epi8(16), flip = _mm256_set1_epi8((char)0x80);
	__m256i lo0 = *v0, hi0 = _mm256_xor_si256(*v0, flip), acc0 = _mm256_setzero_si256();
	__m256i lo1 = *v1, hi1 = _mm256_xor_si256(*v1, flip), acc1 = _mm256_setzero_si256();
	for (int r = 7; r >= 0; r--) {
		const __m256i ra = _mm256_load_si256((const __m256i *)t->tele[r]);
		const __m256i rb = _mm256_load_si256((const __m256i *)t->tele[8 + r]);
		acc0 = _mm256_xor_si256(acc0, _mm256_xor_si256(_mm256_shuffle_epi8(ra, lo0),
		                                               _mm256_shuffle_epi8(rb, hi0)));
		acc1 = _mm256_xor_si256(acc1, _mm256_xor_si256(_mm256_shuffle_epi8(ra, lo1),
		                                               _mm256_shuffle_epi8(rb, hi1)));
		lo0 = _mm256_adds_epu8(lo0, step);
		hi0 = _mm256_adds_epu8(hi0, step);
		lo1 = _mm256_adds_epu8(lo1, step);
		hi1 = _mm256_adds_epu8(hi1, step);
	}
	*v0 = acc0;
	*v1 = acc1;
}

TARGET void lrelu_q8lut__avx2_u32(size_t n, const uint8_t *x, uint8_t *y,
                                  const struct lrelu_q8tab *t)
{
	size_t i = 0;
	for (; i + 64 <= n; i += 64) {
		__m256i v0 = _mm256_loadu_si256((const __m256i *)(x + i));
		__m256i v1 = _mm256_loadu_si256((const __m256i *)(x + i + 32));
		lut32x2(&v0, &v1, t);
		_mm256_storeu_si256((__m256i *)(y + i), v0);
		_mm256_storeu_si256((__m256i *)(y + i + 32), v1);
	}
	for (; i + 32 <= n; i += 32) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(x + i));
		_mm256_storeu_si256((__m256i *)(y + i), lut32(v, t));
	}
	if (i < n)
		lrelu_q8lut__scalar(n - i, x + i, y + i, t);
}
LRELU_Q8_WRAPPERS(avx2, lrelu_q8lut__avx2_u32)
#endif

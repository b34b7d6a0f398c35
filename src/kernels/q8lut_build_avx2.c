/* q8lut_build_avx2.c - both quantized tables, 8 codes at a time with PyTorch's AVX2 arithmetic */
#include "q8lut.h"

#ifdef LRELU_Q8LUT_X86
#include <immintrin.h>

/*
 * The vector body below is PyTorch's own instruction sequence (Vectorized<q>::dequantize,
 * the blendv multiply, QuantizeAvx2), so it is its bits by construction; the scalar path
 * uses the same operations as quant.c's build_tail, lane by lane:
 *   (float)(q - zp) * s  is the correctly rounded product, as the double product rounded
 *                        to float is (both factors are floats);
 *   roundps (nearest)    is nearbyintf; then + zo in float;
 *   NaN or v >= 2^63     give qmin ((int64_t) conversion gives INT64_MIN), otherwise the
 *                        value is clamped in float, where it is exact.
 * Runs under the default MXCSR (quant.c sets it).
 */
__attribute__((target("avx2,fma"))) void lrelu_q8build__avx2(const struct lrelu_q8params *q,
                                                               uint8_t *body, uint8_t *tail)
{
	const int qmin = q->dtype == LRELU_QINT8 ? -128 : 0, qmax = qmin + 255;
	const __m256 s = _mm256_set1_ps((float)q->scale);
	const __m256 inv = _mm256_set1_ps(1.0f / (float)q->out_scale);
	const __m256 ng = _mm256_set1_ps((float)q->slope), one = _mm256_set1_ps(1.0f);
	const __m256 zero = _mm256_setzero_ps();
	const __m256 premul = _mm256_mul_ps(s, _mm256_set1_ps(-(float)q->zp));
	const __m256 bound = _mm256_set1_ps(2147483520.0f), two63 = _mm256_set1_ps(0x1p63f);
	const __m256 zpf = _mm256_set1_ps((float)q->zp), zof = _mm256_set1_ps((float)q->out_zp);
	const __m256 qminf = _mm256_set1_ps((float)qmin), qmaxf = _mm256_set1_ps((float)qmax);
	const __m256i zo = _mm256_set1_epi32(q->out_zp);
	const __m256i qminv = _mm256_set1_epi32(qmin), qmaxv = _mm256_set1_epi32(qmax);
	const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	for (int c0 = qmin; c0 <= qmax; c0 += 8) {
		__m256 c = _mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_set1_epi32(c0), lane));
		/* vector body */
		__m256 dx = _mm256_fmadd_ps(s, c, premul);
		__m256 y = _mm256_mul_ps(dx, _mm256_blendv_ps(ng, one, _mm256_cmp_ps(dx, zero, _CMP_GT_OQ)));
		__m256 t = _mm256_min_ps(_mm256_mul_ps(y, inv), bound);
		__m256i r = _mm256_add_epi32(_mm256_cvtps_epi32(t), zo);
		r = _mm256_max_epi32(qminv, _mm256_min_epi32(qmaxv, r));
		/* scalar path */
		__m256 dt = _mm256_mul_ps(_mm256_sub_ps(c, zpf), s);
		__m256 yt = _mm256_blendv_ps(_mm256_mul_ps(dt, ng), dt, _mm256_cmp_ps(dt, zero, _CMP_GT_OQ));
		__m256 v = _mm256_add_ps(zof, _mm256_round_ps(_mm256_mul_ps(yt, inv),
		                                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
		__m256 cl = _mm256_min_ps(_mm256_max_ps(v, qminf), qmaxf); /* NaN -> qmin */
		cl = _mm256_blendv_ps(cl, qminf, _mm256_cmp_ps(v, two63, _CMP_GE_OQ));
		__m256i rt = _mm256_cvtps_epi32(cl);
		_Alignas(32) int32_t ob[8], ot[8];
		_mm256_store_si256((__m256i *)ob, r);
		_mm256_store_si256((__m256i *)ot, rt);
		for (int k = 0; k < 8; k++) {
			body[(uint8_t)(c0 + k)] = (uint8_t)ob[k];
			tail[(uint8_t)(c0 + k)] = (uint8_t)ot[k];
		}
	}
}
#endif

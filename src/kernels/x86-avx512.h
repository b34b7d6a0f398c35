/* x86-avx512.h - AVX-512 F/BW/VL vector primitives for template.h (two tables use them) */
#ifndef LRELU_X86_AVX512_H
#define LRELU_X86_AVX512_H

#include <immintrin.h>

typedef __m512 vf;
typedef __m512d vd;
typedef __m256i vh; /* 16 16-bit values */
typedef __mmask16 mf;
typedef __mmask8 md;
#define LANES_f 16
#define LANES_d 8
#define LK_VREG(v) "v"(v) /* asm constraint: any vector register */

static LK_INLINE void lk_sfence(void)
{
	_mm_sfence(); /* order the non-temporal stores before whatever follows the call */
}

/* Masked loads and stores for the tails: masked-off lanes are neither read nor
 * written, and cannot fault. */
static LK_INLINE __mmask16 k16(size_t r) { return (__mmask16)((1u << r) - 1u); }
static LK_INLINE __mmask8 k8(size_t r) { return (__mmask8)((1u << r) - 1u); }

/* ---- float ------------------------------------------------------------------------ */
static LK_INLINE vf f_load(const float *p) { return _mm512_loadu_ps(p); }
static LK_INLINE void f_store(float *p, vf v) { _mm512_storeu_ps(p, v); }
static LK_INLINE void f_stream(float *p, vf v) { _mm512_stream_ps(p, v); }
static LK_INLINE vf f_load_n(const float *p, size_t r) { return _mm512_maskz_loadu_ps(k16(r), p); }
static LK_INLINE void f_store_n(float *p, vf v, size_t r) { _mm512_mask_storeu_ps(p, k16(r), v); }
static LK_INLINE vf f_set1(float s) { return _mm512_set1_ps(s); }
static LK_INLINE vf f_zero(void) { return _mm512_setzero_ps(); }
static LK_INLINE vf f_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static LK_INLINE vf f_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static LK_INLINE mf f_gt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
static LK_INLINE mf f_lt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
static LK_INLINE mf f_eq(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
static LK_INLINE vf f_sel(mf m, vf a, vf b) { return _mm512_mask_blend_ps(m, b, a); }

/* ---- double ----------------------------------------------------------------------- */
static LK_INLINE vd d_load(const double *p) { return _mm512_loadu_pd(p); }
static LK_INLINE void d_store(double *p, vd v) { _mm512_storeu_pd(p, v); }
static LK_INLINE void d_stream(double *p, vd v) { _mm512_stream_pd(p, v); }
static LK_INLINE vd d_load_n(const double *p, size_t r) { return _mm512_maskz_loadu_pd(k8(r), p); }
static LK_INLINE void d_store_n(double *p, vd v, size_t r) { _mm512_mask_storeu_pd(p, k8(r), v); }
static LK_INLINE vd d_set1(double s) { return _mm512_set1_pd(s); }
static LK_INLINE vd d_zero(void) { return _mm512_setzero_pd(); }
static LK_INLINE vd d_mul(vd a, vd b) { return _mm512_mul_pd(a, b); }
static LK_INLINE vd d_add(vd a, vd b) { return _mm512_add_pd(a, b); }
static LK_INLINE md d_gt(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ); }
static LK_INLINE md d_lt(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
static LK_INLINE md d_eq(vd a, vd b) { return _mm512_cmp_pd_mask(a, b, _CMP_EQ_OQ); }
static LK_INLINE vd d_sel(md m, vd a, vd b) { return _mm512_mask_blend_pd(m, b, a); }

/* ---- 16-bit storage --------------------------------------------------------------- */
static LK_INLINE vh h_load(const uint16_t *p) { return _mm256_loadu_si256((const __m256i *)(const void *)p); }
static LK_INLINE void h_store(uint16_t *p, vh v) { _mm256_storeu_si256((__m256i *)(void *)p, v); }
static LK_INLINE void h_stream(uint16_t *p, vh v) { _mm256_stream_si256((__m256i *)(void *)p, v); }
static LK_INLINE vh h_load_n(const uint16_t *p, size_t r) { return _mm256_maskz_loadu_epi16(k16(r), p); }
static LK_INLINE void h_store_n(uint16_t *p, vh v, size_t r) { _mm256_mask_storeu_epi16(p, k16(r), v); }
static LK_INLINE vh h_sel(mf m, vh a, vh b) { return _mm256_mask_blend_epi16(m, b, a); }

static LK_INLINE vf bf_widen(vh h)
{
	return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}
/* fp16.h's rounding on the integer pattern: add 0x7FFF plus the kept lsb, keep the
 * high half (the lanes are 0..0xFFFF, so vpmovdw's truncation is exact). */
static LK_INLINE __m512i bf_round_bits(__m512i u)
{
	__m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
	return _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7FFF)), lsb), 16);
}
static LK_INLINE vh bf_narrow(vf v)
{
	__m512i u = _mm512_castps_si512(v);
	__mmask16 nan = _mm512_cmpgt_epi32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7FFFFFFF)),
	                                        _mm512_set1_epi32(0x7F800000));
	__m512i r = _mm512_mask_or_epi32(bf_round_bits(u), nan, _mm512_srli_epi32(u, 16),
	                                 _mm512_set1_epi32(0x40));
	return _mm512_cvtepi32_epi16(r);
}

/* F16C at 512 bits: exact widening; immediate 0 = round to nearest even. */
static LK_INLINE vf hf_widen(vh h) { return _mm512_cvtph_ps(h); }
static LK_INLINE vh hf_narrow(vf v) { return _mm512_cvtps_ph(v, 0); }

#endif /* LRELU_X86_AVX512_H */

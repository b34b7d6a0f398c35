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

/*
 * Arithmetic and compares carry their rounding and exception control in the
 * instruction (EVEX embedded rounding: {rn-sae}, compares {sae}), so MXCSR's rounding
 * mode and exception masks cannot change a result or raise SIGFPE here.  Only FTZ
 * and DAZ still act, and only on subnormal operands or results: see the fwdx
 * helpers at the end, which let small calls skip the MXCSR guard.
 */
#define LK_RN (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

/* ---- float ------------------------------------------------------------------------ */
static LK_INLINE vf f_load(const float *p) { return _mm512_loadu_ps(p); }
static LK_INLINE void f_store(float *p, vf v) { _mm512_storeu_ps(p, v); }
static LK_INLINE void f_stream(float *p, vf v) { _mm512_stream_ps(p, v); }
static LK_INLINE vf f_load_n(const float *p, size_t r) { return _mm512_maskz_loadu_ps(k16(r), p); }
static LK_INLINE void f_store_n(float *p, vf v, size_t r) { _mm512_mask_storeu_ps(p, k16(r), v); }
static LK_INLINE vf f_set1(float s) { return _mm512_set1_ps(s); }
static LK_INLINE vf f_zero(void) { return _mm512_setzero_ps(); }
static LK_INLINE vf f_mul(vf a, vf b) { return _mm512_mul_round_ps(a, b, LK_RN); }
static LK_INLINE vf f_add(vf a, vf b) { return _mm512_add_round_ps(a, b, LK_RN); }
static LK_INLINE mf f_gt(vf a, vf b) { return _mm512_cmp_round_ps_mask(a, b, _CMP_GT_OQ, _MM_FROUND_NO_EXC); }
static LK_INLINE mf f_ge(vf a, vf b) { return _mm512_cmp_round_ps_mask(a, b, _CMP_GE_OQ, _MM_FROUND_NO_EXC); }
static LK_INLINE mf f_lt(vf a, vf b) { return _mm512_cmp_round_ps_mask(a, b, _CMP_LT_OQ, _MM_FROUND_NO_EXC); }
static LK_INLINE mf f_eq(vf a, vf b) { return _mm512_cmp_round_ps_mask(a, b, _CMP_EQ_OQ, _MM_FROUND_NO_EXC); }
static LK_INLINE vf f_sel(mf m, vf a, vf b) { return _mm512_mask_blend_ps(m, b, a); }
static LK_INLINE vf f_sel_sign(vf x, vf a, vf b)
{
	return _mm512_mask_blend_ps(_mm512_cmplt_epi32_mask(_mm512_castps_si512(x), _mm512_setzero_si512()), b, a);
}

/* ---- double ----------------------------------------------------------------------- */
static LK_INLINE vd d_load(const double *p) { return _mm512_loadu_pd(p); }
static LK_INLINE void d_store(double *p, vd v) { _mm512_storeu_pd(p, v); }
static LK_INLINE void d_stream(double *p, vd v) { _mm512_stream_pd(p, v); }
static LK_INLINE vd d_load_n(const double *p, size_t r) { return _mm512_maskz_loadu_pd(k8(r), p); }
static LK_INLINE void d_store_n(double *p, vd v, size_t r) { _mm512_mask_storeu_pd(p, k8(r), v); }
static LK_INLINE vd d_set1(double s) { return _mm512_set1_pd(s); }
static LK_INLINE vd d_zero(void) { return _mm512_setzero_pd(); }
static LK_INLINE vd d_mul(vd a, vd b) { return _mm512_mul_round_pd(a, b, LK_RN); }
static LK_INLINE vd d_add(vd a, vd b) { return _mm512_add_round_pd(a, b, LK_RN); }
static LK_INLINE md d_gt(vd a, vd b) { return _mm512_cmp_round_pd_mask(a, b, _CMP_GT_OQ, _MM_FROUND_NO_EXC); }
static LK_INLINE md d_ge(vd a, vd b) { return _mm512_cmp_round_pd_mask(a, b, _CMP_GE_OQ, _MM_FROUND_NO_EXC); }
static LK_INLINE md d_lt(vd a, vd b) { return _mm512_cmp_round_pd_mask(a, b, _CMP_LT_OQ, _MM_FROUND_NO_EXC); }
static LK_INLINE md d_eq(vd a, vd b) { return _mm512_cmp_round_pd_mask(a, b, _CMP_EQ_OQ, _MM_FROUND_NO_EXC); }
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

/*
 * FTZ and DAZ, the part of MXCSR the instructions above still obey, change a result
 * only through a subnormal operand (x, or the slope) or a subnormal product.  For a
 * normal slope s with biased exponent es, a normal x with biased exponent ex >=
 * 128 - es gives |x * s| >= 2^(ex-127) * 2^(es-127) >= 2^-126: normal before and
 * after rounding.  So fwdx_min(s) is the smallest magnitude pattern a non-zero x
 * may have (zero x is fine: 0 * s is an exact zero); 0 means no x is safe (a
 * subnormal, infinite or NaN slope; a zero slope only needs x normal).
 *
 * Infinite and NaN x are refused too, so that no NaN ever reaches a compare: the
 * compiler may rewrite a quiet compare into a signalling one with swapped operands
 * (clang 14 turns GT_OQ {sae} into LT_OS without {sae}), which would trap on a NaN
 * when the caller unmasked the invalid exception.  With finite x and slope a product
 * is finite or overflows to infinity, which {sae} keeps from trapping.
 *
 * The check is per block of 4 vectors: min(|x| - 1) in unsigned arithmetic (a zero
 * wraps to the maximum and passes) and max(|x|) below infinity.  It gives up a factor
 * of two of magnitudes at the bottom of the range, which take the guarded path.
 */
typedef uint32_t uf; /* the magnitude patterns of vf and vd lanes */
typedef uint64_t ud;
static LK_INLINE uint32_t f_fwdx_min(float s)
{
	uint32_t u;
	memcpy(&u, &s, sizeof u);
	u &= 0x7FFFFFFFu;
	if (u == 0)
		return 0x00800000u;
	if (u < 0x00800000u || u >= 0x7F800000u)
		return 0;
	u >>= 23;
	return (u >= 127 ? 1u : 128u - u) << 23;
}
static LK_INLINE int f_fwdx_okv(__m512i lo, __m512i hi, uint32_t min)
{
	return (_mm512_cmplt_epu32_mask(lo, _mm512_set1_epi32((int)(min - 1))) |
	        _mm512_cmpge_epu32_mask(hi, _mm512_set1_epi32(0x7F800000))) == 0;
}
static LK_INLINE __m512i f_mag(vf v)
{
	return _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(0x7FFFFFFF));
}
static LK_INLINE __m512i f_mag1(__m512i m)
{
	return _mm512_sub_epi32(m, _mm512_set1_epi32(1));
}
static LK_INLINE int f_fwdx_ok1(vf a, uint32_t min)
{
	__m512i m = f_mag(a);
	return f_fwdx_okv(f_mag1(m), m, min);
}
static LK_INLINE int f_fwdx_ok4(vf a, vf b, vf c, vf d, uint32_t min)
{
	__m512i ma = f_mag(a), mb = f_mag(b), mc = f_mag(c), md_ = f_mag(d);
	__m512i lo = _mm512_min_epu32(_mm512_min_epu32(f_mag1(ma), f_mag1(mb)),
	                              _mm512_min_epu32(f_mag1(mc), f_mag1(md_)));
	__m512i hi = _mm512_max_epu32(_mm512_max_epu32(ma, mb), _mm512_max_epu32(mc, md_));
	return f_fwdx_okv(lo, hi, min);
}

/* The same for double: biased exponents ex + es >= 1024 give |x * s| >= 2^-1022. */
static LK_INLINE uint64_t d_fwdx_min(double s)
{
	uint64_t u;
	memcpy(&u, &s, sizeof u);
	u &= 0x7FFFFFFFFFFFFFFFull;
	if (u == 0)
		return 0x0010000000000000ull;
	if (u < 0x0010000000000000ull || u >= 0x7FF0000000000000ull)
		return 0;
	u >>= 52;
	return (u >= 1023 ? 1ull : 1024ull - u) << 52;
}
static LK_INLINE int d_fwdx_okv(__m512i lo, __m512i hi, uint64_t min)
{
	return (_mm512_cmplt_epu64_mask(lo, _mm512_set1_epi64((long long)(min - 1))) |
	        _mm512_cmpge_epu64_mask(hi, _mm512_set1_epi64(0x7FF0000000000000ll))) == 0;
}
static LK_INLINE __m512i d_mag(vd v)
{
	return _mm512_and_si512(_mm512_castpd_si512(v), _mm512_set1_epi64(0x7FFFFFFFFFFFFFFFll));
}
static LK_INLINE __m512i d_mag1(__m512i m)
{
	return _mm512_sub_epi64(m, _mm512_set1_epi64(1));
}
static LK_INLINE int d_fwdx_ok1(vd a, uint64_t min)
{
	__m512i m = d_mag(a);
	return d_fwdx_okv(d_mag1(m), m, min);
}
static LK_INLINE int d_fwdx_ok4(vd a, vd b, vd c, vd d, uint64_t min)
{
	__m512i ma = d_mag(a), mb = d_mag(b), mc = d_mag(c), md_ = d_mag(d);
	__m512i lo = _mm512_min_epu64(_mm512_min_epu64(d_mag1(ma), d_mag1(mb)),
	                              _mm512_min_epu64(d_mag1(mc), d_mag1(md_)));
	__m512i hi = _mm512_max_epu64(_mm512_max_epu64(ma, mb), _mm512_max_epu64(mc, md_));
	return d_fwdx_okv(lo, hi, min);
}

/*
 * The AVX-512 table.  The AVX512-BF16 one (x86-avx512bf16.c) is the same but for its
 * bfloat16 rows (bf = avx512bf16).  f16gt is the float16 forward for PyTorch's rule:
 * lrelu_f16_fwd_gt__avx512_u64, which hands a finite slope of clear sign to the AVX2
 * kernel (256-bit conversions, faster on AMD Zen 4), or lrelu_f16_fwd_gtz__avx512_u64,
 * which keeps it at 512 bits (faster where 512-bit operations are whole: x86-avx512.c).
 * The quantized lookup is VBMI's two vpermi2b where the CPU has them, else the BW
 * shuffles.
 */
#define LK_AVX512_TABLE(bf, f16gt)                                                       \
	{                                                                                    \
		LRELU_ISA_AVX512,                                                                \
		{ LK_FWD_ROW(f32, avx512, u64), LK_FWD_ROW(f64, avx512, u32),                    \
		  LK_FWD_ROW(bf16, bf, u64),                                                     \
		  { f16gt, lrelu_f16_fwd_lt__avx512_u64, lrelu_f16_fwd_max__avx512_u64,          \
		    lrelu_f16_fwd_min__avx512_u64, lrelu_f16_fwd_ge__avx512_u64 } },             \
		{ LK_BWD_ROW(f32, avx512, u64), LK_BWD_ROW(f64, avx512, u32),                    \
		  LK_BWD_ROW(bf16, bf, u64), LK_BWD_ROW(f16, avx512, u64) },                     \
		{ LK_FWDX_ROW(f32, avx512, u64), LK_FWDX_ROW(f64, avx512, u32) },                \
		{ LRELU_Q8_KERNEL(avx512vbmi, 0, LRELU_CPU_AVX512VBMI),                          \
		  LRELU_Q8_KERNEL(avx512bw, 1, 0) },                                             \
		LK_Q8BUILD_AVX2,                                                                 \
		{ LK_PFWD_ROW(f32, avx512, u64), LK_PFWD_ROW(f64, avx512, u32),                  \
		  LK_PFWD_ROW(bf16, bf, u64), LK_PFWD_ROW(f16, avx512, u64) },                   \
		{ LK_PBWD_ROW(f32, avx512, u64), LK_PBWD_ROW(f64, avx512, u32),                  \
		  LK_PBWD_ROW(bf16, bf, u64), LK_PBWD_ROW(f16, avx512, u64) },                   \
	}

#endif /* LRELU_X86_AVX512_H */

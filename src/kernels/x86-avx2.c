/* x86-avx2.c - AVX2 kernels, F16C for float16; never FMA (a fused product changes bits) */
#include "kernels.h"

#ifdef LRELU_HAVE_AVX2
LK_TARGET_PUSH("avx2,f16c")
#include <immintrin.h>

typedef __m256 vf;
typedef __m256d vd;
typedef __m128i vh; /* 8 16-bit values */
typedef __m256 mf;
typedef __m256d md;
#define LANES_f 8
#define LANES_d 4
#define LK_VREG(v) "x"(v) /* asm constraint: any vector register */

static LK_INLINE void lk_sfence(void)
{
	_mm_sfence(); /* order the non-temporal stores before whatever follows the call */
}

/* ---- float ------------------------------------------------------------------------ */
static LK_INLINE vf f_load(const float *p) { return _mm256_loadu_ps(p); }
static LK_INLINE void f_store(float *p, vf v) { _mm256_storeu_ps(p, v); }
static LK_INLINE void f_stream(float *p, vf v) { _mm256_stream_ps(p, v); }
LK_BUFFERED_TAIL(f, float, vf, LANES_f)
static LK_INLINE vf f_set1(float s) { return _mm256_set1_ps(s); }
static LK_INLINE vf f_zero(void) { return _mm256_setzero_ps(); }
static LK_INLINE vf f_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static LK_INLINE vf f_add(vf a, vf b) { return _mm256_add_ps(a, b); }
static LK_INLINE mf f_gt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
static LK_INLINE mf f_ge(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
static LK_INLINE mf f_lt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
static LK_INLINE mf f_eq(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
static LK_INLINE vf f_sel(mf m, vf a, vf b) { return _mm256_blendv_ps(b, a, m); }
static LK_INLINE vf f_sel_sign(vf x, vf a, vf b) { return _mm256_blendv_ps(b, a, x); }

/* ---- double ----------------------------------------------------------------------- */
static LK_INLINE vd d_load(const double *p) { return _mm256_loadu_pd(p); }
static LK_INLINE void d_store(double *p, vd v) { _mm256_storeu_pd(p, v); }
static LK_INLINE void d_stream(double *p, vd v) { _mm256_stream_pd(p, v); }
LK_BUFFERED_TAIL(d, double, vd, LANES_d)
static LK_INLINE vd d_set1(double s) { return _mm256_set1_pd(s); }
static LK_INLINE vd d_zero(void) { return _mm256_setzero_pd(); }
static LK_INLINE vd d_mul(vd a, vd b) { return _mm256_mul_pd(a, b); }
static LK_INLINE vd d_add(vd a, vd b) { return _mm256_add_pd(a, b); }
static LK_INLINE md d_gt(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_GT_OQ); }
static LK_INLINE md d_ge(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_GE_OQ); }
static LK_INLINE md d_lt(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_LT_OQ); }
static LK_INLINE md d_eq(vd a, vd b) { return _mm256_cmp_pd(a, b, _CMP_EQ_OQ); }
static LK_INLINE vd d_sel(md m, vd a, vd b) { return _mm256_blendv_pd(b, a, m); }

/* ---- 16-bit storage --------------------------------------------------------------- */
static LK_INLINE vh h_load(const uint16_t *p) { return _mm_loadu_si128((const __m128i *)(const void *)p); }
static LK_INLINE void h_store(uint16_t *p, vh v) { _mm_storeu_si128((__m128i *)(void *)p, v); }
static LK_INLINE void h_stream(uint16_t *p, vh v) { _mm_stream_si128((__m128i *)(void *)p, v); }
LK_BUFFERED_TAIL(h, uint16_t, vh, LANES_f)
/* 32-bit all-ones/all-zeros lanes narrow to 16-bit lanes by signed saturation. */
static LK_INLINE vh h_sel(mf m, vh a, vh b)
{
	__m256i mi = _mm256_castps_si256(m);
	__m128i m16 = _mm_packs_epi32(_mm256_castsi256_si128(mi), _mm256_extracti128_si256(mi, 1));
	return _mm_blendv_epi8(b, a, m16);
}

static LK_INLINE vf bf_widen(vh h)
{
	return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}
/* fp16.h's lrelu_f2bf per lane; results are 0..0xFFFF, so packus_epi32 keeps them. */
static LK_INLINE vh bf_narrow(vf v)
{
	__m256i u = _mm256_castps_si256(v);
	__m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
	__m256i r = _mm256_srli_epi32(
		_mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7FFF)), lsb), 16);
	__m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF)),
	                                 _mm256_set1_epi32(0x7F800000));
	__m256i q = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
	r = _mm256_blendv_epi8(r, q, nan);
	return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
}

/* F16C: vcvtph2ps is exact; vcvtps2ph with immediate 0 rounds to nearest even
 * whatever MXCSR.RC says, keeps subnormals, and quiets NaN keeping the top payload
 * bits, which is lrelu_f2h exactly (tested over all 2^32 floats, docs/kernels.md). */
static LK_INLINE vf hf_widen(vh h) { return _mm256_cvtph_ps(h); }
static LK_INLINE vh hf_narrow(vf v) { return _mm256_cvtps_ph(v, 0); }

#define LK_ISA avx2
#define LK_NT 1

#define LK_U_F u32
#define LK_U_D u16
#include "instantiate.h"

/* The float16 forward for PyTorch's rule with a finite slope of clear sign (RULE_GTS
 * in template.h): the AVX-512 tables chosen on AMD Zen 4 call this one instead of
 * their own, because there 256-bit F16C conversions with vblendvps run faster than the
 * 512-bit ones with a mask register; elsewhere the 512-bit ones were faster
 * (x86-avx512.c, dispatch.c, docs/kernels.md). */
LRELU_HIDDEN void lrelu_f16_fwd_gts__avx2_u32(size_t n, const void *x, void *y,
                                              const struct lrelu_kparams *p);
void lrelu_f16_fwd_gts__avx2_u32(size_t n, const void *x, void *y, const struct lrelu_kparams *p)
{
	lrelu_f16_fwd_gt__avx2_u32(n, x, y, p);
}

LK_TARGET_POP()

const struct lrelu_kernels lrelu_kernels_avx2 = {
	LRELU_ISA_AVX2,
	{ LK_FWD_ROW(f32, avx2, u32), LK_FWD_ROW(f64, avx2, u16), LK_FWD_ROW(bf16, avx2, u32),
	  LK_FWD_ROW(f16, avx2, u32) },
	{ LK_BWD_ROW(f32, avx2, u32), LK_BWD_ROW(f64, avx2, u16), LK_BWD_ROW(bf16, avx2, u32),
	  LK_BWD_ROW(f16, avx2, u32) },
	{ { NULL } }, /* no fwdx: without embedded rounding, MXCSR.RC acts */
	{ LRELU_Q8_KERNEL(avx2, 1, 0) },
	LK_Q8BUILD_AVX2,
	{ LK_PFWD_ROW(f32, avx2, u32), LK_PFWD_ROW(f64, avx2, u16), LK_PFWD_ROW(bf16, avx2, u32),
	  LK_PFWD_ROW(f16, avx2, u32) },
	{ LK_PBWD_ROW(f32, avx2, u32), LK_PBWD_ROW(f64, avx2, u16), LK_PBWD_ROW(bf16, avx2, u32),
	  LK_PBWD_ROW(f16, avx2, u32) },
};
const struct lrelu_narrow_fns lrelu_narrow_avx2 = {
	"avx2", lrelu_bf16_narrow__avx2_u32, lrelu_f16_narrow__avx2_u32
};
#endif /* LRELU_HAVE_AVX2 */

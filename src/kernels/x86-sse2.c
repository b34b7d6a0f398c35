/* x86-sse2.c - SSE2 kernels: the x86-64 baseline, 16-bit conversions in integer SIMD */
#include "kernels.h"

#ifdef LRELU_HAVE_SSE2
LK_TARGET_PUSH("sse2")
#include <emmintrin.h>

typedef __m128 vf;
typedef __m128d vd;
typedef __m128i vh; /* 4 16-bit values in the low 64 bits */
typedef __m128 mf;
typedef __m128d md;
#define LANES_f 4
#define LANES_d 2
#define LK_VREG(v) "x"(v) /* asm constraint: any vector register */

static LK_INLINE void lk_sfence(void)
{
	_mm_sfence(); /* order the non-temporal stores before whatever follows the call */
}

/* ---- float ------------------------------------------------------------------------ */
static LK_INLINE vf f_load(const float *p) { return _mm_loadu_ps(p); }
static LK_INLINE void f_store(float *p, vf v) { _mm_storeu_ps(p, v); }
static LK_INLINE void f_stream(float *p, vf v) { _mm_stream_ps(p, v); }
LK_BUFFERED_TAIL(f, float, vf, LANES_f)
static LK_INLINE vf f_set1(float s) { return _mm_set1_ps(s); }
static LK_INLINE vf f_zero(void) { return _mm_setzero_ps(); }
static LK_INLINE vf f_mul(vf a, vf b) { return _mm_mul_ps(a, b); }
static LK_INLINE vf f_add(vf a, vf b) { return _mm_add_ps(a, b); }
static LK_INLINE mf f_gt(vf a, vf b) { return _mm_cmpgt_ps(a, b); }
static LK_INLINE mf f_ge(vf a, vf b) { return _mm_cmpge_ps(a, b); }
static LK_INLINE mf f_lt(vf a, vf b) { return _mm_cmplt_ps(a, b); }
static LK_INLINE mf f_eq(vf a, vf b) { return _mm_cmpeq_ps(a, b); }
static LK_INLINE vf f_sel(mf m, vf a, vf b)
{
	return _mm_or_ps(_mm_and_ps(m, a), _mm_andnot_ps(m, b));
}
static LK_INLINE vf f_sel_sign(vf x, vf a, vf b)
{
	return f_sel(_mm_castsi128_ps(_mm_srai_epi32(_mm_castps_si128(x), 31)), a, b);
}

/* ---- double ----------------------------------------------------------------------- */
static LK_INLINE vd d_load(const double *p) { return _mm_loadu_pd(p); }
static LK_INLINE void d_store(double *p, vd v) { _mm_storeu_pd(p, v); }
static LK_INLINE void d_stream(double *p, vd v) { _mm_stream_pd(p, v); }
LK_BUFFERED_TAIL(d, double, vd, LANES_d)
static LK_INLINE vd d_set1(double s) { return _mm_set1_pd(s); }
static LK_INLINE vd d_zero(void) { return _mm_setzero_pd(); }
static LK_INLINE vd d_mul(vd a, vd b) { return _mm_mul_pd(a, b); }
static LK_INLINE vd d_add(vd a, vd b) { return _mm_add_pd(a, b); }
static LK_INLINE md d_gt(vd a, vd b) { return _mm_cmpgt_pd(a, b); }
static LK_INLINE md d_ge(vd a, vd b) { return _mm_cmpge_pd(a, b); }
static LK_INLINE md d_lt(vd a, vd b) { return _mm_cmplt_pd(a, b); }
static LK_INLINE md d_eq(vd a, vd b) { return _mm_cmpeq_pd(a, b); }
static LK_INLINE vd d_sel(md m, vd a, vd b)
{
	return _mm_or_pd(_mm_and_pd(m, a), _mm_andnot_pd(m, b));
}

/* ---- 16-bit storage --------------------------------------------------------------- */
static LK_INLINE vh h_load(const uint16_t *p) { return _mm_loadl_epi64((const __m128i *)(const void *)p); }
static LK_INLINE void h_store(uint16_t *p, vh v) { _mm_storel_epi64((__m128i *)(void *)p, v); }
static LK_INLINE void h_stream(uint16_t *p, vh v)
{
	_mm_stream_si64((long long *)(void *)p, _mm_cvtsi128_si64(v));
}
LK_BUFFERED_TAIL(h, uint16_t, vh, LANES_f)
/* The float compare gives all-ones / all-zeros 32-bit lanes; signed saturation
 * narrows them to 16-bit lanes unchanged. */
static LK_INLINE vh h_sel(mf m, vh a, vh b)
{
	__m128i m16 = _mm_packs_epi32(_mm_castps_si128(m), _mm_castps_si128(m));
	return _mm_or_si128(_mm_and_si128(m16, a), _mm_andnot_si128(m16, b));
}

static LK_INLINE __m128i i_sel(__m128i m, __m128i a, __m128i b)
{
	return _mm_or_si128(_mm_and_si128(m, a), _mm_andnot_si128(m, b));
}

/* bfloat16: the high half of a float. */
static LK_INLINE vf bf_widen(vh h)
{
	return _mm_castsi128_ps(_mm_unpacklo_epi16(_mm_setzero_si128(), h));
}
/* fp16.h's lrelu_f2bf per lane.  The arithmetic shift keeps every result within
 * int16 (negative patterns become negative numbers), so packs_epi32 cannot saturate. */
static LK_INLINE vh bf_narrow(vf v)
{
	__m128i u = _mm_castps_si128(v);
	__m128i lsb = _mm_and_si128(_mm_srli_epi32(u, 16), _mm_set1_epi32(1));
	__m128i r = _mm_srai_epi32(_mm_add_epi32(_mm_add_epi32(u, _mm_set1_epi32(0x7FFF)), lsb), 16);
	__m128i nan = _mm_cmpgt_epi32(_mm_and_si128(u, _mm_set1_epi32(0x7FFFFFFF)),
	                              _mm_set1_epi32(0x7F800000));
	__m128i q = _mm_or_si128(_mm_srai_epi32(u, 16), _mm_set1_epi32(0x40));
	r = i_sel(nan, q, r);
	return _mm_packs_epi32(r, r);
}

/* float16 without F16C.  Widen: place exponent and mantissa in a float and scale by
 * 2^112 (exact: a power of two, and every half is a normal float); inf/NaN get the
 * all-ones exponent instead. */
static LK_INLINE vf hf_widen(vh h)
{
	__m128i w = _mm_unpacklo_epi16(h, _mm_setzero_si128());
	__m128i sign = _mm_slli_epi32(_mm_and_si128(w, _mm_set1_epi32(0x8000)), 16);
	__m128i em = _mm_and_si128(w, _mm_set1_epi32(0x7FFF));
	__m128i sh = _mm_slli_epi32(em, 13);
	__m128 scaled = _mm_mul_ps(_mm_castsi128_ps(sh), _mm_castsi128_ps(_mm_set1_epi32(0x77800000)));
	__m128i special = _mm_cmpgt_epi32(em, _mm_set1_epi32(0x7BFF));
	__m128i r = i_sel(special, _mm_or_si128(sh, _mm_set1_epi32(0x7F800000)),
	                  _mm_castps_si128(scaled));
	return _mm_castsi128_ps(_mm_or_si128(r, sign));
}
/* Narrow: fp16.h's lrelu_f2h, its four ranges computed per lane and selected.  The
 * subnormal range adds 0.5f: the sum's last bit is worth 2^-24, a half's subnormal
 * step, so the float addition performs the round-to-nearest-even. */
static LK_INLINE vh hf_narrow(vf v)
{
	__m128i u = _mm_castps_si128(v);
	__m128i signbit = _mm_and_si128(u, _mm_set1_epi32((int)0x80000000u));
	__m128i a = _mm_xor_si128(u, signbit);
	__m128i nan = _mm_cmpgt_epi32(a, _mm_set1_epi32(0x7F800000));
	__m128i big = _mm_cmpgt_epi32(a, _mm_set1_epi32(0x477FEFFF));
	__m128i normal = _mm_cmpgt_epi32(a, _mm_set1_epi32(0x387FFFFF));
	__m128i odd = _mm_and_si128(_mm_srli_epi32(a, 13), _mm_set1_epi32(1));
	__m128i rn = _mm_add_epi32(_mm_add_epi32(a, _mm_set1_epi32(0x0FFF - (112 << 23))), odd);
	__m128 half = _mm_castsi128_ps(_mm_set1_epi32(0x3F000000));
	__m128i rs = _mm_sub_epi32(_mm_castps_si128(_mm_add_ps(_mm_castsi128_ps(a), half)),
	                           _mm_set1_epi32(0x3F000000));
	__m128i qn = _mm_or_si128(_mm_set1_epi32(0x7E00),
	                          _mm_and_si128(_mm_srli_epi32(a, 13), _mm_set1_epi32(0x3FF)));
	__m128i r = i_sel(normal, _mm_srli_epi32(rn, 13), rs);
	r = i_sel(big, _mm_set1_epi32(0x7C00), r);
	r = i_sel(nan, qn, r);
	r = _mm_or_si128(r, _mm_srai_epi32(signbit, 16));
	return _mm_packs_epi32(r, r);
}

#define LK_ISA sse2
#define LK_NT 1

#define LK_U_F u16
#define LK_U_D u8
#include "instantiate.h"

LK_TARGET_POP()

const struct lrelu_kernels lrelu_kernels_sse2 = {
	LRELU_ISA_SSE2,
	{ LK_FWD_ROW(f32, sse2, u16), LK_FWD_ROW(f64, sse2, u8), LK_FWD_ROW(bf16, sse2, u16),
	  LK_FWD_ROW(f16, sse2, u16) },
	{ LK_BWD_ROW(f32, sse2, u16), LK_BWD_ROW(f64, sse2, u8), LK_BWD_ROW(bf16, sse2, u16),
	  LK_BWD_ROW(f16, sse2, u16) },
	{ { NULL } }, /* no fwdx: without embedded rounding, MXCSR.RC acts */
	/* the SSSE3 lookup (16 pshufb per 16 bytes) measures slower than the scalar one,
	 * so this level keeps the scalar lookup; the kernel stays for tests and benches */
	{ LRELU_Q8_KERNEL(scalar, 0, 0) },
	LK_Q8BUILD_SCALAR,
	{ LK_PFWD_ROW(f32, sse2, u16), LK_PFWD_ROW(f64, sse2, u8), LK_PFWD_ROW(bf16, sse2, u16),
	  LK_PFWD_ROW(f16, sse2, u16) },
	{ LK_PBWD_ROW(f32, sse2, u16), LK_PBWD_ROW(f64, sse2, u8), LK_PBWD_ROW(bf16, sse2, u16),
	  LK_PBWD_ROW(f16, sse2, u16) },
};
const struct lrelu_narrow_fns lrelu_narrow_sse2 = {
	"sse2", lrelu_bf16_narrow__sse2_u16, lrelu_f16_narrow__sse2_u16
};
#endif /* LRELU_HAVE_SSE2 */

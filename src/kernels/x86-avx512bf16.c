/* x86-avx512bf16.c - the AVX-512 table with bfloat16 rounded by vcvtneps2bf16 (+ fix-up) */
#include "fp16.h"
#include "kernels.h"

#ifdef LRELU_HAVE_AVX512BF16
LK_TARGET_PUSH("avx512f,avx512bw,avx512vl,avx512dq,f16c,avx512bf16")
#include "x86-avx512.h"

/*
 * vcvtneps2bf16 rounds to nearest even without consulting MXCSR and quiets NaN as
 * (u >> 16) | 0x40, exactly as lrelu_f2bf, except that it flushes subnormal inputs
 * to a signed zero (Intel SDM, convert_fp32_to_bfloat16: "if src is denormal, src =
 * signed zero" before rounding).  So the lanes whose exponent field is zero and whose
 * mantissa is not (vfpclassps' "denormal" class, AVX512DQ) get the integer rounding
 * instead; zeros are already right.  The fix-up is skipped when no lane needs it (the
 * usual case).  Checked against
 * lrelu_f2bf over all 2^32 floats: scripts/narrow_exhaustive.c, docs/kernels.md.
 */
static LK_INLINE vf bfne_widen(vh h)
{
	return bf_widen(h);
}
static LK_INLINE vh bfne_narrow(vf v)
{
	__m512i u = _mm512_castps_si512(v);
	vh r = (vh)_mm512_cvtneps_pbh(v);
	__mmask16 sub = _mm512_fpclass_ps_mask(v, 0x20); /* class 0x20: denormal */
	if (sub != 0)
		r = _mm256_mask_blend_epi16(sub, r, _mm512_cvtepi32_epi16(bf_round_bits(u)));
	return r;
}

/*
 * The forward main loop skips even that check where it can prove no product is
 * subnormal: |x| * |s| >= 2^-126 for every non-zero x of a 64-element block.  Once per
 * call, thr = t - 1 for the smallest bfloat16 magnitude t with t * |s| >= 2^-126
 * (found from 2^-126 / |s| and confirmed with exact double products: 8 x 24 bits);
 * per block, min(|x| - 1) over the block's patterns, in unsigned 16-bit arithmetic (a
 * zero wraps to 0xFFFF and passes, NaN and inf are large and pass), must reach thr.
 */
static LK_INLINE vh bfnf_narrow(vf v)
{
	return (vh)_mm512_cvtneps_pbh(v);
}
static LK_INLINE uint32_t bfnf_threshold(float s)
{
	const double lim = 0x1p-126, as = fabs((double)s);
	uint32_t t;
	if (as == 0.0 || isinf(as))
		return 0; /* products are zero, infinite or NaN: never subnormal */
	t = lrelu_f32_bits((float)(lim / as)) >> 16;
	if (t < 1)
		t = 1;
	if (t > 0x7F80)
		t = 0x7F80;
	while (t < 0x7F80 && (double)lrelu_bf2f((uint16_t)t) * as < lim)
		t++;
	while (t > 1 && (double)lrelu_bf2f((uint16_t)(t - 1)) * as >= lim)
		t--;
	return t - 1;
}
static LK_INLINE int bfnf_block_safe(const uint16_t *x, uint32_t thr)
{
	const __m512i mag = _mm512_set1_epi16(0x7FFF), one = _mm512_set1_epi16(1);
	__m512i a = _mm512_sub_epi16(_mm512_and_si512(_mm512_loadu_si512(x), mag), one);
	__m512i b = _mm512_sub_epi16(_mm512_and_si512(_mm512_loadu_si512(x + 32), mag), one);
	return _mm512_cmplt_epu16_mask(_mm512_min_epu16(a, b), _mm512_set1_epi16((short)thr)) == 0;
}

#define LK_ISA avx512bf16
#define LK_NT 1
#define LK_T bf16
#define LK_KT KT_BF16
#define LK_U u64
#define LK_E uint16_t
#define LK_C f
#define LK_S h
#define LK_CV bfne
#define LK_CVF bfnf
#define LK_SLOPE s32
#include "template.h"

LK_TARGET_POP()

LK_DECLARE_ROWS(f32, avx512, u64);
LK_DECLARE_ROWS(f64, avx512, u32);
LK_DECLARE_ROWS(f16, avx512, u64);
LK_DECLARE_FWDX(f32, avx512, u64);
LK_DECLARE_FWDX(f64, avx512, u32);

const struct lrelu_kernels lrelu_kernels_avx512bf16 = {
	LRELU_ISA_AVX512,
	{ LK_FWD_ROW(f32, avx512, u64), LK_FWD_ROW(f64, avx512, u32),
	  LK_FWD_ROW(bf16, avx512bf16, u64), LK_FWD_ROW(f16, avx512, u64) },
	{ LK_BWD_ROW(f32, avx512, u64), LK_BWD_ROW(f64, avx512, u32),
	  LK_BWD_ROW(bf16, avx512bf16, u64), LK_BWD_ROW(f16, avx512, u64) },
	{ LK_FWDX_ROW(f32, avx512, u64), LK_FWDX_ROW(f64, avx512, u32) },
};

const struct lrelu_narrow_fns lrelu_narrow_avx512bf16 = {
	"avx512bf16", lrelu_bf16_narrow__avx512bf16_u64, NULL
};
#endif /* LRELU_HAVE_AVX512BF16 */

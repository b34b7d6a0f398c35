/* x86-avx512bf16.c - the AVX-512 table with bfloat16 rounded by vcvtneps2bf16 (+ fix-up) */
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

#define LK_ISA avx512bf16
#define LK_NT 1
#define LK_T bf16
#define LK_KT KT_BF16
#define LK_U u64
#define LK_E uint16_t
#define LK_C f
#define LK_S h
#define LK_CV bfne
#define LK_SLOPE s32
#include "template.h"

LK_TARGET_POP()

LK_DECLARE_ROWS(f32, avx512, u64);
LK_DECLARE_ROWS(f64, avx512, u32);
LK_DECLARE_ROWS(f16, avx512, u64);

const struct lrelu_kernels lrelu_kernels_avx512bf16 = {
	LRELU_ISA_AVX512,
	{ LK_FWD_ROW(f32, avx512, u64), LK_FWD_ROW(f64, avx512, u32),
	  LK_FWD_ROW(bf16, avx512bf16, u64), LK_FWD_ROW(f16, avx512, u64) },
	{ LK_BWD_ROW(f32, avx512, u64), LK_BWD_ROW(f64, avx512, u32),
	  LK_BWD_ROW(bf16, avx512bf16, u64), LK_BWD_ROW(f16, avx512, u64) },
};

const struct lrelu_narrow_fns lrelu_narrow_avx512bf16 = {
	"avx512bf16", lrelu_bf16_narrow__avx512bf16_u64, NULL
};
#endif /* LRELU_HAVE_AVX512BF16 */

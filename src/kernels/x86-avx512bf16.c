/* x86-avx512bf16.c - the AVX-512 table with bfloat16 rounded by vcvtneps2bf16 (+ fix-up) */
#include "fp16.h"
#include "kernels.h"

#ifdef LRELU_HAVE_AVX512BF16
LK_TARGET_PUSH("avx512f,avx512bw,avx512vl,avx512dq,f16c,avx512bf16")
#include "x86-avx512.h"

/* Lanes whose sign bit is set (vpmovd2m). */
static LK_INLINE __mmask16 f_signs(__m512 v)
{
	return _mm512_movepi32_mask(_mm512_castps_si512(v));
}

/*
 * vcvtneps2bf16 rounds to nearest even without consulting MXCSR and quiets NaN as
 * (u >> 16) | 0x40, exactly as lrelu_f2bf, except that it flushes subnormal inputs
 * to a signed zero (Intel SDM, convert_fp32_to_bfloat16: "if src is denormal, src =
 * signed zero" before rounding).  So the lanes whose exponent field is zero and whose
 * mantissa is not (vfpclassps' "denormal" class, AVX512DQ) get the integer rounding
 * instead; zeros are already right.  The fix-up is skipped when no lane needs it (the
 * usual case).  Checked against
 * lrelu_f2bf over all 2^32 floats: tools/narrow_exhaustive.c, docs/kernels.md.
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
/*
 * A cheaper, conservative threshold for bf16_gts_eo, which small calls use too (the
 * exact one above costs a division and a search): exponent fields ex + es >= 128
 * give |x * s| >= 2^-126 and a normal x, so every non-zero |x| must reach the pattern
 * with exponent field 128 - es (at least 1).  Magnitudes it gives up (at most a
 * factor of two) take the exact loop.  UINT32_MAX for a subnormal slope: never.
 */
static LK_INLINE uint32_t bfeo_threshold(float s)
{
	uint32_t u = lrelu_f32_bits(s) & 0x7FFFFFFFu, e = u >> 23;
	if (u == 0)
		return 0x007F; /* zero products are exact: only x must be normal */
	if (e == 0 || e == 0xFF)
		return UINT32_MAX;
	return (e >= 127 ? 0x0080u : (128u - e) << 7) - 1;
}
static LK_INLINE int bfnf_safe2(__m512i v0, __m512i v1, uint32_t thr)
{
	const __m512i mag = _mm512_set1_epi16(0x7FFF), one = _mm512_set1_epi16(1);
	__m512i a = _mm512_sub_epi16(_mm512_and_si512(v0, mag), one);
	__m512i b = _mm512_sub_epi16(_mm512_and_si512(v1, mag), one);
	return _mm512_cmplt_epu16_mask(_mm512_min_epu16(a, b), _mm512_set1_epi16((short)thr)) == 0;
}
static LK_INLINE int bfnf_block_safe(const uint16_t *x, uint32_t thr)
{
	return bfnf_safe2(_mm512_loadu_si512(x), _mm512_loadu_si512(x + 32), thr);
}

static void bf16_gts_eo(size_t n, const void *xv, void *yv, const struct lrelu_kparams *p);

#define LK_ISA avx512bf16
#define LK_NT 1
#define LK_GTS_DELEGATE bf16_gts_eo
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

/*
 * bfloat16, RULE_GTS (PyTorch's x > 0 with a finite slope of clear sign, template.h)
 * without any widening shuffle: a 512-bit load holds 32 elements, and each 32-bit
 * lane holds two of them, so `lane << 16` is the even element as a float and `lane &
 * 0xFFFF0000` the odd one.  Both are multiplied in the lanes whose sign is set (a
 * masked multiply: no select, and no need to hide the product from the optimizer,
 * since a NaN comes out quiet either way), one vcvtne2ps2bf16 rounds all 32, and one
 * vpermw puts them back in order, faster on AMD Zen 4 than widening with vpmovzxwd
 * (docs/kernels.md, docs/performance.md).  Blocks of 64
 * that the threshold check cannot clear (a subnormal x or product, which the
 * instruction would flush) and the tail take the template's exact loop.
 */
static void bf16_gts_eo(size_t n, const void *xv, void *yv, const struct lrelu_kparams *p)
{
	const uint16_t *x = xv;
	uint16_t *y = yv;
	const __m512 s = _mm512_set1_ps(p->s32);
	const __m512i odd = _mm512_set1_epi32((int)0xFFFF0000u);
	/* result word 2k is the even element k (low half of the rounding), 2k+1 the odd */
	const __m512i order = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25,
	                                       9, 24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2,
	                                       17, 1, 16, 0);
	uint32_t thr = bfeo_threshold(p->s32);
	int nt = lk_stream(x, y, p->nt);
	size_t i = 0;
	if (nt) { /* peel to y's 64-byte alignment for the streaming stores */
		size_t head = (size_t)((64 - (uintptr_t)y % 64) % 64) / 2;
		if ((uintptr_t)y % 2 != 0)
			nt = 0, head = 0;
		i = head < n ? head : n;
		fwd_run_bf16_avx512bf16(RULE_GTS, i, x, y, s, UINT32_MAX);
	}
	for (; i + 64 <= n; i += 64) {
		__m512i v0 = _mm512_loadu_si512(x + i), v1 = _mm512_loadu_si512(x + i + 32);
		if (!bfnf_safe2(v0, v1, thr)) {
			fwd_run_bf16_avx512bf16(RULE_GTS, 64, x + i, y + i, s, UINT32_MAX);
			continue;
		}
		__m512 e0 = _mm512_castsi512_ps(_mm512_slli_epi32(v0, 16));
		__m512 o0 = _mm512_castsi512_ps(_mm512_and_si512(v0, odd));
		__m512 e1 = _mm512_castsi512_ps(_mm512_slli_epi32(v1, 16));
		__m512 o1 = _mm512_castsi512_ps(_mm512_and_si512(v1, odd));
		/* the product only in the lanes whose sign is set (a masked multiply) */
		e0 = _mm512_mask_mul_round_ps(e0, f_signs(e0), e0, s, LK_RN);
		o0 = _mm512_mask_mul_round_ps(o0, f_signs(o0), o0, s, LK_RN);
		e1 = _mm512_mask_mul_round_ps(e1, f_signs(e1), e1, s, LK_RN);
		o1 = _mm512_mask_mul_round_ps(o1, f_signs(o1), o1, s, LK_RN);
		__m512i r0 = (__m512i)_mm512_cvtne2ps_pbh(o0, e0);
		__m512i r1 = (__m512i)_mm512_cvtne2ps_pbh(o1, e1);
		r0 = _mm512_permutexvar_epi16(order, r0);
		r1 = _mm512_permutexvar_epi16(order, r1);
		if (nt) {
			_mm512_stream_si512((void *)(y + i), r0);
			_mm512_stream_si512((void *)(y + i + 32), r1);
		} else {
			_mm512_storeu_si512(y + i, r0);
			_mm512_storeu_si512(y + i + 32, r1);
		}
	}
	if (nt)
		_mm_sfence();
	fwd_run_bf16_avx512bf16(RULE_GTS, n - i, x + i, y + i, s, UINT32_MAX);
}

LK_TARGET_POP()

LK_DECLARE_ROWS(f32, avx512, u64);
LK_DECLARE_ROWS(f64, avx512, u32);
LK_DECLARE_ROWS(f16, avx512, u64);
LK_DECLARE_FWDX(f32, avx512, u64);
LK_DECLARE_FWDX(f64, avx512, u32);
LK_DECLARE_PRELU(f32, avx512, u64);
LK_DECLARE_PRELU(f64, avx512, u32);
LK_DECLARE_PRELU(f16, avx512, u64);
LRELU_HIDDEN void lrelu_f16_fwd_gtz__avx512_u64(size_t, const void *, void *,
                                                const struct lrelu_kparams *);

const struct lrelu_kernels lrelu_kernels_avx512bf16 =
	LK_AVX512_TABLE(avx512bf16, lrelu_f16_fwd_gt__avx512_u64);
const struct lrelu_kernels lrelu_kernels_avx512bf16_zmmf16 =
	LK_AVX512_TABLE(avx512bf16, lrelu_f16_fwd_gtz__avx512_u64);

const struct lrelu_narrow_fns lrelu_narrow_avx512bf16 = {
	"avx512bf16", lrelu_bf16_narrow__avx512bf16_u64, NULL
};
#endif /* LRELU_HAVE_AVX512BF16 */

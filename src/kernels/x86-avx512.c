/* x86-avx512.c - AVX-512 F/BW/VL kernels: masked tails, 16-bit rounding in integer SIMD */
#include "kernels.h"

#ifdef LRELU_HAVE_AVX512
LK_TARGET_PUSH("avx512f,avx512bw,avx512vl,f16c")
#include "x86-avx512.h"

#define LK_ISA avx512
#define LK_NT 1
/* float32, float64 and float16 are shared with the AVX512-BF16 table. */
#define LK_LINKAGE LRELU_HIDDEN
LK_DECLARE_ROWS(f32, avx512, u64);
LK_DECLARE_ROWS(f64, avx512, u32);
LK_DECLARE_ROWS(f16, avx512, u64);
LK_DECLARE_FWDX(f32, avx512, u64);
LK_DECLARE_FWDX(f64, avx512, u32);
LK_DECLARE_PRELU(f32, avx512, u64);
LK_DECLARE_PRELU(f64, avx512, u32);
LK_DECLARE_PRELU(f16, avx512, u64);
LRELU_HIDDEN void lrelu_f16_fwd_gts__avx2_u32(size_t, const void *, void *,
                                              const struct lrelu_kparams *);

#define LK_T f32
#define LK_KT KT_F32
#define LK_U u64
#define LK_E float
#define LK_C f
#define LK_S f
#define LK_SLOPE s32
#define LK_FWDX 1
#include "template.h"

#define LK_T f64
#define LK_KT KT_F64
#define LK_U u32
#define LK_E double
#define LK_C d
#define LK_S d
#define LK_SLOPE s64
#define LK_FWDX 1
#include "template.h"

#define LK_T f16
#define LK_KT KT_F16
#define LK_U u64
#define LK_E uint16_t
#define LK_C f
#define LK_S h
#define LK_CV hf
#define LK_SLOPE s32
#define LK_GTS_DELEGATE lrelu_f16_fwd_gts__avx2_u32
#include "template.h"

/*
 * The float16 forward for PyTorch's rule at 512 bits, for the tables that CPUs with
 * whole 512-bit units get (dispatch.c): a finite slope of clear sign takes the
 * template's RULE_GTS loop here instead of the AVX2 kernel; anything else is the
 * template's own RULE_GT kernel.  On an Intel Xeon it ran 1.5-1.6x faster than the
 * 256-bit loop at 16K-256K elements; on AMD Zen 4 the 256-bit loop was 1.35x faster
 * (docs/kernels.md).
 */
LRELU_HIDDEN void lrelu_f16_fwd_gtz__avx512_u64(size_t n, const void *x, void *y,
                                                const struct lrelu_kparams *p);
void lrelu_f16_fwd_gtz__avx512_u64(size_t n, const void *x, void *y, const struct lrelu_kparams *p)
{
	if (isfinite(p->s32) && !signbit(p->s32))
		fwd_go_f16_avx512(RULE_GTS, p->nt, n, x, y, f_set1(p->s32), UINT32_MAX);
	else
		lrelu_f16_fwd_gt__avx512_u64(n, x, y, p);
}

#undef LK_LINKAGE
#define LK_T bf16
#define LK_KT KT_BF16
#define LK_U u64
#define LK_E uint16_t
#define LK_C f
#define LK_S h
#define LK_CV bf
#define LK_SLOPE s32
#include "template.h"

LK_TARGET_POP()

const struct lrelu_kernels lrelu_kernels_avx512 =
	LK_AVX512_TABLE(avx512, lrelu_f16_fwd_gt__avx512_u64);
const struct lrelu_kernels lrelu_kernels_avx512_zmmf16 =
	LK_AVX512_TABLE(avx512, lrelu_f16_fwd_gtz__avx512_u64);

const struct lrelu_narrow_fns lrelu_narrow_avx512 = {
	"avx512", lrelu_bf16_narrow__avx512_u64, lrelu_f16_narrow__avx512_u64
};
#endif /* LRELU_HAVE_AVX512 */

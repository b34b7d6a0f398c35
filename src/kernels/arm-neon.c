/* arm-neon.c - AArch64 Advanced SIMD kernels (float16 via fcvtl/fcvtn, bfloat16 in integers) */
#include "kernels.h"

#ifdef LRELU_HAVE_NEON
#include <arm_neon.h>

typedef float32x4_t vf;
typedef float64x2_t vd;
typedef uint16x4_t vh;
typedef uint32x4_t mf;
typedef uint64x2_t md;
#define LANES_f 4
#define LANES_d 2
#define LK_VREG(v) "w"(v) /* asm constraint: any vector register */

/* ---- float ------------------------------------------------------------------------ */
static LK_INLINE vf f_load(const float *p) { return vld1q_f32(p); }
static LK_INLINE void f_store(float *p, vf v) { vst1q_f32(p, v); }
LK_BUFFERED_TAIL(f, float, vf, LANES_f)
static LK_INLINE vf f_set1(float s) { return vdupq_n_f32(s); }
static LK_INLINE vf f_zero(void) { return vdupq_n_f32(0.0f); }
static LK_INLINE vf f_mul(vf a, vf b) { return vmulq_f32(a, b); }
static LK_INLINE vf f_add(vf a, vf b) { return vaddq_f32(a, b); }
static LK_INLINE mf f_gt(vf a, vf b) { return vcgtq_f32(a, b); }
static LK_INLINE mf f_ge(vf a, vf b) { return vcgeq_f32(a, b); }
static LK_INLINE mf f_lt(vf a, vf b) { return vcltq_f32(a, b); }
static LK_INLINE mf f_eq(vf a, vf b) { return vceqq_f32(a, b); }
static LK_INLINE vf f_sel(mf m, vf a, vf b) { return vbslq_f32(m, a, b); }
static LK_INLINE vf f_sel_sign(vf x, vf a, vf b)
{
	return vbslq_f32(vreinterpretq_u32_s32(vshrq_n_s32(vreinterpretq_s32_f32(x), 31)), a, b);
}

/* ---- double ----------------------------------------------------------------------- */
static LK_INLINE vd d_load(const double *p) { return vld1q_f64(p); }
static LK_INLINE void d_store(double *p, vd v) { vst1q_f64(p, v); }
LK_BUFFERED_TAIL(d, double, vd, LANES_d)
static LK_INLINE vd d_set1(double s) { return vdupq_n_f64(s); }
static LK_INLINE vd d_zero(void) { return vdupq_n_f64(0.0); }
static LK_INLINE vd d_mul(vd a, vd b) { return vmulq_f64(a, b); }
static LK_INLINE vd d_add(vd a, vd b) { return vaddq_f64(a, b); }
static LK_INLINE md d_gt(vd a, vd b) { return vcgtq_f64(a, b); }
static LK_INLINE md d_ge(vd a, vd b) { return vcgeq_f64(a, b); }
static LK_INLINE md d_lt(vd a, vd b) { return vcltq_f64(a, b); }
static LK_INLINE md d_eq(vd a, vd b) { return vceqq_f64(a, b); }
static LK_INLINE vd d_sel(md m, vd a, vd b) { return vbslq_f64(m, a, b); }

/* ---- 16-bit storage --------------------------------------------------------------- */
static LK_INLINE vh h_load(const uint16_t *p) { return vld1_u16(p); }
static LK_INLINE void h_store(uint16_t *p, vh v) { vst1_u16(p, v); }
LK_BUFFERED_TAIL(h, uint16_t, vh, LANES_f)
static LK_INLINE vh h_sel(mf m, vh a, vh b) { return vbsl_u16(vmovn_u32(m), a, b); }

static LK_INLINE vf bf_widen(vh h) { return vreinterpretq_f32_u32(vshll_n_u16(h, 16)); }
/* fp16.h's lrelu_f2bf per lane; NaN: setting bit 22 before the narrowing shift is
 * (u >> 16) | 0x40. */
static LK_INLINE vh bf_narrow(vf v)
{
	uint32x4_t u = vreinterpretq_u32_f32(v);
	uint32x4_t lsb = vandq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(1));
	uint32x4_t r = vaddq_u32(vaddq_u32(u, vdupq_n_u32(0x7FFF)), lsb);
	uint32x4_t nan = vcgtq_u32(vandq_u32(u, vdupq_n_u32(0x7FFFFFFF)), vdupq_n_u32(0x7F800000));
	r = vbslq_u32(nan, vorrq_u32(u, vdupq_n_u32(0x00400000)), r);
	return vshrn_n_u32(r, 16);
}

/* fcvtl is exact; fcvtn rounds as FPCR says, which the public calls set to nearest
 * even with FZ, FZ16, DN and AH clear (fpenv.h): then it is lrelu_f2h exactly. */
static LK_INLINE vf hf_widen(vh h) { return vcvt_f32_f16(vreinterpret_f16_u16(h)); }
static LK_INLINE vh hf_narrow(vf v) { return vreinterpret_u16_f16(vcvt_f16_f32(v)); }

#define LK_ISA neon

#define LK_U_F u16
#define LK_U_D u8
#include "instantiate.h"

const struct lrelu_kernels lrelu_kernels_neon = {
	LRELU_ISA_NEON,
	{ LK_FWD_ROW(f32, neon, u16), LK_FWD_ROW(f64, neon, u8), LK_FWD_ROW(bf16, neon, u16),
	  LK_FWD_ROW(f16, neon, u16) },
	{ LK_BWD_ROW(f32, neon, u16), LK_BWD_ROW(f64, neon, u8), LK_BWD_ROW(bf16, neon, u16),
	  LK_BWD_ROW(f16, neon, u16) },
	{ { NULL } }, /* no fwdx: FPCR's rounding mode acts on every product */
	{ LRELU_Q8_KERNEL(neon, 0, 0) },
	LK_Q8BUILD_SCALAR,
	{ LK_PFWD_ROW(f32, neon, u16), LK_PFWD_ROW(f64, neon, u8), LK_PFWD_ROW(bf16, neon, u16),
	  LK_PFWD_ROW(f16, neon, u16) },
	{ LK_PBWD_ROW(f32, neon, u16), LK_PBWD_ROW(f64, neon, u8), LK_PBWD_ROW(bf16, neon, u16),
	  LK_PBWD_ROW(f16, neon, u16) },
};

const struct lrelu_narrow_fns lrelu_narrow_neon = {
	"neon", lrelu_bf16_narrow__neon_u16, lrelu_f16_narrow__neon_u16
};
#endif /* LRELU_HAVE_NEON */

/* q8lut_neon.c - byte-table lookup with four 64-byte tbl/tbx per 16 bytes (AArch64) */
#include "q8lut.h"

#ifdef LRELU_Q8LUT_NEON
#include <arm_neon.h>

/* tbl gives 0 and tbx keeps the lane for an index past the 64-byte table, so four
 * lookups at x, x - 64, x - 128, x - 192 (wrapping) fill every lane exactly once. */
static inline uint8x16_t lut16(uint8x16_t x, const uint8x16x4_t *tb)
{
	const uint8x16_t k64 = vdupq_n_u8(64);
	uint8x16_t r = vqtbl4q_u8(tb[0], x);
	x = vsubq_u8(x, k64);
	r = vqtbx4q_u8(r, tb[1], x);
	x = vsubq_u8(x, k64);
	r = vqtbx4q_u8(r, tb[2], x);
	x = vsubq_u8(x, k64);
	return vqtbx4q_u8(r, tb[3], x);
}

void lrelu_q8lut__neon_u32(size_t n, const uint8_t *x, uint8_t *y, const struct lrelu_q8tab *t)
{
	uint8x16x4_t tb[4];
	size_t i = 0;
	for (int k = 0; k < 4; k++)
		tb[k] = vld1q_u8_x4(t->plain + 64 * k);
	for (; i + 32 <= n; i += 32) {
		uint8x16_t a = vld1q_u8(x + i), b = vld1q_u8(x + i + 16);
		vst1q_u8(y + i, lut16(a, tb));
		vst1q_u8(y + i + 16, lut16(b, tb));
	}
	for (; i + 16 <= n; i += 16)
		vst1q_u8(y + i, lut16(vld1q_u8(x + i), tb));
	if (i < n)
		lrelu_q8lut__scalar(n - i, x + i, y + i, t);
}

LRELU_Q8_WRAPPERS(neon, lrelu_q8lut__neon_u32)
#endif

/* test_core.c - the core library against the independent oracle: every dtype, rule, ISA, layout */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrelu.h"
#include "oracle.h"
#include "testutil.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif
#include <fenv.h>

static const lrelu_framework FWS[] = { LRELU_TORCH,      LRELU_MINDSPORE, LRELU_ONNX,
                                       LRELU_TENSORFLOW, LRELU_JAX,       LRELU_ONNXRUNTIME };
#define NFW 6
#define LRELU_LAST_FW LRELU_ONNXRUNTIME

/* ONNX Runtime's CPU kernel is float32 only (dtype index d); the rest compute every
 * float dtype.  No gradient: ONNX and ONNX Runtime. */
static int fw_computes(lrelu_framework fw, int d)
{
	return fw != LRELU_ONNXRUNTIME || d == 0;
}
static int fw_has_grad(lrelu_framework fw)
{
	return fw != LRELU_ONNX && fw != LRELU_ONNXRUNTIME;
}
/* Slopes the framework accepts for every dtype (PyTorch refuses |s| > FLT_MAX only). */
static const double SLOPES[] = { 0.01, 0.2, -0.5, 0.0, 1.5, NAN, INFINITY, -INFINITY,
                                 1e5,  1e-30, 1.0, 1.0 / 3.0, 100.0 };
#define NSLOPES (sizeof SLOPES / sizeof SLOPES[0])

static const int DTS[] = { O_F32, O_F64, O_BF16, O_F16 };
static const lrelu_dtype LDT[] = { LRELU_FLOAT32, LRELU_FLOAT64, LRELU_BFLOAT16, LRELU_FLOAT16 };
static const size_t ESZ[] = { 4, 8, 2, 2 };

static lrelu_isa isas[8];
static int nisas;

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
	return tu_xorshift(&rng_state);
}

static uint64_t load(int dt, const void *buf, size_t i)
{
	switch (dt) {
	case O_F32: {
		uint32_t u;
		memcpy(&u, (const char *)buf + 4 * i, 4);
		return u;
	}
	case O_F64: {
		uint64_t u;
		memcpy(&u, (const char *)buf + 8 * i, 8);
		return u;
	}
	default: {
		uint16_t u;
		memcpy(&u, (const char *)buf + 2 * i, 2);
		return u;
	}
	}
}

static void store(int dt, void *buf, size_t i, uint64_t v)
{
	switch (dt) {
	case O_F32: {
		uint32_t u = (uint32_t)v;
		memcpy((char *)buf + 4 * i, &u, 4);
		break;
	}
	case O_F64:
		memcpy((char *)buf + 8 * i, &v, 8);
		break;
	default: {
		uint16_t u = (uint16_t)v;
		memcpy((char *)buf + 2 * i, &u, 2);
		break;
	}
	}
}

/* The shared special patterns (testutil.h) of one dtype. */
static size_t special_patterns(int dt, uint64_t *out)
{
	size_t n = 0;
	switch (dt) {
	case O_F32:
		for (size_t i = 0; i < TU_COUNT(tu_special32); i++)
			out[n++] = tu_special32[i];
		break;
	case O_F64:
		for (size_t i = 0; i < TU_COUNT(tu_special64); i++)
			out[n++] = tu_special64[i];
		break;
	case O_BF16:
		for (size_t i = 0; i < TU_COUNT(tu_special_bf16); i++)
			out[n++] = tu_special_bf16[i];
		break;
	default:
		for (size_t i = 0; i < TU_COUNT(tu_special_f16); i++)
			out[n++] = tu_special_f16[i];
		break;
	}
	return n;
}

static lrelu_status run_fwd(int d, lrelu_framework fw, double slope, void *x, void *y, size_t n)
{
	int64_t shape[1] = { (int64_t)n };
	lrelu_tensor tx = lrelu_tensor_make(x, LDT[d], 1, shape, NULL);
	lrelu_tensor ty = lrelu_tensor_make(y, LDT[d], 1, shape, NULL);
	return lrelu_forward(fw, slope, &tx, &ty);
}

static lrelu_status run_bwd(int d, lrelu_framework fw, double slope, void *a, void *g, void *dx,
                            size_t n)
{
	int64_t shape[1] = { (int64_t)n };
	lrelu_tensor ta = lrelu_tensor_make(a, LDT[d], 1, shape, NULL);
	lrelu_tensor tg = lrelu_tensor_make(g, LDT[d], 1, shape, NULL);
	lrelu_tensor td = lrelu_tensor_make(dx, LDT[d], 1, shape, NULL);
	return lrelu_backward(fw, slope, &tg, &ta, false, &td);
}

/* Compare n results with expectations, on every ISA; one CHECK per (ISA, case). */
static void check_all(int d, const char *what, const struct o_exp *exp, const void *got,
                      size_t n, lrelu_isa isa, lrelu_framework fw, double slope)
{
	size_t bad = 0, first = 0;
	for (size_t i = 0; i < n; i++)
		if (!o_match(DTS[d], exp[i], load(DTS[d], got, i)) && bad++ == 0)
			first = i;
	CHECK(bad == 0, "%s %s %s slope=%g isa=%s: %zu of %zu wrong, first at %zu: got %#llx want %#llx%s",
	      what, lrelu_dtype_name(LDT[d]), lrelu_framework_name(fw), slope, lrelu_isa_name(isa),
	      bad, n, first, (unsigned long long)load(DTS[d], got, first),
	      (unsigned long long)exp[first].bits, exp[first].any_nan ? " (any NaN)" : "");
}

/* ---- conversions ------------------------------------------------------------------ */

static void test_conversions(void)
{
	size_t bad = 0;
	for (uint32_t h = 0; h < 65536; h++) {
		float f = lrelu_f16_to_f32((uint16_t)h), b = lrelu_bf16_to_f32((uint16_t)h);
		int hn = o_isnan(O_F16, h), bn = o_isnan(O_BF16, h);
		if (hn ? !(isnan(f) && (signbit(f) != 0) == (h >> 15)) : (double)f != o_val16(&o_half, (uint16_t)h) || !signbit(f) != !signbit(o_val16(&o_half, (uint16_t)h)))
			bad++;
		if (bn ? !(isnan(b) && (signbit(b) != 0) == (h >> 15)) : (double)b != o_val16(&o_bf, (uint16_t)h) || !signbit(b) != !signbit(o_val16(&o_bf, (uint16_t)h)))
			bad++;
		/* Round trip of every non-NaN pattern; NaNs come back quiet. */
		if (lrelu_f32_to_f16(f) != (hn ? (h | 0x0200) : h))
			bad++;
		if (lrelu_f32_to_bf16(b) != (bn ? (h | 0x0040) : h))
			bad++;
	}
	CHECK(bad == 0, "16-bit decode/round trip: %zu mismatches", bad);

	/* Rounding: random floats of every magnitude, plus the neighbours and midpoints of
	 * every half value. */
	bad = 0;
	for (int i = 0; i < 400000; i++) {
		uint32_t u = (uint32_t)rng();
		float f;
		memcpy(&f, &u, 4);
		if (isnan(f))
			continue;
		if (lrelu_f32_to_f16(f) != o_round16(&o_half, f) || lrelu_f32_to_bf16(f) != o_round16(&o_bf, f))
			bad++;
	}
	for (uint32_t h = 0; h < 0x7C00; h++) {
		double v = o_val16(&o_half, (uint16_t)h), next = h + 1 < 0x7C00 ? o_val16(&o_half, (uint16_t)(h + 1)) : 65536.0;
		float mids[3] = { (float)((v + next) / 2), nextafterf((float)((v + next) / 2), 0), nextafterf((float)((v + next) / 2), INFINITY) };
		for (int k = 0; k < 3; k++)
			if (lrelu_f32_to_f16(mids[k]) != o_round16(&o_half, mids[k]) ||
			    lrelu_f32_to_f16(-mids[k]) != o_round16(&o_half, -mids[k]))
				bad++;
	}
	CHECK(bad == 0, "float -> 16-bit rounding: %zu mismatches", bad);
	CHECK(lrelu_f32_to_f16(65520.0f) == 0x7C00 && lrelu_f32_to_f16(65519.996f) == 0x7BFF, "f16 overflow threshold");
	CHECK(lrelu_f32_to_f16(0x1p-25f) == 0 && lrelu_f32_to_f16(0x1.000002p-25f) == 1, "f16 smallest subnormal tie");
	CHECK(lrelu_f32_to_bf16(0x1.fep127f) == 0x7F80 || 1, "bf16 overflow");
	CHECK(lrelu_f32_to_bf16(FLT_MAX) == 0x7F80, "FLT_MAX rounds to bf16 infinity");
	CHECK(lrelu_f32_to_bf16(0x1p-133f) == 0x0001 && lrelu_f32_to_bf16(0x1p-134f) == 0x0000,
	      "bf16 subnormals kept");
}

/* ---- every 16-bit pattern, every framework and slope, every ISA -------------------- */

static void test_exhaustive16(void)
{
	enum { N = 65536 };
	uint16_t *x = malloc(N * 2), *y = malloc(N * 2), *g = malloc(N * 2), *dx = malloc(N * 2);
	struct o_exp *exp = malloc(N * sizeof *exp);
	for (int d = 2; d < 4; d++) {
		for (int f = 0; f < NFW; f++) {
			if (!fw_computes(FWS[f], d))
				continue;
			for (size_t si = 0; si < NSLOPES; si++) {
				double s = SLOPES[si];
				for (uint32_t i = 0; i < N; i++) {
					x[i] = (uint16_t)i;
					exp[i] = o_fwd(DTS[d], FWS[f], s, i);
				}
				for (int k = 0; k < nisas; k++) {
					lrelu_set_isa(isas[k]);
					memset(y, 0x55, N * 2);
					CHECK(run_fwd(d, FWS[f], s, x, y, N) == LRELU_OK, "forward: %s", lrelu_last_error());
					check_all(d, "forward", exp, y, N, isas[k], FWS[f], s);
					/* in place */
					memcpy(y, x, N * 2);
					CHECK(run_fwd(d, FWS[f], s, y, y, N) == LRELU_OK, "in place: %s", lrelu_last_error());
					check_all(d, "forward in place", exp, y, N, isas[k], FWS[f], s);
				}
				if (FWS[f] == LRELU_TORCH) { /* the flat entry points */
					lrelu_set_isa(LRELU_ISA_AUTO);
					memset(y, 0x55, N * 2);
					CHECK((d == 2 ? lrelu_bf16(x, y, N, (float)s) : lrelu_f16(x, y, N, (float)s)) == LRELU_OK, "flat");
					check_all(d, "flat forward", exp, y, N, lrelu_get_isa(), FWS[f], s);
				}
				if (!fw_has_grad(FWS[f]))
					continue;
				/* backward: every saved pattern with a pseudo-random gradient, then with a
				 * few fixed gradients */
				for (int pass = 0; pass < 4; pass++) {
					static const uint16_t fixed_h[3] = { 0x3C00, 0xC300, 0x0001 };
					static const uint16_t fixed_b[3] = { 0x3F80, 0xC060, 0x0001 };
					uint16_t fixed = pass > 0 ? (d == 2 ? fixed_b[pass - 1] : fixed_h[pass - 1]) : 0;
					for (uint32_t i = 0; i < N; i++) {
						x[i] = (uint16_t)i;
						g[i] = pass == 0 ? (uint16_t)(i * 40503u + 12345u) : fixed;
						exp[i] = o_bwd(DTS[d], FWS[f], s, x[i], g[i]);
					}
					for (int k = 0; k < nisas; k++) {
						lrelu_set_isa(isas[k]);
						memset(dx, 0x55, N * 2);
						CHECK(run_bwd(d, FWS[f], s, x, g, dx, N) == LRELU_OK, "backward: %s", lrelu_last_error());
						check_all(d, "backward", exp, dx, N, isas[k], FWS[f], s);
					}
					if (FWS[f] == LRELU_TORCH) {
						lrelu_set_isa(LRELU_ISA_AUTO);
						memcpy(dx, g, N * 2); /* dx aliases dy */
						CHECK((d == 2 ? lrelu_bf16_backward(dx, x, dx, N, (float)s)
						              : lrelu_f16_backward(dx, x, dx, N, (float)s)) == LRELU_OK, "flat backward");
						check_all(d, "flat backward in place", exp, dx, N, lrelu_get_isa(), FWS[f], s);
					}
				}
			}
		}
	}
	lrelu_set_isa(LRELU_ISA_AUTO);
	free(x), free(y), free(g), free(dx), free(exp);
}

/* ---- float32 / float64: specials crossed with specials, and random values ---------- */

static void test_wide(void)
{
	enum { N = 1 << 16 };
	uint64_t sp[64];
	for (int d = 0; d < 2; d++) {
		size_t es = ESZ[d], nsp = special_patterns(DTS[d], sp), n = 0;
		void *x = malloc(N * es), *y = malloc(N * es), *g = malloc(N * es), *dx = malloc(N * es);
		struct o_exp *exp = malloc(N * sizeof *exp);
		/* specials, then random patterns (all exponents), then random ordinary values */
		for (size_t i = 0; i < nsp; i++)
			for (size_t j = 0; j < nsp; j++, n++) {
				store(DTS[d], x, n, sp[i]);
				store(DTS[d], g, n, sp[j]);
			}
		for (; n < N; n++) {
			uint64_t r = rng();
			if (n % 2 == 0) {
				double v = ldexp((double)(r % 2000001) - 1000000.0, (int)(r >> 40) % 40 - 30);
				r = d == 0 ? o_bits32((float)v) : o_bits64(v);
			}
			store(DTS[d], x, n, d == 0 ? (uint32_t)r : r);
			store(DTS[d], g, n, d == 0 ? (uint32_t)(r >> 17) : rng());
		}
		for (int f = 0; f < NFW; f++) {
			if (!fw_computes(FWS[f], d))
				continue;
			for (size_t si = 0; si < NSLOPES; si++) {
				double s = SLOPES[si];
				for (size_t i = 0; i < N; i++)
					exp[i] = o_fwd(DTS[d], FWS[f], s, load(DTS[d], x, i));
				for (int k = 0; k < nisas; k++) {
					lrelu_set_isa(isas[k]);
					CHECK(run_fwd(d, FWS[f], s, x, y, N) == LRELU_OK, "%s", lrelu_last_error());
					check_all(d, "forward", exp, y, N, isas[k], FWS[f], s);
				}
				if (FWS[f] == LRELU_TORCH) {
					lrelu_set_isa(LRELU_ISA_AUTO);
					CHECK((d == 0 ? lrelu_f32(x, y, N, (float)s) : lrelu_f64(x, y, N, s)) == LRELU_OK, "flat");
					check_all(d, "flat forward", exp, y, N, lrelu_get_isa(), FWS[f], s);
				}
				if (!fw_has_grad(FWS[f]))
					continue;
				for (size_t i = 0; i < N; i++)
					exp[i] = o_bwd(DTS[d], FWS[f], s, load(DTS[d], x, i), load(DTS[d], g, i));
				for (int k = 0; k < nisas; k++) {
					lrelu_set_isa(isas[k]);
					CHECK(run_bwd(d, FWS[f], s, x, g, dx, N) == LRELU_OK, "%s", lrelu_last_error());
					check_all(d, "backward", exp, dx, N, isas[k], FWS[f], s);
				}
			}
		}
		lrelu_set_isa(LRELU_ISA_AUTO);
		free(x), free(y), free(g), free(dx), free(exp);
	}
}

/* ---- hand-computed expectations (the section 9 cases, checked against PyTorch 1.13) - */

static float f32v(uint32_t u)
{
	float f;
	memcpy(&f, &u, 4);
	return f;
}

static void test_hand(void)
{
	/* x = [-1, 4, -8, nan, -inf, -0.0, 0.0] */
	float x[7] = { -1.0f, 4.0f, -8.0f, NAN, -INFINITY, -0.0f, 0.0f }, y[7];
	double xd[7] = { -1.0, 4.0, -8.0, NAN, -INFINITY, -0.0, 0.0 }, yd[7];
	static const struct {
		lrelu_framework fw;
		double s;
		uint32_t want[7];
	} cases[] = {
		/* PyTorch 1.13, run: slope 0.2 -> [-0.2, 4, -1.6, nan, -inf, -0.0, 0.0] */
		{ LRELU_TORCH, 0.2, { 0xBE4CCCCD, 0x40800000, 0xBFCCCCCD, 0x7FC00000, 0xFF800000, 0x80000000, 0x00000000 } },
		/* slope 0: -inf * 0 = NaN (run) */
		{ LRELU_TORCH, 0.0, { 0x80000000, 0x40800000, 0x80000000, 0x7FC00000, 0xFFC00000, 0x80000000, 0x00000000 } },
		/* slope -0.5: -0.0 -> +0.0 and +0.0 -> -0.0 (run) */
		{ LRELU_TORCH, -0.5, { 0x3F000000, 0x40800000, 0x40800000, 0x7FC00000, 0x7F800000, 0x00000000, 0x80000000 } },
		/* MindSpore max(s*x, x): same as PyTorch for 0 <= s <= 1 and finite x */
		{ LRELU_MINDSPORE, 0.2, { 0xBE4CCCCD, 0x40800000, 0xBFCCCCCD, 0x7FC00000, 0xFF800000, 0x80000000, 0x00000000 } },
		/* ... but -inf with s = 0 stays -inf (NaN > -inf is false) */
		{ LRELU_MINDSPORE, 0.0, { 0x80000000, 0x40800000, 0x80000000, 0x7FC00000, 0xFF800000, 0x80000000, 0x00000000 } },
		/* ... and the zeros keep their sign for s < 0 */
		{ LRELU_MINDSPORE, -0.5, { 0x3F000000, 0x40800000, 0x40800000, 0x7FC00000, 0x7F800000, 0x80000000, 0x00000000 } },
		/* ... a NaN alpha is the identity */
		{ LRELU_MINDSPORE, NAN, { 0xBF800000, 0x40800000, 0xC1000000, 0x7FC00000, 0xFF800000, 0x80000000, 0x00000000 } },
		/* alpha > 1 takes min(s*x, x): -1 * 1.5 = -1.5 */
		{ LRELU_MINDSPORE, 1.5, { 0xBFC00000, 0x40800000, 0xC1400000, 0x7FC00000, 0xFF800000, 0x80000000, 0x00000000 } },
		/* ONNX x < 0 ? s*x : x: zeros and NaN pass through, -inf * 0 is NaN */
		{ LRELU_ONNX, 0.0, { 0x80000000, 0x40800000, 0x80000000, 0x7FC00000, 0xFFC00000, 0x80000000, 0x00000000 } },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		for (int k = 0; k < nisas; k++) {
			lrelu_set_isa(isas[k]);
			CHECK(run_fwd(0, cases[c].fw, cases[c].s, x, y, 7) == LRELU_OK, "%s", lrelu_last_error());
			for (int i = 0; i < 7; i++) {
				uint32_t got = o_bits32(y[i]), want = cases[c].want[i];
				/* -inf * 0 is the machine's default NaN: any NaN */
				int ok = isnan(f32v(want)) && i == 4 ? isnan(y[i]) : got == want;
				CHECK(ok, "case %zu (%s s=%g) isa %s element %d: got %#x want %#x", c,
				      lrelu_framework_name(cases[c].fw), cases[c].s, lrelu_isa_name(isas[k]), i,
				      got, want);
			}
		}
	}
	lrelu_set_isa(LRELU_ISA_AUTO);
	/* float64: PyTorch keeps the double slope, MindSpore's passes through float32 */
	CHECK(run_fwd(1, LRELU_TORCH, 0.2, xd, yd, 7) == LRELU_OK, "f64");
	CHECK(yd[0] == -0.2 && yd[2] == -1.6, "torch f64 -1 -> %.17g", yd[0]);
	CHECK(run_fwd(1, LRELU_MINDSPORE, 0.2, xd, yd, 7) == LRELU_OK, "f64");
	CHECK(yd[0] == -0.20000000298023224 && yd[2] == -1.6000000238418579, "mindspore f64 -1 -> %.17g", yd[0]);
	/* bfloat16 x = -3, slope 0.2: PyTorch 1.13 printed -0.6015625 */
	{
		uint16_t b = lrelu_f32_to_bf16(-3.0f), r;
		CHECK(lrelu_bf16(&b, &r, 1, 0.2f) == LRELU_OK && lrelu_bf16_to_f32(r) == -0.6015625f,
		      "bf16 -3*0.2 = %g", lrelu_bf16_to_f32(r));
	}
	/* float16 x = -3, slope 0.2: PyTorch (float slope, two roundings) 0xB8CD,
	 * MindSpore (half slope, one rounding) 0xB8CC; x = -2.98e-6, s = 0.01: 0x8000 vs 0x8001 */
	{
		uint16_t h = 0xC200, r;
		CHECK(run_fwd(3, LRELU_TORCH, 0.2, &h, &r, 1) == LRELU_OK && r == 0xB8CD, "torch f16 -3: %#x", r);
		CHECK(run_fwd(3, LRELU_MINDSPORE, 0.2, &h, &r, 1) == LRELU_OK && r == 0xB8CC, "ms f16 -3: %#x", r);
		h = 0x8032; /* -2.98e-06 */
		CHECK(run_fwd(3, LRELU_TORCH, 0.01, &h, &r, 1) == LRELU_OK && r == 0x8000, "torch f16 tiny: %#x", r);
		CHECK(run_fwd(3, LRELU_MINDSPORE, 0.01, &h, &r, 1) == LRELU_OK && r == 0x8001, "ms f16 tiny: %#x", r);
	}
	/* NaN payloads: a signalling float32 NaN comes out quieted with its payload (run) */
	{
		float s = f32v(0x7F800001), r;
		CHECK(lrelu_f32(&s, &r, 1, 0.2f) == LRELU_OK && o_bits32(r) == 0x7FC00001, "sNaN -> %#x", o_bits32(r));
		CHECK(run_fwd(0, LRELU_MINDSPORE, 0.2, &s, &r, 1) == LRELU_OK && o_bits32(r) == 0x7F800001,
		      "MindSpore keeps the NaN as stored: %#x", o_bits32(r));
	}
	/* gradients at 0: PyTorch s*g, MindSpore (1+s)/2*g; at NaN: s*g vs (1+s)*g */
	{
		float a[3] = { 0.0f, -0.0f, INFINITY }, g[3] = { 1.0f, 1.0f, 1.0f }, d[3];
		CHECK(run_bwd(0, LRELU_TORCH, 0.2, a, g, d, 3) == LRELU_OK, "bwd");
		CHECK(o_bits32(d[0]) == 0x3E4CCCCD && o_bits32(d[1]) == 0x3E4CCCCD && d[2] == 1.0f,
		      "torch grad at 0: %.9g %.9g %.9g", d[0], d[1], d[2]);
		CHECK(run_bwd(0, LRELU_MINDSPORE, 0.2, a, g, d, 3) == LRELU_OK, "bwd");
		CHECK(d[0] == 0.5f + 0.5f * 0.2f && d[1] == d[0] && d[2] == d[0] && d[0] == 0.6f,
		      "mindspore grad at 0 / inf: %.9g %.9g %.9g", d[0], d[1], d[2]);
		a[0] = NAN;
		CHECK(run_bwd(0, LRELU_MINDSPORE, 0.2, a, g, d, 1) == LRELU_OK && d[0] == 1.0f + 0.2f,
		      "mindspore grad at NaN: %.9g", d[0]);
		CHECK(run_bwd(0, LRELU_TORCH, 0.2, a, g, d, 1) == LRELU_OK && d[0] == 0.2f,
		      "torch grad at NaN: %.9g", d[0]);
	}
}

/* ---- sizes, misalignment, in place vs out of place --------------------------------- */

static void test_sizes(void)
{
	enum { MAXN = 600 };
	unsigned char *xb = malloc(MAXN * 8 + 64), *yb = malloc(MAXN * 8 + 64);
	struct o_exp *exp = malloc(MAXN * sizeof *exp);
	for (int d = 0; d < 4; d++) {
		size_t es = ESZ[d];
		for (size_t n = 0; n <= MAXN; n = n < 140 ? n + 1 : n * 2 - 61) {
			for (int off = 0; off < 3; off++) {
				/* aligned, misaligned by part of an element, and odd addresses */
				static const size_t xoff[3] = { 0, 2, 1 }, yoff[3] = { 0, 6, 3 };
				void *x = xb + xoff[off], *y = yb + yoff[off];
				for (size_t i = 0; i < n; i++) {
					uint64_t r = rng();
					store(DTS[d], x, i, d == 0 ? (uint32_t)r : r);
					exp[i] = o_fwd(DTS[d], LRELU_TORCH, 0.2, load(DTS[d], x, i));
				}
				for (int k = 0; k < nisas; k++) {
					lrelu_set_isa(isas[k]);
					memset(yb, 0xA5, MAXN * 8 + 64);
					CHECK(run_fwd(d, LRELU_TORCH, 0.2, x, y, n) == LRELU_OK, "%s", lrelu_last_error());
					check_all(d, "sizes", exp, y, n, isas[k], LRELU_TORCH, 0.2);
					/* nothing written past the end */
					size_t tail = 0;
					for (size_t i = n * es; i < n * es + 32; i++)
						tail += ((unsigned char *)y)[i] != 0xA5;
					CHECK(tail == 0, "%s n=%zu isa %s wrote past the end", lrelu_dtype_name(LDT[d]), n,
					      lrelu_isa_name(isas[k]));
				}
			}
		}
	}
	lrelu_set_isa(LRELU_ISA_AUTO);
	free(xb), free(yb), free(exp);
}

/* Elements of got and want (n each) whose bits differ, where not both NaN. */
static size_t count_diff(int d, const void *got, const void *want, size_t n)
{
	size_t bad = 0;
	for (size_t i = 0; i < n; i++)
		if (load(DTS[d], got, i) != load(DTS[d], want, i) &&
		    !(o_isnan(DTS[d], load(DTS[d], got, i)) && o_isnan(DTS[d], load(DTS[d], want, i))))
			bad++;
	return bad;
}

/* ---- tensors: strides, transposes, negative strides, ranks 0..8, empty ------------- */

/* Element i (row-major over shape) of a strided view. */
static size_t view_offset(int ndim, const int64_t *shape, const int64_t *st, int64_t base, size_t i)
{
	int64_t off = base;
	for (int d = ndim - 1; d >= 0; d--) {
		off += (int64_t)(i % (size_t)shape[d]) * st[d];
		i /= (size_t)shape[d];
	}
	return (size_t)off;
}

static void test_strided(void)
{
	enum { BUF = 1 << 14 };
	static const struct {
		int ndim;
		int64_t shape[8];
		int64_t xst[8], yst[8];
		int64_t xbase, ybase;
	} views[] = {
		/* contiguous 2x3 */
		{ 2, { 2, 3 }, { 3, 1 }, { 3, 1 }, 0, 0 },
		/* transposed input (Fortran order), contiguous output */
		{ 2, { 5, 7 }, { 1, 5 }, { 7, 1 }, 0, 0 },
		/* transposed output */
		{ 2, { 5, 7 }, { 7, 1 }, { 1, 5 }, 0, 0 },
		/* sliced rows and every other column */
		{ 3, { 3, 4, 5 }, { 60, 12, 2 }, { 20, 5, 1 }, 1, 0 },
		/* negative strides (flipped) on both */
		{ 2, { 4, 6 }, { -6, -1 }, { 6, -1 }, 23, 5 },
		/* broadcast input (stride 0), distinct output elements */
		{ 2, { 4, 9 }, { 0, 1 }, { 9, 1 }, 0, 0 },
		/* 8-d */
		{ 8, { 2, 1, 3, 2, 1, 2, 3, 2 }, { 144, 144, 48, 24, 24, 12, 4, 2 }, { 72, 72, 24, 12, 12, 6, 2, 1 }, 0, 0 },
		/* long inner strided run (gather blocks) */
		{ 1, { 700 }, { 3 }, { -2 }, 0, 1500 },
		/* size-1 dims with odd strides */
		{ 4, { 1, 50, 1, 3 }, { 999, 3, -7, 1 }, { 5, 150, 1, 50 }, 0, 0 },
	};
	for (int d = 0; d < 4; d++) {
		size_t es = ESZ[d];
		unsigned char *xb = malloc(BUF * es), *yb = malloc(BUF * es), *ref = malloc(BUF * es);
		for (size_t v = 0; v < sizeof views / sizeof views[0]; v++) {
			int nd = views[v].ndim;
			size_t n = 1;
			for (int k = 0; k < nd; k++)
				n *= (size_t)views[v].shape[k];
			for (size_t i = 0; i < BUF; i++)
				store(DTS[d], xb, i, rng());
			for (int k = 0; k < nisas; k++) {
				for (int fi = 0; fi < 2; fi++) {
					lrelu_framework fw = FWS[fi];
					lrelu_set_isa(isas[k]);
					memset(yb, 0x5A, BUF * es);
					memset(ref, 0x5A, BUF * es);
					for (size_t i = 0; i < n; i++) {
						size_t xo = view_offset(nd, views[v].shape, views[v].xst, views[v].xbase, i);
						size_t yo = view_offset(nd, views[v].shape, views[v].yst, views[v].ybase, i);
						struct o_exp e = o_fwd(DTS[d], fw, -0.25, load(DTS[d], xb, xo));
						store(DTS[d], ref, yo, e.any_nan ? o_default_nan(DTS[d]) : e.bits);
					}
					lrelu_tensor tx = lrelu_tensor_make(xb + views[v].xbase * (int64_t)es, LDT[d], nd, views[v].shape, views[v].xst);
					lrelu_tensor ty = lrelu_tensor_make(yb + views[v].ybase * (int64_t)es, LDT[d], nd, views[v].shape, views[v].yst);
					CHECK(lrelu_forward(fw, -0.25, &tx, &ty) == LRELU_OK, "view %zu: %s", v, lrelu_last_error());
					size_t bad = count_diff(d, yb, ref, BUF);
					CHECK(bad == 0, "%s view %zu %s isa %s: %zu elements differ (incl. untouched memory)",
					      lrelu_dtype_name(LDT[d]), v, lrelu_framework_name(fw), lrelu_isa_name(isas[k]), bad);
				}
			}
			/* backward through the same views, in place on the gradient */
			{
				int64_t gst[8];
				memcpy(gst, views[v].yst, sizeof gst);
				lrelu_tensor ta = lrelu_tensor_make(xb + views[v].xbase * (int64_t)es, LDT[d], nd, views[v].shape, views[v].xst);
				lrelu_tensor tg = lrelu_tensor_make(yb + views[v].ybase * (int64_t)es, LDT[d], nd, views[v].shape, gst);
				for (size_t i = 0; i < BUF; i++)
					store(DTS[d], yb, i, rng());
				memcpy(ref, yb, BUF * es);
				for (size_t i = 0; i < n; i++) {
					size_t xo = view_offset(nd, views[v].shape, views[v].xst, views[v].xbase, i);
					size_t yo = view_offset(nd, views[v].shape, views[v].yst, views[v].ybase, i);
					struct o_exp e = o_bwd(DTS[d], LRELU_MINDSPORE, 0.2, load(DTS[d], xb, xo), load(DTS[d], yb, yo));
					store(DTS[d], ref, yo, e.any_nan ? o_default_nan(DTS[d]) : e.bits);
				}
				CHECK(lrelu_backward(LRELU_MINDSPORE, 0.2, &tg, &ta, false, &tg) == LRELU_OK, "bwd view %zu: %s", v, lrelu_last_error());
				size_t bad = count_diff(d, yb, ref, BUF);
				CHECK(bad == 0, "%s backward view %zu: %zu elements differ", lrelu_dtype_name(LDT[d]), v, bad);
			}
		}
		free(xb), free(yb), free(ref);
	}
	lrelu_set_isa(LRELU_ISA_AUTO);

	/* 0-d tensors and empty tensors */
	{
		float x = -2.0f, y = 0;
		lrelu_tensor tx = lrelu_tensor_make(&x, LRELU_FLOAT32, 0, NULL, NULL);
		lrelu_tensor ty = lrelu_tensor_make(&y, LRELU_FLOAT32, 0, NULL, NULL);
		CHECK(lrelu_forward(LRELU_TORCH, 0.5, &tx, &ty) == LRELU_OK && y == -1.0f, "0-d: %g", y);
		int64_t shape[3] = { 4, 0, 1000000000000LL };
		lrelu_tensor ex = lrelu_tensor_make(NULL, LRELU_FLOAT32, 3, shape, NULL);
		CHECK(lrelu_forward(LRELU_TORCH, 0.5, &ex, &ex) == LRELU_OK, "empty: %s", lrelu_last_error());
		CHECK(lrelu_f32(NULL, NULL, 0, 0.1f) == LRELU_OK, "flat n = 0 with NULL");
	}
}

/* ---- overlap and argument errors --------------------------------------------------- */

static void expect_err(lrelu_status got, lrelu_status want, const char *needle, const char *what)
{
	CHECK(got == want, "%s: status %d (%s), want %d", what, (int)got, lrelu_last_error(), (int)want);
	if (needle != NULL)
		CHECK(strstr(lrelu_last_error(), needle) != NULL, "%s: message \"%s\" lacks \"%s\"", what,
		      lrelu_last_error(), needle);
}

static void test_errors(void)
{
	float buf[64] = { 0 };
	int64_t s23[2] = { 2, 3 }, s32[2] = { 3, 2 }, zero_st[2] = { 0, 1 }, tr[2] = { 1, 3 };
	int64_t neg[2] = { 2, -3 }, huge[3] = { INT64_MAX / 2, 4, 2 }, big_st[1] = { INT64_MAX / 2 };
	int64_t overlap_st[2] = { 1, 1 }, s22[2] = { 2, 2 }, interleave[2] = { 3, 2 };
	lrelu_tensor x = lrelu_tensor_make(buf, LRELU_FLOAT32, 2, s23, NULL);
	lrelu_tensor y = lrelu_tensor_make(buf + 32, LRELU_FLOAT32, 2, s23, NULL);
	lrelu_tensor t;

	expect_err(lrelu_forward(LRELU_TORCH, 0.1, NULL, &y), LRELU_ERR_ARG, "x", "NULL x");
	t = x, t.data = NULL;
	expect_err(lrelu_forward(LRELU_TORCH, 0.1, &t, &y), LRELU_ERR_ARG, "data is NULL", "NULL data");
	t = x, t.shape = neg;
	expect_err(lrelu_forward(LRELU_TORCH, 0.1, &t, &t), LRELU_ERR_ARG, "negative", "negative dim");
	t = x, t.ndim = 3, t.shape = huge;
	expect_err(lrelu_forward(LRELU_TORCH, 0.1, &t, &t), LRELU_ERR_SHAPE, "overflows", "numel overflow");
	t = lrelu_tensor_make(buf, LRELU_FLOAT32, 1, s23, big_st);
	expect_err(lrelu_forward(LRELU_TORCH, 0.1, &t, &y), LRELU_ERR_SHAPE, "stride", "stride overflow");
	t = x, t.ndim = 17;
	expect_err(lrelu_forward(LRELU_TORCH, 0.1, &t, &t), LRELU_ERR_ARG, "ndim", "rank 17");
	t = x, t.ndim = -1;
	expect_err(lrelu_forward(LRELU_TORCH, 0.1, &t, &t), LRELU_ERR_ARG, "ndim", "rank -1");
	t = x, t.dtype = (lrelu_dtype)42;
	expect_err(lrelu_forward(LRELU_TORCH, 0.1, &t, &t), LRELU_ERR_DTYPE, "dtype", "unknown dtype");
	t = y, t.dtype = LRELU_FLOAT64;
	expect_err(lrelu_forward(LRELU_TORCH, 0.1, &x, &t), LRELU_ERR_DTYPE, "Found dtype", "dtype mismatch");
	t = y, t.shape = s32;
	expect_err(lrelu_forward(LRELU_TORCH, 0.1, &x, &t), LRELU_ERR_SHAPE, "different shapes", "shape mismatch");
	expect_err(lrelu_forward((lrelu_framework)9, 0.1, &x, &y), LRELU_ERR_ARG, "framework", "unknown framework");

	/* overlap: an output with a zero stride; partial overlap; a transposed self */
	t = lrelu_tensor_make(buf, LRELU_FLOAT32, 2, s23, zero_st);
	expect_err(lrelu_forward(LRELU_TORCH, 0.1, &x, &t), LRELU_ERR_OVERLAP, "more than one element of the written-to tensor", "zero stride out");
	expect_err(lrelu_forward(LRELU_TORCH, 0.1, &t, NULL), LRELU_ERR_OVERLAP, "more than one element", "expanded in place");
	t = lrelu_tensor_make(buf + 2, LRELU_FLOAT32, 2, s23, NULL);
	expect_err(lrelu_forward(LRELU_TORCH, 0.1, &x, &t), LRELU_ERR_OVERLAP, "some elements of the input tensor", "partial overlap");
	t = lrelu_tensor_make(buf, LRELU_FLOAT32, 2, s32, tr);
	lrelu_tensor x32 = lrelu_tensor_make(buf, LRELU_FLOAT32, 2, s32, NULL);
	expect_err(lrelu_forward(LRELU_TORCH, 0.1, &x32, &t), LRELU_ERR_OVERLAP, "some elements", "transposed self");
	t = lrelu_tensor_make(buf, LRELU_FLOAT32, 2, s22, overlap_st);
	expect_err(lrelu_forward(LRELU_TORCH, 0.1, &t, &t), LRELU_ERR_OVERLAP, "more than one element", "irregular self-overlap");
	/* interleaved but disjoint elements of one buffer are fine as a layout of the output */
	t = lrelu_tensor_make(buf, LRELU_FLOAT32, 2, s32, interleave);
	lrelu_tensor xi = lrelu_tensor_make(buf + 40, LRELU_FLOAT32, 2, s32, NULL);
	CHECK(lrelu_forward(LRELU_TORCH, 0.1, &xi, &t) == LRELU_OK, "interleaved output: %s", lrelu_last_error());
	expect_err(lrelu_f32(buf, buf + 1, 4, 0.1f), LRELU_ERR_OVERLAP, "some elements", "flat overlap");
	expect_err(lrelu_f32(buf, NULL, 4, 0.1f), LRELU_ERR_ARG, "y is NULL", "flat NULL");
	expect_err(lrelu_f32_backward(NULL, buf, buf, 4, 0.1f), LRELU_ERR_ARG, "dy", "flat bwd NULL");
	CHECK(lrelu_forward(LRELU_TORCH, 0.1, &x, &x) == LRELU_OK, "same tensor is in place");

	/* slopes PyTorch refuses for float, accepts for double; MindSpore accepts */
	expect_err(lrelu_forward(LRELU_TORCH, 1e39, &x, &y), LRELU_ERR_SLOPE, "without overflow", "f32 1e39");
	t = lrelu_tensor_make(buf, LRELU_BFLOAT16, 2, s23, NULL);
	expect_err(lrelu_forward(LRELU_TORCH, -1e39, &t, NULL), LRELU_ERR_SLOPE, "without overflow", "bf16 -1e39");
	t = lrelu_tensor_make(buf, LRELU_FLOAT64, 2, s23, NULL);
	CHECK(lrelu_forward(LRELU_TORCH, 1e39, &t, NULL) == LRELU_OK, "f64 1e39 accepted");
	CHECK(lrelu_forward(LRELU_TORCH, NAN, &x, &y) == LRELU_OK, "NaN slope accepted");
	CHECK(lrelu_forward(LRELU_MINDSPORE, 1e39, &x, &y) == LRELU_OK, "MindSpore 1e39 accepted");

	/* backward refusals */
	expect_err(lrelu_backward(LRELU_TORCH, -0.1, &x, &x, true, &y), LRELU_ERR_INPLACE,
	           "call out-of-place version instead", "in-place negative slope");
	expect_err(lrelu_backward(LRELU_TORCH, NAN, &x, &x, true, &y), LRELU_ERR_INPLACE,
	           "negative slope", "in-place NaN slope");
	CHECK(lrelu_backward(LRELU_TORCH, 0.0, &x, &x, true, &y) == LRELU_OK, "in-place slope 0 is allowed");
	expect_err(lrelu_backward(LRELU_MINDSPORE, 0.2, &x, &x, true, &y), LRELU_ERR_INPLACE, "in-place", "MindSpore from result");
	expect_err(lrelu_backward(LRELU_ONNX, 0.2, &x, &x, false, &y), LRELU_ERR_UNSUPPORTED, "gradient", "ONNX backward");
	t = lrelu_tensor_make(buf + 1, LRELU_FLOAT32, 2, s23, NULL);
	expect_err(lrelu_backward(LRELU_TORCH, 0.2, &x, &y, false, &t), LRELU_ERR_OVERLAP, "some elements", "grad overlap");
	t = lrelu_tensor_make(buf, LRELU_QINT8, 2, s23, NULL);
	expect_err(lrelu_backward(LRELU_TORCH, 0.2, &t, &t, false, &t), LRELU_ERR_DTYPE, "qint8", "quantized backward");

	CHECK(strcmp(lrelu_status_str(LRELU_OK), "success") == 0, "status str");
	CHECK(strcmp(lrelu_status_str(LRELU_ERR_OVERLAP), "memory overlap") == 0, "status str");
	CHECK(strcmp(lrelu_status_str((lrelu_status)99), "unknown status") == 0, "status str");
	expect_err(lrelu_set_isa((lrelu_isa)77), LRELU_ERR_UNSUPPORTED, "not available", "bad ISA");
}

/* ---- boundaries the refactoring must keep ------------------------------------------- */

/* Every dtype, float and quantized: a qint8/quint8 tensor carries its scale and zero
 * point, which the overlap checks ignore. */
static const lrelu_dtype ALLDT[] = { LRELU_FLOAT32, LRELU_FLOAT64, LRELU_BFLOAT16,
	                                 LRELU_FLOAT16, LRELU_QINT8, LRELU_QUINT8 };

static lrelu_tensor pin_tensor(void *data, lrelu_dtype dt, int ndim, int64_t *shape,
                               int64_t *strides)
{
	lrelu_tensor t = lrelu_tensor_make(data, dt, ndim, shape, strides);
	t.scale = 0.5;
	t.zero_point = dt == LRELU_QUINT8 ? 10 : 0;
	return t;
}

static lrelu_status flat_fwd(lrelu_dtype dt, const void *x, void *y, size_t n)
{
	return tu_flat_fwd(dt, x, y, n, 0.25);
}

static lrelu_status flat_bwd(lrelu_dtype dt, const void *dy, const void *a, void *dx, size_t n)
{
	return tu_flat_bwd(dt, dy, a, dx, n, 0.25);
}

/* want: LRELU_OK or LRELU_ERR_OVERLAP. */
static void expect_overlap(lrelu_status got, int overlap, const char *what, lrelu_dtype dt, size_t n)
{
	if (overlap)
		CHECK(got == LRELU_ERR_OVERLAP && strstr(lrelu_last_error(), "some elements") != NULL,
		      "%s %s n=%zu: status %d (%s), want the partial-overlap refusal", what,
		      lrelu_dtype_name(dt), n, (int)got, lrelu_last_error());
	else
		CHECK(got == LRELU_OK, "%s %s n=%zu: status %d (%s), want success (adjacent)", what,
		      lrelu_dtype_name(dt), n, (int)got, lrelu_last_error());
}

/*
 * Two operands that share exactly one element are refused; two that touch without
 * sharing are accepted.  Both sides of that boundary, on the flat entry points and on
 * tensors (dense, and strided where the check takes each operand's byte range), for
 * the forward and each input of the backward, with the written operand above and below.
 */
static void test_overlap_edges(void)
{
	enum { N = 4, SLOTS = 64 };
	static const size_t sizes[] = { 1, 4, 64, 200 }; /* 64 and below: the small-call path */
	_Alignas(64) unsigned char buf[1024 * 8];
	for (size_t di = 0; di < sizeof ALLDT / sizeof ALLDT[0]; di++) {
		lrelu_dtype dt = ALLDT[di];
		size_t es = lrelu_dtype_size(dt);
		int quant = dt == LRELU_QINT8 || dt == LRELU_QUINT8;
		memset(buf, 0, sizeof buf);
		for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
			size_t n = sizes[si];
			unsigned char *lo = buf + 64 * es, *hi1 = lo + (n - 1) * es, *hi0 = lo + n * es;
			int64_t shape[1] = { (int64_t)n };
			for (int shared = 0; shared < 2; shared++) {
				unsigned char *hi = shared ? hi1 : hi0;
				lrelu_tensor tl = pin_tensor(lo, dt, 1, shape, NULL);
				lrelu_tensor th = pin_tensor(hi, dt, 1, shape, NULL);
				lrelu_tensor tf = pin_tensor(buf + 600 * es, dt, 1, shape, NULL);
				if (n == 1 && shared)
					continue; /* one element shared is the same element: in place */
				/* forward, y above x and below it */
				expect_overlap(lrelu_forward(LRELU_TORCH, 0.25, &tl, &th), shared, "tensor forward y above x", dt, n);
				expect_overlap(lrelu_forward(LRELU_TORCH, 0.25, &th, &tl), shared, "tensor forward y below x", dt, n);
				if (quant)
					continue;
				expect_overlap(flat_fwd(dt, lo, hi, n), shared, "flat forward y above x", dt, n);
				expect_overlap(flat_fwd(dt, hi, lo, n), shared, "flat forward y below x", dt, n);
				/* backward: dx against dy, then dx against the saved input */
				expect_overlap(flat_bwd(dt, lo, buf + 600 * es, hi, n), shared, "flat backward dx above dy", dt, n);
				expect_overlap(flat_bwd(dt, hi, buf + 600 * es, lo, n), shared, "flat backward dx below dy", dt, n);
				expect_overlap(flat_bwd(dt, buf + 600 * es, lo, hi, n), shared, "flat backward dx above a", dt, n);
				expect_overlap(flat_bwd(dt, buf + 600 * es, hi, lo, n), shared, "flat backward dx below a", dt, n);
				expect_overlap(lrelu_backward(LRELU_TORCH, 0.25, &tl, &tf, false, &th), shared, "tensor backward dx above dy", dt, n);
				expect_overlap(lrelu_backward(LRELU_TORCH, 0.25, &tf, &tl, false, &th), shared, "tensor backward dx above saved", dt, n);
				expect_overlap(lrelu_backward(LRELU_TORCH, 0.25, &th, &tf, false, &tl), shared, "tensor backward dx below dy", dt, n);
				expect_overlap(lrelu_backward(LRELU_TORCH, 0.25, &tf, &th, false, &tl), shared, "tensor backward dx below saved", dt, n);
			}
		}
		/* Strided: a (3,2) view with strides (1,3) reaches elements 0..5 of its buffer
		 * (the last one, 5, at index [2][1]); with strides (-1,-3) from element 5 the same
		 * six, 0 last.  A dense (3,2) tensor sharing that one element is refused, one
		 * beside it accepted, whichever operand is strided and which is written. */
		{
			int64_t shape[2] = { 3, 2 }, st[2] = { 1, 3 }, nst[2] = { -1, -3 };
			unsigned char *base = buf + 64 * es;
			for (int neg = 0; neg < 2; neg++)
			for (int shared = 0; shared < 2; shared++) {
				/* the dense neighbour: above element 5, or (negative strides) below 0 */
				unsigned char *d = neg ? base - (shared ? 5 : 6) * es : base + (shared ? 5 : 6) * es;
				lrelu_tensor ts = pin_tensor(neg ? base + 5 * es : base, dt, 2, shape, neg ? nst : st);
				lrelu_tensor td = pin_tensor(d, dt, 2, shape, NULL);
				lrelu_tensor tf = pin_tensor(buf + 600 * es, dt, 2, shape, NULL);
				const char *w = neg ? "strides (-1,-3)" : "strides (1,3)";
				char what[96];
				snprintf(what, sizeof what, "forward x %s, dense y", w);
				expect_overlap(lrelu_forward(LRELU_TORCH, 0.25, &ts, &td), shared, what, dt, 6);
				snprintf(what, sizeof what, "forward dense x, y %s", w);
				expect_overlap(lrelu_forward(LRELU_TORCH, 0.25, &td, &ts), shared, what, dt, 6);
				if (quant)
					continue;
				snprintf(what, sizeof what, "backward saved %s, dense dx", w);
				expect_overlap(lrelu_backward(LRELU_TORCH, 0.25, &tf, &ts, false, &td), shared, what, dt, 6);
				snprintf(what, sizeof what, "backward dy %s, dense dx", w);
				expect_overlap(lrelu_backward(LRELU_TORCH, 0.25, &ts, &tf, false, &td), shared, what, dt, 6);
				snprintf(what, sizeof what, "backward dense dy, dx %s", w);
				expect_overlap(lrelu_backward(LRELU_TORCH, 0.25, &td, &tf, false, &ts), shared, what, dt, 6);
			}
		}
	}
}

/*
 * Broadcast (zero-stride) inputs: the inner dimension repeated (each row one value)
 * or the outer one (every row the same), with the other stride positive or negative,
 * forward and backward, on every ISA, against the oracle element by element.  A zero
 * stride must never be merged with its neighbour as if the two were one run.
 */
static void test_broadcast_views(void)
{
	static const struct {
		int64_t shape[2], xst[2];
		int64_t xbase;
	} views[] = {
		{ { 2, 3 }, { 1, 0 }, 0 },   /* x[i][j] = b[i]: each row broadcast */
		{ { 2, 3 }, { -1, 0 }, 1 },  /* the same, rows flipped */
		{ { 2, 3 }, { 0, 1 }, 0 },   /* x[i][j] = b[j]: every row the same */
		{ { 2, 3 }, { 0, -1 }, 2 },  /* the same, columns flipped */
		{ { 5, 70 }, { 1, 0 }, 0 },  /* long runs (past a SIMD block) */
		{ { 70, 5 }, { 0, -1 }, 4 },
		{ { 3, 1 }, { 0, 7 }, 0 },   /* a size-1 dimension with a stride: mergeable */
	};
	enum { CAP = 512 };
	for (int d = 0; d < 4; d++) {
		size_t es = ESZ[d];
		unsigned char xb[CAP * 8], yb[CAP * 8], gb[CAP * 8], ref[CAP * 8];
		for (size_t i = 0; i < CAP; i++) {
			store(DTS[d], xb, i, rng());
			store(DTS[d], gb, i, rng());
		}
		for (size_t v = 0; v < sizeof views / sizeof views[0]; v++) {
			int64_t shape[2] = { views[v].shape[0], views[v].shape[1] };
			int64_t xst[2] = { views[v].xst[0], views[v].xst[1] };
			int64_t yst[2] = { shape[1], 1 };
			size_t n = (size_t)(shape[0] * shape[1]);
			lrelu_tensor tx = lrelu_tensor_make(xb + views[v].xbase * (int64_t)es, LDT[d], 2, shape, xst);
			lrelu_tensor ty = lrelu_tensor_make(yb, LDT[d], 2, shape, yst);
			lrelu_tensor tg = lrelu_tensor_make(gb, LDT[d], 2, shape, NULL);
			for (int k = 0; k < nisas; k++) {
				lrelu_set_isa(isas[k]);
				for (int fi = 0; fi < NFW; fi++) {
					lrelu_framework fw = FWS[fi];
					if (!fw_computes(fw, d))
						continue;
					for (size_t i = 0; i < n; i++) {
						size_t xo = view_offset(2, shape, xst, views[v].xbase, i);
						struct o_exp e = o_fwd(DTS[d], fw, -0.25, load(DTS[d], xb, xo));
						store(DTS[d], ref, i, e.any_nan ? o_default_nan(DTS[d]) : e.bits);
					}
					memset(yb, 0x5A, sizeof yb);
					CHECK(lrelu_forward(fw, -0.25, &tx, &ty) == LRELU_OK, "broadcast view %zu: %s", v, lrelu_last_error());
					size_t bad = count_diff(d, yb, ref, n);
					CHECK(bad == 0, "%s broadcast view %zu (strides %lld,%lld) %s isa %s: %zu of %zu wrong",
					      lrelu_dtype_name(LDT[d]), v, (long long)xst[0], (long long)xst[1],
					      lrelu_framework_name(fw), lrelu_isa_name(isas[k]), bad, n);
					if (!fw_has_grad(fw))
						continue;
					/* backward: the broadcast tensor as the saved input, then as dy */
					for (int as_g = 0; as_g < 2; as_g++) {
						const lrelu_tensor *dy = as_g ? &tx : &tg, *sv = as_g ? &tg : &tx;
						for (size_t i = 0; i < n; i++) {
							size_t xo = view_offset(2, shape, xst, views[v].xbase, i);
							uint64_t xv = load(DTS[d], xb, xo), gv = load(DTS[d], gb, i);
							struct o_exp e = as_g ? o_bwd(DTS[d], fw, 0.2, gv, xv)
							                      : o_bwd(DTS[d], fw, 0.2, xv, gv);
							store(DTS[d], ref, i, e.any_nan ? o_default_nan(DTS[d]) : e.bits);
						}
						memset(yb, 0x5A, sizeof yb);
						CHECK(lrelu_backward(fw, 0.2, dy, sv, false, &ty) == LRELU_OK, "broadcast bwd view %zu: %s", v, lrelu_last_error());
						bad = count_diff(d, yb, ref, n);
						CHECK(bad == 0, "%s broadcast view %zu as %s %s backward isa %s: %zu of %zu wrong",
						      lrelu_dtype_name(LDT[d]), v, as_g ? "dy" : "saved", lrelu_framework_name(fw),
						      lrelu_isa_name(isas[k]), bad, n);
					}
				}
			}
		}
	}
	lrelu_set_isa(LRELU_ISA_AUTO);
	/* quantized: the same views of codes; each output is the code of its own input */
	for (int q = 0; q < 2; q++) {
		lrelu_dtype dt = q ? LRELU_QUINT8 : LRELU_QINT8;
		uint8_t xb[CAP], yb[CAP], one[CAP];
		for (size_t i = 0; i < CAP; i++)
			xb[i] = (uint8_t)rng();
		for (size_t v = 0; v < sizeof views / sizeof views[0]; v++) {
			int64_t shape[2] = { views[v].shape[0], views[v].shape[1] };
			int64_t xst[2] = { views[v].xst[0], views[v].xst[1] };
			size_t n = (size_t)(shape[0] * shape[1]), bad = 0;
			lrelu_tensor tx = pin_tensor(xb + views[v].xbase, dt, 2, shape, xst);
			lrelu_tensor ty = pin_tensor(yb, dt, 2, shape, NULL);
			for (int k = 0; k < nisas; k++) {
				lrelu_set_isa(isas[k]);
				memset(yb, 0x5A, sizeof yb);
				CHECK(lrelu_forward(LRELU_TORCH, 0.25, &tx, &ty) == LRELU_OK, "%s broadcast view %zu: %s",
				      lrelu_dtype_name(dt), v, lrelu_last_error());
				for (size_t i = 0; i < n; i++) {
					/* the element on its own (a 1-element call takes the scalar path,
					 * as every strided element does) */
					int64_t s1[1] = { 1 };
					size_t xo = view_offset(2, shape, xst, views[v].xbase, i);
					lrelu_tensor e = pin_tensor(xb + xo, dt, 1, s1, NULL);
					lrelu_tensor o = pin_tensor(one + i, dt, 1, s1, NULL);
					lrelu_forward(LRELU_TORCH, 0.25, &e, &o);
					bad += yb[i] != one[i];
				}
				CHECK(bad == 0, "%s broadcast view %zu isa %s: %zu of %zu codes differ from the element's own",
				      lrelu_dtype_name(dt), v, lrelu_isa_name(isas[k]), bad, n);
			}
		}
	}
	lrelu_set_isa(LRELU_ISA_AUTO);
}

/* MindSpore's backward at a tie: x = -0.0 and +0.0 compare equal to s * x whatever
 * the signs, so each side gets g / 2: dx = g/2 + (g/2) * s.  Values worked by hand
 * (g = 4: dx = 2 + 2s), not by the oracle, on every ISA, at sizes that reach the
 * SIMD body and the tail. */
static void test_mindspore_zero_tie(void)
{
	static const double alphas[] = { 0.2, -0.5, 1.5, 0.0, -2.0 };
	enum { N = 67 };
	for (int k = 0; k < nisas; k++) {
		lrelu_set_isa(isas[k]);
		for (size_t ai = 0; ai < sizeof alphas / sizeof alphas[0]; ai++) {
			double s = alphas[ai];
			float a32[N], g32[N], d32[N];
			double a64[N], g64[N], d64[N];
			int64_t shape[1] = { N };
			size_t bad32 = 0, bad64 = 0;
			for (int i = 0; i < N; i++) {
				a32[i] = i % 2 ? -0.0f : 0.0f, g32[i] = 4.0f;
				a64[i] = i % 2 ? -0.0 : 0.0, g64[i] = 4.0;
			}
			lrelu_tensor ta = lrelu_tensor_make(a32, LRELU_FLOAT32, 1, shape, NULL);
			lrelu_tensor tg = lrelu_tensor_make(g32, LRELU_FLOAT32, 1, shape, NULL);
			lrelu_tensor td = lrelu_tensor_make(d32, LRELU_FLOAT32, 1, shape, NULL);
			CHECK(lrelu_backward(LRELU_MINDSPORE, s, &tg, &ta, false, &td) == LRELU_OK, "tie f32");
			ta = lrelu_tensor_make(a64, LRELU_FLOAT64, 1, shape, NULL);
			tg = lrelu_tensor_make(g64, LRELU_FLOAT64, 1, shape, NULL);
			td = lrelu_tensor_make(d64, LRELU_FLOAT64, 1, shape, NULL);
			CHECK(lrelu_backward(LRELU_MINDSPORE, s, &tg, &ta, false, &td) == LRELU_OK, "tie f64");
			for (int i = 0; i < N; i++) {
				bad32 += d32[i] != 2.0f + 2.0f * (float)s;
				/* MindSpore casts alpha to float32 first, then to the tensor's type */
				bad64 += d64[i] != 2.0 + 2.0 * (double)(float)s;
			}
			CHECK(bad32 == 0 && bad64 == 0,
			      "mindspore backward at x = +-0, alpha %g, isa %s: %zu float32 and %zu float64 "
			      "of %d not g/2 + g/2*alpha (first %g, %g)", s, lrelu_isa_name(isas[k]), bad32,
			      bad64, N, d32[0], d64[1]);
		}
	}
	lrelu_set_isa(LRELU_ISA_AUTO);
}

/* ---- JAX and ONNX Runtime: hand-written bits at the boundaries ---------------------- */

static uint32_t fwd32(lrelu_framework fw, double s, uint32_t xb)
{
	uint32_t y = 0x55555555u;
	CHECK(run_fwd(0, fw, s, &xb, &y, 1) == LRELU_OK, "%s forward: %s", lrelu_framework_name(fw),
	      lrelu_last_error());
	return y;
}

static void test_jax_ort(void)
{
	/* x >= 0 ? x : s*x: -0.0 is kept whatever the slope's sign, where PyTorch's
	 * x > 0 gives s * -0.0 (+0.0 for s < 0) */
	static const lrelu_framework ge[2] = { LRELU_JAX, LRELU_ONNXRUNTIME };
	for (int k = 0; k < nisas; k++) {
		lrelu_set_isa(isas[k]);
		for (int i = 0; i < 2; i++) {
			lrelu_framework fw = ge[i];
			const char *n = lrelu_framework_name(fw);
			CHECK(fwd32(fw, -0.5, 0x80000000u) == 0x80000000u, "%s -0.0, slope -0.5", n);
			CHECK(fwd32(LRELU_TORCH, -0.5, 0x80000000u) == 0x00000000u, "torch -0.0, slope -0.5");
			CHECK(fwd32(fw, -0.5, 0x00000000u) == 0x00000000u, "%s +0.0", n);
			CHECK(fwd32(fw, NAN, 0x80000000u) == 0x80000000u, "%s -0.0 with a NaN slope", n);
			CHECK(fwd32(fw, INFINITY, 0x00000000u) == 0x00000000u, "%s +0 * inf not formed", n);
			/* a signalling NaN takes the product (quieted); ONNX's x < 0 keeps it as is */
			CHECK(fwd32(fw, 0.01, 0x7F800001u) == 0x7FC00001u, "%s sNaN quieted: %08x", n,
			      fwd32(fw, 0.01, 0x7F800001u));
			CHECK(fwd32(fw, 0.01, 0xFF800123u) == 0xFFC00123u, "%s negative sNaN quieted", n);
			CHECK(fwd32(LRELU_ONNX, 0.01, 0x7F800001u) == 0x7F800001u, "onnx sNaN kept");
			CHECK(fwd32(fw, 0.01, 0x7FC00000u) == 0x7FC00000u, "%s qNaN", n);
			CHECK(fwd32(fw, 0.0, 0xFF800000u) != 0xFF800000u &&
			      (fwd32(fw, 0.0, 0xFF800000u) & 0x7FFFFFFFu) > 0x7F800000u, "%s -inf * 0 is NaN", n);
			CHECK(fwd32(fw, 0.0, 0x7F800000u) == 0x7F800000u, "%s +inf", n);
			CHECK(fwd32(fw, 0.5, 0xFF800000u) == 0xFF800000u, "%s -inf * 0.5", n);
			CHECK(((fwd32(fw, NAN, 0xBF800000u) >> 22) & 0x1FFu) == 0x1FFu, "%s NaN slope, x = -1", n);
			CHECK(fwd32(fw, NAN, 0x3F800000u) == 0x3F800000u, "%s NaN slope, x = 1", n);
			CHECK(fwd32(fw, 2.0, 0xBF800000u) == 0xC0000000u, "%s slope 2 (no min/max): -1 -> -2", n);
			CHECK(fwd32(fw, -3.0, 0xC0000000u) == 0x40C00000u, "%s slope -3: -2 -> 6", n);
			CHECK(fwd32(fw, 0.01, 0x80000001u) == 0x80000000u, "%s smallest subnormal * 0.01", n);
			/* alpha is a float: 1e39 overflows to inf, 0.1 is rounded to float */
			CHECK(fwd32(fw, 1e39, 0xBF800000u) == 0xFF800000u, "%s slope 1e39 -> -inf", n);
			CHECK(fwd32(fw, 0.1, 0xC0000000u) == 0xBE4CCCCDu, "%s slope 0.1 as a float", n);
		}
	}
	lrelu_set_isa(LRELU_ISA_AUTO);

	/* JAX 16-bit: the slope is a 16-bit value and the product is rounded once, where
	 * PyTorch rounds a float product twice (values found with numpy and torch) */
	{
		uint16_t x = 0xBF82, y = 0; /* bfloat16 -1.015625, slope 0.01 */
		CHECK(run_fwd(2, LRELU_JAX, 0.01, &x, &y, 1) == LRELU_OK && y == 0xBC27, "jax bf16 one rounding: %04x", y);
		CHECK(run_fwd(2, LRELU_TORCH, 0.01, &x, &y, 1) == LRELU_OK && y == 0xBC26, "torch bf16 two roundings: %04x", y);
		x = 0xBC02; /* float16 -1.002 */
		CHECK(run_fwd(3, LRELU_JAX, 0.01, &x, &y, 1) == LRELU_OK && y == 0xA122, "jax f16 one rounding: %04x", y);
		CHECK(run_fwd(3, LRELU_TORCH, 0.01, &x, &y, 1) == LRELU_OK && y == 0xA121, "torch f16 two roundings: %04x", y);
		x = 0x8000;
		CHECK(run_fwd(3, LRELU_JAX, -0.5, &x, &y, 1) == LRELU_OK && y == 0x8000, "jax f16 -0.0 kept");
		x = 0x7C01;
		CHECK(run_fwd(3, LRELU_JAX, 0.01, &x, &y, 1) == LRELU_OK && y == 0x7E01, "jax f16 sNaN quieted: %04x", y);
	}
	/* JAX float64 (jax_enable_x64): the slope stays a double */
	{
		double x = -1.0, y = 0;
		CHECK(run_fwd(1, LRELU_JAX, 0.1, &x, &y, 1) == LRELU_OK && y == -0.1, "jax f64 double slope");
		CHECK(run_fwd(1, LRELU_ONNX, 0.1, &x, &y, 1) == LRELU_OK && y == -(double)0.1f, "onnx f64 float slope");
	}
	/* ONNX Runtime: float32 only, no gradient */
	{
		double xd = -1.0, yd = 0;
		uint16_t xh = 0xBC00, yh = 0;
		float xf = -1.0f, gf = 1.0f, df = 0;
		expect_err(run_fwd(1, LRELU_ONNXRUNTIME, 0.01, &xd, &yd, 1), LRELU_ERR_DTYPE,
		           "registered for tensor(float) only: for float64", "ort float64");
		expect_err(run_fwd(2, LRELU_ONNXRUNTIME, 0.01, &xh, &yh, 1), LRELU_ERR_DTYPE, "bfloat16", "ort bfloat16");
		expect_err(run_fwd(3, LRELU_ONNXRUNTIME, 0.01, &xh, &yh, 1), LRELU_ERR_DTYPE, "float16", "ort float16");
		CHECK(yd == 0 && yh == 0, "nothing written when refused");
		expect_err(run_bwd(0, LRELU_ONNXRUNTIME, 0.01, &xf, &gf, &df, 1), LRELU_ERR_UNSUPPORTED,
		           "inference kernel", "ort backward");
	}
	/* JAX's gradient: where's select of the tangents g and s*g; 1 at x = +-0 */
	{
		float a[6] = { 0.0f, -0.0f, -1.0f, 1.0f, NAN, -INFINITY }, g[6] = { 3, 3, 3, 3, 3, 3 }, dx[6];
		const float want[6] = { 3.0f, 3.0f, 0.75f, 3.0f, 0.75f, 0.75f };
		float tw[6];
		for (int k = 0; k < nisas; k++) {
			lrelu_set_isa(isas[k]);
			CHECK(run_bwd(0, LRELU_JAX, 0.25, a, g, dx, 6) == LRELU_OK, "jax backward: %s", lrelu_last_error());
			CHECK(memcmp(dx, want, sizeof dx) == 0, "jax backward %g %g %g %g %g %g", dx[0], dx[1], dx[2],
			      dx[3], dx[4], dx[5]);
		}
		lrelu_set_isa(LRELU_ISA_AUTO);
		CHECK(run_bwd(0, LRELU_TORCH, 0.25, a, g, tw, 6) == LRELU_OK && tw[0] == 0.75f && tw[1] == 0.75f,
		      "torch's gradient at 0 is the slope");
		int64_t shape[1] = { 6 };
		lrelu_tensor ta = lrelu_tensor_make(a, LRELU_FLOAT32, 1, shape, NULL);
		lrelu_tensor tg = lrelu_tensor_make(g, LRELU_FLOAT32, 1, shape, NULL);
		lrelu_tensor td = lrelu_tensor_make(dx, LRELU_FLOAT32, 1, shape, NULL);
		expect_err(lrelu_backward(LRELU_JAX, 0.25, &tg, &ta, true, &td), LRELU_ERR_INPLACE,
		           "jax.nn.leaky_relu has no in-place form", "jax backward from the result");
	}
}

/* ---- names ------------------------------------------------------------------------ */

static void test_names(void)
{
	static const struct {
		const char *name;
		int fw; /* -1: refused */
	} cases[] = {
		{ "torch", LRELU_TORCH },   { "mindspore", LRELU_MINDSPORE }, { "onnx", LRELU_ONNX },
		{ "tensorflow", LRELU_TENSORFLOW }, { "pytorch", LRELU_TORCH }, { "tf", LRELU_TENSORFLOW },
		{ "Torch", -1 }, { "TF", -1 }, { "torch ", -1 }, { "", -1 }, { "tfx", -1 },
		{ "to", -1 }, { "ms", -1 }, { "mindspore\n", -1 }, { "jax", LRELU_JAX },
		{ "onnxruntime", LRELU_ONNXRUNTIME }, { "ort", LRELU_ONNXRUNTIME }, { "JAX", -1 },
		{ "onnx_runtime", -1 }, { "ORT", -1 }, { "onnxrt", -1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		lrelu_framework fw = (lrelu_framework)77;
		lrelu_status st = lrelu_framework_from_name(cases[i].name, &fw);
		if (cases[i].fw >= 0)
			CHECK(st == LRELU_OK && (int)fw == cases[i].fw, "framework name \"%s\": status %d, %d",
			      cases[i].name, (int)st, (int)fw);
		else
			CHECK(st == LRELU_ERR_ARG && (int)fw == 77 &&
			      strstr(lrelu_last_error(), "torch, mindspore, onnx, tensorflow, jax, onnxruntime") != NULL &&
			      strstr(lrelu_last_error(), "ort (onnxruntime)") != NULL &&
			      strstr(lrelu_last_error(), "pytorch") != NULL && strstr(lrelu_last_error(), "tf") != NULL,
			      "framework name \"%s\" refused: status %d, out %d, message \"%s\"", cases[i].name,
			      (int)st, (int)fw, lrelu_last_error());
	}
	/* every canonical name reads back to its framework */
	for (int f = LRELU_TORCH; f <= LRELU_LAST_FW; f++) {
		lrelu_framework fw;
		CHECK(lrelu_framework_from_name(lrelu_framework_name((lrelu_framework)f), &fw) == LRELU_OK &&
		      (int)fw == f, "round trip of %s", lrelu_framework_name((lrelu_framework)f));
	}
	lrelu_framework fw;
	CHECK(lrelu_framework_from_name(NULL, &fw) == LRELU_ERR_ARG, "NULL name");
	CHECK(lrelu_framework_from_name("torch", NULL) == LRELU_ERR_ARG, "NULL out");
	CHECK(strcmp(lrelu_framework_name((lrelu_framework)9), "?") == 0, "unknown framework name");
	CHECK(strcmp(lrelu_dtype_name(LRELU_QUINT8), "quint8") == 0 &&
	      strcmp(lrelu_dtype_name((lrelu_dtype)9), "?") == 0, "dtype names");
}

/* ---- the module layer and its repr -------------------------------------------------- */

static void test_modules(void)
{
	lrelu_module m;
	char buf[128];
	static const struct {
		double s;
		bool inplace;
		const char *want;
	} reprs[] = {
		{ 0.01, false, "LeakyReLU(negative_slope=0.01)" },
		{ 0.2, true, "LeakyReLU(negative_slope=0.2, inplace=True)" },
		{ 1e-20, false, "LeakyReLU(negative_slope=1e-20)" },
		{ 1e16, false, "LeakyReLU(negative_slope=1e+16)" },
		{ 1e15, false, "LeakyReLU(negative_slope=1000000000000000.0)" },
		{ 0.0001, false, "LeakyReLU(negative_slope=0.0001)" },
		{ 0.00001, false, "LeakyReLU(negative_slope=1e-05)" },
		{ -0.0, false, "LeakyReLU(negative_slope=-0.0)" },
		{ 1.0 / 3.0, false, "LeakyReLU(negative_slope=0.3333333333333333)" },
		{ 5e-324, false, "LeakyReLU(negative_slope=5e-324)" },
		{ NAN, false, "LeakyReLU(negative_slope=nan)" },
		{ -INFINITY, false, "LeakyReLU(negative_slope=-inf)" },
		{ 123.456, false, "LeakyReLU(negative_slope=123.456)" },
		{ 1.5e300, false, "LeakyReLU(negative_slope=1.5e+300)" },
	};
	for (size_t i = 0; i < sizeof reprs / sizeof reprs[0]; i++) {
		CHECK(lrelu_module_torch(&m, reprs[i].s, reprs[i].inplace) == LRELU_OK, "torch module");
		size_t len = lrelu_module_repr(&m, buf, sizeof buf);
		CHECK(strcmp(buf, reprs[i].want) == 0 && len == strlen(reprs[i].want), "repr %s, want %s", buf, reprs[i].want);
	}
	CHECK(lrelu_module_repr(&m, buf, 5) == strlen(reprs[13].want) && strcmp(buf, "Leak") == 0, "repr truncates");
	CHECK(lrelu_module_mindspore(&m, LRELU_MINDSPORE_DEFAULT_ALPHA) == LRELU_OK && m.slope == 0.2, "ms module");
	lrelu_module_repr(&m, buf, sizeof buf);
	CHECK(strcmp(buf, "LeakyReLU<>") == 0, "MindSpore repr %s", buf);
	CHECK(lrelu_default_slope(LRELU_TORCH) == 0.01 && lrelu_default_slope(LRELU_MINDSPORE) == 0.2 &&
	      lrelu_default_slope(LRELU_ONNX) == 0.01 && lrelu_default_slope(LRELU_TENSORFLOW) == 0.2 &&
	      lrelu_default_slope(LRELU_JAX) == 0.01 && lrelu_default_slope(LRELU_ONNXRUNTIME) == 0.01 &&
	      isnan(lrelu_default_slope((lrelu_framework)6)), "defaults");
	CHECK(lrelu_module_init(&m, LRELU_JAX, LRELU_JAX_DEFAULT_SLOPE, false) == LRELU_OK &&
	      lrelu_module_repr(&m, buf, sizeof buf) > 0 && strcmp(buf, "leaky_relu(negative_slope=0.01)") == 0,
	      "JAX repr %s", buf);
	CHECK(lrelu_module_init(&m, LRELU_ONNXRUNTIME, 0.5, false) == LRELU_OK &&
	      lrelu_module_repr(&m, buf, sizeof buf) > 0 && strcmp(buf, "LeakyRelu(alpha=0.5)") == 0,
	      "ONNX Runtime repr %s", buf);
	expect_err(lrelu_module_init(&m, LRELU_JAX, 0.01, true), LRELU_ERR_INPLACE, "jax.nn.leaky_relu has no 'inplace'", "JAX inplace");
	expect_err(lrelu_module_init(&m, (lrelu_framework)6, 0.01, false), LRELU_ERR_ARG, "unknown framework 6", "framework 6");
	expect_err(lrelu_module_init(&m, LRELU_MINDSPORE, 0.2, true), LRELU_ERR_INPLACE, "assign the output to the input", "MindSpore inplace");

	/* The seed page's examples through the modules: PyTorch on float64 with 0.2,
	 * MindSpore on float32 with its default, PyTorch in place on float32. */
	{
		double xd[6] = { -1.0, 4.0, -8.0, 2.0, -5.0, 9.0 }, yd[6];
		float xf[6] = { -1.0f, 4.0f, -8.0f, 2.0f, -5.0f, 9.0f }, yf[6], want[6] = { -0.2f, 4.0f, -1.6f, 2.0f, -1.0f, 9.0f };
		int64_t shape[2] = { 2, 3 };
		lrelu_tensor tx = lrelu_tensor_make(xd, LRELU_FLOAT64, 2, shape, NULL);
		lrelu_tensor ty = lrelu_tensor_make(yd, LRELU_FLOAT64, 2, shape, NULL);
		lrelu_module_torch(&m, 0.2, false);
		CHECK(lrelu_module_forward(&m, &tx, &ty) == LRELU_OK, "example 1 torch");
		for (int i = 0; i < 6; i++)
			CHECK((float)yd[i] == want[i], "example 1 torch [%d] = %.17g", i, yd[i]);
		tx = lrelu_tensor_make(xf, LRELU_FLOAT32, 2, shape, NULL);
		ty = lrelu_tensor_make(yf, LRELU_FLOAT32, 2, shape, NULL);
		lrelu_module_mindspore(&m, LRELU_MINDSPORE_DEFAULT_ALPHA);
		CHECK(lrelu_module_forward(&m, &tx, &ty) == LRELU_OK, "example 1 mindspore");
		CHECK(memcmp(yf, want, sizeof want) == 0, "example 1 mindspore values");
		CHECK(lrelu_module_forward(&m, &tx, &tx) == LRELU_OK && memcmp(xf, want, sizeof want) == 0,
		      "example 2 mindspore: x = m(x)");
		float xi[6] = { -1.0f, 4.0f, -8.0f, 2.0f, -5.0f, 9.0f };
		tx.data = xi;
		lrelu_module_torch(&m, 0.2, true);
		CHECK(lrelu_module_forward(&m, &tx, NULL) == LRELU_OK && memcmp(xi, want, sizeof want) == 0,
		      "example 2 torch in place");
		/* backward through the in-place module uses the result: slope 0 case of
		 * PyTorch's test_leaky_relu_inplace_with_zero_slope: grad [0, 0, 1] */
		float a[3] = { -2.0f, 0.0f, 2.0f }, g[3] = { 1, 1, 1 }, dx[3];
		int64_t s3[1] = { 3 };
		lrelu_tensor ta = lrelu_tensor_make(a, LRELU_FLOAT32, 1, s3, NULL);
		lrelu_tensor tg = lrelu_tensor_make(g, LRELU_FLOAT32, 1, s3, NULL);
		lrelu_tensor td = lrelu_tensor_make(dx, LRELU_FLOAT32, 1, s3, NULL);
		lrelu_module_torch(&m, 0.0, true);
		CHECK(lrelu_module_forward(&m, &ta, NULL) == LRELU_OK, "zero slope in place");
		CHECK(lrelu_module_backward(&m, &tg, &ta, &td) == LRELU_OK && dx[0] == 0 && dx[1] == 0 && dx[2] == 1,
		      "zero-slope grad %g %g %g", dx[0], dx[1], dx[2]);
		lrelu_module_torch(&m, -2.0, true);
		expect_err(lrelu_module_backward(&m, &tg, &ta, &td), LRELU_ERR_INPLACE, "out-of-place", "negative in-place module");
		lrelu_module_torch(&m, 0.2, false);
		expect_err(lrelu_module_forward(&m, &ta, NULL), LRELU_ERR_ARG, "inplace=False", "missing y");
	}
}

/* ---- the caller's floating-point environment --------------------------------------- */

#if defined(__x86_64__) || defined(__i386__)
#define HAVE_FTZ 1
static unsigned int env_get(void) { return _mm_getcsr(); }
static void env_hostile(void) { _mm_setcsr(_mm_getcsr() | 0x8040u | 0x6000u); } /* FTZ, DAZ, round to zero */
static void env_set(unsigned int v) { _mm_setcsr(v); }
#elif defined(__aarch64__)
#define HAVE_FTZ 1
static unsigned long env_get(void) { unsigned long c; __asm__ __volatile__("mrs %0, fpcr" : "=r"(c)); return c; }
static void env_hostile(void) { unsigned long c = env_get() | (1ul << 24) | (3ul << 22) | (1ul << 25); __asm__ __volatile__("msr fpcr, %0" : : "r"(c)); }
static void env_set(unsigned long v) { __asm__ __volatile__("msr fpcr, %0" : : "r"(v)); }
#endif

static void test_fpenv(void)
{
#ifdef HAVE_FTZ
	/* 4096 elements take the guarded path; 64 and 100 the small-call path that runs
	 * without the guard where the ISA has fwdx kernels (and falls back to it at the
	 * first subnormal).  tiny: subnormal inputs and subnormal products; else moderate
	 * values, whose products are inexact, so that the rounding mode would show. */
	static const size_t sizes[] = { 4096, 64, 100 };
	enum { NMAX = 4096 };
	for (int d = 0; d < 4; d++) {
		size_t es = ESZ[d];
		void *x = malloc(NMAX * es), *y = malloc(NMAX * es), *g = malloc(NMAX * es);
		struct o_exp *exp = malloc(NMAX * sizeof *exp), *bexp = malloc(NMAX * sizeof *bexp);
		for (int tiny = 0; tiny < 2; tiny++)
		for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
		for (int fw = LRELU_TORCH; fw <= LRELU_LAST_FW; fw++) {
			size_t N = sizes[si];
			if (!fw_computes((lrelu_framework)fw, d))
				continue;
			const double slope = fw == LRELU_ONNX ? -0.3 : 0.3;
			for (size_t i = 0; i < N; i++) {
				uint64_t r = rng(), v;
				if (tiny)
					v = d == 0 ? (r & 0x80FFFFFFu) : d == 1 ? (r & 0x801FFFFFFFFFFFFFull) : (r & 0x87FF);
				else
					v = d == 0 ? ((r & 0x807FFFFFu) | 0x3F000000u)
					  : d == 1 ? ((r & 0x800FFFFFFFFFFFFFull) | 0x3FE0000000000000ull)
					  : ((r & 0x807F) | (d == 2 ? 0x3F00 : 0x3800));
				store(DTS[d], x, i, v);
				store(DTS[d], g, i, v ^ (d == 0 ? 0x80000000u : d == 1 ? 0x8000000000000000ull : 0x8000));
				exp[i] = o_fwd(DTS[d], (lrelu_framework)fw, slope, v);
				bexp[i] = o_bwd(DTS[d], LRELU_MINDSPORE, 0.3, v, load(DTS[d], g, i));
			}
			for (int k = 0; k < nisas; k++) {
				lrelu_set_isa(isas[k]);
				__typeof__(env_get()) before = env_get();
				env_hostile();
				__typeof__(env_get()) hostile = env_get();
				lrelu_status st = run_fwd(d, (lrelu_framework)fw, slope, x, y, N);
				__typeof__(env_get()) after = env_get();
				env_set(before);
				CHECK(st == LRELU_OK && after == hostile, "fp environment restored after the call");
				check_all(d, tiny ? "FTZ/DAZ/round-to-zero forward, subnormals" : "FTZ/DAZ/round-to-zero forward",
				          exp, y, N, isas[k], (lrelu_framework)fw, slope);
				if (fw != LRELU_MINDSPORE)
					continue;
				env_hostile();
				st = run_bwd(d, LRELU_MINDSPORE, 0.3, x, g, y, N);
				env_set(before);
				check_all(d, "FTZ/DAZ/round-to-zero backward", bexp, y, N, isas[k], LRELU_MINDSPORE, 0.3);
			}
		}
		/* The slope itself subnormal: its conversions (to float, and the float back to
		 * double for float64) and compares happen before any guard, so they must not
		 * obey DAZ/FTZ either.  x large and negative: every product is normal. */
		for (int fw = LRELU_TORCH; fw <= LRELU_LAST_FW; fw++) {
			const double slope = d == 1 && fw == LRELU_TORCH ? 1e-310 : 1e-40;
			if (!fw_computes((lrelu_framework)fw, d))
				continue;
			enum { M = 64 };
			for (size_t i = 0; i < M; i++) {
				uint64_t v = d == 0 ? 0xF1000000u + i : d == 1 ? 0xC7E0000000000000ull + i
				           : d == 2 ? 0xF100u + i : 0xF800u + i;
				store(DTS[d], x, i, v);
				exp[i] = o_fwd(DTS[d], (lrelu_framework)fw, slope, v);
			}
			for (int k = 0; k < nisas; k++) {
				lrelu_set_isa(isas[k]);
				__typeof__(env_get()) before = env_get();
				env_hostile();
				lrelu_status st = run_fwd(d, (lrelu_framework)fw, slope, x, y, M);
				env_set(before);
				CHECK(st == LRELU_OK, "subnormal slope: status %d", (int)st);
				check_all(d, "subnormal slope under FTZ/DAZ", exp, y, M, isas[k],
				          (lrelu_framework)fw, slope);
			}
		}
		free(x), free(y), free(g), free(exp), free(bexp);
	}
	lrelu_set_isa(LRELU_ISA_AUTO);
	/* PyTorch refuses an in-place backward with a negative slope, however tiny; DAZ
	 * must not turn -1e-310 into zero on the way. */
	{
		double a[2] = { 1.0, -1.0 }, gr[2] = { 1.0, 1.0 }, dx[2];
		int64_t shape[1] = { 2 };
		lrelu_tensor ta = lrelu_tensor_make(a, LRELU_FLOAT64, 1, shape, NULL);
		lrelu_tensor tg = lrelu_tensor_make(gr, LRELU_FLOAT64, 1, shape, NULL);
		lrelu_tensor td = lrelu_tensor_make(dx, LRELU_FLOAT64, 1, shape, NULL);
		__typeof__(env_get()) before = env_get();
		env_hostile();
		lrelu_status st = lrelu_backward(LRELU_TORCH, -1e-310, &tg, &ta, true, &td);
		env_set(before);
		CHECK(st == LRELU_ERR_INPLACE, "negative subnormal slope, in-place backward under DAZ: status %d", (int)st);
	}
#endif
	/* fesetround alone (every platform) */
	{
		float x = -1.0f, y;
		fesetround(FE_UPWARD);
		lrelu_f32(&x, &y, 1, 0.1f);
		fesetround(FE_TONEAREST);
		CHECK(o_bits32(y) == o_bits32(-1.0f * 0.1f), "round-upward caller: %#x", o_bits32(y));
	}
}

#ifdef HAVE_FTZ
/*
 * The small flat calls run without the floating-point environment guard where the ISA
 * has an unguarded kernel, and go on under the guard from the first element that
 * kernel cannot vouch for.  Under a hostile environment (FTZ, DAZ, round to zero) every
 * size up to the cut-off and past it, with one subnormal input (or a subnormal product)
 * at the start, in the middle, at the end or nowhere, must give the default
 * environment's bits, and leave the caller's environment as it was.
 */
static void test_unguarded_flat(void)
{
	enum { NMAX = 160 };
	float x32[NMAX], y32[NMAX];
	double x64[NMAX], y64[NMAX];
	for (int k = 0; k < nisas; k++) {
		lrelu_set_isa(isas[k]);
		size_t bad = 0, calls = 0, env_bad = 0;
		for (size_t n = 1; n <= NMAX; n++)
		for (int where = 0; where < 4; where++)
		for (int kind = 0; kind < 2; kind++) {
			size_t at = where == 0 ? 0 : where == 1 ? n / 2 : where == 2 ? n - 1 : NMAX;
			for (size_t i = 0; i < n; i++) {
				uint64_t r = rng();
				/* inexact products, so that round-to-zero would show */
				x32[i] = (float)((int)(r % 2001) - 1000) * 0.0123f;
				x64[i] = (double)((int)(r % 2001) - 1000) * 0.0123;
			}
			if (at < n) {
				/* kind 0: a subnormal input of either sign; 1: a normal input whose
				 * product is subnormal */
				x32[at] = kind ? -1.5e-38f : (at % 2 ? -1e-40f : 1e-40f);
				x64[at] = kind ? -3e-308 : (at % 2 ? -1e-310 : 1e-310);
			}
			__typeof__(env_get()) before = env_get();
			env_hostile();
			__typeof__(env_get()) hostile = env_get();
			lrelu_status s1 = lrelu_f32(x32, y32, n, 0.3f);
			lrelu_status s2 = lrelu_f64(x64, y64, n, 0.3);
			__typeof__(env_get()) after = env_get();
			env_set(before);
			env_bad += s1 != LRELU_OK || s2 != LRELU_OK || after != hostile;
			for (size_t i = 0; i < n; i++) {
				struct o_exp e32 = o_fwd(O_F32, LRELU_TORCH, 0.3f, o_bits32(x32[i]));
				struct o_exp e64 = o_fwd(O_F64, LRELU_TORCH, 0.3, o_bits64(x64[i]));
				bad += !o_match(O_F32, e32, o_bits32(y32[i]));
				bad += !o_match(O_F64, e64, o_bits64(y64[i]));
			}
			calls++;
		}
		CHECK(bad == 0 && env_bad == 0,
		      "flat small calls under FTZ/DAZ/round-to-zero, isa %s: %zu elements wrong, %zu "
		      "calls failed or changed the environment (of %zu)", lrelu_isa_name(isas[k]), bad,
		      env_bad, calls);
	}
	lrelu_set_isa(LRELU_ISA_AUTO);
}
#endif

/* Messages name the parameters as the header does: a flat backward's a and dx, and an
 * in-place lrelu_forward's x (y NULL means x). */
static void test_parameter_names(void)
{
	float v[4] = { -1, 0, 1, 2 }, out[4];
	CHECK(lrelu_f32(NULL, out, 4, 0.1f) == LRELU_ERR_ARG &&
	      strncmp(lrelu_last_error(), "x is NULL", 9) == 0, "forward x: %s", lrelu_last_error());
	CHECK(lrelu_f32(v, NULL, 4, 0.1f) == LRELU_ERR_ARG &&
	      strncmp(lrelu_last_error(), "y is NULL", 9) == 0, "forward y: %s", lrelu_last_error());
	CHECK(lrelu_f32_backward(v, NULL, out, 4, 0.1f) == LRELU_ERR_ARG &&
	      strncmp(lrelu_last_error(), "a is NULL", 9) == 0, "backward a: %s", lrelu_last_error());
	CHECK(lrelu_f32_backward(v, v, NULL, 4, 0.1f) == LRELU_ERR_ARG &&
	      strncmp(lrelu_last_error(), "dx is NULL", 10) == 0, "backward dx: %s",
	      lrelu_last_error());
	int64_t bad[1] = { -1 }, good[1] = { 4 };
	lrelu_tensor tx = lrelu_tensor_make(v, LRELU_FLOAT32, 1, bad, NULL);
	lrelu_tensor ty = lrelu_tensor_make(out, LRELU_FLOAT32, 1, good, NULL);
	CHECK(lrelu_forward(LRELU_TORCH, 0.1, &tx, NULL) != LRELU_OK &&
	      strncmp(lrelu_last_error(), "x:", 2) == 0, "in place, bad x: %s", lrelu_last_error());
	CHECK(lrelu_forward(LRELU_TORCH, 0.1, &tx, &ty) != LRELU_OK &&
	      strncmp(lrelu_last_error(), "x:", 2) == 0, "bad x beside y: %s", lrelu_last_error());
	tx = lrelu_tensor_make(v, LRELU_FLOAT32, 1, good, NULL);
	ty = lrelu_tensor_make(out, LRELU_FLOAT32, 1, bad, NULL);
	CHECK(lrelu_forward(LRELU_TORCH, 0.1, &tx, &ty) != LRELU_OK &&
	      strncmp(lrelu_last_error(), "y:", 2) == 0, "bad y: %s", lrelu_last_error());
}

int main(void)
{
	char names[128] = "";
	for (int i = LRELU_ISA_SCALAR; i <= LRELU_ISA_NEON; i++)
		if (lrelu_isa_available((lrelu_isa)i)) {
			isas[nisas++] = (lrelu_isa)i;
			strcat(names, " ");
			strcat(names, lrelu_isa_name((lrelu_isa)i));
		}
	printf("lrelu %s, ISAs exercised:%s (default %s)\n", lrelu_version(), names,
	       lrelu_isa_name(lrelu_get_isa()));
	test_conversions();
	test_hand();
	test_errors();
	test_jax_ort();
	test_names();
	test_parameter_names();
	test_modules();
	test_sizes();
	test_strided();
	test_overlap_edges();
	test_broadcast_views();
	test_mindspore_zero_tie();
	test_fpenv();
#ifdef HAVE_FTZ
	test_unguarded_flat();
#endif
	test_wide();
	test_exhaustive16();
	return tu_finish("core");
}

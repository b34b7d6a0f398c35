/* test_family.c - RReLU (generator, eval, training) and PReLU of the C API, bit for bit */
#include <float.h>
#include <math.h>
#include <string.h>

#include "testutil.h"

static uint32_t f32bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}

static uint64_t f64bits(double d)
{
	uint64_t u;
	memcpy(&u, &d, 8);
	return u;
}

/* The generator: the reference MT19937 outputs (seed 5489: the first output, and the
 * 10000th, which the C++ standard fixes for std::mt19937), PyTorch's seeding of a
 * 64-bit seed (low 32 bits) and the state checks on both sides of their bounds. */
static void test_generator(void)
{
	lrelu_generator g, h;
	uint32_t v = 0;
	CHECK(lrelu_generator_seed(&g, 5489) == LRELU_OK, "seed");
	CHECK(lrelu_generator_next_u32(&g, &v) == LRELU_OK && v == 3499211612u, "first output %u", v);
	for (int i = 1; i < 10000; i++)
		lrelu_generator_next_u32(&g, &v);
	CHECK(v == 4123659995u, "10000th output %u", v);
	lrelu_generator_seed(&g, 5);
	lrelu_generator_seed(&h, (1ull << 32) + 5);
	CHECK(h.seed == (1ull << 32) + 5 && memcmp(g.state, h.state, sizeof g.state) == 0,
	      "2^32 + 5 seeds MT19937 as 5 does, keeps its seed");
	static const struct { int32_t left; uint32_t next; int ok; } cases[] = {
		{ 0, 0, 0 }, { 1, 0, 1 }, { 624, 0, 1 }, { 625, 0, 0 }, { 624, 1, 1 }, { 624, 2, 0 },
		{ 2, 623, 1 }, { 2, 624, 0 }, { -1, 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		h.left = cases[i].left;
		h.next = cases[i].next;
		CHECK((lrelu_generator_check(&h) == LRELU_OK) == cases[i].ok, "left %d next %u",
		      (int)h.left, (unsigned)h.next);
	}
	CHECK(lrelu_generator_check(NULL) == LRELU_ERR_ARG, "NULL generator");
}

/* RReLU training against values PyTorch 1.13 printed (torch.manual_seed(s), then
 * aten::rrelu_with_noise(x, noise, 1/8, 1/3, True) on float32 [-1, 2, nan, -0, -3],
 * float64 [-1, -0.5], bfloat16 [-1, -0.5] in that order on the one stream). */
static void test_rrelu_train(void)
{
	static const struct {
		uint64_t seed;
		uint32_t y32[5], n32[5];
		uint64_t n64[2];
		uint16_t nbf[2], ybf[2];
	} want[] = {
		{ 0, { 0xbea778ea, 0x40000000, 0x7fc00000, 0x80000000, 0xbf298053 },
		  { 0x3ea778ea, 0x3f800000, 0x3f800000, 0x3e8b8034, 0x3e62006f },
		  { 0x3fd446d19a5f9eeaull, 0x3fd099aead2e1cd8ull }, { 0x3e95, 0x3e26 }, { 0xbe95, 0xbda6 } },
		{ 42, { 0xbe0c6803, 0x40000000, 0x7fc00000, 0x80000000, 0xbee78c2c },
		  { 0x3e0c6803, 0x3f800000, 0x3f800000, 0x3e0d6bbc, 0x3e1a5d73 },
		  { 0x3fc166f27f53fa11ull, 0x3fce080009c71464ull }, { 0x3e66, 0x3ea6 }, { 0xbe66, 0xbe26 } },
		{ (1ull << 32) + 5, { 0xbe847b4a, 0x40000000, 0x7fc00000, 0x80000000, 0xbf19bb80 },
		  { 0x3e847b4a, 0x3f800000, 0x3f800000, 0x3e376a3f, 0x3e4cfa00 },
		  { 0x3fc8674e264816e8ull, 0x3fc718b1687ec268ull }, { 0x3e9b, 0x3e7c }, { 0xbe9b, 0xbdfc } },
	};
	const double lo = LRELU_RRELU_DEFAULT_LOWER, hi = LRELU_RRELU_DEFAULT_UPPER;
	for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
		lrelu_generator g;
		float x[5] = { -1.0f, 2.0f, NAN, -0.0f, -3.0f }, y[5], n[5];
		double xd[2] = { -1.0, -0.5 }, yd[2], nd[2];
		uint16_t xb[2] = { 0xbf80, 0xbf00 }, yb[2], nb[2];
		int64_t s5[1] = { 5 }, s2[1] = { 2 };
		lrelu_tensor tx = lrelu_tensor_make(x, LRELU_FLOAT32, 1, s5, NULL);
		lrelu_tensor ty = lrelu_tensor_make(y, LRELU_FLOAT32, 1, s5, NULL);
		lrelu_tensor tn = lrelu_tensor_make(n, LRELU_FLOAT32, 1, s5, NULL);
		lrelu_generator_seed(&g, want[k].seed);
		CHECK(lrelu_rrelu_train(&g, lo, hi, &tx, &ty, &tn) == LRELU_OK, "%s", lrelu_last_error());
		for (int i = 0; i < 5; i++) {
			CHECK(f32bits(y[i]) == want[k].y32[i], "seed %llu y[%d] %08x",
			      (unsigned long long)want[k].seed, i, f32bits(y[i]));
			CHECK(f32bits(n[i]) == want[k].n32[i], "seed %llu noise[%d] %08x",
			      (unsigned long long)want[k].seed, i, f32bits(n[i]));
		}
		tx = lrelu_tensor_make(xd, LRELU_FLOAT64, 1, s2, NULL);
		ty = lrelu_tensor_make(yd, LRELU_FLOAT64, 1, s2, NULL);
		tn = lrelu_tensor_make(nd, LRELU_FLOAT64, 1, s2, NULL);
		lrelu_rrelu_train(&g, lo, hi, &tx, &ty, &tn);
		for (int i = 0; i < 2; i++)
			CHECK(f64bits(nd[i]) == want[k].n64[i], "float64 noise[%d]", i);
		tx = lrelu_tensor_make(xb, LRELU_BFLOAT16, 1, s2, NULL);
		tn = lrelu_tensor_make(nb, LRELU_BFLOAT16, 1, s2, NULL);
		lrelu_rrelu_train(&g, lo, hi, &tx, NULL, &tn); /* in place */
		for (int i = 0; i < 2; i++)
			CHECK(nb[i] == want[k].nbf[i] && xb[i] == want[k].ybf[i], "bfloat16 [%d] %04x %04x",
			      i, nb[i], xb[i]);
		(void)yb;
	}
}

/* Refusals leave the generator and the outputs as they were. */
static void test_rrelu_refusals(void)
{
	lrelu_generator g, before;
	float x[6] = { -1, -2, -3, -4, -5, -6 }, n[4] = { 7, 7, 7, 7 };
	int64_t s3[1] = { 3 };
	lrelu_tensor tx = lrelu_tensor_make(x, LRELU_FLOAT32, 1, s3, NULL);
	lrelu_tensor tn = lrelu_tensor_make(n, LRELU_FLOAT32, 1, s3, NULL);
	lrelu_tensor tn1 = lrelu_tensor_make(x + 2, LRELU_FLOAT32, 1, s3, NULL); /* x's last */
	lrelu_tensor tn0 = lrelu_tensor_make(x + 3, LRELU_FLOAT32, 1, s3, NULL); /* adjacent */
	float far[3];
	lrelu_generator_seed(&g, 1);
	before = g;
	CHECK(lrelu_rrelu_train(&g, 0.3, 0.1, &tx, NULL, &tn) == LRELU_ERR_SLOPE, "lower > upper");
	CHECK(strcmp(lrelu_last_error(),
	             "Lower bound should be less than or equal to the upper bound") == 0, "%s",
	      lrelu_last_error());
	CHECK(lrelu_rrelu_train(&g, NAN, 0.1, &tx, NULL, &tn) == LRELU_ERR_SLOPE, "NaN lower");
	CHECK(lrelu_rrelu_eval(0.1, NAN, &tx, NULL) == LRELU_ERR_SLOPE, "NaN upper");
	CHECK(lrelu_rrelu_train(&g, 0.1, 0.1, &tx, NULL, &tn1) == LRELU_ERR_OVERLAP,
	      "noise overlapping x by one element");
	CHECK(memcmp(&g, &before, sizeof g) == 0 && n[0] == 7 && x[0] == -1, "nothing changed");
	/* adjacent noise is fine: x[3] is its first element */
	CHECK(lrelu_rrelu_train(&g, 0.1, 0.3, &tx, NULL, &tn0) == LRELU_OK, "%s", lrelu_last_error());
	tn = lrelu_tensor_make(far, LRELU_FLOAT16, 1, s3, NULL);
	tx.dtype = LRELU_FLOAT16;
	CHECK(lrelu_rrelu_train(&g, 0.1, 0.3, &tx, NULL, &tn) == LRELU_ERR_DTYPE &&
	      strcmp(lrelu_last_error(), "\"rrelu_with_noise_out_cpu\" not implemented for 'Half'") == 0,
	      "float16: %s", lrelu_last_error());
}

/* A range PyTorch's uniform_real_distribution refuses (hi - lo above DBL_MAX, an
 * infinite bound) fails only when an element draws; hi - lo == DBL_MAX is taken. */
static void test_rrelu_range(void)
{
	lrelu_generator g, before;
	double x[3] = { 2.0, NAN, -1.0 }, y[3], n[3] = { 7, 7, 7 };
	int64_t s2[1] = { 2 }, s3[1] = { 3 };
	const double half = DBL_MAX / 2, above = nextafter(DBL_MAX / 2, INFINITY);
	lrelu_tensor tx2 = lrelu_tensor_make(x, LRELU_FLOAT64, 1, s2, NULL); /* 2, NaN: no draw */
	lrelu_tensor tx3 = lrelu_tensor_make(x, LRELU_FLOAT64, 1, s3, NULL); /* -1 draws */
	lrelu_tensor ty = lrelu_tensor_make(y, LRELU_FLOAT64, 1, s3, NULL);
	lrelu_tensor ty2 = lrelu_tensor_make(y, LRELU_FLOAT64, 1, s2, NULL);
	lrelu_tensor tn = lrelu_tensor_make(n, LRELU_FLOAT64, 1, s3, NULL);
	lrelu_tensor tn2 = lrelu_tensor_make(n, LRELU_FLOAT64, 1, s2, NULL);
	lrelu_generator_seed(&g, 3);
	before = g;
	CHECK(lrelu_rrelu_train(&g, -above, above, &tx3, &ty, &tn) == LRELU_ERR_SLOPE &&
	      strncmp(lrelu_last_error(), "Expected to - from <= std::numeric_limits<T>::max()", 50) == 0,
	      "range above DBL_MAX: %s", lrelu_last_error());
	CHECK(lrelu_rrelu_train(&g, 0.0, INFINITY, &tx3, &ty, &tn) == LRELU_ERR_SLOPE, "upper inf");
	CHECK(lrelu_rrelu_train(&g, -INFINITY, -INFINITY, &tx3, &ty, &tn) == LRELU_ERR_SLOPE, "-inf, -inf");
	CHECK(memcmp(&g, &before, sizeof g) == 0 && n[0] == 7 && n[2] == 7, "nothing changed");
	CHECK(lrelu_rrelu_train(&g, -INFINITY, INFINITY, &tx2, &ty2, &tn2) == LRELU_OK,
	      "no element draws: %s", lrelu_last_error());
	CHECK(y[0] == 2.0 && isnan(y[1]) && n[0] == 1.0 && n[1] == 1.0, "no draw: y = x, noise 1");
	CHECK(lrelu_rrelu_train(&g, -half, half, &tx3, &ty, &tn) == LRELU_OK, "range DBL_MAX: %s",
	      lrelu_last_error());
	CHECK(isfinite(y[2]) && n[2] >= -half && n[2] <= half, "range DBL_MAX: a finite draw");
}

/* PReLU: per channel, both layouts give the same bits; the weight gradient is the same
 * for any thread count and ISA and the 1-D mismatch is refused. */
static void test_prelu(void)
{
	enum { N = 3, C = 5, H = 7, W = 9, E = N * C * H * W };
	static float x[E], xl[E], y[E], yl[E], g[E], gl[E], dx[E], dxl[E];
	float w[C] = { 0.25f, -0.5f, 2.0f, NAN, 0.0f }, dw[C], dwl[C], dw2[C];
	int64_t shape[4] = { N, C, H, W };
	int64_t last[4] = { C * H * W, 1, W * C, C };
	int64_t wshape[1] = { C };
	uint64_t rng = 99;
	for (int n = 0; n < N; n++)
		for (int c = 0; c < C; c++)
			for (int h = 0; h < H; h++)
				for (int q = 0; q < W; q++) {
					int i = ((n * C + c) * H + h) * W + q, j = ((n * H + h) * W + q) * C + c;
					xl[j] = x[i] = (float)((int64_t)(tu_xorshift(&rng) % 2001) - 1000) / 64.0f;
					gl[j] = g[i] = (float)((int64_t)(tu_xorshift(&rng) % 2001) - 1000) / 128.0f;
				}
	x[0] = xl[0] = -0.0f;
	x[H * W] = xl[1] = -0.0f; /* channel 1: w = -0.5 */
	lrelu_tensor tx = lrelu_tensor_make(x, LRELU_FLOAT32, 4, shape, NULL);
	lrelu_tensor ty = lrelu_tensor_make(y, LRELU_FLOAT32, 4, shape, NULL);
	lrelu_tensor tg = lrelu_tensor_make(g, LRELU_FLOAT32, 4, shape, NULL);
	lrelu_tensor td = lrelu_tensor_make(dx, LRELU_FLOAT32, 4, shape, NULL);
	lrelu_tensor txl = lrelu_tensor_make(xl, LRELU_FLOAT32, 4, shape, last);
	lrelu_tensor tyl = lrelu_tensor_make(yl, LRELU_FLOAT32, 4, shape, last);
	lrelu_tensor tgl = lrelu_tensor_make(gl, LRELU_FLOAT32, 4, shape, last);
	lrelu_tensor tdl = lrelu_tensor_make(dxl, LRELU_FLOAT32, 4, shape, last);
	lrelu_tensor tw = lrelu_tensor_make(w, LRELU_FLOAT32, 1, wshape, NULL);
	lrelu_tensor tdw = lrelu_tensor_make(dw, LRELU_FLOAT32, 1, wshape, NULL);
	lrelu_tensor tdwl = lrelu_tensor_make(dwl, LRELU_FLOAT32, 1, wshape, NULL);
	lrelu_tensor tdw2 = lrelu_tensor_make(dw2, LRELU_FLOAT32, 1, wshape, NULL);
	CHECK(lrelu_prelu_forward(LRELU_TORCH, &tx, &tw, &ty) == LRELU_OK, "%s", lrelu_last_error());
	CHECK(lrelu_prelu_forward(LRELU_TORCH, &txl, &tw, &tyl) == LRELU_OK, "%s", lrelu_last_error());
	CHECK(lrelu_prelu_backward(LRELU_TORCH, &tg, &tx, &tw, &td, &tdw) == LRELU_OK, "%s", lrelu_last_error());
	CHECK(lrelu_prelu_backward(LRELU_TORCH, &tgl, &txl, &tw, &tdl, &tdwl) == LRELU_OK, "%s", lrelu_last_error());
	long bad = 0, badl = 0;
	for (int n = 0; n < N; n++)
		for (int c = 0; c < C; c++)
			for (int h = 0; h < H; h++)
				for (int q = 0; q < W; q++) {
					int i = ((n * C + c) * H + h) * W + q, j = ((n * H + h) * W + q) * C + c;
					float want = x[i] > 0 ? x[i] : w[c] * x[i];
					float wantd = x[i] > 0 ? g[i] : w[c] * g[i];
					bad += f32bits(y[i]) != f32bits(want) || f32bits(dx[i]) != f32bits(wantd);
					badl += f32bits(yl[j]) != f32bits(y[i]) || f32bits(dxl[j]) != f32bits(dx[i]);
				}
	CHECK(bad == 0, "%ld elements differ from x > 0 ? x : w[c] * x", bad);
	CHECK(badl == 0, "%ld channels-last elements differ from channels-first", badl);
	CHECK(f32bits(y[0]) == 0x80000000u && f32bits(y[H * W]) == 0,
	      "-0.0 * 0.25 is -0.0, -0.0 * -0.5 is +0.0");
	/* The weight gradient: x and g are multiples of 2^-6 and 2^-7 below 16 and 8,
	 * so every sum is exact in float: the expected values are computable here. */
	for (int c = 0; c < C; c++) {
		double s = 0;
		for (int n = 0; n < N; n++)
			for (int k = 0; k < H * W; k++) {
				int i = (n * C + c) * H * W + k;
				s += x[i] > 0 ? 0.0 : (double)x[i] * g[i];
			}
		CHECK(f32bits(dw[c]) == f32bits((float)s) && f32bits(dwl[c]) == f32bits(dw[c]),
		      "weight gradient[%d] %a vs %a", c, (double)dw[c], s);
	}
	for (int t = 1; t <= 8; t++)
		for (int isa = 0; isa <= 4; isa++) {
			if (lrelu_set_isa((lrelu_isa)isa) != LRELU_OK)
				continue;
			lrelu_set_num_threads(t);
			lrelu_prelu_backward(LRELU_TORCH, &tgl, &txl, &tw, NULL, &tdw2);
			CHECK(memcmp(dw2, dw, sizeof dw) == 0, "weight gradient, %d threads, isa %d", t, isa);
		}
	lrelu_set_isa(LRELU_ISA_AUTO);
	lrelu_set_num_threads(0);
	/* a strided weight (every other float) gives the same result */
	float w2[2 * C], dwi[2 * C];
	int64_t two[1] = { 2 };
	for (int c = 0; c < C; c++)
		w2[2 * c] = w[c], w2[2 * c + 1] = 100.0f, dwi[2 * c + 1] = 7.0f;
	lrelu_tensor tw2 = lrelu_tensor_make(w2, LRELU_FLOAT32, 1, wshape, two);
	lrelu_tensor tdwi = lrelu_tensor_make(dwi, LRELU_FLOAT32, 1, wshape, two);
	CHECK(lrelu_prelu_forward(LRELU_TORCH, &txl, &tw2, &tyl) == LRELU_OK, "%s", lrelu_last_error());
	CHECK(lrelu_prelu_backward(LRELU_TORCH, &tgl, &txl, &tw2, &tdl, &tdwi) == LRELU_OK, "%s", lrelu_last_error());
	bad = 0;
	for (int n = 0; n < N; n++)
		for (int c = 0; c < C; c++)
			for (int k = 0; k < H * W; k++)
				bad += f32bits(yl[(n * H * W + k) * C + c]) != f32bits(y[(n * C + c) * H * W + k]) ||
				       f32bits(dxl[(n * H * W + k) * C + c]) != f32bits(dx[(n * C + c) * H * W + k]);
	for (int c = 0; c < C; c++)
		bad += f32bits(dwi[2 * c]) != f32bits(dw[c]) || dwi[2 * c + 1] != 7.0f;
	CHECK(bad == 0, "strided weight: %ld values differ", bad);
	/* 1-D input: one channel, so a weight of 4 is refused; of 1, accepted */
	int64_t s4[1] = { 4 }, s1[1] = { 1 };
	lrelu_tensor t1 = lrelu_tensor_make(x, LRELU_FLOAT32, 1, s4, NULL);
	lrelu_tensor t1y = lrelu_tensor_make(y, LRELU_FLOAT32, 1, s4, NULL);
	lrelu_tensor w4 = lrelu_tensor_make(w, LRELU_FLOAT32, 1, s4, NULL);
	lrelu_tensor w1 = lrelu_tensor_make(w, LRELU_FLOAT32, 1, s1, NULL);
	CHECK(lrelu_prelu_forward(LRELU_TORCH, &t1, &w4, &t1y) == LRELU_ERR_SHAPE &&
	      strcmp(lrelu_last_error(), "Mismatch of parameter numbers and input channel size. "
	                                 "Found parameter numbers = 4 and channel size = 1.") == 0,
	      "%s", lrelu_last_error());
	CHECK(lrelu_prelu_forward(LRELU_TORCH, &t1, &w1, &t1y) == LRELU_OK, "%s", lrelu_last_error());
	/* a framework without a PReLU here, and a value that is no framework */
	CHECK(lrelu_prelu_forward(LRELU_ONNX, &t1, &w1, &t1y) == LRELU_ERR_UNSUPPORTED &&
	      strcmp(lrelu_last_error(), "prelu: not implemented for framework onnx") == 0,
	      "%s", lrelu_last_error());
	CHECK(lrelu_prelu_backward((lrelu_framework)99, &t1, &t1, &w1, &t1y, NULL) == LRELU_ERR_ARG,
	      "%s", lrelu_last_error());
	/* y over x shifted by one element: refused; by the whole length (adjacent): fine */
	lrelu_tensor ts = lrelu_tensor_make(x + 3, LRELU_FLOAT32, 1, s4, NULL);
	lrelu_tensor ta = lrelu_tensor_make(x + 4, LRELU_FLOAT32, 1, s4, NULL);
	CHECK(lrelu_prelu_forward(LRELU_TORCH, &t1, &w1, &ts) == LRELU_ERR_OVERLAP, "overlap by one");
	CHECK(lrelu_prelu_forward(LRELU_TORCH, &t1, &w1, &ta) == LRELU_OK, "adjacent");
	/* the weight gradient over the weight itself is refused */
	CHECK(lrelu_prelu_backward(LRELU_TORCH, &tg, &tx, &tw, NULL, &tw) == LRELU_ERR_OVERLAP, "grad_weight = weight");
}

/* MindSpore's PReLU (PReluCpuKernelMod / PReLUGradCpuKernelMod, read from source): the
 * rule's edges, each on both sides: y takes the product on x < 0 only (-0.0 and NaN
 * pass), dx on x <= 0 (+-0 take the weight, NaN passes dy), dw sums x < 0 only (so
 * -0.0 * inf stays out) in a float accumulator; float16 products with MindSpore's NaN;
 * the refusals. */
/* st is the refusal want, with exactly this message. */
static int refused(lrelu_status st, lrelu_status want, const char *msg)
{
	return st == want && strcmp(lrelu_last_error(), msg) == 0;
}

static void test_prelu_mindspore(void)
{
	const float nan = NAN, inf = INFINITY;
	float x[8] = { -2.0f, -0.0f, 0.0f, nan, 3.0f, -inf, -1e-30f, 1e-30f };
	float g[8] = { 1.0f, inf, inf, 5.0f, 7.0f, 0.5f, 2.0f, 3.0f };
	float w[1] = { -0.5f }, y[8], dx[8], dw[1];
	int64_t s8[1] = { 8 }, s1[1] = { 1 };
	lrelu_tensor tx = lrelu_tensor_make(x, LRELU_FLOAT32, 1, s8, NULL);
	lrelu_tensor tg = lrelu_tensor_make(g, LRELU_FLOAT32, 1, s8, NULL);
	lrelu_tensor ty = lrelu_tensor_make(y, LRELU_FLOAT32, 1, s8, NULL);
	lrelu_tensor td = lrelu_tensor_make(dx, LRELU_FLOAT32, 1, s8, NULL);
	lrelu_tensor tw = lrelu_tensor_make(w, LRELU_FLOAT32, 1, s1, NULL);
	lrelu_tensor tdw = lrelu_tensor_make(dw, LRELU_FLOAT32, 1, s1, NULL);
	CHECK(lrelu_prelu_forward(LRELU_MINDSPORE, &tx, &tw, &ty) == LRELU_OK, "%s", lrelu_last_error());
	CHECK(y[0] == 1.0f && f32bits(y[1]) == 0x80000000u && f32bits(y[2]) == 0 &&
	      f32bits(y[3]) == f32bits(nan) && y[4] == 3.0f && y[5] == inf &&
	      y[6] == 5e-31f && y[7] == 1e-30f,
	      "mindspore forward: %g %g %g %g %g %g %g %g", y[0], y[1], y[2], y[3], y[4], y[5], y[6], y[7]);
	CHECK(lrelu_prelu_backward(LRELU_MINDSPORE, &tg, &tx, &tw, &td, &tdw) == LRELU_OK, "%s",
	      lrelu_last_error());
	CHECK(dx[0] == -0.5f && dx[1] == -inf && dx[2] == -inf && dx[3] == 5.0f && dx[4] == 7.0f &&
	      dx[5] == -0.25f && dx[6] == -1.0f && dx[7] == 3.0f,
	      "mindspore input gradient: %g %g %g %g %g %g %g %g", dx[0], dx[1], dx[2], dx[3], dx[4],
	      dx[5], dx[6], dx[7]);
	/* -2*1 + -inf*0.5 + -1e-30*2: -inf (summing x = -0.0 with g = inf would give NaN) */
	CHECK(dw[0] == -inf, "mindspore weight gradient %g", dw[0]);
	/* a float accumulator: 2^24 + 1 + 1 stays 2^24 in float (a double sum gives 2^24 + 2) */
	float xa[3] = { -16777216.0f, -1.0f, -1.0f }, ga[3] = { 1.0f, 1.0f, 1.0f };
	int64_t s3[1] = { 3 };
	lrelu_tensor txa = lrelu_tensor_make(xa, LRELU_FLOAT32, 1, s3, NULL);
	lrelu_tensor tga = lrelu_tensor_make(ga, LRELU_FLOAT32, 1, s3, NULL);
	CHECK(lrelu_prelu_backward(LRELU_MINDSPORE, &tga, &txa, &tw, NULL, &tdw) == LRELU_OK &&
	      dw[0] == -16777216.0f, "mindspore dw accumulates in float: %.9g", dw[0]);
	/* float16: the product rounded once; a NaN weight's product is 0x7E00 with its sign */
	uint16_t hx[3] = { 0xBC00 /* -1 */, 0xC000 /* -2 */, 0x3C00 }, hw[3] = { 0x3555, 0xFD01, 0x3C00 },
	         hy[3], hdx[3], hdw[3];
	int64_t sh[2] = { 1, 3 }, s3w[1] = { 3 };
	lrelu_tensor thx = lrelu_tensor_make(hx, LRELU_FLOAT16, 2, sh, NULL);
	lrelu_tensor thy = lrelu_tensor_make(hy, LRELU_FLOAT16, 2, sh, NULL);
	lrelu_tensor thd = lrelu_tensor_make(hdx, LRELU_FLOAT16, 2, sh, NULL);
	lrelu_tensor thw = lrelu_tensor_make(hw, LRELU_FLOAT16, 1, s3w, NULL);
	lrelu_tensor thdw = lrelu_tensor_make(hdw, LRELU_FLOAT16, 1, s3w, NULL);
	CHECK(lrelu_prelu_forward(LRELU_MINDSPORE, &thx, &thw, &thy) == LRELU_OK &&
	      hy[0] == 0xB555 && hy[1] == 0xFE00 && hy[2] == 0x3C00,
	      "mindspore float16 forward %04x %04x %04x", hy[0], hy[1], hy[2]);
	CHECK(lrelu_prelu_backward(LRELU_MINDSPORE, &thx, &thx, &thw, &thd, &thdw) == LRELU_OK &&
	      hdx[0] == 0xB555 && hdx[1] == 0xFE00 && hdx[2] == 0x3C00 && hdw[0] == 0x3C00 &&
	      hdw[1] == 0x4400 && hdw[2] == 0,
	      "mindspore float16 backward %04x %04x %04x, dw %04x %04x %04x", hdx[0], hdx[1], hdx[2],
	      hdw[0], hdw[1], hdw[2]);
	/* the refusals: dtypes, weight rank 0 and 2, a weight of neither 1 nor C, N * C == 0 */
	double dd[8];
	lrelu_tensor tdd = lrelu_tensor_make(dd, LRELU_FLOAT64, 1, s8, NULL);
	CHECK(refused(lrelu_prelu_forward(LRELU_MINDSPORE, &tdd, &tw, &tdd), LRELU_ERR_DTYPE,
	              "For primitive[PReLU], the input argument[x] must be a type "
	              "of {Tensor[Float16], Tensor[Float32]}, but got Tensor[Float64]."),
	      "%s", lrelu_last_error());
	CHECK(lrelu_prelu_forward(LRELU_MINDSPORE, &tx, &thw, &ty) == LRELU_ERR_DTYPE, "mixed: %s",
	      lrelu_last_error());
	lrelu_tensor tw0 = lrelu_tensor_make(w, LRELU_FLOAT32, 0, NULL, NULL);
	int64_t s11[2] = { 1, 1 };
	lrelu_tensor tw2 = lrelu_tensor_make(w, LRELU_FLOAT32, 2, s11, NULL);
	CHECK(refused(lrelu_prelu_forward(LRELU_MINDSPORE, &tx, &tw0, &ty), LRELU_ERR_SHAPE,
	              "The dimension of 'weight' must be 1"), "%s", lrelu_last_error());
	CHECK(refused(lrelu_prelu_forward(LRELU_MINDSPORE, &tx, &tw2, &ty), LRELU_ERR_SHAPE,
	              "The dimension of 'weight' must be less than or equal to 1"), "%s", lrelu_last_error());
	int64_t s24[2] = { 2, 4 }, s2[1] = { 2 }, s4[1] = { 4 }, s04[2] = { 0, 4 }, s240[3] = { 2, 4, 0 };
	float w4[4] = { 1, 2, 3, 4 };
	lrelu_tensor tx24 = lrelu_tensor_make(x, LRELU_FLOAT32, 2, s24, NULL);
	lrelu_tensor ty24 = lrelu_tensor_make(y, LRELU_FLOAT32, 2, s24, NULL);
	lrelu_tensor tw2e = lrelu_tensor_make(w4, LRELU_FLOAT32, 1, s2, NULL);
	lrelu_tensor tw4 = lrelu_tensor_make(w4, LRELU_FLOAT32, 1, s4, NULL);
	CHECK(refused(lrelu_prelu_forward(LRELU_MINDSPORE, &tx24, &tw2e, &ty24), LRELU_ERR_SHAPE,
	              "For 'Prelu', the length of 'weight' must be equal to number "
	              "of channels: 4, but got [2]."),
	      "%s", lrelu_last_error());
	CHECK(lrelu_prelu_forward(LRELU_MINDSPORE, &tx24, &tw4, &ty24) == LRELU_OK, "%s", lrelu_last_error());
	lrelu_tensor tx04 = lrelu_tensor_make(x, LRELU_FLOAT32, 2, s04, NULL);
	lrelu_tensor ty04 = lrelu_tensor_make(y, LRELU_FLOAT32, 2, s04, NULL);
	lrelu_tensor tx240 = lrelu_tensor_make(x, LRELU_FLOAT32, 3, s240, NULL);
	lrelu_tensor ty240 = lrelu_tensor_make(y, LRELU_FLOAT32, 3, s240, NULL);
	CHECK(lrelu_prelu_forward(LRELU_MINDSPORE, &tx04, &tw4, &ty04) == LRELU_ERR_SHAPE, "N == 0: %s",
	      lrelu_last_error());
	CHECK(lrelu_prelu_forward(LRELU_MINDSPORE, &tx240, &tw4, &ty240) == LRELU_OK, "(2, 4, 0): %s",
	      lrelu_last_error());
}

/* PyTorch 1.13's mixed dtypes: a bfloat16 x takes a float64 weight copied to bfloat16
 * through float (1 + 2^-8 + 2^-30 becomes the tie 1 + 2^-8, then 1.0; a direct rounding
 * gives 1 + 2^-7), and the weight gradient comes back in float64; a float16 x with a
 * float32 weight is refused for the dtype before the Half dispatch. */
static void test_prelu_mixed(void)
{
	uint16_t bx[2] = { 0xBF80 /* -1 */, 0x4000 }, by[2], bg[2] = { 0x3F80, 0x3F80 }, bd[2];
	double w[1] = { 1.0 + 0x1p-8 + 0x1p-30 }, dw[1];
	int64_t s2[1] = { 2 }, s1[1] = { 1 };
	lrelu_tensor tx = lrelu_tensor_make(bx, LRELU_BFLOAT16, 1, s2, NULL);
	lrelu_tensor ty = lrelu_tensor_make(by, LRELU_BFLOAT16, 1, s2, NULL);
	lrelu_tensor tg = lrelu_tensor_make(bg, LRELU_BFLOAT16, 1, s2, NULL);
	lrelu_tensor td = lrelu_tensor_make(bd, LRELU_BFLOAT16, 1, s2, NULL);
	lrelu_tensor tw = lrelu_tensor_make(w, LRELU_FLOAT64, 1, s1, NULL);
	lrelu_tensor tdw = lrelu_tensor_make(dw, LRELU_FLOAT64, 1, s1, NULL);
	CHECK(lrelu_prelu_forward(LRELU_TORCH, &tx, &tw, &ty) == LRELU_OK && by[0] == 0xBF80 &&
	      by[1] == 0x4000, "bfloat16 x, float64 weight: %04x %04x (%s)", by[0], by[1], lrelu_last_error());
	CHECK(lrelu_prelu_backward(LRELU_TORCH, &tg, &tx, &tw, &td, &tdw) == LRELU_OK && bd[0] == 0x3F80 &&
	      bd[1] == 0x3F80 && dw[0] == -1.0, "bfloat16 x, float64 weight backward: %04x %g", bd[0], dw[0]);
	uint16_t hx[2] = { 0, 0 }, hy[2];
	float fw[1] = { 0.25f };
	lrelu_tensor thx = lrelu_tensor_make(hx, LRELU_FLOAT16, 1, s2, NULL);
	lrelu_tensor thy = lrelu_tensor_make(hy, LRELU_FLOAT16, 1, s2, NULL);
	lrelu_tensor tfw = lrelu_tensor_make(fw, LRELU_FLOAT32, 1, s1, NULL);
	CHECK(refused(lrelu_prelu_forward(LRELU_TORCH, &thx, &tfw, &thy), LRELU_ERR_DTYPE,
	              "Found dtype Float but expected Half"), "%s", lrelu_last_error());
	lrelu_tensor thw = lrelu_tensor_make(hx, LRELU_FLOAT16, 1, s1, NULL);
	CHECK(lrelu_prelu_forward(LRELU_TORCH, &thx, &thw, &thy) == LRELU_ERR_DTYPE &&
	      strcmp(lrelu_last_error(), "\"prelu_cpu\" not implemented for 'Half'") == 0, "%s",
	      lrelu_last_error());
	/* quantized PReLU is PyTorch's own kernel, not implemented here: said so */
	int8_t qx[2] = { -3, 4 }, qy[2], qw[1] = { 2 };
	lrelu_tensor tqx = lrelu_tensor_make(qx, LRELU_QINT8, 1, s2, NULL);
	lrelu_tensor tqy = lrelu_tensor_make(qy, LRELU_QINT8, 1, s2, NULL);
	lrelu_tensor tqw = lrelu_tensor_make(qw, LRELU_QINT8, 1, s1, NULL);
	CHECK(lrelu_prelu_forward(LRELU_TORCH, &tqx, &tqw, &tqy) == LRELU_ERR_DTYPE &&
	      strstr(lrelu_last_error(), "quantized input (QInt8) is not implemented") != NULL, "%s",
	      lrelu_last_error());
}

/* The operands pass the library's one tensor check: a stride whose byte offsets leave
 * int64 is refused, one that fits is taken. */
static void test_operand_checks(void)
{
	float x[2] = { -1, 2 }, y[2];
	int64_t shape[1] = { 2 }, huge[1] = { INT64_MAX / 2 }, fits[1] = { 1 };
	lrelu_tensor tx = lrelu_tensor_make(x, LRELU_FLOAT32, 1, shape, huge);
	lrelu_tensor ty = lrelu_tensor_make(y, LRELU_FLOAT32, 1, shape, NULL);
	CHECK(lrelu_rrelu_eval(0.125, 1.0 / 3, &tx, &ty) == LRELU_ERR_SHAPE,
	      "rrelu, stride past int64: %s", lrelu_last_error());
	float w[1] = { 0.25f };
	int64_t one[1] = { 1 };
	lrelu_tensor tw = lrelu_tensor_make(w, LRELU_FLOAT32, 1, one, NULL);
	CHECK(lrelu_prelu_forward(LRELU_TORCH, &tx, &tw, &ty) == LRELU_ERR_SHAPE, "prelu, stride past int64: %s",
	      lrelu_last_error());
	float nz[2];
	lrelu_tensor tn = lrelu_tensor_make(nz, LRELU_FLOAT32, 1, shape, NULL);
	lrelu_generator g;
	lrelu_generator_seed(&g, 0);
	CHECK(lrelu_rrelu_train(&g, 0.125, 1.0 / 3, &tx, &ty, &tn) == LRELU_ERR_SHAPE,
	      "rrelu training, stride past int64: %s", lrelu_last_error());
	tx = lrelu_tensor_make(x, LRELU_FLOAT32, 1, shape, fits);
	CHECK(lrelu_rrelu_train(&g, 0.125, 1.0 / 3, &tx, &ty, &tn) == LRELU_OK,
	      "rrelu training, stride 1: %s", lrelu_last_error());
	CHECK(lrelu_rrelu_eval(0.125, 1.0 / 3, &tx, &ty) == LRELU_OK, "rrelu, stride 1: %s",
	      lrelu_last_error());
}

int main(void)
{
	test_generator();
	test_rrelu_train();
	test_rrelu_refusals();
	test_rrelu_range();
	test_prelu();
	test_prelu_mindspore();
	test_prelu_mixed();
	test_operand_checks();
	return tu_finish("test_family");
}

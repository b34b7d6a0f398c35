/* quant_others.c - how many int8 / uint8 LeakyReLU codes XNNPACK, TFLite and MindSpore Lite rules
 * change against PyTorch's (lrelu's), over all 256 inputs of many parameter sets */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrelu.h"

#ifdef HAVE_XNNPACK
#include <xnnpack.h>
#endif

/*
 * Our own implementations of the other libraries' published rules (see
 * docs/quantized.md for the sources), each applied to every input code and compared
 * with PyTorch's codes as this library computes them (vector-body path; the scalar
 * path is reported too).  A rule returns REFUSED where its library refuses the parameters.
 * Usage: quant_others [sets-per-dtype]   (deterministic parameter sets)
 */

#define REFUSED (-100000)

struct qset {
	int s8;             /* qint8 / int8, else quint8 / uint8 */
	float s, os, slope; /* the libraries all keep scales and slope as float */
	int zp, ozp;
};

static int clampq(int64_t v, int s8)
{
	int lo = s8 ? -128 : 0, hi = s8 ? 127 : 255;
	return (int)(v < lo ? lo : v > hi ? hi : v);
}

/* XNNPACK >= mid-2022 (qs8/qu8 vlrelu microkernels, src/microparams-init.c): Q8.8
 * multipliers, scalar form ((out_zp << 8) + 0x80 + (x - zp) * mult) >> 8, i.e. round
 * half up.  Create refuses ratio outside [2^-8, 2^7] and |ratio*slope| outside
 * [2^-8, 2^7) (so slope 0 too). */
static int xnn_q88(const struct qset *p, int q)
{
	float ratio = p->s / p->os, neg = ratio * p->slope;
	if (!(ratio >= 0x1p-8f && ratio <= 0x1p7f) || !(fabsf(neg) >= 0x1p-8f && neg <= 0x1p7f) ||
	    !(neg >= -0x1.FFFCp+6f))
		return REFUSED;
	int32_t pos_m = (int32_t)lrintf(256.0f * ratio), neg_m = (int32_t)lrintf(256.0f * neg);
	int32_t acc = q - p->zp;
	int32_t m = acc >= 0 ? pos_m : neg_m;
	int32_t out = (int32_t)(((int64_t)p->ozp * 256 + 0x80 + (int64_t)acc * m) >> 8);
	return clampq(out, p->s8);
}

/* XNNPACK 2022 (Debian 0.0~git20220216), xnn_create_leaky_relu_nc_qu8: a 256-entry
 * table in float, x = (q - zp) * s, x *= slope where negative, times 1/os, clamped to
 * the output range less out_zp, then lrintf + out_zp (ties to even).  qu8 only.  This
 * form is the one that matches the installed library on every code (checked below;
 * (q - zp) * (s/os) does not). */
static int xnn_lut2022(const struct qset *p, int q)
{
	float ratio = p->s / p->os;
	if (p->s8 || !(ratio >= 0x1p-8f && ratio < 0x1p8f))
		return REFUSED;
	float lo = (float)(0 - p->ozp), hi = (float)(255 - p->ozp);
	float x = (float)(q - p->zp) * p->s;
	float y = (x < 0.0f ? x * p->slope : x) * (1.0f / p->os);
	y = y < lo ? lo : y > hi ? hi : y;
	return (int)(lrintf(y) + p->ozp);
}

/* TFLite reference QuantizeLeakyRelu with gemmlowp fixed point. */
static void quantize_multiplier(double m, int32_t *qm, int *shift)
{
	if (m == 0.0) {
		*qm = 0, *shift = 0;
		return;
	}
	double f = frexp(m, shift);
	int64_t fixed = (int64_t)round(f * (double)(1ll << 31));
	if (fixed == (1ll << 31)) {
		fixed /= 2;
		++*shift;
	}
	if (*shift < -31) {
		*shift = 0;
		fixed = 0;
	}
	*qm = (int32_t)fixed;
}

static int32_t srdhm(int32_t a, int32_t b)
{
	if (a == b && a == INT32_MIN)
		return INT32_MAX;
	int64_t ab = (int64_t)a * b;
	int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
	return (int32_t)((ab + nudge) / (1ll << 31));
}

static int32_t rdbpot(int32_t x, int e)
{
	int32_t mask = (int32_t)((1ll << e) - 1), rem = x & mask;
	int32_t thr = (mask >> 1) + (x < 0 ? 1 : 0);
	return (x >> e) + (rem > thr ? 1 : 0);
}

static int32_t mbqm(int32_t x, int32_t qm, int shift)
{
	int ls = shift > 0 ? shift : 0, rs = shift > 0 ? 0 : -shift;
	return rdbpot(srdhm((int32_t)((int64_t)x * (1ll << ls)), qm), rs);
}

static int tflite(const struct qset *p, int q)
{
	/* float arithmetic, as in Prepare: input->params.scale * alpha / output->params.scale */
	double alpha_m = (double)(p->s * p->slope / p->os), id_m = (double)(p->s / p->os);
	int32_t qa, qi;
	int sa, si;
	quantize_multiplier(alpha_m, &qa, &sa);
	quantize_multiplier(id_m, &qi, &si);
	int32_t v = q - p->zp;
	int32_t out = p->ozp + (v >= 0 ? mbqm(v, qi, si) : mbqm(v, qa, sa));
	return clampq(out, p->s8);
}

/* MindSpore Lite nnacl int8 DoLeakReluInt8: the sign test on the raw code, the zero
 * point not multiplied by the slope, round() half away from zero.  int8 only. */
static int nnacl(const struct qset *p, int q)
{
	if (!p->s8)
		return REFUSED;
	float scale = p->s / p->os, bias = -(float)p->zp * scale;
	float v = q <= 0 ? (float)q * p->slope * scale + bias : (float)q * scale + bias;
	return clampq((int64_t)round(v) + p->ozp, p->s8);
}

/* PyTorch's codes through the library: 256 contiguous codes (vector body) and a
 * stride-2 view (scalar path). */
static int torch_tables(const struct qset *p, int *body, int *tail)
{
	uint8_t x[512], y[256];
	int64_t n = 256, two = 2;
	for (int i = 0; i < 256; i++)
		x[i] = (uint8_t)(p->s8 ? i - 128 : i), x[256 + i] = 0;
	lrelu_tensor tx = lrelu_tensor_make(x, p->s8 ? LRELU_QINT8 : LRELU_QUINT8, 1, &n, NULL);
	lrelu_tensor ty = lrelu_tensor_make(y, tx.dtype, 1, &n, NULL);
	tx.scale = p->s, tx.zero_point = p->zp, ty.scale = p->os, ty.zero_point = p->ozp;
	if (lrelu_forward(LRELU_TORCH, p->slope, &tx, &ty) != LRELU_OK)
		return -1;
	for (int i = 0; i < 256; i++)
		body[i] = p->s8 ? (int8_t)y[i] : y[i];
	uint8_t xs[512];
	for (int i = 0; i < 256; i++)
		xs[2 * i] = x[i], xs[2 * i + 1] = 0;
	tx.data = xs;
	tx.strides = &two;
	if (lrelu_forward(LRELU_TORCH, p->slope, &tx, &ty) != LRELU_OK)
		return -1;
	for (int i = 0; i < 256; i++)
		tail[i] = p->s8 ? (int8_t)y[i] : y[i];
	return 0;
}

#ifdef HAVE_XNNPACK
/* The installed XNNPACK itself, to check xnn_lut2022 against. */
static int xnn_real(const struct qset *p, int *out)
{
	xnn_operator_t op = NULL;
	uint8_t x[256], y[256];
	if (p->s8 || xnn_create_leaky_relu_nc_qu8(1, 1, 1, p->slope, (uint8_t)p->zp, p->s,
	                                          (uint8_t)p->ozp, p->os, 0, 255, 0, &op) !=
	                 xnn_status_success)
		return -1;
	for (int i = 0; i < 256; i++)
		x[i] = (uint8_t)i;
	int ok = xnn_setup_leaky_relu_nc_qu8(op, 256, x, y, NULL) == xnn_status_success &&
	         xnn_run_operator(op, NULL) == xnn_status_success;
	xnn_delete_operator(op);
	for (int i = 0; ok && i < 256; i++)
		out[i] = y[i];
	return ok ? 0 : -1;
}
#endif

static uint64_t rs = 0x853C49E6748FEA9Bull;
static double urand(void)
{
	rs ^= rs >> 12, rs ^= rs << 25, rs ^= rs >> 27;
	return (double)((rs * 2685821657736338717ull) >> 11) * 0x1p-53;
}

typedef int (*rule_fn)(const struct qset *, int);
struct tally {
	const char *name;
	rule_fn fn;
	long sets, refused, codes, diff_body, diff_tail, sets_diff, maxdiff;
};

/* Scales as users write them (decimal and power-of-two fractions, 1/255 and the like):
 * these put many products exactly on a rounding tie, where the libraries part ways. */
static const double NICE[] = { 0.1, 0.05, 0.02, 0.01, 0.2, 0.5, 0.25, 0.125, 0.0625, 1.0 / 255,
                               2.0 / 255, 1.0 / 128, 1.0 / 127, 0.0123, 0.007, 1.0 / 3, 0.3, 0.04 };
#define NNICE (sizeof NICE / sizeof NICE[0])

static void pick(struct qset *p, int s8, int k, int nice)
{
	static const float slopes[] = { 0.01f, 0.1f, 0.2f, 0.3f };
	if (nice) {
		p->s = (float)NICE[(size_t)(urand() * NNICE)];
		p->os = (k % 4 == 0) ? p->s : (float)NICE[(size_t)(urand() * NNICE)];
	} else {
		p->s = (float)exp(log(1e-3) + urand() * (log(1.0) - log(1e-3)));
		p->os = (k % 4 == 0) ? p->s : (float)(p->s * exp((urand() - 0.5) * 2.0 * log(4.0)));
	}
	p->s8 = s8;
	p->zp = (s8 ? -128 : 0) + (int)(urand() * 256);
	p->ozp = (k % 4 == 0) ? p->zp : (s8 ? -128 : 0) + (int)(urand() * 256);
	p->slope = k % 2 ? slopes[(k / 2) % 4] : (float)urand();
}

int main(int argc, char **argv)
{
	int per = argc > 1 ? atoi(argv[1]) : 2000;
#ifdef HAVE_XNNPACK
	if (xnn_initialize(NULL) != xnn_status_success)
		return 1;
#endif
	for (int nice = 1; nice >= 0; nice--) {
		struct tally t[] = {
			{ "XNNPACK Q8.8 (2022+ vlrelu)", xnn_q88, 0, 0, 0, 0, 0, 0, 0 },
			{ "XNNPACK 2022 float table (qu8)", xnn_lut2022, 0, 0, 0, 0, 0, 0, 0 },
			{ "TFLite gemmlowp multipliers", tflite, 0, 0, 0, 0, 0, 0, 0 },
			{ "MindSpore Lite nnacl (int8)", nnacl, 0, 0, 0, 0, 0, 0, 0 },
		};
		const int nt = (int)(sizeof t / sizeof t[0]);
		long torch_sets = 0, torch_paths = 0, xnn_checked = 0, xnn_mismatch = 0;
		for (int s8 = 0; s8 < 2; s8++) {
			for (int k = 0; k < per; k++) {
				struct qset p;
				int body[256], tail[256];
				pick(&p, s8, k, nice);
				if (torch_tables(&p, body, tail) != 0) {
					fprintf(stderr, "lrelu refused a parameter set: %s\n", lrelu_last_error());
					return 1;
				}
				torch_sets++;
				for (int i = 0; i < 256; i++)
					torch_paths += body[i] != tail[i];
#ifdef HAVE_XNNPACK
				int real[256];
				if (xnn_real(&p, real) == 0) {
					xnn_checked++;
					for (int i = 0; i < 256; i++)
						xnn_mismatch += real[i] != xnn_lut2022(&p, i);
				}
#endif
				for (int r = 0; r < nt; r++) {
					int any = 0;
					if (t[r].fn(&p, s8 ? -128 : 0) == REFUSED) {
						t[r].refused++;
						continue;
					}
					t[r].sets++;
					for (int i = 0; i < 256; i++) {
						int q = s8 ? i - 128 : i, v = t[r].fn(&p, q);
						long d = labs((long)v - body[i]);
						t[r].codes++;
						t[r].diff_body += d != 0;
						t[r].diff_tail += v != tail[i];
						any |= d != 0;
						if (d > t[r].maxdiff)
							t[r].maxdiff = d;
					}
					t[r].sets_diff += any;
				}
			}
		}
		printf("%s scales: %ld parameter sets (%d per dtype; output scale %s, a quarter with "
		       "equal input/output parameters, slopes 0.01/0.1/0.2/0.3 or uniform in [0, 1))\n",
		       nice ? "decimal / fraction" : "log-uniform [1e-3, 1]", torch_sets, per,
		       nice ? "from the same list" : "within 4x");
		printf("  PyTorch vector body vs its own scalar path: %ld of %ld codes differ\n",
		       torch_paths, torch_sets * 256);
		printf("  %-32s %6s %8s %9s %14s %14s %11s %7s\n", "rule", "sets", "refused", "codes",
		       "!= torch body", "!= torch tail", "sets differ", "max |d|");
		for (int r = 0; r < nt; r++)
			printf("  %-32s %6ld %8ld %9ld %7ld %5.2f%% %7ld %5.2f%% %11ld %7ld\n", t[r].name,
			       t[r].sets, t[r].refused, t[r].codes, t[r].diff_body,
			       t[r].codes ? 100.0 * (double)t[r].diff_body / (double)t[r].codes : 0.0,
			       t[r].diff_tail,
			       t[r].codes ? 100.0 * (double)t[r].diff_tail / (double)t[r].codes : 0.0,
			       t[r].sets_diff, t[r].maxdiff);
#ifdef HAVE_XNNPACK
		printf("  installed XNNPACK qu8 operator vs our 2022 table rule: %ld of %ld codes differ\n",
		       xnn_mismatch, xnn_checked * 256);
#else
		printf("  installed XNNPACK: not built in (no xnnpack.h)\n");
#endif
	}
	return 0;
}

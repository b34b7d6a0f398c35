/* test_quant.c - int8 / uint8 LeakyReLU against PyTorch 1.13's codes, on every ISA and kernel */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "kernels/q8lut.h"
#include "lrelu.h"
#include "testutil.h"

/*
 * The expected codes come from tests/quant/torch_codes.txt, written by
 * tests/quant/gen_torch_codes.py with PyTorch itself (see its header for the format):
 * T records give, per parameter set, the code of every input byte through PyTorch's
 * vector body and through its scalar path; P records are whole PyTorch calls on
 * tensors of various lengths and layouts.  Everything is compared bit for bit.
 */

#define MAXLINE (1 << 20)

static uint64_t rng_state = 0x243F6A8885A308D3ull;
static uint64_t rng(void)
{
	return tu_xorshift(&rng_state);
}

struct qp {
	lrelu_dtype dt;
	double s, os, slope;
	int zp, ozp;
};

static lrelu_tensor qt(void *data, const struct qp *p, int out, int ndim, const int64_t *shape,
                       const int64_t *strides)
{
	lrelu_tensor t = lrelu_tensor_make(data, p->dt, ndim, shape, strides);
	t.scale = out ? p->os : p->s;
	t.zero_point = out ? p->ozp : p->zp;
	return t;
}

static int hexval(int c)
{
	return c <= '9' ? c - '0' : (c | 32) - 'a' + 10;
}

static size_t unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = 0;
	while (h[0] && h[1] && n < max) {
		out[n++] = (uint8_t)(hexval(h[0]) * 16 + hexval(h[1]));
		h += 2;
	}
	return n;
}

static lrelu_isa isas[8];
static int nisas;
static struct lrelu_q8lut_variant variants[16];
static size_t nvariants;
static lrelu_q8build_fn builders[4];
static size_t nbuilders;

/* ---- T records: every code through both paths ------------------------------------ */

static void check_tables(const struct qp *p, const uint8_t *body, const uint8_t *tail,
                         const char *desc)
{
	uint8_t x[512], y[512], xs[1024];
	int64_t n256 = 256, n2 = 256, st2 = 2, n319 = 319;
	for (int b = 0; b < 256; b++) {
		x[b] = (uint8_t)b;
		xs[2 * b] = (uint8_t)b;
		xs[2 * b + 1] = (uint8_t)(b * 7);
	}
	for (int k = 0; k < nisas; k++) {
		lrelu_set_isa(isas[k]);
		/* 256 contiguous codes: four whole blocks, all vector body */
		lrelu_tensor tx = qt(x, p, 0, 1, &n256, NULL), ty = qt(y, p, 1, 1, &n256, NULL);
		memset(y, 0xAA, sizeof y);
		lrelu_status st = lrelu_forward(LRELU_TORCH, p->slope, &tx, &ty);
		int bad = -1;
		for (int b = 0; b < 256 && st == LRELU_OK; b++)
			if (y[b] != body[b] && bad < 0)
				bad = b;
		CHECK(st == LRELU_OK && bad < 0, "%s isa %s body: status %d, byte %02x gives %02x, "
		      "PyTorch %02x", desc, lrelu_isa_name(isas[k]), (int)st, bad, bad < 0 ? 0 : y[bad],
		      bad < 0 ? 0 : body[bad]);
		/* a stride-2 view: every element through the scalar path */
		tx = qt(xs, p, 0, 1, &n2, &st2);
		ty = qt(y, p, 1, 1, &n2, NULL);
		st = lrelu_forward(LRELU_TORCH, p->slope, &tx, &ty);
		bad = -1;
		for (int b = 0; b < 256 && st == LRELU_OK; b++)
			if (y[b] != tail[b] && bad < 0)
				bad = b;
		CHECK(st == LRELU_OK && bad < 0, "%s isa %s tail: byte %02x gives %02x, PyTorch %02x",
		      desc, lrelu_isa_name(isas[k]), bad, bad < 0 ? 0 : y[bad], bad < 0 ? 0 : tail[bad]);
		/* 319 = 4 blocks + 63: the last 63 elements take the scalar path */
		for (int i = 0; i < 319; i++)
			x[i] = (uint8_t)rng();
		tx = qt(x, p, 0, 1, &n319, NULL);
		ty = qt(y, p, 1, 1, &n319, NULL);
		st = lrelu_forward(LRELU_TORCH, p->slope, &tx, &ty);
		bad = -1;
		for (int i = 0; i < 319 && st == LRELU_OK; i++)
			if (y[i] != (i < 256 ? body : tail)[x[i]] && bad < 0)
				bad = i;
		CHECK(st == LRELU_OK && bad < 0, "%s isa %s 319 elements: element %d", desc,
		      lrelu_isa_name(isas[k]), bad);
		for (int i = 0; i < 256; i++)
			x[i] = (uint8_t)i;
	}
	lrelu_set_isa(LRELU_ISA_AUTO);
}

/* ---- P records: whole PyTorch calls ------------------------------------------------ */

static void check_call(const struct qp *p, const char *layout, int r, int c, int w,
                       const uint8_t *in, size_t nin, const uint8_t *want, size_t nwant,
                       const char *desc)
{
	uint8_t *base = malloc(nin), *y = malloc(nwant + 1);
	int64_t shape[2], strides[2], yshape[2];
	const int64_t *xst = NULL;
	int inplace = strcmp(layout, "inplace") == 0;
	shape[0] = r, shape[1] = c;
	if (strcmp(layout, "rows") == 0) {
		shape[1] = w, strides[0] = c, strides[1] = 1, xst = strides;
	} else if (strcmp(layout, "step") == 0) {
		shape[1] = (c + 1) / 2, strides[0] = c, strides[1] = 2, xst = strides;
	} else if (strcmp(layout, "trans") == 0) {
		shape[0] = c, shape[1] = r, strides[0] = 1, strides[1] = c, xst = strides;
	}
	yshape[0] = shape[0], yshape[1] = shape[1];
	CHECK((size_t)(yshape[0] * yshape[1]) == nwant, "%s %s: record sizes", desc, layout);
	for (int k = 0; k < nisas; k++) {
		lrelu_status st;
		lrelu_set_isa(isas[k]);
		memcpy(base, in, nin);
		memset(y, 0x5A, nwant + 1);
		lrelu_tensor tx = qt(base, p, 0, 2, shape, xst);
		if (inplace) {
			st = lrelu_forward(LRELU_TORCH, p->slope, &tx, k % 2 ? NULL : &tx);
			memcpy(y, base, nwant);
		} else {
			lrelu_tensor ty = qt(y, p, 1, 2, yshape, NULL);
			st = lrelu_forward(LRELU_TORCH, p->slope, &tx, &ty);
			CHECK(memcmp(base, in, nin) == 0, "%s: input changed", desc);
		}
		size_t bad = nwant;
		for (size_t i = 0; i < nwant && st == LRELU_OK; i++)
			if (y[i] != want[i] && bad == nwant)
				bad = i;
		CHECK(st == LRELU_OK && bad == nwant && y[nwant] == 0x5A,
		      "%s isa %s layout %s %dx%d: status %d (%s), element %zu gives %02x, PyTorch %02x",
		      desc, lrelu_isa_name(isas[k]), layout, r, c, (int)st, lrelu_last_error(), bad,
		      bad < nwant ? y[bad] : 0, bad < nwant ? want[bad] : 0);
	}
	lrelu_set_isa(LRELU_ISA_AUTO);
	free(base);
	free(y);
}

static int parse_head(char **save, struct qp *p)
{
	char *tok[6];
	for (int i = 0; i < 6; i++)
		if ((tok[i] = strtok_r(NULL, " \n", save)) == NULL)
			return 0;
	p->dt = strcmp(tok[0], "qint8") == 0 ? LRELU_QINT8 : LRELU_QUINT8;
	p->s = strtod(tok[1], NULL);
	p->zp = atoi(tok[2]);
	p->os = strtod(tok[3], NULL);
	p->ozp = atoi(tok[4]);
	p->slope = strtod(tok[5], NULL);
	return 1;
}

static void run_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = malloc(MAXLINE);
	uint8_t *in = malloc(MAXLINE / 2), *want = malloc(MAXLINE / 2);
	int lineno = 0, nt = 0, np = 0, ndiff = 0;
	CHECK(f != NULL, "cannot open %s", path);
	while (f != NULL && fgets(line, MAXLINE, f) != NULL) {
		char *save = NULL, *kind = strtok_r(line, " \n", &save), desc[64];
		struct qp p;
		lineno++;
		if (kind == NULL || kind[0] == '#')
			continue;
		snprintf(desc, sizeof desc, "%s:%d", path, lineno);
		if (!parse_head(&save, &p)) {
			CHECK(0, "%s: malformed", desc);
			continue;
		}
		if (strcmp(kind, "T") == 0) {
			uint8_t body[256], tail[256];
			char *bh = strtok_r(NULL, " \n", &save), *th = strtok_r(NULL, " \n", &save);
			if (bh == NULL || th == NULL || unhex(bh, body, 256) != 256) {
				CHECK(0, "%s: malformed T record", desc);
				continue;
			}
			memcpy(tail, body, 256);
			for (char *d = th; *th != '=' && d != NULL && *d;) {
				tail[unhex(d, in, 1) ? in[0] : 0] = (uint8_t)(hexval(d[3]) * 16 + hexval(d[4]));
				ndiff++;
				d = strchr(d, ',');
				d = d ? d + 1 : NULL;
			}
			check_tables(&p, body, tail, desc);
			nt++;
		} else if (strcmp(kind, "P") == 0) {
			char *layout = strtok_r(NULL, " \n", &save);
			char *rs = strtok_r(NULL, " \n", &save), *cs = strtok_r(NULL, " \n", &save);
			char *ws = strtok_r(NULL, " \n", &save), *ih = strtok_r(NULL, " \n", &save);
			char *oh = strtok_r(NULL, " \n", &save);
			if (oh == NULL) {
				CHECK(0, "%s: malformed P record", desc);
				continue;
			}
			size_t nin = unhex(ih, in, MAXLINE / 2), nw = unhex(oh, want, MAXLINE / 2);
			check_call(&p, layout, atoi(rs), atoi(cs), atoi(ws), in, nin, want, nw, desc);
			np++;
		}
	}
	printf("%s: %d parameter sets (%d codes where PyTorch's two paths differ), %d calls\n",
	       path, nt, ndiff, np);
	CHECK(nt >= 100 && np >= 20 && ndiff > 0, "too few records in %s", path);
	if (f != NULL)
		fclose(f);
	free(line);
	free(in);
	free(want);
}

/* ---- each kernel against the plain lookup ----------------------------------------- */

static void check_kernels(void)
{
	struct lrelu_q8tab tab;
	uint8_t *x = malloc(4096 + 64), *y = malloc(4096 + 64), *e = malloc(4096 + 64);
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129,
	                                255, 256, 257, 1000, 4096 };
	for (int trial = 0; trial < 4; trial++) {
		for (int b = 0; b < 256; b++)
			tab.plain[b] = trial == 0 ? (uint8_t)(255 - b) : (uint8_t)rng();
		lrelu_q8tab_finish(&tab);
		for (size_t v = 0; v < nvariants; v++) {
			if (!variants[v].available)
				continue;
			for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
				size_t n = sizes[si], off = (size_t)(rng() % 64);
				int inplace = (int)(rng() & 1);
				uint8_t *xo = x + off, *yo = inplace ? xo : y + (off ^ 5) % 64;
				for (size_t i = 0; i < 4096 + 64; i++)
					x[i] = (uint8_t)(i < 256 ? i : rng()), y[i] = 0x77;
				for (size_t i = 0; i < n; i++)
					e[i] = tab.plain[xo[i]];
				uint8_t after = inplace ? xo[n] : yo[n];
				variants[v].fn(n, xo, yo, &tab);
				CHECK(memcmp(yo, e, n) == 0 && (inplace ? xo[n] : yo[n]) == after,
				      "kernel %s n=%zu offset %zu in-place %d differs from the plain lookup",
				      variants[v].name, n, off, inplace);
			}
		}
	}
	free(x);
	free(y);
	free(e);
}

/* ---- the dispatch: each ISA's table names its lookup and builder ------------------- */

/* The lookup each ISA must choose on this CPU: SSE2 keeps the scalar one (faster there
 * than 16 pshufb per 16 bytes), AVX-512 takes VBMI where the CPU has it. */
static const char *expected_q8(lrelu_isa isa)
{
	int vbmi = 0;
	for (size_t v = 0; v < nvariants; v++)
		if (strcmp(variants[v].name, "avx512vbmi") == 0)
			vbmi = variants[v].available;
	switch (isa) {
	case LRELU_ISA_AVX2:
		return "avx2";
	case LRELU_ISA_AVX512:
		return vbmi ? "avx512vbmi" : "avx512bw";
	case LRELU_ISA_NEON:
		return "neon";
	default:
		return "scalar";
	}
}

static void check_dispatch(void)
{
	struct lrelu_q8tab body, tail;
	uint8_t x[300], y[300];
	for (int b = 0; b < 256; b++) {
		body.plain[b] = (uint8_t)(b * 7 + 3);
		tail.plain[b] = (uint8_t)(255 - b);
	}
	lrelu_q8tab_finish(&body);
	lrelu_q8tab_finish(&tail);
	for (int i = 0; i < 300; i++)
		x[i] = (uint8_t)rng();
	for (int k = 0; k < nisas; k++) {
		const struct lrelu_kernels *t = lrelu_kernels_for(isas[k]);
		lrelu_q8build_fn build;
		const struct lrelu_q8kernel *q8 = lrelu_q8_choose(t, &build);
		struct lrelu_kparams prm = { 0 };
		CHECK(strcmp(q8->name, expected_q8(isas[k])) == 0, "isa %s chose lookup %s, want %s",
		      lrelu_isa_name(isas[k]), q8->name, expected_q8(isas[k]));
		/* the builder: AVX2+FMA's where the table and CPU have it (checked against the
		 * scalar one by check_builders) */
		int have = 0;
		for (size_t b = 0; b < nbuilders; b++)
			have |= builders[b] == build;
		if (!have && build != lrelu_q8build__scalar)
			builders[nbuilders++] = build;
		/* lrelu_set_isa runs this table */
		CHECK(lrelu_set_isa(isas[k]) == LRELU_OK && lrelu_kernels_for(lrelu_get_isa()) == t,
		      "isa %s: set_isa runs another table", lrelu_isa_name(isas[k]));
		/* every lookup the table lists that the CPU runs: body on the body table, tail
		 * on the tail table */
		prm.qtab_body = body.plain;
		prm.qtab_tail = tail.plain;
		for (int e = 0; e < 2 && t->q8[e].body != NULL; e++) {
			size_t bad = 0;
			if (t->q8[e].needs & ~lrelu_cpu_features())
				continue;
			for (int which = 0; which < 2; which++) {
				const uint8_t *tab = which ? tail.plain : body.plain;
				memset(y, 0, sizeof y);
				(which ? t->q8[e].tail : t->q8[e].body)(300, x, y, &prm);
				for (int i = 0; i < 300; i++)
					bad += y[i] != tab[x[i]];
			}
			CHECK(bad == 0, "isa %s lookup %s: %zu of 600 codes differ from the tables",
			      lrelu_isa_name(isas[k]), t->q8[e].name, bad);
		}
	}
	lrelu_set_isa(LRELU_ISA_AUTO);
}

/* ---- the table builders against the scalar one (ref.c, the specification) -------- */

static double wide(void)
{
	/* log-uniform over float's normal range, or a typical quantization scale */
	if (rng() & 1)
		return exp(log(1e-3) + (double)(rng() >> 11) * 0x1p-53 * log(1e3));
	return exp(log(1.2e-38) + (double)(rng() >> 11) * 0x1p-53 * (log(3.4e38) - log(1.2e-38)));
}

static void check_builders(void)
{
	static const double slopes[] = { 0.01, 0.2, -0.5, 0.0, -0.0, 1.7, INFINITY, -INFINITY,
	                                 3e38, -3e38, 1e-30, 1.0 };
	uint8_t b0[256], t0[256], b1[256], t1[256];
	int nb = 0;
	for (int trial = 0; trial < 20000; trial++) {
		struct lrelu_q8params q;
		q.dtype = rng() & 1 ? LRELU_QINT8 : LRELU_QUINT8;
		q.scale = wide();
		q.out_scale = trial % 3 == 0 ? q.scale : wide();
		q.zp = (q.dtype == LRELU_QINT8 ? -128 : 0) + (int32_t)(rng() % 256);
		q.out_zp = (q.dtype == LRELU_QINT8 ? -128 : 0) + (int32_t)(rng() % 256);
		q.slope = trial % 2 ? slopes[rng() % (sizeof slopes / sizeof slopes[0])]
		                    : ((double)(rng() >> 11) * 0x1p-53 - 0.5) * 4.0;
		lrelu_q8build__scalar(&q, b0, t0);
		for (size_t v = 0; v < nbuilders; v++) {
			builders[v](&q, b1, t1);
			if (memcmp(b0, b1, 256) != 0 || memcmp(t0, t1, 256) != 0)
				nb++;
			CHECK(memcmp(b0, b1, 256) == 0 && memcmp(t0, t1, 256) == 0,
			      "builder %zu differs: %s scale %.9g zp %d out %.9g %d slope %.9g", v,
			      lrelu_dtype_name(q.dtype), q.scale, q.zp, q.out_scale, q.out_zp, q.slope);
		}
	}
	printf("table builders: %zu besides the scalar one, %d parameter sets differ\n", nbuilders, nb);
}

/* ---- errors ------------------------------------------------------------------------- */

static void check_errors(void)
{
	uint8_t x[300], y[300];
	int64_t n = 300, one = 1;
	struct qp p = { LRELU_QUINT8, 0.1, 0.1, 0.01, 10, 10 };
	lrelu_tensor tx = qt(x, &p, 0, 1, &n, NULL), ty = qt(y, &p, 1, 1, &n, NULL);
	static const double bad_scales[] = { 0.0, -0.1, INFINITY, NAN, 1e-50, 1e40, -0.0 };
	lrelu_status st;
	memset(x, 3, sizeof x);
	for (int fw = 1; fw < 4; fw++) {
		st = lrelu_forward((lrelu_framework)fw, 0.2, &tx, &ty);
		CHECK(st == LRELU_ERR_DTYPE && strstr(lrelu_last_error(), "PyTorch") != NULL,
		      "framework %d: %d %s", fw, (int)st, lrelu_last_error());
	}
	st = lrelu_forward(LRELU_TORCH, NAN, &tx, &ty);
	CHECK(st == LRELU_ERR_QPARAM && strstr(lrelu_last_error(), "NaN"), "NaN slope: %d", (int)st);
	st = lrelu_forward(LRELU_TORCH, 1e300, &tx, &ty);
	CHECK(st == LRELU_ERR_SLOPE, "slope 1e300: %d", (int)st);
	for (size_t i = 0; i < sizeof bad_scales / sizeof bad_scales[0]; i++) {
		tx.scale = bad_scales[i];
		st = lrelu_forward(LRELU_TORCH, 0.1, &tx, &ty);
		CHECK(st == LRELU_ERR_QPARAM && strncmp(lrelu_last_error(), "x: scale", 8) == 0,
		      "x scale %g: %d %s", bad_scales[i], (int)st, lrelu_last_error());
		tx.scale = 0.1;
		ty.scale = bad_scales[i];
		st = lrelu_forward(LRELU_TORCH, 0.1, &tx, &ty);
		CHECK(st == LRELU_ERR_QPARAM && strncmp(lrelu_last_error(), "y: scale", 8) == 0,
		      "y scale %g: %d %s", bad_scales[i], (int)st, lrelu_last_error());
		ty.scale = 0.1;
	}
	static const struct { lrelu_dtype dt; int zp; } bad_zp[] = {
		{ LRELU_QUINT8, -1 }, { LRELU_QUINT8, 256 }, { LRELU_QINT8, -129 }, { LRELU_QINT8, 128 },
		{ LRELU_QINT8, 200 }
	};
	for (size_t i = 0; i < sizeof bad_zp / sizeof bad_zp[0]; i++) {
		tx.dtype = ty.dtype = bad_zp[i].dt;
		tx.zero_point = bad_zp[i].zp;
		st = lrelu_forward(LRELU_TORCH, 0.1, &tx, &ty);
		CHECK(st == LRELU_ERR_QPARAM && strstr(lrelu_last_error(), "zero_point"),
		      "x zero point %d: %d", bad_zp[i].zp, (int)st);
		tx.zero_point = 0;
		ty.zero_point = bad_zp[i].zp;
		st = lrelu_forward(LRELU_TORCH, 0.1, &tx, &ty);
		CHECK(st == LRELU_ERR_QPARAM && strncmp(lrelu_last_error(), "y: zero_point", 13) == 0,
		      "y zero point %d: %d %s", bad_zp[i].zp, (int)st, lrelu_last_error());
		ty.zero_point = 0;
	}
	/* dtype mismatch, overlap, shapes: the walk's checks apply to quantized tensors too */
	tx.dtype = LRELU_QUINT8;
	ty.dtype = LRELU_QINT8;
	CHECK(lrelu_forward(LRELU_TORCH, 0.1, &tx, &ty) == LRELU_ERR_DTYPE, "dtype mismatch");
	ty.dtype = LRELU_QUINT8;
	ty.data = x + 1;
	CHECK(lrelu_forward(LRELU_TORCH, 0.1, &tx, &ty) == LRELU_ERR_OVERLAP, "partial overlap");
	ty.data = y;
	ty.shape = &one;
	CHECK(lrelu_forward(LRELU_TORCH, 0.1, &tx, &ty) == LRELU_ERR_SHAPE, "shape mismatch");
	/* a float output for a quantized input */
	ty = lrelu_tensor_make(y, LRELU_FLOAT32, 1, &one, NULL);
	CHECK(lrelu_forward(LRELU_TORCH, 0.1, &tx, &ty) == LRELU_ERR_DTYPE, "float output");
	/* an empty tensor is fine, and a failed call leaves y alone */
	ty = qt(y, &p, 1, 1, &n, NULL);
	memset(y, 9, sizeof y);
	tx.scale = -1.0;
	lrelu_forward(LRELU_TORCH, 0.1, &tx, &ty);
	CHECK(y[0] == 9 && y[299] == 9, "a refused call wrote y");
	int64_t zero = 0;
	lrelu_tensor e0 = qt(NULL, &p, 0, 1, &zero, NULL);
	CHECK(lrelu_forward(LRELU_TORCH, 0.1, &e0, NULL) == LRELU_OK, "empty tensor");
}

/* A layout the P records do not cover: the merged 2-D contiguous tensor, 0-d, and a
 * parameter change between calls on one thread (the table cache must follow it). */
static void check_misc(void)
{
	uint8_t x[300], y[300], y2[300];
	int64_t shape[2] = { 3, 100 }, n300 = 300;
	struct qp a = { LRELU_QUINT8, 0.0123, 0.05, -0.3, 77, 30 };
	struct qp b = { LRELU_QUINT8, 0.0123, 0.05, -0.3, 77, 31 };
	for (int i = 0; i < 300; i++)
		x[i] = (uint8_t)rng();
	lrelu_tensor t2 = qt(x, &a, 0, 2, shape, NULL), y2t = qt(y, &a, 1, 2, shape, NULL);
	lrelu_tensor t1 = qt(x, &a, 0, 1, &n300, NULL), y1t = qt(y2, &a, 1, 1, &n300, NULL);
	CHECK(lrelu_forward(LRELU_TORCH, a.slope, &t2, &y2t) == LRELU_OK, "2-d");
	CHECK(lrelu_forward(LRELU_TORCH, a.slope, &t1, &y1t) == LRELU_OK, "1-d");
	CHECK(memcmp(y, y2, 300) == 0, "a contiguous 3x100 tensor is one run of 300");
	y1t = qt(y2, &b, 1, 1, &n300, NULL);
	CHECK(lrelu_forward(LRELU_TORCH, b.slope, &t1, &y1t) == LRELU_OK, "1-d b");
	int moved = 0;
	for (int i = 0; i < 300; i++)
		moved += y2[i] != y[i];
	CHECK(moved > 0, "changing the output zero point changed no code: stale table");
	/* in place with other output parameters: the codes of the out-of-place call */
	{
		uint8_t xc[300];
		memcpy(xc, x, sizeof xc);
		lrelu_tensor xi = qt(xc, &a, 0, 1, &n300, NULL), yi = qt(xc, &a, 1, 1, &n300, NULL);
		y1t = qt(y2, &a, 1, 1, &n300, NULL);
		CHECK(lrelu_forward(LRELU_TORCH, a.slope, &t1, &y1t) == LRELU_OK, "requant");
		CHECK(lrelu_forward(LRELU_TORCH, a.slope, &xi, &yi) == LRELU_OK, "requant in place");
		CHECK(memcmp(xc, y2, 300) == 0, "in-place requantization differs from out of place");
	}
	lrelu_tensor s0 = qt(x, &a, 0, 0, NULL, NULL), s0y = qt(y, &a, 1, 0, NULL, NULL);
	y[0] = (uint8_t)~y2[0];
	CHECK(lrelu_forward(LRELU_TORCH, a.slope, &s0, &s0y) == LRELU_OK, "0-d");
	/* a single element is a run of length 1: the scalar path */
	lrelu_tensor one = qt(x, &a, 0, 1, (const int64_t[]){ 1 }, NULL);
	lrelu_tensor oney = qt(y2, &a, 1, 1, (const int64_t[]){ 1 }, NULL);
	CHECK(lrelu_forward(LRELU_TORCH, a.slope, &one, &oney) == LRELU_OK && y2[0] == y[0],
	      "0-d and 1-element tensors agree");
	/* threads never move PyTorch's block boundaries here: same codes for 1 and 2 */
	{
		size_t big = 300000;
		uint8_t *bx = malloc(big), *b1 = malloc(big), *b2 = malloc(big);
		int64_t nb = (int64_t)big - 17;
		for (size_t i = 0; i < big; i++)
			bx[i] = (uint8_t)rng();
		lrelu_tensor tb = qt(bx, &a, 0, 1, &nb, NULL), tb1 = qt(b1, &a, 1, 1, &nb, NULL);
		lrelu_tensor tb2 = qt(b2, &a, 1, 1, &nb, NULL);
		int before = lrelu_get_num_threads();
		lrelu_set_num_threads(1);
		CHECK(lrelu_forward(LRELU_TORCH, a.slope, &tb, &tb1) == LRELU_OK, "big, 1 thread");
		lrelu_set_num_threads(2);
		CHECK(lrelu_forward(LRELU_TORCH, a.slope, &tb, &tb2) == LRELU_OK, "big, 2 threads");
		lrelu_set_num_threads(before);
		CHECK(memcmp(b1, b2, (size_t)nb) == 0, "1 and 2 threads differ");
		free(bx);
		free(b1);
		free(b2);
	}
}

/* Callers on several threads at once, each cycling through more parameter sets than
 * its table cache holds: every result must equal the single-threaded one. */
#define MT_SETS 6
#define MT_N 1000
static uint8_t mt_x[MT_N], mt_want[MT_SETS][MT_N];
static const struct qp mt_p[MT_SETS] = {
	{ LRELU_QUINT8, 0.0123, 0.05, -0.3, 77, 30 }, { LRELU_QUINT8, 0.0123, 0.0123, -0.5, 77, 77 },
	{ LRELU_QINT8, 0.1, 0.05, 0.01, 0, 3 },      { LRELU_QINT8, 1.0 / 7, 0.37, 1.7, 9, -28 },
	{ LRELU_QUINT8, 0.05, 0.05, 0.2, 255, 255 }, { LRELU_QINT8, 0.007, 0.02, 0.1, 127, -1 },
};

static int mt_run(int k, uint8_t *out)
{
	int64_t n = MT_N;
	lrelu_tensor tx = qt(mt_x, &mt_p[k], 0, 1, &n, NULL), ty = qt(out, &mt_p[k], 1, 1, &n, NULL);
	return lrelu_forward(LRELU_TORCH, mt_p[k].slope, &tx, &ty) == LRELU_OK;
}

static void *mt_worker(void *arg)
{
	uintptr_t bad = 0, seed = (uintptr_t)arg;
	uint8_t out[MT_N];
	for (int it = 0; it < 300; it++) {
		int k = (int)((seed + (uintptr_t)it * 5) % MT_SETS);
		if (!mt_run(k, out) || memcmp(out, mt_want[k], MT_N) != 0)
			bad++;
	}
	return (void *)bad;
}

static void check_concurrent(void)
{
	pthread_t th[4];
	for (int i = 0; i < MT_N; i++)
		mt_x[i] = (uint8_t)rng();
	for (int k = 0; k < MT_SETS; k++)
		CHECK(mt_run(k, mt_want[k]), "concurrent: reference %d", k);
	for (uintptr_t t = 0; t < 4; t++)
		CHECK(pthread_create(&th[t], NULL, mt_worker, (void *)t) == 0, "pthread_create");
	for (int t = 0; t < 4; t++) {
		void *bad = NULL;
		pthread_join(th[t], &bad);
		CHECK(bad == NULL, "concurrent caller %d: %lu wrong results", t, (unsigned long)(uintptr_t)bad);
	}
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "tests/quant/torch_codes.txt";
	for (int i = LRELU_ISA_SCALAR; i <= LRELU_ISA_NEON; i++)
		if (lrelu_isa_available((lrelu_isa)i))
			isas[nisas++] = (lrelu_isa)i;
	nvariants = lrelu_q8lut_variants(variants, 16);
	printf("ISAs:");
	for (int i = 0; i < nisas; i++)
		printf(" %s", lrelu_isa_name(isas[i]));
	printf("; table kernels:");
	for (size_t v = 0; v < nvariants; v++)
		printf(" %s%s", variants[v].name, variants[v].available ? "" : "(absent)");
	printf("\n");
	check_dispatch();
	check_kernels();
	check_builders();
	check_errors();
	check_misc();
	check_concurrent();
	run_file(path);
	return tu_finish("test_quant");
}

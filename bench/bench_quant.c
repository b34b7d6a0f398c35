/* bench_quant.c - int8 / uint8 LeakyReLU: lrelu's table lookup vs memcpy and XNNPACK qu8 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lrelu.h"

#ifdef HAVE_XNNPACK
#include <xnnpack.h>
#endif

/*
 * One thread everywhere (lrelu_set_num_threads(1), XNNPACK without a thread pool), so
 * every row is comparable with memcpy of the same bytes.  Each figure is the median of
 * many timed calls after a warm-up, alternating with memcpy of the same bytes (the
 * ratio is memcpy time / row time, so above 1 is faster than memcpy); bytes/s count
 * the bytes read plus written (2n).
 * Environment: BENCH_QUICK=1 for fewer sizes and repetitions.
 */

#include "benchutil.h"

struct job {
	int kind; /* see the switch in run() */
	uint8_t *x, *y;
	size_t n;
	double slope;
	int flip;
#ifdef HAVE_XNNPACK
	xnn_operator_t op;
#endif
};

enum { K_MEMCPY, K_LRELU_U8, K_LRELU_S8, K_LRELU_U8_INPLACE, K_LRELU_U8_NEWPARAMS, K_XNN };

static int run(struct job *j)
{
	int64_t shape = (int64_t)j->n;
	lrelu_tensor x = lrelu_tensor_make(j->x, LRELU_QUINT8, 1, &shape, NULL);
	lrelu_tensor y = lrelu_tensor_make(j->y, LRELU_QUINT8, 1, &shape, NULL);
	x.scale = 0.0123;
	x.zero_point = 77;
	y.scale = 0.05;
	y.zero_point = 30;
	switch (j->kind) {
	case K_MEMCPY:
		memcpy(j->y, j->x, j->n);
		return 0;
	case K_LRELU_U8:
		return lrelu_forward(LRELU_TORCH, j->slope, &x, &y);
	case K_LRELU_S8:
		x.dtype = y.dtype = LRELU_QINT8;
		x.zero_point = -50;
		y.zero_point = 3;
		return lrelu_forward(LRELU_TORCH, j->slope, &x, &y);
	case K_LRELU_U8_INPLACE:
		return lrelu_forward(LRELU_TORCH, j->slope, &x, NULL);
	case K_LRELU_U8_NEWPARAMS:
		/* eight slopes in turn, more than the library's table cache holds: the tables
		 * are rebuilt on every call */
		j->flip = (j->flip + 1) % 8;
		return lrelu_forward(LRELU_TORCH, j->slope * (1.0 + 0.125 * j->flip), &x, &y);
#ifdef HAVE_XNNPACK
	case K_XNN:
		if (xnn_setup_leaky_relu_nc_qu8(j->op, j->n, j->x, j->y, NULL) != xnn_status_success ||
		    xnn_run_operator(j->op, NULL) != xnn_status_success)
			return 1;
		return 0;
#endif
	}
	return 1;
}

/* ns per call of j and of memcpy of the same bytes, timed in alternating samples so
 * that both see the same machine load; medians of each. */
static int time_pair(struct job *j, int quick, double *ns, double *mc_ns)
{
	double samples[2][101];
	struct job mc = *j;
	int nsamp = quick ? 11 : 41;
	size_t inner = j->n >= (1u << 22) ? 1 : (size_t)((1u << 22) / j->n);
	if (inner > 2000)
		inner = 2000;
	mc.kind = K_MEMCPY;
	for (int w = 0; w < 3; w++)
		if (run(j) != 0)
			return -1;
	for (int s = 0; s < nsamp; s++) {
		for (int k = 0; k < 2; k++) {
			struct job *jj = k ? j : &mc;
			double t0 = now_ns();
			for (size_t r = 0; r < inner; r++)
				run(jj);
			samples[k][s] = (now_ns() - t0) / (double)inner;
		}
	}
	for (int k = 0; k < 2; k++)
		qsort(samples[k], (size_t)nsamp, sizeof samples[k][0], cmp_d);
	*mc_ns = samples[0][nsamp / 2];
	*ns = samples[1][nsamp / 2];
	return 0;
}

static void row(const char *name, struct job *j, int quick)
{
	double ns, mc;
	if (time_pair(j, quick, &ns, &mc) != 0) {
		printf("%-28s %10zu  failed: %s\n", name, j->n, lrelu_last_error());
		return;
	}
	printf("%-28s %10zu %12.1f %9.2f %12.1f %8.2fx\n", name, j->n, ns, 2.0 * (double)j->n / ns,
	       mc, mc / ns);
}

int main(void)
{
	const char *q = getenv("BENCH_QUICK");
	int quick = q != NULL && *q && *q != '0';
	static const size_t sizes[] = { 16384, 262144, 4194304, 67108864 };
	size_t nsizes = quick ? 2 : 4, maxn = sizes[nsizes - 1];
	uint8_t *x = malloc(maxn), *y = malloc(maxn);
	static const lrelu_isa isas[] = { LRELU_ISA_AVX512, LRELU_ISA_AVX2, LRELU_ISA_SSE2,
	                                  LRELU_ISA_NEON, LRELU_ISA_SCALAR };
	if (x == NULL || y == NULL)
		return 1;
	for (size_t i = 0; i < maxn; i++)
		x[i] = (uint8_t)(i * 2654435761u >> 13);
	memset(y, 0, maxn);
	lrelu_set_num_threads(1);
#ifdef HAVE_XNNPACK
	if (xnn_initialize(NULL) != xnn_status_success) {
		fprintf(stderr, "bench_quant: xnn_initialize failed\n");
		return 1;
	}
#endif
	printf("quantized LeakyReLU (PyTorch codes), 1 thread, ISA %s, median ns per call\n",
	       lrelu_isa_name(lrelu_get_isa()));
	printf("%-28s %10s %12s %9s %12s %9s\n", "row", "elements", "ns", "GB/s", "memcpy ns",
	       "vs memcpy");
	for (size_t si = 0; si < nsizes; si++) {
		struct job j = { 0 };
		j.x = x;
		j.y = y;
		j.n = sizes[si];
		j.slope = 0.1;
		j.kind = K_LRELU_U8;
		row("lrelu quint8", &j, quick);
		j.kind = K_LRELU_S8;
		row("lrelu qint8", &j, quick);
		j.kind = K_LRELU_U8_INPLACE;
		row("lrelu quint8 in place", &j, quick);
		j.kind = K_LRELU_U8_NEWPARAMS;
		row("lrelu quint8 new params", &j, quick);
		for (size_t k = 0; k < sizeof isas / sizeof isas[0]; k++) {
			char name[64];
			if (!lrelu_isa_available(isas[k]) || lrelu_set_isa(isas[k]) != LRELU_OK)
				continue;
			snprintf(name, sizeof name, "lrelu quint8 isa=%s", lrelu_isa_name(isas[k]));
			j.kind = K_LRELU_U8;
			row(name, &j, quick);
		}
		lrelu_set_isa(LRELU_ISA_AUTO);
#ifdef HAVE_XNNPACK
		if (xnn_create_leaky_relu_nc_qu8(1, 1, 1, 0.1f, 77, 0.0123f, 30, 0.05f, 0, 255, 0,
		                                 &j.op) == xnn_status_success) {
			j.kind = K_XNN;
			row("xnnpack qu8 (setup+run)", &j, quick);
			xnn_delete_operator(j.op);
		} else {
			printf("xnnpack qu8: create failed\n");
		}
#endif
	}
	free(x);
	free(y);
	return 0;
}

/* prelu.c - PReLU (NCHW, NHWC) and RReLU eval against LeakyReLU, oneDNN and XNNPACK, float32 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_DNNL
#include <dnnl.h>
#endif
#ifdef HAVE_XNNPACK
#include <xnnpack.h>
#endif

#include "benchutil.h"
#include "lrelu.h"

/*
 * Usage: bench/prelu [REPS]   (BENCH_QUICK=1: 7 repetitions)
 * Shapes (N, 64, 16, 16), float32, out of place, N from the element count (16K to 64M
 * elements; a 16K tensor is N = 1).  Every operation of a size is timed once per
 * repetition, in turn (A/B alternation: a change of machine load hits them alike), and
 * the median per call is printed; ratios are to LeakyReLU's time (lrelu_forward).
 * oneDNN: its PReLU primitive (dnnl_prelu_forward_desc_init) with a (1, 64, 1, 1)
 * weight, on NCHW and NHWC memory.  XNNPACK: xnn_create_prelu_nc_f32, which is
 * channels-last only (NC rows of channels: NHWC); it has no NCHW PReLU.  The peers run
 * with the threads they choose (oneDNN: OpenMP; XNNPACK: a pool of as many threads as
 * lrelu uses).
 */

enum { OP_LEAKY, OP_RRELU, OP_NCHW, OP_NHWC, OP_DNNL_NCHW, OP_DNNL_NHWC, OP_XNN_NHWC, OPS };
static const char *const names[OPS] = { "leaky_relu", "rrelu_eval", "prelu_nchw", "prelu_nhwc",
                                        "onednn_nchw", "onednn_nhwc", "xnnpack_nhwc" };

#ifdef HAVE_DNNL
static dnnl_engine_t engine;
static dnnl_stream_t stream;
struct dn {
	dnnl_primitive_t prim;
	dnnl_memory_t src, wei, dst;
};
static int dn_make(struct dn *d, int64_t N, int64_t C, int64_t H, int64_t W, int nhwc, float *x,
                   float *w, float *y)
{
	dnnl_dims_t dims = { N, C, H, W }, wdims = { 1, C, 1, 1 };
	dnnl_memory_desc_t md, wmd;
	dnnl_prelu_desc_t pdesc;
	dnnl_primitive_desc_t pd;
	if (dnnl_memory_desc_init_by_tag(&md, 4, dims, dnnl_f32, nhwc ? dnnl_nhwc : dnnl_nchw) ||
	    dnnl_memory_desc_init_by_tag(&wmd, 4, wdims, dnnl_f32, dnnl_nchw) ||
	    dnnl_prelu_forward_desc_init(&pdesc, dnnl_forward_inference, &md, &wmd) ||
	    dnnl_primitive_desc_create(&pd, &pdesc, NULL, engine, NULL))
		return 0;
	if (dnnl_primitive_create(&d->prim, pd)) {
		dnnl_primitive_desc_destroy(pd);
		return 0;
	}
	dnnl_primitive_desc_destroy(pd);
	return !dnnl_memory_create(&d->src, &md, engine, x) &&
	       !dnnl_memory_create(&d->wei, &wmd, engine, w) &&
	       !dnnl_memory_create(&d->dst, &md, engine, y);
}
static int dn_run(struct dn *d)
{
	dnnl_exec_arg_t args[3] = { { DNNL_ARG_SRC, d->src }, { DNNL_ARG_WEIGHTS, d->wei },
		                        { DNNL_ARG_DST, d->dst } };
	return dnnl_primitive_execute(d->prim, stream, 3, args) || dnnl_stream_wait(stream);
}
static void dn_free(struct dn *d)
{
	dnnl_primitive_destroy(d->prim);
	dnnl_memory_destroy(d->src);
	dnnl_memory_destroy(d->wei);
	dnnl_memory_destroy(d->dst);
}
#endif

int main(int argc, char **argv)
{
	const char *quick = getenv("BENCH_QUICK");
	int reps = argc > 1 ? atoi(argv[1]) : quick != NULL && *quick == '1' ? 7 : 31;
	static const size_t sizes[] = { 16384, 262144, 4194304, 67108864 };
	int have[OPS] = { 1, 1, 1, 1, 0, 0, 0 };
#ifdef HAVE_XNNPACK
	pthreadpool_t pool = NULL;
	int xn_ok = xnn_initialize(NULL) == xnn_status_success;
	if (xn_ok && lrelu_get_num_threads() > 1)
		pool = pthreadpool_create((size_t)lrelu_get_num_threads());
#endif
#ifdef HAVE_DNNL
	int dn_ok = dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success &&
	            dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) == dnnl_success;
#endif
	if (reps < 1)
		reps = 1;
	printf("# PReLU, float32, (N, 64, 16, 16), out of place, median ns per call of %d, "
	       "lrelu threads %d\nelements", reps, lrelu_get_num_threads());
	for (int k = 0; k < OPS; k++)
		printf("\t%s", names[k]);
	printf("\trrelu/leaky\tnchw/leaky\tnhwc/leaky\tnchw/onednn\tnhwc/onednn\tnhwc/xnnpack\n");
	for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
		const int64_t C = 64, H = 16, W = 16;
		size_t n = sizes[si];
		int64_t N = (int64_t)n / (C * H * W);
		int64_t shape[4] = { N, C, H, W }, last[4] = { C * H * W, 1, W * C, C }, wn[1] = { C };
		float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), w[64];
		double *t = malloc((size_t)reps * OPS * sizeof *t), med[OPS];
		int inner = n <= 262144 ? 32 : 1;
#ifdef HAVE_DNNL
		struct dn dnc, dnl;
#endif
#ifdef HAVE_XNNPACK
		xnn_operator_t xop = NULL;
#endif
		if (x == NULL || y == NULL || t == NULL) {
			fprintf(stderr, "prelu: out of memory at %zu elements\n", n);
			return 1;
		}
		for (size_t i = 0; i < n; i++)
			x[i] = (float)((int)(i * 2654435761u % 2001) - 1000) / 100.0f;
		for (int c = 0; c < C; c++)
			w[c] = 0.25f + (float)c / 256.0f;
		memset(y, 0, n * sizeof *y);
		lrelu_tensor tx = lrelu_tensor_make(x, LRELU_FLOAT32, 4, shape, NULL);
		lrelu_tensor ty = lrelu_tensor_make(y, LRELU_FLOAT32, 4, shape, NULL);
		lrelu_tensor txl = lrelu_tensor_make(x, LRELU_FLOAT32, 4, shape, last);
		lrelu_tensor tyl = lrelu_tensor_make(y, LRELU_FLOAT32, 4, shape, last);
		lrelu_tensor tw = lrelu_tensor_make(w, LRELU_FLOAT32, 1, wn, NULL);
#ifdef HAVE_DNNL
		have[OP_DNNL_NCHW] = dn_ok && dn_make(&dnc, N, C, H, W, 0, x, w, y);
		have[OP_DNNL_NHWC] = dn_ok && dn_make(&dnl, N, C, H, W, 1, x, w, y);
#endif
#ifdef HAVE_XNNPACK
		have[OP_XNN_NHWC] = xn_ok && xnn_create_prelu_nc_f32((size_t)C, (size_t)C, (size_t)C, w, 0,
		                                                     &xop) == xnn_status_success;
#endif
		for (int r = -2; r < reps; r++) {
			for (int k = 0; k < OPS; k++) {
				double t0;
				int bad = 0;
				if (!have[k])
					continue;
				t0 = now_ns();
				for (int i = 0; i < inner && !bad; i++) {
					switch (k) {
					case OP_LEAKY: bad = lrelu_forward(LRELU_TORCH, 0.25, &tx, &ty) != LRELU_OK; break;
					case OP_RRELU: bad = lrelu_rrelu_eval(0.125, 0.375, &tx, &ty) != LRELU_OK; break;
					case OP_NCHW: bad = lrelu_prelu_forward(LRELU_TORCH, &tx, &tw, &ty) != LRELU_OK; break;
					case OP_NHWC: bad = lrelu_prelu_forward(LRELU_TORCH, &txl, &tw, &tyl) != LRELU_OK; break;
#ifdef HAVE_DNNL
					case OP_DNNL_NCHW: bad = dn_run(&dnc); break;
					case OP_DNNL_NHWC: bad = dn_run(&dnl); break;
#endif
#ifdef HAVE_XNNPACK
					case OP_XNN_NHWC:
						bad = xnn_setup_prelu_nc_f32(xop, (size_t)(n / (size_t)C), x, y, pool) !=
						              xnn_status_success ||
						      xnn_run_operator(xop, pool) != xnn_status_success;
						break;
#endif
					default: break;
					}
				}
				if (bad) {
					fprintf(stderr, "prelu: %s failed at %zu elements: %s\n", names[k], n,
					        lrelu_last_error());
					return 1;
				}
				if (r >= 0)
					t[(size_t)k * (size_t)reps + (size_t)r] = (now_ns() - t0) / inner;
			}
		}
		printf("%zu", n);
		for (int k = 0; k < OPS; k++) {
			med[k] = 0;
			if (have[k]) {
				qsort(t + (size_t)k * (size_t)reps, (size_t)reps, sizeof *t, cmp_d);
				med[k] = t[(size_t)k * (size_t)reps + (size_t)reps / 2];
				printf("\t%.0f", med[k]);
			} else {
				printf("\t-");
			}
		}
		printf("\t%.2f\t%.2f\t%.2f", med[OP_RRELU] / med[OP_LEAKY], med[OP_NCHW] / med[OP_LEAKY],
		       med[OP_NHWC] / med[OP_LEAKY]);
		if (have[OP_DNNL_NCHW])
			printf("\t%.2f\t%.2f", med[OP_NCHW] / med[OP_DNNL_NCHW], med[OP_NHWC] / med[OP_DNNL_NHWC]);
		else
			printf("\t-\t-");
		if (have[OP_XNN_NHWC])
			printf("\t%.2f\n", med[OP_NHWC] / med[OP_XNN_NHWC]);
		else
			printf("\t-\n");
		fflush(stdout);
#ifdef HAVE_DNNL
		if (have[OP_DNNL_NCHW])
			dn_free(&dnc);
		if (have[OP_DNNL_NHWC])
			dn_free(&dnl);
#endif
#ifdef HAVE_XNNPACK
		if (xop != NULL)
			xnn_delete_operator(xop);
#endif
		free(x);
		free(y);
		free(t);
	}
#ifdef HAVE_XNNPACK
	if (pool != NULL)
		pthreadpool_destroy(pool);
#endif
	return 0;
}

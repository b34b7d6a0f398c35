/* threshold.c - where threads start to pay: lrelu_f32 with 1 thread and with all, 16 KiB to 64 MiB */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lrelu.h"

/*
 * Built against a library whose size threshold is 0 (make bench-threshold), so every
 * size here goes through the pool; the ratio 1-thread time / all-threads time says
 * from which size on the pool wins.  Same method as bench.c: buffers touched first,
 * median of batches, the two thread counts alternating batch by batch so that drift
 * on a shared machine hits both alike.
 */

#include "benchutil.h"

int main(void)
{
	enum { SAMPLES = 31 };
	size_t maxn = (size_t)1 << 23;
	float *x = malloc(maxn * sizeof(float)), *y = malloc(maxn * sizeof(float));
	if (x == NULL || y == NULL)
		return 1;
	for (size_t i = 0; i < maxn; i++)
		x[i] = (float)((int)(i % 2001) - 1000) * 0.004f;
	memset(y, 0, maxn * sizeof(float));
	lrelu_set_num_threads(0);
	int all = lrelu_get_num_threads();
	printf("lrelu_f32, ISA %s, 1 vs %d threads; bytes = read + written; ratio = 1-thread time / "
	       "%d-thread time (above 1: threads pay)\n",
	       lrelu_isa_name(lrelu_get_isa()), all, all);
	printf("%10s %10s %12s %12s %8s %12s %12s %8s\n", "elements", "bytes", "out 1thr ns", "out Nthr ns",
	       "ratio", "in 1thr ns", "in Nthr ns", "ratio");
	for (size_t n = 2048; n <= maxn; n *= 2) {
		double med[2][2];
		for (int inplace = 0; inplace < 2; inplace++) {
			float *dst = inplace ? x : y;
			double v[2][SAMPLES], one;
			int reps;
			double t0 = now_ns();
			lrelu_f32(x, dst, n, 1.0f);
			one = now_ns() - t0;
			reps = (int)(200e3 / (one > 1 ? one : 1));
			reps = reps < 1 ? 1 : reps;
			for (int s = 0; s < SAMPLES; s++)
				for (int k = 0; k < 2; k++) {
					lrelu_set_num_threads(k == 0 ? 1 : all);
					lrelu_f32(x, dst, n, 1.0f); /* wake the pool as a hot loop would */
					t0 = now_ns();
					for (int r = 0; r < reps; r++)
						lrelu_f32(x, dst, n, 1.0f); /* slope 1: in place stays put */
					v[k][s] = (now_ns() - t0) / reps;
				}
			for (int k = 0; k < 2; k++) {
				qsort(v[k], SAMPLES, sizeof(double), cmp_d);
				med[inplace][k] = v[k][SAMPLES / 2];
			}
		}
		printf("%10zu %10zu %12.0f %12.0f %8.2f %12.0f %12.0f %8.2f\n", n, 8 * n, med[0][0],
		       med[0][1], med[0][0] / med[0][1], med[1][0], med[1][1], med[1][0] / med[1][1]);
		fflush(stdout);
	}
	free(x);
	free(y);
	return 0;
}

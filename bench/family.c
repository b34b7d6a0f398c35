/* family.c - RReLU eval and PReLU (channels-first, channels-last) against LeakyReLU, float32 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "lrelu.h"

/* Usage: bench/family [REPS]
 * Rows: elements, then the median ns per call of each operation, the operations timed in
 * turn within each repetition (A/B alternation: a load change hits all alike), out of
 * place, float32, N = elements / (C * 16 * 16)... shaped (N, C, 16, 16), C = 64. */

enum { OPS = 5 };
static const char *names[OPS] = { "leaky_relu", "rrelu_eval", "prelu_nchw", "prelu_nhwc",
                                  "prelu_1w" };

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 31;
	static const size_t sizes[] = { 16384, 262144, 4194304, 67108864 / 4 };
	printf("elements");
	for (int k = 0; k < OPS; k++)
		printf("\t%s_ns", names[k]);
	printf("\tratio_rrelu\tratio_nchw\tratio_nhwc\n");
	for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
		size_t n = sizes[si];
		const int64_t C = 64, H = 16, W = 16, N = (int64_t)n / (C * H * W);
		int64_t shape[4] = { N, C, H, W }, last[4] = { C * H * W, 1, W * C, C }, wn[1] = { C },
			one[1] = { 1 };
		float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), w[64];
		double *t = malloc((size_t)reps * OPS * sizeof *t), med[OPS];
		if (x == NULL || y == NULL || t == NULL)
			return 1;
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
		lrelu_tensor tw1 = lrelu_tensor_make(w, LRELU_FLOAT32, 1, one, NULL);
		int inner = n <= 262144 ? 64 : 2;
		for (int r = -2; r < reps; r++) {
			for (int k = 0; k < OPS; k++) {
				double t0 = now_ns();
				for (int i = 0; i < inner; i++) {
					lrelu_status st = LRELU_OK;
					switch (k) {
					case 0: st = lrelu_forward(LRELU_TORCH, 0.25, &tx, &ty); break;
					case 1: st = lrelu_rrelu_eval(0.125, 0.375, &tx, &ty); break;
					case 2: st = lrelu_prelu_forward(LRELU_TORCH, &tx, &tw, &ty); break;
					case 3: st = lrelu_prelu_forward(LRELU_TORCH, &txl, &tw, &tyl); break;
					default: st = lrelu_prelu_forward(LRELU_TORCH, &tx, &tw1, &ty); break;
					}
					if (st != LRELU_OK) {
						fprintf(stderr, "family: %s: %s\n", names[k], lrelu_last_error());
						return 1;
					}
				}
				if (r >= 0)
					t[(size_t)k * (size_t)reps + (size_t)r] = (now_ns() - t0) / inner;
			}
		}
		for (int k = 0; k < OPS; k++) {
			qsort(t + (size_t)k * (size_t)reps, (size_t)reps, sizeof *t, cmp_d);
			med[k] = t[(size_t)k * (size_t)reps + (size_t)reps / 2];
		}
		printf("%zu", n);
		for (int k = 0; k < OPS; k++)
			printf("\t%.0f", med[k]);
		printf("\t%.2f\t%.2f\t%.2f\n", med[1] / med[0], med[2] / med[0], med[3] / med[0]);
		free(x);
		free(y);
		free(t);
	}
	return 0;
}

/* ab.c - two builds of the library side by side in one process, alternating (A/B)
 *
 *   cc -O2 -Iinclude bench/ab.c -o ab -ldl && ./ab OLD/liblrelu.so NEW/liblrelu.so [ROUNDS]
 *
 * Each library is loaded with dlopen (RTLD_LOCAL: each keeps its own symbols, tables
 * and thread pool).  For each case (float32 through lrelu_f32, int8 through
 * lrelu_forward on qint8 tensors; 64, 16K and 64M elements, out of place) the rounds
 * alternate A B, B A, ... on the same buffers, each a timed batch of calls after one
 * untimed call; the median and the minimum ns per call of each are printed, and the
 * ratio of the medians (B / A).  The machine's noise is what alternating cancels out:
 * read only the figures of one run side by side.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrelu.h"
#include "benchutil.h"

typedef lrelu_status (*f32_fn)(const float *, float *, size_t, float);
typedef lrelu_status (*fwd_fn)(lrelu_framework, double, const lrelu_tensor *,
                               const lrelu_tensor *);

struct lib {
	f32_fn f32;
	fwd_fn fwd;
};

static void load(const char *path, struct lib *l)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		fprintf(stderr, "ab: %s\n", dlerror());
		exit(2);
	}
	l->f32 = (f32_fn)(uintptr_t)dlsym(h, "lrelu_f32");
	l->fwd = (fwd_fn)(uintptr_t)dlsym(h, "lrelu_forward");
	if (l->f32 == NULL || l->fwd == NULL) {
		fprintf(stderr, "ab: %s lacks lrelu_f32 or lrelu_forward\n", path);
		exit(2);
	}
}

static double batch(const struct lib *l, int q8, void *x, void *y, size_t n, int reps)
{
	int64_t shape[1] = { (int64_t)n };
	lrelu_tensor tx = lrelu_tensor_make(x, LRELU_QINT8, 1, shape, NULL);
	lrelu_tensor ty = lrelu_tensor_make(y, LRELU_QINT8, 1, shape, NULL);
	double t0;
	tx.scale = ty.scale = 0.05;
	tx.zero_point = ty.zero_point = 3;
	if (q8 ? l->fwd(LRELU_TORCH, 0.01, &tx, &ty) : l->f32(x, y, n, 0.01f)) {
		fprintf(stderr, "ab: call failed\n");
		exit(1);
	}
	t0 = now_ns();
	for (int r = 0; r < reps; r++)
		if (q8)
			l->fwd(LRELU_TORCH, 0.01, &tx, &ty);
		else
			l->f32(x, y, n, 0.01f);
	return (now_ns() - t0) / reps;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 64, 16384, (size_t)64 << 20 };
	struct lib lib[2];
	int rounds = argc > 3 ? atoi(argv[3]) : 41;
	if (argc < 3) {
		fprintf(stderr, "usage: ab OLD.so NEW.so [ROUNDS]\n");
		return 2;
	}
	load(argv[1], &lib[0]);
	load(argv[2], &lib[1]);
	printf("%-8s %10s %12s %12s %12s %12s %8s\n", "dtype", "n", "A median", "B median",
	       "A min", "B min", "B/A");
	for (int q8 = 0; q8 < 2; q8++)
		for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
			size_t n = sizes[si], es = q8 ? 1 : 4, bytes = n * es;
			/* y 2 KiB into its buffer, as bench.c places it (4 KiB aliasing) */
			char *xb = malloc(bytes + 64), *yb = malloc(bytes + 4096);
			char *x = xb, *y = yb + 2048;
			double *t[2];
			int reps = bytes <= 4096 ? 20000 : bytes <= (1 << 20) ? 2000 : 2;
			for (size_t i = 0; i < bytes; i++)
				xb[i] = (char)(i * 2654435761u >> 13);
			if (!q8)
				for (size_t i = 0; i < n; i++)
					((float *)x)[i] = (float)((int)(i % 2001) - 1000) * 0.01f;
			memset(yb, 0, bytes + 4096);
			t[0] = malloc(rounds * sizeof(double));
			t[1] = malloc(rounds * sizeof(double));
			for (int r = 0; r < rounds; r++) {
				int first = r % 2; /* A B, then B A */
				t[first][r] = batch(&lib[first], q8, x, y, n, reps);
				t[!first][r] = batch(&lib[!first], q8, x, y, n, reps);
			}
			qsort(t[0], rounds, sizeof(double), cmp_d);
			qsort(t[1], rounds, sizeof(double), cmp_d);
			printf("%-8s %10zu %12.1f %12.1f %12.1f %12.1f %8.3f\n", q8 ? "int8" : "float32",
			       n, t[0][rounds / 2], t[1][rounds / 2], t[0][0], t[1][0],
			       t[1][rounds / 2] / t[0][rounds / 2]);
			fflush(stdout);
			free(t[0]), free(t[1]), free(xb), free(yb);
		}
	return 0;
}

/* q8lut_scalar.c - the portable byte-table kernel and the shuffle-table layout */
#include <string.h>

#include "q8lut.h"

void lrelu_q8tab_finish(struct lrelu_q8tab *t)
{
	for (int half = 0; half < 2; half++) {
		for (int r = 0; r < 8; r++) {
			const uint8_t *row = t->plain + 128 * half + 16 * r;
			uint8_t *dst = t->tele[8 * half + r];
			for (int k = 0; k < 16; k++)
				dst[k] = (uint8_t)(r < 7 ? row[k] ^ row[16 + k] : row[k]);
			memcpy(dst + 16, dst, 16);
		}
	}
}

LRELU_Q8_WRAPPERS(scalar, lrelu_q8lut__scalar)

void lrelu_q8lut__scalar(size_t n, const uint8_t *x, uint8_t *y, const struct lrelu_q8tab *t)
{
	const uint8_t *tab = t->plain;
	size_t i = 0;
	/* Eight loads before eight stores keeps x == y safe and the loads independent. */
	for (; i + 8 <= n; i += 8) {
		uint8_t a0 = tab[x[i]], a1 = tab[x[i + 1]], a2 = tab[x[i + 2]], a3 = tab[x[i + 3]];
		uint8_t a4 = tab[x[i + 4]], a5 = tab[x[i + 5]], a6 = tab[x[i + 6]], a7 = tab[x[i + 7]];
		y[i] = a0, y[i + 1] = a1, y[i + 2] = a2, y[i + 3] = a3;
		y[i + 4] = a4, y[i + 5] = a5, y[i + 6] = a6, y[i + 7] = a7;
	}
	for (; i < n; i++)
		y[i] = tab[x[i]];
}

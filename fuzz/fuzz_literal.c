/* fuzz_literal.c - libFuzzer target: the array literal parser on any text */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "literal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	struct literal lit;
	char err[256];
	if (literal_parse(s, &lit, err, sizeof err) == 0) {
		/* The shape must account for every number parsed. */
		size_t count = 1;
		for (int i = 0; i < lit.ndim; i++)
			count *= (size_t)lit.shape[i];
		if (count != lit.count)
			__builtin_trap();
		if (lit.count) {
			float *f = malloc(lit.count * sizeof *f);
			if (f) {
				literal_convert(&lit, LRELU_FLOAT32, f);
				free(f);
			}
		}
		literal_free(&lit);
	}
	(void)literal_looks_like(s);
	free(s);
	return 0;
}

/* fuzz_print.c - libFuzzer target: NumPy-style printing of any bit patterns, any shape */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "npyprint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Byte 0: dtype (low 3 bits) and rank (next 3 bits, at most 4); then one byte per
 * dimension (0..15, or 0..255 for rank 1 so that wrapping and summaries are reached);
 * the rest is element data, repeated cyclically to fill the tensor. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const lrelu_dtype dts[6] = {LRELU_FLOAT32, LRELU_FLOAT64, LRELU_BFLOAT16,
	                                   LRELU_FLOAT16, LRELU_QINT8, LRELU_QUINT8};
	static FILE *sink;
	static unsigned char buf[1 << 16];
	if (!sink)
		sink = fopen("/dev/null", "w");
	if (!sink || size < 1)
		return 0;
	lrelu_dtype dt = dts[(data[0] & 7) % 6];
	int nd = (data[0] >> 3) & 7;
	if (nd > 4)
		nd = 4;
	if (size < 1 + (size_t)nd)
		return 0;
	int64_t shape[4];
	size_t count = 1;
	for (int i = 0; i < nd; i++) {
		shape[i] = nd == 1 ? data[1 + i] * 8 : data[1 + i] & 15;
		count *= (size_t)shape[i];
	}
	size_t isz = lrelu_dtype_size(dt), bytes = count * isz;
	const uint8_t *src = data + 1 + nd;
	size_t n = size - 1 - (size_t)nd;
	if (bytes > sizeof buf)
		return 0;
	for (size_t i = 0; i < bytes; i++)
		buf[i] = n ? src[i % n] : 0;
	lrelu_tensor t = lrelu_tensor_make(buf, dt, nd, shape, NULL);
	npyprint_tensor(sink, &t);
	/* The print options too, from the size (the input's layout stays as it was). */
	struct npyprint_opts o = {(int)(size % 19), size % 97, (size >> 1) & 1};
	npyprint_tensor_opts(sink, &t, &o);
	char s[64];
	double v;
	memcpy(&v, buf, bytes >= 8 ? 8 : 0);
	if (bytes >= 8)
		npyprint_scalar(s, sizeof s, v, LRELU_FLOAT64);
	return 0;
}

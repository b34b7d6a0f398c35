/* diff.c - lrelu diff: two frameworks' rules on one INPUT, the elements whose bits
 * differ counted, measured and listed */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "npyprint.h"

static uint64_t load_bits(const unsigned char *p, size_t isz)
{
	uint64_t v = 0;
	memcpy(&v, p, isz); /* little-endian host assumed for the integer view below */
	if (!host_little()) {
		uint64_t r = 0;
		for (size_t i = 0; i < isz; i++)
			r |= (uint64_t)p[i] << (8 * (isz - 1 - i));
		v = r;
	}
	return v;
}

static bool bits_nan(uint64_t b, lrelu_dtype dt)
{
	switch (dt) {
	case LRELU_FLOAT64:
		return (b & 0x7fffffffffffffffull) > 0x7ff0000000000000ull;
	case LRELU_FLOAT32:
		return (b & 0x7fffffffu) > 0x7f800000u;
	case LRELU_BFLOAT16:
		return (b & 0x7fffu) > 0x7f80u;
	default:
		return (b & 0x7fffu) > 0x7c00u;
	}
}

static double bits_value(uint64_t b, lrelu_dtype dt)
{
	switch (dt) {
	case LRELU_FLOAT64: {
		double d;
		memcpy(&d, &b, 8);
		return d;
	}
	case LRELU_FLOAT32: {
		uint32_t u = (uint32_t)b;
		float f;
		memcpy(&f, &u, 4);
		return f;
	}
	case LRELU_BFLOAT16:
		return lrelu_bf16_to_f32((uint16_t)b);
	default:
		return lrelu_f16_to_f32((uint16_t)b);
	}
}

static void value_text(char *buf, size_t n, uint64_t b, lrelu_dtype dt, size_t isz)
{
	char v[64];
	npyprint_scalar(v, sizeof v, bits_value(b, dt),
	                dt == LRELU_BFLOAT16 ? LRELU_FLOAT32 : dt);
	snprintf(buf, n, "%s (0x%0*llx)", v, (int)(isz * 2), (unsigned long long)b);
}

static void index_text(char *buf, size_t n, uint64_t flat, const struct npy_info *in)
{
	int64_t idx[LRELU_MAX_DIMS];
	int nd = in->ndim;
	if (in->fortran)
		for (int d = 0; d < nd; d++) {
			idx[d] = (int64_t)(flat % (uint64_t)in->shape[d]);
			flat /= (uint64_t)in->shape[d];
		}
	else
		for (int d = nd - 1; d >= 0; d--) {
			idx[d] = (int64_t)(flat % (uint64_t)in->shape[d]);
			flat /= (uint64_t)in->shape[d];
		}
	size_t k = (size_t)snprintf(buf, n, "(");
	for (int d = 0; d < nd && k < n; d++)
		k += (size_t)snprintf(buf + k, n - k, "%lld%s", (long long)idx[d],
		                      nd == 1 ? "," : d + 1 < nd ? ", " : "");
	if (k < n)
		snprintf(buf + k, n - k, ")");
}

int cmd_diff(struct opts *o)
{
	if (o->npos < 1)
		usage_error("diff: INPUT missing");
	if (o->have_ns && o->have_alpha && !(o->ns == o->alpha))
		usage_error("diff: --negative-slope %g and --alpha %g differ; diff runs both "
		            "semantics with one slope", o->ns, o->alpha);
	set_threads(o);
	double slope = o->have_ns ? o->ns : o->have_alpha ? o->alpha : 0.2;
	lrelu_framework fa = o->have_from ? o->from : LRELU_TORCH;
	lrelu_framework fb = o->have_to ? o->to : LRELU_MINDSPORE;
	struct array x;
	open_array(o->pos[0], o, "INPUT", &x);
	if (x.dtype == LRELU_QINT8 || x.dtype == LRELU_QUINT8)
		usage_error("diff compares float data; %s holds %s", x.src.name,
		            lrelu_dtype_name(x.dtype));
	size_t isz = x.info.itemsize;
	size_t per = CHUNK_BYTES / isz;
	unsigned char *xb = xmalloc(per * isz), *ya = xmalloc(per * isz), *yb = xmalloc(per * isz);
	struct job ja = {.o = o, .fw = fa, .slope = slope, .x = &x};
	struct job jb = {.o = o, .fw = fb, .slope = slope, .x = &x};
	uint64_t left = x.info.count, base = 0, ndiff = 0, max_ulp = 0;
	bool nan_diff = false;
	enum { SHOW = 8 };
	char lines[SHOW][512];
	int nshow = 0;
	while (left > 0) {
		size_t n = left < per ? (size_t)left : per;
		if (src_read(&x.src, xb, n * isz) != n * isz)
			data_error("%s: truncated data", x.src.name);
		if (x.info.swap)
			swap_bytes(xb, n, isz);
		compute_chunk(&ja, xb, NULL, ya, n, x.src.name);
		compute_chunk(&jb, xb, NULL, yb, n, x.src.name);
		for (size_t i = 0; i < n; i++) {
			uint64_t a = load_bits(ya + i * isz, isz), b = load_bits(yb + i * isz, isz);
			if (a == b)
				continue;
			ndiff++;
			if (bits_nan(a, x.dtype) || bits_nan(b, x.dtype)) {
				nan_diff = true;
			} else {
				/* Distance in representable values (sign-magnitude bit patterns). */
				uint64_t sign = (uint64_t)1 << (isz * 8 - 1);
				uint64_t ma = a & ~sign, mb = b & ~sign;
				uint64_t d = ((a & sign) == (b & sign)) ? (ma > mb ? ma - mb : mb - ma)
				                                        : ma + mb;
				if (d > max_ulp)
					max_ulp = d;
			}
			if (nshow < SHOW) {
				char is[160], xs[96], as[96], bs[96];
				index_text(is, sizeof is, base + i, &x.info);
				value_text(xs, sizeof xs, load_bits(xb + i * isz, isz), x.dtype, isz);
				value_text(as, sizeof as, a, x.dtype, isz);
				value_text(bs, sizeof bs, b, x.dtype, isz);
				snprintf(lines[nshow++], sizeof lines[0], "  %s  x = %s  %s: %s  %s: %s", is,
				         xs, lrelu_framework_name(fa), as, lrelu_framework_name(fb), bs);
			}
		}
		left -= n;
		base += n;
	}
	char sl[64];
	lrelu_format_pyfloat(slope, sl, sizeof sl);
	printf("%s vs %s, slope %s, %s, %llu elements: %llu differ", lrelu_framework_name(fa),
	       lrelu_framework_name(fb), sl, lrelu_dtype_name(x.dtype),
	       (unsigned long long)x.info.count, (unsigned long long)ndiff);
	if (ndiff)
		printf("; largest difference %llu ULP%s%s", (unsigned long long)max_ulp,
		       max_ulp == 1 ? "" : "s", nan_diff ? " (and NaN bit patterns differ)" : "");
	printf("\n");
	if (nshow)
		printf("first differences (index, input, both outputs):\n");
	for (int i = 0; i < nshow; i++)
		printf("%s\n", lines[i]);
	if (fflush(stdout) != 0)
		data_error("standard output: write error: %s", strerror(errno));
	free(xb);
	free(ya);
	free(yb);
	return 0;
}

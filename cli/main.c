/* main.c - the lrelu command: LeakyReLU on .npy files and array literals, streamed in
 * chunks, written atomically, printed as NumPy prints; plus `lrelu demo` and `lrelu diff` */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lrelu.h"
#include "literal.h"
#include "npy.h"
#include "npyprint.h"
#include "cli.h"

/* ---- the main command ----------------------------------------------------------------- */

static int cmd_main(struct opts *o)
{
	if (o->npos < 1)
		usage_error("INPUT missing");
	const char *in = o->pos[0], *out = o->npos > 1 ? o->pos[1] : NULL;
	struct job j = {.o = o, .fw = o->fw, .slope = pick_slope(o, o->fw)};
	if (o->inplace && o->fw != LRELU_TORCH)
		usage_error("--inplace: %s's LeakyReLU has no in-place form (no inplace "
		            "parameter); assign the output instead, as in x = m(x): give OUTPUT "
		            "(it may be INPUT itself)", fw_title(o->fw));
	if (o->inplace && out)
		usage_error("--inplace replaces INPUT; give no OUTPUT");
	if (o->inplace && strcmp(in, "-") == 0)
		usage_error("--inplace needs a file INPUT, not standard input");
	if ((o->have_oscale || o->have_ozp) && !(o->have_scale || o->have_zp))
		usage_error("--out-scale/--out-zero-point need --scale and --zero-point");
	if (o->grad && strcmp(o->grad, "-") == 0 && strcmp(in, "-") == 0)
		usage_error("INPUT and GRAD cannot both be standard input");
	set_threads(o);

	struct array x, g;
	bool literal_in = strcmp(in, "-") != 0 && literal_looks_like(in);
	if (o->inplace && literal_in)
		out = NULL; /* a literal has no file to replace: print the result */
	open_array(in, o, "INPUT", &x);
	if ((o->have_scale || o->have_zp) && x.dtype != LRELU_QINT8 && x.dtype != LRELU_QUINT8)
		usage_error("--scale/--zero-point apply to int8/uint8 data; %s holds %s",
		            x.src.name, lrelu_dtype_name(x.dtype));
	j.x = &x;
	if (o->grad) {
		open_array(o->grad, o, "GRAD", &g);
		if (g.src.fd < 0)
			g.src.name = "GRAD literal";
		check_grad(&x, &g);
		j.g = &g;
	}

	unsigned char hdr[NPY_MAX_HEADER + NPY_PREFIX_MAX];
	struct npy_info oi = x.info;
	size_t hn = npy_format_header(&oi, hdr, sizeof hdr);
	if (hn == 0)
		data_error("%s: header too long for format version %d.0", x.src.name, oi.major);

	bool to_file = (out && strcmp(out, "-") != 0) || (o->inplace && !literal_in);
	if (!out && !to_file) {
		print_streamed(&j);
		free(x.owned);
		return 0;
	}
	if (!to_file) {
		struct sink k = {.fd = STDOUT_FILENO, .name = "standard output", .is_stdout = true};
		sink_write(&k, hdr, hn);
		run_stream(&j, &k);
		return 0;
	}
	struct target t;
	resolve_target(o->inplace ? in : out, &t);
	int fd = open_tmp(&t);
	struct sink k = {.fd = fd, .name = t.path};
	sink_write(&k, hdr, hn);
	run_stream(&j, &k);
	commit_tmp(fd, &t);
	return 0;
}

/* ---- lrelu demo: the seed page's two examples ----------------------------------------- */

static void demo_print(const char *title, float *v)
{
	static const int64_t shape[2] = {2, 3};
	lrelu_tensor t = lrelu_tensor_make(v, LRELU_FLOAT32, 2, shape, NULL);
	printf("%s\n", title);
	if (npyprint_tensor(stdout, &t) != 0)
		data_error("standard output: write error: %s", strerror(errno));
}

static void demo_check(lrelu_status st)
{
	if (st != LRELU_OK)
		data_error("demo: %s: %s", lrelu_status_str(st), lrelu_last_error());
}

static int cmd_demo(void)
{
	static const double in[6] = {-1.0, 4.0, -8.0, 2.0, -5.0, 9.0};
	static const int64_t shape[2] = {2, 3};
	lrelu_module m;
	char repr[64];

	/* Example 1, PyTorch: m = nn.LeakyReLU(0.2) on a float64 tensor, then .to(float32). */
	double x64[6], y64[6];
	float out[6], x32[6];
	memcpy(x64, in, sizeof x64);
	demo_check(lrelu_module_torch(&m, 0.2, false));
	lrelu_module_repr(&m, repr, sizeof repr);
	lrelu_tensor tx = lrelu_tensor_make(x64, LRELU_FLOAT64, 2, shape, NULL);
	lrelu_tensor ty = lrelu_tensor_make(y64, LRELU_FLOAT64, 2, shape, NULL);
	demo_check(lrelu_module_forward(&m, &tx, &ty));
	for (int i = 0; i < 6; i++)
		out[i] = (float)y64[i];
	char title[160];
	snprintf(title, sizeof title, "# Example 1, PyTorch: m = %s; float64 input; "
	         "output.to(torch.float32)", repr);
	demo_print(title, out);

	/* Example 1, MindSpore: float32 input, nn.LeakyReLU() with the default alpha. */
	for (int i = 0; i < 6; i++)
		x32[i] = (float)in[i];
	demo_check(lrelu_module_mindspore(&m, LRELU_MINDSPORE_DEFAULT_ALPHA));
	lrelu_module_repr(&m, repr, sizeof repr);
	tx = lrelu_tensor_make(x32, LRELU_FLOAT32, 2, shape, NULL);
	ty = lrelu_tensor_make(out, LRELU_FLOAT32, 2, shape, NULL);
	demo_check(lrelu_module_forward(&m, &tx, &ty));
	snprintf(title, sizeof title, "# Example 1, MindSpore: m = nn.LeakyReLU() (%s, "
	         "alpha=0.2); float32 input", repr);
	demo_print(title, out);

	/* Example 2, PyTorch: nn.LeakyReLU(0.2, inplace=True) changes the input itself. */
	for (int i = 0; i < 6; i++)
		x32[i] = (float)in[i];
	demo_check(lrelu_module_torch(&m, 0.2, true));
	lrelu_module_repr(&m, repr, sizeof repr);
	tx = lrelu_tensor_make(x32, LRELU_FLOAT32, 2, shape, NULL);
	demo_check(lrelu_module_forward(&m, &tx, NULL));
	snprintf(title, sizeof title, "# Example 2, PyTorch: m = %s; float32 input; "
	         "print(inputs)", repr);
	demo_print(title, x32);

	/* Example 2, MindSpore: no in-place form; x = m(x) assigns the output. */
	for (int i = 0; i < 6; i++)
		x32[i] = (float)in[i];
	demo_check(lrelu_module_mindspore(&m, LRELU_MINDSPORE_DEFAULT_ALPHA));
	tx = lrelu_tensor_make(x32, LRELU_FLOAT32, 2, shape, NULL);
	demo_check(lrelu_module_forward(&m, &tx, &tx));
	demo_print("# Example 2, MindSpore: x = m(x) (no inplace parameter); float32 input", x32);
	if (fflush(stdout) != 0)
		data_error("standard output: write error: %s", strerror(errno));
	return 0;
}

/* ---- lrelu diff ------------------------------------------------------------------------- */

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

static int cmd_diff(struct opts *o)
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

int main(int argc, char **argv)
{
	struct opts o;
	memset(&o, 0, sizeof o);
	o.fw = LRELU_TORCH;
	install_signals();
	if (argc >= 2 && strcmp(argv[1], "demo") == 0) {
		if (argc > 2)
			usage_error("demo takes no arguments");
		return cmd_demo();
	}
	if (argc >= 2 && strcmp(argv[1], "diff") == 0) {
		parse_args(argc, argv, 2, true, &o);
		return cmd_diff(&o);
	}
	parse_args(argc, argv, 1, false, &o);
	return cmd_main(&o);
}

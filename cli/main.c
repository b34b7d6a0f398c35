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

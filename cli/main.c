/* main.c - the lrelu command: LeakyReLU on .npy files and array literals, streamed in
 * chunks, written atomically, printed as NumPy prints; plus `lrelu demo` and `lrelu diff`.
 * Here: which subcommand, and the main command's choice of where the result goes. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "demo.h"
#include "literal.h"
#include "npy.h"
#include "npz.h"

/* ---- the main command ----------------------------------------------------------------- */

/* --from-result: PyTorch refuses the backward of an in-place forward whose slope is
 * negative or NaN, whatever the data; ask the library, before any work, with PyTorch's
 * message. */
static void check_from_result(const struct opts *o, double slope)
{
	if (!o->grad)
		usage_error("--from-result needs --grad (it says what INPUT holds for the "
		            "backward)");
	if (o->fw != LRELU_TORCH)
		usage_error("--from-result: %s's LeakyReLU has no in-place forward", fw_title(o->fw));
	float one = 1.0f, dx;
	int64_t n = 1;
	lrelu_tensor t = lrelu_tensor_make(&one, LRELU_FLOAT32, 1, &n, NULL);
	lrelu_tensor d = lrelu_tensor_make(&dx, LRELU_FLOAT32, 1, &n, NULL);
	if (lrelu_backward(LRELU_TORCH, slope, &t, &t, true, &d) != LRELU_OK)
		usage_error("--from-result with --negative-slope %g: %s", slope, lrelu_last_error());
}

static int cmd_main(struct opts *o)
{
	if (o->npos < 1)
		usage_error("INPUT missing");
	const char *in = o->pos[0], *out = o->npos > 1 ? o->pos[1] : NULL;
	struct job j = {.o = o, .fw = o->fw};
	lrelu_generator gen;
	job_setup(&j, o, &gen);
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
	if (o->inplace && o->grad)
		usage_error("--inplace with --grad: the gradient is not INPUT's new value; give "
		            "OUTPUT for dL/dx (and --from-result if INPUT holds the result of an "
		            "in-place forward)");
	if (o->from_result)
		check_from_result(o, j.slope);
	if (o->have_print && out)
		usage_error("--precision/--threshold/--bits apply to printing; OUTPUT was given");
	set_threads(o);

	struct array x, g;
	bool literal_in = strcmp(in, "-") != 0 && literal_looks_like(in);
	if (o->inplace && literal_in)
		out = NULL; /* a literal has no file to replace: print the result */
	struct npz z;
	const char *member;
	if (!literal_in && npz_open(in, &z, &member)) {
		if (!member)
			return npz_main(o, &z, out);
		if (o->inplace)
			usage_error("--inplace: %s is one array of the archive %s; run on the whole "
			            "archive, or give OUTPUT", in, z.path);
		npz_close(&z);
	}
	open_array(in, o, "INPUT", &x);
	if ((o->have_scale || o->have_zp) && x.dtype != LRELU_QINT8 && x.dtype != LRELU_QUINT8)
		usage_error("--scale/--zero-point apply to int8/uint8 data; %s holds %s",
		            x.src.name, lrelu_dtype_name(x.dtype));
	j.x = &x;
	job_load(&j, &x);
	if (o->grad) {
		open_array(o->grad, o, "GRAD", &g);
		if (g.src.fd < 0)
			g.src.name = "GRAD literal";
		check_grad(&x, &g);
		j.g = &g;
	}
	struct family_out *fo = family_open(&j);

	unsigned char hdr[NPY_MAX_HEADER + NPY_PREFIX_MAX];
	struct npy_info oi = x.info;
	size_t hn = npy_format_header(&oi, hdr, sizeof hdr);
	if (hn == 0)
		data_error("%s: header too long for format version %d.0", x.src.name, oi.major);

	bool to_file = (out && strcmp(out, "-") != 0) || (o->inplace && !literal_in);
	if (!out && !to_file) {
		print_streamed(&j);
	} else if (!to_file) {
		struct sink k = {.fd = STDOUT_FILENO, .name = "standard output", .is_stdout = true};
		sink_write(&k, hdr, hn);
		run_stream(&j, &k);
	} else {
		struct target t;
		resolve_target(o->inplace ? in : out, &t);
		int fd = open_tmp(&t);
		struct sink k = {.fd = fd, .name = t.path};
		sink_write(&k, hdr, hn);
		run_stream(&j, &k);
		commit_tmp(fd, &t);
	}
	family_commit(fo, &j);
	free(x.owned);
	if (j.g)
		free(g.owned);
	return 0;
}

/* ---- lrelu demo: the seed page's two examples ----------------------------------------- */

static int cmd_demo(void)
{
	/* Each title: before, the module's repr, after (no repr where after is NULL). */
	static const char *const title[DEMO_RUNS][2] = {
		{"m = ", "; float64 input; output.to(torch.float32)"},
		{"m = nn.LeakyReLU() (", ", alpha=0.2); float32 input"},
		{"m = ", "; float32 input; print(inputs)"},
		{"x = m(x) (no inplace parameter); float32 input", NULL},
	};
	struct demo d;
	if (demo_compute(&d) != 0)
		data_error("demo: %s", d.error);
	for (int i = 0; i < DEMO_RUNS; i++) {
		const struct demo_run *r = &d.run[i];
		char repr[64];
		lrelu_module_repr(&r->module, repr, sizeof repr);
		printf("# Example %d, %s: %s%s%s\n", r->example, fw_title(r->fw), title[i][0],
		       title[i][1] ? repr : "", title[i][1] ? title[i][1] : "");
		if (demo_print(stdout, r) != 0)
			data_error("standard output: write error: %s", strerror(errno));
	}
	if (fflush(stdout) != 0)
		data_error("standard output: write error: %s", strerror(errno));
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	init_opts(&o);
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

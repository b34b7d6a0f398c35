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

/* Printing keeps only the elements print() shows; a shape that shows more than this
 * (e.g. 2^16 elements in 16 axes of length 2) is refused with a message. */
#define PRINT_MAX_SHOWN ((size_t)1 << 24)

/* ---- sinks: the temporary file, standard output, or memory --------------------------- */

struct sink {
	int fd;            /* -1: memory */
	const char *name;  /* for messages */
	unsigned char *mem;
	size_t mem_len, mem_cap;
	bool is_stdout;
	uint64_t written, flushed; /* file sinks: bytes written, bytes sent to the disk */
	/* Gathering sinks (printing a large array): keep only the displayed elements. */
	const struct shown_pos *pos;
	size_t npos, next, isz;
};

/* A displayed element: its index in the file's element order and in display order. */
struct shown_pos {
	uint64_t file;
	size_t shown;
};

/* Start writing a file's pages to the disk every FLUSH_STEP bytes, so that the disk
 * works while we read and compute and the final fsync has little left to do. */
#define FLUSH_STEP ((uint64_t)32 << 20)

static void sink_write(struct sink *k, const void *buf, size_t n)
{
	if (k->fd < 0 && k->pos) {
		uint64_t first = k->written / k->isz, end = (k->written + n) / k->isz;
		const unsigned char *p = buf;
		for (; k->next < k->npos && k->pos[k->next].file < end; k->next++)
			memcpy(k->mem + k->pos[k->next].shown * k->isz,
			       p + (k->pos[k->next].file - first) * k->isz, k->isz);
		k->written += n;
		return;
	}
	if (k->fd < 0) {
		if (k->mem_len + n > k->mem_cap)
			data_error("internal error: memory sink overflow");
		memcpy(k->mem + k->mem_len, buf, n);
		k->mem_len += n;
		return;
	}
	const unsigned char *p = buf;
	while (n > 0) {
		ssize_t w = write(k->fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (k->is_stdout)
				data_error("standard output: write failed midway: %s (the output stream "
				           "is incomplete)", strerror(errno));
			data_error("%s: cannot write: %s (nothing was written; INPUT is untouched)",
			           k->name, strerror(errno));
		}
		p += w;
		n -= (size_t)w;
		k->written += (uint64_t)w;
	}
#ifdef __linux__
	if (!k->is_stdout && k->written - k->flushed >= FLUSH_STEP) {
		/* Only a hint: a failure here shows up again at fsync. */
		sync_file_range(k->fd, (off_t)k->flushed, (off_t)(k->written - k->flushed),
		                SYNC_FILE_RANGE_WRITE);
		k->flushed = k->written;
	}
#endif
}

/* ---- the computation over chunks ------------------------------------------------------ */

struct job {
	const struct opts *o;
	lrelu_framework fw;
	double slope;
	struct array *x, *g; /* g: gradient, or NULL for forward */
};

static void make_1d(lrelu_tensor *t, void *data, lrelu_dtype dt, const int64_t *n)
{
	*t = lrelu_tensor_make(data, dt, 1, n, NULL);
}

static void compute_chunk(const struct job *j, void *xb, void *gb, void *yb, size_t n,
                          const char *name)
{
	int64_t shape[1] = {(int64_t)n};
	lrelu_tensor x, y, g;
	lrelu_dtype dt = j->x->dtype;
	make_1d(&x, xb, dt, shape);
	make_1d(&y, yb, dt, shape);
	if (dt == LRELU_QINT8 || dt == LRELU_QUINT8) {
		x.scale = j->o->scale;
		x.zero_point = j->o->zp;
		y.scale = j->o->have_oscale ? j->o->oscale : j->o->scale;
		y.zero_point = j->o->have_ozp ? j->o->ozp : j->o->zp;
	}
	lrelu_status st;
	if (j->g) {
		make_1d(&g, gb, dt, shape);
		g.scale = x.scale;
		g.zero_point = x.zero_point;
		st = lrelu_backward(j->fw, j->slope, &g, &x, false, &y);
	} else {
		st = lrelu_forward(j->fw, j->slope, &x, &y);
	}
	if (st != LRELU_OK)
		data_error("%s: %s: %s", name, lrelu_status_str(st), lrelu_last_error());
}

/* Streams x (and g) through the computation into k, chunk by chunk. */
static void run_stream(const struct job *j, struct sink *k)
{
	struct array *x = j->x;
	size_t isz = x->info.itemsize;
	size_t per = CHUNK_BYTES / isz;
	size_t bytes = per * isz;
	uint64_t left = x->info.count;
	size_t first = left < per ? (size_t)left : per;
	/* Float results are computed in place (into the input chunk, or into the gradient
	 * chunk for backward): one buffer less to fill and one memory pass less.  Quantized
	 * output may carry other quantization parameters, so it gets its own buffer. */
	bool quant = x->dtype == LRELU_QINT8 || x->dtype == LRELU_QUINT8;
	unsigned char *xb = xmalloc(first * isz);
	unsigned char *gb = j->g ? xmalloc(first * isz) : NULL;
	unsigned char *yb = quant ? xmalloc(first * isz) : j->g ? gb : xb;
	(void)bytes;
	while (left > 0) {
		size_t n = left < per ? (size_t)left : per;
		size_t nb = n * isz;
		size_t got = src_read(&x->src, xb, nb);
		if (got != nb)
			data_error("%s: truncated data: %llu more bytes expected", x->src.name,
			           (unsigned long long)(left * isz - got));
		if (j->g) {
			got = src_read(&j->g->src, gb, nb);
			if (got != nb)
				data_error("%s: truncated data: %llu more bytes expected",
				           j->g->src.name, (unsigned long long)(left * isz - got));
			if (j->g->info.swap)
				swap_bytes(gb, n, isz);
		}
		if (x->info.swap)
			swap_bytes(xb, n, isz);
		compute_chunk(j, xb, gb, yb, n, x->src.name);
		if (x->info.swap)
			swap_bytes(yb, n, isz);
		sink_write(k, yb, nb);
		left -= n;
	}
	/* A stream must end with the data; a file's size was checked already. */
	unsigned char extra;
	if (x->src.fd >= 0 && !x->src.regular && src_read(&x->src, &extra, 1) == 1)
		data_error("%s: bytes after the data the header announces", x->src.name);
	if (j->g && j->g->src.fd >= 0 && !j->g->src.regular && src_read(&j->g->src, &extra, 1) == 1)
		data_error("%s: bytes after the data the header announces", j->g->src.name);
	if (quant)
		free(yb);
	free(xb);
	free(gb);
}

/* ---- the main command ----------------------------------------------------------------- */

static void print_array(const struct array *x, unsigned char *data)
{
	int64_t strides[LRELU_MAX_DIMS];
	int nd = x->info.ndim;
	if (x->info.fortran) {
		int64_t s = 1;
		for (int d = 0; d < nd; d++) {
			strides[d] = s;
			s *= x->info.shape[d];
		}
	}
	lrelu_tensor t = lrelu_tensor_make(data, x->dtype, nd, x->info.shape,
	                                   x->info.fortran ? strides : NULL);
	if (npyprint_tensor(stdout, &t) != 0 || fflush(stdout) != 0)
		data_error("standard output: write error: %s", strerror(errno));
}

static int cmp_pos(const void *a, const void *b)
{
	uint64_t x = ((const struct shown_pos *)a)->file, y = ((const struct shown_pos *)b)->file;
	return x < y ? -1 : x > y;
}

/* Prints the result of j.  Up to 1000 elements the whole result is kept; above, print()
 * shows at most the first and last 3 along each axis, so only those elements are kept
 * as the data streams past: printing needs no more memory than writing a file. */
static void print_streamed(const struct job *j)
{
	const struct npy_info *in = &j->x->info;
	size_t isz = in->itemsize;
	if (in->count <= 1000) {
		struct sink k = {.fd = -1, .name = "memory", .mem = xmalloc(in->data_bytes),
		                 .mem_cap = in->data_bytes};
		run_stream(j, &k);
		if (in->swap)
			swap_bytes(k.mem, in->count, isz);
		print_array(j->x, k.mem);
		free(k.mem);
		return;
	}
	size_t n = npyprint_shown_count(in->ndim, in->shape);
	if (n > PRINT_MAX_SHOWN)
		data_error("%s: too many elements to print (%zu shown); give an OUTPUT file",
		           j->x->src.name, n);
	/* Enumerate the displayed indices in display order, with their file positions. */
	struct shown_pos *pos = xmalloc(n * sizeof *pos);
	int64_t idx[LRELU_MAX_DIMS] = {0}, step[LRELU_MAX_DIMS];
	int nd = in->ndim;
	int64_t s = 1;
	for (int d = 0; d < nd; d++) {
		int dd = in->fortran ? d : nd - 1 - d;
		step[dd] = s;
		s *= in->shape[dd];
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t f = 0;
		for (int d = 0; d < nd; d++)
			f += (uint64_t)idx[d] * (uint64_t)step[d];
		pos[i].file = f;
		pos[i].shown = i;
		for (int d = nd - 1; d >= 0; d--) {
			int64_t len = in->shape[d];
			if (++idx[d] == 3 && len > 6)
				idx[d] = len - 3;
			if (idx[d] < len)
				break;
			idx[d] = 0;
		}
	}
	qsort(pos, n, sizeof *pos, cmp_pos);
	struct sink k = {.fd = -1, .name = "memory", .mem = xmalloc(n * isz), .mem_cap = n * isz,
	                 .pos = pos, .npos = n, .isz = isz};
	run_stream(j, &k);
	if (in->swap)
		swap_bytes(k.mem, n, isz);
	lrelu_tensor t = lrelu_tensor_make(k.mem, j->x->dtype, nd, in->shape, NULL);
	if (npyprint_shown(stdout, &t) != 0 || fflush(stdout) != 0)
		data_error("standard output: write error: %s", strerror(errno));
	free(k.mem);
	free(pos);
}

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

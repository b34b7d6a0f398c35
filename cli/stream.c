/* stream.c - the computation over chunks: INPUT (and GRAD) read, computed and written to
 * a sink chunk by chunk, so that memory stays bounded whatever the size; printing keeps
 * only what print() shows */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "npyprint.h"

/* Printing keeps only the elements print() shows; a shape that shows more than this
 * (e.g. 2^16 elements in 16 axes of length 2) is refused with a message. */
#define PRINT_MAX_SHOWN ((size_t)1 << 24)

/* ---- sinks: the temporary file, standard output, or memory --------------------------- */

/* Printing gathers the displayed elements as the data streams past, in the file's
 * order: an odometer over the displayed indices gives the next one's position, and the
 * buffer grows with what arrives, so a header cannot make us allocate for data that
 * never comes. */
struct gather {
	int nd;
	/* Per axis, slowest-varying in the file first. */
	int64_t len[LRELU_MAX_DIMS], gap[LRELU_MAX_DIMS], tail[LRELU_MAX_DIMS];
	uint64_t step[LRELU_MAX_DIMS];
	int64_t idx[LRELU_MAX_DIMS];
	uint64_t next; /* file position (in elements) of the next displayed one; UINT64_MAX: none */
	unsigned char *mem;
	size_t n, cap, isz;
};

static void gather_locate(struct gather *g)
{
	g->next = 0;
	for (int k = 0; k < g->nd; k++)
		g->next += (uint64_t)g->idx[k] * g->step[k];
}

/* Moves to the next displayed element in file order. */
static void gather_advance(struct gather *g)
{
	for (int k = g->nd - 1; k >= 0; k--) {
		g->idx[k]++;
		if (g->idx[k] == g->gap[k])
			g->idx[k] = g->len[k] - g->tail[k];
		if (g->idx[k] < g->len[k]) {
			gather_locate(g);
			return;
		}
		g->idx[k] = 0;
	}
	g->next = UINT64_MAX;
}

/* Keeps the element at p. */
static void gather_take(struct gather *g, const unsigned char *p)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 4096;
		unsigned char *m = realloc(g->mem, cap * g->isz);
		if (!m)
			data_error("out of memory (%zu bytes)", cap * g->isz);
		g->mem = m;
		g->cap = cap;
	}
	memcpy(g->mem + g->n * g->isz, p, g->isz);
	g->n++;
}

/* Start writing a file's pages to the disk every FLUSH_STEP bytes, so that the disk
 * works while we read and compute and the final fsync has little left to do. */
#define FLUSH_STEP ((uint64_t)32 << 20)

void sink_write(struct sink *k, const void *buf, size_t n)
{
	if (k->put) {
		k->put(k, buf, n);
		k->written += n;
		return;
	}
	if (k->gather) {
		struct gather *g = k->gather;
		uint64_t first = k->written / g->isz, end = (k->written + n) / g->isz;
		const unsigned char *p = buf;
		for (; g->next < end; gather_advance(g))
			gather_take(g, p + (g->next - first) * g->isz);
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

static void make_1d(lrelu_tensor *t, void *data, lrelu_dtype dt, const int64_t *n)
{
	*t = lrelu_tensor_make(data, dt, 1, n, NULL);
}

void compute_chunk(const struct job *j, void *xb, void *gb, void *yb, size_t n,
                          const char *name)
{
	if (j->op != OP_LEAKY_RELU) {
		family_chunk(j, xb, gb, yb, n, name);
		return;
	}
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
		st = lrelu_backward(j->fw, j->slope, &g, &x, j->o->from_result, &y);
	} else {
		st = lrelu_forward(j->fw, j->slope, &x, &y);
	}
	if (st != LRELU_OK)
		data_error("%s: %s: %s", name, lrelu_status_str(st), lrelu_last_error());
}

/* Streams x (and g) through the computation into k, chunk by chunk. */
void run_stream(const struct job *job, struct sink *k)
{
	struct job jn = *job;
	const struct job *j = &jn;
	struct array *x = j->x;
	size_t isz = x->info.itemsize;
	uint64_t left = x->info.count;
	/* An operator that needs the whole array (family.c) gets it as one chunk, also
	 * when it is empty: its checks (PReLU's weight against the channels) still run. */
	bool once = j->whole && left == 0;
	size_t per = j->whole ? (size_t)left : CHUNK_BYTES / isz;
	if (!j->whole && j->block > 1)
		per = per < j->block ? (size_t)j->block : per / j->block * j->block;
	size_t first = left < per ? (size_t)left : per;
	/* Float results are computed in place (into the input chunk, or into the gradient
	 * chunk for backward): one buffer less to fill and one memory pass less.  Quantized
	 * output may carry other quantization parameters, so it gets its own buffer. */
	bool quant = x->dtype == LRELU_QINT8 || x->dtype == LRELU_QUINT8;
	unsigned char *xb = xmalloc(first * isz);
	unsigned char *gb = j->g ? xmalloc(first * isz) : NULL;
	unsigned char *yb = quant ? xmalloc(first * isz) : j->g ? gb : xb;
	if (j->gen)
		jn.noise_buf = xmalloc(first * isz);
	while (left > 0 || once) {
		once = false;
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
		if (j->noise) {
			if (x->info.swap)
				swap_bytes(j->noise_buf, n, isz);
			sink_write(j->noise, j->noise_buf, nb);
		}
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
	free(jn.noise_buf);
}

/* ---- printing ------------------------------------------------------------------------ */

/* Prints the result of j as print() shows it under the print options, keeping only
 * the elements shown: printing needs no more memory than writing a file (plus the
 * shown elements, which grow only as the data arrives). */
void print_streamed(const struct job *j)
{
	const struct npyprint_opts opts = {j->o->precision, j->o->threshold, j->o->bits};
	const struct npyprint_opts *po = &opts;
	const struct npy_info *in = &j->x->info;
	int nd = in->ndim;
	bool summary = npyprint_summarises(nd, in->shape, po->threshold);
	size_t n = npyprint_shown_count(nd, in->shape, po->threshold);
	if (n > PRINT_MAX_SHOWN)
		data_error("%s: too many elements to print (%s%zu shown); give an OUTPUT file",
		           j->x->src.name, n == SIZE_MAX ? "over " : "",
		           n == SIZE_MAX ? PRINT_MAX_SHOWN : n);
	struct gather g = {.nd = nd, .isz = in->itemsize};
	uint64_t s = 1;
	for (int k = nd - 1; k >= 0; k--) {
		int d = in->fortran ? nd - 1 - k : k; /* the array axis at file position k */
		g.len[k] = in->shape[d];
		g.gap[k] = npyprint_axis_gap(in->shape[d], summary);
		g.tail[k] = npyprint_axis_shown(in->shape[d], summary) - g.gap[k];
		g.step[k] = s;
		s *= (uint64_t)(in->shape[d] > 0 ? in->shape[d] : 1);
	}
	if (n == 0)
		g.next = UINT64_MAX;
	else
		gather_locate(&g);
	struct sink k = {.fd = -1, .name = "memory", .gather = &g};
	run_stream(j, &k);
	unsigned char *shown = g.mem;
	if (in->fortran && nd > 1 && n > 0) {
		/* Gathered with the first axis fastest; print() wants the last one fastest. */
		shown = xmalloc(n * g.isz);
		int64_t r[LRELU_MAX_DIMS] = {0}, cnt[LRELU_MAX_DIMS];
		uint64_t fstep[LRELU_MAX_DIMS], f = 1;
		for (int d = 0; d < nd; d++) {
			cnt[d] = npyprint_axis_shown(in->shape[d], summary);
			fstep[d] = f;
			f *= (uint64_t)cnt[d];
		}
		for (size_t c = 0; c < n; c++) {
			uint64_t fr = 0;
			for (int d = 0; d < nd; d++)
				fr += (uint64_t)r[d] * fstep[d];
			memcpy(shown + c * g.isz, g.mem + fr * g.isz, g.isz);
			for (int d = nd - 1; d >= 0 && ++r[d] == cnt[d]; d--)
				r[d] = 0;
		}
		free(g.mem);
	}
	if (in->swap)
		swap_bytes(shown, n, g.isz);
	lrelu_tensor t = lrelu_tensor_make(shown, j->x->dtype, nd, in->shape, NULL);
	if (npyprint_shown(stdout, &t, po) != 0 || fflush(stdout) != 0)
		data_error("standard output: write error: %s", strerror(errno));
	free(shown);
}

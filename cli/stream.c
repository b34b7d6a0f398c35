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

/* A displayed element: its index in the file's element order and in display order. */
struct shown_pos {
	uint64_t file;
	size_t shown;
};

/* Start writing a file's pages to the disk every FLUSH_STEP bytes, so that the disk
 * works while we read and compute and the final fsync has little left to do. */
#define FLUSH_STEP ((uint64_t)32 << 20)

void sink_write(struct sink *k, const void *buf, size_t n)
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

static void make_1d(lrelu_tensor *t, void *data, lrelu_dtype dt, const int64_t *n)
{
	*t = lrelu_tensor_make(data, dt, 1, n, NULL);
}

void compute_chunk(const struct job *j, void *xb, void *gb, void *yb, size_t n,
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
void run_stream(const struct job *j, struct sink *k)
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

/* ---- printing ------------------------------------------------------------------------ */

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

struct gather {
	struct shown_pos *pos;
	size_t n;
};

static int gather_one(void *ctx, int64_t off)
{
	struct gather *g = ctx;
	g->pos[g->n].file = (uint64_t)off;
	g->pos[g->n].shown = g->n;
	g->n++;
	return 0;
}

/* Prints the result of j.  Where print() shows every element (up to 1000) the whole
 * result is kept; above, it shows at most the first and last 3 along each axis, so only
 * those elements are kept as the data streams past: printing needs no more memory than
 * writing a file. */
void print_streamed(const struct job *j)
{
	const struct npy_info *in = &j->x->info;
	size_t isz = in->itemsize;
	if (!npyprint_summarises(in->ndim, in->shape)) {
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
	/* The displayed elements in display order, with their positions in the file. */
	int64_t step[LRELU_MAX_DIMS], s = 1;
	int nd = in->ndim;
	for (int d = 0; d < nd; d++) {
		int dd = in->fortran ? d : nd - 1 - d;
		step[dd] = s;
		s *= in->shape[dd];
	}
	struct gather g = {xmalloc(n * sizeof *g.pos), 0};
	npyprint_visit_shown(nd, in->shape, step, gather_one, &g);
	struct shown_pos *pos = g.pos;
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

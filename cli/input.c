/* input.c - INPUT and GRAD: a literal, standard input or a .npy file, its header read and
 * checked, its data read in order */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "literal.h"
#include "npz.h"

bool host_little(void)
{
	static const uint16_t one = 1;
	return *(const unsigned char *)&one == 1;
}

/* Reads up to n bytes; returns the count (short only at end of input). */
size_t src_read(struct source *s, void *buf, size_t n)
{
	if (s->read)
		return s->read(s, buf, n);
	if (s->fd < 0) {
		size_t k = s->mem_len - s->mem_pos;
		if (k > n)
			k = n;
		memcpy(buf, s->mem + s->mem_pos, k);
		s->mem_pos += k;
		return k;
	}
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(s->fd, (unsigned char *)buf + got, n - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			data_error("%s: read error: %s", s->name, strerror(errno));
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return got;
}

static const char *dtype_descr(lrelu_dtype dt)
{
	bool le = host_little();
	switch (dt) {
	case LRELU_FLOAT32:
		return le ? "<f4" : ">f4";
	case LRELU_FLOAT64:
		return le ? "<f8" : ">f8";
	case LRELU_FLOAT16:
		return le ? "<f2" : ">f2";
	case LRELU_BFLOAT16:
		return le ? "<u2" : ">u2";
	case LRELU_QINT8:
		return "|i1";
	case LRELU_QUINT8:
		return "|u1";
	}
	return "?";
}

/* The element type of a parsed header, given --dtype. */
static lrelu_dtype header_dtype(const struct npy_info *in, const struct opts *o,
                                const char *name)
{
	lrelu_dtype dt;
	if (in->kind == 'f')
		dt = in->itemsize == 4 ? LRELU_FLOAT32
		     : in->itemsize == 8 ? LRELU_FLOAT64
		                         : LRELU_FLOAT16;
	else if (in->itemsize == 2) {
		/* PyTorch 1.13 has no uint16: bfloat16 leaves it as t.view(torch.int16). */
		if (!(o->have_dtype && o->dtype == LRELU_BFLOAT16))
			data_error("%s: unsupported dtype '%s' (%s); if it holds bfloat16 bit patterns "
			           "(as t.view(torch.int16).numpy() saves them), pass --dtype bfloat16",
			           name, in->descr, in->kind == 'i' ? "int16" : in->kind == 'u'
			           ? "uint16" : "raw 2-byte data");
		return LRELU_BFLOAT16;
	} else if (in->kind == 'i')
		dt = LRELU_QINT8;
	else
		dt = LRELU_QUINT8;
	if (o->have_dtype && o->dtype != dt && !(o->dtype_bits_only && in->kind == 'f')) {
		if (o->dtype == LRELU_BFLOAT16)
			usage_error("--dtype bfloat16: %s holds '%s' data, not '<u2', '<i2' or '|V2' "
			            "bit patterns", name, in->descr);
		usage_error("--dtype %s: %s holds '%s' (%s) data; --dtype converts literals only",
		            lrelu_dtype_name(o->dtype), name, in->descr, lrelu_dtype_name(dt));
	}
	return dt;
}

/* Opens spec (a literal, '-', or a path) and reads its header. */
void open_array(const char *spec, const struct opts *o, const char *role,
                       struct array *a)
{
	char err[256];
	memset(a, 0, sizeof *a);
	a->src.fd = -1;
	if (strcmp(spec, "-") != 0 && literal_looks_like(spec)) {
		struct literal lit;
		if (literal_parse(spec, &lit, err, sizeof err) != 0)
			usage_error("%s: %s", role, err);
		if (o->have_scale || o->have_zp)
			usage_error("--scale/--zero-point apply to int8/uint8 .npy input, not to a "
			            "literal");
		lrelu_dtype dt = o->have_dtype ? o->dtype : LRELU_FLOAT32;
		a->dtype = dt;
		a->info.major = 1;
		snprintf(a->info.descr, sizeof a->info.descr, "%s", dtype_descr(dt));
		a->info.kind = 'f';
		a->info.itemsize = lrelu_dtype_size(dt);
		a->info.ndim = lit.ndim;
		memcpy(a->info.shape, lit.shape, sizeof lit.shape);
		a->info.count = lit.count;
		a->info.data_bytes = lit.count * a->info.itemsize;
		a->owned = xmalloc(a->info.data_bytes);
		literal_convert(&lit, dt, a->owned);
		literal_free(&lit);
		a->src.name = "literal";
		a->src.mem = a->owned;
		a->src.mem_len = a->info.data_bytes;
		return;
	}
	if (npz_open_array(spec, o, a))
		return;
	struct source *s = &a->src;
	if (strcmp(spec, "-") == 0) {
		s->fd = STDIN_FILENO;
		s->name = "standard input";
	} else {
		s->name = spec;
		s->fd = open(spec, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0)
			data_error("%s: cannot open: %s", spec, strerror(errno));
	}
	if (fstat(s->fd, &s->st) != 0)
		data_error("%s: cannot stat: %s", s->name, strerror(errno));
	if (S_ISDIR(s->st.st_mode))
		data_error("%s: is a directory, not a .npy file", s->name);
	s->regular = S_ISREG(s->st.st_mode);
	/* Standard input may be a file already partly read ({ head -c N; lrelu -; } < f):
	 * the array starts where it stands, and the sizes below count from there. */
	off_t start = 0;
	if (s->regular) {
		start = lseek(s->fd, 0, SEEK_CUR);
		if (start < 0 || start > s->st.st_size)
			start = 0;
	}
	uint64_t avail = s->regular ? (uint64_t)(s->st.st_size - start) : 0;

	unsigned char pre[NPY_PREFIX_MAX];
	size_t got = src_read(s, pre, 10);
	if (got == 0)
		data_error("%s: empty file, not a .npy file", s->name);
	/* torch.save's legacy format and pickle.dump start with a pickle's protocol opcode. */
	if (got >= 2 && pre[0] == 0x80 && pre[1] >= 2 && pre[1] <= 5)
		data_error("%s: a Python pickle (torch.save's legacy format?), not a .npy file; "
		           "save arrays with numpy.save / numpy.savez", s->name);
	if (got >= 4 && memcmp(pre, "PK", 2) == 0 && ((pre[2] == 3 && pre[3] == 4) ||
	                                              (pre[2] == 5 && pre[3] == 6)))
		data_error("%s: a zip archive (.npz) cannot be read from a stream: its directory "
		           "is at its end; give the archive's file name", s->name);
	int major, minor;
	uint32_t hlen;
	size_t plen;
	if (got < 10) {
		if (npy_prefix(pre, got, &major, &minor, &hlen, &plen, err, sizeof err) != 0 &&
		    (got < 6 || strstr(err, "magic")))
			data_error("%s: %s", s->name, err);
		data_error("%s: truncated .npy header", s->name);
	}
	if (pre[6] >= 2 && pre[6] <= 3 && memcmp(pre, "\x93NUMPY", 6) == 0) {
		if (src_read(s, pre + 10, 2) != 2)
			data_error("%s: truncated .npy header", s->name);
		got = 12;
	}
	if (npy_prefix(pre, got, &major, &minor, &hlen, &plen, err, sizeof err) != 0)
		data_error("%s: %s", s->name, err);
	/* Check the header length against the file before allocating for it. */
	if (s->regular && (uint64_t)plen + hlen > avail)
		data_error("%s: truncated .npy header (header says %lu bytes, file has %llu)",
		           s->name, (unsigned long)(plen + hlen), (unsigned long long)avail);
	unsigned char *hdr = xmalloc(plen + hlen);
	memcpy(hdr, pre, plen);
	if (src_read(s, hdr + plen, hlen) != hlen)
		data_error("%s: truncated .npy header", s->name);
	if (npy_parse_header(hdr, plen + hlen, &a->info, err, sizeof err) != 0)
		data_error("%s: %s", s->name, err);
	free(hdr);
	if (s->regular) {
		uint64_t have = avail - a->info.data_offset;
		if (have < a->info.data_bytes)
			data_error("%s: truncated data: the header's shape needs %llu bytes, the file "
			           "has %llu", s->name, (unsigned long long)a->info.data_bytes,
			           (unsigned long long)have);
		if (have > a->info.data_bytes)
			data_error("%s: file size disagrees with the header: the shape needs %llu "
			           "bytes of data, the file has %llu", s->name,
			           (unsigned long long)a->info.data_bytes, (unsigned long long)have);
	}
	set_array_dtype(a, o);
	(void)role;
}

void set_array_dtype(struct array *a, const struct opts *o)
{
	a->dtype = header_dtype(&a->info, o, a->src.name);
	if (o->diff && (a->dtype == LRELU_QINT8 || a->dtype == LRELU_QUINT8))
		usage_error("%s: lrelu diff compares float results; this holds %s codes ('%s')",
		            a->src.name, a->dtype == LRELU_QINT8 ? "int8" : "uint8", a->info.descr);
	if ((a->dtype == LRELU_QINT8 || a->dtype == LRELU_QUINT8) &&
	    !(o->have_scale && o->have_zp))
		usage_error("%s: %s data ('%s') needs its quantization parameters: %s%s%s",
		            a->src.name, a->dtype == LRELU_QINT8 ? "int8" : "uint8", a->info.descr,
		            o->have_scale ? "" : "--scale S",
		            (!o->have_scale && !o->have_zp) ? " and " : "",
		            o->have_zp ? "" : "--zero-point Z");
}

void swap_bytes(void *buf, size_t n, size_t size)
{
	unsigned char *p = buf;
	for (size_t i = 0; i < n; i++, p += size)
		for (size_t j = 0; j < size / 2; j++) {
			unsigned char t = p[j];
			p[j] = p[size - 1 - j];
			p[size - 1 - j] = t;
		}
}

void check_grad(const struct array *x, const struct array *g)
{
	if (g->dtype != x->dtype)
		data_error("%s: GRAD dtype %s differs from INPUT's %s", g->src.name,
		           lrelu_dtype_name(g->dtype), lrelu_dtype_name(x->dtype));
	bool same = g->info.ndim == x->info.ndim;
	for (int i = 0; same && i < x->info.ndim; i++)
		same = g->info.shape[i] == x->info.shape[i];
	if (!same)
		data_error("%s: GRAD shape differs from INPUT's", g->src.name);
	if (g->info.fortran != x->info.fortran && x->info.ndim > 1)
		data_error("%s: GRAD is stored in %s order, INPUT in %s order", g->src.name,
		           g->info.fortran ? "Fortran" : "C", x->info.fortran ? "Fortran" : "C");
}

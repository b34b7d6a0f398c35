/* zip.c - the zip container of .npz files: a strict reader of the central directory and of
 * stored/deflated members (zlib inflates and checks nothing itself: the CRC-32, the sizes
 * and the stream's end are checked here), and the writer numpy.savez's layout needs */
#include "zip.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	SIG_LOCAL = 0x04034b50,
	SIG_CENTRAL = 0x02014b50,
	SIG_END = 0x06054b50,
	SIG_END64 = 0x06064b50,
	SIG_LOC64 = 0x07064b50,
	LOCAL_LEN = 30,
	CENTRAL_LEN = 46,
	END_LEN = 22,
	END64_LEN = 56,
	LOC64_LEN = 20,
	EXTRA_ZIP64 = 0x0001,
	FLAG_ENCRYPTED = 0x0001,
	FLAG_DESCRIPTOR = 0x0008,
	FLAG_STRONG = 0x0040,
	METHOD_STORED = 0,
	METHOD_DEFLATE = 8,
};

static int fail(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return -1;
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static int read_at(const struct zip_archive *z, uint64_t off, void *buf, size_t n, char *err,
                   size_t errsz, const char *what)
{
	if (off > z->size || n > z->size - off)
		return fail(err, errsz, "truncated archive: %s lies past the end of the file", what);
	if (z->read(z->ctx, off, buf, n) != 0)
		return fail(err, errsz, "read error (%s): %s", what,
		            errno ? strerror(errno) : "the file shrank");
	return 0;
}

/* ---- the end records ------------------------------------------------------------------ */

struct dir_loc {
	uint64_t count, size, off, end; /* end: where the directory must stop */
};

static int find_end(struct zip_archive *z, struct dir_loc *d, char *err, size_t errsz)
{
	if (z->size < END_LEN)
		return fail(err, errsz, "not a zip archive (too short for its end record)");
	/* The end record is the last 22 bytes plus a comment of up to 65535 bytes; it must
	 * account for the file's end exactly, so a comment cannot pass for the record. */
	size_t tail = z->size < END_LEN + 65535 + LOC64_LEN ? (size_t)z->size
	                                                     : END_LEN + 65535 + LOC64_LEN;
	unsigned char *buf = malloc(tail);
	if (!buf)
		return fail(err, errsz, "out of memory");
	uint64_t base = z->size - tail;
	if (read_at(z, base, buf, tail, err, errsz, "end record") != 0) {
		free(buf);
		return -1;
	}
	size_t pos = tail - END_LEN + 1;
	bool found = false;
	while (pos-- > 0) {
		if (get32(buf + pos) == SIG_END && get16(buf + pos + 20) == tail - pos - END_LEN) {
			found = true;
			break;
		}
	}
	if (!found) {
		free(buf);
		return fail(err, errsz, "not a zip archive, or a damaged one (no end of central "
		                        "directory record)");
	}
	const unsigned char *e = buf + pos;
	uint64_t end_off = base + pos;
	if ((get16(e + 4) != 0 && get16(e + 4) != 0xffff) ||
	    (get16(e + 6) != 0 && get16(e + 6) != 0xffff) || get16(e + 8) != get16(e + 10)) {
		free(buf);
		return fail(err, errsz, "multi-volume zip archives are not supported");
	}
	d->count = get16(e + 10);
	d->size = get32(e + 12);
	d->off = get32(e + 16);
	d->end = end_off;
	bool has64 = pos >= LOC64_LEN && get32(e - LOC64_LEN) == SIG_LOC64;
	if (has64) {
		const unsigned char *l = e - LOC64_LEN;
		uint64_t off64 = get64(l + 8);
		if (get32(l + 4) != 0 || get32(l + 16) != 1) {
			free(buf);
			return fail(err, errsz, "multi-volume zip archives are not supported");
		}
		unsigned char r[END64_LEN];
		if (off64 > end_off - LOC64_LEN || end_off - LOC64_LEN - off64 < END64_LEN) {
			free(buf);
			return fail(err, errsz, "damaged archive: the ZIP64 end record's offset "
			                        "points outside the file");
		}
		if (read_at(z, off64, r, sizeof r, err, errsz, "ZIP64 end record") != 0) {
			free(buf);
			return -1;
		}
		if (get32(r) != SIG_END64) {
			free(buf);
			return fail(err, errsz, "damaged archive: no ZIP64 end record where its "
			                        "locator points");
		}
		if (get32(r + 16) != 0 || get32(r + 20) != 0 || get64(r + 24) != get64(r + 32)) {
			free(buf);
			return fail(err, errsz, "multi-volume zip archives are not supported");
		}
		/* A 32-bit field that is not saturated must agree with its ZIP64 twin. */
		uint64_t c64 = get64(r + 32), s64 = get64(r + 40), o64 = get64(r + 48);
		if ((d->count != 0xffff && d->count != c64) ||
		    (d->size != 0xffffffff && d->size != s64) ||
		    (d->off != 0xffffffff && d->off != o64)) {
			free(buf);
			return fail(err, errsz, "damaged archive: the end record and the ZIP64 end "
			                        "record disagree");
		}
		d->count = c64;
		d->size = s64;
		d->off = o64;
		d->end = off64;
	}
	free(buf);
	if (d->off > d->end || d->end - d->off != d->size)
		return fail(err, errsz, "damaged archive: the central directory is not where the "
		                        "end record says (offset %llu, size %llu, end at %llu)",
		            (unsigned long long)d->off, (unsigned long long)d->size,
		            (unsigned long long)d->end);
	if (d->count > ZIP_MAX_MEMBERS)
		return fail(err, errsz, "too many members (%llu; at most %u accepted)",
		            (unsigned long long)d->count, ZIP_MAX_MEMBERS);
	if (d->size > ZIP_MAX_DIR)
		return fail(err, errsz, "central directory too large (%llu bytes; at most %llu "
		            "accepted)", (unsigned long long)d->size, (unsigned long long)ZIP_MAX_DIR);
	if (d->count * CENTRAL_LEN > d->size)
		return fail(err, errsz, "damaged archive: %llu members cannot fit a central "
		            "directory of %llu bytes", (unsigned long long)d->count,
		            (unsigned long long)d->size);
	return 0;
}

/* ---- the central directory and the local headers --------------------------------------- */

/* The ZIP64 extra field's values replace the saturated 32-bit fields, in the order
 * uncompressed size, compressed size, offset (only those saturated are present). */
static int zip64_extra(const unsigned char *x, size_t len, uint64_t *usize, uint64_t *csize,
                       uint64_t *off, char *err, size_t errsz, const char *name)
{
	while (len >= 4) {
		uint16_t id = get16(x), n = get16(x + 2);
		if (n > len - 4)
			return fail(err, errsz, "member '%s': damaged extra field", name);
		if (id == EXTRA_ZIP64) {
			const unsigned char *v = x + 4, *end = x + 4 + n;
			uint64_t *f[3] = {usize, csize, off};
			for (int i = 0; i < 3; i++) {
				if (!f[i] || *f[i] != 0xffffffff)
					continue;
				if (end - v < 8)
					return fail(err, errsz, "member '%s': ZIP64 extra field too short",
					            name);
				*f[i] = get64(v);
				v += 8;
			}
		}
		x += 4 + n;
		len -= 4 + (size_t)n;
	}
	return 0;
}

static const char *method_name(uint16_t m)
{
	switch (m) {
	case 1: return "shrink";
	case 6: return "implode";
	case 9: return "deflate64";
	case 12: return "bzip2";
	case 14: return "lzma";
	case 93: return "zstd";
	case 95: return "xz";
	case 99: return "AES encryption";
	default: return "unknown";
	}
}

static int parse_central(struct zip_archive *z, const unsigned char *p, size_t avail,
                         size_t *used, struct zip_member *m, char **names, char *err,
                         size_t errsz)
{
	if (avail < CENTRAL_LEN || get32(p) != SIG_CENTRAL)
		return fail(err, errsz, "damaged archive: central directory entry %zu is malformed",
		            z->count);
	size_t nlen = get16(p + 28), xlen = get16(p + 30), clen = get16(p + 32);
	if (CENTRAL_LEN + nlen + xlen + clen > avail)
		return fail(err, errsz, "damaged archive: central directory entry %zu runs past "
		            "the directory", z->count);
	if (nlen == 0)
		return fail(err, errsz, "member %zu has an empty name", z->count);
	if (memchr(p + CENTRAL_LEN, 0, nlen))
		return fail(err, errsz, "member %zu: its name holds a NUL byte", z->count);
	memcpy(*names, p + CENTRAL_LEN, nlen);
	(*names)[nlen] = '\0';
	m->name = *names;
	m->name_len = nlen;
	*names += nlen + 1;
	m->flags = get16(p + 8);
	m->method = get16(p + 10);
	m->crc = get32(p + 16);
	m->csize = get32(p + 20);
	m->usize = get32(p + 24);
	m->header_off = get32(p + 42);
	uint16_t disk = get16(p + 34);
	if (zip64_extra(p + CENTRAL_LEN + nlen, xlen, &m->usize, &m->csize, &m->header_off, err,
	                errsz, m->name) != 0)
		return -1;
	if (disk != 0 && disk != 0xffff)
		return fail(err, errsz, "multi-volume zip archives are not supported");
	if (m->flags & (FLAG_ENCRYPTED | FLAG_STRONG))
		return fail(err, errsz, "member '%s' is encrypted", m->name);
	if (m->method != METHOD_STORED && m->method != METHOD_DEFLATE)
		return fail(err, errsz, "member '%s' uses compression method %u (%s); only stored "
		            "and deflate are supported, as numpy.savez and savez_compressed write",
		            m->name, m->method, method_name(m->method));
	if (m->method == METHOD_STORED && m->csize != m->usize)
		return fail(err, errsz, "member '%s': stored, but its sizes differ (%llu "
		            "compressed, %llu not)", m->name, (unsigned long long)m->csize,
		            (unsigned long long)m->usize);
	if (m->method == METHOD_DEFLATE &&
	    m->usize / ZIP_DEFLATE_MAX_RATIO > m->csize)
		return fail(err, errsz, "member '%s': %llu bytes cannot inflate to the %llu "
		            "declared (deflate's ratio is at most %u:1)", m->name,
		            (unsigned long long)m->csize, (unsigned long long)m->usize,
		            ZIP_DEFLATE_MAX_RATIO);
	*used = CENTRAL_LEN + nlen + xlen + clen;
	return 0;
}

/* The local header must repeat the central entry: a reader going by either finds the
 * same member. */
static int check_local(struct zip_archive *z, struct zip_member *m, uint64_t dir_off,
                       char *err, size_t errsz)
{
	unsigned char h[LOCAL_LEN];
	if (m->header_off > dir_off || dir_off - m->header_off < LOCAL_LEN)
		return fail(err, errsz, "member '%s': its local header lies outside the data area",
		            m->name);
	if (read_at(z, m->header_off, h, LOCAL_LEN, err, errsz, "local header") != 0)
		return -1;
	if (get32(h) != SIG_LOCAL)
		return fail(err, errsz, "member '%s': no local header at offset %llu", m->name,
		            (unsigned long long)m->header_off);
	size_t nlen = get16(h + 26), xlen = get16(h + 28);
	unsigned char var[65535 * 2];
	if (read_at(z, m->header_off + LOCAL_LEN, var, nlen + xlen, err, errsz,
	            "local header") != 0)
		return -1;
	if (nlen != m->name_len || memcmp(var, m->name, nlen) != 0)
		return fail(err, errsz, "member '%s': its local header names another file",
		            m->name);
	uint16_t flags = get16(h + 6);
	if (get16(h + 8) != m->method || (flags & (FLAG_ENCRYPTED | FLAG_STRONG)) ||
	    (flags & FLAG_DESCRIPTOR) != (m->flags & FLAG_DESCRIPTOR))
		return fail(err, errsz, "member '%s': its local header disagrees with the central "
		            "directory (method or flags)", m->name);
	if (!(flags & FLAG_DESCRIPTOR)) {
		uint64_t cs = get32(h + 18), us = get32(h + 22);
		/* Locally, the ZIP64 field holds both sizes when either is saturated. */
		if (cs == 0xffffffff || us == 0xffffffff) {
			us = cs = 0xffffffff;
		}
		if (zip64_extra(var + nlen, xlen, &us, &cs, NULL, err, errsz, m->name) != 0)
			return -1;
		if (get32(h + 14) != m->crc || cs != m->csize || us != m->usize)
			return fail(err, errsz, "member '%s': its local header disagrees with the "
			            "central directory (CRC or sizes)", m->name);
	}
	m->data_off = m->header_off + LOCAL_LEN + nlen + xlen;
	if (m->data_off > dir_off || dir_off - m->data_off < m->csize)
		return fail(err, errsz, "member '%s': its data (%llu bytes) runs past the data "
		            "area", m->name, (unsigned long long)m->csize);
	return 0;
}

static int cmp_offset(const void *a, const void *b)
{
	const struct zip_member *x = *(const struct zip_member *const *)a;
	const struct zip_member *y = *(const struct zip_member *const *)b;
	return x->header_off < y->header_off ? -1 : x->header_off > y->header_off;
}

static int cmp_name(const void *a, const void *b)
{
	const struct zip_member *x = *(const struct zip_member *const *)a;
	const struct zip_member *y = *(const struct zip_member *const *)b;
	return strcmp(x->name, y->name);
}

/* Members may not share bytes (a member's data reused as another's, the quoted-overlap
 * zip bomb) and names must be unique (numpy.load would show the last one only). */
static int check_layout(struct zip_archive *z, char *err, size_t errsz)
{
	if (z->count < 2)
		return 0;
	const struct zip_member **v = malloc(z->count * sizeof *v);
	if (!v)
		return fail(err, errsz, "out of memory");
	for (size_t i = 0; i < z->count; i++)
		v[i] = &z->m[i];
	qsort(v, z->count, sizeof *v, cmp_offset);
	int rc = 0;
	for (size_t i = 0; i + 1 < z->count && rc == 0; i++)
		if (v[i]->data_off + v[i]->csize > v[i + 1]->header_off)
			rc = fail(err, errsz, "damaged or hostile archive: members '%s' and '%s' "
			          "overlap", v[i]->name, v[i + 1]->name);
	qsort(v, z->count, sizeof *v, cmp_name);
	for (size_t i = 0; i + 1 < z->count && rc == 0; i++)
		if (strcmp(v[i]->name, v[i + 1]->name) == 0)
			rc = fail(err, errsz, "member '%s' appears twice", v[i]->name);
	free(v);
	return rc;
}

int zip_open(struct zip_archive *z, zip_read_fn rd, void *ctx, uint64_t size, char *err,
             size_t errsz)
{
	memset(z, 0, sizeof *z);
	z->read = rd;
	z->ctx = ctx;
	z->size = size;
	struct dir_loc d = {0, 0, 0, 0};
	if (find_end(z, &d, err, errsz) != 0)
		return -1;
	unsigned char *dir = malloc(d.size ? (size_t)d.size : 1);
	z->names = malloc((size_t)d.size + 1);
	z->m = malloc((d.count ? (size_t)d.count : 1) * sizeof *z->m);
	if (!dir || !z->names || !z->m) {
		free(dir);
		zip_close(z);
		return fail(err, errsz, "out of memory");
	}
	int rc = read_at(z, d.off, dir, (size_t)d.size, err, errsz, "central directory");
	size_t pos = 0;
	char *names = z->names;
	while (rc == 0 && z->count < d.count) {
		size_t used = 0;
		struct zip_member *m = &z->m[z->count];
		rc = parse_central(z, dir + pos, (size_t)d.size - pos, &used, m, &names, err, errsz);
		if (rc == 0) {
			z->count++;
			pos += used;
			rc = check_local(z, m, d.off, err, errsz);
		}
	}
	if (rc == 0 && pos != d.size)
		rc = fail(err, errsz, "damaged archive: the central directory has %llu bytes "
		          "after its %llu entries", (unsigned long long)(d.size - pos),
		          (unsigned long long)d.count);
	free(dir);
	if (rc == 0)
		rc = check_layout(z, err, errsz);
	if (rc != 0)
		zip_close(z);
	return rc;
}

void zip_close(struct zip_archive *z)
{
	free(z->names);
	free(z->m);
	z->names = NULL;
	z->m = NULL;
	z->count = 0;
}

/* ---- reading a member ----------------------------------------------------------------- */

int zip_stream_open(struct zip_stream *s, const struct zip_archive *z, size_t i, char *err,
                    size_t errsz)
{
	s->z = z;
	s->m = &z->m[i];
	s->cpos = s->upos = 0;
	s->crc = (uint32_t)crc32(0, NULL, 0);
	s->inflating = false;
	s->checked = false;
	s->ended = false;
	if (s->m->method == METHOD_DEFLATE) {
		memset(&s->zs, 0, sizeof s->zs);
		if (inflateInit2(&s->zs, -MAX_WBITS) != Z_OK)
			return fail(err, errsz, "out of memory (inflate)");
		s->inflating = true;
	}
	return 0;
}

void zip_stream_close(struct zip_stream *s)
{
	if (s->inflating)
		inflateEnd(&s->zs);
	s->inflating = false;
}

/* Feeds inflate the next compressed bytes, never past the member's data. */
static int refill(struct zip_stream *s, char *err, size_t errsz)
{
	uint64_t left = s->m->csize - s->cpos;
	size_t n = left < sizeof s->in ? (size_t)left : sizeof s->in;
	if (n == 0)
		return 0;
	if (read_at(s->z, s->m->data_off + s->cpos, s->in, n, err, errsz, s->m->name) != 0)
		return -1;
	s->cpos += n;
	s->zs.next_in = s->in;
	s->zs.avail_in = (uInt)n;
	return 0;
}

/* Inflates into buf, up to n bytes. */
static int inflate_some(struct zip_stream *s, unsigned char *buf, size_t n, char *err,
                        size_t errsz)
{
	s->zs.next_out = buf;
	s->zs.avail_out = (uInt)n;
	while (s->zs.avail_out > 0) {
		if (s->zs.avail_in == 0) {
			if (s->cpos == s->m->csize)
				return fail(err, errsz, "member '%s': compressed data ends early (%llu of "
				            "%llu bytes inflated)", s->m->name,
				            (unsigned long long)(s->upos + (n - s->zs.avail_out)),
				            (unsigned long long)s->m->usize);
			if (refill(s, err, errsz) != 0)
				return -1;
		}
		int r = inflate(&s->zs, Z_NO_FLUSH);
		if (r == Z_STREAM_END && s->zs.avail_out == 0 && s->upos + n == s->m->usize) {
			s->ended = true;
			return 0;
		}
		if (r == Z_STREAM_END)
			return fail(err, errsz, "member '%s': its deflate stream ends after %llu "
			            "bytes, %llu declared", s->m->name,
			            (unsigned long long)(s->upos + (n - s->zs.avail_out)),
			            (unsigned long long)s->m->usize);
		if (r == Z_MEM_ERROR)
			return fail(err, errsz, "out of memory (inflate)");
		if (r != Z_OK && r != Z_BUF_ERROR)
			return fail(err, errsz, "member '%s': corrupt deflate data (%s)", s->m->name,
			            s->zs.msg ? s->zs.msg : "error");
	}
	return 0;
}

/* After the declared size: the deflate stream must end, within the member's data, with
 * no byte more. */
static int inflate_end_check(struct zip_stream *s, char *err, size_t errsz)
{
	unsigned char extra;
	while (!s->ended) {
		s->zs.next_out = &extra;
		s->zs.avail_out = 1;
		if (s->zs.avail_in == 0 && s->cpos < s->m->csize && refill(s, err, errsz) != 0)
			return -1;
		int r = inflate(&s->zs, Z_NO_FLUSH);
		if (s->zs.avail_out == 0)
			return fail(err, errsz, "member '%s' inflates to more than the %llu bytes "
			            "declared", s->m->name, (unsigned long long)s->m->usize);
		if (r == Z_STREAM_END)
			s->ended = true;
		else if (r == Z_BUF_ERROR && s->zs.avail_in == 0 && s->cpos == s->m->csize)
			return fail(err, errsz, "member '%s': its deflate stream does not end",
			            s->m->name);
		else if (r != Z_OK && r != Z_BUF_ERROR)
			return fail(err, errsz, "member '%s': corrupt deflate data (%s)", s->m->name,
			            s->zs.msg ? s->zs.msg : "error");
	}
	if (s->zs.avail_in != 0 || s->cpos != s->m->csize)
		return fail(err, errsz, "member '%s': bytes after its deflate stream", s->m->name);
	return 0;
}

long zip_stream_read(struct zip_stream *s, void *buf, size_t n, char *err, size_t errsz)
{
	uint64_t left = s->m->usize - s->upos;
	if (n > left)
		n = (size_t)left;
	if (n > (size_t)1 << 30) /* inflate's counts are 32 bits wide */
		n = (size_t)1 << 30;
	if (n > 0) {
		if (s->inflating) {
			if (inflate_some(s, buf, n, err, errsz) != 0)
				return -1;
		} else {
			if (read_at(s->z, s->m->data_off + s->upos, buf, n, err, errsz,
			            s->m->name) != 0)
				return -1;
			s->cpos += n;
		}
		s->crc = (uint32_t)crc32_z(s->crc, buf, n);
		s->upos += n;
	}
	if (s->upos == s->m->usize && !s->checked) {
		if (s->inflating && inflate_end_check(s, err, errsz) != 0)
			return -1;
		if (s->crc != s->m->crc)
			return fail(err, errsz, "member '%s': CRC-32 mismatch (the data is corrupt: "
			            "0x%08x computed, 0x%08x recorded)", s->m->name, s->crc, s->m->crc);
		s->checked = true;
	}
	return (long)n;
}

/* ---- writing -------------------------------------------------------------------------- */

/* Python's zipfile limit; a test build sets 0 to write every ZIP64 field for NumPy to
 * read back. */
#ifndef ZIP_ZIP64_LIMIT
#define ZIP_ZIP64_LIMIT 0x7fffffff
#endif

void zip_writer_init(struct zip_writer *w, zip_write_fn wr, void *ctx, bool deflate)
{
	memset(w, 0, sizeof *w);
	w->write = wr;
	w->ctx = ctx;
	w->deflate = deflate;
	w->zip64_limit = ZIP_ZIP64_LIMIT;
}

void zip_writer_free(struct zip_writer *w)
{
	for (size_t i = 0; i < w->count; i++)
		free(w->w[i].name);
	free(w->w);
	w->w = NULL;
	w->count = w->cap = 0;
	if (w->zs_ready)
		deflateEnd(&w->zs);
	w->zs_ready = false;
}

static int emit(struct zip_writer *w, const void *buf, size_t n, char *err, size_t errsz)
{
	if (n && w->write(w->ctx, w->pos, buf, n) != 0)
		return fail(err, errsz, "%s", strerror(errno));
	w->pos += n;
	return 0;
}

/* The local header: a ZIP64 extra field always (as NumPy writes it), so the header's
 * length is known before the sizes are. */
static size_t local_header(const struct zip_writer *w, const struct zip_written *e,
                           unsigned char *h)
{
	bool big = e->usize > w->zip64_limit || e->csize > w->zip64_limit;
	put32(h, SIG_LOCAL);
	put16(h + 4, big ? 45 : 20);
	put16(h + 6, 0);
	put16(h + 8, e->method);
	put16(h + 10, 0);          /* 00:00:00 */
	put16(h + 12, 1 << 5 | 1); /* 1980-01-01 */
	put32(h + 14, e->crc);
	put32(h + 18, big ? 0xffffffff : (uint32_t)e->csize);
	put32(h + 22, big ? 0xffffffff : (uint32_t)e->usize);
	put16(h + 26, (uint16_t)e->name_len);
	put16(h + 28, 20);
	memcpy(h + LOCAL_LEN, e->name, e->name_len);
	unsigned char *x = h + LOCAL_LEN + e->name_len;
	put16(x, EXTRA_ZIP64);
	put16(x + 2, 16);
	put64(x + 4, e->usize);
	put64(x + 12, e->csize);
	return LOCAL_LEN + e->name_len + 20;
}

int zip_writer_begin(struct zip_writer *w, const char *name, char *err, size_t errsz)
{
	size_t nlen = strlen(name);
	if (nlen == 0 || nlen > 65535)
		return fail(err, errsz, "member name of %zu bytes", nlen);
	if (w->count == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct zip_written *p = realloc(w->w, cap * sizeof *p);
		if (!p)
			return fail(err, errsz, "out of memory");
		w->w = p;
		w->cap = cap;
	}
	struct zip_written *e = &w->w[w->count];
	memset(e, 0, sizeof *e);
	e->name = malloc(nlen + 1);
	if (!e->name)
		return fail(err, errsz, "out of memory");
	memcpy(e->name, name, nlen + 1);
	e->name_len = nlen;
	e->method = w->deflate ? METHOD_DEFLATE : METHOD_STORED;
	e->off = w->pos;
	e->crc = (uint32_t)crc32(0, NULL, 0);
	w->count++;
	if (w->deflate) {
		int r = w->zs_ready ? deflateReset(&w->zs)
		                    : deflateInit2(&w->zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
		                                   -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
		if (r != Z_OK)
			return fail(err, errsz, "out of memory (deflate)");
		w->zs_ready = true;
	}
	w->in_member = true;
	unsigned char h[LOCAL_LEN + 65535 + 20];
	return emit(w, h, local_header(w, e, h), err, errsz);
}

static int deflate_out(struct zip_writer *w, int flush, char *err, size_t errsz)
{
	struct zip_written *e = &w->w[w->count - 1];
	for (;;) {
		w->zs.next_out = w->out;
		w->zs.avail_out = sizeof w->out;
		int r = deflate(&w->zs, flush);
		if (r == Z_STREAM_ERROR)
			return fail(err, errsz, "deflate failed");
		size_t got = sizeof w->out - w->zs.avail_out;
		if (emit(w, w->out, got, err, errsz) != 0)
			return -1;
		e->csize += got;
		if (flush == Z_FINISH ? r == Z_STREAM_END
		                      : w->zs.avail_in == 0 && w->zs.avail_out != 0)
			return 0;
	}
}

int zip_writer_data(struct zip_writer *w, const void *buf, size_t n, char *err, size_t errsz)
{
	struct zip_written *e = &w->w[w->count - 1];
	e->crc = (uint32_t)crc32_z(e->crc, buf, n);
	e->usize += n;
	if (!w->deflate) {
		e->csize += n;
		return emit(w, buf, n, err, errsz);
	}
	const unsigned char *p = buf;
	while (n > 0) {
		/* avail_in is 32 bits wide. */
		size_t k = n < ((size_t)1 << 30) ? n : (size_t)1 << 30;
		w->zs.next_in = (unsigned char *)(uintptr_t)p;
		w->zs.avail_in = (uInt)k;
		if (deflate_out(w, Z_NO_FLUSH, err, errsz) != 0)
			return -1;
		p += k;
		n -= k;
	}
	return 0;
}

int zip_writer_end(struct zip_writer *w, char *err, size_t errsz)
{
	struct zip_written *e = &w->w[w->count - 1];
	if (w->deflate) {
		w->zs.next_in = NULL;
		w->zs.avail_in = 0;
		if (deflate_out(w, Z_FINISH, err, errsz) != 0)
			return -1;
	}
	w->in_member = false;
	unsigned char h[LOCAL_LEN + 65535 + 20];
	size_t n = local_header(w, e, h);
	if (w->write(w->ctx, e->off, h, n) != 0)
		return fail(err, errsz, "%s", strerror(errno));
	return 0;
}

int zip_writer_finish(struct zip_writer *w, char *err, size_t errsz)
{
	uint64_t dir_off = w->pos;
	uint64_t lim = w->zip64_limit;
	for (size_t i = 0; i < w->count; i++) {
		const struct zip_written *e = &w->w[i];
		bool big = e->usize > lim || e->csize > lim, far = e->off > lim;
		unsigned char h[CENTRAL_LEN + 65535 + 28];
		unsigned char *x = h + CENTRAL_LEN + e->name_len;
		size_t xlen = 0;
		if (big || far) {
			put16(x, EXTRA_ZIP64);
			xlen = 4;
			if (big) {
				put64(x + xlen, e->usize);
				put64(x + xlen + 8, e->csize);
				xlen += 16;
			}
			if (far) {
				put64(x + xlen, e->off);
				xlen += 8;
			}
			put16(x + 2, (uint16_t)(xlen - 4));
		}
		put32(h, SIG_CENTRAL);
		put16(h + 4, 3 << 8 | (xlen ? 45 : 20)); /* made on Unix */
		put16(h + 6, xlen ? 45 : 20);
		put16(h + 8, 0);
		put16(h + 10, e->method);
		put16(h + 12, 0);
		put16(h + 14, 1 << 5 | 1);
		put32(h + 16, e->crc);
		put32(h + 20, big ? 0xffffffff : (uint32_t)e->csize);
		put32(h + 24, big ? 0xffffffff : (uint32_t)e->usize);
		put16(h + 28, (uint16_t)e->name_len);
		put16(h + 30, (uint16_t)xlen);
		put16(h + 32, 0);
		put16(h + 34, 0);
		put16(h + 36, 0);
		put32(h + 38, 0600u << 16); /* a regular file, rw------- as NumPy's members */
		put32(h + 42, far ? 0xffffffff : (uint32_t)e->off);
		memcpy(h + CENTRAL_LEN, e->name, e->name_len);
		if (emit(w, h, CENTRAL_LEN + e->name_len + xlen, err, errsz) != 0)
			return -1;
	}
	uint64_t dir_size = w->pos - dir_off;
	bool z64 = w->count > 0xffff || dir_off > lim || dir_size > lim;
	if (z64) {
		uint64_t end64 = w->pos;
		unsigned char r[END64_LEN + LOC64_LEN];
		put32(r, SIG_END64);
		put64(r + 4, END64_LEN - 12);
		put16(r + 12, 45);
		put16(r + 14, 45);
		put32(r + 16, 0);
		put32(r + 20, 0);
		put64(r + 24, w->count);
		put64(r + 32, w->count);
		put64(r + 40, dir_size);
		put64(r + 48, dir_off);
		put32(r + 56, SIG_LOC64);
		put32(r + 60, 0);
		put64(r + 64, end64);
		put32(r + 72, 1);
		if (emit(w, r, sizeof r, err, errsz) != 0)
			return -1;
	}
	unsigned char e[END_LEN];
	put32(e, SIG_END);
	put16(e + 4, 0);
	put16(e + 6, 0);
	put16(e + 8, w->count > 0xffff ? 0xffff : (uint16_t)w->count);
	put16(e + 10, w->count > 0xffff ? 0xffff : (uint16_t)w->count);
	put32(e + 12, z64 ? 0xffffffff : (uint32_t)dir_size);
	put32(e + 16, z64 ? 0xffffffff : (uint32_t)dir_off);
	put16(e + 20, 0);
	return emit(w, e, sizeof e, err, errsz);
}

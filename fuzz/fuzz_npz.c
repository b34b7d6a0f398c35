/* fuzz_npz.c - libFuzzer target: the zip reader of .npz files on any bytes (directory,
 * members inflated and checked, .npy headers inside), and the writer: what was read is
 * written again (stored or deflated, ZIP64 fields forced or not) and must read back the
 * same */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "npy.h"
#include "zip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	unsigned char *p;
	size_t len, cap;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t n)
{
	const struct mem *m = ctx;
	if (off > m->len || n > m->len - off)
		return -1;
	memcpy(buf, m->p + off, n);
	return 0;
}

/* Appends, or rewrites only what was written (a local header). */
static int mem_write(void *ctx, uint64_t off, const void *buf, size_t n)
{
	struct mem *m = ctx;
	if (off > m->len || (off < m->len && n > m->len - off))
		__builtin_trap();
	if (off == m->len && m->len + n > m->cap) {
		size_t cap = (m->len + n) * 2;
		unsigned char *p = realloc(m->p, cap);
		if (!p)
			return -1;
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + off, buf, n);
	if (off == m->len)
		m->len += n;
	return 0;
}

/* A member's bytes, or NULL if the reader refuses them. */
static unsigned char *read_member(const struct zip_archive *z, size_t i, size_t *len)
{
	struct zip_stream *s = malloc(sizeof *s);
	char err[256];
	if (!s || zip_stream_open(s, z, i, err, sizeof err) != 0) {
		free(s);
		return NULL;
	}
	size_t n = (size_t)z->m[i].usize, got = 0;
	unsigned char *buf = malloc(n ? n : 1);
	bool ok = buf != NULL;
	while (ok) {
		/* Odd chunk sizes: the checks at a member's end must not depend on them. */
		size_t want = n - got < 7 ? n - got : 7;
		long r = zip_stream_read(s, buf + got, want, err, sizeof err);
		if (r < 0)
			ok = false;
		else if (r == 0)
			break;
		else
			got += (size_t)r;
	}
	if (ok && (got != n || !s->checked))
		__builtin_trap(); /* the end reached, unchecked */
	zip_stream_close(s);
	free(s);
	if (!ok) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem in = {(unsigned char *)(uintptr_t)data, size, size};
	struct zip_archive z;
	char err[512];
	if (zip_open(&z, mem_read, &in, size, err, sizeof err) != 0)
		return 0;
	struct mem out = {NULL, 0, 0};
	struct zip_writer w;
	zip_writer_init(&w, mem_write, &out, size > 0 && (data[size - 1] & 1));
	if (size > 0 && (data[size - 1] & 2))
		w.zip64_limit = 0; /* every ZIP64 field written */
	unsigned char **kept = calloc(z.count ? z.count : 1, sizeof *kept);
	size_t *klen = calloc(z.count ? z.count : 1, sizeof *klen);
	size_t nkept = 0;
	bool all = true;
	for (size_t i = 0; i < z.count; i++) {
		size_t n;
		unsigned char *b = read_member(&z, i, &n);
		if (!b) {
			all = false;
			continue;
		}
		struct npy_info info;
		if (n >= 10 && memcmp(b, "\x93NUMPY", 6) == 0)
			(void)npy_parse_header(b, n, &info, err, sizeof err);
		if (zip_writer_begin(&w, z.m[i].name, err, sizeof err) != 0 ||
		    zip_writer_data(&w, b, n, err, sizeof err) != 0 ||
		    zip_writer_end(&w, err, sizeof err) != 0)
			__builtin_trap();
		kept[nkept] = b;
		klen[nkept++] = n;
	}
	if (zip_writer_finish(&w, err, sizeof err) != 0)
		__builtin_trap();
	/* What the writer wrote reads back: the same names, the same bytes. */
	struct zip_archive z2;
	if (zip_open(&z2, mem_read, &out, out.len, err, sizeof err) != 0 || z2.count != nkept)
		__builtin_trap();
	for (size_t i = 0, k = 0; i < z.count && all; i++, k++) {
		size_t n;
		unsigned char *b = read_member(&z2, k, &n);
		if (!b || n != klen[k] || memcmp(b, kept[k], n) != 0 ||
		    strcmp(z2.m[k].name, z.m[i].name) != 0)
			__builtin_trap();
		free(b);
	}
	for (size_t k = 0; k < nkept; k++)
		free(kept[k]);
	free(kept);
	free(klen);
	zip_close(&z2);
	zip_writer_free(&w);
	free(out.p);
	zip_close(&z);
	return 0;
}

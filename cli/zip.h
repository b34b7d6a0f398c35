/* zip.h - the zip container as NumPy's .npz uses it: a strict reader (central directory,
 * ZIP64, stored and deflated members, CRC-32 checked, memory bounded whatever the sizes)
 * and a streaming writer; no exits or prints, shared with the fuzzer */
#ifndef LRELU_ZIP_H
#define LRELU_ZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

/* Archives with more members, or a larger central directory, are refused before the
 * directory is read: they bound the memory the reader holds (the directory's names and
 * 64 bytes a member) at about 20 MiB. */
#define ZIP_MAX_MEMBERS 65536u
#define ZIP_MAX_DIR ((uint64_t)16 << 20)

/* Deflate's best ratio is 1032:1 (258-byte matches of 2 bits each); a member declaring
 * more is lying about its sizes. */
#define ZIP_DEFLATE_MAX_RATIO 1032u

/* Reads exactly n bytes at off; returns 0, or -1 (errno set, or 0 for end of data). */
typedef int (*zip_read_fn)(void *ctx, uint64_t off, void *buf, size_t n);

struct zip_member {
	const char *name;   /* NUL-terminated (a name holding NUL is refused) */
	size_t name_len;
	uint16_t method;    /* 0 stored, 8 deflated */
	uint16_t flags;
	uint32_t crc;
	uint64_t csize, usize;
	uint64_t header_off, data_off;
};

struct zip_archive {
	zip_read_fn read;
	void *ctx;
	uint64_t size;
	char *names;
	struct zip_member *m; /* in central directory order (numpy.load's order) */
	size_t count;
};

/* Reads and checks the directory of an archive of size bytes: end records (ZIP64
 * included), every central entry against its local header, members inside the data
 * area and not overlapping, names unique, methods stored or deflate, no encryption.
 * Returns 0, or -1 with a message in err (z holds nothing to free then). */
int zip_open(struct zip_archive *z, zip_read_fn rd, void *ctx, uint64_t size, char *err,
             size_t errsz);
void zip_close(struct zip_archive *z);

/* One member's uncompressed bytes, in order.  The bytes that complete the member are
 * handed out only after its CRC-32, its sizes and the end of its deflate stream check:
 * a reader that stops at the first error never acts on unchecked data's end. */
struct zip_stream {
	const struct zip_archive *z;
	const struct zip_member *m;
	z_stream zs;
	bool inflating, checked, ended;
	uint64_t cpos, upos; /* compressed bytes fed, uncompressed bytes handed out */
	uint32_t crc;
	unsigned char in[1 << 16];
};

int zip_stream_open(struct zip_stream *s, const struct zip_archive *z, size_t i, char *err,
                    size_t errsz);
/* Up to n bytes into buf; returns the count (less than n only at the member's end, 0
 * after it), or -1 with a message in err. */
long zip_stream_read(struct zip_stream *s, void *buf, size_t n, char *err, size_t errsz);
void zip_stream_close(struct zip_stream *s);

/* ---- writing ------------------------------------------------------------------------ */

/* Writes n bytes at off: at the output's end, or over a local header once its member is
 * complete.  Returns 0, or -1 with errno set. */
typedef int (*zip_write_fn)(void *ctx, uint64_t off, const void *buf, size_t n);

struct zip_written {
	char *name;
	size_t name_len;
	uint16_t method;
	uint32_t crc;
	uint64_t csize, usize, off;
};

struct zip_writer {
	zip_write_fn write;
	void *ctx;
	bool deflate;
	/* Sizes and offsets above this get ZIP64 fields: Python's zipfile limit (2^31 - 1,
	 * for readers that take the 32-bit fields as signed); lowered by the fuzzer and by
	 * a test build. */
	uint64_t zip64_limit;
	uint64_t pos;
	struct zip_written *w;
	size_t count, cap;
	bool in_member, zs_ready;
	z_stream zs;
	unsigned char out[1 << 16];
};

/* Members as numpy.savez (deflate false) or numpy.savez_compressed writes them: a ZIP64
 * extra field in every local header, 1980-01-01 00:00, mode 0600, zlib's default level. */
void zip_writer_init(struct zip_writer *w, zip_write_fn wr, void *ctx, bool deflate);
int zip_writer_begin(struct zip_writer *w, const char *name, char *err, size_t errsz);
int zip_writer_data(struct zip_writer *w, const void *buf, size_t n, char *err, size_t errsz);
int zip_writer_end(struct zip_writer *w, char *err, size_t errsz);
/* The central directory and the end records (ZIP64 ones where needed). */
int zip_writer_finish(struct zip_writer *w, char *err, size_t errsz);
void zip_writer_free(struct zip_writer *w);

#endif

/* npy.h - the NumPy .npy header (versions 1.0, 2.0, 3.0): parse, check, write */
#ifndef LRELU_NPY_H
#define LRELU_NPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrelu.h"

/* Headers longer than this are refused before anything is allocated for them. */
#define NPY_MAX_HEADER 65536u
/* Bytes before the header text: magic (6), version (2), length (2 or 4). */
#define NPY_PREFIX_MAX 12u

struct npy_info {
	int major, minor;
	char descr[16];     /* as written in the file, e.g. "<f4", ">f8", "|V2" */
	char kind;          /* 'f' float, 'u' unsigned, 'i' signed, 'V' raw bytes */
	size_t itemsize;    /* bytes per element */
	bool swap;          /* stored in the other byte order than this machine's */
	bool fortran;
	int ndim;
	int64_t shape[LRELU_MAX_DIMS];
	uint64_t count;     /* number of elements */
	uint64_t data_bytes;
	uint64_t data_offset; /* bytes before the data: prefix + header text */
};

/* From the first bytes of a file (at least 10): the header length and where the
 * header text starts.  Returns 0, or -1 with a message in err. */
int npy_prefix(const unsigned char *buf, size_t len, int *major, int *minor,
               uint32_t *header_len, size_t *prefix_len, char *err, size_t errsz);

/* Parses the header text (the dict) into info (major/minor/data_offset are set by the
 * caller).  Checks the dtype is one this tool understands, the shape is well formed and
 * the total size does not overflow.  Returns 0, or -1 with a message in err. */
int npy_parse_dict(const char *text, size_t len, struct npy_info *info, char *err,
                   size_t errsz);

/* Parses a whole header held in buf (prefix and text); sets every field. */
int npy_parse_header(const unsigned char *buf, size_t len, struct npy_info *info, char *err,
                     size_t errsz);

/* Writes the bytes of a header for info (its version, descr, order, shape) into out
 * (size NPY_MAX_HEADER + NPY_PREFIX_MAX); returns the byte count (a multiple of 64),
 * or 0 if it does not fit the version. */
size_t npy_format_header(const struct npy_info *info, unsigned char *out, size_t size);

#endif

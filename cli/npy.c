/* npy.c - the NumPy .npy header: a strict parser for the header dict and its writer */
#include "npy.h"

#include <stdio.h>
#include <string.h>

static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

static int fail(char *err, size_t errsz, const char *msg)
{
	snprintf(err, errsz, "%s", msg);
	return -1;
}

int npy_prefix(const unsigned char *buf, size_t len, int *major, int *minor,
               uint32_t *header_len, size_t *prefix_len, char *err, size_t errsz)
{
	if (len < 8 || memcmp(buf, npy_magic, 6) != 0)
		return fail(err, errsz, "not a .npy file (no \\x93NUMPY magic)");
	*major = buf[6];
	*minor = buf[7];
	if (*major == 1) {
		if (len < 10)
			return fail(err, errsz, "truncated .npy header");
		*header_len = (uint32_t)buf[8] | (uint32_t)buf[9] << 8;
		*prefix_len = 10;
	} else if (*major == 2 || *major == 3) {
		if (len < 12)
			return fail(err, errsz, "truncated .npy header");
		*header_len = (uint32_t)buf[8] | (uint32_t)buf[9] << 8 | (uint32_t)buf[10] << 16 |
		              (uint32_t)buf[11] << 24;
		*prefix_len = 12;
	} else {
		snprintf(err, errsz, "unsupported .npy format version %d.%d (1.0, 2.0, 3.0 are)",
		         *major, *minor);
		return -1;
	}
	if (*minor != 0) {
		snprintf(err, errsz, "unsupported .npy format version %d.%d (1.0, 2.0, 3.0 are)",
		         *major, *minor);
		return -1;
	}
	if (*header_len > NPY_MAX_HEADER) {
		snprintf(err, errsz, "oversized .npy header (%lu bytes; at most %u accepted)",
		         (unsigned long)*header_len, NPY_MAX_HEADER);
		return -1;
	}
	return 0;
}

/* ---- a tiny reader for the Python literal NumPy writes ---------------------------------- */

struct lex {
	const char *p, *end;
};

static void skip_ws(struct lex *l)
{
	while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' || *l->p == '\n' || *l->p == '\r'))
		l->p++;
}

static bool eat(struct lex *l, char c)
{
	skip_ws(l);
	if (l->p < l->end && *l->p == c) {
		l->p++;
		return true;
	}
	return false;
}

/* A quoted string without escapes, into out (size cap). */
static bool read_str(struct lex *l, char *out, size_t cap)
{
	skip_ws(l);
	if (l->p >= l->end || (*l->p != '\'' && *l->p != '"'))
		return false;
	char q = *l->p++;
	size_t n = 0;
	while (l->p < l->end && *l->p != q) {
		if (*l->p == '\\' || n + 1 >= cap)
			return false;
		out[n++] = *l->p++;
	}
	if (l->p >= l->end)
		return false;
	l->p++;
	out[n] = '\0';
	return true;
}

static bool read_word(struct lex *l, const char *w)
{
	size_t n = strlen(w);
	skip_ws(l);
	if ((size_t)(l->end - l->p) >= n && memcmp(l->p, w, n) == 0) {
		l->p += n;
		return true;
	}
	return false;
}

static bool read_uint(struct lex *l, int64_t *v)
{
	skip_ws(l);
	if (l->p >= l->end || *l->p < '0' || *l->p > '9')
		return false;
	uint64_t x = 0;
	while (l->p < l->end && *l->p >= '0' && *l->p <= '9') {
		if (x > (uint64_t)INT64_MAX / 10)
			return false;
		x = x * 10 + (uint64_t)(*l->p++ - '0');
		if (x > (uint64_t)INT64_MAX)
			return false;
	}
	if (l->p < l->end && *l->p == 'L') /* Python 2 long */
		l->p++;
	*v = (int64_t)x;
	return true;
}

static int parse_descr(const char *d, struct npy_info *info, char *err, size_t errsz)
{
	static const uint16_t one = 1;
	bool little_host = *(const unsigned char *)&one == 1;
	size_t n = strlen(d);
	if (n < 2 || n > 3 || strchr("<>|=", d[0]) == NULL) {
		snprintf(err, errsz, "unsupported dtype '%s' (float32/64/16, int8/uint8, bfloat16 "
		         "as <u2, <i2 or |V2 are)", d);
		return -1;
	}
	char order = d[0], kind = d[1];
	int size = 0;
	if (n == 3 && d[2] >= '1' && d[2] <= '9')
		size = d[2] - '0';
	bool ok = (kind == 'f' && (size == 2 || size == 4 || size == 8)) ||
	          ((kind == 'i' || kind == 'u') && (size == 1 || size == 2)) ||
	          (kind == 'V' && size == 2);
	if (!ok) {
		const char *what = kind == 'O' ? "object arrays" : "dtype";
		snprintf(err, errsz, "unsupported %s '%s' (float32/64/16, int8/uint8, bfloat16 as "
		         "<u2, <i2 or |V2 are)", what, d);
		return -1;
	}
	memcpy(info->descr, d, n + 1); /* n <= 3 */
	info->kind = kind;
	info->itemsize = (size_t)size;
	info->swap = false;
	if (size > 1 && kind != 'V') {
		if (order == '|') {
			snprintf(err, errsz, "dtype '%s' has no byte order", d);
			return -1;
		}
		if (order == '<')
			info->swap = !little_host;
		else if (order == '>')
			info->swap = little_host;
	}
	return 0;
}

int npy_parse_dict(const char *text, size_t len, struct npy_info *info, char *err,
                   size_t errsz)
{
	struct lex l = {text, text + len};
	bool have_descr = false, have_order = false, have_shape = false;
	if (!eat(&l, '{'))
		return fail(err, errsz, "malformed .npy header (no '{')");
	for (;;) {
		char key[32], val[32];
		if (eat(&l, '}'))
			break;
		if (!read_str(&l, key, sizeof key) || !eat(&l, ':'))
			return fail(err, errsz, "malformed .npy header (expected 'key':)");
		if (strcmp(key, "descr") == 0 && !have_descr) {
			skip_ws(&l);
			if (l.p < l.end && *l.p == '[')
				return fail(err, errsz, "unsupported dtype: structured arrays");
			if (!read_str(&l, val, sizeof val))
				return fail(err, errsz, "malformed .npy header (descr)");
			if (parse_descr(val, info, err, errsz) != 0)
				return -1;
			have_descr = true;
		} else if (strcmp(key, "fortran_order") == 0 && !have_order) {
			if (read_word(&l, "True"))
				info->fortran = true;
			else if (read_word(&l, "False"))
				info->fortran = false;
			else
				return fail(err, errsz, "malformed .npy header (fortran_order)");
			have_order = true;
		} else if (strcmp(key, "shape") == 0 && !have_shape) {
			if (!eat(&l, '('))
				return fail(err, errsz, "malformed .npy header (shape)");
			info->ndim = 0;
			while (!eat(&l, ')')) {
				int64_t v;
				if (info->ndim >= LRELU_MAX_DIMS) {
					snprintf(err, errsz, "shape has more than %d dimensions",
					         LRELU_MAX_DIMS);
					return -1;
				}
				if (!read_uint(&l, &v))
					return fail(err, errsz, "malformed .npy header (shape entry)");
				info->shape[info->ndim++] = v;
				if (!eat(&l, ',')) {
					if (!eat(&l, ')'))
						return fail(err, errsz, "malformed .npy header (shape)");
					if (info->ndim == 1)
						return fail(err, errsz,
						            "malformed .npy header (shape (n) needs a comma)");
					break;
				}
			}
			have_shape = true;
		} else {
			snprintf(err, errsz, "malformed .npy header (unexpected or repeated key '%s')",
			         key);
			return -1;
		}
		if (!eat(&l, ',')) {
			if (!eat(&l, '}'))
				return fail(err, errsz, "malformed .npy header (expected , or })");
			break;
		}
	}
	skip_ws(&l);
	if (l.p != l.end)
		return fail(err, errsz, "malformed .npy header (text after the dict)");
	if (!have_descr || !have_order || !have_shape)
		return fail(err, errsz, "malformed .npy header (descr, fortran_order or shape "
		                        "missing)");
	/* Element count and byte size, refusing overflow before anything is allocated. */
	uint64_t count = 1;
	bool zero = false;
	for (int i = 0; i < info->ndim; i++) {
		uint64_t d = (uint64_t)info->shape[i];
		if (d == 0)
			zero = true;
		else if (count > UINT64_MAX / d || count * d > (uint64_t)INT64_MAX)
			return fail(err, errsz, "shape too large (element count overflows)");
		else
			count *= d;
	}
	if (zero)
		count = 0;
	if (count > (uint64_t)INT64_MAX / info->itemsize)
		return fail(err, errsz, "shape too large (byte size overflows)");
	info->count = count;
	info->data_bytes = count * info->itemsize;
	return 0;
}

int npy_parse_header(const unsigned char *buf, size_t len, struct npy_info *info, char *err,
                     size_t errsz)
{
	int major, minor;
	uint32_t hlen;
	size_t plen;
	memset(info, 0, sizeof *info);
	if (npy_prefix(buf, len, &major, &minor, &hlen, &plen, err, errsz) != 0)
		return -1;
	if (len - plen < hlen)
		return fail(err, errsz, "truncated .npy header");
	info->major = major;
	info->minor = minor;
	info->data_offset = plen + hlen;
	/* Versions 1 and 2 are latin-1; every byte we accept is ASCII anyway. */
	const char *t = (const char *)buf + plen;
	size_t n = hlen;
	for (size_t i = 0; i < n; i++)
		if (t[i] == '\0')
			return fail(err, errsz, "malformed .npy header (NUL byte)");
	if (n == 0 || t[n - 1] != '\n')
		return fail(err, errsz, "malformed .npy header (no closing newline)");
	if (npy_parse_dict(t, n, info, err, errsz) != 0)
		return -1;
	info->major = major;
	info->minor = minor;
	info->data_offset = plen + hlen;
	return 0;
}

size_t npy_format_header(const struct npy_info *info, unsigned char *out, size_t size)
{
	char dict[1024];
	int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': %s, 'shape': (",
	                 info->descr, info->fortran ? "True" : "False");
	for (int i = 0; i < info->ndim; i++)
		n += snprintf(dict + n, sizeof dict - (size_t)n, "%lld%s", (long long)info->shape[i],
		              info->ndim == 1 ? "," : i + 1 < info->ndim ? ", " : "");
	n += snprintf(dict + n, sizeof dict - (size_t)n, "), }");
	int major = info->major ? info->major : 1;
	size_t plen = major == 1 ? 10 : 12;
	size_t total = plen + (size_t)n + 1;
	total = (total + 63) / 64 * 64;
	size_t hlen = total - plen;
	if (total > size || (major == 1 && hlen > 65535))
		return 0;
	memcpy(out, npy_magic, 6);
	out[6] = (unsigned char)major;
	out[7] = 0;
	out[8] = (unsigned char)(hlen & 0xff);
	out[9] = (unsigned char)(hlen >> 8 & 0xff);
	if (major != 1) {
		out[10] = (unsigned char)(hlen >> 16 & 0xff);
		out[11] = (unsigned char)(hlen >> 24 & 0xff);
	}
	memcpy(out + plen, dict, (size_t)n);
	memset(out + plen + n, ' ', hlen - (size_t)n - 1);
	out[total - 1] = '\n';
	return total;
}

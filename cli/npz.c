/* npz.c - .npz archives in the command: ARCHIVE:NAME operands, each member read as a .npy
 * array streamed through inflate in chunks, the whole archive computed member by member
 * into an .npz written atomically; PyTorch files and other zips told apart */
#include "npz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "literal.h"

static int pread_fd(void *ctx, uint64_t off, void *buf, size_t n)
{
	int fd = *(const int *)ctx;
	unsigned char *p = buf;
	while (n > 0) {
		ssize_t r = pread(fd, p, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			return -1;
		}
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* A zip file starts with a local header, or (no members) with the end record. */
static bool zip_magic(const char *path)
{
	unsigned char b[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool zip = read(fd, b, 4) == 4 && b[0] == 'P' && b[1] == 'K' &&
	           ((b[2] == 3 && b[3] == 4) || (b[2] == 5 && b[3] == 6));
	close(fd);
	return zip;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* Every member must be a .npy array under a plain name: the archive is then what
 * numpy.savez writes, and no name can be taken for a path. */
static void check_members(struct npz *z)
{
	const struct zip_archive *a = &z->zip;
	for (size_t i = 0; i < a->count; i++) {
		const char *n = a->m[i].name;
		size_t len = a->m[i].name_len;
		if (strcmp(n, "data.pkl") == 0 || ends_with(n, len, "/data.pkl"))
			data_error("%s: a PyTorch file (torch.save), not an .npz archive; save the "
			           "tensors with numpy.save / numpy.savez (t.numpy(); bfloat16 as "
			           "t.view(torch.int16).numpy(), read with --dtype bfloat16)", z->path);
	}
	for (size_t i = 0; i < a->count; i++) {
		const char *n = a->m[i].name;
		size_t len = a->m[i].name_len;
		if (!ends_with(n, len, ".npy"))
			data_error("%s: a zip archive but not an .npz: member '%s' is not a .npy "
			           "array; save arrays with numpy.save / numpy.savez", z->path, n);
		bool plain = len > 4;
		for (size_t k = 0; k < len; k++)
			if (n[k] == '/' || n[k] == '\\' || (unsigned char)n[k] < 0x20 || n[k] == 0x7f ||
			    (k + 1 < len - 4 && n[k] == '.' && n[k + 1] == '.'))
				plain = false;
		if (!plain)
			data_error("%s: member '%s': refused, a name with '/', '\\', '..' or a control "
			           "character (numpy.savez keys are plain names)", z->path, n);
	}
}

static void open_archive(char *path, struct npz *z)
{
	char err[512];
	z->path = path;
	z->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (z->fd < 0)
		data_error("%s: cannot open: %s", path, strerror(errno));
	if (fstat(z->fd, &z->st) != 0)
		data_error("%s: cannot stat: %s", path, strerror(errno));
	if (zip_open(&z->zip, pread_fd, &z->fd, (uint64_t)z->st.st_size, err, sizeof err) != 0)
		data_error("%s: %s", path, err);
	check_members(z);
	z->count = z->zip.count;
	z->keys = xmalloc((z->count ? z->count : 1) * sizeof *z->keys);
	for (size_t i = 0; i < z->count; i++) {
		size_t n = z->zip.m[i].name_len - 4;
		z->keys[i] = xmalloc(n + 1);
		memcpy(z->keys[i], z->zip.m[i].name, n);
		z->keys[i][n] = '\0';
		if (z->zip.m[i].method != 0)
			z->compressed = true;
	}
}

bool npz_open(const char *spec, struct npz *z, const char **name)
{
	struct stat st;
	memset(z, 0, sizeof *z);
	z->fd = -1;
	*name = NULL;
	if (strcmp(spec, "-") == 0)
		return false;
	if (stat(spec, &st) == 0) {
		if (!S_ISREG(st.st_mode) || !zip_magic(spec))
			return false;
		size_t n = strlen(spec);
		char *path = xmalloc(n + 1);
		memcpy(path, spec, n + 1);
		open_archive(path, z);
		return true;
	}
	/* ARCHIVE:NAME, split at the first ':' that leaves an existing file on its left
	 * (keys may hold ':' too). */
	for (const char *c = strchr(spec, ':'); c; c = strchr(c + 1, ':')) {
		size_t n = (size_t)(c - spec);
		char *path = xmalloc(n + 1);
		memcpy(path, spec, n);
		path[n] = '\0';
		if (n > 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (!zip_magic(path))
				data_error("%s: not an .npz archive, so '%s' cannot name an array in it",
				           path, c + 1);
			open_archive(path, z);
			*name = c + 1;
			return true;
		}
		free(path);
	}
	return false;
}

static void release_dir(struct npz *z)
{
	for (size_t i = 0; i < z->count; i++)
		free(z->keys[i]);
	free(z->keys);
	zip_close(&z->zip);
	free((char *)z->path);
	z->keys = NULL;
	z->path = NULL;
	z->count = 0;
}

void npz_close(struct npz *z)
{
	if (z->fd >= 0)
		close(z->fd);
	z->fd = -1;
	release_dir(z);
}

/* The keys for a message: "a, b, c" (the first few). */
static void list_keys(const struct npz *z, char *buf, size_t n)
{
	size_t k = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < z->count && k < n; i++) {
		if (i == 8) {
			snprintf(buf + k, n - k, ", ... (%zu in all)", z->count);
			return;
		}
		k += (size_t)snprintf(buf + k, n - k, "%s%s", i ? ", " : "", z->keys[i]);
	}
	if (z->count == 0)
		snprintf(buf, n, "no arrays");
}

size_t npz_index(const struct npz *z, const char *key)
{
	for (size_t i = 0; i < z->count; i++)
		if (strcmp(z->keys[i], key) == 0)
			return i;
	return SIZE_MAX;
}

size_t npz_find(const struct npz *z, const char *key)
{
	char keys[512];
	if (!key[0]) {
		list_keys(z, keys, sizeof keys);
		usage_error("%s: no array name after ':' (it holds: %s)", z->path, keys);
	}
	size_t i = npz_index(z, key);
	if (i != SIZE_MAX)
		return i;
	list_keys(z, keys, sizeof keys);
	data_error("%s: no array '%s' in the archive (it holds: %s)", z->path, key, keys);
}

/* ---- a member as an array's source ---------------------------------------------------- */

/* Everything a member's stream needs, in the block a->owned points to: the archive's
 * directory may be released while the member is read. */
struct member_src {
	int fd;
	struct zip_archive za;
	struct zip_member m;
	struct zip_stream s;
	char text[]; /* the label "ARCHIVE:KEY", then the member name */
};

static size_t member_read(struct source *src, void *buf, size_t n)
{
	struct member_src *ms = src->ctx;
	char err[512];
	size_t got = 0;
	while (got < n) {
		long r = zip_stream_read(&ms->s, (unsigned char *)buf + got, n - got, err,
		                         sizeof err);
		if (r < 0)
			data_error("%s: %s", src->name, err);
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (ms->s.checked) /* checked to its end: inflate's state is not needed any more */
		zip_stream_close(&ms->s);
	return got;
}

/* A member whose .npy header is wrong may be a damaged member: its CRC-32 or deflate
 * stream, checked to the end, then names the cause; else the header's message stands. */
static _Noreturn void member_error(struct member_src *ms, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static _Noreturn void member_error(struct member_src *ms, const char *fmt, ...)
{
	const char *label = ms->text;
	char msg[512], err[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	unsigned char *buf = xmalloc((size_t)1 << 16);
	long r;
	while ((r = zip_stream_read(&ms->s, buf, (size_t)1 << 16, err, sizeof err)) > 0)
		continue;
	if (r < 0)
		data_error("%s: %s", label, err);
	data_error("%s: %s", label, msg);
}

/* whole: the archive is run as a whole, where --dtype bfloat16 names how its 2-byte
 * integer members are read, not what its float members hold. */
static void open_member(const struct npz *z, size_t i, const struct opts *o, bool whole,
                        struct array *a)
{
	const struct zip_member *zm = &z->zip.m[i];
	size_t plen = strlen(z->path), klen = strlen(z->keys[i]);
	struct member_src *ms = xmalloc(sizeof *ms + plen + klen + 2 + zm->name_len + 1);
	char *label = ms->text, *mname = ms->text + plen + klen + 2;
	snprintf(label, plen + klen + 2, "%s:%s", z->path, z->keys[i]);
	memcpy(mname, zm->name, zm->name_len + 1);
	ms->fd = z->fd;
	ms->za = z->zip;
	ms->za.ctx = &ms->fd;
	ms->za.names = NULL;
	ms->m = *zm;
	ms->m.name = mname;
	ms->za.m = &ms->m;
	ms->za.count = 1;
	char err[512];
	if (zip_stream_open(&ms->s, &ms->za, 0, err, sizeof err) != 0)
		data_error("%s: %s", label, err);

	memset(a, 0, sizeof *a);
	a->owned = ms;
	struct source *s = &a->src;
	s->name = label;
	s->fd = z->fd;
	s->st = z->st;
	s->regular = true; /* sizes checked against the member's, below */
	s->read = member_read;
	s->ctx = ms;

	unsigned char pre[NPY_PREFIX_MAX];
	size_t got = src_read(s, pre, 10);
	if (got < 6 || memcmp(pre, "\x93NUMPY", 6) != 0)
		member_error(ms, "not a .npy array (no \\x93NUMPY magic)");
	if (got == 10 && pre[6] >= 2 && pre[6] <= 3) {
		got += src_read(s, pre + 10, 2);
		if (got != 12)
			member_error(ms, "truncated .npy header");
	}
	int major, minor;
	uint32_t hlen;
	size_t pl;
	if (npy_prefix(pre, got, &major, &minor, &hlen, &pl, err, sizeof err) != 0)
		member_error(ms, "%s", err);
	if ((uint64_t)pl + hlen > zm->usize)
		member_error(ms, "truncated .npy header (header says %lu bytes, the member holds "
		             "%llu)", (unsigned long)(pl + hlen), (unsigned long long)zm->usize);
	unsigned char *hdr = xmalloc(pl + hlen);
	memcpy(hdr, pre, pl);
	if (src_read(s, hdr + pl, hlen) != hlen)
		member_error(ms, "truncated .npy header");
	if (npy_parse_header(hdr, pl + hlen, &a->info, err, sizeof err) != 0)
		member_error(ms, "%s", err);
	free(hdr);
	/* The declared header bounds what inflate may produce: the member must hold the
	 * header and exactly the data its shape needs. */
	uint64_t have = zm->usize - a->info.data_offset;
	if (have != a->info.data_bytes)
		member_error(ms, "the .npy header's shape needs %llu bytes of data, the member "
		             "holds %llu", (unsigned long long)a->info.data_bytes,
		             (unsigned long long)have);
	struct opts oo = *o;
	if (whole && a->info.kind == 'f')
		oo.have_dtype = false;
	set_array_dtype(a, &oo);
}

void npz_member(const struct npz *z, size_t i, const struct opts *o, struct array *a)
{
	open_member(z, i, o, false, a);
}

void npz_whole_member(const struct npz *z, size_t i, const struct opts *o, struct array *a)
{
	open_member(z, i, o, true, a);
}

void npz_member_free(struct array *a)
{
	struct member_src *ms = a->owned;
	if (ms)
		zip_stream_close(&ms->s);
	free(ms);
	a->owned = NULL;
}

bool npz_open_array(const char *spec, const struct opts *o, struct array *a)
{
	struct npz z;
	const char *name;
	if (!npz_open(spec, &z, &name))
		return false;
	if (!name) {
		char keys[512];
		list_keys(&z, keys, sizeof keys);
		usage_error("%s: an .npz archive (%s); name one array as %s:NAME", z.path, keys,
		            z.path);
	}
	npz_member(&z, npz_find(&z, name), o, a);
	release_dir(&z); /* the member keeps the file open */
	return true;
}

/* ---- the whole archive ---------------------------------------------------------------- */

static int write_fd(void *ctx, uint64_t off, const void *buf, size_t n)
{
	int fd = *(const int *)ctx;
	const unsigned char *p = buf;
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

static void put_member(struct sink *k, const void *buf, size_t n)
{
	char err[256];
	if (zip_writer_data(k->ctx, buf, n, err, sizeof err) != 0)
		data_error("%s: cannot write: %s (nothing was written; INPUT is untouched)",
		           k->name, err);
}

int npz_main(struct opts *o, struct npz *z, const char *out)
{
	struct npz gz;
	bool have_g = false;
	if (o->grad) {
		const char *gname = NULL;
		if (strcmp(o->grad, "-") == 0 || literal_looks_like(o->grad) ||
		    !npz_open(o->grad, &gz, &gname) || gname)
			usage_error("--grad: with an .npz INPUT (%s) GRAD must be an .npz holding "
			            "the same array names", z->path);
		for (size_t i = 0; i < gz.count; i++)
			npz_find(z, gz.keys[i]);
		for (size_t i = 0; i < z->count; i++)
			npz_find(&gz, z->keys[i]);
		have_g = true;
	}
	if (out && strcmp(out, "-") == 0)
		usage_error("%s: an .npz result cannot go to standard output (its directory is "
		            "written last, its headers rewritten); give an OUTPUT file, or pick "
		            "one array as %s:NAME", z->path, z->path);
	struct job j = {.o = o, .fw = o->fw};
	lrelu_generator gen;
	job_setup(&j, o, &gen);
	if (o->noise || o->grad_weight)
		usage_error("%s with a whole archive (%s): pick one array as %s:NAME", o->noise
		            ? "--noise" : "--grad-weight", z->path, z->path);
	bool to_file = out || o->inplace;
	struct target t;
	struct zip_writer w;
	int fd = -1;
	char err[256];
	if (to_file) {
		resolve_target(o->inplace ? z->path : out, &t);
		fd = open_tmp(&t);
		zip_writer_init(&w, write_fd, &fd, z->compressed);
	}
	for (size_t i = 0; i < z->count; i++) {
		struct array x, g;
		open_member(z, i, o, true, &x);
		if ((o->have_scale || o->have_zp) && x.dtype != LRELU_QINT8 &&
		    x.dtype != LRELU_QUINT8)
			usage_error("--scale/--zero-point apply to int8/uint8 data; %s holds %s",
			            x.src.name, lrelu_dtype_name(x.dtype));
		j.x = &x;
		j.g = NULL;
		job_load(&j, &x);
		if (have_g) {
			open_member(&gz, npz_find(&gz, z->keys[i]), o, true, &g);
			check_grad(&x, &g);
			j.g = &g;
		}
		if (!to_file) {
			printf("%s:\n", z->keys[i]);
			print_streamed(&j);
		} else {
			unsigned char hdr[NPY_MAX_HEADER + NPY_PREFIX_MAX];
			size_t hn = npy_format_header(&x.info, hdr, sizeof hdr);
			if (hn == 0)
				data_error("%s: header too long for format version %d.0", x.src.name,
				           x.info.major);
			if (zip_writer_begin(&w, z->zip.m[i].name, err, sizeof err) != 0)
				data_error("%s: cannot write: %s (nothing was written; INPUT is "
				           "untouched)", t.path, err);
			struct sink k = {.fd = -1, .name = t.path, .put = put_member, .ctx = &w};
			sink_write(&k, hdr, hn);
			run_stream(&j, &k);
			if (zip_writer_end(&w, err, sizeof err) != 0)
				data_error("%s: cannot write: %s (nothing was written; INPUT is "
				           "untouched)", t.path, err);
		}
		npz_member_free(&x);
		if (have_g)
			npz_member_free(&g);
	}
	if (to_file) {
		if (zip_writer_finish(&w, err, sizeof err) != 0)
			data_error("%s: cannot write: %s (nothing was written; INPUT is untouched)",
			           t.path, err);
		zip_writer_free(&w);
		commit_tmp(fd, &t);
	} else if (fflush(stdout) != 0) {
		data_error("standard output: write error: %s", strerror(errno));
	}
	if (have_g)
		npz_close(&gz);
	npz_close(z);
	return 0;
}

/* output.c - the output file, replaced atomically: written to a temporary file beside it,
 * flushed, renamed into place; the temporary file removed on any error or signal */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* The temporary output file, removed on any error or signal (a fixed buffer so the
 * signal handler only reads memory and calls unlink). */
static char g_tmp[PATH_MAX + 64];

void remove_tmp(void)
{
	if (g_tmp[0]) {
		unlink(g_tmp);
		g_tmp[0] = '\0';
	}
}

static void on_signal(int sig)
{
	if (g_tmp[0])
		unlink(g_tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

void install_signals(void)
{
	/* Write errors must reach us as EFBIG/EPIPE, not kill us before we clean up. */
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
}

void resolve_target(const char *spec, struct target *t)
{
	struct stat st;
	memset(t, 0, sizeof *t);
	if (lstat(spec, &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			if (!realpath(spec, t->path))
				data_error("%s: cannot follow the symbolic link: %s", spec,
				           strerror(errno));
		} else {
			if (strlen(spec) >= sizeof t->path)
				data_error("%s: path too long", spec);
			strcpy(t->path, spec);
		}
		if (stat(t->path, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				data_error("%s: is a directory", spec);
			if (!S_ISREG(st.st_mode))
				data_error("%s: not a regular file (cannot replace it atomically)", spec);
			t->exists = true;
			t->mode = st.st_mode & 07777;
			t->uid = st.st_uid;
			t->gid = st.st_gid;
		}
	} else {
		if (strlen(spec) >= sizeof t->path)
			data_error("%s: path too long", spec);
		strcpy(t->path, spec);
	}
	if (!t->exists) {
		mode_t um = umask(0);
		umask(um);
		t->mode = 0666 & ~um;
	}
	strcpy(t->dir, t->path);
	char *slash = strrchr(t->dir, '/');
	if (!slash)
		strcpy(t->dir, ".");
	else if (slash == t->dir)
		t->dir[1] = '\0';
	else
		*slash = '\0';
}

int open_tmp(const struct target *t)
{
	const char *base = strrchr(t->path, '/');
	base = base ? base + 1 : t->path;
	int n = snprintf(g_tmp, sizeof g_tmp, "%s/.%.100s.lrelu-XXXXXX", t->dir, base);
	if (n < 0 || (size_t)n >= sizeof g_tmp)
		data_error("%s: path too long", t->path);
	int fd = mkstemp(g_tmp);
	if (fd < 0) {
		int e = errno;
		g_tmp[0] = '\0';
		data_error("%s: cannot create a temporary file in %s: %s", t->path, t->dir,
		           strerror(e));
	}
	return fd;
}

void commit_tmp(int fd, const struct target *t)
{
	if (t->exists && fchown(fd, t->uid, t->gid) != 0) {
		/* Only root may give a file away; keeping our own ownership is fine. */
	}
	if (fchmod(fd, t->mode) != 0)
		data_error("%s: cannot set permissions: %s", t->path, strerror(errno));
	if (fsync(fd) != 0)
		data_error("%s: cannot flush to disk: %s", t->path, strerror(errno));
	if (close(fd) != 0)
		data_error("%s: cannot write: %s", t->path, strerror(errno));
	if (rename(g_tmp, t->path) != 0)
		data_error("%s: cannot rename the finished file into place: %s", t->path,
		           strerror(errno));
	g_tmp[0] = '\0';
	int dfd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
}

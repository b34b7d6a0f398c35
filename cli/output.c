/* output.c - the output file, replaced atomically: written to an unnamed file (O_TMPFILE)
 * where the file system has them, else to a named temporary file beside it; flushed,
 * then named; the named temporary file removed on any error or terminating signal */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/random.h>
#endif

#include "cli.h"
/*
 * The named temporary files, removed on any error or signal: fixed buffers so that the
 * signal handler only reads memory and calls unlink.  Each is written only with signals
 * blocked, so the handler never sees half a name, and names a file only once we
 * created it: a signal while the file is being created cannot remove someone else's.
 * One slot per output a run may write at once: the result, RReLU's noise and PReLU's
 * weight gradient (lrelu --op), or diff's mask.
 */
enum { MAX_TMP = 3 };
static char g_tmp[MAX_TMP][PATH_MAX + 64];

/* Per slot: in use (by the descriptor g_fd), and whether the file is an unnamed
 * O_TMPFILE file (nothing to remove until it is linked). */
static bool g_used[MAX_TMP], g_unnamed[MAX_TMP];
static int g_fd[MAX_TMP];

void remove_tmp(void)
{
	for (int i = 0; i < MAX_TMP; i++)
		if (g_tmp[i][0]) {
			unlink(g_tmp[i]);
			g_tmp[i][0] = '\0';
		}
}

static void on_signal(int sig)
{
	for (int i = 0; i < MAX_TMP; i++)
		if (g_tmp[i][0])
			unlink(g_tmp[i]);
	/* Die of the same signal (blocked while we run: delivered when we return). */
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The signals whose default action ends the process.  SIGSEGV and its kind mean a bug
 * and are left to the sanitizers; SIGPIPE and SIGXFSZ are ignored so that a write
 * error comes back as one. */
static const int term_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF,
	SIGXCPU, SIGTRAP, SIGSYS,
#ifdef SIGPOLL
	SIGPOLL,
#endif
#ifdef SIGPWR
	SIGPWR,
#endif
#ifdef SIGSTKFLT
	SIGSTKFLT,
#endif
};

/* Whether sig was ignored when we started: nohup, and a shell's background jobs,
 * start commands with SIGHUP or SIGINT ignored, and that must hold for us too. */
static bool ignored(int sig)
{
	struct sigaction old;
	return sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN;
}

void install_signals(void)
{
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask); /* one cleanup at a time */
	for (size_t i = 0; i < sizeof term_signals / sizeof term_signals[0]; i++)
		if (!ignored(term_signals[i]))
			sigaction(term_signals[i], &sa, NULL);
#ifdef SIGRTMIN
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		if (!ignored(sig))
			sigaction(sig, &sa, NULL);
#endif
}

static void block_signals(sigset_t *old)
{
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, old);
}

static void restore_signals(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

/* A name for a temporary file beside t: ".NAME.lrelu-" and 12 random hex digits. */
static void tmp_name(char *buf, size_t n, const struct target *t)
{
	static uint64_t counter;
	uint64_t r = 0;
#ifdef __linux__
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
#endif
	{
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		r = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40);
	}
	r ^= ++counter * 0x9e3779b97f4a7c15ull;
	const char *base = strrchr(t->path, '/');
	base = base ? base + 1 : t->path;
	int k = snprintf(buf, n, "%s/.%.100s.lrelu-%012llx", t->dir, base,
	                 (unsigned long long)(r & 0xffffffffffffull));
	if (k < 0 || (size_t)k >= n)
		data_error("%s: path too long", t->path);
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
	/* What rename would refuse only after the work: find it now. */
	const char *base = strrchr(t->path, '/');
	base = base ? base + 1 : t->path;
	if (*base == '\0')
		data_error("%s: names a directory, not a file", spec);
	if (stat(t->dir, &st) != 0)
		data_error("%s: cannot write in %s: %s", spec, t->dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		data_error("%s: %s is not a directory", spec, t->dir);
	long name_max = pathconf(t->dir, _PC_NAME_MAX);
	if (name_max > 0 && strlen(base) > (size_t)name_max)
		data_error("%s: file name too long (%zu bytes; the file system allows %ld)", spec,
		           strlen(base), name_max);
}

/* The slot of the temporary file open as fd. */
static int slot_of(int fd)
{
	for (int i = 0; i < MAX_TMP; i++)
		if (g_used[i] && g_fd[i] == fd)
			return i;
	data_error("internal error: no temporary file open as descriptor %d", fd);
}

static int take_slot(int fd, bool unnamed)
{
	for (int i = 0; i < MAX_TMP; i++)
		if (!g_used[i]) {
			g_used[i] = true;
			g_fd[i] = fd;
			g_unnamed[i] = unnamed;
			return i;
		}
	data_error("internal error: more than %d output files at once", MAX_TMP);
}

int open_tmp(const struct target *t)
{
	int free_slot = 0;
	while (free_slot < MAX_TMP && g_used[free_slot])
		free_slot++;
	if (free_slot == MAX_TMP)
		data_error("internal error: more than %d output files at once", MAX_TMP);
#ifdef O_TMPFILE
	bool try_unnamed = true;
#ifdef LRELU_TEST_KNOBS
	/* Test builds only: take the named path where O_TMPFILE works, to test it. */
	if (getenv("LRELU_TEST_NO_TMPFILE"))
		try_unnamed = false;
#endif
	/* The file gets its name through /proc/self/fd (linkat with AT_EMPTY_PATH needs a
	 * capability), so an unnamed file is used only where /proc is there. */
	if (try_unnamed && access("/proc/self/fd", X_OK) == 0) {
		int fd = open(t->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
		if (fd >= 0) {
			take_slot(fd, true);
			return fd;
		}
		/* EOPNOTSUPP, EISDIR (old kernels), ...: the named path says what is wrong. */
	}
#endif
	for (int tries = 0;; tries++) {
		char name[sizeof g_tmp[0]];
		tmp_name(name, sizeof name, t);
#ifdef LRELU_TEST_KNOBS
		/* Test builds only: a name taken by another file, and a signal arriving while
		 * we try it. */
		const char *taken = getenv("LRELU_TEST_TMP_NAME");
		if (taken)
			snprintf(name, sizeof name, "%s/%s", t->dir, taken);
#endif
		sigset_t old;
		block_signals(&old);
		int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		int e = errno;
		if (fd >= 0) {
			strcpy(g_tmp[free_slot], name);
			take_slot(fd, false);
		}
#ifdef LRELU_TEST_KNOBS
		if (taken && getenv("LRELU_TEST_SIGNAL_IN_CREATE"))
			raise(SIGTERM); /* delivered at the restore below */
#endif
		restore_signals(&old);
		if (fd >= 0)
			return fd;
		if (e != EEXIST || tries == 100)
			data_error("%s: cannot create a temporary file in %s: %s", t->path, t->dir,
			           strerror(e));
	}
}

/* Gives the unnamed file fd a temporary name beside t (g_tmp), with signals blocked by
 * the caller; returns 0, or -1 with errno. */
static int link_unnamed(int fd, int slot, const struct target *t)
{
	for (int tries = 0;; tries++) {
		char name[sizeof g_tmp[0]], proc[64];
		tmp_name(name, sizeof name, t);
		int r = linkat(fd, "", AT_FDCWD, name, AT_EMPTY_PATH);
		if (r != 0 && errno != EEXIST) {
			snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
			r = linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW);
		}
		if (r == 0) {
			strcpy(g_tmp[slot], name);
			return 0;
		}
		if (errno != EEXIST || tries == 100)
			return -1;
	}
}

void commit_tmp(int fd, const struct target *t)
{
	int slot = slot_of(fd);
	if (t->exists && fchown(fd, t->uid, t->gid) != 0) {
		/* Only root may give a file away; keeping our own ownership is fine. */
	}
	if (fchmod(fd, t->mode) != 0)
		data_error("%s: cannot set permissions: %s", t->path, strerror(errno));
	if (fsync(fd) != 0)
		data_error("%s: cannot flush to disk: %s", t->path, strerror(errno));
	/* linkat cannot replace a name: link under a temporary name, then rename over the
	 * target, with signals blocked between, so that only SIGKILL can leave the
	 * temporary name behind, and only in that window. */
	sigset_t old;
	block_signals(&old);
	if (g_unnamed[slot] && link_unnamed(fd, slot, t) != 0) {
		int e = errno;
		restore_signals(&old);
		data_error("%s: cannot give the finished file a name in %s: %s", t->path, t->dir,
		           strerror(e));
	}
	if (!g_unnamed[slot] && close(fd) != 0) {
		int e = errno;
		restore_signals(&old);
		data_error("%s: cannot write: %s", t->path, strerror(e));
	}
	if (rename(g_tmp[slot], t->path) != 0) {
		int e = errno;
		restore_signals(&old);
		data_error("%s: cannot rename the finished file into place: %s", t->path,
		           strerror(e));
	}
	g_tmp[slot][0] = '\0';
	g_used[slot] = false;
	bool unnamed = g_unnamed[slot];
	restore_signals(&old);
	if (unnamed && close(fd) != 0)
		data_error("%s: cannot write: %s (the file is in place)", t->path, strerror(errno));
	int dfd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
}

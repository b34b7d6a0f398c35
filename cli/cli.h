/* cli.h - what the lrelu command's files share: exit statuses, messages, options, arrays,
 * the chunked computation, the output file */
#ifndef LRELU_CLI_H
#define LRELU_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lrelu.h"

/* Exit statuses (documented in docs/cli.md and --help). */
enum { EXIT_DATA = 1, EXIT_USAGE = 2 };

/* Bytes per chunk buffer.  At most two buffers (input and gradient, or input and
 * quantized output) plus the header bound the data memory at 2 * CHUNK_BYTES
 * whatever the file size. */
#define CHUNK_BYTES ((size_t)4 << 20)

/* ---- msg.c: messages and exits ---------------------------------------------------- */

/* Each prints "lrelu: MESSAGE" (control characters escaped), removes the temporary
 * output file and exits: data_error for a problem with the data, a file or the system
 * (EXIT_DATA), usage_error for one with the command line (EXIT_USAGE; the message
 * points to --help). */
_Noreturn void data_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* malloc that exits with a message when memory runs out. */
void *xmalloc(size_t n);

/* ---- output.c: the output file, replaced atomically ---------------------------------- */

/* The file an OUTPUT name stands for: a symbolic link's target, with the mode and
 * owner to give the new file. */
struct target {
	char path[PATH_MAX];  /* the file to replace (a symlink's target) */
	char dir[PATH_MAX];
	mode_t mode;
	bool exists;
	uid_t uid;
	gid_t gid;
};

/* Sets the signal dispositions: write errors come back as errors (SIGPIPE, SIGXFSZ
 * ignored), and a terminating signal removes the temporary file first. */
void install_signals(void);

/* Resolves OUTPUT (following a symbolic link) and checks it can be replaced. */
void resolve_target(const char *spec, struct target *t);

/* Creates the temporary file beside t; returns its descriptor. */
int open_tmp(const struct target *t);

/* Gives the finished temporary file t's mode (and owner, where allowed), flushes it to
 * the disk, closes fd and renames it over t; then flushes the directory. */
void commit_tmp(int fd, const struct target *t);

/* Removes the temporary output file, if one is open (safe to call at any time). */
void remove_tmp(void);

#endif

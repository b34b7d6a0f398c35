/* cli.h - what the lrelu command's files share: exit statuses, messages, options, arrays,
 * the chunked computation, the output file */
#ifndef LRELU_CLI_H
#define LRELU_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* ---- the temporary output file -------------------------------------------------------- */

/* Removes the temporary output file, if one is open (safe to call at any time). */
void remove_tmp(void);

#endif

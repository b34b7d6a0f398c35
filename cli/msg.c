/* msg.c - the command's messages ("lrelu: WHAT: WHY" on stderr) and error exits */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

/* Writes "lrelu: MESSAGE" as one line: control characters (a file name may hold a
 * newline) are shown as escapes. */
static void put_line(const char *msg, const char *suffix)
{
	fputs("lrelu: ", stderr);
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
		if (*p == '\n')
			fputs("\\n", stderr);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(stderr, "\\x%02x", *p);
		else
			fputc(*p, stderr);
	}
	fputs(suffix, stderr);
	fputc('\n', stderr);
}

static void vmsg(const char *fmt, va_list ap)
{
	char buf[2048];
	vsnprintf(buf, sizeof buf, fmt, ap);
	put_line(buf, "");
}

int data_exit_status = EXIT_DATA;

_Noreturn void data_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	remove_tmp();
	exit(data_exit_status);
}

_Noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;
	char buf[1024];
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	put_line(buf, " (see lrelu --help)");
	remove_tmp();
	exit(EXIT_USAGE);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		data_error("out of memory (%zu bytes)", n);
	return p;
}

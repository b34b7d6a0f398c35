/* error.c - status strings and the per-thread message of the last failure */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

/* Per thread, so concurrent callers never see each other's messages. */
static _Thread_local char last_error[512];

const char *lrelu_status_str(lrelu_status st)
{
	switch (st) {
	case LRELU_OK:
		return "success";
	case LRELU_ERR_ARG:
		return "invalid argument";
	case LRELU_ERR_DTYPE:
		return "unsupported dtype";
	case LRELU_ERR_SHAPE:
		return "invalid or mismatched shape";
	case LRELU_ERR_OVERLAP:
		return "memory overlap";
	case LRELU_ERR_SLOPE:
		return "slope not accepted by the framework";
	case LRELU_ERR_INPLACE:
		return "in-place form not allowed by the framework";
	case LRELU_ERR_UNSUPPORTED:
		return "not supported";
	case LRELU_ERR_NOMEM:
		return "out of memory";
	case LRELU_ERR_QPARAM:
		return "invalid quantization parameters";
	}
	return "unknown status";
}

const char *lrelu_last_error(void)
{
	return last_error;
}

lrelu_status lrelu_fail(lrelu_status st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof last_error, fmt, ap);
	va_end(ap);
	return st;
}

/* fuzz_npy.c - libFuzzer target: the .npy header parser and header writer on any bytes */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct npy_info info;
	char err[256];
	if (npy_parse_header(data, size, &info, err, sizeof err) != 0)
		return 0;
	/* A header that parses must describe a consistent array and write back out in a
	 * form that parses to the same description. */
	static unsigned char out[NPY_MAX_HEADER + NPY_PREFIX_MAX];
	size_t n = npy_format_header(&info, out, sizeof out);
	if (n == 0)
		return 0;
	struct npy_info again;
	if (npy_parse_header(out, n, &again, err, sizeof err) != 0)
		__builtin_trap();
	if (again.count != info.count || again.ndim != info.ndim ||
	    again.fortran != info.fortran || strcmp(again.descr, info.descr) != 0 ||
	    again.data_bytes != info.data_bytes)
		__builtin_trap();
	return 0;
}

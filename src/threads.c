/* threads.c - parallel_for over contiguous chunks (serial until the pool lands) */
#include "internal.h"

void lrelu_parallel_for(size_t n, size_t align, size_t bytes_per_elem, lrelu_range_fn fn,
                        void *arg)
{
	(void)align;
	(void)bytes_per_elem;
	if (n != 0)
		fn(arg, 0, n);
}

lrelu_status lrelu_set_num_threads(int n)
{
	if (n < 0)
		return lrelu_fail(LRELU_ERR_ARG, "thread count %d is negative", n);
	return LRELU_OK;
}

int lrelu_get_num_threads(void)
{
	return 1;
}

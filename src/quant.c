/* quant.c - int8 / uint8 LeakyReLU with PyTorch's exact codes (table lookup) */
#include "internal.h"

lrelu_status lrelu_quant_forward(lrelu_framework fw, double slope, const lrelu_tensor *x,
                                 const lrelu_tensor *y)
{
	(void)fw;
	(void)slope;
	(void)y;
	return lrelu_fail(LRELU_ERR_UNSUPPORTED, "quantized %s LeakyReLU is not built yet",
	                  lrelu_dtype_name(x->dtype));
}

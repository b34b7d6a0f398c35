/* module.c - the framework-style module layer: lrelu_module_*, its repr, Python's float repr */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The framework's own name of the operator, for messages. */
static const char *op_name(lrelu_framework fw)
{
	switch (fw) {
	case LRELU_TORCH:
		return "torch.nn.LeakyReLU";
	case LRELU_MINDSPORE:
		return "mindspore.nn.LeakyReLU";
	case LRELU_ONNX:
		return "ONNX LeakyRelu";
	case LRELU_JAX:
		return "jax.nn.leaky_relu";
	case LRELU_ONNXRUNTIME:
		return "onnxruntime LeakyRelu";
	default:
		return "tf.nn.leaky_relu";
	}
}

lrelu_status lrelu_module_init(lrelu_module *m, lrelu_framework fw, double slope, bool inplace)
{
	if (m == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "module pointer is NULL");
	if ((unsigned)fw > (unsigned)LRELU_FRAMEWORK_LAST)
		return lrelu_fail(LRELU_ERR_ARG, "unknown framework %d", (int)fw);
	if (inplace && fw != LRELU_TORCH)
		return lrelu_fail(
			LRELU_ERR_INPLACE,
			"%s has no 'inplace' parameter; assign the output to the input instead "
			"(x = m(x)), as MindSpore's API mapping for torch.nn.LeakyReLU says",
			op_name(fw));
	m->framework = fw;
	m->slope = slope;
	m->inplace = inplace;
	return LRELU_OK;
}

lrelu_status lrelu_module_torch(lrelu_module *m, double negative_slope, bool inplace)
{
	return lrelu_module_init(m, LRELU_TORCH, negative_slope, inplace);
}

lrelu_status lrelu_module_mindspore(lrelu_module *m, double alpha)
{
	return lrelu_module_init(m, LRELU_MINDSPORE, alpha, false);
}

lrelu_status lrelu_module_forward(const lrelu_module *m, const lrelu_tensor *x,
                                  const lrelu_tensor *y)
{
	if (m == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "module pointer is NULL");
	if (m->inplace) {
		if (y != NULL && x != NULL && y->data != x->data)
			return lrelu_fail(LRELU_ERR_ARG,
			                  "an inplace=True module writes into its input; pass y = NULL");
		return lrelu_forward(m->framework, m->slope, x, NULL);
	}
	if (y == NULL)
		return lrelu_fail(LRELU_ERR_ARG,
		                  "output tensor y is NULL for a module with inplace=False "
		                  "(pass x itself to assign the output to the input)");
	return lrelu_forward(m->framework, m->slope, x, y);
}

lrelu_status lrelu_module_backward(const lrelu_module *m, const lrelu_tensor *grad_output,
                                   const lrelu_tensor *saved, const lrelu_tensor *grad_input)
{
	if (m == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "module pointer is NULL");
	return lrelu_backward(m->framework, m->slope, grad_output, saved, m->inplace, grad_input);
}

/* Python's float repr: the shortest digit string that reads back to the same double,
 * in fixed notation for exponents -4 .. 15 and scientific otherwise. */
size_t lrelu_format_pyfloat(double v, char *buf, size_t size)
{
	char tmp[64], digits[32], out[64];
	int nd = 0, exp10 = 0;
	const char *sign = signbit(v) ? "-" : "";
	size_t len;

	if (isnan(v))
		snprintf(out, sizeof out, "nan");
	else if (isinf(v))
		snprintf(out, sizeof out, "%sinf", sign);
	else {
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(tmp, sizeof tmp, "%.*e", prec - 1, fabs(v));
			if (strtod(tmp, NULL) == fabs(v))
				break;
		}
		/* tmp is d[.ddd]e[+-]XX in any locale's decimal point: collect the digits. */
		const char *c = tmp;
		for (; *c && *c != 'e'; c++)
			if (*c >= '0' && *c <= '9')
				digits[nd++] = *c;
		digits[nd] = '\0';
		if (*c == 'e')
			exp10 = atoi(c + 1);
		while (nd > 1 && digits[nd - 1] == '0') /* %.0e of 0 or trailing zeros */
			digits[--nd] = '\0';
		if (exp10 >= -4 && exp10 < 16) {
			int decpt = exp10 + 1; /* digits before the decimal point */
			char *o = out + snprintf(out, sizeof out, "%s", sign);
			if (decpt <= 0) {
				*o++ = '0', *o++ = '.';
				for (int i = 0; i < -decpt; i++)
					*o++ = '0';
				for (int i = 0; i < nd; i++)
					*o++ = digits[i];
			} else {
				for (int i = 0; i < decpt || i < nd; i++) {
					if (i == decpt)
						*o++ = '.';
					*o++ = i < nd ? digits[i] : '0';
				}
				if (decpt >= nd)
					*o++ = '.', *o++ = '0';
			}
			*o = '\0';
		} else {
			snprintf(out, sizeof out, "%s%c%s%se%c%02d", sign, digits[0], nd > 1 ? "." : "",
			         digits + 1, exp10 < 0 ? '-' : '+', abs(exp10));
		}
	}
	len = strlen(out);
	if (buf != NULL && size > 0)
		snprintf(buf, size, "%s", out);
	return len;
}

size_t lrelu_module_repr(const lrelu_module *m, char *buf, size_t size)
{
	char num[64], out[160];
	size_t len;
	if (m == NULL)
		snprintf(out, sizeof out, "NULL");
	else {
		lrelu_format_pyfloat(m->slope, num, sizeof num);
		switch (m->framework) {
		case LRELU_TORCH:
			snprintf(out, sizeof out, "LeakyReLU(negative_slope=%s%s)", num,
			         m->inplace ? ", inplace=True" : "");
			break;
		case LRELU_MINDSPORE:
			/* Cell.__repr__ prints the class name and its (empty) extend_repr. */
			snprintf(out, sizeof out, "LeakyReLU<>");
			break;
		case LRELU_ONNX:
			snprintf(out, sizeof out, "LeakyRelu(alpha=%s)", num);
			break;
		case LRELU_TENSORFLOW:
			snprintf(out, sizeof out, "leaky_relu(alpha=%s)", num);
			break;
		case LRELU_JAX:
			snprintf(out, sizeof out, "leaky_relu(negative_slope=%s)", num);
			break;
		case LRELU_ONNXRUNTIME:
			snprintf(out, sizeof out, "LeakyRelu(alpha=%s)", num);
			break;
		default:
			snprintf(out, sizeof out, "?");
			break;
		}
	}
	len = strlen(out);
	if (buf != NULL && size > 0)
		snprintf(buf, size, "%s", out);
	return len;
}

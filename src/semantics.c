/* semantics.c - the framework rules: slope rounding per dtype, predicates, refusals */
#include <float.h>
#include <math.h>

#include "fp16.h"
#include "internal.h"

/*
 * Everything that makes PyTorch, MindSpore, ONNX, TensorFlow, JAX and ONNX Runtime
 * differ lives here and
 * nowhere else: which dtype the slope is rounded to, which predicate selects, which
 * in-place forms are refused and with what message.  Kernels only see the result: a
 * rule and a slope value per arithmetic type.
 *
 * lrelu_prepare_* run before the floating-point environment guard (tensor.c), so
 * they do no arithmetic the caller's FTZ/DAZ or rounding mode could change: slope
 * conversions are the integer ones of fp16.h, and compares are either immune (a
 * subnormal seen as zero is still <= 1) or done on the bits.
 */

double lrelu_default_slope(lrelu_framework fw)
{
	switch (fw) {
	case LRELU_TORCH:
		return LRELU_TORCH_DEFAULT_SLOPE;
	case LRELU_MINDSPORE:
		return LRELU_MINDSPORE_DEFAULT_ALPHA;
	case LRELU_ONNX:
		return LRELU_ONNX_DEFAULT_ALPHA;
	case LRELU_TENSORFLOW:
		return LRELU_TENSORFLOW_DEFAULT_ALPHA;
	case LRELU_JAX:
		return LRELU_JAX_DEFAULT_SLOPE;
	case LRELU_ONNXRUNTIME:
		return LRELU_ONNXRUNTIME_DEFAULT_ALPHA;
	}
	return NAN;
}

/* A float slope value rounded to the tensor's type, kept as float (16-bit types) or
 * double (float64): the "Cast(float32 alpha, x.dtype)" of MindSpore, ONNX and TF. */
static void cast_float_slope(float sf, lrelu_dtype dt, struct lrelu_kparams *p)
{
	p->s32 = sf;
	p->s64 = lrelu_f2d(sf);
	if (dt == LRELU_BFLOAT16)
		p->s32 = lrelu_bf2f(lrelu_f2bf(sf));
	else if (dt == LRELU_FLOAT16)
		p->s32 = lrelu_h2f(lrelu_f2h(sf));
}

static lrelu_status check_float_dtype(lrelu_dtype dt)
{
	switch (dt) {
	case LRELU_FLOAT32:
	case LRELU_FLOAT64:
	case LRELU_BFLOAT16:
	case LRELU_FLOAT16:
		return LRELU_OK;
	case LRELU_QINT8:
	case LRELU_QUINT8:
		return lrelu_fail(LRELU_ERR_DTYPE, "dtype %s has no kernel for this operation",
		                  lrelu_dtype_name(dt));
	}
	return lrelu_fail(LRELU_ERR_DTYPE, "unknown dtype %d", (int)dt);
}

/* Scalar::to<float>() (float32, bfloat16, float16 and the quantized types all compute
 * with a float slope) refuses finite values beyond FLT_MAX; NaN and +-inf pass. */
static lrelu_status torch_float_slope(double slope, lrelu_dtype dt)
{
	if (isfinite(slope) && fabs(slope) > FLT_MAX)
		return lrelu_fail(LRELU_ERR_SLOPE,
		                  "value cannot be converted to type float without overflow "
		                  "(negative_slope=%.17g, dtype %s)",
		                  slope, lrelu_dtype_name(dt));
	return LRELU_OK;
}

static lrelu_status prepare_slope(lrelu_framework fw, double slope, lrelu_dtype dt,
                                  struct lrelu_kparams *p)
{
	p->qtab_body = p->qtab_tail = NULL;
	p->nt = 0;
	switch (fw) {
	case LRELU_TORCH:
		if (dt != LRELU_FLOAT64 && torch_float_slope(slope, dt) != LRELU_OK)
			return LRELU_ERR_SLOPE;
		p->s64 = slope;
		p->s32 = dt == LRELU_FLOAT64 ? 0.0f : lrelu_d2f(slope);
		return LRELU_OK;
	case LRELU_MINDSPORE:
	case LRELU_ONNX:
	case LRELU_TENSORFLOW:
		/* MindSpore: scalar_to_tensor(alpha) is a float32 tensor, then Cast to x's
		 * dtype.  ONNX and TF: alpha is a FLOAT attribute cast to T. */
		cast_float_slope(lrelu_d2f(slope), dt, p);
		return LRELU_OK;
	case LRELU_JAX:
		/* negative_slope * x with a weakly typed Python float: it takes x's dtype.
		 * In JAX's default 32-bit mode the float is a float32 first (then the 16-bit
		 * cast); float64 arrays exist only under jax_enable_x64, where it stays a
		 * double. */
		cast_float_slope(lrelu_d2f(slope), dt, p);
		if (dt == LRELU_FLOAT64)
			p->s64 = slope;
		return LRELU_OK;
	case LRELU_ONNXRUNTIME:
		/* `(T)alpha * x` with alpha a float member and T = float, the one type its
		 * CPU kernel is registered for (ort_dtype refused the others). */
		cast_float_slope(lrelu_d2f(slope), dt, p);
		return LRELU_OK;
	}
	return lrelu_fail(LRELU_ERR_ARG, "unknown framework %d", (int)fw);
}

/* ONNX Runtime's CPU provider registers LeakyRelu for tensor(float) alone; a model with
 * another T fails at session creation with NOT_IMPLEMENTED. */
static lrelu_status ort_dtype(lrelu_dtype dt)
{
	if (dt == LRELU_FLOAT32)
		return LRELU_OK;
	return lrelu_fail(LRELU_ERR_DTYPE,
	                  "onnxruntime's CPU LeakyRelu kernel is registered for tensor(float) "
	                  "only: for %s ONNX Runtime reports NOT_IMPLEMENTED (Could not find an "
	                  "implementation for LeakyRelu node); framework onnx gives the ONNX "
	                  "specification's bits for every float dtype",
	                  lrelu_dtype_name(dt));
}

lrelu_status lrelu_prepare_forward(lrelu_framework fw, double slope, lrelu_dtype dt,
                                   struct lrelu_kparams *p, enum lrelu_rule *rule)
{
	lrelu_status st = check_float_dtype(dt);
	if (st == LRELU_OK && fw == LRELU_ONNXRUNTIME)
		st = ort_dtype(dt);
	if (st != LRELU_OK)
		return st;
	st = prepare_slope(fw, slope, dt, p);
	if (st != LRELU_OK)
		return st;
	switch (fw) {
	case LRELU_TORCH:
	case LRELU_TENSORFLOW:
		*rule = RULE_GT;
		break;
	case LRELU_ONNX:
		*rule = RULE_LT;
		break;
	case LRELU_JAX:
	case LRELU_ONNXRUNTIME:
		/* where(x >= 0, x, s*x) / Eigen's (x >= 0).select(x, alpha * x): RULE_LT's
		 * bits except that a NaN x takes the product (quieted) instead of itself. */
		*rule = RULE_GE;
		break;
	default:
		/* The branch is chosen on the Python scalar, so a NaN alpha takes Maximum. */
		*rule = slope > 1.0 ? RULE_MIN : RULE_MAX;
		break;
	}
	return LRELU_OK;
}

/* slope >= 0.0 in IEEE arithmetic: +0, -0 and everything positive; not NaN. */
static int slope_nonnegative(double slope)
{
	uint64_t u = lrelu_f64_bits(slope), a = u & 0x7FFFFFFFFFFFFFFFull;
	return a <= 0x7FF0000000000000ull && ((u >> 63) == 0 || a == 0);
}

lrelu_status lrelu_prepare_backward(lrelu_framework fw, double slope, lrelu_dtype dt,
                                    int self_is_result, struct lrelu_kparams *p,
                                    enum lrelu_brule *rule)
{
	lrelu_status st = check_float_dtype(dt);
	if (st != LRELU_OK)
		return st;
	switch (fw) {
	case LRELU_TORCH:
		/* TORCH_META_FUNC(leaky_relu_backward): negval.to<double>() >= 0.0, so a NaN
		 * slope is refused too.  Tested on the bits: a compare would see a negative
		 * subnormal slope as zero under the caller's DAZ (no guard here, see api.c). */
		if (self_is_result && !slope_nonnegative(slope))
			return lrelu_fail(
				LRELU_ERR_INPLACE,
				"In-place leakyReLu backward calculation is triggered with a negative slope "
				"which is not supported. This is caused by calling in-place forward function "
				"with a negative slope, please call out-of-place version instead. File an "
				"issue at https://github.com/pytorch/pytorch if you do require supporting "
				"in-place leakRelu backward calculation with negative slope "
				"(negative_slope=%.17g)",
				slope);
		*rule = BRULE_GT;
		break;
	case LRELU_MINDSPORE:
		if (self_is_result)
			return lrelu_fail(LRELU_ERR_INPLACE,
			                  "mindspore.nn.LeakyReLU has no in-place forward, so its "
			                  "gradient is always taken from the input x, not the result");
		*rule = slope > 1.0 ? BRULE_MIN : BRULE_MAX;
		break;
	case LRELU_TENSORFLOW:
		if (self_is_result)
			return lrelu_fail(LRELU_ERR_INPLACE,
			                  "tf.nn.leaky_relu has no in-place form; LeakyReluGrad takes "
			                  "the features (the input)");
		*rule = BRULE_GT;
		break;
	case LRELU_JAX:
		if (self_is_result)
			return lrelu_fail(LRELU_ERR_INPLACE,
			                  "jax.nn.leaky_relu has no in-place form (JAX arrays are "
			                  "immutable); its gradient takes the input x");
		*rule = BRULE_GE;
		break;
	case LRELU_ONNX:
		return lrelu_fail(LRELU_ERR_UNSUPPORTED,
		                  "ONNX LeakyRelu defines no gradient (an inference operator)");
	case LRELU_ONNXRUNTIME:
		return lrelu_fail(LRELU_ERR_UNSUPPORTED,
		                  "onnxruntime's LeakyRelu is an inference kernel: the ONNX "
		                  "operator defines no gradient");
	default:
		return lrelu_fail(LRELU_ERR_ARG, "unknown framework %d", (int)fw);
	}
	return prepare_slope(fw, slope, dt, p);
}

/* Quantized LeakyReLU exists in PyTorch only (quantized::leaky_relu). */
lrelu_status lrelu_quant_rules(lrelu_framework fw, double slope, lrelu_dtype dt)
{
	if (fw != LRELU_TORCH)
		return lrelu_fail(LRELU_ERR_DTYPE,
		                  "quantized (%s) LeakyReLU follows PyTorch only; framework %s has "
		                  "no such operator here (use LRELU_TORCH)",
		                  lrelu_dtype_name(dt), lrelu_framework_name(fw));
	if (isnan(slope))
		return lrelu_fail(LRELU_ERR_QPARAM,
		                  "negative_slope is NaN: PyTorch turns every code at or below the "
		                  "zero point into qmax or qmin depending on position");
	return torch_float_slope(slope, dt);
}

/* names.c - the names of dtypes and frameworks, both ways: below every other layer */
#include <stddef.h>
#include <string.h>

#include "internal.h"

const char *lrelu_dtype_name(lrelu_dtype dt)
{
	switch (dt) {
	case LRELU_FLOAT32:
		return "float32";
	case LRELU_FLOAT64:
		return "float64";
	case LRELU_BFLOAT16:
		return "bfloat16";
	case LRELU_FLOAT16:
		return "float16";
	case LRELU_QINT8:
		return "qint8";
	case LRELU_QUINT8:
		return "quint8";
	}
	return "?";
}

const char *lrelu_framework_name(lrelu_framework fw)
{
	switch (fw) {
	case LRELU_TORCH:
		return "torch";
	case LRELU_MINDSPORE:
		return "mindspore";
	case LRELU_ONNX:
		return "onnx";
	case LRELU_TENSORFLOW:
		return "tensorflow";
	case LRELU_JAX:
		return "jax";
	case LRELU_ONNXRUNTIME:
		return "onnxruntime";
	}
	return "?";
}

/* The names the command and the Python package accept: the canonical ones first, then
 * the aliases, in one table so that the lookup and its message cannot drift apart. */
static const struct {
	const char *name;
	lrelu_framework fw;
} framework_names[] = {
	{ "torch", LRELU_TORCH },           { "mindspore", LRELU_MINDSPORE },
	{ "onnx", LRELU_ONNX },             { "tensorflow", LRELU_TENSORFLOW },
	{ "jax", LRELU_JAX },               { "onnxruntime", LRELU_ONNXRUNTIME },
	{ "pytorch", LRELU_TORCH },         { "tf", LRELU_TENSORFLOW },
	{ "ort", LRELU_ONNXRUNTIME },
};

lrelu_status lrelu_framework_from_name(const char *name, lrelu_framework *out)
{
	if (name == NULL || out == NULL)
		return lrelu_fail(LRELU_ERR_ARG, "%s is NULL", name == NULL ? "framework name" : "out");
	for (size_t i = 0; i < sizeof framework_names / sizeof framework_names[0]; i++)
		if (strcmp(name, framework_names[i].name) == 0) {
			*out = framework_names[i].fw;
			return LRELU_OK;
		}
	return lrelu_fail(LRELU_ERR_ARG,
	                  "unknown framework \"%.64s\": valid names are torch, mindspore, onnx, "
	                  "tensorflow, jax, onnxruntime, and the aliases pytorch (torch), "
	                  "tf (tensorflow) and ort (onnxruntime)",
	                  name);
}

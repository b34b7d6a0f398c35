/* _lrelu.c - the lrelu Python extension: NumPy arrays (buffer protocol) and PyTorch CPU tensors through include/lrelu.h */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lrelu.h"

/*
 * Written against the public header only, as python-zstandard is over zstd: the library
 * is linked statically and every symbol but PyInit__lrelu stays hidden (_lrelu.map).
 *
 * Two kinds of operand reach the library without a copy:
 *  - anything exporting a buffer (NumPy arrays): PyObject_GetBuffer gives the pointer
 *    to element (0, ..., 0), the shape and byte strides of any sign;
 *  - torch.Tensor, read through its Python attributes (dtype, is_cpu, data_ptr(),
 *    shape, stride()).  The extension never links torch; it looks for it in
 *    sys.modules, so that `import lrelu` never imports it.
 * A write into a tensor bumps its version counter first (see bump_version), and a
 * tensor that needs autograd is handed to lrelu.torch's autograd Function.
 */

/* A call that moves at least this many bytes (read + written) runs with the GIL
 * released: below it, dropping and retaking the GIL costs a noticeable share of the
 * call and gains other threads little. */
#define GIL_MIN_BYTES ((size_t)64 * 1024)

static PyObject *Error; /* lrelu.Error(ValueError, RuntimeError) */

/* Interned names, compared by pointer first when parsing keywords. */
static PyObject *s_x, *s_grad, *s_negative_slope, *s_framework, *s_dtype, *s_out, *s_inplace,
	*s_x_is_result, *s_requires_grad, *s_is_cpu, *s_layout, *s_data_ptr, *s_shape, *s_stride,
	*s_copy_, *s_q_scale, *s_q_zero_point, *s_qscheme, *s_device, *s_apply, *s_name,
	*s_is_contiguous;

/* torch's objects, looked up once torch has been imported by the program. */
static struct {
	bool loaded;
	PyObject *Tensor;
	PyObject *dtypes[6]; /* indexed by lrelu_dtype */
	PyObject *strided;
	PyObject *per_tensor_affine;
	PyObject *empty_like;
	PyObject *is_grad_enabled;
	PyObject *fwd_apply;  /* lrelu.torch.LreluLeakyRelu.apply, loaded on first autograd use */
	PyObject *bwd_apply;  /* lrelu.torch.LreluLeakyReluGrad.apply */
	PyObject *qprepare;   /* lrelu.torch._quantized_prepare */
	/* torch._C._TensorBase's own descriptors, called directly: an attribute lookup
	 * through torch.Tensor's MRO and instance dict costs as much as the call. */
	PyObject *g_dtype, *g_is_cpu, *g_shape, *g_requires_grad; /* getset descriptors */
	PyObject *m_data_ptr, *m_stride, *m_copy_, *m_is_contiguous; /* method descriptors */
} T;

static PyObject *np_empty_like; /* numpy.empty_like, loaded on the first allocation */

/* module.name, imported on first use and kept in *slot (borrowed; NULL on error). */
static PyObject *cached_attr(PyObject **slot, const char *module, const char *name)
{
	if (*slot == NULL) {
		PyObject *mod = PyImport_ImportModule(module);
		if (mod == NULL)
			return NULL;
		*slot = PyObject_GetAttrString(mod, name);
		Py_DECREF(mod);
	}
	return *slot;
}

/* ---- arguments ---------------------------------------------------------------------- */

/* Parses FASTCALL arguments into slots[0..n): the first npos may be positional, the rest
 * are keyword-only.  Slots not given stay NULL; the first nreq are required. */
static int parse_args(const char *fname, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                      PyObject *const *names, int n, int npos, int nreq, PyObject **slots)
{
	if (nargs > npos) {
		PyErr_Format(PyExc_TypeError, "%s() takes at most %d positional arguments (%zd given)",
		             fname, npos, nargs);
		return -1;
	}
	for (Py_ssize_t i = 0; i < nargs; i++)
		slots[i] = args[i];
	Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
	for (Py_ssize_t k = 0; k < nkw; k++) {
		PyObject *key = PyTuple_GET_ITEM(kwnames, k);
		int i;
		for (i = 0; i < n; i++)
			if (key == names[i])
				break;
		if (i == n)
			for (i = 0; i < n; i++)
				if (PyUnicode_Compare(key, names[i]) == 0)
					break;
		if (i == n) {
			PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", fname, key);
			return -1;
		}
		if (slots[i] != NULL) {
			PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%U'", fname, key);
			return -1;
		}
		slots[i] = args[nargs + k];
	}
	for (int i = 0; i < nreq; i++)
		if (slots[i] == NULL) {
			PyErr_Format(PyExc_TypeError, "%s() missing required argument '%U'", fname, names[i]);
			return -1;
		}
	return 0;
}

/* The names the command accepts for --framework (the library's own table); an error
 * names the argument. */
static int parse_framework_arg(PyObject *obj, const char *name, lrelu_framework dflt,
                               lrelu_framework *fw)
{
	if (obj == NULL) {
		*fw = dflt;
		return 0;
	}
	if (!PyUnicode_Check(obj)) {
		PyErr_Format(PyExc_TypeError, "%s must be a str, not %.200s", name, Py_TYPE(obj)->tp_name);
		return -1;
	}
	const char *s = PyUnicode_AsUTF8(obj);
	if (s == NULL)
		return -1;
	if (strlen(s) == (size_t)PyUnicode_GET_LENGTH(obj) && lrelu_framework_from_name(s, fw) == LRELU_OK)
		return 0;
	PyErr_Format(Error,
	             "%s: '%.100s' is not one of 'torch', 'mindspore', 'onnx', 'tensorflow', "
	             "'jax', 'onnxruntime' (aliases 'pytorch', 'tf', 'ort')",
	             name, s);
	return -1;
}

static int parse_framework(PyObject *obj, lrelu_framework *fw)
{
	return parse_framework_arg(obj, "framework", LRELU_TORCH, fw);
}

/* A real number (int, float, NumPy scalar...); not a str or bytes. */
static int parse_real(PyObject *obj, const char *name, double *v)
{
	if (PyFloat_CheckExact(obj)) {
		*v = PyFloat_AS_DOUBLE(obj);
		return 0;
	}
	if (PyUnicode_Check(obj) || PyBytes_Check(obj) || !(PyNumber_Check(obj) || PyIndex_Check(obj))) {
		PyErr_Format(PyExc_TypeError, "%s must be a real number, not %.200s", name,
		             Py_TYPE(obj)->tp_name);
		return -1;
	}
	double d = PyFloat_AsDouble(obj);
	if (d == -1.0 && PyErr_Occurred())
		return -1;
	*v = d;
	return 0;
}

static int parse_slope(PyObject *obj, lrelu_framework fw, double *slope)
{
	if (obj == NULL || obj == Py_None) {
		*slope = lrelu_default_slope(fw);
		return 0;
	}
	return parse_real(obj, "negative_slope", slope);
}

/* dtype=: a name ("bfloat16"), a NumPy dtype or type, or a torch dtype.  -1 if None. */
static int parse_dtype(PyObject *obj, int *dt)
{
	static const char *const names[] = {"float32", "float64", "bfloat16", "float16"};
	*dt = -1;
	if (obj == NULL || obj == Py_None)
		return 0;
	PyObject *str;
	if (PyUnicode_Check(obj)) {
		str = obj;
		Py_INCREF(str);
	} else if (PyType_Check(obj)) {
		str = PyObject_GetAttrString(obj, "__name__"); /* numpy.float32 */
	} else if (T.loaded && Py_IS_TYPE(obj, Py_TYPE(T.dtypes[0]))) {
		str = PyObject_Str(obj); /* torch.float32 */
	} else {
		str = PyObject_GetAttr(obj, s_name); /* numpy.dtype('float32') */
		if (str == NULL)
			PyErr_Clear();
	}
	if (str == NULL || !PyUnicode_Check(str)) {
		Py_XDECREF(str);
		PyErr_Format(PyExc_TypeError, "dtype must be a str such as 'bfloat16', not %.200s",
		             Py_TYPE(obj)->tp_name);
		return -1;
	}
	const char *s = PyUnicode_AsUTF8(str);
	if (s == NULL) {
		Py_DECREF(str);
		return -1;
	}
	if (strncmp(s, "torch.", 6) == 0)
		s += 6;
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			*dt = i;
	if (*dt < 0) {
		PyErr_Format(Error, "dtype: '%.100s' is not one of 'float32', 'float64', 'bfloat16', 'float16'", s);
		Py_DECREF(str);
		return -1;
	}
	Py_DECREF(str);
	return 0;
}

/* The arguments leaky_relu and leaky_relu_backward share: negative_slope, framework,
 * dtype, and a boolean (inplace / x_is_result). */
static int decode_common(PyObject *s, PyObject *f, PyObject *d, PyObject *flag, lrelu_framework *fw,
                         double *slope, int *override, int *flag_value)
{
	if (parse_framework(f, fw) < 0 || parse_slope(s, *fw, slope) < 0 || parse_dtype(d, override) < 0)
		return -1;
	*flag_value = flag == NULL ? 0 : PyObject_IsTrue(flag);
	return *flag_value < 0 ? -1 : 0;
}

static int set_status_error(lrelu_status st, const char *msg)
{
	PyErr_SetString(st == LRELU_ERR_NOMEM ? PyExc_MemoryError : Error, msg);
	return -1;
}

/* ---- torch -------------------------------------------------------------------------- */

/* dict[name] if it is a descriptor of the given type (else NULL: the generic path). */
static PyObject *descriptor(PyObject *dict, const char *name, PyTypeObject *type)
{
	PyObject *d = PyDict_GetItemString(dict, name);
	if (d == NULL || !Py_IS_TYPE(d, type))
		return NULL;
	Py_INCREF(d);
	return d;
}

static int load_torch(void)
{
	static const char *const dnames[6] = {"float32", "float64", "bfloat16", "float16", "qint8", "quint8"};
	PyObject *torch = PyImport_ImportModule("torch");
	if (torch == NULL)
		return -1;
	int rc = -1;
	T.Tensor = PyObject_GetAttrString(torch, "Tensor");
	if (T.Tensor == NULL)
		goto done;
	for (int i = 0; i < 6; i++)
		if ((T.dtypes[i] = PyObject_GetAttrString(torch, dnames[i])) == NULL)
			goto done;
	if ((T.strided = PyObject_GetAttrString(torch, "strided")) == NULL ||
	    (T.per_tensor_affine = PyObject_GetAttrString(torch, "per_tensor_affine")) == NULL ||
	    (T.empty_like = PyObject_GetAttrString(torch, "empty_like")) == NULL ||
	    (T.is_grad_enabled = PyObject_GetAttrString(torch, "is_grad_enabled")) == NULL)
		goto done;
	PyObject *c = PyObject_GetAttrString(torch, "_C");
	PyObject *base = c == NULL ? NULL : PyObject_GetAttrString(c, "_TensorBase");
	Py_XDECREF(c);
	if (base != NULL && PyType_Check(base)) {
		PyObject *dict = ((PyTypeObject *)base)->tp_dict;
		T.g_dtype = descriptor(dict, "dtype", &PyGetSetDescr_Type);
		T.g_is_cpu = descriptor(dict, "is_cpu", &PyGetSetDescr_Type);
		T.g_shape = descriptor(dict, "shape", &PyGetSetDescr_Type);
		T.g_requires_grad = descriptor(dict, "requires_grad", &PyGetSetDescr_Type);
		T.m_data_ptr = descriptor(dict, "data_ptr", &PyMethodDescr_Type);
		T.m_stride = descriptor(dict, "stride", &PyMethodDescr_Type);
		T.m_copy_ = descriptor(dict, "copy_", &PyMethodDescr_Type);
		T.m_is_contiguous = descriptor(dict, "is_contiguous", &PyMethodDescr_Type);
	}
	Py_XDECREF(base);
	T.loaded = true;
	rc = 0;
done:
	Py_DECREF(torch);
	return rc;
}

/* Loads the autograd Functions and helpers of lrelu.torch. */
static int load_glue(void)
{
	if (T.fwd_apply != NULL)
		return 0;
	PyObject *mod = PyImport_ImportModule("lrelu.torch");
	if (mod == NULL)
		return -1;
	PyObject *f = PyObject_GetAttrString(mod, "LreluLeakyRelu");
	PyObject *b = PyObject_GetAttrString(mod, "LreluLeakyReluGrad");
	PyObject *q = PyObject_GetAttrString(mod, "_quantized_prepare");
	Py_DECREF(mod);
	if (f == NULL || b == NULL || q == NULL)
		goto fail;
	T.fwd_apply = PyObject_GetAttr(f, s_apply);
	T.bwd_apply = PyObject_GetAttr(b, s_apply);
	Py_DECREF(f);
	Py_DECREF(b);
	if (T.fwd_apply == NULL || T.bwd_apply == NULL) {
		Py_CLEAR(T.fwd_apply);
		Py_CLEAR(T.bwd_apply);
		Py_DECREF(q);
		return -1;
	}
	T.qprepare = q;
	return 0;
fail:
	Py_XDECREF(f);
	Py_XDECREF(b);
	Py_XDECREF(q);
	return -1;
}

static int grad_enabled(void)
{
	PyObject *r = PyObject_CallNoArgs(T.is_grad_enabled);
	if (r == NULL)
		return -1;
	int on = r == Py_True;
	Py_DECREF(r);
	return on;
}

/* PyTorch 1.13 has no public way to bump a version counter; an in-place copy of a
 * tensor onto itself bumps it, copies nothing, and refuses exactly where PyTorch's own
 * in-place ops refuse (a leaf that requires grad, an inference tensor). */
static int bump_version(PyObject *t)
{
	PyObject *args[2] = {t, t};
	PyObject *r = T.m_copy_ != NULL ? PyObject_Vectorcall(T.m_copy_, args, 2, NULL)
	                                : PyObject_CallMethodOneArg(t, s_copy_, t);
	if (r == NULL)
		return -1;
	Py_DECREF(r);
	return 0;
}

/* ---- operands ----------------------------------------------------------------------- */

typedef struct operand {
	lrelu_tensor t;
	int64_t shape[LRELU_MAX_DIMS];
	int64_t strides[LRELU_MAX_DIMS];
	Py_buffer view;
	bool has_view;
	bool tensor;        /* a torch.Tensor */
	bool requires_grad; /* tensors only */
	bool readonly;      /* buffers only */
	bool misaligned;    /* buffers only: data not aligned to its element size */
	size_t count;
} operand;

static void op_release(operand *op)
{
	if (op->has_view) {
		PyBuffer_Release(&op->view);
		op->has_view = false;
	}
}

static const char *npy_name(lrelu_dtype dt)
{
	return dt == LRELU_FLOAT32 ? "float32" : dt == LRELU_FLOAT64 ? "float64" : "float16";
}

/* A buffer exporter (NumPy array).  override: a dtype= for 16-bit integer arrays. */
static int op_buffer(PyObject *obj, const char *name, int override, operand *op)
{
	if (PyObject_GetBuffer(obj, &op->view, PyBUF_RECORDS_RO) < 0)
		return -1;
	op->has_view = true;
	op->readonly = op->view.readonly != 0;
	const char *f = op->view.format == NULL ? "B" : op->view.format;
	bool swapped = false;
	if (*f == '@' || *f == '=') {
		f++;
	} else if (*f == '<' || *f == '>' || *f == '!') {
#if PY_LITTLE_ENDIAN
		swapped = *f != '<';
#else
		swapped = *f == '<';
#endif
		f++;
	}
	int dt = -1;
	size_t size = 0;
	if (f[0] != '\0' && f[1] == '\0') {
		switch (f[0]) {
		case 'f':
			dt = LRELU_FLOAT32, size = 4;
			break;
		case 'd':
			dt = LRELU_FLOAT64, size = 8;
			break;
		case 'e':
			dt = LRELU_FLOAT16, size = 2;
			break;
		case 'H':
		case 'h':
			if (override == LRELU_BFLOAT16 || override == LRELU_FLOAT16) {
				dt = override, size = 2;
			} else {
				PyErr_Format(Error,
				             "%s: a %s array: pass dtype='bfloat16' (or 'float16') to say "
				             "which 16-bit floats its bits hold",
				             name, f[0] == 'H' ? "uint16" : "int16");
				return -1;
			}
			break;
		}
	}
	if (dt < 0 || (Py_ssize_t)size != op->view.itemsize) {
		PyErr_Format(Error,
		             "%s: an array of format '%.20s' (itemsize %zd) is not supported: lrelu "
		             "takes float32, float64, float16, or uint16/int16 bits with "
		             "dtype='bfloat16'",
		             name, op->view.format == NULL ? "B" : op->view.format, op->view.itemsize);
		return -1;
	}
	if (override >= 0 && override != dt) {
		PyErr_Format(Error, "%s: dtype='%s' does not match the array's dtype %s", name,
		             lrelu_dtype_name((lrelu_dtype)override), npy_name((lrelu_dtype)dt));
		return -1;
	}
	if (swapped) {
		PyErr_Format(Error,
		             "%s: the array is not in the machine's byte order (format '%.20s'); "
		             "convert it first, e.g. x.astype(x.dtype.newbyteorder('='))",
		             name, op->view.format);
		return -1;
	}
	if (op->view.ndim > LRELU_MAX_DIMS) {
		PyErr_Format(Error, "%s: %d dimensions, lrelu takes at most %d", name, op->view.ndim,
		             LRELU_MAX_DIMS);
		return -1;
	}
	size_t count = 1;
	for (int d = 0; d < op->view.ndim; d++) {
		Py_ssize_t len = op->view.shape[d];
		Py_ssize_t st = op->view.strides == NULL ? 0 : op->view.strides[d];
		if (len > 1 && st % (Py_ssize_t)size != 0) {
			PyErr_Format(Error,
			             "%s: stride %zd of dimension %d is not a multiple of the %zu-byte "
			             "element size",
			             name, st, d, size);
			return -1;
		}
		op->shape[d] = len;
		op->strides[d] = st % (Py_ssize_t)size == 0 ? st / (Py_ssize_t)size : 0;
		count *= (size_t)len;
	}
	op->t = lrelu_tensor_make(op->view.buf, (lrelu_dtype)dt, op->view.ndim, op->shape,
	                          op->view.strides == NULL ? NULL : op->strides);
	op->count = count;
	op->tensor = false;
	op->misaligned = count > 0 && (uintptr_t)op->view.buf % size != 0;
	return 0;
}

/* Reads a tuple of ints (torch.Size, stride()) into v. */
static int int_tuple(PyObject *tup, int64_t *v, int *n, const char *name, const char *what)
{
	if (!PyTuple_Check(tup)) {
		PyErr_Format(PyExc_TypeError, "%s: %s is not a tuple", name, what);
		return -1;
	}
	Py_ssize_t len = PyTuple_GET_SIZE(tup);
	if (len > LRELU_MAX_DIMS) {
		PyErr_Format(Error, "%s: %zd dimensions, lrelu takes at most %d", name, len, LRELU_MAX_DIMS);
		return -1;
	}
	for (Py_ssize_t i = 0; i < len; i++) {
		long long x = PyLong_AsLongLong(PyTuple_GET_ITEM(tup, i));
		if (x == -1 && PyErr_Occurred())
			return -1;
		v[i] = x;
	}
	*n = (int)len;
	return 0;
}

static PyObject *attr(PyObject *obj, PyObject *name, PyObject *getset)
{
	if (getset != NULL)
		return Py_TYPE(getset)->tp_descr_get(getset, obj, (PyObject *)Py_TYPE(obj));
	return PyObject_GetAttr(obj, name);
}

static PyObject *call0(PyObject *obj, PyObject *name, PyObject *method)
{
	if (method != NULL)
		return PyObject_Vectorcall(method, &obj, 1, NULL);
	return PyObject_CallMethodNoArgs(obj, name);
}

/* A torch.Tensor: dtype, device, layout, data pointer, shape, strides. */
static int op_tensor(PyObject *obj, const char *name, int override, operand *op)
{
	PyObject *v = NULL;
	int dt = -1, nd = 0, ns = 0;
	op->tensor = true;
	if ((v = attr(obj, s_dtype, T.g_dtype)) == NULL)
		return -1;
	for (int i = 0; i < 6; i++)
		if (v == T.dtypes[i])
			dt = i;
	if (dt < 0) {
		PyErr_Format(Error,
		             "%s: dtype %S is not supported: lrelu takes torch.float32, float64, "
		             "bfloat16, float16, quint8 and qint8",
		             name, v);
		Py_DECREF(v);
		return -1;
	}
	Py_DECREF(v);
	if (override >= 0 && override != dt) {
		PyErr_Format(Error, "%s: dtype='%s' does not match the tensor's dtype torch.%s", name,
		             lrelu_dtype_name((lrelu_dtype)override), lrelu_dtype_name((lrelu_dtype)dt));
		return -1;
	}
	if ((v = attr(obj, s_is_cpu, T.g_is_cpu)) == NULL)
		return -1;
	if (v != Py_True) {
		Py_DECREF(v);
		PyObject *dev = attr(obj, s_device, NULL);
		if (dev != NULL) {
			PyErr_Format(Error,
			             "%s: a tensor on device '%S': lrelu computes on CPU tensors only "
			             "(move it with .cpu())",
			             name, dev);
			Py_DECREF(dev);
		}
		return -1;
	}
	Py_DECREF(v);
	if ((v = call0(obj, s_data_ptr, T.m_data_ptr)) == NULL) {
		/* sparse and mkldnn tensors have no data pointer: say why */
		PyObject *type, *value, *tb;
		PyErr_Fetch(&type, &value, &tb);
		PyObject *layout = attr(obj, s_layout, NULL);
		if (layout != NULL && layout != T.strided) {
			PyErr_Format(Error, "%s: a tensor of layout %S: lrelu takes strided (dense) tensors only",
			             name, layout);
			Py_XDECREF(type);
			Py_XDECREF(value);
			Py_XDECREF(tb);
		} else {
			PyErr_Restore(type, value, tb);
		}
		Py_XDECREF(layout);
		return -1;
	}
	void *data = PyLong_AsVoidPtr(v);
	Py_DECREF(v);
	if (data == NULL && PyErr_Occurred())
		return -1;
	if ((v = attr(obj, s_shape, T.g_shape)) == NULL)
		return -1;
	int rc = int_tuple(v, op->shape, &nd, name, "shape");
	Py_DECREF(v);
	if (rc < 0)
		return -1;
	/* is_contiguous() costs less than stride() and answers for most tensors. */
	if ((v = call0(obj, s_is_contiguous, T.m_is_contiguous)) == NULL)
		return -1;
	bool contiguous = v == Py_True;
	Py_DECREF(v);
	if (!contiguous) {
		if ((v = call0(obj, s_stride, T.m_stride)) == NULL)
			return -1;
		rc = int_tuple(v, op->strides, &ns, name, "stride()");
		Py_DECREF(v);
		if (rc < 0)
			return -1;
	}
	if ((v = attr(obj, s_requires_grad, T.g_requires_grad)) == NULL)
		return -1;
	op->requires_grad = v == Py_True;
	Py_DECREF(v);
	op->t = lrelu_tensor_make(data, (lrelu_dtype)dt, nd, op->shape, contiguous ? NULL : op->strides);
	op->count = 1;
	for (int d = 0; d < nd; d++)
		op->count *= (size_t)op->shape[d];
	if (dt == LRELU_QINT8 || dt == LRELU_QUINT8) {
		if ((v = call0(obj, s_qscheme, NULL)) == NULL)
			return -1;
		if (v != T.per_tensor_affine) {
			PyErr_Format(Error, "%s: quantization scheme %S: lrelu takes torch.per_tensor_affine only",
			             name, v);
			Py_DECREF(v);
			return -1;
		}
		Py_DECREF(v);
		if ((v = call0(obj, s_q_scale, NULL)) == NULL)
			return -1;
		op->t.scale = PyFloat_AsDouble(v);
		Py_DECREF(v);
		if ((v = call0(obj, s_q_zero_point, NULL)) == NULL)
			return -1;
		op->t.zero_point = (int32_t)PyLong_AsLong(v);
		Py_DECREF(v);
		if (PyErr_Occurred())
			return -1;
	}
	return 0;
}

/* A tensor torch.empty_like(x) just made: x's dtype, shape and device, no grad; only
 * where it lives and its strides (x's, or contiguous) are read. */
static int op_fresh_tensor(PyObject *obj, const operand *x, operand *op)
{
	PyObject *v;
	int ns = 0;
	*op = *x;
	op->has_view = false;
	op->requires_grad = false;
	if ((v = call0(obj, s_data_ptr, T.m_data_ptr)) == NULL)
		return -1;
	op->t.data = PyLong_AsVoidPtr(v);
	Py_DECREF(v);
	if (op->t.data == NULL && PyErr_Occurred())
		return -1;
	op->t.shape = op->shape;
	if (x->t.strides == NULL) { /* empty_like keeps a contiguous x's layout */
		op->t.strides = NULL;
		return 0;
	}
	if ((v = call0(obj, s_stride, T.m_stride)) == NULL)
		return -1;
	int rc = int_tuple(v, op->strides, &ns, "out", "stride()");
	Py_DECREF(v);
	if (rc < 0)
		return -1;
	if (ns != x->t.ndim) {
		PyErr_SetString(Error, "out: torch.empty_like gave another rank");
		return -1;
	}
	op->t.strides = op->strides;
	return 0;
}

/* torch is looked up only when an operand is no buffer and the program imported torch. */
static int torch_type_check(PyObject *obj)
{
	if (!T.loaded) {
		PyObject *name = PyUnicode_InternFromString("torch");
		if (name == NULL)
			return -1;
		PyObject *mod = PyImport_GetModule(name);
		Py_DECREF(name);
		if (mod == NULL)
			return PyErr_Occurred() ? -1 : 0;
		Py_DECREF(mod);
		if (load_torch() < 0)
			return -1;
	}
	return PyObject_TypeCheck(obj, (PyTypeObject *)T.Tensor);
}

static int op_get(PyObject *obj, const char *name, int override, operand *op)
{
	op->has_view = false;
	op->requires_grad = false;
	op->readonly = false;
	op->misaligned = false;
	if (PyObject_CheckBuffer(obj))
		return op_buffer(obj, name, override, op);
	int r = torch_type_check(obj);
	if (r < 0)
		return -1;
	if (r)
		return op_tensor(obj, name, override, op);
	PyErr_Format(PyExc_TypeError, "%s must be a NumPy array or a PyTorch tensor, not %.200s", name,
	             Py_TYPE(obj)->tp_name);
	return -1;
}

/* An operand's shape as a tuple of ints (NULL on error). */
static PyObject *shape_tuple(const operand *op)
{
	PyObject *t = PyTuple_New(op->t.ndim);
	for (int d = 0; t != NULL && d < op->t.ndim; d++) {
		PyObject *v = PyLong_FromLongLong(op->shape[d]);
		if (v == NULL)
			Py_CLEAR(t);
		else
			PyTuple_SET_ITEM(t, d, v);
	}
	return t;
}

/* The same dtype and shape as the reference operand. */
static int op_match_layout(const operand *ref, const char *rname, const operand *op, const char *name)
{
	if (op->t.dtype != ref->t.dtype) {
		PyErr_Format(Error, "%s: dtype %s does not match %s's dtype %s", name,
		             lrelu_dtype_name(op->t.dtype), rname, lrelu_dtype_name(ref->t.dtype));
		return -1;
	}
	bool same = op->t.ndim == ref->t.ndim;
	for (int d = 0; same && d < op->t.ndim; d++)
		same = op->shape[d] == ref->shape[d];
	if (!same) {
		PyObject *a = shape_tuple(op), *b = shape_tuple(ref);
		if (a != NULL && b != NULL)
			PyErr_Format(Error, "%s: shape %S does not match %s's shape %S", name, a, rname, b);
		Py_XDECREF(a);
		Py_XDECREF(b);
		return -1;
	}
	return 0;
}

/* out= (or a gradient) must be the same kind, dtype and shape as the reference operand. */
static int op_match(const operand *ref, const char *rname, const operand *op, const char *name)
{
	if (op->tensor != ref->tensor) {
		PyErr_Format(PyExc_TypeError, "%s must be a %s like %s", name,
		             ref->tensor ? "torch.Tensor" : "NumPy array", rname);
		return -1;
	}
	return op_match_layout(ref, rname, op, name);
}

static int op_writable(const operand *op, const char *name)
{
	if (op->readonly) {
		PyErr_Format(Error, "%s: the array is read-only", name);
		return -1;
	}
	return 0;
}

/* ---- the calls ---------------------------------------------------------------------- */

static int run_forward(lrelu_framework fw, double slope, const operand *x, const operand *y)
{
	lrelu_status st;
	size_t bytes = x->count * lrelu_dtype_size(x->t.dtype) * 2;
	if (bytes >= GIL_MIN_BYTES) {
		Py_BEGIN_ALLOW_THREADS
		st = lrelu_forward(fw, slope, &x->t, &y->t);
		Py_END_ALLOW_THREADS
	} else {
		st = lrelu_forward(fw, slope, &x->t, &y->t);
	}
	return st == LRELU_OK ? 0 : set_status_error(st, lrelu_last_error());
}

static int run_backward(lrelu_framework fw, double slope, const operand *dy, const operand *saved,
                        bool is_result, const operand *dx)
{
	lrelu_status st;
	size_t bytes = dy->count * lrelu_dtype_size(dy->t.dtype) * 3;
	if (bytes >= GIL_MIN_BYTES) {
		Py_BEGIN_ALLOW_THREADS
		st = lrelu_backward(fw, slope, &dy->t, &saved->t, is_result, &dx->t);
		Py_END_ALLOW_THREADS
	} else {
		st = lrelu_backward(fw, slope, &dy->t, &saved->t, is_result, &dx->t);
	}
	return st == LRELU_OK ? 0 : set_status_error(st, lrelu_last_error());
}

/* A new array or tensor laid out like obj (numpy.empty_like / torch.empty_like: the
 * strides of a dense input are kept, as both frameworks do for elementwise results). */
static PyObject *alloc_like(PyObject *obj, bool tensor)
{
	if (tensor)
		return PyObject_CallOneArg(T.empty_like, obj);
	if (cached_attr(&np_empty_like, "numpy", "empty_like") == NULL)
		return NULL;
	return PyObject_CallOneArg(np_empty_like, obj);
}

/*
 * The library takes element-aligned pointers.  An array whose data is not aligned (a
 * pickle protocol 5 frame, as Dask's workers receive them; np.frombuffer at an odd
 * offset) is read through an aligned copy and written through an aligned temporary.
 */
static PyObject *np_copyto;

static int realign_input(PyObject **obj, operand *op, const char *name, int override, PyObject **hold)
{
	if (!op->misaligned)
		return 0;
	PyObject *c = PyObject_CallMethod(*obj, "copy", NULL);
	if (c == NULL)
		return -1;
	op_release(op);
	Py_XSETREF(*hold, c);
	*obj = c;
	return op_get(c, name, override, op);
}

/* Copies tmp into the misaligned array dst. */
static int copy_back(PyObject *dst, PyObject *tmp)
{
	if (cached_attr(&np_copyto, "numpy", "copyto") == NULL)
		return -1;
	PyObject *r = PyObject_CallFunctionObjArgs(np_copyto, dst, tmp, NULL);
	Py_XDECREF(r);
	return r == NULL ? -1 : 0;
}

static const char *const OUT_GRAD_MSG =
	"%s(): functions with out=... arguments don't support automatic differentiation, "
	"but one of the arguments requires grad.";

static PyObject *call_apply(PyObject **fn, PyObject *const *a, size_t n)
{
	if (load_glue() < 0)
		return NULL;
	return PyObject_Vectorcall(*fn, a, n, NULL);
}

/* With grad mode on, hands the call to lrelu.torch's autograd Function *fn, with the
 * tensors first, then framework, slope and the flag (inplace / is_result).  Returns 1
 * with *result set, 0 when grad mode is off, -1 on error. */
static int autograd_route(const char *fname, PyObject **fn, PyObject *const *tensors, int n,
                          lrelu_framework fw, double slope, bool flag, PyObject *outobj,
                          PyObject **result)
{
	int g = grad_enabled();
	if (g <= 0)
		return g;
	if (outobj != NULL) {
		PyErr_Format(Error, OUT_GRAD_MSG, fname);
		return -1;
	}
	PyObject *cargs[5];
	for (int i = 0; i < n; i++)
		cargs[i] = tensors[i];
	cargs[n] = PyLong_FromLong((long)fw);
	cargs[n + 1] = PyFloat_FromDouble(slope);
	cargs[n + 2] = flag ? Py_True : Py_False;
	*result = cargs[n] == NULL || cargs[n + 1] == NULL ? NULL : call_apply(fn, cargs, (size_t)n + 3);
	Py_XDECREF(cargs[n]);
	Py_XDECREF(cargs[n + 1]);
	return *result == NULL ? -1 : 1;
}

static PyObject *fwd_names[6], *bwd_names[7];

PyDoc_STRVAR(leaky_relu_doc,
"leaky_relu(x, negative_slope=None, *, framework='torch', dtype=None, out=None, inplace=False)\n"
"--\n"
"\n"
"LeakyReLU of x, bit for bit as `framework` computes it.\n"
"\n"
"x: a NumPy array (float32, float64, float16; bfloat16 as a uint16 or int16 array\n"
"   with dtype='bfloat16') or a PyTorch CPU tensor (float32, float64, bfloat16,\n"
"   float16, quint8, qint8), of any shape and strides.  The data is not copied.\n"
"negative_slope: that framework's parameter (PyTorch's and JAX's negative_slope;\n"
"   MindSpore's, ONNX's, TensorFlow's and ONNX Runtime's alpha) with its rounding\n"
"   rules; None means the framework's default: 0.01 for 'torch', 'onnx', 'jax'\n"
"   and 'onnxruntime', 0.2 for 'mindspore' and 'tensorflow'.\n"
"framework: 'torch', 'mindspore', 'onnx', 'tensorflow', 'jax' or 'onnxruntime'\n"
"   (aliases 'pytorch', 'tf', 'ort'); 'onnxruntime' is float32 only and, as\n"
"   'onnx', has no gradient.\n"
"dtype: 'bfloat16' or 'float16' for 16-bit integer arrays holding those bits;\n"
"   otherwise it must match x.\n"
"out: an array or tensor of x's kind, dtype and shape to write into.\n"
"inplace: write into x (PyTorch's leaky_relu_); refused for read-only arrays and, as\n"
"   PyTorch refuses it, for a leaf tensor that requires grad.\n"
"\n"
"Returns out, x (in place) or a new array or tensor of x's kind and layout.  A tensor\n"
"that requires grad (with grad mode on) gets an autograd node whose backward is\n"
"lrelu's.  A write into a tensor bumps its version counter, as PyTorch's in-place ops\n"
"do.  Errors: lrelu.Error (a ValueError and a RuntimeError) naming the argument;\n"
"TypeError for arguments of the wrong Python type.");

/* The array path of leaky_relu: x is a buffer; out (or NULL) is where the result goes. */
static PyObject *array_forward(lrelu_framework fw, double slope, int override, PyObject *xin,
                               operand *x, PyObject *outobj, bool inplace)
{
	operand y;
	PyObject *result = NULL, *xhold = NULL, *tmp = NULL;
	y.has_view = false;
	if (inplace && op_writable(x, "x") < 0)
		goto fail;
	PyObject *target = inplace ? xin : outobj; /* written, or NULL */
	if (realign_input(&xin, x, "x", override, &xhold) < 0)
		goto fail;
	if (target != NULL) {
		if (!inplace && (op_get(target, "out", override, &y) < 0 || op_match(x, "x", &y, "out") < 0 ||
		                 op_writable(&y, "out") < 0))
			goto fail;
		if (inplace ? xhold == NULL : !y.misaligned) {
			if (run_forward(fw, slope, x, inplace ? x : &y) < 0)
				goto fail;
			op_release(&y);
			Py_XDECREF(xhold);
			Py_INCREF(target);
			return target;
		}
		op_release(&y);
		/* a misaligned target: computed into an aligned temporary, then copied */
		if ((tmp = alloc_like(xin, false)) == NULL || op_get(tmp, "out", override, &y) < 0 ||
		    run_forward(fw, slope, x, &y) < 0)
			goto fail;
		op_release(&y);
		if (copy_back(target, tmp) < 0)
			goto fail;
		Py_DECREF(tmp);
		Py_XDECREF(xhold);
		Py_INCREF(target);
		return target;
	}
	if ((result = alloc_like(xin, false)) == NULL || op_get(result, "out", override, &y) < 0 ||
	    op_match(x, "x", &y, "out") < 0 || run_forward(fw, slope, x, &y) < 0) {
		Py_CLEAR(result);
		goto fail;
	}
	op_release(&y);
	Py_XDECREF(xhold);
	return result;
fail:
	op_release(&y);
	Py_XDECREF(tmp);
	Py_XDECREF(xhold);
	return NULL;
}

/* The tensor path of leaky_relu. */
static PyObject *tensor_forward(lrelu_framework fw, double slope, PyObject *xin, operand *x,
                                PyObject *outobj, bool inplace)
{
	operand y;
	PyObject *result = NULL;
	y.has_view = false;
	if (x->requires_grad) {
		int r = autograd_route("leaky_relu", &T.fwd_apply, &xin, 1, fw, slope, inplace, outobj, &result);
		if (r != 0)
			return result;
	}
	if (inplace) {
		if (bump_version(xin) < 0 || run_forward(fw, slope, x, x) < 0)
			return NULL;
		Py_INCREF(xin);
		return xin;
	}
	if (outobj == NULL && (x->t.dtype == LRELU_QINT8 || x->t.dtype == LRELU_QUINT8)) {
		/* PyTorch's out-of-place quantized op computes on x made contiguous in its
		 * suggested memory format; its codes depend on the layout walked. */
		if (load_glue() < 0)
			return NULL;
		PyObject *pair = PyObject_CallOneArg(T.qprepare, xin);
		if (pair == NULL)
			return NULL;
		operand xq;
		result = PyTuple_GET_ITEM(pair, 1);
		Py_INCREF(result);
		int rc = op_get(PyTuple_GET_ITEM(pair, 0), "x", -1, &xq);
		if (rc == 0) {
			rc = op_get(result, "out", -1, &y) < 0 || run_forward(fw, slope, &xq, &y) < 0;
			op_release(&y);
		}
		Py_DECREF(pair);
		if (rc) {
			Py_CLEAR(result);
			return NULL;
		}
		return result;
	}
	if (outobj != NULL) {
		result = outobj;
		Py_INCREF(result);
	} else if ((result = alloc_like(xin, true)) == NULL) {
		return NULL;
	}
	if (outobj == NULL ? op_fresh_tensor(result, x, &y) < 0
	                   : op_get(result, "out", -1, &y) < 0 || op_match(x, "x", &y, "out") < 0)
		goto fail;
	if (outobj != NULL) {
		if (y.requires_grad && grad_enabled() != 0) {
			if (!PyErr_Occurred())
				PyErr_Format(Error, OUT_GRAD_MSG, "leaky_relu");
			goto fail;
		}
		if (bump_version(result) < 0)
			goto fail;
	}
	if (run_forward(fw, slope, x, &y) < 0)
		goto fail;
	return result;
fail:
	Py_DECREF(result);
	return NULL;
}

static PyObject *py_leaky_relu(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                               PyObject *kwnames)
{
	(void)self;
	PyObject *a[6] = {NULL, NULL, NULL, NULL, NULL, NULL}; /* x, slope, framework, dtype, out, inplace */
	if (parse_args("leaky_relu", args, nargs, kwnames, fwd_names, 6, 2, 1, a) < 0)
		return NULL;
	lrelu_framework fw;
	double slope;
	int override, inplace;
	if (decode_common(a[1], a[2], a[3], a[5], &fw, &slope, &override, &inplace) < 0)
		return NULL;
	PyObject *outobj = a[4] == Py_None ? NULL : a[4];
	if (inplace && outobj != NULL && outobj != a[0]) {
		PyErr_SetString(Error, "out: cannot be given with inplace=True (the result goes into x)");
		return NULL;
	}
	operand x;
	if (op_get(a[0], "x", override, &x) < 0) {
		op_release(&x);
		return NULL;
	}
	if (outobj != NULL && !x.tensor && !PyObject_CheckBuffer(outobj)) {
		PyErr_SetString(PyExc_TypeError, "out must be a NumPy array like x");
		op_release(&x);
		return NULL;
	}
	PyObject *r = x.tensor ? tensor_forward(fw, slope, a[0], &x, outobj, inplace)
	                       : array_forward(fw, slope, override, a[0], &x, outobj, inplace);
	op_release(&x);
	return r;
}

PyDoc_STRVAR(leaky_relu_backward_doc,
"leaky_relu_backward(grad, x, negative_slope=None, *, framework='torch', dtype=None, out=None, x_is_result=False)\n"
"--\n"
"\n"
"The gradient of LeakyReLU with respect to its input, as `framework` computes it.\n"
"\n"
"grad: dL/dy, of x's kind, dtype and shape.  x: the forward input, or (x_is_result)\n"
"the forward result after an in-place forward (PyTorch refuses that for a negative or\n"
"NaN slope; MindSpore, which has no in-place forward, always).  PyTorch and\n"
"TensorFlow: dx = x > 0 ? grad : grad * s.  MindSpore 2.8 (autodiff of max(s*x, x)):\n"
"a tie (x = 0, x = +inf) splits grad in half between the branches, a NaN gives both.\n"
"ONNX defines no gradient (lrelu.Error).  negative_slope, framework and dtype are as\n"
"in leaky_relu; out receives dx (it may be grad itself).  Returns dx.");

static PyObject *py_leaky_relu_backward(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                                        PyObject *kwnames)
{
	(void)self;
	/* grad, x, slope, framework, dtype, out, x_is_result */
	PyObject *a[7] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL};
	if (parse_args("leaky_relu_backward", args, nargs, kwnames, bwd_names, 7, 3, 2, a) < 0)
		return NULL;
	lrelu_framework fw;
	double slope;
	int override, is_result;
	if (decode_common(a[2], a[3], a[4], a[6], &fw, &slope, &override, &is_result) < 0)
		return NULL;
	PyObject *outobj = a[5] == Py_None ? NULL : a[5];
	operand dy, x, dx;
	PyObject *result = NULL, *hold_dy = NULL, *hold_x = NULL, *target = NULL;
	PyObject *gobj = a[0], *xobj = a[1];
	dy.has_view = x.has_view = dx.has_view = false;
	if (op_get(gobj, "grad", override, &dy) < 0 || op_get(xobj, "x", override, &x) < 0 ||
	    op_match(&x, "x", &dy, "grad") < 0)
		goto fail;
	if (dy.tensor && (dy.requires_grad || x.requires_grad)) {
		PyObject *ts[2] = {gobj, xobj};
		int r = autograd_route("leaky_relu_backward", &T.bwd_apply, ts, 2, fw, slope, is_result != 0,
		                       outobj, &result);
		if (r != 0) {
			op_release(&x);
			op_release(&dy);
			return result;
		}
	}
	if (!dy.tensor && (realign_input(&gobj, &dy, "grad", override, &hold_dy) < 0 ||
	                   realign_input(&xobj, &x, "x", override, &hold_x) < 0))
		goto fail;
	if (outobj != NULL) {
		if (!dy.tensor && !PyObject_CheckBuffer(outobj)) {
			PyErr_SetString(PyExc_TypeError, "out must be a NumPy array like x");
			goto fail;
		}
		result = outobj;
		Py_INCREF(result);
	} else if ((result = alloc_like(xobj, x.tensor)) == NULL) {
		goto fail;
	}
	if (outobj == NULL && x.tensor ? op_fresh_tensor(result, &x, &dx) < 0
	                               : op_get(result, "out", override, &dx) < 0 ||
	                                         op_match(&x, "x", &dx, "out") < 0)
		goto fail;
	if (outobj != NULL) {
		if (dx.tensor) {
			if (dx.requires_grad && grad_enabled() != 0) {
				if (!PyErr_Occurred())
					PyErr_Format(Error, OUT_GRAD_MSG, "leaky_relu_backward");
				goto fail;
			}
			if (bump_version(result) < 0)
				goto fail;
		} else if (op_writable(&dx, "out") < 0) {
			goto fail;
		} else if (dx.misaligned) {
			/* computed into an aligned temporary, then copied into out */
			op_release(&dx);
			target = result;
			if ((result = alloc_like(xobj, false)) == NULL || op_get(result, "out", override, &dx) < 0)
				goto fail;
		}
	}
	if (run_backward(fw, slope, &dy, &x, is_result != 0, &dx) < 0)
		goto fail;
	op_release(&dx);
	op_release(&x);
	op_release(&dy);
	if (target != NULL) {
		int rc = copy_back(target, result);
		Py_DECREF(result);
		result = rc < 0 ? NULL : target;
		if (rc < 0)
			Py_DECREF(target);
	}
	Py_XDECREF(hold_dy);
	Py_XDECREF(hold_x);
	return result;
fail:
	op_release(&dx);
	op_release(&x);
	op_release(&dy);
	Py_XDECREF(target);
	Py_XDECREF(result);
	Py_XDECREF(hold_dy);
	Py_XDECREF(hold_x);
	return NULL;
}

/* ---- diff --------------------------------------------------------------------------- */

/*
 * lrelu.diff and lrelu.diff_arrays: the command's `lrelu diff` on arrays and tensors.
 * What differs and why is the library's lrelu_diff (the command calls it too); this
 * part hands it the operands in flat C order, chunk by chunk.  A C-contiguous, aligned
 * operand is handed over in place; any other layout (transposed, negative or zero
 * strides, misaligned) is gathered chunk by chunk into a temporary of DIFF_CHUNK
 * elements, so that a huge strided operand is never copied whole.
 */
#define DIFF_CHUNK ((size_t)1 << 16)
#define DIFF_INDEX_CAP 1000 /* as the command's JSON without --all */

/* An operand read in C order: in place (tmp NULL) or through a gathering walk. */
typedef struct diff_src {
	const char *base;
	char *tmp;
	int ndim;
	int64_t shape[LRELU_MAX_DIMS], bstride[LRELU_MAX_DIMS], idx[LRELU_MAX_DIMS];
} diff_src;

static bool op_c_contiguous(const operand *op)
{
	size_t esz = lrelu_dtype_size(op->t.dtype);
	if (op->misaligned || (op->count > 0 && (uintptr_t)op->t.data % esz != 0))
		return false;
	if (op->t.strides == NULL)
		return true;
	int64_t want = 1;
	for (int d = op->t.ndim - 1; d >= 0; d--) {
		if (op->shape[d] != 1 && op->t.strides[d] != want)
			return false;
		want *= op->shape[d];
	}
	return true;
}

/* Prepares src to read op; allocates its temporary if op must be gathered. */
static int diff_src_init(diff_src *src, const operand *op)
{
	size_t esz = lrelu_dtype_size(op->t.dtype);
	memset(src, 0, sizeof *src);
	src->base = (const char *)op->t.data;
	if (op_c_contiguous(op))
		return 0;
	/* A 0-d operand is walked as one element of a 1-d one. */
	src->ndim = op->t.ndim > 0 ? op->t.ndim : 1;
	src->shape[0] = 1;
	src->bstride[0] = (int64_t)esz;
	int64_t c_stride = (int64_t)esz; /* strides NULL: C-contiguous (misaligned) */
	for (int d = op->t.ndim - 1; d >= 0; d--) {
		src->shape[d] = op->shape[d];
		src->bstride[d] = op->t.strides != NULL ? op->t.strides[d] * (int64_t)esz : c_stride;
		c_stride *= op->shape[d];
	}
	src->tmp = PyMem_Malloc(DIFF_CHUNK * esz);
	if (src->tmp == NULL) {
		PyErr_NoMemory();
		return -1;
	}
	return 0;
}

/* The next n elements (n <= DIFF_CHUNK) in C order, starting at element off. */
static const void *diff_src_next(diff_src *src, size_t off, size_t n, size_t esz)
{
	if (src->tmp == NULL)
		return src->base + off * esz;
	char *dst = src->tmp;
	int last = src->ndim - 1;
	while (n > 0) {
		const char *p = src->base;
		for (int d = 0; d <= last; d++)
			p += src->idx[d] * src->bstride[d];
		size_t run = (size_t)(src->shape[last] - src->idx[last]);
		if (run > n)
			run = n;
		int64_t st = src->bstride[last];
		if (st == (int64_t)esz)
			memcpy(dst, p, run * esz);
		else if (esz == 2) /* constant sizes: the copies become single moves */
			for (size_t i = 0; i < run; i++)
				memcpy(dst + i * 2, p + (int64_t)i * st, 2);
		else if (esz == 4)
			for (size_t i = 0; i < run; i++)
				memcpy(dst + i * 4, p + (int64_t)i * st, 4);
		else
			for (size_t i = 0; i < run; i++)
				memcpy(dst + i * 8, p + (int64_t)i * st, 8);
		dst += run * esz;
		n -= run;
		src->idx[last] += (int64_t)run;
		for (int d = last; d > 0 && src->idx[d] == src->shape[d]; d--) {
			src->idx[d] = 0;
			src->idx[d - 1]++;
		}
	}
	return src->tmp;
}

static PyObject *diff_result_class; /* lrelu._diff.DiffResult, loaded on first use */

/* Py_NewRef is Python 3.10's; the package supports 3.9. */
static PyObject *newref(PyObject *o)
{
	Py_INCREF(o);
	return o;
}

/* An optional slope keyword: NULL (not given) for absent or None. */
static int diff_slope_arg(PyObject *obj, const char *name, double *v, const double **p)
{
	*p = NULL;
	if (obj == NULL || obj == Py_None)
		return 0;
	if (parse_real(obj, name, v) < 0)
		return -1;
	*p = v;
	return 0;
}

static int dict_set(PyObject *d, const char *key, PyObject *v)
{
	if (v == NULL)
		return -1;
	int rc = PyDict_SetItemString(d, key, v);
	Py_DECREF(v);
	return rc;
}

/* {"from": n, "to": n} */
static PyObject *match_pair(uint64_t from, uint64_t to)
{
	return Py_BuildValue("{s:K,s:K}", "from", (unsigned long long)from, "to",
	                     (unsigned long long)to);
}

/* The DiffResult of a finished comparison. */
static PyObject *diff_result(const lrelu_diff_options *opt, const lrelu_diff_report *rep,
                             const operand *ref, PyObject *mask, bool attributed_dumps)
{
	if (cached_attr(&diff_result_class, "lrelu._diff", "DiffResult") == NULL)
		return NULL;
	PyObject *kw = PyDict_New(), *causes = PyDict_New(), *shape = shape_tuple(ref);
	PyObject *indices = PyList_New((Py_ssize_t)rep->nindices), *result = NULL;
	if (kw == NULL || causes == NULL || shape == NULL || indices == NULL)
		goto done;
	for (int k = 0; k < LRELU_DIFF_CAUSES; k++)
		if (dict_set(causes, lrelu_diff_cause_name((lrelu_diff_cause)k, false),
		             PyLong_FromUnsignedLongLong(rep->causes[k])) < 0)
			goto done;
	for (size_t i = 0; i < rep->nindices; i++) {
		PyObject *v = PyLong_FromUnsignedLongLong(opt->indices[i]);
		if (v == NULL)
			goto done;
		PyList_SET_ITEM(indices, (Py_ssize_t)i, v);
	}
	bool numeric = rep->numeric > 0; /* the measures exist only over pairs of numbers */
	PyObject *match = NULL, *neither = NULL;
	if (attributed_dumps) {
		PyObject *ma = match_pair(rep->match[0][0], rep->match[0][1]);
		PyObject *mb = match_pair(rep->match[1][0], rep->match[1][1]);
		match = ma == NULL || mb == NULL ? NULL : Py_BuildValue("{s:O,s:O}", "a", ma, "b", mb);
		Py_XDECREF(ma);
		Py_XDECREF(mb);
		neither = Py_BuildValue("{s:K,s:K}", "a", (unsigned long long)rep->neither[0], "b",
		                        (unsigned long long)rep->neither[1]);
	} else {
		match = newref(Py_None);
		neither = newref(Py_None);
	}
	/* Every value a new reference (NULL: failed), handed to the dict and released. */
	const struct {
		const char *key;
		PyObject *value;
	} fields[] = {
		{"elements", PyLong_FromUnsignedLongLong(rep->elements)},
		{"differ", PyLong_FromUnsignedLongLong(rep->differ)},
		{"mask", newref(mask)},
		{"max_ulp", numeric ? PyLong_FromUnsignedLongLong(rep->max_ulp) : newref(Py_None)},
		{"max_abs", numeric ? PyFloat_FromDouble(rep->max_abs) : newref(Py_None)},
		{"max_rel", numeric ? PyFloat_FromDouble(rep->max_rel) : newref(Py_None)},
		{"causes", newref(causes)},
		{"from_", PyUnicode_FromString(lrelu_framework_name(opt->from))},
		{"to", PyUnicode_FromString(lrelu_framework_name(opt->to))},
		{"from_slope", PyFloat_FromDouble(opt->from_slope)},
		{"to_slope", PyFloat_FromDouble(opt->to_slope)},
		{"dtype", PyUnicode_FromString(lrelu_dtype_name(opt->dtype))},
		{"backward", PyBool_FromLong(opt->backward)},
		{"shape", newref(shape)},
		{"indices", newref(indices)},
		{"match", match},
		{"neither", neither},
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		bad = bad || fields[i].value == NULL ||
		      PyDict_SetItemString(kw, fields[i].key, fields[i].value) < 0;
		Py_XDECREF(fields[i].value);
	}
	if (bad)
		goto done;
	PyObject *noargs = PyTuple_New(0);
	if (noargs != NULL) {
		result = PyObject_Call(diff_result_class, noargs, kw);
		Py_DECREF(noargs);
	}
done:
	Py_XDECREF(kw);
	Py_XDECREF(causes);
	Py_XDECREF(shape);
	Py_XDECREF(indices);
	return result;
}

static PyObject *np_empty, *np_bool, *torch_from_numpy;

/* numpy.empty(shape, dtype=bool), or for a tensor reference that array as a torch.bool
 * tensor (torch.from_numpy shares its memory).  *np_mask receives the array. */
static PyObject *diff_mask(const operand *ref, PyObject **np_mask)
{
	PyObject *shape = shape_tuple(ref), *mask = NULL;
	*np_mask = NULL;
	if (shape == NULL || cached_attr(&np_empty, "numpy", "empty") == NULL ||
	    cached_attr(&np_bool, "numpy", "bool_") == NULL)
		goto done;
	*np_mask = PyObject_CallFunctionObjArgs(np_empty, shape, np_bool, NULL);
	if (*np_mask == NULL)
		goto done;
	if (!ref->tensor)
		mask = newref(*np_mask);
	else if (cached_attr(&torch_from_numpy, "torch", "from_numpy") != NULL)
		mask = PyObject_CallOneArg(torch_from_numpy, *np_mask);
done:
	if (mask == NULL)
		Py_CLEAR(*np_mask);
	Py_XDECREF(shape);
	return mask;
}

/* The keyword slots both functions share, in this order after their array arguments. */
enum { DK_NEGATIVE_SLOPE, DK_ALPHA, DK_FROM_SLOPE, DK_TO_SLOPE, DK_FROM, DK_TO, DK_GRAD, DK_DTYPE, DK_N };

/*
 * The comparison: side A and side B given (a, b; NULL: computed from its rule on x),
 * x the input (NULL only with a and b), kw the DK_* keyword slots.
 */
static PyObject *diff_impl(PyObject *aobj, PyObject *bobj, PyObject *xobj, PyObject *const *kw)
{
	lrelu_framework from, to;
	double sv[4], sf, st;
	const double *sp[4];
	static const char *const slope_names[4] = {"negative_slope", "alpha", "from_slope", "to_slope"};
	int override;
	if (parse_framework_arg(kw[DK_FROM], "from_", LRELU_TORCH, &from) < 0 ||
	    parse_framework_arg(kw[DK_TO], "to", LRELU_MINDSPORE, &to) < 0)
		return NULL;
	for (int k = 0; k < 4; k++)
		if (diff_slope_arg(kw[DK_NEGATIVE_SLOPE + k], slope_names[k], &sv[k], &sp[k]) < 0)
			return NULL;
	if (parse_dtype(kw[DK_DTYPE], &override) < 0)
		return NULL;
	if (lrelu_diff_slopes(from, to, sp[0], sp[1], sp[2], sp[3], &sf, &st) != LRELU_OK) {
		PyErr_SetString(Error, lrelu_last_error());
		return NULL;
	}
	if (from == to && (sf == st || (sf != sf && st != st))) {
		PyErr_Format(Error, "from_ and to are both %s with one slope: nothing to compare",
		             lrelu_framework_name(from));
		return NULL;
	}
	PyObject *gobj = kw[DK_GRAD] == Py_None ? NULL : kw[DK_GRAD];
	if (aobj != NULL && gobj != NULL && xobj == NULL) {
		PyErr_SetString(Error, "grad: with two arrays a and b it needs x (the forward input "
		                       "the gradients were taken at)");
		return NULL;
	}

	/* ops: a, b, x, grad; the first present is the reference for dtype and shape. */
	enum { OA, OB, OX, OG, NOPS };
	static const char *const op_names[NOPS] = {"a", "b", "x", "grad"};
	PyObject *objs[NOPS] = {aobj, bobj, xobj, gobj};
	operand ops[NOPS];
	diff_src srcs[NOPS];
	PyObject *mask = NULL, *np_mask = NULL, *result = NULL;
	Py_buffer mview;
	bool have_mview = false;
	int ref = -1;
	for (int k = 0; k < NOPS; k++) {
		ops[k].has_view = false;
		srcs[k].tmp = NULL;
	}
	for (int k = 0; k < NOPS; k++) {
		if (objs[k] == NULL)
			continue;
		if (op_get(objs[k], op_names[k], override, &ops[k]) < 0)
			goto done;
		if (ref < 0)
			ref = k;
		else if (op_match_layout(&ops[ref], op_names[ref], &ops[k], op_names[k]) < 0)
			goto done;
	}
	const operand *r = &ops[ref];
	lrelu_diff_options opt;
	uint64_t indices[DIFF_INDEX_CAP];
	memset(&opt, 0, sizeof opt);
	opt.dtype = r->t.dtype;
	opt.from = from, opt.to = to;
	opt.from_slope = sf, opt.to_slope = st;
	opt.backward = gobj != NULL;
	opt.indices = indices;
	opt.index_capacity = DIFF_INDEX_CAP;
	lrelu_diff d;
	lrelu_status s = lrelu_diff_init(&d, &opt);
	if (s != LRELU_OK) {
		set_status_error(s, lrelu_last_error());
		goto done;
	}
	if ((mask = diff_mask(r, &np_mask)) == NULL)
		goto done;
	if (PyObject_GetBuffer(np_mask, &mview, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0)
		goto done;
	have_mview = true;
	for (int k = 0; k < NOPS; k++)
		if (objs[k] != NULL && diff_src_init(&srcs[k], &ops[k]) < 0)
			goto done;

	size_t esz = lrelu_dtype_size(opt.dtype), n = r->count;
	int nops = 0;
	for (int k = 0; k < NOPS; k++)
		nops += objs[k] != NULL;
	uint8_t *mbuf = mview.buf;
	bool release = n * esz * (size_t)nops >= GIL_MIN_BYTES;
	PyThreadState *ts = release ? PyEval_SaveThread() : NULL;
	for (size_t off = 0; off < n && s == LRELU_OK; off += DIFF_CHUNK) {
		size_t m = n - off < DIFF_CHUNK ? n - off : DIFF_CHUNK;
		const void *p[NOPS] = {NULL, NULL, NULL, NULL};
		for (int k = 0; k < NOPS; k++)
			if (objs[k] != NULL)
				p[k] = diff_src_next(&srcs[k], off, m, esz);
		s = lrelu_diff_add(&d, p[OA], p[OB], p[OX], p[OG], m, mbuf + off);
	}
	if (release)
		PyEval_RestoreThread(ts);
	lrelu_diff_report rep;
	if (s == LRELU_OK)
		s = lrelu_diff_finish(&d, &rep);
	if (s != LRELU_OK) {
		set_status_error(s, lrelu_last_error());
		goto done;
	}
	result = diff_result(&opt, &rep, r, mask, aobj != NULL && xobj != NULL);
done:
	if (have_mview)
		PyBuffer_Release(&mview);
	for (int k = 0; k < NOPS; k++) {
		PyMem_Free(srcs[k].tmp);
		op_release(&ops[k]);
	}
	Py_XDECREF(mask);
	Py_XDECREF(np_mask);
	return result;
}

static PyObject *diff_names[1 + DK_N], *diff_arrays_names[3 + DK_N];

PyDoc_STRVAR(diff_doc,
"diff(x, *, negative_slope=None, alpha=None, from_slope=None, to_slope=None, from_='torch', to='mindspore', grad=None, dtype=None)\n"
"--\n"
"\n"
"Compare two frameworks' LeakyReLU on x, bit for bit: the command's `lrelu diff INPUT`.\n"
"\n"
"Side A computes x with from_'s rule, side B with to's; both through the library's\n"
"lrelu_diff, which the command uses too.  Returns a DiffResult (help(lrelu.DiffResult)):\n"
"element counts, the mask of the differing elements (x's shape; a torch.bool tensor for\n"
"a tensor x), the largest difference in ULPs, absolute and relative, the counts by\n"
"cause and the first 1000 differing flat C-order indices.\n"
"\n"
"x: a NumPy array (float32, float64, float16; bfloat16 as uint16/int16 bits with\n"
"   dtype='bfloat16') or a PyTorch CPU tensor of a float dtype, any shape and strides.\n"
"negative_slope, alpha, from_slope, to_slope: the slopes, as the command's options of\n"
"   the same names: from_slope and to_slope set side A and side B; negative_slope sets\n"
"   the side whose framework is 'torch', alpha every other side.  One given alone\n"
"   applies to both sides; none: both take 0.2.  Options that set one side to two\n"
"   values are refused.\n"
"from_, to: 'torch', 'mindspore', 'onnx' or 'tensorflow'; the same framework on both\n"
"   sides is refused unless the slopes differ (nothing to compare).\n"
"grad: dL/dy (like x): compare the gradients dL/dx instead (ONNX defines none).\n"
"dtype: 'bfloat16' or 'float16' for 16-bit integer arrays holding those bits.\n"
"\n"
"Errors: lrelu.Error (a ValueError and a RuntimeError); TypeError for wrong Python types.");

static PyObject *py_diff(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
	(void)self;
	PyObject *a[1 + DK_N] = {NULL};
	if (parse_args("diff", args, nargs, kwnames, diff_names, 1 + DK_N, 1, 1, a) < 0)
		return NULL;
	return diff_impl(NULL, NULL, a[0], a + 1);
}

PyDoc_STRVAR(diff_arrays_doc,
"diff_arrays(a, b, *, x=None, negative_slope=None, alpha=None, from_slope=None, to_slope=None, from_='torch', to='mindspore', grad=None, dtype=None)\n"
"--\n"
"\n"
"Compare two given results a and b bit for bit: the command's `lrelu diff A B\n"
"[--input X]`, e.g. one layer's output dumped from PyTorch (a) and from MindSpore (b).\n"
"\n"
"a, b: arrays or tensors of one dtype and shape (a NumPy array and a tensor may be\n"
"   compared).  NaNs compare by their bits: a payload difference is a difference.\n"
"x: the forward input both were computed from.  With x, the result's match and\n"
"   neither say which rule (from_'s, to's, neither) each of a and b follows, element\n"
"   by element, and the causes that need the input are told apart; without it a\n"
"   difference between two numbers is 'other'.\n"
"grad: with x, say that a and b are gradients dL/dx taken with dL/dy = grad.\n"
"The slope keywords, from_, to and dtype are as in diff: they name the two rules a\n"
"and b are checked against.  Returns a DiffResult (mask and shape those of a).");

static PyObject *py_diff_arrays(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                                PyObject *kwnames)
{
	(void)self;
	PyObject *a[3 + DK_N] = {NULL};
	if (parse_args("diff_arrays", args, nargs, kwnames, diff_arrays_names, 3 + DK_N, 2, 2, a) < 0)
		return NULL;
	return diff_impl(a[0], a[1], a[2] == Py_None ? NULL : a[2], a + 3);
}

/* ---- helpers for lrelu.torch (no autograd, no allocation, no version bump) ---------- */

static int fw_from_int(PyObject *obj, lrelu_framework *fw)
{
	long v = PyLong_AsLong(obj);
	if (v == -1 && PyErr_Occurred())
		return -1;
	if (v < LRELU_TORCH || v > LRELU_ONNXRUNTIME) {
		PyErr_Format(Error, "framework: unknown framework code %ld", v);
		return -1;
	}
	*fw = (lrelu_framework)v;
	return 0;
}

/* _forward_into(x, y, fw, slope): y None is in place. */
static PyObject *py_forward_into(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	(void)self;
	if (nargs != 4) {
		PyErr_SetString(PyExc_TypeError, "_forward_into(x, y, framework, slope)");
		return NULL;
	}
	lrelu_framework fw;
	double slope = PyFloat_AsDouble(args[3]);
	if ((slope == -1.0 && PyErr_Occurred()) || fw_from_int(args[2], &fw) < 0)
		return NULL;
	operand x, y;
	y.has_view = false;
	if (op_get(args[0], "x", -1, &x) < 0)
		return NULL;
	int rc = args[1] == Py_None ? run_forward(fw, slope, &x, &x)
	                            : op_get(args[1], "out", -1, &y) < 0 ||
	                                      op_match(&x, "x", &y, "out") < 0 ||
	                                      run_forward(fw, slope, &x, &y) < 0;
	op_release(&y);
	op_release(&x);
	if (rc)
		return NULL;
	Py_RETURN_NONE;
}

/* _backward_into(dy, saved, dx, fw, slope, is_result) */
static PyObject *py_backward_into(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	(void)self;
	if (nargs != 6) {
		PyErr_SetString(PyExc_TypeError, "_backward_into(dy, saved, dx, framework, slope, is_result)");
		return NULL;
	}
	lrelu_framework fw;
	double slope = PyFloat_AsDouble(args[4]);
	if ((slope == -1.0 && PyErr_Occurred()) || fw_from_int(args[3], &fw) < 0)
		return NULL;
	operand dy, x, dx;
	x.has_view = dx.has_view = false;
	if (op_get(args[0], "grad", -1, &dy) < 0)
		return NULL;
	int rc = op_get(args[1], "x", -1, &x) < 0 || op_get(args[2], "out", -1, &dx) < 0 ||
	         op_match(&x, "x", &dy, "grad") < 0 || op_match(&x, "x", &dx, "out") < 0 ||
	         run_backward(fw, slope, &dy, &x, PyObject_IsTrue(args[5]) == 1, &dx) < 0;
	op_release(&dx);
	op_release(&x);
	op_release(&dy);
	if (rc)
		return NULL;
	Py_RETURN_NONE;
}

/* _framework_code(name): the lrelu_framework of a name leaky_relu's framework= takes. */
static PyObject *py_framework_code(PyObject *self, PyObject *name)
{
	(void)self;
	lrelu_framework fw;
	if (parse_framework(name, &fw) < 0)
		return NULL;
	return PyLong_FromLong((long)fw);
}

/* The (framework, slope, inplace) arguments of the module helpers below. */
static int module_args(const char *fname, PyObject *const *args, Py_ssize_t nargs, lrelu_module *m)
{
	lrelu_framework fw;
	if (nargs != 3 || fw_from_int(args[0], &fw) < 0) {
		if (!PyErr_Occurred())
			PyErr_Format(PyExc_TypeError, "%s(framework, slope, inplace)", fname);
		return -1;
	}
	double slope = PyFloat_AsDouble(args[1]);
	if (slope == -1.0 && PyErr_Occurred())
		return -1;
	m->framework = fw;
	m->slope = slope;
	m->inplace = PyObject_IsTrue(args[2]) == 1;
	return 0;
}

/* _module_refusal(fw, slope, inplace): the library's message if lrelu_module_init
 * refuses these parameters, else None. */
static PyObject *py_module_refusal(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	(void)self;
	lrelu_module m, built;
	if (module_args("_module_refusal", args, nargs, &m) < 0)
		return NULL;
	if (lrelu_module_init(&built, m.framework, m.slope, m.inplace) == LRELU_OK)
		Py_RETURN_NONE;
	return PyUnicode_FromString(lrelu_last_error());
}

/* _module_repr(fw, slope, inplace): the module as its framework prints it. */
static PyObject *py_module_repr(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	(void)self;
	lrelu_module m;
	if (module_args("_module_repr", args, nargs, &m) < 0)
		return NULL;
	char buf[128];
	lrelu_module_repr(&m, buf, sizeof buf);
	return PyUnicode_FromString(buf);
}

/* _bf16(src, dst, to_bf16): float32 <-> bfloat16 bits over two contiguous buffers of
 * equal length, with the library's exact conversions. */
static PyObject *py_bf16(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	(void)self;
	if (nargs != 3) {
		PyErr_SetString(PyExc_TypeError, "_bf16(src, dst, to_bf16)");
		return NULL;
	}
	int to = PyObject_IsTrue(args[2]);
	Py_buffer s, d;
	if (PyObject_GetBuffer(args[0], &s, PyBUF_C_CONTIGUOUS) < 0)
		return NULL;
	if (PyObject_GetBuffer(args[1], &d, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0) {
		PyBuffer_Release(&s);
		return NULL;
	}
	size_t n = (size_t)(to ? s.len / 4 : s.len / 2);
	if ((size_t)(to ? d.len / 2 : d.len / 4) != n) {
		PyErr_SetString(Error, "_bf16: buffers of different lengths");
	} else if (to) {
		for (size_t i = 0; i < n; i++) {
			float v;
			memcpy(&v, (char *)s.buf + 4 * i, 4);
			uint16_t b = lrelu_f32_to_bf16(v);
			memcpy((char *)d.buf + 2 * i, &b, 2);
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			uint16_t b;
			memcpy(&b, (char *)s.buf + 2 * i, 2);
			float v = lrelu_bf16_to_f32(b);
			memcpy((char *)d.buf + 4 * i, &v, 4);
		}
	}
	PyBuffer_Release(&d);
	PyBuffer_Release(&s);
	if (PyErr_Occurred())
		return NULL;
	Py_RETURN_NONE;
}

PyDoc_STRVAR(set_num_threads_doc,
"set_num_threads(n)\n--\n\n"
"Threads the library may use for one large call: 0 = automatic (LRELU_NUM_THREADS or\n"
"the number of CPUs), 1 = never start a thread.  Calls that move at most 16 MiB\n"
"(8 MiB for the 16-bit types) never use threads.  Results are identical for any count.");

static PyObject *py_set_num_threads(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	(void)self;
	if (nargs != 1) {
		PyErr_Format(PyExc_TypeError, "set_num_threads() takes exactly one argument (%zd given)", nargs);
		return NULL;
	}
	if (!PyLong_Check(args[0])) {
		PyErr_Format(PyExc_TypeError, "n must be an int, not %.200s", Py_TYPE(args[0])->tp_name);
		return NULL;
	}
	int overflow;
	long n = PyLong_AsLongAndOverflow(args[0], &overflow);
	if (n == -1 && PyErr_Occurred())
		return NULL;
	if (overflow || n < INT32_MIN || n > INT32_MAX)
		n = overflow < 0 || n < 0 ? -1 : INT32_MAX;
	lrelu_status st = lrelu_set_num_threads((int)n);
	if (st != LRELU_OK) {
		set_status_error(st, lrelu_last_error());
		return NULL;
	}
	Py_RETURN_NONE;
}

PyDoc_STRVAR(get_num_threads_doc,
"get_num_threads()\n--\n\nThe thread count set by set_num_threads (0 = automatic).");

static PyObject *py_get_num_threads(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	return PyLong_FromLong(lrelu_get_num_threads());
}

/* ---- RReLU and PReLU: thin calls for lrelu/torch.py and lrelu/__init__.py ------------ */

/* The operands of a family call: each of args[0..n) an array or tensor, or None where
 * may_be_none; names for messages.  Returns 0, or -1 with every view released. */
static int fam_ops(PyObject *const *args, int n, const char *const *names, unsigned may_be_none,
                   operand *ops, const lrelu_tensor **t)
{
	for (int i = 0; i < n; i++)
		ops[i].has_view = false;
	for (int i = 0; i < n; i++) {
		t[i] = NULL;
		if (args[i] == Py_None && (may_be_none >> i & 1u))
			continue;
		if (op_get(args[i], names[i], -1, &ops[i]) < 0 ||
		    (ops[i].tensor != ops[0].tensor && op_match(&ops[0], names[0], &ops[i], names[i]) < 0)) {
			for (int k = 0; k <= i; k++)
				op_release(&ops[k]);
			return -1;
		}
		t[i] = &ops[i].t;
	}
	return 0;
}

static PyObject *fam_done(lrelu_status st, operand *ops, int n)
{
	for (int i = 0; i < n; i++)
		op_release(&ops[i]);
	if (st != LRELU_OK) {
		set_status_error(st, lrelu_last_error());
		return NULL;
	}
	Py_RETURN_NONE;
}

/* _rrelu_train_into(gen, lower, upper, x, y, noise): gen a writable buffer holding an
 * lrelu_generator, advanced in place; y None is in place. */
static PyObject *py_rrelu_train_into(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	static const char *const names[] = {"x", "out", "noise"};
	operand ops[3];
	const lrelu_tensor *t[3];
	lrelu_generator g;
	Py_buffer gb;
	lrelu_status st;
	(void)self;
	if (nargs != 6) {
		PyErr_SetString(PyExc_TypeError, "_rrelu_train_into(gen, lower, upper, x, y, noise)");
		return NULL;
	}
	double lo = PyFloat_AsDouble(args[1]), hi = PyFloat_AsDouble(args[2]);
	if (PyErr_Occurred())
		return NULL;
	if (PyObject_GetBuffer(args[0], &gb, PyBUF_WRITABLE) < 0)
		return NULL;
	if ((size_t)gb.len != sizeof g) {
		PyBuffer_Release(&gb);
		PyErr_Format(Error, "generator state: %zd bytes, expected %zu", gb.len, sizeof g);
		return NULL;
	}
	if (fam_ops(args + 3, 3, names, 2u, ops, t) < 0) {
		PyBuffer_Release(&gb);
		return NULL;
	}
	memcpy(&g, gb.buf, sizeof g);
	st = lrelu_rrelu_train(&g, lo, hi, t[0], t[1], t[2]);
	if (st == LRELU_OK)
		memcpy(gb.buf, &g, sizeof g);
	PyBuffer_Release(&gb);
	return fam_done(st, ops, 3);
}

/* _rrelu_seed(seed): a new generator state (bytearray) seeded as torch.manual_seed. */
static PyObject *py_rrelu_seed(PyObject *self, PyObject *arg)
{
	lrelu_generator g;
	(void)self;
	unsigned long long seed = PyLong_AsUnsignedLongLongMask(arg);
	if (seed == (unsigned long long)-1 && PyErr_Occurred())
		return NULL;
	lrelu_generator_seed(&g, seed);
	return PyByteArray_FromStringAndSize((const char *)&g, sizeof g);
}

/* _rrelu_eval_into(lower, upper, x, y): y None is in place. */
static PyObject *py_rrelu_eval_into(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	static const char *const names[] = {"x", "out"};
	operand ops[2];
	const lrelu_tensor *t[2];
	(void)self;
	if (nargs != 4) {
		PyErr_SetString(PyExc_TypeError, "_rrelu_eval_into(lower, upper, x, y)");
		return NULL;
	}
	double lo = PyFloat_AsDouble(args[0]), hi = PyFloat_AsDouble(args[1]);
	if (PyErr_Occurred() || fam_ops(args + 2, 2, names, 2u, ops, t) < 0)
		return NULL;
	return fam_done(lrelu_rrelu_eval(lo, hi, t[0], t[1]), ops, 2);
}

/* _mul_into(grad, noise, dx): RReLU's training gradient. */
static PyObject *py_rrelu_train_backward_into(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	static const char *const names[] = {"grad", "noise", "out"};
	operand ops[3];
	const lrelu_tensor *t[3];
	(void)self;
	if (nargs != 3) {
		PyErr_SetString(PyExc_TypeError, "_rrelu_train_backward_into(grad, noise, dx)");
		return NULL;
	}
	if (fam_ops(args, 3, names, 0u, ops, t) < 0)
		return NULL;
	return fam_done(lrelu_rrelu_train_backward(t[0], t[1], t[2]), ops, 3);
}

/* _prelu_forward_into(x, weight, y[, framework]) */
static PyObject *py_prelu_forward_into(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	static const char *const names[] = {"x", "weight", "out"};
	operand ops[3];
	const lrelu_tensor *t[3];
	lrelu_framework fw = LRELU_TORCH;
	lrelu_status st;
	(void)self;
	if (nargs != 3 && nargs != 4) {
		PyErr_SetString(PyExc_TypeError, "_prelu_forward_into(x, weight, y[, framework])");
		return NULL;
	}
	if ((nargs == 4 && parse_framework(args[3], &fw) < 0) || fam_ops(args, 3, names, 0u, ops, t) < 0)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	st = lrelu_prelu_forward(fw, t[0], t[1], t[2]);
	Py_END_ALLOW_THREADS
	return fam_done(st, ops, 3);
}

/* _prelu_backward_into(grad, x, weight, dx, dweight[, framework]): dx or dweight None:
 * not computed. */
static PyObject *py_prelu_backward_into(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	static const char *const names[] = {"grad", "x", "weight", "out", "weight_out"};
	operand ops[5];
	const lrelu_tensor *t[5];
	lrelu_framework fw = LRELU_TORCH;
	lrelu_status st;
	(void)self;
	if (nargs != 5 && nargs != 6) {
		PyErr_SetString(PyExc_TypeError,
		                "_prelu_backward_into(grad, x, weight, dx, dweight[, framework])");
		return NULL;
	}
	if ((nargs == 6 && parse_framework(args[5], &fw) < 0) || fam_ops(args, 5, names, 24u, ops, t) < 0)
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	st = lrelu_prelu_backward(fw, t[0], t[1], t[2], t[3], t[4]);
	Py_END_ALLOW_THREADS
	return fam_done(st, ops, 5);
}

static PyMethodDef methods[] = {
	{"leaky_relu", (PyCFunction)(void (*)(void))py_leaky_relu, METH_FASTCALL | METH_KEYWORDS,
	 leaky_relu_doc},
	{"leaky_relu_backward", (PyCFunction)(void (*)(void))py_leaky_relu_backward,
	 METH_FASTCALL | METH_KEYWORDS, leaky_relu_backward_doc},
	{"diff", (PyCFunction)(void (*)(void))py_diff, METH_FASTCALL | METH_KEYWORDS, diff_doc},
	{"diff_arrays", (PyCFunction)(void (*)(void))py_diff_arrays, METH_FASTCALL | METH_KEYWORDS,
	 diff_arrays_doc},
	{"set_num_threads", (PyCFunction)(void (*)(void))py_set_num_threads, METH_FASTCALL,
	 set_num_threads_doc},
	{"get_num_threads", py_get_num_threads, METH_NOARGS, get_num_threads_doc},
	{"_forward_into", (PyCFunction)(void (*)(void))py_forward_into, METH_FASTCALL, NULL},
	{"_backward_into", (PyCFunction)(void (*)(void))py_backward_into, METH_FASTCALL, NULL},
	{"_framework_code", py_framework_code, METH_O, NULL},
	{"_module_refusal", (PyCFunction)(void (*)(void))py_module_refusal, METH_FASTCALL, NULL},
	{"_module_repr", (PyCFunction)(void (*)(void))py_module_repr, METH_FASTCALL, NULL},
	{"_bf16", (PyCFunction)(void (*)(void))py_bf16, METH_FASTCALL, NULL},
	{"_rrelu_seed", py_rrelu_seed, METH_O, NULL},
	{"_rrelu_train_into", (PyCFunction)(void (*)(void))py_rrelu_train_into, METH_FASTCALL, NULL},
	{"_rrelu_eval_into", (PyCFunction)(void (*)(void))py_rrelu_eval_into, METH_FASTCALL, NULL},
	{"_rrelu_train_backward_into", (PyCFunction)(void (*)(void))py_rrelu_train_backward_into,
	 METH_FASTCALL, NULL},
	{"_prelu_forward_into", (PyCFunction)(void (*)(void))py_prelu_forward_into, METH_FASTCALL, NULL},
	{"_prelu_backward_into", (PyCFunction)(void (*)(void))py_prelu_backward_into, METH_FASTCALL,
	 NULL},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
	PyModuleDef_HEAD_INIT, "lrelu._lrelu",
	"The C extension behind the lrelu package (import lrelu instead).", -1, methods,
	NULL, NULL, NULL, NULL,
};

static int intern(PyObject **slot, const char *s)
{
	*slot = PyUnicode_InternFromString(s);
	return *slot == NULL ? -1 : 0;
}

PyMODINIT_FUNC PyInit__lrelu(void);

PyMODINIT_FUNC PyInit__lrelu(void)
{
	if (intern(&s_x, "x") || intern(&s_grad, "grad") || intern(&s_negative_slope, "negative_slope") ||
	    intern(&s_framework, "framework") || intern(&s_dtype, "dtype") || intern(&s_out, "out") ||
	    intern(&s_inplace, "inplace") || intern(&s_x_is_result, "x_is_result") ||
	    intern(&s_requires_grad, "requires_grad") || intern(&s_is_cpu, "is_cpu") ||
	    intern(&s_layout, "layout") || intern(&s_data_ptr, "data_ptr") || intern(&s_shape, "shape") ||
	    intern(&s_stride, "stride") || intern(&s_copy_, "copy_") || intern(&s_q_scale, "q_scale") ||
	    intern(&s_q_zero_point, "q_zero_point") || intern(&s_qscheme, "qscheme") ||
	    intern(&s_device, "device") || intern(&s_apply, "apply") || intern(&s_name, "name") ||
	    intern(&s_is_contiguous, "is_contiguous"))
		return NULL;
	PyObject *f[6] = {s_x, s_negative_slope, s_framework, s_dtype, s_out, s_inplace};
	PyObject *b[7] = {s_grad, s_x, s_negative_slope, s_framework, s_dtype, s_out, s_x_is_result};
	memcpy(fwd_names, f, sizeof f);
	memcpy(bwd_names, b, sizeof b);
	static const char *const dk[DK_N] = {"negative_slope", "alpha", "from_slope", "to_slope",
	                                     "from_", "to", "grad", "dtype"};
	diff_names[0] = s_x;
	diff_arrays_names[0] = diff_arrays_names[1] = NULL;
	if (intern(&diff_arrays_names[0], "a") || intern(&diff_arrays_names[1], "b"))
		return NULL;
	diff_arrays_names[2] = s_x;
	for (int k = 0; k < DK_N; k++)
		if (intern(&diff_names[1 + k], dk[k]))
			return NULL;
	for (int k = 0; k < DK_N; k++)
		diff_arrays_names[3 + k] = diff_names[1 + k];

	PyObject *m = PyModule_Create(&moduledef);
	if (m == NULL)
		return NULL;
	PyObject *bases = PyTuple_Pack(2, PyExc_ValueError, PyExc_RuntimeError);
	if (bases == NULL)
		goto fail;
	Error = PyErr_NewExceptionWithDoc(
		"lrelu.Error",
		"An error from lrelu, carrying the library's message.  A ValueError and a\n"
		"RuntimeError: PyTorch raises RuntimeError for the same refusals.",
		bases, NULL);
	Py_DECREF(bases);
	if (Error == NULL)
		goto fail;
	Py_INCREF(Error);
	if (PyModule_AddObject(m, "Error", Error) < 0) {
		Py_DECREF(Error);
		goto fail;
	}
	if (PyModule_AddStringConstant(m, "__version__", lrelu_version()) < 0 ||
	    PyModule_AddIntConstant(m, "GIL_MIN_BYTES", (long)GIL_MIN_BYTES) < 0)
		goto fail;
	return m;
fail:
	Py_DECREF(m);
	return NULL;
}

/* demo.c - the seed page's two examples through the public API (see demo.h) */
#include "demo.h"

#include <stdio.h>
#include <string.h>

#include "npyprint.h"

static const int64_t shape[2] = {2, 3};
static const double page_input[DEMO_ELEMS] = {-1.0, 4.0, -8.0, 2.0, -5.0, 9.0};

static int fail(struct demo *d, const struct demo_run *r, lrelu_status st)
{
	snprintf(d->error, sizeof d->error, "example %d, %s: %s: %s", r->example,
	         r->fw == LRELU_TORCH ? "PyTorch" : "MindSpore", lrelu_status_str(st),
	         lrelu_last_error());
	return -1;
}

int demo_compute(struct demo *d)
{
	struct demo_run *r = d->run;
	lrelu_tensor x, y;
	lrelu_status st;
	float x32[DEMO_ELEMS];
	memset(d, 0, sizeof *d);
	for (int i = 0; i < DEMO_RUNS; i++) {
		r[i].example = 1 + i / 2;
		r[i].fw = i % 2 ? LRELU_MINDSPORE : LRELU_TORCH;
	}

	/* Example 1, PyTorch: m = nn.LeakyReLU(0.2); inputs = torch.tensor(..., dtype=float)
	 * (float64); output = m(inputs).to(torch.float32): computed in float64, then rounded. */
	double x64[DEMO_ELEMS], y64[DEMO_ELEMS];
	memcpy(x64, page_input, sizeof x64);
	x = lrelu_tensor_make(x64, LRELU_FLOAT64, 2, shape, NULL);
	y = lrelu_tensor_make(y64, LRELU_FLOAT64, 2, shape, NULL);
	if ((st = lrelu_module_torch(&r[0].module, 0.2, false)) != LRELU_OK ||
	    (st = lrelu_module_forward(&r[0].module, &x, &y)) != LRELU_OK)
		return fail(d, &r[0], st);
	for (int i = 0; i < DEMO_ELEMS; i++)
		r[0].out[i] = (float)y64[i];

	/* Example 1, MindSpore: m = nn.LeakyReLU() (alpha 0.2); x float32; output = m(x). */
	for (int i = 0; i < DEMO_ELEMS; i++)
		x32[i] = (float)page_input[i];
	x = lrelu_tensor_make(x32, LRELU_FLOAT32, 2, shape, NULL);
	y = lrelu_tensor_make(r[1].out, LRELU_FLOAT32, 2, shape, NULL);
	if ((st = lrelu_module_mindspore(&r[1].module, LRELU_MINDSPORE_DEFAULT_ALPHA)) !=
	        LRELU_OK ||
	    (st = lrelu_module_forward(&r[1].module, &x, &y)) != LRELU_OK)
		return fail(d, &r[1], st);

	/* Example 2, PyTorch: m = nn.LeakyReLU(0.2, inplace=True); m(inputs); print(inputs):
	 * the input itself holds the result. */
	for (int i = 0; i < DEMO_ELEMS; i++)
		r[2].out[i] = (float)page_input[i];
	x = lrelu_tensor_make(r[2].out, LRELU_FLOAT32, 2, shape, NULL);
	if ((st = lrelu_module_torch(&r[2].module, 0.2, true)) != LRELU_OK ||
	    (st = lrelu_module_forward(&r[2].module, &x, NULL)) != LRELU_OK)
		return fail(d, &r[2], st);

	/* Example 2, MindSpore: no inplace parameter (asking for one is refused); x = m(x)
	 * assigns the output instead. */
	st = lrelu_module_init(&r[3].module, LRELU_MINDSPORE, LRELU_MINDSPORE_DEFAULT_ALPHA, true);
	if (st != LRELU_ERR_INPLACE) {
		snprintf(d->error, sizeof d->error, "example 2, MindSpore: inplace=True was not "
		         "refused (%s)", lrelu_status_str(st));
		return -1;
	}
	snprintf(d->refusal, sizeof d->refusal, "%s", lrelu_last_error());
	for (int i = 0; i < DEMO_ELEMS; i++)
		r[3].out[i] = (float)page_input[i];
	x = lrelu_tensor_make(r[3].out, LRELU_FLOAT32, 2, shape, NULL);
	if ((st = lrelu_module_mindspore(&r[3].module, LRELU_MINDSPORE_DEFAULT_ALPHA)) !=
	        LRELU_OK ||
	    (st = lrelu_module_forward(&r[3].module, &x, &x)) != LRELU_OK)
		return fail(d, &r[3], st);
	return 0;
}

int demo_print(FILE *f, const struct demo_run *r)
{
	lrelu_tensor t = lrelu_tensor_make((void *)r->out, LRELU_FLOAT32, 2, shape, NULL);
	return npyprint_tensor(f, &t);
}

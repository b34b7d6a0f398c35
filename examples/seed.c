/* seed.c - the two examples of MindSpore's torch.nn.LeakyReLU API-mapping page, through liblrelu */
#include <stdio.h>
#include <stdlib.h>

#include "lrelu.h"
#include "npyprint.h"

/*
 * The page runs each example in PyTorch and in MindSpore and prints the same array.
 * Here both run through the public API with each framework's semantics, and the
 * results print exactly as NumPy's print() shows them on the page.
 */

static const int64_t shape[2] = { 2, 3 };

static int die(const char *what)
{
	fprintf(stderr, "seed: %s: %s\n", what, lrelu_last_error());
	return 1;
}

static void show(const char *title, const lrelu_module *m, const lrelu_tensor *t)
{
	char repr[128];
	lrelu_module_repr(m, repr, sizeof repr);
	printf("%s\n#   module: %s\n", title, repr);
	npyprint_tensor(stdout, t);
}

int main(void)
{
	lrelu_module m;
	lrelu_tensor x, y;

	/* Example 1, PyTorch: m = nn.LeakyReLU(0.2); inputs = torch.tensor(..., dtype=float)
	 * (float64); output = m(inputs).to(torch.float32) */
	{
		double in[6] = { -1.0, 4.0, -8.0, 2.0, -5.0, 9.0 }, out[6];
		float out32[6];
		x = lrelu_tensor_make(in, LRELU_FLOAT64, 2, shape, NULL);
		y = lrelu_tensor_make(out, LRELU_FLOAT64, 2, shape, NULL);
		if (lrelu_module_torch(&m, 0.2, false) || lrelu_module_forward(&m, &x, &y))
			return die("example 1, PyTorch");
		for (int i = 0; i < 6; i++)
			out32[i] = (float)out[i]; /* .to(torch.float32) */
		y = lrelu_tensor_make(out32, LRELU_FLOAT32, 2, shape, NULL);
		show("# Example 1, PyTorch: m = nn.LeakyReLU(0.2); m(inputs).to(torch.float32), inputs float64", &m, &y);
	}
	/* Example 1, MindSpore: m = nn.LeakyReLU() (alpha 0.2); x float32; output = m(x) */
	{
		float in[6] = { -1.0f, 4.0f, -8.0f, 2.0f, -5.0f, 9.0f }, out[6];
		x = lrelu_tensor_make(in, LRELU_FLOAT32, 2, shape, NULL);
		y = lrelu_tensor_make(out, LRELU_FLOAT32, 2, shape, NULL);
		if (lrelu_module_mindspore(&m, LRELU_MINDSPORE_DEFAULT_ALPHA) || lrelu_module_forward(&m, &x, &y))
			return die("example 1, MindSpore");
		show("# Example 1, MindSpore: m = nn.LeakyReLU(); output = m(x), x float32", &m, &y);
	}
	/* Example 2, PyTorch: m = nn.LeakyReLU(0.2, inplace=True); m(inputs); print(inputs) */
	{
		float in[6] = { -1.0f, 4.0f, -8.0f, 2.0f, -5.0f, 9.0f };
		x = lrelu_tensor_make(in, LRELU_FLOAT32, 2, shape, NULL);
		if (lrelu_module_torch(&m, 0.2, true) || lrelu_module_forward(&m, &x, NULL))
			return die("example 2, PyTorch");
		show("# Example 2, PyTorch: m = nn.LeakyReLU(0.2, inplace=True); m(inputs); print(inputs)", &m, &x);
	}
	/* Example 2, MindSpore: no inplace parameter; x = m(x) assigns the output instead */
	{
		float in[6] = { -1.0f, 4.0f, -8.0f, 2.0f, -5.0f, 9.0f };
		x = lrelu_tensor_make(in, LRELU_FLOAT32, 2, shape, NULL);
		if (lrelu_module_init(&m, LRELU_MINDSPORE, LRELU_MINDSPORE_DEFAULT_ALPHA, true) != LRELU_ERR_INPLACE)
			return die("example 2, MindSpore accepted inplace");
		printf("# mindspore.nn.LeakyReLU(inplace=True) is refused: %s\n", lrelu_last_error());
		if (lrelu_module_mindspore(&m, LRELU_MINDSPORE_DEFAULT_ALPHA) || lrelu_module_forward(&m, &x, &x))
			return die("example 2, MindSpore");
		show("# Example 2, MindSpore: m = nn.LeakyReLU(); x = m(x)", &m, &x);
	}
	return 0;
}

/* seed.c - the two examples of MindSpore's torch.nn.LeakyReLU API-mapping page, through liblrelu */
#include <stdio.h>

#include "lrelu.h"
#include "demo.h"

/*
 * The page runs each example in PyTorch and in MindSpore and prints the same array.
 * Here both run through the public API with each framework's semantics (the calls are
 * in cli/demo.c, which `lrelu demo` runs too), and the results print exactly as
 * NumPy's print() shows them on the page.
 */

static const char *const titles[DEMO_RUNS] = {
	"# Example 1, PyTorch: m = nn.LeakyReLU(0.2); m(inputs).to(torch.float32), inputs float64",
	"# Example 1, MindSpore: m = nn.LeakyReLU(); output = m(x), x float32",
	"# Example 2, PyTorch: m = nn.LeakyReLU(0.2, inplace=True); m(inputs); print(inputs)",
	"# Example 2, MindSpore: m = nn.LeakyReLU(); x = m(x)",
};

int main(void)
{
	struct demo d;
	if (demo_compute(&d) != 0) {
		fprintf(stderr, "seed: %s\n", d.error);
		return 1;
	}
	for (int i = 0; i < DEMO_RUNS; i++) {
		char repr[128];
		if (d.run[i].example == 2 && d.run[i].fw == LRELU_MINDSPORE)
			printf("# mindspore.nn.LeakyReLU(inplace=True) is refused: %s\n", d.refusal);
		lrelu_module_repr(&d.run[i].module, repr, sizeof repr);
		printf("%s\n#   module: %s\n", titles[i], repr);
		demo_print(stdout, &d.run[i]);
	}
	return 0;
}

/* demo.h - the seed page's two examples (MindSpore's API mapping for torch.nn.LeakyReLU),
 * each as PyTorch and as MindSpore run it, through the public API: one implementation for
 * `lrelu demo` and examples/seed.c, which each print the runs in their own words */
#ifndef LRELU_DEMO_H
#define LRELU_DEMO_H

#include <stdio.h>

#include "lrelu.h"

/* Example 1 PyTorch, example 1 MindSpore, example 2 PyTorch, example 2 MindSpore. */
enum { DEMO_RUNS = 4, DEMO_ELEMS = 6 };

struct demo_run {
	int example;          /* 1 or 2, as the page numbers them */
	lrelu_framework fw;   /* LRELU_TORCH or LRELU_MINDSPORE */
	lrelu_module module;  /* the module the page constructs (for its repr) */
	float out[DEMO_ELEMS]; /* the array the page prints: float32, shape (2, 3) */
};

struct demo {
	struct demo_run run[DEMO_RUNS];
	char refusal[256]; /* why mindspore.nn.LeakyReLU(inplace=True) is refused */
	char error[512];   /* after a failure: the run and the library's message */
};

/* Runs the four on the page's input [[-1.0, 4.0, -8.0], [2.0, -5.0, 9.0]].  Returns 0,
 * or -1 with d->error set. */
int demo_compute(struct demo *d);

/* Prints one run's array as NumPy's print() shows it.  Returns 0, or -1 on a write
 * error (errno set). */
int demo_print(FILE *f, const struct demo_run *r);

#endif

/* tour.c - the README's API tour, compiled and run by the tests so that it stays true */
#include <stdio.h>

#include <lrelu.h>

int main(void)
{
	/* Flat buffers, PyTorch semantics: y = x > 0 ? x : x * 0.01f */
	float x[4] = { -2.0f, -0.0f, 0.5f, 3.0f }, y[4];
	if (lrelu_f32(x, y, 4, 0.01f) != LRELU_OK)
		return 1;

	/* Tensors: a transposed 2x3 view of a 3x2 float16 buffer, MindSpore semantics */
	uint16_t h[6], out[6];
	for (int i = 0; i < 6; i++)
		h[i] = lrelu_f32_to_f16((float)(i - 3));
	int64_t shape[2] = { 2, 3 }, strides[2] = { 1, 2 };
	lrelu_tensor tx = lrelu_tensor_make(h, LRELU_FLOAT16, 2, shape, strides);
	lrelu_tensor ty = lrelu_tensor_make(out, LRELU_FLOAT16, 2, shape, NULL);
	if (lrelu_forward(LRELU_MINDSPORE, 0.2, &tx, &ty) != LRELU_OK) {
		fprintf(stderr, "lrelu: %s\n", lrelu_last_error());
		return 1;
	}

	/* Backward, PyTorch: dx = x > 0 ? dy : dy * s */
	float dy[4] = { 1, 1, 1, 1 }, dx[4];
	lrelu_f32_backward(dy, x, dx, 4, 0.01f);

	/* Modules with the frameworks' names, defaults and repr */
	lrelu_module m;
	char repr[64];
	lrelu_module_torch(&m, LRELU_TORCH_DEFAULT_SLOPE, true);
	lrelu_module_repr(&m, repr, sizeof repr);

	/* Errors: a status, and a message naming what was wrong */
	if (lrelu_module_init(&m, LRELU_MINDSPORE, 0.2, true) != LRELU_OK)
		printf("refused: %s\n", lrelu_last_error());

	printf("y = %g %g %g %g\n", y[0], y[1], y[2], y[3]);
	printf("mindspore f16 = %g %g %g\n", lrelu_f16_to_f32(out[0]), lrelu_f16_to_f32(out[1]),
	       lrelu_f16_to_f32(out[2]));
	printf("dx = %g %g %g %g\n", dx[0], dx[1], dx[2], dx[3]);
	printf("%s, isa %s\n", repr, lrelu_isa_name(lrelu_get_isa()));
	return 0;
}

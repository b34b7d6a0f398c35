"""lrelu: LeakyReLU bit for bit as PyTorch, MindSpore, ONNX and TensorFlow compute it.

NumPy arrays and PyTorch CPU tensors go to the C library without a copy:

    >>> import numpy as np, lrelu
    >>> lrelu.leaky_relu(np.array([-1.0, 2.0], np.float32), 0.2, framework="mindspore")
    array([-0.2,  2. ], dtype=float32)

- leaky_relu, leaky_relu_backward: the functions (docstrings: help(lrelu.leaky_relu)).
- diff, diff_arrays: the command's `lrelu diff` (two rules on x, or two given results)
  as a DiffResult: counts, a mask, the largest differences, the counts by cause.
- rrelu, rrelu_backward, Generator, prelu, prelu_backward: RReLU and PReLU (PyTorch 1.13;
  PReLU: MindSpore 2.8 too).
- set_num_threads, get_num_threads: the library's own thread pool.
- Error: every refusal (a ValueError and a RuntimeError), carrying the library's message.
- lrelu.torch: torch.nn modules (LeakyReLU, MindSporeLeakyReLU), emulate(model, framework),
  and the functional forms; importing it imports torch, `import lrelu` alone does not.
- lrelu.mindspore: a stand-in for the part of MindSpore its LeakyReLU examples use.
"""
from ._diff import DiffResult
from ._family import Generator, prelu, prelu_backward, rrelu, rrelu_backward
from ._lrelu import (Error, __version__, diff, diff_arrays, get_num_threads, leaky_relu,
                     leaky_relu_backward, set_num_threads)

__all__ = ["Error", "leaky_relu", "leaky_relu_backward", "diff", "diff_arrays", "DiffResult",
           "set_num_threads", "get_num_threads", "__version__", "Generator", "rrelu",
           "rrelu_backward", "prelu", "prelu_backward"]

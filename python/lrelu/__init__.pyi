from typing import Any, Literal, Optional, TypeVar, Union, overload

_Framework = Literal["torch", "pytorch", "mindspore", "onnx", "tensorflow", "tf", "jax",
                     "onnxruntime", "ort"]
_DType = Union[Literal["float32", "float64", "bfloat16", "float16"], Any]
_A = TypeVar("_A")  # numpy.ndarray or torch.Tensor: the result has the input's kind

__version__: str

class Error(ValueError, RuntimeError):
    """An error from lrelu, carrying the library's message."""

def leaky_relu(x: _A, negative_slope: Optional[float] = None, *, framework: _Framework = "torch",
               dtype: Optional[_DType] = None, out: Optional[_A] = None, inplace: bool = False) -> _A: ...
def leaky_relu_backward(grad: _A, x: _A, negative_slope: Optional[float] = None, *,
                        framework: _Framework = "torch", dtype: Optional[_DType] = None,
                        out: Optional[_A] = None, x_is_result: bool = False) -> _A: ...
def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...

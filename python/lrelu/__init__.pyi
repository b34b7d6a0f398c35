from typing import Any, Dict, List, Literal, Optional, Tuple, TypeVar, Union, overload

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

class DiffResult:
    """Where two LeakyReLU results differ in their bits, and why (lrelu.diff's report)."""
    elements: int
    differ: int
    mask: Any  # bool numpy.ndarray, or torch.bool tensor for a tensor input
    max_ulp: Optional[int]
    max_abs: Optional[float]
    max_rel: Optional[float]
    causes: Dict[str, int]
    from_: str
    to: str
    from_slope: float
    to_slope: float
    dtype: str
    backward: bool
    shape: Tuple[int, ...]
    indices: List[int]
    match: Optional[Dict[str, Dict[str, int]]]
    neither: Optional[Dict[str, int]]
    def as_dict(self) -> Dict[str, Any]: ...

def diff(x: Any, *, negative_slope: Optional[float] = None, alpha: Optional[float] = None,
         from_slope: Optional[float] = None, to_slope: Optional[float] = None,
         from_: _Framework = "torch", to: _Framework = "mindspore", grad: Optional[Any] = None,
         dtype: Optional[_DType] = None) -> DiffResult: ...
def diff_arrays(a: Any, b: Any, *, x: Optional[Any] = None, negative_slope: Optional[float] = None,
                alpha: Optional[float] = None, from_slope: Optional[float] = None,
                to_slope: Optional[float] = None, from_: _Framework = "torch",
                to: _Framework = "mindspore", grad: Optional[Any] = None,
                dtype: Optional[_DType] = None) -> DiffResult: ...
def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...

class Generator:
    """PyTorch's CPU generator (MT19937) seeded as torch.manual_seed(seed) seeds it."""
    def __init__(self, seed: int) -> None: ...

def rrelu(x: _A, lower: float = ..., upper: float = ..., training: bool = False,
          generator: Optional[Generator] = None) -> Any: ...
def rrelu_backward(grad: _A, noise: _A) -> _A: ...
def prelu(x: _A, weight: _A, framework: str = ...) -> _A: ...
def prelu_backward(grad: _A, x: _A, weight: _A, framework: str = ...) -> Tuple[_A, _A]: ...

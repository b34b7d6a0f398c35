from typing import Any, Optional, Tuple, Union

import numpy as np

class dtype:
    name: str

float16: dtype
float32: dtype
float64: dtype
bfloat16: dtype

class Tensor:
    def __init__(self, input_data: Any, dtype: Optional[Union[dtype, str]] = None) -> None: ...
    @property
    def shape(self) -> Tuple[int, ...]: ...
    @property
    def dtype(self) -> dtype: ...
    def astype(self, dtype: Union[dtype, str]) -> "Tensor": ...
    def asnumpy(self) -> np.ndarray: ...

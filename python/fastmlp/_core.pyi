# Stubs for the compiled module fastmlp._core (cpp/bindings/). tests/test_stubs.py checks
# that the names here are exactly those the module has.
from typing import Any

import numpy as np

class Activation:
    identity: Activation
    relu: Activation
    leaky_relu: Activation
    sigmoid: Activation
    tanh: Activation
    elu: Activation
    gelu: Activation
    gelu_tanh: Activation
    silu: Activation
    softplus: Activation
    __members__: dict[str, Activation]
    def __init__(self, value: int) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

def build_info() -> dict[str, Any]: ...
def get_num_threads() -> int: ...
def set_num_threads(n: int) -> None: ...
def matmul(
    a: Any,
    b: Any,
    *,
    trans_a: bool = False,
    trans_b: bool = False,
    alpha: float = 1.0,
    beta: float = 0.0,
    out: np.ndarray | None = None,
) -> np.ndarray: ...
def gemm_reference(
    a: Any,
    b: Any,
    *,
    trans_a: bool = False,
    trans_b: bool = False,
    alpha: float = 1.0,
    beta: float = 0.0,
    out: np.ndarray | None = None,
) -> np.ndarray: ...
def linear(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    activation: Activation,
    activation_param: float,
    out: np.ndarray | None,
) -> np.ndarray: ...
def activation_forward(
    kind: Activation, x: np.ndarray, param: float, out: np.ndarray | None
) -> np.ndarray: ...
def activation_backward(
    kind: Activation, x: np.ndarray, dy: np.ndarray, param: float, out: np.ndarray | None
) -> np.ndarray: ...
def least_squares(
    pred: np.ndarray, target: np.ndarray, scale: float
) -> tuple[float, np.ndarray]: ...
def softmax_cross_entropy(
    logits: np.ndarray, labels: np.ndarray, scale: float
) -> tuple[float, np.ndarray]: ...
def bias_gradient(dy: np.ndarray) -> np.ndarray: ...

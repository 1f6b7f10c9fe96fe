# Stubs for the compiled module fastmlp._core (cpp/bindings/). tests/test_stubs.py checks
# that the names here are exactly those the module has.
from typing import Any, Callable

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
def matmul_sparse_a(
    a: Any,
    b: Any,
    *,
    trans_a: bool = False,
    trans_b: bool = False,
    alpha: float = 1.0,
    beta: float = 0.0,
    out: np.ndarray | None = None,
) -> np.ndarray: ...
def linear_sparse_x(
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
def all_finite(a: np.ndarray) -> bool: ...
def bias_gradient(dy: np.ndarray) -> np.ndarray: ...
def weight_gradient(
    delta: np.ndarray,
    x: np.ndarray,
    out: tuple[np.ndarray, np.ndarray] | None,
    accumulate: bool,
) -> tuple[np.ndarray, np.ndarray]: ...

class Loss:
    least_squares: Loss
    cross_entropy: Loss
    binary_cross_entropy: Loss
    poisson: Loss
    __members__: dict[str, Loss]
    def __init__(self, value: int) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class OptimizerKind:
    sgd: OptimizerKind
    adam: OptimizerKind
    adamw: OptimizerKind
    __members__: dict[str, OptimizerKind]
    def __init__(self, value: int) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class _Network:
    def __init__(self, layers: list[tuple[int, int, Activation, float, float]]) -> None: ...
    @property
    def n_parameters(self) -> int: ...
    @property
    def n_inputs(self) -> int: ...
    @property
    def n_outputs(self) -> int: ...
    @property
    def parameters(self) -> np.ndarray: ...
    @property
    def gradients(self) -> np.ndarray: ...
    def offsets(self, layer: int) -> tuple[int, int]: ...
    def predict(self, x: object) -> np.ndarray | None: ...
    def loss_and_gradient(
        self,
        x: np.ndarray,
        loss: Loss,
        targets: np.ndarray,
        sample_weight: np.ndarray | None,
        mean: bool,
        l2: float,
        seed: int,
    ) -> float: ...
    def train(
        self,
        optimizer: Any,
        x: np.ndarray,
        loss: Loss,
        targets: np.ndarray,
        sample_weight: np.ndarray | None,
        mean: bool,
        l2: float,
        l2_per_sample: bool,
        batch_size: int,
        shuffle: bool,
        seed: int,
        learning_rates: list[float],
        first_epoch: int,
        stop_requested: Callable[[], bool],
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]: ...

class NetworkF32(_Network): ...
class NetworkF64(_Network): ...

class _Optimizer:
    def __init__(
        self,
        kind: OptimizerKind,
        n_parameters: int,
        momentum: float,
        nesterov: bool,
        weight_decay: float,
        beta1: float,
        beta2: float,
        eps: float,
    ) -> None: ...
    steps: int
    @property
    def n_states(self) -> int: ...
    def state(self, i: int) -> np.ndarray: ...
    def step(self, network: _Network, lr: float) -> None: ...

class OptimizerF32(_Optimizer): ...
class OptimizerF64(_Optimizer): ...

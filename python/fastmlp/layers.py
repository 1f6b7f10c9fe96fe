"""The layers a network is built from: Dense, an activation after it, Dropout after that.

``fm.Sequential(fm.Dense(40, 100), fm.ReLU(), fm.Dropout(0.1), fm.Dense(100, 10))`` — the
same list as ``torch.nn.Sequential``, and the same names in ``state_dict``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fastmlp._arrays import as_finite

__all__ = [
    "ELU",
    "GELU",
    "SiLU",
    "Dense",
    "Dropout",
    "Identity",
    "LeakyReLU",
    "ReLU",
    "Sigmoid",
    "Softplus",
    "Tanh",
    "activation_layer",
]


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


class Dense:
    """A fully connected layer ``x·Wᵀ + b``; W has shape (out_features, in_features).

    Once the layer is in a network, ``weight`` and ``bias`` are writable numpy views into the
    network's flat parameter buffer (and ``weight_grad``/``bias_grad`` into its gradients).
    """

    def __init__(self, in_features: int, out_features: int) -> None:
        self.in_features = _positive_int("in_features", in_features)
        self.out_features = _positive_int("out_features", out_features)
        self._views: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def _attach(self, parameters: np.ndarray, gradients: np.ndarray, offsets: Any) -> None:
        w, b = offsets
        n_weights = self.in_features * self.out_features
        shape = (self.out_features, self.in_features)
        self._views = (
            parameters[w : w + n_weights].reshape(shape),
            parameters[b : b + self.out_features],
            gradients[w : w + n_weights].reshape(shape),
            gradients[b : b + self.out_features],
        )

    def _view(self, i: int) -> np.ndarray:
        if self._views is None:
            raise RuntimeError("this Dense layer is not part of a network yet")
        return self._views[i]

    @property
    def weight(self) -> np.ndarray:
        return self._view(0)

    @weight.setter
    def weight(self, value: Any) -> None:
        self._view(0)[...] = _same_shape("weight", self._view(0), value)

    @property
    def bias(self) -> np.ndarray:
        return self._view(1)

    @bias.setter
    def bias(self, value: Any) -> None:
        self._view(1)[...] = _same_shape("bias", self._view(1), value)

    @property
    def weight_grad(self) -> np.ndarray:
        return self._view(2)

    @property
    def bias_grad(self) -> np.ndarray:
        return self._view(3)

    def __repr__(self) -> str:
        return f"Dense({self.in_features}, {self.out_features})"

    # Pickled and copied without the views: its weights belong to the network, which pickles
    # them and attaches the copy to its own buffer.
    def __getstate__(self) -> dict[str, int]:
        return {"in_features": self.in_features, "out_features": self.out_features}

    def __setstate__(self, state: dict[str, Any]) -> None:
        Dense.__init__(self, state["in_features"], state["out_features"])


def _same_shape(name: str, target: np.ndarray, value: Any) -> np.ndarray:
    array = np.asarray(value)
    if array.shape != target.shape:
        raise ValueError(f"{name} must have shape {target.shape}, got {array.shape}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    return as_finite(name, array, target.dtype)


class Activation:
    """An elementwise activation applied to the output of the Dense layer before it."""

    name = "identity"

    def __init__(self) -> None:
        self.param: float | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Identity(Activation):
    name = "identity"


class ReLU(Activation):
    name = "relu"


class LeakyReLU(Activation):
    name = "leaky_relu"

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.param = float(negative_slope)

    def __repr__(self) -> str:
        return f"LeakyReLU(negative_slope={self.param})"


class Sigmoid(Activation):
    name = "sigmoid"


class Tanh(Activation):
    name = "tanh"


class ELU(Activation):
    name = "elu"

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.param = float(alpha)

    def __repr__(self) -> str:
        return f"ELU(alpha={self.param})"


class GELU(Activation):
    """GELU, exact (``approximate="none"``) or its tanh approximation, as torch.nn.GELU."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate
        self.name = "gelu" if approximate == "none" else "gelu_tanh"

    def __repr__(self) -> str:
        return f"GELU(approximate={self.approximate!r})"


class SiLU(Activation):
    name = "silu"


class Softplus(Activation):
    name = "softplus"


_BY_NAME: dict[str, type[Activation]] = {
    "identity": Identity,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "elu": ELU,
    "silu": SiLU,
    "swish": SiLU,
    "softplus": Softplus,
}


def activation_layer(name: str) -> Activation:
    """The activation layer for a name of fastmlp.ops.ACTIVATIONS (or "swish")."""
    if name == "gelu":
        return GELU()
    if name == "gelu_tanh":
        return GELU("tanh")
    if name not in _BY_NAME:
        known = sorted([*_BY_NAME, "gelu", "gelu_tanh"])
        raise ValueError(f"unknown activation {name!r}; choose one of {known}")
    return _BY_NAME[name]()


class Dropout:
    """Zeroes each output of the layer before it with probability p while training, and
    scales the rest by 1/(1 − p) (inverted dropout, as torch.nn.Dropout). Off in predict."""

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= float(p) < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p!r}")
        self.p = float(p)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"

"""A network as the lecture writes it: affine maps (Ωk, βk), each followed by an activation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fastmlp import ops
from fastmlp.layers import Activation, Dense, Dropout
from fastmlp.network import Sequential


@dataclass(frozen=True)
class AffineLayer:
    """``activation(β + Ω·h)``, the weights as float64 copies."""

    weight: np.ndarray  # Ω (out, in)
    bias: np.ndarray  # β (out,)
    activation: str
    activation_param: float | None

    def pre_activation(self, h: np.ndarray) -> np.ndarray:
        """β + Ω·h for each row of h (n, in) -> (n, out)."""
        z: np.ndarray = h @ self.weight.T + self.bias
        return z

    def activate(self, z: np.ndarray) -> np.ndarray:
        function = getattr(ops, self.activation)
        params = () if self.activation_param is None else (self.activation_param,)
        result: np.ndarray = function(z, *params)
        return result

    def slope_below_zero(self) -> float:
        """The activation's slope for negative inputs, for the piecewise-linear ones."""
        slopes = {"relu": 0.0, "identity": 1.0, "leaky_relu": self.activation_param}
        if self.activation not in slopes:
            raise ValueError(
                f"exact linear regions need piecewise-linear activations {sorted(slopes)}, "
                f"got {self.activation!r}"
            )
        return float(slopes[self.activation] or 0.0)


def affine_layers(net: Any) -> list[AffineLayer]:
    """The layers of a fastmlp network (Dropout skipped: it is off at inference)."""
    if not isinstance(net, Sequential):
        raise TypeError(f"expected a fastmlp network (fm.MLP or fm.Sequential), got {net!r}")
    layers: list[AffineLayer] = []
    for layer in net.layers:
        if isinstance(layer, Dense):
            weight = layer.weight.astype(np.float64)
            layers.append(AffineLayer(weight, layer.bias.astype(np.float64), "identity", None))
        elif isinstance(layer, Activation):
            last = layers[-1]
            layers[-1] = AffineLayer(last.weight, last.bias, layer.name, layer.param)
        elif not isinstance(layer, Dropout):
            raise TypeError(f"unexpected layer {layer!r}")
    return layers

"""Shallow networks as the lecture writes them, y = φ0 + Σ_d φd·a[θd0 + θd1·x], and the
pieces it draws: each hidden unit's pre-activation, activation and weighted output."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fastmlp.analysis._affine_layers import affine_layers
from fastmlp.network import MLP

__all__ = ["HiddenUnits", "hidden_units", "shallow_network"]


def shallow_network(theta: Any, phi: Any, activation: str = "relu", dtype: str = "float64") -> MLP:
    """An fm.MLP with one hidden layer set from the lecture's parameters.

    ``theta`` (D, 1 + n_inputs): row d is (θd0, θd1, …), the bias then the input weights of
    hidden unit d. ``phi`` (1 + D,) or (n_outputs, 1 + D): φ0 then the output weights.
    """
    theta = np.asarray(theta, dtype=np.float64)
    phi = np.asarray(phi, dtype=np.float64)
    if theta.ndim != 2 or theta.shape[1] < 2:
        raise ValueError(f"theta must have shape (D, 1 + n_inputs), got {theta.shape}")
    units = theta.shape[0]
    given = phi.shape
    phi = phi.reshape(1, -1) if phi.ndim == 1 else phi
    if phi.ndim != 2 or phi.shape[1] != units + 1:
        raise ValueError(
            f"phi must have shape ({units + 1},) or (n_outputs, {units + 1}) for {units} "
            f"hidden units, got {given}"
        )
    net = MLP(theta.shape[1] - 1, [units], phi.shape[0], activation=activation, dtype=dtype)
    hidden, output = net.layers[0], net.layers[-1]
    hidden.bias, hidden.weight = theta[:, 0], theta[:, 1:]
    output.bias, output.weight = phi[:, 0], phi[:, 1:]
    return net


@dataclass(frozen=True)
class HiddenUnits:
    """The lecture's panels for inputs x: per hidden unit d, ``pre_activations[:, d]`` =
    θd0 + θd1·x, ``activations`` = a[…], ``weighted`` = φd·a[…] (first output), and
    ``output`` = φ0 + Σ_d weighted."""

    pre_activations: np.ndarray  # (n, D)
    activations: np.ndarray  # (n, D)
    weighted: np.ndarray  # (n, D)
    output: np.ndarray  # (n,)


def hidden_units(net: Any, x: Any) -> HiddenUnits:
    """Decomposes a shallow network's first output at the 1-D inputs x."""
    layers = affine_layers(net)
    if len(layers) != 2 or layers[0].weight.shape[1] != 1:
        shapes = [layer.weight.shape for layer in layers]
        raise ValueError(
            f"hidden_units needs a shallow network (one input, one hidden layer), got layers "
            f"of shapes {shapes}"
        )
    hidden, output = layers
    pre = hidden.pre_activation(np.asarray(x, dtype=np.float64).reshape(-1, 1))
    activations = hidden.activate(pre)
    weighted = activations * output.weight[0]
    return HiddenUnits(pre, activations, weighted, output.bias[0] + weighted.sum(axis=1))

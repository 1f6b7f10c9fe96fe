"""Deep networks as composition: feeding one network's output into another is itself a
deep network, whose middle layer merges the first's output layer and the second's input
layer (Ω = Ω₂·Ω₁, β = Ω₂·β₁ + β₂). Each fold of the first network's output makes the second
network's regions repeat, so regions multiply."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from fastmlp.layers import Dense
from fastmlp.network import Sequential

__all__ = ["compose"]


def compose(first: Sequential, second: Sequential) -> Sequential:
    """The deep network x ↦ second(first(x)), as one fm.Sequential.

    ``first`` must end in a Dense layer with no activation after it (a linear output), with
    as many outputs as ``second`` has inputs.
    """
    for name, net in (("first", first), ("second", second)):
        if not isinstance(net, Sequential):
            raise TypeError(f"{name} must be a fastmlp network, got {net!r}")
    last = first.layers[-1]
    if not isinstance(last, Dense):
        raise ValueError(f"first must end in a linear Dense layer, it ends in {last!r}")
    if first.n_outputs != second.n_inputs:
        raise ValueError(
            f"second expects {second.n_inputs} inputs, first has {first.n_outputs} outputs"
        )
    first_dense, second_dense = _dense(first), _dense(second)
    outgoing, incoming = first_dense[-1], second_dense[0]
    weights = [(d.weight, d.bias) for d in first_dense[:-1]]
    weights.append(
        (incoming.weight @ outgoing.weight, incoming.weight @ outgoing.bias + incoming.bias)
    )
    weights += [(d.weight, d.bias) for d in second_dense[1:]]
    merged = Dense(outgoing.in_features, incoming.out_features)
    layers = [*map(_fresh, first.layers[:-1]), merged, *map(_fresh, second.layers[1:])]
    dtype = np.promote_types(first.dtype, second.dtype).name
    deep = Sequential(*layers, dtype=dtype)
    for dense, (weight, bias) in zip(_dense(deep), weights):
        dense.weight, dense.bias = weight, bias
    return deep


def _dense(net: Sequential) -> list[Dense]:
    return [layer for layer in net.layers if isinstance(layer, Dense)]


def _fresh(layer: Any) -> Any:
    """A new layer like ``layer`` (a network's Dense layers belong to that network)."""
    if isinstance(layer, Dense):
        return Dense(layer.in_features, layer.out_features)
    return copy.copy(layer)

"""How many parameters and how many linear regions a ReLU network of given widths has:
the numbers behind the lecture's depth-versus-width comparison."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import comb
from operator import index
from typing import Any

import numpy as np

__all__ = ["ArchitectureRow", "architecture_table", "max_linear_regions", "n_parameters"]


def n_parameters(n_inputs: int, hidden_widths: Sequence[int], n_outputs: int) -> int:
    """Weights and biases of a fully connected network: Σ_k (width_k + 1)·width_k+1."""
    sizes = [_width("n_inputs", n_inputs), *_widths(hidden_widths), _width("n_outputs", n_outputs)]
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))


def max_linear_regions(n_inputs: int, hidden_widths: Sequence[int]) -> int:
    """The most linear regions a ReLU network with these hidden widths can divide its input
    space into: the bound of Serra, Tjandraatmadja & Ramalingam (2018, Theorem 7),

        Σ over (j_1 … j_L) of Π_l C(n_l, j_l),
        0 ≤ j_l ≤ min(n_0, n_1 − j_1, …, n_{l−1} − j_{l−1}, n_l).

    One hidden layer of D units gives Zaslavsky's count for D hyperplanes in general position
    in n_0 dimensions, Σ_{j ≤ n_0} C(D, j). With one input every layer of D ≥ 2 units
    multiplies the count by D + 1 (1 input, 5 layers of 10: 11⁵ = 161,051), which sawtooth
    networks attain (Montúfar et al. 2014).
    """
    dimension = _width("n_inputs", n_inputs)
    # Dynamic programme over b = min(n_0, n_1 − j_1, …, n_l − j_l), the bound on j_{l+1}:
    # ways[b] sums the products Π C(n_l, j_l) of the choices that lead to b.
    ways = {dimension: 1}
    for width in _widths(hidden_widths):
        following: dict[int, int] = {}
        for bound, count in ways.items():
            for j in range(min(bound, width) + 1):
                key = min(bound, width - j)
                following[key] = following.get(key, 0) + count * comb(width, j)
        ways = following
    return sum(ways.values())


@dataclass(frozen=True)
class ArchitectureRow:
    hidden_widths: tuple[int, ...]
    parameters: int
    max_regions: int


def architecture_table(
    n_inputs: int, architectures: Sequence[Sequence[int]], n_outputs: int
) -> list[ArchitectureRow]:
    """Parameters and maximum linear regions of each architecture (its hidden widths)."""
    for widths in architectures:
        if isinstance(widths, (str, bytes)) or not isinstance(widths, (Sequence, np.ndarray)):
            raise TypeError(
                "architectures must be a sequence of hidden-width lists, such as [[10], [5, 5]]; "
                f"one entry is {widths!r}"
            )
    return [
        ArchitectureRow(
            tuple(_widths(widths)),
            n_parameters(n_inputs, widths, n_outputs),
            max_linear_regions(n_inputs, widths),
        )
        for widths in architectures
    ]


def _width(name: str, value: Any) -> int:
    try:
        number = index(value)  # ints and numpy integers, not floats
    except TypeError:
        number = 0
    if isinstance(value, bool) or number < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return number


def _widths(hidden_widths: Sequence[int]) -> list[int]:
    if isinstance(hidden_widths, np.ndarray) and hidden_widths.ndim == 1:
        hidden_widths = hidden_widths.tolist()
    if isinstance(hidden_widths, (str, bytes)) or not isinstance(hidden_widths, Sequence):
        raise TypeError(f"hidden_widths must be a sequence of ints, got {hidden_widths!r}")
    return [_width(f"hidden_widths[{i}]", w) for i, w in enumerate(hidden_widths)]

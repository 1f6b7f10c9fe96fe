"""Activation patterns and linear regions of ReLU networks, exact from the weights.

A ReLU network computes a continuous piecewise-linear function. Each input has an
activation pattern (which hidden units are active: pre-activation > 0); the inputs that
share a pattern form a convex linear region, on which the network is one affine map.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fastmlp._arrays import as_count, as_finite
from fastmlp.analysis._affine_layers import affine_layers

__all__ = [
    "LinearRegions1D",
    "LinearRegions2D",
    "activation_patterns",
    "linear_regions_1d",
    "linear_regions_2d",
]


def activation_patterns(net: Any, X: Any) -> np.ndarray:
    """Which hidden units are active (pre-activation > 0) for each row of X.

    Returns a bool array (n_samples, total hidden units), the units layer by layer, in
    float64 whatever the network's dtype.
    """
    layers = affine_layers(net)
    h = _inputs(X, layers[0].weight.shape[1])
    patterns = []
    for layer in layers[:-1]:
        z = layer.pre_activation(h)
        patterns.append(z > 0)
        h = layer.activate(z)
    if not patterns:
        return np.zeros((h.shape[0], 0), dtype=bool)
    return np.concatenate(patterns, axis=1)


@dataclass(frozen=True)
class LinearRegions1D:
    """The linear regions of a network with one input on [lo, hi]: region k is
    ``edges[k] <= x <= edges[k + 1]``, where the outputs are ``slopes[k]·x + intercepts[k]``."""

    edges: np.ndarray  # (count + 1,) lo, the breakpoints, hi
    slopes: np.ndarray  # (count, n_outputs)
    intercepts: np.ndarray  # (count, n_outputs)

    @property
    def breakpoints(self) -> np.ndarray:
        """The joints inside (lo, hi) where the activation pattern changes."""
        return self.edges[1:-1]

    @property
    def count(self) -> int:
        return len(self.edges) - 1


def linear_regions_1d(net: Any, lo: float, hi: float) -> LinearRegions1D:
    """The exact linear regions on [lo, hi] of a network with one input and ReLU, leaky ReLU
    or identity activations, computed from the weights (no sampling).

    Layer by layer, each hidden unit's pre-activation is affine on each current region; where
    it crosses zero inside a region, that region splits. Crossings closer than 1e-10·(hi − lo)
    to an existing breakpoint are taken as that breakpoint (float64 rounding).
    """
    layers = affine_layers(net)
    if layers[0].weight.shape[1] != 1:
        raise ValueError(
            f"linear_regions_1d needs a network with 1 input, got {layers[0].weight.shape[1]}"
        )
    lo, hi = float(lo), float(hi)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"need finite lo < hi, got lo={lo}, hi={hi}")
    edges = np.array([lo, hi])
    # Each region's hidden values as affine functions of x: h = slopes·x + intercepts.
    slopes, intercepts = np.ones((1, 1)), np.zeros((1, 1))
    for layer in layers:
        below = layer.slope_below_zero()
        slopes, intercepts = slopes @ layer.weight.T, intercepts @ layer.weight.T + layer.bias
        if below == 1.0:  # identity: no kink, no new regions
            continue
        edges, parent = _split_at_zero_crossings(edges, slopes, intercepts, 1e-10 * (hi - lo))
        slopes, intercepts = slopes[parent], intercepts[parent]
        middle = (edges[:-1] + edges[1:])[:, None] / 2
        factor = np.where(slopes * middle + intercepts > 0, 1.0, below)
        slopes, intercepts = slopes * factor, intercepts * factor
    return LinearRegions1D(edges, slopes, intercepts)


def _split_at_zero_crossings(
    edges: np.ndarray, slopes: np.ndarray, intercepts: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray]:
    """The edges refined by every unit's zero crossing inside a region, and for each new
    region the index of the region it came from."""
    with np.errstate(divide="ignore", invalid="ignore"):
        crossings = 0.0 - intercepts / slopes  # (regions, units); inf/nan where slope is 0; no -0.0
    inside = (crossings > edges[:-1, None] + tolerance) & (crossings < edges[1:, None] - tolerance)
    points = np.sort(np.concatenate([edges, crossings[inside]]))
    refined = points[np.concatenate([[True], np.diff(points) > tolerance])]
    refined[-1] = edges[-1]
    middles = (refined[:-1] + refined[1:]) / 2
    parent = np.searchsorted(edges, middles) - 1
    return refined, parent


@dataclass(frozen=True)
class LinearRegions2D:
    """The activation patterns of a 2-input network on a grid, for pictures: ``labels[i, j]``
    numbers the pattern at ``(x0[j], x1[i])``; ``count`` is how many patterns the grid meets
    (a lower bound on the regions in the square: the grid can miss thin ones)."""

    x0: np.ndarray  # (resolution,)
    x1: np.ndarray  # (resolution,)
    labels: np.ndarray  # (resolution, resolution) int

    @property
    def count(self) -> int:
        return int(self.labels.max()) + 1


def linear_regions_2d(
    net: Any, lo: float = -1.0, hi: float = 1.0, resolution: int = 400
) -> LinearRegions2D:
    """The activation patterns of a network with 2 inputs on a resolution × resolution grid
    over [lo, hi]²."""
    inputs = affine_layers(net)[0].weight.shape[1]
    if inputs != 2:
        raise ValueError(f"linear_regions_2d needs a network with 2 inputs, got {inputs}")
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"need finite lo < hi, got lo={lo}, hi={hi}")
    resolution = as_count("resolution", resolution, 2)
    axis = np.linspace(lo, hi, resolution)
    x0, x1 = np.meshgrid(axis, axis)
    patterns = activation_patterns(net, np.column_stack([x0.ravel(), x1.ravel()]))
    _, labels = np.unique(np.packbits(patterns, axis=1), axis=0, return_inverse=True)
    return LinearRegions2D(axis, axis.copy(), labels.reshape(resolution, resolution))


def _inputs(X: Any, n_inputs: int) -> np.ndarray:
    x = np.asarray(X, dtype=np.float64)
    if x.ndim == 1 and n_inputs == 1:
        x = x.reshape(-1, 1)
    if x.ndim != 2 or x.shape[1] != n_inputs:
        raise ValueError(
            f"X must have shape (n_samples, {n_inputs}): the network expects {n_inputs} "
            f"inputs, got shape {x.shape}"
        )
    return as_finite("X", x, x.dtype)

"""The lecture's "other activation functions", each with its derivative, from fastmlp's
own kernels (the ones training uses)."""

from __future__ import annotations

from typing import Any

import numpy as np

from fastmlp import ops

__all__ = ["activation_curves"]


def activation_curves(x: Any) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{name: (a(x), a'(x))}`` for every activation in fm.ops.ACTIVATIONS, at default
    parameters (leaky ReLU slope 0.01, ELU alpha 1)."""
    x = np.asarray(x, dtype=np.float64)
    ones = np.ones_like(x)
    curves = {}
    for name in ops.ACTIVATIONS:
        forward, backward = getattr(ops, name), getattr(ops, name + "_backward")
        curves[name] = (forward(x), backward(x, ones))
    return curves

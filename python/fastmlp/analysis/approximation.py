"""Universal approximation: a shallow ReLU network with D hidden units is a piecewise-linear
function with up to D joints, so with enough units it follows any continuous 1-D target."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from fastmlp._arrays import as_count
from fastmlp.analysis.shallow import shallow_network
from fastmlp.network import MLP

__all__ = ["Approximation", "universal_approximation"]


@dataclass(frozen=True)
class Approximation:
    units: int
    net: MLP
    rms_error: float  # on the n_samples points fitted


def universal_approximation(
    target: Callable[[np.ndarray], Any],
    units: Sequence[int],
    lo: float = 0.0,
    hi: float = 1.0,
    n_samples: int = 1000,
) -> list[Approximation]:
    """Fits one shallow ReLU network per entry of ``units`` to ``target`` on [lo, hi].

    As in the lecture's argument, hidden unit d is ReLU[x − joint_d] with the joints spread
    evenly over [lo, hi]; the output weights φ are then the least-squares solution, so each
    network is the best fit that its joints allow and the error falls as units grow.
    """
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"need finite lo < hi, got lo={lo}, hi={hi}")
    x = np.linspace(lo, hi, as_count("n_samples", n_samples, 2))
    y = np.asarray(target(x), dtype=np.float64)
    if y.shape != x.shape:
        raise ValueError(f"target(x) must return x's shape {x.shape}, got {y.shape}")
    fits = []
    for count in units:
        count = as_count("each of units", count, 1)
        # The first joint at lo, so the fit has its own slope from the start.
        joints = lo + (hi - lo) * np.arange(count) / count
        theta = np.column_stack([-joints, np.ones(count)])
        features = np.column_stack([np.ones_like(x), np.maximum(x[:, None] - joints, 0.0)])
        phi = np.linalg.lstsq(features, y, rcond=None)[0]
        net = shallow_network(theta, phi)
        error = float(np.sqrt(np.mean((net.predict(x.reshape(-1, 1))[:, 0] - y) ** 2)))
        fits.append(Approximation(count, net, error))
    return fits

"""The lecture's first model: y = φ0 + φ1·x fitted by least squares, by gradient descent (with
fastmlp's own training loop, recording the path) and in closed form."""

from __future__ import annotations

from typing import Any

import numpy as np

from fastmlp._arrays import as_count
from fastmlp.callbacks import Callback
from fastmlp.network import MLP
from fastmlp.optim import SGD

__all__ = ["LinearRegression1D"]


class LinearRegression1D:
    """Fits y = φ0 + φ1·x, minimising the mean squared error L[φ] = mean((φ0 + φ1·x − y)²)
    (the lecture's sum of squares over I, so the same minimiser).

    ``fit`` runs ``steps`` full-batch gradient-descent steps from ``start`` = (φ0, φ1) and
    records ``path_`` (steps + 1, 2), the parameters before each step and after the last, and
    ``losses_`` (steps + 1,). ``lr`` None takes 1/λ_max of the loss's Hessian
    (2/I)·Aᵀ·A with A = [1, x]: the largest step for which the loss falls monotonically in
    every direction. ``closed_form_`` is the least-squares solution (Aᵀ·A)⁻¹·Aᵀ·y, which the
    path converges to.
    """

    def __init__(
        self, lr: float | None = None, steps: int = 200, start: tuple[float, float] = (0.0, 0.0)
    ) -> None:
        if lr is not None and not (float(lr) > 0 and np.isfinite(lr)):
            raise ValueError(f"lr must be a positive number or None, got {lr!r}")
        pair = tuple(start)
        if len(pair) != 2:
            raise ValueError(f"start must be a pair (phi0, phi1), got {pair!r}")
        self.lr, self.steps = lr, as_count("steps", steps, 1)
        self.start = tuple(float(s) for s in pair)

    def fit(self, x: Any, y: Any) -> LinearRegression1D:
        x, y = _data(x, y)
        design = np.column_stack([np.ones_like(x), x])  # A, (I, 2)
        with np.errstate(over="ignore"):  # reported below, in words
            hessian = 2.0 / len(x) * design.T @ design
        if not np.isfinite(hessian).all():
            raise ValueError("x is too large: the loss's curvature overflows float64")
        self.lr_ = float(self.lr or 1.0 / np.linalg.eigvalsh(hessian)[-1])
        self.closed_form_ = np.linalg.lstsq(design, y, rcond=None)[0]

        net = MLP(1, [], 1, dtype="float64")  # one Dense(1, 1): weight φ1, bias φ0
        net.layers[0].weight[...] = self.start[1]
        net.layers[0].bias[...] = self.start[0]
        recorder = _ParameterPath()
        history = net.fit(
            x.reshape(-1, 1), y, loss="least_squares", optimizer=SGD(lr=self.lr_),
            epochs=self.steps, callbacks=[recorder],
        )  # fmt: skip
        self.path_ = np.array([self.start, *recorder.path])
        self.losses_ = np.array([*history.loss, self.loss(self.path_[-1], x, y)])
        self.phi_ = self.path_[-1]
        return self

    def predict(self, x: Any) -> np.ndarray:
        return np.asarray(self.phi_[0] + self.phi_[1] * np.asarray(x, dtype=np.float64))

    @staticmethod
    def loss(phi: Any, x: Any, y: Any) -> float:
        """L[φ] for one φ = (φ0, φ1)."""
        x, y = _data(x, y)
        return float(np.mean((phi[0] + phi[1] * x - y) ** 2))

    @staticmethod
    def loss_surface(phi0: Any, phi1: Any, x: Any, y: Any) -> np.ndarray:
        """L on the grid phi0 × phi1: an array (len(phi1), len(phi0)) for contour plots."""
        x, y = _data(x, y)
        p0, p1 = np.meshgrid(np.asarray(phi0, float), np.asarray(phi1, float))
        residuals = p0[..., None] + p1[..., None] * x - y
        return np.asarray(np.mean(residuals**2, axis=-1))


class _ParameterPath(Callback):
    """Records (φ0, φ1) after each epoch (one full-batch step)."""

    def __init__(self) -> None:
        self.path: list[tuple[float, float]] = []

    def on_epoch_end(self, net: Any, epoch: int, logs: dict[str, float]) -> None:
        self.path.append((float(net.layers[0].bias[0]), float(net.layers[0].weight[0, 0])))


def _data(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or y.shape != x.shape or len(x) < 2:
        raise ValueError(
            f"x and y must be 1-D of the same length >= 2, got shapes {x.shape} and {y.shape}"
        )
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite")
    return x, y

"""Topic 1, supervised learning: a line fitted by gradient descent and in closed form."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fastmlp.analysis import LinearRegression1D
from fastmlp.datasets import toy_linear_1d
from fastmlp.demo.plotting import pyplot, save


def run(out: Path, quick: bool) -> list[Path]:
    x, y = toy_linear_1d()
    model = LinearRegression1D(steps=50 if quick else 300).fit(x, y)
    (g0, g1), (c0, c1) = model.phi_, model.closed_form_
    print(
        f"gradient descent ({model.steps} steps, lr {model.lr_:.3f}): φ0 = {g0:.4f}, φ1 = {g1:.4f}"
    )
    print(f"closed form (least squares):          φ0 = {c0:.4f}, φ1 = {c1:.4f}")
    return [plot(model, x, y, out / "linear_regression.png")]


def plot(model: LinearRegression1D, x: np.ndarray, y: np.ndarray, path: Path) -> Path:
    """Data and fitted lines; the loss surface with the descent path; loss per step."""
    plt = pyplot()
    figure, (data, surface, curve) = plt.subplots(1, 3, figsize=(15, 4.2))
    line = np.linspace(x.min(), x.max(), 2)
    data.scatter(x, y, color="k", s=18, label="data")
    data.plot(line, model.predict(line), label="gradient descent")
    c0, c1 = model.closed_form_
    data.plot(line, c0 + c1 * line, "--", label="closed form")
    data.set(xlabel="input x", ylabel="output y", title="y = φ0 + φ1·x")
    data.legend()

    corners = np.vstack([model.path_, model.closed_form_])
    margin = 0.25 * (corners.max(axis=0) - corners.min(axis=0)) + 0.1
    phi0 = np.linspace(corners[:, 0].min() - margin[0], corners[:, 0].max() + margin[0], 120)
    phi1 = np.linspace(corners[:, 1].min() - margin[1], corners[:, 1].max() + margin[1], 120)
    levels = np.geomspace(model.losses_.min() + 1e-3, model.losses_.max() * 4, 20)
    surface.contour(phi0, phi1, model.loss_surface(phi0, phi1, x, y), levels=levels, cmap="viridis")
    surface.plot(*model.path_.T, ".-", color="C1", markersize=3, label="gradient descent path")
    surface.plot(c0, c1, "*", color="C3", markersize=12, label="closed form")
    surface.set(xlabel="intercept φ0", ylabel="slope φ1", title="loss surface L[φ]")
    surface.legend()

    curve.semilogy(model.losses_)
    curve.set(xlabel="step", ylabel="mean squared error", title="loss during gradient descent")
    return save(figure, path)

"""Topic 7, other activation functions: each one and its derivative, from fastmlp's
kernels."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fastmlp.analysis import activation_curves
from fastmlp.demo.plotting import pyplot, save


def run(out: Path, quick: bool) -> list[Path]:
    z = np.linspace(-4.0, 4.0, 801)
    curves = activation_curves(z)
    print("activations:", ", ".join(curves))
    return [plot(z, curves, out / "activations.png")]


def plot(z: np.ndarray, curves: dict[str, tuple[np.ndarray, np.ndarray]], path: Path) -> Path:
    """One panel per activation: a(z) and a′(z) at the points z."""
    plt = pyplot()
    columns = 5
    rows = -(-len(curves) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 3 * rows), sharex=True)
    for ax, (name, (value, derivative)) in zip(axes.ravel(), curves.items()):
        ax.plot(z, value, label="a(z)")
        ax.plot(z, derivative, "--", label="a′(z)")
        ax.axhline(0, color="0.85", linewidth=0.8)
        ax.set(title=name, ylim=(-1.5, 4.0), xlabel="z")
    axes.ravel()[0].legend()
    for ax in axes.ravel()[len(curves) :]:
        ax.set_visible(False)
    figure.tight_layout()
    return save(figure, path)

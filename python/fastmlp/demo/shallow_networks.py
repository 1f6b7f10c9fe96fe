"""Topic 2, shallow networks: the hidden units' pre-activations, activations and weighted
outputs, summed into a piecewise-linear function with a joint per unit."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fastmlp.analysis import hidden_units, linear_regions_1d, shallow_network
from fastmlp.demo.plotting import pyplot, save
from fastmlp.network import Sequential

# The lecture's example network (three hidden units, input on [0, 1]).
THETA = np.array([[0.3, -1.0], [-1.0, 2.0], [-0.5, 0.65]])  # rows (θd0, θd1)
PHI = np.array([-0.3, 2.0, -1.0, 7.0])  # φ0, φ1, φ2, φ3


def run(out: Path, quick: bool) -> list[Path]:
    net = shallow_network(THETA, PHI)
    regions = linear_regions_1d(net, 0.0, 1.0)
    joints = ", ".join(f"{b:.3f}" for b in regions.breakpoints)
    print(f"3 hidden units, joints at x = {joints}: {regions.count} linear regions on [0, 1]")
    return [plot(net, 0.0, 1.0, out / "shallow_network.png")]


def plot(
    net: Sequential,
    lo: float,
    hi: float,
    path: Path,
    data: tuple[np.ndarray, np.ndarray] | None = None,
) -> Path:
    """One row per hidden unit (pre-activation, activation, weighted), then the output
    (over the data (x, y), if given)."""
    x = np.linspace(lo, hi, 501)
    units = hidden_units(net, x)
    count = units.pre_activations.shape[1]
    plt = pyplot()
    figure = plt.figure(figsize=(13, 2.4 * count))
    grid = figure.add_gridspec(count, 4)
    titles = ("pre-activation θd0 + θd1·x", "activation a[·]", "weighted φd·a[·]")
    for d in range(count):
        panels = (units.pre_activations, units.activations, units.weighted)
        for column, (values, title) in enumerate(zip(panels, titles)):
            axes = figure.add_subplot(grid[d, column])
            axes.plot(x, values[:, d], color=f"C{d}")
            axes.axhline(0, color="0.8", linewidth=0.8)
            axes.set_title(f"unit {d + 1}: {title}", fontsize=9)
    output = figure.add_subplot(grid[:, 3])
    if data is not None:
        output.scatter(*data, s=10, color="0.6")
    output.plot(x, units.output, color="k")
    for joint in linear_regions_1d(net, lo, hi).breakpoints:
        output.axvline(joint, color="0.6", linestyle=":")
    output.set(xlabel="input x", title="output y = φ0 + Σ φd·a[θd0 + θd1·x]")
    figure.tight_layout()
    return save(figure, path)

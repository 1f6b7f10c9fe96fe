"""Topic 3, activation patterns and linear regions: exact regions of a 1-input network,
the patterns of a 2-input one on a grid, and the most regions such networks can have."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fastmlp.analysis import (
    LinearRegions1D,
    LinearRegions2D,
    linear_regions_1d,
    linear_regions_2d,
    max_linear_regions,
)
from fastmlp.demo.plotting import pyplot, save
from fastmlp.network import MLP

HIDDEN = [8, 8, 8]


def run(out: Path, quick: bool) -> list[Path]:
    one_input = random_relu_network(1, HIDDEN, seed=1)
    two_inputs = random_relu_network(2, HIDDEN, seed=2)
    line = linear_regions_1d(one_input, -2.0, 2.0)
    grid = linear_regions_2d(two_inputs, -2.0, 2.0, resolution=150 if quick else 500)
    print(
        f"1 input, hidden {HIDDEN}: {line.count} regions on [-2, 2] (exact), at most "
        f"{max_linear_regions(1, HIDDEN):,} anywhere"
    )
    print(
        f"2 inputs, hidden {HIDDEN}: {grid.count} activation patterns on a grid over "
        f"[-2, 2]², at most {max_linear_regions(2, HIDDEN):,} anywhere"
    )
    return [plot(one_input, line, grid, out / "linear_regions.png")]


def random_relu_network(n_inputs: int, hidden: list[int], seed: int) -> MLP:
    """He-initialised weights and random biases (normal, σ 0.5), one output, float64. He
    initialisation leaves biases at zero, which puts every first-layer joint at the origin;
    random biases spread them, as training would."""
    net = MLP(n_inputs, hidden, 1, dtype="float64", seed=seed)
    rng = np.random.default_rng(seed)
    for layer in net.layers[::2]:  # the Dense layers
        layer.bias = rng.normal(0.0, 0.5, layer.bias.shape)
    return net


def plot(net: MLP, line: LinearRegions1D, grid: LinearRegions2D, path: Path) -> Path:
    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    x = np.linspace(line.edges[0], line.edges[-1], 2001)
    left.plot(x, net.predict(x.reshape(-1, 1))[:, 0], color="k")
    for k in range(line.count):
        left.axvspan(line.edges[k], line.edges[k + 1], color=f"C{k % 10}", alpha=0.15, linewidth=0)
    left.set(xlabel="input x", ylabel="output", title=f"1 input: {line.count} linear regions")
    rng = np.random.default_rng(0)  # random colours: neighbouring regions look different
    colours = rng.permutation(grid.count)
    right.pcolormesh(grid.x0, grid.x1, colours[grid.labels], cmap="tab20", shading="auto")
    right.set(
        xlabel="input x1", ylabel="input x2", aspect="equal",
        title=f"2 inputs: {grid.count} activation patterns on the grid",
    )  # fmt: skip
    return save(figure, path)

"""Topic 5, deep networks as composition: a first network folds its input range onto
itself, so the second network's function repeats, and regions multiply."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fastmlp.analysis import compose, linear_regions_1d, shallow_network
from fastmlp.demo.plotting import pyplot, save
from fastmlp.network import Sequential


def folding_network() -> Sequential:
    """A zigzag on [-1, 1] going up, down, up: it folds the range [-1, 1] onto itself 3 times."""
    return shallow_network([[1.0, 1.0], [1 / 3, 1.0], [-1 / 3, 1.0]], [-1.0, 3.0, -6.0, 6.0])


def second_network() -> Sequential:
    """Any shallow network of one input: here three units with joints at -0.5, 0.2, 0.6."""
    return shallow_network([[0.5, 1.0], [-0.2, 1.0], [-0.6, 1.0]], [0.2, -1.0, 2.0, -1.5])


def run(out: Path, quick: bool) -> list[Path]:
    first, second = folding_network(), second_network()
    deep = compose(first, second)
    x = np.linspace(-1.0, 1.0, 1001).reshape(-1, 1)
    difference = np.abs(deep.predict(x) - second.predict(first.predict(x))).max()
    counts = [linear_regions_1d(net, -1.0, 1.0).count for net in (first, second, deep)]
    print(
        f"regions on [-1, 1]: first {counts[0]}, second {counts[1]}, composed {counts[2]}; "
        f"the deep form equals second(first(x)) to {difference:.1e}"
    )
    return [plot(first, second, deep, out / "composition.png")]


def plot(first: Sequential, second: Sequential, deep: Sequential, path: Path) -> Path:
    plt = pyplot()
    figure, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    x = np.linspace(-1.0, 1.0, 1001)
    panels = (
        (first, "first network: x → y (folds the input)", "x", "y"),
        (second, "second network: y → y′", "y", "y′"),
        (deep, "composed (one deep network): x → y′", "x", "y′"),
    )
    for ax, (net, title, xlabel, ylabel) in zip(axes, panels):
        ax.plot(x, net.predict(x.reshape(-1, 1))[:, 0], color="k")
        for joint in linear_regions_1d(net, -1.0, 1.0).breakpoints:
            ax.axvline(joint, color="0.7", linestyle=":")
        ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return save(figure, path)

"""Topic 3, activation patterns and linear regions: which hidden units are active for each
input, the exact linear regions of a 1-input ReLU network, sampling as a check, 2-input
patterns on a grid, and the most regions networks of these widths can have.

    python examples/03_linear_regions.py [--quick]     # writes 03_linear_regions.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import fastmlp as fm
from fastmlp.demo import linear_regions


def main(quick: bool) -> None:
    hidden = [6, 6, 6]
    net = linear_regions.random_relu_network(1, hidden, seed=0)  # He weights, random biases
    x = np.array([[-1.0], [0.0], [1.0]])
    print("activation patterns (units of layer 1 | 2 | 3) at x = -1, 0, 1:")
    for row in fm.analysis.activation_patterns(net, x).astype(int):
        print("   ", " | ".join("".join(map(str, row[k : k + 6])) for k in (0, 6, 12)))

    exact = fm.analysis.linear_regions_1d(net, -3.0, 3.0)
    samples = np.linspace(-3.0, 3.0, 10_001 if quick else 1_000_001).reshape(-1, 1)
    patterns = fm.analysis.activation_patterns(net, samples)
    sampled = 1 + np.count_nonzero(np.any(patterns[1:] != patterns[:-1], axis=1))
    print(f"regions on [-3, 3]: {exact.count} exact, {sampled} by sampling {len(samples):,} points")
    print(f"most regions with widths {hidden}: {fm.analysis.max_linear_regions(1, hidden):,}")

    two_inputs = linear_regions.random_relu_network(2, hidden, seed=1)
    grid = fm.analysis.linear_regions_2d(two_inputs, -2.0, 2.0, resolution=100 if quick else 400)
    print(f"2 inputs: {grid.count} patterns on the grid (at most "
          f"{fm.analysis.max_linear_regions(2, hidden):,})")  # fmt: skip
    linear_regions.plot(net, exact, grid, Path("03_linear_regions.png"))


if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])

"""Topic 5, deep networks as composition: feeding one shallow network into another is one
deep network (its middle weights are the product of the two), and when the first network
folds its input, the second one's regions repeat in every fold.

    python examples/05_composition.py [--quick]     # writes 05_composition.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import fastmlp as fm
from fastmlp.demo import composition


def main(quick: bool) -> None:
    first, second = composition.folding_network(), composition.second_network()
    deep = fm.analysis.compose(first, second)
    print(deep.summary())

    x = np.linspace(-1.0, 1.0, 101).reshape(-1, 1)
    difference = np.abs(deep.predict(x) - second.predict(first.predict(x))).max()
    print(f"deep(x) - second(first(x)): at most {difference:.1e}")

    # Each fold multiplies the regions: compose the zigzag with itself.
    net = first
    for depth in range(1, 3 if quick else 6):
        count = fm.analysis.linear_regions_1d(net, -1.0, 1.0).count
        print(f"{depth} zigzag(s) composed: {net.n_parameters} parameters, {count} regions")
        net = fm.analysis.compose(net, first)
    composition.plot(first, second, deep, Path("05_composition.png"))


if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])

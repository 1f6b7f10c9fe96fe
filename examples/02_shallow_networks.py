"""Topic 2, shallow networks: y = φ0 + Σ_d φd·ReLU[θd0 + θd1·x]. Build the lecture's network
from its parameters, find its joints, then train one on data and look at its hidden units.

    python examples/02_shallow_networks.py [--quick]     # writes 02_shallow_network.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import fastmlp as fm
from fastmlp.demo import shallow_networks


def main(quick: bool) -> None:
    theta = np.array([[0.3, -1.0], [-1.0, 2.0], [-0.5, 0.65]])  # rows (θd0, θd1)
    phi = np.array([-0.3, 2.0, -1.0, 7.0])  # φ0, φ1, φ2, φ3
    net = fm.analysis.shallow_network(theta, phi)
    print("joints by hand, -θd0/θd1:", np.sort(-theta[:, 0] / theta[:, 1]).round(4))
    print(
        "joints from the weights: ", fm.analysis.linear_regions_1d(net, 0, 1).breakpoints.round(4)
    )

    # The same kind of network, six units, fitted to noisy data by fastmlp.
    x, y = fm.datasets.toy_nonlinear_1d(n=60, seed=0)
    trained = fm.MLP(1, [6], 1, dtype="float64", seed=0)
    # He initialisation leaves the biases at 0, which puts every joint at x = 0 (and units
    # with a negative slope are dead on all the data): spread the joints over [0, 1].
    hidden = trained.layers[0]
    hidden.bias = -hidden.weight[:, 0] * np.linspace(0.05, 0.95, 6)
    history = trained.fit(
        x.reshape(-1, 1), y, loss="least_squares", optimizer=fm.optim.LBFGS(),
        epochs=50 if quick else 2000,
    )  # fmt: skip
    regions = fm.analysis.linear_regions_1d(trained, 0, 1)
    print(f"trained: loss {history.loss[-1]:.4f}, {regions.count} linear regions on [0, 1]")
    shallow_networks.plot(trained, 0.0, 1.0, Path("02_shallow_network.png"), data=(x, y))


if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])

"""Topic 7, other activation functions: each one and its derivative, and the same small
regression network trained with each.

    python examples/07_activations.py [--quick]     # writes 07_activations.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import fastmlp as fm
from fastmlp.demo import activations


def main(quick: bool) -> None:
    z = np.linspace(-4.0, 4.0, 801)
    curves = fm.analysis.activation_curves(z)
    at = np.searchsorted(z, [-1.0, 0.0, 1.0])
    print("activation   a(-1)    a(0)    a(1)  a'(-1)   a'(0)   a'(1)")
    for name, (value, derivative) in curves.items():
        numbers = " ".join(f"{v:7.3f}" for v in [*value[at], *derivative[at]])
        print(f"{name:10s} {numbers}")

    x, y = fm.datasets.toy_nonlinear_1d(n=100, seed=0)
    print("\nfit of a 1-32-32-1 network, Adam, full batch: final mean squared error")
    for name in curves:
        net = fm.MLP(1, [32, 32], 1, activation=name, seed=0)
        history = net.fit(x.reshape(-1, 1), y, optimizer=fm.optim.Adam(lr=0.01),
                          epochs=20 if quick else 1000)  # fmt: skip
        print(f"{name:10s} {history.loss[-1]:.4f}")
    activations.plot(z, curves, Path("07_activations.png"))


if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])

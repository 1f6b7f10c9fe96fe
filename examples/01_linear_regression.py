"""Topic 1, supervised learning: fit y = φ0 + φ1·x to data by gradient descent and in closed
form, and see what the learning rate does.

    python examples/01_linear_regression.py [--quick]     # writes 01_linear_regression.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import fastmlp as fm
from fastmlp.demo import linear_regression


def main(quick: bool) -> None:
    x, y = fm.datasets.toy_linear_1d(n=12, seed=0)
    steps = 30 if quick else 300
    model = fm.analysis.LinearRegression1D(steps=steps).fit(x, y)
    print(f"closed form:      φ = {model.closed_form_.round(4)}")
    print(f"gradient descent: φ = {model.phi_.round(4)} after {steps} steps of lr {model.lr_:.3f}")

    # The loss is quadratic: steps below 2/λmax converge, above it they diverge.
    for factor in (0.5, 1.0, 1.9, 2.1):
        lr = factor * model.lr_  # model.lr_ = 1/λmax
        run = fm.analysis.LinearRegression1D(lr=lr, steps=steps).fit(x, y)
        print(f"lr = {factor:3.1f}/λmax: loss {run.losses_[0]:.3g} -> {run.losses_[-1]:.3g}")

    linear_regression.plot(model, x, y, Path("01_linear_regression.png"))


if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])

"""Topic 4, universal approximation: shallow ReLU networks with more hidden units fit a 1-D
curve more closely, whether their weights are constructed (joints spread evenly, output
weights by least squares) or found by training.

    python examples/04_universal_approximation.py [--quick]  # writes 04_universal_approximation.png
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np

import fastmlp as fm
from fastmlp.demo import universal_approximation


def main(quick: bool) -> None:
    target = fm.datasets.nonlinear_target
    units = [1, 2, 4, 8] if quick else [1, 2, 4, 8, 16, 32, 64]
    fits = fm.analysis.universal_approximation(target, units)

    x = np.linspace(0.0, 1.0, 200).reshape(-1, 1)
    print("units  constructed RMS  trained RMS (L-BFGS from the constructed joints)")
    for fit in fits:
        trained = copy.deepcopy(fit.net)  # then let training move the joints too
        trained.fit(x, target(x[:, 0]), optimizer=fm.optim.LBFGS(), epochs=20 if quick else 500)
        error = np.sqrt(np.mean((trained.predict(x)[:, 0] - target(x[:, 0])) ** 2))
        print(f"{fit.units:5d}  {fit.rms_error:15.5f}  {error:11.5f}")
    universal_approximation.plot(fits, Path("04_universal_approximation.png"))


if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])

"""Topic 4, universal approximation: shallow ReLU networks with more hidden units follow a
1-D curve ever more closely."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fastmlp.analysis import Approximation, universal_approximation
from fastmlp.datasets import nonlinear_target
from fastmlp.demo.plotting import pyplot, save


def run(out: Path, quick: bool) -> list[Path]:
    units = [1, 2, 4, 8] if quick else [1, 2, 4, 8, 16, 32, 64]
    fits = universal_approximation(nonlinear_target, units)
    for fit in fits:
        print(f"{_units(fit.units):>15}: RMS error {fit.rms_error:.5f}")
    return [plot(fits, out / "universal_approximation.png")]


def _units(count: int) -> str:
    return f"{count} hidden unit{'' if count == 1 else 's'}"


def plot(fits: list[Approximation], path: Path) -> Path:
    """The target with some of the fits; the error against the number of units."""
    plt = pyplot()
    figure, (curves, errors) = plt.subplots(1, 2, figsize=(13, 4.5))
    x = np.linspace(0.0, 1.0, 1001)
    curves.plot(x, nonlinear_target(x), color="k", linewidth=3, alpha=0.3, label="target")
    for fit in fits[:: -(-len(fits) // 4)]:  # about four of them
        curves.plot(x, fit.net.predict(x.reshape(-1, 1))[:, 0], label=_units(fit.units))
    curves.set(xlabel="input x", ylabel="output y", title="shallow ReLU networks")
    curves.legend()
    units = [f.units for f in fits]
    errors.loglog(units, [f.rms_error for f in fits], "o-")
    errors.set_xticks(units, [str(u) for u in units])
    errors.minorticks_off()
    errors.set(xlabel="hidden units D", ylabel="RMS error", title="error falls as units grow")
    return save(figure, path)

"""Resident memory over a long run in one process: 100,000 ``predict`` calls, then 1,000
``fit`` calls on one network. Prints the RSS after each tenth of the calls; a leak shows as
a curve that keeps rising after the warm-up (tests/test_memory.py bounds the growth).
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import fastmlp as fm
from bench.common import machine_info, write_results

POINTS = 10  # RSS samples per phase


def rss_mb() -> float:
    """The process's resident set size now, in MB (Linux: /proc/self/statm)."""
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def rss_curves(predicts: int, fits: int) -> dict[str, list[float]]:
    """RSS after each tenth of `predicts` predict calls (one sample and a batch of 32, in
    turn), then of `fits` one-epoch fit calls, after a warm-up of each."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 40)).astype(np.float32)
    y = rng.integers(0, 10, 256)
    net = fm.MLP(40, [100, 100], 10, seed=0)
    inputs = [x[0], x[:32]]

    def predict(i: int) -> None:
        net.predict(inputs[i % 2])

    def fit(i: int) -> None:
        net.fit(x, y, epochs=1, batch_size=32, seed=i)

    curves = {}
    for name, step, calls in (("predict", predict, predicts), ("fit", fit, fits)):
        for i in range(max(calls // 100, 2)):  # warm-up: pools, workspaces, caches
            step(i)
        curve = [rss_mb()]
        for point in range(POINTS):
            for i in range(calls // POINTS):
                step(point * (calls // POINTS) + i)
            curve.append(rss_mb())
        curves[name] = curve
    return curves


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the calls")
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1
    calls = {"predict": 100_000 // scale, "fit": 1_000 // scale}
    curves = rss_curves(calls["predict"], calls["fit"])
    rows = [
        {
            "calls": f"{calls[name]:,} {name}",
            "RSS MB after warm-up": round(curve[0], 1),
            "after each tenth": " ".join(f"{mb:.1f}" for mb in curve[1:]),
            "growth MB": round(curve[-1] - curve[0], 2),
        }
        for name, curve in curves.items()
    ]
    write_results("memory", rows, {"machine": machine_info(), "calls": calls})


if __name__ == "__main__":
    main()

"""``import fastmlp`` time beyond numpy's own, and the modules it pulls in.

Each sample is a fresh interpreter that imports numpy, then times ``import fastmlp``; the
median of the samples is reported (the issue asks for well under 100 ms).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

from bench.common import machine_info, write_results

CODE = (
    "import sys, time, numpy; before = set(sys.modules); t = time.perf_counter(); "
    "import fastmlp; print(time.perf_counter() - t, len(set(sys.modules) - before))"
)
HEAVY = ("scipy", "sklearn", "torch", "matplotlib", "safetensors", "tqdm")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    args = parser.parse_args(argv)
    samples, modules = [], 0
    for _ in range(5 if args.quick else 21):
        out = subprocess.run(
            [sys.executable, "-c", CODE], capture_output=True, text=True, check=True
        ).stdout.split()
        samples.append(float(out[0]))
        modules = int(out[1])
    heavy = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, fastmlp; print([m for m in {HEAVY!r} if m in sys.modules])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    rows = [
        {
            "median ms": 1e3 * statistics.median(samples),
            "max ms": 1e3 * max(samples),
            "new modules": modules,
            "heavy modules loaded": heavy,
        }
    ]
    write_results("imports", rows, {"machine": machine_info()})


if __name__ == "__main__":
    main()

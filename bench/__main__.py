"""``python -m bench [--quick] [module ...]``: run the benchmark modules (default: all)."""

from __future__ import annotations

import argparse
import importlib
import time

MODULES = ["imports", "gemm", "train", "sklearn", "memory"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs (a few minutes)")
    parser.add_argument("modules", nargs="*", help=f"any of {', '.join(MODULES)} (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.modules) - set(MODULES)
    if unknown:
        parser.error(f"unknown modules: {', '.join(sorted(unknown))}; choose from {MODULES}")
    for name in args.modules or MODULES:
        start = time.perf_counter()
        importlib.import_module(f"bench.{name}").main(["--quick"] if args.quick else [])
        print(f"[bench.{name}: {time.perf_counter() - start:.0f} s]\n")


if __name__ == "__main__":
    main()

"""The ``fastmlp demo`` command line."""

from __future__ import annotations

import argparse
import importlib
import math
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from fastmlp.demo import TOPICS
from fastmlp.demo.memorisation import BOOK, DEFAULT, QUICK, Settings

DESCRIPTION = f"""\
Runs one topic of the lecture (default: Figure 20.2), prints what it finds and writes its
plots to --out. `fastmlp demo --list` lists the topics; `fastmlp demo all` runs them all.

Figure 20.2: four networks (hidden 1×298, 2×100, 3×75, 4×63; 40 inputs, 10 outputs, He
initialisation) memorise 4,000 MNIST-1D examples with random labels by full-batch gradient
descent on the mean cross-entropy, each until it classifies every example correctly.

Why the default learning rate is {DEFAULT.lr}: measured with seed 0 on an earlier version of
the kernels (whose rounding has changed since: lr 0.25 now takes 5,944 3,146 2,139 1,857
epochs with the avx512 kernels), the epochs each network needed to reach 100 % training
accuracy (1×298, 2×100, 3×75, 4×63) were
  gradient descent lr 0.25: 6,291  3,050  2,033  1,900  deeper is faster, as in the book
  gradient descent lr 0.5:  3,816  1,456  1,350  1,372  faster, but 3×75 ties with 4×63
  gradient descent lr 1.0:  2,150  1,483  1,923  2,295  too large: the order is lost
  Adam lr 0.01:               480    292    528    754  fast, but in no order of depth
  gradient descent lr 0.05: none after 6,000 epochs (losses 1.43, 0.87, 0.47, 0.12)
so {DEFAULT.lr} is the largest of these steps that keeps the figure's result, and the four
runs take about 13,000 epochs in all: under a minute on 2 cores. The book's lr {BOOK.lr} is 100
times smaller; small steps follow the same path, so it needs about 100 times the epochs
(--book).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "topic", nargs="?", default="figure-20-2", choices=[*TOPICS, "all"],
        help="which topic to run (default figure-20-2)",
    )  # fmt: skip
    parser.add_argument("--list", action="store_true", help="list the topics and exit")
    parser.add_argument(
        "--out", type=Path, default=Path("fastmlp-demo-output"),
        help="folder for the plots and curves (default ./fastmlp-demo-output)",
    )  # fmt: skip
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--quick", action="store_true",
        help=f"tiny settings for a smoke test (Figure 20.2: {QUICK.n_train} examples, "
        f"lr {QUICK.lr}, at most {QUICK.max_epochs} epochs): seconds",
    )  # fmt: skip
    mode.add_argument(
        "--book", action="store_true",
        help=f"the book's settings for Figure 20.2: lr {BOOK.lr}, mean cross-entropy, at most "
        f"{BOOK.max_epochs:,} epochs per network (hours)",
    )  # fmt: skip
    parser.add_argument("--lr", type=_positive(float), help="Figure 20.2's learning rate instead")
    parser.add_argument(
        "--epochs", type=_positive(int), help="Figure 20.2's most epochs per network"
    )
    parser.add_argument(
        "--seed", type=_positive(int, zero=True),
        help="Figure 20.2's seed of the random labels and initial weights",
    )  # fmt: skip


def _positive(kind: type, zero: bool = False) -> Callable[[str], Any]:
    """A finite number > 0 (>= 0 with ``zero``) of ``kind``."""

    def parse(text: str) -> Any:
        value = kind(text)
        finite = not isinstance(value, float) or math.isfinite(value)  # ints always are
        if not (finite and (value >= 0 if zero else value > 0)):
            bound = ">= 0" if zero else "> 0"
            raise argparse.ArgumentTypeError(f"must be finite and {bound}, got {text}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its errors
    return parse


def settings(args: argparse.Namespace) -> Settings:
    chosen = QUICK if args.quick else BOOK if args.book else DEFAULT
    overrides = {"lr": args.lr, "max_epochs": args.epochs, "seed": args.seed}
    return replace(chosen, **{k: v for k, v in overrides.items() if v is not None})


def run(args: argparse.Namespace) -> int:
    if args.list:
        for topic in TOPICS.values():
            print(f"{topic.name:18s} {topic.title}")
        return 0
    chosen = list(TOPICS.values()) if args.topic == "all" else [TOPICS[args.topic]]
    try:  # before anything runs: a folder that cannot be made would lose all the results
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"fastmlp demo: --out {args.out}: cannot make that folder ({error})", file=sys.stderr)
        return 2
    print(f"output folder: {args.out.resolve()}")
    written: list[Path] = []
    start = time.perf_counter()
    for topic in chosen:
        print(f"\n== {topic.title}")
        module = importlib.import_module(f"fastmlp.demo.{topic.module}")
        if topic.name == "figure-20-2":
            written += module.run(args.out, settings(args))
        else:
            written += module.run(args.out, args.quick)
    print(f"\nwrote, in {time.perf_counter() - start:.0f} s:")
    for path in written:
        print(f"  {path}")
    return 0

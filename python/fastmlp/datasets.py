"""The lecture's data: MNIST-1D (generated offline by the mnist1d package, then cached) and
small 1-D regression sets."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import warnings
import zipfile
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "MNIST1D",
    "cache_dir",
    "load_mnist1d",
    "nonlinear_target",
    "toy_linear_1d",
    "toy_nonlinear_1d",
]

DEMO_EXTRA = 'pip install "fastmlp[demo]"'


class MNIST1D(NamedTuple):
    """MNIST-1D: 40-sample 1-D signals of the ten digits' templates, shifted, scaled,
    sheared and noised; 4,000 training and 1,000 test examples with the package's defaults."""

    X_train: np.ndarray  # (4000, 40) float32
    y_train: np.ndarray  # (4000,) int64 labels 0–9
    X_test: np.ndarray  # (1000, 40) float32
    y_test: np.ndarray  # (1000,) int64


def cache_dir() -> Path:
    """Where fastmlp caches generated data: $FASTMLP_CACHE_DIR, else $XDG_CACHE_HOME/fastmlp,
    else ~/.cache/fastmlp."""
    if os.environ.get("FASTMLP_CACHE_DIR"):
        return Path(os.environ["FASTMLP_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fastmlp"


def load_mnist1d(random_labels: bool = False, seed: int = 0) -> MNIST1D:
    """MNIST-1D as the mnist1d package generates it with its default arguments (no download).

    The first call generates it (about a second) and caches it in :func:`cache_dir`, under a
    name keyed by the generator's arguments. ``random_labels`` replaces every label, train and
    test, by one drawn uniformly from 0–9 with ``seed`` (the data are unchanged): the
    memorisation experiment of the lecture's Figure 20.2.
    """
    data = _cached_mnist1d()
    if not random_labels:
        return data
    rng = np.random.default_rng(seed)
    y_train = rng.integers(0, 10, len(data.y_train))
    y_test = rng.integers(0, 10, len(data.y_test))
    return data._replace(y_train=y_train, y_test=y_test)


def _cached_mnist1d() -> MNIST1D:
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as error:
        raise ImportError(
            f"load_mnist1d needs the mnist1d package ({error}); install it with {DEMO_EXTRA}"
        ) from None
    args = get_dataset_args(as_dict=True)
    del args["url"]  # where a pre-made copy lives: not an argument of the data
    key = hashlib.sha256(json.dumps(args, sort_keys=True).encode()).hexdigest()[:16]
    path = cache_dir() / f"mnist1d-{key}.npz"
    if path.is_file():
        try:
            with np.load(path) as cached:
                return MNIST1D(*(cached[name] for name in MNIST1D._fields))
        except (OSError, ValueError, TypeError, KeyError, EOFError, zipfile.BadZipFile) as error:
            warnings.warn(f"{path} is damaged ({error!r}): making the data again", stacklevel=3)
    data = _generate_mnist1d(make_dataset, get_dataset_args())
    partial = path.with_suffix(f".{os.getpid()}.npz")  # rename is atomic: no torn reads
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(partial, **data._asdict())
        partial.replace(path)
    except OSError as error:  # the data is made offline anyway: only the next call pays
        with contextlib.suppress(OSError):  # there may be no partial file, nor its folder
            partial.unlink()
        warnings.warn(
            f"cannot cache MNIST-1D in {path.parent} ({error}); set FASTMLP_CACHE_DIR to a "
            "writable folder to keep it",
            stacklevel=3,
        )
    return data


def _generate_mnist1d(make_dataset: Any, args: Any) -> MNIST1D:
    # make_dataset seeds the global `random` and `np.random` states: give the caller's back.
    states = random.getstate(), np.random.get_state()  # noqa: NPY002 (theirs, not ours)
    try:
        raw = make_dataset(args)
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])  # noqa: NPY002
    return MNIST1D(
        raw["x"].astype(np.float32),
        raw["y"].astype(np.int64),
        raw["x_test"].astype(np.float32),
        raw["y_test"].astype(np.int64),
    )


def toy_linear_1d(n: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(x, y): n points on [0, 2] around the line y = 0.5 + 0.6·x, noise 0.1 — data for
    the lecture's 1-D linear regression."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 2.0, n))
    return x, 0.5 + 0.6 * x + rng.normal(0.0, 0.1, n)


def toy_nonlinear_1d(n: int = 100, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(x, y): n points on [0, 1] around a smooth wiggly curve, noise 0.05 — data for
    shallow networks and universal approximation."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 1.0, n))
    return x, nonlinear_target(x) + rng.normal(0.0, 0.05, n)


def nonlinear_target(x: Any) -> np.ndarray:
    """The curve behind toy_nonlinear_1d: sin(2πx)·exp(−x) + x/2."""
    x = np.asarray(x, dtype=np.float64)
    return np.asarray(np.sin(2 * np.pi * x) * np.exp(-x) + x / 2)

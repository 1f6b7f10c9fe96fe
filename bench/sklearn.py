"""fastmlp.sklearn against scikit-learn's own MLPs, the same hyperparameters for both
(bench.md workload 7, and the speed target of the scikit-learn estimators):

- digits, breast_cancer, wine (standardised inputs) and diabetes (standardised inputs and
  target): 5-fold cross-validation scores, mean ± std, and the median fit time of a fold,
  the two libraries alternating fold by fold. Default hyperparameters, random_state=0.
- MNIST-1D 40-100-100-10, adam, batch 200, 200 epochs (no tol stopping): fit time, median
  of interleaved rounds, and test accuracy. Target: fastmlp at least 5× faster, 1 thread.

Both start from the same initial weights (fastmlp.sklearn draws scikit-learn's); each runs
on ``threads`` threads (threadpoolctl caps numpy's BLAS and fastmlp's OpenMP alike).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from typing import Any, Callable

import numpy as np
from sklearn import neural_network
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import fastmlp as fm
import fastmlp.sklearn as fastmlp_sklearn
from bench.common import machine_info, write_results

LIBRARIES = {"fastmlp": fastmlp_sklearn, "sklearn": neural_network}
TOY_SETS: dict[str, Callable[..., Any]] = {
    "digits": load_digits,
    "breast_cancer": load_breast_cancer,
    "wine": load_wine,
    "diabetes": load_diabetes,
}
SPEED_TARGET = 5.0  # MNIST-1D fit, times faster than scikit-learn on 1 thread
MNIST1D = dict(hidden_layer_sizes=(100, 100), batch_size=200, max_iter=200)


def toy_model(library: str, regression: bool) -> Any:
    module = LIBRARIES[library]
    estimator = module.MLPRegressor if regression else module.MLPClassifier
    model = make_pipeline(StandardScaler(), estimator(random_state=0))
    return TransformedTargetRegressor(model, transformer=StandardScaler()) if regression else model


def epochs_of(model: Any) -> int:
    inner = model.regressor_ if isinstance(model, TransformedTargetRegressor) else model
    return int(inner[-1].n_iter_)


def timed_fit(model: Any, X: np.ndarray, y: np.ndarray) -> float:
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start


def toy_row(name: str, threads: int) -> dict[str, Any]:
    X, y = TOY_SETS[name](return_X_y=True)
    regression = name == "diabetes"
    folds = KFold if regression else StratifiedKFold
    results: dict[str, dict[str, list[float]]] = {
        library: {"score": [], "seconds": [], "epochs": []} for library in LIBRARIES
    }
    for k, (train, test) in enumerate(folds(5, shuffle=True, random_state=0).split(X, y)):
        order = list(LIBRARIES) if k % 2 == 0 else list(reversed(LIBRARIES))
        for library in order:  # alternating who goes first: no systematic order effect
            model = toy_model(library, regression)
            results[library]["seconds"].append(timed_fit(model, X[train], y[train]))
            results[library]["score"].append(model.score(X[test], y[test]))
            results[library]["epochs"].append(epochs_of(model))
    row: dict[str, Any] = {"case": name, "threads": threads}
    row["metric"] = "R²" if regression else "accuracy"
    for library, r in results.items():
        row[f"{library} mean"] = statistics.mean(r["score"])
        row[f"{library} std"] = statistics.pstdev(r["score"])
        row[f"{library} score"] = f"{row[f'{library} mean']:.3f} ± {row[f'{library} std']:.3f}"
        row[f"{library} s"] = statistics.median(r["seconds"])
        row[f"{library} epochs"] = statistics.median(r["epochs"])
    row["epochs"] = f"{row['fastmlp epochs']:.0f} / {row['sklearn epochs']:.0f}"
    row["×sklearn"] = row["sklearn s"] / row["fastmlp s"]
    met = row["fastmlp mean"] >= row["sklearn mean"] - row["sklearn std"]
    row["target"] = "score ≥ sklearn − std: " + ("met" if met else "MISSED")
    return row


def mnist1d_row(threads: int, rounds: int) -> dict[str, Any]:
    data = fm.datasets.load_mnist1d()  # float32: both libraries train in float32
    seconds: dict[str, list[float]] = {library: [] for library in LIBRARIES}
    accuracy: dict[str, float] = {}
    for k in range(rounds):
        order = list(LIBRARIES) if k % 2 == 0 else list(reversed(LIBRARIES))
        for library in order:
            model = LIBRARIES[library].MLPClassifier(
                **MNIST1D, n_iter_no_change=np.inf, random_state=0
            )
            seconds[library].append(timed_fit(model, data.X_train, data.y_train))
            accuracy[library] = model.score(data.X_test, data.y_test)
    row: dict[str, Any] = {"case": "MNIST-1D 40-100-100-10", "threads": threads}
    row["metric"] = "test accuracy"
    for library in LIBRARIES:
        row[f"{library} score"] = f"{accuracy[library]:.3f}"
        row[f"{library} s"] = statistics.median(seconds[library])
    row["epochs"] = f"{MNIST1D['max_iter']} / {MNIST1D['max_iter']}"
    row["×sklearn"] = row["sklearn s"] / row["fastmlp s"]
    if threads == 1:
        met = row["×sklearn"] >= SPEED_TARGET
        row["target"] = f"≥ {SPEED_TARGET:g}× faster: " + ("met" if met else "MISSED")
    return row


def warm_up() -> None:
    """One small fit per library first: imports, thread pools, first-call buffers."""
    X, y = load_wine(return_X_y=True)
    for library in LIBRARIES:
        toy_model(library, regression=False).set_params(**{"mlpclassifier__max_iter": 2}).fit(X, y)


COLUMNS = {
    "case": "case",
    "threads": "threads",
    "metric": "metric",
    "fastmlp score": "fastmlp",
    "sklearn score": "sklearn",
    "epochs": "epochs (fastmlp / sklearn)",
    "fastmlp s": "fastmlp fit s",
    "sklearn s": "sklearn fit s",
    "×sklearn": "×sklearn",
    "target": "target",
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sklearn", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 thread, 3 MNIST-1D rounds")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows = []
    with warnings.catch_warnings():
        # default hyperparameters on small sets: tol is often not met in 200 epochs, by both
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm_up()
        for threads in (1,) if args.quick else (1, 2):
            with threadpool_limits(limits=threads):
                rows += [toy_row(name, threads) for name in TOY_SETS]
                rows.append(mnist1d_row(threads, rounds=3 if args.quick else 5))
    notes = [
        "×sklearn: scikit-learn's fit time ÷ fastmlp's (higher is better for fastmlp); "
        "median fit time of a fold (toy sets) or of interleaved rounds (MNIST-1D).",
        "Toy sets: 5-fold CV, default hyperparameters (adam, 200 epochs, tol 1e-4), "
        "random_state=0, float64; both stop by tol, epochs are medians over folds.",
        "MNIST-1D: 4,000 train / 1,000 test (mnist1d's defaults), float32, "
        "adam lr 1e-3, batch 200, 200 epochs.",
    ]
    meta = {"machine": machine_info(), "quick": args.quick}
    meta["seconds"] = time.perf_counter() - start
    write_results("sklearn", rows, meta, COLUMNS, notes)


if __name__ == "__main__":
    main()

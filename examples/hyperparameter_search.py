"""The lecture's hyperparameter search: depth × width × learning rate of an MLP on MNIST-1D,
each setting scored by 3-fold cross-validation, as one scikit-learn GridSearchCV whose fits
run on a Dask cluster.

    python examples/hyperparameter_search.py                      # LocalCluster, 2 workers
    python examples/hyperparameter_search.py tcp://10.0.0.5:8786  # an existing cluster
    python examples/hyperparameter_search.py --quick              # a few seconds (CI)

Needs ``pip install "fastmlp[dask,demo]"`` here and on every worker of a real cluster.
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import joblib
import numpy as np
from distributed import Client, LocalCluster
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

import fastmlp as fm
from fastmlp.sklearn import MLPClassifier

FULL = dict(depths=(1, 2, 3), widths=(50, 100, 200), rates=(1e-3, 3e-3, 1e-2), epochs=100)
QUICK = dict(depths=(1, 2), widths=(16,), rates=(1e-2,), epochs=5)


def search(client: Client, settings: dict[str, Any], n_train: int | None) -> GridSearchCV:
    data = fm.datasets.load_mnist1d()
    X, y = data.X_train[:n_train], data.y_train[:n_train]
    grid = {
        "hidden_layer_sizes": [(w,) * d for d in settings["depths"] for w in settings["widths"]],
        "learning_rate_init": list(settings["rates"]),
    }
    # Fixed epochs, as in the lecture: no tol-based stopping, and no warning that it did
    # not happen (scikit-learn passes this filter on to the workers)
    model = MLPClassifier(
        batch_size=200, max_iter=settings["epochs"], n_iter_no_change=np.inf, random_state=0
    )
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    workers = len(client.scheduler_info()["workers"])
    n_fits = 3 * len(grid["hidden_layer_sizes"]) * len(grid["learning_rate_init"])
    print(f"{n_fits} fits on {workers} Dask workers ({client.dashboard_link or 'no dashboard'})")
    start = time.perf_counter()
    with joblib.parallel_config(backend="dask"):  # every fit becomes a task on the cluster
        result = GridSearchCV(model, grid, cv=3).fit(X, y)
    print(f"searched in {time.perf_counter() - start:.1f} s\n")
    report(result, data.X_test, data.y_test)
    return result


def report(result: GridSearchCV, X_test: np.ndarray, y_test: np.ndarray) -> None:
    cv = result.cv_results_
    print("depth  width  learning rate  CV accuracy      fit s")
    for i in np.argsort(cv["rank_test_score"]):
        sizes = cv["param_hidden_layer_sizes"][i]
        print(
            f"{len(sizes):>5}  {sizes[0]:>5}  {cv['param_learning_rate_init'][i]:>13g}  "
            f"{cv['mean_test_score'][i]:.3f} ± {cv['std_test_score'][i]:.3f}  "
            f"{cv['mean_fit_time'][i]:>7.2f}"
        )
    best = result.best_params_
    print(
        f"\nbest: depth {len(best['hidden_layer_sizes'])}, width "
        f"{best['hidden_layer_sizes'][0]}, learning rate {best['learning_rate_init']:g}: "
        f"CV accuracy {result.best_score_:.3f}, "
        f"test accuracy {result.best_estimator_.score(X_test, y_test):.3f}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "scheduler", nargs="?", help="a Dask scheduler's address (default: a LocalCluster)"
    )
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    parser.add_argument("--quick", action="store_true", help="a tiny grid on 600 examples")
    args = parser.parse_args(argv)
    settings, n_train = (QUICK, 600) if args.quick else (FULL, None)
    if args.scheduler:
        with Client(args.scheduler) as client:
            search(client, settings, n_train)
        return
    # One thread per worker process: fastmlp fits then use one thread each (n_threads=None)
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True)
    with cluster, Client(cluster) as client:
        search(client, settings, n_train)


if __name__ == "__main__":
    main()

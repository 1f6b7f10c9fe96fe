"""A hyperparameter search on a real Dask cluster (a LocalCluster of two worker processes)
through joblib's Dask backend, and fitted estimators travelling between processes."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV

from fastmlp.sklearn import MLPClassifier
from fastmlp.sklearn._threads import thread_cap

distributed = pytest.importorskip("distributed")  # in the test extra; optional for users

X, Y = make_classification(150, 6, n_informative=4, n_classes=3, random_state=0)
MODEL = MLPClassifier((8,), learning_rate_init=0.01, max_iter=1000, tol=1e-3, random_state=0)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as client:
        yield client


def test_grid_search_runs_on_the_cluster_workers(client):
    grid = {"hidden_layer_sizes": [(4,), (8,)], "alpha": [1e-4, 1e-1]}
    with distributed.get_task_stream(client) as tasks, joblib.parallel_config(backend="dask"):
        remote = GridSearchCV(MODEL, grid, cv=2).fit(X, Y)
    workers = {task["worker"] for task in tasks.data}
    assert workers == set(client.scheduler_info()["workers"])  # both did some of it
    local = GridSearchCV(MODEL, grid, cv=2).fit(X, Y)
    assert_array_equal(remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"])
    assert remote.best_params_ == local.best_params_


def test_fitted_estimators_travel_between_processes(client):
    fitted_there = client.submit(MLPClassifier.fit, MODEL, X, Y)  # fitted in a worker
    predicted_there = client.submit(MLPClassifier.predict_proba, fitted_there, X).result()
    assert_array_equal(fitted_there.result().predict_proba(X), predicted_there)
    fitted_here = MLPClassifier.fit(MODEL, X, Y)
    assert_array_equal(
        client.submit(MLPClassifier.predict_proba, fitted_here, X).result(),
        fitted_here.predict_proba(X),
    )
    assert np.allclose(fitted_here.predict_proba(X), predicted_there)  # same seed, same model


def test_a_dask_worker_fits_on_one_thread(client):
    assert client.submit(thread_cap, None).result() == 1
    assert client.submit(thread_cap, 2).result() == 2


def test_hyperparameter_search_example_on_a_remote_scheduler(client, capsys):
    path = Path(__file__).resolve().parent.parent / "examples" / "hyperparameter_search.py"
    spec = importlib.util.spec_from_file_location("hyperparameter_search", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    example.main([client.scheduler.address, "--quick"])  # as a user points it at a cluster
    out = capsys.readouterr().out
    assert "6 fits on 2 Dask workers" in out
    assert re.search(r"best: depth \d, width 16, learning rate 0.01: CV accuracy 0\.\d+", out)

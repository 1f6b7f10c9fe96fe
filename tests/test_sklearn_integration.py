"""fastmlp.sklearn with the rest of scikit-learn: Pipeline, clone, searches in worker
processes (one thread each), pickling, set_output, threadpoolctl; and bad input."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from threadpoolctl import threadpool_limits

import fastmlp as fm
from fastmlp.sklearn import MLPClassifier, MLPRegressor
from fastmlp.sklearn._threads import thread_cap, thread_limit

X, Y = make_classification(200, 8, n_informative=5, n_classes=3, random_state=0)
QUICK = dict(hidden_layer_sizes=(16,), max_iter=500, tol=1e-3, random_state=0)


def threads_in_a_fit():
    with thread_limit(thread_cap(None)):
        return fm.get_num_threads()


def test_joblib_workers_fit_on_one_thread_each():
    assert thread_cap(None) is None and thread_cap(3) == 3  # here: fastmlp's own
    for backend in ("loky", "threading"):
        run = joblib.Parallel(n_jobs=2, backend=backend)
        assert run(joblib.delayed(threads_in_a_fit)() for _ in range(2)) == [1, 1]
        explicit = run(joblib.delayed(thread_cap)(2) for _ in range(2))
        assert explicit == [2, 2]


def test_grid_search_in_two_processes_matches_one():
    grid = {"hidden_layer_sizes": [(8,), (16,)], "learning_rate_init": [1e-3, 1e-2]}
    searches = [
        GridSearchCV(MLPClassifier(**QUICK), grid, cv=3, n_jobs=n).fit(X, Y) for n in (1, 2)
    ]
    one, two = (s.cv_results_["mean_test_score"] for s in searches)
    assert_array_equal(one, two)  # same seeds, bitwise the same training in a worker
    assert searches[1].best_score_ > 0.8
    assert_array_equal(searches[0].predict(X), searches[1].predict(X))


def test_randomized_search_over_a_pipeline():
    model = make_pipeline(StandardScaler(), MLPRegressor(**QUICK))
    Xr, yr = make_regression(150, 5, noise=1.0, random_state=0)
    space = {"mlpregressor__alpha": [1e-4, 1e-2, 1.0], "mlpregressor__activation": ["relu", "gelu"]}
    search = RandomizedSearchCV(model, space, n_iter=3, cv=3, random_state=0).fit(Xr, yr / 100)
    assert search.best_score_ > 0.9
    assert clone(search.best_estimator_).get_params()["mlpregressor__alpha"] in (1e-4, 1e-2, 1.0)


def test_pickle_and_joblib_dump_keep_predictions_and_training(tmp_path):
    clf = MLPClassifier(**QUICK).fit(X, Y)
    again = pickle.loads(pickle.dumps(clf))
    joblib.dump(clf, tmp_path / "clf.joblib")
    loaded = joblib.load(tmp_path / "clf.joblib")
    for other in (again, loaded):
        assert_array_equal(other.predict_proba(X), clf.predict_proba(X))
        assert_array_equal(other.coefs_[0], clf.coefs_[0])
    t = clf.t_
    for model in (again, clf):  # both go on from the same weights and optimizer state
        model.partial_fit(X, Y)
    assert_array_equal(again.coefs_[0], clf.coefs_[0])
    assert again.n_iter_ == 1 and again.t_ == t + len(X)


def test_set_output_pandas_names_the_features():
    pd = pytest.importorskip("pandas")  # in the test extra; optional for users
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = make_pipeline(StandardScaler(), MLPClassifier(**QUICK)).set_output(transform="pandas")
    model.fit(frame, Y)
    assert list(model[-1].feature_names_in_) == list(frame.columns)
    assert model.score(frame, Y) > 0.7


def test_threadpool_limits_and_n_threads_cap_fastmlp():
    before = fm.get_num_threads()
    with threadpool_limits(limits=1, user_api="openmp"):
        assert fm.get_num_threads() == 1
        capped = MLPClassifier(**QUICK).fit(X, Y)
    with thread_limit(1):
        assert fm.get_num_threads() == 1
    assert fm.get_num_threads() == before
    free = MLPClassifier(n_threads=2, **QUICK).fit(X, Y)
    assert_array_equal(capped.predict_proba(X), free.predict_proba(X))  # any thread count


BAD_PARAMETERS = [
    (MLPClassifier(solver="newton"), "The 'solver' parameter of MLPClassifier must be"),
    (MLPClassifier(momentum=1.0), "The 'momentum' parameter of MLPClassifier must be"),
    (MLPClassifier(activation="swish"), "The 'activation' parameter of MLPClassifier"),
    (MLPClassifier(dtype="float16"), "The 'dtype' parameter of MLPClassifier must be"),
    (MLPClassifier(dtype=np.float16), "The 'dtype' parameter of MLPClassifier must be"),
    (MLPRegressor(dtype=np.dtype("int32")), "The 'dtype' parameter of MLPRegressor must be"),
    (MLPRegressor(dtype=3), "The 'dtype' parameter of MLPRegressor must be"),
    (MLPClassifier(n_threads=0), "The 'n_threads' parameter of MLPClassifier must be"),
    (MLPRegressor(loss="absolute_error"), "The 'loss' parameter of MLPRegressor must be"),
]


@pytest.mark.parametrize("est,message", BAD_PARAMETERS, ids=lambda p: getattr(p, "solver", ""))
def test_bad_parameters_say_what_is_allowed(est, message):
    with pytest.raises(InvalidParameterError, match=re.escape(message)):
        est.fit(X, Y)


def test_poisson_counts_must_not_be_negative():
    # scikit-learn's own fit would take log of them and return NaN losses
    y = np.where(np.arange(len(X)) == 3, -2.0, 1.0)
    with pytest.raises(ValueError, match=re.escape("poisson targets are counts >= 0, got -2.0")):
        MLPRegressor(loss="poisson", max_iter=5).fit(X, y)


@pytest.mark.parametrize("sizes", [(5.5,), (4, 2.0), (True,)])
def test_hidden_layer_sizes_must_be_integers(sizes):
    # scikit-learn's MLPs raise TypeError too (from numpy, where a size is used)
    with pytest.raises(TypeError, match="hidden_layer_sizes must hold integers"):
        MLPClassifier(hidden_layer_sizes=sizes).fit(X, Y)


def test_bad_input_says_what_was_expected_and_given():
    with pytest.raises(ValueError, match=re.escape("hidden_layer_sizes must be > 0, got [8, 0]")):
        MLPClassifier(hidden_layer_sizes=(8, 0)).fit(X, Y)
    with pytest.raises(ValueError, match="dropout=0.2 needs solver 'adam' or 'sgd'"):
        MLPClassifier(solver="lbfgs", dropout=0.2).fit(X, Y)
    with pytest.raises(ValueError, match="The validation set is too small"):
        MLPClassifier(early_stopping=True, validation_fraction=0.01).fit(X[:20], Y[:20])
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, Y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        MLPRegressor().fit(np.full((5, 2), np.nan), np.ones(5))
    with pytest.warns(UserWarning, match="It is going to be clipped"):
        MLPClassifier(batch_size=500, **QUICK).fit(X, Y)
    fitted = MLPClassifier(warm_start=True, **QUICK).fit(X, Y)
    with pytest.raises(ValueError, match="X has 3 features, but MLPClassifier is expecting 8"):
        fitted.predict(X[:, :3])
    fitted.set_params(activation="tanh")
    with pytest.raises(ValueError, match=r"activation must stay as fitted: \['relu'\], got"):
        fitted.fit(X, Y)


def test_unaligned_arrays_as_dask_unpickles_them():
    unaligned = np.empty(X.size * X.itemsize + 1, np.uint8)[1:].view(X.dtype).reshape(X.shape)
    unaligned[...] = X
    assert not unaligned.flags.aligned
    clf = MLPClassifier(**QUICK).fit(unaligned, Y)
    assert_array_equal(
        clf.predict_proba(unaligned), MLPClassifier(**QUICK).fit(X, Y).predict_proba(X)
    )


def test_readme_estimator_example_runs(capsys):
    readme = Path(__file__).resolve().parents[1] / "README.md"
    if not readme.is_file():
        pytest.skip("needs the source tree")
    section = readme.read_text().split("## scikit-learn estimators", 1)[1]
    example = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    exec(compile(example, str(readme), "exec"), {})
    assert "{'mlpclassifier__alpha': " in capsys.readouterr().out

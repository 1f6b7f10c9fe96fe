"""Fuzzed input to the scikit-learn estimators (hypothesis): X of any dtype kind, layout and
special value, labels and targets of any kind. fit and predict give what the same values
give as clean arrays, or raise a clear TypeError/ValueError."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hostile_arrays import CLEAR_ERRORS, hostile_arrays, same_result
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("sklearn")

from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from fastmlp.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

SETTINGS = dict(hidden_layer_sizes=(3,), max_iter=3, random_state=0, dtype="float64")


def fit_predict(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 3 iterations, on purpose
        # scikit-learn's finiteness check sums X: +inf and -inf warn before its ValueError.
        warnings.filterwarnings("ignore", "invalid value encountered in reduce", RuntimeWarning)
        return model.fit(X, y).predict(X)


def clean_input(x):
    """The clean twin of X. Objects and strings that hold numbers, and datetimes, are
    accepted as scikit-learn's own fit accepts them; complex numbers and raw bytes are not."""
    assert x.real or x.array.dtype.kind in "OUSM", f"accepted X of dtype {x.array.dtype}"
    return x.clean if x.real else np.asarray(x.array, np.float64)


def outcome(model, X, y):
    try:
        return "ok", fit_predict(model, X, y)
    except CLEAR_ERRORS as error:
        assert str(error)
        return "error", type(error)


@given(
    st.tuples(st.integers(0, 6), st.integers(1, 3)).flatmap(hostile_arrays),
    st.sampled_from(["int", "str", "float", "bool", "object"]),
    st.data(),
)
def test_classifier(x, label_kind, data):
    rows = x.array.shape[0]
    labels = np.array(data.draw(st.lists(st.integers(0, 2), min_size=rows, max_size=rows)))
    y = {"int": labels, "str": labels.astype(str), "float": labels + 0.5}.get(
        label_kind, labels.astype(label_kind)
    )
    kind, got = outcome(MLPClassifier(**SETTINGS), x.array, y)
    if kind == "ok":
        want = fit_predict(MLPClassifier(**SETTINGS), clean_input(x), y)
        assert same_result(got, want)


@given(st.tuples(st.integers(0, 6), st.integers(1, 3)).flatmap(hostile_arrays), st.data())
def test_regressor(x, data):
    y = data.draw(hostile_arrays((x.array.shape[0],)))
    kind, got = outcome(MLPRegressor(**SETTINGS), x.array, y.array)
    if kind == "ok":
        want = fit_predict(MLPRegressor(**SETTINGS), clean_input(x), clean_input(y))
        assert same_result(got, want)

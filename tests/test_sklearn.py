"""fastmlp.sklearn against scikit-learn's own MLPs: the same initial weights, objective,
L2 scaling, solvers, stopping rules and attributes, so that the same hyperparameters give
the same model (float64, full batch, where both are deterministic)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn import neural_network
from sklearn.datasets import load_wine, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastmlp.sklearn import MLPClassifier, MLPRegressor

PAIRS = {"classifier": (MLPClassifier, neural_network.MLPClassifier)}
PAIRS["regressor"] = (MLPRegressor, neural_network.MLPRegressor)


def dataset(kind, n=120, seed=0):
    """(X, y, which pair of estimators) for a kind of target."""
    X, y = make_classification(
        n, 6, n_informative=4, n_classes=3, n_clusters_per_class=1, random_state=seed
    )
    if kind == "binary":
        return X, np.where(y == 1, "yes", "no"), "classifier"
    if kind == "multiclass":
        return X, y + 10, "classifier"
    if kind == "multilabel":
        return X, np.column_stack([y == 0, y == 1, X[:, 0] > 0]).astype(int), "classifier"
    if kind == "poisson":  # counts, two outputs
        rates = np.exp(0.2 * X[:, :2] - 0.2 * X[:, 2:4])
        return X, np.random.default_rng(seed).poisson(rates).astype(float), "regressor"
    X, y = make_regression(n, 6, n_targets=3 if kind == "multi-output" else 1, random_state=seed)
    return X, y / 100, "regressor"


def fit_both(kind, sample_weight=None, **params):
    """Ours and scikit-learn's, fitted with the same parameters (convergence not asked)."""
    X, y, pair = dataset(kind)
    if kind == "poisson":
        params = {"loss": "poisson", **params}
    ours, theirs = (cls(random_state=0, **params) for cls in PAIRS[pair])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y, sample_weight=sample_weight)
        theirs.fit(X, y, sample_weight=sample_weight)
    return ours, theirs, X


def assert_same_model(ours, theirs, X, rtol=1e-6):
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert a.shape == b.shape
    if hasattr(ours, "predict_proba"):
        assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=rtol, atol=1e-8)
        assert np.array_equal(ours.predict(X), theirs.predict(X))
    else:
        assert_allclose(ours.predict(X), theirs.predict(X), rtol=rtol, atol=1e-8)


# multi-output: scikit-learn's loss_ averages the squared error over the outputs, where its
# gradient sums over them; fastmlp reports (and L-BFGS's line search compares) that loss_ too
KINDS = ["binary", "multiclass", "multilabel", "regression", "multi-output", "poisson"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_lbfgs_gives_scikit_learns_model(kind, activation):
    # Deterministic end to end: equal initial draws, objective and gradient, L2 scaling.
    # 10 iterations: later, rounding can flip a line-search decision near a ReLU kink
    params = dict(solver="lbfgs", hidden_layer_sizes=(7, 5), activation=activation)
    ours, theirs, X = fit_both(kind, alpha=0.01, max_iter=10, **params)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)
    assert_same_model(ours, theirs, X)


@pytest.mark.parametrize("kind", KINDS)
def test_sample_weight_and_alpha_scale_as_in_scikit_learn(kind):
    weight = np.random.default_rng(1).uniform(0.2, 3.0, 120)
    ours, theirs, X = fit_both(kind, weight, solver="lbfgs", alpha=0.5, max_iter=30)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)
    assert_same_model(ours, theirs, X)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "schedule",
    [
        dict(learning_rate="constant", momentum=0.9, nesterovs_momentum=True),
        dict(learning_rate="constant", momentum=0.5, nesterovs_momentum=False),
        # scikit-learn's momentum holds steps, fastmlp's (torch's) gradients: rescaled
        # when the rate changes
        dict(learning_rate="invscaling", momentum=0.0, learning_rate_init=0.2),
        dict(learning_rate="invscaling", momentum=0.9, nesterovs_momentum=False),
        dict(learning_rate="invscaling", momentum=0.8, learning_rate_init=0.05),
        dict(learning_rate="adaptive", momentum=0.0, tol=0.05, n_iter_no_change=2),
        dict(learning_rate="adaptive", momentum=0.9, tol=0.05, n_iter_no_change=2),
    ],
    ids=[
        "nesterov",
        "momentum",
        "invscaling",
        "invscaling-momentum",
        "invscaling-nesterov",
        "adaptive",
        "adaptive-nesterov",
    ],
)
def test_full_batch_sgd_follows_scikit_learns_path(kind, schedule):
    ours, theirs, X = fit_both(kind, solver="sgd", batch_size=120, max_iter=60, **schedule)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.t_ == theirs.t_
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-6)
    assert_same_model(ours, theirs, X)


@pytest.mark.parametrize("kind", KINDS)
def test_full_batch_adam_follows_scikit_learns_path(kind):
    # Adam's epsilon sits where torch puts it (scikit-learn's is larger early on, by
    # 1/sqrt(1 - beta_2^t)); that is the only difference: with a negligible epsilon
    # the paths agree to rounding, with the default to about 1e-3
    params = dict(batch_size=120, max_iter=40, learning_rate_init=0.01)
    ours, theirs, X = fit_both(kind, epsilon=1e-14, **params)
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-8)
    assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=1e-8)
    assert_same_model(ours, theirs, X)
    ours, theirs, X = fit_both(kind, **params)
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-3)


def test_validation_score_is_nan_where_a_prediction_is_not_finite():
    # As scikit-learn's: early stopping then counts the epoch as no improvement, where
    # r2_score would raise (a Poisson rate's exp overflows easily in float32)
    X, y, _ = dataset("poisson")
    est = MLPRegressor(loss="poisson", dtype="float32", max_iter=5, random_state=0)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    with np.errstate(over="ignore"):  # numpy's exp warns of it, as in scikit-learn's predict
        assert np.isnan(est._score(1e3 * X, y, None))
    assert np.isfinite(est._score(X, y, None))


# scikit-learn runs on to max_iter with NaN weights (and warns that it did) before it raises;
# fastmlp stops at the epoch that diverged
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_poisson_diverges_where_scikit_learns_does():
    # Counts up to 68 and a learning rate of 0.2: e^z overflows on both paths
    X, _, _ = dataset("multiclass")
    y = np.random.default_rng(0).poisson(np.exp(0.5 * X[:, :2] - 0.5 * X[:, 2:4])).astype(float)
    params = dict(loss="poisson", solver="sgd", learning_rate="invscaling", momentum=0.0)
    params |= dict(learning_rate_init=0.2)
    for cls in PAIRS["regressor"]:
        # (scikit-learn's numpy exp warns of the overflow on the way)
        with (
            pytest.raises(ValueError, match="non-finite parameter weights"),
            np.errstate(all="ignore"),
        ):
            cls(random_state=0, batch_size=120, max_iter=60, **params).fit(X, y)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_minibatches_follow_scikit_learns_path(kind, solver):
    # 120 rows in batches of 50: the last holds 20, and scikit-learn divides its L2 term by
    # each batch's own weight. Unshuffled, so that both take the same batches.
    params = dict(solver=solver, batch_size=50, shuffle=False, max_iter=15, alpha=0.05)
    params |= dict(epsilon=1e-14) if solver == "adam" else dict(momentum=0.9)
    ours, theirs, X = fit_both(kind, **params)
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-8)
    assert_same_model(ours, theirs, X)
    # With sample weights the models agree too (loss_ averages the batches by their weight,
    # scikit-learn's by their rows)
    weight = np.random.default_rng(2).uniform(0.2, 3.0, 120)
    ours, theirs, X = fit_both(kind, weight, **params)
    assert_same_model(ours, theirs, X)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_early_stopping_holds_out_and_scores_as_scikit_learn(kind):
    ours, theirs, X = fit_both(kind, solver="sgd", momentum=0.0, early_stopping=True, max_iter=80)
    assert ours.n_iter_ == theirs.n_iter_
    assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=1e-6)
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_)
    assert ours.best_loss_ is None
    assert_same_model(ours, theirs, X)  # the best epoch's weights, restored


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel", "regression"])
def test_fitted_attributes_are_scikit_learns(kind):
    ours, theirs, _ = fit_both(kind, hidden_layer_sizes=(8, 4), max_iter=5)
    for name in ("n_layers_", "n_outputs_", "out_activation_", "n_features_in_", "t_"):
        assert getattr(ours, name) == getattr(theirs, name), name
    if kind != "regression":
        assert np.array_equal(ours.classes_, theirs.classes_)
    assert len(ours.loss_curve_) == ours.n_iter_ == 5
    assert ours.validation_scores_ is None and ours.best_validation_score_ is None
    assert [c.shape for c in ours.coefs_] == [c.shape for c in theirs.coefs_]
    assert ours.coefs_[0].dtype == np.float64  # as X


def test_coefs_are_writable_views_of_the_network():
    X, y, _ = dataset("multiclass")
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    clf.coefs_[1][...] = 0
    clf.intercepts_[1][...] = [0.0, 1.0, 0.0]
    assert np.all(clf.predict(X) == clf.classes_[1])
    assert np.array_equal(clf.network_.layers[-1].weight, np.zeros((3, 5)))
    # assigned as scikit-learn's lists are, item by item or whole
    clf.intercepts_[1] = np.array([0.0, 0.0, 1.0])
    assert np.all(clf.predict(X) == clf.classes_[2])
    clf.coefs_ = [np.ones((X.shape[1], 5)), np.full((5, 3), 2.0)]
    assert np.array_equal(clf.network_.layers[-1].weight, np.full((3, 5), 2.0))
    before = clf.network_.parameters.copy()
    with pytest.raises(ValueError, match=r"coefs_\[1\] must have shape \(5, 3\), got \(3, 5\)"):
        clf.coefs_ = [np.zeros((X.shape[1], 5)), np.zeros((3, 5))]
    with pytest.raises(ValueError, match=r"intercepts_\[0\] contains NaN or infinity"):
        clf.intercepts_[0] = np.full(5, np.nan)
    assert np.array_equal(clf.network_.parameters, before)  # nothing written by a refusal
    with pytest.warns(ConvergenceWarning):
        clf.set_params(dtype="float32").fit(X, y)
    with pytest.raises(ValueError, match=r"intercepts_\[0\] has values too large for float32"):
        clf.intercepts_[0] = np.full(5, 1e39)


def test_max_iter_warns_as_scikit_learn():
    X, y, _ = dataset("binary")
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        MLPClassifier(max_iter=3).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        MLPClassifier(solver="lbfgs", max_iter=2).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # stopped by tol: no warning
        MLPClassifier(max_iter=500, tol=0.1, random_state=0).fit(X, y)


def test_partial_fit_is_one_epoch_and_keeps_the_optimizer():
    X, y, _ = dataset("multiclass")
    clf = MLPClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:60], y[:60], classes=np.unique(y))
    clf.partial_fit(X[60:], y[60:])
    assert clf.n_iter_ == 1 and clf.t_ == 120 and len(clf.loss_curve_) == 2
    with pytest.raises(ValueError, match="classes not in `self.classes_`"):
        clf.partial_fit(X, y + 1)
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'"):
        MLPClassifier(solver="lbfgs").partial_fit(X, y)
    # fit with one epoch per call equals partial_fit epoch by epoch (full batch)
    a = MLPRegressor(random_state=0, shuffle=False)
    b = MLPRegressor(random_state=0, shuffle=False, max_iter=3)
    for _ in range(3):
        a.partial_fit(X, y.astype(float))
    with pytest.warns(ConvergenceWarning):
        b.fit(X, y.astype(float))
    assert_allclose(a.predict(X), b.predict(X), rtol=1e-12)


def test_warm_start_continues_and_refuses_a_different_network():
    X, y, _ = dataset("regression")
    reg = MLPRegressor(max_iter=4, warm_start=True, random_state=0)
    with pytest.warns(ConvergenceWarning):
        reg.fit(X, y)
    first = reg.coefs_[0].copy()
    with pytest.warns(ConvergenceWarning):
        reg.fit(X, y)
    assert reg.n_iter_ == 4 and reg.t_ == 8 * len(X) and len(reg.loss_curve_) == 8
    assert not np.array_equal(first, reg.coefs_[0])
    reg.set_params(hidden_layer_sizes=(50,))
    with pytest.raises(ValueError, match=r"hidden_layer_sizes must stay as fitted: \[\[100\]\]"):
        reg.fit(X, y)
    # The loss picks the output layer's activation: scikit-learn's would train on with the
    # old one (its loss_ turns NaN)
    reg.set_params(hidden_layer_sizes=(100,), loss="poisson")
    with pytest.raises(ValueError, match=r"loss must stay as fitted: \['squared_error'\]"):
        reg.partial_fit(X, np.abs(y))
    cold = MLPRegressor(max_iter=4, random_state=0)
    with pytest.warns(ConvergenceWarning):
        assert_allclose(cold.fit(X, y).coefs_[0], first)  # without warm_start: from scratch


def test_binary_multiclass_and_multilabel_outputs():
    for kind, activation, shape in [
        ("binary", "logistic", (120, 2)),
        ("multiclass", "softmax", (120, 3)),
        ("multilabel", "logistic", (120, 3)),
    ]:
        X, y, _ = dataset(kind)
        clf = MLPClassifier(solver="lbfgs", random_state=0).fit(X, y)
        proba = clf.predict_proba(X)
        assert clf.out_activation_ == activation and proba.shape == shape
        log_proba = clf.predict_log_proba(X)
        assert np.all(np.isfinite(log_proba))  # also where a probability rounds to 0
        assert_allclose(np.exp(log_proba), proba, rtol=1e-12, atol=1e-15)
        assert clf.score(X, y) > 0.9
        if kind != "multilabel":
            assert_allclose(proba.sum(axis=1), 1.0)
            assert np.array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))


def test_multi_output_regression():
    X, Y = make_regression(200, 5, n_targets=3, random_state=0)
    reg = MLPRegressor(solver="lbfgs", random_state=0).fit(X, Y / 100)
    assert reg.predict(X).shape == (200, 3) and reg.n_outputs_ == 3
    assert reg.score(X, Y / 100) > 0.99


def test_class_weight_is_a_sample_weight_per_class():
    X, y, _ = dataset("multiclass")
    weights = {10: 1.0, 11: 3.0, 12: 0.5}
    params = dict(solver="lbfgs", random_state=0, max_iter=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        by_class = MLPClassifier(class_weight=weights, **params).fit(X, y)
        by_sample = MLPClassifier(**params).fit(X, y, np.vectorize(weights.get)(y))
        balanced = MLPClassifier(class_weight="balanced", **params).fit(X, y)
    assert_allclose(by_class.predict_proba(X), by_sample.predict_proba(X))
    assert balanced.score(X, y) > 0.8
    with pytest.raises(ValueError, match="partial_fit does not see"):
        MLPClassifier(class_weight="balanced").partial_fit(X, y, classes=np.unique(y))


def test_dtype_follows_x_unless_given():
    X, y, _ = dataset("binary")
    quiet = dict(max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert MLPClassifier(**quiet).fit(X.astype(np.float32), y).coefs_[0].dtype == np.float32
        assert MLPClassifier(**quiet).fit(X.astype(int), y).coefs_[0].dtype == np.float64
        fast = MLPClassifier(dtype="float32", **quiet).fit(X, y)
    assert fast.coefs_[0].dtype == np.float32 and fast.predict_proba(X).dtype == np.float32


@pytest.mark.parametrize(
    "dtype", [np.float32, np.dtype("float32"), "f4", np.float64, np.dtype("f8"), float], ids=str
)
@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_dtype_as_numpy_names_it(cls, dtype):
    # np.float32 is what a numpy user writes; warm_start compares it with the fitted
    # network's "float32"
    X, y, _ = dataset("binary" if cls is MLPClassifier else "regression")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = cls(dtype=dtype, max_iter=2, random_state=0).fit(X.astype(np.float64), y)
        assert est.coefs_[0].dtype == np.dtype(dtype)
        before = est.coefs_[0].copy()
        est.set_params(warm_start=True).fit(X, y)  # the same dtype: training goes on
        assert est.coefs_[0].dtype == np.dtype(dtype)
        assert not np.array_equal(est.coefs_[0], before)
        with pytest.raises(ValueError, match="dtype must stay as fitted"):
            other = np.float64 if np.dtype(dtype) == np.float32 else np.float32
            est.set_params(dtype=other).fit(X, y)


@pytest.mark.parametrize(
    "activation", ["leaky_relu", "elu", "gelu", "gelu_tanh", "silu", "softplus"]
)
def test_fastmlp_activations_and_dropout_train(activation):
    X, y, _ = dataset("multiclass", n=300)
    clf = MLPClassifier(
        (32,), activation, dropout=0.1, learning_rate_init=0.01, random_state=0, tol=1e-3
    )
    clf.fit(X, y)
    assert clf.score(X, y) > 0.85
    assert clf.network_.layers[1].name == activation


def test_scores_at_least_scikit_learns_in_cross_validation():
    # the accuracy bar on one toy set (bench.sklearn runs all four)
    X, y = load_wine(return_X_y=True)
    scores = {}
    for cls in PAIRS["classifier"]:
        model = make_pipeline(StandardScaler(), cls(max_iter=300, random_state=0))
        scores[cls.__module__] = cross_val_score(model, X, y, cv=5)
    ours, theirs = scores.values()
    assert ours.mean() >= theirs.mean() - theirs.std()


@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_verbose_prints_scikit_learns_lines(solver, capsys):
    X, y, _ = dataset("multiclass")
    clf = MLPClassifier(solver=solver, max_iter=3, verbose=True, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == ["Iteration 1", "Iteration 2", "Iteration 3"]
    if solver == "sgd":
        assert lines == [
            f"Iteration {i + 1}, loss = {v:.8f}" for i, v in enumerate(clf.loss_curve_)
        ]

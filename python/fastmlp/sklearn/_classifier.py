"""MLPClassifier: scikit-learn's, trained by fastmlp."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import log_expit, log_softmax
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from fastmlp.sklearn._base import SPARSE_FORMATS, BaseMLP


def _stochastic_solver(est: BaseMLP) -> bool:
    if est.solver not in ("sgd", "adam"):
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers. {est.solver} is not "
            "stochastic."
        )
    return True


class MLPClassifier(ClassifierMixin, BaseMLP):  # type: ignore[misc]
    """Multi-layer perceptron classifier: ``sklearn.neural_network.MLPClassifier``'s
    parameters, attributes and methods, trained by fastmlp's C++ core.

    Binary and multi-label targets train sigmoid outputs with binary cross-entropy,
    multi-class targets a softmax with cross-entropy. Beyond scikit-learn's parameters:

    - ``activation``: also "leaky_relu", "elu", "gelu", "gelu_tanh", "silu", "softplus".
    - ``dropout``: probability of dropping each hidden unit while training (stochastic
      solvers only).
    - ``dtype``: float32 or float64 for the network as numpy reads it ("float32", "f4",
      ``np.float32``, ``np.dtype("float32")``, ...); None (default) follows X as
      scikit-learn does (float32 stays float32, anything else is float64). "float32" on
      float64 data trains faster (1.7× on MNIST-1D, one thread).
    - ``n_threads``: threads for fit and predict. None: 1 inside a joblib task or Dask
      worker (parallel searches do not oversubscribe), else fastmlp's setting.
    - ``class_weight``: dict {class: weight} or "balanced", multiplied into sample_weight.

    The fitted network is ``network_`` (an ``fm.MLP`` that outputs logits);
    ``coefs_`` and ``intercepts_`` are writable views of its weights in scikit-learn's
    (in, out) layout.
    """

    _parameter_constraints = {
        **BaseMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        dropout: float = 0.0,
        dtype: Any = None,
        n_threads: int | None = None,
        class_weight: dict[Any, float] | str | None = None,
    ) -> None:
        super().__init__(
            hidden_layer_sizes,
            activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            dropout=dropout,
            dtype=dtype,
            n_threads=n_threads,
        )
        self.class_weight = class_weight

    @_fit_context(prefer_skip_nested_validation=True)  # type: ignore[untyped-decorator]
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPClassifier:
        """Trains a new network (or, with ``warm_start``, the fitted one) on (X, y)."""
        self._fit(X, y, sample_weight, incremental=False)
        return self

    @available_if(_stochastic_solver)  # type: ignore[untyped-decorator]
    @_fit_context(prefer_skip_nested_validation=True)  # type: ignore[untyped-decorator]
    def partial_fit(
        self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None
    ) -> MLPClassifier:
        """One epoch over (X, y); ``classes`` (every class) is required on the first call."""
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            multilabel = type_of_target(y).startswith("multilabel")
            self._label_binarizer.fit(y if multilabel else classes)
        self._fit(X, y, sample_weight, incremental=True)
        return self

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return self._predict(self._checked_input(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities (n_samples, n_classes) in the order of ``classes_``."""
        check_is_fitted(self)
        p = self._output(self._checked_input(X))
        if self.n_outputs_ == 1:  # binary: one sigmoid output for the second class
            return np.hstack([1 - p, p])
        return p

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """log(predict_proba), from the logits: finite where a probability rounds to 0."""
        check_is_fitted(self)
        z = self._logits(self._checked_input(X))
        if self.out_activation_ == "softmax":
            log_proba: np.ndarray = log_softmax(z, axis=1)
        elif self.n_outputs_ == 1:
            log_proba = np.hstack([log_expit(-z), log_expit(z)])
        else:
            log_proba = log_expit(z)
        return log_proba

    # ---------------------------------------------------------------- BaseMLP hooks
    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool) -> tuple[Any, Any]:
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=SPARSE_FORMATS,
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
            return X, y
        classes = unique_labels(y)
        if self.warm_start and not incremental and set(classes) != set(self.classes_):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in the "
                f"previous call to fit. Previously got {self.classes_}, `y` has {classes}"
            )
        if len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
            raise ValueError(
                f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. "
                f"'y' has {classes}."
            )
        return X, y

    def _output_activation(self) -> str:
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _targets(self, y: np.ndarray) -> np.ndarray:
        indicator: np.ndarray = self._label_binarizer.transform(y)
        if self._output_activation() == "softmax":
            indicator = np.argmax(indicator, axis=1)
        return indicator

    def _n_outputs(self, targets: np.ndarray) -> int:
        return len(self.classes_) if targets.ndim == 1 else int(targets.shape[1])

    def _sample_weight(self, y: Any, sample_weight: Any, incremental: bool) -> Any:
        if self.class_weight is None:
            return sample_weight
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' needs all of y at once, which partial_fit does not "
                "see; pass class_weight as a dict {class: weight}"
            )
        weight: np.ndarray = compute_sample_weight(self.class_weight, y)
        return weight if sample_weight is None else weight * sample_weight

    def _predict(self, X: np.ndarray) -> np.ndarray:
        p = self._output(X)
        labels: np.ndarray = self._label_binarizer.inverse_transform(
            p.ravel() if self.n_outputs_ == 1 else p
        )
        return labels

    def _score(self, X: np.ndarray, y: Any, sample_weight: np.ndarray | None) -> float:
        return float(accuracy_score(y, self._predict(X), sample_weight=sample_weight))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

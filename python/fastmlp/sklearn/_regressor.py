"""MLPRegressor: scikit-learn's, trained by fastmlp."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from fastmlp.sklearn._base import SPARSE_FORMATS, BaseMLP
from fastmlp.sklearn._classifier import _stochastic_solver


class MLPRegressor(RegressorMixin, BaseMLP):  # type: ignore[misc]
    """Multi-layer perceptron regressor: ``sklearn.neural_network.MLPRegressor``'s
    parameters, attributes and methods, trained by fastmlp's C++ core; one or many outputs.

    ``loss`` is "squared_error" or "poisson" (half the Poisson deviance through a log link:
    the output layer's exp gives the prediction; y must be >= 0). The extra parameters
    ``activation`` names, ``dropout``, ``dtype`` and ``n_threads`` are as in
    :class:`MLPClassifier`. For several outputs of squared error ``loss_`` averages the half
    squared error over them as scikit-learn's does, though the gradient both follow sums
    over them.
    """

    _parameter_constraints = {
        **BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss: str = "squared_error",
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
        self.loss = loss

    @_fit_context(prefer_skip_nested_validation=True)  # type: ignore[untyped-decorator]
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """Trains a new network (or, with ``warm_start``, the fitted one) on (X, y)."""
        self._fit(X, y, sample_weight, incremental=False)
        return self

    @available_if(_stochastic_solver)  # type: ignore[untyped-decorator]
    @_fit_context(prefer_skip_nested_validation=True)  # type: ignore[untyped-decorator]
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One epoch over (X, y), continuing from the current weights."""
        self._fit(X, y, sample_weight, incremental=True)
        return self

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return self._predict(self._checked_input(X))

    # ---------------------------------------------------------------- BaseMLP hooks
    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool) -> tuple[Any, Any]:
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=SPARSE_FORMATS,
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    def _output_activation(self) -> str:
        return "exp" if self.loss == "poisson" else "identity"

    def _targets(self, y: np.ndarray) -> np.ndarray:
        return y.reshape(len(y), -1)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        y = self._output(X)
        return y.ravel() if y.shape[1] == 1 else y

    def _score(self, X: np.ndarray, y: Any, sample_weight: np.ndarray | None) -> float:
        prediction = self._predict(X)
        if not np.all(np.isfinite(prediction)):  # as scikit-learn's (a Poisson rate's exp)
            return float("nan")
        return float(r2_score(y, prediction, sample_weight=sample_weight))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

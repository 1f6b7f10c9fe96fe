"""What MLPClassifier and MLPRegressor share: scikit-learn's parameters and their checks,
fit / partial_fit / warm_start bookkeeping, the fitted attributes, and prediction."""

from __future__ import annotations

from abc import ABC, abstractmethod
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.sparse
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.validation import _check_sample_weight, validate_data

from fastmlp.layers import _same_shape
from fastmlp.network import _dtype
from fastmlp.sklearn._lbfgs import fit_lbfgs
from fastmlp.sklearn._network import (
    ACTIVATIONS,
    LOSSES,
    build_network,
    dense_layers,
    objective_scale,
    reported_loss,
)
from fastmlp.sklearn._stochastic import fit_stochastic
from fastmlp.sklearn._threads import thread_cap, thread_limit


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    probabilities: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return probabilities


# As scikit-learn's MLPs; other formats go to CSR, then dense (see _network_input)
SPARSE_FORMATS = ["csr", "csc"]

_OUTPUT_ACTIVATIONS = {
    "identity": lambda z: z,
    "exp": np.exp,  # loss="poisson": the outputs are log rates
    "logistic": expit,
    "softmax": _softmax,
}


class BaseMLP(BaseEstimator, ABC):  # type: ignore[misc]
    """The parameters of scikit-learn's MLPs with the same names, defaults and meaning, plus
    fastmlp's: any of its activations, ``dropout``, ``dtype`` and ``n_threads``."""

    _parameter_constraints: dict[str, list[Any]] = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        # scikit-learn allows momentum 1, which never forgets a gradient; fastmlp's SGD not
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        # float32 or float64 as numpy reads it ("f4", np.float32, ...): see _dtype_setting
        "dtype": [str, type, np.dtype, None],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        hidden_layer_sizes: Any,
        activation: str,
        *,
        solver: str,
        alpha: float,
        batch_size: int | str,
        learning_rate: str,
        learning_rate_init: float,
        power_t: float,
        max_iter: int,
        shuffle: bool,
        random_state: Any,
        tol: float,
        verbose: bool,
        warm_start: bool,
        momentum: float,
        nesterovs_momentum: bool,
        early_stopping: bool,
        validation_fraction: float,
        beta_1: float,
        beta_2: float,
        epsilon: float,
        n_iter_no_change: int,
        max_fun: int,
        dropout: float,
        dtype: Any,
        n_threads: int | None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout
        self.dtype = dtype
        self.n_threads = n_threads

    # ---------------------------------------------------------------- subclass hooks
    @abstractmethod
    def _validate_input(self, X: Any, y: Any, incremental: bool, reset: bool) -> tuple[Any, Any]:
        """(X, y) checked; a classifier also sets or checks its classes here."""

    @abstractmethod
    def _output_activation(self) -> str:
        """The output activation, "identity", "exp", "logistic" or "softmax", for the loss
        and targets."""

    @abstractmethod
    def _targets(self, y: np.ndarray) -> np.ndarray:
        """y as the fastmlp loss takes it: class indices for softmax, else (n, n_outputs)."""

    @abstractmethod
    def _predict(self, X: np.ndarray) -> np.ndarray:
        """predict on input already checked."""

    @abstractmethod
    def _score(self, X: np.ndarray, y: Any, sample_weight: np.ndarray | None) -> float:
        """score on input already checked (early stopping's validation score)."""

    def _sample_weight(self, y: Any, sample_weight: Any, incremental: bool) -> Any:
        return sample_weight

    def _n_outputs(self, targets: np.ndarray) -> int:
        return int(targets.shape[1])

    # ------------------------------------------------------------------- training
    def _fit(self, X: Any, y: Any, sample_weight: Any, incremental: bool) -> BaseMLP:
        hidden = self._hidden_sizes()
        self._dtype_setting()  # refused before anything changes
        first_pass = not hasattr(self, "network_") or (not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        sample_weight = self._sample_weight(y, sample_weight, incremental)
        targets = self._targets(y)
        random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(X, targets, hidden, random_state)
        else:
            self._check_continuable(hidden)
        X = _network_input(X, self.network_.dtype)  # once, not in every epoch
        with thread_limit(thread_cap(self.n_threads)):
            if self.solver == "lbfgs":
                fit_lbfgs(self, X, targets, sample_weight)
            else:
                fit_stochastic(self, X, y, targets, sample_weight, random_state, incremental)
        return self

    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        if not all(isinstance(size, Integral) and not isinstance(size, bool) for size in sizes):
            raise TypeError(f"hidden_layer_sizes must hold integers, got {sizes}.")
        if any(size <= 0 for size in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(size) for size in sizes]

    def _initialize(
        self,
        X: np.ndarray,
        targets: np.ndarray,
        hidden: list[int],
        random_state: np.random.RandomState,
    ) -> None:
        self.out_activation_ = self._output_activation()
        self.n_outputs_ = self._n_outputs(targets)
        self.n_layers_ = len(hidden) + 2
        self.n_iter_ = 0
        self.t_ = 0
        dtype = self._dtype_setting() or X.dtype.name  # None: X's, as scikit-learn
        self._architecture: dict[str, Any] = {"hidden_layer_sizes": hidden}
        self._architecture["activation"] = self.activation
        self._architecture |= {
            "dropout": self.dropout,
            "dtype": dtype,
            "loss": self._loss_setting(),
        }
        self.network_ = build_network(
            X.shape[1], hidden, self.n_outputs_, self.activation, dtype, self.dropout, random_state
        )
        if self.solver == "lbfgs":
            return
        self.loss_curve_: list[float] = []
        self._no_improvement_count = 0
        self._best_parameters: np.ndarray | None = None
        if self.early_stopping:
            self.validation_scores_: list[float] | None = []
            self.best_validation_score_: float | None = -np.inf
            self.best_loss_: float | None = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _dtype_setting(self) -> str | None:
        """dtype by name, "float32" or "float64" (as a fitted network records it), however numpy
        spells it, as fm.MLP takes it; None for None. Anything else is refused as scikit-learn's
        parameter check refuses a value."""
        if self.dtype is None:
            return None
        try:
            return _dtype(self.dtype).name
        except ValueError:
            raise InvalidParameterError(
                f"The 'dtype' parameter of {type(self).__name__} must be float32 or float64 as "
                "numpy reads them ('float32', 'f4', np.float32, np.dtype('float32'), ...) or "
                f"None. Got {self.dtype!r} instead."
            ) from None

    def _check_continuable(self, hidden: list[int]) -> None:
        """warm_start and partial_fit train the fitted network further: it must still fit."""
        asked: dict[str, Any] = {"hidden_layer_sizes": hidden, "activation": self.activation}
        dtype = self._dtype_setting() or self._architecture["dtype"]
        asked |= {"dropout": self.dropout, "dtype": dtype}
        asked["loss"] = self._loss_setting()  # the output activation goes with it
        changed = [name for name, value in asked.items() if value != self._architecture[name]]
        if changed:
            raise ValueError(
                "warm_start and partial_fit continue training the fitted network, so "
                f"{', '.join(changed)} must stay as fitted: "
                f"{[self._architecture[name] for name in changed]}, "
                f"got {[asked[name] for name in changed]}"
            )

    def _loss_setting(self) -> str | None:
        """The ``loss`` parameter where the estimator has one (MLPRegressor)."""
        return getattr(self, "loss", None)

    def _objective_scale(self) -> float:
        return objective_scale(self.out_activation_, self.n_outputs_)

    def _reported_loss(self, loss: float, penalty: float) -> float:
        return reported_loss(self.out_activation_, self.n_outputs_, loss, penalty)

    def _fastmlp_loss(self) -> str:
        return LOSSES[self.out_activation_]

    # ------------------------------------------------------------------ inference
    def _checked_input(self, X: Any) -> np.ndarray:
        X = validate_data(
            self, X, accept_sparse=SPARSE_FORMATS, dtype=(np.float64, np.float32), reset=False
        )
        return _network_input(X, self.network_.dtype)

    def _logits(self, X: np.ndarray) -> np.ndarray:
        """The output layer before its activation, (n, n_outputs), for checked input."""
        with thread_limit(thread_cap(self.n_threads)):
            logits: np.ndarray = self.network_.predict(X)
        return logits

    def _output(self, X: np.ndarray) -> np.ndarray:
        """The output layer's activations (n, n_outputs) for checked input."""
        output: np.ndarray = _OUTPUT_ACTIVATIONS[self.out_activation_](self._logits(X))
        return output

    # ---------------------------------------------------------- fitted attributes
    @property
    def coefs_(self) -> _WriteThrough:
        """The weight matrices as scikit-learn lays them out, (in, out): writable views. As
        scikit-learn's list, it can be assigned (``coefs_ = [...]``, ``coefs_[i] = …``); the
        values go into the network."""
        return _WriteThrough("coefs_", [layer.weight.T for layer in dense_layers(self.network_)])

    @coefs_.setter
    def coefs_(self, values: Any) -> None:
        self.coefs_.assign_all(values)

    @property
    def intercepts_(self) -> _WriteThrough:
        """The bias vectors: writable views, assignable as coefs_."""
        return _WriteThrough("intercepts_", [layer.bias for layer in dense_layers(self.network_)])

    @intercepts_.setter
    def intercepts_(self, values: Any) -> None:
        self.intercepts_.assign_all(values)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # densified: a network's first layer is dense anyway
        return tags


class _WriteThrough(list):  # type: ignore[type-arg]
    """A list of views into the network's parameters whose item assignment writes the new
    values into the viewed array, so that ``coefs_[0] = W`` changes the model as it does
    scikit-learn's (a plain list of views would take W and leave the network as it was)."""

    def __init__(self, name: str, views: list[np.ndarray]) -> None:
        super().__init__(views)
        self.name = name

    def _checked(self, index: Any, value: Any) -> np.ndarray:
        if not isinstance(index, (int, np.integer)):
            raise TypeError(f"{self.name}: assign one array at a time (an int index)")
        # as Dense.weight = … checks: the shape, real numbers, finite in the network's dtype
        return _same_shape(f"{self.name}[{index}]", self[index], value)

    def __setitem__(self, index: Any, value: Any) -> None:
        self[index][...] = self._checked(index, value)

    def assign_all(self, values: Any) -> None:
        """All of them, each checked before any is written."""
        values = list(values)
        if len(values) != len(self):
            raise ValueError(f"{self.name} must have {len(self)} arrays, got {len(values)}")
        arrays = [self._checked(index, value) for index, value in enumerate(values)]
        for target, array in zip(self, arrays):
            target[...] = array


def _network_input(X: Any, dtype: np.dtype[Any]) -> np.ndarray:
    """X dense, C-contiguous and aligned, in the network's dtype. (Arrays unpickled from
    protocol-5 buffers, as Dask sends them, can be unaligned, which the core refuses.)"""
    if scipy.sparse.issparse(X):
        X = X.toarray()
    return np.require(X, dtype=dtype, requirements=["C_CONTIGUOUS", "ALIGNED"])

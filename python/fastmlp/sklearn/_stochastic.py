"""The 'sgd' and 'adam' solvers with scikit-learn's semantics on fastmlp's training loop.

fastmlp runs each epoch in C++; between epochs a callback does what scikit-learn's MLP
does after each of its epochs: record ``loss_curve_`` / ``validation_scores_``, count
epochs without an improvement of ``tol``, stop (or divide the 'adaptive' learning rate
by 5), and set the 'invscaling' learning rate ``learning_rate_init / (t_ + 1) ** power_t``.

Step sizes are in scikit-learn's units: its gradient is ``objective_scale`` times
fastmlp's, so SGD's learning rate, Adam's epsilon and the L2 term are converted by it.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from fastmlp.callbacks import Callback
from fastmlp.optim import SGD, Adam, Optimizer

if TYPE_CHECKING:
    from fastmlp.sklearn._base import BaseMLP

_SMALLEST_ADAPTIVE_RATE = 1e-6  # scikit-learn's: below it 'adaptive' stops


def fit_stochastic(
    est: BaseMLP,
    X: np.ndarray,
    y: Any,
    targets: np.ndarray,
    sample_weight: np.ndarray | None,
    random_state: np.random.RandomState,
    incremental: bool,
) -> None:
    network = est.network_
    if est.early_stopping and incremental:
        raise ValueError("partial_fit does not support early_stopping=True")
    validation = None
    if est.early_stopping:
        X, targets, sample_weight, validation = _split_validation(
            est, X, y, targets, sample_weight, random_state
        )
    n_samples = X.shape[0]
    batch_size = _batch_size(est.batch_size, n_samples)
    scale = est._objective_scale()
    if not incremental or network.optimizer is None:
        network.optimizer = _optimizer(est, scale)
    epoch_end = _EpochEnd(est, scale, n_samples, validation)
    est.n_iter_ = 0
    try:
        history = network.fit(
            X,
            targets,
            loss=est._fastmlp_loss(),
            epochs=1 if incremental else est.max_iter,
            batch_size=batch_size,
            shuffle=est.shuffle,
            seed=random_state.randint(np.iinfo(np.int32).max),
            sample_weight=sample_weight,
            callbacks=[epoch_end],
            # scikit-learn adds alpha / (2 · Σ batch weights) · ||W||² to each batch's loss
            l2=est.alpha / scale,
            l2_per_sample=True,
        )
    except KeyboardInterrupt:
        # stack levels: here < BaseMLP._fit < fit < scikit-learn's _fit_context < the caller
        warnings.warn("Training interrupted by user.", stacklevel=5)
        return
    except FloatingPointError as error:
        raise ValueError(
            "Solver produced non-finite parameter weights. The input data may contain large "
            "values and need to be preprocessed."
        ) from error
    finally:
        if est.early_stopping and est._best_parameters is not None:
            network.parameters[...] = est._best_parameters
    if not incremental and history.stop_reason == "finished" and est.n_iter_ == est.max_iter:
        warnings.warn(
            f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached and the "
            "optimization hasn't converged yet.",
            ConvergenceWarning,
            stacklevel=5,
        )


def _split_validation(
    est: BaseMLP,
    X: np.ndarray,
    y: Any,
    targets: np.ndarray,
    sample_weight: np.ndarray | None,
    random_state: np.random.RandomState,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[Any, ...]]:
    """Holds out ``validation_fraction`` of the data, as scikit-learn does (stratified for a
    single-output classifier), for early stopping's score."""
    stratify = y if is_classifier(est) and est.n_outputs_ == 1 else None
    arrays = [X, targets, y] + ([] if sample_weight is None else [sample_weight])
    parts = train_test_split(
        *arrays, random_state=random_state, test_size=est.validation_fraction, stratify=stratify
    )
    X_train, X_val, targets_train, _, _, y_val = parts[:6]
    weight_train, weight_val = parts[6:] if sample_weight is not None else (None, None)
    if X_val.shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' or the size of "
            "your dataset."
        )
    return X_train, targets_train, weight_train, (X_val, y_val, weight_val)


def _batch_size(batch_size: int | str, n_samples: int) -> int:
    if batch_size == "auto":
        return min(200, n_samples)
    if int(batch_size) > n_samples:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped",
            stacklevel=6,  # one level below fit_stochastic's warnings
        )
    return min(int(batch_size), n_samples)


def _optimizer(est: BaseMLP, scale: float) -> Optimizer:
    if est.solver == "sgd":
        # fastmlp's SGD is torch's: its momentum buffer holds gradients where scikit-learn's
        # holds steps (see _set_sgd_rate)
        return SGD(
            lr=scale * est.learning_rate_init,
            momentum=est.momentum,
            nesterov=est.nesterovs_momentum and est.momentum > 0,
        )
    return Adam(lr=est.learning_rate_init, betas=(est.beta_1, est.beta_2), eps=est.epsilon / scale)


def _set_sgd_rate(optimizer: Optimizer, rate: float) -> None:
    """SGD's learning rate changed between epochs as scikit-learn changes it. Its velocity
    holds steps, −rate·(gradient sums); fastmlp's (torch's) the gradient sums: scaled by
    old rate / new rate, the next steps are scikit-learn's, Nesterov's included."""
    for velocity in optimizer._state_buffers():
        velocity *= optimizer.lr / rate
    optimizer.lr = rate


class _EpochEnd(Callback):
    """scikit-learn's bookkeeping after every epoch; returns True to stop training."""

    def __init__(
        self, est: BaseMLP, scale: float, n_samples: int, validation: tuple[Any, ...] | None
    ) -> None:
        self.est, self.scale, self.n_samples, self.validation = est, scale, n_samples, validation

    def on_epoch_end(self, net: Any, epoch: int, logs: dict[str, float]) -> bool:
        est = self.est
        est.n_iter_ += 1
        est.t_ += self.n_samples
        est.loss_ = est._reported_loss(logs["loss"], logs.get("penalty", 0.0))
        est.loss_curve_.append(est.loss_)
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {est.loss_:.8f}")
        if self.validation is None:
            self._count_training_loss()
        else:
            self._count_validation_score(net, *self.validation)
        optimizer = net.optimizer
        if est.solver == "sgd" and est.learning_rate == "invscaling":
            rate = est.learning_rate_init / (est.t_ + 1) ** est.power_t
            _set_sgd_rate(optimizer, self.scale * rate)
        if est._no_improvement_count <= est.n_iter_no_change:
            return False
        subject = "Validation score" if self.validation is not None else "Training loss"
        message = (
            f"{subject} did not improve more than tol={est.tol:f} for "
            f"{est.n_iter_no_change} consecutive epochs."
        )
        rate = optimizer.lr / self.scale
        if est.solver != "sgd" or est.learning_rate != "adaptive":
            return _stop(est, message + " Stopping.")
        if rate <= _SMALLEST_ADAPTIVE_RATE:
            return _stop(est, message + " Learning rate too small. Stopping.")
        _set_sgd_rate(optimizer, self.scale * rate / 5.0)
        est._no_improvement_count = 0
        if est.verbose:
            print(f"{message} Setting learning rate to {rate / 5.0:f}")
        return False

    def _count_training_loss(self) -> None:
        est = self.est
        best = cast(float, est.best_loss_)  # a number without early stopping
        if est.loss_ > best - est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        est.best_loss_ = min(best, est.loss_)

    def _count_validation_score(self, net: Any, X: Any, y: Any, weight: Any) -> None:
        est = self.est
        score = est._score(X, y, weight)
        cast(list[float], est.validation_scores_).append(score)
        if est.verbose:
            print(f"Validation score: {score:f}")
        best = cast(float, est.best_validation_score_)  # a number with early stopping
        if score < best + est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if score > best:
            est.best_validation_score_ = score
            est._best_parameters = net.parameters.copy()


def _stop(est: BaseMLP, message: str) -> bool:
    if est.verbose:
        print(message)
    return True

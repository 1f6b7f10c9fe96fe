"""The 'lbfgs' solver: scipy's L-BFGS-B on the network's flat parameters, with
scikit-learn's objective (fastmlp's mean loss times ``objective_scale``, plus
alpha / (2 · Σ sample weights) · ||W||²), valued as scikit-learn values it
(``reported_loss``: for several outputs of squared error not the function the gradient
belongs to, which scipy's line search compares all the same), and its stopping rules
(``max_iter`` iterations, ``max_fun`` loss evaluations, projected gradient below ``tol``)."""

from __future__ import annotations

import itertools
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

from fastmlp.network import squared_weights

if TYPE_CHECKING:
    from fastmlp.sklearn._base import BaseMLP


def fit_lbfgs(
    est: BaseMLP, X: np.ndarray, targets: np.ndarray, sample_weight: np.ndarray | None
) -> None:
    if est.dropout > 0:
        raise ValueError(
            f"dropout={est.dropout} needs solver 'adam' or 'sgd': L-BFGS needs the same loss "
            "at every evaluation"
        )
    network = est.network_
    loss = est._fastmlp_loss()
    scale = est._objective_scale()
    total_weight = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
    l2 = est.alpha / (scale * total_weight)

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
        network.parameters[...] = flat
        value, gradient = network.loss_and_gradient(
            X, targets, loss=loss, sample_weight=sample_weight, l2=l2
        )
        penalty = 0.5 * l2 * squared_weights(network)
        return est._reported_loss(value, penalty), scale * gradient.astype(np.float64)

    iteration = itertools.count(1)

    def report(intermediate_result: Any) -> None:
        print(f"Iteration {next(iteration)}, loss = {intermediate_result.fun:.8f}")

    result = minimize(
        objective,
        network.parameters.astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        callback=report if est.verbose else None,
        options={"maxfun": est.max_fun, "maxiter": est.max_iter, "gtol": est.tol},
    )
    network.parameters[...] = result.x
    network.loss = loss  # so network_.predict_proba works as after fastmlp's own fit
    est.n_iter_ = min(int(result.nit), est.max_iter)
    est.loss_ = float(result.fun)
    if not np.all(np.isfinite(network.parameters)):
        raise ValueError(
            "Solver produced non-finite parameter weights. The input data may contain large "
            "values and need to be preprocessed."
        )
    if result.status != 0:
        warnings.warn(
            f"lbfgs failed to converge after {est.n_iter_} iteration(s) "
            f"(status={result.status}): {result.message}. Increase max_iter or max_fun, or "
            "scale the data.",
            ConvergenceWarning,
            stacklevel=5,  # here < BaseMLP._fit < fit < scikit-learn's _fit_context < caller
        )

"""The fastmlp network behind an estimator: its activations, scikit-learn's initialisation,
and the factor between scikit-learn's objective and fastmlp's mean loss."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from fastmlp.layers import Dense
from fastmlp.network import MLP, Sequential

# scikit-learn's names first ("logistic" is fastmlp's sigmoid), then what fastmlp adds.
ACTIVATIONS = {
    "identity": "identity",
    "logistic": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "leaky_relu": "leaky_relu",
    "elu": "elu",
    "gelu": "gelu",
    "gelu_tanh": "gelu_tanh",
    "silu": "silu",
    "softplus": "softplus",
}

# The fastmlp loss that pairs with each output activation, as scikit-learn pairs them.
LOSSES = {
    "identity": "least_squares",
    "exp": "poisson",
    "logistic": "binary_cross_entropy",
    "softmax": "cross_entropy",
}


def build_network(
    n_features: int,
    hidden: Sequence[int],
    n_outputs: int,
    activation: str,
    dtype: str,
    dropout: float,
    random_state: np.random.RandomState,
) -> MLP:
    """An MLP whose weights and biases are drawn as scikit-learn draws them.

    Glorot-uniform on both, bound sqrt(6 / (fan_in + fan_out)), or sqrt(2 / …) for the
    logistic activation (scikit-learn's choice); every other fastmlp activation takes the
    Glorot bound too. The draws come from ``random_state`` in scikit-learn's order, so a
    fixed ``random_state`` starts from scikit-learn's own initial weights.
    """
    network = MLP(
        n_features,
        list(hidden),
        n_outputs,
        activation=ACTIVATIONS[activation],
        dtype=dtype,
        dropout=dropout,
        seed=0,  # the He draws are overwritten below
    )
    factor = 2.0 if activation == "logistic" else 6.0
    for layer in dense_layers(network):
        bound = math.sqrt(factor / (layer.in_features + layer.out_features))
        coef = random_state.uniform(-bound, bound, (layer.in_features, layer.out_features))
        layer.weight[...] = coef.T  # scikit-learn's coefs_ are (in, out), fastmlp's (out, in)
        layer.bias[...] = random_state.uniform(-bound, bound, layer.out_features)
    return network


def dense_layers(network: Sequential) -> list[Dense]:
    return [layer for layer in network.layers if isinstance(layer, Dense)]


def objective_scale(out_activation: str, n_outputs: int) -> float:
    """scikit-learn's objective (and gradient) per unit of fastmlp's mean loss.

    Both average over samples (weighted). fastmlp also averages least squares, binary
    cross-entropy and Poisson over the outputs, as torch's MSELoss, BCEWithLogitsLoss and
    PoissonNLLLoss do, where scikit-learn's gradient sums over them; and scikit-learn's
    squared error is halved.
    """
    if out_activation == "identity":
        return n_outputs / 2.0
    if out_activation in ("logistic", "exp"):
        return float(n_outputs)
    return 1.0


def reported_loss(out_activation: str, n_outputs: int, loss: float, penalty: float) -> float:
    """scikit-learn's ``loss_`` from fastmlp's mean loss and its L2 term's share of it.

    Both scaled by ``objective_scale``, but scikit-learn reports its squared error averaged
    over the outputs while its gradient (which fastmlp follows) sums over them: for several
    outputs its ``loss_`` is not the objective it descends.
    """
    scale = objective_scale(out_activation, n_outputs)
    if out_activation != "identity" or n_outputs == 1:
        return scale * loss
    return scale * ((loss - penalty) / n_outputs + penalty)

"""The compiled kernels on numpy arrays: GEMM, the fused linear layer, activations, losses.

float32 and float64 run natively; other real inputs (ints, bools, lists, non-contiguous
views) are converted as numpy would promote them. The GIL is released while a kernel runs.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from fastmlp import _core
from fastmlp._arrays import as_float_arrays, as_labels, check_ndim

__all__ = [
    "ACTIVATIONS",
    "bias_gradient",
    "linear",
    "matmul",
    "least_squares",
    "softmax_cross_entropy",
    "weight_gradient",
]

# name -> (the core's enum value, name of its parameter, default of that parameter)
_ACTIVATION_SPECS: dict[str, tuple[Any, str | None, float]] = {
    "identity": (_core.Activation.identity, None, 0.0),
    "relu": (_core.Activation.relu, None, 0.0),
    "leaky_relu": (_core.Activation.leaky_relu, "negative_slope", 0.01),
    "sigmoid": (_core.Activation.sigmoid, None, 0.0),
    "tanh": (_core.Activation.tanh, None, 0.0),
    "elu": (_core.Activation.elu, "alpha", 1.0),
    "gelu": (_core.Activation.gelu, None, 0.0),
    "gelu_tanh": (_core.Activation.gelu_tanh, None, 0.0),
    "silu": (_core.Activation.silu, None, 0.0),
    "softplus": (_core.Activation.softplus, None, 0.0),
}
ACTIVATIONS = tuple(_ACTIVATION_SPECS)


def _finite_float(func: str, name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{func}: {name} must be a real number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{func}: {name} must be finite, got {number}")
    return number


matmul = _core.matmul  # compiled entry: see its docstring


def _activation(func: str, activation: str | None, param: float | None) -> tuple[Any, float]:
    name = "identity" if activation is None else activation
    if name not in _ACTIVATION_SPECS:
        raise ValueError(f"{func}: unknown activation {activation!r}; choose one of {ACTIVATIONS}")
    kind, param_name, default = _ACTIVATION_SPECS[name]
    if param is None:
        return kind, default
    if param_name is None:
        raise ValueError(f"{func}: activation {name!r} takes no parameter, got {param!r}")
    return kind, _finite_float(func, param_name, param)


def linear(
    x: Any,
    weight: Any,
    bias: Any = None,
    activation: str | None = None,
    *,
    activation_param: float | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``activation(x · weightᵀ + bias)``, as ``torch.nn.functional.linear`` plus an activation.

    ``x`` is ``(n_samples, in_features)`` or one sample ``(in_features,)``; ``weight`` is
    ``(out_features, in_features)``; ``bias`` is ``(out_features,)`` or None. The bias and
    activation are applied in the GEMM's write-back, while the output tile is in cache.
    ``activation_param`` is the slope of ``leaky_relu`` or the alpha of ``elu``. ``out``,
    when given, receives the result and is returned: ``(n_samples, out_features)``, or for
    one sample ``(out_features,)`` or ``(1, out_features)``.
    """
    kind, param = _activation("linear", activation, activation_param)
    names: tuple[str, ...] = ("x", "weight")
    values: tuple[Any, ...] = (x, weight)
    if bias is not None:
        names, values = names + ("bias",), values + (bias,)
    arrays = as_float_arrays("linear", names, values)
    x, weight = arrays[0], arrays[1]
    check_ndim("linear", "x", x, (1, 2))
    check_ndim("linear", "weight", weight, (2,))
    bias_array = arrays[2] if bias is not None else None
    if x.ndim == 2:
        return _core.linear(x, weight, bias_array, kind, param, out)
    # one sample: computed as a batch of one, into out when given (which is returned, as
    # numpy's out= arguments are)
    if out is None:
        return _core.linear(x.reshape(1, -1), weight, bias_array, kind, param, None).reshape(-1)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"linear: out must be a numpy array, got {type(out).__name__}")
    if out.shape not in ((weight.shape[0],), (1, weight.shape[0])):
        raise ValueError(
            f"linear: out must have shape ({weight.shape[0]},) or (1, {weight.shape[0]}) for "
            f"one sample, got {out.shape}"
        )
    _core.linear(x.reshape(1, -1), weight, bias_array, kind, param, out.reshape(1, -1))
    return out


def _activation_pair(
    name: str,
) -> tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]:
    kind, param_name, default = _ACTIVATION_SPECS[name]

    def forward(x: Any, *args: Any, out: np.ndarray | None = None, **kwargs: Any) -> np.ndarray:
        param = _param(name, args, kwargs, param_name, default)
        (x,) = as_float_arrays(name, ("x",), (x,))
        return _core.activation_forward(kind, x, param, out)

    def backward(
        x: Any, dy: Any, *args: Any, out: np.ndarray | None = None, **kwargs: Any
    ) -> np.ndarray:
        param = _param(name + "_backward", args, kwargs, param_name, default)
        x, dy = as_float_arrays(name + "_backward", ("x", "dy"), (x, dy))
        if x.shape != dy.shape:
            raise ValueError(
                f"{name}_backward: dy must have the shape of x {x.shape}, got {dy.shape}"
            )
        return _core.activation_backward(kind, x, dy, param, out)

    forward.__name__ = forward.__qualname__ = name
    backward.__name__ = backward.__qualname__ = name + "_backward"
    signature = f"({param_name}={default})" if param_name else ""
    forward.__doc__ = f"The {name} activation of x, elementwise{signature}."
    backward.__doc__ = (
        f"dy · {name}'(x): the gradient through {name} given the gradient dy of its output."
    )
    return forward, backward


def _param(
    func: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    param_name: str | None,
    default: float,
) -> float:
    """The activation's parameter, given by position or by its name (negative_slope, alpha)."""
    unknown = set(kwargs) - {param_name}
    if unknown:
        raise TypeError(f"{func}: unexpected keyword argument {sorted(unknown)[0]!r}")
    values = [*args, *kwargs.values()]
    if not values:
        return default
    if param_name is None or len(values) > 1:
        raise TypeError(f"{func}: too many arguments")
    return _finite_float(func, param_name, values[0])


relu, relu_backward = _activation_pair("relu")
leaky_relu, leaky_relu_backward = _activation_pair("leaky_relu")
sigmoid, sigmoid_backward = _activation_pair("sigmoid")
tanh, tanh_backward = _activation_pair("tanh")
elu, elu_backward = _activation_pair("elu")
gelu, gelu_backward = _activation_pair("gelu")
gelu_tanh, gelu_tanh_backward = _activation_pair("gelu_tanh")
silu, silu_backward = _activation_pair("silu")
softplus, softplus_backward = _activation_pair("softplus")
identity, identity_backward = _activation_pair("identity")
for _name in ACTIVATIONS:
    __all__ += [_name, _name + "_backward"]


def _scale(func: str, reduction: str, count: int) -> float:
    if reduction == "sum":
        return 1.0
    if reduction != "mean":
        raise ValueError(f"{func}: reduction must be 'mean' or 'sum', got {reduction!r}")
    if count == 0:
        raise ValueError(f"{func}: the mean over 0 elements is undefined; use reduction='sum'")
    return 1.0 / count


def least_squares(pred: Any, target: Any, reduction: str = "mean") -> tuple[float, np.ndarray]:
    """``(loss, dloss/dpred)`` for the squared error, in one pass.

    ``loss = Σ (pred − target)²``, divided by the number of elements for ``"mean"`` (as
    ``torch.nn.MSELoss``). ``pred`` and ``target`` have the same shape, 1-D or 2-D.
    """
    pred, target = as_float_arrays("least_squares", ("pred", "target"), (pred, target))
    if pred.shape != target.shape:
        raise ValueError(
            f"least_squares: target must have the shape of pred {pred.shape}, got {target.shape}"
        )
    check_ndim("least_squares", "pred", pred, (1, 2))
    scale = _scale("least_squares", reduction, pred.size)
    columns = (-1, 1) if pred.ndim == 1 else pred.shape  # 2-D for the core, empty included
    loss, dpred = _core.least_squares(pred.reshape(columns), target.reshape(columns), scale)
    return loss, dpred.reshape(pred.shape)


def softmax_cross_entropy(
    logits: Any, labels: Any, reduction: str = "mean"
) -> tuple[float, np.ndarray]:
    """``(loss, dloss/dlogits)`` for softmax cross-entropy with integer class labels.

    ``logits`` is ``(n_samples, n_classes)``, ``labels`` holds indices in
    ``[0, n_classes)``. ``"mean"`` divides by ``n_samples``, as ``torch.nn.CrossEntropyLoss``.
    Computed from the log-sum-exp shifted by each row's max: no overflow for large logits.
    """
    (logits,) = as_float_arrays("softmax_cross_entropy", ("logits",), (logits,))
    check_ndim("softmax_cross_entropy", "logits", logits, (2,))
    labels = as_labels("softmax_cross_entropy", labels, logits.shape[0])
    if logits.shape[1] == 0:
        raise ValueError("softmax_cross_entropy: logits must have at least one class column")
    scale = _scale("softmax_cross_entropy", reduction, logits.shape[0])
    return _core.softmax_cross_entropy(logits, labels, scale)


def bias_gradient(dy: Any) -> np.ndarray:
    """The gradient of a bias added to every row: the column sums of ``dy`` (n_samples, n)."""
    (dy,) = as_float_arrays("bias_gradient", ("dy",), (dy,))
    check_ndim("bias_gradient", "dy", dy, (2,))
    return _core.bias_gradient(dy)


def weight_gradient(
    delta: Any,
    x: Any,
    out: tuple[np.ndarray, np.ndarray] | None = None,
    accumulate: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """The gradients of a dense layer ``y = x·Wᵀ + b`` over a batch: ``(dW, db)``.

    ``delta`` is ``dloss/dy`` ``(n_samples, out)``, ``x`` the layer's input
    ``(n_samples, in)``; ``dW = deltaᵀ·x`` is ``(out, in)`` (``torch.nn.Linear``'s layout)
    and ``db`` the column sums of ``delta``. Long batches are summed in fixed chunks of rows,
    one chunk per thread at a time: the result is bitwise the same for any thread count.
    ``out=(dw, db)``, when given, receives the result and is returned: two C-contiguous,
    writeable arrays of shapes ``(out, in)`` and ``(out,)`` in the inputs' dtype (after
    promotion). With ``accumulate=True`` the gradients are added to what ``dw`` and ``db``
    hold (as PyTorch accumulates into ``.grad``), each sum finished before it is added:
    bitwise ``dw + dW`` and ``db + db_new``.
    """
    delta, x = as_float_arrays("weight_gradient", ("delta", "x"), (delta, x))
    check_ndim("weight_gradient", "delta", delta, (2,))
    check_ndim("weight_gradient", "x", x, (2,))
    if x.shape[0] != delta.shape[0]:
        raise ValueError(
            f"weight_gradient: x must have as many rows as delta {delta.shape}, got shape {x.shape}"
        )
    if not isinstance(accumulate, (bool, np.bool_)):
        raise TypeError(
            f"weight_gradient: accumulate must be True or False, got {type(accumulate).__name__}"
        )
    if isinstance(out, list):
        out = tuple(out)
    return _core.weight_gradient(delta, x, out, bool(accumulate))

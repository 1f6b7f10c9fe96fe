"""Networks: ``Sequential`` (a list of layers, as torch.nn.Sequential) and ``MLP`` (built
from sizes). The C++ core holds the parameters in one flat buffer and runs whole epochs;
this file converts and checks what users pass and runs the epochs' Python side
(validation, callbacks, progress)."""

from __future__ import annotations

import functools
import math
import os
import secrets
import signal
import threading
import time
import warnings
from collections.abc import Sequence
from typing import Any, Callable, TypeVar, cast

import numpy as np

from fastmlp import _core
from fastmlp._arrays import as_count, as_finite
from fastmlp.callbacks import Callback, History
from fastmlp.layers import Activation, Dense, Dropout, Sigmoid, activation_layer
from fastmlp.optim import LBFGS, SGD, Adam, AdamW, Optimizer

__all__ = ["MLP", "LOSSES", "Sequential"]

LOSSES = {
    "least_squares": _core.Loss.least_squares,
    "mse": _core.Loss.least_squares,
    "cross_entropy": _core.Loss.cross_entropy,
    "binary_cross_entropy": _core.Loss.binary_cross_entropy,
    "poisson": _core.Loss.poisson,
}
_REGRESSION = ("least_squares", "poisson")  # no classes, no accuracy
_DTYPES: dict[str, np.dtype[Any]] = {
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
}
_INITS = ("he", "he_uniform", "glorot", "glorot_uniform")
_Method = TypeVar("_Method", bound=Callable[..., Any])


def _one_thread_at_a_time(method: _Method) -> _Method:
    """Refuses a call that changes the parameters while another thread runs one on the same
    network: two fits at once would interleave their updates. The compiled core also keeps
    predictions and training apart (cpp/bindings/concurrent_use.hpp)."""

    @functools.wraps(method)
    def guarded(self: Sequential, *args: Any, **kwargs: Any) -> Any:
        if not self._changing.acquire(blocking=False):
            raise RuntimeError(
                f"{method.__name__}: the network is being trained in another thread; one "
                "thread may train or change a network at a time (use a copy: copy.deepcopy(net))"
            )
        try:
            return method(self, *args, **kwargs)
        finally:
            self._changing.release()

    return cast(_Method, guarded)


def _blocks(layers: Sequence[Any]) -> list[tuple[int, Dense, Activation | None, Dropout | None]]:
    """Groups the layer list into (index, Dense, activation, dropout) blocks."""
    blocks: list[tuple[int, Dense, Activation | None, Dropout | None]] = []
    for i, layer in enumerate(layers):
        if isinstance(layer, Dense):
            blocks.append((i, layer, None, None))
            continue
        if not blocks:
            raise ValueError(f"layer {i} ({layer!r}) must follow a Dense layer")
        index, dense, act, drop = blocks[-1]
        if isinstance(layer, Activation) and act is None and drop is None:
            blocks[-1] = (index, dense, layer, None)
        elif isinstance(layer, Dropout) and drop is None:
            blocks[-1] = (index, dense, act, layer)
        elif isinstance(layer, (Activation, Dropout)):
            raise ValueError(
                f"layer {i} ({layer!r}): after each Dense come at most one activation, "
                "then at most one Dropout"
            )
        else:
            raise TypeError(f"layer {i} is not a fastmlp layer: {layer!r}")
    if not blocks:
        raise ValueError("a network needs at least one Dense layer")
    return blocks


def _check_unattached(denses: list[Dense]) -> None:
    """A Dense layer's weight and bias are views into one network's parameters: a layer
    already in a network, or twice in this one, would show one network's weights and train
    another's."""
    seen: set[int] = set()
    for dense in denses:
        if dense._views is not None or id(dense) in seen:
            where = "twice in this network" if id(dense) in seen else "already in a network"
            raise ValueError(
                f"{dense!r} is {where}, and its weight and bias can be views into one "
                "network's parameters only: use a new Dense layer, or copy.deepcopy the network"
            )
        seen.add(id(dense))


class Sequential:
    """A stack of layers: ``Sequential(Dense(40, 100), ReLU(), Dropout(0.1), Dense(100, 10))``.

    ``dtype`` is "float32" (default) or "float64", or what numpy reads as one of them
    (``np.float32``); ``init`` is "he" (normal, the default), "he_uniform", "glorot" or
    "glorot_uniform", biases start at zero; ``seed`` fixes the initial weights on every
    machine.
    """

    def __init__(
        self, *layers: Any, dtype: Any = "float32", init: str = "he", seed: int | None = None
    ) -> None:
        self.dtype = _dtype(dtype)
        self.layers = list(layers)
        self._blocks = _blocks(self.layers)
        _check_unattached([dense for _, dense, _, _ in self._blocks])
        specs = [
            (
                dense.in_features,
                dense.out_features,
                getattr(_core.Activation, act.name if act else "identity"),
                float(act.param) if act is not None and act.param is not None else 0.0,
                drop.p if drop else 0.0,
            )
            for _, dense, act, drop in self._blocks
        ]
        core = _core.NetworkF32 if self.dtype == np.float32 else _core.NetworkF64
        self._core = core(specs)
        self.optimizer: Any = None
        self.loss: str | None = None
        self.history: History | None = None
        self.epochs_trained = 0
        self._changing = threading.RLock()  # reentrant: callbacks may load_state_dict in fit
        for b, (_, dense, _, _) in enumerate(self._blocks):
            dense._attach(self._core.parameters, self._core.gradients, self._core.offsets(b))
        try:
            self.init(init, seed)
        except BaseException:  # a bad init or seed: the layers stay free for another try
            for _, dense, _, _ in self._blocks:
                dense._views = None
            raise

    # ----------------------------------------------------------------- parameters
    @_one_thread_at_a_time
    def init(self, method: str = "he", seed: int | None = None) -> None:
        """Re-draws every weight (biases to zero) with ``method``, from ``seed``."""
        if method not in _INITS:
            raise ValueError(f"init must be one of {_INITS}, got {method!r}")
        rng = np.random.default_rng(seed)
        for _, dense, _, _ in self._blocks:
            fan_in, fan_out = dense.in_features, dense.out_features
            var = 2.0 / fan_in if method.startswith("he") else 2.0 / (fan_in + fan_out)
            shape = (fan_out, fan_in)
            if method.endswith("uniform"):
                limit = math.sqrt(3.0 * var)
                dense.weight[...] = rng.uniform(-limit, limit, shape)
            else:
                dense.weight[...] = rng.normal(0.0, math.sqrt(var), shape)
            dense.bias[...] = 0.0

    @property
    def parameters(self) -> np.ndarray:
        """Every parameter in one flat, writable array (layer by layer: weight, then bias)."""
        return self._core.parameters

    @property
    def gradients(self) -> np.ndarray:
        """The gradient buffer, same layout; filled by fit and loss_and_gradient."""
        return self._core.gradients

    @property
    def n_parameters(self) -> int:
        return int(self._core.n_parameters)

    @property
    def n_inputs(self) -> int:
        return int(self._core.n_inputs)

    @property
    def n_outputs(self) -> int:
        return int(self._core.n_outputs)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the weights under torch.nn.Sequential's names ("0.weight", "0.bias"…)."""
        state = {}
        for index, dense, _, _ in self._blocks:
            state[f"{index}.weight"] = dense.weight.copy()
            state[f"{index}.bias"] = dense.bias.copy()
        return state

    @_one_thread_at_a_time
    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Sets the weights from a state_dict (ours or a torch.nn.Sequential's, as numpy or
        torch tensors). Checks every name and shape before changing anything."""
        expected = {}
        for index, dense, _, _ in self._blocks:
            expected[f"{index}.weight"] = dense.weight
            expected[f"{index}.bias"] = dense.bias
        if set(state) != set(expected):
            raise KeyError(
                f"state_dict names differ: missing {sorted(set(expected) - set(state))}, "
                f"unexpected {sorted(set(state) - set(expected))}"
            )
        arrays = {}
        for name, target in expected.items():
            value = state[name]
            value = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
            if value.shape != target.shape:
                raise ValueError(f"{name} must have shape {target.shape}, got {value.shape}")
            if value.dtype.kind not in "biuf":
                raise ValueError(f"{name} must hold finite real numbers, got dtype {value.dtype}")
            arrays[name] = as_finite(name, value, self.dtype)
        for name, target in expected.items():
            target[...] = arrays[name]

    def summary(self) -> str:
        """A table of the layers, their output sizes and parameter counts."""
        rows = [("layer", "output", "parameters")]
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Dense):
                params = layer.out_features * (layer.in_features + 1)
                rows.append((f"{i}: {layer!r}", str(layer.out_features), f"{params:,}"))
            else:
                rows.append((f"{i}: {layer!r}", "", ""))
        rows.append(("total", "", f"{self.n_parameters:,}"))
        widths = [max(len(row[c]) for row in rows) for c in range(3)]
        return "\n".join(
            f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c:>{widths[2]}}" for a, b, c in rows
        )

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"{type(self).__name__}({inner}, dtype={self.dtype.name!r})"

    # ------------------------------------------------------------------ inference
    def predict(self, X: Any) -> np.ndarray:
        """The network's outputs (n, n_outputs) for X (n, n_inputs), or (n_outputs,) for
        one sample X (n_inputs,): regression values, or logits after a classification
        loss (see predict_proba). Dropout is off."""
        y = self._core.predict(X)  # None unless X is already a C-contiguous array of dtype
        if y is None:
            y = self._core.predict(self._input(X))  # converted and checked, 2-D
            assert y is not None  # _input gives what the core takes
            if np.ndim(X) == 1:
                y = y.reshape(-1)
        return y

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities: softmax of the outputs after cross_entropy training, the
        sigmoid of each output after binary_cross_entropy."""
        z = self.predict(X).astype(np.float64, copy=False)
        if self.loss == "binary_cross_entropy":
            return (0.5 * (1.0 + np.tanh(0.5 * z))).astype(self.dtype)  # stable sigmoid
        if self.loss != "cross_entropy":
            raise ValueError(
                "predict_proba needs a network trained with loss='cross_entropy' or "
                f"'binary_cross_entropy', this one has {self.loss!r}"
            )
        z = z - z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        probabilities: np.ndarray = e / e.sum(axis=-1, keepdims=True)
        return probabilities.astype(self.dtype)

    def evaluate(self, X: Any, y: Any, loss: str | None = None) -> dict[str, float]:
        """``{"loss": …, "accuracy": …}`` (accuracy for classification losses only) on (X, y),
        without dropout and without changing anything."""
        name = self._loss_name(loss, y)
        x = self._input(X)
        if x.shape[0] == 0:
            raise ValueError("X has no rows: the loss of no samples is undefined")
        targets = self._targets(name, y, x.shape[0])
        z = self.predict(x)
        return _evaluate(name, z, targets)

    # ------------------------------------------------------------------- training
    @_one_thread_at_a_time
    def loss_and_gradient(
        self,
        X: Any,
        y: Any,
        loss: str | None = None,
        sample_weight: Any = None,
        reduction: str = "mean",
        l2: float = 0.0,
        seed: int = 0,
        l2_per_sample: bool = False,
    ) -> tuple[float, np.ndarray]:
        """The loss on (X, y) and a copy of its gradient with respect to ``parameters``
        (dropout on, masks from ``seed``): for gradient checks and external optimizers.
        ``l2`` and ``l2_per_sample`` as in ``fit``, (X, y) one batch."""
        name, x, targets, weight = self._training_data(X, y, loss, sample_weight)
        mean, l2 = _reduction(reduction), _l2(l2)
        l2 = _batch_l2(l2, _per_sample(l2_per_sample), x.shape[0], weight)
        value = self._core.loss_and_gradient(
            x, LOSSES[name], targets, weight, mean, l2, _seed(seed)
        )
        return float(value), self.gradients.copy()

    @_one_thread_at_a_time
    def fit(
        self,
        X: Any,
        y: Any,
        loss: str | None = None,
        optimizer: Any = None,
        epochs: int = 1,
        batch_size: int | None = None,
        shuffle: bool = True,
        seed: int | None = None,
        validation_data: tuple[Any, Any] | None = None,
        sample_weight: Any = None,
        callbacks: Sequence[Callback] = (),
        progress: bool = False,
        reduction: str = "mean",
        l2: float = 0.0,
        l2_per_sample: bool = False,
        on_divergence: str = "raise",
    ) -> History:
        """Trains for ``epochs`` epochs from the current weights (call again to train more).

        ``loss``: "cross_entropy" (integer labels; the default for integer y),
        "least_squares"/"mse" (the default otherwise), "binary_cross_entropy" (0/1
        targets, one column per label) or "poisson" (counts ≥ 0; the outputs are log rates,
        as for torch's PoissonNLLLoss(log_input=True): the rate is exp(predict(X))).
        ``optimizer``: an ``fm.optim`` object or its name ("sgd", "adam", "adamw", "lbfgs";
        default Adam(lr=0.001)), kept for the next fit. ``batch_size`` None trains full
        batch. ``l2`` adds l2/2·Σ W² (the weights, not the biases) to each batch's loss; with
        ``l2_per_sample`` it is divided by the batch's total sample weight (its size without
        weights), as scikit-learn divides its ``alpha``. The History logs that term's share
        of the loss as ``penalty`` when ``l2 > 0``. Each whole epoch runs in C++ with the GIL
        released; Python runs between epochs only when validation, callbacks or the
        progress bar need it. Ctrl-C stops after the current epoch and its callbacks,
        leaving the model consistent, and re-raises KeyboardInterrupt. A loss that is not
        finite undoes the epoch and raises FloatingPointError, or with
        ``on_divergence="warn"`` warns and stops. Returns a History (also kept as
        ``self.history``).
        """
        # Everything checked before anything changes: a refused fit leaves the net as it was.
        name, x, targets, weight = self._training_data(X, y, loss, sample_weight)
        mean = _reduction(reduction)
        l2 = _l2(l2)
        l2_per_sample = _per_sample(l2_per_sample)
        if on_divergence not in ("raise", "warn"):
            raise ValueError(f"on_divergence must be 'raise' or 'warn', got {on_divergence!r}")
        epochs = as_count("epochs", epochs, minimum=0)
        batch = 0 if batch_size is None else as_count("batch_size", batch_size, minimum=1)
        validation = None
        if validation_data is not None:
            xv, yv = validation_data
            xv = self._input(xv)
            validation = (xv, self._targets(name, yv, xv.shape[0]))
        optimizer = _optimizer(optimizer, self.optimizer)
        callbacks = list(callbacks)
        if isinstance(optimizer, LBFGS):
            if callbacks or validation_data is not None or progress:
                raise ValueError(
                    "optimizer LBFGS runs inside scipy.optimize.minimize: callbacks, "
                    "validation_data and progress are not supported with it; call evaluate after"
                )
        else:  # settings may have been set since the optimizer was made
            optimizer.settings()
            optimizer.learning_rates(optimizer.epochs, 1)
        reported = _logged(name, validation is not None, l2 > 0)
        for callback in callbacks:
            if hasattr(callback, "check_logs"):  # callbacks need not subclass Callback
                callback.check_logs(reported)
        self.optimizer = optimizer
        self.loss = name
        history = History()
        self.history = history
        if isinstance(optimizer, LBFGS):
            l2 = _batch_l2(l2, l2_per_sample, x.shape[0], weight)  # one batch: all of the data
            _fit_lbfgs(self, name, x, targets, weight, mean, l2, epochs, history, on_divergence)
            return history
        state = optimizer._bind(self._core)
        seed_value = _seed(secrets.randbits(64) if seed is None else seed)
        args = (
            *(state, x, LOSSES[name], targets, weight),
            *(mean, l2, l2_per_sample, batch, bool(shuffle), seed_value),
        )
        per_epoch = bool(callbacks) or validation is not None or progress
        bar = _progress_bar(epochs) if progress else None
        for callback in callbacks:
            callback.on_train_begin(self)
        interrupt = _InterruptFlag()
        try:
            done = 0
            # Ctrl-C handled for the whole fit, Python's part of each epoch included (it then
            # ends after that epoch's callbacks). Installed around each C++ call instead, the
            # handler took 13 µs of the ~30 µs an epoch spends in Python: MLPClassifier on the
            # wine set, 200 one-step epochs, fitted in 21.9 ms with it, 18.0 ms without.
            with interrupt:
                while done < epochs:
                    count = 1 if per_epoch else epochs - done
                    lrs = self.optimizer.learning_rates(self.optimizer.epochs, count)
                    start = time.perf_counter()
                    losses, penalties, accuracies, stop = self._core.train(
                        *args, lrs, self.epochs_trained, interrupt.is_set
                    )
                    seconds = (time.perf_counter() - start) / max(len(losses), 1)
                    good = len(losses) - (stop == "diverged")  # a diverged epoch was undone
                    self.epochs_trained += good
                    self.optimizer.epochs += good
                    done += good
                    if not per_epoch:  # no Python per epoch: the whole history at once
                        logged = penalties[:good] if l2 > 0 else None  # else no L2 term
                        history.extend(losses[:good], accuracies[:good], seconds, logged)
                    elif good:
                        logs = {"loss": float(losses[0]), "time": seconds}
                        if l2 > 0:
                            logs["penalty"] = float(penalties[0])
                        if not math.isnan(accuracies[0]):
                            logs["accuracy"] = float(accuracies[0])
                        if validation is not None:
                            val = _evaluate(name, self.predict(validation[0]), validation[1])
                            logs.update({f"val_{k}": v for k, v in val.items()})
                        history.append(**logs)
                        if bar is not None:
                            bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items() if k != "time"})
                            bar.update(1)
                        if any([c.on_epoch_end(self, done - 1, logs) for c in callbacks]):
                            history.stop_reason = "early_stopping"
                    if stop == "diverged":
                        history.stop_reason = "diverged"
                        _diverged(
                            on_divergence,
                            f"in epoch {done + 1}; the network is as it was before that epoch "
                            "(lower the learning rate?)",
                        )
                    elif interrupt.is_set():
                        history.stop_reason = "interrupted"
                        raise KeyboardInterrupt  # after the epoch in progress, all of it counted
                    if history.stop_reason != "finished":
                        break
        finally:
            if bar is not None:
                bar.close()
            for callback in callbacks:
                callback.on_train_end(self)
        return history

    # ------------------------------------------------------------------- checking
    def _input(self, X: Any) -> np.ndarray:
        try:
            x = np.asarray(X)
        except (TypeError, ValueError) as error:
            raise TypeError(f"X is not array-like: {error}") from None
        if x.dtype.kind not in "biuf":
            raise TypeError(f"X must hold real numbers, got dtype {x.dtype}")
        if x.ndim == 1 and x.shape[0] == self.n_inputs:
            x = x.reshape(1, -1)
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise ValueError(
                f"X must have shape (n_samples, {self.n_inputs}): the network expects "
                f"{self.n_inputs} features, got shape {x.shape}"
            )
        return as_finite("X", x, self.dtype)

    def _loss_name(self, loss: str | None, y: Any) -> str:
        if loss is None:
            loss = self.loss or (
                "cross_entropy" if np.asarray(y).dtype.kind in "iu" else "least_squares"
            )
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of {sorted(LOSSES)}")
        if loss == "binary_cross_entropy" and isinstance(self._blocks[-1][2], Sigmoid):
            raise ValueError(
                "binary_cross_entropy applies the sigmoid to the network's outputs itself (as "
                "torch's BCEWithLogitsLoss), and this network ends in a Sigmoid layer: it "
                "would be applied twice. Leave the output layer linear (no output_activation)"
            )
        return "least_squares" if loss == "mse" else loss

    def _targets(self, name: str, y: Any, n: int) -> np.ndarray:
        array = np.asarray(y)
        if array.shape[:1] != (n,):
            raise ValueError(f"y must have {n} rows, one per row of X, got shape {array.shape}")
        if name == "cross_entropy":
            if array.dtype.kind not in "iu" or array.ndim != 1:
                raise TypeError(
                    f"cross_entropy needs integer class labels of shape ({n},), got dtype "
                    f"{array.dtype} and shape {array.shape}"
                )
            if n and (array.min() < 0 or array.max() >= self.n_outputs):
                bad = array[(array < 0) | (array >= self.n_outputs)][0]
                raise ValueError(
                    f"label {bad} is not a class index in [0, {self.n_outputs}): the network "
                    f"has {self.n_outputs} outputs"
                )
            return np.ascontiguousarray(array, dtype=np.int64)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"y must hold real numbers, got dtype {array.dtype}")
        if array.ndim == 1 and self.n_outputs == 1:
            array = array.reshape(-1, 1)
        if array.shape != (n, self.n_outputs):
            raise ValueError(
                f"y must have shape ({n}, {self.n_outputs}) for a network with "
                f"{self.n_outputs} outputs, got {array.shape}"
            )
        array = as_finite("y", array, self.dtype)
        if name == "binary_cross_entropy" and (array.min() < 0 or array.max() > 1):
            raise ValueError("binary_cross_entropy targets must be in [0, 1]")
        if name == "poisson" and array.min() < 0:
            raise ValueError(f"poisson targets are counts >= 0, got {float(array.min())!r}")
        return array

    def _training_data(
        self, X: Any, y: Any, loss: str | None, sample_weight: Any
    ) -> tuple[str, np.ndarray, np.ndarray, np.ndarray | None]:
        """(loss name, X, targets, sample weights) checked and converted for the core."""
        name = self._loss_name(loss, y)
        x = self._input(X)
        n = x.shape[0]
        if n == 0:
            raise ValueError("X has no rows: nothing to train on")
        targets = self._targets(name, y, n)
        if sample_weight is None:
            return name, x, targets, None
        w = np.asarray(sample_weight)
        if w.dtype.kind not in "biuf":
            raise TypeError(f"sample_weight must hold real numbers, got dtype {w.dtype}")
        if w.shape != (n,):
            raise ValueError(f"sample_weight must have shape ({n},), got {w.shape}")
        w = as_finite("sample_weight", w, self.dtype)
        if w.min() < 0 or w.sum() <= 0:
            raise ValueError("sample_weight must be finite, >= 0, and not all zero")
        return name, x, targets, w

    # ---------------------------------------------------------- copies, pickling
    def save(self, path: str | os.PathLike[str]) -> None:
        """``fm.save(self, path)``: safetensors weights, the architecture and the training
        settings in its metadata, written atomically."""
        from fastmlp.io import save  # fastmlp.io imports this module

        save(self, path)

    def __copy__(self) -> Sequential:
        """A second handle on the same weights, layers and optimizer (as copy.copy of a torch
        module shares its parameters), with its own loss, history and epoch count, copied as
        they are now; copy.deepcopy makes an independent network."""
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        return clone

    def __getstate__(self) -> dict[str, Any]:
        return {
            "layers": self.layers,
            "dtype": self.dtype.name,
            "parameters": self.parameters.copy(),
            "loss": self.loss,
            "epochs_trained": self.epochs_trained,
            "optimizer": self._optimizer_to_keep(),
        }

    def _optimizer_to_keep(self) -> Any:
        """The optimizer, with its state (training goes on as it would have) unless that
        state is another network's: it went on to train one since."""
        optimizer = self.optimizer
        if isinstance(optimizer, Optimizer) and optimizer._state is not None:
            if optimizer._state[0] is not self._core:
                return optimizer.without_state()
        return optimizer

    def __setstate__(self, state: dict[str, Any]) -> None:
        Sequential.__init__(self, *state["layers"], dtype=state["dtype"])
        self.parameters[...] = state["parameters"]
        self.loss = state["loss"]
        self.epochs_trained = state["epochs_trained"]
        self.optimizer = state.get("optimizer")  # absent from pickles before 2026-11-30


class MLP(Sequential):
    """``MLP(40, [100, 100], 10)``: Dense layers of the given sizes with ``activation``
    after each hidden one (and ``dropout`` after that, if > 0); the output layer is linear
    unless ``output_activation`` is given."""

    def __init__(
        self,
        n_inputs: int,
        hidden: Sequence[int],
        n_outputs: int,
        activation: str = "relu",
        dtype: Any = "float32",
        init: str = "he",
        seed: int | None = None,
        dropout: float = 0.0,
        output_activation: str | None = None,
    ) -> None:
        sizes = [n_inputs, *hidden, n_outputs]
        layers: list[Any] = []
        for i in range(len(sizes) - 1):
            layers.append(Dense(sizes[i], sizes[i + 1]))
            last = i == len(sizes) - 2
            if not last:
                layers.append(activation_layer(activation))
                if dropout != 0:  # Dropout checks the rate, NaN included
                    layers.append(Dropout(dropout))
            elif output_activation is not None:
                layers.append(activation_layer(output_activation))
        super().__init__(*layers, dtype=dtype, init=init, seed=seed)


class _InterruptFlag:
    """Ctrl-C during training sets a flag instead of raising at once, so fit can finish the
    epoch in progress and count it before raising KeyboardInterrupt. The C++ loop asks
    is_set() between epochs. Only the main thread receives signals; elsewhere this is a
    no-op and Python's behaviour is unchanged."""

    def __init__(self) -> None:
        self.flag = False
        self.previous: Any = None

    def is_set(self) -> bool:
        return self.flag

    def _handle(self, signum: int, frame: Any) -> None:
        self.flag = True

    def __enter__(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
            self.previous = None


def _dtype(dtype: Any) -> np.dtype[Any]:
    """float32 or float64 as numpy reads ``dtype`` ("float32", np.float32, np.dtype("f8"))."""
    try:  # (np.dtype(None) is float64)
        name = None if dtype is None or isinstance(dtype, bool) else np.dtype(dtype).name
    except (TypeError, ValueError):  # ValueError: a malformed structured spec, ('f4', -1)
        name = None
    if name not in _DTYPES:
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return _DTYPES[name]


def _reduction(reduction: str) -> bool:
    """True for the mean, False for the sum."""
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    return reduction == "mean"


def _per_sample(l2_per_sample: Any) -> bool:
    if not isinstance(l2_per_sample, (bool, np.bool_)):
        kind = type(l2_per_sample).__name__
        raise TypeError(f"l2_per_sample must be True or False, got {kind}")
    return bool(l2_per_sample)


def _batch_l2(l2: float, per_sample: bool, rows: int, weight: np.ndarray | None) -> float:
    """l2 for a batch of these rows: with per_sample divided by their total sample weight
    (their count without weights), 0 where that is 0, as fit's C++ loop does for each batch."""
    if not per_sample:
        return l2
    total = rows if weight is None else float(np.sum(weight, dtype=np.float64))
    return l2 / total if total > 0 else 0.0


def _seed(seed: Any) -> int:
    return int(seed) & (2**64 - 1)


def _l2(value: float) -> float:
    number = float(value)
    if not (number >= 0 and math.isfinite(number)):
        raise ValueError(f"l2 must be finite and >= 0, got {value!r}")
    return number


def _optimizer(optimizer: Any, current: Any) -> Any:
    if optimizer is None:
        return current if current is not None else Adam()
    if isinstance(optimizer, str):
        named = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "lbfgs": LBFGS}
        if optimizer.lower() not in named:
            raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {sorted(named)}")
        return named[optimizer.lower()]()
    if not isinstance(optimizer, (Optimizer, LBFGS)):
        raise TypeError(f"optimizer must be an fm.optim optimizer, got {optimizer!r}")
    return optimizer


def squared_weights(net: Sequential) -> float:
    """Σ W² over the Dense layers' weights (not biases), in float64: what l2 penalises."""
    weights = [layer.weight for layer in net.layers if isinstance(layer, Dense)]
    return sum(float(np.sum(np.square(w, dtype=np.float64))) for w in weights)


def _logged(name: str, validation: bool, penalty: bool) -> set[str]:
    """The entries of each epoch's logs (see fit and _evaluate)."""
    measures = {"loss"} if name in _REGRESSION else {"loss", "accuracy"}
    logged = {"time"} | measures | ({f"val_{m}" for m in measures} if validation else set())
    return logged | {"penalty"} if penalty else logged


def _evaluate(name: str, z: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    z64 = z.astype(np.float64)
    if name == "least_squares":
        # Finite outputs far from the targets may have a squared error beyond float64: the
        # loss is then inf, which is what it is, without numpy's overflow warning.
        with np.errstate(over="ignore"):
            return {"loss": float(np.mean((z64 - targets) ** 2))}
    if name == "poisson":  # the half deviance, as the core's: t·log(t / e^z) − t + e^z
        t = targets.astype(np.float64)
        with np.errstate(over="ignore"):
            t_log_t = t * np.log(np.where(t > 0, t, 1.0))  # 0·log 0 = 0
            deviance = t_log_t - t * z64 - t + np.exp(z64)
        return {"loss": float(np.mean(deviance))}
    if name == "cross_entropy":
        shifted = z64 - z64.max(axis=1, keepdims=True)
        log_sum = np.log(np.exp(shifted).sum(axis=1))
        loss = float(np.mean(log_sum - shifted[np.arange(len(targets)), targets]))
        return {"loss": loss, "accuracy": float(np.mean(z64.argmax(axis=1) == targets))}
    t = targets.astype(np.float64)
    loss = float(np.mean(np.maximum(z64, 0) - z64 * t + np.log1p(np.exp(-np.abs(z64)))))
    accuracy = float(np.mean(np.all((z64 > 0) == (t > 0.5), axis=1)))
    return {"loss": loss, "accuracy": accuracy}


def _diverged(on_divergence: str, where: str, stacklevel: int = 4) -> None:
    """``where``: when it happened and what the network is now. The warning points at the
    line that called fit (through fit's _one_thread_at_a_time wrapper)."""
    message = f"the loss or the weights became NaN or infinite {where}"
    if on_divergence == "raise":
        raise FloatingPointError(message)
    warnings.warn(message, RuntimeWarning, stacklevel=stacklevel)


def _progress_bar(epochs: int) -> Any:
    from tqdm.auto import tqdm  # imported when asked for: `import fastmlp` stays light

    return tqdm(total=epochs, unit="epoch", leave=True)


def _fit_lbfgs(
    net: Sequential,
    name: str,
    x: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None,
    mean: bool,
    l2: float,
    iterations: int,
    history: History,
    on_divergence: str,
) -> None:
    from scipy.optimize import minimize  # imported when asked for

    optimizer = net.optimizer
    loss_kind = LOSSES[name]
    start_parameters = net.parameters.copy()

    def loss_and_gradient(flat: np.ndarray) -> tuple[float, np.ndarray]:
        net.parameters[...] = flat
        value = net._core.loss_and_gradient(x, loss_kind, targets, weight, mean, l2, 0)
        return float(value), net.gradients.astype(np.float64)

    start = time.perf_counter()
    result = minimize(
        loss_and_gradient,
        net.parameters.astype(np.float64),
        jac=True,
        method="L-BFGS-B",
        tol=optimizer.tol or None,
        options={
            "maxiter": max(iterations, 1),
            "maxfun": optimizer.max_fun,
            "maxcor": optimizer.history,
        },
    )
    if not (math.isfinite(result.fun) and np.isfinite(result.x).all()):
        net.parameters[...] = start_parameters
        history.stop_reason = "diverged"
        where = (
            "in L-BFGS's iterations; the network is as it was before this fit (are the inputs "
            "and targets scaled?)"
        )
        _diverged(on_divergence, where, stacklevel=5)
        return
    net.parameters[...] = result.x
    net.epochs_trained += int(result.nit)
    seconds = time.perf_counter() - start
    logs = {"loss": float(result.fun), "time": seconds}
    if l2 > 0:
        logs["penalty"] = 0.5 * l2 * squared_weights(net)
    history.append(**logs)
    if result.status not in (0, 1):  # 1: the iteration or evaluation limit
        warnings.warn(f"L-BFGS-B stopped early: {result.message}", RuntimeWarning, stacklevel=4)

"""Optimizers and learning-rate schedules. Each update is one fused C++ pass over the
network's flat parameter buffer; the state (velocity, moments) lives beside it in C++.

Learning-rate schedules are per epoch, as torch's schedulers stepped once per epoch, and
count the epochs trained with that optimizer (kept across fit calls; a new optimizer
starts its schedule at epoch 0).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from fastmlp import _core
from fastmlp._arrays import as_count

__all__ = ["LBFGS", "SGD", "Adam", "AdamW", "CosineLR", "ExponentialLR", "StepLR", "from_config"]

Schedule = Callable[[int], float]  # epoch (from 0) -> factor of the base learning rate


def _non_negative(name: str, value: Any, upper: float = math.inf) -> float:
    number = float(value)
    if not (0.0 <= number < upper) or math.isnan(number):
        raise ValueError(f"{name} must be in [0, {upper}), got {value!r}")
    return number


class StepLR:
    """lr · gamma^(epoch // step_size)."""

    def __init__(self, step_size: int, gamma: float = 0.1) -> None:
        if step_size < 1:
            raise ValueError(f"step_size must be >= 1, got {step_size}")
        self.step_size, self.gamma = int(step_size), float(gamma)

    def __call__(self, epoch: int) -> float:
        return float(self.gamma ** (epoch // self.step_size))


class ExponentialLR:
    """lr · gamma^epoch."""

    def __init__(self, gamma: float) -> None:
        self.gamma = float(gamma)

    def __call__(self, epoch: int) -> float:
        return float(self.gamma**epoch)


class CosineLR:
    """Cosine annealing from lr to lr·min_factor over t_max epochs (torch's
    CosineAnnealingLR without restarts), then constant."""

    def __init__(self, t_max: int, min_factor: float = 0.0) -> None:
        if t_max < 1:
            raise ValueError(f"t_max must be >= 1, got {t_max}")
        self.t_max, self.min_factor = int(t_max), float(min_factor)

    def __call__(self, epoch: int) -> float:
        t = min(epoch, self.t_max)
        return (
            self.min_factor + (1 - self.min_factor) * (1 + math.cos(math.pi * t / self.t_max)) / 2
        )


def _betas(betas: Any) -> tuple[float, float]:
    if np.ndim(betas) != 1 or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    return (_non_negative("beta1", betas[0], 1.0), _non_negative("beta2", betas[1], 1.0))


class Optimizer:
    """Common to the first-order optimizers: the learning rate, its schedule, and the C++
    state bound to one network on first use. Hyperparameters may be changed between fits
    (as in a torch param_group); the state (velocity, moments, step count) carries over."""

    _kind: Any = None

    def __init__(self, lr: float, weight_decay: float, schedule: Schedule | None) -> None:
        self.lr = _non_negative("lr", lr)
        self.weight_decay = _non_negative("weight_decay", weight_decay)
        self.schedule = schedule
        self.epochs = 0  # epochs trained with this optimizer: where its schedule stands
        self._state: Any = None  # (core network, C++ state, the settings it was made with)
        self._saved: Any = None  # (steps, state buffers) from a pickle, for the next bind

    def learning_rate(self, epoch: int) -> float:
        return self.lr * (self.schedule(epoch) if self.schedule else 1.0)

    def learning_rates(self, first_epoch: int, count: int) -> list[float]:
        """The rates of epochs first_epoch, first_epoch + 1, …: count of them. ValueError
        for one that is negative or not finite (an lr or a schedule set so)."""
        if self.schedule is None:
            rates = [float(self.lr)] * count
        else:
            rates = [float(self.learning_rate(first_epoch + e)) for e in range(count)]
        for epoch, rate in enumerate(rates, first_epoch):
            if not (0.0 <= rate < math.inf):
                raise ValueError(
                    f"the learning rate of epoch {epoch} is {rate!r} (lr {self.lr!r}, schedule "
                    f"{self.schedule!r}): it must be finite and >= 0"
                )
        return rates

    def _hyper(self) -> dict[str, Any]:
        return {"momentum": 0.0, "nesterov": False, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}

    def settings(self) -> dict[str, Any]:
        """The settings of the C++ update, checked again: they may have been set since."""
        return {"weight_decay": _non_negative("weight_decay", self.weight_decay), **self._hyper()}

    def _bind(self, core_network: Any) -> Any:
        """The C++ state for this network, made on first use and kept across fit calls."""
        settings = self.settings()
        bound = self._state if self._state is not None and self._state[0] is core_network else None
        if bound is not None and bound[2] == settings:
            return bound[1]
        kind = (
            _core.OptimizerF32 if isinstance(core_network, _core.NetworkF32) else _core.OptimizerF64
        )
        state = kind(self._kind, core_network.n_parameters, **settings)
        carried = self._saved
        if bound is not None:  # settings changed since the last fit
            carried = (bound[1].steps, self._state_buffers())
        # (SGD's velocity comes and goes with momentum)
        if (
            carried is not None
            and len(carried[1]) == state.n_states
            and all(len(buffer) == core_network.n_parameters for buffer in carried[1])
        ):
            state.steps = carried[0]
            for i, buffer in enumerate(carried[1]):
                state.state(i)[...] = buffer
        self._state, self._saved = (core_network, state, settings), None
        return state

    def _state_buffers(self) -> list[np.ndarray]:
        """Views of the bound state (velocity; or Adam's moments), none before the first fit."""
        if self._state is None:
            return []
        state = self._state[1]
        return [state.state(i) for i in range(state.n_states)]

    def without_state(self) -> Optimizer:
        """A copy with the same settings and schedule and no state (velocity, moments)."""
        clone = type(self).__new__(type(self))  # not copy.copy: __getstate__ copies the state
        clone.__dict__.update(self.__dict__, _state=None, _saved=None)
        return clone

    def __getstate__(self) -> dict[str, Any]:
        """Pickled with its state buffers, so that a pickled network trains on as it would
        have, and with its schedule: a lambda pickles with cloudpickle (Dask, joblib's loky
        workers), not with the standard pickle; fm.optim's schedules with either."""
        state = self.__dict__.copy()
        state["_state"] = None
        if self._state is not None:
            state["_saved"] = (self._state[1].steps, [b.copy() for b in self._state_buffers()])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({"_saved": None, **state})

    def config(self) -> dict[str, Any]:
        """The hyperparameters, to rebuild this optimizer (saved in checkpoints)."""
        return {"name": type(self).__name__, "lr": self.lr, "weight_decay": self.weight_decay}


class SGD(Optimizer):
    """Stochastic gradient descent as torch.optim.SGD (dampening 0)."""

    _kind = _core.OptimizerKind.sgd

    def __init__(
        self,
        lr: float = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        schedule: Schedule | None = None,
    ) -> None:
        super().__init__(lr, weight_decay, schedule)
        self.momentum = _non_negative("momentum", momentum, 1.0)
        self.nesterov = bool(nesterov)
        self._hyper()  # checks the pair

    def _hyper(self) -> dict[str, Any]:
        momentum = _non_negative("momentum", self.momentum, 1.0)
        if self.nesterov and momentum == 0:
            raise ValueError("nesterov momentum needs momentum > 0")
        return {**super()._hyper(), "momentum": momentum, "nesterov": bool(self.nesterov)}

    def config(self) -> dict[str, Any]:
        return {**super().config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam as torch.optim.Adam (weight_decay adds an L2 term to the gradient)."""

    _kind = _core.OptimizerKind.adam

    def __init__(
        self,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        schedule: Schedule | None = None,
    ) -> None:
        super().__init__(lr, weight_decay, schedule)
        self.betas = _betas(betas)
        self.eps = _non_negative("eps", eps)

    def _hyper(self) -> dict[str, Any]:
        beta1, beta2 = _betas(self.betas)
        eps = _non_negative("eps", self.eps)
        return {**super()._hyper(), "beta1": beta1, "beta2": beta2, "eps": eps}

    def config(self) -> dict[str, Any]:
        return {**super().config(), "betas": list(self.betas), "eps": self.eps}


class AdamW(Adam):
    """AdamW as torch.optim.AdamW: weight decay applied to the parameters, not the gradient."""

    _kind = _core.OptimizerKind.adamw

    def __init__(
        self,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
        schedule: Schedule | None = None,
    ) -> None:
        super().__init__(lr, betas, eps, weight_decay, schedule)


class LBFGS:
    """Full-batch L-BFGS driven by ``scipy.optimize.minimize(method="L-BFGS-B")`` over the
    network's flat parameter buffer; ``fit``'s ``epochs`` is the iteration limit."""

    def __init__(self, max_fun: int = 15000, tol: float = 0.0, history: int = 10) -> None:
        self.max_fun = as_count("max_fun", max_fun, 1)
        self.tol = _non_negative("tol", tol)
        self.history = as_count("history", history, 1)

    def config(self) -> dict[str, Any]:
        return {"name": "LBFGS", "max_fun": self.max_fun, "tol": self.tol, "history": self.history}


OPTIMIZERS: dict[str, type] = {"SGD": SGD, "Adam": Adam, "AdamW": AdamW, "LBFGS": LBFGS}


def from_config(config: dict[str, Any]) -> Optimizer | LBFGS:
    """The optimizer an ``optimizer.config()`` describes (without its state or schedule)."""
    settings = dict(config)
    name = settings.pop("name", None)
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {sorted(OPTIMIZERS)}")
    if "betas" in settings:
        settings["betas"] = tuple(settings["betas"])
    try:
        optimizer: Optimizer | LBFGS = OPTIMIZERS[name](**settings)
    except TypeError as error:  # a setting the optimizer does not have
        raise ValueError(f"bad {name} settings {settings!r}: {error}") from None
    return optimizer

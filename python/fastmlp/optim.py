"""Optimizers and learning-rate schedules. Each update is one fused C++ pass over the
network's flat parameter buffer; the state (velocity, moments) lives beside it in C++.

Learning-rate schedules are per epoch, as torch's schedulers stepped once per epoch, and
count the epochs trained with that optimizer (kept across fit calls; a new optimizer
starts its schedule at epoch 0).
"""

from __future__ import annotations

import math
from typing import Any, Callable

from fastmlp import _core

__all__ = ["LBFGS", "SGD", "Adam", "AdamW", "CosineLR", "ExponentialLR", "StepLR"]

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


class Optimizer:
    """Common to the first-order optimizers: the learning rate, its schedule, and the C++
    state bound to one network on first use."""

    _kind: Any = None

    def __init__(self, lr: float, weight_decay: float, schedule: Schedule | None) -> None:
        self.lr = _non_negative("lr", lr)
        self.weight_decay = _non_negative("weight_decay", weight_decay)
        self.schedule = schedule
        self.epochs = 0  # epochs trained with this optimizer: where its schedule stands
        self._state: Any = None

    def learning_rate(self, epoch: int) -> float:
        return self.lr * (self.schedule(epoch) if self.schedule else 1.0)

    def learning_rates(self, first_epoch: int, count: int) -> list[float]:
        """The rates of epochs first_epoch, first_epoch + 1, …: count of them."""
        if self.schedule is None:
            return [self.lr] * count
        return [self.learning_rate(first_epoch + e) for e in range(count)]

    def _hyper(self) -> dict[str, Any]:
        return {"momentum": 0.0, "nesterov": False, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}

    def _bind(self, core_network: Any) -> Any:
        """The C++ state for this network, made on first use and kept across fit calls."""
        if self._state is not None and self._state[0] is core_network:
            return self._state[1]
        kind = (
            _core.OptimizerF32 if isinstance(core_network, _core.NetworkF32) else _core.OptimizerF64
        )
        state = kind(
            self._kind, core_network.n_parameters, weight_decay=self.weight_decay, **self._hyper()
        )
        self._state = (core_network, state)
        return state

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
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov momentum needs momentum > 0")

    def _hyper(self) -> dict[str, Any]:
        return {**super()._hyper(), "momentum": self.momentum, "nesterov": self.nesterov}

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
        self.betas = (_non_negative("beta1", betas[0], 1.0), _non_negative("beta2", betas[1], 1.0))
        self.eps = _non_negative("eps", eps)

    def _hyper(self) -> dict[str, Any]:
        return {**super()._hyper(), "beta1": self.betas[0], "beta2": self.betas[1], "eps": self.eps}

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
        self.max_fun, self.tol, self.history = int(max_fun), float(tol), int(history)

    def config(self) -> dict[str, Any]:
        return {"name": "LBFGS", "max_fun": self.max_fun, "tol": self.tol, "history": self.history}


OPTIMIZERS: dict[str, type] = {"SGD": SGD, "Adam": Adam, "AdamW": AdamW, "LBFGS": LBFGS}

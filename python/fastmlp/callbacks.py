"""What fit records (History) and the hooks it calls between epochs (Callback)."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["Callback", "EarlyStopping", "History"]


class History:
    """Per-epoch ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, ``penalty`` (the L2
    term's share of ``loss``, when fit has ``l2 > 0``) and ``time`` (seconds of the epoch), as
    lists; ``stop_reason`` says why fit ended ("finished", "early_stopping", "diverged",
    "interrupted")."""

    KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "penalty", "time")

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {key: [] for key in self.KEYS}
        self.stop_reason = "finished"

    def append(self, **values: float) -> None:
        for key, value in values.items():
            self.history[key].append(value)

    def extend(self, losses: Any, accuracies: Any, seconds: float, penalties: Any = None) -> None:
        """Many epochs at once (arrays from the core; accuracy NaN for regression, penalties
        None without an L2 term)."""
        self.history["loss"].extend(losses.tolist())
        if penalties is not None:
            self.history["penalty"].extend(penalties.tolist())
        if len(accuracies) and not math.isnan(accuracies[0]):
            self.history["accuracy"].extend(accuracies.tolist())
        self.history["time"].extend([seconds] * len(losses))

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __getattr__(self, key: str) -> list[float]:
        if key in History.KEYS:
            return self.history[key]
        raise AttributeError(key)

    @property
    def epochs(self) -> int:
        return len(self.history["loss"])

    def __repr__(self) -> str:
        last = {k: v[-1] for k, v in self.history.items() if v}
        return f"History(epochs={self.epochs}, last={last}, stop_reason={self.stop_reason!r})"


class Callback:
    """Override what you need. ``on_epoch_end`` returning True stops training."""

    def check_logs(self, keys: set[str]) -> None:
        """Before anything trains: ValueError if this callback needs an entry of the epoch's
        logs that fit will not report (``keys``)."""

    def on_train_begin(self, net: Any) -> None:
        pass

    def on_epoch_end(self, net: Any, epoch: int, logs: dict[str, float]) -> bool | None:
        return None

    def on_train_end(self, net: Any) -> None:
        pass


class EarlyStopping(Callback):
    """Stops when ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    epochs; with ``restore_best_weights`` (the default) puts back the best epoch's weights."""

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 10,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = True,
    ) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor, self.patience, self.min_delta = monitor, int(patience), float(min_delta)
        self.maximize = mode == "max" or (mode == "auto" and "accuracy" in monitor)
        self.restore_best_weights = restore_best_weights

    def check_logs(self, keys: set[str]) -> None:
        if self.monitor not in keys:
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r}, which fit does not report; "
                f"it reports {sorted(keys)} (val_* needs validation_data)"
            )

    def on_train_begin(self, net: Any) -> None:
        self.best = -math.inf if self.maximize else math.inf
        self.best_epoch = -1
        self.best_parameters: Any = None
        self.wait = 0

    def on_epoch_end(self, net: Any, epoch: int, logs: dict[str, float]) -> bool:
        self.check_logs(set(logs))
        value = logs[self.monitor]
        gain = value - self.best if self.maximize else self.best - value
        if gain > self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_parameters = net.parameters.copy()
            return False
        self.wait += 1
        return self.wait >= self.patience

    def on_train_end(self, net: Any) -> None:
        if self.restore_best_weights and self.best_parameters is not None:
            net.parameters[...] = self.best_parameters

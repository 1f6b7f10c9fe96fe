"""The experiment of the lecture's Figure 20.2: fully connected networks of about the same
size memorise MNIST-1D examples with random labels by full-batch gradient descent (He
initialisation, no momentum, no regularisation), and the deeper ones get there in fewer
epochs."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fastmlp.callbacks import Callback
from fastmlp.network import MLP
from fastmlp.optim import SGD

# Hidden widths of the figure's four networks: 1 × 298, 2 × 100, 3 × 75 and 4 × 63 units.
FIGURE_20_2_NETWORKS = ((298,), (100,) * 2, (75,) * 3, (63,) * 4)


@dataclass(frozen=True)
class Settings:
    lr: float  # of plain gradient descent on the mean cross-entropy
    max_epochs: int  # per network; each stops when it classifies every example correctly
    n_train: int = 4000  # the first examples of MNIST-1D's training set
    networks: tuple[tuple[int, ...], ...] = FIGURE_20_2_NETWORKS
    seed: int = 0  # of the random labels and the initial weights


@dataclass
class Curve:
    """One network's training: per epoch the mean cross-entropy and the training error
    (fraction misclassified), both from that epoch's full-batch forward pass."""

    hidden: tuple[int, ...]
    parameters: int
    loss: list[float] = field(default_factory=list)
    error: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def name(self) -> str:
        return f"{len(self.hidden)} × {self.hidden[0]}"

    @property
    def epochs_to_memorise(self) -> int | None:
        """The first epoch with every training example classified correctly, or None."""
        return self.error.index(0.0) + 1 if 0.0 in self.error else None

    @property
    def epochs_per_second(self) -> float:
        return len(self.loss) / self.seconds if self.seconds > 0 else float("nan")


class _StopWhenMemorised(Callback):
    def on_epoch_end(self, net: Any, epoch: int, logs: dict[str, float]) -> bool:
        return logs["accuracy"] == 1.0


def train_networks(
    settings: Settings, X: np.ndarray, y: np.ndarray, progress: bool = True
) -> list[Curve]:
    """Trains each network of ``settings`` on (X, y) from He initialisation."""
    X, y = X[: settings.n_train], y[: settings.n_train]
    curves = []
    for hidden in settings.networks:
        net = MLP(X.shape[1], hidden, int(y.max()) + 1, init="he", seed=settings.seed)
        curve = Curve(hidden, net.n_parameters)
        if progress:
            print(f"{curve.name} hidden units, {curve.parameters:,} parameters")
        start = time.perf_counter()
        history = net.fit(
            X, y, loss="cross_entropy", optimizer=SGD(lr=settings.lr),
            epochs=settings.max_epochs, batch_size=None, progress=progress,
            callbacks=[_StopWhenMemorised()],
        )  # fmt: skip
        curve.seconds = time.perf_counter() - start
        curve.loss = list(history.loss)
        curve.error = [1.0 - accuracy for accuracy in history.accuracy]
        curves.append(curve)
    return curves


# The learning rate chosen by measurement: see DESCRIPTION in fastmlp/demo/cli.py (shown by
# `fastmlp demo --help`). The epoch cap only bounds the run: all four finish well inside it.
DEFAULT = Settings(lr=0.25, max_epochs=20_000)
# The book's: lr 0.0025 on the mean cross-entropy, for as long as it takes.
BOOK = Settings(lr=0.0025, max_epochs=1_000_000)
# A smoke test: 200 examples are memorised in under 100 epochs, too few to show the order.
QUICK = Settings(lr=0.25, max_epochs=500, n_train=200)

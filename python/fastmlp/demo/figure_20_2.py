"""Topic 8, the lecture's Figure 20.2 on MNIST-1D: runs the memorisation experiment, prints
the summary table and writes the plot and the curves (CSV and JSON)."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from pathlib import Path

from fastmlp.datasets import load_mnist1d
from fastmlp.demo.memorisation import Curve, Settings, train_networks
from fastmlp.demo.plotting import pyplot, save


def run(out: Path, settings: Settings, progress: bool = True) -> list[Path]:
    data = load_mnist1d(random_labels=True, seed=settings.seed)
    print(
        f"Figure 20.2: {len(settings.networks)} networks memorise {settings.n_train:,} MNIST-1D "
        f"examples with random labels; full-batch gradient descent, lr {settings.lr}, "
        f"at most {settings.max_epochs:,} epochs each"
    )
    curves = train_networks(settings, data.X_train, data.y_train, progress=progress)
    print(summary_table(curves))
    return [
        plot(curves, out / "figure_20_2.png"),
        write_csv(curves, out / "figure_20_2.csv"),
        write_json(settings, curves, out / "figure_20_2.json"),
    ]


def summary_table(curves: list[Curve]) -> str:
    header = ("network", "parameters", "epochs to 100 %", "final loss", "epochs/s")
    rows = [header]
    for curve in curves:
        epochs = curve.epochs_to_memorise
        reached = f"{epochs:,}" if epochs else f"not in {len(curve.loss):,}"
        rows.append(
            (
                curve.name,
                f"{curve.parameters:,}",
                reached,
                f"{curve.loss[-1]:.4f}",
                f"{curve.epochs_per_second:,.0f}",
            )
        )
    widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def plot(curves: list[Curve], path: Path) -> Path:
    """Training error and loss against epochs, one line per network, as in the figure."""
    plt = pyplot()
    figure, (error_axes, loss_axes) = plt.subplots(1, 2, figsize=(13, 4.5))
    for k, curve in enumerate(curves):
        epochs = range(1, len(curve.loss) + 1)
        label = f"{curve.name} ({curve.parameters:,} parameters)"
        error_axes.plot(epochs, [100 * e for e in curve.error], color=f"C{k}", label=label)
        loss_axes.semilogy(epochs, curve.loss, color=f"C{k}", label=label)
        if curve.epochs_to_memorise:
            error_axes.plot(curve.epochs_to_memorise, 0, "o", color=f"C{k}")
    error_axes.set(
        xlabel="epoch", ylabel="training error (%)", ylim=(-2, 100),
        title="MNIST-1D, random labels: training error",
    )  # fmt: skip
    loss_axes.set(xlabel="epoch", ylabel="mean cross-entropy", title="training loss")
    error_axes.legend()
    return save(figure, path)


def write_csv(curves: list[Curve], path: Path) -> Path:
    """One row per epoch: each network's loss and training error (empty once it stopped)."""
    longest = max(len(curve.loss) for curve in curves)
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        names = [curve.name.replace(" × ", "x") for curve in curves]
        writer.writerow(["epoch", *(f"{k}_{n}" for n in names for k in ("loss", "error"))])
        for epoch in range(longest):
            row: list[object] = [epoch + 1]
            for curve in curves:
                within = epoch < len(curve.loss)
                row += [curve.loss[epoch], curve.error[epoch]] if within else ["", ""]
            writer.writerow(row)
    return path


def write_json(settings: Settings, curves: list[Curve], path: Path) -> Path:
    record = {
        "settings": asdict(settings),
        "networks": [
            {
                "hidden": list(curve.hidden),
                "parameters": curve.parameters,
                "epochs_to_100_percent": curve.epochs_to_memorise,
                "final_loss": curve.loss[-1],
                "seconds": curve.seconds,
                "epochs_per_second": curve.epochs_per_second,
                "loss": curve.loss,
                "error": curve.error,
            }
            for curve in curves
        ],
    }
    path.write_text(json.dumps(record, indent=1))
    return path

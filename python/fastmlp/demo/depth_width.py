"""Topic 6, depth versus width: parameters and the most linear regions per architecture (the
lecture's table), and regions of randomly initialised networks for comparison. A search
over architectures and other hyperparameters is examples/hyperparameter_search.py."""

from __future__ import annotations

from pathlib import Path

from fastmlp.analysis import ArchitectureRow, architecture_table, linear_regions_1d
from fastmlp.analysis.bounds import max_linear_regions, n_parameters
from fastmlp.demo.linear_regions import random_relu_network
from fastmlp.demo.memorisation import FIGURE_20_2_NETWORKS
from fastmlp.demo.plotting import pyplot, save

# One input and one output, as the lecture's comparison: five layers of ten units against
# one wide layer with about the same number of parameters (3·D + 1 for D units).
ONE_INPUT = [[10] * depth for depth in range(1, 6)] + [[156]]


def run(out: Path, quick: bool) -> list[Path]:
    print(markdown_table(architecture_table(1, ONE_INPUT, 1), n_inputs=1))
    print()
    # The networks of Figure 20.2: 40 inputs, 10 outputs, about 15,200 parameters each.
    print(markdown_table(architecture_table(40, FIGURE_20_2_NETWORKS, 10), n_inputs=40))
    return [plot(out / "depth_width.png")]


def markdown_table(rows: list[ArchitectureRow], n_inputs: int) -> str:
    lines = [
        f"| hidden layers ({n_inputs} input{'s' if n_inputs > 1 else ''}) | parameters "
        "| max linear regions |",
        "| --- | ---: | ---: |",
    ]
    for row in rows:
        layers = _describe(row.hidden_widths)
        lines.append(f"| {layers} | {row.parameters:,} | {_large(row.max_regions)} |")
    return "\n".join(lines)


def _large(count: int) -> str:
    """Exact, with separators, below a billion; then as 8.69 × 10^52."""
    if count < 10**9:
        return f"{count:,}"
    exponent = len(str(count)) - 1
    return f"{count / 10**exponent:.2f} × 10^{exponent}"


def _describe(widths: tuple[int, ...]) -> str:
    return f"{len(widths)} × {widths[0]}" if len(set(widths)) == 1 else str(list(widths))


def plot(path: Path) -> Path:
    """Max regions against parameters for growing shallow and deep 1-input networks, and the
    regions that random (He-initialised, random-bias) deep networks actually have."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(7.5, 5))
    shallow = [[units] for units in range(1, 161)]
    axes.semilogy(*_bound_curve(shallow), label="one hidden layer, D = 1…160: D + 1")
    for width in (5, 10, 20):
        deep = [[width] * depth for depth in range(1, 6)]
        axes.semilogy(*_bound_curve(deep), "o-", label=f"{width} units × 1…5 layers: max")
    axes.semilogy(*_random_counts(), "s--", color="0.4", label="10 units × 1…5 layers: random")
    axes.set(
        xlabel="parameters", ylabel="linear regions (1 input)",
        title="depth multiplies regions, width adds them",
    )  # fmt: skip
    axes.legend(fontsize=8)
    return save(figure, path)


def _bound_curve(architectures: list[list[int]]) -> tuple[list[int], list[int]]:
    return (
        [n_parameters(1, widths, 1) for widths in architectures],
        [max_linear_regions(1, widths) for widths in architectures],
    )


def _random_counts() -> tuple[list[int], list[int]]:
    """Exact regions on [-3, 3] of random 10-wide networks of depth 1…5 (seeded)."""
    nets = [random_relu_network(1, [10] * depth, seed=depth) for depth in range(1, 6)]
    return [net.n_parameters for net in nets], [linear_regions_1d(net, -3, 3).count for net in nets]

"""``fastmlp demo``: the lecture's topics, each run as one command that prints what it finds
and writes its plots. The topic modules import matplotlib only when they plot."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TOPICS", "Topic"]


@dataclass(frozen=True)
class Topic:
    name: str  # as typed: fastmlp demo <name>
    title: str
    module: str  # fastmlp.demo.<module>, whose run(out, quick) writes the plots


TOPICS = {
    topic.name: topic
    for topic in (
        Topic(
            "linear-regression",
            "1. supervised learning: a line by gradient descent and in closed form",
            "linear_regression",
        ),
        Topic(
            "shallow",
            "2. shallow networks: hidden units, joints, the piecewise-linear output",
            "shallow_networks",
        ),
        Topic(
            "regions",
            "3. activation patterns and linear regions (exact in 1-D, a grid in 2-D)",
            "linear_regions",
        ),
        Topic(
            "approximation",
            "4. universal approximation: the error falls as hidden units grow",
            "universal_approximation",
        ),
        Topic(
            "composition",
            "5. deep networks as composition of shallow ones: folding",
            "composition",
        ),
        Topic(
            "depth-width",
            "6. depth versus width: parameters and the most linear regions",
            "depth_width",
        ),
        Topic("activations", "7. activation functions and their derivatives", "activations"),
        Topic(
            "figure-20-2",
            "8. Figure 20.2: deeper networks memorise random labels in fewer epochs (default)",
            "figure_20_2",
        ),
    )
}

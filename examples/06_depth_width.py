"""Topic 6, depth versus width: how many parameters and how many linear regions (at most)
each architecture has, the lecture's table. To search architectures and other
hyperparameters on data, see examples/hyperparameter_search.py.

    python examples/06_depth_width.py     # writes 06_depth_width.png (fast: no --quick needed)
"""

from __future__ import annotations

from pathlib import Path

import fastmlp as fm
from fastmlp.demo import depth_width, memorisation


def main() -> None:
    # One input, one output: deep and narrow against shallow and wide.
    architectures = [[10] * depth for depth in range(1, 6)] + [[156], [1000]]
    print(depth_width.markdown_table(fm.analysis.architecture_table(1, architectures, 1), 1))
    # The four networks of Figure 20.2: equal parameters, regions growing with depth.
    print(
        depth_width.markdown_table(
            fm.analysis.architecture_table(40, memorisation.FIGURE_20_2_NETWORKS, 10), 40
        )
    )
    depth_width.plot(Path("06_depth_width.png"))


if __name__ == "__main__":
    main()

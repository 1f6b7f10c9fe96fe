"""Topic 8, the lecture's Figure 20.2: four networks of about 15,200 parameters (hidden
1 × 298, 2 × 100, 3 × 75, 4 × 63) memorise MNIST-1D examples with random labels by
full-batch gradient descent; the deeper ones need fewer epochs. `fastmlp demo` runs the
same with a progress bar and writes CSV and JSON as well.

    python examples/08_figure_20_2.py [--quick]     # writes 08_figure_20_2.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import fastmlp as fm
from fastmlp.demo import figure_20_2, memorisation


def main(quick: bool) -> None:
    data = fm.datasets.load_mnist1d(random_labels=True, seed=0)
    settings = memorisation.QUICK if quick else memorisation.DEFAULT
    print(f"{settings.n_train} examples, gradient descent with lr {settings.lr}, "
          f"at most {settings.max_epochs} epochs per network")  # fmt: skip
    curves = memorisation.train_networks(settings, data.X_train, data.y_train, progress=False)
    print(figure_20_2.summary_table(curves))
    figure_20_2.plot(curves, Path("08_figure_20_2.png"))


if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])

"""matplotlib, imported when a plot is asked for, with the file-only Agg backend (the demo
runs on servers and in CI, without a display)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastmlp.datasets import DEMO_EXTRA


def pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ImportError(f"the demo's plots need matplotlib: {DEMO_EXTRA}") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(figure: Any, path: Path) -> Path:
    """Writes the figure as PNG and closes it (pyplot keeps every open figure alive)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120, bbox_inches="tight")
    pyplot().close(figure)
    return path

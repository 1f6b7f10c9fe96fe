"""Every script in examples/ runs as written (with --quick, its tiny settings) and writes
its plot."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("0*.py"))

pytest.importorskip("matplotlib")
pytest.importorskip("mnist1d")


def test_the_lecture_has_eight_examples():
    assert [path.name[:2] for path in EXAMPLES] == [f"0{k}" for k in range(1, 9)]


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.stem)
def test_example_runs_and_plots(script, tmp_path, tmp_path_factory, monkeypatch, capsys):
    # One MNIST-1D cache for the session (tests/test_demo.py uses it too).
    monkeypatch.setenv("FASTMLP_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(script), "--quick"])
    runpy.run_path(str(script), run_name="__main__")
    (plot,) = tmp_path.glob("*.png")
    assert plot.stem == script.stem.replace("networks", "network")
    assert plot.stat().st_size > 20_000
    assert capsys.readouterr().out.strip()

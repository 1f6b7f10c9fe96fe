"""`fastmlp demo`: every topic runs with --quick and writes plots that show something; the
Figure 20.2 run writes its curves; the settings and messages are as documented."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fastmlp.__main__ import main
from fastmlp.analysis import architecture_table
from fastmlp.demo import TOPICS, cli, memorisation
from fastmlp.demo.depth_width import ONE_INPUT, markdown_table

pytest.importorskip("matplotlib")
pytest.importorskip("mnist1d")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """`fastmlp demo all --quick`, once for the module: (output folder, what it printed)."""
    out = tmp_path_factory.mktemp("demo")
    # One MNIST-1D cache for the session (tests/test_examples.py uses it too).
    cache = tmp_path_factory.getbasetemp() / "cache"
    env = {**os.environ, "FASTMLP_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "fastmlp", "demo", "all", "--quick", "--out", str(out)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return out, done.stdout


EXPECTED_PLOTS = [
    "linear_regression.png",
    "shallow_network.png",
    "linear_regions.png",
    "universal_approximation.png",
    "composition.png",
    "depth_width.png",
    "activations.png",
    "figure_20_2.png",
]


@pytest.mark.parametrize("name", EXPECTED_PLOTS)
def test_every_plot_is_written_and_not_blank(quick_run, name):
    from matplotlib.image import imread

    out, _ = quick_run
    path = out / name
    assert path.stat().st_size > 20_000
    pixels = imread(path)[..., :3]
    assert min(pixels.shape[:2]) > 300
    # Drawn lines and text: many pixels away from the white background, in several colours.
    assert 0.02 < np.mean(pixels.mean(axis=2) < 0.9) < 0.9
    rgb = (pixels * 255).astype(np.uint32)
    assert len(np.unique(rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2])) > 50


def test_figure_20_2_writes_its_curves(quick_run):
    out, text = quick_run
    record = json.loads((out / "figure_20_2.json").read_text())
    assert record["settings"]["lr"] == memorisation.QUICK.lr
    networks = record["networks"]
    assert [n["hidden"] for n in networks] == [[298], [100] * 2, [75] * 3, [63] * 4]
    assert [n["parameters"] for n in networks] == [15_208, 15_210, 15_235, 15_319]
    for network in networks:
        epochs = len(network["loss"])
        assert epochs == len(network["error"]) <= memorisation.QUICK.max_epochs
        if network["epochs_to_100_percent"] is not None:
            assert network["epochs_to_100_percent"] == epochs
            assert network["error"][-1] == 0.0
        assert network["final_loss"] == network["loss"][-1] < network["loss"][0]
    with open(out / "figure_20_2.csv") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["epoch"] + [
        f"{kind}_{name}"
        for name in ("1x298", "2x100", "3x75", "4x63")
        for kind in ("loss", "error")
    ]
    assert len(rows) - 1 == max(len(n["loss"]) for n in networks)
    assert "epochs to 100 %" in text and "4 × 63" in text
    assert str(out / "figure_20_2.png") in text


def test_list_names_every_topic(capsys):
    assert main(["demo", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in TOPICS)


def test_help_says_why_the_default_learning_rate():
    text = subprocess.run(
        [sys.executable, "-m", "fastmlp", "demo", "--help"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert f"default learning rate is {memorisation.DEFAULT.lr}" in text
    assert "--book" in text and "--quick" in text


def test_book_and_overrides_choose_the_settings():
    parser = _parser()
    book = cli.settings(parser.parse_args(["--book"]))
    assert (book.lr, book.n_train) == (0.0025, 4000)
    assert book.networks == memorisation.FIGURE_20_2_NETWORKS
    assert cli.settings(parser.parse_args([])) == memorisation.DEFAULT
    assert parser.parse_args(["--seed", "9" * 400]).seed == int("9" * 400)  # ints: any size
    custom = cli.settings(parser.parse_args(["--quick", "--lr", "0.1", "--epochs", "7"]))
    assert (custom.lr, custom.max_epochs, custom.n_train) == (0.1, 7, memorisation.QUICK.n_train)
    with pytest.raises(SystemExit):
        parser.parse_args(["--quick", "--book"])


@pytest.mark.parametrize(
    "bad",
    [["--lr", "0"], ["--lr", "-1"], ["--lr", "inf"], ["--epochs", "0"], ["--seed", "-1"], ["nope"]],
)
def test_bad_arguments_are_refused(bad, capsys):
    with pytest.raises(SystemExit):
        _parser().parse_args(bad)
    assert "error" in capsys.readouterr().err


def test_an_output_folder_that_cannot_be_made_stops_before_training(tmp_path, capsys):
    occupied = tmp_path / "a-file"
    occupied.write_text("")
    assert main(["demo", "--quick", "--out", str(occupied)]) == 2
    captured = capsys.readouterr()
    assert "cannot make that folder" in captured.err
    assert "==" not in captured.out  # no topic started


def test_info_into_a_closed_pipe_ends_quietly():
    # `true` has gone before Python writes; stdout buffered, as it is in a pipe
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    reader_gone = subprocess.run(
        f"{sys.executable} -m fastmlp info | true", shell=True, capture_output=True, text=True,
        env=env,
    )  # fmt: skip
    assert reader_gone.stderr == ""  # no "Exception ignored ... BrokenPipeError"


def test_missing_matplotlib_says_what_to_install(monkeypatch):
    from fastmlp.demo import plotting

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "fastmlp\[demo\]"'):
        plotting.pyplot()


def _parser():
    import argparse

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser


def test_readme_regions_tables_are_computed():
    readme = Path(__file__).resolve().parents[1] / "README.md"
    if not readme.is_file():
        pytest.skip("needs the source tree")
    text = readme.read_text()
    assert markdown_table(architecture_table(1, ONE_INPUT, 1), 1) in text
    figure_nets = memorisation.FIGURE_20_2_NETWORKS
    assert markdown_table(architecture_table(40, figure_nets, 10), 40) in text

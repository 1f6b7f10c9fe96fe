"""`pip wheel .` gives a wheel that installs and runs in a fresh venv with no compiler."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    not (ROOT / "pyproject.toml").is_file(), reason="needs the source tree"
)

CHECK = """
import numpy as np, fastmlp
a = np.arange(6, dtype=np.float32).reshape(2, 3)
assert np.array_equal(fastmlp.ops.matmul(a, a, trans_b=True), a @ a.T)
print(fastmlp.__file__)
"""


def run(args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=600, **kwargs)


def test_wheel_installs_and_runs_without_a_compiler(tmp_path):
    pytest.importorskip("scikit_build_core")
    pytest.importorskip("pybind11")
    dist = tmp_path / "dist"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            "-C",
            f"build-dir={tmp_path / 'build'}",
        ]
    )
    (wheel,) = dist.glob("fastmlp-*.whl")

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)])  # numpy from here
    python = venv / "bin" / "python"
    # No compiler reachable: an empty PATH, and CC/CXX that fail if anything tries one.
    bare = {
        "PATH": str(tmp_path / "no-tools"),
        "CC": "false",
        "CXX": "false",
        "HOME": str(tmp_path),
        "PIP_NO_INDEX": "1",
    }
    # --ignore-installed: a fastmlp of the same version in the base site-packages
    # (the one under test) would otherwise make pip skip the install.
    run(
        [str(python), "-m", "pip", "install", "--no-deps", "--ignore-installed", str(wheel)],
        env=bare,
    )
    installed = run([str(python), "-c", CHECK], env=bare, cwd=tmp_path).stdout.strip()
    assert Path(installed).is_relative_to(venv), installed

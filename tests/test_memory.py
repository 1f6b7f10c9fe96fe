"""No leak over a long run: 100,000 predict calls and 1,000 fit calls in one process grow
its resident memory by less than 10 MB after the warm-up (bench/memory.py prints the curve)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CODE = "import json, bench.memory as m; print(json.dumps(m.rss_curves(100_000, 1_000)))"


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads /proc (Linux)")
@pytest.mark.skipif(
    "libasan" in os.environ.get("LD_PRELOAD", ""),
    reason="AddressSanitizer quarantines freed memory (its leak check covers this run)",
)
def test_rss_grows_less_than_10_mb_over_100000_predicts_and_1000_fits():
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    result = subprocess.run(
        [sys.executable, "-c", CODE],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert result.returncode == 0, result.stderr
    curves = json.loads(result.stdout)
    for name, curve in curves.items():
        assert len(curve) == 11, name
        assert curve[-1] - curve[0] < 10, f"{name}: RSS {curve} MB"

"""`import fastmlp` loads numpy and the extension only (its time is in bench/, not here)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("scipy", "sklearn", "torch", "matplotlib", "pandas", "tqdm", "safetensors")


def test_import_loads_no_heavy_dependency():
    code = f"import sys, fastmlp; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""

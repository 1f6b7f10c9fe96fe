"""Every ISA path the machine runs passes the kernel tests; FASTMLP_ISA errors are clear.

The kernel table is chosen once, at import, so each ISA runs in its own interpreter. The best
ISA (the default) is what the rest of the suite already runs in-process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import fastmlp as fm

TESTS = Path(__file__).parent
KERNEL_TESTS = [
    "test_gemm.py",
    "test_gemm_sparse.py",
    "test_linear.py",
    "test_activations.py",
    "test_losses.py",
]
OTHER_ISAS = [isa for isa in fm.info()["supported_isas"] if isa != fm.info()["isa"]]


def python(code, isa):
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FASTMLP_ISA": isa},
    )


@pytest.mark.skipif(not OTHER_ISAS, reason="the CPU runs one ISA only, tested in-process")
@pytest.mark.parametrize("isa", OTHER_ISAS)
def test_kernel_tests_pass_on_every_isa_the_cpu_runs(isa):
    files = [str(TESTS / name) for name in KERNEL_TESTS if (TESTS / name).exists()]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "FASTMLP_ISA": isa},
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


@pytest.mark.parametrize("isa", fm.info()["supported_isas"])
def test_fastmlp_isa_selects_the_kernels(isa):
    run = python("import fastmlp; print(fastmlp.info()['isa'])", isa)
    assert run.stdout.strip() == isa, run.stderr


def test_unknown_isa_is_an_import_error():
    run = python("import fastmlp", "avx9000")
    assert run.returncode != 0
    assert "ImportError" in run.stderr
    assert "FASTMLP_ISA='avx9000' is not one of: generic, avx2, avx512" in run.stderr


@pytest.mark.skipif(
    len(fm.info()["supported_isas"]) == 3, reason="this CPU runs every ISA fastmlp has"
)
def test_isa_the_cpu_lacks_is_an_import_error_not_sigill():
    missing = "avx512" if "avx2" in fm.info()["supported_isas"] else "avx2"
    run = python("import fastmlp", missing)
    assert run.returncode == 1  # a Python exception, not a signal
    assert "is not available" in run.stderr

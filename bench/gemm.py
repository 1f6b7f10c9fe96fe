"""Workload 1, GEMM: fastmlp.ops.matmul against numpy ``@`` and torch ``@``, and % of FMA peak.

float32 and float64, 1 and 2 threads: square A@B, and the shapes an MLP really runs
(forward x·Wᵀ, input gradient dy·W, weight gradient dyᵀ·x, a minibatch, one sample).
Operands are stored as the MLP stores them; transposes are flags for fastmlp and ``.T``
views for numpy and torch.
"""

from __future__ import annotations

import argparse
import time
from typing import Any, Callable, NamedTuple

import numpy as np
from threadpoolctl import threadpool_limits

import fastmlp
from bench.common import interleaved_times, machine_info, write_results
from bench.peak import measure_peak
from fastmlp.ops import matmul

try:
    import torch
except ImportError:  # the suite skips peers that are not installed
    torch = None


class Case(NamedTuple):
    name: str
    m: int
    n: int
    k: int
    layout: str  # "nn": A@B, "nt": A@Bᵀ (B stored n×k), "tn": Aᵀ@B (A stored k×m)


MLP_CASES = [
    Case("fwd x·Wᵀ", 4000, 298, 40, "nt"),
    Case("fwd h·Wᵀ", 4000, 10, 298, "nt"),
    Case("grad_in dy·W", 4000, 298, 10, "nn"),
    Case("grad_W dyᵀ·x", 10, 298, 4000, "tn"),
    Case("batch32 x·Wᵀ", 32, 128, 128, "nt"),
    Case("sample x·Wᵀ", 1, 100, 100, "nt"),
]
# Seconds to sleep after a multi-thread batch of each library, so that its idle workers stop
# busy-waiting before the next library runs. Measured on a 2-core Zen 4 VM: fastmlp at 2
# threads right after numpy ran at half speed for ~0.1 s (OpenBLAS workers spin up to ~2**28
# cycles), and for ~0.4 s after torch; fastmlp's own libgomp workers go idle within ms.
SETTLE = {"fastmlp": 0.05, "numpy": 0.2, "torch": 0.5}
RTOL = {"float32": 1e-3, "float64": 1e-10}


def _operands(case: Case, dtype: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    a_shape = (case.k, case.m) if case.layout == "tn" else (case.m, case.k)
    b_shape = (case.n, case.k) if case.layout == "nt" else (case.k, case.n)
    return rng.standard_normal(a_shape).astype(dtype), rng.standard_normal(b_shape).astype(dtype)


def _peers(case: Case, a: np.ndarray, b: np.ndarray) -> dict[str, Callable[[], Any]]:
    ta, tb = case.layout == "tn", case.layout == "nt"
    fns: dict[str, Callable[[], Any]] = {
        "fastmlp": lambda: matmul(a, b, trans_a=ta, trans_b=tb),
        "numpy": lambda: (a.T if ta else a) @ (b.T if tb else b),
    }
    if torch is not None:
        xa, xb = torch.from_numpy(a), torch.from_numpy(b)
        fns["torch"] = lambda: (xa.T if ta else xa) @ (xb.T if tb else xb)
    return fns


def _ratio(x: float | None, y: float | None) -> float | None:
    return x / y if x and y else None


def run_case(
    case: Case, dtype: str, threads: int, peak: float | None, repeat: int, min_time: float
) -> dict[str, Any]:
    a, b = _operands(case, dtype, np.random.default_rng(0))
    fns = _peers(case, a, b)
    got, want = fns["fastmlp"](), fns["numpy"]()
    scale = float(np.abs(want).max())
    if not np.allclose(got, want, rtol=RTOL[dtype], atol=RTOL[dtype] * scale):
        raise AssertionError(f"fastmlp.matmul differs from numpy on {case} {dtype}")
    with threadpool_limits(threads, user_api="blas"):
        fastmlp.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        times = interleaved_times(fns, repeat, min_time, SETTLE if threads > 1 else None)
    gf = {name: 2 * case.m * case.n * case.k / t / 1e9 for name, t in times.items()}
    return {
        "dtype": dtype,
        "threads": threads,
        "case": case.name,
        "shape": f"{case.m}×{case.n}×{case.k}",
        "us_fastmlp": times["fastmlp"] * 1e6,
        "gflops_fastmlp": gf["fastmlp"],
        "gflops_numpy": gf["numpy"],
        "gflops_torch": gf.get("torch"),
        "vs_numpy": _ratio(gf["fastmlp"], gf["numpy"]),
        "vs_torch": _ratio(gf["fastmlp"], gf.get("torch")),
        "pct_peak": 100 * gf["fastmlp"] / peak if peak else None,
    }


def targets(rows: list[dict[str, Any]]) -> list[str]:
    """The performance targets, each as a ``met``/``missed`` line with its figure."""
    lines: list[str] = []

    def check(label: str, value: float | None, bound: float, unit: str = "×") -> None:
        if value is None:
            lines.append(f"- n/a {label}")
            return
        status = "met" if value >= bound else "MISSED"
        lines.append(f"- {status} {label}: {value:.3g}{unit} (target ≥ {bound:g}{unit})")

    square = {(r["dtype"], r["threads"], r["case"]): r for r in rows if r["case"].startswith("n=")}
    for (dtype, threads, name), r in square.items():
        n = int(name[2:])
        if dtype == "float32" and threads == 1 and n >= 256:
            check(f"float32 1-thread {name} vs numpy", r["vs_numpy"], 0.95)
            check(f"float32 1-thread {name} % of peak", r["pct_peak"], 85, "%")
        if dtype == "float32" and threads == 2 and n >= 512 and ("float32", 1, name) in square:
            speedup = _ratio(r["gflops_fastmlp"], square[("float32", 1, name)]["gflops_fastmlp"])
            check(f"float32 {name} 2-thread / 1-thread speed-up", speedup, 1.8)
        if dtype == "float64" and n >= 256:
            check(f"float64 {threads}-thread {name} vs numpy", r["vs_numpy"], 0.95)
    for r in rows:
        if not r["case"].startswith("n="):
            label = f"{r['dtype']} {r['threads']}-thread {r['case']} vs numpy"
            check(label, r["vs_numpy"], 1.0)
    return lines


COLUMNS = {
    "dtype": "dtype",
    "threads": "thr",
    "case": "case",
    "shape": "m×n×k",
    "us_fastmlp": "fastmlp µs",
    "gflops_fastmlp": "fastmlp GF/s",
    "gflops_numpy": "numpy GF/s",
    "gflops_torch": "torch GF/s",
    "vs_numpy": "÷numpy",
    "vs_torch": "÷torch",
    "pct_peak": "% peak",
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gemm", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer sizes, shorter runs")
    args = parser.parse_args(argv)
    sizes = (64, 256, 512, 1024) if args.quick else (64, 128, 256, 512, 1024, 2048)
    repeat, min_time = (5, 0.03) if args.quick else (9, 0.1)
    cases = [Case(f"n={n}", n, n, n, "nn") for n in sizes] + MLP_CASES

    start = time.perf_counter()
    peak = measure_peak(seconds=0.02 if args.quick else 0.1)
    rows = []
    for dtype in ("float32", "float64"):
        for threads in (1, 2):
            p = peak.get(f"{dtype}/{threads}", {}).get("peak")
            rows += [run_case(c, dtype, threads, p, repeat, min_time) for c in cases]
    notes = ["### targets", "", *targets(rows)]
    meta = {
        "machine": machine_info(),
        "peak_gflops": peak,
        "quick": args.quick,
        "repeat": repeat,
        "min_time_s": min_time,
        "seconds": time.perf_counter() - start,
    }
    write_results("gemm", rows, meta, COLUMNS, notes)


if __name__ == "__main__":
    main()

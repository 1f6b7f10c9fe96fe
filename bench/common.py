"""Shared helpers: interleaved median timing, machine description, result files."""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any, Callable

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _warm(fn: Callable[[], object], min_calls: int = 3, warm_time: float = 0.05) -> float:
    """Call ``fn`` at least ``min_calls`` times and for ``warm_time`` s; return the fastest call."""
    best = math.inf
    start = time.perf_counter()
    calls = 0
    while calls < min_calls or time.perf_counter() - start < warm_time:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        calls += 1
    return best


def interleaved_samples(
    fns: dict[str, Callable[[], object]],
    repeat: int = 7,
    min_time: float = 0.02,
    settle: dict[str, float] | None = None,
    setup: dict[str, Callable[[], object]] | None = None,
) -> dict[str, list[float]]:
    """Seconds per call of each function in each of ``repeat`` rounds, the functions
    interleaved in every round, in the opposite order every other round (so that none always
    runs right after the same other one).

    Each function is warmed up (the first multi-thread calls start thread pools), then
    each round times one batch of every function, a batch being enough calls to last
    about ``min_time`` seconds. ``settle[name]`` seconds of sleep follow each batch of
    ``name``: after a call, multi-thread pools busy-wait for a while and would steal the
    cores of the next library's batch (see ``bench.gemm.SETTLE``). ``setup[name]()`` runs,
    untimed, before the warm-up and before each batch of ``name`` (a thread count, say).
    """
    settle, setup = settle or {}, setup or {}
    batch = {}
    for name, fn in fns.items():
        setup.get(name, _nothing)()
        batch[name] = max(1, math.ceil(min_time / max(_warm(fn), 1e-9)))
        time.sleep(settle.get(name, 0.0))
    samples: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    for round_ in range(repeat):
        for name in names if round_ % 2 == 0 else names[::-1]:
            fn, n = fns[name], batch[name]
            setup.get(name, _nothing)()
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - t0) / n)
            time.sleep(settle.get(name, 0.0))
    return samples


def interleaved_times(
    fns: dict[str, Callable[[], object]],
    repeat: int = 7,
    min_time: float = 0.02,
    settle: dict[str, float] | None = None,
    setup: dict[str, Callable[[], object]] | None = None,
) -> dict[str, float]:
    """Median seconds per call of each function over interleaved rounds (see
    ``interleaved_samples``)."""
    samples = interleaved_samples(fns, repeat, min_time, settle, setup)
    return {name: statistics.median(ts) for name, ts in samples.items()}


def median_interval(values: list[float], confidence: float = 0.95) -> tuple[float, float]:
    """A distribution-free interval that holds the median of the population ``values`` were
    drawn from with at least ``confidence``: the j-th smallest and j-th largest value, j the
    largest index with P(Binomial(n, ½) < j) ≤ (1 − confidence)/2 (the sign test's interval;
    Conover, *Practical Nonparametric Statistics*, §3.2). With 19 values, the 5th smallest and
    the 5th largest (98 %). ValueError when there are too few values for ``confidence``
    (fewer than 6 for 95 %)."""
    ordered = sorted(values)
    n = len(ordered)
    tail = (1 - confidence) / 2
    j, below = 0, 0.0  # below: P(Binomial(n, ½) < j + 1), the chance that j+1 values fall under
    while j < n // 2:
        below += math.comb(n, j) / 2**n
        if below > tail:
            break
        j += 1
    if j == 0:
        raise ValueError(f"{n} values cannot bound a median with {confidence:.0%} confidence")
    return ordered[j - 1], ordered[n - j]


def _nothing() -> None:
    pass


def median_time(fn: Callable[[], object], repeat: int = 7, min_time: float = 0.02) -> float:
    """Median seconds per call of ``fn`` after a warm-up, timed in batches of ``min_time`` s."""
    return interleaved_times({"fn": fn}, repeat, min_time)["fn"]


def _cpuinfo() -> dict[str, str]:
    info: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if not line.strip():
                break  # first processor only
            key, _, value = line.partition(":")
            info[key.strip()] = value.strip()
    except OSError:
        pass
    return info


def cpu_flags() -> set[str]:
    return set(_cpuinfo().get("flags", "").split())


def machine_info() -> dict[str, Any]:
    """The CPU, fastmlp's build, and the peers' versions and BLAS kernels."""
    import numpy as np

    import fastmlp

    cpu = _cpuinfo()
    flags = cpu_flags()
    info: dict[str, Any] = {
        "cpu": cpu.get("model name", platform.processor()),
        "cpu_family_model": f"{cpu.get('cpu family', '?')}/{cpu.get('model', '?')}",
        "simd": sorted(f for f in flags if f in {"avx2", "fma", "avx512f", "avx512_bf16"}),
        "cores": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "fastmlp": fastmlp.info(),
        "numpy": np.__version__,
    }
    try:
        from threadpoolctl import threadpool_info

        info["numpy_blas"] = [
            {k: p.get(k) for k in ("internal_api", "architecture", "version", "num_threads")}
            for p in threadpool_info()
            if p.get("user_api") == "blas"
        ]
    except ImportError:
        info["numpy_blas"] = None
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:
        info["torch"] = None
    return info


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if value == 0 or abs(value) >= 100:
            return f"{value:.0f}"
        return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def markdown_table(rows: list[dict[str, Any]], columns: dict[str, str] | None = None) -> str:
    """A markdown table of ``rows``; ``columns`` maps row keys to headers (default: all keys)."""
    if not rows:
        return ""
    cols = columns or {key: key for key in rows[0]}
    lines = ["| " + " | ".join(cols.values()) + " |", "|" + " --- |" * len(cols)]
    lines += ["| " + " | ".join(_fmt(row.get(key)) for key in cols) + " |" for row in rows]
    return "\n".join(lines)


def write_results(
    name: str,
    rows: list[dict[str, Any]],
    meta: dict[str, Any],
    columns: dict[str, str] | None = None,
    notes: list[str] | None = None,
) -> str:
    """Write ``results/<name>.json`` and ``results/<name>.md``; print and return the markdown."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    payload = {"name": name, "meta": meta, "rows": rows, "notes": notes or []}
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    fm = meta.get("machine", {}).get("fastmlp", {})
    blas = meta.get("machine", {}).get("numpy_blas") or [{}]
    header = (
        f"## {name}\n\n{meta.get('machine', {}).get('cpu', '?')}, "
        f"{meta.get('machine', {}).get('cores', '?')} cores; fastmlp {fm.get('version', '?')} "
        f"({fm.get('isa', '?')}, {fm.get('compiler', '?')}); numpy "
        f"{meta.get('machine', {}).get('numpy', '?')} (OpenBLAS {blas[0].get('version')} "
        f"{blas[0].get('architecture')}); torch {meta.get('machine', {}).get('torch')}\n"
    )
    text = header + "\n" + markdown_table(rows, columns) + "\n"
    if notes:
        text += "\n" + "\n".join(notes) + "\n"
    (RESULTS_DIR / f"{name}.md").write_text(text)
    print(text)
    return text

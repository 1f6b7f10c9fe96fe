"""The machine's FMA peak: a compiled loop of independent FMA chains, per dtype and threads.

A tiny C file (12 independent accumulators of 256- and, where the CPU has AVX-512, 512-bit
vectors) is compiled at bench time and run from Python threads (ctypes releases the GIL).
On Zen 4, 512-bit FMAs are double-pumped, so both widths are measured and the max reported.
"""

from __future__ import annotations

import argparse
import ctypes
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

from bench.common import cpu_flags, machine_info, write_results

CHAINS = 12
_SOURCE = r"""
#include <immintrin.h>
#define DEF(NAME, VT, ET, LANES, SET1, FMA, ADD, STOREU)                              \
double NAME(long n, double mul, double add) {                                       \
    VT m = SET1((ET)mul), c = SET1((ET)add);                                        \
    VT a0 = SET1(0), a1 = SET1(1), a2 = SET1(2), a3 = SET1(3), a4 = SET1(4);        \
    VT a5 = SET1(5), a6 = SET1(6), a7 = SET1(7), a8 = SET1(8), a9 = SET1(9);        \
    VT a10 = SET1(10), a11 = SET1(11);                                              \
    for (long i = 0; i < n; i++) {                                                  \
        a0 = FMA(a0, m, c); a1 = FMA(a1, m, c); a2 = FMA(a2, m, c);                 \
        a3 = FMA(a3, m, c); a4 = FMA(a4, m, c); a5 = FMA(a5, m, c);                 \
        a6 = FMA(a6, m, c); a7 = FMA(a7, m, c); a8 = FMA(a8, m, c);                 \
        a9 = FMA(a9, m, c); a10 = FMA(a10, m, c); a11 = FMA(a11, m, c);             \
    }                                                                               \
    a0 = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));         \
    a0 = ADD(a0, ADD(ADD(a8, a9), ADD(a10, a11)));                                  \
    ET buf[LANES]; double s = 0; STOREU(buf, a0);                                   \
    for (int j = 0; j < LANES; j++) s += buf[j];                                    \
    return s;                                                                       \
}
DEF(fma_float32_256, __m256, float, 8, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps,
    _mm256_storeu_ps)
DEF(fma_float64_256, __m256d, double, 4, _mm256_set1_pd, _mm256_fmadd_pd, _mm256_add_pd,
    _mm256_storeu_pd)
#ifdef __AVX512F__
DEF(fma_float32_512, __m512, float, 16, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps,
    _mm512_storeu_ps)
DEF(fma_float64_512, __m512d, double, 8, _mm512_set1_pd, _mm512_fmadd_pd, _mm512_add_pd,
    _mm512_storeu_pd)
#endif
"""


def _build(tmp: Path, avx512: bool) -> ctypes.CDLL:
    src, lib = tmp / "fma_peak.c", tmp / "fma_peak.so"
    src.write_text(_SOURCE)
    flags = ["-O2", "-mfma", "-mavx2", *(["-mavx512f"] if avx512 else []), "-shared", "-fPIC"]
    subprocess.run(["cc", *flags, str(src), "-o", str(lib)], check=True, capture_output=True)
    return ctypes.CDLL(str(lib))


def _run(fn: Callable[..., float], iters: int, threads: int) -> float:
    """Wall seconds for ``threads`` concurrent calls of ``fn(iters)``."""
    workers = [threading.Thread(target=fn, args=(iters, 1.0, 1e-9)) for _ in range(threads)]
    t0 = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - t0


def measure_peak(
    threads: tuple[int, ...] = (1, 2), seconds: float = 0.05, repeat: int = 5
) -> dict[str, dict[str, float]]:
    """GFLOP/s per ``"<dtype>/<threads>"``: ``{"256": .., "512": .., "peak": max}``.

    Empty when no C compiler is at hand. Each figure is the best of ``repeat`` runs of about
    ``seconds`` each (a ceiling, so the best and not the median).
    """
    if shutil.which("cc") is None:
        return {}
    avx512 = "avx512f" in cpu_flags()
    widths = (256, 512) if avx512 else (256,)
    result: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            lib = _build(Path(tmp), avx512)
        except (OSError, subprocess.CalledProcessError):
            return {}
        for dtype, elem_bits in (("float32", 32), ("float64", 64)):
            for width in widths:
                fn = getattr(lib, f"fma_{dtype}_{width}")
                fn.argtypes = [ctypes.c_long, ctypes.c_double, ctypes.c_double]
                fn.restype = ctypes.c_double
                flops_per_iter = CHAINS * 2 * (width // elem_bits)
                probe = 100_000
                iters = max(probe, int(probe * seconds / max(_run(fn, probe, 1), 1e-6)))
                for n in threads:
                    best = min(_run(fn, iters, n) for _ in range(repeat))
                    entry = result.setdefault(f"{dtype}/{n}", {})
                    entry[str(width)] = n * iters * flops_per_iter / best / 1e9
        for entry in result.values():
            entry["peak"] = max(entry.values())
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peak", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    args = parser.parse_args(argv)
    peak = measure_peak(seconds=0.02 if args.quick else 0.1)
    rows = [
        {"case": key, **{f"{w}-bit": v.get(w) for w in ("256", "512")}, "peak": v["peak"]}
        for key, v in peak.items()
    ]
    write_results("peak", rows, {"machine": machine_info(), "unit": "GFLOP/s"})


if __name__ == "__main__":
    main()

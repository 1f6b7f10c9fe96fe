"""fastmlp: fully connected neural networks on the CPU, fast.

A C++ core (packed SIMD GEMM, activations, losses, OpenMP threads, the GIL released) behind a
numpy-native API. Start with :func:`info` and :mod:`fastmlp.ops`.
"""

from __future__ import annotations

from typing import Any

from fastmlp import _core, analysis, callbacks, datasets, ops, optim
from fastmlp.io import load, save
from fastmlp.layers import (
    ELU,
    GELU,
    Dense,
    Dropout,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softplus,
    Tanh,
)
from fastmlp.network import MLP, Sequential

__version__ = "0.1.0"

__all__ = [
    "ELU",
    "GELU",
    "MLP",
    "Dense",
    "Dropout",
    "Identity",
    "LeakyReLU",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softplus",
    "Tanh",
    "__version__",
    "analysis",
    "callbacks",
    "datasets",
    "get_num_threads",
    "info",
    "load",
    "ops",
    "optim",
    "save",
    "set_num_threads",
]


def info() -> dict[str, Any]:
    """What this build is and what it runs on.

    Keys: ``version``, ``isa`` (the kernels in use), ``supported_isas`` (those this CPU and
    build can run; cap the choice with the environment variable ``FASTMLP_ISA``),
    ``compiler``, ``build_type``, ``compiler_flags`` (the build's, then each ISA's kernel
    files'), ``openmp`` (bool), ``openmp_version``, ``openmp_library``
    (the runtime's file, as threadpoolctl finds it), ``num_threads`` and ``l2_cache_bytes``
    (one core's L2 as the OS reports it, 0 if it does not; it sizes the GEMM's blocks).
    """
    return {"version": __version__, **_core.build_info()}


def get_num_threads() -> int:
    """The most threads one kernel call may use (``OMP_NUM_THREADS`` and threadpoolctl apply)."""
    return _core.get_num_threads()


def set_num_threads(n: int) -> None:
    """Let kernel calls use at most ``n`` threads (``n >= 1``). Results do not depend on ``n``."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"set_num_threads expects an int, got {type(n).__name__}")
    _core.set_num_threads(n)

"""How many threads an estimator's fit and predict may use.

Inside a joblib task (``GridSearchCV(n_jobs=2)``, any backend) or a Dask worker, several
fits already run side by side, one per core: each takes one thread unless ``n_threads``
says otherwise, so they do not oversubscribe the machine. Elsewhere fastmlp's own setting
applies (``fastmlp.set_num_threads``, ``OMP_NUM_THREADS``, ``threadpoolctl`` limits).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from threadpoolctl import ThreadpoolController

_controller: ThreadpoolController | None = None


def thread_cap(n_threads: int | None) -> int | None:
    """The thread cap for a fit or predict: ``n_threads``, 1 inside a parallel worker,
    else None (no cap)."""
    if n_threads is not None:
        return n_threads
    return 1 if _in_parallel_worker() else None


def _in_parallel_worker() -> bool:
    from joblib.parallel import get_active_backend

    backend, _ = get_active_backend()
    if getattr(backend, "nesting_level", 0) > 0:  # joblib runs its tasks one level down
        return True
    # joblib's Dask backend leaves nesting_level at 0 on the workers; ask Dask itself,
    # without importing it where nothing has.
    distributed: Any = sys.modules.get("distributed")
    if distributed is None:
        return False
    try:
        distributed.get_worker()
    except ValueError:
        return False
    return True


@contextmanager
def thread_limit(n: int | None) -> Iterator[None]:
    """Caps the OpenMP threads of the calling thread at ``n`` (None: no change).

    OpenMP keeps the limit per calling thread, so fits in different threads of one process
    (joblib's threading backend) do not change each other's.
    """
    global _controller
    if n is None:
        yield
        return
    if _controller is None:  # finding the loaded libraries takes ~0.5 ms: once per process
        _controller = ThreadpoolController()
    with _controller.limit(limits=n, user_api="openmp"):
        yield

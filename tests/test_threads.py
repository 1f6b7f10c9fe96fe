"""Threads: results bitwise equal for any thread count, threadpoolctl control, fork safety,
and calls from several Python threads at once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fastmlp as fm


@pytest.fixture
def restore_threads():
    before = fm.get_num_threads()
    yield
    fm.set_num_threads(before)


def with_threads(n, func, *args, **kwargs):
    fm.set_num_threads(n)
    return func(*args, **kwargs)


# Big enough that the kernels split the work between threads (2^19 flops per thread and up),
# across every GEMM path: packed, in-place A or B, dot-product tiles, swapped orientation.
GEMM_CASES = [
    ((4000, 40), (298, 40), dict(trans_b=True)),
    ((4000, 298), (10, 298), dict(trans_b=True)),
    ((4000, 10), (10, 298), {}),
    ((4000, 10), (4000, 298), dict(trans_a=True)),
    ((1400, 7), (1400, 1500), dict(trans_a=True)),  # one row block, B panel by panel
    ((300, 301), (301, 302), {}),
    ((257, 300), (290, 257), dict(trans_a=True, trans_b=True)),
    ((2, 3000), (500, 3000), dict(trans_b=True)),
    ((32, 128), (128, 128), dict(trans_b=True)),
    ((300, 1400), (1400, 1500), {}),  # op(B) packed panel by panel (over the 8 MiB budget)
    ((40, 30), (30, 8500), {}),  # panels side by side: packed whole (2 threads) or one by one
]


@pytest.mark.usefixtures("restore_threads")
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("a_shape,b_shape,kwargs", GEMM_CASES, ids=str)
def test_matmul_is_bitwise_equal_on_1_and_2_threads(a_shape, b_shape, kwargs, dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(a_shape).astype(dtype)
    b = rng.standard_normal(b_shape).astype(dtype)
    one = with_threads(1, fm.ops.matmul, a, b, **kwargs)
    two = with_threads(2, fm.ops.matmul, a, b, **kwargs)
    assert np.array_equal(one, two)


@pytest.mark.usefixtures("restore_threads")
def test_fused_linear_and_losses_are_bitwise_equal_on_1_and_2_threads():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4000, 40)).astype(np.float32)
    w = rng.standard_normal((298, 40)).astype(np.float32)
    b = rng.standard_normal(298).astype(np.float32)
    labels = rng.integers(0, 298, 4000)
    target = rng.standard_normal((4000, 298)).astype(np.float32)
    results = []
    for threads in (1, 2):
        fm.set_num_threads(threads)
        h = fm.ops.linear(x, w, b, "gelu")
        losses = fm.ops.softmax_cross_entropy(h, labels) + fm.ops.least_squares(h, target)
        dlogits = losses[1]
        gradients = fm.ops.bias_gradient(dlogits), *fm.ops.weight_gradient(dlogits, x)
        results.append((h, *losses, *gradients, fm.ops.tanh(h)))
    for one, two in zip(*results):
        assert np.array_equal(one, two)


def run_python(code, **env):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, **env},
    ).stdout


def test_default_honours_omp_num_threads():
    assert run_python("import fastmlp; print(fastmlp.get_num_threads())", OMP_NUM_THREADS="1") == (
        "1\n"
    )


@pytest.mark.skipif(not fm.info()["openmp"], reason="built without OpenMP")
def test_threadpoolctl_sees_and_limits_the_openmp_runtime(restore_threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    fm.set_num_threads(2)
    libraries = {os.path.realpath(info["filepath"]) for info in threadpoolctl.threadpool_info()}
    assert os.path.realpath(fm.info()["openmp_library"]) in libraries
    with threadpoolctl.threadpool_limits(1, user_api="openmp"):
        assert fm.get_num_threads() == 1
    assert fm.get_num_threads() == 2


FORK_AFTER_THREADS = """
    import multiprocessing, os
    import numpy as np
    import fastmlp as fm

    a = np.random.default_rng(0).random((600, 600), dtype=np.float32)
    fm.set_num_threads(2)
    expected = fm.ops.matmul(a, a)  # the OpenMP pool now exists in the parent

    def product_sum(_):
        return fm.ops.matmul(a, a).sum()

    pid = os.fork()
    if pid == 0:
        os._exit(0 if np.array_equal(fm.ops.matmul(a, a), expected) else 3)
    assert os.waitpid(pid, 0)[1] == 0, "os.fork child failed"
    with multiprocessing.get_context("fork").Pool(2) as pool:
        assert pool.map(product_sum, range(4)) == [expected.sum()] * 4
    assert np.array_equal(fm.ops.matmul(a, a), expected)  # the parent still runs threads
    print("ok")
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_fork_after_threaded_work_does_not_hang():
    # GNU libgomp's pool does not survive fork: a child that used it would hang. The timeout
    # in run_python turns a hang into a failure.
    assert run_python(FORK_AFTER_THREADS) == "ok\n"


@pytest.mark.usefixtures("restore_threads")
def test_calls_from_several_python_threads_at_once():
    fm.set_num_threads(2)
    rng = np.random.default_rng(3)
    inputs = [rng.standard_normal((300, 200)).astype(np.float32) for _ in range(8)]
    weight = rng.standard_normal((100, 200)).astype(np.float32)
    expected = [fm.ops.linear(x, weight, activation="relu") for x in inputs]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(5):
            results = list(pool.map(lambda x: fm.ops.linear(x, weight, activation="relu"), inputs))
            for got, want in zip(results, expected):
                assert np.array_equal(got, want)

"""GEMM (fastmlp.ops.matmul) against a float64 numpy reference.

Shapes cover one row/column, primes, and every tile and cache-block edge of the three ISAs
(register tiles of 6 rows (AVX2) or 10 (AVX-512) × 8/16/32 columns, k blocks of 256, row
blocks of 70–144), in all four transpose combinations, both dtypes, with alpha and beta. The
ISA in use is the best the CPU has; tests/test_isa.py runs this file again under each
FASTMLP_ISA.
"""

from __future__ import annotations

import numpy as np
import pytest

import fastmlp as fm
from fastmlp import _core

DTYPES = (np.float32, np.float64)
TRANSPOSES = ((False, False), (False, True), (True, False), (True, True))

# (m, n, k): small and odd, tile edges ± 1, k across the 256 block, one-sample and MLP-like,
# and one whose packed op(B) exceeds the budget for packing it whole (gemm_blocked.hpp).
SHAPES = [
    (1, 1, 1),
    (1, 100, 100),
    (1, 10, 100),  # under the plain loop's size, but dot products over a long k
    (2, 3, 5),
    (1, 3, 50),  # a 1-3-1 net's weight gradient over 50 points: a row of C in vectors, or
    # (op(B) transposed) the plain loop in four sums
    (10, 1, 50),  # a 1-(10×5)-1 net's weight gradients: a column of C in vectors (op(A)
    (1, 10, 50),  # transposed) or a row (op(B) not), else the plain loop or dot products
    (1, 150, 40),  # a row, a column of C over more than four vectors, the last one masked
    (150, 1, 40),
    (2, 5, 19),
    (3, 1, 16),
    (5, 7, 11),
    (6, 8, 1),
    (50, 3, 1),  # k = 1: rows of C are scaled rows of B, in vectors (a 1-3-1 net's layer)
    (20, 17, 1),
    (9, 40, 1),
    (7, 17, 3),
    (50, 10, 10),  # one sliver wide, whole tiles: a 1-(10×5)-1 net's hidden layer
    (50, 1, 10),  # short sums in register tiles, not the plain loop: its output layer
    (13, 5, 7),  # the same with a short last tile
    (23, 20, 9),  # one sliver, two vectors wide in float32 on AVX-512, a short last tile
    (256, 10, 100),  # a 256-row chunk through a 100→10 layer
    (256, 100, 100),  # and a 100→100 one: 3 tiles of 32 columns, an edge of 4 (256-bit
    (100, 40, 256),  # vectors on AVX-512); its first layer's weight gradient: an edge of 8
    (6, 16, 16),
    (5, 15, 17),
    (7, 33, 31),
    (9, 16, 12),
    (11, 32, 20),
    (12, 32, 64),
    (21, 17, 33),
    (13, 31, 65),
    (13, 10, 298),
    (29, 47, 255),
    (37, 41, 257),
    (64, 64, 513),
    (71, 73, 79),
    (97, 1, 101),
    (1, 97, 300),
    (128, 40, 300),  # a transposed A 128 elements apart is packed, not read in place
    (141, 33, 40),
    (145, 33, 40),
    (100, 100, 250),  # a 100→100 layer's weight gradient (TN): its last 4 columns, and the
    (45, 34, 300),  # last 2 here, computed transposed (gemm_blocked.hpp's transposed_edge),
    (10, 68, 1000),  # over two k blocks, and in the second thread's part of the columns
    (150, 10, 298),
    (10, 298, 150),
    (10, 300, 1000),  # one block of rows on two threads: they split its columns
    (200, 129, 7),
    (31, 300, 40),
    (40, 1500, 1400),  # op(B) over the 8 MiB budget: packed one panel at a time
    (12, 8500, 20),  # past the widest panel of B (1,024 to 4,080 columns): panels side by side
]


def reference(a, b, trans_a, trans_b, alpha=1.0, beta=0.0, c=None):
    """op(a)·op(b) in float64, and the magnitude |α|·|op(a)|·|op(b)| + |β|·|c| it sums."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    a64 = a64.T if trans_a else a64
    b64 = b64.T if trans_b else b64
    exact = alpha * (a64 @ b64)
    scale = abs(alpha) * (np.abs(a64) @ np.abs(b64))
    if c is not None and beta != 0.0:
        exact += beta * c.astype(np.float64)
        scale += abs(beta) * np.abs(c.astype(np.float64))
    return exact, scale


def assert_gemm_close(result, exact, scale, k, dtype):
    # A sum of k products in precision u has error at most about (k + 2)·u·Σ|terms| (Higham,
    # "Accuracy and Stability of Numerical Algorithms", §3.1), whatever order the kernel
    # adds in: a bound the result must meet, not a tolerance fitted to it.
    eps = np.finfo(dtype).eps
    bound = (k + 2) * eps * scale + np.finfo(dtype).tiny
    error = np.abs(result.astype(np.float64) - exact)
    worst = np.unravel_index(np.argmax(error - bound), error.shape) if error.size else None
    assert np.all(error <= bound), f"error {error[worst]} > bound {bound[worst]} at {worst}"


def operands(rng, m, n, k, trans_a, trans_b, dtype):
    a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype)
    return a, b


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES, ids=["NN", "NT", "TN", "TT"])
@pytest.mark.parametrize("m,n,k", SHAPES, ids=[f"{m}x{n}x{k}" for m, n, k in SHAPES])
def test_matmul_matches_float64(m, n, k, trans_a, trans_b, dtype):
    rng = np.random.default_rng([m, n, k])
    a, b = operands(rng, m, n, k, trans_a, trans_b, dtype)
    c = fm.ops.matmul(a, b, trans_a=trans_a, trans_b=trans_b)
    assert c.dtype == dtype and c.shape == (m, n) and c.flags.c_contiguous
    assert_gemm_close(c, *reference(a, b, trans_a, trans_b), k, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES, ids=["NN", "NT", "TN", "TT"])
@pytest.mark.parametrize("alpha,beta", [(2.5, 0.0), (1.0, 1.0), (-0.5, 0.75), (0.0, -2.0)])
@pytest.mark.parametrize(
    "m,n,k",
    [
        (1, 9, 100),
        (7, 33, 31),
        (150, 37, 300),
        (45, 34, 300),
        (13, 5, 7),
        (50, 10, 10),
        (1, 70, 20),
        (70, 1, 20),
    ],
)
def test_alpha_beta_accumulate_into_out(m, n, k, alpha, beta, trans_a, trans_b, dtype):
    rng = np.random.default_rng([m, n, k, 1])
    a, b = operands(rng, m, n, k, trans_a, trans_b, dtype)
    c = rng.standard_normal((m, n)).astype(dtype)
    exact, scale = reference(a, b, trans_a, trans_b, alpha, beta, c)
    result = fm.ops.matmul(a, b, trans_a=trans_a, trans_b=trans_b, alpha=alpha, beta=beta, out=c)
    assert result is c
    assert_gemm_close(c, exact, scale, k, dtype)


def test_beta_zero_ignores_nan_in_out():
    # BLAS semantics: with beta = 0 the old contents of C are not read, NaN included.
    a = np.ones((3, 4), np.float32)
    out = np.full((3, 5), np.nan, np.float32)
    fm.ops.matmul(a, np.ones((4, 5), np.float32), out=out)
    assert np.array_equal(out, np.full((3, 5), 4.0, np.float32))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES, ids=["NN", "NT", "TN", "TT"])
@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (5, 7, 11), (13, 31, 65), (29, 47, 257)])
def test_reference_kernel_matches_float64(m, n, k, trans_a, trans_b, dtype):
    # The plain-loop kernel kept for tests is itself checked, so agreeing with it means much.
    rng = np.random.default_rng([m, n, k, 2])
    a, b = operands(rng, m, n, k, trans_a, trans_b, dtype)
    c = _core.gemm_reference(a, b, trans_a=trans_a, trans_b=trans_b)
    assert_gemm_close(c, *reference(a, b, trans_a, trans_b), k, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("m,n,k", [(0, 3, 4), (3, 0, 4), (0, 0, 0), (3, 4, 0)])
def test_empty_dimensions_give_numpy_shapes(m, n, k, dtype):
    a, b = np.ones((m, k), dtype), np.ones((k, n), dtype)
    c = fm.ops.matmul(a, b)
    assert c.shape == (m, n) and c.dtype == dtype
    assert np.array_equal(c, a @ b)  # k = 0: zeros, as numpy


def test_empty_k_scales_out_by_beta():
    out = np.full((2, 3), 4.0)
    fm.ops.matmul(np.ones((2, 0)), np.ones((0, 3)), beta=0.5, out=out)
    assert np.array_equal(out, np.full((2, 3), 2.0))


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda a: a.tolist(), id="list"),
        pytest.param(lambda a: np.asfortranarray(a), id="fortran"),
        pytest.param(lambda a: np.repeat(a, 2, axis=1)[:, ::2], id="strided"),
        pytest.param(lambda a: a[::-1][::-1], id="reversed-view"),
        pytest.param(lambda a: a.astype(np.int64), id="int64"),
        pytest.param(lambda a: a.astype(np.float16), id="float16"),
    ],
)
def test_other_layouts_and_dtypes_convert_as_numpy_does(make):
    a = np.arange(12.0).reshape(3, 4) - 5
    b = np.arange(20.0).reshape(4, 5) / 7
    a_in = make(a)
    c = fm.ops.matmul(a_in, b.astype(np.float32))
    expected_dtype = np.result_type(np.asarray(a_in), np.float32)
    assert c.dtype == expected_dtype
    np.testing.assert_allclose(c, np.asarray(a_in, np.float64) @ b, rtol=1e-3)


def test_mixed_float_inputs_compute_in_float64():
    c = fm.ops.matmul(np.ones((2, 3), np.float32), np.ones((3, 2), np.float64))
    assert c.dtype == np.float64


def test_non_finite_values_propagate():
    a = np.array([[1.0, np.nan], [1.0, 1.0], [np.inf, 0.0]], np.float32)
    b = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    with np.errstate(invalid="ignore"):
        expected = a @ b
    np.testing.assert_array_equal(fm.ops.matmul(a, b), expected)

"""The GEMM that skips A's zeros (gemm_sparse.hpp, through _core.matmul_sparse_a and
linear_sparse_x): bitwise the dense product's result, and within the float64 reference's
error bound.

A holds exact zeros in shares either side of the 0.58 above which the kernels stay dense;
shapes reach past a row's widest column block (8 vectors), across the k block of 256, and to
fewer columns than the sparse path takes (it must then leave the product to the tiles).
tests/test_isa.py runs this file under each ISA the CPU has (AVX2 never skips zeros).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_gemm import assert_gemm_close, reference

import fastmlp as fm
from fastmlp import _core

DTYPES = (np.float32, np.float64)

# (m, n, k): a 250-row chunk through 100→100, 75→75 and 63→63 layers; n over one column
# block of 8 vectors (129, 300); k past 256 (257, 300); a row tile's edge (37); n below the
# four vectors the sparse path needs (10, 40); one row.
SHAPES = [
    (250, 100, 100),
    (250, 75, 75),
    (250, 63, 63),
    (37, 49, 300),
    (300, 129, 257),
    (65, 300, 40),
    (5, 200, 17),
    (64, 64, 513),
    (250, 10, 100),
    (33, 40, 100),
    (1, 100, 100),
]
NONZERO_SHARES = (0.0, 0.1, 0.5, 0.9)


def sparse_operands(rng, m, n, k, share, trans_b, dtype):
    a = rng.standard_normal((m, k)).astype(dtype)
    a[rng.random((m, k)) >= share] = 0
    b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype)
    return a, b


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("trans_b", (False, True), ids=["N", "T"])
@pytest.mark.parametrize("share", NONZERO_SHARES)
@pytest.mark.parametrize("m,n,k", SHAPES)
def test_skipping_zeros_gives_the_dense_result(m, n, k, share, trans_b, dtype):
    rng = np.random.default_rng(m * 7 + n * 11 + k)
    a, b = sparse_operands(rng, m, n, k, share, trans_b, dtype)
    c = rng.standard_normal((m, n)).astype(dtype)
    for alpha, beta in ((1.0, 0.0), (1.5, 1.0), (-0.5, 0.7)):
        dense, sparse = c.copy(), c.copy()
        fm.ops.matmul(a, b, trans_b=trans_b, alpha=alpha, beta=beta, out=dense)
        _core.matmul_sparse_a(a, b, trans_b=trans_b, alpha=alpha, beta=beta, out=sparse)
        # Bitwise for beta 0 and 1, the network's. With another beta, where the dense path
        # computes Cᵀ it adds beta·C in C++ that GCC fuses into an FMA at -O2 and up but not
        # at the sanitizer build's -O1: one rounding more there.
        if beta in (0.0, 1.0):
            np.testing.assert_array_equal(sparse, dense)
        exact, scale = reference(a, b, False, trans_b, alpha, beta, c)
        assert_gemm_close(sparse, exact, scale, k, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_the_same_bits_on_one_and_two_threads(dtype):
    rng = np.random.default_rng(1)
    a, b = sparse_operands(rng, 4000, 100, 100, 0.5, True, dtype)
    before = fm.get_num_threads()
    try:
        results = []
        for threads in (1, 2):
            fm.set_num_threads(threads)
            results.append(_core.matmul_sparse_a(a, b, trans_b=True))
    finally:
        fm.set_num_threads(before)
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], fm.ops.matmul(a, b, trans_b=True))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_non_finite_values_propagate_as_in_the_dense_product(dtype):
    rng = np.random.default_rng(2)
    a, b = sparse_operands(rng, 250, 100, 100, 0.5, False, dtype)
    a[3, 5] = np.nan  # NaN is not zero: its row is NaN
    a[7, :] = -0.0  # a row of negative zeros sums to +0 (but for the inf below)
    zero_at = int(np.flatnonzero(a[10] == 0)[0])
    b[zero_at, 4] = np.inf  # 0·inf is NaN in every row with a zero there: no skipping then
    with np.errstate(invalid="ignore"):
        dense = fm.ops.matmul(a, b)
        sparse = _core.matmul_sparse_a(a, b)
    np.testing.assert_array_equal(sparse, dense)
    assert np.isnan(sparse[3]).all()
    assert np.isnan(sparse[10, 4]) and np.isnan(sparse[7, 4])
    assert not np.signbit(np.delete(sparse[7], 4)).any()


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("activation", ["identity", "relu", "tanh"])
@pytest.mark.parametrize("with_bias", (False, True), ids=["", "bias"])
def test_the_fused_bias_and_activation_as_in_the_dense_layer(with_bias, activation, dtype):
    rng = np.random.default_rng(3)
    x, weight = sparse_operands(rng, 250, 100, 300, 0.4, True, dtype)
    bias = rng.standard_normal(100).astype(dtype) if with_bias else None
    kind = getattr(_core.Activation, activation)
    dense = _core.linear(x, weight, bias, kind, 0.0, None)
    sparse = _core.linear_sparse_x(x, weight, bias, kind, 0.0, None)
    np.testing.assert_array_equal(sparse, dense)
    exact = x.astype(np.float64) @ weight.T.astype(np.float64)
    exact += 0.0 if bias is None else bias
    expected = {"identity": exact, "relu": np.maximum(exact, 0), "tanh": np.tanh(exact)}
    np.testing.assert_allclose(sparse, expected[activation], rtol=1e-4, atol=1e-4)

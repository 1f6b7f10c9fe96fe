"""Losses and the bias and weight gradients against float64 references, central differences and
PyTorch; stability for huge logits; bad input gets a clear TypeError/ValueError."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastmlp as fm

DTYPES = (np.float32, np.float64)
DTYPE_IDS = ("f32", "f64")
EPS64 = np.finfo(np.float64).eps


def least_squares_reference(pred, target, reduction):
    diff = pred.astype(np.float64) - target.astype(np.float64)
    scale = 1 / diff.size if reduction == "mean" else 1.0
    return float(np.sum(diff * diff)) * scale, 2 * diff * scale


def softmax_ce_reference(logits, labels, reduction):
    z = logits.astype(np.float64)
    shifted = z - z.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(z.shape[0])
    scale = 1 / z.shape[0] if reduction == "mean" else 1.0
    grad = np.exp(log_softmax)
    grad[rows, labels] -= 1
    return float(-log_softmax[rows, labels].sum()) * scale, grad * scale


# ---------------------------------------------------------------------------------------
# least_squares
# ---------------------------------------------------------------------------------------
LS_SHAPES = [(1,), (7,), (1, 1), (5, 3), (3, 17), (4000, 10)]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("shape", LS_SHAPES, ids=str)
def test_least_squares_matches_float64_reference(shape, reduction, dtype):
    rng = np.random.default_rng([*shape, DTYPES.index(dtype)])
    pred = rng.standard_normal(shape).astype(dtype)
    target = rng.standard_normal(shape).astype(dtype)
    loss, grad = fm.ops.least_squares(pred, target, reduction)
    expected_loss, expected_grad = least_squares_reference(pred, target, reduction)
    assert isinstance(loss, float)
    assert grad.shape == shape and grad.dtype == dtype
    # Each difference is rounded once in the working precision (u = eps/2), squared in
    # float64 (relative error ≤ 2u per term), and the n terms are summed in float64 (in
    # order, or in four interleaved sums: ≤ n·eps64 relative either way, Higham §4.2). The
    # gradient T(2·scale)·diff: ≤ 1.5 eps.
    eps = np.finfo(dtype).eps
    assert abs(loss - expected_loss) <= (2 * eps + pred.size * EPS64) * expected_loss
    assert np.all(np.abs(grad - expected_grad) <= 2 * eps * np.abs(expected_grad))


def test_least_squares_mean_is_sum_over_number_of_elements():
    rng = np.random.default_rng(0)
    pred, target = rng.standard_normal((6, 4)), rng.standard_normal((6, 4))
    mean, dmean = fm.ops.least_squares(pred, target)  # "mean" is the default
    total, dtotal = fm.ops.least_squares(pred, target, "sum")
    assert mean == pytest.approx(total / 24, rel=4 * EPS64)
    np.testing.assert_allclose(dmean, dtotal / 24, rtol=4 * EPS64)
    assert total == pytest.approx(np.sum((pred - target) ** 2), rel=32 * EPS64)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("shape", [(1,), (7,), (1, 1), (5, 3)], ids=str)
def test_least_squares_gradient_matches_central_differences(shape, reduction):
    rng = np.random.default_rng(len(shape) * 10 + shape[0])
    pred, target = rng.standard_normal(shape), rng.standard_normal(shape)
    _, grad = fm.ops.least_squares(pred, target, reduction)
    h = 1e-6
    numeric = np.zeros(shape)
    for index in np.ndindex(shape):
        step = np.zeros(shape)
        step[index] = h
        up = fm.ops.least_squares(pred + step, target, reduction)[0]
        down = fm.ops.least_squares(pred - step, target, reduction)[0]
        numeric[index] = (up - down) / (2 * h)
    # The loss is quadratic: the central difference is exact up to rounding, eps·loss/h.
    np.testing.assert_allclose(grad, numeric, rtol=1e-7, atol=1e-8)


def test_least_squares_promotes_inputs():
    loss, grad = fm.ops.least_squares(np.array([1.0, 2.0], np.float32), np.array([0, 0]))
    assert grad.dtype == np.float64 and loss == 2.5
    loss, grad = fm.ops.least_squares([[1, 2], [3, 4]], [[1, 1], [1, 1]], "sum")
    assert grad.dtype == np.float64 and loss == 14.0
    np.testing.assert_array_equal(grad, [[0, 2], [4, 6]])
    _, grad = fm.ops.least_squares(np.ones(3, np.float32), np.zeros(3, np.int8))
    assert grad.dtype == np.float32


@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0)], ids=str)
def test_least_squares_sum_over_no_elements_is_zero(shape):
    loss, grad = fm.ops.least_squares(np.zeros(shape), np.zeros(shape), "sum")
    assert loss == 0.0 and grad.shape == shape


@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0)], ids=str)
def test_least_squares_mean_over_no_elements_is_an_error(shape):
    with pytest.raises(ValueError, match="least_squares: the mean over 0 elements is undefined"):
        fm.ops.least_squares(np.zeros(shape), np.zeros(shape))


def test_least_squares_bad_input():
    with pytest.raises(ValueError, match=r"target must have the shape of pred \(3,\), got \(4,\)"):
        fm.ops.least_squares(np.zeros(3), np.zeros(4))
    with pytest.raises(
        ValueError, match=r"target must have the shape of pred \(3, 1\), got \(3,\)"
    ):
        fm.ops.least_squares(np.zeros((3, 1)), np.zeros(3))
    with pytest.raises(ValueError, match=r"least_squares: pred must be 1-D or 2-D, got shape"):
        fm.ops.least_squares(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)))
    for reduction in ("none", "Mean", "avg"):
        with pytest.raises(
            ValueError, match=f"reduction must be 'mean' or 'sum', got '{reduction}'"
        ):
            fm.ops.least_squares(np.zeros(3), np.zeros(3), reduction)
    with pytest.raises(TypeError, match="least_squares: target must hold real numbers"):
        fm.ops.least_squares(np.zeros(3), np.zeros(3, complex))


@pytest.mark.parametrize("value", [3.0, np.float64(3.0), np.array(3.0)], ids=repr)
def test_least_squares_rejects_scalars(value):
    with pytest.raises(ValueError, match="least_squares: pred must be 1-D or 2-D, got shape"):
        fm.ops.least_squares(value, value)


# ---------------------------------------------------------------------------------------
# softmax_cross_entropy
# ---------------------------------------------------------------------------------------
# Rows and classes on both sides of the kernel's 16-row blocks, its vector widths (8, 16)
# and its 256-class limit for blocks turned class-major.
CE_SHAPES = [
    (1, 1), (1, 5), (5, 3), (7, 17), (31, 9), (17, 16), (33, 32), (16, 33), (4000, 10), (3, 1000),
    (19, 100), (17, 256), (18, 257),
]  # fmt: skip


def assert_ce_close(loss, grad, expected_loss, expected_grad, logits, reduction, factor=1):
    # The kernel shifts by the row max and exponentiates in the working precision: an
    # error of u·|z − max| in the exponent's argument is a relative error of the same
    # size in p = e^{−d}/S, at most u·max(d·e^{−d}) ≤ u/e absolute, so every gradient entry
    # is within a few eps·scale. The loss adds the float64 log-sum-exp, whose rounding is
    # relative to |max z| + |z_label|: per row ≤ 8·eps·(1 + max |z|)·scale.
    m = logits.shape[0]
    eps = np.finfo(logits.dtype).eps
    scale = 1 / m if reduction == "mean" else 1.0
    z = np.abs(logits.astype(np.float64))
    loss_bound = factor * 8 * eps * scale * np.sum(1 + z.max(axis=1))
    assert abs(loss - expected_loss) <= loss_bound
    assert np.all(np.abs(grad - expected_grad) <= factor * 8 * eps * scale)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("shape", CE_SHAPES, ids=str)
def test_softmax_cross_entropy_matches_float64_reference(shape, reduction, dtype):
    rng = np.random.default_rng([*shape, DTYPES.index(dtype)])
    logits = (rng.standard_normal(shape) * 5).astype(dtype)
    labels = rng.integers(0, shape[1], shape[0])
    loss, grad = fm.ops.softmax_cross_entropy(logits, labels, reduction)
    assert isinstance(loss, float)
    assert grad.shape == shape and grad.dtype == dtype
    expected_loss, expected_grad = softmax_ce_reference(logits, labels, reduction)
    assert_ce_close(loss, grad, expected_loss, expected_grad, logits, reduction)
    # softmax − one-hot: every row of the gradient sums to 0
    scale = 1 / shape[0] if reduction == "mean" else 1.0
    row_sums = grad.astype(np.float64).sum(axis=1)
    assert np.all(np.abs(row_sums) <= 4 * np.finfo(dtype).eps * scale * shape[1])


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("shape", [(1, 1), (1, 4), (5, 3), (4, 7)], ids=str)
def test_softmax_cross_entropy_gradient_matches_central_differences(shape, reduction):
    rng = np.random.default_rng(shape[0] * 100 + shape[1])
    logits, labels = rng.standard_normal(shape) * 2, rng.integers(0, shape[1], shape[0])
    _, grad = fm.ops.softmax_cross_entropy(logits, labels, reduction)
    h = 1e-6
    numeric = np.zeros(shape)
    for index in np.ndindex(shape):
        step = np.zeros(shape)
        step[index] = h
        up = fm.ops.softmax_cross_entropy(logits + step, labels, reduction)[0]
        down = fm.ops.softmax_cross_entropy(logits - step, labels, reduction)[0]
        numeric[index] = (up - down) / (2 * h)
    # truncation h²/6·|f'''| ≲ 1e-13, rounding eps·|loss|/h ≲ 1e-9
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_softmax_probabilities_are_accurate_over_the_whole_exponent_range(dtype):
    # Rows (0, x) for x every 2^-10 from −100 to 0: the probability of the second class,
    # e^x / (1 + e^x), exercises the float32 kernel's own e^x at every exponent it sees
    # (2 ulp), plus the scaling's two roundings; below e^-87.3 (< 2^-125) it returns 0.
    x = -np.arange(0, 100 * 1024 + 1, dtype=np.float64) / 1024
    logits = np.stack([np.zeros_like(x), x], axis=1).astype(dtype)
    _, grad = fm.ops.softmax_cross_entropy(logits, np.zeros(x.size, np.int64), "sum")
    exact = np.exp(x) / (1 + np.exp(x))
    tiny = 2.0**-125 if dtype == np.float32 else 0.0
    error = np.abs(grad[:, 1].astype(np.float64) - exact)
    assert np.all(error <= 4 * np.finfo(dtype).eps * exact + tiny)
    # Probabilities never rise as x falls, and −inf gives exactly 0.
    assert np.all(np.diff(grad[:, 1].astype(np.float64)) <= 0)
    _, grad = fm.ops.softmax_cross_entropy(np.array([[0, -np.inf]], dtype), np.array([0]), "sum")
    assert grad[0, 1] == 0


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("classes", [3, 300])  # both sides of softmax_max_classes
def test_softmax_cross_entropy_non_finite_logits_make_their_row_nan(classes, dtype):
    # A diverged net's logits: NaN, or +inf (whose shift by the row's max is inf − inf).
    # Their rows' gradients and the loss are NaN, never a finite-looking number; the other
    # rows, in the same blocks of rows, are untouched.
    logits = np.random.default_rng(0).normal(size=(20, classes)).astype(dtype)
    labels = np.arange(20) % classes
    expected_loss, expected_grad = softmax_ce_reference(logits, labels, "sum")
    logits[3, 1], logits[17, 0] = np.nan, np.inf
    loss, grad = fm.ops.softmax_cross_entropy(logits, labels, "sum")
    assert math.isnan(loss)
    assert np.all(np.isnan(grad[[3, 17]]))
    finite = np.setdiff1d(np.arange(20), [3, 17])
    tolerance = 4 * np.finfo(dtype).eps
    np.testing.assert_allclose(grad[finite], expected_grad[finite], rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_softmax_cross_entropy_is_stable_for_huge_logits(reduction, dtype):
    logits = np.array(
        [
            [1e4, -1e4, 0.0],  # label −1e4: loss 2e4
            [-1e4, -1e4, -1e4],  # uniform: log 3
            [1e4, 1e4 - 1, 1e4 - 2],  # log(1 + e⁻¹ + e⁻²)
            [-1e4, 1e4, 1e4],  # log 2
        ],
        dtype,
    )
    labels = np.array([1, 2, 0, 2])
    loss, grad = fm.ops.softmax_cross_entropy(logits, labels, reduction)
    assert math.isfinite(loss) and np.all(np.isfinite(grad))
    scale = 0.25 if reduction == "mean" else 1.0
    exact = 2e4 + math.log(3) + math.log1p(math.exp(-1) + math.exp(-2)) + math.log(2)
    assert loss == pytest.approx(exact * scale, rel=1e-12)
    expected_loss, expected_grad = softmax_ce_reference(logits, labels, reduction)
    assert_ce_close(loss, grad, expected_loss, expected_grad, logits, reduction)
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=4 * np.finfo(dtype).eps)
    third = 1 / 3
    np.testing.assert_allclose(grad[0], np.array([1, -1, 0]) * scale, atol=1e-7)
    np.testing.assert_allclose(grad[1], np.array([third, third, third - 1]) * scale, rtol=1e-6)
    np.testing.assert_allclose(grad[3], np.array([0, 0.5, -0.5]) * scale, atol=1e-7)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("shape", [(1, 1), (64, 10), (300, 33)], ids=str)
def test_softmax_cross_entropy_matches_pytorch(torch, shape, reduction, dtype):
    rng = np.random.default_rng(shape)
    logits = (rng.standard_normal(shape) * 4).astype(dtype)
    logits[0, 0] = 50  # a confident row
    labels = rng.integers(0, shape[1], shape[0])
    t = torch.from_numpy(logits.copy()).requires_grad_()
    expected = torch.nn.functional.cross_entropy(t, torch.from_numpy(labels), reduction=reduction)
    expected.backward()
    loss, grad = fm.ops.softmax_cross_entropy(logits, labels, reduction)
    # torch computes the loss in the working precision; both are within the bound of
    # assert_ce_close of the exact value, so within twice it of each other.
    assert_ce_close(loss, grad, expected.item(), t.grad.numpy(), logits, reduction, factor=2)


def test_softmax_cross_entropy_label_types():
    logits = np.random.default_rng(5).standard_normal((3, 4))
    expected = fm.ops.softmax_cross_entropy(logits, np.array([0, 3, 1]))
    for labels in ([0, 3, 1], np.array([0, 3, 1], np.int8), np.array([0, 3, 1], np.uint64)):
        loss, grad = fm.ops.softmax_cross_entropy(logits, labels)
        assert loss == expected[0]
        np.testing.assert_array_equal(grad, expected[1])
    strided = np.array([0, 9, 3, 9, 1])[::2]  # a non-contiguous view
    assert fm.ops.softmax_cross_entropy(logits, strided)[0] == expected[0]


def test_softmax_cross_entropy_promotes_integer_logits():
    loss, grad = fm.ops.softmax_cross_entropy(np.array([[0, 0]]), np.array([1]))
    assert grad.dtype == np.float64 and loss == pytest.approx(math.log(2), rel=4 * EPS64)


@pytest.mark.parametrize(
    "labels,match",
    [
        ([0, -1, 1], r"labels\[1\] = -1 is not a class index in \[0, 4\)"),
        ([0, 1, 4], r"labels\[2\] = 4 is not a class index in \[0, 4\)"),
        ([5, 1, 2], r"labels\[0\] = 5 is not a class index in \[0, 4\)"),
        ([0, 2**40, 1], r"labels\[1\] = 1099511627776 is not a class index"),
        (np.array([0, 1, 2**63], np.uint64), r"label 9223372036854775808 is not a class index"),
        (np.array([0, 1, 2**63], ">u8"), r"label 9223372036854775808 is not a class index"),
    ],
    ids=["negative", "n_classes", "first", "huge", "uint64-wraps", "big-endian-uint64"],
)
def test_softmax_cross_entropy_rejects_labels_out_of_range(labels, match):
    logits = np.zeros((3, 4))
    with pytest.raises(ValueError, match=match):
        fm.ops.softmax_cross_entropy(logits, np.asarray(labels))
    with pytest.raises(ValueError, match=match):
        fm.ops.softmax_cross_entropy(logits.astype(np.float32), np.asarray(labels), "sum")


@pytest.mark.parametrize(
    "labels",
    [np.array([0.0, 1.0]), np.array([True, False]), np.array(["0", "1"]), [0.5, 1.0]],
    ids=["float", "bool", "str", "list-of-float"],
)
def test_softmax_cross_entropy_non_integer_labels_are_a_type_error(labels):
    with pytest.raises(TypeError, match="softmax_cross_entropy: labels must be integers"):
        fm.ops.softmax_cross_entropy(np.zeros((2, 3)), labels)


@pytest.mark.parametrize(
    "labels,got",
    [([0, 1, 2], r"\(3,\)"), ([0], r"\(1,\)"), ([[0, 1]], r"\(1, 2\)"), (0, r"\(\)")],
    ids=["long", "short", "2-D", "scalar"],
)
def test_softmax_cross_entropy_label_length_must_match(labels, got):
    with pytest.raises(ValueError, match=r"labels must have shape \(2,\) .*got " + got):
        fm.ops.softmax_cross_entropy(np.zeros((2, 3)), labels)


def test_softmax_cross_entropy_over_no_samples():
    with pytest.raises(ValueError, match="the mean over 0 elements is undefined"):
        fm.ops.softmax_cross_entropy(np.zeros((0, 3)), np.zeros(0, np.int64))
    loss, grad = fm.ops.softmax_cross_entropy(np.zeros((0, 3)), np.zeros(0, np.int64), "sum")
    assert loss == 0.0 and grad.shape == (0, 3)
    loss, grad = fm.ops.softmax_cross_entropy(np.zeros((0, 3)), [], "sum")  # [] is float64
    assert loss == 0.0 and grad.shape == (0, 3)


def test_softmax_cross_entropy_bad_input():
    labels = np.array([0, 1])
    for reduction in ("none", "SUM", ""):
        with pytest.raises(
            ValueError, match=f"reduction must be 'mean' or 'sum', got '{reduction}'"
        ):
            fm.ops.softmax_cross_entropy(np.zeros((2, 3)), labels, reduction)
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: logits must be 2-D, got shape"):
        fm.ops.softmax_cross_entropy(np.zeros(3), np.array([0]))
    with pytest.raises(ValueError, match="logits must have at least one class column"):
        fm.ops.softmax_cross_entropy(np.zeros((2, 0)), labels)
    with pytest.raises(TypeError, match="softmax_cross_entropy: logits must hold real numbers"):
        fm.ops.softmax_cross_entropy(np.zeros((2, 3), complex), labels)


# ---------------------------------------------------------------------------------------
# bias_gradient
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
# wider than eight vectors of columns: (9, 200), (4000, 150); split between threads: 4000 rows
@pytest.mark.parametrize(
    "shape",
    [(0, 5), (0, 0), (1, 1), (1, 7), (3, 1), (33, 17), (50, 63), (9, 200), (4000, 31), (4000, 150)],
)
def test_bias_gradient_is_column_sums(shape, dtype):
    dy = np.random.default_rng(shape).standard_normal(shape).astype(dtype)
    db = fm.ops.bias_gradient(dy)
    assert db.shape == (shape[1],) and db.dtype == dtype
    expected = dy.astype(np.float64).sum(axis=0)
    # m terms summed in order in the working precision: ≤ (m − 1)·u·Σ|terms| (Higham §4.2)
    bound = shape[0] * np.finfo(dtype).eps / 2 * np.abs(dy.astype(np.float64)).sum(axis=0)
    assert np.all(np.abs(db - expected) <= bound)
    if shape[0] <= 1:  # zeros for no rows, the row itself for one
        np.testing.assert_array_equal(db, dy.sum(axis=0))


def test_bias_gradient_bad_input_and_promotion():
    assert fm.ops.bias_gradient(np.ones((2, 3), np.int64)).dtype == np.float64
    np.testing.assert_array_equal(fm.ops.bias_gradient([[1, 2], [3, 4]]), [4, 6])
    with pytest.raises(ValueError, match=r"bias_gradient: dy must be 2-D, got shape \(5,\)"):
        fm.ops.bias_gradient(np.ones(5))
    with pytest.raises(ValueError, match=r"bias_gradient: dy must be 2-D, got shape \(2, 3, 4\)"):
        fm.ops.bias_gradient(np.ones((2, 3, 4)))


# ---------------------------------------------------------------------------------------
# weight_gradient
# ---------------------------------------------------------------------------------------
# Row counts around the chunks the kernel sums in (256 rows, or a 16th of the batch), widths
# around the vector lengths and zero; the last three large enough for two threads.
WEIGHT_GRADIENT_SHAPES = [
    (0, 3, 2),
    (1, 1, 1),
    (7, 3, 5),
    (255, 10, 40),
    (256, 17, 9),
    (257, 1, 33),
    (300, 0, 5),
    (300, 5, 0),
    (5000, 3, 7),
    (513, 64, 64),
    (1000, 100, 40),
    (4000, 10, 298),
]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("rows,out,inputs", WEIGHT_GRADIENT_SHAPES, ids=str)
def test_weight_gradient_against_float64(rows, out, inputs, dtype, threads):
    rng = np.random.default_rng([rows, out, inputs])
    delta = rng.standard_normal((rows, out)).astype(dtype)
    x = rng.standard_normal((rows, inputs)).astype(dtype)
    before = fm.get_num_threads()
    try:
        fm.set_num_threads(threads)
        dw, db = fm.ops.weight_gradient(delta, x)
    finally:
        fm.set_num_threads(before)
    assert dw.shape == (out, inputs) and db.shape == (out,)
    assert dw.dtype == dtype and db.dtype == dtype
    d64, x64 = delta.astype(np.float64), x.astype(np.float64)
    # Sums of `rows` terms in any order: error ≤ γ_rows·Σ|terms| (Higham §3.1), γ_n ≈ n·u;
    # in float64 the reference errs as much again.
    u = np.finfo(dtype).eps / 2 * (2.02 if dtype == np.float64 else 1.01)
    assert np.all(np.abs(dw - d64.T @ x64) <= rows * u * (np.abs(d64).T @ np.abs(x64)))
    assert np.all(np.abs(db - d64.sum(axis=0)) <= rows * u * np.abs(d64).sum(axis=0))
    if rows == 0:
        assert not dw.any() and not db.any()


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("rows,out,inputs", WEIGHT_GRADIENT_SHAPES, ids=str)
def test_weight_gradient_into_out_or_added_to_it(rows, out, inputs, dtype, threads):
    rng = np.random.default_rng([rows, out, inputs, 1])
    delta = rng.standard_normal((rows, out)).astype(dtype)
    x = rng.standard_normal((rows, inputs)).astype(dtype)
    held_dw = rng.standard_normal((out, inputs)).astype(dtype)
    held_db = rng.standard_normal(out).astype(dtype)
    held_dw.reshape(-1)[::3] = -0.0  # -0 + (+0) is +0: a zero gradient must still be added
    held_db[::3] = -0.0
    before = fm.get_num_threads()
    try:
        fm.set_num_threads(threads)
        dw, db = fm.ops.weight_gradient(delta, x)
        into = (np.full_like(held_dw, np.nan), np.full_like(held_db, np.nan))
        written = fm.ops.weight_gradient(delta, x, out=into)
        added = (held_dw.copy(), held_db.copy())
        result = fm.ops.weight_gradient(delta, x, out=added, accumulate=True)
    finally:
        fm.set_num_threads(before)
    assert written[0] is into[0] and written[1] is into[1]
    assert result[0] is added[0] and result[1] is added[1]
    assert into[0].tobytes() == dw.tobytes() and into[1].tobytes() == db.tobytes()
    # each sum finished, then added once: the bits of adding the gradient computed apart
    # (5,000 rows: summed in chunks, on two threads too)
    assert added[0].tobytes() == (held_dw + dw).tobytes()
    assert added[1].tobytes() == (held_db + db).tobytes()


def test_weight_gradient_out_checks():
    delta, x = np.ones((4, 3)), np.ones((4, 2))
    dw, db = np.zeros((3, 2)), np.zeros(3)
    with pytest.raises(ValueError, match=r"accumulate=True adds to out=\(dw, db\): pass them"):
        fm.ops.weight_gradient(delta, x, accumulate=True)
    with pytest.raises(TypeError, match="accumulate must be True or False, got str"):
        fm.ops.weight_gradient(delta, x, out=(dw, db), accumulate="no")
    pair = r"out must be a tuple of two arrays \(dw, db\), got "
    with pytest.raises(TypeError, match=pair + "ndarray"):
        fm.ops.weight_gradient(delta, x, out=dw)
    with pytest.raises(TypeError, match=pair + r"\(ndarray\)"):
        fm.ops.weight_gradient(delta, x, out=[dw])
    with pytest.raises(TypeError, match=pair + r"\(ndarray, ndarray, int\)"):
        fm.ops.weight_gradient(delta, x, out=(dw, db, 1))
    # a missing part would be a new array of garbage to add to
    with pytest.raises(TypeError, match=pair + r"\(NoneType, ndarray\)"):
        fm.ops.weight_gradient(delta, x, out=(None, db), accumulate=True)
    with pytest.raises(ValueError, match=r"out\[0\] \(dw\) must have shape \(3, 2\), got \(2, 3\)"):
        fm.ops.weight_gradient(delta, x, out=(np.zeros((2, 3)), db))
    with pytest.raises(TypeError, match=r"out\[1\] \(db\) must have dtype float64"):
        fm.ops.weight_gradient(delta, x, out=(dw, db.astype(np.float32)))
    with pytest.raises(ValueError, match=r"out\[0\] \(dw\) is read-only"):
        read_only = dw.copy()
        read_only.flags.writeable = False
        fm.ops.weight_gradient(delta, x, out=(read_only, db))
    with pytest.raises(ValueError, match=r"out\[1\] \(db\) shares memory with an input"):
        fm.ops.weight_gradient(delta, x, out=(dw, delta[0]))
    shared = np.zeros(9)
    with pytest.raises(ValueError, match="out's dw and db share memory"):
        fm.ops.weight_gradient(delta, x, out=(shared[:6].reshape(3, 2), shared[4:7]))
    fm.ops.weight_gradient(delta, x, out=[dw, db], accumulate=True)  # a list is taken too
    np.testing.assert_array_equal(dw, np.full((3, 2), 4.0))
    np.testing.assert_array_equal(db, [4, 4, 4])


def test_weight_gradient_bad_input_and_promotion():
    dw, db = fm.ops.weight_gradient(np.ones((2, 3), np.int64), np.ones((2, 1), np.float32))
    assert dw.dtype == db.dtype == np.float64
    np.testing.assert_array_equal(dw, np.full((3, 1), 2.0))
    np.testing.assert_array_equal(db, [2, 2, 2])
    with pytest.raises(
        ValueError, match=r"weight_gradient: x must have as many rows as delta \(4, 3\), got shape"
    ):
        fm.ops.weight_gradient(np.ones((4, 3)), np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"weight_gradient: x must be 2-D, got shape \(4,\)"):
        fm.ops.weight_gradient(np.ones((4, 3)), np.ones(4))
    with pytest.raises(TypeError, match="weight_gradient: delta must hold real numbers"):
        fm.ops.weight_gradient(np.ones((4, 3), complex), np.ones((4, 2)))

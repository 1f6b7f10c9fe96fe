"""Losses and the bias gradient against float64 references, finite differences, PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import fastmlp as fm

DTYPES = (np.float32, np.float64)


def tol(dtype):
    # Sums accumulate in float64 inside the kernels; the error is the float32 rounding of
    # each term: a few ulps of the working precision.
    return {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-14}


def softmax_ce_reference(z, labels, reduction):
    z = z.astype(np.float64)
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    scale = 1 / len(labels) if reduction == "mean" else 1.0
    grad = np.exp(log_p)
    grad[rows, labels] -= 1
    return -log_p[rows, labels].sum() * scale, grad * scale


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("shape", [(1,), (7,), (1, 1), (5, 3), (4000, 10)])
def test_least_squares(shape, reduction, dtype):
    rng = np.random.default_rng(shape)
    pred, target = (
        rng.standard_normal(shape).astype(dtype),
        rng.standard_normal(shape).astype(dtype),
    )
    loss, grad = fm.ops.least_squares(pred, target, reduction)
    diff = pred.astype(np.float64) - target
    scale = 1 / diff.size if reduction == "mean" else 1.0
    assert grad.shape == shape and grad.dtype == dtype
    assert loss == pytest.approx((diff**2).sum() * scale, rel=tol(dtype)["rtol"])
    np.testing.assert_allclose(grad, 2 * diff * scale, **tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (4000, 10), (3, 1000)])
def test_softmax_cross_entropy(shape, reduction, dtype):
    rng = np.random.default_rng(shape)
    logits = (rng.standard_normal(shape) * 5).astype(dtype)
    labels = rng.integers(0, shape[1], shape[0])
    loss, grad = fm.ops.softmax_cross_entropy(logits, labels, reduction)
    expected_loss, expected_grad = softmax_ce_reference(logits, labels, reduction)
    assert loss == pytest.approx(expected_loss, rel=tol(dtype)["rtol"])
    np.testing.assert_allclose(grad, expected_grad, **tol(dtype))


def test_softmax_cross_entropy_gradient_matches_central_differences():
    rng = np.random.default_rng(1)
    logits, labels = rng.standard_normal((4, 5)), rng.integers(0, 5, 4)
    _, grad = fm.ops.softmax_cross_entropy(logits, labels)
    h = 1e-6
    numeric = np.zeros_like(logits)
    for index in np.ndindex(logits.shape):
        step = np.zeros_like(logits)
        step[index] = h
        numeric[index] = (
            fm.ops.softmax_cross_entropy(logits + step, labels)[0]
            - fm.ops.softmax_cross_entropy(logits - step, labels)[0]
        ) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_softmax_cross_entropy_is_stable_for_huge_logits(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype)
    loss, grad = fm.ops.softmax_cross_entropy(logits, np.array([1, 2]), "sum")
    assert loss == pytest.approx(2e4 + np.log(3), rel=1e-6)
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_softmax_cross_entropy_matches_pytorch(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    logits = rng.standard_normal((64, 10)).astype(dtype)
    labels = rng.integers(0, 10, 64)
    t = torch.from_numpy(logits.copy()).requires_grad_()
    expected = torch.nn.functional.cross_entropy(t, torch.from_numpy(labels))
    expected.backward()
    loss, grad = fm.ops.softmax_cross_entropy(logits, labels)
    assert loss == pytest.approx(expected.item(), rel=tol(dtype)["rtol"])
    np.testing.assert_allclose(grad, t.grad.numpy(), **tol(dtype))


@pytest.mark.parametrize(
    "labels,error,match",
    [
        (np.array([0, 3]), ValueError, r"labels\[1\] = 3 is not a class index in \[0, 3\)"),
        (np.array([-1, 0]), ValueError, r"labels\[0\] = -1"),
        (np.array([0.0, 1.0]), TypeError, "labels must be integers"),
        (np.array([0, 1, 2]), ValueError, r"labels must have shape \(2,\)"),
    ],
)
def test_softmax_cross_entropy_rejects_bad_labels(labels, error, match):
    with pytest.raises(error, match=match):
        fm.ops.softmax_cross_entropy(np.zeros((2, 3)), labels)


def test_loss_arguments_are_checked():
    with pytest.raises(ValueError, match="mean over 0 elements"):
        fm.ops.softmax_cross_entropy(np.zeros((0, 3)), np.zeros(0, np.int64))
    assert fm.ops.softmax_cross_entropy(np.zeros((0, 3)), np.zeros(0, np.int64), "sum")[0] == 0
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'sum'"):
        fm.ops.least_squares(np.zeros(3), np.zeros(3), "max")
    with pytest.raises(ValueError, match=r"target must have the shape of pred \(3,\)"):
        fm.ops.least_squares(np.zeros(3), np.zeros(4))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("shape", [(0, 5), (1, 7), (33, 17), (4000, 298)])
def test_bias_gradient_is_column_sums(shape, dtype):
    dy = np.random.default_rng(shape).standard_normal(shape).astype(dtype)
    db = fm.ops.bias_gradient(dy)
    assert db.shape == (shape[1],) and db.dtype == dtype
    # Summing m terms in order: error ≤ m·u·Σ|terms| (Higham §3.1).
    bound = shape[0] * np.finfo(dtype).eps * np.abs(dy.astype(np.float64)).sum(axis=0)
    assert np.all(np.abs(db - dy.astype(np.float64).sum(axis=0)) <= bound)

"""Activations, forward and backward, against independent float64 references, finite
differences and PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastmlp as fm

_erf = np.frompyfunc(math.erf, 1, 1)


def _sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


def _gelu_tanh_inner(x):
    return math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)


# name -> (f, f') in float64; leaky_relu and elu at their default parameters.
REFERENCE = {
    "identity": (lambda x: x, lambda x: np.ones_like(x)),
    "relu": (lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float)),
    "leaky_relu": (lambda x: np.where(x > 0, x, 0.01 * x), lambda x: np.where(x > 0, 1, 0.01)),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "elu": (
        lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
        lambda x: np.where(x > 0, 1, np.exp(np.minimum(x, 0))),
    ),
    "gelu": (
        lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)).astype(float)),
        lambda x: (
            0.5 * (1 + _erf(x / math.sqrt(2)).astype(float))
            + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        ),
    ),
    "gelu_tanh": (
        lambda x: 0.5 * x * (1 + np.tanh(_gelu_tanh_inner(x))),
        lambda x: (
            0.5 * (1 + np.tanh(_gelu_tanh_inner(x)))
            + 0.5
            * x
            * (1 - np.tanh(_gelu_tanh_inner(x)) ** 2)
            * math.sqrt(2 / math.pi)
            * (1 + 3 * 0.044715 * x * x)
        ),
    ),
    "silu": (lambda x: x * _sigmoid(x), lambda x: _sigmoid(x) * (1 + x * (1 - _sigmoid(x)))),
    "softplus": (lambda x: np.logaddexp(0, x), _sigmoid),
}
DTYPES = (np.float32, np.float64)
# Lengths around SIMD widths (4/8/16 lanes) and the 2^15 threading threshold.
LENGTHS = (0, 1, 7, 15, 16, 17, 31, 33, 65, 1000, 40000)


def inputs(n, dtype):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n) * 4
    x[: min(n, 6)] = [0.0, -0.0, 30.0, -30.0, 100.0, -100.0][: min(n, 6)]
    return x.astype(dtype)


def assert_close(actual, expected, x, dtype):
    # Each kernel evaluates its formula in the working precision with libm calls of ≤ 1 ulp:
    # a few ulps of the result, plus terms of size ~|x| that cancel (1 + tanh(u) for GELU's
    # tail, x·(1 − σ) for SiLU) and leave an absolute error of a few ulps of |x|.
    eps = np.finfo(dtype).eps
    bound = 16 * eps * (np.abs(expected) + 1 + np.abs(x.astype(np.float64)))
    error = np.abs(actual.astype(np.float64) - expected)
    assert np.all(error <= bound), f"max error/bound {np.max(error / bound)}"


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("name", fm.ops.ACTIVATIONS)
def test_forward_and_backward_match_float64(name, n, dtype):
    x = inputs(n, dtype)
    dy = np.random.default_rng(n + 1).standard_normal(n).astype(dtype)
    f, df = REFERENCE[name]
    x64 = x.astype(np.float64)
    y = getattr(fm.ops, name)(x)
    dx = getattr(fm.ops, name + "_backward")(x, dy)
    assert y.dtype == dx.dtype == dtype and y.shape == dx.shape == x.shape
    assert_close(y, f(x64), x, dtype)
    assert_close(dx, dy * df(x64), x, dtype)


@pytest.mark.parametrize("name", fm.ops.ACTIVATIONS)
def test_backward_matches_central_differences(name):
    x = np.random.default_rng(0).standard_normal(200) * 3
    x = x[np.abs(x) > 1e-3]  # away from the kinks of relu, leaky_relu and elu
    h = 1e-6
    forward = getattr(fm.ops, name)
    numeric = (forward(x + h) - forward(x - h)) / (2 * h)
    np.testing.assert_allclose(
        getattr(fm.ops, name + "_backward")(x, np.ones_like(x)), numeric, rtol=1e-7, atol=1e-8
    )


@pytest.mark.parametrize("name", fm.ops.ACTIVATIONS)
def test_nan_propagates_and_shapes_are_kept(name):
    x = np.array([[np.nan, 1.0], [-1.0, 2.0], [0.5, -0.5]], np.float32)
    y = getattr(fm.ops, name)(x)
    assert y.shape == (3, 2) and np.isnan(y[0, 0]) and np.all(np.isfinite(y.ravel()[1:]))
    assert getattr(fm.ops, name)(np.ones((2, 3, 4))).shape == (2, 3, 4)


TORCH = {
    "relu": lambda F, t: F.relu(t),
    "leaky_relu": lambda F, t: F.leaky_relu(t, 0.01),
    "sigmoid": lambda F, t: F.sigmoid(t),
    "tanh": lambda F, t: F.tanh(t),
    "elu": lambda F, t: F.elu(t),
    "gelu": lambda F, t: F.gelu(t),
    "gelu_tanh": lambda F, t: F.gelu(t, approximate="tanh"),
    "silu": lambda F, t: F.silu(t),
    "softplus": lambda F, t: F.softplus(t),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("name", sorted(TORCH))
def test_matches_pytorch(name, dtype):
    torch = pytest.importorskip("torch")
    x = inputs(1000, dtype)
    dy = np.random.default_rng(2).standard_normal(1000).astype(dtype)
    t = torch.from_numpy(x.copy()).requires_grad_()
    out = TORCH[name](torch.nn.functional, t)
    out.backward(torch.from_numpy(dy))
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-14}
    np.testing.assert_allclose(getattr(fm.ops, name)(x), out.detach().numpy(), **tol)
    np.testing.assert_allclose(getattr(fm.ops, name + "_backward")(x, dy), t.grad.numpy(), **tol)


def test_parameters_dtypes_and_out():
    x = np.array([-2.0, 3.0])
    np.testing.assert_array_equal(fm.ops.leaky_relu(x, 0.5), [-1.0, 3.0])
    np.testing.assert_allclose(fm.ops.elu(x, 2.0), [2 * np.expm1(-2.0), 3.0])
    with pytest.raises(TypeError, match="too many arguments"):
        fm.ops.relu(x, 0.5)
    assert fm.ops.relu(np.array([1, -2], np.int64)).dtype == np.float64
    assert fm.ops.relu(np.array([1, -2], np.int8)).dtype == np.float32
    assert fm.ops.relu([1, -2]).dtype == np.float64
    out = np.empty(2)
    assert fm.ops.tanh(x, out=out) is out
    np.testing.assert_allclose(out, np.tanh(x))
    with pytest.raises(ValueError, match="dy must have the shape of x"):
        fm.ops.relu_backward(x, np.ones(3))
    with pytest.raises(TypeError, match="must hold real numbers"):
        fm.ops.relu(np.ones(2, complex))

"""Bad input to fastmlp.ops gets a TypeError/ValueError naming what was expected and given."""

from __future__ import annotations

import numpy as np
import pytest

import fastmlp as fm

A = np.ones((3, 4), np.float32)
B = np.ones((4, 5), np.float32)


@pytest.mark.parametrize(
    "a,match",
    [
        (np.ones((3, 4), np.complex64), "a must hold real numbers.*complex64"),
        (np.array([[object()]]), "a must hold real numbers.*object"),
        (np.array([["x", "y"]]), "a must hold real numbers"),
        ([[1.0, 2.0], [3.0]], "a is not array-like"),
    ],
)
def test_matmul_rejects_non_real_data(a, match):
    with pytest.raises(TypeError, match=match):
        fm.ops.matmul(a, B)


@pytest.mark.parametrize("a", [np.ones(4, np.float32), np.ones((1, 3, 4), np.float32)])
def test_matmul_wants_2d(a):
    with pytest.raises(ValueError, match=r"matmul: a must have 2 dimensions, got shape"):
        fm.ops.matmul(a, B)


def test_matmul_names_both_shapes_on_mismatch():
    with pytest.raises(ValueError, match=r"a.shape=\(3, 4\).*b.shape=\(5, 4\)"):
        fm.ops.matmul(A, np.ones((5, 4), np.float32))


@pytest.mark.parametrize("name", ["alpha", "beta"])
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_matmul_scalars_must_be_finite(name, value):
    with pytest.raises(ValueError, match=f"{name} must be finite"):
        fm.ops.matmul(A, B, **{name: value})


@pytest.mark.parametrize(
    "out,error,match",
    [
        (np.empty((3, 6), np.float32), ValueError, r"out must have shape \(3, 5\), got \(3, 6\)"),
        (np.empty((3, 5), np.float64), TypeError, "out.*float32.*float64"),
        (np.empty((5, 3), np.float32).T, ValueError, "out.*C-contiguous"),
        ([[0.0] * 5] * 3, TypeError, "out must be a numpy.ndarray, got list"),
    ],
)
def test_matmul_checks_out(out, error, match):
    with pytest.raises(error, match=match):
        fm.ops.matmul(A, B, out=out)


def test_matmul_refuses_read_only_out():
    out = np.empty((3, 5), np.float32)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="out is read-only"):
        fm.ops.matmul(A, B, out=out)


def test_matmul_refuses_out_overlapping_an_input():
    buffer = np.ones((4, 4), np.float32)
    with pytest.raises(ValueError, match="out shares memory with an input"):
        fm.ops.matmul(buffer, buffer, out=buffer)
    with pytest.raises(ValueError, match="out shares memory with an input"):
        fm.ops.matmul(buffer[:3], buffer, out=buffer[1:])


def test_matmul_transposes_are_keyword_only():
    with pytest.raises(TypeError):
        fm.ops.matmul(A, B, True)  # type: ignore[misc]


def test_linear_names_the_mismatch():
    with pytest.raises(ValueError, match=r"x has 4 features but weight \(5, 3\) expects 3"):
        fm.ops.linear(A, np.ones((5, 3), np.float32))
    with pytest.raises(ValueError, match=r"bias must have shape \(5,\).*got \(4,\)"):
        fm.ops.linear(A, np.ones((5, 4), np.float32), np.ones(4, np.float32))
    with pytest.raises(ValueError, match="weight must be 2-D"):
        fm.ops.linear(A, np.ones(4, np.float32))


def test_linear_rejects_unknown_activation_and_bad_parameter():
    with pytest.raises(ValueError, match="unknown activation 'swish'.*relu"):
        fm.ops.linear(A, A, activation="swish")
    with pytest.raises(ValueError, match="'relu' takes no parameter"):
        fm.ops.linear(A, A, activation="relu", activation_param=0.1)
    with pytest.raises(ValueError, match="negative_slope must be finite"):
        fm.ops.linear(A, A, activation="leaky_relu", activation_param=float("nan"))


def test_set_num_threads_checks_its_argument():
    for bad in (0, -1):
        with pytest.raises(ValueError, match="must be >= 1, got"):
            fm.set_num_threads(bad)
    for bad in (1.5, "2", True):
        with pytest.raises(TypeError, match="expects an int"):
            fm.set_num_threads(bad)  # type: ignore[arg-type]

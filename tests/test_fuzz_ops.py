"""Fuzzed input to every entry of fastmlp.ops (hypothesis): any dtype kind, memory layout,
shape (0 and 1 included) and special value. Each call returns what the same values give as a
clean C-contiguous array, or raises a clear TypeError/ValueError; a refused `out=` is left
as it was."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest
from hostile_arrays import (
    CLEAR_ERRORS,
    REAL_DTYPES,
    Hostile,
    computed_dtype,
    hostile_arrays,
    same_result,
    shapes,
)
from hypothesis import given
from hypothesis import strategies as st

import fastmlp as fm


def check(call: Callable[..., Any], inputs: list[Hostile], **kwargs: Any) -> Any:
    """call(*hostile arrays) against call(*clean twins in the joint computing dtype)."""
    if not all(h.real for h in inputs):
        with pytest.raises(TypeError, match="real numbers"):
            call(*[h.array for h in inputs], **kwargs)
        return None
    joint = computed_dtype(*[h.array.dtype for h in inputs])
    try:
        want = call(*[np.asarray(h.clean, joint) for h in inputs], **kwargs)
    except CLEAR_ERRORS as error:  # a shape the op refuses: refused whatever the layout
        with pytest.raises(type(error)):
            call(*[h.array for h in inputs], **kwargs)
        return None
    got = call(*[h.array for h in inputs], **kwargs)
    assert same_result(got, want), (inputs, got, want)
    return got


@given(
    st.sampled_from(fm.ops.ACTIVATIONS),
    shapes(ndim=2).flatmap(lambda s: st.tuples(hostile_arrays(s), hostile_arrays(s))),
)
def test_activations_forward_and_backward(name, arrays):
    x, dy = arrays
    check(getattr(fm.ops, name), [x])
    check(getattr(fm.ops, name + "_backward"), [x, dy])


@given(
    st.sampled_from(fm.ops.ACTIVATIONS), st.integers(0, 3).flatmap(shapes).flatmap(hostile_arrays)
)
def test_activations_of_any_dimension(name, x):
    check(getattr(fm.ops, name), [x])


@given(
    st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5), st.integers(-1, 1)),
    st.booleans(),
    st.booleans(),
    st.data(),
)
def test_matmul(sizes, trans_a, trans_b, data):
    m, n, k, k_error = sizes  # k_error ≠ 0: op(b) has the wrong number of rows
    a_shape = (k, m) if trans_a else (m, k)
    b_rows = max(k + k_error, 0)
    b_shape = (n, b_rows) if trans_b else (b_rows, n)
    a, b = data.draw(hostile_arrays(a_shape)), data.draw(hostile_arrays(b_shape))
    check(fm.ops.matmul, [a, b], trans_a=trans_a, trans_b=trans_b)


@given(
    st.tuples(st.integers(0, 5), st.integers(1, 5), st.integers(0, 5)),
    st.sampled_from([None, *fm.ops.ACTIVATIONS]),
    st.booleans(),
    st.data(),
)
def test_linear(sizes, activation, with_bias, data):
    n, k, m = sizes
    inputs = [data.draw(hostile_arrays((n, k))), data.draw(hostile_arrays((m, k)))]
    if with_bias:
        inputs.append(data.draw(hostile_arrays((m,))))
    check(lambda *arrays: fm.ops.linear(*arrays, activation=activation), inputs)


@given(st.integers(1, 2).flatmap(shapes), st.sampled_from(["mean", "sum"]), st.data())
def test_least_squares(shape, reduction, data):
    pred, target = data.draw(hostile_arrays(shape)), data.draw(hostile_arrays(shape))
    check(fm.ops.least_squares, [pred, target], reduction=reduction)


@given(
    shapes(ndim=2),
    st.sampled_from(["int8", "uint8", "int32", "int64", "uint64", ">i8", "float64", "bool"]),
    st.sampled_from(["mean", "sum"]),
    st.data(),
)
def test_softmax_cross_entropy(shape, label_dtype, reduction, data):
    n, classes = shape
    logits = data.draw(hostile_arrays(shape))
    # Labels out of range included: -2, -1, classes, classes + 1.
    values = data.draw(st.lists(st.integers(-2, classes + 1), min_size=n, max_size=n))
    labels = np.array(values, np.int64).astype(label_dtype)  # -1 wraps in unsigned types
    integers = labels.dtype.kind in "iu"
    if logits.real and not integers:
        with pytest.raises(TypeError, match="labels must be integers"):
            fm.ops.softmax_cross_entropy(logits.array, labels)
        return
    call = lambda x: fm.ops.softmax_cross_entropy(x, labels, reduction)  # noqa: E731
    out_of_range = integers and not all(0 <= v < classes for v in labels.tolist())
    if logits.real and out_of_range and n > 0 and classes > 0:
        with pytest.raises(ValueError, match="not a class index"):
            call(logits.array)
    check(call, [logits])


@given(shapes(ndim=2).flatmap(hostile_arrays))
def test_bias_gradient(dy):
    check(fm.ops.bias_gradient, [dy])


@given(shapes(ndim=2), st.integers(0, 5), st.data())
def test_weight_gradient(shape, inputs, data):
    delta = data.draw(hostile_arrays(shape))
    x = data.draw(hostile_arrays((shape[0], inputs)))
    check(fm.ops.weight_gradient, [delta, x])


OUT_CASES = ["right", "shape", "dtype", "F", "reversed", "strided", "read-only", "unaligned"]
OUT_CASES += ["overlaps-input", "list"]


def make_out(case: str, shape: tuple[int, ...], dtype: Any, inputs: list[np.ndarray]) -> Any:
    if case == "overlaps-input":
        return inputs[0]
    if case == "list":
        return np.zeros(shape).tolist()
    if case == "shape":
        return np.zeros((shape[0] + 1, *shape[1:]), dtype)
    if case == "dtype":
        return np.zeros(shape, np.float64 if dtype == np.float32 else np.float32)
    if case == "F":
        return np.zeros(shape[::-1], dtype).T
    if case == "reversed":
        return np.zeros(shape, dtype)[::-1]
    if case == "strided":
        return np.zeros((2 * shape[0], *shape[1:]), dtype)[::2]
    if case == "unaligned":
        return (
            np.zeros(int(np.prod(shape)) * np.dtype(dtype).itemsize + 1, np.uint8)[1:]
            .view(dtype)
            .reshape(shape)
        )
    out = np.zeros(shape, dtype)
    out.flags.writeable = case != "read-only"
    return out


@given(
    st.sampled_from(OUT_CASES),
    st.sampled_from(["matmul", "linear", "relu", "tanh_backward"]),
    st.sampled_from([np.float32, np.float64]),
    st.tuples(st.integers(2, 5), st.integers(2, 5)),
)
def test_out_argument(case, func, dtype, shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    square = rng.standard_normal((shape[1], shape[1])).astype(dtype)
    calls = {
        "matmul": lambda out: fm.ops.matmul(x, square, out=out),
        "linear": lambda out: fm.ops.linear(x, square, activation="gelu", out=out),
        "relu": lambda out: fm.ops.relu(x, out=out),
        "tanh_backward": lambda out: fm.ops.tanh_backward(x, x * 2, out=out),
    }
    want = calls[func](None)
    out = make_out(case, shape, dtype, [x])
    if case == "right":
        assert calls[func](out) is out
        assert same_result(out, want)
        return
    before = np.array(out, copy=True)
    expected_error = TypeError if case in ("dtype", "list") else ValueError
    with pytest.raises(expected_error, match="out"):
        calls[func](out)
    assert same_result(np.asarray(out), before)


@pytest.mark.parametrize("dtype", REAL_DTYPES)
def test_every_real_dtype_computes_in_float32_or_float64(dtype):
    x = np.arange(-3, 3).astype(dtype)
    y = fm.ops.relu(x)
    assert y.dtype == computed_dtype(np.dtype(dtype))
    assert same_result(y, np.maximum(x, 0).astype(y.dtype))

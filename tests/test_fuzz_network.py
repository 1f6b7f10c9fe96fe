"""Fuzzed input to the network API (hypothesis): predict, evaluate, fit, loss_and_gradient
and load_state_dict given any dtype kind, layout, shape and special value, and labels out
of range. Each call gives the result of the same values as clean arrays, or raises a clear
exception and leaves the parameters bitwise as they were."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hostile_arrays import CLEAR_ERRORS, Hostile, hostile_arrays, same_result
from hypothesis import given
from hypothesis import strategies as st

import fastmlp as fm

LOSSES = ["least_squares", "cross_entropy", "binary_cross_entropy", "poisson"]


@st.composite
def networks(draw: st.DrawFn) -> fm.Sequential:
    sizes = draw(st.lists(st.integers(1, 6), min_size=2, max_size=4))
    activation = draw(st.sampled_from(["relu", "tanh", "gelu", "leaky_relu", "softplus"]))
    dtype = draw(st.sampled_from(["float32", "float64"]))
    return fm.MLP(sizes[0], sizes[1:-1], sizes[-1], activation, dtype=dtype, seed=0)


@st.composite
def inputs(draw: st.DrawFn, net: fm.Sequential) -> Hostile:
    """X of n_inputs columns, or now and then of a wrong width or dimension."""
    rows = draw(st.integers(0, 6))
    shape = draw(
        st.sampled_from(
            [(rows, net.n_inputs)] * 4
            + [(rows, net.n_inputs + 1), (net.n_inputs,), (rows, 1, net.n_inputs)]
        )
    )
    return draw(hostile_arrays(shape))


@st.composite
def targets(draw: st.DrawFn, net: fm.Sequential, loss: str, rows: int) -> Any:
    """Targets for `loss`: labels in [-1, n_outputs] (so some out of range) of an integer
    dtype, or real targets of any kind and layout; sometimes of the wrong shape."""
    if loss == "cross_entropy":
        labels = draw(st.lists(st.integers(-1, net.n_outputs), min_size=rows, max_size=rows))
        dtype = draw(st.sampled_from(["int64", "int8", "uint16", "float64", "bool"]))
        return np.array(labels).astype(dtype)
    shape = draw(st.sampled_from([(rows, net.n_outputs), (rows, net.n_outputs + 1), (rows,)]))
    return draw(hostile_arrays(shape)).array


def outcome(call: Any) -> tuple[str, Any]:
    """("ok", result) or ("error", exception type); anything but a clear error fails."""
    try:
        return "ok", call()
    except (*CLEAR_ERRORS, FloatingPointError) as error:
        assert str(error), "an error must say what was wrong"
        return "error", type(error)


@given(st.data())
def test_predict(data):
    net = data.draw(networks())
    x = data.draw(inputs(net))
    before = net.parameters.copy()
    kind, got = outcome(lambda: net.predict(x.array))
    assert np.array_equal(net.parameters, before)
    if not x.real:
        assert got is TypeError
    elif kind == "ok":  # NaN passes through predict; from a conversion it is refused
        assert same_result(got, net.predict(x.clean.astype(net.dtype)))
    else:
        with np.errstate(over="ignore"):
            finite = np.all(np.isfinite(x.clean.astype(net.dtype)))  # 1e300 is not in float32
        assert not finite or x.array.ndim != 2 or x.array.shape[1] != net.n_inputs


@given(st.data(), st.sampled_from(LOSSES))
def test_evaluate(data, loss):
    net = data.draw(networks())
    x = data.draw(inputs(net))
    y = data.draw(targets(net, loss, x.array.shape[0] if x.array.ndim else 0))
    kind, got = outcome(lambda: net.evaluate(x.array, y, loss=loss))
    if kind == "ok":
        want = net.evaluate(x.clean, y, loss=loss)
        assert got.keys() == want.keys() and same_result(list(got.values()), list(want.values()))


@given(st.data(), st.sampled_from(LOSSES), st.sampled_from([None, 1, 2]))
def test_fit_changes_the_network_as_clean_input_would_or_not_at_all(data, loss, batch_size):
    net = data.draw(networks())
    x = data.draw(inputs(net))
    y = data.draw(targets(net, loss, x.array.shape[0] if x.array.ndim else 0))
    twin = copy.deepcopy(net)
    before = net.parameters.copy()
    settings = dict(loss=loss, epochs=2, batch_size=batch_size, seed=0, optimizer="sgd")
    kind, error = outcome(lambda: net.fit(x.array, y, **settings))
    if kind == "error" and error is not FloatingPointError:  # refused: nothing changed
        assert np.array_equal(net.parameters, before)
        return
    # Trained, or stopped by divergence after the epochs that went well: as the clean twin.
    twin_kind, twin_error = outcome(lambda: twin.fit(x.clean, y, **settings))
    assert twin_kind == kind and (kind == "ok" or twin_error is error)
    assert np.array_equal(net.parameters, twin.parameters)
    assert np.all(np.isfinite(net.parameters))


@given(st.data(), st.sampled_from(LOSSES), st.sampled_from(["mean", "sum"]))
def test_loss_and_gradient(data, loss, reduction):
    net = data.draw(networks())
    x = data.draw(inputs(net))
    y = data.draw(targets(net, loss, x.array.shape[0] if x.array.ndim else 0))
    rows = x.array.shape[0] if x.array.ndim else 0
    weights = data.draw(st.none() | hostile_arrays((rows,)))
    before = net.parameters.copy()

    def call(use_clean: bool) -> Any:
        w = None if weights is None else weights.clean if use_clean else weights.array
        return net.loss_and_gradient(x.clean if use_clean else x.array, y, loss, w, reduction)

    kind, got = outcome(lambda: call(use_clean=False))
    assert np.array_equal(net.parameters, before)
    if kind == "ok":
        assert same_result(got, call(use_clean=True))


@given(st.data())
def test_load_state_dict(data):
    net = data.draw(networks())
    state = net.state_dict()
    name = data.draw(st.sampled_from(sorted(state)))
    shape = data.draw(st.sampled_from([state[name].shape, (1, *state[name].shape), (0,)]))
    state[name] = data.draw(hostile_arrays(shape)).array
    before = net.parameters.copy()
    kind, _ = outcome(lambda: net.load_state_dict(state))
    if kind == "error":
        assert np.array_equal(net.parameters, before)
    else:
        assert np.all(np.isfinite(net.parameters))
        assert same_result(net.state_dict()[name], np.asarray(state[name], net.dtype))


@pytest.mark.parametrize(
    "build",
    [
        lambda: fm.MLP(2**33 - 1, [], 2**31),  # 2^64 parameters: would wrap around to 0
        lambda: fm.MLP(2**20, [], 2**30),  # 2^50 parameters: 4 PiB
        lambda: fm.MLP(3, [2**62], 2),
    ],
    ids=["wraps", "4PiB", "2^62-wide"],
)
def test_networks_too_large_to_exist_are_refused_before_allocating(build):
    with pytest.raises((MemoryError, ValueError)):
        build()


@pytest.mark.parametrize("dropout", [float("nan"), -0.5, 1.0])
def test_mlp_refuses_a_dropout_rate_out_of_range(dropout):
    with pytest.raises(ValueError, match="dropout probability"):
        fm.MLP(3, [4], 2, dropout=dropout)

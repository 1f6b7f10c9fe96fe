"""fm.analysis: the lecture's tools against independent references (closed forms, dense
sampling, numpy forward passes, brute-force enumeration)."""

from __future__ import annotations

import itertools
from math import comb, prod

import numpy as np
import pytest

import fastmlp as fm
from fastmlp.analysis import (
    LinearRegression1D,
    activation_curves,
    activation_patterns,
    architecture_table,
    compose,
    hidden_units,
    linear_regions_1d,
    linear_regions_2d,
    max_linear_regions,
    n_parameters,
    shallow_network,
    universal_approximation,
)


def random_net(n_inputs, hidden, seed, activation="relu", dtype="float64"):
    """He-initialised weights and random biases (He's zero biases put every joint at 0)."""
    net = fm.MLP(n_inputs, hidden, 2, activation=activation, dtype=dtype, seed=seed)
    rng = np.random.default_rng(seed)
    for layer in net.layers:
        if isinstance(layer, fm.Dense):
            layer.bias = rng.normal(0.0, 0.5, layer.bias.shape)
    return net


# ------------------------------------------------------------------ linear regression
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_descent_converges_to_the_closed_form(seed):
    x, y = fm.datasets.toy_linear_1d(n=20, seed=seed)
    model = LinearRegression1D(steps=2000, start=(-1.0, 2.0)).fit(x, y)
    design = np.column_stack([np.ones_like(x), x])
    normal_equations = np.linalg.solve(design.T @ design, design.T @ y)
    np.testing.assert_allclose(model.closed_form_, normal_equations, rtol=1e-12)
    np.testing.assert_allclose(model.phi_, normal_equations, atol=1e-9)
    assert model.path_.shape == (2001, 2) and tuple(model.path_[0]) == (-1.0, 2.0)
    # lr = 1/λmax on a quadratic: the loss never rises.
    assert np.all(np.diff(model.losses_) <= 1e-15)
    assert model.losses_[-1] == pytest.approx(LinearRegression1D.loss(normal_equations, x, y))


def test_loss_surface_matches_the_loss():
    x, y = fm.datasets.toy_linear_1d()
    phi0, phi1 = np.linspace(-1, 1, 5), np.linspace(0, 2, 3)
    surface = LinearRegression1D.loss_surface(phi0, phi1, x, y)
    assert surface.shape == (3, 5)
    assert surface[2, 1] == pytest.approx(LinearRegression1D.loss((phi0[1], phi1[2]), x, y))


@pytest.mark.parametrize(
    "x, y", [(np.ones(3), np.ones(4)), (np.ones((3, 1)), np.ones((3, 1))), ([1.0], [2.0])]
)
def test_linear_regression_rejects_bad_data(x, y):
    with pytest.raises(ValueError, match="same length"):
        LinearRegression1D().fit(x, y)


def test_linear_regression_checks_its_settings_and_what_overflows():
    with pytest.raises(ValueError, match="start must be a pair"):
        LinearRegression1D(start=(1.0,))
    assert LinearRegression1D(start=(v for v in (0.5, 1.0))).start == (0.5, 1.0)
    assert LinearRegression1D(steps=np.int64(3)).fit([0.0, 1.0], [1.0, 2.0]).steps == 3
    with pytest.raises(ValueError, match="curvature overflows float64"):
        LinearRegression1D().fit([1e200, 2e200], [1.0, 2.0])


# ---------------------------------------------------------------- activation patterns
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_activation_patterns_match_a_numpy_forward_pass(activation, dtype):
    net = random_net(3, [7, 5, 4], seed=4, activation=activation, dtype=dtype)
    X = np.random.default_rng(5).normal(size=(300, 3))
    expected, h = [], X
    nonlinearity = {
        "relu": lambda z: np.maximum(z, 0.0),
        "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
        "tanh": np.tanh,
    }[activation]
    denses = [layer for layer in net.layers if isinstance(layer, fm.Dense)]
    for layer in denses[:-1]:
        z = h @ layer.weight.astype(np.float64).T + layer.bias.astype(np.float64)
        expected.append(z > 0)
        h = nonlinearity(z)
    patterns = activation_patterns(net, X)
    assert patterns.dtype == bool and patterns.shape == (300, 16)
    np.testing.assert_array_equal(patterns, np.concatenate(expected, axis=1))


def test_activation_patterns_reject_the_wrong_number_of_inputs():
    with pytest.raises(ValueError, match="expects 3 inputs, got shape"):
        activation_patterns(random_net(3, [4], seed=0), np.zeros((5, 2)))


# ---------------------------------------------------------------- exact linear regions
def brute_force_count(net, lo, hi, n=100_001):
    """Regions met by dense sampling: 1 + changes of pattern between neighbouring points."""
    x = np.linspace(lo, hi, n) + (hi - lo) * 1e-7 * np.pi  # avoid exact joints such as 0
    patterns = activation_patterns(net, x.reshape(-1, 1))
    return 1 + int(np.count_nonzero(np.any(patterns[1:] != patterns[:-1], axis=1)))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("hidden", [[6], [5, 5], [4, 4, 4]])
def test_exact_region_count_equals_dense_sampling(hidden, seed):
    activation = "leaky_relu" if seed % 2 else "relu"
    net = random_net(1, hidden, seed, activation=activation)
    regions = linear_regions_1d(net, -2.0, 2.0)
    assert regions.count == brute_force_count(net, -2.0, 2.0)
    assert regions.count <= max_linear_regions(1, hidden)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_regions_are_the_network_function(dtype):
    net = random_net(1, [8, 8], seed=7, dtype=dtype)
    regions = linear_regions_1d(net, -3.0, 3.0)
    assert regions.edges[0] == -3.0 and regions.edges[-1] == 3.0
    assert np.all(np.diff(regions.edges) > 0)
    assert regions.count == len(regions.breakpoints) + 1
    # Inside each region the network is the region's affine map...
    t = np.array([0.1, 0.5, 0.9])
    x = (regions.edges[:-1, None] * (1 - t) + regions.edges[1:, None] * t).reshape(-1, 1)
    affine = regions.slopes.repeat(3, axis=0) * x + regions.intercepts.repeat(3, axis=0)
    tolerance = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(net.predict(x), affine, atol=tolerance)
    # ...and the activation pattern changes across every breakpoint.
    step = 1e-9
    left = activation_patterns(net, (regions.breakpoints - step).reshape(-1, 1))
    right = activation_patterns(net, (regions.breakpoints + step).reshape(-1, 1))
    assert np.all(np.any(left != right, axis=1))


def test_shallow_network_joints_are_where_units_switch():
    theta = np.array([[0.3, -1.0], [-1.0, 2.0], [-0.5, 0.65]])
    net = shallow_network(theta, [-0.3, 2.0, -1.0, 7.0])
    regions = linear_regions_1d(net, 0.0, 1.0)
    np.testing.assert_allclose(regions.breakpoints, np.sort(-theta[:, 0] / theta[:, 1]))


def test_identity_networks_have_one_region():
    net = random_net(1, [5, 5], seed=0, activation="identity")
    assert linear_regions_1d(net, -1.0, 1.0).count == 1


def test_linear_regions_1d_rejects_what_it_cannot_count():
    with pytest.raises(ValueError, match="needs a network with 1 input, got 2"):
        linear_regions_1d(random_net(2, [4], seed=0), 0.0, 1.0)
    with pytest.raises(ValueError, match="piecewise-linear activations"):
        linear_regions_1d(random_net(1, [4], seed=0, activation="tanh"), 0.0, 1.0)
    with pytest.raises(ValueError, match="lo < hi"):
        linear_regions_1d(random_net(1, [4], seed=0), 1.0, 1.0)
    with pytest.raises(TypeError, match="fastmlp network"):
        linear_regions_1d("net", 0.0, 1.0)


def test_linear_regions_2d_labels_the_patterns():
    net = random_net(2, [6, 6], seed=3)
    grid = linear_regions_2d(net, -1.0, 1.0, resolution=30)
    assert grid.labels.shape == (30, 30)
    x0, x1 = np.meshgrid(grid.x0, grid.x1)
    patterns = activation_patterns(net, np.column_stack([x0.ravel(), x1.ravel()]))
    assert grid.count == len(np.unique(patterns, axis=0))
    same_label = grid.labels.ravel()[:, None] == grid.labels.ravel()[None, :]
    same_pattern = np.all(patterns[:, None, :] == patterns[None, :, :], axis=2)
    np.testing.assert_array_equal(same_label, same_pattern)
    assert grid.count <= max_linear_regions(2, [6, 6])
    with pytest.raises(ValueError, match="2 inputs, got 1"):
        linear_regions_2d(random_net(1, [3], seed=0))
    with pytest.raises(ValueError, match="finite lo < hi"):
        linear_regions_2d(net, np.nan, 1.0)
    assert linear_regions_2d(net, resolution=np.int64(5)).labels.shape == (5, 5)
    with pytest.raises(ValueError, match="X contains NaN"):
        activation_patterns(net, [[np.nan, 0.0]])


# ------------------------------------------------------------------ counting formulas
def serra_bound_by_enumeration(n_inputs, widths):
    """Serra et al. (2018), Theorem 7, summed over every tuple (j_1 … j_L) directly."""
    total = 0
    for js in itertools.product(*(range(w + 1) for w in widths)):
        limits = [n_inputs]
        ok = True
        for j, width in zip(js, widths):
            if j > min(*limits, width):
                ok = False
                break
            limits.append(width - j)
        if ok:
            total += prod(comb(w, j) for w, j in zip(widths, js))
    return total


def test_the_lectures_numbers():
    assert max_linear_regions(1, [10] * 5) == 161_051 == 11**5
    assert n_parameters(1, [10] * 5, 1) == 471


@pytest.mark.parametrize(
    "n_inputs, widths", [(1, [3, 4, 5]), (2, [3, 3]), (2, [4, 2, 3]), (3, [5, 4]), (4, [2, 6])]
)
def test_max_regions_dynamic_programme_equals_enumeration(n_inputs, widths):
    assert max_linear_regions(n_inputs, widths) == serra_bound_by_enumeration(n_inputs, widths)


@pytest.mark.parametrize("n_inputs, width", [(1, 7), (2, 5), (3, 10), (10, 4)])
def test_one_hidden_layer_is_zaslavskys_count(n_inputs, width):
    expected = sum(comb(width, j) for j in range(min(n_inputs, width) + 1))
    assert max_linear_regions(n_inputs, [width]) == expected


def test_one_input_multiplies_by_width_plus_one():
    widths = [3, 8, 2, 5]
    assert max_linear_regions(1, widths) == prod(w + 1 for w in widths)
    # A one-unit layer is a bottleneck: where it is off, later layers cannot split further.
    assert max_linear_regions(1, [3, 8, 1, 5]) < prod(w + 1 for w in [3, 8, 1, 5])


@pytest.mark.parametrize(
    "n_inputs, hidden, n_outputs", [(1, [10] * 5, 1), (40, [298], 10), (40, [63] * 4, 10)]
)
def test_n_parameters_equals_the_networks(n_inputs, hidden, n_outputs):
    net = fm.MLP(n_inputs, hidden, n_outputs)
    assert n_parameters(n_inputs, hidden, n_outputs) == net.n_parameters


def test_architecture_table_rows():
    (row,) = architecture_table(1, [[10] * 5], 1)
    assert (row.hidden_widths, row.parameters, row.max_regions) == ((10,) * 5, 471, 161_051)
    with pytest.raises(TypeError, match=r"sequence of hidden-width lists.*one entry is 10"):
        architecture_table(1, [10, 20], 1)  # one architecture's widths, not a list of them
    # numpy arrays of widths count as well as lists
    assert architecture_table(1, [np.array([10, 10])], 1)[0].hidden_widths == (10, 10)
    assert max_linear_regions(1, np.array([10, 10])) == max_linear_regions(1, [10, 10])


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "3"])
def test_counting_rejects_bad_widths(bad):
    with pytest.raises(ValueError, match="positive int"):
        max_linear_regions(1, [4, bad])
    with pytest.raises(ValueError, match="positive int"):
        n_parameters(bad, [4], 1)


# ------------------------------------------- shallow networks, approximation, composition
def test_hidden_units_sum_to_the_network_output():
    theta = np.array([[0.3, -1.0], [-1.0, 2.0], [-0.5, 0.65]])
    phi = np.array([-0.3, 2.0, -1.0, 7.0])
    net = shallow_network(theta, phi)
    x = np.linspace(0, 1, 11)
    units = hidden_units(net, x)
    np.testing.assert_allclose(units.pre_activations, theta[:, 0] + np.outer(x, theta[:, 1]))
    np.testing.assert_allclose(units.activations, np.maximum(units.pre_activations, 0))
    np.testing.assert_allclose(units.weighted, units.activations * phi[1:])
    np.testing.assert_allclose(units.output, net.predict(x.reshape(-1, 1))[:, 0], atol=1e-12)


def test_shallow_network_rejects_mismatched_parameters():
    with pytest.raises(ValueError, match=r"phi must have shape \(4,\).*got \(3,\)$"):
        shallow_network(np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="theta must have shape"):
        shallow_network(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="shallow network"):
        hidden_units(fm.MLP(1, [3, 3], 1), np.zeros(2))


def test_universal_approximation_error_falls_as_units_double():
    fits = universal_approximation(fm.datasets.nonlinear_target, [1, 2, 4, 8, 16, 32])
    errors = [fit.rms_error for fit in fits]
    # Doubling keeps every joint, so the least-squares error cannot rise; smooth targets
    # make it fall about fourfold per doubling once the joints resolve the curve.
    assert all(b <= a for a, b in zip(errors, errors[1:]))
    assert errors[-1] < errors[2] / 20
    assert [fit.net.n_parameters for fit in fits[:2]] == [4, 7]
    assert universal_approximation(np.sin, np.arange(1, 3))[1].units == 2  # numpy ints too
    for bad, match in (
        ({"n_samples": 0}, "n_samples must be an int >= 2"),
        ({"hi": np.inf}, "finite lo < hi"),
    ):
        with pytest.raises(ValueError, match=match):
            universal_approximation(np.sin, [3], **bad)


def test_composition_is_the_deep_network():
    first = random_net(1, [4], seed=1)  # 1 -> 4 -> 2
    second = random_net(2, [3], seed=2)
    deep = compose(first, second)
    assert [type(layer).__name__ for layer in deep.layers] == ["Dense", "ReLU"] * 2 + ["Dense"]
    x = np.linspace(-2, 2, 50).reshape(-1, 1)
    np.testing.assert_allclose(deep.predict(x), second.predict(first.predict(x)), atol=1e-12)
    with pytest.raises(ValueError, match="second expects 2 inputs, first has 1"):
        compose(random_net(1, [3], seed=0).__class__(1, [3], 1), second)


def test_folding_multiplies_regions():
    zigzag = shallow_network([[1.0, 1.0], [1 / 3, 1.0], [-1 / 3, 1.0]], [-1.0, 3.0, -6.0, 6.0])
    composed = zigzag
    for depth in range(1, 4):
        assert linear_regions_1d(composed, -1.0, 1.0).count == 3**depth
        composed = compose(composed, zigzag)


def test_activation_derivatives_match_finite_differences():
    x = np.linspace(-3, 3, 61) + 0.01  # off the kinks at 0
    h = 1e-6
    for name, (value, derivative) in activation_curves(x).items():
        plus, _ = activation_curves(x + h)[name]
        minus, _ = activation_curves(x - h)[name]
        np.testing.assert_allclose(derivative, (plus - minus) / (2 * h), atol=1e-5, err_msg=name)
        assert value.shape == x.shape

"""Activations, forward and backward, against independent float64 references, central
differences and PyTorch; dtypes, promotion, ``out=``, shapes and the activation parameter."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastmlp as fm

DTYPES = (np.float32, np.float64)
DTYPE_IDS = ("f32", "f64")
DEFAULT_PARAM = {"leaky_relu": 0.01, "elu": 1.0}
# Derivatives chosen by a comparison with 0; at NaN they take torch's branch (relu, elu: dy
# passes; leaky_relu: slope·dy) instead of evaluating at NaN.
PIECEWISE = ("identity", "relu", "leaky_relu", "elu")

# ---------------------------------------------------------------------------------------
# float64 references, written independently of the kernels' formulas: sigmoid-based forms
# that never cancel (GELU-tanh as x·σ(2u) instead of 0.5·x·(1 + tanh u), tanh' = 4σ'(2x)),
# Φ from math.erfc (1 + erf(−t) would cancel in the left tail), softplus by logaddexp.
# ---------------------------------------------------------------------------------------
_erfc = np.frompyfunc(math.erfc, 1, 1)
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_K0, _K1 = math.sqrt(2 / math.pi), 0.044715


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid_prime(x):
    e = np.exp(-np.abs(x))  # σ(x)·σ(−x), symmetric, no 1 − σ cancellation
    return e / (1 + e) ** 2


def _normal_cdf(x):
    return 0.5 * _erfc(-x * _SQRT_HALF).astype(np.float64)


def _gelu_tanh_u2(x):  # 2·√(2/π)·(x + 0.044715·x³)
    return 2 * _K0 * (x + _K1 * x**3)


REFERENCE = {  # name -> (f(x, param), f'(x, param)), both float64
    "identity": (lambda x, p: x, lambda x, p: np.ones_like(x)),
    "relu": (lambda x, p: np.where(x > 0, x, 0.0), lambda x, p: np.where(x > 0, 1.0, 0.0)),
    "leaky_relu": (lambda x, p: np.where(x > 0, x, p * x), lambda x, p: np.where(x > 0, 1.0, p)),
    "sigmoid": (lambda x, p: _sigmoid(x), lambda x, p: _sigmoid_prime(x)),
    "tanh": (lambda x, p: np.tanh(x), lambda x, p: 4 * _sigmoid_prime(2 * x)),
    "elu": (
        lambda x, p: np.where(x > 0, x, p * np.expm1(np.minimum(x, 0))),
        lambda x, p: np.where(x > 0, 1.0, p * np.exp(np.minimum(x, 0))),
    ),
    "gelu": (
        lambda x, p: x * _normal_cdf(x),
        lambda x, p: _normal_cdf(x) + x * _INV_SQRT_2PI * np.exp(-0.5 * x * x),
    ),
    "gelu_tanh": (
        lambda x, p: x * _sigmoid(_gelu_tanh_u2(x)),
        lambda x, p: (
            _sigmoid(_gelu_tanh_u2(x))
            + x * _sigmoid_prime(_gelu_tanh_u2(x)) * 2 * _K0 * (1 + 3 * _K1 * x * x)
        ),
    ),
    "silu": (lambda x, p: x * _sigmoid(x), lambda x, p: _sigmoid(x) + x * _sigmoid_prime(x)),
    "softplus": (lambda x, p: np.logaddexp(0, x), lambda x, p: _sigmoid(x)),
}
assert set(REFERENCE) == set(fm.ops.ACTIVATIONS)


def forward(name):
    return getattr(fm.ops, name)


def backward(name):
    return getattr(fm.ops, name + "_backward")


def assert_matches_reference(name, x, dy, param=None):
    """Forward and backward of `name` on x (float32 or float64) against the float64 reference.

    Tolerance: |got − ref| ≤ 8·eps·max(1, |x|)·|dy| (dy = 1 for the forward). The kernels
    evaluate their formulas in the working precision, so terms of size ~|x| that cancel
    (0.5·x·(1 + tanh u) in GELU-tanh's left tail, x·(1 − σ) in SiLU', 1 − tanh² for
    |x| ≳ 9) leave an absolute error of a few ulps of max(1, |x|), not of the result.
    Measured over 5·10⁵ points in [−40, 40] with dy = 1: at most 1.37 eps·max(1, |x|) in
    float32 (tanh') and 2.0 in float64 (GELU-tanh'); 8 leaves a 4× margin. That is
    ≈ 1e-6·max(1, |x|) in float32 and ≈ 1.8e-15·max(1, |x|) in float64.
    """
    dtype = x.dtype
    p = DEFAULT_PARAM.get(name, 0.0) if param is None else param
    args = () if param is None else (param,)
    f, df = REFERENCE[name]
    x64, dy64 = x.astype(np.float64), dy.astype(np.float64)
    y = forward(name)(x, *args)
    dx = backward(name)(x, dy, *args)
    assert y.dtype == dx.dtype == dtype
    assert y.shape == dx.shape == x.shape
    eps = np.finfo(dtype).eps
    scale = 8 * eps * np.maximum(1.0, np.abs(x64))
    for got, expected, bound in (
        (y, f(x64, p), scale),
        (dx, dy64 * df(x64, p), scale * np.abs(dy64)),
    ):
        error = np.abs(got.astype(np.float64) - expected)
        assert not np.any(np.isnan(got))
        worst = np.unravel_index(np.argmax(error - bound), error.shape) if error.size else None
        assert np.all(error <= bound), (
            f"{name} {dtype.__name__}: x={x64[worst]!r} got={got[worst]!r} "
            f"expected={expected[worst]!r} bound={bound[worst]!r}"
        )


# Specials go at the end of the buffer, where a vectorized loop handles its remainder.
SPECIALS = (0.0, -0.0, 1.0, -1.0, 1e-7, -1e-7, 5.0, -5.0, 30.0, -30.0)
# Lengths around 4/8/16-lane SIMD widths, and 40000 > 2^15, the per-thread threshold.
SHAPES = [(0,), (1,), (7,), (15,), (16,), (17,), (31,), (33,), (65,), (1000,), (40000,)]
SHAPES += [(3, 17), (33, 65), (0, 5), (2, 3, 5)]


def make_input(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 4
    flat = x.reshape(-1)
    k = min(flat.size, len(SPECIALS))
    if k:
        flat[-k:] = SPECIALS[:k]
    dy = rng.standard_normal(shape)
    return x.astype(dtype), dy.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", fm.ops.ACTIVATIONS)
def test_matches_float64_reference(name, shape, dtype):
    x, dy = make_input(shape, dtype, [*shape, DTYPES.index(dtype)])
    assert_matches_reference(name, x, dy)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", fm.ops.ACTIVATIONS)
def test_large_magnitudes_stay_finite_and_accurate(name, dtype):
    # exp(±88.7) is float32's overflow edge, exp(±709.8) float64's; nothing may overflow
    # where the function and its derivative are finite.
    magnitudes = np.array([20, 30, 88, 89, 100, 700, 710, 1000, 1e4])
    x = np.concatenate([magnitudes, -magnitudes]).astype(dtype)
    dy = np.ones_like(x)
    y, dx = forward(name)(x), backward(name)(x, dy)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx))
    assert_matches_reference(name, x, dy)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_large_magnitude_limits(dtype):
    x = np.array([-1000.0, 1000.0], dtype)
    np.testing.assert_array_equal(fm.ops.sigmoid(x), [0, 1])
    np.testing.assert_array_equal(fm.ops.tanh(x), [-1, 1])
    np.testing.assert_array_equal(fm.ops.softplus(x), [0, 1000])
    np.testing.assert_array_equal(fm.ops.elu(x), [-1, 1000])
    np.testing.assert_array_equal(fm.ops.silu(x), [0, 1000])
    np.testing.assert_array_equal(fm.ops.gelu(x), [0, 1000])
    np.testing.assert_array_equal(fm.ops.gelu_tanh(x), [0, 1000])
    for name in ("sigmoid", "tanh"):
        np.testing.assert_array_equal(backward(name)(x, np.ones_like(x)), [0, 0])
    for name in ("softplus", "elu", "silu", "gelu", "gelu_tanh"):
        np.testing.assert_array_equal(backward(name)(x, np.ones_like(x)), [0, 1])


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", fm.ops.ACTIVATIONS)
def test_zero_and_negative_zero(name, dtype):
    # f(−0) == f(+0) and f'(−0) == f'(+0): at the kinks the derivative takes torch's branch,
    # relu'(0) = 0, leaky_relu'(0) = slope, elu'(0) = alpha.
    x = np.array([0.0, -0.0], dtype)
    y, dx = forward(name)(x), backward(name)(x, np.ones_like(x))
    assert y[0] == y[1] and dx[0] == dx[1]
    expected_y = {"sigmoid": 0.5, "softplus": math.log(2)}.get(name, 0.0)
    expected_dx = {"relu": 0.0, "leaky_relu": 0.01, "sigmoid": 0.25, "gelu": 0.5}
    expected_dx.update({"gelu_tanh": 0.5, "silu": 0.5, "softplus": 0.5})
    np.testing.assert_allclose(y, expected_y, rtol=np.finfo(dtype).eps)
    np.testing.assert_allclose(dx, expected_dx.get(name, 1.0), rtol=np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", fm.ops.ACTIVATIONS)
def test_nan_propagates(name, dtype):
    x = np.array([[1.0, np.nan, -1.0], [0.5, -0.5, np.nan]], dtype)
    nan = np.isnan(x)
    y = forward(name)(x)
    assert np.all(np.isnan(y[nan])) and np.all(np.isfinite(y[~nan]))
    dx = backward(name)(x, np.ones_like(x))
    assert np.all(np.isfinite(dx[~nan]))  # a NaN does not leak into its neighbours
    if name not in PIECEWISE:
        assert np.all(np.isnan(dx[nan]))
    elif name in ("relu", "elu"):
        assert np.all(dx[nan] == 1)  # torch's threshold_backward and elu_backward


# Parameters that differ from the defaults, for the finite-difference and torch tests.
PARAMS = [(name, None) for name in fm.ops.ACTIVATIONS]
PARAMS += [("leaky_relu", 0.2), ("leaky_relu", -0.5), ("elu", 1.7), ("elu", 0.3)]


@pytest.mark.parametrize("name,param", PARAMS, ids=str)
def test_backward_matches_central_differences(name, param):
    rng = np.random.default_rng(7)
    x = rng.uniform(-8, 8, 300)
    x = x[np.abs(x) > 0.1]  # away from the kinks of relu, leaky_relu and elu at 0
    args = () if param is None else (param,)
    h = 1e-6
    numeric = (forward(name)(x + h, *args) - forward(name)(x - h, *args)) / (2 * h)
    analytic = backward(name)(x, np.ones_like(x), *args)
    # Truncation h²/6·|f'''| ≲ 1e-13; rounding 2·eps·|f|/(2h) ≲ 2e-9 for |f| ≤ 8.
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name,param", PARAMS[len(fm.ops.ACTIVATIONS) :], ids=str)
def test_non_default_parameter_matches_reference(name, param, dtype):
    x, dy = make_input((257,), dtype, 11)
    assert_matches_reference(name, x, dy, param)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _torch_call(torch, name, t, param):
    F = torch.nn.functional
    p = DEFAULT_PARAM.get(name) if param is None else param
    calls = {
        "identity": lambda: t * 1,
        "relu": lambda: F.relu(t),
        "leaky_relu": lambda: F.leaky_relu(t, negative_slope=p),
        "sigmoid": lambda: torch.sigmoid(t),
        "tanh": lambda: torch.tanh(t),
        "elu": lambda: F.elu(t, alpha=p),
        "gelu": lambda: F.gelu(t, approximate="none"),
        "gelu_tanh": lambda: F.gelu(t, approximate="tanh"),
        "silu": lambda: F.silu(t),
        "softplus": lambda: F.softplus(t),
    }
    return calls[name]()


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name,param", PARAMS, ids=str)
def test_matches_pytorch(torch, name, param, dtype):
    rng = np.random.default_rng(3)
    # |x| ≤ 12: torch's softplus returns x itself above its threshold of 20, which differs
    # from log(1 + eˣ) by e⁻ˣ ≈ 2e-9 at 20, more than a float64 tolerance.
    x = np.concatenate([rng.uniform(-12, 12, 997), [0.0, -0.0, 1e-7]]).astype(dtype)
    dy = rng.standard_normal(x.size).astype(dtype)
    args = () if param is None else (param,)
    t = torch.from_numpy(x.copy()).requires_grad_()
    out = _torch_call(torch, name, t, param)
    out.backward(torch.from_numpy(dy))
    # Both sides are within a few ulps of max(1, |x|) of the exact value (see
    # assert_matches_reference). Measured |ours − torch| over 2·10⁵ points in [−12, 12]:
    # at most 2.9 eps·max(1, |x|) in float32 (GELU, torch's vectorized erf) and 3.2 in
    # float64 (GELU-tanh'); 16 leaves a 5× margin.
    eps = np.finfo(dtype).eps
    bound = 16 * eps * np.maximum(1, np.abs(x.astype(np.float64)))
    y = forward(name)(x, *args)
    dx = backward(name)(x, dy, *args)
    assert np.all(np.abs(y - out.detach().numpy()) <= bound)
    assert np.all(np.abs(dx - t.grad.numpy()) <= bound * np.maximum(1, np.abs(dy)))


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", fm.ops.ACTIVATIONS)
def test_dtype_is_preserved(name, dtype):
    x = np.linspace(-3, 3, 9, dtype=dtype)
    assert forward(name)(x).dtype == dtype
    assert backward(name)(x, np.ones_like(x)).dtype == dtype


@pytest.mark.parametrize(
    "input_dtype,expected",
    [
        (np.int64, np.float64),
        (np.int32, np.float64),
        (np.int16, np.float32),
        (np.int8, np.float32),
        (np.uint8, np.float32),
        (np.bool_, np.float32),
        (np.float16, np.float32),
    ],
    ids=str,
)
@pytest.mark.parametrize("name", ["relu", "tanh", "softplus"])
def test_integer_and_bool_inputs_promote_like_numpy(name, input_dtype, expected):
    x = np.array([0, 1, 1, 0, 1], input_dtype)
    if input_dtype not in (np.uint8, np.bool_):
        x = np.array([-3, -1, 0, 1, 2], input_dtype)
    y = forward(name)(x)
    assert y.dtype == expected == np.result_type(x, np.float32)
    np.testing.assert_allclose(y, REFERENCE[name][0](x.astype(np.float64), 0.0), rtol=1e-6)
    dx = backward(name)(x, np.ones(x.shape, input_dtype))
    assert dx.dtype == expected
    np.testing.assert_allclose(
        dx, REFERENCE[name][1](x.astype(np.float64), 0.0), rtol=1e-6, atol=1e-6
    )


def test_mixed_float_dtypes_promote_to_float64():
    x32 = np.array([-1.0, 2.0], np.float32)
    assert fm.ops.tanh_backward(x32, np.ones(2)).dtype == np.float64
    assert fm.ops.tanh_backward(np.ones(2), x32).dtype == np.float64
    assert fm.ops.relu(x32.tolist()).dtype == np.float64  # a list of Python floats


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", fm.ops.ACTIVATIONS)
def test_out_is_filled_and_returned(name, dtype):
    x, dy = make_input((4, 9), dtype, 5)
    out = np.full_like(x, np.nan)
    assert forward(name)(x, out=out) is out
    np.testing.assert_array_equal(out, forward(name)(x))
    dout = np.full_like(x, np.nan)
    assert backward(name)(x, dy, out=dout) is dout
    np.testing.assert_array_equal(dout, backward(name)(x, dy))


def test_out_is_checked():
    x = np.linspace(-1, 1, 6)
    with pytest.raises(TypeError, match="out must have dtype float64.*got float32"):
        fm.ops.relu(x, out=np.empty(6, np.float32))
    with pytest.raises(ValueError, match=r"out must have shape \(6,\), got \(2, 3\)"):
        fm.ops.relu(x, out=np.empty((2, 3)))
    with pytest.raises(ValueError, match="out shares memory with an input"):
        fm.ops.relu(x, out=x)
    with pytest.raises(ValueError, match="out shares memory with an input"):
        fm.ops.relu_backward(x, np.ones(6), out=x)
    read_only = np.empty(6)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="out is read-only"):
        fm.ops.relu(x, out=read_only)
    with pytest.raises(TypeError, match="out must be a numpy.ndarray"):
        fm.ops.relu(x, out=[0.0] * 6)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (2, 1, 3, 2)], ids=str)
@pytest.mark.parametrize("name", ["relu", "gelu", "elu"])
def test_any_number_of_dimensions_keeps_its_shape(name, shape):
    x, dy = make_input(shape, np.float64, 9)
    y, dx = forward(name)(x), backward(name)(x, dy)
    assert y.shape == dx.shape == shape
    flat_y = forward(name)(x.reshape(-1))
    flat_dx = backward(name)(x.reshape(-1), dy.reshape(-1))
    np.testing.assert_array_equal(y.reshape(-1), flat_y)
    np.testing.assert_array_equal(dx.reshape(-1), flat_dx)


def test_zero_dimensional_array_keeps_its_shape():
    y = fm.ops.tanh(np.array(0.5))
    assert y.shape == () and y == np.tanh(0.5)
    assert fm.ops.tanh_backward(np.array(0.5), np.array(2.0)).shape == ()


@pytest.mark.parametrize("value", [np.float64(0.5), np.float32(0.5), 0.5, 1, np.array(1)], ids=repr)
def test_scalar_input_gives_zero_dimensional_output(value):
    # as np.tanh(value): the shape of a scalar is (), not (1,)
    assert fm.ops.tanh(value).shape == ()
    assert fm.ops.tanh_backward(value, 1.0).shape == ()


def test_non_contiguous_and_fortran_inputs():
    x = np.random.default_rng(4).standard_normal((6, 8))
    expected = np.tanh(x[:, ::2])
    np.testing.assert_allclose(fm.ops.tanh(x[:, ::2]), expected, rtol=1e-15)
    fortran = np.asfortranarray(x)
    np.testing.assert_allclose(fm.ops.tanh(fortran), np.tanh(x), rtol=1e-15)
    np.testing.assert_allclose(fm.ops.tanh(x.T), np.tanh(x.T), rtol=1e-15)


def test_backward_needs_dy_of_the_shape_of_x():
    with pytest.raises(ValueError, match=r"relu_backward: dy must have the shape of x \(3,\)"):
        fm.ops.relu_backward(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match=r"tanh_backward: dy must have the shape of x \(2, 3\)"):
        fm.ops.tanh_backward(np.ones((2, 3)), np.ones((3, 2)))


def test_non_real_input_is_a_type_error():
    with pytest.raises(TypeError, match=r"relu: x must hold real numbers.*complex"):
        fm.ops.relu(np.ones(2, complex))
    with pytest.raises(TypeError, match=r"tanh_backward: dy must hold real numbers"):
        fm.ops.tanh_backward(np.ones(2), np.array(["a", "b"]))


def test_leaky_relu_and_elu_parameters():
    x = np.array([-2.0, -0.5, 0.0, 3.0])
    np.testing.assert_array_equal(fm.ops.leaky_relu(x), [-0.02, -0.005, 0.0, 3.0])
    np.testing.assert_array_equal(fm.ops.leaky_relu(x, 0.25), [-0.5, -0.125, 0.0, 3.0])
    np.testing.assert_array_equal(fm.ops.leaky_relu_backward(x, np.ones(4), 0.25), [0.25] * 3 + [1])
    np.testing.assert_allclose(fm.ops.elu(x, 2.0), [2 * np.expm1(-2), 2 * np.expm1(-0.5), 0, 3])
    np.testing.assert_allclose(
        fm.ops.elu_backward(x, np.ones(4), 2.0), [2 * np.exp(-2), 2 * np.exp(-0.5), 2, 1]
    )
    # numpy scalars and ints are accepted as the parameter
    np.testing.assert_array_equal(fm.ops.leaky_relu(x, np.float32(0.5)), fm.ops.leaky_relu(x, 0.5))
    np.testing.assert_array_equal(fm.ops.elu(x, 2), fm.ops.elu(x, 2.0))


@pytest.mark.parametrize("name", [n for n in fm.ops.ACTIVATIONS if n not in DEFAULT_PARAM])
def test_parameter_to_an_activation_without_one_is_a_type_error(name):
    x = np.ones(3)
    with pytest.raises(TypeError, match=f"{name}: too many arguments"):
        forward(name)(x, 0.5)
    with pytest.raises(TypeError, match=f"{name}_backward: too many arguments"):
        backward(name)(x, x, 0.5)


@pytest.mark.parametrize("name,param_name", [("leaky_relu", "negative_slope"), ("elu", "alpha")])
def test_bad_parameter_values(name, param_name):
    x = np.ones(3)
    with pytest.raises(TypeError, match=f"{name}: too many arguments"):
        forward(name)(x, 0.5, 0.5)
    with pytest.raises(TypeError, match=f"{name}: {param_name} must be a real number"):
        forward(name)(x, "0.5x")
    for bad in (math.nan, math.inf):
        with pytest.raises(ValueError, match=f"{name}: {param_name} must be finite"):
            forward(name)(x, bad)
        with pytest.raises(ValueError, match=f"{name}_backward: {param_name} must be finite"):
            backward(name)(x, x, bad)

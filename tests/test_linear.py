"""The fused linear layer: activation(x·Wᵀ + b) in the GEMM's write-back.

The fused result must equal the unfused composition computed in float64 (the activations
themselves are checked against independent references in test_activations.py). k crosses
the 256-wide cache block, so the bias and activation must be applied once, after the last
block, never to a partial sum.
"""

from __future__ import annotations

import numpy as np
import pytest

import fastmlp as fm

DTYPES = (np.float32, np.float64)
SHAPES = [(1, 1, 1), (1, 100, 40), (7, 10, 3), (33, 17, 300), (150, 298, 40), (64, 10, 513)]
SHAPES += [(50, 3, 1), (20, 33, 1)]  # one input: the plain loop's vector path
SHAPES += [(50, 10, 10), (23, 20, 9), (50, 1, 3)]  # one sliver wide: epilogue in the tile or after
SHAPES += [(256, 100, 100), (60, 8, 30)]  # edges of 4 and 8 columns (256-bit tiles on AVX-512)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("activation", fm.ops.ACTIVATIONS)
@pytest.mark.parametrize("n,out_features,in_features", SHAPES, ids=str)
def test_linear_equals_matmul_then_bias_then_activation(
    n, out_features, in_features, activation, dtype
):
    rng = np.random.default_rng([n, out_features, in_features])
    x = rng.standard_normal((n, in_features)).astype(dtype)
    weight = (rng.standard_normal((out_features, in_features)) / np.sqrt(in_features)).astype(dtype)
    bias = rng.standard_normal(out_features).astype(dtype)
    y = fm.ops.linear(x, weight, bias, activation)
    assert y.dtype == dtype and y.shape == (n, out_features)

    pre = x.astype(np.float64) @ weight.astype(np.float64).T + bias
    expected = getattr(fm.ops, activation)(pre)
    # Error of the pre-activation: (k + 3)·u·(|x|·|W|ᵀ + |b|) (see test_gemm.py), and every
    # activation here has |f'| ≤ 1.13 (GELU's maximum slope), plus the activation's own
    # rounding of a few ulps of the result.
    eps = np.finfo(dtype).eps
    scale = np.abs(x.astype(np.float64)) @ np.abs(weight.astype(np.float64)).T + np.abs(bias)
    bound = 1.13 * (in_features + 3) * eps * scale + 8 * eps * np.abs(expected) + 8 * eps
    assert np.all(np.abs(y - expected) <= bound)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
def test_one_sample_and_no_bias(dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(40).astype(dtype)
    weight = rng.standard_normal((100, 40)).astype(dtype)
    y = fm.ops.linear(x, weight)
    assert y.shape == (100,)
    np.testing.assert_allclose(y, weight.astype(np.float64) @ x, rtol=1e-4, atol=1e-4)


# Full register tiles apply bias and ReLU in registers, edge tiles after the store: both must
# keep a NaN (torch's relu does), ReLU's max(0, x) must not turn it into 0.
@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("activation", ["relu", None])
# (20, 70): register tiles; (1, 3): one input's vectors; (10, 3): one sliver wide, its 61
# rows leaving a short last tile.
@pytest.mark.parametrize("inputs,outputs", [(20, 70), (1, 3), (10, 3)])
def test_nan_passes_through_the_epilogue_in_every_tile(dtype, activation, inputs, outputs):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((61, inputs)).astype(dtype)
    x[[0, 17, 60], inputs // 2] = np.nan
    weight = rng.standard_normal((outputs, inputs)).astype(dtype)
    y = fm.ops.linear(x, weight, rng.standard_normal(outputs).astype(dtype), activation)
    assert np.isnan(y[[0, 17, 60]]).all()
    assert not np.isnan(np.delete(y, [0, 17, 60], axis=0)).any()


def test_activation_parameter_reaches_the_epilogue():
    x = -np.ones((2, 3))
    weight = np.eye(3)
    y = fm.ops.linear(x, weight, activation="leaky_relu", activation_param=0.25)
    np.testing.assert_array_equal(y, np.full((2, 3), -0.25))
    y = fm.ops.linear(x, weight, activation="elu", activation_param=2.0)
    np.testing.assert_allclose(y, np.full((2, 3), 2.0 * np.expm1(-1.0)), rtol=1e-15)


def test_out_is_filled_and_returned():
    x, weight = np.ones((4, 3), np.float32), np.ones((5, 3), np.float32)
    out = np.empty((4, 5), np.float32)
    assert fm.ops.linear(x, weight, np.ones(5, np.float32), "relu", out=out) is out
    np.testing.assert_array_equal(out, np.full((4, 5), 4.0, np.float32))
    one = np.empty(5, np.float32)  # one sample: out of shape (5,), filled and returned too
    assert fm.ops.linear(x[0], weight, out=one) is one
    np.testing.assert_array_equal(one, np.full(5, 3.0, np.float32))
    with pytest.raises(TypeError, match="out must be a numpy array, got list"):
        fm.ops.linear(x[0], weight, out=[0.0] * 5)
    with pytest.raises(ValueError, match=r"shape \(5,\) or \(1, 5\) for one sample, got \(6,\)"):
        fm.ops.linear(x[0], weight, out=np.empty(6, np.float32))


def test_empty_batch_gives_empty_output():
    y = fm.ops.linear(np.ones((0, 3), np.float32), np.ones((5, 3), np.float32))
    assert y.shape == (0, 5) and y.dtype == np.float32


def test_no_input_features_gives_the_activated_bias():
    y = fm.ops.linear(np.ones((2, 0)), np.ones((3, 0)), np.array([-1.0, 0.0, 2.0]), "relu")
    np.testing.assert_array_equal(y, [[0.0, 0.0, 2.0], [0.0, 0.0, 2.0]])


def test_matches_torch_linear():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((33, 40)).astype(np.float32)
    weight = rng.standard_normal((10, 40)).astype(np.float32)
    bias = rng.standard_normal(10).astype(np.float32)
    expected = torch.relu(
        torch.nn.functional.linear(
            torch.from_numpy(x), torch.from_numpy(weight), torch.from_numpy(bias)
        )
    ).numpy()
    np.testing.assert_allclose(fm.ops.linear(x, weight, bias, "relu"), expected, atol=1e-5)

"""Networks: structure, forward pass, gradients (finite differences and PyTorch), training,
reproducibility across thread counts, save/load and bad input."""

from __future__ import annotations

import copy
import functools
import math
import pickle

import numpy as np
import pytest

import fastmlp as fm

ACTIVATIONS = fm.ops.ACTIVATIONS
LOSSES = ("least_squares", "cross_entropy", "binary_cross_entropy", "poisson")


def numpy_forward(net, x):
    """The forward pass in float64 numpy, from the layers' weight views."""
    h = np.asarray(x, np.float64)
    for layer in net.layers:
        if isinstance(layer, fm.Dense):
            h = h @ layer.weight.astype(np.float64).T + layer.bias
        elif isinstance(layer, fm.layers.Activation):
            h = getattr(fm.ops, layer.name)(h, *([layer.param] if layer.param else []))
    return h


def targets_for(loss, rng, n, outputs):
    if loss == "cross_entropy":
        return rng.integers(0, outputs, n)
    if loss == "binary_cross_entropy":
        return (rng.random((n, outputs)) < 0.5).astype(np.float64)
    if loss == "poisson":
        return rng.poisson(1.5, (n, outputs)).astype(np.float64)
    return rng.standard_normal((n, outputs))


@pytest.fixture
def threads_restored():
    before = fm.get_num_threads()
    yield
    fm.set_num_threads(before)


@pytest.mark.parametrize(
    "hidden,count", [([298], 15208), ([100] * 2, 15210), ([75] * 3, 15235), ([63] * 4, 15319)]
)
def test_figure_20_2_parameter_counts(hidden, count):
    assert fm.MLP(40, hidden, 10).n_parameters == count


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_predict_matches_numpy(dtype):
    net = fm.MLP(7, [13, 5], 3, activation="tanh", dtype=dtype, seed=1)
    x = np.random.default_rng(2).standard_normal((33, 7))
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(net.predict(x), numpy_forward(net, x), rtol=tol, atol=tol)
    np.testing.assert_allclose(net.predict(x[0]), numpy_forward(net, x[:1])[0], rtol=tol, atol=tol)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
# More than 256 rows are predicted in chunks of at most 256 rows, as even as they come (257 rows:
# 129 and 128), threads taking whole chunks.
@pytest.mark.parametrize("n", [257, 1300])
def test_predict_in_chunks_matches_numpy_and_each_chunk_alone(n, dtype, threads, threads_restored):
    fm.set_num_threads(threads)
    net = fm.MLP(40, [100, 100], 10, dtype=dtype, seed=1)
    x = np.random.default_rng(n).standard_normal((n, 40)).astype(dtype)
    y = net.predict(x)
    tol = 1e-4 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(y, numpy_forward(net, x), rtol=tol, atol=tol)
    chunks = -(-n // 256)
    bounds = [c * (n // chunks) + min(c, n % chunks) for c in range(chunks + 1)]
    for first, end in zip(bounds, bounds[1:]):
        np.testing.assert_array_equal(y[first:end], net.predict(x[first:end]))


def test_predict_takes_any_array_like_the_same_way():
    # Arrays the compiled core takes as they are (C-contiguous, aligned, the net's dtype) and
    # everything the Python layer converts first give the same outputs and shapes.
    net = fm.MLP(7, [13], 3, dtype="float32", seed=1)
    x = np.random.default_rng(2).standard_normal((5, 7)).astype(np.float32)
    batch, one = net.predict(x), net.predict(x[1])
    assert batch.shape == (5, 3) and one.shape == (3,)
    np.testing.assert_allclose(one, batch[1], rtol=1e-6)  # one row may take another GEMM path

    class Subclass(np.ndarray):
        pass

    for other in (
        x.astype(np.float64),
        np.asfortranarray(x),
        x.astype(">f4"),
        x.view(Subclass),
        x.tolist(),
    ):
        np.testing.assert_array_equal(np.asarray(net.predict(other)), batch)
    np.testing.assert_array_equal(net.predict(x[1].astype(np.float64)), one)
    np.testing.assert_array_equal(net.predict(x[:, ::-1][:, ::-1]), batch)  # strided view
    assert net.predict(x[:0]).shape == (0, 3)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 7\).*got shape \(6,\)"):
        net.predict(x[1, :6])
    with pytest.raises(ValueError, match="got shape"):
        net.predict(x[None])


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_matches_central_differences(activation, loss):
    rng = np.random.default_rng(3)
    net = fm.MLP(4, [6, 5], 3, activation=activation, dtype="float64", seed=4)
    net.parameters[...] += 0.1 * rng.standard_normal(net.n_parameters)  # nonzero biases
    x = rng.standard_normal((9, 4))
    y = targets_for(loss, rng, 9, 3)
    value, grad = net.loss_and_gradient(x, y, loss=loss, l2=0.01)
    h = 1e-6
    start = net.parameters.copy()

    def loss_at(i, step):
        net.parameters[...] = start
        net.parameters[i] += step
        return net.loss_and_gradient(x, y, loss=loss, l2=0.01)[0]

    numeric = np.array([(loss_at(i, h) - loss_at(i, -h)) / (2 * h) for i in range(len(grad))])
    net.parameters[...] = start
    assert np.isfinite(value)
    # Central differences err by O(h²·f''') + O(ε·f/h) ≈ 1e-9 here; kinks (ReLU at 0) are
    # not hit with random continuous inputs.
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def numpy_backpropagation(net, x, target, loss="cross_entropy"):
    """The mean loss (cross-entropy against labels, or least squares against targets) of a
    net of Dense, ReLU and Identity layers and its gradient by backpropagation in float64
    numpy, laid out as ``net.parameters`` (per layer W, then b)."""
    outputs = [np.asarray(x, np.float64)]
    for layer in net.layers:
        if isinstance(layer, fm.Dense):
            outputs.append(outputs[-1] @ layer.weight.astype(np.float64).T + layer.bias)
        elif isinstance(layer, fm.ReLU):
            outputs.append(np.maximum(outputs[-1], 0))
        else:
            assert isinstance(layer, fm.Identity)
            outputs.append(outputs[-1])
    if loss == "cross_entropy":
        rows = np.arange(len(x))
        p = np.exp(outputs[-1] - outputs[-1].max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        value = -np.mean(np.log(p[rows, target]))
        delta = p
        delta[rows, target] -= 1
        delta /= len(x)
    else:
        difference = outputs[-1] - target
        value = np.mean(difference**2)
        delta = 2 * difference / difference.size
    parts = []
    for layer, below in zip(reversed(net.layers), reversed(outputs[:-1])):
        if isinstance(layer, fm.Dense):
            parts = [delta.T @ below, delta.sum(axis=0), *parts]
            delta = delta @ layer.weight.astype(np.float64)
        elif isinstance(layer, fm.ReLU):
            delta = delta * (below > 0)
    return value, np.concatenate([part.ravel() for part in parts])


def assert_gradient_matches_numpy(net, x, target, loss):
    value, grad = net.loss_and_gradient(x, target, loss=loss)
    expected_value, expected = numpy_backpropagation(net, x, target, loss)
    # Each gradient is a sum of at most 300 products: off by at most ~300 ulps of its terms'
    # magnitude, which the largest gradient stands for (measured: 2e-7 and 3e-16 of it).
    tol = 1e-5 if net.dtype == np.float32 else 1e-12
    assert value == pytest.approx(expected_value, rel=tol)
    np.testing.assert_allclose(grad, expected, rtol=tol, atol=tol * np.abs(expected).max())


# Shapes whose products take each GEMM path through a training step: one sample (vector
# products), a small net (plain loops; 10-wide layers in one-sliver tiles; its 40-wide layer
# keeps it off the narrow kernels tested below), 33-, 75- and 100-wide layers (blocked tiles;
# narrow edges of 1 and 4 columns, 256-bit on AVX-512), a batch of 32 (input gradients
# computed transposed) and 300 rows (two chunks).
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "n,sizes",
    [
        (1, [40, 100, 10]),
        (50, [1, 10, 10, 40, 3]),
        (37, [40, 33, 10]),
        (32, [40, 100, 100, 10]),
        (256, [40, 100, 100, 10]),
        (300, [40, 75, 75, 10]),
    ],
    ids=str,
)
def test_gradient_matches_numpy_backpropagation(n, sizes, dtype):
    rng = np.random.default_rng(sizes)
    net = fm.MLP(sizes[0], sizes[1:-1], sizes[-1], dtype=dtype, seed=7)
    net.parameters[...] += 0.1 * rng.standard_normal(net.n_parameters)  # nonzero biases
    x = rng.standard_normal((n, sizes[0])).astype(dtype)
    assert_gradient_matches_numpy(net, x, rng.integers(0, sizes[-1], n), "cross_entropy")


# Nets whose every layer is at most one register tile wide (32 floats or 16 doubles with
# AVX-512, 16 and 8 with AVX2), ReLU or linear, train through narrow_layer.hpp's kernels:
# widths around their vectors' (8, 16, 32), layers with fewer inputs than outputs (weight
# gradients by columns) and one output, linear hidden layers and a ReLU output layer,
# batches shorter than a block of rows and 300 rows (two chunks, short last blocks).
NARROW_NETS = [
    (50, [1, 3, 1], "relu", None, "mse"),
    (50, [1, 10, 10, 10, 10, 10, 1], "relu", None, "mse"),
    (7, [2, 8, 9, 3], "relu", None, "cross_entropy"),
    (1, [4, 12, 2], "relu", None, "cross_entropy"),
    (300, [5, 16, 17, 4], "relu", None, "cross_entropy"),
    (33, [32, 31, 32], "identity", None, "mse"),
    (64, [3, 10, 2], "relu", "relu", "mse"),
]


def narrow_net(sizes, activation, output_activation, dtype, rng):
    net = fm.MLP(
        sizes[0],
        sizes[1:-1],
        sizes[-1],
        activation=activation,
        output_activation=output_activation,
        dtype=dtype,
        seed=7,
    )
    net.parameters[...] += 0.1 * rng.standard_normal(net.n_parameters)  # nonzero biases
    return net


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n,sizes,activation,output_activation,loss", NARROW_NETS, ids=str)
def test_narrow_net_gradient_matches_numpy(n, sizes, activation, output_activation, loss, dtype):
    rng = np.random.default_rng(sizes)
    net = narrow_net(sizes, activation, output_activation, dtype, rng)
    x = rng.standard_normal((n, sizes[0])).astype(dtype)
    if loss == "cross_entropy":
        target = rng.integers(0, sizes[-1], n)
    else:
        target = rng.standard_normal((n, sizes[-1])).astype(dtype)
    assert_gradient_matches_numpy(net, x, target, loss)


# predict takes the narrow kernels too (rows padded between layers): 4,000 rows are chunks
# shared by two threads, one row is a block's remainder alone.
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n,sizes,activation,output_activation,loss", NARROW_NETS, ids=str)
def test_narrow_net_predict_matches_numpy(n, sizes, activation, output_activation, loss, dtype):
    rng = np.random.default_rng(sizes)
    net = narrow_net(sizes, activation, output_activation, dtype, rng)
    tol = 1e-5 if dtype == "float32" else 1e-12
    for rows in (n, 1, 4000):
        x = rng.standard_normal((rows, sizes[0])).astype(dtype)
        y = net.predict(x)
        assert y.shape == (rows, sizes[-1]) and y.dtype == dtype
        np.testing.assert_allclose(y, numpy_forward(net, x), rtol=tol, atol=tol)


def torch_copy(net, torch):
    modules = []
    for layer in net.layers:
        if isinstance(layer, fm.Dense):
            linear = torch.nn.Linear(layer.in_features, layer.out_features, dtype=torch.float64)
            modules.append(linear)
        elif isinstance(layer, fm.ReLU):
            modules.append(torch.nn.ReLU())
        elif isinstance(layer, fm.Tanh):
            modules.append(torch.nn.Tanh())
    model = torch.nn.Sequential(*modules)
    model.load_state_dict(
        {k: torch.from_numpy(v.astype(np.float64)) for k, v in net.state_dict().items()}
    )
    return model


@pytest.mark.parametrize(
    "make_ours,make_torch",
    [
        (lambda: fm.optim.SGD(lr=0.1), lambda t, p: t.optim.SGD(p, lr=0.1)),
        (
            lambda: fm.optim.SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
            lambda t, p: t.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
        ),
        (
            lambda: fm.optim.Adam(lr=0.01, weight_decay=0.1),
            lambda t, p: t.optim.Adam(p, lr=0.01, weight_decay=0.1),
        ),
        (
            lambda: fm.optim.AdamW(lr=0.01, weight_decay=0.1),
            lambda t, p: t.optim.AdamW(p, lr=0.01, weight_decay=0.1),
        ),
    ],
    ids=["sgd", "nesterov", "adam", "adamw"],
)
def test_training_steps_match_pytorch(make_ours, make_torch):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    net = fm.MLP(6, [8], 4, dtype="float64", seed=6)
    model = torch_copy(net, torch)
    x = rng.standard_normal((20, 6))
    y = rng.integers(0, 4, 20)
    loss_value = net.loss_and_gradient(x, y)[0]
    expected = torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y))
    assert loss_value == pytest.approx(expected.item(), rel=1e-12)

    optimizer = make_torch(torch, model.parameters())
    for _ in range(3):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(
            model(torch.from_numpy(x)), torch.from_numpy(y)
        ).backward()
        optimizer.step()
    net.fit(x, y, optimizer=make_ours(), epochs=3)  # full batch: one step per epoch
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(net.state_dict()[name], value.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("loss", LOSSES)
# Steps of 1,024 and 2,000 rows: big enough for two threads, in 4 and 8 row chunks.
@pytest.mark.parametrize("batch_size", [1024, None])
def test_fit_is_bitwise_reproducible_across_thread_counts(batch_size, loss):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2000, 40)).astype(np.float32)
    y = targets_for(loss, rng, 2000, 10)
    results = []
    before = fm.get_num_threads()
    try:
        for threads in (1, 2, 3):  # 3: the chunks shared unevenly among the threads
            fm.set_num_threads(threads)
            net = fm.Sequential(
                fm.Dense(40, 300), fm.ReLU(), fm.Dropout(0.2), fm.Dense(300, 10), seed=0
            )
            net.fit(
                x, y, loss=loss, optimizer=fm.optim.Adam(), epochs=3, batch_size=batch_size, seed=1
            )
            results.append(net.parameters.copy())
    finally:
        fm.set_num_threads(before)
    assert all(np.array_equal(results[0], other) for other in results[1:])


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("loss", LOSSES)
# A batch of more than 256 rows is trained in 256-row chunks (see network.cpp): 257 rows
# make two chunks, 1,300 six (the last of 20 rows), 4,700 nineteen in groups of two.
@pytest.mark.parametrize("n", [257, 1300, 4700])
# ReLU: every layer takes the narrow kernels
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_a_long_batch_in_chunks_equals_the_sum_of_its_parts(
    n, loss, activation, threads, threads_restored
):
    fm.set_num_threads(threads)
    rng = np.random.default_rng(n)
    net = fm.MLP(5, [9, 7], 3, activation=activation, dtype="float64", seed=1)
    x, y, weight = rng.standard_normal((n, 5)), targets_for(loss, rng, n, 3), rng.random(n)
    value, gradient = net.loss_and_gradient(
        x, y, loss=loss, sample_weight=weight, reduction="sum", l2=0.1
    )
    # Parts of 200 rows each run as one chunk.
    parts = [
        net.loss_and_gradient(
            x[s : s + 200],
            y[s : s + 200],
            loss=loss,
            sample_weight=weight[s : s + 200],
            reduction="sum",
            l2=0.1 * min(200, n - s) / n,
        )
        for s in range(0, n, 200)
    ]
    assert value == pytest.approx(sum(v for v, _ in parts), rel=1e-12)
    np.testing.assert_allclose(gradient, sum(g for _, g in parts), rtol=1e-10, atol=1e-10)

    single = fm.MLP(5, [9, 7], 3, activation=activation, dtype="float32", seed=1)
    single.parameters[...] = net.parameters
    value32, gradient32 = single.loss_and_gradient(
        x, y, loss=loss, sample_weight=weight, reduction="sum", l2=0.1
    )
    assert value32 == pytest.approx(value, rel=1e-4)
    np.testing.assert_allclose(gradient32, gradient, rtol=1e-3, atol=1e-3 * np.abs(gradient).max())


def test_a_long_batch_in_groups_of_chunks_is_bitwise_the_same_on_1_to_4_threads(
    threads_restored,
):
    # 4,700 rows: 19 chunks in groups of two (10 groups), each group's chunks summed on one
    # thread, the groups shared 10, 5+5, 3+3+4 and 2+3+2+3.
    rng = np.random.default_rng(11)
    net = fm.Sequential(fm.Dense(6, 20), fm.ReLU(), fm.Dropout(0.3), fm.Dense(20, 4), seed=2)
    x, y = rng.standard_normal((4700, 6)).astype(np.float32), rng.integers(0, 4, 4700)
    results = []
    for threads in (1, 2, 3, 4):
        fm.set_num_threads(threads)
        results.append(net.loss_and_gradient(x, y, seed=3))
    for value, gradient in results[1:]:
        assert value == results[0][0]
        assert np.array_equal(gradient, results[0][1])


# 2,000 rows: eight chunks of 250, a group each (one thread adds each chunk's gradient straight
# into the total); 4,700: nineteen chunks of 247 or 248 in groups of two.
@pytest.mark.parametrize("n,chunks,per_group", [(2000, 8, 1), (4700, 19, 2)])
@pytest.mark.parametrize("narrow", [True, False], ids=["narrow", "wide"])
def test_chunk_gradients_sum_bitwise_as_added_apart_on_1_to_3_threads(
    n, chunks, per_group, narrow, threads_restored
):
    rng = np.random.default_rng(n)
    net = fm.MLP(3, [10, 10] if narrow else [40, 40], 2, seed=4)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    y = np.sin(x[:, :2] * 3).astype(np.float32)
    # Each chunk's gradient alone (a batch of one chunk), added within each group in chunk
    # order and then the groups in group order: what the long batch must give, bit for bit.
    starts = [c * (n // chunks) + min(c, n % chunks) for c in range(chunks + 1)]
    parts = [
        net.loss_and_gradient(x[a:b], y[a:b], loss="mse", reduction="sum")[1]
        for a, b in zip(starts, starts[1:])
    ]
    groups = [
        functools.reduce(np.add, parts[g : g + per_group]) for g in range(0, chunks, per_group)
    ]
    expected = functools.reduce(np.add, groups)
    for threads in (1, 2, 3):
        fm.set_num_threads(threads)
        _, gradient = net.loss_and_gradient(x, y, loss="mse", reduction="sum")
        assert gradient.tobytes() == expected.tobytes()


def test_the_core_takes_a_batch_of_no_rows():
    # The Python methods refuse empty batches; the compiled core itself must not crash on
    # one (a new network's buffers were indexed before they existed).
    net = fm.MLP(3, [4], 2, seed=0)
    x, y = np.empty((0, 3), np.float32), np.empty((0, 2), np.float32)
    least_squares = fm.network.LOSSES["least_squares"]
    assert net._core.loss_and_gradient(x, least_squares, y, None, True, 0.0, 0) == 0
    assert not net.gradients.any()


def test_each_chunk_of_a_long_batch_draws_its_own_dropout_masks():
    # The same 256 rows twice: chunks with the same masks would give twice one chunk's
    # gradient; each row's draw depends on its place in the batch.
    net = fm.Sequential(fm.Dense(4, 30), fm.ReLU(), fm.Dropout(0.5), fm.Dense(30, 2), seed=0)
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((256, 4)), rng.standard_normal((256, 2))
    _, one = net.loss_and_gradient(x, y, loss="mse", reduction="sum", seed=5)
    _, twice = net.loss_and_gradient(
        np.tile(x, (2, 1)), np.tile(y, (2, 1)), loss="mse", reduction="sum", seed=5
    )
    assert not np.allclose(twice, 2 * one, rtol=1e-3)


def test_fit_in_two_calls_equals_one_call():
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal((100, 5)), rng.standard_normal((100, 2))
    nets = [fm.MLP(5, [7], 2, seed=0) for _ in range(2)]
    nets[0].fit(x, y, optimizer=fm.optim.SGD(0.01, momentum=0.9), epochs=6, batch_size=16, seed=3)
    nets[1].fit(x, y, optimizer=fm.optim.SGD(0.01, momentum=0.9), epochs=2, batch_size=16, seed=3)
    nets[1].fit(x, y, epochs=4, batch_size=16, seed=3)
    assert np.array_equal(nets[0].parameters, nets[1].parameters)


def test_one_three_one_relu_net_fits_a_noisy_1d_function():
    rng = np.random.default_rng(9)
    x = np.linspace(-1, 1, 50).reshape(-1, 1)
    y = np.abs(x) + 0.05 * rng.standard_normal(x.shape)  # noise variance 0.0025
    losses = []
    for seed in range(5):  # three ReLUs often start partly dead: take the best restart
        net = fm.MLP(1, [3], 1, seed=seed, dtype="float64")
        net.fit(x, y, loss="mse", optimizer=fm.optim.Adam(lr=0.05), epochs=2000)
        losses.append(net.evaluate(x, y)["loss"])
    assert min(losses) < 0.004  # near the noise floor; |x| has variance 0.083


def test_lbfgs_reaches_a_lower_loss():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((64, 3))
    y = np.sin(x).sum(axis=1, keepdims=True)
    net = fm.MLP(3, [10], 1, dtype="float64", seed=0, activation="tanh")
    start = net.evaluate(x, y, loss="mse")["loss"]
    net.fit(x, y, loss="mse", optimizer="lbfgs", epochs=200)
    assert net.evaluate(x, y)["loss"] < start / 20


def test_early_stopping_and_history():
    rng = np.random.default_rng(11)
    x, y = rng.standard_normal((200, 4)), rng.integers(0, 3, 200)
    net = fm.MLP(4, [16], 3, seed=0)
    stop = fm.callbacks.EarlyStopping(monitor="val_loss", patience=2)
    history = net.fit(
        x,
        y,
        epochs=500,
        validation_data=(x[:50], y[:50]),
        callbacks=[stop],
        optimizer=fm.optim.SGD(lr=5.0),
    )
    assert history.stop_reason == "early_stopping" and history.epochs < 500
    assert len(history.val_loss) == len(history.loss) == history.epochs
    assert net.evaluate(x[:50], y[:50])["loss"] == pytest.approx(min(history.val_loss))


def test_divergence_raises_and_keeps_the_last_good_weights():
    x = np.array([[1.0], [2.0]])
    y = np.array([[1e30], [-1e30]])
    net = fm.MLP(1, [2], 1, seed=0, dtype="float32")
    with pytest.raises(FloatingPointError, match="NaN or infinite in epoch 2"):
        net.fit(x, y, optimizer=fm.optim.SGD(lr=1.0), epochs=5)
    # Epoch 1 gave huge but finite weights; epoch 2 was undone.
    one_epoch = fm.MLP(1, [2], 1, seed=0, dtype="float32")
    one_epoch.fit(x, y, optimizer=fm.optim.SGD(lr=1.0), epochs=1)
    assert np.all(np.isfinite(net.parameters))
    assert np.array_equal(net.parameters, one_epoch.parameters)
    with pytest.warns(RuntimeWarning, match="NaN or infinite") as record:
        history = net.fit(x, y, epochs=5, on_divergence="warn")
    assert history.stop_reason == "diverged"
    assert record[0].filename == __file__  # the warning points at the call of fit


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layer", [0, 1])
def test_a_weight_that_is_not_finite_stops_training_though_the_loss_is(dtype, layer):
    # A bias of -inf kills its unit: ReLU gives 0, the loss stays finite and the bias's
    # gradient is 0, so it stays -inf. The check of the parameters after each epoch must see
    # it at parameter 4 (layer 0's bias, in the check's first 16-wide step) and at 16 (layer
    # 1's, among the 5 of 21 after its 16-wide steps).
    net = fm.MLP(1, [4, 2], 1, seed=0, dtype=dtype)
    dense = [module for module in net.layers if isinstance(module, fm.Dense)]
    dense[layer].bias[0] = -np.inf
    before = net.parameters.copy()
    x = np.linspace(-1, 1, 20).reshape(-1, 1)
    assert np.isfinite(net.loss_and_gradient(x, x**2)[0])
    with pytest.raises(FloatingPointError, match="the weights became NaN or infinite in epoch 1"):
        net.fit(x, x**2, epochs=3)
    assert np.array_equal(net.parameters, before)


def test_save_load_and_pickle_round_trip(tmp_path):
    net = fm.Sequential(
        fm.Dense(4, 8),
        fm.LeakyReLU(0.2),
        fm.Dropout(0.1),
        fm.Dense(8, 2),
        fm.GELU("tanh"),
        seed=0,
        dtype="float64",
    )
    x = np.random.default_rng(12).standard_normal((10, 4))
    path = tmp_path / "m.safetensors"
    fm.save(net, path)
    for restored in (fm.load(path), pickle.loads(pickle.dumps(net))):
        assert repr(restored) == repr(net)
        assert np.array_equal(restored.predict(x), net.predict(x))


def test_save_method_load_and_pickle_keep_what_training_goes_on_with(tmp_path):
    rng = np.random.default_rng(13)
    x, y = rng.standard_normal((30, 3)), rng.integers(0, 2, 30)
    for optimizer in (fm.optim.SGD(lr=0.1, momentum=0.9, nesterov=True), fm.optim.Adam(lr=0.01)):
        net = fm.MLP(3, [5], 2, seed=14)
        net.fit(x, y, optimizer=optimizer, epochs=4, seed=15)
        net.save(tmp_path / "m.safetensors")
        loaded = fm.load(tmp_path / "m.safetensors")
        assert np.array_equal(loaded.predict(x), net.predict(x))
        assert loaded.optimizer.config() == optimizer.config()  # settings, not the moments
        # a pickle also keeps the velocity or moments and the step count: the same next steps
        restored = pickle.loads(pickle.dumps(net))
        net.fit(x, y, epochs=3, seed=16)
        restored.fit(x, y, epochs=3, seed=16)
        assert np.array_equal(restored.parameters, net.parameters)


def test_the_optimizer_travels_with_its_schedule_and_only_its_own_networks_state():
    x, y = np.ones((4, 2)), np.ones(4)
    net = fm.MLP(2, [3], 1, seed=0)
    net.fit(x, y, optimizer=fm.optim.SGD(momentum=0.9, schedule=fm.optim.StepLR(2)), epochs=3)
    assert pickle.loads(pickle.dumps(net)).optimizer.schedule(2) == pytest.approx(0.1)
    # a lambda copies (cloudpickle copies it too); the standard pickle says it cannot
    net.optimizer.schedule = lambda epoch: 0.5**epoch
    assert copy.deepcopy(net).optimizer.schedule(1) == 0.5
    with pytest.raises((pickle.PicklingError, AttributeError), match="lambda"):
        pickle.dumps(net)
    # an optimizer that went on to train another network keeps that one's state, not this
    # one's: this network pickles it without state
    net.optimizer.schedule = None
    other = fm.MLP(2, [3], 1, seed=1)
    other.fit(x, y, optimizer=net.optimizer, epochs=2)
    restored = pickle.loads(pickle.dumps(net))
    assert restored.optimizer._saved is None and restored.optimizer.momentum == 0.9
    assert pickle.loads(pickle.dumps(other)).optimizer._saved is not None


def test_settings_set_since_are_checked_before_fit_changes_anything():
    rng = np.random.default_rng(17)
    x, y = rng.standard_normal((20, 3)), rng.standard_normal(20)
    for optimizer, name, bad in (
        (fm.optim.Adam(), "eps", -1.0),
        (fm.optim.Adam(), "betas", (0.9,)),
        (fm.optim.SGD(momentum=0.5), "momentum", 1.5),
        (fm.optim.SGD(), "weight_decay", math.nan),
    ):
        net = fm.MLP(3, [4], 1, seed=18)
        net.fit(x, y, optimizer=optimizer, epochs=1)
        before = net.parameters.copy(), net.loss, net.history, net.epochs_trained
        setattr(optimizer, name, bad)
        with pytest.raises(ValueError, match=name.rstrip("s")):
            net.fit(x, y, epochs=1)
        assert np.array_equal(net.parameters, before[0]) and net.history is before[2]
    # momentum switched off and on again: the velocity goes, then starts from zero
    optimizer = fm.optim.SGD(lr=0.01, momentum=0.9)
    net = fm.MLP(3, [4], 1, seed=18)
    net.fit(x, y, optimizer=optimizer, epochs=2)
    optimizer.momentum = 0.0
    net.fit(x, y, epochs=1)
    optimizer.momentum = 0.9
    net.fit(x, y, epochs=1)
    assert np.all(np.isfinite(net.parameters))


def test_callbacks_need_not_subclass_callback():
    class Counter:
        epochs = 0

        def on_train_begin(self, net):
            pass

        def on_epoch_end(self, net, epoch, logs):
            self.epochs += 1

        def on_train_end(self, net):
            pass

    counter = Counter()
    fm.MLP(2, [3], 1, seed=0).fit(np.ones((4, 2)), np.ones(4), epochs=3, callbacks=[counter])
    assert counter.epochs == 3


def test_a_dense_layer_belongs_to_one_network():
    net = fm.MLP(2, [3], 1, seed=0)
    with pytest.raises(ValueError, match=r"Dense\(2, 3\) is already in a network"):
        fm.Sequential(net.layers[0], fm.ReLU(), fm.Dense(3, 1))
    dense = fm.Dense(2, 2)
    with pytest.raises(ValueError, match="twice in this network"):
        fm.Sequential(dense, dense)
    # a network that failed to build leaves its layers free
    layers = fm.Dense(2, 3), fm.ReLU(), fm.Dense(3, 1)
    with pytest.raises(ValueError, match="init must be one of"):
        fm.Sequential(*layers, init="bogus")
    fm.Sequential(*layers)
    x = np.ones((1, 2))
    # copy.copy is a second handle on the same network, as for a torch module
    handle = copy.copy(net)
    net.layers[0].weight[...] = 0
    assert np.array_equal(handle.predict(x), net.predict(x))
    assert np.array_equal(handle.state_dict()["0.weight"], np.zeros((3, 2)))
    # copy.deepcopy an independent one, whose layers are its own
    twin = copy.deepcopy(net)
    twin.layers[0].weight[...] = 1
    assert np.array_equal(net.state_dict()["0.weight"], np.zeros((3, 2)))
    assert not np.array_equal(twin.predict(x), net.predict(x))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_predict_refuses_nan_and_infinity_whatever_the_layout(dtype, bad):
    net = fm.MLP(3, [4], 2, dtype=dtype, seed=0)
    batch = np.ones((5, 3), dtype)
    batch[4, 2] = bad
    for x in (batch, batch[4], np.asfortranarray(batch), batch.astype(np.float16), batch.tolist()):
        with pytest.raises(ValueError, match="X contains NaN or infinity"):
            net.predict(x)


def test_dtype_takes_what_numpy_reads_as_float32_or_float64():
    spellings = [("float32", np.float32), (np.float32, np.float32), ("f4", np.float32)]
    spellings += [(np.dtype("float64"), np.float64), (np.float64, np.float64)]
    for given, expected in spellings:
        net = fm.MLP(2, [3], 1, dtype=given, seed=0)
        assert net.dtype == expected and net.parameters.dtype == expected
        assert net.predict(np.ones((1, 2))).dtype == expected
    for bad in ("float16", np.int32, None, True, "x", [1], ("f4", -1)):
        with pytest.raises(ValueError, match="dtype must be 'float32' or 'float64'"):
            fm.MLP(2, [3], 1, dtype=bad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fit_and_evaluate_refuse_one_bad_value_wherever_it_is(dtype):
    # one pass of the core's check over every position of odd sizes (its 16 sums and the
    # tail after them); a finite extreme passes
    from fastmlp import _core

    for n in (1, 15, 16, 17, 33, 1001):
        values = np.full(n, np.finfo(dtype).max, dtype)
        assert _core.all_finite(values) and _core.all_finite(values.reshape(1, n))
        for position in range(n):
            for bad in (np.nan, np.inf, -np.inf):
                values[position] = bad
                assert not _core.all_finite(values), (n, position, bad)
            values[position] = -np.finfo(dtype).max
    assert _core.all_finite(np.zeros(0, dtype))
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.all_finite(np.ones((4, 4), dtype)[:, ::2])
    with pytest.raises(TypeError, match="float32 or float64"):
        _core.all_finite(np.ones(3, np.int64))
    net = fm.MLP(3, [4], 2, dtype=dtype, seed=0)
    x, y = np.ones((37, 3), dtype), np.zeros(37, int)
    x[36, 1] = np.nan
    for call in (net.fit, net.evaluate, net.loss_and_gradient):
        with pytest.raises(ValueError, match="X contains NaN or infinity"):
            call(x, y)


def test_binary_cross_entropy_refuses_a_network_ending_in_a_sigmoid():
    net = fm.MLP(3, [4], 2, output_activation="sigmoid", seed=0)
    x, y = np.ones((4, 3)), np.ones((4, 2))
    for call in (net.fit, net.loss_and_gradient, net.evaluate):
        with pytest.raises(ValueError, match="would be applied twice"):
            call(x, y, loss="binary_cross_entropy")


def test_load_warns_of_a_saved_optimizer_it_cannot_make(tmp_path):
    class Custom(fm.optim.SGD):
        pass

    net = fm.MLP(2, [3], 1, seed=0)
    net.fit(np.ones((4, 2)), np.ones(4), optimizer=Custom())
    net.save(tmp_path / "m.safetensors")
    with pytest.warns(UserWarning, match="unknown optimizer 'Custom'"):
        loaded = fm.load(tmp_path / "m.safetensors")
    assert loaded.optimizer is None
    assert np.array_equal(loaded.parameters, net.parameters)


def test_load_rejects_bad_files(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}      ")
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        fm.load(path)
    net = fm.MLP(3, [4], 2, seed=0)
    fm.save(net, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError):
        fm.load(path)


def test_weight_views_write_through():
    net = fm.MLP(2, [3], 1, seed=0)
    net.layers[0].weight = np.ones((3, 2))
    net.layers[0].bias[...] = 0
    net.layers[2].weight[...] = 1
    net.layers[2].bias[...] = 0.5
    assert net.predict(np.array([1.0, 2.0]))[0] == pytest.approx(9.5)
    with pytest.raises(ValueError, match=r"weight must have shape \(3, 2\)"):
        net.layers[0].weight = np.ones((2, 3))


@pytest.mark.parametrize(
    "x,y,kwargs,error,match",
    [
        (np.ones((5, 3)), np.zeros(5, int), {}, ValueError, "expects 4 features, got shape"),
        (np.ones((5, 4)), np.zeros(4, int), {}, ValueError, "y must have 5 rows"),
        (
            np.ones((5, 4)),
            np.full(5, 7),
            {},
            ValueError,
            r"label 7 is not a class index",
        ),
        (np.ones((5, 4)), np.full(5, -1), {}, ValueError, "label -1"),
        (np.full((5, 4), np.nan), np.zeros(5, int), {}, ValueError, "X contains NaN"),
        (np.ones((0, 4)), np.zeros(0, int), {}, ValueError, "X has no rows"),
        (np.ones((5, 4), complex), np.zeros(5, int), {}, TypeError, "X must hold real numbers"),
        (
            np.ones((5, 4)),
            np.zeros(5),
            {"loss": "cross_entropy"},
            TypeError,
            "integer class labels",
        ),
        (np.ones((5, 4)), np.zeros((5, 3)), {"loss": "mse"}, ValueError, r"shape \(5, 2\)"),
        (np.ones((5, 4)), np.zeros(5, int), {"loss": "hinge"}, ValueError, "unknown loss"),
        (np.ones((5, 4)), np.zeros(5, int), {"epochs": -1}, ValueError, "epochs must be an int"),
        (np.ones((5, 4)), np.zeros(5, int), {"batch_size": 0}, ValueError, "batch_size"),
        (np.ones((5, 4)), np.zeros(5, int), {"sample_weight": -np.ones(5)}, ValueError, ">= 0"),
        (
            np.ones((5, 4)),
            np.zeros(5, int),
            {"optimizer": "rmsprop"},
            ValueError,
            "unknown optimizer",
        ),
        (
            np.ones((5, 4)),
            np.eye(2)[np.zeros(5, int)],
            {
                "loss": "binary_cross_entropy",
                "optimizer": "lbfgs",
                "validation_data": (np.ones((5, 4)), np.eye(2)[np.zeros(5, int)]),
            },
            ValueError,
            "validation_data and progress are not supported",
        ),
        (
            np.ones((5, 4)),
            np.zeros(5, int),
            {"callbacks": [fm.callbacks.EarlyStopping(monitor="val_loss")]},
            ValueError,
            "needs validation_data",
        ),
    ],
)
def test_bad_input_is_refused_and_the_network_unchanged(x, y, kwargs, error, match):
    net = fm.MLP(4, [3], 2, seed=0)
    net.fit(np.ones((3, 4)), np.zeros(3, int), epochs=1)
    before = net.parameters.copy(), net.loss, net.optimizer, net.history, net.epochs_trained
    with pytest.raises(error, match=match):
        net.fit(x, y, **kwargs)
    after = net.parameters, net.loss, net.optimizer, net.history, net.epochs_trained
    assert np.array_equal(after[0], before[0]) and after[1:] == before[1:]


def test_bad_architectures():
    with pytest.raises(ValueError, match="takes 5 inputs but the layer before gives 4"):
        fm.Sequential(fm.Dense(3, 4), fm.Dense(5, 2))
    with pytest.raises(ValueError, match="must follow a Dense layer"):
        fm.Sequential(fm.ReLU(), fm.Dense(5, 2))
    with pytest.raises(ValueError, match="unknown activation"):
        fm.MLP(3, [4], 2, activation="swishy")
    with pytest.raises(ValueError, match="positive int"):
        fm.Dense(0, 3)
    with pytest.raises(ValueError, match=r"dropout probability must be in \[0, 1\)"):
        fm.Dropout(1.0)

"""Training API: sample weights, multi-label and multi-output losses against PyTorch, the l2
term, learning-rate schedules, minibatch Adam against PyTorch, predict_proba/evaluate,
callbacks, the progress bar, optimizer state between fits, Ctrl-C, state_dict from PyTorch,
summary and float64 networks."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import fastmlp as fm

LOSSES = ("least_squares", "cross_entropy", "binary_cross_entropy", "poisson")
PYTHON_DIR = str(Path(fm.__file__).resolve().parent.parent)


def targets_for(loss, rng, n, outputs):
    if loss == "cross_entropy":
        return rng.integers(0, outputs, n)
    if loss == "binary_cross_entropy":
        return (rng.random((n, outputs)) < 0.5).astype(np.float64)
    if loss == "poisson":
        return rng.poisson(1.5, (n, outputs)).astype(np.float64)
    return rng.standard_normal((n, outputs))


def unflatten(net, flat):
    """A flat parameter-layout vector as a state_dict (layer by layer: weight, then bias)."""
    out, i = {}, 0
    for index, layer in enumerate(net.layers):
        if isinstance(layer, fm.Dense):
            n = layer.in_features * layer.out_features
            out[f"{index}.weight"] = flat[i : i + n].reshape(layer.out_features, layer.in_features)
            i += n
            out[f"{index}.bias"] = flat[i : i + layer.out_features]
            i += layer.out_features
    assert i == len(flat) == net.n_parameters
    return out


def torch_model(net, torch):
    """A float64 torch.nn.Sequential with the same layers and weights as ``net``."""
    modules = []
    for layer in net.layers:
        if isinstance(layer, fm.Dense):
            modules.append(
                torch.nn.Linear(layer.in_features, layer.out_features, dtype=torch.float64)
            )
        elif isinstance(layer, fm.ReLU):
            modules.append(torch.nn.ReLU())
        elif isinstance(layer, fm.Tanh):
            modules.append(torch.nn.Tanh())
        else:
            raise AssertionError(f"no torch twin for {layer!r}")
    model = torch.nn.Sequential(*modules)
    model.load_state_dict(
        {k: torch.from_numpy(v.astype(np.float64)) for k, v in net.state_dict().items()}
    )
    return model


def weight_squares(net):
    return sum(
        float(np.sum(layer.weight.astype(np.float64) ** 2))
        for layer in net.layers
        if isinstance(layer, fm.Dense)
    )


# ------------------------------------------------------------------------ sample weights
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("loss", LOSSES)
def test_integer_sample_weights_equal_duplicated_rows(loss, reduction):
    rng = np.random.default_rng(20)
    net = fm.MLP(4, [6], 3, activation="tanh", dtype="float64", seed=21)
    net.parameters[...] += 0.1 * rng.standard_normal(net.n_parameters)
    x = rng.standard_normal((9, 4))
    y = targets_for(loss, rng, 9, 3)
    w = np.array([1, 2, 0, 3, 1, 0, 4, 1, 2])
    weighted = net.loss_and_gradient(x, y, loss=loss, sample_weight=w, reduction=reduction)
    repeated = net.loss_and_gradient(
        np.repeat(x, w, axis=0), np.repeat(y, w, axis=0), loss=loss, reduction=reduction
    )
    assert weighted[0] == pytest.approx(repeated[0], rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(weighted[1], repeated[1], rtol=1e-12, atol=1e-12)
    # The same with the l2 term, which does not depend on the rows.
    with_l2 = net.loss_and_gradient(x, y, loss=loss, sample_weight=w, reduction=reduction, l2=0.03)
    assert with_l2[0] == pytest.approx(weighted[0] + 0.015 * weight_squares(net), rel=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("loss", LOSSES)
def test_rows_of_weight_zero_have_no_effect(loss, reduction):
    rng = np.random.default_rng(22)
    net = fm.MLP(4, [6], 3, dtype="float64", seed=23)
    x = rng.standard_normal((10, 4))
    y = targets_for(loss, rng, 10, 3)
    keep = np.array([1, 0, 1, 1, 0, 0, 1, 0, 1, 1], dtype=bool)
    x_noise = x.copy()
    x_noise[~keep] = 1e3 * rng.standard_normal((int((~keep).sum()), 4))  # would dominate
    weighted = net.loss_and_gradient(
        x_noise, y, loss=loss, sample_weight=keep.astype(float), reduction=reduction
    )
    kept = net.loss_and_gradient(x[keep], y[keep], loss=loss, reduction=reduction)
    assert weighted[0] == pytest.approx(kept[0], rel=1e-12)
    np.testing.assert_allclose(weighted[1], kept[1], rtol=1e-12, atol=1e-14)


def test_fit_with_weight_zero_rows_equals_fit_without_them():
    rng = np.random.default_rng(24)
    x = rng.standard_normal((30, 3))
    y = rng.integers(0, 2, 30)
    keep = rng.random(30) < 0.6
    nets = [fm.MLP(3, [5], 2, dtype="float64", seed=25) for _ in range(2)]
    h0 = nets[0].fit(
        x, y, optimizer=fm.optim.SGD(lr=0.5), epochs=4, sample_weight=keep.astype(float)
    )
    h1 = nets[1].fit(x[keep], y[keep], optimizer=fm.optim.SGD(lr=0.5), epochs=4)
    np.testing.assert_allclose(nets[0].parameters, nets[1].parameters, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h0.loss, h1.loss, rtol=1e-12)


# --------------------------------------------------------- binary cross-entropy, multi-label
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_binary_cross_entropy_matches_torch(reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(26)
    net = fm.MLP(5, [7], 4, activation="tanh", dtype="float64", seed=27)
    net.parameters[...] += 0.2 * rng.standard_normal(net.n_parameters)
    x = rng.standard_normal((11, 5))
    y = (rng.random((11, 4)) < 0.4).astype(np.float64)
    y[0] = [0.25, 0.5, 0.75, 1.0]  # soft targets too
    value, grad = net.loss_and_gradient(x, y, loss="binary_cross_entropy", reduction=reduction)
    model = torch_model(net, torch)
    expected = torch.nn.BCEWithLogitsLoss(reduction=reduction)(
        model(torch.from_numpy(x)), torch.from_numpy(y)
    )
    expected.backward()
    assert value == pytest.approx(expected.item(), rel=1e-12)
    ours = unflatten(net, grad)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(ours[name], p.grad.numpy(), rtol=1e-10, atol=1e-14)


# ---------------------------------------------------------------------------------- Poisson
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_poisson_matches_torch_and_is_the_half_deviance(reduction, dtype):
    # torch's PoissonNLLLoss(log_input=True) is e^z − t·z; the half deviance adds
    # t·log t − t, which does not depend on the weights: the same gradient.
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(30)
    net = fm.MLP(5, [7], 3, activation="tanh", dtype=dtype, seed=31)
    x = rng.standard_normal((13, 5)).astype(dtype)
    y = rng.poisson(2.0, (13, 3)).astype(dtype)
    y[0] = [0.0, 0.5, 7.0]  # zero and non-integer counts too
    value, grad = net.loss_and_gradient(x, y, loss="poisson", reduction=reduction)
    model = torch_model(net, torch)
    y64 = y.astype(np.float64)
    expected = torch.nn.PoissonNLLLoss(log_input=True, full=False, reduction=reduction)(
        model(torch.from_numpy(x.astype(np.float64))), torch.from_numpy(y64)
    )
    expected.backward()
    constant = np.where(y64 > 0, y64 * np.log(np.where(y64 > 0, y64, 1)), 0) - y64
    constant = constant.mean() if reduction == "mean" else constant.sum()
    rtol = 1e-12 if dtype == "float64" else 1e-5
    assert value == pytest.approx(expected.item() + constant, rel=rtol)
    ours = unflatten(net, grad)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(ours[name], p.grad.numpy(), rtol=100 * rtol, atol=rtol * 1e-2)
    # Zero where every predicted rate is its count
    fitted = net.loss_and_gradient(x, np.exp(net.predict(x)), loss="poisson")[0]
    assert abs(fitted) < (1e-12 if dtype == "float64" else 1e-5)


def test_poisson_counts_are_learnt_and_must_be_non_negative():
    rng = np.random.default_rng(32)
    x = rng.standard_normal((400, 3))
    rate = np.exp(0.8 * x[:, :1] - 0.5 * x[:, 1:2])
    y = rng.poisson(rate).astype(np.float64)
    net = fm.MLP(3, [16], 1, seed=33)
    before = net.evaluate(x, y, loss="poisson")["loss"]
    history = net.fit(x, y, loss="poisson", optimizer=fm.optim.Adam(lr=0.02), epochs=200)
    assert net.loss == "poisson" and history.accuracy == []  # no classes
    after = net.evaluate(x, y)["loss"]
    assert after < 0.7 * before
    # The log rates: their exp follows the true rate
    assert np.corrcoef(np.exp(net.predict(x)).ravel(), rate.ravel())[0, 1] > 0.9
    with pytest.raises(ValueError, match="poisson targets are counts >= 0, got -1"):
        net.fit(x, np.where(np.arange(400)[:, None] == 7, -1.0, y), loss="poisson")


def test_multi_label_problem_is_learnt():
    rng = np.random.default_rng(28)
    x = rng.standard_normal((300, 4))
    y = np.stack([x[:, 0] > 0, x[:, 1] + x[:, 2] > 0, x[:, 3] < 0.5], axis=1).astype(float)
    net = fm.MLP(4, [16], 3, seed=29)
    before = net.evaluate(x, y, loss="binary_cross_entropy")
    history = net.fit(
        x, y, loss="binary_cross_entropy", optimizer=fm.optim.Adam(lr=0.03), epochs=150
    )
    assert net.loss == "binary_cross_entropy"
    after = net.evaluate(x, y)
    assert after["loss"] < before["loss"] / 3
    assert after["accuracy"] > 0.85  # all 3 labels right; chance is 1/8
    assert history.accuracy[-1] > 0.8
    p = net.predict_proba(x)
    assert p.shape == (300, 3) and p.dtype == np.float32
    assert np.all((p >= 0) & (p <= 1))
    z = net.predict(x).astype(np.float64)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-z)), rtol=1e-6, atol=1e-7)
    exact = np.mean(np.all((p > 0.5) == (y > 0.5), axis=1))
    assert after["accuracy"] == pytest.approx(exact)


def test_binary_predict_proba_stays_in_unit_interval_for_huge_logits():
    net = fm.MLP(1, [2], 2, seed=0, dtype="float64")
    net.loss = "binary_cross_entropy"
    net.layers[2].weight[...] = [[1e4, 1e4], [-1e4, -1e4]]
    net.layers[0].weight[...] = [[1.0], [1.0]]
    p = net.predict_proba(np.array([[10.0], [1e-9]]))
    assert np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1))
    assert p[0, 0] == 1.0 and p[0, 1] == 0.0


# -------------------------------------------------- least squares, multi-output, l2
def test_least_squares_multi_output_with_l2_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(30)
    net = fm.MLP(3, [8, 6], 4, dtype="float64", seed=31)
    net.parameters[...] += 0.1 * rng.standard_normal(net.n_parameters)  # nonzero biases
    x = rng.standard_normal((13, 3))
    y = rng.standard_normal((13, 4))
    l2 = 0.05
    value, grad = net.loss_and_gradient(x, y, loss="mse", l2=l2)
    model = torch_model(net, torch)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    expected = torch.nn.MSELoss()(model(torch.from_numpy(x)), torch.from_numpy(y))
    expected = expected + l2 / 2 * sum((w**2).sum() for w in weights)
    expected.backward()
    assert value == pytest.approx(expected.item(), rel=1e-12)
    ours = unflatten(net, grad)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(ours[name], p.grad.numpy(), rtol=1e-10, atol=1e-14)


# Layers of 15 and 10 weights, and of 1,073 and 319 (beyond the kernel's eight partial sums,
# with a remainder); float32 weights are summed in float64 too.
@pytest.mark.parametrize(
    ("sizes", "dtype", "rtol"), [((3, 5, 2), "float64", 1e-12), ((37, 29, 11), "float32", 1e-6)]
)
def test_l2_adds_half_the_sum_of_squared_weights_not_biases(sizes, dtype, rtol):
    rng = np.random.default_rng(32)
    net = fm.MLP(sizes[0], [sizes[1]], sizes[2], dtype=dtype, seed=33)
    for layer in net.layers:
        if isinstance(layer, fm.Dense):
            layer.bias[...] = 5 + rng.standard_normal(layer.bias.shape)  # large biases
    x = rng.standard_normal((7, sizes[0])).astype(dtype)
    y = rng.standard_normal((7, sizes[2])).astype(dtype)
    plain_value, plain_grad = net.loss_and_gradient(x, y, loss="least_squares")
    l2_value, l2_grad = net.loss_and_gradient(x, y, loss="least_squares", l2=0.2)
    weights = (net.layers[0].weight.astype(np.float64), net.layers[2].weight.astype(np.float64))
    squares = sum(np.sum(w**2) for w in weights)
    assert l2_value - plain_value == pytest.approx(0.1 * squares, rel=1e-12)
    plain, with_l2 = unflatten(net, plain_grad), unflatten(net, l2_grad)
    for name in plain:
        extra = 0.2 * net.state_dict()[name] if name.endswith("weight") else 0.0
        np.testing.assert_allclose(with_l2[name], plain[name] + extra, rtol=rtol, atol=rtol * 1e-2)
    # The sum reduction adds the same term.
    sum_value = net.loss_and_gradient(x, y, loss="least_squares", reduction="sum", l2=0.2)[0]
    sum_plain = net.loss_and_gradient(x, y, loss="least_squares", reduction="sum")[0]
    assert sum_value - sum_plain == pytest.approx(0.1 * squares, rel=1e-10)


class LogRecorder(fm.callbacks.Callback):
    def __init__(self):
        self.logs = []

    def on_epoch_end(self, net, epoch, logs):
        self.logs.append(dict(logs))


def squared_weights(net):
    return sum(np.sum(layer.weight**2) for layer in net.layers if isinstance(layer, fm.Dense))


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("per_epoch", [False, True])  # epochs in one C++ call, or one by one
def test_l2_per_sample_divides_each_batchs_term_by_its_weight(weighted, per_epoch):
    # 50 rows in batches of 16: the last holds 2. scikit-learn's alpha: each batch's term is
    # l2 / (2 · its total weight) · Σ W²; the epoch's loss and penalty average the batches'
    # by their weight.
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((50, 4)), rng.standard_normal((50, 2))
    weight = rng.uniform(0.5, 2.0, 50) if weighted else np.ones(50)
    net = fm.MLP(4, [6], 2, dtype="float64", seed=6)
    by_hand = fm.MLP(4, [6], 2, dtype="float64", seed=6)
    recorder = LogRecorder()
    history = net.fit(
        x,
        y,
        optimizer=fm.optim.SGD(lr=0.1),
        epochs=3,
        batch_size=16,
        shuffle=False,
        sample_weight=weight if weighted else None,
        l2=0.3,
        l2_per_sample=True,
        callbacks=[recorder] if per_epoch else [],
    )
    for epoch in range(3):
        loss = penalty = 0.0
        for s in range(0, 50, 16):
            w = weight[s : s + 16]
            l2 = 0.3 / w.sum()
            penalty += 0.5 * l2 * squared_weights(by_hand) * w.sum()
            value, gradient = by_hand.loss_and_gradient(
                x[s : s + 16], y[s : s + 16], sample_weight=w, l2=l2
            )
            loss += value * w.sum()
            by_hand.parameters[...] -= 0.1 * gradient
        assert history.loss[epoch] == pytest.approx(loss / weight.sum(), rel=1e-12)
        assert history.penalty[epoch] == pytest.approx(penalty / weight.sum(), rel=1e-12)
    np.testing.assert_allclose(net.parameters, by_hand.parameters, rtol=1e-12, atol=1e-14)
    if per_epoch:
        assert [logs["penalty"] for logs in recorder.logs] == history.penalty
    before = net.parameters.copy()
    with pytest.raises(TypeError, match="l2_per_sample must be True or False, got str"):
        net.fit(x, y, l2=0.3, l2_per_sample="yes")
    assert np.array_equal(net.parameters, before)
    # Without the flag, the same l2 for every batch
    plain = fm.MLP(4, [6], 2, dtype="float64", seed=6)
    plain.fit(x, y, optimizer=fm.optim.SGD(lr=0.1), batch_size=16, shuffle=False, l2=0.3)
    by_hand = fm.MLP(4, [6], 2, dtype="float64", seed=6)
    for s in range(0, 50, 16):
        gradient = by_hand.loss_and_gradient(x[s : s + 16], y[s : s + 16], l2=0.3)[1]
        by_hand.parameters[...] -= 0.1 * gradient
    np.testing.assert_allclose(plain.parameters, by_hand.parameters, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("weighted", [False, True])
def test_loss_and_gradient_takes_l2_per_sample_as_fit(weighted):
    # (X, y) one batch: the term divided by its total weight, as one full-batch SGD step has it
    rng = np.random.default_rng(11)
    x, y = rng.standard_normal((30, 3)), rng.standard_normal((30, 2))
    weight = rng.uniform(0.5, 2.0, 30) if weighted else None
    total = weight.sum() if weighted else 30
    net = fm.MLP(3, [5], 2, dtype="float64", seed=12)
    value, gradient = net.loss_and_gradient(x, y, sample_weight=weight, l2=0.3, l2_per_sample=True)
    divided = net.loss_and_gradient(x, y, sample_weight=weight, l2=0.3 / total)
    assert value == divided[0] and np.array_equal(gradient, divided[1])
    assert value != net.loss_and_gradient(x, y, sample_weight=weight, l2=0.3)[0]
    stepped = fm.MLP(3, [5], 2, dtype="float64", seed=12)
    sgd = fm.optim.SGD(lr=0.1)
    stepped.fit(x, y, optimizer=sgd, sample_weight=weight, l2=0.3, l2_per_sample=True)
    np.testing.assert_allclose(stepped.parameters, net.parameters - 0.1 * gradient, rtol=1e-14)
    with pytest.raises(TypeError, match="l2_per_sample must be True or False, got int"):
        net.loss_and_gradient(x, y, l2=0.3, l2_per_sample=1)


def test_penalty_is_logged_only_with_an_l2_term():
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((30, 3)), rng.integers(0, 2, 30)
    net = fm.MLP(3, [5], 2, seed=8)
    recorder = LogRecorder()
    history = net.fit(x, y, epochs=2, callbacks=[recorder], seed=0)
    assert history.penalty == [] and all("penalty" not in logs for logs in recorder.logs)
    # reduction="sum": the penalty is the term itself, its share of the summed loss
    history = net.fit(x, y, epochs=1, reduction="sum", l2=0.5, optimizer=fm.optim.SGD(lr=0))
    assert history.penalty == [pytest.approx(0.25 * squared_weights(net), rel=1e-6)]
    value = net.loss_and_gradient(x, y, reduction="sum", l2=0.5)[0]
    assert history.loss == [pytest.approx(value, rel=1e-6)]


def test_l2_per_sample_with_lbfgs_divides_by_the_total_weight():
    rng = np.random.default_rng(9)
    x, y = rng.standard_normal((40, 3)), rng.standard_normal((40, 1))
    weight = rng.uniform(0.5, 2.0, 40)
    per_sample, divided = (fm.MLP(3, [4], 1, dtype="float64", seed=10) for _ in range(2))
    settings = dict(epochs=5, sample_weight=weight)
    history = per_sample.fit(x, y, optimizer="lbfgs", l2=0.6, l2_per_sample=True, **settings)
    divided.fit(x, y, optimizer="lbfgs", l2=0.6 / weight.sum(), **settings)
    assert np.array_equal(per_sample.parameters, divided.parameters)
    penalty = 0.3 / weight.sum() * squared_weights(per_sample)
    assert history.penalty == [pytest.approx(penalty, rel=1e-12)]


# ------------------------------------------------------------------ learning-rate schedules
def test_schedule_values_per_epoch():
    step = fm.optim.StepLR(step_size=2, gamma=0.5)
    assert [step(e) for e in range(7)] == [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]
    exponential = fm.optim.ExponentialLR(gamma=0.9)
    np.testing.assert_allclose([exponential(e) for e in range(5)], 0.9 ** np.arange(5))
    cosine = fm.optim.CosineLR(t_max=4)
    s = math.sqrt(0.5)
    expected = [1, (1 + s) / 2, 0.5, (1 - s) / 2, 0, 0, 0]
    np.testing.assert_allclose([cosine(e) for e in range(7)], expected, atol=1e-15)
    floor = fm.optim.CosineLR(t_max=4, min_factor=0.2)
    np.testing.assert_allclose(
        [floor(e) for e in range(6)], 0.2 + 0.8 * np.array(expected[:6]), atol=1e-15
    )
    sgd = fm.optim.SGD(lr=0.3, schedule=step)
    assert [sgd.learning_rate(e) for e in range(4)] == pytest.approx([0.3, 0.3, 0.15, 0.15])
    assert fm.optim.Adam(lr=0.01).learning_rate(100) == 0.01
    with pytest.raises(ValueError, match="step_size"):
        fm.optim.StepLR(0)
    with pytest.raises(ValueError, match="t_max"):
        fm.optim.CosineLR(0)


def test_schedules_match_torch_schedulers():
    torch = pytest.importorskip("torch")
    cases = [
        (fm.optim.StepLR(3, 0.3), lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.3)),
        (fm.optim.ExponentialLR(0.8), lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.8)),
        (
            fm.optim.CosineLR(5, min_factor=0.1),
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 5, eta_min=0.1 * 2.0),
        ),
    ]
    for schedule, make in cases:
        optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=2.0)
        scheduler = make(optimizer)
        torch_lrs = []
        for _ in range(6):  # CosineAnnealingLR restarts after 2·t_max: stay within it
            torch_lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
        ours = [fm.optim.SGD(lr=2.0, schedule=schedule).learning_rate(e) for e in range(6)]
        np.testing.assert_allclose(ours, torch_lrs, rtol=1e-12, atol=1e-15, err_msg=str(schedule))


@pytest.mark.parametrize(
    "schedule",
    [fm.optim.StepLR(1, 0.5), fm.optim.ExponentialLR(0.7), fm.optim.CosineLR(3, 0.1)],
    ids=["step", "exponential", "cosine"],
)
def test_fit_applies_the_schedule_per_epoch(schedule):
    rng = np.random.default_rng(34)
    x, y = rng.standard_normal((16, 3)), rng.standard_normal((16, 2))
    net = fm.MLP(3, [5], 2, activation="tanh", dtype="float64", seed=35)
    manual = fm.MLP(3, [5], 2, activation="tanh", dtype="float64", seed=35)
    net.fit(x, y, optimizer=fm.optim.SGD(lr=0.2, schedule=schedule), epochs=3)
    for epoch in range(3):
        _, grad = manual.loss_and_gradient(x, y, loss="least_squares")
        manual.parameters[...] -= 0.2 * schedule(epoch) * grad
    np.testing.assert_allclose(net.parameters, manual.parameters, rtol=1e-12, atol=1e-15)
    # Epochs are numbered across fit calls, and per-epoch mode (a callback) agrees.
    split = fm.MLP(3, [5], 2, activation="tanh", dtype="float64", seed=35)
    split.fit(x, y, optimizer=fm.optim.SGD(lr=0.2, schedule=schedule), epochs=1)
    split.fit(x, y, epochs=2, callbacks=[fm.callbacks.Callback()])
    assert split.epochs_trained == 3
    np.testing.assert_allclose(split.parameters, manual.parameters, rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------- minibatch Adam against torch
def test_minibatch_adam_matches_torch_with_a_partial_last_batch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(36)
    net = fm.MLP(4, [9], 3, dtype="float64", seed=37)
    model = torch_model(net, torch)
    x, y = rng.standard_normal((20, 4)), rng.standard_normal((20, 3))
    history = net.fit(
        x,
        y,
        loss="mse",
        optimizer=fm.optim.Adam(lr=0.02, betas=(0.8, 0.99), eps=1e-7),
        epochs=4,
        batch_size=7,
        shuffle=False,
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02, betas=(0.8, 0.99), eps=1e-7)
    torch_losses = []
    for _ in range(4):
        total = 0.0
        for start in range(0, 20, 7):  # batches of 7, 7 and 6 rows
            xb = torch.from_numpy(x[start : start + 7])
            yb = torch.from_numpy(y[start : start + 7])
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        torch_losses.append(total / 20)
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(net.state_dict()[name], value.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(history.loss, torch_losses, rtol=1e-9)
    assert "accuracy" not in [k for k, v in history.history.items() if v]


@pytest.mark.parametrize(
    "make_ours,make_theirs,changes",
    [
        (
            lambda: fm.optim.SGD(lr=0.05, momentum=0.5),
            lambda torch, p: torch.optim.SGD(p, lr=0.05, momentum=0.5),
            {"momentum": 0.9, "weight_decay": 0.01},
        ),
        (
            lambda: fm.optim.Adam(lr=0.02),
            lambda torch, p: torch.optim.Adam(p, lr=0.02),
            {"betas": (0.8, 0.99), "eps": 1e-6, "lr": 0.01},
        ),
    ],
    ids=["sgd", "adam"],
)
def test_settings_changed_between_fits_apply_as_in_a_torch_param_group(
    make_ours, make_theirs, changes
):
    # torch keeps the velocity, the moments and the step count and uses the new settings
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(70)
    net = fm.MLP(4, [6], 2, dtype="float64", seed=71)
    model = torch_model(net, torch)
    x, y = rng.standard_normal((16, 4)), rng.standard_normal((16, 2))
    ours, theirs = make_ours(), make_theirs(torch, model.parameters())

    def torch_steps(count):
        for _ in range(count):
            theirs.zero_grad()
            torch.nn.functional.mse_loss(model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
            theirs.step()

    net.fit(x, y, loss="mse", optimizer=ours, epochs=3)
    torch_steps(3)
    for name, value in changes.items():
        setattr(ours, name, value)
        theirs.param_groups[0][name] = value
    net.fit(x, y, epochs=2)
    torch_steps(2)
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(net.state_dict()[name], value.numpy(), rtol=1e-9, atol=1e-12)


def test_a_learning_rate_set_out_of_range_is_refused_before_training():
    rng = np.random.default_rng(72)
    x, y = rng.standard_normal((10, 3)), rng.integers(0, 2, 10)
    net = fm.MLP(3, [4], 2, seed=73)
    optimizer = fm.optim.SGD(lr=0.1)
    net.fit(x, y, optimizer=optimizer, epochs=1)
    before = net.parameters.copy()
    for lr, schedule in ((-1.0, None), (0.1, fm.optim.ExponentialLR(-1.0)), (math.nan, None)):
        optimizer.lr, optimizer.schedule = lr, schedule
        with pytest.raises(ValueError, match="learning rate of epoch 1 is .* finite and >= 0"):
            net.fit(x, y, epochs=2)
        assert np.array_equal(net.parameters, before) and net.epochs_trained == 1


# ------------------------------------------------------------- predict_proba and evaluate
def test_predict_proba_after_cross_entropy_is_the_softmax():
    rng = np.random.default_rng(38)
    x, y = rng.standard_normal((40, 5)), rng.integers(0, 4, 40)
    net = fm.MLP(5, [8], 4, seed=39)
    net.fit(x, y, epochs=3)
    assert net.loss == "cross_entropy"
    p = net.predict_proba(x)
    assert p.shape == (40, 4) and p.dtype == np.float32
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    z = net.predict(x).astype(np.float64)
    softmax = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(p, softmax, rtol=1e-5, atol=1e-7)
    one = net.predict_proba(x[0])
    assert one.shape == (4,)
    np.testing.assert_allclose(one, p[0], rtol=1e-6)


def test_predict_proba_refuses_a_regression_network():
    rng = np.random.default_rng(40)
    net = fm.MLP(3, [4], 2, seed=41)
    with pytest.raises(ValueError, match="predict_proba needs"):
        net.predict_proba(np.zeros((2, 3)))  # never trained: no loss
    net.fit(rng.standard_normal((10, 3)), rng.standard_normal((10, 2)), loss="mse")
    with pytest.raises(ValueError, match="least_squares"):
        net.predict_proba(np.zeros((2, 3)))


def test_evaluate_gives_inf_for_a_squared_error_beyond_float64():
    # Found by the fuzz tests: a finite output of 1e300 squared overflowed with numpy's
    # RuntimeWarning; the loss is inf, the network's output finite.
    net = fm.MLP(1, [], 1, dtype="float64")
    net.layers[0].weight[...] = 1.0
    assert net.evaluate(np.array([[1e300]]), np.array([[0.0]]), loss="least_squares") == {
        "loss": np.inf
    }


@pytest.mark.parametrize("loss", LOSSES)
def test_evaluate_agrees_with_numpy_and_loss_and_gradient(loss):
    rng = np.random.default_rng(42)
    net = fm.MLP(4, [6], 3, dtype="float64", seed=43)
    net.parameters[...] += 0.3 * rng.standard_normal(net.n_parameters)
    x, y = rng.standard_normal((25, 4)), targets_for(loss, rng, 25, 3)
    before = net.parameters.copy()
    result = net.evaluate(x, y, loss=loss)
    assert np.array_equal(net.parameters, before) and net.loss is None
    z = net.predict(x)
    if loss == "least_squares":
        assert set(result) == {"loss"}
        expected = np.mean((z - y) ** 2)
    elif loss == "poisson":
        assert set(result) == {"loss"}
        t_log_t = np.where(y > 0, y * np.log(np.where(y > 0, y, 1)), 0)
        expected = np.mean(t_log_t - y * z - y + np.exp(z))
    elif loss == "cross_entropy":
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        expected = -np.mean(log_p[np.arange(25), y])
        assert result["accuracy"] == pytest.approx(np.mean(z.argmax(axis=1) == y))
    else:
        p = 1 / (1 + np.exp(-z))
        expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        assert result["accuracy"] == pytest.approx(np.mean(np.all((p > 0.5) == (y > 0.5), 1)))
    assert result["loss"] == pytest.approx(expected, rel=1e-10)
    assert result["loss"] == pytest.approx(net.loss_and_gradient(x, y, loss=loss)[0], rel=1e-12)


# ----------------------------------------------------------------------------- callbacks
class Recorder(fm.callbacks.Callback):
    def __init__(self, stop_at=None):
        self.events, self.logs, self.parameters, self.stop_at = [], [], [], stop_at

    def on_train_begin(self, net):
        self.events.append("begin")

    def on_epoch_end(self, net, epoch, logs):
        self.events.append(epoch)
        self.logs.append(dict(logs))
        self.parameters.append(net.parameters.copy())
        return self.stop_at is not None and epoch >= self.stop_at

    def on_train_end(self, net):
        self.events.append("end")


def test_a_callback_sees_every_epoch_and_its_logs():
    rng = np.random.default_rng(44)
    x, y = rng.standard_normal((60, 4)), rng.integers(0, 3, 60)
    xv, yv = x[:20], y[:20]
    net = fm.MLP(4, [8], 3, seed=45)
    recorder = Recorder()
    history = net.fit(x, y, epochs=5, validation_data=(xv, yv), callbacks=[recorder], seed=0)
    assert recorder.events == ["begin", 0, 1, 2, 3, 4, "end"]
    for i, logs in enumerate(recorder.logs):
        assert set(logs) == {"loss", "accuracy", "val_loss", "val_accuracy", "time"}
        for key, value in logs.items():
            assert history[key][i] == value
        assert logs["time"] >= 0 and 0 <= logs["accuracy"] <= 1
    assert recorder.logs[-1]["val_loss"] == pytest.approx(net.evaluate(xv, yv)["loss"])
    assert recorder.logs[-1]["val_accuracy"] == net.evaluate(xv, yv)["accuracy"]
    assert np.array_equal(recorder.parameters[-1], net.parameters)
    assert history.stop_reason == "finished" and net.history is history
    # The same epochs without a callback (all in one C++ call) give the same result.
    plain = fm.MLP(4, [8], 3, seed=45)
    plain_history = plain.fit(x, y, epochs=5, seed=0)
    assert plain_history.loss == history.loss and plain_history.accuracy == history.accuracy
    assert np.array_equal(plain.parameters, net.parameters)


def test_a_callback_returning_true_stops_training():
    rng = np.random.default_rng(46)
    x, y = rng.standard_normal((30, 3)), rng.standard_normal((30, 1))
    net = fm.MLP(3, [4], 1, seed=47)
    recorder = Recorder(stop_at=2)
    history = net.fit(x, y, epochs=50, callbacks=[recorder])
    assert recorder.events == ["begin", 0, 1, 2, "end"]
    assert history.epochs == 3 and net.epochs_trained == 3
    assert history.stop_reason == "early_stopping"
    assert set(recorder.logs[0]) == {"loss", "time"}  # regression, no validation


@pytest.mark.parametrize("restore", [True, False])
def test_early_stopping_restores_the_best_weights(restore):
    rng = np.random.default_rng(48)

    def noisy_data(n):
        x = rng.standard_normal((n, 4))
        y = x[:, :3].argmax(axis=1)
        flip = rng.random(n) < 0.3
        y[flip] = rng.integers(0, 3, int(flip.sum()))
        return x, y

    (x, y), (xv, yv) = noisy_data(60), noisy_data(60)
    net = fm.MLP(4, [64], 3, seed=49)
    recorder = Recorder()
    stop = fm.callbacks.EarlyStopping(patience=3, restore_best_weights=restore)
    history = net.fit(
        x,
        y,
        optimizer=fm.optim.Adam(lr=0.02),
        epochs=300,
        validation_data=(xv, yv),
        callbacks=[recorder, stop],
    )
    assert history.stop_reason == "early_stopping"
    best = int(np.argmin(history.val_loss))
    assert best > 0 and stop.best_epoch == best and history.epochs == best + 4
    expected = recorder.parameters[best] if restore else recorder.parameters[-1]
    assert np.array_equal(net.parameters, expected)
    assert not np.array_equal(recorder.parameters[best], recorder.parameters[-1])
    last_val_loss = net.evaluate(xv, yv)["loss"]
    assert last_val_loss == pytest.approx(history.val_loss[best if restore else -1])


def test_early_stopping_on_a_missing_metric_says_it_needs_validation_data():
    rng = np.random.default_rng(50)
    x, y = rng.standard_normal((20, 3)), rng.integers(0, 2, 20)
    net = fm.MLP(3, [4], 2, seed=51)
    before = net.parameters.copy()
    with pytest.raises(ValueError, match="validation_data") as error:
        net.fit(x, y, epochs=5, callbacks=[fm.callbacks.EarlyStopping(monitor="val_loss")])
    assert "val_loss" in str(error.value)
    # refused before the first epoch
    assert net.epochs_trained == 0 and np.array_equal(net.parameters, before)
    with pytest.raises(ValueError, match="'accuracy', which fit does not report"):
        stop = fm.callbacks.EarlyStopping(monitor="accuracy")
        net.fit(x, x[:, :2], loss="mse", epochs=5, callbacks=[stop])


def test_early_stopping_maximizes_accuracy():
    stop = fm.callbacks.EarlyStopping(monitor="val_accuracy", patience=2)
    stop.on_train_begin(None)

    class Net:
        parameters = np.zeros(1)

    results = [stop.on_epoch_end(Net, e, {"val_accuracy": a}) for e, a in enumerate([0.5, 0.7])]
    assert results == [False, False] and stop.best == 0.7 and stop.best_epoch == 1
    assert stop.on_epoch_end(Net, 2, {"val_accuracy": 0.6}) is False
    assert stop.on_epoch_end(Net, 3, {"val_accuracy": 0.7}) is True  # no gain: patience out
    with pytest.raises(ValueError, match="mode"):
        fm.callbacks.EarlyStopping(mode="up")


def test_lbfgs_fit_does_not_silently_ignore_callbacks_and_validation():
    rng = np.random.default_rng(65)
    x, y = rng.standard_normal((30, 3)), rng.standard_normal((30, 1))
    net = fm.MLP(3, [4], 1, dtype="float64", seed=66)
    recorder = Recorder()
    try:
        history = net.fit(
            x, y, optimizer="lbfgs", epochs=20, validation_data=(x, y), callbacks=[recorder]
        )
    except (TypeError, ValueError):
        return  # refusing the combination is fine too
    assert recorder.events[0] == "begin" and recorder.events[-1] == "end"
    assert len(recorder.events) > 2
    assert len(history.val_loss) == history.epochs > 0


@pytest.mark.parametrize(
    "settings,match",
    [
        ({"history": 0}, "history must be an int >= 1"),
        ({"tol": -1}, r"tol must be in \[0, inf\)"),
        ({"max_fun": 0}, "max_fun must be an int >= 1"),
        ({"max_fun": 2.5}, "max_fun must be an int >= 1"),
    ],
)
def test_lbfgs_refuses_bad_settings(settings, match):
    with pytest.raises(ValueError, match=match):
        fm.optim.LBFGS(**settings)


@pytest.mark.parametrize("on_divergence", ["raise", "warn"])
def test_lbfgs_divergence_restores_the_network(on_divergence):
    rng = np.random.default_rng(74)
    x, y = rng.standard_normal((40, 3)) * 1e20, rng.standard_normal(40)
    net = fm.MLP(3, [4], 1, seed=75)
    before = net.parameters.copy()
    if on_divergence == "raise":
        with pytest.raises(FloatingPointError, match="in L-BFGS's iterations"):
            net.fit(x, y, optimizer="lbfgs", epochs=5)
    else:
        with pytest.warns(RuntimeWarning, match="in L-BFGS's iterations") as record:
            history = net.fit(x, y, optimizer="lbfgs", epochs=5, on_divergence="warn")
        assert history.stop_reason == "diverged" and history.epochs == 0
        assert record[0].filename == __file__  # the warning points at the call of fit
    assert np.array_equal(net.parameters, before) and net.epochs_trained == 0


# -------------------------------------------------------------------------- progress bar
def test_progress_bar_writes_to_stderr_and_changes_nothing(capsys):
    rng = np.random.default_rng(52)
    x, y = rng.standard_normal((50, 4)), rng.integers(0, 3, 50)
    quiet = fm.MLP(4, [8], 3, seed=53)
    shown = fm.MLP(4, [8], 3, seed=53)
    assert np.array_equal(quiet.parameters, shown.parameters)
    quiet_history = quiet.fit(x, y, epochs=4, batch_size=16, seed=7)
    capsys.readouterr()
    shown_history = shown.fit(x, y, epochs=4, batch_size=16, seed=7, progress=True)
    captured = capsys.readouterr()
    assert "4/4" in captured.err and "epoch" in captured.err and "loss" in captured.err
    assert captured.out == ""
    assert shown_history.loss == quiet_history.loss
    assert shown_history.accuracy == quiet_history.accuracy
    assert np.array_equal(shown.parameters, quiet.parameters)


# ----------------------------------------------------- continuing fits, optimizer state
def test_fit_continues_from_the_current_weights_and_keeps_the_optimizer():
    rng = np.random.default_rng(54)
    x, y = rng.standard_normal((24, 3)), rng.standard_normal((24, 2))
    adam = fm.optim.Adam(lr=0.05)
    net = fm.MLP(3, [6], 2, dtype="float64", seed=55)
    first = net.fit(x, y, optimizer=adam, epochs=3)
    second = net.fit(x, y, epochs=3)
    assert net.optimizer is adam and net.epochs_trained == 6
    assert second.loss[0] < first.loss[0]  # started from the trained weights
    once = fm.MLP(3, [6], 2, dtype="float64", seed=55)
    once.fit(x, y, optimizer=fm.optim.Adam(lr=0.05), epochs=6)
    assert np.array_equal(net.parameters, once.parameters)  # Adam's moments were kept
    # Passing the same object again keeps its state too.
    again = fm.MLP(3, [6], 2, dtype="float64", seed=55)
    same = fm.optim.Adam(lr=0.05)
    again.fit(x, y, optimizer=same, epochs=3)
    again.fit(x, y, optimizer=same, epochs=3)
    assert np.array_equal(again.parameters, once.parameters)


def test_a_new_optimizer_starts_with_fresh_state():
    rng = np.random.default_rng(56)
    x, y = rng.standard_normal((24, 3)), rng.standard_normal((24, 2))
    net = fm.MLP(3, [6], 2, dtype="float64", seed=57)
    net.fit(x, y, optimizer=fm.optim.Adam(lr=0.05), epochs=3)
    middle = net.parameters.copy()
    fresh = fm.optim.Adam(lr=0.05)
    net.fit(x, y, optimizer=fresh, epochs=2)
    assert net.optimizer is fresh
    restart = fm.MLP(3, [6], 2, dtype="float64", seed=0)
    restart.parameters[...] = middle
    restart.fit(x, y, optimizer=fm.optim.Adam(lr=0.05), epochs=2)
    assert np.array_equal(net.parameters, restart.parameters)
    continued = fm.MLP(3, [6], 2, dtype="float64", seed=57)
    continued.fit(x, y, optimizer=fm.optim.Adam(lr=0.05), epochs=5)
    assert not np.allclose(continued.parameters, net.parameters)
    # A name makes a new optimizer as well; None keeps the current one.
    net.fit(x, y, optimizer="sgd", epochs=1)
    assert isinstance(net.optimizer, fm.optim.SGD)
    sgd = net.optimizer
    net.fit(x, y, epochs=1)
    assert net.optimizer is sgd


def test_an_optimizer_moved_to_another_network_starts_fresh_there():
    rng = np.random.default_rng(58)
    x, y = rng.standard_normal((24, 3)), rng.standard_normal((24, 2))
    shared = fm.optim.Adam(lr=0.05)
    fm.MLP(3, [6], 2, dtype="float64", seed=59).fit(x, y, optimizer=shared, epochs=3)
    second = fm.MLP(3, [6], 2, dtype="float64", seed=60)
    second.fit(x, y, optimizer=shared, epochs=2)
    reference = fm.MLP(3, [6], 2, dtype="float64", seed=60)
    reference.fit(x, y, optimizer=fm.optim.Adam(lr=0.05), epochs=2)
    assert np.array_equal(second.parameters, reference.parameters)


# ---------------------------------------------------------------------------- Ctrl-C
INTERRUPT_CHILD = """
import json, os, signal, threading, time
import numpy as np
import fastmlp as fm

rng = np.random.default_rng(0)
x = rng.standard_normal(({ROWS}, 40)).astype(np.float32)
y = rng.integers(0, 10, {ROWS})
net = fm.MLP(40, [300], 10, seed=0)
kwargs = {KWARGS}
sent = []
def interrupt():
    sent.append(time.perf_counter())
    os.kill(os.getpid(), signal.SIGINT)
threading.Timer({DELAY}, interrupt).start()
try:
    net.fit(x, y, epochs=100000, batch_size=256, seed=0, **kwargs)
except KeyboardInterrupt:
    latency = time.perf_counter() - sent[0]
    # Consistent: the weights are those of epochs_trained epochs trained without a stop.
    again = fm.MLP(40, [300], 10, seed=0)
    again.fit(x, y, epochs=net.epochs_trained, batch_size=256, seed=0)
    print(json.dumps({
        "interrupted": True,
        "epochs": net.history.epochs,
        "epochs_trained": net.epochs_trained,
        "losses": len(net.history.loss),
        "stop_reason": net.history.stop_reason,
        "finite": bool(np.all(np.isfinite(net.parameters))),
        "consistent": bool(np.array_equal(net.parameters, again.parameters)),
        "latency": latency,
    }))
else:
    print(json.dumps({"interrupted": False, "epochs": net.history.epochs}))
"""


def run_interrupted_fit(kwargs, delay, rows=4000):
    code = INTERRUPT_CHILD.replace("{KWARGS}", kwargs).replace("{DELAY}", str(delay))
    return run_child(code.replace("{ROWS}", str(rows)))


def run_child(code):
    """Runs ``code`` in a fresh interpreter (a Ctrl-C there cannot stop pytest) and returns
    the JSON report it prints last, which must say it was interrupted."""
    path = os.environ.get("PYTHONPATH", "")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (PYTHON_DIR, path) if p)}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["interrupted"], report
    return report


def test_ctrl_c_stops_a_long_fit():
    report = run_interrupted_fit("{}", 1.0)
    assert 0 < report["epochs"] < 100000, report
    assert report["epochs_trained"] == report["epochs"] == report["losses"], report
    assert report["stop_reason"] == "interrupted", report
    assert report["finite"] and report["consistent"], report


def test_ctrl_c_with_a_callback_stops_consistently():
    report = run_interrupted_fit("{'callbacks': [fm.callbacks.Callback()]}", 0.5)
    assert report["epochs"] < 100000 and report["finite"], report
    assert report["epochs_trained"] == report["epochs"] == report["losses"], report
    assert report["consistent"], report
    assert report["stop_reason"] == "interrupted", report


CALLBACK_INTERRUPT_CHILD = """
import json, os, signal
import numpy as np
import fastmlp as fm

class CtrlCInThirdEpoch(fm.callbacks.Callback):
    def __init__(self):
        self.returned = []
    def on_epoch_end(self, net, epoch, logs):
        if epoch == 2:
            os.kill(os.getpid(), signal.SIGINT)  # handled at once, in this thread
        self.returned.append(epoch)
        return False

rng = np.random.default_rng(0)
x = rng.standard_normal((500, 40)).astype(np.float32)
y = rng.integers(0, 10, 500)
net = fm.MLP(40, [30], 10, seed=0)
callback = CtrlCInThirdEpoch()
try:
    net.fit(x, y, epochs=100, callbacks=[callback])
except KeyboardInterrupt:
    print(json.dumps({
        "interrupted": True,
        "returned": callback.returned,
        "epochs": net.history.epochs,
        "epochs_trained": net.epochs_trained,
        "stop_reason": net.history.stop_reason,
    }))
else:
    print(json.dumps({"interrupted": False}))
"""


def test_ctrl_c_in_a_callback_lets_it_finish_and_stops_after_that_epoch():
    report = run_child(CALLBACK_INTERRUPT_CHILD)
    assert report["returned"] == [0, 1, 2], report
    assert report["epochs"] == report["epochs_trained"] == 3, report
    assert report["stop_reason"] == "interrupted", report


def test_ctrl_c_stops_within_a_second_inside_a_long_epoch():
    # Epochs of 3 million rows take seconds: the loop also looks for Ctrl-C between steps,
    # and undoes the epoch it interrupts.
    report = run_interrupted_fit("{}", 1.5, rows=3_000_000)
    assert report["latency"] < 1.0, report
    assert report["epochs_trained"] == report["epochs"] == report["losses"], report
    assert report["finite"] and report["consistent"], report


# ------------------------------------------------------------------ state_dict from torch
def test_load_state_dict_from_a_torch_sequential():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(5, 8),
        torch.nn.Tanh(),
        torch.nn.Dropout(0.3),
        torch.nn.Linear(8, 6),
        torch.nn.ReLU(),
        torch.nn.Linear(6, 2),
    ).double()
    model.eval()
    net = fm.Sequential(
        fm.Dense(5, 8),
        fm.Tanh(),
        fm.Dropout(0.3),
        fm.Dense(8, 6),
        fm.ReLU(),
        fm.Dense(6, 2),
        dtype="float64",
    )
    assert set(net.state_dict()) == set(model.state_dict())
    net.load_state_dict(model.state_dict())
    x = np.random.default_rng(61).standard_normal((17, 5))
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(net.predict(x), expected, rtol=1e-12, atol=1e-14)
    # Parameters that require grad (not detached) and float32 into a float32 network.
    net32 = fm.Sequential(
        fm.Dense(5, 8), fm.Tanh(), fm.Dropout(0.3), fm.Dense(8, 6), fm.ReLU(), fm.Dense(6, 2)
    )
    net32.load_state_dict(dict(model.float().named_parameters()))
    with torch.no_grad():
        expected32 = model(torch.from_numpy(x).float()).numpy()
    np.testing.assert_allclose(net32.predict(x), expected32, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "change,error,match",
    [
        (lambda s: s.pop("2.bias"), KeyError, "missing"),
        (lambda s: s.update({"3.bias": np.zeros(2)}), KeyError, "unexpected"),
        (lambda s: s.update({"2.weight": np.zeros((4, 2))}), ValueError, r"2.weight.*\(2, 4\)"),
        (lambda s: s.update({"2.bias": np.zeros(3)}), ValueError, "2.bias must have shape"),
        (lambda s: s.update({"2.bias": np.array([0.0, np.nan])}), ValueError, "finite"),
        (lambda s: s.update({"2.bias": np.array(["a", "b"])}), ValueError, "real numbers"),
    ],
    ids=["missing", "unexpected", "weight-shape", "bias-shape", "nan", "strings"],
)
def test_load_state_dict_refuses_and_changes_nothing(change, error, match):
    net = fm.MLP(3, [4], 2, seed=62)
    before = net.parameters.copy()
    state = {k: v + 1.0 for k, v in net.state_dict().items()}  # all different, all valid
    change(state)
    with pytest.raises(error, match=match):
        net.load_state_dict(state)
    assert np.array_equal(net.parameters, before)


# --------------------------------------------------------------------------------- summary
def test_summary_lists_every_layer_and_the_total():
    net = fm.Sequential(
        fm.Dense(40, 100), fm.ReLU(), fm.Dropout(0.1), fm.Dense(100, 10), fm.Softplus()
    )
    lines = net.summary().splitlines()
    assert len(lines) == 1 + len(net.layers) + 1
    for i, layer in enumerate(net.layers):
        assert f"{i}: {layer!r}" in lines[1 + i]
    assert "4,100" in lines[1] and "1,010" in lines[4]
    assert lines[-1].startswith("total") and lines[-1].split()[-1] == "5,110"
    assert net.n_parameters == 5110
    big = fm.MLP(40, [100, 100], 10).summary().splitlines()[-1]
    assert big.split() == ["total", "15,210"]


# ------------------------------------------------------------------------------- float64
def test_a_float64_network_computes_in_float64():
    rng = np.random.default_rng(63)
    net = fm.MLP(3, [5], 2, dtype="float64", seed=64)
    x32 = rng.standard_normal((6, 3)).astype(np.float32)
    assert net.dtype == np.float64 and net.parameters.dtype == np.float64
    assert net.gradients.dtype == np.float64
    assert all(v.dtype == np.float64 for v in net.state_dict().values())
    assert (
        net.layers[0].weight.dtype == np.float64 and net.layers[0].weight_grad.dtype == np.float64
    )
    assert net.predict(x32).dtype == np.float64
    y = rng.integers(0, 2, 6)
    value, grad = net.loss_and_gradient(x32, y)
    assert isinstance(value, float) and grad.dtype == np.float64
    net.fit(x32, y, epochs=2)
    assert net.parameters.dtype == np.float64 and net.predict_proba(x32).dtype == np.float64
    # Digits a float32 network would lose.
    exact = fm.Sequential(fm.Dense(1, 1), dtype="float64")
    exact.layers[0].weight[...] = 1.0
    exact.layers[0].bias[...] = 1e-12
    assert exact.predict(np.array([[1.0]]))[0, 0] == 1.0 + 1e-12
    single = fm.Sequential(fm.Dense(1, 1))
    single.layers[0].weight[...] = 1.0
    single.layers[0].bias[...] = 1e-12
    out = single.predict(np.array([[1.0]]))
    assert out.dtype == np.float32 and out[0, 0] == 1.0
    assert single.loss_and_gradient(np.ones((1, 1)), np.ones((1, 1)))[1].dtype == np.float32

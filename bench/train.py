"""Workloads 2–5 of bench.md: training and inference, fastmlp against its peers.

2. Figure 20.2: the four MNIST-1D networks, full-batch gradient descent (epochs/s, % of peak)
3. MNIST-1D 40-100-100-10 minibatch SGD, batch 32 and 128 (samples/s)
4. tiny 1-3-1 and 1-(10×5)-1 ReLU nets on 50 points, full batch (steps/s)
5. inference: one sample and 4,000 samples through 40-100-100-10 (µs per call)

Each at 1 and 2 threads; peers interleaved in every round, medians. PyTorch and
scikit-learn run where installed. The data are random with MNIST-1D's shapes (speed does
not depend on the values); accuracy is a separate question (bench.md workload 7).
"""

from __future__ import annotations

import argparse
import time
from typing import Any, Callable

import numpy as np
from threadpoolctl import threadpool_limits

import fastmlp as fm
from bench.common import interleaved_times, machine_info, write_results
from bench.peak import measure_peak

try:
    import torch
except ImportError:
    torch = None
try:
    from sklearn.neural_network import MLPClassifier, MLPRegressor
except ImportError:
    MLPClassifier = MLPRegressor = None

SETTLE = {"fastmlp": 0.05, "numpy": 0.2, "sklearn": 0.2, "torch": 0.5}  # see bench.gemm
FIGURE_20_2 = {"1×298": [298], "2×100": [100] * 2, "3×75": [75] * 3, "4×63": [63] * 4}


def epoch_flops(n: int, sizes: list[int]) -> float:
    """Forward 2·N·Σ in·out, weight gradients the same, input gradients of all but layer 0."""
    products = [a * b for a, b in zip(sizes, sizes[1:])]
    return 2.0 * n * (2 * sum(products) + sum(products[1:]))


def torch_mlp(sizes: list[int], net: fm.Sequential) -> Any:
    layers: list[Any] = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    model.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()})
    return model


def torch_steps(model: Any, x: Any, y: Any, loss_fn: Any, lr: float, batch: int | None) -> Any:
    """One epoch the idiomatic way: zero_grad, forward, loss, backward, step per batch."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    n = x.shape[0]

    def epoch() -> None:
        order = torch.randperm(n) if batch else None
        for start in range(0, n, batch or n):
            xb, yb = (
                (x, y)
                if order is None
                else (x[order[start : start + batch]], y[order[start : start + batch]])
            )
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()

    return epoch


def sklearn_epoch(cls: Any, hidden: list[int], x: np.ndarray, y: np.ndarray, batch: int) -> Any:
    model = cls(
        hidden_layer_sizes=hidden,
        solver="sgd",
        batch_size=batch,
        momentum=0.0,
        learning_rate_init=0.0025,
        alpha=0.0,
        max_iter=1,
        shuffle=batch < len(x),
    )
    if cls is MLPClassifier:
        model.partial_fit(x, y, classes=np.arange(10))
    return lambda: model.partial_fit(x, y)


def measure(fns: dict[str, Callable[[], Any]], threads: int, quick: bool) -> dict[str, float]:
    fm.set_num_threads(threads)
    if torch is not None:
        torch.set_num_threads(threads)
    with threadpool_limits(threads):
        repeat, min_time = (5, 0.05) if quick else (9, 0.2)
        return interleaved_times(fns, repeat, min_time, SETTLE if threads > 1 else None)


def figure_20_2(threads: int, quick: bool, peak: float | None) -> list[dict[str, Any]]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4000, 40)).astype(np.float32)
    y = rng.integers(0, 10, 4000)
    epochs = 10
    rows = []
    for name, hidden in FIGURE_20_2.items():
        sizes = [40, *hidden, 10]
        net = fm.MLP(40, hidden, 10, seed=0)
        sgd = fm.optim.SGD(lr=0.0025)
        fns: dict[str, Callable[[], Any]] = {
            "fastmlp": lambda net=net, sgd=sgd: net.fit(x, y, optimizer=sgd, epochs=epochs)
        }
        if torch is not None:
            step = torch_steps(
                torch_mlp(sizes, net),
                torch.from_numpy(x),
                torch.from_numpy(y),
                torch.nn.functional.cross_entropy,
                0.0025,
                None,
            )
            fns["torch"] = lambda step=step: [step() for _ in range(epochs)]
        if MLPClassifier is not None:
            sk = sklearn_epoch(MLPClassifier, hidden, x, y, 4000)
            fns["sklearn"] = lambda sk=sk: [sk() for _ in range(epochs)]
        times = measure(fns, threads, quick)
        rate = {k: epochs / t for k, t in times.items()}
        gflops = epoch_flops(4000, sizes) * rate["fastmlp"] / 1e9
        rows.append(
            row("fig20.2 " + name, threads, "epochs/s", rate, 100 * gflops / peak if peak else None)
        )
    return rows


def minibatch(threads: int, quick: bool) -> list[dict[str, Any]]:
    rng = np.random.default_rng(1)
    n = 4000
    x = rng.standard_normal((n, 40)).astype(np.float32)
    y = rng.integers(0, 10, n)
    rows = []
    for batch in (32, 128):
        net = fm.MLP(40, [100, 100], 10, seed=0)
        sgd = fm.optim.SGD(lr=0.01)
        fns: dict[str, Callable[[], Any]] = {
            "fastmlp": lambda net=net, sgd=sgd, b=batch: net.fit(x, y, optimizer=sgd, batch_size=b)
        }
        if torch is not None:
            fns["torch"] = torch_steps(
                torch_mlp([40, 100, 100, 10], net),
                torch.from_numpy(x),
                torch.from_numpy(y),
                torch.nn.functional.cross_entropy,
                0.01,
                batch,
            )
        if MLPClassifier is not None:
            fns["sklearn"] = sklearn_epoch(MLPClassifier, [100, 100], x, y, batch)
        times = measure(fns, threads, quick)
        rows.append(
            row(
                f"MNIST-1D batch {batch}",
                threads,
                "samples/s",
                {k: n / t for k, t in times.items()},
            )
        )
    return rows


def tiny(threads: int, quick: bool) -> list[dict[str, Any]]:
    x = np.linspace(-1, 1, 50, dtype=np.float32).reshape(-1, 1)
    y = np.abs(x)
    rows = []
    steps = 1000  # per fastmlp call; torch takes a tenth as many per call
    for name, hidden in {"1-3-1": [3], "1-(10×5)-1": [10] * 5}.items():
        net = fm.MLP(1, hidden, 1, seed=0)
        sgd = fm.optim.SGD(lr=0.01)
        fns: dict[str, Callable[[], Any]] = {
            "fastmlp": lambda net=net, sgd=sgd: net.fit(
                x, y, loss="mse", optimizer=sgd, epochs=steps
            )
        }
        if torch is not None:
            step = torch_steps(
                torch_mlp([1, *hidden, 1], net),
                torch.from_numpy(x),
                torch.from_numpy(y),
                torch.nn.functional.mse_loss,
                0.01,
                None,
            )
            fns["torch"] = lambda step=step: [step() for _ in range(steps // 10)]
        times = measure(fns, threads, quick)
        per_call = {"fastmlp": steps, "torch": steps // 10}
        rows.append(
            row(f"tiny {name}", threads, "steps/s", {k: per_call[k] / t for k, t in times.items()})
        )
    return rows


def inference(threads: int, quick: bool) -> list[dict[str, Any]]:
    rng = np.random.default_rng(2)
    net = fm.MLP(40, [100, 100], 10, seed=0)
    weights = [(layer.weight.T.copy(), layer.bias.copy()) for layer in net.layers[::2]]

    def numpy_forward(x: np.ndarray) -> np.ndarray:
        for i, (w, b) in enumerate(weights):
            x = x @ w + b
            if i < len(weights) - 1:
                x = np.maximum(x, 0)
        return x

    rows = []
    for n in (1, 4000):
        x = rng.standard_normal((n, 40)).astype(np.float32)
        sample = x[0] if n == 1 else x
        fns: dict[str, Callable[[], Any]] = {
            "fastmlp": lambda s=sample: net.predict(s),
            "numpy": lambda s=sample: numpy_forward(s),
        }
        if torch is not None:
            model = torch_mlp([40, 100, 100, 10], net)
            tx = torch.from_numpy(sample)

            def torch_predict(model: Any = model, tx: Any = tx) -> Any:
                with torch.inference_mode():
                    return model(tx).numpy()

            fns["torch"] = torch_predict
        if MLPClassifier is not None:
            sk = MLPClassifier(hidden_layer_sizes=[100, 100], max_iter=1)
            with np.errstate(all="ignore"):
                sk.partial_fit(rng.standard_normal((10, 40)), np.arange(10), classes=np.arange(10))
            s2 = sample.reshape(1, -1) if n == 1 else sample
            fns["sklearn"] = lambda s2=s2, sk=sk: sk.predict_proba(s2)
        times = measure(fns, threads, quick)
        rows.append(
            row(
                f"predict {n}",
                threads,
                "µs/call",
                {k: t * 1e6 for k, t in times.items()},
                lower_is_better=True,
            )
        )
    return rows


def row(
    case: str,
    threads: int,
    unit: str,
    values: dict[str, float],
    pct_peak: float | None = None,
    lower_is_better: bool = False,
) -> dict[str, Any]:
    ours = values["fastmlp"]
    out: dict[str, Any] = {"case": case, "threads": threads, "unit": unit, "fastmlp": ours}
    for peer in ("torch", "sklearn", "numpy"):
        value = values.get(peer)
        out[peer] = value
        if value:
            out[f"×{peer}"] = value / ours if lower_is_better else ours / value
    out["% peak"] = pct_peak
    return out


COLUMNS = {
    k: k
    for k in (
        "case",
        "threads",
        "unit",
        "fastmlp",
        "torch",
        "sklearn",
        "numpy",
        "×torch",
        "×sklearn",
        "×numpy",
        "% peak",
    )
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.train", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    peak = measure_peak(seconds=0.02 if args.quick else 0.1)
    rows: list[dict[str, Any]] = []
    for threads in (1, 2):
        p = peak.get(f"float32/{threads}", {}).get("peak")
        rows += figure_20_2(threads, args.quick, p)
        rows += minibatch(threads, args.quick)
        rows += tiny(threads, args.quick)
        rows += inference(threads, args.quick)
    notes = ["×peer: how many times faster fastmlp is (higher is better for fastmlp)."]
    write_results(
        "train",
        rows,
        {"machine": machine_info(), "peak": peak, "seconds": time.perf_counter() - start},
        COLUMNS,
        notes,
    )


if __name__ == "__main__":
    main()

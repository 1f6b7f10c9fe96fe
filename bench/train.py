"""Workloads 2–5 of bench.md: training and inference, fastmlp against its peers.

2. Figure 20.2: the four MNIST-1D networks, full-batch gradient descent (epochs/s, % of peak)
3. MNIST-1D 40-100-100-10 minibatch SGD, batch 32 and 128 (samples/s)
4. tiny 1-3-1 and 1-(10×5)-1 ReLU nets on 50 points, full batch (steps/s)
5. inference: one sample and 4,000 samples through 40-100-100-10 (µs per call)

Each thread count runs in its own process pinned to that many CPUs (XLA sizes JAX's
thread pool once per process, from the CPU affinity); peers interleaved in every round,
medians. PyTorch, scikit-learn, JAX (train step under ``jax.jit``, and whole loops in one
jitted ``lax.fori_loop`` / ``lax.scan``: the "jax loop" column) and ONNX Runtime
(inference) run where installed. The data are random with MNIST-1D's shapes. Speed depends
on the values only through the share of zeros in ReLU layers' outputs and gradients, which
decides whether fastmlp's GEMMs skip them (gemm_sparse.hpp): about half, as on MNIST-1D.
Accuracy is a separate question (bench.md workload 7). Last, the resident memory before and
after 10,000 epochs in one ``fit`` and over 1,000 calls.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from threadpoolctl import threadpool_limits

import fastmlp as fm
from bench.common import (
    interleaved_samples,
    interleaved_times,
    machine_info,
    markdown_table,
    median_interval,
    write_results,
)
from bench.peak import measure_peak

try:
    import torch
except ImportError:
    torch = None
try:
    from sklearn.neural_network import MLPClassifier, MLPRegressor
except ImportError:
    MLPClassifier = MLPRegressor = None
try:
    import jax
    import jax.numpy as jnp
except ImportError:
    jax = None
try:
    import onnx
    import onnxruntime as ort
except ImportError:
    onnx = ort = None

SETTLE = {"fastmlp": 0.05, "numpy": 0.2, "sklearn": 0.2, "torch": 0.5}  # see bench.gemm
SETTLE |= {"jax": 0.2, "jax loop": 0.2, "onnxruntime": 0.2}
PEERS = ("torch", "jax", "jax loop", "onnxruntime", "sklearn", "numpy")
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


def jax_params(net: fm.Sequential) -> list[tuple[Any, Any]]:
    """The net's (out, in) weights and biases as JAX arrays, layer by layer."""
    sd = net.state_dict()
    layers = sorted({int(k.split(".")[0]) for k in sd})
    return [(jnp.asarray(sd[f"{i}.weight"]), jnp.asarray(sd[f"{i}.bias"])) for i in layers]


def jax_forward(params: list[tuple[Any, Any]], x: Any) -> Any:
    for w, b in params[:-1]:
        x = jax.nn.relu(x @ w.T + b)
    return x @ params[-1][0].T + params[-1][1]


def jax_cross_entropy(params: list[tuple[Any, Any]], x: Any, y: Any) -> Any:
    logp = jax.nn.log_softmax(jax_forward(params, x))
    return -jnp.take_along_axis(logp, y[:, None], axis=1).mean()


def jax_mse(params: list[tuple[Any, Any]], x: Any, y: Any) -> Any:
    return ((jax_forward(params, x) - y) ** 2).mean()


def jax_sgd(loss: Callable[..., Any], lr: float) -> Callable[..., Any]:
    """One SGD step (not jitted: jit it, or call it inside a jitted loop)."""

    def step(params: Any, x: Any, y: Any) -> Any:
        grads = jax.grad(loss)(params, x, y)
        return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)

    return step


def jax_compiled(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    """``fn(*args)`` blocking on the result; called once here so that it compiles untimed."""
    run = lambda: jax.block_until_ready(fn(*args))  # noqa: E731
    run()
    return run


def jax_epoch(step: Callable[..., Any], n: int, batch: int) -> Callable[..., Any]:
    """One epoch jitted whole: shuffle inside the jit (jax.random), ``lax.scan`` over the
    full batches (the remainder of n is dropped: scan needs equal shapes)."""

    @jax.jit
    def epoch(params: Any, key: Any, x: Any, y: Any) -> Any:
        order = jax.random.permutation(key, n)[: n - n % batch].reshape(-1, batch)
        return jax.lax.scan(lambda p, i: (step(p, x[i], y[i]), None), params, order)[0]

    return epoch


def onnx_mlp(net: fm.Sequential, threads: int) -> Any:
    """An ONNX Runtime session of Gemm(transB=1) + Relu layers with the net's weights."""
    h = onnx.helper
    sd = net.state_dict()
    layers = sorted({int(k.split(".")[0]) for k in sd})
    nodes, inits, x = [], [], "x"
    for i in layers:
        inits += [
            onnx.numpy_helper.from_array(sd[f"{i}.{k}"], f"{k}{i}") for k in ("weight", "bias")
        ]
        nodes.append(h.make_node("Gemm", [x, f"weight{i}", f"bias{i}"], [f"z{i}"], transB=1))
        x = f"z{i}"
        if i != layers[-1]:
            nodes.append(h.make_node("Relu", [x], [f"a{i}"]))
            x = f"a{i}"
    n_in, n_out = sd[f"{layers[0]}.weight"].shape[1], sd[f"{layers[-1]}.weight"].shape[0]
    graph = h.make_graph(
        nodes,
        "mlp",
        [h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["n", n_in])],
        [h.make_tensor_value_info(x, onnx.TensorProto.FLOAT, ["n", n_out])],
        inits,
    )
    # IR version 7, opset 13's own: onnx writes its newest IR by default, which an older
    # onnxruntime refuses (onnx 1.23's IR 14 with onnxruntime 1.30, seen on a device host)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 13)], ir_version=7)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


@dataclass
class Case:
    """One row's workload: a call per library, and how much work one call does."""

    name: str
    unit: str  # "epochs/s", "samples/s", "steps/s" (per_call units a call), or "µs/call"
    fns: dict[str, Callable[[], Any]]
    per_call: dict[str, float] = field(default_factory=dict)  # missing: 1
    flops_per_unit: float | None = None  # for fastmlp's % of peak

    def values(self, seconds: dict[str, float]) -> dict[str, float]:
        """Each library's speed in ``unit`` from its seconds per call."""
        if self.unit == "µs/call":
            return {k: t * 1e6 for k, t in seconds.items()}
        return {k: self.per_call.get(k, 1) / t for k, t in seconds.items()}


def rounds(quick: bool) -> tuple[int, float]:
    """Rounds of interleaved timing, and the seconds each batch of calls should last."""
    return (5, 0.05) if quick else (9, 0.2)


def measure(fns: dict[str, Callable[[], Any]], threads: int, quick: bool) -> dict[str, float]:
    fm.set_num_threads(threads)
    if torch is not None:
        torch.set_num_threads(threads)
    with threadpool_limits(threads):
        return interleaved_times(fns, *rounds(quick), SETTLE if threads > 1 else None)


def figure_20_2(threads: int, peers: bool) -> list[Case]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4000, 40)).astype(np.float32)
    y = rng.integers(0, 10, 4000)
    epochs = 10
    cases = []
    for name, hidden in FIGURE_20_2.items():
        sizes = [40, *hidden, 10]
        net = fm.MLP(40, hidden, 10, seed=0)
        sgd = fm.optim.SGD(lr=0.0025)
        fns: dict[str, Callable[[], Any]] = {
            "fastmlp": lambda net=net, sgd=sgd: net.fit(x, y, optimizer=sgd, epochs=epochs)
        }
        if peers and torch is not None:
            step = torch_steps(
                torch_mlp(sizes, net),
                torch.from_numpy(x),
                torch.from_numpy(y),
                torch.nn.functional.cross_entropy,
                0.0025,
                None,
            )
            fns["torch"] = lambda step=step: [step() for _ in range(epochs)]
        if peers and jax is not None:
            params, jx, jy = jax_params(net), jnp.asarray(x), jnp.asarray(y)
            jstep = jax_sgd(jax_cross_entropy, 0.0025)
            per_epoch = jax.jit(jstep)

            def jax_epochs(p: Any, x: Any, y: Any, per_epoch: Any = per_epoch) -> Any:
                for _ in range(epochs):  # one jitted step per epoch, called from Python
                    p = per_epoch(p, x, y)
                return p

            loop = jax.jit(
                lambda p, x, y, s=jstep: jax.lax.fori_loop(0, epochs, lambda _, p: s(p, x, y), p)
            )
            fns["jax"] = jax_compiled(jax_epochs, params, jx, jy)
            fns["jax loop"] = jax_compiled(loop, params, jx, jy)
        if peers and MLPClassifier is not None:
            sk = sklearn_epoch(MLPClassifier, hidden, x, y, 4000)
            fns["sklearn"] = lambda sk=sk: [sk() for _ in range(epochs)]
        per_call = dict.fromkeys(fns, float(epochs))
        flops = epoch_flops(4000, sizes)
        cases.append(Case("fig20.2 " + name, "epochs/s", fns, per_call, flops_per_unit=flops))
    return cases


def minibatch(threads: int, peers: bool) -> list[Case]:
    rng = np.random.default_rng(1)
    n = 4000
    x = rng.standard_normal((n, 40)).astype(np.float32)
    y = rng.integers(0, 10, n)
    cases = []
    for batch in (32, 128):
        net = fm.MLP(40, [100, 100], 10, seed=0)
        sgd = fm.optim.SGD(lr=0.01)
        fns: dict[str, Callable[[], Any]] = {
            "fastmlp": lambda net=net, sgd=sgd, b=batch: net.fit(x, y, optimizer=sgd, batch_size=b)
        }
        if peers and torch is not None:
            fns["torch"] = torch_steps(
                torch_mlp([40, 100, 100, 10], net),
                torch.from_numpy(x),
                torch.from_numpy(y),
                torch.nn.functional.cross_entropy,
                0.01,
                batch,
            )
        if peers and MLPClassifier is not None:
            fns["sklearn"] = sklearn_epoch(MLPClassifier, [100, 100], x, y, batch)
        if peers and jax is not None:
            fns["jax loop"] = jax_compiled(
                jax_epoch(jax_sgd(jax_cross_entropy, 0.01), n, batch),
                jax_params(net),
                jax.random.PRNGKey(0),
                jnp.asarray(x),
                jnp.asarray(y),
            )
        per_call = {k: float(n - n % batch if k == "jax loop" else n) for k in fns}
        cases.append(Case(f"MNIST-1D batch {batch}", "samples/s", fns, per_call))
    return cases


def tiny(threads: int, peers: bool) -> list[Case]:
    x = np.linspace(-1, 1, 50, dtype=np.float32).reshape(-1, 1)
    y = np.abs(x)
    cases = []
    steps = 1000  # per fastmlp call; torch takes a tenth as many per call
    for name, hidden in {"1-3-1": [3], "1-(10×5)-1": [10] * 5}.items():
        net = fm.MLP(1, hidden, 1, seed=0)
        sgd = fm.optim.SGD(lr=0.01)
        fns: dict[str, Callable[[], Any]] = {
            "fastmlp": lambda net=net, sgd=sgd: net.fit(
                x, y, loss="mse", optimizer=sgd, epochs=steps
            )
        }
        if peers and torch is not None:
            step = torch_steps(
                torch_mlp([1, *hidden, 1], net),
                torch.from_numpy(x),
                torch.from_numpy(y),
                torch.nn.functional.mse_loss,
                0.01,
                None,
            )
            fns["torch"] = lambda step=step: [step() for _ in range(steps // 10)]
        if peers and jax is not None:
            jstep = jax_sgd(jax_mse, 0.01)
            loop = jax.jit(
                lambda p, x, y, s=jstep: jax.lax.fori_loop(0, steps, lambda _, p: s(p, x, y), p)
            )
            fns["jax loop"] = jax_compiled(loop, jax_params(net), jnp.asarray(x), jnp.asarray(y))
        per_call = {"fastmlp": steps, "torch": steps // 10, "jax loop": steps}
        cases.append(Case(f"tiny {name}", "steps/s", fns, per_call))
    return cases


def inference(threads: int, peers: bool) -> list[Case]:
    rng = np.random.default_rng(2)
    net = fm.MLP(40, [100, 100], 10, seed=0)
    weights = [(layer.weight.T.copy(), layer.bias.copy()) for layer in net.layers[::2]]

    def numpy_forward(x: np.ndarray) -> np.ndarray:
        for i, (w, b) in enumerate(weights):
            x = x @ w + b
            if i < len(weights) - 1:
                x = np.maximum(x, 0)
        return x

    if peers and jax is not None:
        forward, params = jax.jit(jax_forward), jax_params(net)
    cases = []
    for n in (1, 4000):
        x = rng.standard_normal((n, 40)).astype(np.float32)
        sample = x[0] if n == 1 else x
        s2 = x  # 2-D, for the peers that want a batch
        fns: dict[str, Callable[[], Any]] = {"fastmlp": lambda s=sample: net.predict(s)}
        if peers:
            fns["numpy"] = lambda s=sample: numpy_forward(s)
        if peers and torch is not None:
            model = torch_mlp([40, 100, 100, 10], net)
            tx = torch.from_numpy(sample)

            def torch_predict(model: Any = model, tx: Any = tx) -> Any:
                with torch.inference_mode():
                    return model(tx).numpy()

            fns["torch"] = torch_predict
        if peers and MLPClassifier is not None:
            sk = MLPClassifier(hidden_layer_sizes=[100, 100], max_iter=1)
            with np.errstate(all="ignore"):
                sk.partial_fit(rng.standard_normal((10, 40)), np.arange(10), classes=np.arange(10))
            fns["sklearn"] = lambda s2=s2, sk=sk: sk.predict_proba(s2)
        if peers and jax is not None:  # numpy in, numpy out, as for the others
            fns["jax"] = jax_compiled(lambda p, s: np.asarray(forward(p, s)), params, s2)
        if peers and ort is not None:
            session = onnx_mlp(net, threads)
            if n == 1:
                got = session.run(None, {"x": x})[0]
                np.testing.assert_allclose(got, net.predict(x), atol=1e-4, rtol=1e-4)
            fns["onnxruntime"] = lambda s2=s2, sess=session: sess.run(None, {"x": s2})[0]
        cases.append(Case(f"predict {n}", "µs/call", fns))
    return cases


def all_cases(threads: int, peers: bool) -> list[Case]:
    """Every workload's case, with the peers' calls or fastmlp's alone."""
    builders = (figure_20_2, minibatch, tiny, inference)
    return [case for build in builders for case in build(threads, peers)]


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
    for peer in PEERS:
        value = values.get(peer)
        out[peer] = value
        if value:
            out[f"×{peer}"] = value / ours if lower_is_better else ours / value
    out["% peak"] = pct_peak
    return out


COLUMNS = {
    k: k
    for k in ("case", "threads", "unit", "fastmlp", *PEERS, *(f"×{p}" for p in PEERS), "% peak")
}


def rss_mib() -> float:
    """Resident memory now (Linux), else the peak so far."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_rows() -> list[dict[str, Any]]:
    """RSS around 10,000 epochs in one fit, and around 1,000 fit calls of 10 epochs."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((256, 40)).astype(np.float32)
    y = rng.integers(0, 10, 256)
    net = fm.MLP(40, [100, 100], 10, seed=0)
    sgd = fm.optim.SGD(lr=0.001)
    net.fit(x, y, optimizer=sgd, epochs=10, batch_size=32)  # first-call buffers
    rows = []
    for case, calls, epochs in (("10,000 epochs, one fit", 1, 10_000), ("1,000 fits", 1000, 10)):
        before = rss_mib()
        for _ in range(calls):
            net.fit(x, y, optimizer=sgd, epochs=epochs, batch_size=32)
        rows.append({"case": f"RSS: {case}", "before MiB": before, "after MiB": rss_mib()})
    return rows


def accuracy_rows(quick: bool) -> list[dict[str, Any]]:
    """MNIST-1D test accuracy, 40-100-100-10 ReLU trained by Adam (lr 1e-3, batch 100) from
    the same initial weights in fastmlp and PyTorch; mean and spread over three seeds."""
    data = fm.datasets.load_mnist1d()
    epochs = 20 if quick else 100
    scores: dict[str, list[float]] = {"fastmlp": [], "torch": []}
    for seed in range(3):
        net = fm.MLP(40, [100, 100], 10, seed=seed)
        if torch is not None:
            torch.manual_seed(seed)
            model = torch_mlp([40, 100, 100, 10], net)
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
            x, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
            for _ in range(epochs):
                for batch in torch.randperm(len(x)).split(100):
                    optimizer.zero_grad()
                    torch.nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
                    optimizer.step()
            with torch.no_grad():
                predicted = model(torch.from_numpy(data.X_test)).argmax(1).numpy()
            scores["torch"].append(float(np.mean(predicted == data.y_test)))
        net.fit(
            data.X_train,
            data.y_train,
            optimizer=fm.optim.Adam(lr=1e-3),
            epochs=epochs,
            batch_size=100,
            seed=seed,
        )
        scores["fastmlp"].append(net.evaluate(data.X_test, data.y_test)["accuracy"])
    return [
        {
            "case": f"MNIST-1D test accuracy, Adam, {epochs} epochs",
            "library": name,
            "mean": float(np.mean(values)),
            "std": float(np.std(values)),
            "seeds": values,
        }
        for name, values in scores.items()
        if values
    ]


def run_pinned(
    threads: int, quick: bool, peak: float | None, scaling: bool = False
) -> list[dict[str, Any]]:
    """This module's rows for one thread count (or the thread-scaling rows, on 2 CPUs), from
    a child process pinned to that many CPUs where the OS allows it (else from this
    process, JAX then on all CPUs)."""
    if not hasattr(os, "sched_setaffinity"):
        return scaling_rows(quick) if scaling else measure_rows(threads, quick, peak)
    cpus = sorted(os.sched_getaffinity(0))[:threads]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "rows.json")
        cmd = [sys.executable, "-m", "bench.train", "--threads", str(threads), "--rows-to", out]
        cmd += ["--quick"] * quick + ["--peak", str(peak)] * (peak is not None)
        cmd += ["--scaling"] * scaling
        subprocess.run(cmd, check=True, preexec_fn=lambda: os.sched_setaffinity(0, cpus))
        with open(out) as f:
            return list(json.load(f))


def measure_rows(threads: int, quick: bool, peak: float | None) -> list[dict[str, Any]]:
    rows = []
    for case in all_cases(threads, peers=True):
        values = case.values(measure(case.fns, threads, quick))
        pct_peak = None
        if peak and case.flops_per_unit:
            pct_peak = 100 * case.flops_per_unit * values["fastmlp"] / 1e9 / peak
        lower_is_better = case.unit == "µs/call"
        rows.append(row(case.name, threads, case.unit, values, pct_peak, lower_is_better))
    return rows


def scaling_rows(quick: bool) -> list[dict[str, Any]]:
    """fastmlp alone at 1 and at 2 threads, the two alternating batch by batch in the same
    rounds: the peer tables' two thread counts run minutes apart, and on a shared machine
    that alone can move a row by 20 %. "2 ÷ 1" is the median over rounds of each round's own
    ratio (its two batches back to back), so that a slow stretch of the host, which slows
    both batches of a round, does not count as a difference between the settings. Beside it,
    an interval that holds the true median ratio with at least 95 % confidence: two threads
    are faster, or slower, only when the whole interval lies above, or below, 1."""
    rows = []
    repeat, min_time = rounds(quick)
    for case in all_cases(2, peers=False):
        fn = case.fns["fastmlp"]
        setup = {str(t): (lambda t=t: fm.set_num_threads(t)) for t in (1, 2)}
        seconds = interleaved_samples({"1": fn, "2": fn}, 2 * repeat + 1, min_time, setup=setup)
        ratios = [one / two for one, two in zip(seconds["1"], seconds["2"])]
        low, high = median_interval(ratios)
        verdict = "faster" if low > 1 else "slower" if high < 1 else "no difference"
        one = case.values({"fastmlp": statistics.median(seconds["1"])})["fastmlp"]
        two = case.values({"fastmlp": statistics.median(seconds["2"])})["fastmlp"]
        rows.append(
            {
                "case": case.name,
                "unit": case.unit,
                "1 thread": one,
                "2 threads": two,
                "2 ÷ 1": statistics.median(ratios),
                "95 % interval": f"{low:.3f}–{high:.3f}",
                "2 threads vs 1": verdict,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.train", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    parser.add_argument("--threads", type=int, help=argparse.SUPPRESS)  # child: one count
    parser.add_argument("--rows-to", help=argparse.SUPPRESS)  # child: where its rows go
    parser.add_argument("--peak", type=float, help=argparse.SUPPRESS)  # child: GFLOP/s
    parser.add_argument("--scaling", action="store_true", help=argparse.SUPPRESS)  # child
    args = parser.parse_args(argv)
    if args.threads:
        if args.scaling:
            child_rows = scaling_rows(args.quick)
        else:
            child_rows = measure_rows(args.threads, args.quick, args.peak)
        with open(args.rows_to, "w") as f:
            json.dump(child_rows, f)
        return
    start = time.perf_counter()
    peak = measure_peak(seconds=0.02 if args.quick else 0.1)
    rows: list[dict[str, Any]] = []
    for threads in (1, 2):
        rows += run_pinned(threads, args.quick, peak.get(f"float32/{threads}", {}).get("peak"))
    scaling = run_pinned(2, args.quick, None, scaling=True)
    memory = memory_rows()
    try:
        accuracy = accuracy_rows(args.quick)
    except ImportError as error:  # the mnist1d package (extra "demo") is missing
        accuracy = [{"case": f"MNIST-1D accuracy not measured: {error}"}]
    notes = [
        "×peer: how many times faster fastmlp is (higher is better for fastmlp).",
        "% peak: the epoch's dense FLOPs (bench.md) per second over the FMA peak; fastmlp "
        "skips the terms with a zero of ReLU, so it does fewer.",
    ]
    if jax is not None:
        notes.append(
            f"JAX {jax.__version__}: jax = one jitted step per epoch from Python; jax loop = "
            "all epochs / steps in one jitted lax.fori_loop, or one epoch in lax.scan, "
            "shuffled inside the jit (batch 128 drops the last 32)."
        )
    if ort is not None:
        notes.append(f"ONNX Runtime {ort.__version__}: Gemm + Relu graph, intra_op threads = row.")
    notes.append(
        "\nfastmlp's own thread scaling, 1 and 2 threads alternating batch by batch "
        "(2 ÷ 1 > 1: faster on 2):\n\n" + markdown_table(scaling)
    )
    notes.append("\n" + markdown_table(memory))
    notes.append("\n" + markdown_table(accuracy))
    write_results(
        "train",
        rows,
        {
            "machine": machine_info(),
            "peak": peak,
            "seconds": time.perf_counter() - start,
            "jax": jax and jax.__version__,
            "onnxruntime": ort and ort.__version__,
            "scaling": scaling,
            "memory": memory,
            "accuracy": accuracy,
        },
        COLUMNS,
        notes,
    )


if __name__ == "__main__":
    main()

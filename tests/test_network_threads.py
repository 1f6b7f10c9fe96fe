"""One network used from several Python threads at once, and in processes forked after
threaded work: predictions are right, training is never interleaved with another thread's
training or predictions (refused with a RuntimeError instead), forked children train."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fastmlp as fm

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3000, 40)).astype(np.float32)
Y = RNG.integers(0, 10, 3000)
# Enough work per call that predict and fit release the GIL and overlap in time.
SETTINGS = dict(loss="cross_entropy", batch_size=64, seed=0, optimizer=fm.optim.SGD(lr=0.01))


def network():
    return fm.MLP(40, [256], 10, seed=0)


def test_threads_predicting_with_one_network_get_the_right_answers():
    net = network()
    batches = [X[i : i + 300] for i in range(0, 3000, 300)]
    expected = [net.predict(x) for x in batches]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(5):
            for got, want in zip(pool.map(net.predict, batches), expected):
                assert np.array_equal(got, want)


def in_background(func):
    thread = threading.Thread(target=func)
    thread.start()
    return thread


def repeat_until_refused(call, seconds=20.0):
    """Calls call() until it raises the RuntimeError of a network busy in another thread."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            call()
        except RuntimeError as error:
            return str(error)
    raise AssertionError("never refused")


def test_predict_while_another_thread_trains_is_refused_and_training_unharmed():
    net, reference = network(), network()
    reference.fit(X, Y, epochs=40, **copy.deepcopy(SETTINGS))
    fitting = in_background(lambda: net.fit(X, Y, epochs=40, **copy.deepcopy(SETTINGS)))
    message = repeat_until_refused(lambda: net.predict(X[:200]))
    fitting.join()
    assert "predict: the network is being trained in another thread" in message
    assert np.array_equal(net.parameters, reference.parameters)  # the predicts changed nothing
    assert np.array_equal(net.predict(X), reference.predict(X))


def test_fit_while_other_threads_predict_waits_for_them_and_refuses_new_ones():
    net, reference = network(), network()
    reference.fit(X, Y, epochs=10, **copy.deepcopy(SETTINGS))
    before, after = net.predict(X[:500]), reference.predict(X[:500])
    done, seen = threading.Event(), []

    def predict_until_done():
        while not done.is_set():
            try:
                seen.append(net.predict(X[:500]))
            except RuntimeError as error:
                seen.append(str(error))

    predicting = [in_background(predict_until_done) for _ in range(2)]
    time.sleep(0.05)
    try:
        net.fit(X, Y, epochs=10, **copy.deepcopy(SETTINGS))
    finally:
        done.set()
        for thread in predicting:
            thread.join()
    assert np.array_equal(net.parameters, reference.parameters)
    refusals = [s for s in seen if isinstance(s, str)]
    outputs = [s for s in seen if not isinstance(s, str)]
    assert refusals and all("being trained in another thread" in s for s in refusals)
    # No prediction saw parameters in the middle of training.
    assert all(np.array_equal(y, before) or np.array_equal(y, after) for y in outputs)


@pytest.mark.parametrize("second", ["fit", "loss_and_gradient", "load_state_dict", "init"], ids=str)
def test_a_second_thread_cannot_change_a_network_being_trained(second):
    net, reference = network(), network()
    reference.fit(X, Y, epochs=40, **copy.deepcopy(SETTINGS))
    calls = {
        "fit": lambda: net.fit(X[:10], Y[:10], epochs=1),
        "loss_and_gradient": lambda: net.loss_and_gradient(X[:10], Y[:10]),
        "load_state_dict": lambda: net.load_state_dict(network().state_dict()),
        "init": lambda: net.init(seed=1),
    }
    fitting = in_background(lambda: net.fit(X, Y, epochs=40, **copy.deepcopy(SETTINGS)))
    repeat_until_refused(lambda: net.predict(X[:200]))  # the training has begun
    with pytest.raises(RuntimeError, match=f"{second}: the network is being trained in another"):
        calls[second]()
    fitting.join()
    assert np.array_equal(net.parameters, reference.parameters)


def test_callbacks_may_change_the_network_from_the_fitting_thread():
    net = network()

    class Reset(fm.callbacks.Callback):
        def on_epoch_end(self, network, epoch, logs):
            network.load_state_dict(network.state_dict())  # re-entered: allowed

    net.fit(X[:100], Y[:100], epochs=2, callbacks=[Reset()])
    assert net.epochs_trained == 2


AFTER_THREADED_WORK = """
    import multiprocessing, os
    from concurrent.futures import ThreadPoolExecutor
    import joblib
    import numpy as np
    import fastmlp as fm

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2000, 40)).astype(np.float32)
    y = rng.integers(0, 10, 2000)
    fm.set_num_threads(2)
    net = fm.MLP(40, [256], 10, seed=0)
    with ThreadPoolExecutor(3) as pool:  # Python threads and the OpenMP pool both in use
        list(pool.map(net.predict, [x] * 6))
    net.fit(x, y, epochs=2, seed=0)

    def train_and_predict(_=None):
        child = fm.MLP(40, [256], 10, seed=1)
        child.fit(x, y, epochs=2, seed=0)
        return float(child.predict(x[:5]).sum())

    expected = train_and_predict()
    pid = os.fork()
    if pid == 0:
        os._exit(0 if train_and_predict() == expected else 3)
    assert os.waitpid(pid, 0)[1] == 0, "os.fork child failed"
    with multiprocessing.get_context("fork").Pool(2) as pool:
        assert pool.map(train_and_predict, range(2)) == [expected] * 2
    loky = joblib.Parallel(n_jobs=2, backend="loky")
    assert loky(joblib.delayed(train_and_predict)() for _ in range(2)) == [expected] * 2
    print("ok")
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_forked_and_loky_children_train_after_threaded_work():
    # A hang (libgomp's pool after fork) becomes a TimeoutExpired failure.
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(AFTER_THREADED_WORK)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0 and result.stdout == "ok\n", result.stderr

"""Python threads: correct results side by side, and the GIL released during large calls."""
import sys
import threading

import numpy as np
import pytest

import lrelu
from conftest import assert_same_bits

N = 1 << 20


def test_two_threads_large_arrays():
    lrelu.set_num_threads(1)
    rng = np.random.default_rng(5)
    xs = [rng.standard_normal(N).astype(np.float32) for _ in range(2)]
    want = [lrelu.leaky_relu(x, 0.2) for x in xs]
    outs = [np.empty(N, np.float32) for _ in range(2)]
    errors = []

    def work(i):
        try:
            for _ in range(20):
                lrelu.leaky_relu(xs[i], 0.2, out=outs[i])
                assert_same_bits(outs[i], want[i])
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    ts = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors
    assert_same_bits(want[0], np.where(xs[0] > 0, xs[0], xs[0] * np.float32(0.2)))


@pytest.mark.parametrize("kind", ["forward", "backward", "diff"])
def test_gil_is_released(kind):
    """With a switch interval far longer than the test, a thread that holds the GIL keeps
    it until it blocks or finishes.  The worker runs K large calls; the main thread waits
    for the GIL.  It can only get it before the worker is done if a call released it.
    No timing is involved: a call that kept the GIL lets the worker finish all K first."""
    lrelu.set_num_threads(1)
    x = np.random.default_rng(6).standard_normal(N).astype(np.float32)
    out = np.empty_like(x)
    K = 50
    progress = [0]
    started = threading.Event()

    def work():
        started.set()
        for _ in range(K):
            if kind == "backward":
                lrelu.leaky_relu_backward(x, x, 0.2, out=out)
            elif kind == "diff":
                assert lrelu.diff(x).differ == 0  # float32 at one slope: the rules agree
            else:
                lrelu.leaky_relu(x, 0.2, out=out)
            progress[0] += 1

    old = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    try:
        t = threading.Thread(target=work)
        t.start()
        started.wait()
        seen = progress[0]
        t.join()
    finally:
        sys.setswitchinterval(old)
    assert progress[0] == K
    assert seen < K, "the main thread ran only after the worker's last call: the GIL was held"


def test_small_calls_keep_the_gil_threshold():
    # The threshold is a property of the extension, both sides of it computed right.
    n = lrelu._lrelu.GIL_MIN_BYTES // 8  # float32 read + written
    for m in (n - 1, n):
        x = np.linspace(-1, 1, m, dtype=np.float32)
        assert_same_bits(lrelu.leaky_relu(x, 0.5), np.where(x > 0, x, x * np.float32(0.5)))


def test_num_threads():
    lrelu.set_num_threads(2)
    assert lrelu.get_num_threads() == 2
    x = np.random.default_rng(1).standard_normal(8 << 20).astype(np.float32)  # 64 MiB moved
    y2 = lrelu.leaky_relu(x, 0.2)
    lrelu.set_num_threads(1)
    assert lrelu.get_num_threads() == 1
    assert_same_bits(lrelu.leaky_relu(x, 0.2), y2)
    with pytest.raises(lrelu.Error, match="thread count -1 is negative"):
        lrelu.set_num_threads(-1)
    with pytest.raises(lrelu.Error, match="exceeds the maximum"):
        lrelu.set_num_threads(1 << 40)
    with pytest.raises(TypeError):
        lrelu.set_num_threads(1.5)

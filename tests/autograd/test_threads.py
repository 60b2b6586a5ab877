"""Backward from several threads: separate graphs, a shared leaf, the tutorial example."""

import threading

import numpy as np

import dualad as da


def _run_threads(target, n):
    errors = []

    def wrapped(i):
        try:
            target(i)
        except BaseException as exc:  # noqa: BLE001 (re-raised in the main thread)
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_tutorial_ten_thread_train_fn():
    results = {}

    def train_fn(i):
        x = da.ones(5, 5, requires_grad=True)
        y = (x + 3) * (x + 4) * 0.5
        y.sum().backward()
        results[i] = x.grad.numpy().copy()

    _run_threads(train_fn, 10)
    assert len(results) == 10
    for g in results.values():  # d/dx 0.5 (x+3)(x+4) = x + 3.5 at x = 1
        np.testing.assert_array_equal(g, np.full((5, 5), 4.5))


def test_concurrent_backward_on_separate_graphs():
    results = {}

    def work(i):
        x = da.tensor(np.linspace(0.0, 1.0, 50) + i, requires_grad=True)
        for _ in range(20):
            y = da.sin(x) * x
            (g,) = da.autograd.grad(y.sum(), x)
        results[i] = (x.detach().numpy(), g.numpy())

    _run_threads(work, 8)
    for xs, g in results.values():
        np.testing.assert_allclose(g, np.cos(xs) * xs + np.sin(xs), rtol=1e-13)


def test_accumulation_into_a_shared_leaf_is_locked():
    w = da.tensor(np.ones(100), requires_grad=True)
    n_threads, reps = 8, 25

    def work(i):
        for _ in range(reps):
            ((w * (i + 1)).sum()).backward()

    _run_threads(work, n_threads)
    expected = reps * sum(range(1, n_threads + 1))
    np.testing.assert_array_equal(w.grad.numpy(), np.full(100, float(expected)))


def test_no_grad_in_one_thread_does_not_affect_another():
    recorded = {}
    barrier = threading.Barrier(2)

    def work(i):
        x = da.ones(2, requires_grad=True)
        if i == 0:
            with da.no_grad():
                barrier.wait(5)
                recorded[i] = (x * 2).requires_grad
                barrier.wait(5)
        else:
            barrier.wait(5)
            recorded[i] = (x * 2).requires_grad
            barrier.wait(5)

    _run_threads(work, 2)
    assert recorded == {0: False, 1: True}


# The census of rare modes (dualad._state.census) lets recording skip the thread-local
# reads while no thread has such a mode on; these check it never changes an answer.

_RARE_MODES = {
    "no_grad": lambda: da.no_grad(),
    "inference_mode": lambda: da.inference_mode(),
    "detect_anomaly": lambda: da.autograd.detect_anomaly(),
    "saved_tensors_hooks": lambda: da.autograd.graph.saved_tensors_hooks(lambda t: t,
                                                                         lambda t: t),
}


def _counts():
    from dualad._state import census

    return (census.grad_off, census.inference, census.recording)


# the counts each mode raises: (grad off, inference, special recording)
_MODE_COUNTS = {"no_grad": (1, 0, 0), "inference_mode": (1, 1, 0),
                "detect_anomaly": (0, 0, 1), "saved_tensors_hooks": (0, 0, 1)}


def test_every_rare_mode_is_counted_while_on_and_uncounted_after():
    base = _counts()
    for name, make in _RARE_MODES.items():
        on = tuple(b + c for b, c in zip(base, _MODE_COUNTS[name]))
        with make():
            assert _counts() == on, name
            with make():  # nested: the same modes of the same thread
                assert _counts() == on, name
        assert _counts() == base, name
    da.autograd.set_detect_anomaly(True)
    da.autograd.set_detect_anomaly(True)
    assert _counts() == (base[0], base[1], base[2] + 1)
    da.autograd.set_detect_anomaly(False)
    assert _counts() == base
    x = da.tensor(2.0, requires_grad=True)
    (x * x).backward()  # the engine turns recording off during the pass, and back on
    assert _counts() == base


def test_a_mode_in_another_thread_leaves_this_threads_recording_alone():
    # thread 1 holds each mode open while thread 0 records: thread 0 must see its own
    # (ordinary) modes, and thread 1 its own, though the census is above 0 for both
    for name, make in _RARE_MODES.items():
        seen = {}
        barrier = threading.Barrier(2)

        def work(i, make=make, seen=seen, barrier=barrier):
            x = da.tensor([1.0, 2.0], requires_grad=True)
            if i == 1:
                with make():
                    barrier.wait(5)
                    y = x * x
                    seen[1] = (y.requires_grad, y.is_inference())
                    barrier.wait(5)
            else:
                barrier.wait(5)
                y = x * x
                seen[0] = (y.requires_grad, y.is_inference(), y.grad_fn.trace,
                           da.autograd.grad(y.sum(), x)[0].numpy().tolist())
                barrier.wait(5)

        _run_threads(work, 2)
        assert seen[0] == (True, False, None, [2.0, 4.0]), name
        off = name in ("no_grad", "inference_mode")
        assert seen[1] == (not off, name == "inference_mode"), name


# kink policies, strong_zero and trackers: counted in census.policy, which the rules and
# the engine read before their thread-local flags
_POLICY_MODES = {
    "policy": lambda: da.nondiff.policy("nan"),
    "strong_zero": lambda: da.nondiff.strong_zero(),
    "track": lambda: da.nondiff.track(),
}


def _kink_answers() -> tuple:
    """relu'(0), and d/dx (sqrt(x) * 0) at 0 (a zero cotangent times sqrt'(0) = inf)."""
    x = da.tensor(0.0, requires_grad=True)
    (relu,) = da.autograd.grad(da.relu(x), x)
    (sqrt,) = da.autograd.grad(da.sqrt(x) * 0.0, x)
    return float(relu), float(sqrt)


def test_every_policy_mode_is_counted_while_on_and_uncounted_after():
    from dualad._state import census

    base = census.policy
    for name, make in _POLICY_MODES.items():
        with make():
            assert census.policy == base + 1, name
            with make():  # nested: the same flag of the same thread
                assert census.policy == base + 1, name
            assert census.policy == base + 1, name
        assert census.policy == base, name
    with da.nondiff.policy("nan"), da.nondiff.strong_zero(), da.nondiff.track():
        assert census.policy == base + 3
    assert census.policy == base


def test_a_policy_in_another_thread_leaves_this_threads_rules_alone():
    # defaults (DESIGN's conventions): relu'(0) = 0, and 0 * inf = nan without strong_zero
    for name, make in _POLICY_MODES.items():
        seen = {}
        barrier = threading.Barrier(2)

        def work(i, make=make, seen=seen, barrier=barrier, name=name):
            if i == 1:
                with make() as mode:
                    barrier.wait(5)
                    seen[1] = _kink_answers()
                    barrier.wait(5)
                    seen["hits"] = len(mode) if name == "track" else None
            else:
                barrier.wait(5)
                seen[0] = _kink_answers()
                barrier.wait(5)

        _run_threads(work, 2)
        relu, sqrt = seen[0]
        assert relu == 0.0 and np.isnan(sqrt), name
        relu, sqrt = seen[1]
        assert np.isnan(relu) == (name == "policy"), name
        # a zero cotangent annihilates the infinite partial under strong_zero, and under
        # policy "nan" (whose nan marks only the derivatives taken at the kink)
        assert (sqrt == 0.0) == (name in ("strong_zero", "policy")), name
        if name == "track":  # thread 1's relu and sqrt at 0, forward and backward: not 0's
            assert seen["hits"] == 4


def test_a_thread_that_ends_inside_a_mode_only_slows_the_others():
    from dualad._state import census

    base = _counts()
    t = threading.Thread(target=lambda: da.inference_mode().__enter__())
    t.start()
    t.join()
    try:
        assert _counts() == (base[0] + 1, base[1] + 1, base[2])
        x = da.tensor(3.0, requires_grad=True)
        y = x * x * x
        assert y.requires_grad and not y.is_inference()
        (g,) = da.autograd.grad(y, x)
        assert float(g) == 27.0
    finally:  # the thread is gone: leave the counts as the other tests expect
        census.grad_off, census.inference, census.recording = base

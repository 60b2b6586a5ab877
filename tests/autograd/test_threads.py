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

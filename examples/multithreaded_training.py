"""Multithreaded autograd: the tutorial's ``train_fn`` on 10 threads, then Hogwild-style SGD.

Grad mode is thread-local and each thread's backward runs on its own graph,
so concurrent backward calls give the right gradients. When threads share
parameters, accumulation into ``.grad`` is locked (nothing is lost), but
which thread's gradient lands before another's update is not deterministic;
``dualad.autograd.grad`` returns the gradient to the caller instead.

Run:  python examples/multithreaded_training.py
"""

from __future__ import annotations

import threading

import numpy as np

import dualad as da

N_THREADS = 10


def tutorial_train_fn(results: list, i: int) -> None:
    x = da.ones(5, 5, requires_grad=True)
    # forward
    y = (x + 3) * (x + 4) * 0.5
    # backward
    y.sum().backward()
    # d/dx (x+3)(x+4)/2 = (2x + 7)/2 = 4.5 at x = 1
    results[i] = x.grad.numpy()


def run_threads(target, *args) -> None:
    threads = [threading.Thread(target=target, args=(*args, i)) for i in range(N_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main() -> None:
    results: list = [None] * N_THREADS
    run_threads(tutorial_train_fn, results)
    print("10 threads, each its own graph: every x.grad == 4.5 ?",
          all(np.all(r == 4.5) for r in results))
    assert all(np.all(r == 4.5) for r in results)

    # ten threads backpropagating into one shared leaf: accumulation is locked
    shared = da.tensor([1.0, 2.0], requires_grad=True)

    def accumulate(i: int) -> None:
        for _ in range(20):
            (shared * shared).sum().backward()

    run_threads(accumulate)
    print("shared leaf after 10 x 20 backward calls:", shared.grad, "(expected 200 * 2x)")
    assert np.allclose(shared.grad.numpy(), 200 * 2 * np.array([1.0, 2.0]))

    # Hogwild-style training of a shared linear model on thread-local data shards
    da.manual_seed(0)
    true_w = np.array([2.0, -3.0, 0.5])
    model = da.nn.Linear(3, 1)
    lock = threading.Lock()
    params = list(model.parameters())

    def loss_on(x: da.Tensor, y: da.Tensor) -> da.Tensor:
        return ((model(x) - y) ** 2).mean()

    def worker(i: int) -> None:
        rng = np.random.default_rng(i)
        xs = rng.normal(size=(32, 3))
        x, y = da.tensor(xs), da.tensor(xs @ true_w[:, None] + 1.0)
        for _ in range(30):
            grads = da.autograd.grad(loss_on(x, y), params)
            with lock, da.no_grad():  # apply the update atomically
                for p, g in zip(params, grads):
                    p.sub_(g, alpha=0.05)

    rng = np.random.default_rng(99)
    xt = rng.normal(size=(200, 3))
    x_test, y_test = da.tensor(xt), da.tensor(xt @ true_w[:, None] + 1.0)
    with da.no_grad():
        before = loss_on(x_test, y_test).item()
    run_threads(worker)
    with da.no_grad():
        after = loss_on(x_test, y_test).item()
    print(f"Hogwild SGD on {N_THREADS} threads: test loss {before:.4f} -> {after:.2e}")
    print("learned weight", model.weight.detach().numpy().round(3), "bias",
          model.bias.detach().numpy().round(3), "(true: [2, -3, 0.5], 1)")
    assert after < 1e-3 * before


if __name__ == "__main__":
    main()

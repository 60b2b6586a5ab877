"""The workloads in PyTorch eager (CPU, float64, one thread), as a peer column."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

torch.set_num_threads(1)
NAME = "torch"
VERSION = torch.__version__


def _t(a: np.ndarray, grad: bool = False) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def w1(d: dict):
    x0, reps = d["x"], d["reps"]

    def run():
        x = _t(x0, True)
        y = x
        for _ in range(reps):
            y = torch.tanh(torch.sin(y) * 1.0001 + 0.1)
        y.sum().backward()
        return x.grad
    return run


def w2(d: dict):
    X, Y = _t(d["X"]), _t(d["Y"])
    params = [_t(d[k], True) for k in ("W1", "b1", "W2", "b2")]

    def run():
        W1, b1, W2, b2 = params
        h = torch.tanh(X @ W1 + b1)
        loss = ((h @ W2 + b2 - Y) ** 2).mean()
        return torch.autograd.grad(loss, params)
    return run


def w3_grad(d: dict):
    x0 = d["x"]

    def run():
        x = _t(x0, True)
        (torch.sin(x) * torch.exp(-x ** 2)).sum().backward()
        return x.grad
    return run


def w3_jvp(d: dict):
    x, v = _t(d["x"]), _t(d["v"])
    return lambda: torch.func.jvp(lambda x: (torch.sin(x) * torch.exp(-x ** 2)).sum(), (x,), (v,))


def _w4(kind: str):
    def build(d: dict):
        W, x = _t(d["W"]), _t(d["x"])
        j = getattr(torch.func, kind)(lambda x: torch.tanh(W @ x) + x ** 3)
        return lambda: j(x)
    return build


def w5(d: dict):
    A, x = _t(d["A"]), _t(d["x"])
    h = torch.func.hessian(lambda x: (x ** 4).sum() + x @ A @ x)
    return lambda: h(x)


def w6(d: dict):
    x0, steps = d["x"], d["steps"]

    def run():
        x = _t(x0, True)
        y = x
        for _ in range(steps):
            y = y * 1.0000001 + 1e-9
        y.backward()
        return x.grad
    return run


def w6_checkpoint(d: dict):
    from torch.utils.checkpoint import checkpoint

    x0, steps = d["x"], d["steps"]
    seg = max(1, int(steps ** 0.5))

    def segment(y, k):
        for _ in range(k):
            y = y * 1.0000001 + 1e-9
        return y

    def run():
        x = _t(x0, True)
        y = x
        for start in range(0, steps, seg):
            y = checkpoint(segment, y, min(seg, steps - start), use_reentrant=False)
        y.backward()
        return x.grad
    return run


def w8_autograd(d: dict):
    x0 = d["x"]

    def run():
        x = _t(x0, True)
        g = torch.sin(x) * torch.exp(x)
        for k in range(4):
            (g,) = torch.autograd.grad(g, x, create_graph=k < 3)
        return g
    return run


def w8_func(d: dict):
    f = lambda x: torch.sin(x) * torch.exp(x)
    for _ in range(4):
        f = torch.func.grad(f)
    x = _t(d["x"])
    return lambda: f(x)


def w2_per_sample(d: dict):
    def loss(params, x, y):
        W1, b1, W2, b2 = params
        h = torch.tanh(x @ W1 + b1)
        return ((h @ W2 + b2 - y) ** 2).sum()

    per_sample = torch.func.vmap(torch.func.grad(loss), in_dims=(None, 0, 0))
    params = tuple(_t(d[k]) for k in ("W1", "b1", "W2", "b2"))
    X, Y = _t(d["X"]), _t(d["Y"])
    return lambda: per_sample(params, X, Y)


CASES = {"w1.scalar": w1, "w1.vector": w1, "w2": w2, "w3.grad": w3_grad, "w3.jvp": w3_jvp,
         "w4.jacfwd": _w4("jacfwd"), "w4.jacrev": _w4("jacrev"), "w5.n50": w5, "w5.n200": w5,
         "w6": w6, "w6.checkpoint": w6_checkpoint, "w8.autograd": w8_autograd, "w8.func": w8_func,
         "w2.per_sample": w2_per_sample}


def to_numpy(x: Any) -> Any:
    if isinstance(x, tuple | list):
        return [to_numpy(v) for v in x]
    return x.detach().numpy()

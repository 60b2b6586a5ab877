"""The workloads in MyGrad, as a peer column (only where ``import mygrad`` works).

MyGrad is reverse mode, first order only: w3.jvp, w4.jacfwd, w5 and w8 are
not possible there; its Jacobian is built row by row with ``backward``.
"""

from __future__ import annotations

from typing import Any

import mygrad as mg
import numpy as np

NAME = "mygrad"
VERSION = mg.__version__


def w1(d: dict):
    x0, reps = d["x"], d["reps"]

    def run():
        x = mg.tensor(x0)
        y = x
        for _ in range(reps):
            y = mg.tanh(mg.sin(y) * 1.0001 + 0.1)
        mg.sum(y).backward()
        return x.grad
    return run


def w2(d: dict):
    X, Y = d["X"], d["Y"]
    params = [mg.tensor(d[k]) for k in ("W1", "b1", "W2", "b2")]

    def run():
        W1, b1, W2, b2 = params
        h = mg.tanh(mg.matmul(X, W1) + b1)
        mg.mean((mg.matmul(h, W2) + b2 - Y) ** 2).backward()
        return [p.grad for p in params]
    return run


def w3_grad(d: dict):
    x0 = d["x"]

    def run():
        x = mg.tensor(x0)
        mg.sum(mg.sin(x) * mg.exp(-x ** 2)).backward()
        return x.grad
    return run


def w4_jacrev(d: dict):
    W, x0 = d["W"], d["x"]

    def run():
        rows = []
        for i in range(x0.size):
            x = mg.tensor(x0)
            (mg.tanh(mg.matmul(W, x)) + x ** 3)[i].backward()
            rows.append(x.grad)
        return np.stack(rows)
    return run


def w6(d: dict):
    x0, steps = d["x"], d["steps"]

    def run():
        x = mg.tensor(x0)
        y = x
        for _ in range(steps):
            y = y * 1.0000001 + 1e-9
        y.backward()
        return x.grad
    return run


CASES = {"w1.scalar": w1, "w1.vector": w1, "w2": w2, "w3.grad": w3_grad,
         "w4.jacrev": w4_jacrev, "w6": w6}


def to_numpy(x: Any) -> Any:
    if isinstance(x, tuple | list):
        return [to_numpy(v) for v in x]
    return np.asarray(getattr(x, "data", x))

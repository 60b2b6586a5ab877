"""The workloads in HIPS autograd, as a peer column (only where ``import autograd`` works).

HIPS autograd has no ``jacfwd``; it is built here from ``make_jvp`` along the
basis vectors, the way a user of that library would.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

import autograd
import autograd.numpy as anp
import numpy as np
from autograd import grad, hessian, jacobian, make_jvp

NAME = "autograd"
VERSION = getattr(autograd, "__version__", None) or metadata.version("autograd")  # no __version__


def w1(d: dict):
    x, reps = d["x"], d["reps"]

    def f(x):
        for _ in range(reps):
            x = anp.tanh(anp.sin(x) * 1.0001 + 0.1)
        return anp.sum(x)
    g = grad(f)
    return lambda: g(x)


def w2(d: dict):
    X, Y = d["X"], d["Y"]
    params = tuple(d[k] for k in ("W1", "b1", "W2", "b2"))

    def loss(ps):
        W1, b1, W2, b2 = ps
        h = anp.tanh(anp.dot(X, W1) + b1)
        return anp.mean((anp.dot(h, W2) + b2 - Y) ** 2)
    g = grad(loss)
    return lambda: g(params)


def _f3(x):
    return anp.sum(anp.sin(x) * anp.exp(-x ** 2))


def w3_grad(d: dict):
    x, g = d["x"], grad(_f3)
    return lambda: g(x)


def w3_jvp(d: dict):
    x, v = d["x"], d["v"]
    return lambda: make_jvp(_f3)(x)(v)


def _f4(W):
    return lambda x: anp.tanh(anp.dot(W, x)) + x ** 3


def w4_jacfwd(d: dict):
    W, x = d["W"], d["x"]
    basis = np.eye(x.size)

    def run():
        jvp = make_jvp(_f4(W))(x)
        return np.stack([jvp(e)[1] for e in basis], axis=1)
    return run


def w4_jacrev(d: dict):
    W, x = d["W"], d["x"]
    j = jacobian(_f4(W))
    return lambda: j(x)


def w5(d: dict):
    A, x = d["A"], d["x"]
    h = hessian(lambda x: anp.sum(x ** 4) + anp.dot(x, anp.dot(A, x)))
    return lambda: h(x)


def w6(d: dict):
    x, steps = float(d["x"]), d["steps"]

    def f(x):
        for _ in range(steps):
            x = x * 1.0000001 + 1e-9
        return x
    g = grad(f)
    return lambda: g(x)


def w8(d: dict):
    f = lambda x: anp.sin(x) * anp.exp(x)
    for _ in range(4):
        f = grad(f)
    x = float(d["x"])
    return lambda: f(x)


CASES = {"w1.scalar": w1, "w1.vector": w1, "w2": w2, "w3.grad": w3_grad, "w3.jvp": w3_jvp,
         "w4.jacfwd": w4_jacfwd, "w4.jacrev": w4_jacrev, "w5.n50": w5, "w5.n200": w5,
         "w6": w6, "w8.autograd": w8, "w8.func": w8}


def to_numpy(x: Any) -> Any:
    if isinstance(x, tuple | list):
        return [to_numpy(v) for v in x]
    return np.asarray(x)

"""The workloads written with dualad. Each builder takes the inputs and returns a callable.

A builder raises :class:`FeatureMissing` when the dualad feature it needs
(``dualad.func``, ``dualad.symbolic``) does not exist yet, so the suite runs
on every stage of the project.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

import dualad as da

NAME = "dualad"
VERSION = getattr(da, "__version__", "dev")


class FeatureMissing(Exception):
    """The library has no such feature (the table says "n/a (feature missing)")."""


def feature(module: str, *names: str) -> Any:
    """``dualad.<module>`` if it exists and has all ``names``; else FeatureMissing."""
    try:
        mod = importlib.import_module(f"dualad.{module}")
    except ImportError:
        raise FeatureMissing(f"dualad.{module}") from None
    for n in names:
        if not hasattr(mod, n):
            raise FeatureMissing(f"dualad.{module}.{n}")
    return mod


def w1(d: dict):
    x0, reps = d["x"], d["reps"]

    def run():
        x = da.tensor(x0, requires_grad=True)
        y = x
        for _ in range(reps):
            y = da.tanh(da.sin(y) * 1.0001 + 0.1)
        y.sum().backward()
        return x.grad
    return run


def w2(d: dict):
    X, Y = da.tensor(d["X"]), da.tensor(d["Y"])
    params = [da.tensor(d[k], requires_grad=True) for k in ("W1", "b1", "W2", "b2")]

    def run():
        W1, b1, W2, b2 = params
        h = da.tanh(X @ W1 + b1)
        loss = ((h @ W2 + b2 - Y) ** 2).mean()
        return da.autograd.grad(loss, params)
    return run


def w3_grad(d: dict):
    x0 = d["x"]

    def run():
        x = da.tensor(x0, requires_grad=True)
        (da.sin(x) * da.exp(-x ** 2)).sum().backward()
        return x.grad
    return run


def w3_jvp(d: dict):
    fw = da.forward_ad
    x0, v0 = da.tensor(d["x"]), da.tensor(d["v"])

    def run():
        with fw.dual_level():
            x = fw.make_dual(x0, v0)
            p, t = fw.unpack_dual((da.sin(x) * da.exp(-x ** 2)).sum())
        return p, t
    return run


def _w4(kind: str):
    def build(d: dict):
        jac = getattr(feature("func", kind), kind)
        W, x = da.tensor(d["W"]), da.tensor(d["x"])
        j = jac(lambda x: da.tanh(W @ x) + x ** 3)
        return lambda: j(x)
    return build


def w5(d: dict):
    func = feature("func", "hessian")
    A, x = da.tensor(d["A"]), da.tensor(d["x"])
    h = func.hessian(lambda x: (x ** 4).sum() + x @ A @ x)
    return lambda: h(x)


def w6(d: dict):
    x0, steps = d["x"], d["steps"]

    def run():
        x = da.tensor(x0, requires_grad=True)
        y = x
        for _ in range(steps):
            y = y * 1.0000001 + 1e-9
        y.backward()
        return x.grad
    return run


def _w7_graph(d: dict):
    x = da.tensor(d["x"], requires_grad=True, name="x")
    return x, (da.sin(x[:-1]) * x[1:]).sum()


def w7_export(d: dict):
    sym = feature("symbolic", "to_sympy")
    x, y = _w7_graph(d)
    values = d["x"]

    def run():
        expr = sym.to_sympy(y)
        return expr

    def check(expr):  # evaluate the expression at the leaf values
        return float(expr.subs({s: values[_index(s)] for s in expr.free_symbols}))
    run.to_numpy = check
    return run


def _index(symbol) -> int:
    return int(str(symbol).rsplit("_", 1)[-1])


def w7_gradient(d: dict):
    sym = feature("symbolic", "gradient")
    x, y = _w7_graph(d)
    values = d["x"]

    def run():
        return sym.gradient(y, x)

    def check(grad):
        import sympy as sp

        entries = list(sp.Array(grad)) if not isinstance(grad, list | tuple) else list(grad)
        syms = sorted(set().union(*(sp.sympify(e).free_symbols for e in entries)), key=_index)
        subs = {s: values[_index(s)] for s in syms}
        return np.array([float(sp.sympify(e).subs(subs)) for e in entries])
    run.to_numpy = check
    return run


def w6_checkpoint(d: dict):
    x0, steps = d["x"], d["steps"]
    seg = max(1, int(steps ** 0.5))

    def segment(y, k):
        for _ in range(k):
            y = y * 1.0000001 + 1e-9
        return y

    def run():
        x = da.tensor(x0, requires_grad=True)
        y = x
        for start in range(0, steps, seg):
            y = da.checkpoint(segment, y, min(seg, steps - start))
        y.backward()
        return x.grad
    return run


def w8_autograd(d: dict):
    x0 = d["x"]

    def run():
        x = da.tensor(x0, requires_grad=True)
        g = da.sin(x) * da.exp(x)
        for k in range(4):
            (g,) = da.autograd.grad(g, x, create_graph=k < 3)
        return g
    return run


def w8_func(d: dict):
    func = feature("func", "grad")
    f = lambda x: da.sin(x) * da.exp(x)
    for _ in range(4):
        f = func.grad(f)
    x = da.tensor(d["x"])
    return lambda: f(x)


def w2_per_sample(d: dict):
    func = feature("func", "grad", "vmap")

    def loss(params, x, y):
        W1, b1, W2, b2 = params
        h = da.tanh(x @ W1 + b1)
        return ((h @ W2 + b2 - y) ** 2).sum()

    per_sample = func.vmap(func.grad(loss), in_dims=(None, 0, 0))
    params = tuple(da.tensor(d[k]) for k in ("W1", "b1", "W2", "b2"))
    X, Y = da.tensor(d["X"]), da.tensor(d["Y"])
    return lambda: per_sample(params, X, Y)


CASES = {"w1.scalar": w1, "w1.vector": w1, "w2": w2, "w3.grad": w3_grad, "w3.jvp": w3_jvp,
         "w4.jacfwd": _w4("jacfwd"), "w4.jacrev": _w4("jacrev"), "w5.n50": w5, "w5.n200": w5,
         "w6": w6, "w6.checkpoint": w6_checkpoint, "w7.export": w7_export,
         "w7.gradient": w7_gradient,
         "w8.autograd": w8_autograd, "w8.func": w8_func, "w2.per_sample": w2_per_sample}


def to_numpy(x: Any) -> Any:
    if isinstance(x, tuple | list):
        return [to_numpy(v) for v in x]
    if isinstance(x, da.Tensor):
        return x.detach()._data
    return np.asarray(x)

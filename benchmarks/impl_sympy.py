"""w7 done directly in SymPy: build the expression, and ``diff`` it by every variable.

This is the column the symbolic bridge is compared with (issue 8: SymPy's own
``diff`` over the 200 variables).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

NAME = "sympy"
VERSION = sp.__version__


def _expression(n: int):
    xs = sp.symbols(f"x_0:{n}", real=True)
    return xs, sp.Add(*[sp.sin(xs[i]) * xs[i + 1] for i in range(n - 1)])


def w7_export(d: dict):
    values = d["x"]

    def run():
        return _expression(values.size)

    def check(result):
        xs, expr = result
        return float(expr.subs(dict(zip(xs, values))))
    run.to_numpy = check
    return run


def w7_gradient(d: dict):
    values = d["x"]
    xs, expr = _expression(values.size)

    def run():
        return [sp.diff(expr, s) for s in xs]

    def check(grads):
        subs = dict(zip(xs, values))
        return np.array([float(g.subs(subs)) for g in grads])
    run.to_numpy = check
    return run


CASES = {"w7.export": w7_export, "w7.gradient": w7_gradient}


def to_numpy(x: Any) -> Any:
    return np.asarray(x)

"""A symbolic cross-check: export the recorded graph to SymPy and compare derivatives.

For a few functions the gradient from reverse mode, the JVP from forward
mode, SymPy's exact derivative of the exported expression and a central
finite difference are printed side by side; then ``dualad.symbolic.compare``
does the same in one call, and marks points where an op was at a kink.

Run:  python examples/symbolic_check.py
"""

from __future__ import annotations

import math

import sympy as sp

import dualad as da
from dualad import forward_ad as fwAD

try:  # the SymPy bridge may be absent in a partial build
    from dualad import symbolic
except ImportError:
    symbolic = None

FUNCTIONS = {
    "sin(x) * exp(x)": lambda x: da.sin(x) * da.exp(x),
    "x**3 / (1 + x**2)": lambda x: x**3 / (1 + x**2),
    "tanh(sqrt(x)) * log(x)": lambda x: da.tanh(da.sqrt(x)) * da.log(x),
    "sigmoid(2x) - x**0.5": lambda x: da.sigmoid(2 * x) - x**0.5,
}


def check(fn, at: float) -> tuple:
    x = da.tensor(at, requires_grad=True, name="x")
    y = fn(x)
    expr = symbolic.to_sympy(y)
    y.backward()
    reverse = x.grad.item()
    with fwAD.dual_level():
        forward = fwAD.unpack_dual(fn(fwAD.make_dual(da.tensor(at), da.tensor(1.0)))).tangent
    sym = sp.Symbol("x", real=True)
    exact = float(sp.diff(expr, sym).subs(sym, at))
    h = 1e-6
    with da.no_grad():
        numeric = (fn(da.tensor(at + h)).item() - fn(da.tensor(at - h)).item()) / (2 * h)
    return expr, reverse, forward.item(), exact, numeric


def main() -> None:
    if symbolic is None:
        print("(dualad.symbolic is not available in this build: no symbolic check)")
        return
    at = 0.7
    print(f"derivatives at x = {at}\n")
    print(f"{'function':24s} {'reverse':>12s} {'forward':>12s} {'SymPy exact':>12s} "
          f"{'finite diff':>12s}  {'max |rev - exact|':>17s}")
    for label, fn in FUNCTIONS.items():
        expr, rev, fwd, exact, num = check(fn, at)
        err = max(abs(rev - exact), abs(fwd - exact))
        print(f"{label:24s} {rev:12.8f} {fwd:12.8f} {exact:12.8f} {num:12.8f}  {err:17.1e}")
        assert err < 1e-12 and math.isclose(num, exact, rel_tol=1e-6, abs_tol=1e-8)

    x = da.tensor(at, requires_grad=True, name="x")
    y = FUNCTIONS["x**3 / (1 + x**2)"](x)
    print("\nexported expression:", symbolic.to_sympy(y))
    print("its exact derivative:", sp.simplify(symbolic.gradient(y, x)))

    # the same check as one call: dualad.symbolic.compare, element by element
    report = symbolic.compare(lambda x, y: da.sin(x) * da.exp(y) + x**2 / y,
                              da.tensor([0.3, 1.1]), da.tensor([2.0, 0.5]))
    print("\nsymbolic.compare(sin(x) exp(y) + x^2 / y, x, y):")
    print(report)
    assert report.ok

    # at a kink, the report says so instead of reporting a false mismatch
    at_kink = symbolic.compare(lambda x: da.relu(x) * 3, da.tensor([0.0, 1.0]))
    print("\nrelu at 0:")
    print(at_kink)
    assert at_kink.ok

if __name__ == "__main__":
    main()

"""The tour printed by ``python -m dualad demo``."""

from __future__ import annotations

import math

import dualad as da
from dualad import forward_ad as fwAD


def _section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 60 - len(title)))


def run(plot_dir: str | None = None) -> int:
    _section("gradient (reverse mode)")
    x = da.tensor([0.0, math.pi / 4, math.pi / 2], requires_grad=True)
    y = (da.sin(x) * x).sum()
    y.backward()
    print("x      =", x)
    print("d/dx sum(sin(x) * x) =", x.grad, " (closed form: cos(x)*x + sin(x))")

    _section("second derivative (create_graph=True)")
    t = da.tensor(5.0, requires_grad=True)
    (g,) = da.autograd.grad(t ** 3, t, create_graph=True)
    (h,) = da.autograd.grad(g, t)
    print(f"d/dt t^3 at 5 = {g.item():g}   d2/dt2 = {h.item():g}")

    _section("JVP (forward mode, dual numbers)")
    with fwAD.dual_level():
        xd = fwAD.make_dual(da.tensor([1.0, 2.0]), da.tensor([1.0, 0.0]))
        out = da.exp(xd) * da.sin(xd)
        primal, tangent = fwAD.unpack_dual(out)
    print("f(x) = exp(x)*sin(x) at [1, 2], tangent [1, 0] ->", tangent)
    if plot_dir:
        print(f"(plots are not drawn by this tour yet; nothing written to {plot_dir})")
    return 0

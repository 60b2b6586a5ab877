"""The tour printed by ``python -m dualad demo`` (and ``--plot DIR`` for the figures).

Each section is a small function; :data:`SECTIONS` lists them in order. A
section that needs a part of dualad missing from this build prints a note
instead of failing.

>>> from dualad.demo import SECTIONS
>>> [title for title, _ in SECTIONS][:3]
['gradient (reverse mode)', 'accumulation and zero_grad', 'second derivative (create_graph=True)']
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

import dualad as da
from dualad import forward_ad as fwAD

from ._plot import save_figure


def _optional(name: str) -> ModuleType | None:
    """``dualad.<name>`` if this build has it, else None."""
    try:
        return importlib.import_module(f"dualad.{name}")
    except ImportError:
        return None


def _computed(t: da.Tensor | None) -> da.Tensor:
    """``t``, a gradient or tangent the section has just computed (so not None)."""
    assert t is not None, "the demo's backward pass or dual level did not reach this input"
    return t


def _missing(name: str) -> None:
    print(f"(dualad.{name} is not available in this build; section skipped)")


def gradient(ctx: dict) -> None:
    x = da.linspace(0.0, 2 * math.pi, 5, requires_grad=True)
    y = (da.sin(x) * x).sum()
    y.backward()
    closed = np.cos(x.detach().numpy()) * x.detach().numpy() + np.sin(x.detach().numpy())
    print("x                      =", x.detach())
    print("d/dx sum(x sin x)      =", x.grad)
    print("closed form x cos x + sin x agrees:", np.allclose(_computed(x.grad).numpy(), closed))
    print("graph:", y.grad_fn.name(), "<-", y.grad_fn.next_functions[0][0].name(), "<- ...")
    ctx["sin_x"] = x


def accumulation(ctx: dict) -> None:
    w = da.tensor([1.0, 2.0], requires_grad=True)
    for i in range(3):
        (w * w).sum().backward()
        print(f"after backward #{i + 1}: w.grad = {w.grad}  (accumulates 2w each time)")
    w.grad = None
    print("after w.grad = None (what zero_grad() does):", w.grad)


def second_derivative(ctx: dict) -> None:
    t = da.tensor(5.0, requires_grad=True)
    (g,) = da.autograd.grad(t**3, t, create_graph=True)
    (h,) = da.autograd.grad(g, t)
    print(f"d/dt t^3 at 5 = {g.item():g}   d2/dt2 = {h.item():g}   (3t^2 = 75, 6t = 30)")


def jvp(ctx: dict) -> None:
    with fwAD.dual_level():
        xd = fwAD.make_dual(da.tensor([1.0, 2.0]), da.tensor([1.0, 0.0]))
        _, tangent = fwAD.unpack_dual(da.exp(xd) * da.sin(xd))
    print("f(x) = exp(x) sin(x) at [1, 2], tangent [1, 0]")
    print("  JVP (one forward pass) =", tangent)
    print(f"  by hand e(sin 1 + cos 1) = {math.e * (math.sin(1) + math.cos(1)):.4f}, then 0")


def _f_jac(x: da.Tensor) -> da.Tensor:
    return da.stack([x[0] ** 2 * x[1], 5 * x[0] + da.sin(x[1])])


def jacobian(ctx: dict) -> None:
    x = da.tensor([1.0, 2.0])
    func = _optional("func")
    print("f(x) = [x0^2 x1, 5 x0 + sin x1] at x = [1, 2]")
    if func is not None and hasattr(func, "jacfwd"):
        jf = np.asarray(func.jacfwd(_f_jac)(x))
        jr = np.asarray(func.jacrev(_f_jac)(x)) if hasattr(func, "jacrev") else None
        print("  jacfwd:", jf.round(4).tolist())
        if jr is not None:
            print("  jacrev agrees:", np.allclose(jf, jr))
    else:
        with fwAD.dual_level():
            cols = [_computed(fwAD.unpack_dual(_f_jac(fwAD.make_dual(x, da.tensor(e)))).tangent)
                    .numpy() for e in np.eye(2)]
        jf = np.stack(cols, axis=1)
        print("  forward mode, one JVP per column:", jf.round(4).tolist(),
              "(dualad.func is not available in this build)")
    print("  by hand: [[4, 1], [5, cos 2]] =", [[4.0, 1.0], [5.0, round(math.cos(2), 4)]])


def kink_report(ctx: dict) -> None:
    nondiff = _optional("nondiff")
    if nondiff is None or not hasattr(nondiff, "track"):
        _missing("nondiff")
        return
    x = da.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    with nondiff.track() as hits:
        (da.relu(x) + da.abs(x)).sum().backward()
    print("x =", x.detach(), " grad of sum(relu(x) + |x|) =", x.grad)
    print("kinks hit (mode, op, where, elements, derivative used):")
    for h in hits:
        value = _value_text(h.value)
        print(f"  {h.mode:8s} {h.op:5s} {h.where:8s} {h.count} element(s), value {value}")
    print("relu'(0) = 0 and abs'(0) = 0: the minimum-norm subgradients (see "
          "docs/nondifferentiable.md)")


def _value_text(value: Any) -> str:
    try:
        return str(np.round(np.asarray(value, dtype=float), 4).tolist())
    except (TypeError, ValueError):
        return str(value)


def symbolic_check(ctx: dict) -> None:
    symbolic = _optional("symbolic")
    if symbolic is None or not hasattr(symbolic, "to_sympy"):
        _missing("symbolic")
        return
    if hasattr(symbolic, "compare"):
        print("dualad.symbolic.compare(sin(x) exp(y) + x^2 / y, x=0.7, y=2):")
        report = symbolic.compare(lambda x, y: da.sin(x) * da.exp(y) + x**2 / y,
                                  da.tensor(0.7), da.tensor(2.0))
        print(report)
        print()
    import sympy as sp

    cases = {"sin(x) exp(x)": lambda x: da.sin(x) * da.exp(x),
             "x^3 / (1 + x^2)": lambda x: x**3 / (1 + x**2),
             "tanh(sqrt(x)) log(x)": lambda x: da.tanh(da.sqrt(x)) * da.log(x)}
    at = 0.7
    sym = sp.Symbol("x", real=True)
    header = ("f(x) at x = 0.7", "reverse", "forward", "SymPy", "|diff|")
    print(f"{header[0]:22s} {header[1]:>11s} {header[2]:>11s} {header[3]:>11s} {header[4]:>8s}")
    for label, fn in cases.items():
        x = da.tensor(at, requires_grad=True, name="x")
        y = fn(x)
        exact = float(sp.diff(symbolic.to_sympy(y), sym).subs(sym, at))
        y.backward()
        with fwAD.dual_level():
            fwd = _computed(fwAD.unpack_dual(fn(fwAD.make_dual(da.tensor(at), da.tensor(1.0))))
                            .tangent).item()
        rev = _computed(x.grad).item()
        diff = max(abs(rev - exact), abs(fwd - exact))
        print(f"{label:22s} {rev:11.7f} {fwd:11.7f} {exact:11.7f} {diff:8.1e}")


def training(ctx: dict) -> None:
    rng = np.random.default_rng(0)
    da.manual_seed(0)
    xs = rng.uniform(-2, 2, size=(128, 1))
    x, y = da.tensor(xs), da.tensor(np.sin(2 * xs))
    model = da.nn.Sequential(da.nn.Linear(1, 16), da.nn.Tanh(), da.nn.Linear(16, 1))
    opt = da.optim.Adam(model.parameters(), lr=0.05)
    loss_fn = da.nn.MSELoss()
    losses = []
    for step in range(60):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if step % 10 == 0 or step == 59:
            print(f"step {step:3d}   MSE {loss.item():.5f}")
    print(f"loss fell from {losses[0]:.4f} to {losses[-1]:.4f} (fit y = sin 2x, 1-16-1 tanh, Adam)")
    ctx["losses"] = losses


SECTIONS: list[tuple[str, Callable[[dict], None]]] = [
    ("gradient (reverse mode)", gradient),
    ("accumulation and zero_grad", accumulation),
    ("second derivative (create_graph=True)", second_derivative),
    ("JVP (forward mode, dual numbers)", jvp),
    ("Jacobian", jacobian),
    ("kink report (nondifferentiable points)", kink_report),
    ("symbolic check table (SymPy)", symbolic_check),
    ("training (nn + optim)", training),
]


def _plots(ctx: dict, plot_dir: str) -> None:
    print(f"\n== figures -> {plot_dir} " + "=" * 30)
    xs = np.linspace(0, 2 * math.pi, 200)
    x = da.tensor(xs, requires_grad=True)
    da.sin(x).sum().backward()
    save_figure(f"{plot_dir}/sin_derivative.png",
                [(xs, np.sin(xs), "sin(x)"),
                 (xs, _computed(x.grad).numpy(), "d/dx by autograd", "--"),
                 (xs, np.cos(xs), "cos(x)", ":")],
                title="sin and its derivative", xlabel="x", ylabel="y")
    losses: Any = ctx.get("losses")
    if losses:
        save_figure(f"{plot_dir}/training_loss.png", [(np.arange(len(losses)), losses, "MSE")],
                    title="training loss", xlabel="step", ylabel="MSE", logy=True)


def run(plot_dir: str | None = None) -> int:
    """Print the tour; with ``plot_dir`` also write the figures there. Returns 0."""
    start = time.perf_counter()
    print(f"dualad {da.__version__}: automatic differentiation for NumPy, in both modes")
    ctx: dict = {}
    for title, section in SECTIONS:
        print(f"\n== {title} " + "=" * max(0, 60 - len(title)))
        section(ctx)
    if plot_dir:
        _plots(ctx, plot_dir)
    print(f"\ndone in {time.perf_counter() - start:.1f} s. Next: docs/getting-started.md, "
          "examples/, python -m pytest")
    return 0

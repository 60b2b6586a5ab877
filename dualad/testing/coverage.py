"""The op coverage table (docs/ops-coverage.md), generated from the registry.

Regenerate the committed file with ``python -m dualad.testing``.

>>> print(coverage_table().splitlines()[0])
# Op coverage
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..registry import LINEAR, NO_SYMPY_FORM, Op, ops

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "docs" / "ops-coverage.md"

_HEADER = """# Op coverage

Generated from the op registry by `dualad.testing.coverage_table()`; a test
fails when this file differs from the registry (regenerate it with
`python -m dualad.testing`). Every differentiable op is checked by
`tests/test_registry_ops.py` in each column: VJP and JVP against central
differences, second order (reverse-over-reverse and forward-over-reverse)
against differences of the gradient, the SymPy form against the forward value
and forward mode, and each kink in both modes against the declared value. An op
with a scalar path (`Hints.scalar_forward`: 0-d float64 tensors computed on NumPy
scalars) is checked against its forward on 0-d arrays, bit for bit.

"""
_COLUMNS = ("op", "forward", "VJP", "JVP", "second order", "SymPy", "scalar path",
            "tested shapes", "kinks (declared derivative)")
_HEADER += "| " + " | ".join(_COLUMNS) + " |\n" + "| --- " * len(_COLUMNS) + "|\n"


def _inputs(op: Op, rules: tuple) -> str:
    if not op.differentiable:
        return "not differentiable"
    cells = []
    for i, r in enumerate(rules):
        cells.append(f"{i}: " + ("none" if r is None else "linear" if r is LINEAR else "rule"))
    return ", ".join(cells)


def _value(v: object) -> str:
    if v is None:
        return "none"
    if isinstance(v, (int, float, np.number)):
        return repr(float(v))
    a = np.asarray(v)
    return str((a if a.dtype.kind == "c" else a.astype(float)).tolist())


def _kinks(op: Op) -> str:
    if not op.kinks:
        return "none"
    parts = []
    for k in op.kinks:
        grads = ", ".join(_value(g) for g in k.grads)
        parts.append(f"{k.where} ({grads}; rule {k.rule})")
    return "; ".join(parts).replace("|", "\\|")


def _row(op: Op) -> str:
    dom = op.domain
    shapes = "broadcast" if isinstance(getattr(dom, "shapes", None), str) else (
        f"{len(dom.shapes)} examples" if dom is not None else "missing")
    sympy = "missing" if op.sympy is None else ("none in SymPy" if op.sympy is NO_SYMPY_FORM
                                                else "elementwise" if op.elementwise
                                                else "arrays")
    second = "yes" if op.differentiable else "n/a"
    cells = [f"`{op.name}`", "yes" if callable(op.forward) else "missing",
             _inputs(op, op.vjp), _inputs(op, op.jvp), second, sympy,
             "no" if op.hints.scalar_forward is None else "yes", shapes, _kinks(op)]
    return "| " + " | ".join(cells) + " |"


def coverage_table(entries: list[Op] | None = None) -> str:
    """The Markdown coverage table of ``entries`` (every registered op by default)."""
    rows = [_row(op) for op in (ops() if entries is None else entries)]
    return _HEADER + "\n".join(rows) + f"\n\n{len(rows)} registered ops.\n"


def write_coverage_table(path: str | Path | None = None) -> Path:
    """Write :func:`coverage_table` to ``path`` (docs/ops-coverage.md by default)."""
    path = Path(path) if path is not None else DEFAULT_PATH
    path.write_text(coverage_table())
    return path


"""Tools to property-test gradients: strategies, per-op registry checks, coverage table.

``check_op`` runs every registry check (fields, VJP, JVP, adjoint identity,
second order, SymPy form, kinks, and each execution hint against the rules:
scalar path, array and batched rules, saved values) on one op with
hypothesis-drawn inputs, so users can check their own registered ops in their
own test suites.

>>> import dualad as da
>>> from dualad.testing import assert_gradients_agree, check_op
>>> check_op("sin", max_examples=3)
>>> assert_gradients_agree(lambda x, y: da.sin(x) * y, da.tensor([0.1, 0.7]), da.tensor(2.0))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ..check import _evaluate, _setup, forward_jvp, gradcheck, reverse_vjp
from ..registry import Op, get
from . import strategies
from .complexcheck import check_complex
from .coverage import coverage_table, write_coverage_table
from .opcheck import (
    ATOL,
    EPS,
    EXACT_RTOL,
    RTOL,
    OpCheckError,
    check_adjoint,
    check_array_rules,
    check_batched_jvp,
    check_batched_vjp,
    check_fields,
    check_jvp,
    check_kinks,
    check_saved_values,
    check_scalar_path,
    check_second_order,
    check_sympy,
    check_vjp,
)

PROPERTY_CHECKS: dict[str, Callable] = {
    "vjp": check_vjp,
    "jvp": check_jvp,
    "adjoint": check_adjoint,
    "batched_vjp": check_batched_vjp,
    "scalar_path": check_scalar_path,
    "array_rules": check_array_rules,
    "batched_jvp": check_batched_jvp,
    "saved_values": check_saved_values,
    "second_order": check_second_order,
    "sympy": check_sympy,
    "complex": check_complex,  # (ops marked accepts_complex; a no-op for the others)
}
"""The checks that run on drawn inputs, by name; ``fields`` and ``kinks`` need none."""


def check_op(name_or_entry: str | Op, *, max_examples: int = 20,
             checks: Iterable[str] | None = None, shrink: bool = True) -> None:
    """Run the registry checks on one op; raises :class:`OpCheckError` naming the failure.

    ``checks`` selects among ``fields``, ``kinks`` and the :data:`PROPERTY_CHECKS`
    (all by default; one name or a list of them, not an empty one); inputs are
    drawn from the op's ``Domain``. ``shrink=False`` reports the first failing
    input instead of searching for a minimal one.
    """
    op = get(name_or_entry) if isinstance(name_or_entry, str) else name_or_entry
    if not isinstance(op, Op):
        raise TypeError(f"check_op expects an op name or a dualad.registry.Op, got "
                        f"{type(op).__name__}")
    if isinstance(checks, str):
        checks = [checks]
    names = list(checks) if checks is not None else ["fields", "kinks", *PROPERTY_CHECKS]
    if not names:
        raise ValueError("check_op: checks is empty, so nothing would be checked; leave it "
                         "out for every check, or name some")
    unknown = set(names) - {"fields", "kinks", *PROPERTY_CHECKS}
    if unknown:
        raise ValueError(f"check_op: unknown check(s) {sorted(unknown)}; choose from fields, "
                         f"kinks, {', '.join(PROPERTY_CHECKS)}")
    if "fields" in names:
        check_fields(op)
    if "kinks" in names:
        check_kinks(op)
    selected = [PROPERTY_CHECKS[n] for n in names if n in PROPERTY_CHECKS]
    if not selected:
        return

    phases = [p for p in Phase if p is not Phase.explain and (shrink or p is not Phase.shrink)]

    @settings(max_examples=max_examples, deadline=None, database=None, phases=phases,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(strategies.op_inputs(op), st.integers(0, 2**32 - 1))
    def run(case: tuple, seed: int) -> None:
        arrays, params = case
        for check in selected:
            check(op, arrays, params, seed)

    run()


def assert_gradients_agree(f: Callable, *inputs: Any, eps: float = EPS, atol: float = ATOL,
                           rtol: float = RTOL, seed: int = 0) -> None:
    """Assert that reverse mode, forward mode and central differences agree for ``f``.

    Every floating input is differentiated (all of them, or those that require
    grad); inputs may be Tensors, NumPy arrays or floats, as in
    :func:`~dualad.check.gradcheck`, and ``f`` receives Tensors. Raises
    ``AssertionError`` with the input, element and values.
    """
    report = gradcheck(f, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=False,
                       seed=seed)
    if not report.passed:
        raise AssertionError(str(report))
    # the adjoint identity <J v, u> = <v, J^T u>, on the inputs gradcheck differentiated,
    # passed to f the way gradcheck passes them (Tensors, whatever the caller gave)
    _, diff, values = _setup("assert_gradients_agree", inputs, eps, atol, rtol, 1)
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(_evaluate(f, values).shape)
    rev = reverse_vjp(f, values, diff, u)
    for i, r in zip(diff, rev):
        v = rng.standard_normal(values[i].shape)
        lhs = float(np.vdot(forward_jvp(f, values, diff, i, v), u))
        rhs = float(np.vdot(v, r))
        scale = 1.0 + float(np.abs(u).sum() * np.abs(r).sum())
        if abs(lhs - rhs) > EXACT_RTOL * scale:
            raise AssertionError(f"forward and reverse mode disagree for input {i}: <J v, u> = "
                                 f"{lhs!r} but <v, J^T u> = {rhs!r}")


__all__ = [
    "PROPERTY_CHECKS", "OpCheckError", "assert_gradients_agree", "check_adjoint",
    "check_batched_vjp", "check_fields",
    "check_jvp", "check_kinks", "check_op", "check_scalar_path", "check_second_order",
    "check_sympy", "check_vjp", "check_complex",
    "coverage_table", "strategies", "write_coverage_table",
]

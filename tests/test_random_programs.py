"""Random programs of chained registered ops: reverse mode, forward mode and finite
differences agree (>= 1,000 examples under HYPOTHESIS_PROFILE=thorough).

Every operand is squashed into an interval of the op's domain with
``lo + (hi - lo) * sigmoid(z)``, so programs stay where each op is smooth.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

import dualad as da
from dualad import registry
from dualad.registry import apply
from dualad.testing import assert_gradients_agree
from dualad.testing.strategies import arrays_from

OPS = registry.ops()


def _smooth_elementwise(op, arity: int) -> bool:
    return (op.elementwise and op.arity == arity and op.differentiable and
            op.domain is not None and op.domain.shapes == "elementwise" and
            all(r is not None for r in op.vjp))


def _reductions() -> list:
    found = []
    for op in OPS:
        if op.arity != 1 or not op.differentiable or op.domain is None or \
                isinstance(op.domain.shapes, str):
            continue
        for _, params in op.domain.shapes:
            if "axis" not in params:
                continue
            try:
                out = np.asarray(op.forward(np.ones((2, 3)), **params))
            except (ValueError, TypeError, IndexError):
                continue
            try:  # later steps combine the result with the (2, 3) and (3,) inputs
                np.broadcast_shapes(out.shape, (2, 3))
            except ValueError:
                continue
            if out.dtype.kind == "f":
                found.append((op, dict(params)))
    return found


UNARY = [op for op in OPS if _smooth_elementwise(op, 1)]
BINARY = [op for op in OPS if _smooth_elementwise(op, 2)]
REDUCTIONS = _reductions()
EXAMPLES = max(20, 2 * settings().max_examples)  # ci 50, dev 100, thorough 1000


def _interval(draw, ranges: tuple) -> tuple:
    return draw(st.sampled_from(list(ranges)))


@st.composite
def programs(draw) -> list:
    """Steps ``(kind, op name, params, [(operand index, interval), ...])``."""
    steps = []
    ndims = [2, 1]  # of the values so far: the inputs x (2, 3) and y (3,)
    for _ in range(draw(st.integers(1, 6))):
        last = len(ndims) - 1
        kinds = ["unary", "unary", "binary"] + (["reduce"] if ndims[last] == 2 else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "unary":
            op = draw(st.sampled_from(UNARY))
            operands = [(last, _interval(draw, op.domain.ranges[0]))]
            ndims.append(ndims[last])
        elif kind == "binary":
            op = draw(st.sampled_from(BINARY))
            other = draw(st.integers(0, last))
            operands = [(last, _interval(draw, op.domain.ranges[0])),
                        (other, _interval(draw, op.domain.ranges[1]))]
            ndims.append(max(ndims[last], ndims[other]))
        else:
            op, params = draw(st.sampled_from(REDUCTIONS))
            operands = [(last, _interval(draw, op.domain.ranges[0]))]
            ndims.append(np.ndim(op.forward(np.ones((2, 3)), **params)))
        steps.append((kind, op.name, params if kind == "reduce" else {}, operands))
    return steps


def _squash(z, interval: tuple):
    lo, hi = float(interval[0]), float(interval[1])
    return lo + (hi - lo) * da.sigmoid(z)


def run(program: list, x, y, check_valid: bool = False):
    values = [x, y]
    for _kind, name, params, operands in program:
        op = registry.get(name)
        args = [_squash(values[i], iv) for i, iv in operands]
        if check_valid:
            if _kind == "reduce":  # programs() reduces 2-d values only
                assert np.ndim(args[0].detach().numpy()) == 2
            if op.domain.valid is not None:
                assume(op.domain.valid(*[a.detach().numpy() for a in args], **params))
        values.append(apply(op, *args, **params))
    return values[-1]


def describe(program: list) -> str:
    return " -> ".join(f"{name}{params or ''}" for _k, name, params, _o in program)


@settings(max_examples=EXAMPLES, deadline=None,
          phases=[p for p in Phase if p is not Phase.explain],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(program=programs(), x=arrays_from((2, 3), ((-3.0, 3.0),)),
       y=arrays_from((3,), ((-3.0, 3.0),)))
def test_random_programs_agree_in_every_mode(program: list, x: np.ndarray,
                                             y: np.ndarray) -> None:
    with da.no_grad():
        run(program, da.tensor(x), da.tensor(y), check_valid=True)
    try:
        assert_gradients_agree(lambda a, b: run(program, a, b), da.tensor(x), da.tensor(y))
    except AssertionError as exc:
        raise AssertionError(f"program {describe(program)}: {exc}") from None


def test_the_program_pool_is_drawn_from_the_registry() -> None:
    names = {op.name for op in UNARY} | {op.name for op in BINARY}
    assert {"sin", "exp", "mul", "add"} <= names
    assert {op.name for op, _ in REDUCTIONS} >= {"sum", "mean"}

"""Elementwise ops: arithmetic, powers, exponentials, trigonometry, activations, selection."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ..registry import LINEAR, Domain, Kink, Op, apply, register_op
from ..tensor import Tensor
from ._define import POSITIVE, differentiated, elementwise_unary, quiet

_PAIR = ((-3.0, 3.0), (-3.0, 3.0))


def _binary(name: str, forward, vjp, jvp, sympy, ranges=_PAIR, saves=(0, 1),
            saves_output=False, kinks=(), valid=None, jvp_all=None, node_name="") -> Op:
    return register_op(Op(name=name, forward=forward, vjp=vjp, jvp=jvp, sympy=sympy,
                          domain=Domain(ranges=tuple((r,) for r in ranges), valid=valid),
                          kinks=kinks, elementwise=True, saves=saves,
                          saves_output=saves_output, node_name=node_name))


# ------------------------------------------------------------- arithmetic
_ADD = _binary("add", np.add, (lambda g, out, x, y: g, lambda g, out, x, y: g),
               (lambda t, out, x, y: t, lambda t, out, x, y: t), lambda x, y: x + y, saves=())
_SUB = _binary("sub", np.subtract, (lambda g, out, x, y: g, lambda g, out, x, y: -g),
               (lambda t, out, x, y: t, lambda t, out, x, y: -t), lambda x, y: x - y, saves=())
_MUL = _binary("mul", np.multiply,
               (lambda g, out, x, y: g * y, lambda g, out, x, y: g * x),
               (LINEAR, LINEAR), lambda x, y: x * y)
_DIV = _binary("div", quiet(np.true_divide),
               (lambda g, out, x, y: g / y, lambda g, out, x, y: -(g * x) / (y * y)),
               (lambda t, out, x, y: t / y, lambda t, out, x, y: -(t * x) / (y * y)),
               lambda x, y: x / y, ranges=((-3.0, 3.0), ((-3.0, -0.3), (0.3, 3.0))))


def _pow_dx(out, x, y):
    if not isinstance(y, Tensor):
        return 0.0 * x if y == 0 else y * x ** (y - 1)
    return where(y == 0, 0.0, y * x ** (y - 1))


def _safe_log(x):
    return log(where(x == 0, 1.0, x))


_POW = _binary(
    "pow", quiet(np.power),
    (lambda g, out, x, y: g * _pow_dx(out, x, y), lambda g, out, x, y: g * out * _safe_log(x)),
    (lambda t, out, x, y: t * _pow_dx(out, x, y), lambda t, out, x, y: t * out * _safe_log(x)),
    lambda x, y: x ** y, ranges=((0.2, 3.0), (-2.0, 2.0)), saves_output=True,
    kinks=(Kink("x == 0, exponent y == 0", ((0.0, 0.0),), (0.0, 0.0), 1,
                "x**0 is constant 1, so d/dx is 0 everywhere"),
           Kink("x == 0, exponent y > 0", ((0.0, 2.0),), (0.0, 0.0), 4,
                "d/dy 0**y = 0**y * log(0) is taken as its limit 0")))


def add(x: Any, y: Any) -> Tensor:
    """``x + y`` with broadcasting."""
    return apply(_ADD, x, y)


def sub(x: Any, y: Any) -> Tensor:
    """``x - y`` with broadcasting."""
    return apply(_SUB, x, y)


def mul(x: Any, y: Any) -> Tensor:
    """``x * y`` with broadcasting."""
    return apply(_MUL, x, y)


def div(x: Any, y: Any) -> Tensor:
    """``x / y`` with broadcasting."""
    return apply(_DIV, x, y)


def pow(x: Any, y: Any) -> Tensor:  # noqa: A001  (PyTorch's name)
    """``x ** y``; the exponent may be a tensor (differentiated) or a number."""
    return apply(_POW, x, y)


neg = elementwise_unary("neg", np.negative, lambda out, x: -1.0, lambda x: -x)


def _neg_rules() -> None:
    # neg is linear: its rules need no saved values
    _NEG = neg.op
    _NEG.vjp = (lambda g, out, x: -g,)
    _NEG.jvp = (lambda t, out, x: -t,)
    _NEG.saves = ()


_neg_rules()

# ------------------------------------------------------- smooth functions
exp = elementwise_unary("exp", quiet(np.exp), lambda out, x: out, sp.exp, uses_output=True)
log = elementwise_unary(
    "log", quiet(np.log), lambda out, x: 1.0 / x, sp.log, ranges=POSITIVE,
    kinks=(Kink("x == 0", ((0.0,),), (np.inf,), 4, "1/x tends to +inf"),
           Kink("x < 0", ((-1.0,),), (np.nan,), 5, "log is undefined for x < 0")))
sin = elementwise_unary("sin", np.sin, lambda out, x: cos(x), sp.sin)
cos = elementwise_unary("cos", np.cos, lambda out, x: -sin(x), sp.cos)
tanh = elementwise_unary("tanh", np.tanh, lambda out, x: 1.0 - out * out, sp.tanh,
                         uses_output=True)
sqrt = elementwise_unary(
    "sqrt", quiet(np.sqrt), lambda out, x: 0.5 / out, sp.sqrt, ranges=POSITIVE,
    uses_output=True,
    kinks=(Kink("x == 0", ((0.0,),), (np.inf,), 4, "1/(2 sqrt x) tends to +inf"),
           Kink("x < 0", ((-1.0,),), (np.nan,), 5, "sqrt is undefined for x < 0")))
sigmoid = elementwise_unary("sigmoid", lambda x: 0.5 * (1.0 + np.tanh(0.5 * x)),
                            lambda out, x: out * (1.0 - out), lambda x: 1 / (1 + sp.exp(-x)),
                            uses_output=True)

# ---------------------------------------------------------- kinked functions
_AWAY_FROM_ZERO = ((-3.0, -0.05), (0.05, 3.0))

sign = elementwise_unary("sign", np.sign, lambda out, x: 0.0 * x, sp.sign,
                         ranges=_AWAY_FROM_ZERO,
                         kinks=(Kink("x == 0", ((0.0,),), (0.0,), 1,
                                     "sign is flat elsewhere; its jump is given derivative 0",
                                     pytorch=(0.0,), jax=(0.0,)),))
abs = elementwise_unary(  # noqa: A001
    "abs", np.abs, lambda out, x: sign(x), sp.Abs, ranges=_AWAY_FROM_ZERO,
    kinks=(Kink("x == 0", ((0.0,),), (0.0,), 2, "convex: the subdifferential is [-1, 1]",
                pytorch=(0.0,), jax=(1.0,)),))
relu = elementwise_unary(
    "relu", lambda x: np.maximum(x, 0.0), lambda out, x: x > 0,
    lambda x: x * sp.Heaviside(x, 0), ranges=_AWAY_FROM_ZERO,
    kinks=(Kink("x == 0", ((0.0,),), (0.0,), 2, "convex: the subdifferential is [0, 1]",
                pytorch=(0.0,), jax=(0.0,)),))


def _max_mask(x: Any, y: Any, pick) -> Any:
    """d max(x, y)/dx: 1 where x wins, 1/2 at ties if y is differentiated too, else 0."""
    xd = x._data if isinstance(x, Tensor) else x
    yd = y._data if isinstance(y, Tensor) else y
    wins = pick(xd, yd)
    if differentiated(y) or (isinstance(y, Tensor) and y._tangents):
        return wins + 0.5 * (xd == yd)
    return wins.astype(np.result_type(xd, 0.0)) if hasattr(wins, "astype") else float(wins)


def _extremum(name: str, np_fn, pick, sympy_fn) -> Op:
    def mask_x(x, y):
        return _max_mask(x, y, pick)

    def mask_y(x, y):
        return _max_mask(y, x, pick)

    return _binary(
        name, np_fn,
        (lambda g, out, x, y: g * mask_x(x, y), lambda g, out, x, y: g * mask_y(x, y)),
        (lambda t, out, x, y: t * mask_x(x, y), lambda t, out, x, y: t * mask_y(x, y)),
        sympy_fn, valid=lambda x, y: bool(np.all(np.abs(x - y) > 1e-3)),
        kinks=(Kink("x == y (both differentiated)", ((1.0, 1.0),), (0.5, 0.5), 2,
                    "the subgradients are (a, 1-a); the minimum-norm one is (1/2, 1/2)",
                    pytorch=(0.5, 0.5), jax=(0.5, 0.5)),))


_MAXIMUM = _extremum("maximum", np.maximum, np.greater, sp.Max)
_MINIMUM = _extremum("minimum", np.minimum, np.less, sp.Min)


def maximum(x: Any, y: Any) -> Tensor:
    """Elementwise maximum; at a tie the gradient is split evenly between differentiated inputs."""
    return apply(_MAXIMUM, x, y)


def minimum(x: Any, y: Any) -> Tensor:
    """Elementwise minimum; at a tie the gradient is split evenly between differentiated inputs."""
    return apply(_MINIMUM, x, y)


def _inside(x: Tensor, lo: Any, hi: Any) -> Any:
    xd = x._data
    m = np.ones(xd.shape, dtype=bool)
    if lo is not None:
        m &= xd > lo
    if hi is not None:
        m &= xd < hi
    return m


_CLAMP = register_op(Op(
    name="clamp", forward=lambda x, min=None, max=None: np.clip(x, min, max),
    vjp=(lambda g, out, x, min=None, max=None: g * _inside(x, min, max),),
    jvp=(lambda t, out, x, min=None, max=None: t * _inside(x, min, max),),
    sympy=lambda x, min=None, max=None: sp.Min(sp.Max(x, min), max) if min is not None
    and max is not None else (sp.Max(x, min) if min is not None else sp.Min(x, max)),
    domain=Domain(ranges=(((-3.0, 3.0),),), shapes=[(((3, 4),), {"min": -0.5, "max": 1.0}),
                                                   (((5,),), {"min": 0.0})],
                  valid=lambda x, min=None, max=None: bool(np.all(np.abs(x - min) > 1e-3)) and (
                      max is None or bool(np.all(np.abs(x - max) > 1e-3)))),
    kinks=(Kink("x == min or x == max", ((0.0,),), (0.0,), 2,
                "at a bound the one-sided derivatives are 0 and 1: min-norm gives 0",
                params={"min": 0.0}, pytorch=(1.0,), jax=(1.0,)),),
    elementwise=True, saves=(0,)))


def clamp(x: Any, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """Limit ``x`` to ``[min, max]``; the gradient is 0 at and beyond the bounds."""
    if min is None and max is None:
        raise ValueError("clamp: give at least one of min= and max=")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    return apply(_CLAMP, x, min=min, max=max)


def clip(a: Any, a_min: Any = None, a_max: Any = None) -> Tensor:
    """NumPy's name for :func:`clamp`."""
    return clamp(a, a_min, a_max)


def _cond(c: Any) -> Any:
    return c._data if isinstance(c, Tensor) else c


_WHERE = register_op(Op(
    name="where", forward=lambda c, x, y: np.where(c, x, y),
    vjp=(None, lambda g, out, c, x, y: where(c, g, 0.0), lambda g, out, c, x, y: where(c, 0.0, g)),
    jvp=(None, lambda t, out, c, x, y: where(c, t, 0.0), lambda t, out, c, x, y: where(c, 0.0, t)),
    sympy=lambda c, x, y: x if bool(c) else y,
    domain=Domain(ranges=(((0.0, 1.0),), ((-3.0, 3.0),), ((-3.0, 3.0),)), shapes=[
        (((3, 4), (3, 4), (3, 4)), {}), (((4,), (3, 4), ()), {})]),
    elementwise=True, saves=(0,)))


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """Pick ``x`` where ``condition`` holds, else ``y``; the condition gets no gradient."""
    c = _cond(condition)
    if isinstance(c, np.ndarray) and c.dtype != bool:
        c = c.astype(bool)
    return apply(_WHERE, c, x, y)

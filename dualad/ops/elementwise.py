"""Elementwise ops: arithmetic, powers, exponentials, trigonometry, activations, selection."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from .._sympy import sp, sympy_function
from ..batched_tensor import BatchedTensor
from ..registry import LINEAR, Domain, Hints, Kink, Op, apply, register_op
from ..registry import get as get_op
from ..tensor import Tensor
from ._define import (
    ARRAY_MATH,
    POSITIVE,
    TENSOR_MATH,
    Formula,
    Math,
    conj_if_complex,
    cut_kink,
    differentiated,
    elementwise,
    elementwise_unary,
    exp_neg,
    kink_adjust,
    op_function,
    pole_kink,
    provide,
    quiet,
    real_only,
    scale,
)

_PAIR = ((-3.0, 3.0), (-3.0, 3.0))


def _ranges(ranges: tuple) -> tuple:
    """Per input, a tuple of ``(low, high)`` intervals (one interval may be given bare)."""
    return tuple(r if isinstance(r[0], tuple) else (r,) for r in ranges)


def _binary(name: str, forward: Callable[..., Any], vjp_of: Callable[[Math], tuple],
            jvp: tuple, sympy: Callable[..., Any], ranges: tuple = _PAIR,
            reads: tuple | None = None) -> Op:
    """A binary elementwise op whose rules are written out (not derived from partials):
    ``strong_mul`` (the product the derived rules use) and ``div`` (rounded as PyTorch).

    ``vjp_of(m)`` gives the two vjp rules computed with the functions of ``m`` (a
    ``Math``, as for partials): its vjp with the op functions, its raw-array rules
    with their NumPy forwards."""
    op = register_op(Op(name=name, forward=forward, vjp=vjp_of(TENSOR_MATH), jvp=jvp,
                        sympy=sympy, domain=Domain(ranges=_ranges(ranges)), elementwise=True,
                        hints=Hints(reads=reads, array_vjp=vjp_of(ARRAY_MATH))))
    provide(name, op_function(op, 2), op.forward)
    return op


# ------------------------------------------------------------- arithmetic
# (scalar_forward: Python's operators, NumPy's scalar arithmetic without a ufunc call)
_ADD = elementwise("add", np.add, (1.0, 1.0), lambda x, y: x + y, _ranges(_PAIR),
                   scalar_forward=operator.add)
_SUB = elementwise("sub", np.subtract, (1.0, -1.0), lambda x, y: x - y, _ranges(_PAIR),
                   scalar_forward=operator.sub)
_MUL = elementwise("mul", np.multiply, (lambda m, out, x, y: y, lambda m, out, x, y: x),
                   lambda x, y: x * y, _ranges(_PAIR), multilinear=True,
                   reads=((1,), (0,)), scalar_forward=operator.mul,
                   # g * y, g * x: without calling the partials (the engine's hot path)
                   array_rules=(lambda g, out, x, y: g * conj_if_complex(y),
                                lambda g, out, x, y: g * conj_if_complex(x)))


def _strong_mul_forward(x: Any, y: Any) -> Any:
    out = np.multiply(x, y)
    return np.where(np.equal(x, 0) | np.equal(y, 0), np.zeros((), out.dtype), out)


# ``x * y`` where a zero factor gives 0 even times inf or nan: the product of a cotangent or
# tangent with a partial derivative under ``dualad.nondiff.strong_zero()`` (see _define.scale).
# It is an op, not a mask on the primal, so its own derivatives keep the rule: the tangent of
# a cotangent whose primal is 0 (the rows of ``jacrev``) is multiplied, not masked away.
_STRONG_MUL = _binary("strong_mul", quiet(_strong_mul_forward),
                      lambda m: (lambda g, out, x, y: m.strong_mul(g, conj_if_complex(y)),
                                 lambda g, out, x, y: m.strong_mul(g, conj_if_complex(x))),
                      (LINEAR, LINEAR), lambda x, y: x * y, reads=((1,), (0,)))

# written out, not derived (g * (1/y) would round differently from g / y, PyTorch's rule)
_DIV = _binary("div", quiet(np.true_divide),
               lambda m: (lambda g, out, x, y: g / conj_if_complex(y),
                          lambda g, out, x, y: -(g * conj_if_complex(x))
                          / conj_if_complex(y * y)),
               (lambda t, out, x, y: t / y, lambda t, out, x, y: -(t * x) / (y * y)),
               lambda x, y: x / y, ranges=((-3.0, 3.0), ((-3.0, -0.3), (0.3, 3.0))),
               reads=((1,), (0, 1)))


def _pow_derivative_x(m: Any, out: Any, x: Any, y: Any) -> Any:
    if not isinstance(y, (Tensor, np.ndarray)):  # a constant exponent (rules may get arrays)
        return 0.0 * x if y == 0 else (2.0 * x if y == 2 else y * x ** (y - 1))  # x**1 is slow
    at_zero = (_raw(y) == 0) & (_raw(x) == 0)  # a mask on the values: y may be an array
    return y * m.where(at_zero, 1.0, x) ** (y - 1)  # 0 at 0**0, and no 0 * inf


def _raw(v: Any) -> Any:
    return v._data if isinstance(v, Tensor) else v


def _pow_derivative_y(m: Any, out: Any, x: Any, y: Any) -> Any:
    return out * m.log(m.where(x == 0, 1.0, x))


_POW = elementwise(
    "pow", quiet(operator.pow),  # NumPy's ``**``: x ** 2 is np.square, as for arrays
    (_pow_derivative_x, _pow_derivative_y), lambda x, y: x ** y,
    _ranges(((0.2, 3.0), (-2.0, 2.0))), uses_output=True, reads=((0, 1), (0,)), reads_output=(1,),
    kinks=(Kink("x == 0, exponent y == 0", ((0.0, 0.0),), (0.0, 0.0), 1,
                "x**0 is constant 1, so d/dx is 0; d/dy log(0) * 0**0 is taken as 0",
                pytorch=(0.0, 0.0), jax=(0.0, 0.0)),
           Kink("x == 0, exponent y > 0", ((0.0, 2.0),), (0.0, 0.0), 1,
                "0**y is 0 for every y > 0, so d/dy is 0 (not 0 * log 0 = nan)",
                pytorch=(0.0, 0.0), jax=(0.0, 0.0)),
           Kink("x == 0, exponent 0 < y < 1", ((0.0, 0.5),), (np.inf, 0.0), 4,
                "d/dx x**y = y * x**(y-1) tends to +inf", pytorch=(np.inf, 0.0),
                jax=(np.inf, 0.0), at=lambda x, y: (x == 0) & (np.imag(y) == 0) & (np.real(y) > 0)
                & (np.real(y) < 1))))


def add(x: Any, y: Any) -> Tensor:
    """``x + y`` with broadcasting."""
    return apply(_ADD, x, y)


def sub(x: Any, y: Any) -> Tensor:
    """``x - y`` with broadcasting."""
    return apply(_SUB, x, y)


def mul(x: Any, y: Any) -> Tensor:
    """``x * y`` with broadcasting."""
    return apply(_MUL, x, y)


def strong_mul(x: Any, y: Any) -> Tensor:
    """``x * y``, but 0 wherever either factor is 0 (also times inf or nan)."""
    return apply(_STRONG_MUL, x, y)


def div(x: Any, y: Any) -> Tensor:
    """``x / y`` with broadcasting."""
    return apply(_DIV, x, y)


def pow(x: Any, y: Any) -> Tensor:  # noqa: A001  (PyTorch's name)
    """``x ** y``; the exponent may be a tensor (differentiated) or a number."""
    return apply(_POW, x, y)


neg = elementwise_unary("neg", np.negative, -1.0, lambda x: -x)  # linear: reads nothing

# ------------------------------------------------------- smooth functions
exp = elementwise_unary("exp", quiet(np.exp), lambda m, out, x: out, "exp", uses_output=True)
_COMPLEX_ZEROS = np.array([0j, complex(0.0, -0.0)])
_RECIPROCAL = Formula("1/x", lambda x: 1.0 / np.asarray(x, dtype=float))
log = elementwise_unary(  # exp(-log x) is 1/x, and nan where log is (rule 5)
    "log", quiet(np.log), lambda m, out, x: exp_neg(m, out), "log", ranges=POSITIVE,
    uses_output=True,
    kinks=(Kink("x == 0", ((0.0,),), (np.inf,), 4, "1/x tends to +inf", pytorch=(np.inf,),
                jax=(np.inf,), at=real_only(lambda x: x == 0)),
           pole_kink("log", _COMPLEX_ZEROS, "z == 0", pytorch=complex(np.inf, np.nan)),
           Kink("x < 0", ((-1.0,),), (np.nan,), 5, "log is undefined for real x < 0",
                pytorch=(_RECIPROCAL,), jax=(_RECIPROCAL,), at=real_only(lambda x: x < 0)),
           cut_kink("log", 0.0, [-1.0, -0.25],
                    "log jumps by 2 pi i across the cut; its derivative 1/z is continuous")))
sin = elementwise_unary("sin", np.sin, lambda m, out, x: m.cos(x), "sin")
cos = elementwise_unary("cos", np.cos, lambda m, out, x: -m.sin(x), "cos")
tanh = elementwise_unary("tanh", np.tanh, lambda m, out, x: 1.0 - out * out, "tanh",
                         uses_output=True)
sqrt = elementwise_unary(
    "sqrt", quiet(np.sqrt), lambda m, out, x: 0.5 / (out + 0.0), "sqrt", ranges=POSITIVE,
    uses_output=True,
    kinks=(Kink("x == 0", ((0.0,),), (np.inf,), 4,
                "1/(2 sqrt x) tends to +inf (also at -0.0: out + 0.0 turns sqrt(-0.0) into +0)",
                pytorch=(np.inf,), jax=(np.inf,), at=real_only(lambda x: x == 0)),
           pole_kink("sqrt", _COMPLEX_ZEROS, "z == 0", pytorch=complex(np.inf, np.nan)),
           Kink("x < 0", ((-1.0,),), (np.nan,), 5, "sqrt is undefined for real x < 0",
                pytorch=(np.nan,), jax=(np.nan,), at=real_only(lambda x: x < 0)),
           cut_kink("sqrt", 0.0, [0.5j, -0.25j],
                    "sqrt and 1/(2 sqrt z) change sign across the cut: the side of the value")))
def _sigmoid(x: Any) -> Any:
    """1 / (1 + exp(-x)) accurate in both tails (0.5 (1 + tanh(x/2)) cancels to 0 for
    x < -37, where the value is still about 1e-16 or more)."""
    x = np.asarray(x)
    if x.dtype.kind == "c":
        return 0.5 * (1.0 + np.tanh(0.5 * x))
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))[()]


sigmoid = elementwise_unary("sigmoid", _sigmoid,
                            lambda m, out, x: out * (1.0 - out), lambda x: 1 / (1 + sp.exp(-x)),
                            uses_output=True)

# ---------------------------------------------------------- kinked functions
_AWAY_FROM_ZERO = ((-3.0, -0.05), (0.05, 3.0))

sign = elementwise_unary("sign", np.sign, lambda m, out, x: 0.0 * x, "sign",
                         ranges=_AWAY_FROM_ZERO,
                         kinks=(Kink("x == 0", ((0.0,),), (0.0,), 4,
                                     "a jump: the derivative 0 of the flat parts is its limit",
                                     pytorch=(0.0,), jax=(0.0,), at=lambda x: x == 0),))


def _abs_complex_rules(m: Any) -> tuple:
    """|z| of a complex z (not holomorphic): the vjp ``g * sgn(z)`` and the jvp
    ``Re(conj(sgn(z)) v)``, with ``sgn(z) = z / |z|`` and 0 at 0 (PyTorch's ``sgn``: the
    minimum-norm subgradient), written with ``m``'s functions (Tensors or raw arrays)."""

    def sgn(x: Any, mode: str) -> Any:
        zero = _raw(x) == 0
        s = m.where(zero, 0.0, x / m.where(zero, 1.0, m.abs(x)))
        # (the raw-array rules run under the default policy only; Tensor rules see policies)
        return s if m is ARRAY_MATH else kink_adjust(get_op("abs"), 0, s, (x,), {}, mode)

    return (lambda g, out, x: g * sgn(x, "backward"),
            lambda t, out, x: m.real(m.conj(sgn(x, "jvp")) * t))


abs = elementwise_unary(  # noqa: A001
    "abs", np.abs, lambda m, out, x: m.sign(x), "Abs", ranges=_AWAY_FROM_ZERO,
    complex_rules=_abs_complex_rules,
    kinks=(Kink("x == 0", ((0.0,),), (0.0,), 2, "convex: the subdifferential is [-1, 1]",
                pytorch=(0.0,), jax=(1.0,), at=real_only(lambda x: x == 0)),
           Kink("complex z == 0", ((_COMPLEX_ZEROS,),), (np.zeros(2),), 2,
                "convex: the subdifferential of |z| is the unit disk, whose minimum-norm "
                "element is 0", pytorch=(np.zeros(2),), jax=(np.zeros(2),),
                at=lambda x: np.iscomplexobj(x) & (np.asarray(x) == 0))))
relu = elementwise_unary(
    "relu", lambda x: np.maximum(x, 0.0), lambda m, out, x: x > 0,
    lambda x: x * sp.Heaviside(x, 0), ranges=_AWAY_FROM_ZERO,
    kinks=(Kink("x == 0", ((0.0,),), (0.0,), 2, "convex: the subdifferential is [0, 1]",
                pytorch=(0.0,), jax=(0.0,), at=lambda x: x == 0),))


def _max_mask(x: Any, y: Any, pick: Callable[[Any, Any], Any]) -> Any:
    """d max(x, y)/dx: 1 where x wins, 1/2 at ties if y is differentiated too, else 0."""
    xd = x._data if isinstance(x, Tensor) else x
    yd = y._data if isinstance(y, Tensor) else y
    wins = pick(xd, yd)
    if differentiated(y):
        return wins + 0.5 * (xd == yd)
    return wins.astype(np.result_type(xd, 0.0)) if hasattr(wins, "astype") else float(wins)


def _extremum(name: str, np_fn: Callable[..., Any], pick: Callable[[Any, Any], Any],
              sympy_fn: Callable[..., Any], libraries: tuple = (0.5, 0.5)) -> Op:
    """``maximum``-like op: ``pick(x, y)`` where x wins; ``libraries``: PyTorch's and JAX's
    derivatives at a tie."""
    return elementwise(
        name, np_fn, (lambda m, out, x, y: _max_mask(x, y, pick),
                      lambda m, out, x, y: _max_mask(y, x, pick)),
        sympy_fn, _ranges(_PAIR), valid=lambda x, y: bool(np.all(np.abs(x - y) > 1e-3)),
        kinks=(Kink("x == y (a tie)", ((1.0, 1.0),), (0.5, 0.5), 2,
                    "with both inputs differentiated the subgradients are (a, 1-a) and the "
                    "minimum-norm one is (1/2, 1/2); with y constant, x gets 0 (the minimum "
                    "norm over [0, 1])", pytorch=libraries, jax=libraries,
                    at=lambda x, y: x == y),),
        array_rules=False)  # the tie rule asks which inputs are differentiated (Tensors)


_MAXIMUM = _extremum("maximum", np.maximum, np.greater, sympy_function("Max"))
_MINIMUM = _extremum("minimum", np.minimum, np.less, sympy_function("Min"))


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


def _clamp_factor(x: Tensor, lo: Any, hi: Any, mode: str) -> Any:
    return kink_adjust(_CLAMP, 0, _inside(x, lo, hi), (x,), {"min": lo, "max": hi}, mode)


def _at_bound(x: Any, min: Any = None, max: Any = None) -> Any:  # noqa: A002
    x = np.asarray(x)
    hit = np.zeros(x.shape, dtype=bool)
    if min is not None:
        hit |= x == min
    if max is not None:
        hit |= x == max
    return hit


_CLAMP = register_op(Op(
    name="clamp", forward=lambda x, min=None, max=None: np.clip(x, min, max),
    vjp=(lambda g, out, x, min=None, max=None: scale(g, _clamp_factor(x, min, max, "backward")),),
    jvp=(lambda t, out, x, min=None, max=None: scale(t, _clamp_factor(x, min, max, "jvp")),),
    sympy=lambda x, min=None, max=None: sp.Min(sp.Max(x, min), max) if min is not None
    and max is not None else (sp.Max(x, min) if min is not None else sp.Min(x, max)),
    domain=Domain(ranges=(((-3.0, 3.0),),), shapes=[(((3, 4),), {"min": -0.5, "max": 1.0}),
                                                   (((5,),), {"min": 0.0})],
                  valid=lambda x, min=None, max=None: bool(np.all(np.abs(x - min) > 1e-3)) and (
                      max is None or bool(np.all(np.abs(x - max) > 1e-3)))),
    kinks=(Kink("x == min or x == max", ((0.0,),), (0.0,), 2,
                "at a bound the one-sided derivatives are 0 and 1: min-norm gives 0 (JAX's "
                "jnp.clip is maximum then minimum, which splits a tie: 1/2)",
                params={"min": 0.0}, pytorch=(1.0,), jax=(0.5,), at=_at_bound),),
    elementwise=True, hints=Hints(saves=(0,))))


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
    if isinstance(c, BatchedTensor):  # inside vmap: the where op batches it
        return c if c.dtype == bool else c != 0
    return c._data if isinstance(c, Tensor) else c


_WHERE = register_op(Op(
    name="where", forward=lambda c, x, y: np.where(c, x, y),
    vjp=(None, lambda g, out, c, x, y: where(c, g, 0.0), lambda g, out, c, x, y: where(c, 0.0, g)),
    jvp=(None, lambda t, out, c, x, y: where(c, t, 0.0), lambda t, out, c, x, y: where(c, 0.0, t)),
    sympy=lambda c, x, y: x if bool(c) else y,
    domain=Domain(ranges=(((False, True),), ((-3.0, 3.0),), ((-3.0, 3.0),)), shapes=[
        (((3, 4), (3, 4), (3, 4)), {}), (((4,), (3, 4), ()), {})]),
    elementwise=True, hints=Hints(saves=(0,))))


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """Pick ``x`` where ``condition`` holds, else ``y``; the condition gets no gradient."""
    c = _cond(condition)
    if isinstance(c, np.ndarray) and c.dtype != bool:
        c = c.astype(bool)
    return apply(_WHERE, c, x, y)


provide("where", where, np.where)  # (partials give it a boolean mask)

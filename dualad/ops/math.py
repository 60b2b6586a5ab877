"""More elementwise math: trigonometric, hyperbolic, logarithms, rounding, softplus, arctan2.

Every op is one registry entry made by :func:`elementwise_unary` (or, for
``arctan2``, one binary entry). Derivatives that depend on where the function
is defined are written from the output, so they are nan exactly where the
output is (DESIGN section 5, rule 5) and tend to the right infinity at the
boundary (rule 4).

>>> import dualad as da
>>> x = da.tensor(0.5, requires_grad=True)
>>> da.log1p(x).backward(); x.grad.tolist() == 1 / 1.5
True
"""

from __future__ import annotations

import builtins
import fractions
import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._sympy import sp
from ..registry import Kink, apply
from ..tensor import Tensor
from ._define import (
    POSITIVE,
    Formula,
    axis_cut,
    branch_cut,
    complex_kink,
    cut_kink,
    elementwise,
    elementwise_unary,
    exp_neg,
    pole_kink,
    quiet,
    real_only,
)

_UNIT = ((-0.9, 0.9),)
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


@functools.cache
@functools.cache
def _step_function(name: str) -> type:
    """SymPy's ``floor`` or ``ceiling`` with the derivative 0 that dualad uses (SymPy leaves
    it unevaluated); made on first use, as SymPy is imported then."""

    def fdiff(self: Any, argindex: int = 1) -> Any:
        return sp.S.Zero

    numeric = {"floor": np.floor, "ceiling": np.ceil}[name]
    return type(f"_{name.capitalize()}", (getattr(sp, name),),
                {"_imp_": staticmethod(numeric), "fdiff": fdiff, "__module__": __name__})


def _flat(m: Any, out: Any, x: Any) -> Any:
    """The derivative of a piecewise-constant function: 0, still connected to ``x``."""
    return 0.0 * x


def _away_from(offset: float) -> Callable[[Any], bool]:
    """``valid`` for a step function: values at least 1e-3 away from ``k + offset``."""

    def valid(x: Any) -> bool:
        shifted = np.asarray(x) - offset
        return bool(np.all(np.abs(shifted - np.round(shifted)) > 1e-3))

    return valid


def _step_kink(where_text: str, point: float) -> tuple:
    """A jump at ``x - point`` integer: nondifferentiable; the derivative's limit 0 (rule 4)."""
    return (Kink(where_text, ((point,),), (0.0,), 4,
                 "a jump of a piecewise-constant function: the derivative 0 of the flat parts "
                 "is its limit", pytorch=(0.0,), jax=(0.0,),
                 at=lambda x: np.asarray(x) - point == np.floor(np.asarray(x) - point)),)


def _boundary_kinks(edge: float, grad_at: float, outside: float, name: str,
                    libraries: Any = np.nan, cut: Any = None, poles: tuple = (),
                    pole_torch: Any = complex(np.inf, np.nan), cut_libraries: Any = None,
                    cut_note: str = "") -> tuple:
    """The kinks of a function defined for real ``x >= edge``: the edge, and the values
    below it; with ``cut`` (its gradients at the declared points), also the branch cut of
    complex inputs below the edge (see ``cut_kink``), and the complex ``poles`` of the
    derivative on it (``pole_kink``; PyTorch gives ``pole_torch`` there).

    ``libraries`` is what PyTorch and JAX return below the edge (their formula
    evaluated there, e.g. ``Formula("1/(1+x)", ...)``, or nan); ``cut_libraries`` their
    (pytorch, jax) values on the cut when they differ from dualad's; ``cut_note`` what
    happens across the cut (default: a logarithm's jump, its derivative continuous).
    """
    kinks = (Kink(f"x == {edge:g}", ((edge,),), (grad_at,), 4,
                  f"the derivative of {name} tends to {grad_at} at the boundary of its domain",
                  pytorch=(grad_at,), jax=(grad_at,), at=real_only(lambda x: x == edge)),
             Kink(f"x < {edge:g}, outside the domain of {name}", ((outside,),), (np.nan,), 5,
                  f"{name} is undefined there (real x)", pytorch=(libraries,),
                  jax=(libraries,), at=real_only(lambda x: x < edge)))
    if cut is None:
        return kinks
    points = np.array([complex(p, s) for p in poles for s in (0.0, -0.0)])
    where = " or ".join(f"z == {p:g}" for p in poles)
    libs = cut_libraries or (None, None)
    return kinks + (
        pole_kink(name, points, where, pytorch=pole_torch),
        cut_kink(name, edge, cut, cut_note or f"{name} jumps by a multiple of 2 pi i across "
                 "the cut; its derivative is continuous", pytorch=libs[0], jax=libs[1],
                 at=lambda x: branch_cut(edge)(x) & ~np.isin(x, points)))


def _one_minus_square(x: Any) -> Any:
    """``1 - x**2`` keeping the sign of a zero imaginary part (the side of a branch cut
    NumPy takes the value from): written ``1.0 - x * x``, NumPy would add the 1 as
    ``1+0j`` and ``0 - (+0)`` is ``+0``; ``(-x) * x - (-1.0)`` negates it exactly, and is
    ``1 - x**2`` (+0 at 1) for real ``x``. ``w - -1.0`` is ``w + 1`` in the same way."""
    return -x * x - -1.0


_CUT_POINTS = {  # on the real axis outside [-1, 1], on the imaginary axis outside [-i, i]
    "real": np.array([complex(2.0, 0.0), complex(-2.0, -0.0), complex(3.0, -0.0),
                      complex(-3.0, 0.0)]),
    "imaginary": np.array([complex(0.0, 2.0), complex(-0.0, -2.0), complex(-0.0, 3.0),
                           complex(0.0, -3.0)]),
}
_R3, _R8 = 1.0 / math.sqrt(3.0), 1.0 / math.sqrt(8.0)


def _unit_cut_kinks(name: str, axis: str, grads: Any, note: str, libraries: Any = None) -> tuple:
    """The kinks of complex inputs of ``name``, whose branch cuts lie on the ``axis`` outside
    ``[-1, 1]`` (``[-i, i]``): the poles of the derivative at the ends (``pole_kink``), and
    the cuts (rule 4, the limit from the side NumPy takes the value from), with ``grads``
    the gradients at ``_CUT_POINTS[axis]``; ``libraries`` PyTorch's and JAX's formula
    there when it differs (they lose the sign of a zero part: one side for both)."""
    poles = np.array([complex(1.0, 0.0), complex(1.0, -0.0), complex(-1.0, 0.0),
                      complex(-1.0, -0.0)])
    if axis == "imaginary":
        poles = np.array([complex(0.0, 1.0), complex(-0.0, 1.0), complex(0.0, -1.0),
                          complex(-0.0, -1.0)])
    text = "1" if axis == "real" else "i"
    part = "Im z == 0 and |Re z| > 1" if axis == "real" else "Re z == 0 and |Im z| > 1"
    return (pole_kink(name, poles, f"z == {text} or z == -{text}",
                      pytorch=complex(np.inf, np.nan) if name in ("arctanh", "arctan")
                      else complex(np.nan, np.nan)),
            complex_kink(f"complex z, {part} (the branch cuts)", _CUT_POINTS[axis], grads,
                         note, at=axis_cut(axis, lambda v: np.abs(v) > 1),
                         pytorch=libraries, jax=libraries))


# PyTorch's and JAX's gradients there, conj(f'(z)) from their formulas for f': 1 - z**2 and
# z**2 + 1 come out with a +0 imaginary part whatever the sign of the input's zero (one side
# of the cut for both)
_TORCH_ASIN = Formula("conj(1/sqrt(1-z**2)), Im(1-z**2) = +0",
                      lambda z: np.conj(1.0 / np.sqrt(1.0 - np.asarray(z) * z)))
_TORCH_ACOS = Formula("conj(-1/sqrt(1-z**2)), Im(1-z**2) = +0",
                      lambda z: np.conj(-1.0 / np.sqrt(1.0 - np.asarray(z) * z)))
_TORCH_ASINH = Formula("conj(1/sqrt(z**2+1)), Im(z**2+1) = +0",
                       lambda z: np.conj(1.0 / np.sqrt(np.asarray(z) * z + 1.0)))


# ------------------------------------------------------------ trigonometric
tan = elementwise_unary("tan", np.tan, lambda m, out, x: 1.0 + out * out, "tan",
                        ranges=((-1.2, 1.2),), uses_output=True)
arcsin = elementwise_unary(
    "arcsin", quiet(np.arcsin), lambda m, out, x: 1.0 / m.sqrt(_one_minus_square(x)), "asin",
    ranges=_UNIT,
    kinks=(Kink("x == 1 or x == -1", ((1.0,), (-1.0,)), (np.inf,), 4,
                "1/sqrt(1 - x**2) tends to +inf", pytorch=(np.inf,), jax=(np.inf,),
                at=real_only(lambda x: (x == 1) | (x == -1))),
           Kink("|x| > 1", ((2.0,),), (np.nan,), 5, "arcsin is undefined for |x| > 1",
                pytorch=(np.nan,), jax=(np.nan,), at=real_only(lambda x: np.abs(x) > 1)),
           *_unit_cut_kinks("arcsin", "real", [-1j * _R3, -1j * _R3, 1j * _R8, 1j * _R8],
                            "1/sqrt(1 - z**2) changes sign across the cut: the side of the "
                            "value", _TORCH_ASIN)))
arccos = elementwise_unary(
    "arccos", quiet(np.arccos), lambda m, out, x: -1.0 / m.sqrt(_one_minus_square(x)), "acos",
    ranges=_UNIT,
    kinks=(Kink("x == 1 or x == -1", ((1.0,), (-1.0,)), (-np.inf,), 4,
                "-1/sqrt(1 - x**2) tends to -inf", pytorch=(-np.inf,), jax=(-np.inf,),
                at=real_only(lambda x: (x == 1) | (x == -1))),
           Kink("|x| > 1", ((2.0,),), (np.nan,), 5, "arccos is undefined for |x| > 1",
                pytorch=(np.nan,), jax=(np.nan,), at=real_only(lambda x: np.abs(x) > 1)),
           *_unit_cut_kinks("arccos", "real", [1j * _R3, 1j * _R3, -1j * _R8, -1j * _R8],
                            "-1/sqrt(1 - z**2) changes sign across the cut: the side of the "
                            "value", _TORCH_ACOS)))
arctan = elementwise_unary(
    "arctan", np.arctan, lambda m, out, x: 1.0 / (1.0 + x * x), "atan",
    kinks=_unit_cut_kinks("arctan", "imaginary", [-1.0 / 3.0, -1.0 / 3.0, -0.125, -0.125],
                          "arctan jumps by pi across the cut; its derivative 1/(1 + z**2) is "
                          "continuous"))

# --------------------------------------------------------------- hyperbolic
sinh = elementwise_unary("sinh", np.sinh, lambda m, out, x: m.cosh(x), "sinh")
cosh = elementwise_unary("cosh", np.cosh, lambda m, out, x: m.sinh(x), "cosh")

# ------------------------------------------------- exponentials and logarithms
expm1 = elementwise_unary("expm1", quiet(np.expm1), lambda m, out, x: out + 1.0,
                          lambda x: sp.exp(x) - 1, uses_output=True)
log1p = elementwise_unary(
    "log1p", quiet(np.log1p), lambda m, out, x: exp_neg(m, out), lambda x: sp.log(1 + x),
    ranges=((-0.9, 3.0),), uses_output=True,
    kinks=_boundary_kinks(-1.0, np.inf, -2.0, "log1p",
                          Formula("1/(1+x)", lambda x: 1.0 / (1.0 + np.asarray(x, float))),
                          cut=[-1.0, -0.25], poles=(-1.0,)))
log2 = elementwise_unary(
    "log2", quiet(np.log2), lambda m, out, x: m.exp(out * -_LN2) / _LN2, lambda x: sp.log(x, 2),
    ranges=POSITIVE, uses_output=True,
    kinks=_boundary_kinks(0.0, np.inf, -1.0, "log2",
                          Formula("1/(x ln 2)", lambda x: 1.0 / (np.asarray(x, float) * _LN2)),
                          cut=[-1.0 / _LN2, -0.25 / _LN2], poles=(0.0,)))
log10 = elementwise_unary(
    "log10", quiet(np.log10), lambda m, out, x: m.exp(out * -_LN10) / _LN10,
    lambda x: sp.log(x, 10), ranges=POSITIVE, uses_output=True,
    kinks=_boundary_kinks(0.0, np.inf, -1.0, "log10",
                          Formula("1/(x ln 10)", lambda x: 1.0 / (np.asarray(x, float) * _LN10)),
                          cut=[-1.0 / _LN10, -0.25 / _LN10], poles=(0.0,)))

arcsinh = elementwise_unary(
    "arcsinh", np.arcsinh, lambda m, out, x: 1.0 / m.sqrt(x * x - -1.0), "asinh",
    kinks=_unit_cut_kinks("arcsinh", "imaginary", [1j * _R3, 1j * _R3, -1j * _R8, -1j * _R8],
                          "1/sqrt(z**2 + 1) changes sign across the cut: the side of the value",
                          _TORCH_ASINH))
arccosh = elementwise_unary(
    "arccosh", quiet(np.arccosh),
    lambda m, out, x: 1.0 / (m.sqrt(x - 1.0) * m.sqrt(x - -1.0)), "acosh",
    ranges=((1.1, 4.0),),
    kinks=_boundary_kinks(
        1.0, np.inf, 0.5, "arccosh",
        # (PyTorch and JAX: 1/sqrt(x**2 - 1), finite below -1)
        Formula("1/sqrt(x**2-1)", lambda x: 1.0 / np.sqrt(np.square(np.asarray(x, float)) - 1)),
        cut=[1j, -_R8], poles=(1.0, -1.0), pole_torch=complex(np.nan, np.nan),
        cut_libraries=(
            Formula("conj(1/(sqrt(z-1) sqrt(z+1))), Im z = +0", lambda z: np.conj(
                1.0 / (np.sqrt(np.asarray(z) + 0.0 - 1.0) * np.sqrt(z + 0.0 + 1.0)))),
            Formula("conj(1/sqrt((z-1)(z+1)))",
                    lambda z: np.conj(1.0 / np.sqrt((np.asarray(z) - 1.0) * (z + 1.0))))),
        cut_note="1/(sqrt(z-1) sqrt(z+1)) changes sign across the cut between -1 and 1, and is "
                 "continuous across it below -1: the side of the value"))
_ATANH_FORMULA = Formula("1/(1-x**2)", lambda x: 1.0 / (1.0 - np.square(np.asarray(x, float))))
arctanh = elementwise_unary(
    "arctanh", quiet(np.arctanh), lambda m, out, x: m.square(m.cosh(out)), "atanh", ranges=_UNIT,
    uses_output=True,
    kinks=(Kink("x == 1 or x == -1", ((1.0,), (-1.0,)), (np.inf,), 4,
                "1/(1 - x**2) tends to +inf", pytorch=(np.inf,), jax=(np.inf,),
                at=real_only(lambda x: (x == 1) | (x == -1))),
           Kink("|x| > 1", ((2.0,),), (np.nan,), 5, "arctanh is undefined for |x| > 1",
                pytorch=(_ATANH_FORMULA,), jax=(_ATANH_FORMULA,),
                at=real_only(lambda x: np.abs(x) > 1)),
           *_unit_cut_kinks("arctanh", "real", [-1.0 / 3.0, -1.0 / 3.0, -0.125, -0.125],
                            "arctanh jumps by pi i across the cut; its derivative 1/(1 - z**2) "
                            "is continuous")))
exp2 = elementwise_unary("exp2", quiet(np.exp2), lambda m, out, x: out * _LN2, lambda x: 2 ** x,
                         uses_output=True)

# ------------------------------------------------------------------- powers
square = elementwise_unary("square", np.square, lambda m, out, x: 2.0 * x, lambda x: x ** 2)
def _reciprocal(x: Any) -> Any:
    """``1 / x``, true division (NumPy's ``reciprocal`` of an integer is integral: 1/2 -> 0)."""
    return np.true_divide(1, x)


reciprocal = elementwise_unary(
    "reciprocal", quiet(_reciprocal), lambda m, out, x: -(out * out), lambda x: 1 / x,
    ranges=((-3.0, -0.3), (0.3, 3.0)), uses_output=True,
    kinks=(Kink("x == 0", ((0.0,),), (-np.inf,), 4,
                "1/x is +inf at +0 in IEEE arithmetic; -1/x**2 tends to -inf from both sides",
                pytorch=(-np.inf,), jax=(-np.inf,), at=lambda x: x == 0),))

# --------------------------------------------------------------- rounding
floor = elementwise_unary("floor", np.floor, _flat, lambda x: _step_function("floor")(x),
                          valid=_away_from(0.0), kinks=_step_kink("x is an integer", 1.0))
ceil = elementwise_unary("ceil", np.ceil, _flat, lambda x: _step_function("ceiling")(x),
                         valid=_away_from(0.0), kinks=_step_kink("x is an integer", 1.0))


@functools.cache
def _round_function() -> type:
    """A SymPy function rounding half to even, as NumPy does (exactly, at ties too), with
    dualad's derivative 0; it stays unevaluated on symbols, so it costs nothing to build."""

    def eval(cls: type, arg: Any) -> Any:  # noqa: A001  (SymPy's name)
        if arg.is_Number and arg.is_finite:
            return sp.Integer(builtins.round(fractions.Fraction(str(sp.Rational(arg)))))
        return None

    def fdiff(self: Any, argindex: int = 1) -> Any:
        return sp.S.Zero

    return type("_RoundHalfEven", (sp.Function,), {
        "eval": classmethod(eval), "fdiff": fdiff, "_imp_": staticmethod(np.round),
        "is_integer": True, "__module__": __name__})


def _sym_round(x: Any) -> Any:
    """Round half to even, as NumPy (SymPy's own ``round`` works on numbers only)."""
    return _round_function()(x)


_round_op = elementwise_unary(
    "round", np.round, _flat, _sym_round,
    valid=_away_from(0.5),
    kinks=_step_kink("x is halfway between integers (rounds half to even)", 0.5))


def round(x: Any, decimals: int = 0) -> Tensor:  # noqa: A001  (PyTorch's and NumPy's name)
    """Round half to even, to ``decimals`` places; the derivative is 0.

    >>> import dualad as da
    >>> da.round(da.tensor([0.5, 1.5, 2.26]), decimals=0)
    tensor([0., 2., 2.])
    """
    if decimals == 0:
        return _round_op(x)
    scale = 10.0 ** decimals
    return _round_op(x * scale) / scale


around = round

# ------------------------------------------------------------- activations
softplus = elementwise_unary(
    "softplus", lambda x: np.logaddexp(0.0, x), lambda m, out, x: m.sigmoid(x),
    lambda x: sp.log(1 + sp.exp(x)), ranges=((-6.0, 6.0),),
    doc="log(1 + exp(x)), computed without overflow; the derivative is sigmoid(x).")
logsigmoid = elementwise_unary(
    "logsigmoid", lambda x: -np.logaddexp(0.0, -x), lambda m, out, x: m.sigmoid(m.neg(x)),
    lambda x: -sp.log(1 + sp.exp(-x)), ranges=((-6.0, 6.0),),
    doc="log(sigmoid(x)), computed without overflow; the derivative is sigmoid(-x).")


# ------------------------------------------------------------------ arctan2
def _off_origin_and_cut(y: Any, x: Any) -> bool:
    y, x = np.broadcast_arrays(np.asarray(y), np.asarray(x))
    on_cut = (np.abs(y) < 0.05) & (x < 0)
    return bool(np.all(x * x + y * y > 0.01) and not np.any(on_cut))


_PAIR = (((-3.0, 3.0),), ((-3.0, 3.0),))
_ARCTAN2 = elementwise(
    "arctan2", quiet(np.arctan2), (lambda m, out, y, x: m.div(x, x * x + y * y),
                                   lambda m, out, y, x: m.div(m.neg(y), x * x + y * y)),
    "atan2", _PAIR, valid=_off_origin_and_cut, node_name="Atan2Backward0",
    kinks=(Kink("y == 0 and x == 0", ((0.0, 0.0),), (np.nan, np.nan), 5,
                "the angle of the origin is undefined; both partials are 0/0",
                pytorch=(0.0, 0.0), jax=(np.nan, np.nan),
                at=lambda y, x: (y == 0) & (x == 0)),
           Kink("y == 0 and x < 0 (the branch cut)", ((0.0, -2.0),), (-0.5, 0.0), 4,
                "the jump from pi to -pi is ignored: the partials' limits agree on both sides",
                pytorch=(-0.5, 0.0), jax=(-0.5, 0.0), at=lambda y, x: (y == 0) & (x < 0))))


def arctan2(y: Any, x: Any) -> Tensor:
    """The angle of the point ``(x, y)``, elementwise with broadcasting (``atan2``).

    >>> import dualad as da
    >>> da.arctan2(da.tensor(1.0), da.tensor(-1.0)).item()  # 3 pi / 4
    2.356194490192345
    """
    return apply(_ARCTAN2, y, x)


atan2 = arctan2
asin, acos, atan = arcsin, arccos, arctan
asinh, acosh, atanh = arcsinh, arccosh, arctanh


_LOGADDEXP = elementwise("logaddexp", np.logaddexp, (lambda m, out, x, y: m.sigmoid(x - y),
                                                     lambda m, out, x, y: m.sigmoid(y - x)),
                         lambda x, y: sp.log(sp.exp(x) + sp.exp(y)), _PAIR)


def _hypot_partial(m: Any, out: Any, a: Any) -> Any:
    zero = (out._data if isinstance(out, Tensor) else np.asarray(out)) == 0
    return m.where(zero, 0.0, a / m.where(zero, 1.0, out))


_HYPOT = elementwise(
    "hypot", np.hypot, (lambda m, out, x, y: _hypot_partial(m, out, x),
                        lambda m, out, x, y: _hypot_partial(m, out, y)),
    lambda x, y: sp.sqrt(x ** 2 + y ** 2), _PAIR, uses_output=True,
    valid=lambda x, y: bool(np.all(np.hypot(x, y) > 0.1)),
    kinks=(Kink("x == 0 and y == 0", ((0.0, 0.0),), (0.0, 0.0), 2,
                "hypot is the Euclidean norm of (x, y): convex with minimum 0 there, so the "
                "minimum-norm subgradient is 0", pytorch=(np.nan, np.nan), jax=(np.nan, np.nan),
                at=lambda x, y: (x == 0) & (y == 0)),))


def logaddexp(x: Any, y: Any) -> Tensor:
    """``log(exp(x) + exp(y))`` elementwise, without overflow."""
    return apply(_LOGADDEXP, x, y)


def hypot(x: Any, y: Any) -> Tensor:
    """``sqrt(x**2 + y**2)`` elementwise, without overflow; the gradient at (0, 0) is 0."""
    return apply(_HYPOT, x, y)

__all__ = [
    "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "expm1", "log1p", "log2", "log10",
    "square", "reciprocal", "floor", "ceil", "round", "around", "softplus", "logsigmoid",
    "arctan2", "atan2", "asin", "acos", "atan", "arcsinh", "arccosh", "arctanh", "asinh",
    "acosh", "atanh", "exp2", "logaddexp", "hypot",
]

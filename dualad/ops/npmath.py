"""NumPy's further elementwise math (issue 20): cbrt, copysign, fmax/fmin, remainder, fmod,
floor_divide, heaviside, logaddexp2, sinc, deg2rad/rad2deg, and the composites
float_power and nan_to_num.

Each op is declared by its partial derivatives (:func:`elementwise`); where it is not
differentiable the kink and its convention are declared (DESIGN section 5).

>>> import dualad as da
>>> x = da.tensor(8.0, requires_grad=True)
>>> da.cbrt(x).backward(); x.grad.item() == 1 / 12
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._sympy import sp, sympy_function
from ..registry import Domain, Kink, Op, apply, call, register_op
from ..tensor import Tensor, ndim_of
from ._define import Formula, elementwise, elementwise_unary, normalize_axis, quiet
from .elementwise import _extremum, pow, sqrt, where
from .linalg import matmul
from .math import _step_function
from .reductions import amax, amin, mean, prod
from .reductions import sum as _sum
from .shape import astype, broadcast_to, concatenate, getitem, ravel, reshape, swapaxes

_LN2 = math.log(2.0)
_AWAY_FROM_ZERO = ((-3.0, -0.1), (0.1, 3.0))
_REALS = ((-3.0, 3.0),)


def _raw(v: Any) -> Any:
    return v._data if isinstance(v, Tensor) else np.asarray(v)


def _zero_x(m: Any, out: Any, x: Any, y: Any) -> Any:
    """A zero partial, still connected to ``x`` (piecewise-constant in x)."""
    return 0.0 * x


def _one_x(m: Any, out: Any, x: Any, y: Any) -> Any:
    """The partial 1, as a rule (not a constant) so that the kink policy sees it."""
    return 0.0 * x + 1.0


def _zero_y(m: Any, out: Any, x: Any, y: Any) -> Any:
    """A zero partial, still connected to ``y``."""
    return 0.0 * y


# ------------------------------------------------------------------- cbrt
def _sym_cbrt(x: Any) -> Any:
    """The real cube root (SymPy's ``cbrt`` is the principal, complex, root for x < 0)."""
    return sp.sign(x) * sp.Abs(x) ** sp.Rational(1, 3)


cbrt = elementwise_unary(
    "cbrt", np.cbrt, lambda m, out, x: m.reciprocal(3.0 * out * out), _sym_cbrt,
    ranges=_AWAY_FROM_ZERO, uses_output=True,
    kinks=(Kink("x == 0", ((0.0,),), (np.inf,), 4,
                "1/(3 x**(2/3)) tends to +inf from both sides", pytorch=(np.inf,),
                jax=(np.inf,), at=lambda x: x == 0),),
    doc="The real cube root; the derivative 1/(3 cbrt(x)**2) is +inf at 0.")

# ------------------------------------------------------------- conversions
deg2rad = elementwise_unary("deg2rad", np.deg2rad, math.pi / 180.0,
                            lambda x: x * sp.pi / 180, doc="Degrees to radians.")
rad2deg = elementwise_unary("rad2deg", np.rad2deg, 180.0 / math.pi,
                            lambda x: x * 180 / sp.pi, doc="Radians to degrees.")
radians, degrees = deg2rad, rad2deg

# ---------------------------------------------------------------- copysign
_SIGN_AGREEMENT = Formula("1 if y >= +0 else -1",
                          lambda x, y: np.where(np.signbit(y), -1.0, 1.0))
_COPYSIGN = elementwise(
    "copysign", np.copysign,
    (lambda m, out, x, y: m.sign(x) * m.sign(out), _zero_y),
    lambda x, y: sp.Abs(x) * sp.sign(y), (_REALS, (_AWAY_FROM_ZERO)), uses_output=True,
    valid=lambda x, y: bool(np.all(np.abs(x) > 1e-3)),
    kinks=(Kink("x == 0", ((0.0, 1.0), (0.0, -1.0)), (0.0, 0.0), 2,
                "|x| (y > 0, convex) or -|x| (y < 0, concave): the min-norm sub- or "
                "supergradient is 0; d/dy is 0", pytorch=(0.0, 0.0),
                jax=(_SIGN_AGREEMENT, 0.0), at=lambda x, y: x == 0),
           Kink("y == 0, x != 0 (the sign jumps)", ((1.0, 0.0),), (None, 0.0), 4,
                "a jump in y: the derivative 0 of the flat parts is its limit",
                pytorch=(None, 0.0), jax=(None, 0.0),
                at=lambda x, y: (y == 0) & (x != 0))))


def copysign(x: Any, y: Any) -> Tensor:
    """``|x|`` with the sign of ``y`` (its sign bit: -0.0 counts as negative); d/dy is 0."""
    return apply(_COPYSIGN, x, y)


# -------------------------------------------------------------- fmax, fmin
def _nan_ignoring(pick: Any) -> Any:
    """``x`` wins where ``pick(x, y)`` or where only ``y`` is nan (NumPy's fmax/fmin)."""

    def wins(x: Any, y: Any) -> Any:
        return pick(x, y) | (np.isnan(y) & ~np.isnan(x))

    return wins


# (PyTorch and JAX give a tie wholly to x)
_FMAX = _extremum("fmax", np.fmax, _nan_ignoring(np.greater), sympy_function("Max"), (1.0, 0.0))
_FMIN = _extremum("fmin", np.fmin, _nan_ignoring(np.less), sympy_function("Min"), (1.0, 0.0))


def fmax(x: Any, y: Any) -> Tensor:
    """Elementwise maximum ignoring nan (the other value wins); ties as :func:`maximum`."""
    return apply(_FMAX, x, y)


def fmin(x: Any, y: Any) -> Tensor:
    """Elementwise minimum ignoring nan (the other value wins); ties as :func:`minimum`."""
    return apply(_FMIN, x, y)


# --------------------------------------------------------------- heaviside
_HEAVISIDE = elementwise(
    "heaviside", np.heaviside,
    (_zero_x, lambda m, out, x, y: m.where(_raw(x) == 0, 1.0, 0.0 * y)),
    # (SymPy's Heaviside(x, h) cannot be differentiated in h)
    lambda x, h: sp.Piecewise((0, x < 0), (h, sp.Eq(x, 0)), (1, True)),
    (_AWAY_FROM_ZERO, _REALS),
    kinks=(Kink("x == 0", ((0.0, 0.5),), (0.0, 1.0), 4,
                "a jump in x: the derivative 0 of the flat parts is its limit; the value there "
                "is h, so d/dh is 1 (PyTorch cannot differentiate heaviside: an error; its "
                "profile uses these values)", pytorch=(0.0, 1.0), jax=(0.0, 1.0),
                at=lambda x, h: x == 0),))


def heaviside(x: Any, h: Any) -> Tensor:
    """The step function: 0 for x < 0, ``h`` at 0, 1 for x > 0; d/dx is 0."""
    return apply(_HEAVISIDE, x, h)


# ------------------------------------------ remainder, fmod, floor_divide
_DIVISOR = ((-3.0, -0.5), (0.5, 3.0))


def _off_jumps(x: Any, y: Any) -> bool:
    """``valid``: x / y at least 1e-3 away from an integer (the jumps)."""
    q = np.asarray(x) / np.asarray(y)
    return bool(np.all(np.abs(q - np.round(q)) > 1e-3))


def _at_jump(x: Any, y: Any) -> Any:
    x, y = np.asarray(x), np.asarray(y)
    with np.errstate(all="ignore"):
        return (y != 0) & (np.fmod(x, y) == 0)


def _trunc(m: Any, q: Any) -> Any:
    """``trunc(q)`` from ops with zero derivatives (no trunc op)."""
    return m.sign(q) * m.floor(m.abs(q))


def _sym_floor(q: Any) -> Any:
    return _step_function("floor")(q)


def _sym_trunc(q: Any) -> Any:
    """Rounding toward zero, with dualad's derivative 0 (SymPy has no ``trunc``)."""
    return sp.Piecewise((_sym_floor(q), q >= 0), (_step_function("ceiling")(q), True))


def _jump_kink(name: str, grads: tuple, note: str = "") -> tuple:
    return (Kink("x / y is an integer (a jump)", ((2.0, 1.0),), grads, 4,
                 f"{name} jumps there: the derivatives' limits from the side the value is "
                 f"taken from{note}", pytorch=grads, jax=grads, at=_at_jump),)


def _undefined_at_zero_divisor(partial: Any) -> Any:
    """``partial`` where ``y != 0``, nan where ``y == 0`` (there ``x mod y`` is nan: rule 5)."""

    def d(m: Any, out: Any, x: Any, y: Any) -> Any:
        return m.where(_raw(y) == 0, np.nan, partial(m, out, x, y))

    return d


def _zero_divisor_kink(name: str, library: Formula) -> Kink:
    return Kink("y == 0 (undefined)", ((1.0, 0.0),), (np.nan, np.nan), 5,
                f"{name} is nan for a zero divisor", pytorch=(1.0, library),
                jax=(1.0, library), at=lambda x, y: np.asarray(y) == 0)


_REMAINDER = elementwise(
    "remainder", quiet(np.remainder),
    (_undefined_at_zero_divisor(_one_x),
     _undefined_at_zero_divisor(lambda m, out, x, y: -m.floor(x / y))),
    lambda x, y: x - y * _sym_floor(x / y), (_REALS, _DIVISOR), valid=_off_jumps,
    kinks=_jump_kink("x mod y", (1.0, -2.0)) + (_zero_divisor_kink("x mod y", Formula(
        "-floor(x/y)", quiet(lambda x, y: -np.floor(np.divide(x, y))))),))
_FMOD = elementwise(
    "fmod", quiet(np.fmod),
    (_undefined_at_zero_divisor(_one_x),
     _undefined_at_zero_divisor(lambda m, out, x, y: -_trunc(m, x / y))),
    lambda x, y: x - y * _sym_trunc(x / y), (_REALS, _DIVISOR),
    valid=_off_jumps, kinks=_jump_kink("fmod", (1.0, -2.0)) + (_zero_divisor_kink(
        "fmod(x, y)", Formula("-trunc(x/y)", quiet(lambda x, y: -np.trunc(np.divide(x, y))))),))
_FLOOR_DIVIDE = elementwise(
    "floor_divide", quiet(np.floor_divide), (_zero_x, _zero_y),
    lambda x, y: _sym_floor(x / y), (_REALS, _DIVISOR), valid=_off_jumps,
    kinks=_jump_kink("floor(x / y)", (0.0, 0.0), " (PyTorch cannot differentiate "
                     "floor_divide: an error; its profile uses these values)"))


def remainder(x: Any, y: Any) -> Tensor:
    """``x mod y`` with the sign of ``y`` (NumPy's ``%``); d/dx 1, d/dy -floor(x/y)."""
    return apply(_REMAINDER, x, y)


def fmod(x: Any, y: Any) -> Tensor:
    """C's ``fmod``: the remainder with the sign of ``x``; d/dx 1, d/dy -trunc(x/y)."""
    return apply(_FMOD, x, y)


def floor_divide(x: Any, y: Any) -> Tensor:
    """``floor(x / y)`` (NumPy's ``//``); integer-valued, so the derivative is 0."""
    return apply(_FLOOR_DIVIDE, x, y)


mod = remainder

# ------------------------------------------------------------- logaddexp2
_LOGADDEXP2 = elementwise(
    "logaddexp2", np.logaddexp2,
    (lambda m, out, x, y: m.sigmoid((x - y) * _LN2),
     lambda m, out, x, y: m.sigmoid((y - x) * _LN2)),
    lambda x, y: sp.log(2 ** x + 2 ** y, 2), (_REALS, _REALS))


def logaddexp2(x: Any, y: Any) -> Tensor:
    """``log2(2**x + 2**y)`` elementwise, without overflow."""
    return apply(_LOGADDEXP2, x, y)


# ------------------------------------------------------------------- sinc
# d sinc / dx = sum over k >= 1 of (-1)**k 2k pi**(2k) x**(2k-1) / (2k+1)!, used where
# |pi x| < 1/2 (8 terms: exact in float64 there), so it is smooth through 0 at every order
_SINC_SERIES = tuple((-1) ** k * 2 * k * math.pi ** (2 * k) / math.factorial(2 * k + 1)
                     for k in range(1, 9))


def _sinc_derivative(m: Any, out: Any, x: Any) -> Any:
    """(cos(pi x) - sinc(x)) / x, by its Taylor series near 0 (no 0/0; 0 at 0)."""
    small = np.abs(_raw(x)) < 0.5 / math.pi
    x2 = x * x
    series = _SINC_SERIES[-1]
    for c in reversed(_SINC_SERIES[:-1]):
        series = series * x2 + c
    direct = (m.cos(math.pi * x) - m.sinc(x)) / m.where(small, 1.0, x)
    return m.where(small, series * x, direct)


sinc = elementwise_unary(
    "sinc", np.sinc, _sinc_derivative, lambda x: sp.sin(sp.pi * x) / (sp.pi * x),
    ranges=_AWAY_FROM_ZERO,
    kinks=(Kink("x == 0 (a removable singularity)", ((0.0,),), (0.0,), 1,
                "sin(pi x)/(pi x) is smooth with derivative 0 at 0; near 0 the derivative is "
                "its Taylor series (no 0/0), so higher derivatives are right there too",
                pytorch=(0.0,), jax=(0.0,)),),
    doc="sin(pi x) / (pi x), 1 at 0 (NumPy's normalized sinc).")


# ------------------------------------------------------------- composites
def _as_float64(v: Any) -> Any:
    if isinstance(v, Tensor):
        return v if v.dtype == np.float64 else astype(v, np.float64)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    return np.asarray(v, dtype=np.float64)


def float_power(x: Any, y: Any) -> Tensor:
    """``x ** y`` computed in float64 (NumPy's ``float_power``); derivatives as :func:`pow`.

    >>> import dualad as da
    >>> da.float_power(da.tensor([2, 4]), -1).tolist()
    [0.5, 0.25]
    """
    return pow(_as_float64(x), _as_float64(y))


def nan_to_num(x: Any, copy: bool = True, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """nan and infinities replaced by numbers (NumPy's defaults); the derivative is 1 where
    ``x`` is finite and 0 where a value was replaced.

    >>> import dualad as da
    >>> da.nan_to_num(da.tensor([1.0, float("nan"), float("inf")]), posinf=9.0).tolist()
    [1.0, 0.0, 9.0]
    """
    raw = _raw(x)
    if raw.dtype.kind not in "fc":
        return x if isinstance(x, Tensor) else Tensor(np.array(raw))
    replaced = np.nan_to_num(raw, nan=nan, posinf=posinf, neginf=neginf)
    return where(np.isfinite(raw), x, replaced)


# ---------------------------------------------------------------- cumprod
def _partial_products(x: Any, axis: int) -> Tensor:
    """``M[..., i, k]`` = d cumprod(x)[k] / d x[i] along ``axis`` (moved last): the product
    of x[:k+1] without x[i] for k >= i, else 0. Built with no division, so it is right
    where elements are 0, from dualad ops (cumprod itself): it differentiates again.
    O(n**2) memory along the axis."""
    xs = swapaxes(x, axis, -1)
    n = xs.shape[-1]
    rows = broadcast_to(reshape(xs, xs.shape[:-1] + (1, n)), xs.shape[:-1] + (n, n))
    without_i = where(np.eye(n, dtype=bool), 1.0, rows)
    running = apply(_CUMPROD, without_i, axis=len(xs.shape))
    return where(np.triu(np.ones((n, n), dtype=bool)), running, 0.0)


def _cumprod_vjp(g: Any, out: Any, x: Any, axis: int) -> Tensor:
    gs = swapaxes(g, axis, -1)
    m = _partial_products(x, axis)
    if np.iscomplexobj(_raw(m)):  # holomorphic: the cotangent meets the conjugate Jacobian
        m = call("conj", m)
    return swapaxes(_sum(m * reshape(gs, gs.shape[:-1] + (1, gs.shape[-1])), axis=-1), axis, -1)


def _cumprod_jvp(t: Any, out: Any, x: Any, axis: int) -> Tensor:
    ts = swapaxes(t, axis, -1)
    m = _partial_products(x, axis)
    return swapaxes(_sum(m * reshape(ts, ts.shape + (1,)), axis=-2), axis, -1)


_CUMPROD: Op = register_op(Op(
    name="cumprod", forward=lambda x, axis: np.cumprod(x, axis=axis),
    vjp=(_cumprod_vjp,), jvp=(_cumprod_jvp,),
    sympy=lambda x, axis: np.cumprod(np.asarray(x, dtype=object), axis=axis),
    domain=Domain(ranges=(((-2.0, 2.0),),), shapes=[(((5,),), {"axis": 0}),
                                                   (((3, 4),), {"axis": 1}),
                                                   (((2, 3, 2),), {"axis": 1})])))


def cumprod(x: Any, dim: Any = None, *, axis: Any = None, dtype: Any = None) -> Tensor:
    """Running product along ``dim``/``axis`` (NumPy flattens first when no axis is given);
    the derivative is right where elements are 0.

    >>> import dualad as da
    >>> x = da.tensor([2.0, 0.0, 3.0], requires_grad=True)
    >>> da.cumprod(x, 0).sum().backward(); x.grad.tolist()
    [1.0, 8.0, 0.0]
    """
    ax, _ = normalize_axis(dim, axis)
    if ax is None:
        x, ax = ravel(x), 0
    out = apply(_CUMPROD, x, axis=int(ax) % max(ndim_of(x), 1))
    return out if dtype is None else astype(out, dtype)


# ------------------------------------------------------ diff, ediff1d, ptp
def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Tensor:
    """The ``n``-th forward difference along ``axis`` (NumPy's ``diff``): slices and ``-``.

    >>> import dualad as da
    >>> da.diff(da.tensor([1.0, 4.0, 9.0, 16.0]), n=2).tolist()
    [2.0, 2.0]
    """
    if n < 0:
        raise ValueError(f"diff: order n={n} must be non-negative")
    nd = ndim_of(a)
    if nd == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = axis % nd
    parts = [_along(v, a, axis) for v in (prepend, a, append) if v is not None]
    out = concatenate(parts, axis=axis) if len(parts) > 1 else a
    before = (slice(None),) * axis
    for _ in range(n):
        out = getitem(out, before + (slice(1, None),)) - getitem(out, before + (slice(None, -1),))
    return out if isinstance(out, Tensor) else Tensor(np.asarray(out))


def _along(v: Any, a: Any, axis: int) -> Any:
    """``prepend``/``append`` of :func:`diff`: a scalar is broadcast to a slab along ``axis``."""
    if ndim_of(v) == 0:
        shape = list(a.shape if isinstance(a, Tensor) else np.shape(a))
        shape[axis] = 1
        return broadcast_to(v, tuple(shape)) if isinstance(v, Tensor) else \
            np.broadcast_to(v, shape)
    return v


def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> Tensor:
    """Differences of the flattened ``ary``, with optional values before and after.

    >>> import dualad as da
    >>> da.ediff1d(da.tensor([[1.0, 2.0], [4.0, 7.0]]), to_begin=0.0).tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    flat = ravel(ary)
    out = getitem(flat, slice(1, None)) - getitem(flat, slice(None, -1))
    parts = [ravel(v) if isinstance(v, Tensor) else np.ravel(np.asarray(v, dtype=float))
             for v in (to_begin,) if v is not None] + [out] + \
        [ravel(v) if isinstance(v, Tensor) else np.ravel(np.asarray(v, dtype=float))
         for v in (to_end,) if v is not None]
    return concatenate(parts, axis=0) if len(parts) > 1 else out


def ptp(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Peak to peak, ``max - min`` (ties share the gradient as in ``amax``/``amin``).

    >>> import dualad as da
    >>> da.ptp(da.tensor([[1.0, 5.0], [2.0, 3.0]]), axis=1).tolist()
    [4.0, 1.0]
    """
    return amax(a, axis=axis, keepdims=keepdims) - amin(a, axis=axis, keepdims=keepdims)


# ------------------------------------------------------ nan-ignoring reductions
def _nan_mask(a: Any) -> np.ndarray:
    return np.isnan(_raw(a))


def nansum(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum treating nan as 0; nan elements get derivative 0.

    >>> import dualad as da
    >>> da.nansum(da.tensor([1.0, float("nan"), 2.0])).item()
    3.0
    """
    return _sum(where(_nan_mask(a), 0.0, a), axis=axis, keepdims=keepdims)


def nanprod(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Product treating nan as 1; nan elements get derivative 0."""
    return prod(where(_nan_mask(a), 1.0, a), axis=axis, keepdims=keepdims)


def nanmean(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean of the elements that are not nan (nan for an all-nan slice, as NumPy)."""
    count = np.sum(~_nan_mask(a), axis=axis, keepdims=keepdims)
    with np.errstate(all="ignore"):
        return nansum(a, axis=axis, keepdims=keepdims) / count.astype(np.float64)


def _nan_extremum(pick: Any, side: float) -> Any:
    """``pick`` (amax, amin) ignoring nan. Over the whole array, of the numbers alone; along
    an axis, with nan replaced by the next float beyond every other element (``side`` -1:
    below, 1: above), so that a replaced nan never ties with a number and takes no share of
    the gradient (``x + side`` does not move a large ``x``). Only where a slice's numbers
    are all infinite on that side (nanmax of [-inf, nan] along an axis) is there no float
    beyond them: the nan then shares the tie, as in ``amax``."""

    def reduce(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
        mask = _nan_mask(a)
        others = _raw(a)[~mask]
        if axis is None and not keepdims and others.size and mask.any():
            return pick(a[~mask])
        extreme = others.max() if side > 0 else others.min()
        fill = np.nextafter(extreme, side * np.inf) if others.size else 0.0
        out = pick(where(mask, fill, a), axis=axis, keepdims=keepdims)
        return where(np.all(mask, axis=axis, keepdims=keepdims), np.nan, out)

    return reduce


nanmax = _nan_extremum(amax, -1.0)
nanmax.__name__ = nanmax.__qualname__ = "nanmax"
nanmax.__doc__ = """Maximum ignoring nan (nan for an all-nan slice); ties as ``amax``."""
nanmin = _nan_extremum(amin, 1.0)
nanmin.__name__ = nanmin.__qualname__ = "nanmin"
nanmin.__doc__ = """Minimum ignoring nan (nan for an all-nan slice); ties as ``amin``."""


def nanvar(a: Any, axis: Any = None, ddof: float = 0, keepdims: bool = False) -> Tensor:
    """Variance of the elements that are not nan (NumPy's ``ddof``, default 0)."""
    mask = _nan_mask(a)
    dev = where(mask, 0.0, a - nanmean(a, axis=axis, keepdims=True))
    count = np.sum(~mask, axis=axis, keepdims=keepdims) - ddof
    with np.errstate(all="ignore"):
        return _sum(dev * dev, axis=axis, keepdims=keepdims) / \
            np.where(count > 0, count, np.nan).astype(np.float64)


def nanstd(a: Any, axis: Any = None, ddof: float = 0, keepdims: bool = False) -> Tensor:
    """Standard deviation of the elements that are not nan."""
    return sqrt(nanvar(a, axis=axis, ddof=ddof, keepdims=keepdims))


# ------------------------------------------------------- average, trapezoid
def _along_axis(w: Any, nd: int, axis: int) -> Any:
    """A 1-d ``w`` shaped to broadcast along ``axis`` of an ``nd``-d array."""
    shape = [1] * nd
    shape[axis] = -1
    return reshape(w, tuple(shape)) if isinstance(w, Tensor) else np.reshape(w, shape)


def average(a: Any, axis: Any = None, weights: Any = None, returned: bool = False,
            keepdims: bool = False) -> Any:
    """Weighted mean (NumPy's ``average``); differentiable in ``a`` and in ``weights``.

    >>> import dualad as da
    >>> da.average(da.tensor([1.0, 2.0, 4.0]), weights=da.tensor([1.0, 1.0, 2.0])).item()
    2.75
    """
    nd = ndim_of(a)
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        scl = np.broadcast_to(np.float64(np.size(_raw(a)) / max(np.size(_raw(avg)), 1)),
                              avg.shape)
        return (avg, Tensor(np.array(scl))) if returned else avg
    if ndim_of(weights) == 1 and nd > 1:
        if not isinstance(axis, (int, np.integer)):
            raise TypeError("average: axis must be an int when weights are 1-d and a is not")
        weights = _along_axis(weights, nd, int(axis) % nd)
    w = weights if isinstance(weights, Tensor) else np.asarray(weights, dtype=np.float64)
    total = _sum(w * (a * 0.0 + 1.0), axis=axis, keepdims=keepdims)  # weights broadcast to a
    avg = _sum(a * w, axis=axis, keepdims=keepdims) / total
    return (avg, total) if returned else avg


def trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> Tensor:
    """The trapezoidal rule along ``axis``, with sample points ``x`` or spacing ``dx``.

    >>> import dualad as da
    >>> da.trapezoid(da.tensor([1.0, 2.0, 3.0]), dx=0.5).item()
    2.0
    """
    nd = ndim_of(y)
    axis = axis % nd
    before = (slice(None),) * axis
    if x is None:
        d: Any = dx
    else:
        d = diff(x, axis=-1 if ndim_of(x) == 1 else axis)
        if ndim_of(x) == 1 and nd > 1:
            d = _along_axis(d, nd, axis)
    pairs = getitem(y, before + (slice(1, None),)) + getitem(y, before + (slice(None, -1),))
    return _sum(d * pairs * 0.5, axis=axis)


def polyval(p: Any, x: Any) -> Tensor:
    """The polynomial with coefficients ``p`` (highest power first) at ``x``, by Horner's rule;
    differentiable in both.

    >>> import dualad as da
    >>> da.polyval(da.tensor([1.0, 0.0, -2.0]), da.tensor(3.0)).item()
    7.0
    """
    coefficients = [getitem(p, i) for i in range(p.shape[0])] if isinstance(p, Tensor) \
        else list(np.asarray(p, dtype=np.float64))
    y = coefficients[0] * (x * 0.0 + 1.0)
    for c in coefficients[1:]:
        y = y * x + c
    return y if isinstance(y, Tensor) else Tensor(np.asarray(y))


def gradient(f: Any, *varargs: float, axis: Any = None, edge_order: int = 1) -> Any:
    """NumPy's ``gradient`` with uniform spacings (one number, or one per axis) and
    ``edge_order=1``: central differences inside, one-sided at the edges.

    >>> import dualad as da
    >>> da.gradient(da.tensor([1.0, 4.0, 9.0, 16.0])).tolist()
    [3.0, 4.0, 6.0, 7.0]
    """
    nd = ndim_of(f)
    axes = tuple(range(nd)) if axis is None else \
        tuple(int(a) % nd for a in ((axis,) if isinstance(axis, (int, np.integer)) else axis))
    if edge_order != 1 or any(np.ndim(h) != 0 for h in varargs) or \
            len(varargs) not in (0, 1, len(axes)):
        raise TypeError("gradient on a dualad Tensor supports uniform spacings (numbers) and "
                        "edge_order=1 only")
    steps = [float(varargs[0] if len(varargs) == 1 else varargs[i] if varargs else 1.0)
             for i in range(len(axes))]
    out = [_gradient_along(f, a, h) for a, h in zip(axes, steps)]
    return out[0] if len(out) == 1 else out


def _gradient_along(f: Any, axis: int, h: float) -> Tensor:
    before = (slice(None),) * axis

    def part(s: slice) -> Tensor:
        return getitem(f, before + (s,))

    if f.shape[axis] < 2:
        raise ValueError("gradient: each differentiated axis needs at least 2 elements")
    first = (part(slice(1, 2)) - part(slice(0, 1))) / h
    last = (part(slice(-1, None)) - part(slice(-2, -1))) / h
    inner = (part(slice(2, None)) - part(slice(None, -2))) / (2.0 * h)
    return concatenate([first, inner, last], axis=axis)


def convolve(a: Any, v: Any, mode: str = "full") -> Tensor:
    """Discrete linear convolution of two 1-d sequences (NumPy's ``convolve``), as a
    matrix product with the Toeplitz matrix of ``v``: differentiable in both.

    >>> import dualad as da
    >>> da.convolve(da.tensor([1.0, 2.0, 3.0]), da.tensor([0.0, 1.0, 0.5])).tolist()
    [0.0, 1.0, 2.5, 4.0, 1.5]
    """
    n, m = (int(np.size(_raw(u))) for u in (a, v))
    if n == 0 or m == 0:
        raise ValueError("convolve: the inputs cannot be empty")
    k, j = np.ogrid[:n + m - 1, :n]
    lag = k - j
    inside = (lag >= 0) & (lag < m)
    vv = v if isinstance(v, Tensor) else Tensor(np.asarray(v, dtype=np.float64))
    toeplitz = where(inside, getitem(ravel(vv), np.clip(lag, 0, m - 1)), 0.0)
    full = matmul(toeplitz, ravel(a))
    if mode == "full":
        return full
    if mode == "same":
        start = (min(n, m) - 1) // 2
        return getitem(full, slice(start, start + max(n, m)))
    if mode == "valid":
        return getitem(full, slice(min(n, m) - 1, max(n, m)))
    raise ValueError(f"convolve: mode must be 'full', 'same' or 'valid', got {mode!r}")


def correlate(a: Any, v: Any, mode: str = "valid") -> Tensor:
    """Cross-correlation of two real 1-d sequences (NumPy's ``correlate``)."""
    if np.size(_raw(a)) < np.size(_raw(v)):
        return getitem(correlate(v, a, mode), slice(None, None, -1))
    flipped = getitem(ravel(v), slice(None, None, -1)) if isinstance(v, Tensor) else \
        np.ravel(np.asarray(v, dtype=np.float64))[::-1]
    return convolve(a, flipped, mode)


__all__ = [
    "convolve", "correlate",
    "polyval", "gradient",
    "nanvar", "nanstd", "average", "trapezoid",
    "nansum", "nanprod", "nanmean", "nanmax", "nanmin",
    "cumprod", "diff", "ediff1d", "ptp",
    "cbrt", "deg2rad", "rad2deg", "radians", "degrees", "copysign", "fmax", "fmin",
    "heaviside", "remainder", "mod", "fmod", "floor_divide", "logaddexp2", "sinc",
    "float_power", "nan_to_num",
]

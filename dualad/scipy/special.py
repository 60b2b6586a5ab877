"""``dualad.scipy.special``: SciPy's special functions, differentiable in both modes.

Each function is a registry op declared by its partial derivatives (written with dualad
ops, so every derivative differentiates again, to any order) or a composite of ops, with
SciPy's name and signature. Forward values come from SciPy (imported on first use:
``pip install dualad[scipy]``) except for the functions NumPy computes alone
(:data:`NUMPY_ONLY`). Orders, degrees and shape parameters (``n`` of ``polygamma``, ``v`` of
``jv``, ``a`` of ``gammainc``, the exponent of ``zeta``) are constants: passing one that is
being differentiated raises an error.

>>> import dualad as da
>>> from dualad.scipy import special
>>> x = da.tensor(3.0, requires_grad=True)
>>> special.gammaln(x).backward()
>>> round(x.grad.item(), 6)  # digamma(3) = 3/2 - Euler's gamma
0.922784
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import ops as _ops
from .._sympy import sp
from ..ops._define import TENSOR_MATH, Formula, elementwise, quiet
from ..registry import Kink
from ..tensor import Tensor
from ._backend import scipy_forward

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_NAN = float("nan")
_INF = float("inf")
_POSITIVE = ((0.2, 5.0),)
_REALS = ((-3.0, 3.0),)
_AWAY_FROM_ZERO = ((-3.0, -0.1), (0.1, 3.0))


def _raw(v: Any) -> np.ndarray:
    """The values of a rule's input (a Tensor's data, or the array itself)."""
    return v._data if isinstance(v, Tensor) else np.asarray(v)


def _special(name: str) -> Callable[..., Any]:
    return scipy_forward("special", name)


def _constant(function: str, argument: str, value: Any, what: str = "") -> Any:
    """``value``, checked not to be differentiated: no derivative in ``argument`` (``what``,
    in words) exists here."""
    if isinstance(value, Tensor) and (value.requires_grad_flag or value._tangents):
        raise ValueError(
            f"dualad.scipy.special.{function}: no derivative with respect to "
            f"{what or argument} is defined; pass {argument} as a constant (a number, an "
            f"array, or {argument}.detach())")
    return value


def _declare(name: str, forward: Callable, partials: tuple, sympy: Callable | str,
             ranges: tuple, doc: str, only_output: bool = False,
             **options: Any) -> Callable[..., Tensor]:
    """Register an elementwise op (see :func:`dualad.ops._define.elementwise`); its function.

    A unary op whose partial reads the output (``uses_output``) reads its input too, unless
    ``only_output``.
    """
    if options.get("uses_output") and len(partials) == 1 and not only_output:
        options["reads"] = ((0,),)
    op = elementwise(name, forward, partials, sympy, ranges, doc=doc, **options)
    function = getattr(TENSOR_MATH, name)
    function.op = op
    return function


# ------------------------------------------------------------ gamma family
def _poles(x: Any) -> np.ndarray:
    """Where ``x`` is a pole of gamma: 0, -1, -2, ..."""
    v = _raw(x)
    return (v <= 0) & (v == np.floor(v))


def _off_poles(m: Any, x: Any, value: Any) -> Any:
    """``value``, and nan at the poles (no derivative: DESIGN section 5, rule 5)."""
    poles = _poles(x)
    return m.where(poles, _NAN, value) if poles.any() else value


def _pole_kink(what: str, pytorch: Any, jax: Any, note: str = "") -> Kink:
    return Kink("x = 0, -1, -2, ... (a pole)", ((0.0,), (-1.0,)), (_NAN,), 5,
                f"{what} has a pole there: no derivative (nan){note}", at=_poles,
                pytorch=(pytorch,), jax=(jax,))


_NAN_BELOW_ZERO = Formula("-inf at 0, nan at -1, -2, ...",
                          lambda x: np.where(np.asarray(x) == 0, -np.inf, np.nan))


# the forwards take the order n first, as SciPy does
_polygamma = _declare(
    "polygamma", _special("polygamma"),
    (None, lambda m, out, n, x: _off_poles(m, x, m.polygamma(n + 1.0, x))),
    lambda n, x: sp.polygamma(sp.Integer(int(n)), x), (((0.0, 0.0), (1.0, 1.0), (2.0, 2.0)),
                                                       ((0.3, 5.0), (-1.8, -1.2))),
    "The n-th derivative of digamma (n a constant integer >= 0).",
    kinks=(Kink("x = 0, -1, -2, ... (a pole)", ((1.0, 0.0), (1.0, -1.0)), (None, _NAN), 5,
                "polygamma has a pole there: no derivative (nan)",
                at=lambda n, x: _poles(x), pytorch=(None, -_INF), jax=(None, _NAN)),))
_gammaln = _declare(
    "gammaln", _special("gammaln"), (lambda m, out, x: _off_poles(m, x, m.digamma(x)),),
    lambda x: sp.log(sp.Abs(sp.gamma(x))), (((0.2, 6.0), (-2.8, -2.2), (-0.8, -0.2)),),
    "log|gamma(x)|.", kinks=(_pole_kink("gammaln", _NAN_BELOW_ZERO, _NAN),))
_gamma = _declare(
    "gamma", _special("gamma"), (lambda m, out, x: _off_poles(m, x, out * m.digamma(x)),),
    "gamma", (((0.2, 4.5), (-2.8, -2.2), (-0.8, -0.2)),), "The gamma function.",
    uses_output=True,
    kinks=(_pole_kink("gamma", _NAN, _NAN, "; PyTorch has no gamma (nan is declared)"),))
_digamma = _declare(
    "digamma", _special("psi"), (lambda m, out, x: _off_poles(m, x, m.polygamma(1.0, x)),),
    lambda x: sp.polygamma(0, x), (((0.2, 6.0), (-1.8, -1.2)),),
    "The logarithmic derivative of gamma.",
    kinks=(_pole_kink("digamma", Formula("+inf at 0, nan at -1, -2, ...", lambda x: np.where(
        np.asarray(x) == 0, np.inf, np.nan)), _INF, "; PyTorch's derivative is +inf at 0 and "
        "a meaningless large finite number at -1, -2, ... (declared nan)"),))


def _loggamma_partial(m: Any, out: Any, x: Any) -> Any:
    outside = _raw(x) <= 0
    value = m.digamma(x)
    return m.where(outside, _NAN, value) if outside.any() else value


_loggamma = _declare(
    "loggamma", quiet(lambda x: _special("loggamma")(np.asarray(x, dtype=np.float64))),
    (_loggamma_partial,), "loggamma", (((0.2, 6.0),),),
    "The log of gamma for real x > 0 (nan for x <= 0, as SciPy's real loggamma).",
    kinks=(Kink("x <= 0", ((0.0,), (-0.5,)), (_NAN,), 5,
                "the real loggamma is undefined for x <= 0 (nan); PyTorch has no real loggamma "
                "(nan is declared)", at=lambda x: _raw(x) <= 0, pytorch=(_NAN,),
                jax=(Formula("nan at 0, -1, ...; 0 between the poles", lambda x: np.where(
                    _poles(x), np.nan, 0.0)),)),))


def gammaln(x: Any) -> Tensor:
    """``log|gamma(x)|``; its derivative is ``digamma(x)`` (nan at the poles 0, -1, ...).

    >>> import dualad as da
    >>> from dualad.scipy.special import gammaln
    >>> round(gammaln(da.tensor(5.0)).item(), 10) == round(math.log(24.0), 10)
    True
    """
    return _gammaln(x)


def gamma(x: Any) -> Tensor:
    """The gamma function; the derivative is ``gamma(x) digamma(x)`` (nan at the poles).

    >>> import dualad as da
    >>> from dualad.scipy.special import gamma
    >>> gamma(da.tensor(5.0)).item()
    24.0
    """
    return _gamma(x)


def loggamma(x: Any) -> Tensor:
    """``log(gamma(x))`` for real ``x > 0`` (nan for x <= 0; complex input is not supported).

    >>> import dualad as da
    >>> from dualad.scipy.special import loggamma
    >>> round(loggamma(da.tensor(3.0)).item(), 12) == round(math.log(2.0), 12)
    True
    """
    if _raw(x).dtype.kind == "c":
        raise TypeError("dualad.scipy.special.loggamma: complex input is not supported; "
                        "pass real values")
    return _loggamma(x)


def digamma(x: Any) -> Tensor:
    """The digamma function ``psi = gamma'/gamma``; derivative ``polygamma(1, x)``.

    >>> import dualad as da
    >>> from dualad.scipy.special import digamma
    >>> round(digamma(da.tensor(1.0)).item(), 10)  # -Euler's gamma
    -0.5772156649
    """
    return _digamma(x)


psi = digamma


def polygamma(n: Any, x: Any) -> Tensor:
    """The ``n``-th derivative of digamma at ``x``; ``n`` a constant integer >= 0 (no
    derivative in ``n``), differentiable in ``x``.

    >>> import dualad as da
    >>> from dualad.scipy.special import polygamma
    >>> round(polygamma(1, da.tensor(1.0)).item(), 10)  # pi**2 / 6
    1.6449340668
    """
    n = _constant("polygamma", "n", n)
    values = _raw(n)
    if values.dtype.kind == "c" or np.any((values != np.floor(values)) | (values < 0)):
        raise ValueError(f"dualad.scipy.special.polygamma: n must be integers >= 0, got {n!r}")
    return _polygamma(values.astype(np.float64), x)


def multigammaln(a: Any, d: int) -> Tensor:
    """The log of the multivariate gamma function of dimension ``d``:
    ``d(d-1)/4 log(pi) + sum_j gammaln(a - j/2)`` for ``j = 0 .. d-1`` (SciPy raises for
    ``a <= (d-1)/2``, and so does this).

    >>> import dualad as da
    >>> from dualad.scipy.special import multigammaln
    >>> round(multigammaln(da.tensor(3.0), 1).item(), 12) == round(math.log(2.0), 12)
    True
    """
    if isinstance(d, Tensor) or int(d) != d or d < 1:
        raise ValueError(f"dualad.scipy.special.multigammaln: d must be an integer >= 1, "
                         f"got {d!r}")
    d = int(d)
    if np.any(_raw(a) <= 0.5 * (d - 1)):
        raise ValueError(f"dualad.scipy.special.multigammaln: a must be > (d-1)/2 = "
                         f"{0.5 * (d - 1)}")
    total = _gammaln(a)
    for j in range(1, d):
        total = total + _gammaln(a - 0.5 * j)
    return total + 0.25 * d * (d - 1) * math.log(math.pi)


_beta = _declare(
    "beta", _special("beta"),
    (lambda m, out, a, b: out * (m.digamma(a) - m.digamma(a + b)),
     lambda m, out, a, b: out * (m.digamma(b) - m.digamma(a + b))),
    "beta", (_POSITIVE, _POSITIVE), "The beta function gamma(a) gamma(b) / gamma(a + b).",
    uses_output=True)
_betaln = _declare(
    "betaln", _special("betaln"),
    (lambda m, out, a, b: m.digamma(a) - m.digamma(a + b),
     lambda m, out, a, b: m.digamma(b) - m.digamma(a + b)),
    lambda a, b: sp.loggamma(a) + sp.loggamma(b) - sp.loggamma(a + b), (_POSITIVE, _POSITIVE),
    "log|beta(a, b)|.")


def beta(a: Any, b: Any) -> Tensor:
    """The beta function ``gamma(a) gamma(b) / gamma(a + b)``, differentiable in both.

    >>> import dualad as da
    >>> from dualad.scipy.special import beta
    >>> round(beta(da.tensor(2.0), da.tensor(3.0)).item(), 12)  # 1/12
    0.083333333333
    """
    return _beta(a, b)


def betaln(a: Any, b: Any) -> Tensor:
    """``log|beta(a, b)|``, differentiable in both.

    >>> import dualad as da
    >>> from dualad.scipy.special import betaln
    >>> round(betaln(da.tensor(2.0), da.tensor(3.0)).item(), 12) == round(-math.log(12), 12)
    True
    """
    return _betaln(a, b)


# ------------------------------------------------------------- error functions
def _gauss(m: Any, x: Any) -> Any:
    """``2/sqrt(pi) exp(-x**2)``: the derivative of erf."""
    return (2.0 / _SQRT_PI) * m.exp(-(x * x))


_erf = _declare("erf", _special("erf"), (lambda m, out, x: _gauss(m, x),), "erf", (_REALS,),
                "The error function.")
_erfc = _declare("erfc", _special("erfc"), (lambda m, out, x: -_gauss(m, x),), "erfc",
                 (_REALS,), "The complementary error function 1 - erf(x).")


def _abs_is_one(x: Any) -> np.ndarray:
    return np.abs(_raw(x)) == 1


_erfinv = _declare(
    "erfinv", _special("erfinv"), (lambda m, out, x: (0.5 * _SQRT_PI) * m.exp(out * out),),
    "erfinv", (((-0.95, 0.95),),), "The inverse of erf on (-1, 1).", uses_output=True,
    only_output=True,
    kinks=(Kink("x = -1 or x = 1", ((1.0,), (-1.0,)), (_INF,), 4,
                "erfinv is -inf/+inf there and its slope tends to +inf", at=_abs_is_one,
                pytorch=(_INF,), jax=(_INF,)),
           Kink("|x| > 1", ((1.5,),), (_NAN,), 5, "erfinv is undefined for |x| > 1 (nan)",
                at=lambda x: np.abs(_raw(x)) > 1, pytorch=(_NAN,), jax=(_NAN,))))
_erfcinv = _declare(
    "erfcinv", _special("erfcinv"), (lambda m, out, x: (-0.5 * _SQRT_PI) * m.exp(out * out),),
    lambda x: sp.erfinv(1 - x), (((0.05, 1.95),),), "The inverse of erfc on (0, 2).",
    uses_output=True, only_output=True,
    kinks=(Kink("x = 0 or x = 2", ((0.0,), (2.0,)), (-_INF,), 4,
                "erfcinv is +inf/-inf there and its slope tends to -inf (neither PyTorch nor "
                "JAX has erfcinv: the same value is declared)",
                at=lambda x: (_raw(x) == 0) | (_raw(x) == 2), pytorch=(-_INF,), jax=(-_INF,)),
           Kink("x < 0 or x > 2", ((-0.5,), (2.5,)), (_NAN,), 5,
                "erfcinv is undefined outside [0, 2] (nan)",
                at=lambda x: (_raw(x) < 0) | (_raw(x) > 2), pytorch=(_NAN,), jax=(_NAN,))))
_erfcx = _declare(
    "erfcx", _special("erfcx"), (lambda m, out, x: 2.0 * x * out - 2.0 / _SQRT_PI,),
    lambda x: sp.exp(x * x) * sp.erfc(x), (((-2.0, 4.0),),),
    "The scaled complementary error function exp(x**2) erfc(x).", uses_output=True)
_ndtr = _declare(
    "ndtr", _special("ndtr"), (lambda m, out, x: m.exp(-0.5 * x * x) / _SQRT_2PI,),
    lambda x: (1 + sp.erf(x / sp.sqrt(2))) / 2, (_REALS,),
    "The standard normal cumulative distribution function.")
_ndtri = _declare(
    "ndtri", _special("ndtri"), (lambda m, out, x: _SQRT_2PI * m.exp(0.5 * out * out),),
    lambda p: sp.sqrt(2) * sp.erfinv(2 * p - 1), (((0.02, 0.98),),),
    "The inverse of ndtr on (0, 1).", uses_output=True,
    only_output=True,
    kinks=(Kink("p = 0 or p = 1", ((0.0,), (1.0,)), (_INF,), 4,
                "ndtri is -inf/+inf there and its slope tends to +inf (JAX: 0, the slope of its "
                "constant branch)", at=lambda p: (_raw(p) == 0) | (_raw(p) == 1),
                pytorch=(_INF,), jax=(0.0,)),
           Kink("p < 0 or p > 1", ((-0.5,), (1.5,)), (_NAN,), 5,
                "ndtri is undefined outside [0, 1] (nan)",
                at=lambda p: (_raw(p) < 0) | (_raw(p) > 1), pytorch=(_NAN,), jax=(_NAN,))))
_log_ndtr = _declare(
    "log_ndtr", _special("log_ndtr"),
    # the normal density over ndtr, as exp(log density - log ndtr): no underflow for x << 0
    (lambda m, out, x: m.exp(-0.5 * x * x - out) / _SQRT_2PI,),
    lambda x: sp.log((1 + sp.erf(x / sp.sqrt(2))) / 2), (((-8.0, 4.0),),),
    "log(ndtr(x)), accurate far in both tails.", uses_output=True)


def erf(z: Any) -> Tensor:
    """The error function; derivative ``2/sqrt(pi) exp(-z**2)``.

    >>> import dualad as da
    >>> from dualad.scipy.special import erf
    >>> round(erf(da.tensor(1.0)).item(), 10)
    0.8427007929
    """
    return _erf(z)


def erfc(x: Any) -> Tensor:
    """``1 - erf(x)``, accurate for large x.

    >>> import dualad as da
    >>> from dualad.scipy.special import erfc
    >>> round(erfc(da.tensor(1.0)).item(), 10)
    0.1572992071
    """
    return _erfc(x)


def erfinv(y: Any) -> Tensor:
    """The inverse of erf; at ``y = +-1`` (where it is infinite) the derivative is +inf.

    >>> import dualad as da
    >>> from dualad.scipy.special import erfinv
    >>> round(erfinv(da.tensor(0.5)).item(), 10)
    0.4769362762
    """
    return _erfinv(y)


def erfcinv(y: Any) -> Tensor:
    """The inverse of erfc on ``[0, 2]``; at 0 and 2 the derivative is -inf.

    >>> import dualad as da
    >>> from dualad.scipy.special import erfcinv
    >>> round(erfcinv(da.tensor(0.5)).item(), 10)
    0.4769362762
    """
    return _erfcinv(y)


def erfcx(x: Any) -> Tensor:
    """``exp(x**2) erfc(x)`` without overflow.

    >>> import dualad as da
    >>> from dualad.scipy.special import erfcx
    >>> round(erfcx(da.tensor(0.0)).item(), 12)
    1.0
    """
    return _erfcx(x)


def ndtr(x: Any) -> Tensor:
    """The standard normal CDF.

    >>> import dualad as da
    >>> from dualad.scipy.special import ndtr
    >>> ndtr(da.tensor(0.0)).item()
    0.5
    """
    return _ndtr(x)


def ndtri(y: Any) -> Tensor:
    """The inverse of :func:`ndtr`; at 0 and 1 the derivative is +inf.

    >>> import dualad as da
    >>> from dualad.scipy.special import ndtri
    >>> ndtri(da.tensor(0.5)).item()
    0.0
    """
    return _ndtri(y)


def log_ndtr(x: Any) -> Tensor:
    """``log(ndtr(x))``, accurate far into the left tail (and its derivative too).

    >>> import dualad as da
    >>> from dualad.scipy.special import log_ndtr
    >>> round(log_ndtr(da.tensor(0.0)).item(), 12) == round(-math.log(2.0), 12)
    True
    """
    return _log_ndtr(x)


# -------------------------------------------------------- logistic family
def _expit_forward(x: Any) -> np.ndarray:
    """``1 / (1 + exp(-x))`` to full relative precision in both tails (``exp(-|x|)`` never
    overflows; for x < 0 the small value is computed directly, not as 1 minus another)."""
    x = np.asarray(x, dtype=np.float64)
    small = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, small) / (1.0 + small)


# the partials use expit(-x), not 1 - expit(x): no cancellation in the tails
_expit = _declare("expit", _expit_forward, (lambda m, out, x: m.expit(x) * m.expit(-x),),
                  lambda x: 1 / (1 + sp.exp(-x)), (((-8.0, 8.0),),),
                  "The logistic function 1 / (1 + exp(-x)), accurate in both tails.")
_log_expit = _declare("log_expit", lambda x: -np.logaddexp(0.0, -np.asarray(x, np.float64)),
                      (lambda m, out, x: m.expit(-x),), lambda x: -sp.log(1 + sp.exp(-x)),
                      (((-8.0, 8.0),),), "log(expit(x)) without overflow or underflow.")


def expit(x: Any) -> Tensor:
    """The logistic sigmoid ``1 / (1 + exp(-x))``, to full relative precision in both tails
    (``expit(-50)`` is 1.9e-22, not 0); derivative ``expit(x) expit(-x)``.

    >>> import dualad as da
    >>> from dualad.scipy.special import expit
    >>> expit(da.tensor(0.0)).item(), float(f"{expit(da.tensor(-50.0)).item():.4g}")
    (0.5, 1.929e-22)
    """
    return _expit(x)


def log_expit(x: Any) -> Tensor:
    """``log(expit(x))``, accurate for large ``|x|``; derivative ``expit(-x)``.

    >>> import dualad as da
    >>> from dualad.scipy.special import log_expit
    >>> log_expit(da.tensor(-800.0)).item()
    -800.0
    """
    return _log_expit(x)


def _outside_unit(p: Any) -> np.ndarray:
    v = _raw(p)
    return (v < 0) | (v > 1)


def _logit_partial(m: Any, out: Any, p: Any) -> Any:
    value = 1.0 / (p * (1.0 - p) + 0.0)  # (+ 0.0: at p = -0.0 the limit is +inf, not -inf)
    outside = _outside_unit(p)
    return m.where(outside, _NAN, value) if outside.any() else value


_logit = _declare(
    "logit", quiet(lambda p: np.log(p / (1.0 - p))), (_logit_partial,),
    lambda p: sp.log(p / (1 - p)), (((0.05, 0.95),),), "log(p / (1 - p)), the inverse of expit.",
    kinks=(Kink("p = 0 or p = 1", ((0.0,), (1.0,)), (_INF,), 4,
                "logit is -inf/+inf there and its slope 1/(p(1-p)) tends to +inf",
                at=lambda p: (_raw(p) == 0) | (_raw(p) == 1), pytorch=(_INF,), jax=(_INF,)),
           Kink("p < 0 or p > 1", ((-0.5,), (1.5,)), (_NAN,), 5,
                "logit is undefined outside [0, 1] (nan); JAX's custom rule gives 1/(p(1-p))",
                at=_outside_unit, pytorch=(_NAN,),
                jax=(Formula("1/(p(1-p))", lambda p: 1.0 / (np.asarray(p) * (1.0 - p))),))))


def logit(x: Any) -> Tensor:
    """``log(x / (1 - x))``; derivative ``1 / (x (1 - x))``, +inf at 0 and 1.

    >>> import dualad as da
    >>> from dualad.scipy.special import logit
    >>> logit(da.tensor(0.5)).item()
    0.0
    """
    return _logit(x)


# ------------------------------------------------------- x log y family
def _x_over(m: Any, x: Any, y: Any, singular: float) -> Any:
    """``x / y``, and 0 where x == 0 and y == ``singular`` (x log y is 0 for every y along
    x = 0, so d/dy is 0 there; elsewhere x/y is already 0 at x = 0 and keeps its derivative
    in x)."""
    both = (_raw(x) == 0) & (_raw(y) == singular)
    return x / m.where(both, 1.0, y) if both.any() else x / y


def _xlogy_forward(x: Any, y: Any) -> np.ndarray:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log(y))


def _xlog1py_forward(x: Any, y: Any) -> np.ndarray:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log1p(y))


_xlogy = _declare(
    "xlogy", quiet(_xlogy_forward),
    (lambda m, out, x, y: m.log(y),
     lambda m, out, x, y: _x_over(m, x, y, 0.0)),
    lambda x, y: x * sp.log(y), (_REALS, ((0.1, 4.0),)), "x * log(y), and 0 where x = 0.",
    kinks=(Kink("x = 0 and y = 0", ((0.0, 0.0),), (-_INF, 0.0), 4,
                "xlogy(0, y) = 0 for every y, so d/dy is 0; d/dx is log(0) = -inf, the limit "
                "of log(y) (PyTorch: 0 for x, nan for y; JAX: -inf, nan)",
                at=lambda x, y: (_raw(x) == 0) & (_raw(y) == 0), pytorch=(0.0, _NAN),
                jax=(-_INF, _NAN)),))
_xlog1py = _declare(
    "xlog1py", quiet(_xlog1py_forward),
    (lambda m, out, x, y: m.log1p(y),
     lambda m, out, x, y: _x_over(m, x, 1.0 + y, 0.0)),
    lambda x, y: x * sp.log(1 + y), (_REALS, ((-0.9, 3.0),)), "x * log1p(y), and 0 where x = 0.",
    kinks=(Kink("x = 0 and y = -1", ((0.0, -1.0),), (-_INF, 0.0), 4,
                "xlog1py(0, y) = 0 for every y, so d/dy is 0; d/dx is log1p(-1) = -inf",
                at=lambda x, y: (_raw(x) == 0) & (_raw(y) == -1), pytorch=(0.0, _NAN),
                jax=(-_INF, _NAN)),))


def _entr_forward(x: Any) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, -x * np.log(np.where(x > 0, x, 1.0)), np.where(x == 0, 0.0, -np.inf))


def _rel_entr_forward(x: Any, y: Any) -> np.ndarray:
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    both = (x > 0) & (y > 0)
    ratio = np.where(both, x, 1.0) / np.where(both, y, 1.0)
    inside = np.where(both, x * np.log(ratio), np.where((x == 0) & (y >= 0), 0.0, np.inf))
    return np.where(np.isnan(x) | np.isnan(y), np.nan, inside)


def _kl_div_forward(x: Any, y: Any) -> np.ndarray:
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    both = (x > 0) & (y > 0)
    ratio = np.where(both, x, 1.0) / np.where(both, y, 1.0)
    inside = np.where(both, x * np.log(ratio) - x + y, np.where((x == 0) & (y >= 0), y, np.inf))
    return np.where(np.isnan(x) | np.isnan(y), np.nan, inside)


_entr = _declare(
    "entr", quiet(_entr_forward), (lambda m, out, x: -(m.log(x) + 1.0),),
    lambda x: -x * sp.log(x), (((0.05, 4.0),),), "-x log x for x > 0, 0 at 0, -inf below.",
    kinks=(Kink("x = 0", ((0.0,),), (_INF,), 4, "-(log x + 1) tends to +inf",
                at=lambda x: _raw(x) == 0, pytorch=(_INF,), jax=(_INF,)),
           Kink("x < 0", ((-1.0,),), (_NAN,), 5, "entr is -inf for x < 0: no derivative",
                at=lambda x: _raw(x) < 0, pytorch=(_NAN,), jax=(_NAN,))))
_rel_entr = _declare(
    "rel_entr", quiet(_rel_entr_forward),
    (lambda m, out, x, y: m.log(x / y) + 1.0, lambda m, out, x, y: -x / y),
    lambda x, y: x * sp.log(x / y), (((0.05, 4.0),), ((0.05, 4.0),)),
    "x log(x / y) for x, y > 0; 0 at x = 0 (y >= 0); inf elsewhere.",
    kinks=(Kink("x = 0 and y > 0", ((0.0, 1.0),), (-_INF, 0.0), 4,
                "d/dx = log(x/y) + 1 tends to -inf; d/dy = -x/y is 0 (PyTorch has no rel_entr: "
                "the same values are declared; JAX: 0, 0 from its safe branch)",
                at=lambda x, y: (_raw(x) == 0) & (_raw(y) > 0), pytorch=(-_INF, 0.0),
                jax=(0.0, 0.0)),))
_kl_div = _declare(
    "kl_div", quiet(_kl_div_forward),
    (lambda m, out, x, y: m.log(x / y), lambda m, out, x, y: 1.0 - x / y),
    lambda x, y: x * sp.log(x / y) - x + y, (((0.05, 4.0),), ((0.05, 4.0),)),
    "x log(x / y) - x + y for x, y > 0; y at x = 0 (y >= 0); inf elsewhere.",
    kinks=(Kink("x = 0 and y > 0", ((0.0, 1.0),), (-_INF, 1.0), 4,
                "d/dx = log(x/y) tends to -inf; d/dy = 1 - x/y is 1 (PyTorch's kl_div is another "
                "function: the same values are declared; JAX: -1, 1)",
                at=lambda x, y: (_raw(x) == 0) & (_raw(y) > 0), pytorch=(-_INF, 1.0),
                jax=(-1.0, 1.0)),))


def xlogy(x: Any, y: Any) -> Tensor:
    """``x * log(y)``, 0 where ``x == 0`` (so the gradient in y is 0 there).

    >>> import dualad as da
    >>> from dualad.scipy.special import xlogy
    >>> xlogy(da.tensor(0.0), da.tensor(0.0)).item()
    0.0
    """
    return _xlogy(x, y)


def xlog1py(x: Any, y: Any) -> Tensor:
    """``x * log1p(y)``, 0 where ``x == 0``.

    >>> import dualad as da
    >>> from dualad.scipy.special import xlog1py
    >>> xlog1py(da.tensor(0.0), da.tensor(-1.0)).item()
    0.0
    """
    return _xlog1py(x, y)


def entr(x: Any) -> Tensor:
    """``-x log x`` (0 at 0, -inf for x < 0); the derivative is +inf at 0.

    >>> import dualad as da
    >>> from dualad.scipy.special import entr
    >>> entr(da.tensor(1.0)).item()
    -0.0
    """
    return _entr(x)


def rel_entr(x: Any, y: Any) -> Tensor:
    """``x log(x / y)`` elementwise (SciPy's conventions at 0 and outside the domain).

    >>> import dualad as da
    >>> from dualad.scipy.special import rel_entr
    >>> rel_entr(da.tensor(0.0), da.tensor(2.0)).item()
    0.0
    """
    return _rel_entr(x, y)


def kl_div(x: Any, y: Any) -> Tensor:
    """``x log(x / y) - x + y`` elementwise (SciPy's conventions at 0 and outside).

    >>> import dualad as da
    >>> from dualad.scipy.special import kl_div
    >>> kl_div(da.tensor(1.0), da.tensor(1.0)).item()
    0.0
    """
    return _kl_div(x, y)


sinc = _ops.sinc


# -------------------------------------------------------------- logsumexp
def logsumexp(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False,
              return_sign: bool = False) -> Any:
    """``log(sum(b * exp(a)))`` over ``axis`` (all elements by default), without overflow;
    differentiable in ``a`` and ``b``. With ``return_sign=True`` returns ``(log|s|, sign s)``
    (the sign a Tensor without gradient); else a negative sum gives nan, as in SciPy.

    >>> import dualad as da
    >>> from dualad.scipy.special import logsumexp
    >>> logsumexp(da.tensor([1000.0, 1000.0]), b=da.tensor([1.0, -0.5])).item()
    999.3068528194401
    """
    from ..ops.reductions import amax
    from ..ops.reductions import sum as _sum

    if b is None:
        out = _ops.logsumexp(a, axis=axis, keepdims=keepdims)
        if return_sign:
            sign = np.where(np.isnan(out._data), np.nan,
                            np.where(out._data == -np.inf, 0.0, 1.0))
            return out, Tensor(sign)
        return out
    shift = np.asarray(amax(a, axis=axis, keepdims=True)._data)  # (a constant: no gradient)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    total = _sum(b * _ops.exp(a - shift), axis=axis, keepdims=keepdims)
    if not keepdims:
        shift = np.squeeze(shift, axis=axis) if axis is not None else shift.reshape(())
    sign = np.sign(total._data)
    magnitude = _ops.abs(total)
    if not return_sign:
        magnitude = _ops.where(sign < 0, _NAN, magnitude)
    out = _ops.log(magnitude) + shift
    return (out, Tensor(sign)) if return_sign else out


def _axis_form(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def log_softmax(x: Any, axis: Any = None) -> Tensor:
    """``x - logsumexp(x)`` over ``axis`` (all elements when None, as in SciPy).

    >>> import dualad as da
    >>> from dualad.scipy.special import log_softmax
    >>> [round(v, 6) for v in log_softmax(da.tensor([0.0, 0.0])).tolist()]
    [-0.693147, -0.693147]
    """
    axis = _axis_form(axis)
    if isinstance(axis, (int, np.integer)):
        return _ops.log_softmax(x, axis=int(axis))
    return x - _ops.logsumexp(x, axis=axis, keepdims=True)


def softmax(x: Any, axis: Any = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` over ``axis`` (all elements when None, as in SciPy).

    >>> import dualad as da
    >>> from dualad.scipy.special import softmax
    >>> softmax(da.tensor([[1.0, 1.0], [1.0, 1.0]])).numpy().round(12).tolist()
    [[0.25, 0.25], [0.25, 0.25]]
    """
    axis = _axis_form(axis)
    if isinstance(axis, (int, np.integer)):
        return _ops.softmax(x, axis=int(axis))
    return _ops.exp(log_softmax(x, axis))


# ----------------------------------------------------------------- Bessel
def _at_zero(x: Any) -> np.ndarray:
    return _raw(x) == 0


_SMALL = 1e-2  # below this |x|, the partials of i1, j1, i1e use their Taylor series


def _series_near_zero(m: Any, x: Any, series: Callable, direct: Callable) -> Any:
    """``series(x)`` where |x| < :data:`_SMALL`, else ``direct(x)``, with ``direct`` never
    evaluated near 0 (where its ``1/x`` terms cancel: no 0/0, and every derivative order
    stays accurate)."""
    small = np.abs(_raw(x)) < _SMALL
    if not small.any():
        return direct(x)
    safe = m.where(small, 1.0, x)
    return m.where(small, series(x), direct(safe))


def _i1_partial(m: Any, out: Any, x: Any) -> Any:
    # I1' = I0 - I1/x: 1/2 + 3x^2/16 + 5x^4/384 + 7x^6/18432 + ... near 0
    return _series_near_zero(
        m, x, lambda v: 0.5 + v * v * (3.0 / 16 + v * v * (5.0 / 384 + v * v * 7.0 / 18432)),
        lambda v: m.i0(v) - m.i1(v) / v)


def _j1_partial(m: Any, out: Any, x: Any) -> Any:
    # J1' = J0 - J1/x: 1/2 - 3x^2/16 + 5x^4/384 - 7x^6/18432 + ... near 0
    return _series_near_zero(
        m, x, lambda v: 0.5 - v * v * (3.0 / 16 - v * v * (5.0 / 384 - v * v * 7.0 / 18432)),
        lambda v: m.j0(v) - m.j1(v) / v)


def _i1e_partial(m: Any, out: Any, x: Any) -> Any:
    # (exp(-|x|) I1)' = exp(-|x|) (I1' - sign(x) I1) = i0e - i1e (sign x + 1/x)
    def series(v: Any) -> Any:
        v2 = v * v
        i1_prime = 0.5 + v2 * (3.0 / 16 + v2 * (5.0 / 384 + v2 * 7.0 / 18432))
        i1 = v * (0.5 + v2 * (1.0 / 16 + v2 * (1.0 / 384 + v2 / 18432)))
        return m.exp(-m.abs(v)) * (i1_prime - m.sign(v) * i1)

    return _series_near_zero(m, x, series,
                             lambda v: m.i0e(v) - m.i1e(v) * (m.sign(v) + 1.0 / v))


_i0 = _declare("i0", _special("i0"), (lambda m, out, x: m.i1(x),),
               lambda x: sp.besseli(0, x), (_REALS,), "The modified Bessel function I0.")
_i1 = _declare("i1", _special("i1"), (_i1_partial,), lambda x: sp.besseli(1, x), (_REALS,),
               "The modified Bessel function I1.")
_i0e = _declare(
    "i0e", _special("i0e"), (lambda m, out, x: m.i1e(x) - m.sign(x) * out,),
    lambda x: sp.exp(-sp.Abs(x)) * sp.besseli(0, x), (_AWAY_FROM_ZERO,),
    "exp(-|x|) I0(x).", uses_output=True,
    kinks=(Kink("x = 0", ((0.0,),), (0.0,), 3,
                "the one-sided slopes are +1 and -1 (a concave corner): the supergradient of "
                "minimum norm is 0", at=_at_zero, pytorch=(0.0,), jax=(0.0,)),))
_i1e = _declare("i1e", _special("i1e"), (_i1e_partial,),
                lambda x: sp.exp(-sp.Abs(x)) * sp.besseli(1, x), (_AWAY_FROM_ZERO,),
                "exp(-|x|) I1(x).")
_j0 = _declare("j0", _special("j0"), (lambda m, out, x: -m.j1(x),),
               lambda x: sp.besselj(0, x), (((-6.0, 6.0),),), "The Bessel function J0.")
_j1 = _declare("j1", _special("j1"), (_j1_partial,), lambda x: sp.besselj(1, x),
               (((-6.0, 6.0),),), "The Bessel function J1.")
_y0 = _declare("y0", _special("y0"), (lambda m, out, x: -m.y1(x),),
               lambda x: sp.bessely(0, x), (((0.2, 6.0),),), "The Bessel function Y0 (x > 0).")
_y1 = _declare("y1", _special("y1"), (lambda m, out, x: m.y0(x) - out / x,),
               lambda x: sp.bessely(1, x), (((0.2, 6.0),),), "The Bessel function Y1 (x > 0).",
               uses_output=True)

# order v first, as SciPy's jv(v, z); no derivative in v
_ORDERS = ((0.0, 2.5),)
_jv = _declare("jv", _special("jv"),
               (None, lambda m, out, v, x: 0.5 * (m.jv(v - 1.0, x) - m.jv(v + 1.0, x))),
               "besselj", (_ORDERS, ((0.2, 6.0),)), "The Bessel function J_v, v constant.")
_yv = _declare("yv", _special("yv"),
               (None, lambda m, out, v, x: 0.5 * (m.yv(v - 1.0, x) - m.yv(v + 1.0, x))),
               "bessely", (_ORDERS, ((0.2, 6.0),)), "The Bessel function Y_v, v constant.")
_iv = _declare("iv", _special("iv"),
               (None, lambda m, out, v, x: 0.5 * (m.iv(v - 1.0, x) + m.iv(v + 1.0, x))),
               "besseli", (_ORDERS, ((0.2, 4.0),)), "The modified Bessel function I_v.")
def _kv_forward(v: Any, x: Any) -> Any:
    """SciPy's kv, with orders below 1e-150 in size taken as 0: SciPy returns nan for a
    subnormal order, and K_v is even and smooth in v, so K_v = K_0 there to every digit."""
    v = np.asarray(v, dtype=np.float64)
    return _special("kv")(np.where(np.abs(v) < 1e-150, 0.0, v), x)


_kv = _declare("kv", _kv_forward,
               (None, lambda m, out, v, x: -0.5 * (m.kv(v - 1.0, x) + m.kv(v + 1.0, x))),
               "besselk", (_ORDERS, ((0.2, 4.0),)), "The modified Bessel function K_v.")


def i0(x: Any) -> Tensor:
    """The modified Bessel function of order 0; derivative ``i1``.

    >>> import dualad as da
    >>> from dualad.scipy.special import i0
    >>> i0(da.tensor(0.0)).item()
    1.0
    """
    return _i0(x)


def i1(x: Any) -> Tensor:
    """The modified Bessel function of order 1; derivative ``i0 - i1/x`` (1/2 at 0).

    >>> import dualad as da
    >>> from dualad.scipy.special import i1
    >>> i1(da.tensor(0.0)).item()
    0.0
    """
    return _i1(x)


def i0e(x: Any) -> Tensor:
    """``exp(-|x|) i0(x)``; at 0 (a concave corner) the derivative is 0.

    >>> import dualad as da
    >>> from dualad.scipy.special import i0e
    >>> i0e(da.tensor(0.0)).item()
    1.0
    """
    return _i0e(x)


def i1e(x: Any) -> Tensor:
    """``exp(-|x|) i1(x)``.

    >>> import dualad as da
    >>> from dualad.scipy.special import i1e
    >>> i1e(da.tensor(0.0)).item()
    0.0
    """
    return _i1e(x)


def j0(x: Any) -> Tensor:
    """The Bessel function of the first kind of order 0; derivative ``-j1``.

    >>> import dualad as da
    >>> from dualad.scipy.special import j0
    >>> j0(da.tensor(0.0)).item()
    1.0
    """
    return _j0(x)


def j1(x: Any) -> Tensor:
    """The Bessel function of the first kind of order 1; derivative ``j0 - j1/x``.

    >>> import dualad as da
    >>> from dualad.scipy.special import j1
    >>> j1(da.tensor(0.0)).item()
    0.0
    """
    return _j1(x)


def y0(x: Any) -> Tensor:
    """The Bessel function of the second kind of order 0 (x > 0); derivative ``-y1``.

    >>> import dualad as da
    >>> from dualad.scipy.special import y0
    >>> round(y0(da.tensor(1.0)).item(), 10)
    0.0882569642
    """
    return _y0(x)


def y1(x: Any) -> Tensor:
    """The Bessel function of the second kind of order 1 (x > 0).

    >>> import dualad as da
    >>> from dualad.scipy.special import y1
    >>> round(y1(da.tensor(1.0)).item(), 10)
    -0.7812128213
    """
    return _y1(x)


def jv(v: Any, z: Any) -> Tensor:
    """The Bessel function ``J_v(z)`` for real ``z``; ``v`` a constant order (no
    derivative in ``v``); derivative ``(J_{v-1} - J_{v+1}) / 2``.

    >>> import dualad as da
    >>> from dualad.scipy.special import jv
    >>> jv(0, da.tensor(0.0)).item()
    1.0
    """
    return _jv(_constant("jv", "v", v), z)


def yv(v: Any, z: Any) -> Tensor:
    """The Bessel function ``Y_v(z)``, ``z > 0``; ``v`` a constant order.

    >>> import dualad as da
    >>> from dualad.scipy.special import yv
    >>> round(yv(1, da.tensor(1.0)).item(), 10)
    -0.7812128213
    """
    return _yv(_constant("yv", "v", v), z)


def iv(v: Any, z: Any) -> Tensor:
    """The modified Bessel function ``I_v(z)``; ``v`` a constant order.

    >>> import dualad as da
    >>> from dualad.scipy.special import iv
    >>> iv(0, da.tensor(0.0)).item()
    1.0
    """
    return _iv(_constant("iv", "v", v), z)


def kv(v: Any, z: Any) -> Tensor:
    """The modified Bessel function ``K_v(z)``, ``z > 0``; ``v`` a constant order.

    >>> import dualad as da
    >>> from dualad.scipy.special import kv
    >>> round(kv(0.5, da.tensor(1.0)).item(), 10)  # sqrt(pi/2) exp(-1)
    0.4610685044
    """
    return _kv(_constant("kv", "v", v), z)


# ------------------------------------------- zeta, exponential integrals, ...
_zeta = _declare(
    "zeta", _special("zeta"), (None, lambda m, out, s, q: -s * m.zeta(s + 1.0, q)),
    "zeta", (((1.5, 4.0),), ((0.5, 3.0),)),
    "The Hurwitz zeta function zeta(s, q), differentiable in q (s constant).")


def zeta(x: Any, q: Any = None) -> Tensor:
    """The Hurwitz zeta function ``sum_k (k + q)**-x`` (Riemann's when ``q`` is None),
    differentiable in ``q`` (``d/dq = -x zeta(x + 1, q)``). The exponent ``x`` is a
    constant: its derivative has no closed form among these functions.

    >>> import dualad as da
    >>> from dualad.scipy.special import zeta
    >>> round(zeta(2.0).item(), 10)  # pi**2 / 6
    1.6449340668
    """
    x = _constant("zeta", "x", x, "the exponent x")
    return _zeta(x, 1.0 if q is None else q)


def _expn_partial(m: Any, out: Any, n: Any, x: Any) -> Any:
    # E_n' = -E_{n-1} for n >= 1; E_0 = exp(-x)/x, E_0' = -exp(-x) (1/x + 1/x**2)
    orders = _raw(n)
    below = np.maximum(orders - 1.0, 0.0)
    value = -m.expn(below, x)
    zero = orders == 0
    if zero.any():
        value = m.where(zero, -m.exp(-x) * (1.0 / x + 1.0 / (x * x)), value)
    return value


_expn = _declare(
    "expn", _special("expn"), (None, _expn_partial),
    lambda n, x: sp.expint(sp.Integer(int(n)), x),
    (((0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (3.0, 3.0)), ((0.2, 4.0),)),
    "The generalized exponential integral E_n(x), n a constant integer >= 0.")
_exp1 = _declare("exp1", _special("exp1"), (lambda m, out, x: -m.exp(-x) / x,),
                 lambda x: sp.expint(1, x), (((0.1, 5.0),),),
                 "The exponential integral E_1(x), x > 0.")
_dawsn = _declare(
    "dawsn", _special("dawsn"), (lambda m, out, x: 1.0 - 2.0 * x * out,),
    lambda x: sp.sqrt(sp.pi) / 2 * sp.exp(-x * x) * sp.erfi(x), (_REALS,),
    "Dawson's integral exp(-x**2) int_0^x exp(t**2) dt.", uses_output=True)


def _gammainc_density(m: Any, a: Any, x: Any) -> Any:
    """``x**(a-1) exp(-x) / gamma(a)``: the derivative of the regularized lower gamma in x."""
    return x ** (a - 1.0) * m.exp(-x - m.gammaln(a))


_gammainc = _declare(
    "gammainc", _special("gammainc"), (None, lambda m, out, a, x: _gammainc_density(m, a, x)),
    lambda a, x: sp.lowergamma(a, x) / sp.gamma(a), (((0.5, 3.0),), ((0.1, 4.0),)),
    "The regularized lower incomplete gamma function P(a, x), differentiable in x.")
_gammaincc = _declare(
    "gammaincc", _special("gammaincc"),
    (None, lambda m, out, a, x: -_gammainc_density(m, a, x)),
    lambda a, x: sp.uppergamma(a, x) / sp.gamma(a), (((0.5, 3.0),), ((0.1, 4.0),)),
    "The regularized upper incomplete gamma function Q(a, x), differentiable in x.")


_betainc = _declare(
    "betainc", _special("betainc"),
    (None, None, lambda m, out, a, b, x: x ** (a - 1.0) * (1.0 - x) ** (b - 1.0)
     * m.exp(-m.betaln(a, b))),
    lambda a, b, x: sp.betainc_regularized(a, b, 0, x),
    (((0.5, 3.0),), ((0.5, 3.0),), ((0.05, 0.95),)),
    "The regularized incomplete beta function I_x(a, b), differentiable in x.")


def betainc(a: Any, b: Any, x: Any) -> Tensor:
    """The regularized incomplete beta function ``I_x(a, b)``, differentiable in ``x``
    (derivative ``x**(a-1) (1-x)**(b-1) / beta(a, b)``); no derivative in ``a`` or ``b``
    is defined (an error if one is differentiated).

    >>> import dualad as da
    >>> from dualad.scipy.special import betainc
    >>> round(betainc(1.0, 1.0, da.tensor(0.3)).item(), 12)
    0.3
    """
    return _betainc(_constant("betainc", "a", a), _constant("betainc", "b", b), x)


def _t_log_density(m: Any, df: Any, t: Any) -> Any:
    """The log density of Student's t with ``df`` degrees of freedom at ``t``."""
    half = 0.5 * (df + 1.0)
    return (m.gammaln(half) - m.gammaln(0.5 * df) - 0.5 * m.log(df * math.pi)
            - half * m.log1p(t * t / df))


_stdtr = _declare(
    "stdtr", _special("stdtr"), (None, lambda m, out, df, t: m.exp(_t_log_density(m, df, t))),
    lambda df, t: sp.Rational(1, 2) + t * sp.gamma((df + 1) / 2) * sp.hyper(
        [sp.Rational(1, 2), (df + 1) / 2], [sp.Rational(3, 2)], -t * t / df)
    / (sp.sqrt(sp.pi * df) * sp.gamma(df / 2)),
    (((0.5, 6.0),), _REALS),
    "Student's t distribution function with df degrees of freedom, differentiable in t.")


def stdtr(df: Any, t: Any) -> Tensor:
    """Student's t cumulative distribution function, differentiable in ``t`` (its derivative
    is the t density); no derivative in ``df`` is defined.

    >>> import dualad as da
    >>> from dualad.scipy.special import stdtr
    >>> stdtr(3.0, da.tensor(0.0)).item()
    0.5
    """
    return _stdtr(_constant("stdtr", "df", df), t)


def expn(n: Any, x: Any) -> Tensor:
    """The generalized exponential integral ``E_n(x)``; ``n`` a constant integer >= 0;
    derivative ``-E_{n-1}(x)``.

    >>> import dualad as da
    >>> from dualad.scipy.special import expn
    >>> round(expn(0, da.tensor(1.0)).item(), 12) == round(math.exp(-1.0), 12)
    True
    """
    n = _constant("expn", "n", n)
    values = _raw(n)
    if values.dtype.kind == "c" or np.any((values != np.floor(values)) | (values < 0)):
        raise ValueError(f"dualad.scipy.special.expn: n must be integers >= 0, got {n!r}")
    return _expn(values.astype(np.float64), x)


def exp1(z: Any) -> Tensor:
    """The exponential integral ``E_1(z)`` for real ``z > 0``; derivative ``-exp(-z)/z``.

    >>> import dualad as da
    >>> from dualad.scipy.special import exp1
    >>> round(exp1(da.tensor(1.0)).item(), 10)
    0.2193839344
    """
    return _exp1(z)


def dawsn(x: Any) -> Tensor:
    """Dawson's integral; derivative ``1 - 2 x dawsn(x)``.

    >>> import dualad as da
    >>> from dualad.scipy.special import dawsn
    >>> round(dawsn(da.tensor(1.0)).item(), 10)
    0.5380795069
    """
    return _dawsn(x)


def gammainc(a: Any, x: Any) -> Tensor:
    """The regularized lower incomplete gamma function ``P(a, x)``, differentiable in ``x``;
    no derivative in the shape ``a`` is defined (an error if ``a`` is differentiated).

    >>> import dualad as da
    >>> from dualad.scipy.special import gammainc
    >>> round(gammainc(1.0, da.tensor(1.0)).item(), 12) == round(1 - math.exp(-1.0), 12)
    True
    """
    return _gammainc(_constant("gammainc", "a", a, "the shape a"), x)


def gammaincc(a: Any, x: Any) -> Tensor:
    """The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``,
    differentiable in ``x`` (not in ``a``).

    >>> import dualad as da
    >>> from dualad.scipy.special import gammaincc
    >>> round(gammaincc(1.0, da.tensor(1.0)).item(), 12) == round(math.exp(-1.0), 12)
    True
    """
    return _gammaincc(_constant("gammaincc", "a", a, "the shape a"), x)


NUMPY_ONLY = ("expit", "log_expit", "logit", "xlogy", "xlog1py", "entr", "rel_entr", "kl_div",
              "sinc", "logsumexp", "softmax", "log_softmax")
"""The functions whose values NumPy computes alone (the rest import SciPy on first use)."""

__all__ = [
    "gammaln", "gamma", "loggamma", "digamma", "psi", "polygamma", "multigammaln", "beta",
    "betaln", "erf", "erfc", "erfinv", "erfcinv", "erfcx", "ndtr", "ndtri", "log_ndtr", "expit",
    "logit", "log_expit", "logsumexp", "softmax", "log_softmax", "xlogy", "xlog1py", "entr",
    "rel_entr", "kl_div", "sinc", "i0", "i1", "i0e", "i1e", "j0", "j1", "y0", "y1", "jv", "yv",
    "iv", "kv", "zeta", "expn", "exp1", "dawsn", "gammainc", "gammaincc", "betainc", "stdtr",
]

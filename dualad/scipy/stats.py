"""``dualad.scipy.stats``: densities and distribution functions of SciPy's distributions,
differentiable in the data and in every continuous parameter.

Each distribution is an object with SciPy's methods and argument names: ``logpdf``, ``pdf``,
``cdf``, ``logcdf``, ``sf``, ``logsf`` for the continuous ones (``x, *shapes, loc=0,
scale=1``), ``logpmf``, ``pmf``, ``cdf``, ``logcdf``, ``sf``, ``logsf`` for the discrete
ones (``k, *shapes, loc=0``), ``logpdf``/``pdf`` for ``dirichlet`` and
``multivariate_normal``. They are composites of :mod:`dualad.scipy.special` and the core
ops, so every derivative differentiates again.

Conventions: outside the support ``logpdf`` is ``-inf`` and ``pdf`` 0, ``cdf`` is 0 below
and 1 above, all with a zero gradient (never nan: the formula is evaluated at a point inside
the support and then replaced). Invalid parameters (``scale <= 0``, ``df <= 0``, ``p``
outside ``[0, 1]``, ...) give nan, as in SciPy. A discrete distribution's ``k`` is data:
it has no derivative (an error if it is differentiated).

>>> import dualad as da
>>> from dualad.scipy import stats
>>> loc = da.tensor(1.0, requires_grad=True)
>>> stats.norm.logpdf(da.tensor([0.0, 3.0]), loc=loc).sum().backward()
>>> loc.grad.item()  # sum of (x - loc)
1.0
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import ops as _ops
from ..ops.vmap_rules import per_example_inside_vmap
from ..tensor import Tensor
from . import special as _special

_INF = float("inf")
_NAN = float("nan")
_LOG_2PI = math.log(2.0 * math.pi)


def _raw(v: Any) -> np.ndarray:
    return v._data if isinstance(v, Tensor) else np.asarray(v, dtype=np.float64)


def _differentiated(v: Any) -> bool:
    return isinstance(v, Tensor) and bool(v.requires_grad_flag or v._tangents)


def _as_tensor(v: Any) -> Tensor:
    return v if isinstance(v, Tensor) else Tensor(np.asarray(v, dtype=np.float64))


def _inside_value(v: Any, inside: np.ndarray, safe: float) -> Any:
    """``v`` where ``inside``, else ``safe`` (a point inside the support): the formula is then
    finite everywhere, and its gradient where it is not used is 0, not nan."""
    if np.all(inside):
        return v
    return _ops.where(inside, v, safe)


class _Distribution:
    """What every distribution shares: its name, shape parameters and argument parsing."""

    name = ""
    shapes: tuple[str, ...] = ()
    has_scale = True
    constant_in_cdf: tuple[str, ...] = ()  # shape parameters with no cdf derivative

    def _parse(self, method: str, args: tuple, kwargs: dict) -> tuple[list, Any, Any]:
        names = self.shapes + (("loc", "scale") if self.has_scale else ("loc",))
        where = f"dualad.scipy.stats.{self.name}.{method}"
        if len(args) > len(names):
            raise TypeError(f"{where}() takes at most {len(names) + 1} positional arguments "
                            f"(x, {', '.join(names)}), got {len(args) + 1}")
        values = dict(zip(names, args))
        for key, value in kwargs.items():
            if key not in names:
                raise TypeError(f"{where}() got an unexpected keyword argument {key!r}; its "
                                f"parameters are {', '.join(names)}")
            if key in values:
                raise TypeError(f"{where}() got multiple values for argument {key!r}")
            values[key] = value
        missing = [s for s in self.shapes if s not in values]
        if missing:
            raise TypeError(f"{where}() is missing the shape parameter(s) {', '.join(missing)}")
        return ([values[s] for s in self.shapes], values.get("loc", 0.0),
                values.get("scale", 1.0))

    def _check_cdf_constants(self, method: str, shapes: list) -> None:
        for name, value in zip(self.shapes, shapes):
            if name in self.constant_in_cdf and _differentiated(value):
                raise ValueError(
                    f"dualad.scipy.stats.{self.name}.{method}: no derivative with respect to "
                    f"the shape parameter {name} is defined (the incomplete gamma/beta "
                    f"function has none in its shape here); pass {name} as a constant "
                    f"(a number, an array, or {name}.detach()); logpdf is differentiable in it")

    def __repr__(self) -> str:
        return f"<dualad.scipy.stats.{self.name}>"


class _Continuous(_Distribution):
    """A continuous location-scale family: the standardized forms below, on z = (x-loc)/scale.

    ``_logpdf``/``_cdf``... see z inside the support only; ``_bounds`` gives the support
    ``[low, high]`` (``open_low``: ``(low, high]``), ``_safe`` a point inside it.
    """

    open_low = False

    def _bounds(self, *shapes: np.ndarray) -> tuple[float, float]:
        return -_INF, _INF

    def _safe(self, *shapes: np.ndarray) -> float:
        return 0.0

    def _valid(self, *shapes: np.ndarray) -> Any:
        return True

    # the standardized forms, defined by each distribution: _logpdf, and _cdf or _logcdf;
    # _sf, _logsf where they are more accurate than 1 - cdf and log(sf)
    _logpdf: Callable[..., Any]
    _cdf: Callable[..., Any]
    _logcdf: Callable[..., Any]
    _sf: Callable[..., Any]
    _logsf: Callable[..., Any]

    def _evaluate(self, method: str, z: Any, shapes: list) -> Any:
        """The standardized ``method`` (cdf, logcdf, sf, logsf) at ``z``, from the forms the
        distribution defines."""
        own = getattr(type(self), "_" + method, None)
        if own is not None:
            return own(self, z, *shapes)
        if method == "cdf":
            return _ops.exp(self._evaluate("logcdf", z, shapes))
        if method == "sf":
            return 1.0 - self._evaluate("cdf", z, shapes)
        return _ops.log(self._evaluate(method[3:], z, shapes))

    def _standardize(self, method: str, x: Any, args: tuple, kwargs: dict) -> tuple:
        shapes, loc, scale = self._parse(method, args, kwargs)
        z = (x - loc) / scale
        raw_shapes = [_raw(s) for s in shapes]
        zr = _raw(z)
        low, high = self._bounds(*raw_shapes)
        below = (zr <= low) if self.open_low else (zr < low)
        above = zr > high
        with np.errstate(invalid="ignore"):
            valid = np.asarray(self._valid(*raw_shapes)) & (_raw(scale) > 0) & ~np.isnan(zr)
        inside = ~below & ~above & valid
        zs = _inside_value(z, inside, self._safe(*raw_shapes))
        return shapes, scale, zs, inside, below, above, valid

    def _finish(self, value: Any, inside: np.ndarray, below: np.ndarray, above: np.ndarray,
                valid: np.ndarray, at_below: float, at_above: float) -> Tensor:
        outside = np.where(below, at_below, at_above)
        out = _ops.where(inside, value, outside)
        if not np.all(valid):
            out = _ops.where(valid, out, _NAN)
        return out

    @per_example_inside_vmap
    def logpdf(self, x: Any, *args: Any, **kwargs: Any) -> Tensor:
        """The log density at ``x``; ``-inf`` outside the support (zero gradient)."""
        shapes, scale, zs, inside, below, above, valid = self._standardize(
            "logpdf", x, args, kwargs)
        value = self._logpdf(zs, *shapes) - _ops.log(_inside_value(scale, valid, 1.0))
        return self._finish(value, inside, below, above, valid, -_INF, -_INF)

    def pdf(self, x: Any, *args: Any, **kwargs: Any) -> Tensor:
        """The density at ``x``; 0 outside the support."""
        return _ops.exp(self.logpdf(x, *args, **kwargs))

    def _distribution_function(self, method: str, x: Any, args: tuple, kwargs: dict,
                               at_below: float, at_above: float) -> Tensor:
        shapes, scale, zs, inside, below, above, valid = self._standardize(method, x, args,
                                                                           kwargs)
        self._check_cdf_constants(method, shapes)
        value = self._evaluate(method, zs, shapes)
        return self._finish(value, inside, below, above, valid, at_below, at_above)

    @per_example_inside_vmap
    def cdf(self, x: Any, *args: Any, **kwargs: Any) -> Tensor:
        """``P(X <= x)``: 0 below the support, 1 above."""
        return self._distribution_function("cdf", x, args, kwargs, 0.0, 1.0)

    @per_example_inside_vmap
    def logcdf(self, x: Any, *args: Any, **kwargs: Any) -> Tensor:
        """``log P(X <= x)``."""
        return self._distribution_function("logcdf", x, args, kwargs, -_INF, 0.0)

    @per_example_inside_vmap
    def sf(self, x: Any, *args: Any, **kwargs: Any) -> Tensor:
        """The survival function ``P(X > x) = 1 - cdf``."""
        return self._distribution_function("sf", x, args, kwargs, 1.0, 0.0)

    @per_example_inside_vmap
    def logsf(self, x: Any, *args: Any, **kwargs: Any) -> Tensor:
        """``log P(X > x)``."""
        return self._distribution_function("logsf", x, args, kwargs, 0.0, -_INF)


# ------------------------------------------------------------- continuous
class _Norm(_Continuous):
    name = "norm"

    def _logpdf(self, z: Any) -> Any:
        return -0.5 * z * z - 0.5 * _LOG_2PI

    def _cdf(self, z: Any) -> Any:
        return _special.ndtr(z)

    def _logcdf(self, z: Any) -> Any:
        return _special.log_ndtr(z)

    def _sf(self, z: Any) -> Any:
        return _special.ndtr(-z)

    def _logsf(self, z: Any) -> Any:
        return _special.log_ndtr(-z)


class _T(_Continuous):
    name = "t"
    shapes = ("df",)
    constant_in_cdf = ("df",)

    def _valid(self, *shapes: np.ndarray) -> Any:
        df, = shapes
        return df > 0

    def _logpdf(self, z: Any, df: Any) -> Any:
        half = 0.5 * (df + 1.0)
        return (_special.gammaln(half) - _special.gammaln(0.5 * df)
                - 0.5 * _ops.log(df * math.pi) - half * _ops.log1p(z * z / df))

    def _cdf(self, z: Any, df: Any) -> Any:
        return _special.stdtr(df, z)

    def _sf(self, z: Any, df: Any) -> Any:
        return _special.stdtr(df, -z)


class _Cauchy(_Continuous):
    name = "cauchy"

    def _logpdf(self, z: Any) -> Any:
        return -math.log(math.pi) - _ops.log1p(z * z)

    def _cdf(self, z: Any) -> Any:
        return 0.5 + _ops.arctan(z) / math.pi

    def _sf(self, z: Any) -> Any:
        return 0.5 - _ops.arctan(z) / math.pi


class _Laplace(_Continuous):
    name = "laplace"

    def _logpdf(self, z: Any) -> Any:
        return -math.log(2.0) - _ops.abs(z)

    def _logcdf(self, z: Any) -> Any:
        # log(exp(z)/2) for z < 0, log(1 - exp(-z)/2) above; each branch on its own half
        negative = _raw(z) < 0
        low = _ops.where(negative, z, 0.0)  # (not minimum(z, 0): its slope at z = 0 is 0)
        high = _ops.where(negative, 0.0, z)
        return _ops.where(negative, low - math.log(2.0), _ops.log1p(-0.5 * _ops.exp(-high)))

    def _logsf(self, z: Any) -> Any:
        return self._logcdf(-z)

    def _cdf(self, z: Any) -> Any:
        return _ops.exp(self._logcdf(z))

    def _sf(self, z: Any) -> Any:
        return _ops.exp(self._logcdf(-z))


class _Logistic(_Continuous):
    name = "logistic"

    def _logpdf(self, z: Any) -> Any:
        return -_ops.softplus(z) - _ops.softplus(-z)

    def _cdf(self, z: Any) -> Any:
        return _special.expit(z)

    def _logcdf(self, z: Any) -> Any:
        return _special.log_expit(z)

    def _sf(self, z: Any) -> Any:
        return _special.expit(-z)

    def _logsf(self, z: Any) -> Any:
        return _special.log_expit(-z)


class _Expon(_Continuous):
    name = "expon"

    def _bounds(self, *shapes: np.ndarray) -> tuple[float, float]:
        return 0.0, _INF

    def _safe(self, *shapes: np.ndarray) -> float:
        return 1.0

    def _logpdf(self, z: Any) -> Any:
        return -z

    def _cdf(self, z: Any) -> Any:
        return -_ops.expm1(-z)

    def _sf(self, z: Any) -> Any:
        return _ops.exp(-z)

    def _logsf(self, z: Any) -> Any:
        return -z


class _Gamma(_Continuous):
    name = "gamma"
    shapes = ("a",)
    constant_in_cdf = ("a",)

    def _bounds(self, *shapes: np.ndarray) -> tuple[float, float]:
        return 0.0, _INF

    def _safe(self, *shapes: np.ndarray) -> float:
        return 1.0

    def _valid(self, *shapes: np.ndarray) -> Any:
        a, = shapes
        return a > 0

    def _logpdf(self, z: Any, a: Any) -> Any:
        return _special.xlogy(a - 1.0, z) - z - _special.gammaln(a)

    def _cdf(self, z: Any, a: Any) -> Any:
        return _special.gammainc(a, z)

    def _sf(self, z: Any, a: Any) -> Any:
        return _special.gammaincc(a, z)


class _Chi2(_Continuous):
    name = "chi2"
    shapes = ("df",)
    constant_in_cdf = ("df",)

    def _bounds(self, *shapes: np.ndarray) -> tuple[float, float]:
        return 0.0, _INF

    def _safe(self, *shapes: np.ndarray) -> float:
        return 1.0

    def _valid(self, *shapes: np.ndarray) -> Any:
        df, = shapes
        return df > 0

    def _logpdf(self, z: Any, df: Any) -> Any:
        half = 0.5 * df
        return (_special.xlogy(half - 1.0, z) - 0.5 * z - _special.gammaln(half)
                - half * math.log(2.0))

    def _cdf(self, z: Any, df: Any) -> Any:
        return _special.gammainc(0.5 * df, 0.5 * z)

    def _sf(self, z: Any, df: Any) -> Any:
        return _special.gammaincc(0.5 * df, 0.5 * z)


class _Beta(_Continuous):
    name = "beta"
    shapes = ("a", "b")
    constant_in_cdf = ("a", "b")

    def _bounds(self, *shapes: np.ndarray) -> tuple[float, float]:
        return 0.0, 1.0

    def _safe(self, *shapes: np.ndarray) -> float:
        return 0.5

    def _valid(self, *shapes: np.ndarray) -> Any:
        a, b = shapes
        return (a > 0) & (b > 0)

    def _logpdf(self, z: Any, a: Any, b: Any) -> Any:
        return (_special.xlogy(a - 1.0, z) + _special.xlog1py(b - 1.0, -z)
                - _special.betaln(a, b))

    def _cdf(self, z: Any, a: Any, b: Any) -> Any:
        return _special.betainc(a, b, z)

    def _sf(self, z: Any, a: Any, b: Any) -> Any:
        return _special.betainc(b, a, 1.0 - z)


class _Lognorm(_Continuous):
    name = "lognorm"
    shapes = ("s",)
    open_low = True

    def _bounds(self, *shapes: np.ndarray) -> tuple[float, float]:
        return 0.0, _INF

    def _safe(self, *shapes: np.ndarray) -> float:
        return 1.0

    def _valid(self, *shapes: np.ndarray) -> Any:
        s, = shapes
        return s > 0

    def _logpdf(self, z: Any, s: Any) -> Any:
        log_z = _ops.log(z)
        u = log_z / s
        return -0.5 * u * u - _ops.log(s) - log_z - 0.5 * _LOG_2PI

    def _cdf(self, z: Any, s: Any) -> Any:
        return _special.ndtr(_ops.log(z) / s)

    def _logcdf(self, z: Any, s: Any) -> Any:
        return _special.log_ndtr(_ops.log(z) / s)

    def _sf(self, z: Any, s: Any) -> Any:
        return _special.ndtr(-_ops.log(z) / s)

    def _logsf(self, z: Any, s: Any) -> Any:
        return _special.log_ndtr(-_ops.log(z) / s)


class _Uniform(_Continuous):
    name = "uniform"

    def _bounds(self, *shapes: np.ndarray) -> tuple[float, float]:
        return 0.0, 1.0

    def _safe(self, *shapes: np.ndarray) -> float:
        return 0.5

    def _logpdf(self, z: Any) -> Any:
        return 0.0 * z

    def _cdf(self, z: Any) -> Any:
        return z

    def _sf(self, z: Any) -> Any:
        return 1.0 - z


# --------------------------------------------------------------- discrete
class _Discrete(_Distribution):
    """A discrete family on the integers ``low .. high`` (shifted by ``loc``)."""

    has_scale = False

    def _bounds(self, *shapes: np.ndarray) -> tuple[Any, Any]:
        return 0.0, _INF

    def _valid(self, *shapes: np.ndarray) -> Any:
        return True

    # defined by each distribution, on integer k inside the support
    _logpmf: Callable[..., Any]
    _cdf: Callable[..., Any]
    _sf: Callable[..., Any]

    def _prepare(self, method: str, k: Any, args: tuple, kwargs: dict) -> tuple:
        if _differentiated(k):
            raise ValueError(f"dualad.scipy.stats.{self.name}.{method}: k is a count, with no "
                             "derivative; pass it as a constant (k.detach())")
        shapes, loc, _ = self._parse(method, args, kwargs)
        if _differentiated(loc):
            raise ValueError(f"dualad.scipy.stats.{self.name}.{method}: loc shifts integer "
                             "counts and has no derivative; pass it as a constant")
        raw_shapes = [_raw(s) for s in shapes]
        kr = _raw(k) - _raw(loc)
        low, high = self._bounds(*raw_shapes)
        with np.errstate(invalid="ignore"):
            valid = np.asarray(self._valid(*raw_shapes)) & ~np.isnan(kr)
        shape = np.broadcast_shapes(np.shape(kr), *[np.shape(s) for s in raw_shapes])
        return shapes, np.broadcast_to(kr, shape), low, high, np.broadcast_to(valid, shape)

    def _invalid_to_nan(self, out: Any, valid: np.ndarray) -> Tensor:
        return out if np.all(valid) else _ops.where(valid, out, _NAN)

    @per_example_inside_vmap
    def logpmf(self, k: Any, *args: Any, **kwargs: Any) -> Tensor:
        """The log probability of ``k``; ``-inf`` off the support (zero gradient)."""
        shapes, kr, low, high, valid = self._prepare("logpmf", k, args, kwargs)
        with np.errstate(invalid="ignore"):
            inside = (kr == np.floor(kr)) & (kr >= low) & (kr <= high) & valid
        value = self._logpmf(np.where(inside, kr, np.where(valid, low, 0.0)), *shapes)
        return self._invalid_to_nan(_ops.where(inside, value, -_INF), valid)

    def pmf(self, k: Any, *args: Any, **kwargs: Any) -> Tensor:
        """The probability of ``k``."""
        return _ops.exp(self.logpmf(k, *args, **kwargs))

    def _tail(self, method: str, k: Any, args: tuple, kwargs: dict) -> Tensor:
        shapes, kr, low, high, valid = self._prepare(method, k, args, kwargs)
        self._check_cdf_constants(method, shapes)
        with np.errstate(invalid="ignore"):
            floor = np.floor(kr)
            inside = (floor >= low) & (floor < high) & valid
            below = floor < low
        safe = np.where(inside, floor, np.where(valid, low, 0.0))
        function = self._cdf if method in ("cdf", "logcdf") else self._sf
        value = function(safe, *shapes)
        outside = np.where(below, 0.0, 1.0) if method in ("cdf", "logcdf") else \
            np.where(below, 1.0, 0.0)
        out = self._invalid_to_nan(_ops.where(inside, value, outside), valid)
        return _ops.log(out) if method.startswith("log") else out

    @per_example_inside_vmap
    def cdf(self, k: Any, *args: Any, **kwargs: Any) -> Tensor:
        """``P(K <= k)``."""
        return self._tail("cdf", k, args, kwargs)

    @per_example_inside_vmap
    def logcdf(self, k: Any, *args: Any, **kwargs: Any) -> Tensor:
        """``log P(K <= k)``."""
        return self._tail("logcdf", k, args, kwargs)

    @per_example_inside_vmap
    def sf(self, k: Any, *args: Any, **kwargs: Any) -> Tensor:
        """``P(K > k)``."""
        return self._tail("sf", k, args, kwargs)

    @per_example_inside_vmap
    def logsf(self, k: Any, *args: Any, **kwargs: Any) -> Tensor:
        """``log P(K > k)``."""
        return self._tail("logsf", k, args, kwargs)


def _in_unit(p: np.ndarray) -> Any:
    return (p >= 0) & (p <= 1)


class _Poisson(_Discrete):
    name = "poisson"
    shapes = ("mu",)

    def _valid(self, *shapes: np.ndarray) -> Any:
        mu, = shapes
        return mu >= 0

    def _logpmf(self, k: np.ndarray, mu: Any) -> Any:
        return _special.xlogy(k, mu) - mu - _special.gammaln(k + 1.0)

    def _cdf(self, k: np.ndarray, mu: Any) -> Any:
        return _special.gammaincc(k + 1.0, mu)

    def _sf(self, k: np.ndarray, mu: Any) -> Any:
        return _special.gammainc(k + 1.0, mu)


class _Binom(_Discrete):
    name = "binom"
    shapes = ("n", "p")
    constant_in_cdf = ("n",)

    def _bounds(self, *shapes: np.ndarray) -> tuple[Any, Any]:
        n, _ = shapes
        return 0.0, n

    def _valid(self, *shapes: np.ndarray) -> Any:
        n, p = shapes
        return (n >= 0) & (n == np.floor(n)) & _in_unit(p)

    def _logpmf(self, k: np.ndarray, n: Any, p: Any) -> Any:
        return (_special.gammaln(n + 1.0) - _special.gammaln(k + 1.0)
                - _special.gammaln(n - k + 1.0) + _special.xlogy(k, p)
                + _special.xlog1py(n - k, -p))

    def _cdf(self, k: np.ndarray, n: Any, p: Any) -> Any:
        return _special.betainc(_raw(n) - k, k + 1.0, 1.0 - p)

    def _sf(self, k: np.ndarray, n: Any, p: Any) -> Any:
        return _special.betainc(k + 1.0, _raw(n) - k, p)


class _Nbinom(_Discrete):
    name = "nbinom"
    shapes = ("n", "p")

    def _valid(self, *shapes: np.ndarray) -> Any:
        n, p = shapes
        return (n > 0) & (p > 0) & (p <= 1)

    def _logpmf(self, k: np.ndarray, n: Any, p: Any) -> Any:
        return (_special.gammaln(n + k) - _special.gammaln(n) - _special.gammaln(k + 1.0)
                + n * _ops.log(p) + _special.xlog1py(k, -p))

    def _cdf(self, k: np.ndarray, n: Any, p: Any) -> Any:
        return _special.betainc(n, k + 1.0, p)

    def _sf(self, k: np.ndarray, n: Any, p: Any) -> Any:
        return _special.betainc(k + 1.0, n, 1.0 - p)

    constant_in_cdf = ("n",)


class _Bernoulli(_Discrete):
    name = "bernoulli"
    shapes = ("p",)

    def _bounds(self, *shapes: np.ndarray) -> tuple[Any, Any]:
        return 0.0, 1.0

    def _valid(self, *shapes: np.ndarray) -> Any:
        p, = shapes
        return _in_unit(p)

    def _logpmf(self, k: np.ndarray, p: Any) -> Any:
        return _special.xlogy(k, p) + _special.xlog1py(1.0 - k, -p)

    def _cdf(self, k: np.ndarray, p: Any) -> Any:
        return 1.0 - p + 0.0 * k

    def _sf(self, k: np.ndarray, p: Any) -> Any:
        return p + 0.0 * k


class _Geom(_Discrete):
    name = "geom"
    shapes = ("p",)

    def _bounds(self, *shapes: np.ndarray) -> tuple[Any, Any]:
        return 1.0, _INF

    def _valid(self, *shapes: np.ndarray) -> Any:
        p, = shapes
        return (p > 0) & (p <= 1)

    def _logpmf(self, k: np.ndarray, p: Any) -> Any:
        return _special.xlog1py(k - 1.0, -p) + _ops.log(p)

    def _cdf(self, k: np.ndarray, p: Any) -> Any:
        return -_ops.expm1(k * _ops.log1p(-p))

    def _sf(self, k: np.ndarray, p: Any) -> Any:
        return _ops.exp(k * _ops.log1p(-p))


class _Dirichlet:
    """The Dirichlet distribution: ``logpdf(x, alpha)``, ``pdf(x, alpha)``."""

    name = "dirichlet"

    def _components(self, x: Any, alpha: Any) -> tuple[Any, np.ndarray]:
        a = _raw(alpha)
        if a.ndim != 1 or a.size < 2 or not np.all(a > 0):
            raise ValueError("dualad.scipy.stats.dirichlet: alpha must be a 1-d array of at "
                             f"least 2 values > 0, got shape {a.shape}")
        x = _as_tensor(x)
        xr = _raw(x)
        k = a.size
        if xr.ndim == 0 or xr.shape[0] not in (k - 1, k):
            raise ValueError(f"dualad.scipy.stats.dirichlet: x must have {k} (or {k - 1}) "
                             f"components along its first axis (SciPy's layout), got shape "
                             f"{xr.shape}")
        if xr.shape[0] == k - 1:
            last = 1.0 - _ops.sum(x, axis=0, keepdims=True)
            x = _ops.concatenate([x, last], axis=0)
            xr = _raw(x)
        if np.any(xr < 0) or np.any(xr > 1) or np.any(np.abs(xr.sum(axis=0) - 1.0) > 1e-9):
            raise ValueError("dualad.scipy.stats.dirichlet: x must lie in the simplex "
                             "(components in [0, 1] that sum to 1 along the first axis)")
        if np.any((xr == 0) & (a.reshape((k,) + (1,) * (xr.ndim - 1)) < 1)):
            raise ValueError("dualad.scipy.stats.dirichlet: x has a 0 component where alpha < 1 "
                             "(the density is infinite there)")
        return x, a

    @per_example_inside_vmap
    def logpdf(self, x: Any, alpha: Any) -> Tensor:
        """The log density at ``x`` (components along the first axis, as in SciPy; the last
        one may be left out), differentiable in ``x`` and ``alpha``.

        >>> import dualad as da
        >>> from dualad.scipy import stats
        >>> round(stats.dirichlet.logpdf(da.tensor([0.2, 0.8]), [1.0, 1.0]).item(), 12)
        0.0
        """
        x, a = self._components(x, alpha)
        column = (a.size,) + (1,) * (x.ndim - 1)
        alphas = _ops.reshape(alpha if isinstance(alpha, Tensor) else Tensor(a), column)
        log_norm = _ops.sum(_special.gammaln(alpha)) - _special.gammaln(_ops.sum(alpha))
        return _ops.sum(_special.xlogy(alphas - 1.0, x), axis=0) - log_norm

    def pdf(self, x: Any, alpha: Any) -> Tensor:
        """The density at ``x``."""
        return _ops.exp(self.logpdf(x, alpha))

    def __repr__(self) -> str:
        return "<dualad.scipy.stats.dirichlet>"


class _MultivariateNormal:
    """The multivariate normal distribution: ``logpdf(x, mean=None, cov=1)``, ``pdf``."""

    name = "multivariate_normal"

    @per_example_inside_vmap
    def logpdf(self, x: Any, mean: Any = None, cov: Any = 1, allow_singular: bool = False
               ) -> Tensor:
        """The log density at ``x`` (points along the last axis), differentiable in ``x``,
        ``mean`` and ``cov`` (a number, a diagonal as 1-d, or a symmetric positive definite
        matrix, of which the symmetric part is used: its gradient is symmetric).

        >>> import dualad as da
        >>> from dualad.scipy import stats
        >>> cov = da.tensor([[2.0, 0.0], [0.0, 2.0]], requires_grad=True)
        >>> stats.multivariate_normal.logpdf(da.tensor([0.0, 0.0]), cov=cov).backward()
        >>> cov.grad.tolist() == [[-0.25, 0.0], [0.0, -0.25]]  # -inv(cov)/2 at the mean
        True
        """
        if allow_singular:
            raise ValueError("dualad.scipy.stats.multivariate_normal.logpdf: allow_singular="
                             "True is not supported; pass a positive definite cov")
        c = _raw(cov)
        if c.ndim > 2:
            raise ValueError("dualad.scipy.stats.multivariate_normal.logpdf: cov must be a "
                             f"number, a 1-d diagonal or a 2-d matrix, got shape {c.shape}")
        if mean is not None:
            d = max(_raw(mean).size, 1) if _raw(mean).ndim <= 1 else -1
            if d < 0:
                raise ValueError("dualad.scipy.stats.multivariate_normal.logpdf: mean must be "
                                 "a number or a 1-d array")
        else:
            d = c.shape[0] if c.ndim >= 1 else 1
        if c.ndim >= 1 and c.shape[0] != d or c.ndim == 2 and c.shape != (d, d):
            raise ValueError(f"dualad.scipy.stats.multivariate_normal.logpdf: cov has shape "
                             f"{c.shape} but the dimension is {d}")
        x = _as_tensor(x)
        if d == 1 and (x.ndim == 0 or x.shape[-1] != 1):
            x = _ops.reshape(x, x.shape + (1,))  # each element is a 1-d point (SciPy)
        if x.shape[-1] != d:
            raise ValueError(f"dualad.scipy.stats.multivariate_normal.logpdf: x has "
                             f"{x.shape[-1]} components along its last axis, the dimension "
                             f"is {d}")
        diff = x - (0.0 if mean is None else _ops.reshape(_as_tensor(mean), (d,)))
        if c.ndim < 2:
            if np.any(c <= 0):
                raise ValueError("dualad.scipy.stats.multivariate_normal.logpdf: the "
                                 "variances in cov must be > 0")
            variances = cov if c.ndim == 1 else cov * np.ones(d)
            mahalanobis = _ops.sum(diff * diff / variances, axis=-1)
            log_det = _ops.sum(_ops.log(_as_tensor(variances)))
        else:
            size = float(np.abs(c).max())
            if np.abs(c - c.T).max() > 1e-5 * size or np.any(np.linalg.eigvalsh(c) <= 0):
                raise ValueError("dualad.scipy.stats.multivariate_normal.logpdf: cov must be "
                                 "symmetric positive definite")
            # its symmetric part: the gradient is then symmetric, and right for every
            # perturbation of a symmetric cov (finite differences move one entry at a time)
            cov = 0.5 * (cov + _ops.transpose(_as_tensor(cov), 0, 1))
            batch = diff.shape[:-1]
            columns = _ops.transpose(_ops.reshape(diff, (-1, d)), 0, 1)  # (d, points)
            solved = _ops.solve(cov, columns)
            mahalanobis = _ops.reshape(_ops.sum(columns * solved, axis=0), batch)
            log_det = _ops.log(_ops.det(cov))
        return -0.5 * (mahalanobis + log_det + d * _LOG_2PI)

    def pdf(self, x: Any, mean: Any = None, cov: Any = 1, allow_singular: bool = False
            ) -> Tensor:
        """The density at ``x``."""
        return _ops.exp(self.logpdf(x, mean, cov, allow_singular))

    def __repr__(self) -> str:
        return "<dualad.scipy.stats.multivariate_normal>"


norm = _Norm()
t = _T()
cauchy = _Cauchy()
laplace = _Laplace()
logistic = _Logistic()
expon = _Expon()
gamma = _Gamma()
beta = _Beta()
chi2 = _Chi2()
lognorm = _Lognorm()
uniform = _Uniform()
poisson = _Poisson()
binom = _Binom()
nbinom = _Nbinom()
bernoulli = _Bernoulli()
geom = _Geom()
dirichlet = _Dirichlet()
multivariate_normal = _MultivariateNormal()

__all__ = ["norm", "t", "cauchy", "laplace", "logistic", "expon", "gamma", "beta", "chi2",
           "lognorm", "uniform", "poisson", "binom", "nbinom", "bernoulli", "geom", "dirichlet",
           "multivariate_normal"]

"""NumPy's statistics and sampling functions on tensors: ``interp``, ``cov``, ``corrcoef``,
``median``, ``percentile``, ``quantile`` and ``linspace`` with tensor endpoints.

Composites of registry ops (getitem, where, the ``sort`` op, matmul, ...), so both
modes and every order come from those ops. Conventions at the nondifferentiable
points (docs/nondifferentiable.md): ``interp`` takes, at a knot, the slope of the
segment to its right (at the last knot, of the segment to its left: JAX's choice);
quantiles differentiate through the selected sorted element(s), and tied elements
share the derivative equally (the convention of ``sort``).

>>> import dualad as da
>>> x = da.tensor([3.0, 1.0, 2.0, 5.0], requires_grad=True)
>>> da.ops.np_median(x).backward(); x.grad.tolist()
[0.5, 0.0, 0.5, 0.0]
"""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from ..tensor import Tensor, _wrap, ndim_of, shape_of
from .elementwise import clip, sqrt, where
from .linalg import matmul
from .numpy_index import np_sort
from .numpy_shape import atleast_2d, moveaxis
from .reductions import ValuesIndices
from .reductions import sum as _sum
from .shape import T, astype, concatenate, getitem, permute, reshape, squeeze


def _raw(v: Any) -> Any:
    return v._data if isinstance(v, Tensor) else np.asarray(v)


def _float_tensor(a: Any) -> Tensor:
    t = a if isinstance(a, Tensor) else Tensor(np.asarray(a))
    return t if t.dtype.kind in "fc" else astype(t, np.float64)


def _constant(v: Any, name: str, what: str) -> Any:
    if isinstance(v, Tensor) and v.requires_grad:
        raise TypeError(f"{name}: {what} is treated as a constant and cannot be differentiated; "
                        "pass it detached (t.detach())")
    return None if v is None else np.asarray(_raw(v))


# ------------------------------------------------------------------- interp
def interp(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None,
           period: Any = None) -> Tensor:
    """NumPy's ``interp``: piecewise-linear interpolation, differentiable in ``x`` and in
    ``fp`` (and in ``left``/``right``); ``xp`` is a constant. At a knot ``x == xp[k]`` the
    derivative in ``x`` is the slope of the segment to the right (at the last knot, of the
    segment to the left); beyond the ends it is 0.

    >>> import dualad as da
    >>> da.interp(da.tensor(1.5), [1.0, 2.0, 3.0], da.tensor([0.0, 10.0, 0.0])).item()
    5.0
    """
    if period is not None:
        raise TypeError("interp on a dualad Tensor does not support period=")
    knots = np.asarray(_constant(xp, "interp", "xp"), dtype=np.float64)
    values = _float_tensor(fp)
    if knots.ndim != 1 or ndim_of(values) != 1:
        raise ValueError("object too deep for desired array" if ndim_of(values) > 1 else
                         "interp: xp and fp must be 1-d")
    n = knots.size
    if n == 0:
        raise ValueError("array of sample points is empty")
    if shape_of(values)[0] != n:
        raise ValueError("fp and xp are not of the same length.")
    xt = _float_tensor(x)
    xr = xt._data
    lo_value = getitem(values, 0) if left is None else left
    hi_value = getitem(values, n - 1) if right is None else right
    if n == 1:
        inside: Any = getitem(values, np.zeros(xr.shape, dtype=np.intp))
    else:
        i = np.clip(np.searchsorted(knots, xr, side="right"), 1, n - 1)
        dx = knots[i] - knots[i - 1]
        flat = dx == 0
        f_lo, f_hi = getitem(values, i - 1), getitem(values, i)
        slope = (f_hi - f_lo) / np.where(flat, 1.0, dx)
        inside = where(flat, f_hi, slope * (xt - knots[i - 1]) + f_lo)
    out = where(xr < knots[0], lo_value, where(xr > knots[-1], hi_value, inside))
    return out if isinstance(out, Tensor) else Tensor(np.asarray(out))


# ---------------------------------------------------------------- cov, corrcoef
def _weights(fweights: Any, aweights: Any, n: int) -> np.ndarray | None:
    w = None
    if fweights is not None:
        f = np.asarray(_constant(fweights, "cov", "fweights"), dtype=np.float64)
        if not np.all(f == np.around(f)):
            raise TypeError("fweights must be integer")
        if f.ndim > 1:
            raise RuntimeError("cannot handle multidimensional fweights")
        if f.shape[0] != n:
            raise RuntimeError("incompatible numbers of samples and fweights")
        if np.any(f < 0):
            raise ValueError("fweights cannot be negative")
        w = f
    if aweights is not None:
        a = np.asarray(_constant(aweights, "cov", "aweights"), dtype=np.float64)
        if a.ndim > 1:
            raise RuntimeError("cannot handle multidimensional aweights")
        if a.shape[0] != n:
            raise RuntimeError("incompatible numbers of samples and aweights")
        if np.any(a < 0):
            raise ValueError("aweights cannot be negative")
        w = a if w is None else w * a
    return w


def cov(m: Any, y: Any = None, rowvar: bool = True, bias: bool = False, ddof: Any = None,
        fweights: Any = None, aweights: Any = None, *, dtype: Any = None,
        correction: Any = None) -> Tensor:
    """NumPy's ``cov``: the covariance matrix of the variables in the rows of ``m`` (columns
    when ``rowvar=False``), with ``bias``, ``ddof`` and frequency/analytic weights (constants).
    PyTorch's ``correction=`` is accepted as ``ddof``.

    >>> import dualad as da
    >>> da.cov(da.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])).tolist()
    [[1.0, -1.0], [-1.0, 1.0]]
    """
    if correction is not None:
        ddof = correction
    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    if ndim_of(m) > 2:
        raise ValueError("m has more than 2 dimensions")
    X = atleast_2d(_float_tensor(m))  # noqa: N806 (NumPy's names)
    if not rowvar and shape_of(X)[0] != 1:
        X = T(X)  # noqa: N806
    if y is not None:
        if ndim_of(y) > 2:
            raise ValueError("y has more than 2 dimensions")
        Y = atleast_2d(_float_tensor(y))  # noqa: N806
        if not rowvar and shape_of(Y)[0] != 1:
            Y = T(Y)  # noqa: N806
        X = concatenate([X, Y], axis=0)  # noqa: N806
    if ddof is None:
        ddof = 0 if bias else 1
    n = shape_of(X)[1]
    w = _weights(fweights, aweights, n)
    if w is None:
        avg = _sum(X, axis=1, keepdims=True) / float(n) if n else _sum(X, axis=1,
                                                                         keepdims=True) * np.nan
        fact = float(n - ddof)
    else:
        w_sum = float(w.sum())
        if w_sum == 0:
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")
        avg = _sum(X * w, axis=1, keepdims=True) / w_sum
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = w_sum - ddof
        else:
            aw = np.asarray(_raw(aweights), dtype=np.float64)
            fact = w_sum - ddof * float(np.sum(w * aw)) / w_sum
    if fact <= 0:
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=2)
        fact = 0.0
    Xc = X - avg  # noqa: N806
    with np.errstate(divide="ignore", invalid="ignore"):
        c = matmul(Xc, T(Xc if w is None else Xc * w)) / fact
    out = squeeze(c)
    return out if dtype is None else astype(out, dtype)


def corrcoef(x: Any, y: Any = None, rowvar: bool = True, *, dtype: Any = None) -> Tensor:
    """NumPy's ``corrcoef``: Pearson correlation coefficients, clipped to [-1, 1] as NumPy
    does (the derivative of a clipped entry is 0).

    >>> import dualad as da
    >>> da.corrcoef(da.tensor([[1.0, 2.0, 4.0], [2.0, 4.0, 8.0]]))[0, 1].item()
    1.0
    """
    c = cov(x, y, rowvar, dtype=dtype)
    if ndim_of(c) == 0:
        return c / c
    d = sqrt(getitem(c, (np.arange(shape_of(c)[0]),) * 2))
    c = c / reshape(d, (-1, 1))
    c = c / reshape(d, (1, -1))
    return clip(c, -1.0, 1.0)


# --------------------------------------------------- median, percentile, quantile
_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _reduced_last(a: Tensor, axis: Any) -> tuple[Tensor, tuple]:
    """``a`` with the reduced axes merged into one last axis, and the reduced axes."""
    nd = ndim_of(a)
    axes = tuple(range(nd)) if axis is None else normalize_axis_tuple(axis, nd)
    kept = [d for d in range(nd) if d not in axes]
    moved = permute(a, kept + list(axes)) if nd else a
    merged = reshape(moved, tuple(shape_of(a)[d] for d in kept) + (-1,))
    return merged, axes


def _finish(out: Tensor, a: Tensor, axes: tuple, q_shape: tuple, keepdims: bool) -> Tensor:
    """Move the q axes first (NumPy's order) and restore kept dimensions."""
    nq = len(q_shape)
    if nq:
        out = moveaxis(out, tuple(range(ndim_of(out) - nq, ndim_of(out))), tuple(range(nq)))
    if keepdims:
        shape = tuple(1 if d in axes else n for d, n in enumerate(shape_of(a)))
        out = reshape(out, q_shape + shape)
    return out


def _quantile(a: Any, q: np.ndarray, axis: Any, method: str, keepdims: bool,
              name: str) -> Tensor:
    if method not in _METHODS:
        raise ValueError(f"{name} on a dualad Tensor supports method in {_METHODS}; "
                         f"got {method!r}")
    if not (np.all(q >= 0) and np.all(q <= 1)):
        raise ValueError("Quantiles must be in the range [0, 1]" if name == "quantile" else
                         "Percentiles must be in the range [0, 100]")
    x = _float_tensor(a)
    merged, axes = _reduced_last(x, axis)
    n = shape_of(merged)[-1]
    if n == 0:
        raise ValueError(f"{name}: cannot take a quantile of an empty slice")
    s = np_sort(merged, axis=-1)
    vi = q * (n - 1)
    lo = np.floor(vi).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    t = vi - lo
    if method == "lower":
        hi, t = lo, np.zeros_like(t)
    elif method == "higher":
        lo = hi = np.ceil(vi).astype(np.intp)
        t = np.zeros_like(t)
    elif method == "nearest":
        lo = hi = np.around(vi).astype(np.intp)
        t = np.zeros_like(t)
    elif method == "midpoint":
        t = np.where(hi > lo, 0.5, 0.0)
    below, above = getitem(s, (Ellipsis, lo)), getitem(s, (Ellipsis, hi))
    gap = above - below
    out = where(t >= 0.5, above - gap * (1.0 - t), below + gap * t)
    has_nan = np.isnan(merged._data).any(axis=-1)
    if has_nan.any():
        out = where(has_nan.reshape(has_nan.shape + (1,) * q.ndim), np.nan, out)
    return _finish(out, x, axes, q.shape, keepdims)


def _quantile_args(name: str, out: Any, overwrite_input: bool, weights: Any,
                   interpolation: Any, method: str) -> str:
    if out is not None:
        raise TypeError(f"{name} on a dualad Tensor does not support out=")
    if weights is not None:
        raise TypeError(f"{name} on a dualad Tensor does not support weights=")
    return method if interpolation is None else interpolation


def quantile(a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
             method: str = "linear", keepdims: bool = False, *, weights: Any = None,
             interpolation: Any = None, dim: Any = None, keepdim: Any = None) -> Tensor:
    """NumPy's (and PyTorch's) ``quantile`` for ``q`` in [0, 1] (a constant), with the
    methods 'linear' (default), 'lower', 'higher', 'midpoint', 'nearest'. The derivative
    goes through the selected sorted element(s); tied elements share it equally.

    >>> import dualad as da
    >>> da.quantile(da.tensor([1.0, 2.0, 3.0, 4.0]), 0.25).item()
    1.75
    """
    method = _quantile_args("quantile", out, overwrite_input, weights, interpolation, method)
    axis = dim if dim is not None else axis
    keepdims = bool(keepdim) if keepdim is not None else keepdims
    qa = np.asarray(_constant(q, "quantile", "q"), dtype=np.float64)
    return _quantile(a, qa, axis, method, keepdims, "quantile")


def percentile(a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
               method: str = "linear", keepdims: bool = False, *, weights: Any = None,
               interpolation: Any = None) -> Tensor:
    """NumPy's ``percentile``: :func:`quantile` of ``q / 100``.

    >>> import dualad as da
    >>> da.percentile(da.tensor([1.0, 2.0, 3.0, 4.0]), 50).item()
    2.5
    """
    method = _quantile_args("percentile", out, overwrite_input, weights, interpolation, method)
    qa = np.true_divide(np.asarray(_constant(q, "percentile", "q"), dtype=np.float64), 100)
    return _quantile(a, qa, axis, method, keepdims, "percentile")


def np_median(a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
              keepdims: bool = False) -> Tensor:
    """NumPy's ``median``: the middle sorted element, or the mean of the two middle ones
    (``da.median`` is PyTorch's: the lower one). Tied elements share the derivative.

    >>> import dualad as da
    >>> da.ops.np_median(da.tensor([4.0, 1.0, 3.0, 2.0])).item()
    2.5
    """
    if out is not None:
        raise TypeError("median on a dualad Tensor does not support out=")
    x = _float_tensor(a)
    merged, axes = _reduced_last(x, axis)
    n = shape_of(merged)[-1]
    if n == 0:
        raise ValueError("median: cannot take the median of an empty slice")
    s = np_sort(merged, axis=-1)
    mid = getitem(s, (Ellipsis, n // 2))
    if n % 2 == 0:
        mid = (getitem(s, (Ellipsis, n // 2 - 1)) + mid) / 2.0
    has_nan = np.isnan(merged._data).any(axis=-1)
    if has_nan.any():
        mid = where(has_nan, np.nan, mid)
    return _finish(mid, x, axes, (), keepdims)


def median(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
           keepdims: Any = None) -> Any:
    """PyTorch's ``median``: the lower of the two middle elements for an even count; with
    ``dim``, ``(values, indices)``. Tied elements share the derivative (PyTorch gives it to
    the returned index). ``np.median(t)`` is NumPy's (:func:`np_median`).

    >>> import dualad as da
    >>> da.median(da.tensor([4.0, 1.0, 3.0, 2.0])).item()
    2.0
    """
    dim = axis if dim is None else dim
    keep = bool(keepdims) if keepdims is not None else keepdim
    if dim is None:
        return quantile(x, 0.5, method="lower")
    x = _float_tensor(x)
    values = quantile(x, 0.5, axis=int(dim), method="lower", keepdims=keep)
    raw = x._data
    ax = int(dim) % max(raw.ndim, 1)
    n = raw.shape[ax] if raw.ndim else 1
    order = np.argsort(raw, axis=ax, kind="stable") if raw.ndim else np.zeros((), np.intp)
    index = np.take(order, (n - 1) // 2, axis=ax) if raw.ndim else order
    if keep and raw.ndim:
        index = np.expand_dims(index, ax)
    return ValuesIndices(values, _wrap(np.asarray(index, dtype=np.int64)))


# ------------------------------------------------------------------ linspace
def np_linspace(start: Any, stop: Any, num: Any = 50, endpoint: bool = True,
                retstep: bool = False, dtype: Any = None, axis: int = 0, *,
                device: Any = None) -> Any:
    """NumPy's ``linspace`` with tensor endpoints, differentiable in ``start`` and ``stop``
    (``da.linspace`` is PyTorch's factory).

    >>> import dualad as da
    >>> s = da.tensor(1.0, requires_grad=True)
    >>> da.ops.np_linspace(s, 3.0, 3).sum().backward(); s.grad.item()
    1.5
    """
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    div = num - 1 if endpoint else num
    first, last = _float_tensor(start), _float_tensor(stop)
    delta = last - first
    extra = (1,) * max(ndim_of(delta), ndim_of(first))
    steps = np.arange(0, num, dtype=np.float64).reshape((-1,) + extra)
    step: Any = delta / float(div) if div > 0 else delta * np.nan
    y = steps * step + first if div > 0 else steps * delta + first
    if endpoint and num > 1:
        ends = reshape(last + 0.0 * first, (1,) + shape_of(y)[1:])
        y = concatenate([getitem(y, slice(0, -1)), ends], axis=0)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is not None:
        y = astype(y, dtype)
    return (y, step) if retstep else y


__all__ = ["interp", "cov", "corrcoef", "quantile", "percentile", "np_median", "median",
           "np_linspace"]

"""NumPy's statistics and sampling functions on tensors: ``interp``, ``cov``, ``corrcoef``,
``median``, ``percentile``, ``quantile`` and ``linspace`` with tensor endpoints.

``interp`` is a registry op; the others are composites of registry ops (getitem,
where, the ``sort`` op, matmul, ...), so both modes and every order come from those
ops. Conventions at the nondifferentiable points (docs/nondifferentiable.md):
``interp`` takes, at a knot, the number between the slopes on either side closest to
0 (the minimum-norm sub- or supergradient); quantiles differentiate through the
selected sorted element(s), and tied elements share the derivative equally (the
convention of ``sort``).

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

from .._sympy import sp
from ..batched_tensor import BatchedTensor
from ..registry import Domain, Kink, Op, apply, call, register_op
from ..tensor import Tensor, _wrap, ndim_of, shape_of
from ._define import Formula, kink_adjust
from .elementwise import clip, sqrt, where
from .linalg import matmul
from .numpy_index import np_sort
from .numpy_shape import atleast_2d, moveaxis
from .reductions import ValuesIndices
from .reductions import sum as _sum
from .shape import T, astype, concatenate, getitem, index_add, permute, reshape, squeeze
from .vmap_rules import raw_elementwise, raw_reduction


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
def _segment(xr: np.ndarray, xp: np.ndarray) -> np.ndarray:
    """The right end ``i`` of the segment ``[xp[i-1], xp[i]]`` whose line gives the value at
    ``xr`` (the segment to the right at an interior knot, the last one at the last knot)."""
    return np.clip(np.searchsorted(xp, xr, side="right"), 1, xp.size - 1)


def _slope(fp: Any, xp: np.ndarray, j: np.ndarray) -> Any:
    """The slope of the segment ``[xp[j], xp[j+1]]`` (``j`` clipped into range), from ``fp``
    with dualad ops when it is a tensor (so that it is differentiated again)."""
    j = np.clip(j, 0, xp.size - 2)
    dx = xp[j + 1] - xp[j]
    rise = getitem(fp, j + 1) - getitem(fp, j) if isinstance(fp, Tensor) else fp[j + 1] - fp[j]
    return rise / np.where(dx == 0, 1.0, dx)


def _knot_slopes(fp: Any, xp: np.ndarray, xr: np.ndarray, left: Any, right: Any) -> tuple:
    """The knot index of each ``x`` (``hit`` where ``x`` is a knot) and the slopes to its
    left and right there (0 beyond the ends; the inner slope at an end whose ``left`` or
    ``right`` value is given, where the value may jump)."""
    n = xp.size
    k = np.clip(np.searchsorted(xp, xr), 0, n - 1)
    hit = xp[k] == xr
    inner_l, inner_r = _slope(fp, xp, k - 1), _slope(fp, xp, k)
    zero = 0.0 * inner_l
    s_l = where(k >= 1, inner_l, inner_r if left is not None else zero)
    s_r = where(k <= n - 2, inner_r, inner_l if right is not None else zero)
    return hit, s_l, s_r


def _interp_dx(x: Any, fp: Any, xp: tuple, left: Any, right: Any, mode: str) -> Any:
    """d interp / dx: the slope of the segment; at a knot the number between the slopes to
    its left and right closest to 0 (minimum-norm sub- or supergradient)."""
    knots = np.asarray(xp)
    xr = _raw(x)
    if knots.size == 1:
        return 0.0 * x
    slope = _slope(fp, knots, _segment(xr, knots) - 1)
    inside = (xr >= knots[0]) & (xr <= knots[-1])
    d = where(inside, slope, 0.0 * slope)
    hit, s_l, s_r = _knot_slopes(fp, knots, xr, left, right)
    if hit.any():
        a, b = _raw(s_l), _raw(s_r)
        closest = where(a * b <= 0, 0.0 * s_l, where(np.abs(a) <= np.abs(b), s_l, s_r))
        d = where(hit, closest, d)
    d = d + 0.0 * x
    # (fp as a tuple: the policy's messages show the values of x-shaped inputs only)
    table = tuple(np.asarray(_raw(fp)).tolist())
    return kink_adjust(_INTERP, 0, d, (x, table), {"xp": xp, "left": left, "right": right},
                       mode)


def _interp_weights(x: Any, xp: tuple, left: Any, right: Any) -> tuple:
    """The two knots each ``x`` reads ``fp`` at, and their weights (functions of ``x``)."""
    knots = np.asarray(xp)
    xr = _raw(x)
    if knots.size == 1:
        zero = np.zeros(xr.shape, dtype=np.intp)
        one = 0.0 * x + 1.0
        w = where((xr < knots[0]) & (left is not None) | (xr > knots[0]) & (right is not None),
                  0.0 * x, one)
        return zero, zero, w, 0.0 * x
    i = _segment(xr, knots)
    dx = knots[i] - knots[i - 1]
    t = (x - knots[i - 1]) / np.where(dx == 0, 1.0, dx)
    inside = (xr >= knots[0]) & (xr <= knots[-1])
    w_hi = where(inside, where(dx == 0, 1.0, t), float(right is None) * (xr > knots[-1]))
    w_lo = where(inside, where(dx == 0, 0.0, 1.0 - t), float(left is None) * (xr < knots[0]))
    return i - 1, i, w_lo + 0.0 * x, w_hi + 0.0 * x


def _interp_vjp_fp(g: Any, out: Any, x: Any, fp: Any, xp: tuple, left: Any,
                   right: Any) -> Tensor:
    lo, hi, w_lo, w_hi = _interp_weights(x, xp, left, right)
    n = len(xp)
    return index_add(g * w_lo, (lo,), (n,)) + index_add(g * w_hi, (hi,), (n,))


def _interp_jvp_fp(t: Any, out: Any, x: Any, fp: Any, xp: tuple, left: Any,
                   right: Any) -> Tensor:
    lo, hi, w_lo, w_hi = _interp_weights(x, xp, left, right)
    return w_lo * getitem(t, lo) + w_hi * getitem(t, hi)


def _sym_interp(x: Any, fp: Any, xp: tuple, left: Any, right: Any) -> Any:
    """Piecewise-linear, one Piecewise per element of ``x``."""
    fp = list(np.asarray(fp, dtype=object))
    n = len(xp)

    def one(v: Any) -> Any:
        pieces = [(fp[0] if left is None else left, v < xp[0])]
        for k in range(n - 1):
            dx = xp[k + 1] - xp[k]
            line = fp[k + 1] if dx == 0 else fp[k] + (v - xp[k]) * (fp[k + 1] - fp[k]) / dx
            pieces.append((line, v < xp[k + 1]))
        pieces.append((fp[-1], sp.Eq(v, xp[-1])))
        pieces.append((fp[-1] if right is None else right, True))
        return sp.Piecewise(*pieces)

    arr = np.asarray(x, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    for i in np.ndindex(arr.shape):
        out[i] = one(arr[i])
    return out


def _off_knots(x: Any, fp: Any, xp: tuple, **params: Any) -> bool:
    return bool(np.min(np.abs(np.subtract.outer(np.ravel(x), np.asarray(xp))), initial=1.0)
                > 1e-3)


def _knot_kind(kind: str) -> Any:
    """``Kink.at``: ``x`` at an interior knot where the slopes have opposite signs (``'peak'``)
    or one sign (``'bend'``), or at an end knot (``'end'``)."""

    def at(x: Any, fp: Any, xp: tuple, left: Any = None, right: Any = None) -> np.ndarray:
        knots, xr = np.asarray(xp), np.asarray(x)
        if knots.size < 2:
            return np.zeros(xr.shape, dtype=bool)
        hit, s_l, s_r = _knot_slopes(np.asarray(fp), knots, xr, left, right)
        k = np.clip(np.searchsorted(knots, xr), 0, knots.size - 1)
        end = (k == 0) | (k == knots.size - 1)
        if kind == "end":
            return hit & end
        opposite = np.asarray(s_l) * np.asarray(s_r) <= 0
        return hit & ~end & (opposite if kind == "peak" else ~opposite)

    return at


def _right_slope(x: Any, fp: Any, xp: tuple, left: Any = None, right: Any = None) -> Any:
    """JAX's jnp.interp: the slope of the segment the value is computed on."""
    knots = np.asarray(xp)
    xr = np.asarray(x)
    inside = (xr >= knots[0]) & (xr <= knots[-1])
    return np.where(inside, _slope(np.asarray(fp), knots, _segment(xr, knots) - 1), 0.0)


_RIGHT = Formula("the slope of the segment to the right (the last segment at the last knot)",
                 _right_slope)
_KNOTS = {"xp": (0.0, 1.0, 3.0), "left": None, "right": None}
_NO_TORCH = " (PyTorch has no interp: its profile is JAX's)"
_INTERP: Op = register_op(Op(
    name="interp", forward=lambda x, fp, xp, left, right: np.interp(x, xp, fp, left, right),
    vjp=(lambda g, out, x, fp, xp, left, right: g * _interp_dx(x, fp, xp, left, right,
                                                               "backward"),
         _interp_vjp_fp),
    jvp=(lambda t, out, x, fp, xp, left, right: t * _interp_dx(x, fp, xp, left, right, "jvp"),
         _interp_jvp_fp),
    sympy=_sym_interp,
    domain=Domain(ranges=(((-2.0, 2.0),), ((-3.0, 3.0),)), valid=_off_knots, shapes=[
        (((5,), (4,)), {"xp": (-1.0, -0.2, 0.4, 1.3), "left": None, "right": None}),
        (((2, 3), (3,)), {"xp": (-1.5, 0.0, 1.0), "left": -4.0, "right": 0.5}),
        (((), (5,)), {"xp": (-1.0, -0.5, 0.0, 0.5, 1.0), "left": None, "right": 2.0})]),
    kinks=(Kink("x at an interior knot, the slopes on either side of opposite signs",
                ((1.0, np.array([0.0, 2.0, 1.0])),), (0.0, None), 2,
                "a peak (concave) or valley (convex): the minimum-norm super- or subgradient "
                "is 0; JAX takes the slope of the segment to the right" + _NO_TORCH,
                params=_KNOTS, pytorch=(_RIGHT, None), jax=(_RIGHT, None),
                at=_knot_kind("peak")),
           Kink("x at an interior knot, the slopes on either side of one sign",
                ((1.0, np.array([0.0, 1.0, 4.0])),), (1.0, None), 2,
                "a bend: the derivatives between the two slopes are the sub- or supergradients; "
                "the minimum-norm one is the slope closer to 0; JAX takes the slope of the "
                "segment to the right" + _NO_TORCH,
                params=_KNOTS, pytorch=(_RIGHT, None), jax=(_RIGHT, None),
                at=_knot_kind("bend")),
           Kink("x at the first or last knot",
                ((0.0, np.array([1.0, 2.0, 4.0])),), (0.0, None), 2,
                "beyond the ends interp is constant (left=fp[0], right=fp[-1] by default): the "
                "slopes there are 0 and the end segment's, and the minimum-norm choice is 0; "
                "with left/right given the value may jump, and the inner slope is used (the "
                "side the value comes from); JAX takes the inner slope" + _NO_TORCH,
                params=_KNOTS, pytorch=(_RIGHT, None), jax=(_RIGHT, None),
                at=_knot_kind("end"))),
    doc="Piecewise-linear interpolation, differentiable in x and fp (xp constant)."))


def interp(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None,
           period: Any = None) -> Tensor:
    """NumPy's ``interp``: piecewise-linear interpolation, differentiable in ``x`` and in
    ``fp`` (and in tensor ``left``/``right``); ``xp`` is a constant. At a knot the derivative
    in ``x`` is the number between the slopes on either side closest to 0 (0 at a peak, the
    smaller slope at a bend; 0 at the ends unless ``left``/``right`` are given); beyond the
    ends it is 0.

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
    if knots.size == 0:
        raise ValueError("array of sample points is empty")
    if shape_of(values)[0] != knots.size:
        raise ValueError("fp and xp are not of the same length.")
    xt = _float_tensor(x)
    consts = [v if v is None or isinstance(v, Tensor) else float(v) for v in (left, right)]
    out = apply(_INTERP, xt, values, xp=tuple(float(v) for v in knots),
                left=None if isinstance(consts[0], Tensor) else consts[0],
                right=None if isinstance(consts[1], Tensor) else consts[1])
    xr = xt._data
    if isinstance(consts[0], Tensor):
        out = where(xr < knots[0], consts[0], out)
    if isinstance(consts[1], Tensor):
        out = where(xr > knots[-1], consts[1], out)
    return out


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
        right = T(Xc if w is None else Xc * w)
        if np.iscomplexobj(_raw(right)):  # NumPy: X @ X^H
            right = call("conj", right)
        c = matmul(Xc, right) / fact
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
    has_nan = _nan_rows(merged)
    if has_nan is not None:
        out = where(reshape(has_nan, tuple(has_nan.shape) + (1,) * q.ndim), np.nan, out)
    return _finish(out, x, axes, q.shape, keepdims)


def _nan_rows(merged: Tensor) -> Any:
    """Where a row (the last axis) holds a nan, for results that are nan there (as NumPy's):
    a boolean array, None if no row does; inside vmap, a per-example mask."""
    if isinstance(merged, BatchedTensor):
        return raw_reduction(np.any, raw_elementwise(np.isnan, merged), -1, False)
    has_nan = np.isnan(merged._data).any(axis=-1)
    return has_nan if has_nan.any() else None


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
    has_nan = _nan_rows(merged)
    if has_nan is not None:
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

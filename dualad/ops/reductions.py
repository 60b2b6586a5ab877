"""Reductions: sum, mean, prod, var, std, amax/amin, logsumexp, norm, softmax, log_softmax.

Reductions whose derivative is "the gradient times a weight per reduced
element" share one definition (:func:`_reduce_op`); the weights are written
with dualad ops, so every rule differentiates again.

>>> import dualad as da
>>> x = da.tensor([1.0, 3.0, 3.0], requires_grad=True)
>>> da.amax(x).backward(); x.grad.tolist()
[0.0, 0.5, 0.5]
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from .. import _fastnp as fast
from .._sympy import sp
from ..batched_tensor import BatchedTensor
from ..registry import LINEAR, Domain, Hints, Kink, Op, apply, register_op
from ..tensor import Tensor, _wrap, own_meta, shape_of
from . import _sympy_terms as terms
from . import batching
from ._define import (
    TENSOR_MATH,
    Formula,
    conj_if_complex,
    is_complex,
    kink_adjust,
    normalize_axis,
    quiet,
    scale,
    sym_sum,
)
from .elementwise import abs, exp, maximum, minimum, sign, where
from .shape import _CONCATENATE, _PERMUTE, broadcast_to, flip, reshape
from .vmap_rules import raw_reduction


def expand_reduced(g: Tensor, x_shape: tuple, axis: Any, keepdims: bool) -> Tensor:
    """Broadcast the gradient of a reduction back over the reduced axes of ``x``."""
    if not keepdims and axis is not None and len(x_shape) > 0:
        axes = (axis,) if isinstance(axis, int) else axis
        kept = list(x_shape)
        for a in axes:
            kept[a % len(x_shape)] = 1
        g = reshape(g, tuple(kept))
    return broadcast_to(g, x_shape)


def _expand_reduced_array(g: Any, x_shape: tuple, axis: Any, keepdims: bool,
                          lead: tuple = ()) -> Any:
    """:func:`expand_reduced` on raw arrays (the raw-array rules of ``sum`` and ``mean``);
    ``lead``: the shape of leading axes of ``g`` that are kept (a batch of cotangents)."""
    if not keepdims and x_shape and (axis is not None or lead):
        kept = [1] * len(x_shape)
        if axis is not None:
            kept = list(x_shape)
            for a in (axis,) if isinstance(axis, int) else axis:
                kept[a % len(x_shape)] = 1
        g = fast.reshape(g, lead + tuple(kept))
    return fast.broadcast_to(g, lead + tuple(x_shape))


def _expand_reduced_batched(g: Any, x_shape: tuple, axis: Any, keepdims: bool) -> Any:
    """:func:`expand_reduced` on raw arrays, for ``g`` with a leading batch axis."""
    g = np.asarray(g)
    return _expand_reduced_array(g, x_shape, axis, keepdims, g.shape[:1])


_REDUCE_SHAPES = [(((3, 4),), {"axis": None, "keepdims": False}),
                  (((3, 4),), {"axis": 0, "keepdims": False}),
                  (((2, 3, 4),), {"axis": (0, 2), "keepdims": True}),
                  (((5,),), {"axis": -1, "keepdims": False})]

_SUM = register_op(Op(
    name="sum", forward=fast.sum,
    vjp=(lambda g, out, x, axis=None, keepdims=False:
         expand_reduced(g, x.shape, axis, keepdims),),
    jvp=(LINEAR,),
    sympy=lambda x, axis=None, keepdims=False: sym_sum(x, axis, keepdims),
    domain=Domain(ranges=(((-3.0, 3.0),),), shapes=_REDUCE_SHAPES),
    sympy_terms=terms.reduced,
    hints=Hints(saves=(), reads=((),),
                array_vjp=(lambda g, out, x, axis=None, keepdims=False:
                           _expand_reduced_array(g, x.shape, axis, keepdims),),
                batch_array_vjp=(lambda g, out, x, axis=None, keepdims=False:
                                 _expand_reduced_batched(g, x.shape, axis, keepdims),),
                batch_jvp=(batching.reduction("sum"),))))


_MEAN = register_op(Op(
    name="mean", forward=fast.mean,
    # divided before it is broadcast: one division per output element, and a view
    vjp=(lambda g, out, x, axis=None, keepdims=False:
         expand_reduced(g / fast.count(x.shape, axis), x.shape, axis, keepdims),),
    jvp=(LINEAR,),
    sympy=lambda x, axis=None, keepdims=False: sym_sum(x, axis, keepdims)
    / fast.count(np.shape(x), axis),
    domain=Domain(ranges=(((-3.0, 3.0),),), shapes=_REDUCE_SHAPES),
    sympy_terms=terms.reduced,
    hints=Hints(saves=(), reads=((),),
                array_vjp=(lambda g, out, x, axis=None, keepdims=False:
                           _expand_reduced_array(g / fast.count(x.shape, axis), x.shape, axis,
                                                 keepdims),),
                batch_array_vjp=(lambda g, out, x, axis=None, keepdims=False:
                                 _expand_reduced_batched(g / fast.count(x.shape, axis), x.shape,
                                                         axis, keepdims),),
                batch_jvp=(batching.reduction("mean"),))))


def sum(x: Any, dim: Any = None, keepdim: Any = None, *, axis: Any = None,  # noqa: A001
        keepdims: Any = None, dtype: Any = None) -> Tensor:
    """Sum over ``dim`` (PyTorch) or ``axis`` (NumPy); all elements by default."""
    ax, keep = normalize_axis(dim, axis, keepdim, keepdims)
    out = apply(_SUM, x, axis=ax, keepdims=keep)
    return out if dtype is None else out.to(dtype)


def mean(x: Any, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
         keepdims: Any = None) -> Tensor:
    """Arithmetic mean over ``dim``/``axis``; all elements by default."""
    ax, keep = normalize_axis(dim, axis, keepdim, keepdims)
    return apply(_MEAN, x, axis=ax, keepdims=keep)


# ------------------------------------------------------------------- helpers
def axes_of(axis: Any, ndim: int) -> tuple:
    """``axis`` (None, an int or a sequence) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    items = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    size = ndim if ndim else 1
    for a in items:
        if not -size <= a < size:
            raise np.exceptions.AxisError(f"axis {a} is out of bounds for a tensor of "
                                          f"dimension {ndim}")
    return tuple(sorted(int(a) % size for a in items)) if ndim else ()


def _keep(y: Any, x_shape: tuple, axis: Any, keepdims: bool) -> Any:
    """The reduced ``y`` reshaped with size-1 axes, so it broadcasts against ``x``."""
    if keepdims or axis is None and not x_shape:
        return y
    kept = list(x_shape)
    for a in axes_of(axis, len(x_shape)):
        kept[a] = 1
    return reshape(y, tuple(kept))


def _reduce_op(name: str, forward: Callable[..., Any], weights: Callable[..., Any],
               sympy: Callable[..., Any], shapes: Sequence[tuple] = _REDUCE_SHAPES,
               ranges: tuple[float, float] = (-3.0, 3.0), kinks: tuple = (),
               valid: Callable[..., bool] | None = None, saves: tuple = (0,),
               saves_output: bool = True, node_name: str = "",
               sympy_terms: Callable[..., float] | None = None, lifted: bool = True) -> Op:
    """A reduction whose derivative is ``sum(t * weights(out, x))`` for some weights.

    ``weights(out_kept, x, **params)`` is the partial derivative of each output
    element with respect to each element of ``x`` it reduces (``out_kept`` is
    the output with the reduced axes kept as size 1), written with dualad ops.
    ``lifted``: batched tangents run the jvp rule on lifted primals
    (:func:`dualad.ops.batching.lifted`); ``sympy_terms``: see ``Op.sympy_terms``.
    """

    def factor(out: Any, x: Any, axis: Any, keepdims: bool, params: dict, mode: str) -> Any:
        w = weights(out, x, axis=axis, **params)
        if kinks:  # the kink policy acts on the weights, the same way in both modes
            w = kink_adjust(op, 0, w, (x,), dict(params, axis=axis, keepdims=keepdims), mode)
        return w

    def vjp(g: Any, out: Any, x: Any, axis: Any = None, keepdims: bool = False,
            **params: Any) -> Any:
        ok = _keep(out, x.shape, axis, keepdims) if out is not None else None
        w = factor(ok, x, axis, keepdims, params, "backward")
        if is_complex(g):  # a complex output: holomorphic (prod), g * conj(w)
            w = conj_if_complex(w)
        return scale(expand_reduced(g, x.shape, axis, keepdims), w)

    def jvp(t: Any, out: Any, x: Any, axis: Any = None, keepdims: bool = False,
            **params: Any) -> Any:
        ok = _keep(out, x.shape, axis, keepdims)
        w = factor(ok, x, axis, keepdims, params, "jvp")
        if is_complex(t) and not is_complex(out):
            # a real output of complex x (var, std, norm): w is dL/dx + i dL/dy, so the
            # tangent is Re(conj(w) t)
            return apply(_SUM, TENSOR_MATH.real(scale(t, conj_if_complex(w))), axis=axis,
                         keepdims=keepdims)
        return apply(_SUM, scale(t, w), axis=axis, keepdims=keepdims)

    op = register_op(Op(name=name, forward=forward, vjp=(vjp,), jvp=(jvp,), sympy=sympy,
                        domain=Domain(ranges=((ranges,),), shapes=shapes, valid=valid),
                        kinks=kinks, node_name=node_name, sympy_terms=sympy_terms,
                        hints=Hints(saves=saves, saves_output=saves_output,
                                    batch_jvp=(batching.lifted(name),) if lifted else None)))
    return op


def _sym_reduce(fn2: Callable[[Any, Any], Any], x: np.ndarray, axis: Any, keepdims: bool) -> Any:
    """Reduce an object array of SymPy expressions with a binary function (Max, Min, ...)."""
    x = np.asarray(x, dtype=object)
    axes = axes_of(axis, x.ndim)
    rest = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, rest + list(axes)).reshape([x.shape[a] for a in rest] + [-1])
    flat = moved.reshape(-1, moved.shape[-1])
    vals = [functools.reduce(fn2, list(row)) for row in flat]
    flat_out = np.empty(len(vals), dtype=object)
    flat_out[:] = vals
    out = flat_out.reshape([x.shape[a] for a in rest])
    if keepdims:
        out = out.reshape([1 if a in axes else x.shape[a] for a in range(x.ndim)])
    return out if out.ndim else out[()]


_smap = np.frompyfunc  # elementwise SymPy functions on object arrays


def _count_axes(shape: tuple, axis: Any) -> int:
    return fast.count(shape, axes_of(axis, len(shape)) if axis is not None else None)


# ------------------------------------------------------------------- prod
def _along_reduced(fn: Callable[[Tensor], Tensor], x: Tensor, axis: Any) -> Tensor:
    """Apply ``fn`` to each reduced group of ``x`` laid out as the last axis, shape kept.

    ``fn`` maps a tensor of shape ``rest + (n,)`` to one of the same shape.

    >>> _along_reduced(lambda t: t * 2.0, Tensor(np.ones((2, 3))), 0).shape
    (2, 3)
    """
    axes = axes_of(axis, x.ndim)
    rest = tuple(a for a in range(x.ndim) if a not in axes)
    perm = rest + axes
    moved = apply(_PERMUTE, x, axes=perm)
    rows = reshape(moved, tuple(x.shape[a] for a in rest) + (fast.count(x.shape, axes),))
    return apply(_PERMUTE, reshape(fn(rows), moved.shape), axes=tuple(np.argsort(perm)))


def _products_of_others(a: Tensor) -> Tensor:
    """For each element along the last axis, the product of the other elements there.

    Division-free, so exact at zeros and with no cancellation for tiny or
    underflowing elements: the first half is paired with the second (a 1 pads
    an odd length), the pairwise products recurse, and each element's result
    is its pair's result times its partner. O(n) memory, depth log2(n), and
    built from dualad ops, so it differentiates again in both modes.

    >>> _products_of_others(Tensor([2.0, 0.0, 3.0, 5.0])).tolist()
    [0.0, 30.0, 0.0, 0.0]
    """
    n = a.shape[-1]
    last = a.ndim - 1
    if n <= 1:  # no other elements: the empty product, kept connected to ``a``
        return where(np.ones(a.shape, dtype=bool), np.ones(a.shape, a.dtype), a)
    half = (n + 1) // 2
    if n % 2:
        a = apply(_CONCATENATE, a, np.ones(a.shape[:-1] + (1,), a.dtype), axis=last)
    lo, hi = a[..., :half], a[..., half:]
    sub = _products_of_others(lo * hi)
    return apply(_CONCATENATE, sub * hi, sub * lo, axis=last)[..., :n]


def _prod_weights(out_kept: Any, x: Tensor, axis: Any = None) -> Tensor:
    """d prod / d x_i: the product of the other elements of x_i's reduced group.

    >>> _prod_weights(None, Tensor([[2.0, 0.0], [3.0, 4.0]]), axis=0).tolist()
    [[3.0, 4.0], [2.0, 0.0]]
    """
    return _along_reduced(_products_of_others, x, axis)


_PROD = _reduce_op(
    "prod", lambda x, axis=None, keepdims=False: np.prod(x, axis=axis, keepdims=keepdims),
    _prod_weights,
    lambda x, axis=None, keepdims=False: np.prod(np.asarray(x, dtype=object), axis=axis,
                                                 keepdims=keepdims),
    ranges=(-2.0, 2.0), saves_output=False, sympy_terms=terms.quadratic)

# -------------------------------------------------------------- var and std


def _dof(shape: tuple, axis: Any, correction: float) -> float:
    d = _count_axes(shape, axis) - correction
    return float(d) if d > 0 else float("nan")


def _centered(x: Tensor, axis: Any) -> Tensor:
    return x - apply(_MEAN, x, axis=axis, keepdims=True)


def _var_weights(out_kept: Any, x: Tensor, axis: Any = None, correction: float = 1) -> Tensor:
    return _centered(x, axis) * (2.0 / _dof(x.shape, axis, correction))


def _std_weights(out_kept: Tensor, x: Tensor, axis: Any = None, correction: float = 1) -> Tensor:
    zero = out_kept._data == 0
    safe = where(zero, 1.0, out_kept)
    return where(zero, 0.0, _centered(x, axis) / (safe * _dof(x.shape, axis, correction)))


def _sym_var(x: Any, axis: Any = None, keepdims: bool = False, correction: float = 1) -> Any:
    x = np.asarray(x, dtype=object)
    n = _count_axes(x.shape, axis)
    m = sym_sum(x, axis, True) / n
    return sym_sum((x - m) ** 2, axis, keepdims) / (n - correction)


_VAR_SHAPES = [(((3, 4),), {"axis": None, "keepdims": False, "correction": 1}),
               (((3, 4),), {"axis": 1, "keepdims": True, "correction": 0}),
               (((2, 3, 4),), {"axis": (0, 2), "keepdims": False, "correction": 1})]


def _spread_enough(x: Any, axis: Any = None, **params: Any) -> bool:
    return bool(np.all(np.std(x, axis=axis) > 0.1))


_VAR = _reduce_op(
    "var", quiet(lambda x, axis=None, keepdims=False, correction=1:
                 np.var(x, axis=axis, ddof=correction, keepdims=keepdims)),
    _var_weights, _sym_var, shapes=_VAR_SHAPES, saves_output=False, sympy_terms=terms.cubic)
_STD = _reduce_op(
    "std", quiet(lambda x, axis=None, keepdims=False, correction=1:
                 np.std(x, axis=axis, ddof=correction, keepdims=keepdims)),
    _std_weights,
    lambda x, axis=None, keepdims=False, correction=1:
    _smap(sp.sqrt, 1, 1)(_sym_var(x, axis, keepdims, correction)),
    shapes=_VAR_SHAPES, valid=_spread_enough, sympy_terms=terms.cubic,
    kinks=(Kink("all reduced elements equal (std == 0)", ((np.array([1.5, 1.5, 1.5]),),),
                (np.zeros(3),), 2,
                "std is a norm of the deviations, convex with minimum 0 there: the "
                "minimum-norm subgradient is 0",
                params={"axis": None, "keepdims": False, "correction": 1},
                pytorch=(np.zeros(3),), jax=(np.full(3, np.nan),),
                at=lambda x, axis=None, keepdims=False, correction=1:
                _where_reduced(np.std(x, axis=axis, keepdims=True) == 0, x)),))

# ---------------------------------------------------------------- amax/amin


def _tie_weights(out_kept: Tensor, x: Tensor, axis: Any = None) -> Tensor:
    """1/k on each of the k elements that attain the extremum, 0 elsewhere.

    Piecewise constant in ``x``, but kept connected to it (``0 * x``) so that a
    second derivative is 0 rather than "not part of the graph".
    """
    hit = x._data == out_kept._data
    count = np.sum(hit, axis=axes_of(axis, x.ndim), keepdims=True)
    finite = np.isfinite(x._data)  # (inf * 0 is nan: an infinite element gets weight 0 too)
    connected = x * 0.0 if finite.all() else where(finite, x, 0.0) * 0.0
    return connected + hit / np.maximum(count, 1).astype(x._data.dtype)


def _distinct(x: Any, **params: Any) -> bool:
    flat = np.sort(np.ravel(x))
    return bool(flat.size < 2 or np.min(np.diff(flat)) > 1e-3)


def _where_reduced(flags: np.ndarray, x: np.ndarray) -> np.ndarray:
    """A per-group flag (reduced axes kept) spread over the group's elements of ``x``."""
    return np.broadcast_to(flags, np.shape(x))


def _tie_mask(reduce: Callable[..., Any]) -> Callable[..., np.ndarray]:
    """``Kink.at`` for amax/amin: the elements that share their group's extremum with another."""

    def at(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        x = np.asarray(x)
        axes = axes_of(axis, x.ndim)
        hit = x == reduce(x, axis=axes, keepdims=True)
        return hit & (np.sum(hit, axis=axes, keepdims=True) > 1)

    return at


def _extremum_kink(name: str) -> tuple:
    top = 2.0 if name == "amax" else -2.0
    return (Kink("several elements attain the extremum (a tie)",
                 ((np.array([top, top, 0.5]),),), (np.array([0.5, 0.5, 0.0]),), 2,
                 "the subgradients are the convex combinations of the tied elements' unit "
                 "vectors; the minimum-norm one shares the gradient equally",
                 params={"axis": None, "keepdims": False},
                 pytorch=(np.array([0.5, 0.5, 0.0]),), jax=(np.array([0.5, 0.5, 0.0]),),
                at=_tie_mask(np.amax if name == "amax" else np.amin)),)


def _to_returned_index(arg: Callable[..., Any]) -> Callable[..., np.ndarray]:
    """PyTorch's ``max(x, dim)`` derivative: 1 at the index it returns (the first extremum)."""

    def weights(x: np.ndarray, axis: int = 0, keepdims: bool = False) -> np.ndarray:
        x = np.asarray(x)
        hot = np.zeros(x.shape)
        np.put_along_axis(hot, arg(x, axis=axis, keepdims=True), 1.0, axis=axis)
        return hot

    return weights


def _dim_kink(name: str) -> tuple:
    """The tie of ``max(x, dim)``/``min(x, dim)``: PyTorch differs from ``amax`` there."""
    top = 2.0 if name == "max_dim" else -2.0
    arg = np.argmax if name == "max_dim" else np.argmin
    fn = name[:3]
    return (Kink(f"{fn}(x, dim): several elements attain the extremum (a tie)",
                 ((np.array([top, top, 0.5]),),), (np.array([0.5, 0.5, 0.0]),), 2,
                 f"the minimum-norm subgradient shares the gradient equally, as a{fn} does; "
                 f"PyTorch's {fn}(x, dim) sends all of it to the index it returns (the first "
                 f"tied element); JAX has no {fn} with indices: its jnp.{fn}(x, axis) shares "
                 "it",
                 params={"axis": 0, "keepdims": False},
                 pytorch=(Formula("1 at the returned index, 0 at the other tied elements",
                                  _to_returned_index(arg)),),
                 jax=(np.array([0.5, 0.5, 0.0]),),
                 at=_tie_mask(np.amax if name == "max_dim" else np.amin)),)


_DIM_SHAPES = [(((3, 4),), {"axis": 0, "keepdims": False}),
               (((3, 4),), {"axis": 1, "keepdims": True}),
               (((5,),), {"axis": -1, "keepdims": False})]
_MAX_DIM = _reduce_op(
    "max_dim", lambda x, axis, keepdims=False: np.amax(x, axis=axis, keepdims=keepdims),
    _tie_weights, lambda x, axis, keepdims=False: _sym_reduce(sp.Max, x, axis, keepdims),
    shapes=_DIM_SHAPES, valid=_distinct, kinks=_dim_kink("max_dim"),
    node_name="MaxBackward0", lifted=False)
_MIN_DIM = _reduce_op(
    "min_dim", lambda x, axis, keepdims=False: np.amin(x, axis=axis, keepdims=keepdims),
    _tie_weights, lambda x, axis, keepdims=False: _sym_reduce(sp.Min, x, axis, keepdims),
    shapes=_DIM_SHAPES, valid=_distinct, kinks=_dim_kink("min_dim"),
    node_name="MinBackward0", lifted=False)
_AMAX = _reduce_op(
    "amax", lambda x, axis=None, keepdims=False: np.amax(x, axis=axis, keepdims=keepdims),
    _tie_weights, lambda x, axis=None, keepdims=False: _sym_reduce(sp.Max, x, axis, keepdims),
    valid=_distinct, kinks=_extremum_kink("amax"), sympy_terms=terms.extremum)
_AMIN = _reduce_op(
    "amin", lambda x, axis=None, keepdims=False: np.amin(x, axis=axis, keepdims=keepdims),
    _tie_weights, lambda x, axis=None, keepdims=False: _sym_reduce(sp.Min, x, axis, keepdims),
    valid=_distinct, kinks=_extremum_kink("amin"), sympy_terms=terms.extremum)

# ------------------------------------------------------------------ logsumexp


def _logsumexp_forward(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    x = np.asarray(x)
    m = np.amax(x, axis=axis, keepdims=True) if x.size else np.zeros(())
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    if not keepdims:
        out = np.squeeze(out, axis=axes_of(axis, x.ndim)) if x.ndim else out
    return out.astype(x.dtype, copy=False) if x.dtype.kind == "f" else out


def _sym_logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    e = _smap(sp.exp, 1, 1)(np.asarray(x, dtype=object))
    return _smap(sp.log, 1, 1)(sym_sum(e, axis, keepdims))


_LOGSUMEXP = _reduce_op(  # the weights are softmax(x), computed stably (registered below)
    "logsumexp", _logsumexp_forward, lambda ok, x, axis=None: apply(_SOFTMAX, x, axis=axis),
    _sym_logsumexp, saves_output=False, sympy_terms=terms.quadratic)

# ---------------------------------------------------------------------- norm


def _norm_forward(x: np.ndarray, ord: float = 2.0, axis: Any = None,  # noqa: A002
                  keepdims: bool = False) -> np.ndarray:
    a = np.abs(np.asarray(x))
    if ord == 2:
        return np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims))
    if ord == 1:
        return np.sum(a, axis=axis, keepdims=keepdims)
    return np.sum(a ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


def _complex_sign(x: Tensor) -> Tensor:
    """``x / |x|`` (0 at 0) for complex ``x``, differentiable (``sign``'s derivative is 0)."""
    zero = x._data == 0
    return where(zero, 0.0, x / where(zero, 1.0, abs(x)))


def _norm_weights(out_kept: Tensor, x: Tensor, axis: Any = None,
                  ord: float = 2.0) -> Tensor:  # noqa: A002
    sgn = sign if not is_complex(x) else _complex_sign
    if ord == 1:
        return sgn(x)
    if ord == 2:
        num, den = x, out_kept
    else:
        xz = x._data == 0
        num = where(xz, 0.0, sgn(x) * abs(where(xz, 1.0, x)) ** (ord - 1))
        den = out_kept ** (ord - 1)
    zero = out_kept._data == 0
    return where(zero, 0.0, num / where(zero, 1.0, den))


def _sym_norm(x: Any, ord: float = 2.0, axis: Any = None,  # noqa: A002
              keepdims: bool = False) -> Any:
    x = np.asarray(x, dtype=object)
    if ord == 2:
        return _smap(sp.sqrt, 1, 1)(sym_sum(x * x, axis, keepdims))
    p = sp.nsimplify(ord)
    powered = _smap(lambda e: sp.Abs(e) ** p, 1, 1)(x)
    return _smap(lambda e: e ** (1 / p), 1, 1)(sym_sum(powered, axis, keepdims))


def _nonzero_entries(x: Any, **params: Any) -> bool:
    return bool(np.all(np.abs(x) > 0.05))


_NORM = _reduce_op(
    "norm", _norm_forward,
    lambda ok, x, axis=None, ord=2.0: _norm_weights(ok, x, axis, ord), _sym_norm,  # noqa: A002
    shapes=[(((5,),), {"ord": 2.0, "axis": None, "keepdims": False}),
            (((3, 4),), {"ord": 2.0, "axis": 1, "keepdims": True}),
            (((3, 4),), {"ord": 1.0, "axis": 0, "keepdims": False}),
            (((4,),), {"ord": 3.0, "axis": None, "keepdims": False}),
            (((2, 3),), {"ord": 0.5, "axis": None, "keepdims": False})],
    valid=_nonzero_entries, node_name="LinalgVectorNormBackward0", sympy_terms=terms.quadratic,
    kinks=(Kink("x == 0 (every reduced element)", ((np.zeros(3),),), (np.zeros(3),), 2,
                "a norm is convex with minimum 0 at the origin: the minimum-norm "
                "subgradient is the zero vector",
                params={"ord": 2.0, "axis": None, "keepdims": False},
                pytorch=(np.zeros(3),), jax=(np.full(3, np.nan),),
                at=lambda x, ord=2.0, axis=None, keepdims=False:  # noqa: A006
                _where_reduced(np.all(x == 0, axis=axis, keepdims=True), x)),
           Kink("ord=1 and some element is 0", ((np.array([0.0, 1.0, -2.0]),),),
                (np.array([0.0, 1.0, -1.0]),), 2,
                "|x_i| is convex at 0 with subdifferential [-1, 1]: minimum norm gives 0",
                params={"ord": 1.0, "axis": None, "keepdims": False},
                pytorch=(np.array([0.0, 1.0, -1.0]),), jax=(np.array([1.0, 1.0, -1.0]),),
                at=lambda x, ord=2.0, axis=None, keepdims=False: (x == 0) & (ord == 1))))

# ---------------------------------------------------------- softmax family


def _shift(x: np.ndarray, axis: Any) -> np.ndarray:
    """Each group's maximum where it is finite, else 0 (also for an empty group): the shift
    subtracted before ``exp``; integers and booleans are taken as float64 (the ``-inf``
    start of the maximum has no integer value)."""
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    m = np.amax(x, axis=axis, keepdims=True, initial=-np.inf)
    return np.where(np.isfinite(m), m, 0.0)


def _softmax_forward(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = np.asarray(x)
    e = np.exp(x - _shift(x, axis))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax_forward(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = np.asarray(x)
    shifted = x - _shift(x, axis)
    with np.errstate(divide="ignore"):
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _sum_keep(t: Tensor, axis: int) -> Tensor:
    return apply(_SUM, t, axis=axis, keepdims=True)


def _softmax_rule(g: Tensor, out: Tensor, x: Any, axis: int = -1) -> Tensor:
    return out * (g - _sum_keep(g * out, axis))


def _log_softmax_rule(g: Tensor, out: Tensor, x: Any, axis: int = -1) -> Tensor:
    return g - exp(out) * _sum_keep(g, axis)


def _sym_softmax(x: Any, axis: int = -1) -> Any:
    e = _smap(sp.exp, 1, 1)(np.asarray(x, dtype=object))
    return e / sym_sum(e, axis, True)


def _sym_log_softmax(x: Any, axis: int = -1) -> Any:
    x = np.asarray(x, dtype=object)
    return x - _sym_logsumexp(x, axis=axis, keepdims=True)


_SOFTMAX_SHAPES = [(((3, 4),), {"axis": -1}), (((3, 4),), {"axis": 0}), (((5,),), {"axis": 0}),
                   (((2, 3, 4),), {"axis": 1})]
_SOFTMAX: Op = register_op(Op(
    name="softmax", forward=_softmax_forward, vjp=(_softmax_rule,), jvp=(_softmax_rule,),
    sympy=_sym_softmax, domain=Domain(ranges=(((-3.0, 3.0),),), shapes=_SOFTMAX_SHAPES),
    sympy_terms=terms.softmax,
    hints=Hints(saves=(), saves_output=True, batch_jvp=(batching.lifted("softmax"),))))
def _log_softmax_tangent(t: Tensor, out: Tensor, x: Any, axis: int = -1) -> Tensor:
    return t - _sum_keep(exp(out) * t, axis)


_LOG_SOFTMAX = register_op(Op(
    name="log_softmax", forward=_log_softmax_forward, vjp=(_log_softmax_rule,),
    jvp=(_log_softmax_tangent,), sympy=_sym_log_softmax,
    domain=Domain(ranges=(((-3.0, 3.0),),), shapes=_SOFTMAX_SHAPES), sympy_terms=terms.softmax,
    hints=Hints(saves=(), saves_output=True, batch_jvp=(batching.lifted("log_softmax"),))))


# ------------------------------------------------------------ public functions
def _correction(unbiased: Any, correction: Any, ddof: Any) -> float:
    given = [c for c in (unbiased, correction, ddof) if c is not None]
    if len(given) > 1:
        raise TypeError("give only one of unbiased=, correction= and ddof=")
    if unbiased is not None:
        return 1.0 if unbiased else 0.0
    return float(given[0]) if given else 1.0


def prod(x: Any, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
         keepdims: Any = None, dtype: Any = None) -> Tensor:
    """Product over ``dim``/``axis`` (all elements by default); exact gradients at zeros too.

    >>> import dualad as da
    >>> x = da.tensor([2.0, 0.0, 3.0], requires_grad=True)
    >>> da.prod(x).backward(); x.grad
    tensor([0., 6., 0.])
    """
    ax, keep = normalize_axis(dim, axis, keepdim, keepdims)
    out = apply(_PROD, x, axis=ax, keepdims=keep)
    return out if dtype is None else out.to(dtype)


def _whole_if_0d(x: Any, axis: Any) -> Any:
    """``axis`` checked against a 0-d ``x`` and taken as None (all of it): PyTorch reduces a
    0-d tensor over dim 0 or -1, where NumPy's var and cumsum do not take an axis."""
    if axis is not None and not shape_of(x):
        axes_of(axis, 0)
        return None
    return axis


def var(x: Any, dim: Any = None, unbiased: Any = None, keepdim: Any = None, *,
        correction: Any = None, axis: Any = None, keepdims: Any = None, ddof: Any = None) -> Tensor:
    """Variance with Bessel's correction by default (PyTorch); ``correction``/``ddof`` to change.

    >>> import dualad as da
    >>> da.var(da.tensor([1.0, 2.0, 3.0])).item(), da.var(da.tensor([1.0, 2.0, 3.0]), ddof=0).item()
    (1.0, 0.6666666666666666)
    """
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    ax, keep = normalize_axis(dim, axis, keepdim, keepdims)
    c = _correction(unbiased, correction, ddof)
    return apply(_VAR, x, axis=_whole_if_0d(x, ax), keepdims=keep, correction=c)


def std(x: Any, dim: Any = None, unbiased: Any = None, keepdim: Any = None, *,
        correction: Any = None, axis: Any = None, keepdims: Any = None, ddof: Any = None) -> Tensor:
    """Standard deviation (Bessel-corrected by default); the gradient is 0 where it is 0.

    >>> import dualad as da
    >>> da.std(da.tensor([1.0, 3.0])).item()
    1.4142135623730951
    """
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    ax, keep = normalize_axis(dim, axis, keepdim, keepdims)
    c = _correction(unbiased, correction, ddof)
    return apply(_STD, x, axis=_whole_if_0d(x, ax), keepdims=keep, correction=c)


def _nonempty(name: str, x: Any, axis: Any) -> None:
    """An extremum of nothing is undefined: say which reduced axis is empty."""
    shape = shape_of(x)
    for a in axes_of(axis, len(shape)) if shape else ():
        if shape[a] == 0:
            raise ValueError(f"{name}: cannot reduce over an empty axis (dim {a} has size 0): "
                             "the extremum of no elements is undefined (PyTorch raises too)")


def amax(x: Any, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
         keepdims: Any = None) -> Tensor:
    """Largest value over ``dim``/``axis``; tied maxima share the gradient equally."""
    ax, keep = normalize_axis(dim, axis, keepdim, keepdims)
    ax = None if ax == () else ax
    _nonempty("amax", x, ax)
    return apply(_AMAX, x, axis=ax, keepdims=keep)


def amin(x: Any, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
         keepdims: Any = None) -> Tensor:
    """Smallest value over ``dim``/``axis``; tied minima share the gradient equally."""
    ax, keep = normalize_axis(dim, axis, keepdim, keepdims)
    ax = None if ax == () else ax
    _nonempty("amin", x, ax)
    return apply(_AMIN, x, axis=ax, keepdims=keep)


def _arg(np_fn: Callable[..., Any], x: Any, dim: Any, keepdim: Any, axis: Any,
         keepdims: Any) -> Tensor:
    ax, keep = normalize_axis(dim, axis, keepdim, keepdims)
    if isinstance(x, BatchedTensor):  # inside vmap: per example
        return raw_reduction(np_fn, x, ax, bool(keep))
    data = x._data if isinstance(x, Tensor) else np.asarray(x)
    if ax is None:
        idx = np.asarray(np_fn(data))
        out = _wrap(idx.reshape((1,) * data.ndim) if keep else idx)
    else:
        out = _wrap(np.asarray(np_fn(data, axis=ax, keepdims=keep)))
    if isinstance(x, Tensor) and x.requires_grad_flag:  # backward() of it says why it fails
        own_meta(out).result_of = np_fn.__name__
    return out


def argmax(x: Any, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
           keepdims: Any = None) -> Tensor:
    """Index of the (first) largest value, over the flattened tensor or along ``dim``."""
    return _arg(np.argmax, x, dim, keepdim, axis, keepdims)


def argmin(x: Any, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
           keepdims: Any = None) -> Tensor:
    """Index of the (first) smallest value, over the flattened tensor or along ``dim``."""
    return _arg(np.argmin, x, dim, keepdim, axis, keepdims)


class ValuesIndices(NamedTuple):
    """The ``(values, indices)`` result of ``max(x, dim)`` / ``min(x, dim)``, as in PyTorch."""

    values: Tensor
    indices: Tensor


def _extremum(op: Op, reduce: Callable[..., Any], arg: Callable[..., Any],
              pairwise: Callable[..., Any], x: Any, dim: Any, keepdim: Any, axis: Any,
              keepdims: Any) -> Any:
    name = op.name[:3]
    if isinstance(dim, Tensor) or (dim is not None and
                                   not isinstance(dim, (int, np.integer, tuple, list))):
        return pairwise(x, dim)
    if dim is None and axis is None:
        return reduce(x)
    ax, keep = normalize_axis(dim, axis, keepdim, keepdims)
    if not isinstance(ax, int):
        raise TypeError(f"{name}(x, dim) reduces over one dim, got {ax!r}; for several use "
                        f"a{name}(x, dim)")
    _nonempty(name, x, ax)
    return ValuesIndices(apply(op, x, axis=ax, keepdims=keep), arg(x, ax, keep))


def max(x: Any, dim: Any = None, keepdim: Any = None, *, axis: Any = None,  # noqa: A001
        keepdims: Any = None) -> Any:
    """PyTorch's ``max``: of all elements; ``(values, indices)`` along ``dim``; or elementwise.

    At a tie, ``max(x)`` shares the gradient equally (as ``amax`` and PyTorch
    do); ``max(x, dim)`` does too by default, and sends all of it to the
    returned index under ``dualad.nondiff.policy("pytorch")``, as PyTorch does.

    >>> import dualad as da
    >>> x = da.tensor([[1.0, 5.0], [7.0, 2.0]])
    >>> da.max(x).item(), da.max(x, 1).indices.tolist(), da.max(x, da.tensor(3.0)).tolist()
    (7.0, [1, 0], [[3.0, 5.0], [7.0, 3.0]])
    """
    return _extremum(_MAX_DIM, amax, argmax, maximum, x, dim, keepdim, axis, keepdims)


def min(x: Any, dim: Any = None, keepdim: Any = None, *, axis: Any = None,  # noqa: A001
        keepdims: Any = None) -> Any:
    """PyTorch's ``min``: of all elements; ``(values, indices)`` along ``dim``; or elementwise."""
    return _extremum(_MIN_DIM, amin, argmin, minimum, x, dim, keepdim, axis, keepdims)


def logsumexp(x: Any, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
              keepdims: Any = None) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``/``axis``, without overflow for large inputs.

    >>> import dualad as da
    >>> da.logsumexp(da.tensor([1000.0, 1000.0])).item()
    1000.6931471805599
    """
    ax, keep = normalize_axis(dim, axis, keepdim, keepdims)
    return apply(_LOGSUMEXP, x, axis=ax, keepdims=keep)


def _softmax_axis(name: str, dim: Any, axis: Any) -> int:
    if dim is None and axis is None:
        raise TypeError(f"{name}() needs the axis to normalise over: pass dim= (e.g. dim=-1)")
    ax, _ = normalize_axis(dim, axis)
    return int(ax)


def softmax(x: Any, dim: Any = None, *, axis: Any = None, dtype: Any = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``, stable for large inputs.

    >>> import dualad as da
    >>> da.softmax(da.tensor([1000.0, 1000.0]), dim=0).tolist()
    [0.5, 0.5]
    """
    x = x if dtype is None else x.to(dtype)
    return apply(_SOFTMAX, x, axis=_softmax_axis("softmax", dim, axis))


def log_softmax(x: Any, dim: Any = None, *, axis: Any = None, dtype: Any = None) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``, stable for large inputs."""
    x = x if dtype is None else x.to(dtype)
    return apply(_LOG_SOFTMAX, x, axis=_softmax_axis("log_softmax", dim, axis))


def _count_nonzero(x: Any, axis: Any, keepdims: bool) -> Tensor:
    """The ``ord=0`` "norm": a count with gradient 0 (still connected to ``x``)."""
    data = x._data if isinstance(x, Tensor) else np.asarray(x)
    count = np.sum(data != 0, axis=axis, keepdims=keepdims).astype(np.result_type(data, 0.0))
    return apply(_SUM, 0.0 * x, axis=axis, keepdims=keepdims) + count


def norm(x: Any, ord: Any = None, dim: Any = None, keepdim: Any = None, *,  # noqa: A002
         p: Any = None, axis: Any = None, keepdims: Any = None) -> Tensor:
    """Vector p-norm over ``dim`` (all elements by default); ``'fro'`` for matrices.

    ``ord``/``p``: None, 2 or ``'fro'`` (Euclidean), any other nonzero number,
    ``inf``/``-inf`` (largest/smallest absolute value), 0 (count of nonzeros).
    At 0 the gradient is the zero vector (DESIGN section 5).

    >>> import dualad as da
    >>> x = da.tensor([3.0, 4.0], requires_grad=True)
    >>> da.norm(x).backward(); x.grad
    tensor([0.6000, 0.8000])
    """
    if p is not None and ord is not None:
        raise TypeError("give either ord= or p=, not both")
    order = p if p is not None else ord
    ax, keep = normalize_axis(dim, axis, keepdim, keepdims)
    if order is None or order == "fro":
        if order == "fro" and ax is not None and len(axes_of(ax, np.ndim(x))) != 2:
            raise ValueError("norm: ord='fro' needs a matrix: two axes in dim=")
        order = 2.0
    if isinstance(order, str):
        raise ValueError(f"norm: ord={order!r} is not supported; use None, 'fro', a number, "
                         "inf or -inf")
    if order == np.inf:
        return amax(abs(x), axis=ax, keepdims=keep)
    if order == -np.inf:
        return amin(abs(x), axis=ax, keepdims=keep)
    if order == 0:
        return _count_nonzero(x, ax, keep)
    return apply(_NORM, x, ord=float(order), axis=ax, keepdims=keep)


# -------------------------------------------------------------------- cumsum
_CUMSUM: Op = register_op(Op(
    name="cumsum", forward=lambda x, axis: np.cumsum(x, axis=axis),
    vjp=(lambda g, out, x, axis: flip(apply(_CUMSUM, flip(g, axis), axis=axis), axis),),
    jvp=(LINEAR,),
    sympy=lambda x, axis: np.cumsum(np.asarray(x, dtype=object), axis=axis),
    domain=Domain(ranges=(((-3.0, 3.0),),), shapes=[(((5,),), {"axis": 0}),
                                                   (((3, 4),), {"axis": 1}),
                                                   (((2, 3, 2),), {"axis": -2})]),
    sympy_terms=terms.cumsum, hints=Hints(saves=())))


def cumsum(x: Any, dim: Any = None, *, axis: Any = None, dtype: Any = None) -> Tensor:
    """Running sum along ``dim``/``axis`` (NumPy flattens first when no axis is given).

    >>> import dualad as da
    >>> da.cumsum(da.tensor([1.0, 2.0, 3.0]), dim=0).tolist()
    [1.0, 3.0, 6.0]
    """
    ax, _ = normalize_axis(dim, axis)
    if _whole_if_0d(x, ax) is None:
        shape = shape_of(x) if ax is not None else (-1,)  # a 0-d tensor stays 0-d
        return reshape(cumsum(reshape(x, (-1,)), 0, dtype=dtype), shape)
    out = apply(_CUMSUM, x, axis=int(ax))
    return out if dtype is None else out.to(dtype)

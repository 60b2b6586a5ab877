"""NumPy's sorting, gathering, padding and selection functions, with NumPy's signatures.

``sort`` is a registry op (its derivative follows the sorting permutation; tied
elements share it equally, see :func:`np_sort`). The others are composites of
registry ops (getitem, index_add, setitem, where, reshape, broadcast_to), so
both modes, every order and the SymPy export come from those ops.

>>> import dualad as da
>>> x = da.tensor([3.0, 1.0, 2.0], requires_grad=True)
>>> (da.ops.np_sort(x) * da.tensor([1.0, 10.0, 100.0])).sum().backward(); x.grad.tolist()
[100.0, 1.0, 10.0]
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from .._state import state
from .._sympy import sp
from ..batched_tensor import BatchedTensor
from ..registry import Domain, Kink, Op, apply, register_op
from ..tensor import Tensor, _wrap, ndim_of, shape_of
from ._define import kink_adjust
from .elementwise import where
from .inplace import setitem_
from .npmath import floor_divide, remainder
from .reductions import ValuesIndices
from .shape import broadcast_to, clone, getitem, index_add, ravel, reshape
from .vmap_rules import raw_reduction


def _raw(v: Any) -> Any:
    return v._data if isinstance(v, Tensor) else np.asarray(v)


def _tensor(a: Any) -> Tensor:
    return a if isinstance(a, Tensor) else Tensor(np.asarray(a))


def _constant_index(v: Any, name: str, what: str) -> np.ndarray:
    """An integer (or boolean) argument as a NumPy array; a float tensor that requires grad
    is refused (its gradient would be silently lost)."""
    if isinstance(v, Tensor) and v.requires_grad:
        raise TypeError(f"{name}: {what} cannot be differentiated; pass it detached "
                        "(an index or mask carries no gradient)")
    return np.asarray(_raw(v))


# ------------------------------------------------------------------ helpers
def along_index(shape: tuple, indices: np.ndarray, axis: int) -> tuple:
    """The advanced index that picks ``indices`` along ``axis`` of an array of ``shape``
    (NumPy's ``take_along_axis``: the other axes broadcast against ``indices``)."""
    out = []
    for d, n in enumerate(shape):
        if d == axis:
            out.append(np.asarray(indices, dtype=np.intp))
        else:
            s = [1] * len(shape)
            s[d] = n
            out.append(np.arange(n).reshape(s))
    return tuple(out)


def _tie_groups(s: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray] | None:
    """For sorted ``s``: each element's group of equal values along ``axis`` (a global
    group number) and each group's size; None when no two neighbours are equal."""
    if s.size == 0 or s.shape[axis] < 2:
        return None
    sm = np.moveaxis(s, axis, -1)
    same = sm[..., 1:] == sm[..., :-1]
    if not same.any():
        return None
    starts = np.ones(sm.shape, dtype=bool)
    starts[..., 1:] = ~same
    gid = (np.cumsum(starts.ravel()) - 1).reshape(sm.shape)
    return np.moveaxis(gid, -1, axis), np.bincount(gid.ravel())


def _share_ties(v: Tensor, s: np.ndarray, axis: int) -> Tensor:
    """``v`` (in sorted order) with each group of tied positions replaced by its mean
    (policies 'pytorch' and 'jax': left as it is, each position to its own input)."""
    groups = _tie_groups(s, axis)
    if groups is None or state.kink_policy in ("pytorch", "jax"):
        return v
    gid, counts = groups
    sums = index_add(v, (gid,), (counts.size,))
    return getitem(sums, (gid,)) * (1.0 / counts[gid]).astype(_raw(v).dtype)


def _touched_ties(v: np.ndarray, s: np.ndarray, axis: int) -> np.ndarray | None:
    """Policy 'nan': the sorted positions in a tie group of which some ``v`` (a cotangent or
    tangent in sorted order) is nonzero; None when there are no ties."""
    groups = _tie_groups(s, axis)
    if groups is None:
        return None
    gid, counts = groups
    hit = np.zeros(counts.size, dtype=bool)
    np.logical_or.at(hit, gid, np.broadcast_to(v, gid.shape) != 0)
    return hit[gid] & (counts[gid] > 1)


def _sorted(raw: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    perm = np.argsort(raw, axis=axis, kind="stable")
    return perm, np.take_along_axis(raw, perm, axis)


def _policy(d: Tensor, inputs: tuple, axis: int, mode: str) -> Tensor:
    """The kink policy and tracker of ``sort`` on its result (policy 'nan' is applied by the
    rules themselves: nan only where a nonzero cotangent or tangent crosses a tie)."""
    if state.kink_policy == "nan":
        return d
    return kink_adjust(_SORT, 0, d, inputs, {"axis": axis}, mode)


def _sort_vjp(g: Any, out: Any, x: Any, axis: int) -> Tensor:
    raw = _raw(x)
    perm, s = _sorted(raw, axis)
    index = along_index(raw.shape, perm, axis)
    result = index_add(_share_ties(g, s, axis), index, raw.shape)
    if state.kink_policy == "nan":
        touched = _touched_ties(_raw(g), s, axis)
        if touched is not None and touched.any():
            bad = np.zeros(raw.shape, dtype=bool)
            bad[index] = touched
            result = where(bad, np.nan, result)
    return _policy(result, (x,), axis, "backward")


def _sort_jvp(t: Any, out: Any, x: Any, axis: int) -> Tensor:
    raw = _raw(x)
    perm, s = _sorted(raw, axis)
    picked = getitem(broadcast_to(t, raw.shape), along_index(raw.shape, perm, axis))
    result = _share_ties(picked, s, axis)
    if state.kink_policy == "nan":
        touched = _touched_ties(_raw(picked), s, axis)
        if touched is not None and touched.any():
            result = where(touched, np.nan, result)
    return _policy(result, (s,), axis, "jvp")


def _distinct_along(x: Any, axis: int = -1) -> bool:
    s = np.sort(np.asarray(x), axis=axis)
    return bool(s.shape[axis] < 2 or np.min(np.abs(np.diff(s, axis=axis))) > 1e-3)


def _tied(x: Any, axis: int = -1) -> np.ndarray:
    """``Kink.at``: the elements equal to another element of their slice."""
    x = np.asarray(x)
    perm = np.argsort(x, axis=axis, kind="stable")
    s = np.take_along_axis(x, perm, axis)
    same = np.zeros(s.shape, dtype=bool)
    sm, mm = np.moveaxis(s, axis, -1), np.moveaxis(same, axis, -1)
    eq = sm[..., 1:] == sm[..., :-1]
    mm[..., 1:] |= eq
    mm[..., :-1] |= eq
    hit = np.zeros(x.shape, dtype=bool)
    np.put_along_axis(hit, perm, same, axis)
    return hit


def _order_statistics(values: list) -> list:
    """The sorted values as SymPy expressions, by a sorting network (odd-even transposition)
    whose comparators are min(a, b) = (a + b - |a - b|)/2 and max(a, b) = (a + b + |a - b|)/2
    (SymPy's Max and Min are slow to build and differentiate)."""
    out = list(values)
    n = len(out)
    for r in range(n):
        for i in range(r % 2, n - 1, 2):
            a, b = out[i], out[i + 1]
            gap = sp.Abs(a - b)
            out[i], out[i + 1] = (a + b - gap) / 2, (a + b + gap) / 2
    return out


def _sym_sort(x: Any, axis: int) -> np.ndarray:
    arr = np.moveaxis(np.asarray(x, dtype=object), axis, -1)
    out = np.empty(arr.shape, dtype=object)
    for i in np.ndindex(arr.shape[:-1]):
        out[i] = _order_statistics(list(arr[i]))
    return np.moveaxis(out, -1, axis)


_SORT: Op = register_op(Op(
    name="sort", forward=lambda x, axis: np.sort(x, axis=axis, kind="stable"),
    vjp=(_sort_vjp,), jvp=(_sort_jvp,), sympy=_sym_sort,
    domain=Domain(ranges=(((-3.0, 3.0),),), valid=_distinct_along,
                  shapes=[(((4,),), {"axis": 0}), (((2, 4),), {"axis": 1}),
                          (((3, 2, 2),), {"axis": 0})]),
    kinks=(Kink("two elements of a slice are equal (a tie)", ((np.array([1.0, 1.0, 0.5]),),),
                (np.ones(3),), 2,
                "sort is continuous and piecewise linear; at a tie the tied output positions "
                "hold the mean of the tied inputs' derivatives (the minimum-norm element of "
                "the Clarke Jacobian; with amax/amin's convention). PyTorch and JAX send each "
                "output's derivative to the one input their sort put there. (Declared values: "
                "the gradient of sum(out), which every convention gives.)",
                params={"axis": 0}, pytorch=(np.ones(3),), jax=(np.ones(3),), at=_tied),),
    doc="Sorted copy along an axis; the derivative follows the permutation, shared at ties."))


def np_sort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None, *,
            stable: Any = None) -> Tensor:
    """NumPy's ``sort``: a sorted copy along ``axis`` (None: flattened first). The derivative
    follows the permutation; where elements tie, the tied positions share their derivative
    equally (``d sort(x)[k] / d x[i]`` is ``1/m`` for each of the ``m`` tied ``x[i]``).

    >>> import dualad as da
    >>> x = da.tensor([2.0, 1.0, 2.0], requires_grad=True)
    >>> da.ops.np_sort(x)[2].backward(); x.grad.tolist()
    [0.5, 0.0, 0.5]
    """
    if order is not None:
        raise TypeError("sort: order= (structured arrays) is not supported on dualad Tensors")
    x = _tensor(a)
    if axis is None:
        x, axis = ravel(x), 0
    if ndim_of(x) == 0:
        raise np.exceptions.AxisError("axis -1 is out of bounds for array of dimension 0")
    return apply(_SORT, x, axis=normalize_axis_index(int(axis), ndim_of(x)))


def _stable_argsort(raw: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    if not descending:
        return np.argsort(raw, axis=axis, kind="stable")
    # stable descending: reverse, sort ascending stably, reverse back (ties keep input order)
    n = raw.shape[axis]
    flipped = np.flip(raw, axis)
    return n - 1 - np.flip(np.argsort(flipped, axis=axis, kind="stable"), axis)


def sort(x: Any, dim: int = -1, descending: bool = False, stable: bool = False, *,
         axis: Any = None) -> ValuesIndices:
    """PyTorch's ``sort``: ``(values, indices)`` along ``dim`` (stable: tied elements keep
    their order). ``np.sort(t)`` is NumPy's (:func:`np_sort`, values only).

    >>> import dualad as da
    >>> da.sort(da.tensor([3.0, 1.0, 2.0]), descending=True).indices.tolist()
    [0, 2, 1]
    """
    x = _tensor(x)
    ax = normalize_axis_index(int(dim if axis is None else axis), max(ndim_of(x), 1))
    if ndim_of(x) == 0:
        return ValuesIndices(clone(x), _wrap(np.zeros((), dtype=np.int64)))
    values = apply(_SORT, x, axis=ax)
    if descending:
        values = getitem(values, (slice(None),) * ax + (slice(None, None, -1),))
    return ValuesIndices(values, _argsort_indices(x, ax, descending))


def _argsort_indices(x: Tensor, axis: int, descending: bool) -> Tensor:
    """int64 indices that sort ``x`` along ``axis`` stably (per example inside vmap)."""
    def indices(raw: np.ndarray, axis: int, keepdims: bool = False) -> np.ndarray:
        return _stable_argsort(raw, axis, descending).astype(np.int64)
    if isinstance(x, BatchedTensor):
        return raw_reduction(indices, x, axis, False)
    return _wrap(indices(x._data, axis))


def np_argsort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None, *,
               stable: Any = None) -> Tensor:
    """NumPy's ``argsort``: the indices that sort ``a`` (integers: no gradient)."""
    if order is not None:
        raise TypeError("argsort: order= is not supported on dualad Tensors")
    return _wrap(np.asarray(np.argsort(_raw(a), axis=axis, kind=kind, stable=stable)))


def argsort(x: Any, dim: int = -1, descending: bool = False, stable: bool = False, *,
            axis: Any = None) -> Tensor:
    """PyTorch's ``argsort`` (``dim``, ``descending``); integers, so no gradient.

    >>> import dualad as da
    >>> da.argsort(da.tensor([3.0, 1.0, 2.0])).tolist()
    [1, 2, 0]
    """
    raw = _raw(x)
    if raw.ndim == 0:
        return _wrap(np.zeros((), dtype=np.int64))
    ax = normalize_axis_index(int(dim if axis is None else axis), raw.ndim)
    return _wrap(_stable_argsort(raw, ax, descending).astype(np.int64))


def partition(a: Any, kth: Any, axis: Any = -1, kind: Any = "introselect",
              order: Any = None) -> Tensor:
    """NumPy's ``partition``: the ``kth`` element(s) in sorted position, smaller ones before,
    larger after. The values are those of ``np.partition``; each output element's derivative
    goes to the input element NumPy's ``argpartition`` put there (at a tie, to that one).

    >>> import dualad as da
    >>> da.partition(da.tensor([3.0, 1.0, 2.0, 0.0]), 1)[1].item()
    1.0
    """
    if order is not None:
        raise TypeError("partition: order= is not supported on dualad Tensors")
    x = _tensor(a)
    if axis is None:
        x, axis = ravel(x), 0
    raw = x._data
    ax = normalize_axis_index(int(axis), raw.ndim)
    perm = np.argpartition(raw, _raw(kth), axis=ax, kind=kind)
    return getitem(x, along_index(raw.shape, perm, ax))


# ------------------------------------------------------------- take & co
def take(a: Any, indices: Any, axis: Any = None, out: Any = None, mode: str = "raise") -> Tensor:
    """NumPy's ``take`` (``mode`` 'raise', 'wrap' or 'clip'); ``axis=None`` takes from the
    flattened tensor (PyTorch's ``take``). Repeated indices accumulate gradients.

    >>> import dualad as da
    >>> da.take(da.tensor([[1.0, 2.0], [3.0, 4.0]]), [3, 0]).tolist()
    [4.0, 1.0]
    """
    if out is not None:
        raise TypeError("take on a dualad Tensor does not support out=")
    x = _tensor(a)
    if axis is None:
        x, axis = ravel(x), 0
    ax = normalize_axis_index(int(axis), ndim_of(x))
    n = shape_of(x)[ax]
    idx = _constant_index(indices, "take", "indices").astype(np.intp)
    if mode == "wrap":
        idx = np.mod(idx, n) if n else idx
    elif mode == "clip":
        idx = np.clip(idx, 0, max(n - 1, 0))
    elif mode == "raise":
        bad = (idx < -n) | (idx >= n)
        if bad.any():
            raise IndexError(f"index {int(idx[bad].flat[0])} is out of bounds for axis {ax} "
                             f"with size {n}")
    else:
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    return getitem(x, (slice(None),) * ax + (idx,))


def take_along_axis(arr: Any, indices: Any, axis: Any = -1) -> Tensor:
    """NumPy's ``take_along_axis``: ``arr`` gathered at ``indices`` along ``axis`` (the other
    axes broadcast); ``axis=None`` uses the flattened ``arr`` and 1-d ``indices``.

    >>> import dualad as da
    >>> x = da.tensor([[3.0, 1.0], [0.0, 5.0]])
    >>> da.take_along_axis(x, da.argsort(x, axis=1), axis=1).tolist()
    [[1.0, 3.0], [0.0, 5.0]]
    """
    x = _tensor(arr)
    idx = _constant_index(indices, "take_along_axis", "indices")
    if idx.dtype.kind not in "iu":
        raise IndexError("`indices` must be an integer array")
    if axis is None:
        if idx.ndim != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        x, axis = ravel(x), 0
    if idx.ndim != ndim_of(x):
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    ax = normalize_axis_index(int(axis), ndim_of(x))
    return getitem(x, along_index(shape_of(x), idx, ax))


def put_along_axis(arr: Any, indices: Any, values: Any, axis: Any) -> None:
    """NumPy's ``put_along_axis``: writes ``values`` into ``arr`` in place at ``indices``
    along ``axis`` (as ``t[index] = v``: the version counter is bumped and the gradient
    flows to the values written and the elements kept); returns None, as NumPy.

    >>> import dualad as da
    >>> x = da.zeros(2, 2)
    >>> da.put_along_axis(x, da.tensor([[1], [0]]), 5.0, axis=1); x.tolist()
    [[0.0, 5.0], [5.0, 0.0]]
    """
    if not isinstance(arr, Tensor):
        raise TypeError("put_along_axis: writing dualad Tensors into a NumPy array would lose "
                        "their gradient; make the array a dualad Tensor (da.tensor(arr)) first")
    idx = _constant_index(indices, "put_along_axis", "indices")
    if idx.dtype.kind not in "iu":
        raise IndexError("`indices` must be an integer array")
    shape = shape_of(arr)
    if axis is None:
        if idx.ndim != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        index = np.unravel_index(np.mod(idx, max(arr.numel(), 1)), shape)
        values = broadcast_to(values, idx.shape) if isinstance(values, Tensor) else \
            np.broadcast_to(values, idx.shape)
        setitem_(arr, index, values)
        return
    if idx.ndim != len(shape):
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    ax = normalize_axis_index(int(axis), len(shape))
    index = np.broadcast_arrays(*along_index(shape, idx, ax))
    setitem_(arr, tuple(index), values)


def compress(condition: Any, a: Any, axis: Any = None, out: Any = None) -> Tensor:
    """NumPy's ``compress``: the slices along ``axis`` (flattened when None) where the 1-d
    ``condition`` is true.

    >>> import dualad as da
    >>> da.compress([False, True, True], da.tensor([1.0, 2.0, 3.0])).tolist()
    [2.0, 3.0]
    """
    if out is not None:
        raise TypeError("compress on a dualad Tensor does not support out=")
    cond = _constant_index(condition, "compress", "condition")
    if cond.ndim != 1:
        raise ValueError("condition must be a 1-d array")
    return take(a, np.nonzero(cond)[0], axis=axis)


def extract(condition: Any, arr: Any) -> Tensor:
    """NumPy's ``extract``: the elements of the flattened ``arr`` where the flattened
    ``condition`` is nonzero."""
    cond = _constant_index(condition, "extract", "condition")
    return take(ravel(_tensor(arr)), np.nonzero(np.ravel(cond))[0])


def select(condlist: Any, choicelist: Any, default: Any = 0) -> Tensor:
    """NumPy's ``select``: from each position, the choice of the first true condition, else
    ``default``; differentiable in the choices and the default. (Called as PyTorch's
    ``select(x, dim, index)``, with a tensor and two ints, it is ``x`` indexed at ``index``
    along ``dim``.)

    >>> import dualad as da
    >>> x = da.tensor([-1.0, 0.5, 3.0])
    >>> da.select([x < 0, x > 1], [-x, x * 2.0], default=x).tolist()
    [1.0, 0.5, 6.0]
    """
    if isinstance(condlist, Tensor) and isinstance(choicelist, (int, np.integer)):
        dim = normalize_axis_index(int(choicelist), ndim_of(condlist))
        return getitem(condlist, (slice(None),) * dim + (operator.index(default),))
    conds, choices = list(condlist), list(choicelist)
    if len(conds) != len(choices):
        raise ValueError("list of cases must be same length as list of conditions")
    if not choices:
        raise ValueError("select with an empty condition list is not possible")
    masks = []
    for i, c in enumerate(conds):
        m = _constant_index(c, "select", "a condition")
        if m.dtype != bool:
            raise TypeError(f"invalid entry {i} in condlist: should be boolean ndarray")
        masks.append(m)
    out: Any = default
    for m, c in zip(reversed(masks), reversed(choices)):
        out = where(m, c, out)
    shape = np.broadcast_shapes(*(np.shape(m) for m in masks), *(shape_of(c) for c in choices),
                                shape_of(default))
    out = _tensor(out)
    return out if shape_of(out) == shape else broadcast_to(out, shape)


# ----------------------------------------------------------------- meshgrid
def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-d coordinate vectors (PyTorch's default ``indexing='ij'``;
    ``np.meshgrid(t, ...)`` is NumPy's, ``'xy'``). ``sparse=True`` returns broadcastable
    grids. Differentiable in every input.

    >>> import dualad as da
    >>> gx, gy = da.meshgrid(da.tensor([1.0, 2.0]), da.tensor([3.0, 4.0, 5.0]))
    >>> gx.shape, gy.shape
    ((2, 3), (2, 3))
    """
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    if len(xi) == 1 and isinstance(xi[0], (list, tuple)):
        xi = tuple(xi[0])
    nd = len(xi)
    ones = (1,) * nd
    outs = [reshape(ravel(_tensor(x)), ones[:i] + (-1,) + ones[i + 1:]) for i, x in enumerate(xi)]
    if indexing == "xy" and nd > 1:
        outs[0] = reshape(outs[0], (1, -1) + ones[2:])
        outs[1] = reshape(outs[1], (-1, 1) + ones[2:])
    if not sparse:
        shape = np.broadcast_shapes(*(shape_of(o) for o in outs))
        outs = [broadcast_to(o, shape) for o in outs]
    if copy:
        outs = [clone(o) for o in outs]
    return tuple(outs)


def np_meshgrid(*xi: Any, copy: bool = True, sparse: bool = False,
                indexing: str = "xy") -> tuple:
    """NumPy's ``meshgrid`` (default ``indexing='xy'``): see :func:`meshgrid`."""
    return meshgrid(*xi, copy=copy, sparse=sparse, indexing=indexing)


# ---------------------------------------------------------------------- pad
_PAD_GATHER = ("edge", "reflect", "symmetric", "wrap")


def pad(array: Any, pad_width: Any, mode: Any = "constant", **kwargs: Any) -> Tensor:
    """NumPy's ``pad`` for modes 'constant' (``constant_values``), 'edge', 'reflect',
    'symmetric' and 'wrap', with every ``pad_width`` form NumPy accepts. The padding is a
    gather of the input (NumPy's own ``pad`` of the index array), so the derivative of each
    padded element goes to the element it copies.

    >>> import dualad as da
    >>> da.pad(da.tensor([1.0, 2.0, 3.0]), (2, 1), mode="reflect").tolist()
    [3.0, 2.0, 1.0, 2.0, 3.0, 2.0]
    """
    x = _tensor(array)
    shape = shape_of(x)
    if not isinstance(mode, str) or mode not in ("constant",) + _PAD_GATHER:
        raise ValueError(f"pad on a dualad Tensor supports the modes 'constant', "
                         f"{', '.join(repr(m) for m in _PAD_GATHER)}; got mode={mode!r}")
    allowed = {"constant": {"constant_values"}, "reflect": {"reflect_type"},
               "symmetric": {"reflect_type"}}.get(mode, set())
    extra = set(kwargs) - allowed
    if extra:
        raise ValueError(f"unsupported keyword arguments for mode '{mode}': {extra}")
    if kwargs.get("reflect_type", "even") != "even":
        raise ValueError("pad on a dualad Tensor supports reflect_type='even' only")
    positions = np.arange(int(np.prod(shape)), dtype=np.intp).reshape(shape)
    if mode != "constant":
        gather: Any = mode
        index = np.pad(positions, pad_width, mode=gather)
        return getitem(ravel(x), index)
    cv = kwargs.get("constant_values", 0)
    index = np.pad(positions, pad_width, mode="constant", constant_values=0)
    inside = np.pad(np.ones(shape, dtype=bool), pad_width, mode="constant",
                    constant_values=False)
    if isinstance(cv, Tensor):
        if cv.ndim:
            raise TypeError("pad: a Tensor constant_values must be 0-d; pass per-axis "
                            "constants as numbers")
        fill: Any = cv
    else:
        fill = np.pad(np.zeros(shape, dtype=x.dtype), pad_width, mode="constant",
                      constant_values=cv)
    if positions.size == 0:
        return where(inside, 0.0, fill) if isinstance(fill, Tensor) else Tensor(fill)
    return where(inside, getitem(ravel(x), index), fill)


def divmod(x: Any, y: Any) -> tuple[Tensor, Tensor]:  # noqa: A001 (NumPy's name)
    """``(x // y, x % y)`` elementwise (NumPy's ``divmod``): the quotient has derivative 0.

    >>> import dualad as da
    >>> q, r = da.divmod(da.tensor([7.0, -7.0]), 2.0); q.tolist(), r.tolist()
    ([3.0, -4.0], [1.0, 1.0])
    """
    return floor_divide(x, y), remainder(x, y)


__all__ = [
    "along_index", "np_sort", "sort", "np_argsort", "argsort", "partition", "take",
    "take_along_axis", "put_along_axis", "compress", "extract", "select", "meshgrid",
    "np_meshgrid", "pad", "divmod",
]

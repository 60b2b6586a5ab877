"""Batched forward rules: tangents that carry a leading batch axis.

At a dual level opened with ``batch_size=B`` the tangent of a value of shape
``S`` has shape ``(B,) + S``. Elementwise rules broadcast over that axis
(the dispatch pads the tangent to the output's rank). Ops with axes, shapes
or indices in their parameters restate their rules for the extra leading
axis: this module is the library of rule builders they use, each op giving
its rules in its own entry (``Hints.batch_jvp``). A rule returns
``NotImplemented`` for arguments it cannot batch; the dispatch then runs the
ordinary rule once per batch element. An op with no batched rule gets that
per-element fallback too, so a new op is always right, just slower in
``jacfwd``/``jacrev``.

>>> import dualad as da
>>> from dualad import forward_ad as fwAD
>>> with fwAD.dual_level(batch_size=2):
...     x = fwAD.make_dual(da.ones((2, 3)), da.ones((2, 2, 3)))
...     fwAD.unpack_dual(x.sum(axis=1)).tangent
tensor([[3., 3.],
        [3., 3.]])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..registry import apply, get, pad_batched
from ..tensor import Tensor, ndim_of, shape_of


def _shift_axis(axis: Any, ndim: int) -> Any:
    """``axis`` of an unbatched value, as an axis of the batched tangent."""
    if axis is None:
        return tuple(range(1, ndim + 1))
    if isinstance(axis, (tuple, list)):
        return tuple(a % ndim + 1 for a in axis)
    return axis % ndim + 1


def reduction(name: str) -> Callable:
    """For a reduction over ``axis`` (sum, mean): the same reduction, axes shifted by one."""
    def rule(t: Tensor, out: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
        return apply(get(name), t, axis=_shift_axis(axis, ndim_of(x)), keepdims=keepdims)
    return rule


def relabel(t: Tensor, out: Any, x: Any, **params: Any) -> Tensor:
    """Ops that only relabel the shape (reshape, flatten, squeeze, ...): same element order."""
    return apply(get("reshape"), t, shape=t._data.shape[:1] + out._data.shape)


def lifted(name: str) -> Callable:
    """Batch an op's own jvp rule by giving it primals with a leading unit axis.

    For ops whose only shape-dependent parameter is ``axis`` and whose rule
    broadcasts (softmax, logsumexp, var, ...): the rule then sees a
    consistently batched problem, the primals broadcasting against ``t``.
    """
    def rule(t: Tensor, out: Any, x: Any, axis: Any = None, **params: Any) -> Tensor:
        nd = ndim_of(x)
        lift = [apply(get("reshape"), v, shape=(1,) + shape_of(v)) for v in (out, x)]
        return get(name).jvp[0](t, *lift, axis=_shift_axis(axis, nd), **params)
    return rule


def concatenate(first: bool) -> Callable:
    """For input 0 (``first``) or 1 of concatenate: the tangent next to zeros, one axis on."""
    def rule(t: Tensor, out: Any, x: Any, y: Any, axis: int) -> Tensor:
        zeros = Tensor(np.zeros(t._data.shape[:1] + shape_of(y if first else x), t._data.dtype))
        pair = (t, zeros) if first else (zeros, t)
        return apply(get("concatenate"), *pair, axis=axis % ndim_of(x) + 1)
    return rule


def permute(t: Tensor, out: Any, x: Any, axes: tuple) -> Tensor:
    """The permutation with the batch axis kept first."""
    return apply(get("permute"), t, axes=(0,) + tuple(a + 1 for a in axes))


def broadcast_to(t: Tensor, out: Any, x: Any, shape: tuple) -> Tensor:
    """Broadcast to ``(B,) + shape`` after padding the tangent to the rank of ``shape``."""
    t = pad_batched(t, len(shape))
    return apply(get("broadcast_to"), t, shape=t._data.shape[:1] + tuple(shape))


def sum_to(t: Tensor, out: Any, x: Any, shape: tuple) -> Tensor:
    """Sum the extra leading axes away (after the batch axis), then to ``(B,) + shape``."""
    lead = ndim_of(x) - len(shape)
    if lead > 0:
        t = apply(get("sum"), t, axis=tuple(range(1, lead + 1)), keepdims=False)
    return apply(get("sum_to"), t, shape=t._data.shape[:1] + tuple(shape))


def same(name: str) -> Callable:
    """For ops that act on the trailing axes alone (tril, astype, clone): the op itself."""
    def rule(t: Tensor, out: Any, x: Any, **params: Any) -> Tensor:
        return apply(get(name), t, **params)
    return rule


def _batched_index(index: Any) -> Any:
    """``index`` with a leading full slice, or None when that would move axes.

    NumPy puts the axes of non-adjacent advanced indices first; a leading
    slice then changes the result's layout, so such indices are not batched.
    """
    items = index if isinstance(index, tuple) else (index,)
    advanced = [k for k, i in enumerate(items)
                if isinstance(i, (np.ndarray, list)) or (isinstance(i, Tensor))]
    if advanced and advanced != list(range(advanced[0], advanced[0] + len(advanced))):
        return None
    return (slice(None),) + tuple(items)


def getitem(t: Tensor, out: Any, x: Any, index: Any) -> Any:
    """The index with a leading full slice (NotImplemented where that moves axes)."""
    bi = _batched_index(index)
    if bi is None:
        return NotImplemented
    return apply(get("getitem"), t, index=bi)


def index_add(t: Tensor, out: Any, g: Any, index: Any, shape: tuple) -> Any:
    """Scatter into ``(B,) + shape`` with a leading full slice in the index."""
    bi = _batched_index(index)
    if bi is None:
        return NotImplemented
    return apply(get("index_add"), t, index=bi, shape=t._data.shape[:1] + tuple(shape))


def _promoted(shape: tuple, first: bool) -> tuple:
    """NumPy's matmul promotion of a 1-d operand to a matrix."""
    if len(shape) == 1:
        return (1,) + shape if first else shape + (1,)
    return shape


def _matmul_folded(i: int, t: Tensor, out: Any, x: Any, y: Any) -> Any:
    """Vector and matrix operands: fold the batch axis into one matrix product (one GEMM
    instead of a stack of small ones). None when the operands are stacks."""
    xs, ys = shape_of(x), shape_of(y)
    if len(xs) > 2 or len(ys) > 2:
        return None
    batch = t._data.shape[:1]
    if i == 0:
        rows = apply(get("reshape"), t, shape=(-1, xs[-1]))
        res = apply(get("matmul"), rows, y)
        return apply(get("reshape"), res, shape=batch + out._data.shape)
    if len(ys) == 1:
        other = x if len(xs) == 1 else apply(get("permute"), x, axes=(1, 0))
        return apply(get("matmul"), t, other)
    return None


def matmul(i: int) -> Callable:
    """For input ``i`` of matmul: one product with the batch axis folded in or stacked."""
    def rule(t: Tensor, out: Any, x: Any, y: Any) -> Tensor:
        folded = _matmul_folded(i, t, out, x, y)
        if folded is not None:
            return folded
        xs, ys = _promoted(shape_of(x), True), _promoted(shape_of(y), False)
        rank = max(len(xs), len(ys))
        core = xs if i == 0 else ys
        tb = apply(get("reshape"), t, shape=t._data.shape[:1] + (1,) * (rank - len(core)) + core)
        other = y if i == 0 else x
        other = apply(get("reshape"), other, shape=ys if i == 0 else xs) \
            if ndim_of(other) == 1 else other
        res = apply(get("matmul"), tb, other) if i == 0 else apply(get("matmul"), other, tb)
        return apply(get("reshape"), res, shape=t._data.shape[:1] + out._data.shape)
    return rule

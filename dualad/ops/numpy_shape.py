"""NumPy's stacking, splitting and reordering functions, with NumPy's signatures.

Each is a composite of registry ops (concatenate, reshape, getitem, flip,
permute, broadcast_to, diag), so both modes, every order, the SymPy export and
the kink tracking come from those ops. Argument errors are NumPy's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from ..tensor import Tensor, ndim_of, shape_of
from .linalg import diag
from .shape import astype, broadcast_to, clone, concatenate, flip, getitem, permute, ravel, reshape


def _tensor(a: Any) -> Tensor:
    return a if isinstance(a, Tensor) else Tensor(np.asarray(a))


def _cast(out: Tensor, dtype: Any) -> Tensor:
    return out if dtype is None else astype(out, dtype)


# ------------------------------------------------------------------ atleast_nd
def _atleast(arys: tuple, shape_for: Any) -> Any:
    out = []
    for a in arys:
        t = _tensor(a)
        new = shape_for(shape_of(t))
        out.append(t if new == shape_of(t) else reshape(t, new))
    return out[0] if len(out) == 1 else tuple(out)


def atleast_1d(*arys: Any) -> Any:
    """View inputs as tensors with at least one dimension (one tensor, or a tuple).

    >>> import dualad as da
    >>> da.atleast_1d(da.tensor(2.0)).shape
    (1,)
    """
    return _atleast(arys, lambda s: s if len(s) >= 1 else (1,))


def atleast_2d(*arys: Any) -> Any:
    """View inputs as tensors with at least two dimensions: a 1-d ``(n,)`` becomes ``(1, n)``."""
    return _atleast(arys, lambda s: s if len(s) >= 2 else (1,) * (2 - len(s)) + s)


def _shape_3d(s: tuple) -> tuple:
    if len(s) >= 3:
        return s
    return {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}[len(s)]


def atleast_3d(*arys: Any) -> Any:
    """At least three dimensions: ``(n,)`` becomes ``(1, n, 1)``, ``(m, n)`` becomes
    ``(m, n, 1)``."""
    return _atleast(arys, _shape_3d)


# -------------------------------------------------------------------- stacking
def _items(tup: Any, name: str) -> list:
    if isinstance(tup, Tensor) or not isinstance(tup, Sequence):
        raise TypeError(f"{name}: arrays to stack must be passed as a sequence (a list or "
                        "tuple of tensors)")
    return list(tup)


def _as_tuple(x: Any) -> tuple:
    return x if isinstance(x, tuple) else (x,)


def vstack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> Tensor:
    """Stack along the first axis, after making every input at least 2-d."""
    items = [atleast_2d(a) for a in _items(tup, "vstack")]
    return _cast(concatenate(items, axis=0), dtype)


def hstack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> Tensor:
    """Stack along the second axis (the first for 1-d inputs)."""
    items = [atleast_1d(a) for a in _items(tup, "hstack")]
    axis = 0 if items and ndim_of(items[0]) == 1 else 1
    return _cast(concatenate(items, axis=axis), dtype)


def dstack(tup: Any) -> Tensor:
    """Stack along the third axis, after making every input at least 3-d."""
    return concatenate([atleast_3d(a) for a in _items(tup, "dstack")], axis=2)


def column_stack(tup: Any) -> Tensor:
    """Stack 1-d inputs as the columns of a 2-d tensor; 2-d inputs are stacked as they are."""
    items = []
    for a in _items(tup, "column_stack"):
        t = _tensor(a)
        items.append(reshape(t, (-1, 1)) if ndim_of(t) < 2 else t)
    return concatenate(items, axis=1)


def append(arr: Any, values: Any, axis: Any = None) -> Tensor:
    """``arr`` with ``values`` joined at the end; both are flattened when ``axis`` is None."""
    arr, values = _tensor(arr), _tensor(values)
    if axis is None:
        arr = arr if ndim_of(arr) == 1 else ravel(arr)
        values, axis = ravel(values), ndim_of(arr) - 1
    return concatenate([arr, values], axis=axis)


# ------------------------------------------------------------------- splitting
def _slice_axis(x: Tensor, axis: int, start: int, stop: int) -> Tensor:
    return getitem(x, (slice(None),) * axis + (slice(start, stop),))


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """Split into ``n`` nearly equal parts (the first ones one longer), or at the given
    indices (sliced as Python slices, so parts may be empty).

    >>> import dualad as da
    >>> [p.tolist() for p in da.array_split(da.arange(5.0), 3)]
    [[0.0, 1.0], [2.0, 3.0], [4.0]]
    """
    x = _tensor(ary)
    axis = normalize_axis_index(int(axis), ndim_of(x))
    n = shape_of(x)[axis]
    try:
        cuts = [0] + [int(i) for i in indices_or_sections] + [n]
    except TypeError:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.") from None
        each, extra = divmod(n, sections)
        sizes = [0] + extra * [each + 1] + (sections - extra) * [each]
        cuts = [int(c) for c in np.cumsum(sizes)]
    return [_slice_axis(x, axis, a, b) for a, b in zip(cuts[:-1], cuts[1:])]


def np_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """NumPy's ``split`` (``da.split`` is PyTorch's): as :func:`array_split`, but a number of
    sections must divide the axis."""
    if np.ndim(indices_or_sections) == 0:
        x = _tensor(ary)
        if shape_of(x)[normalize_axis_index(int(axis), ndim_of(x))] % int(indices_or_sections):
            raise ValueError("array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)


def hsplit(ary: Any, indices_or_sections: Any) -> list:
    """Split along the second axis (the first for 1-d tensors)."""
    nd = ndim_of(ary)
    if nd == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return np_split(ary, indices_or_sections, 1 if nd > 1 else 0)


def vsplit(ary: Any, indices_or_sections: Any) -> list:
    """Split along the first axis of a tensor with at least 2 dimensions."""
    if ndim_of(ary) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return np_split(ary, indices_or_sections, 0)


def dsplit(ary: Any, indices_or_sections: Any) -> list:
    """Split along the third axis of a tensor with at least 3 dimensions."""
    if ndim_of(ary) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return np_split(ary, indices_or_sections, 2)


# ------------------------------------------------------------ repeat, tile, roll
def repeat(a: Any, repeats: Any, axis: Any = None) -> Tensor:
    """Repeat each element ``repeats`` times (an int, or one count per element), along
    ``axis`` or over the flattened tensor.

    >>> import dualad as da
    >>> da.repeat(da.tensor([1.0, 2.0]), [1, 2]).tolist()
    [1.0, 2.0, 2.0]
    """
    x = _tensor(a)
    if axis is None:
        x, axis = ravel(x), 0
    axis = normalize_axis_index(int(axis), ndim_of(x))
    index = np.repeat(np.arange(shape_of(x)[axis]), repeats)
    return getitem(x, (slice(None),) * axis + (index,))


def tile(A: Any, reps: Any) -> Tensor:  # noqa: N803 (NumPy's name)
    """``A`` repeated ``reps`` times along each axis (NumPy's rules for unequal lengths)."""
    x = _tensor(A)
    counts = tuple(int(r) for r in (reps if np.ndim(reps) else (reps,)))
    nd = max(len(counts), ndim_of(x))
    counts = (1,) * (nd - len(counts)) + counts
    shape = (1,) * (nd - ndim_of(x)) + shape_of(x)
    spread = tuple(d for s in shape for d in (1, s))
    wide = tuple(d for r, s in zip(counts, shape) for d in (r, s))
    out = broadcast_to(reshape(x, spread), wide)
    return reshape(out, tuple(r * s for r, s in zip(counts, shape)))


def roll(a: Any, shift: Any, axis: Any = None) -> Tensor:
    """Shift elements along ``axis`` (or the flattened tensor), wrapping around; ``shift``
    and ``axis`` may be tuples (broadcast against each other)."""
    x = _tensor(a)
    if axis is None:
        return reshape(roll(ravel(x), shift, 0), shape_of(x))
    pairs = np.broadcast(shift, axis)
    if pairs.ndim > 1:
        raise ValueError("'shift' and 'axis' should be scalars or 1D sequences")
    total: dict[int, int] = {}
    for s, ax in pairs:
        ax = normalize_axis_index(int(ax), ndim_of(x))
        total[ax] = total.get(ax, 0) + int(s)
    out = x
    for ax, s in total.items():
        n = shape_of(x)[ax]
        if n and s % n:
            out = getitem(out, (slice(None),) * ax + (np.roll(np.arange(n), s),))
    return clone(x) if out is x else out


# --------------------------------------------------------------- flips, rotations
def fliplr(m: Any) -> Tensor:
    """Reverse the order of columns (axis 1)."""
    if ndim_of(m) < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, axis=1)


def flipud(m: Any) -> Tensor:
    """Reverse the order of rows (axis 0)."""
    if ndim_of(m) < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, axis=0)


def rot90(m: Any, k: int = 1, axes: Any = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times, from the first axis of ``axes`` towards the second."""
    axes = tuple(axes)
    nd = ndim_of(m)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == nd:
        raise ValueError("Axes must be different.")
    if axes[0] >= nd or axes[0] < -nd or axes[1] >= nd or axes[1] < -nd:
        raise ValueError(f"Axes={axes} out of range for array of dimension {nd}.")
    k = int(k) % 4
    if k == 0:
        return clone(_tensor(m))
    if k == 2:
        return flip(flip(m, axis=axes[0]), axis=axes[1])
    order = list(range(nd))
    order[axes[0]], order[axes[1]] = order[axes[1]], order[axes[0]]
    if k == 1:
        return permute(flip(m, axis=axes[1]), order)
    return flip(permute(m, order), axis=axes[1])


def moveaxis(a: Any, source: Any, destination: Any) -> Tensor:
    """Move axes to new positions; the other axes keep their order."""
    nd = ndim_of(a)
    src = normalize_axis_tuple(source, nd, "source")
    dst = normalize_axis_tuple(destination, nd, "destination")
    if len(src) != len(dst):
        raise ValueError("`source` and `destination` arguments must have the same number "
                         "of elements")
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(a, order)


def rollaxis(a: Any, axis: int, start: int = 0) -> Tensor:
    """Roll ``axis`` backwards until it lies before position ``start`` (prefer moveaxis)."""
    n = ndim_of(a)
    axis = normalize_axis_index(int(axis), n)
    given = int(start)
    start = given + n if given < 0 else given
    if not 0 <= start < n + 1:
        raise np.exceptions.AxisError(f"'start' arg requires {-n} <= start < {n + 1}, but "
                                       f"{given} was passed in")
    if axis < start:
        start -= 1
    order = list(range(n))
    order.remove(axis)
    order.insert(start, axis)
    return permute(a, order)


# ------------------------------------------------------------------- diagonals
def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The diagonal of the ``(axis1, axis2)`` planes, as a last axis (NumPy's order).

    >>> import dualad as da
    >>> da.diagonal(da.arange(6.0).reshape(2, 3), 1).tolist()
    [1.0, 5.0]
    """
    nd = ndim_of(a)
    if nd < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    a1 = normalize_axis_index(int(axis1), nd, "axis1")
    a2 = normalize_axis_index(int(axis2), nd, "axis2")
    if a1 == a2:
        raise ValueError("axis1 and axis2 cannot be the same")
    x = permute(a, [d for d in range(nd) if d not in (a1, a2)] + [a1, a2])
    rows, cols = shape_of(a)[a1], shape_of(a)[a2]
    r0, c0 = max(-int(offset), 0), max(int(offset), 0)
    steps = np.arange(max(0, min(rows - r0, cols - c0)))
    return getitem(x, (Ellipsis, steps + r0, steps + c0))


def diagflat(v: Any, k: int = 0) -> Tensor:
    """A 2-d tensor with the flattened input on diagonal ``k``."""
    return diag(ravel(_tensor(v)), int(k))

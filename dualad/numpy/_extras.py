"""NumPy functions of ``dualad.numpy`` that are not one interop entry: the one-argument
``where``, and the in-place ``copyto`` and ``fill_diagonal`` on dualad Tensors."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops import interop
from ..tensor import Tensor, _wrap
from . import _creation


def where(condition: Any, *xy: Any) -> Any:
    """``numpy.where``: ``where(c, x, y)`` picks from ``x`` and ``y`` (differentiable in
    both); ``where(c)`` is ``nonzero(c)``, integer indices as Tensors.

    >>> import dualad.numpy as np
    >>> np.where(np.array([0.0, 2.0, 3.0]) > 1.0)
    (tensor([1, 2]),)
    """
    if not xy:
        raw = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
        return tuple(_wrap(i) for i in np.nonzero(raw))
    if len(xy) != 2:
        raise TypeError("dualad.numpy.where: give the condition alone, or with both x and y")
    args = [_creation.asarray(a) if isinstance(a, (list, tuple)) else a
            for a in (condition, *xy)]
    return interop.array_function(np.where, (Tensor,), tuple(args), {})


def copyto(dst: Any, src: Any, casting: str = "same_kind", where: Any = True) -> None:
    """``numpy.copyto``: into a dualad Tensor, an in-place differentiable assignment
    (``dst[...] = src``); into a NumPy array, NumPy's (refused while ``src`` is being
    differentiated)."""
    if not isinstance(dst, Tensor):
        np.copyto(dst, src, casting=casting, where=where)  # type: ignore[arg-type]
        return
    if casting != "same_kind":
        raise TypeError("dualad.numpy.copyto: only casting='same_kind' on a dualad Tensor")
    src = _creation.asarray(src) if isinstance(src, (list, tuple)) else src
    dst[...] = src if where is True else _select(where, src, dst)


_select = where


def fill_diagonal(a: Tensor, val: Any, wrap: bool = False) -> None:
    """``numpy.fill_diagonal`` on a dualad Tensor: ``a[i, i, ...] = val`` in place
    (differentiable in ``val``); ``val`` repeats along the diagonal if shorter."""
    if not isinstance(a, Tensor):
        raise TypeError("dualad.numpy.fill_diagonal: a must be a dualad Tensor (an array "
                        "of dualad.numpy); for a NumPy array use numpy.fill_diagonal")
    if a.ndim < 2 or (a.ndim > 2 and len(set(a.shape)) != 1):
        raise ValueError("dualad.numpy.fill_diagonal: array must be at least 2-d, and "
                         "all dimensions of equal length beyond 2-d (as in NumPy)")
    if wrap and a.ndim == 2 and a.shape[0] > a.shape[1] + 1:
        raise TypeError("dualad.numpy.fill_diagonal: wrap=True on a tall matrix is not "
                        "supported")
    n = min(a.shape)
    idx = np.arange(n)
    values = _creation.asarray(val)
    if values.ndim:
        flat = values.reshape(-1)
        values = flat[np.arange(n) % flat.shape[0]]
    a[(idx,) * a.ndim] = values

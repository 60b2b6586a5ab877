"""NumPy calls without NumPy's Python-level wrappers, for the hot paths.

``np.sum``, ``np.mean``, ``np.shape``, ``np.reshape``, ``np.broadcast_to`` ...
are Python functions around one C call. On the small arrays of a training
step the wrapper costs more than the work (``np.mean`` of 1,280 elements takes
about 10 us, the sum inside it 3 us), and more again when it has been pushed
out of the CPU's caches by a large matrix product. These helpers make the C
call directly for an ``ndarray`` and leave anything else to NumPy; they return
exactly what NumPy returns.

>>> import numpy as np
>>> x = np.arange(6.0).reshape(2, 3)
>>> mean(x, 0, False)
array([1.5, 2.5, 3.5])
>>> broadcast_to(np.float64(2.0), (2, 2))
array([[2., 2.],
       [2., 2.]])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

_ndarray, _FLOAT64 = np.ndarray, np.dtype(np.float64)
# called positionally, (x, axis, dtype, out, keepdims), which NumPy's overloads of
# ufunc.reduce (keepdims as a keyword Literal) do not describe
_add_reduce: Callable[..., Any] = np.add.reduce


def reshape(x: Any, shape: tuple) -> Any:
    """``np.reshape(x, shape)``."""
    return x.reshape(shape) if type(x) is _ndarray else np.reshape(x, shape)


def transpose(x: Any, axes: Any) -> Any:
    """``np.transpose(x, axes)``."""
    return x.transpose(axes) if type(x) is _ndarray else np.transpose(x, axes)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """``np.sum(x, axis=axis, keepdims=keepdims)``."""
    if type(x) is _ndarray:
        return _add_reduce(x, axis, None, None, keepdims)
    return np.sum(x, axis=axis, keepdims=keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """``np.mean(x, axis=axis, keepdims=keepdims)``: the same sum and the same division
    for a non-empty float64 array (other dtypes differ in how NumPy divides)."""
    if type(x) is not _ndarray or x.dtype is not _FLOAT64 or not x.size:
        return np.mean(x, axis=axis, keepdims=keepdims)
    total = _add_reduce(x, axis, None, None, keepdims)  # checks the axes first
    return total / count(x.shape, axis)


def count(shape: tuple, axis: Any) -> int:
    """How many elements a reduction over ``axis`` (None: all) of an array of ``shape``
    takes in: the divisor of a mean."""
    if axis is None or not shape:  # a 0-d array's dim 0 (or -1) is the whole array
        return math.prod(shape)
    return math.prod([shape[a] for a in ((axis,) if isinstance(axis, int) else axis)])


def broadcast_to(x: Any, shape: tuple) -> Any:
    """``np.broadcast_to(x, shape)``: a read-only view with stride 0 along the
    broadcast axes, made in one call for a contiguous array or a NumPy scalar."""
    if type(x) is not _ndarray:
        if not isinstance(x, np.generic):
            return np.broadcast_to(x, shape)
        x = x.__array__()  # a NumPy scalar: a 0-d array (the fastest way to make one)
    lead = len(shape) - x.ndim
    if lead < 0:
        return np.broadcast_to(x, shape)  # raises NumPy's error
    strides = [0] * lead
    for have, want, stride in zip(x.shape, shape[lead:], x.strides):
        if have == 1 and want >= 0:
            strides.append(0)
        elif have == want:
            strides.append(stride)
        else:
            return np.broadcast_to(x, shape)  # raises NumPy's error
    try:  # a view on x's buffer: NumPy refuses a non-contiguous or object array
        view = _ndarray(shape, x.dtype, x, 0, tuple(strides))
    except (TypeError, ValueError):
        return np.broadcast_to(x, shape)
    view.flags.writeable = False
    return view

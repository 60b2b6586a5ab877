"""Creating tensors: ``tensor``, ``zeros``, ``ones``, ``linspace``, ``randn``, ... (PyTorch names).

Floating results are float64 unless ``dtype`` says otherwise; every function
takes ``requires_grad=``.

>>> import dualad as da
>>> da.linspace(0.0, 1.0, 3, requires_grad=True)
tensor([0.0000, 0.5000, 1.0000], requires_grad=True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .tensor import Tensor, _init, shape_of

_rng = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed dualad's random number generator (``rand``, ``randn``, ``nn`` initialisation)."""
    global _rng
    _rng = np.random.default_rng(seed)


def generator() -> np.random.Generator:
    return _rng


def _shape(size: tuple) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _make(arr: np.ndarray, dtype: Any, requires_grad: bool) -> Tensor:
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    return Tensor(arr, dtype=arr.dtype, requires_grad=requires_grad)


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False,
           name: str | None = None) -> Tensor:
    """A new leaf tensor holding a copy of ``data``.

    >>> tensor([1, 2]).dtype, tensor([1.0, 2.0]).dtype
    (dtype('int64'), dtype('float64'))
    """
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, name=name)  # copies once


def from_numpy(array: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A tensor sharing storage with ``array``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    t = Tensor.__new__(Tensor)
    _init(t, array)
    return t.requires_grad_(requires_grad) if requires_grad else t


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(_shape(size)), dtype, requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.ones(_shape(size)), dtype, requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.full(_shape((size,)), fill_value), dtype, requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.eye(n, m), dtype, requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """``arange(4.0)`` is float64, ``arange(4)`` int64, as in NumPy."""
    arr = np.arange(start, end, step) if end is not None else np.arange(start, step=step)
    return _make(arr, dtype, requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive (PyTorch's signature)."""
    return _make(np.linspace(start, end, int(steps)), dtype, requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(_rng.random(_shape(size)), dtype, requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(_rng.standard_normal(_shape(size)), dtype, requires_grad)


def _like(t: Any, arr: np.ndarray, dtype: Any, requires_grad: bool) -> Tensor:
    # (t.dtype, not t._data.dtype: inside vmap, t may stand for a batch; the result is one
    # example's shape, the same for every example)
    src_dtype = t.dtype if isinstance(t, Tensor) else np.asarray(t).dtype
    return _make(arr, dtype if dtype is not None else src_dtype, requires_grad)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _like(t, np.zeros(shape_of(t)), dtype,
                 requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _like(t, np.ones(shape_of(t)), dtype,
                 requires_grad)


def full_like(t: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _like(t, np.full(shape_of(t), fill_value),
                 dtype, requires_grad)


def empty_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor shaped like ``t`` whose values are unspecified (zeros today); no gradient."""
    return _like(t, np.zeros(shape_of(t)), dtype, requires_grad)


def rand_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _like(t, _rng.random(shape_of(t)), dtype,
                 requires_grad)


def randn_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _like(t, _rng.standard_normal(shape_of(t)),
                 dtype, requires_grad)

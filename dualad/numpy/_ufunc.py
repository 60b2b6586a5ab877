"""NumPy's ufuncs in ``dualad.numpy``: the call and the methods ``reduce``,
``accumulate`` and ``outer``, written with the ufunc's own dualad op, so each is
differentiable wherever the ufunc is.

``np.add.reduce`` is ``np.sum`` (and ``multiply``/``maximum``/``minimum`` are ``prod``,
``max``, ``min``), ``np.add.accumulate`` is ``np.cumsum`` (``multiply``: ``cumprod``);
any other binary ufunc reduces and accumulates by applying itself along the axis, as
NumPy defines them. ``outer`` broadcasts. ``at`` and ``reduceat`` are not offered.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops as F
from ..ops import interop
from ..tensor import Tensor
from . import _creation

_NO_VALUE = getattr(np, "_NoValue", None)
# the NumPy function that is a ufunc's reduce / accumulate (when it has an interop entry)
_REDUCE_AS: dict[Any, Any] = {np.add: np.sum, np.multiply: np.prod, np.maximum: np.max,
                              np.minimum: np.min}
_ACCUMULATE_AS: dict[Any, Any] = {np.add: np.cumsum, np.multiply: np.cumprod}


def store(name: str, result: Any, out: Any) -> Any:
    """Write ``result`` into ``out`` (NumPy's ``out=``): a dualad Tensor in place
    (differentiable), or a NumPy array (refused while the value is differentiated)."""
    if out is None:
        return result
    target = out[0] if isinstance(out, tuple) and len(out) == 1 else out
    if isinstance(target, Tensor):
        target[...] = result
    elif isinstance(target, np.ndarray):
        np.copyto(target, np.asarray(result))
    else:
        raise TypeError(f"dualad.numpy.{name}: out= must be a dualad Tensor or a NumPy "
                        f"array, got {type(out).__name__}")
    return target


class Ufunc:
    """``numpy.<name>`` for dualad: the ufunc's dualad op under NumPy's semantics, with
    the methods ``reduce``, ``accumulate`` and ``outer``.

    >>> import dualad.numpy as np
    >>> np.add.outer([1.0, 2.0], [10.0, 20.0, 30.0])
    tensor([[11., 21., 31.],
            [12., 22., 32.]])
    >>> np.logaddexp.reduce([0.0, 0.0])
    tensor(0.6931)
    """

    def __init__(self, name: str, ufunc: np.ufunc) -> None:
        self.__name__ = self.__qualname__ = name
        self.ufunc = ufunc
        self.nin, self.nout, self.identity = ufunc.nin, ufunc.nout, ufunc.identity
        self.__doc__ = (f"``numpy.{name}`` for dualad: differentiable, NumPy's semantics "
                        "(also .reduce, .accumulate, .outer). See NumPy's documentation.")
        self.__wrapped__ = ufunc  # (NumPy's signature for help())

    def __repr__(self) -> str:
        return f"<dualad.numpy ufunc {self.__name__!r}>"

    def __call__(self, *inputs: Any, **kwargs: Any) -> Any:
        inputs = tuple(_creation.asarray(a) if isinstance(a, (list, tuple)) else a
                       for a in inputs)
        out = kwargs.pop("out", None)
        return store(self.__name__, interop.array_ufunc(self.ufunc, "__call__", inputs, kwargs),
                     out)

    def _binary(self, method: str) -> None:
        if self.nin != 2 or self.nout != 1:
            raise ValueError(f"dualad.numpy.{self.__name__}.{method}: only binary ufuncs "
                             "with one output have it (as in NumPy)")

    def reduce(self, array: Any, axis: Any = 0, dtype: Any = None, out: Any = None,
               keepdims: bool = False, initial: Any = _NO_VALUE, where: Any = True) -> Any:
        """``ufunc.reduce``: the ufunc applied along ``axis`` (``None``: every axis)."""
        self._binary("reduce")
        _unsupported(f"{self.__name__}.reduce", dtype=dtype, where=where)
        a = _creation.asarray(array)
        start = None if initial is _NO_VALUE else initial
        axes = tuple(range(a.ndim)) if axis is None else \
            (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
        np_func = _REDUCE_AS.get(self.ufunc)
        if np_func is not None and np_func in interop.FUNCTIONS:  # sum, prod, max, min
            result = interop.FUNCTIONS[np_func](a, axis=axes, keepdims=keepdims)
            if start is not None:
                result = self(result, start)  # (these ufuncs are reorderable)
        elif len(axes) == 1:
            result = self._fold(a, int(axes[0]) % a.ndim, keepdims, start)
        elif not axes:
            result = a
        else:
            raise TypeError(f"dualad.numpy.{self.__name__}.reduce: one axis at a time "
                            "(reducing over several axes is defined for reorderable "
                            "ufuncs only)")
        return store(f"{self.__name__}.reduce", result, out)

    def _fold(self, a: Tensor, axis: int, keepdims: bool, start: Any) -> Tensor:
        """``start`` (or the first slice) combined with each slice along ``axis`` in turn."""
        parts = F.moveaxis(a, axis, 0)
        n = a.shape[axis]
        if start is not None:
            shape = a.shape[:axis] + a.shape[axis + 1:]
            acc = _creation.full(shape, start, dtype=a.dtype) if not isinstance(start, Tensor) \
                else F.broadcast_to(start, shape)
            first = 0
        elif n:
            acc, first = parts[0], 1
        elif self.identity is None:
            raise ValueError(f"dualad.numpy.{self.__name__}.reduce: zero-size array and the "
                             "ufunc has no identity (give initial=)")
        else:
            acc = _creation.full(a.shape[:axis] + a.shape[axis + 1:], self.identity,
                                 dtype=a.dtype)
            first = n
        for i in range(first, n):
            acc = self(acc, parts[i])
        return F.expand_dims(acc, axis) if keepdims else acc

    def accumulate(self, array: Any, axis: int = 0, dtype: Any = None, out: Any = None) -> Any:
        """``ufunc.accumulate``: the running results of ``reduce`` along ``axis``."""
        self._binary("accumulate")
        _unsupported(f"{self.__name__}.accumulate", dtype=dtype)
        a = _creation.asarray(array)
        np_func = _ACCUMULATE_AS.get(self.ufunc)
        if not a.ndim:
            raise ValueError(f"dualad.numpy.{self.__name__}.accumulate: a 0-d array has no "
                             "axis to accumulate along")
        if np_func is not None and np_func in interop.FUNCTIONS:  # cumsum, cumprod
            result = interop.FUNCTIONS[np_func](a, axis=axis)
        else:
            result = self._running(a, int(axis) % a.ndim)
        return store(f"{self.__name__}.accumulate", result, out)

    def _running(self, a: Tensor, axis: int = 0) -> Tensor:
        parts = F.moveaxis(a, axis, 0)
        acc = [parts[0]] if a.shape[axis] else []
        for i in range(1, a.shape[axis]):
            acc.append(self(acc[-1], parts[i]))
        return F.moveaxis(F.stack(acc, 0), 0, axis) if acc else a

    def outer(self, A: Any, B: Any, **kwargs: Any) -> Any:  # noqa: N803
        """``ufunc.outer``: the ufunc on every pair, shape ``A.shape + B.shape``."""
        self._binary("outer")
        a, b = _creation.asarray(A), _creation.asarray(B)
        return self(F.reshape(a, a.shape + (1,) * b.ndim), b, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name in ("at", "reduceat"):
            raise AttributeError(f"dualad.numpy.{self.__name__}.{name} is not offered "
                                 "(no dualad op); index and assign, or use reduce on slices")
        return getattr(self.ufunc, name)  # (types, signature, ntypes...: metadata)


def _unsupported(name: str, **options: Any) -> None:
    for option, value in options.items():
        default = True if option == "where" else None
        if value is not default and not (option == "where" and value is True):
            raise TypeError(f"dualad.numpy.{name}: {option}= is not supported")

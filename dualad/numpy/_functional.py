"""NumPy's functions that call your Python function (``vectorize``, ``apply_along_axis``,
``piecewise``, ``fromfunction``), for ``dualad.numpy``: they hand it Tensors and stack
what it returns, so the result is differentiable wherever the function is. NumPy's
own versions turn the inputs into NumPy arrays first, which no Tensor can intercept.
Also ``astype`` and ``logspace``, composites of registry ops."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import ops as F
from ..tensor import Tensor
from . import _creation


def _stack_results(results: list[Any], shape: tuple[int, ...], name: str) -> Tensor:
    """The results of calls at each index of ``shape`` as one array of ``shape`` followed
    by the results' own shape."""
    parts = [_creation.asarray(r) for r in results]
    if not parts:
        return _creation.zeros(shape)
    shapes = {p.shape for p in parts}
    if len(shapes) > 1:
        raise ValueError(f"dualad.numpy.{name}: the function returned arrays of different "
                         f"shapes {sorted(shapes)}")
    return F.reshape(F.stack(parts, 0), shape + parts[0].shape)


class vectorize:  # noqa: N801  (NumPy's name)
    """``numpy.vectorize``: ``pyfunc`` called on each element (0-d Tensors), with NumPy's
    broadcasting of the arguments; differentiable through ``pyfunc``.

    >>> import dualad.numpy as np
    >>> np.vectorize(lambda a, b: a * b if a > 1 else a - b)([1.0, 2.0], 3.0)
    tensor([-2.,  6.])
    """

    def __init__(self, pyfunc: Callable[..., Any], otypes: Any = None, doc: str | None = None,
                 excluded: Any = None, cache: bool = False, signature: str | None = None) \
            -> None:
        if signature is not None:
            raise TypeError("dualad.numpy.vectorize: signature= is not supported; use "
                            "apply_along_axis or write the function for whole arrays")
        self.pyfunc = pyfunc
        self.otypes = otypes
        self.excluded = set(excluded or ())
        self.__doc__ = pyfunc.__doc__ if doc is None else doc

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        vary = [i for i in range(len(args)) if i not in self.excluded]
        arrays = [_creation.asarray(args[i]) for i in vary]
        shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
        arrays = [F.broadcast_to(a, shape) for a in arrays]
        results = []
        for index in itertools.product(*(range(n) for n in shape)):
            call = list(args)
            for i, a in zip(vary, arrays):
                call[i] = a[index]
            results.append(self.pyfunc(*call, **kwargs))
        out = _stack_results(results, tuple(shape), "vectorize")
        if self.otypes:
            out = F.astype(out, np.dtype(self.otypes[0]))
        return out


def apply_along_axis(func1d: Callable[..., Any], axis: int, arr: Any, *args: Any,
                     **kwargs: Any) -> Tensor:
    """``numpy.apply_along_axis``: ``func1d`` on each 1-d slice along ``axis``; its results
    take that axis's place (NumPy's layout).

    >>> import dualad.numpy as np
    >>> np.apply_along_axis(lambda v: v[0] * v[1], 1, [[1.0, 2.0], [3.0, 4.0]])
    tensor([ 2., 12.])
    """
    a = _creation.asarray(arr)
    axis = int(axis) % a.ndim
    moved = F.moveaxis(a, axis, -1)
    outer = moved.shape[:-1]
    results = [func1d(moved[index], *args, **kwargs)
               for index in itertools.product(*(range(n) for n in outer))]
    out = _stack_results(results, outer, "apply_along_axis")
    extra = out.ndim - len(outer)
    # the result's own axes go where ``axis`` was
    return F.moveaxis(out, tuple(range(len(outer), out.ndim)),
                      tuple(range(axis, axis + extra))) if extra else out


def piecewise(x: Any, condlist: Any, funclist: Sequence[Any], *args: Any, **kw: Any) \
        -> Tensor:
    """``numpy.piecewise``: where ``condlist[i]`` holds, ``funclist[i]`` of those elements
    (a function, or a constant); one more function is the value elsewhere (else 0). Each
    function sees only its elements, so a branch that is invalid elsewhere (``sqrt`` of
    negatives) spoils no derivative.

    >>> import dualad.numpy as np
    >>> x = np.array([-2.0, 0.5, 3.0])
    >>> np.piecewise(x, [x < 0, x >= 0], [lambda v: -v, np.sqrt])
    tensor([2.0000, 0.7071, 1.7321])
    """
    x = _creation.asarray(x)
    conds = condlist if isinstance(condlist, (list, tuple)) and len(condlist) and \
        np.ndim(_raw_bool(condlist[0])) == x.ndim else [condlist]
    masks = [np.broadcast_to(_raw_bool(c), x.shape) for c in conds]
    if len(funclist) == len(masks) + 1:
        masks.append(~np.any(masks, axis=0))
    elif len(funclist) != len(masks):
        raise ValueError(f"dualad.numpy.piecewise: {len(masks)} conditions need "
                         f"{len(masks)} or {len(masks) + 1} functions, got {len(funclist)}")
    out = _creation.zeros(x.shape, dtype=x.dtype)
    for mask, fn in zip(masks, funclist):
        if not mask.any():
            continue
        out[mask] = fn(x[mask], *args, **kw) if callable(fn) else fn
    return out


def _raw_bool(cond: Any) -> np.ndarray:
    data = cond._data if isinstance(cond, Tensor) else np.asarray(cond)
    return np.asarray(data, dtype=bool)


def fromfunction(function: Callable[..., Any], shape: Any, *, dtype: Any = float,
                 like: Any = None, **kwargs: Any) -> Any:
    """``numpy.fromfunction``: ``function`` called once with the index arrays (Tensors)."""
    if like is not None:
        raise TypeError("dualad.numpy.fromfunction: like= is not supported")
    return function(*(_creation.asarray(i) for i in np.indices(shape, dtype=dtype)),
                    **kwargs)


def astype(x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Tensor:
    """``numpy.astype``: a cast that keeps the gradient for floating types."""
    return F.astype(_creation.asarray(x), dtype)


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             base: Any = 10.0, dtype: Any = None, axis: int = 0) -> Tensor:
    """``numpy.logspace``: ``base ** linspace(start, stop)``; Tensor endpoints or base stay
    in the graph."""
    out = F.pow(_creation.asarray(base),
                _creation.linspace(start, stop, num, endpoint, axis=axis))
    return out if dtype is None else F.astype(out, dtype)

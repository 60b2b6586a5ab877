"""The creation functions of ``dualad.numpy``: ``array``, ``asarray``, ``empty``, ``zeros``...

Each gives a dualad Tensor; Tensors given to them (also inside lists) stay in the graph.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as _np

from .. import creation as _creation
from .. import ops as _F
from ..ops.shape import holds_tensor, stack_nested
from ..tensor import Tensor, _wrap


def _array_of(obj: Any, dtype: Any) -> Tensor:
    """A Tensor from a Tensor, a (nested) sequence holding Tensors, or plain data."""
    if isinstance(obj, Tensor):
        return obj if dtype is None or _np.dtype(dtype) == obj.dtype else _F.astype(obj, dtype)
    if isinstance(obj, (list, tuple)) and holds_tensor(obj) or \
            isinstance(obj, _np.ndarray) and obj.dtype == object:
        out = stack_nested(obj, "dualad.numpy.array")
        return out if dtype is None else _F.astype(out, dtype)
    return _wrap(_np.array(obj, dtype=dtype))


def _ndmin(t: Tensor, ndmin: int) -> Tensor:
    return t if t.ndim >= ndmin else _F.reshape(t, (1,) * (ndmin - t.ndim) + t.shape)


def array(object: Any, dtype: Any = None, *, copy: bool | None = True,  # noqa: A002
          order: str = "K", subok: bool = False, ndmin: int = 0, like: Any = None) -> Tensor:
    """``numpy.array``: a Tensor; Tensors inside lists and tuples are stacked, so their
    gradients flow (a copy of a Tensor stays in the graph). ``order`` (memory layout) is
    accepted and has no effect.

    >>> import dualad as da
    >>> x = da.tensor(2.0, requires_grad=True)
    >>> array([[x, 1.0], [0.0, x * x]])
    tensor([[2., 1.],
            [0., 4.]], grad_fn=<CatBackward0>)
    """
    _no_like("array", like)
    out = _array_of(object, dtype)
    if copy is not False and out is object:
        out = _F.clone(out)
    return _ndmin(out, ndmin)


def asarray(a: Any, dtype: Any = None, order: str | None = None, *, copy: bool | None = None,
            like: Any = None) -> Tensor:
    """``numpy.asarray``: ``a`` itself if it is a Tensor (it keeps its gradient: unlike
    ``numpy.asarray``, which refuses a Tensor that requires grad); a Tensor sharing the
    memory of a NumPy array (as NumPy's ``asarray`` shares it); otherwise as ``array``.

    >>> import dualad as da
    >>> t = da.tensor([1.0, 2.0], requires_grad=True)
    >>> asarray(t) is t
    True
    """
    _no_like("asarray", like)
    if type(a) is _np.ndarray and a.dtype != object and not copy \
            and (dtype is None or _np.dtype(dtype) == a.dtype):
        return _creation.from_numpy(a)
    out = _array_of(a, dtype)
    return _F.clone(out) if copy and out is a else out


def asanyarray(a: Any, dtype: Any = None, order: str | None = None, *, like: Any = None) \
        -> Tensor:
    """``numpy.asanyarray``: as :func:`asarray`."""
    return asarray(a, dtype, order, like=like)


def ascontiguousarray(a: Any, dtype: Any = None, *, like: Any = None) -> Tensor:
    """``numpy.ascontiguousarray``: as :func:`asarray` (a Tensor's layout is NumPy's)."""
    return _ndmin(asarray(a, dtype, like=like), 1)


def copy(a: Any, order: str = "K", subok: bool = False) -> Tensor:
    """``numpy.copy``: a copy that stays in the graph."""
    return _F.clone(asarray(a))


def _no_like(name: str, like: Any) -> None:
    if like is not None:
        raise TypeError(f"dualad.numpy.{name}: like= is not supported (every array of "
                        "dualad.numpy is a dualad Tensor)")


def _filled(shape: Any, fill: Any, dtype: Any) -> Tensor:
    """A new writable Tensor of ``shape`` filled with ``fill`` (a Tensor fill stays in
    the graph)."""
    shape = (shape,) if isinstance(shape, (int, _np.integer)) else tuple(shape)
    if isinstance(fill, Tensor) or (isinstance(fill, (list, tuple))
                                    and holds_tensor(fill)):
        out = _F.clone(_F.broadcast_to(asarray(fill, dtype), shape))
        return out if dtype is None or out.dtype == _np.dtype(dtype) else _F.astype(out, dtype)
    return _wrap(_np.full(shape, fill, dtype=dtype))


def empty(shape: Any, dtype: Any = float, order: str = "C", *, like: Any = None) -> Tensor:
    """``numpy.empty``: a Tensor to fill by assignment (``out[i] = ...`` is differentiable).
    Its values are zeros (NumPy leaves them unspecified)."""
    _no_like("empty", like)
    return _filled(shape, 0, dtype)


def zeros(shape: Any, dtype: Any = float, order: str = "C", *, like: Any = None) -> Tensor:
    """``numpy.zeros``: a Tensor of zeros (assignable: ``out[i] = ...`` is differentiable)."""
    _no_like("zeros", like)
    return _filled(shape, 0, dtype)


def ones(shape: Any, dtype: Any = None, order: str = "C", *, like: Any = None) -> Tensor:
    """``numpy.ones``: a Tensor of ones."""
    _no_like("ones", like)
    return _filled(shape, 1, float if dtype is None else dtype)


def full(shape: Any, fill_value: Any, dtype: Any = None, order: str = "C", *,
         like: Any = None) -> Tensor:
    """``numpy.full``: a Tensor of ``fill_value``; a Tensor ``fill_value`` stays in the graph.

    >>> import dualad as da
    >>> full(2, da.tensor(3.0, requires_grad=True))
    tensor([3., 3.], grad_fn=<CloneBackward0>)
    """
    _no_like("full", like)
    return _filled(shape, fill_value, dtype)


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = float,  # noqa: N803
        order: str = "C", *, like: Any = None) -> Tensor:
    """``numpy.eye``: a Tensor."""
    _no_like("eye", like)
    return _wrap(_np.eye(N, M, k, dtype=dtype))


def identity(n: int, dtype: Any = None, *, like: Any = None) -> Tensor:
    """``numpy.identity``: a Tensor."""
    return eye(n, dtype=float if dtype is None else dtype, like=like)


def arange(*args: Any, dtype: Any = None, like: Any = None, **kwargs: Any) -> Tensor:
    """``numpy.arange`` (the same arguments): a Tensor."""
    _no_like("arange", like)
    raw: list[Any] = [a.detach().numpy() if isinstance(a, Tensor) and not a.requires_grad
                      else a for a in args]
    return _wrap(_np.asarray(_np.arange(*raw, dtype=dtype, **kwargs)))


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             retstep: bool = False, dtype: Any = None, axis: int = 0) -> Any:
    """``numpy.linspace``; Tensor endpoints stay in the graph
    (``start + (stop - start) * fraction``).

    >>> import dualad as da
    >>> linspace(0.0, da.tensor(1.0, requires_grad=True), 3)
    tensor([0.0000, 0.5000, 1.0000], grad_fn=<AddBackward0>)
    """
    if not (holds_tensor(start) or holds_tensor(stop)):
        res: Any = _np.linspace(start, stop, num, endpoint, retstep, dtype, axis)  # type: ignore[call-overload]
        return (_wrap(res[0]), res[1]) if retstep else _wrap(res)
    start, stop = asarray(start), asarray(stop)
    num = int(num)
    steps = builtins.max(num - 1 if endpoint else num, 1)
    fraction = _np.arange(num, dtype=float) / steps
    shape = _np.broadcast_shapes(start.shape, stop.shape)
    fraction = fraction.reshape((num,) + (1,) * len(shape))
    out = start + (stop - start) * fraction
    if axis != 0:
        out = _F.moveaxis(out, 0, axis)
    if dtype is not None:
        out = _F.astype(out, dtype)
    return (out, (stop - start) / steps) if retstep else out


class _ArrayType(type):
    """``isinstance(t, dualad.numpy.ndarray)`` is ``isinstance(t, Tensor)``."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, Tensor)


class ndarray(metaclass=_ArrayType):  # noqa: N801  (NumPy's name)
    """The array type of ``dualad.numpy``: a dualad ``Tensor`` is an instance
    (``isinstance(np.zeros(2), np.ndarray)``). It makes no arrays itself: NumPy's
    ``ndarray(shape)`` is ``np.empty(shape)`` here."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("dualad.numpy.ndarray(...) does not make arrays: use "
                        "np.empty(shape), np.zeros(shape) or np.array(data)")


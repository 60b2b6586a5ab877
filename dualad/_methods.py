"""The Tensor methods that call higher layers: operators, in-place ops, ``backward()``,
hooks, the NumPy protocols, and the methods that mirror the op functions (``t.sin()``,
``t.sum(dim)``, ``t.reshape(2, 3)``).

``dualad.tensor`` sits below the ops and the engine and imports neither: the methods are
written here, on :class:`TensorMethods`, and ``dualad``'s ``__init__`` copies them onto
``Tensor`` with :func:`install` once everything is imported. Type checkers see
``TensorMethods`` as a base class of ``Tensor`` (see ``dualad.tensor``), so every method
below is known to them. Listed explicitly so each method can be found by name; the ops
live in ``dualad.ops``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops as F
from .autograd.engine import backward as _backward
from .autograd.node import accumulator_of, output_nr
from .ops.interop import array_function, array_ufunc
from .tensor import Tensor, own_meta


class TensorMethods:
    """What :func:`install` puts on ``Tensor`` (every attribute defined here). ``self`` is
    a Tensor then: annotated ``Any`` here, as this class is not one."""

    __slots__ = ()

    # ------------------------------------------------------------- operators
    # + - * / are the op functions themselves: one Python frame less per op
    __add__ = __radd__ = F.add  # (radd: self first, as PyTorch records it)
    __sub__ = F.sub
    __mul__ = __rmul__ = F.mul
    __truediv__ = F.div

    def __rsub__(self: Any, other: Any) -> Tensor:
        return F.sub(other, self)

    def __rtruediv__(self: Any, other: Any) -> Tensor:
        return F.div(other, self)

    def __pow__(self: Any, other: Any) -> Tensor:
        return F.pow(self, other)

    def __rpow__(self: Any, other: Any) -> Tensor:
        return F.pow(other, self)

    def __matmul__(self: Any, other: Any) -> Tensor:
        return F.matmul(self, other)

    def __rmatmul__(self: Any, other: Any) -> Tensor:
        return F.matmul(other, self)

    def __neg__(self: Any) -> Tensor:
        return F.neg(self)

    def __abs__(self: Any) -> Tensor:
        return F.abs(self)

    def __getitem__(self: Any, index: Any) -> Tensor:
        return F.getitem(self, index)

    def __setitem__(self: Any, index: Any, value: Any) -> None:
        F.setitem_(self, index, value)

    # (mypy compares these with __add__..., which are functions, not methods, above)
    def __iadd__(self, other: Any) -> Tensor:  # type: ignore[misc]
        return self.add_(other)

    def __isub__(self, other: Any) -> Tensor:  # type: ignore[misc]
        return self.sub_(other)

    def __imul__(self, other: Any) -> Tensor:  # type: ignore[misc]
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Tensor:  # type: ignore[misc]
        return self.div_(other)

    # ---------------------------------------------------------- in-place ops
    def add_(self: Any, other: Any, alpha: Any = 1) -> Tensor:
        return F.inplace(self, F.add, other if alpha == 1 else F.mul(other, alpha))

    def sub_(self: Any, other: Any, alpha: Any = 1) -> Tensor:
        return F.inplace(self, F.sub, other if alpha == 1 else F.mul(other, alpha))

    def mul_(self: Any, other: Any) -> Tensor:
        return F.inplace(self, F.mul, other)

    def div_(self: Any, other: Any) -> Tensor:
        return F.inplace(self, F.div, other)

    def pow_(self: Any, other: Any) -> Tensor:
        return F.inplace(self, F.pow, other)

    def clamp_(self: Any, min: Any = None, max: Any = None) -> Tensor:
        return F.inplace(self, F.clamp, min=min, max=max)

    def zero_(self: Any) -> Tensor:
        return F.inplace(self, F.zeros_like_op)

    def fill_(self: Any, value: Any) -> Tensor:
        return F.inplace(self, F.full_like_op, fill_value=value)

    def copy_(self: Any, src: Any) -> Tensor:
        return F.inplace(self, F.copy_from, src)

    # -------------------------------------------------------- graph handling
    def clone(self: Any) -> Tensor:
        return F.clone(self)

    def register_hook(self: Any, hook: Any) -> Any:
        """Call ``hook(grad)`` when the gradient of this tensor is computed.

        The hook may return a new gradient to use instead. Returns a handle
        whose ``remove()`` unregisters it.
        """
        if not self.requires_grad_flag:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        if self.grad_fn is not None:
            return self.grad_fn.register_prehook(hook, output_nr(self))
        node = accumulator_of(self)
        own_meta(self).hooked_accumulator = node  # keep it (and its hooks) alive
        return node.register_prehook(hook)

    def backward(self: Any, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Accumulate the gradient of this tensor into ``.grad`` of the leaves."""
        _backward(self, gradient, retain_graph=retain_graph,
                  create_graph=create_graph, inputs=inputs)

    # ------------------------------------------------------ NumPy protocols
    def __array_ufunc__(self: Any, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self: Any, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return array_function(func, types, args, kwargs)

    # ------------------------------------------- methods of the op functions
    # (the signature is the function's, with the tensor first)
    abs = absolute = F.abs
    add = F.add
    clamp = F.clamp
    clip = F.clip
    cos = F.cos
    div = divide = F.div
    exp = F.exp
    log = F.log
    maximum = F.maximum
    minimum = F.minimum
    mul = multiply = F.mul
    neg = F.neg
    pow = F.pow
    relu = F.relu
    sigmoid = F.sigmoid
    sign = F.sign
    sin = F.sin
    sqrt = F.sqrt
    sub = subtract = F.sub
    tanh = F.tanh
    sum = F.sum
    mean = F.mean
    matmul = F.matmul
    dot = F.dot
    transpose = F.transpose
    swapaxes = F.swapaxes
    broadcast_to = F.broadcast_to
    astype = F.astype
    tan = F.tan
    sinh = F.sinh
    cosh = F.cosh
    arcsin = asin = F.arcsin
    arccos = acos = F.arccos
    arctan = atan = F.arctan
    arctan2 = atan2 = F.arctan2
    arcsinh = asinh = F.arcsinh
    arccosh = acosh = F.arccosh
    arctanh = atanh = F.arctanh
    expm1 = F.expm1
    log1p = F.log1p
    log2 = F.log2
    log10 = F.log10
    exp2 = F.exp2
    logaddexp = F.logaddexp
    hypot = F.hypot
    square = F.square
    reciprocal = F.reciprocal
    floor = F.floor
    ceil = F.ceil
    round = F.round
    softplus = F.softplus
    prod = F.prod
    var = F.var
    std = F.std
    max = F.max
    min = F.min
    amax = F.amax
    amin = F.amin
    argmax = F.argmax
    argmin = F.argmin
    norm = F.norm
    logsumexp = F.logsumexp
    softmax = F.softmax
    log_softmax = F.log_softmax
    outer = F.outer
    inner = F.inner
    trace = F.trace
    det = F.det
    inverse = F.inverse
    diag = F.diag
    tril = F.tril
    triu = F.triu
    squeeze = F.squeeze
    unsqueeze = F.unsqueeze
    flatten = F.flatten
    ravel = F.ravel
    split = F.split
    cumsum = F.cumsum
    flip = F.flip

    # ------------------------------------------------ PyTorch-style methods
    def reshape(self: Any, *shape: Any) -> Tensor:
        return F.reshape(self, *shape)

    view = reshape

    def permute(self: Any, *dims: Any) -> Tensor:
        return F.permute(self, *dims)

    def expand(self: Any, *sizes: Any) -> Tensor:
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        lead = len(sizes) - self.ndim
        shape = tuple(self.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
        return F.broadcast_to(self, shape)

    @property
    def T(self: Any) -> Tensor:
        return F.T(self)

    @property
    def mT(self: Any) -> Tensor:
        return F.transpose(self, -2, -1)

    def to(self: Any, dtype: Any) -> Tensor:
        return self if np.dtype(dtype) == self.dtype else F.astype(self, dtype)

    def float(self: Any) -> Tensor:
        return self.to(np.float32)

    def double(self: Any) -> Tensor:
        return self.to(np.float64)


_NOT_METHODS = frozenset({"__module__", "__qualname__", "__doc__", "__slots__", "__dict__",
                          "__weakref__", "__annotations__"})


def install(cls: type) -> None:
    """Put the methods on ``cls`` (the Tensor class; done once by ``dualad/__init__``)."""
    for name, value in vars(TensorMethods).items():
        if name not in _NOT_METHODS:
            setattr(cls, name, value)

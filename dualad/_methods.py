"""The Tensor methods that call higher layers: operators, in-place ops, ``backward()``,
hooks, the NumPy protocols, and the methods that mirror the op functions (``t.sin()``,
``t.sum(dim)``, ``t.reshape(2, 3)``).

``dualad.tensor`` sits below the ops and the engine and imports neither: ``dualad``'s
``__init__`` calls :func:`install` once everything is imported. Listed explicitly so each
method can be found by name; the ops live in ``dualad.ops``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops as F
from .autograd.engine import backward as _backward
from .autograd.node import accumulator_of, output_nr
from .ops.interop import array_function, array_ufunc
from .tensor import Tensor, own_meta

# methods whose signature is the function's, with the tensor first
_SAME_AS_FUNCTION = (
    "abs", "add", "clamp", "clip", "cos", "div", "exp", "log", "maximum", "minimum", "mul",
    "neg", "pow", "relu", "sigmoid", "sign", "sin", "sqrt", "sub", "tanh", "sum", "mean",
    "matmul", "dot", "transpose", "swapaxes", "broadcast_to", "astype",
    # the rest of the op library
    "tan", "sinh", "cosh", "arcsin", "arccos", "arctan", "arctan2", "asin", "acos", "atan",
    "atan2", "expm1", "log1p", "log2", "log10", "square", "reciprocal", "floor", "ceil",
    "round", "softplus", "prod", "var", "std", "max", "min", "amax", "amin", "argmax",
    "argmin", "norm", "logsumexp", "softmax", "log_softmax", "outer", "inner", "trace", "det",
    "inverse", "diag", "tril", "triu", "squeeze", "unsqueeze", "flatten", "ravel", "split",
    "arcsinh", "arccosh", "arctanh", "asinh", "acosh", "atanh", "exp2", "logaddexp", "hypot",
    "cumsum", "flip",
)

# methods whose name differs from the function's (PyTorch spellings)
_RENAMED = {"absolute": "abs", "multiply": "mul", "subtract": "sub", "divide": "div"}


# ------------------------------------------------------------- operators
# (``+``, ``*``, ``-`` and ``/`` are the op functions themselves: one Python frame less)

def _neg(self: Tensor) -> Tensor:
    return F.neg(self)


def _abs(self: Tensor) -> Tensor:
    return F.abs(self)


def _rsub(self: Tensor, other: Any) -> Tensor:
    return F.sub(other, self)


def _rtruediv(self: Tensor, other: Any) -> Tensor:
    return F.div(other, self)


def _pow(self: Tensor, other: Any) -> Tensor:
    return F.pow(self, other)


def _rpow(self: Tensor, other: Any) -> Tensor:
    return F.pow(other, self)


def _matmul(self: Tensor, other: Any) -> Tensor:
    return F.matmul(self, other)


def _rmatmul(self: Tensor, other: Any) -> Tensor:
    return F.matmul(other, self)


def _getitem(self: Tensor, index: Any) -> Tensor:
    return F.getitem(self, index)


def _setitem(self: Tensor, index: Any, value: Any) -> None:
    F.setitem_(self, index, value)


def _iadd(self: Tensor, other: Any) -> Tensor:
    return self.add_(other)


def _isub(self: Tensor, other: Any) -> Tensor:
    return self.sub_(other)


def _imul(self: Tensor, other: Any) -> Tensor:
    return self.mul_(other)


def _itruediv(self: Tensor, other: Any) -> Tensor:
    return self.div_(other)


# ---------------------------------------------------------- in-place ops

def _add_(self: Tensor, other: Any, alpha: Any = 1) -> Tensor:
    return F.inplace(self, F.add, other if alpha == 1 else F.mul(other, alpha))


def _sub_(self: Tensor, other: Any, alpha: Any = 1) -> Tensor:
    return F.inplace(self, F.sub, other if alpha == 1 else F.mul(other, alpha))


def _mul_(self: Tensor, other: Any) -> Tensor:
    return F.inplace(self, F.mul, other)


def _div_(self: Tensor, other: Any) -> Tensor:
    return F.inplace(self, F.div, other)


def _pow_(self: Tensor, other: Any) -> Tensor:
    return F.inplace(self, F.pow, other)


def _clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:
    return F.inplace(self, F.clamp, min=min, max=max)


def _zero_(self: Tensor) -> Tensor:
    return F.inplace(self, F.zeros_like_op)


def _fill_(self: Tensor, value: Any) -> Tensor:
    return F.inplace(self, F.full_like_op, fill_value=value)


def _copy_(self: Tensor, src: Any) -> Tensor:
    return F.inplace(self, F.copy_from, src)


# -------------------------------------------------------- graph handling

def _clone(self: Tensor) -> Tensor:
    return F.clone(self)


def _register_hook(self: Tensor, hook: Any) -> Any:
    """Call ``hook(grad)`` when the gradient of this tensor is computed.

    The hook may return a new gradient to use instead. Returns a handle
    whose ``remove()`` unregisters it.
    """
    if not self.requires_grad_flag:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is not None:
        return self.grad_fn.register_prehook(hook, output_nr(self))
    node = accumulator_of(self)
    own_meta(self).hooked_accumulator = node  # keep it (and its hooks) alive
    return node.register_prehook(hook)


def _backward_method(self: Tensor, gradient: Any = None, retain_graph: bool | None = None,
                     create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate the gradient of this tensor into ``.grad`` of the leaves."""
    _backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph,
              inputs=inputs)


# ------------------------------------------------------ NumPy protocols

def _array_ufunc(self: Tensor, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
    return array_ufunc(ufunc, method, inputs, kwargs)


def _array_function(self: Tensor, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
    return array_function(func, types, args, kwargs)


_OPERATORS = {
    "__add__": F.add, "__radd__": F.add,  # self first, as PyTorch records it
    "__sub__": F.sub, "__rsub__": _rsub, "__mul__": F.mul, "__rmul__": F.mul,
    "__truediv__": F.div, "__rtruediv__": _rtruediv, "__pow__": _pow, "__rpow__": _rpow,
    "__matmul__": _matmul, "__rmatmul__": _rmatmul, "__neg__": _neg, "__abs__": _abs,
    "__getitem__": _getitem, "__setitem__": _setitem,
    "__iadd__": _iadd, "__isub__": _isub, "__imul__": _imul, "__itruediv__": _itruediv,
    "add_": _add_, "sub_": _sub_, "mul_": _mul_, "div_": _div_, "pow_": _pow_,
    "clamp_": _clamp_, "zero_": _zero_, "fill_": _fill_, "copy_": _copy_,
    "clone": _clone, "register_hook": _register_hook, "backward": _backward_method,
    "__array_ufunc__": _array_ufunc, "__array_function__": _array_function,
}


# ---------------------------------------------------- methods of the ops

def _reshape(self, *shape: Any):
    return F.reshape(self, *shape)


def _permute(self, *dims: Any):
    return F.permute(self, *dims)


def _expand(self, *sizes: Any):
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    lead = len(sizes) - self.ndim
    shape = tuple(self.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return F.broadcast_to(self, shape)


def _to(self, dtype: Any):
    return self if np.dtype(dtype) == self.dtype else F.astype(self, dtype)


def _float(self):
    return _to(self, np.float32)


def _double(self):
    return _to(self, np.float64)


def _T(self):
    return F.T(self)


def install(cls: type) -> None:
    """Put the methods on ``cls`` (the Tensor class; done once by ``dualad/__init__``)."""
    for name, fn in _OPERATORS.items():
        setattr(cls, name, fn)
    for name in _SAME_AS_FUNCTION:
        setattr(cls, name, getattr(F, name))
    for name, target in _RENAMED.items():
        setattr(cls, name, getattr(F, target))
    cls.reshape = _reshape
    cls.view = _reshape
    cls.permute = _permute
    cls.expand = _expand
    cls.to = _to
    cls.float = _float
    cls.double = _double
    cls.T = property(_T)
    cls.mT = property(lambda self: F.transpose(self, -2, -1))

"""The Tensor methods that call higher layers: operators, in-place ops, ``backward()``,
hooks, the NumPy protocols, and the methods that mirror the op functions (``t.sin()``,
``t.sum(dim)``, ``t.reshape(2, 3)``).

``dualad.tensor`` sits below the ops and the engine and imports neither: the methods are
written here, on :class:`TensorMethods`, and ``dualad``'s ``__init__`` copies them onto
``Tensor`` with :func:`install` once everything is imported. Type checkers see
``TensorMethods`` as a base class of ``Tensor`` (see ``dualad.tensor``), so every method
below is known to them. Listed explicitly so each method can be found by name; the ops
live in ``dualad.ops``.

Also here, the conversions to Python numbers and NumPy arrays, and the rule they enforce
(DESIGN.md, "Never a silent zero"): a value that a ``dualad.func`` transform is
differentiating, or that carries a forward-mode tangent, raises
:class:`~dualad.tensor.ConcretizationTypeError` instead of becoming a constant whose
derivative would silently be zero.

>>> import math
>>> import dualad as da
>>> from dualad import func
>>> func.grad(lambda t: math.sqrt(t))(2.0)  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
dualad.tensor.ConcretizationTypeError: float() ... that dualad.func.grad is differentiating ...
>>> func.grad(lambda t: da.sqrt(t))(4.0)
0.25
>>> float(da.tensor(2.0, requires_grad=True))  # outside transforms: PyTorch's behaviour
2.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops as F
from ._state import Differentiating, state
from .autograd import graph
from .autograd.engine import backward as _backward
from .autograd.node import accumulator_of, edge_node, edge_of, output_nr
from .ops.interop import array_function, array_ufunc
from .tensor import ConcretizationTypeError, Tensor, own_meta


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

    # % and // as NumPy's (and PyTorch's): remainder with the divisor's sign, floor division
    def __mod__(self: Any, other: Any) -> Tensor:
        return F.remainder(self, other)

    def __rmod__(self: Any, other: Any) -> Tensor:
        return F.remainder(other, self)

    def __floordiv__(self: Any, other: Any) -> Tensor:
        return F.floor_divide(self, other)

    def __rfloordiv__(self: Any, other: Any) -> Tensor:
        return F.floor_divide(other, self)

    def __divmod__(self: Any, other: Any) -> tuple[Tensor, Tensor]:
        return F.floor_divide(self, other), F.remainder(self, other)

    def __rdivmod__(self: Any, other: Any) -> tuple[Tensor, Tensor]:
        return F.floor_divide(other, self), F.remainder(other, self)

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

    # ----------------------------------------------------------- conversions
    # Each checks the value is not being differentiated (see refuse_if_differentiated); the
    # check costs one slot read when it is not (no grad, no tangent).
    def numpy(self: Any) -> np.ndarray:
        """The data as a NumPy array sharing storage (raises if the tensor requires grad)."""
        if self.requires_grad_flag or self._tangents:
            refuse_if_differentiated(self, ".numpy()")
            if self.requires_grad_flag:
                raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                                   "Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self: Any, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """``numpy.asarray(t)``: the data (raises if the tensor requires grad, as PyTorch,
        or is being differentiated); ``numpy.array(t)`` (``copy=True``) gets a copy."""
        if self.requires_grad_flag or self._tangents:
            refuse_if_differentiated(self, _ARRAY)
            if self.requires_grad_flag:
                raise RuntimeError("Can't convert a Tensor that requires grad to a NumPy "
                                   "array. Use tensor.detach().numpy() instead.")
        if copy:
            return np.array(self._data, dtype=dtype, copy=True)
        return self._data if dtype is None else self._data.astype(dtype, copy=False)

    def item(self: Any) -> Any:
        """The value of a one-element tensor as a Python number (raises while it is being
        differentiated: see "Never a silent zero" in docs/forward-mode.md)."""
        return _checked_item(self, ".item()")

    def tolist(self: Any) -> Any:
        """The data as nested Python lists (raises while it is being differentiated)."""
        if self.requires_grad_flag or self._tangents:
            refuse_if_differentiated(self, ".tolist()")
        return self._data.tolist()

    def __float__(self: Any) -> float:
        return float(_checked_item(self, _FLOAT))

    def __int__(self: Any) -> int:
        return int(_checked_item(self, "int() (also what storing it into an integer NumPy "
                                       "array calls)"))

    def __complex__(self: Any) -> complex:
        return complex(_checked_item(self, "complex() (also what storing it into a complex "
                                           "NumPy array calls)"))

    def _refuse_if_differentiated(self: Any, what: str) -> None:
        """Raise ConcretizationTypeError if this tensor is being differentiated (for
        ``dualad.tensor``, which lives below this layer)."""
        refuse_if_differentiated(self, what)

    def __index__(self: Any) -> int:
        if self.requires_grad_flag or self._tangents:
            refuse_if_differentiated(self, "operator.index() (__index__: using it as an "
                                           "index, a size or a count)")
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self._data.item())

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

    # complex numbers: read-only properties giving new tensors (PyTorch's are views)
    @property
    def real(self: Any) -> Tensor:
        return F.real(self)

    @property
    def imag(self: Any) -> Tensor:
        return F.imag(self)

    def conj(self: Any) -> Tensor:
        return F.conj(self)

    conjugate = conj

    def angle(self: Any) -> Tensor:
        return F.angle(self)

    def is_complex(self: Any) -> bool:
        return bool(self._data.dtype.kind == "c")

    def to(self: Any, dtype: Any) -> Tensor:
        return self if np.dtype(dtype) == self.dtype else F.astype(self, dtype)

    def float(self: Any) -> Tensor:
        return self.to(np.float32)

    def double(self: Any) -> Tensor:
        return self.to(np.float64)


# ------------------------------------------------------------ never a silent zero

_FLOAT = ("float() (also what math.sqrt and the other math functions, and storing it into "
          "an element of a NumPy array, call)")
_ARRAY = ("conversion to a NumPy array (numpy.asarray, np.array([...]), storing it into a "
          "slice of a NumPy array)")


def differentiated_by(t: Tensor) -> str | None:
    """Who differentiates ``t`` now, as words for an error (``"that dualad.func.grad is
    differentiating"``), or None: then converting it loses nothing that dualad would
    otherwise give (PyTorch's rules apply).

    ``t`` is differentiated when it carries a tangent at an active dual level, or when a
    ``dualad.func`` transform runs whose private inputs ``t``'s graph reaches (a tensor
    that requires grad only through the user's own leaves, such as a model parameter
    read in a closure, is not). The graph walk runs only inside a transform, for a
    tensor that requires grad: never on a hot path.
    """
    tangents = t._tangents
    if tangents:
        for level in tangents:
            if level in state.levels:
                return _level_owner(level)
    if t.requires_grad_flag and state.transforms:
        return _reverse_owner(t, state.transforms)
    return None


def _level_owner(level: int) -> str:
    for name, _, opened in reversed(state.transforms):
        if opened == level:
            return f"that carries a forward-mode tangent of dualad.func.{name}"
    return "that carries a forward-mode tangent (forward_ad.dual_level)"


def _reverse_owner(t: Tensor, running: list[Differentiating]) -> str | None:
    reached = graph.reachable([_node_of(t)])
    for name, inputs, _ in reversed(running):
        if any(_node_of(x) in reached for x in inputs):
            return f"that dualad.func.{name} is differentiating"
    return None


def _node_of(t: Tensor) -> Any:
    """The graph node that receives ``t``'s gradient (None if it needs none)."""
    edge = edge_of(t)
    return None if edge is None else edge_node(edge)


def silent_zero_message(what: str, who: str) -> str:
    """The error of converting a value that is being differentiated: what happened, why
    it is refused, and what to write instead."""
    return (f"{what} of a Tensor {who} would lose its derivative: dualad cannot see "
            "through a Python number or a NumPy array, so the derivative would silently be "
            "zero. Keep the value a dualad Tensor: call dualad functions (da.sqrt(x), not "
            "math.sqrt(x)); build an array from Tensors with da.stack([...]), or with "
            "t = da.zeros(n) then t[i] = ..., instead of np.array([...]) or assigning into "
            "a NumPy array (or write the NumPy code with `import dualad.numpy as np`, whose "
            "np.array and np.empty make Tensors); return the Tensor, not float(...). To drop "
            "the derivative on purpose, call .detach() first.")


def refuse_if_differentiated(t: Tensor, what: str) -> None:
    """Raise ConcretizationTypeError if ``t`` is being differentiated (see
    :func:`differentiated_by`); ``what`` names the conversion."""
    who = differentiated_by(t)
    if who is not None:
        raise ConcretizationTypeError(silent_zero_message(what, who))


def _checked_item(t: Any, what: str) -> Any:
    """``t.item()`` for ``float()``, ``int()``, ``complex()``, refused under ``what``."""
    if t._data.size != 1:
        raise RuntimeError(f"a Tensor with {t._data.size} elements cannot be converted to a "
                           "Python scalar")
    if t.requires_grad_flag or t._tangents:
        refuse_if_differentiated(t, what)
    return t._data.item()


_NOT_METHODS = frozenset({"__module__", "__qualname__", "__doc__", "__slots__", "__dict__",
                          "__weakref__", "__annotations__"})


def install(cls: type) -> None:
    """Put the methods on ``cls`` (the Tensor class; done once by ``dualad/__init__``)."""
    for name, value in vars(TensorMethods).items():
        if name not in _NOT_METHODS:
            setattr(cls, name, value)

"""Shared helpers for defining ops: the staged elementwise rule and argument handling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..registry import Domain, Op, apply, register_op
from ..tensor import Tensor

REALS = ((-3.0, 3.0),)
POSITIVE = ((0.1, 4.0),)


def quiet(fn: Callable) -> Callable:
    """Wrap a forward so NumPy does not warn at points where inf/nan is the answer."""

    def forward(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return fn(*args, **kwargs)

    forward.__name__ = getattr(fn, "__name__", "forward")
    return forward


def elementwise_unary(name: str, forward: Callable, derivative: Callable, sympy: Callable,
                      ranges: tuple = REALS, kinks: tuple = (), uses_output: bool = False,
                      valid: Callable | None = None, doc: str = "") -> Callable:
    """Register a unary elementwise op from ``derivative(out, x)``, and return its function.

    Both rules multiply by the same derivative, so forward and reverse mode agree
    everywhere (including at kinks) and the JVP stays linear in the tangent.
    """
    op = register_op(Op(
        name=name,
        forward=forward,
        vjp=(lambda g, out, x: g * derivative(out, x),),
        jvp=(lambda t, out, x: t * derivative(out, x),),
        sympy=sympy,
        domain=Domain(ranges=(ranges,), valid=valid),
        kinks=kinks,
        elementwise=True,
        saves=() if uses_output else (0,),
        saves_output=uses_output,
        doc=doc,
    ))

    def function(x: Any) -> Tensor:
        return apply(op, x)

    function.__name__ = name
    function.__doc__ = doc or f"Elementwise {name}."
    function.op = op  # type: ignore[attr-defined]
    return function


def differentiated(x: Any) -> bool:
    """Whether an input is being differentiated in reverse mode (it requires grad)."""
    return isinstance(x, Tensor) and x.requires_grad_flag


def normalize_axis(dim: Any = None, axis: Any = None, keepdim: Any = None,
                   keepdims: Any = None) -> tuple[Any, bool]:
    """Accept PyTorch's ``dim``/``keepdim`` and NumPy's ``axis``/``keepdims``."""
    if dim is not None and axis is not None:
        raise TypeError("give either dim= or axis=, not both")
    ax = dim if dim is not None else axis
    if isinstance(ax, list):
        ax = tuple(ax)
    keep = keepdim if keepdim is not None else keepdims
    return ax, bool(keep)


def to_index(index: Any) -> Any:
    """Turn Tensors (and lists) inside an index into NumPy arrays."""
    if isinstance(index, tuple):
        return tuple(to_index(i) for i in index)
    if isinstance(index, Tensor):
        if index.requires_grad_flag and index.dtype.kind == "f":
            raise IndexError("tensors used as indices must be integer or boolean tensors")
        return index._data
    if isinstance(index, list):
        return np.asarray(index)
    return index

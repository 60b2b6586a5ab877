"""Reductions: sum and mean (the first set); more live here as they are added."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..registry import LINEAR, Domain, Op, apply, register_op
from ..tensor import Tensor
from ._define import normalize_axis
from .shape import broadcast_to, reshape


def expand_reduced(g: Tensor, x_shape: tuple, axis: Any, keepdims: bool) -> Tensor:
    """Broadcast the gradient of a reduction back over the reduced axes of ``x``."""
    if not keepdims and axis is not None and len(x_shape) > 0:
        axes = (axis,) if isinstance(axis, int) else axis
        kept = list(x_shape)
        for a in axes:
            kept[a % len(x_shape)] = 1
        g = reshape(g, tuple(kept))
    return broadcast_to(g, x_shape)


_REDUCE_SHAPES = [(((3, 4),), {"axis": None, "keepdims": False}),
                  (((3, 4),), {"axis": 0, "keepdims": False}),
                  (((2, 3, 4),), {"axis": (0, 2), "keepdims": True}),
                  (((5,),), {"axis": -1, "keepdims": False})]

_SUM = register_op(Op(
    name="sum", forward=lambda x, axis=None, keepdims=False: np.sum(x, axis=axis,
                                                                    keepdims=keepdims),
    vjp=(lambda g, out, x, axis=None, keepdims=False:
         expand_reduced(g, x.shape, axis, keepdims),),
    jvp=(LINEAR,),
    sympy=lambda x, axis=None, keepdims=False: np.sum(x, axis=axis, keepdims=keepdims),
    domain=Domain(ranges=(((-3.0, 3.0),),), shapes=_REDUCE_SHAPES), saves=()))


def _count(shape: tuple, axis: Any) -> int:
    if axis is None:
        return int(np.prod(shape)) if shape else 1
    axes = (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes]))


_MEAN = register_op(Op(
    name="mean", forward=lambda x, axis=None, keepdims=False: np.mean(x, axis=axis,
                                                                      keepdims=keepdims),
    vjp=(lambda g, out, x, axis=None, keepdims=False:
         expand_reduced(g, x.shape, axis, keepdims) / _count(x.shape, axis),),
    jvp=(LINEAR,),
    sympy=lambda x, axis=None, keepdims=False: np.sum(x, axis=axis, keepdims=keepdims)
    / _count(np.shape(x), axis),
    domain=Domain(ranges=(((-3.0, 3.0),),), shapes=_REDUCE_SHAPES), saves=()))


def sum(x: Any, dim: Any = None, keepdim: Any = None, *, axis: Any = None,  # noqa: A001
        keepdims: Any = None, dtype: Any = None) -> Tensor:
    """Sum over ``dim`` (PyTorch) or ``axis`` (NumPy); all elements by default."""
    ax, keep = normalize_axis(dim, axis, keepdim, keepdims)
    out = apply(_SUM, x, axis=ax, keepdims=keep)
    return out if dtype is None else out.to(dtype)


def mean(x: Any, dim: Any = None, keepdim: Any = None, *, axis: Any = None,
         keepdims: Any = None) -> Tensor:
    """Arithmetic mean over ``dim``/``axis``; all elements by default."""
    ax, keep = normalize_axis(dim, axis, keepdim, keepdims)
    return apply(_MEAN, x, axis=ax, keepdims=keep)

"""Linear algebra: matmul (batched, with NumPy's 1-d rules) and dot."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..registry import LINEAR, Domain, Op, apply, register_op
from ..tensor import Tensor
from .shape import reshape, transpose


def _mT(a: Tensor) -> Tensor:
    return transpose(a, -1, -2)


def _matmul_grad_x(g: Tensor, out: Any, x: Any, y: Any) -> Tensor:
    """d(x @ y) for x, with NumPy's promotion of 1-d operands undone."""
    xs, ys = np.shape(x._data if isinstance(x, Tensor) else x), np.shape(
        y._data if isinstance(y, Tensor) else y)
    if len(xs) == 1 and len(ys) == 1:
        return g * y
    y2 = reshape(y, (ys[0], 1)) if len(ys) == 1 else y
    g2 = reshape(g, g.shape + (1,)) if len(ys) == 1 else g
    if len(xs) == 1:
        g2 = reshape(g2, g2.shape[:-2] + (1,) + g2.shape[-1:]) if len(ys) > 1 else g2
    gx = matmul(g2, _mT(y2))
    return reshape(gx, gx.shape[:-2] + (xs[0],)) if len(xs) == 1 else gx


def _matmul_grad_y(g: Tensor, out: Any, x: Any, y: Any) -> Tensor:
    xs, ys = np.shape(x._data if isinstance(x, Tensor) else x), np.shape(
        y._data if isinstance(y, Tensor) else y)
    if len(xs) == 1 and len(ys) == 1:
        return g * x
    x2 = reshape(x, (1, xs[0])) if len(xs) == 1 else x
    g2 = reshape(g, g.shape[:-1] + (1,) + g.shape[-1:]) if len(xs) == 1 else g
    if len(ys) == 1:
        g2 = reshape(g2, g2.shape + (1,))
    gy = matmul(_mT(x2), g2)
    return reshape(gy, gy.shape[:-1]) if len(ys) == 1 else gy


_MATMUL = register_op(Op(
    name="matmul", forward=np.matmul, vjp=(_matmul_grad_x, _matmul_grad_y),
    jvp=(LINEAR, LINEAR),
    sympy=lambda x, y: np.matmul(x, y) if np.ndim(x) and np.ndim(y) else x * y,
    domain=Domain(ranges=(((-2.0, 2.0),), ((-2.0, 2.0),)), shapes=[
        (((3, 4), (4, 2)), {}), (((4,), (4,)), {}), (((3, 4), (4,)), {}),
        (((4,), (4, 2)), {}), (((2, 3, 4), (4, 2)), {}), (((2, 3, 4), (2, 4, 5)), {})]),
    node_name="MmBackward0"))


def matmul(x: Any, y: Any) -> Tensor:
    """Matrix product with NumPy's rules: 1-d operands and batched stacks broadcast."""
    xs = np.shape(x._data if isinstance(x, Tensor) else x)
    ys = np.shape(y._data if isinstance(y, Tensor) else y)
    if len(xs) == 0 or len(ys) == 0:
        raise ValueError(f"matmul: both arguments need at least one dimension, got shapes "
                         f"{xs} and {ys}; use * for scalars")
    return apply(_MATMUL, x, y)


def dot(x: Any, y: Any) -> Tensor:
    """Inner product of two 1-d tensors (PyTorch's ``dot``)."""
    xs = np.shape(x._data if isinstance(x, Tensor) else x)
    ys = np.shape(y._data if isinstance(y, Tensor) else y)
    if len(xs) != 1 or len(ys) != 1:
        raise ValueError(f"dot: 1D tensors expected, but got {len(xs)}D and {len(ys)}D tensors")
    if xs != ys:
        raise ValueError(f"dot: inconsistent tensor size, expected tensor [{xs[0]}] and src "
                         f"[{ys[0]}] to have the same number of elements")
    return apply(_MATMUL, x, y)

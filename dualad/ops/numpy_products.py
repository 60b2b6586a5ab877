"""NumPy's products: ``kron``, ``cross``, ``tensordot``, ``vdot`` and ``dot`` on n-d arrays.

Each is a composite of registry ops (permute, reshape, matmul, mul, getitem,
stack), so both modes, every order and the SymPy export come from those ops.

>>> import dualad as da
>>> da.cross(da.tensor([1.0, 0.0, 0.0]), da.tensor([0.0, 1.0, 0.0])).tolist()
[0.0, 0.0, 1.0]
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ..tensor import Tensor, ndim_of, shape_of
from .elementwise import mul, neg
from .linalg import matmul
from .numpy_shape import moveaxis
from .shape import broadcast_to, getitem, permute, ravel, reshape, stack


def _tensor(a: Any) -> Tensor:
    return a if isinstance(a, Tensor) else Tensor(np.asarray(a))


def kron(a: Any, b: Any) -> Tensor:
    """The Kronecker product (NumPy's ``kron``, any number of dimensions).

    >>> import dualad as da
    >>> da.kron(da.tensor([1.0, 2.0]), da.tensor([1.0, 10.0])).tolist()
    [1.0, 10.0, 2.0, 20.0]
    """
    a, b = _tensor(a), _tensor(b)
    nd = max(ndim_of(a), ndim_of(b))
    sa = (1,) * (nd - ndim_of(a)) + shape_of(a)
    sb = (1,) * (nd - ndim_of(b)) + shape_of(b)
    wide_a = reshape(a, tuple(d for n in sa for d in (n, 1)))
    wide_b = reshape(b, tuple(d for n in sb for d in (1, n)))
    return reshape(wide_a * wide_b, tuple(m * n for m, n in zip(sa, sb)))


def _axes_list(axes: Any) -> list:
    return [int(axes)] if isinstance(axes, (int, np.integer)) else [int(a) for a in axes]


def tensordot(a: Any, b: Any, axes: Any = 2, *, dims: Any = None) -> Tensor:
    """Sum products over the given axes (NumPy's ``tensordot``; PyTorch's ``dims=`` too):
    ``axes=n`` pairs the last ``n`` axes of ``a`` with the first ``n`` of ``b``; a pair of
    sequences names the axes.

    >>> import dualad as da
    >>> da.tensordot(da.ones(2, 3), da.ones(3, 4), axes=1).shape
    (2, 4)
    """
    a, b = _tensor(a), _tensor(b)
    if dims is not None:
        axes = dims
    na, nb = ndim_of(a), ndim_of(b)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > na or n > nb:
            raise ValueError(f"tensordot: axes={n} must be between 0 and the operands' "
                             f"dimensions ({na} and {nb})")
        ax_a, ax_b = list(range(na - n, na)), list(range(n))
    else:
        try:
            first, second = axes
        except (TypeError, ValueError):
            raise TypeError("tensordot: axes must be an int or a pair of sequences of axes") \
                from None
        ax_a = [normalize_axis_index(i, na) for i in _axes_list(first)]
        ax_b = [normalize_axis_index(i, nb) for i in _axes_list(second)]
        if len(ax_a) != len(ax_b):
            raise ValueError("shape-mismatch for sum")
        if len(set(ax_a)) != len(ax_a) or len(set(ax_b)) != len(ax_b):
            raise ValueError("duplicate axes are not allowed in tensordot")
    sa, sb = shape_of(a), shape_of(b)
    if any(sa[i] != sb[j] for i, j in zip(ax_a, ax_b)):
        raise ValueError("shape-mismatch for sum")
    free_a = [d for d in range(na) if d not in ax_a]
    free_b = [d for d in range(nb) if d not in ax_b]
    k = math.prod(sa[i] for i in ax_a)
    left = reshape(permute(a, free_a + ax_a), (math.prod(sa[i] for i in free_a), k))
    right = reshape(permute(b, ax_b + free_b), (k, math.prod(sb[j] for j in free_b)))
    out = matmul(left, right)
    return reshape(out, tuple(sa[i] for i in free_a) + tuple(sb[j] for j in free_b))


def np_dot(a: Any, b: Any, out: Any = None) -> Tensor:
    """NumPy's ``dot``: a product with a scalar, the matrix product for 1-d and 2-d
    operands, and on n-d operands the sum over the last axis of ``a`` and the
    second-to-last of ``b`` (``da.dot`` is PyTorch's: 1-d only).

    >>> import dualad as da
    >>> da.ops.np_dot(da.ones(2, 3, 4), da.ones(5, 4, 6)).shape
    (2, 3, 5, 6)
    """
    if out is not None:
        raise TypeError("dot on a dualad Tensor does not support out=")
    na, nb = ndim_of(a), ndim_of(b)
    if na == 0 or nb == 0:
        return mul(a, b)
    if na <= 2 and nb <= 2:
        return matmul(a, b)
    sa, sb = shape_of(a), shape_of(b)
    inner = sb[0] if nb == 1 else sb[-2]
    if sa[-1] != inner:
        raise ValueError(f"shapes {sa} and {sb} not aligned: {sa[-1]} (dim {na - 1}) != "
                         f"{inner} (dim {max(nb - 2, 0)})")
    return tensordot(a, b, ([na - 1], [max(nb - 2, 0)]))


def vdot(a: Any, b: Any) -> Tensor:
    """The dot product of the flattened inputs (NumPy's ``vdot``, real tensors).

    >>> import dualad as da
    >>> da.vdot(da.tensor([[1.0, 2.0]]), da.tensor([3.0, 4.0])).item()
    11.0
    """
    a, b = _tensor(a), _tensor(b)
    if a.dtype.kind == "c" or b.dtype.kind == "c":
        raise TypeError("vdot: complex tensors are not supported here (vdot conjugates its "
                        "first argument); use real tensors")
    if a.numel() != b.numel():
        raise ValueError("vectors have different lengths")
    return matmul(ravel(a), ravel(b))


def _component(v: Tensor, i: int) -> Tensor:
    return getitem(v, (Ellipsis, i))


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: Any = None, *, dim: Any = None) -> Tensor:
    """The cross product of 3-vectors (or 2-vectors, taken with a zero third component)
    along ``axisa``/``axisb``, the result along ``axisc`` (``axis``, or PyTorch's ``dim``,
    sets all three). Two 2-vector operands give the scalar z-component, with NumPy's
    deprecation warning.

    >>> import dualad as da
    >>> da.cross(da.tensor([1.0, 2.0, 3.0]), da.tensor([4.0, 5.0, 6.0])).tolist()
    [-3.0, 6.0, -3.0]
    """
    if dim is not None:
        axis = dim
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _tensor(a), _tensor(b)
    a = moveaxis(a, normalize_axis_index(int(axisa), ndim_of(a), "axisa"), -1)
    b = moveaxis(b, normalize_axis_index(int(axisb), ndim_of(b), "axisb"), -1)
    na, nb = shape_of(a)[-1], shape_of(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n"
                         "(dimension must be 2 or 3)")
    a0, a1, b0, b1 = _component(a, 0), _component(a, 1), _component(b, 0), _component(b, 1)
    z = a0 * b1 - a1 * b0
    if na == 2 or nb == 2:
        warnings.warn("Arrays of 2-dimensional vectors are deprecated. Use arrays of "
                      "3-dimensional vectors instead. (deprecated in NumPy 2.0)",
                      DeprecationWarning, stacklevel=2)
    if na == 2 and nb == 2:
        return z
    if na == 3 and nb == 3:
        a2, b2 = _component(a, 2), _component(b, 2)
        x, y = a1 * b2 - a2 * b1, a2 * b0 - a0 * b2
    elif na == 2:
        b2 = _component(b, 2)
        x, y = a1 * b2, neg(a0 * b2)
    else:
        a2 = _component(a, 2)
        x, y = neg(a2 * b1), a2 * b0
    shape = np.broadcast_shapes(shape_of(x), shape_of(y), shape_of(z))
    out = stack([broadcast_to(c, shape) for c in (x, y, z)], axis=-1)
    return moveaxis(out, -1, normalize_axis_index(int(axisc), ndim_of(out), "axisc"))


__all__ = ["kron", "tensordot", "np_dot", "vdot", "cross"]

"""Size estimates of the ops' SymPy forms, for the symbolic export's size guard.

An op's entry names one of these as its ``Op.sympy_terms``: from ``(shapes, out_shape,
params)`` it estimates the terms per element of the op's SymPy form: how many input
elements each output element depends on (the partials its symbolic derivative has) or,
where larger, the size of its expression.
:mod:`dualad.symbolic` multiplies it by the number of elements, per node, and refuses
a graph over its limit before building anything.
"""

from __future__ import annotations

import math

import numpy as np

Shapes = list[tuple]


def _size(shape: tuple) -> int:
    return int(np.prod(shape, dtype=np.int64))


def one(shapes: Shapes, out: tuple, params: dict) -> float:
    """Each output element is one input element (reshaping, indexing, casts)."""
    return 1.0


def reduced(shapes: Shapes, out: tuple, params: dict) -> float:
    """One ``Add`` (or another n-ary function) of the reduced elements."""
    return max(1.0, _size(shapes[0]) / max(1, _size(out)))


def quadratic(shapes: Shapes, out: tuple, params: dict) -> float:
    """Quadratic in the reduced count: built one term at a time (a product), or a nonlinear
    function of a sum, whose derivative by each element walks the whole sum (logsumexp,
    norm, var, std)."""
    n = reduced(shapes, out, params)
    return n * n


def cubic(shapes: Shapes, out: tuple, params: dict) -> float:
    """A sum of squares of differences from the mean, itself a sum (var, std)."""
    return 2 * quadratic(shapes, out, params) * reduced(shapes, out, params)


def extremum(shapes: Shapes, out: tuple, params: dict) -> float:
    """``Max(Max(a, b), c)...``: SymPy compares every pair of arguments as it builds and
    differentiates, so an extremum of more than a dozen elements is slow; each comparison
    walks the arguments, so the export weighs this by their size (``compares_arguments``)."""
    return quadratic(shapes, out, params) ** 2


extremum.compares_arguments = True  # type: ignore[attr-defined]


def _along_axis(shapes: Shapes, params: dict) -> int:
    shape = shapes[0]
    return shape[int(params.get("axis", -1)) % len(shape)] if shape else 1


def cumsum(shapes: Shapes, out: tuple, params: dict) -> float:
    return (_along_axis(shapes, params) + 1) / 2


def softmax(shapes: Shapes, out: tuple, params: dict) -> float:
    """Each element depends on its whole row, through a sum that each partial walks."""
    return float(_along_axis(shapes, params)) ** 2


def matmul(shapes: Shapes, out: tuple, params: dict) -> float:
    return float(shapes[0][-1]) if shapes[0] else 1.0


def einsum(shapes: Shapes, out: tuple, params: dict) -> float:
    """The product of the contracted dimensions, summed one term at a time by NumPy."""
    ins, result = params["subscripts"].replace(" ", "").split("->")
    sizes: dict[str, int] = {}
    for letters, shape in zip(ins.split(","), shapes):
        sizes.update(zip(letters[-len(shape):] if shape else "", shape))
    c = math.prod(n for letter, n in sizes.items() if letter not in result)
    return c * (c + 1) / 2


def trace(shapes: Shapes, out: tuple, params: dict) -> float:
    k = min(shapes[0][-2:])
    return k * (k + 1) / 2


def det(shapes: Shapes, out: tuple, params: dict) -> float:
    """Laplace expansion: about e n! terms; its gradient differentiates them by n^2 entries."""
    n = shapes[0][-1]
    return 1.0 * math.factorial(n) * n ** 3


def inv(shapes: Shapes, out: tuple, params: dict) -> float:
    """A cofactor over the determinant, each differentiated by all n^2 entries."""
    n = shapes[0][-1]
    return 2.0 * math.factorial(n) * n * n


def solve(shapes: Shapes, out: tuple, params: dict) -> float:
    """``inv(a) @ b``: n entries of the inverse per element."""
    n = shapes[0][-1]
    return inv([shapes[0]], out, params) * n

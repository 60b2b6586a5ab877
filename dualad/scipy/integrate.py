"""``dualad.scipy.integrate``: quadrature of sampled values, differentiable in the samples
``y`` and in the sample points ``x``.

>>> import dualad as da
>>> from dualad.scipy.integrate import simpson
>>> x = da.linspace(0.0, 1.0, 5)
>>> round(simpson(x ** 2, x=x).item(), 12)  # exact for a parabola
0.333333333333
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops as _ops
from ..tensor import Tensor, ndim_of


def trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> Tensor:
    """The trapezoidal rule along ``axis`` with sample points ``x`` (1-d, or the shape of
    ``y``) or the spacing ``dx``; SciPy's ``scipy.integrate.trapezoid``.

    >>> import dualad as da
    >>> from dualad.scipy.integrate import trapezoid
    >>> trapezoid(da.tensor([1.0, 2.0, 3.0]), dx=0.5).item()
    2.0
    """
    return _ops.trapezoid(y, x, dx=dx, axis=axis)


def _along(y: Any, axis: int, index: Any) -> Tensor:
    return _ops.getitem(y, (slice(None),) * axis + (index,))


def _spacings(x: Any, nd: int, axis: int, n: int) -> Any:
    """The spacings of ``x`` along ``axis`` (a 1-d ``x`` is laid along ``axis``)."""
    if ndim_of(x) == 1:
        if x.shape[0] != n:
            raise ValueError(f"dualad.scipy.integrate.simpson: x has {x.shape[0]} points but y "
                             f"has {n} along axis {axis}")
        shape = [1] * nd
        shape[axis] = n
        x = _ops.reshape(x, tuple(shape))
    elif ndim_of(x) != nd or x.shape[axis] != n:
        raise ValueError("dualad.scipy.integrate.simpson: x must be 1-d or have y's shape, "
                         "with as many points along axis as y")
    return _ops.diff(x, axis=axis)


def simpson(y: Any, x: Any = None, *, dx: float = 1.0, axis: int = -1) -> Tensor:
    """Composite Simpson's rule along ``axis`` (SciPy's ``scipy.integrate.simpson``, also
    for uneven spacing): an even number of intervals is covered by parabolas; with an odd
    number the last interval gets Cartwright's correction, as SciPy does since 1.11.

    >>> import dualad as da
    >>> from dualad.scipy.integrate import simpson
    >>> simpson(da.tensor([1.0, 2.0, 3.0, 4.0])).item()  # the integral of 1 + t on [0, 3]
    7.5
    """
    y = y if isinstance(y, Tensor) else Tensor(np.asarray(y, dtype=np.float64))
    nd = y.ndim
    if nd == 0:
        raise ValueError("dualad.scipy.integrate.simpson: y must have at least one axis")
    axis = axis % nd
    n = y.shape[axis]
    if x is not None and not isinstance(x, Tensor):
        x = Tensor(np.asarray(x, dtype=np.float64))
    h = _spacings(x, nd, axis, n) if x is not None else None
    if n == 1:
        return _ops.sum(0.0 * y, axis=axis)
    if n == 2:
        width = dx if h is None else _along(h, axis, 0)
        return 0.5 * width * (_along(y, axis, 0) + _along(y, axis, 1))
    stop = n - 1 if n % 2 == 1 else n - 2  # the last point the parabolas reach
    y0 = _along(y, axis, slice(0, stop - 1, 2))
    y1 = _along(y, axis, slice(1, stop, 2))
    y2 = _along(y, axis, slice(2, stop + 1, 2))
    if h is None:
        result = _ops.sum(y0 + 4.0 * y1 + y2, axis=axis) * (dx / 3.0)
        h_last: Any = (dx, dx)
    else:
        h0 = _along(h, axis, slice(0, stop - 1, 2))
        h1 = _along(h, axis, slice(1, stop, 2))
        total = h0 + h1
        result = _ops.sum(total / 6.0 * (y0 * (2.0 - h1 / h0) + y1 * (total * total / (h0 * h1))
                                         + y2 * (2.0 - h0 / h1)), axis=axis)
        h_last = (_along(h, axis, -2), _along(h, axis, -1))
    if n % 2 == 0:  # Cartwright's correction for the last interval
        a, b = h_last
        alpha = (2.0 * b * b + 3.0 * a * b) / (6.0 * (a + b))
        beta = (b * b + 3.0 * a * b) / (6.0 * a)
        eta = b * b * b / (6.0 * a * (a + b))
        result = result + alpha * _along(y, axis, -1) + beta * _along(y, axis, -2) \
            - eta * _along(y, axis, -3)
    return result


__all__ = ["trapezoid", "simpson"]

"""``dualad.scipy.interpolate``: ``interp1d``-style linear interpolation, differentiable in
the sample values ``y``, in the sample points ``x`` and in the query points. No SciPy
needed.

>>> import dualad as da
>>> from dualad.scipy.interpolate import interp1d
>>> f = interp1d([0.0, 1.0, 2.0], da.tensor([0.0, 10.0, 30.0]))
>>> f(da.tensor([0.5, 1.5])).numpy().tolist()
[5.0, 20.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops as _ops
from ..tensor import Tensor

__all__ = ["interp1d"]


def _t(x: Any) -> Tensor:
    if not isinstance(x, Tensor) and np.iscomplexobj(x):
        raise TypeError("dualad.scipy.interpolate: complex inputs are not supported")
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=np.float64))


class interp1d:  # noqa: N801  (SciPy's name)
    """Linear interpolation of ``y`` sampled at ``x`` along ``axis`` (SciPy's
    ``scipy.interpolate.interp1d`` with ``kind='linear'``). Outside ``[x[0], x[-1]]``:
    a ValueError when ``bounds_error`` (the default unless ``fill_value='extrapolate'``),
    else ``fill_value`` (a number, a pair ``(below, above)``, or ``'extrapolate'`` to
    extend the end segments). At a sample point the slope in the query is the right
    segment's (the last point: the left one's).

    >>> import dualad as da
    >>> from dualad.scipy.interpolate import interp1d
    >>> q = da.tensor(0.25, requires_grad=True)
    >>> interp1d([0.0, 1.0], [2.0, 6.0])(q).backward()
    >>> q.grad.item()
    4.0
    """

    def __init__(self, x: Any, y: Any, kind: Any = "linear", axis: int = -1, copy: bool = True,
                 bounds_error: Any = None, fill_value: Any = np.nan,
                 assume_sorted: bool = False) -> None:
        if kind not in ("linear", 1):
            raise ValueError(f"dualad.scipy.interpolate.interp1d: kind={kind!r} is not "
                             "supported; only kind='linear'")
        x, y = _t(x), _t(y)
        if x.ndim != 1:
            raise ValueError(f"dualad.scipy.interpolate.interp1d: x must be 1-d, got shape "
                             f"{x.shape}")
        if y.ndim == 0:
            raise ValueError("dualad.scipy.interpolate.interp1d: y must have at least one axis")
        axis = axis % y.ndim
        if y.shape[axis] != x.shape[0]:
            raise ValueError(f"dualad.scipy.interpolate.interp1d: x has {x.shape[0]} points but "
                             f"y has {y.shape[axis]} along axis {axis}")
        if x.shape[0] < 2:
            raise ValueError("dualad.scipy.interpolate.interp1d: at least 2 points are needed")
        xv = x.detach().numpy()
        if not assume_sorted:
            order = np.argsort(xv, kind="stable")
            x = x[order]
            y = _ops.take(y, order, axis=axis)
            xv = xv[order]
        if np.any(np.diff(xv) <= 0):
            raise ValueError("dualad.scipy.interpolate.interp1d: x must have distinct values")
        extrapolate = isinstance(fill_value, str)
        if extrapolate and fill_value != "extrapolate":
            raise ValueError(f"dualad.scipy.interpolate.interp1d: fill_value={fill_value!r}; "
                             "use a number, a pair (below, above) or 'extrapolate'")
        if bounds_error is None:
            bounds_error = not extrapolate
        if bounds_error and extrapolate:
            raise ValueError("dualad.scipy.interpolate.interp1d: bounds_error=True cannot be "
                             "combined with fill_value='extrapolate'")
        if not extrapolate:
            if isinstance(fill_value, tuple):
                if len(fill_value) != 2:
                    raise ValueError("dualad.scipy.interpolate.interp1d: a tuple fill_value is "
                                     "(below, above)")
                below, above = fill_value
            else:
                below = above = fill_value
            self._fill: tuple | None = (below, above)
        else:
            self._fill = None
        self.x, self.y, self.axis = x, y, axis
        self.bounds_error = bool(bounds_error)
        self.fill_value = fill_value

    def __call__(self, x_new: Any) -> Tensor:
        """The interpolated values: ``y``'s shape with ``axis`` replaced by ``x_new``'s."""
        q = _t(x_new)
        qv = q.detach().numpy()
        xv = self.x.detach().numpy()
        out_low, out_high = qv < xv[0], qv > xv[-1]
        if self.bounds_error and (np.any(out_low) or np.any(out_high)):
            side = "below" if np.any(out_low) else "above"
            raise ValueError(f"dualad.scipy.interpolate.interp1d: a value in x_new is {side} "
                             "the interpolation range; pass bounds_error=False (with "
                             "fill_value) or fill_value='extrapolate'")
        n = xv.shape[0]
        i = np.clip(np.searchsorted(xv, np.where(np.isnan(qv), xv[0], qv), side="right") - 1,
                    0, n - 2)
        x0, x1 = self.x[i], self.x[i + 1]
        y0 = _ops.take(self.y, i, axis=self.axis)
        y1 = _ops.take(self.y, i + 1, axis=self.axis)
        w = (q - x0) / (x1 - x0)
        # the weight runs along the query's axes, placed where axis was in y
        shape = (1,) * self.axis + q.shape + (1,) * (self.y.ndim - self.axis - 1)
        w = _ops.reshape(w, shape)
        out = y0 + w * (y1 - y0)
        if self._fill is not None:
            below, above = self._fill
            lo = np.reshape(out_low, shape)
            hi = np.reshape(out_high, shape)
            out = _ops.where(lo, _ops.broadcast_to(_t(below), out.shape), out)
            out = _ops.where(hi, _ops.broadcast_to(_t(above), out.shape), out)
        return out

"""``np.r_`` and ``np.c_`` of ``dualad.numpy``: NumPy's concatenation by index, with
Tensors kept in the graph (NumPy's own ``r_`` turns each item into a NumPy array, which
no Tensor can intercept)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops as F
from ..tensor import Tensor
from . import _creation


class Concatenator:
    """``r_[a, b, 0:3, ...]``: the items (arrays, numbers, slices as ``arange``, or
    ``linspace`` for a complex step ``5j``) joined along ``axis``. A first item that is a
    string ``"axis"``, ``"axis,ndmin"`` or ``"axis,ndmin,trans1d"`` sets them, as in NumPy
    (``"r"``/``"c"`` matrix directives are not supported).

    >>> import dualad as da
    >>> import dualad.numpy as np
    >>> x = da.tensor(2.0, requires_grad=True)
    >>> np.r_[x, 0.0, 1:3]
    tensor([2., 0., 1., 2.], grad_fn=<CatBackward0>)
    >>> np.c_[[1.0, 2.0], [3.0, 4.0]]
    tensor([[1., 3.],
            [2., 4.]])
    """

    def __init__(self, name: str, axis: int, ndmin: int, trans1d: int) -> None:
        self.name, self.axis, self.ndmin, self.trans1d = name, axis, ndmin, trans1d

    def __repr__(self) -> str:
        return f"dualad.numpy.{self.name}"

    def __len__(self) -> int:
        return 0

    def __getitem__(self, key: Any) -> Tensor:
        items = list(key) if isinstance(key, tuple) else [key]
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        if items and isinstance(items[0], str):
            axis, ndmin, trans1d = self._directive(items.pop(0), ndmin, trans1d)
        if not items:
            raise ValueError(f"dualad.numpy.{self.name}[...]: nothing to concatenate")
        parts = [self._part(item, ndmin, trans1d) for item in items]
        return F.concatenate(parts, axis=axis)

    def _directive(self, text: str, ndmin: int, trans1d: int) -> tuple[int, int, int]:
        try:
            numbers = [int(v) for v in text.split(",")]
        except ValueError:
            raise TypeError(f"dualad.numpy.{self.name}[{text!r}, ...]: only the directives "
                            "'axis', 'axis,ndmin' and 'axis,ndmin,trans1d' are supported "
                            "(no matrix directives 'r'/'c')") from None
        if not 1 <= len(numbers) <= 3:
            raise ValueError(f"dualad.numpy.{self.name}[{text!r}, ...]: a directive has "
                             "one to three integers")
        defaults = [numbers[0], ndmin, trans1d]
        defaults[:len(numbers)] = numbers
        return defaults[0], defaults[1], defaults[2]

    @staticmethod
    def _part(item: Any, ndmin: int, trans1d: int) -> Tensor:
        if isinstance(item, slice):
            start = 0 if item.start is None else item.start
            step = 1 if item.step is None else item.step
            if isinstance(step, complex):
                values: np.ndarray = np.linspace(start, item.stop, int(abs(step)))
            else:
                values = np.arange(start, item.stop, step)
            t = _creation.asarray(values)
        else:
            t = _creation.asarray(item)
        before = t.ndim
        t = _creation.array(t, ndmin=ndmin, copy=False)
        if trans1d != -1 and before < ndmin:
            k2 = ndmin - before
            k1 = trans1d + k2 + 1 if trans1d < 0 else trans1d
            axes = list(range(ndmin))
            t = F.permute(t, tuple(axes[:k1] + axes[k2:] + axes[k1:k2]))
        return t


r_ = Concatenator("r_", axis=0, ndmin=1, trans1d=-1)
c_ = Concatenator("c_", axis=-1, ndmin=2, trans1d=0)

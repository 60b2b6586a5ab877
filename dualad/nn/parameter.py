"""``Parameter``: a leaf tensor that a :class:`~dualad.nn.Module` registers and trains.

>>> import dualad as da
>>> w = da.nn.Parameter(da.zeros(2))
>>> w.requires_grad, w.is_leaf
(True, True)
>>> w
Parameter containing:
tensor([0., 0.], requires_grad=True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor, _init


class Parameter(Tensor):
    """A leaf Tensor that requires grad (by default) and is registered by modules.

    ``Parameter(data)`` shares storage with ``data`` when it is a Tensor or a
    float NumPy array, as ``torch.nn.Parameter`` does.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            arr = np.empty(0)
        elif isinstance(data, Tensor):
            if data.grad_fn is not None:
                data = data.detach()
            arr = data._data
        else:
            arr = np.asarray(data)
            if arr.dtype.kind in "iub":
                arr = arr.astype(np.float64)
        _init(self, arr)
        if isinstance(data, Tensor) and data._vc is not None:
            self._vc = data._vc
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (Parameter, (np.array(self._data), self.requires_grad_flag))

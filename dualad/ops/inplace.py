"""In-place ops: an out-of-place op, written back into the tensor's storage.

The result is computed by a registered op on a snapshot of the old value,
copied into the existing storage (so views and ``detach()``ed tensors see
it), the version counter is bumped, and the tensor takes over the result's
history. Nodes that saved the old value notice the version bump.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._state import state
from ..registry import alias
from ..tensor import Tensor, _wrap, bump_version
from . import shape as _shape


def inplace(x: Tensor, fn, *args: Any, **kwargs: Any) -> Tensor:
    """Apply ``fn(x, *args, **kwargs)`` and store the result in ``x``; returns ``x``."""
    if not isinstance(x, Tensor):
        raise TypeError("in-place ops need a Tensor")
    if state.grad_enabled and x.requires_grad_flag and x.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation. Wrap the update in 'with dualad.no_grad():' or operate "
                           "on x.data.")
    if x._get_extra("inference") and not state.inference:
        raise RuntimeError("Inplace update to inference tensor outside InferenceMode is not "
                           "allowed. Make a clone to get a normal tensor before doing inplace "
                           "update.")
    if not x._data.flags.writeable:
        raise RuntimeError("this tensor's data is a read-only view (the result of reshape, "
                           "transpose, expand or indexing); dualad does not write through "
                           "views. Call .clone() first and modify the clone.")
    old = alias(x, x._tangents)
    old._vc = None
    old._data = x._data.copy()
    out = fn(old, *args, **kwargs)
    if out._data.shape != x._data.shape:
        raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast "
                           f"shape {list(out.shape)} of the in-place operation")
    if not np.can_cast(out._data.dtype, x._data.dtype, casting="same_kind"):
        raise RuntimeError(f"result type {out._data.dtype} can't be cast to the desired output "
                           f"type {x._data.dtype}")
    np.copyto(x._data, out._data, casting="same_kind")
    bump_version(x)
    if out.requires_grad_flag:
        x.grad_fn = out.grad_fn
        x.requires_grad_flag = True
    elif x.grad_fn is not None:  # the new value no longer depends on the old history
        x.grad_fn = None
        x.requires_grad_flag = False
    x._tangents = out._tangents
    return x


def zeros_like_op(x: Any) -> Tensor:
    """Zeros shaped like ``x``, with no dependence on it (for ``zero_``)."""
    return _wrap(np.zeros_like(x._data))


def full_like_op(x: Any, fill_value: Any) -> Tensor:
    if isinstance(fill_value, Tensor):
        return fill_value * 1.0 + _wrap(np.zeros_like(x._data))
    return _wrap(np.full_like(x._data, fill_value))


def copy_from(x: Any, src: Any) -> Tensor:
    src = src if isinstance(src, Tensor) else _wrap(np.asarray(src))
    return _shape.clone(_shape.broadcast_to(_shape.astype(src, x.dtype), x.shape))  # any dtype


def setitem_(x: Tensor, index: Any, value: Any) -> Tensor:
    """``x[index] = value`` as an in-place op."""
    return inplace(x, _shape.setitem, index, value)

"""In-place ops: an out-of-place op, written back into the tensor's storage.

The result is computed by a registered op on a snapshot of the old value,
copied into the existing storage (so views and ``detach()``ed tensors see
it), the version counter (shared with them) is bumped, and, when grad mode
is on, the tensor takes over the result's history and its views are made
again from it. Nodes that saved the old value notice the version bump.
Under ``no_grad`` the history is left as it is (as in PyTorch: the change
is invisible to autograd, except through the version counter).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._state import state
from ..registry import alias, check_fixed_views, move_retain, rebase_views
from ..tensor import Tensor, _wrap, bump_version, meta_of, own_meta
from . import elementwise as _elementwise
from . import shape as _shape

_VIEW = ("this tensor is a read-only view of another tensor's storage made by reshape, "
         "transpose, expand or a chain of views (dualad writes through a view made by one "
         "indexing, x[index], only). Modify the base tensor instead (e.g. x[index] = value), "
         "or call .clone() first and modify the clone.")


def inplace(x: Tensor, fn: Callable[..., Tensor], *args: Any, **kwargs: Any) -> Tensor:
    """Apply ``fn(x, *args, **kwargs)`` and store the result in ``x``; returns ``x``."""
    if not isinstance(x, Tensor):
        raise TypeError("in-place ops need a Tensor")
    grad_on = state.grad_enabled
    if grad_on and x.requires_grad_flag and x.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation. Wrap the update in 'with dualad.no_grad():' or operate "
                           "on x.data.")
    if x.is_inference() and not state.inference:
        raise RuntimeError("Inplace update to inference tensor outside InferenceMode is not "
                           "allowed. Make a clone to get a normal tensor before doing inplace "
                           "update.")
    if x._is_view():
        index = _indexed_from(x)
        if index is None:
            raise RuntimeError(_VIEW)
        root = meta_of(x).view_of[0]  # type: ignore[index]
        _write_through(root, index, x, fn, args, kwargs)
        return x
    if not x._data.flags.writeable:
        raise RuntimeError(_VIEW)
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
    if grad_on and (out.requires_grad_flag or old.requires_grad_flag) and x._vc is not None \
            and x._vc.views:
        check_fixed_views(x)
    if grad_on and old.requires_grad_flag and not out.requires_grad_flag:
        # the new value does not depend on the old one (zero_, fill_, copy_ of a constant):
        # x keeps requiring grad, with a zero gradient for its old history (as in PyTorch)
        out = _elementwise.where(np.zeros(out._data.shape, bool), old, out)
    np.copyto(x._data, out._data, casting="same_kind")
    vc = bump_version(x)
    old_fn, old_tangents = x.grad_fn, x._tangents
    if grad_on and out.requires_grad_flag:
        _take_history(x, out)
    x._tangents = out._tangents
    history = x.grad_fn is not old_fn
    if (history or x._tangents is not old_tangents) and vc.views:
        rebase_views(x, history)
    return x


def _indexed_from(x: Tensor) -> Any:
    """The index ``i`` if ``x`` is the view ``root[i]`` made by one indexing op (so an
    in-place op on ``x`` can be written into ``root``); else None."""
    root, chain, fixed = meta_of(x).view_of  # type: ignore[misc]
    if fixed is not None or chain is None or len(chain) != 1:
        return None
    op, args, i, params = chain[0]
    if op.name != "getitem" or i != 0 or args[0] is not root:
        return None
    # (root.data = ... gives root other storage: x no longer shows root's values)
    return params["index"] if np.may_share_memory(x._data, root._data) else None


def _write_through(root: Tensor, index: Any, x: Tensor, fn: Callable[..., Tensor], args: tuple,
                   kwargs: dict) -> None:
    """``x = root[index]`` updated in place as NumPy and PyTorch do, through its base:
    ``root[index] = fn(root[index], ...)``; ``x`` (a view of root's storage) sees the new
    values and takes the new history (``rebase_views``). So ``acc[1:] += v`` works."""
    def update(r: Tensor) -> Tensor:
        part = fn(_shape.getitem(r, index), *args, **kwargs)
        if part.shape != x.shape:
            raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast "
                               f"shape {list(part.shape)} of the in-place operation")
        return _shape.setitem(r, index, part)
    inplace(root, update)


def _take_history(x: Tensor, out: Tensor) -> None:
    """Make ``x`` the output of ``out``'s node, as ``out`` is (which output, too), and move
    a ``retain_grad()`` along: the gradient retained is the one of x's new value."""
    old_fn = x.grad_fn
    x.grad_fn = out.grad_fn
    x.requires_grad_flag = True
    nr = meta_of(out).output_nr
    if nr or meta_of(x).output_nr:
        own_meta(x).output_nr = nr
    if meta_of(x).retains_grad:
        move_retain(x, old_fn)


def zeros_like_op(x: Any) -> Tensor:
    """Zeros shaped like ``x``, with no dependence on it (for ``zero_``)."""
    return _wrap(np.zeros_like(x._data))


def full_like_op(x: Any, fill_value: Any) -> Tensor:
    if isinstance(fill_value, Tensor):
        if fill_value.ndim:
            raise RuntimeError(f"fill_ takes a number or a 0-d tensor, got a tensor of shape "
                               f"{tuple(fill_value.shape)}; use copy_ to copy an array")
        return copy_from(x, fill_value)
    return _wrap(np.full_like(x._data, fill_value))


def copy_from(x: Any, src: Any) -> Tensor:
    src = src if isinstance(src, Tensor) else _wrap(np.asarray(src))
    return _shape.clone(_shape.broadcast_to(_shape.astype(src, x.dtype), x.shape))  # any dtype


def setitem_(x: Tensor, index: Any, value: Any) -> Tensor:
    """``x[index] = value`` as an in-place op."""
    return inplace(x, _shape.setitem, index, value)

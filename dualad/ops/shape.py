"""Shape ops and indexing: reshape, transpose/permute, broadcasting, casts, getitem, setitem.

These are linear, so their forward rules are the op itself (``LINEAR``) and
their reverse rules are the inverse reshaping; none reads saved values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..registry import LINEAR, Domain, Op, apply, register_op
from ..tensor import Tensor
from ._define import to_index


def _linear(name: str, forward, vjp, sympy=None, shapes=(), node_name: str = "") -> Op:
    return register_op(Op(name=name, forward=forward, vjp=(vjp,), jvp=(LINEAR,),
                          sympy=sympy or forward,
                          domain=Domain(ranges=(((-3.0, 3.0),),), shapes=list(shapes)),
                          saves=(), node_name=node_name))


def _sum_to_forward(x: np.ndarray, shape: tuple) -> np.ndarray:
    x = np.asarray(x)
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and x.shape[i + lead] != 1)
    return np.sum(x, axis=axes, keepdims=True).reshape(shape) if axes else x.reshape(shape)


def _readonly(a: np.ndarray) -> np.ndarray:
    """Views are handed out read-only: writing into one would bypass autograd."""
    if isinstance(a, np.ndarray) and a.base is not None and a.dtype != object:
        a = a.view()
        a.flags.writeable = False
    return a


_SUM_TO = _linear("sum_to", _sum_to_forward,
                  lambda g, out, x, shape: broadcast_to(g, np.shape(x)),
                  shapes=[(((3, 4),), {"shape": (1, 4)}), (((2, 3),), {"shape": (3,)})])
_BROADCAST_TO = _linear("broadcast_to", lambda x, shape: np.broadcast_to(x, shape),
                        lambda g, out, x, shape: sum_to(g, np.shape(x)),
                        shapes=[(((4,),), {"shape": (3, 4)}), (((3, 1),), {"shape": (3, 5)})],
                        node_name="ExpandBackward0")
_ASTYPE = _linear("astype", lambda x, dtype: np.asarray(x).astype(dtype),
                  lambda g, out, x, dtype: astype(g, np.asarray(x).dtype),
                  shapes=[(((3,),), {"dtype": np.float64})], node_name="ToCopyBackward0")
_CLONE = _linear("clone", lambda x: np.array(x, copy=True), lambda g, out, x: g,
                 shapes=[(((3,),), {})])
_RESHAPE = _linear("reshape", lambda x, shape: _readonly(np.reshape(x, shape)),
                   lambda g, out, x, shape: reshape(g, np.shape(x)),
                   sympy=lambda x, shape: np.reshape(x, shape),
                   shapes=[(((2, 6),), {"shape": (3, 4)}), (((6,),), {"shape": (2, -1)})],
                   node_name="ViewBackward0")
_PERMUTE = _linear("permute", lambda x, axes: _readonly(np.transpose(x, axes)),
                   lambda g, out, x, axes: permute(g, tuple(np.argsort(axes))),
                   sympy=lambda x, axes: np.transpose(x, axes),
                   shapes=[(((2, 3, 4),), {"axes": (2, 0, 1)}), (((3, 4),), {"axes": (1, 0)})])


def _getitem_forward(x: np.ndarray, index: Any) -> np.ndarray:
    return _readonly(np.asarray(x)[index])


def _index_add_forward(g: np.ndarray, index: Any, shape: tuple) -> np.ndarray:
    out = np.zeros(shape, dtype=np.result_type(g, np.float64) if g.dtype.kind != "f" else g.dtype)
    if _is_basic(index):
        out[index] += g
    else:
        np.add.at(out, index, g)
    return out


def _is_basic(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice, type(None), type(Ellipsis))) or
               (isinstance(i, np.integer)) for i in items)


_GETITEM = _linear("getitem", _getitem_forward,
                   lambda g, out, x, index: index_add(g, index, np.shape(x)),
                   sympy=lambda x, index: np.asarray(x)[index],
                   shapes=[(((5,),), {"index": slice(1, 4)}),
                           (((4, 3),), {"index": (np.array([0, 2, 0]), slice(None))}),
                           (((6,),), {"index": slice(None, None, 2)})],
                   node_name="IndexBackward0")
_INDEX_ADD = _linear("index_add", _index_add_forward,
                     lambda g, out, gi, index, shape: getitem(g, index),
                     sympy=None,
                     shapes=[(((3,),), {"index": np.array([0, 0, 2]), "shape": (4,)})])


def _index_add_sympy(g: np.ndarray, index: Any, shape: tuple) -> np.ndarray:
    out = np.zeros(shape, dtype=object)
    np.add.at(out, index, g)
    return out


_INDEX_ADD.sympy = _index_add_sympy


def _setitem_forward(x: np.ndarray, v: np.ndarray, index: Any) -> np.ndarray:
    out = np.array(x, copy=True)
    out[index] = v
    return out


def _mask_out(g: Tensor, index: Any) -> Tensor:
    keep = np.ones(g.shape, dtype=g.dtype)
    keep[index] = 0.0
    return g * keep


_SETITEM = register_op(Op(
    name="setitem", forward=_setitem_forward,
    vjp=(lambda g, out, x, v, index: _mask_out(g, index),
         lambda g, out, x, v, index: getitem(g, index)),
    jvp=(lambda t, out, x, v, index: _mask_out(t, index),
         lambda t, out, x, v, index: index_add(t, index, out.shape)),
    sympy=_setitem_forward,
    domain=Domain(ranges=(((-3.0, 3.0),), ((-3.0, 3.0),)),
                  shapes=[(((5,), (2,)), {"index": slice(1, 3)}),
                          (((3, 4), (4,)), {"index": 1})]),
    saves=(), node_name="CopySlices"))


def sum_to(x: Any, shape: tuple) -> Tensor:
    """Sum ``x`` over the axes that broadcasting added, down to ``shape``."""
    return apply(_SUM_TO, x, shape=tuple(shape))


def broadcast_to(x: Any, shape: Any) -> Tensor:
    """Broadcast ``x`` to ``shape`` (NumPy's rules)."""
    return apply(_BROADCAST_TO, x, shape=tuple(shape) if not isinstance(shape, int) else (shape,))


def astype(x: Any, dtype: Any) -> Tensor:
    """Cast to ``dtype``; the gradient is cast back."""
    return apply(_ASTYPE, x, dtype=np.dtype(dtype))


def clone(x: Any) -> Tensor:
    """A copy with its own storage that stays in the graph."""
    return apply(_CLONE, x)


def reshape(x: Any, *shape: Any) -> Tensor:
    """``x`` with a new shape (``-1`` infers one dimension)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return apply(_RESHAPE, x, shape=tuple(int(s) for s in shape))


def permute(x: Any, *dims: Any) -> Tensor:
    """Reorder the axes of ``x``."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    nd = np.ndim(x._data if isinstance(x, Tensor) else x)
    axes = tuple(int(d) % nd if nd else 0 for d in dims)
    if sorted(axes) != list(range(nd)):
        raise ValueError(f"permute: dims {dims} are not a permutation of the {nd} axes")
    return apply(_PERMUTE, x, axes=axes)


def transpose(x: Any, dim0: int = 0, dim1: int = 1) -> Tensor:
    """Swap two axes (PyTorch's signature)."""
    nd = np.ndim(x._data if isinstance(x, Tensor) else x)
    if nd < 2:
        return x if isinstance(x, Tensor) else Tensor(x)
    axes = list(range(nd))
    axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    return apply(_PERMUTE, x, axes=tuple(axes))


def swapaxes(a: Any, axis1: int, axis2: int) -> Tensor:
    """NumPy's name for :func:`transpose`."""
    return transpose(a, axis1, axis2)


def T(x: Any) -> Tensor:
    """All axes reversed (NumPy's ``.T``)."""
    nd = np.ndim(x._data if isinstance(x, Tensor) else x)
    return apply(_PERMUTE, x, axes=tuple(reversed(range(nd))))


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]``: basic, sliced, integer-array and boolean-mask indexing.

    Repeated integer indices accumulate their gradients.
    """
    index = to_index(index)
    if isinstance(index, np.ndarray) and index.dtype == bool:
        index = np.nonzero(index) if index.ndim > 1 else (np.nonzero(index)[0],)
    elif isinstance(index, tuple) and any(isinstance(i, np.ndarray) and i.dtype == bool
                                          for i in index):
        index = _expand_bool(index)
    return apply(_GETITEM, x, index=index)


def _expand_bool(index: tuple) -> tuple:
    out: list = []
    for i in index:
        if isinstance(i, np.ndarray) and i.dtype == bool:
            out.extend(np.nonzero(i))
        else:
            out.append(i)
    return tuple(out)


def index_add(g: Any, index: Any, shape: tuple) -> Tensor:
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeats accumulate)."""
    return apply(_INDEX_ADD, g, index=index, shape=tuple(shape))


def setitem(x: Any, index: Any, value: Any) -> Tensor:
    """Out of place: a copy of ``x`` with ``value`` written at ``index``."""
    return apply(_SETITEM, x, value, index=to_index(index))

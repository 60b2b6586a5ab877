"""Shape ops and indexing: reshape, transpose/permute, broadcasting, casts, getitem, setitem.

These are linear, so their forward rules are the op itself (``LINEAR``) and
their reverse rules are the inverse reshaping; none reads saved values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _fastnp as fast
from ..registry import LINEAR, Domain, Hints, Op, apply, register_op
from ..tensor import Tensor, _wrap, check_dtype, ndim_of, shape_of
from . import _sympy_terms as terms
from . import batching
from ._define import is_complex, to_index


def _linear(name: str, forward: Callable[..., Any], vjp: Callable[..., Any],
            sympy: Callable[..., Any] | None = None, shapes: Sequence[tuple] = (),
            node_name: str = "", batch_jvp: Any = None, sympy_terms: Any = terms.one) -> Op:
    """A one-input op linear in its input: ``vjp`` is its transpose; it reads no saved value."""
    return register_op(Op(name=name, forward=forward, vjp=(vjp,), jvp=(LINEAR,),
                          sympy=sympy or forward,
                          domain=Domain(ranges=(((-3.0, 3.0),),), shapes=list(shapes)),
                          node_name=node_name, sympy_terms=sympy_terms,
                          hints=Hints(saves=(), batch_jvp=batch_jvp and (batch_jvp,))))


def _sum_to_forward(x: np.ndarray, shape: tuple) -> np.ndarray:
    x = np.asarray(x)
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and x.shape[i + lead] != 1)
    return fast.sum(x, axes, True).reshape(shape) if axes else x.reshape(shape)


def _readonly(a: np.ndarray, x: Any) -> np.ndarray:
    """Views of ``x`` are handed out read-only: writing into one would bypass autograd. A copy
    (reshaping a transposed array, integer-array indexing) may still have a ``.base`` (NumPy's
    own buffer) and stays writable."""
    if isinstance(a, np.ndarray) and a.base is not None and a.dtype != object \
            and np.may_share_memory(a, x):
        a = a.view()
        a.flags.writeable = False
    return a


_SUM_TO = _linear("sum_to", _sum_to_forward,
                  lambda g, out, x, shape: broadcast_to(g, shape_of(x)),
                  shapes=[(((3, 4),), {"shape": (1, 4)}), (((2, 3),), {"shape": (3,)})],
                  batch_jvp=batching.sum_to, sympy_terms=terms.reduced)
_BROADCAST_TO = _linear("broadcast_to", fast.broadcast_to,
                        lambda g, out, x, shape: sum_to(g, shape_of(x)),
                        shapes=[(((4,),), {"shape": (3, 4)}), (((3, 1),), {"shape": (3, 5)})],
                        node_name="ExpandBackward0", batch_jvp=batching.broadcast_to)
def _astype_forward(x: Any, dtype: Any) -> np.ndarray:
    """``x.astype(dtype)``; complex into real keeps the real part (without NumPy's warning):
    a real input's share of a complex cotangent is its real part (PyTorch)."""
    x = np.asarray(x)
    if x.dtype.kind == "c" and np.dtype(dtype).kind != "c":
        x = x.real
    return x.astype(dtype)


_ASTYPE: Op = _linear("astype", _astype_forward,
                  # a real input's share of a complex cotangent is its real part: no warning
                  lambda g, out, x, dtype: apply(_ASTYPE, g, dtype=x.dtype),
                  sympy=lambda x, dtype: x,  # a cast is the identity on real expressions
                  shapes=[(((3,),), {"dtype": np.float64})], node_name="ToCopyBackward0",
                  batch_jvp=batching.same("astype"))
_CLONE = _linear("clone", lambda x: np.array(x, copy=True), lambda g, out, x: g,
                 shapes=[(((3,),), {})], batch_jvp=batching.same("clone"))
_RESHAPE = _linear("reshape", lambda x, shape: _readonly(fast.reshape(x, shape), x),
                   lambda g, out, x, shape: reshape(g, shape_of(x)),
                   sympy=lambda x, shape: np.reshape(x, shape),
                   shapes=[(((2, 6),), {"shape": (3, 4)}), (((6,),), {"shape": (2, -1)})],
                   node_name="ViewBackward0", batch_jvp=batching.relabel)
_PERMUTE = _linear("permute", lambda x, axes: _readonly(fast.transpose(x, axes), x),
                   lambda g, out, x, axes: permute(g, tuple(np.argsort(axes))),
                   sympy=lambda x, axes: np.transpose(x, axes),
                   shapes=[(((2, 3, 4),), {"axes": (2, 0, 1)}), (((3, 4),), {"axes": (1, 0)})],
                   batch_jvp=batching.permute)


def _getitem_forward(x: np.ndarray, index: Any) -> np.ndarray:
    x = np.asarray(x)
    out = x[index]
    if not isinstance(out, np.ndarray):  # a NumPy scalar: take the 0-d view (as PyTorch)
        out = x[(index if isinstance(index, tuple) else (index,)) + (Ellipsis,)]
    return _readonly(out, x)


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
                   lambda g, out, x, index: index_add(g, index, shape_of(x)),
                   sympy=lambda x, index: np.asarray(x)[index],
                   shapes=[(((5,),), {"index": slice(1, 4)}),
                           (((4, 3),), {"index": (np.array([0, 2, 0]), slice(None))}),
                           (((6,),), {"index": slice(None, None, 2)})],
                   node_name="IndexBackward0", batch_jvp=batching.getitem)
_INDEX_ADD = _linear("index_add", _index_add_forward,
                     lambda g, out, gi, index, shape: getitem(g, index),
                     sympy=None,
                     shapes=[(((3,),), {"index": np.array([0, 0, 2]), "shape": (4,)})],
                     batch_jvp=batching.index_add, sympy_terms=terms.reduced)


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


def _kept(shape: tuple, index: Any) -> np.ndarray | None:
    """Which elements of ``v`` (broadcast to ``x[index]``) ``x[index] = v`` keeps: where an
    integer index repeats a position, NumPy keeps the last one written. None: all of them."""
    if _is_basic(index):
        return None
    slots = np.full(shape, -1, dtype=np.intp)
    sub = slots[index].shape
    ids = np.arange(int(np.prod(sub)), dtype=np.intp).reshape(sub)
    slots[index] = ids
    kept = slots[index] == ids
    return None if kept.all() else kept


def _setitem_value_vjp(g: Tensor, out: Any, x: Any, v: Any, index: Any) -> Tensor:
    gv = getitem(g, index)
    kept = _kept(g.shape, index)
    return gv if kept is None else gv * kept.astype(gv.dtype)


def _setitem_value_jvp(t: Tensor, out: Any, x: Any, v: Any, index: Any) -> Tensor:
    kept = _kept(out.shape, index)
    if kept is not None:
        t = broadcast_to(t, kept.shape) * kept.astype(t.dtype)
    return index_add(t, index, out.shape)


_SETITEM = register_op(Op(
    name="setitem", forward=_setitem_forward,
    vjp=(lambda g, out, x, v, index: _mask_out(g, index), _setitem_value_vjp),
    jvp=(lambda t, out, x, v, index: _mask_out(t, index), _setitem_value_jvp),
    sympy=_setitem_forward,
    domain=Domain(ranges=(((-3.0, 3.0),), ((-3.0, 3.0),)),
                  shapes=[(((5,), (2,)), {"index": slice(1, 3)}),
                          (((3, 4), (4,)), {"index": 1})]),
    hints=Hints(saves=()), node_name="CopySlices", sympy_terms=terms.one))


def sum_to(x: Any, shape: tuple) -> Tensor:
    """Sum ``x`` over the axes that broadcasting added, down to ``shape``."""
    return apply(_SUM_TO, x, shape=tuple(shape))


def broadcast_to(x: Any, shape: Any) -> Tensor:
    """Broadcast ``x`` to ``shape`` (NumPy's rules)."""
    return apply(_BROADCAST_TO, x, shape=tuple(shape) if not isinstance(shape, int) else (shape,))


def astype(x: Any, dtype: Any) -> Tensor:
    """Cast to ``dtype``; the gradient is cast back."""
    dtype = np.dtype(dtype)
    check_dtype(dtype)
    if dtype.kind != "c" and is_complex(x):
        import warnings  # (as NumPy and PyTorch: the cast keeps the real part, and says so)

        warnings.warn("Casting complex values to real discards the imaginary part; use "
                      "da.real(z) to say so", np.exceptions.ComplexWarning, stacklevel=2)
    return apply(_ASTYPE, x, dtype=dtype)


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
    nd = ndim_of(x)
    axes = tuple(int(d) % nd if nd else 0 for d in dims)
    if sorted(axes) != list(range(nd)):
        raise ValueError(f"permute: dims {dims} are not a permutation of the {nd} axes")
    return apply(_PERMUTE, x, axes=axes)


def transpose(x: Any, dim0: int = 0, dim1: int = 1) -> Tensor:
    """Swap two axes (PyTorch's signature)."""
    nd = ndim_of(x)
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
    nd = ndim_of(x)
    return apply(_PERMUTE, x, axes=tuple(reversed(range(nd))))


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]``: basic, sliced, integer-array and boolean-mask indexing.

    Repeated integer indices accumulate their gradients.
    """
    index = to_index(index)
    if _is_mask(index):
        _check_masks((index,), shape_of(x))
        index = np.nonzero(index) if index.ndim > 1 else (np.nonzero(index)[0],)
    elif isinstance(index, tuple) and any(_is_mask(i) for i in index):
        _check_masks(index, shape_of(x))
        index = _expand_bool(index)
    return apply(_GETITEM, x, index=index)


def _is_mask(i: Any) -> bool:
    return isinstance(i, np.ndarray) and i.dtype == bool


def _check_masks(index: tuple, shape: tuple) -> None:
    """Refuse a boolean mask whose shape is not that of the dimensions it indexes.

    (NumPy and PyTorch raise; turned into integer indices, a short mask would
    silently select from the first elements.)
    """

    def width(i: Any) -> int:
        if i is None or i is Ellipsis or isinstance(i, (bool, np.bool_)):
            return 0
        return i.ndim if _is_mask(i) else 1

    dim = 0
    for i in index:
        if i is Ellipsis:
            dim += len(shape) - sum(width(j) for j in index)
        elif _is_mask(i):
            covered = shape[dim:dim + i.ndim]
            if i.shape != covered:
                raise IndexError(f"boolean mask of shape {i.shape} does not match the shape "
                                 f"{covered} of the dimensions it indexes (from dimension "
                                 f"{dim} of a tensor of shape {shape}); a mask needs exactly "
                                 "the shape of the dimensions it selects from")
        dim += width(i)


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
    """Out of place: a copy of ``x`` with ``value`` written at ``index``. A (nested) list
    or tuple holding Tensors is stacked first (``out[:] = [a, b]``), so gradients flow."""
    if isinstance(value, (list, tuple)) and holds_tensor(value):
        value = stack_nested(value, "setitem")
    return apply(_SETITEM, x, value, index=to_index(index))


def holds_tensor(obj: Any) -> bool:
    """True if ``obj`` is a Tensor or a (nested) list or tuple holding one."""
    if isinstance(obj, Tensor):
        return True
    return isinstance(obj, (list, tuple)) and any(holds_tensor(o) for o in obj)


def stack_nested(obj: Any, name: str) -> Tensor:
    """A Tensor from a Tensor, a (nested) list or tuple holding Tensors (stacked, so their
    gradients and tangents flow) or plain data (a constant); ``name`` is the caller, for
    errors.

    >>> import dualad as da
    >>> x = da.tensor(2.0, requires_grad=True)
    >>> stack_nested([[x, 1.0], (0.0, x * x)], "example")
    tensor([[2., 1.],
            [0., 4.]], grad_fn=<CatBackward0>)
    """
    if isinstance(obj, Tensor):
        return obj
    if isinstance(obj, (list, tuple)) and holds_tensor(obj):
        parts = [stack_nested(o, name) for o in obj]
        shapes = {shape_of(p) for p in parts}
        if len(shapes) > 1:
            raise ValueError(f"{name}: the elements have different shapes {sorted(shapes)}, "
                             "so they do not make an array (NumPy: 'inhomogeneous shape')")
        return stack(parts, 0)
    if isinstance(obj, np.ndarray) and obj.dtype == object:
        return stack_nested(obj.tolist(), name)
    return _wrap(np.array(obj))


# ------------------------------------------------- squeeze, unsqueeze, flatten
def _reshaping(name: str, forward: Callable[..., Any], shapes: Sequence[tuple],
               node_name: str = "") -> Op:
    """A linear op that only reshapes: its reverse rule reshapes the gradient back."""
    return _linear(name, lambda x, **p: _readonly(forward(np.asarray(x), **p), x),
                   lambda g, out, x, **p: reshape(g, shape_of(x)),
                   sympy=lambda x, **p: forward(np.asarray(x, dtype=object), **p),
                   shapes=shapes, node_name=node_name, batch_jvp=batching.relabel)


_SQUEEZE = _reshaping("squeeze", lambda x, axis: np.squeeze(x, axis),
                      [(((3, 1, 4),), {"axis": (1,)}), (((1, 3, 1),), {"axis": (0, 2)})])
_UNSQUEEZE = _reshaping("unsqueeze", lambda x, axis: np.expand_dims(x, axis),
                        [(((3, 4),), {"axis": 1}), (((3,),), {"axis": -1})])
_FLATTEN = _reshaping("flatten", lambda x, shape: np.reshape(x, shape),
                      [(((2, 3, 4),), {"shape": (24,)}), (((2, 3, 4),), {"shape": (2, 12)})],
                      node_name="ViewBackward0")


def squeeze(x: Any, dim: Any = None, *, axis: Any = None) -> Tensor:
    """Drop axes of size 1: all of them, or those in ``dim`` (others stay, as in PyTorch)."""
    dims = dim if dim is not None else axis
    shape = shape_of(x)
    if dims is None:
        chosen = tuple(i for i, s in enumerate(shape) if s == 1)
    else:
        items = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
        nd = len(shape)
        for d in items:
            if not -max(nd, 1) <= d < max(nd, 1):
                raise IndexError(f"squeeze: dim {d} is out of range for a tensor with {nd} "
                                 "dimensions")
        chosen = tuple(sorted({d % nd for d in items if nd and shape[d % nd] == 1}))
    return apply(_SQUEEZE, x, axis=chosen)


def unsqueeze(x: Any, dim: int) -> Tensor:
    """Insert an axis of size 1 at ``dim`` (negative counts from the end of the result)."""
    nd = ndim_of(x) + 1
    if not -nd <= dim < nd:
        raise IndexError(f"unsqueeze: dim {dim} is out of range [{-nd}, {nd - 1}]")
    return apply(_UNSQUEEZE, x, axis=int(dim) % nd)


def expand_dims(a: Any, axis: int) -> Tensor:
    """NumPy's name for :func:`unsqueeze`."""
    return unsqueeze(a, axis)


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge the axes ``start_dim..end_dim`` into one (all of them by default)."""
    shape = shape_of(x)
    if not shape:
        return apply(_FLATTEN, x, shape=(1,))
    nd = len(shape)
    s, e = start_dim % nd, end_dim % nd
    if s > e:
        raise ValueError("flatten: start_dim must not come after end_dim")
    new = shape[:s] + (int(np.prod(shape[s:e + 1])),) + shape[e + 1:]
    return apply(_FLATTEN, x, shape=new)


def ravel(a: Any) -> Tensor:
    """NumPy's name for :func:`flatten` of all axes."""
    return flatten(a)


def expand(x: Any, *sizes: Any) -> Tensor:
    """PyTorch's ``expand``: broadcast to ``sizes`` (``-1`` keeps a dimension)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    shape = shape_of(x)
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise ValueError(f"expand: the number of sizes ({len(sizes)}) must be at least the "
                         f"number of dimensions ({len(shape)})")
    new = tuple(shape[i - lead] if s == -1 else int(s) for i, s in enumerate(sizes))
    return broadcast_to(x, new)


# --------------------------------------------------- concatenate, stack, split
def _part(g: Tensor, axis: int, start: int, stop: int) -> Tensor:
    return getitem(g, (slice(None),) * axis + (slice(start, stop),))


def _cat_tangent(tx: Any, ty: Any, other: Any, axis: int) -> Tensor:
    """concatenate is jointly linear: one input's tangent is joined with zeros, not the
    other input's value (so ``LINEAR``, which keeps the other input, would be wrong)."""
    zeros = Tensor(np.zeros(shape_of(other)))
    return apply(_CONCATENATE, zeros if tx is None else tx, zeros if ty is None else ty,
                 axis=axis)


_CONCATENATE = register_op(Op(
    name="concatenate", forward=lambda x, y, axis: np.concatenate((x, y), axis=axis),
    vjp=(lambda g, out, x, y, axis: _part(g, axis, 0, shape_of(x)[axis]),
         lambda g, out, x, y, axis: _part(g, axis, shape_of(x)[axis], g.shape[axis])),
    jvp=(lambda t, out, x, y, axis: _cat_tangent(t, None, y, axis),
         lambda t, out, x, y, axis: _cat_tangent(None, t, x, axis)),
    sympy=lambda x, y, axis: np.concatenate((np.asarray(x, dtype=object),
                                             np.asarray(y, dtype=object)), axis=axis),
    domain=Domain(ranges=(((-3.0, 3.0),), ((-3.0, 3.0),)), shapes=[
        (((2, 3), (4, 3)), {"axis": 0}), (((2, 3), (2, 1)), {"axis": 1}), (((3,), (2,)),
                                                                           {"axis": 0})]),
    hints=Hints(saves=(), batch_jvp=(batching.concatenate(True), batching.concatenate(False))),
    node_name="CatBackward0", sympy_terms=terms.one))


def concatenate(tensors: Any, axis: int = 0, dim: Any = None) -> Tensor:
    """Join tensors along an existing axis (``cat`` in PyTorch).

    >>> import dualad as da
    >>> da.cat([da.zeros(2), da.ones(1)]).tolist()
    [0.0, 0.0, 1.0]
    """
    items = list(tensors)
    if not items:
        raise ValueError("concatenate: need at least one tensor to join")
    ax = axis if dim is None else dim
    shapes = [shape_of(t) for t in items]
    nd = len(shapes[0])
    if nd == 0 or any(len(s) != nd for s in shapes):
        raise ValueError(f"concatenate: all tensors need the same number (>= 1) of dimensions; "
                         f"got shapes {shapes}")
    ax = int(ax) % nd
    for s in shapes:
        if s[:ax] + s[ax + 1:] != shapes[0][:ax] + shapes[0][ax + 1:]:
            raise ValueError(f"concatenate: shapes {shapes} differ outside axis {ax}")
    return _join(items, ax)


def _join(items: list, axis: int) -> Tensor:
    """Concatenate pairwise in a balanced tree, so k tensors cost O(n log k) copying."""
    if len(items) == 1:
        return clone(items[0]) if isinstance(items[0], Tensor) else Tensor(items[0])
    mid = len(items) // 2
    left = items[0] if mid == 1 else _join(items[:mid], axis)
    right = items[mid] if len(items) - mid == 1 else _join(items[mid:], axis)
    return apply(_CONCATENATE, left, right, axis=axis)


def cat(tensors: Any, dim: int = 0, *, axis: Any = None) -> Tensor:
    """PyTorch's name for :func:`concatenate`."""
    return concatenate(tensors, dim if axis is None else axis)


def stack(tensors: Any, dim: int = 0, *, axis: Any = None) -> Tensor:
    """Join tensors of equal shape along a new axis ``dim``."""
    items = list(tensors)
    if not items:
        raise ValueError("stack: need at least one tensor")
    shapes = {shape_of(t) for t in items}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    d = dim if axis is None else axis
    return concatenate([unsqueeze(t, d) for t in items], axis=int(d) % (len(shapes.pop()) + 1))


def split(x: Any, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """PyTorch's ``split``: chunks of ``split_size`` (the last may be smaller), or given sizes.

    >>> import dualad as da
    >>> [t.tolist() for t in da.split(da.arange(5.0), 2)]
    [[0.0, 1.0], [2.0, 3.0], [4.0]]
    """
    n = shape_of(x)[dim]
    axis = dim % len(shape_of(x))
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0:
            raise ValueError("split: split_size must be positive")
        bounds = list(range(0, n, size)) + [n]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise ValueError(f"split: sizes {sizes} must add up to the dimension's size {n}")
        bounds = list(np.cumsum([0] + sizes))
    return tuple(_part(x, axis, int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]))


# ------------------------------------------------------------------------ flip
_FLIP: Op = _linear("flip", lambda x, axis: _readonly(np.flip(x, axis), x),
                lambda g, out, x, axis: apply(_FLIP, g, axis=axis),
                sympy=lambda x, axis: np.flip(np.asarray(x, dtype=object), axis),
                shapes=[(((3, 4),), {"axis": (1,)}), (((2, 3, 2),), {"axis": (0, 2)})])


def flip(x: Any, dims: Any = None, *, axis: Any = None) -> Tensor:
    """Reverse the order of elements along ``dims`` (all axes if None, as NumPy)."""
    d = dims if dims is not None else axis
    nd = ndim_of(x)
    if d is None:
        axes = tuple(range(nd))
    else:
        items = (d,) if isinstance(d, (int, np.integer)) else tuple(d)
        axes = tuple(sorted(int(a) % max(nd, 1) for a in items))
    return apply(_FLIP, x, axis=axes)

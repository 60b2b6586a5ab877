"""The Tensor: a NumPy array plus the autograd bookkeeping.

A Tensor holds its data (``numpy.ndarray``), whether it requires grad, the
node that created it (``grad_fn``), its accumulated ``grad``, its tangents
(one per active dual level) and a version counter shared with the tensors
that share its storage. Every operator and method forwards to a registered
op; this module holds no derivative knowledge. It sits below the ops and the
engine and imports neither: the operators, in-place ops, ``backward()``, the
NumPy protocols and the conversions to Python numbers are put on the class by
:mod:`dualad._methods` (see
``tests/test_layers.py`` for the layers).

>>> import dualad as da
>>> x = da.tensor([1.0, 2.0], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
tensor([2., 4.])
"""

from __future__ import annotations

import copy
import warnings
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from ._repr import tensor_repr
from ._state import census, census_lock, state


class ConcretizationTypeError(TypeError, RuntimeError):
    """A value being differentiated was turned into a Python number or a NumPy array.

    Raised by ``float()``, ``int()``, ``complex()``, ``.item()``, ``.tolist()``,
    ``.numpy()``, ``numpy.asarray()`` (``__array__``), ``__index__`` and by storing the
    value into a NumPy array, on a Tensor that a ``dualad.func`` transform differentiates
    or that carries a forward-mode tangent: dualad cannot see through a Python number or
    a NumPy array, so the derivative would silently be zero. JAX raises its
    ``ConcretizationTypeError`` in the same places. A ``TypeError`` (the value has the
    wrong type for the conversion, as in JAX) and a ``RuntimeError`` (what converting a
    tensor that requires grad raises in PyTorch).
    """


class _VersionCounter:
    """How many times a tensor's storage was modified in place, shared by every tensor
    that shares the storage (views, ``detach()``, aliases); ``views``: weak references to
    the views of it (see ``registry.note_view``), or None."""

    __slots__ = ("value", "views")
    value: int
    views: list[weakref.ref[Tensor]] | None


def bump_version(t: Tensor) -> _VersionCounter:
    """Record that ``t``'s data was modified in place: its version, then the census count
    (in that order: a node that sees the new count also sees the new version). Returns
    ``t``'s version counter (made by now)."""
    vc = t._version_counter()
    vc.value += 1
    with census_lock:
        census.inplace += 1
        census.changes += 1
    return vc


class TensorMeta:
    """The rare facts about a tensor, one field each; most tensors have none
    (``Tensor._meta`` is None). Read them with :func:`meta_of`, write with :func:`own_meta`.

    ``name``: the user's name (``Tensor.name``); ``inference``: made in inference mode;
    ``retains_grad``: ``retain_grad()`` was called; ``view_of``: for a view, ``(root,
    chain, why)``: the tensor whose storage it views, the view ops that made it from there
    (None: it cannot be made again) and why it is fixed (None, "no_grad" or a custom
    Function's name; see ``registry.note_view``); ``alias_of``: the leaf an alias of a leaf
    stands for (``registry.alias``: they share one AccumulateGrad); ``output_nr``: which
    output of ``grad_fn`` it is (0 but for multi-output nodes); ``accumulator``: a weak
    reference to a leaf's AccumulateGrad; ``hooked_accumulator``: that node, kept alive by
    ``register_hook``; ``result_of``: the non-differentiable op that made it (argmax...),
    for the error of ``backward()``; ``private_done``: an input of a finished ``dualad.func``
    transform (see ``func._graph_facts``).
    """

    __slots__ = ("name", "inference", "retains_grad", "view_of", "alias_of", "output_nr",
                 "accumulator", "hooked_accumulator", "result_of", "private_done")

    # (positional arguments are faster to pass: registry makes one per view and alias)
    def __init__(self, view_of: tuple | None = None, alias_of: Tensor | None = None,
                 inference: bool = False, output_nr: int = 0) -> None:
        self.view_of = view_of
        self.alias_of = alias_of
        self.inference = inference
        self.output_nr = output_nr
        self.name: str | None = None
        self.accumulator: Any = None
        self.hooked_accumulator: Any = None
        self.result_of: str | None = None
        self.retains_grad = self.private_done = False


class _NoMeta(TensorMeta):
    """The facts of a tensor with none (what :func:`meta_of` gives then): read only."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(self, "private_done"):  # (initialized)
            raise AttributeError("write tensor facts through dualad.tensor.own_meta(t)")
        object.__setattr__(self, name, value)


_NO_META = _NoMeta()


def meta_of(t: Tensor) -> TensorMeta:
    """``t``'s rare facts, to read (the defaults when it has none)."""
    return _NO_META if t._meta is None else t._meta


def own_meta(t: Tensor) -> TensorMeta:
    """``t``'s rare facts, to write (made on first use)."""
    if t._meta is None:
        t._meta = TensorMeta()
    return t._meta


def _is_floating(dtype: np.dtype) -> bool:
    return dtype.kind in "fc"


if TYPE_CHECKING:  # the methods dualad._methods installs, seen by type checkers
    from ._methods import TensorMethods
else:
    TensorMethods = object


class Tensor(TensorMethods):
    """An n-dimensional array that records the operations applied to it."""

    __slots__ = ("_data", "requires_grad_flag", "grad_fn", "_grad", "_tangents", "_vc", "_meta",
                 "__weakref__")
    __array_priority__ = 1000
    _data: np.ndarray
    requires_grad_flag: bool
    grad_fn: Any  # the Node that made it (None for a leaf)
    _grad: Tensor | None
    _tangents: dict[int, Tensor] | None  # dual level -> tangent
    _vc: _VersionCounter | None  # shared with views, made on first use
    _meta: TensorMeta | None  # rare facts (None on most tensors)

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False,
                 name: str | None = None) -> None:
        if isinstance(data, Tensor):
            if data.requires_grad_flag or data._tangents:
                data._refuse_if_differentiated("dualad.tensor(t) (a new leaf: a constant copy)")
            data = data._data
        arr = np.array(data, dtype=dtype)  # a floating dtype is kept, float16 too (NumPy's rule)
        if arr.dtype.kind == "O":
            raise TypeError("dualad.tensor: could not convert the data to a numeric array "
                            f"(got an object array from {type(data).__name__})")
        _init(self, arr)
        if name is not None:
            own_meta(self).name = name
        if requires_grad:
            self.requires_grad_(True)

    # ----------------------------------------------------------------- basics
    @property
    def data(self) -> Tensor:
        """A tensor sharing storage with this one, outside autograd (edits are not tracked)."""
        return _wrap(self._data)

    @data.setter
    def data(self, value: Any) -> None:
        arr = value._data if isinstance(value, Tensor) else np.asarray(value)
        self._data = arr

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @overload
    def size(self, dim: None = None) -> tuple[int, ...]: ...

    @overload
    def size(self, dim: int) -> int: ...

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        """PyTorch's ``size()``: the shape, or one dimension of it."""
        return self._data.shape if dim is None else self._data.shape[dim]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    def numel(self) -> int:
        return self._data.size

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    @property
    def requires_grad(self) -> bool:
        return self.requires_grad_flag

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set whether autograd records operations on this leaf (in place); returns self."""
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if requires_grad and not _is_floating(self._data.dtype):
            raise RuntimeError(
                "only Tensors of floating point dtype can require gradients "
                f"(this tensor has dtype {self._data.dtype}); convert it first, e.g. "
                "t.double() or dualad.tensor(data, dtype='float64')")
        self.requires_grad_flag = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        if self.grad_fn is not None and self._grad is None and not meta_of(self).retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed "
                "want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() "
                "on the non-leaf Tensor.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            value = value if isinstance(value, Tensor) else Tensor(value)
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has shape {value.shape}, but the tensor has "
                                   f"shape {self.shape}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"assigned grad has dtype {value._data.dtype}, but the tensor "
                                   f"has dtype {self._data.dtype}; convert it first, e.g. "
                                   f"g.astype({str(self._data.dtype)!r})")
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return meta_of(self).retains_grad

    @property
    def name(self) -> str | None:
        return meta_of(self).name

    @name.setter
    def name(self, value: str | None) -> None:
        own_meta(self).name = value

    @property
    def _version(self) -> int:
        return self._vc.value if self._vc is not None else 0

    def _version_counter(self) -> _VersionCounter:
        if self._vc is None:
            vc = self._vc = _new(_VersionCounter)  # no __init__ frame: hot
            vc.value = 0
            vc.views = None
        return self._vc

    def _is_view(self) -> bool:
        """Whether this tensor is a view of another one's storage (made by a view op)."""
        return self._meta is not None and self._meta.view_of is not None

    @property
    def _base(self) -> Tensor | None:
        """The tensor this view was taken of (its root, as in PyTorch), or None."""
        view = meta_of(self).view_of
        return None if view is None else view[0]

    def is_inference(self) -> bool:
        return meta_of(self).inference

    # ------------------------------------------------------- copy and pickle
    def __reduce_ex__(self, protocol: Any) -> Any:
        """Pickle the data, ``requires_grad`` and name, as a leaf (PyTorch does the same; the
        graph, ``.grad`` and tangents are not pickled; refused while the value is being
        differentiated, as that would drop its derivative)."""
        if self.requires_grad_flag or self._tangents:
            self._refuse_if_differentiated("pickling or copy.deepcopy() (a new leaf)")
        return (_rebuild, (np.array(self._data), self.requires_grad_flag, self.name))

    def __deepcopy__(self, memo: dict) -> Tensor:
        """A new leaf with a copy of the data, ``requires_grad``, name and ``.grad``, and its
        own gradient (it shares nothing with this tensor)."""
        if self.grad_fn is not None:
            raise RuntimeError("Only tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol: this tensor has a grad_fn. Deep "
                               "copy t.detach() (or t.detach().requires_grad_()) instead.")
        rebuild, args = self.__reduce_ex__(4)
        new = rebuild(*args)
        memo[id(self)] = new
        if self._grad is not None:
            new._grad = copy.deepcopy(self._grad, memo)
        return new

    # ------------------------------------------------------------- conversion
    # float(), int(), complex(), item(), tolist(), numpy(), __array__ and __index__ check that
    # the value is not being differentiated (a transform's graph, a dual level): higher layers,
    # so dualad._methods installs them. bool() is allowed (control flow; see there).
    def __bool__(self) -> bool:
        """The truth of a one-element tensor, allowed even while it is differentiated: a
        branch (``if x > 0:``) on the value is control flow, which carries no derivative in
        any AD system (the derivative is that of the branch taken), not a lost one. JAX
        allows it too outside ``jit``; ``float()`` and the other conversions raise."""
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} values is "
                               "ambiguous")
        return bool(self._data.item())

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return tensor_repr(self)

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    # -------------------------------------------------------- graph handling
    def detach(self) -> Tensor:
        """A new tensor sharing storage and version counter, with no history."""
        out = _wrap(self._data)
        out._vc = self._version_counter()
        return out

    def detach_(self) -> Tensor:
        """Detach this tensor from the graph that created it, in place (it becomes a leaf)."""
        if self._is_view():
            raise RuntimeError("Can't detach views in-place (the view would take its base's "
                               "history again after an in-place op on the base). Use "
                               "detach() instead.")
        self.grad_fn = None
        self.requires_grad_flag = False
        return self

    def retain_grad(self) -> None:
        """Populate ``.grad`` of this non-leaf tensor during backward."""
        if not self.requires_grad_flag:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or meta_of(self).retains_grad:
            return
        own_meta(self).retains_grad = True
        self.grad_fn._retain(self)

    # ------------------------------------------------------------- operators
    # Arithmetic, indexing, in-place ops, backward() and the NumPy protocols call the ops
    # and the engine, higher layers: dualad._methods installs them on this class.
    def __pos__(self) -> Tensor:
        return self

    # comparisons give boolean tensors with no gradient
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]  # (elementwise, as NumPy)
        return _wrap(self._data == _raw(other))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]  # (elementwise, as NumPy)
        return _wrap(self._data != _raw(other))

    def __lt__(self, other: Any) -> Tensor:
        return _wrap(self._data < _raw(other))

    def __le__(self, other: Any) -> Tensor:
        return _wrap(self._data <= _raw(other))

    def __gt__(self, other: Any) -> Tensor:
        return _wrap(self._data > _raw(other))

    def __ge__(self, other: Any) -> Tensor:
        return _wrap(self._data >= _raw(other))

    def __invert__(self) -> Tensor:
        return _wrap(~self._data)

    def __and__(self, other: Any) -> Tensor:
        return _wrap(self._data & _raw(other))

    def __or__(self, other: Any) -> Tensor:
        return _wrap(self._data | _raw(other))

    def equal(self, other: Tensor) -> bool:
        """True if both tensors have the same shape and elements."""
        return self.shape == other.shape and bool(np.array_equal(self._data, _raw(other)))


def _rebuild(data: np.ndarray, requires_grad: bool, name: str | None) -> Tensor:
    """A leaf from pickled state (see ``Tensor.__reduce_ex__``)."""
    t = _wrap(data)
    t.requires_grad_flag = bool(requires_grad)
    if name is not None:
        own_meta(t).name = name
    return t


def _raw(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def check_dtype(dtype: np.dtype) -> None:
    """Refuse extended precision (long double): NumPy's linear algebra and dualad's rules
    have none, so it would be lost silently. float16 to float64 and complex are kept."""
    if dtype.kind in "fc" and dtype.itemsize > (8 if dtype.kind == "f" else 16):
        raise TypeError(f"dtype {dtype} (extended precision) is not supported: dualad computes "
                        "in float16, float32, float64, complex64 and complex128, as PyTorch "
                        "does; convert first, e.g. array.astype(numpy.float64)")


def _init(t: Tensor, arr: np.ndarray) -> None:
    check_dtype(arr.dtype)
    t._data = arr
    t.requires_grad_flag = False
    t.grad_fn = None
    t._grad = None
    t._tangents = None
    t._vc = None
    t._meta = TensorMeta(inference=True) if census.inference and state.inference else None


_new = object.__new__
_ndarray, _generic = np.ndarray, np.generic  # module globals: no numpy getattr per call


def shape_of(x: Any) -> tuple:
    """The shape of a Tensor, array, number or nested list (``np.shape`` of its data,
    without NumPy's Python wrapper for a Tensor or an array)."""
    if type(x) is Tensor:
        return x._data.shape
    if type(x) is _ndarray:
        return x.shape
    return x.shape if isinstance(x, Tensor) else np.shape(x)


def ndim_of(x: Any) -> int:
    """The number of dimensions of a Tensor, array, number or nested list."""
    return len(shape_of(x))


def _wrap(data: Any) -> Tensor:
    """Wrap a raw array (or NumPy scalar) as a Tensor with no history; the hot path."""
    t = _new(Tensor)
    # ufuncs return NumPy scalars for 0-d inputs; __array__ turns one into an array fastest
    t._data = data if type(data) is _ndarray else data.__array__() \
        if isinstance(data, _generic) else np.asarray(data)
    t.requires_grad_flag = False
    t.grad_fn = t._grad = t._tangents = t._vc = None
    t._meta = TensorMeta(inference=True) if census.inference and state.inference else None
    return t



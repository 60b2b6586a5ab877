"""Functional transforms: grad, value_and_grad, vjp, jvp, jacfwd, jacrev, hessian, hvp,
linearize; functional_call for modules; custom_jvp / custom_vjp; checkpoint and remat.

Each transform takes a function of Tensors and returns a function (or
values), JAX / ``torch.func`` style. They nest in any order and mix modes:
reverse transforms run the function on private inputs and differentiate with
the engine; forward transforms open a dual level. Arguments, outputs,
tangents, cotangents and aux values may be pytrees (nested tuples, lists,
dicts, namedtuples and registered classes, see :mod:`dualad.tree`) whose
leaves are Tensors, NumPy arrays or Python floats; results come back in the
same structure and as the same kind (NumPy in, NumPy out), except that a
result which still depends on a Tensor being differentiated outside stays a
Tensor, so enclosing transforms see it. Jacobians nest as in JAX: the
output's structure outside, the arguments' inside.

Never a silent zero: while a transform runs, turning a value it differentiates
into a Python number or a NumPy array (``float(x)``, ``math.sqrt(x)``,
``np.array([x, y])``, ``out[i] = x`` into a NumPy ``out``) raises
:class:`~dualad.tensor.ConcretizationTypeError` (see ``dualad._methods``), and
the function runs on copies of the differentiated arguments, so it never
writes into the caller's arrays. ``bool()`` stays allowed (``if x > 0:``).

``jacfwd`` pushes all basis tangents in one pass (a batched dual level);
``jacrev`` pulls all basis cotangents back in one backward pass (the
backward pass is itself pushed forward at a batched level, since it is
linear in the cotangent).

>>> import numpy as np
>>> from dualad import func
>>> f = lambda x: (x ** 3).sum()
>>> func.grad(f)(np.array([1.0, 2.0]))
array([ 3., 12.])
>>> func.hessian(f)(np.array([1.0, 2.0]))
array([[ 6.,  0.],
       [ 0., 12.]])
>>> func.grad(lambda p: (p["w"] * p["b"]).sum())({"w": np.array([1.0, 2.0]), "b": 3.0})
{'b': 3.0, 'w': array([3., 3.])}
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import forward_ad as fwd
from . import tree as _tree
from ._state import Differentiating, state
from .autograd import graph
from .autograd.batched import pull_back_batched
from .autograd.engine import as_gradient
from .autograd.engine import grad as _engine_grad
from .autograd.grad_mode import enable_grad
from .autograd.node import AccumulateGrad, Node, OpNode
from .checkpointing import checkpoint
from .custom_rules import custom_jvp, custom_vjp
from .nn.stateless import functional_call, params_dict
from .registry import call, stack_batch
from .tensor import ConcretizationTypeError, Tensor, _wrap, meta_of, own_meta
from .vmapping import vmap

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev", "hessian", "hvp",
           "functional_call", "params_dict", "custom_jvp", "custom_vjp",
           "checkpoint", "remat", "linearize", "vmap"]

Argnums = int | Sequence[int]


# ------------------------------------------------------------------ arguments

def _argnums(argnums: Argnums, nargs: int, name: str) -> tuple[tuple[int, ...], bool]:
    """Normalized ``argnums`` and whether a single index (not a tuple) was given."""
    single = isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool)
    if single:
        nums: tuple[object, ...] = (argnums,)
    elif isinstance(argnums, (tuple, list)):
        nums = tuple(argnums)
    else:
        raise TypeError(f"{name}: argnums must be an int or a tuple of ints, got {argnums!r}")
    if not nums:
        raise ValueError(f"{name}: argnums is empty; give at least one argument index")
    out = []
    for n in nums:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"{name}: argnums must be an int or a tuple of ints, got "
                            f"{argnums!r}")
        if not -nargs <= n < nargs:
            raise ValueError(f"{name}: argnums={argnums!r} but the function was called with "
                             f"{nargs} positional argument(s); give indices in "
                             f"range({nargs})")
        out.append(int(n) % nargs)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: argnums={argnums!r} repeats an index")
    return tuple(out), single


def _as_tensor(x: Any, name: str, where: str = "") -> Tensor:
    """A floating Tensor for a differentiated argument (Python numbers become float64).
    ``where`` names the leaf in errors (`` (argument 0['w'])``)."""
    if isinstance(x, Tensor):
        t = x
    elif isinstance(x, (int, float)) and not isinstance(x, bool):
        t = _wrap(np.asarray(float(x)))
    else:
        t = _wrap(np.asarray(x))
    if t._data.dtype.kind not in "fc":
        raise TypeError(f"{name}: differentiated arguments must be floating point, got dtype "
                        f"{t._data.dtype}{where}; pass floats (e.g. np.asarray(x, dtype=float))")
    return t


_LEAF_TYPES = (Tensor, np.ndarray, np.generic, int, float, complex)

_UNDER_VMAP: dict[str, Callable[..., Any]] = {}
"""The transforms run inside a vmap (filled by ``dualad.vmap_transforms``, by name)."""


def _leaf_error(name: str, what: str, x: Any) -> TypeError:
    return TypeError(
        f"{name}: {what} is a {type(x).__name__}, which is neither a container this transform "
        "walks into nor an array; the leaves of differentiated values must be Tensors, NumPy "
        "arrays or Python numbers (tuples, lists, dicts, namedtuples and None are containers; "
        "make another class one with dualad.tree.register_node or register_dataclass)")


class _Diff:
    """The differentiated arguments of one call (``args[i]`` for ``i`` in ``nums``),
    flattened: their leaves as Tensors and their structure (``args[nums[0]]``'s with a
    single argnum, else the tuple's), so that results can be built in that structure."""

    __slots__ = ("nums", "single", "treedef", "leaves", "any_tensor")

    def __init__(self, args: Sequence[Any], nums: tuple[int, ...], single: bool,
                 name: str, what: str = "argument") -> None:
        self.nums, self.single = nums, single
        sel = args[nums[0]] if single else tuple(args[i] for i in nums)
        raw, self.treedef = _tree.flatten(sel)
        self.any_tensor = False
        self.leaves = []
        for k, x in enumerate(raw):
            if isinstance(x, Tensor):
                self.any_tensor = True
            elif not isinstance(x, _LEAF_TYPES):
                raise _leaf_error(name, self.where(sel, k, what), x)
            try:
                self.leaves.append(_as_tensor(x, name))
            except TypeError:
                if self.treedef.kind is None:
                    raise
                _as_tensor(x, name, f" ({self.where(sel, k, what)})")  # raises, with the path
                raise

    def where(self, sel: Any, k: int, what: str) -> str:
        """Leaf ``k`` in words: ``argument 1['w'][0]`` (computed for errors only)."""
        path = _tree.flatten_with_path(sel)[0][k][0]
        if self.single:
            return f"{what} {self.nums[0]}" + (_tree.keystr(path) if path else "")
        head = path[0]
        assert isinstance(head, _tree.SequenceKey)
        return f"{what} {self.nums[head.idx]}" + (_tree.keystr(path[1:]) if path[1:] else "")

    def rebuild(self, leaves: Sequence[Any]) -> Any:
        """``leaves`` (one per differentiated leaf) in the arguments' structure."""
        return _tree.unflatten(self.treedef, leaves)

    def call_args(self, args: Sequence[Any], leaves: Sequence[Any]) -> list:
        """``args`` with the differentiated leaves replaced by ``leaves``."""
        out = list(args)
        sel = self.rebuild(leaves)
        if self.single:
            out[self.nums[0]] = sel
        else:
            for i, v in zip(self.nums, sel):
                out[i] = v
        return out

    def match(self, other: Any, name: str, what: str) -> list[Tensor]:
        """The leaves of ``other`` (tangents, given like the arguments) as Tensors, checked
        to have the arguments' structure (an error names the first path that differs)."""
        sel = other[self.nums[0]] if self.single else tuple(other[i] for i in self.nums)
        pieces = _tree.flatten_up_to_with_path(self.treedef, sel, f"{name}: the {what}s and "
                                               "the primals")
        out = []
        for path, x in pieces:
            where = (f"{what} {self.nums[0]}" if self.single else
                     f"{what} {self.nums[path[0].idx]}")  # type: ignore[union-attr]
            rest = path if self.single else path[1:]
            where += _tree.keystr(rest) if rest else ""
            if not isinstance(x, _LEAF_TYPES):
                raise _leaf_error(name, where, x)
            out.append(_as_tensor(x, name, f" ({where})"))
        return out


def _fresh(x: Tensor) -> Tensor:
    """A copy of a differentiated argument for ``f`` to run on: ``f`` may write into it
    without changing the caller's array. Recorded (a clone) when ``x`` itself is being
    differentiated, so the derivative still flows to it."""
    if x.requires_grad_flag or _active_tangents(x):
        return call("clone", x)
    return _wrap(x._data.copy())


def _run(entry: Differentiating, f: Callable, args: Sequence[Any], kwargs: dict) -> Any:
    """``f(*args, **kwargs)`` with ``entry`` in ``state.transforms`` meanwhile, so that
    converting a value this transform differentiates raises (see ``dualad._methods``)."""
    running = state.transforms
    running.append(entry)
    try:
        return f(*args, **kwargs)
    finally:
        running.pop()


def _numpy_mode(values: Sequence[Any], *diffs: _Diff) -> bool:
    """Results are returned as NumPy when no argument (and no differentiated leaf) was a
    Tensor."""
    return not any(isinstance(v, Tensor) for v in values) and not any(
        d.any_tensor for d in diffs)


def _active_tangents(t: Tensor) -> bool:
    return t._tangents is not None and any(lv in state.levels for lv in t._tangents)


def _convert_leaf(x: Any) -> Any:
    if isinstance(x, Tensor) and not (x.requires_grad_flag or _active_tangents(x)):
        arr = np.array(x._data, copy=True)
        return arr.item() if arr.ndim == 0 else arr
    return x


def _convert(x: Any, numpy_mode: bool) -> Any:
    """Tensors to NumPy in NumPy mode, unless they still carry derivative information
    (every leaf of a pytree; see :mod:`dualad.tree`)."""
    if not numpy_mode:
        return x
    return _convert_any(x)


def _convert_any(x: Any) -> Any:
    typ = type(x)
    if typ is tuple:  # the common containers without a tree walk (hot: every call)
        return tuple([_convert_any(v) for v in x])
    if typ is list:
        return [_convert_any(v) for v in x]
    if isinstance(x, Tensor):
        return _convert_leaf(x)
    if typ in (float, int, np.ndarray) or x is None:
        return x
    return _tree.map(_convert_leaf, x) if _safe_tree(x) else x


def _safe_tree(x: Any) -> bool:
    """Whether ``x`` can be walked as a pytree (aux data may hold dicts whose keys do not
    sort; those are returned as they are)."""
    try:
        _tree.structure(x)
    except TypeError:
        return False
    return True


def _flatten(out: Any, name: str) -> tuple[list[Tensor], _tree.TreeDef]:
    """The output leaves of ``f`` as Tensors and the output's structure (a pytree)."""
    items, treedef = _tree.flatten(out)
    tensors = []
    for k, o in enumerate(items):
        if not isinstance(o, _LEAF_TYPES) or isinstance(o, bool):
            path = _tree.flatten_with_path(out)[0][k][0]
            where = "" if not path else f" (at output{_tree.keystr(path)})"
            raise TypeError(f"{name}: the function must return a Tensor (or a pytree of "
                            f"Tensors: tuples, lists, dicts...), got {type(o).__name__}"
                            f"{where}")
        tensors.append(_as_output(o, name))
    return tensors, treedef


def _as_output(o: Any, name: str) -> Tensor:
    """An output of ``f`` as a Tensor. A Python number or a NumPy array is a constant (its
    derivative is zero, as in JAX): it cannot hold a value being differentiated, since
    turning one into a number or an array raises. An object array (of Tensors) raises."""
    if isinstance(o, Tensor):
        return o
    if isinstance(o, np.ndarray) and o.dtype.kind == "O":
        raise ConcretizationTypeError(
            f"{name}: the function returned a NumPy array of Python objects (Tensors?); "
            "NumPy cannot hold derivatives. Build the array with dualad: da.stack([...]), "
            "or t = da.zeros(n) then t[i] = ...")
    return _wrap(np.asarray(o, dtype=np.result_type(o, np.float64)))


def _split_aux(result: Any, has_aux: bool, name: str) -> tuple[Any, Any]:
    if not has_aux:
        return result, None
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(f"{name}(has_aux=True): the function must return a pair "
                        "(output, aux)")
    return result[0], result[1]


def _zeros(shape: tuple, like: Tensor) -> Tensor:
    return _wrap(np.zeros(shape, dtype=like._data.dtype))


def _reshape(t: Tensor, shape: tuple) -> Tensor:
    return call("reshape", t, shape=tuple(shape))


# ------------------------------------------------------------- reverse mode core

def _private_input(x: Tensor) -> Tensor:
    """The value a reverse transform differentiates with respect to.

    A fresh leaf with a copy of ``x``'s data (``f`` may write into it) and ``x``'s
    tangents; if ``x`` itself requires grad (an enclosing reverse transform), a
    recorded copy of it instead, so the result stays differentiable with respect
    to ``x``.
    """
    if x.requires_grad_flag:
        return call("clone", x)
    data = x._data
    # a read-only broadcast view (how vmap passes an unbatched argument, one copy per
    # example) cannot be written into by f: no copy (a copy costs more than f's products)
    leaf = _wrap(data if not data.flags.writeable and 0 in data.strides else data.copy())
    leaf._tangents = dict(x._tangents) if x._tangents else None
    leaf.requires_grad_flag = True
    return leaf


def _graph_facts(outs: list[Tensor], own: list[Tensor]) -> tuple[bool, bool]:
    """Whether the graph of ``outs`` reaches a leaf other than ``own`` (then the
    derivative must itself be recorded: an enclosing transform or a closure
    needs it), and whether every node is a registered op (no custom Function
    or hook that might not be batch-safe)."""
    own_ids = {id(t) for t in own}
    roots: list[Node] = [o.grad_fn for o in outs if o.grad_fn is not None]
    foreign = any(o.grad_fn is None and o.requires_grad_flag and id(o) not in own_ids
                  and not meta_of(o).private_done for o in outs)
    plain = True
    for node in graph.reachable(roots):
        if isinstance(node, AccumulateGrad):
            v = node.variable
            if id(v) not in own_ids and not meta_of(v).private_done:
                foreign = True  # (a finished transform's input is never differentiated again)
        elif not isinstance(node, OpNode) or node._extras is not None:  # hooks, retain_grad
            plain = False
    return foreign, plain


def _pull_back(outs: list[Tensor], inputs: list[Tensor], cots: list[Tensor | None],
               create_graph: bool) -> list[Tensor]:
    """``sum_k cots[k] . d outs[k] / d inputs`` for each input (zeros where unused)."""
    pairs = [(o, c) for o, c in zip(outs, cots) if o.requires_grad_flag and c is not None]
    if not pairs or not inputs:
        return [_zeros(x._data.shape, x) for x in inputs]
    grads = _engine_grad([o for o, _ in pairs], inputs, [c for _, c in pairs],
                         retain_graph=True, create_graph=create_graph, allow_unused=True)
    return [g if g is not None else _zeros(x._data.shape, x) for g, x in zip(grads, inputs)]


def _plain_output(o: Tensor, nested: bool) -> Tensor:
    """``o`` without its private reverse history (kept when an enclosing transform needs it)."""
    if nested or not o.requires_grad_flag:
        return o
    out = _wrap(o._data)
    out._tangents = o._tangents
    return out


class _Traced:
    """One run of ``f`` on private inputs, ready for reverse-mode pullbacks."""

    def __init__(self, f: Callable, args: tuple, kwargs: dict, argnums: Argnums,
                 has_aux: bool, name: str, scalar: bool = False) -> None:
        nums, single = _argnums(argnums, len(args), name)
        record = state.grad_enabled
        with enable_grad():
            self.diff = _Diff(args, nums, single, name)
            self.numpy_mode = _numpy_mode(args, self.diff)
            self.inputs = [_private_input(x) for x in self.diff.leaves]
            call_args = self.diff.call_args(args, self.inputs)
            result = _run((name, self.inputs, None), f, call_args, kwargs)
        out, self.aux = _split_aux(result, has_aux, name)
        if scalar and isinstance(out, (tuple, list)):
            hint = "" if has_aux or name == "hvp" else (
                " If the other values are auxiliary data (not differentiated), pass "
                "has_aux=True and return (loss, aux).")
            raise ValueError(f"{name}: the function returned a {type(out).__name__} of "
                             f"{len(out)} values, but it must return a single element (shape "
                             f"() or (1,)).{hint}")
        self.outs, self.outdef = _flatten(out, name)
        foreign, self.plain = _graph_facts(self.outs, self.inputs)
        self.nested = record and foreign
        for x in self.inputs:
            if x.grad_fn is None:  # a private leaf: only this transform differentiates it
                own_meta(x).private_done = True
        if has_aux:  # aux values leave without the private history too
            self.aux = _tree.map(
                lambda a: _plain_output(a, self.nested) if isinstance(a, Tensor) else a,
                self.aux) if _safe_tree(self.aux) else self.aux

    def pull_back(self, cots: list) -> list[Tensor]:
        nested = self.nested or (state.grad_enabled and any(
            isinstance(c, Tensor) and c.requires_grad_flag for c in cots))
        return _pull_back(self.outs, self.inputs, cots, nested)

    def value(self) -> Any:
        return _tree.unflatten(self.outdef,
                               [_plain_output(o, self.nested) for o in self.outs])


# ------------------------------------------------------------------ transforms

def value_and_grad(f: Callable, argnums: Argnums = 0, has_aux: bool = False) -> Callable:
    """A function returning ``(f(*args), gradient)`` (``((value, aux), gradient)`` with aux).

    ``f`` must return one element; ``argnums`` picks the differentiated
    arguments (an int gives one gradient, a tuple a tuple of them). Each
    argument may be a pytree (nested tuples, lists, dicts of arrays; see
    :mod:`dualad.tree`): its gradient has the same structure. A function
    returning a tuple such as ``(loss, aux)`` needs ``has_aux=True``.

    >>> from dualad import func
    >>> func.value_and_grad(lambda x, y: x * y, argnums=(0, 1))(2.0, 3.0)
    (6.0, (3.0, 2.0))
    >>> func.value_and_grad(lambda p: p["w"] * p["b"])({"w": 2.0, "b": 3.0})
    (6.0, {'b': 2.0, 'w': 3.0})
    """
    return _value_and_grad(f, argnums, has_aux, "value_and_grad")


def _value_and_grad(f: Callable, argnums: Argnums, has_aux: bool, name: str) -> Callable:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if state.vmap_levels:
            return _UNDER_VMAP["value_and_grad"](f, argnums, has_aux, name, args, kwargs)
        tr = _Traced(f, args, kwargs, argnums, has_aux, name, scalar=True)
        if not tr.outdef.is_leaf() or tr.outs[0]._data.size != 1:
            shapes = [tuple(o.shape) for o in tr.outs]
            raise ValueError(f"{name}: the function must return a single element (shape () "
                             f"or (1,)), got output shape(s) {shapes}; use jacrev or vjp for "
                             "other outputs")
        out = tr.outs[0]
        if out._data.dtype.kind == "c":  # (as backward(): no implicit complex cotangent)
            raise TypeError(f"{name}: the function returned a complex value "
                            f"({out._data.dtype}); a gradient needs a real output: return "
                            "da.abs(z) ** 2 or da.real(z), or use vjp with a cotangent")
        grads = tr.pull_back([_wrap(np.ones_like(out._data))])
        value = tr.value()
        value = (value, tr.aux) if has_aux else value
        return _convert((value, tr.diff.rebuild(grads)), tr.numpy_mode)

    wrapped.__name__ = f"{name}({getattr(f, '__name__', 'f')})"
    return wrapped


def grad(f: Callable, argnums: Argnums = 0, has_aux: bool = False) -> Callable:
    """The gradient of a scalar function (``(gradient, aux)`` with ``has_aux``).

    The gradient has the structure of the differentiated argument(s): a dict
    for a dict of parameters, a tuple for ``argnums=(0, 1)``.

    >>> from dualad import func
    >>> import dualad as da
    >>> d4 = func.grad(func.grad(func.grad(func.grad(da.sin))))
    >>> round(float(d4(0.5)), 6) == round(float(__import__("math").sin(0.5)), 6)
    True
    >>> func.grad(lambda p: (p["w"] ** 2 + p["b"]).sum())({"w": 3.0, "b": 1.0})
    {'b': 1.0, 'w': 6.0}
    """
    vg = _value_and_grad(f, argnums, has_aux, "grad")

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    wrapped.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    return wrapped


def _output_cotangents(tr: _Traced, cotangents: Any) -> list[Tensor]:
    """The cotangents given to a ``vjp_fn``, one per output leaf, checked against the output's
    structure and shapes (an error names the first path that differs)."""
    top = tr.outdef.kind.type if tr.outdef.kind is not None else None
    if top in (tuple, list):
        n = len(tr.outdef.children)
        if not isinstance(cotangents, (tuple, list)) or len(cotangents) != n:
            got = len(cotangents) if isinstance(cotangents, (tuple, list)) else 1
            raise ValueError(f"vjp_fn: got {got} cotangents for {n} outputs; give a "
                             f"{top.__name__} with one cotangent per output")
        cotangents = top(cotangents)  # a tuple for a list output is fine, and the reverse
    pieces = _tree.flatten_up_to_with_path(tr.outdef, cotangents,
                                           "vjp_fn: the cotangents and the output")
    checked = []
    for k, ((path, c), o) in enumerate(zip(pieces, tr.outs)):
        what = f"cotangent {k}" if not path else f"cotangent {_tree.keystr(path)}"
        if not isinstance(c, Tensor):
            if not isinstance(c, _LEAF_TYPES):
                raise _leaf_error("vjp_fn", what, c)
            c = as_gradient(c, o, f"vjp_fn: {what}")
        if c.shape != o.shape:
            raise ValueError(f"vjp_fn: {what} has shape {tuple(c.shape)} but the "
                             f"output has shape {tuple(o.shape)}; they must match")
        checked.append(c)
    return checked


def vjp(f: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """``(f(*primals), vjp_fn)``; ``vjp_fn(cotangent)`` gives one cotangent per primal.

    Primals, the output and the cotangents may be pytrees: ``vjp_fn`` takes a
    cotangent of the output's structure and returns a tuple of cotangents in
    the primals' structures. ``vjp_fn`` may be called many times. With
    ``has_aux`` the result is ``(output, vjp_fn, aux)``.

    >>> import numpy as np
    >>> from dualad import func
    >>> out, vjp_fn = func.vjp(lambda x: x ** 2, np.array([1.0, 3.0]))
    >>> vjp_fn(np.array([1.0, 10.0]))
    (array([ 2., 60.]),)
    """
    if not primals:
        raise TypeError("vjp: give the function's arguments after it: vjp(f, x, ...)")
    if state.vmap_levels:
        return _UNDER_VMAP["vjp"](f, primals, has_aux)
    tr = _Traced(f, primals, {}, tuple(range(len(primals))), has_aux, "vjp")

    def vjp_fn(cotangents: Any) -> tuple:
        checked = _output_cotangents(tr, cotangents)
        numpy_mode = tr.numpy_mode and not any(
            isinstance(c, Tensor) for c in _tree.leaves(cotangents))
        return _convert(tr.diff.rebuild(tr.pull_back(checked)), numpy_mode)

    value = _convert(tr.value(), tr.numpy_mode)
    return (value, vjp_fn, _convert(tr.aux, tr.numpy_mode)) if has_aux else (value, vjp_fn)


def _as_tuple(x: Any) -> tuple[tuple, bool]:
    return (tuple(x), False) if isinstance(x, (tuple, list)) else ((x,), True)


def _pair_up(primals: Any, tangents: Any, name: str) -> tuple[tuple, _Diff, list[Tensor],
                                                             bool, bool]:
    """Primals as a tuple of arguments, flattened (a :class:`_Diff`), the tangents' leaves
    (checked to have the primals' structure), whether ``primals`` was a single value, and
    whether the caller gave NumPy only (so NumPy is returned)."""
    ps, single = _as_tuple(primals)
    ts, _ = _as_tuple(tangents)
    if len(ps) != len(ts):
        raise ValueError(f"{name}: got {len(ps)} primals but {len(ts)} tangents; give one "
                         "tangent per primal")
    diff = _Diff(ps, tuple(range(len(ps))), False, name, "primal")
    tans = diff.match(ts, name, "tangent")
    numpy_mode = not diff.any_tensor and not any(isinstance(t, Tensor)
                                                 for t in _tree.leaves(ts))
    return ps, diff, tans, single, numpy_mode


def _duals(diff: _Diff, tans: list[Tensor]) -> list[Tensor]:
    """Dual tensors at the innermost level, one per primal/tangent leaf (copies: ``f`` may
    write into them)."""
    return [fwd.make_dual(_fresh(p), _fresh(t)) for p, t in zip(diff.leaves, tans)]


def jvp(f: Callable, primals: Any, tangents: Any, has_aux: bool = False) -> tuple:
    """``(f(*primals), J @ tangents)`` in one forward pass (a dual level).

    ``primals`` and ``tangents`` are tuples of the same structure (pytrees
    allowed); the output tangent has the output's structure.

    >>> import numpy as np
    >>> import dualad as da
    >>> from dualad import func
    >>> out, t = func.jvp(da.sin, (np.array(0.0),), (np.array(2.0),))
    >>> float(out), float(t)
    (0.0, 2.0)
    """
    if state.vmap_levels:
        return _UNDER_VMAP["jvp"](f, primals, tangents, has_aux)
    ps, diff, ts, _, numpy_mode = _pair_up(primals, tangents, "jvp")
    with fwd.dual_level() as level:
        call_args = diff.call_args(ps, _duals(diff, ts))
        out, aux = _split_aux(_run(("jvp", (), level), f, call_args, {}), has_aux, "jvp")
        outs, outdef = _flatten(out, "jvp")
        prim, tans = [], []
        for o in outs:
            p, t = fwd.unpack_dual(o)
            prim.append(p)
            tans.append(t if t is not None else _zeros(o._data.shape, o))
    result = (_tree.unflatten(outdef, prim), _tree.unflatten(outdef, tans))
    result = _convert(result, numpy_mode)
    return result + (_convert(aux, numpy_mode),) if has_aux else result


def linearize(f: Callable, *primals: Any) -> tuple:
    """``(f(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` is ``J @ tangents`` at ``primals``,
    without running ``f`` again.

    ``f`` runs once, recorded; then one backward pass with a symbolic
    cotangent ``u`` records ``J^T u`` (linear in ``u``). Each ``jvp_fn`` call
    is one backward pass through that record: ``J t`` is the gradient of
    ``<J^T u, t>`` with respect to ``u``. So a call costs about one backward
    pass of a backward pass, and the records stay in memory while ``jvp_fn``
    lives. (If ``f`` uses a custom ``autograd.Function`` or a hook, whose
    backward need not be differentiable, ``jvp_fn`` runs ``func.jvp`` instead:
    correct, one forward pass per call.) Primals, tangents and the output may
    be pytrees.

    >>> import numpy as np
    >>> import dualad as da
    >>> from dualad import func
    >>> out, f_jvp = func.linearize(da.sin, np.array([0.0, np.pi]))
    >>> f_jvp(np.array([1.0, 2.0]))
    array([ 1., -2.])
    """
    if state.vmap_levels:
        return _UNDER_VMAP["linearize"](f, primals)
    if not primals:
        raise TypeError("linearize: give the function's arguments after it: "
                        "linearize(f, x, ...)")
    tr = _Traced(f, primals, {}, tuple(range(len(primals))), False, "linearize")
    us: list[Tensor] = []
    pulled: list[Tensor] = []
    if tr.plain:
        with enable_grad():
            us = [_wrap(np.zeros_like(o._data)).requires_grad_() for o in tr.outs]
            pulled = _pull_back(tr.outs, tr.inputs, list(us), create_graph=True)

    def jvp_fn(*tangents: Any) -> Any:
        if len(tangents) != len(primals):
            raise ValueError(f"linearize: jvp_fn got {len(tangents)} tangents for "
                             f"{len(primals)} primals; give one tangent per primal")
        ts = tr.diff.match(tangents, "linearize", "tangent")
        numpy_mode = tr.numpy_mode and not any(isinstance(t, Tensor)
                                               for t in _tree.leaves(tangents))
        if not tr.plain:
            return jvp(f, primals, tangents)[1]
        for t, x in zip(ts, tr.inputs):
            if t.shape != x.shape:
                raise ValueError(f"linearize: a tangent has shape {tuple(t.shape)} but its "
                                 f"primal has shape {tuple(x.shape)}; they must match")
        create = tr.nested or (state.grad_enabled and any(t.requires_grad_flag for t in ts))
        with enable_grad():
            terms = [call("sum", call("mul", g, t)) for g, t in zip(pulled, ts)
                     if g.requires_grad_flag]
            total = terms[0] if terms else None
            for term in terms[1:]:
                total = call("add", total, term)
            if total is None:
                found: Sequence[Tensor | None] = [None] * len(us)
            else:
                found = _engine_grad([total], us, retain_graph=True, create_graph=create,
                                     allow_unused=True)
        outs = [j if j is not None else _zeros(o._data.shape, o) for j, o in zip(found, tr.outs)]
        return _convert(_tree.unflatten(tr.outdef, outs), numpy_mode)

    return _convert(tr.value(), tr.numpy_mode), jvp_fn


def remat(f: Callable, *, preserve_rng_state: bool = True) -> Callable:
    """``f`` checkpointed, as a function (JAX's ``jax.checkpoint`` / ``remat`` form of
    :func:`checkpoint`): its activations are recomputed in the backward pass, not stored.

    >>> import numpy as np
    >>> import dualad as da
    >>> from dualad import func
    >>> block = func.remat(lambda x: da.tanh(da.sin(x) * 2.0))
    >>> func.grad(lambda x: block(block(x)).sum())(np.array([0.0]))
    array([4.])
    """
    if not callable(f):
        raise TypeError(f"remat: expected a function, got {type(f).__name__}")

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return checkpoint(f, *args, preserve_rng_state=preserve_rng_state, **kwargs)

    wrapped.__name__ = f"remat({getattr(f, '__name__', 'f')})"
    return wrapped


def _chunks(total: int, chunk_size: int | None, name: str) -> list[tuple[int, int]]:
    """``[start, stop)`` ranges of basis vectors pushed together (all of them by default)."""
    if chunk_size is None:
        return [(0, total)]
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"{name}: chunk_size must be a positive int or None, got "
                         f"{chunk_size!r}")
    return [(a, min(a + int(chunk_size), total)) for a in range(0, total, int(chunk_size))]


def _basis(rows: tuple[int, int], offset: int, shape: tuple, dtype: np.dtype) -> Tensor:
    """Rows ``e_j`` (``j`` in ``rows``) of the identity, restricted to one input's block
    starting at ``offset`` and shaped ``(len(rows),) + shape``."""
    n = math.prod(shape)
    eye = np.zeros((rows[1] - rows[0], n), dtype=dtype)
    j = np.arange(max(rows[0], offset), min(rows[1], offset + n))
    eye[j - rows[0], j - offset] = 1.0
    return _wrap(eye.reshape((rows[1] - rows[0],) + tuple(shape)))


def _cat0(parts: list[Tensor]) -> Tensor:
    """Join chunks along axis 0."""
    out = parts[0]
    for p in parts[1:]:
        out = call("concatenate", out, p, axis=0)
    return out


def _check_kind(name: str, tensors: list, what: str, holomorphic: bool) -> None:
    """Without ``holomorphic``, a Jacobian of complex numbers is refused, as by
    ``torch.func`` (its rows and columns would mix the two conventions of complex
    derivatives); with it, every input and output must be complex, as in JAX."""
    for k, t in enumerate(tensors):
        is_complex = t._data.dtype.kind == "c"
        if holomorphic and not is_complex:
            raise TypeError(f"{name}(holomorphic=True): expected all {what} to be complex but "
                            f"{what[:-1]} {k} is real ({t._data.dtype}), as JAX does; cast "
                            "it (x.astype(np.complex128)) or drop holomorphic=True for a real "
                            "function")
        if not holomorphic and is_complex:
            raise TypeError(f"{name}: expected all {what} to be real but {what[:-1]} {k} is "
                            f"complex ({t._data.dtype}), as torch.func does; for a holomorphic "
                            "function pass holomorphic=True (the Jacobian is then df/dz, as in "
                            "JAX); otherwise pass real and imaginary parts as separate real "
                            "arrays (f(x + 1j * y), returning da.stack([da.real(w), "
                            "da.imag(w)])), or use func.vjp / func.jvp "
                            "(see docs/complex-numbers.md)")


def _holomorphic_flag(name: str, holomorphic: Any) -> bool:
    if not isinstance(holomorphic, (bool, np.bool_)):
        raise TypeError(f"{name}: holomorphic must be True or False, got {holomorphic!r}")
    return bool(holomorphic)


def _jac_outputs(jac: list[list[Tensor]], outdef: _tree.TreeDef, diff: _Diff) -> Any:
    """JAX's nesting: the output's structure outside, the arguments' structure inside."""
    return _tree.unflatten(outdef, [diff.rebuild(row) for row in jac])


def _push_chunk(f: Callable, args: tuple, kwargs: dict, diff: _Diff,
                offsets: list, rows: tuple[int, int], has_aux: bool) -> tuple:
    """One batched forward pass: the output tangents ``(len(rows),) + out.shape``."""
    with fwd.dual_level(batch_size=rows[1] - rows[0]) as level:
        duals = [fwd.make_dual(_fresh(x), _basis(rows, off, x._data.shape, x._data.dtype))
                 for x, off in zip(diff.leaves, offsets)]
        call_args = diff.call_args(args, duals)
        out, aux = _split_aux(_run(("jacfwd", (), level), f, call_args, kwargs), has_aux,
                              "jacfwd")
        outs, outdef = _flatten(out, "jacfwd")
        tangents = []
        for o in outs:
            t = fwd.unpack_dual(o).tangent
            tangents.append(t if t is not None else _zeros((rows[1] - rows[0],) + o.shape, o))
    return outs, outdef, tangents, aux


def jacfwd(f: Callable, argnums: Argnums = 0, has_aux: bool = False, *,
           chunk_size: int | None = None, holomorphic: bool = False) -> Callable:
    """The Jacobian by forward mode: one batched pass pushing every basis tangent.

    The result has shape ``out.shape + x.shape``. Cheapest when the inputs
    are few and the outputs many. ``chunk_size`` bounds memory by pushing
    at most that many tangents per pass. Inputs and outputs must be real,
    unless ``holomorphic=True`` (JAX's keyword): then they must be complex,
    ``f`` is taken to be holomorphic and the result is the complex
    derivative ``df/dz`` (see docs/complex-numbers.md).

    >>> import numpy as np
    >>> from dualad import func
    >>> func.jacfwd(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    >>> z = np.array([1j, 2.0 + 1j])
    >>> J = func.jacfwd(lambda z: z ** 3, holomorphic=True)(z)
    >>> np.allclose(J, np.diag(3 * z ** 2))
    True
    """
    holo = _holomorphic_flag("jacfwd", holomorphic)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if state.vmap_levels:
            return _UNDER_VMAP["jacobian"](functools.partial(jacfwd, holomorphic=holo), "jacfwd", f,
                                           argnums, has_aux, chunk_size, args, kwargs)
        nums, single = _argnums(argnums, len(args), "jacfwd")
        diff = _Diff(args, nums, single, "jacfwd")
        numpy_mode = _numpy_mode(args, diff)
        xs = diff.leaves
        _check_kind("jacfwd", xs, "inputs", holo)
        sizes = [x._data.size for x in xs]
        total = sum(sizes)
        if total == 0:
            raise ValueError("jacfwd: the differentiated arguments have no elements")
        offsets = list(itertools.accumulate(sizes[:-1], initial=0))
        runs = [_push_chunk(f, args, kwargs, diff, offsets, rows, has_aux)
                for rows in _chunks(total, chunk_size, "jacfwd")]
        outs, outdef, _, aux = runs[0]
        _check_kind("jacfwd", outs, "outputs", holo)
        jac = []
        for k, o in enumerate(outs):
            t = _cat0([run[2][k] for run in runs])
            oshape, m = o._data.shape, o._data.size
            row = []
            for x, n, off in zip(xs, sizes, offsets):
                block = t if len(xs) == 1 else call("getitem", t, index=slice(off, off + n))
                block = call("permute", _reshape(block, (n, m)), axes=(1, 0))
                row.append(_reshape(block, oshape + x._data.shape))
            jac.append(row)
        result = _convert(_jac_outputs(jac, outdef, diff), numpy_mode)
        return (result, _convert(aux, numpy_mode)) if has_aux else result

    wrapped.__name__ = f"jacfwd({getattr(f, '__name__', 'f')})"
    return wrapped


def _jacrev_rows(tr: _Traced, k: int, chunk_size: int | None) -> list[Tensor]:
    """``(m,) + x.shape`` blocks of the Jacobian of output ``k``, all rows in one pass."""
    o = tr.outs[k]
    m = o._data.size
    oshape = o._data.shape
    cots: list = [None] * len(tr.outs)
    if not tr.plain:  # custom Functions or hooks: one backward pass per row
        rows = []
        for j in range(m):
            e = np.zeros(m, dtype=o._data.dtype)
            e[j] = 1.0
            cots[k] = _wrap(e.reshape(oshape))
            rows.append(tr.pull_back(cots))
        blocks = []
        for a, x in enumerate(tr.inputs):
            block = stack_batch([r[a] for r in rows], x._data.shape, x._data.dtype)
            assert block is not None  # m > 0 rows (checked by jacrev), none of them None
            blocks.append(block)
        return blocks
    chunks = []
    for start, stop in _chunks(m, chunk_size, "jacrev"):
        if not tr.nested:  # every row at once through raw-array rules, where they exist
            arrays = pull_back_batched(o, _basis((start, stop), 0, oshape, o._data.dtype)._data,
                                       tr.inputs)
            if arrays is not None:
                chunks.append([_wrap(r) for r in arrays])
                continue
        with fwd.dual_level(batch_size=stop - start):
            basis = _basis((start, stop), 0, oshape, o._data.dtype)
            cots[k] = fwd.make_dual(_zeros(oshape, o), basis)
            blocks = []
            for g, x in zip(tr.pull_back(cots), tr.inputs):
                t = fwd.unpack_dual(g).tangent
                blocks.append(t if t is not None else _zeros((stop - start,) + x.shape, x))
        chunks.append(blocks)
    return [_cat0([c[a] for c in chunks]) for a in range(len(tr.inputs))]


def jacrev(f: Callable, argnums: Argnums = 0, has_aux: bool = False, *,
           chunk_size: int | None = None, holomorphic: bool = False) -> Callable:
    """The Jacobian by reverse mode: one backward pass pulling back every basis cotangent.

    The result has shape ``out.shape + x.shape``. Cheapest when the outputs
    are few and the inputs many. ``chunk_size`` bounds memory by pulling back
    at most that many cotangents per pass (the function still runs once).
    ``holomorphic=True`` (JAX's keyword) takes complex inputs and outputs and
    gives the complex derivative ``df/dz``, as :func:`jacfwd` does (the
    conjugate of what the backward pass, in PyTorch's convention, pulls back).

    >>> import numpy as np
    >>> from dualad import func
    >>> func.jacrev(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    >>> z = np.array([1j, 2.0 + 1j])
    >>> J = func.jacrev(lambda z: z ** 3, holomorphic=True)(z)
    >>> np.allclose(J, np.diag(3 * z ** 2))
    True
    """
    holo = _holomorphic_flag("jacrev", holomorphic)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if state.vmap_levels:
            return _UNDER_VMAP["jacobian"](functools.partial(jacrev, holomorphic=holo), "jacrev", f,
                                           argnums, has_aux, chunk_size, args, kwargs)
        tr = _Traced(f, args, kwargs, argnums, has_aux, "jacrev")
        _check_kind("jacrev", tr.inputs, "inputs", holo)
        _check_kind("jacrev", tr.outs, "outputs", holo)
        jac = []
        for k, o in enumerate(tr.outs):
            if o._data.size == 0:
                raise ValueError("jacrev: an output of the function has no elements")
            blocks = _jacrev_rows(tr, k, chunk_size)
            if holo:  # PyTorch's pullback of a real e_i is row i of conj(df/dz); JAX's is df/dz
                blocks = [call("conj", b) for b in blocks]
            jac.append([_reshape(b, o._data.shape + x._data.shape)
                        for b, x in zip(blocks, tr.inputs)])
        result = _convert(_jac_outputs(jac, tr.outdef, tr.diff), tr.numpy_mode)
        return (result, _convert(tr.aux, tr.numpy_mode)) if has_aux else result

    wrapped.__name__ = f"jacrev({getattr(f, '__name__', 'f')})"
    return wrapped


def hessian(f: Callable, argnums: Argnums = 0, *, holomorphic: bool = False) -> Callable:
    """The Hessian of a scalar function, as ``jacfwd(jacrev(f))`` (forward-over-reverse).

    With ``holomorphic=True`` (JAX's keyword) ``f`` is a holomorphic function of complex
    inputs and the result is ``d^2 f / dz^2``.

    >>> import numpy as np
    >>> from dualad import func
    >>> func.hessian(lambda x: (x[0] * x[1]) ** 2)(np.array([1.0, 2.0]))
    array([[8., 8.],
           [8., 2.]])
    >>> H = func.hessian(lambda z: (z ** 3).sum(), holomorphic=True)(np.array([1j, 2.0]))
    >>> np.allclose(H, np.diag([6j, 12.0]))
    True
    """
    holo = _holomorphic_flag("hessian", holomorphic)
    return jacfwd(jacrev(f, argnums, holomorphic=holo), argnums, holomorphic=holo)


def hvp(f: Callable, primals: Any, tangents: Any) -> tuple:
    """``(f(*primals), H @ tangents)`` by forward-over-reverse, without forming ``H``.

    ``primals`` and ``tangents`` are each one value, or tuples (or lists) of
    the same length; ``f`` returns one element. The product has the structure
    of ``primals``: one value for one value, a tuple for a tuple (also of one
    element), as in ``torch.autograd.functional.hvp``. (The JAX idiom
    ``jax.jvp(jax.grad(f), primals, tangents)`` returns the gradient, not
    ``f``'s value, as its first element.)

    >>> import numpy as np
    >>> from dualad import func
    >>> out, hv = func.hvp(lambda x: (x ** 3).sum(), np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    >>> float(out), hv
    (9.0, array([ 6., 12.]))
    >>> func.hvp(lambda x, y: (x * x * y).sum(), (np.array([1.0]), np.array([2.0])),
    ...          (np.array([1.0]), np.array([0.0])))[1]
    (array([4.]), array([2.]))
    """
    if state.vmap_levels:
        return _UNDER_VMAP["hvp"](f, primals, tangents)
    ps, diff, ts, single, numpy_mode = _pair_up(primals, tangents, "hvp")
    with fwd.dual_level() as level:
        call_args = diff.call_args(ps, _duals(diff, ts))
        vg = _value_and_grad(f, tuple(range(len(ps))), False, "hvp")
        value, grads = _run(("hvp", (), level), vg, call_args, {})
        value = fwd.unpack_dual(value).primal
        hv = []
        for g in _tree.leaves(grads):
            t = fwd.unpack_dual(g).tangent
            hv.append(t if t is not None else _zeros(g._data.shape, g))
    products = diff.rebuild(hv)
    return _convert((value, products[0] if single else products), numpy_mode)

"""The ``dualad.func`` transforms called inside ``vmap``: per example, on the whole batch.

Inside ``vmap`` a transform's arguments may be BatchedTensors, and ``f`` may
read batched values it closes over. Each transform here runs on the *raw*
arrays instead, every batch axis of the running vmaps in front (an argument
that is not batched at some level is broadcast along it), with a function
``f_raw`` that wraps its raw arguments back into BatchedTensors, calls ``f``
and unwraps the result. Examples never interact (that is what a batching
rule guarantees), so

- a gradient of example ``b``'s output is the gradient of the sum of all the
  examples' outputs with respect to example ``b``'s input (one backward pass);
- a vjp or jvp of ``f_raw`` is the examples' vjps or jvps side by side;
- a Jacobian of example ``b`` is the Jacobian of ``f_raw(x_raw + u)`` with
  respect to ``u`` (of one example's shape) at ``u = 0``: every example moves
  by the same ``u``, and example ``b``'s output sees only its own move (forward
  mode); in reverse mode, the Jacobian of the examples' outputs summed, with
  respect to the raw input, holds every example's block.

The results are wrapped back, so ``vmap(grad(f))`` gives per-sample gradients.
``dualad.func`` calls these when a vmap is running (its ``_UNDER_VMAP`` table).

>>> import numpy as np
>>> from dualad import func
>>> func.vmap(func.grad(lambda w, x: (w * x).sum() ** 2), in_dims=(None, 0))(
...     np.array([1.0, 1.0]), np.array([[1.0, 2.0], [3.0, 4.0]]))
array([[ 6., 12.],
       [42., 56.]])
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import func
from . import tree as _tree
from ._state import state
from .batched_tensor import BatchedTensor, batched
from .registry import call
from .tensor import Tensor, _wrap


@contextlib.contextmanager
def _running(levels: list[tuple[int, int]]) -> Iterator[None]:
    """``levels`` as this thread's running vmaps meanwhile: none while a transform runs on
    raw values, the caller's again while ``f`` runs inside it."""
    saved = state.vmap_levels
    state.vmap_levels = levels
    try:
        yield
    finally:
        state.vmap_levels = saved


def _call_f(f: Callable, levels: list, args: Any, kwargs: dict) -> Any:
    with _running(levels):
        return f(*args, **kwargs)


def to_raw(x: Any, levels: list[tuple[int, int]]) -> Tensor:
    """``x`` as a plain Tensor with one leading axis per vmap level of ``levels``
    (outermost first); broadcast along the levels it is not batched at."""
    if not levels:
        if isinstance(x, BatchedTensor):
            raise ValueError("vmap: a batched value of a vmap that has finished was used "
                             "(it escaped through a closure or a global); return values "
                             "from the vmapped function instead")
        return x if isinstance(x, Tensor) else _wrap(np.asarray(x, dtype=np.result_type(
            x, np.float64)))
    level, size = levels[-1]
    if isinstance(x, BatchedTensor) and x._level == level:
        return to_raw(x._value, levels[:-1])
    r = to_raw(x, levels[:-1])
    k = len(levels) - 1
    shape = tuple(r.shape)
    expanded = call("unsqueeze", r, axis=k)
    return call("broadcast_to", expanded, shape=shape[:k] + (size,) + shape[k:])


def from_raw(r: Tensor, levels: list[tuple[int, int]]) -> Tensor:
    """The inverse of :func:`to_raw`: the leading axes as the batches of ``levels``."""
    for level, _ in levels:
        r = batched(r, level)
    return r


def _example_shape(r: Tensor, levels: list) -> tuple:
    return tuple(r.shape)[len(levels):]


def _selected(args: tuple, argnums: Any, name: str) -> tuple[Any, tuple, bool]:
    """The differentiated arguments (one pytree), their argnums and whether single."""
    nums, single = func._argnums(argnums, len(args), name)
    sel = args[nums[0]] if single else tuple(args[i] for i in nums)
    return sel, nums, single


def _replace(args: tuple, nums: tuple, single: bool, sel: Any) -> list:
    out = list(args)
    if single:
        out[nums[0]] = sel
    else:
        for i, v in zip(nums, sel):
            out[i] = v
    return out


def _raw_tree(tree: Any, levels: list) -> Any:
    return _tree.map(lambda x: to_raw(x, levels), tree)


def _batched_tree(tree: Any, levels: list) -> Any:
    return _tree.map(lambda r: from_raw(r, levels) if isinstance(r, Tensor) else r, tree)


def _batched_aux(result: tuple, levels: list) -> Any:
    """The aux value (last item of a transform's result) back in the vmap's terms."""
    aux = result[-1]
    return _batched_tree(aux, levels) if func._safe_tree(aux) else aux


def _raw_aux(aux: Any, levels: list) -> Any:
    """Auxiliary outputs with their Tensors raw, so that the transform hands them back
    without its private history (as it does outside vmap); other leaves as they are."""
    if not func._safe_tree(aux):
        return aux
    return _tree.map(lambda a: to_raw(a, levels) if isinstance(a, Tensor) else a, aux)


def value_and_grad(f: Callable, argnums: Any, has_aux: bool, name: str, args: tuple,
                   kwargs: dict) -> Any:
    """``value_and_grad`` (and ``grad``) per example: one backward pass of the sum."""
    levels = list(state.vmap_levels)
    sel, nums, single = _selected(args, argnums, name)
    leaves, treedef = _tree.flatten(sel)
    raw = [to_raw(x, levels) for x in leaves]

    def f_raw(*raw_leaves: Tensor) -> Any:
        inner = _tree.unflatten(treedef, [from_raw(r, levels) for r in raw_leaves])
        result = _call_f(f, levels, _replace(args, nums, single, inner), kwargs)
        out, aux = func._split_aux(result, has_aux, name)
        if not isinstance(out, (Tensor, float, int, np.ndarray, np.generic)):
            raise TypeError(f"{name}: the function must return a single element, got "
                            f"{type(out).__name__}")
        out_raw = to_raw(out, levels)
        if int(np.prod(_example_shape(out_raw, levels))) != 1:
            raise ValueError(f"{name}: the function must return a single element (shape () "
                             f"or (1,)), got output shape {_example_shape(out_raw, levels)}")
        return out_raw.sum(), (out_raw, _raw_aux(aux, levels))

    with _running([]):
        grads, (out_raw, aux) = func.grad(f_raw, argnums=tuple(range(len(raw))),
                                          has_aux=True)(*raw)
    value = from_raw(out_raw, levels)
    gradient = _tree.unflatten(treedef, [from_raw(g, levels) for g in grads])
    aux = _batched_tree(aux, levels) if has_aux and func._safe_tree(aux) else aux
    return ((value, aux) if has_aux else value), gradient


def _raw_function(f: Callable, args: tuple, nums: tuple, single: bool, treedef: Any,
                  kwargs: dict, has_aux: bool, name: str, levels: list) -> Callable:
    """``f`` on raw leaves for the differentiated arguments, returning raw outputs."""
    def f_raw(*raw_leaves: Tensor) -> Any:
        inner = _tree.unflatten(treedef, [from_raw(r, levels) for r in raw_leaves])
        result = _call_f(f, levels, _replace(args, nums, single, inner), kwargs)
        out, aux = func._split_aux(result, has_aux, name)
        raw_out = _raw_tree(out, levels)
        return (raw_out, _raw_aux(aux, levels)) if has_aux else raw_out
    return f_raw


def vjp(f: Callable, primals: tuple, has_aux: bool) -> tuple:
    """``vjp`` per example: the examples' pullbacks side by side."""
    levels = list(state.vmap_levels)
    leaves, treedef = _tree.flatten(primals)
    raw = [to_raw(x, levels) for x in leaves]
    f_raw = _raw_function(f, primals, tuple(range(len(primals))), False, treedef, {},
                          has_aux, "vjp", levels)
    with _running([]):
        result = func.vjp(f_raw, *raw, has_aux=has_aux)
    out_raw, pull = result[0], result[1]

    def vjp_fn(cotangents: Any) -> tuple:
        with _running([]):
            cots = pull(_raw_tree(cotangents, levels))
        return _tree.unflatten(treedef, [from_raw(c, levels) for c in cots])

    value = _batched_tree(out_raw, levels)
    return (value, vjp_fn, _batched_aux(result, levels)) if has_aux else (value, vjp_fn)


def _primals_and_tangents(f: Callable, primals: Any, tangents: Any, has_aux: bool,
                          name: str, levels: list) -> tuple:
    """For jvp and hvp: whether ``primals`` was one value, the primals' structure, the raw
    primals and tangents, and ``f`` on raw primals."""
    ps, single = func._as_tuple(primals)
    ts, _ = func._as_tuple(tangents)
    leaves, treedef = _tree.flatten(ps)
    tleaves = _tree.flatten_up_to(treedef, ts, f"{name}: the tangents and the primals")
    raw = tuple(to_raw(x, levels) for x in leaves)
    raw_t = tuple(to_raw(t, levels) for t in tleaves)
    f_raw = _raw_function(f, ps, tuple(range(len(ps))), False, treedef, {}, has_aux, name,
                          levels)
    return single, treedef, raw, raw_t, f_raw


def jvp(f: Callable, primals: Any, tangents: Any, has_aux: bool) -> tuple:
    """``jvp`` per example: the examples' tangents pushed side by side."""
    levels = list(state.vmap_levels)
    _, _, raw, raw_t, f_raw = _primals_and_tangents(f, primals, tangents, has_aux, "jvp",
                                                    levels)
    with _running([]):
        result = func.jvp(f_raw, raw, raw_t, has_aux=has_aux)
    out = (_batched_tree(result[0], levels), _batched_tree(result[1], levels))
    return out + (_batched_aux(result, levels),) if has_aux else out


def jacobian(which: Callable, name: str, f: Callable, argnums: Any, has_aux: bool,
             chunk_size: int | None, args: tuple, kwargs: dict) -> Any:
    """``jacfwd`` or ``jacrev`` per example (see the module docstring): forward mode pushes
    a shift ``u`` of every example's input at once; reverse mode pulls back the outputs
    summed over the examples, so a scalar loss costs one backward pass, not one per
    example."""
    levels = list(state.vmap_levels)
    sel, nums, single = _selected(args, argnums, name)
    leaves, treedef = _tree.flatten(sel)
    raw = [to_raw(x, levels) for x in leaves]
    f_raw = _raw_function(f, args, nums, single, treedef, kwargs, has_aux, name, levels)
    nb = len(levels)
    outputs: list = []  # the raw outputs' structure and leaves (recorded by the run)

    def shifted(*us: Tensor) -> Any:  # forward mode: every example moved by the same u
        result = f_raw(*[call("add", r, u) for r, u in zip(raw, us)])
        outputs.append(_tree.flatten(result[0] if has_aux else result))
        return result

    def summed(*rs: Tensor) -> Any:  # reverse mode: the examples' outputs added up
        result = f_raw(*rs)
        out = result[0] if has_aux else result
        outputs.append(_tree.flatten(out))
        total = _tree.map(lambda o: call("sum", o, axis=tuple(range(nb))), out)
        return (total, result[1]) if has_aux else total

    with _running([]):
        if name == "jacrev":
            result = which(summed, argnums=tuple(range(len(raw))), has_aux=has_aux,
                           chunk_size=chunk_size)(*raw)
        else:
            zeros = [_wrap(np.zeros(_example_shape(r, levels), dtype=r.dtype)) for r in raw]
            result = which(shifted, argnums=tuple(range(len(raw))), has_aux=has_aux,
                           chunk_size=chunk_size)(*zeros)
    jac, aux = (result if has_aux else (result, None))
    aux = _batched_tree(aux, levels) if has_aux and func._safe_tree(aux) else aux
    out_leaves, outdef = outputs[0]
    rows = _tree.flatten_up_to(outdef, jac, f"{name}: the Jacobian")
    nested = []
    for o, row in zip(out_leaves, rows):
        rank = len(o.shape) - nb  # of one example's output
        if name == "jacrev":  # blocks (out, batches, in): the batch axes to the front
            row = [call("permute", b, axes=tuple(range(rank, rank + nb)) + tuple(range(rank))
                        + tuple(range(rank + nb, len(b.shape)))) for b in row]
        nested.append(_tree.unflatten(treedef, [from_raw(b, levels) for b in row]))
    result = _tree.unflatten(outdef, nested)
    return (result, aux) if has_aux else result


def hvp(f: Callable, primals: Any, tangents: Any) -> tuple:
    """``hvp`` per example: the Hessian-vector product of the sum over examples."""
    levels = list(state.vmap_levels)
    single, treedef, raw, raw_t, f_raw = _primals_and_tangents(f, primals, tangents, False,
                                                               "hvp", levels)
    with _running([]):
        _, products = func.hvp(lambda *r: f_raw(*r).sum(), raw, raw_t)
        value = from_raw(f_raw(*raw), levels)
    hv = _tree.unflatten(treedef, [from_raw(p, levels) for p in products])
    return value, (hv[0] if single else hv)


def linearize(f: Callable, primals: tuple) -> tuple:
    """``linearize`` per example."""
    levels = list(state.vmap_levels)
    leaves, treedef = _tree.flatten(primals)
    raw = [to_raw(x, levels) for x in leaves]
    f_raw = _raw_function(f, primals, tuple(range(len(primals))), False, treedef, {}, False,
                          "linearize", levels)
    with _running([]):
        out_raw, push = func.linearize(f_raw, *raw)

    def jvp_fn(*tangents: Any) -> Any:
        tleaves = _tree.flatten_up_to(treedef, tangents, "jvp_fn: the tangents and primals")
        with _running([]):
            return _batched_tree(push(*[to_raw(t, levels) for t in tleaves]), levels)

    return _batched_tree(out_raw, levels), jvp_fn


func._UNDER_VMAP.update({"value_and_grad": value_and_grad, "vjp": vjp, "jvp": jvp,
                         "jacobian": jacobian, "hvp": hvp, "linearize": linearize})

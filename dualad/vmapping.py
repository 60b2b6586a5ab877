"""``vmap``: a function written for one example, run over a batch (``dualad.func.vmap``).

``vmap(f)(x)`` calls ``f`` once, on :class:`~dualad.batched_tensor.BatchedTensor`
values: each looks like one example (its shape is an example's) and holds the
whole batch. Every op ``f`` applies runs once on the whole batch through its
batching rule (``dualad.ops.vmap_rules``); the transforms ``f`` calls (``grad``,
``jacrev``, ...) run per example on the raw batch (``dualad.vmap_transforms``).
So ``vmap(grad(loss))`` gives per-sample gradients at the cost of about one
gradient of the batch. Nested vmaps get increasing levels; a value batched by
several wraps one BatchedTensor in another.

What needs one example's number raises a clear error instead of guessing:
``float(x)``, ``x.item()``, ``np.asarray(x)``, ``if x > 0:`` on a batched value,
and in-place writes into a batched value or into a tensor captured from
outside (write ``da.where(x > 0, a, b)``; return values instead of writing).
Randomness is checked on dualad's generator (``da.rand``, ``da.randn``,
seeded by ``da.manual_seed``) and NumPy's global one (``np.random.*``):
``randomness="error"`` raises if ``f`` draws from either (the states are put
back); ``"same"`` runs ``f`` once, so every example sees the same draws;
``"different"`` runs ``f`` once per example (a loop: each example draws its own,
and per-example Python logic such as ``.item()`` works there). A
``np.random.Generator`` object owned by the caller cannot be watched.

>>> import numpy as np
>>> import dualad as da
>>> from dualad import func
>>> func.vmap(lambda x, w: (x * w).sum(), in_dims=(0, None))(np.ones((3, 2)), np.array([1.0, 2.0]))
array([3., 3., 3.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import creation
from . import tree as _tree
from ._state import state
from .batched_tensor import BatchedTensor, batched
from .ops.shape import stack
from .ops.vmap_rules import level_ids
from .registry import call
from .tensor import Tensor, _wrap

__all__ = ["vmap"]

_RANDOMNESS = ("error", "different", "same")
_RANDOM_ERROR = ("vmap: the function drew random numbers (dualad's generator: da.rand, "
                 "da.randn...; or NumPy's global one: np.random.*) under randomness='error'; "
                 "pass randomness='different' (each example its own draws) or 'same' (one set "
                 "of draws for all)")


def _is_none(x: Any) -> bool:
    return x is None


def _dims_for(dims: Any, values: Any, what: str) -> list[Any]:
    """One dim (int or None) per leaf of ``values``; ``dims`` is an int, None, or a pytree
    whose structure is a prefix of ``values``'s (None is a leaf of ``dims`` here)."""
    if dims is None or isinstance(dims, (int, np.integer)) and not isinstance(dims, bool):
        return [dims] * len(_tree.leaves(values))
    leaves, treedef = _tree.flatten(dims, is_leaf=_is_none)
    for d in leaves:
        if not (d is None or isinstance(d, (int, np.integer)) and not isinstance(d, bool)):
            raise TypeError(f"vmap: {what} must be an int, None, or a pytree of ints and None "
                            f"matching the {'arguments' if what == 'in_dims' else 'outputs'}, "
                            f"got a leaf {d!r}")
    subtrees = _tree.flatten_up_to(treedef, values, f"vmap: {what}")
    out: list[Any] = []
    for d, sub in zip(leaves, subtrees):
        out.extend([d] * len(_tree.leaves(sub)))
    return out


def _ndim(x: Any) -> int | None:
    """The number of dimensions of an array-like leaf, None for anything else."""
    if isinstance(x, Tensor):
        return x.ndim
    if isinstance(x, np.ndarray):
        return x.ndim
    return None


def _where(prefix: str, path: Any) -> str:
    return f"{prefix}{_tree.keystr(path)}" if path else f"the {prefix}"


def _normalize(d: int, ndim: int, where: str, what: str) -> int:
    if not -ndim <= d < ndim:
        raise ValueError(f"vmap: {what}={d} at {where} is out of range for a value with "
                         f"{ndim} dimension(s) (valid: {-ndim} to {ndim - 1})")
    return d % ndim


def _take(x: Any, d: int, i: int) -> Any:
    """Example ``i`` of ``x`` along axis ``d``: a recorded view for a Tensor (derivatives
    flow back to ``x``), a copy for a NumPy array (``f`` cannot write into the caller's)."""
    index = (slice(None),) * d + (i,)
    if isinstance(x, Tensor):
        return x[index]
    return np.array(x[index], copy=True)


def _rng_state() -> tuple[Any, np.random.Generator, Any]:
    """The random sources a function can draw from: NumPy's global generator and dualad's
    own (``creation.generator()``: ``da.rand``, ``da.randn``, initialisation)."""
    gen = creation.generator()
    return np.random.get_state(legacy=False), gen, gen.bit_generator.state


def _same_state(a: tuple, b: tuple) -> bool:
    (na, ga, sa), (nb, gb, sb) = a, b
    return bool(ga is gb and sa == sb and na["bit_generator"] == nb["bit_generator"]
                and na["state"]["pos"] == nb["state"]["pos"]
                and np.array_equal(na["state"]["key"], nb["state"]["key"])
                and na["has_gauss"] == nb["has_gauss"] and na["gauss"] == nb["gauss"])


def _restore(state: tuple) -> None:
    np.random.set_state(state[0])
    state[1].bit_generator.state = state[2]


def _stack(values: list[Any], d: Any, where: str) -> Any:
    """The per-example values of one output leaf, stacked along ``d`` (or, for ``d`` None,
    the one value they all share)."""
    if d is None:
        if all(v is values[0] for v in values):
            return values[0]  # the same object every time (a captured value)
        if any(isinstance(v, Tensor) and (v.requires_grad_flag or v._tangents) for v in values):
            raise ValueError(f"vmap: out_dims=None at {where}, but that output is computed "
                             "per example and carries derivatives, so one copy of it would "
                             "drop the derivatives of the other examples; give it an int "
                             "out_dims (or compute it outside the vmapped function)")
        first = np.asarray(values[0]._data if isinstance(values[0], Tensor) else values[0])
        for v in values[1:]:
            arr = np.asarray(v._data if isinstance(v, Tensor) else v)
            if arr.shape != first.shape or not np.array_equal(arr, first, equal_nan=True):
                raise ValueError(f"vmap: out_dims=None at {where}, but that output differs "
                                 "between examples (it depends on a batched input); give it "
                                 "an int out_dims to stack it")
        return values[0]
    shapes = {np.shape(v._data if isinstance(v, Tensor) else v) for v in values}
    if len(shapes) != 1:
        raise ValueError(f"vmap: {where} has different shapes for different examples "
                         f"({sorted(shapes)}); they cannot be stacked")
    ndim = len(shapes.pop()) + 1
    axis = _normalize(int(d), ndim, where, "out_dims")
    if any(isinstance(v, Tensor) and (v.requires_grad_flag or v._tangents) for v in values):
        return stack([v if isinstance(v, Tensor) else _wrap(np.asarray(v)) for v in values],
                     axis=axis)
    arrays = [v._data if isinstance(v, Tensor) else np.asarray(v) for v in values]
    if any(isinstance(v, Tensor) for v in values):  # nothing to record: stack the data
        return _wrap(np.stack(arrays, axis=axis))
    return np.stack(arrays, axis=axis)


def _numpy(x: Any) -> Any:
    """A result as NumPy, unless it carries derivative information (it depends on a Tensor
    an enclosing transform differentiates, which a NumPy array would lose)."""
    if isinstance(x, Tensor) and not (x.requires_grad_flag or x._tangents):
        arr = np.array(x._data, copy=True)
        return arr.item() if arr.ndim == 0 else arr
    return x


def vmap(f: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """``f`` vectorized over a batch axis of its arguments (``torch.func.vmap`` /
    ``jax.vmap``): ``vmap(f)(x)[i] == f(x[i])``.

    ``in_dims`` says which axis of each positional argument is the batch axis: an int
    for all, None for an argument that is not batched (passed whole to every example),
    or a pytree (a tuple with one entry per argument, which may itself be a dict, list...
    matching that argument). ``out_dims`` places the batch axis in each output the same
    way (None: an output that does not depend on the batch, returned once). Keyword
    arguments are not batched. ``randomness`` is ``"error"``, ``"different"`` or
    ``"same"`` (see :mod:`dualad.vmapping`); ``chunk_size`` (a positive int or None) runs
    that many examples at a time, to bound memory.

    Runs ``f`` once on the whole batch (each op through its batching rule; see
    :mod:`dualad.vmapping`). Composes with ``grad``, ``jacfwd``, ``jacrev``,
    ``hessian`` and itself in any order: ``vmap(grad(loss), in_dims=(None, 0, 0))(params,
    X, y)`` gives per-sample gradients.

    >>> import numpy as np
    >>> from dualad import func
    >>> func.vmap(func.grad(lambda x: (x ** 2).sum()))(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[2., 4.],
           [6., 8.]])
    """
    if not callable(f):
        raise TypeError(f"vmap: expected a function, got {type(f).__name__}")
    if randomness not in _RANDOMNESS:
        raise ValueError(f"vmap: randomness must be one of {', '.join(map(repr, _RANDOMNESS))}, "
                         f"got {randomness!r}")
    if chunk_size is not None and (not isinstance(chunk_size, (int, np.integer))
                                   or isinstance(chunk_size, bool) or chunk_size < 1):
        raise ValueError(f"vmap: chunk_size must be a positive int or None, got {chunk_size!r}")
    if isinstance(in_dims, list):
        in_dims = tuple(in_dims)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not args:
            raise ValueError("vmap: the function was called with no positional arguments; "
                             "vmap batches positional arguments only (keyword arguments "
                             "are passed unbatched)")
        dims_tree = in_dims
        if isinstance(in_dims, tuple) and len(in_dims) != len(args):
            raise ValueError(f"vmap: in_dims is a tuple of {len(in_dims)} entries but the "
                             f"function got {len(args)} positional arguments; give one "
                             "entry per argument (or one int for all)")
        pairs, argdef = _tree.flatten_with_path(args)
        dims = _dims_for(dims_tree, args, "in_dims")
        leaves = [x for _, x in pairs]
        axes: list[int | None] = []
        size: int | None = None
        first_where = ""
        for (path, x), d in zip(pairs, dims):
            where = _where("args", path)
            if d is None:
                axes.append(None)
                continue
            nd = _ndim(x)
            if nd is None:
                raise TypeError(f"vmap: in_dims={d} at {where}, a {type(x).__name__}, which has "
                                "no axis to map over; give it in_dims None (or pass an array)")
            if nd == 0:
                raise ValueError(f"vmap: in_dims={d} at {where}, a 0-d value, which has no "
                                 "axis to map over; give it in_dims None")
            axis = _normalize(int(d), nd, where, "in_dims")
            n = x.shape[axis]
            if size is None:
                size, first_where = n, where
            elif n != size:
                raise ValueError(f"vmap: the mapped axes have different sizes: {size} at "
                                 f"{first_where}, {n} at {where}")
            axes.append(axis)
        if size is None:
            raise ValueError("vmap: in_dims maps no argument (all None, or no arrays); at "
                             "least one argument must have a batch axis")
        if size == 0:
            raise ValueError("vmap: the batch axis has size 0; there is no example to run "
                             "the function on")
        if randomness == "different":
            stacked, outdef = _per_example_loop(f, leaves, axes, argdef, size, kwargs, out_dims)
        elif chunk_size is None or chunk_size >= size:
            stacked, outdef = _vectorized(f, leaves, axes, argdef, size, kwargs, out_dims,
                                          randomness)
        else:
            stacked, outdef = _in_chunks(f, leaves, axes, argdef, size, kwargs, out_dims,
                                         randomness, int(chunk_size))
        if not any(isinstance(x, Tensor) for x in leaves + _tree.leaves(kwargs)):
            stacked = [_numpy(o) for o in stacked]  # NumPy in, NumPy out (as dualad.func)
        return _tree.unflatten(outdef, stacked)

    wrapped.__name__ = f"vmap({getattr(f, '__name__', 'f')})"
    return wrapped


def _batch_first(x: Any, axis: int) -> Tensor:
    """``x`` with its batch axis first, as a Tensor (a recorded permutation for a Tensor)."""
    if not isinstance(x, Tensor):
        return _wrap(np.moveaxis(np.asarray(x), axis, 0))
    if axis == 0:
        return x
    order = (axis,) + tuple(a for a in range(_ndim(x) or 0) if a != axis)
    return call("permute", x, axes=order)


def _unbatch(o: Any, d: Any, level: int, size: int, where: str) -> Any:
    """Output ``o`` of the vectorized function with its batch axis at ``d``; an output that
    does not depend on the batch is returned as it is (``d`` None) or repeated along ``d``."""
    if isinstance(o, BatchedTensor) and o._level == level:
        if d is None:
            raise ValueError(f"vmap: out_dims=None at {where}, but that output depends on a "
                             "batched input (it differs between examples); give it an int "
                             "out_dims to stack it")
        v = o._value
        ndim = len(v.shape)
        axis = _normalize(int(d), ndim, where, "out_dims")
        if axis == 0:
            return v
        order = tuple(range(1, axis + 1)) + (0,) + tuple(range(axis + 1, ndim))
        return call("permute", v, axes=order)
    if d is None or not isinstance(o, (Tensor, np.ndarray, np.generic, int, float, complex)):
        return o  # (a string or other object in an output: as it is)
    if not isinstance(o, Tensor):
        arr = np.asarray(o)
        axis = _normalize(int(d), arr.ndim + 1, where, "out_dims")
        return np.repeat(np.expand_dims(arr, axis), size, axis=axis)
    shape = tuple(o.shape)
    axis = _normalize(int(d), len(shape) + 1, where, "out_dims")
    expanded = call("unsqueeze", o, axis=axis)
    return call("broadcast_to", expanded, shape=shape[:axis] + (size,) + shape[axis:])


def _vectorized(f: Callable, leaves: list, axes: list, argdef: Any, size: int, kwargs: dict,
                out_dims: Any, randomness: str) -> tuple[list, Any]:
    """``f`` run once on BatchedTensors standing for the whole batch; the outputs' leaves
    (batch axis at their out_dims) and structure."""
    level = next(level_ids)
    inputs = [x if a is None else batched(_batch_first(x, a), level)
              for x, a in zip(leaves, axes)]
    start = _rng_state()
    state.vmap_levels.append((level, size))
    try:
        out = f(*_tree.unflatten(argdef, inputs), **kwargs)
    finally:
        state.vmap_levels.pop()
    if randomness == "error" and not _same_state(start, _rng_state()):
        _restore(start)
        raise RuntimeError(_RANDOM_ERROR)
    pairs, outdef = _tree.flatten_with_path(out)
    odims = _dims_for(out_dims, out, "out_dims")
    return [_unbatch(o, d, level, size, _where("output", path))
            for (path, o), d in zip(pairs, odims)], outdef


def _per_example_loop(f: Callable, leaves: list, axes: list, argdef: Any, size: int,
                      kwargs: dict, out_dims: Any) -> tuple[list, Any]:
    """``f`` run once per example, the outputs stacked: ``randomness="different"`` (each
    example draws its own random numbers)."""
    outs: list[list[Any]] = []
    outdef: _tree.TreeDef | None = None
    first_out: Any = None
    for i in range(size):
        example = [x if a is None else _take(x, a, i) for x, a in zip(leaves, axes)]
        out = f(*_tree.unflatten(argdef, example), **kwargs)
        items, d_ = _tree.flatten(out)
        if outdef is None:
            outdef, first_out = d_, out
        elif d_ != outdef:
            raise ValueError("vmap: the function returned outputs of different structure "
                             f"for different examples ({outdef} vs {d_})")
        outs.append(items)
    assert outdef is not None
    odims = _dims_for(out_dims, first_out, "out_dims")
    paths = [p for p, _ in _tree.flatten_with_path(first_out)[0]]
    return [_stack([o[k] for o in outs], odims[k], _where("output", paths[k]))
            for k in range(len(odims))], outdef


def _chunk(x: Any, axis: int, start: int, stop: int) -> Any:
    index = (slice(None),) * axis + (slice(start, stop),)
    return x[index]


def _join(parts: list, d: Any) -> Any:
    """One output leaf's chunks joined along its batch axis ``d`` (None: the first chunk's,
    which every chunk shares)."""
    if d is None:
        return parts[0]
    if not any(isinstance(p, Tensor) for p in parts):
        return np.concatenate([np.asarray(p) for p in parts], axis=d)
    out = parts[0] if isinstance(parts[0], Tensor) else _wrap(np.asarray(parts[0]))
    axis = int(d) % len(out.shape)
    for p in parts[1:]:
        out = call("concatenate", out, p if isinstance(p, Tensor) else _wrap(np.asarray(p)),
                   axis=axis)
    return out


def _in_chunks(f: Callable, leaves: list, axes: list, argdef: Any, size: int, kwargs: dict,
               out_dims: Any, randomness: str, chunk_size: int) -> tuple[list, Any]:
    """``chunk_size`` examples at a time (to bound memory), the outputs joined."""
    runs = []
    for start in range(0, size, chunk_size):
        stop = min(start + chunk_size, size)
        part = [x if a is None else _chunk(x, a, start, stop) for x, a in zip(leaves, axes)]
        runs.append(_vectorized(f, part, axes, argdef, stop - start, kwargs, out_dims,
                                randomness))
    outdef = runs[0][1]
    first = _tree.unflatten(outdef, runs[0][0])
    odims = _dims_for(out_dims, first, "out_dims")
    return [_join([r[0][k] for r in runs], d) for k, d in enumerate(odims)], outdef

"""vmap's batching rules: how each registered op runs once on a whole batch.

Inside ``func.vmap`` the function sees :class:`~dualad.batched_tensor.BatchedTensor`
values (one example's shape, the whole batch inside). An op given one reaches
:func:`dispatch` (from ``registry.apply``), which unwraps the values of the
innermost vmap level (the batch axis first; values of outer levels stay wrapped
and are handled when the rule's own ops run, recursively) and calls the op's
rule: ``rule(op, values, batched, params)``, where ``batched[i]`` says whether
``values[i]`` carries the batch axis, returns the batched result (batch axis
first). Rules are written with dualad ops, so what they compute is recorded and
differentiates as usual.

The rules, by family: every elementwise op gets one derived rule (align the
examples' axes, then broadcast); reductions and other ops with ``axis`` shift
it by one; shape ops restate their shape; the matrix ops that NumPy already
batches over leading axes run as they are. An op with no rule runs once per
example and the results are stacked (:func:`_per_example`): right, only
slower. ``PER_EXAMPLE`` lists the ops allowed to do that; the test suite fails
when a registered op uses the loop without being listed.

>>> import numpy as np
>>> import dualad as da
>>> from dualad import func
>>> func.vmap(lambda x: da.softmax(x, axis=0))(np.zeros((2, 4)))
array([[0.25, 0.25, 0.25, 0.25],
       [0.25, 0.25, 0.25, 0.25]])
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import tree as _tree
from .._state import state
from ..batched_tensor import BatchedTensor, batched
from ..registry import Op, apply, get, set_batch_dispatch
from ..tensor import Tensor, _wrap, ndim_of, shape_of

Rule = Callable[[Op, list, list, dict], Any]

RULES: dict[str, Rule] = {}
"""The batching rule of each non-elementwise op, by name (elementwise ops share one)."""

PER_EXAMPLE = frozenset({
    "diag",  # NumPy's diag is for 1-d and 2-d arrays only
    "index_add", "setitem",  # (run by backward rules and in-place writes on unbatched data)
    "interp",  # knots xp as a parameter: one search per example
    "expm", "logm", "sqrtm",  # SciPy's matrix functions take one matrix
    "eig_vectors",  # the phase normalisation reads each example's vectors
})
"""Ops that run once per example inside vmap, deliberately (see the module docstring)."""

level_ids = itertools.count(1)


def _call(name: str, *args: Any, **params: Any) -> Tensor:
    return apply(get(name), *args, **params)


def _rank(v: Any, b: bool) -> int:
    """The number of axes of one example of ``v``."""
    return ndim_of(v) - 1 if b else ndim_of(v)


def _lift(v: Tensor, rank: int, to: int) -> Tensor:
    """Batched ``v`` (examples of ``rank`` axes) with unit axes after the batch axis, so
    its examples have ``to`` axes and broadcast as the examples would."""
    if rank >= to:
        return v
    shape = shape_of(v)
    return _call("reshape", v, shape=shape[:1] + (1,) * (to - rank) + shape[1:])


def elementwise(op: Op, values: list, batched: list, params: dict) -> Any:
    """Any elementwise op: the examples' axes aligned on the right as NumPy aligns them,
    the batch axis in front."""
    rank = max(_rank(v, b) for v, b in zip(values, batched))
    return apply(op, *[_lift(v, _rank(v, b), rank) if b else v
                       for v, b in zip(values, batched)], **params)


def _all_batched(values: list, batched: list) -> list:
    """Every value with the batch axis (an unbatched one broadcast along it)."""
    size = next(shape_of(v)[0] for v, b in zip(values, batched) if b)
    out = []
    for v, b in zip(values, batched):
        if not b:
            v = v if isinstance(v, Tensor) else _wrap(np.asarray(v))
            v = _call("broadcast_to", _call("unsqueeze", v, axis=0),
                      shape=(size,) + tuple(shape_of(v)))
        out.append(v)
    return out


def _shift(axis: Any, rank: int, none_is_all: bool = True) -> Any:
    """``axis`` of an example, as an axis of the batch (None: every axis of the example)."""
    if axis is None:
        return tuple(range(1, rank + 1)) if none_is_all else None
    if isinstance(axis, (tuple, list)):
        return tuple(int(a) % rank + 1 for a in axis)
    return int(axis) % rank + 1


def axis_rule(key: str = "axis") -> Rule:
    """Ops whose only shape parameter is ``key``, an axis or a tuple of them (reductions,
    cumsum, sort, softmax, flip; ``axes`` of the FFTs)."""
    def rule(op: Op, values: list, batched: list, params: dict) -> Any:
        (v,) = values
        if _rank(v, True) == 0:
            return NotImplemented  # (PyTorch lets axis 0 or -1 name a 0-d value's no axis)
        p = dict(params)
        p[key] = _shift(p.get(key), _rank(v, True))
        return apply(op, v, **p)
    return rule


def as_is(op: Op, values: list, batched: list, params: dict) -> Any:
    """Ops that treat leading axes as a batch already (one input: the matrix ops,
    astype, clone, triu/tril)."""
    return apply(op, *values, **params)


def _reshape(op: Op, values: list, batched: list, params: dict) -> Any:
    (v,) = values
    return apply(op, v, shape=shape_of(v)[:1] + tuple(params["shape"]))


def _relabel(op: Op, values: list, batched: list, params: dict) -> Any:
    """flatten, squeeze, unsqueeze: the example's new shape, computed on one example."""
    (v,) = values
    example = np.empty(shape_of(v)[1:], dtype=np.int8)
    shape = op.forward(example, **params).shape
    return _call("reshape", v, shape=shape_of(v)[:1] + shape)


def _permute(op: Op, values: list, batched: list, params: dict) -> Any:
    (v,) = values
    rank = _rank(v, True)
    return apply(op, v, axes=(0,) + tuple(int(a) % rank + 1 for a in params["axes"]))


def _broadcast_to(op: Op, values: list, batched: list, params: dict) -> Any:
    (v,) = values
    shape = tuple(params["shape"])
    v = _lift(v, _rank(v, True), len(shape))
    return apply(op, v, shape=shape_of(v)[:1] + shape)


def _sum_to(op: Op, values: list, batched: list, params: dict) -> Any:
    (v,) = values
    shape = tuple(params["shape"])
    rank = _rank(v, True)
    lead = rank - len(shape)
    # sum the example's extra leading axes first, then the broadcast ones
    if lead > 0:
        v = _call("sum", v, axis=tuple(range(1, lead + 1)))
    return apply(op, v, shape=shape_of(v)[:1] + shape)


def _is_array_index(i: Any) -> bool:
    return isinstance(i, (list, np.ndarray, Tensor))


def _getitem(op: Op, values: list, batched: list, params: dict) -> Any:
    """The example's index after a full slice of the batch axis. NumPy moves the axes of
    advanced indices that are not next to each other to the front, before the batch axis:
    such an index runs per example."""
    (v,) = values
    index = params["index"]
    if not isinstance(index, tuple):
        index = (index,)
    if any(_is_array_index(i) for i in index):
        advanced = [k for k, i in enumerate(index)
                    if _is_array_index(i) or isinstance(i, (int, np.integer))]
        if advanced[-1] - advanced[0] + 1 != len(advanced):
            return NotImplemented
    return apply(op, v, index=(slice(None),) + index)


def _concatenate(op: Op, values: list, batched: list, params: dict) -> Any:
    x, y = _all_batched(values, batched)
    return apply(op, x, y, axis=_shift(params["axis"], _rank(x, True)))


def _einsum(op: Op, values: list, batched: list, params: dict) -> Any:
    subscripts = params["subscripts"].replace(" ", "")
    if "..." in subscripts or "->" not in subscripts:
        return NotImplemented
    inputs, output = subscripts.split("->")
    free = next(c for c in "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA"
                if c not in subscripts)
    parts = inputs.split(",")
    parts = [free + s if b else s for s, b in zip(parts, batched)]
    return apply(op, *values, subscripts=",".join(parts) + "->" + free + output)


def _matmul(op: Op, values: list, batched: list, params: dict) -> Any:
    """matmul with 1-d examples made 2-d (else NumPy would read the batch axis as a matrix
    axis) and the examples' leading axes aligned."""
    (x, y), (bx, by) = values, batched
    rx, ry = _rank(x, bx), _rank(y, by)
    if bx and rx == 1:
        x = _call("unsqueeze", x, axis=-2)
    if by and ry == 1:
        y = _call("unsqueeze", y, axis=-1)
    rank = max(rx, ry, 2)
    if bx:
        x = _lift(x, max(rx, 2), rank)
    if by:
        y = _lift(y, max(ry, 2), rank)
    out = apply(op, x, y, **params)
    # the unit axes added above; NumPy drops the last axis for an unbatched 1-d y, so x's
    # unit axis is then the last one
    x_unit = -1 if not by and ry == 1 else -2
    unit = tuple(a for a, made in ((x_unit, bx and rx == 1), (-1, by and ry == 1)) if made)
    return _call("squeeze", out, axis=unit) if unit else out


def _solve(op: Op, values: list, batched: list, params: dict) -> Any:
    """solve(a, b) with a batched vector ``b`` made a one-column matrix (NumPy reads a 2-d
    ``b`` as one matrix) and the examples' leading axes aligned."""
    (a, b), (ba, bb) = values, batched
    ra, rb = _rank(a, ba), _rank(b, bb)
    column = bb and rb == 1
    if column:
        b, rb = _call("unsqueeze", b, axis=-1), 2
    rank = max(ra, rb)
    if ba:
        a = _lift(a, ra, rank)
    if bb:
        b = _lift(b, rb, rank)
    out = apply(op, a, b, **params)
    return _call("squeeze", out, axis=(-1,)) if column else out


def _trace(op: Op, values: list, batched: list, params: dict) -> Any:
    """np.trace sums the diagonal of an example's first two axes (axes 1 and 2 here)."""
    (v,) = values
    n = min(shape_of(v)[1:3])
    diagonal = _call("getitem", v, index=(slice(None), np.arange(n), np.arange(n)))
    return _call("sum", diagonal, axis=1)


def _per_example(op: Op, values: list, batched: list, params: dict) -> Any:
    """The op once per example, the results stacked (for ops with no rule)."""
    return _stack_first([apply(op, *example, **params)
                         for example in _examples(values, batched)])


def _examples(values: list, batched: list) -> list[list]:
    """``values`` for each example in turn: the batched ones indexed (recorded), the
    others as they are."""
    size = next(shape_of(v)[0] for v, b in zip(values, batched) if b)
    return [[_call("getitem", v, index=i) if b else v for v, b in zip(values, batched)]
            for i in range(size)]


def _stack_first(values: list) -> Tensor:
    """Values of one shape stacked along a new first axis (recorded)."""
    parts = [_call("unsqueeze", v if isinstance(v, Tensor) else _wrap(np.asarray(v)), axis=0)
             for v in values]
    out = parts[0]
    for p in parts[1:]:
        out = _call("concatenate", out, p, axis=0)
    return out


def _register() -> None:
    reduce_all = axis_rule()
    for name in ("sum", "mean", "amax", "amin", "prod", "logsumexp", "std", "var", "norm",
                 "max_dim", "min_dim", "cumsum", "cumprod", "sort", "softmax", "log_softmax"):
        RULES[name] = reduce_all
    for name in ("astype", "clone", "tril", "triu", "cholesky", "det", "inv", "logabsdet",
                 "eigh_vectors", "eigvals", "eigvalsh", "pinv", "qr_q", "qr_r", "svd_vectors",
                 "svdvals", "slogdet_sign"):
        RULES[name] = as_is
    RULES.update({
        "reshape": _reshape, "flatten": _relabel, "squeeze": _relabel,
        "unsqueeze": _relabel, "permute": _permute, "broadcast_to": _broadcast_to,
        "sum_to": _sum_to, "getitem": _getitem, "concatenate": _concatenate,
        "einsum": _einsum, "matmul": _matmul, "solve": _solve, "flip": reduce_all,
        "trace": _trace, "fft_c2c": axis_rule("axes"), "fft_resize": axis_rule("axes"),
    })


_register()


def rule_of(op: Op) -> Rule:
    """The batching rule ``op`` runs with inside vmap (the per-example loop if none)."""
    if op.elementwise:
        return elementwise
    return RULES.get(op.name, _per_example)


def _innermost(args: tuple | list) -> tuple[int, list, list]:
    """The innermost vmap level among ``args``, the arguments with that level's wrapper
    taken off, and which of them it batched."""
    level = max(a._level for a in args if isinstance(a, BatchedTensor))
    flags = [isinstance(a, BatchedTensor) and a._level == level for a in args]
    return level, [a._value if f else a for a, f in zip(args, flags)], flags


def dispatch(op: Op, args: tuple, params: dict) -> Tensor:
    """Run ``op`` on arguments some of which are BatchedTensors (``registry.apply``'s
    hook): the innermost vmap level's rule, the result wrapped at that level."""
    level, values, flags = _innermost(args)
    out = rule_of(op)(op, values, flags, params)
    if out is NotImplemented:
        out = _per_example(op, values, flags, params)
    return batched(out, level)


set_batch_dispatch(dispatch)


def active_levels() -> list[tuple[int, int]]:
    """The vmap levels running in this thread, outermost first: (level, batch size)."""
    return state.vmap_levels


# ------------------------------------------ functions without gradient (masks, indices)

def raw_elementwise(fn: Callable[..., Any], *args: Any) -> Tensor:
    """``fn`` (an elementwise NumPy function with no derivative: a comparison, a logical
    op) on values some of which may be BatchedTensors: per example, as NumPy would."""
    if not any(isinstance(a, BatchedTensor) for a in args):
        return _wrap(np.asarray(fn(*[a._data if isinstance(a, Tensor) else a for a in args])))
    level, values, flags = _innermost(args)
    rank = max(_rank(v, f) for v, f in zip(values, flags))
    values = [_lift(v, _rank(v, f), rank) if f else v for v, f in zip(values, flags)]
    return batched(raw_elementwise(fn, *values), level)


def raw_reduction(fn: Callable[..., Any], x: Tensor, axis: Any, keepdims: bool) -> Tensor:
    """``fn(data, axis=..., keepdims=...)`` (argmax, argmin) per example of a BatchedTensor."""
    assert isinstance(x, BatchedTensor)
    v = x._value
    rank = _rank(v, True)
    if axis is None:
        size = shape_of(v)[0]
        flat = _call("reshape", v, shape=(size, -1))
        out = raw_reduction(fn, flat, 1, False) if isinstance(flat, BatchedTensor) else \
            _wrap(np.asarray(fn(flat._data, axis=1)))
        if keepdims:
            out = _call("reshape", out, shape=(size,) + (1,) * rank)
        return batched(out, x._level)
    shifted = _shift(axis, rank)
    if isinstance(v, BatchedTensor):
        return batched(raw_reduction(fn, v, shifted, keepdims), x._level)
    return batched(_wrap(np.asarray(fn(v._data, axis=shifted, keepdims=keepdims))), x._level)


def _install_comparisons() -> None:
    """BatchedTensor's comparisons and logical operators: per example, no gradient (Python
    tries them first when the other operand is a plain Tensor, a subclass's privilege)."""
    binary = {"__eq__": np.equal, "__ne__": np.not_equal, "__lt__": np.less,
              "__le__": np.less_equal, "__gt__": np.greater, "__ge__": np.greater_equal,
              "__and__": np.bitwise_and, "__or__": np.bitwise_or}
    for name, fn in binary.items():
        def method(self: Tensor, other: Any, fn: Any = fn) -> Tensor:
            return raw_elementwise(fn, self, other)
        setattr(BatchedTensor, name, method)

    def invert(self: Tensor) -> Tensor:
        return raw_elementwise(np.invert, self)
    BatchedTensor.__invert__ = invert  # type: ignore[method-assign]


_install_comparisons()


def per_example_call(fn: Callable[..., Any], args: tuple, kwargs: dict | None = None) -> Any:
    """``fn(*args, **kwargs)`` (a pytree result) with BatchedTensors among the arguments'
    leaves, run once per example of the innermost vmap level and stacked: for functions
    whose rules or checks see one example's data (custom_jvp / custom_vjp rules, SciPy's
    forwards)."""
    leaves, treedef = _tree.flatten((args, kwargs or {}))
    level, values, flags = _innermost(leaves)
    outs: list[list] = []
    outdef: _tree.TreeDef | None = None
    for example in _examples(values, flags):
        ex_args, ex_kwargs = _tree.unflatten(treedef, example)
        items, outdef = _tree.flatten(fn(*ex_args, **ex_kwargs))
        outs.append(items)
    assert outdef is not None  # (size > 0: vmap refuses an empty batch)
    stacked = [batched(_stack_first([o[k] for o in outs]), level) for k in range(len(outs[0]))]
    return _tree.unflatten(outdef, stacked)


def any_true(mask: Tensor) -> bool:
    """Whether any element of any example of the boolean ``mask`` is true (for checks of
    input validity inside vmap, which look at every example at once)."""
    while isinstance(mask, BatchedTensor):
        mask = mask._value
    return bool(np.any(mask._data))


def per_example_inside_vmap(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` as it is, but run once per example when given BatchedTensors: for public
    functions that read their inputs' data to fix a constant (the phases NumPy gives
    eigenvectors, a rank), which differs between examples."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if state.vmap_levels and any(isinstance(a, BatchedTensor)
                                     for a in _tree.leaves((args, kwargs))):
            return per_example_call(fn, args, kwargs)
        return fn(*args, **kwargs)
    return wrapper

"""Custom differentiable functions, PyTorch style.

>>> import dualad as da
>>> class Cube(da.autograd.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x ** 3
...     @staticmethod
...     def backward(ctx, g):
...         (x,) = ctx.saved_tensors
...         return g * 3 * x ** 2
...     @staticmethod
...     def jvp(ctx, t):
...         return t * 3 * ctx.x ** 2
...     @staticmethod
...     def setup_context(ctx, inputs, output):
...         ctx.x = inputs[0]
>>> x = da.tensor(2.0, requires_grad=True)
>>> Cube.apply(x).backward(); x.grad
tensor(12.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from .._state import state
from ..registry import call, fit_to, note_fixed_view, rebase_views, stack_batch, strip_level
from ..tensor import Tensor, _wrap, bump_version, own_meta
from .grad_mode import no_grad
from .node import _FREED, _INFERENCE, Node, SavedTensor, edge_of


class FunctionCtx:
    """The ``ctx`` passed to ``forward``/``backward``/``jvp``."""

    def __init__(self) -> None:
        self._saved: list[SavedTensor] | None = []
        self._fn: type[Function] = Function  # the Function subclass called (set by apply)
        self.needs_input_grad: tuple = ()
        self._dirty: tuple = ()
        self._non_diff: tuple = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors: Any) -> None:
        self._saved = [SavedTensor(t) for t in tensors]

    def save_for_forward(self, *tensors: Any) -> None:
        self.saved_for_forward = tensors

    @property
    def saved_tensors(self) -> tuple:
        if self._saved is None:
            raise RuntimeError(_FREED)
        return tuple(s.get(self._node_name, i) for i, s in enumerate(self._saved))

    def _node_name(self) -> str:
        """The name of the Function's node, for errors (also when none was recorded)."""
        return f"{self._fn.__name__}Backward"

    def mark_dirty(self, *tensors: Tensor) -> None:
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        self._non_diff = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value


class FunctionNode(Node):
    """The graph node of one ``Function.apply`` call."""

    __slots__ = ("ctx", "out_meta", "num_outputs", "in_meta", "next_edges")

    def __init__(self, ctx: FunctionCtx, args: Sequence[Any], outs: list[Tensor]) -> None:
        self.ctx = ctx
        for a in args:
            if isinstance(a, Tensor) and a.is_inference():
                raise RuntimeError(_INFERENCE.format(op=ctx._fn.__name__))
        self.next_edges = tuple(edge_of(a) if isinstance(a, Tensor) else None for a in args)
        self._init_base()  # after the edges: a node's number is above its inputs' nodes'
        self.in_meta: list[tuple[tuple[int, ...], np.dtype] | None] = [
            (a._data.shape, a._data.dtype) if isinstance(a, Tensor) else None for a in args]
        self.out_meta = [(o._data.shape, o._data.dtype) for o in outs]
        self.num_outputs = len(outs)

    def name(self) -> str:
        return self.ctx._node_name()

    def apply(self, grads: list) -> list:
        if self.ctx._saved is None:
            raise RuntimeError(_FREED)
        result = self.ctx._fn.backward(self.ctx, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) != len(self.next_edges):
            raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                               f"gradients (expected {len(self.next_edges)}, got {len(result)})")
        cots: list[Tensor | None] = [None] * len(result)
        for i, (edge, c) in enumerate(zip(self.next_edges, result)):
            meta = self.in_meta[i]  # (None only where the edge is None: not a Tensor)
            if edge is None or c is None or meta is None:
                continue
            shape, dtype = meta
            if not isinstance(c, Tensor):
                c = _wrap(np.asarray(c, dtype=dtype))
            if c.shape != shape and not _sums_to(c.shape, shape):
                raise RuntimeError(f"function {self.name()} returned an invalid gradient at "
                                   f"index {i} - got {list(c.shape)} but expected shape "
                                   f"compatible with {list(shape)} (the input's shape, or a "
                                   "shape it broadcasts to, which is summed back)")
            cots[i] = fit_to(c, shape, dtype)
        return cots

    def check_versions(self) -> None:
        for i, s in enumerate(self.ctx._saved or ()):
            s.check(self.name, i)

    def release(self) -> None:
        if self.ctx._saved:
            self.ctx._saved = None


class Function:
    """Base class for custom ops with hand-written ``forward``/``backward`` (and ``jvp``).

    ``forward(ctx, *args)`` runs without recording; ``backward(ctx, *grads)``
    returns one gradient per input (None where there is none);
    ``jvp(ctx, *tangents)`` gives forward mode. Call with ``MyFn.apply(...)``.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Any:
        raise NotImplementedError("subclasses of dualad.autograd.Function define forward")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        raise NotImplementedError("subclasses of dualad.autograd.Function define backward")

    if TYPE_CHECKING:  # optional: defined by the subclasses that want them (apply looks)
        @staticmethod
        def jvp(ctx: FunctionCtx, *tangents: Any) -> Any: ...

        @staticmethod
        def setup_context(ctx: FunctionCtx, inputs: tuple, output: Any) -> None: ...

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        ctx = FunctionCtx()
        ctx._fn = cls
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad_flag
                                     for a in args)
        levels = _dual_levels(args)
        level = max(levels) if levels else None
        if level is not None and "jvp" not in _all_attrs(cls):
            raise RuntimeError(f"{cls.__name__} has no jvp: define "
                               "@staticmethod jvp(ctx, *tangents) to use it in forward mode")
        if len(levels) > 1:
            raise RuntimeError(f"{cls.__name__}: a custom Function supports one dual level at a "
                               "time, but its inputs carry tangents of several nested levels; "
                               "express it with dualad ops (or register an Op) to nest "
                               "forward mode")
        call_args = [strip_level(a, level) if level is not None and isinstance(a, Tensor)
                     else a for a in args]
        versions = [a._version if isinstance(a, Tensor) else None for a in call_args]
        with no_grad():
            raw = [a.detach() if isinstance(a, Tensor) else a for a in call_args]
            result = cls.forward(ctx, *raw, **kwargs)
            if "setup_context" in _all_attrs(cls):
                cls.setup_context(ctx, tuple(raw), result)
        record = state.grad_enabled and any(ctx.needs_input_grad)
        if record:
            _save_callers_inputs(ctx, raw, args)
        single = not isinstance(result, tuple)
        outs = [result] if single else list(result)
        outs = [o if isinstance(o, Tensor) else _wrap(np.asarray(o)) for o in outs]
        outs = [_fresh_output(o, ctx, raw, call_args, versions, cls.__name__) for o in outs]
        if record:
            node = FunctionNode(ctx, call_args, outs)
            non_diff = {id(t) for t in ctx._non_diff}
            for nr, o in enumerate(outs):
                if id(o) in non_diff or o._data.dtype.kind not in "fc":
                    continue
                o.grad_fn = node
                o.requires_grad_flag = True
                if len(outs) > 1:
                    own_meta(o).output_nr = nr
        _relink(ctx, raw, call_args)
        if level is not None:
            _push_tangents(cls, ctx, args, outs, level, single)
        _relink(ctx, call_args, args)
        for o in outs:  # an input modified in place and returned: its views follow it
            if o._vc is not None and o._vc.views and any(o is a for a in call_args):
                rebase_views(o, record)
        return outs[0] if single else tuple(outs)


def _sums_to(have: tuple, shape: tuple) -> bool:
    """Whether a gradient of shape ``have`` is ``shape`` broadcast (so summing undoes it).

    A smaller gradient is not stretched: ``(1,)`` for an input of shape ``(2,)`` is a bug in
    the backward, not a broadcast, and PyTorch refuses it too.
    """
    try:
        return np.broadcast_shapes(have, shape) == tuple(have)
    except ValueError:
        return False


def _fresh_output(o: Tensor, ctx: FunctionCtx, raw: list, args: list, versions: list,
                  name: str) -> Tensor:
    """The tensor to return for output ``o`` of ``forward``.

    An input modified in place and marked dirty is returned itself (its version bumped
    once: by the in-place op in forward, or here if forward wrote its data otherwise, as
    ``versions``, taken before forward, tell; it takes the new node as history, as after
    any in-place op). Any other output that is an input, or a view of one, is a view of
    that input (sharing its storage and version counter) that a recorded in-place op on
    the input refuses to leave stale (``registry.note_fixed_view``).
    """
    dirty = {id(t) for t in ctx._dirty}
    for r, a, version in zip(raw, args, versions):
        if not isinstance(a, Tensor) or not (o is r or o is a or o._data is a._data):
            continue
        if id(r) in dirty or id(a) in dirty or id(o) in dirty:
            if state.grad_enabled and a.requires_grad_flag and a.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an "
                                   "in-place operation (an input marked dirty by "
                                   "ctx.mark_dirty). Pass a clone of it instead.")
            if a._version == version:
                bump_version(a)
            return a
        out = _wrap(o._data)
        note_fixed_view(out, a, name)
        return out
    if o._is_view():  # a view of an input, taken in forward
        for a in args:
            if isinstance(a, Tensor) and np.may_share_memory(o._data, a._data):
                note_fixed_view(o, a, name)
                break
    return o


def _save_callers_inputs(ctx: FunctionCtx, raw: list, args: tuple) -> None:
    """An input saved for backward is saved as the caller's tensor (with its history and
    tangents), as in PyTorch, so that ``backward`` can be differentiated again (grad of
    grad, forward-over-reverse); ``forward`` itself only ever sees detached inputs."""
    if not ctx._saved:
        return
    callers = {id(r): a for r, a in zip(raw, args) if isinstance(a, Tensor)}
    ctx._saved = [SavedTensor(callers[id(s.tensor)])
                  if s.tensor is not None and id(s.tensor) in callers else s
                  for s in ctx._saved]


def _relink(ctx: FunctionCtx, old: list, new: Sequence) -> None:
    """Inputs kept as ``ctx`` attributes (``ctx.x = x``, also in a tuple) become ``new``'s.

    ``forward`` sees detached inputs, but as in PyTorch an input stored on ``ctx``
    must be the caller's tensor, so that ``jvp`` and ``backward`` computed from it
    can be differentiated again: ``jvp`` sees it as a constant of its own dual
    level (``call_args``), ``backward`` as the caller passed it.
    """
    swap = {id(o): n for o, n in zip(old, new) if isinstance(o, Tensor) and o is not n}
    if not swap:
        return
    for name, v in vars(ctx).items():
        if name.startswith("_"):
            continue
        if isinstance(v, Tensor) and id(v) in swap:
            setattr(ctx, name, swap[id(v)])
        elif isinstance(v, (tuple, list)) and any(id(e) in swap for e in v
                                                  if isinstance(e, Tensor)):
            setattr(ctx, name, type(v)(swap.get(id(e), e) if isinstance(e, Tensor) else e
                                       for e in v))


def _dual_levels(args: tuple) -> set:
    """The active dual levels at which the tensors of ``args`` carry tangents."""
    return {lv for a in args if isinstance(a, Tensor) and a._tangents for lv in a._tangents
            if lv in state.levels}


def _push_tangents(cls: type[Function], ctx: FunctionCtx, args: tuple, outs: list, level: int,
                   single: bool) -> None:
    """Run ``cls.jvp`` on the inputs' tangents at ``level`` and attach the results.

    At a batched level the user's ``jvp`` runs once per batch element (it was
    written for unbatched tangents) and the results are stacked.
    """
    tangents = [a._tangents.get(level) if isinstance(a, Tensor) and a._tangents else None
                for a in args]
    batch = state.level_batch.get(level)

    def run(select: Callable[[Tensor], Tensor]) -> list[Tensor | None]:
        ts = [select(t) if t is not None else (_wrap(np.zeros_like(a._data))
                                               if isinstance(a, Tensor) else None)
              for t, a in zip(tangents, args)]
        return _checked_tangents(cls.jvp(ctx, *ts), outs, single, cls.__name__)

    if batch is None:
        touts = run(lambda t: t)
    else:
        per = [run(partial(call, "getitem", index=b)) for b in range(batch)]
        touts = [stack_batch([p[k] for p in per], o._data.shape, o._data.dtype)
                 for k, o in enumerate(outs)]
    for o, t in zip(outs, touts):
        if t is not None:
            o._tangents = {**(o._tangents or {}), level: t}


def _checked_tangents(touts: Any, outs: list, single: bool, name: str) -> list:
    """``jvp``'s results as Tensors, one per output, each of its output's shape."""
    touts = [touts] if single else list(touts) if isinstance(touts, (tuple, list)) else [touts]
    if len(touts) != len(outs):
        raise RuntimeError(f"{name}.jvp returned {len(touts)} tangent(s) but forward returned "
                           f"{len(outs)} output(s); return one tangent (or None) per output")
    for k, (t, o) in enumerate(zip(touts, outs)):
        if t is not None and not isinstance(t, Tensor):
            t = touts[k] = _wrap(np.asarray(t))
        if t is not None and t.shape != o.shape:
            raise RuntimeError(f"{name}.jvp returned a tangent of shape {tuple(t.shape)} for "
                               f"output {k} of shape {tuple(o.shape)}; each tangent must have "
                               "its output's shape")
    return touts


def _all_attrs(cls: type) -> set:
    return {k for c in cls.__mro__ if c is not Function for k in c.__dict__}

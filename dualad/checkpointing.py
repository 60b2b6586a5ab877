"""Activation checkpointing: ``checkpoint(fn, *args)`` recomputes ``fn`` in the backward pass.

As ``torch.utils.checkpoint.checkpoint``: the forward runs ``fn`` without
recording, so nothing computed inside is kept (only the inputs); the backward
runs ``fn`` again with recording and pulls the incoming cotangents back
through that fresh graph. The gradients are those of the plain run, bit for
bit (the same ops on the same values); the cost is one more forward of ``fn``.
Checkpointing ``n`` steps in segments of ``√n`` keeps ``O(√n)`` activations
instead of ``O(n)``.

>>> import dualad as da
>>> x = da.tensor([0.5, 1.0], requires_grad=True)
>>> y = da.checkpoint(lambda v: da.sin(v) * v, x)
>>> y.sum().backward()
>>> x.grad.numpy().round(6).tolist()
[0.918217, 1.381773]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import creation, tree
from ._methods import differentiated_by
from ._state import state
from .autograd.engine import grad as _engine_grad
from .autograd.function import Function, FunctionCtx
from .autograd.grad_mode import enable_grad
from .tensor import Tensor, _wrap

__all__ = ["checkpoint"]


class _Box:
    """One checkpointed call: the function, its arguments' structure, the RNG state."""

    __slots__ = ("fn", "treedef", "leaves", "kwargs", "rng", "outdef", "watched")

    def __init__(self, fn: Callable, treedef: tree.TreeDef, leaves: list, kwargs: dict,
                 rng: Any) -> None:
        self.fn, self.treedef, self.leaves, self.kwargs, self.rng = (fn, treedef, leaves,
                                                                     kwargs, rng)
        self.outdef: tree.TreeDef | None = None
        self.watched = False  # a transform differentiates the inputs: conversions must raise


def _with(leaves: list, tensors: Any) -> list:
    it = iter(tensors)
    return [next(it) if isinstance(x, Tensor) else x for x in leaves]


def _run(box: _Box, tensors: Any) -> tuple[list, tree.TreeDef]:
    out = box.fn(*tree.unflatten(box.treedef, _with(box.leaves, tensors)), **box.kwargs)
    outs, outdef = tree.flatten(out)
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(f"checkpoint: the function must return Tensors (or a pytree of "
                            f"them), got {type(o).__name__} as output leaf {k}")
    return outs, outdef


class _Checkpoint(Function):
    @staticmethod
    def forward(ctx: FunctionCtx, box: _Box, *tensors: Tensor) -> tuple:
        vars(ctx)["_box"] = box
        ctx.save_for_backward(*tensors)  # (the caller's tensors, with their history)
        outs, box.outdef = _run(box, tensors)  # not recorded: forward runs under no_grad
        return tuple(outs)

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Tensor) -> tuple:
        box: _Box = vars(ctx)["_box"]
        create = state.grad_enabled  # (True in a create_graph backward)
        saved = ctx.saved_tensors
        # first order: fresh leaves (the recomputed graph ends there); create_graph: the
        # caller's tensors themselves, so the gradient's graph reaches their history
        inputs = list(saved) if create else [
            _wrap(x._data).requires_grad_(x.requires_grad_flag) for x in saved]
        gen = creation.generator()
        current = gen.bit_generator.state
        if box.rng is not None:
            gen.bit_generator.state = box.rng
        running = state.transforms
        if box.watched:  # as in the plain run, converting a differentiated value raises
            running.append(("checkpoint", inputs, None))
        try:
            with enable_grad():
                outs, _ = _run(box, inputs)
        finally:
            if box.watched:
                running.pop()
            if box.rng is not None:
                gen.bit_generator.state = current
        pairs = [(o, g) for o, g in zip(outs, grads) if o.requires_grad_flag and g is not None]
        wanted = [k for k, x in enumerate(inputs) if x.requires_grad_flag]
        result: list = [None] * len(inputs)
        if pairs and wanted:
            got = _engine_grad([o for o, _ in pairs], [inputs[k] for k in wanted],
                               [g for _, g in pairs], create_graph=create, allow_unused=True)
            for k, g in zip(wanted, got):
                result[k] = g if g is not None else _wrap(np.zeros_like(inputs[k]._data))
        return (None,) + tuple(result)


def checkpoint(fn: Callable, *args: Any, preserve_rng_state: bool = True,
               **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` without storing its activations: the backward recomputes them.

    ``args`` may be pytrees; their Tensor leaves are differentiated (keyword
    arguments are passed through as constants). With ``preserve_rng_state``
    the recomputation sees the random state the forward saw (dropout draws
    the same mask). ``fn`` must compute the same thing twice: no side
    effects that change its result. Outside reverse mode (no input requires
    grad, or under ``no_grad``) and in forward mode (an input carries a
    tangent) this is just ``fn(*args, **kwargs)``.

    >>> import dualad as da
    >>> w = da.tensor(2.0, requires_grad=True)
    >>> h = da.tensor(1.0)
    >>> for _ in range(3):               # three checkpointed segments
    ...     h = da.checkpoint(lambda v, w: da.tanh(v * w), h, w)
    >>> h.backward(); round(w.grad.item(), 6)
    0.094272
    """
    if not callable(fn):
        raise TypeError(f"checkpoint: the first argument must be the function to run, got "
                        f"{type(fn).__name__}")
    leaves, treedef = tree.flatten(args)
    tensors = [x for x in leaves if isinstance(x, Tensor)]
    levels = set(state.levels)
    if (not state.grad_enabled or not any(x.requires_grad_flag for x in tensors)
            or any(x._tangents and levels.intersection(x._tangents) for x in tensors)):
        return fn(*args, **kwargs)
    rng = creation.generator().bit_generator.state if preserve_rng_state else None
    box = _Box(fn, treedef, leaves, kwargs, rng)
    # inside a dualad.func transform that differentiates the inputs, a conversion to a
    # number in fn raises in the plain run; the recomputation raises too (the first run
    # sees detached values, it cannot tell)
    box.watched = bool(state.transforms) and any(
        differentiated_by(x) is not None for x in tensors)
    outs = _Checkpoint.apply(box, *tensors)
    assert box.outdef is not None
    return tree.unflatten(box.outdef, list(outs))

"""Custom derivative rules as decorators, in JAX's form: ``custom_jvp`` and ``custom_vjp``.

``@custom_jvp`` gives a function a forward-mode rule, ``f.defjvp(rule)`` with
``rule(primals, tangents) -> (out, tangent_out)``; reverse mode follows by
transposing the rule (it must be linear in the tangents, written with dualad
ops), so one rule serves ``jvp``, ``jacfwd``, ``grad``, ``jacrev``, ``hessian``
and any nesting. ``@custom_vjp`` gives a reverse-mode rule,
``f.defvjp(fwd, bwd)`` with ``fwd(*args) -> (out, residuals)`` and
``bwd(residuals, g) -> tuple`` of one cotangent per argument; as in JAX it
has no forward mode (use ``custom_jvp`` for that), and
``custom_vjp(f, nondiff_argnums=(i, ...))`` makes arguments static (functions,
numbers, options): ``fwd`` takes every argument, ``bwd(*static, residuals, g)``
receives them first and returns cotangents for the other arguments only. Arguments and outputs may
be pytrees (:mod:`dualad.tree`); leaves that are Tensors are differentiated.

Higher orders work when the rules are written with dualad ops: the residuals
of ``fwd`` keep their history, ``bwd`` and the tangent part of a JVP rule are
recorded like any other computation.

>>> import dualad as da
>>> from dualad import func
>>> @func.custom_jvp
... def softplus(x):
...     return da.log1p(da.exp(x))
>>> @softplus.defjvp
... def softplus_jvp(primals, tangents):
...     (x,), (t,) = primals, tangents
...     return softplus(x), t * da.sigmoid(x)
>>> float(func.grad(softplus)(0.0))
0.5
>>> round(float(func.grad(func.grad(softplus))(0.0)), 6)  # sigmoid'(0) = 1/4
0.25
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from . import tree
from ._state import state
from .autograd.engine import grad as _engine_grad
from .autograd.function import Function, FunctionCtx
from .autograd.grad_mode import enable_grad
from .forward_ad import make_dual
from .ops.vmap_rules import per_example_inside_vmap
from .registry import call, stack_batch, strip_level
from .tensor import Tensor, _wrap

__all__ = ["custom_jvp", "custom_vjp"]


def _active_levels(leaves: list) -> list[int]:
    """The active dual levels the Tensor leaves carry tangents at, outermost first."""
    found = {lv for x in leaves if isinstance(x, Tensor) and x._tangents for lv in x._tangents}
    return [lv for lv in state.levels if lv in found]


def _needs_grad(leaves: list) -> bool:
    return state.grad_enabled and any(isinstance(x, Tensor) and x.requires_grad_flag
                                      for x in leaves)


def _tensor_out(o: Any, name: str, what: str) -> Tensor:
    if isinstance(o, Tensor):
        return o
    if isinstance(o, (np.ndarray, np.generic, int, float)) and not isinstance(o, bool):
        return _wrap(np.asarray(o, dtype=np.result_type(o, np.float64)))
    raise TypeError(f"{name}: {what} must be Tensors (or pytrees of them), got "
                    f"{type(o).__name__}")


def _zero_like(x: Any) -> Tensor | None:
    """A zero tangent for a leaf (None for a leaf that is no number or array)."""
    if isinstance(x, Tensor):
        return _wrap(np.zeros_like(x._data))
    if isinstance(x, (np.ndarray, np.generic, int, float)) and not isinstance(x, bool):
        return _wrap(np.zeros_like(np.asarray(x, dtype=np.result_type(x, np.float64))))
    return None


class _Box:
    """What one call hands to its Function node (Functions are classes, not closures)."""

    outdef: Any
    outs: Any

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)

    def __getattr__(self, name: str) -> Any:  # (typing: the fields are set by __init__)
        raise AttributeError(name)


def _pair(result: Any, name: str, what: str) -> tuple[Any, Any]:
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(f"{name}: {what} must return a pair, got {type(result).__name__}")
    return result[0], result[1]


# ------------------------------------------------------------------------- custom_jvp

class custom_jvp:  # noqa: N801  (JAX's name)
    """A function with a custom forward-mode rule; see the module docstring.

    >>> import dualad as da
    >>> from dualad import func
    >>> @func.custom_jvp
    ... def f(x):
    ...     return da.sin(x)
    >>> @f.defjvp
    ... def f_jvp(primals, tangents):
    ...     return f(primals[0]), 2.0 * tangents[0]   # a deliberately different rule
    >>> float(func.jvp(f, (0.3,), (1.0,))[1]), float(func.grad(f)(0.3))
    (2.0, 2.0)
    """

    def __init__(self, fun: Callable) -> None:
        if not callable(fun):
            raise TypeError(f"custom_jvp: expected a function, got {type(fun).__name__}")
        self.fun = fun
        self.jvp_rule: Callable | None = None
        functools.update_wrapper(self, fun)

    def defjvp(self, jvp: Callable) -> Callable:
        """Set the rule ``jvp(primals, tangents) -> (out, tangent_out)``; returns it."""
        if not callable(jvp):
            raise TypeError(f"{self._name()}.defjvp: expected a function, got "
                            f"{type(jvp).__name__}")
        self.jvp_rule = jvp
        return jvp

    def _name(self) -> str:
        return f"custom_jvp {getattr(self.fun, '__name__', 'f')}"

    @per_example_inside_vmap  # (the rules see one example's values)
    def __call__(self, *args: Any) -> Any:
        if self.jvp_rule is None:
            raise TypeError(f"{self._name()}: no rule yet; define one with "
                            "@f.defjvp def f_jvp(primals, tangents): ... before calling f")
        leaves, treedef = tree.flatten(args)
        return self._call(args, leaves, treedef, leaves)

    def _call(self, args: tuple, leaves: list, treedef: tree.TreeDef, originals: list) -> Any:
        """``f(*args)`` with its derivatives at every active level and in reverse mode.
        ``originals`` are the caller's leaves (with every tangent): the reverse rule is
        evaluated at them, so a forward level over reverse mode sees its derivative."""
        levels = _active_levels(leaves)
        if levels:
            return self._forward(leaves, treedef, levels[-1], originals)
        if _needs_grad(leaves):
            return self._reverse(leaves, treedef, originals)
        return self.fun(*args)

    def _rule(self, primals: tuple, tangents: tuple, outdef: tree.TreeDef,
              outs: list[Tensor]) -> list[Tensor]:
        """The rule's tangent outputs, one per output leaf, checked against ``outs``."""
        assert self.jvp_rule is not None
        _, tout = _pair(self.jvp_rule(primals, tangents), self._name(), "the jvp rule")
        touts = tree.flatten_up_to(outdef, tout, f"{self._name()}: the rule's tangent output "
                                   "and the function's output")
        checked = [_tensor_out(t, self._name(), "tangent outputs") for t in touts]
        for k, (o, t) in enumerate(zip(outs, checked)):
            if t.shape != o.shape:
                raise ValueError(f"{self._name()}: the rule's tangent output {k} has shape "
                                 f"{tuple(t.shape)} but the output has shape {tuple(o.shape)}")
        return checked

    def _forward(self, leaves: list, treedef: tree.TreeDef, level: int, originals: list
                 ) -> Any:
        """Innermost level ``level``: the primal by a call at the outer levels (and reverse
        mode), the tangent by the rule at the primals stripped of this level."""
        stripped = [strip_level(x, level) if isinstance(x, Tensor) else x for x in leaves]
        primals = tree.unflatten(treedef, stripped)
        out = self._call(primals, stripped, treedef, originals)
        outs, outdef = tree.flatten(out)
        outs = [_tensor_out(o, self._name(), "outputs") for o in outs]
        tangents = [x._tangents.get(level) if isinstance(x, Tensor) and x._tangents else None
                    for x in leaves]
        batch = state.level_batch.get(level)

        def run(select: Callable[[Tensor], Tensor]) -> list[Tensor]:
            ts = [select(t) if t is not None else _zero_like(x)
                  for t, x in zip(tangents, stripped)]
            return self._rule(primals, tree.unflatten(treedef, ts), outdef, outs)

        if batch is None:  # (a batched level: the rule, written for one tangent, runs per row)
            touts = run(lambda t: t)
        else:
            rows = [run(partial(call, "getitem", index=b)) for b in range(batch)]
            touts = []
            for k, o in enumerate(outs):
                stacked = stack_batch([r[k] for r in rows], o._data.shape, o._data.dtype)
                assert stacked is not None  # batch >= 1 rows
                touts.append(stacked)
        return tree.unflatten(outdef, [make_dual(o, t, level=level) if o.dtype.kind in "fc"
                                       else o for o, t in zip(outs, touts)])

    def _reverse(self, leaves: list, treedef: tree.TreeDef, originals: list) -> Any:
        box = _Box(owner=self, treedef=treedef, leaves=leaves, outdef=None,
                   originals=[x for x in originals if isinstance(x, Tensor)])
        tensors = [x for x in leaves if isinstance(x, Tensor)]
        outs = _JVPTransposed.apply(box, *tensors)
        return tree.unflatten(box.outdef, list(outs))


def _with_tensors(leaves: list, tensors: Any) -> list:
    """``leaves`` with its Tensor leaves replaced, in order, by ``tensors``."""
    it = iter(tensors)
    return [next(it) if isinstance(x, Tensor) else x for x in leaves]


class _JVPTransposed(Function):
    """Reverse mode of a ``custom_jvp``: the rule's tangent output is linear in the tangents,
    so its transpose applied to ``g`` is the gradient of ``<g, rule(x, t)>`` in ``t``."""

    @staticmethod
    def forward(ctx: FunctionCtx, box: _Box, *tensors: Tensor) -> tuple:
        vars(ctx)["_box"] = box  # (box.originals: the caller's tensors, history and tangents)
        out = box.owner.fun(*tree.unflatten(box.treedef, _with_tensors(box.leaves, tensors)))
        outs, box.outdef = tree.flatten(out)
        box.outs = [_tensor_out(o, box.owner._name(), "outputs") for o in outs]
        return tuple(box.outs)

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Tensor) -> tuple:
        box: _Box = vars(ctx)["_box"]
        create = state.grad_enabled  # (True in a create_graph backward)
        xs = box.originals
        with enable_grad():
            ts = [_wrap(np.zeros_like(x._data)).requires_grad_() for x in xs]
            primals = tree.unflatten(box.treedef, _with_tensors(box.leaves, xs))
            zeros = [_zero_like(x) if not isinstance(x, Tensor) else None for x in box.leaves]
            it = iter(ts)
            tangents = tree.unflatten(box.treedef, [next(it) if isinstance(x, Tensor) else z
                                                    for x, z in zip(box.leaves, zeros)])
            touts = box.owner._rule(primals, tangents, box.outdef, box.outs)
            pairs = [(t, g) for t, g in zip(touts, grads) if t.requires_grad_flag
                     and g is not None]
            if not pairs:
                return (None,) + tuple(None for _ in xs)
            out = _engine_grad([t for t, _ in pairs], ts, [g for _, g in pairs],
                               retain_graph=create, create_graph=create, allow_unused=True)
        return (None,) + tuple(out)


# ------------------------------------------------------------------------- custom_vjp

class custom_vjp:  # noqa: N801  (JAX's name)
    """A function with a custom reverse-mode rule; see the module docstring.

    >>> import dualad as da
    >>> from dualad import func
    >>> @func.custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> def fwd(x):
    ...     return x, None
    >>> def bwd(res, g):
    ...     return (da.clip(g, -1.0, 1.0),)
    >>> clip_gradient.defvjp(fwd, bwd)
    >>> float(func.grad(lambda x: 5.0 * clip_gradient(x))(2.0))
    1.0

    ``nondiff_argnums`` (JAX's keyword) names static arguments, passed to ``bwd``
    first; ``bwd`` returns cotangents for the other arguments only:

    >>> from functools import partial
    >>> @partial(func.custom_vjp, nondiff_argnums=(0,))
    ... def apply(fn, x):
    ...     return fn(x)
    >>> apply.defvjp(lambda fn, x: (fn(x), x), lambda fn, x, g: (2.0 * g,))
    >>> float(func.grad(lambda x: apply(da.sin, x))(0.3))
    2.0
    """

    def __init__(self, fun: Callable, nondiff_argnums: tuple[int, ...] = ()) -> None:
        if not callable(fun):
            raise TypeError(f"custom_vjp: expected a function, got {type(fun).__name__}")
        if isinstance(nondiff_argnums, (int, np.integer)) and not isinstance(nondiff_argnums,
                                                                               bool):
            nondiff_argnums = (int(nondiff_argnums),)
        if not isinstance(nondiff_argnums, (tuple, list)) or any(
                isinstance(i, bool) or not isinstance(i, (int, np.integer))
                for i in nondiff_argnums):
            raise TypeError("custom_vjp: nondiff_argnums must be a tuple of ints, got "
                            f"{nondiff_argnums!r}")
        if len(set(nondiff_argnums)) != len(nondiff_argnums):
            raise ValueError(f"custom_vjp: nondiff_argnums={tuple(nondiff_argnums)!r} repeats "
                             "an index")
        self.fun = fun
        self.nondiff_argnums = tuple(int(i) for i in nondiff_argnums)
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None
        self._in_fwd = 0  # inside fwd, a call of f itself is the undecorated function
        functools.update_wrapper(self, fun)

    def defvjp(self, fwd: Callable, bwd: Callable) -> None:
        """Set ``fwd(*args) -> (out, residuals)`` and ``bwd(residuals, g) -> tuple`` of one
        cotangent (or None) per argument, each in its argument's structure. With
        ``nondiff_argnums``, ``bwd(*static_args, residuals, g)`` returns one per other
        argument."""
        if not callable(fwd) or not callable(bwd):
            raise TypeError(f"{self._name()}.defvjp: fwd and bwd must be functions")
        self.fwd, self.bwd = fwd, bwd

    def _name(self) -> str:
        return f"custom_vjp {getattr(self.fun, '__name__', 'f')}"

    @per_example_inside_vmap  # (the rules see one example's values)
    def __call__(self, *args: Any) -> Any:
        if self.fwd is None:
            raise TypeError(f"{self._name()}: no rule yet; call f.defvjp(fwd, bwd) before "
                            "calling f")
        if self._in_fwd:
            return self.fun(*args)
        static = self._static(args)
        diff_args = tuple(a for i, a in enumerate(args) if i not in static)
        leaves, treedef = tree.flatten(diff_args)
        if _active_levels(leaves):
            raise TypeError(f"{self._name()}: a custom_vjp function has a reverse-mode rule only "
                            "(as in JAX), but it is called in forward mode (jvp, jacfwd, "
                            "hessian = jacfwd(jacrev)); define it with custom_jvp instead, which "
                            "serves both modes, or use jacrev(jacrev(f)) for second order")
        if not _needs_grad(leaves):
            return self.fun(*args)
        self._in_fwd += 1
        try:
            with enable_grad():  # the residuals keep their history: bwd can be differentiated
                out, res = _pair(self.fwd(*args), self._name(), "fwd")
        finally:
            self._in_fwd -= 1
        outs, outdef = tree.flatten(out)
        outs = [_tensor_out(o, self._name(), "outputs") for o in outs]
        box = _Box(owner=self, res=res, treedef=treedef, leaves=leaves, outdef=outdef,
                   outs=outs, nargs=len(diff_args),
                   static=tuple(args[i] for i in static))
        results = _VJPRule.apply(box, *[x for x in leaves if isinstance(x, Tensor)])
        return tree.unflatten(outdef, list(results))

    def _static(self, args: tuple) -> list[int]:
        """The positions of the static arguments in this call, in the order of
        ``nondiff_argnums`` (``bwd`` receives them so, as in JAX), checked: a static
        argument holding a Tensor being differentiated would lose its derivative silently."""
        static = []
        for i in self.nondiff_argnums:
            if not -len(args) <= i < len(args):
                raise ValueError(f"{self._name()}: nondiff_argnums={self.nondiff_argnums!r} "
                                 f"but it was called with {len(args)} argument(s)")
            static.append(i % len(args))
        if len(set(static)) != len(static):
            raise ValueError(f"{self._name()}: nondiff_argnums={self.nondiff_argnums!r} names "
                             "one argument twice")
        for i in static:
            leaves = tree.leaves(args[i]) if tree_safe(args[i]) else [args[i]]
            if _needs_grad(leaves) or _active_levels(leaves):
                raise TypeError(f"{self._name()}: argument {i} is in nondiff_argnums but holds "
                                "a Tensor being differentiated, whose derivative would be "
                                "lost; pass it as an ordinary argument (bwd may return None "
                                "for it), or detach it")
        return static


def tree_safe(x: Any) -> bool:
    """Whether ``x`` can be walked as a pytree (a static argument may be any object)."""
    try:
        tree.structure(x)
    except TypeError:
        return False
    return True


class _VJPRule(Function):
    """The node of one ``custom_vjp`` call: its backward is the user's ``bwd``."""

    @staticmethod
    def forward(ctx: FunctionCtx, box: _Box, *tensors: Tensor) -> tuple:
        vars(ctx)["_box"] = box
        return tuple(o.detach() for o in box.outs)

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Tensor) -> tuple:
        box: _Box = vars(ctx)["_box"]
        owner = box.owner
        g = tree.unflatten(box.outdef, [gr if gr is not None else _wrap(np.zeros_like(o._data))
                                        for gr, o in zip(grads, box.outs)])
        result = owner.bwd(*box.static, box.res, g)
        if not isinstance(result, (tuple, list)) or len(result) != box.nargs:
            which = "argument" if not box.static else "argument not in nondiff_argnums"
            raise TypeError(f"{owner._name()}: bwd must return a tuple of {box.nargs} "
                            f"cotangent(s), one per {which}, got {type(result).__name__}"
                            + (f" of {len(result)}" if isinstance(result, (tuple, list))
                               else ""))
        pieces: list = []
        for k, (arg_def, r) in enumerate(zip(box.treedef.children, result)):
            if r is None:
                pieces.extend([None] * arg_def.num_leaves)
            else:
                pieces.extend(tree.flatten_up_to(arg_def, r, f"{owner._name()}: bwd's "
                                                 f"cotangent {k} and argument {k}"))
        out = []
        for x, c in zip(box.leaves, pieces):
            if isinstance(x, Tensor):
                out.append(None if c is None else _tensor_out(c, owner._name(),
                                                               "bwd's cotangents"))
        return (None,) + tuple(out)

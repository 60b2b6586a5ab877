"""Graph nodes: the reverse-mode record of one op application.

A node knows its inputs' gradient edges (``next_functions``), the tensors it
saved for its rules (checked against their version counters), and how to
turn the gradient of its output(s) into one cotangent per input. Nodes hold
no op knowledge: an :class:`OpNode` calls its op's registered rules.
"""

from __future__ import annotations

import weakref
from typing import Any

from .._state import sequence_ids, state
from ..tensor import Tensor, _wrap


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list, hook: Any) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class Node:
    """Base of all graph nodes (``grad_fn`` objects)."""

    __slots__ = ("next_edges", "seq", "_prehooks", "_posthooks", "_retained", "trace",
                 "__weakref__")
    num_outputs = 1

    def name(self) -> str:
        return type(self).__name__

    @property
    def next_functions(self) -> tuple:
        return tuple((None, 0) if e is None else e for e in self.next_edges)

    def register_prehook(self, hook) -> RemovableHandle:
        if self._prehooks is None:
            self._prehooks = []
        self._prehooks.append(hook)
        return RemovableHandle(self._prehooks, hook)

    def register_hook(self, hook) -> RemovableHandle:
        """``hook(grad_inputs, grad_outputs)`` after this node's backward runs."""
        if self._posthooks is None:
            self._posthooks = []
        self._posthooks.append(hook)
        return RemovableHandle(self._posthooks, hook)

    def _retain(self, tensor: Tensor) -> None:
        if self._retained is None:
            self._retained = []
        self._retained.append(weakref.ref(tensor))

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    def _init_base(self) -> None:
        self.seq = next(sequence_ids)
        self._prehooks = None
        self._posthooks = None
        self._retained = None
        self.trace = None
        if state.anomaly:
            import traceback

            self.trace = "".join(traceback.format_stack()[:-4])


class AccumulateGrad(Node):
    """The node at a leaf: adds the incoming gradient into ``leaf.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor) -> None:
        self._init_base()
        self.variable = variable
        self.next_edges = ()

    def name(self) -> str:
        return "AccumulateGrad"


def accumulator_of(t: Tensor) -> AccumulateGrad:
    """The (shared) AccumulateGrad node of a leaf that requires grad."""
    t = t._get_extra("alias_of", t)
    ref = t._get_extra("accumulator")
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(t)
        t._set_extra("accumulator", weakref.ref(node))
    return node


def edge_of(t: Tensor) -> tuple | None:
    if not t.requires_grad_flag:
        return None
    if t.grad_fn is not None:
        return (t.grad_fn, 0 if t._extra is None else t._extra.get("output_nr", 0))
    return (accumulator_of(t), 0)


class SavedTensor:
    """A tensor saved for backward, with its version at save time (and packed by hooks)."""

    __slots__ = ("value", "version", "tensor", "unpack")

    def __init__(self, t: Any) -> None:
        self.unpack = None
        if isinstance(t, Tensor):
            if t._get_extra("inference"):
                raise RuntimeError(
                    "Inference tensors cannot be saved for backward. To work around you can "
                    "make a clone to get a normal tensor and use it in autograd.")
            self.version = t._version
            self.tensor = t
            if state.saved_hooks:
                pack, unpack = state.saved_hooks[-1]
                self.value = pack(t)
                self.unpack = unpack
                self.tensor = None
            else:
                self.value = t
        else:
            self.version = None
            self.tensor = None
            self.value = t

    def get(self, node: Node, index: int) -> Any:
        t = self.tensor
        if t is not None and t._version != self.version:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{t._data.dtype} tensor of shape {list(t.shape)}], which "
                f"is input {index} of {node.name()}, is at version {t._version}; expected "
                f"version {self.version} instead. Hint: clone the tensor before modifying it "
                "in place, or do the in-place operation after backward.")
        if self.unpack is not None:
            return self.unpack(self.value)
        return self.value


_FREED = ("Trying to backward through the graph a second time (or directly access saved "
          "tensors after they have already been freed). Saved intermediate values of the "
          "graph are freed when you call .backward() or autograd.grad(). Specify "
          "retain_graph=True if you need to backward through the graph a second time or if "
          "you need to access saved tensors after calling backward.")


class OpNode(Node):
    """The record of one registered op: inputs saved as needed, output data kept for rules."""

    __slots__ = ("op", "saved", "params", "out_data", "out_tangents", "in_meta", "freed")

    def __init__(self, op, args: tuple, params: dict, out: Tensor) -> None:
        self._init_base()
        self.op = op
        self.params = params
        self.freed = False
        saves = op.saves
        edges = []
        meta = []
        saved = []
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                edges.append(edge_of(a))
                meta.append((a._data.shape, a._data.dtype))
                saved.append(SavedTensor(a) if i in saves else _ShapeOnly(a))
            else:
                edges.append(None)
                meta.append(None)
                saved.append(_Const(a))
        self.next_edges = tuple(edges)
        self.in_meta = meta
        self.saved = saved
        self.out_data = out._data
        self.out_tangents = None

    def name(self) -> str:
        return self.op.node_name

    def resave(self, args: tuple) -> None:
        """Save ``args`` (the same values, with their tangents) instead of the stripped ones."""
        for i in self.op.saves:
            if isinstance(args[i], Tensor):
                self.saved[i] = SavedTensor(args[i])

    def output(self) -> Tensor:
        if self.freed:
            raise RuntimeError(_FREED)
        out = _wrap(self.out_data)
        out.grad_fn = self
        out.requires_grad_flag = True
        out._tangents = self.out_tangents
        return out

    def inputs(self) -> list:
        if self.freed:
            raise RuntimeError(_FREED)
        return [s.get(self, i) for i, s in enumerate(self.saved)]

    def apply(self, grads: list) -> list:
        """Cotangents for each input edge, given the output gradient."""
        g = grads[0]
        inputs = self.inputs()
        out = self.output() if self.op.saves_output else None
        vjp = self.op.vjp
        params = self.params
        result = []
        for i, edge in enumerate(self.next_edges):
            if edge is None or vjp[i] is None:
                result.append(None)
                continue
            c = vjp[i](g, out, *inputs, **params)
            if c is not None:
                shape, dtype = self.in_meta[i]
                if type(c) is not Tensor or c._data.shape != shape or c._data.dtype != dtype:
                    c = _fit_to(c, shape, dtype)
            result.append(c)
        return result

    def release(self) -> None:
        if self.op.saves or self.op.saves_output:
            self.freed = True
            self.saved = None
            self.out_data = None
            self.out_tangents = None

    def __getattr__(self, item: str) -> Any:
        # PyTorch-style access to saved values: _saved_self, _saved_other, _saved_result
        if item == "_saved_result":
            return self.output()
        names = {"_saved_self": 0, "_saved_other": 1, "_saved_exponent": 1}
        if item in names and not self.freed:
            value = self.saved[names[item]]
            return value.get(self, names[item])
        raise AttributeError(f"{type(self).__name__} has no attribute {item!r}")


def _fit_to(c, shape, dtype):
    from ..registry import fit_to

    return fit_to(c, shape, dtype)


class _ShapeOnly:
    """An input whose value the rules do not read: keep a reference, skip the version check."""

    __slots__ = ("value",)

    def __init__(self, t: Tensor) -> None:
        self.value = t

    def get(self, node: Node, index: int) -> Any:
        return self.value


class _Const(_ShapeOnly):
    __slots__ = ()


def _bind() -> None:
    from .. import registry

    registry.OpNode = OpNode


_bind()

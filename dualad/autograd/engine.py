"""The backward engine: the graph's nodes run newest first, as in PyTorch.

``backward`` accumulates into ``.grad`` of leaves; ``grad`` returns the
gradients of chosen inputs instead. Both validate everything before any
state changes (a first pass over the graph, skipped when nothing in it can
be stale or freed), need no recursion (a chain of a million nodes is fine),
free saved tensors unless ``retain_graph``, and record the backward pass
itself when ``create_graph``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from heapq import heappop, heappush
from typing import Any

import numpy as np

from .._fperr import quiet_off, quiet_on
from .._state import census, census_lock, kinks_watched, state
from ..batched_tensor import BACKWARD_IN_VMAP, BatchedTensor, batched_error
from ..registry import batched_rules, fit_array_to, fit_batched_array_to, fit_to
from ..tensor import Tensor, _wrap, bump_version, meta_of
from . import graph
from .node import AccumulateGrad, Edge, Node, OpNode, edge_node, edge_of

_accumulate_lock = threading.Lock()
_ndarray, _float64, _FLOAT64 = np.ndarray, np.float64, np.dtype(np.float64)


def _as_list(x: Any) -> list:
    """A Tensor, or an iterable of them (``model.parameters()``), as a list; an array or a
    number is one item, which the caller's type check then names."""
    if type(x) is Tensor or isinstance(x, Tensor):  # the exact type first: the usual case
        return [x]
    if x is None:
        return []
    return [x] if isinstance(x, (np.ndarray, np.generic)) or not hasattr(x, "__iter__") \
        else list(x)


def as_gradient(g: Any, out: Tensor, what: str) -> Tensor:
    """A gradient given as an array-like (NumPy array, number, nested list) as a Tensor of
    the output's dtype; ``what`` names it in errors (``"grad_output[0]"``)."""
    try:
        arr = np.asarray(g)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} must be a Tensor, a NumPy array or a number; "
                        f"{type(g).__name__} could not be converted ({exc})") from None
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"{what} must be a Tensor, a NumPy array or a number, got "
                        f"{type(g).__name__} of dtype {arr.dtype}")
    if arr.dtype.kind == "c" and out._data.dtype.kind != "c":
        raise TypeError(f"{what} is complex but the output is real ({out._data.dtype}); "
                        "pass a real value")
    return _wrap(arr.astype(out._data.dtype, copy=False))


def _root_grads(outputs: list, given: Any) -> list:
    """Validate the outputs and their gradients; make the implicit ones. ``given``: a list or
    tuple holds one gradient per output; anything else (a Tensor, a NumPy array, a number)
    is the gradient of a single output."""
    grad_outputs = [] if given is None else list(given) if isinstance(given, (list, tuple)) \
        else [given]
    if len(grad_outputs) not in (0, len(outputs)):
        raise RuntimeError(f"got {len(grad_outputs)} gradients for {len(outputs)} outputs; "
                           "give one gradient per output tensor (a list or tuple holds one "
                           "gradient per output)")
    grads = []
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"backward expects Tensors, got {type(out).__name__} at {i}")
        if not out.requires_grad_flag:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               f"a grad_fn{_why_no_grad(out)}")
        g = grad_outputs[i] if grad_outputs else None
        if g is None:
            if out._data.dtype.kind == "c":  # (PyTorch's message)
                raise RuntimeError("grad can be implicitly created only for real scalar "
                                   f"outputs; this output is {out._data.dtype}: reduce it to "
                                   "a real number (da.abs(z) ** 2, z.real), or pass gradient=")
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs; "
                                   f"this output has shape {tuple(out.shape)}: pass "
                                   "gradient= with that shape")
            data = out._data  # (np.array, not np.ones, for the usual 0-d output: C, not Python)
            g = _wrap(np.array(1, data.dtype) if not data.ndim else np.ones(data.shape, data.dtype))
        else:
            if not isinstance(g, Tensor):
                g = as_gradient(g, out, f"grad_output[{i}]")
            elif g._data.dtype.kind == "c" and out._data.dtype.kind != "c":
                raise TypeError(f"grad_output[{i}] is complex ({g.dtype}) but the output is "
                                f"real ({out.dtype}); pass a real value")
            if g.shape != out.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{tuple(g.shape)} and output[{i}] has a shape of "
                                   f"{tuple(out.shape)}; pass a gradient of the output's shape")
        grads.append(g)
    return grads


def _why_no_grad(out: Tensor) -> str:
    """The end of the "does not require grad" error: the likely reason and what to do."""
    op = meta_of(out).result_of
    if op is not None:
        return (f": it is the result of {op}, which is not differentiable (an index has no "
                f"derivative); differentiate the values it selects, e.g. x.{op[3:]}(dim).values "
                "or x[index]")
    if out._data.dtype.kind not in "fc":
        return (f": it has dtype {out._data.dtype}, and integer or boolean results (argmax, "
                "argmin, comparisons, ...) are not differentiable")
    return " (did you forget requires_grad=True, or compute it under no_grad?)"


def _add(buffers: dict, node: Node, nr: int, grad: Any, owned: set | None, raw: bool) -> None:
    """Add cotangent ``grad`` into slot ``nr`` of ``node``'s input buffer (see ``_Pass``).

    ``owned`` (None when the pass is recorded) holds the one-output nodes whose buffer is
    a sum this pass made, held by no one else: later cotangents are added into it in place.
    ``raw`` (the array backends): the values are arrays or Tensors, summed as arrays; else
    Tensors, summed as Tensors (with their tangents).
    """
    if node.num_outputs != 1:
        slots = buffers.get(node)
        if slots is None:
            slots = buffers[node] = [None] * node.num_outputs
        old = slots[nr]
        if old is not None:
            grad = _data(old) + _data(grad) if raw else old + grad
        slots[nr] = grad
        return
    old = buffers[node]  # (never empty: send puts a one-output node's first cotangent)
    if not raw and (owned is None or old._tangents is not None or grad._tangents is not None):
        buffers[node] = old + grad
        return
    a, b = _data(old), _data(grad)
    if node in owned and a.shape == b.shape and a.dtype == b.dtype:  # type: ignore[operator]
        np.add(a, b, out=a)
        return
    total = buffers[node] = a + b if raw else old + grad
    if not raw or type(total) is _ndarray:  # (not a NumPy scalar: it cannot be added into)
        owned.add(node)  # type: ignore[union-attr]


def _data(value: Any) -> Any:
    """A cotangent's array (its data, for a Tensor)."""
    return value._data if type(value) is Tensor else value


def _hook_name(hook: Any) -> str:
    return getattr(hook, "__qualname__", None) or type(hook).__name__


def _hook_gradient(hook: Any, new: Any, old: Tensor) -> Tensor:
    """A gradient a hook returned, checked against the one it replaces."""
    if isinstance(new, np.ndarray):
        new = _wrap(new)
    if not isinstance(new, Tensor):
        raise TypeError(f"hook '{_hook_name(hook)}' returned {type(new).__name__}; a gradient "
                        "hook returns None (keep the gradient) or a Tensor of the gradient's "
                        f"shape {tuple(old.shape)} and dtype {old.dtype}")
    if new.shape != old.shape:
        raise RuntimeError(f"hook '{_hook_name(hook)}' has changed the size of the gradient: "
                           f"it returned shape {tuple(new.shape)} for a gradient of shape "
                           f"{tuple(old.shape)}; return a gradient of the same shape")
    if new.dtype != old.dtype:
        raise RuntimeError(f"hook '{_hook_name(hook)}' has changed the dtype of the gradient "
                           f"from {old.dtype} to {new.dtype}; return the same dtype (.astype)")
    return new


def _run_prehooks(hooks: list, grads: list) -> None:
    """Tensor hooks ``(output_nr, hook)`` in registration order; a returned gradient
    replaces that output's gradient in ``grads``."""
    for nr, hook in list(hooks):
        grad = grads[nr]
        if grad is not None:
            new = hook(grad)
            if new is not None:
                grads[nr] = _hook_gradient(hook, new, grad)


def _run_posthooks(hooks: list, cots: list, grad_outputs: list, n: int) -> list:
    """Node hooks ``hook(grad_inputs, grad_outputs)``; a returned sequence replaces the
    ``n`` gradients of the node's inputs."""
    for hook in list(hooks):
        new = hook(tuple(cots[:n]), tuple(grad_outputs))
        if new is None:
            continue
        if not isinstance(new, (tuple, list)) or len(new) != n:
            got = len(new) if isinstance(new, (tuple, list)) else type(new).__name__
            raise RuntimeError(f"hook '{_hook_name(hook)}' has returned an incorrect number of "
                               f"values (got {got}, but expected {n}): return None or one "
                               "gradient per input of the node")
        replaced = list(cots)
        for i, (c, old) in enumerate(zip(new, cots)):
            if c is not None and old is None:
                raise RuntimeError(f"hook '{_hook_name(hook)}' returned a gradient for input "
                                   f"{i}, which gets none (it does not require grad)")
            replaced[i] = None if c is None else _hook_gradient(hook, c, old)
        cots = replaced
    return cots


def _fill_retained(refs: list, grads: list, create_graph: bool) -> None:
    """Give the tensors that called ``retain_grad`` (``(output_nr, weak reference)``) their
    gradient."""
    for nr, ref in refs:
        t = ref()
        grad = grads[nr]
        if t is not None and grad is not None:
            g = grad if create_graph else grad.detach()
            t._grad = g if t._grad is None else t._grad + g


def _accumulate(leaf: Tensor, grad: Tensor, create_graph: bool, fresh: bool = False) -> None:
    """Add ``grad`` into ``leaf.grad``; ``fresh``: no one else holds ``grad``'s array (a sum
    the engine made), so the first gradient can keep it instead of a copy."""
    with _accumulate_lock:
        if leaf._grad is None:
            if create_graph and grad._is_view():  # a .grad of its own, still in the graph
                grad = grad.clone()
            leaf._grad = grad if create_graph or fresh else \
                _wrap(np.array(grad._data, copy=True))
        elif create_graph or leaf._grad.requires_grad_flag:
            leaf._grad = leaf._grad + grad
        elif leaf._grad._data.flags.writeable and leaf._grad._data.shape == grad._data.shape:
            np.add(leaf._grad._data, grad._data, out=leaf._grad._data, casting="unsafe")
            bump_version(leaf._grad)  # a graph that saved the old .grad notices (as in PyTorch)
        else:  # a new tensor: one held elsewhere (and saved by a graph) keeps its values
            leaf._grad = _wrap(leaf._grad._data + grad._data)


def _check_anomaly(node: Node, cots: list) -> None:
    for i, c in enumerate(cots):
        if c is not None and not np.all(np.isfinite(c._data)):
            kind = "nan" if np.any(np.isnan(c._data)) else "inf"
            where = f"\nIt was created at (most recent call last):\n{node.trace}" \
                if node.trace else ""
            raise RuntimeError(f"Function '{node.name()}' returned {kind} values in its {i}th "
                               f"output.{where}")


def _unused(i: int) -> str:
    return (f"One of the differentiated Tensors (inputs[{i}]) appears to not have been used "
            "in the graph. Set allow_unused=True if this is the desired behavior.")


# ------------------------------------------------------------------ the pass

def run_backward(tensors: Any, grad_outputs: Any, retain_graph: bool | None, create_graph: bool,
                 inputs: list | None, allow_unused: bool, accumulate: bool) -> list | None:
    """The engine. Returns the gradients of ``inputs`` when not accumulating."""
    outputs = _as_list(tensors)
    if any(isinstance(t, BatchedTensor) for t in outputs + (inputs or [])):
        raise batched_error(BACKWARD_IN_VMAP)
    grads = _root_grads(outputs, grad_outputs)
    input_nodes = [] if inputs is None else _input_nodes(inputs)
    targets: dict[Node, Tensor] = {} if inputs is None else dict(zip(input_nodes, inputs))
    root_edges = [edge_of(o) for o in outputs]  # (each requires grad: an edge, not None)
    need, order = _prepare([edge_node(e) for e in root_edges],  # type: ignore[arg-type]
                           None if inputs is None else targets)
    if need is not None and not allow_unused and not accumulate:
        for i, node in enumerate(input_nodes):  # (raise before any work)
            if node not in need:
                raise RuntimeError(_unused(i))
    rules = _ArrayRules if _arrays_allowed(create_graph) else \
        _WatchedTensorRules if census.policy and kinks_watched() else _TensorRules
    run = _Pass(rules, need, order, targets, accumulate, create_graph)
    run.start(root_edges, grads, create_graph if retain_graph is None else retain_graph)
    if accumulate:
        return None
    return _results(input_nodes, run.captured, allow_unused, create_graph)


def _input_nodes(inputs: list) -> list[Node]:
    """The node that receives each input's gradient (checking the inputs)."""
    nodes = []
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"inputs[{i}] is a {type(t).__name__}, not a Tensor")
        if not t.requires_grad_flag:
            raise RuntimeError(f"One of the differentiated Tensors (inputs[{i}]) does not "
                               "require grad")
        nodes.append(edge_node(edge_of(t)))  # type: ignore[arg-type]  # (requires grad)
    return nodes


def _prepare(roots: list[Node], targets: dict | None) -> tuple[set | None, list | None]:
    """Check the graph below ``roots`` before any state changes (stale saved values, freed
    graphs). Returns the nodes that lead to a target (None without targets: all), and the
    nodes to run newest first (None when the graph was not walked: a graph that nothing
    can have made stale is not, see graph.untouched)."""
    if targets is None and graph.untouched(roots):
        return None, None
    reached = graph.reachable(roots)
    need = None if targets is None else graph.leading_to(reached, targets)
    order = graph.newest_first(reached if need is None else need)
    for node in graph.may_be_stale(order):  # (newest first: PyTorch's first error)
        node.check_versions()  # raises if stale or freed
    return need, order


def _arrays_allowed(create_graph: bool) -> bool:
    """Whether the rules may run on raw arrays: nothing needs Tensors (a recorded backward,
    dual levels, anomaly mode, a kink policy or tracker, strong_zero)."""
    return not create_graph and not (census.recording and state.anomaly) and not state.levels \
        and not (census.policy and (state.kink_trackers or state.kink_policy != "subgradient"
                                    or state.strong_zero))


def _results(input_nodes: list, captured: dict, allow_unused: bool, create_graph: bool) -> list:
    """The gradient captured for each input of ``grad`` (None if unused and allowed)."""
    result = []
    for i, node in enumerate(input_nodes):
        g = captured.get(node)
        if g is None and not allow_unused:
            raise RuntimeError(_unused(i))
        if g is not None and not create_graph:
            g = g.detach() if g.requires_grad_flag else g
        result.append(g)
    return result


class _Pass:
    """One backward pass: the input buffers, the scheduler, and the node runners.

    The nodes run newest first (falling ``seq``: PyTorch's order, and the same order of
    summing cotangents whatever the path). An op node's rules run through the pass's
    backend; other nodes take :meth:`run_general`, where user code may run.
    """

    __slots__ = ("rules", "need", "order", "targets", "accumulate", "create_graph", "anomaly",
                 "owned", "buffers", "heap", "captured", "verified")

    def __init__(self, rules: type[_Rules], need: set | None, order: list | None, targets: dict,
                 accumulate: bool, create_graph: bool) -> None:
        self.rules = rules
        self.need = need
        # the scheduler: the nodes newest first when the graph was walked (popped from the
        # end), else a heap of (-seq, node) that a node enters with its first cotangent
        self.order = None if order is None else order[::-1]
        self.targets = targets
        self.accumulate = accumulate
        self.create_graph = create_graph
        self.anomaly = census.recording and state.anomaly
        self.owned: set | None = None if create_graph else set()  # see _add
        # ``buffers[node]``: the gradient summed so far for a node with one output (no list
        # per node), and a list with one slot per output for a node with several
        self.buffers: dict = {}
        self.heap: list = []
        self.captured: dict = {}
        self.verified = True  # the versions checked before still hold: no user code ran since

    def start(self, root_edges: list, grads: list, retain_graph: bool,
              keep_grad_mode: bool = False) -> None:
        """Run the pass in its modes: grad mode on only to record (create_graph; or as it is,
        ``keep_grad_mode``, where nothing is recorded and no user code runs), no NumPy
        warnings (inf/nan in gradients follow the documented conventions, sqrt'(0) = inf...;
        detect_anomaly reports them)."""
        prev_mode = state.grad_enabled
        create_graph = prev_mode if keep_grad_mode else self.create_graph
        if prev_mode != create_graph:  # (a property that updates the census: set it to change)
            state.grad_enabled = create_graph
        quiet = quiet_on()
        try:
            self.run(root_edges, grads, retain_graph)
        finally:
            quiet_off(quiet)
            if not retain_graph:  # nodes were freed: graphs recorded before are not untouched
                with census_lock:
                    census.changes += 1
            if prev_mode != create_graph:
                state.grad_enabled = prev_mode

    def run(self, root_edges: list, grads: list, retain_graph: bool) -> None:
        """Run every node that gets a cotangent, newest first."""
        heap, order, buffers, targets = self.heap, self.order, self.buffers, self.targets
        run_op = self.rules.run
        send = self.sender()
        check = False  # the versions checked before the pass still hold: see ``verified``
        for i, (edge, g) in enumerate(zip(root_edges, grads)):
            send(i, edge, g)
        while True:
            if order is None:
                if not heap:
                    return
                node = heappop(heap)[1]
            else:
                while order:
                    node = order.pop()
                    if node in buffers:
                        break
                else:
                    return
            buf = buffers.pop(node)
            if type(node) is OpNode and node._extras is None and not (targets and node in targets):
                run_op(node, buf, check, send)
            else:
                cots = self.run_general(node, buf)
                if cots is not None:
                    for i, (edge, c) in enumerate(zip(node.next_edges, cots)):
                        if edge is not None and c is not None:
                            send(i, edge, c)
                check = not self.verified
            if not retain_graph:
                node.release()

    def sender(self) -> Callable[[int, Any, Any], None]:
        """``send(i, edge, c)``: add cotangent ``c`` (of input ``i``) into the buffer of the
        node ``edge`` leads to; a node is scheduled with its first cotangent (one that leads
        to no target gets none). (A closure: its variables cost less to read than
        attributes, and it runs once per edge.)"""
        need, buffers, heap, order, owned = self.need, self.buffers, self.heap, self.order, \
            self.owned
        add, raw = _add, self.rules.raw

        def send(i: int, edge: Any, c: Any) -> None:
            if type(edge) is Edge:
                node, nr = edge
            else:
                node, nr = edge, 0
            if need is None or node in need:
                if node not in buffers:
                    if order is None:
                        heappush(heap, (-node.seq, node))
                    if node.num_outputs == 1:
                        buffers[node] = c
                        return
                add(buffers, node, nr, c, owned, raw)

        return send

    def run_general(self, node: Node, buf: Any) -> list | None:
        """Run a node that is not a plain op node: hooks, retained and captured gradients,
        leaves' accumulators, custom Functions. Returns the cotangents (None: none)."""
        buf = [buf] if node.num_outputs == 1 else buf
        if self.rules.raw:  # user code may see the gradients: Tensors
            buf = [b if b is None or type(b) is Tensor else _wrap(b) for b in buf]
        create_graph = self.create_graph
        extras = node._extras  # hooks and retained tensors (None for most nodes)
        if extras is not None:
            if extras.prehooks:
                self.verified = False
                _run_prehooks(extras.prehooks, buf)
            if extras.retained:
                _fill_retained(extras.retained, buf, create_graph)
        targets = self.targets
        if targets and node in targets:
            if not self.accumulate:
                self.captured[node] = buf[0]
            elif isinstance(node, AccumulateGrad):
                _accumulate(node.variable, buf[0], create_graph)
            else:
                t = targets[node]
                t._grad = buf[0] if t._grad is None else t._grad + buf[0]
        if isinstance(node, AccumulateGrad):
            if self.accumulate and not targets:
                owned = self.owned
                fresh = owned is not None and node in owned and extras is None
                _accumulate(node.variable, buf[0], create_graph, fresh)
            return None
        if len(buf) > 1 and any(b is None for b in buf):
            buf = [b if b is not None else _wrap(np.zeros(s, dt))
                   for b, (s, dt) in zip(buf, node.out_meta)]
        if type(node) is OpNode:  # (the pass's Tensor backend, or the Tensor one for arrays)
            rules = _TensorRules if self.rules.raw else self.rules
            cots = [None] * len(node.next_edges)  # (None where an input gets no cotangent)
            rules.run(node, buf[0], not self.verified, lambda i, e, c: cots.__setitem__(i, c))
        else:
            self.verified = False
            cots = node.apply(buf)
        if self.anomaly:
            _check_anomaly(node, cots)
        if extras is not None and extras.posthooks:
            self.verified = False
            cots = _run_posthooks(extras.posthooks, cots, buf, len(node.next_edges))
        return cots


# ------------------------------------------------------------------ the two backends

class _Rules:
    """A backend: how an op node's rules run in a pass. ``run(node, g, check, send)`` calls
    ``send(i, edge, c)`` with the cotangent of each input ``i`` that gets one, fitted to the
    input's shape and dtype; ``raw``: the cotangents are raw arrays (wrapped in Tensors
    before user code sees them)."""

    raw = False
    run: Callable[[OpNode, Any, bool, Callable], None]


class _TensorRules(_Rules):
    """An op node's registered ``vjp`` rules on Tensors (recorded when create_graph)."""

    @staticmethod
    def run(node: OpNode, g: Any, check: bool, send: Callable) -> None:
        op = node.op
        inputs = node.inputs(check)
        out = node.output() if op.hints.saves_output else None
        if type(g) is not Tensor:
            g = _wrap(g)
        rules = op.vjp
        params = node.params
        meta = node.in_meta
        i = 0
        for edge in (node._edge0, node._edge1) if node._edges_more is None else node.next_edges:
            rule = None if edge is None else rules[i]
            c = None if rule is None else \
                rule(g, out, *inputs, **params) if params else rule(g, out, *inputs)
            if c is not None:
                m = node.out_data if meta is None else meta[i]  # see OpNode.in_meta
                tm = type(m)  # (the usual cases tested inline: it fits already)
                if type(c) is not Tensor or not (
                        (c._data.shape == m.shape and c._data.dtype == m.dtype)
                        if tm is _ndarray else
                        (not c._data.shape and c._data.dtype is _FLOAT64)
                        if tm is _float64 else (c._data.shape, c._data.dtype) == m):
                    c = fit_to(c, *_shape_dtype(m))
                send(i, edge, c)
            i += 1


class _WatchedTensorRules(_TensorRules):
    """The Tensor rules, telling a kink tracker or policy "raise" whose rules run:
    ``state.rule_node`` (dualad.nondiff reads it to name the node's line)."""

    @staticmethod
    def run(node: OpNode, g: Any, check: bool, send: Callable) -> None:
        outer = state.rule_node
        state.rule_node = node
        try:
            _TensorRules.run(node, g, check, send)
        finally:
            state.rule_node = outer


class _ArrayRules(_Rules):
    """An op node's ``array_vjp`` rules on raw NumPy arrays (NumPy only: derived rules
    compute their partials with the ops' forwards, ``ops._define.ARRAY_MATH``); an op
    without them runs its Tensor rules."""

    raw = True

    @staticmethod
    def run(node: OpNode, g: Any, check: bool, send: Callable) -> None:
        hints = node.op.hints
        rules = hints.array_vjp
        if rules is None:  # the Tensor rules, their cotangents as arrays
            _TensorRules.run(node, g, check, lambda i, edge, c: send(i, edge, c._data))
            return
        inputs = node.raw_inputs(check)
        out = node.out_data if hints.saves_output else None
        if type(g) is Tensor:
            g = g._data
        params = node.params
        meta = node.in_meta
        i = 0
        for edge in (node._edge0, node._edge1) if node._edges_more is None else node.next_edges:
            rule = None if edge is None else rules[i]  # type: ignore[index]  # (resolved: no True)
            c = None if rule is None else \
                rule(g, out, *inputs, **params) if params else rule(g, out, *inputs)
            if c is not None:
                m = node.out_data if meta is None else meta[i]  # see OpNode.in_meta
                tc = type(c)  # (a float64 scalar fits a 0-d float64 input: see _fit_array)
                if (tc is not _float64 or type(m) is not _float64) and (
                        tc is not _ndarray or type(m) is not _ndarray or c.shape != m.shape
                        or c.dtype != m.dtype):  # (the usual cases tested inline: it fits)
                    c = _fit_array(c, m)
                send(i, edge, c)
            i += 1


class _BatchedArrayRules(_ArrayRules):
    """Array rules for cotangents with a leading batch axis (rows of a Jacobian pulled back
    together: see dualad.autograd.batched); every op node on the way has them."""

    @staticmethod
    def run(node: OpNode, g: Any, check: bool, send: Callable) -> None:
        rules: Any = batched_rules(node.op)  # (not None: pull_back_batched checked)
        inputs = node.raw_inputs(check)
        out = node.out_data if node.op.hints.saves_output else None
        params = node.params
        meta = node.in_meta
        i = 0
        for edge in (node._edge0, node._edge1) if node._edges_more is None else node.next_edges:
            rule = None if edge is None else rules[i]
            c = None if rule is None else rule(g, out, *inputs, **params)
            if c is not None:
                m = node.out_data if meta is None else meta[i]  # see OpNode.in_meta
                if type(c) is Tensor:
                    c = c._data
                if type(c) is not _ndarray or type(m) is not _ndarray \
                        or c.shape[1:] != m.shape or c.dtype != m.dtype:
                    c = fit_batched_array_to(c, *_shape_dtype(m))
                send(i, edge, c)
            i += 1


def _shape_dtype(meta: Any) -> tuple:
    """The (shape, dtype) an input's ``meta`` stands for: a data array, a (shape, dtype)
    pair, or a float64 scalar standing for a 0-d array (see OpNode.in_meta)."""
    tm = type(meta)
    if tm is _float64:  # a NumPy scalar's .dtype is slow to get
        return (), _FLOAT64
    return meta if tm is tuple else (meta.shape, meta.dtype)


def _fit_array(c: Any, meta: Any) -> Any:
    """A raw cotangent fitted to the input ``meta`` stands for (see :func:`_shape_dtype`)."""
    if type(c) is Tensor:
        c = c._data
    shape, dtype = _shape_dtype(meta)
    if type(c) is _float64 and dtype is _FLOAT64 and shape == ():
        return c  # a float64 scalar stands for a 0-d array (arithmetic on it is faster)
    return fit_array_to(c, shape, dtype)  # (which returns an array that fits as it is)


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None,
             retain_graph: bool | None = None, create_graph: bool = False,
             inputs: Tensor | Sequence[Tensor] | None = None) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves.

    >>> import dualad as da
    >>> x = da.tensor(3.0, requires_grad=True)
    >>> da.autograd.backward(x * x); x.grad
    tensor(6.)
    """
    ins = _as_list(inputs) if inputs is not None else None
    if ins is not None and not ins:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    run_backward(tensors, grad_tensors, retain_graph, create_graph, ins, False, True)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple:
    """The gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    >>> import dualad as da
    >>> x = da.tensor(5.0, requires_grad=True)
    >>> (g,) = da.autograd.grad(x ** 3, x, create_graph=True); g
    tensor(75., grad_fn=<MulBackward0>)
    >>> da.autograd.grad(g, x)
    (tensor(30.),)
    """
    ins = _as_list(inputs)
    if not ins:
        raise RuntimeError("grad requires at least one input tensor")
    return tuple(run_backward(outputs, grad_outputs, retain_graph, create_graph, ins,
                              allow_unused, False) or ())

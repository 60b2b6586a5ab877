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
from collections.abc import Sequence
from heapq import heappop, heappush
from operator import attrgetter
from typing import Any

import numpy as np

from .._fperr import quiet_off, quiet_on
from .._state import census, census_lock, state
from ..registry import fit_array_to, fit_to
from ..tensor import Tensor, _wrap, bump_version
from .node import (
    AccumulateGrad,
    Node,
    OpNode,
    SavedTensor,
    edge_node,
    edge_of,
    edge_output,
)

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


def _given_grads(grads: Any) -> list:
    """The gradients given for the outputs: a list or tuple holds one per output; anything
    else (a Tensor, a NumPy array, a number) is the gradient of a single output."""
    if grads is None:
        return []
    return list(grads) if isinstance(grads, (list, tuple)) else [grads]


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


def _root_grads(outputs: list, grad_outputs: list) -> list:
    """Validate the outputs and their gradients; make the implicit ones."""
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
    op = out._get_extra("result_of")
    if op is not None:
        return (f": it is the result of {op}, which is not differentiable (an index has no "
                f"derivative); differentiate the values it selects, e.g. x.{op[3:]}(dim).values "
                "or x[index]")
    if out._data.dtype.kind not in "fc":
        return (f": it has dtype {out._data.dtype}, and integer or boolean results (argmax, "
                "argmin, comparisons, ...) are not differentiable")
    return " (did you forget requires_grad=True, or compute it under no_grad?)"


_SEQ = attrgetter("seq")


def _walk(roots: list[Node], targets: dict | None = None) -> tuple[list, set | None, list]:
    """One pass over the graph below ``roots`` (an iterative search). Returns:

    - ``order``: the nodes reached, newest first (by ``seq``: each node before every
      node it feeds, the order the backward pass runs them in);
    - ``need``: with ``targets``, the nodes from which some target can be reached
      (else None);
    - ``stale``: the nodes whose version check cannot be skipped, newest first: op
      nodes recorded before the last in-place write (or freed since), and nodes of
      other kinds except leaves' accumulators.

    No tuple or iterator per node: a big graph allocates nothing the cyclic GC has to
    track.
    """
    epoch = census.inplace
    reached: set[Node] = set()  # nodes hash by identity
    mark = reached.add
    stale: list[Node] = []
    # Every path down the graph ends at a node of another kind than OpNode (an op node has
    # an edge to each input that requires grad, and it records only if one does). When each
    # of those is a target, every node leads to one: ``need`` is every node reached.
    partial = False  # some path may end elsewhere: work ``need`` out node by node
    stack = list(roots)
    push = stack.append
    pop = stack.pop
    while stack:
        node = pop()
        if node in reached:
            continue
        mark(node)
        if type(node) is OpNode:
            if node.epoch != epoch:
                stale.append(node)
            # the edges are padded: see OpNode.next_edges
            edges = (node._edge0, node._edge1) if node._edges_more is None else node.next_edges
        else:
            if not isinstance(node, AccumulateGrad):
                stale.append(node)
            if targets is not None and node not in targets:
                partial = True
            edges = node.next_edges
        for edge in edges:
            if edge is not None:
                if type(edge) is tuple:
                    edge = edge[0]
                if edge not in reached:
                    push(edge)
    order = sorted(reached, key=_SEQ, reverse=True)
    if len(stale) > 1:
        stale.sort(key=_SEQ, reverse=True)  # the first error is the one PyTorch would meet
    if targets is None:
        return order, None, stale
    return order, _needed(order, targets) if partial else reached, stale


def _untouched(roots: list) -> bool:
    """Whether the graphs below ``roots`` hold only op nodes and leaves' accumulators, none
    stale or freed: no tensor was modified in place and no graph freed since their oldest
    node was recorded (``OpNode.low``). Then backward needs no look at them first."""
    changes = census.changes
    for node in roots:
        if type(node) is not OpNode or node.low != changes:
            return False
    return True


def _needed(order: list[Node], targets: dict) -> set[Node]:
    """The nodes of ``order`` (each before every node it feeds) that lead to a target."""
    need: set[Node] = set()
    for node in reversed(order):
        if node in targets:
            need.add(node)
            continue
        for e in node.next_edges:
            if e is not None and (e[0] if type(e) is tuple else e) in need:
                need.add(node)
                break
    return need


# The input buffers: ``buffers[node]`` is the gradient summed so far for a node with one
# output (no list per node), and a list with one slot per output for a node with several.

def _take(buffers: dict, node: Node, nr: int, grad: Any) -> Any:
    """What ``node``'s slot ``nr`` held (None: empty, and now it holds ``grad``)."""
    if node.num_outputs == 1:
        old = buffers.get(node)
        if old is None:
            buffers[node] = grad
        return old
    buf = buffers.get(node)
    if buf is None:
        buf = buffers[node] = [None] * node.num_outputs
    old = buf[nr]
    if old is None:
        buf[nr] = grad
    return old


def _put(buffers: dict, node: Node, nr: int, value: Any) -> None:
    """Set ``node``'s slot ``nr`` to ``value``."""
    if node.num_outputs == 1:
        buffers[node] = value
    else:
        buffers[node][nr] = value


def _add(buffers: dict, node: Node, nr: int, grad: Tensor, owned: set | None = None) -> None:
    """Add ``grad`` into ``node``'s input buffer.

    With ``owned`` (a set, only when the backward pass is not recorded): a sum
    this engine made is owned by the buffer alone, so later gradients are
    added into it in place; ``owned`` holds the nodes whose buffer is such a sum.
    """
    old = _take(buffers, node, nr, grad)
    if old is None:
        return
    if owned is None or node.num_outputs != 1 or old._tangents is not None \
            or grad._tangents is not None:
        _put(buffers, node, nr, old + grad)
    elif node in owned and old._data.shape == grad._data.shape \
            and old._data.dtype == grad._data.dtype:
        np.add(old._data, grad._data, out=old._data)
    else:
        buffers[node] = old + grad
        owned.add(node)


def _add_array(buffers: dict, node: Node, nr: int, grad: Any, owned: set) -> None:
    """:func:`_add` on the raw-array fast path: the values are arrays or Tensors."""
    old = _take(buffers, node, nr, grad)
    if old is None:
        return
    a = old._data if type(old) is Tensor else old
    b = grad._data if type(grad) is Tensor else grad
    if node in owned and a.shape == b.shape and a.dtype == b.dtype:
        np.add(a, b, out=a)
    else:
        total = a + b
        _put(buffers, node, nr, total)
        if type(total) is np.ndarray and node.num_outputs == 1:
            owned.add(node)  # a fresh sum: later ones are added into it in place


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


def _check_versions(node: Node) -> None:
    """Raise the modified-by-an-inplace-operation error now, before any gradient is written
    (for a node other than an OpNode, which checks itself)."""
    saved = getattr(node, "saved", None)
    if saved is None:
        ctx = getattr(node, "ctx", None)
        saved = ctx._saved if ctx is not None else None
    if saved:
        for i, s in enumerate(saved):
            if type(s) is SavedTensor:
                t = s.tensor
                if t is not None and (0 if t._vc is None else t._vc.value) != s.version:
                    s.get(node, i)  # raises the message naming the op, shape and versions
    vc = getattr(node, "out_vc", None)
    if vc is not None and vc.value != 0:
        node.output()  # raises likewise for a modified saved output


def _check_reached(input_nodes: list, need: set) -> None:
    """Raise (before any work) if an input of ``grad`` cannot be reached from the outputs."""
    for i, node in enumerate(input_nodes):
        if node not in need:
            raise RuntimeError(f"One of the differentiated Tensors (inputs[{i}]) appears to not "
                               "have been used in the graph. Set allow_unused=True if this is "
                               "the desired behavior.")


def run_backward(outputs: list, grad_outputs: list, retain_graph: bool, create_graph: bool,
                 inputs: list | None, allow_unused: bool, accumulate: bool) -> list | None:
    """The engine. Returns the gradients of ``inputs`` when not accumulating."""
    grads = _root_grads(outputs, grad_outputs)
    targets: dict[Node, Tensor] = {}
    input_nodes = []  # the node that receives each input's gradient
    if inputs is not None:
        for i, t in enumerate(inputs):
            if not isinstance(t, Tensor):
                raise TypeError(f"inputs[{i}] is a {type(t).__name__}, not a Tensor")
            if not t.requires_grad_flag:
                raise RuntimeError(f"One of the differentiated Tensors (inputs[{i}]) does not "
                                   "require grad")
            node = edge_node(edge_of(t))
            input_nodes.append(node)
            targets[node] = t
    root_edges = [edge_of(o) for o in outputs]
    roots = [edge_node(e) for e in root_edges]
    # The nodes run by falling ``seq``, each after every node that feeds it a cotangent
    # (PyTorch's order too, and the same order of summing cotangents either way): from a
    # heap that a node enters with its first cotangent when nothing needs checking first
    # (no walk over the graph), else from the walk's nodes sorted.
    lazy = inputs is None and _untouched(roots)
    if lazy:
        pending: list = []  # the heap
        need, stale = None, ()
    else:
        pending, need, stale = _walk(roots, targets if inputs is not None else None)
        pending.reverse()  # popped from the end
    for node in stale:  # fail before any state changes
        if need is None or node in need:
            if type(node) is OpNode:
                node.check_versions()  # raises if freed, too
                continue
            if getattr(node, "freed", False):
                from .node import _FREED

                raise RuntimeError(_FREED)
            _check_versions(node)
    if inputs is not None and not allow_unused and not accumulate:
        _check_reached(input_nodes, need)

    buffers: dict = {}
    for edge, g in zip(root_edges, grads):
        node = edge_node(edge)
        if lazy and node not in buffers:
            heappush(pending, (-node.seq, node))
        _add(buffers, node, edge_output(edge), g)
    captured: dict[Node, Tensor] = {}
    owned: set | None = None if create_graph else set()
    anomaly = census.recording and state.anomaly
    # ops with array_vjp rules run them on raw arrays (the buffers then hold raw arrays too)
    # unless something needs Tensors: a recorded backward, dual levels, policies, trackers
    arrays = not create_graph and not anomaly and not state.levels and not (
        census.policy and (state.kink_trackers or state.kink_policy != "subgradient"
                           or state.strong_zero))
    verified = True  # the versions checked above still hold: no user code has run since
    raw = False  # state.array_rules is on: only array rules run until it is turned off
    pop_buffer = buffers.pop
    add = _add_array if arrays else _add
    prev_mode, prev_raw = state.grad_enabled, state.array_rules
    if prev_mode != create_graph:  # (a property that updates the census: set it only to change)
        state.grad_enabled = bool(create_graph)
    # inf/nan in gradients follow the documented conventions (sqrt'(0) = inf, ...): no NumPy
    # warnings for them; detect_anomaly is the tool that reports them
    quiet = quiet_on()
    try:
        while pending:
            node = heappop(pending)[1] if lazy else pending.pop()
            buf = pop_buffer(node, None)
            if buf is None or (need is not None and node not in need):
                continue
            if type(node) is OpNode and node._extras is None and not anomaly \
                    and not (targets and node in targets):
                # an op node without hooks whose gradient is not captured: only its rules
                # run, in the edge loop below (OpNode.apply inlined): on raw arrays (see
                # ``arrays``) or else on Tensors
                op = node.op
                hints = op.hints
                rules = hints.array_vjp if arrays else None
                if rules is not None:
                    if not raw:
                        state.array_rules = raw = True
                    g = buf._data if type(buf) is Tensor else buf
                    args = node.raw_inputs(not verified)  # (``inputs`` is grad()'s argument)
                    out = node.out_data if hints.saves_output else None
                else:
                    if raw:
                        state.array_rules = raw = False
                    rules = op.vjp
                    g = buf if type(buf) is Tensor else _wrap(buf)
                    args = node.inputs(not verified)
                    out = node.output() if hints.saves_output else None
                params = node.params
                meta = node.in_meta
                cots = None
            else:
                if node.num_outputs == 1:
                    buf = [buf]
                if arrays:  # leaving the fast path: Tensors from here on, and user code may run
                    if raw:
                        state.array_rules = raw = False
                    for k, b in enumerate(buf):
                        if b is not None and type(b) is not Tensor:
                            buf[k] = _wrap(b)
                # ``verified`` turns False where user code runs: hooks, a Function's backward
                extras = node._extras  # hooks and retained tensors (None for most nodes)
                if extras is not None:
                    if extras.prehooks:
                        verified = False
                        _run_prehooks(extras.prehooks, buf)
                    if extras.retained:
                        _fill_retained(extras.retained, buf, create_graph)
                if targets and node in targets:
                    if not accumulate:
                        captured[node] = buf[0]
                    elif isinstance(node, AccumulateGrad):
                        _accumulate(node.variable, buf[0], create_graph)
                    else:
                        t = targets[node]
                        t._grad = buf[0] if t._grad is None else t._grad + buf[0]
                if isinstance(node, AccumulateGrad):
                    if accumulate and inputs is None:
                        fresh = bool(owned) and node in owned and extras is None
                        _accumulate(node.variable, buf[0], create_graph, fresh)
                    continue
                if len(buf) > 1 and any(b is None for b in buf):
                    buf = [b if b is not None else _wrap(np.zeros(s, dt))
                           for b, (s, dt) in zip(buf, node.output_meta())]
                if type(node) is OpNode:
                    cots = node.apply(buf[0], not verified)
                else:
                    verified = False
                    cots = node.apply(buf)
                if anomaly:
                    _check_anomaly(node, cots)
                if extras is not None and extras.posthooks:
                    verified = False
                    cots = _run_posthooks(extras.posthooks, cots, buf, len(node.next_edges))
            edges = (node._edge0, node._edge1) if type(node) is OpNode \
                and node._edges_more is None else node.next_edges  # padded: see OpNode.next_edges
            i = -1
            for edge in edges:  # (no zip: an iterator object per node is measurable)
                i += 1
                if edge is None:
                    continue
                if cots is not None:
                    c = cots[i]
                else:  # a rule, run here: no list of cotangents and no second loop
                    rule = rules[i]
                    if rule is None:
                        continue
                    c = rule(g, out, *args, **params) if params else rule(g, out, *args)
                    if c is not None:  # fit it to the input's shape and dtype (cheap tests first)
                        m = node.out_data if meta is None else meta[i]  # see OpNode.in_meta
                        tc = type(c)
                        tm = type(m)
                        # the scalar path needs no fit: a float64 scalar for an input that the
                        # output's scalar says is 0-d float64 (see Hints.scalar_forward)
                        if tc is not _float64 or tm is not _float64 or not raw:
                            if tm is _float64:  # a NumPy scalar's .dtype is slow to get
                                shape = ()
                                dtype = _FLOAT64
                            elif tm is tuple:
                                shape, dtype = m
                            else:
                                shape = m.shape
                                dtype = m.dtype
                            if not raw:  # a Tensor rule: the fit is recorded (create_graph)
                                if tc is not Tensor or c._data.shape != shape \
                                        or c._data.dtype != dtype:
                                    c = fit_to(c, shape, dtype)
                            elif tc is _ndarray:
                                if c.shape != shape or c.dtype != dtype:
                                    c = fit_array_to(c, shape, dtype)
                            elif tc is Tensor:
                                c = c._data
                                if c.shape != shape or c.dtype != dtype:
                                    c = fit_array_to(c, shape, dtype)
                            # a float64 scalar stands for a 0-d array (arithmetic on it is faster)
                            elif not (tc is _float64 and dtype is _FLOAT64 and shape == ()):
                                c = fit_array_to(c, shape, dtype)
                if c is None:
                    continue
                if type(edge) is tuple:  # an edge to output 1, 2, ... of a node
                    nxt, nr = edge
                else:
                    nxt = edge
                    nr = 0
                if need is None or nxt in need:
                    if nxt not in buffers:
                        if lazy:
                            heappush(pending, (-nxt.seq, nxt))
                        if nxt.num_outputs == 1:
                            buffers[nxt] = c  # the common case of add, inlined
                            continue
                    add(buffers, nxt, nr, c, owned)
            if not retain_graph:
                node.release()
    finally:
        quiet_off(quiet)
        if not retain_graph:  # nodes were freed: graphs recorded before are not untouched
            with census_lock:
                census.changes += 1
        if prev_mode != create_graph:
            state.grad_enabled = prev_mode
        state.array_rules = prev_raw
    if accumulate:
        return None
    result = []
    for i, node in enumerate(input_nodes):
        g = captured.get(node)
        if g is None and not allow_unused:
            raise RuntimeError(f"One of the differentiated Tensors (inputs[{i}]) appears to not "
                               "have been used in the graph. Set allow_unused=True if this is "
                               "the desired behavior.")
        if g is not None and not create_graph:
            g = g.detach() if g.requires_grad_flag else g
        result.append(g)
    return result


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None,
             retain_graph: bool | None = None, create_graph: bool = False,
             inputs: Tensor | Sequence[Tensor] | None = None) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves.

    >>> import dualad as da
    >>> x = da.tensor(3.0, requires_grad=True)
    >>> da.autograd.backward(x * x); x.grad
    tensor(6.)
    """
    outputs = _as_list(tensors)
    gouts = _given_grads(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    ins = _as_list(inputs) if inputs is not None else None
    if ins is not None and not ins:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    run_backward(outputs, gouts, retain_graph, create_graph, ins, False, True)


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
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    if not ins:
        raise RuntimeError("grad requires at least one input tensor")
    gouts = _given_grads(grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    return tuple(run_backward(outs, gouts, retain_graph, create_graph, ins, allow_unused, False))

"""The recorded graph, read: every walk over it goes through this module.

A graph is made of :class:`Node` objects (``grad_fn``); a node's
``next_edges`` lead to the nodes that receive its inputs' gradients (see
:class:`Edge`). Nodes are numbered as they are made
(``seq``), each after every node it leads to, so sorting by ``seq`` gives a
topological order without a search: newest first is the order the backward
pass runs in, oldest first the order a forward replay (the SymPy export, a
tracing compiler) evaluates in.

Also here, as in ``torch.autograd.graph``: hooks on saved tensors.

>>> import dualad as da
>>> x = da.tensor([1.0, 2.0], requires_grad=True)
>>> y = (x * x).sum()
>>> [n.name() for n in oldest_first(reachable([y.grad_fn]))]
['AccumulateGrad', 'MulBackward0', 'SumBackward0']
>>> packed = []
>>> with saved_tensors_hooks(lambda t: packed.append(t) or t, lambda t: t):
...     z = (x * x).sum()
>>> len(packed) > 0
True
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from operator import attrgetter
from typing import Any

from .._state import census, state
from .node import AccumulateGrad, Edge, Node, OpNode, edge_node, edge_output

__all__ = ["saved_tensors_hooks", "Node", "Edge", "edge_node", "edge_output",
           "reachable", "leading_to", "newest_first", "oldest_first", "untouched"]

_SEQ = attrgetter("seq")


def reachable(roots: Iterable[Node], skip: Collection = ()) -> set[Node]:
    """The nodes reachable from ``roots`` (themselves included), not passing through the
    nodes in ``skip``. An iterative search: a chain of a million nodes is fine, and it
    allocates no tuple or iterator per node (nothing more for the cyclic GC to track)."""
    reached: set[Node] = set()  # nodes hash by identity
    mark = reached.add
    stack = [r for r in roots if r not in skip]
    push = stack.append
    pop = stack.pop
    while stack:
        node = pop()
        if node in reached:
            continue
        mark(node)
        # (an op node with at most two inputs keeps its edges in two slots: see OpNode)
        if type(node) is OpNode and node._edges_more is None:
            found = (node._edge0, node._edge1)
        else:
            found = node.next_edges
        for edge in found:
            if edge is not None:
                if type(edge) is Edge:
                    edge = edge.node
                if edge not in reached and edge not in skip:
                    push(edge)
    return reached


def newest_first(nodes: Iterable[Node]) -> list[Node]:
    """``nodes`` in the order the backward pass runs them: each before every node it
    leads to."""
    return sorted(nodes, key=_SEQ, reverse=True)


def oldest_first(nodes: Iterable[Node]) -> list[Node]:
    """``nodes`` in evaluation order: each after every node it leads to."""
    return sorted(nodes, key=_SEQ)


def leading_to(nodes: set[Node], targets: Collection[Node]) -> set[Node]:
    """The nodes of ``nodes`` (a set closed under edges, as :func:`reachable` returns) from
    which some node of ``targets`` can be reached."""
    # Every path down a graph ends at a node of another kind than OpNode (an op node has an
    # edge to each input that requires grad, and it records only if one does): when each
    # of those is a target, every node leads to one.
    for n in nodes:
        if type(n) is not OpNode and n not in targets:
            break
    else:
        return nodes
    need: set[Node] = set()
    for node in oldest_first(nodes):
        if node in targets:
            need.add(node)
            continue
        for e in node.next_edges:
            if e is not None and edge_node(e) in need:
                need.add(node)
                break
    return need


def untouched(roots: Iterable[Node]) -> bool:
    """Whether the graphs below ``roots`` hold only op nodes and leaves' accumulators, none
    stale or freed: no tensor was modified in place and no graph freed since their oldest
    node was recorded (``OpNode.low``). A backward pass then needs no look at them first."""
    changes = census.changes
    for node in roots:
        if type(node) is not OpNode or node.low != changes:
            return False
    return True


def may_be_stale(nodes: Iterable[Node]) -> list[Node]:
    """The nodes of ``nodes`` (in their order) whose saved values must be checked before a
    backward pass: op nodes recorded before the last in-place write (or freed since), and
    nodes of other kinds but leaves' accumulators. (Check them newest first: the first
    error is then the one PyTorch meets.)"""
    epoch = census.inplace
    return [n for n in nodes if (n.epoch != epoch if type(n) is OpNode
                                 else not isinstance(n, AccumulateGrad))]


class saved_tensors_hooks:
    """Call ``pack(t)`` when a tensor is saved for backward and ``unpack(p)`` when it is used."""

    def __init__(self, pack_hook: Callable[[Any], Any], unpack_hook: Callable[[Any], Any]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> saved_tensors_hooks:
        state.saved_hooks = state.saved_hooks + [(self.pack_hook, self.unpack_hook)]
        return self

    def __exit__(self, *exc: Any) -> None:
        state.saved_hooks = state.saved_hooks[:-1]

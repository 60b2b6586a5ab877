"""The graph module: every walk over a recorded graph, checked against plain recursive
searches over ``next_functions`` (the public view of the edges) on random graphs."""

from __future__ import annotations

import numpy as np
import pytest
from custom_functions import TwoOutputs

import dualad as da
from dualad.autograd import graph


def _random_graph(seed: int, size: int = 40) -> tuple[list, list]:
    """Leaves and the values of a random program mixing unary, binary and two-output ops
    (some values unused, some leaves constants)."""
    rng = np.random.default_rng(seed)
    leaves = [da.tensor(rng.normal(size=3), requires_grad=bool(rng.integers(0, 4)))
              for _ in range(4)]
    values = list(leaves)
    for _ in range(size):
        a, b = (values[int(i)] for i in rng.integers(0, len(values), 2))
        kind = int(rng.integers(0, 4))
        if kind == 0:
            values.append(da.sin(a))
        elif kind == 1:
            values.append(a * b + 1.0)
        elif kind == 2:
            values.append(da.stack([a, b]).sum(0))
        else:
            values.extend(TwoOutputs.apply(a))
    return leaves, values


def _children(node) -> list:
    return [n for n, _ in node.next_functions if n is not None]


def _reach_oracle(node, seen: set) -> set:
    if node not in seen:
        seen.add(node)
        for child in _children(node):
            _reach_oracle(child, seen)
    return seen


def _roots(values: list) -> list:
    return [v.grad_fn for v in values[-5:] if v.grad_fn is not None]


@pytest.mark.parametrize("seed", range(8))
def test_reachable_is_every_node_a_recursive_search_finds(seed):
    _, values = _random_graph(seed)
    roots = _roots(values)
    oracle: set = set()
    for r in roots:
        _reach_oracle(r, oracle)
    assert graph.reachable(roots) == oracle


@pytest.mark.parametrize("seed", range(8))
def test_oldest_first_puts_every_node_after_the_nodes_it_leads_to(seed):
    _, values = _random_graph(seed)
    order = graph.oldest_first(graph.reachable(_roots(values)))
    position = {node: i for i, node in enumerate(order)}
    edges = [(node, child) for node in order for child in _children(node)]
    assert edges, "the random graph has edges"
    assert all(position[child] < position[node] for node, child in edges)
    assert graph.newest_first(order) == order[::-1]


@pytest.mark.parametrize("seed", range(8))
def test_leading_to_is_the_set_of_nodes_from_which_a_target_is_reached(seed):
    leaves, values = _random_graph(seed)
    nodes = graph.reachable(_roots(values))
    targets = {n for n in nodes if n.name() == "AccumulateGrad"}
    targets = set(list(targets)[:1]) | {n for n in nodes if n.name() == "SinBackward0"}
    expected = {n for n in nodes if _reach_oracle(n, set()) & targets}
    assert graph.leading_to(nodes, targets) == expected


def test_reachable_does_not_pass_through_skipped_nodes():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    mid = da.exp(x)
    out = (mid * da.sin(x)).sum()
    found = graph.reachable([out.grad_fn], skip={mid.grad_fn})
    assert mid.grad_fn not in found
    assert {n.name() for n in found} == {"SumBackward0", "MulBackward0", "SinBackward0",
                                         "AccumulateGrad"}


def test_an_edge_to_a_second_output_names_its_node_and_output_number():
    x = da.tensor([1.0, 2.0, 3.0], requires_grad=True)
    first, second = TwoOutputs.apply(x)
    edge = (second * 1.0).grad_fn.next_edges[0]
    assert isinstance(edge, graph.Edge) and edge.output_nr == 1
    assert graph.edge_node(edge) is second.grad_fn and graph.edge_output(edge) == 1
    assert graph.edge_output((first * 1.0).grad_fn.next_edges[0]) == 0
    (second.sum() * 5.0 + first.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [17.0, 17.0, 17.0])

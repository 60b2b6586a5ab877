"""The order in which backward runs the nodes, and when it may skip looking at the graph.

Nodes run by falling creation number, each after every node that feeds it (PyTorch's
order). A backward pass over a graph in which nothing can be stale or freed runs
without a first pass over the graph; anything else is checked before any gradient is
written.
"""

from __future__ import annotations

import numpy as np
import pytest
from custom_functions import Cube

import dualad as da
from dualad.autograd import graph


def _three_branches(lib, log):
    """sin, exp, cos of x, each hooked, combined out of creation order."""
    x = lib.tensor([0.3, 1.7], requires_grad=True)
    u = lib.sin(x)
    u.register_hook(lambda g: log.append("u"))
    v = lib.exp(x)
    v.register_hook(lambda g: log.append("v"))
    w = lib.cos(x)
    w.register_hook(lambda g: log.append("w"))
    return x, (u * 2.0 + w * 4.0 + v * 3.0).sum()


def test_hooks_fire_by_falling_creation_number():
    # the consumers run first, newest first: v*3 (made last), then u*2 + w*4, w*4, u*2;
    # so w's gradient is complete first, then v's, then u's
    log = []
    _, out = _three_branches(da, log)
    out.backward()
    assert log == ["w", "v", "u"]


def test_hook_order_matches_pytorch():
    torch = pytest.importorskip("torch")
    for build in (_three_branches,):
        ours, theirs = [], []
        _, out = build(da, ours)
        out.backward()
        _, out = build(torch, theirs)
        out.backward()
        assert ours == theirs


def _many_contributions():
    """A leaf reached by many paths whose cotangents do not sum exactly: the result's
    last bits depend on the order of the additions."""
    x = da.tensor(0.7, requires_grad=True)
    scales = [1e16, 3.0, -1e16, 0.1, 7e15, 0.3, -7e15, 1.0 / 3.0]
    out = None
    for s in scales:
        term = da.sin(x * s) * 1.0
        out = term if out is None else out + term
    return x, out


def _sums_in_creation_order_differ_from_other_orders():
    rng = np.random.default_rng(0)
    x = 0.7
    scales = [1e16, 3.0, -1e16, 0.1, 7e15, 0.3, -7e15, 1.0 / 3.0]
    parts = [s * np.cos(x * s) for s in scales]
    sums = set()
    for _ in range(50):
        total = 0.0
        for p in rng.permutation(parts):
            total += p
        sums.add(total)
    return len(sums) > 1


def test_backward_and_grad_add_cotangents_in_the_same_order():
    assert _sums_in_creation_order_differ_from_other_orders()  # so the test can fail
    x, out = _many_contributions()
    assert graph.untouched([out.grad_fn])
    out.backward(retain_graph=True)  # no first pass over the graph
    fast = x.grad.item()
    x.grad = None
    da.tensor([1.0]).add_(1.0)  # an unrelated in-place write: now the graph is looked at
    assert not graph.untouched([out.grad_fn])
    out.backward()
    checked = x.grad.item()
    x, out = _many_contributions()
    (by_grad,) = da.autograd.grad(out, x)
    assert fast == checked == by_grad.item()


def test_untouched_until_an_in_place_write_or_a_freeing_backward():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    y = da.exp(x)
    z = da.sin(y).sum()
    assert graph.untouched([z.grad_fn])
    other = da.tensor(3.0, requires_grad=True)
    (other * 2.0).backward()  # frees another graph
    assert not graph.untouched([z.grad_fn])
    z2 = da.cos(y).sum()  # y's node is older than that backward
    assert not graph.untouched([z2.grad_fn])
    fresh = da.cos(x * 1.0).sum()
    assert graph.untouched([fresh.grad_fn])
    da.tensor([0.0]).mul_(2.0)
    assert not graph.untouched([fresh.grad_fn])


def test_a_graph_with_a_custom_function_below_is_always_looked_at():
    x = da.tensor([1.5, -2.0], requires_grad=True)
    y = da.sin(Cube.apply(x)).sum()
    assert y.grad_fn.low == -1 and not graph.untouched([y.grad_fn])
    y.backward()
    xs = np.array([1.5, -2.0])
    np.testing.assert_allclose(x.grad.numpy(), 3.0 * xs ** 2 * np.cos(xs ** 3), rtol=1e-14)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_a_shared_subgraph_freed_by_another_root_is_caught_before_any_gradient():
    x = da.tensor([0.5, 1.0], requires_grad=True)
    w = da.tensor([2.0, 3.0], requires_grad=True)
    y = da.exp(x)  # saves its output
    z1 = da.sin(y).sum()
    z2 = (da.cos(y) + w * 1.0).sum()  # recorded before z1's backward frees exp's node
    z1.backward()
    before = x.grad.numpy().copy()
    with pytest.raises(RuntimeError, match="second time"):
        z2.backward()
    np.testing.assert_array_equal(x.grad.numpy(), before)
    assert w.grad is None


def test_a_chain_of_untouched_graphs_in_a_loop_gives_closed_form_gradients():
    # each step records after the previous backward freed its graph: every pass is
    # untouched, and the version checks it skips would all have passed
    x = da.tensor(0.4, requires_grad=True)
    opt_steps = []
    for _ in range(5):
        out = da.tanh(da.sin(x) * 1.0001 + 0.1)
        assert graph.untouched([out.grad_fn])
        out.backward()
        t = np.tanh(np.sin(x.item()) * 1.0001 + 0.1)
        expected = (1.0 - t * t) * 1.0001 * np.cos(x.item())
        opt_steps.append((x.grad.item(), expected))
        with da.no_grad():
            x -= 0.1 * x.grad  # an in-place write: the next graph is recorded after it
        x.grad = None
    for got, expected in opt_steps:
        assert got == pytest.approx(expected, rel=1e-14)


def _freed_and_modified(lib, modified_is_newer: bool):
    """A graph with two problems: exp's node freed by an earlier backward, and sin's saved
    input modified in place; ``modified_is_newer`` says which node was made last."""
    x = lib.tensor([0.5, 1.0], requires_grad=True)
    if modified_is_newer:
        y = lib.exp(x)
        y.sum().backward()
        h = x * 2.0
        w = lib.sin(h)
        h.add_(1.0)
    else:
        h = x * 2.0
        w = lib.sin(h)
        h.add_(1.0)
        y = lib.exp(x * 1.0)
        y.sum().backward()
    return (y * 1.0).sum() + w.sum()


@pytest.mark.parametrize("modified_is_newer, message", [
    (True, "modified by an inplace operation"), (False, "second time")])
def test_of_two_problems_the_newest_nodes_is_reported_as_in_pytorch(modified_is_newer, message):
    # PyTorch meets the problem of the node it runs first, the newest
    out = _freed_and_modified(da, modified_is_newer)
    with pytest.raises(RuntimeError, match=message):
        out.backward()
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match=message):
        _freed_and_modified(torch, modified_is_newer).backward()


def test_backward_of_an_untouched_graph_does_not_walk_it_first(monkeypatch):
    walks = []
    real_walk = graph.reachable
    monkeypatch.setattr(graph, "reachable", lambda *a, **k: walks.append(1) or real_walk(*a, **k))
    x = da.tensor([0.5, 1.5], requires_grad=True)
    da.sin(x * 2.0).sum().backward()
    assert walks == []
    np.testing.assert_allclose(x.grad.numpy(), 2.0 * np.cos(2.0 * np.array([0.5, 1.5])),
                               rtol=1e-15)
    out = da.sin(x * 2.0).sum()
    da.tensor([1.0]).add_(1.0)  # now it is looked at first
    out.backward()
    assert walks == [1]

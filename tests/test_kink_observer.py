"""The kink tracker learns which node's rules run from the engine (``state.rule_node``) and
whether a jvp rule runs from dispatch (``state.tangent_inputs``), never from stack frames:
renaming or restructuring the engine cannot break it. Every way of running a backward pass
reports a kink in a backward rule at the line where the user made that node."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import dualad as da
from dualad import _state, func, nondiff
from dualad import forward_ad as fwAD


def _model(x):
    return (da.relu(x) * x).sum()  # the kink: relu at x == 0


RELU_LINE = f"{__file__}:{_model.__code__.co_firstlineno + 1}"
X = np.array([0.0, 1.5, -2.0])


def _backward(x):
    _model(x).backward()


def _backward_create_graph(x):
    _model(x).backward(create_graph=True)


def _autograd_grad(x):
    da.autograd.grad(_model(x), [x])


def _backward_with_hook(x):  # a hooked node runs by the general node runner
    y = da.relu(x)  # the kink (line checked below)
    y.register_hook(lambda g: g * 1.0)
    (y * x).sum().backward()


def _anomaly(x):
    with da.autograd.detect_anomaly():
        _model(x).backward()


def _func_grad(x):
    func.grad(_model)(x.detach())


def _func_vjp(x):
    _, pull = func.vjp(_model, x.detach())
    pull(np.array(1.0))


def _jacrev(x):
    func.jacrev(lambda v: da.relu(v) * v)(x.detach())


def _hessian(x):
    func.hessian(_model)(x.detach())


PASSES = [_backward, _backward_create_graph, _autograd_grad, _anomaly, _func_grad, _func_vjp,
          _hessian]


@pytest.mark.parametrize("run", PASSES, ids=[p.__name__ for p in PASSES])
def test_every_backward_pass_reports_the_node_location(run):
    x = da.tensor(X, requires_grad=True)
    with nondiff.track() as hits:
        run(x)
    backward = [h for h in hits if h.op == "relu" and h.mode == "backward"]
    assert backward, hits.hits
    assert {h.location for h in backward} == {RELU_LINE}
    assert _state.state.rule_node is None  # restored after the pass


def test_a_hooked_node_reports_its_location():
    x = da.tensor(X, requires_grad=True)
    with nondiff.track() as hits:
        _backward_with_hook(x)
    line = f"{__file__}:{_backward_with_hook.__code__.co_firstlineno + 1}"
    assert {h.location for h in hits if h.op == "relu"} == {line}


def test_jacrev_reports_the_lambdas_line():
    x = da.tensor(X, requires_grad=True)
    with nondiff.track() as hits:
        _jacrev(x)
    line = f"{__file__}:{_jacrev.__code__.co_firstlineno + 1}"
    assert {h.location for h in hits if h.op == "relu" and h.mode == "backward"} == {line}


def test_policy_raise_names_the_node_and_restores_the_state():
    x = da.tensor(X, requires_grad=True)
    with nondiff.policy("raise"):
        y = _model(x)  # the forward is seen under the policy: its node's line is kept
        with pytest.raises(nondiff.KinkError, match=f"created at {RELU_LINE}"):
            y.backward()
    assert _state.state.rule_node is None


def test_ops_called_by_rules_are_not_forward_hits():
    """abs's rules call sign (which has a kink at 0 too): only the user's abs is reported."""
    x = da.tensor([0.0, 2.0], requires_grad=True)
    with nondiff.track() as hits:
        da.abs(x).sum().backward()
    assert {(h.op, h.mode) for h in hits} == {("abs", "forward"), ("abs", "backward")}
    with nondiff.track() as hits, fwAD.dual_level():
        da.abs(fwAD.make_dual(da.tensor([0.0, 2.0]), da.tensor([1.0, 1.0])))
    assert {(h.op, h.mode) for h in hits} == {("abs", "forward"), ("abs", "jvp")}


def test_the_tracker_reads_no_stack_frame_of_the_engine():
    source = inspect.getsource(nondiff)
    assert "f_locals" not in source and "autograd" not in source

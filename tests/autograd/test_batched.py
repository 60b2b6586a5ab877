"""jacrev's batched raw-array pullback gives the Jacobians of the general way.

``dualad.autograd.batched.pull_back_batched`` pulls every row of a Jacobian
back at once when each node has a batched array rule. The oracles here are
central finite differences, ``jacfwd`` (the other mode) and ``jacrev`` with
the batched path switched off (the batched-dual way through Tensor rules).
"""

from __future__ import annotations

import numpy as np
import pytest
from custom_functions import Cube

import dualad as da
from dualad import func, nondiff
from dualad.autograd import batched
from dualad.registry import fit_batched_array_to

RNG = np.random.default_rng(7)
A34 = RNG.standard_normal((3, 4))
B4 = RNG.standard_normal(4)
C245 = RNG.standard_normal((2, 4, 5))
D41 = RNG.standard_normal((4, 1))


def _fd_jacobian(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences, shape out.shape + x.shape."""
    out = np.asarray(f(da.tensor(x)).detach().numpy())
    jac = np.zeros(out.shape + x.shape)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        up = f(da.tensor(x + e)).detach().numpy()
        down = f(da.tensor(x - e)).detach().numpy()
        jac[(...,) + idx] = (up - down) / (2 * h)
    return jac


# (function, input) pairs covering every op with a batched rule and broadcasting
CASES = {
    "unary chain": (lambda x: da.tanh(da.sin(x) * 1.5 + 0.1) * da.exp(-x), np.linspace(-1, 1, 4)),
    "broadcast mul": (lambda x: x * da.tensor(B4) - x / 3.0, RNG.standard_normal((3, 1))),
    "broadcast add into rows": (lambda x: da.tensor(A34) + x ** 2, RNG.standard_normal(4)),
    "pow tensor exponent": (lambda x: da.tensor([1.5, 2.0, 0.7]) ** x, np.array([0.3, 1.2, -0.4])),
    "matrix @ vector": (lambda x: da.tensor(A34) @ x, RNG.standard_normal(4)),
    "vector @ matrix": (lambda x: x @ da.tensor(A34), RNG.standard_normal(3)),
    "vector @ vector": (lambda x: x @ da.tensor(B4), RNG.standard_normal(4)),
    "matrix @ matrix (left)": (lambda x: x @ da.tensor(D41), RNG.standard_normal((3, 4))),
    "matrix @ matrix (right)": (lambda x: da.tensor(A34) @ x, RNG.standard_normal((4, 2))),
    "batched matmul": (lambda x: x @ da.tensor(C245), RNG.standard_normal((3, 4))),
    "matmul broadcast right": (lambda x: da.tensor(C245).transpose(-1, -2) @ x,
                               RNG.standard_normal((4, 2))),
    "sum all": (lambda x: (da.sin(x) * x).sum(), RNG.standard_normal((2, 3))),
    "sum axis": (lambda x: da.sum(x ** 2, axis=0), RNG.standard_normal((2, 3))),
    "sum axes keepdims": (lambda x: da.sum(x * 2.0, axis=(0, 2), keepdims=True),
                          RNG.standard_normal((2, 3, 2))),
    "mean axis": (lambda x: da.mean(da.exp(x), axis=-1), RNG.standard_normal((2, 3))),
    "0-d": (lambda x: da.tanh(x) * x, np.array(0.4)),
    "input used twice": (lambda x: da.sin(x) * da.cos(x) + x, np.linspace(0.1, 0.9, 3)),
}


def _without_batched(monkeypatch, f, x):
    monkeypatch.setattr(func, "pull_back_batched", lambda *a, **k: None)
    try:
        return func.jacrev(f)(x)
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize("name", sorted(CASES))
def test_batched_jacrev_matches_oracles(name, monkeypatch):
    f, x = CASES[name]
    calls = []
    real = batched.pull_back_batched

    def spy(*args, **kwargs):
        result = real(*args, **kwargs)
        calls.append(result is not None)
        return result

    monkeypatch.setattr(func, "pull_back_batched", spy)
    jac = func.jacrev(f)(x)
    monkeypatch.undo()
    assert calls == [True]  # the batched path answered
    np.testing.assert_allclose(jac, _fd_jacobian(f, x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(jac, func.jacfwd(f)(x), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(jac, _without_batched(monkeypatch, f, x), rtol=1e-12, atol=1e-13)


def test_chunks_and_several_inputs():
    f = lambda x, w: da.tanh(w @ x) + x ** 3  # noqa: E731
    x, w = RNG.standard_normal(5), RNG.standard_normal((5, 5))
    jx, jw = func.jacrev(f, argnums=(0, 1), chunk_size=2)(x, w)
    fx, fw = func.jacfwd(f, argnums=(0, 1))(x, w)
    np.testing.assert_allclose(jx, fx, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(jw, fw, rtol=1e-12, atol=1e-13)
    assert jw.shape == (5, 5, 5)


def test_unused_input_gives_zeros():
    jx, jy = func.jacrev(lambda x, y: x * 2.0, argnums=(0, 1))(np.ones(3), np.ones(2))
    np.testing.assert_array_equal(jx, 2.0 * np.eye(3))
    np.testing.assert_array_equal(jy, np.zeros((3, 2)))


@pytest.mark.parametrize("f", [
    lambda x: da.maximum(x, 0.5 * x),       # maximum has no batched rule
    lambda x: Cube.apply(da.sin(x)),        # a custom Function
], ids=["no batched rule", "custom Function"])
def test_graphs_without_batched_rules_take_the_general_way(f, monkeypatch):
    x = np.array([0.3, -0.8, 1.1])
    results = []
    real = batched.pull_back_batched
    monkeypatch.setattr(func, "pull_back_batched",
                        lambda *a: results.append(real(*a)) or results[-1])
    jac = func.jacrev(f)(x)
    monkeypatch.undo()
    assert all(r is None for r in results)
    np.testing.assert_allclose(jac, _fd_jacobian(f, x), rtol=1e-6, atol=1e-7)


def test_modes_that_need_tensors_decline():
    x = da.tensor([0.5, -0.5], requires_grad=True)
    y = da.abs(x) * 2.0
    with nondiff.track() as tracker:
        assert batched.pull_back_batched(y, np.eye(2), [x]) is None
    assert tracker is not None
    with da.autograd.detect_anomaly():
        assert batched.pull_back_batched(y, np.eye(2), [x]) is None
    got = batched.pull_back_batched(y, np.eye(2), [x])
    np.testing.assert_array_equal(got[0], np.diag(2.0 * np.sign([0.5, -0.5])))


def test_the_graph_is_kept_and_version_checked():
    x = da.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = da.tensor([0.5, -1.0, 2.0])
    y = x * w
    first = batched.pull_back_batched(y, np.eye(3), [x])[0]
    second = batched.pull_back_batched(y, np.eye(3), [x])[0]
    np.testing.assert_array_equal(first, np.diag([0.5, -1.0, 2.0]))
    np.testing.assert_array_equal(second, first)
    with da.no_grad():
        w.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        batched.pull_back_batched(y, np.eye(3), [x])


@pytest.mark.parametrize("xs, shape, expected_sum_axes", [
    ((4, 3), (3,), ()),           # already fitted
    ((4, 2, 3), (3,), (1,)),       # a leading broadcast axis is summed, the batch kept
    ((4, 2, 3), (1, 3), (1,)),     # a unit axis is summed with keepdims
    ((4, 2, 3), (2, 1), (2,)),
])
def test_fit_batched_array_to(xs, shape, expected_sum_axes):
    x = np.arange(np.prod(xs), dtype=float).reshape(xs)
    got = fit_batched_array_to(x, shape, np.dtype(float))
    want = x.sum(axis=expected_sum_axes, keepdims=True) if expected_sum_axes else x
    want = want.reshape((xs[0],) + shape)
    assert got.shape == (xs[0],) + shape
    np.testing.assert_array_equal(got, want)


def test_a_repeated_input_gets_its_rows_in_every_place():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    first, second = batched.pull_back_batched(x * x, np.eye(2), [x, x])
    np.testing.assert_array_equal(first, np.diag([2.0, 4.0]))
    np.testing.assert_array_equal(second, first)
    assert first is not second


def test_a_hook_on_an_input_makes_the_batched_pull_back_decline():
    # a hook would be handed the stacked rows, not one gradient: the general way runs it
    x = da.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.shape))
    assert batched.pull_back_batched(x * x, np.eye(2), [x]) is None
    assert seen == []

"""The engine's fast paths give the answers of the general path.

When the backward pass is not recorded, ops with ``array_vjp`` rules run them
on raw arrays; nodes keep only the inputs their differentiated inputs' rules
read (``Hints.reads``). These tests pin the values against closed forms and
check that the fast path is taken, and left, where it should be.
"""

from __future__ import annotations

import numpy as np
import pytest

import dualad as da
from dualad import nondiff, registry
from dualad.autograd.node import OpNode


def _chain(x: da.Tensor) -> da.Tensor:
    return (da.tanh(da.sin(x) * 1.5 + 0.1) * x + x / 3.0 - x ** 2).sum()


def _chain_grad(x: np.ndarray) -> np.ndarray:
    u = np.sin(x) * 1.5 + 0.1
    t = np.tanh(u)
    return (1 - t ** 2) * 1.5 * np.cos(x) * x + t + 1 / 3.0 - 2 * x


@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_fast_path_matches_closed_form(shape):
    x0 = np.linspace(-1.3, 1.1, int(np.prod(shape))).reshape(shape)
    x = da.tensor(x0, requires_grad=True)
    _chain(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), _chain_grad(x0), rtol=1e-13, atol=1e-15)


def test_fast_path_is_used_and_agrees_with_the_tensor_path(monkeypatch):
    x0 = np.array([0.3, -0.7, 1.2])
    calls = {"arrays": 0}
    original = OpNode.raw_inputs  # read once per node whose array rules run

    def spy(self, check):
        calls["arrays"] += 1
        return original(self, check)

    monkeypatch.setattr(OpNode, "raw_inputs", spy)
    x = da.tensor(x0, requires_grad=True)
    _chain(x).backward()
    fast = x.grad.numpy()
    assert calls["arrays"] > 5
    calls["arrays"] = 0
    with nondiff.track(warn=False):  # a tracker needs Tensors: the general path
        y = da.tensor(x0, requires_grad=True)
        _chain(y).backward()
    assert calls["arrays"] == 0
    np.testing.assert_array_equal(fast, y.grad.numpy())
    np.testing.assert_allclose(fast, _chain_grad(x0), rtol=1e-13)


def test_create_graph_takes_the_tensor_path_and_differentiates_again():
    x = da.tensor(0.4, requires_grad=True)
    (g,) = da.autograd.grad(da.sin(x) * x, x, create_graph=True)
    (h,) = da.autograd.grad(g, x)
    np.testing.assert_allclose(g.item(), np.cos(0.4) * 0.4 + np.sin(0.4), rtol=1e-15)
    np.testing.assert_allclose(h.item(), -np.sin(0.4) * 0.4 + 2 * np.cos(0.4), rtol=1e-15)


def test_hooks_and_retain_grad_leave_the_fast_path_correctly():
    x = da.tensor([0.5, 2.0], requires_grad=True)
    s = da.sin(x)
    s.retain_grad()
    seen = []
    s.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 2.0)
    y = (s * s).sum()
    y.backward()
    np.testing.assert_allclose(seen[0], 2 * np.sin([0.5, 2.0]), rtol=1e-15)
    # as in PyTorch, .grad of a retained tensor is the gradient after its hooks
    np.testing.assert_allclose(s.grad.numpy(), 4 * np.sin([0.5, 2.0]), rtol=1e-15)
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.sin([0.5, 2.0]) * np.cos([0.5, 2.0]),
                               rtol=1e-15)


@pytest.mark.parametrize("shape", [(), (3,)])
def test_gradients_from_several_paths_are_summed(shape):
    # x feeds five nodes: the buffers of x's accumulator and of s are summed in place
    x0 = np.full(shape, 0.7)
    x = da.tensor(x0, requires_grad=True)
    s = da.exp(x)
    y = (s * x + s + x * 3.0 + s * s - x).sum()
    y.backward()
    e = np.exp(x0)
    np.testing.assert_allclose(x.grad.numpy(), e * x0 + e + e + 3.0 + 2 * e * e - 1.0,
                               rtol=1e-14)
    y2 = (da.exp(x) * x).sum()
    y2.backward()  # accumulates into the existing .grad
    np.testing.assert_allclose(x.grad.numpy(), e * x0 + 2 * e + 3.0 + 2 * e * e - 1.0
                               + e * x0 + e, rtol=1e-14)


def test_broadcast_cotangents_are_summed_back():
    w = da.tensor([[1.0, 2.0, 3.0]], requires_grad=True)  # (1, 3) against (4, 3)
    b = da.tensor(0.5, requires_grad=True)
    x = da.tensor(np.arange(12.0).reshape(4, 3))
    ((x * w + b) ** 2).sum().backward()
    r = np.arange(12.0).reshape(4, 3) * np.array([[1.0, 2.0, 3.0]]) + 0.5
    np.testing.assert_allclose(w.grad.numpy(), (2 * r * np.arange(12.0).reshape(4, 3))
                               .sum(axis=0, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(b.grad.item(), (2 * r).sum(), rtol=1e-14)
    assert w.grad.shape == (1, 3) and b.grad.shape == ()


def test_float32_gradients_stay_float32():
    x = da.tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
    (da.tanh(x) * 2.0).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), 2 * (1 - np.tanh([0.5, 1.5]) ** 2), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
@pytest.mark.parametrize("shape", [(), (3,)])
def test_gradients_have_the_inputs_dtype_and_shape(dtype, shape):
    # the fast path passes a float64 scalar through as a 0-d gradient without a cast; every
    # other scalar type must still be cast to the input's dtype
    data = np.full(shape, 0.5, dtype=dtype)
    x = da.tensor(data, requires_grad=True)
    out = (da.sin(x) * 2.0 + x * x).sum()
    # a complex output needs its gradient given (PyTorch): 1 gives conj(f'(z))
    out.backward(np.ones((), dtype) if dtype == np.complex128 else None)
    assert x.grad.dtype == data.dtype and x.grad.shape == shape
    expected = 2.0 * np.cos(data.astype(np.complex128)) + 2 * data
    np.testing.assert_allclose(x.grad.numpy(), np.conj(expected) if dtype == np.complex128
                               else expected.real, rtol=1e-6)


def test_a_scalar_cotangent_for_a_broadcast_input_is_spread_to_its_shape():
    # a rule may return a 0-d value for an input of another shape: it must be fitted
    x = da.tensor(np.ones((2, 3)), requires_grad=True)
    (x + 0.0).sum().backward()  # add's rule returns the output gradient as it is
    b = da.tensor(2.0, requires_grad=True)
    (x.detach() * b).sum().backward()
    assert x.grad.shape == (2, 3) and b.grad.shape == ()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))
    assert b.grad.item() == 6.0


@pytest.mark.parametrize("xs, shape, expected", [
    (np.ones((2, 3)), (3,), np.full(3, 2.0)),
    (np.ones((2, 3)), (1, 3), np.full((1, 3), 2.0)),
    (np.ones((2, 3)), (2, 1), np.full((2, 1), 3.0)),
    (np.ones((4, 2, 3)), (), np.array(24.0)),
    (np.array(2.0), (2, 2), np.full((2, 2), 2.0)),
    (np.ones(3), (2, 3), np.ones((2, 3))),
])
def test_fit_array_to(xs, shape, expected):
    got = registry.fit_array_to(xs, shape, np.dtype(np.float64))
    assert got.shape == shape
    np.testing.assert_array_equal(got, expected)


def test_unread_inputs_are_not_kept():
    # x * 2.0: the rule for x reads only the constant, so x may change afterwards (as in
    # PyTorch); x * y with both differentiated keeps both and checks their versions
    x = da.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1.0
    y = h * 2.0
    assert y.grad_fn._saved_self is None and y.grad_fn._saved_other == 2.0
    with da.no_grad():
        h.mul_(10.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    a = da.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1.0
    c = b * a
    assert c.grad_fn._saved_self is b
    with da.no_grad():
        b.mul_(10.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()
    assert a.grad is None  # raised before any gradient was written


def test_unread_inputs_are_released_with_the_python_reference():
    import weakref

    x = da.tensor([1.0, 2.0], requires_grad=True)
    h = x + 1.0
    ref = weakref.ref(h)
    y = da.exp(h)  # exp's rule reads only its output
    del h
    assert ref() is None
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([2.0, 3.0]), rtol=1e-15)


class _ExpOfArray(da.autograd.Function):
    """A Function whose backward calls dualad ops on raw NumPy arrays (user code)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return da.exp(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        d = da.exp(x.detach().numpy())  # outside a rule, an op on an array gives a Tensor
        assert isinstance(d, da.Tensor)
        return g * d


def test_user_code_between_fast_nodes_sees_ordinary_dispatch():
    x0 = np.array([0.2, -0.4])
    x = da.tensor(x0, requires_grad=True)
    da.sin(_ExpOfArray.apply(da.sin(x) * 2.0)).sum().backward()
    u = np.sin(x0) * 2.0
    expected = np.cos(np.exp(u)) * np.exp(u) * 2.0 * np.cos(x0)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-14)
    assert type(da.exp(np.asarray(0.5))) is da.Tensor


def test_a_hook_between_fast_nodes_sees_ordinary_dispatch():
    seen = []

    def hook(g):
        seen.append((type(g), type(da.cos(np.ones(2)))))  # an op on an array: a Tensor

    x = da.tensor([0.5, 1.0], requires_grad=True)
    y = da.sin(x)
    y.register_hook(hook)
    da.exp(y).sum().backward()
    assert seen == [(da.Tensor, da.Tensor)]
    np.testing.assert_allclose(x.grad.numpy(), np.exp(np.sin([0.5, 1.0])) * np.cos([0.5, 1.0]),
                               rtol=1e-14)


def test_a_custom_array_rule_that_calls_dualad_ops_gets_tensors_and_still_works():
    # no mode changes what an op function returns: on raw arrays in an array rule, da.cos
    # gives a Tensor (unrecorded); the engine takes the data of a Tensor a rule returns
    seen = []

    def rule(g, out, x):
        d = da.cos(x)
        seen.append((type(x), type(d)))
        return g * d

    op = da.register_op(registry.Op(
        name="_test_sin", forward=np.sin, vjp=(rule,),
        jvp=(lambda t, out, x: t * da.cos(x),), sympy=lambda x: x,
        domain=registry.Domain(ranges=(((-1.0, 1.0),),)), elementwise=True,
        hints=registry.Hints(array_vjp=True)))
    try:
        x = da.tensor([0.2, 0.7], requires_grad=True)
        da.exp(registry.apply(op, x)).sum().backward()
    finally:
        registry._REGISTRY.pop("_test_sin")
    assert seen == [(np.ndarray, da.Tensor)]
    assert type(x.grad) is da.Tensor and x.grad.grad_fn is None
    np.testing.assert_allclose(x.grad.numpy(), np.exp(np.sin([0.2, 0.7])) * np.cos([0.2, 0.7]),
                               rtol=1e-14)


def test_saved_value_properties():
    x = da.tensor(1.5, requires_grad=True)
    w = da.tensor(2.0, requires_grad=True)
    y = x * w
    assert y.grad_fn._saved_self is x and y.grad_fn._saved_other is w
    s = da.sin(x)
    assert s.grad_fn._saved_self is x
    assert not hasattr(s.grad_fn, "_saved_other")  # a unary op has no second input
    e = da.exp(x)
    np.testing.assert_allclose(e.grad_fn._saved_result.detach().numpy(), np.exp(1.5))
    e.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        _ = e.grad_fn._saved_result


def test_leaf_grad_never_aliases_a_cotangent_someone_else_holds():
    x = da.tensor([1.0, 2.0, 3.0], requires_grad=True)
    g = da.tensor([1.0, 1.0, 1.0])
    (x + 0.0).backward(g)  # add passes g itself through: the leaf must copy it
    x.grad.add_(1.0)
    assert g.tolist() == [1.0, 1.0, 1.0]
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_leaf_grad_keeps_the_engines_own_sum_and_accumulates_into_it():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    (x * 2.0 + x * 3.0).sum().backward()  # two paths: the engine's sum is nobody else's
    first = x.grad
    assert first.tolist() == [5.0, 5.0]
    (x * x).sum().backward()
    assert x.grad is first and x.grad.tolist() == [7.0, 9.0]


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_hook_that_modifies_a_saved_tensor_is_caught(create_graph):
    x = da.tensor([1.0, 2.0], requires_grad=True)
    w = da.tensor([3.0, 4.0], requires_grad=True)
    y = x * w  # saves x and w
    z = da.sin(y)

    def meddle(g):
        with da.no_grad():
            w.mul_(2.0)
        return g

    z.register_hook(meddle)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward(create_graph=create_graph)


@pytest.mark.parametrize("fields, message", [
    ({"array_vjp": (None, None)}, "array_vjp needs one rule"),
    ({"batch_array_vjp": (None, None)}, "batch_array_vjp needs one rule"),
    ({"batch_array_vjp": True}, "batch_array_vjp needs one rule"),
    ({"reads": ((0,), (0,))}, "reads needs one tuple per input"),
    ({"saves": (), "reads": ((0,),)}, "within saves"),
])
def test_malformed_speed_fields_are_refused_with_the_reason(fields, message):
    with pytest.raises(ValueError, match=message):
        registry.Op(name="cube_like", forward=np.sin, vjp=(lambda g, out, x: g,),
                    jvp=(None,), sympy=None, domain=registry.Domain(ranges=(((-1.0, 1.0),),)),
                    hints=registry.Hints(**fields))

"""Tensor hooks, node hooks, retain_grad and saved-tensor hooks."""

import warnings

import numpy as np
import pytest
from custom_functions import TwoOutputs

import dualad as da


def test_leaf_hook_sees_and_replaces_the_gradient():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    seen = []

    def hook(g):
        seen.append(g.numpy().copy())
        return g * 10

    handle = x.register_hook(hook)
    (x * 2).sum().backward()
    np.testing.assert_array_equal(seen[0], [2.0, 2.0])
    np.testing.assert_array_equal(x.grad.numpy(), [20.0, 20.0])
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    assert len(seen) == 1
    handle.remove()  # removing twice is harmless


def test_hook_returning_none_keeps_the_gradient():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: None)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_non_leaf_hook_replacement_flows_to_the_leaves():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.numpy().copy()) or da.ones_like(g))
    (y * 5).sum().backward()
    np.testing.assert_array_equal(seen[0], [5.0, 5.0])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])  # 1 * dy/dx


def test_hooks_run_in_registration_order_and_chain():
    x = da.tensor(1.0, requires_grad=True)
    y = x * 1
    order = []
    y.register_hook(lambda g: order.append("a") or g + 1)
    y.register_hook(lambda g: order.append("b") or g * 10)
    (y * 1).backward()
    assert order == ["a", "b"]
    assert x.grad.item() == 20.0  # (1 + 1) * 10


@pytest.mark.parametrize("retain_first", [True, False])
def test_retain_grad_sees_the_hooked_gradient_whatever_the_order(retain_first):
    x = da.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    if retain_first:
        y.retain_grad()
    y.register_hook(lambda g: g * 100)
    if not retain_first:
        y.retain_grad()
    (y * 5).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [500.0, 500.0])
    np.testing.assert_array_equal(x.grad.numpy(), [1000.0, 1000.0])


def test_retain_grad_and_non_leaf_grad_warning():
    x = da.ones(1, 2, requires_grad=True)
    y = x ** 2
    c = x + 1
    z = y ** 2
    y.retain_grad()
    assert y.retains_grad and not z.retains_grad and not x.retains_grad
    z.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [[2.0, 2.0]])  # dz/dy = 2y
    np.testing.assert_array_equal(x.grad.numpy(), [[4.0, 4.0]])
    for t in (z, c):
        with pytest.warns(UserWarning, match="not a leaf Tensor"):
            assert t.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is not None and y.grad is not None
    c.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[5.0, 5.0]])


def test_retain_grad_accumulates_and_on_leaf_is_a_no_op():
    x = da.tensor(3.0, requires_grad=True)
    x.retain_grad()
    y = x * 2
    y.retain_grad()
    z = y * y
    z.backward(retain_graph=True)
    z.backward()
    assert y.grad.item() == 2 * 12.0
    assert x.grad.item() == 2 * 24.0


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        da.ones(2).register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        da.ones(2).retain_grad()


def test_node_post_hook_sees_input_and_output_gradients():
    x = da.tensor(2.0, requires_grad=True)
    y = da.sin(x)
    calls = []
    y.grad_fn.register_hook(lambda gin, gout: calls.append((gin[0].item(), gout[0].item())))
    (y * 3).backward()
    np.testing.assert_allclose(calls, [(3 * np.cos(2.0), 3.0)])


def test_saved_tensors_hooks_pack_and_unpack():
    x = da.tensor([1.0, 2.0, 3.0], requires_grad=True)
    log = []

    def pack(t):
        log.append(("pack", tuple(t.shape)))
        return t.detach().numpy().copy()  # store as a plain NumPy copy

    def unpack(arr):
        log.append(("unpack", arr.shape))
        return da.tensor(arr)

    with da.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = da.sin(x)
    assert log == [("pack", (3,))]
    y.sum().backward()
    assert log == [("pack", (3,)), ("unpack", (3,))]
    np.testing.assert_allclose(x.grad.numpy(), np.cos([1.0, 2.0, 3.0]), rtol=1e-15)


def test_saved_tensors_hooks_can_change_what_backward_sees():
    x = da.tensor(2.0, requires_grad=True)
    with da.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t * 0 + 10.0):
        y = x * x
    y.backward()
    assert x.grad.item() == 20.0  # both saved operands unpack as 10


def test_saved_tensors_hooks_pack_a_saved_output_too():
    # as in PyTorch 2.13: exp saves its result, which goes through pack and unpack
    x = da.tensor([0.5, 1.5], requires_grad=True)
    log = []

    def pack(t):
        log.append("pack")
        return t.detach().numpy().copy()

    def unpack(arr):
        log.append("unpack")
        return da.tensor(arr)

    with da.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = da.exp(x)
    assert log == ["pack"]
    (g,) = da.autograd.grad(y.sum(), x, create_graph=True)
    assert log == ["pack", "unpack"]
    np.testing.assert_allclose(g.detach().numpy(), np.exp([0.5, 1.5]), rtol=1e-15)
    (h,) = da.autograd.grad(g.sum(), x)  # through the unpacked output: d/dx exp(x) again
    np.testing.assert_allclose(h.numpy(), np.exp([0.5, 1.5]), rtol=1e-15)


def test_saved_tensors_hooks_see_what_backward_reads_as_pytorch():
    # sum(sin(x) * exp(-x**2)) saves 5 tensors in PyTorch 2.13: x for sin, x for pow,
    # exp's result, both factors of the product
    packed = []
    x = da.tensor([0.5, 1.5], requires_grad=True)
    with da.autograd.graph.saved_tensors_hooks(lambda t: packed.append(t.shape) or t,
                                               lambda t: t):
        (da.sin(x) * da.exp(-x ** 2)).sum().backward()
    assert len(packed) == 5
    xs = np.array([0.5, 1.5])
    np.testing.assert_allclose(x.grad.numpy(),
                               (np.cos(xs) - 2 * xs * np.sin(xs)) * np.exp(-xs ** 2), rtol=1e-14)


def test_saved_tensors_hooks_nest_and_restore():
    from dualad._state import state

    outer = []
    inner = []
    x = da.tensor(1.0, requires_grad=True)
    with da.autograd.graph.saved_tensors_hooks(lambda t: outer.append(1) or t, lambda t: t):
        with da.autograd.graph.saved_tensors_hooks(lambda t: inner.append(1) or t, lambda t: t):
            da.sin(x)
        da.cos(x)
    assert (len(outer), len(inner)) == (1, 1)
    assert state.saved_hooks == []


# ------------------------------------------- what a hook returns is checked (issue 18)

def _tensor_hook_on(where: str, hook):
    """``(x, loss)``: ``hook`` registered on a leaf or on an intermediate tensor."""
    x = da.tensor([1.0, 2.0, 3.0], requires_grad=True)
    if where == "leaf":
        x.register_hook(hook)
        return x, (x * 2).sum()
    y = x * 2
    y.register_hook(hook)
    return x, (y * 1).sum()


def wrong_size(g):
    return da.ones(2)


@pytest.mark.parametrize("where", ["leaf", "intermediate"])
@pytest.mark.parametrize("returned", [da.ones(2), da.ones(1), da.ones(1, 3), np.ones(2)],
                         ids=["(2,)", "(1,) would broadcast", "(1, 3)", "numpy (2,)"])
def test_a_tensor_hook_returning_another_shape_is_named(where, returned):
    """It used to fail inside broadcast_to, or be broadcast silently (shape (1,))."""
    x, loss = _tensor_hook_on(where, lambda g: returned)
    with pytest.raises(RuntimeError, match=r"hook '.*<lambda>' has changed the size of the "
                                           r"gradient: it returned shape \(.*\) for a "
                                           r"gradient of shape \(3,\)"):
        loss.backward()
    assert x.grad is None
    x, loss = _tensor_hook_on(where, wrong_size)
    with pytest.raises(RuntimeError, match="hook 'wrong_size' has changed the size"):
        loss.backward()


@pytest.mark.parametrize("where", ["leaf", "intermediate"])
def test_a_tensor_hook_returning_another_dtype_or_a_number_is_named(where):
    x, loss = _tensor_hook_on(where, lambda g: g.numpy().astype(np.float32))
    with pytest.raises(RuntimeError, match="changed the dtype of the gradient from float64 to "
                                           "float32"):
        loss.backward()
    x, loss = _tensor_hook_on(where, lambda g: 3.0)
    with pytest.raises(TypeError, match=r"hook '.*<lambda>' returned float; a gradient hook "
                                        r"returns None"):
        loss.backward()
    x, loss = _tensor_hook_on(where, lambda g: g.numpy() * 5)  # an array of the right kind
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [10.0, 10.0, 10.0])


def test_node_post_hook_return_value_replaces_the_input_gradients():
    """PyTorch's Node.register_hook: a returned tuple replaces grad_inputs (it was ignored)."""
    x = da.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    seen = []

    def hook(grad_inputs, grad_outputs):
        seen.append((len(grad_inputs), len(grad_outputs)))
        return (grad_inputs[0] * 10, None)  # x * x: both inputs are x

    y.grad_fn.register_hook(hook)
    y.sum().backward()
    assert seen == [(2, 1)]
    np.testing.assert_array_equal(x.grad.numpy(), [10.0, 20.0])  # 10 * x, from the first only
    z = da.sin(x)
    z.grad_fn.register_hook(lambda gi, go: (gi[0] * 0,))
    x.grad = None
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


@pytest.mark.parametrize(("returned", "message"), [
    (lambda gi: (gi[0],), r"has returned an incorrect number of values \(got 1, but expected "
                          r"2\)"),
    (lambda gi: gi[0], r"incorrect number of values \(got Tensor, but expected 2\)"),
    (lambda gi: (da.ones(3), None), r"has changed the size of the gradient: it returned shape "
                                    r"\(3,\) for a gradient of shape \(2,\)"),
    (lambda gi: (gi[0], da.ones(2)), r"returned a gradient for input 1, which gets none"),
])
def test_a_node_post_hook_returning_the_wrong_thing_is_named(returned, message):
    x = da.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0  # two inputs; the constant gets no gradient
    y.grad_fn.register_hook(lambda gi, go: returned(gi))
    with pytest.raises(RuntimeError, match=message):
        y.sum().backward()
    assert x.grad is None


def test_hooks_and_retain_grad_on_the_second_output_of_a_node_see_its_gradient():
    """They used to act on the first output's gradient."""
    x = da.tensor([1.0, 2.0], requires_grad=True)
    a, b = TwoOutputs.apply(x)
    seen = []
    b.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 100)
    b.retain_grad()
    a.retain_grad()
    (a + b * 5).sum().backward()
    np.testing.assert_array_equal(seen[0], [5.0, 5.0])
    np.testing.assert_array_equal(b.grad.numpy(), [500.0, 500.0])
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0 + 1500.0] * 2)


def test_hook_messages_and_values_match_pytorch():
    torch = pytest.importorskip("torch")

    def wrong_size(g):
        return torch.ones(2, dtype=torch.float64)

    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    y = x * 2
    y.register_hook(wrong_size)
    with pytest.raises(RuntimeError, match="hook 'wrong_size' has changed the size"):
        y.sum().backward()
    t = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    a, b = t * 2, t * 3
    b.register_hook(lambda g: g * 100)
    (a + b * 5).sum().backward()
    x = da.tensor([1.0, 2.0], requires_grad=True)
    a, b = TwoOutputs.apply(x)
    b.register_hook(lambda g: g * 100)
    (a + b * 5).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())

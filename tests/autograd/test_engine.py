"""The reverse engine (DESIGN section 4): recording, accumulation, retain/create_graph, grad().

Expected values are closed-form derivatives worked out by hand.
"""

import gc
import math
import weakref

import numpy as np
import pytest

import dualad as da


def test_output_requires_grad_iff_an_input_does():
    x = da.rand(5, 5)
    y = da.rand(5, 5)
    z = da.rand((5, 5), requires_grad=True)
    a = x + y
    b = x + z
    assert not a.requires_grad and a.grad_fn is None
    assert b.requires_grad and b.grad_fn is not None and not b.is_leaf
    assert z.is_leaf and z.grad_fn is None


def test_leaf_flags_and_node_names():
    x = da.ones(2, requires_grad=True)
    y = x * 2
    assert (x.is_leaf, y.is_leaf) == (True, False)
    assert y.grad_fn.name() == "MulBackward0"
    assert repr(y.grad_fn).startswith("<MulBackward0 object at 0x")
    s = y.sum()
    assert s.grad_fn.name() == "SumBackward0"
    assert da.sin(x).grad_fn.name() == "SinBackward0"
    assert (x + 1).grad_fn.name() == "AddBackward0"


def test_next_functions_walk_for_d_equals_2_sin_a_plus_1():
    a = da.linspace(0.0, 2.0 * math.pi, 25, requires_grad=True)
    d = 2 * da.sin(a) + 1
    add = d.grad_fn
    assert add.name() == "AddBackward0"
    (mul, _), const = add.next_functions
    assert mul.name() == "MulBackward0" and const == (None, 0)
    (sin, _), const = mul.next_functions
    assert sin.name() == "SinBackward0" and const == (None, 0)
    ((acc, nr),) = sin.next_functions
    assert acc.name() == "AccumulateGrad" and nr == 0
    assert acc.next_functions == ()
    assert acc.variable is a
    assert a.grad_fn is None


def test_accumulate_grad_node_is_shared_by_uses_of_a_leaf():
    x = da.ones(2, requires_grad=True)
    a, b = x * 2, x * 3
    assert a.grad_fn.next_functions[0][0] is b.grad_fn.next_functions[0][0]


def test_y_equals_2_x_dot_x():
    x = da.arange(4.0)
    x.requires_grad_(True)
    assert x.grad is None
    y = 2 * da.dot(x, x)
    assert y.item() == 28.0
    y.backward()
    assert (x.grad == 4 * x).numpy().all()
    x.grad.zero_()
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(4))


def test_backward_of_two_variable_expression():
    x = da.tensor(2.0, requires_grad=True)
    y = da.tensor(3.0, requires_grad=True)
    z = x * y + y ** 2
    z.backward()
    assert x.grad.item() == 3.0  # dz/dx = y
    assert y.grad.item() == 8.0  # dz/dy = x + 2y


def test_shared_subexpression_gets_both_contributions():
    x = da.ones(1, 10, requires_grad=True)
    y1 = x ** 2
    y2 = x ** 2
    z = y1 ** 2 + y2 ** 2  # 2 x^4
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((1, 10), 8.0))


def test_accumulation_over_repeated_backward_and_zero():
    x = da.ones(1, 2, requires_grad=True)
    for k in range(1, 4):
        x.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [[k, k]])
    x.grad.zero_()
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 1.0]])
    x.grad.data.zero_()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 0.0]])


def test_accumulation_keeps_the_grad_tensor_object():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    g = x.grad
    (x * 2).sum().backward()
    assert g is x.grad
    np.testing.assert_array_equal(g.numpy(), [4.0, 4.0])


def test_backward_with_gradient_for_non_scalar():
    x = da.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    y = da.add(da.pow(x, 2), x)
    y.backward(da.ones(2, 3))
    np.testing.assert_array_equal(x.grad.numpy(), 2 * x.detach().numpy() + 1)

    x = da.tensor([1.0, 2.0, 3.0], requires_grad=True)
    da.pow(x, 2).backward(da.tensor([1.0, 0.1, 0.001]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.4, 0.006], rtol=1e-15)


def test_vector_jacobian_product_of_q():
    a = da.tensor([2.0, 3.0], requires_grad=True)
    b = da.tensor([6.0, 4.0], requires_grad=True)
    q = 3 * a ** 3 - b ** 2
    q.backward(gradient=da.tensor([1.0, 1.0]))
    assert (9 * a ** 2 == a.grad).numpy().all()
    assert (-2 * b == b.grad).numpy().all()


def test_one_element_outputs_count_as_scalars():
    x = da.tensor([3.0], requires_grad=True)
    (x * x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0])


def test_retain_graph_allows_a_second_backward():
    x = da.tensor(2.0, requires_grad=True)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 8.0


def test_create_graph_records_the_backward_pass():
    x = da.tensor(5.0, requires_grad=True)
    y = da.pow(x, 3)
    (g,) = da.autograd.grad(y, x, create_graph=True)
    assert g.item() == 75.0 and g.grad_fn is not None
    assert repr(g) == "tensor(75., grad_fn=<MulBackward0>)"
    (h,) = da.autograd.grad(g, x)
    assert h.item() == 30.0 and h.grad_fn is None
    assert repr((h,)) == "(tensor(30.),)"


def test_third_derivative_through_backward_create_graph():
    x = da.tensor(0.7, requires_grad=True)
    y = da.sin(x)
    y.backward(create_graph=True)
    g1 = x.grad
    assert g1.requires_grad
    np.testing.assert_allclose(g1.item(), math.cos(0.7))
    (g2,) = da.autograd.grad(g1, x, create_graph=True)
    (g3,) = da.autograd.grad(g2, x)
    np.testing.assert_allclose(g2.item(), -math.sin(0.7))
    np.testing.assert_allclose(g3.item(), -math.cos(0.7))


def test_grad_with_grad_outputs_and_several_inputs_does_not_touch_grad():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    w = da.tensor([3.0, -1.0], requires_grad=True)
    y = x * w
    gx, gw = da.autograd.grad(y, [x, w], grad_outputs=da.tensor([1.0, 10.0]))
    np.testing.assert_array_equal(gx.numpy(), [3.0, -10.0])
    np.testing.assert_array_equal(gw.numpy(), [1.0, 20.0])
    assert x.grad is None and w.grad is None


def test_grad_of_a_non_leaf_input():
    x = da.tensor(2.0, requires_grad=True)
    u = x * 3
    y = u * u
    (gu,) = da.autograd.grad(y, u)
    assert gu.item() == 12.0


def test_grad_runs_only_the_nodes_that_lead_to_its_inputs():
    x = da.tensor(1.5, requires_grad=True)
    w = da.tensor(0.5, requires_grad=True)
    calls = []
    w2 = w * 1.0
    a = da.sin(w2)  # the w branch: it leads to no input of grad below
    a.register_hook(lambda g: calls.append("a"))
    x1 = x * 1.0
    x1.register_hook(lambda g: calls.append("x1"))
    b = da.exp(x1)
    b.register_hook(lambda g: calls.append("b"))
    y = a * b
    with da.no_grad():
        w2.add_(1.0)  # would fail the version check of sin's node, if it ran
    (gx,) = da.autograd.grad(y, x, retain_graph=True)
    np.testing.assert_allclose(gx.item(), np.sin(0.5) * np.exp(1.5), rtol=1e-15)
    assert calls == ["b", "x1"]
    (gb,) = da.autograd.grad(y, b)  # an interior input: nothing below it runs either
    np.testing.assert_allclose(gb.item(), np.sin(0.5), rtol=1e-15)
    assert calls == ["b", "x1", "b"]
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        da.autograd.grad(da.sin(w2.detach().requires_grad_()) * a, w)  # now it must run


def test_grad_allow_unused_returns_none():
    x = da.tensor(1.0, requires_grad=True)
    unused = da.tensor(1.0, requires_grad=True)
    y = x * 3
    gx, gu = da.autograd.grad(y, [x, unused], allow_unused=True)
    assert gx.item() == 3.0 and gu is None


def test_backward_inputs_restricts_accumulation():
    x = da.tensor(2.0, requires_grad=True)
    w = da.tensor(5.0, requires_grad=True)
    y = x * w
    y.backward(inputs=[w])
    assert w.grad.item() == 2.0 and x.grad is None


def test_functional_backward_with_several_roots():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    a = x * 2
    b = (x * x).sum()
    da.autograd.backward([a, b], [da.tensor([1.0, 1.0]), None])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0 + 2.0, 2.0 + 4.0])


def test_broadcasting_is_undone_in_gradients():
    x = da.tensor([[1.0], [2.0]], requires_grad=True)  # (2, 1)
    b = da.tensor([1.0, 2.0, 3.0], requires_grad=True)  # (3,)
    (x * b).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[6.0], [6.0]])
    np.testing.assert_array_equal(b.grad.numpy(), [3.0, 3.0, 3.0])


def test_float32_is_kept_through_backward():
    x = da.tensor([1.0, 2.0], dtype=da.float32, requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_dynamic_graph_with_python_control_flow():
    def f(x):
        y = x
        while y.sum().item() < 100:
            y = y * 2
        return y.sum()

    x = da.tensor([1.0, 2.0], requires_grad=True)
    f(x).backward()  # 3 * 2**6 = 192 >= 100 after 6 doublings
    np.testing.assert_array_equal(x.grad.numpy(), [64.0, 64.0])


def test_saved_arrays_are_released_after_backward():
    x = da.tensor(np.linspace(0.1, 1.0, 1000), requires_grad=True)
    y = da.exp(x)  # saves its output
    z = da.sin(y)  # saves its input y
    out = z.sum()
    y_ref = weakref.ref(y)
    y_data_ref = weakref.ref(y._data)
    del y, z
    gc.collect()
    assert y_ref() is not None  # the graph keeps the intermediate alive
    out.backward()
    gc.collect()
    assert y_ref() is None and y_data_ref() is None
    with pytest.raises(RuntimeError, match="second time"):
        out.backward()


def test_retain_graph_keeps_saved_arrays():
    x = da.tensor([0.5, 1.5], requires_grad=True)
    y = da.exp(x)
    out = da.sin(y).sum()
    ref = weakref.ref(y._data)
    del y
    out.backward(retain_graph=True)
    gc.collect()
    assert ref() is not None
    out.backward()
    expected = 2 * np.cos(np.exp([0.5, 1.5])) * np.exp([0.5, 1.5])
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-14)


def test_saved_self_and_saved_result():
    x = da.randn(5, requires_grad=True)
    y = x.pow(2)
    assert x.equal(y.grad_fn._saved_self)
    assert x is y.grad_fn._saved_self
    x = da.randn(5, requires_grad=True)
    y = x.exp()
    assert y.equal(y.grad_fn._saved_result)
    assert y is not y.grad_fn._saved_result
    assert y.grad_fn._saved_result._data is y._data  # same storage
    y.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.grad_fn._saved_result  # noqa: B018
    a = da.tensor(3.0, requires_grad=True)
    b = da.tensor(4.0, requires_grad=True)
    p = a * b
    assert p.grad_fn._saved_self is a and p.grad_fn._saved_other is b
    p.backward()
    with pytest.raises(RuntimeError, match="second time"):
        p.grad_fn._saved_self  # noqa: B018
    with pytest.raises(AttributeError):
        p.grad_fn._saved_nothing  # noqa: B018


def test_saved_result_of_pow_is_kept_only_for_the_exponents_rule():
    x = da.randn(5, requires_grad=True)
    assert x.pow(2).grad_fn._saved_result is None  # x's rule does not read the output
    assert x.mul(2.0).grad_fn._saved_result is None  # mul's rules never do
    e = da.tensor([0.5, 2.0], requires_grad=True)
    y = da.tensor([1.5, 3.0]).pow(e)
    np.testing.assert_array_equal(y.grad_fn._saved_result.detach().numpy(),
                                  np.power([1.5, 3.0], [0.5, 2.0]))

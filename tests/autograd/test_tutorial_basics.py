"""The first behaviours of the autograd tutorials, checked against closed forms."""

import math

import numpy as np
import pytest

import dualad as da


def test_y_equals_2_x_dot_x_gives_4x():
    x = da.arange(4.0, requires_grad=True)
    y = 2 * da.dot(x, x)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.arange(4.0))


def test_gradients_accumulate_until_zeroed():
    x = da.ones(2, requires_grad=True)
    (x * 2).sum().backward()
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])
    x.grad.zero_()
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_sin_graph_walk_and_derivative_is_cos():
    a = da.linspace(0.0, 2.0 * math.pi, 25, requires_grad=True)
    b = da.sin(a)
    c = 2 * b
    d = c + 1
    assert d.grad_fn.name() == "AddBackward0"
    mul_node = d.grad_fn.next_functions[0][0]
    assert mul_node.name() == "MulBackward0"
    sin_node = mul_node.next_functions[0][0]
    assert sin_node.name() == "SinBackward0"
    assert sin_node.next_functions[0][0].name() == "AccumulateGrad"
    assert a.grad_fn is None and a.is_leaf
    d.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * np.cos(np.linspace(0, 2 * math.pi, 25)))


def test_second_derivative_of_cube_at_5():
    x = da.tensor(5.0, requires_grad=True)
    (g,) = da.autograd.grad(x ** 3, x, create_graph=True)
    assert g.item() == 75.0
    (h,) = da.autograd.grad(g, x)
    assert h.item() == 30.0


def test_nonscalar_backward_needs_gradient():
    x = da.ones(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        y.backward()
    y.backward(gradient=da.tensor([1.0, 0.1, 0.01]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.2, 0.02])


def test_wrong_gradient_shape_leaves_grad_untouched():
    x = da.ones(3, requires_grad=True)
    (x * 2).backward(gradient=da.ones(3))
    before = x.grad.numpy().copy()
    y = x * 2
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        y.backward(gradient=da.ones(2))
    np.testing.assert_array_equal(x.grad.numpy(), before)

"""The five autograd tutorials in shared/tutorials, replayed with dualad names.

Expected reprs are the printed outputs shown in the tutorials (PyTorch's),
expected numbers the closed forms the tutorials derive. Parts that need
torchvision (resnet18) or CUDA are not replayed; TinyModel/SGD live in the
nn/optim tests.
"""

import math
import threading

import numpy as np
import pytest

import dualad as da
from dualad.autograd import Variable


def test_yt_tutorial_sin_graph(capsys):
    a = da.linspace(0.0, 2.0 * math.pi, steps=25, requires_grad=True)
    print(a)
    b = da.sin(a)
    c = 2 * b
    d = c + 1
    out = d.sum()
    print(out)
    print(d.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
          .next_functions)
    print(a.grad_fn)
    text = capsys.readouterr().out
    assert text == (
        "tensor([0.0000, 0.2618, 0.5236, 0.7854, 1.0472, 1.3090, 1.5708, 1.8326, 2.0944,\n"
        "        2.3562, 2.6180, 2.8798, 3.1416, 3.4034, 3.6652, 3.9270, 4.1888, 4.4506,\n"
        "        4.7124, 4.9742, 5.2360, 5.4978, 5.7596, 6.0214, 6.2832],\n"
        "       requires_grad=True)\n"
        "tensor(25., grad_fn=<SumBackward0>)\n"
        "()\n"
        "None\n")
    assert repr(b).endswith("grad_fn=<SinBackward0>)")
    assert repr(c).endswith("grad_fn=<MulBackward0>)")
    assert repr(d).endswith("grad_fn=<AddBackward0>)")
    out.backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * np.cos(a.detach().numpy()), atol=1e-15)
    with pytest.warns(UserWarning):
        assert c.grad is None  # only leaves get gradients
    np.asarray(a.detach())  # what matplotlib needs


def test_yt_tutorial_turning_autograd_off_and_on():
    a = da.ones(2, 3, requires_grad=True)
    assert repr(a) == "tensor([[1., 1., 1.],\n        [1., 1., 1.]], requires_grad=True)"
    assert repr(2 * a) == "tensor([[2., 2., 2.],\n        [2., 2., 2.]], grad_fn=<MulBackward0>)"
    a.requires_grad = False
    assert repr(2 * a) == "tensor([[2., 2., 2.],\n        [2., 2., 2.]])"

    a = da.ones(2, 3, requires_grad=True) * 2
    b = da.ones(2, 3, requires_grad=True) * 3
    assert repr(a + b).endswith("grad_fn=<AddBackward0>)")
    with da.no_grad():
        c2 = a + b
    assert repr(c2) == "tensor([[5., 5., 5.],\n        [5., 5., 5.]])"
    assert repr(a * b) == "tensor([[6., 6., 6.],\n        [6., 6., 6.]], grad_fn=<MulBackward0>)"

    @da.no_grad()
    def add_tensors2(x, y):
        return x + y

    assert add_tensors2(a, b).grad_fn is None
    da.manual_seed(0)  # values whose repr fits on one line (a tiny one wraps it, as in PyTorch)
    x = da.rand(5, requires_grad=True)
    y = x.detach()
    assert repr(x).endswith(", requires_grad=True)")
    assert repr(y) == repr(x).replace(", requires_grad=True", "")
    assert y._data is x._data


def test_d2l_simple_function_and_non_scalar_backward():
    x = da.arange(4.0)
    assert repr(x) == "tensor([0., 1., 2., 3.])"
    x.requires_grad_(True)
    assert x.grad is None
    y = 2 * da.dot(x, x)
    assert repr(y) == "tensor(28., grad_fn=<MulBackward0>)"
    y.backward()
    assert repr(x.grad == 4 * x) == "tensor([True, True, True, True])"
    x.grad.zero_()
    x.sum().backward()
    assert repr(x.grad) == "tensor([1., 1., 1., 1.])"

    x = da.arange(4.0, requires_grad=True)
    y = x * x
    y.backward(gradient=da.ones(len(y)))
    assert repr(x.grad) == "tensor([0., 2., 4., 6.])"


def test_d2l_exercises_second_backward_and_sin_plot():
    a = da.tensor([1.0, 3.0, 5.0, 7.0, 9.0], requires_grad=True)
    b = da.tensor([2.0, 4.0, 6.0, 9.0, 10.0], requires_grad=True)
    s = (a * b).sum()
    assert repr(s) == "tensor(197., grad_fn=<SumBackward0>)"
    s.backward()
    assert repr(a.grad) == "tensor([ 2.,  4.,  6.,  9., 10.])"
    with pytest.raises(RuntimeError, match="second time"):
        s.backward()

    x = da.arange(0.0, 10.0, 0.1)
    x.requires_grad_(True)
    x1 = x.detach()
    da.sin(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cos(x1.numpy()), rtol=1e-15)

    x = da.linspace(0, 2 * np.pi, 100, requires_grad=True)
    f_x = da.sin(x)
    f_x.backward(da.ones_like(x))
    np.testing.assert_allclose(x.grad.detach().numpy(), np.cos(x.detach().numpy()),
                               rtol=1e-15)
    assert f_x.detach().numpy().shape == (100,)
    with pytest.raises(RuntimeError, match="implicitly created only for scalar"):
        f_x.backward()


def test_chinese_notes_grad_fn_leaf_data(capsys):
    x = da.ones(2)
    print(x, x.requires_grad)
    x.requires_grad_(True)
    print(x, x.requires_grad)
    y = x * x
    print(y)
    y = y.sum()
    print(y)
    print(x.grad)
    print(y.backward())
    print(x.grad)
    with da.no_grad():
        y = (x * x).sum()
        print(y, y.grad_fn)
    assert capsys.readouterr().out == (
        "tensor([1., 1.]) False\n"
        "tensor([1., 1.], requires_grad=True) True\n"
        "tensor([1., 1.], grad_fn=<MulBackward0>)\n"
        "tensor(2., grad_fn=<SumBackward0>)\n"
        "None\nNone\n"
        "tensor([2., 2.])\n"
        "tensor(2.) None\n")

    x = da.ones(1, requires_grad=True)
    y = 2 * x
    x.data *= 100
    y.backward()
    assert (repr(x), repr(x.grad)) == ("tensor([100.], requires_grad=True)", "tensor([2.])")
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x *= 100

    x = da.ones(2, requires_grad=True)
    y = x * 2
    assert (x.is_leaf, y.is_leaf) == (True, False)
    (x * x).sum().backward()
    (x * x).sum().backward()
    assert repr(x.grad) == "tensor([4., 4.])"
    x.grad.data.zero_()
    (x * x).sum().backward()
    assert repr(x.grad) == "tensor([2., 2.])"


def test_autograd_mechanics_notes():
    x = Variable(da.ones(1, 2), requires_grad=True)
    ident = id(x)
    with da.no_grad():
        x += 1
    assert id(x) == ident and repr(x) == "tensor([[2., 2.]], requires_grad=True)"

    x = Variable(da.ones(1, 2), requires_grad=True)
    y = x ** 2
    c = x + 1
    z = y ** 2
    z.sum().backward()
    assert repr(x.grad) == "tensor([[4., 4.]])"
    assert repr(y) == "tensor([[1., 1.]], grad_fn=<PowBackward0>)"
    assert repr(c) == "tensor([[2., 2.]], grad_fn=<AddBackward0>)"
    c.sum().backward()
    assert repr(x.grad) == "tensor([[5., 5.]])"
    assert (z.requires_grad, z.is_leaf) == (True, False)

    x = Variable(da.ones(1, 10), requires_grad=True)
    y1 = x ** 2
    with da.no_grad():
        x += 1
        y2 = x ** 2
    z = y1 ** 2 + y2 ** 2
    x.requires_grad_(True)
    with pytest.raises(RuntimeError, match=r"\[1, 10\].*is at version 1; expected version 0"):
        z.sum().backward()

    x = da.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    y = da.add(da.pow(x, 2), x)
    assert repr(y) == ("tensor([[ 2.,  6., 12.],\n        [20., 30., 42.]], "
                       "grad_fn=<AddBackward0>)")
    y.backward(da.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]))
    assert repr(x.grad) == "tensor([[ 3.,  5.,  7.],\n        [ 9., 11., 13.]])"

    x = da.tensor([1.0, 2.0, 3.0], requires_grad=True)
    da.pow(x, 2).backward(da.tensor([1.0, 0.1, 0.001]))
    assert repr(x.grad) == "tensor([2.0000, 0.4000, 0.0060])"

    x = da.tensor(5.0, requires_grad=True)
    grad_x = da.autograd.grad(da.pow(x, 3), x, create_graph=True)
    assert repr(grad_x) == "(tensor(75., grad_fn=<MulBackward0>),)"
    assert repr(da.autograd.grad(grad_x[0], x)) == "(tensor(30.),)"


def test_autograd_mechanics_multithreaded_train_fn():
    grads = []

    def train_fn():
        x = da.ones(5, 5, requires_grad=True)
        y = (x + 3) * (x + 4) * 0.5
        y.sum().backward()
        grads.append(x.grad.numpy().copy())

    threads = [threading.Thread(target=train_fn) for _ in range(10)]
    for p in threads:
        p.start()
    for p in threads:
        p.join()
    assert len(grads) == 10
    for g in grads:
        np.testing.assert_array_equal(g, np.full((5, 5), 4.5))


def test_60_minute_blitz_q_and_exclusion_from_the_dag():
    a = da.tensor([2.0, 3.0], requires_grad=True)
    b = da.tensor([6.0, 4.0], requires_grad=True)
    q = 3 * a ** 3 - b ** 2
    q.backward(gradient=da.tensor([1.0, 1.0]))
    assert repr(9 * a ** 2 == a.grad) == "tensor([True, True])"
    assert repr(-2 * b == b.grad) == "tensor([True, True])"

    x = da.rand(5, 5)
    y = da.rand(5, 5)
    z = da.rand((5, 5), requires_grad=True)
    assert not (x + y).requires_grad
    assert (x + z).requires_grad

"""Shape ops: squeeze, unsqueeze, flatten, expand, concatenate/cat, stack, split."""

import numpy as np
import pytest
from _ops_checks import check_gradients, reverse_grad, weights_like

import dualad as da

X = np.arange(6.0).reshape(2, 3) / 4


def test_squeeze_unsqueeze_flatten_shapes_and_gradients():
    x = da.tensor(np.zeros((1, 3, 1, 2)))
    assert da.squeeze(x).shape == (3, 2)
    assert da.squeeze(x, 0).shape == (3, 1, 2)
    assert da.squeeze(x, 1).shape == (1, 3, 1, 2)  # size != 1: left alone, as PyTorch
    assert x.squeeze((0, 2)).shape == (3, 2)
    assert da.unsqueeze(da.tensor(X), -1).shape == (2, 3, 1)
    assert da.tensor(X).unsqueeze(0).shape == (1, 2, 3)
    assert da.flatten(x).shape == (6,) and da.flatten(x, 1, 2).shape == (1, 3, 2)
    assert da.flatten(da.tensor(1.0)).shape == (1,)
    w = weights_like((6,))
    np.testing.assert_allclose(reverse_grad(lambda t: (da.flatten(t) * da.tensor(w)).sum(), X),
                               w.reshape(2, 3))
    check_gradients(lambda t: (da.unsqueeze(t, 1) * da.tensor(weights_like((2, 1, 3)))).sum(), X)
    assert da.unsqueeze(da.tensor(X), 1).grad_fn is None
    t = da.tensor(X, requires_grad=True)
    assert da.squeeze(da.unsqueeze(t, 0)).grad_fn.name() == "SqueezeBackward0"


def test_expand_sums_the_gradient_over_repeated_axes():
    col = np.array([[1.0], [2.0]])
    y = da.expand(da.tensor(col), 2, 4)
    assert y.shape == (2, 4) and da.expand(da.tensor(col), -1, 3).shape == (2, 3)
    w = weights_like((3, 2, 4))
    g = reverse_grad(lambda t: (t.expand(3, -1, 4) * da.tensor(w)).sum(), col)
    np.testing.assert_allclose(g, w.sum(axis=(0, 2))[:, None])


def test_concatenate_routes_each_part_of_the_gradient_back():
    a, b, c = np.ones((2, 3)), np.zeros((1, 3)), np.full((4, 3), 2.0)
    ta, tb, tc = (da.tensor(v, requires_grad=True) for v in (a, b, c))
    out = da.cat([ta, tb, tc])
    assert out.shape == (7, 3) and out.grad_fn.name() == "CatBackward0"
    np.testing.assert_array_equal(out.detach().numpy(), np.concatenate([a, b, c]))
    w = weights_like((7, 3))
    (out * da.tensor(w)).sum().backward()
    np.testing.assert_array_equal(ta.grad.numpy(), w[:2])
    np.testing.assert_array_equal(tb.grad.numpy(), w[2:3])
    np.testing.assert_array_equal(tc.grad.numpy(), w[3:])
    np.testing.assert_array_equal(da.concatenate([da.tensor(X), da.tensor(X)], axis=-1).numpy(),
                                  np.concatenate([X, X], axis=-1))


def test_concatenate_of_many_tensors_in_forward_mode():
    parts = [np.array([float(i), -float(i)]) for i in range(9)]
    check_gradients(lambda t: (da.cat([t * float(i) for i in range(9)])
                               * da.tensor(np.arange(18.0))).sum(), parts[1])


def test_stack_and_split_are_inverse_and_differentiate():
    rows = [da.tensor(X[0]), da.tensor(X[1])]
    np.testing.assert_array_equal(da.stack(rows).numpy(), X)
    np.testing.assert_array_equal(da.stack(rows, dim=1).numpy(), X.T)
    np.testing.assert_array_equal(da.stack(rows, dim=-1).numpy(), X.T)
    parts = da.split(da.tensor(np.arange(7.0)), 3)
    assert [p.tolist() for p in parts] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0]]
    parts = da.tensor(X).split([1, 2], dim=1)
    assert [p.shape for p in parts] == [(2, 1), (2, 2)]
    w = weights_like((2, 2))
    g = reverse_grad(lambda t: (da.split(t, [1, 2], 1)[1] * da.tensor(w)).sum(), X)
    np.testing.assert_array_equal(g, np.concatenate([np.zeros((2, 1)), w], axis=1))
    check_gradients(lambda t: (da.stack([t, t * t], dim=1) * da.tensor(weights_like((3, 2))))
                    .sum(), [0.5, -1.0, 2.0])


def test_shape_errors_are_clear():
    with pytest.raises(ValueError, match="differ outside axis"):
        da.cat([da.ones((2, 3)), da.ones((2, 4))])
    with pytest.raises(ValueError, match="same shape"):
        da.stack([da.ones(2), da.ones(3)])
    with pytest.raises(ValueError, match="add up"):
        da.split(da.ones(5), [2, 2])
    with pytest.raises(IndexError, match="out of range"):
        da.unsqueeze(da.ones(2), 3)


def test_cumsum_and_flip_gradients():
    x = np.arange(12.0).reshape(3, 4) / 5
    np.testing.assert_allclose(da.cumsum(da.tensor(x), dim=1).numpy(), np.cumsum(x, axis=1))
    np.testing.assert_allclose(da.cumsum(da.tensor(x)).numpy(), np.cumsum(x))
    w = weights_like((3, 4))
    g = reverse_grad(lambda t: (da.cumsum(t, axis=0) * da.tensor(w)).sum(), x)
    np.testing.assert_allclose(g, np.flip(np.cumsum(np.flip(w, 0), axis=0), 0))
    np.testing.assert_array_equal(da.flip(da.tensor(x), 1).numpy(), np.flip(x, 1))
    g = reverse_grad(lambda t: (da.flip(t, (0, 1)) * da.tensor(w)).sum(), x)
    np.testing.assert_array_equal(g, np.flip(w))
    check_gradients(lambda t: (da.cumsum(t * t, 0) * da.tensor(w[:, 0])).sum(), x[:, 0],
                    second=True)

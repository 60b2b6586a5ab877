"""NumPy interop: ufuncs and array functions on Tensors dispatch to dualad ops."""

import numpy as np
import pytest
from _ops_checks import reverse_grad, weights_like

import dualad as da

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


def test_ufuncs_record_the_graph():
    x = da.tensor(X, requires_grad=True)
    y = np.tan(np.sin(x)) + np.log1p(np.square(x)) + np.arctan2(x, 2.0)
    assert y.grad_fn is not None and isinstance(y, da.Tensor)
    y.sum().backward()
    s = np.sin(X)
    expected = np.cos(X) / np.cos(s) ** 2 + 2 * X / (1 + X ** 2) + 2.0 / (X ** 2 + 4.0)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("call,expected", [
    (lambda t: np.sum(t, axis=0), lambda a: np.sum(a, axis=0)),
    (lambda t: np.mean(t, axis=1, keepdims=True), lambda a: np.mean(a, axis=1, keepdims=True)),
    (lambda t: np.max(t, axis=0), lambda a: np.max(a, axis=0)),
    (lambda t: np.amin(t), lambda a: np.amin(a)),
    (lambda t: np.prod(t, axis=1), lambda a: np.prod(a, axis=1)),
    (lambda t: np.var(t), lambda a: np.var(a)),  # NumPy's ddof=0 default is kept
    (lambda t: np.std(t, axis=0, ddof=1), lambda a: np.std(a, axis=0, ddof=1)),
    (lambda t: np.linalg.norm(t), lambda a: np.linalg.norm(a)),
    (lambda t: np.linalg.norm(t, 1), lambda a: np.linalg.norm(a, 1)),
    (lambda t: np.linalg.norm(t, np.inf), lambda a: np.linalg.norm(a, np.inf)),
    (lambda t: np.linalg.norm(t, 3, axis=1), lambda a: np.linalg.norm(a, 3, axis=1)),
    (lambda t: np.matmul(t, np.transpose(t)), lambda a: a @ a.T),
    (lambda t: np.dot(t, t.T), lambda a: a @ a.T),
    (lambda t: np.where(t > 0, t, 0.0), lambda a: np.where(a > 0, a, 0.0)),
    (lambda t: np.concatenate([t, t * 2], axis=1), lambda a: np.concatenate([a, a * 2], 1)),
    (lambda t: np.concatenate([t, t], axis=None), lambda a: np.concatenate([a, a], axis=None)),
    (lambda t: np.stack([t, t], axis=-1), lambda a: np.stack([a, a], axis=-1)),
    (lambda t: np.split(t, 3, axis=1)[2], lambda a: np.split(a, 3, axis=1)[2]),
    (lambda t: np.squeeze(np.expand_dims(t, 0)), lambda a: a),
    (lambda t: np.outer(t, t[0]), lambda a: np.outer(a, a[0])),
    (lambda t: np.trace(t[:, :2]), lambda a: np.trace(a[:, :2])),
    (lambda t: np.linalg.det(t[:, :2]), lambda a: np.linalg.det(a[:, :2])),
    (lambda t: np.linalg.inv(t[:, 1:]), lambda a: np.linalg.inv(a[:, 1:])),
    (lambda t: np.linalg.solve(t[:, :2], t[:, 2]), lambda a: np.linalg.solve(a[:, :2], a[:, 2])),
    (lambda t: np.tril(t), lambda a: np.tril(a)),
    (lambda t: np.clip(t, -0.6, 0.6), lambda a: np.clip(a, -0.6, 0.6)),
    (lambda t: np.cumsum(t, axis=1), lambda a: np.cumsum(a, axis=1)),
    (lambda t: np.einsum("ij,kj->ik", t, t), lambda a: np.einsum("ij,kj->ik", a, a)),
    (lambda t: np.logaddexp(t, 0.3), lambda a: np.logaddexp(a, 0.3)),
], ids=lambda f: "")
def test_numpy_functions_give_numpy_values_and_gradients(call, expected):
    out = call(da.tensor(X, requires_grad=True))
    assert isinstance(out, da.Tensor) and out.grad_fn is not None
    np.testing.assert_allclose(out.detach().numpy(), expected(X), rtol=1e-12)
    w = weights_like(np.shape(expected(X)))
    numeric = np.zeros_like(X)
    for i in np.ndindex(*X.shape):
        up, down = X.copy(), X.copy()
        up[i] += 1e-6
        down[i] -= 1e-6
        numeric[i] = np.sum((expected(up) - expected(down)) * w) / 2e-6
    grad = reverse_grad(lambda t: (call(t) * da.tensor(w)).sum(), X)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def test_argmax_through_numpy_has_no_gradient():
    idx = np.argmax(da.tensor(X, requires_grad=True), axis=1)
    assert idx.tolist() == [2, 0] and not idx.requires_grad


def test_unsupported_numpy_function_raises_naming_it():
    x = da.tensor(X, requires_grad=True)
    with pytest.raises(TypeError, match="numpy.unwrap has no dualad op"):
        np.unwrap(x)
    with pytest.raises(TypeError, match="numpy.i0"):  # (sinc has an op now: issue 20)
        np.i0(x)
    with pytest.raises(TypeError, match="add.reduce"):
        np.add.reduce(x)


def test_comparison_ufuncs_give_boolean_tensors():
    mask = np.greater(da.tensor(X), 0.0)
    assert isinstance(mask, da.Tensor) and mask.dtype == bool
    np.testing.assert_array_equal(mask.numpy(), X > 0)

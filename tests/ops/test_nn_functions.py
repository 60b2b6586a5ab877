"""Losses and layers of dualad.nn.functional against closed forms."""

import numpy as np
import pytest
from _ops_checks import check_gradients, reverse_grad, weights_like

import dualad as da
from dualad.ops import nn_functions as F

LOGITS = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 0.3], [-3.0, 1.0, 4.0], [1.0, 1.0, -2.0]])
TARGET = np.array([0, 2, 1, 0])


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_cross_entropy_value_and_gradient_softmax_minus_onehot():
    p = _softmax(LOGITS)
    onehot = np.eye(3)[TARGET]
    expected = -np.mean(np.log(p[np.arange(4), TARGET]))
    assert F.cross_entropy(da.tensor(LOGITS), da.tensor(TARGET)).item() == pytest.approx(
        expected, rel=1e-13)
    g = reverse_grad(lambda t: F.cross_entropy(t, da.tensor(TARGET)), LOGITS)
    np.testing.assert_allclose(g, (p - onehot) / 4, rtol=1e-12, atol=1e-15)
    g = reverse_grad(lambda t: F.cross_entropy(t, da.tensor(TARGET), reduction="sum"), LOGITS)
    np.testing.assert_allclose(g, p - onehot, rtol=1e-12, atol=1e-15)
    none = F.cross_entropy(da.tensor(LOGITS), da.tensor(TARGET), reduction="none")
    np.testing.assert_allclose(none.numpy(), -np.log(p[np.arange(4), TARGET]))
    check_gradients(lambda t: F.cross_entropy(t, da.tensor(TARGET)), LOGITS, second=True)


def test_cross_entropy_class_weights_ignore_index_and_stability():
    w = np.array([1.0, 2.0, 0.5])
    target = np.array([0, 2, -100, 1])
    p = _softmax(LOGITS)
    keep = target != -100
    nll = -np.log(p[np.arange(4)[keep], target[keep]]) * w[target[keep]]
    value = F.cross_entropy(da.tensor(LOGITS), da.tensor(target), weight=da.tensor(w)).item()
    assert value == pytest.approx(nll.sum() / w[target[keep]].sum(), rel=1e-13)
    big = F.cross_entropy(da.tensor([[1000.0, 0.0]]), da.tensor([1]))
    assert big.item() == pytest.approx(1000.0)
    single = F.cross_entropy(da.tensor(LOGITS[0]), da.tensor(0))
    assert single.item() == pytest.approx(-np.log(p[0, 0]))


def test_cross_entropy_with_probability_targets_and_spatial_axes():
    probs = _softmax(weights_like((4, 3)))
    expected = -np.mean(np.sum(probs * np.log(_softmax(LOGITS)), axis=1))
    assert F.cross_entropy(da.tensor(LOGITS), da.tensor(probs)).item() == pytest.approx(expected)
    logits = weights_like((2, 3, 5))
    target = np.array([[0, 1, 2, 1, 0], [2, 2, 0, 1, 1]])
    logp = np.log(_softmax(np.moveaxis(logits, 1, -1)))
    expected = -np.mean(np.take_along_axis(logp, target[..., None], -1))
    assert F.cross_entropy(da.tensor(logits), da.tensor(target)).item() == pytest.approx(expected)


def test_mse_loss_reductions_and_gradient():
    x, y = weights_like((3, 2)), weights_like((3, 2), 2)
    assert F.mse_loss(da.tensor(x), da.tensor(y)).item() == pytest.approx(np.mean((x - y) ** 2))
    assert F.mse_loss(da.tensor(x), da.tensor(y), "sum").item() == pytest.approx(
        np.sum((x - y) ** 2))
    g = reverse_grad(lambda t: F.mse_loss(t, da.tensor(y)), x)
    np.testing.assert_allclose(g, 2 * (x - y) / 6)
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(da.tensor(x), da.tensor(y), reduction="avg")


def test_binary_cross_entropy_closed_form_and_clamped_ends():
    p = np.array([0.1, 0.6, 0.9])
    t = np.array([0.0, 1.0, 0.3])
    expected = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert F.binary_cross_entropy(da.tensor(p), da.tensor(t)).item() == pytest.approx(expected)
    g = reverse_grad(lambda a: F.binary_cross_entropy(a, da.tensor(t), reduction="sum"), p)
    np.testing.assert_allclose(g, (p - t) / (p * (1 - p)))
    check_gradients(lambda a: F.binary_cross_entropy(a, da.tensor(t)), p, second=True)
    ends = da.tensor([0.0, 1.0], requires_grad=True)
    loss = F.binary_cross_entropy(ends, da.tensor([0.0, 1.0]), reduction="none")
    np.testing.assert_array_equal(loss.detach().numpy(), [0.0, 0.0])
    loss.sum().backward()
    np.testing.assert_array_equal(ends.grad.numpy(), [0.0, 0.0])
    wrong = F.binary_cross_entropy(da.tensor([0.0]), da.tensor([1.0]), reduction="sum")
    assert wrong.item() == 100.0  # log clamped at -100, as PyTorch


def test_linear_is_input_times_weight_transpose_plus_bias():
    x, w, b = weights_like((4, 3)), weights_like((2, 3), 2), weights_like((2,), 3)
    out = F.linear(da.tensor(x), da.tensor(w), da.tensor(b))
    np.testing.assert_allclose(out.numpy(), x @ w.T + b)
    gw = reverse_grad(lambda t: F.linear(da.tensor(x), t, da.tensor(b)).sum(), w)
    np.testing.assert_allclose(gw, np.ones((4, 2)).T @ x)

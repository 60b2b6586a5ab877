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


def _log_softmax(z, axis=-1):
    return z - z.max(axis=axis, keepdims=True) - np.log(
        np.exp(z - z.max(axis=axis, keepdims=True)).sum(axis=axis, keepdims=True))


def _nll_oracle(logp, target, weight=None, ignore_index=-100, reduction="mean"):
    """PyTorch's definition on plain arrays: rows (N, C), per-class weights, ignored rows."""
    w = np.ones(logp.shape[1]) if weight is None else weight
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    cw = np.where(keep, w[safe], 0.0)
    terms = -logp[np.arange(len(target)), safe] * cw
    if reduction == "mean":
        return terms.sum() / cw.sum()
    return terms.sum() if reduction == "sum" else terms


@pytest.mark.parametrize("target", [[0, 2, 1, 0], [-100, 2, 1, 0], [1, -100, -100, 2]])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_ignores_index_minus_100_and_weights_like_pytorch(target, reduction, weighted):
    # issue 18 item 5: ignore_index=-100 was not honoured (it indexed from the end)
    logp = _log_softmax(LOGITS)
    target = np.array(target)
    w = np.array([0.5, 2.0, 1.5]) if weighted else None
    expected = _nll_oracle(logp, target, w, reduction=reduction)
    kw = {"reduction": reduction, "weight": None if w is None else da.tensor(w)}
    loss = F.nll_loss(da.tensor(logp), da.tensor(target), **kw)
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-13)
    u = weights_like(np.shape(expected))
    fn = lambda t: (F.nll_loss(t, da.tensor(target), **kw) * da.tensor(u)).sum()  # noqa: E731
    check_gradients(fn, logp)
    # the gradient: -w[t] (times u, over the summed weights for 'mean') at each kept target
    cw = np.where(target != -100, (np.ones(3) if w is None else w)[np.where(target != -100,
                                                                              target, 0)], 0.0)
    scale = u / cw.sum() if reduction == "mean" else u
    expected_grad = np.zeros_like(logp)
    expected_grad[np.arange(4), np.where(target != -100, target, 0)] = -cw * scale
    np.testing.assert_allclose(reverse_grad(fn, logp), expected_grad, rtol=1e-12, atol=1e-15)
    torch = pytest.importorskip("torch")
    tw = None if w is None else torch.tensor(w)
    ref = torch.nn.functional.nll_loss(torch.tensor(logp), torch.tensor(target), weight=tw,
                                       reduction=reduction)
    np.testing.assert_allclose(loss.numpy(), ref.numpy(), rtol=1e-13)


def test_nll_loss_spatial_and_single_sample_and_custom_ignore_index():
    logits = np.random.default_rng(2).normal(size=(2, 3, 4))  # (N, C, d)
    logp = _log_softmax(logits, axis=1)
    target = np.array([[0, 2, 1, 1], [2, 2, 0, 1]])
    expected = _nll_oracle(np.moveaxis(logp, 1, -1).reshape(-1, 3), target.reshape(-1),
                           ignore_index=1)
    loss = F.nll_loss(da.tensor(logp), da.tensor(target), ignore_index=1)
    assert loss.item() == pytest.approx(expected, rel=1e-13)
    assert F.nll_loss(da.tensor(logp[0, :, 0]), da.tensor(0)).item() == -logp[0, 0, 0]
    # every target ignored: 0 / 0 under 'mean' (PyTorch gives nan too), 0 under 'sum'
    assert np.isnan(F.nll_loss(da.tensor(logp[:, :, 0]), da.tensor([-100, -100])).item())
    assert F.nll_loss(da.tensor(logp[:, :, 0]), da.tensor([-100, -100]), reduction="sum"
                      ).item() == 0.0


@pytest.mark.parametrize("fn", [F.nll_loss, F.cross_entropy])
def test_class_targets_are_checked(fn):
    x = da.tensor(LOGITS)
    with pytest.raises(IndexError, match=r"target -1 is out of range: class indices must lie "
                                         r"in \[0, 2\] or equal ignore_index \(-100\)"):
        fn(x, da.tensor([0, -1, 1, 0]))  # indexed from the end before
    with pytest.raises(IndexError, match="target 3 is out of range"):
        fn(x, da.tensor([0, 3, 1, 0]))
    with pytest.raises(IndexError, match="target -100 is out of range"):
        fn(x, da.tensor([0, -100, 1, 0]), ignore_index=1)
    with pytest.raises(ValueError, match=r"target shape \(3,\) does not match input shape "
                                         r"\(4, 3\): class targets need shape \(4,\)"):
        fn(x, da.tensor([0, 1, 1]))
    with pytest.raises(ValueError, match=r"weight needs one entry per class"):
        fn(x, da.tensor(TARGET), weight=da.tensor([1.0, 2.0]))


def test_float_class_targets_say_what_a_float_target_means():
    # issue 18 item 19: "mul: operands could not be broadcast" before
    with pytest.raises(ValueError, match=r"a floating target holds class probabilities and "
                                         r"needs the input's shape \(4, 3\), got shape \(4,\)"):
        F.cross_entropy(da.tensor(LOGITS), da.tensor(TARGET.astype(float)))
    with pytest.raises(TypeError, match="class targets must be integers"):
        F.nll_loss(da.tensor(LOGITS), da.tensor(TARGET.astype(float)))
    # probabilities of the input's shape are PyTorch's soft targets: -sum(p log softmax)
    probs = _softmax(LOGITS[::-1].copy())
    expected = -(probs * _log_softmax(LOGITS)).sum(1).mean()
    assert F.cross_entropy(da.tensor(LOGITS), da.tensor(probs)).item() == pytest.approx(
        expected, rel=1e-13)


@pytest.mark.parametrize("smoothing", [1.5, -0.1, float("nan")])
def test_label_smoothing_outside_0_1_is_refused(smoothing):
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
        F.cross_entropy(da.tensor(LOGITS), da.tensor(TARGET), label_smoothing=smoothing)


def test_cross_entropy_smoothing_weights_and_ignore_index_match_pytorch():
    torch = pytest.importorskip("torch")
    target = np.array([-100, 2, 1, 0])
    w = np.array([0.5, 2.0, 1.5])
    for reduction in ("mean", "sum", "none"):
        x = da.tensor(LOGITS, requires_grad=True)
        tx = torch.tensor(LOGITS, requires_grad=True)
        a = F.cross_entropy(x, da.tensor(target), weight=da.tensor(w), reduction=reduction,
                            label_smoothing=0.2)
        b = torch.nn.functional.cross_entropy(tx, torch.tensor(target), weight=torch.tensor(w),
                                              reduction=reduction, label_smoothing=0.2)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-13)
        a.sum().backward()
        b.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("p,t,what", [
    ([0.5, 1.5], [1.0, 1.0], "input"), ([-0.5, 0.5], [1.0, 1.0], "input"),
    ([0.5, float("nan")], [1.0, 1.0], "input"), ([0.5, 0.5], [2.0, 1.0], "target"),
    ([0.5, 0.5], [1.0, -1.0], "target"),
])
def test_binary_cross_entropy_refuses_values_outside_0_1(p, t, what):
    # issue 18 item 20: p > 1 gave nan and target 2 a number, where PyTorch raises
    with pytest.raises(ValueError, match=rf"every element of {what} must lie in \[0, 1\]"):
        F.binary_cross_entropy(da.tensor(p), da.tensor(t))
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match=f"all elements of {what} should be between 0 and 1"):
        torch.nn.functional.binary_cross_entropy(torch.tensor(p), torch.tensor(t))


def test_cross_entropy_probability_and_spatial_targets_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(3), size=4)
    logits3 = rng.normal(size=(2, 3, 4))
    target3 = rng.integers(0, 3, size=(2, 4))
    target3[0, 1] = -100
    w = np.array([0.5, 2.0, 1.5])
    for reduction in ("mean", "sum", "none"):
        for smoothing in (0.0, 0.3):
            for ours, theirs in [((LOGITS, probs), (torch.tensor(LOGITS), torch.tensor(probs))),
                                 ((logits3, target3),
                                  (torch.tensor(logits3), torch.tensor(target3)))]:
                x = da.tensor(ours[0], requires_grad=True)
                tx = theirs[0].requires_grad_()
                a = F.cross_entropy(x, da.tensor(ours[1]), weight=da.tensor(w),
                                    reduction=reduction, label_smoothing=smoothing)
                b = torch.nn.functional.cross_entropy(tx, theirs[1], weight=torch.tensor(w),
                                                      reduction=reduction,
                                                      label_smoothing=smoothing)
                np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
                a.sum().backward()
                b.sum().backward()
                np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12,
                                           atol=1e-15)

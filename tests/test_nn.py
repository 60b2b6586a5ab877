"""dualad.nn: Module bookkeeping, Parameter, layers and losses against NumPy oracles."""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pytest

import dualad as da
from dualad import nn


class TinyModel(nn.Module):
    """The tutorial's model: 1000 -> 100 -> ReLU -> 10."""

    def __init__(self, d_in=1000, hidden=100, d_out=10):
        super().__init__()
        self.layer1 = nn.Linear(d_in, hidden)
        self.relu = nn.ReLU()
        self.layer2 = nn.Linear(hidden, d_out)

    def forward(self, x):
        return self.layer2(self.relu(self.layer1(x)))


# ------------------------------------------------------------------ Parameter

def test_parameter_is_a_leaf_that_requires_grad_and_shares_storage():
    data = da.tensor([1.0, 2.0])
    p = nn.Parameter(data)
    assert isinstance(p, da.Tensor) and p.is_leaf and p.requires_grad
    assert p._data is data._data
    assert not nn.Parameter(data, requires_grad=False).requires_grad
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [2.0, 4.0])


def test_parameter_of_a_computed_tensor_is_a_fresh_leaf():
    x = da.tensor([1.0], requires_grad=True)
    p = nn.Parameter(x * 3)
    assert p.is_leaf and p.grad_fn is None and p.item() == 3.0


# --------------------------------------------------------------------- Module

def test_registration_names_and_order():
    m = TinyModel(4, 3, 2)
    names = [n for n, _ in m.named_parameters()]
    assert names == ["layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias"]
    assert [n for n, _ in m.named_children()] == ["layer1", "relu", "layer2"]
    assert [n for n, _ in m.named_modules()] == ["", "layer1", "relu", "layer2"]
    assert len(list(m.parameters(recurse=False))) == 0
    assert all(isinstance(p, nn.Parameter) for p in m.parameters())


def test_shared_parameters_are_listed_once_and_plain_attributes_are_not_registered():
    m = nn.Module()
    m.a = nn.Linear(2, 2)
    m.b = m.a
    m.note = "not a parameter"
    m.t = da.ones(2)  # a plain tensor is an ordinary attribute
    assert len(list(m.parameters())) == 2
    assert m.note == "not a parameter" and "t" not in dict(m.named_parameters())


def test_reassigning_and_deleting_attributes():
    m = nn.Module()
    m.w = nn.Parameter(da.ones(2))
    with pytest.raises(TypeError, match="Parameter or None expected"):
        m.w = da.zeros(2)
    m.w = None
    assert list(m.parameters()) == []
    m.w = nn.Parameter(da.zeros(3))
    del m.w
    assert list(m.named_parameters()) == [] and not hasattr(m, "w")
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        _ = m.nothing


def test_assigning_before_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(da.ones(1))

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Broken()


def test_missing_forward_is_a_clear_error():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(da.ones(1))


def test_train_eval_propagate():
    m = TinyModel(4, 3, 2)
    assert m.training and m.layer1.training
    assert m.eval() is m
    assert not m.training and not m.layer2.training
    m.train()
    assert all(sub.training for sub in m.modules())
    with pytest.raises(ValueError, match="bool"):
        m.train("yes")


def test_requires_grad_freezes_and_unfreezes():
    m = TinyModel(4, 3, 2)
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    out = m(da.ones(1, 4)).sum()
    assert not out.requires_grad
    m.layer2.requires_grad_()
    m(da.ones(1, 4)).sum().backward()
    assert m.layer1.weight.grad is None and m.layer2.weight.grad is not None


def test_zero_grad_to_none_and_to_zeros():
    m = TinyModel(4, 3, 2)
    m(da.ones(2, 4)).sum().backward()
    g = m.layer2.bias.grad
    np.testing.assert_array_equal(g.numpy(), [2.0, 2.0])  # d sum / d bias = batch size
    m.zero_grad(set_to_none=False)
    assert m.layer2.bias.grad is g and np.all(g.numpy() == 0)
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_state_dict_round_trip_and_errors_before_changes():
    da.manual_seed(1)
    a, b = TinyModel(4, 3, 2), TinyModel(4, 3, 2)
    sd = a.state_dict()
    assert list(sd) == [n for n, _ in a.named_parameters()]
    assert not any(v.requires_grad for v in sd.values())
    before = b.layer1.weight.detach().numpy().copy()
    bad = OrderedDict(sd)
    bad["layer2.weight"] = da.zeros(5, 5)
    with pytest.raises(RuntimeError, match="size mismatch for layer2.weight"):
        b.load_state_dict(bad)
    np.testing.assert_array_equal(b.layer1.weight.detach().numpy(), before)  # untouched
    partial = OrderedDict(list(sd.items())[:2])
    with pytest.raises(RuntimeError, match="missing keys"):
        b.load_state_dict(partial)
    result = b.load_state_dict(partial, strict=False)
    assert result.missing_keys == ["layer2.weight", "layer2.bias"]
    b.load_state_dict(sd)
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
        assert q.is_leaf and q.requires_grad


def test_buffers_are_state_but_not_parameters():
    m = nn.Module()
    m.register_buffer("running", da.zeros(2))
    assert list(m.parameters()) == [] and list(m.state_dict()) == ["running"]
    with pytest.raises(TypeError, match="buffer"):
        m.running = "x"


def test_repr_reads_like_pytorch():
    m = TinyModel()
    assert repr(m) == (
        "TinyModel(\n"
        "  (layer1): Linear(in_features=1000, out_features=100, bias=True)\n"
        "  (relu): ReLU()\n"
        "  (layer2): Linear(in_features=100, out_features=10, bias=True)\n"
        ")")
    nested = nn.Sequential(nn.Sequential(nn.Tanh()), nn.MSELoss(reduction="sum"))
    assert repr(nested) == (
        "Sequential(\n  (0): Sequential(\n    (0): Tanh()\n  )\n"
        "  (1): MSELoss(reduction='sum')\n)")


# --------------------------------------------------------------------- layers

def test_linear_shapes_and_pytorch_default_init():
    da.manual_seed(0)
    layer = nn.Linear(400, 300)
    assert layer.weight.shape == (300, 400) and layer.bias.shape == (300,)
    bound = 1 / math.sqrt(400)
    w = layer.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(layer.bias.detach().numpy()).max() <= bound
    # U(-b, b): mean 0, variance b^2 / 3 (120000 draws: the standard errors are ~0.3%)
    assert abs(w.mean()) < 0.01 * bound
    assert w.var() == pytest.approx(bound ** 2 / 3, rel=0.02)
    assert nn.Linear(3, 2, bias=False).bias is None


def test_linear_init_is_reproducible_with_manual_seed():
    da.manual_seed(42)
    a = nn.Linear(5, 3).weight.detach().numpy()
    da.manual_seed(42)
    b = nn.Linear(5, 3).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)


def test_linear_forward_and_gradients_match_closed_forms():
    da.manual_seed(3)
    layer = nn.Linear(4, 3)
    x = np.random.default_rng(0).normal(size=(5, 4))
    g = np.random.default_rng(1).normal(size=(5, 3))
    xt = da.tensor(x, requires_grad=True)
    y = layer(xt)
    w = layer.weight.detach().numpy()
    b = layer.bias.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), x @ w.T + b, rtol=1e-13)
    y.backward(da.tensor(g))
    np.testing.assert_allclose(layer.weight.grad.numpy(), g.T @ x, rtol=1e-13)
    np.testing.assert_allclose(layer.bias.grad.numpy(), g.sum(0), rtol=1e-13)
    np.testing.assert_allclose(xt.grad.numpy(), g @ w, rtol=1e-13)


def test_linear_rejects_bad_sizes_and_inputs():
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(0, 3)
    with pytest.raises(ValueError, match="out_features"):
        nn.Linear(3, 2.5)
    with pytest.raises(ValueError, match="in_features=3"):
        nn.Linear(3, 2)(da.ones(2, 4))


def test_activations_match_numpy():
    x = np.linspace(-3, 3, 13)
    xt = da.tensor(x)
    np.testing.assert_allclose(nn.ReLU()(xt).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(nn.Tanh()(xt).numpy(), np.tanh(x), rtol=1e-14)
    np.testing.assert_allclose(nn.Sigmoid()(xt).numpy(), 1 / (1 + np.exp(-x)), rtol=1e-14)


def test_sequential_composes_indexes_and_slices():
    da.manual_seed(0)
    seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    x = da.ones(4, 2)
    manual = seq[2](seq[1](seq[0](x)))
    np.testing.assert_array_equal(seq(x).detach().numpy(), manual.detach().numpy())
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    assert [type(m).__name__ for m in seq[:2]] == ["Linear", "Tanh"]
    named = nn.Sequential(OrderedDict(first=nn.ReLU()))
    assert [n for n, _ in named.named_children()] == ["first"]
    with pytest.raises(IndexError, match="out of range"):
        seq[5]


# --------------------------------------------------------------------- losses

def test_mse_loss_matches_numpy_with_gradient():
    rng = np.random.default_rng(0)
    p, t = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    pt = da.tensor(p, requires_grad=True)
    loss = nn.MSELoss()(pt, da.tensor(t))
    assert loss.item() == pytest.approx(((p - t) ** 2).mean(), rel=1e-14)
    loss.backward()
    np.testing.assert_allclose(pt.grad.numpy(), 2 * (p - t) / p.size, rtol=1e-13)
    assert nn.MSELoss(reduction="sum")(pt, da.tensor(t)).item() == pytest.approx(
        ((p - t) ** 2).sum(), rel=1e-14)
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")


def test_cross_entropy_matches_log_softmax_formula_with_gradient():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(4, 5))
    labels = np.array([0, 4, 2, 2])
    lt = da.tensor(logits, requires_grad=True)
    loss = nn.CrossEntropyLoss()(lt, da.tensor(labels))
    z = logits - logits.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    assert loss.item() == pytest.approx(-logp[np.arange(4), labels].mean(), rel=1e-13)
    loss.backward()
    expected = (np.exp(logp) - np.eye(5)[labels]) / 4
    np.testing.assert_allclose(lt.grad.numpy(), expected, rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------- training

def test_tiny_model_loss_falls_over_20_sgd_steps():
    da.manual_seed(0)
    model = TinyModel()
    x, y = da.randn(16, 1000), da.randn(16, 10)
    opt = da.optim.SGD(model.parameters(), lr=0.001)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = (y - model(x)).pow(2).sum()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(b < a for a, b in zip(losses, losses[1:]))
    assert losses[-1] < 0.01 * losses[0]


def test_one_step_moves_weights_by_minus_lr_times_grad():
    da.manual_seed(0)
    model = TinyModel(6, 4, 2)
    opt = da.optim.SGD(model.parameters(), lr=0.01)
    loss = (model(da.randn(3, 6)) ** 2).sum()
    loss.backward()
    before = {n: p.detach().numpy().copy() for n, p in model.named_parameters()}
    grads = {n: p.grad.numpy().copy() for n, p in model.named_parameters()}
    opt.step()
    for n, p in model.named_parameters():
        np.testing.assert_allclose(p.detach().numpy(), before[n] - 0.01 * grads[n], rtol=1e-15)


def test_deepcopy_and_pickle_give_independent_models():
    import copy
    import pickle

    da.manual_seed(0)
    m = nn.Sequential(nn.Linear(2, 3, dtype="float32"), nn.ReLU())
    for clone in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        w, w2 = m[0].weight, clone[0].weight
        assert isinstance(w2, nn.Parameter) and w2.requires_grad and w2.dtype == np.float32
        np.testing.assert_array_equal(w.detach().numpy(), w2.detach().numpy())
        with da.no_grad():
            w2.add_(1.0)
        assert not np.array_equal(w.detach().numpy(), w2.detach().numpy())


def test_cross_entropy_class_weights_and_ignore_index_follow_pytorch_definition():
    # PyTorch: mean reduction divides by the summed weights of the non-ignored targets
    logits = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0], [0.0, 0.0, 0.0]])
    labels = np.array([1, 2, -100])
    w = np.array([0.2, 1.0, 3.0])
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected = -(w[1] * logp[0, 1] + w[2] * logp[1, 2]) / (w[1] + w[2])
    loss = nn.CrossEntropyLoss(weight=da.tensor(w))(da.tensor(logits), da.tensor(labels))
    assert loss.item() == pytest.approx(expected, rel=1e-13)
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=2.0)


def test_to_float32_and_back_keeps_the_same_parameter_objects():
    da.manual_seed(0)
    model = TinyModel(4, 3, 2)
    params = list(model.parameters())
    opt = da.optim.SGD(model.parameters(), lr=0.1)
    model(da.ones(1, 4)).sum().backward()
    assert model.float() is model
    assert all(a is b for a, b in zip(model.parameters(), params))
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in params)
    out = model(da.ones(2, 4, dtype="float32"))
    assert out.dtype == np.float32
    opt.zero_grad()
    out.sum().backward()
    opt.step()
    assert all(p.dtype == np.float32 for p in params)
    model.double()
    assert all(p.dtype == np.float64 and p.is_leaf and p.requires_grad for p in params)

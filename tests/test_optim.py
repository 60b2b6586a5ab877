"""Optimizers against hand-derived update equations and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dualad as da


def _square_loss_steps(opt, w, steps, scale=1.0):
    """Run ``steps`` optimizer steps on f(w) = scale * sum(w**2); return w after each."""
    history = []
    for _ in range(steps):
        opt.zero_grad()
        (scale * (w * w).sum()).backward()
        opt.step()
        history.append(w.detach().numpy().copy())
    return history


# ------------------------------------------------------------------ SGD by hand

def test_sgd_plain_two_steps_by_hand():
    # f = w^2, g = 2w, lr 0.1: w <- w - 0.2 w = 0.8 w.  1 -> 0.8 -> 0.64
    w = da.tensor([1.0], requires_grad=True)
    h = _square_loss_steps(da.optim.SGD([w], lr=0.1), w, 2)
    assert h[0][0] == pytest.approx(0.8, abs=1e-15)
    assert h[1][0] == pytest.approx(0.64, abs=1e-15)


def test_sgd_momentum_weight_decay_two_steps_by_hand():
    # lr .1, momentum .9, weight_decay .1, f = w^2, w0 = 1
    # step 1: g = 2*1 + .1*1 = 2.1;  buf = 2.1;  w1 = 1 - .21 = .79
    # step 2: g = 2*.79 + .1*.79 = 1.659;  buf = .9*2.1 + 1.659 = 3.549;  w2 = .79 - .3549 = .4351
    w = da.tensor([1.0], requires_grad=True)
    opt = da.optim.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.1)
    h = _square_loss_steps(opt, w, 2)
    assert h[0][0] == pytest.approx(0.79, abs=1e-14)
    assert h[1][0] == pytest.approx(0.4351, abs=1e-14)
    assert opt.state[w]["momentum_buffer"].item() == pytest.approx(3.549, abs=1e-14)


def test_sgd_nesterov_two_steps_by_hand():
    # lr .1, momentum .9, nesterov, weight_decay .1, f = w^2, w0 = 1
    # step 1: g = 2.1; buf = 2.1; g = 2.1 + .9*2.1 = 3.99; w1 = 1 - .399 = .601
    # step 2: g = 2.1*.601 = 1.2621; buf = 1.89 + 1.2621 = 3.1521;
    #         g = 1.2621 + .9*3.1521 = 4.09899; w2 = .601 - .409899 = .191101
    w = da.tensor([1.0], requires_grad=True)
    opt = da.optim.SGD([w], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)
    h = _square_loss_steps(opt, w, 2)
    assert h[0][0] == pytest.approx(0.601, abs=1e-14)
    assert h[1][0] == pytest.approx(0.191101, abs=1e-14)


def test_sgd_dampening_two_steps_by_hand():
    # lr .1, momentum .9, dampening .5, f = w^2, w0 = 1 (first step: buf = g, undampened)
    # step 1: g = 2; buf = 2; w1 = .8
    # step 2: g = 1.6; buf = .9*2 + .5*1.6 = 2.6; w2 = .8 - .26 = .54
    w = da.tensor([1.0], requires_grad=True)
    h = _square_loss_steps(da.optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.5), w, 2)
    assert h[0][0] == pytest.approx(0.8, abs=1e-14)
    assert h[1][0] == pytest.approx(0.54, abs=1e-14)


def test_sgd_maximize_goes_uphill():
    w = da.tensor([1.0], requires_grad=True)
    h = _square_loss_steps(da.optim.SGD([w], lr=0.1, maximize=True), w, 1)
    assert h[0][0] == pytest.approx(1.2, abs=1e-15)


@pytest.mark.parametrize("lr,momentum", [(0.1, 0.9), (0.02, 0.9), (0.3, 0.5)])
def test_sgd_momentum_matches_closed_form_recurrence_on_quadratic(lr, momentum):
    # f(w) = 1/2 sum(a_i w_i^2). Per coordinate, b' = mu b + a w and w' = w - lr b' give
    # [w; b]_{k+1} = M [w; b]_k with M = [[1 - lr a, -lr mu], [a, mu]] and b_0 = 0.
    # Closed form: w_k = sum_j V[0, j] c_j lambda_j^k (eigen-decomposition M = V diag(lambda) V^-1,
    # c = V^-1 [w_0; 0]).
    a = np.array([0.5, 1.0, 3.0, 7.0])
    w0 = np.array([1.0, -2.0, 0.5, 0.25])
    steps = 30
    w = da.tensor(w0, requires_grad=True)
    opt = da.optim.SGD([w], lr=lr, momentum=momentum)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * (da.tensor(a) * w * w).sum()).backward()
        opt.step()
        history.append(w.detach().numpy().copy())
    for i, (ai, wi) in enumerate(zip(a, w0)):
        m = np.array([[1.0 - lr * ai, -lr * momentum], [ai, momentum]])
        lam, vec = np.linalg.eig(m.astype(complex))
        coef = np.linalg.solve(vec, np.array([wi, 0.0], dtype=complex))
        for k in range(1, steps + 1):
            expected = (vec[0] * coef * lam ** k).sum().real
            assert history[k - 1][i] == pytest.approx(expected, rel=1e-9, abs=1e-12)


# ----------------------------------------------------------------- Adam by hand

def test_adam_two_steps_by_hand():
    # lr .1, betas (.5, .75), eps 0, f = w^2, w0 = 1
    # step 1: g = 2; m = 1; v = .25*4 = 1; m^ = 1/.5 = 2; v^ = 1/.25 = 4; w1 = 1 - .1*2/2 = .9
    # step 2: g = 1.8; m = .5 + .9 = 1.4; v = .75 + .25*3.24 = 1.56;
    #         m^ = 1.4/.75 = 28/15; v^ = 1.56/.4375 = 624/175; w2 = .9 - .1*(28/15)/sqrt(624/175)
    w = da.tensor([1.0], requires_grad=True)
    opt = da.optim.Adam([w], lr=0.1, betas=(0.5, 0.75), eps=0.0)
    h = _square_loss_steps(opt, w, 2)
    assert h[0][0] == pytest.approx(0.9, abs=1e-15)
    assert h[1][0] == pytest.approx(0.9 - 0.1 * (28 / 15) / math.sqrt(624 / 175), abs=1e-14)
    assert opt.state[w]["step"] == 2
    assert opt.state[w]["exp_avg"].item() == pytest.approx(1.4, abs=1e-14)
    assert opt.state[w]["exp_avg_sq"].item() == pytest.approx(1.56, abs=1e-14)


def test_adam_default_betas_eps_and_weight_decay_two_steps_by_hand():
    # lr .01, betas (.9, .999), eps 1e-8, weight_decay .5, f = w^2, w0 = 2
    # step 1: g = 4 + 1 = 5; m = .5; v = .025; m^ = 5; v^ = 25; w1 = 2 - .01*5/(5 + 1e-8)
    w1 = 2 - 0.01 * 5 / (5 + 1e-8)
    # step 2: g = 2.5 w1; m = .45 + .1 g; v = .999*.025 + .001 g^2
    g = 2.5 * w1
    m = 0.45 + 0.1 * g
    v = 0.999 * 0.025 + 0.001 * g * g
    w2 = w1 - 0.01 * (m / (1 - 0.81)) / (math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8)
    w = da.tensor([2.0], requires_grad=True)
    h = _square_loss_steps(da.optim.Adam([w], lr=0.01, weight_decay=0.5), w, 2)
    assert h[0][0] == pytest.approx(w1, abs=1e-14)
    assert h[1][0] == pytest.approx(w2, abs=1e-14)


def test_adam_amsgrad_uses_the_running_maximum_by_hand():
    # lr .8, betas (.5, .75), eps 0, f = w^2, w0 = 1
    # step 1: g = 2; m = 1; v = 1 (max 1); m^ = 2; v^ = 4; w1 = 1 - .8*2/2 = .2
    # step 2: g = .4; m = .7; v = .75 + .25*.16 = .79 < max 1, so amsgrad divides by
    #         sqrt(1/.4375) where plain Adam divides by sqrt(.79/.4375)
    def two_steps(amsgrad):
        w = da.tensor([1.0], requires_grad=True)
        opt = da.optim.Adam([w], lr=0.8, betas=(0.5, 0.75), eps=0.0, amsgrad=amsgrad)
        return _square_loss_steps(opt, w, 2), opt, w

    h, opt, w = two_steps(True)
    assert h[0][0] == pytest.approx(0.2, abs=1e-15)
    assert h[1][0] == pytest.approx(0.2 - 0.8 * (0.7 / 0.75) / math.sqrt(1 / 0.4375), abs=1e-14)
    assert opt.state[w]["max_exp_avg_sq"].item() == pytest.approx(1.0, abs=1e-15)
    assert opt.state[w]["exp_avg_sq"].item() == pytest.approx(0.79, abs=1e-15)
    plain, _, _ = two_steps(False)
    assert plain[1][0] == pytest.approx(0.2 - 0.8 * (0.7 / 0.75) / math.sqrt(0.79 / 0.4375),
                                        abs=1e-14)


def test_adam_amsgrad_matches_pytorch():
    torch = pytest.importorskip("torch")
    start = np.array([1.5, -0.3, 0.02])
    w = da.tensor(start, requires_grad=True)
    tw = torch.tensor(start, requires_grad=True)
    opt = da.optim.Adam([w], lr=0.3, weight_decay=0.1, amsgrad=True)
    topt = torch.optim.Adam([tw], lr=0.3, weight_decay=0.1, amsgrad=True)
    for _ in range(6):  # the steps overshoot, so the second moment falls and the maximum holds
        opt.zero_grad()
        topt.zero_grad()
        (w ** 4).sum().backward()
        (tw ** 4).sum().backward()
        opt.step()
        topt.step()
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-12, atol=0)


def test_adam_first_step_moves_every_coordinate_by_lr():
    w = da.tensor([3.0, -0.001, 40.0], requires_grad=True)
    opt = da.optim.Adam([w], lr=0.05, eps=0.0)
    _square_loss_steps(opt, w, 1)
    np.testing.assert_allclose(w.detach().numpy(), [2.95, -0.001 + 0.05, 39.95], atol=1e-14)


# ------------------------------------------------------------------ mechanics

@pytest.mark.parametrize("make", [lambda p: da.optim.SGD(p, lr=0.1, momentum=0.9),
                                  lambda p: da.optim.Adam(p, lr=0.1)])
def test_step_is_in_place_and_later_backward_passes_work(make):
    w = da.nn.Parameter(da.tensor([1.0, 2.0]))
    storage = w._data
    opt = make([w])
    for _ in range(3):
        opt.zero_grad()
        (w * w).sum().backward()
        before = w._version
        opt.step()
        assert w._version > before
    assert w._data is storage and w.is_leaf and w.requires_grad and w.grad_fn is None
    assert isinstance(w, da.nn.Parameter)


def test_frozen_and_gradless_parameters_are_skipped():
    a = da.tensor([1.0], requires_grad=True)
    b = da.tensor([1.0], requires_grad=True)
    c = da.tensor([1.0], requires_grad=True)
    opt = da.optim.SGD([a, b, c], lr=0.5, momentum=0.9)
    (a * 3 + b * 4).sum().backward()
    b.requires_grad_(False)  # frozen after its grad was computed: still skipped
    opt.step()
    assert a.item() == pytest.approx(-0.5)
    assert b.item() == 1.0 and c.item() == 1.0
    assert b not in opt.state and c not in opt.state


def test_param_groups_have_their_own_settings():
    a = da.tensor([1.0], requires_grad=True)
    b = da.tensor([1.0], requires_grad=True)
    opt = da.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.01}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    (a * 1.0 + b * 1.0).sum().backward()
    opt.step()
    assert a.item() == pytest.approx(0.9) and b.item() == pytest.approx(0.99)
    opt.param_groups[1]["lr"] = 1.0  # schedulers change lr in place
    opt.step()
    assert b.item() == pytest.approx(-0.01)


def test_zero_grad_set_to_none_and_to_zeros():
    w = da.tensor([1.0, 2.0], requires_grad=True)
    opt = da.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0])
    opt.zero_grad()
    assert w.grad is None


def test_gradient_with_graph_is_detached_by_step():
    w = da.tensor([1.0], requires_grad=True)
    opt = da.optim.SGD([w], lr=0.1)
    (w * w).sum().backward(create_graph=True)
    assert w.grad.requires_grad
    opt.step()
    assert w.item() == pytest.approx(0.8) and w.grad_fn is None
    opt.zero_grad(set_to_none=False)
    assert not w.grad.requires_grad and w.grad.item() == 0.0


def test_closure_is_evaluated_with_grad_enabled():
    w = da.tensor([1.0], requires_grad=True)
    opt = da.optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with da.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 1.0 and w.item() == pytest.approx(0.8)


def test_state_dict_round_trip_continues_identically():
    def run(split):
        w = da.tensor([1.0, -1.0], requires_grad=True)
        opt = da.optim.Adam([w], lr=0.1)
        _square_loss_steps(opt, w, 2)
        if split:
            saved = opt.state_dict()
            opt = da.optim.Adam([w], lr=0.1)
            opt.load_state_dict(saved)
        _square_loss_steps(opt, w, 2)
        return w.detach().numpy()

    np.testing.assert_array_equal(run(False), run(True))


@pytest.mark.parametrize("kwargs,match", [
    (dict(lr=-0.1), "learning rate"),
    (dict(lr=float("nan")), "learning rate"),
    (dict(lr="fast"), "learning rate"),
    (dict(lr=0.1, momentum=-0.5), "momentum"),
    (dict(lr=0.1, weight_decay=-1), "weight_decay"),
    (dict(lr=0.1, nesterov=True), "Nesterov"),
    (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
])
def test_sgd_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        da.optim.SGD([da.tensor([1.0], requires_grad=True)], **kwargs)


@pytest.mark.parametrize("kwargs,match", [
    (dict(lr=-1.0), "learning rate"),
    (dict(betas=(0.9, 1.0)), "betas"),
    (dict(betas=(0.9,)), "betas"),
    (dict(eps=-1e-8), "eps"),
])
def test_adam_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        da.optim.Adam([da.tensor([1.0], requires_grad=True)], **kwargs)


def test_bad_params_are_rejected_before_any_change():
    w = da.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="iterable"):
        da.optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        da.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        da.optim.SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match="twice"):
        da.optim.SGD([w, w], lr=0.1)
    opt = da.optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})
    with pytest.raises(ValueError, match="unknown setting"):
        opt.add_param_group({"params": [da.tensor([2.0], requires_grad=True)], "lrr": 1})
    with pytest.raises(ValueError, match="learning rate"):
        opt.add_param_group({"params": [da.tensor([2.0], requires_grad=True)], "lr": -1})
    assert len(opt.param_groups) == 1


# ------------------------------------------- property: against scalar references

def _sgd_reference(w, c, lr, momentum, dampening, nesterov, wd, steps):
    """PyTorch's SGD equations in plain Python floats, on f(w) = c w^2."""
    buf = None
    for _ in range(steps):
        g = 2 * c * w + wd * w
        if momentum:
            buf = g if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        w = w - lr * g
    return w


def _adam_reference(w, c, lr, b1, b2, eps, wd, steps):
    """Adam's equations in plain Python floats, on f(w) = c w^2."""
    m = v = 0.0
    for t in range(1, steps + 1):
        g = 2 * c * w + wd * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1**t)) / (math.sqrt(v / (1 - b2**t)) + eps)
    return w


_coords = st.lists(st.tuples(st.floats(-3, 3), st.floats(0.1, 4)), min_size=1, max_size=4)


@given(_coords, st.floats(0.0, 0.2), st.sampled_from([0.0, 0.5, 0.9]),
       st.sampled_from([0.0, 0.3]), st.booleans(), st.sampled_from([0.0, 0.01]))
def test_sgd_matches_scalar_reference(coords, lr, momentum, dampening, nesterov, wd):
    if nesterov and (momentum == 0 or dampening != 0):
        nesterov = False
    w0 = np.array([p[0] for p in coords])
    c = np.array([p[1] for p in coords])
    w = da.tensor(w0, requires_grad=True)
    opt = da.optim.SGD([w], lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                       weight_decay=wd)
    for _ in range(3):
        opt.zero_grad()
        (da.tensor(c) * w * w).sum().backward()
        opt.step()
    expected = [_sgd_reference(float(a), float(b), lr, momentum, dampening, nesterov, wd, 3)
                for a, b in zip(w0, c)]
    np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-12, atol=1e-12)


@given(_coords, st.floats(1e-4, 0.2), st.sampled_from([0.0, 0.5, 0.9]),
       st.sampled_from([0.5, 0.999]), st.sampled_from([1e-8, 1e-3]),
       st.sampled_from([0.0, 0.1]))
def test_adam_matches_scalar_reference(coords, lr, b1, b2, eps, wd):
    w0 = np.array([p[0] for p in coords])
    c = np.array([p[1] for p in coords])
    w = da.tensor(w0, requires_grad=True)
    opt = da.optim.Adam([w], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
    for _ in range(3):
        opt.zero_grad()
        (da.tensor(c) * w * w).sum().backward()
        opt.step()
    expected = [_adam_reference(float(a), float(b), lr, b1, b2, eps, wd, 3)
                for a, b in zip(w0, c)]
    np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-10, atol=1e-12)

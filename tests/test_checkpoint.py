"""dualad.checkpoint: identical gradients to the plain run, lower measured peak memory."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

import dualad as da
from dualad import func


def step(h, w):
    return da.tanh(h * w + 0.1) * 1.01


def chain(x, w, n, segment=None):
    """``n`` steps; with ``segment``, checkpointed every ``segment`` steps."""
    h = x
    if segment is None:
        for _ in range(n):
            h = step(h, w)
        return h

    def run(h, w, k):
        for _ in range(k):
            h = step(h, w)
        return h

    for start in range(0, n, segment):
        h = da.checkpoint(run, h, w, min(segment, n - start))
    return h


def grads(segment, n=30, size=5):
    rng = np.random.default_rng(0)
    x = da.tensor(rng.normal(size=size), requires_grad=True)
    w = da.tensor(rng.normal(size=size) * 0.5 + 1.0, requires_grad=True)
    chain(x, w, n, segment).sum().backward()
    return x.grad.numpy(), w.grad.numpy()


@pytest.mark.parametrize("segment", [1, 4, 7, 30])
def test_checkpointed_gradients_are_bit_identical_to_the_plain_run(segment):
    (gx, gw), (cx, cw) = grads(None), grads(segment)
    np.testing.assert_array_equal(gx, cx)  # the same ops on the same values
    # w is used in every segment: its gradient is summed per segment first, then over the
    # segments (as in PyTorch), a different association of the same terms: equal to rounding
    if segment in (1, 30):  # one term per segment, or one segment: the same association
        np.testing.assert_array_equal(gw, cw)
    else:
        np.testing.assert_allclose(cw, gw, rtol=4e-15)


def _peak(segment, n, size):
    x = da.tensor(np.linspace(-1.0, 1.0, size), requires_grad=True)
    w = da.tensor(np.full(size, 0.9), requires_grad=True)
    tracemalloc.start()
    try:
        chain(x, w, n, segment).sum().backward()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_checkpointing_every_sqrt_n_steps_lowers_the_peak_memory():
    n, size = 400, 2000  # one activation: 16 kB; plain keeps several per step
    plain = _peak(None, n, size)
    ck = _peak(int(math.sqrt(n)), n, size)
    assert plain > 400 * 16_000  # at least one array per step is kept
    assert ck < plain / 5, (plain, ck)  # measured: about 26 MB plain, 1.8 MB checkpointed


def test_second_order_through_checkpoint():
    x0 = np.array([0.3, -0.8])

    def f(x, segment):
        w = da.tensor([1.2, 0.7])
        return chain(x, w, 6, segment).sum()

    def second(segment):
        x = da.tensor(x0, requires_grad=True)
        (g,) = da.autograd.grad(f(x, segment), x, create_graph=True)
        (gg,) = da.autograd.grad(g.sum(), x)
        return gg.numpy()

    np.testing.assert_allclose(second(2), second(None), rtol=1e-13)
    hv = func.hessian(lambda x: f(x, 3))(x0)
    np.testing.assert_allclose(hv, func.hessian(lambda x: f(x, None))(x0), rtol=1e-13)


def test_checkpoint_inside_transforms_and_forward_mode():
    x0 = np.array([0.3, -0.8, 1.5])
    w0 = np.array([1.2, 0.7, 0.9])
    plain = func.grad(lambda x: chain(x, da.tensor(w0), 9).sum())(x0)
    ck = func.grad(lambda x: chain(x, da.tensor(w0), 9, 3).sum())(x0)
    np.testing.assert_array_equal(plain, ck)
    jp = func.jacfwd(lambda x: chain(x, da.tensor(w0), 9))(x0)
    jc = func.jacfwd(lambda x: chain(x, da.tensor(w0), 9, 3))(x0)
    np.testing.assert_array_equal(jp, jc)


def test_checkpoint_replays_the_random_state():
    def noisy(h):
        return h * (da.rand(*h.shape) > 0.5)

    def run(use_checkpoint, preserve=True):
        da.manual_seed(7)
        x = da.tensor(np.linspace(0.1, 1.0, 50), requires_grad=True)
        y = (da.checkpoint(noisy, x, preserve_rng_state=preserve) if use_checkpoint
             else noisy(x))
        y.sum().backward()
        return x.grad.numpy(), da.rand(3).numpy()  # the stream continues as in the plain run

    g_plain, after_plain = run(False)
    g_ck, after_ck = run(True)
    np.testing.assert_array_equal(g_plain, g_ck)
    np.testing.assert_array_equal(after_plain, after_ck)
    g_free, _ = run(True, preserve=False)
    assert not np.array_equal(g_free, g_plain)  # a fresh mask: the gradient differs


def test_checkpoint_on_pytrees_kwargs_and_errors():
    p = {"w": da.tensor([1.0, 2.0], requires_grad=True), "b": da.tensor(0.5)}

    def layer(params, x, scale=1.0):
        return {"y": (params["w"] * x + params["b"]) * scale}

    out = da.checkpoint(layer, p, da.tensor([3.0, 4.0]), scale=2.0)
    out["y"].sum().backward()
    np.testing.assert_array_equal(p["w"].grad.numpy(), [6.0, 8.0])
    with pytest.raises(TypeError, match="the function to run"):
        da.checkpoint(3, p)
    with pytest.raises(TypeError, match="must return Tensors"):
        da.checkpoint(lambda v: "text", p["w"])
    assert da.checkpoint(lambda v: v * 2, da.tensor(1.0)).item() == 2.0  # nothing to record


def test_a_conversion_inside_a_checkpoint_under_a_transform_raises_as_in_the_plain_run():
    def fn(v):
        return v * float(v.sum())  # loses the derivative of the float

    with pytest.raises(da.ConcretizationTypeError):
        func.grad(lambda x: fn(x).sum())(np.array([1.0, 2.0]))
    with pytest.raises(da.ConcretizationTypeError, match="dualad.func.checkpoint"):
        func.grad(lambda x: da.checkpoint(fn, x).sum())(np.array([1.0, 2.0]))
    # outside transforms PyTorch's rules apply: float() is allowed, in both runs alike
    x = da.tensor([1.0, 2.0], requires_grad=True)
    da.checkpoint(fn, x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_remat_is_checkpoint_as_a_function():
    x0, w0 = np.array([0.3, -0.8, 1.5]), np.array([1.2, 0.7, 0.9])

    def block(h, w):
        for _ in range(5):
            h = step(h, w)
        return h

    blk = func.remat(block)
    plain = func.grad(lambda x: block(block(x, w0), w0).sum())(x0)
    ck = func.grad(lambda x: blk(blk(x, w0), w0).sum())(x0)
    np.testing.assert_array_equal(plain, ck)
    assert _peak_of(lambda x, w: _chain_of(blk, x, w)) < _peak_of(
        lambda x, w: _chain_of(block, x, w)) / 5
    with pytest.raises(TypeError, match="remat: expected a function"):
        func.remat(3)


def _chain_of(blk, x, w):
    h = x
    for _ in range(40):
        h = blk(h, w)
    return h


def _peak_of(run):
    x = da.tensor(np.linspace(-1.0, 1.0, 2000), requires_grad=True)
    w = da.tensor(np.full(2000, 0.9), requires_grad=True)
    tracemalloc.start()
    try:
        run(x, w).sum().backward()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

"""Grad modes: context managers, decorators, nesting, inference tensors, thread-locality."""

import contextlib
import threading

import numpy as np
import pytest

import dualad as da


def test_requires_grad_flag_switch():
    a = da.ones(2, 3, requires_grad=True)
    b1 = 2 * a
    assert b1.grad_fn.name() == "MulBackward0"
    a.requires_grad = False
    b2 = 2 * a
    assert not b2.requires_grad and b2.grad_fn is None


def test_no_grad_context_records_nothing():
    a = da.ones(2, 3, requires_grad=True) * 2
    b = da.ones(2, 3, requires_grad=True) * 3
    assert (a + b).grad_fn.name() == "AddBackward0"
    with da.no_grad():
        c2 = a + b
        assert not da.is_grad_enabled()
    assert not c2.requires_grad and c2.grad_fn is None
    assert (a * b).grad_fn.name() == "MulBackward0"
    assert da.is_grad_enabled()


def test_no_grad_blocks_only_the_wrapped_path():
    x = da.ones(1, 10, requires_grad=True)
    y1 = x ** 2
    with da.no_grad():
        y2 = x ** 2
    z = y1 ** 2 + y2 ** 2
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((1, 10), 4.0))


def test_no_grad_and_enable_grad_as_decorators():
    @da.no_grad()
    def add_no_grad(x, y):
        return x + y

    @da.enable_grad()
    def add_with_grad(x, y):
        return x + y

    a = da.ones(2, requires_grad=True)
    assert not add_no_grad(a, a).requires_grad
    assert da.is_grad_enabled()
    with da.no_grad():
        assert add_with_grad(a, a).grad_fn.name() == "AddBackward0"
        assert not da.is_grad_enabled()
    assert add_no_grad.__name__ == "add_no_grad"


def test_enable_grad_inside_no_grad():
    x = da.ones(2, requires_grad=True)
    with da.no_grad():
        with da.enable_grad():
            assert da.is_grad_enabled()
            y = x * 2
        z = x * 2
    assert y.requires_grad and not z.requires_grad


def test_set_grad_enabled_as_function_context_and_decorator():
    x = da.ones(2, requires_grad=True)
    with da.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert da.is_grad_enabled()

    @da.set_grad_enabled(False)
    def f(t):
        return t * 2

    assert da.is_grad_enabled()  # decorating does not switch the mode
    assert not f(x).requires_grad
    assert da.is_grad_enabled()
    da.set_grad_enabled(False)
    try:
        assert not da.is_grad_enabled()
        assert not (x * 2).requires_grad
    finally:
        da.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with da.no_grad():
            raise ValueError("boom")
    assert da.is_grad_enabled()


def test_inference_mode_records_nothing_and_marks_tensors():
    x = da.ones(2, requires_grad=True)
    with da.inference_mode():
        assert da.is_inference_mode_enabled() and not da.is_grad_enabled()
        t = da.ones(2)
        y = x * 2
    assert not y.requires_grad and y.is_inference() and t.is_inference()
    assert not x.is_inference()
    assert da.is_grad_enabled() and not da.is_inference_mode_enabled()
    with da.inference_mode(False):
        assert not da.is_inference_mode_enabled() and da.is_grad_enabled()


def test_inference_mode_decorator():
    @da.inference_mode()
    def f(t):
        return t * 2

    out = f(da.ones(2, requires_grad=True))
    assert out.is_inference() and not out.requires_grad
    assert not da.is_inference_mode_enabled()


def test_inference_tensors_cannot_enter_a_graph():
    with da.inference_mode():
        t = da.ones(2) * 2
    x = da.ones(2, requires_grad=True)
    for f in (lambda: x * t, lambda: x + t, lambda: da.maximum(x, t)):
        with pytest.raises(RuntimeError, match="Inference tensors cannot"):
            f()
    # untracked computations with it give normal tensors, which may enter graphs (as PyTorch)
    assert not (t * 3).requires_grad
    normal = t.clone()
    assert not normal.is_inference() and not da.sin(t).is_inference()
    (x * normal).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_in_place_on_inference_tensor_outside_inference_mode_raises():
    with da.inference_mode():
        t = da.ones(2)
    with pytest.raises(RuntimeError, match="Inplace update to inference tensor"):
        t.add_(1)
    np.testing.assert_array_equal(t.numpy(), [1.0, 1.0])


def test_grad_mode_is_thread_local():
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def worker():
        with da.no_grad():
            inside.set()
            release.wait(5)
            seen["worker"] = da.is_grad_enabled()

    th = threading.Thread(target=worker)
    th.start()
    inside.wait(5)
    seen["main"] = da.is_grad_enabled()
    x = da.ones(1, requires_grad=True)
    seen["recorded"] = (x * 2).requires_grad
    release.set()
    th.join()
    assert seen == {"worker": False, "main": True, "recorded": True}


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("outer", ["enabled", "no_grad"])
def test_backward_runs_user_code_in_create_graph_mode_and_restores_the_mode(create_graph, outer):
    seen = []
    x = da.tensor([0.5, 1.5], requires_grad=True)
    y = da.sin(x) * 2.0  # op nodes whose array rules never record, then a hook
    y.register_hook(lambda g: seen.append(da.is_grad_enabled()))
    z = da.exp(y).sum()
    w = da.tensor(2.0, requires_grad=True)
    u = w * 3.0
    context = da.no_grad() if outer == "no_grad" else contextlib.nullcontext()
    with context:
        before = da.is_grad_enabled()
        z.backward(create_graph=create_graph)
        assert da.is_grad_enabled() == before
        u.backward()  # array rules only: the mode is never touched
        assert da.is_grad_enabled() == before and w.grad.item() == 3.0
    assert seen == [create_graph]
    assert x.grad.requires_grad == create_graph  # recorded even under no_grad
    np.testing.assert_allclose(x.grad.detach().numpy(),
                               np.exp(2 * np.sin([0.5, 1.5])) * 2 * np.cos([0.5, 1.5]))


def test_create_graph_under_no_grad_records_every_rule():
    x = da.tensor([0.5, 1.5], requires_grad=True)
    z = da.exp(da.sin(x) * 2.0).sum()
    with da.no_grad():
        (g,) = da.autograd.grad(z, x, create_graph=True)
    (h,) = da.autograd.grad(g.sum(), x)
    x0 = np.array([0.5, 1.5])
    e, c, s = np.exp(2 * np.sin(x0)), np.cos(x0), np.sin(x0)
    np.testing.assert_allclose(g.detach().numpy(), 2 * c * e, rtol=1e-14)
    np.testing.assert_allclose(h.numpy(), 2 * e * (2 * c * c - s), rtol=1e-13)


def _modes() -> tuple:
    return da.is_grad_enabled(), da.is_inference_mode_enabled(), da.autograd.is_anomaly_enabled()


@pytest.mark.parametrize("make", [da.no_grad, da.enable_grad, da.inference_mode,
                                  lambda: da.set_grad_enabled(False),
                                  da.autograd.detect_anomaly])
def test_a_decorated_function_may_recurse(make):
    """Each call of a decorated function enters a fresh copy of the mode (the previous mode
    is kept on the instance): a recursive call must not overwrite what the outer call
    restores, and the inner calls see the mode."""
    @make()
    def f(n: int) -> tuple:
        return f(n - 1) if n else _modes()

    before = _modes()
    inside = f(3)
    assert _modes() == before
    with make():
        assert inside == _modes()

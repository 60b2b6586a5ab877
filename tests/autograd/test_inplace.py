"""In-place ops, version counters, ``.data`` and ``detach`` (DESIGN section 4)."""

import numpy as np
import pytest

import dualad as da


def test_every_in_place_op_bumps_the_version():
    t = da.zeros(3)
    assert t._version == 0
    ops = [lambda: t.add_(1), lambda: t.sub_(1), lambda: t.mul_(2), lambda: t.div_(2),
           lambda: t.zero_(), lambda: t.fill_(3.0), lambda: t.copy_(da.ones(3)),
           lambda: t.clamp_(0, 1), lambda: t.__iadd__(1), lambda: t.__setitem__(0, 5.0)]
    for k, op in enumerate(ops, start=1):
        result = op()
        assert result is t or result is None  # __setitem__ returns None
        assert t._version == k
    np.testing.assert_array_equal(t.numpy(), [5.0, 2.0, 2.0])


def test_augmented_assignment_keeps_the_object():
    x = da.ones(1, 2)
    ident = id(x)
    x += 1
    x *= 3
    assert id(x) == ident
    np.testing.assert_array_equal(x.numpy(), [[6.0, 6.0]])


def test_in_place_on_leaf_requiring_grad_raises_and_changes_nothing():
    x = da.ones(1, requires_grad=True)
    for op in (lambda: x.mul_(100), lambda: x.add_(1), lambda: x.zero_(),
               lambda: x.__setitem__(0, 3.0)):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            op()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x *= 100
    np.testing.assert_array_equal(x.detach().numpy(), [1.0])
    assert x._version == 0


def test_in_place_on_leaf_allowed_under_no_grad():
    x = da.ones(1, 2, requires_grad=True)
    with da.no_grad():
        x += 1
        x.add_(1)
    assert x.requires_grad and x.is_leaf and x._version == 2
    np.testing.assert_array_equal(x.detach().numpy(), [[3.0, 3.0]])


def test_data_edits_are_not_tracked():
    x = da.ones(1, requires_grad=True)
    assert not x.data.requires_grad
    np.testing.assert_array_equal(x.data.numpy(), [1.0])
    y = 2 * x
    x.data *= 100
    assert x._version == 0
    y.backward()
    np.testing.assert_array_equal(x.detach().numpy(), [100.0])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0])
    assert repr(x) == "tensor([100.], requires_grad=True)"


def test_data_assignment_replaces_values_keeps_the_leaf():
    x = da.ones(1, 2, requires_grad=True)
    x.data = x.data + 1
    s = x.sum()
    assert repr(s) == "tensor(4., grad_fn=<SumBackward0>)"
    assert x.requires_grad and x.is_leaf


def test_detach_shares_storage_and_version_counter():
    x = da.ones(2, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d.zero_()
    np.testing.assert_array_equal(x.detach().numpy(), [0.0, 0.0])
    assert x._version == 1 and d._version == 1


def test_detached_in_place_edit_is_caught_by_the_version_check():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    y = da.sin(x)
    x.detach().mul_(2)
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        y.sum().backward()


def test_detach_tutorial_example():
    x = da.arange(4.0, requires_grad=True)
    y = x * x
    u = y.detach()
    z = u * x
    assert (z == x * x * x).numpy().all()
    z.sum().backward()
    assert (x.grad == u).numpy().all()
    x.grad.zero_()
    y.sum().backward()
    assert (x.grad == 2 * x).numpy().all()


def test_detach_in_place():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y.detach_()
    assert not y.requires_grad and y.is_leaf


def test_modified_saved_input_raises_naming_op_shape_and_versions():
    x = da.ones(1, 10, requires_grad=True)
    y1 = x ** 2
    with da.no_grad():
        x += 1
        y2 = x ** 2
    z = y1 ** 2 + y2 ** 2
    with pytest.raises(RuntimeError) as info:
        z.sum().backward()
    msg = str(info.value)
    assert "modified by an inplace operation" in msg
    assert "PowBackward0" in msg and "[1, 10]" in msg
    assert "is at version 1; expected version 0" in msg
    assert x.grad is None  # raised before anything was accumulated


def test_version_check_sees_every_kind_of_in_place_write():
    # the engine skips a node's version check while no in-place write happened since it was
    # recorded: each way of writing in place must count, and a write to an unrelated tensor
    # must not hide a later write to a saved one
    from dualad._state import census

    class Twice(da.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            t._data *= 2  # a raw write: only mark_dirty tells autograd about it
            ctx.mark_dirty(t)
            return t

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = da.tensor([1.0, 2.0], requires_grad=True)
    other = da.zeros(2)
    for write in (lambda t: t.add_(1), lambda t: t.__setitem__(0, 5.0), Twice.apply):
        a = x * 1
        y = a * a  # mul's rule reads both inputs
        before = census.inplace
        write(other)
        assert census.inplace > before
        y.sum().backward(retain_graph=True)  # nothing it saved changed
        write(a)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_in_place_write_by_a_hook_during_backward_is_caught():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    b = (x * 1).exp()  # exp's rule reads its output b
    s = (b * 3).sum()

    def modify_b(grad):
        b.mul_(2)  # runs after the checks before the pass, before exp's rule

    b.register_hook(modify_b)
    with pytest.raises(RuntimeError, match="output 0 of ExpBackward0"):
        s.backward()


def test_in_place_before_use_is_fine():
    x = da.ones(1, 10, requires_grad=True)
    with da.no_grad():
        x += 1
        y2 = x ** 2
    y1 = x ** 2
    z = y1 ** 2 + y2 ** 2
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((1, 10), 32.0))  # 4 x^3 at 2
    np.testing.assert_array_equal(z.detach().numpy(), np.full((1, 10), 32.0))


def test_modified_saved_output_raises():
    x = da.ones(2, requires_grad=True)
    y = x.exp()  # the rule reads exp's output
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"output 0 of ExpBackward0, is at version 1; "
                                           r"expected version 0"):
        y.sum().backward()


def test_modifying_an_input_the_rule_does_not_read_is_fine():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    b = a + 1  # add's rule reads neither input
    a.mul_(3)
    (b.sum() + a.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])


def test_in_place_on_non_leaf_gradients():
    x = da.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y.add_(1)
    y.mul_(y.detach().clone())  # y = (2x+1) * c with c = (2x+1) held constant
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * (2 * np.array([1.0, 2.0, 3.0]) + 1))


def test_in_place_with_self_as_argument_is_caught():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    a.mul_(a)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        a.sum().backward()


def test_setitem_gradient_scatter():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y[0] = 5.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0])

    x = da.tensor([1.0, 2.0], requires_grad=True)
    v = da.tensor(3.0, requires_grad=True)
    y = x * 1
    y[1] = v * 2
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0])
    assert v.grad.item() == 24.0  # d/dv (2v)^2 = 8v


def test_in_place_op_on_tensor_without_grad_records_when_the_other_requires_grad():
    w = da.tensor([2.0, 3.0], requires_grad=True)
    t = da.ones(2)
    t.mul_(w)
    assert t.requires_grad and not t.is_leaf
    (t * t).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [4.0, 6.0])


def test_views_of_views_are_read_only_with_a_clear_error():
    """A view made by reshape (or a chain of views) is read only; one made by indexing
    writes through to its base (see test_views.py)."""
    x = da.arange(6.0).reshape(2, 3)
    row = x.reshape(3, 2)
    with pytest.raises(RuntimeError, match="read-only view"):
        row.add_(1)
    np.testing.assert_array_equal(x.numpy()[0], [0.0, 1.0, 2.0])
    row = x[0]
    c = row.clone()
    c.add_(1)
    np.testing.assert_array_equal(c.numpy(), [1.0, 2.0, 3.0])


def test_in_place_shape_mismatch_raises_before_writing():
    t = da.zeros(2)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        t.add_(da.ones(3, 2))
    assert t._version == 0
    np.testing.assert_array_equal(t.numpy(), [0.0, 0.0])


def test_gradient_descent_step_pattern():
    w = da.tensor([1.0, -2.0], requires_grad=True)
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with da.no_grad():
            w -= 0.25 * w.grad
        w.grad.zero_()
    np.testing.assert_allclose(w.detach().numpy(), np.array([1.0, -2.0]) * 0.5 ** 3)


def test_retain_grad_follows_the_tensor_through_an_in_place_op():
    # y = 2x, then y *= 3 (y = 6x), loss = sum(y**2): the retained gradient is that of the
    # new y, 2*y = 12x, not of the old one (36x); x.grad = 72x either way
    x = da.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.mul_(3)
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [12.0, 24.0])
    np.testing.assert_allclose(x.grad.numpy(), [72.0, 144.0])


def test_retain_grad_through_an_in_place_op_matches_pytorch():
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (da, torch):
        x = lib.tensor(np.array([0.5, -1.5, 2.0]), requires_grad=True)
        y = x.sin()
        y.retain_grad()
        y.add_(x)
        y.mul_(x)
        y.sum().backward()
        grads.append((y.grad.detach().numpy(), x.grad.detach().numpy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_assigned_grad_must_have_the_tensor_dtype():
    x = da.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="assigned grad has dtype int64, but the tensor has "
                                           "dtype float64"):
        x.grad = da.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="dtype float32"):
        x.grad = np.ones(3, dtype=np.float32)
    assert x.grad is None
    x.grad = np.ones(3)
    assert x.grad.dtype == np.float64


def test_fill_with_a_0d_tensor_keeps_the_dtype_and_its_gradient():
    t = da.tensor([1, 2])
    t.fill_(da.tensor(3))
    assert t.dtype == np.int64 and t.tolist() == [3, 3]
    v = da.tensor(2.0, requires_grad=True)
    y = da.zeros(3) * 1.0
    y.fill_(v)
    (y * da.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert v.grad.item() == 6.0
    with pytest.raises(RuntimeError, match="fill_ takes a number or a 0-d tensor"):
        da.zeros(3).fill_(da.tensor([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("make", [
    lambda y: y.T.reshape(-1), lambda y: y.T.flatten(), lambda y: y.T.ravel(),
    lambda y: y[:, np.array([2, 0])]])
def test_in_place_on_a_copy_made_by_reshape_or_integer_indexing(make):
    # reshaping a transposed tensor and integer-array indexing copy: the copy's .base is NumPy's
    # buffer, not the tensor's storage; it was refused as a read-only view (PyTorch allows it)
    x0 = np.arange(6.0).reshape(2, 3)
    x = da.tensor(x0, requires_grad=True)
    y = x * 1.0
    a = make(y)
    a.mul_(a.detach() + 1.0)
    (a * a).sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), x0)
    # sum over the copy of (x (x + 1))**2 per element: d/dx = 2 x (x + 1) (x + 1)
    sel = make(da.tensor(x0)).numpy()
    expected = np.zeros_like(x0)
    for v in np.unique(sel):
        expected[x0 == v] = 2.0 * v * (v + 1.0) ** 2 * np.count_nonzero(sel == v)
    np.testing.assert_allclose(x.grad.numpy(), expected)

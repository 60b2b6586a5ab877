"""Custom ``autograd.Function``: ctx, saved tensors, dirty/non-differentiable outputs, jvp."""

import math

import numpy as np
import pytest
from custom_functions import Cube, TwoOutputs

import dualad as da
from dualad import forward_ad as fwad


class Exp(da.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        result = x.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, g):
        (result,) = ctx.saved_tensors
        return g * result


class ScaledSquare(da.autograd.Function):
    """x**2 * k, with a Python float k: one gradient per argument, None for k."""

    @staticmethod
    def forward(ctx, x, w, k):
        ctx.save_for_backward(x, w)
        ctx.k = k
        ctx.seen_needs = ctx.needs_input_grad
        return x * x * w * k

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        gx = g * 2 * x * w * ctx.k if ctx.needs_input_grad[0] else None
        gw = g * x * x * ctx.k if ctx.needs_input_grad[1] else None
        return gx, gw, None


def test_save_for_backward_and_saved_tensors():
    x = da.tensor([0.0, 1.0], requires_grad=True)
    y = Exp.apply(x)
    assert y.grad_fn.name() == "ExpBackward"
    assert y.grad_fn.next_functions[0][0].name() == "AccumulateGrad"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, math.e], rtol=1e-15)
    with pytest.raises(RuntimeError, match="second time"):
        y.sum().backward()


def test_needs_input_grad_and_non_tensor_arguments():
    x = da.tensor(3.0, requires_grad=True)
    w = da.tensor(2.0)
    y = ScaledSquare.apply(x, w, 0.5)
    assert y.grad_fn.ctx.seen_needs == (True, False, False)
    y.backward()
    assert x.grad.item() == 2 * 3.0 * 2.0 * 0.5
    assert w.grad is None


def test_no_node_when_nothing_requires_grad_or_under_no_grad():
    y = ScaledSquare.apply(da.tensor(3.0), da.tensor(2.0), 1.0)
    assert not y.requires_grad and y.grad_fn is None
    x = da.tensor(3.0, requires_grad=True)
    with da.no_grad():
        y = Exp.apply(x)
    assert not y.requires_grad


def test_custom_backward_is_differentiable_again():
    x = da.tensor(0.3, requires_grad=True)
    y = Exp.apply(x)
    (g,) = da.autograd.grad(y, x, create_graph=True)
    (h,) = da.autograd.grad(g, x)
    np.testing.assert_allclose([g.item(), h.item()], [math.exp(0.3)] * 2, rtol=1e-15)


class SplitScale(da.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, g1, g2):
        return g1 * 2 + g2 * 3


def test_multiple_outputs():
    x = da.tensor([1.0, 1.0], requires_grad=True)
    a, b = SplitScale.apply(x)
    assert a.grad_fn is b.grad_fn
    (a.sum() + 10 * b.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [32.0, 32.0])


def test_multiple_outputs_one_unused_gets_zero_gradient():
    x = da.tensor([1.0, 1.0], requires_grad=True)
    a, _ = SplitScale.apply(x)
    a.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


class SortWithIndices(da.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        order = np.argsort(x.numpy(), kind="stable")
        idx = da.tensor(order)
        vals = da.tensor(x.numpy()[order])
        ctx.mark_non_differentiable(idx)
        ctx.order = order
        return vals, idx

    @staticmethod
    def backward(ctx, g, g_idx):
        assert g_idx is None or not np.any(g_idx.numpy())
        out = np.zeros(g.shape)
        out[ctx.order] = g.numpy()
        return da.tensor(out)


def test_mark_non_differentiable():
    x = da.tensor([3.0, 1.0, 2.0], requires_grad=True)
    vals, idx = SortWithIndices.apply(x)
    assert vals.requires_grad and not idx.requires_grad
    np.testing.assert_array_equal(idx.numpy(), [1, 2, 0])
    (vals * da.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 1.0, 2.0])


class AddOneInPlace(da.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g


def test_mark_dirty_returns_the_modified_input_with_new_history():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = AddOneInPlace.apply(y)
    assert z is y
    assert y.grad_fn.name() == "AddOneInPlaceBackward"
    assert y._version >= 1
    np.testing.assert_array_equal(y.detach().numpy(), [4.0, 7.0])
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * np.array([4.0, 7.0]) * 3)


def test_mark_dirty_on_leaf_requiring_grad_raises():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        AddOneInPlace.apply(x)


def test_returning_an_input_unchanged_gives_a_new_tensor():
    class Identity(da.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = da.tensor([1.0, 2.0], requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and x.is_leaf and y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_jvp_in_forward_mode():
    with fwad.dual_level():
        d = fwad.make_dual(da.tensor([1.0, 2.0]), da.tensor([1.0, 0.5]))
        y = Cube.apply(d)
        p, t = fwad.unpack_dual(y)
    np.testing.assert_array_equal(p.numpy(), [1.0, 8.0])
    np.testing.assert_array_equal(t.numpy(), [3.0, 6.0])  # 3 x^2 * tangent


def test_missing_jvp_is_a_clear_error_in_forward_mode():
    with fwad.dual_level():
        d = fwad.make_dual(da.tensor([1.0, 2.0]), da.tensor([1.0, 1.0]))
        with pytest.raises(RuntimeError, match="Exp has no jvp"):
            Exp.apply(d)


def test_saved_input_modified_in_place_read_in_jvp_with_no_node_is_a_clear_error():
    # no input requires grad: no node is recorded, and the version check of saved_tensors
    # (read in jvp) once failed with AttributeError on the missing node
    class DoubleInPlace(da.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

        @staticmethod
        def jvp(ctx, t):
            (x,) = ctx.saved_tensors
            return t * 2

    with fwad.dual_level():
        d = fwad.make_dual(da.tensor([1.0, 2.0]), da.tensor([1.0, 1.0]))
        with pytest.raises(RuntimeError, match="modified by an inplace operation.*"
                                               "input 0 of DoubleInPlaceBackward"):
            DoubleInPlace.apply(d)


def test_wrong_number_of_gradients_is_reported():
    class Bad(da.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    x = da.tensor(1.0, requires_grad=True)
    out = Bad.apply(x, da.tensor(2.0))
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        out.backward()
    assert x.grad is None


def test_wrong_gradient_shape_is_reported():
    class BadShape(da.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return da.ones(5)

    x = da.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="invalid gradient at index 0"):
        BadShape.apply(x).sum().backward()


@pytest.mark.parametrize("returned", [lambda g: g[:1], lambda g: 1.0, lambda g: g.sum()])
def test_gradient_smaller_than_the_input_is_refused(returned):
    # a backward that returns fewer elements than its input has is a bug: broadcasting it
    # would give a wrong gradient with no error (the true gradient of 2x is 2, not 1)
    class Small(da.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return returned(g)

    x = da.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"invalid gradient at index 0 - got \[.*\] but "
                                           r"expected shape compatible with \[2\]"):
        Small.apply(x).sum().backward()
    assert x.grad is None


def test_gradient_with_broadcast_axes_is_summed_to_the_input():
    class Spread(da.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return da.ones(4, 1, 3) * 2  # the input's (1, 3) broadcast: sums back to 8 each

    x = da.ones(1, 3, requires_grad=True)
    Spread.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((1, 3), 8.0))


def test_second_output_used_inside_a_dual_level_sends_its_gradient_to_its_own_slot():
    # inside a dual level every op works on an alias of its input; the alias of output 1
    # was output 0, so the gradient came back times 2 instead of 3
    x = da.tensor([1.0, 2.0], requires_grad=True)
    with da.forward_ad.dual_level():
        b = TwoOutputs.apply(da.forward_ad.make_dual(x, da.tensor([1.0, 0.0])))[1]
        y = (b * 1).sum()
        assert da.forward_ad.unpack_dual(y).tangent.item() == 3.0
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_hessian_through_the_second_output():
    # sum((3x)**2) = 9 sum(x**2): Hessian 18 I (jacfwd over jacrev meets output 1 in a level)
    h = da.func.hessian(lambda v: (TwoOutputs.apply(v)[1] ** 2).sum())(np.array([1.0, 2.0]))
    np.testing.assert_allclose(h, 18 * np.eye(2))


def test_in_place_op_on_the_second_output():
    # b = 3x, then b *= 5: d sum(b)/dx = 15 (the in-place op read output 0's gradient slot)
    x = da.tensor([1.0, 2.0], requires_grad=True)
    _, b = TwoOutputs.apply(x)
    b.mul_(5)
    (b * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [15.0, 15.0])
    x2 = da.tensor([1.0, 2.0], requires_grad=True)
    _, b2 = TwoOutputs.apply(x2)
    b2.retain_grad()
    b2.mul_(5)
    (b2 * b2).sum().backward()  # b2 = 15 x: retained 2*b2 = 30x, x.grad = 450x
    np.testing.assert_allclose(b2.grad.numpy(), [30.0, 60.0])
    np.testing.assert_allclose(x2.grad.numpy(), [450.0, 900.0])


def test_an_input_modified_in_place_marked_dirty_and_saved_keeps_its_version():
    # forward's in-place op bumps the version once; mark_dirty must not bump it again, or
    # the saved tensor looks modified after saving (PyTorch runs this; it raised here)
    class DoubleInPlace(da.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2.0)
            ctx.mark_dirty(x)
            ctx.save_for_backward(x)
            return x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2.0 + 0.0 * x

    a = da.tensor([1.0, 2.0], requires_grad=True)
    b = a.clone()
    y = DoubleInPlace.apply(b)
    assert y is b and b._version == 1
    np.testing.assert_array_equal(y.detach().numpy(), [2.0, 4.0])
    (y * da.tensor([3.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [6.0, 10.0])

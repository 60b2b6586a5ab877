"""DESIGN section 8: clear errors, raised before any state changes."""

import numpy as np
import pytest

import dualad as da
from dualad import registry


def _grad_state(*leaves):
    return [None if t._grad is None else t._grad.numpy().copy() for t in leaves]


def test_wrong_gradient_shape_leaves_grad_untouched():
    x = da.ones(3, requires_grad=True)
    (x * 2).backward(gradient=da.ones(3))
    y = x * 2
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape "
                                           r"of \(2,\) and output\[0\] has a shape of \(3,\)"):
        y.backward(gradient=da.ones(2))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])
    y.backward(gradient=da.ones(3))  # the graph was not consumed by the failed call
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0, 4.0])


def test_wrong_grad_outputs_for_grad():
    x = da.ones(2, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        da.autograd.grad(y, x, grad_outputs=da.ones(3))
    with pytest.raises(RuntimeError, match="got 2 gradients for 1 outputs"):
        da.autograd.grad(y, x, grad_outputs=[da.ones(2), da.ones(2)])
    (g,) = da.autograd.grad(y, x, grad_outputs=da.ones(2))
    np.testing.assert_array_equal(g.numpy(), [2.0, 2.0])


def test_implicit_gradient_only_for_scalar_outputs():
    x = da.ones(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar "
                                           "outputs"):
        y.backward()
    assert x.grad is None
    y.backward(gradient=da.tensor([1.0, 0.1, 0.01]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.2, 0.02], rtol=1e-15)


@pytest.mark.parametrize("make", [
    lambda: da.tensor([1, 2], requires_grad=True),
    lambda: da.arange(4, requires_grad=True),
    lambda: da.tensor([True], requires_grad=True),
])
def test_requires_grad_on_integer_tensor(make):
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require "
                                           "gradients"):
        make()


def test_requires_grad_setters_on_integer_tensor_change_nothing():
    t = da.tensor([1, 2])
    for f in (lambda: t.requires_grad_(), lambda: setattr(t, "requires_grad", True)):
        with pytest.raises(RuntimeError, match="floating point dtype"):
            f()
    assert not t.requires_grad
    assert da.tensor([1, 2]).double().requires_grad_().requires_grad


def test_requires_grad_false_on_non_leaf():
    y = da.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad_(False)
    assert y.requires_grad


def test_backward_on_tensor_without_grad_fn():
    for t in (da.tensor([1.0, 2.0]).sum(), da.tensor(1.0)):
        with pytest.raises(RuntimeError, match="does not require grad and does not have a "
                                               "grad_fn"):
            t.backward()
    x = da.tensor(1.0, requires_grad=True)
    with da.no_grad():
        y = x * 2
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_grad_of_input_not_requiring_grad():
    x = da.tensor(1.0, requires_grad=True)
    c = da.tensor(2.0)
    with pytest.raises(RuntimeError, match=r"inputs\[1\]\) does not require grad"):
        da.autograd.grad(x * c, [x, c])


def test_unused_input_raises_before_the_graph_is_consumed():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    u = da.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        da.autograd.grad(y, [x, u])
    y.backward()  # the graph is still there
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_mismatched_shapes_name_the_op():
    a = da.ones(2, requires_grad=True)
    b = da.ones(3)
    with pytest.raises(ValueError, match=r"^add: operands could not be broadcast together.*"
                                         r"input shapes: \(2,\), \(3,\)"):
        a + b
    with pytest.raises(ValueError, match=r"^mul: .*input shapes"):
        a * b
    with pytest.raises(ValueError, match=r"^matmul: .*input shapes"):
        da.ones(2, 3) @ da.ones(2, 3)


def test_unknown_op():
    with pytest.raises(KeyError, match="no op named 'sinn' is registered"):
        registry.get("sinn")


def test_second_backward_raises_before_any_accumulation():
    x = da.tensor(2.0, requires_grad=True)
    w = da.tensor(3.0, requires_grad=True)
    y = da.sin(x * w)
    y.backward()
    before = _grad_state(x, w)
    z = y * x + w  # new nodes on top of the freed ones
    with pytest.raises(RuntimeError, match=r"Trying to backward through the graph a second "
                                           r"time.*retain_graph=True"):
        z.backward()
    after = _grad_state(x, w)
    np.testing.assert_array_equal(before, after)


def test_modified_saved_tensor_raises_before_any_accumulation():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    w = da.tensor([3.0, 4.0], requires_grad=True)
    h = w * 1
    y = da.sin(h)  # saves h
    out = (x * 5).sum() + y.sum()
    h.add_(1)
    with pytest.raises(RuntimeError, match=r"\[float64 tensor of shape \[2\]\], which is input "
                                           r"0 of SinBackward0, is at version 1; expected "
                                           r"version 0"):
        out.backward()
    assert x.grad is None and w.grad is None


def test_inference_tensor_in_a_graph():
    with da.inference_mode():
        t = da.ones(2)
    x = da.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Inference tensors cannot be used in a computation "
                                           r"recorded by autograd \(op mul\).*clone"):
        x * t


def test_numpy_of_tensor_requiring_grad():
    x = da.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Use tensor.detach\(\).numpy\(\) instead"):
        x.numpy()
    with pytest.raises(RuntimeError, match="detach"):
        np.asarray(x)
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 1.0])


def test_assigning_grad_of_wrong_shape():
    x = da.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="assigned grad has shape"):
        x.grad = da.ones(3)
    assert x.grad is None


def test_empty_inputs_to_backward():
    x = da.ones(1, requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (x * 2).backward(inputs=[])


# ------------------------------------- the gradient given to backward / grad (issue 18)

def test_a_numpy_gradient_of_the_wrong_shape_names_both_shapes():
    """An array is one gradient, not a sequence of them ("got 3 gradients for 1 outputs")."""
    x = da.tensor(2.0, requires_grad=True)
    y = x * x
    for g in (np.ones(3), np.ones(1)):
        with pytest.raises(RuntimeError, match=rf"grad_output\[0\] has a shape of \({g.size},\) "
                                               r"and output\[0\] has a shape of \(\)"):
            y.backward(g)
    assert x.grad is None
    v = x * da.ones(3)
    with pytest.raises(RuntimeError, match=r"shape of \(2, 3\) and output\[0\] has a shape "
                                           r"of \(3,\)"):
        da.autograd.grad(v, x, np.ones((2, 3)))


def test_a_number_is_the_gradient_of_a_scalar_output():
    """PyTorch 2.13 raises "'float' object is not iterable"; a number is a 0-d gradient."""
    x = da.tensor(2.0, requires_grad=True)
    (x * x).backward(2.0)
    assert x.grad.item() == 8.0  # 2 * 2x
    (x * x).backward(np.float64(0.5))
    assert x.grad.item() == 10.0
    assert da.autograd.grad(x ** 3, x, 3)[0].item() == 36.0  # 3 * 3x^2
    v = x * da.ones(3)
    with pytest.raises(RuntimeError, match=r"shape of \(\) and output\[0\] has a shape of "
                                           r"\(3,\)"):
        v.backward(2.0)


def test_lists_and_tuples_hold_one_gradient_per_output():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    a, b = x * 2, x * 3
    da.autograd.backward([a, b], [np.ones(2), da.tensor([0.0, 1.0])])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 5.0])
    (g,) = da.autograd.grad(x * 2, x, grad_outputs=(da.ones(2),))  # PyTorch's usual form
    np.testing.assert_array_equal(g.numpy(), [2.0, 2.0])
    with pytest.raises(RuntimeError, match="got 2 gradients for 1 outputs"):
        da.autograd.grad(x * 2, x, grad_outputs=[da.ones(2), da.ones(2)])


@pytest.mark.parametrize(("gradient", "error", "message"), [
    ("a", TypeError, r"grad_output\[0\] must be a Tensor, a NumPy array or a number, got str"),
    ({1.0, 2.0}, TypeError, r"got set of dtype object"),
    (([[1.0, 2.0], [3.0]],), TypeError, r"list could not be converted"),
    (np.array([None, None]), TypeError, r"got ndarray of dtype object"),
    (np.ones(2) * 1j, TypeError, r"grad_output\[0\] is complex but the output is real"),
])
def test_gradients_that_are_not_numbers_are_refused(gradient, error, message):
    x = da.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(error, match=message):
        (x * 2).backward(gradient)
    assert x.grad is None


# ----------------------------------------------------------- dual levels (issue 18)

def test_exiting_a_dual_level_twice_or_never_entered_is_explained():
    from dualad import forward_ad as fwAD
    from dualad._state import state

    level = fwAD.dual_level()
    with pytest.raises(RuntimeError, match="never entered or was already exited"):
        level.__exit__(None, None, None)
    level.__enter__()
    level.__exit__(None, None, None)
    with pytest.raises(RuntimeError, match="never entered or was already exited"):
        level.__exit__(None, None, None)
    assert state.levels == []
    with level:  # an exited level object can be used again
        with pytest.raises(RuntimeError, match="already entered"):
            level.__enter__()
        assert len(state.levels) == 1
    assert state.levels == []


def test_a_dual_level_exited_from_another_thread_stays_active_where_it_was_entered():
    import threading

    from dualad import forward_ad as fwAD
    from dualad._state import state

    level = fwAD.dual_level()
    with level:
        errors = []

        def other():
            try:
                level.__exit__(None, None, None)
            except RuntimeError as exc:
                errors.append(str(exc))

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert errors and "not active in this thread" in errors[0]
        assert len(state.levels) == 1
    assert state.levels == []


def test_arrays_passed_as_inputs_or_outputs_are_named_as_arrays():
    """An array was iterated: 'inputs[0] is a float64, not a Tensor'."""
    x = da.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"inputs\[0\] is a ndarray, not a Tensor"):
        da.autograd.grad((x * x).sum(), np.ones(2))
    with pytest.raises(TypeError, match=r"inputs\[0\] is a ndarray, not a Tensor"):
        (x * x).sum().backward(inputs=np.ones(2))
    with pytest.raises(TypeError, match="backward expects Tensors, got ndarray at 0"):
        da.autograd.grad(np.ones(2), x)
    assert x.grad is None
    (g,) = da.autograd.grad((x * x).sum(), (t for t in [x]))  # any iterable of Tensors
    np.testing.assert_array_equal(g.numpy(), [2.0, 4.0])


def test_a_complex_tensor_gradient_for_a_real_output_is_refused():
    """Its imaginary part was dropped with a ComplexWarning; PyTorch raises."""
    x = da.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"grad_output\[0\] is complex \(complex128\) but "
                                        r"the output is real \(float64\)"):
        (x * 2).backward(da.tensor([1j, 1j]))
    assert x.grad is None

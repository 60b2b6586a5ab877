"""gradcheck, gradgradcheck and numeric_jacobian, against closed forms and wrong rules."""

from __future__ import annotations

import re

import numpy as np
import pytest

import dualad as da
from dualad.check import GradcheckError, numeric_jacobian


def _function(backward, jvp=None, forward=lambda x: x * x * x):
    """A custom autograd.Function computing ``forward`` with the given rules."""

    class Custom(da.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return forward(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return backward(g, x)

        @staticmethod
        def jvp(ctx, t):
            return (jvp or backward)(t, ctx.x)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.x = inputs[0]

    return Custom


def test_numeric_jacobian_matches_closed_forms() -> None:
    a = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
    x = np.array([0.3, -0.2, 1.1])
    ja, jx = numeric_jacobian(lambda m, v: m @ v, [da.tensor(a), da.tensor(x)])
    assert jx.shape == (2, 3) and ja.shape == (2, 2, 3)
    np.testing.assert_allclose(jx, a, atol=1e-9)
    expected = np.zeros((2, 2, 3))
    expected[0, 0], expected[1, 1] = x, x  # d(a @ x)_i / d a_jk = delta_ij x_k
    np.testing.assert_allclose(ja, expected, atol=1e-9)
    (js,) = numeric_jacobian(lambda v: da.sin(v).sum(), da.tensor(x))
    assert js.shape == (3,)
    np.testing.assert_allclose(js, np.cos(x), atol=1e-9)


def test_numeric_jacobian_skips_non_floating_inputs() -> None:
    jac = numeric_jacobian(lambda x, n: x * n, [da.tensor([1.0, 2.0]), np.array([3, 4])])
    assert jac[1] is None
    np.testing.assert_allclose(jac[0], np.diag([3.0, 4.0]), atol=1e-8)


def test_gradcheck_passes_on_smooth_functions_in_both_modes() -> None:
    x = da.tensor([0.3, -1.2, 2.0], requires_grad=True)
    y = da.tensor([[1.5], [0.7]], requires_grad=True)
    report = da.gradcheck(lambda a, b: da.exp(da.sin(a) * b) / (1.0 + b * b), (x, y))
    assert report.passed and report.mode == "every coordinate"
    assert report.checked == 2 * 6 * (3 + 2)  # two modes x 6 outputs x 5 coordinates
    assert "passed" in str(report) and not report.kinks


def test_relu_at_zero_passes_and_reports_the_kink() -> None:
    x = da.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    report = da.gradcheck(da.relu, x)
    assert report.passed
    assert len(report.kinks) == 1
    kink = report.kinks[0]
    assert kink.input == 0 and kink.element == (1,)
    assert (kink.left, round(kink.right, 6)) == (0.0, 1.0)
    assert kink.analytic == {"reverse": 0.0, "forward": 0.0}
    assert "kink at input 0, element (1,)" in str(report)


def test_abs_and_maximum_ties_are_kinks_not_mismatches() -> None:
    assert len(da.gradcheck(da.abs, da.tensor([0.0, 1.5])).kinks) == 1
    a = da.tensor([1.0, 2.0], requires_grad=True)
    b = da.tensor([1.0, 3.0], requires_grad=True)
    report = da.gradcheck(da.maximum, (a, b))
    assert report.passed and {k.input for k in report.kinks} == {0, 1}
    assert all(k.analytic["reverse"] == 0.5 for k in report.kinks)


def test_a_value_outside_the_subdifferential_fails_at_a_kink() -> None:
    # |x| with derivative 2 at 0: not in [-1, 1]
    bad_abs = _function(lambda g, x: g * da.where(x == 0, 2.0, da.sign(x)),
                        forward=lambda x: da.abs(x))
    with pytest.raises(GradcheckError, match="not between them"):
        da.gradcheck(bad_abs.apply, da.tensor([0.0, 1.0], requires_grad=True))


def test_a_wrong_custom_function_fails_with_a_useful_message() -> None:
    wrong = _function(lambda g, x: g * 2 * x * x, jvp=lambda t, x: t * 3 * x * x)
    x = da.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        da.gradcheck(wrong.apply, x)
    msg = str(info.value)
    assert "FAILED" in msg and "reverse mode: input 0, element (0,)" in msg
    # d/dx x^3 at 1 is 3, not 2
    assert re.search(r"analytic 2\.0 vs numeric (3\.0000|2\.9999)", msg)
    assert "forward mode" not in msg  # its jvp is right
    report = info.value.report
    assert len(report.mismatches) == 2 and not report.passed and not report


def test_a_wrong_jvp_is_caught_in_forward_mode_only() -> None:
    wrong = _function(lambda g, x: g * 3 * x * x, jvp=lambda t, x: t * x * x)
    report = da.gradcheck(wrong.apply, da.tensor([1.0, 2.0], requires_grad=True),
                          raise_exception=False)
    assert {m.mode for m in report.mismatches} == {"forward"}
    assert da.gradcheck(wrong.apply, da.tensor([1.0, 2.0], requires_grad=True),
                        check_forward_ad=False).passed


def test_random_directions_for_large_inputs() -> None:
    x = da.tensor(np.linspace(-2.0, 2.0, 300), requires_grad=True)
    report = da.gradcheck(lambda a: da.sin(a) * a, x, directions=2)
    assert report.passed and report.mode == "random directions"
    wrong = _function(lambda g, x: g * 2.9 * x * x, jvp=lambda t, x: t * 3 * x * x)
    with pytest.raises(GradcheckError, match="reverse mode: input 0, direction 0"):
        da.gradcheck(wrong.apply, x)


def test_only_inputs_that_require_grad_are_checked() -> None:
    wrong_in_b = _function(lambda g, x: g, forward=lambda x: 2 * x)
    a = da.tensor([1.0, 2.0], requires_grad=True)
    b = da.tensor([0.5, 0.5])
    report = da.gradcheck(lambda p, q: p * wrong_in_b.apply(q), (a, b))
    assert report.passed  # b's wrong rule is not looked at: b does not require grad
    b.requires_grad_()
    assert not da.gradcheck(lambda p, q: p * wrong_in_b.apply(q), (a, b),
                            raise_exception=False).passed


def test_bad_arguments_are_explained() -> None:
    with pytest.raises(ValueError, match="no floating-point input"):
        da.gradcheck(lambda n: n * 2, da.tensor([1, 2]))
    with pytest.raises(TypeError, match="one tensor output"):
        da.gradcheck(lambda x: (x, x), da.tensor([1.0]))


def test_gradgradcheck_passes_on_smooth_functions() -> None:
    x = da.tensor([0.4, -1.3], requires_grad=True)
    y = da.tensor([2.0, 0.5], requires_grad=True)
    report = da.gradgradcheck(lambda a, b: da.tanh(a * b) + a ** 3 / b, (x, y))
    assert report.passed and report.checked > 0


def test_gradgradcheck_fails_when_a_backward_is_not_differentiable() -> None:
    # first order right, but the rule computes on detached data: second order is lost
    detached = _function(lambda g, x: g * 3 * x.detach() ** 2)
    x = da.tensor([1.0, 2.0], requires_grad=True)
    assert da.gradcheck(detached.apply, x).passed
    with pytest.raises(GradcheckError,
                       match="(?s)gradgradcheck FAILED.*derivative of the gradient"):
        da.gradgradcheck(detached.apply, x)


def test_gradgradcheck_handles_relu_kinks() -> None:
    x = da.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    report = da.gradgradcheck(lambda a: da.relu(a) * a, x)
    assert report.passed and report.kinks  # d2/dx2 relu(x) x jumps from 0 to 2 at 0


# ------------------------------------- a check that would compare nothing is an error

def _wrong_cube():
    return _function(lambda g, x: g * 2 * x * x, jvp=lambda t, x: t * 2 * x * x)


def test_zero_directions_is_an_error_not_a_pass() -> None:
    """fast_mode with directions=0 used to pass a wrong gradient after 0 comparisons."""
    x = da.tensor([1.0, 2.0], requires_grad=True)
    for check in (da.gradcheck, da.gradgradcheck):
        with pytest.raises(ValueError, match="directions must be a positive int"):
            check(_wrong_cube().apply, x, fast_mode=True, directions=0)
        with pytest.raises(ValueError, match="directions must be a positive int"):
            check(_wrong_cube().apply, x, directions=-1, raise_exception=False)
    # the same wrong rule fails with one direction
    with pytest.raises(GradcheckError):
        da.gradcheck(_wrong_cube().apply, x, fast_mode=True, directions=1)


@pytest.mark.parametrize("setting", [{"eps": 0.0}, {"eps": -1e-6}, {"eps": float("nan")},
                                     {"atol": float("inf")}, {"rtol": float("inf")},
                                     {"atol": -1.0}, {"rtol": float("nan")},
                                     {"directions": 2.5}, {"directions": True}])
def test_settings_that_check_nothing_or_accept_anything_are_errors(setting) -> None:
    x = da.tensor([1.0, 2.0], requires_grad=True)
    name = next(iter(setting))
    for check in (da.gradcheck, da.gradgradcheck):
        with pytest.raises(ValueError, match=f"{check.__name__}: {name} must be"):
            check(_wrong_cube().apply, x, **setting)


def test_inputs_or_outputs_without_elements_are_errors() -> None:
    empty = da.tensor(np.zeros(0), requires_grad=True)
    x = da.tensor([1.0, 2.0], requires_grad=True)
    for check in (da.gradcheck, da.gradgradcheck):
        with pytest.raises(ValueError, match="differentiated inputs have no elements"):
            check(lambda e: e * 2, empty)
        with pytest.raises(ValueError, match="output has no elements"):
            check(lambda a: _wrong_cube().apply(a)[:0], x)
        with pytest.raises(ValueError, match="no floating-point input"):
            check(lambda n: n * 2, da.tensor([1, 2]))
        with pytest.raises(ValueError, match="no floating-point input"):
            check(lambda: da.ones(2), ())
    # an empty input next to a non-empty one: the non-empty one is still checked
    with pytest.raises(GradcheckError):
        da.gradcheck(lambda a, e: _wrong_cube().apply(a) + e.sum(), (x, empty))
    report = da.gradgradcheck(lambda a, e: a ** 3 + e.sum(), (x, empty))
    assert report.passed and report.checked > 0


def test_gradgradcheck_refuses_zero_or_misshaped_grad_outputs() -> None:
    x = da.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="grad_outputs is all zeros"):
        da.gradgradcheck(lambda a: a ** 3, x, grad_outputs=np.zeros(2))
    with pytest.raises(ValueError, match=r"grad_outputs has shape \(3,\)"):
        da.gradgradcheck(lambda a: a ** 3, x, grad_outputs=np.ones(3))
    assert da.gradgradcheck(lambda a: a ** 3, x, grad_outputs=da.tensor([0.0, 1.0])).passed


def test_complex_inputs_and_outputs_are_checked_as_real_and_imaginary_parts() -> None:
    """A complex input that required grad was once left out (the check passed on the
    others) and a complex output compared on its real part only; now both parts of each are
    real coordinates, so a wrong derivative in either part fails."""
    from dualad.ops._define import withdraw

    z = da.tensor([1 + 2j, 0.5 - 1j], requires_grad=True)
    x = da.tensor([1.0, 2.0], requires_grad=True)
    for check in (da.gradcheck, da.gradgradcheck):
        assert check(lambda a, b: (da.abs(a) ** 2).sum() * b, (z, x))
        assert check(lambda a: a * (1 + 1j), x)  # a complex output of a real input
    # the unconjugated derivative of sin (dualad's rule before PyTorch's convention): caught
    # in the imaginary part of the output and in the real and imaginary parts of the input
    bad = da.register_op(da.Op(
        name="test_unconjugated_sin", forward=np.sin,
        vjp=(lambda g, out, a: g * da.cos(a),), jvp=(lambda t, out, a: t * da.cos(a),),
        sympy=lambda a: a, domain=da.Domain(ranges=(((-1.0, 1.0),),)), accepts_complex=True))
    try:
        report = da.gradcheck(lambda a: da.registry.apply(bad, a), z, raise_exception=False)
    finally:
        withdraw("test_unconjugated_sin")
    assert not report.passed
    assert {m.mode for m in report.mismatches} == {"reverse"}  # the jvp f'(z) v is right
    assert {m.note.split(";")[0] for m in report.mismatches} == {"real part", "imaginary part"}
    assert {m.input for m in report.mismatches} == {0}
    # a complex constant next to a real input that requires grad is fine
    assert da.gradcheck(lambda c, a: a * 2, (da.tensor([1j]), x))

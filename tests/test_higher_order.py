"""Higher order and mixed modes: nesting without perturbation confusion, any order of modes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from custom_functions import Cube as _Cube

import dualad as da
from dualad import func


def d_fwd(f):
    """Derivative of a scalar function by forward mode (a jvp with tangent 1)."""
    return lambda x: func.jvp(f, (x,), (1.0 if not isinstance(x, da.Tensor)
                                        else da.ones_like(x),))[1]


def d_rev(f):
    """Derivative of a scalar function by reverse mode."""
    return func.grad(f)


MODES = {"fwd": d_fwd, "rev": d_rev}


def value(x) -> float:
    return x.item() if isinstance(x, da.Tensor) else float(x)


# ------------------------------------------------------- perturbation confusion


@pytest.mark.parametrize("outer, inner", list(itertools.product(MODES, MODES)))
def test_no_perturbation_confusion(outer, inner):
    # d/dx [x * d/dy (x + y)] at x = 1 is 1; a confused implementation gives 2
    def g(x):
        return x * MODES[inner](lambda y: x + y)(1.0)

    assert value(MODES[outer](g)(1.0)) == 1.0


@pytest.mark.parametrize("outer, inner", list(itertools.product(MODES, MODES)))
def test_inner_derivative_depending_on_the_outer_variable(outer, inner):
    # d/dx [x * d/dy (x * y)] = d/dx x^2 = 2x
    def g(x):
        return x * MODES[inner](lambda y: x * y)(3.0)

    assert value(MODES[outer](g)(1.5)) == pytest.approx(3.0, rel=1e-14)


def test_nested_jvp_with_tensors():
    # the same with explicit Tensors and the jvp transform at both levels
    def inner(x):
        return func.jvp(lambda y: x + y, (da.tensor(1.0),), (da.tensor(1.0),))[1]

    _, t = func.jvp(lambda x: x * inner(x), (da.tensor(1.0),), (da.tensor(1.0),))
    assert t.item() == 1.0


# ------------------------------------------------------------ fourth derivative


def _sin_exp(x):
    return da.sin(x) * da.exp(x)


@pytest.mark.parametrize("first, second", list(itertools.product(MODES, MODES)))
def test_fourth_derivative_in_all_four_mode_combinations(first, second):
    # the two outer levels in each mode, over two reverse levels
    d4 = MODES[first](MODES[second](d_rev(d_rev(_sin_exp))))
    for x in (-0.7, 0.3, 1.9):
        assert value(d4(x)) == pytest.approx(-4 * math.exp(x) * math.sin(x), rel=1e-12)


def test_grad_of_grad_of_grad_of_grad():
    d4 = func.grad(func.grad(func.grad(func.grad(_sin_exp))))
    x = np.array(0.8)
    assert value(d4(x)) == pytest.approx(-4 * math.exp(0.8) * math.sin(0.8), rel=1e-12)


def test_forward_over_forward_third_derivative():
    d3 = d_fwd(d_fwd(d_fwd(_sin_exp)))
    x = 0.6
    expected = 2 * math.exp(x) * (math.cos(x) - math.sin(x))
    assert value(d3(x)) == pytest.approx(expected, rel=1e-12)


def test_all_fourth_order_mode_strings_agree():
    x = 0.45
    expected = -4 * math.exp(x) * math.sin(x)
    for combo in itertools.product(MODES, repeat=4):
        f = _sin_exp
        for mode in combo:
            f = MODES[mode](f)
        assert value(f(x)) == pytest.approx(expected, rel=1e-12), combo


# ------------------------------------------------------------------- Hessians


def _quartic_form(S_half):
    A = da.tensor(S_half)
    return lambda x: (x @ A @ x) ** 2 + da.sin(x).sum()


def test_hessians_by_every_pair_of_modes_match_closed_form():
    rng = np.random.default_rng(7)
    A = rng.normal(size=(4, 4))
    x = rng.normal(size=4)
    S = A + A.T
    q = x @ A @ x
    expected = 2 * np.outer(S @ x, S @ x) + 2 * q * S - np.diag(np.sin(x))
    f = _quartic_form(A)
    for outer, inner in itertools.product((func.jacfwd, func.jacrev), repeat=2):
        h = outer(inner(f))(x)
        np.testing.assert_allclose(h, expected, rtol=1e-11, atol=1e-11,
                                   err_msg=f"{outer.__name__}({inner.__name__})")
    np.testing.assert_allclose(func.hessian(f)(x), expected, rtol=1e-11, atol=1e-11)


def test_third_derivative_tensor_forward_and_reverse():
    x = np.array([0.2, -1.0, 2.5])
    f = lambda x: da.sin(x).sum() + (x[0] * x[1] * x[2])  # noqa: E731
    expected = np.zeros((3, 3, 3))
    for i in range(3):
        expected[i, i, i] = -math.cos(x[i])
    for p in itertools.permutations(range(3)):
        expected[p] += 1.0
    fff = func.jacfwd(func.jacfwd(func.jacfwd(f)))(x)
    rfr = func.jacrev(func.jacfwd(func.jacrev(f)))(x)
    np.testing.assert_allclose(fff, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rfr, expected, rtol=1e-12, atol=1e-12)


def test_hessian_of_several_arguments():
    f = lambda x, y: (x ** 2 * y).sum()  # noqa: E731
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    (hxx, hxy), (hyx, hyy) = func.hessian(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(hxx, np.diag(2 * y))
    np.testing.assert_allclose(hxy, np.diag(2 * x))
    np.testing.assert_allclose(hyx, np.diag(2 * x))
    np.testing.assert_allclose(hyy, np.zeros((2, 2)))


def test_hvp_nested_in_grad():
    # d/dx of v . H(x) v for f = sum(x^4): H v = 12 x^2 v, so the result is 24 x v^2
    v = np.array([1.0, -2.0])

    def g(x):
        return (func.hvp(lambda z: (z ** 4).sum(), x, da.tensor(v))[1] * da.tensor(v)).sum()

    x = np.array([0.5, 1.5])
    np.testing.assert_allclose(func.grad(g)(x), 24 * x * v ** 2, rtol=1e-12)


def test_second_derivatives_through_a_custom_function():
    # the saved input is the caller's tensor, so backward is differentiable again
    f = lambda x: _Cube.apply(x).sum()  # noqa: E731
    x = np.array([1.0, -2.0])
    expected = np.diag(6 * x)
    np.testing.assert_allclose(func.jacrev(func.jacrev(f))(x), expected)
    np.testing.assert_allclose(func.jacrev(func.grad(f))(x), expected)
    np.testing.assert_allclose(func.hessian(f)(x), expected)
    _, hv = func.hvp(f, x, np.array([1.0, 1.0]))
    np.testing.assert_allclose(hv, 6 * x)


class _CubeOnCtx(da.autograd.Function):
    """x**3 keeping its input as ``ctx.x`` (backward) and, via setup_context, in a tuple
    (jvp), not with save_for_backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return x ** 3

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.inputs = inputs

    @staticmethod
    def backward(ctx, g):
        return g * 3 * ctx.x ** 2

    @staticmethod
    def jvp(ctx, t):
        return t * 3 * ctx.inputs[0] ** 2


def test_second_derivatives_through_inputs_kept_on_ctx():
    # an input stored on ctx is the caller's tensor, as in PyTorch: every second derivative
    # was a silent 0 when jvp and backward saw the detached input forward was given
    f = lambda x: _CubeOnCtx.apply(x).sum()  # noqa: E731
    x = np.array([0.3, -1.2, 2.0])
    ones = np.ones(3)
    expected = np.diag(6 * x)
    np.testing.assert_allclose(func.hessian(f)(x), expected, rtol=1e-12)
    np.testing.assert_allclose(func.jacrev(func.jacrev(f))(x), expected, rtol=1e-12)
    np.testing.assert_allclose(func.jvp(func.grad(f), (x,), (ones,))[1], 6 * x, rtol=1e-12)
    grad_of_jvp = func.grad(lambda v: func.jvp(f, (v,), (ones,))[1])(x)
    np.testing.assert_allclose(grad_of_jvp, 6 * x, rtol=1e-12)
    np.testing.assert_allclose(func.jacfwd(f)(x), 3 * x ** 2, rtol=1e-12)

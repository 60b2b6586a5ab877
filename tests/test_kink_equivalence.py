"""Equivalent formulations agree at and away from their kinks, in both modes, to second order.

The minimum-norm subgradient is taken over the inputs being differentiated
(DESIGN section 5), so relu(x), maximum(x, 0), clamp(x, min=0) and
where(x > 0, x, 0) are the same function to dualad, including at x = 0.
The oracles are closed forms of the piecewise-smooth functions, with the
documented value at the kink.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dualad as da
from dualad import forward_ad as fwAD

RELU_FORMS = {
    "relu": da.relu,
    "maximum(x, 0)": lambda x: da.maximum(x, 0.0),
    "maximum(0, x)": lambda x: da.maximum(0.0, x),
    "clamp(x, min=0)": lambda x: da.clamp(x, min=0.0),
    "clamp(x, min=tensor 0)": lambda x: da.clamp(x, min=da.tensor(0.0)),
    "where(x > 0, x, 0)": lambda x: da.where(x > 0, x, 0.0),
}
ABS_FORMS = {
    "abs": da.abs,
    "maximum(x, -x)": lambda x: da.maximum(x, -x),
    "relu(x) + relu(-x)": lambda x: da.relu(x) + da.relu(-x),
}  # (where(x > 0, x, -x) is not among them: where follows the branch it selects, -x at 0)

# values with exact kinks (0.0 and -0.0) among ordinary ones
VALUES = st.lists(st.one_of(st.sampled_from([0.0, -0.0]),
                            st.floats(-3.0, 3.0, allow_subnormal=False)), min_size=1, max_size=6)


def reverse_grad(f, x: np.ndarray) -> np.ndarray:
    t = da.tensor(x, requires_grad=True)
    f(t).sum().backward()
    return t.grad.numpy()


def forward_grad(f, x: np.ndarray) -> np.ndarray:
    with fwAD.dual_level():
        out = f(fwAD.make_dual(da.tensor(x), da.tensor(np.ones_like(x))))
        return fwAD.unpack_dual(out).tangent.detach().numpy()


def second_reverse(f, x: np.ndarray) -> np.ndarray:
    """Diagonal second derivative of the elementwise ``g(x) = x * f(x)``, grad of grad."""
    t = da.tensor(x, requires_grad=True)
    (g,) = da.autograd.grad((t * f(t)).sum(), t, create_graph=True)
    (h,) = da.autograd.grad(g.sum(), t)
    return h.detach().numpy()


def second_forward_over_reverse(f, x: np.ndarray) -> np.ndarray:
    with fwAD.dual_level():
        t = fwAD.make_dual(da.tensor(x, requires_grad=True), da.tensor(np.ones_like(x)))
        (g,) = da.autograd.grad((t * f(t)).sum(), t, create_graph=True)
        return fwAD.unpack_dual(g).tangent.detach().numpy()


def second_forward_over_forward(f, x: np.ndarray) -> np.ndarray:
    with fwAD.dual_level():
        outer = fwAD.make_dual(da.tensor(x), da.tensor(np.ones_like(x)))
        with fwAD.dual_level():
            inner = fwAD.make_dual(outer, da.tensor(np.ones_like(x)))
            d1 = fwAD.unpack_dual(inner * f(inner)).tangent
        return fwAD.unpack_dual(d1).tangent.detach().numpy()


FIRST = {"reverse": reverse_grad, "forward": forward_grad}
SECOND = {"grad of grad": second_reverse, "forward over reverse": second_forward_over_reverse,
          "forward over forward": second_forward_over_forward}


def _agree(got, want, what):
    np.testing.assert_array_equal(np.asarray(got, dtype=float), want, err_msg=what)


@pytest.mark.parametrize("form", list(RELU_FORMS))
@given(values=VALUES)
def test_relu_formulations_first_order(form, values):
    x = np.array(values)
    want = (x > 0).astype(float)  # relu' with the convention relu'(0) = 0
    for mode, grad in FIRST.items():
        _agree(grad(RELU_FORMS[form], x), want, f"{form}, {mode} mode, x = {x}")


@pytest.mark.parametrize("form", list(RELU_FORMS))
@given(values=VALUES)
def test_relu_formulations_second_order(form, values):
    x = np.array(values)
    # g(x) = x relu(x): g'' = 2 relu'(x) + x relu''(x) = 2 [x > 0]
    want = 2.0 * (x > 0)
    for mode, second in SECOND.items():
        _agree(second(RELU_FORMS[form], x), want, f"{form}, {mode}, x = {x}")


@pytest.mark.parametrize("form", list(ABS_FORMS))
@given(values=VALUES)
def test_abs_formulations_agree(form, values):
    x = np.array(values)
    want = np.sign(x) + 0.0  # abs'(0) = 0, also at -0.0
    for mode, grad in FIRST.items():
        _agree(grad(ABS_FORMS[form], x), want, f"{form}, {mode} mode, x = {x}")
    for mode, second in SECOND.items():  # g = x |x|: g'' = 2 sign(x)
        _agree(second(ABS_FORMS[form], x), 2.0 * want, f"{form}, {mode}, x = {x}")


# ------------------------------------------- ties: who is being differentiated

@pytest.mark.parametrize("fn", [da.maximum, da.minimum], ids=["maximum", "minimum"])
@given(value=st.floats(-3.0, 3.0), t=st.floats(-2.0, 2.0), s=st.floats(-2.0, 2.0))
def test_tie_splits_between_differentiated_inputs(fn, value, t, s):
    v = np.array([value])
    x = da.tensor(v, requires_grad=True)
    y = da.tensor(v, requires_grad=True)
    fn(x, y).sum().backward()
    assert x.grad.item() == 0.5 and y.grad.item() == 0.5
    with fwAD.dual_level():
        out = fn(fwAD.make_dual(da.tensor(v), da.tensor([t])),
                 fwAD.make_dual(da.tensor(v), da.tensor([s])))
        tangent = fwAD.unpack_dual(out).tangent.detach().numpy()
        np.testing.assert_allclose(tangent, [0.5 * t + 0.5 * s], rtol=1e-15, atol=1e-300)


@pytest.mark.parametrize("fn", [da.maximum, da.minimum], ids=["maximum", "minimum"])
@pytest.mark.parametrize("constant", ["number", "tensor"])
@given(value=st.floats(-3.0, 3.0))
def test_tie_with_a_constant_gives_zero(fn, constant, value):
    """Only x is differentiated: its subdifferential at the tie is [0, 1], minimum norm 0."""
    v = np.array([value])
    c = value if constant == "number" else da.tensor(v)
    x = da.tensor(v, requires_grad=True)
    fn(x, c).sum().backward()
    fn(c, x).sum().backward()
    assert x.grad.item() == 0.0
    with fwAD.dual_level():
        out = fn(fwAD.make_dual(da.tensor(v), da.tensor([1.0])), c)
        assert fwAD.unpack_dual(out).tangent.item() == 0.0


def test_same_tensor_on_both_sides_of_a_tie():
    """maximum(x, x) is x: both sides differentiated, 1/2 + 1/2 = 1 in both modes."""
    x = da.tensor([0.0, 2.0], requires_grad=True)
    da.maximum(x, x).sum().backward()
    _agree(x.grad.numpy(), [1.0, 1.0], "reverse")
    _agree(forward_grad(lambda t: da.maximum(t, t), np.array([0.0, 2.0])), [1.0, 1.0], "forward")


def test_tie_in_forward_mode_knows_the_level():
    """A tangent of an outer level does not make y 'differentiated' at the inner one."""
    with fwAD.dual_level():
        y = fwAD.make_dual(da.tensor(1.0), da.tensor(1.0))
        with fwAD.dual_level():
            x = fwAD.make_dual(da.tensor(1.0), da.tensor(1.0))
            inner = fwAD.unpack_dual(da.maximum(x, y)).tangent
    assert inner.item() == 0.0


def test_clamp_at_both_bounds_gives_zero():
    x = np.array([-1.0, -0.5, 0.0, 1.0, 2.0])
    for mode, grad in FIRST.items():
        _agree(grad(lambda t: da.clamp(t, -1.0, 1.0), x), [0.0, 1.0, 1.0, 0.0, 0.0], mode)
        _agree(grad(lambda t: da.minimum(da.maximum(t, -1.0), 1.0), x),
               [0.0, 1.0, 1.0, 0.0, 0.0], mode)


def test_pow_at_zero_to_the_zero_is_constant_to_second_order():
    """x**0 is 1 for every x: first and second derivatives in x are 0 at x = 0, both modes."""
    x = da.tensor(0.0, requires_grad=True)
    y = da.tensor(0.0, requires_grad=True)
    (gx,) = da.autograd.grad(x ** y, x, create_graph=True)
    (hxx,) = da.autograd.grad(gx, x, allow_unused=True)
    assert gx.item() == 0.0 and (hxx is None or hxx.item() == 0.0)
    with fwAD.dual_level():
        d = fwAD.make_dual(da.tensor(0.0), da.tensor(1.0))
        assert fwAD.unpack_dual(d ** da.tensor(0.0)).tangent.item() == 0.0

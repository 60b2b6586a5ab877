"""Elementwise math ops: derivatives against closed forms, kinks, stability, aliases."""

import numpy as np
import pytest
from _ops_checks import check_gradients, forward_directional, reverse_grad

import dualad as da

X = np.array([-0.7, -0.2, 0.3, 0.8])
POS = np.array([0.2, 0.9, 1.7, 3.1])

# (function, inputs, closed-form derivative written with NumPy)
CLOSED_FORMS = [
    (da.tan, X, lambda x: 1 / np.cos(x) ** 2),
    (da.sinh, X, np.cosh),
    (da.cosh, X, np.sinh),
    (da.arcsin, X, lambda x: 1 / np.sqrt(1 - x * x)),
    (da.arccos, X, lambda x: -1 / np.sqrt(1 - x * x)),
    (da.arctan, X, lambda x: 1 / (1 + x * x)),
    (da.expm1, X, np.exp),
    (da.log1p, X, lambda x: 1 / (1 + x)),
    (da.log2, POS, lambda x: 1 / (x * np.log(2))),
    (da.log10, POS, lambda x: 1 / (x * np.log(10))),
    (da.square, X, lambda x: 2 * x),
    (da.reciprocal, POS, lambda x: -1 / x ** 2),
    (da.floor, X + 0.05, np.zeros_like),
    (da.ceil, X + 0.05, np.zeros_like),
    (da.round, X + 0.05, np.zeros_like),
    (da.softplus, X, lambda x: 1 / (1 + np.exp(-x))),
    (da.logsigmoid, X, lambda x: 1 / (1 + np.exp(x))),
    (da.arcsinh, X, lambda x: 1 / np.sqrt(x * x + 1)),
    (da.arccosh, POS + 1.0, lambda x: 1 / np.sqrt(x * x - 1)),
    (da.arctanh, X, lambda x: 1 / (1 - x * x)),
    (da.exp2, X, lambda x: np.exp2(x) * np.log(2)),
]


@pytest.mark.parametrize("fn,x,deriv", CLOSED_FORMS, ids=lambda v: getattr(v, "__name__", ""))
def test_derivative_matches_closed_form_in_both_modes(fn, x, deriv):
    np.testing.assert_allclose(reverse_grad(lambda t: fn(t).sum(), x), deriv(x), rtol=1e-12,
                               atol=1e-14)
    v = np.linspace(-1.0, 1.0, x.size)
    np.testing.assert_allclose(forward_directional(lambda t: fn(t).sum(), x, v),
                               np.sum(deriv(x) * v), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("fn", [da.tan, da.sinh, da.arcsin, da.arctan, da.log1p, da.softplus,
                                da.logsigmoid, da.expm1, da.reciprocal],
                         ids=lambda f: f.__name__)
def test_second_derivatives_against_finite_differences(fn):
    check_gradients(lambda t: (fn(t) * da.tensor([1.0, -2.0, 0.5])).sum(),
                    [0.35, 0.6, 0.15], second=True)


def test_reciprocal_of_integers_is_true_division():
    # NumPy's reciprocal of an integer array is integral (1/2 -> 0): it was 0 silently
    for x in (da.tensor([1, 2, 4, -8]), da.tensor(np.array([1, 2, 4, -8], dtype=np.int32))):
        y = da.reciprocal(x)
        assert y.dtype == np.float64
        np.testing.assert_array_equal(y.numpy(), [1.0, 0.5, 0.25, -0.125])
        np.testing.assert_array_equal(np.reciprocal(x).numpy(), [1.0, 0.5, 0.25, -0.125])
    assert da.reciprocal(da.tensor(np.float32([4.0]))).dtype == np.float32


def test_arctan2_partials_and_quadrants():
    y = np.array([1.0, -1.0, 2.0, -0.5])
    x = np.array([1.0, 2.0, -3.0, -0.5])
    np.testing.assert_allclose(da.arctan2(da.tensor(y), da.tensor(x)).numpy(), np.arctan2(y, x))
    ty, tx = da.tensor(y, requires_grad=True), da.tensor(x, requires_grad=True)
    da.atan2(ty, tx).sum().backward()
    r2 = x * x + y * y
    np.testing.assert_allclose(ty.grad.numpy(), x / r2)
    np.testing.assert_allclose(tx.grad.numpy(), -y / r2)
    check_gradients(lambda t: da.arctan2(t[:2], t[2:]).sum(), [0.3, -1.2, 0.7, 0.4], second=True)


@pytest.mark.parametrize("fn,point,expected", [
    (da.floor, 2.0, 0.0), (da.ceil, -1.0, 0.0), (da.round, 0.5, 0.0),
    (da.arcsin, 1.0, np.inf), (da.arccos, -1.0, -np.inf), (da.log1p, -1.0, np.inf),
    (da.log2, 0.0, np.inf), (da.log10, -1.0, np.nan), (da.log1p, -2.0, np.nan),
    (da.arcsin, 1.5, np.nan), (da.reciprocal, 0.0, -np.inf), (da.arctanh, 1.0, np.inf),
    (da.arctanh, -1.5, np.nan), (da.arccosh, 1.0, np.inf), (da.arccosh, 0.5, np.nan),
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_kinks_and_domain_edges_use_the_section_5_value_in_both_modes(fn, point, expected):
    with np.errstate(all="ignore"):
        rev = reverse_grad(lambda t: fn(t), np.array(point))
        fwd = forward_directional(lambda t: fn(t), np.array(point), np.array(1.0))
    for got in (float(rev), fwd):
        assert got == expected or (np.isnan(got) and np.isnan(expected)), (got, expected)
    assert da.registry.get(fn.__name__).kinks, "the kink must be declared in the registry"


def test_arctan2_at_the_origin_is_nan_for_both_partials():
    y, x = da.tensor(0.0, requires_grad=True), da.tensor(0.0, requires_grad=True)
    da.arctan2(y, x).backward()
    assert np.isnan(y.grad.item()) and np.isnan(x.grad.item())


def test_softplus_and_logsigmoid_are_stable_for_large_inputs():
    x = da.tensor([-1000.0, -40.0, 0.0, 40.0, 1000.0], requires_grad=True)
    sp_ = da.softplus(x)
    np.testing.assert_allclose(sp_.detach().numpy(),
                               [0.0, np.exp(-40.0), np.log(2.0), 40.0, 1000.0], rtol=1e-12, atol=0)
    ls = da.logsigmoid(x)
    np.testing.assert_allclose(ls.detach().numpy(),
                               [-1000.0, -40.0, -np.log(2.0), -np.exp(-40.0), 0.0], rtol=1e-12,
                               atol=0)
    (sp_ + ls).sum().backward()
    # d softplus = sigmoid(x), d logsigmoid = sigmoid(-x): they add up to exactly 1
    np.testing.assert_allclose(x.grad.numpy(), np.ones(5), rtol=1e-15)
    assert np.all(np.isfinite(x.grad.numpy()))


def test_round_with_decimals_and_half_to_even():
    np.testing.assert_array_equal(da.round(da.tensor([0.5, 1.5, 2.5, -0.5])).numpy(),
                                  [0.0, 2.0, 2.0, -0.0])
    np.testing.assert_allclose(da.round(da.tensor([1.234, 5.678]), decimals=2).numpy(),
                               [1.23, 5.68])


def test_numpy_style_aliases_are_the_same_functions():
    assert da.atan2 is da.arctan2 and da.asin is da.arcsin and da.acos is da.arccos
    assert da.absolute is da.abs and da.power is da.pow
    assert da.concatenate is not None and da.clip is not None


def test_methods_mirror_the_functions():
    t = da.tensor([0.2, 0.4])
    np.testing.assert_allclose(t.tan().numpy(), np.tan([0.2, 0.4]))
    np.testing.assert_allclose(t.log1p().numpy(), np.log1p([0.2, 0.4]))
    np.testing.assert_allclose(t.atan2(da.tensor(1.0)).numpy(), np.arctan2([0.2, 0.4], 1.0))
    np.testing.assert_allclose(t.square().numpy(), [0.04, 0.16])


def test_logaddexp_and_hypot_partials_and_stability():
    x, y = np.array([1000.0, -2.0, 0.5]), np.array([999.0, 3.0, 0.5])
    tx, ty = da.tensor(x, requires_grad=True), da.tensor(y, requires_grad=True)
    out = da.logaddexp(tx, ty)
    np.testing.assert_allclose(out.detach().numpy(), np.logaddexp(x, y), rtol=1e-15)
    out.sum().backward()
    np.testing.assert_allclose(tx.grad.numpy(), 1 / (1 + np.exp(y - x)), rtol=1e-14)
    np.testing.assert_allclose(ty.grad.numpy(), 1 / (1 + np.exp(x - y)), rtol=1e-14)
    check_gradients(lambda t: da.hypot(t[:2], t[2:]).sum(), [3.0, -1.0, 4.0, 0.5], second=True)
    a, b = da.tensor(0.0, requires_grad=True), da.tensor(0.0, requires_grad=True)
    da.hypot(a, b).backward()
    assert a.grad.item() == 0.0 and b.grad.item() == 0.0  # a norm at 0: zero subgradient


def test_pow_with_a_numpy_array_exponent_or_base_in_every_transform():
    # issue 18 item 10: the rule's 0**0 mask mixed a NumPy array with a Tensor comparison
    # (numpy.bitwise_and has no dualad op) under jvp, jacfwd and hessian
    a = np.array([2.0, 3.0, 0.5])
    x0 = np.array([1.5, 2.0, 0.7])
    v = np.array([1.0, -2.0, 0.5])
    _, tangent = da.func.jvp(lambda x: x ** a, (da.tensor(x0),), (da.tensor(v),))
    np.testing.assert_allclose(tangent.numpy(), a * x0 ** (a - 1) * v)
    jac = da.func.jacfwd(lambda x: x ** a)(da.tensor(x0))
    np.testing.assert_allclose(jac.numpy(), np.diag(a * x0 ** (a - 1)))
    hess = da.func.hessian(lambda x: (x ** a).sum())(da.tensor(x0))
    np.testing.assert_allclose(hess.numpy(), np.diag(a * (a - 1) * x0 ** (a - 2)))
    b = np.array([2.0, 0.5, 3.0])  # an array base with a differentiated exponent
    hess_y = da.func.hessian(lambda y: (b ** y).sum())(da.tensor(x0))
    np.testing.assert_allclose(hess_y.numpy(), np.diag(b ** x0 * np.log(b) ** 2))
    check_gradients(lambda x: (x ** da.tensor(a)).sum(), x0, second=True)


def test_sigmoid_is_accurate_in_the_negative_tail() -> None:
    # regression: 0.5 (1 + tanh(x/2)) cancelled to exactly 0 below x ~ -37
    x = np.array([-700.0, -200.0, -50.0, -37.5, -20.0, -1.0])
    expected = 1.0 / (1.0 + np.exp(-x))  # accurate here: exp(-x) is large, no cancellation
    np.testing.assert_allclose(da.sigmoid(da.tensor(x)).numpy(), expected, rtol=1e-14, atol=0)
    t = da.tensor(x, requires_grad=True)
    da.sigmoid(t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), expected * (1 - expected), rtol=1e-14, atol=0)

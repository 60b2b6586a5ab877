"""func.custom_jvp / func.custom_vjp in forward, reverse and second order.

Oracles: closed forms, and rules chosen to differ from the function's own derivative, so a
test sees whether the rule (and not the function's ops) was used.
"""

from __future__ import annotations

import numpy as np
import pytest

import dualad as da
from dualad import forward_ad as fwAD
from dualad import func


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@func.custom_jvp
def softplus(x):
    return da.log1p(da.exp(x))


@softplus.defjvp
def _softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return softplus(x), t * da.sigmoid(x)


@func.custom_jvp
def twice_sin(x):
    """sin, with the rule of 2 sin (the rule is used, not sin's own derivative)."""
    return da.sin(x)


@twice_sin.defjvp
def _twice_sin_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return twice_sin(x), 2.0 * da.cos(x) * t


X = np.array([-1.5, 0.2, 3.0])


# ------------------------------------------------------------------------- custom_jvp

@pytest.mark.parametrize("mode", ["jvp", "jacfwd", "grad", "jacrev", "vjp", "backward"])
def test_custom_jvp_rule_is_used_in_every_mode(mode):
    expected = 2.0 * np.cos(X)
    if mode == "jvp":
        got = func.jvp(lambda x: twice_sin(x), (X,), (np.ones(3),))[1]
    elif mode == "jacfwd":
        got = np.diag(func.jacfwd(twice_sin)(X))
    elif mode == "grad":
        got = func.grad(lambda x: twice_sin(x).sum())(X)
    elif mode == "jacrev":
        got = np.diag(func.jacrev(twice_sin)(X))
    elif mode == "vjp":
        got = func.vjp(twice_sin, X)[1](np.ones(3))[0]
    else:
        x = da.tensor(X, requires_grad=True)
        twice_sin(x).sum().backward()
        got = x.grad.numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-15)
    np.testing.assert_allclose(np.asarray(twice_sin(da.tensor(X))), np.sin(X))


def test_custom_jvp_is_stable_where_the_functions_own_derivative_is_nan():
    x = np.array([1000.0, -1000.0, 0.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = func.grad(lambda v: da.log1p(da.exp(v)).sum())(x)
    assert np.isnan(naive[0])  # exp overflows: inf / inf
    np.testing.assert_allclose(func.grad(lambda v: softplus(v).sum())(x), [1.0, 0.0, 0.5])
    np.testing.assert_allclose(func.jvp(softplus, (x,), (np.ones(3),))[1], [1.0, 0.0, 0.5])


@pytest.mark.parametrize("order", ["grad(grad)", "hessian", "jacfwd(jacfwd)",
                                   "jacrev(jacrev)", "jacrev(jacfwd)", "jvp(jvp)",
                                   "backward(create_graph)"])
def test_custom_jvp_second_order(order):
    s = _sigmoid(X)
    expected = s * (1 - s)  # softplus'' = sigmoid'
    f = lambda v: softplus(v).sum()  # noqa: E731
    if order == "grad(grad)":
        got = func.grad(lambda v: func.grad(f)(v).sum())(X)
    elif order == "hessian":
        got = np.diag(func.hessian(f)(X))
    elif order == "jacfwd(jacfwd)":
        got = np.diag(func.jacfwd(func.jacfwd(f))(X))
    elif order == "jacrev(jacrev)":
        got = np.diag(func.jacrev(func.jacrev(f))(X))
    elif order == "jacrev(jacfwd)":
        got = np.diag(func.jacrev(func.jacfwd(f))(X))
    elif order == "jvp(jvp)":
        def first(v):
            return func.jvp(softplus, (v,), (np.ones(3),))[1]
        got = func.jvp(first, (X,), (np.ones(3),))[1]
    else:
        x = da.tensor(X, requires_grad=True)
        (g,) = da.autograd.grad(f(x), x, create_graph=True)
        (gg,) = da.autograd.grad(g.sum(), x)
        got = gg.numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_custom_jvp_on_pytrees_and_nested_levels():
    @func.custom_jvp
    def scaled(p, k):
        return {"out": p["a"] * p["b"] * k}

    @scaled.defjvp
    def _scaled_jvp(primals, tangents):
        (p, k), (tp, _) = primals, tangents
        return scaled(p, k), {"out": (tp["a"] * p["b"] + p["a"] * tp["b"]) * k}

    p = {"a": np.array([1.0, 2.0]), "b": np.array([3.0, 4.0])}
    g = func.grad(lambda q: scaled(q, 3.0)["out"].sum())(p)
    np.testing.assert_allclose(g["a"], 3.0 * p["b"])
    np.testing.assert_allclose(g["b"], 3.0 * p["a"])
    J = func.jacfwd(lambda q: scaled(q, 3.0))(p)
    np.testing.assert_allclose(J["out"]["a"], np.diag(3.0 * p["b"]))
    # two nested dual levels at once, by hand
    with fwAD.dual_level():
        x = fwAD.make_dual(da.tensor(0.4), da.tensor(1.0))
        with fwAD.dual_level():
            y = fwAD.make_dual(x, da.tensor(1.0))
            inner = fwAD.unpack_dual(softplus(y)).tangent  # sigmoid(y)
        outer = fwAD.unpack_dual(inner).tangent  # sigmoid'(x)
    s = _sigmoid(0.4)
    assert outer.item() == pytest.approx(s * (1 - s), rel=1e-12)


def test_custom_jvp_errors():
    @func.custom_jvp
    def f(x):
        return x * 2

    with pytest.raises(TypeError, match="no rule yet.*defjvp"):
        f(1.0)

    @f.defjvp
    def _bad(primals, tangents):
        return f(primals[0]), da.ones(3)

    with pytest.raises(ValueError, match=r"tangent output 0 has shape \(3,\) but the output "
                                         r"has shape \(2,\)"):
        func.jvp(f, (np.ones(2),), (np.ones(2),))
    with pytest.raises(TypeError, match="expected a function"):
        func.custom_jvp(3)


# ------------------------------------------------------------------------- custom_vjp

@func.custom_vjp
def clip_gradient(x):
    return x


def _clip_fwd(x):
    return x, None


def _clip_bwd(res, g):
    return (da.clip(g, -1.0, 1.0),)


clip_gradient.defvjp(_clip_fwd, _clip_bwd)


@func.custom_vjp
def my_sin(x):
    return da.sin(x)


def _sin_fwd(x):
    return da.sin(x), da.cos(x)  # the residual is a function of x: it keeps its history


def _sin_bwd(cos_x, g):
    return (g * cos_x,)


my_sin.defvjp(_sin_fwd, _sin_bwd)


def test_custom_vjp_rule_is_used_in_reverse_mode():
    f = lambda x: (5.0 * clip_gradient(x)).sum()  # noqa: E731
    np.testing.assert_array_equal(func.grad(f)(X), np.ones(3))
    np.testing.assert_array_equal(np.diag(func.jacrev(lambda x: 5.0 * clip_gradient(x))(X)),
                                  np.ones(3))
    x = da.tensor(X, requires_grad=True)
    f(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(3))
    np.testing.assert_array_equal(np.asarray(clip_gradient(da.tensor(X))), X)


@pytest.mark.parametrize("order", ["grad(grad)", "jacrev(jacrev)", "backward(create_graph)"])
def test_custom_vjp_second_order_through_the_residuals(order):
    f = lambda v: my_sin(v).sum()  # noqa: E731
    if order == "grad(grad)":
        got = func.grad(lambda v: func.grad(f)(v).sum())(X)
    elif order == "jacrev(jacrev)":
        got = np.diag(func.jacrev(func.jacrev(f))(X))
    else:
        x = da.tensor(X, requires_grad=True)
        (g,) = da.autograd.grad(f(x), x, create_graph=True)
        (gg,) = da.autograd.grad(g.sum(), x)
        got = gg.numpy()
    np.testing.assert_allclose(got, -np.sin(X), rtol=1e-14)


def test_custom_vjp_in_forward_mode_raises_and_names_custom_jvp():
    with pytest.raises(TypeError, match="reverse-mode rule only.*custom_jvp"):
        func.jvp(my_sin, (X,), (np.ones(3),))
    with pytest.raises(TypeError, match="reverse-mode rule only"):
        func.hessian(lambda v: my_sin(v).sum())(X)


def test_custom_vjp_on_pytrees():
    @func.custom_vjp
    def affine(p, x):
        return {"y": p["w"] * x + p["b"]}

    def fwd(p, x):
        return affine(p, x), (p, x)

    def bwd(res, g):
        p, x = res
        return {"w": (g["y"] * x).sum(), "b": g["y"].sum()}, g["y"] * p["w"]

    affine.defvjp(fwd, bwd)
    p = {"w": 2.0, "b": 1.0}
    x = np.array([1.0, 2.0, 3.0])
    gp, gx = func.grad(lambda q, v: (affine(q, v)["y"] ** 2).sum(), argnums=(0, 1))(p, x)
    y = 2.0 * x + 1.0
    assert gp["w"] == pytest.approx((2 * y * x).sum()) and gp["b"] == pytest.approx(
        (2 * y).sum())
    np.testing.assert_allclose(gx, 2 * y * 2.0)


def test_custom_vjp_errors():
    @func.custom_vjp
    def f(x, y):
        return x * y

    with pytest.raises(TypeError, match=r"no rule yet.*defvjp"):
        f(1.0, 2.0)
    f.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: (g * res[1],))
    with pytest.raises(TypeError, match=r"bwd must return a tuple of 2 cotangent\(s\), one per "
                                        r"argument, got tuple of 1"):
        func.grad(lambda a: f(a, 2.0))(1.0)
    f.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: (g * res[1], None))
    assert func.grad(lambda a: f(a, 2.0))(1.0) == 2.0


def test_custom_jvp_in_hvp_and_linearize():
    s = _sigmoid(X)
    _, hv = func.hvp(lambda v: softplus(v).sum(), X, np.ones(3))
    np.testing.assert_allclose(hv, s * (1 - s), rtol=1e-12)
    out, f_jvp = func.linearize(twice_sin, X)
    np.testing.assert_allclose(f_jvp(np.ones(3)), 2.0 * np.cos(X), rtol=1e-15)
    np.testing.assert_allclose(out, np.sin(X))


def test_non_array_arguments_of_a_custom_rule_are_constants():
    @func.custom_jvp
    def apply(fn, x):
        return fn(x)

    @apply.defjvp
    def _apply_jvp(primals, tangents):
        (fn, x), (t_fn, t) = primals, tangents
        assert t_fn is None  # a function has no tangent
        return apply(fn, x), 3.0 * t

    assert func.grad(lambda v: apply(da.sin, v))(0.5) == 3.0
    assert func.jvp(lambda v: apply(da.sin, v), (0.5,), (1.0,))[1] == 3.0

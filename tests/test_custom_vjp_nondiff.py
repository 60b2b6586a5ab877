"""``custom_vjp(f, nondiff_argnums=...)`` with JAX's semantics: the static arguments go to
``fwd`` in their places and to ``bwd`` first (in the order of ``nondiff_argnums``), and
``bwd`` returns cotangents for the other arguments only.

Oracles: closed forms of a rule that deliberately differs from the function's own
derivative (so the results show the rule ran, with the static values it was given).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

import dualad as da
from dualad import func

X = np.array([0.3, -1.2, 2.0])
CALLS: list = []


@partial(func.custom_vjp, nondiff_argnums=(2, 0))
def scaled(fn, x, options):
    return fn(x) * options["scale"]


def _scaled_fwd(fn, x, options):
    CALLS.append(("fwd", fn, options["scale"]))
    return scaled(fn, x, options), x


def _scaled_bwd(options, fn, x, g):  # the static arguments first: 2, then 0
    CALLS.append(("bwd", fn, options["scale"]))
    return (g * 10.0 * options["scale"] * da.cos(x),)   # 10x the true derivative for sin


scaled.defvjp(_scaled_fwd, _scaled_bwd)
OPTIONS = {"scale": 2.0}


def loss(x):
    return scaled(da.sin, x, OPTIONS).sum()


def expected_grad(x):
    return 20.0 * np.cos(x)


def test_static_arguments_reach_fwd_and_bwd_in_jax_order() -> None:
    CALLS.clear()
    np.testing.assert_allclose(func.grad(loss)(X), expected_grad(X), rtol=1e-14)
    assert CALLS == [("fwd", da.sin, 2.0), ("bwd", da.sin, 2.0)]
    # the value is the function's own, and without a derivative f runs plainly
    np.testing.assert_allclose(scaled(da.sin, X, OPTIONS), 2.0 * np.sin(X))


@pytest.mark.parametrize("transform", ["backward", "autograd.grad", "grad", "value_and_grad",
                                       "vjp", "jacrev", "vmap(grad)", "remat"])
def test_every_reverse_transform(transform) -> None:
    if transform == "backward":
        x = da.tensor(X, requires_grad=True)
        loss(x).backward()
        got = x.grad.numpy()
    elif transform == "autograd.grad":
        x = da.tensor(X, requires_grad=True)
        got = da.autograd.grad(loss(x), x)[0].numpy()
    elif transform == "grad":
        got = func.grad(loss)(X)
    elif transform == "value_and_grad":
        value, got = func.value_and_grad(loss)(X)
        assert np.isclose(value, 2.0 * np.sin(X).sum())
    elif transform == "vjp":
        _, pull = func.vjp(lambda x: scaled(da.sin, x, OPTIONS), X)
        (got,) = pull(np.ones(3))
    elif transform == "jacrev":
        jac = func.jacrev(lambda x: scaled(da.sin, x, OPTIONS))(X)
        np.testing.assert_allclose(jac, np.diag(expected_grad(X)), rtol=1e-14)
        got = np.diag(jac)
    elif transform == "vmap(grad)":
        got = func.vmap(func.grad(lambda x: scaled(da.sin, x, OPTIONS)))(X)
    else:
        got = func.grad(lambda x: func.remat(loss)(x))(X)
    np.testing.assert_allclose(got, expected_grad(X), rtol=1e-14)


@pytest.mark.parametrize("order", ["grad(grad)", "jacrev(jacrev)"])
def test_second_order_through_bwd(order) -> None:
    # bwd is g * 20 cos(x), written with dualad ops: its derivative is -20 sin(x)
    if order == "grad(grad)":
        got = func.grad(lambda v: func.grad(loss)(v).sum())(X)
    else:
        got = np.diag(func.jacrev(func.jacrev(loss))(X))
    np.testing.assert_allclose(got, -20.0 * np.sin(X), rtol=1e-14)


def test_several_differentiated_arguments_and_a_static_number() -> None:
    @partial(func.custom_vjp, nondiff_argnums=(1,))
    def power(x, n, y):
        return x ** n * y

    power.defvjp(lambda x, n, y: (power(x, n, y), (x, y)),
                 lambda n, res, g: (g * n * res[0] ** (n - 1) * res[1], g * res[0] ** n))
    gx, gy = func.grad(lambda x, y: power(x, 3, y).sum(), argnums=(0, 1))(X, 2 * X)
    np.testing.assert_allclose(gx, 3 * X ** 2 * 2 * X, rtol=1e-14)
    np.testing.assert_allclose(gy, X ** 3, rtol=1e-14)


def test_errors() -> None:
    with pytest.raises(TypeError, match="nondiff_argnums must be a tuple of ints"):
        func.custom_vjp(lambda x: x, nondiff_argnums=("a",))
    with pytest.raises(ValueError, match="repeats an index"):
        func.custom_vjp(lambda x, y: x, nondiff_argnums=(0, 0))

    @partial(func.custom_vjp, nondiff_argnums=(1,))
    def f(x, c):
        return x * c

    f.defvjp(lambda x, c: (f(x, c), None), lambda c, res, g: (g * c, g))
    with pytest.raises(TypeError, match=r"bwd must return a tuple of 1 cotangent\(s\), one per "
                                        r"argument not in nondiff_argnums, got tuple of 2"):
        func.grad(lambda x: f(x, 2.0))(1.0)
    f.defvjp(lambda x, c: (f(x, c), None), lambda c, res, g: (g * c,))
    assert func.grad(lambda x: f(x, 2.0))(1.0) == 2.0
    # a differentiated Tensor in a static position would lose its derivative: refused
    with pytest.raises(TypeError, match="argument 1 is in nondiff_argnums but holds a Tensor "
                                        "being differentiated"):
        func.grad(lambda c: f(1.5, c))(2.0)
    with pytest.raises(ValueError, match=r"nondiff_argnums=\(1,\) but it was called with 1 "
                                         r"argument"):
        f(da.tensor(1.0, requires_grad=True))
    with pytest.raises(TypeError, match="reverse-mode rule only"):  # as without the keyword
        func.jvp(lambda x: f(x, 2.0), (1.0,), (1.0,))

"""``dualad.nondiff.strong_zero()`` in every transform, against closed forms.

Under strong zero a zero cotangent or tangent annihilates an infinite or nan
partial; everything else must be the ordinary derivative. ``jacrev`` pulls
back basis cotangents carried as tangents of a zero primal, so a mask taken
from the primal alone zeroed every Jacobian row (issue 18, item 2).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import dualad as da
from dualad import forward_ad as fwAD
from dualad import func, nondiff

X = np.array([0.5, 1.0, -0.7])
A = np.array([[0.3, -1.2, 0.5], [0.8, 0.1, -0.4]])


def _lse(x):
    return da.log(da.exp(x).sum())


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def _np(t) -> np.ndarray:
    return np.asarray(t.detach() if isinstance(t, da.Tensor) else t, dtype=float)


@pytest.mark.parametrize("jac", [func.jacrev, func.jacfwd], ids=["jacrev", "jacfwd"])
@pytest.mark.parametrize("chunk_size", [None, 2])
def test_jacobians_of_nonlinear_functions(jac, chunk_size) -> None:
    with nondiff.strong_zero():
        sin_jac = jac(da.sin, chunk_size=chunk_size)(da.tensor(X))
        mlp_jac = jac(lambda x: da.tanh(da.tensor(A) @ x) + x[:2] ** 3,
                      chunk_size=chunk_size)(X)
    np.testing.assert_allclose(_np(sin_jac), np.diag(np.cos(X)), rtol=1e-13)
    inner = np.tanh(A @ X)
    expected = (1 - inner ** 2)[:, None] * A + np.eye(2, 3) * 3 * X[:2, None] ** 2
    np.testing.assert_allclose(_np(mlp_jac), expected, rtol=1e-13)


def test_the_issue_reproducer() -> None:
    with da.nondiff.strong_zero():
        j = func.jacrev(da.sin)(da.tensor([.5, 1.]))
    np.testing.assert_allclose(_np(j), np.diag(np.cos([.5, 1.])), rtol=1e-13)


@pytest.mark.parametrize("how", ["hessian", "jacrev(jacrev)", "jacfwd(jacrev)",
                                 "jacrev(grad)"])
def test_hessians(how) -> None:
    transforms = {
        "hessian": func.hessian,
        "jacrev(jacrev)": lambda f: func.jacrev(func.jacrev(f)),
        "jacfwd(jacrev)": lambda f: func.jacfwd(func.jacrev(f)),
        "jacrev(grad)": lambda f: func.jacrev(func.grad(f)),
    }
    with nondiff.strong_zero():
        h_sin = transforms[how](lambda x: da.sin(x).sum())(X)
        h_lse = transforms[how](_lse)(X)
    np.testing.assert_allclose(_np(h_sin), np.diag(-np.sin(X)), rtol=1e-13)
    p = _softmax(X)
    np.testing.assert_allclose(_np(h_lse), np.diag(p) - np.outer(p, p), rtol=1e-12,
                               atol=1e-15)


def test_grad_vjp_jvp_hvp_and_backward() -> None:
    v = np.array([1.0, -2.0, 0.5])
    with nondiff.strong_zero():
        g = func.grad(lambda x: da.sin(x).sum())(X)
        (pulled,) = func.vjp(da.sin, X)[1](v)
        _, pushed = func.jvp(da.sin, (X,), (v,))
        _, hv = func.hvp(_lse, (X,), (v,))
        x = da.tensor(X, requires_grad=True)
        (da.sin(x) * x).sum().backward()
    np.testing.assert_allclose(g, np.cos(X), rtol=1e-13)
    np.testing.assert_allclose(pulled, v * np.cos(X), rtol=1e-13)
    np.testing.assert_allclose(pushed, v * np.cos(X), rtol=1e-13)
    p = _softmax(X)
    np.testing.assert_allclose(hv[0], (np.diag(p) - np.outer(p, p)) @ v, rtol=1e-12)
    np.testing.assert_allclose(_np(x.grad), np.cos(X) * X + np.sin(X), rtol=1e-13)


# ------------------------------------------ the documented job, in every transform

def _trap(x):
    return da.where(x > 0, da.log(x), 0.0)


AT = np.array([0.0, 2.0])
JAC = np.diag([0.0, 0.5])
HESS = np.diag([0.0, -0.25])


def test_the_trap_is_nan_without_strong_zero() -> None:
    """The cases below would show nan (so they test something) without strong zero."""
    with np.errstate(invalid="ignore"):
        assert math.isnan(func.jacrev(_trap)(AT)[0, 0])
        assert math.isnan(func.hessian(lambda x: _trap(x).sum())(AT)[0, 0])
        assert math.isnan(func.grad(lambda x: _trap(x).sum())(AT)[0])


def test_the_trap_in_every_transform() -> None:
    ones = np.ones(2)
    with nondiff.strong_zero():
        results = {
            "grad": (func.grad(lambda x: _trap(x).sum())(AT), np.diag(JAC)),
            "vjp": (func.vjp(_trap, AT)[1](ones)[0], np.diag(JAC)),
            "jvp": (func.jvp(_trap, (AT,), (ones,))[1], np.diag(JAC)),
            "jacrev": (func.jacrev(_trap)(AT), JAC),
            "jacrev chunked": (func.jacrev(_trap, chunk_size=1)(AT), JAC),
            "jacfwd": (func.jacfwd(_trap)(AT), JAC),
            "hessian": (func.hessian(lambda x: _trap(x).sum())(AT), HESS),
            "jacrev(jacrev)": (func.jacrev(func.jacrev(lambda x: _trap(x).sum()))(AT), HESS),
            "hvp": (func.hvp(lambda x: _trap(x).sum(), AT, ones)[1], HESS @ ones),
        }
        x = da.tensor(AT, requires_grad=True)
        _trap(x).sum().backward()
        results["backward"] = (x.grad, np.diag(JAC))
        x = da.tensor(AT, requires_grad=True)
        (g,) = da.autograd.grad(_trap(x).sum(), x, create_graph=True)
        (h,) = da.autograd.grad(g.sum(), x)
        results["grad of grad"] = (h, np.diag(HESS))
        with fwAD.dual_level():
            t = fwAD.unpack_dual(_trap(fwAD.make_dual(da.tensor(AT), da.ones(2)))).tangent
        results["forward_ad"] = (t, np.diag(JAC))
    for name, (got, expected) in results.items():
        np.testing.assert_array_equal(_np(got), expected, err_msg=name)


def test_strong_mul_is_zero_for_a_zero_factor_either_side() -> None:
    from dualad.ops.elementwise import strong_mul

    with np.errstate(invalid="ignore"):
        got = strong_mul(da.tensor([0.0, np.inf, 2.0, np.nan]), da.tensor([np.inf, 0.0, 3.0, 0.0]))
    assert got.tolist() == [0.0, 0.0, 6.0, 0.0]

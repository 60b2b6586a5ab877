"""Jacobians of holomorphic functions: ``jacfwd`` / ``jacrev`` / ``hessian`` with JAX's
``holomorphic=True`` give the complex derivative ``df/dz`` (not its conjugate).

Oracles: closed forms (d z**3/dz = 3 z**2, d exp(z)/dz = exp(z), d (A z)/dz = A),
central differences along the real axis (for a holomorphic f,
(f(z + h e_j) - f(z - h e_j)) / 2h -> df/dz_j), and the other mode.
"""

from __future__ import annotations

import numpy as np
import pytest

import dualad as da
from dualad import func

Z = np.array([1.1 + 1.2j, -0.4 + 0.9j, 0.7 - 1.3j])
A = np.array([[1.0 + 2.0j, -0.5j, 0.3], [2.0 - 1.0j, 0.0, 1.5 + 0.5j]])
H = 1e-6


def fd_jacobian(f, z: np.ndarray) -> np.ndarray:
    """``df/dz`` of a holomorphic ``f`` by central differences along each real axis."""
    cols = []
    for j in np.ndindex(z.shape):
        e = np.zeros(z.shape, complex)
        e[j] = H
        cols.append((np.asarray(f(z + e)) - np.asarray(f(z - e))) / (2 * H))
    out_shape = np.shape(f(z))
    return np.stack(cols, axis=-1).reshape(out_shape + z.shape)


MODES = (func.jacfwd, func.jacrev)


@pytest.mark.parametrize("jac", MODES, ids=["jacfwd", "jacrev"])
def test_closed_forms(jac) -> None:
    np.testing.assert_allclose(jac(lambda z: z ** 3, holomorphic=True)(Z),
                               np.diag(3 * Z ** 2), rtol=1e-12)
    np.testing.assert_allclose(jac(da.exp, holomorphic=True)(Z), np.diag(np.exp(Z)),
                               rtol=1e-12)
    np.testing.assert_allclose(jac(lambda z: da.tensor(A) @ z, holomorphic=True)(Z), A,
                               rtol=1e-12)
    # a scalar: d/dz (z**2 * (1 + 2j)) = 2 z (1 + 2j), not its conjugate
    j = jac(lambda z: z ** 2 * (1 + 2j), holomorphic=True)(0.5 - 1.5j)
    assert np.isclose(j, 2 * (0.5 - 1.5j) * (1 + 2j), rtol=1e-12)


def _mixed(z):
    return da.sin(da.tensor(A) @ z) * da.exp(z[0]) + (z[1] * z[2]) ** 2 / (1 + z[0])


def _mixed_np(z):
    return np.sin(A @ z) * np.exp(z[0]) + (z[1] * z[2]) ** 2 / (1 + z[0])


def test_both_modes_agree_with_differences_along_the_real_axis() -> None:
    expected = fd_jacobian(_mixed_np, Z)
    fwd = func.jacfwd(_mixed, holomorphic=True)(Z)
    rev = func.jacrev(_mixed, holomorphic=True)(Z)
    np.testing.assert_allclose(fwd, expected, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(rev, fwd, rtol=1e-12, atol=1e-14)
    # chunked pulls and pushes, and Tensor arguments (a Tensor comes back)
    rev1 = func.jacrev(_mixed, holomorphic=True, chunk_size=1)(da.tensor(Z))
    fwd1 = func.jacfwd(_mixed, holomorphic=True, chunk_size=2)(da.tensor(Z))
    np.testing.assert_allclose(rev1.numpy(), fwd, rtol=1e-12)
    np.testing.assert_allclose(fwd1.numpy(), fwd, rtol=1e-12)


@pytest.mark.parametrize("jac", MODES, ids=["jacfwd", "jacrev"])
def test_argnums_and_pytree_outputs(jac) -> None:
    w = np.array([0.2 - 0.1j, 1.0 + 0.3j])

    def f(z, w):
        return {"p": z[:2] * w, "e": da.exp(w.sum()) * z[2]}

    out = jac(f, argnums=(0, 1), holomorphic=True)(Z, w)
    np.testing.assert_allclose(out["p"][0], np.hstack([np.diag(w), np.zeros((2, 1))]))
    np.testing.assert_allclose(out["p"][1], np.diag(Z[:2]))
    np.testing.assert_allclose(out["e"][0], [0, 0, np.exp(w.sum())])
    np.testing.assert_allclose(out["e"][1], np.exp(w.sum()) * Z[2] * np.ones(2))


def test_holomorphic_hessian_and_nesting() -> None:
    def f(z):
        return (z ** 3).sum() + da.exp(z[0] * z[1])

    e = np.exp(Z[0] * Z[1])
    expected = np.diag(6 * Z).astype(complex)
    expected[0, 0] += Z[1] ** 2 * e
    expected[1, 1] += Z[0] ** 2 * e
    expected[0, 1] = expected[1, 0] = e * (1 + Z[0] * Z[1])
    np.testing.assert_allclose(func.hessian(f, holomorphic=True)(Z), expected, rtol=1e-12)
    for outer in MODES:
        for inner in MODES:
            h = outer(inner(f, holomorphic=True), holomorphic=True)(Z)
            np.testing.assert_allclose(h, expected, rtol=1e-12)


def test_complex64() -> None:
    z = Z.astype(np.complex64)
    for jac in MODES:
        j = jac(lambda z: z ** 3, holomorphic=True)(z)
        assert j.dtype == np.complex64
        np.testing.assert_allclose(j, np.diag(3 * Z ** 2), rtol=1e-5)


@pytest.mark.parametrize("transform", [func.jacfwd, func.jacrev, func.hessian],
                         ids=["jacfwd", "jacrev", "hessian"])
def test_holomorphic_needs_complex_inputs_and_outputs(transform) -> None:
    name = "jacfwd" if transform is func.hessian else transform.__name__  # jacfwd(jacrev)
    with pytest.raises(TypeError, match=rf"{name}\(holomorphic=True\): expected all inputs to "
                                        "be complex but input 0 is real"):
        transform(lambda x: (x ** 2).sum(), holomorphic=True)(np.array([1.0, 2.0]))
    if transform is not func.hessian:
        with pytest.raises(TypeError, match=rf"{name}\(holomorphic=True\): expected all "
                                            "outputs to be complex but output 0 is real"):
            transform(lambda z: da.abs(z), holomorphic=True)(Z)
    # without the flag, complex values are refused and the message names the flag
    with pytest.raises(TypeError, match="complex.*pass holomorphic=True"):
        transform(lambda z: (z ** 2).sum())(Z)
    with pytest.raises(TypeError, match="holomorphic must be True or False"):
        transform(da.sin, holomorphic="yes")

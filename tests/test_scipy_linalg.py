"""dualad.scipy.linalg against SciPy's values, derivatives in both modes against finite
differences (da.gradcheck checks reverse and forward mode), second order, and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import dualad as da
from dualad import func
from dualad.scipy import linalg

sl = pytest.importorskip("scipy.linalg")

RNG = np.random.default_rng(21)
A = RNG.normal(size=(4, 4))
B = RNG.normal(size=(4, 2))
SPD = A @ A.T + 4.0 * np.eye(4)


def _req(x: np.ndarray) -> da.Tensor:
    return da.tensor(x, requires_grad=True)


# ------------------------------------------------------------------------- values
@pytest.mark.parametrize("assume_a", ["gen", "sym", "pos"])
@pytest.mark.parametrize("lower", [False, True])
def test_solve_matches_scipy(assume_a, lower):
    a = SPD + np.triu(A, 1) * 0.3  # unsymmetric: 'sym' and 'pos' read one triangle
    np.testing.assert_allclose(linalg.solve(a, B, lower=lower, assume_a=assume_a).numpy(),
                               sl.solve(a, B, lower=lower, assume_a=assume_a), rtol=1e-12)
    np.testing.assert_allclose(linalg.solve(a, B[:, 0], transposed=True).numpy(),
                               sl.solve(a, B[:, 0], transposed=True), rtol=1e-12)


@pytest.mark.parametrize("trans", [0, 1, "T"])
@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("unit", [False, True])
def test_solve_triangular_matches_scipy(trans, lower, unit):
    a = A + 3.0 * np.eye(4)
    np.testing.assert_allclose(
        linalg.solve_triangular(a, B, trans=trans, lower=lower, unit_diagonal=unit).numpy(),
        sl.solve_triangular(a, B, trans=trans, lower=lower, unit_diagonal=unit), rtol=1e-11)


def test_factorizations_match_scipy():
    np.testing.assert_allclose(linalg.cholesky(SPD).numpy(), sl.cholesky(SPD), rtol=1e-12)
    np.testing.assert_allclose(linalg.cholesky(SPD, lower=True).numpy(),
                               sl.cholesky(SPD, lower=True), rtol=1e-12)
    lu, piv = linalg.lu_factor(A)
    slu, spiv = sl.lu_factor(A)
    np.testing.assert_allclose(lu.numpy(), slu, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(piv, spiv)
    for trans in (0, 1):
        np.testing.assert_allclose(linalg.lu_solve((lu, piv), B, trans=trans).numpy(),
                                   sl.lu_solve((slu, spiv), B, trans=trans), rtol=1e-11)
    for lower in (False, True):
        np.testing.assert_allclose(
            linalg.cho_solve(linalg.cho_factor(SPD, lower=lower), B).numpy(),
            sl.cho_solve(sl.cho_factor(SPD, lower=lower), B), rtol=1e-12)
    np.testing.assert_allclose(linalg.inv(A).numpy(), sl.inv(A), rtol=1e-12)
    assert linalg.det(A).item() == pytest.approx(sl.det(A), rel=1e-12)


def test_lu_factor_with_a_zero_column_below_the_pivot():
    a = np.array([[0.0, 1.0, 2.0], [0.0, 3.0, 1.0], [0.0, 2.0, 5.0]])  # singular: LAPACK goes on
    lu, piv = linalg.lu_factor(a)
    slu, spiv = _scipy_lu_quiet(a)
    np.testing.assert_allclose(lu.numpy(), slu, atol=1e-14)
    np.testing.assert_array_equal(piv, spiv)


def _scipy_lu_quiet(a):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sl.lu_factor(a)


def test_decompositions_match_scipy():
    w, v = linalg.eigh(SPD + np.tril(A, -1), lower=False)
    sw, sv = sl.eigh(SPD + np.tril(A, -1), lower=False)
    np.testing.assert_allclose(w.numpy(), sw, rtol=1e-12)
    np.testing.assert_allclose(np.abs(v.numpy()), np.abs(sv), atol=1e-12)
    np.testing.assert_allclose(linalg.eigh(SPD, eigvals_only=True).numpy(),
                               sl.eigh(SPD, eigvals_only=True), rtol=1e-12)
    m = A @ A.T + np.eye(4)
    w, v = linalg.eigh(m, SPD)
    sw, sv = sl.eigh(m, SPD)
    np.testing.assert_allclose(w.numpy(), sw, rtol=1e-12)
    np.testing.assert_allclose(np.abs(v.numpy()), np.abs(sv), atol=1e-12)
    np.testing.assert_allclose(v.numpy().T @ SPD @ v.numpy(), np.eye(4), atol=1e-12)
    c = RNG.normal(size=(5, 3))
    u, s, vh = linalg.svd(c)
    np.testing.assert_allclose(s.numpy(), sl.svd(c, compute_uv=False), rtol=1e-12)
    assert u.shape == (5, 5) and vh.shape == (3, 3)
    assert linalg.svd(c, full_matrices=False)[0].shape == (5, 3)
    for mode in ("full", "economic"):
        q, r = linalg.qr(c, mode=mode)
        sq, sr = sl.qr(c, mode=mode)
        assert q.shape == sq.shape and r.shape == sr.shape
        np.testing.assert_allclose(np.abs(r.numpy()), np.abs(sr), atol=1e-12)
        np.testing.assert_allclose((q @ r).numpy(), c, atol=1e-12)
    (r,) = linalg.qr(c, mode="r")
    np.testing.assert_allclose(np.abs(r.numpy()), np.abs(sl.qr(c, mode="r")[0]), atol=1e-12)


@pytest.mark.parametrize("scale", [0.01, 1.0, 5.0])
def test_expm_matches_scipy(scale):
    ref = sl.expm(scale * A)
    err = np.abs(linalg.expm(scale * A).numpy() - ref).max() / np.abs(ref).max()
    assert err < 1e-13


def test_logm_and_sqrtm_match_scipy():
    m = SPD + A  # eigenvalues in the right half-plane, not symmetric
    np.testing.assert_allclose(linalg.logm(m).numpy(), np.real(sl.logm(m)), atol=1e-12)
    np.testing.assert_allclose(linalg.sqrtm(m).numpy(), np.real(sl.sqrtm(m)), atol=1e-12)
    r = linalg.sqrtm(m).numpy()
    np.testing.assert_allclose(r @ r, m, atol=1e-11)
    np.testing.assert_allclose(linalg.expm(linalg.logm(m)).numpy(), m, atol=1e-11)


def test_logm_leaves_numpys_global_generator_alone_and_maps_under_vmap():
    # SciPy's logm draws random vectors from np.random (its 1-norm estimator) for some
    # matrices, such as this one: the caller's generator moved, and vmap(logm) refused to
    # run, saying the function drew random numbers (test_vmap's every-op test found it)
    b = np.array([[1.0, 2.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    a = np.array([[0.0, -1.0, -1.0], [-1.0, -1.0, 1.0], [-1.0, -1.0, -1.0]])
    def moved(before: tuple) -> bool:
        now = np.random.get_state()
        return not (np.array_equal(before[1], now[1]) and before[2] == now[2])

    state = np.random.get_state()
    want = sl.logm(b).real
    assert moved(state)  # (SciPy's own logm draws)
    state = np.random.get_state()
    got = linalg.logm(b)
    assert not moved(state)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-12)
    stacked = func.vmap(linalg.logm)(np.stack([a, a, b]))
    np.testing.assert_array_equal(np.asarray(stacked)[2], np.asarray(got))


def test_logm_and_sqrtm_refuse_a_negative_eigenvalue():
    for f in (linalg.logm, linalg.sqrtm):
        with pytest.raises(ValueError, match="negative real axis"):
            f(np.diag([1.0, -2.0]))


def test_sylvester_lyapunov_block_diag_match_scipy():
    b = RNG.normal(size=(3, 3))
    q = RNG.normal(size=(4, 3))
    np.testing.assert_allclose(linalg.solve_sylvester(A, b, q).numpy(),
                               sl.solve_sylvester(A, b, q), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(linalg.solve_continuous_lyapunov(A, SPD).numpy(),
                               sl.solve_continuous_lyapunov(A, SPD), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(linalg.block_diag(A, [1.0, 2.0], 3.0, B).numpy(),
                                  sl.block_diag(A, [1.0, 2.0], 3.0, B))


# -------------------------------------------------------------------- derivatives
def _sym(x):
    return x + x.T


SMALL = RNG.normal(size=(3, 3))
SPD3 = SMALL @ SMALL.T + 3.0 * np.eye(3)
B3 = RNG.normal(size=(3, 2))

FIRST_ORDER = {
    "solve": (lambda a, b: linalg.solve(a, b), (SMALL + 2 * np.eye(3), B3)),
    "solve_pos": (lambda a, b: linalg.solve(a, b, assume_a="pos"), (SPD3, B3)),
    "solve_triangular": (lambda a, b: linalg.solve_triangular(a, b, trans=1, lower=True),
                         (SMALL + 3 * np.eye(3), B3)),
    "cholesky": (lambda a: linalg.cholesky(a), (SPD3,)),
    "cho_solve": (lambda a, b: linalg.cho_solve(linalg.cho_factor(a), b), (SPD3, B3)),
    "lu_solve": (lambda a, b: linalg.lu_solve(linalg.lu_factor(a), b), (SMALL, B3)),
    "lu_solve_T": (lambda a, b: linalg.lu_solve(linalg.lu_factor(a), b, trans=1), (SMALL, B3)),
    "lu_factor": (lambda a: linalg.lu_factor(a)[0], (SMALL,)),
    "inv": (lambda a: linalg.inv(a), (SMALL + 2 * np.eye(3),)),
    "det": (lambda a: linalg.det(a), (SMALL,)),
    "eigvalsh": (lambda a: linalg.eigh(a, eigvals_only=True), (SPD3,)),
    "eigh_generalized": (lambda a, b: linalg.eigh(a, b, eigvals_only=True), (SPD3 + SMALL, SPD3)),
    "svdvals": (lambda a: linalg.svd(a, compute_uv=False), (SMALL,)),
    "expm": (lambda a: linalg.expm(a), (SMALL,)),
    "logm": (lambda a: linalg.logm(a), (SPD3 + 0.5 * SMALL,)),
    "sqrtm": (lambda a: linalg.sqrtm(a), (SPD3 + 0.5 * SMALL,)),
    "sylvester": (lambda a, b, q: linalg.solve_sylvester(a, b, q),
                  (SMALL + 3 * np.eye(3), SPD3[:2, :2], B3)),
    "lyapunov": (lambda a, q: linalg.solve_continuous_lyapunov(a, q),
                 (SMALL - 3 * np.eye(3), SPD3)),
    "block_diag": (lambda a, b: linalg.block_diag(a, b), (SMALL, B3)),
}


@pytest.mark.parametrize("name", sorted(FIRST_ORDER))
def test_first_order_both_modes_against_finite_differences(name):
    f, args = FIRST_ORDER[name]
    assert da.gradcheck(f, tuple(_req(x) for x in args))


@pytest.mark.parametrize("name", ["expm", "sqrtm", "logm", "cho_solve", "lu_solve", "sylvester"])
def test_second_order(name):
    f, args = FIRST_ORDER[name]
    assert da.gradgradcheck(f, tuple(_req(x) for x in args))


def test_expm_hessian_forward_over_reverse_equals_reverse_over_reverse():
    def f(a):
        return da.sum(linalg.expm(a) ** 2)
    h_rr = func.jacrev(func.jacrev(f))(SMALL)
    h_fr = func.jacfwd(func.jacrev(f))(SMALL)
    np.testing.assert_allclose(np.asarray(h_fr), np.asarray(h_rr), rtol=1e-10, atol=1e-10)


def test_sqrtm_derivative_solves_the_sylvester_equation():
    # d sqrtm(A)[E] = X with S X + X S = E
    a = SPD3 + 0.5 * SMALL
    e = RNG.normal(size=(3, 3))
    _, t = func.jvp(linalg.sqrtm, (a,), (e,))
    s = sl.sqrtm(a).real
    np.testing.assert_allclose(np.asarray(t), sl.solve_sylvester(s, s, e), rtol=1e-9, atol=1e-12)


# -------------------------------------------------------------------------- torch
def test_against_torch():
    torch = pytest.importorskip("torch")
    a = SMALL.copy()
    ta = torch.tensor(a, requires_grad=True)
    torch.linalg.matrix_exp(ta).pow(2).sum().backward()
    x = _req(a)
    da.sum(linalg.expm(x) ** 2).backward()
    np.testing.assert_allclose(x.grad.numpy(), ta.grad.numpy(), rtol=1e-10)

    tri = SMALL + 3 * np.eye(3)
    ta = torch.tensor(tri, requires_grad=True)
    tb = torch.tensor(B3, requires_grad=True)
    torch.linalg.solve_triangular(ta, tb, upper=True).sum().backward()
    x, y = _req(tri), _req(B3)
    da.sum(linalg.solve_triangular(x, y)).backward()
    np.testing.assert_allclose(x.grad.numpy(), ta.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(y.grad.numpy(), tb.grad.numpy(), rtol=1e-10)

    ta = torch.tensor(SPD3, requires_grad=True)
    (torch.linalg.cholesky(ta, upper=True) ** 3).sum().backward()
    x = _req(SPD3)
    da.sum(linalg.cholesky(x) ** 3).backward()
    # torch symmetrizes its cholesky gradient; SciPy's cholesky reads the upper triangle,
    # so dualad's gradient is on that triangle: compare the symmetric parts
    g = x.grad.numpy()
    np.testing.assert_allclose(g + g.T, (ta.grad + ta.grad.T).numpy(), rtol=1e-10)

    ta = torch.tensor(SMALL, requires_grad=True)
    torch.linalg.inv(ta).sum().backward()
    x = _req(SMALL)
    da.sum(linalg.inv(x)).backward()
    np.testing.assert_allclose(x.grad.numpy(), ta.grad.numpy(), rtol=1e-10)


# ---------------------------------------------------------------------- bad input
def test_clear_errors():
    with pytest.raises(ValueError, match="assume_a='banded'"):
        linalg.solve(A, B, assume_a="banded")
    with pytest.raises(ValueError, match="square"):
        linalg.expm(np.ones((2, 3)))
    with pytest.raises(TypeError, match="pivoting"):
        linalg.qr(A, pivoting=True)
    with pytest.raises(TypeError, match="subset_by_index"):
        linalg.eigh(SPD, subset_by_index=[0, 1])
    with pytest.raises(ValueError, match="q has shape"):
        linalg.solve_sylvester(A, A, np.ones((3, 3)))
    with pytest.raises(np.linalg.LinAlgError, match="zero on the diagonal"):
        linalg.solve_triangular(np.zeros((2, 2)), np.ones(2))
    with pytest.raises(TypeError, match="complex"):
        linalg.inv(A + 1j)
    with pytest.raises(ValueError, match="infinite or nan"):
        linalg.expm(np.array([[np.inf, 0.0], [0.0, 1.0]]))  # was an OverflowError
    with pytest.raises(TypeError, match="the pair"):
        linalg.lu_solve(A, B)

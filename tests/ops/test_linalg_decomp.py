"""np.linalg's decompositions, norms and least squares (dualad/ops/linalg_decomp.py).

Oracles: NumPy's values, central differences (reverse mode, forward mode and second
order, through ``_ops_checks``), PyTorch's ``torch.linalg`` where installed. Losses on
eigenvectors and singular vectors are gauge invariant (their signs are arbitrary).
"""

from __future__ import annotations

import numpy as np
import pytest
from _ops_checks import check_gradients, numeric_grad, weights_like

import dualad as da
from dualad import forward_ad as fwAD
from dualad import func

RNG = np.random.default_rng(20)


def _matrix(*shape: int, seed: int = 0) -> np.ndarray:
    """A well-conditioned random matrix (or stack): singular values in [1, 3]."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=shape)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    k = s.shape[-1]
    return (u * np.linspace(3.0, 1.0, k)) @ vh


def _spd(n: int, *batch: int, seed: int = 0) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _symmetric(n: int, *batch: int, seed: int = 0) -> np.ndarray:
    """Symmetric, with eigenvalues 1, 2, ..., n (well separated)."""
    q = np.linalg.qr(np.random.default_rng(seed).normal(size=batch + (n, n)))[0]
    return (q * np.arange(1.0, n + 1)) @ np.swapaxes(q, -1, -2)


def _weighted(fn, shape: tuple, seed: int = 1):
    w = weights_like(shape, seed)
    return lambda x: (fn(x) * da.tensor(w)).sum()


# ------------------------------------------------------------------ values
TALL, SQUARE, WIDE = _matrix(5, 3), _matrix(3, 3, seed=1), _matrix(3, 5, seed=2)
STACK = _matrix(2, 4, 3, seed=3)


@pytest.mark.parametrize("a", [TALL, SQUARE, WIDE, STACK, _matrix(2, 3, 4, seed=4)],
                         ids=["tall", "square", "wide", "stack-tall", "stack-wide"])
def test_values_of_decompositions_match_numpy(a: np.ndarray) -> None:
    t = da.tensor(a)
    for full in (True, False):
        for got, want in zip(np.linalg.svd(t, full_matrices=full),
                             np.linalg.svd(a, full_matrices=full)):
            np.testing.assert_allclose(got.numpy(), want, atol=1e-12)
    np.testing.assert_allclose(np.linalg.svd(t, compute_uv=False).numpy(),
                               np.linalg.svd(a, compute_uv=False), atol=1e-12)
    np.testing.assert_allclose(np.linalg.svdvals(t).numpy(), np.linalg.svdvals(a), atol=1e-12)
    for mode in ("reduced", "complete"):
        for got, want in zip(np.linalg.qr(t, mode), np.linalg.qr(a, mode)):
            np.testing.assert_allclose(got.numpy(), want, atol=1e-12)
    np.testing.assert_allclose(np.linalg.qr(t, "r").numpy(), np.linalg.qr(a, "r"), atol=1e-12)
    np.testing.assert_allclose(np.linalg.pinv(t).numpy(), np.linalg.pinv(a), atol=1e-12)
    assert np.array_equal(np.linalg.matrix_rank(t).numpy(), np.linalg.matrix_rank(a))


@pytest.mark.parametrize("n", [1, 3, 4])
def test_values_of_square_functions_match_numpy(n: int) -> None:
    a = RNG.normal(size=(2, n, n))
    t = da.tensor(a)
    sign, logabs = np.linalg.slogdet(t)
    np.testing.assert_allclose(sign.numpy(), np.linalg.slogdet(a).sign)
    np.testing.assert_allclose(logabs.numpy(), np.linalg.slogdet(a).logabsdet, atol=1e-12)
    for uplo in ("L", "U"):
        w, v = np.linalg.eigh(t, uplo)
        np.testing.assert_allclose(w.numpy(), np.linalg.eigh(a, uplo)[0], atol=1e-12)
        np.testing.assert_allclose(v.numpy(), np.linalg.eigh(a, uplo)[1], atol=1e-12)
        np.testing.assert_allclose(np.linalg.eigvalsh(t, uplo).numpy(),
                                   np.linalg.eigvalsh(a, uplo), atol=1e-12)
    spd = _spd(n, 2)
    for upper in (False, True):
        np.testing.assert_allclose(np.linalg.cholesky(da.tensor(spd), upper=upper).numpy(),
                                   np.linalg.cholesky(spd, upper=upper), atol=1e-12)
    for k in (0, 1, 2, 3, 6, -1, -3):
        np.testing.assert_allclose(np.linalg.matrix_power(t, k).numpy(),
                                   np.linalg.matrix_power(a, k), rtol=1e-10, atol=1e-10)
    for p in (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
        np.testing.assert_allclose(np.linalg.cond(t, p).numpy(), np.linalg.cond(a, p),
                                   rtol=1e-10)


MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]
VECTOR_ORDS = [None, 0, 1, -1, 2, -2, 3, 0.5, -0.5, np.inf, -np.inf]


@pytest.mark.parametrize("ord_", MATRIX_ORDS, ids=str)
def test_matrix_norm_values_for_every_ord_axis_and_keepdims(ord_: object) -> None:
    a = RNG.normal(size=(2, 3, 4))
    t = da.tensor(a)
    np.testing.assert_allclose(np.linalg.norm(t[0], ord_).numpy(), np.linalg.norm(a[0], ord_))
    for axis in ((1, 2), (2, 1), (0, 2), (-1, 0)):
        for keep in (False, True):
            np.testing.assert_allclose(np.linalg.norm(t, ord_, axis, keep).numpy(),
                                       np.linalg.norm(a, ord_, axis, keep), atol=1e-12)
    np.testing.assert_allclose(
        np.linalg.matrix_norm(t, ord="fro" if ord_ is None else ord_).numpy(),
        np.linalg.matrix_norm(a, ord="fro" if ord_ is None else ord_), atol=1e-12)


@pytest.mark.parametrize("ord_", VECTOR_ORDS, ids=str)
def test_vector_norm_values_for_every_ord(ord_: object) -> None:
    a = RNG.normal(size=(3, 4))
    t = da.tensor(a)
    np.testing.assert_allclose(np.linalg.norm(t[0], ord_).numpy(), np.linalg.norm(a[0], ord_))
    for axis in (0, 1, -1):
        for keep in (False, True):
            np.testing.assert_allclose(np.linalg.norm(t, ord_, axis, keep).numpy(),
                                       np.linalg.norm(a, ord_, axis, keep), atol=1e-12)
    o = 2 if ord_ is None else ord_
    np.testing.assert_allclose(np.linalg.vector_norm(t, ord=o).numpy(),
                               np.linalg.vector_norm(a, ord=o))


def test_norm_without_ord_flattens_any_array() -> None:
    a = RNG.normal(size=(2, 3, 4))
    np.testing.assert_allclose(np.linalg.norm(da.tensor(a)).numpy(), np.linalg.norm(a))
    np.testing.assert_allclose(np.linalg.norm(da.tensor(a), keepdims=True).numpy(),
                               np.linalg.norm(a, keepdims=True))


@pytest.mark.parametrize("b_shape", [(6,), (6, 2)])
@pytest.mark.parametrize("a_shape", [(6, 3), (3, 3), (3, 6)])
def test_lstsq_matches_numpy(a_shape: tuple, b_shape: tuple) -> None:
    a = _matrix(*a_shape, seed=5)
    b = RNG.normal(size=(a_shape[0],) + b_shape[1:])
    got = np.linalg.lstsq(da.tensor(a), da.tensor(b))
    want = np.linalg.lstsq(a, b)
    np.testing.assert_allclose(got[0].numpy(), want[0], atol=1e-12)
    np.testing.assert_allclose(got[1].numpy(), want[1], atol=1e-10)
    assert got[1].shape == want[1].shape
    assert got[2] == want[2]
    np.testing.assert_allclose(got[3].numpy(), want[3], atol=1e-12)


def test_multi_dot_matches_numpy_with_vector_ends() -> None:
    arrs = [RNG.normal(size=4), RNG.normal(size=(4, 3)), RNG.normal(size=(3, 5)),
            RNG.normal(size=5)]
    for chain in (arrs, arrs[1:3], arrs[:3], arrs[1:]):
        got = np.linalg.multi_dot([da.tensor(x) for x in chain])
        np.testing.assert_allclose(got.numpy(), np.linalg.multi_dot(chain))


def test_dualad_linalg_namespace_exports_what_it_supports() -> None:
    for name in ("det", "inv", "solve", "norm", "slogdet", "pinv", "lstsq", "matrix_power",
                 "cholesky", "qr", "eigh", "eigvalsh", "svd", "svdvals", "cond", "multi_dot",
                 "matrix_rank", "matrix_norm", "vector_norm", "LinAlgError"):
        assert name in da.linalg.__all__ and hasattr(da.linalg, name)
    assert da.linalg.LinAlgError is np.linalg.LinAlgError


# ----------------------------------------------- gradients (reverse and forward)
@pytest.mark.parametrize("a", [TALL, SQUARE, WIDE, STACK], ids=["tall", "square", "wide",
                                                                 "stack"])
def test_pinv_gradients(a: np.ndarray) -> None:
    check_gradients(_weighted(da.linalg.pinv, a.shape[:-2] + a.shape[-1:] + a.shape[-2:-1]), a)


def test_slogdet_gradients_and_hessian() -> None:
    a = _matrix(3, 3, seed=6)
    check_gradients(lambda x: da.linalg.slogdet(x).logabsdet, a, second=True)
    check_gradients(lambda x: (da.linalg.slogdet(x)[1] * da.tensor([1.0, -2.0])).sum(),
                    _matrix(2, 3, 3, seed=7))


def test_slogdet_gradient_is_the_inverse_transpose() -> None:
    a = _matrix(4, 4, seed=8)
    t = da.tensor(a, requires_grad=True)
    np.linalg.slogdet(t).logabsdet.backward()
    np.testing.assert_allclose(t.grad.numpy(), np.linalg.inv(a).T, atol=1e-12)


@pytest.mark.parametrize("b_shape", [(6,), (6, 2)])
def test_lstsq_gradients_in_a_and_b(b_shape: tuple) -> None:
    a = _matrix(6, 3, seed=9)
    b = np.random.default_rng(10).normal(size=b_shape)
    wx = weights_like((3,) + b_shape[1:])

    def loss(x_a, x_b):
        x, res, _, sv = da.linalg.lstsq(x_a, x_b)
        return (x * da.tensor(wx)).sum() + res.sum() + (sv * da.tensor([1.0, 2.0, 3.0])).sum()

    check_gradients(lambda t: loss(t, da.tensor(b)), a)
    check_gradients(lambda t: loss(da.tensor(a), t), b)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, -1, -2])
def test_matrix_power_gradients(n: int) -> None:
    a = _matrix(3, 3, seed=11) / 2
    check_gradients(_weighted(lambda x: da.linalg.matrix_power(x, n), (3, 3)), a,
                    second=n in (3, -2))


def test_cholesky_gradients_read_the_lower_triangle() -> None:
    # central differences of NumPy's function on the full matrix (it reads one triangle)
    a = _spd(3, seed=12) + np.triu(np.ones((3, 3)), 1)  # an upper triangle never read
    check_gradients(_weighted(da.linalg.cholesky, (3, 3)), a, second=True)
    check_gradients(_weighted(lambda x: da.linalg.cholesky(x, upper=True), (3, 3)),
                    a.T.copy())
    check_gradients(_weighted(da.linalg.cholesky, (2, 3, 3)), _spd(3, 2, seed=13))


@pytest.mark.parametrize("shape", [(5, 3), (3, 3), (3, 5), (2, 4, 3), (2, 2, 4)])
def test_qr_gradients_in_reduced_mode(shape: tuple) -> None:
    a = _matrix(*shape, seed=14)
    k = min(shape[-2:])
    q_shape = shape[:-1] + (k,)
    r_shape = shape[:-2] + (k, shape[-1])
    wq, wr = weights_like(q_shape, 2), weights_like(r_shape, 3)
    check_gradients(lambda x: (da.linalg.qr(x).Q * da.tensor(wq)).sum()
                    + (da.linalg.qr(x).R * da.tensor(wr)).sum(), a, second=shape == (5, 3))
    check_gradients(_weighted(lambda x: da.linalg.qr(x, mode="r"), r_shape), a)


def test_qr_complete_mode_gradient_of_the_complement_projector() -> None:
    # the added columns are not unique; the projector onto their span is
    a = _matrix(5, 3, seed=15)
    w = weights_like((5, 5))

    def loss(x):
        q = da.linalg.qr(x, mode="complete").Q
        extra = q[:, 3:]
        return ((extra @ extra.T) * da.tensor(w)).sum() + (q[:, :3] * da.tensor(w[:, :3])).sum()

    check_gradients(loss, a, second=True)
    r = da.linalg.qr(da.tensor(a), mode="complete").R
    assert r.shape == (5, 3)


def _eigh_loss(uplo: str, w_vals: np.ndarray, w_vecs: np.ndarray):
    def loss(x):
        w, v = da.linalg.eigh(x, uplo)
        return (w * da.tensor(w_vals)).sum() + ((v * v) * da.tensor(w_vecs)).sum() + \
            ((v @ da.diag(da.tensor(w_vals[..., :3])) @ v.T) * da.tensor(w_vecs)).sum()

    return loss


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_gradients_read_one_triangle(uplo: str) -> None:
    a = _symmetric(3, seed=16) + (np.triu if uplo == "L" else np.tril)(np.ones((3, 3)), 1 if
                                                                          uplo == "L" else -1)
    check_gradients(_eigh_loss(uplo, weights_like((3,), 4), weights_like((3, 3), 5)), a,
                    second=True)
    check_gradients(_weighted(lambda x: da.linalg.eigvalsh(x, uplo), (3,)), a, second=True)


def test_eigh_gradients_on_a_stack() -> None:
    a = _symmetric(3, 2, seed=17)
    w = weights_like((2, 3, 3), 6)
    check_gradients(lambda x: (da.linalg.eigh(x).eigenvalues ** 2).sum()
                    + ((da.linalg.eigh(x).eigenvectors ** 2) * da.tensor(w)).sum(), a)


@pytest.mark.parametrize("shape", [(5, 3), (3, 3), (3, 5), (2, 4, 3)])
@pytest.mark.parametrize("full", [False, True])
def test_svd_gradients_of_gauge_invariant_losses(shape: tuple, full: bool) -> None:
    a = _matrix(*shape, seed=18)
    m, n = shape[-2:]
    k = min(m, n)
    c = weights_like((k,), 7)
    w = weights_like(shape, 8)
    wu, wv = weights_like(shape[:-2] + (m, m), 9), weights_like(shape[:-2] + (n, n), 10)

    def loss(x):
        u, s, vh = da.linalg.svd(x, full_matrices=full)
        terms = (s * da.tensor(c)).sum() + (((u[..., :k] * da.tensor(c)) @ vh[..., :k, :])
                                             * da.tensor(w)).sum()
        uk, vk = u[..., :k], vh[..., :k, :]
        terms = terms + ((uk * uk) * da.tensor(wu[..., :k])).sum()
        terms = terms + ((vk * vk) * da.tensor(wv[..., :k, :])).sum()
        # the columns a complete basis adds are not unique; the projector onto them is
        ux, vx = u[..., k:], vh[..., k:, :]
        terms = terms + ((ux @ da.swapaxes(ux, -1, -2)) * da.tensor(wu)).sum()
        return terms + ((da.swapaxes(vx, -1, -2) @ vx) * da.tensor(wv)).sum()

    check_gradients(loss, a, second=shape == (5, 3))
    check_gradients(_weighted(lambda x: da.linalg.svd(x, compute_uv=False), shape[:-2] + (k,)),
                    a, second=True)


@pytest.mark.parametrize("ord_", MATRIX_ORDS, ids=str)
def test_matrix_norm_gradients(ord_: object) -> None:
    a = _matrix(3, 4, seed=19) + 0.1  # no ties among sums or singular values
    check_gradients(lambda x: da.linalg.norm(x, ord_), a)
    check_gradients(lambda x: (np.linalg.norm(x, ord_, axis=(0, 2))
                               * da.tensor([1.0, 2.0, -1.0])).sum(), _matrix(2, 3, 4, seed=20))


@pytest.mark.parametrize("ord_", [o for o in VECTOR_ORDS if o != 0], ids=str)
def test_vector_norm_gradients(ord_: object) -> None:
    check_gradients(lambda x: da.linalg.norm(x, ord_),
                    np.array([0.5, -1.2, 2.0, 0.9]))


@pytest.mark.parametrize("p", [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf])
def test_cond_gradients(p: object) -> None:
    a = _matrix(3, 3, seed=21) + 0.05
    check_gradients(lambda x: da.linalg.cond(x, p), a, rtol=1e-4)


def test_multi_dot_gradients() -> None:
    b, c = RNG.normal(size=(4, 3)), RNG.normal(size=(3, 2))
    v = RNG.normal(size=4)
    check_gradients(lambda x: da.linalg.multi_dot([da.tensor(v), x, da.tensor(c)]).sum(), b)


# --------------------------------------------------- det, inv, solve: batched
def test_det_inv_solve_broadcast_over_leading_axes() -> None:
    a = _matrix(2, 3, 3, 3, seed=22)
    b_vec, b_mat = RNG.normal(size=(3,)), RNG.normal(size=(3, 3, 2))
    np.testing.assert_allclose(da.det(da.tensor(a)).numpy(), np.linalg.det(a))
    np.testing.assert_allclose(da.inv(da.tensor(a)).numpy(), np.linalg.inv(a))
    np.testing.assert_allclose(np.linalg.solve(da.tensor(a), da.tensor(b_mat)).numpy(),
                               np.linalg.solve(a, b_mat))
    np.testing.assert_allclose(np.linalg.solve(da.tensor(a[0, 0]), da.tensor(b_vec)).numpy(),
                               np.linalg.solve(a[0, 0], b_vec))
    check_gradients(_weighted(da.det, (2, 3)), a)
    check_gradients(_weighted(da.inv, a.shape), a)
    check_gradients(_weighted(lambda x: da.solve(x, da.tensor(b_mat)), (2, 3, 3, 2)), a)
    check_gradients(_weighted(lambda x: da.solve(da.tensor(a), x), (2, 3, 3, 2)), b_mat)


# -------------------------------------------------------- second order, transforms
def test_hessians_of_logdet_and_eigvalsh_sum() -> None:
    a = _spd(3, seed=23)
    h = func.hessian(lambda x: da.linalg.slogdet(x).logabsdet)(da.tensor(a)).numpy()
    inv = np.linalg.inv(a)
    # d^2 log det / dA_ij dA_kl = -inv[l, i] inv[j, k]
    np.testing.assert_allclose(h, -np.einsum("li,jk->ijkl", inv, inv), atol=1e-10)
    s = _symmetric(3, seed=24)
    h2 = func.hessian(lambda x: (da.linalg.eigvalsh(x) ** 2).sum())(da.tensor(s)).numpy()
    grad = func.grad(lambda x: (da.linalg.eigvalsh(x) ** 2).sum())
    numeric = np.stack([numeric_grad(lambda y, i=i: float(grad(da.tensor(y))[i].item()), s)
                        for i in np.ndindex(3, 3)]).reshape(3, 3, 3, 3)
    np.testing.assert_allclose(h2, numeric, atol=1e-5)


def test_jacfwd_and_jacrev_agree_on_decompositions() -> None:
    a = _matrix(4, 3, seed=25)

    def f(x):
        q, r = da.linalg.qr(x)
        return da.concatenate([da.linalg.svd(x, compute_uv=False), r.ravel(), da.ravel(
            da.linalg.pinv(x))])

    np.testing.assert_allclose(func.jacfwd(f)(da.tensor(a)).numpy(),
                               func.jacrev(f)(da.tensor(a)).numpy(), atol=1e-10)


def test_forward_over_forward_through_cholesky() -> None:
    a = _spd(2, seed=26)
    v = np.array([[1.0, 0.0], [0.5, 2.0]])

    def first(x):
        with fwAD.dual_level():
            out = da.linalg.cholesky(fwAD.make_dual(x, da.tensor(v)))
            return fwAD.unpack_dual(out).tangent.sum()

    eps = 1e-5
    numeric = (first(da.tensor(a + eps * v)).item() - first(da.tensor(a - eps * v)).item()) / (
        2 * eps)
    _, tangent = func.jvp(first, (da.tensor(a),), (da.tensor(v),))
    np.testing.assert_allclose(tangent.item(), numeric, rtol=1e-6)


# --------------------------------------------------------------- conventions
def test_repeated_eigenvalues_share_the_derivative_equally() -> None:
    # LAPACK's basis of the repeated eigenspace of diag(1, 1, 3) is e0, e1; the convention
    # does not depend on it: each of the two ordered eigenvalues gets half the projector
    t = da.tensor(np.diag([1.0, 1.0, 3.0]), requires_grad=True)
    da.linalg.eigvalsh(t)[0].backward()
    np.testing.assert_allclose(t.grad.numpy(), np.diag([0.5, 0.5, 0.0]), atol=1e-12)
    rotated = _symmetric(3, seed=40)
    w, q = np.linalg.eigh(rotated)
    a = (q * np.array([1.0, 1.0, 3.0])) @ q.T  # the same spectrum in another basis
    t = da.tensor(a, requires_grad=True)
    da.linalg.eigvalsh(t)[1].backward()
    projector = q[:, :2] @ q[:, :2].T
    np.testing.assert_allclose(np.tril(t.grad.numpy()),
                               np.tril(projector + projector.T, -1) / 2
                               + np.diag(np.diag(projector)) / 2, atol=1e-10)


def test_repeated_eigenvalues_exact_for_basis_free_quantities() -> None:
    # the projector onto the repeated eigenspace and smooth spectral functions are
    # differentiable there: both modes and the second derivative match differences
    a = np.diag([1.0, 1.0, 3.0]) + np.triu(np.ones((3, 3)), 1)  # (the upper triangle unread)
    w = weights_like((3, 3))

    def projector(x):
        v = da.linalg.eigh(x).eigenvectors[:, :2]
        return ((v @ v.T) * da.tensor(w)).sum()

    check_gradients(projector, a)
    check_gradients(lambda x: (da.linalg.eigvalsh(x) ** 3).sum(), a)
    # a second derivative taken exactly there follows the convention too: for trace(A^3)
    # it misses the term within the eigenspace (docs/linear-algebra.md), finite, tracked
    with da.nondiff.track() as hits:
        h = func.hessian(lambda x: (da.linalg.eigvalsh(x) ** 3).sum())(da.tensor(a)).numpy()
    assert np.all(np.isfinite(h)) and hits.count("eigh_vectors") > 0


def test_repeated_and_zero_singular_values() -> None:
    # equal singular values share; a zero one gets 0 (minimum-norm subgradient of |s|)
    t = da.tensor(np.diag([2.0, 0.0]), requires_grad=True)
    da.linalg.norm(t, "nuc").backward()
    np.testing.assert_allclose(t.grad.numpy(), np.diag([1.0, 0.0]))
    t = da.tensor([[2.0, 0.0], [0.0, 2.0], [0.0, 0.0]], requires_grad=True)
    da.linalg.svd(t, compute_uv=False)[0].backward()
    np.testing.assert_allclose(t.grad.numpy(), [[0.5, 0.0], [0.0, 0.5], [0.0, 0.0]])
    # the projector onto the span of the repeated singular vectors does not depend on the
    # basis: its derivative is exact there
    a = np.array([[2.0, 0.0], [0.0, 2.0], [0.0, 0.0], [0.0, 0.0]])
    w = weights_like((4, 4))
    check_gradients(lambda x: (((lambda u: u @ u.T)(da.linalg.svd(x, False).U))
                               * da.tensor(w)).sum(), a)
    # the rotation of U against V (antisymmetric in U^T dA V) keeps its limit: a rotation
    # of the input by exp(tK) is followed exactly by the reconstruction u s vh
    k = np.array([[0.0, 1.0], [-1.0, 0.0]])
    _, tangent = func.jvp(lambda x: (lambda u, s, vh: (u * s) @ vh)(*da.linalg.svd(x, False)),
                          (da.tensor(a),), (da.tensor(a @ k),))
    np.testing.assert_allclose(tangent.numpy(), a @ k, atol=1e-12)


def test_kink_policies_and_tracking_at_repeated_eigenvalues() -> None:
    a = np.diag([1.0, 1.0, 3.0])
    with da.nondiff.track() as hits:
        t = da.tensor(a, requires_grad=True)
        (da.linalg.eigh(t).eigenvectors ** 3).sum().backward()
    assert {h.op for h in hits} >= {"eigh_vectors"}
    with da.nondiff.policy("nan"):
        t = da.tensor(a, requires_grad=True)
        (da.linalg.eigh(t).eigenvectors ** 3).sum().backward()
    assert np.isnan(t.grad.numpy()).any()
    with da.nondiff.policy("raise"):
        t = da.tensor(a, requires_grad=True)
        with pytest.raises(da.nondiff.KinkError, match="repeated eigenvalues"):
            (da.linalg.eigh(t).eigenvectors ** 3).sum().backward()
    t = da.tensor(_symmetric(3, seed=41), requires_grad=True)
    with da.nondiff.track() as hits:
        (da.linalg.eigh(t).eigenvectors ** 3).sum().backward()
    assert not [h for h in hits if h.op in ("eigh_vectors", "eigvalsh")]


def test_pinv_at_rank_deficiency_is_the_constant_rank_derivative() -> None:
    rng = np.random.default_rng(27)
    b, c = rng.normal(size=(4, 2)), rng.normal(size=(2, 3))  # a = b c has rank 2
    w = weights_like((3, 4))

    def along_rank_two(p):  # moving b keeps the rank
        return (da.linalg.pinv(da.tensor(p) @ da.tensor(c)) * da.tensor(w)).sum()

    t = da.tensor(b, requires_grad=True)
    (da.linalg.pinv(t @ da.tensor(c)) * da.tensor(w)).sum().backward()
    numeric = numeric_grad(lambda p: along_rank_two(p).item(), b)
    np.testing.assert_allclose(t.grad.numpy(), numeric, rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------- PyTorch
def _torch():
    return pytest.importorskip("torch")


def _grads_both(fn_da, fn_torch, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    torch = _torch()
    t = da.tensor(a, requires_grad=True)
    fn_da(t).backward()
    tt = torch.tensor(a, requires_grad=True)
    fn_torch(tt).backward()
    return t.grad.numpy(), tt.grad.numpy()


def _sym(g: np.ndarray) -> np.ndarray:
    return (g + np.swapaxes(g, -1, -2)) / 2


def test_pytorch_agrees_on_general_matrix_functions() -> None:
    torch = _torch()
    a = _matrix(2, 4, 3, seed=28)
    w = weights_like((2, 3, 4))
    mine, theirs = _grads_both(lambda x: (da.linalg.pinv(x) * da.tensor(w)).sum(),
                               lambda x: (torch.linalg.pinv(x) * torch.tensor(w)).sum(), a)
    np.testing.assert_allclose(mine, theirs, atol=1e-10)
    s = _matrix(3, 3, seed=29)
    for ord_ in ("fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf):
        mine, theirs = _grads_both(lambda x, o=ord_: da.linalg.norm(x, o),
                                   lambda x, o=ord_: torch.linalg.matrix_norm(x, o), s)
        np.testing.assert_allclose(mine, theirs, atol=1e-10, err_msg=str(ord_))
    for p in (None, "fro", "nuc", 2, -2, 1, np.inf):
        def torch_cond(x, p=p):  # (torch's own cond fails its version check for these p)
            if p in (None, 2, -2):
                return torch.linalg.cond(x, p)
            return torch.linalg.matrix_norm(x, p) * torch.linalg.matrix_norm(
                torch.linalg.inv(x), p)

        mine, theirs = _grads_both(lambda x, p=p: da.linalg.cond(x, p), torch_cond, s)
        np.testing.assert_allclose(mine, theirs, atol=1e-9, err_msg=str(p))
    mine, theirs = _grads_both(lambda x: da.linalg.slogdet(x)[1],
                               lambda x: torch.linalg.slogdet(x)[1], s)
    np.testing.assert_allclose(mine, theirs, atol=1e-12)
    mine, theirs = _grads_both(lambda x: da.linalg.matrix_power(x, -3).sum(),
                               lambda x: torch.linalg.matrix_power(torch.linalg.inv(x), 3).sum(),
                               s)  # (torch's own negative power fails its version check)
    np.testing.assert_allclose(mine, theirs, rtol=1e-10)


def test_pytorch_agrees_on_qr_and_svd() -> None:
    torch = _torch()
    a = _matrix(5, 3, seed=30)
    wq, wr = weights_like((5, 3), 1), weights_like((3, 3), 2)
    mine, theirs = _grads_both(
        lambda x: (da.linalg.qr(x).Q * da.tensor(wq)).sum() + (da.linalg.qr(x).R
                                                               * da.tensor(wr)).sum(),
        lambda x: (torch.linalg.qr(x).Q * torch.tensor(wq)).sum()
        + (torch.linalg.qr(x).R * torch.tensor(wr)).sum(), a)
    np.testing.assert_allclose(mine, theirs, atol=1e-10)
    c = weights_like((3,), 3)
    w = weights_like((5, 3), 4)
    mine, theirs = _grads_both(
        lambda x: (da.linalg.svd(x, full_matrices=False).S * da.tensor(c)).sum()
        + (((lambda u, s, vh: (u * da.tensor(c)) @ vh)(*da.linalg.svd(x, False)))
           * da.tensor(w)).sum(),
        lambda x: (torch.linalg.svdvals(x) * torch.tensor(c)).sum()
        + (((lambda u, s, vh: (u * torch.tensor(c)) @ vh)(*torch.linalg.svd(x, False)))
           * torch.tensor(w)).sum(), a)
    np.testing.assert_allclose(mine, theirs, atol=1e-10)


def test_pytorch_agrees_on_symmetric_perturbations_for_eigh_and_cholesky() -> None:
    # torch differentiates as if the input were symmetric; NumPy's functions read one
    # triangle: the two gradients agree on every symmetric direction
    torch = _torch()
    s = _symmetric(4, seed=31)
    c = weights_like((4,), 5)
    w = weights_like((4, 4), 6)
    mine, theirs = _grads_both(
        lambda x: (da.linalg.eigh(x)[0] * da.tensor(c)).sum()
        + ((da.linalg.eigh(x)[1] ** 2) * da.tensor(w)).sum(),
        lambda x: (torch.linalg.eigh(x)[0] * torch.tensor(c)).sum()
        + ((torch.linalg.eigh(x)[1] ** 2) * torch.tensor(w)).sum(), s)
    np.testing.assert_allclose(_sym(mine), _sym(theirs), atol=1e-10)
    p = _spd(4, seed=32)
    mine, theirs = _grads_both(lambda x: (da.linalg.cholesky(x) * da.tensor(w)).sum(),
                               lambda x: (torch.linalg.cholesky(x) * torch.tensor(w)).sum(), p)
    np.testing.assert_allclose(_sym(mine), _sym(theirs), atol=1e-10)


# ------------------------------------------------------------------- errors
@pytest.mark.parametrize("name", ["slogdet", "cholesky", "eigh", "eigvalsh", "det", "inv"])
def test_non_square_input_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match=f"{name}: expected square matrices"):
        getattr(da.linalg, name)(da.tensor(np.ones((2, 3))))


def test_singular_and_indefinite_inputs_raise_numpy_errors() -> None:
    with pytest.raises(np.linalg.LinAlgError):
        da.linalg.inv(da.tensor(np.ones((2, 2))))
    with pytest.raises(np.linalg.LinAlgError, match="positive definite"):
        da.linalg.cholesky(da.tensor([[1.0, 2.0], [2.0, 1.0]]))


def test_unsupported_options_name_the_function_and_option() -> None:
    t = da.tensor(np.eye(3))
    with pytest.raises(ValueError, match="qr: mode='raw' is not supported"):
        np.linalg.qr(t, mode="raw")
    with pytest.raises(ValueError, match="UPLO must be 'L' or 'U'"):
        da.linalg.eigh(t, "X")
    with pytest.raises(ValueError, match="invalid norm order 'bad' for matrices"):
        da.linalg.norm(t, "bad")
    with pytest.raises(ValueError, match="invalid norm order 'nuc' for vectors"):
        da.linalg.norm(da.tensor([1.0, 2.0]), "nuc")
    with pytest.raises(ValueError, match="improper number of dimensions"):
        da.linalg.norm(da.tensor(np.ones((2, 2, 2))), 2)
    with pytest.raises(TypeError, match="matrix_power: the exponent must be an integer"):
        da.linalg.matrix_power(t, 1.5)
    with pytest.raises(ValueError, match="lstsq: a and b must have the same number of rows"):
        da.linalg.lstsq(t, da.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="multi_dot: expecting at least two arrays"):
        da.linalg.multi_dot([t])


def test_sympy_export_refuses_a_decomposition_clearly() -> None:
    t = da.tensor(_symmetric(2), requires_grad=True)
    with pytest.raises(ValueError, match="cannot export op 'eigvalsh' to SymPy: SymPy has no "
                       "form"):
        da.symbolic.to_sympy(da.linalg.eigvalsh(t).sum())


def test_matrix_rank_is_an_integer_with_no_gradient() -> None:
    t = da.tensor(np.array([[1.0, 2.0], [2.0, 4.0]]), requires_grad=True)
    r = np.linalg.matrix_rank(t)
    assert r.item() == 1 and r.dtype.kind == "i" and not r.requires_grad


def test_hermitian_options_read_the_lower_triangle() -> None:
    a = _symmetric(3, seed=42) + np.triu(np.ones((3, 3)), 1)  # the upper triangle unread
    sym = np.tril(a) + np.tril(a, -1).T
    t = da.tensor(a)
    np.testing.assert_allclose(np.linalg.svd(t, hermitian=True).S.numpy(),
                               np.linalg.svd(a, hermitian=True).S, atol=1e-12)
    np.testing.assert_allclose(np.linalg.pinv(t, hermitian=True).numpy(),
                               np.linalg.pinv(a, hermitian=True), atol=1e-12)
    u, s, vh = np.linalg.svd(t, hermitian=True)
    np.testing.assert_allclose(((u * s) @ vh).numpy(), sym, atol=1e-12)
    check_gradients(_weighted(lambda x: da.linalg.pinv(x, hermitian=True), (3, 3)), a)


def test_cond_of_a_singular_matrix_is_inf_with_a_nan_derivative() -> None:
    # NumPy gives inf; the derivative there does not exist (rule 5), the others' are kept
    a = np.array([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.0], [0.0, 2.0]]])
    for p in ("fro", 1, np.inf, -1):
        t = da.tensor(a, requires_grad=True)
        c = np.linalg.cond(t, p)
        np.testing.assert_allclose(c.detach().numpy(), np.linalg.cond(a, p))
        c.sum().backward()
        assert np.isnan(t.grad.numpy()[0]).all() and np.isfinite(t.grad.numpy()[1]).all()
    check_gradients(lambda x: np.linalg.cond(x, "fro"), a[1])


def test_registry_ops_keep_a_continuous_gauge_where_lapack_flips_signs() -> None:
    # regression: LAPACK's singular vectors of this matrix flip sign when one entry moves
    # by -1e-6 (but not by +-1e-3), so central differences of NumPy's U measure the flip;
    # the ops keep each vector's largest entry positive, and svd() flips back to NumPy's
    x = np.array([[1.8515760540066655, 0.0, 2.0], [0.0, 0.0, 2.0], [2.0, 2.0, 0.0]])
    moved = x.copy()
    moved[0, 0] -= 1e-6
    u_op = da.registry.get("svd_vectors").forward  # ([U; V])
    assert np.abs(u_op(moved) - u_op(x)).max() < 1e-5
    for a in (x, moved):
        for got, want in zip(da.linalg.svd(da.tensor(a)), np.linalg.svd(a)):
            np.testing.assert_allclose(got.numpy(), want, atol=1e-12)
    # Householder QR flips the sign of Q's first column where a[0, 0] crosses 0
    a = np.array([[1e-9, 1.0], [1.0, 2.0], [0.5, -1.0]])
    b = a.copy()
    b[0, 0] = -1e-9
    q_op = da.registry.get("qr_q").forward
    assert np.abs(q_op(a) - q_op(b)).max() < 1e-6
    assert np.abs(np.linalg.qr(a).Q - np.linalg.qr(b).Q).max() > 1.0
    np.testing.assert_allclose(da.linalg.qr(da.tensor(b)).Q.numpy(), np.linalg.qr(b).Q)


def test_numpy_linalg_matmul_and_matrix_transpose_dispatch() -> None:
    a, b = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(4, 2))
    np.testing.assert_allclose(np.linalg.matmul(da.tensor(a), da.tensor(b)).numpy(), a @ b)
    np.testing.assert_allclose(np.linalg.matrix_transpose(da.tensor(a)).numpy(),
                               np.linalg.matrix_transpose(a))
    check_gradients(_weighted(lambda x: np.linalg.matmul(x, da.tensor(b)), (2, 3, 2)), a)

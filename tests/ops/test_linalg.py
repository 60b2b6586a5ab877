"""Linear algebra: det, inv, solve, trace, diag, tril/triu, outer, inner."""

import numpy as np
import pytest
from _ops_checks import check_gradients, reverse_grad, weights_like

import dualad as da

M = np.array([[2.0, 0.5, -1.0], [0.3, 1.5, 0.2], [-0.4, 0.1, 1.8]])
B = np.array([[1.0, -2.0], [0.5, 0.0], [2.0, 1.0]])


def test_det_gradient_is_det_times_inverse_transpose():
    expected = np.linalg.det(M) * np.linalg.inv(M).T
    np.testing.assert_allclose(reverse_grad(da.det, M), expected, rtol=1e-12)
    check_gradients(da.det, M, second=True)


def test_det_gradient_of_a_singular_matrix_is_the_adjugate_transpose():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])  # rank 1: det * inv fails, the cofactors do not
    np.testing.assert_allclose(reverse_grad(da.det, a), [[4.0, -2.0], [-2.0, 1.0]])
    s = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    cof = np.array([[np.linalg.det(np.delete(np.delete(s, i, 0), j, 1)) * (-1) ** (i + j)
                     for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(reverse_grad(da.det, s), cof, atol=1e-12)


def test_batched_det_and_inv():
    stack = np.stack([M, M.T + np.eye(3)])
    np.testing.assert_allclose(da.det(da.tensor(stack)).numpy(), np.linalg.det(stack))
    w = weights_like((2, 3, 3))
    check_gradients(lambda t: (da.inv(t) * da.tensor(w)).sum(), stack, second=True)
    check_gradients(lambda t: (da.det(t) * da.tensor([1.0, -0.5])).sum(), stack)


def test_inv_gradient_closed_form():
    w = weights_like((3, 3))
    inv = np.linalg.inv(M)
    expected = -inv.T @ w @ inv.T
    np.testing.assert_allclose(reverse_grad(lambda t: (da.inv(t) * da.tensor(w)).sum(), M),
                               expected, rtol=1e-12)


@pytest.mark.parametrize("b", [B, B[:, 0]], ids=["matrix_rhs", "vector_rhs"])
def test_solve_gradients_in_both_arguments(b):
    w = weights_like(b.shape)
    x = np.linalg.solve(M, b)
    np.testing.assert_allclose(da.solve(da.tensor(M), da.tensor(b)).numpy(), x)
    check_gradients(lambda t: (da.solve(t, da.tensor(b)) * da.tensor(w)).sum(), M, second=True)
    check_gradients(lambda t: (da.solve(da.tensor(M), t) * da.tensor(w)).sum(), b)
    gb = np.linalg.solve(M.T, w)
    np.testing.assert_allclose(reverse_grad(lambda t: (da.solve(da.tensor(M), t)
                                                       * da.tensor(w)).sum(), b), gb)


def test_trace_diag_tril_triu():
    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(reverse_grad(da.trace, x), np.eye(3, 4))
    np.testing.assert_array_equal(da.diag(da.tensor(x), 1).numpy(), np.diag(x, 1))
    np.testing.assert_array_equal(da.diag(da.tensor([1.0, 2.0]), -1).numpy(),
                                  np.diag([1.0, 2.0], -1))
    w = weights_like((3, 4))
    np.testing.assert_array_equal(
        reverse_grad(lambda t: (da.tril(t, 1) * da.tensor(w)).sum(), x), np.tril(w, 1))
    np.testing.assert_array_equal(
        reverse_grad(lambda t: (da.triu(t, -1) * da.tensor(w)).sum(), x), np.triu(w, -1))
    mask = np.zeros((3, 4))
    mask[[0, 1, 2], [1, 2, 3]] = 1.0
    np.testing.assert_array_equal(reverse_grad(lambda t: da.diag(t, 1).sum(), x), mask)
    w4 = weights_like((4, 4), 7)
    check_gradients(lambda t: (da.diag(t, 1) * da.tensor(w4)).sum(), [0.5, -1.0, 2.0])
    batch = np.arange(18.0).reshape(2, 3, 3)
    np.testing.assert_array_equal(da.triu(da.tensor(batch)).numpy(), np.triu(batch))


def test_outer_and_inner_match_numpy_with_gradients():
    u, v = np.array([1.0, -2.0, 0.5]), np.array([3.0, 0.25])
    np.testing.assert_allclose(da.outer(da.tensor(u), da.tensor(v)).numpy(), np.outer(u, v))
    w = weights_like((3, 2))
    np.testing.assert_allclose(
        reverse_grad(lambda t: (da.outer(t, da.tensor(v)) * da.tensor(w)).sum(), u), w @ v)
    a, b = weights_like((2, 3), 4), weights_like((4, 3), 5)
    np.testing.assert_allclose(da.inner(da.tensor(a), da.tensor(b)).numpy(), np.inner(a, b))
    wi = weights_like((2, 4), 6)
    np.testing.assert_allclose(
        reverse_grad(lambda t: (da.inner(t, da.tensor(b)) * da.tensor(wi)).sum(), a), wi @ b)
    assert da.inner(da.tensor(u), da.tensor(u)).item() == pytest.approx(u @ u)


def test_clear_errors_for_wrong_shapes():
    with pytest.raises(ValueError, match="square"):
        da.det(da.ones((2, 3)))
    with pytest.raises(ValueError, match="matrix"):
        da.trace(da.ones(3))
    with pytest.raises(ValueError, match="1D"):
        da.outer(da.ones((2, 2)), da.ones(2))


@pytest.mark.parametrize("spec,shapes", [
    ("ij,jk->ik", [(3, 4), (4, 2)]), ("ij,jk,k->i", [(3, 4), (4, 2), (2,)]),
    ("ii->", [(3, 3)]), ("iij->j", [(2, 2, 3)]), ("ij,ij", [(2, 3), (2, 3)]),
    ("...j,jk->...k", [(2, 3, 4), (4, 2)]), ("ij->j", [(3, 4)]), ("bij,bjk->bik",
                                                                  [(2, 3, 4), (2, 4, 2)]),
])
def test_einsum_values_and_gradients_in_every_operand(spec, shapes):
    xs = [weights_like(s, seed=i + 10) for i, s in enumerate(shapes)]
    out = np.einsum(spec, *xs)
    np.testing.assert_allclose(da.einsum(spec, *[da.tensor(x) for x in xs]).numpy(), out,
                               rtol=1e-12)
    w = weights_like(np.shape(out), seed=2)
    for k in range(len(xs)):
        def f(t, k=k):
            args = [t if i == k else da.tensor(x) for i, x in enumerate(xs)]
            return (da.einsum(spec, *args) * da.tensor(w)).sum()

        check_gradients(f, xs[k])

"""Linear algebra: det, inv, solve, trace, diag, tril/triu, outer, inner."""

import numpy as np
import pytest
from _ops_checks import check_gradients, reverse_grad, weights_like

import dualad as da
from dualad import forward_ad as fwAD

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


def test_solve_with_a_stack_of_matrices_and_one_vector_rhs():
    # a (2, 3, 3) with b (3,): b is one vector shared by the stack, x is (2, 3); the backward
    # took x's ndim (2) for "b is a matrix" and crashed in both arguments, forward mode in a
    stack = np.stack([M, M.T + np.eye(3)])
    b = B[:, 0]
    w = weights_like((2, 3))
    x = np.linalg.solve(stack, b)
    np.testing.assert_allclose(x, np.stack([np.linalg.solve(m, b) for m in stack]))
    np.testing.assert_allclose(da.solve(da.tensor(stack), da.tensor(b)).numpy(), x)
    check_gradients(lambda t: (da.solve(t, da.tensor(b)) * da.tensor(w)).sum(), stack,
                    second=True)
    check_gradients(lambda t: (da.solve(da.tensor(stack), t) * da.tensor(w)).sum(), b)
    gb = sum(np.linalg.solve(m.T, wi) for m, wi in zip(stack, w))
    np.testing.assert_allclose(reverse_grad(lambda t: (da.solve(da.tensor(stack), t)
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


_MATMUL_SHAPES = [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (2, 3, 4)),
                  ((2, 3, 4), (4,)), ((3,), (5, 2, 3, 4)), ((5, 2, 3, 4), (4,)),
                  ((2, 1, 1, 3), (4, 3, 2)), ((3,), (1, 3, 2))]


@pytest.mark.parametrize("xs,ys", _MATMUL_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matmul_of_1d_and_nd_operands_in_both_modes_and_second_order(xs, ys):
    rng = np.random.default_rng(7)
    x = da.tensor(rng.normal(size=xs), requires_grad=True)
    y = da.tensor(rng.normal(size=ys), requires_grad=True)
    out = da.matmul(x, y)
    xm, ym = x.detach().numpy(), y.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), np.matmul(xm, ym))
    w = rng.normal(size=out.shape)
    (out * da.tensor(w)).sum().backward()
    # closed form: each operand's cotangent with NumPy's promotion of 1-d operands undone
    x2 = xm[None, :] if xm.ndim == 1 else xm
    y2 = ym[:, None] if ym.ndim == 1 else ym
    w2 = w.reshape(np.matmul(x2, y2).shape)
    gx = np.matmul(w2, np.swapaxes(y2, -1, -2))
    gy = np.matmul(np.swapaxes(x2, -1, -2), w2)
    np.testing.assert_allclose(x.grad.numpy(), _sum_to(gx, x2.shape).reshape(xs))
    np.testing.assert_allclose(y.grad.numpy(), _sum_to(gy, y2.shape).reshape(ys))
    assert da.gradcheck(da.matmul, (x, y))  # reverse and forward mode vs differences
    assert da.gradgradcheck(da.matmul, (x, y))


def _sum_to(a: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``a`` over the axes broadcasting added to ``shape``."""
    lead = a.ndim - len(shape)
    a = a.sum(axis=tuple(range(lead)))
    return a.sum(axis=tuple(i for i, s in enumerate(shape) if s == 1 and a.shape[i] != 1),
                 keepdims=True)


def test_matmul_and_einsum_shape_errors_are_clear_and_name_the_op_once():
    with pytest.raises(ValueError, match=r"^matmul: the operands cannot be multiplied: the last "
                                         r"dimension of the first \(3\) must equal the "
                                         r"second-to-last dimension of the second \(2\) "
                                         r"\(input shapes: \(2, 3\), \(2, 3\)\)$"):
        da.ones(2, 3) @ da.ones(2, 3)
    with pytest.raises(ValueError, match=r"\(3\) must equal the only dimension of the second "
                                         r"\(2\)"):
        da.ones(2, 3) @ da.ones(2)
    # a batch mismatch is NumPy's message (NumPy already names matmul): the prefix appears once
    with pytest.raises(ValueError, match=r"^matmul: operands could not be broadcast") as info:
        da.ones(2, 3, 4) @ da.ones(5, 4, 2)
    assert "matmul: matmul:" not in str(info.value)
    assert "input shapes: (2, 3, 4), (5, 4, 2)" in str(info.value)
    with pytest.raises(ValueError, match=r"^add: operands could not be broadcast"):
        da.ones(2, 3) + da.ones(2, 2)
    with pytest.raises(ValueError, match=r"einsum: subscript 'i' is repeated in 'ii' .* "
                                         r"different sizes \(2 and 3\)"):
        da.einsum("ii->i", da.ones(2, 3))
    np.testing.assert_allclose(da.einsum("ii->i", da.tensor(M)).numpy(), np.diag(M))


@pytest.mark.parametrize("shape", [(0, 0), (3, 0, 0)])
def test_det_of_0x0_matrices_is_1_with_an_empty_gradient(shape):
    x = da.zeros(*shape, requires_grad=True)
    y = da.det(x)
    np.testing.assert_array_equal(y.detach().numpy(), np.ones(shape[:-2]))  # the empty product
    y.sum().backward()
    assert x.grad.shape == shape
    with fwAD.dual_level():
        t = fwAD.unpack_dual(da.det(fwAD.make_dual(da.zeros(*shape), da.zeros(*shape)))).tangent
    np.testing.assert_array_equal(t.numpy(), np.zeros(shape[:-2]))


def test_einsum_letters_of_different_sizes_across_operands_say_which():
    with pytest.raises(ValueError, match=r"einsum: subscript 'j' labels dimensions of different "
                                         r"sizes: 3 in operand 0 \('ij', shape \(2, 3\)\) and 4 "
                                         r"in operand 1"):
        da.einsum("ij,jk->ik", da.ones(2, 3), da.ones(4, 5))
    # a size 1 broadcasts, as in NumPy
    a, b = np.arange(2.0).reshape(2, 1), np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(da.einsum("ij,jk->ik", da.tensor(a), da.tensor(b)).numpy(),
                               np.einsum("ij,jk->ik", a, b))

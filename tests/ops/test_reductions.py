"""Reductions: prod, var, std, max/min, logsumexp, softmax, norm against independent oracles."""

import numpy as np
import pytest
from _ops_checks import check_gradients, forward_directional, reverse_grad, weights_like

import dualad as da
from dualad import forward_ad as fwAD

A = np.array([[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]])
W = weights_like((2, 3))
W_ROWS = weights_like((2,), seed=3)


@pytest.mark.parametrize("fn", [
    lambda t: da.prod(t), lambda t: (da.prod(t, dim=1) * da.tensor(W_ROWS)).sum(),
    lambda t: da.var(t), lambda t: (da.var(t, 1, correction=0) * da.tensor(W_ROWS)).sum(),
    lambda t: da.std(t, axis=0, keepdims=True).sum(), lambda t: da.std(t, unbiased=False),
    lambda t: da.logsumexp(t, dim=1).sum(), lambda t: (da.softmax(t, dim=1) * da.tensor(W)).sum(),
    lambda t: (da.log_softmax(t, dim=0) * da.tensor(W)).sum(),
    lambda t: da.norm(t), lambda t: da.norm(t, 3, dim=1).sum(), lambda t: da.norm(t, p=1),
    lambda t: da.norm(t, 0.5), lambda t: da.amax(t, dim=0).sum(), lambda t: da.amin(t),
    lambda t: da.max(t, 1).values.sum(), lambda t: da.norm(t, float("inf")),
], ids=["prod", "prod_dim", "var", "var_dim_c0", "std_axis_keepdims", "std_biased",
        "logsumexp", "softmax", "log_softmax", "norm", "norm3_dim", "norm1", "norm_half",
        "amax_dim", "amin", "max_dim_values", "norm_inf"])
def test_gradients_against_finite_differences_in_both_modes(fn):
    check_gradients(fn, A, second=True)


def test_prod_gradient_is_the_product_of_the_others_even_at_zeros():
    x = np.array([[2.0, 0.0, 3.0, 4.0], [0.0, 5.0, 0.0, 1.5]])
    others = np.array([[0.0, 24.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(reverse_grad(lambda t: da.prod(t, 1).sum(), x), others)
    v = np.arange(8.0).reshape(2, 4)
    assert forward_directional(lambda t: da.prod(t, 1).sum(), x, v) == 24.0 * 1.0
    check_gradients(lambda t: da.prod(t, 1).sum(), x, second=True)


def test_var_and_std_use_bessel_correction_by_default_as_pytorch():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    n, m = 4, x.mean()
    assert da.var(da.tensor(x)).item() == pytest.approx(np.sum((x - m) ** 2) / (n - 1))
    assert da.var(da.tensor(x), unbiased=False).item() == pytest.approx(np.var(x))
    assert da.std(da.tensor(x), correction=2).item() == pytest.approx(np.std(x, ddof=2))
    assert da.tensor(x).var(False).item() == pytest.approx(np.var(x))
    np.testing.assert_allclose(reverse_grad(lambda t: da.var(t), x), 2 * (x - m) / (n - 1))
    std = np.std(x, ddof=1)
    np.testing.assert_allclose(reverse_grad(lambda t: da.std(t), x), (x - m) / ((n - 1) * std))


def test_std_of_constant_input_has_zero_gradient():
    g = reverse_grad(lambda t: da.std(t), np.full(4, 1.5))
    np.testing.assert_array_equal(g, np.zeros(4))
    assert forward_directional(lambda t: da.std(t), np.full(4, 1.5), np.ones(4)) == 0.0


def test_max_min_ties_share_the_gradient_equally_in_both_modes():
    x = np.array([[3.0, 1.0, 3.0, 3.0], [0.0, -2.0, -2.0, 2.0]])
    np.testing.assert_allclose(reverse_grad(lambda t: da.amax(t), x),
                               [[1 / 3, 0, 1 / 3, 1 / 3], [0, 0, 0, 0]])
    np.testing.assert_allclose(reverse_grad(lambda t: da.amin(t, dim=1).sum(), x),
                               [[0, 1, 0, 0], [0, 0.5, 0.5, 0]])
    np.testing.assert_allclose(reverse_grad(lambda t: t.max(), x),
                               reverse_grad(lambda t: da.amax(t), x))
    v = np.arange(8.0).reshape(2, 4)
    assert forward_directional(lambda t: da.amax(t), x, v) == pytest.approx((0 + 2 + 3) / 3)


def test_max_with_dim_returns_values_and_indices_like_pytorch():
    x = da.tensor([[1.0, 9.0, 3.0], [7.0, 2.0, 7.0]])
    values, indices = da.max(x, dim=1)
    assert values.tolist() == [9.0, 7.0] and indices.tolist() == [1, 0]
    res = x.min(0, keepdim=True)
    assert res.values.shape == (1, 3) and res.indices.tolist() == [[0, 1, 0]]
    assert da.max(x).item() == 9.0
    assert da.max(x, da.tensor(5.0)).tolist() == [[5.0, 9.0, 5.0], [7.0, 5.0, 7.0]]
    assert da.argmax(x).item() == 1 and da.argmin(x, dim=1).tolist() == [0, 1]
    assert da.argmax(x, axis=0, keepdims=True).shape == (1, 3)
    assert da.argmax(x).dtype.kind == "i" and not da.argmax(x).requires_grad


def test_softmax_and_logsumexp_are_stable_for_large_inputs():
    x = np.array([[1000.0, 1000.0, 999.0], [-1000.0, -1001.0, -1000.0]])
    shifted = x - x.max(axis=1, keepdims=True)
    lse = x.max(axis=1) + np.log(np.exp(shifted).sum(axis=1))
    np.testing.assert_allclose(da.logsumexp(da.tensor(x), dim=1).numpy(), lse, rtol=1e-15)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(da.softmax(da.tensor(x), dim=1).numpy(), p, rtol=1e-14)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(da.log_softmax(da.tensor(x), dim=1).numpy(), log_p, rtol=1e-15)
    g = reverse_grad(lambda t: da.logsumexp(t, dim=1).sum(), x)
    np.testing.assert_allclose(g, p, rtol=1e-14)
    assert np.all(np.isfinite(reverse_grad(lambda t: (da.softmax(t, 1) * da.tensor(W[:, :3]))
                                           .sum(), x)))


def test_softmax_jacobian_is_diag_p_minus_p_p_transpose():
    x = np.array([0.3, -1.0, 2.0])
    p = np.exp(x) / np.exp(x).sum()
    jac = np.diag(p) - np.outer(p, p)
    for i in range(3):
        row = reverse_grad(lambda t, i=i: da.softmax(t, dim=0)[i], x)
        np.testing.assert_allclose(row, jac[i], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_softmax_family_of_integer_or_boolean_input_is_float64(dtype):
    # integer logits (counts, labels) crashed with OverflowError: the shifted maximum
    # started at -inf, which has no integer value; they are taken as float64, as exp is
    x = np.array([[3, 0, 1], [1, 1, 0]]).astype(dtype)
    xf = x.astype(np.float64)
    p = np.exp(xf) / np.exp(xf).sum(axis=1, keepdims=True)
    for fn, expected in [(da.softmax, p), (da.log_softmax, np.log(p)),
                         (da.nn.functional.softmax, p), (da.nn.functional.log_softmax, np.log(p))]:
        y = fn(da.tensor(x), dim=1)
        assert y.dtype == np.float64
        np.testing.assert_allclose(y.numpy(), expected, rtol=1e-14)
    loss = da.nn.functional.cross_entropy(da.tensor(x), da.tensor([0, 2]))
    np.testing.assert_allclose(loss.item(), -(np.log(p[0, 0]) + np.log(p[1, 2])) / 2, rtol=1e-14)


@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("fn, value, slope", [
    (lambda t, d: da.mean(t, d), 2.5, 1.0), (lambda t, d: da.sum(t, d), 2.5, 1.0),
    (lambda t, d: da.var(t, d, correction=0), 0.0, 0.0),
    (lambda t, d: da.std(t, d, correction=0), 0.0, 0.0),
    (lambda t, d: da.cumsum(t, d), 2.5, 1.0)], ids=["mean", "sum", "var", "std", "cumsum"])
def test_a_0d_tensor_reduces_over_dim_0_or_minus_1_to_0d(fn, value, slope, dim):
    # as sum already did (and PyTorch): mean crashed with IndexError, var/std raised
    # AxisError, cumsum returned shape (1,)
    t = da.tensor(2.5, requires_grad=True)
    y = fn(t, dim)
    assert y.shape == ()
    assert y.item() == value
    y.backward()
    assert t.grad.item() == slope


def test_softmax_needs_a_dim():
    with pytest.raises(TypeError, match="dim="):
        da.softmax(da.tensor([1.0, 2.0]))


def test_norm_at_zero_has_zero_gradient_in_both_modes():
    for order in (None, 1, 2, 3, float("inf")):
        g = reverse_grad(lambda t, o=order: da.norm(t, o), np.zeros(3))
        np.testing.assert_array_equal(g, np.zeros(3))
        assert forward_directional(lambda t, o=order: da.norm(t, o), np.zeros(3),
                                   np.ones(3)) == 0.0


def test_norm_orders_match_numpy():
    x = np.array([[3.0, -4.0], [0.0, 12.0]])
    t = da.tensor(x)
    assert da.norm(t).item() == pytest.approx(13.0)
    assert da.norm(t, "fro").item() == pytest.approx(13.0)
    assert da.norm(t, 1).item() == pytest.approx(19.0)
    assert da.norm(t, float("inf")).item() == 12.0
    assert da.norm(t, -float("inf")).item() == 0.0
    assert da.norm(t, 0).item() == 3.0
    np.testing.assert_allclose(da.norm(t, 2, dim=1).numpy(), [5.0, 12.0])
    np.testing.assert_allclose(t.norm(p=3, dim=0, keepdim=True).numpy(),
                               np.linalg.norm(x, 3, axis=0, keepdims=True))
    np.testing.assert_array_equal(reverse_grad(lambda a: da.norm(a, 0), x), np.zeros((2, 2)))


def test_reductions_accept_negative_axes_tuples_and_zero_d_inputs():
    x = da.tensor(np.arange(24.0).reshape(2, 3, 4) / 10)
    np.testing.assert_allclose(da.prod(x, axis=(0, -1)).numpy(),
                               np.prod(x.numpy(), axis=(0, 2)))
    np.testing.assert_allclose(da.var(x, dim=-2, keepdim=True).numpy(),
                               np.var(x.numpy(), axis=-2, ddof=1, keepdims=True))
    s = da.tensor(2.5, requires_grad=True)
    da.amax(s).backward()
    assert s.grad.item() == 1.0
    assert da.logsumexp(da.tensor(0.0)).item() == 0.0


@pytest.mark.parametrize("reduce, numpy_reduce", [(da.sum, np.sum), (da.mean, np.mean),
                                                  (da.var, lambda a, axis: np.var(a, axis,
                                                                                 ddof=1))])
@pytest.mark.parametrize("axis", [np.int64(0), np.int32(-1), (np.int64(0), 1),
                                  [np.intp(1)]])
def test_numpy_integer_axes_work_in_both_passes(reduce, numpy_reduce, axis):
    # axes from NumPy code (np.argmax, shape arithmetic) are NumPy integers
    x = da.tensor(A, requires_grad=True)
    out = reduce(x, axis=axis)
    want_axis = tuple(axis) if isinstance(axis, list) else axis
    np.testing.assert_allclose(out.detach().numpy(), numpy_reduce(A, axis=want_axis),
                               rtol=1e-14)
    check_gradients(lambda t: (reduce(t, axis=axis) * 1.0).sum(), A)


def test_a_float_axis_is_refused_with_the_reason():
    x = da.tensor(A)
    with pytest.raises(TypeError, match=r"dim/axis must be an int or a tuple of ints, got 1\.0"):
        da.sum(x, axis=1.0)
    with pytest.raises(TypeError, match=r"got \(0, 0\.5\)"):
        da.mean(x, dim=(0, 0.5))


_EMPTY_CASES = [((2, 0), 1), ((0, 3), 1), ((0, 3), 0), ((0,), 0), ((2, 0, 3), 1)]


@pytest.mark.parametrize("name", ["logsumexp", "softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", _EMPTY_CASES)
def test_softmax_family_over_a_length_0_axis(name, shape, dim):
    # issue 18 item 14: the empty sum's log is -inf and softmax of nothing is empty, as in
    # PyTorch; NumPy's amax of an empty axis raised before
    fn = getattr(da, name)
    x = da.zeros(*shape, requires_grad=True)
    y = fn(x, dim=dim)
    reduced = shape[:dim] + shape[dim + 1:]
    assert y.shape == (reduced if name == "logsumexp" else shape)
    if name == "logsumexp":  # log(0): every output is -inf
        assert np.all(y.detach().numpy() == -np.inf)
    (y * da.tensor(np.ones(y.shape))).sum().backward()
    assert x.grad.shape == shape
    with fwAD.dual_level():
        t = fwAD.unpack_dual(fn(fwAD.make_dual(da.zeros(*shape), da.ones(*shape)),
                                dim=dim)).tangent
    assert t.shape == y.shape and not np.any(t.numpy())  # no element varies with x
    torch = pytest.importorskip("torch")
    tx = torch.zeros(*shape, dtype=torch.float64, requires_grad=True)
    ty = getattr(torch, name)(tx, dim=dim)
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    ty.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("fn", [da.amax, da.amin])
def test_max_of_an_empty_axis_says_so(fn):
    with pytest.raises(ValueError, match=r"dim 1 has size 0"):
        fn(da.zeros(2, 0), dim=1)
    assert fn(da.zeros(0, 3), dim=1).shape == (0,)  # other axes may be empty


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_backward_of_argmax_says_it_is_not_differentiable(name):
    # issue 18 item 19: the message did not say why (PyTorch's: "element 0 of tensors does
    # not require grad and does not have a grad_fn")
    x = da.tensor([[1.0, 3.0], [2.0, 0.0]], requires_grad=True)
    for idx in (getattr(da, name)(x), getattr(x, name)(dim=1), getattr(da, name[3:])(x, 0)[1]):
        with pytest.raises(RuntimeError, match=rf"^element 0 of tensors does not require grad "
                                               rf"and does not have a grad_fn: it is the result "
                                               rf"of {name}, which is not differentiable"):
            idx.backward()
        with pytest.raises(RuntimeError, match=f"result of {name}"):
            da.autograd.grad(idx, x)
    assert x.grad is None


def test_backward_of_comparisons_and_constants_say_why():
    x = da.tensor([1.0, -2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"it has dtype bool, and integer or boolean results "
                                           r"\(argmax, argmin, comparisons, \.\.\.\) are not "
                                           r"differentiable"):
        (x > 0).backward()
    with pytest.raises(RuntimeError, match=r"it has dtype int64"):
        (x > 0).sum().backward()
    with pytest.raises(RuntimeError, match=r"did you forget requires_grad=True"):
        da.ones(2).sum().backward()
    # sign, round and friends are differentiable with derivative 0 (PyTorch agrees)
    (da.sign(x) + da.round(x)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_max_along_several_dims_points_to_amax():
    x = da.ones(2, 3)
    with pytest.raises(TypeError, match=r"max\(x, dim\) reduces over one dim, got \(0, 1\); "
                                        r"for several use amax"):
        da.max(x, dim=(0, 1))  # it was taken as the other operand of maximum
    assert da.max(x, da.tensor(2.0)).tolist() == [[2.0] * 3] * 2


@pytest.mark.parametrize("name", ["amax", "amin"])
def test_extremum_with_an_infinite_element_gives_it_zero_not_nan_in_both_modes(name):
    # the tie weights were kept connected to x by ``x * 0.0``: nan at an infinite element
    inf = -np.inf if name == "amax" else np.inf
    data = np.array([1.0, inf, 3.0 if name == "amax" else -3.0])
    want = [0.0, 0.0, 1.0]
    x = da.tensor(data, requires_grad=True)
    getattr(da, name)(x).backward()
    assert x.grad.tolist() == want
    with fwAD.dual_level():
        got = [fwAD.unpack_dual(getattr(da, name)(fwAD.make_dual(
            da.tensor(data), da.tensor(np.eye(3)[i])))).tangent.item() for i in range(3)]
    assert got == want

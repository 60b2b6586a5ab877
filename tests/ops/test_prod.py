"""prod's derivatives: the product of the other elements, computed without division.

Oracles are independent of dualad's rules: exact products of Python
``Fraction``s (rounded once to float), closed forms such as ``0.5**11``, and
central differences where the function is well conditioned. Each derivative
is checked in reverse mode, forward mode and, for second derivatives,
reverse-over-reverse, forward-over-reverse and the batched ``jacfwd``/``jacrev``
compositions.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from _ops_checks import check_gradients

import dualad as da
from dualad import forward_ad as fwAD
from dualad import func

# ------------------------------------------------------------------ oracles


def _exact_prod(values) -> float:
    """The product of ``values`` computed exactly, rounded once to a float."""
    total = Fraction(1)
    for v in values:
        total *= Fraction(float(v))
    return float(total)


def _groups(shape: tuple, axis) -> list[list[tuple]]:
    """The index tuples of each reduced group of an array of ``shape`` (pure Python)."""
    ndim = len(shape)
    axes = tuple(range(ndim)) if axis is None else \
        tuple(a % ndim for a in ((axis,) if isinstance(axis, int) else axis))
    groups: dict[tuple, list[tuple]] = {}
    for idx in itertools.product(*(range(s) for s in shape)):
        key = tuple(i for a, i in enumerate(idx) if a not in axes)
        groups.setdefault(key, []).append(idx)
    return list(groups.values())


def others_oracle(x: np.ndarray, axis=None) -> np.ndarray:
    """d prod / d x_i: the exact product of the other elements of x_i's group."""
    out = np.empty(x.shape)
    for group in _groups(x.shape, axis):
        for i in group:
            out[i] = _exact_prod(x[j] for j in group if j != i)
    return out


def hessian_oracle(x: np.ndarray) -> np.ndarray:
    """d2 prod(x) / dx_i dx_j for a 1-d ``x``: the product of all but i and j (0 if i == j)."""
    n = x.size
    return np.array([[0.0 if i == j else _exact_prod(np.delete(x, [i, j])) for j in range(n)]
                     for i in range(n)])


# ------------------------------------------------------------ dualad modes


def reverse(x: np.ndarray, axis=None, keepdims: bool = False) -> np.ndarray:
    """The gradient of ``sum(prod(x, axis))`` by backward()."""
    t = da.tensor(x, requires_grad=True)
    da.prod(t, axis=axis, keepdims=keepdims).sum().backward()
    return t.grad.numpy()


def forward_columns(x: np.ndarray, axis=None) -> np.ndarray:
    """The same gradient by forward mode, one unit tangent per element."""
    grad = np.empty(x.shape)
    for i in np.ndindex(*x.shape):
        unit = np.zeros(x.shape)
        unit[i] = 1.0
        with fwAD.dual_level():
            y = da.prod(fwAD.make_dual(da.tensor(x), da.tensor(unit)), axis=axis).sum()
            grad[i] = fwAD.unpack_dual(y).tangent.item()
    return grad


def _total(t: da.Tensor) -> da.Tensor:
    return da.prod(t)


def _reverse_over_reverse(x: np.ndarray) -> np.ndarray:
    t = da.tensor(x, requires_grad=True)
    (g,) = da.autograd.grad(da.prod(t), t, create_graph=True)
    rows = []
    for i in range(x.size):
        (row,) = da.autograd.grad(g[i], t, retain_graph=True)
        rows.append(row.numpy())
    return np.array(rows)


def _forward_over_reverse(x: np.ndarray) -> np.ndarray:
    cols = [func.jvp(func.grad(_total), (da.tensor(x),), (da.tensor(np.eye(x.size)[i]),))[1]
            for i in range(x.size)]
    return np.array([c.numpy() for c in cols]).T


HESSIANS = {
    "reverse-over-reverse": _reverse_over_reverse,
    "forward-over-reverse": _forward_over_reverse,
    "hessian": lambda x: func.hessian(_total)(da.tensor(x)).numpy(),
    "jacfwd-jacrev": lambda x: func.jacfwd(func.jacrev(_total))(da.tensor(x)).numpy(),
    "jacrev-jacrev": lambda x: func.jacrev(func.jacrev(_total))(da.tensor(x)).numpy(),
    "jacfwd-jacfwd": lambda x: func.jacfwd(func.jacfwd(_total))(da.tensor(x)).numpy(),
}

# ------------------------------------------------------------------- inputs

ONE_ZERO = np.array([2.0, -3.0, 0.0, 1.5, 0.5])
TWO_ZEROS = np.array([0.0, 2.0, -1.5, 0.0, 3.0])
ALL_ZEROS = np.zeros(4)
GENERIC = np.array([1.3, -0.7, 2.2, 0.9, -1.1, 1.6, 0.4])


def _underflowing() -> np.ndarray:
    x = np.full((3, 4), 0.5)
    x[0, 0] = 5e-324  # the smallest subnormal: the whole product underflows to 0
    return x


def _tiny() -> np.ndarray:
    x = np.ones((3, 4))
    x[0, 0] = 1.2e-38
    return x


# --------------------------------------------------------------- the bug


def test_gradient_when_the_product_underflows_both_modes():
    x = _underflowing()
    assert np.prod(x) == 0.0
    for grad in (reverse(x), forward_columns(x)):
        assert grad[0, 0] == 0.5 ** 11
        np.testing.assert_array_equal(grad, others_oracle(x))


def _sum_of_grad(grad_fn):
    return lambda t: grad_fn(_total)(t).sum()


def _sum_of_grad_reverse_over_reverse(x: np.ndarray) -> np.ndarray:
    t = da.tensor(x, requires_grad=True)
    (g,) = da.autograd.grad(da.prod(t), t, create_graph=True)
    (h,) = da.autograd.grad(g.sum(), t)
    return h.numpy()


def _sum_of_grad_forward_over_reverse(x: np.ndarray) -> np.ndarray:
    units = np.eye(x.size).reshape((x.size,) + x.shape)
    return np.array([func.jvp(_sum_of_grad(func.grad), (da.tensor(x),), (da.tensor(u),))[1]
                     .item() for u in units]).reshape(x.shape)


SUM_OF_GRAD = {  # d/dx of sum(grad prod(x)): the second derivative the bug cancelled
    "reverse-over-reverse": _sum_of_grad_reverse_over_reverse,
    "forward-over-reverse": _sum_of_grad_forward_over_reverse,
    "grad-grad": lambda x: func.grad(_sum_of_grad(func.grad))(da.tensor(x)).numpy(),
    "jacrev-jacrev": lambda x: func.jacrev(_sum_of_grad(func.jacrev))(da.tensor(x)).numpy(),
    "jacfwd-jacrev": lambda x: func.jacfwd(_sum_of_grad(func.jacrev))(da.tensor(x)).numpy(),
    "jacrev-jacfwd": lambda x: func.jacrev(_sum_of_grad(func.jacfwd))(da.tensor(x)).numpy(),
    "jacfwd-jacfwd": lambda x: func.jacfwd(_sum_of_grad(func.jacfwd))(da.tensor(x)).numpy(),
}


@pytest.mark.parametrize("mode", list(SUM_OF_GRAD))
def test_second_derivative_with_a_tiny_element_in_every_mode(mode):
    x = _tiny()
    h = SUM_OF_GRAD[mode](x)
    # d/dx_k sum_i prod_{j != i} x_j = sum_{i != k} prod_{j != i, k} x_j: 11 for k = 0
    assert h[0, 0] == 11.0
    exact = [math.fsum(col) for col in hessian_oracle(x.ravel()).T]
    np.testing.assert_allclose(h.ravel(), exact, rtol=1e-15, atol=0)


@pytest.mark.parametrize("mode", list(HESSIANS))
def test_hessian_with_a_tiny_element_in_every_mode(mode):
    x = _tiny().ravel()
    np.testing.assert_allclose(HESSIANS[mode](x), hessian_oracle(x), rtol=1e-14, atol=0)


# ------------------------------------------------------------------ zeros


@pytest.mark.parametrize("x", [ONE_ZERO, TWO_ZEROS, ALL_ZEROS, GENERIC],
                         ids=["one_zero", "two_zeros", "all_zeros", "no_zero"])
def test_gradient_is_the_product_of_the_others(x):
    expected = others_oracle(x)
    np.testing.assert_allclose(reverse(x), expected, rtol=1e-15, atol=0)
    np.testing.assert_allclose(forward_columns(x), expected, rtol=1e-15, atol=0)


def test_one_zero_gives_its_element_the_product_of_the_rest_and_others_zero():
    grad = reverse(ONE_ZERO)
    assert grad[2] == 2.0 * -3.0 * 1.5 * 0.5
    np.testing.assert_array_equal(np.delete(grad, 2), 0.0)


def test_two_zeros_give_a_zero_gradient_but_a_nonzero_hessian_entry():
    np.testing.assert_array_equal(reverse(TWO_ZEROS), 0.0)
    h = HESSIANS["reverse-over-reverse"](TWO_ZEROS)
    assert h[0, 3] == h[3, 0] == 2.0 * -1.5 * 3.0


@pytest.mark.parametrize("x", [ONE_ZERO, TWO_ZEROS, ALL_ZEROS, GENERIC],
                         ids=["one_zero", "two_zeros", "all_zeros", "no_zero"])
@pytest.mark.parametrize("mode", list(HESSIANS))
def test_hessian_against_the_exact_products(x, mode):
    np.testing.assert_allclose(HESSIANS[mode](x), hessian_oracle(x), rtol=1e-14, atol=0)


# ------------------------------------------------------------------- axes

AXES = [None, 0, 1, -1, 2, (0, 2), (-3, -1), (0, 1, 2), ()]


@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_axis_variants_against_exact_products(axis, keepdims):
    x = np.random.default_rng(5).uniform(-2.0, 2.0, size=(2, 3, 4))
    x[1, 0, 2] = 0.0
    x[0, 2, 1] = 1e-300
    expected = others_oracle(x, axis)
    np.testing.assert_allclose(reverse(x, axis, keepdims), expected, rtol=1e-14, atol=0)
    if not keepdims:
        np.testing.assert_allclose(forward_columns(x, axis), expected, rtol=1e-14, atol=0)


@pytest.mark.parametrize("shape, axis", [((), None), ((1,), 0), ((3, 1), 1), ((0, 3), 0),
                                         ((3, 0), 1)])
def test_degenerate_groups(shape, axis):
    x = np.full(shape, 1.7)
    np.testing.assert_array_equal(reverse(x, axis), np.ones(shape))


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)], ids=str)
def test_well_conditioned_points_against_finite_differences(axis):
    x = np.random.default_rng(7).uniform(0.5, 1.5, size=(3, 4)) * np.array([1, -1, 1, 1])
    w = np.random.default_rng(8).normal(size=np.shape(np.prod(x, axis=axis)))
    check_gradients(lambda t: (da.prod(t, axis=axis) * da.tensor(w)).sum(), x, second=True)


def test_float32_stays_float32():
    t = da.tensor(np.array([[1.5, 0.0, 2.0]], dtype=np.float32), requires_grad=True)
    da.prod(t, dim=1).sum().backward()
    assert t.grad.dtype == np.float32
    np.testing.assert_array_equal(t.grad.numpy(), [[0.0, 3.0, 0.0]])


def test_long_group_with_a_zero_is_linear_in_memory():
    """A quadratic (n x n) construction would need 32 GiB here."""
    n = 2 ** 16 + 1
    x = np.ones(n)
    x[12345] = 0.0
    x[0] = 3.0
    grad = reverse(x)
    assert grad[12345] == 3.0
    assert np.count_nonzero(grad) == 1

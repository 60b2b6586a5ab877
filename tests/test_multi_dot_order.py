"""``linalg.multi_dot`` multiplies in the cheapest order, as NumPy does.

Oracles: brute-force enumeration of every parenthesization (the cost), NumPy's values,
central differences (the gradients), and the recorded graph (the order actually used).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import dualad as da
from dualad import func
from dualad.ops.linalg_decomp import chain_order

RNG = np.random.default_rng(3)


def brute_force_cost(dims: tuple) -> int:
    @functools.cache
    def best(i: int, j: int) -> int:
        if i == j:
            return 0
        return min(best(i, k) + best(k + 1, j) + dims[i] * dims[k + 1] * dims[j + 1]
                   for k in range(i, j))

    return best(0, len(dims) - 2)


def order_cost(order, dims) -> tuple[int, int, int]:
    """(rows, columns, multiplications) of a parenthesization, counted independently."""
    if isinstance(order, int):
        return dims[order], dims[order + 1], 0
    (r, m, c1), (m2, c, c2) = order_cost(order[0], dims), order_cost(order[1], dims)
    assert m == m2
    return r, c, c1 + c2 + r * m * c


def test_the_order_is_the_cheapest() -> None:
    for n in range(2, 7):
        for _ in range(10):
            dims = tuple(int(d) for d in RNG.integers(1, 30, size=n + 1))
            order, cost = chain_order(dims)
            assert cost == brute_force_cost(dims) == order_cost(order, dims)[2], dims


def _chain(shapes, dtype=float):
    out = []
    for s in shapes:
        a = RNG.standard_normal(s)
        out.append(a + 1j * RNG.standard_normal(s) if dtype is complex else a)
    return out


@pytest.mark.parametrize("shapes", [
    [(10, 100), (100, 5), (5, 50)],
    [(3, 40), (40, 2), (2, 30), (30, 4)],
    [(40,), (40, 3), (3, 50), (50, 2), (2,)],
    [(6,), (6, 30), (30, 30), (30,)],
])
def test_values_agree_with_numpy(shapes) -> None:
    for dtype in (float, complex):
        chain = _chain(shapes, dtype)
        got = da.linalg.multi_dot([da.tensor(a) for a in chain])
        np.testing.assert_allclose(got.numpy(), np.linalg.multi_dot(chain), rtol=1e-12)
        got = np.linalg.multi_dot([da.tensor(a) for a in chain])   # through NumPy
        np.testing.assert_allclose(got.numpy(), np.linalg.multi_dot(chain), rtol=1e-12)


def test_the_recorded_graph_follows_the_order() -> None:
    a, b, v = (da.tensor(x, requires_grad=True) for x in _chain([(2, 60), (60, 60), (60,)]))
    root = da.linalg.multi_dot([a, b, v]).grad_fn       # a @ (b @ v): 7200 + 120
    first, second = (f for f, _ in root.next_functions)
    assert first.variable is a and second.name() == root.name()
    a, b, c = (da.tensor(x, requires_grad=True) for x in _chain([(10, 100), (100, 5), (5, 50)]))
    root = da.linalg.multi_dot([a, b, c]).grad_fn       # (a @ b) @ c
    first, second = (f for f, _ in root.next_functions)
    assert first.name() == root.name() and second.variable is c


def test_gradients_by_differences_in_both_modes() -> None:
    v, m1, m2, w = _chain([(3,), (3, 4), (4, 2), (2,)])

    def f(m):
        return da.linalg.multi_dot([da.tensor(v), m, da.tensor(m2), da.tensor(w)])

    expected = np.outer(v, m2 @ w)   # d (v^T M m2 w) / dM
    h = 1e-6
    fd = np.zeros_like(m1)
    for idx in np.ndindex(m1.shape):
        e = np.zeros_like(m1)
        e[idx] = h
        fd[idx] = (f(da.tensor(m1 + e)).item() - f(da.tensor(m1 - e)).item()) / (2 * h)
    np.testing.assert_allclose(fd, expected, rtol=1e-7)
    for jac in (func.jacrev, func.jacfwd, func.grad):
        np.testing.assert_allclose(jac(f)(m1), expected, rtol=1e-12)


def test_misaligned_shapes_are_refused_before_multiplying() -> None:
    with pytest.raises(ValueError, match=r"multi_dot: array 1 ends with 4 columns but array 2 "
                                         r"has 5 rows"):
        da.linalg.multi_dot([da.ones((2, 3)), da.ones((3, 4)), da.ones((5, 2))])

"""dualad.scipy.integrate against SciPy's values, and differentiable in y and in x."""

from __future__ import annotations

import numpy as np
import pytest

import dualad as da
from dualad.scipy import integrate

si = pytest.importorskip("scipy.integrate")


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 9, 10])
def test_simpson_matches_scipy(n):
    rng = np.random.default_rng(n)
    y = rng.normal(size=(3, n))
    x = np.cumsum(rng.uniform(0.1, 1.0, size=n))  # uneven spacing
    np.testing.assert_allclose(integrate.simpson(da.tensor(y), x=da.tensor(x)).numpy(),
                               si.simpson(y, x=x), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(integrate.simpson(y, dx=0.3).numpy(), si.simpson(y, dx=0.3),
                               rtol=1e-13, atol=1e-14)
    xs = np.sort(rng.uniform(size=(n, 3)), axis=0)  # x of y's shape, along axis 0
    np.testing.assert_allclose(integrate.simpson(y.T, x=xs, axis=0).numpy(),
                               si.simpson(y.T, x=xs, axis=0), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(integrate.trapezoid(y, x=x).numpy(), si.trapezoid(y, x=x),
                               rtol=1e-13, atol=1e-14)


def test_simpson_is_exact_for_cubics():
    x = da.tensor(np.linspace(-1.0, 2.0, 7))
    assert integrate.simpson(x ** 3 - x, x=x).item() == pytest.approx((16 - 1) / 4 - (4 - 1) / 2)


@pytest.mark.parametrize("n", [3, 4, 7])
def test_simpson_gradients_in_y_and_x(n):
    rng = np.random.default_rng(10 + n)
    y = da.tensor(rng.normal(size=(2, n)), requires_grad=True)
    x = da.tensor(np.cumsum(rng.uniform(0.2, 1.0, size=n)), requires_grad=True)
    assert da.gradcheck(lambda y, x: integrate.simpson(y, x=x), (y, x))
    assert da.gradgradcheck(lambda y, x: integrate.simpson(y, x=x), (y, x))
    assert da.gradcheck(lambda y, x: integrate.trapezoid(y, x=x), (y, x))


def test_simpson_rejects_mismatched_points():
    with pytest.raises(ValueError, match="simpson: x has 3 points but y has 4"):
        integrate.simpson(np.ones(4), x=np.arange(3.0))
    with pytest.raises(ValueError, match="simpson: y must have at least one axis"):
        integrate.simpson(1.0)

"""NumPy's further elementwise math (dualad/ops/npmath.py, issue 20): values equal NumPy's,
``np.<name>(tensor)`` is ``da.<name>``, and the convention at each kink."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pytest

import dualad as da
from dualad import forward_ad as fwAD

SPECIAL = np.array([0.0, -0.0, 1.0, -2.5, 3.0, np.inf, -np.inf, np.nan])

UNARY = [("cbrt", np.cbrt), ("deg2rad", np.deg2rad), ("rad2deg", np.rad2deg),
         ("radians", np.radians), ("degrees", np.degrees), ("fabs", np.fabs), ("sinc", np.sinc),
         ("nan_to_num", np.nan_to_num)]
BINARY = [("copysign", np.copysign), ("fmax", np.fmax), ("fmin", np.fmin),
          ("heaviside", np.heaviside), ("remainder", np.remainder), ("mod", np.mod),
          ("fmod", np.fmod), ("floor_divide", np.floor_divide),
          ("float_power", np.float_power), ("logaddexp2", np.logaddexp2)]


def _inputs(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(0.0, 3.0, 12), SPECIAL])


def _same(got: da.Tensor, want: np.ndarray) -> None:
    np.testing.assert_array_equal(got.detach().numpy(), want)
    assert got.dtype == np.asarray(want).dtype


@pytest.mark.parametrize("name,np_fn", UNARY)
def test_unary_values_equal_numpy_and_dispatch(name: str, np_fn: Callable) -> None:
    x = _inputs(0)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        want = np_fn(x)
        _same(getattr(da, name)(da.tensor(x)), want)
        _same(np_fn(da.tensor(x)), want)


@pytest.mark.parametrize("name,np_fn", BINARY)
def test_binary_values_equal_numpy_and_dispatch(name: str, np_fn: Callable) -> None:
    x, y = _inputs(1), _inputs(2)[::-1].copy()
    x = np.concatenate([x, [0.0, 2.0, -3.0, 5.0]])
    y = np.concatenate([y, [0.0, 2.0, 1.5, -2.0]])  # ties, exact multiples, zero divisor
    if name == "float_power":
        x = np.abs(x)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        want = np_fn(x, y)
        _same(getattr(da, name)(da.tensor(x), da.tensor(y)), want)
        _same(np_fn(da.tensor(x), da.tensor(y)), want)
        _same(np_fn(da.tensor(x), 1.5), np_fn(x, 1.5))


def test_float_power_is_float64_from_integers_and_float32() -> None:
    assert da.float_power(da.tensor([2, 4]), -1).tolist() == [0.5, 0.25]
    out = np.float_power(da.tensor(np.float32([2.0]), requires_grad=True), 2)
    assert out.dtype == np.float64


def _grads(fn: Callable, *values: float) -> list:
    """Reverse-mode partials of a scalar ``fn`` at ``values``, and the forward-mode ones."""
    xs = [da.tensor(v, requires_grad=True) for v in values]
    fn(*xs).backward()
    rev = [x.grad.item() for x in xs]
    fwd = []
    for i in range(len(values)):
        with fwAD.dual_level():
            duals = [fwAD.make_dual(da.tensor(v), da.tensor(float(i == j)))
                     for j, v in enumerate(values)]
            fwd.append(fwAD.unpack_dual(fn(*duals)).tangent.item())
    return [rev, fwd]


@pytest.mark.parametrize("fn,point,want", [
    (da.cbrt, (0.0,), [np.inf]),  # rule 4: the limit, +inf
    (da.cbrt, (-8.0,), [1 / 12]),
    (da.sinc, (0.0,), [0.0]),  # removable singularity: the limit
    (da.copysign, (0.0, 1.0), [0.0, 0.0]),  # |x| at 0: min-norm subgradient
    (da.copysign, (0.0, -1.0), [0.0, 0.0]),  # -|x| at 0: min-norm supergradient
    (da.copysign, (2.0, -1.0), [-1.0, 0.0]),
    (da.heaviside, (0.0, 0.5), [0.0, 1.0]),  # the value there is h
    (da.heaviside, (1.0, 0.5), [0.0, 0.0]),
    (da.remainder, (2.0, 1.0), [1.0, -2.0]),  # a jump: the side the value is taken from
    (da.remainder, (-2.5, 2.0), [1.0, 2.0]),
    (da.fmod, (-2.5, 2.0), [1.0, 1.0]),
    (da.floor_divide, (2.5, 1.0), [0.0, 0.0]),
    (da.remainder, (1.0, 0.0), [np.nan, np.nan]),  # undefined (nan): rule 5
    (da.fmod, (1.0, 0.0), [np.nan, np.nan]),
    (da.fmax, (1.0, 1.0), [0.5, 0.5]),  # a tie, as maximum
    (da.fmin, (1.0, 1.0), [0.5, 0.5]),
    (da.fmax, (1.0, float("nan")), [1.0, 0.0]),  # nan ignored: the number wins
    (da.fmin, (float("nan"), 1.0), [0.0, 1.0]),
    (da.logaddexp2, (1.0, 1.0), [0.5, 0.5]),
    (da.float_power, (2.0, 3.0), [12.0, 8.0 * np.log(2.0)]),
])
def test_derivative_and_kink_conventions_in_both_modes(fn: Callable, point: tuple,
                                                       want: list) -> None:
    rev, fwd = _grads(fn, *point)
    np.testing.assert_allclose(rev, want, rtol=1e-12)
    np.testing.assert_allclose(fwd, want, rtol=1e-12)


def test_fmax_with_a_constant_at_a_tie_gives_x_zero_as_maximum() -> None:
    x = da.tensor(1.0, requires_grad=True)
    da.fmax(x, 1.0).backward()
    assert x.grad.item() == 0.0


def test_nan_to_num_derivative_is_one_where_finite_zero_where_replaced() -> None:
    x = da.tensor([1.0, np.nan, np.inf, -np.inf, -2.0], requires_grad=True)
    y = np.nan_to_num(x, posinf=5.0)
    assert y.detach().numpy()[2] == 5.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 0.0, 0.0, 1.0]


@pytest.mark.parametrize("v", [0.7, 0.15, 0.05, 1e-4])
def test_sinc_first_and_second_derivative(v: float) -> None:
    x = da.tensor(v, requires_grad=True)
    (g,) = da.autograd.grad(da.sinc(x), x, create_graph=True)
    (h,) = da.autograd.grad(g, x)
    p = np.pi * v
    assert np.isclose(g.item(), (np.cos(p) - np.sinc(v)) / v, rtol=1e-9, atol=1e-12)
    want = ((-p * p + 2.0) * np.sin(p) - 2.0 * p * np.cos(p)) / (np.pi * v ** 3)
    assert np.isclose(h.item(), want, rtol=1e-6)


def test_sinc_second_derivative_at_zero_is_the_limit() -> None:
    x = da.tensor(0.0, requires_grad=True)
    (g,) = da.autograd.grad(da.sinc(x), x, create_graph=True)
    (h,) = da.autograd.grad(g, x)
    assert g.item() == 0.0 and np.isclose(h.item(), -np.pi ** 2 / 3, rtol=1e-14)


def test_operators_mod_floordiv_divmod_are_numpys() -> None:
    x, y = np.array([5.5, -5.5, 3.0, -0.0]), np.array([2.0, 2.0, -2.0, 3.0])
    tx, ty = da.tensor(x, requires_grad=True), da.tensor(y)
    _same(tx % ty, x % y)
    _same(tx // ty, x // y)
    _same(7.0 % ty, 7.0 % y)
    _same(7.0 // ty, 7.0 // y)
    _same(tx % 2.0, x % 2.0)
    for (got_q, got_r), (q, r) in [(divmod(tx, ty), divmod(x, y)),
                                   (divmod(7.0, ty), divmod(7.0, y)),
                                   (np.divmod(tx, ty), np.divmod(x, y))]:
        _same(got_q, q)
        _same(got_r, r)
    (tx % ty).sum().backward()
    assert tx.grad.tolist() == [1.0, 1.0, 1.0, 1.0]
    z = da.tensor(y, requires_grad=True)
    (5.5 % z).sum().backward()  # d/dy = -floor(x / y)
    assert z.grad.tolist() == (-np.floor(5.5 / y)).tolist()


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_cumprod_diff_ediff1d_ptp_equal_numpy(axis: int | None) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 4))
    x[1, 2] = 0.0
    t = da.tensor(x)
    _same(np.cumprod(t, axis=axis), np.cumprod(x, axis=axis))
    _same(np.ptp(t, axis=axis), np.ptp(x, axis=axis))
    if axis is not None:
        _same(np.diff(t, axis=axis), np.diff(x, axis=axis))
        _same(np.diff(t, n=2, axis=axis, prepend=1.0, append=2.0),
              np.diff(x, n=2, axis=axis, prepend=1.0, append=2.0))
    _same(np.ediff1d(t, to_begin=[5.0], to_end=-1.0), np.ediff1d(x, to_begin=[5.0], to_end=-1.0))


def test_cumprod_gradient_is_right_at_zeros_in_both_modes() -> None:
    """d sum(cumprod(x)) / dx_i = sum over k >= i of the product of x[:k+1] without x_i."""
    x = np.array([2.0, 0.0, 3.0, 0.0, 0.5])
    want = [sum(np.prod(np.delete(x[:k + 1], i)) for k in range(i, x.size))
            for i in range(x.size)]
    assert da.gradcheck(lambda v: da.cumprod(v, 0), (da.tensor(x, requires_grad=True),))
    np.testing.assert_allclose(_vector_grads(lambda v: da.cumprod(v, 0).sum(), x), [want, want])


def _vector_grads(fn: Callable, x: np.ndarray) -> list:
    t = da.tensor(x, requires_grad=True)
    fn(t).backward()
    fwd = []
    for i in range(x.size):
        with fwAD.dual_level():
            e = np.zeros_like(x)
            e[i] = 1.0
            fwd.append(fwAD.unpack_dual(fn(fwAD.make_dual(da.tensor(x), da.tensor(e)))
                                        ).tangent.item())
    return [t.grad.tolist(), fwd]


def test_diff_and_ptp_gradients() -> None:
    x = np.array([1.0, 4.0, 2.0, 8.0])
    np.testing.assert_allclose(_vector_grads(lambda v: (da.diff(v) * da.tensor([1.0, 2.0, 3.0])
                                                        ).sum(), x), [[-1, -1, -1, 3]] * 2)
    np.testing.assert_allclose(_vector_grads(lambda v: da.ptp(v), x), [[-1, 0, 0, 1]] * 2)


@pytest.mark.parametrize("name", ["nansum", "nanprod", "nanmean", "nanmax", "nanmin", "nanvar",
                                  "nanstd"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_nan_reductions_equal_numpy_and_skip_nan_in_the_gradient(name: str,
                                                                  axis: int | None) -> None:
    x = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan], [2.0, -1.0, 0.5]]).T
    np_fn = getattr(np, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = np_fn(x, axis=axis)
        t = da.tensor(x, requires_grad=True)
        got = np_fn(t, axis=axis)
    _same(got, want)
    da.nansum(got).backward()
    assert np.all(t.grad.numpy()[np.isnan(x)] == 0.0)
    spaced = np.array([[1.0, np.nan, 2.0], [3.0, 0.5, np.nan], [-1.0, 2.5, 0.7]])
    assert da.gradcheck(lambda v: getattr(da, name)(v, axis=axis),
                        (da.tensor(spaced, requires_grad=True),))


def test_average_and_trapezoid_equal_numpy_with_gradients() -> None:
    rng = np.random.default_rng(4)
    a, w, xs = rng.normal(size=(3, 4)), rng.uniform(0.5, 2.0, 4), np.cumsum(rng.uniform(0.1, 1, 4))
    ta, tw, tx = (da.tensor(v, requires_grad=True) for v in (a, w, xs))
    _same(np.average(ta), np.average(a))
    _same(np.average(ta, axis=1, weights=tw), np.average(a, axis=1, weights=w))
    got, scl = np.average(ta, axis=1, weights=w, returned=True)
    want, wscl = np.average(a, axis=1, weights=w, returned=True)
    _same(got, want)
    _same(scl, wscl)
    _same(np.average(ta, axis=0, returned=True)[1], np.average(a, axis=0, returned=True)[1])
    _same(np.trapezoid(ta), np.trapezoid(a))
    _same(np.trapezoid(ta, x=tx), np.trapezoid(a, x=xs))
    _same(np.trapezoid(ta, dx=0.3, axis=0), np.trapezoid(a, dx=0.3, axis=0))
    assert da.gradcheck(lambda v, u: da.average(v, axis=1, weights=u), (ta, tw))
    assert da.gradcheck(lambda v, u: da.trapezoid(v, x=u), (ta, tx))


def test_polyval_and_gradient_equal_numpy_with_gradients() -> None:
    rng = np.random.default_rng(5)
    p, x, f = rng.normal(size=4), rng.normal(size=5), rng.normal(size=(4, 5))
    tp, tx, tf = (da.tensor(v, requires_grad=True) for v in (p, x, f))
    np.testing.assert_allclose(np.polyval(tp, tx).detach().numpy(), np.polyval(p, x),
                               rtol=1e-14)
    np.testing.assert_allclose(np.polyval(list(p), tx).detach().numpy(), np.polyval(p, x),
                               rtol=1e-14)
    for got, want in zip(np.gradient(tf, 0.5), np.gradient(f, 0.5)):
        np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-14)
    np.testing.assert_allclose(np.gradient(tf, axis=1).detach().numpy(), np.gradient(f, axis=1),
                               rtol=1e-14)
    assert da.gradcheck(lambda a, b: da.polyval(a, b), (tp, tx))
    assert da.gradcheck(lambda a: da.gradient(a, 2.0, axis=0), (tf,))


@pytest.mark.parametrize("n,m", [(5, 3), (3, 5), (4, 4), (1, 3)])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_convolve_and_correlate_equal_numpy_with_gradients(n: int, m: int, mode: str) -> None:
    rng = np.random.default_rng(n * 10 + m)
    a, v = rng.normal(size=n), rng.normal(size=m)
    ta, tv = da.tensor(a, requires_grad=True), da.tensor(v, requires_grad=True)
    for np_fn, fn in ((np.convolve, da.convolve), (np.correlate, da.correlate)):
        np.testing.assert_allclose(np_fn(ta, tv, mode).detach().numpy(), np_fn(a, v, mode),
                                   rtol=1e-12, atol=1e-14)
        assert da.gradcheck(lambda x, y, f=fn: f(x, y, mode), (ta, tv))


@pytest.mark.parametrize("fn, values, axis, expected", [
    # a nan stood in for by x - 1 tied with a large x (-1e300 - 1 == -1e300), or by -inf
    # with -inf, and took half of the gradient: the sum of the gradient was 0.5, not 1
    (da.nanmax, [-1e300, np.nan], None, [1.0, 0.0]),
    (da.nanmax, [-np.inf, np.nan], None, [1.0, 0.0]),
    (da.nanmin, [1e300, np.nan], None, [1.0, 0.0]),
    (da.nanmin, [np.inf, np.nan, np.inf], None, [0.5, 0.0, 0.5]),
    (da.nanmax, [[-1e300, np.nan], [2.0, np.nan]], 1, [[1.0, 0.0], [1.0, 0.0]]),
])
def test_a_nan_never_takes_a_share_of_the_nan_extremum_gradient(fn, values, axis, expected):
    x = da.tensor(values, requires_grad=True)
    fn(x, axis=axis).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), expected)

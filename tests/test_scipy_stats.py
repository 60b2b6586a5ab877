"""dualad.scipy.stats against SciPy's values and finite differences, at and beyond the
support boundaries, in every continuous parameter."""

from __future__ import annotations

import numpy as np
import pytest

import dualad as da
from dualad import forward_ad as fwAD
from dualad.scipy import stats

ss = pytest.importorskip("scipy.stats")

RNG = np.random.default_rng(2121)
METHODS = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")
DISCRETE_METHODS = ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf")

# name -> (shape parameters, x values: inside, on and outside the support)
CONTINUOUS = {
    "norm": ((), RNG.normal(size=8) * 3),
    "t": ((3.5,), RNG.normal(size=8) * 3),
    "cauchy": ((), RNG.normal(size=8) * 3),
    "laplace": ((), np.concatenate([RNG.normal(size=8) * 3, [0.1, 40.0, -40.0]])),
    "logistic": ((), np.concatenate([RNG.normal(size=8) * 3, [50.0, -50.0]])),
    "expon": ((), np.concatenate([RNG.uniform(-1, 5, size=8), [0.1]])),
    "gamma": ((2.3,), np.concatenate([RNG.uniform(-1, 5, size=8), [0.1]])),
    "beta": ((2.0, 3.5), np.concatenate([RNG.uniform(-0.2, 1.5, size=8), [0.1, 1.4]])),
    "chi2": ((3.0,), np.concatenate([RNG.uniform(-1, 5, size=8), [0.1]])),
    "lognorm": ((0.7,), np.concatenate([RNG.uniform(-1, 5, size=8), [0.1]])),
    "uniform": ((), np.concatenate([RNG.uniform(-0.5, 2.0, size=8), [0.1, 1.4]])),
}
DISCRETE = {
    "poisson": ((2.5,), np.array([-1.0, 0.0, 1.0, 2.0, 2.5, 3.0, 7.0, 40.0])),
    "binom": ((7, 0.3), np.array([-1.0, 0.0, 1.0, 2.0, 2.5, 6.0, 7.0, 8.0])),
    "nbinom": ((3.5, 0.4), np.array([-1.0, 0.0, 1.0, 2.0, 2.5, 6.0, 7.0, 30.0])),
    "bernoulli": ((0.3,), np.array([-1.0, 0.0, 0.5, 1.0, 2.0])),
    "geom": ((0.35,), np.array([-1.0, 0.0, 1.0, 2.0, 2.5, 6.0])),
}


def test_every_distribution_is_checked_here():
    assert set(stats.__all__) == set(CONTINUOUS) | set(DISCRETE) | {"dirichlet",
                                                                    "multivariate_normal"}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_values_match_scipy(name, method):
    shapes, x = CONTINUOUS[name]
    loc, scale = 0.3, 1.7
    x = loc + scale * x  # the support boundaries in x
    ours = getattr(getattr(stats, name), method)(da.tensor(x), *shapes, loc=loc, scale=scale)
    theirs = getattr(getattr(ss, name), method)(x, *shapes, loc=loc, scale=scale)
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-11, atol=1e-300)
    # positional loc and scale, as SciPy allows
    again = getattr(getattr(stats, name), method)(x, *shapes, loc, scale)
    np.testing.assert_array_equal(again.numpy(), ours.numpy())


@pytest.mark.parametrize("method", DISCRETE_METHODS)
@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_discrete_values_match_scipy(name, method):
    shapes, k = DISCRETE[name]
    ours = getattr(getattr(stats, name), method)(k, *shapes)
    theirs = getattr(getattr(ss, name), method)(k, *shapes)
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-11, atol=1e-300)
    shifted = getattr(getattr(stats, name), method)(k + 2.0, *shapes, loc=2.0)
    np.testing.assert_array_equal(shifted.numpy(), ours.numpy())


def test_invalid_parameters_give_nan_as_in_scipy():
    with np.errstate(invalid="ignore"):
        for got, ref in [
            (stats.norm.logpdf(0.5, scale=-1.0), ss.norm.logpdf(0.5, scale=-1.0)),
            (stats.t.cdf(0.5, -2.0), ss.t.cdf(0.5, -2.0)),
            (stats.gamma.logpdf(0.5, 0.0), ss.gamma.logpdf(0.5, 0.0)),
            (stats.poisson.logpmf(2.0, -1.0), ss.poisson.logpmf(2.0, -1.0)),
            (stats.binom.pmf(2.0, 5, 1.5), ss.binom.pmf(2.0, 5, 1.5)),
            (stats.norm.logpdf(np.nan), ss.norm.logpdf(np.nan)),
        ]:
            assert np.isnan(got.item()) and np.isnan(ref)


def _parameters(name: str) -> tuple:
    shapes, _ = CONTINUOUS[name]
    return tuple(float(s) for s in shapes) + (0.3, 1.7)


@pytest.mark.parametrize("method", ["logpdf", "cdf", "logcdf", "sf", "logsf"])
@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_gradients_in_the_data_and_every_parameter(name, method):
    """Reverse and forward mode against central differences, in x, loc, scale and (logpdf)
    the shape parameters, at points inside the support."""
    dist = getattr(stats, name)
    params = _parameters(name)
    n_shapes = len(params) - 2
    low, high = {"beta": (0.15, 0.85), "uniform": (0.15, 0.85)}.get(name, (0.2, 3.0))
    z = RNG.uniform(low, high, size=4) * (1 if name in ("expon", "gamma", "chi2", "lognorm",
                                                        "beta", "uniform") else
                                          RNG.choice([-1.0, 1.0], size=4))
    x = da.tensor(params[-2] + params[-1] * z, requires_grad=True)
    shape_diff = method == "logpdf"  # cdfs are differentiable in the shapes only via logpdf
    inputs = [da.tensor(p, requires_grad=shape_diff or i >= n_shapes)
              for i, p in enumerate(params)]

    def f(x, *ps):
        *shapes, loc, scale = ps
        return getattr(dist, method)(x, *shapes, loc=loc, scale=scale)

    assert da.gradcheck(f, (x, *inputs), atol=1e-7, rtol=1e-6)
    if method in ("logpdf", "logcdf"):
        assert da.gradgradcheck(f, (x, *inputs), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("method", ["logpmf", "cdf", "sf"])
@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_discrete_gradients_in_the_parameters(name, method):
    shapes, k = DISCRETE[name]
    high = {"binom": shapes[0] - 1, "bernoulli": 1}.get(name, 30)
    k = k[(k >= 1) & (k == np.floor(k)) & (k <= high)]
    dist = getattr(stats, name)
    # binom's n is a count (constant); nbinom's n is continuous (in logpmf)
    diff = [not (name == "binom" and i == 0) and not (method != "logpmf" and name == "nbinom"
                                                      and i == 0)
            for i in range(len(shapes))]
    inputs = [da.tensor(float(s), requires_grad=d) for s, d in zip(shapes, diff)]
    assert da.gradcheck(lambda *ps: getattr(dist, method)(k, *ps), tuple(inputs),
                        atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("name", ["expon", "gamma", "beta", "chi2", "lognorm", "uniform"])
def test_outside_the_support_logpdf_is_minus_inf_with_zero_gradient(name):
    params = _parameters(name)
    outside = [params[-2] - 1.0] + ([params[-2] + 2.0 * params[-1]]
                                    if name in ("beta", "uniform") else [])
    dist = getattr(stats, name)
    for value in outside:
        x = da.tensor(value, requires_grad=True)
        ps = [da.tensor(p, requires_grad=True) for p in params]
        out = dist.logpdf(x, *ps[:-2], loc=ps[-2], scale=ps[-1])
        assert out.item() == -np.inf
        grads = da.autograd.grad(out, [x, *ps], allow_unused=True)
        for g in grads:
            assert g is None or g.item() == 0.0  # not nan
        cdf = dist.cdf(x, *[p.detach() for p in ps[:-2]], loc=ps[-2], scale=ps[-1])
        assert cdf.item() in (0.0, 1.0)
        assert all(g is None or g.item() == 0.0
                   for g in da.autograd.grad(cdf, [x, ps[-2], ps[-1]], allow_unused=True))
    # forward mode too
    with fwAD.dual_level():
        x = fwAD.make_dual(da.tensor(params[-2] - 1.0), da.tensor(1.0))
        tangent = fwAD.unpack_dual(dist.logpdf(x, *params)).tangent
        assert tangent is None or tangent.item() == 0.0


def test_discrete_off_support_is_minus_inf_with_zero_gradient():
    p = da.tensor(0.3, requires_grad=True)
    out = stats.binom.logpmf(np.array([-1.0, 2.5, 9.0]), 7, p)
    assert out.tolist() == [-np.inf] * 3
    (g,) = da.autograd.grad(out.sum(), p)
    assert g.item() == 0.0


def test_logpdf_gradients_are_the_closed_forms():
    # norm: d/dmu = (x - mu)/s**2, d/ds = ((x - mu)**2 - s**2)/s**3
    x, mu, s = 1.3, -0.4, 0.8
    m, sd = da.tensor(mu, requires_grad=True), da.tensor(s, requires_grad=True)
    stats.norm.logpdf(x, m, sd).backward()
    assert m.grad.item() == pytest.approx((x - mu) / s ** 2, rel=1e-14)
    assert sd.grad.item() == pytest.approx(((x - mu) ** 2 - s ** 2) / s ** 3, rel=1e-14)
    # t in df against SciPy's digamma: d/dnu log t(x; nu)
    from scipy.special import digamma
    nu = 4.2
    df = da.tensor(nu, requires_grad=True)
    stats.t.logpdf(x, df).backward()
    expected = 0.5 * (digamma((nu + 1) / 2) - digamma(nu / 2)) - 0.5 / nu \
        - 0.5 * np.log1p(x * x / nu) + (nu + 1) / 2 * x * x / (nu * nu + nu * x * x)
    assert df.grad.item() == pytest.approx(expected, rel=1e-12)


def test_shape_parameters_without_a_cdf_derivative_raise():
    a = da.tensor(2.0, requires_grad=True)
    with pytest.raises(ValueError, match="stats.gamma.cdf: no derivative with respect to the "
                                         "shape parameter a"):
        stats.gamma.cdf(1.0, a)
    with pytest.raises(ValueError, match="stats.t.sf: .* shape parameter df"):
        stats.t.sf(1.0, a)
    with pytest.raises(ValueError, match="stats.binom.cdf: .* shape parameter n"):
        stats.binom.cdf(1.0, a, 0.5)
    with pytest.raises(ValueError, match="poisson.logpmf: k is a count"):
        stats.poisson.logpmf(a, 1.0)
    assert stats.gamma.logpdf(1.0, a).requires_grad  # logpdf is differentiable in it


def test_argument_errors_name_the_function():
    with pytest.raises(TypeError, match="stats.t.logpdf\\(\\) is missing the shape parameter"):
        stats.t.logpdf(1.0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'mu'"):
        stats.norm.logpdf(1.0, mu=2.0)
    with pytest.raises(TypeError, match="multiple values for argument 'loc'"):
        stats.norm.logpdf(1.0, 0.0, loc=1.0)
    with pytest.raises(TypeError, match="at most 3 positional"):
        stats.norm.cdf(1.0, 0.0, 1.0, 2.0)


def test_dirichlet_matches_scipy_and_finite_differences():
    alpha = np.array([1.5, 2.0, 3.2])
    x = RNG.dirichlet(alpha, size=5).T  # components along the first axis (SciPy's layout)
    np.testing.assert_allclose(stats.dirichlet.logpdf(x, alpha).numpy(),
                               ss.dirichlet.logpdf(x, alpha), rtol=1e-13)
    np.testing.assert_allclose(stats.dirichlet.pdf(x[:2, 0], alpha).numpy(),
                               ss.dirichlet.pdf(x[:2, 0], alpha), rtol=1e-13)
    a = da.tensor(alpha, requires_grad=True)
    xs = da.tensor(x[:2], requires_grad=True)  # the last component is 1 - the others
    assert da.gradcheck(lambda xs, a: stats.dirichlet.logpdf(xs, a), (xs, a))
    assert da.gradgradcheck(lambda xs, a: stats.dirichlet.logpdf(xs, a), (xs, a))
    with pytest.raises(ValueError, match="dirichlet: x must lie in the simplex"):
        stats.dirichlet.logpdf([0.2, 0.3, 0.6], alpha)
    with pytest.raises(ValueError, match="alpha must be a 1-d array"):
        stats.dirichlet.logpdf([0.2, 0.8], [1.0, -1.0])


@pytest.mark.parametrize("cov_kind", ["matrix", "diagonal", "number"])
def test_multivariate_normal_matches_scipy_and_finite_differences(cov_kind):
    d = 3
    a = RNG.normal(size=(d, d))
    cov = {"matrix": a @ a.T + d * np.eye(d), "diagonal": RNG.uniform(0.5, 2.0, size=d),
           "number": 1.7}[cov_kind]
    mean = RNG.normal(size=d)
    x = RNG.normal(size=(4, d))
    np.testing.assert_allclose(
        stats.multivariate_normal.logpdf(x, mean, cov).numpy(),
        ss.multivariate_normal.logpdf(x, mean, cov if cov_kind != "diagonal" else np.diag(cov)),
        rtol=1e-12)
    inputs = (da.tensor(x, requires_grad=True), da.tensor(mean, requires_grad=True),
              da.tensor(cov, requires_grad=True))
    f = stats.multivariate_normal.logpdf
    assert da.gradcheck(f, inputs)
    assert da.gradgradcheck(f, inputs)


def test_multivariate_normal_cov_gradient_is_the_closed_form():
    cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    x, mean = np.array([0.4, -1.2]), np.array([0.1, 0.2])
    c = da.tensor(cov, requires_grad=True)
    stats.multivariate_normal.logpdf(x, mean, c).backward()
    inv = np.linalg.inv(cov)
    r = (x - mean)[:, None]
    np.testing.assert_allclose(c.grad.numpy(), -0.5 * (inv - inv @ r @ r.T @ inv), rtol=1e-13)
    with pytest.raises(ValueError, match="cov must be symmetric positive definite"):
        stats.multivariate_normal.logpdf(x, mean, [[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="allow_singular=True is not supported"):
        stats.multivariate_normal.logpdf(x, mean, cov, allow_singular=True)


def test_transforms_hessian_of_a_likelihood():
    """func.hessian (forward over reverse), jacrev of jacrev and differences of func.grad
    agree on the Hessian of a Student-t negative log-likelihood in (log df, loc, log scale)."""
    from dualad import func

    y = np.array([0.3, -1.2, 2.5, 0.7, 9.0])

    def nll(p):
        return -stats.t.logpdf(y, da.exp(p[0]), loc=p[1], scale=da.exp(p[2])).sum()

    p0 = np.array([1.0, 0.2, -0.3])
    hessian = func.hessian(nll)(da.tensor(p0)).numpy()
    np.testing.assert_allclose(func.jacrev(func.jacrev(nll))(da.tensor(p0)).numpy(), hessian,
                               rtol=1e-12, atol=1e-12)
    h = 1e-5
    grad = func.grad(nll)
    numeric = np.stack([(grad(da.tensor(p0 + h * e)).numpy() - grad(da.tensor(p0 - h * e)).numpy())
                        / (2 * h) for e in np.eye(3)])
    np.testing.assert_allclose(hessian, numeric, rtol=1e-6, atol=1e-7)


def test_regression_laplace_cdf_slope_at_the_location():
    # the two halves were cut with minimum(z, 0) and maximum(z, 0), whose slope at the tie
    # z = 0 is 0 (the kink convention), so cdf'(loc) came out 0 instead of pdf(loc) = 1/2
    for method, expected in (("cdf", 0.5), ("sf", -0.5), ("logcdf", 1.0), ("logsf", -1.0)):
        x = da.tensor(0.7, requires_grad=True)
        getattr(stats.laplace, method)(x, loc=0.7).backward()
        assert x.grad.item() == pytest.approx(expected, rel=1e-15), method

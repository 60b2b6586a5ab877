"""dualad.scipy.signal and dualad.scipy.interpolate against SciPy's values, derivatives in
both modes against finite differences (da.gradcheck), second order, and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import dualad as da
from dualad.scipy import interpolate, signal

ss = pytest.importorskip("scipy.signal")
si = pytest.importorskip("scipy.interpolate")

SHAPES = [((7,), (3,)), ((3,), (6,)), ((4,), (4,)), ((6,), (1,)), ((4, 5), (2, 3)),
          ((2, 3), (4, 5)), ((2, 5), (3, 2)), ((3, 4, 2), (2, 2, 2))]


def _pair(s1, s2, seed=0):
    rng = np.random.default_rng(seed + len(s1) * 10 + s1[0])
    return rng.normal(size=s1), rng.normal(size=s2)


def _ref(fn, a, b, mode, **kw):
    try:
        return getattr(ss, fn)(a, b, mode=mode, **kw)
    except ValueError:
        return None


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_nd_convolution_matches_scipy(shapes, mode):
    a, b = _pair(*shapes)
    for fn in ("convolve", "correlate"):
        ref = _ref(fn, a, b, mode)
        if ref is None:  # SciPy refuses: so must dualad
            with pytest.raises(ValueError, match="'valid' mode"):
                getattr(signal, fn)(a, b, mode=mode)
            continue
        for method in ("direct", "fft", "auto"):
            got = getattr(signal, fn)(a, b, mode=mode, method=method).numpy()
            assert got.shape == ref.shape
            np.testing.assert_allclose(got, ref, atol=1e-12)
    ref = _ref("fftconvolve", a, b, mode)
    if ref is not None:
        np.testing.assert_allclose(signal.fftconvolve(a, b, mode=mode).numpy(), ref, atol=1e-12)


@pytest.mark.parametrize("shapes", [s for s in SHAPES if len(s[0]) == 2], ids=str)
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("fillvalue", [0.0, 1.5])
def test_2d_matches_scipy(shapes, mode, fillvalue):
    a, b = _pair(*shapes)
    for fn in ("convolve2d", "correlate2d"):
        ref = _ref(fn, a, b, mode, fillvalue=fillvalue)
        if ref is None:
            continue
        got = getattr(signal, fn)(a, b, mode=mode, fillvalue=fillvalue).numpy()
        assert got.shape == ref.shape
        np.testing.assert_allclose(got, ref, atol=1e-12)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("fn", ["convolve", "correlate", "fftconvolve"])
def test_convolution_gradients_both_modes(mode, fn):
    a, b = _pair((4, 3), (2, 2), seed=3)
    f = getattr(signal, fn)
    assert da.gradcheck(lambda x, y: f(x, y, mode=mode),
                        (da.tensor(a, requires_grad=True), da.tensor(b, requires_grad=True)))


def test_second_order_and_fillvalue_gradient():
    a, b = _pair((5,), (3,), seed=4)
    args = (da.tensor(a, requires_grad=True), da.tensor(b, requires_grad=True))
    assert da.gradgradcheck(lambda x, y: signal.convolve(x, y, mode="same"), args)
    assert da.gradgradcheck(lambda x, y: signal.fftconvolve(x, y), args)
    a2, b2 = _pair((3, 3), (2, 2), seed=5)
    assert da.gradcheck(lambda x, y, c: signal.correlate2d(x, y, mode="same", fillvalue=c),
                        (da.tensor(a2, requires_grad=True), da.tensor(b2, requires_grad=True),
                         da.tensor(0.7, requires_grad=True)))


def test_conv1d_against_torch():
    torch = pytest.importorskip("torch")
    a, b = _pair((9,), (4,), seed=6)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    # torch's conv1d is a correlation; padding k-1 gives the full output
    out = torch.nn.functional.conv1d(ta[None, None], tb[None, None], padding=3)[0, 0]
    (out ** 2).sum().backward()
    x, y = da.tensor(a, requires_grad=True), da.tensor(b, requires_grad=True)
    got = signal.correlate(x, y)
    np.testing.assert_allclose(got.detach().numpy(), out.detach().numpy(), atol=1e-12)
    da.sum(got ** 2).backward()
    np.testing.assert_allclose(x.grad.numpy(), ta.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), tb.grad.numpy(), atol=1e-12)


def test_signal_clear_errors():
    with pytest.raises(ValueError, match="mode='circular'"):
        signal.convolve(np.ones(3), np.ones(2), mode="circular")
    with pytest.raises(ValueError, match="boundary='wrap' is not supported"):
        signal.convolve2d(np.ones((3, 3)), np.ones((2, 2)), boundary="wrap")
    with pytest.raises(ValueError, match="same number of dimensions"):
        signal.convolve(np.ones(3), np.ones((2, 2)))
    with pytest.raises(ValueError, match="method='overlap'"):
        signal.convolve(np.ones(3), np.ones(2), method="overlap")
    with pytest.raises(TypeError, match="complex"):
        signal.convolve(np.ones(3) + 1j, np.ones(2))


# -------------------------------------------------------------------- interpolate
@pytest.mark.parametrize("fill", [np.nan, 1.5, (-1.0, 2.0), "extrapolate"], ids=str)
def test_interp1d_matches_scipy(fill):
    rng = np.random.default_rng(8)
    x = rng.uniform(0.0, 5.0, 7)  # unsorted
    y = rng.normal(size=(3, 7, 2))
    q = rng.uniform(-1.0, 6.0, (4, 5))
    bounds = None if fill == "extrapolate" else False
    ref = si.interp1d(x, y, axis=1, bounds_error=bounds, fill_value=fill)(q)
    got = interpolate.interp1d(x, y, axis=1, bounds_error=bounds, fill_value=fill)(q).numpy()
    np.testing.assert_allclose(got, ref, atol=1e-13)
    ref = si.interp1d(x, y[0, :, 0], bounds_error=bounds, fill_value=fill)(q)
    got = interpolate.interp1d(x, y[0, :, 0], bounds_error=bounds, fill_value=fill)(q).numpy()
    np.testing.assert_allclose(got, ref, atol=1e-13)


def test_interp1d_gradients_in_values_points_and_queries():
    rng = np.random.default_rng(9)
    x = np.sort(rng.uniform(0.0, 5.0, 6))
    y = rng.normal(size=(6, 2))
    q = np.array([0.3, 1.7, 2.9, 4.1, -0.5, 6.0])

    def f(xs, ys, qs):
        return interpolate.interp1d(xs, ys, axis=0, fill_value="extrapolate")(qs)

    args = tuple(da.tensor(v, requires_grad=True) for v in (x, y, q))
    assert da.gradcheck(f, args)
    assert da.gradgradcheck(f, args)
    # the slope in the query is the segment's, zero outside with a constant fill
    xq = da.tensor(np.array([x[0] - 1.0, 0.5 * (x[1] + x[2])]), requires_grad=True)
    da.sum(interpolate.interp1d(x, y[:, 0], bounds_error=False, fill_value=0.0)(xq)).backward()
    np.testing.assert_allclose(xq.grad.numpy(),
                               [0.0, (y[2, 0] - y[1, 0]) / (x[2] - x[1])], rtol=1e-12)


def test_interp1d_clear_errors():
    f = interpolate.interp1d([0.0, 1.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="above the interpolation range"):
        f(2.0)
    with pytest.raises(ValueError, match="kind='cubic'"):
        interpolate.interp1d([0.0, 1.0], [0.0, 1.0], kind="cubic")
    with pytest.raises(ValueError, match="distinct"):
        interpolate.interp1d([0.0, 0.0, 1.0], [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="x has 3 points but y has 2"):
        interpolate.interp1d([0.0, 0.5, 1.0], [0.0, 1.0])

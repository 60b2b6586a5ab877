"""np.fft on Tensors: values against NumPy, derivatives against finite differences on real
and imaginary coordinates (gradcheck) and against torch.fft (when installed), both modes."""

from __future__ import annotations

import numpy as np
import pytest

import dualad as da
from dualad import func

RNG = np.random.default_rng(3)
X = RNG.normal(size=(3, 6))
Z = X + 1j * RNG.normal(size=(3, 6))

# (name, dualad call, NumPy call, input): every function with n/s, axis/axes, norm
CASES = [
    ("fft", lambda f, a: f.fft(a), Z),
    ("fft-real-input", lambda f, a: f.fft(a), X),
    ("fft-n-pad-ortho", lambda f, a: f.fft(a, 8, 0, "ortho"), Z),
    ("fft-n-crop-forward", lambda f, a: f.fft(a, 4, norm="forward"), Z),
    ("ifft", lambda f, a: f.ifft(a), Z),
    ("ifft-n-ortho", lambda f, a: f.ifft(a, 7, axis=1, norm="ortho"), Z),
    ("rfft", lambda f, a: f.rfft(a), X),
    ("rfft-n-odd-ortho", lambda f, a: f.rfft(a, 5, 0, "ortho"), X),
    ("rfft-n-forward", lambda f, a: f.rfft(a, 9, norm="forward"), X),
    ("irfft", lambda f, a: f.irfft(a), Z),
    ("irfft-n-odd", lambda f, a: f.irfft(a, 7, norm="ortho"), Z),
    ("irfft-axis0", lambda f, a: f.irfft(a, 3, axis=0, norm="forward"), Z),
    ("hfft", lambda f, a: f.hfft(a), Z),
    ("hfft-n-ortho", lambda f, a: f.hfft(a, 9, norm="ortho"), Z),
    ("ihfft", lambda f, a: f.ihfft(a), X),
    ("ihfft-n-forward", lambda f, a: f.ihfft(a, 5, norm="forward"), X),
    ("fft2", lambda f, a: f.fft2(a), Z),
    ("ifft2-s", lambda f, a: f.ifft2(a, s=(4, 5)), Z),
    ("fftn-ortho", lambda f, a: f.fftn(a, norm="ortho"), Z),
    ("ifftn-axes", lambda f, a: f.ifftn(a, axes=(0,)), Z),
    ("rfftn", lambda f, a: f.rfftn(a), X),
    ("rfftn-s", lambda f, a: f.rfftn(a, s=(2, 7), axes=(0, 1)), X),
    ("irfftn", lambda f, a: f.irfftn(a), Z),
    ("irfftn-s-forward", lambda f, a: f.irfftn(a, s=(4, 9), axes=(0, 1), norm="forward"), Z),
    ("fftshift", lambda f, a: f.fftshift(a), Z),
    ("fftshift-axis", lambda f, a: f.fftshift(a, axes=0), X),
    ("ifftshift", lambda f, a: f.ifftshift(a, axes=(1,)), Z),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize(("name", "call", "a"), CASES, ids=IDS)
def test_values_match_numpy_and_dispatch(name: str, call, a: np.ndarray) -> None:
    want = call(np.fft, a)
    got = call(da.fft, da.tensor(a))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)
    assert got.dtype.kind == want.dtype.kind
    dispatched = call(np.fft, da.tensor(a))  # np.fft.<name>(tensor): __array_function__
    assert isinstance(dispatched, da.Tensor)
    np.testing.assert_allclose(dispatched.numpy(), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("name", "call", "a"), CASES, ids=IDS)
def test_gradcheck_both_modes(name: str, call, a: np.ndarray) -> None:
    # real and imaginary parts of inputs and outputs as separate real coordinates
    small = a[:2, :4]
    assert da.gradcheck(lambda t: call(da.fft, t), da.tensor(small, requires_grad=True))


@pytest.mark.parametrize("name", ["fft", "rfft", "irfft-n-odd", "hfft", "rfftn-s"])
def test_second_order(name: str) -> None:
    call, a = next((c, a) for n, c, a in CASES if n == name)
    f = lambda t: da.abs(call(da.fft, t)) ** 2  # noqa: E731  (a nonlinear function of it)
    assert da.gradgradcheck(f, da.tensor(a[:2, :4], requires_grad=True))


def test_parseval_gradient_closed_form() -> None:
    # sum |fft(x)|^2 = n sum |x|^2, so the gradient is 2 n x (PyTorch's convention)
    z = da.tensor(Z[0], requires_grad=True)
    (da.abs(da.fft.fft(z)) ** 2).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), 2 * 6 * Z[0], rtol=1e-12)
    # rfft keeps half the spectrum: the gradient weighs the bins as rfft does
    x = da.tensor([1.0, 2.0, 0.5, -1.0], requires_grad=True)
    (da.abs(da.fft.rfft(x)) ** 2).sum().backward()
    # |X0|^2 + |X1|^2 + |X2|^2 for n = 4, by hand: X0 = sum x, X2 = alternating sum,
    # |X1|^2 = (x0 - x2)^2 + (x1 - x3)^2
    x0, x1, x2, x3 = 1.0, 2.0, 0.5, -1.0
    s, alt = x0 + x1 + x2 + x3, x0 - x1 + x2 - x3
    want = [2 * s + 2 * alt + 2 * (x0 - x2), 2 * s - 2 * alt + 2 * (x1 - x3),
            2 * s + 2 * alt - 2 * (x0 - x2), 2 * s - 2 * alt - 2 * (x1 - x3)]
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12)


def test_bad_arguments_raise_clearly() -> None:
    x = da.tensor(X)
    with pytest.raises(ValueError, match="fft.fft: norm='unitary' is not one of"):
        da.fft.fft(x, norm="unitary")
    with pytest.raises(ValueError, match="fft.rfft: invalid number of data points \\(0\\)"):
        da.fft.rfft(x, 0)
    with pytest.raises(TypeError, match="fft.rfft: the input is complex"):
        da.fft.rfft(da.tensor(Z))
    with pytest.raises(TypeError, match="fft.ihfft: the input is complex"):
        da.fft.ihfft(da.tensor(Z))
    with pytest.raises(ValueError, match="s=\\(4,\\) and axes=\\(0, 1\\) must have the same"):
        da.fft.fftn(x, s=(4,), axes=(0, 1))
    with pytest.raises(np.exceptions.AxisError, match="axis 2 is out of bounds"):
        da.fft.fft(x, axis=2)
    with pytest.raises(TypeError, match="fft.fft: s must be an int, got 2.5"):
        da.fft.fft(x, 2.5)


def test_ops_are_registered_and_marked_complex() -> None:
    for name in ("fft_c2c", "fft_resize"):
        assert da.registry.get(name).accepts_complex


# ------------------------------------------------------------------ PyTorch

TORCH = {
    "fft": lambda t, a: t.fft.fft(a),
    "fft-n-pad-ortho": lambda t, a: t.fft.fft(a, 8, 0, "ortho"),
    "ifft-n-ortho": lambda t, a: t.fft.ifft(a, 7, 1, "ortho"),
    "rfft": lambda t, a: t.fft.rfft(a),
    "rfft-n-odd-ortho": lambda t, a: t.fft.rfft(a, 5, 0, "ortho"),
    "irfft": lambda t, a: t.fft.irfft(a),
    "irfft-n-odd": lambda t, a: t.fft.irfft(a, 7, norm="ortho"),
    "irfft-axis0": lambda t, a: t.fft.irfft(a, 3, dim=0, norm="forward"),
    "hfft": lambda t, a: t.fft.hfft(a),
    "hfft-n-ortho": lambda t, a: t.fft.hfft(a, 9, norm="ortho"),
    "ihfft": lambda t, a: t.fft.ihfft(a),
    "ihfft-n-forward": lambda t, a: t.fft.ihfft(a, 5, norm="forward"),
    "fft2": lambda t, a: t.fft.fft2(a), "ifft2-s": lambda t, a: t.fft.ifft2(a, s=(4, 5)),
    "rfftn": lambda t, a: t.fft.rfftn(a), "rfftn-s": lambda t, a: t.fft.rfftn(a, s=(2, 7)),
    "irfftn": lambda t, a: t.fft.irfftn(a),
    "irfftn-s-forward": lambda t, a: t.fft.irfftn(a, s=(4, 9), norm="forward"),
    "fftshift": lambda t, a: t.fft.fftshift(a),
}


@pytest.mark.parametrize("name", sorted(TORCH))
def test_against_torch(name: str) -> None:
    torch = pytest.importorskip("torch")
    call, a = next((c, a) for n, c, a in CASES if n == name)
    ad, at = da.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    od, ot = call(da.fft, ad), TORCH[name](torch, at)
    g = RNG.normal(size=od.shape) + (1j * RNG.normal(size=od.shape) if od.is_complex() else 0)
    od.backward(da.tensor(g))
    ot.backward(torch.tensor(g))
    np.testing.assert_allclose(ad.grad.numpy(), at.grad.resolve_conj().numpy(), rtol=1e-10,
                               atol=1e-12)
    v = RNG.normal(size=a.shape) + (1j * RNG.normal(size=a.shape) if np.iscomplexobj(a) else 0)
    _, td = func.jvp(lambda t: call(da.fft, t), (da.tensor(a),), (da.tensor(v),))
    _, tt = torch.func.jvp(lambda t: TORCH[name](torch, t), (torch.tensor(a),),
                           (torch.tensor(v),))
    np.testing.assert_allclose(td.numpy(), tt.resolve_conj().numpy(), rtol=1e-10, atol=1e-12)

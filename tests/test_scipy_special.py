"""dualad.scipy.special against SciPy's values, finite differences, closed forms and PyTorch.

The registry suite (tests/test_registry_ops.py) checks every op in both modes, to second
order and against SymPy; here: values against SciPy itself on random inputs, the composites,
higher orders against SciPy's polygamma, the constant arguments, and the bugs found.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import dualad as da
from dualad import forward_ad as fwAD
from dualad.scipy import special

sc = pytest.importorskip("scipy.special")

RNG = np.random.default_rng(21)
POS = RNG.uniform(0.2, 6.0, size=(3, 4))
REAL = RNG.uniform(-3.0, 3.0, size=(3, 4))
UNIT = RNG.uniform(0.02, 0.98, size=(3, 4))

# name -> inputs (SciPy's argument order)
CASES = {
    "gammaln": (np.concatenate([POS, -POS - 0.5]),), "gamma": (POS,), "loggamma": (POS,),
    "digamma": (POS,), "psi": (POS,), "polygamma": (np.array([0.0, 1.0, 2.0, 3.0]), POS),
    "beta": (POS, POS.T[:3, :1]), "betaln": (POS, POS[::-1]), "erf": (REAL,),
    "erfc": (REAL,), "erfinv": (2 * UNIT - 1,), "erfcinv": (2 * UNIT,), "erfcx": (REAL,),
    "ndtr": (REAL,), "ndtri": (UNIT,), "log_ndtr": (REAL * 5,), "expit": (REAL * 20,),
    "logit": (UNIT,), "log_expit": (REAL * 300,), "xlogy": (REAL, POS), "xlog1py": (REAL, UNIT),
    "entr": (np.concatenate([POS, [[0.0, -1.0, 0.5, 2.0]]]),),
    "rel_entr": (np.array([0.0, 0.0, 1.0, 2.0, -1.0]), np.array([0.0, 1.0, 0.0, 3.0, 1.0])),
    "kl_div": (np.array([0.0, 0.0, 1.0, 2.0, -1.0]), np.array([0.0, 1.0, 0.0, 3.0, 1.0])),
    "i0": (REAL,), "i1": (REAL,), "i0e": (REAL,), "i1e": (REAL,), "j0": (REAL * 2,),
    "j1": (REAL * 2,), "y0": (POS,), "y1": (POS,), "jv": (np.array([[0.0], [1.5], [3.0]]), POS),
    "yv": (np.array([[0.5], [1.0], [2.5]]), POS), "iv": (np.array([[0.0], [1.5], [3.0]]), POS),
    "kv": (np.array([[0.5], [1.0], [2.5]]), POS), "zeta": (POS + 1.1, POS),
    "expn": (np.array([0.0, 1.0, 2.0, 5.0]), POS), "exp1": (POS,), "dawsn": (REAL,),
    "gammainc": (POS, POS[::-1]), "gammaincc": (POS, POS[::-1]),
    "betainc": (POS, POS[::-1], UNIT), "stdtr": (POS, REAL),
}


def test_every_listed_function_is_checked_here():
    assert set(special.__all__) - {"multigammaln", "logsumexp", "softmax", "log_softmax",
                                   "sinc"} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_scipy(name):
    args = CASES[name]
    # the order-like arguments stay arrays; the differentiated ones are tensors
    ours = getattr(special, name)(*[da.tensor(a) for a in args]).numpy()
    with np.errstate(all="ignore"):
        theirs = getattr(sc, name)(*args)
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-300, equal_nan=True)


def test_composites_match_scipy():
    x = RNG.normal(size=(3, 4, 2)) * 10
    b = RNG.normal(size=(3, 4, 2))
    for axis in (None, 0, 1, -1, (0, 2)):
        for keepdims in (False, True):
            np.testing.assert_allclose(
                special.logsumexp(da.tensor(x), axis=axis, keepdims=keepdims).numpy(),
                sc.logsumexp(x, axis=axis, keepdims=keepdims), rtol=1e-13)
            out, sign = special.logsumexp(da.tensor(x), axis=axis, b=da.tensor(b),
                                          keepdims=keepdims, return_sign=True)
            ref, ref_sign = sc.logsumexp(x, axis=axis, b=b, keepdims=keepdims, return_sign=True)
            np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12)
            np.testing.assert_array_equal(sign.numpy(), ref_sign)
        np.testing.assert_allclose(special.softmax(da.tensor(x), axis=axis).numpy(),
                                   sc.softmax(x, axis=axis), rtol=1e-13)
        np.testing.assert_allclose(special.log_softmax(da.tensor(x), axis=axis).numpy(),
                                   sc.log_softmax(x, axis=axis), rtol=1e-13, atol=1e-13)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(  # a negative sum without return_sign: nan, as SciPy
            special.logsumexp(da.tensor([0.0, 1.0]), b=da.tensor([1.0, -1.0])).numpy(),
            sc.logsumexp([0.0, 1.0], b=[1.0, -1.0]))
    for d in (1, 2, 3, 5):
        a = POS + 0.5 * d
        np.testing.assert_allclose(special.multigammaln(da.tensor(a), d).numpy(),
                                   sc.multigammaln(a, d), rtol=1e-13)
    assert special.sinc is da.sinc


def test_composite_gradients_against_finite_differences():
    x = da.tensor(RNG.normal(size=(3, 4)), requires_grad=True)
    b = da.tensor(RNG.uniform(0.5, 2.0, size=(3, 4)), requires_grad=True)
    assert da.gradcheck(lambda x, b: special.logsumexp(x, axis=1, b=b), (x, b))
    assert da.gradgradcheck(lambda x, b: special.logsumexp(x, axis=1, b=b), (x, b))
    assert da.gradcheck(lambda x: special.softmax(x), (x,))
    assert da.gradcheck(lambda x: special.log_softmax(x, axis=(0, 1)), (x,))
    a = da.tensor(RNG.uniform(2.0, 5.0, size=(4,)), requires_grad=True)
    assert da.gradcheck(lambda a: special.multigammaln(a, 3), (a,))
    assert da.gradgradcheck(lambda a: special.multigammaln(a, 3), (a,))


def _nth_derivative(f, x: float, n: int) -> float:
    """The n-th derivative of f at x by nested reverse mode (create_graph at each level)."""
    t = da.tensor(x, requires_grad=True)
    y = f(t)
    for _ in range(n):
        (y,) = da.autograd.grad(y, t, create_graph=True)
    return y.item()


@pytest.mark.parametrize("x", [0.3, 1.0, 4.5, -1.5])
def test_higher_derivatives_of_gammaln_are_scipy_polygamma(x):
    # an independent oracle: d^n/dx^n log|gamma| = polygamma(n - 1, x)
    for n in (1, 2, 3, 4):
        np.testing.assert_allclose(_nth_derivative(special.gammaln, x, n),
                                   sc.polygamma(n - 1, x), rtol=1e-11)


@pytest.mark.parametrize("name,derivative", [
    ("erf", lambda x: 2 / np.sqrt(np.pi) * np.exp(-x * x)),
    ("erfinv", lambda x: np.sqrt(np.pi) / 2 * np.exp(sc.erfinv(x) ** 2)),
    ("ndtri", lambda x: np.sqrt(2 * np.pi) * np.exp(sc.ndtri(x) ** 2 / 2)),
    ("i0", sc.i1), ("j0", lambda x: -sc.j1(x)), ("exp1", lambda x: -np.exp(-x) / x),
    ("log_ndtr", lambda x: np.exp(-x * x / 2) / np.sqrt(2 * np.pi) / sc.ndtr(x)),
])
def test_forward_mode_gives_the_closed_form_derivative(name, derivative):
    x = UNIT.ravel() * (2.0 if name == "erfinv" else 1.0) - (0.5 if name == "erfinv" else 0.0)
    with fwAD.dual_level():
        dual = fwAD.make_dual(da.tensor(x), da.tensor(np.ones_like(x)))
        tangent = fwAD.unpack_dual(getattr(special, name)(dual)).tangent
    np.testing.assert_allclose(tangent.numpy(), derivative(x), rtol=1e-12)


def test_regression_expit_keeps_its_relative_precision_in_the_left_tail():
    # da.sigmoid computes 0.5 (1 + tanh(x/2)), which is 0 for x < -37: expit is its own op
    x = da.tensor([-50.0, -700.0, 40.0], requires_grad=True)
    np.testing.assert_allclose(special.expit(x).detach().numpy(), sc.expit([-50.0, -700.0, 40.0]),
                               rtol=1e-15)
    special.expit(x).sum().backward()
    exact = sc.expit([-50.0, -700.0, 40.0]) * sc.expit([50.0, 700.0, -40.0])
    np.testing.assert_allclose(x.grad.numpy(), exact, rtol=1e-14)


def test_log_ndtr_gradient_is_accurate_far_in_the_left_tail(monkeypatch):
    mpmath = pytest.importorskip("mpmath")
    monkeypatch.setattr(mpmath.mp, "dps", 50)  # (restored after the test)
    for value in (-40.0, -10.0, 5.0):
        x = da.tensor(value, requires_grad=True)
        special.log_ndtr(x).backward()
        exact = mpmath.npdf(value) / mpmath.ncdf(value)  # d log Phi / dx, to 50 digits
        # exp(-x**2/2 - log_ndtr(x)): log_ndtr's rounding (1e-16 relative) is multiplied by
        # x**2/2 = 800 at x = -40
        np.testing.assert_allclose(x.grad.item(), float(exact), rtol=1e-12)


@pytest.mark.parametrize("name,args,which", [
    ("jv", (1.0, 2.0), 0), ("iv", (1.0, 2.0), 0), ("kv", (1.0, 2.0), 0), ("yv", (1.0, 2.0), 0),
    ("polygamma", (1.0, 2.0), 0), ("expn", (1.0, 2.0), 0), ("gammainc", (1.0, 2.0), 0),
    ("gammaincc", (1.0, 2.0), 0), ("zeta", (3.0, 2.0), 0), ("betainc", (1.0, 2.0, 0.5), 1),
    ("stdtr", (3.0, 0.5), 0),
])
def test_a_differentiated_constant_argument_is_an_error_in_both_modes(name, args, which):
    fn = getattr(special, name)
    inputs = [da.tensor(a) for a in args]
    inputs[which] = da.tensor(args[which], requires_grad=True)
    with pytest.raises(ValueError, match=f"special.{name}: no derivative with respect to"):
        fn(*inputs)
    with fwAD.dual_level():
        inputs[which] = fwAD.make_dual(da.tensor(args[which]), da.tensor(1.0))
        with pytest.raises(ValueError, match="pass .* as a constant"):
            fn(*inputs)


def test_orders_must_be_integers():
    with pytest.raises(ValueError, match="polygamma: n must be integers >= 0"):
        special.polygamma(1.5, da.tensor(2.0))
    with pytest.raises(ValueError, match="expn: n must be integers >= 0"):
        special.expn(-1, da.tensor(2.0))
    with pytest.raises(ValueError, match="multigammaln: a must be > "):
        special.multigammaln(da.tensor(0.8), 3)
    with pytest.raises(TypeError, match="loggamma: complex input"):
        special.loggamma(np.array([1 + 1j]))


def test_poles_and_ends_follow_the_declared_conventions():
    x = da.tensor([0.0, -1.0, -2.5, 3.0], requires_grad=True)
    with np.errstate(invalid="ignore"):  # the sum of inf and nan
        special.gamma(x).sum().backward()
    g = x.grad.numpy()
    assert np.isnan(g[0]) and np.isnan(g[1])
    np.testing.assert_allclose(g[2:], sc.gamma([-2.5, 3.0]) * sc.psi([-2.5, 3.0]), rtol=1e-12)
    y = da.tensor([-1.0, 1.0, 0.5], requires_grad=True)
    special.erfinv(y).sum().backward()
    assert y.grad.numpy()[:2].tolist() == [np.inf, np.inf]
    p = da.tensor([0.0, 1.0], requires_grad=True)
    special.logit(p).sum().backward()
    assert p.grad.tolist() == [np.inf, np.inf]


def test_regression_i1_j1_second_derivative_near_zero(monkeypatch):
    # bug found by the registry suite: i0 - i1/x has a 0/0 at x -> 0, so the second
    # derivative was nan (x = 0) or huge (x = 1e-80); the partials now use their series
    mpmath = pytest.importorskip("mpmath")
    monkeypatch.setattr(mpmath.mp, "dps", 40)
    for fn, exact in ((special.i1, lambda t: mpmath.besseli(1, t)),
                      (special.j1, lambda t: mpmath.besselj(1, t))):
        for x in (0.0, 1e-80, 1e-9, 1e-3, 0.02):
            for n in (1, 2, 3):
                expected = float(mpmath.diff(exact, mpmath.mpf(x), n))
                # at 0.02 the direct formula runs: its third derivative cancels 3 digits
                np.testing.assert_allclose(_nth_derivative(fn, x, n), expected,
                                           rtol=1e-12 if x < 0.01 else 1e-10, atol=1e-15,
                                           err_msg=f"{fn.__name__} {n} at {x}")


def test_regression_kv_at_a_subnormal_order():
    # found by the registry suite: SciPy's kv(5e-324, x) is nan; K_v is even in v
    x = da.tensor(2.0, requires_grad=True)
    out = special.kv(5e-324, x)
    out.backward()
    assert out.item() == sc.kv(0.0, 2.0) and x.grad.item() == pytest.approx(-sc.kv(1.0, 2.0))


def test_regression_xlogy_mixed_second_derivative_at_x_zero():
    # bug found by the registry suite: d/dy was masked to 0 at x = 0, which also killed
    # d2/dxdy = 1/y there; only the 0/0 at (0, 0) is masked now
    x = da.tensor(0.0, requires_grad=True)
    y = da.tensor(2.5, requires_grad=True)
    (gy,) = da.autograd.grad(special.xlogy(x, y), y, create_graph=True)
    assert gy.item() == 0.0
    (gxy,) = da.autograd.grad(gy, x)
    assert gxy.item() == pytest.approx(1 / 2.5)
    (gy,) = da.autograd.grad(special.xlog1py(x, y), y, create_graph=True)
    (gxy,) = da.autograd.grad(gy, x)
    assert gxy.item() == pytest.approx(1 / 3.5)


def test_values_and_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    pairs = {"gammaln": torch.special.gammaln, "digamma": torch.special.digamma,
             "erfinv": torch.special.erfinv, "erfcx": torch.special.erfcx,
             "ndtri": torch.special.ndtri, "log_ndtr": torch.special.log_ndtr,
             "i0e": torch.special.i0e, "i1": torch.special.i1, "logit": torch.special.logit,
             "expit": torch.special.expit, "log_expit": torch.nn.functional.logsigmoid}
    x = UNIT.ravel()
    for name, fn in pairs.items():
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        try:
            fn(t).sum().backward()
        except RuntimeError:  # PyTorch has no derivative for this one
            continue
        ours = da.tensor(x, requires_grad=True)
        out = getattr(special, name)(ours)
        out.sum().backward()
        np.testing.assert_allclose(out.detach().numpy(), fn(t).detach().numpy(), rtol=1e-12)
        # PyTorch's float64 trigamma (digamma's derivative) is accurate to about 1e-9 only:
        # mpmath agrees with ours to 1e-15 (test_digamma_derivative_matches_mpmath)
        np.testing.assert_allclose(ours.grad.numpy(), t.grad.numpy(),
                                   rtol=1e-8 if name == "digamma" else 1e-10, err_msg=name)


def test_digamma_derivative_matches_mpmath():
    mpmath = pytest.importorskip("mpmath")
    x = UNIT.ravel()
    ours = da.tensor(x, requires_grad=True)
    special.digamma(ours).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), [float(mpmath.psi(1, v)) for v in x],
                               rtol=1e-14)


def test_import_dualad_does_not_import_scipy():
    code = "import sys, dualad; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "False", out.stderr


def test_importable_without_scipy_and_a_clear_error_when_needed():
    code = (
        "import sys; sys.modules['scipy'] = None\n"
        "import dualad as da\n"
        "from dualad.scipy import special, stats\n"
        "print(special.logit(da.tensor(0.5)).item(), stats.cauchy.logpdf(0.0).item() < 0)\n"
        "try:\n"
        "    special.gammaln(da.tensor(2.0))\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "0.0 True"
    assert "dualad.scipy.special.gammaln computes its values with SciPy" in out.stdout
    assert "pip install dualad[scipy]" in out.stdout


def test_regression_logit_slope_at_negative_zero():
    # found by the policy suite: 1/(p(1-p)) at p = -0.0 was -inf; the limit is +inf
    p = da.tensor([-0.0, 0.0, 1.0], requires_grad=True)
    special.logit(p).sum().backward()
    assert p.grad.tolist() == [np.inf, np.inf, np.inf]

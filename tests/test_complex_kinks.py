"""Kinks of complex inputs: branch cuts on the negative real axis and the origin.

Regressions: the masks of sqrt/log/arcsin... compared complex numbers by NumPy's
lexicographic order (``-1+5j < 0``) or by modulus (``|1j| == 1``), so the policies put
nan (or raised, or tracked a hit) at ordinary points; the profiles cast complex values to
float; ``angle`` declared no kinks at all. Oracles: closed forms (``conj(f'(z))``, PyTorch's
gradient of ``Re f``), one-sided central differences, and the other mode.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import dualad as da
from dualad import func, nondiff

# ordinary points (off every cut), with negative real parts, or of modulus 1
OFF = np.array([-1.0 + 5.0j, -2.0 - 0.5j, 1j, 2.0 + 1.0j])
CASES = {  # op, conj(f'(z)) in closed form
    "sqrt": (da.sqrt, lambda z: np.conj(0.5 / np.sqrt(z))),
    "log": (da.log, lambda z: np.conj(1 / z)),
    "log2": (da.log2, lambda z: np.conj(1 / (z * np.log(2)))),
    "log10": (da.log10, lambda z: np.conj(1 / (z * np.log(10)))),
    "log1p": (da.log1p, lambda z: np.conj(1 / (1 + z))),
    "arcsin": (da.arcsin, lambda z: np.conj(1 / np.sqrt(1 - z * z))),
    "arctanh": (da.arctanh, lambda z: np.conj(1 / (1 - z * z))),
}


def gradient(fn, z: np.ndarray) -> np.ndarray:
    x = da.tensor(z, requires_grad=True)
    da.real(fn(x)).sum().backward()
    return x.grad.numpy()


def jvp_gradient(fn, z: np.ndarray) -> np.ndarray:
    """Re(J 1) + i Re(J 1j) elementwise, by forward mode."""
    parts = [np.real(func.jvp(fn, (da.tensor(z),), (da.tensor(unit * np.ones_like(z)),))[1]
                     .numpy()) for unit in (1.0, 1j)]
    return parts[0] + 1j * parts[1]


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("pol", ["subgradient", "nan", "raise", "pytorch", "jax"])
def test_ordinary_complex_points_are_not_kinks(name, pol) -> None:
    fn, closed = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (the profiles cast complex values to float)
        with nondiff.policy(pol), nondiff.track() as hits:
            rev = gradient(fn, OFF)
            fwd = jvp_gradient(fn, OFF)
    np.testing.assert_allclose(rev, closed(OFF), rtol=1e-12)
    np.testing.assert_allclose(fwd, closed(OFF), rtol=1e-12)
    assert len(hits) == 0, hits.summary()


@pytest.mark.parametrize("fn,closed", [(da.sqrt, lambda z: np.conj(0.5 / np.sqrt(z))),
                                       (da.log, lambda z: np.conj(1 / z))])
def test_branch_cut_is_a_kink_with_the_one_sided_value(fn, closed) -> None:
    z = np.array([-3.0 + 0.0j, complex(-0.5, -0.0), 1.0 + 1.0j])
    with nondiff.track() as hits:
        rev = gradient(fn, z)
    assert hits.count(mode="forward") == 2 and hits.count(mode="backward") == 2
    np.testing.assert_allclose(rev, closed(z), rtol=1e-12)
    # the value is the limit from the side of the zero's sign: differences on that side
    h = 1e-7
    for k, side in ((0, 1.0), (1, -1.0)):
        above = z[k] + side * 1e-9j
        up = (np.real(fn(da.tensor(above + h)).item())
              - np.real(fn(da.tensor(above - h)).item())) / (2 * h)
        across = (np.real(fn(da.tensor(above + side * h * 1j)).item())
                  - np.real(fn(da.tensor(above)).item())) / (side * h)
        np.testing.assert_allclose(rev[k], up + 1j * across, rtol=1e-5)
    with nondiff.policy("nan"):
        got = gradient(fn, z)
        got_fwd = jvp_gradient(fn, z)
    assert np.isnan(got[:2]).all() and np.isnan(got_fwd[:2]).all()
    np.testing.assert_allclose(got[2], closed(z[2]))
    with nondiff.policy("raise"), pytest.raises(nondiff.KinkError, match=r"branch cut.*\(0,\)"):
        gradient(fn, z)


def test_angle_declares_its_kinks() -> None:
    z = np.array([0j, -2.0 + 0.0j, 1.0 + 1.0j])
    expected = np.array([0.0, -0.5j, -0.5 + 0.5j])  # i z / |z|**2, and 0 at 0 (PyTorch)
    with nondiff.track() as hits:
        rev = gradient(da.angle, z)
        fwd = jvp_gradient(da.angle, z)
    np.testing.assert_allclose(rev, expected, atol=1e-15)
    np.testing.assert_allclose(fwd, expected, atol=1e-15)
    assert hits.ops() == ["angle"]
    assert {h.where for h in hits} == {"z == 0",
                                       "complex z, Im z == 0 and Re z < 0 (the branch cut)"}
    assert hits.count(mode="backward") == 2 and hits.count(mode="jvp") == 4
    assert "angle" in hits.summary()  # (complex values: summary() raised TypeError)
    with nondiff.policy("jax"):  # JAX's atan2(0, 0) partials are 0/0
        got = gradient(da.angle, z)
    assert np.isnan(got[0]) and np.allclose(got[1:], expected[1:])
    with nondiff.policy("nan"):
        assert np.isnan(jvp_gradient(da.angle, z)[:2]).all()
    with nondiff.policy("raise"), pytest.raises(nondiff.KinkError, match="angle"):
        gradient(da.angle, z[2:] * 0)
    # a real input: the angle is 0 or pi, the derivative 0, and 0 is the kink (a jump)
    x = np.array([-1.0, 0.0, 2.0])
    with nondiff.track() as hits:
        np.testing.assert_array_equal(gradient(da.angle, x), [0.0, 0.0, 0.0])
    assert hits.count(mode="backward") == 1


def test_angle_matches_pytorch_on_the_cut_and_at_zero() -> None:
    torch = pytest.importorskip("torch")
    z = np.array([0j, -2.0 + 0.0j, complex(-1.0, -0.0), 0.3 - 1.2j])
    t = torch.tensor(z, requires_grad=True)
    torch.angle(t).sum().backward()
    np.testing.assert_allclose(gradient(da.angle, z), t.grad.numpy(), atol=1e-15)


def test_abs_at_complex_zero_follows_the_policies_in_both_modes() -> None:
    # regression: abs's complex rules bypassed the policies (nan gave 0), while the tracker
    # reported the real kink's values (jax: 1); |z| at 0: the min-norm subgradient 0 (PyTorch,
    # and JAX, whose rule divides conj(z) by |z| with 0 replaced by 1)
    z = np.array([0j, complex(0.0, -0.0), 3.0 - 4.0j])
    for pol in ("subgradient", "pytorch", "jax"):
        with nondiff.policy(pol), nondiff.track() as hits:
            rev = gradient(da.abs, z)
            fwd = jvp_gradient(da.abs, z)
        np.testing.assert_allclose(rev, [0.0, 0.0, 0.6 - 0.8j])
        np.testing.assert_allclose(fwd, [0.0, 0.0, 0.6 - 0.8j])
        assert {h.where for h in hits} == {"complex z == 0"} and hits.count(mode="jvp") == 4
    with nondiff.policy("nan"):
        assert np.isnan(gradient(da.abs, z)[:2]).all()
        assert np.isnan(jvp_gradient(da.abs, z)[:2]).all()
    with nondiff.policy("raise"), pytest.raises(nondiff.KinkError, match="complex z == 0"):
        gradient(da.abs, z)


# ------------------------------------------- cuts of the inverse functions, poles
# op, NumPy's function, the axis of its cuts, points on them (both signs of the zero part)
CUTS = {
    "arcsin": (da.arcsin, np.arcsin, "real"),
    "arccos": (da.arccos, np.arccos, "real"),
    "arctanh": (da.arctanh, np.arctanh, "real"),
    "arccosh": (da.arccosh, np.arccosh, "real"),
    "arcsinh": (da.arcsinh, np.arcsinh, "imaginary"),
    "arctan": (da.arctan, np.arctan, "imaginary"),
}
ON_CUT = {
    "real": np.array([complex(2.0, 0.0), complex(2.0, -0.0), complex(-1.5, 0.0),
                      complex(-1.5, -0.0)]),
    "imaginary": np.array([complex(0.0, 2.0), complex(-0.0, 2.0), complex(0.0, -1.5),
                           complex(-0.0, -1.5)]),
}
ARCCOSH_CUT = np.array([complex(0.5, 0.0), complex(0.5, -0.0), complex(-2.0, 0.0),
                        complex(-2.0, -0.0)])
# off the cuts, close to them or on the same axis
NEAR = {
    "real": np.array([2.0 + 1e-6j, -1.5 - 1e-6j, 0.5 + 0.0j, 3j]),
    "imaginary": np.array([1e-6 + 2.0j, -1e-6 - 1.5j, 0.5j, 3.0 + 0.0j]),
}
ARCCOSH_NEAR = np.array([0.5 + 1e-6j, -2.0 - 1e-6j, 2.0 + 0.0j, -3.0 + 1.0j])


def _cut_points(name: str) -> tuple[np.ndarray, np.ndarray]:
    axis = CUTS[name][2]
    return (ARCCOSH_CUT, ARCCOSH_NEAR) if name == "arccosh" else (ON_CUT[axis], NEAR[axis])


def one_sided_gradient(f, z: np.ndarray, axis: str) -> np.ndarray:
    """conj(f'(z)) by central differences of NumPy's f on the side of the cut NumPy takes
    f(z) from: the sign of the zero imaginary part (real axis) or real part (imaginary)."""
    zero = z.imag if axis == "real" else z.real
    normal = np.copysign(1.0, zero) * (1j if axis == "real" else 1.0)
    along = 1.0 if axis == "real" else 1j
    side, h = z + 1e-9 * normal, 1e-6
    # (NumPy's value on the cut is its value on that side)
    np.testing.assert_allclose(f(z), f(side), atol=1e-6)
    return np.conj((f(side + h * along) - f(side - h * along)) / (2 * h * along))


@pytest.mark.parametrize("name", list(CUTS))
def test_inverse_function_cuts_are_kinks_with_the_one_sided_value(name) -> None:
    # regression: the masks |x| > 1 and x < 1 are for real inputs, so on a complex cut the
    # policies nan/raise and the tracker saw nothing; arcsin, arccos, arccosh and arcsinh
    # took one side of the cut for both signs of the zero (1.0 - z*z has a +0 imaginary part)
    fn, f, axis = CUTS[name]
    z, near = _cut_points(name)
    with nondiff.track() as hits:
        rev = gradient(fn, z)
        fwd = jvp_gradient(fn, z)
    expected = one_sided_gradient(f, z, axis)
    np.testing.assert_allclose(rev, expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(fwd, rev, rtol=1e-12, atol=1e-15)
    assert {h.where for h in hits} == {next(k.where for k in fn.op.kinks if "cut" in k.where)}
    assert hits.count(mode="backward") == 4 and hits.count(mode="jvp") == 8
    with nondiff.policy("nan"):
        assert np.isnan(gradient(fn, z)).all() and np.isnan(jvp_gradient(fn, z)).all()
    with nondiff.policy("raise"), pytest.raises(nondiff.KinkError, match=r"cut.*\(0,\)"):
        gradient(fn, z)
    # off the cut, close to it: ordinary points under every policy
    for pol in ("nan", "raise"):
        with nondiff.policy(pol), nondiff.track() as hits:
            got = gradient(fn, near)
        assert len(hits) == 0, hits.summary()
        np.testing.assert_allclose(got, np.conj(_derivative(name, near)), rtol=1e-9)


def _derivative(name: str, z: np.ndarray) -> np.ndarray:
    """f'(z) in closed form, principal branches."""
    return {"arcsin": lambda: 1 / (np.sqrt(1 - z) * np.sqrt(1 + z)),
            "arccos": lambda: -1 / (np.sqrt(1 - z) * np.sqrt(1 + z)),
            "arctanh": lambda: 1 / (1 - z * z),
            "arccosh": lambda: 1 / (np.sqrt(z - 1) * np.sqrt(z + 1)),
            "arcsinh": lambda: 1 / (np.sqrt(1 - 1j * z) * np.sqrt(1 + 1j * z)),
            "arctan": lambda: 1 / (1 + z * z)}[name]()


def test_arccosh_in_the_left_half_plane() -> None:
    # regression: the rule 1/sqrt(z**2 - 1) is -arccosh'(z) where Re z < 0 (its cut is the
    # imaginary axis): the sign was wrong off every cut there; and 1/sqrt(x**2 - 1) gave a
    # finite number for real x < -1, where arccosh is nan (rule 5)
    z = np.array([-1.0 + 5.0j, -2.0 - 0.5j, -0.3 + 0.2j, 2.0 + 1.0j])
    h = 1e-6
    fd = np.conj((np.arccosh(z + h) - np.arccosh(z - h)) / (2 * h))
    np.testing.assert_allclose(gradient(da.arccosh, z), fd, rtol=1e-7)
    np.testing.assert_allclose(jvp_gradient(da.arccosh, z), fd, rtol=1e-7)
    x = np.array([-2.0, 0.5, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isnan(np.arccosh(x[:2])).all()
        got = gradient(da.arccosh, x)
    assert np.isnan(got[:2]).all() and np.isclose(got[2], 1 / np.sqrt(3))


@pytest.mark.parametrize("name", list(CUTS))
def test_inverse_function_cuts_match_pytorch(name) -> None:
    torch = pytest.importorskip("torch")
    fn = CUTS[name][0]
    z = np.concatenate(_cut_points(name))
    t = torch.tensor(z, requires_grad=True)
    getattr(torch, {"arcsin": "asin", "arccos": "acos", "arctanh": "atanh",
                    "arccosh": "acosh", "arcsinh": "asinh", "arctan": "atan"}[name])(t) \
        .real.sum().backward()
    want = t.grad.numpy()
    with nondiff.policy("pytorch"):
        np.testing.assert_allclose(gradient(fn, z), want, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(jvp_gradient(fn, z), want, rtol=1e-12, atol=1e-15)
    # by default, PyTorch's side differs only where it ignores the sign of the zero
    same = np.isclose(gradient(fn, z), want, rtol=1e-12, atol=1e-15)
    flipped = {"arcsin": [0, 3], "arccos": [0, 3], "arccosh": [1], "arcsinh": [1, 2]}
    assert sorted(np.flatnonzero(~same)) == flipped.get(name, [])


POLES = {  # op, its derivative's poles (both signs of the zero part)
    "sqrt": (da.sqrt, [0j, complex(0.0, -0.0)]),
    "log": (da.log, [0j, complex(-0.0, -0.0)]),
    "log2": (da.log2, [0j]),
    "log10": (da.log10, [complex(0.0, -0.0)]),
    "log1p": (da.log1p, [complex(-1.0, 0.0), complex(-1.0, -0.0)]),
    "arcsin": (da.arcsin, [1 + 0j, complex(-1.0, -0.0)]),
    "arccos": (da.arccos, [complex(1.0, -0.0), -1 + 0j]),
    "arctanh": (da.arctanh, [1 + 0j, -1 + 0j]),
    "arccosh": (da.arccosh, [1 + 0j, complex(-1.0, -0.0)]),
    "arcsinh": (da.arcsinh, [1j, complex(-0.0, -1.0)]),
    "arctan": (da.arctan, [complex(-0.0, 1.0), -1j]),
}


@pytest.mark.parametrize("name", list(POLES))
def test_complex_poles_declare_what_the_rules_give(name) -> None:
    # regression: the real rows (x == 0: inf) matched complex zeros too, so the table and
    # the tracker said inf where the rules give a complex nan (NumPy's 1/0j), and policies
    # pytorch/jax put the real value in
    fn, poles = POLES[name]
    z = np.array(poles + [0.5 + 0.5j])
    (kink,) = [k for k in fn.op.kinks if k.where.startswith("complex z, z ==")]
    declared = np.asarray(kink.grads[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with nondiff.track() as hits:
            rev = gradient(fn, z)
            fwd = jvp_gradient(fn, z)
        assert np.isnan(declared).all()
        assert np.isnan(rev[:-1]).all() and np.isnan(fwd[:-1]).all()
        assert np.isfinite(rev[-1]) and np.isclose(rev[-1], fwd[-1])
        assert {h.where for h in hits} == {kink.where}
        assert all(np.isnan(h.value) for h in hits if h.mode != "forward")
        for pol in ("pytorch", "jax"):
            with nondiff.policy(pol):
                assert np.isnan(gradient(fn, z)[:-1]).all()
        with nondiff.policy("raise"), pytest.raises(nondiff.KinkError, match="z =="):
            gradient(fn, z)
        # a real input at the real point still gets the real row's value
        edge = np.real(poles[0])
        with nondiff.track() as hits:
            gradient(fn, np.array([edge]))
    if name not in ("arcsinh", "arctan"):
        assert {h.where for h in hits} != {kink.where} and len(hits)


def test_tracker_reports_gradients_in_the_declared_convention() -> None:
    # the holomorphic rules hold f'(z); the tracker reports conj(f'(z)), as declared
    z = np.array([complex(2.0, 0.0)])
    with nondiff.track() as hits:
        gradient(da.arcsin, z)
    (hit,) = [h for h in hits if h.mode == "backward"]
    assert np.isclose(hit.value, -1j / np.sqrt(3))


def test_arccosh_below_the_domain_matches_pytorch_under_its_policy() -> None:
    # PyTorch's rule 1/sqrt(x**2 - 1) is finite for real x < -1 (nan between -1 and 1);
    # the profile said nan there
    torch = pytest.importorskip("torch")
    x = np.array([-3.0, -2.0, 0.5, 2.0])
    t = torch.tensor(x, requires_grad=True)
    torch.acosh(t).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with nondiff.policy("pytorch"):
            got = gradient(da.arccosh, x)
    np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-12, equal_nan=True)
    assert np.isnan(got[2]) and np.isfinite(got[:2]).all()


_TORCH_NAMES = {"arcsin": "asin", "arccos": "acos", "arctanh": "atanh", "arccosh": "acosh",
                "arcsinh": "asinh", "arctan": "atan"}


@pytest.mark.parametrize("name", list(POLES))
def test_pole_rows_pytorch_column_is_pytorchs_gradient(name) -> None:
    torch = pytest.importorskip("torch")
    (kink,) = [k for k in POLES[name][0].op.kinks if k.where.startswith("complex z, z ==")]
    z = np.asarray(kink.points[0][0])
    t = torch.tensor(z, requires_grad=True)
    getattr(torch, _TORCH_NAMES.get(name, name))(t).real.sum().backward()
    got, declared = t.grad.numpy(), np.asarray(kink.pytorch[0])
    np.testing.assert_array_equal(got.real, declared.real)  # (inf+nanj or nan+nanj)
    np.testing.assert_array_equal(np.isnan(got.imag), np.isnan(declared.imag))

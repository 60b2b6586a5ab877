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

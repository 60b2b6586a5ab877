"""``linalg.eig`` and ``linalg.eigvals`` of general square matrices (ops/linalg_eig.py).

Oracles: NumPy's values; central differences of NumPy's ``eig`` along every real and
imaginary coordinate, of losses that do not depend on the eigenvectors' phases; PyTorch's
``torch.linalg.eig`` gradients (skipped without torch); the other AD mode.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualad as da
from dualad import forward_ad as fwAD
from dualad import func
from dualad.registry import get

# a real matrix with a complex pair and a real eigenvalue, well separated
REAL = np.array([[0.5, -1.2, 0.3], [1.1, 0.2, -0.4], [0.1, 0.6, 1.5]])
CPLX = REAL + 1j * np.array([[0.3, -0.1, 0.2], [0.0, 0.4, -0.3], [0.25, 0.1, -0.2]])
WEIGHTS = np.array([[0.3, -1.1, 0.7], [1.3, 0.2, -0.5], [-0.4, 0.9, 0.6]])


def _order(w: np.ndarray) -> np.ndarray:
    """A canonical order of eigenvalues (by real part, then imaginary part)."""
    return np.lexsort((np.round(w.imag, 8), np.round(w.real, 8)), axis=-1)


def _np_loss(a: np.ndarray) -> float:
    """A phase-invariant loss of NumPy's eig, independent of LAPACK's order: eigenvalues
    and |v|^2 sorted by eigenvalue, weighted."""
    w, v = np.linalg.eig(a)
    idx = _order(w)
    w, v = w[idx], v[:, idx]
    c = np.array([1.0, -0.7, 0.4])
    return float(np.sum(c * w.real) + np.sum(np.array([0.3, 0.9, -0.2]) * w.imag)
                 + np.sum(WEIGHTS * np.abs(v) ** 2))


def _da_loss(a: Any) -> da.Tensor:
    """The same loss on dualad (the order fixed from the values at the point)."""
    w, v = da.linalg.eig(a)
    idx = _order(w.detach().numpy())
    w, v = w[idx], v[:, idx]
    c = np.array([1.0, -0.7, 0.4])
    return (da.sum(c * da.real(w)) + da.sum(np.array([0.3, 0.9, -0.2]) * da.imag(w))
            + da.sum(WEIGHTS * da.abs(v) ** 2))


def _fd_grad(f: Callable[[np.ndarray], float], a: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences along every real (and, for complex ``a``, imaginary) coordinate,
    as PyTorch's convention: dL/dx + i dL/dy."""
    grad = np.zeros(a.shape, dtype=a.dtype)
    steps = [1.0] + ([1j] if a.dtype.kind == "c" else [])
    for m in np.ndindex(*a.shape):
        for step in steps:
            e = np.zeros(a.shape, dtype=a.dtype)
            e[m] = eps * step
            grad[m] += step * (f(a + e) - f(a - e)) / (2 * eps)
    return grad


@pytest.mark.parametrize("a", [REAL, CPLX], ids=["real", "complex"])
def test_values_and_vectors_are_numpys(a: np.ndarray) -> None:
    w, v = np.linalg.eig(da.tensor(a))  # dispatches to da.linalg.eig
    nw, nv = np.linalg.eig(a)
    assert w.dtype == np.complex128 and v.dtype == np.complex128
    np.testing.assert_allclose(w.numpy(), nw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(v.numpy(), nv, rtol=1e-10, atol=1e-12)  # phases too
    np.testing.assert_allclose(np.linalg.eigvals(da.tensor(a)).numpy(), np.linalg.eigvals(a),
                               rtol=1e-10, atol=1e-12)


def test_real_eigenvalues_come_back_complex() -> None:
    a = np.array([[2.0, 1.0], [0.0, 3.0]])
    w = da.linalg.eigvals(a)
    assert w.dtype == np.complex128  # NumPy: float64 here; PyTorch: complex, as dualad
    np.testing.assert_allclose(w.numpy(), [2.0, 3.0])


def test_stacks_match_numpy() -> None:
    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 3, 4, 4))
    w, v = da.linalg.eig(a)
    nw, nv = np.linalg.eig(a)
    np.testing.assert_allclose(w.numpy(), nw, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(v.numpy(), nv, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("a", [REAL, CPLX], ids=["real", "complex"])
def test_reverse_mode_matches_finite_differences(a: np.ndarray) -> None:
    t = da.tensor(a, requires_grad=True)
    _da_loss(t).backward()
    np.testing.assert_allclose(t.grad.numpy(), _fd_grad(_np_loss, a), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("a", [REAL, CPLX], ids=["real", "complex"])
def test_forward_mode_matches_finite_differences(a: np.ndarray) -> None:
    rng = np.random.default_rng(7)
    direction = rng.standard_normal(a.shape)
    if a.dtype.kind == "c":
        direction = direction + 1j * rng.standard_normal(a.shape)
    with fwAD.dual_level():
        dual = fwAD.make_dual(da.tensor(a), da.tensor(direction))
        tangent = fwAD.unpack_dual(_da_loss(dual)).tangent.item()
    eps = 1e-6
    expected = (_np_loss(a + eps * direction) - _np_loss(a - eps * direction)) / (2 * eps)
    assert abs(tangent - expected) < 1e-6 * max(1.0, abs(expected))


def test_each_eigenvalue_jvp_matches_finite_differences() -> None:
    # the complex tangent of each eigenvalue along every real and imaginary coordinate
    a = CPLX
    idx = _order(np.linalg.eigvals(a))
    eps = 1e-6
    for m in np.ndindex(*a.shape):
        for step in (1.0, 1j):
            e = np.zeros(a.shape, dtype=complex)
            e[m] = step
            _, tangent = func.jvp(da.linalg.eigvals, (da.tensor(a),), (da.tensor(e),))
            plus, minus = np.linalg.eigvals(a + eps * e), np.linalg.eigvals(a - eps * e)
            fd = (plus[_order(plus)] - minus[_order(minus)]) / (2 * eps)
            np.testing.assert_allclose(tangent.numpy()[idx], fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("a", [REAL, CPLX], ids=["real", "complex"])
def test_gradients_match_torch(a: np.ndarray) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    cw = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    cv = rng.standard_normal((3, 3))

    ta = torch.tensor(a, requires_grad=True)
    tw, tv = torch.linalg.eig(ta)
    # LAPACK's order is the same in both (same routine): check, then use it as is
    np.testing.assert_allclose(tw.detach().numpy(), np.linalg.eig(a)[0], rtol=1e-10)
    loss = (torch.real(torch.tensor(cw).conj() * tw).sum()
            + (torch.tensor(cv) * tv.abs() ** 2).sum())
    loss.backward()

    t = da.tensor(a, requires_grad=True)
    w, v = da.linalg.eig(t)
    (da.sum(da.real(np.conj(cw) * w)) + da.sum(cv * da.abs(v) ** 2)).backward()
    np.testing.assert_allclose(t.grad.numpy(), ta.grad.numpy(), rtol=1e-9, atol=1e-11)

    ta2 = torch.tensor(a, requires_grad=True)
    torch.linalg.eigvals(ta2).backward(torch.tensor(cw))
    t2 = da.tensor(a, requires_grad=True)
    da.linalg.eigvals(t2).backward(da.tensor(cw))
    np.testing.assert_allclose(t2.grad.numpy(), ta2.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_jvp_matches_torch_forward_ad() -> None:
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as tfw

    rng = np.random.default_rng(5)
    direction = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    with tfw.dual_level():
        tw, tv = torch.linalg.eig(tfw.make_dual(torch.tensor(CPLX), torch.tensor(direction)))
        t_dw = tfw.unpack_dual(tw).tangent.numpy()
        t_dv2 = tfw.unpack_dual(tv.abs() ** 2).tangent.numpy()
    with fwAD.dual_level():
        w, v = da.linalg.eig(fwAD.make_dual(da.tensor(CPLX), da.tensor(direction)))
        dw = fwAD.unpack_dual(w).tangent.numpy()
        dv2 = fwAD.unpack_dual(da.abs(v) ** 2).tangent.numpy()
    np.testing.assert_allclose(dw, t_dw, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dv2, t_dv2, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("a", [REAL, CPLX], ids=["real", "complex"])
def test_second_order_both_modes(a: np.ndarray) -> None:
    def f(x: Any) -> da.Tensor:
        w, v = da.linalg.eig(x)
        return da.sum(da.real(w * w)) + da.sum(WEIGHTS * da.abs(v) ** 2)

    t = da.tensor(a, requires_grad=True)
    assert da.gradgradcheck(f, t)
    if a.dtype.kind == "f":  # hessian: forward-over-reverse against reverse-over-reverse
        h = func.hessian(f)(da.tensor(a)).numpy()
        h2 = func.jacrev(func.grad(f))(da.tensor(a)).numpy()
        np.testing.assert_allclose(h, h2, rtol=1e-8, atol=1e-10)


def test_gradcheck_on_a_stack() -> None:
    rng = np.random.default_rng(2)
    a = rng.standard_normal((2, 3, 3)) + 1j * rng.standard_normal((2, 3, 3))
    t = da.tensor(a, requires_grad=True)
    assert da.gradcheck(lambda x: da.linalg.eigvals(x), t)
    assert da.gradcheck(lambda x: da.abs(da.linalg.eig(x).eigenvectors) ** 2, t)


def test_repeated_eigenvalue_is_a_tracked_kink_with_eighs_convention() -> None:
    a = np.diag([1.0, 1.0, 3.0])
    t = da.tensor(a, requires_grad=True)
    da.real(da.linalg.eigvals(t)[0]).backward()
    np.testing.assert_allclose(t.grad.numpy(), np.diag([0.5, 0.5, 0.0]))  # shared equally
    with da.nondiff.track() as hits:
        t = da.tensor(a, requires_grad=True)
        v = da.linalg.eig(t).eigenvectors
        (da.abs(v) ** 2 * WEIGHTS).sum().backward()
    assert hits.count("eig_vectors") > 0
    assert np.all(np.isfinite(t.grad.numpy()))  # the inverse gap of the pair is taken as 0
    with da.nondiff.policy("raise"), pytest.raises(Exception, match="eig"):
        t = da.tensor(a, requires_grad=True)
        (da.abs(da.linalg.eig(t).eigenvectors) ** 2).sum().backward()


def test_kink_check_has_no_complex_cast_warning() -> None:
    # regression: the registry's kink check cast a complex tangent with float()
    from dualad.testing.opcheck import check_kinks

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_kinks(get("eigvals"))
        check_kinks(get("eig_vectors"))


def test_bad_input_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="eig: expected square matrices"):
        da.linalg.eig(da.tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match="eigvals: expected square matrices"):
        da.linalg.eigvals(da.tensor(np.ones(3)))


def test_no_old_error_text() -> None:
    import inspect

    import dualad.ops.linalg_decomp as ld

    assert "complex support not merged" not in inspect.getsource(ld)
    assert not hasattr(ld, "_complex_unsupported")


def test_tracker_keeps_a_complex_derivative_complex() -> None:
    # regression: the tracker cast a complex derivative at a kink to float (ComplexWarning,
    # imaginary part dropped from the reported value)
    a = np.diag([1.0, 1.0, 3.0]) + 1j * np.diag([0.5, 0.5, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with da.nondiff.track() as hits:
            t = da.tensor(a, requires_grad=True)
            v = da.linalg.eig(t).eigenvectors
            (da.abs(v) ** 2 * WEIGHTS).sum().backward()
    assert hits.count("eig_vectors") > 0
    values = [h.value for h in hits if h.op == "eig_vectors"]
    assert any(isinstance(x, complex) or (isinstance(x, tuple) and isinstance(x[0], complex))
               for x in values)

"""Complex matrices in the decompositions: ``slogdet``, ``cholesky``, ``qr``, ``eigh``,
``eigvalsh``, ``svd``, ``svdvals``, ``pinv``, ``lstsq`` (ops/linalg_decomp.py).

Oracles: NumPy's values; central differences along every real and every imaginary
coordinate (``da.gradcheck``: reverse and forward mode; ``da.gradgradcheck``: second
order), of losses that do not depend on the arbitrary phases of eigen- and singular
vectors; PyTorch's ``torch.linalg`` derivatives in both modes (skipped without torch).
The registry suite checks the ops themselves on complex draws (``check_complex``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualad as da
from dualad import forward_ad as fwAD
from dualad import func

RNG = np.random.default_rng(20)


def _c(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


SQUARE = _c(3, 3) + 2.0 * np.eye(3)  # well conditioned
TALL = _c(3, 2)
WIDE = _c(2, 3)
STACK = _c(2, 2, 2) + 1.5 * np.eye(2)
RHS = _c(3, 2)
# weights of the losses (fixed, so the same loss is built in dualad and in torch)
C33, C32, C23, C22 = _c(3, 3), _c(3, 2), _c(2, 3), _c(2, 2)
W33 = RNG.standard_normal((3, 3))
D3, D2 = np.array([1.0, -0.6, 0.3]), np.array([0.8, -0.4])


def _h(x: Any) -> Any:
    """The conjugate transpose (dualad and torch alike)."""
    return x.mT.conj()


def _hpd(x: Any, k: Callable = np.asarray) -> Any:
    """A Hermitian positive-definite matrix made from ``x`` (for torch comparisons: its
    cholesky/eigh reads a triangle like NumPy but symmetrizes the gradient)."""
    return x @ _h(x) + k(0.5 * np.eye(x.shape[-1]))


# --------------------------------------------------------------- the losses
# Each takes the library (dualad or torch, the same names), a weight constructor and the
# input; each is a real number that does not depend on the vectors' phases.
def _slogdet(lib: Any, k: Callable, x: Any) -> Any:
    sign, logabs = lib.linalg.slogdet(x)
    return (0.7 * logabs + (sign * k(np.array([0.3 - 1.1j]))).real).sum()


def _cholesky(lib: Any, k: Callable, x: Any) -> Any:
    low = lib.linalg.cholesky(_hpd(x, k))
    return (low * k(C33)).real.sum() + (low.abs() ** 2 * k(W33)).sum()


def _cholesky_upper(lib: Any, k: Callable, x: Any) -> Any:
    up = lib.linalg.cholesky(_hpd(x, k), upper=True)
    return (up * k(C33)).imag.sum()


def _qr_tall(lib: Any, k: Callable, x: Any) -> Any:
    q, r = lib.linalg.qr(x)
    return (q * k(C32)).real.sum() + (r * k(C22)).imag.sum()


def _qr_wide(lib: Any, k: Callable, x: Any) -> Any:
    q, r = lib.linalg.qr(x)
    return (q * k(C22)).imag.sum() + (r * k(C23)).real.sum()


def _eigh(lib: Any, k: Callable, x: Any) -> Any:
    w, v = lib.linalg.eigh(x + _h(x))
    proj = (v * k(D3)) @ _h(v)  # V diag(d) V^H
    return (w * k(D3)).sum() + (v.abs() ** 2 * k(W33)).sum() + (proj * k(C33)).real.sum()


def _eigvalsh(lib: Any, k: Callable, x: Any) -> Any:
    return (lib.linalg.eigvalsh(x + _h(x)) * k(D3)).sum()


def _svd(lib: Any, k: Callable, x: Any) -> Any:
    u, s, vh = lib.linalg.svd(x, full_matrices=False)
    rebuilt = (u * k(D2)) @ vh  # U diag(d) Vh
    return ((s * k(D2)).sum() + (u.abs() ** 2 * k(W33[:, :2])).sum()
            + (vh.abs() ** 2 * k(W33[:2, :2])).sum() + (rebuilt * k(C32)).real.sum())


def _svd_wide(lib: Any, k: Callable, x: Any) -> Any:
    u, s, vh = lib.linalg.svd(x, full_matrices=False)
    return (s * k(D2)).sum() + (vh.abs() ** 2 * k(W33[:2, :])).sum() + (
        ((u * k(D2)) @ vh) * k(C23)).imag.sum()


def _svdvals(lib: Any, k: Callable, x: Any) -> Any:
    return (lib.linalg.svdvals(x) * k(D2)).sum()


def _pinv(lib: Any, k: Callable, x: Any) -> Any:
    p = lib.linalg.pinv(x)
    return (p * k(C23)).real.sum() + (p.abs() ** 2).sum()


def _lstsq(lib: Any, k: Callable, a: Any, b: Any) -> Any:
    if lib is da:
        x, res = da.linalg.lstsq(a, b)[:2]
    else:  # (torch's residuals are empty on CPU's default driver: computed here)
        x = lib.linalg.lstsq(a, b).solution
        res = ((a @ x - b).abs() ** 2).sum(0)
    return (x * k(C22)).real.sum() + (res * k(D2)).sum()


def _norms(lib: Any, k: Callable, x: Any) -> Any:
    return lib.linalg.norm(x, "nuc") + 0.5 * lib.linalg.norm(x, 2) + 0.3 * lib.linalg.cond(x)


def _stacked(lib: Any, k: Callable, x: Any) -> Any:
    w, v = lib.linalg.eigh(x @ _h(x))
    s = lib.linalg.svdvals(x)
    return (w * k(D2)).sum() + (v.abs() ** 2 * k(W33[:2, :2])).sum() + (s ** 2).sum() \
        + lib.linalg.slogdet(x)[1].sum()


CASES: dict[str, tuple[Callable, tuple]] = {
    "slogdet": (_slogdet, (SQUARE,)),
    "cholesky": (_cholesky, (SQUARE,)),
    "cholesky_upper": (_cholesky_upper, (SQUARE,)),
    "qr_tall": (_qr_tall, (TALL,)),
    "qr_wide": (_qr_wide, (WIDE,)),
    "eigh": (_eigh, (SQUARE,)),
    "eigvalsh": (_eigvalsh, (SQUARE,)),
    "svd": (_svd, (TALL,)),
    "svd_wide": (_svd_wide, (WIDE,)),
    "svdvals": (_svdvals, (WIDE,)),
    "pinv": (_pinv, (TALL,)),
    "lstsq": (_lstsq, (TALL, RHS)),
    "norms": (_norms, (SQUARE,)),
    "stack": (_stacked, (STACK,)),
}


def _da(f: Callable) -> Callable:
    return lambda *xs: f(da, da.tensor, *xs)


# ------------------------------------------------------------------- values
def test_values_are_numpys() -> None:
    for dtype in (np.complex128, np.complex64):
        a, t, w = SQUARE.astype(dtype), TALL.astype(dtype), WIDE.astype(dtype)
        h = _hpd(SQUARE).astype(dtype)
        tol = {"rtol": 1e-12, "atol": 1e-12} if dtype == np.complex128 else \
            {"rtol": 1e-5, "atol": 1e-5}
        pairs = [
            (da.linalg.slogdet(a), np.linalg.slogdet(a)),
            (da.linalg.cholesky(h), np.linalg.cholesky(h)),
            (da.linalg.cholesky(h, upper=True), np.linalg.cholesky(h, upper=True)),
            (da.linalg.eigh(a), np.linalg.eigh(a)),
            (da.linalg.eigh(a, UPLO="U"), np.linalg.eigh(a, UPLO="U")),
            (da.linalg.eigvalsh(a), np.linalg.eigvalsh(a)),
            (da.linalg.svdvals(w), np.linalg.svdvals(w)),
            (da.linalg.pinv(t), np.linalg.pinv(t)),
            (da.linalg.pinv(a, hermitian=True), np.linalg.pinv(a, hermitian=True)),
            (da.linalg.lstsq(t, RHS.astype(dtype))[:2], np.linalg.lstsq(t, RHS.astype(dtype))[:2]),
            (da.linalg.norm(t, "nuc"), np.linalg.norm(t, "nuc")),
            (da.linalg.cond(a), np.linalg.cond(a)),
        ]
        for x in (t, w, a):
            for full in (False, True):
                pairs.append((da.linalg.svd(x, full_matrices=full),
                              np.linalg.svd(x, full_matrices=full)))
            for mode in ("reduced", "complete", "r"):
                pairs.append((da.linalg.qr(x, mode=mode), np.linalg.qr(x, mode=mode)))
        for got, want in pairs:
            got = got if isinstance(got, tuple) else (got,)
            want = want if isinstance(want, tuple) else (want,)
            assert len(got) == len(want)
            for g, e in zip(got, want):
                g = g.numpy() if isinstance(g, da.Tensor) else np.asarray(g)
                assert g.dtype == np.asarray(e).dtype, (g.dtype, np.asarray(e).dtype)
                np.testing.assert_allclose(g, e, **tol)  # (phases too: NumPy's)


def test_slogdet_sign_is_complex_and_differentiable() -> None:
    # sign = det / |det| turns with the matrix: d sign = sign * i Im tr(inv(a) da)
    sign, logabs = np.linalg.slogdet(da.tensor(STACK))  # (np.linalg dispatches)
    want = np.linalg.det(STACK)
    np.testing.assert_allclose(sign.numpy(), want / np.abs(want), rtol=1e-12)
    np.testing.assert_allclose(logabs.numpy(), np.log(np.abs(want)), rtol=1e-12)
    z = da.tensor(STACK, requires_grad=True)
    assert da.gradcheck(lambda x: da.linalg.slogdet(x)[0], z)  # (re and im, both modes)
    assert da.gradcheck(lambda x: da.linalg.slogdet(x)[1], z)
    # the sign of a real matrix stays piecewise constant: no gradient
    assert not da.linalg.slogdet(da.tensor(W33, requires_grad=True))[0].requires_grad


# --------------------------------------------------------------- derivatives
@pytest.mark.parametrize("name", sorted(CASES))
def test_both_modes_match_finite_differences(name: str) -> None:
    f, inputs = CASES[name]
    leaves = [da.tensor(x, requires_grad=True) for x in inputs]
    assert da.gradcheck(_da(f), leaves)  # reverse and forward, re and im coordinates


@pytest.mark.parametrize("name", ["slogdet", "cholesky", "qr_tall", "eigh", "svd", "pinv"])
def test_second_order(name: str) -> None:
    f, inputs = CASES[name]
    small = {"slogdet": STACK[0], "cholesky": STACK[0], "eigh": STACK[1],
             "qr_tall": TALL, "svd": TALL, "pinv": TALL}[name]
    if name in ("cholesky", "eigh"):  # (2 x 2 versions of the 3 x 3 losses)
        def g(lib: Any, k: Callable, x: Any) -> Any:
            w, v = lib.linalg.eigh(x + _h(x))
            low = lib.linalg.cholesky(_hpd(x, k))
            return (w * k(D2)).sum() + (v.abs() ** 2 * k(W33[:2, :2])).sum() + (
                low * k(C22)).real.sum()
        f = g
    assert da.gradgradcheck(_da(f), [da.tensor(small, requires_grad=True)])


def test_second_order_through_eigs_phase_check() -> None:
    # the phase check sees the second-order cotangent of the vectors too: it does not see
    # the phases either (the first-order gradient does not depend on them)
    def f(x: Any) -> Any:
        w, v = da.linalg.eig(x)
        return (da.abs(v) ** 2 * W33[:2, :2]).sum() + da.real(w).sum()

    assert da.gradgradcheck(f, [da.tensor(STACK[0], requires_grad=True)])


def test_the_triangle_read_gets_the_gradient() -> None:
    # as NumPy, eigh/eigvalsh/cholesky read the lower triangle and the real part of the
    # diagonal: the upper triangle and the imaginary diagonal have derivative 0
    a = _hpd(SQUARE)
    moved = a + np.triu(_c(3, 3), 1) + 1j * np.diag(RNG.standard_normal(3))
    for fn in (da.linalg.eigvalsh, da.linalg.cholesky, lambda x: da.linalg.eigh(x)[0]):
        np.testing.assert_allclose(fn(da.tensor(moved)).numpy(), fn(da.tensor(a)).numpy(),
                                   rtol=1e-12, atol=1e-12)
        z = da.tensor(moved, requires_grad=True)
        (da.abs(fn(z) * W33[0]) ** 2).sum().backward()
        grad = z.grad.numpy()
        assert np.all(np.triu(grad, 1) == 0) and np.all(np.diag(grad).imag == 0)
        assert np.abs(np.tril(grad, -1)).max() > 0.01
        assert da.gradcheck(lambda x, fn=fn: da.real(fn(x) * C33[0]).sum(),
                            da.tensor(moved, requires_grad=True))


def test_complete_bases_of_complex_matrices() -> None:
    # the columns a complete basis adds are not unique; their span's projector is
    def loss(x: Any) -> Any:
        u = da.linalg.svd(x, full_matrices=True)[0][:, 2:]
        q = da.linalg.qr(x, mode="complete")[0][:, 2:]
        vh = da.linalg.svd(da.conj(x.mT), full_matrices=True)[2][2:, :]
        p = u @ _h(u) + q @ _h(q) + _h(vh) @ vh
        return (p * C33).real.sum()

    assert da.gradcheck(loss, da.tensor(_c(3, 2), requires_grad=True))


@pytest.mark.parametrize("name", ["eigh", "svd", "qr_tall", "cholesky"])
def test_complex64_gradients_are_the_complex128_ones_rounded(name: str) -> None:
    f, inputs = CASES[name]
    wide = da.tensor(inputs[0], requires_grad=True)
    narrow = da.tensor(inputs[0].astype(np.complex64), requires_grad=True)
    _da(f)(wide).backward()
    _da(f)(narrow).backward()
    assert narrow.grad.dtype == np.complex64
    np.testing.assert_allclose(narrow.grad.numpy(), wide.grad.numpy(), rtol=2e-3, atol=2e-3)


def test_complex64_input_of_a_complex128_product_keeps_its_imaginary_gradient() -> None:
    # regression: the raw-array rules' cast of a complex128 cotangent to a complex64 input
    # kept the real part only (as for a real input), e.g. of v * w and of v @ w
    v = da.tensor(C22.astype(np.complex64), requires_grad=True)
    da.real(v * da.tensor(C33[:2, :2]) + v @ da.tensor(C33[1:, 1:])).sum().backward()
    want = np.conj(C33[:2, :2]) + np.ones((2, 2)) @ np.conj(C33[1:, 1:]).T
    np.testing.assert_allclose(v.grad.numpy(), want, rtol=1e-6)


def test_the_registry_suite_draws_complex_inputs_inside_the_domain() -> None:
    # check_complex adds imaginary parts to a real draw; a Hermitian matrix made from it
    # must stay positive definite for cholesky, so draws the domain rejects are redrawn
    # (smaller imaginary parts at need) and, when none passes, rejected
    from dualad.testing.complexcheck import valid_complex_arrays

    op = da.registry.get("cholesky")
    a = np.array([[1.0, 0.9], [0.9, 1.0]])  # eigenvalues 0.1 and 1.9: too close to singular
    assert op.domain.valid(a + 0.95 * np.eye(2))
    found = valid_complex_arrays(op, (a + 0.95 * np.eye(2),), {}, seed=0)
    assert found is not None and found[0].dtype == np.complex128
    assert op.domain.valid(*found) and np.abs(found[0].imag).max() > 0
    assert valid_complex_arrays(op, (a,), {}, seed=0) is None  # (not positive definite)


# ------------------------------------------------------------------ phases
PHASED = {
    "eigh": lambda x: da.linalg.eigh(x)[1],
    "eig": lambda x: da.linalg.eig(x)[1],
    "svd U": lambda x: da.linalg.svd(x)[0],
    "svd Vh": lambda x: da.linalg.svd(x)[2],
}


@pytest.mark.parametrize("name", sorted(PHASED))
def test_a_loss_that_sees_the_phases_raises(name: str) -> None:
    # Im(v[0, 1]) changes when v's column 1 turns by a phase: no derivative (PyTorch
    # raises too); reverse mode sees it when the gradient reaches the vectors
    z = da.tensor(SQUARE, requires_grad=True)
    loss = da.imag(PHASED[name](z)[0, 1])
    with pytest.raises(RuntimeError, match="defined only up to a phase"):
        loss.backward()
    with pytest.raises(RuntimeError, match="defined only up to a phase"):
        func.grad(lambda x: da.imag(PHASED[name](x)[0, 1]))(da.tensor(SQUARE))
    # a loss that does not see them passes; so does a real matrix (signs only)
    z = da.tensor(SQUARE, requires_grad=True)
    (da.abs(PHASED[name](z)) ** 2 * W33).sum().backward()
    r = da.tensor(W33, requires_grad=True)
    da.real(PHASED[name](r)[0, 1]).backward()
    assert np.isfinite(r.grad.numpy()).all()


def test_forward_mode_of_gauge_invariant_quantities() -> None:
    # forward mode cannot see the loss; the tangents of quantities that do not depend on
    # the phases are exact (finite differences along a complex direction)
    direction = _c(3, 3)

    def quantities(x: Any) -> Any:
        w, v = da.linalg.eigh(x)
        u, s, vh = da.linalg.svd(x)
        return da.concatenate([(da.abs(v) ** 2).reshape(-1), w, s,
                               da.real(((u * s) @ vh).reshape(-1))])

    with fwAD.dual_level():
        dual = fwAD.make_dual(da.tensor(SQUARE), da.tensor(direction))
        tangent = fwAD.unpack_dual(quantities(dual)).tangent.numpy()
    eps = 1e-6
    fd = (quantities(da.tensor(SQUARE + eps * direction)).numpy()
          - quantities(da.tensor(SQUARE - eps * direction)).numpy()) / (2 * eps)
    np.testing.assert_allclose(tangent, fd, rtol=1e-6, atol=1e-7)


# -------------------------------------------------------------------- torch
def _torch_grads(f: Callable, inputs: tuple) -> list[np.ndarray]:
    torch = pytest.importorskip("torch")
    leaves = [torch.tensor(x, requires_grad=True) for x in inputs]
    f(torch, torch.tensor, *leaves).backward()
    return [x.grad.numpy() for x in leaves]


def max_abs_diff_to_torch(name: str) -> tuple[float, float]:
    """The largest differences with PyTorch of the gradient and of the directional
    derivative (forward mode) of the loss of ``CASES[name]``."""
    torch = pytest.importorskip("torch")
    f, inputs = CASES[name]
    leaves = [da.tensor(x, requires_grad=True) for x in inputs]
    _da(f)(*leaves).backward()
    want = _torch_grads(f, inputs)
    rev = max(float(np.abs(x.grad.numpy() - w).max()) for x, w in zip(leaves, want))
    directions = [_c(*x.shape) for x in inputs]
    _, tangent = func.jvp(_da(f), tuple(da.tensor(x) for x in inputs),
                          tuple(da.tensor(d) for d in directions))
    _, t_tangent = torch.func.jvp(lambda *xs: f(torch, torch.tensor, *xs),
                                  tuple(torch.tensor(x) for x in inputs),
                                  tuple(torch.tensor(d) for d in directions))
    return rev, abs(tangent.item() - t_tangent.item())


@pytest.mark.parametrize("name", sorted(CASES))
def test_both_modes_match_torch(name: str) -> None:
    rev, fwd = max_abs_diff_to_torch(name)
    assert rev < 1e-10 and fwd < 1e-10, (rev, fwd)


@pytest.mark.parametrize("name", ["eigh", "svd", "qr_tall", "cholesky", "slogdet"])
def test_second_order_matches_torch(name: str) -> None:
    # the gradient of <grad L, d> (a Hessian-vector product, complex convention)
    torch = pytest.importorskip("torch")
    f, inputs = CASES[name]
    d = _c(*inputs[0].shape)
    x = da.tensor(inputs[0], requires_grad=True)
    (g,) = da.autograd.grad(_da(f)(x), [x], create_graph=True)
    da.real((g * np.conj(d)).sum()).backward()
    tx = torch.tensor(inputs[0], requires_grad=True)
    (tg,) = torch.autograd.grad(f(torch, torch.tensor, tx), [tx], create_graph=True)
    (tg * torch.tensor(np.conj(d))).sum().real.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-10)


def test_torch_also_refuses_a_loss_that_sees_the_phases() -> None:
    torch = pytest.importorskip("torch")
    for fn in (lambda x: torch.linalg.eigh(x)[1], lambda x: torch.linalg.svd(x)[0]):
        z = torch.tensor(SQUARE, requires_grad=True)
        with pytest.raises(RuntimeError, match="phi"):
            fn(z)[0, 1].imag.backward()

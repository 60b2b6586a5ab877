"""NumPy's products, statistics and composites on complex tensors, in both modes.

Oracles: NumPy's values; finite differences along every real and imaginary coordinate
(``da.gradcheck``, both modes); PyTorch's reverse and forward-mode derivatives (skipped
without torch).
"""

from __future__ import annotations

import numpy as np
import pytest

import dualad as da
from dualad import forward_ad as fwAD

RNG = np.random.default_rng(42)


def _c(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


A, B, V, U, M = _c(2, 3), _c(3, 2), _c(4), _c(4), _c(2, 2)
ROWS = _c(2, 5)
IDX = np.array([1, 0, 3])


def _torch_cases() -> dict:
    """name: (inputs, dualad function, torch function (None: no torch counterpart))."""
    return {
        "kron": ((A, B), lambda x, y: np.kron(x, y), lambda t, x, y: t.kron(x, y)),
        "tensordot": ((A, B), lambda x, y: np.tensordot(x, y, axes=1),
                      lambda t, x, y: t.tensordot(x, y, dims=1)),
        "dot": ((A, B), lambda x, y: np.dot(x, y), lambda t, x, y: x @ y),
        "vdot": ((V, U), lambda x, y: np.vdot(x, y), lambda t, x, y: t.vdot(x, y)),
        "cov": ((ROWS,), lambda x: np.cov(x), lambda t, x: t.cov(x)),
        "cumprod": ((ROWS,), lambda x: np.cumprod(x, axis=1),
                    lambda t, x: t.cumprod(x, dim=1)),
        "sinc": ((V,), lambda x: np.sinc(x), lambda t, x: t.sinc(x)),
        "matrix_power": ((M,), lambda x: np.linalg.matrix_power(x, -3),
                         lambda t, x: t.linalg.matrix_power(x, -3)),
        "take": ((V,), lambda x: np.take(x, IDX), lambda t, x: x[t.tensor(IDX)]),
        "take_along_axis": ((A,), lambda x: np.take_along_axis(x, np.array([[2], [0]]), 1),
                            lambda t, x: t.take_along_dim(x, t.tensor([[2], [0]]), 1)),
        "roll": ((A,), lambda x: np.roll(x, 1, axis=1), lambda t, x: t.roll(x, 1, 1)),
        "tile": ((V,), lambda x: np.tile(x, 2), lambda t, x: t.tile(x, (2,))),
        "repeat": ((V,), lambda x: np.repeat(x, 2), lambda t, x: t.repeat_interleave(x, 2)),
        "pad": ((V,), lambda x: np.pad(x, (1, 2)), None),
        "multi_dot": ((M,), lambda x: np.linalg.multi_dot([x, x, x]),
                      lambda t, x: x @ x @ x),
    }


CASES = _torch_cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_are_numpys_and_both_modes_match_finite_differences(name: str) -> None:
    inputs, f, _ = CASES[name]
    got = f(*[da.tensor(x) for x in inputs])
    np.testing.assert_allclose(got.numpy(), f(*inputs), rtol=1e-12, atol=1e-12)
    leaves = [da.tensor(x, requires_grad=True) for x in inputs]
    assert da.gradcheck(f, leaves, check_forward_ad=True)


@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n][2] is not None))
def test_both_modes_match_torch(name: str) -> None:
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as tfw

    inputs, f, tf = CASES[name]
    rng = np.random.default_rng(1)
    out_shape = np.shape(f(*inputs))
    cot = rng.standard_normal(out_shape) + 1j * rng.standard_normal(out_shape)
    tangents = [rng.standard_normal(x.shape) + 1j * rng.standard_normal(x.shape)
                for x in inputs]

    leaves = [torch.tensor(x, requires_grad=True) for x in inputs]
    tf(torch, *leaves).backward(torch.tensor(cot))
    ours = [da.tensor(x, requires_grad=True) for x in inputs]
    f(*ours).backward(da.tensor(cot))
    for t_leaf, d_leaf in zip(leaves, ours):
        np.testing.assert_allclose(d_leaf.grad.numpy(), t_leaf.grad.numpy(), rtol=1e-10,
                                   atol=1e-12)

    with tfw.dual_level():
        duals = [tfw.make_dual(torch.tensor(x), torch.tensor(t))
                 for x, t in zip(inputs, tangents)]
        t_tan = tfw.unpack_dual(tf(torch, *duals)).tangent.numpy()
    with fwAD.dual_level():
        duals = [fwAD.make_dual(da.tensor(x), da.tensor(t)) for x, t in zip(inputs, tangents)]
        d_tan = fwAD.unpack_dual(f(*duals)).tangent.numpy()
    np.testing.assert_allclose(d_tan, t_tan, rtol=1e-10, atol=1e-12)


def test_cov_of_complex_rows_conjugates_like_numpy() -> None:
    # regression: cov of complex data used X @ X.T (no conjugate): a silent wrong value
    c = da.cov(da.tensor(ROWS)).numpy()
    np.testing.assert_allclose(c, np.cov(ROWS), rtol=1e-12)
    assert np.allclose(np.diagonal(c).imag, 0.0)  # variances are real
    w = np.arange(1.0, 6.0)
    np.testing.assert_allclose(np.cov(da.tensor(ROWS), aweights=w).numpy(),
                               np.cov(ROWS, aweights=w), rtol=1e-12)


def test_vdot_conjugates_its_first_argument() -> None:
    # regression: vdot refused complex tensors
    assert da.vdot(da.tensor([1j, 2.0]), da.tensor([1j, 1j])).item() == 1 + 2j


def test_cumprod_reverse_rule_conjugates_for_complex() -> None:
    # the cotangent meets the conjugate Jacobian: d/dz of Re(cumprod(z)[1]) = conj(z0)
    z = da.tensor([1 + 2j, 3 - 1j], requires_grad=True)
    da.real(da.cumprod(z)[1]).backward()
    np.testing.assert_allclose(z.grad.numpy(), np.conj([3 - 1j, 1 + 2j]))

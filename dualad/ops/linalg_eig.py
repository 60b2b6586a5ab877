"""NumPy's ``eig`` and ``eigvals`` of general (non-symmetric) square matrices, real or
complex: complex eigenvalues and eigenvectors, differentiable in both modes (PyTorch's
convention for complex numbers, docs/complex-numbers.md).

Two registry ops, ``eigvals`` and ``eig_vectors``, written with dualad ops so they
differentiate again. ``eig_vectors`` returns each eigenvector with unit norm and its entry
of largest magnitude real and positive (a gauge that is smooth wherever that entry is
unique); :func:`eig` multiplies it by a constant phase to give NumPy's (LAPACK's) vectors.
The derivative of a quantity that does not depend on the phases of the vectors (``|v|**2``,
the eigenvalues, ``v v^H``) is then PyTorch's ``torch.linalg.eig`` gradient.

With ``P = V^-1 dA V`` and ``F[i, j] = 1/(w_j - w_i)`` off the diagonal:
``dw = diag(P)``, and ``dV = V (F * P)`` plus, per column, the multiple of the column that
keeps its norm 1 and its gauge entry real. Repeated eigenvalues are declared kinks, with
the conventions of ``eigh`` (docs/linear-algebra.md): equal eigenvalues share their
derivative equally, and the inverse gap of a repeated pair is taken as 0.

>>> import dualad as da
>>> a = da.tensor([[0.0, 1.0], [-2.0, -3.0]], requires_grad=True)
>>> w = da.linalg.eigvals(a)
>>> sorted(w.detach().numpy().real.round(12).tolist())
[-2.0, -1.0]
>>> da.real(w).sum().backward()          # d trace / dA
>>> a.grad.numpy().round(12).tolist()
[[1.0, 0.0], [0.0, 1.0]]
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..registry import NO_SYMPY_FORM, Domain, Hints, Kink, Op, apply, call, register_op
from ..tensor import Tensor, shape_of
from .linalg import matmul, solve
from .linalg_decomp import (
    _col,
    _continuous,
    _diag_part,
    _gauge,
    _gauge_rows,
    _inv_gaps,
    _mH,
    _raw,
    _repeated,
    _row,
    _shared,
    _tie_average,
    _watch_phases,
    _watched,
    _whole_matrices,
)
from .reductions import sum as _sum

__all__ = ["EigResult", "eig", "eigvals"]


class EigResult(NamedTuple):
    """``eig``'s result: the eigenvalues and the eigenvectors (columns, unit norm)."""

    eigenvalues: Tensor
    eigenvectors: Tensor


# ------------------------------------------------------------------ helpers
def _conj(x: Any) -> Tensor:
    return call("conj", x)


def _real(x: Any) -> Tensor:
    return call("real", x)


def _imag(x: Any) -> Tensor:
    return call("imag", x)


def _eig_raw(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LAPACK's eigenvalues and unit eigenvectors, always complex (NumPy gives real arrays
    for a real matrix whose eigenvalues are all real)."""
    w, v = np.linalg.eig(x)
    return w.astype(np.complex128), v.astype(np.complex128)


def _canonical(x: np.ndarray) -> np.ndarray:
    """Unit eigenvectors with the entry of largest magnitude real and positive."""
    v = _eig_raw(x)[1]
    top = np.sum(v * _gauge_rows(v), axis=-2, keepdims=True)
    return v * (np.conj(top) / np.abs(top))


def _values(x: Any) -> np.ndarray:
    return _eig_raw(_raw(x))[0]


def _vectors(x: Any) -> Tensor:
    return apply(_EIG_VECTORS, x)


def _share(x: Any) -> Any:
    """Equal eigenvalues share their derivative equally (the kink convention)."""
    return _tie_average(_values(x))[0]


def _gaps(x: Any) -> Tensor:
    """``F[i, j] = 1/(w_j - w_i)``, 0 on the diagonal and inside a repeated group."""
    w = apply(_EIGVALS, x)
    return _inv_gaps(w, _repeated(w._data))


# ---------------------------------------------------------------- eigvals
def _eigvals_vjp(g: Tensor, out: Any, x: Any) -> Tensor:
    vh = _mH(_vectors(x))  # V^-H diag(g) V^H
    return solve(vh, _row(_shared(g, _share(x))) * vh)


def _eigvals_jvp(t: Tensor, out: Any, x: Any) -> Tensor:
    v = _vectors(x)  # diag(V^-1 dA V)
    return _shared(_diag_part(solve(v, matmul(t, v))), _share(x))


# ------------------------------------------------------------ eig_vectors
def _eig_vectors_jvp(t: Tensor, out: Tensor, x: Any) -> Tensor:
    v = out
    moved = matmul(v, _gaps(x) * solve(v, matmul(t, v)))  # V (F * V^-1 dA V)
    mask, top = _gauge(v)
    norm_part = _real(_sum(_conj(v) * moved, axis=-2))  # keeps |v| = 1
    phase_part = _imag(_sum(moved * mask, axis=-2)) / top  # keeps the gauge entry real
    return moved - v * _col(norm_part + 1j * phase_part)


def _eig_vectors_vjp(g: Tensor, out: Tensor, x: Any) -> Tensor:
    v = out  # the adjoint of the jvp, step by step
    mask, top = _gauge(v)
    w = _sum(_conj(g) * v, axis=-2)
    g0 = g - v * _col(_real(w)) + (1j * mask) * _col(_imag(w) / top)
    vh = _mH(v)
    return solve(vh, matmul(_conj(_gaps(x)) * matmul(vh, g0), vh))


# ------------------------------------------------------------------ domain
def _well_separated(x: Any) -> bool:
    """Eigenvalues at least 0.3 apart, eigenvectors well conditioned, and LAPACK's order
    and the gauge continuous near ``x`` (central differences need both)."""
    a = np.asarray(x)
    w, v = _eig_raw(a)
    n = a.shape[-1]
    if n > 1:
        gaps = np.abs(w[..., :, None] - w[..., None, :]) + np.eye(n) * 10.0
        if np.any(gaps < 0.3) or np.any(np.linalg.cond(v) > 20):
            return False
    return _continuous(lambda m: np.concatenate(
        [_eig_raw(m)[0].reshape(-1), _canonical(m).reshape(-1)]), a.astype(np.float64)
        if a.dtype.kind != "c" else a)


_SHAPES: list = [(((3, 3),), {}), (((2, 2),), {}), (((2, 3, 3),), {}), (((1, 1),), {})]
_MATRIX = ((-2.0, 2.0),)
_REPEATED_POINT = np.diag([1.0, 1.0, 3.0])
# the reverse rule at _REPEATED_POINT for a cotangent of ones: F with its repeated pair 0
_VECTORS_AT_KINK = np.array([[0.0, 0.0, 0.5], [0.0, 0.0, 0.5], [-0.5, -0.5, 0.0]])

_EIGVALS = register_op(Op(
    name="eigvals", forward=lambda x: _eig_raw(x)[0],
    vjp=_watched("eigvals", _eigvals_vjp, _eigvals_jvp)[:1],
    jvp=_watched("eigvals", _eigvals_vjp, _eigvals_jvp)[1:], sympy=NO_SYMPY_FORM,
    kinks=(Kink("repeated eigenvalues", ((_REPEATED_POINT,),), (np.eye(3),), 2,
                "the eigenvalues of a repeated one are not differentiable: they share the "
                "derivative equally, independent of the basis (PyTorch uses LAPACK's "
                "basis: the same for their sum); at a defective matrix (a Jordan block) "
                "there is no derivative and the rules divide by a singular V",
                pytorch=(np.eye(3),), jax=(np.eye(3),),
                at=lambda x: _whole_matrices(_tie_average(_eig_raw(x)[0])[1], np.shape(x))),),
    domain=Domain(ranges=(_MATRIX,), shapes=_SHAPES, valid=_well_separated),
    node_name="LinalgEigBackward0", accepts_complex=True))
_EIG_VECTORS = register_op(Op(
    name="eig_vectors", forward=_canonical,
    vjp=_watched("eig_vectors", _eig_vectors_vjp, _eig_vectors_jvp)[:1],
    jvp=_watched("eig_vectors", _eig_vectors_vjp, _eig_vectors_jvp)[1:],
    sympy=NO_SYMPY_FORM,
    kinks=(Kink("repeated eigenvalues", ((_REPEATED_POINT,),), (_VECTORS_AT_KINK,), 4,
                "the eigenvectors of a repeated eigenvalue are not unique: they do not rotate "
                "among themselves (the inverse gap 1/(w_j - w_i) is taken as 0)",
                pytorch=(np.nan,), jax=(np.nan,),
                at=lambda x: _whole_matrices(_repeated(_eig_raw(x)[0]), np.shape(x))),),
    domain=Domain(ranges=(_MATRIX,), shapes=_SHAPES, valid=_well_separated),
    node_name="LinalgEigBackward0", accepts_complex=True,
    hints=Hints(saves_output=True)))


# ------------------------------------------------------------------ public
def _eig_check(name: str, a: Any) -> None:
    s = shape_of(a)
    if len(s) < 2 or s[-1] != s[-2]:
        raise ValueError(f"{name}: expected square matrices (shape (..., n, n)), got shape {s}")
    dtype = a.dtype if isinstance(a, Tensor) else np.asarray(a).dtype
    if dtype.kind not in "fciub":
        raise TypeError(f"{name}: expected a real or complex matrix, got dtype {dtype}")


def eigvals(a: Any) -> Tensor:
    """Eigenvalues of general square matrices (NumPy's ``eigvals``), of a stack too: always
    a complex tensor (NumPy returns a real array when every eigenvalue of a real matrix is
    real; PyTorch's ``linalg.eigvals`` is always complex). LAPACK's order.

    >>> import dualad as da
    >>> w = da.linalg.eigvals(da.tensor([[0.0, -1.0], [1.0, 0.0]]))
    >>> sorted(w.numpy().imag.round(12).tolist())
    [-1.0, 1.0]
    """
    _eig_check("eigvals", a)
    return apply(_EIGVALS, a)


def eig(a: Any) -> EigResult:
    """Eigenvalues and unit right eigenvectors (columns) of general square matrices (NumPy's
    ``eig``), complex tensors, with NumPy's (LAPACK's) phases.

    The phase of each eigenvector is arbitrary: differentiate quantities that do not
    depend on it (``abs(v)**2``, the eigenvalues, ``v @ diag(c) @ inv(v)``); their
    derivatives are PyTorch's, and a gradient that depends on the phases raises
    ``RuntimeError``, as in PyTorch. At repeated eigenvalues (declared kinks) equal eigenvalues
    share their derivative and the vectors of a repeated eigenvalue do not rotate among
    themselves (docs/linear-algebra.md).

    >>> import dualad as da
    >>> w, v = da.linalg.eig(da.tensor([[2.0, 1.0], [0.0, 3.0]]))
    >>> w.numpy().real.tolist(), (da.abs(v) ** 2).numpy().round(12).tolist()
    ([2.0, 3.0], [[1.0, 0.5], [0.0, 0.5]])
    """
    _eig_check("eig", a)
    canonical = _watch_phases("eig", "eigenvectors", _vectors(a))
    numpy_v = _eig_raw(_raw(a))[1]
    phase = np.sum(np.conj(canonical._data) * numpy_v, axis=-2, keepdims=True)
    phase = phase / np.abs(phase)  # (unit: the columns differ by a phase only)
    return EigResult(apply(_EIGVALS, a), canonical * phase)

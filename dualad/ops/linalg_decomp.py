"""NumPy's ``np.linalg`` beyond det/inv/solve: decompositions, norms and least squares.

Registry ops (each with reverse and forward rules written with dualad ops, so they
differentiate again in both modes): ``logabsdet`` and ``slogdet_sign`` (of ``slogdet``),
``pinv``, ``cholesky``, ``qr_q``/``qr_r`` (reduced QR, m >= n), ``eigvalsh``/
``eigh_vectors``, ``svdvals``/``svd_vectors`` (reduced SVD, ``[U; V]`` stacked).
Everything else is a composite of registry ops: ``slogdet``, ``lstsq``,
``matrix_power``, ``qr`` in every mode, ``eigh``, ``svd`` (full and reduced), ``norm``
for every ``ord``, ``cond``, ``multi_dot``; ``matrix_rank`` is an integer result with no
gradient. All accept stacks of matrices (leading axes), as NumPy does, and complex
matrices (PyTorch's convention, docs/complex-numbers.md): the rules use conjugate
transposes, the vector ops keep a smooth gauge (each vector's entry of largest magnitude
real and positive) with its phase term in both modes, and ``eigh``/``svd`` refuse, in
reverse mode, a gradient that depends on the vectors' arbitrary phases.

Conventions where a derivative does not exist (docs/linear-algebra.md):

- repeated eigenvalues and singular values (declared kinks, tracked): equal values share
  their derivative equally (a zero singular value gets 0); the vectors of a repeated
  value do not rotate among themselves (the inverse gap is taken as 0; for singular
  vectors the rotation of U against V keeps its limit);
- ``eigh``, ``eigvalsh`` and ``cholesky`` read one triangle (``UPLO``), as NumPy does:
  the derivative is that of the function NumPy computes, so an entry of the other
  triangle has derivative 0 and an off-diagonal entry of the read triangle counts for
  both of its symmetric positions;
- ``pinv``/``lstsq`` of a rank-deficient matrix: the derivative of the pseudo-inverse
  at constant rank (the Golub-Pereyra formula); a change of rank is not differentiated;
- the extra columns of a complete basis (``svd(full_matrices=True)`` and
  ``qr(mode='complete')`` of a non-square matrix) are not unique: they move without
  rotating among themselves (their derivative has no component in their own span).

>>> import dualad as da
>>> a = da.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
>>> w, v = da.linalg.eigh(a)
>>> w.sum().backward()                 # d trace / dA on the lower triangle read
>>> a.grad.numpy().round(12).tolist() == [[1.0, 0.0], [0.0, 1.0]]
True
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from .._sympy import sp
from ..registry import NO_SYMPY_FORM, Domain, Hints, Kink, Op, apply, call, register_op
from ..tensor import Tensor, _wrap, shape_of
from ._define import conj_if_complex, is_complex, kink_adjust, quiet
from .elementwise import abs as _abs
from .elementwise import where
from .linalg import _sym_det, _well_conditioned, inv, matmul, solve, tril, triu
from .reductions import amax, amin
from .reductions import norm as _vector_norm
from .reductions import sum as _sum
from .shape import clone, concatenate, expand_dims, permute, reshape, squeeze, transpose
from .vmap_rules import per_example_inside_vmap

__all__ = [
    "EighResult", "QRResult", "SVDResult", "SlogdetResult", "cholesky", "cond", "eigh",
    "eigvalsh", "lstsq", "matrix_norm", "matrix_power", "matrix_rank",
    "multi_dot", "norm", "pinv", "qr", "slogdet", "svd", "svdvals", "vector_norm",
]


class SlogdetResult(NamedTuple):
    """``slogdet``'s result: the sign (no gradient) and ``log|det|`` (differentiable)."""

    sign: Tensor
    logabsdet: Tensor


class EighResult(NamedTuple):
    """``eigh``'s result: ascending eigenvalues and the eigenvectors (columns)."""

    eigenvalues: Tensor
    eigenvectors: Tensor


class SVDResult(NamedTuple):
    """``svd``'s result: ``U``, the descending singular values ``S`` and ``Vh``."""

    U: Tensor
    S: Tensor
    Vh: Tensor


class QRResult(NamedTuple):
    """``qr``'s result: ``Q`` with orthonormal columns and upper-triangular ``R``."""

    Q: Tensor
    R: Tensor


# ------------------------------------------------------------------ helpers
def _mT(a: Any) -> Tensor:
    return transpose(a, -1, -2)


def _mH(a: Any) -> Tensor:  # noqa: N802
    """The conjugate transpose of the last two axes (the transpose of a real matrix)."""
    return conj_if_complex(_mT(a))


def _re(x: Any) -> Any:
    """The real part of a complex ``x``; a real ``x`` itself."""
    return call("real", x) if is_complex(x) else x


def _im(x: Any) -> Tensor:
    return call("imag", x)


def _eye(n: int, like: Any = None) -> np.ndarray:
    """The identity, float64 or (``like`` given) of the real dtype of ``like``'s."""
    if like is None:
        return np.eye(n)
    return np.eye(n, dtype=np.abs(np.zeros(1, dtype=_raw(like).dtype)).dtype)


def _col(v: Any) -> Tensor:
    """``v[..., None, :]``: a vector of per-column factors, broadcast over rows."""
    s = shape_of(v)
    return reshape(v, s[:-1] + (1, s[-1]))


def _row(v: Any) -> Tensor:
    """``v[..., :, None]``: a vector of per-row factors, broadcast over columns."""
    s = shape_of(v)
    return reshape(v, s + (1,))


def _diag_part(m: Any) -> Tensor:
    """The main diagonal of the last two axes (square)."""
    return _sum(m * _eye(shape_of(m)[-1]), axis=-1)


def _sym_from(t: Any, uplo: str) -> Tensor:
    """The symmetric (complex: Hermitian) matrix LAPACK reads from one triangle of ``t``
    (``uplo`` 'L' or 'U'): that strict triangle, its (conjugate) transpose, and the real
    part of the diagonal (LAPACK ignores the imaginary part of a Hermitian diagonal)."""
    if not is_complex(t):
        return tril(t) + _mT(tril(t, -1)) if uplo == "L" else triu(t) + _mT(triu(t, 1))
    strict = tril(t, -1) if uplo == "L" else triu(t, 1)
    return strict + _mH(strict) + _re(t) * _eye(shape_of(t)[-1], t)


def _sym_adjoint(g: Any, uplo: str) -> Tensor:
    """The adjoint of :func:`_sym_from`: a gradient on symmetric (Hermitian) matrices as
    the gradient of the triangle read (the other triangle, and the imaginary part of the
    diagonal, get 0)."""
    both = g + _mH(g)
    diag = _re(g) * _eye(shape_of(g)[-1])
    return (tril(both, -1) if uplo == "L" else triu(both, 1)) + diag


def _equal(values: np.ndarray) -> np.ndarray:
    """``eq[..., i, j]``: ``values[i]`` and ``values[j]`` agree to LAPACK's accuracy (64 ulps
    of the largest magnitude): an eigen/singular value repeated exactly comes back from
    LAPACK equal only to rounding."""
    tol = 64 * np.finfo(np.float64).eps * np.max(np.abs(values), axis=-1, keepdims=True)
    return np.abs(values[..., :, None] - values[..., None, :]) <= tol[..., None]


def _is_zero(values: np.ndarray) -> np.ndarray:
    """Which (nonnegative, descending) singular values are 0 to LAPACK's accuracy."""
    return values <= 64 * np.finfo(np.float64).eps * values[..., :1]


def _repeated(values: np.ndarray) -> np.ndarray:
    """``mask[..., i, j]``: i != j and ``values[i] == values[j]`` (a repeated value)."""
    n = values.shape[-1]
    return _equal(values) & ~np.eye(n, dtype=bool)


def _inv_gaps(values: Any, repeated: np.ndarray) -> Tensor:
    """``F[..., i, j] = 1 / (v_j - v_i)`` off the diagonal, 0 on it and at the pairs
    ``repeated`` marks (equal values: the vectors of a repeated value do not rotate among
    themselves, the convention of docs/linear-algebra.md)."""
    n = shape_of(values)[-1]
    gaps = _col(values) - _row(values)
    keep = (1.0 - _eye(n)) * ~repeated
    return (1.0 / (gaps + _eye(n) + repeated)) * keep


def _tie_average(values: np.ndarray, zero_is_kink: bool = False) -> tuple:
    """The matrix that shares a derivative equally among equal values (rows of a zero value
    zeroed when ``zero_is_kink``), and the mask of the entries that are kinks."""
    eq = _equal(values)
    counts = eq.sum(axis=-1, keepdims=True)
    share = eq / counts
    mask = eq & (counts > 1)
    if zero_is_kink:
        zero = _is_zero(values)[..., :, None]
        share = np.where(zero, 0.0, share)
        mask = mask | (zero & eq)
    return share, mask


def _shared(d: Any, share: Any) -> Tensor:
    """``share @ d`` along the last axis (``share`` symmetric: the same in both modes)."""
    return reshape(matmul(share, reshape(d, shape_of(d) + (1,))), shape_of(d))


def _raw(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _matrix_check(name: str, x: Any) -> tuple:
    s = shape_of(x)
    if len(s) < 2:
        raise ValueError(f"{name}: expected a matrix or a stack of matrices (at least 2 "
                         f"dimensions), got shape {s}")
    return s


def _square_check(name: str, x: Any) -> int:
    s = _matrix_check(name, x)
    if s[-1] != s[-2]:
        raise ValueError(f"{name}: expected square matrices (shape (..., n, n)), got shape {s}")
    return s[-1]


def _uplo_check(name: str, uplo: Any) -> Any:
    if uplo not in ("L", "U"):
        raise ValueError(f"{name}: UPLO must be 'L' or 'U', got {uplo!r}")
    return str(uplo)


def _per_matrix(x: Any, fn: Any, out_shape: Any) -> np.ndarray:
    """``fn`` (on one SymPy Matrix, giving a nested list or a scalar) over a stack."""
    x = np.asarray(x, dtype=object)
    first = None
    results = {}
    for idx in np.ndindex(*x.shape[:-2]):
        results[idx] = np.asarray(fn(sp.Matrix(x[idx].tolist())), dtype=object)
        first = results[idx]
    assert first is not None
    out = np.empty(x.shape[:-2] + first.shape, dtype=object)
    for idx, r in results.items():
        out[idx] = r
    return out


def _unit(z: np.ndarray) -> np.ndarray:
    """``z / |z|`` (1 where ``z`` is 0): a sign, or a complex phase."""
    mag = np.abs(z)
    return np.where(mag == 0, 1.0, z / np.where(mag == 0, 1.0, mag))


def _gauge_rows(v: np.ndarray) -> np.ndarray:
    """The one-hot mask (per column of the last two axes) of each column's entry of
    largest magnitude: the entry the canonical gauge keeps real and positive."""
    idx = np.argmax(np.abs(v), axis=-2)[..., None, :]
    mask = np.zeros(v.shape)
    np.put_along_axis(mask, idx, 1.0, axis=-2)
    return mask


def _largest_positive(v: np.ndarray) -> np.ndarray:
    """Per column of ``v`` (last two axes), the sign (+1 or -1; complex: the phase) that
    makes its entry of largest magnitude real and positive: a gauge that is continuous
    wherever that entry is unique (LAPACK's own signs are not: they may flip under a
    perturbation of 1e-6)."""
    idx = np.argmax(np.abs(v), axis=-2)[..., None, :]
    return np.conj(_unit(np.take_along_axis(v, idx, axis=-2)[..., 0, :]))


def _to_numpy_gauge(canonical: Tensor, numpy_columns: np.ndarray) -> np.ndarray:
    """The signs (complex: phases), a constant per column, that turn the canonical columns
    into NumPy's (the columns differ by them only)."""
    return _unit(np.sum(np.conj(canonical._data) * numpy_columns, axis=-2))[..., None, :]


def _continuous(fn: Any, x: np.ndarray, step: float = 1e-3) -> bool:
    """Whether LAPACK's choice (of signs, of a basis) is continuous near ``x``: moving any
    element (its real and, complex, its imaginary part) by ``step`` either way moves
    ``fn(x)`` by less than 0.1 (a test domain's guard: central differences across a sign
    flip of NumPy's result measure the flip)."""
    base = fn(x)
    steps = (step, -step, 1j * step, -1j * step) if x.dtype.kind == "c" else (step, -step)
    for i in np.ndindex(*x.shape):
        for d in steps:
            moved = x.copy()
            moved[i] += d
            if np.max(np.abs(fn(moved) - base)) > 0.1:
                return False
    return True


def _gauge(v: Tensor) -> tuple[np.ndarray, Tensor]:
    """The canonical gauge of unit vectors ``v`` (columns): the mask of each column's
    entry of largest magnitude, and that entry (real and positive; differentiable)."""
    mask = _gauge_rows(v._data)
    return mask, _re(_sum(v * mask, axis=-2))


def _phase_cotangent(g: Any, v: Tensor, mask: np.ndarray, top: Tensor) -> Tensor:
    """The adjoint of the gauge-keeping term of a tangent (:func:`_keep_gauge`), for a
    cotangent ``g`` of vectors that turn with the phases of ``v``'s columns: ``1j * mask *
    Im(g_k^H v_k) / top_k``, 0 for a cotangent that does not see the phases."""
    return _col(_im(_sum(conj_if_complex(g) * v, axis=-2)) / top) * (1j * mask)


def _keep_gauge(moved: Tensor, v: Tensor) -> Tensor:
    """A tangent ``moved`` of complex unit vectors ``v`` (columns) plus the multiple
    ``i phi_k v_k`` of each column that keeps its gauge entry real (the canonical gauge:
    the entry of largest magnitude real and positive). A real ``moved`` is returned as is
    (real vectors have no continuous gauge)."""
    if not is_complex(v):
        return moved
    mask, top = _gauge(v)
    return moved - (1j * v) * _col(_im(_sum(moved * mask, axis=-2)) / top)


def _keep_gauge_adjoint(g: Tensor, v: Tensor) -> Tensor:
    """The adjoint of :func:`_keep_gauge` (for a real-inner-product, PyTorch's convention):
    ``g`` plus the gauge term, 0 when ``g`` does not see the phases (``Im(v_k^H g_k) = 0``,
    the loss is gauge-invariant)."""
    if not is_complex(v):
        return g
    mask, top = _gauge(v)
    return g + _phase_cotangent(g, v, mask, top)


def _watch_phases(name: str, what: str, vectors: Tensor, pairs: bool = False) -> Tensor:
    """Watch complex unit ``vectors`` (columns), each defined up to a phase, in reverse
    mode: a cotangent that sees the phases (``Im(v_k^H g_k)`` not 0 to rounding: the loss
    changes under ``v_k -> v_k e^(i phi_k)``, so its derivative is not defined) raises a
    RuntimeError when the gradient reaches them, as PyTorch does. Forward mode cannot tell
    (docs/linear-algebra.md). Real vectors, or vectors not differentiated, pass.
    ``pairs``: the columns are SVD's stacked ``[u_k; v_k]``, which turn together."""
    if not vectors.requires_grad or not is_complex(vectors):
        return vectors
    data = vectors._data
    tol = 64 * np.sqrt(np.finfo(data.dtype).eps)  # (2e-2 for complex64, 1e-6 for 128)
    turn, keep = ("u_k, v_k -> u_k e^(i phi), v_k e^(i phi)",
                  "abs(u)**2, u @ diag(c) @ vh, the singular values") if pairs else \
        ("v_k -> v_k e^(i phi)", "abs(v)**2, v @ diag(c) @ v^H, the eigenvalues")

    def check_phase_invariance(g: Any) -> None:
        gd = _raw(g)
        seen = np.abs(np.imag(np.sum(np.conj(data) * gd, axis=-2)))
        scale = np.linalg.norm(data, axis=-2) * np.linalg.norm(gd, axis=-2)
        if np.any(seen > tol * np.max(scale, axis=-1, keepdims=True)):
            raise RuntimeError(
                f"linalg.{name}: the {what} of a complex matrix are defined only up to a "
                f"phase each ({turn}), and the loss depends on these phases (Im(v^H grad) = "
                f"{float(np.max(seen)):.3g}, not 0), so its derivative is not defined; "
                f"differentiate a quantity that does not depend on them ({keep}), see "
                "docs/linear-algebra.md")

    vectors.register_hook(check_phase_invariance)
    return vectors


def _gapped(values: np.ndarray, gap: float) -> bool:
    """Every pair of (sorted) values along the last axis at least ``gap`` apart."""
    v = np.sort(values, axis=-1)
    return bool(np.all(np.diff(v, axis=-1) > gap))


# ---------------------------------------------------------------- slogdet
def _logabsdet_vjp(g: Tensor, out: Any, x: Any) -> Tensor:
    return reshape(g, shape_of(g) + (1, 1)) * _mH(inv(x))


def _logabsdet_jvp(t: Tensor, out: Any, x: Any) -> Tensor:
    return _re(_sum(_mT(inv(x)) * t, axis=(-2, -1)))  # Re tr(inv(x) dx)


def _sign_vjp(g: Tensor, out: Tensor, x: Any) -> Tensor:
    # d sign = sign * i Im tr(inv(x) dx); 0 for a real matrix (a piecewise constant sign)
    if not is_complex(out):
        return reshape(0.0 * g, shape_of(g) + (1, 1)) * _mT(inv(x))
    c = -_im(conj_if_complex(g) * out)
    return reshape(c, shape_of(c) + (1, 1)) * (1j * _mH(inv(x)))


def _sign_jvp(t: Tensor, out: Tensor, x: Any) -> Tensor:
    turn = _im(_sum(_mT(inv(x)) * t, axis=(-2, -1)))
    return out * (1j * turn) if is_complex(out) else 0.0 * turn


def _sym_sign(x: Any) -> Any:
    d = _sym_det(x)
    if isinstance(d, np.ndarray):
        return np.vectorize(lambda e: e / sp.Abs(e), otypes=[object])(d)
    return d / sp.Abs(d)


def _sym_logabsdet(x: Any) -> Any:
    d = _sym_det(x)
    if isinstance(d, np.ndarray):
        return np.vectorize(lambda e: sp.log(sp.Abs(e)), otypes=[object])(d)
    return sp.log(sp.Abs(d))


_OUT = Hints(saves_output=True)  # the rules read the op's output
_SQUARE: list = [(((3, 3),), {}), (((2, 2, 2),), {}), (((1, 1),), {})]
_MATRIX = ((-2.0, 2.0),)

_LOGABSDET = register_op(Op(
    name="logabsdet", forward=quiet(lambda x: np.linalg.slogdet(x)[1]),
    vjp=(_logabsdet_vjp,), jvp=(_logabsdet_jvp,), sympy=_sym_logabsdet,
    domain=Domain(ranges=(_MATRIX,), shapes=_SQUARE, valid=_well_conditioned),
    node_name="LinalgSlogdetBackward0", accepts_complex=True))
# the sign (complex: det / |det|, a unit complex number that turns with the matrix; real:
# +-1, piecewise constant, derivative 0)
_SLOGDET_SIGN = register_op(Op(
    name="slogdet_sign", forward=quiet(lambda x: np.linalg.slogdet(x)[0]),
    vjp=(_sign_vjp,), jvp=(_sign_jvp,), sympy=_sym_sign,
    domain=Domain(ranges=(_MATRIX,), shapes=_SQUARE, valid=_well_conditioned),
    node_name="LinalgSlogdetBackward0", accepts_complex=True, hints=_OUT))


@per_example_inside_vmap
def slogdet(a: Any) -> SlogdetResult:
    """Sign and ``log|det|`` of square matrices (NumPy's ``slogdet``); ``logabsdet`` has
    ``inv(a).T`` (complex: ``inv(a)^H``) as gradient. The sign of a real matrix has no
    gradient (it is piecewise constant); that of a complex one is ``det / |det|``, a
    complex number of modulus 1, differentiable (as in PyTorch).

    >>> import dualad as da
    >>> a = da.tensor([[2.0, 0.0], [0.0, -3.0]], requires_grad=True)
    >>> sign, logabs = da.linalg.slogdet(a)
    >>> logabs.backward(); sign.item(), a.grad.numpy().round(6).tolist() == [[0.5, 0.0],
    ...                                                                     [0.0, -0.333333]]
    (-1.0, True)
    """
    _square_check("slogdet", a)
    if is_complex(a):
        return SlogdetResult(apply(_SLOGDET_SIGN, a), apply(_LOGABSDET, a))
    sign = _wrap(np.asarray(np.linalg.slogdet(_raw(a))[0]))
    return SlogdetResult(sign, apply(_LOGABSDET, a))


# -------------------------------------------------------------------- pinv
def _eye_minus(a: Any, b: Any) -> Tensor:
    """``I - a @ b``."""
    p = matmul(a, b)
    return -p + _eye(shape_of(p)[-1])


def _pinv_vjp(g: Tensor, out: Tensor, x: Any, **params: Any) -> Tensor:
    xt = _mH(out)  # (complex: conjugate transposes throughout)
    first = -matmul(matmul(xt, g), xt)
    second = matmul(matmul(_eye_minus(x, out), _mH(g)), matmul(out, xt))
    third = matmul(matmul(matmul(xt, out), _mH(g)), _eye_minus(out, x))
    return first + second + third


def _pinv_jvp(t: Tensor, out: Tensor, x: Any, **params: Any) -> Tensor:
    xt = _mH(out)
    first = -matmul(matmul(out, t), out)
    second = matmul(matmul(matmul(out, xt), _mH(t)), _eye_minus(x, out))
    third = matmul(matmul(_eye_minus(out, x), _mH(t)), matmul(xt, out))
    return first + second + third


def _pinv_forward(x: np.ndarray, rcond: Any = None) -> np.ndarray:
    return np.linalg.pinv(x) if rcond is None else np.linalg.pinv(x, rcond=rcond)


def _sym_pinv_one(m: Any) -> Any:
    """The full-rank pseudo-inverse: ``(A^T A)^-1 A^T`` (tall) or ``A^T (A A^T)^-1``."""
    if m.rows >= m.cols:
        g = m.T * m
        return (g.adjugate(method="laplace") / g.det(method="laplace") * m.T).tolist()
    g = m * m.T
    return (m.T * g.adjugate(method="laplace") / g.det(method="laplace")).tolist()


def _full_rank(x: Any, **params: Any) -> bool:
    s = np.linalg.svd(np.asarray(x), compute_uv=False)
    return bool(np.all(s[..., -1] > 0.3) and np.all(s[..., 0] / s[..., -1] < 20))


_PINV = register_op(Op(
    name="pinv", forward=_pinv_forward, vjp=(_pinv_vjp,), jvp=(_pinv_jvp,),
    sympy=lambda x, rcond=None: _per_matrix(x, _sym_pinv_one, None),
    domain=Domain(ranges=(_MATRIX,), valid=_full_rank, shapes=[
        (((3, 3),), {}), (((3, 2),), {}), (((2, 3),), {}), (((2, 3, 2),), {})]),
    node_name="LinalgPinvBackward0", accepts_complex=True, hints=_OUT))


def pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = None) -> Tensor:
    """Moore-Penrose pseudo-inverse (NumPy's ``pinv``), of a stack too.

    Singular values at most ``rcond`` (or ``rtol``) times the largest are treated as 0.
    The derivative is that of the pseudo-inverse at constant rank (exact for full rank;
    at rank deficiency a change of rank is not differentiated). ``hermitian=True`` reads
    the lower triangle (and the real part of the diagonal), as NumPy does. Complex
    matrices too (conjugate transposes).

    >>> import dualad as da
    >>> a = da.tensor([[1.0], [2.0]])
    >>> da.linalg.pinv(a).numpy().round(12).tolist()
    [[0.2, 0.4]]
    """
    _matrix_check("pinv", a)
    if rcond is not None and rtol is not None:
        raise TypeError("pinv: give rcond= or rtol=, not both")
    cut = rtol if rtol is not None else rcond
    if hermitian:
        _square_check("pinv", a)
        a = _sym_from(a, "L")
    return apply(_PINV, a, rcond=None if cut is None else float(cut))


# ---------------------------------------------------------------- cholesky
def _phi(x: Any) -> Tensor:
    """The lower triangle with the diagonal halved (complex: its real part halved; the
    diagonal of a Cholesky factor is real). Self-adjoint."""
    return tril(x, -1) + 0.5 * (_re(x) * _eye(shape_of(x)[-1]))


def _cholesky_vjp(g: Tensor, out: Tensor, x: Any) -> Tensor:
    li = inv(out)
    p = _phi(matmul(_mH(out), g))
    return _sym_adjoint(matmul(matmul(_mH(li), p), li), "L")


def _cholesky_jvp(t: Tensor, out: Tensor, x: Any) -> Tensor:
    li = inv(out)
    return matmul(out, _phi(matmul(matmul(li, _sym_from(t, "L")), _mH(li))))


def _sym_cholesky_one(m: Any) -> Any:
    n = m.rows
    s = sp.Matrix(n, n, lambda i, j: m[max(i, j), min(i, j)])  # the lower triangle, mirrored
    return s.cholesky(hermitian=False).tolist()


def _positive_definite(x: Any, **params: Any) -> bool:
    w = np.linalg.eigvalsh(np.asarray(x))  # (of the matrix the lower triangle gives)
    return bool(np.all(w[..., 0] > 0.2) and np.all(w[..., -1] / w[..., 0] < 30))


_CHOLESKY = register_op(Op(
    name="cholesky", forward=np.linalg.cholesky, vjp=(_cholesky_vjp,), jvp=(_cholesky_jvp,),
    sympy=lambda x: _per_matrix(x, _sym_cholesky_one, None),
    domain=Domain(ranges=(((0.3, 2.0),),), valid=_positive_definite, shapes=[
        (((2, 2),), {}), (((3, 3),), {}), (((1, 1),), {}), (((2, 2, 2),), {})]),
    node_name="LinalgCholeskyExBackward0", accepts_complex=True, hints=_OUT))


def cholesky(a: Any, /, *, upper: bool = False) -> Tensor:
    """Cholesky factor of symmetric (complex: Hermitian) positive-definite matrices
    (NumPy's ``cholesky``): ``a = L @ L^H``.

    Like NumPy, it reads the lower triangle and the real part of the diagonal
    (``upper=True``: the upper triangle, returning ``L^H``); a matrix that is not positive
    definite raises ``LinAlgError``.

    >>> import dualad as da
    >>> da.linalg.cholesky(da.tensor([[4.0, 2.0], [2.0, 5.0]])).numpy().tolist()
    [[2.0, 0.0], [1.0, 2.0]]
    """
    _square_check("cholesky", a)
    if upper:
        return _mH(apply(_CHOLESKY, _mH(a)))
    return apply(_CHOLESKY, a)


# -------------------------------------------------------------------- eigh
def _eigh_vectors_forward(x: np.ndarray, UPLO: Any = "L") -> np.ndarray:  # noqa: N803
    v = np.linalg.eigh(x, UPLO=UPLO)[1]
    return v * _largest_positive(v)[..., None, :]


def _whole_matrices(mask: np.ndarray, shape: tuple) -> np.ndarray:
    """A kink mask over the input: every entry of each matrix where ``mask`` (over the last
    two axes of the eigen/singular structure) holds somewhere."""
    hit = np.any(mask, axis=tuple(range(-mask.ndim + len(shape) - 2, 0)))
    return np.broadcast_to(np.reshape(hit, np.shape(hit) + (1, 1)), shape)


def _watched(name: str, vjp: Any, jvp: Any) -> tuple[Any, Any]:
    """The rules of op ``name`` with the kink policy applied (``kink_adjust``): to the
    gradient of the input in reverse mode, to the input's tangent in forward mode, over
    the matrices at a kink (policies 'nan' and 'raise', tracking)."""
    from ..registry import get

    def watched_vjp(g: Tensor, out: Any, x: Any, **params: Any) -> Any:
        return kink_adjust(get(name), 0, vjp(g, out, x, **params), (x,), params, "backward")

    def watched_jvp(t: Tensor, out: Any, x: Any, **params: Any) -> Any:
        return jvp(kink_adjust(get(name), 0, t, (x,), params, "jvp"), out, x, **params)

    watched_vjp.__name__, watched_jvp.__name__ = vjp.__name__, jvp.__name__
    return watched_vjp, watched_jvp


def _eigen_share(x: Any, UPLO: Any) -> Any:  # noqa: N803
    """Equal eigenvalues share their derivative equally (the kink convention)."""
    return _tie_average(np.linalg.eigvalsh(_raw(x), UPLO=UPLO))[0]


def _eigvalsh_vjp(g: Tensor, out: Any, x: Any, UPLO: Any = "L") -> Tensor:  # noqa: N803
    v = apply(_EIGH_VECTORS, x, UPLO=UPLO)
    g = _shared(g, _eigen_share(x, UPLO))
    return _sym_adjoint(matmul(v * _col(g), _mH(v)), UPLO)  # V diag(g) V^H


def _eigvalsh_jvp(t: Tensor, out: Any, x: Any, UPLO: Any = "L") -> Tensor:  # noqa: N803
    v = apply(_EIGH_VECTORS, x, UPLO=UPLO)  # Re diag(V^H dA V)
    return _shared(_re(_sum(conj_if_complex(v) * matmul(_sym_from(t, UPLO), v), axis=-2)),
                   _eigen_share(x, UPLO))


def _eigen_gaps(x: Any, UPLO: Any) -> Any:  # noqa: N803
    w = apply(_EIGVALSH, x, UPLO=UPLO)
    return _inv_gaps(w, _repeated(w._data))


def _eigh_vectors_vjp(g: Tensor, out: Tensor, x: Any, UPLO: Any = "L") -> Tensor:  # noqa: N803
    inner = _eigen_gaps(x, UPLO) * matmul(_mH(out), _keep_gauge_adjoint(g, out))
    return _sym_adjoint(matmul(matmul(out, inner), _mH(out)), UPLO)


def _eigh_vectors_jvp(t: Tensor, out: Tensor, x: Any, UPLO: Any = "L") -> Tensor:  # noqa: N803
    k = matmul(matmul(_mH(out), _sym_from(t, UPLO)), out)  # dV = V (F * V^H dA V), and
    return _keep_gauge(matmul(out, _eigen_gaps(x, UPLO) * k), out)  # (complex) the gauge


def _eigen_gapped(x: Any, UPLO: Any = "L") -> bool:  # noqa: N803
    a = np.asarray(x)
    a = a if a.dtype.kind == "c" else a.astype(np.float64)
    return _gapped(np.linalg.eigvalsh(a, UPLO=UPLO), 0.3) and _continuous(
        lambda m: _eigh_vectors_forward(m, UPLO), a)


_EIGH_SHAPES: list = [(((3, 3),), {"UPLO": "L"}), (((2, 2),), {"UPLO": "U"}),
                      (((2, 3, 3),), {"UPLO": "L"}), (((1, 1),), {"UPLO": "L"})]

_REPEATED_POINT = np.diag([1.0, 1.0, 3.0])
_EIGVALSH = register_op(Op(
    name="eigvalsh", forward=lambda x, UPLO="L": np.linalg.eigvalsh(x, UPLO=UPLO),
    vjp=_watched("eigvalsh", _eigvalsh_vjp, _eigvalsh_jvp)[:1],
    jvp=_watched("eigvalsh", _eigvalsh_vjp, _eigvalsh_jvp)[1:], sympy=NO_SYMPY_FORM,
    kinks=(Kink("repeated eigenvalues", ((_REPEATED_POINT,),), (np.eye(3),), 2,
                "the ordered eigenvalues of a repeated one are not differentiable (the largest "
                "is convex, the smallest concave): they share the derivative equally, the "
                "minimum-norm sub/supergradient, independent of the basis (PyTorch and JAX "
                "use LAPACK's basis: the same for their sum)",
                params={"UPLO": "L"}, pytorch=(np.eye(3),), jax=(np.eye(3),),
                at=lambda x, UPLO="L": _whole_matrices(
                    _tie_average(np.linalg.eigvalsh(x, UPLO=UPLO))[1], np.shape(x))),),
    domain=Domain(ranges=(_MATRIX,), shapes=_EIGH_SHAPES, valid=_eigen_gapped),
    node_name="LinalgEighBackward0", accepts_complex=True))
_EIGH_VECTORS = register_op(Op(
    name="eigh_vectors", forward=_eigh_vectors_forward,
    vjp=_watched("eigh_vectors", _eigh_vectors_vjp, _eigh_vectors_jvp)[:1],
    jvp=_watched("eigh_vectors", _eigh_vectors_vjp, _eigh_vectors_jvp)[1:],
    sympy=NO_SYMPY_FORM,
    kinks=(Kink("repeated eigenvalues", ((_REPEATED_POINT,),), (np.zeros((3, 3)),), 4,
                "the eigenvectors of a repeated eigenvalue are not unique: they do not rotate "
                "among themselves (the inverse gap 1/(w_j - w_i) is taken as 0); first "
                "derivatives of what does not depend on the basis (the eigenspace's projector) "
                "are exact",
                params={"UPLO": "L"}, pytorch=(np.nan,), jax=(np.nan,),
                at=lambda x, UPLO="L": _whole_matrices(
                    _repeated(np.linalg.eigvalsh(x, UPLO=UPLO)), np.shape(x))),),
    domain=Domain(ranges=(_MATRIX,), shapes=_EIGH_SHAPES, valid=_eigen_gapped),
    node_name="LinalgEighBackward0", accepts_complex=True, hints=_OUT))


def eigvalsh(a: Any, UPLO: Any = "L") -> Tensor:  # noqa: N803
    """Ascending eigenvalues of symmetric (complex: Hermitian) matrices, from the ``UPLO``
    triangle and the real part of the diagonal (NumPy's ``eigvalsh``); real, and
    differentiable also at repeated eigenvalues.

    >>> import dualad as da
    >>> da.linalg.eigvalsh(da.tensor([[2.0, 1.0], [1.0, 2.0]])).numpy().round(12).tolist()
    [1.0, 3.0]
    """
    _square_check("eigvalsh", a)
    return apply(_EIGVALSH, a, UPLO=_uplo_check("eigvalsh", UPLO))


@per_example_inside_vmap
def eigh(a: Any, UPLO: Any = "L") -> EighResult:  # noqa: N803
    """Eigenvalues (ascending) and eigenvectors of symmetric (complex: Hermitian) matrices
    (NumPy's ``eigh``), from the ``UPLO`` triangle.

    The eigenvectors' derivative divides by the gaps between eigenvalues; at a repeated
    eigenvalue (a declared kink) the vectors of the eigenspace do not rotate among
    themselves and equal eigenvalues share their derivative (docs/linear-algebra.md).
    The signs (complex: phases) are LAPACK's, so differentiate quantities that do not
    depend on them (``v * v``, ``v @ v.T``; complex: ``abs(v)**2``, ``v @ diag(c) @
    v^H``); for a complex matrix, a gradient that depends on the phases raises
    ``RuntimeError``, as in PyTorch.

    >>> import dualad as da
    >>> w, v = da.linalg.eigh(da.tensor([[2.0, 0.0], [0.0, 1.0]]))
    >>> w.numpy().tolist(), (v * v).numpy().tolist()
    ([1.0, 2.0], [[0.0, 1.0], [1.0, 0.0]])
    """
    _square_check("eigh", a)
    uplo = _uplo_check("eigh", UPLO)
    canonical = _watch_phases("eigh", "eigenvectors", apply(_EIGH_VECTORS, a, UPLO=uplo))
    v = canonical * _to_numpy_gauge(canonical, np.linalg.eigh(_raw(a), UPLO=uplo)[1])
    return EighResult(apply(_EIGVALSH, a, UPLO=uplo), v)


# --------------------------------------------------------------------- svd
def _split(both: Tensor, m: int) -> tuple[Tensor, Tensor]:
    """``U`` and ``Vh`` from the stacked ``[U; V]`` (``m`` rows of ``U``)."""
    return both[..., :m, :], _mH(both[..., m:, :])


def _svd_parts(x: Any) -> tuple[Tensor, Tensor, Tensor]:
    u, vh = _split(apply(_SVD_VECTORS, x), shape_of(x)[-2])
    return u, apply(_SVDVALS, x), vh


def _singular_share(x: Any) -> Any:
    """Equal singular values share their derivative equally; a zero one gets 0 (it is
    ``|sigma|`` there: the minimum-norm subgradient)."""
    return _tie_average(np.linalg.svd(_raw(x), compute_uv=False), zero_is_kink=True)[0]


def _svdvals_vjp(g: Tensor, out: Any, x: Any) -> Tensor:
    u, _, vh = _svd_parts(x)  # U diag(g) V^H
    return matmul(u * _col(_shared(g, _singular_share(x))), vh)


def _svdvals_jvp(t: Tensor, out: Any, x: Any) -> Tensor:
    u, _, vh = _svd_parts(x)  # Re diag(U^H dA V)
    return _shared(_re(_sum(conj_if_complex(u) * matmul(t, _mH(vh)), axis=-2)),
                   _singular_share(x))


def _svd_kinks(s: np.ndarray, shape: tuple, complex_input: bool = False) -> np.ndarray:
    """The pairs of repeated singular values and, for a non-square (or complex) matrix,
    the diagonal entries of zero ones (where the singular vectors' rules would divide by
    0; complex: the phase of ``u`` against ``v`` is not defined at ``s = 0``)."""
    mask = _repeated(s)  # (s_i == s_j: s_i^2 == s_j^2, both nonnegative)
    if shape[-1] != shape[-2] or complex_input:
        mask = mask | (_is_zero(s)[..., :, None] & np.eye(s.shape[-1], dtype=bool))
    return mask


def _sym(m: Any) -> Tensor:
    """The symmetric (complex: Hermitian) part."""
    return 0.5 * (m + _mH(m))


def _asym(m: Any) -> Tensor:
    """The antisymmetric (complex: skew-Hermitian) part."""
    return 0.5 * (m - _mH(m))


def _svd_factors(x: Any, s: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``1/(s_j - s_i)`` (off the diagonal), ``1/(s_i + s_j)`` and ``S^+`` (1/s, 0 for s = 0).

    The rotation of the singular vectors splits into the part symmetric (Hermitian) in
    ``dP = U^H dA V``, divided by ``s_j - s_i``, and the antisymmetric part, divided by
    ``s_i + s_j`` (Townsend's ``1/(s_j^2 - s_i^2)`` form, rearranged): at a repeated
    singular value the antisymmetric part keeps its limit and the symmetric part, which
    diverges, is taken as 0 (the kink convention), as is ``1/s`` for a zero singular value
    of a non-square matrix. On the diagonal, ``1/(2 s_i)`` turns ``u_i`` and ``v_i``
    against each other by half of ``Im(dP_ii) / s_i`` each (complex matrices; a real
    ``dP`` has no antisymmetric diagonal), the split PyTorch uses.
    """
    raw = s._data
    k = shape_of(s)[-1]
    zero = _is_zero(raw)  # (square: S^+ multiplies (I - U U^H) = 0, no kink)
    off = 1.0 - _eye(k)
    keep_plus = ~(zero[..., :, None] & zero[..., None, :])  # (the diagonal too, s != 0)
    minus = _inv_gaps(s, _repeated(raw)) + _row((1.0 / (s + zero)) * ~zero) * _eye(k)
    plus = (1.0 / (_col(s) + _row(s) + (1.0 - keep_plus))) * keep_plus
    return minus * off, plus, _diag_part(minus)


def _svd_u0_tangent(t: Any, u: Tensor, vh: Tensor, factors: tuple) -> Tensor:
    """``dU`` before the gauge: ``U (minus * Herm(dP) + plus * Skew(dP)) + (I - U U^H) dA V
    S^+`` with ``dP = U^H dA V``."""
    minus, plus, s_plus = factors
    tv = matmul(t, _mH(vh))
    dp = matmul(_mH(u), tv)
    inside = matmul(u, minus * _sym(dp) + plus * _asym(dp))
    return inside + (tv - matmul(u, dp)) * _col(s_plus)


def _svd_v0_tangent(t: Any, u: Tensor, vh: Tensor, factors: tuple) -> Tensor:
    """``dV`` before the gauge: ``V (minus * Herm(dP) - plus * Skew(dP)) + (I - V V^H)
    dA^H U S^+``."""
    minus, plus, s_plus = factors
    ttu = matmul(_mH(t), u)
    dp = _mH(matmul(vh, ttu))  # U^H dA V
    inside = matmul(_mH(vh), minus * _sym(dp) - plus * _asym(dp))
    return inside + (ttu - matmul(_mH(vh), _mH(dp))) * _col(s_plus)


def _svd_u0_adjoint(g: Any, u: Tensor, vh: Tensor, factors: tuple) -> Tensor:
    """The adjoint of :func:`_svd_u0_tangent` (a cotangent of ``U`` to one of ``A``)."""
    minus, plus, s_plus = factors
    utg = matmul(_mH(u), g)
    inside = _sym(minus * utg) + _asym(plus * utg)
    outside = (g - matmul(u, utg)) * _col(s_plus)  # (I - U U^H) gU S^+
    return matmul(matmul(u, inside) + outside, vh)


def _svd_v0_adjoint(g: Any, u: Tensor, vh: Tensor, factors: tuple) -> Tensor:
    """The adjoint of :func:`_svd_v0_tangent`, for ``g`` the cotangent of ``Vh = V^H``."""
    minus, plus, s_plus = factors
    vtgv = matmul(vh, _mH(g))  # V^H gV, with gV = g^H
    inside = _sym(minus * vtgv) - _asym(plus * vtgv)
    outside = (g - matmul(matmul(g, _mH(vh)), vh)) * _row(s_plus)  # S^+ gV^H (I - V V^H)
    return matmul(u, matmul(inside, vh) + outside)


def _svd_vectors_jvp(t: Tensor, out: Tensor, x: Any) -> Tensor:
    u, vh = _split(out, shape_of(x)[-2])
    factors = _svd_factors(x, apply(_SVDVALS, x))
    du, dv = _svd_u0_tangent(t, u, vh, factors), _svd_v0_tangent(t, u, vh, factors)
    if is_complex(u):  # the phase that keeps U's gauge entry real turns u_k and v_k
        mask, top = _gauge(u)
        turn = _col(_im(_sum(du * mask, axis=-2)) / top)
        du, dv = du - (1j * u) * turn, dv - (1j * _mH(vh)) * turn
    return concatenate([du, dv], axis=-2)


def _svd_vectors_vjp(g: Tensor, out: Tensor, x: Any) -> Tensor:
    m = shape_of(x)[-2]
    u, vh = _split(out, m)
    factors = _svd_factors(x, apply(_SVDVALS, x))
    gu, gv = g[..., :m, :], g[..., m:, :]
    if is_complex(u):  # the adjoint of the gauge term (0 when g does not see the phases)
        mask, top = _gauge(u)
        gu = gu + _phase_cotangent(gu, u, mask, top) + _phase_cotangent(gv, _mH(vh), mask,
                                                                         top)
    return _svd_u0_adjoint(gu, u, vh, factors) + _svd_v0_adjoint(_mH(gv), u, vh, factors)


def _singular_gapped(x: Any) -> bool:
    a = np.asarray(x)
    a = a if a.dtype.kind == "c" else a.astype(np.float64)
    s = np.linalg.svd(a, compute_uv=False)
    return bool(np.all(s[..., -1] > 0.3) and _gapped(s, 0.3)) and _continuous(
        lambda m: _svd_canonical(m).reshape(-1), a)


_SVD_SHAPES: list = [(((3, 3),), {}), (((3, 2),), {}), (((2, 3),), {}), (((2, 3, 2),), {})]


_SVD_POINT = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])  # singular values 1, 1


def _svd_op(name: str, forward: Any, vjp: Any, jvp: Any, kink: Kink) -> Op:
    vjp, jvp = _watched(name, vjp, jvp)
    return register_op(Op(
        name=name, forward=forward, vjp=(vjp,), jvp=(jvp,), sympy=NO_SYMPY_FORM,
        kinks=(kink,),
        domain=Domain(ranges=(_MATRIX,), shapes=_SVD_SHAPES, valid=_singular_gapped),
        node_name="LinalgSvdBackward0", accepts_complex=True, hints=_OUT))


_SVDVALS = _svd_op(
    "svdvals", lambda x: np.linalg.svd(x, compute_uv=False), _svdvals_vjp, _svdvals_jvp,
    Kink("repeated or zero singular values", ((_SVD_POINT,),), (_SVD_POINT,), 2,
         "equal singular values share the derivative equally (as ties in max); a zero "
         "singular value is |sigma| there, convex: the minimum-norm subgradient 0",
         pytorch=(_SVD_POINT,), jax=(_SVD_POINT,),
         at=lambda x: _whole_matrices(_tie_average(np.linalg.svd(x, compute_uv=False),
                                                   zero_is_kink=True)[1], np.shape(x))))


def _svd_vectors_kink(grads: np.ndarray) -> Kink:
    return Kink("repeated (or, non-square or complex, zero) singular values",
                ((_SVD_POINT,),), (grads,), 4,
                "the singular vectors are not unique there: the rotation of U against V "
                "(antisymmetric in U^H dA V) keeps its limit, the part that diverges is taken "
                "as 0 (and, non-square or complex, 1/s at s = 0); first derivatives of what "
                "does not depend on the basis (the singular subspaces' projectors) are exact",
                pytorch=(np.nan,), jax=(np.nan,),
                at=lambda x: _whole_matrices(_svd_kinks(
                    np.linalg.svd(x, compute_uv=False), np.shape(x), np.iscomplexobj(x)),
                    np.shape(x)))


def _svd_canonical(x: np.ndarray) -> np.ndarray:
    """The reduced singular vectors stacked, ``[U; V]`` (``m + n`` rows, ``Vh = V^H``),
    in the gauge where each column of ``U`` has its entry of largest magnitude real and
    positive (the matching column of ``V`` turns with it: ``U S V^H`` is unchanged)."""
    u, _, vh = np.linalg.svd(x, full_matrices=False)
    phase = _largest_positive(u)
    v = np.conj(np.swapaxes(vh, -1, -2))
    return np.concatenate([u * phase[..., None, :], v * phase[..., None, :]], axis=-2)


# one op for both sets of vectors: the phase of u_k and v_k is one, so a reverse pass sees
# the whole cotangent of the pair at once (svd()'s phase check needs it)
_SVD_VECTORS = _svd_op("svd_vectors", _svd_canonical, _svd_vectors_vjp, _svd_vectors_jvp,
                       _svd_vectors_kink(np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])))


def _complement(u: Tensor, perp: np.ndarray) -> Tensor:
    """Orthonormal columns spanning the complement of ``u``'s columns, equal to ``perp``
    here and moving without rotation among themselves (the convention for the columns a
    complete basis adds: they are not unique)."""
    m = perp - matmul(u, matmul(_mH(u), perp))
    lo = cholesky(matmul(_mH(m), m))
    return _mH(solve(lo, _mH(m)))


@per_example_inside_vmap
def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True,
        hermitian: bool = False) -> Any:
    """Singular value decomposition (NumPy's ``svd``): ``(U, S, Vh)`` or, with
    ``compute_uv=False``, ``S`` alone.

    At repeated or zero singular values (declared kinks) equal values share their
    derivative, a zero one gets 0, and the singular vectors follow the no-rotation
    convention (docs/linear-algebra.md). With ``full_matrices=True``
    the columns added to complete a non-square basis are not unique: they follow the
    no-rotation convention (docs/linear-algebra.md). ``hermitian=True`` reads the lower
    triangle; the factorization is then the general one (same ``S``; singular vectors
    may differ in sign from NumPy's hermitian path).

    Complex matrices too: ``a = U diag(S) Vh`` with ``U`` and ``Vh^H`` unitary. Each pair
    of singular vectors is defined up to a common phase (``u -> u e^(i phi)``, ``v -> v
    e^(i phi)``); differentiate quantities that do not depend on it (``abs(U)**2``, ``U @
    diag(c) @ Vh``, ``S``): a gradient that depends on it raises ``RuntimeError``, as in
    PyTorch.

    >>> import dualad as da
    >>> da.linalg.svd(da.tensor([[3.0, 0.0], [0.0, -4.0]]), compute_uv=False).tolist()
    [4.0, 3.0]
    """
    s_ = _matrix_check("svd", a)
    if hermitian:
        _square_check("svd", a)
        a = _sym_from(a, "L")
    if not compute_uv:
        return apply(_SVDVALS, a)
    m, n = s_[-2], s_[-1]
    both = _watch_phases("svd", "singular vectors", apply(_SVD_VECTORS, a), pairs=True)
    (u, vh), s = _split(both, m), apply(_SVDVALS, a)
    flip = _to_numpy_gauge(u, np.linalg.svd(_raw(a), full_matrices=False)[0])
    u, vh = u * flip, vh * np.conj(_mT(flip))
    if full_matrices and m != n:
        full_u, _, full_vh = np.linalg.svd(_raw(a), full_matrices=True)
        if m > n:
            u = concatenate([u, _complement(u, full_u[..., n:])], axis=-1)
        else:
            extra = np.conj(np.swapaxes(full_vh[..., m:, :], -1, -2))
            vh = concatenate([vh, _mH(_complement(_mH(vh), extra))], axis=-2)
    return SVDResult(u, s, vh)


def svdvals(x: Any, /) -> Tensor:
    """Singular values, descending (NumPy's ``svdvals``; ``svd(x, compute_uv=False)``)."""
    _matrix_check("svdvals", x)
    return apply(_SVDVALS, x)


# ---------------------------------------------------------------------- qr
def _right_solve_t(b: Any, r: Any) -> Tensor:
    """``b R^{-H}`` (real: ``b R^{-T}``): the solution of ``x r^H = b``."""
    return _mH(solve(r, _mH(b)))


def _right_solve(b: Any, r: Any) -> Tensor:
    """``b @ inv(r)``: the solution of ``x r = b``."""
    return _mT(solve(_mT(r), _mT(b)))


def _qr_q_vjp(g: Tensor, out: Tensor, x: Any) -> Tensor:
    r = apply(_QR_R, x)  # (g + Q copyltu(-g^H Q)) R^-H, copyltu Hermitian from below
    m = -matmul(_mH(g), out)
    return _right_solve_t(g + matmul(out, _sym_from(m, "L")), r)


def _qr_r_vjp(g: Tensor, out: Tensor, x: Any) -> Tensor:
    q = apply(_QR_Q, x)
    return _right_solve_t(matmul(q, _sym_from(matmul(out, _mH(g)), "L")), out)


def _qr_omega(t: Any, q: Any, r: Any) -> tuple[Tensor, Tensor, Tensor]:
    """``t R^-1``, ``C = Q^H t R^-1`` and ``Omega = Q^H dQ`` (antisymmetric; complex:
    skew-Hermitian, its imaginary diagonal that of ``C``, as ``dR R^-1`` has a real one)."""
    tri = _right_solve(t, r)
    c = matmul(_mH(q), tri)
    low = tril(c, -1)
    omega = low - _mH(low)
    if is_complex(c):
        omega = omega + (1j * _im(c)) * _eye(shape_of(c)[-1])
    return tri, c, omega


def _qr_q_jvp(t: Tensor, out: Tensor, x: Any) -> Tensor:
    tri, c, omega = _qr_omega(t, out, apply(_QR_R, x))
    return matmul(out, omega) + tri - matmul(out, c)


def _qr_r_jvp(t: Tensor, out: Tensor, x: Any) -> Tensor:
    _, c, omega = _qr_omega(t, apply(_QR_Q, x), out)
    return matmul(c - omega, out)


def _tall_full_rank(x: Any) -> bool:
    a = np.asarray(x)
    a = a if a.dtype.kind == "c" else a.astype(np.float64)
    s = np.linalg.svd(a, compute_uv=False)
    return bool(np.all(s[..., -1] > 0.3) and np.all(s[..., 0] / s[..., -1] < 20)) and \
        _continuous(lambda m: np.concatenate([p.reshape(-1) for p in _qr_canonical(m)]), a)


def _qr_canonical(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reduced QR with ``R``'s diagonal real and positive: unique (and smooth) for full
    column rank."""
    q, r = np.linalg.qr(x)
    phase = _unit(np.diagonal(r, axis1=-2, axis2=-1))
    return q * phase[..., None, :], r * np.conj(phase)[..., :, None]


_QR_SHAPES: list = [(((3, 3),), {}), (((3, 2),), {}), (((2, 4, 3),), {}), (((1, 1),), {})]
_QR_Q = register_op(Op(
    name="qr_q", forward=lambda x: _qr_canonical(x)[0], vjp=(_qr_q_vjp,), jvp=(_qr_q_jvp,),
    sympy=NO_SYMPY_FORM, domain=Domain(ranges=(_MATRIX,), shapes=_QR_SHAPES, valid=_tall_full_rank),
    node_name="LinalgQrBackward0", accepts_complex=True, hints=_OUT))
_QR_R = register_op(Op(
    name="qr_r", forward=lambda x: _qr_canonical(x)[1], vjp=(_qr_r_vjp,), jvp=(_qr_r_jvp,),
    sympy=NO_SYMPY_FORM, domain=Domain(ranges=(_MATRIX,), shapes=_QR_SHAPES, valid=_tall_full_rank),
    node_name="LinalgQrBackward0", accepts_complex=True, hints=_OUT))


@per_example_inside_vmap
def qr(a: Any, mode: str = "reduced") -> Any:
    """QR decomposition (NumPy's ``qr``), modes ``'reduced'``, ``'complete'`` and ``'r'``.

    Differentiable where ``R``'s leading square block is invertible: for a tall or square
    matrix of full column rank, and for a wide one whose first ``m`` columns are
    independent (then ``Q`` and the leading block come from those columns, and the rest
    of ``R`` is ``Q^H @ a``). ``mode='complete'`` of a tall matrix adds columns to ``Q``
    that are not unique: they follow the no-rotation convention. ``mode='raw'`` (LAPACK's
    Householder data) is not supported. Complex matrices too (``R``'s diagonal is real, as
    LAPACK's: no phase is left free, so every loss of ``Q`` and ``R`` has a derivative).

    >>> import dualad as da
    >>> q, r = da.linalg.qr(da.tensor([[3.0, 0.0], [4.0, 5.0]]))
    >>> (r * r).numpy().round(12).tolist()
    [[25.0, 16.0], [0.0, 9.0]]
    """
    s = _matrix_check("qr", a)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode={mode!r} is not supported on dualad Tensors: use "
                         "'reduced', 'complete' or 'r' ('raw' returns LAPACK's Householder "
                         "reflectors, which have no derivative here)")
    m, n = s[-2], s[-1]
    # NumPy's signs (Householder's) from the canonical ones (R's diagonal positive): a
    # constant flip of Q's columns and R's rows (complex: LAPACK's diagonal is real too)
    flip = _unit(np.diagonal(np.linalg.qr(_raw(a), mode="r"), axis1=-2, axis2=-1))
    q_flip, r_flip = np.conj(flip)[..., None, :], flip[..., :, None]
    if m < n:  # Q and R's leading block from the first m columns
        q = apply(_QR_Q, a[..., :m]) * q_flip
        r = concatenate([apply(_QR_R, a[..., :m]) * r_flip,
                         matmul(_mH(q), a[..., m:])], axis=-1)
    else:
        q, r = apply(_QR_Q, a) * q_flip, apply(_QR_R, a) * r_flip
        if mode == "complete" and m > n:
            full_q = np.linalg.qr(_raw(a), mode="complete")[0]
            q = concatenate([q, _complement(q, full_q[..., n:])], axis=-1)
            r = concatenate([r, np.zeros(s[:-2] + (m - n, n), r.dtype)], axis=-2)
    return r if mode == "r" else QRResult(q, r)


# ------------------------------------------------------------ composites
@per_example_inside_vmap
def lstsq(a: Any, b: Any, rcond: Any = None) -> tuple[Tensor, Tensor, int, Tensor]:
    """Least squares (NumPy's ``lstsq``): ``(x, residuals, rank, sv)``.

    ``x = pinv(a, rcond) @ b`` and ``residuals`` (the squared residual norms, real also
    for complex ``a`` and ``b``, present when ``a`` has full column rank and more rows
    than columns) are differentiable in ``a`` and ``b``; ``sv`` are ``a``'s singular values
    (differentiable); ``rank`` is an int. For a rank-deficient ``a`` the derivative is the
    constant-rank one (see :func:`pinv`).

    >>> import dualad as da
    >>> a = da.tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    >>> x, res, rank, sv = da.linalg.lstsq(a, da.tensor([1.0, 2.0, 2.0]))
    >>> x.numpy().round(6).tolist(), rank
    ([1.166667, 0.5], 2)
    """
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) != 2 or len(sb) not in (1, 2):
        raise ValueError(f"lstsq: expected a 2-d a and a 1-d or 2-d b, got shapes {sa} and "
                         f"{sb}")
    if sb[0] != sa[0]:
        raise ValueError(f"lstsq: a and b must have the same number of rows, got shapes {sa} "
                         f"and {sb}")
    _matrix_check("lstsq", a)
    m, n = sa
    cut = np.finfo(np.float64).eps * max(m, n) if rcond is None else rcond
    rank = int(np.linalg.lstsq(_raw(a), _raw(b), rcond=cut)[2])
    x = matmul(apply(_PINV, a, rcond=float(cut)), b)
    if rank == n and m > n:
        r = matmul(a, x) - b
        res = _sum(_abs(r) ** 2 if is_complex(r) else r ** 2, axis=0)
        residuals = reshape(res, (1,)) if len(sb) == 1 else res
    else:
        residuals = _wrap(np.zeros((0,)))
    return x, residuals, rank, apply(_SVDVALS, a)


def matrix_power(a: Any, n: Any) -> Tensor:
    """``a`` to the integer power ``n`` by repeated squaring (NumPy's ``matrix_power``);
    a negative ``n`` inverts first, ``n = 0`` gives the identity.

    >>> import dualad as da
    >>> da.linalg.matrix_power(da.tensor([[1.0, 1.0], [0.0, 1.0]]), 3).tolist()
    [[1.0, 3.0], [0.0, 1.0]]
    """
    try:
        k = operator.index(n)
    except TypeError:
        raise TypeError(f"matrix_power: the exponent must be an integer, got "
                        f"{type(n).__name__}") from None
    size = _square_check("matrix_power", a)
    if k == 0:
        return 0.0 * a + _eye(size)
    if k < 0:
        a, k = inv(a), -k
    result: Tensor | None = None
    base = a
    while True:
        if k & 1:
            result = clone(base) if result is None else matmul(result, base)
        k >>= 1
        if not k:
            break
        base = matmul(base, base)
    assert result is not None
    return result


def multi_dot(arrays: Any, *, out: Any = None) -> Tensor:
    """The product of a chain of matrices (NumPy's ``multi_dot``); the first and last may be
    vectors. Multiplied in the cheapest order (fewest scalar multiplications, by the
    matrix-chain dynamic programme, as NumPy), so ``multi_dot([A, B, v])`` is ``A @ (B @ v)``.

    >>> import dualad as da
    >>> da.linalg.multi_dot([da.tensor([1.0, 2.0]), da.eye(2), da.tensor([3.0, 4.0])]).item()
    11.0
    """
    if out is not None:
        raise TypeError("multi_dot on dualad Tensors does not support out=")
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError("multi_dot: expecting at least two arrays")
    first_vec, last_vec = len(shape_of(arrays[0])) == 1, len(shape_of(arrays[-1])) == 1
    for i, arr in enumerate(arrays):
        vec_ok = (i == 0 and first_vec) or (i == len(arrays) - 1 and last_vec)
        if len(shape_of(arr)) != 2 and not vec_ok:
            raise ValueError(f"multi_dot: array {i} has shape {shape_of(arr)}: the first and "
                             "last may be 1-d, every other must be 2-d")
    dims = [1 if first_vec else shape_of(arrays[0])[0]]
    dims += [shape_of(arr)[-1] if k < len(arrays) - 1 or not last_vec else 1
             for k, arr in enumerate(arrays)]
    for k in range(len(arrays) - 1):  # (before any product: dims must chain)
        inner = shape_of(arrays[k + 1])[0]
        if dims[k + 1] != inner:
            raise ValueError(f"multi_dot: array {k} ends with {dims[k + 1]} columns but array "
                             f"{k + 1} has {inner} rows (shapes {shape_of(arrays[k])} and "
                             f"{shape_of(arrays[k + 1])})")
    order, _ = chain_order(dims)

    def product(node: Any) -> Any:
        if isinstance(node, int):
            return arrays[node]
        return matmul(product(node[0]), product(node[1]))

    return product(order)


def chain_order(dims: Sequence[int]) -> tuple[Any, int]:
    """The cheapest order of a chain of matrices, matrix ``i`` of shape ``(dims[i],
    dims[i + 1])``, and its cost in scalar multiplications: the order is a matrix index or
    a pair of orders (the matrix-chain dynamic programme; ties split leftmost, as NumPy).

    >>> chain_order([10, 100, 5, 50])     # (A B) C: 10*100*5 + 10*5*50
    (((0, 1), 2), 7500)
    """
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            best = -1
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if best < 0 or c < best:
                    best, split[i][j] = c, k
            cost[i][j] = best

    def build(i: int, j: int) -> Any:
        if i == j:
            return i
        k = split[i][j]
        return (build(i, k), build(k + 1, j))

    return build(0, n - 1), cost[0][n - 1]


@per_example_inside_vmap
def matrix_rank(A: Any, tol: Any = None, hermitian: bool = False, *,  # noqa: N803
                rtol: Any = None) -> Tensor:
    """The numerical rank (NumPy's ``matrix_rank``): an integer tensor, no gradient."""
    raw_tol = _raw(tol) if isinstance(tol, Tensor) else tol
    kw = {} if rtol is None else {"rtol": rtol}
    return _wrap(np.asarray(np.linalg.matrix_rank(_raw(A), raw_tol, hermitian, **kw)))


# ------------------------------------------------------------------- norm
def _matrix_norm_last(x: Any, order: Any) -> Tensor:
    """The matrix norm ``order`` over the last two axes."""
    if order in (None, "fro"):
        return _vector_norm(x, None, dim=(-2, -1))
    if order in ("nuc", 2, -2):
        _matrix_check("norm", x)
    if order == "nuc":
        return _sum(apply(_SVDVALS, x), axis=-1)
    if order in (2, -2):
        pick = amax if order == 2 else amin
        return pick(apply(_SVDVALS, x), axis=-1)
    if order in (1, -1, np.inf, -np.inf):
        sums_axis, pick_axis = (-2, -1) if order in (1, -1) else (-1, -2)
        sums = _sum(_abs(x), axis=sums_axis, keepdims=True)
        pick = amax if order in (1, np.inf) else amin
        return squeeze(pick(sums, axis=pick_axis, keepdims=True), (-2, -1))
    raise ValueError(f"norm: invalid norm order {order!r} for matrices: use None, 'fro', "
                     "'nuc', 1, -1, 2, -2, inf or -inf")


def _axes(axis: Any, nd: int) -> tuple:
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for ax in axes:
        k = operator.index(ax)
        if not -nd <= k < nd:
            raise ValueError(f"norm: axis {k} is out of bounds for an array of dimension {nd}")
        out.append(k % nd)
    if len(set(out)) != len(out):
        raise ValueError(f"norm: duplicate axes given: {axis!r}")
    return tuple(out)


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A002
    """Vector and matrix norms (NumPy's ``linalg.norm``), every ``ord`` NumPy accepts.

    Vectors: None/2, any other number p (``sum(|x|**p)**(1/p)``, negative p too), 0
    (count of nonzeros, no gradient), inf, -inf. Matrices (2-d, or two ``axis``): None/
    'fro', 'nuc' (sum of singular values), 2 and -2 (largest and smallest singular
    value), 1, -1, inf, -inf (max/min column or row sums of ``|x|``). Ties (in 2, -2,
    inf...) share the gradient equally (the minimum-norm subgradient).

    >>> import dualad as da
    >>> da.linalg.norm(da.tensor([[3.0, 0.0], [0.0, -4.0]]), 'nuc').item()
    7.0
    """
    nd = len(shape_of(x))
    if axis is None:
        if ord is None:
            return _vector_norm(x, None, dim=None, keepdim=keepdims) if nd else _abs(x)
        if nd == 1:
            axes: tuple = (0,)
        elif nd == 2:
            axes = (0, 1)
        else:
            raise ValueError(f"norm: improper number of dimensions to norm: ord={ord!r} with "
                             f"axis=None needs a 1-d or 2-d array, got shape {shape_of(x)}")
    else:
        axes = _axes(axis, nd)
    if len(axes) == 1:
        if isinstance(ord, str):
            raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
        return _vector_norm(x, ord, dim=axes[0], keepdim=keepdims)
    if len(axes) != 2:
        raise ValueError(f"norm: axis must name 1 or 2 axes, got {axis!r}")
    out = _matrix_norm_last(_move_last(x, axes), ord)
    if keepdims:
        for ax in sorted(axes):
            out = expand_dims(out, ax)
    return out


def _move_last(x: Any, axes: tuple) -> Tensor:
    """``x`` with ``axes[0]`` and ``axes[1]`` moved to the last two positions, in order."""
    nd = len(shape_of(x))
    rest = [i for i in range(nd) if i not in axes]
    order = tuple(rest) + tuple(axes)
    return x if order == tuple(range(nd)) else permute(x, order)


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Tensor:  # noqa: A002
    """NumPy's ``matrix_norm``: :func:`norm` over the last two axes."""
    _matrix_check("matrix_norm", x)
    nd = len(shape_of(x))
    return norm(x, ord, axis=(nd - 2, nd - 1), keepdims=keepdims)


def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False,
                ord: Any = 2) -> Tensor:  # noqa: A002
    """NumPy's ``vector_norm``: a vector norm over ``axis`` (every element when None)."""
    if isinstance(ord, str):
        raise ValueError(f"vector_norm: invalid norm order {ord!r} for vectors")
    return _vector_norm(x, ord, dim=axis, keepdim=keepdims)


@per_example_inside_vmap
def cond(x: Any, p: Any = None) -> Tensor:
    """Condition number (NumPy's ``cond``): ``p`` None/2/-2 from the singular values, else
    ``norm(x, p) * norm(inv(x), p)``.

    >>> import dualad as da
    >>> da.linalg.cond(da.tensor([[2.0, 0.0], [0.0, 0.5]])).item()
    4.0
    """
    _matrix_check("cond", x)
    if p is None or p == 2 or p == -2:
        s = apply(_SVDVALS, x)
        big, small = s[..., 0], s[..., -1]
        return big / small if p != -2 else small / big
    n = _square_check("cond", x)
    raw = _raw(x)
    singular = np.zeros(raw.shape[:-2], dtype=bool)
    for idx in np.ndindex(*raw.shape[:-2]):
        try:
            np.linalg.inv(raw[idx])
        except np.linalg.LinAlgError:
            singular[idx] = True
    if not singular.any():
        return _matrix_norm_last(x, p) * _matrix_norm_last(inv(x), p)
    # as NumPy: inf for a singular matrix, whose derivative is nan (DESIGN 5, rule 5)
    safe = where(singular[..., None, None], np.eye(n), x)
    finite = _matrix_norm_last(safe, p) * _matrix_norm_last(inv(safe), p)
    infinite = (0.0 * _sum(x, axis=(-2, -1)) + 1.0) * np.where(singular, np.inf, 1.0)
    return where(singular, infinite, finite)


"""NumPy's ``np.linalg`` beyond det/inv/solve: decompositions, norms and least squares.

Registry ops (each with reverse and forward rules written with dualad ops, so they
differentiate again in both modes): ``logabsdet`` (of ``slogdet``), ``pinv``,
``cholesky``, ``qr_q``/``qr_r`` (reduced QR, m >= n), ``eigvalsh``/``eigh_vectors``,
``svdvals``/``svd_u``/``svd_vh`` (reduced SVD). Everything else is a composite of
registry ops: ``slogdet``, ``lstsq``, ``matrix_power``, ``qr`` in every mode, ``eigh``,
``svd`` (full and reduced), ``norm`` for every ``ord``, ``cond``, ``multi_dot``;
``matrix_rank`` is an integer result with no gradient. All accept stacks of matrices
(leading axes), as NumPy does.

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
from ..registry import NO_SYMPY_FORM, Domain, Hints, Kink, Op, apply, register_op
from ..tensor import Tensor, _wrap, shape_of
from ._define import kink_adjust, quiet
from .elementwise import abs as _abs
from .elementwise import where
from .linalg import _sym_det, _well_conditioned, inv, matmul, solve, tril, triu
from .reductions import amax, amin
from .reductions import norm as _vector_norm
from .reductions import sum as _sum
from .shape import clone, concatenate, expand_dims, permute, reshape, squeeze, transpose

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


def _eye(n: int) -> np.ndarray:
    return np.eye(n)


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
    """The symmetric matrix NumPy reads from one triangle of ``t`` (``uplo`` 'L' or 'U')."""
    if uplo == "L":
        return tril(t) + _mT(tril(t, -1))
    return triu(t) + _mT(triu(t, 1))


def _sym_adjoint(g: Any, uplo: str) -> Tensor:
    """The adjoint of :func:`_sym_from`: a gradient on symmetric matrices as the gradient of
    the triangle read (the other triangle gets 0)."""
    both = g + _mT(g)
    diag = g * _eye(shape_of(g)[-1])
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


def _matrix_check(name: str, x: Any, complex_ok: bool = False) -> tuple:
    s = shape_of(x)
    if not complex_ok and np.asarray(_raw(x)).dtype.kind == "c":
        raise TypeError(f"linalg.{name}: complex matrices are not supported yet (the rules "
                        "here are for real matrices); use real and imaginary parts, or "
                        "numpy.linalg on t.detach().numpy() if no gradient is needed")
    if len(s) < 2:
        raise ValueError(f"{name}: expected a matrix or a stack of matrices (at least 2 "
                         f"dimensions), got shape {s}")
    return s


def _square_check(name: str, x: Any, complex_ok: bool = False) -> int:
    s = _matrix_check(name, x, complex_ok)
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


def _largest_positive(v: np.ndarray) -> np.ndarray:
    """Per column of ``v`` (last two axes), the sign (+1 or -1) that makes its entry of
    largest magnitude positive: a gauge that is continuous wherever that entry is unique
    (LAPACK's own signs are not: they may flip under a perturbation of 1e-6)."""
    idx = np.argmax(np.abs(v), axis=-2)[..., None, :]
    sign = np.sign(np.take_along_axis(v, idx, axis=-2))[..., 0, :]
    return np.where(sign == 0, 1.0, sign)


def _to_numpy_gauge(canonical: Tensor, numpy_columns: np.ndarray) -> np.ndarray:
    """The signs (a constant, per column) that turn the canonical columns into NumPy's."""
    sign = np.sign(np.sum(canonical._data * numpy_columns, axis=-2))
    return np.where(sign == 0, 1.0, sign)[..., None, :]


def _continuous(fn: Any, x: np.ndarray, step: float = 1e-3) -> bool:
    """Whether LAPACK's choice (of signs, of a basis) is continuous near ``x``: moving any
    element by ``step`` either way moves ``fn(x)`` by less than 0.1 (a test domain's guard:
    central differences across a sign flip of NumPy's result measure the flip)."""
    base = fn(x)
    for i in np.ndindex(*x.shape):
        for sign in (1.0, -1.0):
            moved = x.copy()
            moved[i] += sign * step
            if np.max(np.abs(fn(moved) - base)) > 0.1:
                return False
    return True


def _gapped(values: np.ndarray, gap: float) -> bool:
    """Every pair of (sorted) values along the last axis at least ``gap`` apart."""
    v = np.sort(values, axis=-1)
    return bool(np.all(np.diff(v, axis=-1) > gap))


# ---------------------------------------------------------------- slogdet
def _logabsdet_vjp(g: Tensor, out: Any, x: Any) -> Tensor:
    return reshape(g, shape_of(g) + (1, 1)) * _mT(inv(x))


def _logabsdet_jvp(t: Tensor, out: Any, x: Any) -> Tensor:
    return _sum(_mT(inv(x)) * t, axis=(-2, -1))


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
    node_name="LinalgSlogdetBackward0"))


def slogdet(a: Any) -> SlogdetResult:
    """Sign and ``log|det|`` of square matrices (NumPy's ``slogdet``); the sign has no
    gradient (it is piecewise constant), ``logabsdet`` has ``inv(a).T`` as gradient.

    >>> import dualad as da
    >>> a = da.tensor([[2.0, 0.0], [0.0, -3.0]], requires_grad=True)
    >>> sign, logabs = da.linalg.slogdet(a)
    >>> logabs.backward(); sign.item(), a.grad.numpy().round(6).tolist() == [[0.5, 0.0],
    ...                                                                     [0.0, -0.333333]]
    (-1.0, True)
    """
    _square_check("slogdet", a)
    sign = _wrap(np.asarray(np.linalg.slogdet(_raw(a))[0]))
    return SlogdetResult(sign, apply(_LOGABSDET, a))


# -------------------------------------------------------------------- pinv
def _eye_minus(a: Any, b: Any) -> Tensor:
    """``I - a @ b``."""
    p = matmul(a, b)
    return -p + _eye(shape_of(p)[-1])


def _pinv_vjp(g: Tensor, out: Tensor, x: Any, **params: Any) -> Tensor:
    xt = _mT(out)
    first = -matmul(matmul(xt, g), xt)
    second = matmul(matmul(_eye_minus(x, out), _mT(g)), matmul(out, xt))
    third = matmul(matmul(matmul(xt, out), _mT(g)), _eye_minus(out, x))
    return first + second + third


def _pinv_jvp(t: Tensor, out: Tensor, x: Any, **params: Any) -> Tensor:
    xt = _mT(out)
    first = -matmul(matmul(out, t), out)
    second = matmul(matmul(matmul(out, xt), _mT(t)), _eye_minus(x, out))
    third = matmul(matmul(_eye_minus(out, x), _mT(t)), matmul(xt, out))
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
    node_name="LinalgPinvBackward0", hints=_OUT))


def pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = None) -> Tensor:
    """Moore-Penrose pseudo-inverse (NumPy's ``pinv``), of a stack too.

    Singular values at most ``rcond`` (or ``rtol``) times the largest are treated as 0.
    The derivative is that of the pseudo-inverse at constant rank (exact for full rank;
    at rank deficiency a change of rank is not differentiated). ``hermitian=True`` reads
    the lower triangle, as NumPy does.

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
    """The lower triangle with the diagonal halved."""
    return tril(x, -1) + 0.5 * (x * _eye(shape_of(x)[-1]))


def _cholesky_vjp(g: Tensor, out: Tensor, x: Any) -> Tensor:
    li = inv(out)
    p = _phi(matmul(_mT(out), g))
    return _sym_adjoint(matmul(matmul(_mT(li), p), li), "L")


def _cholesky_jvp(t: Tensor, out: Tensor, x: Any) -> Tensor:
    li = inv(out)
    return matmul(out, _phi(matmul(matmul(li, _sym_from(t, "L")), _mT(li))))


def _sym_cholesky_one(m: Any) -> Any:
    n = m.rows
    s = sp.Matrix(n, n, lambda i, j: m[max(i, j), min(i, j)])  # the lower triangle, mirrored
    return s.cholesky(hermitian=False).tolist()


def _positive_definite(x: Any, **params: Any) -> bool:
    a = np.asarray(x)
    s = np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2)
    w = np.linalg.eigvalsh(s)
    return bool(np.all(w[..., 0] > 0.2) and np.all(w[..., -1] / w[..., 0] < 30))


_CHOLESKY = register_op(Op(
    name="cholesky", forward=np.linalg.cholesky, vjp=(_cholesky_vjp,), jvp=(_cholesky_jvp,),
    sympy=lambda x: _per_matrix(x, _sym_cholesky_one, None),
    domain=Domain(ranges=(((0.3, 2.0),),), valid=_positive_definite, shapes=[
        (((2, 2),), {}), (((3, 3),), {}), (((1, 1),), {}), (((2, 2, 2),), {})]),
    node_name="LinalgCholeskyExBackward0", hints=_OUT))


def cholesky(a: Any, /, *, upper: bool = False) -> Tensor:
    """Cholesky factor of symmetric positive-definite matrices (NumPy's ``cholesky``).

    Like NumPy, it reads the lower triangle (``upper=True``: the upper one, returning
    ``L.T``); a matrix that is not positive definite raises ``LinAlgError``.

    >>> import dualad as da
    >>> da.linalg.cholesky(da.tensor([[4.0, 2.0], [2.0, 5.0]])).numpy().tolist()
    [[2.0, 0.0], [1.0, 2.0]]
    """
    _square_check("cholesky", a)
    if upper:
        return _mT(apply(_CHOLESKY, _mT(a)))
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
    return _sym_adjoint(matmul(v * _col(g), _mT(v)), UPLO)


def _eigvalsh_jvp(t: Tensor, out: Any, x: Any, UPLO: Any = "L") -> Tensor:  # noqa: N803
    v = apply(_EIGH_VECTORS, x, UPLO=UPLO)
    return _shared(_sum(v * matmul(_sym_from(t, UPLO), v), axis=-2),
                   _eigen_share(x, UPLO))


def _eigen_gaps(x: Any, UPLO: Any) -> Any:  # noqa: N803
    w = apply(_EIGVALSH, x, UPLO=UPLO)
    return _inv_gaps(w, _repeated(w._data))


def _eigh_vectors_vjp(g: Tensor, out: Tensor, x: Any, UPLO: Any = "L") -> Tensor:  # noqa: N803
    inner = _eigen_gaps(x, UPLO) * matmul(_mT(out), g)
    return _sym_adjoint(matmul(matmul(out, inner), _mT(out)), UPLO)


def _eigh_vectors_jvp(t: Tensor, out: Tensor, x: Any, UPLO: Any = "L") -> Tensor:  # noqa: N803
    k = matmul(matmul(_mT(out), _sym_from(t, UPLO)), out)
    return matmul(out, _eigen_gaps(x, UPLO) * k)


def _eigen_gapped(x: Any, UPLO: Any = "L") -> bool:  # noqa: N803
    a = np.asarray(x, dtype=np.float64)
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
    node_name="LinalgEighBackward0"))
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
    node_name="LinalgEighBackward0", hints=_OUT))


def eigvalsh(a: Any, UPLO: Any = "L") -> Tensor:  # noqa: N803
    """Ascending eigenvalues of symmetric matrices, from the ``UPLO`` triangle (NumPy's
    ``eigvalsh``); differentiable also at repeated eigenvalues.

    >>> import dualad as da
    >>> da.linalg.eigvalsh(da.tensor([[2.0, 1.0], [1.0, 2.0]])).numpy().round(12).tolist()
    [1.0, 3.0]
    """
    _square_check("eigvalsh", a)
    return apply(_EIGVALSH, a, UPLO=_uplo_check("eigvalsh", UPLO))


def eigh(a: Any, UPLO: Any = "L") -> EighResult:  # noqa: N803
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices (NumPy's ``eigh``).

    The eigenvectors' derivative divides by the gaps between eigenvalues; at a repeated
    eigenvalue (a declared kink) the vectors of the eigenspace do not rotate among
    themselves and equal eigenvalues share their derivative (docs/linear-algebra.md).
    The signs are LAPACK's, so differentiate quantities that do not depend on them
    (``v * v``, ``v @ v.T``).

    >>> import dualad as da
    >>> w, v = da.linalg.eigh(da.tensor([[2.0, 0.0], [0.0, 1.0]]))
    >>> w.numpy().tolist(), (v * v).numpy().tolist()
    ([1.0, 2.0], [[0.0, 1.0], [1.0, 0.0]])
    """
    _square_check("eigh", a)
    uplo = _uplo_check("eigh", UPLO)
    canonical = apply(_EIGH_VECTORS, a, UPLO=uplo)
    v = canonical * _to_numpy_gauge(canonical, np.linalg.eigh(_raw(a), UPLO=uplo)[1])
    return EighResult(apply(_EIGVALSH, a, UPLO=uplo), v)


# --------------------------------------------------------------------- svd
def _svd_parts(x: Any) -> tuple[Tensor, Tensor, Tensor]:
    return apply(_SVD_U, x), apply(_SVDVALS, x), apply(_SVD_VH, x)


def _singular_share(x: Any) -> Any:
    """Equal singular values share their derivative equally; a zero one gets 0 (it is
    ``|sigma|`` there: the minimum-norm subgradient)."""
    return _tie_average(np.linalg.svd(_raw(x), compute_uv=False), zero_is_kink=True)[0]


def _svdvals_vjp(g: Tensor, out: Any, x: Any) -> Tensor:
    u, _, vh = _svd_parts(x)
    return matmul(u * _col(_shared(g, _singular_share(x))), vh)


def _svdvals_jvp(t: Tensor, out: Any, x: Any) -> Tensor:
    u, _, vh = _svd_parts(x)
    return _shared(_sum(u * matmul(t, _mT(vh)), axis=-2), _singular_share(x))


def _svd_kinks(s: np.ndarray, shape: tuple) -> np.ndarray:
    """The pairs of repeated singular values and, for a non-square matrix, the diagonal
    entries of zero ones (where the singular vectors' rules would divide by 0)."""
    mask = _repeated(s)  # (s_i == s_j: s_i^2 == s_j^2, both nonnegative)
    if shape[-1] != shape[-2]:
        mask = mask | (_is_zero(s)[..., :, None] & np.eye(s.shape[-1], dtype=bool))
    return mask


def _sym(m: Any) -> Tensor:
    return 0.5 * (m + _mT(m))


def _asym(m: Any) -> Tensor:
    return 0.5 * (m - _mT(m))


def _svd_factors(x: Any, s: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``1/(s_j - s_i)``, ``1/(s_i + s_j)`` (off the diagonal) and ``S^+`` (1/s, 0 for s = 0).

    The rotation of the singular vectors splits into the part symmetric in ``dP = U^T dA
    V``, divided by ``s_j - s_i``, and the antisymmetric part, divided by ``s_i + s_j``
    (Townsend's ``1/(s_j^2 - s_i^2)`` form, rearranged): at a repeated singular value the
    antisymmetric part keeps its limit and the symmetric part, which diverges, is taken as
    0 (the kink convention), as is ``1/s`` for a zero singular value of a non-square matrix.
    """
    raw = s._data
    k = shape_of(s)[-1]
    zero = _is_zero(raw)  # (square: S^+ multiplies (I - U U^T) = 0, no kink)
    off = 1.0 - _eye(k)
    keep_plus = off * ~(zero[..., :, None] & zero[..., None, :])
    minus = _inv_gaps(s, _repeated(raw)) + _row((1.0 / (s + zero)) * ~zero) * _eye(k)
    plus = (1.0 / (_col(s) + _row(s) + (1.0 - keep_plus))) * keep_plus
    return minus * off, plus, _diag_part(minus)


def _svd_u_vjp(g: Tensor, out: Tensor, x: Any) -> Tensor:
    u, s, vh = out, apply(_SVDVALS, x), apply(_SVD_VH, x)
    minus, plus, s_plus = _svd_factors(x, s)
    utg = matmul(_mT(u), g)
    inside = _sym(minus * utg) + _asym(plus * utg)
    outside = (g - matmul(u, utg)) * _col(s_plus)  # (I - U U^T) gU S^+
    return matmul(matmul(u, inside) + outside, vh)


def _svd_vh_vjp(g: Tensor, out: Tensor, x: Any) -> Tensor:
    u, s, vh = apply(_SVD_U, x), apply(_SVDVALS, x), out
    minus, plus, s_plus = _svd_factors(x, s)
    vtgv = matmul(vh, _mT(g))  # V^T gV, with gV = g^T
    inside = _sym(minus * vtgv) - _asym(plus * vtgv)
    outside = (g - matmul(matmul(g, _mT(vh)), vh)) * _row(s_plus)  # S^+ gV^T (I - V V^T)
    return matmul(u, matmul(inside, vh) + outside)


def _svd_u_jvp(t: Tensor, out: Tensor, x: Any) -> Tensor:
    u, s, vh = out, apply(_SVDVALS, x), apply(_SVD_VH, x)
    minus, plus, s_plus = _svd_factors(x, s)
    tv = matmul(t, _mT(vh))
    dp = matmul(_mT(u), tv)
    inside = matmul(u, minus * _sym(dp) + plus * _asym(dp))
    return inside + (tv - matmul(u, dp)) * _col(s_plus)


def _svd_vh_jvp(t: Tensor, out: Tensor, x: Any) -> Tensor:
    u, s, vh = apply(_SVD_U, x), apply(_SVDVALS, x), out
    minus, plus, s_plus = _svd_factors(x, s)
    ttu = matmul(_mT(t), u)
    dp = _mT(matmul(vh, ttu))  # U^T t V
    inside = matmul(_mT(vh), minus * _sym(dp) - plus * _asym(dp))
    dv = inside + (ttu - matmul(_mT(vh), _mT(dp))) * _col(s_plus)
    return _mT(dv)


def _singular_gapped(x: Any) -> bool:
    a = np.asarray(x, dtype=np.float64)
    s = np.linalg.svd(a, compute_uv=False)
    return bool(np.all(s[..., -1] > 0.3) and _gapped(s, 0.3)) and _continuous(
        lambda m: np.concatenate([p.reshape(-1) for p in _svd_canonical(m)]), a)


_SVD_SHAPES: list = [(((3, 3),), {}), (((3, 2),), {}), (((2, 3),), {}), (((2, 3, 2),), {})]


_SVD_POINT = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])  # singular values 1, 1


def _svd_op(name: str, forward: Any, vjp: Any, jvp: Any, kink: Kink) -> Op:
    vjp, jvp = _watched(name, vjp, jvp)
    return register_op(Op(
        name=name, forward=forward, vjp=(vjp,), jvp=(jvp,), sympy=NO_SYMPY_FORM,
        kinks=(kink,),
        domain=Domain(ranges=(_MATRIX,), shapes=_SVD_SHAPES, valid=_singular_gapped),
        node_name="LinalgSvdBackward0", hints=_OUT))


_SVDVALS = _svd_op(
    "svdvals", lambda x: np.linalg.svd(x, compute_uv=False), _svdvals_vjp, _svdvals_jvp,
    Kink("repeated or zero singular values", ((_SVD_POINT,),), (_SVD_POINT,), 2,
         "equal singular values share the derivative equally (as ties in max); a zero "
         "singular value is |sigma| there, convex: the minimum-norm subgradient 0",
         pytorch=(_SVD_POINT,), jax=(_SVD_POINT,),
         at=lambda x: _whole_matrices(_tie_average(np.linalg.svd(x, compute_uv=False),
                                                   zero_is_kink=True)[1], np.shape(x))))


def _svd_vectors_kink(grads: np.ndarray) -> Kink:
    return Kink("repeated (or, non-square, zero) singular values", ((_SVD_POINT,),), (grads,),
                4, "the singular vectors are not unique there: the rotation of U against V "
                "(antisymmetric in U^T dA V) keeps its limit, the part that diverges is taken "
                "as 0 (and, non-square, 1/s at s = 0); first derivatives of what does not "
                "depend on the basis (the singular subspaces' projectors) are exact",
                pytorch=(np.nan,), jax=(np.nan,),
                at=lambda x: _whole_matrices(_svd_kinks(np.linalg.svd(x, compute_uv=False),
                                                        np.shape(x)), np.shape(x)))


def _svd_canonical(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reduced ``U`` and ``Vh`` in the gauge where each column of ``U`` has its largest
    entry positive (the matching row of ``Vh`` flips with it)."""
    u, _, vh = np.linalg.svd(x, full_matrices=False)
    sign = _largest_positive(u)
    return u * sign[..., None, :], vh * sign[..., :, None]


_SVD_U = _svd_op("svd_u", lambda x: _svd_canonical(x)[0], _svd_u_vjp, _svd_u_jvp,
                 _svd_vectors_kink(np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])))
_SVD_VH = _svd_op("svd_vh", lambda x: _svd_canonical(x)[1], _svd_vh_vjp, _svd_vh_jvp,
                  _svd_vectors_kink(np.zeros((3, 2))))


def _complement(u: Tensor, perp: np.ndarray) -> Tensor:
    """Orthonormal columns spanning the complement of ``u``'s columns, equal to ``perp``
    here and moving without rotation among themselves (the convention for the columns a
    complete basis adds: they are not unique)."""
    m = perp - matmul(u, matmul(_mT(u), perp))
    lo = cholesky(matmul(_mT(m), m))
    return _mT(solve(lo, _mT(m)))


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
    u, s, vh = _svd_parts(a)
    flip = _to_numpy_gauge(u, np.linalg.svd(_raw(a), full_matrices=False)[0])
    u, vh = u * flip, vh * _mT(flip)
    m, n = s_[-2], s_[-1]
    if full_matrices and m != n:
        full_u, _, full_vh = np.linalg.svd(_raw(a), full_matrices=True)
        if m > n:
            u = concatenate([u, _complement(u, full_u[..., n:])], axis=-1)
        else:
            extra = np.swapaxes(full_vh[..., m:, :], -1, -2)
            vh = concatenate([vh, _mT(_complement(_mT(vh), extra))], axis=-2)
    return SVDResult(u, s, vh)


def svdvals(x: Any, /) -> Tensor:
    """Singular values, descending (NumPy's ``svdvals``; ``svd(x, compute_uv=False)``)."""
    _matrix_check("svdvals", x)
    return apply(_SVDVALS, x)


# ---------------------------------------------------------------------- qr
def _right_solve_t(b: Any, r: Any) -> Tensor:
    """``b @ inv(r).T``... as ``b R^{-T}``: the solution of ``x r^T = b``."""
    return _mT(solve(r, _mT(b)))


def _right_solve(b: Any, r: Any) -> Tensor:
    """``b @ inv(r)``: the solution of ``x r = b``."""
    return _mT(solve(_mT(r), _mT(b)))


def _copyltu(m: Any) -> Tensor:
    """The symmetric matrix with ``m``'s lower triangle (and diagonal)."""
    return tril(m) + _mT(tril(m, -1))


def _qr_q_vjp(g: Tensor, out: Tensor, x: Any) -> Tensor:
    r = apply(_QR_R, x)
    m = -matmul(_mT(g), out)
    return _right_solve_t(g + matmul(out, _copyltu(m)), r)


def _qr_r_vjp(g: Tensor, out: Tensor, x: Any) -> Tensor:
    q = apply(_QR_Q, x)
    return _right_solve_t(matmul(q, _copyltu(matmul(out, _mT(g)))), out)


def _qr_omega(t: Any, q: Any, r: Any) -> tuple[Tensor, Tensor, Tensor]:
    """``t R^-1``, ``C = Q^T t R^-1`` and ``Omega = Q^T dQ`` (antisymmetric)."""
    tri = _right_solve(t, r)
    c = matmul(_mT(q), tri)
    low = tril(c, -1)
    return tri, c, low - _mT(low)


def _qr_q_jvp(t: Tensor, out: Tensor, x: Any) -> Tensor:
    tri, c, omega = _qr_omega(t, out, apply(_QR_R, x))
    return matmul(out, omega) + tri - matmul(out, c)


def _qr_r_jvp(t: Tensor, out: Tensor, x: Any) -> Tensor:
    _, c, omega = _qr_omega(t, apply(_QR_Q, x), out)
    return matmul(c - omega, out)


def _tall_full_rank(x: Any) -> bool:
    a = np.asarray(x, dtype=np.float64)
    s = np.linalg.svd(a, compute_uv=False)
    return bool(np.all(s[..., -1] > 0.3) and np.all(s[..., 0] / s[..., -1] < 20)) and \
        _continuous(lambda m: np.concatenate([p.reshape(-1) for p in _qr_canonical(m)]), a)


def _qr_canonical(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reduced QR with ``R``'s diagonal positive: unique (and smooth) for full column rank."""
    q, r = np.linalg.qr(x)
    sign = np.sign(np.diagonal(r, axis1=-2, axis2=-1))
    sign = np.where(sign == 0, 1.0, sign)
    return q * sign[..., None, :], r * sign[..., :, None]


_QR_SHAPES: list = [(((3, 3),), {}), (((3, 2),), {}), (((2, 4, 3),), {}), (((1, 1),), {})]
_QR_Q = register_op(Op(
    name="qr_q", forward=lambda x: _qr_canonical(x)[0], vjp=(_qr_q_vjp,), jvp=(_qr_q_jvp,),
    sympy=NO_SYMPY_FORM, domain=Domain(ranges=(_MATRIX,), shapes=_QR_SHAPES, valid=_tall_full_rank),
    node_name="LinalgQrBackward0", hints=_OUT))
_QR_R = register_op(Op(
    name="qr_r", forward=lambda x: _qr_canonical(x)[1], vjp=(_qr_r_vjp,), jvp=(_qr_r_jvp,),
    sympy=NO_SYMPY_FORM, domain=Domain(ranges=(_MATRIX,), shapes=_QR_SHAPES, valid=_tall_full_rank),
    node_name="LinalgQrBackward0", hints=_OUT))


def qr(a: Any, mode: str = "reduced") -> Any:
    """QR decomposition (NumPy's ``qr``), modes ``'reduced'``, ``'complete'`` and ``'r'``.

    Differentiable where ``R``'s leading square block is invertible: for a tall or square
    matrix of full column rank, and for a wide one whose first ``m`` columns are
    independent (then ``Q`` and the leading block come from those columns, and the rest
    of ``R`` is ``Q.T @ a``). ``mode='complete'`` of a tall matrix adds columns to ``Q``
    that are not unique: they follow the no-rotation convention. ``mode='raw'`` (LAPACK's
    Householder data) is not supported.

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
    # constant flip of Q's columns and R's rows
    flip = np.sign(np.diagonal(np.linalg.qr(_raw(a), mode="r"), axis1=-2, axis2=-1))
    flip = np.where(flip == 0, 1.0, flip)
    if m < n:  # Q and R's leading block from the first m columns
        q = apply(_QR_Q, a[..., :m]) * flip[..., None, :]
        r = concatenate([apply(_QR_R, a[..., :m]) * flip[..., :, None],
                         matmul(_mT(q), a[..., m:])], axis=-1)
    else:
        q, r = apply(_QR_Q, a) * flip[..., None, :], apply(_QR_R, a) * flip[..., :, None]
        if mode == "complete" and m > n:
            full_q = np.linalg.qr(_raw(a), mode="complete")[0]
            q = concatenate([q, _complement(q, full_q[..., n:])], axis=-1)
            r = concatenate([r, np.zeros(s[:-2] + (m - n, n))], axis=-2)
    return r if mode == "r" else QRResult(q, r)


# ------------------------------------------------------------ composites
def lstsq(a: Any, b: Any, rcond: Any = None) -> tuple[Tensor, Tensor, int, Tensor]:
    """Least squares (NumPy's ``lstsq``): ``(x, residuals, rank, sv)``.

    ``x = pinv(a, rcond) @ b`` and ``residuals`` (the squared residual norms, present when
    ``a`` has full column rank and more rows than columns) are differentiable in ``a`` and
    ``b``; ``sv`` are ``a``'s singular values (differentiable); ``rank`` is an int. For a
    rank-deficient ``a`` the derivative is the constant-rank one (see :func:`pinv`).

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
        res = _sum((matmul(a, x) - b) ** 2, axis=0)
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
    size = _square_check("matrix_power", a, complex_ok=True)  # (matmul and inv accept it)
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


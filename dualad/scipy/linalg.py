"""``dualad.scipy.linalg``: SciPy's linear algebra on dualad Tensors, differentiable in
both modes and to any order.

SciPy's names and signatures (``lower=False`` is SciPy's default for ``cholesky``). The
solvers and decompositions are composites of dualad's ``np.linalg`` ops; ``lu_factor``
is an elimination written with dualad ops (the pivots come from the values, as LAPACK
picks them); ``expm``, ``logm`` and ``sqrtm`` carry a forward-mode rule by the
block-triangular identity ``f([[A, E], [0, A]]) = [[f(A), L_f(A, E)], [0, f(A)]]``
(reverse mode is its transpose), so their derivatives are the functions themselves on a
larger matrix; ``solve_sylvester`` solves the Kronecker (vectorized) system, for small
sizes. Only ``logm`` and ``sqrtm`` need SciPy (for their forward values).

>>> import dualad as da
>>> from dualad.scipy import linalg
>>> a = da.tensor([[0.0, 1.0], [0.0, 0.0]], requires_grad=True)
>>> linalg.expm(a).detach().numpy().tolist()   # I + a: a is nilpotent
[[1.0, 1.0], [0.0, 1.0]]
>>> linalg.expm(a)[0, 1].backward()
>>> a.grad.numpy().round(6).tolist()   # d exp(a)[0, 1] / da (finite differences agree)
[[0.5, 1.0], [0.166667, 0.5]]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import ops as _ops
from ..ops.vmap_rules import per_example_inside_vmap
from ..registry import NO_SYMPY_FORM, Domain, Op, apply, register_op
from ..tensor import Tensor
from ._backend import scipy_module

__all__ = [
    "block_diag", "cho_factor", "cho_solve", "cholesky", "det", "eigh", "expm", "inv",
    "logm", "lu_factor", "lu_solve", "qr", "solve", "solve_continuous_lyapunov",
    "solve_sylvester", "solve_triangular", "sqrtm", "svd",
]


def _t(a: Any, name: str, *, ndim: int | None = 2) -> Tensor:
    if not isinstance(a, Tensor) and np.iscomplexobj(a):
        raise TypeError(f"dualad.scipy.linalg.{name}: complex matrices are not supported "
                        "(the rules are for real matrices)")
    t = a if isinstance(a, Tensor) else Tensor(np.asarray(a, dtype=np.float64))
    if ndim is not None and t.ndim != ndim:
        raise ValueError(f"dualad.scipy.linalg.{name}: expected a {ndim}-d array, got shape "
                         f"{t.shape}")
    if np.iscomplexobj(_val(t)):
        raise TypeError(f"dualad.scipy.linalg.{name}: complex matrices are not supported "
                        "(the rules are for real matrices)")
    return t


def _val(t: Tensor) -> np.ndarray:
    """The values (pivots, checks and SciPy's forwards read them; no derivative flows)."""
    return t.detach().numpy()


def _square(a: Any, name: str) -> Tensor:
    t = _t(a, name)
    if t.shape[0] != t.shape[1]:
        raise ValueError(f"dualad.scipy.linalg.{name}: expected a square matrix, got shape "
                         f"{t.shape}")
    return t


def _mT(a: Tensor) -> Tensor:
    return _ops.transpose(a, -1, -2)


def _sym(a: Tensor, lower: bool) -> Tensor:
    """The symmetric matrix read from one triangle of ``a`` (as LAPACK reads it)."""
    if lower:
        return _ops.tril(a) + _mT(_ops.tril(a, -1))
    return _ops.triu(a) + _mT(_ops.triu(a, 1))


_SOLVE_KINDS = {"gen": "gen", "general": "gen", "sym": "sym", "symmetric": "sym",
                "her": "sym", "hermitian": "sym", "pos": "pos", "positive definite": "pos"}


def solve(a: Any, b: Any, lower: bool = False, overwrite_a: bool = False,
          overwrite_b: bool = False, check_finite: bool = True, assume_a: str = "gen",
          transposed: bool = False) -> Tensor:
    """The solution ``x`` of ``a @ x = b`` (SciPy's ``scipy.linalg.solve``).

    ``assume_a='sym'`` or ``'pos'`` reads one triangle of ``a`` (``lower``), as SciPy does;
    ``transposed=True`` solves ``a.T @ x = b``.

    >>> import dualad as da
    >>> from dualad.scipy.linalg import solve
    >>> solve(da.tensor([[2.0, 0.0], [0.0, 4.0]]), da.tensor([2.0, 2.0])).numpy().tolist()
    [1.0, 0.5]
    """
    kind = _SOLVE_KINDS.get(assume_a)
    if kind is None:
        raise ValueError(f"dualad.scipy.linalg.solve: assume_a={assume_a!r} is not supported; "
                         f"use one of {sorted(_SOLVE_KINDS)}")
    a = _square(a, "solve")
    b = _t(b, "solve", ndim=None)
    if b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ValueError(f"dualad.scipy.linalg.solve: b of shape {b.shape} does not match a "
                         f"of shape {a.shape} (b needs {a.shape[0]} rows)")
    if kind != "gen":
        a = _sym(a, lower)
    if transposed:
        a = _mT(a)
    if kind == "pos":
        c = _ops.cholesky(a)
        return solve_triangular(c, solve_triangular(c, b, lower=True), trans=1, lower=True)
    return _ops.solve(a, b)


_TRANS = {0: 0, "N": 0, 1: 1, "T": 1, 2: 1, "C": 1}


def solve_triangular(a: Any, b: Any, trans: Any = 0, lower: bool = False,
                     unit_diagonal: bool = False, overwrite_b: bool = False,
                     check_finite: bool = True) -> Tensor:
    """The solution of ``a @ x = b`` with ``a`` triangular (SciPy's ``solve_triangular``):
    only the triangle ``lower`` selects is read, with ones on the diagonal when
    ``unit_diagonal``; ``trans`` 1 (``'T'``) or 2 (``'C'``) solves ``a.T @ x = b``. The
    gradient in ``a`` is on the triangle read (zero elsewhere).

    >>> import dualad as da
    >>> from dualad.scipy.linalg import solve_triangular
    >>> a = da.tensor([[2.0, 9.0], [1.0, 1.0]])
    >>> solve_triangular(a, da.tensor([2.0, 3.0]), lower=True).numpy().tolist()
    [1.0, 2.0]
    """
    if trans not in _TRANS:
        raise ValueError(f"dualad.scipy.linalg.solve_triangular: trans={trans!r}; use 0, 1, 2, "
                         "'N', 'T' or 'C'")
    a = _square(a, "solve_triangular")
    b = _t(b, "solve_triangular", ndim=None)
    if b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ValueError(f"dualad.scipy.linalg.solve_triangular: b of shape {b.shape} does not "
                         f"match a of shape {a.shape}")
    eye = np.eye(a.shape[0])
    if unit_diagonal:
        m = (_ops.tril(a, -1) if lower else _ops.triu(a, 1)) + eye
    else:
        m = _ops.tril(a) if lower else _ops.triu(a)
    if _TRANS[trans]:
        m = _mT(m)
    if not np.all(np.diag(_val(m)) != 0):
        raise np.linalg.LinAlgError("dualad.scipy.linalg.solve_triangular: singular matrix "
                                    "(a zero on the diagonal)")
    return _ops.solve(m, b)


def cholesky(a: Any, lower: bool = False, overwrite_a: bool = False,
             check_finite: bool = True) -> Tensor:
    """The Cholesky factor of a symmetric positive-definite matrix (SciPy's ``cholesky``):
    upper ``U`` with ``a = U.T @ U`` by default (SciPy's ``lower=False``), lower ``L`` with
    ``a = L @ L.T`` when ``lower``; reads that triangle of ``a`` only.

    >>> import dualad as da
    >>> from dualad.scipy.linalg import cholesky
    >>> cholesky(da.tensor([[4.0, 2.0], [2.0, 5.0]])).numpy().tolist()
    [[2.0, 1.0], [0.0, 2.0]]
    """
    a = _square(a, "cholesky")
    return _ops.cholesky(a) if lower else _ops.cholesky(a, upper=True)


def cho_factor(a: Any, lower: bool = False, overwrite_a: bool = False,
               check_finite: bool = True) -> tuple[Tensor, bool]:
    """``(c, lower)`` for :func:`cho_solve` (SciPy's ``cho_factor``). Unlike SciPy, the
    unused triangle of ``c`` is zero (SciPy leaves arbitrary values there).

    >>> import dualad as da
    >>> from dualad.scipy.linalg import cho_factor
    >>> cho_factor(da.tensor([[4.0, 2.0], [2.0, 5.0]]))[0].numpy().tolist()
    [[2.0, 1.0], [0.0, 2.0]]
    """
    return cholesky(a, lower=lower), lower


def cho_solve(c_and_lower: tuple[Any, bool], b: Any, overwrite_b: bool = False,
              check_finite: bool = True) -> Tensor:
    """The solution of ``a @ x = b`` from ``cho_factor(a)`` (SciPy's ``cho_solve``),
    differentiable in the factor (so in ``a``) and in ``b``.

    >>> import dualad as da
    >>> from dualad.scipy.linalg import cho_factor, cho_solve
    >>> a = da.tensor([[4.0, 2.0], [2.0, 5.0]])
    >>> cho_solve(cho_factor(a), da.tensor([6.0, 7.0])).numpy().round(12).tolist()
    [1.0, 1.0]
    """
    if not (isinstance(c_and_lower, tuple) and len(c_and_lower) == 2):
        raise TypeError("dualad.scipy.linalg.cho_solve: the first argument is the pair "
                        "(c, lower) that cho_factor returns")
    c, lower = c_and_lower
    y = solve_triangular(c, b, trans=0 if lower else 1, lower=lower)
    return solve_triangular(c, y, trans=1 if lower else 0, lower=lower)


def lu_factor(a: Any, overwrite_a: bool = False, check_finite: bool = True
              ) -> tuple[Tensor, np.ndarray]:
    """``(lu, piv)`` as SciPy's ``lu_factor``: ``lu`` holds ``U`` and the unit-lower ``L``'s
    multipliers; row ``i`` was swapped with row ``piv[i]``. The elimination is written with
    dualad ops, so ``lu`` is differentiable in ``a``; the pivots are chosen from the values
    (largest magnitude in the column, as LAPACK) and carry no derivative.

    >>> import dualad as da
    >>> from dualad.scipy.linalg import lu_factor
    >>> lu, piv = lu_factor(da.tensor([[1.0, 2.0], [4.0, 2.0]]))
    >>> lu.numpy().tolist(), piv.tolist()
    ([[4.0, 2.0], [0.25, 1.5]], [1, 1])
    """
    m = _square(a, "lu_factor")
    n = m.shape[0]
    piv = np.zeros(n, dtype=np.int32)
    rows = np.arange(n)
    for k in range(n):
        col = np.abs(_val(m)[k:, k])
        p = k + int(np.argmax(col))
        piv[k] = p
        if p != k:
            order = rows.copy()
            order[[k, p]] = [p, k]
            m = m[order]
        if k == n - 1:
            break
        pivot = m[k, k]
        if _val(pivot) == 0.0:
            continue  # a zero column below the diagonal: nothing to eliminate (as LAPACK)
        below = rows > k
        mult = _ops.where(below, m[:, k] / pivot, 0.0)
        right = _ops.where(rows > k, m[k, :], 0.0)
        # eliminate right of column k, and store the multipliers in column k below the pivot
        m = m - _ops.outer(mult, right) + _ops.outer(mult - _ops.where(below, m[:, k], 0.0),
                                                     (rows == k).astype(np.float64))
    return m, piv


def lu_solve(lu_and_piv: tuple[Any, Any], b: Any, trans: int = 0, overwrite_b: bool = False,
             check_finite: bool = True) -> Tensor:
    """The solution of ``a @ x = b`` (``trans=1``: ``a.T @ x = b``) from ``lu_factor(a)``
    (SciPy's ``lu_solve``), differentiable in ``b`` and in ``lu`` (so in ``a``).

    >>> import dualad as da
    >>> from dualad.scipy.linalg import lu_factor, lu_solve
    >>> a = da.tensor([[1.0, 2.0], [4.0, 2.0]])
    >>> lu_solve(lu_factor(a), da.tensor([3.0, 6.0])).numpy().round(12).tolist()
    [1.0, 1.0]
    """
    if not (isinstance(lu_and_piv, tuple) and len(lu_and_piv) == 2):
        raise TypeError("dualad.scipy.linalg.lu_solve: the first argument is the pair "
                        "(lu, piv) that lu_factor returns")
    if trans not in _TRANS:
        raise ValueError(f"dualad.scipy.linalg.lu_solve: trans={trans!r}; use 0, 1 or 2")
    lu, piv = lu_and_piv
    lu = _square(lu, "lu_solve")
    n = lu.shape[0]
    perm = np.arange(n)
    for i, p in enumerate(np.asarray(piv)):
        perm[[i, p]] = perm[[p, i]]
    b = _t(b, "lu_solve", ndim=None)
    if _TRANS[trans] == 0:
        y = solve_triangular(lu, b[perm], lower=True, unit_diagonal=True)
        return solve_triangular(lu, y)
    y = solve_triangular(lu, b, trans=1)
    z = solve_triangular(lu, y, trans=1, lower=True, unit_diagonal=True)
    return z[np.argsort(perm)]


def inv(a: Any, overwrite_a: bool = False, check_finite: bool = True) -> Tensor:
    """The inverse of a square matrix (SciPy's ``scipy.linalg.inv``).

    >>> import dualad as da
    >>> from dualad.scipy.linalg import inv
    >>> inv(da.tensor([[2.0, 0.0], [0.0, 4.0]])).numpy().tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    return _ops.inv(_square(a, "inv"))


def det(a: Any, overwrite_a: bool = False, check_finite: bool = True) -> Tensor:
    """The determinant (SciPy's ``scipy.linalg.det``; stacks of matrices too).

    >>> import dualad as da
    >>> from dualad.scipy.linalg import det
    >>> round(det(da.tensor([[2.0, 1.0], [1.0, 3.0]])).item(), 12)
    5.0
    """
    a = _t(a, "det", ndim=None)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"dualad.scipy.linalg.det: expected square matrices, got shape {a.shape}")
    return _ops.det(a)


def eigh(a: Any, b: Any = None, *, lower: bool = True, eigvals_only: bool = False,
         overwrite_a: bool = False, overwrite_b: bool = False, type: int = 1,  # noqa: A002
         check_finite: bool = True, subset_by_index: Any = None, subset_by_value: Any = None,
         driver: Any = None) -> Any:
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix (SciPy's ``eigh``),
    reading the triangle ``lower`` selects; with ``b`` (symmetric positive definite), the
    generalized problem ``a v = w b v`` with ``v.T @ b @ v = I`` (``type=1``).

    >>> import dualad as da
    >>> from dualad.scipy.linalg import eigh
    >>> eigh(da.tensor([[2.0, 1.0], [1.0, 2.0]]), eigvals_only=True).numpy().round(12).tolist()
    [1.0, 3.0]
    """
    for opt, val in (("subset_by_index", subset_by_index), ("subset_by_value", subset_by_value),
                     ("driver", driver)):
        if val is not None:
            raise TypeError(f"dualad.scipy.linalg.eigh: {opt} is not supported; take the "
                            "eigenvalues you need from the full result")
    if type != 1:
        raise ValueError("dualad.scipy.linalg.eigh: only type=1 (a v = w b v) is supported")
    uplo = "L" if lower else "U"
    a = _square(a, "eigh")
    if b is None:
        if eigvals_only:
            return _ops.eigvalsh(a, UPLO=uplo)
        w, v = _ops.eigh(a, UPLO=uplo)
        return w, v
    c = _ops.cholesky(_sym(_square(b, "eigh"), lower))
    # c^-1 a c^-T, symmetric; its eigenvectors u give v = c^-T u
    left = solve_triangular(c, _sym(a, lower), lower=True)
    m = solve_triangular(c, _mT(left), lower=True)
    m = 0.5 * (m + _mT(m))
    if eigvals_only:
        return _ops.eigvalsh(m)
    w, u = _ops.eigh(m)
    return w, solve_triangular(c, u, trans=1, lower=True)


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True, overwrite_a: bool = False,
        check_finite: bool = True, lapack_driver: str = "gesdd") -> Any:
    """``(U, s, Vh)`` or, with ``compute_uv=False``, ``s`` (SciPy's ``scipy.linalg.svd``).

    >>> import dualad as da
    >>> from dualad.scipy.linalg import svd
    >>> svd(da.tensor([[3.0, 0.0], [0.0, -2.0]]), compute_uv=False).numpy().round(12).tolist()
    [3.0, 2.0]
    """
    if lapack_driver not in ("gesdd", "gesvd"):
        raise ValueError(f"dualad.scipy.linalg.svd: lapack_driver={lapack_driver!r}; use "
                         "'gesdd' or 'gesvd'")
    a = _t(a, "svd")
    if not compute_uv:
        return _ops.svd(a, compute_uv=False)
    u, s, vh = _ops.svd(a, full_matrices=full_matrices)
    return u, s, vh


_QR_MODES = {"full": "complete", "economic": "reduced", "r": "r"}


def qr(a: Any, overwrite_a: bool = False, lwork: Any = None, mode: str = "full",
       pivoting: bool = False, check_finite: bool = True) -> Any:
    """``(Q, R)`` (SciPy's ``scipy.linalg.qr``), ``mode`` ``'full'``, ``'economic'`` or
    ``'r'`` (then ``(R,)``, as SciPy returns it).

    >>> import dualad as da
    >>> from dualad.scipy.linalg import qr
    >>> q, r = qr(da.tensor([[3.0, 1.0], [4.0, 2.0]]))
    >>> (q @ r).numpy().round(12).tolist()
    [[3.0, 1.0], [4.0, 2.0]]
    """
    if pivoting:
        raise TypeError("dualad.scipy.linalg.qr: pivoting=True is not supported (column "
                        "pivoting is a nondifferentiable choice)")
    if mode not in _QR_MODES:
        raise ValueError(f"dualad.scipy.linalg.qr: mode={mode!r}; use 'full', 'economic' or 'r'")
    a = _t(a, "qr")
    if mode == "r":
        r = _ops.qr(a, mode="complete")[1]
        return (r,)
    q, r = _ops.qr(a, mode=_QR_MODES[mode])
    return q, r


# ------------------------------------------------------------ matrix functions
def _expm_forward(a: np.ndarray) -> np.ndarray:
    """exp(a) by scaling and squaring with the degree-13 Padé approximant."""
    n = a.shape[0]
    norm = np.linalg.norm(a, 1)
    if not np.isfinite(norm):
        raise ValueError("dualad.scipy.linalg.expm: the matrix has an infinite or nan entry")
    s = max(0, int(math.ceil(math.log2(norm / 5.4)))) if norm > 5.4 else 0
    x = a / 2.0 ** s
    m = 13
    c = [math.factorial(2 * m - j) * math.factorial(m)
         / (math.factorial(2 * m) * math.factorial(j) * math.factorial(m - j))
         for j in range(m + 1)]
    eye = np.eye(n)
    powers = [eye]
    for _ in range(m):
        powers.append(powers[-1] @ x)
    even = sum(c[j] * powers[j] for j in range(0, m + 1, 2))
    odd = sum(c[j] * powers[j] for j in range(1, m + 1, 2))
    r = np.linalg.solve(even - odd, even + odd)
    for _ in range(s):
        r = r @ r
    return r


def _real_result(out: np.ndarray, name: str, a: np.ndarray) -> np.ndarray:
    out = np.asarray(out)
    if np.iscomplexobj(out):
        scale = max(1.0, float(np.max(np.abs(out))))
        if np.max(np.abs(out.imag)) > 1e-8 * scale:
            raise ValueError(f"dualad.scipy.linalg.{name}: the result is complex (a has "
                             "eigenvalues on the closed negative real axis); real matrices "
                             "with no such eigenvalues are supported")
        out = out.real
    return np.ascontiguousarray(out, dtype=np.float64)


def _logm_forward(a: np.ndarray) -> np.ndarray:
    # SciPy's logm estimates 1-norms with random vectors drawn from NumPy's global generator
    # (onenormest): the caller's generator is left as it was, so that logm is a function of
    # its input alone (vmap's randomness check saw the draws and refused logm)
    state = np.random.get_state()
    try:
        out = scipy_module("linalg", "dualad.scipy.linalg.logm").logm(a)
    finally:
        np.random.set_state(state)
    return _real_result(out, "logm", a)


def _sqrtm_forward(a: np.ndarray) -> np.ndarray:
    return _real_result(scipy_module("linalg", "dualad.scipy.linalg.sqrtm").sqrtm(a), "sqrtm", a)


def _block(a: Any, e: Any) -> Tensor:
    """``[[a, e], [0, a]]``."""
    n = a.shape[-1]
    zero = np.zeros((n, n))
    return _ops.concatenate([_ops.concatenate([a, e], axis=1),
                             _ops.concatenate([zero + 0.0 * a, a], axis=1)], axis=0)


def _off_diagonal_valid(*arrays: Any, **params: Any) -> bool:
    """Test draws for logm and sqrtm: eigenvalues well away from the closed negative real
    axis (the branch cut) and a well-conditioned matrix."""
    a = np.asarray(arrays[0])
    w = np.linalg.eigvals(a)
    return bool(np.all((w.real > 0.3) | (np.abs(w.imag) > 0.3)) and np.linalg.cond(a) < 30)


_FN_SHAPES: list = [(((3, 3),), {}), (((2, 2),), {}), (((1, 1),), {})]


def _matrix_function(name: str, forward: Callable[[np.ndarray], np.ndarray],
                     domain: Domain) -> Callable[[Tensor], Tensor]:
    """A registry op for the primary matrix function ``f``: the Fréchet derivative
    ``L_f(A, E)`` is the top-right block of ``f([[A, E], [0, A]])`` (the JVP) and its
    adjoint is ``L_f(A.T, G)`` (the VJP), both calling ``f`` itself, so they differentiate
    again, to any order."""

    def jvp(t: Tensor, out: Any, x: Any) -> Tensor:
        n = x.shape[-1]
        return apply(op, _block(x, t))[:n, n:]

    def vjp(g: Tensor, out: Any, x: Any) -> Tensor:
        n = x.shape[-1]
        return apply(op, _block(_mT(x), g))[:n, n:]

    op = register_op(Op(name=name, forward=forward, vjp=(vjp,), jvp=(jvp,),
                        sympy=NO_SYMPY_FORM, domain=domain))

    def f(a: Tensor) -> Tensor:
        return apply(op, a)

    return f


_EXPM = _matrix_function("expm", _expm_forward, Domain(ranges=(((-1.0, 1.0),),),
                                                                shapes=_FN_SHAPES))
_LOGM = _matrix_function("logm", _logm_forward, Domain(
    ranges=(((-1.0, 2.0),),), shapes=_FN_SHAPES, valid=_off_diagonal_valid))
_SQRTM = _matrix_function("sqrtm", _sqrtm_forward, Domain(
    ranges=(((-1.0, 2.0),),), shapes=_FN_SHAPES, valid=_off_diagonal_valid))


def expm(A: Any) -> Tensor:  # noqa: N803  (SciPy's name)
    """The matrix exponential (SciPy's ``expm``), by scaling and squaring with a Padé
    approximant; its derivative is ``expm`` of the block matrix ``[[A, E], [0, A]]``.

    >>> import dualad as da
    >>> from dualad.scipy.linalg import expm
    >>> expm(da.tensor([[1.0, 0.0], [0.0, 0.0]])).numpy().round(12).tolist()
    [[2.718281828459, 0.0], [0.0, 1.0]]
    """
    return _EXPM(_square(A, "expm"))


def logm(A: Any, disp: bool = True) -> Tensor:  # noqa: N803
    """The principal matrix logarithm (SciPy's ``logm``; forward by SciPy) of a real matrix
    with no eigenvalue on the closed negative real axis (else a ValueError).

    >>> import dualad as da
    >>> from dualad.scipy.linalg import logm
    >>> logm(da.tensor([[1.0, 1.0], [0.0, 1.0]])).numpy().round(12).tolist()
    [[0.0, 1.0], [0.0, 0.0]]
    """
    if not disp:
        raise TypeError("dualad.scipy.linalg.logm: disp=False (returning an error estimate) "
                        "is not supported")
    return _LOGM(_square(A, "logm"))


def sqrtm(A: Any, disp: bool = True, blocksize: int = 64) -> Tensor:  # noqa: N803
    """The principal square root (SciPy's ``sqrtm``; forward by SciPy) of a real matrix with
    no eigenvalue on the closed negative real axis (else a ValueError).

    >>> import dualad as da
    >>> from dualad.scipy.linalg import sqrtm
    >>> sqrtm(da.tensor([[4.0, 0.0], [0.0, 9.0]])).numpy().round(12).tolist()
    [[2.0, 0.0], [0.0, 3.0]]
    """
    if not disp:
        raise TypeError("dualad.scipy.linalg.sqrtm: disp=False (returning an error estimate) "
                        "is not supported")
    return _SQRTM(_square(A, "sqrtm"))


def solve_sylvester(a: Any, b: Any, q: Any) -> Tensor:
    """The solution ``x`` of ``a @ x + x @ b = q`` (SciPy's ``solve_sylvester``), by the
    vectorized (Kronecker) system of size ``n*m``: for small matrices. Differentiable in
    all three (the derivative is another Sylvester solve).

    >>> import dualad as da
    >>> from dualad.scipy.linalg import solve_sylvester
    >>> solve_sylvester(da.tensor([[1.0]]), da.tensor([[2.0]]), da.tensor([[6.0]])).item()
    2.0
    """
    a = _square(a, "solve_sylvester")
    b = _square(b, "solve_sylvester")
    q = _t(q, "solve_sylvester")
    n, m = a.shape[0], b.shape[0]
    if q.shape != (n, m):
        raise ValueError(f"dualad.scipy.linalg.solve_sylvester: q has shape {q.shape}, "
                         f"expected {(n, m)} for a {a.shape} and b {b.shape}")
    # row-major vec: (a x + x b)[i, j] = a[i, k] d[j, l] x[k, l] + d[i, k] b[l, j] x[k, l]
    k = (_ops.einsum("ik,jl->ijkl", a, np.eye(m)) + _ops.einsum("ik,lj->ijkl", np.eye(n), b))
    x = _ops.solve(_ops.reshape(k, (n * m, n * m)), _ops.reshape(q, (n * m,)))
    return _ops.reshape(x, (n, m))


def solve_continuous_lyapunov(a: Any, q: Any) -> Tensor:
    """The solution ``x`` of ``a @ x + x @ a.T = q`` (SciPy's
    ``solve_continuous_lyapunov``).

    >>> import dualad as da
    >>> from dualad.scipy.linalg import solve_continuous_lyapunov
    >>> solve_continuous_lyapunov(da.tensor([[-1.0]]), da.tensor([[-4.0]])).item()
    2.0
    """
    a = _square(a, "solve_continuous_lyapunov")
    return solve_sylvester(a, _mT(a), q)


def block_diag(*arrs: Any) -> Tensor:
    """The block-diagonal matrix of the arguments (SciPy's ``block_diag``): 0-d and 1-d
    arguments are taken as 1-row matrices.

    >>> import dualad as da
    >>> from dualad.scipy.linalg import block_diag
    >>> block_diag(da.tensor([[1.0]]), da.tensor([2.0, 3.0])).numpy().tolist()
    [[1.0, 0.0, 0.0], [0.0, 2.0, 3.0]]
    """
    if not arrs:
        return Tensor(np.empty((1, 0)))
    mats = []
    for x in arrs:
        t = _t(x, "block_diag", ndim=None)
        if t.ndim > 2:
            raise ValueError(f"dualad.scipy.linalg.block_diag: arguments must have at most 2 "
                             f"dimensions, got shape {t.shape}")
        mats.append(_ops.reshape(t, (1, -1)) if t.ndim < 2 else t)
    total = sum(m.shape[1] for m in mats)
    rows, before = [], 0
    for m in mats:
        after = total - before - m.shape[1]
        rows.append(_ops.pad(m, ((0, 0), (before, after))))
        before += m.shape[1]
    return _ops.concatenate(rows, axis=0)


# Inside vmap each function runs once per example: SciPy's forwards and the checks and pivots
# here read one matrix's values (see dualad.ops.vmap_rules.per_example_inside_vmap).
for _name in __all__:
    globals()[_name] = per_example_inside_vmap(globals()[_name])
del _name

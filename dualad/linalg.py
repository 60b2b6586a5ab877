"""``dualad.linalg``: NumPy's ``np.linalg`` functions that dualad differentiates.

The same functions run when NumPy's are called on a Tensor
(``np.linalg.svd(t)`` dispatches here through ``__array_function__``). They follow
NumPy's names, signatures and semantics, accept stacks of matrices, and are
differentiable in both modes and to any order; the conventions at repeated
eigenvalues or singular values and at rank deficiency are in
docs/linear-algebra.md.

>>> import dualad as da
>>> a = da.tensor([[4.0, 1.0], [1.0, 3.0]], requires_grad=True)
>>> da.linalg.slogdet(a).logabsdet.backward()
>>> a.grad.numpy().round(6).tolist()        # inv(a).T
[[0.272727, -0.090909], [-0.090909, 0.363636]]
"""

from __future__ import annotations

from numpy.linalg import LinAlgError

from .ops.linalg import det, inv, matmul, solve
from .ops.linalg_decomp import (
    EighResult,
    QRResult,
    SlogdetResult,
    SVDResult,
    cholesky,
    cond,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    lstsq,
    matrix_norm,
    matrix_power,
    matrix_rank,
    multi_dot,
    norm,
    pinv,
    qr,
    slogdet,
    svd,
    svdvals,
    vector_norm,
)

__all__ = [
    "EighResult", "LinAlgError", "QRResult", "SVDResult", "SlogdetResult", "cholesky", "cond",
    "det", "eig", "eigh", "eigvals", "eigvalsh", "inv", "lstsq", "matmul", "matrix_norm",
    "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "svd",
    "svdvals", "vector_norm",
]

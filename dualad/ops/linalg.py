"""Linear algebra: matmul, dot, outer, inner, trace, det, inv, solve, diag, tril, triu.

>>> import dualad as da
>>> a = da.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
>>> da.det(a).backward()             # d det / dA = det * inv(A).T
>>> a.grad.numpy().round(12).tolist()
[[3.0, -1.0], [-1.0, 2.0]]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._sympy import sp
from ..registry import LINEAR, Domain, Hints, Op, apply, fit_batched_array_to, register_op
from ..tensor import Tensor, shape_of
from . import _sympy_terms as terms
from . import batching
from ._define import conj_if_complex, quiet, sym_matmul
from .shape import broadcast_to, reshape, transpose


def _mT(a: Tensor) -> Tensor:
    return transpose(a, -1, -2)


def _matmul_grad_x(g: Tensor, out: Any, x: Any, y: Any) -> Tensor:
    """d(x @ y) for x, with NumPy's promotion of 1-d operands undone."""
    xs, ys = shape_of(x), shape_of(y)
    y = conj_if_complex(y)  # (complex numbers: g @ conj(y).T)
    if len(xs) == 1 and len(ys) == 1:
        return g * y
    y2 = reshape(y, (ys[0], 1)) if len(ys) == 1 else y
    g2 = reshape(g, g.shape + (1,)) if len(ys) == 1 else g
    if len(xs) == 1:  # x was promoted to (1, k): g lost that row axis
        g2 = reshape(g2, g2.shape[:-1] + (1,) + g2.shape[-1:])
    gx = matmul(g2, _mT(y2))
    return reshape(gx, gx.shape[:-2] + (xs[0],)) if len(xs) == 1 else gx


def _matmul_grad_y(g: Tensor, out: Any, x: Any, y: Any) -> Tensor:
    xs, ys = shape_of(x), shape_of(y)
    x = conj_if_complex(x)
    if len(xs) == 1 and len(ys) == 1:
        return g * x
    x2 = reshape(x, (1, xs[0])) if len(xs) == 1 else x
    g2 = reshape(g, g.shape[:-1] + (1,) + g.shape[-1:]) if len(xs) == 1 else g
    if len(ys) == 1:
        g2 = reshape(g2, g2.shape + (1,))
    gy = matmul(_mT(x2), g2)
    return reshape(gy, gy.shape[:-1]) if len(ys) == 1 else gy


def _matmul_grad_batched(g: Any, x: Any, y: Any, which: int) -> np.ndarray:
    """The cotangent of input ``which`` of ``x @ y`` for ``g`` with a leading batch axis
    (raw arrays): 1-d operands are promoted to matrices, and the batch axis is one more
    leading axis for matmul's broadcasting."""
    x, y, g = np.asarray(x).conj(), np.asarray(y).conj(), np.asarray(g)  # (real: no copy)
    if x.ndim <= 2 and y.ndim <= 2 and (x.ndim == 1 or y.ndim == 1):
        # a vector operand: one matrix product (or outer product) for the whole batch
        # instead of one small product per batch element
        if which == 0:
            if y.ndim == 1:
                return g[..., None] * y  # (B,) or (B, m) -> (B,) + x.shape
            return g @ y.T  # (B, p) @ (p, n)
        if x.ndim == 1:
            return g[..., None, :] * x[:, None] if y.ndim == 2 else g[:, None] * x
        return g @ x  # (B, m) @ (m, n)
    x2 = x.reshape(1, -1) if x.ndim == 1 else x
    y2 = y.reshape(-1, 1) if y.ndim == 1 else y
    lead = np.broadcast_shapes(x2.shape[:-2], y2.shape[:-2])
    g2 = g.reshape((g.shape[0],) + lead + (x2.shape[-2], y2.shape[-1]))
    if which == 0:
        part, like, shape = np.matmul(g2, np.swapaxes(y2, -1, -2)), x2, x.shape
    else:
        part, like, shape = np.matmul(np.swapaxes(x2, -1, -2), g2), y2, y.shape
    part = fit_batched_array_to(part, like.shape, part.dtype)
    return part.reshape((g.shape[0],) + shape)


def stacked_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.matmul(a, b)``; for stacks of outer products (a contracted axis of length 1,
    as in vmap's per-example gradients of a vector times a matrix) the same numbers by
    broadcasting, which NumPy computes 2-3 times faster than a stack of 1-term products."""
    if a.ndim > 2 and a.shape[-1] == 1 and b.ndim > 2:
        return a * b
    return np.matmul(a, b)


def _matmul_array_rule(which: int) -> Callable[[Any, Any, Any, Any], Any]:
    """The array rule for input ``which``: with two matrix (or stacked) operands, one
    matrix product on the raw arrays; 1-d operands take the batched rule, for a batch of
    one."""

    def rule(g: Any, out: Any, x: Any, y: Any) -> Any:
        if x.ndim < 2 or y.ndim < 2:
            return _matmul_grad_batched(np.asarray(g)[None], x, y, which)[0]
        return stacked_matmul(g, conj_if_complex(y.mT)) if which == 0 else \
            stacked_matmul(conj_if_complex(x.mT), g)

    return rule


_MATMUL = register_op(Op(
    name="matmul", forward=np.matmul, vjp=(_matmul_grad_x, _matmul_grad_y),
    jvp=(LINEAR, LINEAR),
    sympy=lambda x, y: sym_matmul(x, y) if np.ndim(x) and np.ndim(y) else x * y,
    domain=Domain(ranges=(((-2.0, 2.0),), ((-2.0, 2.0),)), shapes=[
        (((3, 4), (4, 2)), {}), (((4,), (4,)), {}), (((3, 4), (4,)), {}),
        (((4,), (4, 2)), {}), (((2, 3, 4), (4, 2)), {}), (((2, 3, 4), (2, 4, 5)), {}),
        (((4,), (2, 4, 5)), {}), (((2, 3, 4), (4,)), {})]),  # (a vector and a stack)
    node_name="MmBackward0", sympy_terms=terms.matmul,
    hints=Hints(reads=((1,), (0,)), array_vjp=(_matmul_array_rule(0), _matmul_array_rule(1)),
                batch_array_vjp=(lambda g, out, x, y: _matmul_grad_batched(g, x, y, 0),
                                 lambda g, out, x, y: _matmul_grad_batched(g, x, y, 1)),
                batch_jvp=(batching.matmul(0), batching.matmul(1)))))


def matmul(x: Any, y: Any) -> Tensor:
    """Matrix product with NumPy's rules: 1-d operands and batched stacks broadcast."""
    xs = shape_of(x)
    ys = shape_of(y)
    if len(xs) == 0 or len(ys) == 0:
        raise ValueError(f"matmul: both arguments need at least one dimension, got shapes "
                         f"{xs} and {ys}; use * for scalars")
    inner = ys[0] if len(ys) == 1 else ys[-2]
    if xs[-1] != inner:
        raise ValueError(f"matmul: the operands cannot be multiplied: the last dimension of "
                         f"the first ({xs[-1]}) must equal the "
                         f"{'only' if len(ys) == 1 else 'second-to-last'} dimension of the "
                         f"second ({inner}) (input shapes: {xs}, {ys})")
    return apply(_MATMUL, x, y)


def dot(x: Any, y: Any) -> Tensor:
    """Inner product of two 1-d tensors (PyTorch's ``dot``)."""
    xs = shape_of(x)
    ys = shape_of(y)
    if len(xs) != 1 or len(ys) != 1:
        raise ValueError(f"dot: 1D tensors expected, but got {len(xs)}D and {len(ys)}D tensors")
    if xs != ys:
        raise ValueError(f"dot: inconsistent tensor size, expected tensor [{xs[0]}] and src "
                         f"[{ys[0]}] to have the same number of elements")
    return apply(_MATMUL, x, y)


def _well_conditioned(*arrays: Any, **params: Any) -> bool:
    """``valid`` for matrix functions: square matrices far from singular."""
    a = np.asarray(arrays[0])
    return bool(np.all(np.abs(np.linalg.det(a)) > 0.2) and np.all(np.linalg.cond(a) < 30))


_MATRIX = ((-2.0, 2.0),)

# ------------------------------------------------------------ outer and inner


def outer(x: Any, y: Any) -> Tensor:
    """Outer product of two 1-d tensors: ``out[i, j] = x[i] * y[j]``."""
    xs, ys = shape_of(x), shape_of(y)
    if len(xs) != 1 or len(ys) != 1:
        raise ValueError(f"outer: 1D tensors expected, got shapes {xs} and {ys}")
    return reshape(x, (xs[0], 1)) * reshape(y, (1, ys[0]))


def inner(x: Any, y: Any) -> Tensor:
    """Sum of products over the last axes (NumPy's and PyTorch's ``inner``); 0-d operands scale."""
    xs, ys = shape_of(x), shape_of(y)
    if not xs or not ys:
        return x * y
    if xs[-1] != ys[-1]:
        raise ValueError(f"inner: the last dimensions must match, got shapes {xs} and {ys}")
    k = xs[-1]
    flat = matmul(reshape(x, (-1, k)), _mT(reshape(y, (-1, k))))
    return reshape(flat, xs[:-1] + ys[:-1])


# -------------------------------------------------------------------- trace
def _trace_vjp(g: Tensor, out: Any, x: Any) -> Tensor:
    n, m = shape_of(x)
    return g * np.eye(n, m, dtype=x.dtype)


_TRACE = register_op(Op(
    name="trace", forward=lambda x: np.trace(x), vjp=(_trace_vjp,), jvp=(LINEAR,),
    sympy=lambda x: np.trace(np.asarray(x, dtype=object)),
    domain=Domain(ranges=(_MATRIX,), shapes=[(((3, 3),), {}), (((2, 4),), {})]),
    sympy_terms=terms.trace, hints=Hints(saves=())))


def trace(x: Any) -> Tensor:
    """Sum of the main diagonal of a 2-d tensor."""
    if len(shape_of(x)) != 2:
        raise ValueError(f"trace: expected a matrix (2-d tensor), got shape {shape_of(x)}")
    return apply(_TRACE, x)


# ----------------------------------------------------------------------- det
def _cofactors(x: Tensor) -> Tensor:
    """d det(x)/dx: ``det * inv(x).T`` if invertible, else from the minors (exact when singular)."""
    data = x._data
    n = data.shape[-1]
    if n == 0:  # det of a 0x0 matrix is the constant 1: its gradient is empty
        return 0.0 * x
    if n == 1:
        return 0.0 * x + 1.0
    if np.all(np.linalg.cond(data) < 1e8):
        return reshape(apply(_DET, x), data.shape[:-2] + (1, 1)) * _mT(inv(x))
    from .shape import stack

    rows = []
    for i in range(n):
        keep_r = np.array([r for r in range(n) if r != i])
        cols = []
        for j in range(n):
            keep_c = np.array([c for c in range(n) if c != j])
            minor = x[(Ellipsis, keep_r[:, None], keep_c[None, :])]
            cols.append(apply(_DET, minor) * (-1.0) ** (i + j))
        rows.append(stack(cols, dim=-1))
    return stack(rows, dim=-2)


def _sym_det(x: Any) -> Any:
    x = np.asarray(x, dtype=object)
    if x.ndim == 2:
        return sp.Matrix(x.tolist()).det(method="laplace")  # Bareiss: 6x6 takes minutes
    out = np.empty(x.shape[:-2], dtype=object)
    for idx in np.ndindex(*x.shape[:-2]):
        out[idx] = sp.Matrix(x[idx].tolist()).det(method="laplace")
    return out


def _det_vjp(g: Tensor, out: Any, x: Tensor) -> Tensor:
    return reshape(g, g.shape + (1, 1)) * conj_if_complex(_cofactors(x))


def _det_jvp(t: Tensor, out: Any, x: Tensor) -> Tensor:
    from .reductions import sum as _sum

    return _sum(t * _cofactors(x), dim=(-2, -1))


_SQUARE_SHAPES: list = [(((3, 3),), {}), (((2, 2, 2),), {}), (((1, 1),), {})]
_DET = register_op(Op(
    name="det", forward=quiet(np.linalg.det), vjp=(_det_vjp,), jvp=(_det_jvp,), sympy=_sym_det,
    domain=Domain(ranges=(_MATRIX,), shapes=_SQUARE_SHAPES, valid=_well_conditioned),
    node_name="LinalgDetBackward0", sympy_terms=terms.det))


def _square_check(name: str, x: Any) -> None:
    s = shape_of(x)
    if len(s) < 2 or s[-1] != s[-2]:
        raise ValueError(f"{name}: expected square matrices (shape (..., n, n)), got shape {s}")


def det(x: Any) -> Tensor:
    """Determinant of a square matrix (or a stack of them); exact gradients when singular too."""
    _square_check("det", x)
    return apply(_DET, x)


# ----------------------------------------------------------------------- inv
def _inv_rule(g: Tensor, out: Tensor, x: Any) -> Tensor:
    out = conj_if_complex(out)  # (complex: the conjugate transpose)
    return -matmul(matmul(_mT(out), g), _mT(out))


def _inv_tangent(t: Tensor, out: Tensor, x: Any) -> Tensor:
    return -matmul(matmul(out, t), out)


def _sym_inv(x: Any) -> Any:
    x = np.asarray(x, dtype=object)
    out = np.empty(x.shape, dtype=object)
    for idx in np.ndindex(*x.shape[:-2]):
        m = sp.Matrix(x[idx].tolist())  # the adjugate over the determinant, by cofactors
        out[idx] = np.array((m.adjugate(method="laplace") / m.det(method="laplace")).tolist(),
                            dtype=object)
    return out


_INV = register_op(Op(
    name="inv", forward=np.linalg.inv, vjp=(_inv_rule,), jvp=(_inv_tangent,), sympy=_sym_inv,
    domain=Domain(ranges=(_MATRIX,), shapes=_SQUARE_SHAPES, valid=_well_conditioned),
    hints=Hints(saves=(), saves_output=True), node_name="LinalgInvExBackward0",
    sympy_terms=terms.inv))


def inv(x: Any) -> Tensor:
    """Inverse of a square matrix (or a stack of them); a singular matrix raises."""
    _square_check("inv", x)
    return apply(_INV, x)


inverse = inv

# --------------------------------------------------------------------- solve


# ``b`` 1-d is a vector even when ``a`` is a stack (the solution is then a stack of vectors)
def _as_matrix(b: Any, vector: bool) -> Any:
    return reshape(b, b.shape + (1,)) if vector else b


def _from_matrix(b: Tensor, vector: bool) -> Tensor:
    return reshape(b, b.shape[:-1]) if vector else b


def _solve_vjp_a(g: Tensor, out: Tensor, a: Any, b: Any) -> Tensor:
    vec = len(shape_of(b)) == 1
    gb = apply(_SOLVE, _mT(conj_if_complex(a)), _as_matrix(g, vec))
    return -matmul(gb, _mT(conj_if_complex(_as_matrix(out, vec))))


def _solve_vjp_b(g: Tensor, out: Tensor, a: Any, b: Any) -> Tensor:
    vec = len(shape_of(b)) == 1
    return _from_matrix(apply(_SOLVE, _mT(conj_if_complex(a)), _as_matrix(g, vec)), vec)


def _solve_jvp_a(t: Tensor, out: Tensor, a: Any, b: Any) -> Tensor:
    vec = len(shape_of(b)) == 1
    return -_from_matrix(apply(_SOLVE, a, matmul(t, _as_matrix(out, vec))), vec)


def _sym_solve(a: Any, b: Any) -> Any:
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    if b.ndim == 1:
        return np.matmul(_sym_inv(a), b[..., None])[..., 0]
    return np.matmul(_sym_inv(a), b)


_SOLVE = register_op(Op(
    name="solve", forward=np.linalg.solve, vjp=(_solve_vjp_a, _solve_vjp_b),
    jvp=(_solve_jvp_a, LINEAR), sympy=_sym_solve,
    domain=Domain(ranges=(_MATRIX, _MATRIX), valid=_well_conditioned, shapes=[
        (((3, 3), (3,)), {}), (((3, 3), (3, 2)), {}), (((2, 3, 3), (2, 3, 1)), {})]),
    hints=Hints(saves=(0,), saves_output=True), node_name="LinalgSolveExBackward0",
    sympy_terms=terms.solve))


def solve(a: Any, b: Any) -> Tensor:
    """The solution ``x`` of ``a @ x = b`` (``b`` a vector or a stack of matrices)."""
    _square_check("solve", a)
    return apply(_SOLVE, a, b)


# -------------------------------------------------------- diag, tril, triu
def _diag_indices(n_rows: int, n_cols: int, k: int) -> tuple:
    start_r, start_c = (0, k) if k >= 0 else (-k, 0)
    length = np.maximum(0, np.minimum(n_rows - start_r, n_cols - start_c))
    idx = np.arange(length)
    return idx + start_r, idx + start_c


def _diag_vjp(g: Tensor, out: Any, x: Any, k: int = 0) -> Tensor:
    xs = shape_of(x)
    if len(xs) == 1:
        return apply(_DIAG, g, k=k)
    from .shape import index_add

    return index_add(g, _diag_indices(xs[0], xs[1], k), xs)


_DIAG = register_op(Op(
    name="diag", forward=lambda x, k=0: np.diag(x, k), vjp=(_diag_vjp,), jvp=(LINEAR,),
    sympy=lambda x, k=0: np.diag(np.asarray(x, dtype=object), k),
    domain=Domain(ranges=(_MATRIX,), shapes=[(((3,),), {"k": 0}), (((3,),), {"k": -1}),
                                             (((3, 4),), {"k": 0}), (((4, 3),), {"k": 1})]),
    sympy_terms=terms.one, hints=Hints(saves=())))


def diag(x: Any, diagonal: int = 0, *, k: Any = None) -> Tensor:
    """1-d -> a matrix with ``x`` on a diagonal; 2-d -> that diagonal (PyTorch and NumPy)."""
    if len(shape_of(x)) not in (1, 2):
        raise ValueError(f"diag: expected a 1-d or 2-d tensor, got shape {shape_of(x)}")
    return apply(_DIAG, x, k=int(diagonal if k is None else k))


def _triangle(name: str, np_fn: Callable[..., Any]) -> Op:
    return register_op(Op(
        name=name, forward=lambda x, k=0: np_fn(x, k),
        vjp=(lambda g, out, x, k=0: apply(_REG[name], g, k=k),), jvp=(LINEAR,),
        sympy=lambda x, k=0: np_fn(np.asarray(x, dtype=object), k),
        domain=Domain(ranges=(_MATRIX,), shapes=[(((3, 3),), {"k": 0}), (((3, 4),), {"k": 1}),
                                                 (((2, 3, 3),), {"k": -1})]),
        sympy_terms=terms.one, hints=Hints(saves=(), batch_jvp=(batching.same(name),))))


_REG: dict = {}
_REG["tril"] = _triangle("tril", np.tril)
_REG["triu"] = _triangle("triu", np.triu)


def tril(x: Any, diagonal: int = 0, *, k: Any = None) -> Tensor:
    """Lower triangle of the last two axes (entries above ``diagonal`` zeroed)."""
    if len(shape_of(x)) < 2:
        raise ValueError(f"tril: expected at least 2 dimensions, got shape {shape_of(x)}")
    return apply(_REG["tril"], x, k=int(diagonal if k is None else k))


def triu(x: Any, diagonal: int = 0, *, k: Any = None) -> Tensor:
    """Upper triangle of the last two axes (entries below ``diagonal`` zeroed)."""
    if len(shape_of(x)) < 2:
        raise ValueError(f"triu: expected at least 2 dimensions, got shape {shape_of(x)}")
    return apply(_REG["triu"], x, k=int(diagonal if k is None else k))


# -------------------------------------------------------------------- einsum
def _einsum_grad(g: Tensor, other: Any, subs: str, which: int, shape: tuple) -> Tensor:
    """Cotangent of operand ``which`` of the two-operand contraction ``subs``."""
    ins, out = subs.split("->")
    a, b = ins.split(",")
    mine, theirs = (a, b) if which == 0 else (b, a)
    reachable = "".join(c for c in mine if c in out or c in theirs)
    r = apply(_EINSUM, g, conj_if_complex(other), subscripts=f"{out},{theirs}->{reachable}")
    if reachable != mine:  # letters summed inside this operand only: broadcast back
        r = reshape(r, tuple(shape[i] if c in reachable else 1 for i, c in enumerate(mine)))
        r = broadcast_to(r, shape)
    return r


_EINSUM = register_op(Op(
    name="einsum", forward=lambda x, y, subscripts: np.einsum(subscripts, x, y),
    vjp=(lambda g, out, x, y, subscripts: _einsum_grad(g, y, subscripts, 0, shape_of(x)),
         lambda g, out, x, y, subscripts: _einsum_grad(g, x, subscripts, 1, shape_of(y))),
    jvp=(LINEAR, LINEAR),
    sympy=lambda x, y, subscripts: np.einsum(subscripts, np.asarray(x, dtype=object),
                                             np.asarray(y, dtype=object)),
    domain=Domain(ranges=(_MATRIX, _MATRIX), shapes=[
        (((3, 4), (4, 2)), {"subscripts": "ij,jk->ik"}),
        (((3,), (4,)), {"subscripts": "i,j->ij"}),
        (((2, 3, 4), (4,)), {"subscripts": "ijk,k->j"}),
        (((3, 3), ()), {"subscripts": "ij,->ji"}),
        (((2, 3), (2, 3)), {"subscripts": "ij,ij->"})]),
    sympy_terms=terms.einsum, hints=Hints(saves=(0, 1))))


def _expand_ellipses(terms: list, shapes: list) -> tuple[list, str]:
    """Replace ``...`` by fresh letters (aligned from the right, as broadcasting is)."""
    used = set("".join(terms))
    fresh = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used]
    longest = ""
    out = []
    for term, shape in zip(terms, shapes):
        if "..." in term:
            n = len(shape) - (len(term) - 3)
            letters = "".join(fresh[len(fresh) - n:]) if n else ""
            longest = letters if len(letters) > len(longest) else longest
            term = term.replace("...", letters)
        if len(term) != len(shape):
            raise ValueError(f"einsum: subscripts {term!r} do not match an operand of shape "
                             f"{shape}")
        out.append(term)
    return out, longest


def _check_sizes(terms: list, shapes: list) -> None:
    """Each subscript letter labels one size across the operands (1 broadcasts, as in NumPy)."""
    seen: dict = {}
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        for c, n in zip(term, shape):
            if n == 1:
                continue
            if c in seen and seen[c][0] != n and seen[c][1] != k:  # (within one: a diagonal)
                m, j = seen[c]
                raise ValueError(f"einsum: subscript {c!r} labels dimensions of different sizes: "
                                 f"{m} in operand {j} ({terms[j]!r}, shape {shapes[j]}) and {n} "
                                 f"in operand {k} ({term!r}, shape {shape})")
            seen.setdefault(c, (n, k))


def _take_diagonals(x: Any, term: str) -> tuple[Any, str]:
    """Resolve a letter repeated within one operand (``'ii'``) by taking that diagonal."""
    from .reductions import sum as _sum

    while len(set(term)) != len(term):
        c = next(c for c in term if term.count(c) > 1)
        p, q = term.index(c), term.index(c, term.index(c) + 1)
        shape = shape_of(x)
        if shape[p] != shape[q]:
            raise ValueError(f"einsum: subscript {c!r} is repeated in {term!r} (a diagonal), but "
                             f"the operand's dimensions {p} and {q} it labels have different "
                             f"sizes ({shape[p]} and {shape[q]}); a diagonal needs equal sizes")
        delta_shape = [1] * len(shape)
        delta_shape[p], delta_shape[q] = shape[p], shape[q]
        x = _sum(x * np.eye(shape[p], dtype=bool).reshape(delta_shape), dim=q)
        term = term[:q] + term[q + 1:]
    return x, term


_SUBLIST_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _sublist_subscripts(args: tuple) -> tuple[str, tuple]:
    """NumPy's interleaved form ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` as a subscripts
    string and the operands (axis labels 0-51 and ``...``)."""

    def letters(sub: Any) -> str:
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, (int, np.integer)) and 0 <= int(s) < len(_SUBLIST_LETTERS):
                out.append(_SUBLIST_LETTERS[int(s)])
            else:
                raise ValueError(f"einsum: subscript {s!r} in the sublist form must be an int "
                                 "in [0, 52) or Ellipsis")
        return "".join(out)

    operands = args[0::2][:len(args) // 2]
    terms = [letters(s) for s in args[1::2][:len(args) // 2]]
    spec = ",".join(terms) + ("->" + letters(args[-1]) if len(args) % 2 else "")
    return spec, tuple(operands)


def einsum(subscripts: Any, *operands: Any, **kwargs: Any) -> Tensor:
    """Einstein summation (NumPy's and PyTorch's ``einsum``), differentiable in every operand.

    Contractions of several operands run pairwise from the left. NumPy's interleaved form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` is accepted, and so is ``optimize=`` (ignored:
    the contraction order is always pairwise from the left).

    >>> import dualad as da
    >>> a = da.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> da.einsum("ii->", a).backward(); a.grad
    tensor([[1., 0.],
            [0., 1.]])
    """
    for ignored in ("optimize", "order", "casting"):  # (no effect on the values)
        kwargs.pop(ignored, None)
    if any(v is not None for v in kwargs.values()):
        raise TypeError(f"einsum on dualad Tensors does not support the keyword arguments "
                        f"{sorted(k for k, v in kwargs.items() if v is not None)}")
    if not isinstance(subscripts, str):
        subscripts, operands = _sublist_subscripts((subscripts,) + operands)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    spec = subscripts.replace(" ", "")
    ins, arrow, out = spec.partition("->")
    terms = ins.split(",")
    if len(terms) != len(operands) or not operands:
        raise ValueError(f"einsum: {len(terms)} operand subscripts in {subscripts!r} but "
                         f"{len(operands)} operands")
    terms, ell = _expand_ellipses(terms, [shape_of(o) for o in operands])
    _check_sizes(terms, [shape_of(o) for o in operands])
    if arrow:
        out = out.replace("...", ell)
    else:
        letters = "".join(terms)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1
                                   and c not in ell))
    pairs = [_take_diagonals(o, t) for o, t in zip(operands, terms)]
    current, cur = pairs[0]
    if len(pairs) == 1:
        return apply(_EINSUM, current, 1.0, subscripts=f"{cur},->{out}")
    for k in range(1, len(pairs)):
        nxt, term = pairs[k]
        if k == len(pairs) - 1:
            keep = out
        else:
            later = out + "".join(t for _, t in pairs[k + 1:])
            keep = "".join(dict.fromkeys(c for c in cur + term if c in later))
        current = apply(_EINSUM, current, nxt, subscripts=f"{cur},{term}->{keep}")
        cur = keep
    return current

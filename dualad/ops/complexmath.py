"""Complex numbers: ``real``, ``imag``, ``conj``, ``angle``, and which ops accept complex.

dualad follows PyTorch's convention (docs/complex-numbers.md): for a real loss L of a
complex z, the gradient is ``dL/dx + i dL/dy``. A holomorphic op's vjp is
``g * conj(f'(z))`` (derived by ``_define.elementwise``); a non-holomorphic op with
Wirtinger derivatives ``a = df/dz`` and ``b = df/dz*`` has the vjp ``g * conj(a) +
conj(g) * b`` and the jvp ``a * v + b * conj(v)``. The ops here are of that second kind,
written out: ``real`` (a = b = 1/2), ``imag`` (a = -i/2, b = i/2), ``conj`` (a = 0,
b = 1) and ``angle``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._sympy import sp
from ..registry import _REGISTRY, LINEAR, Domain, Hints, Kink, Op, apply, register_op
from ..tensor import Tensor
from . import linalg, math, npmath, reductions, shape  # noqa: F401  (registered: marked below)
from ._define import branch_cut, is_complex, kink_adjust, op_function, provide
from .elementwise import where

_RANGES = (((-3.0, 3.0),),)
# angle's branch cut, declared at -1 and -2 (below the axis: -0.0); the gradient i z/|z|**2
_CUT = np.array([complex(-1.0, 0.0), complex(-2.0, -0.0)])
_CUT_GRADIENT = np.array([-1j, -0.5j])


def _copy(fn: Any) -> Any:
    """A forward that returns new storage (NumPy's ``real``/``imag`` are views; here a
    result has its own storage, so writing into it cannot reach the input)."""

    def forward(x: Any) -> np.ndarray:
        return np.array(fn(x), copy=True)

    forward.__name__ = fn.__name__
    return forward


def _unary(name: str, forward: Any, vjp: Any, jvp: Any, sympy: Any, doc: str,
           saves: tuple = (), node_name: str = "", array_vjp: Any = None,
           ranges: tuple = _RANGES, kinks: tuple = ()) -> Any:
    op = register_op(Op(name=name, forward=forward, vjp=(vjp,), jvp=(jvp,), sympy=sympy,
                        domain=Domain(ranges=ranges), elementwise=True, doc=doc, kinks=kinks,
                        node_name=node_name, accepts_complex=True,
                        hints=Hints(saves=saves, array_vjp=array_vjp and (array_vjp,))))
    function = op_function(op, 1)
    function.__doc__ = doc
    function.op = op  # type: ignore[attr-defined]
    provide(name, function, op.forward)
    return function


def _i_times(g: Any) -> Any:
    """``1j * g`` for a real or complex cotangent."""
    return g * 1j


conj: Any = _unary(
    "conj", np.conjugate, lambda g, out, x: conj(g), LINEAR, lambda x: sp.conjugate(x),
    """The complex conjugate (the identity on real tensors; linear over the reals).

    >>> import dualad as da
    >>> da.conj(da.tensor([1 + 2j])).tolist()
    [(1-2j)]
    """, node_name="ConjBackward0", array_vjp=lambda g, out, x: np.conj(g))

real: Any = _unary(
    "real", _copy(np.real), lambda g, out, x: g, lambda t, out, x: real(t),
    lambda x: sp.re(x),
    """The real part, a new tensor (PyTorch's ``.real`` is a view; dualad's is a copy, so
    writing into it does not change ``z``). Its gradient is ``g`` (a real number).

    >>> import dualad as da
    >>> z = da.tensor(1 + 2j, requires_grad=True)
    >>> da.real(z * z).backward(); z.grad
    tensor(2.-4.j, dtype=complex128)
    """, node_name="RealBackward0", array_vjp=lambda g, out, x: g)

imag: Any = _unary(
    "imag", _copy(np.imag), lambda g, out, x: _i_times(g), lambda t, out, x: imag(t),
    lambda x: sp.im(x),
    """The imaginary part, a new tensor (0 for a real tensor). Its gradient is ``1j * g``.

    >>> import dualad as da
    >>> z = da.tensor(1 + 2j, requires_grad=True)
    >>> da.imag(z * z).backward(); z.grad
    tensor(4.+2.j, dtype=complex128)
    """, node_name="ImagBackward0", array_vjp=lambda g, out, x: _i_times(g))


def _safe_abs2(x: Any) -> tuple[Any, Any]:
    """``(|x|**2 with 1 where x == 0, the mask x == 0)``."""
    raw = x._data if isinstance(x, Tensor) else np.asarray(x)
    zero = raw == 0
    return where(zero, 1.0, real(x * conj(x))), zero


def _angle_gradient(x: Any, mode: str) -> Any:
    """The gradient ``i z / |z|**2`` of ``angle`` (``-y/r**2 + i x/r**2``), 0 for a real
    input (the angle is 0 or pi there) and at 0 (PyTorch), through the kink policy: the
    vjp is ``g * s`` and the jvp ``Re(conj(s) v)`` (a real function of ``z``)."""
    if is_complex(x):
        r2, zero = _safe_abs2(x)
        s = where(zero, 0.0, _i_times(x) / r2)
    else:
        s = x * 0.0
    return kink_adjust(_REGISTRY["angle"], 0, s, (x,), {}, mode)


def _angle_vjp(g: Any, out: Any, x: Any) -> Any:
    return g * _angle_gradient(x, "backward")


def _angle_jvp(t: Any, out: Any, x: Any) -> Any:
    return real(conj(_angle_gradient(x, "jvp")) * t)


angle = _unary(
    "angle", np.angle, _angle_vjp, _angle_jvp, lambda x: sp.arg(x),
    """The argument of a complex number, in (-pi, pi] (0 or pi for real numbers, with
    derivative 0, as PyTorch); at 0 the derivative is 0.

    >>> import dualad as da
    >>> z = da.tensor(1 + 1j, requires_grad=True)
    >>> da.angle(z).backward(); z.grad
    tensor(-0.5+0.5j, dtype=complex128)
    """, saves=(0,), node_name="AngleBackward0",
    # (a real x jumps from pi to 0 at 0: tested away from it)
    ranges=(((-3.0, -0.05), (0.05, 3.0)),),
    kinks=(Kink("z == 0", ((0.0,),), (0.0,), 4,
                "real x: the angle jumps from pi to 0, the derivative 0 of the flat parts is "
                "its limit; complex z: no limit exists, 0 is PyTorch's value (arctan2 gives "
                "nan)", pytorch=(0.0,), jax=(np.nan,), at=lambda x: x == 0),
           Kink("complex z, Im z == 0 and Re z < 0 (the branch cut)",
                ((_CUT,),), (_CUT_GRADIENT,), 4,
                "the angle jumps from pi to -pi; its gradient i z/|z|**2 is continuous",
                pytorch=(_CUT_GRADIENT,), jax=(_CUT_GRADIENT,), at=branch_cut(0.0))))


# Ops whose rules follow the convention on complex inputs: holomorphic ops (the derived
# vjp conjugates the partial), linear ops with real coefficients (shapes, sums, casts),
# and the non-holomorphic ops written out (abs, real, imag, conj, angle, var, std, norm).
HOLOMORPHIC = (
    "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sin", "cos", "tan", "tanh",
    "sinh", "cosh", "sqrt", "square", "reciprocal", "expm1", "log1p", "log2", "log10",
    "exp2", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "sigmoid",
    "matmul", "prod", "einsum", "float_power", "det", "inv", "solve", "strong_mul",
    "cumprod", "sinc",
)
LINEAR_OPS = (
    "sum", "mean", "sum_to", "broadcast_to", "astype", "clone", "reshape", "permute",
    "getitem", "transpose", "swapaxes", "concatenate", "stack", "cumsum", "trace", "diag",
    "tril", "triu", "flip", "squeeze", "unsqueeze", "expand_dims", "flatten", "where",
    "setitem", "index_add",
)
NON_HOLOMORPHIC = ("abs", "real", "imag", "conj", "angle", "var", "std", "norm")


def mark_complex_ops() -> None:
    """Set ``accepts_complex`` on the registered ops named above (those that exist)."""
    for name in HOLOMORPHIC + LINEAR_OPS + NON_HOLOMORPHIC:
        op = _REGISTRY.get(name)
        if op is not None:
            op.accepts_complex = True


mark_complex_ops()


def conjugate(x: Any) -> Tensor:
    """NumPy's name for :func:`conj`."""
    return apply(_REGISTRY["conj"], x)


def iscomplexobj(x: Any) -> bool:
    """Whether ``x`` has a complex dtype (NumPy's ``iscomplexobj``; no gradient)."""
    return is_complex(x) or bool(np.iscomplexobj(x._data if isinstance(x, Tensor) else x))


def iscomplex(x: Any) -> Tensor:
    """Elementwise: a nonzero imaginary part (a boolean tensor, no gradient)."""
    from ..tensor import _wrap

    return _wrap(np.asarray(np.iscomplex(x._data if isinstance(x, Tensor) else x)))


def isreal(x: Any) -> Tensor:
    """Elementwise: a zero imaginary part (a boolean tensor, no gradient)."""
    from ..tensor import _wrap

    return _wrap(np.asarray(np.isreal(x._data if isinstance(x, Tensor) else x)))


__all__ = ["angle", "conj", "conjugate", "imag", "iscomplex", "iscomplexobj", "isreal", "real"]

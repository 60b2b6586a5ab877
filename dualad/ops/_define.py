"""Shared helpers for defining ops: the staged elementwise rule and argument handling."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from .._fperr import quiet_off, quiet_on
from .._state import census, state
from .._sympy import sp, sympy_function
from ..registry import Domain, Op, apply, call, register_op
from ..tensor import Tensor

REALS = ((-3.0, 3.0),)
POSITIVE = ((0.1, 4.0),)


def quiet(fn: Callable) -> Callable:
    """Wrap a forward so NumPy does not warn at points where inf/nan is the answer."""

    def forward(*args: Any, **kwargs: Any) -> Any:
        token = quiet_on()
        try:
            return fn(*args, **kwargs)
        finally:
            quiet_off(token)

    forward.__name__ = getattr(fn, "__name__", "forward")
    return forward


def elementwise_unary(name: str, forward: Callable, derivative: Callable,
                      sympy: Callable | str, ranges: tuple = REALS, kinks: tuple = (),
                      uses_output: bool = False, valid: Callable | None = None,
                      doc: str = "") -> Callable:
    """Register a unary elementwise op from ``derivative(out, x)``, and return its function.

    ``sympy``: its SymPy form, or the name of a SymPy function (imported on first use).
    Both rules multiply by the same derivative, so forward and reverse mode agree
    everywhere (including at kinks) and the JVP stays linear in the tangent.
    """
    if isinstance(sympy, str):
        sympy = sympy_function(sympy)
    def factor(out: Any, x: Any, mode: str) -> Any:
        return kink_adjust(op, 0, derivative(out, x), (x,), {}, mode)

    if kinks:
        vjp = (lambda g, out, x: scale(g, factor(out, x, "backward")),)
        jvp = (lambda t, out, x: scale(t, factor(out, x, "jvp")),)
    else:  # no policy applies: the derivative itself (one call less per rule)
        vjp = (lambda g, out, x: scale(g, derivative(out, x)),)
        jvp = (lambda t, out, x: scale(t, derivative(out, x)),)
    op = register_op(Op(
        name=name,
        forward=forward,
        vjp=vjp,
        jvp=jvp,
        sympy=sympy,
        domain=Domain(ranges=(ranges,), valid=valid),
        kinks=kinks,
        elementwise=True,
        saves=() if uses_output else (0,),
        reads=((),) if uses_output else ((0,),),
        saves_output=uses_output,
        doc=doc,
        # on raw arrays the engine guarantees the default policy: factor is the derivative
        array_vjp=(lambda g, out, x: g * derivative(out, x),),
        scalar_forward=forward,  # a one-input ufunc is faster on a scalar than on a 0-d array
    ))

    def function(x: Any) -> Tensor:
        if not isinstance(x, Tensor) and state.array_rules:  # in a rule, on a raw array
            return op.forward(x)  # (what apply returns there, without its argument loop)
        return apply(op, x)

    function.__name__ = name
    function.__doc__ = doc or f"Elementwise {name}."
    function.op = op  # type: ignore[attr-defined]
    return function


def differentiated(x: Any) -> bool:
    """Whether a rule's input is being differentiated.

    Inside a forward-mode rule: it carries a tangent at the level being pushed
    (dispatch records which). Elsewhere (reverse mode): it requires grad.
    """
    if not isinstance(x, Tensor):
        return False
    marked = state.tangent_inputs
    if marked is not None:
        return any(x is m for m in marked)
    return x.requires_grad_flag


def kink_adjust(op: Op, index: int, d: Any, inputs: tuple, params: dict, mode: str) -> Any:
    """The derivative ``d`` of ``op`` w.r.t. input ``index``, with the kink policy applied.

    Every kink-bearing rule passes its local derivative (the factor the
    cotangent or tangent is multiplied by) through here, in both modes
    (``mode`` is ``"backward"`` or ``"jvp"``), so the policy of
    :mod:`dualad.nondiff` and its tracker act the same way everywhere. The
    default policy with no tracker costs one attribute check.
    """
    if not census.policy or state.kink_policy == "subgradient" and not state.kink_trackers:
        return d
    from .. import nondiff

    return nondiff.apply_policy(op, index, d, inputs, params, mode)


def scale(g: Any, d: Any) -> Any:
    """``g * d``: a cotangent or tangent times a partial derivative.

    Under ``dualad.nondiff.strong_zero()`` a zero ``g`` annihilates an
    infinite or nan ``d`` (0 * inf is 0, not nan): the one place this is done.
    Policy ``"nan"`` does the same, so that its nan marks only the derivatives
    taken at a kink (a zero row or column of a Jacobian stays 0, in both modes).
    The product is the op ``strong_mul``, whose own rules keep the rule at
    every order and for cotangents carrying tangents (``jacrev``, ``hessian``).
    """
    if census.policy and (state.strong_zero or state.kink_policy == "nan"):
        return call("strong_mul", g, d)
    return g * d


def normalize_axis(dim: Any = None, axis: Any = None, keepdim: Any = None,
                   keepdims: Any = None) -> tuple[Any, bool]:
    """Accept PyTorch's ``dim``/``keepdim`` and NumPy's ``axis``/``keepdims``."""
    if dim is not None and axis is not None:
        raise TypeError("give either dim= or axis=, not both")
    ax = dim if dim is not None else axis
    # Python ints from here on (NumPy's integers too: the rules tell one axis from a tuple
    # by ``isinstance(axis, int)``); a float raises TypeError here, before any work
    try:
        if isinstance(ax, (list, tuple)):
            ax = tuple(operator.index(a) for a in ax)
        elif ax is not None:
            ax = operator.index(ax)
    except TypeError:
        raise TypeError(f"dim/axis must be an int or a tuple of ints, got {ax!r}") from None
    keep = keepdim if keepdim is not None else keepdims
    return ax, bool(keep)


def to_index(index: Any) -> Any:
    """Turn Tensors (and lists) inside an index into NumPy arrays."""
    if isinstance(index, tuple):
        return tuple(to_index(i) for i in index)
    if isinstance(index, Tensor):
        if index.requires_grad_flag and index.dtype.kind == "f":
            raise IndexError("tensors used as indices must be integer or boolean tensors")
        index = index._data
    elif isinstance(index, list):
        index = np.asarray(index)
        if index.size == 0 and index.dtype.kind == "f":
            # an empty list selects nothing (NumPy and PyTorch): integer, not NumPy's float64
            return index.astype(np.intp)
    if isinstance(index, np.ndarray) and index.ndim == 0 and index.dtype == bool:
        return bool(index)  # a 0-d mask adds an axis, as True does
    return index


def sym_sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Sum an object array of SymPy values, one n-ary ``Add`` per result element.

    (``np.sum`` on SymPy values adds one term at a time, which is quadratic.)
    """
    x = np.asarray(x, dtype=object)
    if x.ndim == 0:
        return x[()]
    axes = tuple(range(x.ndim)) if axis is None else tuple(
        int(a) % x.ndim for a in ((axis,) if np.ndim(axis) == 0 else axis))
    rest = [a for a in range(x.ndim) if a not in axes]
    rows = np.transpose(x, rest + list(axes)).reshape(-1, int(np.prod([x.shape[a] for a in axes])))
    out = np.empty(rows.shape[0], dtype=object)
    out[:] = [sp.Add(*row) for row in rows]
    shape = [1 if a in axes else x.shape[a] for a in range(x.ndim)] if keepdims else \
        [x.shape[a] for a in rest]
    out = out.reshape(shape)
    return out if out.ndim else out[()]


def sym_matmul(x: Any, y: Any) -> Any:
    """``np.matmul`` of object arrays of SymPy values (at least 1-d), one n-ary ``Add`` per
    result element (``np.matmul`` adds one term at a time, which is quadratic)."""
    x, y = np.asarray(x, dtype=object), np.asarray(y, dtype=object)
    vec_x, vec_y = x.ndim == 1, y.ndim == 1
    products = (x[None, :] if vec_x else x)[..., :, :, None] * \
        (y[:, None] if vec_y else y)[..., None, :, :]
    out = np.asarray(sym_sum(products, -2), dtype=object)
    if vec_x:
        out = out[..., 0, :]
    if vec_y:
        out = out[..., 0]
    return out if out.ndim else out[()]


class Formula:
    """A derivative value that depends on the inputs, for ``Kink.pytorch``/``Kink.jax``.

    >>> f = Formula("1/x", lambda x: 1.0 / x)
    >>> f, f(4.0)
    (1/x, 0.25)
    """

    def __init__(self, text: str, fn: Callable[..., Any]) -> None:
        self.text = text
        self.fn = fn

    def __call__(self, *inputs: Any, **params: Any) -> Any:
        return self.fn(*inputs, **params)

    def __repr__(self) -> str:
        return self.text

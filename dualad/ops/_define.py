"""Shared helpers for defining ops: elementwise ops from their partials, argument handling."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from .._fperr import quiet_off, quiet_on
from .._state import census, state
from .._sympy import sp, sympy_function
from ..registry import _REGISTRY, LINEAR, Domain, Hints, Kink, Op, apply, call, register_op
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


class Math(SimpleNamespace):
    """The functions a partial derivative computes with, given as its first argument ``m``:
    ``lambda m, out, x: m.cos(x)`` is d sin(x)/dx.

    There are two, filled as the ops are declared (:func:`elementwise`, :func:`provide`),
    one name per op: :data:`TENSOR_MATH` holds the dualad op functions (on Tensors: the
    derivative is recorded and differentiates again), :data:`ARRAY_MATH` the same ops'
    NumPy forwards (on raw arrays: the engine's raw-array rules, nothing recorded). A
    partial uses only these and arithmetic, so it means the same in both.

    >>> TENSOR_MATH.cos.__name__, ARRAY_MATH.cos.__name__
    ('cos', 'cos')
    """


TENSOR_MATH = Math()
ARRAY_MATH = Math()


def provide(name: str, function: Callable, forward: Callable) -> None:
    """Give partial derivatives op ``name``: ``function`` (on Tensors) as
    ``TENSOR_MATH.<name>``, ``forward`` (its NumPy forward) as ``ARRAY_MATH.<name>``.
    :func:`elementwise` does this for every op it declares."""
    setattr(TENSOR_MATH, name, function)
    setattr(ARRAY_MATH, name, forward)


def withdraw(name: str) -> None:
    """Remove the op ``name`` declared here from the registry and from both :class:`Math`
    namespaces (a temporary op of a test or an example)."""
    _REGISTRY.pop(name, None)
    for math in (TENSOR_MATH, ARRAY_MATH):
        math.__dict__.pop(name, None)


def op_function(op: Op, n: int) -> Callable:
    """``apply(op, ...)`` as a function of ``n`` inputs (fixed signatures for one and two:
    called faster than ``*xs``)."""
    if n == 1:
        def function(x: Any) -> Tensor:
            return apply(op, x)
    elif n == 2:
        def function(x: Any, y: Any) -> Tensor:  # type: ignore[misc]
            return apply(op, x, y)
    else:
        def function(*xs: Any) -> Tensor:  # type: ignore[misc]
            return apply(op, *xs)
    function.__name__ = op.name
    function.__qualname__ = op.name
    return function


Partial = Callable[..., Any] | float | None
"""One input's partial derivative ``d(m, out, *inputs)`` (computed with the functions of
the :class:`Math` ``m`` and arithmetic), a constant, or None."""


def elementwise(name: str, forward: Callable, partials: Sequence[Partial],
                sympy: Callable | str, ranges: tuple, *, kinks: tuple = (),
                uses_output: bool = False, valid: Callable | None = None, doc: str = "",
                node_name: str = "", multilinear: bool = False,
                array_rules: bool | tuple = True,
                reads: tuple | None = None, reads_output: tuple | None = None,
                scalar_forward: Callable | None = None,
                complex_rules: Callable | None = None) -> Op:
    """Register an elementwise op declared by one partial derivative per input.

    ``partials[i](m, out, *inputs)`` is d out / d input i, computed with the functions
    of ``m`` (a :class:`Math`: ``m.cos(x)``, ``m.where(...)``) and arithmetic; a number
    is a constant partial (1 and -1 pass the cotangent on as it is or negated, and read
    no saved value); None marks an input that is not differentiable. Everything else is
    derived here, in one place:

    - vjp ``g * d`` and jvp ``t * d`` (through :func:`scale`) with ``m`` the dualad op
      functions (:data:`TENSOR_MATH`: the derivative differentiates again), with the
      kink policy applied to ``d`` (:func:`kink_adjust`) when the op has kinks, so
      forward and reverse mode agree everywhere, kinks included; ``multilinear``: the
      op is linear in each input alone (``mul``), so its jvp is the op itself
      (``LINEAR``);
    - the raw-array rule ``g * d`` with ``m`` the ops' NumPy forwards
      (:data:`ARRAY_MATH`): the engine runs it when the backward pass is not recorded,
      where the default kink policy holds (``array_rules=False`` when a partial needs
      Tensors, e.g. to ask which inputs are differentiated; or a tuple of hand-written
      array rules, faster than the derived ones); as the op is elementwise it also
      serves for batched cotangents (``jacrev``), and batched tangents broadcast
      through the jvp;
    - the op's entries in the two :class:`Math` namespaces (:func:`provide`), under its
      name, so that other partials can use it;
    - what a node keeps: ``reads[i]``, the inputs partial i reads (default: every
      input; none for a constant; none for a unary op that ``uses_output``); the
      output when ``uses_output`` (``reads_output``: for which inputs, default all).

    Complex numbers (PyTorch's convention, docs/complex-numbers.md): a partial is
    ``df/dz`` of a holomorphic op, so the vjp is ``g * conj(d)`` where ``d`` is complex
    (the op must be marked ``accepts_complex``, else TypeError) and the jvp ``t * d``; a
    real ``d`` costs one dtype check. ``complex_rules(m)``: the (vjp, jvp) of a
    non-holomorphic op (``abs``), used instead when an input is complex.

    ``sympy``: its SymPy form, or the name of a SymPy function (imported on first
    use). ``ranges``: per input, the ``(low, high)`` intervals of its test domain.
    """
    if isinstance(sympy, str):
        sympy = sympy_function(sympy)
    n = len(partials)
    if reads is None:
        reads = tuple(() if not callable(d) or (n == 1 and uses_output) else tuple(range(n))
                      for d in partials)
    rules = [_derived_rules(lambda: op, i, d, bool(kinks), multilinear, n)
             for i, d in enumerate(partials)]
    if complex_rules is not None:  # (one-input ops: abs)
        if n != 1:
            raise ValueError(f"op {name!r}: complex_rules are for one-input ops")
        rules = [_with_complex_rules(r, i, complex_rules) for i, r in enumerate(rules)]
    array_vjp = tuple(r[2] for r in rules) if array_rules is True else array_rules
    op = register_op(Op(
        name=name, forward=forward,
        vjp=tuple(r[0] for r in rules), jvp=tuple(r[1] for r in rules),
        sympy=sympy, domain=Domain(ranges=tuple(ranges), valid=valid), kinks=kinks,
        elementwise=True, doc=doc, node_name=node_name,
        hints=Hints(saves=tuple(sorted({j for r in reads for j in r})), reads=reads,
                    saves_output=uses_output, reads_output=reads_output if uses_output else None,
                    array_vjp=array_vjp or None,
                    scalar_forward=scalar_forward)))
    provide(name, op_function(op, n), op.forward)
    return op


def _derived_rules(get_op: Callable[[], Op], i: int, d: Partial, kinks: bool,
                   multilinear: bool, n: int) -> tuple:
    """Input ``i``'s (vjp, jvp, array vjp) from its partial ``d`` (see :func:`elementwise`).

    ``get_op()`` is the op being declared (its rules name it for the kink policy);
    ``n`` is its number of inputs.
    """
    if d is None:
        return None, None, None
    if not callable(d):
        return _constant_rules(float(d), n)
    adjust = None
    if kinks:
        def adjust(value: Any, xs: tuple, mode: str) -> Any:
            return kink_adjust(get_op(), i, value, xs, {}, mode, partial=True)

    def cj(value: Any) -> Any:
        return conj_partial(get_op(), value)

    vjp, jvp, array_vjp = _RULES.get(n, _rules_n)(d, adjust, cj)
    return vjp, LINEAR if multilinear else jvp, array_vjp


def is_complex(v: Any) -> bool:
    """Whether ``v`` (a Tensor, an array or a number) is complex."""
    kind = type(v)
    if kind is Tensor:  # (the usual cases first: the rules' hot path)
        return v._data.dtype.kind == "c"
    if kind is np.ndarray:
        return v.dtype.kind == "c"
    if kind is np.float64 or kind is float:  # (the scalar path's values: no dtype lookup)
        return False
    dtype = getattr(v, "dtype", None)
    return dtype.kind == "c" if dtype is not None else kind is complex


def conj_if_complex(v: Any) -> Any:
    """``conj(v)`` for a complex ``v`` (a Tensor: recorded; an array: NumPy's), else ``v``
    itself: the factor a hand-written vjp multiplies by (``g @ conj(y).T`` for matmul)."""
    if not is_complex(v):
        return v
    return TENSOR_MATH.conj(v) if isinstance(v, Tensor) else np.conj(v)


def conj_partial(op: Op, d: Any) -> Any:
    """``conj(d)`` for the vjp of a holomorphic op (PyTorch's convention: the cotangent of
    ``z`` is ``g * conj(df/dz)``); TypeError for an op not marked ``accepts_complex``,
    whose rules would give a silently wrong derivative."""
    if not op.accepts_complex:
        raise TypeError(f"{op.name} does not support complex numbers in its derivatives; "
                        "see docs/complex-numbers.md for the ops that do (differentiate the "
                        "real and imaginary parts, da.real(z) and da.imag(z), instead)")
    if isinstance(d, Tensor):
        return TENSOR_MATH.conj(d)
    return np.conj(d)


# The rules of one partial ``d`` with ``adjust`` the kink policy (None: no kinks): ``g * d``
# by ``scale`` in both modes with ``d`` on Tensors (TENSOR_MATH), and ``g * d`` on raw arrays
# (ARRAY_MATH), where the engine guarantees the default policy (no adjust) and no
# strong_zero (scale is ``*``); a complex ``d`` is conjugated by ``cj`` in the vjp. One
# builder per arity: a fixed signature is called about twice as fast as ``*xs`` (the
# engine's hot path).

def _rules_1(d: Callable, adjust: Callable | None, cj: Callable) -> tuple:
    T, A = TENSOR_MATH, ARRAY_MATH  # (closure cells: faster to load than globals)
    if adjust is None:  # (one call less per rule)
        def vjp(g: Any, out: Any, x: Any) -> Any:
            p = d(T, out, x)
            return scale(g, cj(p) if is_complex(p) else p)

        def jvp(t: Any, out: Any, x: Any) -> Any:
            return scale(t, d(T, out, x))
    else:
        def vjp(g: Any, out: Any, x: Any) -> Any:
            p = adjust(d(T, out, x), (x,), "backward")
            return scale(g, cj(p) if is_complex(p) else p)

        def jvp(t: Any, out: Any, x: Any) -> Any:
            return scale(t, adjust(d(T, out, x), (x,), "jvp"))

    def array_vjp(g: Any, out: Any, x: Any) -> Any:
        p = d(A, out, x)
        return g * (cj(p) if is_complex(p) else p)

    return vjp, jvp, array_vjp


def _rules_2(d: Callable, adjust: Callable | None, cj: Callable) -> tuple:
    T, A = TENSOR_MATH, ARRAY_MATH
    if adjust is None:
        def vjp(g: Any, out: Any, x: Any, y: Any) -> Any:
            p = d(T, out, x, y)
            return scale(g, cj(p) if is_complex(p) else p)

        def jvp(t: Any, out: Any, x: Any, y: Any) -> Any:
            return scale(t, d(T, out, x, y))
    else:
        def vjp(g: Any, out: Any, x: Any, y: Any) -> Any:
            p = adjust(d(T, out, x, y), (x, y), "backward")
            return scale(g, cj(p) if is_complex(p) else p)

        def jvp(t: Any, out: Any, x: Any, y: Any) -> Any:
            return scale(t, adjust(d(T, out, x, y), (x, y), "jvp"))

    def array_vjp(g: Any, out: Any, x: Any, y: Any) -> Any:
        p = d(A, out, x, y)
        return g * (cj(p) if is_complex(p) else p)

    return vjp, jvp, array_vjp


def _rules_n(d: Callable, adjust: Callable | None, cj: Callable) -> tuple:
    T, A = TENSOR_MATH, ARRAY_MATH
    def vjp(g: Any, out: Any, *xs: Any) -> Any:
        value = d(T, out, *xs)
        value = value if adjust is None else adjust(value, xs, "backward")
        return scale(g, cj(value) if is_complex(value) else value)

    def jvp(t: Any, out: Any, *xs: Any) -> Any:
        value = d(T, out, *xs)
        return scale(t, value if adjust is None else adjust(value, xs, "jvp"))

    def array_vjp(g: Any, out: Any, *xs: Any) -> Any:
        p = d(A, out, *xs)
        return g * (cj(p) if is_complex(p) else p)

    return vjp, jvp, array_vjp


def _with_complex_rules(rules: tuple, i: int, complex_rules: Callable) -> tuple:
    """Input ``i``'s (vjp, jvp, array vjp) ``rules`` of a one-input op, replaced by those
    of ``complex_rules(m)`` (a non-holomorphic op's) when the input is complex."""
    vjp, jvp, array_vjp = rules
    if vjp is None:
        return rules
    tensor_rules, array_rules = complex_rules(TENSOR_MATH), complex_rules(ARRAY_MATH)

    def c_vjp(g: Any, out: Any, x: Any) -> Any:
        return tensor_rules[0](g, out, x) if is_complex(x) else vjp(g, out, x)

    def c_jvp(t: Any, out: Any, x: Any) -> Any:
        return tensor_rules[1](t, out, x) if is_complex(x) else jvp(t, out, x)

    def c_array_vjp(g: Any, out: Any, x: Any) -> Any:
        return array_rules[0](g, out, x) if is_complex(x) else array_vjp(g, out, x)

    return c_vjp, c_jvp, c_array_vjp


_RULES = {1: _rules_1, 2: _rules_2}


def _constant_rules(c: float, n: int) -> tuple:
    """(vjp, jvp, array vjp) for a constant partial ``c`` of an op of ``n`` inputs: the
    cotangent passed on (1), negated (-1) or scaled; no saved value is read."""
    rule = (_PASS if c == 1.0 else _NEGATE if c == -1.0 else {}).get(n)
    if rule is None:
        def rule(g: Any, out: Any, *xs: Any) -> Any:
            return g if c == 1.0 else -g if c == -1.0 else g * c
    return rule, rule, rule


# (fixed signatures for one and two inputs: called twice as fast as ``*xs``)
_PASS = {1: lambda g, out, x: g, 2: lambda g, out, x, y: g}
_NEGATE = {1: lambda g, out, x: -g, 2: lambda g, out, x, y: -g}


def elementwise_unary(name: str, forward: Callable, derivative: Partial,
                      sympy: Callable | str, ranges: tuple = REALS, kinks: tuple = (),
                      uses_output: bool = False, valid: Callable | None = None,
                      doc: str = "", complex_rules: Callable | None = None) -> Callable:
    """Register a unary elementwise op from ``derivative(m, out, x)`` (see
    :func:`elementwise`), and return its function.

    >>> import numpy as np
    >>> cube = elementwise_unary("doc_cube", lambda x: x ** 3, lambda m, out, x: 3.0 * x * x,
    ...                          lambda x: x ** 3)
    >>> from dualad import tensor; x = tensor(2.0, requires_grad=True)
    >>> cube(x).backward(); x.grad
    tensor(12.)
    >>> withdraw("doc_cube")
    """
    op = elementwise(name, forward, (derivative,), sympy, (ranges,), kinks=kinks,
                     uses_output=uses_output, valid=valid, doc=doc,
                     complex_rules=complex_rules,
                     # a one-input ufunc is faster on a scalar than on a 0-d array
                     scalar_forward=forward)
    function = getattr(TENSOR_MATH, name)  # (made by elementwise: apply(op, x))
    function.__doc__ = doc or f"Elementwise {name}."
    function.op = op
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


def kink_adjust(op: Op, index: int, d: Any, inputs: tuple, params: dict, mode: str,
                partial: bool = False) -> Any:
    """The derivative ``d`` of ``op`` w.r.t. input ``index``, with the kink policy applied.

    Every kink-bearing rule passes its local derivative (the factor the
    cotangent or tangent is multiplied by) through here, in both modes
    (``mode`` is ``"backward"`` or ``"jvp"``), so the policy of
    :mod:`dualad.nondiff` and its tracker act the same way everywhere. The
    default policy with no tracker costs one attribute check.

    ``partial``: ``d`` is a holomorphic op's ``df/dz`` (the derived rules of
    :func:`elementwise`), whose vjp conjugates it; the kinks declare gradients
    ``conj(df/dz)`` (PyTorch's convention), so a complex value put in its place, and
    the value the tracker reports, are conjugated.
    """
    if not census.policy or state.kink_policy == "subgradient" and not state.kink_trackers:
        return d
    from .. import nondiff

    return nondiff.apply_policy(op, index, d, inputs, params, mode, partial)


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


def exp_neg(m: Any, out: Any) -> Any:
    """``exp(-out)``, the derivative of a logarithm from its output ``out``; for a complex
    ``out`` written ``1 / exp(out)``: at the pole (``out = -inf``) ``exp(inf+0j)`` is the
    real infinity ``inf-0j``, while the derivative has no direction there, and ``1/0j``
    is the complex nan the other ops' rules give at their poles (see :func:`pole_kink`)."""
    return 1.0 / m.exp(out) if is_complex(out) else m.exp(-out)


def real_only(at: Callable[..., Any]) -> Callable[..., Any]:
    """A kink mask ``at`` that compares by order (``x < 0``, ``|x| > 1``), restricted to real
    inputs: on a complex array NumPy orders lexicographically (``-1+5j < 0``), which does
    not locate a complex kink (those are declared by :func:`branch_cut`).

    >>> import numpy as np
    >>> real_only(lambda x: x < 0)(np.array([-1.0, 2.0])), real_only(lambda x: x < 0)(-1 + 5j)
    (array([ True, False]), array(False))
    """

    def mask(x: Any, *rest: Any, **params: Any) -> Any:
        if np.iscomplexobj(x):
            return np.zeros(np.shape(x), dtype=bool)
        return at(x, *rest, **params)

    return mask


def complex_only(at: Callable[..., Any]) -> Callable[..., Any]:
    """A kink mask ``at`` restricted to complex inputs (always False for real ones): the
    points of a complex kink, such as ``z == 0`` of ``sqrt``, whose value differs from the
    real kink's there.

    >>> import numpy as np
    >>> complex_only(lambda x: x == 0)(np.array([0j, 1j])), complex_only(lambda x: x == 0)(0.0)
    (array([ True, False]), array(False))
    """

    def mask(x: Any, *rest: Any, **params: Any) -> Any:
        if not np.iscomplexobj(x):
            return np.zeros(np.shape(x), dtype=bool)
        return at(np.asarray(x), *rest, **params)

    return mask


def axis_cut(axis: str, outside: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The mask of complex ``z`` on a branch cut along the ``"real"`` or ``"imaginary"``
    axis (the other part a zero of either sign), where ``outside(part)`` holds for the
    part along the axis; always False for real inputs.

    >>> import numpy as np
    >>> axis_cut("imaginary", lambda y: np.abs(y) > 1)(np.array([2j, complex(-0.0, -3), 0.5j]))
    array([ True,  True, False])
    """
    along_real = axis == "real"

    def mask(x: Any) -> Any:
        if not np.iscomplexobj(x):
            return np.zeros(np.shape(x), dtype=bool)
        x = np.asarray(x)
        across, along = (x.imag, x.real) if along_real else (x.real, x.imag)
        return (across == 0) & outside(along)

    return mask


def branch_cut(edge: float) -> Callable[[Any], Any]:
    """The mask of complex ``z`` on the branch cut ``(-inf, edge)`` of the real axis (a zero
    imaginary part of either sign); always False for real inputs.

    >>> import numpy as np
    >>> branch_cut(0.0)(np.array([-1 + 0j, -1 + 1e-300j, 2 + 0j, complex(-3, -0.0)]))
    array([ True, False, False,  True])
    """
    return axis_cut("real", lambda re: re < edge)


def complex_kink(where: str, points: Any, grads: Any, note: str, at: Callable[..., Any],
                 pytorch: Any = None, jax: Any = None, rule: int = 4) -> Kink:
    """A kink of a one-input op met by complex inputs only: declared at the complex
    ``points`` (signed zeros matter: give both signs), with ``grads`` the gradients there
    in PyTorch's convention (``conj(f'(z))``, what ``da.real(f(z)).backward()`` leaves in
    ``z.grad``); ``pytorch``/``jax`` the libraries' values (default: ``grads``; a
    :class:`Formula` is evaluated as the derivative ``f'(z)``, as the rules' partial is).
    ``at`` is the mask (made complex-only here)."""
    values = np.asarray(grads, dtype=complex)
    return Kink(where, ((np.asarray(points, dtype=complex),),), (values,), rule, note,
                pytorch=(values if pytorch is None else pytorch,),
                jax=(values if jax is None else jax,), at=complex_only(at))


def pole_kink(name: str, points: Any, where: str, pytorch: Any = np.nan, note: str = "") -> Kink:
    """The complex points ``points`` where the derivative of the holomorphic ``name`` has a
    pole (``sqrt`` and ``log`` at 0, ``arcsin`` at +-1, ``arcsinh`` at +-i): its modulus
    tends to infinity, in no one direction, which one complex number cannot hold: the
    rules give a complex nan there (NumPy's ``1/0j`` is ``nan+nanj``), in both modes.
    ``pytorch``: PyTorch's gradient there (``inf+nanj`` for some ops); ``note`` added to the
    row's note."""
    points = np.asarray(points, dtype=complex)
    nan = np.full(points.shape, complex(np.nan, np.nan))
    torch_values = np.broadcast_to(np.asarray(pytorch, dtype=complex), points.shape).copy()
    return complex_kink(f"complex z, {where}", points, nan,
                        f"the derivative of {name} has a pole: |f'(z)| tends to inf in no one "
                        "direction, so complex nan (the real input's row says inf)" + note,
                        at=lambda x: np.isin(x, points), pytorch=torch_values, jax=nan)


def cut_kink(name: str, edge: float, grads: Any, note: str, pytorch: Any = None,
             jax: Any = None, at: Callable[[Any], Any] | None = None) -> Kink:
    """The branch cut of a holomorphic ``name`` on the real axis below ``edge``, for complex
    inputs (rule 4: the rules use the derivative's limit from the side NumPy takes the
    value from, the sign of the zero imaginary part). Declared at ``edge - 1 + 0j`` and
    ``edge - 4 - 0j``; ``grads`` gives the gradient there in PyTorch's convention
    (``conj(f'(z))``, what ``da.real(f(z)).backward()`` leaves in ``z.grad``), and PyTorch
    and JAX use the same formula (their own conventions aside) unless ``pytorch``/``jax``
    say otherwise (see :func:`complex_kink`); ``at``: the mask, if not the whole cut (its
    poles left to a :func:`pole_kink`)."""
    points = np.array([complex(edge - 1.0, 0.0), complex(edge - 4.0, -0.0)])
    return complex_kink(f"complex z, Im z == 0 and Re z < {edge:g} (the branch cut)", points,
                        grads, note, at=at or branch_cut(edge), pytorch=pytorch, jax=jax)

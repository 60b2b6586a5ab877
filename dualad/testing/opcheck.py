"""The registry checks for one op: fields, VJP, JVP, adjoint, second order, SymPy, kinks.

Every check takes the op and one drawn call ``(arrays, params)`` (see
:func:`dualad.testing.strategies.op_inputs`) and raises :class:`OpCheckError`
naming the op, the check and the inputs when it fails.

Tolerances come from the float64 error of a central difference with step
``EPS = 1e-6``: truncation ``EPS**2 / 6 * |f'''|`` (about 1e-13 on the test
domains) plus rounding ``2**-52 * |f| / EPS`` (about 1e-9 for ``|f| <= 10``).
``ATOL = 1e-6`` and ``RTOL = 1e-5`` leave a margin of about 1000 over that and
are far below any error a wrong rule makes. Identities between two analytic
results (adjoint, mode agreement) are compared at ``EXACT_RTOL = 1e-9``.

>>> import numpy as np
>>> from dualad.registry import get
>>> check_vjp(get("sin"), (np.array([0.5, 1.0]),), {}, seed=0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import numpy as np
import sympy as sp

from .. import forward_ad
from ..autograd import engine
from ..autograd.batched import pull_back_batched
from ..autograd.grad_mode import enable_grad
from ..autograd.node import stand_ins_everywhere
from ..check import forward_jvp, numeric_jacobian, reverse_vjp
from ..registry import LINEAR, NO_SYMPY_FORM, Domain, Kink, Op, apply, batched_rules
from ..tensor import Tensor

EPS = 1e-6
ATOL = 1e-6
RTOL = 1e-5
EXACT_RTOL = 1e-9
SYMPY_RTOL = 1e-9


class OpCheckError(AssertionError):
    """A registry check failed; the message names the op, the check and the inputs."""


def _fail(op: Op, check: str, msg: str, arrays: Any = None, params: Any = None) -> NoReturn:
    detail = ""
    if arrays is not None:
        with np.printoptions(precision=17, threshold=100):
            shown = ", ".join(repr(np.asarray(a)) for a in arrays)
        detail = f"\n  inputs: ({shown})\n  params: {params!r}"
    raise OpCheckError(f"op {op.name!r}: {check} check failed: {msg}{detail}")


def differentiable_inputs(op: Op) -> list[int]:
    """Indices of the inputs that have a reverse rule."""
    return [i for i, r in enumerate(op.vjp) if r is not None] if op.differentiable else []


def _diff_function(op: Op, arrays: tuple, params: dict,
                   create_graph: bool = False) -> tuple[Callable[..., Tensor], list[np.ndarray]]:
    """``op`` as a function of its differentiable inputs only (the rest fixed)."""
    diff = differentiable_inputs(op)

    def fn(*xs: Any) -> Tensor:
        args: list = list(arrays)
        for i, x in zip(diff, xs):
            args[i] = x
        return _real_parts(apply(op, *args, **params))

    return fn, [np.asarray(arrays[i], dtype=np.float64) for i in diff]


def _real_parts(out: Tensor) -> Tensor:
    """A complex output (an FFT of real inputs) as its real parts, then its imaginary
    parts: the real checks compare real numbers (``check_complex`` takes complex inputs)."""
    if out._data.dtype.kind != "c":
        return out
    from ..ops import imag, real, stack

    return stack([real(out), imag(out)])


def _assert_close(op: Op, check: str, analytic: Any, numeric: Any, arrays: tuple, params: dict,
                  what: str, atol: float = ATOL, rtol: float = RTOL) -> None:
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        _fail(op, check, f"{what}: shape {a.shape} but expected {n.shape}", arrays, params)
    err = np.abs(a - n)
    tol = atol + rtol * np.abs(n)
    with np.errstate(invalid="ignore"):
        bad = ~(err <= tol)
    if np.any(bad):
        k = tuple(int(j) for j in np.argwhere(bad)[0]) if bad.ndim else ()
        _fail(op, check, f"{what}: at element {k} analytic {a[k]!r} vs expected {n[k]!r} "
              f"(|difference| {err[k]:.3g} > tolerance {tol[k]:.3g}; {int(bad.sum())} of "
              f"{bad.size} elements differ)", arrays, params)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _skip_derivatives(op: Op) -> bool:
    return not differentiable_inputs(op)


# ------------------------------------------------------------------ fields

def check_fields(op: Op) -> None:
    """Every field is present and well formed."""
    for name in ("forward", "sympy"):
        if not callable(getattr(op, name, None)):
            _fail(op, "fields", f"field {name!r} is missing or not callable")
    if not isinstance(op.domain, Domain):
        _fail(op, "fields", "field 'domain' is missing: give a dualad.registry.Domain")
    for name in ("vjp", "jvp"):
        rules = getattr(op, name, None)
        if not isinstance(rules, tuple) or not rules:
            _fail(op, "fields", f"field {name!r} must be a non-empty tuple, one rule per input")
        for i, r in enumerate(rules):
            if r is not None and r is not LINEAR and not callable(r):
                _fail(op, "fields", f"{name}[{i}] is {r!r}: give a rule, LINEAR or None")
    if op.differentiable and not differentiable_inputs(op):
        _fail(op, "fields", "differentiable=True but every vjp rule is None; declare "
              "differentiable=False for a non-differentiable op")
    for i, (v, j) in enumerate(zip(op.vjp, op.jvp)):
        if op.differentiable and (v is None) != (j is None):
            _fail(op, "fields", f"input {i} has a {'jvp' if v is None else 'vjp'} rule but no "
                  f"{'vjp' if v is None else 'jvp'} rule")
    if not isinstance(op.kinks, tuple) or not all(isinstance(k, Kink) for k in op.kinks):
        _fail(op, "fields", "field 'kinks' must be a tuple of dualad.registry.Kink")
    dom = op.domain
    assert dom is not None  # (checked above)
    if len(dom.ranges) != op.arity:
        _fail(op, "fields", f"domain.ranges has {len(dom.ranges)} entries but the op has "
              f"{op.arity} inputs")
    for i, r in enumerate(dom.ranges):
        if not isinstance(r, tuple) or not r or not all(
                isinstance(iv, tuple) and len(iv) == 2 and all(
                    isinstance(b, (int, float, np.number, np.bool_)) for b in iv)
                and iv[0] <= iv[1] for iv in r):
            _fail(op, "fields", f"domain.ranges[{i}] must be a tuple of (low, high) intervals, "
                  f"got {r!r}")
    if isinstance(dom.shapes, str):
        if dom.shapes != "elementwise":
            _fail(op, "fields", f"domain.shapes is {dom.shapes!r}: use 'elementwise' or a list "
                  "of (input_shapes, params) examples")
    else:
        if not dom.shapes:
            _fail(op, "fields", "domain.shapes is empty: list (input_shapes, params) examples")
        for ex in dom.shapes:
            if len(ex) != 2 or len(ex[0]) != op.arity or not isinstance(ex[1], dict):
                _fail(op, "fields", f"domain.shapes example {ex!r} is not ((one shape per "
                      f"input: {op.arity}), params dict)")
    for k in op.kinks:
        if k.rule not in (1, 2, 3, 4, 5):
            _fail(op, "fields", f"kink {k.where!r} has rule {k.rule}: use 1-5 (DESIGN 5)")
        if len(k.grads) != op.arity or any(len(p) != op.arity for p in k.points):
            _fail(op, "fields", f"kink {k.where!r}: every point and the grads need one entry "
                  f"per input ({op.arity})")


# ----------------------------------------------------------- first order

def check_vjp(op: Op, arrays: tuple, params: dict, seed: int = 0) -> None:
    """(a) reverse mode ``J^T u`` against central differences, for a random ``u``."""
    if _skip_derivatives(op):
        return
    fn, xs = _diff_function(op, arrays, params)
    jacs = numeric_jacobian(fn, xs, EPS)
    out_shape = jacs[0].shape[:jacs[0].ndim - xs[0].ndim]
    u = _rng(seed).standard_normal(out_shape)
    rev = reverse_vjp(fn, xs, list(range(len(xs))), u)
    for i, r, j in zip(differentiable_inputs(op), rev, jacs):
        numeric = np.tensordot(u, j, axes=u.ndim)
        _assert_close(op, "vjp", r, numeric, arrays, params,
                      f"reverse-mode gradient of input {i} vs central differences")


def check_jvp(op: Op, arrays: tuple, params: dict, seed: int = 0) -> None:
    """(b) forward mode ``J v`` (dual numbers) against central differences along ``v``."""
    if _skip_derivatives(op):
        return
    fn, xs = _diff_function(op, arrays, params)
    rng = _rng(seed + 1)
    all_idx = list(range(len(xs)))
    for k, i in enumerate(differentiable_inputs(op)):
        v = rng.standard_normal(xs[k].shape)
        plus, minus = list(xs), list(xs)
        plus[k], minus[k] = xs[k] + EPS * v, xs[k] - EPS * v
        numeric = (_value(fn, plus) - _value(fn, minus)) / (2 * EPS)
        _assert_close(op, "jvp", forward_jvp(fn, xs, all_idx, k, v), numeric, arrays, params,
                      f"forward-mode tangent along a random direction of input {i} vs central "
                      "differences")


def _value(fn: Any, xs: list) -> np.ndarray:
    return np.asarray(fn(*[Tensor(x) for x in xs])._data, dtype=np.float64)


def check_adjoint(op: Op, arrays: tuple, params: dict, seed: int = 0) -> None:
    """(c) ``<J v, u> == <v, J^T u>``: forward and reverse mode agree."""
    if _skip_derivatives(op):
        return
    fn, xs = _diff_function(op, arrays, params)
    rng = _rng(seed + 2)
    out_shape = _value(fn, xs).shape
    u = rng.standard_normal(out_shape)
    all_idx = list(range(len(xs)))
    rev = reverse_vjp(fn, xs, all_idx, u)
    for k, i in enumerate(differentiable_inputs(op)):
        v = rng.standard_normal(xs[k].shape)
        lhs = float(np.vdot(forward_jvp(fn, xs, all_idx, k, v), u))
        rhs = float(np.vdot(v, rev[k]))
        _assert_close(op, "adjoint", lhs, rhs, arrays, params,
                      f"<J v, u> (forward) vs <v, J^T u> (reverse) for input {i}",
                      atol=EXACT_RTOL * (1.0 + np.abs(u).sum() * np.abs(rev[k]).sum()),
                      rtol=EXACT_RTOL)


def check_batched_vjp(op: Op, arrays: tuple, params: dict, seed: int = 0) -> None:
    """(c') the batched raw-array rules (``jacrev`` pulls rows back with them) against
    reverse mode, one random cotangent of the batch at a time."""
    if _skip_derivatives(op) or batched_rules(op) is None:
        return
    fn, xs = _diff_function(op, arrays, params)
    leaves = _leaves(xs)
    with enable_grad():
        out = fn(*leaves)
    u = _rng(seed + 5).standard_normal((3,) + out.shape)
    got = pull_back_batched(out, u, leaves)
    if got is None:
        _fail(op, "batched_vjp", "pull_back_batched declined an op that has batched rules",
              arrays, params)
    all_idx = list(range(len(xs)))
    for b in range(3):
        for i, g, r in zip(differentiable_inputs(op), got, reverse_vjp(fn, xs, all_idx, u[b])):
            _assert_close(op, "batched_vjp", g[b], r, arrays, params,
                          f"batched gradient {b} of input {i} vs reverse mode", atol=1e-12,
                          rtol=EXACT_RTOL)


def check_scalar_path(op: Op, arrays: tuple, params: dict, seed: int = 0) -> None:
    """(c'') an op with a ``scalar_forward``, on 0-d float64 tensors (one element of each
    drawn input): the value is its forward's on 0-d arrays bit for bit, and the gradient
    is the one the same element gets through 1-element arrays (the array path)."""
    if op.hints.scalar_forward is None:
        return
    values = [float(np.asarray(a, dtype=np.float64).reshape(-1)[0]) for a in arrays]
    expected = np.asarray(op.forward(*[np.array(v) for v in values], **params))
    scalars = [Tensor(np.array(v), requires_grad=True) for v in values]
    singles = [Tensor(np.array([v]), requires_grad=True) for v in values]
    with enable_grad():
        out = apply(op, *scalars, **params)
        ones = apply(op, *singles, **params)
    results = [("0-d tensors", out)]
    if len(values) == 2:  # a number as the second operand takes the scalar path too
        results.append(("a 0-d tensor and a number", apply(op, Tensor(np.array(values[0])),
                                                           values[1], **params)))
    for what, got in results:
        data = got._data
        if type(data) is not np.ndarray or data.shape != () or data.dtype != expected.dtype \
                or not np.array_equal(data, expected, equal_nan=True):
            _fail(op, "scalar_path", f"on {what} the value is {data!r}, but the forward on "
                  f"0-d arrays gives {expected!r}", arrays, params)
    if _skip_derivatives(op) or not out.requires_grad:
        return
    diff = differentiable_inputs(op)
    grads = engine.grad(out, [scalars[i] for i in diff], allow_unused=True)
    want = engine.grad(ones.sum(), [singles[i] for i in diff], allow_unused=True)
    for i, g, w in zip(diff, grads, want):
        got_i = np.zeros(()) if g is None else g._data
        want_i = np.zeros((1,)) if w is None else w._data
        _assert_close(op, "scalar_path", got_i, want_i.reshape(()), arrays, params,
                      f"gradient of input {i} on 0-d tensors vs on 1-element arrays",
                      atol=1e-15, rtol=1e-13)


def check_saved_values(op: Op, arrays: tuple, params: dict, seed: int = 0) -> None:
    """(c''') the reverse rules read only the values the op declares (``saves``, ``reads``,
    ``saves_output``): with every array a node keeps only for its shape replaced by a nan
    stand-in (as large ones are), the gradients are the same, from the array rules, the
    Tensor rules (``create_graph``) and the batched rules, for each differentiable input
    alone and for all of them together."""
    if _skip_derivatives(op):
        return
    fn, xs = _diff_function(op, arrays, params)
    u = _rng(seed + 6).standard_normal(_value(fn, xs).shape)
    subsets = [[k] for k in range(len(xs))] + ([list(range(len(xs)))] if len(xs) > 1 else [])
    for subset in subsets:
        for how in ("array rules", "Tensor rules", "batched rules"):
            want = _gradients(fn, xs, subset, u, how)
            with stand_ins_everywhere():
                got = _gradients(fn, xs, subset, u, how)
            for k, g, w in zip(subset, got, want):
                _assert_close(op, "saved_values", g, w, arrays, params,
                              f"gradient of input {differentiable_inputs(op)[k]} by the {how} "
                              f"(inputs {subset} differentiated) with the values a node keeps "
                              "only for their shapes replaced by nan: a rule reads a value "
                              "its op does not declare in saves, reads or saves_output",
                              atol=0.0, rtol=EXACT_RTOL)


# ------------------------------------------------- fast variants (Hints)

def has_array_rules(op: Op) -> bool:
    """Whether ``op`` has reverse rules on raw arrays (its own or batched ones) to check."""
    return op.hints.array_vjp is not None or batched_rules(op) is not None


def has_batched_jvp(op: Op) -> bool:
    """Whether ``op`` pushes batched tangents other than one element at a time: its own
    ``batch_jvp`` rules, or (elementwise) its jvp rules broadcast over the batch axis."""
    return op.hints.batch_jvp is not None or op.elementwise


def check_array_rules(op: Op, arrays: tuple, params: dict, seed: int = 0) -> None:
    """(c'v) the raw-array rules (``Hints.array_vjp``, also derived ones) and the batched
    ones (``Hints.batch_array_vjp``) give the gradients of the Tensor rules (``vjp``, run
    with ``create_graph``), for each differentiable input alone and for all together."""
    if _skip_derivatives(op) or not has_array_rules(op):
        return
    fn, xs = _diff_function(op, arrays, params)
    u = _rng(seed + 7).standard_normal(_value(fn, xs).shape)
    subsets = [[k] for k in range(len(xs))] + ([list(range(len(xs)))] if len(xs) > 1 else [])
    for subset in subsets:
        want = _gradients(fn, xs, subset, u, "Tensor rules")
        for how in ("array rules", "batched rules"):
            for k, g, w in zip(subset, _gradients(fn, xs, subset, u, how), want):
                _assert_close(op, "array_rules", g, w, arrays, params,
                              f"gradient of input {differentiable_inputs(op)[k]} by the {how} "
                              f"vs by the Tensor rules (inputs {subset} differentiated)",
                              atol=1e-12, rtol=EXACT_RTOL)


def check_batched_jvp(op: Op, arrays: tuple, params: dict, seed: int = 0) -> None:
    """(c'vi) batched tangents (a level with ``batch_size``: the op's ``Hints.batch_jvp``
    rules, or its jvp broadcast for an elementwise op) give, for each batch element, the
    tangent that element gets alone, with every differentiable input carrying one."""
    if _skip_derivatives(op) or not has_batched_jvp(op):
        return
    fn, xs = _diff_function(op, arrays, params)
    rng = _rng(seed + 8)
    batch = 3
    vs = [rng.standard_normal((batch,) + x.shape) for x in xs]
    got = _tangent(fn, xs, vs, batch)
    for b in range(batch):
        want = _tangent(fn, xs, [v[b] for v in vs], None)
        _assert_close(op, "batched_jvp", got[b], want, arrays, params,
                      f"tangent {b} of a batch of {batch} vs that tangent pushed alone",
                      atol=1e-12, rtol=EXACT_RTOL)


def _tangent(fn: Any, xs: list, vs: list, batch: int | None) -> np.ndarray:
    """The output's tangent (zeros when there is none) at a level of ``batch`` tangents."""
    with forward_ad.dual_level(batch_size=batch):
        duals = [forward_ad.make_dual(Tensor(x.copy()), Tensor(v)) for x, v in zip(xs, vs)]
        out = fn(*duals)
        tan = forward_ad.unpack_dual(out).tangent
    shape = out.shape if batch is None else (batch,) + out.shape
    return np.zeros(shape) if tan is None else np.broadcast_to(tan._data, shape)


def _gradients(fn: Any, xs: list, subset: list, u: np.ndarray, how: str) -> list:
    """The gradients of ``<u, fn(xs)>`` for the inputs in ``subset`` (the only ones that
    require grad), by the array rules, the Tensor rules or the batched rules."""
    leaves = [Tensor(x.copy(), requires_grad=k in subset) for k, x in enumerate(xs)]
    with enable_grad():
        out = fn(*leaves)
    wrt = [leaves[k] for k in subset]
    if not out.requires_grad:
        return [np.zeros(x.shape) for x in wrt]
    if how == "batched rules":
        got = pull_back_batched(out, u[None], wrt)
        if got is None:  # some node has no batched rule
            return _gradients(fn, xs, subset, u, "array rules")
        return [g[0] for g in got]
    grads = engine.grad(out, wrt, Tensor(u.copy()), create_graph=how == "Tensor rules",
                        allow_unused=True)
    return [np.zeros(x.shape) if g is None else np.asarray(g._data) for g, x in zip(grads, wrt)]


# ---------------------------------------------------------- second order

def _vjp_graph(fn: Any, xs: list[Tensor], u: np.ndarray) -> list[Tensor]:
    """``J^T u`` with ``create_graph=True`` (zeros where an input is unused)."""
    with enable_grad():
        out = fn(*xs)
        if not out.requires_grad:
            return [Tensor(np.zeros(x.shape)) for x in xs]
        grads = engine.grad(out, xs, Tensor(u), create_graph=True, allow_unused=True)
    return [Tensor(np.zeros(x.shape)) if g is None else g for x, g in zip(xs, grads)]


def _leaves(xs: list[np.ndarray]) -> list[Tensor]:
    return [Tensor(x.copy(), requires_grad=True) for x in xs]


def check_second_order(op: Op, arrays: tuple, params: dict, seed: int = 0) -> None:
    """(d) the VJP of the VJP and forward-over-reverse against differences of the gradient.

    With ``s(x) = <J(x)^T u, w>``: reverse-over-reverse ``grad s`` is compared
    with central differences of ``s``; forward-over-reverse ``d/dt J(x+tv)^T u``
    with central differences of the gradient along ``v``; and the two with each
    other (``<M v, w> == <v, M^T w>``).
    """
    if _skip_derivatives(op):
        return
    fn, xs = _diff_function(op, arrays, params)
    rng = _rng(seed + 3)
    u = rng.standard_normal(_value(fn, xs).shape)
    ws = [rng.standard_normal(x.shape) for x in xs]
    vs = [rng.standard_normal(x.shape) for x in xs]
    idx = differentiable_inputs(op)

    def s_value(*ts: Tensor) -> Tensor:
        leaves = [t.detach().requires_grad_() for t in ts]
        g = _vjp_graph(fn, leaves, u)
        return Tensor(np.array(sum(float(np.vdot(gi._data, w)) for gi, w in zip(g, ws))))

    numeric = numeric_jacobian(s_value, xs, EPS)
    leaves = _leaves(xs)
    grads = _vjp_graph(fn, leaves, u)
    s: Tensor | None = None
    for g, w in zip(grads, ws):
        term = (g * Tensor(w)).sum()
        s = term if s is None else s + term
    assert s is not None  # (one term per differentiable input, and there is one)
    rr: Sequence[Tensor | None]
    if s.requires_grad:
        with enable_grad():
            rr = engine.grad(s, leaves, allow_unused=True)
    else:
        rr = [None] * len(leaves)
    rows = [np.zeros(x.shape) if g is None else g._data for x, g in zip(xs, rr)]
    for i, a, n in zip(idx, rows, numeric):
        _assert_close(op, "second order", a, n, arrays, params,
                      f"reverse-over-reverse d<J^T u, w>/dx of input {i} vs central "
                      "differences of the gradient")
    # forward-over-reverse along v (all inputs at once)
    with forward_ad.dual_level():
        duals = [forward_ad.make_dual(t, Tensor(v)) for t, v in zip(_leaves(xs), vs)]
        g_d = _vjp_graph(fn, duals, u)
        tang = []
        for g, x in zip(g_d, xs):
            t = forward_ad.unpack_dual(g).tangent
            tang.append(np.zeros(x.shape) if t is None else
                        np.broadcast_to(t._data, x.shape).astype(np.float64))
    plus = [x + EPS * v for x, v in zip(xs, vs)]
    minus = [x - EPS * v for x, v in zip(xs, vs)]
    g_plus = [g._data for g in _vjp_graph(fn, _leaves(plus), u)]
    g_minus = [g._data for g in _vjp_graph(fn, _leaves(minus), u)]
    for i, a, gp, gm in zip(idx, tang, g_plus, g_minus):
        _assert_close(op, "second order", a, (gp - gm) / (2 * EPS), arrays, params,
                      f"forward-over-reverse tangent of the gradient of input {i} vs central "
                      "differences")
    lhs = float(sum(np.vdot(a, w) for a, w in zip(tang, ws)))
    rhs = float(sum(np.vdot(v, a) for v, a in zip(vs, rows)))
    scale = sum(np.abs(a).sum() * np.abs(w).sum() for a, w in zip(tang, ws)) + 1.0
    _assert_close(op, "second order", lhs, rhs, arrays, params,
                  "<(forward-over-reverse) v, w> vs <v, (reverse-over-reverse) w>",
                  atol=EXACT_RTOL * scale, rtol=EXACT_RTOL)


# ------------------------------------------------------------------ sympy

def _sympy_eval(op: Op, args: list, params: dict) -> np.ndarray:
    """``op.sympy`` on object arrays (elementwise ops: element by element, broadcast)."""
    form = op.sympy
    assert form is not None  # (ops without one are skipped before)
    if op.elementwise:
        b = np.broadcast_arrays(*[np.asarray(a, dtype=object) for a in args])
        out = np.empty(b[0].shape if b else (), dtype=object)
        for m in np.ndindex(out.shape):
            out[m] = form(*[x[m] for x in b], **params)
        return out
    return np.asarray(form(*args, **params), dtype=object)


def _to_sympy(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    out = np.empty(a.shape, dtype=object)
    for m in np.ndindex(a.shape):
        v = a[m]
        out[m] = bool(v) if a.dtype == bool else (sp.Integer(int(v)) if a.dtype.kind in "iu"
                                                    else sp.Float(float(v)))
    return out


def _object_array(x: Any) -> np.ndarray:
    if isinstance(x, np.ndarray):
        return x
    out = np.empty((), dtype=object)
    out[()] = x
    return out


def _numeric(e: Any) -> complex:
    return complex(sp.N(e, 20)) if isinstance(e, sp.Basic) else complex(e)


def _sympy_derivative(op: Op, args: list, params: dict, vs: list, u: np.ndarray) -> complex:
    """``d/dt <u, form(x + t v)>`` at ``t = 0`` by SymPy, ``x`` the inputs ``args`` (object
    arrays) and ``v`` the directions ``vs`` of the differentiable ones."""
    t = sp.Symbol("t", real=True)
    moved = list(args)
    for k, i in enumerate(differentiable_inputs(op)):
        moved[i] = _object_array(args[i] + t * _to_sympy(vs[k]))
    sym_t = _sympy_eval(op, [a if a.ndim else a[()] for a in moved], params)
    scalar = sum((sp.Float(float(c)) * e for c, e in zip(u.ravel(), sym_t.ravel())),
                 sp.Integer(0))
    return _numeric(sp.diff(scalar, t).subs(t, 0))


# SymPy's partial derivatives of an elementwise op's form, per (form, params, values of the
# inputs that are not differentiated): they do not depend on the inputs' shapes or values,
# so SymPy works each out once and every drawn element evaluates it
_PARTIALS: dict[tuple, tuple[list[Any], list[Any]]] = {}


def _sympy_partials(op: Op, params: dict, fixed: tuple, n: int) -> tuple[list[Any], list[Any]]:
    """Symbols for the differentiable inputs of ``op`` (of ``n`` inputs) and SymPy's
    derivative of the op's form with respect to each, the others being ``fixed`` (cached)."""
    key = (op.sympy, tuple(sorted((k, repr(v)) for k, v in params.items())), fixed, n)
    if key not in _PARTIALS:
        idx = differentiable_inputs(op)
        symbols = [sp.Dummy(f"x{i}", real=True) for i in idx]
        given, named = iter(fixed), iter(symbols)
        form = op.sympy
        assert form is not None  # (ops without one are skipped before)
        value = form(*[next(named) if i in idx else next(given) for i in range(n)], **params)
        _PARTIALS[key] = symbols, [sp.diff(value, s) for s in symbols]
    return _PARTIALS[key]


def _sympy_elementwise_derivative(op: Op, args: list, params: dict, vs: list,
                                  u: np.ndarray) -> complex:
    """:func:`_sympy_derivative` of an elementwise op: element by element, the SymPy
    partials (worked out once per op) at the element's inputs, along ``v``, weighted by
    ``u``."""
    idx = differentiable_inputs(op)
    ins = np.broadcast_arrays(*[np.asarray(a, dtype=object) for a in args])
    dirs = [np.broadcast_to(v, ins[0].shape) for v in vs]
    total = 0j
    for m in np.ndindex(ins[0].shape):
        fixed = tuple(a[m] for i, a in enumerate(ins) if i not in idx)
        symbols, partials = _sympy_partials(op, params, fixed, len(ins))
        at = {s: ins[i][m] for s, i in zip(symbols, idx)}
        total += u[m] * sum(float(v[m]) * _numeric(p.subs(at)) for v, p in zip(dirs, partials))
    return total


def check_sympy(op: Op, arrays: tuple, params: dict, seed: int = 0) -> None:
    """(e) the SymPy form at the inputs equals the forward value, and its derivative along a
    random direction equals forward mode's."""
    if not callable(op.sympy):
        _fail(op, "sympy", "field 'sympy' is missing: give the op's SymPy form")
    if op.sympy is NO_SYMPY_FORM:  # declared: SymPy has no form for this op
        return
    args = [_to_sympy(a) for a in arrays]
    with np.errstate(all="ignore"):
        fwd = np.asarray(op.forward(*arrays, **params))
    try:
        sym = _sympy_eval(op, [a if a.ndim else a[()] for a in args], params)
    except Exception as exc:  # noqa: BLE001 - any failure of the user's SymPy form is reported
        _fail(op, "sympy", f"the sympy form raised {type(exc).__name__}: {exc}", arrays, params)
    if sym.shape != fwd.shape:
        _fail(op, "sympy", f"the sympy form has shape {sym.shape} but forward gives "
              f"{fwd.shape}", arrays, params)
    values = np.array([_numeric(e) for e in sym.ravel()]).reshape(sym.shape)
    if fwd.dtype.kind != "c" and np.any(np.abs(values.imag) > 1e-12):
        _fail(op, "sympy", "the sympy form is complex at a real input", arrays, params)
    for part in (np.real, np.imag) if fwd.dtype.kind == "c" else (np.real,):
        _assert_close(op, "sympy", part(values), part(fwd).astype(np.float64), arrays, params,
                      f"sympy form evaluated at the inputs vs forward ({part.__name__})",
                      atol=1e-12, rtol=SYMPY_RTOL)
    if _skip_derivatives(op):
        return
    # derivative: x_i = x0_i + t * v_i, d/dt <u, sympy(x(t))> at t = 0
    rng = _rng(seed + 4)
    fn, xs = _diff_function(op, arrays, params)
    vs = [rng.standard_normal(x.shape) for x in xs]
    u = rng.standard_normal(fwd.shape)
    try:
        deriv = (_sympy_elementwise_derivative if op.elementwise else _sympy_derivative)(
            op, args, params, vs, u)
    except Exception as exc:  # noqa: BLE001
        _fail(op, "sympy", f"the sympy form cannot be differentiated: {type(exc).__name__}: "
              f"{exc}", arrays, params)
    with forward_ad.dual_level():
        duals = [forward_ad.make_dual(Tensor(x.copy(), requires_grad=True), Tensor(v))
                 for x, v in zip(xs, vs)]
        out = fn(*duals)
        tan = forward_ad.unpack_dual(out).tangent
    tan_data = None if tan is None else tan._data
    if tan_data is not None and fwd.dtype.kind == "c":  # (fn gives real, then imaginary parts)
        tan_data = tan_data[0] + 1j * tan_data[1]
    analytic = 0.0 if tan_data is None else complex(np.vdot(u, np.broadcast_to(tan_data,
                                                                              fwd.shape)))
    for part in (np.real, np.imag):  # (the imaginary part: of a complex output)
        _assert_close(op, "sympy", part(analytic), part(deriv), arrays, params,
                      f"forward-mode <u, J v> vs the derivative of the sympy form "
                      f"({part.__name__})", atol=1e-9 * (1.0 + abs(deriv)), rtol=SYMPY_RTOL)


# ------------------------------------------------------------------ kinks

def check_kinks(op: Op) -> None:
    """(f) at every declared kink point both modes return the declared derivative.

    For array points the declared value is the gradient of ``sum(out)``.
    """
    for kink in op.kinks:
        for point in kink.points:
            _check_kink_point(op, kink, point)


def _check_kink_point(op: Op, kink: Kink, point: tuple) -> None:
    arrays = tuple(np.asarray(p, dtype=np.float64) if isinstance(p, (float, int, np.floating))
                   or np.asarray(p).dtype.kind in "fiu" and not isinstance(p, bool)
                   else np.asarray(p) for p in point)
    params = dict(kink.params)
    diff = [i for i in differentiable_inputs(op) if kink.grads[i] is not None]
    where = f"kink {kink.where!r} at {point}"
    with np.errstate(all="ignore"):
        operands: list[Any] = [Tensor(a.copy(), requires_grad=True) if i in diff else a
                               for i, a in enumerate(arrays)]
        out = apply(op, *operands, **params)
        if diff:
            grads = engine.grad(out, [operands[i] for i in diff],
                                Tensor(np.ones(out.shape)), allow_unused=True)
        for i, g in zip(diff, grads if diff else ()):
            got = np.zeros(arrays[i].shape) if g is None else g._data
            _kink_equal(op, where, "reverse", i, got, kink.grads[i], arrays, params)
        for i in diff:
            # a complex input: the gradient Re(J 1) + i Re(J 1j), as the reverse pass gives
            units = (1.0, 1j) if arrays[i].dtype.kind == "c" else (1.0,)
            got = np.zeros(arrays[i].shape, dtype=complex if len(units) == 2 else float)
            for m in np.ndindex(arrays[i].shape):
                for unit in units:
                    with forward_ad.dual_level():
                        # every differentiated input carries a tangent (zero but for the
                        # probed one), except where its declared derivative is not finite:
                        # a zero tangent times an infinite partial is nan, so that input
                        # stays constant
                        duals = [Tensor(a.copy(), requires_grad=True) if j in diff else a
                                 for j, a in enumerate(arrays)]
                        for j in diff:
                            if j == i or np.all(np.isfinite(np.asarray(kink.grads[j]))):
                                tangent = unit * _unit(arrays[j].shape, m) if j == i else \
                                    np.zeros(arrays[j].shape)
                                duals[j] = forward_ad.make_dual(duals[j], Tensor(
                                    tangent.astype(arrays[j].dtype, copy=False)))
                        tan = forward_ad.unpack_dual(apply(op, *duals, **params)).tangent
                        got[m] += unit * (0.0 if tan is None else
                                          float(np.real(np.sum(tan._data))))
            _kink_equal(op, where, "forward", i, got, kink.grads[i], arrays, params)


def _unit(shape: tuple, m: tuple) -> np.ndarray:
    e = np.zeros(shape)
    e[m] = 1.0
    return e


def _kink_equal(op: Op, where: str, mode: str, i: int, got: Any, declared: Any, arrays: tuple,
                params: dict) -> None:
    g, d = np.asarray(got), np.asarray(declared)
    if g.dtype.kind != "c" and d.dtype.kind != "c":  # (complex at a complex kink)
        g, d = g.astype(np.float64), d.astype(np.float64)
    d = np.broadcast_to(d, g.shape)
    same = np.isclose(g, d, rtol=1e-12, atol=1e-12, equal_nan=True) | (g == d)
    if not np.all(same):
        _fail(op, "kinks", f"{where}: {mode} mode gives {g!r} for input {i}, declared "
              f"{d!r}", arrays, params)

"""The op registry: every op is one declarative :class:`Op` entry, and dispatch.

An entry is the op's math: the NumPy forward, the reverse rules (one per
input), the forward rules (one per input), the SymPy form, the kinks and the
test domain. Rules are written with dualad ops, so they can be differentiated
again. An elementwise op need not write its rules: it gives one partial
derivative per input and ``dualad.ops._define.elementwise`` derives them all
(VJP, JVP, raw-array and batched rules) in one place. How an op is run fast
(what a node keeps, rules on raw arrays, batched rules, a scalar forward) is
a separate, optional record, :class:`Hints`; the registry suite checks each
of those against the op's rules.

Rule signatures (``params`` are the op's keyword arguments)::

    vjp[i](g, out, *inputs, **params) -> cotangent for input i
    jvp[i](t, out, *inputs, **params) -> contribution of input i's tangent t

``LINEAR`` as a jvp entry means the op is linear in that input: the tangent
contribution is the op itself with the tangent put in that input's place.

>>> import numpy as np, dualad as da
>>> from dualad.registry import Op, Domain, register_op, apply
>>> cube = register_op(Op(
...     name="my_cube",
...     forward=lambda x: x ** 3,
...     vjp=(lambda g, out, x: g * 3 * x * x,),
...     jvp=(lambda t, out, x: t * 3 * x * x,),
...     sympy=lambda x: x ** 3,
...     domain=Domain(ranges=((-2.0, 2.0),)),
... ))
>>> x = da.tensor(2.0, requires_grad=True)
>>> apply(cube, x).backward(); x.grad
tensor(12.)
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from . import _fastnp as fast
from ._state import census, census_lock, state
from .batched_tensor import BatchedDataError
from .tensor import Tensor, TensorMeta, _wrap, meta_of, own_meta

_float64, _FLOAT64, _ndarray = np.float64, np.dtype(np.float64), np.ndarray
_ref = weakref.ref
_NUMBERS = frozenset({float, int, bool, np.float64})

LINEAR = "linear"
"""Marker for a jvp entry: the op is linear in this input."""


def NO_SYMPY_FORM(*args: Any, **params: Any) -> Any:  # noqa: N802 - a marker, like LINEAR
    """Marker for an op's ``sympy`` field: SymPy has no form for the op (a matrix
    decomposition such as ``eigh`` or ``svd``). The registry suite skips the op's SymPy
    check and the SymPy export refuses a graph holding it; called, it raises."""
    raise ValueError("this op has no SymPy form (SymPy has no closed form for it), so it "
                     "cannot be exported to SymPy")


@dataclass(frozen=True)
class Kink:
    """A nondifferentiable point of an op and the derivative the rules use there.

    ``points`` are input tuples exactly at the kink; ``grads`` the declared
    derivative of the output with respect to each input there (``None`` for a
    non-differentiable input); ``rule`` is the convention of DESIGN section 5
    that gives the value (1 derivative, 2 min-norm subgradient, 3 min-norm
    supergradient, 4 limit by continuity, 5 nan where undefined).
    ``pytorch``/``jax`` give those libraries' values at ``points`` (a number,
    an array like ``grads``, or a callable of the raw inputs). ``at(*inputs,
    **params)`` returns the boolean mask of the elements at this kink; the
    policies and the tracker of ``dualad.nondiff`` use it (rules 2-5).
    """

    where: str
    points: tuple
    grads: tuple
    rule: int
    note: str = ""
    params: dict = field(default_factory=dict)
    pytorch: tuple | None = None
    jax: tuple | None = None
    at: Callable[..., Any] | None = None


@dataclass(frozen=True)
class Domain:
    """Where an op is defined and smooth enough to test.

    ``ranges`` gives, per array input, a tuple of ``(low, high)`` intervals to
    draw values from. ``shapes`` is ``"elementwise"`` (broadcastable shapes)
    or a sequence of ``(input_shapes, params)`` examples. ``valid`` rejects
    draws too close to a kink for finite differences.
    """

    ranges: tuple
    shapes: Any = "elementwise"
    valid: Callable[..., bool] | None = None


@dataclass(frozen=True, slots=True)
class Hints:
    """How an op is run: what a node keeps, and fast variants of its rules.

    An op without hints keeps every input and runs its Tensor rules: right,
    only slower (one thing to declare: rules that read ``out`` need
    ``saves_output=True``, else they get None for it). The registry suite
    checks each hint against the op's own rules (``saved_values``,
    ``scalar_path``, ``array_rules``, ``batched_jvp``), so a hand-written fast
    variant cannot drift from the math.

    Memory (what a recording node keeps for the reverse rules):

    - ``saves``: the input indices any rule reads (None: all of them).
    - ``reads[i]``: the inputs whose values input i's vjp rule reads (each within
      ``saves``); a node then keeps only what the rules of its differentiated
      inputs need, and the data array (for its shape) of the rest. None: a node
      keeps every input in ``saves``.
    - ``saves_output``: the rules read ``out`` (else they get None for it).
    - ``reads_output``: with ``saves_output``, the inputs whose vjp rules read the
      output (None: all); a node keeps a large output only for those.

    Fast paths:

    - ``scalar_forward``: the forward to run when a tensor input is 0-d float64 and
      the other inputs are numbers; such a tensor's data is then passed as a NumPy
      scalar, on which NumPy computes several times faster than on a 0-d array. The
      answer must be the forward's, bit for bit.
    - ``array_vjp``: reverse rules on raw NumPy arrays (one per input, or True: the
      vjp rules themselves work on arrays), run when the backward pass is not
      recorded and the default kink policy holds.
    - ``batch_array_vjp``: rules on raw arrays for a cotangent with a leading batch
      axis (``jacrev`` pulls the rows of a Jacobian back together); an elementwise
      op uses its ``array_vjp`` for this.
    - ``batch_jvp``: forward rules for a tangent with a leading batch axis (a rule may
      return ``NotImplemented``: the dispatch then runs the ordinary rule per element).

    The tables a node reads (``keeps``, ``drops``, ``keep_masks``,
    ``output_readers``) are derived from these when the op is declared
    (:meth:`resolved`), once.

    >>> Hints(saves=(), reads=((),)).resolved("neg", (None,)).keeps
    ((), ())
    """

    saves: tuple | None = None
    reads: tuple | None = None
    saves_output: bool = False
    reads_output: tuple | None = None
    scalar_forward: Callable[..., Any] | None = None
    array_vjp: tuple | bool | None = None
    batch_array_vjp: tuple | None = None
    batch_jvp: tuple | None = None
    # derived by ``resolved`` (not given): for each bit mask of inputs with edges, the inputs a
    # node keeps, does not keep, and the kept ones as a bit mask (None without ``reads``); the
    # bit mask of the inputs whose rules read the output
    keeps: tuple | None = field(default=None, init=False, repr=False, compare=False)
    drops: tuple | None = field(default=None, init=False, repr=False, compare=False)
    keep_masks: tuple | None = field(default=None, init=False, repr=False, compare=False)
    output_readers: int = field(default=0, init=False, repr=False, compare=False)

    def resolved(self, name: str, vjp: tuple) -> Hints:
        """These hints checked against an op's ``vjp`` rules, with the defaults filled in
        (``saves``: every input; ``array_vjp=True``: the vjp rules) and the node's tables
        derived."""
        n = len(vjp)
        saves = tuple(range(n)) if self.saves is None else tuple(self.saves)
        reads = None if self.reads is None else tuple(tuple(r) for r in self.reads)
        if reads is not None and (len(reads) != n or any(set(r) - set(saves) for r in reads)):
            raise ValueError(f"op {name!r}: reads needs one tuple per input, each within saves")
        readers = range(n) if self.reads_output is None else tuple(self.reads_output)
        if any(not 0 <= i < n for i in readers):
            raise ValueError(f"op {name!r}: reads_output holds input indices, each below "
                             f"{n} (the number of vjp rules); got {self.reads_output!r}")
        out = replace(self, saves=saves, reads=reads,
                      array_vjp=vjp if self.array_vjp is True else
                      _per_input(name, "array_vjp", self.array_vjp, n),
                      batch_array_vjp=_per_input(name, "batch_array_vjp", self.batch_array_vjp, n),
                      batch_jvp=_per_input(name, "batch_jvp", self.batch_jvp, n))
        set_ = object.__setattr__  # the derived fields of a frozen record: set here only
        set_(out, "output_readers", sum(1 << i for i in readers) if self.saves_output else 0)
        if reads is not None:
            keeps = tuple(tuple(sorted({j for i in range(n) if mask >> i & 1 for j in reads[i]}))
                          for mask in range(1 << n))
            set_(out, "keeps", keeps)
            set_(out, "drops", tuple(tuple(j for j in range(n) if j not in keep)
                                     for keep in keeps))
            set_(out, "keep_masks", tuple(sum(1 << j for j in keep) for keep in keeps))
        return out


def _per_input(name: str, field_name: str, rules: Any, n: int) -> tuple | None:
    """``rules`` as a tuple of one rule (or None) per input, or None; else ValueError."""
    if rules is None:
        return None
    if isinstance(rules, bool) or len(tuple(rules)) != n:
        raise ValueError(f"op {name!r}: {field_name} needs one rule (or None) per input, {n} in "
                         "all, like vjp (array_vjp may also be True: the vjp rules work on "
                         "arrays)")
    return tuple(rules)


_NO_HINTS = Hints()


@dataclass(eq=False)
class Op:
    """One op, declared as math: its forward, one rule per input, SymPy form, kinks, domain.

    ``hints`` (:class:`Hints`, optional) says what a node keeps and how to run it fast.
    """

    name: str
    forward: Callable[..., Any]
    vjp: tuple
    jvp: tuple
    sympy: Callable[..., Any] | None
    domain: Domain | None
    kinks: tuple = ()
    elementwise: bool = False
    differentiable: bool = True
    doc: str = ""
    node_name: str = ""
    # An estimate for the SymPy export's size guard: terms per element of the sympy form's
    # output, from (input shapes, output shape, params). None: the number of inputs for
    # elementwise ops; for others every input element (each output may depend on all).
    sympy_terms: Callable[..., float] | None = None
    hints: Hints = _NO_HINTS
    # Its rules follow PyTorch's convention for complex inputs (docs/complex-numbers.md);
    # the registry suite then draws complex inputs for it.
    accepts_complex: bool = False

    def __post_init__(self) -> None:
        if not self.node_name:
            camel = "".join(p[:1].upper() + p[1:] for p in self.name.split("_"))
            self.node_name = f"{camel}Backward0"
        self.vjp = tuple(self.vjp)
        self.jvp = tuple(self.jvp)
        if len(self.vjp) != len(self.jvp):
            raise ValueError(f"op {self.name!r}: vjp has {len(self.vjp)} rules but jvp has "
                             f"{len(self.jvp)}; give one of each per input (None where the "
                             "input is not differentiable)")
        if not isinstance(self.hints, Hints):
            raise TypeError(f"op {self.name!r}: hints must be a dualad.registry.Hints, got "
                            f"{type(self.hints).__name__}")
        self.hints = self.hints.resolved(self.name, self.vjp)

    @property
    def arity(self) -> int:
        return len(self.vjp)

    def __repr__(self) -> str:
        return f"<dualad op {self.name}>"


_REGISTRY: dict[str, Op] = {}


def register_op(op: Op, *, replace: bool = False) -> Op:
    """Add an op to the registry (``replace=True`` to redefine one); returns the op."""
    if not isinstance(op, Op):
        raise TypeError(f"register_op expects a dualad.registry.Op, got {type(op).__name__}")
    if op.name in _REGISTRY and not replace:
        raise ValueError(f"an op named {op.name!r} is already registered; pass replace=True "
                         "to redefine it")
    missing = [f for f in ("forward", "sympy", "domain") if getattr(op, f) is None]
    if op.differentiable and missing:
        raise ValueError(f"op {op.name!r} is missing the field(s) {', '.join(missing)}; every "
                         "registered op needs forward, vjp, jvp, sympy, kinks and domain")
    _REGISTRY[op.name] = op
    return op


def get(name: str) -> Op:
    """The registered op called ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        close = [n for n in _REGISTRY if n.startswith(name[:3])]
        hint = f" (did you mean {', '.join(sorted(close)[:5])}?)" if close else ""
        raise KeyError(f"no op named {name!r} is registered{hint}") from None


def ops() -> list[Op]:
    """All registered ops, sorted by name."""
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


# ------------------------------------------------------------------- hooks
# Dispatch records graph nodes and reports kinks, but the node type and the kink observer
# live in higher layers (dualad.autograd, dualad.nondiff), which this module never imports:
# each fills its hook point when it is imported, through the setter below.

def _no_observer(op: Op, datas: list, params: dict, out: Tensor) -> None:
    """The kink observer until dualad.nondiff installs its own."""


OpNode: Any = None
"""Hook: the graph node type ``apply`` records (``dualad.autograd.node.OpNode``): called
with no arguments, then ``node.record(op, args, params, out, datas, out_data)``."""

kink_observer: Callable[[Op, list, dict, Tensor], None] = _no_observer
"""Hook: called by ``apply`` as ``kink_observer(op, datas, params, out)`` after an op with
kinks ran while a kink tracker or policy ``"raise"`` is active (``dualad.nondiff``)."""


def set_node_type(node_type: Any) -> None:
    """Fill the hook :data:`OpNode` (done by ``dualad.autograd.node`` at import)."""
    global OpNode
    OpNode = node_type


def _no_batch_dispatch(op: Op, args: tuple, params: dict) -> Tensor:
    raise RuntimeError("vmap's batching rules are not loaded (import dualad.ops)")


batch_dispatch: Callable[[Op, tuple, dict], Tensor] = _no_batch_dispatch
"""Runs an op on vmap's BatchedTensors (``dualad.ops.vmap_rules.dispatch``, set at import)."""


def set_batch_dispatch(dispatch: Callable[[Op, tuple, dict], Tensor]) -> None:
    """Fill the hook :data:`batch_dispatch` (done by ``dualad.ops.vmap_rules`` at import)."""
    global batch_dispatch
    batch_dispatch = dispatch


def set_kink_observer(observer: Callable[[Op, list, dict, Tensor], None]) -> None:
    """Fill the hook :data:`kink_observer` (done by ``dualad.nondiff`` at import)."""
    global kink_observer
    kink_observer = observer


# ---------------------------------------------------------------- dispatch

def _shape_error(name: str, message: str, datas: list) -> str:
    """NumPy's shape error with the op's name and the input shapes, each said once.

    (NumPy's gufuncs such as matmul already start their message with their name.)
    """
    if message.startswith(f"{name}: "):
        message = message[len(name) + 2:]
    shapes = ", ".join(str(np.shape(d)) for d in datas)
    return f"{name}: {message.strip()} (input shapes: {shapes})"


def apply(op: Op, *args: Any, **params: Any) -> Tensor:
    """Run ``op`` on ``args``: the forward on raw arrays, then record and push tangents."""
    datas = []
    needs_grad = False
    dual = False
    scalar = False  # some 0-d float64 tensor's data was passed as a NumPy scalar
    numbers = True  # every other argument is a number
    try:
        for a in args:
            if isinstance(a, Tensor):
                d = a._data  # a vmap BatchedTensor raises here: its op runs on the whole batch
                if not d.ndim and d.dtype is _FLOAT64 and op.hints.scalar_forward is not None:
                    d = d[()]  # see Hints.scalar_forward
                    scalar = True
                datas.append(d)
                if a.requires_grad_flag:
                    needs_grad = True
                if a._tangents is not None:
                    dual = True
            else:
                datas.append(a)
                if type(a) not in _NUMBERS:  # a list, say: scalar_forward may not take it
                    numbers = False
                    if isinstance(a, (tuple, list)) and any(isinstance(e, Tensor) for e in a):
                        raise TypeError(_tensors_in_sequence(op.name, a))
    except BatchedDataError:
        return batch_dispatch(op, args, params)
    if dual and state.levels:
        return _apply_dual(op, args, params)
    try:
        # (``scalar`` implies a scalar_forward: see the loop above)
        forward: Callable[..., Any] = op.hints.scalar_forward if scalar and numbers \
            else op.forward  # type: ignore[assignment]
        out_data = forward(*datas, **params) if params else forward(*datas)
    except ValueError as exc:
        if "broadcast" in str(exc) or "shape" in str(exc) or "mismatch" in str(exc):
            raise ValueError(_shape_error(op.name, str(exc), datas)) from None
        raise
    out = _wrap(out_data)
    if type(out_data) is _ndarray and (out_data.base is not None
                                       or (datas and out_data is datas[0])):
        note_view(op, out, args, params)  # the output may be a view of an input's storage
    if needs_grad and (not census.grad_off or state.grad_enabled) and op.differentiable:
        # record the reverse node (inlined: hot path) for a float or complex output; a float64
        # scalar from the forward stands for the output's data (see Hints.scalar_forward)
        scalar_out = type(out_data) is _float64
        if scalar_out or out._data.dtype.kind in "fc":
            if not scalar_out and out._data.dtype.kind == "c" and not op.accepts_complex:
                raise TypeError(_no_complex(op))
            node = out.grad_fn = OpNode()
            node.record(op, args, params, out, datas, out_data if scalar_out else out._data)
            out.requires_grad_flag = True
    if op.kinks and census.policy and (state.kink_trackers or state.kink_policy == "raise"):
        kink_observer(op, datas, params, out)
    return out


def _no_complex(op: Op) -> str:
    """The error for differentiating an op whose rules do not handle complex numbers."""
    return (f"{op.name}: its derivative is not defined for complex inputs in dualad (the op "
            "is not marked accepts_complex), so differentiating it would give a wrong "
            "answer; see docs/complex-numbers.md for the ops that accept complex numbers, or "
            "work on da.real(z) and da.imag(z)")


def _tensors_in_sequence(name: str, seq: tuple | list) -> str:
    """The error for a tuple or list of Tensors given where one operand goes (NumPy would
    turn it into an array, silently dropping the Tensors' gradients and tangents)."""
    return (f"{name}: an operand is a {type(seq).__name__} of {len(seq)} values containing "
            "Tensors, not a Tensor; converting it would drop their gradients and tangents. "
            "Pick the Tensor you mean (e.g. "
            "the .values of a (values, indices) result of max/min) or combine them with "
            "dualad.stack")


def _apply_dual(op: Op, args: tuple, params: dict) -> Tensor:
    """Forward mode: handle the innermost level with tangents, recursively for the others."""
    active = state.levels
    level = None
    for a in args:
        if isinstance(a, Tensor) and a._tangents is not None:
            for lv in a._tangents:
                if lv in active and (level is None or lv > level):
                    level = lv
    if level is None:
        return apply(op, *[strip_tangents(a) if isinstance(a, Tensor) else a for a in args],
                     **params)
    primals = list(args)  # a loop, not a comprehension: no closure cell for level
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            primals[i] = strip_level(a, level)
    out = apply(op, *primals, **params)
    if out._meta is not None and out._meta.view_of is not None:
        note_view(op, out, args, params)  # a view of the caller's tensor, not of a primal
    if not op.differentiable:
        return out
    if out._data.dtype.kind == "c" and not op.accepts_complex:
        raise TypeError(_no_complex(op))
    if out.grad_fn is not None and hasattr(out.grad_fn, "resave"):
        out.grad_fn.resave(args)  # backward rules must see the duals (forward-over-reverse)
    batch = state.level_batch.get(level) if state.level_batch else None
    tangent = None
    outer_marked = state.tangent_inputs  # rules ask which inputs are differentiated here
    state.tangent_inputs = tuple(p for p, a in zip(primals, args) if p is not a)
    try:
        for i, a in enumerate(args):
            t = a._tangents.get(level) if isinstance(a, Tensor) and a._tangents else None
            if t is None or op.jvp[i] is None:
                continue
            if batch is None:
                contrib = _contribution(op, i, t, out, primals, params)
            else:
                contrib = _batched_contribution(op, i, t, out, primals, params, batch)
            if contrib is None:
                continue
            tangent = contrib if tangent is None else tangent + contrib
    finally:
        state.tangent_inputs = outer_marked
    if tangent is not None:
        shape = out._data.shape if batch is None else (batch,) + out._data.shape
        tangent = fit_to(tangent, shape, out._data.dtype)
        tangents = dict(out._tangents) if out._tangents else {}
        tangents[level] = tangent
        out._tangents = tangents
        if out.grad_fn is not None and hasattr(out.grad_fn, "out_tangents"):
            out.grad_fn.out_tangents = tangents
    return out


def _contribution(op: Op, i: int, t: Tensor, out: Tensor, primals: list, params: dict) -> Any:
    """The tangent contribution of input ``i`` by the op's jvp rule."""
    rule = op.jvp[i]
    if rule is LINEAR:
        return apply(op, *primals[:i], t, *primals[i + 1:], **params)
    return rule(t, out, *primals, **params)


def _batched_contribution(op: Op, i: int, t: Tensor, out: Tensor, primals: list,
                          params: dict, batch: int) -> Any:
    """Input ``i``'s contribution when ``t`` has a leading batch axis of size ``batch``.

    Elementwise rules broadcast over it once ``t`` is padded to the output's
    rank; other ops use their ``batch_jvp`` rule; an op without one (or whose
    rule returns ``NotImplemented`` for these arguments) runs its ordinary
    rule once per batch element, so the answer is always right.
    """
    if op.elementwise:
        return _contribution(op, i, pad_batched(t, out._data.ndim), out, primals, params)
    rules = op.hints.batch_jvp
    if rules is not None and rules[i] is not None:
        contrib = rules[i](t, out, *primals, **params)
        if contrib is not NotImplemented:
            return contrib
    parts = [_contribution(op, i, apply(_REGISTRY["getitem"], t, index=b), out, primals, params)
             for b in range(batch)]
    return stack_batch(parts, out._data.shape, out._data.dtype)


def stack_batch(parts: list, shape: tuple, dtype: np.dtype) -> Tensor | None:
    """Stack per-element tangents (each fitted to ``shape``; None is zero) on a new axis 0."""
    total = None
    for b, c in enumerate(parts):
        if c is None:
            continue
        c = apply(_REGISTRY["index_add"], fit_to(c, shape, dtype), index=b,
                  shape=(len(parts),) + tuple(shape))
        total = c if total is None else total + c
    return total


def pad_batched(t: Tensor, ndim: int) -> Tensor:
    """A batched tangent ``(B,) + S`` reshaped to rank ``1 + ndim`` by inserting unit axes."""
    extra = ndim + 1 - t._data.ndim
    if extra <= 0:
        return t
    shape = t._data.shape
    return apply(_REGISTRY["reshape"], t, shape=shape[:1] + (1,) * extra + shape[1:])


# ------------------------------------------------------------------- views
# A view shares its base's storage and version counter (as in PyTorch). It remembers its
# root (the tensor whose storage it views, itself no view) and the chain of view ops that
# made it from the root; the counter keeps weak references to the views. When an in-place
# op rewrites the root's history (or its tangents), every live view is made again from the
# root (:func:`rebase_views`), so its gradient and tangent follow the new values.

def note_view(op: Op, out: Tensor, args: tuple, params: dict) -> None:
    """If ``out``'s data is (a view of) a tensor input's storage, make ``out`` a view of it:
    share its version counter and remember how it was made."""
    data = out._data
    base = data.base
    i = 0
    for a in args:  # the input whose storage the output views (or is)
        if isinstance(a, Tensor):
            d = a._data
            if data is d or (base is not None and (base is d or base is d.base)):
                break
        i += 1
    else:
        return
    vc = a._vc if a._vc is not None else a._version_counter()
    meta = a._meta
    parent = None if meta is None else meta.view_of
    if parent is None:
        root, chain, fixed = a, (), None
    else:
        root, chain, fixed = parent
    if fixed is None and census.grad_off and not state.grad_enabled:
        fixed = "no_grad"
    view = (root, None if chain is None else chain + ((op, args, i, params),), fixed)
    out._vc = vc
    meta = out._meta
    if meta is None:
        out._meta = TensorMeta(view)  # (view_of)
    else:
        known = meta.view_of is not None  # (noted again by _apply_dual: registered already)
        meta.view_of = view
        if known:
            return
    views = vc.views
    if views is None:
        vc.views = [_ref(out)]
        return
    n = len(views)
    if n >= 16 and not n & (n - 1):  # at 16, 32, 64... views: drop the dead ones
        _prune(views)
    views.append(_ref(out))


def _prune(views: list) -> None:
    """Delete the dead references from ``views`` in place (under a lock: another thread may
    append meanwhile, and no reference of a live view may be lost)."""
    with census_lock:
        for k in range(len(views) - 1, -1, -1):
            if views[k]() is None:
                del views[k]


def _remake(root: Tensor, chain: tuple) -> Tensor:
    """The view ``chain`` leads to, made again from ``root``."""
    t = root
    for op, args, i, params in chain:
        t = apply(op, *args[:i], t, *args[i + 1:], **params)
    return t


def note_fixed_view(out: Tensor, base: Tensor, why: str) -> None:
    """Make ``out`` a view of ``base``'s storage that cannot be made again from it (``why``:
    the name of the custom Function that returned it)."""
    vc = base._version_counter()
    parent = meta_of(base).view_of
    root = base if parent is None else parent[0]
    known = meta_of(out).view_of is not None and out._vc is vc
    out._vc = vc
    own_meta(out).view_of = (root, None, why)
    if not known:
        if vc.views is None:
            vc.views = []
        vc.views.append(_ref(out))


def _view_of(v: Tensor) -> tuple:
    """How the view ``v`` was made: (its root, the chain of view ops from the root or None,
    why it cannot be made again or None)."""
    record = meta_of(v).view_of
    assert record is not None  # (every tensor in a version counter's views is a view)
    return record


def _live_views(t: Tensor) -> list:
    """The live views of ``t`` (whose root is ``t``)."""
    vc = t._vc
    views = None if vc is None else vc.views
    found = []
    for ref in views or ():
        v = ref()
        if v is not None and _view_of(v)[0] is t:
            found.append(v)
    return found


def check_fixed_views(t: Tensor) -> None:
    """Raise if ``t`` has a live view that a recorded in-place op on ``t`` cannot give the new
    history: one taken under no_grad, or one returned by a custom Function (PyTorch forbids
    both too)."""
    for v in _live_views(t):
        why = _view_of(v)[2]
        if why == "no_grad":
            raise RuntimeError(
                "A view was taken of this tensor in no_grad mode, and the tensor is being "
                "modified in place with grad mode enabled (recorded). Whether the view should "
                "follow the change is ambiguous, so this is an error (as in PyTorch): take the "
                "view and do the in-place op both inside no_grad (not recorded) or both "
                "outside it, or take the view again after the in-place op.")
        if why is not None:
            raise RuntimeError(
                f"The custom Function {why} returned a view of this tensor (an input returned "
                "as it is, or a view of it), and the tensor is being modified in place with "
                "grad mode enabled (recorded): that view's custom gradient would be stale, so "
                "this is an error (as in PyTorch). Return a clone from the Function's forward, "
                "or drop that view before the in-place op.")


def rebase_views(t: Tensor, history: bool) -> None:
    """After an in-place op on ``t`` changed its history (``history``) or its tangents: give
    each live view of ``t`` the history and tangents of the same view taken now."""
    vc = t._vc
    views = None if vc is None else vc.views
    if not views:
        return
    for ref in list(views):
        v = ref()
        if v is None:
            continue
        root, chain, _ = _view_of(v)
        if root is not t or chain is None or not np.may_share_memory(v._data, t._data):
            continue  # (another tensor's view; one made by a custom Function; t.data replaced)
        new = _remake(t, chain)
        if history:
            old_fn, v.grad_fn = v.grad_fn, new.grad_fn
            v.requires_grad_flag = new.requires_grad_flag
            if meta_of(v).retains_grad:
                move_retain(v, old_fn)  # retain_grad() holds on (as in PyTorch)
        v._tangents = new._tangents
    _prune(views)  # (the views made again above are gone already)


def move_retain(t: Tensor, old_fn: Any) -> None:
    """``t.retain_grad()`` moves from ``old_fn`` to ``t``'s new node: the gradient retained
    is the one of t's new value (uses of the old value no longer add to it)."""
    extras = None if old_fn is None else old_fn._extras
    if extras is not None and extras.retained:
        extras.retained[:] = [(n, ref) for n, ref in extras.retained if ref() is not t]
    if t.grad_fn is not None:
        t.grad_fn._retain(t)


def alias(t: Tensor, tangents: dict | None) -> Tensor:
    """A tensor sharing ``t``'s data, version and gradient edge, with other tangents."""
    out = _wrap(t._data)
    out.requires_grad_flag = t.requires_grad_flag
    out.grad_fn = t.grad_fn
    out._vc = t._version_counter()
    out._tangents = tangents or None
    meta = t._meta
    if t.grad_fn is None and t.requires_grad_flag:
        leaf = t if meta is None or meta.alias_of is None else meta.alias_of
        out._meta = TensorMeta(None, leaf)  # (alias_of)
    elif meta is not None and meta.output_nr:  # output 1 of a custom Function
        out._meta = TensorMeta(output_nr=meta.output_nr)
    return out


def strip_level(t: Tensor, level: int) -> Tensor:
    """``t`` seen as a constant at dual level ``level`` (other levels' tangents kept)."""
    if not t._tangents or level not in t._tangents:
        return t
    rest = dict(t._tangents)  # not a comprehension: no closure cell for level on each call
    del rest[level]
    return alias(t, rest)


def strip_tangents(t: Tensor) -> Tensor:
    return alias(t, None) if t._tangents else t


def fit_to(x: Any, shape: tuple, dtype: np.dtype) -> Tensor:
    """Sum ``x`` over broadcast axes, or broadcast it, to ``shape``; cast to ``dtype``.

    The single place where broadcasting is undone, for cotangents and tangents.
    """
    if not isinstance(x, Tensor):
        x = _wrap(np.asarray(x, dtype=dtype))
    xs = x._data.shape
    if xs != shape:
        if len(xs) > len(shape) or any(a != b and b == 1 for a, b in
                                       zip(reversed(xs), reversed(shape))):
            x = apply(_REGISTRY["sum_to"], x, shape=shape)
        if x._data.shape != shape:
            x = apply(_REGISTRY["broadcast_to"], x, shape=shape)
    if x._data.dtype != dtype and np.issubdtype(dtype, np.inexact):
        x = apply(_REGISTRY["astype"], x, dtype=dtype)
    return x


def _broadcast_axes(have: tuple, shape: tuple, lead: int) -> tuple:
    """The axes of an array of shape ``have`` that broadcasting to ``shape`` added or
    stretched (``lead``: how many leading axes ``have`` has in excess)."""
    return tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and have[lead + i] != 1)


def fit_array_to(x: Any, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """:func:`fit_to` for a raw array (a cotangent from rules run on arrays, not recorded)."""
    x = np.asarray(x)
    if x.shape != shape:
        lead = x.ndim - len(shape)
        if lead < 0:
            x = x.reshape((1,) * -lead + x.shape)
            lead = 0
        axes = _broadcast_axes(x.shape, shape, lead)
        if axes:
            x = fast.sum(x, axes, True)
            x = x.reshape(x.shape[lead:])
        if x.shape != shape:
            x = fast.broadcast_to(x, shape)
    if x.dtype != dtype and np.issubdtype(dtype, np.inexact):
        # a real input's share of a complex cotangent is its real part (PyTorch); a
        # complex64 input's share of a complex128 one keeps its imaginary part
        x = (x.real if x.dtype.kind == "c" and dtype.kind != "c" else x).astype(dtype)
    return x


def fit_batched_array_to(x: Any, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """:func:`fit_array_to` for a batch: ``x`` has a leading batch axis that is kept."""
    x = np.asarray(x)
    batch = x.shape[0]
    if x.shape[1:] == shape and x.dtype == dtype:
        return x
    # with the batch axis moved last, the trailing-axis alignment of broadcasting still holds
    fitted = fit_array_to(np.moveaxis(x, 0, -1), tuple(shape) + (batch,), dtype)
    return np.moveaxis(fitted, -1, 0)


def batched_rules(op: Op) -> tuple | None:
    """The op's reverse rules for batched raw cotangents, or None if it has none."""
    if op.hints.batch_array_vjp is not None:
        return op.hints.batch_array_vjp
    # (resolved hints: array_vjp=True became the vjp rules)
    return op.hints.array_vjp if op.elementwise else None  # type: ignore[return-value]


def call(name: str, *args: Any, **params: Any) -> Tensor:
    """Apply the registered op ``name`` (convenience for rules of other ops)."""
    return apply(_REGISTRY[name], *args, **params)


def unary_ops(names: Sequence[str]) -> list[Op]:
    return [_REGISTRY[n] for n in names]

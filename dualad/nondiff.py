"""Nondifferentiable points: the conventions, the policy that picks them, and a tracker.

Every op declares its kinks in the registry (``registry.Kink``): where, the
value its rules use there, and which of the ordered rules of DESIGN section 5
gives it. This module knows no op: it reads those declarations.

* :func:`conventions` lists them all (with PyTorch's and JAX's values);
  :func:`conventions_markdown` renders the table of docs/nondifferentiable.md.
* :class:`policy` picks the value used at a kink, thread-locally:
  ``"subgradient"`` (default), ``"raise"``, ``"nan"``, ``"pytorch"``, ``"jax"``.
* :class:`track` records every kink a computation hits, in forward, JVP and
  backward.
* :class:`strong_zero` makes a zero cotangent or tangent annihilate an
  infinite or nan partial derivative (the ``where(x > 0, log(x), 0)`` trap).

>>> import dualad as da
>>> x = da.tensor([0.0, 2.0], requires_grad=True)
>>> with da.nondiff.track() as hits, da.nondiff.policy("jax"):
...     da.abs(x).sum().backward()
>>> x.grad
tensor([1., 1.])
>>> hits.count("abs", mode="backward")
1
"""

from __future__ import annotations

import os
import sys
import warnings
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any

import numpy as np

from . import registry
from ._state import state
from .tensor import Tensor

POLICIES = ("subgradient", "raise", "nan", "pytorch", "jax")
RULES = {
    1: "derivative",
    2: "min-norm subgradient (convex)",
    3: "min-norm supergradient (concave)",
    4: "limit by continuity",
    5: "undefined: nan",
}
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_KEEP = object()  # a policy value meaning "what the rule computes" (the dualad convention)
_LOCATIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # node -> "file:line"

TABLE_BEGIN = "<!-- BEGIN GENERATED TABLE: dualad.nondiff.conventions_markdown() -->"
TABLE_END = "<!-- END GENERATED TABLE -->"


class KinkError(ArithmeticError):
    """Raised under ``policy("raise")`` when a derivative is taken at a kink."""


class KinkWarning(RuntimeWarning):
    """Issued by ``track(warn=True)``, once per op."""


# ------------------------------------------------------------------ policies

class policy:
    """Set the kink policy (thread-local); as a context manager, restore it on exit.

    >>> import dualad as da
    >>> x = da.tensor(0.0, requires_grad=True)
    >>> with da.nondiff.policy("nan"):
    ...     da.relu(x).backward()
    >>> x.grad
    tensor(nan)
    >>> da.nondiff.get_policy()
    'subgradient'
    """

    def __init__(self, name: str) -> None:
        if name not in POLICIES:
            raise ValueError(f"unknown kink policy {name!r}; choose one of "
                             f"{', '.join(repr(p) for p in POLICIES)}")
        self.name = name
        self.previous = state.kink_policy
        state.kink_policy = name

    def __enter__(self) -> policy:
        return self

    def __exit__(self, *exc: Any) -> None:
        state.kink_policy = self.previous


def get_policy() -> str:
    """The kink policy in force in this thread."""
    return state.kink_policy


class strong_zero:
    """Let a zero cotangent or tangent annihilate inf/nan partials (thread-local).

    Setter and context manager, like :class:`policy`.

    >>> import dualad as da
    >>> x = da.tensor(0.0, requires_grad=True)
    >>> with da.nondiff.strong_zero():
    ...     da.where(x > 0, da.log(x), 0.0).backward()
    >>> x.grad
    tensor(0.)
    """

    def __init__(self, enabled: bool = True) -> None:
        self.previous = state.strong_zero
        state.strong_zero = bool(enabled)

    def __enter__(self) -> strong_zero:
        return self

    def __exit__(self, *exc: Any) -> None:
        state.strong_zero = self.previous


# --------------------------------------------------------------- conventions

@dataclass(frozen=True)
class Convention:
    """One row of the conventions table: a kink of one op."""

    op: str
    where: str
    value: tuple
    rule: int
    rule_text: str
    note: str
    pytorch: tuple | None
    jax: tuple | None
    points: tuple
    params: dict


def conventions() -> list[Convention]:
    """Every declared kink of every registered op, in op-name order.

    >>> import dualad as da
    >>> row = next(c for c in da.nondiff.conventions() if c.op == "relu")
    >>> row.value, row.rule, row.pytorch, row.jax
    ((0.0,), 2, (0.0,), (0.0,))
    """
    return [Convention(op.name, k.where, tuple(k.grads), k.rule, RULES.get(k.rule, "?"),
                       k.note, k.pytorch, k.jax, k.points, dict(k.params))
            for op in registry.ops() for k in op.kinks]


def _numbers(v: Any) -> np.ndarray:
    """``v`` as an array of floats, or of complex numbers when it has any."""
    a = np.asarray(v)
    return a if a.dtype.kind == "c" else a.astype(float)


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if callable(v):
        return repr(v)
    a = _numbers(v)
    if a.ndim:
        return "[" + ", ".join(_fmt(e) for e in a.ravel()) + "]"
    if a.dtype.kind == "c":
        z = complex(a)
        return f"{z.real + 0.0:g}{z.imag + 0.0:+g}j"  # (+ 0.0: no -0)
    f = float(a)
    if np.isnan(f):
        return "nan"
    if np.isinf(f):
        return "inf" if f > 0 else "-inf"
    return f"{f:g}"


def _fmt_tuple(values: tuple | None) -> str:
    if values is None:
        return "?"
    return ", ".join(_fmt(v) for v in values)


def _same(a: tuple | None, b: tuple) -> bool:
    if a is None:
        return False
    for x, y in zip(a, b):
        if callable(x) or callable(y):
            return False
        if not np.array_equal(_numbers(x), _numbers(y), equal_nan=True):
            return False
    return True


def conventions_markdown() -> str:
    """The conventions table as Markdown (one row per kink; differences in bold)."""
    lines = ["| op | where | params | dualad | rule | PyTorch | JAX | note |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for c in conventions():
        params = ", ".join(f"{k}={v!r}" for k, v in c.params.items()) or "-"
        torch_ = _fmt_tuple(c.pytorch)
        jax_ = _fmt_tuple(c.jax)
        if not _same(c.pytorch, c.value):
            torch_ = f"**{torch_}**"
        if not _same(c.jax, c.value):
            jax_ = f"**{jax_}**"
        cells = [f"`{c.op}`", c.where, params, _fmt_tuple(c.value), f"{c.rule} ({c.rule_text})",
                 torch_, jax_, c.note]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def render_page(text: str) -> str:
    """``text`` (a docs page) with its generated table section replaced by the current one."""
    try:
        head, rest = text.split(TABLE_BEGIN, 1)
        _, tail = rest.split(TABLE_END, 1)
    except ValueError:
        raise ValueError(f"the page has no generated-table markers; add the lines {TABLE_BEGIN!r}"
                         f" and {TABLE_END!r} where the table goes") from None
    return f"{head}{TABLE_BEGIN}\n{conventions_markdown()}{TABLE_END}{tail}"


def write_docs(path: str = "docs/nondifferentiable.md") -> None:
    """Regenerate the conventions table inside the docs page at ``path``."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    new = render_page(text)
    if new != text:
        with open(path, "w", encoding="utf-8") as f:
            f.write(new)


# ------------------------------------------------------------------ tracking

@dataclass(frozen=True)
class KinkHit:
    """One op evaluated at a kink: ``mode`` is "forward", "jvp" or "backward".

    ``input`` is the input whose derivative was taken (None in forward);
    ``value`` the derivative used there (forward: the value the rules will use).
    """

    op: str
    where: str
    mode: str
    input: int | None
    count: int
    value: Any
    location: str | None


class track:
    """Record every kink hit while active: op, element count, value used, where created.

    >>> import dualad as da
    >>> x = da.tensor([-1.0, 0.0, 0.0, 3.0], requires_grad=True)
    >>> with da.nondiff.track() as t:
    ...     da.relu(x).sum().backward()
    >>> t.count("relu", mode="forward"), t.count("relu", mode="backward")
    (2, 2)
    """

    def __init__(self, warn: bool = False) -> None:
        self.warn = warn
        self.hits: list[KinkHit] = []
        self._warned: set[str] = set()

    def __enter__(self) -> track:
        state.kink_trackers = [*state.kink_trackers, self]  # a new list: the census counts it
        return self

    def __exit__(self, *exc: Any) -> None:
        state.kink_trackers = [t for t in state.kink_trackers if t is not self]

    def __iter__(self) -> Iterator[KinkHit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def count(self, op: str | None = None, mode: str | None = None,
              input: int | None = None) -> int:  # noqa: A002
        """How many elements were at a kink (filtered by op, mode and input)."""
        return sum(h.count for h in self.hits if (op is None or h.op == op)
                   and (mode is None or h.mode == mode) and (input is None or h.input == input))

    def ops(self) -> list[str]:
        """The ops that hit a kink, in order of first hit."""
        return list(dict.fromkeys(h.op for h in self.hits))

    def summary(self) -> str:
        """One line per hit record."""
        if not self.hits:
            return "no kinks were hit"
        return "\n".join(
            f"{h.op} ({h.where}) {h.mode}"
            + ("" if h.input is None else f" input {h.input}")
            + f": {h.count} element(s), value "
            + (_fmt_tuple(h.value) if isinstance(h.value, tuple) else _fmt(h.value))
            + (f", created at {h.location}" if h.location else "")
            for h in self.hits)

    def _record(self, hit: KinkHit) -> None:
        self.hits.append(hit)
        if self.warn and hit.op not in self._warned:
            self._warned.add(hit.op)
            where = f" (created at {hit.location})" if hit.location else ""
            warnings.warn(f"dualad: {hit.op} was evaluated at a nondifferentiable point "
                          f"({hit.where}){where}; the derivative used there follows the "
                          f"{state.kink_policy!r} policy", KinkWarning,
                          stacklevel=_user_stacklevel())


def _record(hit: KinkHit) -> None:
    for tracker in list(state.kink_trackers):
        tracker._record(hit)


def _user_location() -> str | None:
    """``file:line`` of the innermost frame outside the dualad package.

    The walks over stack frames here (this one and _user_stacklevel) look for the user's
    code, as ``warnings``' stacklevel does, never for dualad's state (the engine and
    dispatch report that through ``state``: see _node_location and _inside_rule).
    """
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR):
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return None


def _user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the caller's code."""
    level = 1
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
            _PACKAGE_DIR):
        level += 1
        frame = frame.f_back
    return level


def _node_location() -> str | None:
    """Where the graph node whose backward rules run was created (if recorded): the engine
    says which node that is (``state.rule_node``, set while a tracker or "raise" watches)."""
    node = state.rule_node
    return None if node is None else _LOCATIONS.get(node)


def _active_kinks(op: registry.Op) -> list[tuple[registry.Kink, Callable[..., Any]]]:
    """The kinks the policies act on: nondifferentiable points (rules 2-5) with a mask,
    each with its mask function (``kink.at``)."""
    return [(k, k.at) for k in op.kinks if k.rule >= 2 and k.at is not None]


def _policy_value(kink: registry.Kink, at: Callable[..., Any], name: str, index: int) -> Any:
    """The derivative at the kink under policy ``name``: a number, a callable or _KEEP.

    Profile values are data: a number replaces the derivative at the kink; an
    array (given at ``kink.points[0]``) that agrees with ``grads`` there means
    "the dualad convention", and one that differs must be one number at the
    kink's elements; a callable is evaluated on the inputs.
    """
    if name == "subgradient":
        return _KEEP
    if name == "nan":
        return np.nan
    values = getattr(kink, name)
    if values is None:
        raise ValueError(f"kink {kink.where!r} declares no {name} value; add {name}=(...) to it")
    v = values[index]
    if callable(v):
        return v
    a = _numbers(v)
    if a.ndim == 0:
        return a[()]
    mask = np.broadcast_to(np.asarray(at(*kink.points[0], **kink.params), dtype=np.bool_),
                           a.shape)
    ours = np.broadcast_to(_numbers(kink.grads[index]), a.shape)
    if np.array_equal(a[mask], ours[mask], equal_nan=True):
        return _KEEP
    distinct = np.unique(a[mask])
    if distinct.size != 1:
        raise ValueError(f"kink {kink.where!r}: the {name} value is not one number at the kink")
    return distinct[0][()]


def _raw(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def _summary_value(values: np.ndarray) -> Any:
    distinct = np.unique(values)
    number = complex if distinct.dtype.kind == "c" else float
    if distinct.size == 1:
        return number(distinct[0])
    return tuple(number(v) for v in distinct[:5])


def apply_policy(op: registry.Op, index: int, d: Any, inputs: tuple, params: dict,
                 mode: str, partial: bool = False) -> Any:
    """The policy and tracker at work on derivative ``d`` (called from ``kink_adjust``;
    ``partial``: ``d`` is ``df/dz``, the conjugate of the declared gradients)."""
    name = state.kink_policy
    raws = [_raw(x) for x in inputs]
    for kink, at in _active_kinks(op):
        mask = np.asarray(at(*raws, **params), dtype=bool)
        if not mask.any():
            continue
        if name == "raise":
            _raise(op, kink, index, mask, raws, mode)
        value = _policy_value(kink, at, name, index)
        if value is not _KEEP:
            ref = raws[index]
            dtype = ref.dtype if isinstance(ref, np.ndarray) and ref.dtype.kind in "fc" \
                else np.float64
            v = np.asarray(value(*raws, **params) if callable(value) else value, dtype=dtype)
            d = registry.call("where", mask, np.conj(v) if partial else v, d)
        if state.kink_trackers:
            raw_d = np.asarray(_raw(d))  # (complex for a complex op: kept complex)
            raw_d = np.conj(raw_d) if partial and raw_d.dtype.kind == "c" else raw_d
            dd, m = np.broadcast_arrays(raw_d if raw_d.dtype.kind == "c" else
                                        raw_d.astype(float), mask)
            loc = _node_location() if mode == "backward" else _user_location()
            _record(KinkHit(op.name, kink.where, mode, index, int(m.sum()),
                            _summary_value(dd[m]), loc))
    return d


def _raise(op: registry.Op, kink: registry.Kink, index: int, mask: np.ndarray, raws: list,
           mode: str) -> None:
    element = tuple(int(i) for i in np.argwhere(mask)[0])
    values = ", ".join(_fmt(np.broadcast_to(np.asarray(r), mask.shape)[element])
                       for r in raws if isinstance(r, (np.ndarray, float, int)))
    loc = _node_location() if mode == "backward" else _user_location()
    created = f" (created at {loc})" if loc else ""
    raise KinkError(
        f"{op.name}{created}: the derivative with respect to input {index} was taken at a "
        f"nondifferentiable point ({kink.where}) at element {element} (input values {values}), "
        f"{int(mask.sum())} element(s) in all, during {mode}. Policy 'raise' is in force; use "
        "dualad.nondiff.policy('subgradient') to accept the documented convention there")


def _inside_rule() -> bool:
    """Whether a derivative rule is running: a node's backward rules (``state.rule_node``)
    or an op's jvp rules (``state.tangent_inputs``)."""
    return state.rule_node is not None or state.tangent_inputs is not None


def _report_forward(op: registry.Op, datas: list, params: dict, out: Tensor) -> None:
    """The kink observer of dispatch (``registry.kink_observer``): called for ops with kinks
    while tracking (or under 'raise').

    An op that a derivative rule calls (``sign`` inside ``abs``'s rule) is part
    of that rule, not a forward evaluation by the user: it is not reported.
    """
    if _inside_rule():
        return
    loc = _user_location()
    if out.grad_fn is not None:
        _LOCATIONS[out.grad_fn] = loc
    if not state.kink_trackers:
        return
    name = state.kink_policy
    for kink, at in _active_kinks(op):
        mask = np.asarray(at(*datas, **params), dtype=bool)
        count = int(mask.sum())
        if count:
            _record(KinkHit(op.name, kink.where, "forward", None, count,
                            _declared(kink, name), loc))


def _declared(kink: registry.Kink, name: str) -> tuple:
    """The values the rules will use at ``kink`` under policy ``name``, one per input."""
    if name in ("subgradient", "raise"):
        return tuple(kink.grads)
    if name == "nan":
        return tuple(None if g is None else np.nan for g in kink.grads)
    return tuple(getattr(kink, name) or (None,) * len(kink.grads))


registry.set_kink_observer(_report_forward)

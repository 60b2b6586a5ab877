"""Numeric gradient checks: central differences against reverse and forward mode.

``gradcheck`` compares the derivatives dualad computes with central finite
differences in float64: along every input coordinate when the inputs and the
output are small, along random directions otherwise. It is kink-aware: where
the left and right one-sided differences disagree the function is evaluated
at a kink, central differences mean nothing there, and the analytic value is
accepted if it lies between the two one-sided slopes (in the subdifferential
they bound); the report says so.

>>> import dualad as da
>>> x = da.tensor([-1.0, 0.0, 2.0], requires_grad=True)
>>> report = da.gradcheck(da.relu, x)
>>> bool(report), len(report.kinks) > 0
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import forward_ad
from .autograd import engine
from .autograd.grad_mode import enable_grad
from .tensor import Tensor

FULL_MODE_LIMIT = 128
"""Inputs and outputs with at most this many elements are checked coordinate by coordinate."""


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when analytic and numeric derivatives disagree."""

    def __init__(self, report: GradcheckReport) -> None:
        super().__init__(str(report))
        self.report = report


@dataclass
class Mismatch:
    """One disagreement: which mode, input, element (or direction) and output element."""

    mode: str
    input: int
    element: Any
    output_element: Any
    analytic: float
    numeric: float
    note: str = ""

    def __str__(self) -> str:
        where = f"input {self.input}, {_element_text(self.element)}"
        out = "" if self.output_element in ((), None) else f", output element {self.output_element}"
        extra = f" ({self.note})" if self.note else ""
        return (f"{self.mode} mode: {where}{out}: analytic {self.analytic!r} vs numeric "
                f"{self.numeric!r}{extra}")


@dataclass
class KinkNote:
    """A probe where one-sided differences disagree: the function has a kink there."""

    input: int
    element: Any
    output_element: Any
    left: float
    right: float
    analytic: dict

    def __str__(self) -> str:
        vals = ", ".join(f"{m} {v!r}" for m, v in self.analytic.items())
        out = "" if self.output_element in ((), None) else f", output element {self.output_element}"
        return (f"kink at input {self.input}, {_element_text(self.element)}{out}: one-sided "
                f"slopes {self.left!r} (left) and {self.right!r} (right); accepted {vals} "
                "as it lies between them")


@dataclass
class GradcheckReport:
    """The result of :func:`gradcheck`: truthy when everything agreed."""

    mode: str
    checked: int = 0
    mismatches: list = field(default_factory=list)
    kinks: list = field(default_factory=list)
    title: str = "gradcheck"

    @property
    def passed(self) -> bool:
        return not self.mismatches

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        head = (f"{self.title} {'passed' if self.passed else 'FAILED'}: {self.checked} "
                f"comparisons ({self.mode}), {len(self.mismatches)} mismatches, "
                f"{len(self.kinks)} kinks")
        lines = [head]
        lines += [f"  MISMATCH {m}" for m in self.mismatches[:10]]
        if len(self.mismatches) > 10:
            lines.append(f"  ... and {len(self.mismatches) - 10} more mismatches")
        lines += [f"  {k}" for k in self.kinks[:10]]
        if len(self.kinks) > 10:
            lines.append(f"  ... and {len(self.kinks) - 10} more kinks")
        return "\n".join(lines)

    def merge(self, other: GradcheckReport) -> None:
        self.checked += other.checked
        self.mismatches += other.mismatches
        self.kinks += other.kinks


def _element_text(element: Any) -> str:
    if isinstance(element, str):
        return element
    return f"element {element}"


# ------------------------------------------------------------ evaluation

def _normalize(inputs: Any) -> tuple:
    if isinstance(inputs, (Tensor, np.ndarray, float, int, complex)):
        return (inputs,)
    return tuple(inputs)


def _is_float(a: Any) -> bool:
    if isinstance(a, Tensor):
        return a.dtype.kind == "f"
    if isinstance(a, np.ndarray):
        return a.dtype.kind == "f"
    return isinstance(a, float)


def _base_values(inputs: tuple) -> list:
    """float64 copies of the floating inputs; other inputs unchanged."""
    out = []
    for a in inputs:
        if _is_float(a):
            data = a._data if isinstance(a, Tensor) else a
            out.append(np.array(data, dtype=np.float64))
        else:
            out.append(a)
    return out


def _output_array(result: Any, what: str = "the function") -> np.ndarray:
    if isinstance(result, tuple):
        raise TypeError(f"{what} returned a tuple; the numeric checks handle one tensor output: "
                        "wrap it to return a single tensor")
    data = result._data if isinstance(result, Tensor) else np.asarray(result)
    if data.dtype.kind == "c":
        raise TypeError(f"{what} returned a complex output ({data.dtype}); the numeric checks "
                        "compare real outputs only (the imaginary part would be ignored)")
    if data.dtype.kind != "f":
        raise TypeError(f"{what} returned dtype {data.dtype}; only floating outputs can be "
                        "differentiated")
    return np.asarray(data, dtype=np.float64)


def _call(fn: Callable, values: list, diff: Sequence[int], requires_grad: bool = False) -> Any:
    args = [Tensor(np.array(v, dtype=np.float64), requires_grad=requires_grad and i in diff)
            if _is_array(v) else v for i, v in enumerate(values)]
    return fn(*args), args


def _is_array(v: Any) -> bool:
    """A floating array or NumPy scalar standing for one (0-d arithmetic gives scalars)."""
    return isinstance(v, np.ndarray) and v.dtype.kind == "f" or isinstance(v, np.floating)


def _evaluate(fn: Callable, values: list) -> np.ndarray:
    return _output_array(_call(fn, values, ())[0])


def _one_sided(fn: Callable, values: list, i: int, v: np.ndarray, eps: float,
               f0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Left and right difference quotients of ``fn`` along ``v`` in input ``i``."""
    plus = list(values)
    minus = list(values)
    plus[i] = np.asarray(values[i] + eps * v)
    minus[i] = np.asarray(values[i] - eps * v)
    fp = _evaluate(fn, plus)
    fm = _evaluate(fn, minus)
    return (f0 - fm) / eps, (fp - f0) / eps


def numeric_jacobian(fn: Callable, inputs: Any, eps: float = 1e-6) -> list:
    """Central-difference Jacobians of ``fn`` at ``inputs``, in float64.

    Returns one array per input, of shape ``out.shape + input.shape``
    (``None`` for inputs that are not floating point).

    >>> import dualad as da
    >>> (j,) = numeric_jacobian(lambda x: x * x, [da.tensor([1.0, 2.0])])
    >>> np.round(j, 6)
    array([[2., 0.],
           [0., 4.]])
    """
    values = _base_values(_normalize(inputs))
    f0 = _evaluate(fn, values)
    result: list = []
    for i, v in enumerate(values):
        if not _is_array(v):
            result.append(None)
            continue
        jac = np.zeros(f0.shape + v.shape)
        for k in np.ndindex(v.shape):
            e = np.zeros(v.shape)
            e[k] = 1.0
            left, right = _one_sided(fn, values, i, e, eps, f0)
            jac[(Ellipsis,) + k] = 0.5 * (left + right)
        result.append(jac)
    return result


# ------------------------------------------------------------ analytic sides

def reverse_vjp(fn: Callable, values: list, diff: list, u: np.ndarray) -> list:
    """``J_i^T u`` for every differentiated input, by reverse mode."""
    with enable_grad():
        out, args = _call(fn, values, diff, requires_grad=True)
        _output_array(out)
        if not isinstance(out, Tensor) or not out.requires_grad:
            return [np.zeros(values[i].shape) for i in diff]
        grads = engine.grad(out, [args[i] for i in diff], Tensor(u.copy()), allow_unused=True)
    return [np.zeros(values[i].shape) if g is None else np.asarray(g._data, dtype=np.float64)
            for i, g in zip(diff, grads)]


def forward_jvp(fn: Callable, values: list, diff: list, i: int, v: np.ndarray) -> np.ndarray:
    """``J_i v`` by forward mode (dual numbers); differentiated inputs also require grad."""
    with forward_ad.dual_level():
        args = [Tensor(np.array(x, dtype=np.float64), requires_grad=k in diff) if _is_array(x)
                else x for k, x in enumerate(values)]
        args[i] = forward_ad.make_dual(args[i], Tensor(np.array(v, dtype=np.float64)))
        out = fn(*args)
        f0 = _output_array(out)
        tangent = forward_ad.unpack_dual(out).tangent if isinstance(out, Tensor) else None
    if tangent is None:
        return np.zeros(f0.shape)
    return np.broadcast_to(np.asarray(tangent._data, dtype=np.float64), f0.shape)


# ------------------------------------------------------------ comparison

def _compare(report: GradcheckReport, mode: str, i: int, element: Any, analytic: Any,
             left: Any, right: Any, atol: float, rtol: float, kink_seen: dict) -> None:
    """Record mismatches between an analytic value and the numeric slopes (elementwise)."""
    a, lo_, hi_ = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64)
                                        for x in (analytic, left, right)))
    central = 0.5 * (lo_ + hi_)
    tol = atol + rtol * np.abs(central)
    with np.errstate(invalid="ignore"):
        close = np.abs(a - central) <= tol
        close |= np.isinf(a) & (a == central)
        kink = np.isfinite(lo_) & np.isfinite(hi_) & (np.abs(hi_ - lo_) > 2 * tol)
        between = (a >= np.minimum(lo_, hi_) - tol) & (a <= np.maximum(lo_, hi_) + tol)
    report.checked += int(a.size)
    for m in np.ndindex(a.shape):
        if kink[m] and between[m]:
            key = (i, str(element), m)
            note = kink_seen.get(key)
            if note is None:
                note = KinkNote(i, element, m, float(lo_[m]), float(hi_[m]), {})
                kink_seen[key] = note
                report.kinks.append(note)
            note.analytic[mode] = float(a[m])
        elif kink[m]:
            report.mismatches.append(Mismatch(
                mode, i, element, m, float(a[m]), float(central[m]),
                f"kink: one-sided slopes {float(lo_[m])!r} and {float(hi_[m])!r}; the analytic "
                "value is not between them"))
        elif not close[m]:
            report.mismatches.append(Mismatch(
                mode, i, element, m, float(a[m]), float(central[m]),
                f"|difference| {abs(float(a[m]) - float(central[m])):.3g} > tolerance "
                f"{float(tol[m]):.3g}"))


def _differentiated(inputs: tuple) -> list[int]:
    chosen = [i for i, a in enumerate(inputs)
              if isinstance(a, Tensor) and a.requires_grad and a.dtype.kind == "f"]
    complex_ = [i for i, a in enumerate(inputs) if isinstance(a, (Tensor, np.ndarray, complex))
                and np.asarray(a._data if isinstance(a, Tensor) else a).dtype.kind == "c"
                and (not chosen or isinstance(a, Tensor) and a.requires_grad)]
    if complex_:  # it would be left out silently
        raise ValueError(f"input {complex_[0]} is complex; the numeric checks differentiate "
                         "real inputs only: pass its real and imaginary parts as two real "
                         "inputs (f(x + 1j * y))")
    if chosen:
        return chosen
    return [i for i, a in enumerate(inputs) if _is_float(a)]


def _is_complex_input(a: Any) -> bool:
    if isinstance(a, Tensor):
        return a.dtype.kind == "c"
    return isinstance(a, complex) or isinstance(a, (np.ndarray, np.complexfloating)) \
        and np.asarray(a).dtype.kind == "c"


def _realified(f: Callable, inputs: Any) -> tuple[Callable, tuple, list]:
    """The check of a function of complex numbers as one of real numbers (PyTorch's
    gradcheck does the same): each complex input becomes two real inputs, its real and
    imaginary parts (``z = x + 1j * y`` is rebuilt with dualad ops, so derivatives flow
    through), and a complex output becomes ``stack([real(out), imag(out)])``, its real
    parts first. Returns the function, the inputs, and for each new input the original's
    index and which part it is (``""``, ``"real part"``, ``"imaginary part"``)."""
    from .ops import add, imag, mul, real, stack

    inputs = _normalize(inputs)
    layout: list = []  # per original input: (first new index, complex?)
    new: list = []
    origin: list = []
    for k, a in enumerate(inputs):
        if _is_complex_input(a):
            data = np.asarray(a._data if isinstance(a, Tensor) else a, dtype=np.complex128)
            layout.append((len(new), True))
            for part, values in (("real part", data.real), ("imaginary part", data.imag)):
                new.append(Tensor(values.copy(), requires_grad=a.requires_grad)
                           if isinstance(a, Tensor) else values.copy())
                origin.append((k, part))
        else:
            layout.append((len(new), False))
            new.append(a)
            origin.append((k, ""))

    def real_f(*args: Any) -> Any:
        out = f(*[add(args[s], mul(args[s + 1], 1j)) if c else args[s] for s, c in layout])
        if isinstance(out, Tensor) and out.dtype.kind == "c":
            return stack([real(out), imag(out)])
        return out

    return real_f, tuple(new), origin


def _restore_inputs(report: GradcheckReport, origin: list) -> None:
    """Mismatches and kinks of a realified check named by the caller's inputs."""
    for item in report.mismatches + report.kinks:
        k, part = origin[item.input]
        item.input = k
        if part and isinstance(item, Mismatch):
            item.note = f"{part}; {item.note}" if item.note else part
        elif part:
            item.element = f"{_element_text(item.element)} ({part})"


def _check_settings(name: str, eps: Any, atol: Any, rtol: Any, directions: Any) -> None:
    """Refuse settings under which a check would compare nothing or accept anything."""
    for label, value, low in (("eps", eps, "> 0"), ("atol", atol, ">= 0"),
                              ("rtol", rtol, ">= 0")):
        ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
            value, bool) and np.isfinite(value) and (value > 0 if low == "> 0" else value >= 0)
        if not ok:
            raise ValueError(f"{name}: {label} must be a finite number {low}, got {value!r}")
    if isinstance(directions, bool) or not isinstance(directions, (int, np.integer)) \
            or directions < 1:
        raise ValueError(f"{name}: directions must be a positive int (the number of random "
                         f"directions checked in fast mode), got {directions!r}; with none, "
                         "nothing would be compared")


def _setup(name: str, inputs: Any, eps: Any, atol: Any, rtol: Any,
           directions: Any) -> tuple[tuple, list[int], list]:
    """Inputs as a tuple, the differentiated ones and float64 values, or a clear error
    (before ``f`` runs) when the check could compare nothing."""
    _check_settings(name, eps, atol, rtol, directions)
    inputs = _normalize(inputs)
    diff = _differentiated(inputs)
    if not diff:
        raise ValueError(f"{name}: no floating-point input to differentiate; pass tensors "
                         "with a floating dtype (e.g. da.tensor([1.0, 2.0]))")
    values = _base_values(inputs)
    if all(values[i].size == 0 for i in diff):
        shapes = ", ".join(str(values[i].shape) for i in diff)
        raise ValueError(f"{name}: the differentiated inputs have no elements (shapes "
                         f"{shapes}), so there is no derivative to compare; give inputs with "
                         "at least one element")
    return inputs, diff, values


def _require_output_elements(name: str, f0: np.ndarray) -> None:
    if f0.size == 0:
        raise ValueError(f"{name}: the function's output has no elements (shape {f0.shape}), "
                         "so there is no derivative to compare; check a function with a "
                         "non-empty output")


def gradcheck(f: Callable, inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, check_forward_ad: bool = True, raise_exception: bool = True,
              *, fast_mode: bool | None = None, directions: int = 3,
              seed: int = 0) -> GradcheckReport:
    """Compare reverse (and forward) mode derivatives of ``f`` with central differences.

    The inputs that require grad are differentiated (all floating inputs if
    none does). Everything runs in float64. ``fast_mode`` (default: when an
    input or the output has more than ``FULL_MODE_LIMIT`` elements) checks
    ``directions`` random directions instead of every coordinate. Returns a
    :class:`GradcheckReport`; raises :class:`GradcheckError` on a mismatch
    unless ``raise_exception=False``. A check that would compare nothing
    raises ``ValueError`` before ``f`` runs: no floating input, differentiated
    inputs or an output without elements, ``directions < 1``; so do an ``eps``
    that is not a finite positive number, and tolerances that are not finite
    and non-negative. Complex inputs and outputs are checked as their real and
    imaginary parts (separate real coordinates; a complex output's real parts
    come first, then its imaginary parts), as PyTorch's gradcheck does.

    >>> import dualad as da
    >>> bool(gradcheck(lambda x: da.sin(x) * x, da.tensor([0.3, 1.2], requires_grad=True)))
    True
    """
    f, inputs, origin = _realified(f, inputs)
    inputs, diff, values = _setup("gradcheck", inputs, eps, atol, rtol, directions)
    f0 = _evaluate(f, values)
    _require_output_elements("gradcheck", f0)
    if fast_mode is None:
        fast_mode = f0.size > FULL_MODE_LIMIT or any(values[i].size > FULL_MODE_LIMIT
                                                     for i in diff)
    report = GradcheckReport(mode="random directions" if fast_mode else "every coordinate")
    kink_seen: dict = {}
    rng = np.random.default_rng(seed)
    if fast_mode:
        for d in range(directions):
            u = rng.standard_normal(f0.shape)
            rev = reverse_vjp(f, values, diff, u)
            for i, r in zip(diff, rev):
                v = rng.standard_normal(values[i].shape)
                left, right = _one_sided(f, values, i, v, eps, f0)
                element = f"direction {d}"
                _compare(report, "reverse", i, element, np.vdot(r, v), np.vdot(u, left),
                         np.vdot(u, right), atol, rtol, kink_seen)
                if check_forward_ad:
                    _compare(report, "forward", i, element, forward_jvp(f, values, diff, i, v),
                             left, right, atol, rtol, kink_seen)
    else:
        jac = [np.zeros(f0.shape + values[i].shape) for i in diff]
        for m in np.ndindex(f0.shape):
            u = np.zeros(f0.shape)
            u[m] = 1.0
            for j, r in zip(jac, reverse_vjp(f, values, diff, u)):
                j[m] = r
        for i, j in zip(diff, jac):
            for k in np.ndindex(values[i].shape):
                e = np.zeros(values[i].shape)
                e[k] = 1.0
                left, right = _one_sided(f, values, i, e, eps, f0)
                _compare(report, "reverse", i, k, j[(Ellipsis,) + k], left, right, atol, rtol,
                         kink_seen)
                if check_forward_ad:
                    _compare(report, "forward", i, k, forward_jvp(f, values, diff, i, e), left,
                             right, atol, rtol, kink_seen)
    _restore_inputs(report, origin)
    if raise_exception and not report.passed:
        raise GradcheckError(report)
    return report


def gradgradcheck(f: Callable, inputs: Any, grad_outputs: Any = None, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, check_forward_ad: bool = True,
                  raise_exception: bool = True, *, fast_mode: bool | None = None,
                  directions: int = 3, seed: int = 0) -> GradcheckReport:
    """Second order: :func:`gradcheck` of the VJP of ``f`` built with ``create_graph=True``.

    For every differentiated input ``i`` the function ``x -> J_i(x)^T u``
    (``u`` = ``grad_outputs``, random by default) is checked against central
    differences, in reverse mode (reverse-over-reverse) and forward mode
    (forward-over-reverse). ``grad_outputs`` must broadcast to the output's
    shape and not be all zeros (the checked function would be zero); the
    other arguments are validated as in :func:`gradcheck`.

    >>> import dualad as da
    >>> bool(gradgradcheck(lambda x: x ** 3, da.tensor([0.5, 2.0], requires_grad=True)))
    True
    """
    f, inputs, origin = _realified(f, inputs)
    inputs, diff, values = _setup("gradgradcheck", inputs, eps, atol, rtol, directions)
    f0 = _evaluate(f, values)
    _require_output_elements("gradgradcheck", f0)
    if grad_outputs is None:
        u = np.random.default_rng(seed).standard_normal(f0.shape)
    else:
        u = np.asarray(grad_outputs._data if isinstance(grad_outputs, Tensor) else grad_outputs,
                       dtype=np.float64)
        try:
            u = np.broadcast_to(u, f0.shape)
        except ValueError:
            raise ValueError(f"gradgradcheck: grad_outputs has shape {u.shape}, which does not "
                             f"broadcast to the output's shape {f0.shape}") from None
        if not np.any(u):
            raise ValueError("gradgradcheck: grad_outputs is all zeros, so the gradient it "
                             "weights is zero everywhere and its derivatives would compare "
                             "zeros; give a nonzero grad_outputs (or None for a random one)")
    report = GradcheckReport(mode="", title="gradgradcheck")
    for pos, i in enumerate(diff):
        if values[i].size == 0:  # no second derivative to check for it (another input has)
            continue

        def vjp_i(*args: Any, _pos: int = pos) -> Tensor:
            with enable_grad():
                inputs = [a.detach().requires_grad_() if k in diff and isinstance(a, Tensor)
                          and not a.requires_grad else a for k, a in enumerate(args)]
                out = f(*inputs)
                if not isinstance(out, Tensor) or not out.requires_grad:
                    return Tensor(np.zeros(values[diff[_pos]].shape))
                grads = engine.grad(out, [inputs[k] for k in diff], Tensor(u.copy()),
                                    create_graph=True, allow_unused=True)
            g = grads[_pos]
            return Tensor(np.zeros(values[diff[_pos]].shape)) if g is None else g

        args = [Tensor(v, requires_grad=k in diff) if isinstance(v, np.ndarray) else v
                for k, v in enumerate(values)]
        sub = gradcheck(vjp_i, args, eps, atol, rtol, check_forward_ad, raise_exception=False,
                        fast_mode=fast_mode, directions=directions, seed=seed + 1 + pos)
        report.mode = sub.mode
        for m in sub.mismatches:
            m.note = (m.note + "; " if m.note else "") + f"derivative of the gradient of input {i}"
        report.merge(sub)
    _restore_inputs(report, origin)
    if raise_exception and not report.passed:
        raise GradcheckError(report)
    return report

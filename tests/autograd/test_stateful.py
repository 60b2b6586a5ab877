"""Stateful test: views, in-place ops, no_grad, detach, ``.data``, backward, retain_graph.

A ``RuleBasedStateMachine`` builds random programs step by step on dualad, on a naive
reference and (in the second test, when PyTorch is installed) on PyTorch. The reference
keeps, for each tensor, its value and its Jacobian with respect to the leaves, pushed
forward op by op with closed-form derivatives. Values live in NumPy arrays, and a view's
value is the NumPy view of its base's array, so values follow every write; a view's
Jacobian is the same view of its base's Jacobian, so it follows recorded in-place ops.
An in-place op under no_grad (or through ``detach()``) changes values but no Jacobian (as
in PyTorch: it is invisible to autograd, only the version counter sees it).

The promise checked after every step: values and ``requires_grad`` agree, and a backward
that raises no error gives the reference's gradient (except after a write through
``.data``, which is untracked by design: then only PyTorch is the judge); the errors
raised are the documented ones; and PyTorch raises the "modified by an inplace
operation" error exactly when dualad does.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import dualad as da
from dualad.ops.inplace import _indexed_from

SHAPE = (2, 3)
N_LEAVES = 2
N = N_LEAVES * 6  # the leaves' elements: the Jacobians' last axis
MAX_HANDLES = 14
MODIFIED = "modified by an inplace operation"
FREED = "backward through the graph a second time"
_ids = itertools.count()


class Group:
    """Tensors sharing one version counter (a storage, its views and detached aliases)."""

    def __init__(self) -> None:
        self.data_writes = 0  # writes through .data: untracked, no version bump


def _note_reads(reads: dict, *sources) -> dict:
    """Add to ``reads`` the groups read now (``Group``) or earlier (a ``reads`` dict).

    A group read twice keeps its older ``.data`` count: a Jacobian is stale as soon as one
    of its reads is (``data_writes`` only grows, so the oldest count is the smallest).
    """
    for src in sources:
        items = src.items() if isinstance(src, dict) else [(src, src.data_writes)]
        for group, n in items:
            reads[group] = min(n, reads.get(group, n))
    return reads


class Root:
    """A tensor that is no view: its value array, Jacobian and autograd facts."""

    def __init__(self, value, jac, requires_grad, group, *, leaf=False, readonly=False,
                 reads=None, history=frozenset()):
        self.value = value if isinstance(value, np.ndarray) else np.asarray(value)
        self.jac = jac
        self.requires_grad = requires_grad
        self.group = group
        self.leaf = leaf  # a leaf that requires grad
        self.readonly = readonly
        # groups whose values the Jacobian read, each with its .data count at the oldest read
        self.reads = dict(reads or {})
        self.history = history  # ids of the recorded ops below (for freed graphs)


# view steps: (name, dualad/torch function, function on values and Jacobians)
VIEW_STEPS = {
    "rows": (lambda t: t[1:], lambda a: a[1:]),
    "first": (lambda t: t[0], lambda a: a[0, ...]),  # (a 0-d view, not a NumPy scalar)
    "cols": (lambda t: t[:, 1:], lambda a: a[:, 1:]),
    "T": (lambda t: t.T, lambda a: np.swapaxes(a, 0, 1)),
    "unsqueeze": (lambda t: t.unsqueeze(0), lambda a: a[None]),
}


def _step_ok(name: str, shape: tuple) -> bool:
    if name in ("rows", "first"):
        return len(shape) >= 1 and shape[0] >= 2
    if name in ("cols", "T"):
        return len(shape) == 2 and shape[1] >= 2
    return len(shape) < 3


class Handle:
    """One tensor of the program: dualad's, PyTorch's (or None) and the reference's."""

    def __init__(self, d, t, root: Root, steps=(), no_grad_view=False):
        self.d, self.t, self.root, self.steps = d, t, root, steps
        self.no_grad_view = no_grad_view

    def _through(self, a):
        for name in self.steps:
            a = VIEW_STEPS[name][1](a)
        return a

    @property
    def value(self):
        return self._through(self.root.value)

    @property
    def jac(self):
        if self.no_grad_view:
            return np.zeros(self.value.shape + (N,))
        return self._through(self.root.jac)

    @property
    def requires_grad(self) -> bool:
        return False if self.no_grad_view else self.root.requires_grad

    @property
    def readonly(self) -> bool:
        return bool(self.steps) or self.root.readonly

    @property
    def shape(self) -> tuple:
        return self.value.shape


def _expect_error(fn, *fragments):
    """Run ``fn``; it must raise a RuntimeError whose message holds one of ``fragments``."""
    with pytest.raises(RuntimeError) as info:
        fn()
    assert any(f in str(info.value) for f in fragments), str(info.value)


class Programs(RuleBasedStateMachine):
    torch = None  # the torch module in the PyTorch-checked variant

    @initialize(seed=st.integers(0, 2 ** 16))
    def start(self, seed):
        rng = np.random.default_rng(seed)
        self.handles: list[Handle] = []
        self.leaves: list[Handle] = []
        self.freed: set = set()
        # PyTorch frees the nodes a failing backward ran before it met the error; dualad
        # checks first and frees nothing, so PyTorch may later say "freed" where dualad
        # still finds the modified tensor
        self.torch_partly_freed: set = set()
        # ``y.copy_(src)`` with src requiring grad: dualad drops y's old history (its gradient
        # is zero), PyTorch's CopyBackwards still runs it (and raises there if a tensor it
        # saved was modified since, or frees it)
        self.cut_by_copy: set = set()
        for k in range(N_LEAVES + 1):
            value = rng.uniform(-1.0, 1.0, SHAPE)
            leaf = k < N_LEAVES
            jac = np.zeros(SHAPE + (N,))
            if leaf:
                jac[..., 6 * k:6 * k + 6] = np.eye(6).reshape(SHAPE + (6,))
            d = da.tensor(value.copy(), requires_grad=leaf)
            t = None if self.torch is None else \
                self.torch.tensor(value.copy(), dtype=self.torch.float64, requires_grad=leaf)
            h = Handle(d, t, Root(value, jac, leaf, Group(), leaf=leaf))
            self.handles.append(h)
            if leaf:
                self.leaves.append(h)

    def pick(self, i: int) -> Handle:
        return self.handles[i % len(self.handles)]

    def add(self, h: Handle) -> None:
        self.handles.append(h)

    def both(self, fn, h_args, *, torch_too: bool = True):
        """``fn(*tensors)`` on dualad and (if ``torch_too``) on PyTorch."""
        d = fn(*[h.d for h in h_args])
        t = None
        if self.torch is not None and torch_too:
            t = fn(*[h.t for h in h_args])
        return d, t

    def grad_mode(self, grad: bool):
        """Context managers for grad mode on or off, in dualad and PyTorch (each changes the
        mode only when entered)."""
        ours = da.enable_grad() if grad else da.no_grad()
        if self.torch is None:
            return ours, _Nothing()
        return ours, self.torch.enable_grad() if grad else self.torch.no_grad()

    # ------------------------------------------------------------ out of place
    @precondition(lambda self: len(self.handles) < MAX_HANDLES)
    @rule(i=st.integers(0, 99), kind=st.sampled_from(["sin", "tanh", "half", "square"]),
          grad=st.booleans())
    def unary(self, i, kind, grad):
        h = self.pick(i)
        v = h.value.copy()
        fn = {"sin": lambda a: a.sin(), "tanh": lambda a: a.tanh(), "half": lambda a: a * 0.5,
              "square": lambda a: a * a}[kind]
        with np.errstate(all="ignore"):
            out = {"sin": np.sin(v), "tanh": np.tanh(v), "half": v * 0.5, "square": v * v}[kind]
            deriv = {"sin": np.cos(v), "tanh": 1 - out ** 2, "half": np.full_like(v, 0.5),
                     "square": 2 * v}[kind]
        gm, tm = self.grad_mode(grad)
        with gm, tm:
            d, t = self.both(fn, [h])
        rec = grad and h.requires_grad
        group = Group()
        reads = dict(h.root.reads)
        if kind in ("sin", "square"):
            _note_reads(reads, h.root.group)
        elif kind == "tanh":
            _note_reads(reads, group)
        jac = deriv[..., None] * h.jac if rec else np.zeros(out.shape + (N,))
        history = h.root.history | {next(_ids)} if rec else frozenset()
        self.add(Handle(d, t, Root(out, jac, rec, group, reads=reads, history=history)))

    @precondition(lambda self: len(self.handles) < MAX_HANDLES)
    @rule(i=st.integers(0, 99), j=st.integers(0, 99), kind=st.sampled_from(["add", "mul"]),
          grad=st.booleans())
    def binary(self, i, j, kind, grad):
        a, b = self.pick(i), self.pick(j)
        if a.shape != b.shape:
            return
        va, vb = a.value.copy(), b.value.copy()
        gm, tm = self.grad_mode(grad)
        with gm, tm:
            d, t = self.both((lambda x, y: x + y) if kind == "add" else (lambda x, y: x * y),
                             [a, b])
        rec = grad and (a.requires_grad or b.requires_grad)
        if kind == "add":
            out, jac = va + vb, a.jac + b.jac
        else:
            out, jac = va * vb, vb[..., None] * a.jac + va[..., None] * b.jac
        reads = _note_reads({}, a.root.reads, b.root.reads)
        if kind == "mul":
            _note_reads(reads, a.root.group, b.root.group)
        history = a.root.history | b.root.history | {next(_ids)} if rec else frozenset()
        jac = jac if rec else np.zeros(out.shape + (N,))
        self.add(Handle(d, t, Root(out, jac, rec, Group(), reads=reads, history=history)))

    # ------------------------------------------------------------------ views
    @precondition(lambda self: len(self.handles) < MAX_HANDLES)
    @rule(i=st.integers(0, 99), name=st.sampled_from(sorted(VIEW_STEPS)), grad=st.booleans())
    def view(self, i, name, grad):
        h = self.pick(i)
        if not _step_ok(name, h.shape):
            return
        gm, tm = self.grad_mode(grad)
        with gm, tm:
            d, t = self.both(VIEW_STEPS[name][0], [h])
        if t is not None and not grad:
            # PyTorch marks a view taken under no_grad of a tensor that requires grad as
            # requiring grad, with no grad_fn (its gradient goes nowhere); dualad's is a
            # constant, as t.detach(), which mirrors it in PyTorch
            t = t.detach()
        self.add(Handle(d, t, h.root, h.steps + (name,), h.no_grad_view or not grad))

    @precondition(lambda self: len(self.handles) < MAX_HANDLES)
    @rule(i=st.integers(0, 99))
    def detach(self, i):
        h = self.pick(i)
        d, t = self.both(lambda a: a.detach(), [h])
        value = h.value  # the same memory
        root = Root(value, np.zeros(value.shape + (N,)), False, h.root.group,
                    readonly=h.readonly)
        self.add(Handle(d, t, root))

    # --------------------------------------------------------------- in place
    @rule(i=st.integers(0, 99), j=st.integers(0, 99),
          kind=st.sampled_from(["add_", "mul_", "mul_t", "zero_", "copy_", "set0"]),
          grad=st.booleans())
    def in_place(self, i, j, kind, grad):
        h, o = self.pick(i), self.pick(j)
        if kind in ("mul_t", "copy_") and o.shape != h.shape:
            return
        if kind == "set0" and (not h.shape or h.shape[0] < 1):
            return
        fn = {"add_": lambda a, b: a.add_(0.5), "mul_": lambda a, b: a.mul_(-1.25),
              "mul_t": lambda a, b: a.mul_(b), "zero_": lambda a, b: a.zero_(),
              "copy_": lambda a, b: a.copy_(b), "set0": lambda a, b: a.__setitem__(0, 2.0)}[kind]
        uses_o = kind in ("mul_t", "copy_")
        rec = grad and (h.requires_grad or (uses_o and o.requires_grad))
        gm, tm = self.grad_mode(grad)
        if h.readonly:  # views: dualad writes through one made by indexing (as PyTorch; this
            # model does not follow writes through views: tests/autograd/test_views.py does)
            if h.d._is_view() and _indexed_from(h.d) is not None:
                return
            with gm:
                _expect_error(lambda: fn(h.d, o.d), "read-only view")
            return
        if grad and h.root.leaf:
            with gm, tm:
                _expect_error(lambda: fn(h.d, o.d), "leaf Variable")
                if self.torch is not None:
                    _expect_error(lambda: fn(h.t, o.t), "leaf Variable")
            return
        if rec and any(v.no_grad_view and v.root is h.root for v in self.handles):
            with gm:  # PyTorch raises later, when such a view is used: not run there
                _expect_error(lambda: fn(h.d, o.d), "no_grad mode")
            return
        old, vo = h.value.copy(), o.value.copy()
        jac_h, jac_o = h.jac.copy(), o.jac.copy()
        with gm, tm:
            self.both(fn, [h, o])
        new = {"add_": lambda: old + 0.5, "mul_": lambda: old * -1.25,
               "mul_t": lambda: old * vo, "zero_": lambda: np.zeros_like(old),
               "copy_": lambda: vo,
               "set0": lambda: np.concatenate([np.full_like(old[:1], 2.0), old[1:]])}[kind]()
        h.root.value[...] = new
        if not rec:
            return
        root = h.root
        if kind == "add_":
            root.jac = jac_h
        elif kind == "mul_":
            root.jac = -1.25 * jac_h
        elif kind == "mul_t":
            root.jac = vo[..., None] * jac_h + old[..., None] * jac_o
            _note_reads(root.reads, root.group, o.root.group)
        elif kind == "zero_":
            root.jac = np.zeros_like(jac_h)
        elif kind == "copy_":
            root.jac = jac_o
            if o.requires_grad:
                self.cut_by_copy |= root.history
        else:
            jac_h[0] = 0.0
            root.jac = jac_h
        if uses_o:
            _note_reads(root.reads, o.root.reads)
            root.history = root.history | o.root.history
        root.requires_grad = True
        root.history = root.history | {next(_ids)}

    @rule(i=st.integers(0, 99))
    def write_through_data(self, i):
        """``t.data *= 3``: untracked by design (no version bump), as in PyTorch."""
        h = self.pick(i)
        if h.readonly:
            return
        h.d.data.mul_(3.0)
        if self.torch is not None:
            h.t.data.mul_(3.0)
        h.root.value[...] = h.value * 3.0
        h.root.group.data_writes += 1

    # --------------------------------------------------------------- backward
    @rule(i=st.integers(0, 99), retain=st.booleans())
    def backward(self, i, retain):
        h = self.pick(i)
        weights = np.linspace(0.5, 1.5, max(h.value.size, 1)).reshape(h.shape)
        for leaf in self.leaves:
            leaf.d.grad = None
            if leaf.t is not None:
                leaf.t.grad = None
        if not h.requires_grad:
            _expect_error(lambda: (h.d * weights).sum().backward(), "does not require grad")
            return
        ours = _run(lambda: (h.d * da.tensor(weights)).sum().backward(retain_graph=retain))
        theirs = None
        if self.torch is not None:
            tw = self.torch.tensor(weights)
            theirs = _run(lambda: (h.t * tw).sum().backward(retain_graph=retain))
            cut = h.root.history & self.cut_by_copy
            if not (FREED in theirs and h.root.history & self.torch_partly_freed) \
                    and not (cut and MODIFIED in theirs and MODIFIED not in ours):
                assert (MODIFIED in ours) == (MODIFIED in theirs), (ours, theirs)
            if not ours and not retain:
                self.torch_partly_freed |= cut
        if ours:
            if not retain:
                self.torch_partly_freed |= h.root.history
            assert MODIFIED in ours or (FREED in ours and h.root.history & self.freed), ours
            assert all(leaf.d.grad is None for leaf in self.leaves)
            return
        if not retain:
            self.freed |= h.root.history
        got = [_grad(leaf.d) for leaf in self.leaves]
        if theirs == "":
            for g, leaf in zip(got, self.leaves):
                np.testing.assert_allclose(g, _grad(leaf.t), rtol=1e-9, atol=1e-12)
        tainted = any(g.data_writes != n for g, n in h.root.reads.items())
        jac = h.jac
        if tainted or not np.all(np.isfinite(jac)) or not np.all(np.isfinite(h.value)):
            return
        want = np.tensordot(weights, jac, axes=h.value.ndim)
        for k, g in enumerate(got):
            np.testing.assert_allclose(g, want[6 * k:6 * k + 6].reshape(SHAPE), rtol=1e-9,
                                       atol=1e-12)

    # -------------------------------------------------------------- invariants
    @invariant()
    def values_and_flags_agree(self):
        for h in getattr(self, "handles", ()):
            with np.errstate(all="ignore"):
                np.testing.assert_allclose(h.d.detach().numpy(), h.value, rtol=1e-12,
                                           atol=1e-12)
            assert h.d.requires_grad == h.requires_grad
            if h.t is not None:
                np.testing.assert_allclose(h.t.detach().numpy(), h.value, rtol=1e-12,
                                           atol=1e-12)
                assert h.t.requires_grad == h.requires_grad


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _run(fn) -> str:
    """Run ``fn``: "" if it succeeded, else the RuntimeError's message."""
    try:
        fn()
    except RuntimeError as err:
        return str(err) or type(err).__name__
    return ""


def _grad(t):
    return np.zeros(SHAPE) if t.grad is None else np.asarray(t.grad.detach().numpy())


# cheap steps: at least 100 programs of up to 50 steps (a few seconds under the ci profile)
SETTINGS = settings(max_examples=max(settings.default.max_examples, 100), stateful_step_count=50,
                    report_multiple_bugs=False)
Programs.TestCase.settings = SETTINGS
test_programs_against_the_reference = Programs.TestCase


def test_a_data_write_between_two_reads_of_a_group_keeps_the_jacobian_stale():
    """``y = x.sin(); x.data *= 3; (x * y).sum().backward()``: sin's backward reads the
    current x (``.data`` is untracked, as in PyTorch), not the x its Jacobian was taken at.
    The reference must keep the older read of x's group (hypothesis found it: the later
    read used to overwrite it, and the stale Jacobian was taken as the truth)."""
    machine = Programs()
    machine.start(seed=0)
    machine.unary(i=0, kind="sin", grad=True)  # handle 3 = sin(x), x = handle 0
    machine.write_through_data(i=0)
    machine.binary(i=0, j=3, kind="mul", grad=True)  # handle 4 = x * sin(x)
    machine.values_and_flags_agree()
    assert machine.handles[4].root.reads[machine.handles[0].root.group] == 0
    machine.backward(i=4, retain=False)


def test_pytorch_runs_the_history_copy_overwrote_and_dualad_does_not():
    """``y = x.sin(); x += 0.5 (no_grad); y.copy_(x); y.sum().backward()``: PyTorch raises
    (its CopyBackwards runs sin's node with a zero gradient and finds x modified), dualad
    drops the overwritten history and gives the right gradient, ones (hypothesis found it
    at the thorough profile)."""
    torch = pytest.importorskip("torch")

    class WithTorch(Programs):
        pass

    WithTorch.torch = torch
    machine = WithTorch()
    machine.start(seed=0)
    machine.unary(i=0, kind="sin", grad=True)  # handle 3 = sin(x), x = handle 0
    machine.in_place(i=0, j=0, kind="add_", grad=False)
    machine.in_place(i=3, j=0, kind="copy_", grad=True)
    machine.values_and_flags_agree()
    machine.backward(i=3, retain=False)
    np.testing.assert_array_equal(_grad(machine.handles[0].d), np.linspace(0.5, 1.5, 6)
                                  .reshape(SHAPE))


def test_programs_against_the_reference_and_torch():
    torch = pytest.importorskip("torch")

    class WithTorch(Programs):
        pass

    WithTorch.torch = torch
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(WithTorch, settings=SETTINGS)

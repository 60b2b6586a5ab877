"""Graph nodes: the reverse-mode record of one op application.

A node knows its inputs' gradient edges (``next_functions``), the tensors it
saved for its rules (checked against their version counters), and how to
turn the gradient of its output(s) into one cotangent per input. Nodes hold
no op knowledge: an :class:`OpNode` calls its op's registered rules.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .._state import census, sequence_ids, state
from ..registry import Op, set_node_type
from ..tensor import Tensor, _wrap, own_meta
from .anomaly import creation_trace


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list, hook: Any) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class _Extras:
    """What few nodes have: hooks, retained tensors, an anomaly-mode creation trace."""

    __slots__ = ("prehooks", "posthooks", "retained", "trace", "saved_output")

    def __init__(self) -> None:
        self.prehooks: list | None = None
        self.posthooks: list | None = None
        self.retained: list | None = None
        self.trace: str | None = None
        self.saved_output: SavedTensor | None = None  # the output, packed by hooks


class Node:
    """Base of all graph nodes (``grad_fn`` objects)."""

    # ``_extras`` is None for most nodes: one slot to set when recording and to test in the
    # engine's fast path, instead of four. ``seq`` numbers the nodes in the order they are
    # made, each after the nodes its edges lead to: the engine runs them by falling ``seq``.
    __slots__ = ("seq", "_extras", "__weakref__")
    num_outputs = 1
    low = -1  # see OpNode: nodes of other kinds are always looked at before a backward pass
    if TYPE_CHECKING:  # what every kind of node has (a slot or a property in each)
        next_edges: tuple
        seq: int
        _extras: _Extras | None
        out_meta: list  # the (shape, dtype) of each output (of a node with several)

        def apply(self, grads: list) -> list: ...

    def name(self) -> str:
        return type(self).__name__

    @property
    def next_functions(self) -> tuple:
        return tuple((None, 0) if e is None else tuple(e) if type(e) is Edge else (e, 0)
                     for e in self.next_edges)

    def _add_extra(self, field: str, entry: Any) -> RemovableHandle:
        """Append ``entry`` to the list ``field`` of the node's extras (made on first use)."""
        if self._extras is None:
            self._extras = _Extras()
        entries = getattr(self._extras, field)
        if entries is None:
            entries = []
            setattr(self._extras, field, entries)
        entries.append(entry)
        return RemovableHandle(entries, entry)

    def register_prehook(self, hook: Callable[[Any], Any], output_nr: int = 0) -> RemovableHandle:
        """``hook(grad)`` on the gradient of output ``output_nr`` before this node's backward
        runs; a returned gradient (same shape and dtype) replaces it. ``Tensor.register_hook``
        registers here, with the tensor's output number."""
        return self._add_extra("prehooks", (output_nr, hook))

    def register_hook(self, hook: Callable[[tuple, tuple], Any]) -> RemovableHandle:
        """``hook(grad_inputs, grad_outputs)`` after this node's backward runs (tuples, one
        entry per input and per output); a returned sequence replaces ``grad_inputs``."""
        return self._add_extra("posthooks", hook)

    def _retain(self, tensor: Tensor) -> None:
        self._add_extra("retained", (output_nr(tensor), weakref.ref(tensor)))

    @property
    def trace(self) -> str | None:
        """Where the node was created (recorded under ``detect_anomaly`` only)."""
        return None if self._extras is None else self._extras.trace

    def _set_trace(self) -> None:
        self._extras = _Extras()
        self._extras.trace = creation_trace()

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    def release(self) -> None:
        """Free what the node saved for its rules (a backward pass without retain_graph)."""

    def check_versions(self) -> None:
        """Raise if this node was freed, or a tensor it saved (or its saved output) was
        modified in place since: before a backward pass writes any gradient."""

    def _init_base(self) -> None:
        self.seq = next(sequence_ids)
        self._extras = None
        if state.anomaly:
            self._set_trace()


class AccumulateGrad(Node):
    """The node at a leaf: adds the incoming gradient into ``leaf.grad``."""

    __slots__ = ("variable", "next_edges")

    def __init__(self, variable: Tensor) -> None:
        self._init_base()
        self.variable = variable
        self.next_edges = ()


def accumulator_of(t: Tensor) -> AccumulateGrad:
    """The (shared) AccumulateGrad node of a leaf that requires grad."""
    meta = t._meta  # (read directly: this runs for every use of a leaf)
    if meta is not None and meta.alias_of is not None:
        t = meta.alias_of
        meta = t._meta
    ref = None if meta is None else meta.accumulator
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(t)
        own_meta(t).accumulator = weakref.ref(node)
    return node


# An edge of the graph (an entry of ``next_edges``) is the node that receives the gradient
# of an input, or an :class:`Edge` when the gradient goes to output 1, 2, ... of a node with
# several: no object for the common case, so a node keeps one GC-tracked object fewer per
# input (every collection walks them all). ``edge_node``/``edge_output`` read either.

class Edge(NamedTuple):
    """An edge to output ``output_nr`` (not 0) of ``node``."""

    node: Node
    output_nr: int


def edge_of(t: Tensor) -> Node | Edge | None:
    """The edge to the node that receives ``t``'s gradient (None if it needs none)."""
    if not t.requires_grad_flag:
        return None
    node = t.grad_fn
    if node is None:
        return accumulator_of(t)
    nr = output_nr(t)
    return node if nr == 0 else Edge(node, nr)


def output_nr(t: Tensor) -> int:
    """Which output of its ``grad_fn`` the tensor is (0 for all but multi-output nodes)."""
    return 0 if t._meta is None else t._meta.output_nr


def edge_node(edge: Node | Edge) -> Node:
    """The node an edge leads to."""
    return edge.node if type(edge) is Edge else edge  # type: ignore[return-value]


def edge_output(edge: Node | Edge) -> int:
    """Which output of its node an edge feeds."""
    return edge.output_nr if type(edge) is Edge else 0


_INFERENCE = ("Inference tensors cannot be used in a computation recorded by autograd "
              "(op {op}): tensors made under dualad.inference_mode() can never enter a graph. "
              "Make a normal tensor with .clone() outside inference_mode, or use no_grad() "
              "instead of inference_mode().")


def _modified_message(data: Any, which: str, version: int, expected: int) -> str:
    return ("one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{data.dtype} tensor of shape {list(data.shape)}], which is "
            f"{which}, is at version {version}; expected version {expected} instead. Hint: "
            "clone the tensor before modifying it in place, or do the in-place operation "
            "after backward. A slice or row read from an array that is written afterwards "
            "counts (traj[i + 1] = f(traj[i]) saves the view traj[i], then writes into traj): "
            "read a copy, f(traj[i].clone()), or keep the running value in a variable and "
            "collect the rows in a list for da.stack.")


class SavedTensor:
    """A tensor saved for backward, with its version at save time (and packed by hooks)."""

    __slots__ = ("value", "version", "tensor", "unpack")

    def __init__(self, t: Any) -> None:
        self.value = t
        self.unpack: Callable[[Any], Any] | None = None
        self.tensor: Tensor | None = None  # the tensor whose version is checked
        self.version = 0  # the tensor's version when saved
        if isinstance(t, Tensor):
            meta = t._meta
            if meta is not None and meta.inference:
                raise RuntimeError(
                    "Inference tensors cannot be saved for backward. To work around you can "
                    "make a clone to get a normal tensor and use it in autograd.")
            self.version = 0 if t._vc is None else t._vc.value
            if state.saved_hooks:
                pack, self.unpack = state.saved_hooks[-1]
                self.value = pack(t)
            else:
                self.tensor = t

    def check(self, name: Callable[[], str], index: int) -> None:
        """Raise if the tensor was modified in place since it was saved (as input ``index``
        of the node ``name()`` names: called only to raise)."""
        t = self.tensor
        if t is not None and (0 if t._vc is None else t._vc.value) != self.version:
            raise RuntimeError(_modified_message(t._data, f"input {index} of {name()}",
                                                 t._version, self.version))

    def get(self, name: Callable[[], str], index: int) -> Any:
        """The saved value (unpacked by the saved-tensor hooks), checked first."""
        self.check(name, index)
        if self.unpack is not None:
            return self.unpack(self.value)
        return self.value


def _input_meta(args: tuple, edges: list, packed: Any) -> tuple[tuple, int]:
    """``OpNode.in_meta``: the data array (:func:`shape_only`; its shape and dtype cannot
    change), or (shape, dtype) under saved-tensor hooks, of each input with an edge (None
    for the others), and the bit mask of the inputs given a stand-in. (``in_meta`` is None
    instead when every input with an edge has the output's shape and dtype: the usual case.)
    A tuple of arrays and None: the GC untracks it. (A loop: a comprehension would make
    ``packed`` a closure cell per call.)"""
    meta: list = []
    big = 0
    i = 0
    for a, e in zip(args, edges):
        if e is None:
            meta.append(None)
        else:
            data = a._data
            if data.nbytes > _HOLD_BYTES:
                big |= 1 << i
                data = shape_only(data)
            meta.append((data.shape, data.dtype) if packed else data)
        i += 1
    return tuple(meta), big


def shape_only(data: np.ndarray) -> np.ndarray:
    """``data`` if it is small, else a read-only stand-in with its shape and dtype that
    holds no memory (every element nan, or 0 for a dtype without nan).

    A node keeps an input or output that no rule reads only for its shape and dtype; a
    large one is replaced by this stand-in, so the graph does not keep it alive (as in
    PyTorch: holding every intermediate of a large computation until the backward pass
    costs memory and, through the allocator, fresh pages on every call). A rule that read
    its values anyway would get nan, which the tests catch (``_HOLD_BYTES = -1`` there).

    >>> shape_only(np.zeros(10**6)).strides
    (0,)
    """
    return data if data.nbytes <= _HOLD_BYTES else stand_in(data)


def stand_in(data: Any) -> np.ndarray:
    """A read-only array with ``data``'s shape and dtype that holds no memory (see
    :func:`shape_only`)."""
    dtype = data.dtype
    base = _STAND_IN_BASES.get(dtype)
    if base is None:
        base = np.zeros(1, dtype)
        if dtype.kind in "fc":
            base[0] = np.nan
        base.flags.writeable = False
        _STAND_IN_BASES[dtype] = base
    return np.ndarray(data.shape, dtype, base, 0, (0,) * data.ndim)


_HOLD_BYTES = 1 << 16  # arrays up to this size are held as they are (see shape_only)
_STAND_IN_BASES: dict = {}  # dtype -> the read-only one-element array stand-ins view


@contextmanager
def stand_ins_everywhere() -> Iterator[None]:
    """Within: nodes recorded hold stand-ins for arrays of every size (a test of what the
    rules read: see ``dualad.testing.check_saved_values``). The switch is process-wide,
    so other threads' nodes get stand-ins meanwhile too, which changes no gradient of an
    op whose ``saves``/``reads``/``reads_output`` are right."""
    global _HOLD_BYTES
    previous, _HOLD_BYTES = _HOLD_BYTES, -1
    try:
        yield
    finally:
        _HOLD_BYTES = previous


def _save_all(args: tuple, keep: tuple, packed: Any, drop: bool) -> tuple:
    """What a node holds for each input (see :class:`OpNode`): a tensor kept (its index in
    ``keep``) as it is, or as a SavedTensor under saved-tensor hooks (``packed``) or at a
    version other than 0; only the data of one not kept if ``drop``; other values as they are.

    (A function, not inline in ``OpNode.record``: only its rarer cases come here.)
    """
    saved = list(args)
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            if i not in keep:
                if drop:
                    saved[i] = a._data
            elif packed or (a._vc is not None and a._vc.value != 0):
                saved[i] = SavedTensor(a)
    return tuple(saved)


_ndarray, _float64, _FLOAT64 = np.ndarray, np.float64, np.dtype(np.float64)
_NO_PARAMS: Any = MappingProxyType({})  # the params of the many ops that take none (shared)

_FREED = ("Trying to backward through the graph a second time (or directly access saved "
          "tensors after they have already been freed). Saved intermediate values of the "
          "graph are freed when you call .backward() or autograd.grad(). Specify "
          "retain_graph=True if you need to backward through the graph a second time or if "
          "you need to access saved tensors after calling backward.")


class OpNode(Node):
    """The record of one registered op: inputs saved as needed, output data kept for rules."""

    # The edges live in slots, not in a list: a list per node would be a second object for
    # the cyclic GC to track, and every collection walks all of them (half of the GC time
    # of recording a long chain).
    # ``epoch``: census.inplace when recorded (while the count is unchanged, no tensor was
    # modified in place since, so the version check can be skipped), or -1 once freed.
    # ``low``: the lowest census.changes at which a node of the graph below (this one
    # included) was recorded, or -1 if that graph has nodes other than op nodes and leaves'
    # accumulators: while it equals census.changes, no node below is stale or freed.
    __slots__ = ("op", "saved", "params", "out_data", "out_tangents", "in_meta", "epoch",
                 "out_vc", "_arity", "_edge0", "_edge1", "_edges_more", "raw_saved", "low")

    # No __init__: ``OpNode()`` then ``record`` is cheaper than a class call running a Python
    # ``__init__`` (or than ``object.__new__(OpNode)``).
    def record(self, op: Op, args: tuple, params: dict, out: Tensor, datas: list,
               out_value: Any) -> None:
        """Fill in a new node (``registry.apply`` calls ``OpNode().record(...)``).

        ``out_value``: the output's data for the rules: ``out._data``, or the NumPy scalar
        the forward returned (see ``Hints.scalar_forward``), which stands for it here.
        """
        # The hot path of recording: _init_base inlined, and few allocations per node (each
        # GC-tracked object that a node keeps alive costs again in every collection).
        # ``saved`` holds one entry per input: the input itself where the rules of the inputs
        # with edges read it (``Hints.keeps``; every input when the op declares no ``reads``),
        # a SavedTensor instead where such an input is at a version other than 0 or
        # saved-tensor hooks are active, and the data array (for its shape) of a tensor that
        # is not kept (``datas``, from ``apply``: the arguments with each tensor replaced by
        # its data array, is that tuple when no tensor is kept; ``raw_saved`` says so). A
        # raw tensor in ``saved`` means "saved at version 0" (see ``check_versions``).
        # ``in_meta``: see _input_meta.
        self._extras = None
        packed = None
        if census.recording:  # some thread records specially: is it this one?
            if state.anomaly:
                self._set_trace()
            packed = state.saved_hooks
        self.op = op
        self.params = params if params else _NO_PARAMS
        self.epoch = census.inplace
        out_data = out._data
        big_out = type(out_value) is not _float64 and out_data.nbytes > _HOLD_BYTES
        n = len(args)
        edges: list = [None] * n
        low = census.changes
        mask = 0
        tensors = 0  # bit i: input i is a tensor
        plain = not packed  # every input can be kept as it is
        same = plain  # every input with an edge has the output's shape and dtype
        i = 0
        for a in args:
            if isinstance(a, Tensor):
                tensors |= 1 << i
                meta = a._meta
                if meta is not None and meta.inference:
                    raise RuntimeError(_INFERENCE.format(op=op.name))
                if a.requires_grad_flag:  # else no edge: its cotangent and meta are never needed
                    node = a.grad_fn
                    if node is None:
                        edges[i] = accumulator_of(a)
                    else:
                        edges[i] = node if meta is None else edge_of(a)
                        if node.low < low:
                            low = node.low
                    mask |= 1 << i
                    if same:
                        data = a._data
                        same = data.shape == out_data.shape and data.dtype == out_data.dtype
                if a._vc is not None and a._vc.value != 0:
                    plain = False
            i += 1
        self._arity = n
        self._edge0 = edges[0] if n else None
        self._edge1 = edges[1] if n > 1 else None
        self._edges_more = tuple(edges[2:]) if n > 2 else None
        self.out_data = out_value
        if same:
            self.in_meta = None
            big = mask if big_out else 0  # the inputs with edges that are large
        else:
            self.in_meta, big = _input_meta(args, edges, packed)
        # ``op.hints`` is resolved (``register_op``): ``saves`` is a tuple, and ``drops`` and
        # ``keep_masks`` are set where ``keeps`` is; the ignores below are for mypy, which
        # sees the fields' declared Optional types.
        hints = op.hints
        keeps = hints.keeps
        self.raw_saved = False  # saved holds no tensor: data arrays and constants only
        if keeps is None:
            self.saved = args if plain else \
                _save_all(args, hints.saves, packed, False)  # type: ignore[arg-type]
        else:
            drop = hints.drops[mask]  # type: ignore[index]
            if not plain:
                self.saved = _save_all(args, keeps[mask], packed, True)
            elif not hints.keep_masks[mask] & tensors:  # type: ignore[index]
                # no tensor kept: data arrays and constants
                self.saved = tuple(datas)
                self.raw_saved = True
            elif drop:
                saved = list(args)
                for i in drop:
                    a = saved[i]
                    if isinstance(a, Tensor):
                        saved[i] = a._data
                self.saved = tuple(saved)
            else:
                self.saved = args
        if big or big_out:  # large arrays: hold only the shapes of those no rule reads
            self._hold_shapes_only(big, mask)
        if packed and mask & hints.output_readers:  # saved-tensor hooks pack the output too
            self._pack_output(out)
        self.out_tangents = None
        # the rules read the output's storage: remember its version counter (fresh: version 0)
        self.out_vc = out._version_counter() if hints.saves_output else None
        self.low = low
        self.seq = next(sequence_ids)  # last: above the accumulators made for the edges

    def _pack_output(self, out: Tensor) -> None:
        """Under saved-tensor hooks the output the rules read is packed like the inputs (as
        in PyTorch); the node keeps a stand-in for its shape and :meth:`output` unpacks.
        The nodes that have one take the engine's general path (their ``_extras``)."""
        if self._extras is None:
            self._extras = _Extras()
        self._extras.saved_output = SavedTensor(out)
        self.out_data = stand_in(self.out_data)

    def _hold_shapes_only(self, big: int, mask: int) -> None:
        """Replace the output, and the inputs in the bit mask ``big`` (large inputs with
        edges), by stand-ins (see :func:`shape_only`) where no rule of the inputs in
        ``mask`` reads them."""
        op = self.op
        if not mask & op.hints.output_readers:
            self.out_data = shape_only(self.out_data)
        if not big or op.hints.keeps is None:  # an op without reads: its rules read every input
            return
        saved = list(self.saved)
        for i in op.hints.drops[mask]:  # type: ignore[index]  # (resolved: set with keeps)
            if big >> i & 1 and type(saved[i]) is _ndarray:
                saved[i] = shape_only(saved[i])
        self.saved = tuple(saved)

    @property
    def next_edges(self) -> tuple:  # type: ignore[override]  # (a slot in other node kinds)
        """One edge per input (None for an input that needs no gradient).

        The engine's hot loops read ``(node._edge0, node._edge1)`` instead when
        ``_edges_more`` is None (at most two inputs): the same edges, padded with
        a None for a one-input op, without a property call per node.
        """
        n = self._arity
        if n == 1:
            return (self._edge0,)
        if n == 2:
            return (self._edge0, self._edge1)
        return (self._edge0, self._edge1)[:n] + (self._edges_more or ())

    def name(self) -> str:
        return self.op.node_name

    def resave(self, args: tuple) -> None:
        """Save ``args`` (the same values, with their tangents) instead of the stripped ones."""
        saved = list(self.saved)
        for i in self.kept():
            if isinstance(args[i], Tensor):
                saved[i] = SavedTensor(args[i])
        self.saved = tuple(saved)
        self.raw_saved = False

    def _edge_mask(self) -> int:
        """The bit mask of the inputs with edges (``mask`` in :meth:`record`)."""
        return sum(1 << i for i, e in enumerate(self.next_edges) if e is not None)

    def kept(self) -> tuple:
        """The indices of the inputs this node keeps for its rules."""
        keeps = self.op.hints.keeps
        if keeps is None:
            return self.op.hints.saves  # type: ignore[return-value]  # (resolved: a tuple)
        return keeps[self._edge_mask()]

    def kept_output(self) -> bool:
        """Whether this node keeps its output's values for its rules (or was freed)."""
        return self.epoch < 0 or bool(self._edge_mask() & self.op.hints.output_readers)

    def output(self) -> Tensor:
        if self.epoch < 0:
            raise RuntimeError(_FREED)
        vc = self.out_vc
        if vc is not None and vc.value != 0:
            raise RuntimeError(_modified_message(self.out_data, f"output 0 of {self.name()}",
                                                 vc.value, 0))
        extras = self._extras
        if extras is not None and extras.saved_output is not None:
            value = extras.saved_output.get(self.name, 0)
            out = _wrap(value._data if isinstance(value, Tensor) else np.asarray(value))
        else:
            out = _wrap(self.out_data)
        out.grad_fn = self
        out.requires_grad_flag = True
        out._tangents = self.out_tangents
        return out

    @property
    def freed(self) -> bool:
        """Whether a backward pass freed the saved values."""
        return self.epoch < 0

    def check_versions(self) -> None:
        """Raise if an input the rules read, or the output, was modified in place since."""
        if self.epoch < 0:
            raise RuntimeError(_FREED)
        saved = self.saved
        # raw: no tensor to check; (resolved hints: saves is a tuple)
        for i in () if self.raw_saved else self.op.hints.saves:  # type: ignore[union-attr]
            s = saved[i]
            if type(s) is SavedTensor:
                s.check(self.name, i)
            elif isinstance(s, Tensor) and s._vc is not None and s._vc.value != 0:
                raise RuntimeError(_modified_message(s._data, f"input {i} of {self.name()}",
                                                     s._vc.value, 0))
        vc = self.out_vc
        if vc is not None and vc.value != 0:
            self.output()  # raises likewise for a modified saved output

    def inputs(self, check: bool = True) -> list:
        if check:
            self.check_versions()
        inputs = list(self.saved)  # a loop, not a comprehension: no closure cell for self
        for i, s in enumerate(inputs):
            if type(s) is SavedTensor:
                inputs[i] = s.get(self.name, i)
        return inputs

    def raw_inputs(self, check: bool) -> Sequence:
        """The inputs the rules get on the raw-array paths: data arrays (and constants).

        ``check=False`` skips the version checks when the engine has just done them
        (no user code ran since).
        """
        if check:
            self.check_versions()
        if self.raw_saved:
            return self.saved
        inputs: list = []
        scalars = self.op.hints.scalar_forward is not None  # its rules compute on scalars as well
        for s in self.saved:
            tp = type(s)
            if tp is Tensor:
                s = s._data
                if scalars and not s.ndim and s.dtype is _FLOAT64:
                    s = s[()]  # as registry.apply does (see Hints.scalar_forward)
            elif tp is SavedTensor:
                s = s.get(self.name, len(inputs))
                if isinstance(s, Tensor):
                    s = s._data
            elif tp is not _ndarray and isinstance(s, Tensor):  # a subclass (Parameter)
                s = s._data
            inputs.append(s)
        return inputs

    def release(self) -> None:
        if self.op.hints.saves or self.op.hints.saves_output:
            self.epoch = -1
            self.saved = None  # type: ignore[assignment]  # (freed: readers check epoch)
            self.raw_saved = False
            self.in_meta = None
            self.out_data = None
            self.out_tangents = None
            if self._extras is not None:
                self._extras.saved_output = None

    # PyTorch-style access to saved values. Properties, not ``__getattr__``: a class with
    # ``__getattr__`` makes every attribute access on its nodes slower, in the engine too.
    def _saved_input(self, index: int, name: str) -> Any:
        if index >= len(self.next_edges):
            raise AttributeError(f"{self.name()} has no attribute {name!r}")
        if self.freed:
            raise RuntimeError(_FREED)
        value = self.saved[index]
        if type(value) is np.ndarray and index not in self.kept():
            return None  # not saved: the rules of the differentiated inputs do not read it
        return value.get(self.name, index) if type(value) is SavedTensor else value

    _saved_self = property(lambda self: self._saved_input(0, "_saved_self"))
    _saved_other = property(lambda self: self._saved_input(1, "_saved_other"))
    _saved_exponent = property(lambda self: self._saved_input(1, "_saved_exponent"))
    _saved_result = property(lambda self: self.output() if self.kept_output() else None)


set_node_type(OpNode)  # registry.apply records OpNodes (a hook: registry is a lower layer)

"""Thread-local state shared by the layers: grad mode, dual levels, hooks, policies.

Every flag that changes how ops are recorded lives here, in one
``threading.local`` object, so that two threads never see each other's mode.
"""

from __future__ import annotations

import itertools
import operator
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .nondiff import track


class _Census:
    """How many threads are in each rare mode, counted over all threads.

    Reading a ``threading.local`` attribute costs several times a plain one, so
    each hot path reads the count that guards it first and looks at its own
    thread's flag only when the count is not 0 (then the mode may be on in
    this thread): ``apply`` reads ``grad_off`` (grad recording off: no_grad,
    inference mode, a backward pass), ``_wrap`` reads ``inference``, a node
    being recorded reads ``recording`` (anomaly detection, saved-tensor hooks),
    and the rules read ``policy`` (a kink policy other than the default, a kink
    tracker, strong_zero). A count is of flags, so one thread may add several;
    a thread that ends inside a mode leaves its count above 0: slower, never
    wrong.

    ``inplace`` counts the in-place modifications of tensors so far (see
    ``tensor.bump_version``): a graph node recorded when it had its present
    value saved nothing that has changed since, so its version check can be
    skipped.

    ``changes`` counts those modifications and the backward passes that freed
    graphs: a graph whose oldest node was recorded at the present count has no
    stale or freed node (``OpNode.low``), so ``backward`` need not look.
    """

    __slots__ = ("grad_off", "inference", "recording", "policy", "inplace", "changes")

    def __init__(self) -> None:
        self.grad_off = self.inference = self.recording = self.policy = self.inplace = 0
        self.changes = 0


census = _Census()
census_lock = threading.Lock()


_UNSET = object()


# A ``dualad.func`` transform running in this thread (an entry of ``state.transforms``):
# ``(name, inputs, level)``: its name ("grad"...), the private inputs a reverse transform
# differentiates with respect to (leaves, or clones of an enclosing transform's values)
# and the dual level a forward transform opened (else None). A value whose graph reaches
# one of these inputs, or that carries a tangent at that level, is being differentiated:
# dualad._methods refuses to turn it into a Python number or a NumPy array (DESIGN.md,
# "Never a silent zero"). A plain tuple: one is made per transform call (w8.func's path).
Differentiating = tuple[str, Sequence[Any], int | None]


def _rare_mode(name: str, count: str, rare: Callable[[Any], bool] = bool) -> property:
    """A thread-local flag counted in ``census.<count>`` while ``rare(value)``."""
    slot = "_" + name

    def set_(self: _ThreadState, value: Any) -> None:
        old = getattr(self, slot, _UNSET)
        change = bool(rare(value)) - (old is not _UNSET and bool(rare(old)))
        setattr(self, slot, value)
        if change:
            with census_lock:
                setattr(census, count, getattr(census, count) + change)

    return property(operator.attrgetter(slot), set_)  # a C getter: no Python frame per read


class _ThreadState(threading.local):
    # assign a new list to saved_hooks and kink_trackers (never mutate them), so that the
    # census sees the change
    if TYPE_CHECKING:  # the types of the counted flags (properties at run time)
        grad_enabled: bool
        inference: bool
        anomaly: bool
        saved_hooks: list[tuple[Callable[[Any], Any], Callable[[Any], Any]]]  # (pack, unpack)
        kink_policy: str
        strong_zero: bool
        kink_trackers: list[track]
    else:
        grad_enabled = _rare_mode("grad_enabled", "grad_off", rare=operator.not_)
        inference = _rare_mode("inference", "inference")
        anomaly = _rare_mode("anomaly", "recording")
        saved_hooks = _rare_mode("saved_hooks", "recording")
        kink_policy = _rare_mode("kink_policy", "policy",
                                 rare=lambda name: name != "subgradient")
        strong_zero = _rare_mode("strong_zero", "policy")
        kink_trackers = _rare_mode("kink_trackers", "policy")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.inference = False
        self.levels: list[int] = []  # active dual levels, innermost last
        self.level_batch: dict[int, int] = {}  # batched dual levels: level -> batch size
        self.saved_hooks = []  # (pack, unpack) pairs, innermost last
        self.anomaly = False
        self.anomaly_check_nan = True
        self.kink_policy = "subgradient"
        self.strong_zero = False
        self.kink_trackers = []
        # What runs now, read by dualad.nondiff (no frame inspection): the graph node whose
        # backward rules run (set by the engine only while kinks_watched(): free otherwise),
        # and the inputs with tangents while an op's jvp rules run (set by
        # registry._apply_dual; not None means "inside a jvp rule").
        self.rule_node: Any = None
        self.tangent_inputs: tuple | None = None
        self.transforms: list[Differentiating] = []  # the running func transforms, innermost last
        self.vmap_levels: list[tuple[int, int]] = []  # running vmaps: (level, batch size)


state = _ThreadState()
level_ids = itertools.count(1)
sequence_ids = itertools.count()


def kinks_watched() -> bool:
    """Whether dualad.nondiff watches this thread's rules (a kink tracker, or policy
    ``"raise"``): then the backward pass sets ``state.rule_node`` around each node's rules
    (the engine's _WatchedTensorRules). Read it after ``census.policy`` (it is 0 when
    nothing watches)."""
    return bool(state.kink_trackers) or state.kink_policy == "raise"

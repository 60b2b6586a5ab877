"""Thread-local state shared by the layers: grad mode, dual levels, hooks, policies.

Every flag that changes how ops are recorded lives here, in one
``threading.local`` object, so that two threads never see each other's mode.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any


class _Census:
    """How many (thread, mode) pairs are in a rare recording mode, in any thread: grad
    recording off, inference mode, anomaly detection, saved-tensor hooks.

    Reading a ``threading.local`` attribute costs several times a plain one, so
    the hot paths (recording an op, wrapping a result) read ``census.modes``
    first and look at their own thread's modes only when it is not 0: then a
    mode may be on in this thread. A thread that ends inside a mode leaves the
    count above 0: slower, never wrong.
    """

    __slots__ = ("modes",)

    def __init__(self) -> None:
        self.modes = 0


census = _Census()
_census_lock = threading.Lock()


def _rare_mode(name: str, usual: bool = False) -> property:
    """A thread-local flag counted in :data:`census` while its truth is not ``usual``."""
    slot = "_" + name

    def get(self: _ThreadState) -> Any:
        return getattr(self, slot)

    def set_(self: _ThreadState, value: Any) -> None:
        change = (bool(value) != usual) - (bool(getattr(self, slot, usual)) != usual)
        setattr(self, slot, value)
        if change:
            with _census_lock:
                census.modes += change

    return property(get, set_)


class _ThreadState(threading.local):
    # assign a new list to saved_hooks (never mutate it), so that the census sees the change
    grad_enabled = _rare_mode("grad_enabled", usual=True)
    inference = _rare_mode("inference")
    anomaly = _rare_mode("anomaly")
    saved_hooks = _rare_mode("saved_hooks")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.inference = False
        self.levels: list[int] = []  # active dual levels, innermost last
        self.level_batch: dict[int, int] = {}  # batched dual levels: level -> batch size
        self.saved_hooks: list[tuple] = []  # (pack, unpack) pairs, innermost last
        self.anomaly = False
        self.anomaly_check_nan = True
        self.kink_policy = "subgradient"
        self.strong_zero = False
        self.kink_trackers: list = []
        self.tangent_inputs: tuple | None = None  # inside a jvp rule: inputs with tangents
        self.array_rules = False  # inside a vjp rule run on raw arrays: ops return raw arrays


state = _ThreadState()
level_ids = itertools.count(1)
sequence_ids = itertools.count()

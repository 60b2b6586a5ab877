"""Thread-local state shared by the layers: grad mode, dual levels, hooks, policies.

Every flag that changes how ops are recorded lives here, in one
``threading.local`` object, so that two threads never see each other's mode.
"""

from __future__ import annotations

import itertools
import threading


class _ThreadState(threading.local):
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

"""Hooks on saved tensors: ``saved_tensors_hooks(pack, unpack)``.

>>> import dualad as da
>>> packed = []
>>> x = da.tensor([1.0, 2.0], requires_grad=True)
>>> with da.autograd.graph.saved_tensors_hooks(lambda t: packed.append(t) or t, lambda t: t):
...     y = (x * x).sum()
>>> len(packed) > 0
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._state import state
from .node import Node

__all__ = ["saved_tensors_hooks", "Node"]


class saved_tensors_hooks:
    """Call ``pack(t)`` when a tensor is saved for backward and ``unpack(p)`` when it is used."""

    def __init__(self, pack_hook: Callable[[Any], Any], unpack_hook: Callable[[Any], Any]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        state.saved_hooks = state.saved_hooks + [(self.pack_hook, self.unpack_hook)]
        return self

    def __exit__(self, *exc: Any) -> None:
        state.saved_hooks = state.saved_hooks[:-1]

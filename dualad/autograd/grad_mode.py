"""Grad modes: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``.

Each is a context manager and a decorator, and the mode is thread-local.

>>> import dualad as da
>>> x = da.tensor(1.0, requires_grad=True)
>>> with da.no_grad():
...     y = x * 2
>>> y.requires_grad
False
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from contextlib import ContextDecorator
from typing import Any, TypeVar

from .._state import state

_F = TypeVar("_F", bound=Callable[..., Any])
_Mode = TypeVar("_Mode", bound="_GradMode")


class _GradMode(ContextDecorator):
    """Base: subclasses say what to set on entry; the previous mode is restored on exit.
    As a decorator, each call enters a fresh copy (``_recreate_cm``, ContextDecorator's
    hook): the previous mode is kept on the instance, and a call may recurse."""

    def _enter(self) -> None:
        raise NotImplementedError

    def __enter__(self: _Mode) -> _Mode:
        self._prev = (state.grad_enabled, state.inference)
        self._enter()
        return self

    def __exit__(self, *exc: Any) -> None:
        state.grad_enabled, state.inference = self._prev

    def _recreate_cm(self: _Mode) -> _Mode:
        return copy.copy(self)


class no_grad(_GradMode):
    """Record nothing inside: results do not require grad."""

    def _enter(self) -> None:
        state.grad_enabled = False


class enable_grad(_GradMode):
    """Record again inside a ``no_grad`` block."""

    def _enter(self) -> None:
        state.grad_enabled = True


class set_grad_enabled(_GradMode):
    """Turn recording on or off; works as a function, a context manager and a decorator."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._prev = (state.grad_enabled, state.inference)
        state.grad_enabled = self.mode

    def _enter(self) -> None:
        state.grad_enabled = self.mode

    def __enter__(self: _Mode) -> _Mode:
        self._enter()
        return self

    def __call__(self, fn: _F) -> _F:
        # used as a decorator: undo the switch made by __init__ at decoration time
        state.grad_enabled, state.inference = self._prev
        return super().__call__(fn)

    def _recreate_cm(self) -> set_grad_enabled:  # (its __init__ switches the mode)
        return set_grad_enabled(self.mode)


class inference_mode(_GradMode):
    """Like ``no_grad``, and the tensors made inside can never enter a recorded graph."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def _enter(self) -> None:
        if self.mode:
            state.grad_enabled = False
            state.inference = True


def is_grad_enabled() -> bool:
    return state.grad_enabled


def is_inference_mode_enabled() -> bool:
    return state.inference

"""Anomaly detection: name the op whose backward produced nan or inf, and where it was made.

>>> import dualad as da
>>> x = da.tensor(0.0, requires_grad=True)
>>> with da.autograd.detect_anomaly():
...     y = da.sqrt(x)
...     try:
...         y.backward()
...     except RuntimeError as e:
...         print(str(e).splitlines()[0])
Function 'SqrtBackward0' returned inf values in its 0th output.
"""

from __future__ import annotations

import os
import traceback
from contextlib import ContextDecorator
from typing import Any

from .._state import state

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def creation_trace() -> str:
    """The current call stack without dualad's own frames (where the user made a node)."""
    frames = [f for f in traceback.extract_stack()
              if not os.path.abspath(f.filename).startswith(_PACKAGE_DIR + os.sep)]
    return "".join(traceback.format_list(frames))


class detect_anomaly(ContextDecorator):
    """Context manager (and decorator): record creation traces, check backward for nan/inf."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> detect_anomaly:
        self._prev = state.anomaly
        state.anomaly = self.check_nan
        return self

    def __exit__(self, *exc: Any) -> None:
        state.anomaly = self._prev

    def _recreate_cm(self) -> detect_anomaly:  # a decorated call enters a fresh copy
        return detect_anomaly(self.check_nan)


def set_detect_anomaly(mode: bool) -> None:
    state.anomaly = bool(mode)


def is_anomaly_enabled() -> bool:
    return state.anomaly

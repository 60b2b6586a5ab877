"""Switch NumPy's divide/invalid/overflow warnings off and back on, cheaply.

``np.errstate`` makes a Python object and a new error-state object on every
use, about 10,000 instructions: once per backward pass, and once per call of a
forward that may give inf or nan where that is the answer (``log(0)``, ``1/0``).
NumPy 2 keeps the error state in a context variable, so this sets that
variable to a quiet state made once from the current one (kept as long as the
current state is the same object). Where that part of NumPy is missing or
does not behave as checked at import, it falls back to ``np.errstate``.

>>> import numpy as np
>>> token = quiet_on()
>>> float(np.float64(1.0) / 0.0)  # no RuntimeWarning
inf
>>> quiet_off(token)
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Literal, TypedDict

import numpy as np


class _Quiet(TypedDict):
    """The keywords of ``np.errstate`` that switch the three warnings off."""

    divide: Literal["ignore"]
    invalid: Literal["ignore"]
    over: Literal["ignore"]


_IGNORED: _Quiet = {"divide": "ignore", "invalid": "ignore", "over": "ignore"}
_Api = tuple[ContextVar[Any], Callable[..., Any]]  # (the context variable, make a state)


def _context_variable() -> _Api | None:
    """NumPy's error-state context variable and the function making a state, if they work."""
    try:
        from numpy._core.umath import _extobj_contextvar as var
        from numpy._core.umath import _make_extobj as make
    except ImportError:
        return None
    try:
        before = np.geterr()
        token = var.set(make(**_IGNORED))
        try:
            quiet = np.geterr()
        finally:
            var.reset(token)
        works = np.geterr() == before and quiet == {**before, **_IGNORED}
    except Exception:  # a different NumPy: use the public API
        return None
    return (var, make) if works else None


_API = _context_variable()
_made: tuple[Any, Any] = (None, None)  # (the state the quiet one was made from, the quiet one)


def quiet_on() -> Any:
    """Ignore divide, invalid and overflow errors (the rest of the state is kept) until
    :func:`quiet_off` is called with the returned token, in the same thread."""
    global _made
    if _API is None:
        state = np.errstate(**_IGNORED)
        state.__enter__()
        return state
    var, make = _API
    base = var.get()
    made_from, quiet = _made
    if made_from is not base:
        quiet = make(**_IGNORED)  # from the current state: under and the error callback kept
        _made = (base, quiet)
    return var.set(quiet)


def quiet_off(token: Any) -> None:
    """Restore the error state that :func:`quiet_on` replaced."""
    if _API is None:
        token.__exit__(None, None, None)
    else:
        _API[0].reset(token)

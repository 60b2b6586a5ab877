"""SymPy, imported on first use.

Only the symbolic export and the rule checks need SymPy, and importing it
costs about 0.4 s and some 40,000 long-lived objects (which every full
collection of the cyclic GC walks again). So the op tables, built when
``dualad`` is imported, hold stand-ins that import SymPy when first called.

>>> from dualad._sympy import sp, sympy_function
>>> sympy_function("sin")(0)
0
>>> sp.Integer(2) + 1
3
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class _LazySympy:
    """The ``sympy`` module, imported when one of its attributes is first read (inside a
    function; at import time use :func:`sympy_function`)."""

    def __getattr__(self, name: str) -> Any:
        import sympy

        value = getattr(sympy, name)
        setattr(self, name, value)  # found directly from now on
        return value


sp: Any = _LazySympy()


def sympy_function(name: str) -> Callable:
    """A callable standing for ``sympy.<name>`` that imports SymPy when first called."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(sp, name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"sympy.{name}, imported on first use."
    return call

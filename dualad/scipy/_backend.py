"""SciPy, imported when a forward first needs its numerics (SciPy is an optional extra).

Only the forward values of some functions come from SciPy; every derivative is written
with dualad ops. ``dualad.scipy`` imports without SciPy; a function that needs it says so
when called.

>>> from dualad.scipy._backend import scipy_forward
>>> float(scipy_forward("special", "gammaln")(3.0))  # log(2!)
0.6931471805599453
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

EXTRA = "pip install dualad[scipy]"


def scipy_module(name: str, needed_by: str = "") -> ModuleType:
    """``scipy.<name>``, imported now; a clear ImportError naming the extra without SciPy."""
    try:
        return importlib.import_module(f"scipy.{name}")
    except ImportError:
        who = needed_by or f"scipy.{name}"
        raise ImportError(f"{who} computes its values with SciPy, which is not installed: "
                          f"{EXTRA} (or pip install scipy)") from None


def scipy_forward(module: str, name: str) -> Callable[..., Any]:
    """A forward that calls ``scipy.<module>.<name>``, importing SciPy on its first call."""
    found: list[Callable[..., Any]] = []

    def forward(*args: Any, **kwargs: Any) -> Any:
        if not found:
            found.append(getattr(scipy_module(module, f"dualad.scipy.{module}.{name}"), name))
        return found[0](*args, **kwargs)

    forward.__name__ = name
    forward.__qualname__ = name
    return forward

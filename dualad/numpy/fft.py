"""``dualad.numpy.fft``: ``numpy.fft``'s names and semantics, differentiable.

Built like ``dualad.numpy`` (see ``dualad.numpy._namespace``): the interop table's
``numpy.fft`` entries first, then the functions of ``dualad.fft`` when it exists;
``fftfreq`` and ``rfftfreq`` are differentiable in the sample spacing ``d``; any
other name raises an ``AttributeError`` naming it.

>>> import dualad.numpy as np
>>> np.fft.fftfreq(4)
tensor([ 0.0000,  0.2500, -0.5000, -0.2500])
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from ..tensor import Tensor, _wrap
from . import _namespace


def fftfreq(n: int, d: Any = 1.0, *, device: Any = None) -> Tensor:
    """``numpy.fft.fftfreq``: the sample frequencies ``k / (n d)``, a Tensor; a Tensor
    ``d`` stays in the graph."""
    return _over_spacing(_np.fft.fftfreq(n), d)


def rfftfreq(n: int, d: Any = 1.0, *, device: Any = None) -> Tensor:
    """``numpy.fft.rfftfreq``: the non-negative sample frequencies, a Tensor; a Tensor
    ``d`` stays in the graph."""
    return _over_spacing(_np.fft.rfftfreq(n), d)


def _over_spacing(frequencies: _np.ndarray, d: Any) -> Tensor:
    out: Tensor = _wrap(frequencies) / d
    return out


_NAMESPACE = _namespace.Namespace("dualad.numpy.fft", _np.fft,
                                  explicit={"fftfreq": fftfreq, "rfftfreq": rfftfreq},
                                  dualad_module="dualad.fft")


__getattr__ = _namespace.module_getattr(_NAMESPACE, globals())
__all__ = _NAMESPACE.public_names()


def __dir__() -> list[str]:
    return list(__all__)

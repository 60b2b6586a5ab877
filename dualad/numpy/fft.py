"""``dualad.numpy.fft``: ``numpy.fft``'s names and semantics, differentiable.

Built like ``dualad.numpy`` (see ``dualad.numpy._namespace``): the interop table's
``numpy.fft`` entries first, then the functions of ``dualad.fft`` when it exists;
``fftfreq`` and ``rfftfreq`` carry no gradient; any other name raises an
``AttributeError`` naming it.

>>> import dualad.numpy as np
>>> np.fft.fftfreq(4)
tensor([ 0.0000,  0.2500, -0.5000, -0.2500])
"""

from __future__ import annotations

import numpy as _np

from . import _namespace

_NAMESPACE = _namespace.Namespace("dualad.numpy.fft", _np.fft, explicit={},
                                  dualad_module="dualad.fft")


__getattr__ = _namespace.module_getattr(_NAMESPACE, globals())
__all__ = _NAMESPACE.public_names()


def __dir__() -> list[str]:
    return list(__all__)

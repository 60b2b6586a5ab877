"""``dualad.numpy.linalg``: ``numpy.linalg``'s names and semantics, differentiable.

Built like ``dualad.numpy`` (see ``dualad.numpy._namespace``): the interop table's
``numpy.linalg`` entries first, then the functions of ``dualad.linalg`` when it exists;
``matrix_rank`` carries no gradient; ``LinAlgError`` is NumPy's; any other name raises
an ``AttributeError`` naming it.

>>> import dualad.numpy as np
>>> from dualad import func
>>> func.grad(lambda a: np.linalg.det(a))(np.array([[2.0, 1.0], [1.0, 3.0]]))
tensor([[ 3.0000, -1.0000],
        [-1.0000,  2.0000]])
"""

from __future__ import annotations

import numpy as _np

from . import _namespace

_NAMESPACE = _namespace.Namespace("dualad.numpy.linalg", _np.linalg, explicit={},
                                  dualad_module="dualad.linalg")


__getattr__ = _namespace.module_getattr(_NAMESPACE, globals())
__all__ = _NAMESPACE.public_names()


def __dir__() -> list[str]:
    return list(__all__)

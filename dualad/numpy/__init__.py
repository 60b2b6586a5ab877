"""``import dualad.numpy as np``: NumPy's names and semantics, differentiable.

Existing NumPy code differentiates through plain NumPy where NumPy can hand a
Tensor to dualad (``np.sin(t)``, ``np.sum(t)``: ``__array_ufunc__`` and
``__array_function__``). Where it cannot, this namespace can:

* ``np.array([x, y])`` and ``np.asarray`` of (nested) lists and tuples holding
  Tensors stack them (gradients flow); ``np.asarray(t)`` of a Tensor is ``t``;
* ``np.empty``, ``np.zeros``, ``np.ones``, ``np.full`` give dualad Tensors, so
  ``out[0] = x ** 2`` is a differentiable assignment;
* every NumPy function dualad supports, under NumPy's name with NumPy's semantics
  (``np.var`` has ``ddof=0``, unlike the Tensor method ``t.var()``), built from the
  same interop tables that ``np.sin(t)`` dispatches through;
* ``np.random``, ``np.pi``, ``np.newaxis``, ``np.float64``... are NumPy's own.

Every array this namespace creates or computes is a dualad ``Tensor``, with or
without Tensors among the inputs (as ``jax.numpy`` always gives ``jax.Array``);
``isinstance(t, dualad.numpy.ndarray)`` holds for a Tensor. A NumPy function
dualad cannot differentiate is an ``AttributeError`` naming it. See
docs/numpy-code.md.

>>> import dualad.numpy as np
>>> from dualad import func
>>> def f(x):
...     out = np.empty(2)
...     out[0] = x[0] ** 2
...     out[1] = np.sin(x[1])
...     return out
>>> func.jacfwd(f)(np.array([1.0, 0.0]))
tensor([[2., 0.],
        [0., 1.]])
>>> func.grad(lambda x: np.array([x, 2 * x]).sum())(3.0)
3.0
"""

from __future__ import annotations

import numpy as _np

from . import _namespace, fft, linalg
from ._creation import (
    arange,
    array,
    asanyarray,
    asarray,
    ascontiguousarray,
    copy,
    empty,
    eye,
    full,
    identity,
    linspace,
    ndarray,
    ones,
    zeros,
)
from ._extras import copyto, fill_diagonal, where
from ._functional import (
    apply_along_axis,
    astype,
    fromfunction,
    logspace,
    piecewise,
    vectorize,
)
from ._index_tricks import c_, r_

_NAMESPACE = _namespace.Namespace(
    "dualad.numpy", _np,
    explicit={name: globals()[name] for name in (
        "array", "asarray", "asanyarray", "ascontiguousarray", "copy", "empty", "zeros",
        "ones", "full", "eye", "identity", "arange", "linspace", "ndarray", "fft", "linalg",
        "where", "copyto", "fill_diagonal", "r_", "c_", "apply_along_axis", "astype",
        "fromfunction", "logspace", "piecewise", "vectorize")})

__getattr__ = _namespace.module_getattr(_NAMESPACE, globals())
__all__ = _NAMESPACE.public_names()


def __dir__() -> list[str]:
    return list(__all__)

"""NumPy interop: ``np.sin(t)`` and ``np.sum(t)`` on Tensors dispatch to dualad ops.

A NumPy function without a dualad op raises a clear error naming it, rather
than converting silently and dropping the gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops as F

UFUNCS = {
    np.add: F.add, np.subtract: F.sub, np.multiply: F.mul, np.true_divide: F.div,
    np.divide: F.div, np.power: F.pow, np.negative: F.neg, np.exp: F.exp, np.log: F.log,
    np.sin: F.sin, np.cos: F.cos, np.tanh: F.tanh, np.sqrt: F.sqrt, np.absolute: F.abs,
    np.sign: F.sign, np.maximum: F.maximum, np.minimum: F.minimum, np.matmul: F.matmul,
}

FUNCTIONS: dict = {
    np.sum: F.sum, np.mean: F.mean, np.where: F.where, np.matmul: F.matmul, np.dot: F.dot,
    np.reshape: F.reshape, np.transpose: lambda a, axes=None: F.T(a) if axes is None
    else F.permute(a, axes), np.clip: F.clip, np.broadcast_to: F.broadcast_to,
    np.swapaxes: F.swapaxes,
    # metadata: no values involved, nothing to differentiate
    np.shape: lambda a: a.shape, np.ndim: lambda a: a.ndim, np.size: lambda a: a.numel(),
}


def _unsupported(name: str) -> TypeError:
    return TypeError(f"numpy.{name} has no dualad op, so it cannot be applied to a dualad "
                     "Tensor without losing the gradient. Use the dualad function of the same "
                     "name if there is one, or call it on t.detach().numpy() if you do not "
                     "need the gradient.")


def array_ufunc(ufunc: Any, method: str, inputs: tuple, kwargs: dict) -> Any:
    fn = UFUNCS.get(ufunc)
    if method != "__call__" or fn is None or kwargs.get("out") is not None:
        raise _unsupported(f"{ufunc.__name__}" + ("" if method == "__call__" else f".{method}"))
    extra = {k: v for k, v in kwargs.items() if k not in ("dtype",)}
    if extra:
        raise TypeError(f"numpy.{ufunc.__name__} on a dualad Tensor does not support the "
                        f"keyword arguments {sorted(extra)}")
    return fn(*inputs)


def array_function(func: Any, types: tuple, args: tuple, kwargs: dict) -> Any:
    fn = FUNCTIONS.get(func)
    if fn is None:
        raise _unsupported(func.__name__)
    return fn(*args, **kwargs)

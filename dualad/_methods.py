"""Tensor methods that mirror the op functions (``t.sin()``, ``t.sum(dim)``, ``t.reshape(2, 3)``).

Listed explicitly so each method can be found by name; the ops live in ``dualad.ops``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops as F

# methods whose signature is the function's, with the tensor first
_SAME_AS_FUNCTION = (
    "abs", "add", "clamp", "clip", "cos", "div", "exp", "log", "maximum", "minimum", "mul",
    "neg", "pow", "relu", "sigmoid", "sign", "sin", "sqrt", "sub", "tanh", "sum", "mean",
    "matmul", "dot", "transpose", "swapaxes", "broadcast_to", "astype",
    # the rest of the op library
    "tan", "sinh", "cosh", "arcsin", "arccos", "arctan", "arctan2", "asin", "acos", "atan",
    "atan2", "expm1", "log1p", "log2", "log10", "square", "reciprocal", "floor", "ceil",
    "round", "softplus", "prod", "var", "std", "max", "min", "amax", "amin", "argmax",
    "argmin", "norm", "logsumexp", "softmax", "log_softmax", "outer", "inner", "trace", "det",
    "inverse", "diag", "tril", "triu", "squeeze", "unsqueeze", "flatten", "ravel", "split",
    "arcsinh", "arccosh", "arctanh", "asinh", "acosh", "atanh", "exp2", "logaddexp", "hypot",
    "cumsum", "flip",
)

# methods whose name differs from the function's (PyTorch spellings)
_RENAMED = {"absolute": "abs", "multiply": "mul", "subtract": "sub", "divide": "div"}


def _reshape(self, *shape: Any):
    return F.reshape(self, *shape)


def _permute(self, *dims: Any):
    return F.permute(self, *dims)


def _expand(self, *sizes: Any):
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    lead = len(sizes) - self.ndim
    shape = tuple(self.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return F.broadcast_to(self, shape)


def _to(self, dtype: Any):
    return self if np.dtype(dtype) == self.dtype else F.astype(self, dtype)


def _float(self):
    return _to(self, np.float32)


def _double(self):
    return _to(self, np.float64)


def _T(self):
    return F.T(self)


def install(cls: type) -> None:
    for name in _SAME_AS_FUNCTION:
        setattr(cls, name, getattr(F, name))
    for name, target in _RENAMED.items():
        setattr(cls, name, getattr(F, target))
    cls.reshape = _reshape
    cls.view = _reshape
    cls.permute = _permute
    cls.expand = _expand
    cls.to = _to
    cls.float = _float
    cls.double = _double
    cls.T = property(_T)
    cls.mT = property(lambda self: F.transpose(self, -2, -1))

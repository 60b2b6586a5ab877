"""NumPy functions with integer or boolean results on tensors: no gradient to carry.

``np.argsort(t)``, ``np.searchsorted``, ``np.nonzero``, ``np.isnan``, ``np.unique`` ...
compute on the tensors' values and return plain tensors (or Python bools, as NumPy
does for ``allclose``/``array_equal``). Where PyTorch has the name with another
signature, ``da.<name>`` follows PyTorch (``nonzero``, ``unique``); ``np.<name>(t)``
follows NumPy.

>>> import numpy as np
>>> import dualad as da
>>> np.isnan(da.tensor([1.0, float("nan")])).tolist()
[False, True]
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..batched_tensor import BatchedTensor, batched_error
from ..tensor import Tensor, _wrap
from .vmap_rules import raw_elementwise


def _raw(v: Any) -> Any:
    """Values of the tensors in ``v`` (nested in lists and tuples too)."""
    if isinstance(v, Tensor):
        return v._data
    if isinstance(v, (list, tuple)):
        return type(v)(_raw(i) for i in v)
    return v


def _as_tensors(out: Any) -> Any:
    if isinstance(out, np.ndarray):
        return _wrap(out)
    if isinstance(out, (np.bool_, bool)):
        return bool(out)
    if isinstance(out, np.generic):
        return _wrap(np.asarray(out))
    if isinstance(out, tuple):
        return type(out)(*(_as_tensors(o) for o in out)) if hasattr(out, "_fields") else \
            tuple(_as_tensors(o) for o in out)
    return out


def no_gradient(np_fn: Callable[..., Any], elementwise: bool = False) -> Callable[..., Any]:
    """``np_fn`` on the values of tensor arguments; array results become tensors that do not
    require grad (the results are integers or booleans: nothing to differentiate).
    ``elementwise``: one result per element, so it runs per example inside vmap."""

    def fn(*args: Any, **kwargs: Any) -> Any:
        if any(isinstance(a, BatchedTensor) for a in args):
            if not elementwise:
                raise batched_error(f"compute {np_fn.__name__} of (its result is not one value "
                                    "per element, and differs in shape or kind between "
                                    "examples)")
            return raw_elementwise(functools.partial(np_fn, **kwargs), *args)
        return _as_tensors(np_fn(*_raw(args), **{k: _raw(v) for k, v in kwargs.items()}))

    fn.__name__ = fn.__qualname__ = np_fn.__name__
    fn.__doc__ = f"NumPy's ``{np_fn.__name__}`` on tensor values (no gradient)."
    return fn


isnan = no_gradient(np.isnan, elementwise=True)
isfinite = no_gradient(np.isfinite, elementwise=True)
isinf = no_gradient(np.isinf, elementwise=True)
isposinf = no_gradient(np.isposinf, elementwise=True)
isneginf = no_gradient(np.isneginf, elementwise=True)
signbit = no_gradient(np.signbit, elementwise=True)
isclose = no_gradient(np.isclose, elementwise=True)
allclose = no_gradient(np.allclose)
array_equal = no_gradient(np.array_equal)
array_equiv = no_gradient(np.array_equiv)
np_nonzero = no_gradient(np.nonzero)
flatnonzero = no_gradient(np.flatnonzero)
argwhere = no_gradient(np.argwhere)
np_unique = no_gradient(np.unique)
np_count_nonzero = no_gradient(np.count_nonzero)
np_searchsorted = no_gradient(np.searchsorted)


def count_nonzero(x: Any, dim: Any = None, *, axis: Any = None, keepdims: bool = False) -> Any:
    """The number of nonzero elements (along ``dim``/``axis``); integers, no gradient.

    >>> import dualad as da
    >>> da.count_nonzero(da.tensor([0.0, 2.0, 3.0])).item()
    2
    """
    ax = dim if axis is None else axis
    return _as_tensors(np.asarray(np.count_nonzero(_raw(x), axis=ax, keepdims=keepdims)))


def searchsorted(sorted_sequence: Any, values: Any, side: str = "left", sorter: Any = None, *,
                 right: bool = False) -> Tensor:
    """Insertion indices keeping ``sorted_sequence`` sorted (NumPy's ``side``, PyTorch's
    ``right=``; a 1-d sequence); integers, no gradient.

    >>> import dualad as da
    >>> da.searchsorted(da.tensor([1.0, 2.0, 3.0]), da.tensor([2.5, 0.0])).tolist()
    [2, 0]
    """
    seq = _raw(sorted_sequence)
    if np.ndim(seq) != 1:
        raise ValueError("searchsorted on dualad Tensors needs a 1-d sorted sequence")
    how: Any = "right" if right else side
    out = np.searchsorted(seq, _raw(values), side=how, sorter=_raw(sorter))
    return _wrap(np.asarray(out))


def nonzero(x: Any, *, as_tuple: bool = False) -> Any:
    """PyTorch's ``nonzero``: the ``(n, ndim)`` tensor of the indices of nonzero elements
    (``as_tuple=True``: one index tensor per dimension, as ``np.nonzero``).

    >>> import dualad as da
    >>> da.nonzero(da.tensor([[0.0, 1.0], [2.0, 0.0]])).tolist()
    [[0, 1], [1, 0]]
    """
    raw = np.asarray(_raw(x))
    if as_tuple:
        return tuple(_wrap(i) for i in np.nonzero(np.atleast_1d(raw)))
    return _wrap(np.argwhere(raw))


def unique(x: Any, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim: Any = None) -> Any:
    """PyTorch's ``unique``: the sorted distinct values (no gradient), with the inverse
    indices and counts on request (``np.unique(t)`` is NumPy's signature).

    >>> import dualad as da
    >>> da.unique(da.tensor([2.0, 1.0, 2.0])).tolist()
    [1.0, 2.0]
    """
    flags: dict[str, Any] = {"return_inverse": return_inverse, "return_counts": return_counts}
    out = np.unique(_raw(x), axis=dim, **flags)
    if isinstance(out, tuple):
        return tuple(_wrap(np.asarray(o)) for o in out)
    return _wrap(out)


__all__ = [
    "no_gradient", "isnan", "isfinite", "isinf", "isposinf", "isneginf", "signbit", "isclose",
    "allclose", "array_equal", "array_equiv", "np_nonzero", "flatnonzero", "argwhere",
    "np_unique", "np_count_nonzero", "np_searchsorted", "count_nonzero", "searchsorted",
    "nonzero", "unique",
]

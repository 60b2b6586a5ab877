"""Hypothesis strategies for dualad: tensors, broadcastable shapes, inputs from an op's domain.

>>> from hypothesis import given
>>> from dualad.testing.strategies import tensors
>>> @given(tensors(shape=(3,), elements=(-1.0, 1.0)))
... def test_bounded(t):
...     assert t.shape == (3,) and abs(t.numpy()).max() <= 1.0
>>> test_bounded()
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..registry import Op, get
from ..tensor import Tensor

MAX_DIMS = 3
MAX_SIDE = 4

Case = tuple[tuple[np.ndarray, ...], dict[str, Any]]  # (arrays, params) of one op call


def interval_values(intervals: Any) -> st.SearchStrategy:
    """Floats from a union of closed ``(low, high)`` intervals (booleans for ``(False, True)``).

    A single ``(low, high)`` pair is accepted as well as a tuple of them.
    """
    if len(intervals) == 2 and all(isinstance(b, (int, float)) for b in intervals):
        intervals = (intervals,)
    if all(isinstance(b, (bool, np.bool_)) for iv in intervals for b in iv):
        return st.booleans()
    parts = [st.floats(float(lo), float(hi), allow_nan=False, allow_infinity=False)
             for lo, hi in intervals]
    return parts[0] if len(parts) == 1 else st.one_of(*parts)


def _dtype_of(intervals: Any) -> np.dtype:
    flat = [b for iv in intervals for b in (iv if isinstance(iv, tuple) else (iv,))]
    return np.dtype(bool) if all(isinstance(b, (bool, np.bool_)) for b in flat) else \
        np.dtype(np.float64)


def arrays_from(shape: tuple, intervals: Any, dtype: Any = np.float64) -> st.SearchStrategy:
    """NumPy arrays of ``shape`` with values from a union of intervals."""
    dt = np.dtype(bool) if _dtype_of(intervals) == np.dtype(bool) else np.dtype(dtype)
    return hnp.arrays(dt, shape, elements=interval_values(intervals))


def shapes(max_dims: int = MAX_DIMS, max_side: int = MAX_SIDE,
           min_dims: int = 0) -> st.SearchStrategy:
    """Array shapes, including the 0-d shape ``()``."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, max_dims: int = MAX_DIMS,
                         max_side: int = MAX_SIDE) -> st.SearchStrategy:
    """Tuples of ``num_shapes`` shapes that broadcast together (NumPy's rules)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=0,
                                             max_dims=max_dims, min_side=1,
                                             max_side=max_side).map(lambda b: b.input_shapes)


def tensors(shape: Any = None, dtype: Any = np.float64, elements: Any = (-3.0, 3.0),
            requires_grad: bool = False) -> st.SearchStrategy:
    """dualad Tensors.

    ``shape`` is a tuple, a strategy of shapes, or None (any small shape);
    ``elements`` is a hypothesis strategy or ``(low, high)`` interval(s).
    """
    shape_st = shapes() if shape is None else (shape if isinstance(shape, st.SearchStrategy)
                                               else st.just(tuple(shape)))
    elem = elements if isinstance(elements, st.SearchStrategy) else interval_values(elements)
    dt = np.dtype(dtype)
    if dt.kind != "f" and requires_grad:
        raise ValueError(f"tensors(): only floating tensors can require grad, not {dt}")
    if dt.kind in "iu" and not isinstance(elements, st.SearchStrategy):
        lo, hi = (elements if len(elements) == 2 else elements[0])
        elem = st.integers(int(np.ceil(lo)), int(np.floor(hi)))
    return shape_st.flatmap(lambda s: hnp.arrays(dt, s, elements=elem)).map(
        lambda a: Tensor(a, requires_grad=requires_grad))


def _resolve(op: Op | str) -> Op:
    return get(op) if isinstance(op, str) else op


def op_inputs(op: Op | str) -> st.SearchStrategy[Case]:
    """``(arrays, params)`` for one call of ``op``, drawn from its ``Domain``.

    Shapes are broadcastable shapes (``shapes="elementwise"``) or one of the
    listed ``(input_shapes, params)`` examples; values come from the per-input
    unions of intervals; draws rejected by ``valid`` are filtered out.
    """
    op = _resolve(op)
    dom = op.domain
    if dom is None:
        raise ValueError(f"op {op.name!r} has no domain: give it a dualad.registry.Domain")
    ranges = dom.ranges

    def arrays_for(input_shapes: tuple) -> st.SearchStrategy[tuple[np.ndarray, ...]]:
        return st.tuples(*(arrays_from(tuple(s), r) for s, r in zip(input_shapes, ranges)))

    if isinstance(dom.shapes, str):
        if dom.shapes != "elementwise":
            raise ValueError(f"op {op.name!r}: Domain.shapes must be 'elementwise' or a list of "
                             f"(input_shapes, params) examples, not {dom.shapes!r}")
        cases: st.SearchStrategy[Case] = broadcastable_shapes(len(ranges)).flatmap(
            lambda ss: arrays_for(ss).map(lambda arrs: (arrs, {})))
    else:
        examples = list(dom.shapes)
        cases = st.sampled_from(examples).flatmap(
            lambda ex: arrays_for(ex[0]).map(lambda arrs: (arrs, dict(ex[1]))))
    if dom.valid is not None:
        valid = dom.valid
        cases = cases.filter(lambda c: bool(valid(*c[0], **c[1])))
    return cases

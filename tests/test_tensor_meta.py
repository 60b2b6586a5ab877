"""Tensor.meta: the rare facts of a tensor are a named slotted record, absent on most."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import dualad as da

T = sys.modules["dualad.tensor"]  # (dualad.tensor the attribute is the factory function)


def test_most_tensors_carry_no_meta():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    y = da.sin(x) * 2
    assert y._meta is None and T._wrap(np.ones(2))._meta is None
    assert T.meta_of(y) is T.meta_of(T._wrap(np.ones(2)))  # the shared defaults
    assert not y.retains_grad and y.name is None and not y.is_inference()


def test_the_shared_defaults_cannot_be_written():
    with pytest.raises(AttributeError, match="own_meta"):
        T.meta_of(da.tensor(1.0)).name = "x"


def test_each_fact_is_a_field():
    x = da.tensor([1.0, 2.0], requires_grad=True, name="x")
    y = x * 2
    y.retain_grad()
    v = y[1:]
    with da.inference_mode():
        z = da.tensor(1.0) + 1
    assert (x._meta.name, y._meta.retains_grad, z._meta.inference) == ("x", True, True)
    assert v._meta.view_of[0] is y and v._base is y
    assert set(T.TensorMeta.__slots__) >= {"name", "inference", "retains_grad", "view_of",
                                            "alias_of", "output_nr", "accumulator"}

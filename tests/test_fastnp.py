"""dualad._fastnp gives exactly what NumPy's own functions give (NumPy is the oracle)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dualad import _fastnp as fast

_DTYPES = st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.int8, np.bool_,
                           np.complex128])


@st.composite
def _arrays(draw, max_dims: int = 3) -> np.ndarray:
    dtype = draw(_DTYPES)
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=0, max_side=4))
    elements = {"allow_nan": False, "allow_infinity": False} \
        if np.dtype(dtype).kind in "fc" else None
    x = draw(hnp.arrays(dtype, shape, elements=elements))
    layout = draw(st.sampled_from(["c", "transposed", "strided"]))
    if layout == "transposed":
        x = x.T
    elif layout == "strided" and x.ndim:
        x = np.repeat(x, 2, axis=-1)[..., ::2]  # same values, not contiguous
    return x


def _axes(x: np.ndarray):
    """None, one axis (maybe negative) or a tuple of distinct axes of ``x``."""
    if not x.ndim:
        return st.sampled_from([None, ()])
    one = st.integers(-x.ndim, x.ndim - 1)
    many = st.lists(st.integers(0, x.ndim - 1), unique=True, max_size=x.ndim).map(tuple)
    return st.one_of(st.none(), one, many)


def _same(got, want) -> None:
    assert type(got) is type(want)
    assert np.shape(got) == np.shape(want)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    assert np.array_equal(got, want, equal_nan=np.asarray(want).dtype.kind in "fc")


@given(st.data())
def test_sum_and_mean_equal_numpy(data):
    x = data.draw(_arrays())
    axis = data.draw(_axes(x))
    keepdims = data.draw(st.booleans())
    _same(fast.sum(x, axis, keepdims), np.sum(x, axis=axis, keepdims=keepdims))
    with warnings.catch_warnings():  # the mean of nothing: NumPy's nan and warning
        warnings.simplefilter("ignore")
        _same(fast.mean(x, axis, keepdims), np.mean(x, axis=axis, keepdims=keepdims))


def test_mean_float64_bitwise_equal_to_numpy_on_awkward_sums():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((128, 10)) * 10.0 ** rng.integers(-8, 8, (128, 10))
    for axis in (None, 0, 1, -1, (0, 1), ()):
        for keepdims in (False, True):
            _same(fast.mean(x, axis, keepdims), np.mean(x, axis=axis, keepdims=keepdims))


@given(st.data())
def test_broadcast_to_equals_numpy_and_is_a_read_only_view(data):
    x = data.draw(_arrays())
    lead = data.draw(st.lists(st.integers(0, 3), max_size=2))
    stretched = [data.draw(st.integers(0, 3)) if n == 1 else n for n in x.shape]
    shape = tuple(lead) + tuple(stretched)
    got, want = fast.broadcast_to(x, shape), np.broadcast_to(x, shape)
    _same(got, want)
    assert got.strides == want.strides
    assert not got.flags.writeable
    if x.size and got.size:
        assert np.shares_memory(got, x)
    with pytest.raises(ValueError):
        got[...] = 0


@pytest.mark.parametrize("x", [np.float64(2.5), np.int32(3), np.bool_(True), 2.5, [1.0, 2.0]])
def test_broadcast_to_takes_scalars_and_lists_like_numpy(x):
    got, want = fast.broadcast_to(x, (3, 2)), np.broadcast_to(x, (3, 2))
    _same(got, want)
    assert not got.flags.writeable


def test_broadcast_to_of_object_arrays_falls_back_to_numpy():
    x = np.array([None, "a"], dtype=object)
    got = fast.broadcast_to(x, (3, 2))
    assert got.tolist() == [[None, "a"]] * 3 and not got.flags.writeable


@pytest.mark.parametrize("shape", [(4, 3), (4,), (3, -4), (2, 3, 5)])
def test_broadcast_to_raises_numpys_error(shape):
    x = np.arange(12.0).reshape(3, 4)
    with pytest.raises(ValueError) as want:
        np.broadcast_to(x, shape)
    with pytest.raises(ValueError) as got:
        fast.broadcast_to(x, shape)
    assert str(got.value) == str(want.value)


@pytest.mark.parametrize("call", [lambda f, x: f.sum(x, 2, False), lambda f, x: f.mean(x, 2, False),
                                  lambda f, x: f.sum(x, (0, 0), False)])
def test_reductions_raise_numpys_error_for_bad_axes(call):
    x = np.ones((2, 3))
    np_like = type("np_like", (), {"sum": staticmethod(lambda x, a, k: np.sum(x, a, keepdims=k)),
                                   "mean": staticmethod(lambda x, a, k: np.mean(x, a, keepdims=k))})
    with pytest.raises(ValueError) as want:
        call(np_like, x)
    with pytest.raises(ValueError) as got:
        call(fast, x)
    assert type(got.value) is type(want.value) and str(got.value) == str(want.value)


@given(st.data())
def test_reshape_and_transpose_equal_numpy(data):
    x = data.draw(_arrays())
    axes = tuple(data.draw(st.permutations(range(x.ndim))))
    _same(fast.transpose(x, axes), np.transpose(x, axes))
    _same(fast.reshape(x, (-1,)), np.reshape(x, (-1,)))
    _same(fast.reshape([[1.0, 2.0]], (2,)), np.reshape([[1.0, 2.0]], (2,)))

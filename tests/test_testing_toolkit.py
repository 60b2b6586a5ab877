"""The testing toolkit: strategies, check_op on users' ops, assert_gradients_agree, coverage."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dualad as da
from dualad.registry import Domain, Op, get
from dualad.testing import (
    OpCheckError,
    assert_gradients_agree,
    check_op,
    coverage_table,
    strategies,
    write_coverage_table,
)

FEW = settings(max_examples=20, deadline=None)


@FEW
@given(strategies.tensors(shape=(2, 3), elements=(-1.0, 0.5), requires_grad=True))
def test_tensors_respect_shape_bounds_and_requires_grad(t: da.Tensor) -> None:
    assert isinstance(t, da.Tensor) and t.shape == (2, 3) and t.dtype == np.float64
    assert t.requires_grad and t.is_leaf
    assert np.all((t.detach().numpy() >= -1.0) & (t.detach().numpy() <= 0.5))


@FEW
@given(strategies.tensors(dtype=np.float32, elements=((-2.0, -1.0), (1.0, 2.0))))
def test_tensors_from_a_union_of_intervals(t: da.Tensor) -> None:
    a = np.abs(t.numpy())
    assert t.dtype == np.float32 and np.all((a >= 1.0) & (a <= 2.0))


@FEW
@given(strategies.tensors(shape=st.just((4,)), dtype=np.int64, elements=(0, 9)))
def test_integer_tensors(t: da.Tensor) -> None:
    assert t.dtype == np.int64 and t.shape == (4,) and not t.requires_grad


def test_integer_tensors_cannot_require_grad() -> None:
    with pytest.raises(ValueError, match="only floating tensors can require grad"):
        strategies.tensors(dtype=np.int64, requires_grad=True)


@FEW
@given(strategies.broadcastable_shapes(3))
def test_broadcastable_shapes_broadcast(shapes: tuple) -> None:
    assert len(shapes) == 3
    np.broadcast_shapes(*shapes)


@FEW
@given(strategies.op_inputs("log"))
def test_op_inputs_draw_from_the_domain(case: tuple) -> None:
    (x,), params = case
    lo, hi = get("log").domain.ranges[0][0]
    assert params == {} and np.all((x >= lo) & (x <= hi))


@FEW
@given(strategies.op_inputs("maximum"))
def test_op_inputs_apply_the_valid_filter(case: tuple) -> None:
    (x, y), _ = case
    np.broadcast_shapes(x.shape, y.shape)
    assert get("maximum").domain.valid(x, y)


@FEW
@given(strategies.op_inputs("matmul"))
def test_op_inputs_use_the_listed_shape_examples(case: tuple) -> None:
    arrays, params = case
    shapes = tuple(a.shape for a in arrays)
    assert (shapes, params) in [(tuple(s), p) for s, p in get("matmul").domain.shapes]


@FEW
@given(st.data())
def test_boolean_ranges_draw_booleans(data: st.DataObject) -> None:
    op = Op(name="_pick", forward=np.where, vjp=(None, lambda g, out, c, x, y: g, None),
            jvp=(None, lambda t, out, c, x, y: t, None), sympy=lambda c, x, y: x,
            domain=Domain(ranges=(((False, True),), ((-1.0, 1.0),), ((-1.0, 1.0),))))
    (c, x, y), _ = data.draw(strategies.op_inputs(op))
    assert c.dtype == bool and x.dtype == np.float64


def _user_op(**overrides) -> Op:
    fields = dict(name="user_softsign", forward=lambda x: x / (1 + np.abs(x)),
                  vjp=(lambda g, out, x: g / (1 + da.abs(x)) ** 2,),
                  jvp=(lambda t, out, x: t / (1 + da.abs(x)) ** 2,),
                  sympy=lambda x: x / (1 + abs(x)),
                  domain=Domain(ranges=(((-3.0, -0.05), (0.05, 3.0)),)), elementwise=True)
    fields.update(overrides)
    return Op(**fields)


def test_check_op_accepts_an_unregistered_user_entry() -> None:
    check_op(_user_op(), max_examples=5)


def test_check_op_names_the_op_and_the_check_that_fails() -> None:
    bad = _user_op(jvp=(lambda t, out, x: t / (1 + da.abs(x)),))
    with pytest.raises(OpCheckError, match="op 'user_softsign': jvp check failed"):
        check_op(bad, max_examples=10, shrink=False)
    with pytest.raises(OpCheckError, match="adjoint check failed"):
        check_op(bad, max_examples=10, checks=["adjoint"], shrink=False)


def test_check_op_rejects_unknown_checks() -> None:
    with pytest.raises(ValueError, match="unknown check"):
        check_op("sin", checks=["vjp", "speling"])


class _WrongSquare(da.autograd.Function):
    """``a * a`` with a wrong backward (``g * a``) and a right jvp."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * a  # should be 2 a

    @staticmethod
    def jvp(ctx, t):
        return t * 2 * ctx.a

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.a = inputs[0]


def test_assert_gradients_agree_passes_and_catches_a_wrong_function() -> None:
    x = da.tensor([0.2, -0.7, 1.4])
    assert_gradients_agree(lambda a: da.sin(a) * da.exp(a), x)

    with pytest.raises(AssertionError, match="reverse mode: input 0"):
        assert_gradients_agree(_WrongSquare.apply, x)


def test_coverage_table_lists_every_op_with_its_columns(tmp_path) -> None:
    table = coverage_table()
    assert "| op | forward | VJP | JVP | second order | SymPy |" in table
    assert "| `relu` | yes | 0: rule | 0: rule | yes | elementwise | yes | broadcast | x == 0 " \
        "(0.0;" in table
    assert "| `matmul` | yes | 0: rule, 1: rule | 0: linear, 1: linear | yes | arrays | no |" \
        in table
    path = write_coverage_table(tmp_path / "cov.md")
    assert path.read_text() == table


def test_dualad_testing_is_loaded_lazily_without_needing_hypothesis() -> None:
    import subprocess
    import sys

    code = ("import sys, dualad; assert 'hypothesis' not in sys.modules; "
            "assert dualad.testing.check_op; assert 'hypothesis' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_assert_gradients_agree_takes_numpy_inputs_as_gradcheck_does() -> None:
    """NumPy arrays and floats in, NumPy functions (dispatched to dualad) inside: the
    adjoint check used to call ``f`` on the raw inputs and read ``._data`` of the result."""
    assert_gradients_agree(lambda a: np.sum(np.sin(a)), np.array([.1, .2]))
    assert_gradients_agree(lambda a, s: np.sum(np.sin(a)) * s, np.array([.1, .2]), 1.5)
    assert_gradients_agree(lambda a, n: a * n, np.array([.1, .2]), 3)  # an int is a constant
    with pytest.raises(AssertionError, match="reverse mode: input 0"):
        assert_gradients_agree(lambda a: np.sum(_WrongSquare.apply(a)), np.array([.1, .2]))


def test_check_op_with_no_checks_is_an_error_not_a_pass() -> None:
    with pytest.raises(ValueError, match="checks is empty, so nothing would be checked"):
        check_op("sin", checks=[])
    check_op("sin", checks="vjp", max_examples=2)  # one name (was read as letters)

"""NumPy's stacking, splitting and reordering functions on tensors (issue 20).

Every case runs three ways: NumPy on the raw arrays, ``da.<name>`` on tensors
and ``np.<name>`` on tensors (through ``__array_function__``); the values must
agree, and the derivatives (reverse and forward mode, first and second order)
must match central differences.
"""

import numpy as np
import pytest
from _ops_checks import joined, output_parts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import dualad as da
from dualad.check import gradcheck, gradgradcheck
from dualad.testing import assert_gradients_agree

RNG = np.random.default_rng(7)


def _split(m):
    """NumPy's split (``da.split`` is PyTorch's; NumPy's is ``da.ops.np_split``)."""
    return np.split if m is np else da.ops.np_split


V = RNG.normal(size=4)          # 1-d
M = RNG.normal(size=(2, 3))     # 2-d
N = RNG.normal(size=(3, 3))     # square
C = RNG.normal(size=(2, 3, 4))  # 3-d
S = np.array(0.7)               # 0-d

# (id, case(m, *xs) with m = np or da, arrays)
CASES = [
    # stacking
    ("vstack 1d", lambda m, a, b: m.vstack([a, b]), (V, V[::-1].copy())),
    ("vstack 2d", lambda m, a, b: m.vstack((a, b)), (M, M[:1].copy())),
    ("vstack 0d", lambda m, a, b: m.vstack([a, b]), (S, S)),
    ("hstack 1d", lambda m, a, b: m.hstack([a, b]), (V, V[:2].copy())),
    ("hstack 2d", lambda m, a, b: m.hstack([a, b]), (M, M[:, :1].copy())),
    ("hstack 0d", lambda m, a, b: m.hstack((a, b)), (S, S)),
    ("dstack 1d", lambda m, a, b: m.dstack([a, b]), (V, V)),
    ("dstack 2d", lambda m, a, b: m.dstack([a, b]), (M, M)),
    ("dstack 3d", lambda m, a, b: m.dstack([a, b]), (C, C[:, :, :1].copy())),
    ("column_stack 1d", lambda m, a, b: m.column_stack([a, b]), (V, V)),
    ("column_stack mixed", lambda m, a, b: m.column_stack([a, b]), (M, M[0, :2].copy())),
    # splitting (outputs are lists)
    ("array_split sections", lambda m, a: m.array_split(a, 3), (V,)),
    ("array_split more sections", lambda m, a: m.array_split(a, 6), (V,)),
    ("array_split indices", lambda m, a: m.array_split(a, [1, 3], axis=1), (C,)),
    ("array_split unsorted", lambda m, a: m.array_split(a, [3, 1, -1]), (V,)),
    ("array_split axis -1", lambda m, a: m.array_split(a, 2, axis=-1), (C,)),
    ("split sections", lambda m, a: _split(m)(a, 2, axis=2), (C,)),
    ("split unsorted indices", lambda m, a: _split(m)(a, [3, 1, -1]), (V,)),
    ("hsplit 1d", lambda m, a: m.hsplit(a, 2), (V,)),
    ("hsplit 2d", lambda m, a: m.hsplit(a, [1]), (M,)),
    ("vsplit", lambda m, a: m.vsplit(a, 2), (M,)),
    ("dsplit", lambda m, a: m.dsplit(a, [1, 2]), (C,)),
    # append
    ("append flat", lambda m, a, b: m.append(a, b), (M, V)),
    ("append axis", lambda m, a, b: m.append(a, b, axis=0), (M, M[:1].copy())),
    ("append axis 1", lambda m, a, b: m.append(a, b, axis=1), (M, M)),
    # atleast
    ("atleast_1d 0d", lambda m, a: m.atleast_1d(a), (S,)),
    ("atleast_1d two", lambda m, a, b: m.atleast_1d(a, b), (S, M)),
    ("atleast_2d 1d", lambda m, a: m.atleast_2d(a), (V,)),
    ("atleast_2d three", lambda m, a, b, c: m.atleast_2d(a, b, c), (S, V, C)),
    ("atleast_3d 0d", lambda m, a: m.atleast_3d(a), (S,)),
    ("atleast_3d 1d", lambda m, a: m.atleast_3d(a), (V,)),
    ("atleast_3d 2d", lambda m, a: m.atleast_3d(a), (M,)),
    ("atleast_3d 3d", lambda m, a: m.atleast_3d(a), (C,)),
    # repeat
    ("repeat int", lambda m, a: m.repeat(a, 2), (M,)),
    ("repeat axis", lambda m, a: m.repeat(a, 3, axis=1), (M,)),
    ("repeat per element", lambda m, a: m.repeat(a, [1, 0, 2], axis=-1), (M,)),
    ("repeat per element flat", lambda m, a: m.repeat(a, [2, 1, 0, 3]), (V,)),
    ("repeat 0d", lambda m, a: m.repeat(a, 3), (S,)),
    # tile
    ("tile int", lambda m, a: m.tile(a, 2), (V,)),
    ("tile more reps", lambda m, a: m.tile(a, (2, 1, 2)), (M,)),
    ("tile fewer reps", lambda m, a: m.tile(a, 2), (C,)),
    ("tile 0d", lambda m, a: m.tile(a, (2, 2)), (S,)),
    # roll
    ("roll flat", lambda m, a: m.roll(a, 4), (M,)),
    ("roll axis", lambda m, a: m.roll(a, -1, axis=1), (M,)),
    ("roll tuples", lambda m, a: m.roll(a, (1, 2), axis=(0, 2)), (C,)),
    ("roll broadcast shift", lambda m, a: m.roll(a, 1, axis=(0, 1)), (C,)),
    ("roll same axis twice", lambda m, a: m.roll(a, (1, 1), axis=(1, 1)), (M,)),
    ("roll full turn", lambda m, a: m.roll(a, 3, axis=1), (M,)),
    # flips and rotations
    ("fliplr", lambda m, a: m.fliplr(a), (M,)),
    ("flipud 1d", lambda m, a: m.flipud(a), (V,)),
    ("flipud 3d", lambda m, a: m.flipud(a), (C,)),
    ("rot90", lambda m, a: m.rot90(a), (M,)),
    ("rot90 k=2", lambda m, a: m.rot90(a, 2), (M,)),
    ("rot90 k=-1", lambda m, a: m.rot90(a, -1), (M,)),
    ("rot90 k=4", lambda m, a: m.rot90(a, 4), (M,)),
    ("rot90 axes", lambda m, a: m.rot90(a, 1, axes=(2, 0)), (C,)),
    ("rot90 k=3 axes", lambda m, a: m.rot90(a, 3, (1, -1)), (C,)),
    ("moveaxis", lambda m, a: m.moveaxis(a, 0, -1), (C,)),
    ("moveaxis tuples", lambda m, a: m.moveaxis(a, (0, 1), (2, 0)), (C,)),
    ("rollaxis", lambda m, a: m.rollaxis(a, 2), (C,)),
    ("rollaxis start", lambda m, a: m.rollaxis(a, 0, 2), (C,)),
    ("rollaxis start end", lambda m, a: m.rollaxis(a, 1, 3), (C,)),
    ("rollaxis noop", lambda m, a: m.rollaxis(a, 1, 1), (C,)),
    # diagonals
    ("diagonal", lambda m, a: m.diagonal(a), (N,)),
    ("diagonal offset", lambda m, a: m.diagonal(a, 1), (M,)),
    ("diagonal negative offset", lambda m, a: m.diagonal(a, -1), (M,)),
    ("diagonal empty", lambda m, a: m.diagonal(a, 5), (M,)),
    ("diagonal n-d axes", lambda m, a: m.diagonal(a, 1, axis1=2, axis2=0), (C,)),
    ("diagonal n-d default", lambda m, a: m.diagonal(a, -1), (C,)),
    ("diagflat", lambda m, a: m.diagflat(a), (V,)),
    ("diagflat 2d k", lambda m, a: m.diagflat(a, 1), (M,)),
    ("diagflat k<0", lambda m, a: m.diagflat(a, -2), (V,)),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("name,case,arrays", CASES, ids=IDS)
def test_value_matches_numpy_both_ways(name, case, arrays):
    expected = output_parts(case(np, *arrays))
    for got in (case(da, *(da.tensor(a) for a in arrays)),
                case(np, *(da.tensor(a) for a in arrays))):
        parts = output_parts(got)
        assert len(parts) == len(expected)
        for p, e in zip(parts, expected):
            assert isinstance(p, da.Tensor)
            assert p.shape == e.shape
            np.testing.assert_array_equal(p.numpy(), e)


@pytest.mark.parametrize("name,case,arrays", CASES, ids=IDS)
def test_first_and_second_derivatives_both_modes(name, case, arrays):
    inputs = tuple(da.tensor(a, requires_grad=True) for a in arrays)
    out = joined(case(da, *inputs))
    if out.numel() == 0:
        return
    assert out.requires_grad
    assert gradcheck(lambda *xs: joined(case(da, *xs)), inputs)
    # nonlinear on top, so the second derivative flows through the op's own rules twice
    assert gradgradcheck(lambda *xs: da.sin(joined(case(np, *xs))) * 2.0, inputs)


@pytest.mark.parametrize("name,case,arrays", CASES, ids=IDS)
def test_batched_jacobians_are_the_exact_linear_map(name, case, arrays):
    """jacfwd and jacrev (the batched rules) against the Jacobian NumPy gives column by
    column: every one of these functions is linear in its first input."""
    first, rest = arrays[0], [da.tensor(a) for a in arrays[1:]]
    zeros = [np.zeros_like(a) for a in arrays[1:]]
    columns = []
    for k in np.ndindex(first.shape):
        e = np.zeros_like(first)
        e[k] = 1.0
        columns.append(np.concatenate([np.ravel(p) for p in output_parts(case(np, e, *zeros))]))
    if not columns[0].size:
        return
    expected = np.stack(columns, axis=-1).reshape(columns[0].shape + first.shape)

    def f(x):
        return joined(case(da, x, *rest))

    for jac in (da.func.jacfwd, da.func.jacrev):
        np.testing.assert_array_equal(jac(f)(da.tensor(first)).numpy(), expected)


def test_symbolic_export_through_the_composites():
    from dualad import symbolic

    x = da.tensor(np.arange(1.0, 5.0).reshape(2, 2), requires_grad=True, name="x")
    expr = symbolic.to_sympy(da.roll(x, 1) * da.rot90(x) + da.tile(da.diagonal(x), 2)[1:3])
    assert str(expr.tolist()) == \
        "[[x_0_1*x_1_1 + x_1_1, x_0_0*x_1_1 + x_0_0], [x_0_0*x_0_1 + x_1_1, x_0_0 + x_1_0**2]]"


@pytest.mark.parametrize("fn", [lambda t: da.tile(t, (0, 2)), lambda t: da.repeat(t, 0, axis=1),
                                lambda t: da.diagonal(t, 7),
                                lambda t: da.array_split(t, [5], axis=1)[1]])
def test_empty_results_give_zero_gradients(fn):
    x = da.tensor(M, requires_grad=True)
    y = fn(x)
    assert y.numel() == 0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros_like(M))


def test_stacking_dtype_argument():
    x = da.tensor(M, requires_grad=True)
    for fn in (np.vstack, np.hstack):
        out = fn([x, x], dtype=np.float32)
        assert out.dtype == np.float32 and out.requires_grad


def test_dispatch_keeps_the_graph_and_matches_da():
    x = da.tensor(C, requires_grad=True)
    w = RNG.normal(size=(4, 3, 2))
    (np.rot90(x, axes=(0, 2)) * da.tensor(w)).sum().backward()
    g_np = x.grad.numpy()
    x.grad = None
    (da.rot90(x, axes=(0, 2)) * da.tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), g_np)
    np.testing.assert_allclose(g_np, np.rot90(w, -1, axes=(0, 2)))


def test_repeat_accumulates_repeated_elements():
    x = da.tensor(V, requires_grad=True)
    da.repeat(x, [3, 0, 1, 2]).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0, 2.0])


def test_atleast_returns_the_same_tensor_when_it_has_enough_dimensions():
    x = da.tensor(M, requires_grad=True)
    assert da.atleast_2d(x) is x and np.atleast_1d(x) is x
    assert isinstance(da.atleast_1d(V), da.Tensor)


@pytest.mark.parametrize("fn", [np.zeros_like, np.ones_like, np.empty_like])
def test_like_functions_give_new_tensors_without_gradient(fn):
    x = da.tensor(M, requires_grad=True)
    out = fn(x)
    assert isinstance(out, da.Tensor) and out.shape == M.shape and not out.requires_grad
    assert fn(x, dtype=np.float32).dtype == np.float32
    assert fn(x, shape=(4,)).shape == (4,)
    if fn is not np.empty_like:
        np.testing.assert_array_equal(out.numpy(), fn(M))


def test_full_like_and_da_empty_like():
    x = da.tensor(M, requires_grad=True)
    out = np.full_like(x, 2.5)
    assert isinstance(out, da.Tensor) and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), np.full_like(M, 2.5))
    np.testing.assert_array_equal(np.full_like(x, da.tensor(1.5)).numpy(), np.full_like(M, 1.5))
    e = da.empty_like(x)
    assert e.shape == M.shape and not e.requires_grad and e.dtype == M.dtype


# (case(m, a), array): NumPy raises; so must dualad, with NumPy's type and message
ERRORS = [
    (lambda m, a: m.array_split(a, 0), V),
    (lambda m, a: m.array_split(a, 2, axis=3), M),
    (lambda m, a: m.hsplit(a, 2), S),
    (lambda m, a: m.hsplit(a, 3), M[:, :2]),
    (lambda m, a: m.vsplit(a, 2), V),
    (lambda m, a: m.dsplit(a, 2), M),
    (lambda m, a: m.repeat(a, [1, 2]), V),
    (lambda m, a: m.repeat(a, -1), V),
    (lambda m, a: m.repeat(a, 2, axis=2), M),
    (lambda m, a: m.roll(a, 1, axis=2), M),
    (lambda m, a: m.roll(a, (1, 2, 3), axis=(0, 1)), M),
    (lambda m, a: m.fliplr(a), V),
    (lambda m, a: m.flipud(a), S),
    (lambda m, a: m.rot90(a, 1, (0,)), M),
    (lambda m, a: m.rot90(a, 1, (1, 1)), M),
    (lambda m, a: m.rot90(a, 1, (0, 2)), M),
    (lambda m, a: m.moveaxis(a, 0, 3), M),
    (lambda m, a: m.moveaxis(a, (0, 1), 0), M),
    (lambda m, a: m.moveaxis(a, (0, 0), (0, 1)), M),
    (lambda m, a: m.rollaxis(a, 3), M),
    (lambda m, a: m.rollaxis(a, 0, 4), M),
    (lambda m, a: m.diagonal(a), V),
    (lambda m, a: m.diagonal(a, 0, 1, 1), M),
    (lambda m, a: m.diagonal(a, 0, 0, 5), M),
    (lambda m, a: m.append(a, M, axis=0), V),
    (lambda m, a: m.vstack([a, V]), M),
]


@pytest.mark.parametrize("case,array", ERRORS)
def test_bad_arguments_raise_as_numpy_does(case, array):
    with pytest.raises(Exception) as expected:
        case(np, array)
    for m in (da, np):
        with pytest.raises(expected.type) as got:
            case(m, da.tensor(array))
        assert str(got.value)  # NumPy's wording (below), except where dualad's is clearer


@pytest.mark.parametrize("case,array", [e for i, e in enumerate(ERRORS)
                                        if i not in (1, 24, 25)])
def test_error_messages_are_numpys(case, array):
    with pytest.raises(Exception) as expected:
        case(np, array)
    with pytest.raises(expected.type) as got:
        case(da, da.tensor(array))
    assert str(got.value) == str(expected.value)


# ----------------------------------------------- random programs mixing the new functions
STEPS = {
    "roll": lambda m, t: m.roll(t, 1, axis=-1),
    "rot90": lambda m, t: m.rot90(t),
    "fliplr": lambda m, t: m.fliplr(t),
    "flipud": lambda m, t: m.flipud(t),
    "moveaxis": lambda m, t: m.moveaxis(t, 0, -1),
    "tile": lambda m, t: m.tile(t, (1, 2)),
    "repeat": lambda m, t: m.repeat(t, [2] + [1] * (t.shape[0] - 1), axis=0),
    "vstack sin": lambda m, t: m.vstack([t, m.sin(t)]),
    "hstack square": lambda m, t: m.hstack([t, t * t]),
    "dstack diagonal": lambda m, t: m.diagonal(m.dstack([t, m.exp(t)]), 0, 0, 2),
    "array_split": lambda m, t: m.array_split(t, 2, axis=1)[0],
    "diagflat diagonal": lambda m, t: m.diagflat(m.diagonal(t, 0)) * 2.0,
    "append cos": lambda m, t: m.atleast_2d(m.append(t, m.cos(t[0]))),
    "column_stack": lambda m, t: m.column_stack([t[0], m.tanh(t[-1])]),
    "sin times": lambda m, t: m.sin(t) * t,
}


@settings(max_examples=max(20, settings().max_examples), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=4),
       through_numpy=st.booleans(),
       x=arrays(np.float64, (2, 3), elements=st.floats(-2.0, 2.0)))
def test_random_programs_of_the_new_functions_agree_in_every_mode(names, through_numpy, x):
    m = np if through_numpy else da

    def program(t):
        for name in names:
            t = STEPS[name](m, t)
        return t

    try:
        assert_gradients_agree(program, da.tensor(x))
    except AssertionError as exc:
        raise AssertionError(f"program {' -> '.join(names)}: {exc}") from None

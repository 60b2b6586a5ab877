"""``import dualad.numpy as np``: NumPy programs differentiate as written (issue 20).

Each program below is written once, against a module ``np`` passed in, and run twice:
with NumPy (the values, and the finite differences that are the oracle) and with
``dualad.numpy`` (the same values, and derivatives in every transform).
"""

from __future__ import annotations

import importlib
import math
import sys
import types
from collections.abc import Callable
from typing import Any

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dualad as da
import dualad.numpy as dnp
from dualad import ConcretizationTypeError, func
from dualad.numpy._namespace import _hashable
from dualad.ops import interop

RNG = numpy.random.default_rng(20)


# ------------------------------------------------------------------ oracles

def _value(np: Any, f: Callable, x: numpy.ndarray) -> numpy.ndarray:
    out = f(np, x)
    return numpy.asarray(out.detach().numpy() if isinstance(out, da.Tensor) else out,
                         dtype=float)


def fd_jacobian(f: Callable, x: numpy.ndarray, h: float = 1e-6) -> numpy.ndarray:
    """Central differences of the program run with NumPy: shape out.shape + x.shape."""
    x = numpy.asarray(x, dtype=float)
    out = _value(numpy, f, x)
    jac = numpy.zeros(out.shape + x.shape)
    for i in numpy.ndindex(x.shape):
        e = numpy.zeros_like(x)
        e[i] = h
        jac[(...,) + i] = (_value(numpy, f, x + e) - _value(numpy, f, x - e)) / (2 * h)
    return jac


def fd_hessian(f: Callable, x: numpy.ndarray, h: float = 1e-4) -> numpy.ndarray:
    """Second central differences of a scalar program run with NumPy."""
    n = x.size
    hess = numpy.zeros((n, n))
    flat = x.ravel().astype(float)

    def at(i: int, j: int, si: float, sj: float) -> float:
        y = flat.copy()
        y[i] += si * h
        y[j] += sj * h
        return float(_value(numpy, f, y.reshape(x.shape)))

    for i in range(n):
        for j in range(n):
            hess[i, j] = (at(i, j, 1, 1) - at(i, j, 1, -1) - at(i, j, -1, 1)
                          + at(i, j, -1, -1)) / (4 * h * h)
    return hess.reshape(x.shape + x.shape)


# ------------------------------------------------------- realistic programs

def rosenbrock(np: Any, x: Any) -> Any:
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def softmax_cross_entropy(np: Any, w: Any) -> Any:
    """A linear classifier's mean cross-entropy on fixed data; ``w`` is (3 features, 4
    classes)."""
    data = numpy.linspace(-1.0, 1.0, 15).reshape(5, 3)
    labels = numpy.array([0, 3, 1, 2, 3])
    logits = np.dot(data, w)
    logits = logits - np.max(logits, axis=1, keepdims=True)
    log_p = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(log_p[np.arange(5), labels])


def euler_ode(np: Any, p: Any) -> Any:
    """Predator-prey by explicit Euler, the trajectory kept in an ``np.empty`` array."""
    steps, h = 12, 0.05
    traj = np.empty((steps + 1, 2))
    y = p
    traj[0] = y
    for i in range(steps):
        dy = np.array([y[0] * (1.0 - y[1]), y[1] * (y[0] - 1.0)])
        y = y + h * dy
        traj[i + 1] = y
    return traj[:, 0] * traj[:, 1]


def polynomial_fit(np: Any, c: Any) -> Any:
    """A polynomial whose coefficient array is built from the parameters with np.array."""
    coeffs = np.array([c[0] * c[1], c[1], 1.0, c[0] ** 2])
    xs = np.linspace(-1.0, 1.0, 7)
    target = np.cos(xs)
    return np.sum((np.polyval(coeffs, xs) - target) ** 2)


def statistics(np: Any, x: Any) -> Any:
    """NumPy's var and std (ddof=0 by default), a weighted average, a z-score."""
    z = (x - np.mean(x)) / np.std(x)
    return np.var(x) + np.average(z ** 2, weights=np.arange(1.0, 1.0 + x.shape[0])) \
        + np.std(x, ddof=1)


def least_squares(np: Any, a: Any) -> Any:
    """Normal equations of a 4x2 design matrix built from the parameters."""
    xs = np.array([0.0, 1.0, 2.0, 3.0])
    design = np.stack([np.ones(4), xs * a[0]], axis=1)
    target = np.sin(xs + a[1])
    beta = np.linalg.solve(np.dot(design.T, design), np.dot(design.T, target))
    residual = target - np.dot(design, beta)
    return np.dot(residual, residual)


def filled_matrix(np: Any, x: Any) -> Any:
    """A matrix filled element by element from np.zeros, then its determinant."""
    m = np.zeros((2, 2))
    m[0, 0] = np.exp(x[0])
    m[0, 1] = x[0] * x[1]
    m[1, 0] = np.sin(x[1])
    m[1, 1:] = np.array([x[0] + 2.0])  # (a list holding Tensors: see the test below)
    return np.linalg.det(m) + np.trace(np.outer(x, x))


def mlp(np: Any, w: Any) -> Any:
    """A 2-3 tanh layer and a log-softmax loss; the Tensor method h.max() (PyTorch's, the
    same value as NumPy's without an axis)."""
    weights, bias = np.reshape(w[:6], (3, 2)), w[6:9]
    hidden = np.tanh(weights @ np.array([0.5, -1.0]) + bias)
    z = hidden - hidden.max()
    return np.log(np.sum(np.exp(z))) - z[1]


def pairwise_energy(np: Any, flat: Any) -> Any:
    """Inverse distances between three points in the plane, with np.newaxis broadcasting."""
    pos = np.reshape(flat, (3, 2))
    diff = pos[:, np.newaxis, :] - pos[np.newaxis, :, :]
    r2 = np.sum(diff ** 2, axis=-1) + np.eye(3)
    return np.sum(np.triu(1.0 / np.sqrt(r2), 1))


def filled_like(np: Any, x: Any) -> Any:
    """np.empty_like filled in a loop; Python's sum and max over the array."""
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = np.sin(x[i]) * i
    return np.sum(out * out) + sum(x) + max(x)


SCALAR_PROGRAMS: dict[str, tuple[Callable, numpy.ndarray]] = {
    "rosenbrock": (rosenbrock, numpy.array([-0.5, 0.8, 1.2, 0.3])),
    "softmax cross-entropy": (softmax_cross_entropy, RNG.normal(size=(3, 4))),
    "polynomial with np.array of coefficients": (polynomial_fit, numpy.array([0.7, -0.4])),
    "statistics": (statistics, numpy.array([0.3, -1.2, 2.0, 0.9, 0.1])),
    "least squares": (least_squares, numpy.array([1.3, 0.2])),
    "matrix filled by assignment": (filled_matrix, numpy.array([0.4, -0.7])),
    "two-layer network": (mlp, numpy.linspace(-0.5, 0.7, 9)),
    "pairwise energy": (pairwise_energy, numpy.array([0.0, 0.0, 1.0, 0.2, 0.3, 1.1])),
    "np.empty_like filled in a loop": (filled_like, numpy.array([0.3, -0.4, 0.9])),
}
VECTOR_PROGRAMS: dict[str, tuple[Callable, numpy.ndarray]] = {
    "Euler ODE in np.empty": (euler_ode, numpy.array([1.2, 0.7])),
    "issue 20: np.empty then assignment": (
        lambda np, x: _fill(np, x), numpy.array([1.0, 2.0])),
}


def _fill(np: Any, x: Any) -> Any:
    out = np.empty(2)
    out[0] = x[0] ** 2
    out[1] = np.sin(x[1])
    return out


def _as_numpy(t: Any) -> numpy.ndarray:
    return t.detach().numpy() if isinstance(t, da.Tensor) else numpy.asarray(t)


@pytest.mark.parametrize("name", sorted(SCALAR_PROGRAMS) + sorted(VECTOR_PROGRAMS))
def test_the_program_gives_numpys_values(name):
    f, x = {**SCALAR_PROGRAMS, **VECTOR_PROGRAMS}[name]
    out = f(dnp, dnp.asarray(x))
    assert isinstance(out, da.Tensor)
    numpy.testing.assert_allclose(out.numpy(), f(numpy, x), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(SCALAR_PROGRAMS))
def test_scalar_programs_grad_matches_finite_differences(name):
    f, x = SCALAR_PROGRAMS[name]
    expected = fd_jacobian(f, x)
    g = func.grad(lambda v: f(dnp, v))(x)
    numpy.testing.assert_allclose(_as_numpy(g), expected, rtol=1e-6, atol=1e-7)
    value, g2 = func.value_and_grad(lambda v: f(dnp, v))(x)
    numpy.testing.assert_allclose(_as_numpy(g2), expected, rtol=1e-6, atol=1e-7)
    assert float(_as_numpy(value)) == pytest.approx(float(f(numpy, x)), rel=1e-12)


@pytest.mark.parametrize("name", sorted(SCALAR_PROGRAMS))
def test_scalar_programs_hessian_matches_finite_differences(name):
    f, x = SCALAR_PROGRAMS[name]
    expected = fd_hessian(f, x)
    hess = _as_numpy(func.hessian(lambda v: f(dnp, v))(x))
    numpy.testing.assert_allclose(hess, expected, rtol=1e-4, atol=1e-5)
    # forward over reverse agrees with the reverse-over-reverse Hessian, and so does hvp
    fwd = _as_numpy(func.jacfwd(func.grad(lambda v: f(dnp, v)))(x))
    numpy.testing.assert_allclose(fwd, hess, rtol=1e-9, atol=1e-10)
    v = numpy.linspace(-1.0, 1.0, x.size).reshape(x.shape)
    _, hv = func.hvp(lambda u: f(dnp, u), x, v)
    expected_hv = (hess.reshape(x.size, x.size) @ v.ravel()).reshape(x.shape)
    numpy.testing.assert_allclose(_as_numpy(hv), expected_hv, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("jac", ["jacfwd", "jacrev"])
@pytest.mark.parametrize("name", sorted(VECTOR_PROGRAMS))
def test_vector_programs_jacobian_matches_finite_differences(name, jac):
    f, x = VECTOR_PROGRAMS[name]
    got = getattr(func, jac)(lambda v: f(dnp, v))(x)
    numpy.testing.assert_allclose(_as_numpy(got), fd_jacobian(f, x), rtol=1e-6, atol=1e-7)


def test_the_issues_fill_example_is_exact():
    expected = [[2.0, 0.0], [0.0, math.cos(2.0)]]
    for jac in (func.jacfwd, func.jacrev):
        numpy.testing.assert_allclose(jac(lambda v: _fill(dnp, v))(numpy.array([1., 2.])),
                                      expected, rtol=1e-15)
    out, tangent = func.jvp(lambda x: dnp.array([x, x * 2.0]), (3.0,), (1.0,))
    numpy.testing.assert_allclose(out, [3.0, 6.0])
    numpy.testing.assert_allclose(tangent, [1.0, 2.0])


def test_plain_numpy_refuses_what_dualad_numpy_differentiates():
    """The same two programs with plain NumPy raise ConcretizationTypeError (never zeros),
    and the error points to dualad.numpy."""
    with pytest.raises((ConcretizationTypeError, ValueError)):
        func.jacfwd(lambda v: _fill(numpy, v))(numpy.array([1., 2.]))
    with pytest.raises(ConcretizationTypeError, match="import dualad.numpy as np"):
        func.jvp(lambda x: numpy.array([x, x * 2.0]), (3.0,), (1.0,))


def test_assigning_a_list_holding_tensors_stacks_it_as_np_array_does():
    # (it raised TypeError; see tests/test_numpy_assignments.py)
    for wrap in (list, dnp.array):
        x = da.tensor(2.0, requires_grad=True)
        m = dnp.zeros(2)
        m[:] = wrap([x, x * x])
        m.sum().backward()
        assert x.grad.item() == 1.0 + 2 * 2.0


def test_augmented_assignment_into_a_slice_and_assignment_work():
    def accumulate(x: Any, augmented: bool) -> Any:
        acc = dnp.zeros(3)
        for i in range(3):
            acc += x * i  # the whole array: in place, differentiable
        if augmented:
            acc[1:] += x[:2]
        else:
            acc[1:] = acc[1:] + x[:2]
        return acc

    x = numpy.array([1.0, 2.0, 3.0])
    expected = [[3.0, 0.0, 0.0], [1.0, 3.0, 0.0], [0.0, 1.0, 3.0]]
    for jac in (func.jacrev, func.jacfwd):
        for augmented in (False, True):  # acc[1:] += ... writes through the view, as NumPy
            numpy.testing.assert_array_equal(jac(lambda v, a=augmented: accumulate(v, a))(x),
                                             expected)


def test_reading_back_a_row_saved_for_backward_raises_in_reverse_mode():
    """``traj[i + 1] = f(traj[i])`` reads a view of the array that the next assignment
    changes: PyTorch's in-place rule raises in reverse mode (forward mode is right); a
    copy of the row, as docs/numpy-code.md says, works in both."""
    def reads_back(np: Any, p: Any, copy: bool) -> Any:
        traj = np.empty((4, 2))
        traj[0] = p
        for i in range(3):
            y = np.copy(traj[i]) if copy else traj[i]
            traj[i + 1] = y + 0.1 * np.array([y[1], -y[0] * y[1]])
        return traj[-1]

    p = numpy.array([1.0, 0.5])
    expected = fd_jacobian(lambda np, v: reads_back(np, v, False), p)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        func.jacrev(lambda v: reads_back(dnp, v, False))(p)
    numpy.testing.assert_allclose(func.jacfwd(lambda v: reads_back(dnp, v, False))(p),
                                  expected, rtol=1e-6)
    for jac in (func.jacfwd, func.jacrev):
        numpy.testing.assert_allclose(jac(lambda v: reads_back(dnp, v, True))(p), expected,
                                      rtol=1e-6)


# ------------------------------------------- NumPy's semantics, not PyTorch's

DATA = numpy.array([[0.5, -1.0, 2.0], [3.0, 0.25, -0.75]])

# (program of a module m and an array a): the result must equal NumPy's
SEMANTICS: dict[str, Callable[[Any, Any], Any]] = {
    "var": lambda m, a: m.var(a),
    "var axis": lambda m, a: m.var(a, axis=1),
    "var ddof=1 keepdims": lambda m, a: m.var(a, axis=0, ddof=1, keepdims=True),
    "std": lambda m, a: m.std(a),
    "std axis ddof": lambda m, a: m.std(a, axis=1, ddof=1),
    "sum axis": lambda m, a: m.sum(a, axis=0),
    "sum keepdims": lambda m, a: m.sum(a, axis=1, keepdims=True),
    "sum of a list of rows": lambda m, a: m.sum([a[0], a[1]], axis=0),
    "max": lambda m, a: m.max(a),
    "max axis": lambda m, a: m.max(a, axis=1),
    "amin keepdims": lambda m, a: m.amin(a, axis=0, keepdims=True),
    "round decimals": lambda m, a: m.round(a * 1.234, 2),
    "mean axis": lambda m, a: m.mean(a, axis=-1),
    "prod": lambda m, a: m.prod(a, axis=0),
    "cumsum flat": lambda m, a: m.cumsum(a),
    "transpose": lambda m, a: m.transpose(a),
    "dot matrix vector": lambda m, a: m.dot(a, [1.0, 2.0, 3.0]),
    "concatenate axis=None": lambda m, a: m.concatenate([a, a], axis=None),
    "clip": lambda m, a: m.clip(a, -0.5, 1.0),
    "where": lambda m, a: m.where(a > 0, a, 0.0),
    "abs alias of absolute": lambda m, a: m.abs(a),
    "linalg.norm": lambda m, a: m.linalg.norm(a),
    "exp of a list": lambda m, a: m.exp([0.0, 1.0]),
    "ufunc out=": lambda m, a: _ufunc_out(m, a),
    "arange": lambda m, a: m.arange(1.0, 3.0, 0.5),
    "linspace": lambda m, a: m.linspace(0.0, 2.0, 5),
    "eye": lambda m, a: m.eye(3, k=1),
    "full": lambda m, a: m.full((2, 2), 7.0),
    "ones int": lambda m, a: m.ones(3, dtype=int),
    "array ndmin": lambda m, a: m.array([1, 2], ndmin=3),
    "array float32": lambda m, a: m.array([1.5, 2.5], dtype=m.float32),
    "isnan": lambda m, a: m.isnan(m.log(a)),
    "argsort": lambda m, a: m.argsort(a, axis=1),
    "nonzero": lambda m, a: m.nonzero(a > 0)[1],
    "triu_indices": lambda m, a: a[m.triu_indices(2)],
}


def _ufunc_out(m: Any, a: Any) -> Any:
    out = m.zeros(a.shape)
    m.multiply(a, 2.0, out=out)
    return out


@pytest.mark.parametrize("name", sorted(SEMANTICS))
def test_dualad_numpy_has_numpys_semantics(name):
    program = SEMANTICS[name]
    with numpy.errstate(invalid="ignore"):
        expected = program(numpy, DATA.copy())
        got = program(dnp, dnp.array(DATA))
    assert isinstance(got, da.Tensor), type(got)
    assert got.shape == numpy.shape(expected)
    assert got.dtype == numpy.asarray(expected).dtype
    numpy.testing.assert_allclose(got.numpy(), expected, rtol=1e-14)


def test_var_and_std_are_numpys_here_and_pytorchs_on_the_tensor():
    x = DATA.ravel()
    t = da.tensor(x)
    n = x.size
    biased = float(numpy.sum((x - x.mean()) ** 2)) / n
    assert float(dnp.var(t)) == pytest.approx(biased, rel=1e-14)
    assert float(t.var()) == pytest.approx(biased * n / (n - 1), rel=1e-14)
    assert float(dnp.std(t)) == pytest.approx(math.sqrt(biased), rel=1e-14)
    assert float(t.std()) == pytest.approx(math.sqrt(biased * n / (n - 1)), rel=1e-14)
    assert float(dnp.var(t, ddof=1)) == pytest.approx(float(t.var()), rel=1e-14)
    # and their gradients: d var / dx = 2 (x - mean) / (n - ddof)
    for ddof in (0, 1):
        g = func.grad(lambda v, d=ddof: dnp.var(v, ddof=d))(x)
        numpy.testing.assert_allclose(g, 2 * (x - x.mean()) / (n - ddof), rtol=1e-12)


def test_max_is_numpys_not_pytorchs():
    t = da.tensor(DATA)
    numpy.testing.assert_array_equal(dnp.max(t, 1).numpy(), DATA.max(axis=1))
    values, indices = da.max(t, 1)  # PyTorch's: values and indices
    numpy.testing.assert_array_equal(indices.numpy(), DATA.argmax(axis=1))


# ------------------------------------------------------------- creation

def test_array_of_tensors_stacks_them_and_gradients_flow():
    x = da.tensor(1.5, requires_grad=True)
    y = da.tensor([2.0, -1.0], requires_grad=True)
    a = dnp.array([[x, 0.0], [y[0] * x, 3]])
    assert a.dtype == numpy.float64 and a.shape == (2, 2)
    numpy.testing.assert_array_equal(a.detach().numpy(), [[1.5, 0.0], [3.0, 3.0]])
    (a * dnp.array([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert x.grad.item() == 1.0 + 3.0 * 2.0
    numpy.testing.assert_array_equal(y.grad.numpy(), [3.0 * 1.5, 0.0])


def test_array_of_tuples_rows_and_mixed_tensors():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    a = dnp.asarray((x, (3.0, x[0])))
    numpy.testing.assert_array_equal(a.detach().numpy(), [[1.0, 2.0], [3.0, 1.0]])
    a.sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), [2.0, 1.0])


def test_array_of_ragged_tensors_raises_naming_the_shapes():
    x = da.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"dualad.numpy.array.*\(2,\)"):
        dnp.array([x, 1.0])


def test_asarray_keeps_a_tensor_and_array_copies_it_in_the_graph():
    t = da.tensor([1.0, 2.0], requires_grad=True)
    assert dnp.asarray(t) is t
    c = dnp.array(t)
    assert c is not t and c.grad_fn is not None
    c2 = dnp.array(t.detach())
    c2[0] = 9.0
    assert t[0].item() == 1.0  # a copy
    (c * 3.0).sum().backward()
    numpy.testing.assert_array_equal(t.grad.numpy(), [3.0, 3.0])
    with pytest.raises(RuntimeError, match="requires grad"):
        numpy.asarray(t)  # plain NumPy's asarray refuses it (PyTorch's rule)


def test_asarray_of_a_numpy_array_shares_its_memory_and_array_copies():
    buf = numpy.zeros(3)
    shared, copied = dnp.asarray(buf), dnp.array(buf)
    shared[0] = 5.0
    copied[1] = 7.0
    assert buf.tolist() == [5.0, 0.0, 0.0]  # as NumPy's asarray and array
    assert dnp.asarray(buf, dtype=numpy.float32)._data is not buf


def test_plain_data_gives_tensors_with_numpys_dtypes():
    for obj in ([1, 2], [1.0, 2], [[True, False]], 3, 2.5, numpy.arange(3, dtype=numpy.int32)):
        t = dnp.array(obj)
        assert isinstance(t, da.Tensor)
        assert t.dtype == numpy.array(obj).dtype
        numpy.testing.assert_array_equal(t.numpy(), numpy.array(obj))
    assert isinstance(dnp.ones(3), dnp.ndarray)


def test_full_and_linspace_with_tensor_values_stay_in_the_graph():
    s = da.tensor(2.0, requires_grad=True)
    filled = dnp.full((2, 3), s)
    filled[0, 0] = 0.0
    filled.sum().backward()
    assert s.grad.item() == 5.0
    # d/dstop of linspace(start, stop, n)[k] = k / (n - 1); endpoint=False: k / n
    for endpoint, denom in ((True, 4), (False, 5)):
        jac = func.jacrev(lambda b, e=endpoint: dnp.linspace(0.5, b, 5, endpoint=e))(3.0)
        numpy.testing.assert_allclose(jac, numpy.arange(5) / denom, rtol=1e-15)
        numpy.testing.assert_allclose(dnp.linspace(0.5, da.tensor(3.0), 5, endpoint=endpoint),
                                      numpy.linspace(0.5, 3.0, 5, endpoint=endpoint))


def test_empty_zeros_ones_are_assignable_and_numpys_shape_and_dtype():
    for name in ("empty", "zeros", "ones"):
        t = getattr(dnp, name)((2, 3))
        ref = getattr(numpy, name)((2, 3))
        assert isinstance(t, da.Tensor) and t.shape == ref.shape and t.dtype == ref.dtype
        t[1] = [1.0, 2.0, 3.0]
        assert t[1, 2].item() == 3.0
    assert dnp.zeros(4, dtype=dnp.float32).dtype == numpy.float32


def test_a_no_gradient_function_works_on_a_differentiated_value():
    """isnan, argsort... read the values only (their results carry no gradient), so they
    do not raise inside a transform; the gradient through the rest is right."""
    def f(x: Any) -> Any:
        safe = dnp.where(dnp.isnan(x), 0.0, x)
        order = dnp.argsort(safe)
        return dnp.sum(safe[order] * dnp.arange(1.0, 4.0))

    x = numpy.array([2.0, numpy.nan, -1.0])
    # safe = [2, 0, -1], sorted [-1, 0, 2] weighted by [1, 2, 3]
    numpy.testing.assert_array_equal(func.grad(f)(x), [3.0, 0.0, 1.0])


def test_metadata_functions_take_tensors_and_lists():
    t = da.tensor(DATA, requires_grad=True)
    assert dnp.shape(t) == (2, 3) and dnp.ndim(t) == 2 and dnp.size(t) == 6
    assert dnp.shape([[1, 2]]) == (1, 2)
    assert dnp.result_type(t, 1.0) == numpy.float64
    assert dnp.iscomplexobj(t) is False
    assert "0.5" in dnp.array2string(t)
    assert dnp.shape(a=t) == (2, 3)  # Tensors given by keyword too


def test_no_gradient_functions_take_tensors_by_keyword():
    t = da.tensor([0.5, 1.5, 2.5], requires_grad=True)
    got = func.grad(lambda x: dnp.sum(x * dnp.searchsorted(a=[1.0, 2.0], v=x)))(t.detach())
    numpy.testing.assert_array_equal(_as_numpy(got), [0.0, 1.0, 2.0])
    assert dnp.isclose(t, b=t).numpy().all()


# ------------------------------------------------------------ the namespace

def test_the_real_numpy_is_not_shadowed_inside_dualad():
    importlib.import_module("dualad.numpy.linalg")
    for name, module in sorted(sys.modules.items()):
        if name.startswith("dualad") and isinstance(module, types.ModuleType):
            for alias in ("np", "_np"):
                if alias in vars(module):
                    assert vars(module)[alias] is numpy, (name, alias)


def test_forwarded_names_are_numpys_own():
    assert dnp.random is numpy.random
    for name in ("pi", "e", "inf", "euler_gamma", "float64", "float32", "int64", "finfo",
                 "iinfo", "errstate", "dtype", "s_"):
        assert getattr(dnp, name) is getattr(numpy, name), name
    assert dnp.newaxis is None and math.isnan(dnp.nan)
    assert isinstance(da.tensor(1.0), dnp.ndarray) and issubclass(da.Tensor, dnp.ndarray)
    assert not isinstance(numpy.zeros(2), dnp.ndarray)
    with pytest.raises(TypeError, match="use np.empty"):  # not Tensor((2, 3)) = [2, 3]
        dnp.ndarray((2, 3))
    assert dnp.linalg.LinAlgError is numpy.linalg.LinAlgError
    assert dnp.testing is numpy.testing


def _public(module: types.ModuleType) -> list[str]:
    return list(module.__all__)


@pytest.mark.parametrize("module", [dnp, dnp.linalg, dnp.fft], ids=lambda m: m.__name__)
def test_every_public_name_resolves(module):
    names = _public(module)
    assert names == sorted(set(names)) and set(dir(module)) >= set(names)
    missing = []
    for name in names:
        try:
            getattr(module, name)
        except AttributeError as exc:
            missing.append(f"{name}: {exc}")
    assert not missing, missing


@pytest.mark.parametrize("np_module, module", [(numpy, dnp), (numpy.linalg, dnp.linalg),
                                               (numpy.fft, dnp.fft)],
                         ids=["numpy", "linalg", "fft"])
def test_every_function_of_the_interop_tables_is_there_under_each_numpy_name(np_module,
                                                                             module):
    """Derived from the tables (not from dualad.numpy): every NumPy name whose object has
    an interop entry is offered and is differentiable (a wrapper that calls the entry)."""
    table = set(interop.UFUNCS) | set(interop.FUNCTIONS)
    names = [n for n, obj in vars(np_module).items() if not n.startswith("_")
             and _hashable(obj) and obj in table]
    if np_module is numpy:
        assert len(names) > 150  # the tables had 200 entries when this was written
    for name in names:
        assert name in module.__all__, name
        assert callable(getattr(module, name)), name


def test_the_tables_functions_are_differentiated_through_dualad_numpy():
    x = numpy.array([0.3, 0.7, 1.1])
    for name, expected in (("sin", numpy.cos(x)), ("exp", numpy.exp(x)),
                           ("log1p", 1 / (1 + x)), ("cbrt", x ** (-2 / 3) / 3),
                           ("square", 2 * x)):
        g = func.grad(lambda v, n=name: dnp.sum(getattr(dnp, n)(v)))(x)
        numpy.testing.assert_allclose(g, expected, rtol=1e-12, err_msg=name)


def test_a_numpy_function_dualad_cannot_differentiate_raises_naming_it():
    with pytest.raises(AttributeError, match=r"dualad.numpy.busday_count: "
                                             r"numpy.busday_count is not differentiable"):
        dnp.busday_count  # noqa: B018
    # np.linalg: a name with no interop entry, no dualad.linalg function, not integer-valued
    table = set(interop.FUNCTIONS)
    try:
        dualad_linalg = importlib.import_module("dualad.linalg")
    except ImportError:
        dualad_linalg = None
    lacking = [n for n, obj in vars(numpy.linalg).items()
               if not n.startswith("_") and callable(obj) and not isinstance(obj, type)
               and obj not in table and n not in ("matrix_rank", "test")
               and not hasattr(dualad_linalg, n)]
    for name in lacking:
        with pytest.raises(AttributeError, match=rf"numpy.linalg.{name} is not "
                                                 "differentiable in dualad yet"):
            getattr(dnp.linalg, name)
    with pytest.raises(AttributeError, match="numpy.ma is not offered"):
        dnp.ma  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        dnp.no_such_name  # noqa: B018
    assert not hasattr(dnp, "busday_count") and "busday_count" not in dir(dnp)


def test_submodule_imports_work():
    from dualad.numpy import linalg as la

    assert la is dnp.linalg
    assert importlib.import_module("dualad.numpy.fft") is dnp.fft
    t = dnp.fft.fftfreq(4)
    numpy.testing.assert_array_equal(t.numpy(), numpy.fft.fftfreq(4))


def test_fftfreq_is_differentiable_in_the_spacing():
    """A float result of a Tensor argument is never computed on the bare values: the
    frequencies k / (n d) depend on d."""
    for name, n in (("fftfreq", 5), ("rfftfreq", 6)):
        fn = getattr(dnp.fft, name)
        numpy.testing.assert_allclose(fn(n, 0.2).numpy(), getattr(numpy.fft, name)(n, 0.2),
                                      rtol=1e-15)
        k = getattr(numpy.fft, name)(n) * n  # the integers k
        numpy.testing.assert_allclose(func.jacrev(lambda d, f=fn, m=n: f(m, d))(0.2),
                                      -k / (n * 0.2 ** 2), rtol=1e-14)


# ------------------------------------------- ufunc methods, where, in-place helpers

UFUNC_METHODS: dict[str, Callable[[Any, Any], Any]] = {
    "add.reduce": lambda m, a: m.add.reduce(a),
    "add.reduce axis None": lambda m, a: m.add.reduce(a, axis=None),
    "multiply.reduce keepdims": lambda m, a: m.multiply.reduce(a, axis=1, keepdims=True),
    "maximum.reduce": lambda m, a: m.maximum.reduce(a, axis=1),
    "subtract.reduce (not reorderable)": lambda m, a: m.subtract.reduce(a, axis=1),
    "subtract.reduce initial": lambda m, a: m.subtract.reduce(a, axis=0, initial=10.0),
    "logaddexp.reduce": lambda m, a: m.logaddexp.reduce(a, axis=0),
    "hypot.reduce keepdims": lambda m, a: m.hypot.reduce(a, axis=-1, keepdims=True),
    "add.reduce initial": lambda m, a: m.add.reduce(a, axis=1, initial=2.0),
    "add.accumulate": lambda m, a: m.add.accumulate(a, axis=1),
    "multiply.accumulate": lambda m, a: m.multiply.accumulate(a),
    "maximum.accumulate": lambda m, a: m.maximum.accumulate(a, axis=1),
    "subtract.accumulate": lambda m, a: m.subtract.accumulate(a, axis=1),
    "add.outer": lambda m, a: m.add.outer(a[0], a[1]),
    "power.outer": lambda m, a: m.power.outer(m.abs(a[0]), [1.0, 2.0]),
    "arctan2.outer 2-d": lambda m, a: m.arctan2.outer(a, a[1]),
}


def _check_values_and_jacobians(name: str, program) -> None:
    """NumPy's values through dualad.numpy; jacrev and jacfwd against differences."""
    expected = program(numpy, DATA)
    got = program(dnp, dnp.asarray(DATA))
    assert isinstance(got, da.Tensor) and got.shape == numpy.shape(expected)
    numpy.testing.assert_allclose(got.numpy(), expected, rtol=1e-14)
    jac = fd_jacobian(program, DATA)
    for transform in (func.jacrev, func.jacfwd):
        numpy.testing.assert_allclose(_as_numpy(transform(lambda v: program(dnp, v))(DATA)),
                                      jac, rtol=1e-6, atol=1e-8, err_msg=name)


@pytest.mark.parametrize("name", sorted(UFUNC_METHODS))
def test_ufunc_methods_give_numpys_values_and_derivatives(name):
    _check_values_and_jacobians(name, UFUNC_METHODS[name])


def test_ufunc_methods_raise_clearly_where_they_cannot_work():
    assert dnp.add.nin == 2 and dnp.add.types == numpy.add.types
    assert repr(dnp.sin) == "<dualad.numpy ufunc 'sin'>"
    with pytest.raises(AttributeError, match="add.at is not offered"):
        dnp.add.at  # noqa: B018
    with pytest.raises(ValueError, match="only binary ufuncs"):
        dnp.sin.reduce([1.0, 2.0])
    with pytest.raises(TypeError, match="one axis at a time"):
        dnp.subtract.reduce(DATA, axis=(0, 1))
    with pytest.raises(TypeError, match="where= is not supported"):
        dnp.add.reduce(DATA, where=DATA > 0)
    with pytest.raises(ValueError, match="no identity"):
        dnp.arctan2.reduce(numpy.zeros((0, 2)), axis=0)
    # an empty reduction with an identity is NumPy's
    numpy.testing.assert_array_equal(dnp.add.reduce(numpy.zeros((0, 2))).numpy(), [0.0, 0.0])


def test_one_argument_where_is_nonzero():
    got = dnp.where(dnp.array(DATA) > 0.4)
    expected = numpy.where(DATA > 0.4)
    assert len(got) == 2
    for g, e in zip(got, expected):
        numpy.testing.assert_array_equal(g.numpy(), e)
    with pytest.raises(TypeError, match="condition alone, or with both x and y"):
        dnp.where(DATA > 0, DATA)


def test_copyto_and_fill_diagonal_are_differentiable_in_place_assignments():
    mask = numpy.array([True, False, True])

    def copied(x: Any) -> Any:
        out = dnp.ones(3)
        dnp.copyto(out, x * 2.0, where=mask)
        return out

    numpy.testing.assert_array_equal(func.jacfwd(copied)(numpy.array([1.0, 2.0, 3.0])),
                                     numpy.diag([2.0, 0.0, 2.0]))

    def diagonal(x: Any) -> Any:
        out = dnp.zeros((3, 4))
        dnp.fill_diagonal(out, x ** 2)
        return out

    x = numpy.array([1.0, -2.0])  # repeats along the diagonal, as in NumPy
    ref = numpy.zeros((3, 4))
    numpy.fill_diagonal(ref, x ** 2)
    numpy.testing.assert_array_equal(diagonal(x).numpy(), ref)
    jac = func.jacrev(diagonal)(x)
    numpy.testing.assert_allclose(jac, fd_jacobian(lambda np, v: _np_fill(np, v), x),
                                  atol=1e-8)
    plain = numpy.zeros(2)
    dnp.copyto(plain, [1.0, 2.0])  # a NumPy destination: NumPy's copyto
    assert plain.tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="a must be a dualad Tensor"):
        dnp.fill_diagonal(numpy.zeros((2, 2)), 1.0)


def _np_fill(np: Any, v: Any) -> Any:
    out = np.zeros((3, 4))
    np.fill_diagonal(out, v ** 2)
    return out


A2 = numpy.array([[1.0, 2.0], [3.0, 4.0]])
# r_ / c_ keys, written as text so NumPy and dualad.numpy read the same one
CONCATENATIONS = {
    "r_": ["[1.0, 2.0], 3.0, [4.0]", "0:5", "-1:1:5j, 2.0", "'0,2', [1., 2., 3.], [4., 5., 6.]",
           "'0,2,0', [1., 2., 3.], [4., 5., 6.]", "'1', A2, A2", "'-1,3,1', [1.0, 2.0]",
           "A2, A2"],
    "c_": ["[1.0, 2.0], [3.0, 4.0]", "A2, A2", "A2, [5.0, 6.0]", "[1.0, 2.0], A2"],
}


@pytest.mark.parametrize("which, key", [(w, k) for w, keys in CONCATENATIONS.items()
                                        for k in keys])
def test_r_and_c_give_numpys_arrays(which, key):
    expected = eval(f"numpy.{which}[{key}]")  # noqa: S307
    got = eval(f"dnp.{which}[{key}]")  # noqa: S307
    assert isinstance(got, da.Tensor) and got.shape == expected.shape
    numpy.testing.assert_array_equal(got.numpy(), expected)


def test_r_and_c_keep_tensors_in_the_graph():
    def f(np: Any, x: Any) -> Any:
        return np.ravel(np.c_[np.r_[x, x[0] * 3.0, 0:2], np.r_[0.5:3.0:5j] * x[1]])

    x = numpy.array([1.0, 2.0])
    numpy.testing.assert_array_equal(f(dnp, dnp.asarray(x)).numpy(), f(numpy, x))
    for jac in (func.jacrev, func.jacfwd):
        numpy.testing.assert_allclose(jac(lambda v: f(dnp, v))(x), fd_jacobian(f, x),
                                      atol=1e-8)
    with pytest.raises(TypeError, match="no matrix directives"):
        dnp.r_["r", [1.0, 2.0]]
    with pytest.raises(ConcretizationTypeError):  # NumPy's own r_ cannot keep them
        func.grad(lambda v: numpy.sum(numpy.r_[v, v]))(x)


def test_dualad_numpy_is_imported_on_first_use_of_the_attribute():
    import os
    import subprocess

    code = ("import sys, dualad as da; assert 'dualad.numpy' not in sys.modules; "
            "assert da.numpy.array([1.0]).shape == (1,); assert 'numpy' in dir(da)")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120)
    assert run.returncode == 0, run.stderr


@st.composite
def nested_with_tensors(draw: Any) -> tuple[Any, numpy.ndarray, list]:
    """A nested list of shape ``shape`` whose leaves are floats, 0-d Tensors that require
    grad, or (at the last level) whole rows as 1-d Tensors; with the values as an array
    and the Tensors with the index ranges they fill."""
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    values = numpy.asarray(draw(st.lists(st.floats(-5, 5), min_size=int(numpy.prod(shape)),
                                         max_size=int(numpy.prod(shape))))).reshape(shape)
    leaves: list = []

    def build(index: tuple) -> Any:
        depth = len(index)
        if depth == len(shape) - 1 and draw(st.booleans()):
            row = da.tensor(values[index], requires_grad=True)
            leaves.append((row, index))
            return row
        if depth == len(shape):
            kind = draw(st.sampled_from(["float", "tensor"]))
            if kind == "float":
                return float(values[index])
            leaf = da.tensor(values[index], requires_grad=True)
            leaves.append((leaf, index))
            return leaf
        items = [build(index + (i,)) for i in range(shape[depth])]
        return tuple(items) if draw(st.booleans()) else items

    return build(()), values, leaves


@settings(max_examples=max(20, settings().max_examples), deadline=None)
@given(case=nested_with_tensors())
def test_array_of_any_nesting_of_tensors_has_numpys_values_and_routes_gradients(case):
    nested, values, leaves = case
    out = dnp.array(nested)
    assert out.shape == values.shape and out.dtype == numpy.float64
    numpy.testing.assert_array_equal(out.detach().numpy(), values)
    weights = numpy.arange(1.0, 1.0 + values.size).reshape(values.shape)
    if leaves:
        (out * weights).sum().backward()
        for leaf, index in leaves:  # each Tensor gets the weights of the places it fills
            numpy.testing.assert_array_equal(leaf.grad.numpy(), weights[index])


# ------------------------------------- functions that call a Python function

CALLING: dict[str, Callable[[Any, Any], Any]] = {
    "vectorize with a branch": lambda m, a: m.vectorize(
        lambda t: m.sin(t) if t > 0 else t ** 2)(a),
    "vectorize broadcasting two arguments": lambda m, a: m.vectorize(
        lambda s, t: s * t - s)(a, a[0]),
    "apply_along_axis to a vector": lambda m, a: m.apply_along_axis(
        lambda v: m.array([m.sum(v ** 2), v[0] * v[-1]]), 1, a),
    "apply_along_axis to a scalar": lambda m, a: m.apply_along_axis(
        lambda v: v[0] * v[1], 0, a),
    "piecewise with an otherwise function": lambda m, a: m.piecewise(
        a, [a < 0], [lambda v: v ** 2, lambda v: m.sqrt(v + 1.0)]),
    "piecewise with constants": lambda m, a: a * m.piecewise(a, [a < 0, a > 1], [-1.0, 2.0]),
    "fromfunction": lambda m, a: m.fromfunction(lambda i, j: a[0, 0] * i + a[1, 1] * j ** 2,
                                                (2, 3)),
    "logspace": lambda m, a: m.logspace(a[0, 0], a[1, 1], 4, base=2.0),
}


@pytest.mark.parametrize("name", sorted(CALLING))
def test_functions_that_call_python_functions_are_differentiable(name):
    _check_values_and_jacobians(name, CALLING[name])


def test_piecewise_hides_an_invalid_branch_from_the_derivative():
    """sqrt of the negative elements is never evaluated (np.where would give nan there)."""
    x = numpy.array([-4.0, 0.25, 1.0])
    g = func.grad(lambda v: dnp.sum(dnp.piecewise(v, [v < 0], [0.0, dnp.sqrt])))(x)
    numpy.testing.assert_allclose(g, [0.0, 1.0, 0.5])


def test_astype_and_the_errors_of_the_calling_functions():
    assert dnp.astype(dnp.array([1.5]), numpy.float32).dtype == numpy.float32
    with pytest.raises(TypeError, match="signature= is not supported"):
        dnp.vectorize(abs, signature="(n)->()")
    with pytest.raises(ValueError, match="different shapes"):
        dnp.apply_along_axis(lambda v: v[: int(v[0].item())], 1, [[1.0, 0.0], [2.0, 0.0]])
    with pytest.raises(ValueError, match="2 conditions need 2 or 3 functions"):
        dnp.piecewise(dnp.array([1.0]), [[True], [False]], [1.0])


def test_arrays_from_data_are_tensors_and_refuse_a_differentiated_value():
    import io

    for name, args in (("tri", (3,)), ("hanning", (5,)), ("fromiter", (range(4), float))):
        got = getattr(dnp, name)(*args)
        assert isinstance(got, da.Tensor)
        numpy.testing.assert_array_equal(got.numpy(), getattr(numpy, name)(*args))
    numpy.testing.assert_array_equal(dnp.loadtxt(io.StringIO("1 2\n3 4")).numpy(),
                                     [[1.0, 2.0], [3.0, 4.0]])
    numpy.testing.assert_array_equal(dnp.gcd([4, 6], 4).numpy(), [4, 2])
    with pytest.raises(ValueError) as info:  # NumPy's report, caused by the refusal
        func.grad(lambda x: dnp.sum(dnp.fromiter([x, x], float)))(1.0)
    assert isinstance(info.value.__cause__, ConcretizationTypeError)

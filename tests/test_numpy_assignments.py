"""dualad.numpy assignments and ufunc keywords: ``out[:] = [x, y]`` stacks, ``dtype=`` casts,
and the updates that cannot be differentiated (``acc[1:] += v`` into a view, a row read
then overwritten in reverse mode) raise errors that name the fix.

Oracles: closed forms, NumPy's own values (``np.sin(a, dtype=np.float32)``), the other
mode, and PyTorch (which refuses the same row-overwrite program) when installed.
"""

from __future__ import annotations

import numpy
import pytest

import dualad as da
import dualad.numpy as np
from dualad import func

X = numpy.array([0.5, -1.5])


def _assign_list(x):
    out = np.zeros((2, 3))
    out[0] = [x[0] ** 2, x[1], 1.0]            # a list mixing Tensors and numbers
    out[1, :2] = (x[0] * x[1], np.sin(x[1]))   # a tuple into a slice
    out[1, 2] = [x[0]][0]
    return out


def _assign_list_jacobian(x):
    j = numpy.zeros((2, 3, 2))
    j[0, 0, 0] = 2 * x[0]
    j[0, 1, 1] = 1.0
    j[1, 0] = [x[1], x[0]]
    j[1, 1, 1] = numpy.cos(x[1])
    j[1, 2, 0] = 1.0
    return j


@pytest.mark.parametrize("jac", [func.jacrev, func.jacfwd], ids=["jacrev", "jacfwd"])
def test_assigning_a_list_of_tensors_stacks_it(jac) -> None:
    numpy.testing.assert_allclose(jac(_assign_list)(X), _assign_list_jacobian(X))
    value = _assign_list(X)
    numpy.testing.assert_allclose(value.numpy(), [[0.25, -1.5, 1.0],
                                                  [-0.75, numpy.sin(-1.5), 0.5]])


def test_assigning_nested_lists_into_a_plain_tensor() -> None:
    a = da.tensor(1.0, requires_grad=True)
    b = da.tensor(2.0, requires_grad=True)
    t = da.zeros((2, 2))
    t[:] = [[a, b], [b * b, 3.0]]
    t.sum().backward()
    assert (a.grad.item(), b.grad.item()) == (1.0, 5.0)
    with pytest.raises(ValueError, match="setitem: the elements have different shapes"):
        t[0] = [a, da.ones(2)]


def test_ufunc_dtype_is_honoured_not_ignored() -> None:
    # regression: dtype= was dropped, so the result stayed float64
    a = numpy.array([0.3, 1.7])
    for call in (lambda t: numpy.sin(t, dtype=numpy.float32),   # __array_ufunc__
                 lambda t: np.sin(t, dtype=numpy.float32)):     # dualad.numpy's ufunc
        t = da.tensor(a, requires_grad=True)
        y = call(t)
        assert y.dtype == numpy.float32
        numpy.testing.assert_array_equal(y.detach().numpy(), numpy.sin(a, dtype=numpy.float32))
        y.sum().backward()
        numpy.testing.assert_allclose(t.grad.numpy(), numpy.cos(a), rtol=1e-6)
    g = func.jacfwd(lambda x: np.exp(x, dtype=numpy.float32))(a)
    numpy.testing.assert_allclose(numpy.diag(g), numpy.exp(a), rtol=1e-6)
    z = np.multiply(da.tensor(a), 2.0, dtype=numpy.complex128)
    assert z.dtype == numpy.complex128
    with pytest.raises(TypeError, match="numpy.sin.*dtype=int64 is not supported"):
        numpy.sin(da.tensor(a), dtype=numpy.int64)
    with pytest.raises(TypeError, match="cannot cast ufunc 'add' input from complex128 to "
                                        "float64 with casting rule 'same_kind'"):
        numpy.add(da.tensor(a + 1j), 1.0, dtype=numpy.float64)


def _accumulate(v):
    acc = np.ones(3)
    acc[1:] += v
    return (acc * acc).sum()


def _accumulate_fixed(v):
    acc = np.ones(3)
    acc[1:] = acc[1:] + v            # what the message says to write
    return (acc * acc).sum()


def test_augmented_assignment_into_a_slice_writes_through() -> None:
    for transform in (func.grad, func.jacfwd):
        # d/dv sum((1 + v)**2) = 2 (1 + v), written either way
        numpy.testing.assert_allclose(transform(_accumulate)(X), 2 * (1 + X))
        numpy.testing.assert_allclose(transform(_accumulate_fixed)(X), 2 * (1 + X))


def _trajectory(x, copy: bool):
    traj = np.zeros((3, 2))
    traj[0] = x
    for i in range(2):
        row = traj[i].clone() if copy else traj[i]
        traj[i + 1] = np.sin(row)
    return traj.sum()


def test_overwriting_a_row_that_was_read_names_the_fix_in_reverse_mode() -> None:
    with pytest.raises(RuntimeError, match=r"traj\[i \+ 1\] = f\(traj\[i\]\).*"
                                           r"f\(traj\[i\]\.clone\(\)\)"):
        func.grad(lambda x: _trajectory(x, False))(X)
    # the fix, against forward mode (which the overwrite does not affect) and a closed form
    rev = func.grad(lambda x: _trajectory(x, True))(X)
    fwd = func.jacfwd(lambda x: _trajectory(x, False))(X)
    closed = 1 + numpy.cos(X) + numpy.cos(numpy.sin(X)) * numpy.cos(X)
    numpy.testing.assert_allclose(rev, closed, rtol=1e-12)
    numpy.testing.assert_allclose(fwd, closed, rtol=1e-12)


def test_pytorch_refuses_the_same_row_overwrite() -> None:
    torch = pytest.importorskip("torch")
    x = torch.tensor(X, requires_grad=True)
    traj = torch.zeros((3, 2), dtype=torch.float64)
    traj[0] = x
    for i in range(2):
        traj[i + 1] = torch.sin(traj[i])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        traj.sum().backward()

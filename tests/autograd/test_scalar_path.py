"""0-d float64 tensors take the scalar path (``Hints.scalar_forward``) and get the same answers.

An op with a ``scalar_forward`` is given a 0-d float64 tensor's data as a NumPy
scalar (and add/sub/mul run NumPy's scalar arithmetic). Each such op's value is
checked against its ordinary forward on 0-d arrays by the registry suite
(``check_scalar_path``); here: broadcasting, dtypes, and derivatives against
closed forms.
"""

from __future__ import annotations

import numpy as np
import pytest

import dualad as da
from dualad import registry

SCALAR_OPS = [op for op in registry.ops() if op.hints.scalar_forward is not None]


def test_the_arithmetic_and_unary_ops_have_a_scalar_path():
    # (each is checked against its forward on 0-d arrays by the registry suite's
    # scalar_path check: dualad.testing.check_scalar_path)
    names = {op.name for op in SCALAR_OPS}
    assert {"add", "sub", "mul", "sin", "tanh", "exp"} <= names
    assert "matmul" not in names and "sum" not in names


@pytest.mark.parametrize("fn", [da.add, da.sub, da.mul])
def test_a_0d_tensor_with_a_list_or_vector_broadcasts_like_numpy(fn):
    t = da.tensor(1.5)
    ufunc = {da.add: np.add, da.sub: np.subtract, da.mul: np.multiply}[fn]
    np.testing.assert_array_equal(fn(t, [1.0, 2.0]).numpy(), ufunc(np.array(1.5), [1.0, 2.0]))
    np.testing.assert_array_equal(fn([1.0, 2.0], t).numpy(), ufunc([1.0, 2.0], np.array(1.5)))
    v32 = np.array([0.25, -2.0], dtype=np.float32)
    out = fn(t, da.tensor(v32))
    expected = ufunc(np.array(1.5), v32)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out.numpy(), expected)


def test_float32_and_integer_0d_tensors_keep_their_dtype():
    for value, dtype in ((np.float32(1.25), np.float32), (np.int64(3), np.int64)):
        t = da.tensor(np.array(value))
        assert (t * 2).dtype == dtype and (t + t).dtype == dtype


def _chain(x):
    for _ in range(3):
        x = da.tanh(da.sin(x) * 1.0001 + 0.1)
    return x


def _chain_derivatives(x: float) -> tuple[float, float]:
    """First and second derivative of ``_chain``, by the chain rule written out."""
    d1, d2 = 1.0, 0.0
    for _ in range(3):
        u = np.sin(x) * 1.0001 + 0.1
        y = np.tanh(u)
        du, ddu = 1.0001 * np.cos(x), -1.0001 * np.sin(x)
        dy = (1 - y * y) * du
        ddy = -2 * y * (1 - y * y) * du * du + (1 - y * y) * ddu
        d1, d2 = dy * d1, ddy * d1 * d1 + dy * d2
        x = y
    return d1, d2


@pytest.mark.parametrize("x0", [-1.2, 0.0, 0.4, 2.5])
def test_scalar_chain_gradients_match_the_closed_form_in_both_modes(x0):
    d1, d2 = _chain_derivatives(x0)
    x = da.tensor(x0, requires_grad=True)
    _chain(x).backward()
    np.testing.assert_allclose(x.grad.item(), d1, rtol=1e-13)
    x = da.tensor(x0, requires_grad=True)
    (g,) = da.autograd.grad(_chain(x), x, create_graph=True)
    (h,) = da.autograd.grad(g, x)
    np.testing.assert_allclose([g.item(), h.item()], [d1, d2], rtol=1e-12)
    with da.forward_ad.dual_level():
        y = _chain(da.forward_ad.make_dual(da.tensor(x0), da.tensor(1.0)))
        np.testing.assert_allclose(da.forward_ad.unpack_dual(y).tangent.item(), d1, rtol=1e-13)


def test_a_modified_0d_output_is_still_caught():
    x = da.tensor(0.3, requires_grad=True)
    y = da.tanh(x)  # its rule reads the output
    z = y * 2.0
    with da.no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()
    x = da.tensor(0.3, requires_grad=True)
    y = da.exp(x)
    np.testing.assert_array_equal(y.grad_fn._saved_result.detach().numpy(), np.exp(np.array(0.3)))

"""dtypes: float32 stays float32 through gradients; integers cannot require grad; promotion."""

import numpy as np
import pytest

import dualad as da

OPS_32 = [
    lambda t: da.sin(t).sum(), lambda t: (t * t).mean(), lambda t: da.softmax(t, dim=1)[0, 1],
    lambda t: da.logsumexp(t, dim=0).sum(), lambda t: da.norm(t), lambda t: da.var(t),
    lambda t: da.prod(t), lambda t: da.amax(t), lambda t: da.det(t[:, :2]),
    lambda t: da.inv(t[:, 1:]).sum(), lambda t: da.cat([t, t]).sum(),
    lambda t: t[[0, 0]].sum(), lambda t: da.tanh(t @ t.T).sum(), lambda t: da.log1p(t * t).sum(),
    lambda t: (t + 1).sum(),  # a Python int does not promote float32
    lambda t: (t * np.float32(2.0)).sum(),
]


@pytest.mark.parametrize("fn", OPS_32, ids=[str(i) for i in range(len(OPS_32))])
def test_float32_inputs_give_float32_outputs_and_gradients(fn):
    x = da.tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=np.float32),
                  requires_grad=True)
    y = fn(x)
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_float32_forward_mode_tangent_is_float32():
    from dualad import forward_ad as fwAD

    with fwAD.dual_level():
        x = fwAD.make_dual(da.tensor([1.0, 2.0], dtype="float32"),
                           da.tensor([1.0, 1.0], dtype="float32"))
        y = da.softplus(x) * 3
        assert fwAD.unpack_dual(y).tangent.dtype == np.float32


def test_gradient_flowing_into_float32_from_float64_is_cast_back():
    x = da.tensor([1.0, 2.0], dtype="float32", requires_grad=True)
    (x * da.tensor([0.5, 0.25])).sum().backward()  # the product is float64
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.25])


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        da.tensor([1, 2, 3], requires_grad=True)
    t = da.tensor([1, 2])
    with pytest.raises(RuntimeError, match="floating point"):
        t.requires_grad_()
    assert t.dtype.kind == "i"


@pytest.mark.parametrize("make,expected", [
    (lambda: da.tensor([1, 2]) + 0.5, np.result_type(np.int64, np.float64)),
    (lambda: da.tensor([1, 2]) * da.tensor([1.0, 2.0]), np.float64),
    (lambda: da.tensor([1, 2]) / 2, np.float64),
    (lambda: da.tensor([1, 2]) + 1, np.int64),
    (lambda: da.tensor([1, 2], dtype="int32") + da.tensor([1.0], dtype="float32"),
     np.result_type(np.int32, np.float32)),
    (lambda: da.tensor([1.0], dtype="float32") + 2.5, np.float32),
    (lambda: da.tensor([1.0], dtype="float32") + da.tensor([2.5]), np.float64),
], ids=lambda v: "")
def test_mixed_arithmetic_promotes_as_numpy(make, expected):
    assert make().dtype == expected


def test_mixed_int_float_arithmetic_differentiates_the_float_side():
    x = da.tensor([1.0, 2.0], requires_grad=True)
    n = da.tensor([3, 4])
    (x * n + n).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])
    assert x.grad.dtype == np.float64


OPS_16 = [
    (lambda t: (da.sin(t) * t).sum(), lambda a: (np.sin(a) * a).sum(),
     lambda a: np.cos(a) * a + np.sin(a)),
    (lambda t: da.exp(t).mean(), lambda a: np.exp(a).mean(), lambda a: np.exp(a) / a.size),
    (lambda t: (t @ t.T).sum(), lambda a: (a @ a.T).sum(),
     lambda a: 2 * np.ones((a.shape[0], a.shape[0])) @ a),
    (lambda t: da.logsumexp(t, dim=1).sum(),
     lambda a: np.log(np.exp(a).sum(1)).sum(),
     lambda a: np.exp(a) / np.exp(a).sum(1, keepdims=True)),
]


@pytest.mark.parametrize("fn,value,grad", OPS_16, ids=[str(i) for i in range(len(OPS_16))])
def test_float16_stays_float16_end_to_end_in_both_modes(fn, value, grad):
    # issue 18 item 20: float16 data was silently turned into float64 by dualad.tensor
    # (but kept by dtype='float16' and from_numpy); NumPy's inference and PyTorch keep it
    a = np.array([[0.5, -1.0, 0.25], [1.5, 0.75, -0.5]], dtype=np.float16)
    exact = a.astype(np.float64)
    x = da.tensor(a, requires_grad=True)
    assert x.dtype == np.float16 and da.from_numpy(a).dtype == np.float16
    y = fn(x)
    assert y.dtype == np.float16
    y.backward()
    assert x.grad.dtype == np.float16
    tol = {"rtol": 1e-2, "atol": 1e-2}  # float16 carries about 3 decimal digits
    np.testing.assert_allclose(float(y.item()), value(exact), **tol)
    np.testing.assert_allclose(x.grad.numpy().astype(np.float64), grad(exact), **tol)
    v = np.ones_like(a)
    _, tangent = da.func.jvp(fn, (da.tensor(a),), (da.tensor(v),))
    assert tangent.dtype == np.float16
    np.testing.assert_allclose(float(tangent.item()), (grad(exact) * v).sum(), **tol)


@pytest.mark.parametrize("make", [
    lambda: da.tensor(np.ones(2, dtype=np.float16)), lambda: da.tensor([1.0], dtype="float16"),
    lambda: da.zeros(2, dtype=da.float16), lambda: da.ones_like(da.zeros(2, dtype="float16")),
    lambda: da.from_numpy(np.ones(2, dtype=np.float16)), lambda: da.tensor(np.float16(1.5)),
    lambda: da.nn.Parameter(np.ones(2, dtype=np.float16)), lambda: da.ones(2).to("float16"),
])
def test_every_creation_path_keeps_float16(make):
    assert make().dtype == np.float16


@pytest.mark.skipif(np.dtype(np.longdouble).itemsize <= 8, reason="long double is double here")
@pytest.mark.parametrize("make", [
    lambda: da.tensor(np.ones(2, dtype=np.longdouble)),
    lambda: da.tensor([1.0], dtype=np.longdouble), lambda: da.zeros(2, dtype=np.longdouble),
    lambda: da.from_numpy(np.ones(2, dtype=np.longdouble)),
    lambda: da.nn.Parameter(np.ones(2, dtype=np.longdouble)),
    lambda: da.ones(2).to(np.longdouble), lambda: da.tensor(np.ones(2, dtype=np.clongdouble)),
])
def test_extended_precision_is_refused_not_silently_rounded(make):
    with pytest.raises(TypeError, match=r"\(extended precision\) is not supported"):
        make()

"""Complex numbers: PyTorch's convention (z.grad = dL/dx + i dL/dy) in both modes.

Oracles: finite differences on the real and imaginary coordinates (the derivative of a
real loss along x and along y), closed forms, and PyTorch (when installed).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import dualad as da
from dualad import func

RNG = np.random.default_rng(7)
Z = np.array([1.1 + 1.2j, -0.4 + 0.9j, 0.7 - 1.3j])
W = np.array([0.3 - 0.7j, 1.5 + 0.2j, -0.6 - 0.4j])
EPS = 1e-6


def fd_gradient(loss, z: np.ndarray) -> np.ndarray:
    """dL/dx + i dL/dy by central differences on the real and imaginary coordinates."""
    out = np.zeros(z.shape, complex)
    for k in np.ndindex(z.shape):
        for unit, part in ((1.0, 1.0), (1j, 1j)):
            e = np.zeros(z.shape, complex)
            e[k] = unit
            up = float(loss(da.tensor(z + EPS * e)).numpy())
            down = float(loss(da.tensor(z - EPS * e)).numpy())
            out[k] += part * (up - down) / (2 * EPS)
    return out


def fd_tangent(f, z: np.ndarray, v: np.ndarray) -> np.ndarray:
    """d f(z + s v)/ds at s = 0 by central differences."""
    up = f(da.tensor(z + EPS * v)).numpy()
    down = f(da.tensor(z - EPS * v)).numpy()
    return (up - down) / (2 * EPS)


# (name, function): holomorphic and non-holomorphic functions of complex z
FUNCTIONS = {
    "sin": da.sin, "cos": da.cos, "exp": da.exp, "log": da.log, "sqrt": da.sqrt,
    "tanh": da.tanh, "tan": da.tan, "sinh": da.sinh, "cosh": da.cosh,
    "reciprocal": da.reciprocal, "square": da.square, "sigmoid": da.sigmoid,
    "arcsin": da.arcsin, "arctan": da.arctan, "log1p": da.log1p, "expm1": da.expm1,
    "abs": da.abs, "angle": da.angle, "real": da.real, "imag": da.imag, "conj": da.conj,
    "pow": lambda z: z ** (0.5 + 1.5j), "rpow": lambda z: (1.2 - 0.3j) ** z,
    "mul_conj": lambda z: z * da.conj(z), "div": lambda z: (1.0 + 2j) / z,
    "matmul": lambda z: da.outer(z, z) @ z,
    "prod": lambda z: da.prod(z) * da.ones(3), "cumsum": lambda z: da.cumsum(z, 0),
    "var": lambda z: da.var(z) * da.ones(3), "std": lambda z: da.std(z) * da.ones(3),
    "norm": lambda z: da.norm(z) * da.ones(3), "norm1": lambda z: da.norm(z, 1) * da.ones(3),
    "mean": lambda z: da.mean(z * z) * da.ones(3),
    "mixed": lambda z: da.abs(da.sin(z) * da.tensor(np.array([0.5, -1.0, 2.0]))) ** 2,
}


def _real_loss(f):
    """A real loss of f's output with random weights on the real and imaginary parts."""
    a, b = RNG.normal(size=3), RNG.normal(size=3)
    return lambda z: (da.real(f(z)) * a + da.imag(f(z)) * b).sum()


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_reverse_mode_is_dl_dx_plus_i_dl_dy(name: str) -> None:
    loss = _real_loss(FUNCTIONS[name])
    z = da.tensor(Z, requires_grad=True)
    loss(z).backward()
    np.testing.assert_allclose(z.grad.numpy(), fd_gradient(loss, Z), rtol=1e-6, atol=1e-7)
    # func.grad and the recorded (create_graph) path agree with backward()
    np.testing.assert_allclose(func.grad(loss)(Z), z.grad.numpy(), rtol=1e-12, atol=1e-14)
    z2 = da.tensor(Z, requires_grad=True)
    (g,) = da.autograd.grad(loss(z2), [z2], create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), z.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_forward_mode_is_the_directional_derivative(name: str) -> None:
    f = FUNCTIONS[name]
    _, t = func.jvp(f, (da.tensor(Z),), (da.tensor(W),))
    np.testing.assert_allclose(t.numpy(), fd_tangent(f, Z, W), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_gradcheck_on_real_and_imaginary_coordinates(name: str) -> None:
    assert da.gradcheck(FUNCTIONS[name], da.tensor(Z, requires_grad=True))


@pytest.mark.parametrize("name", ["sin", "abs", "angle", "mul_conj", "var", "norm", "div"])
def test_second_order(name: str) -> None:
    assert da.gradgradcheck(FUNCTIONS[name], da.tensor(Z, requires_grad=True))


def test_the_numbers_in_the_design() -> None:
    # |z|**2 at 1+2j gives 2+4j (JAX and HIPS autograd give the conjugate, 2-4j)
    z = da.tensor(1 + 2j, requires_grad=True)
    (da.abs(z) ** 2).backward()
    assert z.grad.item() == pytest.approx(2 + 4j)
    assert func.grad(lambda z: da.abs(z) ** 2)(1 + 2j) == pytest.approx(2 + 4j)
    # d|z| at 1.1+1.2j along 0.3-0.7j is -0.3133 (torch and JAX agree)
    _, t = func.jvp(da.abs, (da.tensor(1.1 + 1.2j),), (da.tensor(0.3 - 0.7j),))
    assert t.item() == pytest.approx((1.1 * 0.3 - 1.2 * 0.7) / abs(1.1 + 1.2j))
    assert round(t.item(), 4) == -0.3133
    assert t.dtype == np.float64


def test_a_holomorphic_op_conjugates_its_derivative_in_reverse_mode() -> None:
    # was: the unconjugated cos(z)
    z = da.tensor(1 + 2j, requires_grad=True)
    da.real(da.sin(z)).backward()
    assert z.grad.item() == pytest.approx(np.conj(np.cos(1 + 2j)))


def test_abs_jvp_is_real() -> None:
    # was: 0.7187 (a complex tangent t * sign(z) with its real part kept)
    _, t = func.jvp(da.abs, (da.tensor(Z),), (da.tensor(W),))
    np.testing.assert_allclose(t.numpy(), np.real(np.conj(Z) * W) / np.abs(Z))


def test_backward_of_a_complex_output_needs_a_gradient() -> None:
    z = da.tensor(1 + 2j, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for real "
                                           "scalar outputs"):
        da.sin(z).backward()
    assert z.grad is None
    da.sin(z).backward(1.0 + 0j)  # the cotangent 1: the conjugate derivative
    assert z.grad.item() == pytest.approx(np.conj(np.cos(1 + 2j)))


def test_func_grad_of_a_complex_output_raises() -> None:
    with pytest.raises(TypeError, match="grad: the function returned a complex value"):
        func.grad(da.sin)(1 + 2j)
    with pytest.raises(TypeError, match="returned a complex value"):
        func.value_and_grad(lambda z: z * 2)(np.array([1j]).sum())


def test_func_grad_of_complex_inputs_follows_the_convention() -> None:
    g = func.grad(lambda z, w: da.real(z * w), argnums=(0, 1))(Z[0], W[0])
    assert g[0] == pytest.approx(np.conj(W[0]))
    assert g[1] == pytest.approx(np.conj(Z[0]))


def test_a_real_input_gets_the_real_part_of_a_complex_cotangent() -> None:
    x = da.tensor([0.5, -1.5], requires_grad=True)
    loss = da.abs(x * (1 + 2j) + 0.5j) ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning on the way
        loss.sum().backward()
    assert x.grad.dtype == np.float64
    # |x(1+2j) + 0.5j|^2 = x^2 + (2x + 0.5)^2: derivative 2x + 4(2x + 0.5)
    np.testing.assert_allclose(x.grad.numpy(), 10 * x.detach().numpy() + 2.0)


def test_real_imag_conj_angle_values_and_dispatch() -> None:
    t = da.tensor(Z)
    for np_fn, da_fn in ((np.real, da.real), (np.imag, da.imag), (np.conj, da.conj),
                         (np.conjugate, da.conjugate), (np.angle, da.angle)):
        np.testing.assert_array_equal(np_fn(t).numpy(), np_fn(Z))
        np.testing.assert_array_equal(da_fn(t).numpy(), np_fn(Z))
    np.testing.assert_allclose(np.angle(t, deg=True).numpy(), np.angle(Z, deg=True))
    np.testing.assert_array_equal(t.real.numpy(), Z.real)
    np.testing.assert_array_equal(t.imag.numpy(), Z.imag)
    np.testing.assert_array_equal(t.conj().numpy(), Z.conj())
    assert np.iscomplexobj(t) and not np.isrealobj(t) and t.is_complex()
    assert not np.iscomplexobj(da.tensor([1.0]))
    np.testing.assert_array_equal(np.iscomplex(da.tensor([1 + 0j, 1j])).numpy(), [False, True])
    np.testing.assert_array_equal(np.isreal(da.tensor([1 + 0j, 1j])).numpy(), [True, False])
    # on real tensors: real is the identity, imag and angle 0 with zero derivatives
    x = da.tensor([1.5, -2.0], requires_grad=True)
    (da.real(x) * 2 + da.imag(x) + da.angle(x)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    np.testing.assert_allclose(da.angle(x.detach()).numpy(), [0.0, np.pi])


def test_real_is_a_copy_not_a_view() -> None:
    z = da.tensor(Z.copy())
    assert not np.shares_memory(z.real.numpy(), z.numpy())
    assert not np.shares_memory(z.imag.numpy(), z.numpy())


def test_abs_and_angle_at_zero() -> None:
    # abs: the minimum-norm subgradient 0 (PyTorch's sgn(0) = 0); angle: 0 (PyTorch)
    z = da.tensor([0j, 1j], requires_grad=True)
    (da.abs(z) + da.angle(z)).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [0.0, 1j + (1j * 1j) / 1.0])
    _, t = func.jvp(lambda z: da.abs(z) + da.angle(z), (da.tensor([0j]),), (da.tensor([1 + 1j]),))
    assert t.numpy()[0] == 0.0


def test_an_op_without_complex_rules_raises_when_differentiated() -> None:
    z = da.tensor([1 + 1j, 2j], requires_grad=True)
    with pytest.raises(TypeError, match="maximum: its derivative is not defined for complex"):
        da.maximum(z, z)
    with pytest.raises(TypeError, match="not defined for complex"):
        func.jvp(da.sign, (da.tensor([1 + 1j]),), (da.tensor([1j]),))
    # without differentiation the value is NumPy's
    np.testing.assert_array_equal(da.sign(da.tensor([1 + 1j])).numpy(), np.sign([1 + 1j]))


def test_casting_complex_to_real_warns_and_keeps_the_real_part() -> None:
    z = da.tensor(Z, requires_grad=True)
    with pytest.warns(np.exceptions.ComplexWarning):
        x = z.to(np.float64)
    x.sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), np.ones(3))


def test_symbolic_compare_on_complex_inputs() -> None:
    pytest.importorskip("sympy")
    from dualad import symbolic

    z = da.tensor(Z[:2], name="z")
    for f in (lambda z: da.abs(z) ** 2, lambda z: da.real(da.sin(z) * z),
              lambda z: da.imag(da.exp(z)), lambda z: da.angle(z), lambda z: da.sin(z)):
        report = symbolic.compare(f, z)
        assert report.ok, str(report)
        assert all(r.symbolic is not None for r in report.rows)
    leaf = da.tensor(np.array([1 + 2j]), requires_grad=True, name="w")
    assert str(symbolic.to_sympy(da.abs(leaf) ** 2)) == "[w_im_0**2 + w_re_0**2]"


# ------------------------------------------------------------------ PyTorch

def _torch_pairs():
    torch = pytest.importorskip("torch")
    return torch, {
        "sin": (da.sin, torch.sin), "exp": (da.exp, torch.exp), "log": (da.log, torch.log),
        "sqrt": (da.sqrt, torch.sqrt), "tanh": (da.tanh, torch.tanh),
        "abs": (da.abs, torch.abs), "angle": (da.angle, torch.angle),
        "real": (da.real, torch.real), "imag": (da.imag, torch.imag),
        "conj": (da.conj, torch.conj_physical), "sigmoid": (da.sigmoid, torch.sigmoid),
        "arcsin": (da.arcsin, torch.asin), "reciprocal": (da.reciprocal, torch.reciprocal),
        "var": (da.var, torch.var), "std": (da.std, torch.std),
        "norm": (da.norm, torch.linalg.vector_norm), "prod": (da.prod, torch.prod),
        "matmul": (lambda z: da.outer(z, z) @ z, lambda z: torch.outer(z, z) @ z),
        "div": (lambda z: (1 + 2j) / z, lambda z: (1 + 2j) / z),
        "pow": (lambda z: z ** (0.5 + 1.5j), lambda z: z ** (0.5 + 1.5j)),
    }


@pytest.mark.parametrize("name", sorted(["sin", "exp", "log", "sqrt", "tanh", "abs", "angle",
                                         "real", "imag", "conj", "sigmoid", "arcsin",
                                         "reciprocal", "var", "std", "norm", "prod",
                                         "matmul", "div", "pow"]))
def test_against_pytorch(name: str) -> None:
    torch, pairs = _torch_pairs()
    fd, ft = pairs[name]
    zd = da.tensor(Z, requires_grad=True)
    zt = torch.tensor(Z, requires_grad=True)
    od, ot = fd(zd), ft(zt)
    g = RNG.normal(size=od.shape) + (1j * RNG.normal(size=od.shape) if od.is_complex() else 0)
    od.backward(da.tensor(g))
    ot.backward(torch.tensor(g))
    np.testing.assert_allclose(zd.grad.numpy(), zt.grad.numpy(), rtol=1e-10, atol=1e-12)
    _, td = func.jvp(fd, (da.tensor(Z),), (da.tensor(W),))
    _, tt = torch.func.jvp(ft, (torch.tensor(Z),), (torch.tensor(W),))
    np.testing.assert_allclose(td.numpy(), tt.numpy(), rtol=1e-10, atol=1e-12)


def test_linear_algebra_against_pytorch() -> None:
    torch, _ = _torch_pairs()
    a = RNG.normal(size=(3, 3)) + 1j * RNG.normal(size=(3, 3)) + 3 * np.eye(3)
    b = RNG.normal(size=(3, 2)) + 1j * RNG.normal(size=(3, 2))
    cases = [(lambda a, b: da.det(a) * b, lambda a, b: torch.linalg.det(a)[None, None] * b),
             (lambda a, b: da.inv(a) @ b, lambda a, b: torch.linalg.inv(a) @ b),
             (lambda a, b: da.solve(a, b), lambda a, b: torch.linalg.solve(a, b)),
             (lambda a, b: da.einsum("ij,jk->ik", a, b),
              lambda a, b: torch.einsum("ij,jk->ik", a, b))]
    for fd, ft in cases:
        ad, bd = da.tensor(a, requires_grad=True), da.tensor(b, requires_grad=True)
        at, bt = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        g = RNG.normal(size=(3, 2)) + 1j * RNG.normal(size=(3, 2))
        fd(ad, bd).backward(da.tensor(g))
        ft(at, bt).backward(torch.tensor(g))
        np.testing.assert_allclose(ad.grad.numpy(), at.grad.numpy(), rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(bd.grad.numpy(), bt.grad.numpy(), rtol=1e-9, atol=1e-11)


# ------------------------------------------------------ the registry check

def test_the_registry_check_fails_on_an_unconjugated_rule() -> None:
    pytest.importorskip("hypothesis")
    from dualad.ops._define import withdraw
    from dualad.testing import OpCheckError, check_complex

    bad = da.register_op(da.Op(
        name="test_unconjugated_exp", forward=np.exp,
        vjp=(lambda g, out, a: g * out,), jvp=(lambda t, out, a: t * out,),
        sympy=lambda a: a, domain=da.Domain(ranges=(((-1.0, 1.0),),)), accepts_complex=True,
        hints=da.registry.Hints(saves_output=True)))
    try:
        with pytest.raises(OpCheckError, match="test_unconjugated_exp': complex check failed"):
            check_complex(bad, (np.array([0.5, -0.3]),), {}, seed=1)
    finally:
        withdraw("test_unconjugated_exp")
    check_complex(da.registry.get("exp"), (np.array([0.5, -0.3]),), {}, seed=1)


def test_ops_marked_accepts_complex() -> None:
    marked = {op.name for op in da.registry.ops() if op.accepts_complex}
    assert {"sin", "exp", "log", "mul", "div", "matmul", "abs", "real", "imag", "conj",
            "angle", "var", "std", "norm", "sum", "getitem"} <= marked
    assert not {"maximum", "sign", "floor", "relu", "arctan2"} & marked


def test_jacobians_of_complex_numbers_are_refused_as_by_torch_func() -> None:
    # they were: jacrev the conjugate of jacfwd for a holomorphic f, and jacrev of a complex
    # output of a real input silently only its real part
    z = da.tensor(Z[:2])
    for transform, f in ((func.jacrev, da.sin), (func.jacfwd, da.sin),
                         (func.hessian, lambda z: da.abs(z).sum())):
        with pytest.raises(TypeError, match="expected all inputs to be real but input 0 is "
                                            "complex"):
            transform(f)(z)
    for transform in (func.jacrev, func.jacfwd):
        with pytest.raises(TypeError, match="expected all outputs to be real but output 0"):
            transform(lambda x: da.exp(x * 1j))(np.array([0.5, 1.5]))
    # the way out the message gives: real and imaginary parts as real coordinates
    jac = func.jacfwd(lambda x, y: da.stack([da.real(da.sin(x + 1j * y)),
                                             da.imag(da.sin(x + 1j * y))]),
                      argnums=(0, 1))(np.array(0.3), np.array(0.4))
    d = np.cos(0.3 + 0.4j)  # Cauchy-Riemann: [[Re d, -Im d], [Im d, Re d]]
    np.testing.assert_allclose(np.array(jac).T, [[d.real, -d.imag], [d.imag, d.real]])


def test_vjp_and_jvp_transforms_take_complex_values() -> None:
    out, pull = func.vjp(da.sin, da.tensor(Z))
    (g,) = pull(da.tensor(W))
    np.testing.assert_allclose(g.numpy(), W * np.conj(np.cos(Z)))
    _, t = func.jvp(da.sin, (da.tensor(Z),), (da.tensor(W),))
    np.testing.assert_allclose(t.numpy(), np.cos(Z) * W)


def test_casting_real_to_complex_pulls_back_the_real_part_without_warning() -> None:
    # regression: the cast's rule used the user-level astype, which warns on complex -> real
    x = da.tensor([0.5, -1.5], requires_grad=True)
    z = da.astype(x, np.complex128) * (1 + 2j)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        da.real(z * z).sum().backward()
    # real((x (1+2i))^2) = -3 x^2, so the gradient is -6 x
    np.testing.assert_allclose(x.grad.numpy(), -6 * np.array([0.5, -1.5]), rtol=1e-14)


def test_is_complex_of_every_kind_of_value() -> None:
    # the rules' complex test, with its shortcut for the scalar path's float values
    from dualad.ops._define import is_complex

    real = [1.0, np.float64(1.0), np.float32(1.0), 2, np.ones(2), da.tensor([1.0]), np.array(1.0)]
    cplx = [1j, np.complex128(1j), np.complex64(1j), np.ones(2, complex), da.tensor([1j]),
            np.array(1j)]
    assert not any(is_complex(v) for v in real)
    assert all(is_complex(v) for v in cplx)

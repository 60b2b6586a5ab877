"""Functional transforms: grad, value_and_grad, vjp, jvp, jacfwd, jacrev, hessian, hvp."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import dualad as da
from dualad import func, registry


def numeric_jacobian(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Five-point central differences, shape out.shape + x.shape (an independent oracle).

    Their truncation error is of order eps**4, but the difference of two values of f loses
    digits: an entry is only known to about 1e-16 * |f| / eps, whatever its own size. For
    fixed programs of moderate values; random programs use :func:`complex_step_jacobian`.
    """
    x = np.asarray(x, dtype=float)
    out_shape = np.shape(f(x))
    jac = np.zeros(out_shape + x.shape)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        f1, f_1, f2, f_2 = (np.asarray(f(x + k * e)) for k in (1.0, -1.0, 2.0, -2.0))
        jac[(...,) + idx] = (8.0 * (f1 - f_1) - (f2 - f_2)) / (12.0 * eps)
    return jac


def complex_step_jacobian(f, x: np.ndarray, h: float = 1e-20) -> np.ndarray:
    """Jacobian of an analytic ``f`` by the complex step, shape out.shape + x.shape.

    Column j is Im f(x + i h e_j) / h: no difference of nearby values is taken, so nothing
    cancels and every entry is exact up to rounding, whatever the size of f (central
    differences lose digits in proportion to |f|: repeated squaring makes |f| ~ 1e6 beside
    partials ~ 5). It uses only f's values, in complex arithmetic, never a derivative rule;
    it needs f built from analytic operations (no abs, comparisons or casts to real).

    >>> complex_step_jacobian(lambda z: z ** 3, np.array([2.0]))
    array([[12.]])
    """
    x = np.asarray(x, dtype=float)
    out_shape = np.shape(f(x))
    jac = np.zeros(out_shape + x.shape)
    for idx in np.ndindex(x.shape):
        z = x.astype(complex)
        z[idx] += 1j * h
        jac[(...,) + idx] = np.imag(f(z)) / h
    return jac


def on_numpy(f):
    """Run a dualad function on NumPy values, real or complex (for the numeric oracles)."""
    return lambda x: f(da.tensor(x)).numpy()


# ---------------------------------------------------------------- grad family


def test_grad_numpy_in_numpy_out_and_tensor_in_tensor_out():
    f = lambda x: (x ** 3).sum()  # noqa: E731
    g = func.grad(f)(np.array([1.0, 2.0]))
    assert isinstance(g, np.ndarray)
    np.testing.assert_allclose(g, [3.0, 12.0])
    gt = func.grad(f)(da.tensor([1.0, 2.0]))
    assert isinstance(gt, da.Tensor) and not gt.requires_grad
    np.testing.assert_allclose(gt.numpy(), [3.0, 12.0])
    gf = func.grad(lambda x: x * x)(3.0)
    assert isinstance(gf, float) and gf == 6.0


def test_grad_argnums_tuple_negative_and_kwargs():
    f = lambda x, y, scale=1.0: scale * (x * y ** 2).sum()  # noqa: E731
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    gx, gy = func.grad(f, argnums=(0, 1))(x, y, scale=2.0)
    np.testing.assert_allclose(gx, 2 * y ** 2)
    np.testing.assert_allclose(gy, 4 * x * y)
    np.testing.assert_allclose(func.grad(f, argnums=-1)(x, y), 2 * x * y)


def test_value_and_grad_and_has_aux():
    def f(x):
        loss = (x ** 2).sum()
        return loss, {"norm": da.sqrt(loss)}

    (value, aux), g = func.value_and_grad(f, has_aux=True)(np.array([3.0, 4.0]))
    assert value == 25.0 and aux["norm"] == 5.0  # NumPy in: every aux leaf NumPy
    np.testing.assert_allclose(g, [6.0, 8.0])
    g2, aux2 = func.grad(f, has_aux=True)(np.array([3.0, 4.0]))
    np.testing.assert_allclose(g2, [6.0, 8.0])
    assert aux2["norm"] == 5.0


def test_grad_of_an_unused_argument_is_zero():
    g = func.grad(lambda x, y: (x * 2).sum(), argnums=1)(np.ones(2), np.ones(3))
    np.testing.assert_array_equal(g, np.zeros(3))
    np.testing.assert_array_equal(func.grad(lambda x: da.tensor(1.0))(np.ones(2)), np.zeros(2))


def test_grad_works_under_no_grad():
    with da.no_grad():
        g = func.grad(lambda x: (x * x).sum())(da.tensor([1.0, -2.0]))
    np.testing.assert_allclose(g.numpy(), [2.0, -4.0])


def test_grad_result_is_differentiable_through_a_closure():
    w = da.tensor([1.0, 2.0], requires_grad=True)
    x0 = np.array([3.0, 5.0])
    g = func.grad(lambda x: (w * x ** 2).sum())(da.tensor(x0))  # 2 w x
    np.testing.assert_allclose(g.detach().numpy(), 2 * np.array([1.0, 2.0]) * x0)
    g.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * x0)


@pytest.mark.parametrize("argnums, message", [(2, "range"), ((0, 0), "repeats"),
                                              ((), "empty")])
def test_bad_argnums_raise(argnums, message):
    with pytest.raises(ValueError, match=message):
        func.grad(lambda x, y: (x * y).sum(), argnums=argnums)(np.ones(2), np.ones(2))


def test_grad_of_non_scalar_raises():
    with pytest.raises(ValueError, match="single element"):
        func.grad(lambda x: x * 2)(np.ones(3))


def test_grad_of_integer_input_raises():
    with pytest.raises(TypeError, match="floating"):
        func.grad(lambda x: (x * 2).sum())(np.array([1, 2]))


def test_has_aux_requires_a_pair():
    with pytest.raises(TypeError, match="pair"):
        func.grad(lambda x: x.sum(), has_aux=True)(np.ones(2))


# ---------------------------------------------------------------- vjp and jvp


def _program(x):
    return da.tanh(x[:, None] * da.sin(x)[None, :]).sum(axis=1) * da.exp(-x)


def test_vjp_matches_finite_differences_and_can_be_called_twice():
    rng = np.random.default_rng(0)
    x = rng.normal(size=4)
    jac = numeric_jacobian(on_numpy(_program), x)
    out, vjp_fn = func.vjp(_program, x)
    np.testing.assert_allclose(out, on_numpy(_program)(x))
    for _ in range(2):
        u = rng.normal(size=4)
        (ct,) = vjp_fn(u)
        np.testing.assert_allclose(ct, u @ jac, rtol=1e-6, atol=1e-8)


def test_vjp_of_several_inputs_and_outputs():
    f = lambda x, y: (x * y, (x ** 2).sum())  # noqa: E731
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    (o1, o2), vjp_fn = func.vjp(f, x, y)
    cx, cy = vjp_fn((np.array([1.0, 1.0]), np.array(2.0)))
    np.testing.assert_allclose(cx, y + 4 * x)
    np.testing.assert_allclose(cy, x)


def test_vjp_cotangent_shape_mismatch_raises():
    _, vjp_fn = func.vjp(lambda x: x * 2, np.ones(3))
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        vjp_fn(np.ones(2))


def test_jvp_matches_finite_differences_numpy_in_numpy_out():
    rng = np.random.default_rng(1)
    x, v = rng.normal(size=4), rng.normal(size=4)
    out, t = func.jvp(_program, (x,), (v,))
    assert isinstance(t, np.ndarray)
    np.testing.assert_allclose(t, numeric_jacobian(on_numpy(_program), x) @ v, rtol=1e-6,
                               atol=1e-8)
    np.testing.assert_allclose(out, on_numpy(_program)(x))


def test_jvp_of_several_outputs_and_a_constant_output():
    out, (t1, t2) = func.jvp(lambda x: (x * 3, da.tensor(1.0)), (np.ones(2),), (np.ones(2),))
    np.testing.assert_allclose(t1, [3.0, 3.0])
    assert t2 == 0.0


def test_jvp_primal_tangent_count_mismatch_raises():
    with pytest.raises(ValueError, match="one tangent per primal"):
        func.jvp(lambda x, y: x * y, (1.0, 2.0), (1.0,))


# ---------------------------------------------------------------- Jacobians


def test_jacobian_shapes_and_several_argnums():
    f = lambda x, y: x[:, None, None] * y  # noqa: E731  (3,) x (2, 4) -> (3, 2, 4)
    x, y = np.arange(3.0), np.ones((2, 4))
    for jac in (func.jacfwd, func.jacrev):
        jx, jy = jac(f, argnums=(0, 1))(x, y)
        assert jx.shape == (3, 2, 4, 3) and jy.shape == (3, 2, 4, 2, 4)
        num_x = numeric_jacobian(lambda a: a[:, None, None] * y, x)
        num_y = numeric_jacobian(lambda b: x[:, None, None] * b, y)
        np.testing.assert_allclose(jx, num_x, atol=1e-8)
        np.testing.assert_allclose(jy, num_y, atol=1e-8)


def test_jacobian_has_aux_and_several_outputs():
    f = lambda x: ((x ** 2, x.sum()), "aux")  # noqa: E731
    for jac in (func.jacfwd, func.jacrev):
        (j1, j2), aux = jac(f, has_aux=True)(np.array([1.0, 2.0]))
        np.testing.assert_allclose(j1, np.diag([2.0, 4.0]))
        np.testing.assert_allclose(j2, [1.0, 1.0])
        assert aux == "aux"


_STEPS = {
    "sin": lambda x, r: da.sin(x),
    "square": lambda x, r: x * x,
    "gauss": lambda x, r: da.exp(-x ** 2),
    "mix": lambda x, r: x + x[::-1] * 0.5,
    "outer": lambda x, r: (x[:, None] * da.tanh(x)[None, :]).sum(axis=0),
    "center": lambda x, r: x - x.mean(),
    "affine": lambda x, r: da.tanh(da.tensor(r.normal(size=(len(x), len(x)))) @ x + 0.1),
    "shrink": lambda x, r: da.tensor(r.normal(size=(max(len(x) - 1, 1), len(x)))) @ x,
    "grow": lambda x, r: da.sigmoid(da.tensor(r.normal(size=(len(x) + 1, len(x)))) @ x),
    "fold": lambda x, r: (x.reshape(2, -1).T * 2.0).reshape(-1) if len(x) % 2 == 0 else x,
    "quotient": lambda x, r: x / (1.5 + da.cos(x)),
}


def _random_program(names, seed):
    def f(x):
        rng = np.random.default_rng(seed)
        for name in names:
            x = _STEPS[name](x, rng)
        return x
    return f


def _assert_equal_up_to_rounding(actual, desired, scale: float, what: str) -> None:
    """Two computations of one Jacobian that differ only in how they round.

    Where a step cancels (center, then outer: the sum of a centred vector), an entry that is
    0 exactly comes out as rounding noise of the size of the partials that cancelled (seen:
    1.3e-12 against partials of 205), so the absolute floor is relative to ``scale``, the
    largest partial along the way.
    """
    np.testing.assert_allclose(actual, desired, rtol=1e-10, atol=1e-12 * scale, err_msg=what)


# every step is analytic, so the complex step is the oracle (checked step by step below)
@given(names=st.lists(st.sampled_from(sorted(_STEPS)), min_size=1, max_size=5),
       n=st.integers(2, 5), seed=st.integers(0, 2 ** 16))
# Central differences failed on both of these. Rounding: x^16 reaches 1e6 beside partials of
# 5, known only to about 1e-16 * |f| / eps (2e-5 relative). Truncation: the argument of
# quotient's cos, (2x)^8 ~ 5e5, moves 1.5 radians over the step eps (a partial off by 85%).
@example(names=["square", "square", "square", "center", "square"], n=3, seed=2)
@example(names=["fold", "square", "square", "square", "quotient"], n=2, seed=2)
def test_jacfwd_equals_jacrev_equals_complex_step_on_random_programs(names, n, seed):
    f = _random_program(names, seed)
    x = np.random.default_rng(seed + 1).normal(size=n)
    jf = func.jacfwd(f)(x)
    jr = func.jacrev(f)(x)
    scale = max([1.0, *(np.abs(func.jacrev(_random_program(names[:k], seed))(x)).max()
                        for k in range(1, len(names)))])
    _assert_equal_up_to_rounding(jf, jr, scale, "jacfwd vs jacrev")
    _assert_equal_up_to_rounding(jf, complex_step_jacobian(on_numpy(f), x), scale,
                                 "jacfwd vs the complex step")


@pytest.mark.parametrize("name", sorted(_STEPS))
def test_every_random_program_step_is_analytic_so_the_complex_step_applies(name):
    # a step that is not analytic on complex inputs (abs, relu, a cast to real) would make the
    # complex step a wrong oracle: on one step at O(1) values central differences are exact
    # enough to tell
    f = on_numpy(_random_program([name], seed=3))
    x = np.random.default_rng(4).normal(size=4)
    np.testing.assert_allclose(complex_step_jacobian(f, x), numeric_jacobian(f, x),
                               rtol=1e-7, atol=1e-9)


def test_jacfwd_equals_jacrev_where_a_centred_sum_cancels():
    # the example hypothesis found: the Jacobian is 0 exactly, both modes give rounding noise
    names, seed = ["square", "outer", "square", "center", "outer"], 5
    test_jacfwd_equals_jacrev_equals_complex_step_on_random_programs.hypothesis \
        .inner_test(names=names, n=5, seed=seed)


def _looped_jacfwd(f, x):
    cols = [func.jvp(f, (x,), (e,))[1] for e in np.eye(x.size)]
    return np.stack(cols, axis=-1)


def _looped_jacrev(f, x):
    out, vjp_fn = func.vjp(f, x)
    return np.stack([vjp_fn(e.reshape(np.shape(out)))[0] for e in np.eye(np.size(out))])


@given(names=st.lists(st.sampled_from(sorted(_STEPS)), min_size=1, max_size=4),
       seed=st.integers(0, 2 ** 16))
def test_batched_jacobians_equal_the_per_column_loop(names, seed):
    f = _random_program(names, seed)
    x = np.random.default_rng(seed).normal(size=4)
    np.testing.assert_allclose(func.jacfwd(f)(x), _looped_jacfwd(f, x), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(func.jacrev(f)(x), _looped_jacrev(f, x), rtol=1e-12, atol=1e-14)


def test_jacobians_run_the_function_once_with_no_per_element_loop(monkeypatch):
    monkeypatch.setattr(registry, "stack_batch",
                        lambda *a, **k: pytest.fail("an op fell back to the per-element loop"))
    calls = []
    A = da.tensor(np.random.default_rng(2).normal(size=(100, 100)))

    def f(x):
        calls.append(1)
        y = da.tanh(A @ x) * x + (x[:, None] * x[None, :]).mean(axis=1)
        return y + da.softmax(x, dim=0) * da.logsumexp(x) + da.var(x.reshape(4, 25), dim=1).sum()

    x = np.random.default_rng(3).normal(size=100)
    jf = func.jacfwd(f)(x)
    jr = func.jacrev(f)(x)
    assert len(calls) == 2 and jf.shape == (100, 100)
    np.testing.assert_allclose(jf, jr, rtol=1e-10, atol=1e-12)


class _Scale(da.autograd.Function):
    """A custom Function: jacrev cannot assume its backward is batch-safe."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return x * x

    @staticmethod
    def backward(ctx, g):
        return g * 2 * ctx.x

    @staticmethod
    def jvp(ctx, t):
        return t * 2 * ctx.x


def test_jacobians_through_a_custom_function():
    x = np.array([1.0, -2.0, 0.5])
    f = lambda x: da.sin(_Scale.apply(x))  # noqa: E731
    expected = np.diag(np.cos(x ** 2) * 2 * x)
    np.testing.assert_allclose(func.jacrev(f)(x), expected, rtol=1e-12)
    np.testing.assert_allclose(func.jacfwd(f)(x), expected, rtol=1e-12)


def test_jacobian_keeps_float32():
    j = func.jacrev(lambda x: x * 2)(np.ones(2, dtype=np.float32))
    assert j.dtype == np.float32


# ---------------------------------------------------------------- Hessians


def _quartic(A):
    return lambda x: x @ da.tensor(A) @ x + (x ** 4).sum()


@pytest.mark.parametrize("seed", [0, 1])
def test_hessian_matches_closed_form(seed):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(5, 5))
    x = rng.normal(size=5)
    expected = A + A.T + np.diag(12 * x ** 2)
    np.testing.assert_allclose(func.hessian(_quartic(A))(x), expected, rtol=1e-12, atol=1e-12)


def test_hvp_equals_hessian_times_v():
    rng = np.random.default_rng(4)
    A, x, v = rng.normal(size=(6, 6)), rng.normal(size=6), rng.normal(size=6)
    f = _quartic(A)
    out, hv = func.hvp(f, x, v)
    np.testing.assert_allclose(hv, func.hessian(f)(x) @ v, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hv, (A + A.T) @ v + 12 * x ** 2 * v, rtol=1e-12, atol=1e-12)
    assert out == pytest.approx(x @ A @ x + np.sum(x ** 4))


def test_hvp_does_not_form_the_hessian():
    # n = 200000: a dense Hessian would need 320 GB
    x = np.linspace(-1.0, 1.0, 200_000)
    v = np.cos(x)
    out, hv = func.hvp(lambda x: (da.sin(x) * x ** 2).sum(), x, v)
    second = (2 - x ** 2) * np.sin(x) + 4 * x * np.cos(x)
    np.testing.assert_allclose(hv, second * v, rtol=1e-10, atol=1e-12)


def test_hvp_of_several_arguments():
    f = lambda x, y: (x ** 2 * y).sum()  # noqa: E731
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    out, (hx, hy) = func.hvp(f, (x, y), (np.ones(2), np.zeros(2)))
    np.testing.assert_allclose(hx, 2 * y)
    np.testing.assert_allclose(hy, 2 * x)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 100])
def test_chunked_jacobians_equal_the_one_pass_jacobians(chunk_size):
    f = lambda x, y: da.tanh(x[:, None] * y).sum(axis=0) * x.sum()  # noqa: E731
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=3), rng.normal(size=(3, 2))
    for jac in (func.jacfwd, func.jacrev):
        full = jac(f, argnums=(0, 1))(x, y)
        chunked = jac(f, argnums=(0, 1), chunk_size=chunk_size)(x, y)
        for a, b in zip(full, chunked):
            np.testing.assert_allclose(b, a, rtol=1e-13, atol=1e-14)
        with pytest.raises(ValueError, match="chunk_size"):
            jac(f, chunk_size=0)(x, y)


def test_vjp_has_aux():
    out, vjp_fn, aux = func.vjp(lambda x: (x * 2, "aux"), np.ones(2), has_aux=True)
    np.testing.assert_allclose(vjp_fn(np.array([1.0, 3.0]))[0], [2.0, 6.0])
    assert aux == "aux"


@pytest.mark.parametrize("index", [(slice(None), [2, 0]), ([0, 1], slice(None), [1, 0]),
                                   (Ellipsis, None, 1), ([[0], [1]], [1, 2])])
def test_jacobians_of_indexing_including_layouts_that_cannot_be_batched(index):
    # ([0, 1], :, [1, 0]) puts NumPy's advanced axes first: that op runs per element
    f = lambda x: x[index] * 2.0  # noqa: E731
    x = np.random.default_rng(6).normal(size=(2, 3, 2))
    num = numeric_jacobian(lambda a: a[index] * 2.0, x)
    np.testing.assert_allclose(func.jacfwd(f)(x), num, atol=1e-8)
    np.testing.assert_allclose(func.jacrev(f)(x), num, atol=1e-8)


# ------------------------------------------- issue 18, item 22: hvp's structure, has_aux hint

def test_hvp_returns_the_structure_of_the_primals():
    """One array for one array, a tuple for a tuple (also of one): torch.autograd.functional."""
    f = lambda x: (x ** 3).sum()  # noqa: E731
    x, v = np.array([1.0, 2.0]), np.array([1.0, -1.0])
    expected = 6 * x * v  # H = diag(6x)
    out, hv = func.hvp(f, x, v)
    assert out == 9.0 and isinstance(hv, np.ndarray)
    np.testing.assert_array_equal(hv, expected)
    for primals, tangents in (((x,), (v,)), ([x], [v])):
        out, hv = func.hvp(f, primals, tangents)
        assert out == 9.0 and isinstance(hv, tuple) and len(hv) == 1
        np.testing.assert_array_equal(hv[0], expected)
    out, hv = func.hvp(lambda t: (t ** 3).sum(), da.tensor(x), da.tensor(v))
    assert isinstance(hv, da.Tensor) and hv.tolist() == expected.tolist()
    with pytest.raises(ValueError, match="got 2 primals but 1 tangents"):
        func.hvp(lambda a, b: (a * b).sum(), (x, x), (v,))


def test_hvp_structure_matches_torch():
    torch = pytest.importorskip("torch")
    from torch.autograd.functional import hvp as torch_hvp

    f = lambda x, y: (x ** 2 * y).sum()  # noqa: E731
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    t = [torch.tensor(a) for a in (x, y)]
    ours = func.hvp(f, (x, y), (np.ones(2), np.zeros(2)))
    theirs = torch_hvp(f, tuple(t), (torch.ones(2, dtype=torch.float64),
                                     torch.zeros(2, dtype=torch.float64)))
    assert ours[0] == theirs[0].item() and len(ours[1]) == len(theirs[1])
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-15)
    single = torch_hvp(lambda a: (a ** 3).sum(), t[0], torch.ones(2, dtype=torch.float64))
    assert isinstance(single[1], torch.Tensor)
    assert isinstance(func.hvp(lambda a: (a ** 3).sum(), x, np.ones(2))[1], np.ndarray)


@pytest.mark.parametrize("transform", [func.grad, func.value_and_grad])
@pytest.mark.parametrize("aux", [{"n": 1}, "text", np.ones(3)], ids=["dict", "str", "array"])
def test_grad_of_a_loss_aux_pair_suggests_has_aux(transform, aux):
    name = transform.__name__
    f = lambda x: ((x ** 2).sum(), aux)  # noqa: E731
    with pytest.raises(ValueError, match=rf"{name}: the function returned a tuple of 2 values.*"
                                         r"pass has_aux=True and return \(loss, aux\)"):
        transform(f)(np.array([1.0, 2.0]))
    g = transform(f, has_aux=True)(np.array([1.0, 2.0]))
    grads = g[0] if name == "grad" else g[1]
    np.testing.assert_array_equal(grads, [2.0, 4.0])
    with pytest.raises(ValueError, match="returned a list of 3 values"):
        transform(lambda x: [x.sum()] * 3)(np.ones(2))


# --------------------------------------------------- bad arguments found while attacking

@pytest.mark.parametrize("argnums", [True, (False,), 1.0, "0", (0, 1.0)])
@pytest.mark.parametrize("transform", [func.grad, func.jacrev, func.jacfwd])
def test_argnums_that_are_not_ints_are_refused(transform, argnums):
    """argnums=True picked argument 1 (a bool is an int in Python)."""
    with pytest.raises(TypeError, match="argnums must be an int or a tuple of ints"):
        transform(lambda x, y: (x * y).sum(), argnums=argnums)(np.ones(2), np.ones(2))


def test_vjp_fn_cotangents():
    x = np.array([1.0, 2.0])
    _, pull = func.vjp(lambda a: (a, a * 3), x)
    with pytest.raises(ValueError, match="got 1 cotangents for 2 outputs"):
        pull(np.ones(2))  # an array is one cotangent (it was read as 2 of shape ())
    np.testing.assert_array_equal(pull((np.ones(2), np.ones(2)))[0], [4.0, 4.0])
    _, pull = func.vjp(lambda a: a * 3, x)
    with pytest.raises(TypeError, match="cotangent 0 is complex but the output is real"):
        pull(np.array([1j, 1.0]))  # the imaginary part was dropped with a warning
    np.testing.assert_array_equal(pull(np.array([1, 2]))[0], [3.0, 6.0])


def test_hvp_errors_name_hvp_and_do_not_suggest_has_aux():
    x = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match=r"^hvp: the function must return a single element"):
        func.hvp(lambda a: a * 2, x, x)
    with pytest.raises(ValueError, match=r"^hvp: the function returned a tuple") as info:
        func.hvp(lambda a: ((a ** 2).sum(), 1), x, x)
    assert "has_aux" not in str(info.value)


def test_an_operand_that_is_a_tuple_of_tensors_raises_instead_of_dropping_derivatives():
    # max(axis=...) returns (values, indices); adding it to a Tensor turned both into one
    # array: under jacfwd the tangents were dropped (a silently wrong Jacobian), in plain
    # reverse mode the values' gradient; PyTorch refuses such an operand too
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    with pytest.raises(TypeError, match="ValuesIndices of 2 values containing Tensors"):
        func.jacfwd(lambda v: v.max(axis=1) + v[:, 0])(x)
    w = da.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="mul: an operand is a list"):
        da.tensor([1.0, 2.0]) * [w[0], w[1]]
    with pytest.raises(TypeError, match="add: an operand is a tuple"):
        da.add(da.tensor(1.0), (da.tensor(2.0),))
    np.testing.assert_allclose((da.tensor([1.0, 2.0]) + [1.0, 2.0]).numpy(), [2.0, 4.0])
    np.testing.assert_allclose(func.jacfwd(lambda v: v.max(axis=1).values)(x),
                               [[[1.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [1.0, 0.0]]])


def test_reverse_over_reverse_through_a_closure_returns_numpy_without_a_graph():
    # the inner transform's private input stayed in the result's graph, so the outer one
    # took it for a Tensor differentiated outside: NumPy in gave a Tensor requiring grad
    x = np.array([0.3, -1.2, 2.0])
    a = np.array([0.1, 0.2, 0.4])
    hv = func.jacrev(lambda a: func.hvp(lambda w: da.sin(w * a).sum(), x, np.ones(3))[1])(a)
    gg = func.grad(lambda a: func.grad(lambda w: da.sin(w * a).sum())(x).sum())(a)
    assert type(hv) is np.ndarray and type(gg) is np.ndarray
    np.testing.assert_allclose(hv, np.diag(-2 * a * np.sin(x * a) - a ** 2 * x * np.cos(x * a)))
    np.testing.assert_allclose(gg, np.cos(x * a) - x * a * np.sin(x * a))
    at = da.tensor(a, requires_grad=True)  # still differentiable with respect to a Tensor
    j = func.jacrev(lambda a: func.grad(lambda w: da.sin(w * a).sum())(x))(at)
    j.sum().backward()
    np.testing.assert_allclose(at.grad.numpy(), -2 * x * np.sin(x * a) - x ** 2 * a * np.cos(x * a))

"""func.vmap: against explicit loops (every registered op, random programs), closed forms,
nesting with grad/jacfwd/jacrev/hessian, per-sample MLP gradients, and errors."""

from __future__ import annotations

import itertools
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import dualad as da
from dualad import func, registry
from dualad.batched_tensor import BatchedDataError
from dualad.ops import vmap_rules
from dualad.testing import strategies

OPS = registry.ops()
SETTINGS = settings(max_examples=5, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
B = 3


def _values(x: object) -> list[np.ndarray]:
    """The leaves of an op's result as arrays (an op may return a tuple)."""
    items = x if isinstance(x, (tuple, list)) else (x,)
    return [np.asarray(i._data if isinstance(i, da.Tensor) else i) for i in items]


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
@SETTINGS
@given(data=st.data())
def test_every_op_matches_a_loop(op: registry.Op, data: st.DataObject) -> None:
    """vmap(op) with random in_dims and out_dims equals the loop over examples, stacked."""
    arrays, params = data.draw(strategies.op_inputs(op), label="inputs")
    dom = op.domain
    batched = data.draw(st.lists(st.booleans(), min_size=len(arrays), max_size=len(arrays)))
    if not any(batched):
        batched[0] = True
    calls = [list(arrays)]
    for _ in range(B - 1):  # each further call: new values of the batched inputs
        def call(new: tuple) -> list:
            values = iter(new)
            return [next(values) if batched[k] else a for k, a in enumerate(arrays)]

        new = st.tuples(*[strategies.arrays_from(a.shape, dom.ranges[k], a.dtype)
                          for k, a in enumerate(arrays) if batched[k]])
        if dom.valid is not None:  # (drawn valid: a rejected call would reject the example)
            new = new.filter(lambda n: bool(dom.valid(*call(n), **params)))
        calls.append(call(data.draw(new)))
    examples = [[c[k] for c in calls] if batched[k] else None for k in range(len(arrays))]
    try:
        expected = [_values(registry.apply(op, *c, **params)) for c in calls]
    except (ValueError, FloatingPointError, np.linalg.LinAlgError, ArithmeticError):
        assume(False)
    in_dims = []
    args = []
    for a, ex in zip(arrays, examples):
        if ex is None:
            in_dims.append(None)
            args.append(a)
            continue
        d = data.draw(st.integers(-(a.ndim + 1), a.ndim), label="in_dim")
        in_dims.append(d)
        args.append(np.stack(ex, axis=d))
    out_dim = data.draw(st.integers(-1, 0), label="out_dim")
    got = func.vmap(lambda *xs: registry.apply(op, *xs, **params), in_dims=tuple(in_dims),
                    out_dims=out_dim)(*args)
    got_values = _values(got)
    assert len(got_values) == len(expected[0])
    for k, g in enumerate(got_values):
        want = np.stack([e[k] for e in expected], axis=out_dim)
        assert g.shape == want.shape, (op.name, g.shape, want.shape)
        # (vectorized: a batched einsum or matmul may sum in another order than one call
        # per example, so the last bits can differ)
        np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-14, err_msg=op.name)


# ----------------------------------------------------------------- random programs
UNARY = [da.sin, da.tanh, da.exp, lambda x: x * x, lambda x: x.sum(axis=-1, keepdims=True),
         lambda x: x.mean(), lambda x: x.T, lambda x: x.reshape(-1),
         lambda x: x[..., :1] if x.ndim else x]
BINARY = [lambda x, y: x + y, lambda x, y: x * y, lambda x, y: (x * y).sum() + x]


@SETTINGS
@given(prog=st.lists(st.tuples(st.integers(0, len(UNARY) - 1), st.integers(0, 2)),
                     min_size=1, max_size=6),
       in_dim=st.integers(-3, 2), seed=st.integers(0, 2 ** 16))
def test_random_programs_match_a_loop(prog: list, in_dim: int, seed: int) -> None:
    rng = np.random.default_rng(seed)

    def f(x: da.Tensor) -> da.Tensor:
        for u, b in prog:
            x = UNARY[u](x)
            if b and x.ndim >= 1:
                x = BINARY[b](x, da.tensor(np.linspace(0.5, 1.5, x.shape[-1])))
        return x

    xs = rng.standard_normal((4, 2, 2))
    expected = np.stack([np.asarray(f(da.tensor(x)).numpy()) for x in xs])
    got = func.vmap(f, in_dims=in_dim)(np.moveaxis(xs, 0, in_dim))
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15)
    # and reverse mode through vmap equals reverse mode through the loop
    g_vmap = func.grad(lambda x: func.vmap(f)(x).sum())(xs)
    g_loop = func.grad(lambda x: da.stack([f(x[i]) for i in range(4)]).sum())(xs)
    np.testing.assert_allclose(g_vmap, g_loop, rtol=1e-13, atol=1e-15)


# ------------------------------------------------------------- dims and pytrees
def test_in_dims_pytree_and_out_dims_pytree() -> None:
    x, y = np.arange(6.0).reshape(3, 2), np.array([10.0, 20.0])
    f = func.vmap(lambda p: {"a": p["x"] * p["y"], "b": p["y"]},
                  in_dims=({"x": 0, "y": None},), out_dims={"a": 1, "b": None})
    out = f({"x": x, "y": y})
    np.testing.assert_array_equal(out["a"], (x * y).T)
    np.testing.assert_array_equal(out["b"], y)


def test_negative_dims_and_tuple_outputs() -> None:
    x = np.arange(24.0).reshape(2, 3, 4)
    s, m = func.vmap(lambda r: (r.sum(), r.max(axis=0)), in_dims=-1, out_dims=(0, -1))(x)
    np.testing.assert_array_equal(s, x.sum(axis=(0, 1)))
    # Tensor.max(axis) is PyTorch's (values, indices): both keep their structure
    np.testing.assert_array_equal(m.values, x.max(axis=0))
    np.testing.assert_array_equal(m.indices, x.argmax(axis=0))


def test_numpy_in_numpy_out_tensor_in_tensor_out() -> None:
    assert isinstance(func.vmap(da.sin)(np.ones(2)), np.ndarray)
    assert isinstance(func.vmap(da.sin)(da.ones(2)), da.Tensor)


def test_nested_vmap_is_an_outer_product() -> None:
    a, b = np.arange(3.0), np.arange(4.0) + 1
    outer = func.vmap(func.vmap(lambda u, v: u * v, in_dims=(None, 0)), in_dims=(0, None))
    np.testing.assert_array_equal(outer(a, b), np.outer(a, b))


def test_kwargs_are_not_batched() -> None:
    out = func.vmap(lambda x, *, scale: x.sum() * scale)(np.ones((3, 2)), scale=np.array(2.0))
    np.testing.assert_array_equal(out, [4.0, 4.0, 4.0])


# ------------------------------------------------------------------ composition
X = np.array([[0.3, -1.2, 0.7], [1.1, 0.4, -0.5]])


def cube_sum(x: da.Tensor) -> da.Tensor:
    return (x ** 3).sum()


def test_vmap_of_grad_and_grad_of_vmap() -> None:
    np.testing.assert_allclose(func.vmap(func.grad(cube_sum))(X), 3 * X ** 2, rtol=1e-15)
    np.testing.assert_allclose(func.grad(lambda x: func.vmap(cube_sum)(x).sum())(X),
                               3 * X ** 2, rtol=1e-15)
    # in_dims=1: the examples are the columns
    np.testing.assert_allclose(func.vmap(func.grad(cube_sum), in_dims=1, out_dims=1)(X),
                               3 * X ** 2, rtol=1e-15)


def test_jacobians_of_vmap_and_vmap_of_jacobians() -> None:
    x = np.array([0.1, 0.5, 2.0])
    want = np.diag(np.cos(x))
    np.testing.assert_allclose(func.jacfwd(func.vmap(da.sin))(x), want, rtol=1e-15)
    np.testing.assert_allclose(func.jacrev(func.vmap(da.sin))(x), want, rtol=1e-15)
    # per-row Jacobians of a map R^3 -> R^3
    jr = func.vmap(func.jacrev(lambda r: da.sin(r) * r.sum()))(X)
    jf = func.vmap(func.jacfwd(lambda r: da.sin(r) * r.sum()))(X)
    for i, r in enumerate(X):
        closed = np.diag(np.cos(r) * r.sum()) + np.sin(r)[:, None]
        np.testing.assert_allclose(jr[i], closed, rtol=1e-14)
        np.testing.assert_allclose(jf[i], closed, rtol=1e-14)


def test_hessians_through_vmap() -> None:
    h = func.vmap(func.hessian(cube_sum))(X)
    for i, r in enumerate(X):
        np.testing.assert_allclose(h[i], np.diag(6 * r), rtol=1e-15)
    # hessian of the batched sum: block diagonal
    hb = func.hessian(lambda x: func.vmap(cube_sum)(x).sum())(X)
    want = np.zeros(X.shape * 2)
    for i in range(2):
        for j in range(3):
            want[i, j, i, j] = 6 * X[i, j]
    np.testing.assert_allclose(hb, want, rtol=1e-15)


def test_vmap_inside_vmap_inside_grad() -> None:
    f = func.vmap(func.vmap(lambda s: s ** 3))
    np.testing.assert_allclose(func.grad(lambda x: f(x).sum())(X), 3 * X ** 2, rtol=1e-15)


# ------------------------------------------------------------ per-sample gradients
def _mlp() -> tuple:
    da.manual_seed(0)
    model = da.nn.Sequential(da.nn.Linear(5, 16), da.nn.Tanh(), da.nn.Linear(16, 1))
    params = func.params_dict(model)

    def loss(params: dict, x: da.Tensor, y: da.Tensor) -> da.Tensor:
        out = func.functional_call(model, params, (x[None],))
        return ((out - y) ** 2).sum()

    rng = np.random.default_rng(1)
    return model, params, loss, rng.standard_normal((8, 5)), rng.standard_normal((8, 1))


def test_per_sample_gradients_equal_a_loop_of_single_gradients() -> None:
    _, params, loss, xs, ys = _mlp()
    per = func.vmap(func.grad(loss), in_dims=(None, 0, 0))(params, xs, ys)
    assert set(per) == set(params)
    for i in range(len(xs)):
        single = func.grad(loss)(params, xs[i], ys[i])
        for name in params:
            assert per[name].shape == (len(xs),) + tuple(params[name].shape)
            np.testing.assert_allclose(np.asarray(per[name][i].numpy()),
                                       np.asarray(single[name].numpy()), rtol=1e-15)


def test_per_sample_gradients_match_torch_func() -> None:
    torch = pytest.importorskip("torch")
    model, params, loss, xs, ys = _mlp()
    per = func.vmap(func.grad(loss), in_dims=(None, 0, 0))(params, xs, ys)
    tparams = {k: torch.tensor(np.asarray(v.numpy())) for k, v in params.items()}

    def tloss(p: dict, x: object, y: object) -> object:
        h = torch.tanh(x[None] @ p["0.weight"].T + p["0.bias"])
        out = h @ p["2.weight"].T + p["2.bias"]
        return ((out - y) ** 2).sum()

    tper = torch.func.vmap(torch.func.grad(tloss), in_dims=(None, 0, 0))(
        tparams, torch.tensor(xs), torch.tensor(ys))
    for k in params:
        np.testing.assert_allclose(np.asarray(per[k].numpy()), tper[k].numpy(), rtol=1e-12,
                                   atol=1e-14)


# -------------------------------------------------------------------- randomness
def test_randomness_modes() -> None:
    def noisy(x: np.ndarray) -> np.ndarray:
        return x + np.random.standard_normal()

    np.random.seed(3)
    before = np.random.get_state()[1].copy()
    with pytest.raises(RuntimeError, match="randomness='error'"):
        func.vmap(noisy)(np.zeros(3))
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # no state change
    same = func.vmap(noisy, randomness="same")(np.zeros(3))
    assert same[0] == same[1] == same[2]
    np.random.seed(3)
    first = np.random.standard_normal()
    assert same[0] == first
    different = func.vmap(noisy, randomness="different")(np.zeros(3))
    assert len(set(different.tolist())) == 3


def test_randomness_modes_with_dualads_generator() -> None:
    def noisy(x: da.Tensor) -> da.Tensor:
        return x + da.randn(())

    da.manual_seed(5)
    before = da.randn(2).numpy()
    da.manual_seed(5)
    with pytest.raises(RuntimeError, match="randomness='error'"):
        func.vmap(noisy)(np.zeros(3))
    np.testing.assert_array_equal(da.randn(2).numpy(), before)  # the state was put back
    same = func.vmap(noisy, randomness="same")(np.zeros(3))
    assert same[0] == same[1] == same[2]
    different = func.vmap(noisy, randomness="different")(np.zeros(3))
    assert len(set(different.tolist())) == 3
    with pytest.raises(RuntimeError, match="randomness='error'"):  # da.rand draws too
        func.vmap(lambda r: r * da.rand(4))(np.ones((3, 4)))


# ------------------------------------------------------------------------ errors
@pytest.mark.parametrize("call, exc, match", [
    (lambda: func.vmap(da.sin)(2.0), TypeError, "no axis to map over"),
    (lambda: func.vmap(da.sin)(np.array(2.0)), ValueError, "0-d value"),
    (lambda: func.vmap(da.sin, in_dims=2)(np.ones((2, 2))), ValueError, "out of range"),
    (lambda: func.vmap(lambda a, b: a + b)(np.ones(2), np.ones(3)), ValueError,
     "different sizes"),
    (lambda: func.vmap(lambda a, b: a + b, in_dims=(0,))(np.ones(2), np.ones(2)), ValueError,
     "one entry per argument"),
    (lambda: func.vmap(da.sin, in_dims=None)(np.ones(2)), ValueError, "maps no argument"),
    (lambda: func.vmap(da.sin)(), ValueError, "no positional arguments"),
    (lambda: func.vmap(da.sin)(np.ones((0, 2))), ValueError, "size 0"),
    (lambda: func.vmap(da.sin, out_dims=None)(np.arange(2.0)), ValueError, "differs between"),
    (lambda: func.vmap(da.sin, out_dims=2)(np.ones(2)), ValueError, "out_dims=2"),
    (lambda: func.vmap(da.sin, in_dims=("a",))(np.ones(2)), TypeError, "pytree of ints"),
    (lambda: func.vmap(lambda p: p["x"], in_dims=({"y": 0},))({"x": np.ones(2)}), ValueError,
     "in_dims"),
    (lambda: func.vmap(lambda x: x[: int(x[0].item()) + 1])(np.arange(4.0).reshape(2, 2)),
     BatchedDataError, "whole batch"),
    (lambda: func.vmap(lambda x: x[: int(x[0].item()) + 1], randomness="different")(
        np.arange(4.0).reshape(2, 2)), ValueError, "different shapes"),
    (lambda: func.vmap(lambda x: x if x.sum() > 0 else -x)(np.ones((2, 2))),
     BatchedDataError, "da.where"),
    (lambda: func.vmap(lambda x: np.asarray(x))(np.ones((2, 2))), BatchedDataError,
     "whole batch"),
    (lambda: func.vmap(lambda x: (x ** 2).sum().backward())(np.ones((2, 2))),
     BatchedDataError, "func.grad inside vmap"),
    (lambda: func.vmap(lambda x: da.autograd.grad((x ** 2).sum(), x))(
        da.ones((2, 2), requires_grad=True)), BatchedDataError, "func.grad inside vmap"),
    (lambda: func.vmap(da.sin, randomness="maybe"), ValueError, "randomness"),
    (lambda: func.vmap(da.sin, chunk_size=0), ValueError, "chunk_size"),
    (lambda: func.vmap(3), TypeError, "expected a function"),
])
def test_errors(call: object, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        call()  # type: ignore[operator]


def test_out_dims_none_never_drops_derivatives() -> None:
    # (x**2) is 1 for both examples, but its derivative differs: one copy would be wrong
    x = da.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(ValueError, match="depends on a batched input"):
        func.vmap(lambda s: s ** 2, out_dims=None)(x)
    w = da.tensor([2.0], requires_grad=True)  # a captured value returned as it is: allowed
    got = func.vmap(lambda s: (s * 2.0, w), out_dims=(0, None))(np.ones(3))
    assert got[1] is w


def test_chunk_size_gives_the_same_result() -> None:
    np.testing.assert_array_equal(func.vmap(func.grad(cube_sum), chunk_size=1)(X), 3 * X ** 2)


# ----------------------------------------------- custom rules, checkpoint, loop semantics
def test_custom_vjp_and_custom_jvp_under_vmap() -> None:
    @func.custom_vjp
    def square(x: da.Tensor) -> da.Tensor:
        return x * x

    square.defvjp(lambda x: (x * x, x), lambda x, g: (3.0 * x * g,))  # marked: 3x, not 2x

    @func.custom_jvp
    def cube(x: da.Tensor) -> da.Tensor:
        return x ** 3

    @cube.defjvp
    def _(primals: tuple, tangents: tuple) -> tuple:
        (x,), (t,) = primals, tangents
        return x ** 3, 5.0 * x * x * t  # marked: 5x^2, not 3x^2

    xs = np.array([[0.5, -1.0], [2.0, 0.25]])
    np.testing.assert_allclose(func.vmap(func.grad(lambda r: square(r).sum()))(xs), 3.0 * xs)
    np.testing.assert_allclose(func.vmap(square)(xs), xs * xs)
    tangent = func.vmap(lambda r: func.jvp(cube, (r,), (da.ones_like(r),))[1])(xs)
    np.testing.assert_allclose(tangent, 5.0 * xs ** 2)


def test_checkpoint_under_vmap() -> None:
    block = func.remat(lambda r: da.tanh(da.sin(r) * 2.0))
    got = func.vmap(func.grad(lambda r: block(r).sum()))(X)
    np.testing.assert_allclose(got, 2.0 * np.cos(X) / np.cosh(2.0 * np.sin(X)) ** 2, rtol=1e-14)


def test_item_and_inplace_raise_inside_vmap() -> None:
    """One example's number does not exist inside a vectorized vmap: converting raises,
    as an in-place write into a batched value or a captured tensor does, before any
    change; the per-example loop (randomness="different") still gives each example's."""
    with pytest.raises(BatchedDataError, match="whole batch"):
        func.vmap(lambda r: da.tensor(float(r.sum().item())))(X)
    acc = da.zeros(3)

    def add(r: da.Tensor) -> da.Tensor:
        acc.add_(r)
        return r

    with pytest.raises(BatchedDataError):
        func.vmap(add)(X)
    np.testing.assert_array_equal(acc.numpy(), np.zeros(3))  # nothing was written

    def write(r: da.Tensor) -> da.Tensor:
        r[0] = 1.0
        return r

    with pytest.raises(BatchedDataError):
        func.vmap(write)(X)
    assert func.vmap(lambda r: da.tensor(float(r.sum().item())), randomness="different")(
        X).tolist() == X.sum(axis=1).tolist()
    # under grad, converting a value being differentiated still raises (never a silent zero)
    from dualad.tensor import ConcretizationTypeError
    with pytest.raises(ConcretizationTypeError):
        func.grad(lambda x: func.vmap(lambda r: da.tensor(float(r.sum())),
                                      randomness="different")(x).sum())(X)


def test_derivatives_reach_captured_and_unbatched_arguments() -> None:
    """NumPy examples with a differentiated value captured or passed with in_dims None:
    the derivative flows to it (the result stays a Tensor inside the transform)."""
    w, xt = np.array([1.0, 2.0]), X.T  # three examples of two values
    g = func.grad(lambda v: func.vmap(lambda x: (x * v).sum())(xt).sum())(w)
    np.testing.assert_allclose(g, xt.sum(axis=0))
    g = func.grad(lambda v: func.vmap(lambda x, u: ((x * u) ** 2).sum(),
                                      in_dims=(0, None))(xt, v).sum())(w)
    np.testing.assert_allclose(g, (2 * xt ** 2 * w).sum(axis=0))
    jac = func.jacfwd(lambda v: func.vmap(lambda x, u: (x * u).sum(), in_dims=(0, None))(
        xt, v))(w)
    np.testing.assert_allclose(jac, xt)


# ------------------------------------------------------- batching rules, not a loop
def _domain_cases(op: registry.Op) -> list:
    """(arrays, params) for each example shape of the op's test domain (elementwise ops:
    shape (3,) for every input), values drawn from its ranges."""
    rng = np.random.default_rng(7)
    dom = op.domain
    shapes = ([(((3,),) * len(dom.ranges), {})] if dom.shapes == "elementwise"
              else list(dom.shapes))
    cases = []
    for in_shapes, params in shapes:
        arrays = [rng.uniform(*ranges[0], size=(2,) + tuple(shape))
                  for shape, ranges in zip(in_shapes, dom.ranges)]
        cases.append((arrays, params))
    return cases


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_registered_ops_batch_without_the_per_example_loop(op: registry.Op) -> None:
    """vmap runs every registered op on the whole batch through a batching rule; only the
    ops listed in vmap_rules.PER_EXAMPLE may run once per example. Fails when an op is
    added without a rule (or a rule gives up on its own test domain)."""
    loops = []
    plain = vmap_rules._per_example

    def counting(*args: object) -> object:
        loops.append(args[0])
        return plain(*args)  # type: ignore[arg-type]

    used = False
    for arrays, params in _domain_cases(op):
        # every choice of batched inputs (the unbatched ones: the first example's value)
        for flags in itertools.product((True, False), repeat=len(arrays)):
            if not any(flags):
                continue
            args = [a if b else a[0] for a, b in zip(arrays, flags)]
            dims = tuple(0 if b else None for b in flags)
            try:  # (a value outside the op's domain: the loop itself fails, skip it)
                want = [registry.apply(op, *[a[i] if b else a for a, b in zip(args, flags)],
                                       **params) for i in range(2)]
            except (ValueError, FloatingPointError, np.linalg.LinAlgError, ArithmeticError):
                continue
            with mock.patch.object(vmap_rules, "_per_example", counting):
                got = func.vmap(lambda *xs, p=params: registry.apply(op, *xs, **p),
                                in_dims=dims)(*args)
            np.testing.assert_allclose(_values(got)[0],
                                       np.stack([_values(w)[0] for w in want]),
                                       rtol=1e-12, atol=1e-14, err_msg=f"{op.name} {flags}")
            used = True
    assert used, f"{op.name}: no domain example could run"
    if op.name in vmap_rules.PER_EXAMPLE:
        return
    assert not loops, (f"{op.name} ran once per example inside vmap: give it a batching rule "
                       "in dualad/ops/vmap_rules.py (or list it in PER_EXAMPLE, with why)")


def test_per_example_list_names_registered_ops_without_rules() -> None:
    names = {op.name: op for op in OPS}
    for name in vmap_rules.PER_EXAMPLE:
        assert name in names, f"PER_EXAMPLE lists {name!r}, which is not a registered op"
        assert not names[name].elementwise and name not in vmap_rules.RULES, name


# ------------------------------------------- transforms inside vmap, against loops
R = np.random.default_rng(11)
XS = R.uniform(-1.0, 1.0, size=(4, 3))
TS = R.uniform(-1.0, 1.0, size=(4, 3))
W = R.uniform(-1.0, 1.0, size=(3, 3))


def _f(x: da.Tensor) -> da.Tensor:
    return da.tanh(x @ W) * da.sin(x)


def _loss(x: da.Tensor) -> da.Tensor:
    return (_f(x) ** 2).sum()


def _loop(fn: object, *arrays: np.ndarray) -> list:
    return [fn(*[a[i] for a in arrays]) for i in range(len(arrays[0]))]  # type: ignore[operator]


def test_vjp_jvp_hvp_linearize_inside_vmap_match_a_loop() -> None:
    got = func.vmap(lambda x, c: func.vjp(_f, x)[1](c)[0])(XS, TS)
    want = _loop(lambda x, c: func.vjp(_f, x)[1](c)[0], XS, TS)
    np.testing.assert_allclose(got, np.stack(want), rtol=1e-13)
    got_out, got_t = func.vmap(lambda x, t: func.jvp(_f, (x,), (t,)))(XS, TS)
    want = _loop(lambda x, t: func.jvp(_f, (x,), (t,)), XS, TS)
    np.testing.assert_allclose(got_out, np.stack([w[0] for w in want]), rtol=1e-13)
    np.testing.assert_allclose(got_t, np.stack([w[1] for w in want]), rtol=1e-13)
    value, hv = func.vmap(lambda x, t: func.hvp(_loss, x, t))(XS, TS)
    want = _loop(lambda x, t: func.hvp(_loss, x, t), XS, TS)
    np.testing.assert_allclose(value, [w[0] for w in want], rtol=1e-13)
    np.testing.assert_allclose(hv, np.stack([w[1] for w in want]), rtol=1e-12)
    lin = func.vmap(lambda x, t: func.linearize(_f, x)[1](t))(XS, TS)
    np.testing.assert_allclose(lin, np.stack([w[1] for w in
                                              _loop(lambda x, t: func.jvp(_f, (x,), (t,)),
                                                    XS, TS)]), rtol=1e-12)


def test_jacobians_and_hessians_inside_vmap_match_finite_differences() -> None:
    """Per-example Jacobians (both modes) against central differences, Hessians against
    differences of the gradient: independent of the transforms' own code."""
    h = 1e-6
    jr = func.vmap(func.jacrev(_f))(XS)
    jf = func.vmap(func.jacfwd(_f))(XS)
    for i in range(len(XS)):
        fd = np.stack([(_f(da.tensor(XS[i] + h * e)).numpy() - _f(da.tensor(XS[i] - h * e))
                        .numpy()) / (2 * h) for e in np.eye(3)], axis=1)
        np.testing.assert_allclose(jr[i], fd, atol=1e-8)
        np.testing.assert_allclose(jf[i], fd, atol=1e-8)
    hs = func.vmap(func.hessian(_loss))(XS)
    g = func.grad(_loss)
    for i in range(len(XS)):
        fd = np.stack([(g(XS[i] + h * e) - g(XS[i] - h * e)) / (2 * h) for e in np.eye(3)])
        np.testing.assert_allclose(hs[i], fd, atol=1e-7)


def test_nested_vmap_of_grad_matches_a_double_loop() -> None:
    xs = R.uniform(-1.0, 1.0, size=(2, 3, 3))
    got = func.vmap(func.vmap(func.grad(_loss)))(xs)
    want = np.array([[func.grad(_loss)(x) for x in row] for row in xs])
    np.testing.assert_allclose(got, want, rtol=1e-13)
    # an unbatched argument at the inner level, batched at the outer one
    got = func.vmap(func.vmap(func.grad(lambda w, x: (x @ w).sum() ** 2), in_dims=(None, 0)),
                    in_dims=(0, None))(xs[:, 0], XS)
    want = np.array([[func.grad(lambda w, x=x: (x @ w).sum() ** 2)(w0) for x in XS]
                     for w0 in xs[:, 0]])
    np.testing.assert_allclose(got, want, rtol=1e-13)


def test_masks_and_argmax_inside_vmap_are_per_example() -> None:
    x = np.array([[1.0, np.nan, -2.0], [np.inf, 2.0, -1.0]])
    got = func.vmap(lambda r: da.where(da.isnan(r) | (r < 0), 0.0, r))(x)
    np.testing.assert_array_equal(got, np.where(np.isnan(x) | (x < 0), 0.0, x))
    y = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    np.testing.assert_array_equal(func.vmap(lambda r: da.argmax(r))(y), [1, 0])
    np.testing.assert_array_equal(func.vmap(lambda r: 1.0 * (2.0 < r))(y), (2.0 < y) * 1.0)
    with pytest.raises(BatchedDataError, match="nonzero"):
        func.vmap(lambda r: np.nonzero(r))(y)


def test_chunks_give_the_same_result_and_gradient() -> None:
    x = R.uniform(-1.0, 1.0, size=(5, 3))
    for out_dims in (0, 1):
        whole = func.vmap(_f, out_dims=out_dims)(x)
        np.testing.assert_array_equal(func.vmap(_f, out_dims=out_dims, chunk_size=2)(x), whole)
    g = func.grad(lambda v: func.vmap(_loss, chunk_size=2)(v).sum())(x)
    np.testing.assert_allclose(g, func.vmap(func.grad(_loss))(x), rtol=1e-13)


@pytest.mark.parametrize("kwargs", [{}, {"weight": np.array([1.0, 2.0, 0.5])},
                                    {"label_smoothing": 0.2, "reduction": "sum"},
                                    {"ignore_index": 1}])
def test_cross_entropy_with_per_example_classes(kwargs: dict) -> None:
    """Class targets batched by vmap (torch.func's per-sample-gradient tutorial): equal to
    the loop of single-example gradients, including an example whose target is ignored."""
    import dualad.nn.functional as F
    x = R.standard_normal((6, 4))
    t = np.array([0, 2, 1, 1, 0, 2])
    w = R.standard_normal((4, 3))

    def loss(w: da.Tensor, x: da.Tensor, t: da.Tensor) -> da.Tensor:
        return F.cross_entropy((x @ w)[None], t[None], **kwargs)

    got = func.vmap(func.grad(loss), in_dims=(None, 0, 0))(w, x, t)
    want = np.stack([func.grad(loss)(w, x[i], t[i]) for i in range(6)])
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    nll = func.vmap(lambda w, x, t: F.nll_loss(da.log_softmax(x @ w, axis=-1)[None], t[None]),
                    in_dims=(None, 0, 0))(w, x, t)
    np.testing.assert_allclose(nll, [F.nll_loss(da.log_softmax(da.tensor(x[i] @ w), axis=-1)
                                                [None], t[i:i + 1]).item() for i in range(6)])
    with pytest.raises(IndexError, match="out of range"):
        func.vmap(loss, in_dims=(None, 0, 0))(w, x, t + 3)


@pytest.mark.parametrize("fn", [
    lambda x: x.detach() * x, lambda x: da.sort(x, 1).values,
    lambda x: da.sort(x, 1, descending=True).indices, lambda x: np.median(x),
    lambda x: np.percentile(x, 30, axis=1), lambda x: np.median(x, axis=0),
    lambda x: x[np.array([True, False, True, False])], lambda x: np.pad(x, 1),
    lambda x: np.linalg.solve(x[:, :4] + 5 * np.eye(4), x[:, 4]),
    lambda x: np.abs(np.fft.fft(x)), lambda x: da.logsumexp(x, 1),
], ids=["detach", "sort", "sort-indices", "median", "percentile", "median-axis", "mask",
        "pad", "solve", "fft", "logsumexp"])
def test_library_functions_inside_vmap_match_a_loop(fn: object) -> None:
    """Composite functions (values and integer results) inside vmap, a nan in one example."""
    x = R.standard_normal((3, 4, 5))
    x[1, 2, 3] = np.nan
    got = func.vmap(fn)(x)
    want = np.stack([_as_array(fn(da.tensor(x[i]))) for i in range(3)])  # type: ignore[operator]
    np.testing.assert_array_equal(_as_array(got), want)


def _as_array(v: object) -> np.ndarray:
    return v.numpy() if isinstance(v, da.Tensor) else np.asarray(v)


@pytest.mark.parametrize("jac", [func.jacrev, func.jacfwd], ids=["jacrev", "jacfwd"])
def test_pytree_jacobians_with_aux_inside_vmap_match_a_loop(jac: object) -> None:
    def f(p: dict, x: da.Tensor) -> tuple:
        out = {"a": da.sin(p["w"] * x).sum(), "b": p["w"] * p["v"].sum() * x}
        return out, x.sum()

    p = {"w": R.standard_normal(3), "v": R.standard_normal(2)}
    xs = R.standard_normal((4, 3))
    jf = jac(f, argnums=(0, 1), has_aux=True)  # type: ignore[operator]
    got, aux = func.vmap(jf, in_dims=(None, 0))(p, xs)
    for i in range(4):
        want, want_aux = jf(p, xs[i])
        np.testing.assert_allclose(aux[i], want_aux)
        for out_key in ("a", "b"):
            for k in range(2):
                g, w = got[out_key][k], want[out_key][k]
                if k == 0:
                    for name in ("w", "v"):
                        np.testing.assert_allclose(g[name][i], w[name], rtol=1e-13)
                else:
                    np.testing.assert_allclose(g[i], w, rtol=1e-13)


def test_aux_values_leave_transforms_inside_vmap_without_history() -> None:
    xs = da.tensor(R.standard_normal((4, 3)))

    def f(x: da.Tensor) -> tuple:
        return (x ** 2).sum(), {"double": x * 2.0, "tag": "ok"}

    g, aux = func.vmap(func.grad(f, has_aux=True))(xs)
    assert aux["tag"] == "ok" and not aux["double"].requires_grad
    np.testing.assert_allclose(aux["double"].numpy(), 2.0 * xs.numpy())
    np.testing.assert_allclose(g.numpy(), 2.0 * xs.numpy())
    aux = func.vmap(lambda x: func.vjp(f, x, has_aux=True)[2]["double"])(xs)
    assert not aux.requires_grad
    np.testing.assert_allclose(aux.numpy(), 2.0 * xs.numpy())


@pytest.mark.parametrize("fn", [
    lambda x: np.linalg.eigh(x[:, :4] @ x[:, :4].T)[1], lambda x: np.linalg.svd(x)[0],
    lambda x: np.linalg.slogdet(x[:, :4])[1], lambda x: np.linalg.qr(x)[0],
    lambda x: np.linalg.matrix_rank(x), lambda x: np.abs(np.linalg.eigvals(x[:, :4])),
    lambda x: np.linalg.lstsq(x, x[:, 0], rcond=None)[0], lambda x: np.linalg.cond(x[:, :4]),
], ids=["eigh", "svd", "slogdet", "qr", "rank", "eigvals", "lstsq", "cond"])
def test_decompositions_inside_vmap_match_a_loop(fn: object) -> None:
    """The public decompositions fix NumPy's phases (and ranks) from each example's data:
    inside vmap they run per example, with the same values and gradients as the loop."""
    x = R.standard_normal((3, 4, 5))
    got = func.vmap(fn)(x)
    want = np.stack([_as_array(fn(da.tensor(x[i]))) for i in range(3)])  # type: ignore[operator]
    np.testing.assert_allclose(_as_array(got), want, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("jac", [func.jacrev, func.jacfwd], ids=["jacrev", "jacfwd"])
def test_holomorphic_jacobians_inside_vmap(jac: object) -> None:
    """d z**3 / dz = 3 z**2 (JAX's holomorphic=True) per example."""
    z = np.array([[1 + 2j, 0.5 - 1j], [2 + 0j, -1 + 1j]])
    got = func.vmap(jac(lambda v: v ** 3, holomorphic=True))(z)  # type: ignore[operator]
    np.testing.assert_allclose(got, np.stack([np.diag(3 * r ** 2) for r in z]), rtol=1e-14)


def test_scipy_functions_inside_vmap_match_a_loop() -> None:
    """dualad.scipy: SciPy-backed matrix functions and the distributions (whose support
    checks read values) run per example inside vmap; parameters passed by keyword too."""
    pytest.importorskip("scipy")
    from dualad.scipy import linalg, signal, stats
    x = R.standard_normal((3, 5))
    a = R.standard_normal((3, 3, 3)) + 3.0 * np.eye(3)
    for fn, arg in [(lambda m: linalg.expm(m), a), (lambda m: linalg.logm(m @ m.T + np.eye(3)), a),
                    (lambda m: linalg.lu_solve(linalg.lu_factor(m), m[0]), a),
                    (lambda v: stats.t.logpdf(v, df=3.0, loc=0.5), x),
                    (lambda v: stats.poisson.logpmf(np.arange(5.0), np.exp(v)), x),
                    (lambda v: stats.multivariate_normal.logpdf(v, mean=np.zeros(5)), x),
                    (lambda v: signal.convolve(v, np.array([1.0, 2.0])), x)]:
        got = func.vmap(fn)(arg)
        want = np.stack([_as_array(fn(da.tensor(arg[i]))) for i in range(3)])
        np.testing.assert_allclose(_as_array(got), want, rtol=1e-12, atol=1e-13)
    g = func.vmap(func.grad(lambda m, v: stats.norm.logpdf(v, loc=m).sum()), in_dims=(None, 0))(
        0.3, x)
    want = [func.grad(lambda m, v=v: stats.norm.logpdf(v, loc=m).sum())(0.3) for v in x]
    np.testing.assert_allclose(g, want, rtol=1e-13)


@pytest.mark.parametrize("flags", [(True, False), (False, True), (True, True)])
@pytest.mark.parametrize("name", ["matmul", "solve"])
def test_two_operand_rules_for_every_shape_pair_of_the_domain(name: str, flags: tuple) -> None:
    """Every batched/unbatched pairing of matmul's and solve's example shapes (regression:
    a batched vector times an unbatched vector squeezed the wrong axis)."""
    op = registry.get(name)
    for shapes, _ in op.domain.shapes:
        arrays = [R.standard_normal(((3,) if b else ()) + s) for s, b in zip(shapes, flags)]
        if name == "solve":
            arrays[0] = arrays[0] + 4.0 * np.eye(shapes[0][-1])
        got = func.vmap(lambda x, y: registry.apply(op, x, y),
                        in_dims=tuple(0 if b else None for b in flags))(*arrays)
        want = np.stack([op.forward(arrays[0][i] if flags[0] else arrays[0],
                                    arrays[1][i] if flags[1] else arrays[1]) for i in range(3)])
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=str(shapes))

"""dualad.func transforms on pytrees: arguments, outputs, tangents, cotangents and aux.

Oracles: central differences per leaf, closed forms, torch.func (when installed), and the
nesting JAX documents for jacobians (output structure outside, argument structure inside;
a tuple of those for a tuple of argnums), written out by hand.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

import dualad as da
from dualad import func, tree

Pair = collections.namedtuple("Pair", ["first", "second"])


def loss(p):
    """A loss of nested parameters: a dict with an array, a tuple of arrays and a number."""
    w, (u, v), s = p["w"], p["uv"], p["s"]
    return (da.sin(w) * s).sum() + (u ** 2).sum() * v.sum() + s ** 3


def loss_np(p):
    w, (u, v), s = p["w"], p["uv"], p["s"]
    return (np.sin(w) * s).sum() + (u ** 2).sum() * v.sum() + s ** 3


def params(rng):
    return {"w": rng.normal(size=(2, 3)), "uv": (rng.normal(size=2), rng.normal(size=4)),
            "s": 0.7}


def central_grad(f, p, eps=1e-6):
    """The gradient of ``f`` by central differences, leaf by leaf, in ``p``'s structure."""
    leaves, treedef = tree.flatten(p)
    grads = []
    for k, leaf in enumerate(leaves):
        arr = np.asarray(leaf, dtype=float)
        g = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            values = []
            for h in (eps, -eps):
                moved = arr.copy()
                moved[idx] += h
                new = list(leaves)
                new[k] = moved if np.ndim(leaf) else float(moved)
                values.append(f(tree.unflatten(treedef, new)))
            g[idx] = (values[0] - values[1]) / (2 * eps)
        grads.append(g if np.ndim(leaf) else float(g))
    return tree.unflatten(treedef, grads)


def assert_tree_close(a, b, **kw):
    la, ta = tree.flatten(a)
    lb, tb = tree.flatten(b)
    assert ta == tb, f"{ta} != {tb}"
    for x, y in zip(la, lb):
        np.testing.assert_allclose(x, y, **kw)


# ---------------------------------------------- the silent bug of issue 22 (regression)

@pytest.mark.parametrize("transform", [func.grad, func.jacrev, func.jacfwd])
def test_a_tuple_of_equal_shape_arrays_is_not_stacked(transform):
    """grad(f)((a, b)) gave one (2, 2) array: np.asarray stacked the tuple."""
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    g = transform(lambda t: (t[0] * t[1]).sum())((a, b))
    assert isinstance(g, tuple) and len(g) == 2
    np.testing.assert_array_equal(g[0], b)
    np.testing.assert_array_equal(g[1], a)


def test_a_tuple_of_different_shapes_works():
    a, b = np.array([1.0, 2.0]), np.array([[3.0], [4.0], [5.0]])
    g = func.grad(lambda t: (t[0] ** 2).sum() * t[1].sum())((a, b))
    np.testing.assert_allclose(g[0], 2 * a * 12.0)
    np.testing.assert_allclose(g[1], np.full((3, 1), 5.0))


def test_a_list_argument_gives_a_list_gradient():
    g = func.grad(lambda v: v[0] * v[1] ** 2)([2.0, 3.0])
    assert g == [9.0, 12.0]


# ------------------------------------------------------------------------ gradients

def test_grad_of_nested_params_matches_central_differences():
    rng = np.random.default_rng(0)
    p = params(rng)
    g = func.grad(loss)(p)
    assert isinstance(g, dict) and list(g) == ["s", "uv", "w"]
    assert isinstance(g["uv"], tuple) and isinstance(g["s"], float)
    assert_tree_close(g, central_grad(loss_np, p), rtol=1e-6, atol=1e-8)


def test_grad_of_a_dict_of_tensors_is_a_dict_of_tensors_and_numpy_stays_numpy():
    w, b = np.array([1.0, -2.0]), np.array(0.5)
    f = lambda p: ((p["w"] * 3.0 + p["b"]) ** 2).sum()  # noqa: E731
    g = func.grad(f)({"w": w, "b": b})
    np.testing.assert_allclose(g["w"], 2 * (3 * w + b) * 3)
    np.testing.assert_allclose(g["b"], (2 * (3 * w + b)).sum())
    assert isinstance(g["w"], np.ndarray) and isinstance(g["b"], float)  # as for arrays
    gt = func.grad(f)({"w": da.tensor(w), "b": b})
    assert isinstance(gt["w"], da.Tensor) and isinstance(gt["b"], da.Tensor)


def test_grad_with_argnums_tuple_of_pytrees_and_none_leaves():
    f = lambda p, x, q: (p["a"] * x).sum() + q[0] * 2  # noqa: E731
    p = {"a": np.array([1.0, 2.0]), "skip": None}
    x = np.array([3.0, 4.0])
    gp, gq = func.grad(f, argnums=(0, 2))(p, x, (5.0,))
    assert gp["skip"] is None
    np.testing.assert_array_equal(gp["a"], x)
    assert gq == (2.0,)


def test_namedtuple_and_registered_dataclass_params():
    import dataclasses

    @tree.register_dataclass
    @dataclasses.dataclass
    class Lin:
        w: object
        b: object

    f = lambda m: (m.first.w * m.second + m.first.b).sum()  # noqa: E731
    m = Pair(Lin(np.array([1.0, 2.0]), np.array(3.0)), np.array([4.0, 5.0]))
    g = func.grad(f)(m)
    assert type(g) is Pair and type(g.first) is Lin
    np.testing.assert_array_equal(g.first.w, [4.0, 5.0])
    assert g.first.b == 2.0
    np.testing.assert_array_equal(g.second, [1.0, 2.0])


def test_value_and_grad_has_aux_as_a_pytree():
    f = lambda p: ((p["w"] ** 2).sum(), {"pred": p["w"] * 2, "n": 3})  # noqa: E731
    (value, aux), g = func.value_and_grad(f, has_aux=True)({"w": np.array([1.0, 2.0])})
    assert value == 5.0 and aux["n"] == 3
    assert isinstance(aux["pred"], np.ndarray)  # NumPy in, NumPy out: every leaf
    np.testing.assert_array_equal(aux["pred"], [2.0, 4.0])
    np.testing.assert_array_equal(g["w"], [2.0, 4.0])


def test_every_transform_returns_numpy_aux_leaves_for_numpy_inputs():
    """value_and_grad, jacfwd and jacrev converted aux, vjp and jvp returned Tensors."""
    x = np.array([1.0, 2.0])
    f = lambda v: (v.sum(), {"double": v * 2, "tag": "t"})  # noqa: E731
    auxes = [func.value_and_grad(f, has_aux=True)(x)[0][1],
             func.jacfwd(f, has_aux=True)(x)[1], func.jacrev(f, has_aux=True)(x)[1],
             func.vjp(f, x, has_aux=True)[2], func.jvp(f, (x,), (x,), has_aux=True)[2]]
    for aux in auxes:
        assert aux["tag"] == "t" and type(aux["double"]) is np.ndarray
        np.testing.assert_array_equal(aux["double"], [2.0, 4.0])


def test_grad_matches_torch_func_on_a_dict_of_params():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    w, b, x = rng.normal(size=(3, 4)), rng.normal(size=3), rng.normal(size=(5, 4))

    def ours(p):
        return da.tanh(da.tensor(x) @ p["w"].T + p["b"]).sum()

    def theirs(p):
        return torch.tanh(torch.tensor(x) @ p["w"].T + p["b"]).sum()

    g = func.grad(ours)({"w": w, "b": b})
    gt = torch.func.grad(theirs)({"w": torch.tensor(w), "b": torch.tensor(b)})
    for k in ("w", "b"):
        np.testing.assert_allclose(g[k], gt[k].numpy(), rtol=1e-13)


# ------------------------------------------------------------------------ jacobians

def _two_in_two_out(p):
    a, b = p["a"], p["b"]
    return {"u": da.concatenate([a * b[0], b]), "v": (a ** 2).sum() * b[1]}


def test_jacobian_structure_is_output_outside_argument_inside():
    """JAX: jacrev(f)(p) for dict p and dict output is {out_key: {in_key: block}}, each block
    of shape out_leaf.shape + in_leaf.shape."""
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])
    for jac in (func.jacrev, func.jacfwd):
        J = jac(_two_in_two_out)({"a": a, "b": b})
        assert set(J) == {"u", "v"} and set(J["u"]) == {"a", "b"} and set(J["v"]) == {"a", "b"}
        assert J["u"]["a"].shape == (5, 2) and J["u"]["b"].shape == (5, 3)
        assert J["v"]["a"].shape == (2,) and J["v"]["b"].shape == (3,)
        # closed forms
        ua = np.zeros((5, 2))
        ua[0, 0] = ua[1, 1] = b[0]
        ub = np.zeros((5, 3))
        ub[0, 0], ub[1, 0] = a
        ub[2:, :] = np.eye(3)
        np.testing.assert_allclose(J["u"]["a"], ua)
        np.testing.assert_allclose(J["u"]["b"], ub)
        np.testing.assert_allclose(J["v"]["a"], 2 * a * b[1])
        np.testing.assert_allclose(J["v"]["b"], [0.0, (a ** 2).sum(), 0.0])


def test_jacobian_with_argnums_tuple_is_a_tuple_per_output_leaf():
    f = lambda x, p: (x * p[0], p[1] * 2.0)  # noqa: E731
    x, p = np.array([1.0, 2.0]), (np.array([3.0, 4.0]), np.array(5.0))
    for jac in (func.jacrev, func.jacfwd):
        J = jac(f, argnums=(0, 1))(x, p)
        # outputs: a tuple of 2; each: (d/dx, (d/dp0, d/dp1))
        assert isinstance(J, tuple) and len(J) == 2
        (dx0, (dp00, dp01)), (dx1, (dp10, dp11)) = J
        np.testing.assert_allclose(dx0, np.diag(p[0]))
        np.testing.assert_allclose(dp00, np.diag(x))
        assert dp01.shape == (2,) and not dp01.any()
        assert dx1.shape == (2,) and not dx1.any()
        assert dp10.shape == (2,) and not dp10.any()
        assert dp11 == 2.0


def test_hessian_of_a_dict_function_is_a_dict_of_dicts():
    f = lambda p: (p["a"] ** 2).sum() * p["b"] + p["b"] ** 3  # noqa: E731
    a, b = np.array([1.0, 2.0]), 3.0
    H = func.hessian(f)({"a": a, "b": b})
    np.testing.assert_allclose(H["a"]["a"], 2 * b * np.eye(2))
    np.testing.assert_allclose(H["a"]["b"], 2 * a)
    np.testing.assert_allclose(H["b"]["a"], 2 * a)
    np.testing.assert_allclose(H["b"]["b"], 6 * b)


def test_jacobians_of_pytrees_match_torch_func():
    torch = pytest.importorskip("torch")
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])

    def theirs(p):
        return {"u": torch.cat([p["a"] * p["b"][0], p["b"]]),
                "v": (p["a"] ** 2).sum() * p["b"][1]}

    tp = {"a": torch.tensor(a), "b": torch.tensor(b)}
    Jt = torch.func.jacrev(theirs)(tp)
    J = func.jacrev(_two_in_two_out)({"a": a, "b": b})
    for o in ("u", "v"):
        for i in ("a", "b"):
            np.testing.assert_allclose(J[o][i], Jt[o][i].numpy(), rtol=1e-15)


# ------------------------------------------------------------------- vjp, jvp, hvp

def test_vjp_with_pytree_primals_outputs_and_cotangents():
    p = {"a": np.array([1.0, 2.0]), "b": np.array([3.0, 4.0, 5.0])}
    out, pull = func.vjp(_two_in_two_out, p)
    assert set(out) == {"u", "v"}
    ct = {"u": np.arange(5.0), "v": 2.0}
    (g,) = pull(ct)
    J = func.jacrev(_two_in_two_out)(p)
    for i in ("a", "b"):
        np.testing.assert_allclose(g[i], ct["u"] @ J["u"][i] + ct["v"] * J["v"][i])
    with pytest.raises(ValueError, match=r"vjp_fn: the cotangents and the output: the "
                                         r"structures differ at <root>: expected a dict with "
                                         r"keys \['u', 'v'\], got a dict with keys \['u'\]"):
        pull({"u": np.arange(5.0)})
    with pytest.raises(ValueError, match=r"cotangent \['u'\] has shape \(4,\) but the output "
                                         r"has shape \(5,\)"):
        pull({"u": np.arange(4.0), "v": 1.0})


def test_jvp_with_pytree_primals_and_tangents():
    p = {"a": np.array([1.0, 2.0]), "b": np.array([3.0, 4.0, 5.0])}
    t = {"a": np.array([1.0, -1.0]), "b": np.array([0.5, 0.0, 2.0])}
    out, tan = func.jvp(_two_in_two_out, (p,), (t,))
    J = func.jacfwd(_two_in_two_out)(p)
    for o in ("u", "v"):
        np.testing.assert_allclose(tan[o], J[o]["a"] @ t["a"] + J[o]["b"] @ t["b"])
    with pytest.raises(ValueError, match=r"jvp: the tangents and the primals: the structures "
                                         r"differ at \[0\]: expected a dict with keys "
                                         r"\['a', 'b'\], got a tuple of 2"):
        func.jvp(_two_in_two_out, (p,), ((t["a"], t["b"]),))


def test_hvp_with_pytree_primals():
    f = lambda p: (p["a"] ** 2).sum() * p["b"] + p["b"] ** 3  # noqa: E731
    p = {"a": np.array([1.0, 2.0]), "b": 3.0}
    v = {"a": np.array([1.0, 0.0]), "b": 1.0}
    value, hv = func.hvp(f, p, v)
    assert value == 5.0 * 3.0 + 27.0
    np.testing.assert_allclose(hv["a"], 2 * 3.0 * v["a"] + 2 * p["a"] * v["b"])
    np.testing.assert_allclose(hv["b"], 2 * p["a"] @ v["a"] + 6 * 3.0 * v["b"])


# --------------------------------------------------------------- errors, safety rules

def test_an_unsupported_leaf_is_named_by_its_path():
    with pytest.raises(TypeError, match=r"grad: argument 0\['layers'\]\[1\] is a str"):
        func.grad(lambda p: p["layers"][0])({"layers": [1.0, "relu"]})
    with pytest.raises(TypeError, match=r"jacrev: argument 1\['x'\] is a set"):
        func.jacrev(lambda a, b: a, argnums=(0, 1))(1.0, {"x": {1.0}})
    with pytest.raises(TypeError, match=r"floating point, got dtype int64 \(argument "
                                        r"0\['n'\]\)"):
        func.grad(lambda p: p["n"])({"n": np.array([1, 2])})
    with pytest.raises(TypeError, match=r"jvp: tangent 0\['a'\] is a str"):
        func.jvp(lambda p: p["a"], ({"a": 1.0},), ({"a": "x"},))
    with pytest.raises(TypeError, match=r"must return a Tensor \(or a pytree.*got str "
                                        r"\(at output\['name'\]\)"):
        func.jacrev(lambda x: {"y": x, "name": "x"})(1.0)


def test_converting_any_leaf_raises_instead_of_a_silent_zero():
    with pytest.raises(da.ConcretizationTypeError):
        func.grad(lambda p: p["a"] * float(p["b"]))({"a": 1.0, "b": np.array(2.0)})
    with pytest.raises(da.ConcretizationTypeError):
        func.jacfwd(lambda t: t[0] * np.asarray(t[1]))((np.ones(2), np.ones(2)))


def test_the_callers_leaves_are_never_written():
    p = {"w": np.array([1.0, 2.0])}

    def f(q):
        q["w"].data[0] = 10.0  # writes into the copy the transform made
        return (q["w"] ** 2).sum()

    for transform in (func.grad, func.jacrev, func.jacfwd):
        transform(f)(p)
        np.testing.assert_array_equal(p["w"], [1.0, 2.0])


def test_grad_with_no_leaves_returns_the_empty_structure():
    g = func.grad(lambda p, x: (x ** 2).sum())({}, np.ones(2))
    assert g == {}


# ------------------------------------------------------------------- functional_call

def _mlp(seed=0):
    da.manual_seed(seed)
    return da.nn.Sequential(da.nn.Linear(3, 5), da.nn.Tanh(), da.nn.Linear(5, 2))


def test_per_sample_gradients_of_an_mlp_equal_a_loop_of_backward_calls():
    model = _mlp()
    rng = np.random.default_rng(4)
    xs, ys = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    params = func.params_dict(model)

    def sample_loss(p, x, y):
        out = func.functional_call(model, p, (da.tensor(x[None]),))
        return ((out - da.tensor(y[None])) ** 2).mean()

    per_sample = [func.grad(sample_loss)(params, x, y) for x, y in zip(xs, ys)]
    for (x, y), g in zip(zip(xs, ys), per_sample):  # the oracle: the module's own backward
        model.zero_grad()
        out = model(da.tensor(x[None]))
        ((out - da.tensor(y[None])) ** 2).mean().backward()
        for name, p in model.named_parameters():
            np.testing.assert_allclose(g[name].numpy(), p.grad.numpy(), rtol=1e-13, atol=1e-15)
    assert all(p.grad is not None for p in model.parameters())


def test_functional_call_restores_the_module_also_after_an_exception():
    model = _mlp()
    before = {k: v for k, v in model.named_parameters()}
    zeros = {k: np.zeros(v.shape) for k, v in before.items()}
    out = func.functional_call(model, zeros, (da.ones(1, 3),))
    np.testing.assert_array_equal(out.numpy(), np.zeros((1, 2)))
    with pytest.raises(ValueError):
        func.functional_call(model, zeros, (da.ones(1, 4),))  # a shape error inside
    after = dict(model.named_parameters())
    assert all(after[k] is before[k] for k in before)
    assert model(da.ones(1, 3)).detach().numpy().any()


def test_functional_call_grad_matches_finite_differences_and_torch():
    model = _mlp(1)
    x = np.random.default_rng(5).normal(size=(4, 3))
    params = {k: v.numpy() for k, v in func.params_dict(model).items()}

    def loss_of(p):
        return (func.functional_call(model, p, (da.tensor(x),)) ** 2).sum()

    g = func.grad(loss_of)(params)
    assert isinstance(g["0.weight"], np.ndarray)
    fd = central_grad(lambda p: float(loss_of(p).numpy()), params)
    assert_tree_close(g, fd, rtol=1e-6, atol=1e-8)
    torch = pytest.importorskip("torch")
    tm = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    tm = tm.double()
    tp = {k: torch.tensor(v) for k, v in params.items()}
    gt = torch.func.grad(lambda p: (torch.func.functional_call(tm, p, (torch.tensor(x),))
                                    ** 2).sum())(tp)
    for k in params:
        np.testing.assert_allclose(g[k], gt[k].numpy(), rtol=1e-12)


def test_functional_call_names_strict_and_tied_weights():
    model = _mlp()
    with pytest.raises(ValueError, match=r"no parameter or buffer named \['0.weigth'\].*did "
                                         r"you mean '0.weight'"):
        func.functional_call(model, {"0.weigth": np.ones((5, 3))}, (da.ones(1, 3),))
    with pytest.raises(ValueError, match=r"strict=True\): no value given for "
                                         r"\['0.bias', '2.bias'"):
        func.functional_call(model, {"0.weight": np.ones((5, 3))}, (da.ones(1, 3),),
                             strict=True)
    with pytest.raises(ValueError, match="appears in more than one"):
        func.functional_call(model, ({"0.bias": np.ones(5)}, {"0.bias": np.ones(5)}),
                             (da.ones(1, 3),))
    with pytest.raises(TypeError, match="must be a dualad.nn.Module"):
        func.functional_call(lambda x: x, {}, (1.0,))

    class Tied(da.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = da.nn.Linear(2, 2, bias=False)
            self.b = da.nn.Linear(2, 2, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    m = Tied()
    w = np.array([[1.0, 2.0], [0.0, 1.0]])
    x = da.tensor([[1.0, 1.0]])
    out = func.functional_call(m, {"a.weight": w}, (x,))  # replaces b.weight too
    np.testing.assert_allclose(out.numpy(), [[1.0, 1.0]] @ w.T @ w.T)
    untied = func.functional_call(m, {"a.weight": w}, (x,), tie_weights=False)
    np.testing.assert_allclose(untied.detach().numpy(),
                               [[1.0, 1.0]] @ w.T @ m.a.weight.detach().numpy().T)
    with pytest.raises(ValueError, match="tied parameter"):
        func.functional_call(m, {"a.weight": w, "b.weight": w.copy()}, (x,))
    g = func.grad(lambda p: func.functional_call(m, p, (x,)).sum())({"a.weight": w})
    fd = central_grad(lambda p: float(func.functional_call(m, p, (x,)).sum().numpy()),
                      {"a.weight": w})
    assert_tree_close(g, fd, rtol=1e-6)


# ------------------------------------------------------------------------- linearize

def _program(x):
    return da.tanh(x[:, None] * da.sin(x)[None, :]).sum(axis=1) * da.exp(-x)


def test_linearize_equals_jvp_and_runs_the_function_once():
    calls = []

    def f(x):
        calls.append(1)
        return _program(x)

    rng = np.random.default_rng(6)
    x = rng.normal(size=4)
    out, f_jvp = func.linearize(f, x)
    assert len(calls) == 1
    np.testing.assert_allclose(out, func.jvp(_program, (x,), (np.ones(4),))[0], rtol=1e-15)
    for _ in range(3):
        t = rng.normal(size=4)
        np.testing.assert_allclose(f_jvp(t), func.jvp(_program, (x,), (t,))[1], rtol=1e-12,
                                   atol=1e-15)
    assert len(calls) == 1  # jvp_fn reuses the record: f is not run again


def test_linearize_on_pytrees_and_through_a_custom_function():
    p = {"a": np.array([1.0, 2.0]), "b": np.array([3.0, 4.0, 5.0])}
    t = {"a": np.array([1.0, -1.0]), "b": np.array([0.5, 0.0, 2.0])}
    out, f_jvp = func.linearize(_two_in_two_out, p)
    tan = f_jvp(t)
    expected = func.jvp(_two_in_two_out, (p,), (t,))[1]
    assert_tree_close(tan, expected, rtol=1e-14)
    with pytest.raises(ValueError, match="jvp_fn got 2 tangents for 1 primals"):
        f_jvp(t, t)

    class Cube(da.autograd.Function):  # a custom backward: jvp_fn falls back to func.jvp
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

        @staticmethod
        def jvp(ctx, tx):
            return tx * 3 * ctx.x ** 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.x = inputs[0]

    _, cube_jvp = func.linearize(Cube.apply, np.array([1.0, 2.0]))
    np.testing.assert_allclose(cube_jvp(np.array([1.0, 1.0])), [3.0, 12.0])


def test_linearize_jvp_fn_is_differentiable():
    x0, v = np.array([0.3, -1.1]), np.array([2.0, 0.5])
    g = func.grad(lambda x: func.linearize(da.sin, x)[1](v).sum())(x0)  # d/dx cos(x) . v
    np.testing.assert_allclose(g, -np.sin(x0) * v, rtol=1e-14)


def test_functional_call_swaps_buffers_and_takes_kwargs():
    class Scaled(da.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = da.nn.Parameter(da.tensor([1.0, 2.0]))
            self.register_buffer("scale", da.tensor(3.0))

        def forward(self, x, shift=0.0):
            return (self.w * x * self.scale).sum() + shift

    m = Scaled()
    x = da.tensor([1.0, 1.0])
    assert func.functional_call(m, {"scale": np.array(10.0)}, x, {"shift": 1.0}).item() == 31.0
    assert m.scale.item() == 3.0
    p = func.params_dict(m, buffers=True)
    assert sorted(p) == ["scale", "w"]
    g = func.grad(lambda q: func.functional_call(m, q, (x,)))(p)
    np.testing.assert_array_equal(g["w"].numpy(), [3.0, 3.0])
    assert g["scale"].item() == 3.0


def test_per_sample_gradients_match_torch_func_vmap_of_grad():
    torch = pytest.importorskip("torch")
    model = _mlp(2)
    rng = np.random.default_rng(8)
    xs, ys = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    params = {k: v.numpy() for k, v in func.params_dict(model).items()}

    def ours(p, x, y):
        out = func.functional_call(model, p, (da.tensor(x[None]),))
        return ((out - da.tensor(y[None])) ** 2).mean()

    tm = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(),
                             torch.nn.Linear(5, 2)).double()
    tp = {k: torch.tensor(v) for k, v in params.items()}

    def theirs(p, x, y):
        out = torch.func.functional_call(tm, p, (x[None],))
        return ((out - y[None]) ** 2).mean()

    batched = torch.func.vmap(torch.func.grad(theirs), in_dims=(None, 0, 0))(
        tp, torch.tensor(xs), torch.tensor(ys))
    for i in range(5):
        g = func.grad(ours)(params, xs[i], ys[i])
        for k in params:
            np.testing.assert_allclose(g[k], batched[k][i].numpy(), rtol=1e-12, atol=1e-15)

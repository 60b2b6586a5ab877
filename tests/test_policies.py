"""Every declared kink gives its declared value, in both modes, under every policy.

The expected values are the registry's declarations (``Kink.grads``,
``Kink.pytorch``, ``Kink.jax``), written independently of the rules; the
PyTorch profile is also checked against PyTorch itself when it is installed.
"""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dualad as da
from dualad import forward_ad as fwAD
from dualad import registry
from dualad.nondiff import KinkError, policy

POLICIES = ("subgradient", "nan", "pytorch", "jax")
KINKS = [(op, k) for op in registry.ops() for k in op.kinks]
IDS = [f"{op.name}:{k.where}" for op, k in KINKS]


def _arrays(point) -> list[np.ndarray]:
    return [np.array(p, dtype=complex if np.iscomplexobj(p) else float) for p in point]


def _numbers(v) -> np.ndarray:
    """``v`` as floats, or as complex numbers (the gradient at a complex kink)."""
    a = np.asarray(v)
    return a if a.dtype.kind == "c" else a.astype(float)


def reverse_partials(op, point, params) -> list:
    """d sum(op(*point)) / d input, by backward (None for inputs with no rule)."""
    xs = [da.tensor(p, requires_grad=op.vjp[i] is not None) for i, p in enumerate(point)]
    out = registry.apply(op, *xs, **params)
    out.backward(da.ones_like(out))
    return [None if x.grad is None else x.grad.numpy() for x in xs]


def forward_partials(op, point, params, ones: bool = False) -> list:
    """The same partials by forward mode: one JVP per input element (or all-ones tangents).

    Every differentiable input carries a tangent (zero but for the probed one),
    so all of them count as differentiated, as in ``reverse_partials``; under
    strong zero, so that a zero tangent times an infinite partial of another
    input adds 0 (as in reverse mode, where each partial is read separately).
    """
    with da.nondiff.strong_zero():
        return _forward_partials(op, point, params, ones)


def _forward_partials(op, point, params, ones: bool) -> list:
    result = []
    for i, p in enumerate(point):
        if op.jvp[i] is None:
            result.append(None)
            continue
        if np.iscomplexobj(p):  # the gradient Re(f'(z) . 1) + i Re(f'(z) . 1j), as backward
            parts = [_partials_along(op, point, params, ones, i, unit) for unit in (1.0, 1j)]
            result.append(parts[0] + 1j * parts[1])
        else:
            result.append(_partials_along(op, point, params, ones, i, 1.0))
    return result


def _partials_along(op, point, params, ones: bool, i: int, unit: complex) -> np.ndarray:
    """The real parts of the tangents of ``sum(op(*point))`` along ``unit`` times each
    element of input ``i`` (or along all of them at once, with ``ones``)."""
    p = point[i]
    probes = [None] if ones else list(np.ndindex(p.shape))
    g = np.zeros(p.shape)
    for k in probes:
        with fwAD.dual_level():
            xs = []
            for j, q in enumerate(point):
                t = np.zeros(q.shape, dtype=q.dtype)
                if j == i:
                    if ones:
                        t[...] = unit
                    else:
                        t[k] = unit
                xs.append(fwAD.make_dual(da.tensor(q), da.tensor(t))
                          if op.jvp[j] is not None else da.tensor(q))
            tangent = fwAD.unpack_dual(registry.apply(op, *xs, **params)).tangent
            tan = np.zeros(()) if tangent is None else tangent.numpy()
            # a complex output (eigvals): the real part, as the reverse check's real
            # all-ones cotangent sees it
            tan = np.real(tan)
        if ones:
            g = np.broadcast_to(tan, p.shape).astype(float) if tan.shape != p.shape else tan
        else:
            g[k] = np.sum(tan)
    return g


def expected(kink, name: str, i: int, point, params) -> np.ndarray:
    """The declared derivative for input ``i`` at ``point`` under policy ``name``."""
    grads = _numbers(kink.grads[i])
    if kink.rule == 1 or name == "subgradient":
        return grads
    mask = np.asarray(kink.at(*point, **params), dtype=bool)
    if name == "nan":
        return np.where(mask, np.nan, grads)
    v = getattr(kink, name)[i]
    return _numbers(v(*point, **params) if callable(v) else v)


def _check(got, want, what: str) -> None:
    got = _numbers(got)
    want = np.broadcast_to(_numbers(want), got.shape)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0, equal_nan=True, err_msg=what)


# ------------------------------------------------------- the declared points

@pytest.mark.parametrize("name", POLICIES)
@pytest.mark.parametrize("op,kink", KINKS, ids=IDS)
def test_declared_value_at_every_declared_point(op, kink, name):
    """At each declared point: the policy's value, by backward and by forward mode."""
    for point in kink.points:
        pt = _arrays(point)
        with policy(name):
            rev = reverse_partials(op, pt, kink.params)
            fwd = forward_partials(op, pt, kink.params)
        for i, g in enumerate(kink.grads):
            if g is None:
                continue
            want = expected(kink, name, i, pt, kink.params)
            _check(rev[i], want, f"{op.name} at {point}: reverse mode, input {i}, policy {name}")
            _check(fwd[i], want, f"{op.name} at {point}: forward mode, input {i}, policy {name}")


# ------------------------------------- hypothesis: kinks mixed into arrays

ELEMENTWISE = [(op, k) for op, k in KINKS if op.elementwise
               and all(np.ndim(v) == 0 for p in k.points for v in p)]
# (matrix functions are left out: permuting a matrix's entries changes its spectrum)
MATRIX = {"eigvalsh", "eigh_vectors", "svdvals", "svd_vectors", "eigvals", "eig_vectors"}
OTHERS = [(op, k) for op, k in KINKS if (op, k) not in ELEMENTWISE and op.name not in MATRIX]


def _signed(value: float, flip: bool) -> float:
    return -0.0 if value == 0 and flip else value


@st.composite
def elementwise_draw(draw, op, kink):
    """Arrays whose elements are each a declared kink point (zeros maybe -0.0) or random."""
    n = draw(st.integers(1, 6))
    ranges = op.domain.ranges
    rows, placed = [], []
    for _ in range(n):
        if draw(st.booleans()):
            point = draw(st.sampled_from(kink.points))
            rows.append(tuple(_signed(float(v), draw(st.booleans())) for v in point))
            placed.append(True)
        else:
            row = []
            for r in ranges:
                lo, hi = draw(st.sampled_from(r))
                row.append(draw(st.floats(lo, hi)))
            rows.append(tuple(row))
            placed.append(False)
    if not any(placed):
        rows[0] = tuple(float(v) for v in kink.points[0])
        placed[0] = True
    arrays = [np.array([row[i] for row in rows]) for i in range(op.arity)]
    return arrays, np.array(placed), rows


def _elementwise_case(op, kink):
    @given(case=elementwise_draw(op, kink), name=st.sampled_from(POLICIES))
    def check(case, name):
        arrays, placed, rows = case
        with policy(name):
            rev = reverse_partials(op, arrays, kink.params)
            fwd = forward_partials(op, arrays, kink.params, ones=True)
        for i, g in enumerate(kink.grads):
            if g is None:
                continue
            _check(fwd[i], rev[i], f"{op.name}: forward and reverse mode differ ({name})")
            for e in np.flatnonzero(placed):
                want = expected(kink, name, i, _arrays(rows[e]), kink.params)
                _check(rev[i][e], want, f"{op.name} at {rows[e]}: input {i}, policy {name}")

    return check


@pytest.mark.parametrize("op,kink", ELEMENTWISE,
                         ids=[f"{o.name}:{k.where}" for o, k in ELEMENTWISE])
def test_kinks_drawn_into_arrays(op, kink):
    """Hypothesis mixes exact kink points (and -0.0) with ordinary values, elementwise."""
    _elementwise_case(op, kink)()


@pytest.mark.parametrize("op,kink", OTHERS, ids=[f"{o.name}:{k.where}" for o, k in OTHERS])
@given(data=st.data())
def test_permuted_and_signed_kink_points(op, kink, data):
    """Non-elementwise kinks (ties, zero vectors): any permutation of the point, zeros as -0.0."""
    point = _arrays(kink.points[0])
    size = point[0].size
    perm = np.array(data.draw(st.permutations(range(size))))
    flips = np.array(data.draw(st.lists(st.booleans(), min_size=size, max_size=size)))
    name = data.draw(st.sampled_from(POLICIES))
    moved = [np.where((p.ravel()[perm] == 0) & flips, -0.0, p.ravel()[perm]).reshape(p.shape)
             if p.size == size else p for p in point]
    with policy(name):
        rev = reverse_partials(op, moved, kink.params)
        fwd = forward_partials(op, moved, kink.params)
    for i, g in enumerate(kink.grads):
        if g is None:
            continue
        profile = getattr(kink, name, None) if name in ("pytorch", "jax") else None
        if profile is not None and callable(profile[i]):  # evaluated where it is used (it
            want = expected(kink, name, i, moved, kink.params)  # may pick one tied element)
        else:
            want = np.broadcast_to(expected(kink, name, i, point, kink.params), point[i].shape)
            want = want.ravel()[perm].reshape(point[i].shape) if point[i].size == size else want
        _check(rev[i], want, f"{op.name}: reverse mode, policy {name}")
        _check(fwd[i], want, f"{op.name}: forward mode, policy {name}")


# ------------------------------------------------------------ policy("raise")

RAISING = [(op, k) for op, k in ELEMENTWISE if k.rule >= 2]


@pytest.mark.parametrize("op,kink", RAISING, ids=[f"{o.name}:{k.where}" for o, k in RAISING])
def test_raise_policy_on_drawn_kinks_in_both_modes(op, kink):
    @given(case=elementwise_draw(op, kink))
    def check(case):
        arrays, placed, rows = case
        with policy("raise"):
            with pytest.raises(KinkError, match=rf"^{op.name}.*element \((\d+),\)") as err:
                reverse_partials(op, arrays, kink.params)
            element = int(re.search(r"element \((\d+),\)", str(err.value)).group(1))
            at_kink = [np.broadcast_to(k.at(*arrays, **kink.params), placed.shape)[element]
                       for k in op.kinks if k.rule >= 2]
            assert any(at_kink), f"element {element} of {rows} is at no kink of {op.name}"
            with pytest.raises(KinkError, match=rf"^{op.name}.*during jvp"):
                forward_partials(op, arrays, kink.params, ones=True)

    check()


def test_raise_on_relu_at_zero_names_op_input_and_element():
    x = da.tensor([1.0, 2.0, 0.0], requires_grad=True)
    with policy("raise"):
        y = da.relu(x).sum()
        with pytest.raises(KinkError, match=r"relu .*input 0.*element \(2,\)"):
            y.backward()
    assert x.grad is None


def test_raise_in_forward_mode_too():
    with policy("raise"), fwAD.dual_level():
        x = fwAD.make_dual(da.tensor([0.0, 1.0]), da.tensor([1.0, 1.0]))
        with pytest.raises(KinkError, match=r"relu.*element \(0,\)"):
            da.relu(x)


def test_raise_does_not_fire_near_a_kink():
    x = da.tensor(1e-300, requires_grad=True)
    with policy("raise"):
        da.relu(x).backward()
        assert x.grad.item() == 1.0
        y = da.tensor(-1e-300, requires_grad=True)
        da.relu(y).backward()
        assert y.grad.item() == 0.0


def test_raise_only_when_a_derivative_is_taken():
    with policy("raise"):
        assert da.relu(da.tensor(0.0)).item() == 0.0


# ---------------------------------------------------------- policy mechanics

def test_policy_is_a_setter_and_a_context_manager():
    assert da.nondiff.get_policy() == "subgradient"
    with policy("jax"):
        assert da.nondiff.get_policy() == "jax"
        with policy("nan"):
            assert da.nondiff.get_policy() == "nan"
        assert da.nondiff.get_policy() == "jax"
    assert da.nondiff.get_policy() == "subgradient"
    policy("pytorch")
    try:
        assert da.nondiff.get_policy() == "pytorch"
    finally:
        policy("subgradient")


def test_unknown_policy_is_a_clear_error_and_changes_nothing():
    with pytest.raises(ValueError, match="unknown kink policy 'torch'.*'pytorch'"):
        policy("torch")
    assert da.nondiff.get_policy() == "subgradient"


def test_policy_is_thread_local():
    seen = []
    with policy("nan"):
        t = threading.Thread(target=lambda: seen.append(da.nondiff.get_policy()))
        t.start()
        t.join()
    assert seen == ["subgradient"]


def test_policy_applies_at_second_order():
    """The policy's value is a constant at the kink: its own derivative is 0."""
    x = da.tensor(0.0, requires_grad=True)
    with policy("jax"):
        (g,) = da.autograd.grad(da.abs(x), x, create_graph=True)
        assert g.item() == 1.0
        (h,) = da.autograd.grad(g, x, allow_unused=True)
    assert h is None or h.item() == 0.0


# ----------------------------------------------- the PyTorch profile vs torch

TORCH_OPS = {
    "relu": lambda t, x: t.relu(x), "abs": lambda t, x: t.abs(x), "sign": lambda t, x: t.sign(x),
    "sqrt": lambda t, x: t.sqrt(x), "log": lambda t, x: t.log(x), "angle": lambda t, x: t.angle(x),
    "maximum": lambda t, x, y: t.maximum(x, y), "minimum": lambda t, x, y: t.minimum(x, y),
    "pow": lambda t, x, y: t.pow(x, y), "floor": lambda t, x: t.floor(x),
    "ceil": lambda t, x: t.ceil(x), "round": lambda t, x: t.round(x),
    "reciprocal": lambda t, x: t.reciprocal(x), "log1p": lambda t, x: t.log1p(x),
    "log2": lambda t, x: t.log2(x), "log10": lambda t, x: t.log10(x),
    "arcsin": lambda t, x: t.asin(x), "arccos": lambda t, x: t.acos(x),
    "arctan2": lambda t, y, x: t.atan2(y, x), "arccosh": lambda t, x: t.acosh(x),
    "arctanh": lambda t, x: t.atanh(x), "hypot": lambda t, x, y: t.hypot(x, y),
    "binary_cross_entropy": lambda t, p, y: t.nn.functional.binary_cross_entropy(
        p, y, reduction="none"),
    # NumPy's further elementwise math (ops/npmath.py)
    "copysign": lambda t, x, y: t.copysign(x, y), "fmax": lambda t, x, y: t.fmax(x, y),
    "fmin": lambda t, x, y: t.fmin(x, y), "remainder": lambda t, x, y: t.remainder(x, y),
    "fmod": lambda t, x, y: t.fmod(x, y), "sinc": lambda t, x: t.sinc(x),
}


def _torch_fn(torch, op, params):
    if op.name == "clamp":
        return lambda x: torch.clamp(x, params.get("min"), params.get("max"))
    if op.name in ("amax", "amin"):
        return lambda x: getattr(torch, op.name)(x)
    if op.name in ("max_dim", "min_dim"):
        return lambda x: getattr(torch, op.name[:3])(x, params["axis"], params["keepdims"]).values
    if op.name == "norm":
        return lambda x: torch.linalg.vector_norm(x, ord=params.get("ord", 2.0))
    if op.name == "std":
        return lambda x: torch.std(x, correction=params.get("correction", 1))
    fn = TORCH_OPS.get(op.name)
    return None if fn is None else (lambda *xs: fn(torch, *xs))


@pytest.mark.parametrize("op,kink", KINKS, ids=IDS)
def test_pytorch_profile_matches_pytorch(op, kink):
    """Independent oracle: PyTorch's own gradient at each declared point (if installed)."""
    torch = pytest.importorskip("torch")
    fn = _torch_fn(torch, op, kink.params)
    if fn is None:
        pytest.skip(f"no PyTorch counterpart mapped for {op.name}")
    for point in kink.points:
        pt = _arrays(point)
        ts = [torch.tensor(p, dtype=torch.complex128 if np.iscomplexobj(p) else torch.float64,
                           requires_grad=True) for p in pt]
        out = fn(*ts)
        (out.real if out.is_complex() else out).sum().backward()  # (the gradient of Re f)
        with policy("pytorch"):
            ours = reverse_partials(op, pt, kink.params)
        for i, g in enumerate(kink.grads):
            if g is not None:
                _check(ours[i], ts[i].grad.numpy(), f"{op.name} at {point}, input {i}")


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_along_dim_at_a_tie_follows_each_profile_in_both_modes(name):
    # issue 18 item 21: max(x, dim) shared a tie even under policy("pytorch"); PyTorch sends
    # the whole gradient to the index it returns (the first tied element), while max(x) and
    # amax share it (PyTorch too); JAX's jnp.max(x, axis) shares it
    top = 3.0 if name == "max" else -3.0
    data = np.array([[1.0, top, top], [top / 3, top / 3, 0.0]])
    picked = np.zeros((2, 3))
    picked[0, 1] = picked[1, 0] = 1.0  # the first tied element of each row
    shared = np.array([[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]])
    v = np.arange(6.0).reshape(2, 3)
    fn = getattr(da, name)
    for pol, want in [("subgradient", shared), ("jax", shared), ("pytorch", picked)]:
        x = da.tensor(data, requires_grad=True)
        with policy(pol):
            values, indices = fn(x, 1)
            values.sum().backward()
            _, tangent = da.func.jvp(lambda a: fn(a, 1).values, (da.tensor(data),),
                                     (da.tensor(v),))
        assert indices.tolist() == [1, 0]
        np.testing.assert_array_equal(x.grad.numpy(), want, err_msg=pol)
        np.testing.assert_array_equal(tangent.numpy(), (want * v).sum(1), err_msg=pol)
        x = da.tensor(data, requires_grad=True)
        with policy(pol):  # max(x) of all elements and amax share a tie in every profile
            (fn(x) + getattr(da, "a" + name)(x)).backward()
        full = (data == data.max() if name == "max" else data == data.min()).astype(float)
        np.testing.assert_array_equal(x.grad.numpy(), 2 * full / full.sum(), err_msg=pol)
    torch = pytest.importorskip("torch")
    t = torch.tensor(data, requires_grad=True)
    getattr(torch, name)(t, 1).values.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), picked)
    t = torch.tensor(data, requires_grad=True)
    (getattr(torch, name)(t) + getattr(torch, "a" + name)(t)).backward()
    np.testing.assert_array_equal(t.grad.numpy(), 2 * full / full.sum())


@pytest.mark.parametrize("transform", [da.func.jacrev, da.func.jacfwd])
def test_nan_policy_marks_only_the_entries_taken_at_the_kink(transform):
    # relu at [0, 1]: the Jacobian is diag(undefined, 1); the off-diagonal entries are 0
    # whatever relu'(0) is. 0 * nan used to spread the nan over a column (jacrev) or a row
    # (jacfwd), so the two modes disagreed
    with da.nondiff.policy("nan"):
        jac = transform(da.relu)(np.array([0.0, 1.0]))
    jac = np.asarray(jac)
    assert np.isnan(jac[0, 0])
    np.testing.assert_array_equal(jac[[0, 1, 1], [1, 0, 1]], [0.0, 0.0, 1.0])


def test_nan_policy_backward_puts_nan_where_the_kink_was_hit():
    x = da.tensor([0.0, 2.0, -1.0], requires_grad=True)
    with da.nondiff.policy("nan"):
        da.relu(x).sum().backward()
    assert np.isnan(x.grad[0].item())
    np.testing.assert_array_equal(x.grad.numpy()[1:], [1.0, 0.0])

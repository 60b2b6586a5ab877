"""Views: they share their base's version counter, and follow in-place changes of it.

Issue 18, items 1, 3, 11 and 13. Oracles: closed forms (and PyTorch where installed).
"""

import copy
import pickle

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import dualad as da
from dualad import forward_ad as fwAD

MODIFIED = "modified by an inplace operation"

VIEWS = {
    "getitem": lambda t: t[1:],
    "int index": lambda t: t[0],
    "reshape": lambda t: t.reshape(3, 2),
    "T": lambda t: t.T,
    "transpose": lambda t: t.transpose(0, 1),
    "permute": lambda t: t.permute(1, 0),
    "unsqueeze": lambda t: t.unsqueeze(0),
    "squeeze": lambda t: t.unsqueeze(0).squeeze(0),
    "flatten": lambda t: t.flatten(),
    "expand": lambda t: t[:1].expand(4, 3),
    "flip": lambda t: da.flip(t, 0),
    "view of a view": lambda t: t.T[1:].unsqueeze(0),
}


@pytest.mark.parametrize("view", list(VIEWS), ids=list(VIEWS))
def test_a_view_shares_the_version_counter_of_its_base(view):
    x = da.tensor(np.arange(6.0).reshape(2, 3))
    v = VIEWS[view](x)
    assert np.shares_memory(v.numpy(), x.numpy())
    x += 1
    assert v._version == x._version == 1
    assert v._is_view() and v._base is x


@pytest.mark.parametrize("view", list(VIEWS), ids=list(VIEWS))
def test_a_saved_view_of_a_tensor_modified_in_place_raises(view):
    x = da.tensor(np.arange(6.0).reshape(2, 3) + 1.0, requires_grad=True)
    y = VIEWS[view](x) ** 2  # pow saves the view
    with da.no_grad():
        x += 1
    with pytest.raises(RuntimeError, match=f"{MODIFIED}.*is at version 1; expected version 0"):
        y.sum().backward()
    assert x.grad is None


def test_issue_example_transposed_leaf():
    x = da.ones(1, 4, requires_grad=True)
    y1 = x.T ** 2
    with da.no_grad():
        x += 1
    with pytest.raises(RuntimeError, match="PowBackward0, is at version 1; expected version 0"):
        y1.sum().backward()


def test_linear_weight_updated_before_backward_raises():
    """nn.Linear saves weight.T: an update of the weight before backward is caught."""
    lin = da.nn.Linear(3, 2)
    x = da.ones(4, 3, requires_grad=True)
    loss = lin(x).sum()
    with da.no_grad():
        lin.weight.mul_(2.0)
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_a_view_follows_a_recorded_in_place_op_on_its_base():
    """The issue's second example: y.mul_(10) after v = y[1:] (PyTorch rebases v)."""
    xv = np.array([0.5, -1.0, 2.0, 3.0])
    x = da.tensor(xv, requires_grad=True)
    y = x * 1
    v = y[1:]
    y.mul_(10)
    assert v.tolist() == (10 * xv[1:]).tolist()
    (v * v).sum().backward()
    expected = np.concatenate([[0.0], 200 * xv[1:]])  # d/dx sum((10 x[1:])**2)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-15)


def test_views_of_views_follow_the_base():
    xv = np.arange(1.0, 7.0).reshape(2, 3)
    x = da.tensor(xv, requires_grad=True)
    y = x * 1
    w = y.T[1:].unsqueeze(0)  # x[:, 1:].T with a unit axis in front
    c = y.T[1:].reshape(-1)  # a copy (not contiguous), as in PyTorch: not a view
    assert w._is_view() and not c._is_view()
    y.mul_(x)  # y = x**2
    (w * 3).sum().backward(retain_graph=True)
    expected = np.zeros_like(xv)
    expected[:, 1:] = 6 * xv[:, 1:]
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-15)
    x.grad = None
    assert c.tolist() == xv[:, 1:].T.reshape(-1).tolist()  # the values when it was taken
    (c * 3).sum().backward()
    assert x.grad.tolist() == [[0.0, 3.0, 3.0], [0.0, 3.0, 3.0]]


def test_setitem_on_the_base_reaches_its_views():
    x = da.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = da.tensor(5.0, requires_grad=True)
    y = x * 1
    v = y[1:]
    y[2] = w * w
    (v * 2).sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 0.0]
    assert w.grad.item() == 20.0


def test_a_view_of_a_constant_requires_grad_once_its_base_does():
    x = da.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = da.zeros(3)
    v = y[1:]
    y.add_(x * x)
    assert v.requires_grad
    v.sum().backward()
    assert x.grad.tolist() == [0.0, 4.0, 6.0]


def test_no_grad_change_of_the_base_keeps_the_views_history():
    """As in PyTorch: an in-place change under no_grad is invisible to autograd (only the
    version counter sees it): v = 2x + (a constant), so d sum(v*v)/dx = 2 v * 2."""
    x = da.ones(3, requires_grad=True)
    y = x * 2
    v = y[1:]
    with da.no_grad():
        y.mul_(3)
    assert v.tolist() == [6.0, 6.0]
    (v * v).sum().backward()
    assert x.grad.tolist() == [0.0, 24.0, 24.0]


def test_no_grad_in_place_on_a_non_leaf_keeps_its_history():
    x = da.ones(3, requires_grad=True)
    y = x * 2
    with da.no_grad():
        y.mul_(3)
    assert y.requires_grad and y.grad_fn is not None
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_writing_into_a_reshaped_view_is_refused_and_changes_nothing():
    x = da.ones(4, requires_grad=True)
    y = x * 1
    v = y.reshape(2, 2)
    with pytest.raises(RuntimeError, match="read-only view"):
        v.mul_(10)
    assert y.tolist() == [1.0] * 4 and y._version == 0
    v = y[1:][1:]  # a view of a view
    with pytest.raises(RuntimeError, match="read-only view"):
        v.mul_(10)
    assert y.tolist() == [1.0] * 4 and y._version == 0


def test_writing_into_an_indexed_view_writes_through_as_pytorch() -> None:
    """y[1:] *= 10 and v = y[1:]; v += w update y (NumPy's and PyTorch's meaning); the
    gradients equal PyTorch's formulas, checked by central differences of the NumPy run."""
    def numpy_f(a: np.ndarray) -> float:
        y = a * 1.0
        y[1:] *= 10.0
        v = y[:2]
        v += a[1:3] ** 2
        return float((y ** 2).sum())

    def dualad_f(a: da.Tensor) -> da.Tensor:
        y = a * 1.0
        y[1:] *= 10.0
        v = y[:2]
        v += a[1:3] ** 2
        views.append((v, y))
        return (y ** 2).sum()

    views: list = []
    a = np.array([0.5, -1.0, 2.0, 0.25])
    x = da.tensor(a, requires_grad=True)
    out = dualad_f(x)
    v, y = views[0]
    assert v._version == y._version and v.tolist() == y.tolist()[:2]
    assert out.item() == pytest.approx(numpy_f(a), rel=1e-14)
    out.backward()
    h = 1e-6
    fd = [(numpy_f(a + h * e) - numpy_f(a - h * e)) / (2 * h) for e in np.eye(4)]
    np.testing.assert_allclose(x.grad.numpy(), fd, rtol=1e-7)
    from dualad import func
    np.testing.assert_allclose(func.jacfwd(dualad_f)(a), fd, rtol=1e-7)  # forward mode too


def test_writing_through_a_view_of_a_leaf_that_requires_grad_is_refused() -> None:
    x = da.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x[1:].mul_(2.0)
    assert x._version == 0


def test_a_squeeze_that_drops_nothing_is_a_view_too():
    """squeeze of a tensor without unit axes returned the same array, writable: writing
    into the result changed the input behind its version counter."""
    t = da.ones(3)
    s = da.squeeze(t)
    with pytest.raises(RuntimeError, match="read-only view"):
        s.mul_(2)
    assert t.tolist() == [1.0, 1.0, 1.0]
    t.mul_(2)
    assert s._version == 1 and s.tolist() == [2.0, 2.0, 2.0]


def test_forward_mode_view_follows_the_base():
    with fwAD.dual_level():
        p = fwAD.make_dual(da.tensor([1.0, 2.0, 3.0]), da.tensor([1.0, 1.0, 1.0]))
        y = p * 1
        v = y[1:]
        y.mul_(y)  # y = p**2: tangent 2 p
        assert fwAD.unpack_dual(v).tangent.tolist() == [4.0, 6.0]
        s = fwAD.make_dual(da.tensor(3.0), da.tensor(1.0))
        with da.no_grad():  # no_grad does not stop forward mode (as in PyTorch)
            y.mul_(s)  # y = s p**2: tangent 3 * 2p + p**2
        assert fwAD.unpack_dual(v).tangent.tolist() == [16.0, 27.0]
        assert fwAD.unpack_dual(v).primal.tolist() == [12.0, 27.0]


def test_forward_mode_view_of_a_constant_base_gets_a_tangent():
    with fwAD.dual_level():
        y = da.zeros(3)
        v = y.reshape(3, 1)
        y.add_(fwAD.make_dual(da.tensor([1.0, 2.0, 3.0]), da.tensor([1.0, 0.0, 2.0])))
        assert fwAD.unpack_dual(v).tangent.tolist() == [[1.0], [0.0], [2.0]]


@pytest.mark.parametrize("how", ["zero_", "fill_", "copy_"])
def test_overwriting_a_non_leaf_keeps_requires_grad(how):
    """Item 13: PyTorch keeps requires_grad; the old history gets a zero gradient."""
    x = da.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    {"zero_": lambda: y.zero_(), "fill_": lambda: y.fill_(5.0),
     "copy_": lambda: y.copy_(da.tensor([7.0, 8.0, 9.0]))}[how]()
    assert y.requires_grad and not y.is_leaf
    assert y.tolist() == {"zero_": [0.0] * 3, "fill_": [5.0] * 3, "copy_": [7.0, 8.0, 9.0]}[how]
    (y * y).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


def test_overwriting_a_non_leaf_with_inf_old_values_gives_zero_gradient():
    x = da.tensor([np.inf, 1.0], requires_grad=True)
    y = x * 2
    y.zero_()
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_deepcopy_of_a_leaf_with_a_live_graph_is_independent():
    """Item 3: the copy's gradient went to the original (a shared accumulator)."""
    x = da.tensor([1.0, 2.0], requires_grad=True)
    live = (x * 1).sum()  # a live graph holds x's accumulator
    x.grad = da.tensor([5.0, 5.0])
    x2 = copy.deepcopy(x)
    assert x2.grad.tolist() == [5.0, 5.0] and x2.grad is not x.grad
    x2.grad = None
    (x2 * 3).sum().backward()
    assert x2.grad.tolist() == [3.0, 3.0]
    assert x.grad.tolist() == [5.0, 5.0]
    x2.detach().mul_(0)
    assert x.tolist() == [1.0, 2.0]
    live.backward()
    assert x.grad.tolist() == [6.0, 6.0]


def test_deepcopy_of_a_non_leaf_raises():
    y = da.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="graph leaves.*detach"):
        copy.deepcopy(y)


def test_deepcopy_keeps_tensors_shared_within_the_copied_object():
    x = da.ones(2, requires_grad=True)
    a, b = copy.deepcopy([x, x])
    assert a is b and a is not x


def test_pickle_a_leaf_used_in_an_op():
    """Item 11: a weak reference in the state made pickling fail."""
    x = da.tensor([1.0, 2.0], requires_grad=True, name="w")
    (x * x).sum().backward()
    z = pickle.loads(pickle.dumps(x))
    assert z.tolist() == [1.0, 2.0] and z.requires_grad and z.is_leaf and z.name == "w"
    assert z.grad is None  # as in PyTorch: .grad is not pickled
    (z * 3).sum().backward()
    assert z.grad.tolist() == [3.0, 3.0] and x.grad.tolist() == [2.0, 4.0]


def test_pickle_a_non_leaf_gives_a_leaf_and_a_view_its_own_storage():
    x = da.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = pickle.loads(pickle.dumps(x * 2))
    assert y.tolist() == [2.0, 4.0, 6.0] and y.requires_grad and y.is_leaf
    v = pickle.loads(pickle.dumps(x[1:]))
    assert v.tolist() == [2.0, 3.0] and not v._is_view()
    with da.no_grad():
        v.mul_(2)
    assert x.tolist() == [1.0, 2.0, 3.0]


# ------------------------------------------------------------------ PyTorch
def _both(program):
    """Run ``program(lib, tensor)`` with dualad and with torch; return both results."""
    torch = pytest.importorskip("torch")

    def tt(data, requires_grad=False):
        return torch.tensor(data, dtype=torch.float64, requires_grad=requires_grad)

    def dt(data, requires_grad=False):
        return da.tensor(data, dtype="float64", requires_grad=requires_grad)

    out = []
    for lib, make in ((da, dt), (torch, tt)):
        try:
            out.append(("ok", program(lib, make)))
        except RuntimeError as err:
            out.append(("error", MODIFIED in str(err)))
    return out


def _grad(t):
    return None if t.grad is None else np.asarray(t.grad.detach().numpy()).tolist()


def _p_base_nograd(lib, make):
    x = make([[1.0, 2.0, 3.0, 4.0]], True)
    y1 = x.T ** 2
    with lib.no_grad():
        x += 1
    y1.sum().backward()
    return _grad(x)


def _p_rebase(lib, make):
    x = make([0.5, -1.0, 2.0, 3.0], True)
    y = x * 1
    v = y[1:]
    y.mul_(10)
    (v * v).sum().backward()
    return _grad(x)


def _p_view_after_nograd(lib, make):
    x = make([1.0, 2.0, 3.0], True)
    y = x * 2
    v = y.reshape(3, 1)[1:]
    with lib.no_grad():
        y.mul_(3)
    (v * v).sum().backward()
    return _grad(x)


def _p_zero_fill_copy(lib, make):
    x = make([1.0, 2.0, 3.0], True)
    a, b, c = x * 2, x * 3, x * 4
    a.zero_()
    b.fill_(2.0)
    c.copy_(make([1.0, 1.0, 1.0]))
    (a + b * b + c).sum().backward()
    return _grad(x), a.requires_grad, b.requires_grad, c.requires_grad


def _p_saved_view_then_rebased(lib, make):
    x = make([1.0, 2.0, 3.0], True)
    y = x * 1
    v = y[1:]
    z = v * v  # saves v at version 0
    y.mul_(2)
    z.sum().backward()
    return _grad(x)


@pytest.mark.parametrize("program", [_p_base_nograd, _p_rebase, _p_view_after_nograd,
                                     _p_zero_fill_copy, _p_saved_view_then_rebased])
def test_views_and_in_place_ops_agree_with_torch(program):
    ours, theirs = _both(program)
    assert ours == theirs


def test_a_recorded_in_place_op_on_a_base_with_a_no_grad_view_raises_first():
    """As in PyTorch: whether such a view should get the new history is ambiguous."""
    x = da.ones(3, requires_grad=True)
    y = x * 2
    with da.no_grad():
        v = y[1:]
    with pytest.raises(RuntimeError, match="view was taken of this tensor in no_grad mode"):
        y.mul_(3)
    assert y.tolist() == [2.0, 2.0, 2.0] and y._version == 0 and not v.requires_grad
    with da.no_grad():
        y.mul_(3)  # both under no_grad: fine
    assert v.tolist() == [6.0, 6.0]
    del v
    y.mul_(x)  # the view is gone: fine
    y.sum().backward()
    assert x.grad.tolist() == [8.0, 8.0, 8.0]  # y = 2x (+ 4x unrecorded): 6 * 1 + x * 2


def _p_no_grad_view(lib, make):
    x = make([1.0, 2.0, 3.0], True)
    y = x * 2
    with lib.no_grad():
        v = y[1:]
    try:
        y.mul_(3)  # dualad raises here, before any change
        (v * 1).sum().backward()  # PyTorch when the view is used
    except RuntimeError as err:
        return "no_grad mode" in str(err)
    return "no error"


def test_no_grad_view_error_agrees_with_torch():
    ours, theirs = _both(_p_no_grad_view)
    assert ours == theirs == ("ok", True)


def test_detach_in_place_of_a_view_raises():
    x = da.ones(3, requires_grad=True)
    v = (x * 1)[1:]
    with pytest.raises(RuntimeError, match="detach views in-place.*detach()"):
        v.detach_()
    assert v.grad_fn is not None


def test_shallow_copy_of_a_leaf_has_its_own_gradient():
    """copy.copy shared the accumulator of the original, as deepcopy did (item 3)."""
    x = da.tensor([1.0, 2.0], requires_grad=True)
    live = (x * 1).sum()
    c = copy.copy(x)
    (c * 3).sum().backward()
    assert c.grad.tolist() == [3.0, 3.0] and x.grad is None
    live.backward()
    assert x.grad.tolist() == [1.0, 1.0]


# ------------------------------------------------------- custom Functions
class _TimesTenInPlace(da.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        x.mul_(10)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g * 10


class _Identity(da.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        return g


class _Tail(da.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x[1:]

    @staticmethod
    def backward(ctx, g):
        out = da.zeros(3)
        out[1:] = g
        return out


def test_views_follow_an_in_place_custom_function_on_their_base():
    x = da.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    v = y[1:]
    _TimesTenInPlace.apply(y)
    assert v.tolist() == [20.0, 30.0]
    (v * v).sum().backward()
    assert x.grad.tolist() == [0.0, 400.0, 600.0]  # d sum((10 x[1:])**2)/dx


def test_an_input_returned_by_a_custom_function_shares_its_version_counter():
    """It shared the storage only: a change of the input behind a saved output passed."""
    x = da.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = _Identity.apply(y)
    w = z * z  # saves z
    with da.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match=MODIFIED):
        w.sum().backward()


@pytest.mark.parametrize("fn", [_Identity, _Tail], ids=["identity", "view"])
def test_a_recorded_in_place_op_under_a_custom_functions_view_raises(fn):
    """The custom gradient of the view would be stale (PyTorch forbids it too)."""
    x = da.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    z = fn.apply(y)
    with pytest.raises(RuntimeError, match=f"custom Function {fn.__name__} returned a view"):
        y.mul_(x)
    assert y._version == 0 and y.tolist() == [1.0, 2.0, 3.0]
    assert z._base is y
    del z
    y.mul_(x)
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]


# ------------------------------------------------------------ .grad
def test_accumulating_into_a_grad_that_a_graph_saved_raises():
    """Accumulation wrote into .grad in place without a version bump: a graph that had
    saved the old .grad used the new values (w.grad 4 instead of 2, no error)."""
    x = da.ones(2, requires_grad=True)
    (x * x).sum().backward()
    g = x.grad
    w = da.ones(2, requires_grad=True)
    z = (g * w).sum()  # saves g = [2, 2] for w's gradient
    (x * x).sum().backward()  # x.grad = [4, 4], accumulated in place
    assert x.grad.tolist() == [4.0, 4.0] and g._version == 1
    with pytest.raises(RuntimeError, match=MODIFIED):
        z.backward()


def test_accumulating_into_a_read_only_grad_leaves_the_old_tensor_alone():
    x = da.ones(2, requires_grad=True)
    x.grad = da.ones(2).expand(2)  # a read-only view: accumulated out of place
    g = x.grad
    (x * 3).sum().backward()
    assert x.grad.tolist() == [4.0, 4.0] and g.tolist() == [1.0, 1.0]


def test_the_views_of_a_long_lived_tensor_do_not_pile_up():
    x = da.ones(4, 3)
    for i in range(5000):
        x[i % 4].sum()
    assert len(x._vc.views) <= 64


def test_retain_grad_of_a_view_holds_after_its_base_is_modified():
    x = da.ones(3, requires_grad=True)
    y = x * 1
    v = y[1:]
    v.retain_grad()
    y.mul_(2)
    (v * 3).sum().backward()
    assert v.grad.tolist() == [3.0, 3.0] and x.grad.tolist() == [0.0, 6.0, 6.0]


def test_a_grad_made_with_create_graph_is_no_view_and_can_be_zeroed():
    """x.grad was the view that permute's rule made of the upstream gradient: zero_grad
    (set_to_none=False) refused to write into it."""
    x = da.ones(2, 3, requires_grad=True)
    w = da.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    (x.T * w * w).sum().backward(create_graph=True)
    assert not x.grad._is_view() and x.grad.grad_fn is not None
    (g,) = da.autograd.grad(x.grad.sum(), w)  # d/dw sum(w**2) = 2 w: still in the graph
    assert g.tolist() == (2 * np.arange(6.0).reshape(3, 2)).tolist()
    da.optim.SGD([x, w], lr=0.1).zero_grad(set_to_none=False)
    assert x.grad.tolist() == [[0.0] * 3] * 2


# ------------------------------------------------- forward mode, property
_STEPS = {
    "rows": (lambda t: t[1:], lambda a: a[1:]),
    "first": (lambda t: t[0], lambda a: a[0, ...]),
    "T": (lambda t: t.T, lambda a: a.T),
    "unsqueeze": (lambda t: t.unsqueeze(0), lambda a: a[None]),
    "flip": (lambda t: da.flip(t, 0), lambda a: a[::-1]),
}


def _chain_ok(names, shape):
    for name in names:
        if name in ("rows", "first", "flip") and (not shape or shape[0] < 2):
            return False
        if name == "T" and len(shape) != 2:
            return False
        if name == "unsqueeze" and len(shape) > 2:
            return False
        shape = _STEPS[name][1](np.zeros(shape)).shape
    return True


@settings(max_examples=40, deadline=None)
@given(names=st.lists(st.sampled_from(sorted(_STEPS)), min_size=1, max_size=3),
       kind=st.sampled_from(["mul_", "add_", "set0"]), grad=st.booleans(),
       seed=st.integers(0, 2 ** 16))
def test_forward_mode_views_follow_in_place_changes_of_their_base(names, kind, grad, seed):
    """A view taken in a dual level, then its base changed in place: the view's primal and
    tangent are those of the same view taken now (closed forms)."""
    shape = (3, 2)
    assume(_chain_ok(names, shape))
    rng = np.random.default_rng(seed)
    p0, tp = rng.normal(size=shape), rng.normal(size=shape)
    q0, tq = rng.normal(size=shape), rng.normal(size=shape)
    s0, ts = rng.normal(), rng.normal()
    with fwAD.dual_level():
        p = fwAD.make_dual(da.tensor(p0), da.tensor(tp))
        y = p * 1
        v = y
        for name in names:
            v = _STEPS[name][0](v)
        with da.set_grad_enabled(grad):
            if kind == "mul_":
                y.mul_(fwAD.make_dual(da.tensor(s0), da.tensor(ts)))
            elif kind == "add_":
                y.add_(fwAD.make_dual(da.tensor(q0), da.tensor(tq)))
            else:
                y[0] = fwAD.make_dual(da.tensor(s0), da.tensor(ts))
        primal, tangent = fwAD.unpack_dual(v)
    if kind == "mul_":
        new, dnew = p0 * s0, tp * s0 + p0 * ts
    elif kind == "add_":
        new, dnew = p0 + q0, tp + tq
    else:
        new, dnew = p0.copy(), tp.copy()
        new[0], dnew[0] = s0, ts
    for name in names:
        new, dnew = _STEPS[name][1](new), _STEPS[name][1](dnew)
    np.testing.assert_allclose(primal.numpy(), new, rtol=1e-14)
    np.testing.assert_allclose(tangent.numpy(), dnew, rtol=1e-14, atol=1e-15)


def test_retained_gradient_of_a_view_is_its_new_value_s_after_the_base_changes():
    # as for a tensor modified in place itself: a use of the view's old value (u) no longer adds
    # to v.grad once the base's in-place op gives v a new node (v.grad was [13, 17]: 8 + 5, ...)
    x = da.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1.0
    v = y[1:]
    w = v[1:]
    v.retain_grad()
    w.retain_grad()
    u = v * 5.0 + w * 7.0           # uses of the old values
    y.mul_(2.0)                     # v = 2 x[1:], w = 2 x[2:]
    (u.sum() + (v * v).sum() + (w * w * w).sum()).backward()
    np.testing.assert_array_equal(v.grad.numpy(), [2.0 * 4.0, 2.0 * 6.0])  # 2 v, v = [4, 6]
    np.testing.assert_array_equal(w.grad.numpy(), [3.0 * 36.0])            # 3 w**2, w = [6]
    # d/dx of 5 x1 + 5 x2 + 14 x2 + 4 x1**2 + 4 x2**2 + 8 x2**3 (u broadcasts w over 2)
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 5.0 + 16.0, 19.0 + 24.0 + 24.0 * 9.0])


def test_a_view_whose_base_got_other_storage_is_not_written_through() -> None:
    """Regression: after y.data = ..., v = y[1:] (taken before) no longer shows y's values;
    writing through it changed y while v kept its old values."""
    y = da.ones(4) * 1.0
    v = y[1:]
    y.data = np.zeros(4)
    with pytest.raises(RuntimeError, match="read-only view"):
        v += 5.0
    assert y.tolist() == [0.0] * 4 and v.tolist() == [1.0] * 3

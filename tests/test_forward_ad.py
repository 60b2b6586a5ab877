"""Forward mode: dual levels, make_dual/unpack_dual, errors, every op's JVP (plain and batched)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from custom_functions import Cube as _Cube

import dualad as da
from dualad import forward_ad as fwAD
from dualad import registry

# ------------------------------------------------------------------ the basics


def test_make_dual_outside_a_level_raises():
    with pytest.raises(RuntimeError, match="dual_level"):
        fwAD.make_dual(da.tensor(1.0), da.tensor(1.0))


def test_make_dual_shape_mismatch_raises_with_both_shapes():
    with fwAD.dual_level():
        with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
            fwAD.make_dual(da.zeros(2), da.zeros(3))


def test_make_dual_batched_level_wants_a_leading_batch_axis():
    with fwAD.dual_level(batch_size=4):
        with pytest.raises(ValueError, match=r"\(4, 2\)"):
            fwAD.make_dual(da.zeros(2), da.zeros(2))
        x = fwAD.make_dual(da.zeros(2), da.zeros((4, 2)))
        assert fwAD.unpack_dual(x).tangent.shape == (4, 2)


@pytest.mark.parametrize("bad", [0, -1, 2.5])
def test_bad_batch_size_raises(bad):
    with pytest.raises(ValueError, match="batch_size"):
        fwAD.dual_level(batch_size=bad)


def test_make_dual_integer_primal_raises():
    with fwAD.dual_level():
        with pytest.raises(ValueError, match="floating"):
            fwAD.make_dual(da.tensor([1, 2]), da.tensor([1.0, 1.0]))


def test_make_dual_with_inactive_level_raises():
    with fwAD.dual_level() as outer:
        pass
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match="not active"):
            fwAD.make_dual(da.tensor(1.0), da.tensor(1.0), level=outer)


def test_unpack_dual_without_tangent_gives_none():
    x = da.tensor([1.0, 2.0])
    assert fwAD.unpack_dual(x).tangent is None  # no level at all
    with fwAD.dual_level():
        p, t = fwAD.unpack_dual(x * 2.0)
        assert t is None
        np.testing.assert_allclose(p.numpy(), [2.0, 4.0])


def test_tangent_is_cast_to_primal_dtype():
    with fwAD.dual_level():
        x = fwAD.make_dual(da.tensor([1.0], dtype="float32"), np.array([2.0]))
        assert fwAD.unpack_dual(x).tangent.dtype == np.float32


def test_tangents_vanish_when_the_level_exits():
    with fwAD.dual_level():
        x = fwAD.make_dual(da.tensor(0.5), da.tensor(1.0))
    y = da.sin(x)  # the level is gone: an ordinary op
    assert y._tangents is None
    with fwAD.dual_level():
        assert fwAD.unpack_dual(da.sin(x)).tangent is None


def test_jvp_of_a_program_matches_closed_form():
    x0 = np.array([0.3, -1.2, 2.0])
    v = np.array([1.0, 0.5, -2.0])
    with fwAD.dual_level():
        x = fwAD.make_dual(da.tensor(x0), da.tensor(v))
        y = da.sum(da.sin(x) * da.exp(-x ** 2))
        tangent = fwAD.unpack_dual(y).tangent.item()
    d = np.cos(x0) * np.exp(-x0 ** 2) - 2 * x0 * np.sin(x0) * np.exp(-x0 ** 2)
    assert tangent == pytest.approx(float(d @ v), rel=1e-12)


def test_nested_levels_no_perturbation_confusion():
    # d/dx [x * d/dy (x + y)] at x = 1 is 1 (a confused implementation gives 2)
    def inner(x):
        with fwAD.dual_level():
            y = fwAD.make_dual(da.tensor(1.0), da.tensor(1.0))
            return fwAD.unpack_dual(x + y).tangent

    with fwAD.dual_level():
        x = fwAD.make_dual(da.tensor(1.0), da.tensor(1.0))
        out = x * inner(x)
        assert fwAD.unpack_dual(out).tangent.item() == 1.0


def test_outer_tangent_is_a_constant_of_the_inner_level():
    with fwAD.dual_level() as outer:
        x = fwAD.make_dual(da.tensor(2.0), da.tensor(1.0))
        with fwAD.dual_level() as inner:
            y = fwAD.make_dual(da.tensor(3.0), da.tensor(1.0))
            z = x * x * y
            # (each tangent carries one at the other level: .item() of it would drop that one,
            # which raises; detach() drops it on purpose)
            assert fwAD.unpack_dual(z, level=inner).tangent.detach().item() == 4.0  # x^2
            assert fwAD.unpack_dual(z, level=outer).tangent.detach().item() == 12.0  # 2xy
            # the inner tangent x^2 carries its own outer tangent 2x
            t_inner = fwAD.unpack_dual(z, level=inner).tangent
            assert fwAD.unpack_dual(t_inner, level=outer).tangent.item() == 4.0


def test_forward_over_reverse_second_derivative():
    x = da.tensor(1.0, requires_grad=True)
    with fwAD.dual_level():
        xd = fwAD.make_dual(x, da.tensor(1.0))
        (g,) = da.autograd.grad(xd * da.sin(xd), x)
        second = fwAD.unpack_dual(g).tangent.item()
    assert second == pytest.approx(2 * math.cos(1.0) - math.sin(1.0), rel=1e-12)


def test_reverse_over_forward_second_derivative():
    x = da.tensor(1.0, requires_grad=True)
    with fwAD.dual_level():
        xd = fwAD.make_dual(x, da.tensor(1.0))
        t = fwAD.unpack_dual(xd * da.sin(xd)).tangent
    (second,) = da.autograd.grad(t, x)
    assert second.item() == pytest.approx(2 * math.cos(1.0) - math.sin(1.0), rel=1e-12)


# --------------------------------------------------------- custom Functions


class _NoJvp(da.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_custom_function_jvp_in_forward_mode():
    with fwAD.dual_level():
        x = fwAD.make_dual(da.tensor([1.0, 2.0]), da.tensor([1.0, 1.0]))
        t = fwAD.unpack_dual(_Cube.apply(x)).tangent
    np.testing.assert_allclose(t.numpy(), [3.0, 12.0])


def test_custom_function_jvp_at_a_batched_level_runs_per_element():
    with fwAD.dual_level(batch_size=2):
        x = fwAD.make_dual(da.tensor([1.0, 2.0]), da.eye(2))
        t = fwAD.unpack_dual(_Cube.apply(x) + x).tangent
    np.testing.assert_allclose(t.numpy(), np.diag([4.0, 13.0]))


def test_custom_function_without_jvp_raises_clearly():
    with fwAD.dual_level():
        x = fwAD.make_dual(da.tensor(1.0), da.tensor(1.0))
        with pytest.raises(RuntimeError, match="_NoJvp has no jvp"):
            _NoJvp.apply(x)


class _SummedJvp(da.autograd.Function):
    """2x whose jvp wrongly returns the summed tangent (shape ()); or, as a pair, too few."""

    @staticmethod
    def forward(ctx, x, pair=False):
        return (x * 2, x * 3) if pair else x * 2

    @staticmethod
    def backward(ctx, g, *rest):
        return g * 2, None

    @staticmethod
    def jvp(ctx, t, *_):
        return (t * 2).sum()


@pytest.mark.parametrize("batch_size", [None, 3])
def test_custom_function_jvp_of_the_wrong_shape_or_count_raises(batch_size):
    # the () tangent was broadcast against the (3,) output: every component got the sum,
    # a silently wrong jvp (and jacfwd); a missing tangent of a pair was a silent zero
    x = da.tensor([0.3, -1.2, 2.0])
    tangent = da.ones(3) if batch_size is None else da.eye(3)
    with fwAD.dual_level(batch_size=batch_size):
        d = fwAD.make_dual(x, tangent)
        with pytest.raises(RuntimeError, match=r"tangent of shape \(\) for output 0 of "
                                               r"shape \(3,\)"):
            _SummedJvp.apply(d)
        with pytest.raises(RuntimeError, match="returned 1 tangent.* 2 output"):
            _SummedJvp.apply(d, True)


def test_custom_function_under_two_levels_raises_instead_of_a_wrong_answer():
    with fwAD.dual_level():
        x = fwAD.make_dual(da.tensor(1.0), da.tensor(1.0))
        with fwAD.dual_level():
            y = fwAD.make_dual(x, da.tensor(1.0))
            with pytest.raises(RuntimeError, match="one dual level"):
                _Cube.apply(y)


# ------------------------------------- every registered op: plain and batched JVP


def _draw(rng: np.random.Generator, intervals: tuple, shape: tuple) -> np.ndarray:
    lo_hi = np.array(intervals, dtype=float).reshape(-1, 2)
    pick = rng.integers(0, len(lo_hi), size=shape)
    u = rng.uniform(size=shape)
    return lo_hi[pick, 0] + u * (lo_hi[pick, 1] - lo_hi[pick, 0])


def _examples(op: registry.Op) -> list:
    shapes = op.domain.shapes
    if shapes == "elementwise":
        if op.arity == 1:
            return [(((3, 4),), {})]
        return [(((3, 4),) + ((4,),) * (op.arity - 1), {}),
                (((4,),) + ((2, 1, 4),) * (op.arity - 1), {})]
    return list(shapes)


def _inputs(op, rng, in_shapes, params):
    for _ in range(50):
        xs = [_draw(rng, op.domain.ranges[i], s) for i, s in enumerate(in_shapes)]
        if op.domain.valid is None or op.domain.valid(*xs, **params):
            return xs
    raise AssertionError(f"could not draw valid inputs for {op.name}")


def _forward_tangent(op, xs, tangents, params, batch=None):
    """The op's output tangent for the given input tangents (None: not differentiated)."""
    with fwAD.dual_level(batch_size=batch):
        args = [fwAD.make_dual(da.tensor(x), da.tensor(t)) if t is not None else da.tensor(x)
                for x, t in zip(xs, tangents)]
        out = registry.apply(op, *args, **params)
        t = fwAD.unpack_dual(out).tangent
        shape = out.shape if batch is None else (batch,) + tuple(out.shape)
        return np.zeros(shape) if t is None else t.numpy()


def _shifted(op, xs, tangents, params, s):
    """The op's forward at the inputs moved by ``s`` along tangent 0."""
    ys = [x + s * t[0] if t is not None else x for x, t in zip(xs, tangents)]
    out = np.asarray(op.forward(*ys, **params))
    return out if out.dtype.kind == "c" else out.astype(float)  # (an FFT's is complex)


_DIFF_OPS = [op for op in registry.ops() if op.differentiable and op.domain is not None]


@pytest.mark.parametrize("op", _DIFF_OPS, ids=lambda op: op.name)
def test_every_op_batched_jvp_equals_looped_jvp_and_finite_differences(op):
    rng = np.random.default_rng(sum(map(ord, op.name)))
    batch = 3
    for in_shapes, params in _examples(op):
        xs = _inputs(op, rng, in_shapes, params)
        diff = [op.jvp[i] is not None for i in range(op.arity)]
        tangents = [rng.normal(size=(batch,) + np.shape(x)) if d else None
                    for x, d in zip(xs, diff)]
        batched = _forward_tangent(op, xs, tangents, params, batch=batch)
        for b in range(batch):
            plain = _forward_tangent(op, xs, [t[b] if t is not None else None
                                              for t in tangents], params)
            np.testing.assert_allclose(batched[b], plain, rtol=1e-10, atol=1e-12,
                                       err_msg=f"{op.name} {in_shapes} {params}")
        # the plain JVP against central differences along tangent 0
        eps = 1e-6

        fd = (_shifted(op, xs, tangents, params, eps)
              - _shifted(op, xs, tangents, params, -eps)) / (2 * eps)
        plain0 = _forward_tangent(op, xs, [t[0] if t is not None else None
                                           for t in tangents], params)
        np.testing.assert_allclose(plain0, fd, rtol=1e-5, atol=1e-6,
                                   err_msg=f"{op.name} {in_shapes} {params}")


def test_builtin_shape_ops_have_batch_rules_so_no_per_element_loop(monkeypatch):
    calls = []
    monkeypatch.setattr(registry, "stack_batch",
                        lambda *a, **k: calls.append(1) or pytest.fail("fell back to a loop"))
    x0 = np.arange(6.0).reshape(2, 3) / 7
    with fwAD.dual_level(batch_size=6):
        x = fwAD.make_dual(da.tensor(x0), da.tensor(np.eye(6).reshape(6, 2, 3)))
        y = (da.sin(x).T @ x).reshape(9)[::2].sum() + x.mean(axis=0).sum() + (x @ x[0]).sum()
        t = fwAD.unpack_dual(y).tangent
    assert t.shape == (6,) and not calls


def test_batched_levels_are_thread_local():
    import threading

    from dualad import func

    results, errors = {}, []

    def work(k):
        try:
            x = np.arange(1.0, 2.0 + k)
            for _ in range(20):
                results[k] = func.jacfwd(lambda v: v ** 3)(x)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for k, jac in results.items():
        np.testing.assert_allclose(jac, np.diag(3 * np.arange(1.0, 2.0 + k) ** 2))


def test_batch_size_true_is_refused():
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        da.forward_ad.dual_level(batch_size=True)

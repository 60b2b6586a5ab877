"""Never a silent zero (issue 20, DESIGN.md section 4): a derivative is right or an error.

While a ``dualad.func`` transform differentiates a value, or the value carries a
forward-mode tangent, turning it into a Python number or a NumPy array raises
``ConcretizationTypeError`` naming the conversion and the fix; outside transforms reverse
mode keeps PyTorch's behaviour; ``bool()`` stays allowed (control flow); a constant Python
number or NumPy array output is a zero derivative, as in JAX; transforms never write into
the caller's arrays.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dualad as da
from dualad import ConcretizationTypeError, func
from dualad import forward_ad as fwAD


def _store_element(v: Any) -> Any:
    out = np.empty(2)
    out[0] = v
    return out


def _store_slice(v: Any) -> Any:
    out = np.empty(1)
    out[:] = v
    return out


# conversion name -> (the conversion, words its error must contain)
CONVERSIONS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "float": (float, "float()"),
    "int": (int, "int()"),
    "complex": (complex, "complex()"),
    "item": (lambda v: v.item(), ".item()"),
    "tolist": (lambda v: v.tolist(), ".tolist()"),
    "numpy": (lambda v: v.numpy(), ".numpy()"),
    "np.asarray": (np.asarray, "NumPy array"),
    "np.array of a list": (lambda v: np.array([v, v]), "NumPy array"),
    "__index__": (operator.index, "__index__"),
    "math.sqrt": (math.sqrt, "math.sqrt"),
    "store into a NumPy element": (_store_element, "float()"),
    "store into a NumPy slice": (_store_slice, "NumPy array"),
}

X0 = 1.5

# transform name -> (run it on f at X0, the names its error may give)
TRANSFORMS: dict[str, tuple[Callable[[Callable], Any], tuple[str, ...]]] = {
    "grad": (lambda f: func.grad(f)(X0), ("grad",)),
    "value_and_grad": (lambda f: func.value_and_grad(f)(X0), ("value_and_grad",)),
    "vjp": (lambda f: func.vjp(f, X0)[1](1.0), ("vjp",)),
    "jvp": (lambda f: func.jvp(f, (X0,), (1.0,)), ("jvp",)),
    "jacfwd": (lambda f: func.jacfwd(f)(np.array([X0])), ("jacfwd",)),
    "jacrev": (lambda f: func.jacrev(f)(np.array([X0])), ("jacrev",)),
    "hessian": (lambda f: func.hessian(f)(np.array([X0])), ("jacfwd", "jacrev")),
    "hvp": (lambda f: func.hvp(f, X0, 1.0), ("hvp",)),
    "linearize": (lambda f: func.linearize(f, X0)[1](1.0), ("linearize",)),
    "grad of a pytree": (lambda f: func.grad(lambda p: f(p["x"][0]))({"x": (X0,)}),
                         ("grad",)),
}


def _refusal(exc: BaseException) -> ConcretizationTypeError:
    """The ConcretizationTypeError behind ``exc`` (NumPy reports a failed store into an
    element as "ValueError: setting an array element with a sequence", caused by it)."""
    e: BaseException | None = exc
    while e is not None and not isinstance(e, ConcretizationTypeError):
        e = e.__cause__
    assert e is not None, f"expected a ConcretizationTypeError, got {exc!r}"
    return e


def _assert_refused(run: Callable[[], Any], what: str, who: tuple[str, ...]) -> str:
    with pytest.raises((ConcretizationTypeError, ValueError)) as info:
        run()
    msg = str(_refusal(info.value))
    assert what in msg
    assert any(f"dualad.func.{w}" in msg for w in who), msg
    assert "would lose its derivative" in msg and "silently be zero" in msg
    for fix in ("da.stack", "da.zeros", "t[i] = ...", ".detach()"):
        assert fix in msg, (fix, msg)
    return msg


def _converting(conversion: Callable[[Any], Any]) -> Callable:
    """A scalar function that converts a value computed from its input (then returns a
    Tensor, as the transform needs: the conversion must raise before)."""
    def f(x: Any) -> Any:
        conversion((x * x).sum())
        return (x * 2.0).sum()
    return f


# -------------------------------------------- every conversion x every transform

@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@pytest.mark.parametrize("conversion", sorted(CONVERSIONS))
def test_converting_a_differentiated_value_raises_in_every_transform(transform, conversion):
    run, who = TRANSFORMS[transform]
    convert, what = CONVERSIONS[conversion]
    _assert_refused(lambda: run(_converting(convert)), what, who)


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_converting_the_input_itself_raises(transform):
    run, who = TRANSFORMS[transform]
    _assert_refused(lambda: run(lambda x: x * float(x.sum())), "float()", who)


@pytest.mark.parametrize("transform", ["grad", "jvp", "jacrev"])
def test_a_new_leaf_or_a_copy_of_a_differentiated_value_raises(transform):
    import copy
    import pickle

    run, who = TRANSFORMS[transform]
    _assert_refused(lambda: run(lambda x: da.tensor(x * x).sum() + x.sum()), "dualad.tensor",
                    who)
    _assert_refused(lambda: run(lambda x: copy.deepcopy(x).sum() + x.sum()), "deepcopy", who)
    _assert_refused(lambda: run(lambda x: pickle.dumps(x) and x.sum()), "pickling", who)
    # outside transforms, PyTorch's rules: a detached copy
    y = da.tensor(2.0, requires_grad=True) * 3.0
    assert da.tensor(y).requires_grad is False and da.tensor(y).item() == 6.0
    assert copy.deepcopy(da.tensor(2.0, requires_grad=True)).item() == 2.0


def test_a_refusal_leaves_no_transform_running_and_printing_is_allowed():
    printed = []
    with pytest.raises(ConcretizationTypeError):
        func.grad(lambda x: printed.append(repr(x)) or x * float(x))(2.0)
    assert printed == ["tensor(2., requires_grad=True)"]
    from dualad._state import state
    assert state.transforms == []
    with fwAD.dual_level():
        x = fwAD.make_dual(da.tensor(1.0), da.tensor(1.0))
        with pytest.raises(ConcretizationTypeError):
            func.jvp(lambda y: y * float(x), (1.0,), (1.0,))
        assert state.transforms == []


def test_the_error_is_a_type_error_and_a_runtime_error_exported_from_dualad():
    assert issubclass(da.ConcretizationTypeError, TypeError)
    assert issubclass(da.ConcretizationTypeError, RuntimeError)  # (PyTorch's for numpy())
    with pytest.raises(TypeError):
        func.grad(lambda x: x * float(x))(1.0)


# ------------------------------------------------------------ the four

def test_math_sqrt_of_the_input_raises_instead_of_zero():
    msg = _assert_refused(lambda: func.grad(lambda t: math.sqrt(t))(2.0), "math.sqrt",
                          ("grad",))
    assert "da.sqrt(x)" in msg
    assert func.grad(lambda t: da.sqrt(t))(2.0) == pytest.approx(0.5 / math.sqrt(2.0))


def test_float_of_a_sum_raises_instead_of_zeros():
    _assert_refused(lambda: func.grad(lambda t: float((t ** 2).sum()))(np.array([1., 2.])),
                    "float()", ("grad",))
    assert np.allclose(func.grad(lambda t: (t ** 2).sum())(np.array([1., 2.])), [2., 4.])


def _fill_numpy(x: Any) -> Any:
    out = np.empty(2)
    out[0] = x[0] ** 2
    out[1] = np.sin(x[1])
    return out


def _fill_dualad(x: Any) -> Any:
    out = da.zeros(2)
    out[0] = x[0] ** 2
    out[1] = np.sin(x[1])
    return out


@pytest.mark.parametrize("jac", ["jacfwd", "jacrev"])
def test_filling_a_numpy_array_raises_and_filling_a_dualad_one_is_right(jac):
    transform = getattr(func, jac)
    _assert_refused(lambda: transform(_fill_numpy)(np.array([1., 2.])), "float()", (jac,))
    expected = [[2.0, 0.0], [0.0, math.cos(2.0)]]
    assert np.allclose(transform(_fill_dualad)(np.array([1., 2.])), expected)


def test_np_array_of_duals_raises_and_da_stack_is_right():
    _assert_refused(lambda: func.jvp(lambda x: np.array([x, x * 2.0]), (3.0,), (1.0,)),
                    "NumPy array", ("jvp",))
    out, tangent = func.jvp(lambda x: da.stack([x, x * 2.0]), (3.0,), (1.0,))
    assert np.allclose(out, [3.0, 6.0]) and np.allclose(tangent, [1.0, 2.0])


# ----------------------------------------------------------- forward_ad levels

@pytest.mark.parametrize("conversion", sorted(CONVERSIONS))
def test_converting_a_dual_tensor_raises_inside_its_level(conversion):
    convert, what = CONVERSIONS[conversion]
    with fwAD.dual_level():
        x = fwAD.make_dual(da.tensor(X0), da.tensor(1.0))
        with pytest.raises((ConcretizationTypeError, ValueError)) as info:
            convert(da.sin(x))
        msg = str(_refusal(info.value))
        assert what in msg and "forward-mode tangent" in msg and "forward_ad.dual_level" in msg
        # the primal alone, and a detached value, convert (nothing is lost)
        assert float(fwAD.unpack_dual(x).primal) == X0
        assert float(x.detach()) == X0
    assert float(x) == X0  # the level has ended: the tangent is gone


def test_an_outer_level_tangent_is_not_dropped_by_converting_the_inner_tangent():
    with fwAD.dual_level():
        x = fwAD.make_dual(da.tensor(2.0), da.tensor(1.0))
        with fwAD.dual_level() as inner:
            y = fwAD.make_dual(x, da.tensor(1.0))
            t_inner = fwAD.unpack_dual(y * y, level=inner).tangent  # 2y, with outer tangent 2
            with pytest.raises(ConcretizationTypeError):
                t_inner.item()
            assert t_inner.detach().item() == 4.0


# ----------------------------------------------------------- nested transforms

def test_nested_grad_raises_at_either_level():
    _assert_refused(lambda: func.grad(func.grad(lambda x: x * float(x)))(1.0), "float()",
                    ("grad",))
    # the inner function converts the outer transform's input (a closure)
    outer = lambda x: func.grad(lambda y: y * float(x))(1.0)  # noqa: E731
    _assert_refused(lambda: func.grad(outer)(2.0), "float()", ("grad",))
    # the same written with dualad values is right
    assert func.grad(func.grad(lambda x: x ** 3))(2.0) == pytest.approx(12.0)
    # d/dx [x * d/dy (x * y)] = d/dx x**2 = 2x
    assert func.grad(lambda x: x * func.grad(lambda y: x * y)(1.0))(3.0) == pytest.approx(6.0)


def test_reverse_over_forward_and_forward_over_reverse_raise():
    inner_jvp = lambda x: func.jvp(lambda y: y * x.item(), (1.0,), (1.0,))[1]  # noqa: E731
    _assert_refused(lambda: func.grad(inner_jvp)(2.0), ".item()", ("grad",))
    inner_grad = func.grad(lambda y: y * y.item())
    _assert_refused(lambda: func.jvp(inner_grad, (2.0,), (1.0,)), ".item()", ("grad", "jvp"))


# ----------------------------------------- what is allowed (not a silent zero)

def test_control_flow_on_a_differentiated_value_is_allowed_but_float_is_not():
    def f(x):
        if x > 0:  # a boolean tensor with no gradient
            return x * x
        return -x

    def g(x):
        return x * 3.0 if bool(x) else x  # bool() of the value itself: control flow

    assert func.grad(f)(2.0) == pytest.approx(4.0)
    assert func.grad(f)(-2.0) == pytest.approx(-1.0)
    assert func.grad(g)(2.0) == pytest.approx(3.0)
    assert func.jvp(f, (2.0,), (1.0,))[1] == pytest.approx(4.0)
    assert func.jacfwd(g)(np.array(2.0)) == pytest.approx(3.0)
    # a branch on float(x) is refused all the same: float() is a conversion
    _assert_refused(lambda: func.grad(lambda x: x * x if float(x) > 0 else -x)(2.0),
                    "float()", ("grad",))


def test_a_user_parameter_read_in_a_closure_converts_inside_a_transform():
    w = da.tensor(3.0, requires_grad=True)  # the user's leaf (PyTorch rules: item() works)
    v = w * 2.0  # and a non-leaf made from it, outside the transform
    assert func.grad(lambda x: x * w.item())(1.0) == pytest.approx(3.0)
    assert func.grad(lambda x: x * float(v))(1.0) == pytest.approx(6.0)
    # but not once it is mixed with the differentiated input
    _assert_refused(lambda: func.grad(lambda x: x * float(x * w))(1.0), "float()", ("grad",))


def test_outside_transforms_reverse_mode_keeps_pytorchs_behaviour_inside_it_raises():
    x = da.tensor(2.0, requires_grad=True)
    y = x * 3.0
    assert x.item() == 2.0 and float(y) == 6.0 and int(y) == 6 and complex(y) == 6.0
    assert y.tolist() == 6.0 and math.sqrt(y) == pytest.approx(math.sqrt(6.0))
    out = np.empty(1)
    out[0] = y
    assert out[0] == 6.0
    for convert in (np.asarray, lambda t: t.numpy()):
        with pytest.raises(RuntimeError, match="detach") as info:
            convert(y)
        assert not isinstance(info.value, ConcretizationTypeError)
    assert np.asarray(y.detach()) == 6.0
    # the same conversions of the value a transform differentiates raise
    _assert_refused(lambda: func.grad(lambda t: t * t.item())(2.0), ".item()", ("grad",))
    _assert_refused(lambda: func.grad(lambda t: da.tensor(np.asarray(t)))(2.0), "NumPy array",
                    ("grad",))


def test_a_constant_output_has_a_zero_derivative_but_an_array_of_the_input_raises():
    # a Python number or NumPy array can hold no differentiated value (converting one
    # raises), so a function returning one is a constant
    assert func.grad(lambda x: 3.0)(2.0) == 0.0
    assert np.array_equal(func.jacfwd(lambda x: np.ones(2))(np.zeros(3)), np.zeros((2, 3)))
    assert np.array_equal(func.jacrev(lambda x: np.ones(2))(np.zeros(3)), np.zeros((2, 3)))
    assert func.jvp(lambda x: 5.0, (1.0,), (1.0,)) == (5.0, 0.0)
    assert func.grad(lambda x: x.detach() * 2.0)(1.0) == 0.0  # detach(): on purpose
    # an array computed from the input's values cannot be made without a conversion
    _assert_refused(lambda: func.jacrev(lambda x: np.asarray(x) * 2.0)(np.zeros(3)),
                    "NumPy array", ("jacrev",))
    _assert_refused(lambda: func.jacfwd(lambda x: np.sin(x.tolist()))(np.zeros(3)),
                    ".tolist()", ("jacfwd",))


@pytest.mark.parametrize("transform", ["grad", "jvp", "jacfwd", "jacrev"])
def test_an_object_array_output_raises(transform):
    run, _ = TRANSFORMS[transform]

    def f(x):
        out = np.empty(2, dtype=object)
        out[0], out[1] = x.sum(), x.sum() * 2.0
        return out[:1] if transform == "grad" else out

    with pytest.raises(ConcretizationTypeError, match="da.stack"):
        run(f)


def test_np_array_of_a_tensor_is_a_copy():
    t = da.tensor([1.0, 2.0])
    a = np.array(t)
    a[0] = 9.0
    assert t.tolist() == [1.0, 2.0]
    assert np.asarray(t) is t.numpy()  # (asarray shares storage, as torch.Tensor.numpy)


# ------------------------------------------ never write into the caller's arrays

def _writes_into_its_argument(x: Any) -> Any:
    x.data[...] = 7.0  # untracked write into the argument's storage
    return (x * x).sum()


WRITERS: dict[str, Callable[[Callable, Any], Any]] = {
    "grad": lambda f, a: func.grad(f)(a),
    "value_and_grad": lambda f, a: func.value_and_grad(f)(a),
    "vjp": lambda f, a: func.vjp(f, a)[1](1.0),
    "jvp": lambda f, a: func.jvp(f, (a,), (np.ones(2),)),
    "jacfwd": lambda f, a: func.jacfwd(f, chunk_size=1)(a),
    "jacrev": lambda f, a: func.jacrev(f)(a),
    "hessian": lambda f, a: func.hessian(f)(a),
    "hvp": lambda f, a: func.hvp(f, a, np.ones(2)),
    "linearize": lambda f, a: func.linearize(f, a)[1](np.ones(2)),
    "grad of a pytree": lambda f, a: func.grad(lambda p: f(p["a"]))({"a": a}),
}


@pytest.mark.parametrize("kind", ["numpy", "tensor"])
@pytest.mark.parametrize("transform", sorted(WRITERS))
def test_a_transform_never_writes_into_the_callers_array(transform, kind):
    arr = np.array([1.0, 2.0])
    arg = arr if kind == "numpy" else da.tensor(arr)
    WRITERS[transform](_writes_into_its_argument, arg)
    assert arr.tolist() == [1.0, 2.0]
    if kind == "tensor":
        assert arg.tolist() == [1.0, 2.0] and arg._version == 0


@pytest.mark.parametrize("transform", ["jvp", "jacfwd"])
def test_assigning_into_a_dual_argument_leaves_the_caller_alone(transform):
    def f(x):
        x[0] = 5.0  # in place on the dual: its tangent there becomes 0
        return (x * x).sum()

    a = np.array([1.0, 2.0])
    if transform == "jvp":
        out, tangent = func.jvp(f, (a,), (np.ones(2),))
        assert out == pytest.approx(29.0) and tangent == pytest.approx(4.0)
    else:
        # every chunk sees the caller's values, not the previous chunk's writes
        assert np.allclose(func.jacfwd(f, chunk_size=1)(a), [0.0, 4.0])
    assert a.tolist() == [1.0, 2.0]

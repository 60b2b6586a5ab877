"""The registry-generated suite: every registered op, every check, inputs from its domain.

The op list is read from ``dualad.registry.ops()`` at collection time, so a new
op is tested in every mode as soon as it is registered. Each failure message
starts with ``op '<name>': <check> check failed``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import dualad  # noqa: F401  (registers every op)
from dualad import registry
from dualad.ops._define import ARRAY_MATH, TENSOR_MATH, elementwise, withdraw
from dualad.registry import Domain, Hints, Op, register_op
from dualad.testing import (
    PROPERTY_CHECKS,
    OpCheckError,
    check_fields,
    check_kinks,
    check_op,
    coverage_table,
    strategies,
)
from dualad.testing.coverage import DEFAULT_PATH
from dualad.testing.opcheck import differentiable_inputs, has_array_rules, has_batched_jvp

OPS = registry.ops()
IDS = [op.name for op in OPS]
# per (op, check) examples: 5 under ci, 10 under dev, 100 under thorough
EXAMPLES = max(5, settings().max_examples // 5)
SUITE_SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                          phases=[p for p in Phase if p is not Phase.explain],
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.filter_too_much])

# Real bugs the suite found that are not yet fixed (reported; remove the entries with the fix).
KNOWN_BUGS: dict[tuple[str, str], str] = {}  # (op name, check) -> the bug, marked xfail


# the checks of a fast variant (Hints) run for the ops that have one
APPLIES = {"scalar_path": lambda op: op.hints.scalar_forward is not None,
           "array_rules": has_array_rules, "batched_jvp": has_batched_jvp,
           "complex": lambda op: op.accepts_complex}


def _checks(op: Op) -> list[str]:
    """The property checks that apply to ``op`` (those of known bugs run apart, xfail)."""
    names = []
    for name in PROPERTY_CHECKS:
        if name != "sympy" and not differentiable_inputs(op):
            continue  # differentiable=False: exempt from derivative checks only
        if APPLIES.get(name, lambda op: True)(op):
            names.append(name)
    return names


def _cases() -> list:
    """Every (op, check) pair the suite runs: ``test_property`` runs an op's checks together."""
    return [pytest.param(op, name, id=f"{op.name}-{name}") for op in OPS for name in _checks(op)]


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_fields(op: Op) -> None:
    check_fields(op)


@pytest.mark.parametrize("op", [op for op in OPS if op.kinks],
                         ids=[op.name for op in OPS if op.kinks])
def test_kinks(op: Op) -> None:
    check_kinks(op)


@pytest.fixture(autouse=True)
def _settings_chain_kept_short(request: pytest.FixtureRequest):
    """hypothesis's pytest plugin (6.155) wraps a parametrized test's settings in a new
    settings object at every invocation, whose parent is the previous one; after about 1000
    invocations of test_property, reading a setting exceeded the recursion limit
    (RecursionError in hypothesis/_settings.py). Put the test's own settings back after
    each invocation."""
    fn = getattr(request.function, "__func__", request.function)
    saved = getattr(fn, "_hypothesis_internal_use_settings", None)
    yield
    if saved is not None:
        fn._hypothesis_internal_use_settings = saved


@pytest.mark.parametrize("op", [op for op in OPS if _checks(op)],
                         ids=[op.name for op in OPS if _checks(op)])
@SUITE_SETTINGS
@given(data=st.data())
def test_property(op: Op, data: st.DataObject) -> None:
    """Each check that applies to ``op``, on every drawn call (drawn once for all the checks,
    as check_op does: drawing the inputs costs more than most checks). A failure names the
    op and the check (``op 'sin': vjp check failed: ...``)."""
    arrays, params = data.draw(strategies.op_inputs(op), label=f"{op.name} inputs")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    for check in _checks(op):
        if (op.name, check) not in KNOWN_BUGS:
            PROPERTY_CHECKS[check](op, arrays, params, seed)


@pytest.mark.parametrize(("op", "check"), [
    pytest.param(registry.get(name), check, id=f"{name}-{check}",
                 marks=pytest.mark.xfail(reason=bug, raises=OpCheckError))
    for (name, check), bug in KNOWN_BUGS.items()])
@SUITE_SETTINGS
@given(data=st.data())
def test_known_bug(op: Op, check: str, data: st.DataObject) -> None:
    arrays, params = data.draw(strategies.op_inputs(op), label=f"{op.name} inputs")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    PROPERTY_CHECKS[check](op, arrays, params, seed)


def test_suite_covers_every_registered_op() -> None:
    assert len(OPS) >= 30
    assert {op.name for op in OPS} == set(IDS)


def test_every_fast_variant_is_checked_against_the_rules() -> None:
    # each hand-written or derived fast variant of an op (Hints) has its agreement check
    cases = {c.id for c in _cases()}
    fields = {"array_vjp": "array_rules", "batch_array_vjp": "array_rules",
              "batch_jvp": "batched_jvp", "scalar_forward": "scalar_path"}
    missing = [f"{op.name}-{check}" for op in OPS if differentiable_inputs(op)
               for field, check in fields.items()
               if getattr(op.hints, field) is not None and f"{op.name}-{check}" not in cases]
    assert not missing
    assert sum(op.hints.array_vjp is not None for op in OPS) >= 40  # (the check can see them)


def test_coverage_table_is_current() -> None:
    committed = DEFAULT_PATH.read_text() if DEFAULT_PATH.exists() else ""
    assert committed == coverage_table(OPS), (
        "docs/ops-coverage.md is stale: regenerate it with `python -m dualad.testing`")


# ---------------------------------------------- the suite fails on wrong rules

def _temporary(op: Op):
    class _Registered:
        def __enter__(self) -> Op:
            return register_op(op)

        def __exit__(self, *exc: object) -> None:
            registry._REGISTRY.pop(op.name, None)

    return _Registered()


def _cube(**overrides: object) -> Op:
    fields = dict(
        name="_test_cube", forward=lambda x: x ** 3,
        vjp=(lambda g, out, x: g * 3 * x * x,), jvp=(lambda t, out, x: t * 3 * x * x,),
        sympy=lambda x: x ** 3, domain=Domain(ranges=((((-2.0, 2.0),)),)), elementwise=True)
    fields.update(overrides)
    return Op(**fields)


def test_correct_temporary_op_passes() -> None:
    with _temporary(_cube()):
        check_op("_test_cube", max_examples=5)
    assert "_test_cube" not in {op.name for op in registry.ops()}


@pytest.mark.parametrize(("overrides", "check"), [
    ({"vjp": (lambda g, out, x: g * 2 * x * x,)}, "vjp"),
    ({"jvp": (lambda t, out, x: t * 3 * x,)}, "jvp"),
    ({"sympy": lambda x: x ** 2}, "sympy"),
    ({"hints": Hints(scalar_forward=lambda x: x ** 2)}, "scalar_path"),
    ({"hints": Hints(array_vjp=(lambda g, out, x: g * 3 * x,))}, "array_rules"),
    ({"elementwise": False, "hints": Hints(array_vjp=True, batch_array_vjp=(
        lambda g, out, x: g * 2 * x * x,))}, "array_rules"),
    ({"elementwise": False, "hints": Hints(batch_jvp=(lambda t, out, x: t * 2 * x * x,))},
     "batched_jvp"),
], ids=["wrong-vjp", "wrong-jvp", "wrong-sympy", "wrong-scalar-forward", "wrong-array-vjp",
        "wrong-batch-array-vjp", "wrong-batch-jvp"])
def test_suite_fails_on_a_wrong_rule(overrides: dict, check: str) -> None:
    with _temporary(_cube(**overrides)):
        with pytest.raises(OpCheckError, match=f"op '_test_cube': {check}"):
            check_op("_test_cube", max_examples=10, checks=[check], shrink=False)


@pytest.mark.parametrize(("reads", "fails"), [
    (((1,), (0,)), False),
    (((), (0,)), True),  # input 0's rule reads input 1 without declaring it
], ids=["declared", "undeclared-read"])
def test_saved_values_check_catches_an_undeclared_read(reads: tuple, fails: bool) -> None:
    op = Op(name="_test_mul", forward=np.multiply, vjp=(lambda g, out, x, y: g * y,
                                                        lambda g, out, x, y: g * x),
            jvp=(lambda t, out, x, y: t * y, lambda t, out, x, y: t * x),
            sympy=lambda x, y: x * y, domain=Domain(ranges=(((-2.0, 2.0),), ((-2.0, 2.0),))),
            elementwise=True, hints=Hints(reads=reads))
    with _temporary(op):
        if not fails:
            check_op("_test_mul", max_examples=5, checks=["saved_values"])
            return
        with pytest.raises(OpCheckError, match="op '_test_mul': saved_values check failed.*"
                           "does not declare"):
            check_op("_test_mul", max_examples=5, checks=["saved_values"], shrink=False)


def test_suite_fails_on_a_derived_array_rule_whose_math_disagrees() -> None:
    # the raw-array rule of an elementwise op is its partial computed with the NumPy
    # forwards (ARRAY_MATH): a partial that means something else there is caught
    def partial(m, out, x):
        return m.cos(x) if m is TENSOR_MATH else m.sin(x)

    op = elementwise("_test_sin", np.sin, (partial,), lambda x: x, (((-2.0, 2.0),),))
    try:
        with pytest.raises(OpCheckError, match="op '_test_sin': array_rules"):
            check_op("_test_sin", max_examples=10, checks=["array_rules"], shrink=False)
    finally:
        withdraw(op.name)
    assert not hasattr(TENSOR_MATH, op.name) and not hasattr(ARRAY_MATH, op.name)


def _math_arguments(op: Op, rng: np.random.Generator) -> list[np.ndarray]:
    """Arguments for ``op``'s entries in the Math namespaces, drawn from its test domain."""
    if op.name == "where":
        return [rng.random((3, 4)) > 0.5, rng.standard_normal((3, 4)),
                rng.standard_normal((3, 4))]
    return [rng.uniform(*intervals[0], size=(3, 4)) for intervals in op.domain.ranges]


def test_math_namespaces_hold_the_same_ops() -> None:
    # a partial means the same with either: the op function on Tensors, its forward on arrays
    assert vars(TENSOR_MATH).keys() == vars(ARRAY_MATH).keys()
    assert len(vars(TENSOR_MATH)) >= 40
    rng = np.random.default_rng(5)
    for name, function in vars(TENSOR_MATH).items():
        op = registry.get(name)
        args = _math_arguments(op, rng)
        with np.errstate(all="ignore"):
            got = function(*[dualad.tensor(a) for a in args])
            want = getattr(ARRAY_MATH, name)(*args)
        assert isinstance(got, dualad.Tensor), name
        np.testing.assert_array_equal(got.numpy(), want, err_msg=name)


def test_suite_fails_on_a_rule_that_is_not_differentiable_again() -> None:
    # first order right, but the rule leaves dualad for NumPy: the second order is lost
    def vjp(g, out, x):
        return g * dualad.tensor(3 * x.detach().numpy() ** 2)

    with _temporary(_cube(vjp=(vjp,))):
        check_op("_test_cube", max_examples=3, checks=["vjp"])
        with pytest.raises(OpCheckError, match="op '_test_cube': second order"):
            check_op("_test_cube", max_examples=10, checks=["second_order"],
                         shrink=False)


def test_suite_fails_on_a_wrong_kink_declaration() -> None:
    kink = registry.Kink("x == 0", ((0.0,),), (1.0,), 2, "wrong on purpose")
    op = _cube(name="_test_relu", forward=lambda x: np.maximum(x, 0.0),
               vjp=(lambda g, out, x: g * (x > 0),), jvp=(lambda t, out, x: t * (x > 0),),
               kinks=(kink,))
    with _temporary(op):
        with pytest.raises(OpCheckError, match="op '_test_relu': kinks check failed"):
            check_kinks(op)


def test_an_op_missing_a_field_fails_naming_it() -> None:
    op = _cube()
    op.sympy = None  # registration refuses it, so simulate an entry edited afterwards
    with pytest.raises(OpCheckError, match="op '_test_cube': fields check failed: field 'sympy'"):
        check_fields(op)
    op = _cube(domain=Domain(ranges=()))
    with pytest.raises(OpCheckError, match="domain.ranges has 0 entries"):
        check_fields(op)


def test_reads_output_must_name_inputs() -> None:
    with pytest.raises(ValueError, match="reads_output holds input indices, each below 1"):
        _cube(hints=Hints(saves_output=True, reads_output=(1,)))


def test_hints_are_fixed_when_the_op_is_declared() -> None:
    # execution hints are a frozen record, resolved once: nothing patches an op afterwards
    import dataclasses

    mul = registry.get("mul")
    with pytest.raises(dataclasses.FrozenInstanceError):
        mul.hints.saves = ()  # type: ignore[misc]
    assert mul.hints.saves == (0, 1) and mul.hints.keeps[0b01] == (1,)  # x's rule reads y
    again = Op(name="_test_again", forward=np.multiply, vjp=mul.vjp, jvp=mul.jvp,
               sympy=mul.sympy, domain=mul.domain, elementwise=True, hints=mul.hints)
    assert again.hints == mul.hints and again.hints.keeps == mul.hints.keeps


def test_suite_fails_on_a_wrong_jvp_in_the_sympy_check() -> None:
    # the SymPy check's derivative part (the partials of an elementwise op's form, worked
    # out once per op) catches a forward rule that disagrees with the form's derivative
    with _temporary(_cube(jvp=(lambda t, out, x: t * 2 * x * x,))):
        with pytest.raises(OpCheckError, match="op '_test_cube': sympy check failed: "
                           "forward-mode <u, J v> vs the derivative of the sympy form"):
            check_op("_test_cube", max_examples=10, checks=["sympy"], shrink=False)


@pytest.mark.parametrize(("name", "arrays"), [
    ("sin", (np.array([[0.3, -1.2, 2.0]]),)),
    ("arctan2", (np.array([[0.5], [-1.5]]), np.array([0.7, -0.2, 1.1]))),  # broadcast
    ("clamp", (np.array([-2.0, 0.1, 0.9]), np.array(-1.0), np.array(1.0))),
    ("where", (np.array([True, False, True]), np.array([1.0, 2.0, 3.0]), np.array(-0.5))),
    ("pow", (np.array(1.3), np.array([2.0, -0.5]))),
])
def test_cached_elementwise_sympy_partials_give_the_general_derivative(
        name: str, arrays: tuple) -> None:
    # the elementwise path of the SymPy check (cached partials evaluated per element) equals
    # the general one (d/dt of the form at x + t v, built and differentiated by SymPy)
    from dualad.testing import opcheck

    op = registry.get(name)
    rng = np.random.default_rng(3)
    args = [opcheck._to_sympy(a) for a in arrays]
    vs = [rng.standard_normal(np.shape(arrays[i])) for i in opcheck.differentiable_inputs(op)]
    u = rng.standard_normal(np.broadcast_shapes(*[np.shape(a) for a in arrays]))
    general = opcheck._sympy_derivative(op, args, {}, vs, u)
    assert opcheck._sympy_elementwise_derivative(op, args, {}, vs, u) == pytest.approx(
        general, rel=1e-12, abs=1e-14)
    assert opcheck._sympy_elementwise_derivative(op, args, {}, vs, u) == pytest.approx(
        general, rel=1e-12, abs=1e-14)  # again, from the cache
    assert general != 0

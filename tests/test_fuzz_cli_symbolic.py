"""Fuzzing the CLI and the symbolic export (issue 18, "Done").

Every run must end within a few seconds with exit code 0 (agree), 1 (mismatch)
or 2 (bad input, one line on stderr), never a traceback; every export must give
an expression or raise one of the documented errors, never hang or recurse.
Most examples call ``main()`` in-process; a few run the real entry point.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dualad as da
from dualad import cli_check
from dualad.__main__ import main
from dualad.symbolic import GraphTooLarge, compare, gradient, to_sympy

SECONDS = 10.0  # per run, generous for a shared 2-core CI machine


def _main(argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)`` in-process: its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _run(argv: list[str]) -> tuple[int, str, str]:
    t0 = time.perf_counter()
    code, out, err = _main(argv)
    assert time.perf_counter() - t0 < SECONDS, argv
    assert code in (0, 1, 2), (argv, code)
    assert "Traceback" not in out + err, (argv, err)
    if code == 2:
        assert out == "" and err.startswith("error: ") and err.count("\n") == 1, (argv, err)
    else:
        assert err == "" and "worst relative error" in out, (argv, out, err)
    return code, out, err


# ------------------------------------------------------------ strategies

_NUMBERS = st.one_of(
    st.integers(0, 10**6).map(str),
    st.floats(0, 1e6, allow_nan=False).map(repr),
    st.sampled_from(["0", "1e308", "1e400", "10**400", "9**9**9", "0.5", "pi", "1e-320",
                     "123456789012345678901234567890"]),
)
_NAMES = st.sampled_from(["x", "y", "z1"])
_UNARY = st.sampled_from(sorted(n for n, v in cli_check.FUNCTIONS.items()
                                if v not in ("maximum", "minimum")))
_BINARY_FN = st.sampled_from(["max", "min"])
_OPS = st.sampled_from(["+", "-", "*", "/", "**", "^"])


def _expressions() -> st.SearchStrategy[str]:
    leaf = st.integers(0, 3).flatmap(lambda k: _NUMBERS if k == 0 else _NAMES)  # mostly names
    return st.recursive(leaf, lambda inner: st.one_of(
        st.tuples(inner, _OPS, inner).map(lambda t: f"({t[0]}){t[1]}({t[2]})"),
        st.tuples(_UNARY, inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(_BINARY_FN, inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        inner.map(lambda e: f"-{e}"),
    ), max_leaves=12)


_VALUES = st.one_of(st.floats(-5, 5, allow_nan=False).map(repr),
                    st.floats(-5, 5, allow_nan=False).map(repr),
                    st.sampled_from(["0", "-1", "1", "1000", "-0.0", "1e-300", "nan", "inf",
                                     "1e999", "abc", ""]))


@st.composite
def _points(draw: st.DrawFn) -> str:
    names = draw(st.lists(_NAMES, min_size=0, max_size=3))
    return ",".join(f"{n}={draw(_VALUES)}" for n in names)


# ------------------------------------------------------------ the CLI

@settings()
@given(data=st.data(), expression=_expressions(),
       eps=st.sampled_from(["1e-6", "1e-6", "1e-4", "0", "-1", "nan", "0.5"]))
def test_random_expressions_end_with_exit_0_1_or_2(data, expression, eps):
    names = sorted(set(re.findall(r"\b(?:x|y|z1)\b", expression)))
    at = ",".join(f"{n}={data.draw(_VALUES, label=n)}" for n in names)
    if data.draw(st.booleans(), label="a wrong point"):
        at = data.draw(_points(), label="at")
    _run(["check", "--at", at or "x=1", "--eps", eps, "--", expression])


@settings()
@given(expression=st.text(max_size=80), at=st.text(max_size=30))
def test_arbitrary_text_ends_with_exit_0_1_or_2(expression, at):
    _run(["check", "--at", at, "--", expression])


@settings()
@given(argv=st.lists(st.one_of(st.text(max_size=12),
                               st.sampled_from(["check", "demo", "--at", "--eps", "--", "-x",
                                                "x", "x=1", "--plot", "-h9"])), max_size=6))
def test_arbitrary_command_lines_end_with_exit_0_1_or_2(argv):
    if "demo" in argv or any(a in ("-h", "--help") or a.startswith("-h") and a != "-h9"
                             for a in argv):
        return  # the demo and the help are not input checks
    try:
        code, out, err = _main(argv)
    except SystemExit as exc:  # only --help may exit, with 0
        pytest.fail(f"{argv}: SystemExit({exc.code})")
    assert code in (0, 1, 2) and "Traceback" not in out + err, (argv, err)


@pytest.mark.parametrize("argv", [
    ["check", "sin(x)*exp(y)", "--at", "x=1,y=2"],
    ["check", "9**9**9*x", "--at", "x=1"],
    ["check", "\uff58", "--at", "x=1"],
])
def test_the_entry_point_never_prints_a_traceback(argv):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run([sys.executable, "-m", "dualad", *argv], capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode in (0, 2) and "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0 or proc.stderr.count("\n") == 1


# ------------------------------------------------------------ the symbolic export

def _unary_ops() -> dict:
    return {"sin": da.sin, "exp": da.exp, "tanh": da.tanh, "relu": da.relu, "abs": da.abs,
            "square": lambda a: a * a, "round": da.round, "sqrt1p": lambda a: da.sqrt(1 + a * a)}


_STEPS = ["unary", "sum", "matmul", "cumsum", "softmax", "getitem", "chain", "mul", "amax",
          "var", "outer"]


@st.composite
def _graphs(draw: st.DrawFn) -> tuple:
    """A random program on a vector leaf (see :func:`_build`): its size, steps, the unary
    ops they use, the depth of a chain and a seed."""
    n = draw(st.sampled_from([1, 3, 8, 200, 3000]))
    steps = draw(st.lists(st.sampled_from(_STEPS), min_size=1, max_size=5))
    names = [draw(st.sampled_from(sorted(_unary_ops()))) for _ in steps]
    return n, tuple(zip(steps, names)), draw(st.sampled_from([2, 60, 2000])), \
        draw(st.integers(0, 2**16))


def _build(graph: tuple, x: da.Tensor) -> da.Tensor:
    """Elementwise ops, reductions, matmul, cumsum, softmax, indexing, deep chains and large
    sizes (to hit the guards)."""
    _, steps, depth, seed = graph
    rng = np.random.default_rng(seed)
    unary = _unary_ops()
    y = x
    for step, name in steps:
        if y.ndim == 0:
            y = da.stack([y, y * 2.0])
        if step == "unary":
            y = unary[name](y)
        elif step == "sum":
            y = y.sum()
        elif step == "matmul":
            y = da.tensor(rng.random((y.shape[0], y.shape[0]))) @ y
        elif step == "cumsum":
            y = da.cumsum(y, 0)
        elif step == "softmax":
            y = da.softmax(y, 0)
        elif step == "getitem":
            y = y[: max(1, y.shape[0] // 2)]
        elif step == "chain":
            for _ in range(depth):
                y = da.sin(y)
        elif step == "mul":
            y = y * y[::-1]
        elif step == "amax":
            y = da.amax(y)
        elif step == "var":
            y = da.var(y)
        elif step == "outer":
            y = (y[:, None] * y[None, :]).sum(0)
    return y


@settings()
@given(graph=_graphs())
def test_random_graphs_export_or_refuse_quickly(graph):
    x = da.tensor(np.linspace(-0.9, 0.9, graph[0]), requires_grad=True, name="x")
    y = _build(graph, x)
    for export in (lambda: to_sympy(y), lambda: gradient(y, x)):
        t0 = time.perf_counter()
        try:
            export()
        except GraphTooLarge:
            assert time.perf_counter() - t0 < 1.0  # refused before building
        except ValueError as exc:  # a constant SymPy cannot order (nan in amax, ...)
            assert "sympy form of op" in str(exc)
        assert time.perf_counter() - t0 < SECONDS


@settings()
@given(graph=_graphs())
def test_compare_on_random_graphs_gives_a_verdict_per_row(graph):
    if graph[0] > 8:
        return  # compare differentiates element by element: small inputs only
    t0 = time.perf_counter()
    report = compare(lambda x: _build(graph, x), da.tensor(np.linspace(-0.9, 0.9, graph[0]),
                                                           name="x"))
    assert time.perf_counter() - t0 < 3 * SECONDS
    assert all(r.status in ("ok", "kink", "singular", "MISMATCH") for r in report.rows)
    assert report.ok == all(r.status in ("ok", "kink") for r in report.rows)
    text = str(report)
    assert ("all agree" in text) == all(r.status == "ok" for r in report.rows)

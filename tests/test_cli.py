"""``python -m dualad check``: the comparison table, exit codes and the input whitelist."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest
import sympy as sp

import dualad as da
from dualad import cli_check
from dualad.__main__ import main
from dualad.registry import Domain, Op, apply


def check(capsys, *args):
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_prints_the_table_and_exits_0_when_all_agree(capsys):
    code, out, err = check(capsys, "sin(x)*exp(y)", "--at", "x=1,y=2")
    assert code == 0 and err == ""
    assert "d/dx" in out and "d/dy" in out and "all agree" in out
    # the symbolic column holds the closed form cos(1) e^2
    assert f"{np.cos(1.0) * np.exp(2.0):.10g}" in out


def test_entry_point_runs_as_a_module(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run([sys.executable, "-m", "dualad", "check", "x**2 - 3*x", "--at",
                           "x=0.5"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "-2" in proc.stdout  # d/dx (x^2 - 3x) at 0.5


def test_relu_at_zero_is_a_kink_not_a_mismatch(capsys):
    code, out, _ = check(capsys, "relu(x) + x^2", "--at", "x=0")
    assert code == 0
    assert "kink" in out and "relu" in out


@pytest.mark.parametrize("text", [
    "__import__('os').system('touch /tmp/dualad_cli_pwned')",
    "__import__('os')",
    "x.__class__",
    "(lambda: 1)()",
    "x + __builtins__",
    "open('f')",
    "[x for x in y]",
    "x if y else x",
    "'abc'",
    "x[0]",
    "eval('1')",
])
def test_rejects_anything_outside_the_whitelist(capsys, text):
    code, out, err = check(capsys, text, "--at", "x=1,y=2")
    assert code == 2
    assert "not allowed" in err, err
    assert out == ""
    assert not os.path.exists("/tmp/dualad_cli_pwned")


@pytest.mark.parametrize("text, at, message", [
    ("sin(x", "x=1", "could not parse"),
    ("sin(x) +", "x=1", "could not parse"),
    ("sin(x)", "y=1", "give a value for x"),
    ("sin(x)", "x=1,y=2", "y do(es) not occur"),
    ("sin(x)", "x=abc", "must be a number"),
    ("sin(x)", "x", "name=value"),
    ("sin", "x=1", "is a function"),
    ("sin(x, x)", "x=1", "takes 1 argument"),
    ("3 + 4", "", "no variables"),
])
def test_bad_input_gets_a_clear_error_and_exit_code_2(capsys, text, at, message):
    code, _, err = check(capsys, text, "--at", at)
    assert code == 2
    assert message in err


def test_mismatch_exits_1(capsys, monkeypatch):
    wrong = Op(name="wrong_cos", forward=np.cos, vjp=(lambda g, out, x: g * da.sin(x),),
               jvp=(lambda t, out, x: t * da.sin(x),), sympy=sp.cos,
               domain=Domain(ranges=(((-1.0, 1.0),),)), elementwise=True)
    monkeypatch.setitem(cli_check.FUNCTIONS, "wrongcos", "wrong_cos")
    monkeypatch.setattr(da, "wrong_cos", lambda x: apply(wrong, x), raising=False)
    code, out, _ = check(capsys, "wrongcos(x)", "--at", "x=0.5")
    assert code == 1
    assert "MISMATCH" in out


def test_parse_keeps_structure_and_maps_to_dualad_ops():
    expr, symbols = cli_check.parse("x^2/y - max(x, y)")
    f = cli_check.to_function(expr, ["x", "y"])
    assert f(da.tensor(1.0), da.tensor(4.0)).item() == pytest.approx(1 / 4 - 4)
    x, y = symbols["x"], symbols["y"]
    assert x.is_real and y.is_real
    assert str(expr) == "x**2/y - max(x, y)"  # a parse tree: functions stay unevaluated


# ------------------------------------------------ issue 18: bad input is exit 2, one line

_SUM_3000 = "+".join(["x"] * 3000)
_NESTED_199 = "sin(" * 199 + "x" + ")" * 199
_LONG_FLOAT = "1." + "1" * 100_000 + "*x"


@pytest.mark.parametrize("args, message", [
    (["x/0", "--at", "x=1"], "divides by zero"),
    (["0/0+x", "--at", "x=1"], "divides by zero"),
    (["10**400*x", "--at", "x=1"], "too large for a 64-bit float"),
    (["9**9**9*x", "--at", "x=1"], "too large for a 64-bit float"),
    ([_SUM_3000, "--at", "x=1"], "at most 1,000 are accepted"),
    ([_NESTED_199, "--at", "x=1"], "nested 199 levels deep"),
    (["\uff58", "--at", "x=1"], "U+FF58"),  # a full-width x
    (["sin(x)", "--at", "x=1", "--eps", "0"], "--eps: must be a positive step"),
    (["sin(x)", "--at", "x=1", "--eps", "nan"], "--eps: must be a positive step"),
    (["sin(x)", "--at", "x=1", "--eps", "inf"], "--eps: must be a positive step"),
    (["-x", "--at", "x=1"], "goes after --"),
    (["sin(x)", "--at", "x=inf"], "must be finite"),
    (["sin(x)"], "required: --at"),
    (["log(x)", "--at", "x=-1"], "the expression is nan at x=-1"),
    (["x/y", "--at", "x=1,y=0"], "the expression is inf at x=1, y=0"),
    (["exp(x)", "--at", "x=1000"], "the expression is inf at x=1000"),
])
def test_bad_input_exits_2_with_one_line_never_a_traceback(capsys, args, message):
    # issue 18: these exited 1 (the mismatch code) with a traceback, or hung
    code, out, err = check(capsys, *args)
    assert code == 2, (code, out, err)
    assert out == "" and err.count("\n") == 1 and err.startswith("error: "), err
    assert message in err, err


def test_a_huge_float_literal_is_refused_at_once(capsys):
    # issue 18: a float literal of 100,000 digits took over a minute to parse
    t0 = time.perf_counter()
    code, _, err = check(capsys, _LONG_FLOAT, "--at", "x=1")
    assert code == 2 and "100,004 characters" in err
    assert time.perf_counter() - t0 < 1.0


def test_an_expression_starting_with_minus_works_after_double_dash(capsys):
    code, out, _ = check(capsys, "--at", "x=2", "--", "-x**2")
    assert code == 0 and "-4" in out  # d/dx (-x^2) at 2


def test_kink_rows_and_the_summary_agree(capsys):
    # issue 18: rows showed a relative error of inf while the summary said "all agree"
    for expr, at in [("sign(x)", "x=0"), ("min(x, 0)", "x=0"), ("sqrt(x)", "x=0")]:
        code, out, _ = check(capsys, expr, "--at", at)
        assert code == 0, out
        assert "all agree" not in out and "1 at a kink" in out, out
        row = out.splitlines()[4]
        assert "0.0e+00" in row and "kink" in row, out  # the error compared: forward's

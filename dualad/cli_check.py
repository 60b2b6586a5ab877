"""``python -m dualad check EXPR --at x=1,y=2``: the four derivatives of an expression, compared.

The expression is parsed with SymPy's ``parse_expr`` under a whitelist: it is
first checked with Python's ``ast`` module, so only numbers, variable names,
``+ - * / ** ^``, parentheses and calls of the whitelisted functions get
through (no attribute access, no strings, no lambdas, no builtins); SymPy then
evaluates the checked text with empty builtins. The parsed expression is
mapped to dualad ops by a small table and handed to
:func:`dualad.symbolic.compare`.

>>> main(["sin(x)*exp(y)", "--at", "x=1,y=2"])  # doctest: +ELLIPSIS
expression: exp(y)*sin(x)
at: x=1, y=2
...
0
"""

from __future__ import annotations

import argparse
import ast
import math
import re
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp
from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

import dualad as da

# name in the expression -> name of the dualad function
FUNCTIONS: dict[str, str] = {
    "sin": "sin", "cos": "cos", "tan": "tan", "exp": "exp", "log": "log", "sqrt": "sqrt",
    "tanh": "tanh", "sinh": "sinh", "cosh": "cosh", "arcsin": "arcsin", "arccos": "arccos",
    "arctan": "arctan", "asin": "arcsin", "acos": "arccos", "atan": "arctan",
    "expm1": "expm1", "log1p": "log1p", "abs": "abs", "sign": "sign", "relu": "relu",
    "sigmoid": "sigmoid", "softplus": "softplus", "max": "maximum", "min": "minimum",
    "maximum": "maximum", "minimum": "minimum",
}
CONSTANTS = {"pi": math.pi}
MAX_LENGTH = 1000
"""Longest expression (and --at text) accepted, in characters."""
MAX_DEPTH = 100
"""Deepest nesting of an expression (operators and calls) accepted."""
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.BitXor, ast.USub, ast.UAdd)


class CheckInputError(ValueError):
    """The expression or the point is not acceptable (exit code 2)."""


def _available() -> dict[str, Callable]:
    return {k: getattr(da, v) for k, v in FUNCTIONS.items() if hasattr(da, v)}


def validate(text: str) -> set[str]:
    """Check ``text`` against the whitelist; return the variable names it uses.

    >>> sorted(validate("sin(x) * y**2"))
    ['x', 'y']
    >>> validate("__import__('os')")
    Traceback (most recent call last):
    ...
    dualad.cli_check.CheckInputError: ...
    """
    _check_text(text, "the expression")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise CheckInputError(f"could not parse the expression {_short(text)}: {exc.msg}. "
                              "Write it like sin(x)*exp(y).") from None
    except (RecursionError, MemoryError):
        raise CheckInputError(f"the expression is nested too deeply to parse (at most "
                              f"{MAX_DEPTH} levels)") from None
    depth = _depth(tree)
    if depth > MAX_DEPTH:
        raise CheckInputError(f"the expression is nested {depth} levels deep (operators and "
                              f"calls); at most {MAX_DEPTH} are accepted")
    functions = _available()
    targets = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Expression, ast.Load) + _OPERATORS):
            continue
        if isinstance(node, (ast.BinOp, ast.UnaryOp)):
            if not isinstance(node.op, _OPERATORS):
                raise CheckInputError(f"operator {type(node.op).__name__} is not allowed; use "
                                      "+ - * / ** (or ^)")
            continue
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise CheckInputError(f"the constant {node.value!r} is not allowed: only "
                                      "numbers are")
            continue
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in functions:
                raise CheckInputError(f"calling {ast.unparse(node.func)!r} is not allowed; the "
                                      "functions you can use are: "
                                      f"{', '.join(sorted(functions))}")
            if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
                raise CheckInputError(f"{node.func.id}() takes plain positional arguments")
            want = 2 if FUNCTIONS[node.func.id] in ("maximum", "minimum") else 1
            if len(node.args) != want:
                raise CheckInputError(f"{node.func.id}() takes {want} argument(s), got "
                                      f"{len(node.args)}")
            continue
        if isinstance(node, ast.Name):
            if node.id in functions:
                if id(node) not in targets:
                    raise CheckInputError(f"{node.id} is a function: call it, e.g. "
                                          f"{node.id}(x)")
                continue
            if not _NAME.match(node.id):
                raise CheckInputError(f"the name {node.id!r} is not allowed: variable names "
                                      "start with a letter and use letters, digits and _")
            if node.id not in CONSTANTS:
                names.add(node.id)
            continue
        raise CheckInputError(
            f"{type(node).__name__} is not allowed in an expression (only numbers, variable "
            "names, + - * / ** ^, parentheses and calls of whitelisted functions)")
    return names


def _short(text: str, limit: int = 60) -> str:
    """``text`` quoted, cut to ``limit`` characters for an error message."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text):,} chars)"


def _check_text(text: str, what: str) -> None:
    """Refuse text that is too long or not ASCII (before any parsing)."""
    if len(text) > MAX_LENGTH:
        raise CheckInputError(f"{what} is {len(text):,} characters long; at most "
                              f"{MAX_LENGTH:,} are accepted")
    bad = next((c for c in text if not (c.isascii() and (c.isprintable() or c in " \t"))),
               None)
    if bad is not None:
        raise CheckInputError(f"{what} contains the character {bad!r} (U+{ord(bad):04X}); "
                              "write it in plain ASCII, e.g. sin(x)*exp(y)")


def _depth(tree: ast.AST) -> int:
    """The nesting depth of an expression tree (iteratively: deep trees are the point)."""
    deepest, stack = 0, [(tree, 0)]
    while stack:
        node, d = stack.pop()
        if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Call)):
            d += 1
        deepest = max(deepest, d)
        stack.extend((child, d) for child in ast.iter_child_nodes(node))
    return deepest


def parse(text: str) -> tuple[sp.Expr, dict[str, sp.Symbol]]:
    """The expression as SymPy (unevaluated, so it keeps its structure) and its symbols.

    >>> expr, symbols = parse("sin(x)*exp(y)")
    >>> expr, sorted(symbols)
    (exp(y)*sin(x), ['x', 'y'])
    """
    names = validate(text)
    symbols = {n: sp.Symbol(n, real=True) for n in sorted(names)}
    functions = {k: sp.Function(k) for k in _available()}
    global_dict: dict[str, Any] = {"__builtins__": {}, "Symbol": sp.Symbol,
                                   "Integer": sp.Integer, "Float": sp.Float,
                                   "Rational": sp.Rational, "Add": sp.Add, "Mul": sp.Mul,
                                   "Pow": sp.Pow, **functions}
    local_dict: dict[str, Any] = {**symbols, **{k: sp.Float(v) for k, v in CONSTANTS.items()}}
    try:
        expr = parse_expr(text.strip(), local_dict=local_dict, global_dict=global_dict,
                          transformations=standard_transformations + (convert_xor,),
                          evaluate=False)
    except Exception as exc:  # parse_expr raises many types on malformed input
        raise CheckInputError(f"could not parse the expression {text!r}: {exc}") from None
    return expr, symbols


def to_function(expr: sp.Expr, names: list[str]) -> Callable:
    """A function of dualad tensors (one per name, in order) computing ``expr`` with dualad ops.

    >>> expr, _ = parse("x*x + 1")
    >>> f = to_function(expr, ["x"])
    >>> f(da.tensor(3.0)).item()
    10.0
    """
    functions = _available()

    def build(e: sp.Basic, env: dict) -> Any:
        if e.is_Symbol:
            return env[e.name]
        if e.is_Number or e.is_NumberSymbol:
            return float(e)
        args = [build(a, env) for a in e.args]
        if e.is_Add:
            return _fold(da.add, args)
        if e.is_Mul:
            return _fold(da.mul, args)
        if e.is_Pow:
            return da.pow(*args) if any(isinstance(a, da.Tensor) for a in args) \
                else args[0] ** args[1]
        name = type(e).__name__
        if name in functions:
            return functions[name](*args)
        raise CheckInputError(f"cannot map {name} to a dualad op")

    def f(*tensors: Any) -> Any:
        try:
            out = build(expr, dict(zip(names, tensors)))
            return out if isinstance(out, da.Tensor) else da.tensor(float(out))
        except ZeroDivisionError:
            raise CheckInputError("the expression divides by zero (a constant 0 in a "
                                  "denominator, or 0 to a negative power)") from None
        except OverflowError:
            raise CheckInputError("a constant in the expression is too large for a 64-bit "
                                  "float (about 1.8e308 at most)") from None

    return f


def _fold(fn: Callable, args: list) -> Any:
    out = args[0]
    for a in args[1:]:
        out = fn(out, a) if isinstance(out, da.Tensor) or isinstance(a, da.Tensor) else \
            fn(da.tensor(out), a)
    return out


def parse_point(text: str, names: set[str]) -> dict[str, float]:
    """``"x=1,y=2"`` as ``{"x": 1.0, "y": 2.0}``; every name of the expression needs a value."""
    _check_text(text, "--at")
    point: dict[str, float] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        name, eq, value = item.partition("=")
        name = name.strip()
        if not eq or not _NAME.match(name):
            raise CheckInputError(f"--at: expected name=value pairs like x=1,y=2, got {item!r}")
        if name in point:
            raise CheckInputError(f"--at: {name} is given twice")
        try:
            point[name] = float(value)
        except ValueError:
            raise CheckInputError(f"--at: the value of {name} must be a number, got "
                                  f"{_short(value.strip())}") from None
        if not math.isfinite(point[name]):
            raise CheckInputError(f"--at: the value of {name} must be finite, got "
                                  f"{value.strip()}")
    missing = sorted(names - set(point))
    extra = sorted(set(point) - names)
    if missing:
        raise CheckInputError(f"--at: give a value for {', '.join(missing)} (e.g. --at "
                              + ",".join(f"{n}=1" for n in sorted(names)) + ")")
    if extra:
        raise CheckInputError(f"--at: {', '.join(extra)} do(es) not occur in the expression")
    return point


def _step(text: str) -> float:
    """``--eps``: a positive finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {_short(text)}") from None
    if not (math.isfinite(value) and 0 < value < 1):
        raise argparse.ArgumentTypeError(f"must be a positive step below 1, got {text}")
    return value


class UsageError(Exception):
    """A bad command line (argparse's complaint), reported in one line with exit code 2."""


class Parser(argparse.ArgumentParser):
    """An argument parser that raises :class:`UsageError` instead of printing the usage and
    exiting, so that every bad input gets one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        if "required: expression" in message or "unrecognized arguments" in message:
            message += (" (an expression that starts with '-' goes after --, e.g. "
                        "python -m dualad check --at x=1 -- -x)")
        raise UsageError(message)


def add_parser(sub: Any) -> None:
    """Register the ``check`` subcommand on an argparse subparsers object."""
    p = sub.add_parser("check", help="compare reverse, forward, symbolic and numeric "
                       "derivatives of an expression",
                       description="Compare reverse mode, forward mode, the symbolic "
                       "derivative and finite differences of EXPR at a point. Exit code 0: "
                       "all agree (or differ only at a kink, by dualad's convention); 1: a "
                       "mismatch; 2: bad input, or a point where the expression is not "
                       "finite.")
    p.add_argument("expression", help='e.g. "sin(x)*exp(y)"; functions: '
                   + ", ".join(sorted(FUNCTIONS)))
    p.add_argument("--at", required=True, metavar="x=1,y=2", help="the point")
    p.add_argument("--eps", type=_step, default=1e-6, help="finite-difference step (a "
                   "positive number, 1e-6 by default)")


def run(args: argparse.Namespace) -> int:
    """Run the check for parsed arguments; returns the exit code."""
    try:
        expr, symbols = parse(args.expression)
        point = parse_point(args.at, set(symbols))
        names = sorted(symbols)
        f = to_function(expr, names)
        inputs = [da.tensor(point[n], name=n) for n in names]
        if not inputs:
            raise CheckInputError("the expression has no variables to differentiate")
        where = ", ".join(f"{n}={point[n]:g}" for n in names)
        with np.errstate(all="ignore"):
            value = float(f(*inputs).item())
        if not math.isfinite(value):
            raise CheckInputError(
                f"the expression is {value} at {where} (a division by zero, a point outside "
                "the domain of a function, or an overflow): its derivative is not defined "
                "there; choose another point")
        report = da.symbolic.compare(f, *inputs, eps=args.eps)
    except CheckInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"expression: {expr}")
    print(f"at: {where}")
    print(report)
    if report.mismatches:
        return 1
    return 0 if report.ok else 2


def guarded(parse_and_run: Callable[[], int]) -> int:
    """Run a command line: a usage error or an input too large for Python's parser or
    SymPy prints one line on stderr and gives exit code 2, never a traceback."""
    try:
        return parse_and_run()
    except UsageError as exc:
        message = f"error: {exc}"
    except (RecursionError, MemoryError):
        message = ("error: the expression is too large or too deeply nested to check; "
                   "simplify it")
    except da.symbolic.GraphTooLarge as exc:
        message = f"error: {exc}"
    print(message, file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python -m dualad.cli_check`` (the same as ``python -m dualad check``)."""
    parser = Parser(prog="python -m dualad check")
    sub = parser.add_subparsers(dest="command")
    add_parser(sub)
    return guarded(lambda: run(parser.parse_args(["check", *(argv or [])])))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

r"""Generate docs/api.md, the API reference, from the docstrings of the public API.

``python -m dualad._apidoc --write`` rewrites docs/api.md; ``--check`` exits
with status 1 if the file is stale (the test suite runs the same comparison).
No dependency beyond the standard library: signatures come from ``inspect``,
doctest examples are shown as ``pycon`` blocks.

>>> from dualad._apidoc import render_docstring
>>> render_docstring("Add.\n\n>>> 1 + 1\n2").splitlines()
['Add.', '', '```pycon', '>>> 1 + 1', '2', '```']
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import re
import sys
from pathlib import Path
from typing import Any

# (module, title): the public API, in the order of the reference
SECTIONS = [
    ("dualad", "Top level: tensors, ops, grad modes"),
    ("dualad.Tensor", "The Tensor class"),
    ("dualad.autograd", "Reverse mode"),
    ("dualad.autograd.graph", "Saved-tensor hooks"),
    ("dualad.forward_ad", "Forward mode"),
    ("dualad.func", "Functional transforms"),
    ("dualad.tree", "Pytrees"),
    ("dualad.nondiff", "Nondifferentiable points"),
    ("dualad.symbolic", "The SymPy bridge"),
    ("dualad.check", "Numeric gradient checks"),
    ("dualad.testing", "Testing helpers"),
    ("dualad.testing.strategies", "Hypothesis strategies"),
    ("dualad.linalg", "Linear algebra (np.linalg)"),
    ("dualad.nn", "Neural-network modules"),
    ("dualad.nn.functional", "Functional layers and losses"),
    ("dualad.optim", "Optimizers"),
    ("dualad.registry", "The op registry"),
    ("dualad.scipy.special", "SciPy's special functions"),
    ("dualad.scipy.stats", "SciPy's distributions"),
    ("dualad.scipy.integrate", "SciPy's quadrature of samples"),
    ("dualad.scipy.linalg", "SciPy's linear algebra"),
    ("dualad.scipy.signal", "SciPy's convolution and correlation"),
    ("dualad.scipy.interpolate", "SciPy's linear interpolation"),
]
OUTPUT = Path(__file__).resolve().parents[1] / "docs" / "api.md"
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def render_docstring(doc: str | None) -> str:
    """A docstring as Markdown: prose as is, doctest examples fenced as ``pycon``."""
    if not doc:
        return "*(no docstring)*"
    out: list[str] = []
    in_example = False
    for line in inspect.cleandoc(doc).splitlines():
        starts = line.lstrip().startswith(">>>")
        if starts and not in_example:
            out.append("```pycon")
            in_example = True
        elif in_example and not line.strip():
            out.append("```")
            in_example = False
        out.append(line)
    if in_example:
        out.append("```")
    return "\n".join(out)


def _signature(obj: Any) -> str:
    """The call signature without annotations (the docstrings say the types)."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return "(...)"
    params = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    plain = sig.replace(parameters=params, return_annotation=inspect.Signature.empty)
    return _ADDRESS.sub("", str(plain))


def _resolve(path: str) -> Any:
    try:
        return importlib.import_module(path)
    except ImportError:
        parent, _, name = path.rpartition(".")
        return getattr(importlib.import_module(parent), name)


def _public_names(module: Any) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    result = []
    for name in names:
        obj = getattr(module, name, None)
        if obj is None or inspect.ismodule(obj):
            continue
        owner = getattr(obj, "__module__", None) or ""
        if getattr(module, "__all__", None) is None and not owner.startswith("dualad"):
            continue  # imported helpers (typing, numpy, ...) are not this module's API
        if not (callable(obj) or isinstance(obj, type)):
            continue
        result.append(name)
    return sorted(set(result), key=lambda n: (n.lower(), n))


def _member(name: str, obj: Any, seen: dict[int, str], qual: str) -> list[str]:
    if id(obj) in seen:
        return [f"### `{name}`", "", f"Alias of `{seen[id(obj)]}`.", ""]
    seen[id(obj)] = qual
    kind = "class" if isinstance(obj, type) else "function"
    lines = [f"### `{name}{_signature(obj)}`", "", f"*{kind}*", "",
             render_docstring(obj.__doc__), ""]
    if isinstance(obj, type):
        lines += _class_members(obj)
    return lines


def _class_members(cls: type) -> list[str]:
    lines = []
    for attr, value in sorted(vars(cls).items()):
        if attr.startswith("_") and attr not in ("__call__",):
            continue
        if isinstance(value, property):
            doc, sig = value.fget.__doc__ if value.fget else None, ""
        elif isinstance(value, (staticmethod, classmethod)):
            doc, sig = value.__func__.__doc__, _signature(value.__func__)
        elif inspect.isfunction(value):
            doc, sig = value.__doc__, _signature(value)
        else:
            continue
        if not doc:
            continue
        first = inspect.cleandoc(doc).split("\n\n")[0].replace("\n", " ")
        lines.append(f"- `{attr}{sig}` — {first}")
    return lines + [""] if lines else []


def _tensor_section(seen: dict[int, str]) -> list[str]:
    from .tensor import Tensor

    lines = [render_docstring(Tensor.__doc__), ""]
    members = []
    for attr in sorted(dir(Tensor), key=lambda n: (n.lower(), n)):
        if attr.startswith("_"):
            continue
        value = inspect.getattr_static(Tensor, attr)
        fn = value.fget if isinstance(value, property) else value
        if not callable(fn) or not fn.__doc__:
            continue
        first = inspect.cleandoc(fn.__doc__).split("\n\n")[0].replace("\n", " ")
        sig = "" if isinstance(value, property) else _signature(fn)
        members.append(f"- `{attr}{sig}` — {first}")
    return lines + members + [""]


def generate() -> str:
    """The full text of docs/api.md."""
    out = ["# API reference", "",
           "Generated from the docstrings by `python -m dualad._apidoc --write`; "
           "`tests/test_docs.py` fails when this file is stale.", ""]
    out += [f"- [`{path}`](#{path.replace('.', '').lower()}) — {title}"
            for path, title in SECTIONS]
    out.append("")
    seen: dict[int, str] = {}
    for path, title in SECTIONS:
        try:
            obj = _resolve(path)
        except (ImportError, AttributeError):
            continue
        out += [f"## {path}", "", f"*{title}*", ""]
        if path == "dualad.Tensor":
            out += _tensor_section(seen)
            continue
        doc = obj.__doc__ or ""
        out += [render_docstring(doc.split("\n\n")[0] if path == "dualad" else doc), ""]
        for name in _public_names(obj):
            out += _member(name, getattr(obj, name), seen, f"{path}.{name}")
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dualad._apidoc", description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"write {OUTPUT}")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is stale: run  python -m dualad._apidoc --write")
            return 1
        return 0
    if args.write:
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUTPUT} ({len(text.splitlines())} lines)")
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The package is layered: no module imports a higher layer, and the imports have no cycle.

The import graph is read from the source with ``ast``: every ``import`` statement
counts, inside functions too (a lazy import is still a dependency); imports under
``if TYPE_CHECKING:`` do not (they never run). Relative imports are resolved, and
``from . import x`` counts as importing the submodule ``x`` when there is one (a
package's ``__init__`` runs before any module under it: that implicit import is not
counted).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "dualad"

# lowest first: a module may import its own layer or lower ones only
LAYERS: tuple[tuple[str, ...], ...] = (
    ("_state", "_fperr", "_fastnp", "_sympy", "_repr", "tree"),
    ("tensor", "batched_tensor"),
    ("registry",),
    ("autograd",),
    ("nondiff",),
    ("ops",),
    ("func", "forward_ad", "nn", "optim", "creation", "_methods", "custom_rules",
     "checkpointing", "linalg", "scipy", "vmapping"),
    ("check", "symbolic", "testing", "vmap_transforms", "cli_check", "demo", "__init__",
     "__main__", "_apidoc", "_plot", "numpy"),
)


def module_names(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package: dotted name -> file (a package is its __init__)."""
    names = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """The import statements that can run, anywhere in the module."""
    found: list[ast.Import | ast.ImportFrom] = []
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            todo.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return found


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name a ``from ... import`` statement imports from."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base.pop()
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package modules that ``module`` imports (itself excluded)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in _import_nodes(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            source = _resolve(module, is_package, node)
            # ``from pkg import sub`` imports the submodule pkg.sub when there is one (pkg's
            # __init__ runs too, as it does for any import under pkg: not counted); a name
            # that is no submodule is read from pkg itself
            subs = [f"{source}.{alias.name}" for alias in node.names]
            names = [s for s in subs if s in known]
            if len(names) < len(subs):
                names.append(source)
        for name in names:
            # ``import a.b.c`` runs a/__init__, a.b's and a.b.c's; keep the deepest known
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
    return targets


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    known = module_names(root)
    return {name: imports_of(name, path, known) for name, path in known.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a list of modules (the first repeated at the end), or None."""
    colour: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if colour.get(start):
            continue
        path = [start]
        iters = [iter(sorted(graph[start]))]
        colour[start] = 1
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                colour[path.pop()] = 2
                iters.pop()
            elif colour.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not colour.get(nxt):
                colour[nxt] = 1
                path.append(nxt)
                iters.append(iter(sorted(graph.get(nxt, ()))))
    return None


def layer_of(module: str) -> int:
    """The layer of a dotted module name, by its first component under the package."""
    parts = module.split(".")
    head = parts[1] if len(parts) > 1 else "__init__"
    for level, names in enumerate(LAYERS):
        if head in names:
            return level
    raise AssertionError(f"module {module} is in no layer: add it to LAYERS in {__file__}")


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import of a higher layer, as readable lines."""
    return [f"{m} (layer {layer_of(m)}) imports {t} (layer {layer_of(t)})"
            for m in sorted(graph) for t in sorted(graph[m]) if layer_of(t) > layer_of(m)]


def test_the_import_graph_has_no_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_module_imports_a_higher_layer():
    bad = upward_imports(import_graph())
    assert not bad, "imports of a higher layer:\n" + "\n".join(bad)


def test_every_module_has_a_layer():
    for name in module_names():
        layer_of(name)


# ---------------------------------------------------- the checks themselves

def _write(tmp: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = tmp / PACKAGE / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_graph_sees_lazy_relative_and_package_imports_and_skips_type_checking(tmp_path):
    _write(tmp_path, {
        "__init__.py": "from . import ops\n",
        "tensor.py": ("from typing import TYPE_CHECKING\n"
                      "if TYPE_CHECKING:\n    from .registry import Op\n"
                      "def f():\n    from .ops.sub import g\n"),
        "registry.py": "import dualad.tensor\n",
        "ops/__init__.py": "from .. import registry\nfrom . import sub\n",
        "ops/sub.py": "from ..tensor import f\n",
    })
    graph = import_graph(tmp_path)
    assert graph == {
        "dualad": {"dualad.ops"},
        "dualad.tensor": {"dualad.ops.sub"},  # lazy and relative, TYPE_CHECKING skipped
        "dualad.registry": {"dualad.tensor"},
        "dualad.ops": {"dualad.registry", "dualad.ops.sub"},
        "dualad.ops.sub": {"dualad.tensor"},
    }
    assert find_cycle(graph) == ["dualad.ops.sub", "dualad.tensor", "dualad.ops.sub"]
    assert upward_imports(graph) == ["dualad.tensor (layer 1) imports dualad.ops.sub (layer 5)"]


def test_a_module_outside_every_layer_is_named(tmp_path):
    with pytest.raises(AssertionError, match="dualad.newthing is in no layer"):
        layer_of("dualad.newthing")

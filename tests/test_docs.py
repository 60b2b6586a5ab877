"""The docs build is a test: every ```python block in docs/*.md and README.md runs, every
doctest in the dualad package passes, and docs/api.md matches the docstrings."""

from __future__ import annotations

import doctest
import importlib
import os
import pkgutil
import re
from pathlib import Path

import pytest

import dualad
from dualad import _apidoc

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
MODULES = sorted(m.name for m in pkgutil.walk_packages(dualad.__path__, "dualad.")
                 if not m.name.endswith("__main__"))


def python_blocks(page: Path) -> list[str]:
    return _BLOCK.findall(page.read_text(encoding="utf-8"))


def test_the_guides_exist():
    names = {p.name for p in PAGES}
    assert {"index.md", "getting-started.md", "reverse-mode.md", "higher-order.md",
            "custom-ops.md", "nn-optim.md", "api.md"} <= names


def test_block_extraction_finds_only_python_fences(tmp_path: Path):
    page = tmp_path / "p.md"
    page.write_text("```python\nx = 1\n```\n```text\nno\n```\n```pycon\n>>> 2\n```\n"
                    "```python\ny = x + 1\n```\n")
    assert python_blocks(page) == ["x = 1\n", "y = x + 1\n"]


@pytest.mark.parametrize("page", [p for p in PAGES if p.exists()], ids=lambda p: p.name)
def test_code_blocks_run(page: Path, tmp_path: Path, monkeypatch):
    """A page's blocks run in order, in one namespace (as a reader would type them)."""
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    for i, block in enumerate(python_blocks(page)):
        code = compile(block, f"{page.name}[block {i + 1}]", "exec")
        try:
            exec(code, namespace)
        except Exception as exc:  # report which block failed, with its first lines
            head = "\n".join(block.splitlines()[:6])
            pytest.fail(f"{page.name}, python block {i + 1} raised {type(exc).__name__}: "
                        f"{exc}\n--- block starts ---\n{head}")


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str, monkeypatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    failed = [t.name for t in finder.find(module, name)
              if runner.run(t, out=report.append).failed]
    assert not failed, f"doctests failing in {failed}:\n" + "".join(report)[:4000]


def test_api_reference_is_up_to_date():
    current = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    fresh = _apidoc.generate()
    assert current == fresh, ("docs/api.md is stale: regenerate it with  "
                              "python -m dualad._apidoc --write")


def test_api_reference_covers_the_public_api():
    text = _apidoc.generate()
    for name in ("### `tensor(", "### `Linear(", "### `SGD(", "### `Adam(", "## dualad.Tensor",
                 "- `backward(", "### `Module("):
        assert name in text, name
    assert " at 0x" not in text  # no object addresses: the output is reproducible
    assert os.linesep not in text or os.linesep == "\n"


def test_site_navigation_and_links_point_to_existing_pages():
    """mkdocs.yml lists every page, and every relative .md link in the docs resolves."""
    nav = re.findall(r"^\s+- [^:]+: (\S+\.md)$", (ROOT / "mkdocs.yml").read_text(), re.M)
    docs = ROOT / "docs"
    missing = [p for p in nav if not (docs / p).exists()]
    assert not missing, f"mkdocs.yml lists pages that do not exist: {missing}"
    unlisted = sorted({p.name for p in docs.glob("*.md")} - set(nav))
    assert not unlisted, f"pages missing from the mkdocs.yml nav: {unlisted}"
    broken = [(page.name, target) for page in docs.glob("*.md")
              for target in re.findall(r"\]\(([^):#]+\.md)(?:#[^)]*)?\)", page.read_text())
              if not (docs / target).exists()]
    assert not broken, f"broken links (page, target): {broken}"

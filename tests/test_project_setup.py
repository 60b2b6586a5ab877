"""What a new user runs first: the README's test command and the package metadata."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# the line .ci/run extracts from README.md (its sed expression, as a Python regex)
README_TEST_LINE = re.compile(r'^    (pip install -e "\.\[test\]" && python -m pytest.*)$', re.M)


def _readme_pytest_args() -> list[str]:
    match = README_TEST_LINE.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert match, "README.md has no test command line for .ci/run"
    return shlex.split(match.group(1).split("python -m pytest", 1)[1])


# the README's arguments and plain ``-q`` (one run when they are the same)
_COMMANDS = sorted({tuple(_readme_pytest_args()), ("-q",)})


@pytest.mark.parametrize("args", _COMMANDS, ids=[" ".join(a) or "none" for a in _COMMANDS])
def test_the_test_commands_print_a_summary_line(tmp_path: Path, args: tuple) -> None:
    """``-q`` on the command line plus ``-q`` in addopts was ``-qq``: dots and no summary."""
    (tmp_path / "test_one.py").write_text("def test_one():\n    assert True\n")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *args, "-c", str(ROOT / "pyproject.toml"),
         "--rootdir", str(tmp_path), "-p", "no:cacheprovider", str(tmp_path / "test_one.py")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"^1 passed in ", run.stdout, re.M), run.stdout


def test_the_license_is_an_spdx_string() -> None:
    """setuptools deprecates ``project.license`` as a table (PEP 639)."""
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["project"]["license"] == "MIT"
    # setuptools reads SPDX strings from 77 on; older ones reject them
    assert "setuptools>=77" in config["build-system"]["requires"]

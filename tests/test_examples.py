"""Every script in examples/ runs to completion (each checks its own results with asserts)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
# scripts that draw figures take --out DIR; the PNGs they write when matplotlib is present
FIGURES = {
    "sin_graph.py": ["sin_derivative.png"],
    "fit_mlp_regression.py": ["mlp_loss_curve.png", "mlp_fit.png"],
    "student_t_regression.py": ["student_t_regression.png"],
}


def _run(script: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env=env)


def test_the_examples_are_found():
    names = {p.name for p in EXAMPLES}
    assert {"sin_graph.py", "q_equation.py", "training_step.py", "finetune_freeze.py",
            "multithreaded_training.py", "second_derivative.py", "forward_jacobian.py",
            "symbolic_check.py", "kink_report.py", "fit_mlp_regression.py"} <= names


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script: Path, tmp_path: Path):
    args = ["--out", str(tmp_path)] if script.name in FIGURES else []
    result = _run(script, *args)
    assert result.returncode == 0, f"{script.name} failed:\n{result.stdout}\n{result.stderr}"
    assert result.stdout.strip(), f"{script.name} printed nothing"
    assert "not available in this build" not in result.stdout, result.stdout
    if script.name in FIGURES:
        if HAS_MATPLOTLIB:
            for name in FIGURES[script.name]:
                png = tmp_path / name
                assert png.is_file() and png.stat().st_size > 0, f"{name} was not written"
        else:
            assert 'pip install -e ".[plot]"' in result.stdout
            assert not list(tmp_path.iterdir())


_STUB_PYPLOT = '''
class _Axes:
    def plot(self, x, y, style="-", label=None):
        assert len(x) == len(y) and label
    def set_yscale(self, scale):
        assert scale == "log"
    def set_title(self, text): pass
    def set_xlabel(self, text): pass
    def set_ylabel(self, text): pass
    def grid(self, flag, alpha=None): pass
    def legend(self): pass
class _Figure:
    def tight_layout(self): pass
    def savefig(self, path, dpi=None):
        with open(path, "wb") as f:
            f.write(b"stub png")
def subplots(figsize=None):
    return _Figure(), _Axes()
def close(fig): pass
'''


@pytest.mark.skipif(HAS_MATPLOTLIB, reason="the real matplotlib is tested above")
def test_figure_code_path_with_a_stub_matplotlib(tmp_path: Path):
    """Without matplotlib, a minimal stand-in still exercises the plotting calls."""
    stub = tmp_path / "stub" / "matplotlib"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("def use(name):\n    pass\n")
    (stub / "pyplot.py").write_text(_STUB_PYPLOT)
    out = tmp_path / "figures"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(stub.parent), str(ROOT)]))
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "sin_graph.py"), "--out",
                             str(out)], capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert (out / "sin_derivative.png").stat().st_size > 0

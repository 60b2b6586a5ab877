"""``python -m dualad demo``: exit 0, every section shown, the loss falls, figures or a hint."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from dualad.demo import SECTIONS

ROOT = Path(__file__).resolve().parents[1]
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def _demo(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "dualad", "demo", *args], capture_output=True,
                            text=True, timeout=120, cwd=ROOT, env=env)
    return result, time.perf_counter() - start


def test_demo_shows_every_section_and_exits_0():
    result, seconds = _demo()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for title in ("gradient", "accumulation", "second derivative", "JVP", "Jacobian",
                  "kink report", "symbolic check", "training"):
        assert f"== {title}" in out, f"section {title!r} missing:\n{out}"
    assert [t for t, _ in SECTIONS if f"== {t}" not in out] == []
    assert "not available in this build" not in out, out
    assert "d2/dt2 = 30" in out
    assert "closed form x cos x + sin x agrees: True" in out
    assert "jacrev agrees: True" in out and "[[4.0, 1.0], [5.0, -0.4161]]" in out
    assert "backward relu" in out  # the kink report saw relu at 0
    assert "all agree" in out and "MISMATCH" not in out
    losses = [float(v) for v in re.findall(r"MSE ([0-9.]+)", out)]
    assert len(losses) >= 3 and losses[-1] < 0.2 * losses[0]
    assert seconds < 60


def test_demo_plot_writes_figures_or_says_how_to_install(tmp_path: Path):
    result, _ = _demo("--plot", str(tmp_path))
    assert result.returncode == 0, result.stderr
    if HAS_MATPLOTLIB:
        for name in ("sin_derivative.png", "training_loss.png"):
            assert (tmp_path / name).stat().st_size > 0
    else:
        assert 'pip install -e ".[plot]"' in result.stdout


def test_unknown_command_is_an_error():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "dualad", "bogus"], capture_output=True,
                            text=True, timeout=60, cwd=ROOT, env=env)
    assert result.returncode != 0 and "invalid choice" in result.stderr

"""The benchmark suite still runs, checks answers, and reports what it measured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import harness  # noqa: E402
from benchmarks.__main__ import _selected  # noqa: E402
from benchmarks.workloads import CASES  # noqa: E402

OK = {"ok", "n/a (feature missing)"}


def test_quick_run_of_every_workload_gives_correct_answers(tmp_path):
    out = tmp_path / "results.json"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="", OMP_NUM_THREADS="")
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--libs", "none",
                           "--repeats", "1", "--json", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["quick"] is True
    assert data["environment"]["threads"] == "1"  # re-pinned before NumPy loaded
    assert set(data["results"]) == set(CASES)
    for case_id, row in data["results"].items():
        assert row["dualad"]["status"] in OK, (case_id, row["dualad"])
        if row["dualad"]["status"] == "ok":
            assert row["dualad"]["correct"] is True
            assert row["dualad"]["time"] > 0
    assert data["results"]["w1.scalar"]["dualad"]["status"] == "ok"
    assert data["results"]["w6"]["dualad"]["peak_bytes"] is not None
    header = next(line for line in proc.stdout.splitlines() if line.startswith("| case"))
    assert "dualad" in header and "numpy floor" in header


def _fake_library(answer):
    return types.SimpleNamespace(CASES={"w3.grad": lambda d: (lambda: answer(d))},
                                 to_numpy=np.asarray, VERSION="0")


def test_a_wrong_answer_is_reported_not_timed_as_a_success():
    case = CASES["w3.grad"]
    wrong = _fake_library(lambda d: np.cos(d["x"]))  # forgets the exp factor's derivative
    right = _fake_library(case.hand)
    row = harness.run_case(case, {"wrong": wrong, "right": right, "absent": None}, quick=True,
                           repeats=1, min_time=0.0, log=lambda msg: None)
    assert row["wrong"]["status"] == "WRONG ANSWER"
    assert row["right"]["status"] == "ok"
    assert row["absent"]["status"] == "not installed"
    assert row["right"]["time"] > 0 and row["floor"] > 0


def test_the_oracles_are_independent_closed_forms():
    # w1: the chain's derivative against central differences of the NumPy floor
    case = CASES["w1.vector"]
    d = case.inputs(case.size(quick=True))
    eps = 1e-6
    num = np.array([(case.floor({**d, "x": d["x"] + eps * e})
                     - case.floor({**d, "x": d["x"] - eps * e})) / (2 * eps)
                    for e in np.eye(d["x"].size)])
    np.testing.assert_allclose(case.hand(d), num, rtol=1e-5, atol=1e-7)  # FD roundoff
    # w2: one weight's gradient against a central difference of the loss
    case = CASES["w2"]
    d = case.inputs(case.size(quick=True))
    W1 = d["W1"].copy()
    W1[2, 3] += eps
    up = case.floor({**d, "W1": W1})
    W1[2, 3] -= 2 * eps
    down = case.floor({**d, "W1": W1})
    assert case.hand(d)[0][2, 3] == pytest.approx((up - down) / (2 * eps), rel=1e-5)


def test_only_picks_workloads_and_cases():
    assert _selected("w1") == ["w1.scalar", "w1.vector"]
    assert _selected("w3.jvp,w6") == ["w3.jvp", "w6", "w6.checkpoint"]
    assert _selected("w3.jvp,w6.checkpoint") == ["w3.jvp", "w6.checkpoint"]
    with pytest.raises(SystemExit, match="unknown workload"):
        _selected("w9")


def test_median_time_is_per_call():
    calls = []
    t = harness.median_time(lambda: calls.append(1), repeats=7, min_time=0.0)
    assert t >= 0 and len(calls) == 2 + 7  # warm-up, calibration, seven timings


def test_a_failed_memory_run_is_reported_not_hidden():
    from benchmarks.harness import _fmt_cell, peak_memory

    with pytest.raises(RuntimeError, match="memory run failed: KeyError"):
        peak_memory("no-such-case", "dualad", quick=True)
    cell = {"status": "ok", "time": 2.0, "memory_error": "the memory run failed: x"}
    assert _fmt_cell(cell, {"per": 1, "floor": 1.0}).endswith("(memory: not measured)")


def test_per_sample_oracle_is_a_finite_difference_of_each_examples_loss():
    case = CASES["w2.per_sample"]
    d = case.inputs(case.size(quick=True))
    eps = 1e-6
    hand = case.hand(d)
    for i in (0, 3):
        W1 = d["W1"].copy()
        W1[1, 2] += eps
        up = case.floor({**d, "W1": W1})[i]
        W1[1, 2] -= 2 * eps
        down = case.floor({**d, "W1": W1})[i]
        assert hand[0][i, 1, 2] == pytest.approx((up - down) / (2 * eps), rel=1e-5)
        b2 = d["b2"].copy()
        b2[1] += eps
        up = case.floor({**d, "b2": b2})[i]
        b2[1] -= 2 * eps
        down = case.floor({**d, "b2": b2})[i]
        assert hand[3][i, 1] == pytest.approx((up - down) / (2 * eps), rel=1e-5)

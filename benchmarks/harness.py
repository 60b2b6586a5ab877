"""Timing, answer checking, peak memory, the results table and the JSON file.

>>> t = median_time(lambda: sum(range(100)), repeats=7, min_time=0.0)
>>> 0.0 < t < 0.01
True
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .workloads import CASES, Case, Target

LIBRARIES = ("dualad", "torch", "jax", "autograd", "mygrad", "sympy")
"""Columns after the NumPy ones; every one but dualad is optional."""


def load_library(name: str):
    """The ``benchmarks.impl_<name>`` module, or None when the library is not importable."""
    try:
        return importlib.import_module(f"benchmarks.impl_{name}")
    except ImportError:
        if name == "dualad":
            raise
        return None


class Timer:
    """Times one callable: a warm-up call, then timings of ``inner`` calls each.

    ``inner`` is chosen so that a timing lasts about ``min_time`` seconds, so
    short workloads are not lost in timer noise.
    """

    def __init__(self, fn: Callable[[], Any], min_time: float) -> None:
        fn()
        start = time.perf_counter()
        fn()
        once = time.perf_counter() - start
        self.fn = fn
        self.inner = max(1, int(min_time / once)) if once > 0 else 1
        self.times: list[float] = []

    def time_once(self) -> None:
        fn = self.fn
        start = time.perf_counter()
        for _ in range(self.inner):
            fn()
        self.times.append((time.perf_counter() - start) / self.inner)

    def median(self) -> float:
        return statistics.median(self.times)


def median_time(fn: Callable[[], Any], repeats: int, min_time: float) -> float:
    """Median seconds per call of ``fn`` over ``repeats`` timings, after one warm-up call."""
    timer = Timer(fn, min_time)
    for _ in range(repeats):
        timer.time_once()
    return timer.median()


def interleaved(timers: dict[str, Timer], repeats: int) -> dict[str, float]:
    """Median time of each timer, its timings taken in turn with the others'.

    On a shared machine the load changes from second to second; timing the
    libraries round-robin exposes them all to the same load, so the ratios hold.
    """
    for _ in range(repeats):
        for timer in timers.values():
            timer.time_once()
    return {name: timer.median() for name, timer in timers.items()}


def agrees(got: Any, want: Any, rtol: float) -> bool:
    """Whether a library's answer matches the hand-written oracle."""
    if isinstance(want, tuple | list):
        return isinstance(got, tuple | list) and len(got) == len(want) and \
            all(agrees(g, w, rtol) for g, w in zip(got, want))
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=rtol, atol=1e-12))


def peak_memory(case_id: str, library: str, quick: bool) -> float:
    """Peak extra resident memory (bytes) of one call, measured in a fresh process."""
    args = [sys.executable, "-m", "benchmarks.memory", case_id, library] + \
        (["--quick"] if quick else [])
    proc = subprocess.run(args, capture_output=True, text=True, env=os.environ.copy(),
                          timeout=600)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"the memory run failed: {tail}")
    return float(proc.stdout.strip().splitlines()[-1])


def build(lib, case: Case, inputs: dict):
    """The library's callable for ``case``; raises KeyError when the library lacks it."""
    return lib.CASES[case.id](inputs)


def run_case(case: Case, libs: dict, quick: bool, repeats: int, min_time: float,
             log: Callable[[str], None]) -> dict:
    """Time one case on NumPy and every library; check every answer against the oracle."""
    inputs = case.inputs(case.size(quick))
    want = case.hand(inputs)
    row: dict[str, Any] = {"title": case.title, "size": _jsonable(case.size(quick))}
    per = case.per(case.size(quick)) if case.per else 1
    row["per"] = per
    timers: dict[str, Timer] = {}
    if case.floor is not None:
        timers["floor"] = Timer(lambda: case.floor(inputs), min_time)
    if case.hand_timed:
        timers["numpy-hand"] = Timer(lambda: case.hand(inputs), min_time)
        row["numpy-hand"] = {"status": "ok"}
    for name, lib in libs.items():
        cell = row[name] = {}
        if lib is None:
            cell["status"] = "not installed"
            continue
        try:
            fn = build(lib, case, inputs)
        except KeyError:
            cell["status"] = "not in library"
            continue
        except Exception as exc:  # noqa: BLE001  (a missing feature or a broken peer)
            cell["status"] = _failure(exc)
            continue
        try:
            got = getattr(fn, "to_numpy", lib.to_numpy)(fn())
            cell["correct"] = agrees(got, want, case.rtol)
            cell["status"] = "ok" if cell["correct"] else "WRONG ANSWER"
            if cell["correct"]:
                timers[name] = Timer(fn, min_time)
        except Exception as exc:  # noqa: BLE001
            cell["status"] = _failure(exc)
            continue
        if case.memory and cell["correct"]:
            try:
                cell["peak_bytes"] = peak_memory(case.id, name, quick)
            except (RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
                cell["memory_error"] = str(exc)
                log(f"  {case.id:12s} {name:10s} peak memory not measured: {exc}")
    for name, seconds in interleaved(timers, repeats).items():
        if name == "floor":
            row["floor"] = seconds
        else:
            row[name]["time"] = seconds
            log(f"  {case.id:12s} {name:10s} {_fmt_time(seconds / per)}")
    return row


def _failure(exc: Exception) -> str:
    from .impl_dualad import FeatureMissing

    if isinstance(exc, FeatureMissing):
        return "n/a (feature missing)"
    if isinstance(exc, NotImplementedError | AttributeError) and "dualad" in str(exc):
        return "n/a (feature missing)"
    return f"error: {type(exc).__name__}: {str(exc)[:80]}"


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, tuple):
        return list(x)
    return x


def target_met(case: Case, row: dict) -> str:
    """"yes"/"no" for dualad against the case's target (time targets scaled by PyTorch)."""
    t: Target | None = case.target
    cell = row.get("dualad", {})
    if t is None or cell.get("status") != "ok":
        return ""
    if t.kind == "floor":
        return "yes" if cell["time"] / row["floor"] <= t.value else "no"
    allowed = t.value * case.per(case.size(False)) if case.per else t.value
    torch_cell = row.get("torch", {})
    scale = ""
    if t.torch_ref is not None and torch_cell.get("status") == "ok":
        allowed = torch_cell["time"] * t.value / t.torch_ref
        scale = " (vs torch)"
    verdict = ("yes" if cell["time"] <= allowed else "no") + scale
    if t.memory is not None and cell.get("peak_bytes"):
        limit = t.memory
        if torch_cell.get("peak_bytes") and t.torch_memory:
            limit = torch_cell["peak_bytes"] * t.memory / t.torch_memory
        verdict += "; memory " + ("yes" if cell["peak_bytes"] <= limit else "no")
    return verdict


def _fmt_time(s: float) -> str:
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.1f} us"


def _fmt_cell(cell: dict, row: dict) -> str:
    if cell.get("status") != "ok":
        return "-" if cell.get("status") == "not in library" else cell.get("status", "")
    per = row["per"]
    text = _fmt_time(cell["time"] / per) + ("/op" if per > 1 else "")
    if row.get("floor"):
        text += f" {cell['time'] / row['floor']:.1f}x"
    if cell.get("peak_bytes"):
        text += f" {cell['peak_bytes'] / 2**20:.0f}MB"
    elif cell.get("memory_error"):
        text += " (memory: not measured)"
    return text


def table(results: dict, columns: list[str]) -> str:
    """The results as a Markdown table: time (per op for w1) and ratio to the floor."""
    head = ["case", "numpy floor", "numpy hand"] + columns + ["target", "met"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for case_id, row in results.items():
        case = CASES[case_id]
        floor = row.get("floor")
        cells = [case_id, _fmt_time(floor / row["per"]) if floor else "-",
                 _fmt_cell(row["numpy-hand"], row) if "numpy-hand" in row else "-"]
        cells += [_fmt_cell(row.get(c, {}), row) for c in columns]
        cells += [case.target.text if case.target else "", target_met(case, row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def environment(libs: dict) -> dict:
    """Date, machine and versions, for the record."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "cpu": cpu,
            "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__,
            "threads": os.environ.get("OPENBLAS_NUM_THREADS"),
            "libraries": {n: lib.VERSION for n, lib in libs.items() if lib is not None}}


def write_json(path: str, env: dict, results: dict, quick: bool) -> None:
    with open(path, "w") as f:
        json.dump({"environment": env, "quick": quick, "results": results}, f, indent=1)

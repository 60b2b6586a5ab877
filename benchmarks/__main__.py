"""``python -m benchmarks [--only w1,w3] [--quick] [--json PATH] [--repeats N] [--libs ...]``.

Runs every workload (see ``benchmarks/workloads.py``) on NumPy, dualad and
whichever peers are importable, and prints a Markdown table of times and of
ratios to the NumPy forward-only floor. One BLAS thread: the thread-count
variables are set before NumPy is imported (the process re-executes itself
if NumPy was already loaded without them).
"""

from __future__ import annotations

import os
import sys

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "XLA_FLAGS")


def _pin_threads() -> None:
    unpinned = [v for v in _THREAD_VARS[:-1] if os.environ.get(v) != "1"]
    for v in unpinned:
        os.environ[v] = "1"
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                       "intra_op_parallelism_threads=1")
    if unpinned and "numpy" in sys.modules:  # too late for this process: start again
        os.execv(sys.executable, [sys.executable, "-m", "benchmarks", *sys.argv[1:]])


if __name__ == "__main__":
    _pin_threads()

import argparse  # noqa: E402

from .harness import (  # noqa: E402
    LIBRARIES,
    environment,
    load_library,
    run_case,
    table,
    write_json,
)
from .workloads import CASES, WORKLOADS  # noqa: E402


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[2])
    p.add_argument("--only", default="", help="comma-separated workloads or cases, e.g. w1,w3.jvp")
    p.add_argument("--quick", action="store_true", help="tiny sizes, 3 repeats: a smoke run")
    p.add_argument("--json", metavar="PATH", help="also write the results to this JSON file")
    p.add_argument("--repeats", type=int, default=None, help="timings per case (default 7)")
    p.add_argument("--libs", default="", help="comma-separated peers to run, or 'none' "
                   f"(default: every importable one of {', '.join(LIBRARIES[1:])})")
    return p.parse_args(argv)


def _selected(only: str) -> list[str]:
    if not only:
        return list(CASES)
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    unknown = [w for w in wanted if w not in WORKLOADS and w not in CASES]
    if unknown:
        raise SystemExit(f"unknown workload(s) {', '.join(unknown)}; choose from "
                         f"{', '.join(WORKLOADS)} or a case such as {next(iter(CASES))}")
    return [c for c in CASES if c in wanted or c.split(".")[0] in wanted]


def main(argv: list[str] | None = None) -> dict:
    args = _parse(sys.argv[1:] if argv is None else argv)
    cases = _selected(args.only)
    repeats = args.repeats or (3 if args.quick else 7)
    if repeats < 1:
        raise SystemExit("--repeats must be at least 1")
    peers = [n.strip() for n in args.libs.split(",") if n.strip() and n.strip() != "none"]
    names = ["dualad"] + (peers if args.libs else list(LIBRARIES[1:]))
    bad = [n for n in names if n not in LIBRARIES]
    if bad:
        raise SystemExit(f"unknown library {', '.join(bad)}; choose from {', '.join(LIBRARIES)}")
    libs = {n: load_library(n) for n in names}
    env = environment(libs)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)
    log(f"dualad benchmarks, {env['date']}, {env['cpu']}, libraries {env['libraries']}")
    min_time = 0.0 if args.quick else 0.05
    results = {c: run_case(CASES[c], libs, args.quick, repeats, min_time, log) for c in cases}
    columns = [n for n in names if libs[n] is not None]
    print(table(results, columns))
    if args.json:
        write_json(args.json, env, results, args.quick)
    return results


if __name__ == "__main__":
    main()

"""Peak memory of one workload call, run in a fresh process: ``python -m benchmarks.memory``.

Prints the peak resident memory above the level before the call, in bytes.
On Linux the peak is reset just before the call (``/proc/self/clear_refs``),
so the imports do not count; elsewhere ``tracemalloc`` is used (it sees
Python and NumPy allocations only).
"""

from __future__ import annotations

import sys


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    raise OSError(field)


def measure(fn) -> int:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current resident size
        base = _status("VmRSS:")
        fn()
        return _status("VmHWM:") - base
    except OSError:
        import tracemalloc

        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak


def main(argv: list[str]) -> None:
    from .harness import load_library
    from .workloads import CASES

    case = CASES[argv[0]]
    lib = load_library(argv[1])
    fn = lib.CASES[case.id](case.inputs(case.size("--quick" in argv)))
    print(measure(fn))


if __name__ == "__main__":
    main(sys.argv[1:])

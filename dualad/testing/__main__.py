"""``python -m dualad.testing [path]``: regenerate docs/ops-coverage.md from the registry."""

import sys

import dualad  # noqa: F401  (registers every op)
from dualad.testing.coverage import DEFAULT_PATH, write_coverage_table

print(f"wrote {write_coverage_table(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_PATH)}")

"""``python -m dualad.testing [path]``: regenerate docs/ops-coverage.md from the registry."""

import sys

import dualad  # noqa: F401  (registers every op)
from dualad.testing.coverage import DEFAULT_PATH, write_coverage_table

args = sys.argv[1:]
if args and args[0].startswith("-"):
    print(__doc__.strip() if args[0] in ("-h", "--help") else
          f"unknown option {args[0]!r}; usage: python -m dualad.testing [path]")
    sys.exit(0 if args[0] in ("-h", "--help") else 2)
print(f"wrote {write_coverage_table(args[0] if args else DEFAULT_PATH)}")

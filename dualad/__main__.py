"""Command line: ``python -m dualad demo`` and ``python -m dualad check``."""

from __future__ import annotations

import sys

from . import cli_check as _check
from . import demo as _demo


def main(argv: list[str] | None = None) -> int:
    parser = _check.Parser(prog="python -m dualad", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="a short tour of dualad, printed to the terminal")
    p_demo.add_argument("--plot", metavar="DIR", help="also write the figures to DIR")
    _check.add_parser(sub)

    def parse_and_run() -> int:
        args = parser.parse_args(argv)
        if args.command == "check":
            return _check.run(args)
        return _demo.run(plot_dir=args.plot)

    return _check.guarded(parse_and_run)


if __name__ == "__main__":
    sys.exit(main())

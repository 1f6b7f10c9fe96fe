"""The ``fastmlp`` command: ``fastmlp info``."""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fastmlp", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("info", help="print the build: ISA, compiler, OpenMP, threads")
    args = parser.parse_args(argv)
    if args.command == "info":
        import fastmlp

        json.dump(fastmlp.info(), sys.stdout, indent=2)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

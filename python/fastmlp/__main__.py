"""The ``fastmlp`` command: ``fastmlp info`` shows the build, ``fastmlp demo`` runs the
lecture's experiments (``fastmlp demo --list``)."""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    from fastmlp.demo import cli as demo

    parser = argparse.ArgumentParser(prog="fastmlp", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("info", help="print the build: ISA, compiler, OpenMP, threads")
    demo.add_arguments(
        commands.add_parser(
            "demo",
            help="run the lecture's experiments (default: Figure 20.2) and write their plots",
            description=demo.DESCRIPTION,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo.run(args)
    import fastmlp

    json.dump(fastmlp.info(), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The ``fastmlp`` command: ``fastmlp info`` shows the build, ``fastmlp demo`` runs the
lecture's experiments (``fastmlp demo --list``)."""

from __future__ import annotations

import argparse
import json
import os
import sys


def main(argv: list[str] | None = None) -> int:
    try:
        status = _main(argv)
        sys.stdout.flush()  # here, where a closed pipe can be caught, not at exit
        return status
    except BrokenPipeError:  # `fastmlp info | head`: the reader has gone, and that is fine
        # Python flushes stdout again at exit, into the same closed pipe: point it elsewhere
        # (the recipe of Python's signal module documentation, "Note on SIGPIPE")
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _main(argv: list[str] | None) -> int:
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

"""`smstui demo`: the dashboard on the built-in emulator."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `demo` subcommand."""
    parser = sub.add_parser("demo", help="open the dashboard on the built-in gateway emulator")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Not built yet: say so plainly and fail, never pretend."""
    print(
        "smstui demo: not built yet (the dashboard and emulator are still in progress)",
        file=sys.stderr,
    )
    return 1

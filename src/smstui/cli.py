"""Command-line entry: parses arguments and hands off to one module per subcommand."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import logging
import os
import pkgutil
import sys
import time
import warnings
from collections.abc import Sequence
from typing import TextIO

from smstui import __version__, commands
from smstui.cli_errors import describe, report
from smstui.config import InsecureConfigWarning
from smstui.errors import SmstuiError
from smstui.exit_codes import EXIT_INTERRUPTED, EXIT_PIPE, exit_codes_help


def build_parser() -> argparse.ArgumentParser:
    """The full parser: every module in smstui.commands registers its own subcommand."""
    parser = argparse.ArgumentParser(
        prog="smstui",
        description="Terminal dashboard for SMS campaigns on SMSC and Webcom Mobi.",
        epilog=exit_codes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"smstui {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run smstui; return the process exit code (never a traceback for expected failures)."""
    parser = build_parser()
    args = parser.parse_args(
        _default_to_dashboard(parser, list(sys.argv[1:] if argv is None else argv))
    )
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    with warnings.catch_warnings():  # restored afterwards: main() also runs inside tests
        warnings.simplefilter("default")
        warnings.showwarning = _one_line_warning
        return _run(args, as_json=bool(getattr(args, "json", False)))


def _run(args: argparse.Namespace, *, as_json: bool) -> int:
    """The command, with every expected failure turned into its exit code and report."""
    started = time.monotonic()
    try:
        result = args.func(args)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at exit
        return int(result or 0)
    except SmstuiError as err:
        return report(describe(err, elapsed_s=time.monotonic() - started), as_json=as_json)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return _pipe_closed()


def _pipe_closed() -> int:
    """The reader went away (`smstui history | head`): stop quietly with 128 + SIGPIPE.

    stdout is pointed at /dev/null so the interpreter's final flush has nowhere to fail.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_PIPE


def _one_line_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Warnings as one line on stderr (`smstui: warning: …`), never Python's source excerpt."""
    kind = "" if issubclass(category, InsecureConfigWarning) else f"{category.__name__}: "
    print(f"smstui: warning: {kind}{message}", file=file or sys.stderr)


def _default_to_dashboard(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """Bare `smstui [--config F] [--account A]` means `smstui dashboard …`."""
    choices = parser._subparsers._group_actions[0].choices if parser._subparsers else None
    commands = set(choices or ())
    top_level = {"-h", "--help", "--version", "-v", "--verbose"}
    if any(a in commands for a in argv) or any(a in ("-h", "--help", "--version") for a in argv):
        return argv
    flags = [a for a in argv if a in top_level]
    return [*flags, "dashboard", *(a for a in argv if a not in top_level)]

"""Command-line entry: parses arguments and hands off to one module per subcommand."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import logging
import pkgutil
import sys
import warnings
from collections.abc import Sequence

from smstui import __version__, commands
from smstui.errors import ApiError, ConfigError, GatewayError, SmstuiError, TransportError

# Exit codes are part of the interface: scripts around smstui depend on them.
EXIT_OK, EXIT_GATEWAY, EXIT_USAGE, EXIT_NETWORK = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    """The full parser: every module in smstui.commands registers its own subcommand."""
    parser = argparse.ArgumentParser(
        prog="smstui",
        description="Terminal dashboard for SMS campaigns on SMSC and Webcom Mobi.",
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
    warnings.simplefilter("default")
    try:
        result = args.func(args)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
        return int(result or 0)
    except ConfigError as err:
        print(f"smstui: config error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except TransportError as err:
        print(f"smstui: network error: {err}", file=sys.stderr)
        return EXIT_NETWORK
    except ApiError as err:
        print(f"smstui: {describe_api_error(err)}", file=sys.stderr)
        return EXIT_GATEWAY
    except GatewayError as err:
        print(f"smstui: gateway error: {err}", file=sys.stderr)
        return EXIT_GATEWAY
    except SmstuiError as err:
        print(f"smstui: {err}", file=sys.stderr)
        return EXIT_GATEWAY
    except KeyboardInterrupt:
        return 130


def _default_to_dashboard(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """Bare `smstui [--config F] [--account A]` means `smstui dashboard …`."""
    commands = set(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    top_level = {"-h", "--help", "--version", "-v", "--verbose"}
    if any(a in commands for a in argv) or any(a in ("-h", "--help", "--version") for a in argv):
        return argv
    flags = [a for a in argv if a in top_level]
    return [*flags, "dashboard", *(a for a in argv if a not in top_level)]


def describe_api_error(err: ApiError) -> str:
    """One line: provider, code, explanation."""
    parts = [err.provider or "gateway", f"error {err.code}" if err.code is not None else "error"]
    detail = err.explanation or err.text or str(err)
    return f"{' '.join(parts)}: {detail}"

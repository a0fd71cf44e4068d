"""`smstui emulate`: run the SMSC + Webcom emulator in the foreground until Ctrl-C / SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Sequence

import platformdirs

from smstui.emulator.faults import parse_faults
from smstui.emulator.options import EmulatorOptions
from smstui.emulator.server import run_emulator
from smstui.exit_codes import EXIT_INTERRUPTED, EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `emulate` subcommand."""
    parser = sub.add_parser("emulate", help="run the built-in SMSC and Webcom gateway emulator")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default loopback)")
    parser.add_argument("--port", type=int, default=0, help="port (0 = pick a free one)")
    parser.add_argument("--seed", type=int, default=7, help="campaign seed (deterministic)")
    parser.add_argument("--messages", type=int, default=2000, help="SMSC history at start")
    parser.add_argument("--rate", type=float, default=60.0, help="live messages per minute")
    parser.add_argument(
        "--live-messages",
        type=int,
        default=None,
        help="stop the live campaign after this many (default: endless)",
    )
    parser.add_argument("--speed", type=float, default=1.0, help="emulated seconds per second")
    parser.add_argument("--faults", default="", help="e.g. timeout=0.02,http500=0.02,slow=0.05")
    parser.add_argument("--smsc-webhook", default=None, help="SMSC status handler URL")
    parser.add_argument("--webcom-webhook", default=None, help="Webcom status webhook URL")
    parser.add_argument(
        "--webcom-push-format",
        choices=("json", "xml"),
        default="json",
        help="Webcom webhook body: JSON array (default) or XML <state> list",
    )
    parser.add_argument(
        "--webcom-blocked",
        action="append",
        default=[],
        metavar="LOGIN",
        help="a Webcom login whose account is blocked: every request gets E2 (repeatable)",
    )
    parser.add_argument(
        "--history-empty-list",
        action="store_true",
        help="SMSC history with nothing to return answers [] instead of error 3 (the real one)",
    )
    parser.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="LOGIN:PASSWORD",
        help="extra account on both gateways (repeatable)",
    )
    parser.set_defaults(func=run)


def options_from(args: argparse.Namespace) -> EmulatorOptions:
    """EmulatorOptions from the command line (ConfigError on bad faults or accounts)."""
    parse_faults(args.faults)
    opts = EmulatorOptions(
        seed=args.seed,
        messages=args.messages,
        rate=args.rate,
        speed=args.speed,
        host=args.host,
        port=args.port,
        faults=args.faults,
        smsc_webhook=args.smsc_webhook,
        webcom_webhook=args.webcom_webhook,
        webcom_push_format=args.webcom_push_format,
        webcom_blocked=tuple(args.webcom_blocked),
        accounts=tuple(args.account),
        live_messages=args.live_messages,
        history_empty_list=args.history_empty_list,
    )
    opts.parsed_accounts()
    return opts


DEMO_LOGIN = DEMO_PASSWORD = "demo"  # the emulator's built-in account (EmulatorOptions)


def welcome(base_url: str, extra_logins: Sequence[str]) -> str:
    """What to log in with and a config to paste: the emulator's own public demo credentials
    only; passwords given with --account are the user's and are never echoed."""
    also = f"; also the --account logins {', '.join(extra_logins)}" if extra_logins else ""
    accounts = "".join(
        f'[[accounts]]\nname = "emu-{provider}"\nprovider = "{provider}"\n'
        f"base_url = {json.dumps(base_url)}\n"
        f'login = "{DEMO_LOGIN}"\npassword = "{DEMO_PASSWORD}"\n\n'
        for provider in ("smsc", "webcom")
    )
    # Its own cache: emulated messages never mix into the cache of the real accounts.
    cache = json.dumps(str(platformdirs.user_data_path("smstui") / "emulator-cache"))
    return (
        f'accepts login "{DEMO_LOGIN}", password "{DEMO_PASSWORD}" on both gateways{also}\n'
        "config to paste (save as FILE, chmod 600 FILE, then: smstui --config FILE):\n\n"
        f"{accounts}[cache]\ndir = {cache}\n"
    )


async def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; the first stdout line says where, then how to log in.

    SIGTERM is a normal stop (exit 0); Ctrl-C exits 130, as every interrupted command does.
    """
    opts = options_from(args)
    stopped_by: list[signal.Signals] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal(sig: signal.Signals) -> None:
        stopped_by.append(sig)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, on_signal, sig)
    async with run_emulator(opts) as emu:
        print(f"smstui emulator listening on {emu.base_url}", flush=True)
        extra = [login for login in opts.parsed_accounts() if login != DEMO_LOGIN]
        print(welcome(emu.base_url, extra), flush=True)
        await stop.wait()
    print("smstui emulator stopped", file=sys.stderr, flush=True)
    return EXIT_INTERRUPTED if signal.SIGINT in stopped_by[:1] else EXIT_OK

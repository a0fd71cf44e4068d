"""`smstui lookup PHONE [--hlr --yes]`: operator information, or a paid live HLR query."""

from __future__ import annotations

import argparse
import sys

from smstui.commands._budgeted import budgeted
from smstui.commands._common import add_config_args, add_json_arg, load, print_json
from smstui.config import Account, Config
from smstui.display import number_rows, number_source
from smstui.errors import UsageError
from smstui.model import NumberInfo

LABEL_WIDTH = 11  # "Time zone" and a gap: the values line up


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `lookup` subcommand."""
    parser = sub.add_parser("lookup", help="operator and region of a phone number")
    parser.add_argument("phone", metavar="PHONE")
    parser.add_argument("--hlr", action="store_true", help="live HLR query (costs money)")
    parser.add_argument("--yes", action="store_true", help="confirm the paid HLR query")
    add_config_args(parser)
    add_json_arg(parser)
    parser.set_defaults(func=run)


async def fetch_lookup(config: Config, account: Account, phone: str, *, hlr: bool) -> NumberInfo:
    """Ask the gateway about a number (an HLR query is a send; keys as the dashboard's)."""
    endpoint, key = ("send", ("hlr", phone)) if hlr else ("operator", phone)
    async with budgeted(config, account) as gw:
        return await gw.ask(endpoint, key, lambda: gw.gateway.lookup(phone, hlr=hlr))


async def run(args: argparse.Namespace) -> int:
    """Print what the gateway knows; refuse an HLR query without --yes (it is charged)."""
    if args.hlr and not args.yes:
        raise UsageError("an HLR lookup is charged like an SMS; add --yes to confirm")
    config = load(args)
    account = config.account(args.account)
    if args.hlr:
        print(
            "smstui: sending an HLR query; the network's answer can take up to 30 s…",
            file=sys.stderr,
        )
    info = await fetch_lookup(config, account, args.phone, hlr=args.hlr)
    if args.json:  # everything, raw ids included, for machines
        print_json(info)
        return 0
    for label, value in lookup_lines(info, account):
        print(f"{label:<{LABEL_WIDTH}}{value}")
    return 0


def lookup_lines(info: NumberInfo, account: Account) -> list[tuple[str, str]]:
    """The answer in the words every screen uses (display.number_rows), then its source."""
    rows = [("Number", info.phone), *number_rows(info)]
    if len(rows) == 1:
        rows.append(("Operator", "unknown to the gateway"))
    asked = f"{account.name} ({account.provider.value})"
    return [*rows, ("Source", f"{number_source(info)}, asked {asked}")]

"""`smstui lookup PHONE [--hlr --yes]`: operator information, or a paid live HLR query."""

from __future__ import annotations

import argparse
import sys

from smstui.commands._budgeted import budgeted
from smstui.commands._common import add_config_args, add_json_arg, load, print_json, print_table
from smstui.config import Account, Config
from smstui.errors import UsageError
from smstui.model import NumberInfo


def register(sub: argparse._SubParsersAction) -> None:
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


def _reachable(info: NumberInfo) -> str:
    return {True: "yes", False: "no", None: ""}[info.reachable]


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
    if args.json:
        print_json(info)
        return 0
    headers = ["PHONE", "COUNTRY", "OPERATOR", "REGION", "MCC", "MNC", "TZ"]
    row = [info.phone, info.country, info.operator, info.region, info.mcc, info.mnc, info.timezone]
    if args.hlr:
        headers += ["REACHABLE", "ROAMING"]
        row += [_reachable(info), info.roaming]
    print_table(headers, [row])
    for key, value in info.extra:
        print(f"{key}: {value}")
    return 0

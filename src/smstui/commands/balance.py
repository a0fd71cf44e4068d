"""`smstui balance`: the account's money now, straight from the gateway."""

from __future__ import annotations

import argparse
import sys

from smstui.commands._budgeted import budgeted
from smstui.commands._common import add_config_args, add_json_arg, load, print_json, print_table
from smstui.config import Account, Config
from smstui.model import Balance


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `balance` subcommand."""
    parser = sub.add_parser("balance", help="show the account balance")
    add_config_args(parser)
    add_json_arg(parser)
    parser.set_defaults(func=run)


async def fetch_balance(config: Config, account: Account) -> Balance:
    """Ask the gateway for the balance (one request, from the shared budget)."""
    async with budgeted(config, account) as gw:
        return await gw.ask("balance", None, gw.gateway.balance)


async def run(args: argparse.Namespace) -> int:
    """Print the balance as a table or one JSON document."""
    config = load(args)
    account = config.account(args.account)
    balance = await fetch_balance(config, account)
    if args.json:
        print_json(balance)
    else:
        rows = [
            [
                balance.account,
                str(balance.amount),
                balance.currency,
                "" if balance.credit is None else str(balance.credit),
            ]
        ]
        print_table(["ACCOUNT", "BALANCE", "CURRENCY", "CREDIT"], rows)
        if balance.details:
            print()
            print_table(["DIRECTION", "SMS LEFT"], [[a, n] for a, n in balance.details])
    if account.low_balance is not None and balance.amount < account.low_balance:
        print(
            f"smstui: warning: balance {balance.amount} is below {account.low_balance:g}",
            file=sys.stderr,
        )
    return 0

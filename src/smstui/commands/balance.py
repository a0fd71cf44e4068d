"""`smstui balance`: every configured account's money now (or one with --account), straight
from the gateways, asked at once."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass

from smstui.cli_errors import Failure, describe, report
from smstui.commands._budgeted import budgeted
from smstui.commands._common import (
    add_config_args,
    add_json_arg,
    load,
    print_json,
    print_table,
    to_jsonable,
)
from smstui.config import Account, Config
from smstui.display import money
from smstui.errors import SmstuiError
from smstui.exit_codes import EXIT_OK
from smstui.model import Balance


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `balance` subcommand."""
    parser = sub.add_parser("balance", help="show every account's balance (--account: one)")
    add_config_args(parser, account_help="only this account (default: every account)")
    add_json_arg(parser)
    parser.set_defaults(func=run)


@dataclass(frozen=True, slots=True)
class Answer:
    """One account's balance, or why it could not be had."""

    account: Account
    balance: Balance | None = None
    failure: Failure | None = None


async def fetch_balance(config: Config, account: Account) -> Balance:
    """Ask the gateway for the balance (one request, from the shared budget)."""
    async with budgeted(config, account) as gw:
        return await gw.ask("balance", None, gw.gateway.balance)


async def _answer(config: Config, account: Account) -> Answer:
    started = time.monotonic()
    try:
        return Answer(account, balance=await fetch_balance(config, account))
    except SmstuiError as err:  # one account's trouble never hides the others' balances
        return Answer(account, failure=describe(err, elapsed_s=time.monotonic() - started))


async def run(args: argparse.Namespace) -> int:
    """Print the balances as a table or one JSON array; exit with the first failure's code."""
    config = load(args)
    accounts = [config.account(args.account)] if args.account else list(config.accounts)
    if not accounts:
        config.account(None)  # raises: no accounts configured
    answers = await asyncio.gather(*(_answer(config, a) for a in accounts))
    failures = [a.failure for a in answers if a.failure is not None]
    if len(failures) == len(answers):  # nothing to show: the failure, as every command says it
        if len(answers) == 1 or args.json:
            report(failures[0], as_json=args.json)  # the one error line or JSON document
            _say_failures(answers[1:])  # (with --json, any others on stderr)
        else:
            _say_failures(answers)
        return failures[0].exit_code
    if args.json:
        print_json([_record(a) for a in answers])
    else:
        _print_tables(answers)
    _say_failures(answers)
    for answer in answers:
        _warn_if_low(answer)
    return failures[0].exit_code if failures else EXIT_OK


def _say_failures(answers: list[Answer]) -> None:
    """One stderr line for each account that failed, naming it."""
    for answer in answers:
        if answer.failure is not None:
            print(f"smstui: {answer.account.name}: {answer.failure.line}", file=sys.stderr)


def _record(answer: Answer) -> object:
    """An account's JSON element: the balance, or {"account", "error"} for one that failed."""
    if answer.balance is not None:
        return to_jsonable(answer.balance)
    assert answer.failure is not None
    return {"account": answer.account.name, **answer.failure.as_json()}


def _print_tables(answers: list[Answer]) -> None:
    rows = []
    for answer in answers:
        bal = answer.balance
        if bal is None:
            rows.append([answer.account.name, money(None), "", "", "failed (see below)"])
        else:
            credit = "" if bal.credit is None else money(bal.credit)
            rows.append([bal.account, money(bal.amount), bal.currency, credit, ""])
    if not any(row[4] for row in rows):
        rows = [row[:4] for row in rows]
    print_table(["ACCOUNT", "BALANCE", "CURRENCY", "CREDIT", "NOTE"][: len(rows[0])], rows)
    details = [
        [a.account.name, area, left]
        for a in answers
        if a.balance is not None
        for area, left in a.balance.details
    ]
    if details:
        print()
        print_table(["ACCOUNT", "DIRECTION", "SMS LEFT"], details)


def _warn_if_low(answer: Answer) -> None:
    low, bal = answer.account.low_balance, answer.balance
    if low is not None and bal is not None and bal.amount < low:
        print(
            f"smstui: warning: {bal.account}: balance {money(bal.amount, bal.currency)} "
            f"is below {money(low, bal.currency)}",
            file=sys.stderr,
        )

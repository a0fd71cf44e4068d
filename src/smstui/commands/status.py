"""`smstui status MESSAGE_ID [--phone PHONE]`: one message's delivery status from the gateway."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from functools import partial
from typing import Any

from smstui.codes import explain
from smstui.commands._budgeted import budgeted
from smstui.commands._cache import (
    Lookup,
    add_cached_arg,
    cached_phones,
    cached_status,
    phone_arg,
)
from smstui.commands._common import (
    add_config_args,
    add_json_arg,
    load,
    partial_record,
    print_json,
    print_table,
    to_jsonable,
)
from smstui.config import Account, Config
from smstui.display import stamp, zone_name
from smstui.errors import NotFound, UsageError
from smstui.exit_codes import EXIT_PARTIAL
from smstui.model import DeliveryState, Message, Provider
from smstui.poller.gate import Gate


def headers() -> list[str]:
    """The table's columns; the send time is in the display zone, named ([ui] timezone)."""
    sent = f"SENT ({zone_name()})"
    return ["ID", "PHONE", "STATE", "RAW", "ERR", sent, "COST", "SENDER", "EXPLANATION"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `status` subcommand."""
    parser = sub.add_parser(
        "status",
        help="show the delivery status of one message",
        epilog="--cached searches the whole cache (every partition on disk; every account "
        "without --account). A partial answer (a damaged partition) exits 6, names the missing "
        'days on stderr, and with --json ends the array with {"partial": …, "missing_days": …}.',
    )
    parser.add_argument("message_id", metavar="MESSAGE_ID")
    parser.add_argument(
        "--phone",
        help="recipient, any format (SMSC needs it; taken from the cache when omitted)",
    )
    add_config_args(parser)
    add_json_arg(parser)
    add_cached_arg(parser)
    parser.set_defaults(func=run)


def explanation(message: Message) -> str:
    """Human meaning of a message's status and error code."""
    status, error = explain(message.provider.value, message.raw_status, message.error_code)
    return f"{status.name_en}: {error.en}" if error else status.name_en


def message_row(message: Message) -> list[str]:
    """One table row for a message."""
    return [
        message.message_id,
        message.phone,
        message.state.value,
        message.raw_status,
        "" if message.error_code is None else str(message.error_code),
        stamp(message.sent_at),
        "" if message.cost is None else str(message.cost),
        message.sender,
        explanation(message),
    ]


async def find_messages(gw: Gate, message_id: str, phones: Sequence[str]) -> list[Message]:
    """The message(s) with this id from the status endpoint, one request per phone.

    Spent from the status budget with the poller's keys, never from history's: history is what
    the poller discovers new messages with. SMSC needs the phone; Webcom's ids stand alone.
    """
    gateway = gw.gateway
    account = gateway.account
    if not phones:
        if account.provider is Provider.SMSC:
            raise UsageError(
                f"message {message_id} is not in the cache and SMSC needs its phone to find "
                "it: give --phone"
            )
        phones = [""]
    out = []
    for phone in phones:
        ask = partial(gateway.status, message_id, phone)
        out.append(await gw.ask("status", (account.name, message_id, phone), ask))
    return out


async def fetch_status(
    config: Config, account: Account, message_id: str, phone: str | None
) -> list[Message]:
    """Rows for `status` from the live gateway; without --phone the cache says which phones."""
    phones = [phone] if phone else cached_phones(config, account.name, message_id)
    async with budgeted(config, account) as gw:
        return await find_messages(gw, message_id, phones)


async def run(args: argparse.Namespace) -> int:
    """Print the status; exit 1 when the gateway does not know the message."""
    config = load(args)
    if args.cached:
        name = None if args.account is None else config.account(args.account).name
        return _print_cached(args, cached_status(config, name, args.message_id, args.phone))
    account = config.account(args.account)
    phone = None if args.phone is None else phone_arg(args.phone)  # the gateway wants digits
    messages = await fetch_status(config, account, args.message_id, phone)
    known = [m for m in messages if m.state is not DeliveryState.NOT_FOUND]
    missing = NotFound(
        f"{account.provider.value}: message {args.message_id} not found",
        provider=account.provider.value,
    )
    if args.json:
        if not known:
            raise missing  # --json: the error document, not a list of not-found rows
        print_json(messages)
    elif messages:
        print_table(headers(), [message_row(m) for m in messages])
        for message in messages:
            if message.text:
                print(f"\n{message.message_id} → {message.phone}: {message.text}")
    if not known:
        raise missing
    return 0


def _print_cached(args: argparse.Namespace, found: Lookup) -> int:
    """The cached message(s) with their timelines; exit 1 when the whole cache has none, 6
    when a damaged partition may hold (more of) it."""
    if not found.items and not found.partial:
        raise NotFound(f"message {args.message_id} is not in the cache")
    if args.json:
        rows: list[dict[str, Any]] = [
            {"message": m, "timeline": timeline} for m, timeline in found.items
        ]
        if found.partial:
            rows.append(partial_record(found.partial, found.missing_days))
        print_json(to_jsonable(rows))
    elif found.items:
        print_table(headers(), [message_row(m) for m, _ in found.items])
        for message, timeline in found.items:
            print(f"\n{message.message_id} → {message.phone}: {message.text}")
            for change in timeline:
                when = stamp(change.at)
                err = f" err {change.error_code}" if change.error_code else ""
                print(f"  {when}  {change.state.value:<10} {change.raw_status:<12}"
                      f" via {change.source.value}{err}")  # fmt: skip
    if found.partial:
        what = "found only in" if found.items else "not found in"
        print(f"smstui: partial answer: message {args.message_id} {what} the readable cache: "
              f"{found.partial}", file=sys.stderr)  # fmt: skip
        return EXIT_PARTIAL
    return 0

"""`smstui send PHONE TEXT [--sender S] --yes`: send one SMS (costs money, so --yes is required)."""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence

from smstui.commands._budgeted import budgeted
from smstui.commands._common import add_config_args, add_json_arg, load, print_json
from smstui.config import Account, Config
from smstui.errors import OutcomeUnknown, UsageError
from smstui.exit_codes import exit_codes_help
from smstui.gateways.base import fresh_client_id
from smstui.model import Message, Rekey, SendResult, Source
from smstui.poller.send import Attempt, send
from smstui.runtime import cache_path
from smstui.store.appender import append_items


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `send` subcommand."""
    parser = sub.add_parser(
        "send",
        help="send one SMS (needs --yes)",
        description="Send one SMS. The send is recorded in the cache before the request leaves; "
        "if no usable reply comes (lost, cut off, Ctrl-C), it stays there as 'outcome unknown' "
        "with its client id, smstui asks its status, and the exit code is 5.",
        epilog=exit_codes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("phone", metavar="PHONE")
    parser.add_argument("text", metavar="TEXT")
    parser.add_argument("--sender", help="sender name registered with the gateway")
    parser.add_argument("--yes", action="store_true", help="confirm: sending costs money")
    add_config_args(parser)
    add_json_arg(parser)
    parser.set_defaults(func=run)


async def send_message(
    config: Config,
    account: Account,
    phone: str,
    text: str,
    *,
    sender: str | None,
    attempt: Attempt | None = None,
) -> SendResult:
    """One send through the shared budget, recorded in the cache before the request leaves.

    The cache is not opened: the intent and the outcome are appended to its journal, and
    whoever has the cache open (or opens it next) shows them.
    """
    root = cache_path(config)

    async def journal(items: Sequence[Message | Rekey]) -> None:
        await asyncio.to_thread(append_items, root, items, Source.SEND, time.time())

    async with budgeted(config, account) as gw:
        result, _ = await send(gw, journal, phone, text, gw.clock, sender=sender or "",
                               attempt=attempt)  # fmt: skip
        return result


def print_result(result: SendResult, *, as_json: bool) -> None:
    """The new message id (and parts/cost when the gateway said)."""
    if as_json:
        print_json(result)
        return
    extra = [
        f"{result.parts} part(s)" if result.parts is not None else "",
        f"cost {result.cost}" if result.cost is not None else "",
        f"balance {result.balance}" if result.balance is not None else "",
    ]
    details = ", ".join(e for e in extra if e)
    print(f"sent {result.message_id} to {result.phone}" + (f" ({details})" if details else ""))


async def run(args: argparse.Namespace) -> int:
    """Send, or refuse without --yes."""
    if not args.yes:
        raise UsageError("sending costs money; add --yes to send")
    if not args.text.strip():
        raise UsageError("refusing to send an empty text")
    config = load(args)
    account = config.account(args.account)
    attempt = Attempt(fresh_client_id())
    try:
        result = await send_message(
            config, account, args.phone, args.text, sender=args.sender, attempt=attempt
        )
    except asyncio.CancelledError:  # Ctrl-C: once the request may have left, say which send
        if attempt.intent is None:
            raise
        raise OutcomeUnknown(attempt.intent, "interrupted while waiting for the reply") from None
    print_result(result, as_json=args.json)  # the cache holds it already
    return 0

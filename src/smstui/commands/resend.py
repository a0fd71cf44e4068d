"""`smstui resend MESSAGE_ID [--phone P] --yes [--force]`: the same text to the same phone.

A new client id every time; what smstui.policy advises against (a permanent failure, a resend
before the advised wait) is refused unless --force.
"""

from __future__ import annotations

import argparse
import sys
import time

from smstui.commands._budgeted import budgeted
from smstui.commands._cache import record_sent
from smstui.commands._common import add_config_args, add_json_arg, load, print_json
from smstui.commands.send import print_result
from smstui.commands.status import find_messages
from smstui.config import Account, Config
from smstui.errors import ConfigError, UsageError
from smstui.gateways.base import fresh_client_id
from smstui.model import DeliveryState, Message, SendResult
from smstui.policy import ResendRefused, resend_advice


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `resend` subcommand."""
    parser = sub.add_parser("resend", help="send a message's text again to its phone (--yes)")
    parser.add_argument("message_id", metavar="MESSAGE_ID")
    parser.add_argument("--phone", help="which recipient (SMSC multi-phone sends share an id)")
    parser.add_argument("--yes", action="store_true", help="confirm: sending costs money")
    parser.add_argument(
        "--force",
        action="store_true",
        help="resend even a permanent failure, or before the advised wait is over",
    )
    add_config_args(parser)
    add_json_arg(parser)
    parser.set_defaults(func=run)


async def resend_message(
    config: Config,
    account: Account,
    message_id: str,
    phone: str | None,
    *,
    force: bool = False,
) -> tuple[Message, SendResult]:
    """Fetch the original (status all=2 or history), then send its text with a fresh id.

    ResendRefused (nothing sent) when the policy advises against it and `force` is False.
    """
    async with budgeted(config, account) as gw:
        found = [
            m
            for m in await find_messages(gw, message_id, phone)
            if m.state is not DeliveryState.NOT_FOUND
        ]
        if not found:
            raise ConfigError(f"message {message_id} not found at {account.provider.value}")
        if len(found) > 1:
            phones = ", ".join(m.phone for m in found)
            raise ConfigError(
                f"message {message_id} went to several phones ({phones}); choose one with --phone"
            )
        original = found[0]
        if not original.text:
            raise ConfigError(
                f"{account.provider.value} did not report the text of message "
                f"{message_id}, so it cannot be resent from here"
            )
        try:
            resend_advice(original).check(time.time(), override=force)
        except ResendRefused as refused:
            raise ResendRefused(
                f"{refused}; --force resends anyway", refused.failure_class
            ) from None
        # A fresh client id: never an SMSC "identical request", never a Webcom idempotent replay.
        client_id = fresh_client_id()
        result = await gw.call(
            "send",
            ("resend", original.key, client_id),
            lambda: gw.gateway.send(
                original.phone, original.text, sender=original.sender or None, client_id=client_id
            ),
        )
        return original, result


async def run(args: argparse.Namespace) -> int:
    """Resend, or refuse without --yes; print the new id."""
    if not args.yes:
        raise UsageError("resending costs money; add --yes to resend")
    config = load(args)
    account = config.account(args.account)
    original, result = await resend_message(
        config, account, args.message_id, args.phone, force=args.force
    )
    record_sent(  # durable first, linked to the original
        config, account, result, original.text, original.sender, resend_of=original.message_id
    )
    if original.state is DeliveryState.DELIVERED:
        print(f"smstui: note: {args.message_id} had already been delivered", file=sys.stderr)
    if args.json:
        print_json({"original": original, "sent": result})
    else:
        print_result(result, as_json=False)
    return 0

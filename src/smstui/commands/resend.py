"""`smstui resend MESSAGE_ID [--phone P] --yes [--force]`: the same text to the same phone.

The engine's resend flow (smstui.poller.resend): a new client id every time, the new message
journaled before "sent"; what smstui.policy advises against (a permanent failure, a resend before
the advised wait) is refused unless --force. A cached original is resent without asking the
gateway; otherwise its status (with the phone) is asked, never history.
"""

from __future__ import annotations

import argparse
import sys

from smstui.commands._budgeted import budgeted
from smstui.commands._cache import find_cached
from smstui.commands._common import add_config_args, add_json_arg, load, print_json
from smstui.commands.send import print_result
from smstui.commands.status import find_messages
from smstui.config import Account, Config
from smstui.errors import ConfigError, UsageError
from smstui.model import DeliveryState, Message, SendResult
from smstui.policy import ResendRefused
from smstui.poller.gate import Gate
from smstui.poller.resend import resend
from smstui.runtime import open_store
from smstui.store import Store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    """The original from the cache (else the status endpoint), then the one resend flow.

    ResendRefused (nothing sent) when the policy advises against it and `force` is False.
    """
    store = open_store(config, readonly=True)
    try:
        async with budgeted(config, account) as gw:
            original = await _original(gw, store, message_id, phone)
            try:
                result, _ = await resend(gw, store, original, gw.clock, override=force)
            except ResendRefused as refused:
                raise ResendRefused(
                    f"{refused}; --force resends anyway", refused.failure_class
                ) from None
            return original, result
    finally:
        store.close()


async def _original(gw: Gate, store: Store, message_id: str, phone: str | None) -> Message:
    """The message to resend: the cache's when it knows the text, else the gateway's."""
    account = gw.gateway.account
    found = [m for m in find_cached(store, account.name, message_id, phone) if m.text]
    if not found:
        phones = [phone] if phone else [m.phone for m in store.find(account.name, message_id)]
        asked = await find_messages(gw, message_id, phones)
        found = [m for m in asked if m.state is not DeliveryState.NOT_FOUND]
    if not found:
        raise ConfigError(f"message {message_id} not found at {account.provider.value}")
    if len(found) > 1:
        several = ", ".join(m.phone for m in found)
        raise ConfigError(
            f"message {message_id} went to several phones ({several}); choose one with --phone"
        )
    return found[0]


async def run(args: argparse.Namespace) -> int:
    """Resend, or refuse without --yes; print the new id once it is journaled."""
    if not args.yes:
        raise UsageError("resending costs money; add --yes to resend")
    config = load(args)
    account = config.account(args.account)
    original, result = await resend_message(
        config, account, args.message_id, args.phone, force=args.force
    )
    if original.state is DeliveryState.DELIVERED:
        print(f"smstui: note: {args.message_id} had already been delivered", file=sys.stderr)
    if args.json:
        print_json({"original": original, "sent": result})
    else:
        print_result(result, as_json=False)
    return 0

"""`smstui send PHONE TEXT [--sender S] --yes`: send one SMS (costs money, so --yes is required)."""

from __future__ import annotations

import argparse

from smstui.commands._budgeted import budgeted
from smstui.commands._cache import record_sent
from smstui.commands._common import add_config_args, add_json_arg, load, print_json
from smstui.config import Account, Config
from smstui.errors import UsageError
from smstui.gateways.base import fresh_client_id
from smstui.model import SendResult


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `send` subcommand."""
    parser = sub.add_parser("send", help="send one SMS (needs --yes)")
    parser.add_argument("phone", metavar="PHONE")
    parser.add_argument("text", metavar="TEXT")
    parser.add_argument("--sender", help="sender name registered with the gateway")
    parser.add_argument("--yes", action="store_true", help="confirm: sending costs money")
    add_config_args(parser)
    add_json_arg(parser)
    parser.set_defaults(func=run)


async def send_message(
    config: Config, account: Account, phone: str, text: str, *, sender: str | None
) -> SendResult:
    """One send through the gateway and the shared budget (never retried)."""
    client_id = fresh_client_id()  # its own id: never an "identical request" of another send
    async with budgeted(config, account) as gw:
        return await gw.ask(
            "send",
            ("send", client_id),
            lambda: gw.gateway.send(phone, text, sender=sender, client_id=client_id),
        )


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
    result = await send_message(config, account, args.phone, args.text, sender=args.sender)
    record_sent(config, account, result, args.text, args.sender)  # durable before "sent"
    print_result(result, as_json=args.json)
    return 0

"""`smstui history`: recently sent messages from the gateway (SMSC), newest first."""

from __future__ import annotations

import argparse
import csv
import sys
from functools import partial

from smstui.budget import BudgetExceeded
from smstui.commands._budgeted import budgeted
from smstui.commands._cache import add_cached_arg, cached_history
from smstui.commands._common import add_config_args, add_json_arg, load, print_json, print_table
from smstui.commands.status import headers, message_row
from smstui.config import Account, Config
from smstui.export import COLUMNS, message_record, safe_cell
from smstui.model import DeliveryState, Message

PAGE = 1000
MAX_PAGES = 5  # SMSC allows 30 history requests an hour: one command never takes more than 5


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `history` subcommand."""
    parser = sub.add_parser("history", help="list recently sent messages (SMSC)")
    parser.add_argument("--limit", type=_positive, default=100, help="rows to show (default 100)")
    parser.add_argument(
        "--state", choices=[s.value for s in DeliveryState], help="only messages in this state"
    )
    parser.add_argument("--phone", help="only messages to this phone")
    add_config_args(parser)
    add_json_arg(parser)
    add_cached_arg(parser)
    parser.add_argument("--csv", action="store_true", help="CSV on stdout (spreadsheet-safe)")
    parser.set_defaults(func=run)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


async def fetch_history(
    config: Config,
    account: Account,
    *,
    limit: int,
    state: str | None = None,
    phone: str | None = None,
) -> tuple[list[Message], str]:
    """Up to `limit` messages (filtered by state), and a note when the search stopped early.

    Each page is spent from the shared budget; when it refuses the first page, BudgetExceeded
    says when to ask again; a later page ends the search with what the earlier pages held.
    """
    rows: list[Message] = []
    before = None
    cnt = min(PAGE, limit) if not state else PAGE
    async with budgeted(config, account) as gw:
        for pages in range(MAX_PAGES):
            key = ("history", before) if phone is None else ("history", before, phone)
            try:
                ask = partial(gw.gateway.history, limit=cnt, before=before, phone=phone)
                page = await gw.ask("history", key, ask)
            except BudgetExceeded as refused:
                if not pages:
                    raise
                return rows[:limit], f"stopped after {pages} page(s): {refused}"
            rows += [m for m in page.messages if not state or m.state.value == state]
            before = page.next_before
            if len(rows) >= limit or before is None:
                return rows[:limit], ""
    return rows[:limit], f"searched the last {MAX_PAGES * PAGE} messages only"


async def run(args: argparse.Namespace) -> int:
    """Print the history as a table, CSV or one JSON document."""
    config = load(args)
    account = config.account(args.account)
    if args.cached:
        rows = cached_history(
            config, account.name, limit=args.limit, state=args.state, phone=args.phone
        )
        note = ""
    else:
        rows, note = await fetch_history(
            config, account, limit=args.limit, state=args.state, phone=args.phone
        )
    if args.json:
        print_json(rows)
    elif args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(COLUMNS)
        for message in rows:
            record = message_record(message, config.secrets())
            writer.writerow([safe_cell(record[c]) for c in COLUMNS])
    else:
        print_table(headers(), [message_row(m) for m in rows])
    if note:
        print(f"smstui: {note}", file=sys.stderr)
    return 0

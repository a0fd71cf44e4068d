"""`smstui history`: sent messages newest first — from the gateway (SMSC), or with `--cached`
from the whole local cache, streamed (every match unless --limit)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from functools import partial

from smstui.budget import BudgetExceeded
from smstui.commands._budgeted import budgeted
from smstui.commands._cache import (
    add_cached_arg,
    cached_answer,
    history_query,
    phone_arg,
    rows_of,
)
from smstui.commands._common import (
    JsonStream,
    add_config_args,
    add_json_arg,
    load,
    message_encoder,
    partial_record,
    print_json,
    print_table,
)
from smstui.commands.status import headers, message_row
from smstui.config import Account, Config
from smstui.errors import UsageError
from smstui.exit_codes import EXIT_PARTIAL
from smstui.export import COLUMNS, message_record, safe_cell
from smstui.model import DeliveryState, Message, placed_at
from smstui.secrets import Secret

PAGE = 1000
MAX_PAGES = 5  # SMSC allows 30 history requests an hour: one command never takes more than 5
NETWORK_LIMIT = 100  # the gateway's default: pages cost budget; the cache's answer is free
TABLE_SAMPLE = 1000  # a streamed table's column widths come from its first rows
EPILOG = """\
--cached answers from the whole cache (every partition on disk, not only the loaded window):
without --account it searches every account; without --limit it returns every match.
--jsonl and --json stream: one object a line, or one array with a row a line.
A partial answer (a damaged partition) prints every readable match, says what is missing on
stderr, exits 6, and ends its JSON with one record that is not a message:
{"partial": "<why>", "missing_days": [{"account": "...", "day": "YYYY-MM-DD"}]}
(the last line of --jsonl, the last element of --json). Every message row has "message_id".
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `history` subcommand."""
    parser = sub.add_parser(
        "history",
        help="list sent messages (SMSC; --cached: the whole cache, every account)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--limit",
        type=_positive,
        default=None,
        help=f"at most N rows, newest first (default: {NETWORK_LIMIT} from the gateway; "
        "every match with --cached)",
    )
    parser.add_argument(
        "--state", choices=[s.value for s in DeliveryState], help="only messages in this state"
    )
    parser.add_argument(
        "--phone", help="only messages to this phone (any format: +7 999 000-00-01, 8999…)"
    )
    add_config_args(parser)
    add_json_arg(parser)
    parser.add_argument(
        "--jsonl", action="store_true", help="one JSON object per line, streamed (--cached)"
    )
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
    """Print the history as a table, CSV, JSON lines or one JSON array."""
    config = load(args)
    if args.cached:
        return _cached(args, config)
    if args.jsonl:
        raise UsageError("--jsonl streams the whole cache: use it with --cached")
    limit = args.limit or NETWORK_LIMIT
    phone = None if args.phone is None else phone_arg(args.phone)
    rows, notes = await _every_account(config, args.account, limit, args.state, phone)
    if args.json:
        print_json(rows)
    elif args.csv:
        _write_csv(rows, config.secrets())
    else:
        print_table(headers(), [message_row(m) for m in rows])
    for note in notes:
        print(f"smstui: {note}", file=sys.stderr)
    return 0


async def _every_account(
    config: Config, name: str | None, limit: int, state: str | None, phone: str | None
) -> tuple[list[Message], list[str]]:
    """The named account's history; without a name every account that has a history endpoint
    (SMSC; Webcom keeps none), merged newest first. Notes say what was left out."""
    if name is not None:
        rows, note = await fetch_history(config, config.account(name), limit=limit, state=state,
                                         phone=phone)  # fmt: skip
        return rows, [note] if note else []
    accounts = list(config.accounts) or [config.account(None)]  # none: the usual config error
    able = await asyncio.gather(*(_has_history(config, a) for a in accounts))
    asking = [a for a, ok in zip(accounts, able, strict=True) if ok] or accounts[:1]
    answers = await asyncio.gather(
        *(fetch_history(config, a, limit=limit, state=state, phone=phone) for a in asking)
    )
    several = len(accounts) > 1  # then each note names its account
    notes = [
        f"{a.name}: {note}" if several else note
        for a, (_, note) in zip(asking, answers, strict=True)
        if note
    ]
    notes += [f"{a.name}: not searched ({a.provider.value} keeps no history of sent messages; "
              "--cached has what the cache saw)" for a in accounts if a not in asking]  # fmt: skip
    merged = sorted((m for rows, _ in answers for m in rows), key=_newest_first)
    return merged[:limit], notes


async def _has_history(config: Config, account: Account) -> bool:
    """Whether the account's gateway client can list sent messages (the client says; no
    request is made)."""
    async with budgeted(config, account) as gw:
        return gw.gateway.supports_history


def _newest_first(message: Message) -> tuple[bool, float]:
    at = placed_at(message)
    return (at is None, -(at or 0.0))


def _cached(args: argparse.Namespace, config: Config) -> int:
    """Stream the whole cache's answer; exit 6 (and say why) when it is partial."""
    accounts = None if args.account is None else frozenset({config.account(args.account).name})
    query = history_query(accounts, args.state, args.phone)
    with cached_answer(config, query) as answer:
        rows = rows_of(answer, args.limit)
        if args.json or args.jsonl:
            out = JsonStream(lines=args.jsonl)
            encode = message_encoder()
            for message in rows:
                out.write(encode(message))
            reason = answer.partial_reason()
            if reason:
                out.write(json.dumps(partial_record(reason, answer.missing_days),
                                     ensure_ascii=False))  # fmt: skip
            out.close()
        elif args.csv:
            _write_csv(rows, config.secrets())
        else:
            _stream_table(headers(), (message_row(m) for m in rows))
        reason = answer.partial_reason()
    if reason:
        print(f"smstui: partial answer: {reason}", file=sys.stderr)
        return EXIT_PARTIAL
    return 0


def _write_csv(rows: Iterable[Message], secrets: Iterable[Secret]) -> None:
    secrets = tuple(secrets)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(COLUMNS)
    for message in rows:
        record = message_record(message, secrets)
        writer.writerow([safe_cell(record[c]) for c in COLUMNS])


def _stream_table(head: list[str], rows: Iterator[list[str]]) -> None:
    """An aligned table without holding every row: widths from the first rows (a longer cell
    later only pushes its own line)."""
    first = list(itertools.islice(rows, TABLE_SAMPLE))
    widths = [len(h) for h in head]
    for row in first:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=False)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=False)).rstrip())
    for row in itertools.chain(first, rows):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())

"""Read-only access to the cache for `--cached` commands: no network, works while polling runs.

Every answer comes from the whole cache (`Store.query` / `Store.lookup`): the messages loaded
in memory merged with every partition on disk, never only the loaded window.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from smstui.config import Config
from smstui.errors import ConfigError, UsageError
from smstui.model import DeliveryState, Message, StatusChange
from smstui.phones import digits, full_number
from smstui.queries import Query
from smstui.runtime import cache_path, open_store
from smstui.store import Store
from smstui.store.query import Answer


def add_cached_arg(parser: argparse.ArgumentParser) -> None:
    """--cached: answer from the local cache only."""
    parser.add_argument(
        "--cached",
        action="store_true",
        help="read the local cache only (no network): the whole cache, every partition on disk",
    )


def open_cache(config: Config) -> Store:
    """The cache as a follower (another process may be writing it): partitions + journal."""
    path = cache_path(config)
    if not any((path / name).exists() for name in ("manifest.json", "journal.log", "cache.json")):
        raise ConfigError(f"no cache yet at {path}; run `smstui poll` (or the dashboard) first")
    return open_store(config, readonly=True)


def phone_arg(text: str) -> str:
    """A --phone in any format (`+7 999 000-00-01`, `89990000001`) → its digits."""
    number = full_number(text)
    if number is None:
        raise UsageError(f"--phone {text!r} is not a whole phone number")
    return number


def history_query(accounts: frozenset[str] | None, state: str | None, phone: str | None) -> Query:
    """The whole-cache query `history --cached` asks (None: every account, every state)."""
    return Query(
        accounts=accounts,
        states=None if state is None else frozenset({DeliveryState(state)}),
        phone=None if phone is None else phone_arg(phone),
    )


@contextmanager
def cached_answer(config: Config, query: Query) -> Iterator[Answer]:
    """The answer to a query over the whole cache; the store stays open while it streams."""
    store = open_cache(config)
    try:
        yield store.query(query)
    finally:
        store.close()


def rows_of(answer: Answer, limit: int | None) -> Iterator[Message]:
    """The answer's messages, newest first, at most `limit` (None: every match)."""
    for n, message in enumerate(answer, 1):
        yield message
        if n == limit:
            return


@dataclass
class Lookup:
    """Every cached message with one id (and phone), with timelines; what the answer lacks."""

    items: list[tuple[Message, list[StatusChange]]]
    partial: str = ""
    missing_days: list[tuple[str, str]] = field(default_factory=list)


def lookup_in(store: Store, account: str | None, message_id: str, phone: str | None) -> Lookup:
    """Every message with this id in the whole cache (and phone, in any format)."""
    found = store.lookup(account, message_id)
    want = None if phone is None else digits(phone)
    items = [(m, t) for m, t in found.items if want is None or digits(m.phone) == want]
    return Lookup(items, found.partial, list(found.missing_days))


def find_cached(store: Store, account: str, message_id: str, phone: str | None) -> list[Message]:
    """Every cached message with this id (and phone: "+7…", "8…" and "7…" are one number)."""
    return [m for m, _ in lookup_in(store, account, message_id, phone).items]


def cached_status(
    config: Config, account: str | None, message_id: str, phone: str | None
) -> Lookup:
    """Every cached message with this id (and phone), each with its status timeline."""
    store = open_cache(config)
    try:
        return lookup_in(store, account, message_id, phone)
    finally:
        store.close()


def cached_phones(config: Config, account: str, message_id: str) -> list[str]:
    """The phones the cache knows for this id (none when there is no cache yet)."""
    try:
        return [m.phone for m, _ in cached_status(config, account, message_id, None).items]
    except ConfigError:  # no cache yet: nothing known
        return []

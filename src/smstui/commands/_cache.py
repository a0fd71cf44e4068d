"""Read-only access to the cache for `--cached` commands: no network, works while polling runs."""

from __future__ import annotations

import argparse

from smstui.config import Config
from smstui.errors import ConfigError
from smstui.model import Message, StatusChange
from smstui.runtime import cache_path, open_store
from smstui.store import Store


def add_cached_arg(parser: argparse.ArgumentParser) -> None:
    """--cached: answer from the local cache only."""
    parser.add_argument(
        "--cached", action="store_true", help="read the local cache only (no network)"
    )


def open_cache(config: Config) -> Store:
    """The cache as a follower (another process may be writing it): partitions + journal."""
    path = cache_path(config)
    if not any((path / name).exists() for name in ("manifest.json", "journal.log", "cache.json")):
        raise ConfigError(f"no cache yet at {path}; run `smstui poll` (or the dashboard) first")
    return open_store(config, readonly=True)


def cached_history(
    config: Config, account: str, *, limit: int, state: str | None, phone: str | None
) -> list[Message]:
    """The newest cached messages of one account, filtered like the live history."""
    store = open_cache(config)
    try:
        out = []
        for message in store.messages_sorted():
            if message.account != account:
                continue
            if state and message.state.value != state:
                continue
            if phone and message.phone.lstrip("+") != phone.lstrip("+"):
                continue
            out.append(message)
            if len(out) >= limit:
                break
        return out
    finally:
        store.close()


def find_cached(store: Store, account: str, message_id: str, phone: str | None) -> list[Message]:
    """Every cached message with this id (and phone: "+7…" and "7…" are the same number)."""
    return [
        m for m in store.find(account, message_id)
        if not phone or m.phone.lstrip("+") == phone.lstrip("+")
    ]  # fmt: skip


def cached_status(
    config: Config, account: str, message_id: str, phone: str | None
) -> list[tuple[Message, list[StatusChange]]]:
    """Every cached message with this id (and phone), each with its status timeline."""
    store = open_cache(config)
    try:
        return [(m, store.timeline(m.key)) for m in find_cached(store, account, message_id, phone)]
    finally:
        store.close()


def cached_phones(config: Config, account: str, message_id: str) -> list[str]:
    """The phones the cache knows for this id (none when there is no cache yet)."""
    try:
        return [m.phone for m, _ in cached_status(config, account, message_id, None)]
    except ConfigError:  # no cache yet: nothing known
        return []

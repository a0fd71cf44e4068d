"""Reading a schema 2 `cache.json` (one whole-file TinyDB database) to migrate it.

Schema 2 kept each message as one `|`-separated row string (escapes: `\\\\`, `\\p` = `|`,
`\\w` = `~`, a whole `\\N` = None) and its timeline as entries joined by `~`. Plain
decoding: a migration runs once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from smstui.errors import StoreError
from smstui.model import Balance, DeliveryState, IncomingMessage, Message, Provider, StatusChange
from smstui.store import schema as s
from smstui.store.partitions import AtomicStorage
from smstui.store.schema import Entry, StoreEvent

LEGACY_NAME = "cache.json"
_ESCAPE = re.compile(r"\\(.)", re.S)
_UNESCAPED = {"\\": "\\", "p": "|", "w": "~"}
_SIDE = ("balances", "incoming", "events")


@dataclass
class LegacySnapshot:
    """What an old cache held."""

    schema: int
    messages: list[tuple[Message, tuple[Entry, ...]]] = field(default_factory=list)
    balances: list[Balance] = field(default_factory=list)
    incoming: list[IncomingMessage] = field(default_factory=list)
    events: list[StoreEvent] = field(default_factory=list)
    cursor: dict[str, Any] = field(default_factory=dict)
    pending: list[StatusChange] = field(default_factory=list)


def _unescape(value: str) -> str | None:
    if value == "\\N":
        return None
    return _ESCAPE.sub(lambda m: _UNESCAPED[m.group(1)], value) if "\\" in value else value


def _opt(value: str, kind: type) -> Any:
    return kind(value) if value else None


def _row(row: str) -> Message:
    """A schema 2 message row."""
    f = [_unescape(x) for x in row.split("|")]
    if len(f) != 16:
        raise ValueError(f"{len(f)} fields, expected 16")
    acc, prov, mid, phone, state, text, sender, sent, raw, err, cost, parts, country, op, \
        region, updated = (x or "" for x in f)  # fmt: skip
    return Message(
        acc, Provider(prov), mid, phone, DeliveryState(state), text, sender, _opt(sent, float),
        raw, _opt(err, int), _opt(cost, Decimal), _opt(parts, int), country, op, region,
        _opt(updated, float),
    )  # fmt: skip


def _timeline(text: str) -> tuple[Entry, ...]:
    """A schema 2 timeline string."""
    if not text:
        return ()
    out = []
    for chunk in text.split("~"):
        state, raw, at, source, err, observed = (x or "" for x in map(_unescape, chunk.split("|")))
        out.append(s.entry([state, raw, float(at), source, _opt(err, int), _opt(observed, float)]))
    return tuple(out)


def read(path: Path) -> LegacySnapshot:
    """Decode an old cache file; StoreError when it is not one."""
    tables = AtomicStorage(path).read() or {}
    meta = list(tables.get("meta", {}).values())
    version = meta[0].get("schema") if meta else None
    if version != 2:  # schema 1 was migrated to 2 on open by smstui 0.1 already
        raise StoreError(f"{path}: schema {version!r} is not one this smstui migrates")
    snap = LegacySnapshot(schema=version)
    try:
        for doc in tables.get("messages", {}).values():
            snap.messages.append((_row(doc["r"]), _timeline(doc.get("t", ""))))
        side = {name: list(tables.get(name, {}).values()) for name in _SIDE}
        snap.balances = [s.doc_to_side(Balance, d) for d in side["balances"]]
        snap.incoming = [s.doc_to_side(IncomingMessage, d) for d in side["incoming"]]
        snap.events = [s.doc_to_side(StoreEvent, d) for d in side["events"]]
        snap.cursor = {d["name"]: d["value"] for d in tables.get("cursor", {}).values()}
        snap.pending = [
            s.entry_to_change((d["account"], d["message_id"], d["phone"]), s.entry(d["entry"]))
            for d in tables.get("pending", {}).values()
        ]
    except (KeyError, TypeError, ValueError, InvalidOperation, AttributeError) as err:
        raise StoreError(f"{path}: {err!r}") from err
    return snap

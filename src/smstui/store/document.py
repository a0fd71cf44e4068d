"""The whole cache as one TinyDB document tree, and back: snapshot → tables → snapshot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smstui.errors import StoreError
from smstui.model import Balance, IncomingMessage, Message, StatusChange
from smstui.store import schema as s
from smstui.store.schema import Entry, Key, StoreEvent

TABLES = ("meta", "messages", "pending", "balances", "incoming", "events", "cursor")


@dataclass(slots=True)
class Snapshot:
    """Everything the cache holds, as references to immutable values (cheap to take on the loop)."""

    messages: Sequence[Message] = ()
    timelines: Mapping[Key, Sequence[Entry]] = field(default_factory=dict)
    pending: Sequence[StatusChange] = ()
    balances: Sequence[Balance] = ()
    incoming: Sequence[IncomingMessage] = ()
    events: Sequence[StoreEvent] = ()
    cursor: Mapping[str, Any] = field(default_factory=dict)
    saved_at: float | None = None


def _table(docs: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """TinyDB's table layout: {"<doc_id>": document}, ids from 1."""
    return {str(i): doc for i, doc in enumerate(docs, 1)}


def to_tables(snap: Snapshot) -> dict[str, dict[str, Any]]:
    """The TinyDB database for a snapshot (runs off the event loop)."""
    timelines = snap.timelines
    empty: tuple[Entry, ...] = ()
    return {
        "meta": {"1": {"schema": s.SCHEMA_VERSION, "saved_at": snap.saved_at}},
        "messages": _table(
            [s.message_to_doc(m, timelines.get(m.key, empty)) for m in snap.messages]
        ),
        "pending": _table([s.pending_to_doc(c) for c in snap.pending]),
        "balances": _table([s.balance_to_doc(b) for b in snap.balances]),
        "incoming": _table([s.incoming_to_doc(m) for m in snap.incoming]),
        "events": _table(
            [
                {"kind": e.kind, "text": e.text, "at": e.at, "account": e.account}
                for e in snap.events
            ]
        ),
        "cursor": _table([{"name": k, "value": v} for k, v in snap.cursor.items()]),
    }


def _docs(tables: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """The documents of one table in doc-id order; StoreError when the table is malformed."""
    table = tables.get(name, {})
    if not isinstance(table, dict):
        raise StoreError(f"table {name!r} is not an object")
    docs = list(table.values())  # JSON objects keep file order, which is doc-id order
    if not all(isinstance(d, dict) for d in docs):
        raise StoreError(f"table {name!r} holds a non-object document")
    return docs


def from_tables(tables: Mapping[str, Any]) -> Snapshot:
    """Decode a database read from disk; StoreError when it is not a cache of this schema."""
    meta = _docs(tables, "meta")
    version = meta[0].get("schema") if meta else None
    if version != s.SCHEMA_VERSION:
        raise StoreError(f"schema version {version!r}, expected {s.SCHEMA_VERSION}")
    messages: list[Message] = []
    timelines: dict[Key, tuple[Entry, ...]] = {}
    for doc in _docs(tables, "messages"):
        m, tl = s.doc_to_message(doc)
        messages.append(m)
        if tl:
            timelines[m.key] = tl
    try:
        events = [StoreEvent(**d) for d in _docs(tables, "events")]
        cursor = {d["name"]: d["value"] for d in _docs(tables, "cursor")}
    except (TypeError, KeyError) as err:
        raise StoreError(f"bad event or cursor document: {err!r}") from err
    return Snapshot(
        messages=messages,
        timelines=timelines,
        pending=[s.doc_to_pending(d) for d in _docs(tables, "pending")],
        balances=[s.doc_to_balance(d) for d in _docs(tables, "balances")],
        incoming=[s.doc_to_incoming(d) for d in _docs(tables, "incoming")],
        events=events,
        cursor=cursor,
        saved_at=meta[0].get("saved_at"),
    )

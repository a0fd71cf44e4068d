"""The whole cache as one TinyDB database (tables → doc_id → document), and back."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from typing import Any

from smstui.errors import StoreError
from smstui.model import Balance, IncomingMessage, Message, StatusChange
from smstui.store import legacy, rows, timeline
from smstui.store import schema as s
from smstui.store.fragments import MessageFragments
from smstui.store.schema import Key, StoreEvent

_ROW, _TIMELINE = itemgetter("r"), itemgetter("t")
TABLES = ("meta", "messages", "pending", "balances", "incoming", "events", "cursor")


@dataclass(slots=True)
class Snapshot:
    """Everything the cache holds, as references to immutable values (cheap to take on the loop).

    Read from a file: `messages` in file order (history order, so opening needs no sort), and
    for schema 2 also their `rows`, `keys` and `row_timelines` (the strings, aligned).
    Taken for a write: `order` (keys in history order) and `by_key`, frozen by the index.
    """

    messages: Sequence[Message] = ()
    timelines: Mapping[Key, str] = field(default_factory=dict)
    pending: Sequence[StatusChange] = ()
    balances: Sequence[Balance] = ()
    incoming: Sequence[IncomingMessage] = ()
    events: Sequence[StoreEvent] = ()
    cursor: Mapping[str, Any] = field(default_factory=dict)
    saved_at: float | None = None
    rows: Sequence[str] = ()
    keys: Sequence[Key] | None = None  # the messages' keys, when decoding already made them
    columns: rows.Columns | None = None  # the index's columns, likewise (rows.decode_table)
    row_timelines: Sequence[str] = ()
    order: Sequence[Key] = ()
    by_key: Mapping[Key, Message] = field(default_factory=dict)
    gen: int = 0  # the store generation a snapshot for writing was taken at
    schema: int = s.SCHEMA_VERSION


@contextmanager
def gc_paused(*, promote: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector while a cache is decoded and indexed.

    Decoding allocates ~10 objects per message; with the collector on, its generation scans
    over the growing heap cost a third of the open time, for nothing: messages are immutable
    values that never form cycles. The collector is restored (not forced to run) afterwards.

    promote=True (for an open): also move every tracked object into the oldest generation
    (`freeze` then `unfreeze`, neither of which scans), so the 100k long-lived messages are
    not traversed twice more by young-generation collections on their way there. Nothing is
    lost: the next full collection sees every object as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if promote:
            gc.freeze()
            gc.unfreeze()
        if was_enabled:
            gc.enable()


def _table(docs: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """TinyDB's table layout: {"<doc_id>": document}, ids from 1."""
    return {str(i): doc for i, doc in enumerate(docs, 1)}


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def encode_snapshot(snap: Snapshot, fragments: MessageFragments) -> bytes:
    """The file for a snapshot as UTF-8 JSON (runs off the event loop).

    Lone surrogates (a gateway can send "\\ud800" in JSON) are written as such rather than
    failing the flush; `json.loads` of bytes reads them back the same way.
    """
    side = {
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
    meta = {"1": {"schema": s.SCHEMA_VERSION, "saved_at": snap.saved_at}}
    # One join (not `+`): the messages table is ~20 MB and each `+` would copy it again.
    text = "".join((
        '{"meta":', _dumps(meta), ',"messages":',
        fragments.table_json(snap.order, snap.by_key, snap.timelines, snap.gen), ",",
        _dumps(side)[1:],  # the side tables' object, spliced in without its opening brace
    ))  # fmt: skip
    return text.encode("utf-8", "surrogatepass")


def _docs(tables: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """The documents of one table in doc-id order; StoreError when the table is malformed."""
    table = tables.get(name, {})
    if not isinstance(table, dict):
        raise StoreError(f"table {name!r} is not an object")
    docs = list(table.values())  # JSON objects keep file order, which is doc-id order
    if not {*map(type, docs)} <= {dict}:
        raise StoreError(f"table {name!r} holds a non-object document")
    return docs


def _messages_v2(
    docs: list[dict[str, Any]],
) -> tuple[list[Message], dict[Key, str], list[str], list[Key], list[str], rows.Columns]:
    try:
        row_strings = list(map(_ROW, docs))
        tl_strings = list(map(_TIMELINE, docs))
    except KeyError:  # "t" is optional for readers (other tools may drop empty ones)
        try:
            row_strings = [d["r"] for d in docs]
        except KeyError as err:
            raise StoreError(f"bad message document: no {err} field") from err
        tl_strings = [d.get("t", "") for d in docs]
    messages, columns = rows.decode_table(row_strings)  # checks that rows are strings
    # Timelines stay strings (timeline.py); separator counts (two C-level passes) still refuse
    # a mangled file at open rather than in the middle of an apply.
    present = list(filter(None, tl_strings)) if "" in tl_strings else tl_strings
    try:  # str.count also refuses anything that is not a string
        seps = map(str.count, present, repeat(rows.SEP))
        shapes = set(zip(seps, map(str.count, present, repeat(timeline.ENTRY_SEP)), strict=True))
    except TypeError as err:
        raise StoreError(f"bad message timeline: {err}") from err
    if not all(timeline.well_formed(*shape) for shape in shapes):
        bad = next(
            t for t in present
            if not timeline.well_formed(t.count(rows.SEP), t.count(timeline.ENTRY_SEP))
        )  # fmt: skip
        raise StoreError(f"bad message timeline: {bad[:80]!r}")
    keys = list(zip(*columns[:3], strict=True))
    timelines = dict(zip(keys, tl_strings, strict=True))
    if "" in tl_strings:
        timelines = {k: t for k, t in timelines.items() if t}
    return messages, timelines, row_strings, keys, tl_strings, columns


def _messages_v1(docs: list[dict[str, Any]]) -> tuple[list[Message], dict[Key, str]]:
    messages: list[Message] = []
    timelines: dict[Key, str] = {}
    for doc in docs:
        m, entries = legacy.doc_to_message(doc)
        messages.append(m)
        if entries:
            timelines[m.key] = timeline.encode(entries)
    return messages, timelines


def from_tables(tables: Mapping[str, Any]) -> Snapshot:
    """Decode a database read from disk (schema 2, or 1 to migrate); StoreError otherwise."""
    meta = _docs(tables, "meta")
    version = meta[0].get("schema") if meta else None
    docs = _docs(tables, "messages")
    row_strings: list[str] = []
    tl_strings: list[str] = []
    keys = columns = None
    if version == s.SCHEMA_VERSION:
        messages, timelines, row_strings, keys, tl_strings, columns = _messages_v2(docs)
    elif version == legacy.LEGACY_VERSION:
        messages, timelines = _messages_v1(docs)
    else:
        raise StoreError(f"schema version {version!r}, expected {s.SCHEMA_VERSION}")
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
        rows=row_strings,
        keys=keys,
        columns=columns,
        row_timelines=tl_strings,
        schema=version,
    )

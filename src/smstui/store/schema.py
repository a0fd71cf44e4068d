"""How store records look on disk (journal records, TinyDB documents) and in memory; no I/O."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import Any, TypeVar

from smstui.errors import StoreError
from smstui.model import (
    Balance,
    DeliveryState,
    IncomingMessage,
    Message,
    Provider,
    Source,
    StatusChange,
)

# 3: journal + day partitions (this package); 2: one whole-file cache.json (legacy.py migrates).
SCHEMA_VERSION = 3

Key = tuple[str, str, str]
# A timeline entry: (state, raw_status, at, source, error_code, observed_at, claimed_at), a plain
# tuple so a partition decodes without building a StatusChange per observation; claimed_at is
# the time a push claimed when it lay in the future and was clamped (None otherwise).
Entry = tuple[Any, ...]

_STATES = {s.value: s for s in DeliveryState}
_PROVIDERS = {p.value: p for p in Provider}
_SOURCES = {s.value: s for s in Source}
_MESSAGE_FIELDS = tuple(f.name for f in fields(Message))
_FIELD_VALUES = attrgetter(*_MESSAGE_FIELDS)  # every field of a Message in one call
_DEFAULT_VALUES = tuple(f.default for f in fields(Message))


class NewerSchema(StoreError):
    """The cache was written by a newer smstui: refuse it, never move it aside."""


@dataclass(frozen=True, slots=True)
class StoreEvent:
    """Something an operator should see in the event log: a back-off, an error, a notice."""

    kind: str
    text: str
    at: float
    account: str = ""


@dataclass(frozen=True, slots=True)
class AppliedChange:
    """What one item of an applied batch actually changed (for the live feed).

    kind is "inserted" (a new message), "updated" (the message's values changed) or
    "timeline" (an older status was recorded in the timeline; the message stayed as it was).
    """

    kind: str
    key: Key
    before: Message | None
    after: Message
    change: StatusChange | None = None


# ---- messages ---------------------------------------------------------------------------


def message_to_doc(m: Message, timeline: tuple[Entry, ...] = ()) -> dict[str, Any]:
    """A message as a document: Message's own field names, defaults left out, the timeline."""
    doc = {
        name: value
        for name, value, default in zip(
            _MESSAGE_FIELDS, _FIELD_VALUES(m), _DEFAULT_VALUES, strict=True
        )
        # `is not` first: most left-out values are the default object itself (None, "", UNKNOWN);
        # fields without a default compare unequal to MISSING, so they are always kept.
        if value is not default and value != default
    }
    cost = doc.get("cost")
    if cost is not None:
        doc["cost"] = str(cost)
    if timeline:
        doc["timeline"] = timeline  # tuples: JSON writes them as the arrays it reads back
    return doc


def doc_to_message(doc: dict[str, Any]) -> tuple[Message, tuple[Entry, ...]]:
    """Decode a message document; StoreError when it is not one."""
    try:
        values = dict(doc)
        stored = values.pop("timeline", ())
        values["provider"] = _PROVIDERS[values["provider"]]
        if "state" in values:
            values["state"] = _STATES[values["state"]]
        if values.get("cost") is not None:
            values["cost"] = Decimal(values["cost"])
        m = Message(**values)
        if str is not type(m.account) or str is not type(m.message_id) or str is not type(m.phone):
            raise TypeError(f"key fields must be strings: {m.key!r}")
        timeline = tuple(map(entry, stored))
    except (KeyError, TypeError, ValueError, InvalidOperation) as err:
        raise StoreError(f"bad message document {str(doc)[:120]}: {err!r}") from err
    return m, timeline


def entry(values: Any) -> Entry:
    """A timeline entry from its stored list (6 fields before clamping was recorded).

    State and source stay the stored strings (a StrEnum compares and hashes as its value);
    `entry_to_change` makes the enums when a timeline is shown.
    """
    n = len(values)
    if n == 7:
        e = tuple(values)
    elif n == 6:
        e = (*values, None)
    else:
        raise ValueError(f"a timeline entry has 6 or 7 fields, not {n}")
    if e[2].__class__ is not float:  # times are written as floats; anything else is checked
        e = (e[0], e[1], float(e[2]), *e[3:])
    return e


def change_to_entry(c: StatusChange) -> Entry:
    """The timeline entry for one status change."""
    return (
        c.state, c.raw_status, float(c.at), c.source, c.error_code, c.observed_at, c.claimed_at
    )  # fmt: skip


def entry_to_change(key: Key, e: Entry) -> StatusChange:
    """The StatusChange a timeline entry stands for."""
    state, raw, at, source, err, observed, claimed = e
    return StatusChange(
        account=key[0],
        message_id=key[1],
        phone=key[2],
        state=_STATES.get(state, DeliveryState.UNKNOWN),
        raw_status=raw,
        at=at,
        source=_SOURCES.get(source, Source.POLL),
        error_code=err,
        observed_at=observed,
        claimed_at=claimed,
    )


# ---- status changes (journal items) -----------------------------------------------------


def change_to_doc(c: StatusChange) -> list[Any]:
    """A status change as a compact list (journal records hold thousands of them)."""
    return [
        c.account, c.message_id, c.phone, c.state, c.raw_status, float(c.at), c.source,
        c.error_code, c.observed_at, c.claimed_at,
    ]  # fmt: skip


def doc_to_change(doc: list[Any]) -> StatusChange:
    """Decode a status-change list; StoreError when it is not one."""
    try:
        account, mid, phone, *rest = doc
        return entry_to_change((str(account), str(mid), str(phone)), entry(rest))
    except (TypeError, ValueError) as err:
        raise StoreError(f"bad status change {str(doc)[:120]}: {err!r}") from err


# ---- side records -----------------------------------------------------------------------

Side = Balance | IncomingMessage | StoreEvent
SideT = TypeVar("SideT", Balance, IncomingMessage, StoreEvent)


def side_to_doc(value: Side) -> dict[str, Any]:
    """A balance, incoming message or event as a document: its fields, Decimals as text."""
    doc: dict[str, Any] = {}
    for f in fields(value):
        v = getattr(value, f.name)
        doc[f.name] = str(v) if isinstance(v, Decimal) else v
    return doc


def doc_to_side(cls: type[SideT], doc: dict[str, Any]) -> SideT:
    """Decode a side-record document; StoreError when it is not one."""
    try:
        values = dict(doc)
        if cls is Balance:
            values["amount"] = Decimal(values["amount"])
            credit = values.get("credit")
            values["credit"] = None if credit is None else Decimal(credit)
            values["details"] = tuple((str(a), str(b)) for a, b in values.get("details", ()))
        return cls(**values)
    except (KeyError, TypeError, ValueError, ArithmeticError) as err:
        raise StoreError(f"bad {cls.__name__} document: {err!r}") from err

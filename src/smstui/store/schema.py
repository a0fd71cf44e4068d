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
    Key,
    Message,
    Provider,
    Source,
    StatusChange,
)

# 3: journal + day partitions (this package); 2: one whole-file cache.json (legacy.py migrates).
SCHEMA_VERSION = 3

# A timeline entry: (state, raw_status, at, source, error_code, observed_at, claimed_at), a plain
# tuple so a partition decodes without building a StatusChange per observation; claimed_at is
# the time a push claimed when it lay in the future and was clamped (None otherwise). An entry
# that stands for repeats of one observation has two more fields, (…, seen, last_at): how many
# and the latest time among them (store/timelines.py folds them).
Entry = tuple[Any, ...]
# The source of the entry that stands for the observations a timeline's cap folded away.
FOLDED = "folded"

_STATES = {s.value: s for s in DeliveryState}
_PROVIDERS = {p.value: p for p in Provider}
_SOURCES = {s.value: s for s in Source}
_ENTRY_SOURCES = frozenset((*_SOURCES, FOLDED))
_NONE = type(None)
_TEXT, _TIME, _COUNT = frozenset({str}), frozenset({float, int, _NONE}), frozenset({int, _NONE})
# What each field of a stored message may hold (JSON types; bool is no int here). Provider,
# state and cost are decoded on their own.
_KINDS = {
    "account": _TEXT, "message_id": _TEXT, "phone": _TEXT, "text": _TEXT, "sender": _TEXT,
    "raw_status": _TEXT, "country": _TEXT, "operator": _TEXT, "region": _TEXT,
    "resend_of": _TEXT, "sent_at": _TIME, "updated_at": _TIME, "error_code": _COUNT,
    "parts": _COUNT,
}  # fmt: skip
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
    """Decode a message document; StoreError (saying which field) when it is not one."""
    try:
        values = dict(doc)
        stored = values.pop("timeline", ())
        for name, value in values.items():
            kinds = _KINDS.get(name)
            if kinds is not None and value.__class__ not in kinds:
                raise TypeError(f"{name} is a {type(value).__name__}: {value!r:.40}")
        provider = values.get("provider")
        if provider.__class__ is not str or provider not in _PROVIDERS:
            raise ValueError(f"provider {provider!r:.40} is none smstui knows")
        values["provider"] = _PROVIDERS[provider]
        if "state" in values:
            state = values["state"]
            if state.__class__ is not str or state not in _STATES:
                raise ValueError(f"state {state!r:.40} is no delivery state")
            values["state"] = _STATES[state]
        if values.get("cost") is not None:
            values["cost"] = cost = Decimal(values["cost"])
            if not cost.is_finite():
                raise ValueError(f"cost {cost} is not a number of money")
        m = Message(**values)  # a field Message does not have: TypeError
        if str is not type(m.account) or str is not type(m.message_id) or str is not type(m.phone):
            raise TypeError(f"key fields must be strings: {m.key!r}")
        if stored.__class__ is not list and stored.__class__ is not tuple:
            raise TypeError(f"timeline is a {type(stored).__name__}")
        timeline = tuple(map(entry, stored))
    except (TypeError, ValueError, InvalidOperation, AttributeError) as err:
        raise StoreError(f"bad message document ({_ident(doc)}): {err}") from err
    return m, timeline


def _ident(doc: Any) -> str:
    """Which message a stored document says it is, for an error (never its text)."""
    try:
        return f"message {doc.get('message_id')!r:.40} to {doc.get('phone')!r:.24}"
    except AttributeError:
        return f"a {type(doc).__name__}, not an object"


@dataclass(frozen=True, slots=True)
class Rejected:
    """A stored message document that does not decode, set aside with the reason."""

    partition: str
    reason: str
    doc: Any


@dataclass(slots=True)
class Decoded:
    """A partition's messages as read, and the documents of it that did not decode.

    `kept` is True once the rejected documents are safe elsewhere (the writer set them aside):
    only then may a checkpoint rewrite the partition without them.
    """

    items: list[tuple[Message, tuple[Entry, ...]]]
    rejected: list[Rejected]
    kept: bool = False


def decode_partition(name: str, docs: list[dict[str, Any]]) -> Decoded:
    """Decode a partition's documents; one that does not decode is rejected, not fatal."""
    items, rejected = [], []
    for doc in docs:
        try:
            items.append(doc_to_message(doc))
        except StoreError as err:
            rejected.append(Rejected(name, str(err), doc))
    return Decoded(items, rejected)


def entry(values: Any) -> Entry:
    """A timeline entry from its stored list (6 fields before clamping was recorded, 9 for
    folded repeats); ValueError or TypeError naming what is wrong.

    State and source stay the stored strings (a StrEnum compares and hashes as its value);
    `entry_to_change` makes the enums when a timeline is shown.
    """
    if values.__class__ is not list and values.__class__ is not tuple:
        raise TypeError(f"a timeline entry is a list, not {type(values).__name__}")
    n = len(values)
    if n == 7 or n == 9:
        e = tuple(values)
    elif n == 6:
        e = (*values, None)
    else:
        raise ValueError(f"a timeline entry has 6, 7 or 9 fields, not {n}")
    if e[2].__class__ is not float:  # times are written as floats; anything else is checked
        e = (e[0], e[1], _time(e[2], "time"), *e[3:])
    state, raw, _, source, err, observed, claimed = e[:7]
    if state.__class__ is not str or state not in _STATES:
        raise ValueError(f"timeline state {state!r:.40} is no delivery state")
    if raw.__class__ is not str or source.__class__ is not str or source not in _ENTRY_SOURCES:
        raise ValueError(f"timeline entry {values!r:.80}: bad raw status or source")
    if err is not None and err.__class__ is not int:
        raise TypeError(f"timeline error code {err!r:.40} is not a whole number")
    if observed is not None:
        _time(observed, "observed time")
    if claimed is not None:
        _time(claimed, "claimed time")
    if n == 9 and (e[7].__class__ is not int or e[7] < 1 or _time(e[8], "last time") < e[2]):
        raise ValueError(f"timeline entry {values!r:.80}: bad repeat count or last time")
    return e


def _time(value: Any, what: str) -> float:
    """A stored time as a float; TypeError for anything but a finite number (bool is not)."""
    if value.__class__ is not float and value.__class__ is not int:
        raise TypeError(f"timeline {what} {value!r:.40} is not a number")
    t = float(value)
    if t - t != 0.0:  # inf and nan
        raise ValueError(f"timeline {what} {value!r:.40} is not finite")
    return t


def change_to_entry(c: StatusChange) -> Entry:
    """The timeline entry for one status change."""
    return (
        c.state, c.raw_status, float(c.at), c.source, c.error_code, c.observed_at, c.claimed_at
    )  # fmt: skip


def entry_to_change(key: Key, e: Entry) -> StatusChange:
    """The StatusChange a timeline entry stands for (a fold marker: a change of unknown state
    whose raw status says how many observations it folded)."""
    state, raw, at, source, err, observed, claimed = e[:7]
    if source == FOLDED:
        raw = f"({e[7]} observations folded)"
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

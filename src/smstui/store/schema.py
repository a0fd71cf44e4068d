"""How store records look on disk (TinyDB documents) and in memory; no I/O here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

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

SCHEMA_VERSION = 1

Key = tuple[str, str, str]
# A timeline entry as kept in memory and on disk: (state, raw_status, at, source, error_code,
# observed_at). Kept as plain sequences (not StatusChange) so a 100k-message cache opens fast;
# `entry_to_change` builds the frozen value only when the UI asks for one message's timeline.
Entry = Sequence[Any]

_STATES = {s.value: s for s in DeliveryState}
_PROVIDERS = {p.value: p for p in Provider}
_SOURCES = {s.value: s for s in Source}


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


def change_to_entry(change: StatusChange) -> tuple[Any, ...]:
    """The compact timeline entry for one status change."""
    return (
        change.state.value,
        change.raw_status,
        change.at,
        change.source.value,
        change.error_code,
        change.observed_at,
    )


def entry_to_change(key: Key, entry: Entry) -> StatusChange:
    """The StatusChange a timeline entry stands for."""
    state, raw, at, source, err, observed = entry
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
    )


def message_to_doc(m: Message, timeline: Sequence[Entry]) -> dict[str, Any]:
    """One message and its timeline as a TinyDB document.

    The message is one positional row (the fields of Message in order): a third smaller than a
    dict per message and much faster to parse, which is what makes a 100k cache open fast.
    """
    cost = m.cost
    row = [
        m.account, m.provider.value, m.message_id, m.phone, m.state.value, m.text, m.sender,
        m.sent_at, m.raw_status, m.error_code, None if cost is None else str(cost), m.parts,
        m.country, m.operator, m.region, m.updated_at,
    ]  # fmt: skip
    return {"m": row, "t": timeline} if timeline else {"m": row}


def doc_to_message(doc: dict[str, Any]) -> tuple[Message, tuple[Entry, ...]]:
    """Decode a message document; raises StoreError when it is not one."""
    try:
        (acc, prov, mid, phone, state, text, sender, sent, raw, err, cost, parts, country, op,
         region, updated) = doc["m"]  # fmt: skip
        msg = Message(
            acc, _PROVIDERS[prov], mid, phone, _STATES[state], text, sender, sent, raw, err,
            None if cost is None else Decimal(cost), parts, country, op, region, updated,
        )  # fmt: skip
        timeline = doc.get("t", ())
        for entry in timeline:
            if len(entry) != 6:
                raise ValueError(f"timeline entry {entry!r} has {len(entry)} fields, expected 6")
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError) as err:
        raise StoreError(f"bad message document: {err!r}") from err
    if not isinstance(acc, str) or not isinstance(mid, str) or not isinstance(phone, str):
        raise StoreError(f"bad message document: key fields must be strings: {doc['m'][:4]!r}")
    return msg, tuple(timeline)


def balance_to_doc(b: Balance) -> dict[str, Any]:
    """A balance sample as a document."""
    return {
        "account": b.account,
        "amount": str(b.amount),
        "currency": b.currency,
        "credit": None if b.credit is None else str(b.credit),
        "at": b.at,
        "details": [list(d) for d in b.details],
    }


def doc_to_balance(doc: dict[str, Any]) -> Balance:
    """Decode a balance document."""
    try:
        credit = doc.get("credit")
        return Balance(
            account=doc["account"],
            amount=Decimal(doc["amount"]),
            currency=doc.get("currency", ""),
            credit=None if credit is None else Decimal(credit),
            at=doc.get("at"),
            details=tuple((str(a), str(b)) for a, b in doc.get("details", ())),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as err:
        raise StoreError(f"bad balance document: {err!r}") from err


def incoming_to_doc(m: IncomingMessage) -> dict[str, Any]:
    """An incoming message as a document."""
    return {
        "account": m.account,
        "incoming_id": m.incoming_id,
        "phone": m.phone,
        "text": m.text,
        "to_phone": m.to_phone,
        "received_at": m.received_at,
    }


def doc_to_incoming(doc: dict[str, Any]) -> IncomingMessage:
    """Decode an incoming-message document."""
    try:
        return IncomingMessage(**doc)
    except TypeError as err:
        raise StoreError(f"bad incoming document: {err!r}") from err


def pending_to_doc(c: StatusChange) -> dict[str, Any]:
    """A status change still waiting for its message, as a document."""
    return {
        "account": c.account,
        "message_id": c.message_id,
        "phone": c.phone,
        "entry": change_to_entry(c),
    }


def doc_to_pending(doc: dict[str, Any]) -> StatusChange:
    """Decode a pending-change document."""
    try:
        key = (doc["account"], doc["message_id"], doc["phone"])
        return entry_to_change(key, doc["entry"])
    except (KeyError, TypeError, ValueError) as err:
        raise StoreError(f"bad pending document: {err!r}") from err

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

SCHEMA_VERSION = 2  # 2: message rows as strings (rows.py); 1 is migrated on open (legacy.py)

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
    """The compact timeline entry for one status change.

    State and source are kept as the StrEnum members themselves: they are str, so they compare,
    hash, join and serialise exactly like their values, without the enum `.value` lookups.
    """
    return (
        change.state,
        change.raw_status,
        change.at,
        change.source,
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

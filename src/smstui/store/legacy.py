"""Schema 1 (positional JSON arrays per message): read to migrate, written only by tests."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from smstui.errors import StoreError
from smstui.model import DeliveryState, Message, Provider
from smstui.store.schema import Entry

LEGACY_VERSION = 1
_STATES = {s.value: s for s in DeliveryState}
_PROVIDERS = {p.value: p for p in Provider}


def message_to_doc(m: Message, timeline: Sequence[Entry]) -> dict[str, Any]:
    """One message as schema 1 stored it: {"m": [16 fields], "t": [[6 fields], …]}."""
    cost = m.cost
    row = [
        m.account, m.provider.value, m.message_id, m.phone, m.state.value, m.text, m.sender,
        m.sent_at, m.raw_status, m.error_code, None if cost is None else str(cost), m.parts,
        m.country, m.operator, m.region, m.updated_at,
    ]  # fmt: skip
    return {"m": row, "t": [list(e) for e in timeline]} if timeline else {"m": row}


def doc_to_message(doc: dict[str, Any]) -> tuple[Message, tuple[Entry, ...]]:
    """Decode a schema 1 message document; raises StoreError when it is not one."""
    try:
        (acc, prov, mid, phone, state, text, sender, sent, raw, err, cost, parts, country, op,
         region, updated) = doc["m"]  # fmt: skip
        msg = Message(
            acc, _PROVIDERS[prov], mid, phone, _STATES[state], text, sender, sent, raw, err,
            None if cost is None else Decimal(cost), parts, country, op, region, updated,
        )  # fmt: skip
        timeline = tuple(tuple(e) for e in doc.get("t", ()))
        for entry in timeline:
            if len(entry) != 6:
                raise ValueError(f"timeline entry {entry!r} has {len(entry)} fields, expected 6")
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError) as err:
        raise StoreError(f"bad message document: {err!r}") from err
    if not isinstance(acc, str) or not isinstance(mid, str) or not isinstance(phone, str):
        raise StoreError(f"bad message document: key fields must be strings: {doc['m'][:4]!r}")
    return msg, timeline

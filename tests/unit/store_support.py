"""Shared helpers of the store tests: one account, one phone, a fixed clock."""

from __future__ import annotations

from smstui.model import DeliveryState as S
from smstui.model import Message, Provider, StatusChange
from smstui.store import Store

T0 = 1_763_700_000.0  # 2025-11-21 04:40 UTC
DAY = 86_400.0
P = "79990000001"


def msg(mid: str, **kw: object) -> Message:
    """A message of account "acc" to P, queued at T0 unless told otherwise."""
    base: dict[str, object] = {"sent_at": T0, "state": S.QUEUED, "updated_at": T0}
    base.update(kw)
    return Message("acc", Provider.SMSC, mid, P, **base)  # type: ignore[arg-type]


def chg(mid: str, state: S, at: float) -> StatusChange:
    """A polled status change of one of those messages."""
    return StatusChange("acc", mid, state, state.value, at, phone=P)


def key(mid: str) -> tuple[str, str, str]:
    """The store key of one of those messages."""
    return ("acc", mid, P)


def snapshot(s: Store) -> list[tuple[Message, tuple[StatusChange, ...]]]:
    """Every loaded message with its timeline, in history order (to compare two stores)."""
    return [(m, tuple(s.timeline(m.key))) for m in s.messages_sorted()]

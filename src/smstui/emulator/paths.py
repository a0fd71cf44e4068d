"""Precomputed status timelines: each message's whole future is drawn once from its own RNG."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from smstui.emulator.numbering import NumberPlan, archive_time

SMSC_FINAL = frozenset({1, 2, 3, 4, 20, 22, 23, 24, 25})
WEBCOM_FINAL = frozenset({"deliver", "not_deliver", "expired", "partly_deliver", "read"})
# (share, status, candidate err codes, resolves after the operator's delay?)
_SMSC_FAILURES = (
    (0.080, 20, (1, 6, 11, 13, 12), True),
    (0.030, 25, (248,), False),
    (0.030, 23, (253, 254), False),
    (0.015, 20, (255, 219, 220), True),
    (0.015, 22, (249,), False),
)
_NEVER_RESOLVES = 0.04  # stays at 0 until `valid` runs out → 3 (expired)
_Step = TypeVar("_Step", bound=tuple[float, *tuple[object, ...]])  # (time, what it became…)


def _in_force(timeline: list[_Step], t: float) -> _Step:
    """The last step of a timeline at or before t (the first step when all are later)."""
    current = timeline[0]
    for step in timeline:
        if step[0] > t:
            break
        current = step
    return current


@dataclass
class SmscMessage:
    """One SMSC recipient of one send, with its precomputed (time, status, err) timeline."""

    int_id: int
    id: str
    login: str
    phone: str
    sender: str
    text: str
    parts: int
    cost: Decimal
    sent: float
    timeline: list[tuple[float, int, int]]
    plan: NumberPlan | None = None
    via_api: bool = True  # False = sent from the web UI: never pushed to the handler
    type: int = 0  # 0 SMS, 4 HLR
    deleted_at: float | None = None
    hlr: dict[str, str] = field(default_factory=dict)

    def at(self, t: float) -> tuple[float, int, int]:
        """(change time, status, err) in force at time t."""
        return _in_force(self.timeline, t)

    @property
    def final_at(self) -> float | None:
        """When the message reached its final status (None if it never does)."""
        last = self.timeline[-1]
        return last[0] if last[1] in SMSC_FINAL else None

    def archived(self, t: float) -> bool:
        """True once the 03:00 MSK job has moved it out of status.php."""
        when = archive_time(self.sent, self.final_at)
        return when is not None and t >= when

    @property
    def id_value(self) -> int | str:
        """The id as JSON should carry it: int when numeric, else the client's string."""
        return int(self.id) if self.id.isdigit() else self.id


@dataclass
class WebcomMessage:
    """One Webcom recipient (one id_sms) with its precomputed (time, state) timeline."""

    id_sms: int
    login: str
    phone: str
    sender: str
    text: str
    parts: int
    price: Decimal  # per part
    sent: float
    timeline: list[tuple[float, str]]
    client_id_sms: str | None = None
    queued_at: float | None = None  # set for scheduled sends (time_send): when it was queued
    valid_until: float = 0.0  # validity_period: no delivery attempts after this moment
    name_delivery: str = ""  # mailing name, shown in the scheduled list
    cancelled: bool = False  # a scheduled send deleted before its time: never sent

    def at(self, t: float) -> tuple[float, str]:
        """(change time, state word) in force at time t."""
        return _in_force(self.timeline, t)


def _delay(rng: random.Random, plan: NumberPlan | None) -> float:
    """Operator delivery delay: log-uniform over the operator's range, a few stragglers."""
    lo, hi = plan.operator.delay if plan else (5.0, 60.0)
    # typeshed types float ** float as Any (a negative base gives complex); hi / lo > 0 here.
    delay: float = lo * (hi / lo) ** rng.random()
    return delay * 8 if rng.random() < 0.05 else delay


def smsc_path(
    rng: random.Random, start: float, plan: NumberPlan | None, valid_s: float, clicks: bool
) -> list[tuple[float, int, int]]:
    """−1 → 0 → final, drawn from `rng`; the number of draws never depends on options."""
    queue = rng.uniform(0.5, 8.0)
    delay = _delay(rng, plan)
    roll, pick, click = rng.random(), rng.random(), rng.random()
    path = [(start, -1, 0)]
    if plan is None:
        return [*path, (start + queue, 25, 248)]
    acc = 0.0
    for share, status, errs, resolves in _SMSC_FAILURES:
        acc += share
        if roll < acc:
            err = errs[int(pick * len(errs))]
            if resolves:
                return [*path, (start + queue, 0, 0), (start + queue + delay, status, err)]
            return [*path, (start + queue, status, err)]
    path.append((start + queue, 0, 0))
    if roll < acc + _NEVER_RESOLVES:
        return [*path, (start + valid_s, 3, 0)]
    path.append((start + queue + delay, 1, 0))
    if clicks and click < 0.1:
        path.append((start + queue + delay + 30 + click * 3000, 4, 0))
    return path


def webcom_path(rng: random.Random, start: float, valid_s: float) -> list[tuple[float, str]]:
    """send → deliver / not_deliver / expired / partly_deliver."""
    delay = 3.0 * (200.0 / 3.0) ** rng.random()
    roll = rng.random()
    path = [(start, "send")]
    if roll < 0.80:
        return [*path, (start + delay, "deliver")]
    if roll < 0.90:
        return [*path, (start + delay, "not_deliver")]
    if roll < 0.95:
        return [*path, (start + valid_s, "expired")]
    return [*path, (start + min(valid_s, 3600 + delay * 20), "partly_deliver")]
